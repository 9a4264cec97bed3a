/**
 * The window levels the diarization eval tries before the segmentation model (test/eval/diarize/windowLevel.ts, issue
 * 57: quiet talkers): raised toward a target, never lowered, capped, clipped; `local` raises a quiet block beside a
 * loud one.
 */
import * as assert from 'node:assert/strict';
import { SAMPLE_RATE } from '../../daemon/capture/source';
import { WINDOW_SAMPLES } from '../../daemon/speakers/segmentation';
import { LEVEL_BLOCK_SAMPLES, levelWindow, rmsOf } from '../eval/diarize/windowLevel';
import { LEVEL_GRID } from '../eval/diarize/level';

/** A 200 Hz tone of RMS `rms` over [from, to) of a silent window. */
function tone(rms: number, from = 0, to = WINDOW_SAMPLES, into: Float32Array = new Float32Array(WINDOW_SAMPLES)): Float32Array {
  for (let i = from; i < to; i++) into[i] = rms * Math.SQRT2 * Math.sin((2 * Math.PI * 200 * i) / SAMPLE_RATE);
  return into;
}
const near = (a: number, b: number, tolerance = 1e-3) => assert.ok(Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(b)), `${a} is not ${b}`);

describe('speaker window level (eval)', () => {
  it('leaves the window as it is when off, silent, or already at the target', () => {
    const quiet = tone(0.01);
    assert.equal(levelWindow(quiet, undefined), quiet);
    const silence = new Float32Array(WINDOW_SAMPLES);
    assert.equal(levelWindow(silence, { by: 'rms', target: 0.05, maxGain: 16 }), silence);
    const loud = tone(0.2);
    assert.equal(levelWindow(loud, { by: 'rms', target: 0.05, maxGain: 16 }), loud, 'a loud window is never lowered');
    assert.equal(levelWindow(loud, { by: 'local', target: 0.05, maxGain: 16 }), loud);
  });

  it('raises a quiet window to the target RMS or peak, by at most the cap, without touching the input', () => {
    const quiet = tone(0.01);
    near(rmsOf(levelWindow(quiet, { by: 'rms', target: 0.05, maxGain: 16 }), 0, WINDOW_SAMPLES), 0.05);
    near(rmsOf(levelWindow(quiet, { by: 'rms', target: 0.05, maxGain: 4 }), 0, WINDOW_SAMPLES), 0.04);
    const peaked = levelWindow(quiet, { by: 'peak', target: 0.5, maxGain: 100 });
    near(peaked.reduce((m, v) => Math.max(m, Math.abs(v)), 0), 0.5);
    near(rmsOf(quiet, 0, WINDOW_SAMPLES), 0.01);
  });

  it('clips a raised window to ±1', () => {
    const spiky = tone(0.01);
    spiky[100] = 0.5;
    const out = levelWindow(spiky, { by: 'rms', target: 0.1, maxGain: 16 });
    assert.equal(out[100], 1);
    assert.ok(out.every((v) => v >= -1 && v <= 1));
  });

  it('local: raises a quiet talker beside a loud one, block by block, and leaves the loud one', () => {
    const half = WINDOW_SAMPLES / 2;
    const mixed = tone(0.005, half, WINDOW_SAMPLES, tone(0.1, 0, half));
    const out = levelWindow(mixed, { by: 'local', target: 0.05, maxGain: 4 });
    near(rmsOf(out, 0, half - LEVEL_BLOCK_SAMPLES), 0.1);
    near(rmsOf(out, half + LEVEL_BLOCK_SAMPLES, WINDOW_SAMPLES), 0.02);
    // A whole-window RMS level hears the loud half and raises nothing.
    assert.equal(levelWindow(mixed, { by: 'rms', target: 0.05, maxGain: 4 }), mixed);
  });

  it('the grid starts with off (the shipped level, what ties go to)', () => {
    assert.equal(LEVEL_GRID[0], undefined);
    assert.ok(LEVEL_GRID.slice(1).every((l) => l && l.maxGain > 1));
  });
});
