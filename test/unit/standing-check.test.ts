/**
 * The standing check of the settled summary (issue 56: "no contradiction of a decision's standing";
 * daemon/understanding/standingCheck.ts): what it asks, what of its answer it takes, and that the settle at stop, the
 * service's settler and `earshot notes` ask it as the settings say and keep the settled summary when it fails.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  applyStandingFixes, checkSummaryStandings, parseStandingFixes, STANDING_CHECK_BOUNDS, STANDING_CHECK_HEADING, STANDING_CHECK_SYSTEM_START, standingMessages,
} from '../../daemon/understanding/standingCheck';
import { FinalOutcomes, SUMMARY_BOUNDS, SummaryPoint } from '../../daemon/understanding/modelSummary';
import { settleAnyVersion } from '../../daemon/understanding/summaryFromParts';
import { answerTokensFor, AnswerConstraint, Chat, timeLimitFor } from '../../daemon/understanding/providers';
import { standingAnswerSchema } from '../../daemon/understanding/local/schema';
import { CONTROL_OR_BIDI } from '../../protocol/plainText';
import { CHECK_STANDINGS_DEFAULT, checksStandings } from '../../protocol/protocol';
import { validateEnhancement } from '../../protocol/validate';
import { extractTranscriptWithModel } from '../../daemon/understanding/modelTranscript';
import { linesSaid, partAnswerOf } from '../support/checks-at-stop';
import { JournalRecord, SummaryRecord } from '../../daemon/journal/journal';
import { Answer, finishedMeeting, segment, serviceRunner } from './live-extraction-harness';

const OUTCOMES: FinalOutcomes = {
  decisions: [
    { text: 'The logo goes at the top, in the right corner', kind: 'decision', standing: 'decided', segmentId: 'l-40' },
    { text: 'Whether to add a docking station', kind: 'decision', standing: 'open', segmentId: 'l-12' },
    { text: 'The case is made of rubber', kind: 'decision', standing: 'given', segmentId: 'l-7',
      standingHistory: [{ standing: 'open', t0: 60, segmentId: 'l-3' }, { standing: 'given', t0: 420, segmentId: 'l-7' }] },
  ],
  actionItems: [{ text: 'Send the costs', owner: 'Ana', due: null, segmentId: 'l-50' }],
};
const POINTS: SummaryPoint[] = [
  { text: 'A design meeting on the remote control; it ended with the logo placed.', segmentIds: ['l-1', 'l-60'] },
  { text: 'Marketing preferred the logo alone; right corner or middle was left open.', segmentIds: ['l-30', 'l-31'] },
  { text: 'The group agreed to add a docking station.', segmentIds: ['l-12'] },
];
const FIX_ANSWER = JSON.stringify({ fixes: [
  { point: 2, decision: 'D1', text: 'Marketing preferred the logo alone; it was decided to put it at the top, in the right corner.' },
  { point: 3, decision: 'D2', text: 'Whether to add a docking station was left open.' },
] });
const signal = new AbortController().signal;

/** A chat answering the standing check with `answer` (an Error: the call fails) and counting its calls and constraints. */
function standingChat(answer: string | Error | 'never') {
  const asked: { system: string; user: string; constraint?: AnswerConstraint }[] = [];
  const chat: Chat = async (system, user, callSignal, constraint) => {
    asked.push({ system, user, constraint });
    if (answer instanceof Error) throw answer;
    // 'never': no answer comes; the call ends when its signal does, as a provider's request does.
    if (answer === 'never') return new Promise((_, reject) => callSignal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
    return { text: answer, model: 'm' };
  };
  return { chat, asked };
}

describe('the standing check of the settled summary (issue 56: no contradiction of a decision\'s standing)', () => {
  describe('what it asks', () => {
    it('shows the final decisions under ids with their standings and histories as the settle read them, then the points numbered', () => {
      const { system, user } = standingMessages(POINTS, OUTCOMES);
      assert.ok(system.startsWith(STANDING_CHECK_SYSTEM_START));
      assert.match(system, /calls\nsuggested, proposed, considered, preferred, discussed, deferred, still to be checked or left open what the list gives as\ndecided/);
      assert.match(system, /When unsure,\nleave the point out/);
      assert.match(system, new RegExp(`at most ${SUMMARY_BOUNDS.text} characters`));
      assert.ok(user.startsWith(`${STANDING_CHECK_HEADING}\n`));
      assert.match(user, /^D1 \[l-40\] decided: The logo goes at the top, in the right corner$/m);
      assert.match(user, /^D2 \[l-12\] left open: Whether to add a docking station$/m);
      assert.match(user, /^D3 \[l-7\] given to the team \(a requirement from outside\): The case is made of rubber \(left open at 01:00, given to the team at 07:00: the last word stands\)$/m);
      assert.match(user, /The settled summary \(its points numbered\):\n1\. A design meeting.*\n2\. Marketing preferred.*\n3\. The group agreed to add a docking station\.\n$/);
      assert.ok(!user.includes('Send the costs'), 'action items are not shown: the check is about decisions');
    });

    it('shows at most its bound of decisions, the lists\' first', () => {
      const many: FinalOutcomes = { actionItems: [], decisions: Array.from({ length: STANDING_CHECK_BOUNDS.maxDecisions + 5 }, (_, k) => ({ text: `Decision ${k + 1}`, kind: 'decision' as const, segmentId: `l-${k}` })) };
      const { user } = standingMessages(POINTS, many);
      assert.match(user, new RegExp(`^D${STANDING_CHECK_BOUNDS.maxDecisions} `, 'm'));
      assert.doesNotMatch(user, new RegExp(`^D${STANDING_CHECK_BOUNDS.maxDecisions + 1} `, 'm'));
    });

    it('its answer is capped as a settle of as many points, its time limit grown alike; the local grammar names only points and decisions shown', () => {
      const constraint = { standings: { points: 3, decisions: 2 } };
      assert.equal(answerTokensFor(constraint), answerTokensFor({ summary: { segmentIds: [], maxPoints: 3 } }));
      assert.equal(timeLimitFor(20_000, { standings: { points: 20, decisions: 2 } }), timeLimitFor(20_000, { summary: { segmentIds: [], maxPoints: 20 } }));
      assert.deepEqual(standingAnswerSchema(constraint.standings), { type: 'object', properties: { fixes: { type: 'array', maxItems: 3, items: { type: 'object', properties: {
        point: { enum: [1, 2, 3] }, decision: { enum: ['D1', 'D2'] }, text: { type: 'string', maxLength: SUMMARY_BOUNDS.textMax },
      } } } } });
    });
  });

  describe('what it takes of the answer', () => {
    it('each fix names a point once and a listed decision, with plain words within the points\' bound; anything else is refused, never its words said', () => {
      const refused: string[] = [];
      const long = `${'word '.repeat(100)}end`;
      const fixes = parseStandingFixes(JSON.stringify({ fixes: [
        { point: 2, decision: 'D1', text: 'Decided: \u001b[31mright corner\u202e.' },
        { point: '3', decision: 'd2', text: long },
        { point: 2, decision: 'D1', text: 'again' },
        { point: 4, decision: 'D1', text: 'no such point' },
        { point: 1, decision: 'D9', text: 'no such decision' },
        { point: 1, decision: 'D1', text: '   ' },
        'not an object',
      ] }), 3, 2, refused);
      assert.deepEqual(fixes!.map((f) => [f.point, f.decision]), [[2, 1], [3, 2]]);
      assert.doesNotMatch(fixes![0].text, CONTROL_OR_BIDI);
      assert.equal(fixes![0].text, 'Decided: [31mright corner.');
      assert.ok(fixes![1].text.length <= SUMMARY_BOUNDS.textMax && fixes![1].text.endsWith('\u2026'), fixes![1].text);
      assert.deepEqual(refused, ['fix 3: point 2 was written again already', 'fix 4: no point 4', 'fix 5: no listed decision', 'fix 6: no text', 'fix 7: no point undefined']);
      assert.equal(parseStandingFixes('{"same": []}', 3, 2), null);
      assert.equal(parseStandingFixes('no JSON', 3, 2), null);
      assert.deepEqual(parseStandingFixes('{"fixes": []}', 3, 2), []);
    });

    it('a fixed point takes its new words, keeps its cites and gains its decision\'s line (within the cites\' bound); the others stay as they were', () => {
      const fixed = applyStandingFixes(POINTS, parseStandingFixes(FIX_ANSWER, 3, 3)!, OUTCOMES);
      assert.deepEqual(fixed, [
        POINTS[0],
        { text: 'Marketing preferred the logo alone; it was decided to put it at the top, in the right corner.', segmentIds: ['l-30', 'l-31', 'l-40'] },
        { text: 'Whether to add a docking station was left open.', segmentIds: ['l-12'] },
      ]);
      const full = [{ text: 'x', segmentIds: Array.from({ length: SUMMARY_BOUNDS.citations }, (_, k) => `l-${100 + k}`) }];
      assert.deepEqual(applyStandingFixes(full, [{ point: 1, decision: 1, text: 'y' }], OUTCOMES), [{ text: 'y', segmentIds: full[0].segmentIds }]);
    });
  });

  describe('the call', () => {
    it('one call with its constraint; the summary as the fixes leave it, with the tokens spent', async () => {
      const { chat, asked } = standingChat(FIX_ANSWER);
      const checked = await checkSummaryStandings(chat, POINTS, OUTCOMES, signal);
      assert.equal(asked.length, 1);
      assert.deepEqual(asked[0].constraint, { standings: { points: 3, decisions: 3 } });
      assert.deepEqual([checked.fixed, checked.points!.map((p) => p.text.slice(0, 24)), checked.model], [2, ['A design meeting on the ', 'Marketing preferred the ', 'Whether to add a docking'], 'm']);
      assert.ok(checked.tokens > 0);
    });

    it('asks nothing without a decision or a point; a failed, invalid or timed-out call keeps the settled summary and says why', async () => {
      const none = standingChat(FIX_ANSWER);
      assert.deepEqual(await checkSummaryStandings(none.chat, POINTS, { decisions: [], actionItems: OUTCOMES.actionItems }, signal), { points: null, fixed: 0, model: undefined, tokens: 0, reason: 'no decision' });
      assert.equal((await checkSummaryStandings(none.chat, [], OUTCOMES, signal)).reason, 'no summary');
      assert.equal(none.asked.length, 0);
      const failing = await checkSummaryStandings(standingChat(Object.assign(new Error('down'), { code: 'ECONNREFUSED' })).chat, POINTS, OUTCOMES, signal);
      assert.equal(failing.points, null);
      assert.ok(failing.reason, 'a reason in fixed words');
      const invalid = standingChat('{"points": []}');
      assert.deepEqual([(await checkSummaryStandings(invalid.chat, POINTS, OUTCOMES, signal)).reason, invalid.asked.length], ['invalid answer', 2]);
      const slow = standingChat('never');
      const timedOut = await checkSummaryStandings(slow.chat, POINTS, OUTCOMES, signal, { timeoutMs: 20 });
      assert.equal(timedOut.points, null);
      assert.match(timedOut.reason!, /^no answer within [\d.]+ s$/);
    });
  });

  describe('at stop', () => {
    const settledAnswer = JSON.stringify({ points: POINTS.map((p) => ({ text: p.text, cites: p.segmentIds })) });
    /** The settle answered with POINTS, the standing check with `standing`; each call's kind counted. */
    const stopChat = (standing: string | Error) => {
      const kinds: string[] = [];
      const chat: Chat = async (system) => {
        const kind = system.startsWith(STANDING_CHECK_SYSTEM_START) ? 'standings' : 'settle';
        kinds.push(kind);
        if (kind === 'standings' && standing instanceof Error) throw standing;
        return { text: kind === 'standings' ? standing as string : settledAnswer, model: 'm' };
      };
      return { chat, kinds };
    };
    const previous = POINTS.map((p) => ({ ...p, segmentIds: [...p.segmentIds] }));
    const meeting = { title: 'Design', date: '2030-01-01T09:00:00.000Z' };

    it('the settle then the check, with the check\'s call options; without them no check; a failed check keeps the settled points', async () => {
      const reports: string[] = [];
      const on = stopChat(FIX_ANSWER);
      const settled = await settleAnyVersion(on.chat, meeting, previous, OUTCOMES, signal, { notesPrompt: 9, standings: { report: (r) => reports.push(r.outcome) } });
      assert.deepEqual(on.kinds, ['settle', 'standings']);
      assert.deepEqual(reports, ['applied'], 'the check reports through its own options');
      assert.equal(settled.points![2].text, 'Whether to add a docking station was left open.');
      const off = stopChat(FIX_ANSWER);
      assert.equal((await settleAnyVersion(off.chat, meeting, previous, OUTCOMES, signal, { notesPrompt: 9 })).points![2].text, POINTS[2].text);
      assert.deepEqual(off.kinds, ['settle']);
      const failing = stopChat(new Error('down'));
      const kept = await settleAnyVersion(failing.chat, meeting, previous, OUTCOMES, signal, { notesPrompt: 9, standings: {} });
      assert.deepEqual([failing.kinds, kept.points!.map((p) => p.text)], [['settle', 'standings'], POINTS.map((p) => p.text)]);
    });

    it('`earshot notes`\' extraction asks it as told, after the settle, and prints the points it fixed', async () => {
      const lines = linesSaid(['The logo goes top right, agreed.', 'Yes, top right.', 'Docking station? Let us see.', 'Later.'], ['Ana', 'Ben']);
      const part = partAnswerOf({ decisions: [{ text: 'The logo goes at the top, in the right corner', kind: 'decision', standing: 'decided', segments: ['l-1'] }] });
      const run = async (checkStandings: boolean) => {
        const kinds: string[] = [];
        const chat: Chat = async (system, user) => {
          if (system.startsWith(STANDING_CHECK_SYSTEM_START)) {
            kinds.push('standings');
            return { text: JSON.stringify({ fixes: [{ point: 1, decision: 'D1', text: 'The logo was decided: top right.' }] }), model: 'm' };
          }
          if (system.startsWith('You keep the summary')) {
            kinds.push(user.includes('The meeting has ended') ? 'settle' : 'summary');
            return { text: JSON.stringify({ points: [{ text: 'The logo place was left open.', cites: ['l-1'] }] }), model: 'm' };
          }
          if (/^You take notes on one part/.test(system)) return { text: JSON.stringify({ points: [{ text: 'Logo talk', cites: ['l-1'] }] }), model: 'm' };
          kinds.push('other');
          return { text: /Part \d+ of/.test(user) ? part : '{"notDecisions": [], "same": [], "owners": []}', model: 'm' };
        };
        const result = await extractTranscriptWithModel(lines, { actionItems: [], decisions: [], openQuestions: [] }, new Date('2030-01-01T09:00:00Z'),
          { provider: 'openai-compatible', endpoint: 'http://127.0.0.1:1' }, () => undefined, undefined, chat, { report: () => undefined },
          { carryNotes: true, settleVersion: 11, checkStandings });
        return { result, kinds };
      };
      const on = await run(true);
      assert.deepEqual(on.kinds.slice(-2), ['settle', 'standings']);
      assert.deepEqual(on.result.summary.map((p) => [p.text, p.segmentIds]), [['The logo was decided: top right.', ['l-1']]]);
      const off = await run(false);
      assert.ok(!off.kinds.includes('standings'));
      assert.deepEqual(off.result.summary.map((p) => p.text), ['The logo place was left open.']);
    });
  });

  describe('in the daemon (the service\'s real runner, a live meeting\'s stop; fake client)', () => {
    const LINES = Array.from({ length: 20 }, (_, k) => segment(k + 1));
    /** Part 2 notes the release as decided. */
    const noting: Answer = ({ user }) => (/Part 2 of/.test(user) ? { decisions: [{ text: 'The release ships on Friday', kind: 'decision', standing: 'decided', segments: ['m-10'] }] } : {});
    const settledSummary = (journal: JournalRecord[]) => journal.filter((r): r is SummaryRecord => r.type === 'summary').pop()!;

    it('asked once after the settle over its points and the final decisions; the summary journaled as it leaves it, settled', async () => {
      const fix = (user: string) => JSON.stringify({ fixes: [{ point: 1, decision: 'D1', text: /^D1 \[m-10\] decided: The release ships on Friday$/m.test(user) ? 'It was decided that the release ships on Friday.' : 'unexpected' }] });
      const { runner, settleAsked, standingsAsked } = serviceRunner(noting, { carryNotes: true, standings: fix });
      const h = await finishedMeeting(runner, LINES);
      assert.equal(settleAsked.length, 1);
      assert.equal(standingsAsked.length, 1);
      assert.ok(standingsAsked[0].at >= settleAsked[0].at, 'after the settle');
      assert.match(standingsAsked[0].user, /^1\. Settled: /m, 'the settled points, numbered');
      const summary = settledSummary(h.journal);
      assert.equal(summary.settled, true);
      assert.equal(summary.points[0].text, 'It was decided that the release ships on Friday.');
      assert.ok(summary.points[0].segmentIds.includes('m-10'), 'citing the decision\'s line');
      assert.ok(summary.points.slice(1).every((p) => p.text.startsWith('Settled: ')), 'the other points as the settle wrote them');
    });

    it('turned off: no call, the settled summary as the settle wrote it; a failed check keeps it too', async () => {
      for (const more of [{ checkStandings: false }, { standings: () => 'no JSON at all' }]) {
        const { runner, standingsAsked } = serviceRunner(noting, { carryNotes: true, ...more });
        const h = await finishedMeeting(runner, LINES);
        assert.equal(standingsAsked.length, 'checkStandings' in more ? 0 : 2, 'none, or an invalid answer asked once more');
        const summary = settledSummary(h.journal);
        assert.equal(summary.settled, true);
        assert.ok(summary.points.length > 0 && summary.points.every((p) => p.text.startsWith('Settled: ')), JSON.stringify(summary.points));
      }
    });
  });

  describe('the setting', () => {
    it('on by default (the protocol\'s, the extension\'s and `earshot notes`\' default), a boolean in the settings', () => {
      assert.equal(CHECK_STANDINGS_DEFAULT, true);
      assert.equal(checksStandings({ provider: 'local' }), CHECK_STANDINGS_DEFAULT);
      assert.equal(checksStandings({ provider: 'local', checkStandings: false }), false);
      assert.equal(checksStandings({ provider: 'local', carryNotes: false }), CHECK_STANDINGS_DEFAULT, 'the lists need not be carried');
      const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { default?: unknown }> }[] } };
      const setting = manifest.contributes.configuration.map((c) => c.properties['earshot.enhancement.checkStandings']).find(Boolean);
      assert.equal(setting?.default, CHECK_STANDINGS_DEFAULT);
      assert.deepEqual(validateEnhancement({ provider: 'local', checkStandings: false }, 'settings.enhancement').checkStandings, false);
      assert.throws(() => validateEnhancement({ provider: 'local', checkStandings: 'yes' }, 'settings.enhancement'), /checkStandings/);
    });
  });
});
