/**
 * How late this process ran its timers over a stretch of a test: a timer ticking every `tickMs` notes every tick
 * that came later than due, as the stretch of time during which the event loop ran nothing (it was blocked, or the
 * process got no CPU on a loaded machine).
 *
 * A test of a bound that a timer or an I/O event of the code under test keeps ("a fault is noticed within 1 s", "a
 * stall is reported after 2 s") allows the bound plus the time lost meanwhile: on a loaded machine that code's
 * timers and events ran late by as much, though the code is right. Only the share of a late stretch the process spent
 * off the CPU counts (process.cpuUsage): the code under test blocking the loop is its own lateness, not the machine's.
 * The assertion still fails for a detection that never comes, one far too late (its lateness is not the loop's), one
 * that blocks the loop itself, or one too early (the lower bound is kept as is).
 * The project's standard: a test passes on a loaded machine too; speed goals live in benchmarks.
 */
export interface LoopLateness {
  /** Milliseconds of [from, to] (performance.now()) during which a due tick waited with the process off the CPU: 0 on an idle machine. */
  lostMs(from: number, to: number): number;
  stop(): void;
}

export function watchLateness(tickMs = 10): LoopLateness {
  /**
   * Stretches [from, to] when a due tick waited (from: when it was due, to: when it ran), and how much of each the
   * process spent off the CPU: only that is the machine's load. Time the process ran (its own code, the code under
   * test blocking the loop) is not excused.
   */
  const late: { from: number; to: number; offCpu: number }[] = [];
  const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  let last = performance.now();
  let lastCpu = cpuMs();
  let stopped = false;
  const stretch = (now: number, cpu: number) => {
    const from = last + tickMs;
    return { from, to: now, offCpu: Math.max(0, now - last - (cpu - lastCpu)) / (now - last) };
  };
  const timer = setInterval(() => {
    const now = performance.now();
    const cpu = cpuMs();
    if (now - last > tickMs + 1) late.push(stretch(now, cpu)); // a timer 1 ms late is on time
    last = now;
    lastCpu = cpu;
  }, tickMs);
  timer.unref();
  // The stretch still open when asked: the caller runs on the loop, so the tick that would note it waits too.
  const stretches = () => {
    const now = performance.now();
    return !stopped && now - last > tickMs + 1 ? [...late, stretch(now, cpuMs())] : late;
  };
  return {
    lostMs: (from, to) => stretches().reduce((sum, s) => sum + Math.max(0, Math.min(to, s.to) - Math.max(from, s.from)) * s.offCpu, 0),
    stop: () => { stopped = true; clearInterval(timer); },
  };
}

/** "(the event loop lost N ms meanwhile)": for the message of an assertion that allows it. */
export function lostNote(lostMs: number): string {
  return `(the event loop lost ${lostMs.toFixed(0)} ms meanwhile)`;
}
