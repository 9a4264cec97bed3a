/**
 * The pooled, blind adjudication of decisions (test/eval/adjudication.ts): how candidates are pooled from the labels
 * and the answer runs, how verdicts are read (a malformed or incomplete file is an error, never a silent default),
 * and what the pooled labels are.
 */
import * as assert from 'node:assert/strict';
import { candidatesOf, parseVerdicts, pooledDecisions, RunFinds } from '../eval/adjudication';
import { match, MeetingLabels } from '../eval/notes-eval';

const labels: MeetingLabels = {
  meetingDate: '2005-01-01',
  actionItems: [],
  decisions: [
    { turn: 10, text: 'The case is rubber', kind: 'decision' },
    { turn: 50, text: 'No LCD screen', kind: 'negative' },
  ],
};
const runs: RunFinds[] = [
  { run: 'A', decisions: [{ turn: 10, text: 'Rubber case', standing: 'decided', kind: 'decision' }, { turn: 30, text: 'Use the kinetic battery', standing: 'decided', kind: 'decision' }] },
  { run: 'B', decisions: [{ turn: 31, text: 'The kinetic battery is chosen', standing: 'decided', kind: 'decision' }, { turn: 70, text: 'Battery question settled: kinetic', standing: 'decided', kind: 'decision' }] },
];

describe('Decision adjudication: pooling', () => {
  it('pools every label and each run\'s unlabelled finds, a later run\'s same find folded in, in line order', () => {
    const c = candidatesOf(labels, runs);
    assert.deepEqual(c.map((x) => [x.id, x.turn, x.label, x.finds.map((f) => `${f.run}@${f.turn}`)]), [
      ['C1', 10, 0, []],
      ['C2', 30, undefined, ['A@30', 'B@31']],
      ['C3', 50, 1, []],
      ['C4', 70, undefined, ['B@70']],
    ]);
  });
});

describe('Decision adjudication: verdicts', () => {
  const c = candidatesOf(labels, runs);
  it('reads one verdict per candidate, with list marks, backticks and a trailing reason allowed', () => {
    const v = parseVerdicts('- `C1: decided`\nC2: Open\n\nC3: none — a proposal\nC4: same as C2\n', c);
    assert.deepEqual([...v.entries()], [['C1', { standing: 'decided' }], ['C2', { standing: 'open' }], ['C3', { standing: 'none' }], ['C4', { sameAs: 'C2' }]]);
  });
  it('refuses a missing, doubled, unknown or unreadable verdict, and a "same as" that does not point back', () => {
    assert.throws(() => parseVerdicts('C1: decided\nC2: decided\nC3: none\n', c), /no verdict for C4/);
    assert.throws(() => parseVerdicts('C1: decided\nC1: none\nC2: decided\nC3: none\nC4: none\n', c), /two verdicts for C1/);
    assert.throws(() => parseVerdicts('C1: decided\nC2: decided\nC3: none\nC4: none\nC9: none\n', c), /C9, which is not a candidate/);
    assert.throws(() => parseVerdicts('C1: probably\nC2: decided\nC3: none\nC4: none\n', c), /not understood/);
    assert.throws(() => parseVerdicts('C1: same as C2\nC2: decided\nC3: none\nC4: none\n', c), /not an earlier candidate/);
  });
});

describe('Decision adjudication: the pooled labels', () => {
  const c = candidatesOf(labels, runs);
  it('drops a label judged none, adds a find judged a decision at every line its group states it', () => {
    const pooled = pooledDecisions(labels, c, parseVerdicts('C1: decided\nC2: decided\nC3: none\nC4: same as C2\n', c));
    assert.deepEqual(pooled, [
      { turn: 10, text: 'The case is rubber', kind: 'decision', mentions: [] },
      { turn: 30, text: 'Use the kinetic battery', kind: 'decision', standing: 'decided', mentions: [31, 70] },
    ]);
  });
  it('keeps the labeller\'s words and standing where a find is the same as a label, with the find\'s line as a mention', () => {
    const pooled = pooledDecisions(labels, c, parseVerdicts('C1: decided\nC2: none\nC3: decided\nC4: same as C3\n', c));
    assert.deepEqual(pooled.map((d) => [d.turn, d.text, d.kind, d.standing, d.mentions]), [
      [10, 'The case is rubber', 'decision', undefined, []],
      [50, 'No LCD screen', 'negative', undefined, [70]],
    ]);
  });
  it('gives a new entry the adjudicator\'s standing (open: a deferral), and a whole group judged none leaves', () => {
    const pooled = pooledDecisions(labels, c, parseVerdicts('C1: none\nC2: open\nC3: same as C1\nC4: given\n', c));
    assert.deepEqual(pooled.map((d) => [d.turn, d.kind, d.standing]), [[30, 'deferral', 'open'], [70, 'decision', 'given']]);
  });
  it('lets a find stated at a mentioned line match (a run that put the decision at line 70 is right)', () => {
    const pooled = pooledDecisions(labels, c, parseVerdicts('C1: decided\nC2: decided\nC3: decided\nC4: same as C2\n', c));
    const matched = match(pooled, [{ turn: 70, text: 'Battery question settled: kinetic' }]);
    assert.equal(matched.get(pooled.findIndex((d) => d.turn === 30)), 0);
  });
});
