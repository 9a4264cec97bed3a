/**
 * Finals cut where the voice changes (issue 57, speakers/cuts.ts): the changes the segmentation model's local speakers
 * show inside a final, the pieces kept, the text shared out over them, and the session's speakers cutting a final from
 * the audio they heard (speakers.ts `pieces`). The model is faked by its output: frames of one local speaker alone.
 */
import * as assert from 'node:assert/strict';
import { changesInWindow, cutFinal, cutWindowStarts, DEFAULT_CUT_OPTIONS, framesAudio, piecesAt, shareText } from '../../daemon/speakers/cuts';
import type { AudioFrame } from '../../daemon/capture/source';
import { frameTime, POWERSET, WINDOW_FRAMES, WINDOW_SAMPLES } from '../../daemon/speakers/segmentation';
import { SessionSpeakers } from '../../daemon/session/speakers';
import { sourceVoices, SpeakerBook } from '../../daemon/speakers/labels';

const SR = 16000;

/**
 * A window's model output (log-probabilities) where `who(t)` (t: seconds into the window) is the local speaker heard
 * alone (0, 1, 2), 'both' for speakers 0 and 1 at once, or undefined for nobody.
 */
function output(who: (t: number) => number | 'both' | undefined): Float32Array {
  const y = new Float32Array(WINDOW_FRAMES * POWERSET.length).fill(-10);
  for (let f = 0; f < WINDOW_FRAMES; f++) {
    const w = who(frameTime(f));
    const cls = w === undefined ? 0 : w === 'both' ? POWERSET.findIndex((s) => s.length === 2 && s[0] === 0 && s[1] === 1) : POWERSET.findIndex((s) => s.length === 1 && s[0] === w);
    y[f * POWERSET.length + cls] = 0;
  }
  return y;
}

describe('speakers: a final cut where the voice changes (issue 57, cuts.ts)', () => {
  const options = DEFAULT_CUT_OPTIONS;

  it('finds the change between one local speaker alone and another, halfway across what lies between them', () => {
    const y = output((t) => (t < 4 ? 0 : t < 4.4 ? undefined : t < 8 ? 1 : undefined));
    const [change, ...more] = changesInWindow(y, 100, 100.5, 109, options);
    assert.equal(more.length, 0);
    assert.ok(Math.abs(change - 104.2) < 0.05, `${change}`);
    // The same speaker after a pause, or overlapped speech between, is no change; nor anything outside the final.
    assert.deepEqual(changesInWindow(output((t) => (t < 3 ? 0 : t < 5 ? undefined : 0)), 0, 0, 10, options), []);
    assert.deepEqual(changesInWindow(output((t) => (t < 4 ? 0 : t < 6 ? 'both' : 0)), 0, 0, 10, options), []);
    assert.deepEqual(changesInWindow(y, 100, 100.5, 103.5, options), [], 'the other voice is after the final');
  });

  it('leaves out a voice heard alone for less than minRunSec (a back-channel), and pieces shorter than minPieceSec', () => {
    const blip = output((t) => (t < 4 ? 0 : t < 4.3 ? 1 : 0));
    assert.deepEqual(changesInWindow(blip, 0, 0, 10, options), []);
    assert.equal(changesInWindow(blip, 0, 0, 10, { ...options, minRunSec: 0.2 }).length, 2);
    assert.deepEqual(piecesAt(0, 10, [4, 0.5, 4.3, 9.5], options), [{ start: 0, end: 4 }, { start: 4, end: 10 }], 'near the start, the cut before or the end: dropped');
    assert.deepEqual(piecesAt(0, 10, [], options), [{ start: 0, end: 10 }]);
  });

  it('runs one window ending at the final\'s end, or windows every 5 s over a longer final; never before the capture began', () => {
    assert.deepEqual(cutWindowStarts(12 * SR, 20 * SR), [10 * SR]);
    assert.deepEqual(cutWindowStarts(1 * SR, 4 * SR), [0]);
    assert.deepEqual(cutWindowStarts(0, 22 * SR), [0, 5 * SR, 10 * SR, 12 * SR]);
  });

  it('cutFinal: the pieces of a final from the model\'s output over its own audio, silence after its end', async () => {
    const windows: Float32Array[] = [];
    const audio = (from: number, to: number) => new Float32Array(to - from).fill(from / SR);
    // The window starts at 10 s (the final is 12–20 s): speaker 0 until 15 s, speaker 1 after.
    const pieces = await cutFinal(12, 20, audio, async (w) => { windows.push(w); return output((t) => (t < 5 ? 0 : 1)); });
    assert.equal(pieces.length, 2);
    assert.deepEqual([pieces[0].start, pieces[1].end], [12, 20]);
    assert.ok(Math.abs(pieces[0].end - 15) < 0.05 && pieces[1].start === pieces[0].end, JSON.stringify(pieces));
    assert.equal(windows.length, 1);
    assert.equal(windows[0].length, WINDOW_SAMPLES);
    assert.equal(windows[0][0], 10, 'the window holds the audio from 10 s');
    assert.deepEqual(await cutFinal(12, 13.5, audio, async () => { throw new Error('not run for a final too short to cut'); }), [{ start: 12, end: 13.5 }]);
  });

  it('shares the text out in proportion to each piece\'s time, between words; a piece without a word joins the one before', () => {
    const text = 'one two three four five six seven eight';
    assert.deepEqual(shareText(text, [{ start: 0, end: 5 }, { start: 5, end: 10 }]).map((p) => [p.start, p.end, p.text]),
      [[0, 5, 'one two three four'], [5, 10, 'five six seven eight']]);
    assert.deepEqual(shareText('hello there', [{ start: 0, end: 9.5 }, { start: 9.5, end: 10 }]).map((p) => [p.start, p.end, p.text]), [[0, 10, 'hello there']]);
    assert.deepEqual(shareText('  alone ', [{ start: 0, end: 1 }, { start: 1, end: 2 }]).map((p) => p.text), ['alone']);
    const three = shareText(text, [{ start: 0, end: 2 }, { start: 2, end: 8 }, { start: 8, end: 10 }]);
    assert.equal(three.map((p) => p.text).join(' '), text, 'every word once, in order');
  });

  it('the session\'s speakers cut a final of a split source from the audio they heard; whole when not split, or the audio is gone', async () => {
    const change = output((t) => (t < 5 ? 0 : 1));
    const stages = { mode: 'overlap' as const, create: async () => ({ settledSec: 0, push: async () => [], end: async () => [] }) as never, segment: async () => change };
    const wiring = { append: async () => undefined, owners: () => ({ items: [], decisions: [] }), announce: () => undefined, notesChanged: () => undefined, stateChanged: () => undefined, failed: () => undefined };
    const book = new SpeakerBook([...sourceVoices([{ kind: 'file', speaker: 'Speaker' }], true)]);
    const speakers = new SessionSpeakers(book, stages, wiring);
    for (let t = 0; t < 21; t += 1) speakers.hear({ source: 'file', samples: new Float32Array(SR), startSample: t * SR });
    const pieces = await speakers.pieces({ source: 'file', t0: 12, t1: 20 });
    assert.equal(pieces.length, 2, JSON.stringify(pieces));
    assert.deepEqual(await speakers.pieces({ source: 'system', t0: 12, t1: 20 }), [{ start: 12, end: 20 }], 'a source not split');
    assert.deepEqual(await speakers.pieces({ source: 'file', t0: 18, t1: 25 }), [{ start: 18, end: 25 }], 'audio not heard');
    const without = new SessionSpeakers(book, { mode: 'overlap', create: stages.create }, wiring);
    assert.deepEqual(await without.pieces({ source: 'file', t0: 12, t1: 20 }), [{ start: 12, end: 20 }], 'no model to cut with');
    await speakers.finish();
  });

  it('a cut that does not come within its bound leaves the final whole (the final never waits longer)', async () => {
    const stages = { mode: 'overlap' as const, create: async () => ({ settledSec: 0, push: async () => [], end: async () => [] }) as never, segment: () => new Promise<Float32Array>(() => undefined) };
    const wiring = { append: async () => undefined, owners: () => ({ items: [], decisions: [] }), announce: () => undefined, notesChanged: () => undefined, stateChanged: () => undefined, failed: () => undefined };
    const speakers = new SessionSpeakers(new SpeakerBook(sourceVoices([{ kind: 'file', speaker: 'Speaker' }], true)), stages, wiring);
    for (let t = 0; t < 21; t += 1) speakers.hear({ source: 'file', samples: new Float32Array(SR), startSample: t * SR });
    assert.deepEqual(await speakers.pieces({ source: 'file', t0: 12, t1: 20 }), [{ start: 12, end: 20 }]);
    await speakers.finish();
  });
});

describe('framesAudio: the audio a final is cut on, read in place from the frames heard', () => {
  const frame = (startSample: number, length: number): AudioFrame =>
    ({ source: 'mic', startSample, samples: Float32Array.from({ length }, (_, i) => startSample + i) });
  const frames = [frame(100, 4), frame(104, 4), frame(108, 4)];
  it('reads any span across frames, silence where it reaches past them', () => {
    const audio = framesAudio(frames, 100, 112)!;
    assert.deepEqual([...audio.read(102, 110)], [102, 103, 104, 105, 106, 107, 108, 109]);
    assert.deepEqual([...audio.read(110, 114)], [110, 111, 0, 0]);
    assert.deepEqual([...audio.read(96, 101)], [0, 0, 0, 0, 100]);
  });
  it('none when the frames do not hold the whole final (dropped, or not heard yet)', () => {
    assert.equal(framesAudio(frames, 99, 110), undefined);
    assert.equal(framesAudio(frames, 104, 113), undefined);
    assert.equal(framesAudio([], 0, 0), undefined);
  });
});
