/**
 * Delays between attempts to restart a recorder: 0.25 s, 0.5, 1, 2, 4, then every 5 s. A run that stays healthy for
 * a while resets it, so a fault an hour later is retried quickly again.
 */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** A run that captured this long without a fault resets the delays. */
  healthyMs?: number;
}

export class Backoff {
  private attempt = 0;
  readonly initialMs: number;
  readonly maxMs: number;
  readonly healthyMs: number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 250;
    this.maxMs = options.maxMs ?? 5000;
    this.healthyMs = options.healthyMs ?? 10_000;
  }

  /** The delay before the next attempt; each call lengthens the following one. */
  next(): number {
    const delay = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return delay;
  }

  /** Attempts since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
