/**
 * Watching the microphone: polls a CallDetector every intervalMs while on (the next poll is set when one ends, so
 * polls never overlap and a slow one delays the next) and tells when the apps using the microphone change, or
 * detection starts or stops failing. Off, nothing runs. The timer does not keep the process alive.
 */
import { CallApp, CALLS_INTERVAL_MS, CallsChangedParams, CallsListResult } from '../../protocol/protocol';
import { CallDetector } from './detector';

const key = (a: CallApp) => `${a.app}\0${a.pid ?? ''}`;

export class CallWatcher {
  private timer: NodeJS.Timeout | undefined;
  private on = false;
  private intervalMs: number = CALLS_INTERVAL_MS.default;
  private last: CallsListResult | undefined;
  /** Bumped by each start and stop: a poll that was under way then reports nothing. */
  private generation = 0;

  constructor(private readonly detector: CallDetector, private readonly onChange: (change: CallsChangedParams) => void) {}

  get watching(): boolean {
    return this.on;
  }

  /** Starts watching (or changes the interval); resolves with what detection sees now, the baseline of later changes. */
  async start(intervalMs: number = CALLS_INTERVAL_MS.default): Promise<CallsListResult> {
    this.stop();
    this.on = true;
    this.intervalMs = intervalMs;
    const generation = this.generation;
    const now = await this.detector.detect();
    if (generation !== this.generation) return now;
    this.last = now;
    this.schedule(generation);
    return now;
  }

  stop(): void {
    this.generation++;
    this.on = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.last = undefined;
  }

  private schedule(generation: number): void {
    this.timer = setTimeout(() => void this.poll(generation), this.intervalMs);
    this.timer.unref();
  }

  private async poll(generation: number): Promise<void> {
    const now = await this.detector.detect();
    if (generation !== this.generation) return;
    const change = changes(this.last, now);
    // While detection fails, the apps last seen stay the baseline: when it recovers, only real changes are told.
    this.last = now.fault === undefined ? now : { ...now, apps: this.last?.apps ?? [] };
    if (change) this.onChange(change);
    this.schedule(generation);
  }
}

/**
 * What changed from `before` (the apps last seen, kept through a fault) to `now`, or undefined when nothing did (the
 * same apps, the same fault or none).
 */
export function changes(before: CallsListResult | undefined, now: CallsListResult): CallsChangedParams | undefined {
  const was = new Map((before?.apps ?? []).map((a) => [key(a), a]));
  const is = new Map(now.apps.map((a) => [key(a), a]));
  // While detection fails its apps are unknown, not gone: nothing starts or stops, only the fault is told.
  const started = now.fault === undefined ? now.apps.filter((a) => !was.has(key(a))) : [];
  const stopped = now.fault === undefined ? (before?.apps ?? []).filter((a) => !is.has(key(a))) : [];
  if (!started.length && !stopped.length && now.fault === before?.fault) return undefined;
  return { ...now, started, stopped };
}
