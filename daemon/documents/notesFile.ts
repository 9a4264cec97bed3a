/**
 * The notes file on disk: its name, reading it when it is there, and writing it atomically (a temporary file, flushed,
 * renamed), so readers see the old file or the new one and a save the user made meanwhile is never overwritten.
 *
 * Owns the file operations only. Must not know what the notes say (markdown.ts renders them, previousNotes.ts reads
 * the user's part).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { renameOver } from '../renameOver';

export async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

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
async function replaceAtomic(file: string, content: string, stillValid: () => Promise<boolean>): Promise<boolean> {
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

/**
 * Rewrites a notes file the user may be editing: reads it, renders from what it holds now, and replaces it
 * atomically, unless it changed meanwhile (the user saved while we rendered): then it starts over from the new
 * content, so a save is never overwritten with an older copy of the user's notes. Leaves an unchanged file alone.
 * A file the user deleted is written afresh.
 */
export async function writeNotesFile(file: string, render: (previous: string | undefined) => string, attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const previous = await readIfExists(file);
    const content = render(previous);
    if (content === previous) return;
    const written = await replaceAtomic(file, content, async () => attempt >= attempts || (await readIfExists(file)) === previous);
    if (written) return;
  }
}

/** `YYYY-MM-DD-HHMM-<title>.md` in local time, with the title reduced to a safe file name. */
export function notesFileName(startedAt: Date, title: string): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${startedAt.getFullYear()}-${pad(startedAt.getMonth() + 1)}-${pad(startedAt.getDate())}-${pad(startedAt.getHours())}${pad(startedAt.getMinutes())}`;
  const slug = title.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'meeting';
  return `${stamp}-${slug}.md`;
}
