import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  DROPPED_BOUNDS, droppedPoints, FinalOutcomes, rollOver, settleCitableIds, settledPointsFor, settleMessages, settleSummary, SETTLE_RULES_V8,
  SETTLE_RULES_V9, SUMMARY_BOUNDS, SummaryPoint, SummarySoFar,
} from '../../daemon/understanding/modelSummary';
import { extractTranscriptWithModel } from '../../daemon/understanding/modelTranscript';
import { Chat, SummaryConstraint } from '../../daemon/understanding/providers';

// The settle of v9 (issue 56): the development twelve's settled summaries lost nothing the last rolling summary had;
// what they missed the rolling summary had dropped for room, so v9's settle reads the dropped points and has room.
const meeting = { title: 'Remote', date: '2030-01-01' };
const point = (text: string, ...segmentIds: string[]): SummaryPoint => ({ text, segmentIds });
const outcomes: FinalOutcomes = {
  decisions: [
    { text: 'The case is plastic', kind: 'decision', standing: 'decided', segmentId: 'm-3' },
    { text: 'Whether it is basic is left for later', kind: 'decision', standing: 'open', segmentId: 'm-4', standingHistory: [{ standing: 'open', segmentId: 'm-2', t0: 10 }, { standing: 'decided', segmentId: 'm-4', t0: 100 }] },
  ],
  actionItems: [{ text: 'Cost the case', owner: 'Ben', due: null, segmentId: 'm-5' }],
};
const previous = [point('Overview of the meeting.', 'm-1', 'm-2'), point('Ben costs the case.', 'm-5')];
const sha = (m: { system: string; user: string }) => createHash('sha256').update(`${m.system}\n\n${m.user}\n`).digest('hex');

describe('the settle of v9 (issue 56: the points the rolling summary dropped, and room for them)', () => {
  describe('the dropped points', () => {
    const survey = point('Marketing reported from his questionnaire survey that consumers want fancy, easy remotes and will pay for technology.', 'm-7', 'm-8');
    const chips = point('The Industrial Designer prefers the advanced chip on print over the simple chip, which lacks intelligence.', 'm-9');
    const overview = point('Conceptual design meeting led by the Project Manager: presentations, then the concept.', 'm-1');
    it('a point a later revision cut is dropped; one it reworded (most of its words still said) is not', () => {
      const reworded = point('Conceptual design meeting, led by the Project Manager: three presentations, then the concept was chosen.', 'm-1', 'm-30');
      assert.deepEqual(droppedPoints([[overview, survey], [overview, survey, chips]], [reworded, chips]), [survey]);
    });
    it('a point said again in several revisions is brought back once, in its newest words; the newest first', () => {
      const older = point('Marketing reported from his questionnaire survey that consumers want fancy remotes.', 'm-7');
      assert.deepEqual(droppedPoints([[older], [survey], [chips]], [overview]), [chips, survey]);
    });
    it('bounded in points and characters (the newest kept)', () => {
      const many = Array.from({ length: DROPPED_BOUNDS.points + 5 }, (_, k) => [point(`Topic${k} alpha${k} bravo${k} charlie${k} delta${k}.`, `m-${k}`)]);
      const dropped = droppedPoints(many, [overview]);
      assert.equal(dropped.length, DROPPED_BOUNDS.points);
      assert.equal(dropped[0].text, many[many.length - 1][0].text);
      const long = Array.from({ length: 30 }, (_, k) => [point(`${'Unique'.repeat(1)}${k} ${`word${k}x `.repeat(40)}`, `m-${k}`)]);
      assert.ok(droppedPoints(long, []).reduce((n, p) => n + p.text.length, 0) <= DROPPED_BOUNDS.chars);
    });
    it('rollOver keeps each revision it replaced, oldest first (what the settle reads them from)', async () => {
      const sofar: SummarySoFar = { points: [], chunks: 0 };
      const revisions = [[survey], [survey, chips], [chips]];
      let k = 0;
      await rollOver([0, 1, 2].map((index) => ({ index, lines: [{ segmentId: `m-${index}`, speaker: 'Ana', t0: index, text: 'x' }] })), sofar, {
        ask: async () => ({ points: revisions[k++], model: 'm', tokens: 1 }), mayAsk: () => true, revised: () => undefined,
      });
      assert.deepEqual(sofar.earlier, [[survey], [survey, chips]]);
      assert.deepEqual(droppedPoints(sofar.earlier!, sofar.points), [survey]);
    });
  });

  describe('the prompt', () => {
    it('v9 carries v8\'s rules, its own, its bound and the dropped points, whose lines it may cite', () => {
      const dropped = [point('The Industrial Designer prefers the advanced chip.', 'm-9')];
      const v9 = settleMessages(meeting, previous, outcomes, 9, { dropped, chunks: 8 });
      for (const line of [...SETTLE_RULES_V8, ...SETTLE_RULES_V9]) assert.ok(v9.user.includes(line), line);
      assert.match(v9.user, /Points the summary dropped while the meeting ran \(JSON, the newest first\):\n\{"points":\[\{"text":"The Industrial Designer prefers the advanced chip.","cites":\["m-9"\]\}\]\}/);
      assert.match(v9.user, new RegExp(`may have up to ${settledPointsFor(9, 8)} points`));
      assert.ok(settleCitableIds(previous, outcomes, dropped).includes('m-9'));
      assert.ok(!settleCitableIds(previous, outcomes).includes('m-9'));
    });
    it('v7\'s and v8\'s settles are the prompts their answers were recorded for (sha256 as before v9), with no dropped points', () => {
      assert.equal(sha(settleMessages(meeting, previous, outcomes)), 'a54d7064a589343713abf416cf5410ee5f64081fc3ddc0681ede4130a74a9aa9');
      assert.equal(sha(settleMessages(meeting, previous, outcomes, 8)), 'df176d8da7fcbdafcfa2164d7b5cddb7c3c52b14cf83e0161ad062bb5f14a292');
      assert.ok(!SETTLE_RULES_V9.some((line) => settleMessages(meeting, previous, outcomes, 8).user.includes(line)));
      assert.equal(settleMessages(meeting, previous, outcomes, 9).system, settleMessages(meeting, previous, outcomes, 8).system, 'one system message: the rolling answers replay');
    });
  });

  describe('the budget', () => {
    it('v9\'s grows with the meeting\'s chunks past the fourth, up to 20; v7\'s and v8\'s stay 15', () => {
      assert.deepEqual([1, 4, 5, 8, 9, 30].map((c) => settledPointsFor(9, c)), [15, 15, 16, 19, 20, 20]);
      assert.deepEqual([1, 8, 30].map((c) => settledPointsFor(8, c)), [SUMMARY_BOUNDS.settledPoints, SUMMARY_BOUNDS.settledPoints, SUMMARY_BOUNDS.settledPoints]);
    });
    it('a settle of v9 keeps the points its bound allows where v8\'s keeps 15, and its grammar is told the bound', async () => {
      const eighteen = { points: Array.from({ length: 18 }, (_, k) => ({ text: `Point ${k + 1}.`, cites: ['m-1'] })) };
      const bounds: number[] = [];
      const chat: Chat = async (_s, _u, _signal, constraint) => {
        bounds.push((constraint as SummaryConstraint).summary.maxPoints);
        return { text: JSON.stringify(eighteen), model: 'm' };
      };
      const v9 = await settleSummary(chat, meeting, previous, outcomes, new AbortController().signal, { notesPrompt: 9, extras: { dropped: [], chunks: 8 } });
      const v8 = await settleSummary(chat, meeting, previous, outcomes, new AbortController().signal, { notesPrompt: 8 });
      assert.deepEqual([v9.points!.length, v8.points!.length], [18, 15]);
      assert.deepEqual(bounds, [19, 15]);
    });
  });

  it('`earshot notes`\' path settles with v9 only where asked, reading the points its rolling summary dropped', async () => {
    const lines = ['The case is plastic.', 'Marketing surveyed users.', 'Paging by beep.', 'Ben costs it.', 'Fine.', 'Done.'].map((text, k) => ({ segmentId: `m-${k + 1}`, speaker: k % 2 ? 'Ben' : 'Ana', t0: k * 60, text }));
    const run = async (settleVersion?: 9) => {
      const settles: string[] = [];
      let revision = 0;
      const chat: Chat = async (system, user) => {
        if (!system.startsWith('You keep the summary')) return { text: JSON.stringify({ actionItems: [], decisions: [] }), model: 'm' };
        if (/^The meeting has ended/m.test(user)) {
          settles.push(user);
          return { text: JSON.stringify({ points: [{ text: 'Settled.', cites: ['m-1'] }] }), model: 'm' };
        }
        // Each revision says something else: every earlier one is dropped by the next.
        revision++;
        const id = /^\[([\w-]+)\]/m.exec(user)![1];
        return { text: JSON.stringify({ points: [{ text: `Revision${revision} topic${revision} alpha${revision} bravo${revision}.`, cites: [id] }] }), model: 'm' };
      };
      await extractTranscriptWithModel(lines, { actionItems: [], decisions: [], openQuestions: [] }, new Date('2030-01-01T09:00:00Z'),
        { provider: 'openai-compatible', endpoint: 'http://127.0.0.1:1', chunkChars: 60 }, () => undefined, undefined, chat, { report: () => undefined },
        { carryNotes: true, ...(settleVersion ? { settleVersion } : {}) });
      return { settles, revisions: revision };
    };
    const v9 = await run(9);
    assert.equal(v9.settles.length, 1);
    assert.ok(v9.revisions >= 2);
    assert.ok(SETTLE_RULES_V9.every((line) => v9.settles[0].includes(line)));
    assert.match(v9.settles[0], new RegExp(`dropped while the meeting ran[^\\n]*\\n[^\\n]*Revision${v9.revisions - 1} topic`));
    const v8 = await run();
    assert.ok(!/dropped while the meeting ran/.test(v8.settles[0]) && SETTLE_RULES_V8.every((line) => v8.settles[0].includes(line)));
  });
});
