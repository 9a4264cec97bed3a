/**
 * One source's run: its frames → voice activity segmenter → recognizer, until the source ends or the session aborts
 * it. Owns the run's own state: the pause markers that end a run (and the flush waiters they release), the resumed
 * session's utterances it skips, and whisper's prompt carry-over.
 *
 * It never journals or announces: every recognized segment goes to `accept` (the session), awaited, so a source's
 * finals stay in order. Counters go to SessionStats, loudness contours to the EchoSuppressor.
 */
import { SourceKind } from '../../protocol/protocol';
import { AudioFrame, AudioSource, SAMPLE_RATE } from '../capture/source';
import { DEFAULT_STREAMING_OPTIONS, recognize, RecognizedSegment, RecognizerContext } from '../asr/streaming';
import { DegradeLadder } from '../asr/degrade';
import { utteranceNumber } from '../journal/recovery';
import { DEFAULT_SEGMENTER_OPTIONS, ReplayGuide, SegmenterControl, segmentUtterances, UtteranceCounter, UtteranceEvent } from '../vad/segmenter';
import { SessionConfig } from './config';
import { EchoSuppressor } from './echo';
import { SessionStats } from './stats';

/**
 * Where a source of a resumed session had got to: utterances numbered before the interruption, the last final's text,
 * and where each final's speech ended (s, by utterance number; a replayed file is cut where they were).
 */
export interface ResumePoint {
  utterances: number;
  lastText: string;
  speechEnds: ReadonlyMap<number, number>;
}

/** What a source's run is connected to. */
export interface PipelineWiring {
  config: Pick<SessionConfig, 'decoder' | 'createDetector' | 'segmenter' | 'streaming' | 'vocabulary' | 'partialsWanted'>;
  degrade: DegradeLadder;
  stats: SessionStats;
  echo: EchoSuppressor;
  flushes: FlushWaiters;
  /** Takes a recognized segment; the next waits for it. */
  accept(segment: RecognizedSegment, speaker: string): Promise<void>;
  /** The run failed (the source, the recognizer, or the journal behind `accept`); what was finalized stays. */
  failed(e: unknown): void;
  /** Speech opened or closed in a VAD gate (SessionStats.speaking): whether whisper has work changed. */
  activity?(): void;
  /**
   * Each frame as it is read, for the speaker stage (speakers.ts: a copy into its queue, off the audio path); a file's
   * frame may answer a promise to wait for (the stage fell a minute behind: a file waits rather than lose audio).
   */
  hear?(frame: AudioFrame): Promise<void> | undefined;
  /** The voice detector scored a frame heard: `speech`, at or above the level that keeps an utterance going (offThreshold). */
  scored?(frame: AudioFrame, speech: boolean): void;
  /** A final's decode starts, or an early one stopped (RecognizerContext.finalPending, finalCancelled): for the speaker cut. */
  finalPending?(source: SourceKind, id: string, startSample: number, endSample: number): void;
  finalCancelled?(source: SourceKind, id: string): void;
}

/** Who waits for a source's pipeline to flush (see Session.whenFlushed). */
export class FlushWaiters {
  private readonly waiting = new Map<SourceKind, (() => void)[]>();

  wait(source: SourceKind): Promise<void> {
    return new Promise((resolve) => this.waiting.set(source, [...(this.waiting.get(source) ?? []), resolve]));
  }

  release(source: SourceKind): void {
    const waiters = this.waiting.get(source) ?? [];
    this.waiting.delete(source);
    waiters.forEach((resolve) => resolve());
  }
}

/**
 * Runs `source` until it ends or `signal` aborts it. Never rejects: a failure goes to `wiring.failed` (the session
 * survives a failed source).
 */
export async function runSourcePipeline(source: AudioSource, signal: AbortSignal, resumed: ResumePoint | undefined, wiring: PipelineWiring): Promise<void> {
  const { config, degrade, stats } = wiring;
  const frames = source.frames(signal)[Symbol.asyncIterator]();
  try {
    const detector = await config.createDetector();
    // Resumed: a file is replayed from its start, numbering utterances as the first time; a live source numbers on.
    const ids: UtteranceCounter = { count: source.kind === 'file' ? 0 : resumed?.utterances ?? 0 };
    const alreadyFinal = resumed?.utterances ?? 0;
    const replay = source.kind === 'file' && resumed ? replayGuide(resumed) : undefined;
    // Whisper's prompt carries the previous sentence; after a resume, until this run's first final, that is the
    // last one journaled (the recognizer starts without one): the same prompt as without the interruption.
    let carried = resumed?.lastText ?? '';
    const policy = config.streaming ?? DEFAULT_STREAMING_OPTIONS;
    // Nobody reads the transcript as it is spoken: finals only, each decoded once, at the end of its utterance (no early
    // final, which costs a decode whenever the speech resumes after a drop; nobody waits for it). Skipped partials are
    // not counted either: none was due.
    const base = () => (config.partialsWanted?.() ?? true) ? policy : { ...policy, partials: false, earlyFinal: false };
    /** The running segmenter's: an early final that is done ends its utterance (SegmenterOptions.earlyEndMs). */
    let control: SegmenterControl = {};
    const context: RecognizerContext = {
      options: () => degrade.options(base()),
      vocabulary: () => {
        const words = config.vocabulary?.() ?? '';
        return carried ? [words, carried.slice(-degrade.options(policy).promptChars)].filter(Boolean).join(' ') : words;
      },
      pendingSince: (at) => stats.setPendingSince(source.kind, at),
      normalOptions: base,
      stats: stats.recognizerOf(source.kind),
      endEarly: (id, finalEndSample) => control.endEarly?.(id, finalEndSample) ?? false,
      finalPending: (id, start, end) => wiring.finalPending?.(source.kind, id, start, end),
      finalCancelled: (id) => wiring.finalCancelled?.(source.kind, id),
    };
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
      const segmenter = config.segmenter ?? DEFAULT_SEGMENTER_OPTIONS;
      control = { scored: (frame, score) => wiring.scored?.(frame, score >= segmenter.offThreshold) };
      const utterances = segmentUtterances(observed(untilPause(), wiring), detector, segmenter, ids, control, replay);
      for await (const segment of recognize(gated(skipFinalized(utterances, alreadyFinal), source.kind, wiring), config.decoder, context)) {
        if (segment.final && segment.text) carried = '';
        await wiring.accept(segment, source.speaker);
      }
      wiring.flushes.release(source.kind);
    }
  } catch (e) {
    wiring.failed(e);
    // Not awaited: a read of the source may be pending, and the return waits for it (the session's stop ends it).
    void frames.return?.(undefined).catch(() => undefined);
  } finally {
    wiring.flushes.release(source.kind); // nobody waits for a flush that can no longer come
    stats.speaking(source.kind, false);
    wiring.activity?.();
  }
}

/** Utterance events as the recognizer takes them, telling the stats whether speech is open in the gate (and when that changes). */
async function* gated(events: AsyncIterable<UtteranceEvent>, kind: SourceKind, { stats, activity }: PipelineWiring): AsyncGenerator<UtteranceEvent> {
  let open = false;
  try {
    for await (const event of events) {
      // An onset (or its discard) is speech not yet confirmed: the gate opens with the start.
      if (event.type !== 'onset' && event.type !== 'discard' && open !== (event.type !== 'end')) {
        open = !open;
        stats.speaking(kind, open);
        activity?.();
      }
      yield event;
    }
  } finally {
    if (open) stats.speaking(kind, false);
  }
}

/** Frames as they are read: counted, their contour kept for echo suppression, their lateness fed to the degrade ladder. */
async function* observed(frames: AsyncIterable<AudioFrame>, { stats, echo, degrade, hear }: PipelineWiring): AsyncGenerator<AudioFrame> {
  for await (const frame of frames) {
    const end = frame.startSample + frame.samples.length;
    echo.hear(frame);
    const behind = hear?.(frame);
    if (behind) await behind;
    if (frame.capturedAt === undefined) {
      stats.frameRead(frame.source, end);
    } else {
      const now = performance.now();
      stats.frameRead(frame.source, end, (now - frame.capturedAt) / 1000);
      degrade.observe(stats.backlogSec, now);
    }
    yield frame;
  }
}

/** A replayed file's guide to the cuts its first run made (ReplayGuide), from the journal's finals. */
function replayGuide(resumed: ResumePoint): ReplayGuide {
  const speechEnds = new Map([...resumed.speechEnds].map(([n, sec]) => [n, Math.round(sec * SAMPLE_RATE)]));
  return { finalized: resumed.utterances, speechEnds, lastSpeechEnd: Math.max(0, ...speechEnds.values()) };
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
