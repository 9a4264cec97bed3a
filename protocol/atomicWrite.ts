/**
 * Writing a text file atomically (a temporary file, flushed, renamed over it), so readers see the old file or the new
 * one and a crash or a full disk never leaves half a file: the daemon's notes files (daemon/documents/notesFile.ts) and
 * the extension's local copy of a remote window's notes (extension/remote/remoteNotes.ts).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { renameOver } from './renameOver';

/** Writes via a temporary file and rename, so a crash or a full disk never leaves half a file. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  await replaceAtomic(file, content, async () => true);
}

/**
 * mkdir -p that fails with the real reason: Node's recursive mkdir says ENOENT where the folder cannot be created on a
 * read-only file system (EROFS) or without permission; a plain mkdir of the first missing folder says which.
 */
async function makeFolder(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    let missing = dir;
    for (let parent = path.dirname(missing); parent !== missing && !(await fs.stat(parent).then(() => true, () => false)); parent = path.dirname(parent)) missing = parent;
    await fs.mkdir(missing); // throws EROFS, EACCES, ENOTDIR…
    await fs.mkdir(dir, { recursive: true });
  }
}

/** Writes `content` to a temporary file, then renames it over `file` if `stillValid()` says so; true when it did. */
export async function replaceAtomic(file: string, content: string, stillValid: () => Promise<boolean>): Promise<boolean> {
  await makeFolder(path.dirname(file));
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    // Flushed before the rename: after a power loss the file is the old one or the new one, never empty.
    const handle = await fs.open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (!(await stillValid())) {
      await fs.rm(temp, { force: true });
      return false;
    }
    await renameOver(temp, file);
    return true;
  } catch (e) {
    // A full disk fails the write half-way: the partial temporary file goes, the error that says why is kept.
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw e;
  }
}
