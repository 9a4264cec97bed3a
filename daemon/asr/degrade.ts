/**
 * The degrade ladder: when recognition falls behind real time (captured audio waits longer and longer
 * for the recognizer), give up comfort before substance, one rung at a time: fewer partials, then
 * slower partials, then finals only, then a smaller model (when one is downloaded). Finals are never dropped. When the backlog stays small for a
 * while, climb back one rung at a time. Both directions need the condition to hold for a sustained
 * time, so one slow decode does not flip the level.
 */
import { StreamingOptions } from './streaming';

export interface DegradeRung {
  name: string;
  apply(options: StreamingOptions): StreamingOptions;
  /** On this rung the service decodes with a smaller model (the same one in 8 bits, else a smaller size), when one is downloaded. */
  smallerModel?: boolean;
}

export const DEGRADE_LADDER: readonly DegradeRung[] = [
  { name: 'normal', apply: (o) => o },
  { name: 'fewer partials', apply: (o) => ({ ...o, partialIntervalSec: o.partialIntervalSec * 2 }) },
  { name: 'slow partials', apply: (o) => ({ ...o, partialIntervalSec: Math.max(2, o.partialIntervalSec * 4), minPartialSec: 1.5 }) },
  { name: 'finals only', apply: (o) => ({ ...o, partials: false, earlyFinal: false }) },
  { name: 'smaller model', apply: (o) => ({ ...o, partials: false, earlyFinal: false }), smallerModel: true },
];

export interface DegradeThresholds {
  /** Backlog (seconds of audio waiting) above which the recognizer counts as behind. */
  behindSec: number;
  /** Backlog below which it counts as keeping up. */
  keepingUpSec: number;
  /** How long it must be behind before stepping down a rung. */
  degradeAfterSec: number;
  /** How long it must keep up before stepping back up a rung. */
  recoverAfterSec: number;
}

export const DEFAULT_DEGRADE_THRESHOLDS: DegradeThresholds = { behindSec: 1.5, keepingUpSec: 0.3, degradeAfterSec: 4, recoverAfterSec: 15 };

export class DegradeLadder {
  level = 0;
  private behindSince: number | undefined;
  private keepingUpSince: number | undefined;

  constructor(
    private readonly onChange: (level: number, rung: DegradeRung) => void = () => undefined,
    private readonly thresholds: DegradeThresholds = DEFAULT_DEGRADE_THRESHOLDS,
  ) {}

  /** Feeds the current backlog (seconds) at time `nowMs`. */
  observe(backlogSec: number, nowMs: number): void {
    const t = this.thresholds;
    this.behindSince = backlogSec > t.behindSec ? this.behindSince ?? nowMs : undefined;
    this.keepingUpSince = backlogSec < t.keepingUpSec ? this.keepingUpSince ?? nowMs : undefined;
    if (this.behindSince !== undefined && nowMs - this.behindSince >= t.degradeAfterSec * 1000 && this.level < DEGRADE_LADDER.length - 1) {
      this.set(this.level + 1, nowMs);
    } else if (this.keepingUpSince !== undefined && nowMs - this.keepingUpSince >= t.recoverAfterSec * 1000 && this.level > 0) {
      this.set(this.level - 1, nowMs);
    }
  }

  /** The streaming options with the current rung applied. */
  options(base: StreamingOptions): StreamingOptions {
    return DEGRADE_LADDER[this.level].apply(base);
  }

  private set(level: number, nowMs: number): void {
    this.level = level;
    // Each rung has to earn the next step on its own.
    this.behindSince = this.behindSince === undefined ? undefined : nowMs;
    this.keepingUpSince = this.keepingUpSince === undefined ? undefined : nowMs;
    this.onChange(level, DEGRADE_LADDER[level]);
  }
}
