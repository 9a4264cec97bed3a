/**
 * Figure C — what call detection costs while nothing calls: the watch on a real (private) PulseAudio server with no
 * app on the microphone, only a recorder of system audio (parec on speaker.monitor, as Earshot's "Others": a
 * source-output each look reads and leaves out). Three ways, each beside the same time without watching (this process
 * idle: the baseline), in the same run: the sound server's events (`pactl subscribe`, what Linux runs), polling at the
 * default interval, and at the shortest. CPU counted: this process's (user + system), the pactl children's it waited
 * for (/proc/self/stat cutime + cstime) and the running subscriber's (its /proc/<pid>/stat), over the wall time. The
 * server runs without test/support/pulse.ts's keep-alive readers: they pipe audio into this process, whose CPU would
 * be theirs. Goal (issue 58): ≤ 0.005 CPU-s per second while idle.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { CALLS_INTERVAL_MS } from '../../protocol/protocol';
import { CallDetector } from '../../daemon/calls/detector';
import { PulseSubscription } from '../../daemon/calls/pulseEvents';
import { CallWatcher, EVENTS_SAFETY_POLL_MS } from '../../daemon/calls/watcher';
import { startPulse } from '../support/pulse';
import { envNum, FigureReport, ownCpu, table } from './util';

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU seconds (user + system) of a running process, from /proc/<pid>/stat. */
function processCpu(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** CPU seconds of the children this process has waited for (pactl's runs). */
function childrenCpu(): number {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / CLK_TCK;
}

export async function callsIdle(): Promise<FigureReport> {
  const sec = envNum('BENCH_CALLS_SEC', 60);
  const pulse = await startPulse({ keepAlive: false });
  const others = spawn('parec', ['-d', 'speaker.monitor', '--raw'], { env: pulse.env, stdio: 'ignore' });
  const rows: (string | number)[][] = [];
  const targets: FigureReport['targets'] = [];
  let polls = 0;
  try {
    {
      const own0 = ownCpu(), kids0 = childrenCpu(), t0 = performance.now();
      await sleep(sec * 1000);
      const wall = (performance.now() - t0) / 1000;
      const own = ownCpu() - own0, kids = childrenCpu() - kids0;
      rows.push(['off (baseline)', 0, `${wall.toFixed(1)} s`, `${(1000 * own).toFixed(0)} ms`, `${(1000 * kids).toFixed(0)} ms`, '-', ((own + kids) / wall).toFixed(4), 0]);
    }
    // 'events': the watch as the daemon runs it on Linux, `pactl subscribe` with a look every EVENTS_SAFETY_POLL_MS;
    // then the polls alone, as on macOS and Windows, or on Linux while the events do not come.
    for (const mode of ['events', 'poll', 'poll-min'] as const) {
      const intervalMs = mode === 'poll-min' ? CALLS_INTERVAL_MS.min : CALLS_INTERVAL_MS.default;
      const detector = new CallDetector({ env: pulse.env });
      const counted = { detect: detector.detect.bind(detector) };
      detector.detect = async () => { polls++; return counted.detect(); };
      let changes = 0;
      const events = mode === 'events' ? new PulseSubscription({ env: pulse.env }) : null;
      const watcher = new CallWatcher(detector, () => { changes++; }, events);
      polls = 0;
      const first = await watcher.start(intervalMs);
      if (first.fault) throw new Error(`detection failed: ${first.fault}`);
      if (events) {
        // Subscribed: its first look (events before it were missed) is done before the count starts.
        const until = performance.now() + 10_000;
        while (!watcher.eventDriven && performance.now() < until) await sleep(50);
        if (!watcher.eventDriven) throw new Error('pactl subscribe did not start');
        await sleep(500);
      }
      // From after the first look (its sources listing is once per process): the steady idle cost.
      const polls0 = polls;
      const own0 = ownCpu(), kids0 = childrenCpu(), t0 = performance.now();
      const sub0 = events?.pid ? processCpu(events.pid) : 0;
      await sleep(sec * 1000);
      const wall = (performance.now() - t0) / 1000;
      // The subscriber still runs: its CPU is read from its own /proc entry (not yet in cutime).
      const sub = events?.pid ? processCpu(events.pid) - sub0 : 0;
      const own = ownCpu() - own0, kids = childrenCpu() - kids0 + sub;
      watcher.stop();
      const looks = polls - polls0;
      const perSec = (own + kids) / wall;
      const label = mode === 'events' ? `events (pactl subscribe), a look every ${EVENTS_SAFETY_POLL_MS / 1000} s besides` : `poll every ${intervalMs} ms`;
      rows.push([label, looks, `${wall.toFixed(1)} s`, `${(1000 * own).toFixed(0)} ms`, `${(1000 * kids).toFixed(0)} ms`,
        `${(1000 * (own + kids) / Math.max(1, looks)).toFixed(1)} ms`, `**${perSec.toFixed(4)}**`, changes]);
      // The goal is the default's (events on Linux); the polls are shown beside it.
      if (mode === 'events') targets.push({ metric: 'idle call detection (pactl subscribe): CPU-s per s', value: perSec.toFixed(4), target: '≤ 0.005', met: perSec <= 0.005 });
      if (mode === 'poll') targets.push({ metric: `idle call detection (poll every ${intervalMs} ms): CPU-s per s`, value: perSec.toFixed(4), target: '≤ 0.005', met: perSec <= 0.005 });
    }
  } finally {
    others.kill();
    await pulse.stop();
  }
  return {
    title: `Call detection while idle: ${sec} s of watching a PulseAudio server with no call`,
    commands: ['npm run bench -- calls'],
    lines: table(['watch', 'looks', 'wall', 'CPU, this process', 'CPU, pactl children', 'CPU per poll', 'CPU-s per s', 'changes told'], rows),
    notes: [
      'One look is one `pactl -f json list source-outputs` (the sources are listed once, when a stream names one not known yet). ' +
        'pactl\'s CPU is counted from /proc/self/stat (cutime + cstime: children waited for), the running `pactl subscribe`\'s from its /proc/<pid>/stat, this process\'s from process.cpuUsage().',
      'Events: what the daemon and `earshot calls --watch` run on Linux. The polls: macOS and Windows, and Linux while the events do not come; the shortest (1 s, earshot/calls/watch\'s intervalMs or --interval 1000) costs about three times the default. The baseline is this process doing nothing for the same time.',
    ],
    targets,
  };
}
