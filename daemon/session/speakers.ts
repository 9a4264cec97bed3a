/**
 * The session's speakers: a speaker stage (speakers/stage.ts) per source that carries several voices, run beside the
 * source's recognizer on the same frames but off its path, and the book (speakers/labels.ts) that gives each final its
 * speaker. The pipeline only hands each frame over (hear: a copy into a bounded queue), then the voice detector's word
 * on it (scored); each source's stage reads its queue on its own cadence, a frame once it is scored (a model run per
 * 5 s of audio, none for a window the detector heard no speech in). A final is labelled as it is journaled (label):
 * with its voice when the stage has settled its audio, else with the source's label and `speakerPending`, and the
 * voice follows as a relabel. Every change of speakers (heard later, a voice re-identified, a rename) is journaled
 * first, then the action items it changes the owner of, then the finals are sent again with their new speakers and the
 * notes follow.
 *
 * Which sources are split: system audio and a file always; the microphone only when it is the session's only live
 * source (a room with one laptop). In a call the microphone is the user's alone: overlap linking would cut their own
 * voice into a new "speaker" after every silence longer than a window, and strangers' labels on the user's lines are
 * worse than "You". The microphone's main voice keeps "You" (labels.ts).
 */
import { ActionItem, Decision, SourceKind, SpeakerRenameResult, SpeakersState, TranscriptSegment } from '../../protocol/protocol';
import { AudioFrame, SAMPLE_RATE } from '../capture/source';
import { JournalRecord, SpeakersRecord } from '../journal/journal';
import type { SessionConfig, SpeakerStages } from './config';
import { Relabel, Renamed, sourceVoices, SpeakerBook } from '../speakers/labels';
import { SpeakerEvent, SpeakerStage, SpeakerTurn } from '../speakers/stage';
import { cutFinal, framesAudio } from '../speakers/cuts';
import { TIMED_OUT, within } from '../../protocol/bounded';

/** What the session's speakers need of it. */
export interface SessionSpeakersWiring {
  /** Journals a record (flushed when it resolves). */
  append(record: JournalRecord): Promise<void>;
  /** The ledger's revisions for finals that changed speakers (Ledger.respeak). */
  owners(changed: ReadonlyMap<string, { from: string; to: string }>, renamed?: Renamed): { items: ActionItem[]; decisions: Decision[] };
  /** A voice was renamed: the model's summary so far and its parts' notes name it anew (records to journal; none without a mention). */
  summaryRenamed?(renamed: Renamed): JournalRecord[];
  /** Announces journaled changes: the finals relabelled (TranscriptRelabel), the item revisions. */
  announce(cause: SpeakersRecord['cause'], segments: TranscriptSegment[], items: ActionItem[], decisions: Decision[]): void;
  /** The notes file follows. */
  notesChanged(): void;
  /** The speakers' state changed (the stage failed): the session's state is announced again. */
  stateChanged(): void;
  /** A journal write failed. */
  failed(e: unknown): void;
}

/** Audio a source's queue holds at most (s): the stage costs a hundredth of whisper, so it only lags when starved. */
const MAX_QUEUED_SEC = 60;
/** The longest a final waits for its cut (one model run or a few, tens of ms of CPU each). */
const CUT_WAIT_MS = 2000;
/** Cuts started ahead of their finals a source keeps (the live utterance's, and ended ones' waiting for their finals). */
const MAX_CUTS_AHEAD = 4;
/** EARSHOT_CUT_AHEAD=0: every final is cut once its text is there (the base of the bench's pairs, issue 60). */
const CUT_AHEAD = process.env.EARSHOT_CUT_AHEAD !== '0';
/** Audio kept for cutting a final (s): its longest utterance (25 s) and the recognizer's lag behind it, within reason. */
const RECENT_AUDIO_SEC = 60;
/** A gap in a source's capture clock longer than a window (a pause, a recorder down) starts a new stage: nothing links across it. */
const RESTART_GAP_SEC = 10;
/**
 * Frames heard and not yet scored a source keeps waiting for the detector's word (it scores each right after it is
 * heard, so one at a time): past this the oldest is read as possibly speech, and the stage never waits on a stalled one.
 */
const MAX_UNSCORED_FRAMES = 64;

/**
 * A frame's copy as the stage reads it. `speech`: whether the voice detector scored it as possibly speech (unset until
 * it has scored it). The stage reads a frame once it is scored: a window the detector heard no speech in costs no
 * model run (nothing there is transcribed, so no turn there labels anything).
 */
type HeardFrame = AudioFrame & { speech?: boolean };

class SourceRun {
  readonly queue: HeardFrame[] = [];
  /** Copies heard and not scored yet, in order (the detector scores the frames in the order they are heard). */
  readonly unscored: HeardFrame[] = [];
  /** The source ended: frames never scored (its pipeline failed) are read as possibly speech. */
  ending = false;
  /** A reader (drain) is in its loop: a frame scored now is read by it; once it has left the loop, by a new one. */
  reading = false;
  queued = 0;
  /** Samples dropped because the queue was full. */
  dropped = 0;
  /** A file's pipeline waiting for the queue to be read down. */
  readDown: (() => void) | undefined;
  running: Promise<void> | undefined;
  stage: SpeakerStage | undefined;
  /** The capture-clock sample the current stage's sample 0 is. */
  origin = 0;
  /** The end of the last frame heard (capture clock). */
  heardTo = 0;
  /** The latest RECENT_AUDIO_SEC of audio heard (the queue's copies), for cutting finals (capture clock, in order). */
  readonly recent: AudioFrame[] = [];
  /** Cuts started as finals' decodes started (finalPending), by segment id, oldest first: the span each is of. */
  readonly ahead = new Map<string, { t0: number; t1: number; cut: Promise<{ start: number; end: number }[]> }>();
  constructor(readonly kind: SourceKind) {}
}

export class SessionSpeakers {
  private readonly runs = new Map<SourceKind, SourceRun>();
  /** The finals sent, by id, to be sent again with a new speaker. */
  private readonly sent = new Map<string, TranscriptSegment>();
  /** Changes journaled one after another (heard, re-identified, renamed) never interleave. */
  private publishing: Promise<unknown> = Promise.resolve();
  private failure: string | undefined;

  constructor(private readonly book: SpeakerBook, private readonly stages: SpeakerStages | undefined, private readonly wiring: SessionSpeakersWiring) {
    if (stages) for (const kind of ['mic', 'system', 'file'] as const) if (book.splits(kind)) this.runs.set(kind, new SourceRun(kind));
  }

  /** What the session says of its speakers (SessionStateParams.speakers). */
  get state(): SpeakersState {
    if (this.failure) return { mode: 'off', message: `Speakers are not told apart: ${this.failure}` };
    if (!this.stages || !this.runs.size) return { mode: 'off', message: 'Speakers are not told apart in this session: each source has its own label.' };
    if (this.stages.mode === 'voices') return { mode: 'voices', message: 'Speakers are told apart, and a voice model recognizes a voice again after a silence.' };
    return {
      mode: 'overlap',
      message: 'Speakers are told apart by overlap, and someone silent for more than 10 s is matched to an earlier speaker by the statistics of their sound, which can miss (rename both to one name to merge them). Download the speaker voice model to recognize voices better.',
    };
  }

  /**
   * A frame a source's pipeline read (called on the audio path: a copy into the queue, nothing more). A full queue of a
   * live source drops its oldest audio (heard as a gap; live audio cannot wait); a file's returns a promise the pipeline
   * awaits until the stage has read it down (a file never loses audio: it waits, as for the recognizer).
   */
  hear(frame: AudioFrame): Promise<void> | undefined {
    const run = this.runs.get(frame.source);
    if (!run || this.failure || frame.pause || !frame.samples.length) return undefined;
    const copy: HeardFrame = { source: frame.source, samples: frame.samples.slice(), startSample: frame.startSample };
    run.queue.push(copy);
    run.unscored.push(copy);
    run.queued += frame.samples.length;
    run.recent.push(copy);
    while (run.recent.length > 1 && run.recent[1].startSample < copy.startSample - RECENT_AUDIO_SEC * SAMPLE_RATE) run.recent.shift();
    // The stage reads on when the frame is scored (scored()); only frames given up waiting for a score are read now.
    if (run.unscored.length > MAX_UNSCORED_FRAMES) {
      while (run.unscored.length > MAX_UNSCORED_FRAMES) run.unscored.shift()!.speech = true;
      this.read(run);
    }
    if (run.queued <= MAX_QUEUED_SEC * SAMPLE_RATE) return undefined;
    if (frame.source === 'file') return new Promise((resolve) => { run.readDown = resolve; });
    while (run.queued > MAX_QUEUED_SEC * SAMPLE_RATE && run.queue.length > 1) {
      const dropped = run.queue.shift()!;
      run.queued -= dropped.samples.length;
      run.dropped += dropped.samples.length; // heard as a gap: the stage starts again after it
    }
    return undefined;
  }

  /** The voice detector scored a frame heard (in order): the stage may read it now. */
  scored(frame: AudioFrame, speech: boolean): void {
    const run = this.runs.get(frame.source);
    if (!run) return;
    // A copy older than this frame was never scored (none is, unless a run of the pipeline failed): possibly speech.
    while (run.unscored.length && run.unscored[0].startSample < frame.startSample) run.unscored.shift()!.speech = true;
    if (run.unscored[0]?.startSample !== frame.startSample) return;
    run.unscored.shift()!.speech = speech;
    this.read(run);
  }

  /**
   * A final's decode starts (the early final at a pause, or the final at the end) over the speech [t0, t1] (s): its cut
   * starts now, beside the decode, on the same audio (issue 60: a cut started only once the text is there made every
   * final wait for a model run after whisper). `pieces` takes it when the final that comes has the same span.
   */
  finalPending(source: SourceKind, segmentId: string, t0: number, t1: number): void {
    const run = this.runs.get(source);
    if (!CUT_AHEAD || !run) return;
    const cut = this.cut(run, t0, t1);
    if (!cut) return;
    cut.catch(() => undefined); // a failed cut ahead is a whole final when taken, nothing when not
    run.ahead.set(segmentId, { t0, t1, cut });
    // Bounded: a source has one utterance pending at a time, and a few ended ones waiting for their finals at most.
    while (run.ahead.size > MAX_CUTS_AHEAD) run.ahead.delete(run.ahead.keys().next().value!);
  }

  /** The final of `segmentId` will not be the one its cut ahead was for (its early final stopped: the speech came back). */
  finalCancelled(source: SourceKind, segmentId: string): void {
    this.runs.get(source)?.ahead.delete(segmentId);
  }

  /**
   * Where a final about to be journaled changes voice (speakers/cuts.ts): its pieces (s), or the whole final when its
   * source is not split, its audio is no longer kept, or the model fails (the stage reports its own failure). The cut
   * started ahead for the same span when there is one (finalPending), else one now.
   */
  async pieces(segment: { source: SourceKind; segmentId?: string; t0: number; t1: number }): Promise<{ start: number; end: number }[]> {
    const whole = [{ start: segment.t0, end: segment.t1 }];
    const run = this.runs.get(segment.source);
    if (!run || this.failure) return whole;
    const ahead = segment.segmentId === undefined ? undefined : run.ahead.get(segment.segmentId);
    if (ahead) run.ahead.delete(segment.segmentId!);
    const cut = ahead && ahead.t0 === segment.t0 && ahead.t1 === segment.t1 ? ahead.cut : this.cut(run, segment.t0, segment.t1);
    if (!cut) return whole;
    try {
      // Bounded: a final waits for its cut no longer than CUT_WAIT_MS (a starved CPU), then goes out whole.
      const pieces = await within(cut, CUT_WAIT_MS);
      return pieces === TIMED_OUT ? whole : pieces;
    } catch {
      return whole;
    }
  }

  /** The model's cut of [t0, t1] (s) of `run`'s audio; none when the source has no model, failed, or the audio is not kept. */
  private cut(run: SourceRun, t0: number, t1: number): Promise<{ start: number; end: number }[]> | undefined {
    const model = this.stages?.segment;
    if (!model || this.failure) return undefined;
    const audio = framesAudio(run.recent, Math.round(t0 * SAMPLE_RATE), Math.round(t1 * SAMPLE_RATE));
    if (!audio) return undefined;
    return cutFinal(t0, t1, (from, to) => audio.read(from, to), (window) => model(window));
  }

  /** Gives a final about to be journaled its speaker (and voice, or speakerPending); it is kept to be sent again. */
  label(segment: TranscriptSegment): void {
    const labelled = this.book.final(segment);
    segment.speaker = labelled.speaker;
    if (labelled.voice !== undefined) segment.voice = labelled.voice;
    if (labelled.confidence !== undefined) segment.speakerConfidence = labelled.confidence;
    if (labelled.pending) segment.speakerPending = true;
    if (this.book.splits(segment.source)) this.sent.set(segment.segmentId, segment);
  }

  /**
   * A final as it is to be announced now: with the speaker of a relabel journaled since it was labelled (its own
   * announcement may come after the relabel's: the relabel waited for no one).
   */
  latest(segment: TranscriptSegment): TranscriptSegment {
    return this.sent.get(segment.segmentId) ?? segment;
  }

  /** A final's speaker as the book has it now (a change of it may still be on its way to the journal). */
  current(segment: TranscriptSegment): string {
    return this.book.finalSpeaker(segment.source, segment.segmentId) ?? segment.speaker;
  }

  /** A resumed session: the speakers its journal holds (finals, names, merges); stages number on after them. */
  restore(records: readonly JournalRecord[]): void {
    this.book.restore(records, true);
  }

  /**
   * Capture time (s) before which every final journaled has its speaker: the start of the earliest one still waiting
   * (Infinity: none waits). Finals still to come are the recognizer's horizon (SessionStats.finalsHorizon).
   */
  horizon(): number {
    return Math.min(Infinity, ...[...this.runs.keys()].map((kind) => this.book.pendingSince(kind)));
  }

  /** The user names a voice (SpeakerRename): journaled, owners follow, the finals are sent again. */
  async rename(source: SourceKind, voice: string, name: string | null): Promise<SpeakerRenameResult> {
    const work = this.publishing.then(async () => {
      const relabel = this.book.rename(source, voice, name);
      const from = relabel.previous.values().next().value;
      const to = this.book.speakerOf(source, voice);
      await this.publish(relabel, from === undefined ? undefined : this.book.renamed(source, voice, from, to));
      return { speaker: to, segments: relabel.record.changes.length };
    });
    this.publishing = work.catch(() => undefined);
    return work;
  }

  /**
   * The sources have ended (the session stops): every queue is read to its end, every stage ended, finals still
   * pending keep their source's label (and are sent again without speakerPending). Resolves when all is journaled.
   */
  async finish(): Promise<void> {
    await Promise.all([...this.runs.values()].map(async (run) => {
      run.ending = true;
      this.read(run);
      while (run.running) await run.running;
      if (!this.failure) await this.endStage(run).catch((e: Error) => this.fail(e));
      this.queue(this.book.ended(run.kind));
    }));
    await this.publishing;
  }

  /** The stage reads its queue on (one reader a source at a time). */
  private read(run: SourceRun): void {
    if (this.failure || run.reading) return;
    run.reading = true;
    const running: Promise<void> = this.drain(run).finally(() => { if (run.running === running) run.running = undefined; });
    run.running = running;
  }

  private async drain(run: SourceRun): Promise<void> {
    try {
      while (run.queue.length && !this.failure) {
        if (run.queue[0].speech === undefined && !run.ending) break; // read once scored (scored() reads on)
        const frame = run.queue.shift()!;
        run.queued -= frame.samples.length;
        if (run.queued <= MAX_QUEUED_SEC * SAMPLE_RATE / 2) this.release(run);
        if (run.stage && frame.startSample - run.heardTo > RESTART_GAP_SEC * SAMPLE_RATE) await this.endStage(run);
        if (!run.stage) {
          run.origin = frame.startSample;
          this.book.restarted(run.kind, run.origin / SAMPLE_RATE);
          run.stage = await this.stages!.create(run.kind, this.book.firstNumber(run.kind, run.origin / SAMPLE_RATE));
        }
        const events = await run.stage.push({ source: frame.source, samples: frame.samples, startSample: frame.startSample - run.origin }, frame.speech ?? true);
        run.heardTo = frame.startSample + frame.samples.length;
        this.take(run, events, run.origin / SAMPLE_RATE + run.stage.settledSec);
      }
    } catch (e) {
      this.fail(e as Error);
    } finally {
      run.reading = false;
      this.release(run); // read down, or nothing more will be read
    }
  }

  private release(run: SourceRun): void {
    const waiting = run.readDown;
    run.readDown = undefined;
    waiting?.();
  }

  private async endStage(run: SourceRun): Promise<void> {
    const stage = run.stage;
    if (!stage) return;
    run.stage = undefined;
    this.take(run, await stage.end(), run.heardTo / SAMPLE_RATE);
  }

  /** A stage's events: re-identifications first (they name labels its turns already carry), then the turns. */
  private take(run: SourceRun, events: SpeakerEvent[], settledSec: number): void {
    const offset = run.origin / SAMPLE_RATE;
    for (const e of events) if (e.type === 'relabel') this.queue(this.book.reidentified(run.kind, e.from, e.to));
    const turns: SpeakerTurn[] = events.flatMap((e) => (e.type === 'turn' ? [{ ...e.turn, start: e.turn.start + offset, end: e.turn.end + offset }] : []));
    this.queue(this.book.heard(run.kind, turns, settledSec));
  }

  /** Journals a change in order with the others (never awaited by the audio path). */
  private queue(relabel: Relabel | undefined): void {
    if (!relabel) return;
    this.publishing = this.publishing.then(() => this.publish(relabel)).catch((e) => this.wiring.failed(e));
  }

  /**
   * One change: the owners it moves are worked out now (the ledger sees the new speakers at once), the record and the
   * item revisions journaled in that order, then the finals are updated and sent again, the revisions announced.
   */
  private async publish(relabel: Relabel, renamed?: Renamed): Promise<void> {
    const changed = new Map<string, { from: string; to: string }>();
    for (const c of relabel.record.changes) {
      changed.set(c.segmentId, { from: relabel.previous.get(c.segmentId) ?? c.speaker, to: c.speaker });
    }
    const { items, decisions } = this.wiring.owners(changed, renamed);
    const writes = [this.wiring.append(relabel.record)];
    for (const { sessionId: _s, ...item } of items) writes.push(this.wiring.append({ type: 'actionItem', ...item }));
    for (const { sessionId: _s, ...decision } of decisions) writes.push(this.wiring.append({ type: 'decision', ...decision }));
    const summary = renamed ? this.wiring.summaryRenamed?.(renamed) ?? [] : [];
    for (const record of summary) writes.push(this.wiring.append(record));
    await Promise.all(writes);
    // New objects: what was announced before stays as it was announced (a client may keep it).
    const segments: TranscriptSegment[] = [];
    for (const c of relabel.record.changes) {
      const sent = this.sent.get(c.segmentId);
      if (!sent) continue;
      const { speakerPending: _pending, voice: _voice, speakerConfidence: _confidence, ...rest } = sent;
      const next: TranscriptSegment = { ...rest, speaker: c.speaker, ...(c.voice !== undefined ? { voice: c.voice, ...(c.confidence !== undefined ? { speakerConfidence: c.confidence } : {}) } : {}) };
      this.sent.set(c.segmentId, next);
      segments.push(next);
    }
    this.wiring.announce(relabel.record.cause, segments, items, decisions);
    if (segments.length || items.length || decisions.length || summary.length) this.wiring.notesChanged();
  }

  /** The stage failed (its model would not load): speakers are off for the rest of the session, said so. */
  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e.message;
    for (const run of this.runs.values()) {
      run.queue.length = 0;
      run.queued = 0;
      run.stage = undefined;
      this.queue(this.book.ended(run.kind));
    }
    this.wiring.stateChanged();
  }
}

/** The session's speakers, as its config says (none split in a dictation or without stages). */
export function sessionSpeakers(config: Pick<SessionConfig, 'sources' | 'mode' | 'speakerStages'>, wiring: SessionSpeakersWiring): SessionSpeakers {
  const identify = config.speakerStages !== undefined && config.mode !== 'dictation';
  return new SessionSpeakers(new SpeakerBook(sourceVoices(config.sources, identify)), identify ? config.speakerStages : undefined, wiring);
}
