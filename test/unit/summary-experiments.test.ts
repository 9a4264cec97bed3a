// The rolling summary prompt experiments of issue 56 (v11, v12): selectable in the eval alone, v7 stays the default.
import * as assert from 'node:assert/strict';
import {
  DETAIL_BOUNDS, parseDetails, rollOver, rollSummary, settleCitableIds, settleDetails, settleMessages, SETTLE_RULES_V11, summaryMessages, SummaryPoint, SummarySoFar,
} from '../../daemon/understanding/modelSummary';
import { Chat } from '../../daemon/understanding/providers';

// The rolling summary's prompt v11 (issue 56, an experiment the eval selects: summary-eval.js --summary-version 11): each
// revision also notes its new lines' details, and v9's settle reads every part's.
const meeting = { title: 'Remote', date: '2030-01-01' };
const point = (text: string, ...segmentIds: string[]): SummaryPoint => ({ text, segmentIds });
const lines = [{ segmentId: 'm-10', speaker: 'Ann', t0: 60, text: 'I want the case in yellow, the survey says so.' }, { segmentId: 'm-11', speaker: 'Ben', t0: 64, text: 'Fine by me.' }];
const noOutcomes = { decisions: [], actionItems: [] };

describe('the rolling summary prompt v11 (details part by part)', () => {
  it('v7 stays the default: its messages say nothing of details; v11 asks for them in its shape and rules', () => {
    const v7 = summaryMessages(meeting, [], lines);
    assert.doesNotMatch(v7.system, /details/);
    const v11 = summaryMessages(meeting, [], lines, 11);
    assert.match(v11.system, /"details": \[/);
    assert.match(v11.system, new RegExp(`up to ${DETAIL_BOUNDS.points} specifics of the new lines alone`));
    assert.equal(v11.user, v7.user, 'the user message is the same');
  });

  it('a detail cites the new lines only, at most DETAIL_BOUNDS.points kept; no details list is none', () => {
    const answer = JSON.stringify({
      points: [{ text: 'Overview.', cites: ['m-1'] }],
      details: [
        { text: 'Ann wants a yellow case, from the survey.', cites: ['m-10'] },
        { text: 'An earlier line only.', cites: ['m-1'] },
        { text: 'Ben agreed.', cites: ['[m-11]', 'm-1'] },
        { text: 'Third.', cites: ['m-10'] },
        { text: 'Fourth, past the bound.', cites: ['m-11'] },
      ],
    });
    const details = parseDetails(answer, new Set(['m-10', 'm-11']));
    assert.deepEqual(details, [point('Ann wants a yellow case, from the survey.', 'm-10'), point('Ben agreed.', 'm-11'), point('Third.', 'm-10')]);
    assert.deepEqual(parseDetails('{"points": []}', new Set(['m-10'])), []);
  });

  it('a v11 revision journals its details beside its points; rollOver keeps them part by part', async () => {
    const answers = [
      { points: [{ text: 'Overview one.', cites: ['m-10'] }], details: [{ text: 'Ann wants yellow.', cites: ['m-10'] }] },
      { points: [{ text: 'Overview two.', cites: ['m-20'] }], details: [] },
    ];
    let asked = 0;
    const chat: Chat = async () => ({ text: JSON.stringify(answers[asked++]), model: 'm' });
    const sofar: SummarySoFar = { points: [], chunks: 0 };
    const chunks = [{ index: 0, lines }, { index: 1, lines: [{ segmentId: 'm-20', speaker: 'Ann', t0: 90, text: 'Next.' }] }];
    await rollOver(chunks, sofar, {
      ask: (previous, chunk) => rollSummary(chat, meeting, previous, chunk.lines, new AbortController().signal, { summaryPrompt: 11 }),
      mayAsk: () => true,
      revised: () => undefined,
    });
    assert.deepEqual(sofar.details, [[point('Ann wants yellow.', 'm-10')], []]);
    assert.deepEqual(sofar.points, [point('Overview two.', 'm-20')]);
  });

  it('the settle reads each part\'s first details before any part\'s later ones, within its characters, in meeting order', () => {
    const long = (k: number, rank: number) => point(`${'x'.repeat(DETAIL_BOUNDS.settleChars / 8 - 10)} part ${k} detail ${rank}`, `m-${k}${rank}`);
    const parts = Array.from({ length: 5 }, (_, k) => [long(k, 0), long(k, 1), long(k, 2)]);
    const kept = settleDetails(parts);
    assert.ok(kept.reduce((n, d) => n + d.text.length, 0) <= DETAIL_BOUNDS.settleChars);
    assert.deepEqual(kept.map((d) => d.segmentIds[0]), ['m-00', 'm-01', 'm-10', 'm-11', 'm-20', 'm-30', 'm-40']);
  });

  it('v9\'s settle of a v11 meeting says the details and may cite their lines; of a v7 meeting, neither', () => {
    const details = [point('Ann wants yellow.', 'm-10')];
    const previous = [point('Overview.', 'm-1')];
    const v11 = settleMessages(meeting, previous, noOutcomes, 9, { dropped: [], chunks: 3, details }, 11);
    assert.ok(v11.user.includes(SETTLE_RULES_V11[0]));
    assert.match(v11.user, /Details noted part by part while the meeting ran \(JSON, in meeting order\):\n\{"points":\[\{"text":"Ann wants yellow\.","cites":\["m-10"\]\}\]\}/);
    assert.equal(v11.system, summaryMessages(meeting, [], lines, 11).system, 'the settle shares its meeting\'s system message');
    const v7 = settleMessages(meeting, previous, noOutcomes, 9, { dropped: [], chunks: 3, details }, 7);
    assert.doesNotMatch(v7.user, /Details noted/);
    assert.deepEqual(settleCitableIds(previous, noOutcomes, [], details), ['m-1', 'm-10']);
  });

  it('v12 (an experiment too) only rewrites the overview and keeps the agenda: its user message and every other rule are v7\'s', () => {
    const v7 = summaryMessages(meeting, [], lines);
    const v12 = summaryMessages(meeting, [], lines, 12);
    assert.equal(v12.user, v7.user);
    assert.match(v12.system, /how it opened and ran\n\(introductions, the agenda or procedure the chair set out/);
    assert.doesNotMatch(v12.system, /the agenda, technical trouble/);
    assert.match(v7.system, /the running of the meeting itself \(who speaks next, the agenda, technical trouble\)/);
    assert.doesNotMatch(v12.system, /details/);
    const tail = (system: string) => system.slice(system.indexOf('When the meeting has ended'));
    assert.equal(tail(v12.system), tail(v7.system), 'the settle\'s rules are the same');
  });
});
