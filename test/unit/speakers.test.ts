/**
 * The speaker stage's pure parts: powerset decoding, overlap linking on synthetic activity matrices, turns from frame
 * decisions, and the DER scorer that `npm run eval:diarize` and the regression floors use.
 */
import * as assert from 'node:assert/strict';
import { bestAssignment, localCount, OverlapLinker } from '../../daemon/speakers/linking';
import { frameTime, POWERSET, powersetToActivity } from '../../daemon/speakers/segmentation';
import { resolveTurns } from '../../daemon/speakers/stage';
import { windowStarts } from '../../daemon/speakers/tracker';
import { TurnBuilder } from '../../daemon/speakers/turns';
import { der, mapSpeakers, poolDer, scoreDiarization } from '../eval/diarize/der';
import { parseRttm } from '../eval/vad/score';

/** Log-probabilities putting all mass (0.98) on one powerset class per frame. */
function logits(classes: number[]): Float32Array {
  const y = new Float32Array(classes.length * 7).fill(Math.log(0.02 / 6));
  classes.forEach((c, f) => { y[f * 7 + c] = Math.log(0.98); });
  return y;
}
const act = (...rows: number[][]) => rows.map((r) => Float32Array.from(r));

describe('speakers: powerset decoding', () => {
  it('has pyannote\'s class order: ∅, {1}, {2}, {3}, {1,2}, {1,3}, {2,3}', () => {
    assert.deepEqual(POWERSET, [[], [0], [1], [2], [0, 1], [0, 2], [1, 2]]);
  });

  it('hard: the most likely class\'s members; soft: the summed probability of the classes holding each speaker', () => {
    const y = logits([0, 1, 4, 6]);
    assert.deepEqual(powersetToActivity(y, 4, true).map((a) => [...a]), [[0, 1, 1, 0], [0, 0, 1, 1], [0, 0, 0, 1]]);
    const soft = powersetToActivity(y, 4);
    // Frame 2 is {1,2}: speakers 1 and 2 each get 0.98 plus the stray mass of the other classes holding them.
    assert.ok(Math.abs(soft[0][2] - (0.98 + 2 * 0.02 / 6)) < 1e-5, String(soft[0][2]));
    assert.ok(Math.abs(soft[2][2] - 3 * 0.02 / 6) < 1e-5);
    assert.ok(soft[0][0] < 0.02, 'silence: every speaker near 0');
    assert.deepEqual([...localCount(soft, 4, 0.5)], [0, 1, 2, 2]);
  });

  it('places frames at the centre of what they hear: 270-sample steps, half of 991 samples in', () => {
    assert.equal(frameTime(0), 495.5 / 16000);
    assert.ok(Math.abs(frameTime(589) - (589 * 270 + 495.5) / 16000) < 1e-12);
  });

  it('cuts windows as sherpa-onnx does: full windows every step, then one padded window for the rest', () => {
    assert.deepEqual(windowStarts(30 * 16000, 5 * 16000, 160000), [0, 80000, 160000, 240000, 320000]);
    assert.deepEqual(windowStarts(31 * 16000, 5 * 16000, 160000), [0, 80000, 160000, 240000, 320000, 400000]);
    assert.deepEqual(windowStarts(3 * 16000, 16000, 160000), [0]);
  });
});

describe('speakers: overlap linking', () => {
  const options = { linkThreshold: 0.3, minLocalFrames: 2 };

  it('links a local speaker to the global one whose activity it matches in the overlap, whatever its slot', () => {
    const linker = new OverlapLinker(options);
    // Window 1 (frames 0–7): A talks 0–3, B talks 4–7.
    const w1 = linker.addWindow(0, act([1, 1, 1, 1, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0, 0]), [1, 1, 1, 1, 1, 1, 1, 1]);
    assert.deepEqual(w1, { globals: [0, 1, -1], created: [0, 1] });
    // Window 2 (frames 4–11): the model's slots are permuted (B is slot 2 now) and a new voice C talks in 8–11.
    const w2 = linker.addWindow(4, act([0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 0, 0, 0, 0]), [1, 1, 1, 1, 1, 1, 1, 1]);
    assert.deepEqual(w2, { globals: [2, -1, 1], created: [2] });
    assert.deepEqual(linker.decide(12), [[0], [0], [0], [0], [1], [1], [1], [1], [2], [2], [2], [2]]);
  });

  it('keeps rows only for speakers still heard: a long meeting of voices that come and go holds a bounded number (the soak\'s growth)', () => {
    const linker = new OverlapLinker(options);
    const frames = 600, step = 300;
    for (let w = 0; w < 200; w++) {
      // Each window: a voice in its second half only, silence before it, so every window's voice is a new speaker.
      const voice = Array.from({ length: frames }, (_, f) => (f >= frames - 100 ? 1 : 0));
      const silent = new Array<number>(frames).fill(0);
      linker.addWindow(w * frames, act(voice, silent, silent), voice);
      linker.decide((w + 1) * frames - step);
    }
    assert.equal(linker.speakers, 200, 'every window\'s voice became a speaker');
    assert.ok(linker.rowsKept <= 10, `${linker.rowsKept} rows kept for 200 speakers`);
  });

  it('does not link below the threshold: a different voice in the overlap becomes a new speaker', () => {
    const linker = new OverlapLinker(options);
    linker.addWindow(0, act([1, 1, 1, 1, 1, 1, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0]), [1, 1, 1, 1, 1, 1, 0, 0]);
    // Overlap frames 4–7: global 0 talks in 4–5 only; the local speaker talks in 6–7 only: no agreement.
    const w = linker.addWindow(4, act([0, 0, 1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0]), [0, 0, 1, 1, 1, 1, 1, 1]);
    assert.deepEqual(w, { globals: [1, -1, -1], created: [1] });
  });

  it('a speaker silent for longer than a window comes back as a new speaker (overlap linking has nothing to go by)', () => {
    const linker = new OverlapLinker(options);
    linker.addWindow(0, act([1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]), [1, 1, 0, 0]);
    linker.addWindow(2, act([0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]), [0, 0, 0, 0]);
    const back = linker.addWindow(4, act([0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0]), [0, 0, 1, 1]);
    assert.deepEqual(back.created, [1]);
  });

  it('leaves out a local speaker with too little activity, and decides overlapped frames by the mean count', () => {
    const linker = new OverlapLinker(options);
    const w = linker.addWindow(0, act([1, 1, 1, 1], [0, 0, 1, 1], [0, 0, 0, 0.5]), [1, 1, 2, 2]);
    assert.deepEqual(w.globals, [0, 1, -1]);
    assert.deepEqual(linker.decide(4), [[0], [0], [0, 1], [0, 1]]);
    assert.throws(() => linker.addWindow(2, act([1], [0], [0]), [1]), /already decided/);
  });

  it('keeps only the frames not yet decided over a long source', () => {
    const linker = new OverlapLinker(options);
    const frames = 600;
    for (let w = 0; w < 40; w++) {
      linker.addWindow(w * 300, act(new Array(frames).fill(1), new Array(frames).fill(0), new Array(frames).fill(0)), new Array(frames).fill(1));
      const decided = linker.decide((w + 1) * 300);
      assert.ok(decided.every((d) => d.length === 1 && d[0] === 0));
    }
    assert.equal(linker.speakers, 1, 'one voice throughout, linked across 40 windows');
    assert.ok(((linker as unknown as { cover: number[] }).cover.length) < 5000);
  });

  it('bestAssignment: the one-to-one assignment with the most summed score above the floor', () => {
    assert.deepEqual(bestAssignment([[0.9, 0.8], [0.85, 0.1]], 0.3), [1, 0]);
    assert.deepEqual(bestAssignment([[0.2, 0.1], [0.9, 0.1]], 0.3), [-1, 0]);
    assert.deepEqual(bestAssignment([[0.5], [0.6], [0.7]], 0.3), [-1, -1, 0]);
  });
});

describe('speakers: turns from frame decisions', () => {
  const f = (n: number) => frameTime(n);

  it('a run of frames is a turn from its first frame\'s centre to the centre of the frame after it', () => {
    const turns = new TurnBuilder({ minDurationOn: 0, minDurationOff: 0 });
    const closed = turns.push([[], [0], [0], [], [1]]);
    assert.deepEqual(closed, [{ start: f(1), end: f(3), speaker: 0 }]);
    assert.deepEqual(turns.flush(), [{ start: f(4), end: f(5), speaker: 1 }]);
  });

  it('fills gaps shorter than minDurationOff and drops turns shorter than minDurationOn', () => {
    const turns = new TurnBuilder({ minDurationOn: 0.05, minDurationOff: 0.04 });
    // Speaker 0: frames 0–9, a 2-frame gap (34 ms), 12–19; speaker 1: 2 frames (34 ms), too short.
    const decisions = Array.from({ length: 40 }, (_, i) => [...((i < 10 || (i >= 12 && i < 20)) ? [0] : []), ...(i === 30 || i === 31 ? [1] : [])]);
    assert.deepEqual([...turns.push(decisions), ...turns.flush()], [{ start: f(0), end: f(20), speaker: 0 }]);
  });

  it('resolves relabels over turns before and after them', () => {
    const turns = resolveTurns([
      { type: 'turn', turn: { start: 0, end: 1, speaker: 'Speaker 1' } },
      { type: 'turn', turn: { start: 20, end: 21, speaker: 'Speaker 2' } },
      { type: 'relabel', from: 'Speaker 2', to: 'Speaker 1' },
      { type: 'turn', turn: { start: 22, end: 23, speaker: 'Speaker 2' } },
    ]);
    assert.deepEqual(turns.map((t) => t.speaker), ['Speaker 1', 'Speaker 1', 'Speaker 1']);
  });
});

describe('speakers: DER scorer', () => {
  const ref = [{ start: 0, end: 10, speaker: 'A' }, { start: 10, end: 20, speaker: 'B' }];

  it('a perfect hypothesis under other names scores 0; one speaker for both scores the shorter one as confusion', () => {
    assert.equal(der(scoreDiarization(ref, [{ start: 0, end: 10, speaker: 'x' }, { start: 10, end: 20, speaker: 'y' }], { collar: 0 })), 0);
    const one = scoreDiarization(ref, [{ start: 0, end: 20, speaker: 'x' }], { collar: 0 });
    assert.ok(Math.abs(one.scored - 20) < 1e-6 && Math.abs(one.confusion - 10) < 1e-6 && one.missed === 0 && one.falseAlarm === 0, JSON.stringify(one));
  });

  it('counts missed speech, false alarm and overlap per speaker', () => {
    const s = scoreDiarization([...ref, { start: 5, end: 10, speaker: 'B' }], [{ start: 0, end: 8, speaker: 'x' }, { start: 12, end: 25, speaker: 'y' }], { collar: 0, durationSec: 25 });
    // Reference speaker time: A 10 + B 15 = 25. Missed: 5–8 one of two (3), 8–10 both (4), 10–12 B (2); y alone in 20–25.
    assert.ok(Math.abs(s.scored - 25) < 1e-6, JSON.stringify(s));
    assert.ok(Math.abs(s.missed - 9) < 1e-6, JSON.stringify(s));
    assert.ok(Math.abs(s.falseAlarm - 5) < 1e-6, JSON.stringify(s));
    assert.ok(Math.abs(s.confusion) < 1e-6, JSON.stringify(s));
  });

  it('leaves 0.25 s each side of every reference boundary unscored with the standard collar', () => {
    const s = scoreDiarization(ref, [{ start: 0.2, end: 10.2, speaker: 'x' }, { start: 10.2, end: 19.8, speaker: 'y' }]);
    assert.equal(der(s), 0);
    assert.ok(Math.abs(s.scored - (20 - 0.25 - 0.5 - 0.25)) < 1e-6, String(s.scored));
  });

  it('maps speakers one-to-one by the most time in common, either side larger; pools by time', () => {
    assert.deepEqual(mapSpeakers([[5, 1, 0], [4, 0, 3]]), [0, 2]);
    assert.deepEqual(mapSpeakers([[5, 1], [4, 0], [0, 3]]), [0, -1, 1]);
    const pooled = poolDer([{ scored: 10, missed: 1, falseAlarm: 0, confusion: 0 }, { scored: 30, missed: 0, falseAlarm: 1, confusion: 2 }]);
    assert.equal(der(pooled), 0.1);
  });

  it('reads speaker turns from RTTM', () => {
    const turns = parseRttm('SPEAKER m 1 1.5 2.0 <NA> <NA> FEE013 <NA> <NA>\n').get('m');
    assert.deepEqual(turns, [{ start: 1.5, end: 3.5, speaker: 'FEE013' }]);
  });
});
