/**
 * Issue 60's "a machine loaded as CI is", made reproducible: other processes keeping `cores` cores busy in all while a
 * figure runs. CI runs its suites one at a time on a 2-core machine; beside the one under measurement its other work
 * (the e2e suites' browser and code-server, Wine, compiles) held 1.1–1.7 cores in the runs speed.md measured (3E). The
 * default, 1.5 cores, is the middle of that. Two spinning processes (CI's load is other processes, at normal priority)
 * take what the machine's other processes leave of it, read every half second from /proc: the load in all is
 * `cores` however busy the shared machine is, up to what two spinners can add. The figure's own process (its command
 * line contains `--exclude`, default `bench.js`) does not count.
 *
 *   node out/test/bench/ci-load.js [--cores 1.5] [--seconds 3600] [--exclude bench.js]
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs';

const PERIOD_MS = 100;
const ADJUST_MS = 500;
/** Clock ticks per second in /proc (USER_HZ, 100 on Linux). */
const HZ = 100;

/** Spins for the share of every PERIOD_MS the parent last said. */
function spin(): void {
  let duty = 0;
  process.on('message', (d: number) => { duty = d; });
  process.on('disconnect', () => process.exit(0));
  const tick = () => {
    const start = Date.now();
    while (Date.now() - start < duty * PERIOD_MS) { /* busy */ }
    setTimeout(tick, Math.max(0, PERIOD_MS - (Date.now() - start)));
  };
  tick();
}

/** Busy CPU ticks of the whole machine (/proc/stat). */
function machineBusyTicks(): number {
  const [, ...f] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal
  return f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
}

/** CPU ticks (user + system) of a process, 0 if it is gone. */
function processTicks(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

/** The processes whose command line contains `text` (the figure being measured). */
function processesMatching(text: string): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(text)) pids.push(Number(name));
    } catch { /* gone */ }
  }
  return pids;
}

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

if (process.argv[2] === '--spin') {
  spin();
} else {
  const cores = Number(arg('cores', '1.5'));
  const seconds = Number(arg('seconds', '3600'));
  const exclude = arg('exclude', 'bench.js');
  const spinners = [fork(__filename, ['--spin']), fork(__filename, ['--spin'])];
  const mine = () => spinners.reduce((n, c) => n + processTicks(c.pid!), 0);
  const excluded = () => processesMatching(exclude).reduce((n, pid) => n + processTicks(pid), 0);
  let last = { at: Date.now(), machine: machineBusyTicks(), mine: mine(), excluded: excluded() };
  let added = 0;
  const readings: number[] = [];
  const adjust = setInterval(() => {
    const now = { at: Date.now(), machine: machineBusyTicks(), mine: mine(), excluded: excluded() };
    const sec = (now.at - last.at) / 1000;
    // The machine's other processes (not the figure, not these spinners), in cores, and what they and the spinners made.
    const others = Math.max(0, (now.machine - last.machine - (now.mine - last.mine) - (now.excluded - last.excluded)) / HZ / sec);
    readings.push(others + (now.mine - last.mine) / HZ / sec);
    last = now;
    // What the spinners add: the rest of `cores`, moved half way each time (the readings are noisy).
    added = Math.max(0, Math.min(2, added + 0.5 * (cores - others - added)));
    for (const c of spinners) c.send(added / 2);
  }, ADJUST_MS);
  const stop = () => {
    clearInterval(adjust);
    for (const c of spinners) c.kill();
    const mean = readings.reduce((a, b) => a + b, 0) / Math.max(1, readings.length);
    console.log(`ci-load: other load in all (the spinners included) ${mean.toFixed(2)} cores on average over ${readings.length} readings`);
    process.exit(0);
  };
  setTimeout(stop, seconds * 1000).unref();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  console.log(`ci-load: other processes topped up to ${cores} cores (figure's processes matching ${JSON.stringify(exclude)} excluded) for ${seconds} s, pid ${process.pid}`);
}
