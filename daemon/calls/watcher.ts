/**
 * Watching the microphone: looks with a CallDetector while on and tells when the apps using the microphone change, or
 * detection starts or stops failing. Where the detector has events (Linux: `pactl subscribe`, pulseEvents.ts) it looks
 * when one comes, and only every EVENTS_SAFETY_POLL_MS besides; without them, while they do not come (the child
 * died and waits to restart) or while detection fails, it polls every intervalMs. Looks never overlap (an event during one is a look after it),
 * the next is set when one ends. Off, nothing runs. Timers and the events' child do not keep the process alive.
 */
import { CallApp, CALLS_INTERVAL_MS, CallsChangedParams, CallsListResult } from '../../protocol/protocol';
import { CallDetector } from './detector';
import { CallEvents } from './pulseEvents';

const key = (a: CallApp) => `${a.app}\0${a.pid ?? ''}`;

/** While events come, a look this often all the same: an event lost (between a look and the subscription) costs at most this. */
export const EVENTS_SAFETY_POLL_MS = 30_000;
/** A look this long after an event: a stream's new and change come together, one look sees both. */
export const EVENT_SETTLE_MS = 100;

export class CallWatcher {
  private timer: NodeJS.Timeout | undefined;
  /** When the timer fires (performance.now()), to bring it forward, never back. */
  private timerAt = Infinity;
  private on = false;
  private intervalMs: number = CALLS_INTERVAL_MS.default;
  private last: CallsListResult | undefined;
  /** Bumped by each start and stop: a look that was under way then reports nothing. */
  private generation = 0;
  private looking = false;
  /** An event came during a look: another look follows it. */
  private lookAgain = false;
  /** Whether events come now (else: polls). */
  private live = false;
  private readonly events: CallEvents | undefined;

  /** `events`: default, the detector's own (Linux: pactl subscribe); null: poll only. */
  constructor(private readonly detector: Pick<CallDetector, 'detect'> & Partial<Pick<CallDetector, 'events'>>, private readonly onChange: (change: CallsChangedParams) => void,
    events?: CallEvents | null) {
    this.events = events === null ? undefined : events ?? detector.events?.();
  }

  get watching(): boolean {
    return this.on;
  }

  /** Whether events drive the looks now (false: polls every intervalMs). */
  get eventDriven(): boolean {
    return this.live;
  }

  /** Starts watching (or changes the interval); resolves with what detection sees now, the baseline of later changes. */
  async start(intervalMs: number = CALLS_INTERVAL_MS.default): Promise<CallsListResult> {
    this.stop();
    this.on = true;
    this.intervalMs = intervalMs;
    const generation = this.generation;
    this.events?.start(() => this.lookIn(generation, EVENT_SETTLE_MS), (live) => {
      this.live = live;
      // Subscribed: a look now (what changed before is not an event); lost: the polls take over at once.
      this.lookIn(generation, live ? 0 : this.intervalMs, !live);
    });
    this.looking = true;
    const now = await this.detector.detect().finally(() => { if (generation === this.generation) this.looking = false; });
    if (generation !== this.generation) return now;
    this.last = now;
    this.lookIn(generation, this.lookAgain ? EVENT_SETTLE_MS : this.nextMs());
    this.lookAgain = false;
    return now;
  }

  stop(): void {
    this.generation++;
    this.on = false;
    this.events?.stop();
    this.live = false;
    this.looking = false;
    this.lookAgain = false;
    this.clearTimer();
    this.last = undefined;
  }

  /** While events come, the safety poll; without them, or while the last look failed (events do not say when it recovers), intervalMs. */
  private nextMs(): number {
    return this.live && this.last?.fault === undefined ? Math.max(this.intervalMs, EVENTS_SAFETY_POLL_MS) : this.intervalMs;
  }

  private clearTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  /** A look in `ms` (or sooner, if one is set sooner; `replace`: in `ms` whatever is set); during a look, one after it. */
  private lookIn(generation: number, ms: number, replace = false): void {
    if (generation !== this.generation) return;
    if (this.looking) {
      if (ms < this.intervalMs) this.lookAgain = true;
      return;
    }
    const at = performance.now() + ms;
    if (!replace && at >= this.timerAt) return;
    this.clearTimer();
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      void this.look(generation);
    }, ms);
    this.timer.unref();
  }

  private async look(generation: number): Promise<void> {
    this.looking = true;
    const now = await this.detector.detect();
    if (generation !== this.generation) return;
    this.looking = false;
    const change = changes(this.last, now);
    // While detection fails, the apps last seen stay the baseline: when it recovers, only real changes are told.
    this.last = now.fault === undefined ? now : { ...now, apps: this.last?.apps ?? [] };
    if (change) this.onChange(change);
    const again = this.lookAgain;
    this.lookAgain = false;
    this.lookIn(generation, again ? EVENT_SETTLE_MS : this.nextMs());
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
