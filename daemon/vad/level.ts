/**
 * Level handling in front of the speech detector: a slow automatic gain that brings a quiet source's speech up to the
 * level the detector was trained on, with the gain bounded twice — never more than MAX_GAIN_DB, and never so much that
 * the source's noise floor is lifted above NOISE_CEILING_DB (a hiss must not become "speech"). Only the detector hears
 * the gained frames; the recognizer gets the audio as captured (whisper normalises its own input).
 *
 * The speech level is the 90th percentile of the recent frames that stand clear of the noise floor, so one loud cough
 * does not set it and a long silence does not drag it down. The noise floor follows quieter frames fast and louder
 * ones slowly (as in energy.ts), so speech does not lift it.
 */
import { SpeechDetector } from './segmenter';

/** Where a speaker's level is brought to (speech at a normal distance from a headset or laptop microphone). */
const TARGET_DB = -26;
/** The most the detector's input is raised (a far or soft-spoken voice in a room microphone). */
const MAX_GAIN_DB = 24;
/** The noise floor is never raised above this: below it, Silero hears hiss as hiss. */
const NOISE_CEILING_DB = -50;
/**
 * No frame is raised above this: a loud frame (laughter, a near voice after a far one) is left as it is, since
 * Silero hears an over-driven frame worse than the original.
 */
const PEAK_DB = -20;
/** Frames this far above the noise floor count as possible speech for the level estimate. */
const ACTIVE_MARGIN_DB = 10;
/** How many active frames the level estimate remembers (≈ 10 s of speech). */
const ACTIVE_FRAMES = 320;
/** Frames below this are passed through untouched, so the detector's silence gate (silero.ts) still skips them. */
const SILENCE_DB = -60;
/** Below this a frame is digital silence, not a room: it does not move the noise floor. */
const DIGITAL_SILENCE_DB = -100;
/** Gain changes at most this much per 32 ms frame (about 30 dB a second): quick to settle, no pumping within a word. */
const GAIN_STEP_DB = 1;
const FLOOR_FALL = 0.3;
const FLOOR_RISE = 0.002;

export interface LevelState {
  /** Gain applied to the detector's input, dB. */
  gainDb: number;
  /** Tracked noise floor and speech level of the source, dBFS (null until speech-like frames were seen). */
  floorDb: number;
  speechDb: number | null;
}

/** Tracks a source's noise floor and speech level and says how much gain its next frame should get. */
export class LevelTracker {
  constructor(private readonly targetDb = TARGET_DB) {}

  private floorDb = SILENCE_DB;
  private readonly active: number[] = [];
  private next = 0;
  private gainDb = 0;
  private speechDb: number | null = null;

  /** Updates the estimates with a frame's level (dBFS) and returns the gain for it, in dB. */
  observe(db: number): number {
    // Digital silence (a muted or paused device) says nothing about the room's noise floor.
    if (db < DIGITAL_SILENCE_DB) return this.gainDb;
    const rate = db < this.floorDb ? FLOOR_FALL : FLOOR_RISE;
    this.floorDb = this.floorDb + rate * (db - this.floorDb);
    if (db > this.floorDb + ACTIVE_MARGIN_DB) {
      if (this.active.length < ACTIVE_FRAMES) this.active.push(db);
      else this.active[this.next] = db;
      this.next = (this.next + 1) % ACTIVE_FRAMES;
      this.speechDb = percentile(this.active, 0.9);
    }
    const wanted = this.speechDb === null
      ? 0
      : Math.max(0, Math.min(MAX_GAIN_DB, this.targetDb - this.speechDb, NOISE_CEILING_DB - this.floorDb));
    this.gainDb += Math.max(-GAIN_STEP_DB, Math.min(GAIN_STEP_DB, wanted - this.gainDb));
    return this.gainDb;
  }

  state(): LevelState {
    return { gainDb: this.gainDb, floorDb: this.floorDb, speechDb: this.speechDb };
  }
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

export function frameDb(frame: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < frame.length; i++) sum += frame[i] * frame[i];
  return 10 * Math.log10(sum / Math.max(1, frame.length) + 1e-12);
}

/** A detector that hears each frame through the source's automatic gain. */
export class LevelNormalizedDetector implements SpeechDetector {
  private readonly tracker: LevelTracker;
  private scaled = new Float32Array(0);

  constructor(private readonly inner: SpeechDetector, targetDb?: number) {
    this.tracker = new LevelTracker(targetDb);
  }

  get endLagFrames(): number | undefined {
    return this.inner.endLagFrames;
  }

  get stats(): SpeechDetector['stats'] {
    return this.inner.stats;
  }

  score(frame: Float32Array): number | Promise<number> {
    const db = frameDb(frame);
    const gainDb = Math.min(this.tracker.observe(db), PEAK_DB - db);
    if (gainDb < 0.05 || db < SILENCE_DB) return this.inner.score(frame);
    const gain = 10 ** (gainDb / 20);
    if (this.scaled.length !== frame.length) this.scaled = new Float32Array(frame.length);
    for (let i = 0; i < frame.length; i++) this.scaled[i] = Math.max(-1, Math.min(1, frame[i] * gain));
    return this.inner.score(this.scaled);
  }

  level(): LevelState {
    return this.tracker.state();
  }
}
