/**
 * Data retention (InitializationOptions.retentionDays): session journals, and whatever else the daemon keeps per
 * session beside them in `<storageDir>/sessions` (files and folders named after a session id), are deleted once they
 * are older than the retention period. Notes files live in the workspace and are the user's: never touched here; nor
 * are downloaded models, nor anything in `sessions` not named like a session.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export const DAY_MS = 86_400_000;

/** Session ids start with their UTC start time, as the service makes them: 20260121T093000-a1b2c3. */
const SESSION_NAME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})-[0-9a-f]{6}(?=$|[.\-_])/;

/** The start time encoded in a session id (or a file named after one), if it is one. */
export function sessionStartOf(name: string): Date | undefined {
  const m = SESSION_NAME.exec(name);
  if (!m) return undefined;
  const date = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export interface PruneResult {
  /** Names deleted from the sessions folder. */
  deleted: string[];
  /** Names that could not be deleted, with why. */
  failed: { name: string; error: string }[];
}

export interface PruneOptions {
  /** Now, in ms since the epoch (tests). */
  now?: number;
  /** Session ids never to delete (the session being recorded). */
  keep?: ReadonlySet<string>;
  /** The folder of `storageDir` to prune (default 'sessions'; the debug audio dump is pruned the same way). */
  folder?: string;
}

/**
 * Deletes what is older than `days` from `<storageDir>/sessions`. An entry's age is taken from the later of its last
 * modification and the start time in its name: a journal still being written, or one whose clock looks wrong in one
 * of the two, is kept. `days` ≤ 0 keeps everything.
 */
export async function pruneSessions(storageDir: string, days: number, options: PruneOptions = {}): Promise<PruneResult> {
  const result: PruneResult = { deleted: [], failed: [] };
  if (!(days > 0)) return result;
  const dir = path.join(storageDir, options.folder ?? 'sessions');
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return result;
    throw e;
  }
  const cutoff = (options.now ?? Date.now()) - days * DAY_MS;
  for (const name of names.sort()) {
    const started = sessionStartOf(name);
    if (!started) continue;
    const id = SESSION_NAME.exec(name)![0];
    if (options.keep?.has(id)) continue;
    const file = path.join(dir, name);
    try {
      const stat = await fs.lstat(file);
      if (Math.max(stat.mtimeMs, started.getTime()) >= cutoff) continue;
      await fs.rm(file, { recursive: true, force: true });
      result.deleted.push(name);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') result.failed.push({ name, error: (e as Error).message });
    }
  }
  return result;
}
