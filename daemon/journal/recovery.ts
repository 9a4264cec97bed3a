/**
 * Sessions after a crash: everything a resumed session or a panel needs is rebuilt from the journal (the one durable
 * record), interrupted sessions are found in storage by their stale locks, and one nobody resumes is finalized (its
 * notes rendered from the journal, an end record with reason 'interrupted').
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  ActionItem, Decision, InterruptedSession, SessionMode, SessionStopResult, SourceKind, SummaryParams,
} from '../../protocol/protocol';
import { SpokenLine } from '../notes/extract';
import { doneRevision, latestActionItems } from '../notes/done';
import { handTicks, notesDigest, readIfExists, renderNotes, writeNotesFile } from '../notes/markdown';
import { ActionItemRecord, DecisionRecord, Journal, JournalContents, JournalRecord, latestById, readJournal, segmentsOf } from './journal';
import { acquireSessionLock, liveLockOwner, LockOwner } from './lock';

/** What a session held in memory when its daemon died, as the journal tells it. */
export interface RestoredSession {
  /** Final segments journaled. */
  finals: number;
  /** The highest number in an item or decision id ("a12", "d13": one counter): new ones number on from it. */
  itemCount: number;
  /** The latest revision of every extracted item and decision, by the key extraction anchors them with. */
  items: [string, ActionItem][];
  decisions: [string, Decision][];
  /** The last final lines, the extraction window. */
  spoken: SpokenLine[];
  /** Per source: utterances numbered so far (the N of the highest "<source>-N"), its last final's text and end. */
  sources: Map<SourceKind, { utterances: number; lastText: string; endSec: number }>;
  /** The workspace folder last journaled. */
  workspaceRoot?: string;
  /** Where the capture clock had got to, as far as the journal knows. */
  capturedSec: number;
}

export function sessionModeOf(header: JournalContents['header']): SessionMode {
  return header.mode ?? (header.notesPath ? 'meeting' : 'dictation');
}

type SegmentRecord = Extract<JournalRecord, { type: 'segment' }>;

/**
 * Rebuilds a session's working state from its journal. Extraction keys items by the segment they are anchored to and
 * their place among that segment's items ("<segmentId>#<n>"); a key gets its id when first found and new keys of a
 * segment come in order, so numbering a segment's ids in creation order gives each id its key back.
 */
export function restoreSession(contents: JournalContents, windowLines: number): RestoredSession {
  const { records } = contents;
  const segments = records.filter((r): r is SegmentRecord => r.type === 'segment');
  const sources = new Map<SourceKind, { utterances: number; lastText: string; endSec: number }>();
  for (const s of segments) {
    const entry = sources.get(s.source) ?? { utterances: 0, lastText: '', endSec: 0 };
    entry.utterances = Math.max(entry.utterances, utteranceNumber(s.segmentId));
    if (s.text) entry.lastText = s.text;
    entry.endSec = Math.max(entry.endSec, s.t1);
    sources.set(s.source, entry);
  }
  const idNumber = (id: string) => Number(/^[ad](\d+)$/.exec(id)?.[1] ?? 0);
  const sessionId = contents.header.sessionId;
  const keyed = <R extends { id: string; revision: number; segmentId: string; type: string }, T>(list: R[], make: (r: R) => T): [string, T][] => {
    const bySegment = new Map<string, R[]>();
    for (const r of latestById(list).values()) {
      if (!r.segmentId) continue; // added by the refinement at stop: no anchor, never re-extracted
      bySegment.set(r.segmentId, [...(bySegment.get(r.segmentId) ?? []), r]);
    }
    const out: [string, T][] = [];
    for (const [segmentId, list2] of bySegment) {
      list2.sort((a, b) => idNumber(a.id) - idNumber(b.id)).forEach((r, n) => out.push([`${segmentId}#${n}`, make(r)]));
    }
    return out;
  };
  const itemRecords = records.filter((r): r is ActionItemRecord => r.type === 'actionItem');
  const decisionRecords = records.filter((r): r is DecisionRecord => r.type === 'decision');
  const resumes = records.filter((r): r is Extract<JournalRecord, { type: 'resume' }> => r.type === 'resume');
  const workspace = records.filter((r): r is Extract<JournalRecord, { type: 'workspace' }> => r.type === 'workspace').pop();
  return {
    finals: segments.length,
    itemCount: Math.max(0, ...[...itemRecords, ...decisionRecords].map((r) => idNumber(r.id))),
    items: keyed(itemRecords, ({ type: _t, ...r }) => ({ sessionId, ...r })),
    decisions: keyed(decisionRecords, ({ type: _t, ...r }) => ({ sessionId, ...r })),
    // Lines in the order they were finalized, as the live window had them.
    spoken: segments.slice(-windowLines).map((s) => ({ speaker: s.speaker, text: s.text, t0: s.t0, segmentId: s.segmentId })),
    sources,
    ...(workspace ? { workspaceRoot: workspace.root } : {}),
    capturedSec: Math.max(0, ...segments.map((s) => s.t1), ...resumes.map((r) => r.atSec)),
  };
}

/** The N of a segment id "<source>-N" (0 for anything else). */
export function utteranceNumber(segmentId: string): number {
  const n = Number(/-(\d+)$/.exec(segmentId)?.[1]);
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

/** The summary and open questions as the notes compute them (null for a dictation, which has none). */
export function summaryOf(contents: JournalContents, final: boolean): SummaryParams | null {
  if (sessionModeOf(contents.header) === 'dictation') return null;
  const digest = notesDigest(contents);
  return {
    sessionId: contents.header.sessionId, final, bullets: digest.summary.bullets,
    openQuestions: digest.openQuestions.map((q) => ({ text: q.text, speaker: q.speaker ?? null, t0: q.t0 ?? 0 })),
  };
}

export function resumesOf(contents: JournalContents): { at: string; fromSec: number; atSec: number }[] {
  return contents.records
    .filter((r): r is Extract<JournalRecord, { type: 'resume' }> => r.type === 'resume')
    .map(({ at, fromSec, atSec }) => ({ at, fromSec, atSec }));
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

/**
 * Finalizes a session whose daemon died: boxes ticked by hand in its notes file become revisions, an end record
 * (reason 'interrupted') is appended after cutting a torn last line, and the notes are rendered from the journal. A
 * session that already ended is left as it is. Answers what stopping it would have.
 */
export async function finalizeInterrupted(journalPath: string,
  extractWithModel?: (journal: JournalContents) => Promise<JournalRecord[]>): Promise<SessionStopResult> {
  const lock = await acquireSessionLock(journalPath);
  const header = (await readJournal(journalPath)).header;
  if (!lock.acquired) throw new SessionLockedError(header.sessionId, lock.owner);
  try {
    const journal = await Journal.reopen(journalPath);
    try {
      const contents = await readJournal(journalPath);
      if (!hasEnded(contents)) {
        const { sessionId, notesPath } = contents.header;
        const items = latestActionItems(contents.records);
        const previous = notesPath ? await readIfExists(notesPath).catch(() => undefined) : undefined;
        for (const edit of handTicks(previous, [...items.values()])) {
          try {
            const revision = doneRevision(items.get(edit.id)!, edit.done, sessionId);
            if (revision) await journal.append(revision);
          } catch {
            // a withdrawn item ticked by hand: its box does not count
          }
        }
        // The opt-in language-model extraction, as at a normal stop: its records go before the end record.
        if (extractWithModel && sessionModeOf(contents.header) !== 'dictation' && segmentsOf(contents.records).length) {
          for (const record of await extractWithModel(await readJournal(journalPath))) await journal.append(record);
        }
        const capturedSec = restoreSession(contents, 0).capturedSec;
        await journal.append({ type: 'end', stoppedAt: new Date().toISOString(), capturedSec, error: INTERRUPTED_MESSAGE, reason: 'interrupted' });
      }
    } finally {
      await journal.close();
    }
    const contents = await readJournal(journalPath);
    const { sessionId, notesPath } = contents.header;
    if (notesPath && sessionModeOf(contents.header) !== 'dictation') {
      await writeNotesFile(notesPath, (previous) => renderNotes(contents, previous));
    }
    return { sessionId, notesPath, journalPath, segments: segmentsOf(contents.records) };
  } finally {
    await lock.release();
  }
}

/** The stop result of a session that ended, read back from its journal. */
export async function endedResult(journalPath: string): Promise<SessionStopResult> {
  const contents = await readJournal(journalPath);
  return { sessionId: contents.header.sessionId, notesPath: contents.header.notesPath, journalPath, segments: segmentsOf(contents.records) };
}

