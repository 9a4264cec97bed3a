/**
 * The current session's auto-stop (session/autoStop.ts) wired to what it watches: call detection (a CallDetector
 * polled by a CallWatcher, each poll one bounded child, as earshot/calls/watch), the session's voice detection
 * (Session.onSpeech) and the session's own stop. One at a time, as sessions are; it ends with its session.
 *
 * What is journaled: the call (the header's autoStop, with the session's start) and the user's cancel (an autoStop
 * record), so a resumed meeting watches its call again unless the user had cancelled. The silence measured before an
 * interruption is not kept: a resumed meeting starts over in 'watching', which can only make a stop later, never sooner.
 */
import { AutoStopParams, AutoStopStateParams, CALLS_INTERVAL_MS } from '../../protocol/protocol';
import { CallDetector } from '../calls/detector';
import { CallWatcher } from '../calls/watcher';
import { JournalRecord, SessionHeader } from '../journal/journal';
import { AUTO_STOP_REASONS, AutoStop, autoStopSettings, AutoStopTimers } from '../session/autoStop';
import { Session } from '../session/session';

export interface AutoStopsOptions {
  /** The environment pactl runs in (the capture's). */
  env?: NodeJS.ProcessEnv;
  /** How often detection is asked (default CALLS_INTERVAL_MS.default). */
  intervalMs?: number;
  timers?: AutoStopTimers;
  /** Tests: another detector. */
  detector?: () => Pick<CallDetector, 'detect'>;
}

/** Whether a resumed session's auto-stop was cancelled before the interruption. */
export function autoStopOnResume(header: SessionHeader, records: readonly JournalRecord[]): { params: AutoStopParams; cancelled: boolean } | undefined {
  if (!header.autoStop) return undefined;
  return { params: header.autoStop, cancelled: records.some((r) => r.type === 'autoStop' && r.state === 'cancelled') };
}

export class AutoStops {
  private current: { sessionId: string; autoStop: AutoStop; session: Session; end: () => void } | undefined;

  constructor(private readonly notify: (params: AutoStopStateParams) => void, private readonly options: AutoStopsOptions = {}) {}

  /** Watches `session`'s call until the session ends (resumed: it says so; cancelled: the user had cancelled it). */
  start(session: Session, params: AutoStopParams, how: { resumed?: boolean; cancelled?: boolean } = {}): void {
    this.current?.end();
    const settings = autoStopSettings(params);
    const sessionId = session.id;
    const autoStop = new AutoStop(settings, {
      speaking: () => session.speaking,
      stop: () => session.stop(),
      changed: (change) => this.notify({ sessionId, app: settings.app, ...change }),
      ...(this.options.timers ? { timers: this.options.timers } : {}),
    });
    const detector = this.options.detector?.() ?? new CallDetector({ env: this.options.env });
    const watcher = new CallWatcher(detector as CallDetector, (change) => autoStop.calls(change));
    const unsubscribe = session.onSpeech(() => autoStop.speech());
    const end = () => {
      watcher.stop();
      unsubscribe();
      autoStop.close();
      if (this.current?.autoStop === autoStop) this.current = undefined;
    };
    this.current = { sessionId, autoStop, session, end };
    autoStop.begin(how.resumed ? AUTO_STOP_REASONS.resumed : AUTO_STOP_REASONS.started, how.cancelled);
    if (!how.cancelled) {
      // The watcher's first answer is the baseline; its later changes come through its callback.
      void watcher.start(this.options.intervalMs ?? CALLS_INTERVAL_MS.default).then((first) => {
        if (this.current?.autoStop === autoStop) autoStop.calls(first);
      });
    }
    void session.done().then(end, end);
  }

  /**
   * The user's cancel: the meeting runs until stopped by hand. Journaled (a resume keeps it cancelled). False when
   * `sessionId` has no auto-stop running (started without one, already cancelled, stopped, ended).
   */
  async cancel(sessionId: string): Promise<{ cancelled: boolean }> {
    const current = this.current;
    if (!current || current.sessionId !== sessionId || !current.autoStop.cancel()) return { cancelled: false };
    // Nothing more to watch: the detector's polls end here.
    current.end();
    await current.session.autoStopCancelled();
    return { cancelled: true };
  }

  /** The daemon is shutting down. */
  stop(): void {
    this.current?.end();
  }
}
