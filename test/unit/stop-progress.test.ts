/**
 * What the client is told of the steps after a meeting's chunks (daemon/understanding/stopProgress.ts): each step as it
 * starts, the run's end once and last; nothing when the chunks' run said its end itself; a cancel said with its step.
 * And which checks at stop are said to run at all (checksAtStop.ts checkHasWork: only those with something to read).
 * The service's and the live session's use of it: summary-at-stop.test.ts, live-extraction.test.ts.
 */
import * as assert from 'node:assert/strict';
import { EXTRACTION_STEP_WORDS, ExtractionProgressParams } from '../../protocol/protocol';
import { StopProgress } from '../../daemon/understanding/stopProgress';
import { checkHasWork } from '../../daemon/understanding/checksAtStop';
import { NotedEntry } from '../../daemon/understanding/carriedNotes';
import { ModelRunSummary } from '../../daemon/understanding/modelExtract';

const counts = (): ModelRunSummary => ({ provider: 'local', model: 'm', chunks: 4, finished: 4, failed: 1, tokens: 900, state: 'done' });

function progress(endHeld: boolean | undefined, abort = new AbortController()) {
  const said: ExtractionProgressParams[] = [];
  const sofar = counts();
  const steps = new StopProgress((p) => said.push(p), { sessionId: 's1', tokenBudget: 5000, message: '4 chunks done, 1 left out (no valid answer)', ...(endHeld !== undefined ? { endHeld } : {}), signal: abort.signal }, () => sofar);
  return { said, steps, sofar, abort };
}

describe('the steps at stop as the client is told them (StopProgress)', () => {
  it('says each step running with the run\'s counts, then the end once, with the chunks\' message and the tokens now', () => {
    const { said, steps, sofar } = progress(true);
    steps.step('decisions');
    sofar.tokens += 300;
    steps.step('settle');
    steps.end();
    steps.end();
    steps.step('sections');
    assert.deepEqual(said.map((p) => [p.state, p.step, p.message, p.tokens]), [
      ['running', 'decisions', EXTRACTION_STEP_WORDS.decisions, 900],
      ['running', 'settle', EXTRACTION_STEP_WORDS.settle, 1200],
      ['done', undefined, '4 chunks done, 1 left out (no valid answer)', 1200],
    ]);
    assert.deepEqual(said.map((p) => [p.sessionId, p.chunks, p.finished, p.failed, p.tokenBudget]), said.map(() => ['s1', 4, 4, 1, 5000]));
  });

  it('says nothing when the chunks\' run said its end itself (cancelled, out of budget, declined, or not asked to hold it)', () => {
    for (const endHeld of [undefined, false]) {
      const { said, steps } = progress(endHeld);
      steps.step('summary');
      steps.end();
      assert.deepEqual(said, []);
    }
  });

  it('a cancel: no step said after it, and the end says cancelled while the step that ran', () => {
    const { said, steps, abort } = progress(true);
    steps.step('owners');
    abort.abort();
    steps.step('settle');
    steps.end();
    assert.deepEqual(said.map((p) => [p.state, p.step ?? null, p.message]), [
      ['running', 'owners', EXTRACTION_STEP_WORDS.owners],
      ['cancelled', null, `cancelled while ${EXTRACTION_STEP_WORDS.owners}: the notes keep what was read`],
    ]);
    const early = progress(true);
    early.abort.abort();
    early.steps.end();
    assert.equal(early.said[0].message, 'cancelled while finishing the notes: the notes keep what was read');
  });

  it('every step has its words, fixed and plain', () => {
    for (const words of Object.values(EXTRACTION_STEP_WORDS)) assert.match(words, /^[a-z][a-z' ]+$/);
  });
});

describe('which checks at stop are said to run (checkHasWork)', () => {
  const entry = (id: string, kind: NotedEntry['kind'], owner: string | null = null): NotedEntry =>
    ({ id, kind, text: `Entry ${id}`, firstT0: 0, lastT0: 0, ...(kind === 'actionItem' ? { owner } : { standing: 'decided' as const }) });
  it('the restatement check: two entries of a kind; the decision check: a decision; the owner check: an item without an owner', () => {
    assert.equal(checkHasWork('restatements', [entry('D1', 'decision'), entry('A1', 'actionItem')]), false, 'one of each kind: nothing to fold');
    assert.equal(checkHasWork('restatements', [entry('D1', 'decision'), entry('D2', 'decision')]), true);
    assert.equal(checkHasWork('decisions', [entry('A1', 'actionItem')]), false);
    assert.equal(checkHasWork('decisions', [entry('D1', 'decision')]), true);
    assert.equal(checkHasWork('owners', [entry('A1', 'actionItem', 'Ana'), entry('D1', 'decision')]), false);
    assert.equal(checkHasWork('owners', [entry('A1', 'actionItem', 'Ana'), entry('A2', 'actionItem')]), true);
    for (const step of ['restatements', 'decisions', 'owners'] as const) assert.equal(checkHasWork(step, []), false);
  });
});
