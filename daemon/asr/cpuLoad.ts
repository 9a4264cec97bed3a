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
  if (wall < 50) return 0; // a few clock ticks: nothing to say
  return Math.max(0, (to.systemBusyMs - from.systemBusyMs - (to.ownMs - from.ownMs)) / wall);
}

/** The threads a decode takes: what it would take on an idle machine, but no more than the cores others leave (at least one). */
export function threadsLeft(wanted: number, cores: number, otherBusy: number): number {
  return Math.max(1, Math.min(wanted, Math.floor(cores - otherBusy + 0.25)));
}

/** How far back the load is read: recent enough to be what the next decode meets, long enough for the clock's 10 ms ticks. */
export const LOAD_WINDOW_MS = 1000;
/** Shorter than this, an interval says nothing (the clock ticks in 10 ms). */
const MIN_READ_MS = 100;
/** Samples kept between decodes, so that the window is there after a long pause too. */
export const LOAD_SAMPLE_MS = 250;

/**
 * Other processes' load over the last second or so: a timer samples every {@link LOAD_SAMPLE_MS} while started (not
 * keeping the process alive), and each call reads from the oldest sample within {@link LOAD_WINDOW_MS} to now.
 */
export class OtherLoad {
  private samples: CpuSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly sample: () => CpuSample = sampleCpu) {
    this.samples.push(sample());
  }

  start(): void {
    this.timer ??= setInterval(() => this.keep(this.sample()), LOAD_SAMPLE_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Cores other processes kept busy over the recent window (since the first sample when none is older). */
  next(): number {
    const now = this.sample();
    const age = (x: CpuSample) => now.at - x.at;
    // The newest sample a whole window old; else the oldest one old enough to say anything; else the oldest.
    const from = [...this.samples].reverse().find((x) => age(x) >= LOAD_WINDOW_MS) ?? this.samples.find((x) => age(x) >= MIN_READ_MS) ?? this.samples[0];
    this.keep(now);
    return otherBusyCores(from, now);
  }

  private keep(x: CpuSample): void {
    this.samples.push(x);
    // Keep the newest sample older than the window too: it starts the window when nothing newer is old enough.
    while (this.samples.length > 2 && x.at - this.samples[1].at > LOAD_WINDOW_MS) this.samples.shift();
  }
}
