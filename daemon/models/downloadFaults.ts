/**
 * What can go wrong in a model download and how it is told: DownloadError and its codes, a file-system error turned
 * into one (a full disk says so, and that the download resumes), and the free-space check before a download starts.
 *
 * Owns the error codes and the disk's messages. Must not do any I/O but the free-space query.
 */
import { promises as fs } from 'node:fs';

export type DownloadErrorCode =
  | 'insecure-url' // not https:// (or a redirect to something else)
  | 'bad-request' // options that cannot work (no checksum, bad URL)
  | 'too-many-redirects'
  | 'http-status' // the server answered with an error status
  | 'network' // connection failed, dropped or stalled; the .part is kept
  | 'size-mismatch' // the server's file or the finished download has the wrong size
  | 'checksum-mismatch' // the finished download has the wrong hash; the .part was deleted
  | 'corrupt-existing' // the final file is there but fails verification (pass repair to replace it)
  | 'disk-full' // ENOSPC / EDQUOT, or not enough free space to start; the .part is kept
  | 'disk' // another file-system error (permissions, read-only disk...)
  | 'busy' // this process is already downloading to the same file
  | 'aborted'; // cancelled through the AbortSignal; the .part is kept

export class DownloadError extends Error {
  override name = 'DownloadError';
  constructor(readonly code: DownloadErrorCode, message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
  }
}

/** A size for messages: MiB with one decimal. */
export function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** A file-system error while downloading `label` into `where`, as a DownloadError that says what to do. */
export function diskError(e: unknown, label: string, where: string): DownloadError {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOSPC' || err.code === 'EDQUOT') {
    return new DownloadError('disk-full', `Not enough disk space to download ${label} into ${where} (${err.code}). Free some space and retry: the download resumes where it stopped.`, { cause: err.code });
  }
  return new DownloadError('disk', `Cannot write ${label} into ${where}: ${err.message}`, { cause: err.code });
}

/** Whether an error mid-download is the disk's (rather than the network's). */
export function isDiskError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return typeof code === 'string' && ['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EISDIR', 'ENOTDIR', 'EMFILE', 'EIO'].includes(code);
}

/** Fails early when the disk clearly cannot hold what is left to download. */
export async function checkFreeSpace(dir: string, needed: number, label: string): Promise<void> {
  if (needed <= 0) return;
  let available: number;
  try {
    const stat = await fs.statfs(dir);
    available = stat.bavail * stat.bsize;
  } catch {
    return; // not knowable here: the write itself will tell
  }
  if (available < needed) {
    throw new DownloadError('disk-full', `Not enough disk space to download ${label} into ${dir}: ${mib(needed)} needed, ${mib(available)} free.`, { needed, available });
  }
}
