import * as assert from 'node:assert/strict';
import { NotedEntry } from '../../daemon/understanding/carriedNotes';
import { finalEntries, PROCEDURE_REASON, reduceChunks } from '../../daemon/understanding/chunkMerge';
import { ModelChunk } from '../../daemon/understanding/modelExtract';
import {
  DECISION_CHECK_BOUNDS, decisionMessages, decisionQuestions, parseProcedure, PROCEDURE_CHECK_BOUNDS, PROCEDURE_CHECK_HEADING, PROCEDURE_PROMPT_DEFAULT,
  procedureAtStop, procedureMessages, procedureQuestions,
} from '../../daemon/understanding/procedureCheck';
import { procedureAnswerSchema } from '../../daemon/understanding/local/schema';
import { Chat } from '../../daemon/understanding/providers';
import { SentChunks } from '../../daemon/session/sentChunks';
import { linesSaid, notesWithCheck, partAnswerOf } from '../support/checks-at-stop';
import { ChunkExtraction, CHECK_PROCEDURE_DEFAULT, checksProcedure } from '../../protocol/protocol';
import { validateEnhancement } from '../../protocol/validate';

const decision = (id: string, text: string, at: number, standing: NotedEntry['standing'] = 'decided'): NotedEntry =>
  ({ id, kind: 'decision', text, standing, firstT0: at, lastT0: at, segments: [`m-${at}`] });
const ENTRIES: NotedEntry[] = [
  decision('D2', 'Amendment 2E is not agreed', 600),
  decision('D1', 'The committee resolves under Standing Order 17.42 to meet in private for the remainder of the meeting', 4000),
  decision('d1', 'Papers to note 1 to 3 are noted', 120, 'given'),
  { id: 'A1', kind: 'actionItem', text: 'Write to the minister', owner: null, firstT0: 300, lastT0: 300, segments: ['m-300'] },
];

describe('the procedure check at stop (issue 56: decisions precision)', () => {
  describe('what it asks (prompt v1: the decisions alone; its recorded answers replay with it)', () => {
    it('shows the decisions alone, in meeting order, with id, standing and time, under its heading', () => {
      const { asked, left } = procedureQuestions(ENTRIES);
      assert.deepEqual([asked.map((e) => e.id), left], [['d1', 'D2', 'D1'], 0]);
      const { system, user } = procedureMessages(asked);
      assert.match(system, /only the running of the meeting itself/);
      assert.match(system, /When unsure, keep it/);
      assert.ok(user.startsWith(PROCEDURE_CHECK_HEADING));
      assert.match(user, /\{"id":"d1","standing":"given","text":"Papers to note 1 to 3 are noted","said":"02:00"\}\n\{"id":"D2"/);
      assert.ok(!user.includes('Write to the minister'), 'action items are not shown');
    });

    it('keeps within the bounds, the earliest decisions first (each is judged alone: the rest stand)', () => {
      const many = Array.from({ length: PROCEDURE_CHECK_BOUNDS.maxDecisions + 7 }, (_, k) => decision(`D${k + 1}`, `Decision ${k + 1}`, k));
      const { asked, left } = procedureQuestions(many);
      assert.deepEqual([asked.length, left, asked[0].id], [PROCEDURE_CHECK_BOUNDS.maxDecisions, 7, 'D1']);
      const long = Array.from({ length: 30 }, (_, k) => decision(`D${k + 1}`, 'x'.repeat(1000), k));
      const fit = procedureQuestions(long);
      assert.ok(procedureMessages(fit.asked).user.length <= PROCEDURE_CHECK_BOUNDS.chars + 200);
      assert.equal(fit.asked.length + fit.left, 30);
      assert.ok(fit.left > 0);
    });
  });

  describe('what it asks (prompt v2, the daemon\'s: each decision with its lines)', () => {
    const said = ['Papers to note: are they noted?', 'Noted.', 'Amendment 2E?', 'Not agreed.', 'Let us go into private session.', 'Agreed.'];
    const lines = said.map((text, k) => ({ segmentId: `m-${(k + 1) * 100}`, speaker: k % 2 ? 'Member' : 'Chair', t0: (k + 1) * 100, text }));
    const cited = (id: string, text: string, segment: number, standing: NotedEntry['standing'] = 'decided'): NotedEntry =>
      ({ id, kind: 'decision', text, standing, firstT0: segment, lastT0: segment, segments: [`m-${segment}`] });
    const entries = [cited('D2', 'Amendment 2E is not agreed', 400), cited('D1', 'The committee meets in private', 500), cited('d1', 'Papers to note are noted', 200, 'given'),
      { id: 'A1', kind: 'actionItem' as const, text: 'Write to the minister', owner: null, firstT0: 300, lastT0: 300, segments: ['m-300'] }];

    it('shows each decision in meeting order with its standing, its lines marked and two around them, and the speakers', () => {
      const { asked, texts, left } = decisionQuestions(entries, lines);
      assert.deepEqual([asked.map((e) => e.id), left], [['d1', 'D2', 'D1'], 0]);
      const { system, user } = decisionMessages(texts, lines);
      assert.match(system, /one person's own plan, task or report/);
      assert.match(system, /a plan, aim or schedule it agreed on/);
      assert.match(system, /When unsure, keep it/);
      assert.match(system, /"notDecisions"/);
      assert.ok(user.startsWith(PROCEDURE_CHECK_HEADING));
      assert.match(user, /The meeting's speakers: Chair; Member/);
      assert.match(user, /Decision d1 \(given\): "Papers to note are noted" \(said at 03:20\)\n {2}\[m-100\] Chair: Papers to note: are they noted\?\n> \[m-200\] Member: Noted\./);
      assert.ok(!user.includes('Write to the minister'), 'action items are not shown');
    });

    it('prompt v3 (a candidate) asks the same decisions with the same lines, naming one team\'s plan and a forecast as well', async () => {
      const { texts } = decisionQuestions(entries, lines);
      const [v2, v3] = [decisionMessages(texts, lines, 2), decisionMessages(texts, lines, 3)];
      assert.equal(v3.user, v2.user);
      assert.match(v3.system, /one team's plan, task or announcement that the group did not take up as its own/);
      assert.match(v3.system, /an expectation or forecast of what will probably happen/);
      assert.ok(!v2.system.includes('one team\'s plan'));
      // v3 is v2 with its two kinds inserted before the rest of v2's words.
      const [head, tail] = v2.system.split('\n\nKeep every other decision');
      assert.ok(v3.system.startsWith(head) && v3.system.endsWith(`Keep every other decision${tail}`));
      const seen: string[] = [];
      const chat: Chat = async (system, _u, _sig, constraint) => {
        seen.push(system);
        assert.deepEqual(constraint, { procedure: { decisionIds: ['d1', 'D2', 'D1'], key: 'notDecisions' } });
        return { text: '{"notDecisions": ["D1"]}', model: 'm' };
      };
      const check = await procedureAtStop(chat, entries, lines, new AbortController().signal, { prompt: 3 });
      assert.deepEqual([check.dropped, seen], [['D1'], [v3.system]]);
    });

    it('keeps within its bounds, the earliest first; a decision citing no line of the meeting is not asked about', async () => {
      const many = Array.from({ length: DECISION_CHECK_BOUNDS.maxEntries + 4 }, (_, k) => cited(`D${k + 1}`, `Decision ${k + 1}`, 100 * ((k % 6) + 1)));
      const { asked, left } = decisionQuestions(many, lines);
      assert.deepEqual([asked.length, left], [DECISION_CHECK_BOUNDS.maxEntries, 4]);
      assert.equal(decisionQuestions([cited('D1', 'Elsewhere', 9999)], lines).asked.length, 0);
      let calls = 0;
      const chat: Chat = async (_s, _u, _sig, constraint) => {
        calls++;
        assert.deepEqual(constraint, { procedure: { decisionIds: ['d1', 'D2', 'D1'], key: 'notDecisions' } });
        return { text: '{"notDecisions": ["D1"]}', model: 'm' };
      };
      const check = await procedureAtStop(chat, entries, lines, new AbortController().signal);
      assert.deepEqual([calls, check.dropped], [1, ['D1']]);
      assert.deepEqual((await procedureAtStop(chat, entries, [], new AbortController().signal)).reason, 'no decision cites a line of the meeting', 'no lines: nothing to show a decision with');
    });
  });

  describe('its answer', () => {
    const { asked } = procedureQuestions(ENTRIES);

    it('takes the ids of decisions asked about, under the prompt\'s key (v1 `procedure`, v2 `notDecisions`)', () => {
      const refused: string[] = [];
      assert.deepEqual(parseProcedure('{"procedure": ["D1", "d1"]}', asked, refused, 1), ['D1', 'd1']);
      assert.deepEqual(refused, []);
      assert.deepEqual(parseProcedure('```json\n{"procedure": []}\n```', asked, [], 1), []);
      assert.deepEqual(parseProcedure('{"notDecisions": ["D1"]}', asked, [], 2), ['D1']);
      assert.equal(parseProcedure('{"procedure": ["D1"]}', asked, [], 2), null, 'v2 reads its own key alone');
    });

    it('refuses an id not asked about (an action item\'s, an unknown one) and one named twice; keeps the rest', () => {
      const refused: string[] = [];
      assert.deepEqual(parseProcedure('{"notDecisions": ["A1", "D9", "D1", "D1", {"id": "d1"}]}', asked, refused), ['D1']);
      assert.equal(refused.length, 4, refused.join('; '));
      assert.match(refused.join('\n'), /no decision asked about has that id/);
      assert.match(refused.join('\n'), /named already/);
    });

    it('is null when no list can be read (the decisions stand)', () => {
      assert.equal(parseProcedure('D1 is procedure.', asked), null);
      assert.equal(parseProcedure('{"drop": ["D1"]}', asked), null);
      assert.equal(parseProcedure('{"drop": ["D1"]}', asked, [], 1), null);
    });

    it("a local model's grammar names only the decisions asked about, no more ids than were asked (a repeat is parseProcedure's to refuse)", () => {
      // node-llama-cpp's GbnfJsonSchema: an array's `items` enum and `maxItems` (dist/utils/gbnfJson/types.d.ts).
      const schema = procedureAnswerSchema({ decisionIds: ['d1', 'D2'] }) as { properties: { procedure: { items: { enum: string[] }; maxItems: number } } };
      assert.deepEqual(schema.properties.procedure, { type: 'array', items: { enum: ['d1', 'D2'] }, maxItems: 2 });
      const v2 = procedureAnswerSchema({ decisionIds: ['d1'], key: 'notDecisions' }) as { properties: Record<string, unknown> };
      assert.deepEqual(Object.keys(v2.properties), ['notDecisions']);
    });
  });

  describe('the call', () => {
    const signal = new AbortController().signal;

    it('is not made when there is no decision', async () => {
      let calls = 0;
      const chat: Chat = async () => { calls++; return { text: '{"procedure": []}', model: 'm' }; };
      const check = await procedureAtStop(chat, [ENTRIES[3]], [], signal);
      assert.deepEqual([calls, check.dropped, check.reason], [0, null, 'no decision']);
    });

    it('answers the drops, the model and the tokens; a failed or slow call answers none and why', async () => {
      const chat: Chat = async (_s, _u, _sig, constraint) => {
        assert.deepEqual(constraint, { procedure: { decisionIds: ['d1', 'D2', 'D1'] } });
        return { text: '{"procedure": ["D1"]}', model: 'm' };
      };
      const check = await procedureAtStop(chat, ENTRIES, [], signal, { prompt: 1 });
      assert.deepEqual([check.dropped, check.model], [['D1'], 'm']);
      assert.ok(check.tokens > 0);
      const failing: Chat = async () => { throw Object.assign(new Error('no'), { status: 503 }); };
      assert.equal((await procedureAtStop(failing, ENTRIES, [], signal, { prompt: 1 })).dropped, null);
      const slow: Chat = (_s, _u, sig) => new Promise((_, reject) => sig.addEventListener('abort', () => reject(new Error('aborted'))));
      const timedOut = await procedureAtStop(slow, ENTRIES, [], signal, { timeoutMs: 20, prompt: 1 });
      assert.deepEqual([timedOut.dropped, timedOut.reason], [null, 'no answer within 0.02 s']);
    });

    it('says how many decisions did not fit its bounds (they stand unchecked); none when all fit', async () => {
      const many = Array.from({ length: PROCEDURE_CHECK_BOUNDS.maxDecisions + 3 }, (_, k) => decision(`D${k + 1}`, `Decision ${k + 1}`, k));
      const chat: Chat = async (_s, user) => ({ text: `{"procedure": [${user.includes('"id":"D103"') ? '"D103"' : ''}]}`, model: 'm' });
      const bounded = await procedureAtStop(chat, many, [], signal, { prompt: 1 });
      assert.deepEqual([bounded.dropped, bounded.unasked], [[], 3]);
      assert.equal((await procedureAtStop(chat, ENTRIES, [], signal, { prompt: 1 })).unasked, undefined);
    });
  });

  describe('the decisions it drops, in the merge', () => {
    const line = (k: number, text: string) => ({ segmentId: `m-${k}`, speaker: k % 2 ? 'Chair' : 'Member', t0: k * 60, text });
    const lines = ['Papers to note: are they noted? Yes.', 'Amendment 2E: not agreed.', 'We now resolve to meet in private.', 'Agreed.'].map((t, k) => line(k + 1, t));
    const chunks: ModelChunk[] = [
      { index: 0, lines: lines.slice(0, 2), items: [{ id: 'd1', kind: 'decision', text: 'Papers to note are noted', segmentId: 'm-1', owner: null }] },
      { index: 1, lines: lines.slice(1), items: [] },
    ];
    const answer = (more: Partial<ChunkExtraction>): ChunkExtraction => ({ actionItems: [], decisions: [], dismiss: [], rewrite: [], noted: [], ...more });
    const answers = [
      answer({ decisions: [{ text: 'Amendment 2E is not agreed', kind: 'decision', standing: 'decided', segments: ['m-2'] }], rewrite: [{ id: 'd1', text: 'Papers to note 1 to 3 are noted' }] }),
      answer({ decisions: [{ text: 'The committee meets in private for the rest of the meeting', kind: 'decision', standing: 'decided', segments: ['m-3'] }] }),
    ];

    it('drops a model decision and dismisses a rule decision (even one a part confirmed), undoable, with fixed words', () => {
      const before = reduceChunks(chunks, answers, true);
      assert.deepEqual([before.decisions.length, before.dismissals], [2, []]);
      const after = reduceChunks(chunks, answers, true, { procedure: ['D2', 'd1', 'A1', 'D9'] });
      assert.deepEqual(after.decisions.map((d) => d.text), ['Amendment 2E is not agreed']);
      assert.deepEqual(after.dismissals, [{ id: 'd1', kind: 'decision', reason: PROCEDURE_REASON }]);
      assert.equal(after.carried?.procedure, 2, 'ids that name no decision are passed over');
    });

    it('names decisions after the restatement check\'s folds, and the lists read after it leave the dropped out', () => {
      const folded = finalEntries(chunks, answers, { restated: [{ keep: 'D1', fold: ['D2'] }] });
      assert.deepEqual(folded.filter((e) => e.kind === 'decision').map((e) => e.id).sort(), ['D1', 'd1']);
      const after = finalEntries(chunks, answers, { procedure: ['D2'] });
      assert.deepEqual(after.filter((e) => e.kind === 'decision').map((e) => e.id).sort(), ['D1', 'd1']);
      const both = reduceChunks(chunks, answers, true, { restated: [{ keep: 'D1', fold: ['D2'] }], procedure: ['D1'] });
      assert.deepEqual(both.decisions, [], 'the kept entry of a fold, dropped, takes what was folded into it along');
      const ruleAlong = reduceChunks(chunks, answers, true, { restated: [{ keep: 'D2', fold: ['d1'] }], procedure: ['D2'] });
      assert.deepEqual(ruleAlong.dismissals, [{ id: 'd1', kind: 'decision', reason: PROCEDURE_REASON }], 'a rule item folded into it: dismissed for the same reason');
      const kept = reduceChunks(chunks, answers, true, { restated: [{ keep: 'D2', fold: ['d1'] }] });
      assert.deepEqual(kept.dismissals, [{ id: 'd1', kind: 'decision', reason: 'the same as "The committee meets in private for the rest of the meeting"' }]);
    });

    it('holds in a live meeting only while the answers it was asked over stand (SentChunks)', () => {
      const s = new SentChunks(true);
      s.add(chunks, answers, []);
      s.procedureChecked(['D2']);
      assert.deepEqual(s.reduced().decisions.map((d) => d.text), ['Amendment 2E is not agreed']);
      assert.ok(!s.finalEntries().some((e) => e.id === 'D2'), 'the owner check after it reads the lists without it');
      s.ownersChecked([], []);
      assert.equal(s.reduced().decisions.length, 1, 'the owner check after it keeps the drops');
      s.renamed({ from: 'Chair', to: 'Dana', mentions: false, shared: false });
      assert.equal(s.reduced().decisions.length, 1, 'a voice renamed after it keeps the drops');
      s.add([{ ...chunks[1], index: 2 }], [answer({})], []);
      assert.equal(s.reduced().decisions.length, 2, 'asked over other answers: not applied');
    });
  });

  describe('earshot notes (the same code as at a stop)', () => {
    const lines = linesSaid(['Item one: papers to note. Noted.', 'The bill: amendment 2E, not agreed.', 'Right.'], ['Chair', 'Member']);
    const partAnswer = partAnswerOf({ decisions: [
      { text: 'Papers to note are noted', kind: 'decision', standing: 'decided', segments: ['l-1'] },
      { text: 'Amendment 2E is not agreed', kind: 'decision', standing: 'decided', segments: ['l-2'] },
    ] });
    const run = (check: (user: string) => string | Error, checkProcedure = true) => notesWithCheck(lines, partAnswer, PROCEDURE_CHECK_HEADING, check, { checkProcedure });

    it('drops what the check names before the lists are printed, and counts it', async () => {
      const { result, asked } = await run(() => '{"notDecisions": ["D1"]}');
      assert.equal(asked.length, 1);
      assert.match(asked[0], /Decision D1 \(decided\): "Papers to note are noted"/);
      assert.match(asked[0], /> \[l-1\] Chair: Item one: papers to note\. Noted\./, 'with the lines it was noted from');
      assert.deepEqual(result.decisions.map((d) => d.text), ['Amendment 2E is not agreed']);
      assert.deepEqual(result.procedureCheck, { dropped: 1 });
    });

    it('a failed or unreadable check leaves every decision, and says why', async () => {
      const failed = await run(() => Object.assign(new Error('server said no'), { status: 500 }));
      assert.equal(failed.result.decisions.length, 2);
      assert.ok(failed.result.procedureCheck && 'unchecked' in failed.result.procedureCheck && failed.result.procedureCheck.unchecked.length > 0);
      const unreadable = await run(() => 'D1 looks procedural');
      assert.deepEqual([unreadable.result.decisions.length, unreadable.result.procedureCheck], [2, { unchecked: 'invalid answer' }]);
    });

    it('is asked by default with carried notes (prompt v2), not when turned off or without carried notes', async () => {
      const { result, asked } = await run(() => '{"notDecisions": ["D1"]}', false);
      assert.deepEqual([asked.length, result.decisions.length, result.procedureCheck], [0, 2, undefined]);
      assert.equal(CHECK_PROCEDURE_DEFAULT, true);
      assert.equal(PROCEDURE_PROMPT_DEFAULT, 2);
      assert.equal(checksProcedure({ provider: 'local' }), true);
      assert.equal(checksProcedure({ provider: 'local', carryNotes: false }), false);
      assert.equal(checksProcedure({ provider: 'local', checkProcedure: false }), false);
      assert.equal(checksProcedure({ provider: 'local', checkProcedure: true, carryNotes: false }), false);
      assert.equal(checksProcedure({ provider: 'local', checkProcedure: true }), true);
      assert.deepEqual(validateEnhancement({ provider: 'local', checkProcedure: true }).checkProcedure, true);
      assert.throws(() => validateEnhancement({ provider: 'local', checkProcedure: 'yes' }), /checkProcedure/);
    });
  });
});
