/**
 * `earshot calls`: what call detection sees now (daemon/calls/), in this process, no daemon needed; --watch keeps
 * polling and prints each change. App names come from other processes: printed inert.
 */
import { CallApp, CALLS_INTERVAL_MS, CallsListResult } from '../../protocol/protocol';
import { CallDetector } from '../calls/detector';
import { CallWatcher } from '../calls/watcher';
import { args, inert, Io, jsonLine, UsageError } from './common';

/** Local time, to the second: when an app started using the microphone. */
function localTime(iso: string): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

const since = (a: CallApp) => `${localTime(a.since)}${a.sinceFrom === 'detector' ? ' (first seen)' : ''}`;

/** The apps as a small table (APP, PID, SINCE), or a line saying there are none. */
export function callsTable(result: CallsListResult): string[] {
  if (result.apps.length === 0) return [`No app is using the microphone (${result.backend}).`];
  const rows = [['APP', 'PID', 'SINCE'], ...result.apps.map((a) => [inert(a.app), a.pid === undefined ? '-' : String(a.pid), since(a)])];
  const widths = [0, 1].map((c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => `${r[0].padEnd(widths[0])}  ${r[1].padEnd(widths[1])}  ${r[2]}`);
}

export async function calls(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = args(argv, 'calls');
  if (positionals.length > 0) throw new UsageError('calls takes no arguments');
  let intervalMs: number = CALLS_INTERVAL_MS.default;
  if (values.interval !== undefined) {
    if (!values.watch) throw new UsageError('--interval goes with --watch');
    intervalMs = Number(values.interval);
    if (!Number.isInteger(intervalMs) || intervalMs < CALLS_INTERVAL_MS.min || intervalMs > CALLS_INTERVAL_MS.max) {
      throw new UsageError(`--interval must be a whole number of milliseconds from ${CALLS_INTERVAL_MS.min} to ${CALLS_INTERVAL_MS.max}`);
    }
  }
  const detector = new CallDetector();
  const fault = (r: CallsListResult) => { if (r.fault) io.err(`earshot: call detection (${r.backend}) could not look: ${inert(r.fault)}`); };
  if (!values.watch) {
    const now = await detector.detect();
    if (values.json) io.out(jsonLine(now));
    else for (const line of callsTable(now)) io.out(line);
    fault(now);
    return now.fault ? 1 : 0;
  }
  const watcher = new CallWatcher(detector, (change) => {
    if (values.json) return io.out(jsonLine(change));
    for (const a of change.started) io.out(`+ ${inert(a.app)}${a.pid === undefined ? '' : ` (pid ${a.pid})`} started using the microphone, ${since(a)}`);
    for (const a of change.stopped) io.out(`- ${inert(a.app)}${a.pid === undefined ? '' : ` (pid ${a.pid})`} stopped using the microphone`);
    fault(change);
  });
  const first = await watcher.start(intervalMs);
  if (values.json) io.out(jsonLine(first));
  else for (const line of callsTable(first)) io.out(line);
  fault(first);
  // The watcher's timer does not hold the process: this does, until Ctrl+C or SIGTERM.
  await new Promise<void>((resolve) => {
    const hold = setInterval(() => undefined, 1 << 30);
    const done = () => { clearInterval(hold); process.off('SIGINT', done); process.off('SIGTERM', done); resolve(); };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  watcher.stop();
  return 0;
}
