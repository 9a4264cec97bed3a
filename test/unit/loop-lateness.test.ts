/**
 * The helper that lets timed assertions allow what a loaded machine took from the process (test/support/
 * loop-lateness.ts): it must excuse time off the CPU and never the process's own blocking, or a test that blocks the
 * loop would pass its bound.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { watchLateness } from '../support/loop-lateness';

describe('loop lateness (the timed tests\' allowance)', () => {
  it('excuses nothing while the loop runs its timers on time', async () => {
    const loop = watchLateness();
    const from = performance.now();
    await sleep(200);
    const lost = loop.lostMs(from, performance.now());
    loop.stop();
    // Idle: ticks come on time; a loaded machine may still take a little, never most of the stretch.
    assert.ok(lost < 100, `lost ${lost.toFixed(0)} ms of 200 while idle`);
  });

  it('does not excuse the process blocking its own loop (a busy wait of 300 ms)', async () => {
    const loop = watchLateness();
    await sleep(30);
    const cpu = process.cpuUsage();
    const from = performance.now();
    while (performance.now() - from < 300) { /* the code under test holding the loop */ }
    const to = performance.now();
    const used = process.cpuUsage(cpu);
    const ran = (used.user + used.system) / 1000;
    const lost = loop.lostMs(from, to);
    loop.stop();
    // What the process ran is never excused; on a loaded machine the rest of the stretch (off the CPU) may be.
    assert.ok(ran > 50, `the busy wait ran ${ran.toFixed(0)} ms`);
    assert.ok(lost <= to - from - ran + 30, `the busy wait counted as ${lost.toFixed(0)} ms lost of ${(to - from).toFixed(0)}, though it ran ${ran.toFixed(0)} ms`);
  });

  it('excuses a stretch the process spent waiting off the CPU (a blocking wait for a child, 300 ms)', async () => {
    const loop = watchLateness();
    await sleep(30);
    const from = performance.now();
    // spawnSync blocks the loop while this process sleeps in the kernel: the same as a machine that gave it no CPU.
    spawnSync(process.execPath, ['-e', 'setTimeout(() => {}, 300)']);
    const to = performance.now();
    const lost = loop.lostMs(from, to);
    loop.stop();
    assert.ok(lost > 0.5 * (to - from) - 100, `lost ${lost.toFixed(0)} ms of ${(to - from).toFixed(0)} off the CPU`);
  });
});
