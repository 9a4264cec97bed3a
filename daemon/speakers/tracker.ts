/**
 * Speaker turns from the segmentation model's windows, as a source goes on (pure: log-probabilities in, final turns
 * out): each window's powerset output becomes local speaker activity (segmentation.ts), local speakers are linked to
 * the source's speakers by overlap (linking.ts), and frames no later window will cover are decided and become turns
 * (turns.ts). The settings were chosen by cross-validation on real meetings (`npm run eval:diarize`, BENCHMARKS.md
 * "Issue 42: speakers").
 */
import { SAMPLE_RATE } from '../capture/source';
import { LinkingOptions, localCount, OverlapLinker } from './linking';
import { FRAME_STEP_SAMPLES, pairActivity, powersetToActivity, WINDOW_FRAMES } from './segmentation';
import { FrameTurn, TurnBuilder, TurnOptions } from './turns';

export interface DiarizeOptions extends LinkingOptions, TurnOptions {
  /**
   * Seconds between window starts. pyannote's pipeline and sherpa-onnx use a tenth of the window, 1 s (sherpa-onnx
   * offline-speaker-segmentation-pyannote-model-config.h:15, window_shift_ratio 0.1); a longer step costs less CPU
   * (one model run per step) and leaves less overlap to link by.
   */
  stepSec: number;
  /** Activity from the most likely powerset class (0/1, as sherpa-onnx) instead of the probabilities. */
  hard: boolean;
  /**
   * With soft activity: a local speaker counts as talking in a frame where its probability is at least this (what
   * sets how many speakers each frame gets). Hard activity counts the most likely class's members.
   */
  onset: number;
  /**
   * Weak turns: in frames where nobody is decided, the speaker whose soft activity (the powerset probabilities,
   * averaged over the windows covering the frame) is at least this is half-heard there (Infinity: none). The session
   * labels voice-detected speech the decided turns miss by them (labels.ts); they count in no segmentation DER.
   */
  weakOnset: number;
  /**
   * Overlapped speech: in frames where one speaker is decided, another speaker whose soft activity (averaged as for
   * weak turns) is at least this talks at the same time (Infinity: none). pyannote's argmax gives a frame two voices
   * only where the pair class is the likeliest; this hears the second voice the argmax gave to one.
   */
  overlapOnset: number;
  /** The second voice's score is the probability it talks with another (the pair classes), not its whole activity. */
  overlapByPair: boolean;
  /** Overlap turns shorter than this (s) are dropped (a back-channel or the model's hesitation at a change). */
  minOverlapSec: number;
}

/**
 * The shipped settings: the rule of `npm run eval:diarize` (the lowest pooled DER, then the longer step) applied to
 * every committed recording with a speaker reference; the cross-validated figure and the held-out one are in
 * docs/benchmarks/speakers.md ("Issue 42: speakers"). A 5 s step (2 model runs per 10 s of audio, a fifth of
 * pyannote's CPU) did as well as 1 s; any agreement in the overlap links (thresholds up to 0.05 gave the same turns);
 * turns under 0.25 s go.
 */
export const DEFAULT_DIARIZE_OPTIONS: Readonly<DiarizeOptions> = {
  stepSec: 5,
  hard: true,
  onset: 0.5,
  linkThreshold: 0,
  minLocalFrames: 10,
  minDurationOn: 0.25,
  minDurationOff: 0,
  weakOnset: 0.1,
  overlapOnset: Infinity,
  overlapByPair: false,
  minOverlapSec: 0,
};

/** The frame of the source's frame grid a window starting at `sample` begins on (sherpa-onnx impl.h:395-396). */
export const frameOf = (sample: number): number => Math.round(sample / FRAME_STEP_SAMPLES);

export class SpeakerTracker {
  private readonly linker: OverlapLinker;
  private readonly turns: TurnBuilder;
  private readonly weakTurns: TurnBuilder;
  private readonly overlapTurns: TurnBuilder;
  readonly stepSamples: number;
  /** The first frame not yet decided. */
  private decidedTo = 0;

  constructor(readonly options: DiarizeOptions = DEFAULT_DIARIZE_OPTIONS) {
    this.linker = new OverlapLinker(options);
    this.turns = new TurnBuilder(options);
    this.weakTurns = new TurnBuilder({ minDurationOn: 0, minDurationOff: options.minDurationOff });
    this.overlapTurns = new TurnBuilder({ minDurationOn: options.minOverlapSec, minDurationOff: options.minDurationOff });
    this.stepSamples = Math.max(FRAME_STEP_SAMPLES, Math.round(options.stepSec * SAMPLE_RATE));
  }

  /**
   * Capture time (s) before which every turn is final: frames up to there are decided, and no turn still open starts
   * before it (a turn runs on while its speaker talks).
   */
  get settledSec(): number {
    const decided = this.decidedTo * FRAME_STEP_SAMPLES / SAMPLE_RATE;
    return Math.min(decided, ...[this.turns, this.weakTurns, this.overlapTurns].map((b) => b.openSince() ?? decided));
  }

  /** Speakers opened so far (global indices 0…speakers−1). */
  get speakers(): number { return this.linker.speakers; }

  /**
   * The model's output `y` for the window starting at `startSample` (windows come in order, `stepSamples` apart).
   * Returns the turns that became final, and the speakers this window opened.
   */
  window(startSample: number, y: ArrayLike<number>): { turns: FrameTurn[]; created: number[] } {
    const activity = powersetToActivity(y, WINDOW_FRAMES, this.options.hard);
    const count = localCount(activity, WINDOW_FRAMES, this.options.hard ? 0.5 : this.options.onset);
    const soft = this.options.hard && (Number.isFinite(this.options.weakOnset) || Number.isFinite(this.options.overlapOnset))
      ? powersetToActivity(y, WINDOW_FRAMES, false) : undefined;
    const pair = this.options.overlapByPair && Number.isFinite(this.options.overlapOnset) ? pairActivity(y, WINDOW_FRAMES) : undefined;
    const { created } = this.linker.addWindow(frameOf(startSample), activity, count, soft, pair);
    // Frames before the next window's first one are covered by no later window, whether one comes or not.
    return { turns: this.decide(frameOf(startSample + this.stepSamples)), created };
  }

  /** The source ended after `totalSamples`: every frame up to there is decided, every turn closed. */
  end(totalSamples: number): FrameTurn[] {
    return [...this.decide(Math.floor(totalSamples / FRAME_STEP_SAMPLES)), ...this.turns.flush(), ...weakly(this.weakTurns.flush()),
      ...overlapping(this.overlapTurns.flush())];
  }

  /** Decided turns, weak ones (`weak: true`) and second voices (`overlap: true`) that became final. */
  private decide(to: number): FrameTurn[] {
    if (to <= this.decidedTo) return [];
    const weak: number[] = [], second: number[] = [];
    const decisions = this.linker.decide(to, weak, this.options.weakOnset, second, this.options.overlapOnset, this.options.overlapByPair);
    this.decidedTo = to;
    const frames = (gs: number[]) => gs.map((g) => (g === -1 ? [] : [g]));
    return [...this.turns.push(decisions), ...weakly(this.weakTurns.push(frames(weak))), ...overlapping(this.overlapTurns.push(frames(second)))];
  }
}

const weakly = (turns: FrameTurn[]): FrameTurn[] => turns.map((t) => ({ ...t, weak: true }));
const overlapping = (turns: FrameTurn[]): FrameTurn[] => turns.map((t) => ({ ...t, overlap: true }));

/**
 * Where the windows over `totalSamples` of audio start (the last one padded with silence where the audio does not
 * fill it), as sherpa-onnx cuts them (impl.h:301-337).
 */
export function windowStarts(totalSamples: number, stepSamples: number, windowSamples: number): number[] {
  const starts: number[] = [0];
  while (starts[starts.length - 1] + windowSamples < totalSamples) starts.push(starts[starts.length - 1] + stepSamples);
  return starts;
}
