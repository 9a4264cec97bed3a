import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { agreement, CHECK_DIRS, extensionControls, JUDGED_CAPS, JudgedQuestion, judgedFigures, loadJudged, MEMORY_ADJUDICATED_DIR, missingFromPool, parseJudgements, PooledPassage, poolOf, rankedFor, rankingsOf, Relevance } from '../eval/memory-adjudication';
import { loadQmsum, memoryIndexOf, QmsumMeeting } from '../eval/memoryQuality';
import { viewingFigures } from '../eval/memory-viewing';
import { MemoryPassage } from '../../protocol/protocol';

const pool = (n: number): PooledPassage[] => Array.from({ length: n }, (_, i) => ({ id: `P${i + 1}`, meeting: 'm', turns: [i], sources: ['topical-all'] }));

describe('memory relevance judgements: reading and scoring (test/eval/memory-adjudication.ts)', () => {
  it('reads one verdict per passage and refuses anything else', () => {
    assert.deepEqual([...parseJudgements('P1: answers\nP2: no\n\nP3: topic\n', pool(3), 'f')], [['P1', 'answers'], ['P2', 'no'], ['P3', 'topic']]);
    assert.throws(() => parseJudgements('P1: answers\nP2: maybe\nP3: no', pool(3), 'f'), /f: cannot read "P2: maybe"/);
    assert.throws(() => parseJudgements('P1: answers\nP1: no\nP2: no', pool(2), 'f'), /P1 judged twice/);
    assert.throws(() => parseJudgements('P1: answers', pool(2), 'f'), /no judgement for P2/);
    assert.throws(() => parseJudgements('P1: no\nP2: no\nP3: no', pool(2), 'f'), /P3 is not in the pool/);
  });

  it('scores strict, own-meeting-judged and any-meeting-judged hits as defined', () => {
    const m: QmsumMeeting = { id: 'own', domain: 'Product', split: 'val', turns: Array.from({ length: 30 }, () => ['A', 'x'] as [string, string]), queries: [{ query: 'q', answer: '', spans: [[10, 12]] }] };
    const passage = (meeting: string, turns: number[]): MemoryPassage => ({
      meeting: { sessionId: meeting, title: meeting, startedAt: '', notesPath: '', durationSec: null }, score: 1,
      hit: { kind: 'segment', id: String(turns[0]), text: '' },
      lines: turns.map((t) => ({ segmentId: String(t), index: t + 1, speaker: 'A', t0: t, t1: t + 1, text: 'x', hit: false })),
    });
    const judgedPool: PooledPassage[] = [
      { id: 'P1', meeting: 'other', turns: [1, 2], sources: ['topical-all'] },
      { id: 'P2', meeting: 'own', turns: [20, 21], sources: ['topical-all'] },
      { id: 'P3', meeting: 'own', turns: [11], sources: ['span'] },
    ];
    const j = (v: Relevance[]): JudgedQuestion[] => [{ meeting: 'own', query: 0, pool: judgedPool, judged: new Map(v.map((x, i) => [`P${i + 1}`, x])) }];
    // Ranked: another meeting's passage first, then the own meeting's outside the span.
    const ranked = () => [passage('other', [1, 2]), passage('own', [20, 21])];
    let f = judgedFigures([m], j(['answers', 'no', 'answers']), ranked);
    assert.deepEqual([f.strict, f.ownJudged, f.anyJudged, f.unjudged], [{ hit1: 0, hit5: 0 }, { hit1: 0, hit5: 0 }, { hit1: 1, hit5: 1 }, 0]);
    f = judgedFigures([m], j(['no', 'answers', 'answers']), ranked);
    assert.deepEqual([f.strict, f.ownJudged, f.anyJudged], [{ hit1: 0, hit5: 0 }, { hit1: 0, hit5: 1 }, { hit1: 0, hit5: 1 }]);
    // A span passage is a hit whatever its verdict; a passage the pool lacks is counted as unjudged.
    f = judgedFigures([m], j(['no', 'no', 'no']), () => [passage('own', [11]), passage('own', [3])]);
    assert.deepEqual([f.strict, f.ownJudged, f.anyJudged, f.unjudged], [{ hit1: 1, hit5: 1 }, { hit1: 1, hit5: 1 }, { hit1: 1, hit5: 1 }, 1]);
  });

  it("computes agreement and Cohen's kappa on answers as by hand", () => {
    const q = (v: Relevance[]): JudgedQuestion => ({ meeting: 'm', query: 0, pool: pool(v.length), judged: new Map(v.map((x, i) => [`P${i + 1}`, x])) });
    // The same verdict on P1 only (P4 is no against topic).
    const a = agreement([q(['answers', 'answers', 'no', 'no'])], [q(['answers', 'no', 'answers', 'topic'])]);
    // answers vs rest: agree on P1 (both) and P4 (neither): po 0.5; pa 0.5, pb 0.5 → pe 0.5 → kappa 0.
    assert.deepEqual(a, { passages: 4, same: 1, kappa: 0 });
    assert.equal(agreement([q(['answers', 'no'])], [q(['answers', 'topic'])]).kappa, 1);
  });
});

describe('memory relevance judgements: the stored pools (test/fixtures/qmsum-memory/adjudicated)', () => {
  // The judged figures hold only while the rankings return what was pooled: a change to the ranking, the passages or
  // the fixture makes this fail, and the pool must be judged again (the fixture README says how).
  it('are what the shipped rankings, the spans and the seeded control give today (train and val)', function () {
    this.timeout(120_000);
    const all = loadQmsum();
    const rankings = rankingsOf(all);
    let questions = 0, extended = 0;
    const noRandomControl: string[] = [];
    for (const m of all) {
      m.queries.forEach((q, n) => {
        const stored = JSON.parse(fs.readFileSync(path.join(MEMORY_ADJUDICATED_DIR, `${m.id}.${n}.pool.json`), 'utf8')) as PooledPassage[];
        const first = stored.filter((p) => !p.sources.includes('topical-diverse'));
        assert.deepEqual(poolOf(m, n, rankedFor(rankings, m, q.query)), first, `${m.id}.${n}`);
        // Added later: what the judged limits per meeting return and the first pool lacked (in the judge's order),
        // numbered on.
        const added = stored.slice(first.length);
        const key = (p: { meeting: string; turns: number[] }) => `${p.meeting}:${p.turns.join(',')}`;
        assert.ok(added.every((p) => p.sources.includes('topical-diverse')), `${m.id}.${n}: added passages after the first pool`);
        assert.deepEqual(added.map(key).sort(), missingFromPool(rankings, JUDGED_CAPS[m.split], m, n, first).map(key).sort(), `${m.id}.${n}: added`);
        assert.deepEqual(added.map((p) => p.id), added.map((_, i) => `P${first.length + i + 1}`));
        extended += added.length;
        assert.ok(stored.some((p) => p.sources.includes('span')), `${m.id}.${n}: the span control`);
        if (!stored.some((p) => p.sources.includes('control'))) noRandomControl.push(`${m.id}.${n}`);
        questions++;
      });
    }
    assert.equal(questions, 253);
    assert.equal(extended, 198 + 44);
    // Its span is the whole meeting (turns 5–400 of 401): no stretch is left for a random control.
    assert.deepEqual(noRandomControl, ['IS1004b.0']);
  });

  const acceptance = (judged: JudgedQuestion[], source: string) => {
    const v = judged.flatMap((j) => j.pool.filter((p) => p.sources.includes(source as never)).map((p) => j.judged.get(p.id)));
    return v.filter((x) => x === 'answers').length / v.length;
  };

  // A span control is the annotated span's first 12 lines, which can be the run-up to the answer: accepted 88% (val)
  // and 79% (train); the random controls 8% and 5%.
  it('were read alike by two judgings, and the controls say the judges read (train and val)', () => {
    const all = loadQmsum();
    const val = all.filter((m) => m.split === 'val');
    const first = loadJudged(val);
    const train = all.filter((m) => m.split === 'train');
    const firstTrain = loadJudged(train);
    // Measured: the same verdict on 661 of 713 (val) and 2,625 of 2,876 (train) passages, kappa 0.93 and 0.91.
    const a = agreement(first, loadJudged(val, CHECK_DIRS.val));
    const b = agreement(firstTrain, loadJudged(train, CHECK_DIRS.train));
    assert.deepEqual([a.passages, b.passages], [713, 2876]);
    assert.ok(a.kappa >= 0.9 && b.kappa >= 0.88, `kappa ${a.kappa}, ${b.kappa}`);
    for (const judged of [first, firstTrain]) {
      assert.ok(acceptance(judged, 'span') >= 0.75 && acceptance(judged, 'control') <= 0.1, `span ${acceptance(judged, 'span')}, control ${acceptance(judged, 'control')}`);
    }
    // The controls judged again beside the added passages (measured: the first verdict on 219 of 240 train and 45 of 46
    // val; span accepted 101 of 120 and 23 of 23, random stretch 8 of 120 and 0 of 23).
    for (const [judged, n] of [[firstTrain, 240], [first, 46]] as const) {
      const c = extensionControls(judged);
      assert.equal(c.passages, n);
      assert.ok(c.same / c.passages >= 0.88, `controls: the first verdict on ${c.same} of ${c.passages}`);
      assert.ok(c.span[0] / c.span[1] >= 0.75 && c.control[0] / c.control[1] <= 0.1, `span ${c.span}, control ${c.control}`);
    }
  });

  it('give the shipped ranking at least the judged figures measured', () => {
    const all = loadQmsum();
    const shipped = memoryIndexOf(all);
    const figures = (split: 'train' | 'val') => {
      const set = all.filter((m) => m.split === split);
      return judgedFigures(set, loadJudged(set), (_m, query) => shipped.search({ query, limit: 5 }));
    };
    // Measured (BENCHMARKS.md, issue 40, third pass), hit@1 / hit@5: val strict 0.48 / 0.56, own meeting judged
    // 0.54 / 0.66, any meeting judged 0.60 / 0.78; train strict 0.409 / 0.635, own meeting judged 0.478 /
    // 0.695, any meeting judged 0.616 / 0.867. Each floor about one question (val) or
    // two points (train) below.
    const floors: [string, number, number][] = [];
    const val = figures('val'), train = figures('train');
    assert.equal(val.unjudged + train.unjudged, 0);
    floors.push(['val strict hit@1', val.strict.hit1, 0.46], ['val strict hit@5', val.strict.hit5, 0.54],
      ['val own judged hit@1', val.ownJudged.hit1, 0.52], ['val own judged hit@5', val.ownJudged.hit5, 0.64],
      ['val any judged hit@1', val.anyJudged.hit1, 0.58], ['val any judged hit@5', val.anyJudged.hit5, 0.76]);
    floors.push(['train strict hit@1', train.strict.hit1, 0.39], ['train strict hit@5', train.strict.hit5, 0.61],
      ['train own judged hit@1', train.ownJudged.hit1, 0.46], ['train own judged hit@5', train.ownJudged.hit5, 0.67],
      ['train any judged hit@1', train.anyJudged.hit1, 0.59], ['train any judged hit@5', train.anyJudged.hit5, 0.84]);
    for (const [name, value, floor] of floors) assert.ok(value >= floor, `${name} ${value} < ${floor}`);
  });

  it('give the chat at least the figures measured with the question\'s meeting open, and another open (test/eval/memory-viewing.ts)', () => {
    const all = loadQmsum();
    const index = memoryIndexOf(all);
    // Measured (BENCHMARKS.md, issue 40, fourth pass), own meeting judged hit@1 / hit@5 with the question's meeting
    // open: val 0.72 / 0.86, train 0.739 / 0.892; strict with another meeting open: val 0.34 / 0.56, train 0.379 /
    // 0.616. Floors about one question (val) or two points (train) below.
    const val = viewingFigures(all, all.filter((m) => m.split === 'val'), index);
    const train = viewingFigures(all, all.filter((m) => m.split === 'train'), index);
    const floors: [string, number, number][] = [
      ['val, own open, own judged hit@1', val.own.ownJudged.hit1, 0.7], ['val, own open, own judged hit@5', val.own.ownJudged.hit5, 0.84],
      ['train, own open, own judged hit@1', train.own.ownJudged.hit1, 0.72], ['train, own open, own judged hit@5', train.own.ownJudged.hit5, 0.87],
      ['val, another open, strict hit@1', val.other.strict.hit1, 0.32], ['val, another open, strict hit@5', val.other.strict.hit5, 0.54],
      ['train, another open, strict hit@1', train.other.strict.hit1, 0.36], ['train, another open, strict hit@5', train.other.strict.hit5, 0.6],
    ];
    for (const [name, value, floor] of floors) assert.ok(value >= floor, `${name} ${value} < ${floor}`);
    // Nothing open is the shipped ranking as before; with the own meeting open, the pools hold (nearly) every passage.
    assert.equal(val.none.unjudged + train.none.unjudged, 0);
    assert.ok(val.own.unjudged + train.own.unjudged <= 4, `${val.own.unjudged + train.own.unjudged} unjudged`);
  });
});
