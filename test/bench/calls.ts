/**
 * Figure C — what call detection costs while nothing calls: the detector polling a real (private) PulseAudio server
 * with no app on the microphone, only a recorder of system audio (parec on speaker.monitor, as Earshot's "Others":
 * a source-output each poll reads and leaves out), at the default interval and at the shortest one, beside the same
 * time without polling (this process idle: the baseline). CPU counted: this process's (user + system) and the pactl
 * children's it waited for (/proc/self/stat cutime + cstime), over the wall time. The server runs without
 * test/support/pulse.ts's keep-alive readers: they pipe audio into this process, whose CPU would be theirs. Goal
 * (issue 58): ≤ 0.005 CPU-s per second while idle.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { CALLS_INTERVAL_MS } from '../../protocol/protocol';
import { CallDetector } from '../../daemon/calls/detector';
import { CallWatcher } from '../../daemon/calls/watcher';
import { startPulse } from '../support/pulse';
import { envNum, FigureReport, ownCpu, table } from './util';

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

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
      await new Promise((resolve) => setTimeout(resolve, sec * 1000));
      const wall = (performance.now() - t0) / 1000;
      const own = ownCpu() - own0, kids = childrenCpu() - kids0;
      rows.push(['off (baseline)', 0, `${wall.toFixed(1)} s`, `${(1000 * own).toFixed(0)} ms`, `${(1000 * kids).toFixed(0)} ms`, '-', ((own + kids) / wall).toFixed(4), 0]);
    }
    for (const intervalMs of [CALLS_INTERVAL_MS.default, CALLS_INTERVAL_MS.min]) {
      const detector = new CallDetector({ env: pulse.env });
      const counted = { detect: detector.detect.bind(detector) };
      detector.detect = async () => { polls++; return counted.detect(); };
      let changes = 0;
      const watcher = new CallWatcher(detector, () => { changes++; });
      polls = 0;
      const first = await watcher.start(intervalMs);
      if (first.fault) throw new Error(`detection failed: ${first.fault}`);
      // From after the first look (its sources listing is once per process): the steady idle cost.
      const own0 = ownCpu(), kids0 = childrenCpu(), t0 = performance.now();
      await new Promise((resolve) => setTimeout(resolve, sec * 1000));
      const wall = (performance.now() - t0) / 1000;
      const own = ownCpu() - own0, kids = childrenCpu() - kids0;
      watcher.stop();
      const perSec = (own + kids) / wall;
      rows.push([`${intervalMs} ms`, polls - 1, `${wall.toFixed(1)} s`, `${(1000 * own).toFixed(0)} ms`, `${(1000 * kids).toFixed(0)} ms`,
        `${(1000 * (own + kids) / Math.max(1, polls - 1)).toFixed(1)} ms`, `**${perSec.toFixed(4)}**`, changes]);
      // The goal is the default's: the shortest interval is a user's choice, shown beside it.
      if (intervalMs === CALLS_INTERVAL_MS.default) targets.push({ metric: `idle call detection (every ${intervalMs} ms): CPU-s per s`, value: perSec.toFixed(4), target: '≤ 0.005', met: perSec <= 0.005 });
    }
  } finally {
    others.kill();
    await pulse.stop();
  }
  return {
    title: `Call detection while idle: ${sec} s of polling a PulseAudio server with no call`,
    commands: ['npm run bench -- calls'],
    lines: table(['interval', 'polls', 'wall', 'CPU, this process', 'CPU, pactl children', 'CPU per poll', 'CPU-s per s', 'changes told'], rows),
    notes: [
      'One poll is one `pactl -f json list source-outputs` (the sources are listed once, when a stream names one not known yet). ' +
        'pactl\'s CPU is counted from /proc/self/stat (cutime + cstime: children waited for), this process\'s from process.cpuUsage().',
      'The goal is met at the default interval; the shortest (1 s, earshot/calls/watch\'s intervalMs or --interval 1000) costs about three times as much. The baseline is this process doing nothing for the same time.',
    ],
    targets,
  };
}
