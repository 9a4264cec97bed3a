/**
 * Whether a file is the one expected: its size, then its sha256 (or sha1) — the check every download ends with and
 * every cached model passes before it is trusted.
 *
 * Owns hashing and the size-then-hash order (a wrong size costs no hashing). Must not change, move or delete a file.
 */
import { createHash, Hash } from 'node:crypto';
import { promises as fs, Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { DownloadError } from './downloadFaults';

/** What a file must be. At least one hash is required; sha256 is preferred when both are given. */
export interface ExpectedFile {
  bytes?: number;
  sha256?: string;
  sha1?: string;
}

export type FileCheckStatus = 'ok' | 'missing' | 'size-mismatch' | 'checksum-mismatch' | 'changed';

export interface FileCheck {
  status: FileCheckStatus;
  bytes: number;
  algorithm: 'sha256' | 'sha1';
  expectedHash: string;
  /** The file's hash; absent when the size already ruled it out or the file is missing. */
  actualHash?: string;
  /** One sentence for messages, empty when ok. */
  reason: string;
  /** When ok: the file that was hashed, which the path still names (what a verified mark may sign). */
  identity?: FileIdentity;
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

/** What identifies a file's contents without reading them: ctime cannot be set back by anyone, unlike mtime. */
export interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

export function identityOf(stat: Stats): FileIdentity {
  return { dev: stat.dev, ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs };
}

/**
 * The same file, unchanged: its device and inode, size, modification and change time. On Windows stat and fstat fill
 * these from one function (libuv src/win/fs.c, fs__stat_handle: volume serial, file index, EndOfFile, LastWriteTime,
 * ChangeTime), so a path's identity and its open descriptor's compare there too.
 */
export function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/**
 * Whether someone other than this user may write the file: it is not theirs, or its group or others may write it. Such
 * a file can be rewritten in place at any time, within the change time's granularity, so nothing is certified about it.
 * POSIX only: on Windows libuv reports uid 0 and a mode made from the read-only attribute (src/win/fs.c,
 * fs__stat_handle), and the ACLs that decide are not visible to Node.
 */
export function othersMayWrite(stat: Stats): boolean {
  if (process.platform === 'win32') return false;
  return stat.uid !== process.getuid?.() || (stat.mode & 0o022) !== 0;
}

/**
 * Awaited after each block a hash reads, when set: tests change or replace the file there, mid-hash, at a chosen point
 * (the race a verified mark must not certify, security review 2 S1) instead of after a timer.
 */
export const hashPause: { afterBlock?: (file: string, bytesHashed: number) => Promise<void> } = {};

const BLOCK = 1 << 20;

/**
 * Feeds the first `end` bytes (all by default) of an open file into `hash`, read through its descriptor: whatever is
 * renamed over its path meanwhile, these are the bytes of the file that was opened. Returns how many were read.
 */
export async function feedHandle(hash: Hash, handle: FileHandle, file: string, end = Infinity): Promise<number> {
  const block = Buffer.allocUnsafe(BLOCK);
  let position = 0;
  while (position < end) {
    const { bytesRead } = await handle.read(block, 0, Math.min(BLOCK, end - position), position);
    if (bytesRead === 0) break;
    hash.update(block.subarray(0, bytesRead));
    position += bytesRead;
    await hashPause.afterBlock?.(file, position);
  }
  return position;
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

/**
 * Checks a file against its expected size and hash (size first: a wrong size costs no hashing), through one open
 * descriptor. When ok, `identity` is the file that was hashed, and the path still names it unchanged: its descriptor's
 * identity before and after the hash, and the path's after, agree. Otherwise the status is 'changed': the bytes hashed
 * are not (or no longer) those at the path, so neither a load nor a verified mark may rely on them.
 */
export async function verifyFile(file: string, expected: ExpectedFile): Promise<FileCheck> {
  const { algorithm, hex } = pickHash(expected);
  const missing: FileCheck = { status: 'missing', bytes: 0, algorithm, expectedHash: hex, reason: `${file} does not exist` };
  let handle: FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return missing;
    throw e;
  }
  try {
    const before = await handle.stat();
    if (!before.isFile()) return missing;
    const bytes = before.size;
    if (expected.bytes !== undefined && bytes !== expected.bytes) {
      const why = bytes < expected.bytes ? 'truncated (an incomplete download?)' : 'too long (corrupt)';
      return { status: 'size-mismatch', bytes, algorithm, expectedHash: hex, reason: `${file} is ${bytes} bytes where ${expected.bytes} are expected: ${why}` };
    }
    const hash = createHash(algorithm);
    await feedHandle(hash, handle, file);
    const actualHash = hash.digest('hex');
    const after = identityOf(await handle.stat());
    const now = await fs.stat(file).then(identityOf, () => undefined);
    if (!sameIdentity(identityOf(before), after) || !now || !sameIdentity(after, now)) {
      return { status: 'changed', bytes, algorithm, expectedHash: hex, reason: `${file} changed or was replaced while it was being checked; check it again` };
    }
    if (actualHash !== hex) {
      return { status: 'checksum-mismatch', bytes, algorithm, expectedHash: hex, actualHash, reason: `${file} has ${algorithm} ${actualHash}, expected ${hex} (corrupt or a different file)` };
    }
    return { status: 'ok', bytes, algorithm, expectedHash: hex, actualHash, reason: '', identity: after };
  } finally {
    await handle.close();
  }
}
