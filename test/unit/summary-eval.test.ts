/**
 * The summary eval's harness (test/eval/summary-eval.ts): the summary's prompts recorded in rounds (each revision reads
 * the answer before it) and replayed by sha256, a changed prompt refused; the structural figures; the judging prompts,
 * the checks of their answers and the judgements filed by the sha256 of what was judged; the reference fixture.
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  checkFoldersBeside, DEVELOPMENT, factsPrompt, promptName, promptOrder, fileJudgements, judgePrompt, loadReferences, materialKey, outputsOf, parseJudgeAnswer, readJudgements, REFERENCES_FILE, runSummary,
  scoreRuns, structureOf, SummaryRun, writeJudgePrompts,
} from '../eval/summary-eval';
import { loadMeetings, Meeting, REAL_MEETINGS_DIR } from '../eval/notes-eval';
import { SUMMARY_BOUNDS } from '../../daemon/understanding/modelSummary';
import { standingMessages } from '../../daemon/understanding/standingCheck';

/** Answers every summary prompt in `dir` not answered yet: the summary so far kept, a point for the chunk; the settle restates. */
function answerPending(dir: string, point = (name: string, ids: string[]) => ({ text: `What ${name} said.`, cites: ids.slice(0, 3) })): string[] {
  const answered: string[] = [];
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.prompt.txt'))) {
    const answer = path.join(dir, f.replace('.prompt.txt', '.answer.txt'));
    if (fs.existsSync(answer)) continue;
    const prompt = fs.readFileSync(path.join(dir, f), 'utf8');
    const sofar = (JSON.parse(/^Summary so far \(JSON\):\n(.*)$/m.exec(prompt)![1]) as { points: { text: string; cites: string[] }[] }).points;
    const ids = [...prompt.matchAll(/^\[(l-\d+)\]/gm)].map((m) => m[1]);
    const name = f.slice(0, -'.prompt.txt'.length);
    const points = name === 'settle' ? sofar.map((p) => ({ text: `Settled: ${p.text}`, cites: p.cites })) : [...sofar.slice(-5), point(name, ids)];
    fs.writeFileSync(answer, JSON.stringify({ points }));
    answered.push(name);
  }
  return answered;
}

describe('the summary eval (summary-eval.ts)', function () {
  this.timeout(60_000);
  let dir: string;
  const meeting = (name: string): Meeting => loadMeetings(REAL_MEETINGS_DIR).find((m) => m.name === name)!;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-summary-eval-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Records ES2002a's summary round by round, answering each prompt, until complete; answers the names in order. */
  async function recordAll(m: Meeting, into: string): Promise<string[]> {
    const order: string[] = [];
    for (let round = 0; round < 20; round++) {
      const run = await runSummary(m, null, into, true);
      if (!run.pending) return order;
      assert.equal(fs.readdirSync(into).filter((f) => f.endsWith('.prompt.txt') && !fs.existsSync(path.join(into, f.replace('.prompt.txt', '.answer.txt')))).length, 1, 'one prompt waits at a time');
      order.push(...answerPending(into));
    }
    throw new Error('never complete');
  }

  it('records the prompts in rounds (each revision, then the settle), replays them, and refuses one that changed', async () => {
    const m = meeting('ES2002a');
    const into = path.join(dir, m.name);
    const order = await recordAll(m, into);
    assert.ok(order.length >= 3, order.join());
    assert.deepEqual(order, [...order.slice(0, -1).map((_, k) => `summary-${k + 1}`), 'settle']);
    const settle = fs.readFileSync(path.join(into, 'settle.prompt.txt'), 'utf8');
    assert.match(settle, /^The meeting has ended/m);
    assert.match(fs.readFileSync(path.join(into, 'settle.prompt.sha256'), 'utf8'), /^[0-9a-f]{64}\n$/);
    const replayed = await runSummary(m, null, into, false);
    assert.equal(replayed.pending, undefined);
    assert.deepEqual(replayed.settle, { settled: true });
    assert.deepEqual(replayed.summary.map((p) => p.text), replayed.rolling.map((p) => `Settled: ${p.text}`));
    assert.equal(replayed.raw.length, order.length);

    // An earlier answer changed: recording writes the prompt after it again and removes the answers it no longer fits.
    fs.writeFileSync(path.join(into, 'summary-1.answer.txt'), JSON.stringify({ points: [{ text: 'Changed.', cites: ['l-1'] }] }));
    await assert.rejects(runSummary(m, null, into, false), /summary-2\.prompt\.sha256: the prompt is not the one the answer was written for/);
    const again = await runSummary(m, null, into, true);
    assert.equal(again.pending, path.join(into, 'summary-2.prompt.txt'));
    assert.ok(!fs.existsSync(path.join(into, 'summary-2.answer.txt')) && !fs.existsSync(path.join(into, 'settle.prompt.txt')), 'what answered another summary is gone');
    assert.ok(fs.readFileSync(path.join(into, 'summary-2.prompt.txt'), 'utf8').includes('"Changed."'));
    // A missing answer replays as an incomplete meeting, not an error.
    assert.equal((await runSummary(m, null, into, false)).pending, path.join(into, 'summary-2.answer.txt: no answer'));
  });

  it('structure: points, lengths and cites as the notes show them; every answer\'s points over the bound and cut', () => {
    const long = `${'word '.repeat(100)}end`;
    const run = {
      meeting: meeting('ES2002a'), summary: [{ text: 'Short.', segmentIds: ['l-1', 'l-2'] }, { text: 'x'.repeat(250), segmentIds: ['l-3'] }], settle: { settled: true }, rolling: [], decisions: [],
      raw: [
        { name: 'summary-1', text: JSON.stringify({ points: [{ text: long, cites: Array.from({ length: 10 }, (_, k) => `l-${k}`) }, { text: 'x'.repeat(250), cites: ['l-3'] }] }) },
        { name: 'settle', text: 'not json' },
      ],
    } as SummaryRun;
    const s = structureOf([run, { ...run, pending: 'waits' }]);
    assert.deepEqual([s.summaries, s.points, s.lengths, s.cites], [1, [2], [6, 250], [2, 1]]);
    assert.ok(long.length > SUMMARY_BOUNDS.textMax);
    assert.deepEqual([s.answerPoints, s.overPromptBound, s.cut, s.citesOverLimit], [2, 2, 1, 10 - SUMMARY_BOUNDS.citations]);
  });

  it('judging: facts split once without the summary, each output judged against them, answers checked and filed by what they judged', async () => {
    const refs = loadReferences();
    const ref = refs.get('ES2002a')!;
    const run = {
      meeting: meeting('ES2002a'), summary: [{ text: 'A remote control is to be designed; yellow was decided.', segmentIds: ['l-1'] }], settle: { settled: true },
      rolling: [{ text: 'Yellow was suggested.', segmentIds: ['l-1'] }], decisions: [{ text: 'The case is yellow', standing: 'decided' }], raw: [],
    } as SummaryRun;
    const prompts = path.join(dir, 'prompts');
    const judged = path.join(dir, 'judgements');
    assert.deepEqual(writeJudgePrompts([run, { ...run, pending: 'waits' }], refs, prompts, judged), [path.join(prompts, 'ES2002a.facts.prompt.txt')]);
    const facts = fs.readFileSync(path.join(prompts, 'ES2002a.facts.prompt.txt'), 'utf8');
    assert.ok(facts.includes(ref.summary) && !facts.includes('yellow'), 'the reference, never the summary judged');
    assert.equal(facts, `${factsPrompt(ref)}\n`);
    fs.writeFileSync(path.join(prompts, 'ES2002a.facts.answer.json'), '```json\n{"facts": ["It was the kick-off meeting.", "The project is to design a remote control."]}\n```');
    assert.deepEqual(fileJudgements(prompts, refs, judged), { filed: ['ES2002a.facts'], refused: [] });
    assert.deepEqual(readJudgements('ES2002a', judged)!.facts, ['It was the kick-off meeting.', 'The project is to design a remote control.']);

    fs.rmSync(prompts, { recursive: true });
    const written = writeJudgePrompts([run], refs, prompts, judged);
    assert.deepEqual(written.map((f) => path.basename(f)), ['ES2002a.settled.judge.prompt.txt', 'ES2002a.rolling.judge.prompt.txt']);
    const settledPrompt = fs.readFileSync(written[0], 'utf8');
    assert.equal(settledPrompt, `${judgePrompt(['It was the kick-off meeting.', 'The project is to design a remote control.'], outputsOf(run)[0].material)}\n`);
    assert.ok(settledPrompt.includes('1. A remote control is to be designed; yellow was decided.') && settledPrompt.includes('- decided: The case is yellow'), settledPrompt);
    // A wrong answer is refused, not filed; a right one is filed under the sha256 of what it judged.
    fs.writeFileSync(path.join(prompts, 'ES2002a.rolling.judge.answer.json'), JSON.stringify({ facts: [{ fact: 1, verdict: 'maybe' }, { fact: 2, verdict: 'covered' }] }));
    fs.writeFileSync(path.join(prompts, 'ES2002a.settled.judge.answer.json'), JSON.stringify({
      facts: [{ fact: 1, verdict: 'not covered', points: [] }, { fact: 2, verdict: 'covered', points: [1], why: 'point 1' }], standing: [],
    }));
    const filed = fileJudgements(prompts, refs, judged);
    assert.deepEqual(filed.filed, ['ES2002a.settled.judge']);
    assert.equal(filed.refused.length, 1);
    assert.match(filed.refused[0], /rolling\.judge\.answer\.json: fact 1: verdict "maybe"/);
    const file = readJudgements('ES2002a', judged)!;
    assert.deepEqual(Object.keys(file.judgements), [materialKey(outputsOf(run)[0].material)]);

    const scores = scoreRuns([run], judged);
    assert.deepEqual([scores.settled.meetings, scores.settled.facts, scores.settled.covered, scores.settled.contradicted, scores.rolling.meetings], [1, 2, 1, 0, 0]);
    assert.deepEqual(scores.unjudged, ['ES2002a (rolling)']);
    // The summary changed since: its judgement is not used.
    const changed = { ...run, summary: [{ text: 'Something else.', segmentIds: ['l-1'] }] } as SummaryRun;
    assert.deepEqual(scoreRuns([changed], judged).unjudged, ['ES2002a (settled)', 'ES2002a (rolling)']);
  });

  it('--with-parts: the summary with the notes on each part folded under it is judged and scored apart; the other prompts are as before', () => {
    const refs = loadReferences();
    const run = {
      meeting: meeting('ES2002a'), summary: [{ text: 'A remote control is to be designed.', segmentIds: ['l-1'] }], settle: { settled: true }, rolling: [],
      decisions: [{ text: 'The case is yellow', standing: 'decided' }], parts: [['The kick-off.', 'Yellow was liked.'], ['Yellow was decided.']], raw: [],
    } as SummaryRun;
    const judged = path.join(dir, 'parts-judgements');
    fs.mkdirSync(judged);
    const facts = ['It was the kick-off meeting.', 'The case is yellow.'];
    fs.writeFileSync(path.join(judged, 'ES2002a.json'), JSON.stringify({ meeting: 'ES2002a', reference: createHash('sha256').update(refs.get('ES2002a')!.summary).digest('hex'), facts, judgements: {} }));
    // Without the flag, only the summary; the material without parts keys and reads exactly as before.
    assert.deepEqual(outputsOf(run).map((o) => o.which), ['settled']);
    assert.equal(materialKey(outputsOf(run)[0].material), materialKey({ summary: ['A remote control is to be designed.'], decisions: run.decisions }));
    assert.doesNotMatch(judgePrompt(facts, outputsOf(run)[0].material), /Part 1|notes on each part/);
    const prompts = path.join(dir, 'parts-prompts');
    const written = writeJudgePrompts([run], refs, prompts, judged, true).map((f) => path.basename(f));
    assert.deepEqual(written, ['ES2002a.settled.judge.prompt.txt', 'ES2002a.notes.judge.prompt.txt']);
    const prompt = fs.readFileSync(path.join(prompts, 'ES2002a.notes.judge.prompt.txt'), 'utf8');
    // The parts under the summary, numbered on from its points; Task 2 reads the summary's points alone.
    assert.ok(prompt.includes('1. A remote control is to be designed.\n\nUnder the summary, folded, the note-taker\'s notes on each part'), prompt);
    assert.ok(prompt.includes('Part 1:\n2. The kick-off.\n3. Yellow was liked.\nPart 2:\n4. Yellow was decided.\n'), prompt);
    assert.match(prompt, /Task 2\. List every point of the note-taker's summary \(points 1 to 1 only\)/);
    // A judge may cite a part's point (4 of 4); past them it is refused.
    fs.writeFileSync(path.join(prompts, 'ES2002a.notes.judge.answer.json'), JSON.stringify({ facts: [{ fact: 1, verdict: 'covered', points: [2] }, { fact: 2, verdict: 'covered', points: [4] }], standing: [] }));
    fs.writeFileSync(path.join(prompts, 'ES2002a.settled.judge.answer.json'), JSON.stringify({ facts: [{ fact: 1, verdict: 'not covered', points: [] }, { fact: 2, verdict: 'covered', points: [4] }], standing: [] }));
    const filed = fileJudgements(prompts, refs, judged);
    assert.deepEqual(filed.filed, ['ES2002a.notes.judge']);
    assert.match(filed.refused[0], /settled\.judge\.answer\.json: fact 2: points \[4\] outside 1–1/);
    const scores = scoreRuns([run], judged);
    assert.deepEqual([scores.notes.meetings, scores.notes.facts, scores.notes.covered, scores.settled.meetings], [1, 2, 2, 0]);
    assert.deepEqual(scores.unjudged, ['ES2002a (settled)'], 'the summary alone is still to judge; the notes are not among the summaries');
  });

  it('checks a judge\'s answer against what it judged: one verdict per fact in order, points and standing in range', () => {
    const ok = parseJudgeAnswer(JSON.stringify({ facts: [{ fact: 1, verdict: 'contradicted', points: [2] }], standing: [{ point: 2, decision: 'Yellow', why: 'called suggested' }] }), 1, 2);
    assert.deepEqual(ok, { verdicts: [{ fact: 1, verdict: 'contradicted', points: [2] }], standing: [{ point: 2, decision: 'Yellow', why: 'called suggested' }] });
    assert.throws(() => parseJudgeAnswer(JSON.stringify({ facts: [] }), 1, 2), /0 verdicts for 1 facts/);
    assert.throws(() => parseJudgeAnswer(JSON.stringify({ facts: [{ fact: 2, verdict: 'covered' }] }), 1, 2), /verdict 1 is not for fact 1/);
    assert.throws(() => parseJudgeAnswer(JSON.stringify({ facts: [{ fact: 1, verdict: 'covered', points: [3] }] }), 1, 2), /outside 1–2/);
    assert.throws(() => parseJudgeAnswer(JSON.stringify({ facts: [{ fact: 1, verdict: 'covered' }], standing: [{ point: 9, decision: 'x' }] }), 1, 2), /a point 1–2/);
  });

  it('records the standing check after the settle, as `standings`: named by its heading, removed with the settle it read', () => {
    assert.deepEqual(promptOrder(2, 11, true), ['summary-1', 'summary-2', 'part-1', 'part-2', 'settle', 'standings']);
    assert.deepEqual(promptOrder(2, 11), ['summary-1', 'summary-2', 'part-1', 'part-2', 'settle']);
    const { user } = standingMessages([{ text: 'It was proposed.', segmentIds: ['l-1'] }], { decisions: [{ text: 'Ship it', kind: 'decision', segmentId: 'l-1' }], actionItems: [] });
    assert.equal(promptName(user, new Map()), 'standings');
    assert.equal(promptName('The meeting has ended: settle its summary', new Map()), 'settle');
  });

  it('finds the checks at stop recorded beside each run\'s extraction folder, and refuses a folder they are not recorded beside', () => {
    const root = path.join('sets', 'calls');
    assert.deepEqual(checkFoldersBeside([path.join(root, 'model-answers-v8-b'), path.join('sets', 'other', 'model-answers-v8-b')]), {
      restatements: [path.join(root, 'restatements', 'answers-v8-b'), path.join('sets', 'other', 'restatements', 'answers-v8-b')],
      procedure: [path.join(root, 'restatements', 'procedure-v8-b'), path.join('sets', 'other', 'restatements', 'procedure-v8-b')],
      owners: [path.join(root, 'restatements', 'owners-v8-b'), path.join('sets', 'other', 'restatements', 'owners-v8-b')],
    });
    assert.equal(checkFoldersBeside([path.join(root, 'model-answers-v8')]).owners[0], path.join(root, 'restatements', 'owners-v8'));
    assert.throws(() => checkFoldersBeside([path.join(root, 'model-answers')]), /recorded beside prompt v8's extraction folders/);
  });

  it('the reference fixture: QMSum\'s human summary of each real meeting, train and val only', () => {
    const refs = loadReferences();
    const real = loadMeetings(REAL_MEETINGS_DIR).map((m) => m.name);
    assert.deepEqual([...refs.keys()].sort(), [...real].sort());
    for (const r of refs.values()) {
      assert.ok(['train', 'val'].includes(r.split) && r.summary.length > 200 && r.query.length > 5, r.id);
    }
    assert.ok(DEVELOPMENT.every((name) => real.includes(name)) && DEVELOPMENT.length === 12);
    const bad = path.join(dir, 'bad.json');
    const data = JSON.parse(fs.readFileSync(REFERENCES_FILE, 'utf8')) as { meetings: { split: string }[] };
    data.meetings[0].split = 'test';
    fs.writeFileSync(bad, JSON.stringify(data));
    assert.throws(() => loadReferences(bad), /from QMSum's test split/);
  });
});
