/**
 * One recording session: the state machine IDLE → STREAMING → STOPPING → FINALIZING → DONE, and the wiring of its
 * parts. Each source's pipeline (sourcePipeline.ts) hands what it recognizes to accept(), which journals a final, has
 * the ledger (ledger.ts) find the items and decisions it brings, journals those, announces, and has the notes writer
 * (notesWriter.ts) refresh the notes file. Echo suppression: echo.ts; counters: stats.ts; the opt-in model extraction
 * while the meeting runs (the last chunks at stop): liveExtraction.ts; what a session is started with and tells its
 * owner: config.ts; its journal created or reopened: sessionJournal.ts; the user's ticks and restores while it runs:
 * edits.ts; what it does at stop once its sources have ended (FINALIZING): finalize.ts.
 *
 * Guarantees: a final segment (and every item revision) is journaled (flushed) before it is announced; stop() waits
 * for every source to close and the recognizer to flush its last utterance, at most SOURCES_STOP_LIMIT_MS (then the
 * session ends with that as its error); stop() twice returns the same result;
 * nothing is announced once the session is DONE; the lock is released before DONE is announced; a journal write
 * failure stops the session, keeping what is journaled.
 */
import {
  ActionItem, Decision, LiveSourceKind, RecognizerCounters, SessionMode, SessionState, SessionStopResult, SourceKind, SpeakerRenameResult, TranscriptSegment,
} from '../../protocol/protocol';
import { SAMPLE_RATE } from '../capture/source';
import { RecognizedSegment } from '../asr/streaming';
import { DegradeLadder } from '../asr/degrade';
import { Journal, JournalRecord, JournalWriteError, readJournal, segmentsOf } from '../journal/journal';
import { journalWriteMessage } from '../diskFaults';
import { SegmentAnnotation } from '../anchoring/segmentContext';
import { SessionConfig, SessionEvents } from './config';
import { EchoSuppressor } from './echo';
import { SessionEdits } from './edits';
import { finalizeSession } from './finalize';
import { latencyMark } from '../asr/latencyMarks';
import { Ledger } from './ledger';
import { LiveExtraction } from './liveExtraction';
import { NotesWriter } from './notesWriter';
import { RestoredSession } from './restored';
import { createSessionJournal, resumeJournal } from './sessionJournal';
import { FlushWaiters, PipelineWiring, ResumePoint, runSourcePipeline } from './sourcePipeline';
import { SessionSpeakers, sessionSpeakers } from './speakers';
import { shareText } from '../speakers/cuts';
import { SessionStats } from './stats';
import { DEFAULT_SEGMENTER_OPTIONS } from '../vad/segmenter';
import { TIMED_OUT, within } from '../../protocol/bounded';

/**
 * How long Stop waits for the sources to end, the last utterances to get their finals and the speakers to settle.
 * Room for a long final's decode on a slow CPU; a recorder gives up far sooner (runningRecorder.ts, STOP_LIMIT_MS).
 */
export const SOURCES_STOP_LIMIT_MS = 60_000;

export type { SessionConfig, SessionEvents } from './config';

export class Session {
  state: SessionState = 'idle';
  readonly degrade: DegradeLadder;
  private readonly abort = new AbortController();
  private readonly stats = new SessionStats();
  private readonly echo: EchoSuppressor;
  private readonly ledger: Ledger;
  private readonly notes: NotesWriter;
  /** What the user changes while the meeting runs: ticks, restores (edits.ts). */
  private readonly edits: SessionEdits;
  private readonly flushes = new FlushWaiters();
  /** Told when a source's voice detection opens or closes speech (auto-stop, service/autoStops.ts). */
  private readonly speechListeners = new Set<() => void>();
  /** A final cut where the voice changed: its last piece, which the turn that continues it goes on from (by its id). */
  private readonly lastPiece = new Map<string, string>();
  /** Who spoke each final, within each source (speakers.ts). */
  readonly speakers: SessionSpeakers;
  /** The opt-in model extraction while the meeting runs (absent: off, or a dictation). */
  private live: LiveExtraction | undefined;
  /** Per source of a resumed session: where it had got to before the interruption. */
  private resumed: ReadonlyMap<SourceKind, ResumePoint> = new Map();
  /** The workspace folder last journaled (segments' paths are relative to it). */
  private workspaceRoot: string | undefined;
  /** Live sources paused by the user (announced with every state). */
  private paused: LiveSourceKind[] = [];
  /** What went wrong (a source's failure; a journal failure replaces it), reported at the end. */
  private error: string | undefined;
  private pipelines: Promise<void> = Promise.resolve();
  private stopping: Promise<SessionStopResult> | undefined;
  private ended: Promise<SessionStopResult> | undefined;
  private endWith: ((result: Promise<SessionStopResult>) => void) | undefined;

  private constructor(readonly config: SessionConfig, private readonly journal: Journal, private readonly events: SessionEvents) {
    this.degrade = new DegradeLadder((level, rung) => {
      this.stats.degraded(level);
      config.onDegrade?.(level, rung);
    }, config.degradeThresholds);
    this.echo = new EchoSuppressor(config.sources.map((s) => s.kind), (segmentId, score, final) => config.onEchoSuppressed?.(segmentId, score, final));
    this.ledger = new Ledger(config.sessionId, config.startedAt);
    this.notes = new NotesWriter({
      sessionId: config.sessionId,
      notesPath: config.notesPath,
      journalPath: config.journalPath,
      streaming: () => this.state === 'streaming',
      readBackTicks: () => this.edits.readBackTicks(),
      summary: (params) => this.announce(() => this.events.summary?.(params)),
      errorChanged: () => {
        if (this.state === 'streaming') this.setState('streaming');
      },
      journalFailed: (e) => void this.journalFailed(e),
      written: () => this.announce(() => this.events.notesWritten?.({ sessionId: config.sessionId, notesPath: config.notesPath })),
    });
    this.edits = new SessionEdits({
      sessionId: config.sessionId, notesPath: config.notesPath, ledger: this.ledger, notes: this.notes, events,
      streaming: () => this.state === 'streaming',
      append: (record) => this.append(record),
      announce: (send) => this.announce(send),
      journalFailed: (e) => this.journalFailed(e),
    });
    this.speakers = sessionSpeakers(config, {
      append: (record) => this.append(record),
      owners: (changed, renamed) => this.ledger.respeak(changed, renamed),
      summaryRenamed: (renamed) => this.live?.renamed(renamed) ?? [],
      announce: (cause, segments, items, decisions) => this.announce(() => {
        if (segments.length) this.events.relabel?.({ sessionId: this.id, cause, segments });
        items.forEach((i) => this.events.actionItem(i));
        decisions.forEach((d) => this.events.decision(d));
      }),
      notesChanged: () => this.notes.schedule(),
      stateChanged: () => { if (this.state === 'streaming') this.setState('streaming'); },
      failed: (e) => { if (e instanceof JournalWriteError) this.journalFailed(e); },
    });
  }

  /** Extraction while the meeting runs, from the journal so far (`records`: a resumed session's, or just its header). */
  private startLiveExtraction(records: readonly JournalRecord[]): void {
    const runner = this.config.extractChunks;
    if (!runner || this.mode === 'dictation') return;
    this.live = new LiveExtraction({
      sessionId: this.id, runner, ledger: this.ledger,
      append: (record) => this.append(record),
      recognizerIdleMs: () => this.stats.recognizerIdleMs,
      whisperHasWork: () => this.stats.whisperHasWork,
      horizon: () => {
        const segmenter = this.config.segmenter ?? DEFAULT_SEGMENTER_OPTIONS;
        // A chunk goes to the model once its finals have their speakers too (the model reads the names).
        return Math.min(this.stats.finalsHorizon(this.config.sources.map((s) => s.kind), this.paused, segmenter.maxUtteranceSec + segmenter.preRollMs / 1000), this.speakers.horizon());
      },
      announce: (items, decisions) => this.announce(() => {
        items.forEach((i) => this.events.actionItem(i));
        decisions.forEach((d) => this.events.decision(d));
      }),
      notesChanged: () => this.notes.schedule(),
      failed: (e) => {
        if (e instanceof JournalWriteError) this.journalFailed(e);
      },
    }, records);
  }

  /** Journals a record (flushed when it resolves); the live extraction sees it at once. */
  private append(record: JournalRecord): Promise<void> {
    this.live?.journaled(record);
    return this.journal.append(record);
  }

  /** Creates the journal and starts every source. Resolves once the session is STREAMING. */
  static async start(config: SessionConfig, events: SessionEvents): Promise<Session> {
    const journal = await createSessionJournal(config);
    const session = new Session(config, journal, events);
    session.startLiveExtraction((await readJournal(config.journalPath)).records);
    return session.begin();
  }

  /**
   * Resumes a session whose daemon died, from its journal (config as the header says, startedAt included): the torn
   * last line is cut, a resume record appended, the state the session had in memory rebuilt (see restoreSession), the
   * notes file rewritten, and the sources started. A file source is read again from its start: its voice activity is
   * replayed (cheap, and exactly as the first time, so utterances get the same boundaries and ids) and the utterances
   * already final are skipped without decoding.
   */
  static async resume(config: SessionConfig, events: SessionEvents): Promise<Session> {
    const journal = await Journal.reopen(config.journalPath);
    let session: Session;
    try {
      const { contents, restored, resume } = await resumeJournal(journal, config);
      session = new Session(config, journal, events);
      session.restore(restored);
      session.speakers.restore(contents.records);
      // The chunks sent before the interruption are sent again: their answers were not kept (what they made is).
      session.startLiveExtraction([...contents.records, resume]);
    } catch (e) {
      config.extractChunks?.close();
      await journal.close().catch(() => undefined);
      throw e;
    }
    session.begin();
    if (session.mode !== 'dictation') session.notes.rewrite();
    return session;
  }

  /** Where a resumed session was: counters, items and the extraction window, where each source had got to. */
  private restore(restored: RestoredSession): void {
    this.stats.restore(restored, this.config.sources[0]?.kind ?? 'file');
    this.ledger.restore(restored);
    this.workspaceRoot = restored.workspaceRoot;
    this.resumed = restored.sources;
  }

  /** STREAMING: every source's pipeline runs. */
  private begin(): this {
    this.setState('streaming');
    const wiring: PipelineWiring = {
      // Counted: the language model waits for whisper to be idle (SessionStats.recognizerIdleMs).
      // A decode asked or speech heard: a local model in flight yields to whisper at once (LiveExtraction.whisperActivity).
      config: { ...this.config, decoder: this.stats.counting(this.config.decoder, () => this.live?.poke(), () => this.live?.whisperActivity()) },
      degrade: this.degrade, stats: this.stats, echo: this.echo, flushes: this.flushes,
      activity: () => {
        this.live?.whisperActivity();
        this.speechListeners.forEach((listener) => listener());
      },
      accept: (segment, speaker) => this.accept(segment, speaker),
      hear: (frame) => this.speakers.hear(frame),
      scored: (frame, speech) => this.speakers.scored(frame, speech),
      // The speech a final's decode is of: its cut where the voice changes starts beside the decode (issue 60).
      finalPending: (source, id, start, end) => this.speakers.finalPending(source, id, start / SAMPLE_RATE, end / SAMPLE_RATE),
      finalCancelled: (source, id) => this.speakers.finalCancelled(source, id),
      failed: (e) => {
        // The session survives a failed source: what was finalized stays, the error is reported at the end. A journal
        // that cannot be written ends it: nothing more could be kept (and a final not journaled is never announced).
        if (e instanceof JournalWriteError) this.journalFailed(e);
        this.error ??= (e as Error).message;
      },
    };
    const runs = this.config.sources.map((s) => runSourcePipeline(s, this.abort.signal, this.resumed.get(s.kind), wiring).then(() => {
      this.stats.sourceEnded(s.kind);
      this.live?.poke();
    }));
    this.pipelines = Promise.all(runs).then(() => undefined);
    // DONE comes with the stop's result, whoever asked: sources that end by themselves (a file), or stop() while a
    // source is stuck (then the pipelines never settle, and done() must not wait for them).
    this.ended = new Promise<SessionStopResult>((resolve, reject) => { this.endWith = (result) => result.then(resolve, reject); });
    this.ended.catch(() => undefined); // reported to whoever awaits stop() or done()
    void this.pipelines.then(() => this.stop()).catch(() => undefined);
    return this;
  }

  get id(): string {
    return this.config.sessionId;
  }

  get mode(): SessionMode {
    return this.config.mode ?? 'meeting';
  }

  /** Seconds captured by the longest-running source. */
  get capturedSec(): number {
    return this.stats.capturedSec;
  }

  /** How far the pipeline is behind real time, in seconds (see SessionStats.backlogSec). */
  get backlogSec(): number {
    return this.stats.backlogSec;
  }

  get finalSegments(): number {
    return this.stats.finals;
  }

  /** What the recognizers gave up to keep up, all sources together (health; the live sources' drops are the service's). */
  get recognizer(): Omit<RecognizerCounters, 'droppedSec'> {
    return this.stats.recognizer;
  }

  /** Mic segments dropped as echoes of system audio. */
  get echoesSuppressed(): number {
    return this.echo.suppressed;
  }

  get pausedSources(): readonly LiveSourceKind[] {
    return this.paused;
  }

  /** Records which live sources are paused and announces it (a state notification) when that changed. */
  setPaused(sources: LiveSourceKind[]): void {
    const next = [...new Set(sources)].sort();
    if (next.join() === this.paused.join()) return;
    this.paused = next;
    if (this.state === 'streaming') this.setState('streaming');
  }

  /**
   * Resolves when the pipeline of `source` has flushed: after a pause marker, once every utterance before it has its
   * final (journaled and sent), or when the source's pipeline ends. Ask before pausing the source.
   */
  whenFlushed(source: SourceKind): Promise<void> {
    return this.flushes.wait(source);
  }

  /** Whether any source's voice detection has speech open now. */
  get speaking(): boolean {
    return this.stats.anySpeaking;
  }

  /** Calls `listener` each time a source's voice detection opens or closes speech; answers how to stop. */
  onSpeech(listener: () => void): () => void {
    this.speechListeners.add(listener);
    return () => this.speechListeners.delete(listener);
  }

  /** Journals that the user cancelled the auto-stop (a resume then does not watch the call again). */
  autoStopCancelled(): Promise<void> {
    return this.append({ type: 'autoStop', state: 'cancelled', at: new Date().toISOString() });
  }

  /** Stops capture, flushes recognition, writes the notes. Safe to call any number of times. */
  stop(): Promise<SessionStopResult> {
    this.stopping ??= this.finish();
    this.endWith?.(this.stopping);
    return this.stopping;
  }

  /** Resolves when the session is DONE, whether stopped or ended by its sources. */
  done(): Promise<SessionStopResult> {
    return this.ended!;
  }

  private async finish(): Promise<SessionStopResult> {
    this.paused = []; // the session is ending: nothing is paused any more
    this.setState('stopping');
    this.abort.abort();
    // A source or recognizer that never ends must not hold the session in STOPPING (and its lock) for ever: it is left
    // behind, told as the session's error, and the session finalizes what its journal holds.
    const limitMs = this.config.stopLimitMs ?? SOURCES_STOP_LIMIT_MS;
    if (await within(this.pipelines.then(() => this.speakers.finish()), limitMs) === TIMED_OUT) {
      const stuck = `Capture or recognition did not end within ${limitMs / 1000} s of Stop: the notes hold what was journaled until then.`;
      this.error = this.error ? `${this.error} ${stuck}` : stuck;
    }
    this.setState('finalizing');
    const { failure, contents } = await finalizeSession({
      config: this.config, journal: this.journal, notes: this.notes, edits: this.edits, live: this.live,
      finals: () => this.stats.finals, capturedSec: () => this.capturedSec, error: () => this.error,
      journalFailed: (e) => this.journalFailed(e),
    });
    this.setState('done', failure ?? this.error);
    if (failure) throw new Error(failure);
    return {
      sessionId: this.id,
      notesPath: this.config.notesPath,
      journalPath: this.config.journalPath,
      segments: segmentsOf(contents.records),
    };
  }

  /**
   * What a source's pipeline recognized. A partial (or an empty final, retracting one) is only sent. A final is
   * stamped and journaled, the items and decisions it brings are found and journaled, and only then is it all
   * announced; the notes file follows a moment later.
   */
  private async accept(recognized: RecognizedSegment, speaker: string): Promise<void> {
    const shown = this.echo.filter(recognized);
    if (!shown) return;
    const segment: TranscriptSegment = {
      sessionId: this.id,
      segmentId: shown.segmentId,
      source: shown.source,
      speaker,
      t0: shown.startSample / SAMPLE_RATE,
      t1: shown.endSample / SAMPLE_RATE,
      text: shown.text,
      final: shown.final,
      ...(shown.continues !== undefined ? { continues: this.lastPiece.get(shown.continues) ?? shown.continues } : {}),
    };
    if (!segment.final || !segment.text) return this.announce(() => this.events.transcript(segment));
    // A final where the voice changes is cut there (one voice a line); every piece is journaled before any is announced.
    const shared = shareText(segment.text, await this.speakers.pieces(segment));
    latencyMark(segment.segmentId, 'cut');
    const pieces: TranscriptSegment[] = shared.length < 2 ? [segment] : shared.map((p, k) => ({
      ...segment, t0: p.start, t1: p.end, text: p.text,
      ...(k > 0 ? { segmentId: `${segment.segmentId}.${k + 1}`, continues: `${segment.segmentId}${k > 1 ? `.${k}` : ''}` } : {}),
    }));
    if (pieces.length > 1) this.lastPiece.set(segment.segmentId, pieces.at(-1)!.segmentId);
    const announcements = await this.journalFinals(pieces);
    latencyMark(segment.segmentId, 'journaled');
    this.announce(() => announcements.forEach((send) => send()));
    if (this.mode !== 'dictation') this.notes.schedule();
  }

  /**
   * Journals a final's pieces (their mentions, speakers, the items and decisions they bring) in one write, so that a
   * daemon killed meanwhile leaves all of them or none (a resume skips an utterance it finds journaled); returns how to
   * announce each.
   */
  private async journalFinals(pieces: TranscriptSegment[]): Promise<(() => void)[]> {
    for (const piece of pieces) await this.stamp(piece);
    // From the first label to the write, nothing awaits: a later change of a piece's speaker is journaled after it.
    const records: JournalRecord[] = [];
    const announcements = pieces.map((segment) => {
      this.speakers.label(segment);
      const { sessionId: _id, final: _final, speakerPending: _pending, ...journaled } = segment;
      records.push({ type: 'segment', ...journaled });
      // Dictation is text for the cursor: no items, no decisions, no notes file.
      if (this.mode === 'dictation') return () => this.events.transcript(segment);
      const { items, decisions } = this.ledger.extract({ speaker: this.speakers.current(segment), text: segment.text, t0: segment.t0, segmentId: segment.segmentId });
      for (const { sessionId: _s, ...item } of items) records.push({ type: 'actionItem', ...item });
      for (const { sessionId: _s, ...decision } of decisions) records.push({ type: 'decision', ...decision });
      return () => {
        this.events.transcript(this.speakers.latest(segment));
        items.forEach((i) => this.events.actionItem(i));
        decisions.forEach((d) => this.events.decision(d));
      };
    });
    records.forEach((record) => this.live?.journaled(record));
    await this.journal.appendAll(records);
    for (const piece of pieces) this.stats.journaled(piece.source, piece.t0, piece.t1);
    return announcements;
  }

  /** Stamps a final with its mentions and the place the user was viewing; the workspace folder is journaled first. */
  private async stamp(segment: TranscriptSegment): Promise<void> {
    let annotation: SegmentAnnotation | undefined;
    try {
      annotation = this.config.annotate?.(segment);
    } catch {
      // A matcher fault costs the links, never the segment.
    }
    if (!annotation) return;
    if (annotation.root !== undefined && annotation.root !== this.workspaceRoot) {
      this.workspaceRoot = annotation.root;
      await this.append({ type: 'workspace', root: annotation.root });
    }
    if (annotation.mentions?.length) segment.mentions = annotation.mentions;
    if (annotation.viewing) segment.viewing = annotation.viewing;
  }

  /**
   * Renders the notes file now over what it holds (earshot/notes/rewrite). False once the session is stopping: the
   * caller rewrites it from the journal once the session is done.
   */
  async rewriteNotes(): Promise<boolean> {
    if (this.state !== 'streaming' || this.mode === 'dictation') return false;
    await this.notes.writeNow();
    return true;
  }

  /** Marks an action item done or not done while the meeting runs (edits.ts); undefined once it is stopping. */
  setActionItemDone(id: string, done: boolean): Promise<ActionItem | undefined> {
    return this.edits.setActionItemDone(id, done);
  }

  /** Brings back an item or decision the language model dismissed, while the meeting runs (edits.ts). */
  restoreItem(kind: 'actionItem' | 'decision', id: string): Promise<ActionItem | Decision | undefined> {
    return this.edits.restoreItem(kind, id);
  }

  /**
   * Names a voice while the meeting runs (earshot/speakers/rename). Undefined once the session is stopping: the caller
   * renames it in the journal once the session is done. RangeError for a voice the source never had.
   */
  async renameSpeaker(source: SourceKind, voice: string, name: string | null): Promise<SpeakerRenameResult | undefined> {
    return this.state === 'streaming' ? this.speakers.rename(source, voice, name) : undefined;
  }

  /**
   * The journal took no more (disk full): the session stops at once, keeping what the journal holds. Returns the message
   * (set as the session's error).
   */
  private journalFailed(e: JournalWriteError): string {
    if (!this.error?.startsWith('Recording stopped: the session journal')) {
      this.error = journalWriteMessage(this.config.journalPath, e, this.stats.lastJournaledEnd);
    }
    if (this.state === 'streaming') void this.stop().catch(() => undefined);
    return this.error!;
  }

  private announce(send: () => void): void {
    if (this.state !== 'done') send();
  }

  private setState(state: SessionState, error?: string): void {
    this.state = state;
    this.events.state({
      sessionId: this.id,
      state,
      title: this.config.title,
      startedAt: this.config.startedAt.toISOString(),
      notesPath: this.config.notesPath,
      mode: this.mode,
      paused: [...this.paused],
      ...(error ? { error } : {}),
      ...(this.notes.error && state === 'streaming' ? { notesError: this.notes.error } : {}),
      ...(this.mode !== 'dictation' ? { speakers: this.speakers.state } : {}),
    });
  }
}
