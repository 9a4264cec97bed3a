/**
 * The capture tests' block check (test/support/correlate.ts): time inserted into a capture moves the blocks after it
 * later and keeps them whole; audio lost brings them earlier; a distorted stretch scores low.
 */
import * as assert from 'node:assert/strict';
import { blockMatches, findIn, heldInOrder } from '../support/correlate';

/** Deterministic noise-like "speech": a chirp with a varying envelope. */
function signal(n: number): Float32Array {
  const out = new Float32Array(n);
  let seed = 7;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    out[i] = 0.3 * Math.sin(i * 0.05 + 1e-5 * i * i) * (0.5 + 0.5 * Math.sin(i / 900)) + 0.2 * (seed / 0x7fffffff - 0.5);
  }
  return out;
}

const splice = (x: Float32Array, at: number, insert: number, remove = 0): Float32Array => {
  const out = new Float32Array(x.length + insert - remove);
  out.set(x.subarray(0, at));
  out.set(x.subarray(at + remove), at + insert);
  return out;
};

describe('capture block check', () => {
  const played = signal(48_000);
  const lead = new Float32Array(4000);
  const capture = (x: Float32Array) => {
    const out = new Float32Array(lead.length + x.length + 4000);
    out.set(x, lead.length);
    return out;
  };

  it('a clean capture: every block at r 1, no shift, held in order', () => {
    const cap = capture(played);
    const blocks = blockMatches(played, cap, findIn(played, cap).lag);
    assert.equal(blocks.length, 6);
    assert.ok(blocks.every((b) => b.r > 0.999 && b.shift === 0));
    assert.ok(heldInOrder(blocks, 0.95, 1600));
  });

  it('time inserted at 1.5 s: the whole match falls below 0.95, the blocks after it shift later and still hold', () => {
    const cap = capture(splice(played, 24_000, 300));
    const whole = findIn(played, cap);
    assert.ok(whole.r < 0.95, `whole r ${whole.r}`);
    const blocks = blockMatches(played, cap, whole.lag);
    const shifts = blocks.map((b) => b.shift - blocks[0].shift);
    assert.deepEqual(shifts, [0, 0, 0, 300, 300, 300]);
    assert.ok(heldInOrder(blocks, 0.95, 1600));
    assert.ok(!heldInOrder(blocks, 0.95, 200), 'a step beyond the bound fails');
  });

  it('audio lost at 1.5 s: the blocks after it come earlier, and the check fails', () => {
    const cap = capture(splice(played, 24_000, 0, 300));
    const blocks = blockMatches(played, cap, findIn(played, cap).lag);
    assert.ok(blocks.some((b, i) => i > 0 && b.shift < blocks[i - 1].shift - 2));
    assert.ok(!heldInOrder(blocks, 0.95, 1600));
  });

  it('a distorted stretch scores low in its block, and the check fails', () => {
    const x = played.slice();
    for (let i = 9000; i < 13_000; i++) x[i] = 0.3 * Math.sin(i * 0.31);
    const cap = capture(x);
    const blocks = blockMatches(played, cap, findIn(played, cap).lag);
    assert.ok(blocks[1].r < 0.95);
    assert.ok(!heldInOrder(blocks, 0.95, 1600));
  });
});
