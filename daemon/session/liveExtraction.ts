/**
 * The opt-in language-model extraction while the meeting runs: each chunk of the meeting (modelExtract.ts's chunks, the
 * same as at stop) is sent as soon as it is closed (more lines can no longer change it) and whisper is idle (no decode
 * queued or running, no final waiting for one, for IDLE_SETTLE_MS): one chunk at a time, through the provider's runner
 * (the session's ChunkRunner). What the answers so far make of the items and decisions is journaled, then announced,
 * and the notes file follows (modelRevisions.ts). At stop only the chunks not yet sent are left: they are sent (as many
 * at once as the settings allow), and the run's `refinement` record is written as the at-stop extraction writes it.
 * After each chunk the rolling summary is revised from the summary so far and that chunk's lines (modelSummary.ts)
 * and journaled as a `summary` record before the notes (and the summary notification) follow; a model that fell
 * behind (a closed chunk waits) answers the chunks first and revises the summary once for two of them. At stop, after
 * the last chunk, the summary settles against the final decisions and action items (one more call, journaled as a
 * `summary` record, settled or saying why not) before the run's record, the end and the final notes.
 * While a live chunk is being answered, a model on this machine whose threads share whisper's cores yields to whisper:
 * paused (runner.pause()) the moment whisper has work (speech in a VAD gate, a decode queued or running, a final
 * waiting), resumed where it was once it has none (a ggml thread sharing a core holds back all of whisper's). One on
 * cores whisper leaves it (runner.holdsForWhisper(): the daemon's threads, host.ts) or on a GPU works whenever there is
 * work, and starts a chunk without waiting for whisper to be idle. With every closed chunk sent,
 * such a model reads the open chunk's lines ahead as they come (runner.preload(), at the same idle moments, held the
 * same way), so that when the chunk closes, or the meeting stops, only the lines since are left to read: a chunk's
 * prompt sent live says it is the last part so far ("Part k of k"), as it was while its lines were read.
 * With the settings' carryNotes (carried notes: prompt v8 by default, runner.carryNotes), each chunk's prompt carries what the chunks before it
 * noted: a chunk goes only once every chunk before it is answered (one at a time live, and in order at stop), the open
 * chunk is read ahead only then and with the same notes (they sit before its lines: the start of its prompt), and the
 * answers are merged with their cites, merges and standing changes (a decision's standing history is journaled).
 *
 * Owns the run's state: a copy of the session's journal records (the session hands it each record it journals), the
 * chunks sent and their answers (sentChunks.ts), the run's counts. It writes to the journal only through the
 * session's `append`, never fails the session (a model's failure leaves the rules' notes), and sends nothing once
 * cancelled (earshot/extraction/cancel), the budget is spent or the client declined.
 */
import { ActionItem, Decision } from '../../protocol/protocol';
import { JournalContents, JournalRecord, lastSummary, latestById, PartNotesRecord, partNotesRecord, partNotesRenamed, SummaryRecord, summaryRecord, summarySoFarOf } from '../journal/journal';
import { noteParts } from '../understanding/summaryFromParts';
import { Renamed, renameMentions } from '../speakers/labels';
import {
  ChunkLine, chunkLines, chunkLinesOf, closedChunks, ModelChunk, modelExtractionRecords, ModelRunSummary, shownItems, withItems,
} from '../understanding/modelExtract';
import { ReducedExtraction } from '../understanding/chunkMerge';
import { templateSectionsRecord } from '../understanding/templateSections';
import { finalOutcomes, RolledSummary, rollOver, settleAtStop, settleExtrasOf, settleHasWork, SummarySoFar, whyNotAsked } from '../understanding/modelSummary';
import { ChunkRunner } from './config';
import { Ledger } from './ledger';
import { baseRecords, EntryRecord, modelAddedIds, revisionsToward } from './modelRevisions';
import { SentChunks } from './sentChunks';
import { StopProgress } from '../understanding/stopProgress';
import { CheckStep, checkHasWork } from '../understanding/checksAtStop';
import { NotedEntry } from '../understanding/carriedNotes';

/** Whisper must have been idle this long before a chunk is sent: a decode that follows at once is not raced. */
export const IDLE_SETTLE_MS = 250;
/**
 * While the model is paused for whisper, how often whether whisper still has work is read again: not every end of its
 * work is an event (a final's pending count drops inside the recognizer's loop). Pausing needs no poll: it is at once.
 */
export const YIELD_POLL_MS = 50;
/**
 * A model that fell behind revises the summary once for this many chunks (their lines together, within as many
 * chunks' characters) rather than once each: the items come first, and a revision's answer is written once.
 */
export const SUMMARY_MERGE_CHUNKS = 2;

export interface LiveExtractionWiring {
  sessionId: string;
  runner: ChunkRunner;
  ledger: Ledger;
  /** Journals a record (flushed when it resolves); the session hands it back to journaled() at once. */
  append(record: JournalRecord): Promise<void>;
  /** How long whisper has been idle (ms), undefined while it is busy (SessionStats.recognizerIdleMs). */
  recognizerIdleMs(): number | undefined;
  /** Whisper has work now or about to (SessionStats.whisperHasWork): the model in flight yields. */
  whisperHasWork(): boolean;
  /** Capture time (s) before which every final is in: a final still to come starts at or after it. */
  horizon(): number;
  /** Announces revisions already journaled. */
  announce(items: ActionItem[], decisions: Decision[]): void;
  /** The items changed: the notes file is re-rendered. */
  notesChanged(): void;
  /** A journal write failed (the session stops). */
  failed(e: unknown): void;
}

const isEntry = (r: JournalRecord): r is EntryRecord => r.type === 'actionItem' || r.type === 'decision';

export class LiveExtraction {
  /** Every record of the session's journal so far, header first. */
  private readonly records: JournalRecord[];
  /** The chunks sent and their answers (prompt v7: with the settings' carryNotes, runner.carryNotes). */
  private readonly sent: SentChunks;
  /** The run so far (tokens, counts, model), carried from call to call. */
  private sofar: ModelRunSummary | undefined;
  /** Ids the model revised or added in this session. */
  private readonly published = new Set<string>();
  private running: Promise<void> | undefined;
  /** The meeting's closed chunks, with when the line that closed each starts (undefined: a final came since). */
  private closed: { lines: ChunkLine[]; closingT0: number }[] | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Nothing more is sent while the meeting runs: stopping, cancelled, budget spent or the client declined. */
  private over = false;
  /** The client declined (no model, no consent): nothing more is sent, at stop either. */
  private declined = false;
  /** The rolling summary so far (the last journaled) and how many of the meeting's chunks it has read. */
  private readonly summary: SummarySoFar;
  /** The open chunk as last read ahead (runner.preload()), as a key: read again only once it changed. */
  private preloaded: string | undefined;
  /** The open chunk and its key, worked out again after each record journaled. */
  private open: { chunk: ModelChunk; key: string } | null | undefined;
  /** The model is paused for whisper (runner.pause()). */
  private yielded = false;
  private yieldPoll: NodeJS.Timeout | undefined;
  /**
   * The voices renamed so far, in order. A model's answer to a prompt written before a rename names the old name: it
   * is read with the renames since its prompt applied, or its owner (and its summary points) would undo the rename.
   */
  private readonly renames: Renamed[] = [];
  /** At stop, once the stop's run held its end back: the steps after it as the client is told them (runner.stopProgress). */
  private steps: StopProgress | undefined;

  /** `records`: the journal so far (a resumed session's; a new one's header). */
  constructor(private readonly wiring: LiveExtractionWiring, records: readonly JournalRecord[]) {
    this.records = [...records];
    this.sent = new SentChunks(wiring.runner.carryNotes === true);
    for (const id of modelAddedIds(records)) this.published.add(id);
    for (const r of records) if (isEntry(r) && (r.refinedBy !== undefined || r.dismissed !== undefined)) this.published.add(r.id);
    // A resumed session rolls on from its last summary: the chunks it read are not read again.
    this.summary = summarySoFarOf(records);
  }

  /** Chunks sent so far (tests, health). */
  get chunksSent(): number {
    return this.sent.length;
  }

  /** The chunks' answers so far, merged (what the at-stop extraction reduces for the same answers). */
  reduced(): ReducedExtraction {
    return this.sent.reduced();
  }

  /**
   * A voice was renamed (session/speakers.ts): the summary so far names it anew, as a revision of the summary to journal
   * (none when no point names it), and so do the parts' notes (the settle of v10 composes from them: a revision of each
   * part that names it); the next revision starts from them.
   */
  renamed(renamed: Renamed): (SummaryRecord | PartNotesRecord)[] {
    this.renames.push(renamed);
    this.sent.renamed(renamed);
    const rename = (text: string) => renameMentions(text, renamed);
    for (const part of this.summary.parts ?? []) part.points = part.points.map((p) => ({ ...p, text: rename(p.text) }));
    const parts = partNotesRenamed(this.records, rename);
    const last = lastSummary(this.records);
    if (!last) return parts;
    const points = last.points.map((p) => ({ ...p, text: rename(p.text) }));
    if (points.every((p, i) => p.text === last.points[i].text)) return parts;
    this.summary.points = points;
    // The earlier revisions too: the settle may bring back what they said (under the name the voice has now).
    this.summary.earlier = this.summary.earlier?.map((revision) => revision.map((p) => ({ ...p, text: rename(p.text) })));
    return [{ ...last, at: new Date().toISOString(), points }, ...parts];
  }

  /** The session journaled `record`: a final may close a chunk. */
  journaled(record: JournalRecord): void {
    this.records.push(record);
    this.open = undefined; // a line, or an item shown with the open chunk's lines
    if (record.type !== 'segment' && record.type !== 'speakers') return; // a line, or lines' speakers, changed
    this.closed = undefined;
    this.poke();
  }

  /**
   * Sends the next closed chunk once whisper has been idle for IDLE_SETTLE_MS; called after each final and each decode,
   * and, while a closed chunk waits, every IDLE_SETTLE_MS until whisper is idle (cheap: a counter and a clock). With
   * no closed chunk left to send, a model on this machine reads the open chunk's new lines ahead the same way.
   */
  poke(): void {
    this.whisperActivity();
    if (this.running || this.over || this.timer) return;
    if (this.wiring.runner.signal.aborted) return void (this.over = true);
    const chunk = this.nextClosed();
    const ahead = chunk ? undefined : this.openToPreload();
    if (!chunk && !ahead) return;
    // A model that yields to whisper (on cores whisper uses too) waits for speech to close too: its decodes are about
    // to come. One on cores of its own (or a GPU) starts at once. A provider elsewhere waits for the recognizer to be idle.
    const runner = this.wiring.runner;
    const holds = runner.pause !== undefined && (runner.holdsForWhisper?.() ?? true);
    const ownCores = runner.pause !== undefined && !holds;
    const idleMs = holds && this.wiring.whisperHasWork() ? undefined : this.wiring.recognizerIdleMs();
    if (!ownCores && (idleMs === undefined || idleMs < IDLE_SETTLE_MS)) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.poke();
      }, IDLE_SETTLE_MS - (idleMs ?? 0));
      this.timer.unref?.();
      return;
    }
    const work = chunk ? this.extract([withItems(chunk.lines, this.sent.length, shownItems(baseRecords(this.records)))], true) : this.preload(ahead!);
    this.running = work
      .catch((e) => this.wiring.failed(e))
      .finally(() => {
        this.running = undefined;
        this.release();
        this.poke();
      });
  }

  /**
   * Whether whisper has work may have changed (a decode asked or answered, speech opened or closed in a gate): while a
   * chunk is being answered, the model is paused at once when it has, resumed when it has none.
   */
  whisperActivity(): void {
    if (!this.running || !this.wiring.runner.pause) return this.release();
    if (!this.wiring.whisperHasWork()) return this.release();
    if (!this.yielded) {
      this.yielded = true;
      this.wiring.runner.pause();
    }
    if (!this.yieldPoll) {
      this.yieldPoll = setTimeout(() => {
        this.yieldPoll = undefined;
        this.whisperActivity();
      }, YIELD_POLL_MS);
      this.yieldPoll.unref?.();
    }
  }

  /** The model goes on (it was paused for whisper). */
  private release(): void {
    clearTimeout(this.yieldPoll);
    this.yieldPoll = undefined;
    if (!this.yielded) return;
    this.yielded = false;
    this.wiring.runner.resume?.();
  }

  /**
   * At stop (every final journaled): the chunks not yet sent are, then the run's records and its `refinement` record
   * are journaled and announced. Never rejects for the model's sake; a journal failure goes to `failed`.
   */
  async finish(): Promise<void> {
    this.over = true;
    clearTimeout(this.timer);
    // Every final is in: the chunk in flight and those left run without yielding, and on every core.
    this.release();
    this.wiring.runner.whisperDone?.();
    await this.running;
    try {
      const all = this.lines();
      const chunks = chunkLines(all, this.wiring.runner.chunkOptions);
      this.sent.keepMatching(chunks);
      if (!chunks.length) return;
      const shown = shownItems(baseRecords(this.records));
      const rest = this.declined ? [] : chunks.slice(this.sent.length).map((lines, k) => withItems(lines, this.sent.length + k, shown));
      // Cancelled or the budget spent meanwhile: the runner sends none of them, and says how the run ended.
      await this.extract(rest, false);
      // With the settings' checks at stop: restatements folded, the meeting's own procedure dropped, owners named.
      await this.checksAtStop();
      // Every item and decision is journaled: the summary settles against them, before the run's record and the end.
      await this.settle();
      const summary = this.sofar!;
      // As at stop: a run that got no answer at all leaves no trace.
      if (summary.state === 'done' && summary.finished === summary.failed && this.sent.unanswered && !this.published.size) return;
      await this.publish(true);
    } catch (e) {
      this.wiring.failed(e);
    } finally {
      // The notes are final (or as final as a failure left them): the run's end, which the stop's run held back.
      this.steps?.end();
      this.wiring.runner.close();
    }
  }

  /**
   * The open chunk, when every chunk before it was sent and it changed since it was last read ahead: as its call will
   * start (its index, its lines so far, the items shown with them) with the summary so far its revision starts from.
   */
  private openToPreload(): { chunk: ModelChunk; key: string } | undefined {
    if (!this.wiring.runner.preload || this.declined) return undefined;
    if (this.open === undefined) {
      const chunks = chunkLines(this.lines(), this.wiring.runner.chunkOptions);
      if (chunks.length !== this.sent.length + 1 || this.summary.chunks !== this.sent.length) {
        this.open = null; // chunks before it still to send (or to summarize): they come first
      } else {
        const lines = withItems(chunks[chunks.length - 1], this.sent.length, shownItems(baseRecords(this.records)));
        const chunk = this.sent.carry ? this.sent.withNoted(lines) : lines;
        const last = chunk.lines[chunk.lines.length - 1];
        this.open = { chunk, key: JSON.stringify([chunk.index, chunk.lines.length, last.segmentId, last.text, chunk.items, chunk.noted, this.summary.chunks]) };
      }
    }
    return this.open && this.open.key !== this.preloaded ? this.open : undefined;
  }

  /** Reads the open chunk ahead (the model holds for whisper meanwhile, as for a chunk's call). */
  private async preload(open: { chunk: ModelChunk; key: string }): Promise<void> {
    this.preloaded = open.key;
    await this.wiring.runner.preload!(open.chunk, this.summary.points);
  }

  /** The meeting's lines so far, as the chunks see them. */
  private lines(): ChunkLine[] {
    return chunkLinesOf(this.records);
  }

  /**
   * The next chunk to send while the meeting runs: closed, and no final still to come can sort into it (its closing
   * line starts before the horizon). The closed chunks are worked out again only when a final came.
   */
  private nextClosed(): { lines: ChunkLine[] } | undefined {
    if (!this.closed) {
      const lines = this.lines();
      const t0Of = new Map(this.records.flatMap((r) => (r.type === 'segment' ? [[r.segmentId, r.t0] as const] : [])));
      this.closed = closedChunks(lines, this.wiring.runner.chunkOptions).map((c) => ({ lines: c.lines, closingT0: t0Of.get(lines[c.through].segmentId)! }));
      this.sent.keepMatching(this.closed.map((c) => c.lines));
    }
    const next = this.closed[this.sent.length];
    return next && next.closingT0 < this.wiring.horizon() ? next : undefined;
  }

  /** Sends `chunks` (all of them: nothing is sent once cancelled), journals what they found, then revises the summary. */
  private async extract(chunks: ModelChunk[], live: boolean): Promise<void> {
    const ofChunks = chunkLines(this.lines(), this.wiring.runner.chunkOptions).length;
    const asked = this.renames.length;
    // At stop, steps follow the chunks (the summary, the checks, the settle): the run's end waits for them.
    const { runner } = this.wiring;
    const endFollows = !live && runner.stopProgress !== undefined;
    const run = await runner.run(chunks, { live, ofChunks, ...(this.sofar ? { continues: this.sofar } : {}), ...(this.sent.carry ? { earlier: this.sent.earlier() } : {}), ...(endFollows ? { endFollows } : {}) });
    this.sent.add(chunks, run.answers, this.renames.slice(asked));
    this.sofar = run.summary;
    if (endFollows) this.steps = runner.stopProgress!(run, () => this.sofar!);
    if (run.declined) this.declined = true;
    if (run.declined || run.summary.state !== 'done') this.over = true;
    // At stop too: the items are in the notes before the summary's revision is asked for.
    if (run.answers.some((a) => a !== null)) await this.publish(false);
    // Behind (a closed chunk waits), the items come first: the summary is revised once two chunks wait for it.
    if (!live || !this.behind() || this.sent.length - this.summary.chunks >= SUMMARY_MERGE_CHUNKS) {
      if (!live) this.steps?.step('summary');
      await this.summarize(live);
    }
  }

  /** A summary call's answer, with the renames made while it was asked applied to its points. */
  private async renamedAfter(ask: () => Promise<RolledSummary>): Promise<RolledSummary> {
    const asked = this.renames.length;
    const rolled = await ask();
    const since = this.renames.slice(asked);
    if (!rolled.points || !since.length) return rolled;
    return { ...rolled, points: rolled.points.map((p) => ({ ...p, text: since.reduce((text, r) => renameMentions(text, r), p.text) })) };
  }

  /** A closed chunk waits to be sent (the model fell behind the meeting). */
  private behind(): boolean {
    this.nextClosed(); // works the closed chunks out
    return (this.closed?.length ?? 0) > this.sent.length;
  }

  /**
   * Revises the rolling summary with the chunks sent and not read yet (in meeting order: one small call each, or
   * SUMMARY_MERGE_CHUNKS chunks' lines in one when they waited together), journals each revision, then has the notes
   * (and the summary announced with them) follow. Nothing is asked once the run was declined, cancelled or out of
   * budget; the summary calls' tokens count in the run's. `live`: the meeting goes on (a part is not noted while a closed chunk waits).
   */
  private async summarize(live: boolean): Promise<void> {
    await rollOver(this.sent.all, this.summary, {
      mergeChars: SUMMARY_MERGE_CHUNKS * this.wiring.runner.chunkOptions.chunkChars,
      ask: (previous, chunk) => this.renamedAfter(() => this.wiring.runner.summarize(previous, chunk)),
      mayAsk: () => !this.declined && this.sofar?.state === 'done' && !this.wiring.runner.signal.aborted,
      spent: (tokens) => { this.sofar = { ...this.sofar!, tokens: this.sofar!.tokens + tokens }; },
      revised: async (model) => {
        await this.wiring.append(summaryRecord(this.sofar!, model, this.summary));
        this.wiring.notesChanged();
      },
    });
    // With the settle of v10: notes on each part read (understanding/summaryFromParts.ts), journaled as they come; not
    // while a closed chunk waits (the items and the revision catch up first; the stop asks what is left).
    const { notePart } = this.wiring.runner;
    if (!notePart || (live && this.behind())) return;
    await noteParts(this.sent.all, this.summary, {
      ask: (chunk) => this.renamedAfter(() => notePart(chunk)),
      mayAsk: () => !this.declined && this.sofar?.state === 'done' && !this.wiring.runner.signal.aborted,
      spent: (tokens) => { this.sofar = { ...this.sofar!, tokens: this.sofar!.tokens + tokens }; },
      noted: (part, model) => this.wiring.append(partNotesRecord(this.sofar!, model, part)),
    });
  }

  /**
   * The checks at stop, in this order, once every chunk's items are journaled (each with carried notes and a runner
   * that makes it): the restatement check (understanding/restatements.ts) folds entries that say again what another
   * says; the procedure check (procedureCheck.ts) drops decisions that are only the meeting's running; the owner check
   * (ownerCheck.ts) names the owners of items left without one, from the lines they were noted from. Each reads the
   * lists the one before left; what it changes is journaled and announced before the summary settles against them.
   * Bounded by the provider's time limit; a check with no valid answer leaves the lists as they are.
   */
  private async checksAtStop(): Promise<void> {
    const { restate, checkProcedure, checkOwners } = this.wiring.runner;
    await this.checkAtStop('restatements', restate && ((entries) => restate(entries)), (c) => c.groups, (groups) => this.sent.restated(groups));
    await this.checkAtStop('decisions', checkProcedure && ((entries) => checkProcedure(entries, this.sent.lines())), (c) => c.dropped, (ids) => this.sent.procedureChecked(ids));
    // A voice renamed while the owner check is asked: the owner it names goes by the new name.
    const asked = this.renames.length;
    await this.checkAtStop('owners', checkOwners && ((entries) => checkOwners(entries, this.sent.lines())), (c) => c.fills,
      (fills) => this.sent.ownersChecked(fills, this.renames.slice(asked)));
  }

  /**
   * One check at stop (`step`, as the client is told it): asked when the runner makes it and the run may ask more, its
   * tokens counted; what it `found` applied and published.
   */
  private async checkAtStop<T extends { tokens: number }, F>(step: CheckStep, ask: ((entries: readonly NotedEntry[]) => Promise<T>) | undefined,
    found: (check: T) => readonly F[] | null, apply: (found: readonly F[]) => void): Promise<void> {
    // Not when no part got an answer: a run that got none leaves no trace (as a stored meeting's extraction).
    if (!ask || !this.sent.carry || this.sent.unanswered || !this.sofar || whyNotAsked(this.sofar, this.declined, this.wiring.runner.signal.aborted)) return;
    const entries = this.sent.finalEntries();
    if (checkHasWork(step, entries)) this.steps?.step(step);
    const check = await ask(entries);
    this.sofar = { ...this.sofar, tokens: this.sofar.tokens + check.tokens };
    const changes = found(check);
    if (!changes?.length) return;
    apply(changes);
    await this.publish(false);
  }

  /**
   * At stop, once every chunk's items are journaled: the rolling summary settles (one call over it and the final
   * decisions and action items, modelSummary.ts's settleAtStop), and the outcome is journaled as a `summary` record: the
   * settled points, or the last rolling ones with why they were not settled (the call failed or timed out, the run was
   * cancelled or out of budget). The final notes, written after it, show it. Bounded by the provider's time limit.
   */
  private async settle(): Promise<void> {
    const last = lastSummary(this.records);
    if (!this.sofar || last?.settled !== undefined) return;
    const runner = this.wiring.runner;
    if (settleHasWork(this.summary, this.sent.length)) this.steps?.step('settle');
    const settled = await settleAtStop(this.summary, {
      ask: (previous) => this.renamedAfter(() => runner.settle(previous, finalOutcomes(this.records), settleExtrasOf(this.summary, previous, this.sent.length))),
      refused: () => whyNotAsked(this.sofar, this.declined, runner.signal.aborted),
      spent: (tokens) => { this.sofar = { ...this.sofar!, tokens: this.sofar!.tokens + tokens }; },
      chunks: this.sent.length,
    });
    if (settled) await this.wiring.append(summaryRecord(this.sofar, settled.settled ? settled.model : last?.by, this.summary, settled.settled ? { settled: true } : settled));
    // The template's 'model' sections, from the settled summary and the final lists (none when the run may ask nothing more).
    if (!runner.sections || whyNotAsked(this.sofar, this.declined, runner.signal.aborted)) return;
    this.steps?.step('sections');
    const written = await runner.sections(this.summary.points, finalOutcomes(this.records), this.sofar.tokens);
    this.sofar = { ...this.sofar, tokens: this.sofar.tokens + written.tokens };
    if (written.sections.length) {
      await this.wiring.append(templateSectionsRecord(written));
    }
  }

  /**
   * Journals (then announces) what the answers so far make of the items and decisions, as revisions of what the
   * journal holds; `final`: the run's `refinement` record after them.
   */
  private async publish(final: boolean): Promise<void> {
    const header = this.records[0] as JournalContents['header'];
    const base = baseRecords(this.records);
    const desired = modelExtractionRecords({ header, records: base, tornTail: false }, this.reduced(), this.sofar!);
    const refinement = desired.pop()!;
    const entries = desired.filter(isEntry);
    const latest = latestById(this.records.filter(isEntry));
    const changes = revisionsToward(entries, latest, latestById(base.filter(isEntry)), this.published, modelAddedIds(this.records));
    for (const e of entries) this.published.add(e.id);
    this.wiring.ledger.revised(changes); // a tick or a rule revision from now on builds on them
    // Appended in this order, at once: no other revision of these ids can come between.
    const writes = changes.map((r) => this.wiring.append(r));
    if (final) writes.push(this.wiring.append(refinement));
    await Promise.all(writes);
    if (!changes.length) return;
    const sessionId = this.wiring.sessionId;
    this.wiring.announce(
      changes.flatMap((r) => (r.type === 'actionItem' ? [(({ type: _t, ...i }) => ({ sessionId, ...i }))(r)] : [])),
      changes.flatMap((r) => (r.type === 'decision' ? [(({ type: _t, ...d }) => ({ sessionId, ...d }))(r)] : [])),
    );
    this.wiring.notesChanged();
  }
}
