/**
 * FINALIZING: what a session does at stop once its sources have ended and its speakers settled, in this order: the
 * notes file's pending write, the model's last chunks (or its extraction closed), the boxes ticked by hand read back,
 * the end record, the journal closed, the final notes file written from it, the journal read back, and the session's
 * lock released. A failure is kept as a message, never thrown: the journal keeps every whole record before it, and the
 * notes are still rendered from it. The state machine around it (STOPPING before, DONE after) is session.ts's.
 */
import { Journal, JournalContents, JournalWriteError, readJournal } from '../journal/journal';
import { SessionConfig } from './config';
import { SessionEdits } from './edits';
import { LiveExtraction } from './liveExtraction';
import { NotesWriter } from './notesWriter';

export interface Finalizing {
  config: SessionConfig;
  journal: Journal;
  notes: NotesWriter;
  edits: SessionEdits;
  live: LiveExtraction | undefined;
  /** Finals journaled: with none, the model has nothing to read. */
  finals(): number;
  capturedSec(): number;
  /** What went wrong so far (a source's failure), for the end record. */
  error(): string | undefined;
  /** The journal took no more: the session's error message for it. */
  journalFailed(e: JournalWriteError): string;
}

/** Runs FINALIZING; resolves with what failed (undefined: nothing) and the journal as it ends. */
export async function finalizeSession(f: Finalizing): Promise<{ failure: string | undefined; contents: JournalContents }> {
  await f.notes.settle();
  if (f.live && f.finals() > 0) {
    // Only the chunks not yet sent are left; every record is journaled (and announced) before the end record.
    await f.live.finish();
  } else {
    f.config.extractChunks?.close();
  }
  let failure: string | undefined;
  try {
    await f.edits.readBackTicks();
    const error = f.error();
    await f.journal.append({ type: 'end', stoppedAt: new Date().toISOString(), capturedSec: f.capturedSec(), ...(error ? { error } : {}) });
  } catch (e) {
    // The journal keeps every whole record before the failure; the notes are still rendered from it.
    if (e instanceof JournalWriteError) failure = f.journalFailed(e);
    else failure = (e as Error).message;
  }
  await f.journal.close().catch(() => undefined);
  if ((f.config.mode ?? 'meeting') !== 'dictation') {
    // Written whatever failed before (`failure ??= await …` would skip it): the notes hold what the journal kept.
    const notesFailure = await f.notes.writeFinal();
    failure ??= notesFailure;
  }
  const contents = await readJournal(f.config.journalPath);
  // Over: the session's lock goes before anyone hears so (another daemon may then treat the journal as ended).
  await f.config.unlock?.().catch(() => undefined);
  return { failure, contents };
}
