/**
 * Stored sessions read back from their journals: whether one ended, its current items, its resumes, and the interrupted
 * ones found in storage by their stale locks. Owns reading; knows nothing of what is made from the records (notes,
 * summaries): finalizing an interrupted session lives above both (service/finalizeStored.ts), and rebuilding a resumed
 * session's memory in session/restored.ts.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ActionItem, Decision, InterruptedSession, SessionMode, SessionStopResult } from '../../protocol/protocol';
import { ActionItemRecord, DecisionRecord, JournalContents, JournalRecord, latestById, readJournal, segmentsOf } from './journal';
import { acquireSessionLock, liveLockOwner, LockOwner } from './lock';

export function sessionModeOf(header: JournalContents['header']): SessionMode {
  return header.mode ?? (header.notesPath ? 'meeting' : 'dictation');
}

/** The N of a segment id "<source>-N", or of a piece "<source>-N.K" of a final cut where the voice changes (0 for anything else). */
export function utteranceNumber(segmentId: string): number {
  const n = Number(/-(\d+)(?:\.\d+)?$/.exec(segmentId)?.[1]);
  return Number.isInteger(n) ? n : 0;
}

/** The current items and decisions (latest revision, withdrawn ones left out) as the protocol sends them. */
export function itemsOf(contents: JournalContents): { actionItems: ActionItem[]; decisions: Decision[] } {
  const sessionId = contents.header.sessionId;
  // Withdrawn ones are left out, except those the language model dismissed: the panel shows them, restorable.
  const current = <T extends { id: string; revision: number; removed?: boolean; dismissed?: unknown; t0: number }>(list: T[]) =>
    [...latestById(list).values()].filter((r) => !r.removed || r.dismissed).sort((a, b) => a.t0 - b.t0);
  return {
    actionItems: current(contents.records.filter((r): r is ActionItemRecord => r.type === 'actionItem')).map(({ type: _t, ...r }) => ({ sessionId, ...r })),
    decisions: current(contents.records.filter((r): r is DecisionRecord => r.type === 'decision')).map(({ type: _t, ...r }) => ({ sessionId, ...r })),
  };
}

export function resumesOf(contents: JournalContents): { at: string; fromSec: number; atSec: number }[] {
  return contents.records
    .filter((r): r is Extract<JournalRecord, { type: 'resume' }> => r.type === 'resume')
    .map(({ at, fromSec, atSec }) => ({ at, fromSec, atSec }));
}

/** Where the capture clock had got to, as far as the journal knows: the last final's end, or the last resume. */
export function capturedSecOf(records: readonly JournalRecord[]): number {
  let sec = 0;
  for (const r of records) {
    if (r.type === 'segment') sec = Math.max(sec, r.t1);
    else if (r.type === 'resume') sec = Math.max(sec, r.atSec);
  }
  return sec;
}

export function hasEnded(contents: JournalContents): boolean {
  return contents.records.some((r) => r.type === 'end');
}

/** A session in storage that did not end and whose daemon is gone, as the protocol lists it. */
export function interruptedInfo(contents: JournalContents, lastWriteAt: Date): InterruptedSession {
  const { header, records } = contents;
  return {
    sessionId: header.sessionId,
    title: header.title,
    startedAt: header.startedAt,
    mode: sessionModeOf(header),
    sources: header.sources,
    finalSegments: records.filter((r) => r.type === 'segment').length,
    notesPath: header.notesPath,
    lastWriteAt: lastWriteAt.toISOString(),
    tornTail: contents.tornTail,
  };
}

/**
 * The interrupted sessions of a storage folder: journals without an end record whose lock's process is gone. A stale
 * lock of a session that did end (its daemon died between the two) is cleared on the way.
 */
export async function findInterruptedSessions(storageDir: string): Promise<InterruptedSession[]> {
  const dir = path.join(storageDir, 'sessions');
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const found: InterruptedSession[] = [];
  for (const name of names.filter((n) => n.endsWith('.lock')).sort()) {
    const journalPath = path.join(dir, name.replace(/\.lock$/, '.jsonl'));
    try {
      if (await liveLockOwner(journalPath)) continue; // recording in another window
      let contents: JournalContents;
      try {
        contents = await readJournal(journalPath);
      } catch (e) {
        // Locked but never written (died before its header), or not a journal: nothing to recover.
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' || /no session header/.test((e as Error).message)) await clearStaleLock(journalPath);
        continue;
      }
      if (hasEnded(contents)) {
        await clearStaleLock(journalPath);
        continue;
      }
      found.push(interruptedInfo(contents, (await fs.stat(journalPath)).mtime));
    } catch {
      // One unreadable journal must not hide the others.
    }
  }
  return found;
}

async function clearStaleLock(journalPath: string): Promise<void> {
  const lock = await acquireSessionLock(journalPath);
  if (lock.acquired) await lock.release();
}

/** Why an interrupted session cannot be finalized or resumed by this daemon. */
export class SessionLockedError extends Error {
  constructor(readonly sessionId: string, readonly owner: LockOwner) {
    super(`Session ${sessionId} is open in another Earshot daemon (pid ${owner.pid}${owner.host ? ` on ${owner.host}` : ''}).`);
  }
}

export const INTERRUPTED_MESSAGE = 'The session was interrupted (its daemon stopped without finishing it); everything finalized before that is kept.';

/** The stop result of a session that ended, read back from its journal. */
export async function endedResult(journalPath: string): Promise<SessionStopResult> {
  const contents = await readJournal(journalPath);
  return { sessionId: contents.header.sessionId, notesPath: contents.header.notesPath, journalPath, segments: segmentsOf(contents.records) };
}

