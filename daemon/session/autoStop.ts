/**
 * Auto-stop: a meeting started for a call ends when the call does (issue 58; the protocol's "Auto-stop" section).
 *
 *   watching  ──the app released the microphone, no speech──▶  silent  ──silenceSec without speech──▶  countdown
 *      ▲                                                          │                                      │
 *      └───────────── speech, or the app back, or a detection fault ─────────────────────────────────────┤
 *                                                                                   countdownSec ended ──▶ stopped
 *   any but stopped ──the user cancels──▶ cancelled (the meeting runs until stopped by hand)
 *
 * Owns the state and its two timers; nothing here asks the OS or touches the session: what detection sees comes in
 * through calls() (a CallWatcher's changes), whether any source's voice detection hears speech through speech() and
 * deps.speaking(), and the stop goes out through deps.stop(). A detection fault never leads to a stop: it puts the
 * state back to 'watching' (saying so in the reason) until detection answers again. Timers are setTimeout's, which
 * Node runs on the monotonic clock: a wall-clock jump neither hastens nor delays a stop (stopsAt is for display only).
 */
import { AUTO_STOP_COUNTDOWN_SEC, AUTO_STOP_SILENCE_SEC, AutoStopParams, AutoStopState, CallApp, CallsListResult } from '../../protocol/protocol';

/** Why the state changed: fixed words, never another process's text. */
export const AUTO_STOP_REASONS = {
  started: 'the meeting started for this call',
  resumed: 'the meeting resumed after an interruption',
  appUses: 'the app uses the microphone',
  appBack: 'the app uses the microphone again',
  appReleased: 'the app released the microphone',
  notUsing: 'the app is not using the microphone',
  speech: 'speech resumed',
  speechEnded: 'speech ended and the app is not using the microphone',
  silence: 'no speech since the app released the microphone',
  fault: 'call detection failed: auto-stop never stops a meeting on a fault, it waits for detection to answer again',
  cancelled: 'cancelled by the user',
  stopped: 'the countdown ended',
} as const;

export type AutoStopSettings = Required<Omit<AutoStopParams, 'pid'>> & Pick<AutoStopParams, 'pid'>;

/** The params with their defaults filled in. */
export function autoStopSettings(params: AutoStopParams): AutoStopSettings {
  return {
    app: params.app, ...(params.pid !== undefined ? { pid: params.pid } : {}),
    silenceSec: params.silenceSec ?? AUTO_STOP_SILENCE_SEC.default, countdownSec: params.countdownSec ?? AUTO_STOP_COUNTDOWN_SEC.default,
  };
}

/** A state as it is told: the protocol's AutoStopStateParams without the session and app (the owner adds them). */
export interface AutoStopChange {
  state: AutoStopState;
  reason: string;
  stopsAt?: string;
}

export interface AutoStopTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
  /** Wall-clock ms, only to tell when a countdown ends (stopsAt). */
  wallNow(): number;
}

export const REAL_TIMERS: AutoStopTimers = {
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
  wallNow: () => Date.now(),
};

export interface AutoStopDeps {
  /** Whether any source's voice detection has speech open now. */
  speaking(): boolean;
  /** Stops the meeting as earshot/session/stop does. */
  stop(): Promise<unknown>;
  /** Each change of state (or of reason within 'watching'). */
  changed(change: AutoStopChange): void;
  timers?: AutoStopTimers;
}

/** Whether `a` is the call's app: the same name, and the same process where the call named one. */
export function isCallApp(a: CallApp, settings: Pick<AutoStopSettings, 'app' | 'pid'>): boolean {
  return a.app === settings.app && (settings.pid === undefined || a.pid === settings.pid);
}

export class AutoStop {
  private current: AutoStopState = 'watching';
  private reason = '';
  /** Whether the app uses the microphone, as detection last answered; undefined while it fails (unknown, not gone). */
  private appPresent: boolean | undefined = true;
  /** Whether detection has seen the app since the start: its absence is then a release, not "not using". */
  private appSeen = false;
  private timer: unknown;
  private closed = false;
  private readonly timers: AutoStopTimers;

  constructor(readonly settings: AutoStopSettings, private readonly deps: AutoStopDeps) {
    this.timers = deps.timers ?? REAL_TIMERS;
  }

  get state(): AutoStopState {
    return this.current;
  }

  /** Starts in 'watching' (or 'cancelled', for a resumed meeting whose auto-stop the user had cancelled). */
  begin(reason: string, cancelled = false): void {
    this.go(cancelled ? 'cancelled' : 'watching', cancelled ? AUTO_STOP_REASONS.cancelled : reason);
  }

  /** What detection sees now (its first answer, then each change). */
  calls(result: CallsListResult): void {
    const was = this.appPresent;
    this.appPresent = result.fault !== undefined ? undefined : result.apps.some((a) => isCallApp(a, this.settings));
    if (this.appPresent) this.appSeen = true;
    this.evaluate(was === false && this.appPresent ? AUTO_STOP_REASONS.appBack : undefined);
  }

  /** A source's voice detection opened or closed speech: deps.speaking() says where it stands now. */
  speech(): void {
    this.evaluate();
  }

  /** The user's cancel: true when there was something to cancel (not already cancelled or stopped). */
  cancel(): boolean {
    if (this.closed || this.current === 'cancelled' || this.current === 'stopped') return false;
    this.go('cancelled', AUTO_STOP_REASONS.cancelled);
    return true;
  }

  /** The meeting ended (by hand or by this): nothing more runs or is told. */
  close(): void {
    this.closed = true;
    this.timers.clear(this.timer);
    this.timer = undefined;
  }

  private evaluate(appReason?: string): void {
    if (this.closed || this.current === 'cancelled' || this.current === 'stopped') return;
    if (this.appPresent === undefined) return this.go('watching', AUTO_STOP_REASONS.fault);
    if (this.appPresent) return this.go('watching', appReason ?? (this.current === 'watching' && this.reason !== AUTO_STOP_REASONS.fault ? this.reason : AUTO_STOP_REASONS.appUses));
    if (this.deps.speaking()) return this.go('watching', AUTO_STOP_REASONS.speech);
    if (this.current !== 'watching') return; // silent or counting down already: the timer goes on
    const reason = this.reason === AUTO_STOP_REASONS.speech ? AUTO_STOP_REASONS.speechEnded : this.appSeen ? AUTO_STOP_REASONS.appReleased : AUTO_STOP_REASONS.notUsing;
    this.go('silent', reason);
  }

  private go(state: AutoStopState, reason: string): void {
    if (state === this.current && reason === this.reason) return;
    const entering = state !== this.current;
    this.current = state;
    this.reason = reason;
    if (entering) {
      this.timers.clear(this.timer);
      this.timer = undefined;
    }
    let stopsAt: string | undefined;
    if (entering && state === 'silent') {
      this.timer = this.timers.set(() => this.silenceEnded(), this.settings.silenceSec * 1000);
    } else if (entering && state === 'countdown') {
      stopsAt = new Date(this.timers.wallNow() + this.settings.countdownSec * 1000).toISOString();
      this.timer = this.timers.set(() => this.countdownEnded(), this.settings.countdownSec * 1000);
    }
    this.deps.changed({ state, reason, ...(stopsAt ? { stopsAt } : {}) });
  }

  private silenceEnded(): void {
    this.timer = undefined;
    if (this.closed || this.current !== 'silent') return;
    // Speech opened since, unseen (a change comes with each opening; this is the guard).
    if (this.deps.speaking() || this.appPresent !== false) return this.evaluate();
    this.go('countdown', AUTO_STOP_REASONS.silence);
  }

  private countdownEnded(): void {
    this.timer = undefined;
    if (this.closed || this.current !== 'countdown') return;
    if (this.deps.speaking() || this.appPresent !== false) return this.evaluate();
    this.go('stopped', AUTO_STOP_REASONS.stopped);
    this.close();
    // The session reports its own stop's faults (its state, its journal's end record).
    void this.deps.stop().catch(() => undefined);
  }
}
