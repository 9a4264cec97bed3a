/**
 * Overlapped speech (issue 57): a second voice where one speaker is decided and another's soft score is over the
 * onset (tracker.ts overlapOnset), scored by DER with overlap, and kept out of a line's voice (labels.ts); weak turns
 * outside voice detection's stretches in the speech turns (lines.ts weakOutside).
 */
import * as assert from 'node:assert/strict';
import { assignVoice, SpeakerBook } from '../../daemon/speakers/labels';
import { speechTurns } from '../../daemon/speakers/lines';
import { OverlapLinker } from '../../daemon/speakers/linking';
import { frameTime, POWERSET, WINDOW_FRAMES, WINDOW_SAMPLES } from '../../daemon/speakers/segmentation';
import { DEFAULT_DIARIZE_OPTIONS, SpeakerTracker } from '../../daemon/speakers/tracker';
import { FrameTurn } from '../../daemon/speakers/turns';
import { der, scoreDiarization } from '../eval/diarize/der';

/** One window's log-probabilities: per frame a map of powerset class → probability (the rest shared by the others). */
function window(classOf: (frame: number) => Record<number, number>): Float32Array {
  const y = new Float32Array(WINDOW_FRAMES * POWERSET.length);
  for (let f = 0; f < WINDOW_FRAMES; f++) {
    const given = classOf(f), left = 1 - Object.values(given).reduce((a, b) => a + b, 0);
    const others = POWERSET.length - Object.keys(given).length;
    for (let c = 0; c < POWERSET.length; c++) y[f * POWERSET.length + c] = Math.log(given[c] ?? left / others);
  }
  return y;
}

/**
 * Speaker 1 alone (class 1) for frames 0–199, then still the likeliest alone for 200–399 while the pair {1,2} (class 4)
 * holds 0.4, then speaker 2 alone (class 2): the argmax hears one voice where two talk.
 */
const TWO_AT_ONCE = window((f): Record<number, number> => (f < 200 ? { 1: 0.98 } : f < 400 ? { 1: 0.55, 4: 0.4 } : { 2: 0.98 }));

function turnsOf(y: Float32Array, overlapOnset: number, minOverlapSec = 0): FrameTurn[] {
  const tracker = new SpeakerTracker({ ...DEFAULT_DIARIZE_OPTIONS, overlapOnset, minOverlapSec });
  return [...tracker.window(0, y).turns, ...tracker.end(WINDOW_SAMPLES)].sort((a, b) => a.start - b.start || a.speaker - b.speaker);
}
const spans = (turns: readonly FrameTurn[]) => turns.filter((t) => !t.weak).map((t) => ({ start: t.start, end: t.end, speaker: `S${t.speaker}` }));

describe('overlapped speech: a second voice at once (issue 57, tracker.ts overlapOnset)', () => {
  it('gives the second voice a turn of its own where its soft score is over the onset, under the label of its own turns', () => {
    const turns = turnsOf(TWO_AT_ONCE, 0.3);
    const overlap = turns.filter((t) => t.overlap);
    assert.equal(overlap.length, 1);
    assert.deepEqual({ ...overlap[0], start: +overlap[0].start.toFixed(3), end: +overlap[0].end.toFixed(3) },
      { start: +frameTime(200).toFixed(3), end: +frameTime(400).toFixed(3), speaker: 1, overlap: true });
    // The same global speaker as the one who then speaks alone: linked like the first voice.
    assert.ok(turns.some((t) => !t.overlap && !t.weak && t.speaker === 1 && Math.abs(t.start - frameTime(400)) < 1e-9));
    assert.ok(turns.filter((t) => !t.overlap && !t.weak).every((t) => t.speaker === (t.start < frameTime(200) ? 0 : t.start < frameTime(400) ? 0 : 1)));
  });

  it('none below the onset, none shorter than the minimum, none when the onset is Infinity (the settings before)', () => {
    assert.equal(turnsOf(TWO_AT_ONCE, 0.5).filter((t) => t.overlap).length, 0);
    assert.equal(turnsOf(TWO_AT_ONCE, Infinity).filter((t) => t.overlap).length, 0);
    const length = frameTime(400) - frameTime(200);
    assert.equal(turnsOf(TWO_AT_ONCE, 0.3, length + 0.1).filter((t) => t.overlap).length, 0);
    assert.equal(turnsOf(TWO_AT_ONCE, 0.3, length - 0.1).filter((t) => t.overlap).length, 1);
  });

  it('DER with overlap scored: the second voice\'s time is missed without it, found with it', () => {
    const reference = [{ start: 0, end: frameTime(400), speaker: 'A' }, { start: frameTime(200), end: frameTime(WINDOW_FRAMES), speaker: 'B' }];
    const durationSec = WINDOW_SAMPLES / 16000;
    const without = scoreDiarization(reference, spans(turnsOf(TWO_AT_ONCE, Infinity)), { durationSec });
    const withOverlap = scoreDiarization(reference, spans(turnsOf(TWO_AT_ONCE, 0.3)), { durationSec });
    assert.ok(without.missed > 2.5, `missed ${without.missed} s without the second voice`);
    assert.ok(der(withOverlap) < 0.03 && der(without) > 0.2, `DER ${der(withOverlap)} with, ${der(without)} without`);
  });

  it('the linker: a second voice only beside exactly one decided speaker, never the decided one again', () => {
    const linker = new OverlapLinker({ linkThreshold: 0, minLocalFrames: 1 });
    const hard = [Float32Array.from([1, 1, 0, 1]), Float32Array.from([0, 0, 0, 1]), Float32Array.from([1, 0, 0, 0])];
    const soft = [Float32Array.from([0.9, 0.9, 0.1, 0.9]), Float32Array.from([0.6, 0.2, 0.6, 0.9]), Float32Array.from([0.7, 0, 0, 0])];
    linker.addWindow(0, hard, [1, 1, 0, 2], soft);
    const second: number[] = [];
    assert.deepEqual(linker.decide(4, undefined, Infinity, second, 0.5), [[0], [0], [], [0, 1]]);
    // Frame 0: speaker 2 (0.7) over speaker 1 (0.6); frame 1: nobody over 0.5; frame 2: nobody decided; frame 3: two decided.
    assert.deepEqual(second, [2, -1, -1, -1]);
  });
});

describe('a line keeps its main voice; the speech turns carry the second one (labels.ts, lines.ts)', () => {
  const turn = (speaker: string, start: number, end: number, more: { weak?: true; overlap?: true } = {}) => ({ speaker, start, end, ...more });

  it('assignVoice and the book leave overlap turns out: a long second voice does not take the line', () => {
    const turns = [turn('A', 0, 4), turn('B', 0, 4, { overlap: true }), turn('B', 4, 5)];
    assert.deepEqual(assignVoice(turns, 0, 4), { voice: 'A', confidence: 1 });
    const book = new SpeakerBook([{ kind: 'file', label: 'f', split: true, mainKeepsLabel: false }]);
    book.heard('file', turns, Infinity);
    assert.equal(book.final({ segmentId: 's', source: 'file', t0: 0.5, t1: 3.5 }).voice, 'A');
  });

  it('speechTurns keeps the second voice (flagged), and with weakOutside the weak turns outside voice detection', () => {
    const turns = [turn('A', 0, 4), turn('B', 1, 3, { overlap: true }), turn('C', 6, 8, { weak: true })];
    assert.deepEqual(speechTurns(turns, [{ start: 0, end: 4 }], false), [
      { start: 0, end: 4, speaker: 'A' },
      { start: 1, end: 3, speaker: 'B', overlap: true },
    ]);
    assert.deepEqual(speechTurns(turns, [{ start: 0, end: 4 }, { start: 7, end: 7.5 }], true).filter((t) => t.speaker === 'C'), [
      { start: 6, end: 7, speaker: 'C', filled: true, confidence: 0.5 },
      { start: 7, end: 7.5, speaker: 'C', filled: true, confidence: 0.5 },
      { start: 7.5, end: 8, speaker: 'C', filled: true, confidence: 0.5 },
    ]);
  });
});
