/**
 * What a person is told when the disk lets a session down: the notes folder cannot be written (read-only, missing, not a
 * folder, full) or the session journal cannot be written (disk full). Each message says what failed, what is safe and
 * what to do about it.
 */
import * as path from 'node:path';

/** The OS error code of a failed file operation (ENOSPC, EROFS…), if it has one. */
export function errnoCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Why a write failed, in words, and what to do about it; undefined for errors without a known code. */
function remedy(code: string | undefined, folder: string): { why: string; todo: string } | undefined {
  switch (code) {
    case 'ENOSPC': case 'EDQUOT':
      return { why: 'the disk is full', todo: `free some space on the disk that holds ${folder}` };
    case 'EROFS':
      return { why: 'the folder is on a read-only file system', todo: `make ${folder} writable, or choose another folder in the earshot.notes.folder setting` };
    case 'EACCES': case 'EPERM':
      return { why: 'permission denied', todo: `make ${folder} writable for you, or choose another folder in the earshot.notes.folder setting` };
    case 'ENOTDIR': case 'EEXIST':
      return { why: 'part of the folder path is a file, not a folder', todo: `fix the path ${folder}, or choose another folder in the earshot.notes.folder setting` };
    case 'ENOENT':
      return { why: 'the folder cannot be created', todo: `create ${folder}, or choose another folder in the earshot.notes.folder setting` };
    default:
      return undefined;
  }
}

/** A live notes write failed: the session goes on, the notes come once the folder can be written. */
export function notesWriteMessage(notesPath: string, e: unknown): string {
  const folder = path.dirname(notesPath);
  const r = remedy(errnoCode(e), folder);
  const why = r ? `${r.why} (${errnoCode(e)})` : (e as Error).message;
  return `Cannot write the meeting notes to ${notesPath}: ${why}. Recording goes on and the transcript is kept in the session journal; ` +
    `the notes are written as soon as that is possible${r ? `: ${r.todo}` : ''}.`;
}

/** The final notes write failed: the session is over, its transcript is in the journal. */
export function finalNotesMessage(notesPath: string, e: unknown): string {
  const folder = path.dirname(notesPath);
  const r = remedy(errnoCode(e), folder);
  const why = r ? `${r.why} (${errnoCode(e)})` : (e as Error).message;
  return `Could not write the session notes to ${notesPath}: ${why}. The transcript is kept in the session journal: ` +
    `export it with "Earshot: Export Session…" (or \`earshot export\`)${r ? `, or ${r.todo} and export again` : ''}.`;
}

/** The journal cannot take a final: the session stops, keeping what the journal holds. */
export function journalWriteMessage(journalPath: string, e: unknown, keptUntilSec: number): string {
  const code = errnoCode(e);
  const full = code === 'ENOSPC' || code === 'EDQUOT';
  const m = Math.floor(keptUntilSec / 60), s = Math.floor(keptUntilSec % 60);
  return `Recording stopped: the session journal ${journalPath} cannot be written (${full ? `the disk is full, ${code}` : (e as Error).message}). ` +
    `Everything final up to ${m}:${String(s).padStart(2, '0')} is kept; ${full ? `free some space on the disk that holds ${path.dirname(journalPath)}` : 'check that disk'} ` +
    'and start a new session.';
}

/** A session cannot start because its journal (or its lock beside it) cannot be created in `dir`. */
export function journalCreateMessage(dir: string, e: unknown): string {
  const code = errnoCode(e);
  const why = code === 'ENOSPC' || code === 'EDQUOT' ? `the disk is full, ${code}` : code === 'EROFS' ? 'read-only file system, EROFS'
    : code === 'EACCES' || code === 'EPERM' ? `permission denied, ${code}` : (e as Error).message.replace(/^Cannot write the session journal \S+: /, '');
  return `Cannot start the session: its journal cannot be created in ${dir} (${why}). Free some space on that disk or make it writable.`;
}
