import * as assert from 'node:assert/strict';
import { coverage, falseSpeech, frameRecall, nonSpeechDecodesPerHour, parseRttm, pool, scoreAgainstTurns, scoreFrames, union } from '../eval/vad/score';

describe('VAD scoring against human references', () => {
  it('reads RTTM speaker turns per file and refuses a broken line', () => {
    const turns = parseRttm('SPEAKER a 1 1.5 2.0 <NA> <NA> S1 <NA> <NA>\nSPEAKER b 1 0 1 <NA> <NA> S2 <NA> <NA>\nSPEAKER a 1 4 0.5 <NA> <NA> S2 <NA> <NA>\n');
    assert.deepEqual(turns.get('a'), [{ start: 1.5, end: 3.5, speaker: 'S1' }, { start: 4, end: 4.5, speaker: 'S2' }]);
    assert.deepEqual(turns.get('b'), [{ start: 0, end: 1, speaker: 'S2' }]);
    assert.throws(() => parseRttm('SPEAKER a 1 x 1'), /bad RTTM line/);
  });

  it('merges overlapping spans', () => {
    assert.deepEqual(union([{ start: 3, end: 4 }, { start: 0, end: 1 }, { start: 0.5, end: 2 }]), [{ start: 0, end: 2 }, { start: 3, end: 4 }]);
  });

  it('counts a turn ≥ 1 s as covered when half of it reaches the recognizer; shorter turns are not counted', () => {
    const reference = [{ start: 1, end: 3 }, { start: 5, end: 7 }, { start: 9, end: 9.5 }];
    const s = scoreAgainstTurns(reference, [{ start: 0.8, end: 2.1 }, { start: 6.2, end: 7.5 }], 12);
    assert.equal(s.turns, 2);
    assert.equal(s.covered, 1, 'the second turn is only 40 % inside');
    assert.deepEqual(s.missed, [{ start: 5, end: 7 }]);
    assert.ok(Math.abs(frameRecall(s) - (1.1 + 0.8) / 4.5) < 0.01, `recall ${frameRecall(s)}`);
  });

  it('false speech counts only non-speech more than 0.5 s from reference speech', () => {
    const reference = [{ start: 2, end: 3 }];
    // Padding next to speech (1.6–3.4) is not false; 5–6 is, inside a far region of 0–1.5 and 3.5–10 (8 s).
    const s = scoreAgainstTurns(reference, [{ start: 1.6, end: 3.4 }, { start: 5, end: 6 }], 10);
    assert.ok(Math.abs(s.farSec - 8) < 0.02, `far ${s.farSec}`);
    assert.ok(Math.abs(falseSpeech(s) - 1 / 8) < 0.01, `false ${falseSpeech(s)}`);
  });

  it('counts the decodes, and as decodes of non-speech the utterances with no reference speech in them', () => {
    const reference = [{ start: 2, end: 3 }, { start: 8, end: 9.5 }];
    // 1.6–3.4 holds speech; 5–6 holds none (a breath); 7.4–8.05 touches the second turn by 0.05 s: not non-speech.
    const s = scoreAgainstTurns(reference, [{ start: 1.6, end: 3.4 }, { start: 5, end: 6 }, { start: 7.4, end: 8.05 }], 36);
    assert.equal(s.utterances, 3);
    assert.equal(s.nonSpeechUtterances, 1);
    assert.equal(nonSpeechDecodesPerHour(s), 100, 'one in 36 s is 100 an hour');
    const p = pool([s, scoreAgainstTurns(reference, [{ start: 4.5, end: 5 }], 36)]);
    assert.deepEqual([p.utterances, p.nonSpeechUtterances, p.audioSec], [4, 2, 72]);
  });

  it('pools files by time and turns, not by averaging their ratios', () => {
    const a = scoreAgainstTurns([{ start: 0, end: 2 }], [{ start: 0, end: 2 }], 4);
    const b = scoreAgainstTurns([{ start: 0, end: 2 }, { start: 3, end: 5 }, { start: 6, end: 8 }], [], 8);
    const p = pool([a, b]);
    assert.equal(p.turns, 4);
    assert.equal(coverage(p), 0.25);
  });

  it('scores synthetic fixtures frame by frame', () => {
    const s = scoreFrames([{ start: 0, end: 1 }], [{ start: 0, end: 0.5 }, { start: 1.5, end: 2 }], 2, 0.1);
    assert.equal(s.recall, 0.5);
    assert.equal(s.falseSpeechRate, 0.5);
  });
});
