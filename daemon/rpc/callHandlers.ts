/**
 * Call detection over JSON-RPC: earshot/calls/list (what detection sees now) and earshot/calls/watch (poll while on,
 * earshot/calls/changed when an app starts or stops using the microphone). One detector and watcher per connection;
 * the watch ends with the connection. And earshot/session/autoStopCancel, the user's cancel of a meeting's auto-stop
 * (service/autoStops.ts). Logs counts and the fault, never the apps' names (they say what the user runs).
 */
import { AutoStopCancel, CallsChangedNotification, CallsList, CallsWatch } from '../../protocol/protocol';
import { validateAutoStopCancel, validateCallsWatch } from '../../protocol/validate';
import { CallDetector } from '../calls/detector';
import { CallWatcher } from '../calls/watcher';
import { RpcContext } from './context';

export interface CallHandlers {
  /** Stops the watch (the connection is ending). */
  stop(): void;
}

export function registerCallHandlers({ connection, log, notify, answer }: RpcContext): CallHandlers {
  const detector = new CallDetector();
  const watcher = new CallWatcher(detector, (change) => {
    log.info('calls', 'changed', { apps: change.apps.length, started: change.started.length, stopped: change.stopped.length, ...(change.fault ? { fault: change.fault } : {}) });
    notify(() => connection.sendNotification(CallsChangedNotification, change));
  });
  connection.onRequest(CallsList, () => answer(CallsList.method, () => detector.detect()));
  connection.onRequest(CallsWatch, (params) => answer(CallsWatch.method, async () => {
    const { on, intervalMs } = validateCallsWatch(params);
    log.info('calls', on ? 'watch_on' : 'watch_off', on ? { intervalMs } : {});
    if (!on) {
      watcher.stop();
      return detector.detect();
    }
    return watcher.start(intervalMs);
  }));
  connection.onRequest(AutoStopCancel, (params) => answer(AutoStopCancel.method, async (svc) => {
    const { sessionId } = validateAutoStopCancel(params);
    const result = await svc.cancelAutoStop(sessionId);
    log.info('session', 'auto_stop_cancel', { sessionId, cancelled: result.cancelled });
    return result;
  }));
  return { stop: () => watcher.stop() };
}
