/**
 * Issue 60's "a machine loaded as CI is", made reproducible: other processes keeping `cores` cores busy while a figure
 * runs. CI runs its suites one at a time on a 2-core machine; beside the suite under test, its other work (the e2e
 * suites' browser and code-server, Wine, compiles) held 1.1–1.7 cores in the runs speed.md measured (figure 3E). The
 * default, 1.5 cores, is the middle of that: one thread spinning all the time and one spinning half of each 100 ms.
 * Each thread spins in its own process (as CI's load is other processes), at normal priority.
 *
 *   node out/test/bench/ci-load.js [--cores 1.5] [--seconds 600]     # until killed, or for that long
 */
import { fork } from 'node:child_process';

const PERIOD_MS = 100;

/** Spins for `duty` of every PERIOD_MS, for `seconds`. */
function spin(duty: number, seconds: number): void {
  const end = Date.now() + seconds * 1000;
  const tick = () => {
    const start = Date.now();
    if (start >= end) process.exit(0);
    while (Date.now() - start < duty * PERIOD_MS) { /* busy */ }
    setTimeout(tick, Math.max(0, PERIOD_MS - (Date.now() - start)));
  };
  tick();
}

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

if (process.argv[2] === '--spin') {
  spin(Number(process.argv[3]), Number(process.argv[4]));
} else {
  const cores = arg('cores', 1.5);
  const seconds = arg('seconds', 3600);
  const duties: number[] = [];
  for (let left = cores; left > 1e-6; left -= 1) duties.push(Math.min(1, left));
  const children = duties.map((duty) => fork(__filename, ['--spin', String(duty), String(seconds)], { stdio: 'inherit' }));
  const stop = () => { for (const c of children) c.kill(); process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  console.log(`ci-load: ${cores} cores busy (${duties.map((d) => `${Math.round(d * 100)}%`).join(' + ')}) for ${seconds} s, pid ${process.pid}`);
}
