/**
 * How many cores other processes keep busy, from the system's CPU times and this process's own: ggml's threads spin at
 * a barrier after every graph step, so a decode that asks for more threads than there are free cores spends their
 * time slices spinning while the one it waits for is not running (up to 10× slower on a busy 2-core machine; issue
 * 41). The engine asks before each decode and takes no more threads than the cores left.
 */
import * as os from 'node:os';

export interface CpuSample {
  /** performance.now() */
  at: number;
  /** Busy (non-idle) CPU milliseconds of the whole system, and of this process, so far. */
  systemBusyMs: number;
  ownMs: number;
}

export function sampleCpu(): CpuSample {
  let busy = 0;
  for (const c of os.cpus()) busy += c.times.user + c.times.nice + c.times.sys + c.times.irq;
  const own = process.cpuUsage();
  return { at: performance.now(), systemBusyMs: busy, ownMs: (own.user + own.system) / 1000 };
}

/** Cores other processes kept busy between two samples (0 when the interval is too short to say). */
export function otherBusyCores(from: CpuSample, to: CpuSample): number {
  const wall = to.at - from.at;
  if (wall < 50) return 0;
  return Math.max(0, (to.systemBusyMs - from.systemBusyMs - (to.ownMs - from.ownMs)) / wall);
}

/** The threads a decode takes: what it would take on an idle machine, but no more than the cores others leave (at least one). */
export function threadsLeft(wanted: number, cores: number, otherBusy: number): number {
  return Math.max(1, Math.min(wanted, Math.floor(cores - otherBusy + 0.25)));
}

/** Samples at each call and says how busy other processes kept the machine since the previous one. */
export class OtherLoad {
  private last: CpuSample;
  constructor(private readonly sample: () => CpuSample = sampleCpu) {
    this.last = sample();
  }

  /** Cores other processes kept busy since the previous call (since construction for the first). */
  next(): number {
    const now = this.sample();
    const busy = otherBusyCores(this.last, now);
    this.last = now;
    return busy;
  }
}
