import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CpuSample, otherBusyCores, OtherLoad, threadsLeft } from '../../daemon/asr/cpuLoad';
import {
  CalibrationCase, calibrate, chooseFlashAttn, chooseThreads, readTuning, SMALL_DECODE_AUDIO_CTX, threadsFor, tuningKey, TuningKeyParts, writeTuning,
} from '../../daemon/asr/decodeTuning';

const partial: CalibrationCase = { name: 'partial', audioSec: 2, audioCtx: 132, maxTokens: 20 };
const final: CalibrationCase = { name: 'final', audioSec: 6, audioCtx: 382, maxTokens: 52 };

/** A machine whose decode times are a table: case → "fa on|off, threads" → milliseconds (each run the same). */
function fakeMachine(table: Record<string, Record<string, number>>, threads: number, flashAttn: boolean[] = [true, false], measureThreads = true) {
  const calls: { fa: boolean; threads: number; c: string; limitMs: number }[] = [];
  return {
    calls,
    run: {
      flashAttn, threads, measureThreads,
      decode: async (fa: boolean, t: number, c: CalibrationCase, limitMs: number) => {
        calls.push({ fa, threads: t, c: c.name, limitMs });
        return Math.min(table[c.name][`${fa ? 'on' : 'off'} ${t}`], limitMs);
      },
    },
  };
}

describe('decode tuning: flash attention and threads as this CPU measures them', () => {
  it('keeps flash attention on unless off is clearly (10 %) faster over the cases', () => {
    assert.equal(chooseFlashAttn([100, 500], [95, 480]), true, '4 % faster is noise');
    assert.equal(chooseFlashAttn([100, 500], [80, 420]), false, '17 % faster');
    assert.equal(chooseFlashAttn([100, 500], [150, 600]), true);
  });

  it('gives a decode the fewest threads within 10 % of the fastest', () => {
    assert.equal(chooseThreads(new Map([[1, 240], [2, 184]])), 2, 'one thread is 30 % slower');
    assert.equal(chooseThreads(new Map([[1, 105], [2, 100]])), 1, 'a second thread buys 5 %: not worth its CPU');
    assert.equal(chooseThreads(new Map([[1, 176], [2, 2268]])), 1, 'a busy machine: the second thread spins');
  });

  it('small decodes take the small-decode threads, larger ones the larger; never more than configured; untuned: all', () => {
    const tuning = { smallThreads: 1, largeThreads: 4 };
    assert.equal(threadsFor(tuning, 4, 132), 1);
    assert.equal(threadsFor(tuning, 4, SMALL_DECODE_AUDIO_CTX), 1);
    assert.equal(threadsFor(tuning, 4, SMALL_DECODE_AUDIO_CTX + 1), 4);
    assert.equal(threadsFor(tuning, 4, 0), 4, 'the full window is a large decode');
    assert.equal(threadsFor(tuning, 2, 1500), 2, 'never more than configured');
    assert.equal(threadsFor(undefined, 3, 132), 3);
  });

  it('measures every setting on every case, interleaved, and chooses per case and then flash attention', async () => {
    // Flash attention helps the partial a little and hurts the final a lot; two threads help only the final.
    const m = fakeMachine({
      partial: { 'on 1': 100, 'on 2': 95, 'off 1': 110, 'off 2': 104 },
      final: { 'on 1': 900, 'on 2': 500, 'off 1': 700, 'off 2': 380 },
    }, 2);
    const tuning = await calibrate(m.run, [partial, final], 2);
    assert.deepEqual({ ...tuning, measured: undefined }, { flashAttn: false, smallThreads: 1, largeThreads: 2, measured: undefined });
    assert.equal(tuning.measured!['final: fa off, 2 threads'], 380);
    assert.equal(m.calls.length, 2 * 2 * 4, 'reps × cases × settings');
    // The first setting rotates with the rep, so no setting always runs first.
    assert.notDeepEqual([m.calls[0].fa, m.calls[0].threads], [m.calls[8].fa, m.calls[8].threads]);
  });

  it('decodes on one context at a time: each flash-attention setting\'s decodes together, the loaded one first, in reverse order the next rep', async () => {
    const table = {
      partial: { 'on 1': 100, 'on 2': 95, 'off 1': 110, 'off 2': 104 },
      final: { 'on 1': 900, 'on 2': 500, 'off 1': 700, 'off 2': 380 },
    };
    const m = fakeMachine(table, 2);
    let loaded = true;
    const loads: boolean[] = [];
    const tuning = await calibrate({
      ...m.run,
      use: async (fa) => { if (fa !== loaded) loads.push(fa); loaded = fa; },
      decode: async (fa, t, c, limitMs) => {
        assert.equal(fa, loaded, 'a decode on the context that is loaded');
        return m.run.decode(fa, t, c, limitMs);
      },
    }, [partial, final], 3);
    assert.deepEqual(loads, [false, true, false], 'on, off | off, on | on, off: a load each rep');
    assert.deepEqual(m.calls.map((c) => c.fa), [0, 1, 2].flatMap((rep) => (rep % 2 ? [false, true] : [true, false]).flatMap((fa) => Array(4).fill(fa))));
    // What it chooses is what the interleaved measurement of the same times chose.
    const together = await calibrate(fakeMachine(table, 2).run, [partial, final], 3);
    assert.deepEqual(tuning, together);
    assert.deepEqual({ ...tuning, measured: undefined }, { flashAttn: false, smallThreads: 1, largeThreads: 2, measured: undefined });
  });

  it('stops a setting at twice the case\'s best so far, and the first of each case runs unbounded', async () => {
    const m = fakeMachine({ partial: { 'on 1': 100, 'on 2': 5000, 'off 1': 120, 'off 2': 6000 } }, 2);
    const tuning = await calibrate(m.run, [partial], 1);
    assert.equal(m.calls[0].limitMs, Infinity);
    assert.ok(m.calls.slice(1).every((c) => c.limitMs === 200), JSON.stringify(m.calls));
    assert.equal(tuning.smallThreads, 1);
    assert.equal(tuning.flashAttn, true);
  });

  it('with flash attention fixed and one thread configured, only that is measured', async () => {
    const m = fakeMachine({ partial: { 'off 1': 100 }, final: { 'off 1': 300 } }, 1, [false]);
    const tuning = await calibrate(m.run, [partial, final], 2);
    assert.deepEqual([tuning.flashAttn, tuning.smallThreads, tuning.largeThreads], [false, 1, 1]);
    assert.ok(m.calls.every((c) => !c.fa && c.threads === 1));
  });

  it('on a busy machine compares no thread counts: one thread measured, decodes keep the configured threads', async () => {
    const m = fakeMachine({ partial: { 'on 1': 100, 'off 1': 80 }, final: { 'on 1': 300, 'off 1': 250 } }, 4, [true, false], false);
    const tuning = await calibrate(m.run, [partial, final], 1);
    assert.ok(m.calls.every((c) => c.threads === 1), JSON.stringify(m.calls));
    assert.deepEqual([tuning.flashAttn, tuning.smallThreads, tuning.largeThreads], [false, 4, 4]);
  });

  it('after a whole round, stops once the time budget is spent', async () => {
    const m = fakeMachine({ partial: { 'on 1': 100, 'off 1': 100 } }, 1);
    await calibrate(m.run, [partial], 5, -1);
    assert.equal(m.calls.length, 2, 'one round of both settings, then the budget (already spent) stops it');
  });

  it('keeps entries beside the model by key: another key, a broken file or a wrong entry is not read', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-tuning-'));
    try {
      const file = path.join(dir, 'model.bin.earshot-tuning.json');
      const parts: TuningKeyParts = { cpu: 'AMD EPYC', cores: 2, core: '1.9.1 AVX2 = 1', threads: 1, flashAttnForced: null, modelBytes: 1000, modelMtimeMs: 5 };
      const a = tuningKey(parts), b = tuningKey({ ...parts, threads: 2 }), c = tuningKey({ ...parts, modelMtimeMs: 6 });
      assert.equal(new Set([a, b, c]).size, 3, 'threads and the model file are part of the key');
      assert.equal(readTuning(file, a), undefined, 'no file yet');
      writeTuning(file, a, { flashAttn: false, smallThreads: 1, largeThreads: 1 });
      writeTuning(file, b, { flashAttn: true, smallThreads: 1, largeThreads: 2 });
      assert.deepEqual(readTuning(file, a), { flashAttn: false, smallThreads: 1, largeThreads: 1 });
      assert.deepEqual(readTuning(file, b), { flashAttn: true, smallThreads: 1, largeThreads: 2 });
      assert.equal(readTuning(file, c), undefined);
      fs.writeFileSync(file, JSON.stringify({ [a]: { flashAttn: 'yes', smallThreads: 0, largeThreads: 1 } }));
      assert.equal(readTuning(file, a), undefined, 'a malformed entry is measured again');
      fs.writeFileSync(file, '{ not json');
      assert.equal(readTuning(file, a), undefined);
      writeTuning(file, a, { flashAttn: true, smallThreads: 1, largeThreads: 1 });
      assert.deepEqual(readTuning(file, a), { flashAttn: true, smallThreads: 1, largeThreads: 1 }, 'a broken file is replaced');
      assert.deepEqual(fs.readdirSync(dir), ['model.bin.earshot-tuning.json'], 'no temporary file left');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('counts the cores other processes kept busy (the system\'s busy time less this process\'s) and leaves them alone', () => {
    const at = (t: number, systemBusyMs: number, ownMs: number): CpuSample => ({ at: t, systemBusyMs, ownMs });
    assert.equal(otherBusyCores(at(0, 0, 0), at(1000, 1500, 500)), 1, '1.5 cores busy, half a core ours');
    assert.equal(otherBusyCores(at(0, 0, 0), at(10, 500, 0)), 0, 'too short an interval says nothing');
    assert.equal(threadsLeft(2, 2, 1), 1, 'a 2-core machine with another process on a core: one thread');
    assert.equal(threadsLeft(2, 2, 0.1), 2);
    assert.equal(threadsLeft(7, 8, 1.5), 6);
    assert.equal(threadsLeft(4, 2, 3), 1, 'never fewer than one');
    // The window: the newest sample a whole second old, so a busy second long ago does not count now.
    const samples = [at(0, 0, 0), at(1000, 200, 100), at(2000, 2200, 200), at(4000, 2400, 300), at(4500, 3400, 300)];
    const load = new OtherLoad(() => samples.shift()!);
    assert.equal(load.next(), 0.1);
    assert.equal(load.next(), 1.9);
    assert.equal(load.next(), 0.05, 'from the 2 s sample: the last 2 s were nearly idle');
    assert.equal(load.next(), 0.44, 'at 4.5 s the 4 s sample is too recent: from the 2 s one, 1.1 core-seconds in 2.5 s');
  });
});
