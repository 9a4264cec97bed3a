import * as assert from 'node:assert/strict';
import {
  FinalOutcomes, rollingPointsFor, rollSummary, settleMessages, settleSummary, SUMMARY_BOUNDS, SUMMARY_POINTS_V10, SUMMARY_PROMPT_DEFAULT, SUMMARY_RULES_V10,
  summaryMessages, SummaryPoint,
} from '../../daemon/understanding/modelSummary';
import { extractTranscriptWithModel } from '../../daemon/understanding/modelTranscript';
import { Chat, SummaryConstraint } from '../../daemon/understanding/providers';

// The rolling summary's prompt v10 (issue 56): each point keeps who, the specifics and the group's response, and the
// summary has room for more points. Selectable (the eval's --summary-version 10) until measured on held-out meetings;
// v7's prompt, whose answers every recorded run replays, is unchanged (its sha256 is pinned in settle-v9.test.ts).
const meeting = { title: 'Remote', date: '2030-01-01' };
const point = (text: string, ...segmentIds: string[]): SummaryPoint => ({ text, segmentIds });
const lines = [{ segmentId: 'm-1', speaker: 'Ana', t0: 0, text: 'We go with the plastic case, it is cheaper.' }, { segmentId: 'm-2', speaker: 'Ben', t0: 5, text: 'Agreed.' }];
const outcomes: FinalOutcomes = { decisions: [{ text: 'The case is plastic', kind: 'decision', standing: 'decided', segmentId: 'm-1' }], actionItems: [] };
const many = (n: number) => JSON.stringify({ points: Array.from({ length: n }, (_, k) => ({ text: `Point ${k + 1}.`, cites: ['m-1'] })) });

describe("the rolling summary's prompt v10 (issue 56)", () => {
  it('the default is still v7: 11 points, none of v10\'s rules', () => {
    assert.equal(SUMMARY_PROMPT_DEFAULT, 7);
    const v7 = summaryMessages(meeting, [], lines);
    assert.match(v7.system, new RegExp(`^Rules: 3 to ${SUMMARY_BOUNDS.points} points`, 'm'));
    assert.ok(!SUMMARY_RULES_V10.some((line) => v7.system.includes(line)));
    assert.equal(rollingPointsFor(), SUMMARY_BOUNDS.points);
  });

  it('v10 adds its rules and its bound to the system message; the user message is v7\'s', () => {
    const v7 = summaryMessages(meeting, [point('Plastic case.', 'm-1')], lines, 7);
    const v10 = summaryMessages(meeting, [point('Plastic case.', 'm-1')], lines, 10);
    assert.equal(v10.user, v7.user);
    for (const line of SUMMARY_RULES_V10) assert.ok(v10.system.includes(line), line);
    assert.match(v10.system, new RegExp(`^Rules: 3 to ${SUMMARY_POINTS_V10} points`, 'm'));
    // Nothing else of v7's system message changed: v10's is v7's with its bound and its rules.
    const back = v10.system.replace(`3 to ${SUMMARY_POINTS_V10} points`, `3 to ${SUMMARY_BOUNDS.points} points`).replace(`${SUMMARY_RULES_V10.join('\n')}\n`, '');
    assert.equal(back, v7.system);
  });

  it('a v10 revision keeps up to its bound, and the grammar is told it; v7 keeps 11', async () => {
    const bounds: number[] = [];
    const chat: Chat = async (_s, _u, _signal, constraint) => {
      bounds.push((constraint as SummaryConstraint).summary.maxPoints);
      return { text: many(SUMMARY_POINTS_V10 + 3), model: 'm' };
    };
    const v10 = await rollSummary(chat, meeting, [], lines, new AbortController().signal, { summaryPrompt: 10 });
    const v7 = await rollSummary(chat, meeting, [], lines, new AbortController().signal);
    assert.deepEqual([v10.points!.length, v7.points!.length], [SUMMARY_POINTS_V10, SUMMARY_BOUNDS.points]);
    assert.deepEqual(bounds, [SUMMARY_POINTS_V10, SUMMARY_BOUNDS.points]);
  });

  it('the settle of a v10 meeting shares its system message (a local model keeps it read once); its own message is unchanged', async () => {
    assert.equal(settleMessages(meeting, [], outcomes, 9, undefined, 10).system, summaryMessages(meeting, [], lines, 10).system);
    assert.equal(settleMessages(meeting, [], outcomes, 9, undefined, 10).user, settleMessages(meeting, [], outcomes, 9).user);
    const systems: string[] = [];
    const chat: Chat = async (system) => { systems.push(system); return { text: many(2), model: 'm' }; };
    await settleSummary(chat, meeting, [point('Plastic case.', 'm-1')], outcomes, new AbortController().signal, { notesPrompt: 9, summaryPrompt: 10 });
    assert.ok(SUMMARY_RULES_V10.every((line) => systems[0].includes(line)));
  });

  it("`earshot notes`' path asks every revision and the settle with v10 only where asked", async () => {
    const spoken = ['The case is plastic.', 'Marketing surveyed users.', 'Paging by beep.', 'Ben costs it.'].map((text, k) => ({ segmentId: `m-${k + 1}`, speaker: k % 2 ? 'Ben' : 'Ana', t0: k * 60, text }));
    const run = async (summaryPrompt?: 10) => {
      const systems: string[] = [];
      const chat: Chat = async (system, user) => {
        if (!system.startsWith('You keep the summary')) return { text: JSON.stringify({ actionItems: [], decisions: [] }), model: 'm' };
        systems.push(system);
        const id = /\[([\w-]+)\]/.exec(user.slice(user.indexOf('New lines:')))?.[1] ?? 'm-1';
        return { text: JSON.stringify({ points: [{ text: 'A point.', cites: [id] }] }), model: 'm' };
      };
      await extractTranscriptWithModel(spoken, { actionItems: [], decisions: [], openQuestions: [] }, new Date('2030-01-01T09:00:00Z'),
        { provider: 'openai-compatible', endpoint: 'http://127.0.0.1:1', chunkChars: 40 }, () => undefined, undefined, chat, { report: () => undefined },
        { carryNotes: true, settleVersion: 9, ...(summaryPrompt ? { summaryPrompt } : {}) });
      return systems;
    };
    const v10 = await run(10);
    assert.ok(v10.length >= 3, `revisions and a settle: ${v10.length}`);
    assert.ok(v10.every((s) => SUMMARY_RULES_V10.every((line) => s.includes(line))));
    const v7 = await run();
    assert.ok(v7.length >= 3 && v7.every((s) => !s.includes(SUMMARY_RULES_V10[0])));
  });
});
