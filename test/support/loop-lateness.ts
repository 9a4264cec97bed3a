/**
 * How late this process ran its timers over a stretch of a test: a timer ticking every `tickMs` notes every tick
 * that came later than due, as the stretch of time during which the event loop ran nothing (it was blocked, or the
 * process got no CPU on a loaded machine).
 *
 * A test of a bound that a timer or an I/O event of the code under test keeps ("a fault is noticed within 1 s", "a
 * stall is reported after 2 s") allows the bound plus the time lost meanwhile: on a loaded machine that code's
 * timers and events ran late by as much, though the code is right. The assertion still fails for a detection that
 * never comes, one far too late (its lateness is not the loop's), or one too early (the lower bound is kept as is).
 * The project's standard: a test passes on a loaded machine too; speed goals live in benchmarks.
 */
export interface LoopLateness {
  /** Milliseconds of [from, to] (performance.now()) during which a due tick waited: 0 on an idle machine. */
  lostMs(from: number, to: number): number;
  stop(): void;
}

export function watchLateness(tickMs = 10): LoopLateness {
  /** Stretches [from, to] when a due tick waited (from: when it was due, to: when it ran). */
  const late: { from: number; to: number }[] = [];
  let last = performance.now();
  let stopped = false;
  const timer = setInterval(() => {
    const now = performance.now();
    if (now - last > tickMs + 1) late.push({ from: last + tickMs, to: now }); // a timer 1 ms late is on time
    last = now;
  }, tickMs);
  timer.unref();
  // The stretch still open when asked: the caller runs on the loop, so the tick that would note it waits too.
  const stretches = () => {
    const now = performance.now();
    return !stopped && now - last > tickMs + 1 ? [...late, { from: last + tickMs, to: now }] : late;
  };
  return {
    lostMs: (from, to) => stretches().reduce((sum, s) => sum + Math.max(0, Math.min(to, s.to) - Math.max(from, s.from)), 0),
    stop: () => { stopped = true; clearInterval(timer); },
  };
}

/** "(the event loop lost N ms meanwhile)": for the message of an assertion that allows it. */
export function lostNote(lostMs: number): string {
  return `(the event loop lost ${lostMs.toFixed(0)} ms meanwhile)`;
}
