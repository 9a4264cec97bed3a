import * as assert from 'node:assert/strict';
import { CandidateScores, choose, crossValidate, groupRecordings, spread } from '../eval/vad/crossval';
import { RealScore } from '../eval/vad/score';

/**
 * A recording's score: `covered` of `turns` turns heard, `falseSec` detected in `farSec` of far non-speech, `utterances`
 * decoded (by default one per turn).
 */
const score = (turns: number, covered: number, falseSec = 0, farSec = 10, recall = covered / Math.max(1, turns), utterances = turns): RealScore =>
  ({ turns, covered, missed: [], speechSec: 10, speechHitSec: 10 * recall, farSec, farHitSec: falseSec, utterances, nonSpeechUtterances: 0, audioSec: 60 });

const candidate = (name: string, perRecording: RealScore[], cost = 0, passesGates = true): CandidateScores => ({ name, perRecording, cost, passesGates });

describe('choosing voice-detection settings by cross-validation', () => {
  it('groups recordings that share a speaker (even through a third) or a declared group, and keeps the rest apart', () => {
    const groups = groupRecordings([
      { name: 'a', speakers: ['AMI:MEE009'] },
      { name: 'b', speakers: ['AMI:FEO065', 'AMI:MEE068'] },
      { name: 'c', speakers: ['AMI:MEE009', 'AMI:FEE005'] },
      { name: 'd', speakers: ['x:spk00'] },
      { name: 'e', speakers: ['y:spk00', 'AMI:FEE005'] },
      { name: 'f', speakers: [], group: 'meeting-1' },
      { name: 'g', speakers: ['z:spk01'], group: 'meeting-1' },
    ]);
    assert.deepEqual(groups, [[0, 2, 4], [1], [3], [5, 6]]);
  });

  it('picks the setting that covers the most turns within the false-speech budget, then the most speech, then the least latency', () => {
    const recordings = [0, 1];
    const candidates = [
      candidate('strict', [score(4, 3), score(4, 4)]),
      candidate('loose', [score(4, 4, 2), score(4, 4, 1)]), // 15 % false speech: over budget
      candidate('balanced slow', [score(4, 4, 0.02), score(4, 4)], 600),
      candidate('balanced fast', [score(4, 4, 0.02), score(4, 4)], 400),
      candidate('gated out', [score(4, 4), score(4, 4)], 0, false), // fails silence or noise: never chosen
    ];
    assert.equal(candidates[choose(candidates, recordings, { falseSpeechMax: 0.01 })!].name, 'balanced fast');
    assert.equal(candidates[choose(candidates, recordings, { falseSpeechMax: 0.2 })!].name, 'loose');
    assert.equal(choose([candidates[1], candidates[4]], recordings, { falseSpeechMax: 0.01 }), undefined);
  });

  it('a higher frame recall wins a coverage tie', () => {
    const c = [candidate('a', [score(4, 4, 0, 10, 0.9)]), candidate('b', [score(4, 4, 0, 10, 0.95)])];
    assert.equal(choose(c, [0], { falseSpeechMax: 0.01 }), 1);
  });

  it('with fewestDecodes, fewer utterances win a coverage tie before more speech heard; more turns still win first', () => {
    const c = [
      candidate('hears short bits', [score(4, 4, 0, 10, 0.95, 9)]),
      candidate('fewer decodes', [score(4, 4, 0, 10, 0.9, 7)]),
      candidate('fewest decodes, a turn lost', [score(4, 3, 0, 10, 0.8, 5)]),
    ];
    assert.equal(choose(c, [0], { falseSpeechMax: 0.01, fewestDecodes: true }), 1);
    assert.equal(choose(c, [0], { falseSpeechMax: 0.01 }), 0, 'without it, the speech heard decides as before');
  });

  it('scores each fold on the group it held out with the setting chosen on the others, and pools those', () => {
    // Recording 2 has a quiet speaker only the sensitive setting hears; recording 0 has noise that setting hears too.
    const candidates = [
      candidate('default', [score(3, 3), score(2, 2), score(5, 3)]),
      candidate('sensitive', [score(3, 3, 0.5), score(2, 2), score(5, 5)]),
    ];
    const { folds, pooled } = crossValidate(candidates, [[0], [1], [2]], { falseSpeechMax: 0.02 });
    // Holding out 0: the others favour sensitive (7/7); on 0 it shows 5 % false speech, unseen where it was chosen.
    assert.equal(folds[0].chosen, 1);
    assert.equal(folds[0].test!.farHitSec, 0.5);
    // Holding out 2: on 0 and 1 sensitive's false speech (2.5 %) is over budget, so default is chosen and misses 2.
    assert.equal(folds[2].chosen, 0);
    assert.equal(folds[2].test!.covered, 3);
    assert.equal(pooled!.turns, 10);
    assert.equal(pooled!.covered, 8);
    assert.deepEqual(spread([0.5, 1, 0.75]), { min: 0.5, median: 0.75, max: 1 });
    assert.deepEqual(spread([1, 2, 3, 4]), { min: 1, median: 2.5, max: 4 });
  });
});
