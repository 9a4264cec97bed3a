/**
 * One recording session: wires capture → vad → asr → notes → journal per source and owns the state
 * machine IDLE → STREAMING → STOPPING → FINALIZING → DONE.
 *
 * Guarantees: a final segment is journaled (flushed) before it is announced; stop() waits for every
 * source to close and the recognizer to flush its last utterance; stop() twice returns the same
 * result; nothing is announced once the session is DONE.
 */
import * as path from 'node:path';
import {
  ActionItem, Decision, FilePace, LiveSourceKind, SessionMode, SessionState, SessionStateParams, SessionStopResult, SourceKind, SummaryParams, TranscriptSegment,
} from '../../protocol/protocol';
import { NOTES_RETRY_SEC, RecognizerCounters } from '../../protocol/protocol';
import { AudioFrame, AudioSource, SAMPLE_RATE } from '../capture/source';
import { Decoder, newRecognizerStats, recognize, RecognizedSegment, RecognizerStats, StreamingOptions, DEFAULT_STREAMING_OPTIONS } from '../asr/streaming';
import { DegradeLadder, DegradeRung, DegradeThresholds } from '../asr/degrade';
import { Journal, JournalContents, JournalRecord, JournalWriteError, readJournal, segmentsOf } from '../journal/journal';
import { errnoCode, finalNotesMessage, journalCreateMessage, journalWriteMessage, notesWriteMessage } from '../diskFaults';
import { utteranceNumber } from '../journal/recovery';
import { restoreSession } from './restored';
import { extract, SpokenLine } from '../understanding/extract';
import { ActionItemDoneError, doneRevision } from '../documents/done';
import { SegmentAnnotation } from '../anchoring/segmentContext';
import { DEFAULT_ECHO_OPTIONS, echoScore, EnvelopeHistory } from './echo';
import { handTicks, notesDigest, readIfExists, renderNotes, writeNotesFile } from '../documents/markdown';
import { DEFAULT_SEGMENTER_OPTIONS, segmentUtterances, SegmenterOptions, SpeechDetector, UtteranceCounter, UtteranceEvent } from '../vad/segmenter';

export interface SessionEvents {
  transcript(segment: TranscriptSegment): void;
  actionItem(item: ActionItem): void;
  decision(decision: Decision): void;
  state(params: SessionStateParams): void;
  /** The rolling (and at stop the final) summary and open questions. */
  summary?(params: SummaryParams): void;
}

export interface SessionConfig {
  sessionId: string;
  title: string;
  language: string;
  startedAt: Date;
  sources: AudioSource[];
  journalPath: string;
  /** '' for a dictation session. */
  notesPath: string;
  /** 'dictation': segments are journaled and sent, but no notes file is written and nothing is extracted or refined. */
  mode?: SessionMode;
  decoder: Decoder;
  /** A fresh detector per source: detectors keep state across frames. */
  createDetector(): SpeechDetector | Promise<SpeechDetector>;
  segmenter?: SegmenterOptions;
  streaming?: StreamingOptions;
  /** Set when the session transcribes a file, for the notes header. */
  audioFile?: string;
  /** Releases the session's lock (journal/lock.ts) once it is over, before DONE is announced. */
  unlock?(): Promise<void>;
  /** Journaled in the header, so a resume after a crash reopens the sources as they were. */
  pace?: FilePace;
  devices?: Partial<Record<LiveSourceKind, string>>;
  speakers?: Partial<Record<LiveSourceKind, string>>;
  /** Words to prime whisper with (workspace identifiers), read before each decode. */
  vocabulary?(): string;
  /** Called when the degrade ladder changes rung. */
  onDegrade?(level: number, rung: DegradeRung): void;
  degradeThresholds?: DegradeThresholds;
  /** Called when a mic segment is dropped because the mic heard the speakers (system audio); never with text. */
  onEchoSuppressed?(segmentId: string, score: number, final: boolean): void;
  /**
   * The opt-in language-model extraction over the whole meeting, run once at stop before the final notes are written
   * (absent: off): answers the records to journal (items it added, dismissal revisions, its `refinement` record). The
   * hook bounds its own time, can be cancelled and reports its own failures; it never rejects.
   */
  extractWithModel?(journal: JournalContents): Promise<JournalRecord[]>;
  /**
   * What a final segment is stamped with before it is journaled: its mentions of workspace files and symbols and
   * where the user was looking when it started. Must be quick and synchronous: the final waits for it.
   */
  annotate?(segment: { text: string; t0: number }): SegmentAnnotation;
}

/** Final lines re-read at each final: replies, assignments and corrections come within a few turns of what they refine. */
const EXTRACT_WINDOW_LINES = 40;

/**
 * Brings `announced` up to date with `found` and returns the new revisions to journal and announce: new entries,
 * changed ones, and (marked removed) announced ones whose segment is in the window but which were not found again.
 */
function reconcile<F, T extends { revision: number; segmentId: string; removed?: boolean }>(
  announced: Map<string, T>, found: { key: string; found: F }[], inWindow: Set<string | undefined>,
  make: (f: F, previous: T | undefined) => T, content: (t: T) => string,
): T[] {
  const out: T[] = [];
  const seen = new Set<string>();
  for (const { key, found: f } of found) {
    seen.add(key);
    const previous = announced.get(key);
    const next = make(f, previous);
    if (previous && !previous.removed && content(previous) === content(next)) continue;
    announced.set(key, next);
    out.push(next);
  }
  for (const [key, previous] of announced) {
    if (seen.has(key) || previous.removed || !inWindow.has(previous.segmentId)) continue;
    const removed = { ...previous, revision: previous.revision + 1, removed: true };
    announced.set(key, removed);
    out.push(removed);
  }
  return out;
}

/**
 * Leaves out the utterances numbered up to `count`: their finals were journaled before an interruption (utterances of
 * a source end in order, so every one up to the last journaled is done, journaled or empty).
 */
async function* skipFinalized(events: AsyncIterable<UtteranceEvent>, count: number): AsyncGenerator<UtteranceEvent> {
  for await (const event of events) {
    if (count === 0 || utteranceNumber(event.utterance.id) > count) yield event;
  }
}

/** How long after a final the live notes file is re-rendered (finals often come in bursts). */
const NOTES_REFRESH_MS = 1000;

export class Session {
  state: SessionState = 'idle';
  private readonly abort = new AbortController();
  private readonly capturedSamples = new Map<SourceKind, number>();
  private readonly backlog = new Map<SourceKind, number>();
  /** Per source: capture time of the oldest speech end still waiting for its final. */
  private readonly pendingSince = new Map<SourceKind, number>();
  /** Loudness contours of the mic and system audio, kept only when a session records both (echo suppression). */
  private readonly envelopes = new Map<SourceKind, EnvelopeHistory>();
  /** Mic segments with a partial on screen (an echo found later must retract them). */
  private readonly shownPartials = new Set<string>();
  /** Mic segments dropped as echoes of system audio. */
  echoesSuppressed = 0;
  /** The last EXTRACT_WINDOW_LINES final lines, and the items and decisions announced, by anchor (see extractItems). */
  private readonly spoken: SpokenLine[] = [];
  private readonly itemsByKey = new Map<string, ActionItem>();
  private readonly decisionsByKey = new Map<string, Decision>();
  /** The last summary announced, to send only changes. */
  private lastSummary: string | undefined;
  readonly degrade: DegradeLadder;
  private finals = 0;
  private itemCount = 0;
  private error: string | undefined;
  /** Set while the live notes file cannot be written (announced with the state; see SessionStateParams.notesError). */
  private notesError: string | undefined;
  /** Per source: what its recognizer gave up to keep up (health); and the lowest degrade rung reached. */
  private readonly recognizerStats = new Map<SourceKind, RecognizerStats>();
  private maxDegradeLevel = 0;
  /** Capture time (s) where the last journaled final ends: what a journal failure keeps. */
  private lastJournaledEnd = 0;
  private stopping: Promise<SessionStopResult> | undefined;
  private pipelines: Promise<void> = Promise.resolve();
  private ended: Promise<SessionStopResult> | undefined;
  private notesTimer: NodeJS.Timeout | undefined;
  private liveNotes: Promise<void> = Promise.resolve();
  /** Live sources paused by the user (announced with every state), and who waits for a source's pipeline to flush. */
  private paused: LiveSourceKind[] = [];
  private readonly flushWaiters = new Map<SourceKind, (() => void)[]>();
  /** The workspace folder last journaled (segments' paths are relative to it). */
  private workspaceRoot: string | undefined;
  /** Per source of a resumed session: utterances numbered before the interruption, and the last final text. */
  private readonly resumed = new Map<SourceKind, { utterances: number; lastText: string }>();

  private constructor(readonly config: SessionConfig, private readonly journal: Journal, private readonly events: SessionEvents) {
    this.degrade = new DegradeLadder((level, rung) => {
      this.maxDegradeLevel = Math.max(this.maxDegradeLevel, level);
      config.onDegrade?.(level, rung);
    }, config.degradeThresholds);
    const kinds = config.sources.map((s) => s.kind);
    if (kinds.includes('mic') && kinds.includes('system')) {
      this.envelopes.set('mic', new EnvelopeHistory());
      this.envelopes.set('system', new EnvelopeHistory());
    }
  }

  /** Creates the journal and starts every source. Resolves once the session is STREAMING. */
  static async start(config: SessionConfig, events: SessionEvents): Promise<Session> {
    // A full or read-only disk fails the start with what to do (no half-written journal is left: Journal.create).
    const journal = await Journal.create(config.journalPath, {
      sessionId: config.sessionId,
      title: config.title,
      startedAt: config.startedAt.toISOString(),
      sources: config.sources.map((s) => s.kind),
      language: config.language,
      notesPath: config.notesPath,
      ...(config.audioFile ? { audioFile: config.audioFile } : {}),
      mode: config.mode ?? 'meeting',
      ...(config.pace ? { pace: config.pace } : {}),
      ...(config.devices && Object.keys(config.devices).length ? { devices: config.devices } : {}),
      ...(config.speakers && Object.keys(config.speakers).length ? { speakers: config.speakers } : {}),
    }).catch((e: Error) => {
      throw Object.assign(new Error(journalCreateMessage(path.dirname(config.journalPath), e)), { code: errnoCode(e) ?? (e as JournalWriteError).code });
    });
    return new Session(config, journal, events).begin();
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
      const restored = restoreSession(await readJournal(config.journalPath), EXTRACT_WINDOW_LINES);
      const fromSec = Math.max(0, ...[...restored.sources.values()].map((s) => s.endSec));
      const atSec = Math.max(fromSec, (Date.now() - config.startedAt.getTime()) / 1000);
      await journal.append({ type: 'resume', at: new Date().toISOString(), fromSec, atSec });
      session = new Session(config, journal, events);
      session.restore(restored);
    } catch (e) {
      await journal.close().catch(() => undefined);
      throw e;
    }
    session.begin();
    if (session.mode !== 'dictation') session.liveNotes = session.writeNotes().catch(() => undefined);
    return session;
  }

  /** Where a resumed session was: counters, items and the extraction window, the last text per source. */
  private restore(restored: ReturnType<typeof restoreSession>): void {
    this.finals = restored.finals;
    this.itemCount = restored.itemCount;
    for (const [key, item] of restored.items) this.itemsByKey.set(key, item);
    for (const [key, decision] of restored.decisions) this.decisionsByKey.set(key, decision);
    this.spoken.push(...restored.spoken);
    this.workspaceRoot = restored.workspaceRoot;
    for (const [kind, entry] of restored.sources) {
      this.lastJournaledEnd = Math.max(this.lastJournaledEnd, entry.endSec);
      this.resumed.set(kind, { utterances: entry.utterances, lastText: entry.lastText });
      this.capturedSamples.set(kind, Math.round(entry.endSec * SAMPLE_RATE));
    }
    if (this.capturedSamples.size === 0 && restored.capturedSec > 0) {
      this.capturedSamples.set(this.config.sources[0]?.kind ?? 'file', Math.round(restored.capturedSec * SAMPLE_RATE));
    }
  }

  /** STREAMING: every source's pipeline runs. */
  private begin(): this {
    this.setState('streaming');
    this.pipelines = Promise.all(this.config.sources.map((s) => this.runSource(s))).then(() => undefined);
    // Sources that end by themselves (a file) end the session.
    this.ended = this.pipelines.then(() => this.stop());
    this.ended.catch(() => undefined); // reported to whoever awaits stop() or done()
    return this;
  }

  get id(): string {
    return this.config.sessionId;
  }

  /** Seconds captured by the longest-running source. */
  get capturedSec(): number {
    return Math.max(0, ...this.capturedSamples.values()) / SAMPLE_RATE;
  }

  /**
   * How far the pipeline is behind real time, in seconds: the longer of how long the newest audio waited to be
   * read and how long the oldest finished utterance has waited for its final (0 when audio is read faster than
   * real time).
   */
  get backlogSec(): number {
    // Read for every frame (the degrade ladder's input): plain loops, no arrays.
    const now = performance.now();
    let behind = 0;
    for (const waited of this.backlog.values()) behind = Math.max(behind, waited);
    for (const at of this.pendingSince.values()) behind = Math.max(behind, (now - at) / 1000);
    return behind;
  }

  get finalSegments(): number {
    return this.finals;
  }

  /** What the recognizers gave up to keep up, all sources together (health; the live sources' drops are the service's). */
  get recognizer(): Omit<RecognizerCounters, 'droppedSec'> {
    const sum: Omit<RecognizerCounters, 'droppedSec'> = {
      partialsDecoded: 0, partialsSkipped: 0, finals: 0, finalDecodes: 0, finalsPending: 0, pendingSec: 0, maxDegradeLevel: this.maxDegradeLevel,
    };
    for (const s of this.recognizerStats.values()) {
      sum.partialsDecoded += s.partialsDecoded;
      sum.partialsSkipped += s.partialsSkipped;
      sum.finals += s.finals;
      sum.finalDecodes += s.finalDecodes;
      sum.finalsPending += s.finalsPending;
      sum.pendingSec += s.pendingSamples / SAMPLE_RATE;
    }
    return sum;
  }

  get mode(): SessionMode {
    return this.config.mode ?? 'meeting';
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
    return new Promise((resolve) => this.flushWaiters.set(source, [...(this.flushWaiters.get(source) ?? []), resolve]));
  }

  private flushed(source: SourceKind): void {
    const waiters = this.flushWaiters.get(source) ?? [];
    this.flushWaiters.delete(source);
    waiters.forEach((resolve) => resolve());
  }

  /** Stops capture, flushes recognition, writes the notes. Safe to call any number of times. */
  stop(): Promise<SessionStopResult> {
    this.stopping ??= this.finish();
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
    await this.pipelines;
    this.setState('finalizing');
    clearTimeout(this.notesTimer);
    await this.liveNotes;
    await this.refine();
    let failure: string | undefined;
    try {
      await this.readBackTicks();
      await this.journal.append({ type: 'end', stoppedAt: new Date().toISOString(), capturedSec: this.capturedSec, ...(this.error ? { error: this.error } : {}) });
    } catch (e) {
      // The journal keeps every whole record before the failure; the notes are still rendered from it.
      if (e instanceof JournalWriteError) failure = this.journalFailed(e);
      else failure = (e as Error).message;
    }
    await this.journal.close().catch(() => undefined);
    if (this.mode !== 'dictation') {
      try {
        await this.writeNotes();
        this.notesError = undefined;
      } catch (e) {
        this.notesError = finalNotesMessage(this.config.notesPath, e);
        failure ??= this.notesError;
      }
    }
    const contents = await readJournal(this.config.journalPath);
    // Over: the session's lock goes before anyone hears so (another daemon may then treat the journal as ended).
    await this.config.unlock?.().catch(() => undefined);
    this.setState('done', failure ?? this.error);
    if (failure) throw new Error(failure);
    return {
      sessionId: this.id,
      notesPath: this.config.notesPath,
      journalPath: this.config.journalPath,
      segments: segmentsOf(contents.records),
    };
  }

  /** The opt-in language-model extraction: its records are journaled (and announced) before the end record. */
  private async refine(): Promise<void> {
    if (!this.config.extractWithModel || this.finals === 0 || this.mode === 'dictation') return;
    try {
      await this.journal.flushed(); // a tick from just before the stop
      const records = await this.config.extractWithModel(await readJournal(this.config.journalPath));
      for (const record of records) await this.journal.append(record);
      const items = records.flatMap((r) => (r.type === 'actionItem' ? [r] : []));
      const decisions = records.flatMap((r) => (r.type === 'decision' ? [r] : []));
      // A tick after this builds on the model's revision.
      for (const [key, item] of this.itemsByKey) {
        const revised = items.find((i) => i.id === item.id);
        if (revised) {
          const { type: _t, ...rest } = revised;
          this.itemsByKey.set(key, { sessionId: this.id, ...rest });
        }
      }
      this.announce(() => {
        items.forEach(({ type: _t, ...i }) => this.events.actionItem({ sessionId: this.id, ...i }));
        decisions.forEach(({ type: _t, ...d }) => this.events.decision({ sessionId: this.id, ...d }));
      });
    } catch {
      // The rule-based notes stand; the hook has reported why.
    }
  }

  private async runSource(source: AudioSource): Promise<void> {
    const frames = source.frames(this.abort.signal)[Symbol.asyncIterator]();
    try {
      const detector = await this.config.createDetector();
      const resumed = this.resumed.get(source.kind);
      // Resumed: a file is replayed from its start, numbering utterances as the first time; a live source numbers on.
      const ids: UtteranceCounter = { count: source.kind === 'file' ? 0 : resumed?.utterances ?? 0 };
      const alreadyFinal = resumed?.utterances ?? 0;
      // Whisper's prompt carries the previous sentence; after a resume, until this run's first final, that is the
      // last one journaled (the recognizer starts without one): the same prompt as without the interruption.
      let carried = resumed?.lastText ?? '';
      const base = this.config.streaming ?? DEFAULT_STREAMING_OPTIONS;
      const context = {
        options: () => this.degrade.options(base),
        vocabulary: () => {
          const words = this.config.vocabulary?.() ?? '';
          return carried ? [words, carried.slice(-this.degrade.options(base).promptChars)].filter(Boolean).join(' ') : words;
        },
        pendingSince: (at: number | undefined) => (at === undefined ? this.pendingSince.delete(source.kind) : this.pendingSince.set(source.kind, at)),
        normalOptions: () => base,
        stats: this.recognizerStats.get(source.kind) ?? newRecognizerStats(),
      };
      this.recognizerStats.set(source.kind, context.stats);
      // A pause marker ends a run: the segmenter and recognizer flush as at the end of the audio (the utterance in
      // progress gets its final), then a new run takes the frames after the resume, numbering utterances on.
      const input = { ended: false };
      const untilPause = async function* (): AsyncGenerator<AudioFrame> {
        for (let next = await frames.next(); ; next = await frames.next()) {
          if (next.done) return void (input.ended = true);
          if (next.value.pause) return;
          yield next.value;
        }
      };
      while (!input.ended) {
        const utterances = segmentUtterances(this.countCaptured(untilPause()), detector, this.config.segmenter ?? DEFAULT_SEGMENTER_OPTIONS, ids);
        for await (const segment of recognize(skipFinalized(utterances, alreadyFinal), this.config.decoder, context)) {
          if (segment.final && segment.text) carried = '';
          await this.accept(segment, source.speaker);
        }
        this.flushed(source.kind);
      }
    } catch (e) {
      // The session survives a failed source: what was finalized stays, the error is reported at the end. A journal
      // that cannot be written ends it: nothing more could be kept (and a final not journaled is never announced).
      if (e instanceof JournalWriteError) this.journalFailed(e);
      this.error ??= (e as Error).message;
      // Not awaited: a read of the source may be pending, and the return waits for it (the session's stop ends it).
      void frames.return?.(undefined).catch(() => undefined);
    } finally {
      this.flushed(source.kind); // nobody waits for a flush that can no longer come
    }
  }

  private async *countCaptured(frames: AsyncIterable<AudioFrame>): AsyncGenerator<AudioFrame> {
    for await (const frame of frames) {
      this.capturedSamples.set(frame.source, frame.startSample + frame.samples.length);
      this.envelopes.get(frame.source)?.push(frame.startSample, frame.samples);
      if (frame.capturedAt !== undefined) {
        const now = performance.now();
        this.backlog.set(frame.source, Math.max(0, (now - frame.capturedAt) / 1000));
        this.degrade.observe(this.backlogSec, now);
      }
      yield frame;
    }
  }

  /** The mic heard the speakers: its contour follows what system audio played (see echo.ts). */
  private isEcho(recognized: RecognizedSegment): boolean {
    const mic = this.envelopes.get('mic'), system = this.envelopes.get('system');
    if (recognized.source !== 'mic' || !mic || !system || !recognized.text) return false;
    const score = echoScore(mic, system, recognized.startSample, recognized.endSample);
    if (score < DEFAULT_ECHO_OPTIONS.threshold) return false;
    if (recognized.final) this.echoesSuppressed++;
    this.config.onEchoSuppressed?.(recognized.segmentId, score, recognized.final);
    return true;
  }

  private async accept(recognized: RecognizedSegment, speaker: string): Promise<void> {
    if (this.isEcho(recognized)) {
      if (!recognized.final) return;
      // Text already on screen as a partial is retracted by an empty final; otherwise nothing was ever said.
      if (!this.shownPartials.delete(recognized.segmentId)) return;
      recognized = { ...recognized, text: '' };
    } else if (recognized.final) {
      this.shownPartials.delete(recognized.segmentId);
    } else if (recognized.text) {
      this.shownPartials.add(recognized.segmentId);
    }
    const segment: TranscriptSegment = {
      sessionId: this.id,
      segmentId: recognized.segmentId,
      source: recognized.source,
      speaker,
      t0: recognized.startSample / SAMPLE_RATE,
      t1: recognized.endSample / SAMPLE_RATE,
      text: recognized.text,
      final: recognized.final,
    };
    if (!segment.final || !segment.text) {
      this.announce(() => this.events.transcript(segment));
      return;
    }
    await this.annotate(segment);
    const { sessionId: _id, final: _final, ...journaled } = segment;
    await this.journal.append({ type: 'segment', ...journaled });
    this.lastJournaledEnd = Math.max(this.lastJournaledEnd, segment.t1);
    this.finals++;
    if (this.mode === 'dictation') {
      // Dictation is text for the cursor: no items, no decisions, no notes file.
      this.announce(() => this.events.transcript(segment));
      return;
    }
    const { items, decisions } = this.extractItems({ speaker, text: segment.text, t0: segment.t0, segmentId: segment.segmentId });
    for (const { sessionId: _s, ...item } of items) await this.journal.append({ type: 'actionItem', ...item });
    for (const { sessionId: _s, ...decision } of decisions) await this.journal.append({ type: 'decision', ...decision });
    this.announce(() => {
      this.events.transcript(segment);
      items.forEach((i) => this.events.actionItem(i));
      decisions.forEach((d) => this.events.decision(d));
    });
    this.scheduleNotes();
  }

  /** Stamps a final with its mentions and the place the user was viewing; the workspace folder is journaled first. */
  private async annotate(segment: TranscriptSegment): Promise<void> {
    let annotation: SegmentAnnotation | undefined;
    try {
      annotation = this.config.annotate?.(segment);
    } catch {
      // A matcher fault costs the links, never the segment.
    }
    if (!annotation) return;
    if (annotation.root !== undefined && annotation.root !== this.workspaceRoot) {
      this.workspaceRoot = annotation.root;
      await this.journal.append({ type: 'workspace', root: annotation.root });
    }
    if (annotation.mentions?.length) segment.mentions = annotation.mentions;
    if (annotation.viewing) segment.viewing = annotation.viewing;
  }

  /**
   * Marks an action item done or not done (a new revision, journaled, announced, and the notes rewritten). Undefined
   * once the session is stopping: the caller marks it in the journal on disk once the session is done. Throws ActionItemDoneError for an unknown or withdrawn item.
   */
  async setActionItemDone(id: string, done: boolean): Promise<ActionItem | undefined> {
    // Stopping: the refinement may be about to write the item's next revision; it is marked after the end instead.
    if (this.state !== 'streaming') return undefined;
    const revision = this.markDone(id, done);
    if (!revision.changed) return revision.item;
    const { sessionId: _s, ...record } = revision.item;
    await this.journal.append({ type: 'actionItem', ...record }).catch((e: unknown) => {
      if (e instanceof JournalWriteError) this.journalFailed(e); // nothing more can be kept: the session stops
      throw e;
    });
    this.announce(() => this.events.actionItem(revision.item));
    // Stopped meanwhile: the final write is coming anyway.
    if (this.state === 'streaming') {
      this.liveNotes = this.liveNotes.then(() => this.writeNotes(new Set([id]))).then(() => this.notesWritten(), (e) => this.notesFailed(e));
      await this.liveNotes;
    }
    return revision.item;
  }

  /** The item's next revision with `done`, recorded as announced (synchronously: revisions never interleave). */
  private markDone(id: string, done: boolean): { item: ActionItem; changed: boolean } {
    const entry = [...this.itemsByKey].find(([, item]) => item.id === id);
    if (!entry) throw new ActionItemDoneError('unknown', `Session ${this.id} has no action item ${JSON.stringify(id)}.`);
    const [key, latest] = entry;
    const next = doneRevision(latest, done, this.id);
    if (!next) return { item: latest, changed: false };
    this.itemsByKey.set(key, next);
    return { item: next, changed: true };
  }

  /** Boxes the user ticked or unticked by hand in the notes file become `done` revisions (journaled, announced). */
  private async readBackTicks(): Promise<void> {
    if (!this.config.notesPath) return; // a dictation session writes no notes
    const previous = await readIfExists(this.config.notesPath).catch(() => undefined);
    const edits = handTicks(previous, [...this.itemsByKey.values()].map(({ sessionId: _s, ...item }) => ({ type: 'actionItem' as const, ...item })));
    for (const edit of edits) {
      const revision = this.markDone(edit.id, edit.done);
      if (!revision.changed) continue;
      const { sessionId: _s, ...record } = revision.item;
      await this.journal.append({ type: 'actionItem', ...record });
      this.announce(() => this.events.actionItem(revision.item));
    }
  }

  /**
   * Re-reads the last EXTRACT_WINDOW_LINES final lines with the new one and reconciles what it finds with what was
   * announced: an item keeps its id (keyed by the segment it is anchored to and its place there); a change of text,
   * owner or due is a new revision; an item that is no longer found while its segment is still in the window (the
   * request was declined, merged into the reply) gets a revision marked removed. Items anchored before the window
   * stay as they were.
   */
  private extractItems(line: SpokenLine): { items: ActionItem[]; decisions: Decision[] } {
    // Only the window is ever read again: lines before it are done with.
    this.spoken.push(line);
    if (this.spoken.length > EXTRACT_WINDOW_LINES) this.spoken.shift();
    const window = this.spoken;
    const inWindow = new Set(window.map((l) => l.segmentId));
    const found = extract(window, this.config.startedAt);
    const keyed = <T extends { segmentId?: string }>(list: T[]) => {
      const count = new Map<string, number>();
      return list.filter((x) => x.segmentId).map((x) => {
        const n = count.get(x.segmentId!) ?? 0;
        count.set(x.segmentId!, n + 1);
        return { key: `${x.segmentId}#${n}`, found: x };
      });
    };
    const t0Of = (segmentId: string) => window.find((l) => l.segmentId === segmentId)?.t0 ?? line.t0 ?? 0;
    const items = reconcile(this.itemsByKey, keyed(found.actionItems), inWindow, (f, prev): ActionItem => ({
      sessionId: this.id, id: prev?.id ?? `a${++this.itemCount}`, revision: (prev?.revision ?? 0) + 1, text: f.text, owner: f.owner,
      due: f.due, duePhrase: f.duePhrase, segmentId: f.segmentId!, t0: f.t0 ?? t0Of(f.segmentId!),
      // The user's tick outlives a refined wording.
      ...(prev?.done !== undefined ? { done: prev.done } : {}),
    }), (i) => [i.text, i.owner, i.due, i.duePhrase].join('\u0000'));
    const decisions = reconcile(this.decisionsByKey, keyed(found.decisions), inWindow, (f, prev): Decision => ({
      sessionId: this.id, id: prev?.id ?? `d${++this.itemCount}`, revision: (prev?.revision ?? 0) + 1, text: f.text, kind: f.kind ?? 'decision',
      segmentId: f.segmentId!, t0: f.t0 ?? t0Of(f.segmentId!),
    }), (d) => [d.text, d.kind].join('\u0000'));
    return { items, decisions };
  }

  /**
   * The live notes file trails the journal by a moment. A write that fails (read-only or missing folder, full disk) is
   * announced once (SessionStateParams.notesError) and retried every NOTES_RETRY_SEC while the session streams.
   */
  private scheduleNotes(delayMs = NOTES_REFRESH_MS): void {
    if (this.notesTimer || this.state !== 'streaming') return;
    this.notesTimer = setTimeout(() => {
      this.notesTimer = undefined;
      if (this.state === 'streaming') this.liveNotes = this.readBackTicks().then(() => this.writeNotes()).then(() => this.notesWritten(), (e) => this.notesFailed(e));
    }, delayMs);
  }

  private notesWritten(): void {
    if (this.notesError === undefined) return;
    this.notesError = undefined;
    if (this.state === 'streaming') this.setState('streaming');
  }

  private notesFailed(e: unknown): void {
    if (e instanceof JournalWriteError) return void this.journalFailed(e);
    const message = notesWriteMessage(this.config.notesPath, e);
    const changed = message !== this.notesError;
    this.notesError = message;
    if (this.state !== 'streaming') return;
    if (changed) this.setState('streaming');
    this.scheduleNotes(NOTES_RETRY_SEC * 1000);
  }

  /**
   * The journal took no more (disk full): the session stops at once, keeping what the journal holds. Returns the message
   * (set as the session's error).
   */
  private journalFailed(e: JournalWriteError): string {
    if (!this.error?.startsWith('Recording stopped: the session journal')) {
      const keptUntil = this.lastJournaledEnd;
      this.error = journalWriteMessage(this.config.journalPath, e, keptUntil);
    }
    if (this.state === 'streaming') void this.stop().catch(() => undefined);
    return this.error!;
  }

  /**
   * Renders from the journal over the file as it is now: the user's My notes and ticks are kept (see renderNotes).
   * `marked`: items just marked through the protocol, whose box follows the journal whatever the file says.
   */
  private async writeNotes(marked?: ReadonlySet<string>): Promise<void> {
    const journal = await readJournal(this.config.journalPath);
    const digest = notesDigest(journal);
    await writeNotesFile(this.config.notesPath, (previous) => renderNotes(journal, previous, { digest, ...(marked ? { marked } : {}) }));
    // The same summary and open questions go to the client, when they changed.
    const summary: SummaryParams = {
      sessionId: this.id, final: this.state !== 'streaming', bullets: digest.summary.bullets,
      openQuestions: digest.openQuestions.map((q) => ({ text: q.text, speaker: q.speaker ?? null, t0: q.t0 ?? 0 })),
    };
    const key = JSON.stringify(summary);
    if (key !== this.lastSummary) {
      this.lastSummary = key;
      this.announce(() => this.events.summary?.(summary));
    }
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
      ...(this.notesError && state === 'streaming' ? { notesError: this.notesError } : {}),
    });
  }
}
