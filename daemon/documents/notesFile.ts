/**
 * The notes file on disk: its name, reading it when it is there, and rewriting it atomically (protocol/atomicWrite.ts),
 * so readers see the old file or the new one and a save the user made meanwhile is never overwritten.
 *
 * Owns the file operations only. Must not know what the notes say (markdown.ts renders them, previousNotes.ts reads
 * the user's part).
 */
import { promises as fs } from 'node:fs';
import { replaceAtomic } from '../../protocol/atomicWrite';

export async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
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
