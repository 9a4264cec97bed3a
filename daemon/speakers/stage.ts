/**
 * The speaker stage of one source: 16 kHz frames on the source's capture clock in, speaker turns out, as they become
 * final (about one window, 10 s, after the audio they cover), and relabels when it learns that two labels are one
 * voice (from a SpeakerReidentifier, when one is given). It runs beside the recognizer on the same frames; a session
 * gives each source its own stage, so labels are per source ("Speaker 1" of the call is not "Speaker 1" of the room).
 *
 * `diarizeFile` is the same stage over a WAV file (`earshot diarize`); `npm run eval:diarize` replays its windows from
 * a cache through the same tracker (test/integration/speakers.test.ts checks the two agree).
 */
import { AudioFrame, FileSource, SAMPLE_RATE } from '../capture/source';
import { MIN_IDENTIFY_SEC, SpeakerReidentifier } from './reidentify';
import { SegmentationModel, WINDOW_SAMPLES } from './segmentation';
import { DEFAULT_DIARIZE_OPTIONS, DiarizeOptions, SpeakerTracker } from './tracker';
import { FrameTurn } from './turns';

/**
 * A final speaker turn, in seconds on the source's capture clock. `weak`: half-heard (the segmentation's soft scores
 * in frames where it decided nobody, tracker.ts weakOnset): it labels voice-detected speech no decided turn covers.
 */
export interface SpeakerTurn {
  start: number; end: number; speaker: string; weak?: true;
  /** A second voice at once (tracker.ts overlapOnset): counts in the diarization, never as a line's voice (labels.ts). */
  overlap?: true;
}

export type SpeakerEvent =
  | { type: 'turn'; turn: SpeakerTurn }
  /** Every turn labelled `from`, before and after, is `to`'s. */
  | { type: 'relabel'; from: string; to: string };

/** Audio kept behind the newest window for the re-identifier: a turn is final about a window after it ends. */
const KEEP_BEHIND_SAMPLES = 20 * SAMPLE_RATE;

export const speakerLabel = (n: number): string => `Speaker ${n}`;

export class SpeakerStage {
  private readonly tracker: SpeakerTracker;
  /** Audio from sample `bufferStart` on: the first `length` samples of `store`. */
  private store = new Float32Array(WINDOW_SAMPLES * 2);
  private length = 0;
  private bufferStart = 0;
  private received = 0;
  private nextWindow = 0;
  /** Global speaker index → label, given at its first final turn, in order of appearance. */
  private readonly labels = new Map<number, string>();
  /** Speakers the re-identifier has been shown a long enough turn of (it is asked once per speaker). */
  private readonly identified = new Set<number>();
  /** Where each label's latest decided turn ends (s): the labels heard in a window before a turn are not its voice. */
  private readonly lastEnd = new Map<string, number>();
  /** Windows read (the model's own runs: SegmentationModel.stats), for health and the bench. */
  readonly stats = { windows: 0 };
  /**
   * Where the audio may hold speech (samples, in order, merged): frames pushed without the voice detector's word that
   * they are silence. A window none of them reaches is silence to the model (SegmentationModel.run).
   */
  private speech: { start: number; end: number }[] = [];

  private constructor(private readonly model: SegmentationModel, options: DiarizeOptions, private readonly reidentifier?: SpeakerReidentifier,
    private readonly firstNumber = 1) {
    this.tracker = new SpeakerTracker(options);
  }

  /** `firstNumber`: the number of the first label ("Speaker 4" after a restart that already had three). */
  static async create(options: Partial<DiarizeOptions> = {}, reidentifier?: SpeakerReidentifier, firstNumber = 1): Promise<SpeakerStage> {
    return new SpeakerStage(await SegmentationModel.load(), { ...DEFAULT_DIARIZE_OPTIONS, ...options }, reidentifier, firstNumber);
  }

  /** Capture time (s) before which every turn has been given (see SpeakerTracker.settledSec). */
  get settledSec(): number {
    return this.tracker.settledSec;
  }

  /**
   * One frame (in capture order); a gap in the capture clock is heard as silence. Pause markers carry no audio.
   * `speech` false: the voice detector scored the frame below any speech (a session's stage; a file's reads all).
   */
  async push(frame: AudioFrame, speech = true): Promise<SpeakerEvent[]> {
    if (frame.pause || frame.samples.length === 0) return [];
    const gap = Math.max(0, frame.startSample - this.received);
    this.append(frame.samples, gap);
    if (speech) {
      const last = this.speech[this.speech.length - 1];
      const end = frame.startSample + frame.samples.length;
      if (last && last.end >= frame.startSample) last.end = end;
      else this.speech.push({ start: frame.startSample, end });
    }
    const events: SpeakerEvent[] = [];
    while (this.nextWindow + WINDOW_SAMPLES <= this.received) events.push(...await this.runWindow());
    return events;
  }

  /** The source ended: the rest of the audio (a last window padded with silence) and every open turn. */
  async end(): Promise<SpeakerEvent[]> {
    const events: SpeakerEvent[] = [];
    if (this.received > 0 && (this.stats.windows === 0 || this.nextWindow - this.tracker.stepSamples + WINDOW_SAMPLES < this.received)) {
      events.push(...await this.runWindow());
    }
    events.push(...await this.announce(this.tracker.end(this.received)));
    return events;
  }

  private async runWindow(): Promise<SpeakerEvent[]> {
    const start = this.nextWindow;
    const window = new Float32Array(WINDOW_SAMPLES);
    window.set(this.buffer.subarray(start - this.bufferStart, Math.min(this.buffer.length, start - this.bufferStart + WINDOW_SAMPLES)));
    const end = start + WINDOW_SAMPLES;
    const y = await this.model.run(window, this.speech.some((s) => s.start < end && s.end > start));
    this.stats.windows++;
    const { turns } = this.tracker.window(start, y);
    this.nextWindow = start + this.tracker.stepSamples;
    while (this.speech.length && this.speech[0].end <= this.nextWindow) this.speech.shift();
    this.trim();
    return this.announce(turns);
  }

  /**
   * Final turns, labelled. The re-identifier is shown each speaker's first turn of at least MIN_IDENTIFY_SEC (shorter
   * ones say too little of a voice); when it names an earlier label, every turn of this one becomes that one's.
   */
  private async announce(turns: FrameTurn[]): Promise<SpeakerEvent[]> {
    const events: SpeakerEvent[] = [];
    for (const t of turns.sort((a, b) => a.start - b.start || a.speaker - b.speaker)) {
      let label = this.labels.get(t.speaker);
      if (label === undefined) {
        label = speakerLabel(this.firstNumber + this.labels.size);
        this.labels.set(t.speaker, label);
      }
      if (this.reidentifier && !t.weak && !t.overlap && !this.identified.has(t.speaker) && t.end - t.start >= MIN_IDENTIFY_SEC) {
        this.identified.add(t.speaker);
        const known = [...new Set(this.labels.values())].filter((l) => l !== label);
        const heard = [...this.lastEnd].filter(([l, end]) => l !== label && end > t.start - WINDOW_SAMPLES / SAMPLE_RATE).map(([l]) => l);
        const earlier = await this.reidentifier.identify(label, this.audio(t.start, t.end, !this.reidentifier.readsAudioAtOnce), known, heard);
        if (earlier !== undefined && earlier !== label) {
          this.labels.set(t.speaker, earlier);
          events.push({ type: 'relabel', from: label, to: earlier });
          label = earlier;
        }
      }
      if (!t.weak && !t.overlap) this.lastEnd.set(label, Math.max(this.lastEnd.get(label) ?? 0, t.end));
      events.push({ type: 'turn', turn: { start: round(t.start), end: round(t.end), speaker: label, ...flags(t) } });
    }
    return events;
  }

  /** The held audio from `start` to `end` (seconds): a copy, or a view of the buffer for a reader done before it yields. */
  private audio(start: number, end: number, copy: boolean): Float32Array {
    const from = Math.max(0, Math.round(start * SAMPLE_RATE) - this.bufferStart);
    const to = Math.max(0, Math.min(this.buffer.length, Math.round(end * SAMPLE_RATE) - this.bufferStart));
    return copy ? this.buffer.slice(Math.min(from, this.buffer.length), to) : this.buffer.subarray(Math.min(from, this.buffer.length), to);
  }

  private get buffer(): Float32Array { return this.store.subarray(0, this.length); }

  private append(samples: Float32Array, gap: number): void {
    const need = this.length + gap + samples.length;
    if (need > this.store.length) {
      const grown = new Float32Array(Math.max(need, this.store.length * 2));
      grown.set(this.buffer);
      this.store = grown;
    }
    this.store.fill(0, this.length, this.length + gap);
    this.store.set(samples, this.length + gap);
    this.length = need;
    this.received += gap + samples.length;
  }

  /** Drops audio no window and no re-identification will read again. */
  private trim(): void {
    const keepFrom = Math.max(0, this.nextWindow - (this.reidentifier ? KEEP_BEHIND_SAMPLES : 0));
    const drop = keepFrom - this.bufferStart;
    if (drop < 5 * SAMPLE_RATE) return;
    this.store.copyWithin(0, drop, this.length);
    this.length -= drop;
    this.bufferStart = keepFrom;
  }
}

const round = (t: number): number => Math.round(t * 1000) / 1000;

/** A frame turn's kind as a SpeakerTurn carries it. */
export const flags = (t: FrameTurn): Pick<SpeakerTurn, 'weak' | 'overlap'> => ({ ...(t.weak ? { weak: true as const } : {}), ...(t.overlap ? { overlap: true as const } : {}) });

/** The decided speaker turns of a WAV file (any format the capture reads), in order of start, labels resolved. */
export async function diarizeFile(file: string, options: Partial<DiarizeOptions> = {}, reidentifier?: SpeakerReidentifier): Promise<SpeakerTurn[]> {
  return (await stageTurns(file, options, reidentifier)).filter((t) => !t.weak);
}

/**
 * Every turn the stage gives over a WAV file, weak ones included, labels resolved. `mayBeSpeech`: each frame's word
 * from a voice detector, in order, as a session's stage has it (absent: every frame may be speech).
 */
export async function stageTurns(file: string, options: Partial<DiarizeOptions> = {}, reidentifier?: SpeakerReidentifier,
  mayBeSpeech?: (frame: Float32Array) => Promise<boolean>): Promise<SpeakerTurn[]> {
  const stage = await SpeakerStage.create(options, reidentifier);
  const source = await FileSource.open(file, { pace: 'fast' });
  const events: SpeakerEvent[] = [];
  for await (const frame of source.frames(new AbortController().signal)) events.push(...await stage.push(frame, await mayBeSpeech?.(frame.samples) ?? true));
  events.push(...await stage.end());
  return resolveTurns(events);
}

/** The turns of a stream of events with every relabel applied (a relabel renames turns before and after it). */
export function resolveTurns(events: readonly SpeakerEvent[]): SpeakerTurn[] {
  const renamed = new Map<string, string>();
  const resolve = (l: string): string => { let x = l; while (renamed.has(x)) x = renamed.get(x)!; return x; };
  for (const e of events) if (e.type === 'relabel') renamed.set(e.from, e.to);
  return events.filter((e): e is Extract<SpeakerEvent, { type: 'turn' }> => e.type === 'turn')
    .map((e) => ({ ...e.turn, speaker: resolve(e.turn.speaker) }))
    .sort((a, b) => a.start - b.start || a.end - b.end);
}
