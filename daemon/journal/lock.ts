/**
 * Which daemon owns a session: `<sessions>/<id>.lock` holds the owner's pid while the session is open (recording,
 * resumed, or being finalized) and is removed when it ends. Journals live in storage shared by every VS Code window
 * (one daemon each), so a lock whose process is alive means "not yours": that session is neither resumed nor
 * finalized by another daemon. A lock whose process is gone marks an interrupted session (its daemon was killed, or
 * the machine lost power).
 */
import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  at: string;
}

export function lockPathOf(journalPath: string): string {
  return journalPath.replace(/\.jsonl$/, '') + '.lock';
}

/**
 * The locks this process holds. One process may serve several clients (`earshot daemon --listen`), each with its own
 * sessions: a lock with our pid is another client's while it is in here, and a stale one from an earlier process that
 * had our pid (after a reboot) when it is not.
 */
const held = new Set<string>();

export type LockResult = { acquired: true; release(): Promise<void> } | { acquired: false; owner: LockOwner };

/**
 * Takes the session's lock for this process: free, stale (its process is gone) or already ours. Refused while another
 * live process holds it. Taking over a stale lock is a rename, which only one of two racing daemons wins.
 */
export async function acquireSessionLock(journalPath: string): Promise<LockResult> {
  const file = lockPathOf(journalPath);
  const me: LockOwner = { pid: process.pid, host: os.hostname(), at: new Date().toISOString() };
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    held.delete(file);
    // Only our own lock: a session taken over meanwhile (we were presumed dead) stays locked by its new owner.
    if ((await readOwner(file))?.pid === process.pid) await fs.rm(file, { force: true });
  };
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await fs.writeFile(file, JSON.stringify(me) + '\n', { flag: 'wx', mode: 0o600 });
      held.add(file);
      return { acquired: true, release };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = await readOwner(file);
    if (owner && ownerAlive(owner, file)) return { acquired: false, owner };
    const stale = `${file}.${process.pid}.stale`;
    try {
      await fs.rename(file, stale);
      await fs.rm(stale, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // another daemon took it first: look again
    }
  }
  const owner = await readOwner(file);
  return owner ? { acquired: false, owner } : { acquired: false, owner: { pid: 0, host: me.host, at: me.at } };
}

/** The live owner of a session's lock; undefined when there is no lock or its process is gone. */
export async function liveLockOwner(journalPath: string): Promise<LockOwner | undefined> {
  const file = lockPathOf(journalPath);
  const owner = await readOwner(file);
  return owner && ownerAlive(owner, file) ? owner : undefined;
}

/**
 * Whether a lock's process still runs (for our own pid: whether this process holds `file`). A lock from another
 * machine (shared storage) is presumed alive.
 */
export function ownerAlive(owner: LockOwner, file?: string): boolean {
  if (owner.host !== os.hostname()) return true;
  if (!(owner.pid > 0)) return false; // a lock torn by a power loss
  if (owner.pid === process.pid) return file === undefined || held.has(file);
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, but another user's
  }
  if (process.platform !== 'linux') return true;
  try {
    // A zombie (killed, not yet reaped by its parent) is gone for our purposes; a reused pid is some other program.
    const stat = readFileSync(`/proc/${owner.pid}/stat`, 'utf8');
    if (/\)\s+Z\s/.test(stat)) return false;
    const cmdline = readFileSync(`/proc/${owner.pid}/cmdline`, 'utf8');
    return /earshot/i.test(cmdline);
  } catch {
    return false;
  }
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (typeof o.pid === 'number' && Number.isInteger(o.pid) && o.pid > 0) {
      return { pid: o.pid, host: typeof o.host === 'string' ? o.host : os.hostname(), at: typeof o.at === 'string' ? o.at : '' };
    }
  } catch {
    // torn by a power loss while being written: nobody owns it
  }
  return { pid: 0, host: os.hostname(), at: '' };
}
