/**
 * Replacing a file by renaming a new one over it, as the atomic writes here do (notes files, the meaning model's
 * vectors, a model download's last step, the listening daemon's token file), waiting out a brief hold on Windows.
 * There a file that another program has open without sharing its deletion (an antivirus scanning it, a sync client
 * such as OneDrive, a search indexer, a backup) cannot be replaced: the rename fails with EPERM (test/wine shows it),
 * EACCES or EBUSY until that program lets go, usually within a second. graceful-fs retries such a rename only when the
 * target is gone (polyfills.js: it stats `to` and gives up when it exists), so not a replacement; this retries any,
 * for a bounded time, then fails with the last error.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * Errors a held file gives a rename on Windows. libuv's fs__rename is one MoveFileExW(MOVEFILE_REPLACE_EXISTING) whose
 * GetLastError goes through uv_translate_sys_error (src/win/error.c): ERROR_SHARING_VIOLATION → EBUSY, and
 * ERROR_ACCESS_DENIED → EPERM in the libuv of Node 22 (measured, test/wine) but EACCES in libuv's main branch.
 */
const HELD = new Set(['EPERM', 'EACCES', 'EBUSY']);
/** How long a replacement waits for the other program at most. */
export const RENAME_WAIT_MS = 10_000;

export interface RenameOverOptions {
  platform?: NodeJS.Platform;
  waitMs?: number;
  rename?: (from: string, to: string) => Promise<void>;
}

export async function renameOver(from: string, to: string, options: RenameOverOptions = {}): Promise<void> {
  const { platform = process.platform, waitMs = RENAME_WAIT_MS, rename = fs.rename } = options;
  const start = Date.now();
  for (let backoff = 10; ; backoff = Math.min(backoff * 2, 250)) {
    try {
      return await rename(from, to);
    } catch (e) {
      if (platform !== 'win32' || !HELD.has((e as NodeJS.ErrnoException).code ?? '') || Date.now() - start >= waitMs) throw e;
    }
    await new Promise((resolve) => setTimeout(resolve, backoff));
  }
}

/**
 * Writes `data` to a new file beside `file`, created exclusively ('wx': never an existing file, nor through a symlink,
 * POSIX open(2) O_EXCL), then renames it over `file`: a rename replaces a symlink at `file` instead of writing through
 * it, and a reader sees the old contents or the new ones whole. The temporary file goes when anything fails.
 */
export async function replaceFile(file: string, data: string | Buffer, mode: number): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await fs.writeFile(temp, data, { flag: 'wx', mode });
    await renameOver(temp, file);
  } catch (e) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw e;
  }
}
