/**
 * Finalizing a stored session whose daemon died, and what a panel shows of one: this sits above both the journal
 * (records) and the notes documents (Markdown), which know nothing of each other's work. Hand ticks in the notes file
 * become revisions, the opt-in model extraction runs as at a normal stop (the rolling summary rolled on over the chunks
 * the interrupted meeting had not summarized), an end record is appended, then the notes are rendered from the journal.
 */
import { SessionStopResult, SummaryParams } from '../../protocol/protocol';
import { doneRevision, latestActionItems } from '../documents/done';
import { notesDigest, renderNotes } from '../documents/markdown';
import { readIfExists, writeNotesFile } from '../documents/notesFile';
import { summaryParams } from '../documents/summarySection';
import { handTicks } from '../documents/previousNotes';
import { Journal, JournalContents, readJournal, segmentsOf } from '../journal/journal';
import { acquireSessionLock } from '../journal/lock';
import type { ModelExtractor } from './modelExtractions';
import { capturedSecOf, hasEnded, INTERRUPTED_MESSAGE, SessionLockedError, sessionModeOf } from '../journal/recovery';

/** The summary and open questions as the notes compute them (null for a dictation, which has none). */
export function summaryOf(contents: JournalContents, final: boolean): SummaryParams | null {
  if (sessionModeOf(contents.header) === 'dictation') return null;
  const digest = notesDigest(contents);
  return summaryParams(contents.header.sessionId, final, digest.summary, digest.openQuestions);
}

/**
 * Finalizes a session whose daemon died: boxes ticked by hand in its notes file become revisions, an end record
 * (reason 'interrupted') is appended after cutting a torn last line, and the notes are rendered from the journal. A
 * session that already ended is left as it is. Answers what stopping it would have.
 */
export async function finalizeInterrupted(journalPath: string, extractWithModel?: ModelExtractor): Promise<SessionStopResult> {
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
        // The opt-in language-model extraction, as at a normal stop: its records go before the end record, the rolling
        // summary's revisions first, journaled as they come (the notes are rendered from the journal below).
        if (extractWithModel && sessionModeOf(contents.header) !== 'dictation' && segmentsOf(contents.records).length) {
          for (const record of await extractWithModel(await readJournal(journalPath), (r) => journal.append(r))) await journal.append(record);
        }
        const capturedSec = capturedSecOf(contents.records);
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
