/**
 * What the user changes in a meeting while it runs: an action item ticked or unticked (through the protocol, or by hand
 * in the notes file), an item or decision the language model dismissed brought back. Each change is a new revision in
 * the ledger, journaled (flushed) before it is announced, and the notes file follows. Once the session stops these
 * answer undefined: the caller makes the change in the journal on disk after the end (documents/done.ts, restore.ts).
 *
 * Owns the order of a change (ledger, journal, announce, notes). Must not hold state of its own: the items are the
 * ledger's, the journal and the session's state the session's (EditsWiring).
 */
import { ActionItem, Decision } from '../../protocol/protocol';
import { ActionItemRecord, DecisionRecord, JournalRecord, JournalWriteError } from '../journal/journal';
import { readIfExists } from '../documents/notesFile';
import { ItemRestoreError } from '../documents/restore';
import { restoreRevision } from '../understanding/modelExtract';
import { SessionEvents } from './config';
import { Ledger } from './ledger';
import { NotesWriter } from './notesWriter';

export interface EditsWiring {
  sessionId: string;
  /** The notes file (absent: a dictation, which writes none). */
  notesPath: string | undefined;
  ledger: Ledger;
  notes: NotesWriter;
  events: Pick<SessionEvents, 'actionItem' | 'decision'>;
  /** Whether the session streams: only then are changes made here. */
  streaming(): boolean;
  /** Journals a record (flushed when it resolves). */
  append(record: JournalRecord): Promise<void>;
  /** Sends unless the session is done. */
  announce(send: () => void): void;
  /** The journal took no more: the session stops. */
  journalFailed(e: JournalWriteError): void;
}

export class SessionEdits {
  constructor(private readonly wiring: EditsWiring) {}

  /**
   * Marks an action item done or not done (a new revision, journaled, announced, and the notes rewritten). Undefined
   * once the session is stopping: the caller marks it in the journal on disk once the session is done. Throws ActionItemDoneError for an unknown or withdrawn item.
   */
  async setActionItemDone(id: string, done: boolean): Promise<ActionItem | undefined> {
    // Stopping: the refinement may be about to write the item's next revision; it is marked after the end instead.
    if (!this.wiring.streaming()) return undefined;
    const revision = await this.recordDone(id, done).catch((e: unknown) => {
      if (e instanceof JournalWriteError) this.wiring.journalFailed(e); // nothing more can be kept: the session stops
      throw e;
    });
    // Stopped meanwhile: the final write is coming anyway.
    if (revision.changed && this.wiring.streaming()) await this.wiring.notes.writeMarked(id);
    return revision.item;
  }

  /**
   * Brings back, while the meeting runs, an item or decision the language model dismissed: a revision without `removed`,
   * marked `restored` (the model is not shown it again), journaled, then announced, and the notes follow. Undefined once
   * the session stops: its journal takes the restore after the end (documents/restore.ts). ItemRestoreError for an
   * unknown id.
   */
  async restoreItem(kind: 'actionItem' | 'decision', id: string): Promise<ActionItem | Decision | undefined> {
    if (!this.wiring.streaming()) return undefined;
    const { ledger, events } = this.wiring;
    const latest = ledger.latest(kind, id);
    if (!latest) throw new ItemRestoreError(`Session ${this.wiring.sessionId} has no ${kind === 'actionItem' ? 'action item' : 'decision'} ${JSON.stringify(id)}.`);
    const next = restoreRevision(latest);
    if (!next) return latest;
    const { sessionId: _s, ...rest } = next;
    const record = { type: kind, ...rest } as ActionItemRecord | DecisionRecord;
    ledger.revised([record]);
    await this.wiring.append(record).catch((e: unknown) => {
      if (e instanceof JournalWriteError) this.wiring.journalFailed(e);
      throw e;
    });
    this.wiring.announce(() => (kind === 'actionItem' ? events.actionItem(next as ActionItem) : events.decision(next as Decision)));
    this.wiring.notes.schedule();
    return next;
  }

  /** Boxes the user ticked or unticked by hand in the notes file become `done` revisions (journaled, announced). */
  async readBackTicks(): Promise<void> {
    if (!this.wiring.notesPath) return; // a dictation session writes no notes
    const notes = await readIfExists(this.wiring.notesPath).catch(() => undefined);
    for (const edit of this.wiring.ledger.handTicks(notes)) await this.recordDone(edit.id, edit.done);
  }

  /** The item's next revision with `done` (none if it already is): in the ledger, then journaled, then announced. */
  private async recordDone(id: string, done: boolean): Promise<{ item: ActionItem; changed: boolean }> {
    const revision = this.wiring.ledger.markDone(id, done);
    if (!revision.changed) return revision;
    const { sessionId: _s, ...record } = revision.item;
    await this.wiring.append({ type: 'actionItem', ...record });
    this.wiring.announce(() => this.wiring.events.actionItem(revision.item));
    return revision;
  }
}
