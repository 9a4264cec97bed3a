/**
 * The decision check at stop in the daemon (issue 56; the settings' checkProcedure, on by default with carried notes):
 * after the last part is answered (and the restatement check, when asked for), one call reads each final decision with
 * the lines it was noted from (understanding/procedureCheck.ts, prompt v2); those it names are dropped, journaled and
 * announced before the owner check and the settle read the lists. Live (liveExtraction.ts) and over a stored meeting
 * (modelExtractions.ts's extractorFor), through the service's real runner with a fake client answering.
 */
import * as assert from 'node:assert/strict';
import { DecisionRecord, JournalRecord, latestById } from '../../daemon/journal/journal';
import { Decision } from '../../protocol/protocol';
import { PROCEDURE_REASON } from '../../daemon/understanding/chunkMerge';
import { Answer, finishedMeeting, HEADER, segment, serviceRunner } from './live-extraction-harness';

const LINES = Array.from({ length: 20 }, (_, k) => segment(k + 1));
const partOf = (user: string) => Number(/Part (\d+) of/.exec(user)![1]);
const decisions = (journal: JournalRecord[]) => [...latestById(journal.filter((r): r is DecisionRecord => r.type === 'decision')).values()].filter((d) => !d.removed);

/** Part 1 notes the committee going into private session; part 2 a decision about the release. */
const noting: Answer = ({ user }) => {
  const part = partOf(user);
  if (part === 1) return { decisions: [{ text: 'The committee meets in private for the rest of the meeting', kind: 'decision', standing: 'decided', segments: ['m-3'] }] };
  if (part === 2) return {
    decisions: [{ text: 'The release ships on Friday', kind: 'decision', standing: 'decided', segments: ['m-10'] }],
    actionItems: [{ text: 'Draft the release notes', owner: null, due: null, segments: ['m-9'] }],
  };
  return {};
};
const PRIVATE = '{"notDecisions": ["D1"]}';

describe('the procedure check at stop (issue 56)', () => {
  it('live: asked once after the last part over the decisions and their lines; the dropped one journaled and announced gone before the owner check and the settle', async () => {
    const { runner, asked, procedureAsked, ownersAsked, settleAsked } = serviceRunner(noting, { carryNotes: true, procedure: () => PRIVATE });
    const h = await finishedMeeting(runner, LINES);
    assert.equal(procedureAsked.length, 1);
    assert.ok(procedureAsked[0].at >= Math.max(...asked.map((a) => a.answeredAt!)), 'after every part is answered');
    assert.match(procedureAsked[0].user, /^Decision D1 \(decided\): "The committee meets in private for the rest of the meeting" \(said at 00:15\)$/m);
    assert.match(procedureAsked[0].user, /^> \[m-3\] /m, 'with the line it was noted from');
    assert.ok(!procedureAsked[0].user.includes('Draft the release notes'), 'action items are not shown');
    assert.deepEqual(decisions(h.journal).map((d) => d.text), ['The release ships on Friday']);
    // Each model entry keeps its id (its place among the model's entries): the dropped one is withdrawn under its own id,
    // and a tick or an edit on the one after it stays with it. Announced after it is journaled (the harness checks).
    assert.deepEqual(decisions(h.journal).map((d) => d.id), ['dm2']);
    const lastAnnounced = [...new Map(h.announced.filter((x): x is Decision => 'standing' in x).map((d) => [d.id, d])).values()];
    assert.deepEqual(lastAnnounced.map((d) => [d.id, d.text, d.removed === true, d.dismissed?.reason]), [
      ['dm1', 'The committee meets in private for the rest of the meeting', true, PROCEDURE_REASON], ['dm2', 'The release ships on Friday', false, undefined],
    ], 'the dropped one dismissed with the reason: struck through in the notes, restorable');
    assert.equal(ownersAsked.length, 1);
    assert.ok(ownersAsked[0].at >= procedureAsked[0].at, 'the owner check reads the lists after it');
    assert.equal(settleAsked.length, 1);
    assert.ok(settleAsked[0].at >= procedureAsked[0].at);
    assert.ok(!settleAsked[0].user.includes('meets in private'), 'the settle reads the lists without it');
    assert.match(settleAsked[0].user, /The release ships on Friday/);
  });

  it('on by default with carried notes; turned off (or without carried notes): no call, every decision stays', async () => {
    const byDefault = serviceRunner(noting, { carryNotes: true });
    assert.equal(typeof byDefault.runner.checkProcedure, 'function');
    await finishedMeeting(byDefault.runner, LINES);
    assert.equal(byDefault.procedureAsked.length, 1);
    for (const more of [{ carryNotes: true, checkProcedure: false }, { carryNotes: false }]) {
      const { runner, procedureAsked } = serviceRunner(noting, more);
      assert.equal(runner.checkProcedure, undefined);
      const h = await finishedMeeting(runner, LINES);
      assert.equal(procedureAsked.length, 0);
      assert.equal(decisions(h.journal).length, 2);
    }
  });

  it('an answer that is no JSON, or names no decision shown, leaves the decisions as they are, and the summary still settles', async () => {
    for (const answer of ['D1 is procedure.', '{"notDecisions": ["D7"]}']) {
      const { runner, procedureAsked, settleAsked } = serviceRunner(noting, { carryNotes: true, procedure: () => answer });
      const h = await finishedMeeting(runner, LINES);
      assert.equal(procedureAsked.length, answer.startsWith('{') ? 1 : 2, 'asked once more on an invalid answer');
      assert.equal(decisions(h.journal).length, 2);
      assert.equal(settleAsked.length, 1);
    }
  });

  it('after the restatement check: asks about the lists its folds left, by the ids they keep', async () => {
    const twice: Answer = ({ user }) => {
      const part = partOf(user);
      if (part === 1) return { decisions: [{ text: 'The release ships on Friday', kind: 'decision', standing: 'decided', segments: ['m-3'] }] };
      if (part === 3) return { decisions: [{ text: 'Friday is the release day', kind: 'decision', standing: 'decided', segments: ['m-12'] }] };
      return {};
    };
    for (const [drops, left] of [['[]', ['The release ships on Friday']], ['["D1"]', []]] as const) {
      const { runner, procedureAsked } = serviceRunner(twice, {
        carryNotes: true, restatements: () => '{"same": [{"keep": "D1", "fold": ["D2"]}]}', procedure: () => `{"notDecisions": ${drops}}`,
      });
      const h = await finishedMeeting(runner, LINES);
      assert.equal(procedureAsked.length, 1);
      assert.match(procedureAsked[0].user, /Decision D1 /);
      assert.ok(!procedureAsked[0].user.includes('Decision D2 '), 'the folded entry is not shown');
      assert.deepEqual(decisions(h.journal).map((d) => d.text), left, 'a dropped kept entry takes what was folded into it along');
    }
  });

  it('a failed call leaves every decision, and the summary still settles', async () => {
    const { runner, procedureAsked, settleAsked } = serviceRunner(noting, { carryNotes: true, procedure: () => { throw Object.assign(new Error('model crashed'), { code: -32603 }); } });
    const h = await finishedMeeting(runner, LINES);
    assert.equal(procedureAsked.length, 1, 'a failed call is not asked again');
    assert.equal(decisions(h.journal).length, 2);
    assert.equal(settleAsked.length, 1);
  });

  it('no part answered: no check is asked (the run leaves no trace)', async () => {
    const { runner, procedureAsked, ownersAsked } = serviceRunner('fail', { carryNotes: true, procedure: () => PRIVATE });
    await finishedMeeting(runner, LINES);
    assert.deepEqual([procedureAsked.length, ownersAsked.length], [0, 0]);
  });

  it('over a stored meeting: the records the at-stop extraction answers leave the dropped decision out', async () => {
    const { extractions, procedureAsked } = serviceRunner(noting, { carryNotes: true, procedure: () => PRIVATE });
    const records = await extractions.extractorFor('s1')!({ header: HEADER, tornTail: false, records: [HEADER, ...LINES] }, async () => undefined);
    assert.equal(procedureAsked.length, 1);
    const kept = records.filter((r): r is DecisionRecord => r.type === 'decision' && !r.removed);
    assert.deepEqual(kept.map((d) => [d.id, d.text]), [['dm2', 'The release ships on Friday']]);
    const dropped = records.filter((r): r is DecisionRecord => r.type === 'decision' && r.removed === true);
    assert.deepEqual(dropped.map((d) => [d.id, d.dismissed?.reason]), [['dm1', PROCEDURE_REASON]]);
  });
});
