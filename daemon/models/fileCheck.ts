/**
 * Whether a file is the one expected: its size, then its sha256 (or sha1) — the check every download ends with and
 * every cached model passes before it is trusted.
 *
 * Owns hashing and the size-then-hash order (a wrong size costs no hashing). Must not change, move or delete a file.
 */
import { createHash, Hash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { DownloadError } from './downloadFaults';

/** What a file must be. At least one hash is required; sha256 is preferred when both are given. */
export interface ExpectedFile {
  bytes?: number;
  sha256?: string;
  sha1?: string;
}

export type FileCheckStatus = 'ok' | 'missing' | 'size-mismatch' | 'checksum-mismatch';

export interface FileCheck {
  status: FileCheckStatus;
  bytes: number;
  algorithm: 'sha256' | 'sha1';
  expectedHash: string;
  /** The file's hash; absent when the size already ruled it out or the file is missing. */
  actualHash?: string;
  /** One sentence for messages, empty when ok. */
  reason: string;
}

/** The hash to check against: sha256 when given, else sha1 (a DownloadError when neither is usable). */
export function pickHash(expected: ExpectedFile): { algorithm: 'sha256' | 'sha1'; hex: string } {
  if (expected.sha256) {
    if (!/^[0-9a-f]{64}$/i.test(expected.sha256)) throw new DownloadError('bad-request', `Invalid sha256 "${expected.sha256}"`);
    return { algorithm: 'sha256', hex: expected.sha256.toLowerCase() };
  }
  if (expected.sha1) {
    if (!/^[0-9a-f]{40}$/i.test(expected.sha1)) throw new DownloadError('bad-request', `Invalid sha1 "${expected.sha1}"`);
    return { algorithm: 'sha1', hex: expected.sha1.toLowerCase() };
  }
  throw new DownloadError('bad-request', 'A download needs an expected sha256 (or sha1) to verify against');
}

/** Feeds a file's first `end` bytes (all by default) into `hash`. */
export async function feed(hash: Hash, file: string, end?: number): Promise<void> {
  if (end === 0) return;
  for await (const chunk of createReadStream(file, end === undefined ? {} : { start: 0, end: end - 1 })) hash.update(chunk as Buffer);
}

/** A file's hash, hex. */
export async function hashFile(file: string, algorithm: 'sha256' | 'sha1' = 'sha256'): Promise<string> {
  const hash = createHash(algorithm);
  await feed(hash, file);
  return hash.digest('hex');
}

/** A file's size, or null when there is no file there. */
export async function sizeOf(file: string): Promise<number | null> {
  try {
    const stat = await fs.stat(file);
    return stat.isFile() ? stat.size : null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
}

/** Checks a file against its expected size and hash (size first: a wrong size costs no hashing). */
export async function verifyFile(file: string, expected: ExpectedFile): Promise<FileCheck> {
  const { algorithm, hex } = pickHash(expected);
  const bytes = await sizeOf(file);
  if (bytes === null) return { status: 'missing', bytes: 0, algorithm, expectedHash: hex, reason: `${file} does not exist` };
  if (expected.bytes !== undefined && bytes !== expected.bytes) {
    const why = bytes < expected.bytes ? 'truncated (an incomplete download?)' : 'too long (corrupt)';
    return { status: 'size-mismatch', bytes, algorithm, expectedHash: hex, reason: `${file} is ${bytes} bytes where ${expected.bytes} are expected: ${why}` };
  }
  const actualHash = await hashFile(file, algorithm);
  if (actualHash !== hex) {
    return { status: 'checksum-mismatch', bytes, algorithm, expectedHash: hex, actualHash, reason: `${file} has ${algorithm} ${actualHash}, expected ${hex} (corrupt or a different file)` };
  }
  return { status: 'ok', bytes, algorithm, expectedHash: hex, actualHash, reason: '' };
}
