/**
 * The pieces of live capture that need no process: the capture clock across restarts and stalls, the restart
 * backoff, the bounded buffer between recorder and consumer, PCM decoding and the level meter.
 */
import * as assert from 'node:assert/strict';
import { Backoff } from '../../daemon/capture/backoff';
import { BoundedQueue } from '../../daemon/capture/boundedQueue';
import { CaptureClock } from '../../daemon/capture/clock';
import { LevelMeter, MIN_DBFS, Pcm16Decoder, toDbfs } from '../../daemon/capture/pcm';

const SR = 16000;

describe('capture clock', () => {
  it('places the first chunk at the wall time it arrived and then counts samples, whatever the arrival jitter', () => {
    const clock = new CaptureClock(1000);
    // First chunk (320 samples = 20 ms) arrives 500 ms after the origin: its last sample is "now".
    assert.deepEqual(clock.place(320, 1500), { start: 8000 - 320, skipped: 7680 });
    // Later chunks arrive early or late (±30 ms, under the 500 ms gap): timestamps follow the sample count only.
    let expected = 8000;
    for (let i = 1; i <= 50; i++) {
      const arrival = 1500 + i * 20 + (i % 2 ? 30 : -30);
      assert.deepEqual(clock.place(320, arrival), { start: expected, skipped: 0 });
      expected += 320;
    }
    assert.equal(clock.position, expected);
  });

  it('after a restart, jumps over the time the recorder was down, and never goes backwards', () => {
    const clock = new CaptureClock(0);
    clock.place(1600, 100); // 0..1600 at 100 ms
    for (let t = 200; t <= 1000; t += 100) clock.place(1600, t);
    const before = clock.position; // 16000 = 1 s
    assert.equal(before, 16000);
    clock.restart();
    // The new recorder's first chunk arrives at 4.1 s: audio from 1 s to ~4 s was never captured.
    const { start, skipped } = clock.place(1600, 4100);
    assert.equal(start, Math.round(4.1 * SR) - 1600);
    assert.equal(skipped, start - before);
    // A restart whose first chunk would land before the current position keeps counting instead.
    clock.restart();
    const p = clock.position;
    assert.deepEqual(clock.place(1600, 4150), { start: p, skipped: 0 });
  });

  it('keeps counting through a stall whose burst brings the missing audio (PulseAudio null sink after SIGCONT)', () => {
    const clock = new CaptureClock(0);
    let t = 0;
    for (; t < 2000; t += 20) clock.place(320, t + 20); // 2 s steady
    // Frozen 3 s, then the 3 s arrive at once in 10 chunks, then steady flow again.
    for (let i = 0; i < 10; i++) clock.place(4800, 5020 + i);
    for (t = 5040; t < 7500; t += 20) clock.place(320, t);
    const wall = Math.round((7480 / 1000) * SR);
    assert.ok(Math.abs(clock.position - wall) < 320 * 3, `position ${clock.position} vs wall ${wall}`);
  });

  it('after a stall that lost its audio (a sound card overrun), jumps once data has flowed steadily again', () => {
    const clock = new CaptureClock(0, { gapMs: 500, settleMs: 1000, maxLagMs: 500 });
    let t = 0;
    for (; t < 2000; t += 20) clock.place(320, t + 20);
    const beforeGap = clock.position;
    // 3 s without data, then plain real-time flow: 3 s are missing.
    const skips: number[] = [];
    for (t = 5020; t < 7500; t += 20) {
      const { skipped } = clock.place(320, t);
      if (skipped) skips.push(t);
    }
    assert.equal(skips.length, 1, 'one jump');
    assert.ok(skips[0] >= 5020 + 1000 && skips[0] < 5020 + 1100, `jump after settling (${skips[0]} ms)`);
    const wall = Math.round((7480 / 1000) * SR);
    assert.ok(Math.abs(clock.position - wall) < 320 * 2, `aligned with the wall clock again: ${clock.position} vs ${wall}`);
    assert.ok(clock.position > beforeGap);
  });

  it('ignores a short hiccup (an event loop blocked 400 ms delivers the pipe backlog at once)', () => {
    const clock = new CaptureClock(0);
    for (let t = 20; t <= 2000; t += 20) clock.place(320, t);
    // Nothing read from 2000 to 2400 ms, then the 20 queued chunks at once.
    for (let i = 0; i < 20; i++) clock.place(320, 2400);
    for (let t = 2420; t <= 4000; t += 20) assert.equal(clock.place(320, t).skipped, 0);
    assert.equal(clock.position, 200 * 320);
  });
});

describe('capture backoff', () => {
  it('waits 0.25, 0.5, 1, 2, 4 s, then 5 s forever, and starts over after a reset', () => {
    const b = new Backoff();
    assert.deepEqual(Array.from({ length: 9 }, () => b.next()), [250, 500, 1000, 2000, 4000, 5000, 5000, 5000, 5000]);
    assert.equal(b.attempts, 9);
    b.reset();
    assert.equal(b.next(), 250);
    assert.equal(b.healthyMs, 10_000);
  });

  it('takes other bounds', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 300 });
    assert.deepEqual([b.next(), b.next(), b.next(), b.next()], [100, 200, 300, 300]);
  });
});

describe('bounded capture buffer', () => {
  it('drops the oldest items when full, counts them, and never holds more than its capacity', () => {
    const q = new BoundedQueue<number>(5);
    const dropped: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const d = q.push(i);
      if (d !== undefined) dropped.push(d);
      assert.ok(q.length <= 5);
    }
    assert.equal(q.dropped, 995);
    assert.deepEqual(dropped.slice(0, 3), [0, 1, 2]);
    assert.deepEqual([q.shift(), q.shift(), q.shift(), q.shift(), q.shift(), q.shift()], [995, 996, 997, 998, 999, undefined]);
  });

  it('keeps order through interleaved pushes and shifts (and compaction)', () => {
    const q = new BoundedQueue<number>(1000);
    const out: number[] = [];
    let next = 0;
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 7; i++) q.push(next++);
      for (let i = 0; i < 5; i++) out.push(q.shift()!);
    }
    while (q.length) out.push(q.shift()!);
    assert.deepEqual(out, Array.from({ length: next }, (_, i) => i));
  });

  it('wakes a waiting consumer on push and on abort', async () => {
    const q = new BoundedQueue<string>(2);
    const ac = new AbortController();
    const waiting = q.wait(ac.signal);
    setTimeout(() => q.push('x'), 10);
    await waiting;
    assert.equal(q.shift(), 'x');
    const aborted = q.wait(ac.signal);
    setTimeout(() => ac.abort(), 10);
    await aborted;
    assert.equal(q.length, 0);
  });
});

describe('PCM decoding and input level', () => {
  it('decodes s16le across chunk boundaries, odd bytes included', () => {
    const values = [0, 1, -1, 32767, -32768, 12345, -12345, 42];
    const bytes = Buffer.alloc(values.length * 2);
    values.forEach((v, i) => bytes.writeInt16LE(v, 2 * i));
    const d = new Pcm16Decoder();
    const out: number[] = [];
    for (const [a, b] of [[0, 3], [3, 4], [4, 9], [9, 16]]) out.push(...d.decode(bytes.subarray(a, b)));
    assert.deepEqual(out, values.map((v) => v / 32768));
    d.decode(Buffer.from([1]));
    d.reset();
    assert.deepEqual([...d.decode(Buffer.from([0x00, 0x40]))], [0.5]);
  });

  it('reports RMS and peak in dBFS at most once per interval, bursts included', () => {
    const meter = new LevelMeter(100);
    const sine = new Float32Array(320);
    for (let i = 0; i < sine.length; i++) sine[i] = 0.5 * Math.sin((2 * Math.PI * 500 * i) / SR);
    const levels = [];
    for (let t = 0; t <= 1000; t += 20) {
      const l = meter.push(sine, t);
      if (l) levels.push(l);
    }
    assert.equal(levels.length, 10);
    for (const l of levels) {
      assert.ok(Math.abs(l.rmsDbfs - 20 * Math.log10(0.5 / Math.SQRT2)) < 0.2, `rms ${l.rmsDbfs}`);
      assert.ok(Math.abs(l.peakDbfs - 20 * Math.log10(0.5)) < 0.2, `peak ${l.peakDbfs}`);
    }
    // A burst of 100 chunks arriving within 5 ms yields at most one value.
    let burst = 0;
    for (let i = 0; i < 100; i++) if (meter.push(sine, 2000 + i * 0.05)) burst++;
    assert.ok(burst <= 1);
    const silent = new LevelMeter(100);
    silent.push(new Float32Array(1600), 0);
    assert.deepEqual(silent.push(new Float32Array(1600), 100), { rmsDbfs: MIN_DBFS, peakDbfs: MIN_DBFS, at: 100 });
    assert.equal(toDbfs(1), 0);
  });
});
