/**
 * The capture clock of a live source: a sample index that keeps pace with real time across recorder restarts and
 * stalls, so timestamps stay aligned with the wall clock (and with the other source) and never go backwards.
 *
 * - Within one recorder run, samples are counted: the sound card's clock is the reference, jitter in when chunks
 *   arrive does not move timestamps.
 * - A new recorder run (the first one, or one after a crash or a restart) cannot deliver audio from before it
 *   started: its first chunk is placed at the wall time it arrived, so the time the recorder was down becomes a gap
 *   on the clock.
 * - Data that stops and then resumes within one run (a frozen sound server, an event loop that was blocked) may
 *   come back as a burst holding the missing audio (PulseAudio's null sinks catch up this way) or with the audio
 *   lost (a sound card overrun). The clock cannot know which while the burst is arriving, so it waits until data has
 *   flowed steadily for `settleMs` after the gap and only then compares the sample count with the wall clock:
 *   if the count is behind by more than `maxLagMs`, the missing time becomes a gap there.
 * - The clock never moves backwards: a run whose count is ahead of the wall clock keeps counting.
 *
 * Timestamps are therefore aligned with real time within a recorder's latency (15–500 ms), which neither a
 * restart nor a stall accumulates.
 */
import { SAMPLE_RATE } from './source';

export interface ClockOptions {
  /** A pause between chunks longer than this is a gap whose audio may have been lost. */
  gapMs?: number;
  /** How long data must flow again after a gap before the count is compared with the wall clock. */
  settleMs?: number;
  /** How far the count may fall behind the wall clock after a gap before the clock jumps ahead. */
  maxLagMs?: number;
}

export interface Placement {
  /** Clock index of the chunk's first sample. */
  start: number;
  /** Clock positions skipped just before this chunk (audio lost), 0 when it follows the previous chunk. */
  skipped: number;
}

export class CaptureClock {
  private next = 0;
  private newRun = true;
  /** The earliest index the new run's first chunk may take (a resume: no audio can predate it). */
  private notBefore = 0;
  private lastArrival: number | undefined;
  private settleAt: number | undefined;
  private started = false;
  private readonly gapMs: number;
  private readonly settleMs: number;
  private readonly maxLagSamples: number;

  /** @param origin performance.now() of sample 0: the session's start. */
  constructor(readonly origin: number, options: ClockOptions = {}) {
    this.gapMs = options.gapMs ?? 500;
    this.settleMs = options.settleMs ?? 1000;
    this.maxLagSamples = Math.round(((options.maxLagMs ?? 500) / 1000) * SAMPLE_RATE);
  }

  /** The clock index of the next sample. */
  get position(): number {
    return this.next;
  }

  /** Whether a chunk has been placed yet. */
  get hasStarted(): boolean {
    return this.started;
  }

  /** Clock index of the wall-clock time `at`. */
  wallSamples(at: number): number {
    return Math.round(((at - this.origin) / 1000) * SAMPLE_RATE);
  }

  /**
   * A new recorder run begins: its first chunk is placed at the wall time it arrives, and not before clock index
   * `notBefore` (the moment a paused source resumed).
   */
  restart(notBefore = 0): void {
    this.newRun = true;
    this.settleAt = undefined;
    this.notBefore = notBefore;
  }

  /** Places `n` samples that arrived at `arrival` (performance.now()). */
  place(n: number, arrival: number): Placement {
    let skipped = 0;
    const behind = () => this.wallSamples(arrival) - (this.next + n);
    if (this.newRun) {
      this.newRun = false;
      skipped = Math.max(0, behind(), this.notBefore - this.next);
    } else if (this.lastArrival !== undefined && arrival - this.lastArrival > this.gapMs) {
      this.settleAt = arrival + this.settleMs;
    } else if (this.settleAt !== undefined && arrival >= this.settleAt) {
      this.settleAt = undefined;
      const lag = behind();
      if (lag > this.maxLagSamples) skipped = lag;
    }
    this.started = true;
    this.lastArrival = arrival;
    this.next += skipped;
    const start = this.next;
    this.next += n;
    return { start, skipped };
  }
}
