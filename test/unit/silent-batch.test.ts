/**
 * The audify helper's writes on a silent input (daemon/capture/silentBatch.ts): after 2 s of silence, its 20 ms periods
 * are written five at a time; speech, and the silence right after it, go out at once; nothing is lost or reordered.
 */
import * as assert from 'node:assert/strict';
import { isSilent, SILENT_PEAK, SilentBatcher } from '../../daemon/capture/silentBatch';

/** One 20 ms period of 16 kHz mono s16le, every sample `value` (alternating sign), stamped with `tag` in its first sample. */
function period(value: number, tag?: number): Buffer {
  const pcm = Buffer.alloc(640);
  for (let i = 0; i < 320; i++) pcm.writeInt16LE(i % 2 ? -value : value, i * 2);
  if (tag !== undefined) pcm.writeInt16LE(tag, 0);
  return pcm;
}

describe('the audify helper\'s writes on a silent input (silentBatch.ts)', () => {
  it('takes −60 dBFS as the line: zeros and dither are silent, a sample above it is not', () => {
    assert.equal(SILENT_PEAK, 33);
    assert.equal(isSilent(period(0), SILENT_PEAK), true);
    assert.equal(isSilent(period(1), SILENT_PEAK), true);
    assert.equal(isSilent(period(SILENT_PEAK), SILENT_PEAK), true);
    assert.equal(isSilent(period(SILENT_PEAK + 1), SILENT_PEAK), false);
    const one = period(0);
    one.writeInt16LE(-2000, 600);
    assert.equal(isSilent(one, SILENT_PEAK), false, 'one loud sample is enough');
  });

  it('writes speech at once, and silence at once for its first 2 s', () => {
    const batcher = new SilentBatcher();
    const speech = period(3000);
    assert.equal(batcher.push(speech), speech);
    for (let i = 0; i < 100; i++) {
      const quiet = period(1);
      assert.equal(batcher.push(quiet), quiet, `period ${i} of the first 2 s`);
    }
  });

  it('then writes silence five periods at a time, and a period that is not silent at once with what was held, in order', () => {
    const batcher = new SilentBatcher();
    for (let i = 0; i < 100; i++) batcher.push(period(0));
    const written: Buffer[] = [];
    let pushed = 0;
    for (let i = 0; i < 12; i++) {
      const out = batcher.push(period(0, i));
      pushed += 640;
      if (out) written.push(out);
    }
    assert.deepEqual(written.map((b) => b.length), [3200, 3200], 'two writes of 100 ms, two periods held');
    const speech = period(5000, 99);
    const out = batcher.push(speech);
    assert.ok(out, 'speech is written at once');
    assert.equal(out.length, 2 * 640 + 640, 'with the two periods held before it');
    const tags = [...written, out].flatMap((b) => Array.from({ length: b.length / 640 }, (_, k) => b.readInt16LE(k * 640)));
    assert.deepEqual(tags, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 99], 'every period once, in order');
    assert.equal(written.reduce((n, b) => n + b.length, 0) + out.length, pushed + 640, 'nothing lost');
    // After speech the silence is written at once again, for its first 2 s.
    const quiet = period(0);
    assert.equal(batcher.push(quiet), quiet);
  });

  it('holds from the period after 2 s of silence, whatever the periods\' length', () => {
    const batcher = new SilentBatcher(40, 100);
    const long = Buffer.alloc(2 * 16 * 30); // 30 ms
    assert.ok(batcher.push(long), '30 ms: under 40');
    for (const held of [30, 60, 90]) assert.equal(batcher.push(Buffer.alloc(2 * 16 * 30)), undefined, `${held} ms held`);
    assert.equal(batcher.push(Buffer.alloc(2 * 16 * 30))?.length, 2 * 16 * 120, '120 ms held, 100 or more: written');
  });
});
