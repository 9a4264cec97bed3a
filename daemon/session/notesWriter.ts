/**
 * The live notes file of a meeting session: rendered from the journal a moment after finals (they come in bursts),
 * at once after a tick through the protocol, and a last time at stop. Owns the refresh timer, the write in progress,
 * the write error (announced with the state, retried every NOTES_RETRY_SEC while the session streams) and the last
 * summary sent (only changes are sent).
 *
 * It reads the journal and writes only the notes file: never the journal, never the session's state. What it must
 * tell the session goes through NotesWiring.
 */
import { NOTES_RETRY_SEC, SummaryParams } from '../../protocol/protocol';
import { JournalWriteError, readJournal } from '../journal/journal';
import { finalNotesMessage, notesWriteMessage } from '../diskFaults';
import { notesDigest, renderNotes } from '../documents/markdown';
import { writeNotesFile } from '../documents/notesFile';
import { summaryParams } from '../documents/summarySection';

/** How long after a final the live notes file is re-rendered (finals often come in bursts). */
const NOTES_REFRESH_MS = 1000;

export interface NotesWiring {
  sessionId: string;
  notesPath: string;
  journalPath: string;
  /** Whether the session streams: only then are writes scheduled, retried and their errors announced. */
  streaming(): boolean;
  /** Run before each scheduled write: the boxes ticked by hand in the file become revisions (journaled). */
  readBackTicks(): Promise<void>;
  /** The summary and open questions, when they changed since the last sent. */
  summary(params: SummaryParams): void;
  /** `error` changed while streaming: the session announces its state again. */
  errorChanged(): void;
  /** A journal write failed on the way (reading back ticks). */
  journalFailed(e: JournalWriteError): void;
  /** The file was written (or found already as rendered): a remote window's copy follows it. */
  written?(): void;
}

export class NotesWriter {
  /** Set while the live notes file cannot be written (see SessionStateParams.notesError). */
  error: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The write in progress (writes never overlap: each waits for the one before). */
  private writing: Promise<void> = Promise.resolve();
  /** The last summary announced, to send only changes. */
  private lastSummary: string | undefined;

  constructor(private readonly wiring: NotesWiring) {}

  /** Re-renders the file `delayMs` from now, unless a refresh is already due. */
  schedule(delayMs = NOTES_REFRESH_MS): void {
    if (this.timer || !this.wiring.streaming()) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.wiring.streaming()) this.writing = this.wiring.readBackTicks().then(() => this.write()).then(() => this.written(), (e) => this.failed(e));
    }, delayMs);
  }

  /** Re-renders at once after an item was marked through the protocol: its box follows the journal, whatever the file says. */
  async writeMarked(id: string): Promise<void> {
    this.writing = this.writing.then(() => this.write(new Set([id]))).then(() => this.written(), (e) => this.failed(e));
    await this.writing;
  }

  /**
   * Renders now, after the ticks made by hand are read back, and resolves once written (earshot/notes/rewrite: the
   * client put the user's copy of the file in place). Rejects with why it could not be written.
   */
  async writeNow(): Promise<void> {
    const run = this.writing.then(() => this.wiring.readBackTicks()).then(() => this.write());
    this.writing = run.then(() => this.written(), (e) => this.failed(e));
    await run;
  }

  /** Rewrites a resumed session's notes (a failure is left to the next write). */
  rewrite(): void {
    this.writing = this.write().catch(() => undefined);
  }

  /** No more live writes: the timer is cleared and the write in progress awaited. */
  async settle(): Promise<void> {
    clearTimeout(this.timer);
    await this.writing;
  }

  /** The write at stop, from the closed journal. Returns why it failed, if it did. */
  async writeFinal(): Promise<string | undefined> {
    try {
      await this.write();
      this.error = undefined;
    } catch (e) {
      this.error = finalNotesMessage(this.wiring.notesPath, e);
    }
    return this.error;
  }

  private written(): void {
    if (this.error === undefined) return;
    this.error = undefined;
    this.wiring.errorChanged();
  }

  /** A live write failed (read-only or missing folder, full disk): announced once, retried while the session streams. */
  private failed(e: unknown): void {
    if (e instanceof JournalWriteError) return void this.wiring.journalFailed(e);
    const message = notesWriteMessage(this.wiring.notesPath, e);
    const changed = message !== this.error;
    this.error = message;
    if (!this.wiring.streaming()) return;
    if (changed) this.wiring.errorChanged();
    this.schedule(NOTES_RETRY_SEC * 1000);
  }

  /**
   * Renders from the journal over the file as it is now: the user's My notes and ticks are kept (see renderNotes).
   * `marked`: items just marked through the protocol, whose box follows the journal whatever the file says.
   */
  private async write(marked?: ReadonlySet<string>): Promise<void> {
    const journal = await readJournal(this.wiring.journalPath);
    const digest = notesDigest(journal);
    await writeNotesFile(this.wiring.notesPath, (previous) => renderNotes(journal, previous, { digest, ...(marked ? { marked } : {}) }));
    this.wiring.written?.();
    // The same summary and open questions go to the client, when they changed.
    const summary: SummaryParams = summaryParams(this.wiring.sessionId, !this.wiring.streaming(), digest.summary, digest.openQuestions);
    const key = JSON.stringify(summary);
    if (key !== this.lastSummary) {
      this.lastSummary = key;
      this.wiring.summary(summary);
    }
  }
}
