/**
 * The language model's rolling summary (daemon/understanding/modelSummary.ts): the prompt, the strict check of an
 * answer's cites, the rolling call with a scripted chat, the local grammar's schema, and how the notes render it
 * (documents/summarySection.ts through markdown.ts) with and without a model.
 */
import * as assert from 'node:assert/strict';
import { JournalContents, JournalRecord } from '../../daemon/journal/journal';
import { renderNotes } from '../../daemon/documents/markdown';
import { NO_SUMMARY, PARTS_SHOWN_FROM, transcriptAnchor } from '../../daemon/documents/summarySection';
import { parsePreviousNotes } from '../../daemon/documents/previousNotes';
import { sessionExport } from '../../daemon/documents/export';
import { summaryOf } from '../../daemon/service/finalizeStored';
import {
  ANSWER_CUT, citableIds, finalOutcomes, parseSummaryAnswer, pointText, rollOver, rollSummary, settleAtStop, settleMessages, settleSummary, SummaryCallReport, summaryGroups,
  summaryMessages, SUMMARY_BOUNDS, SummaryPoint,
} from '../../daemon/understanding/modelSummary';
import { lineChars } from '../../daemon/understanding/modelExtract';
import { summaryAnswerSchema } from '../../daemon/understanding/local/schema';
import { SUMMARY_POINT_MAX_CITES } from '../../protocol/protocol';
import { Chat, timeLimitFor } from '../../daemon/understanding/providers';

const meeting = { title: 'Plan', date: '2030-01-01T09:00:00.000Z' };
const line = (k: number, text = `Line ${k}.`) => ({ segmentId: `m-${k}`, speaker: k % 2 ? 'Ana' : 'Ben', t0: k * 5, text });
const previous: SummaryPoint[] = [{ text: 'The release moves to Monday.', segmentIds: ['m-1', 'm-2'] }];

describe('the rolling summary', () => {
  it('asks with the summary so far and the new chunk\'s lines only, citing by id', () => {
    const { system, user } = summaryMessages(meeting, previous, [line(3, 'Ana will write the notes.'), line(4)]);
    assert.match(system, /^You keep the summary of a meeting/);
    assert.match(system, new RegExp(`3 to ${SUMMARY_BOUNDS.points} points`));
    assert.ok(user.includes('Summary so far (JSON):\n{"points":[{"text":"The release moves to Monday.","cites":["m-1","m-2"]}]}'), user);
    assert.ok(user.endsWith('New lines:\n[m-3] 00:15 Ana: Ana will write the notes.\n[m-4] 00:20 Ben: Line 4.'), user);
    assert.deepEqual(citableIds(previous, [line(2), line(3)]), ['m-1', 'm-2', 'm-3']);
  });

  it('parses strictly: unknown cites are dropped, a point with none left is dropped, bounds hold', () => {
    const known = new Set(['m-1', 'm-2', 'm-3']);
    const answer = JSON.stringify({
      points: [
        { text: '  Ships   Monday. ', cites: ['m-1', 'm-9', 'm-1'] },
        { text: 'Invented.', cites: ['m-9'] },
        { text: '', cites: ['m-2'] },
        { text: 'No cites list' },
        { text: 'Cites repeated.', cites: ['m-2', 'm-3', 'm-1', 'm-2', 'm-3'] },
      ],
    });
    assert.deepEqual(parseSummaryAnswer(`Here: ${answer}`, known), [
      { text: 'Ships Monday.', segmentIds: ['m-1'] },
      { text: 'Cites repeated.', segmentIds: ['m-2', 'm-3', 'm-1'] },
    ]);
    assert.equal(parseSummaryAnswer('no json here', known), null);
    assert.equal(parseSummaryAnswer('{"actionItems": []}', known), null);
    const many = JSON.stringify({ points: Array.from({ length: SUMMARY_BOUNDS.points + 3 }, (_, k) => ({ text: `P${k}`, cites: ['m-1'] })) });
    assert.equal(parseSummaryAnswer(many, known)!.length, SUMMARY_BOUNDS.points);
  });

  it('rolls with one call, once more on an invalid answer; a failed call keeps the summary so far', async () => {
    const calls: { user: string; constraint: unknown }[] = [];
    const scripted = (answers: string[]): Chat => async (_system, user, _signal, constraint) => {
      calls.push({ user, constraint });
      const text = answers.shift();
      if (text === undefined) throw new Error('down');
      return { text, model: 'scripted' };
    };
    const lines = [line(3), line(4)];
    const ok = await rollSummary(scripted(['not json', '{"points":[{"text":"Ana writes the notes.","cites":["m-3","m-7"]}]}']), meeting, previous, lines, new AbortController().signal);
    assert.deepEqual(ok.points, [{ text: 'Ana writes the notes.', segmentIds: ['m-3'] }]);
    assert.equal(ok.model, 'scripted');
    assert.equal(calls.length, 2);
    assert.deepEqual(calls[0].constraint, { summary: { segmentIds: ['m-1', 'm-2', 'm-3', 'm-4'], maxPoints: SUMMARY_BOUNDS.points } }, 'a grammar-capable provider is told what may be cited');
    assert.ok(ok.tokens > 0);
    const failed = await rollSummary(scripted([]), meeting, previous, lines, new AbortController().signal);
    assert.equal(failed.points, null);
  });

  it('an answer cut short at its token cap: its complete points are taken and the log says it was cut; cut before its first point, it is invalid', async () => {
    const known = new Set(['m-1', 'm-2', 'm-3']);
    const whole = JSON.stringify({ points: [{ text: 'Ships Monday.', cites: ['m-1'] }, { text: 'Ana writes the notes.', cites: ['m-3'] }, { text: 'The budget is open.', cites: ['m-2'] }] });
    const cut = whole.slice(0, whole.indexOf('The budget') + 5);
    assert.deepEqual(parseSummaryAnswer(cut, known), [{ text: 'Ships Monday.', segmentIds: ['m-1'] }, { text: 'Ana writes the notes.', segmentIds: ['m-3'] }]);
    assert.equal(parseSummaryAnswer('{"points": [{"text": "Ships Mon', known)?.length, 0);
    const reports: SummaryCallReport[] = [];
    const once = (text: string): Chat => async () => ({ text, model: 'scripted' });
    const rolled = await rollSummary(once(cut), meeting, previous, [line(3)], new AbortController().signal, { report: (r) => reports.push(r) });
    assert.deepEqual(rolled.points, [{ text: 'Ships Monday.', segmentIds: ['m-1'] }, { text: 'Ana writes the notes.', segmentIds: ['m-3'] }]);
    assert.deepEqual(reports.map((r) => [r.outcome, r.reason]), [['applied', ANSWER_CUT]]);
    reports.length = 0;
    const whole2 = await rollSummary(once(whole), meeting, previous, [line(3)], new AbortController().signal, { report: (r) => reports.push(r) });
    assert.equal(whole2.points?.length, 3);
    assert.deepEqual(reports.map((r) => [r.outcome, r.reason]), [['applied', undefined]], 'a whole answer is not said to be cut');
    reports.length = 0;
    const none = await rollSummary(once('{"points": [{"text": "Ships Mon'), meeting, previous, [line(3)], new AbortController().signal, { report: (r) => reports.push(r) });
    assert.equal(none.points, null);
    assert.deepEqual(reports.map((r) => r.reason), ['invalid answer', 'invalid answer']);
  });

  it('its time limit counts working time: paused for whisper, a call is given as long again', async () => {
    const answerAfter = (ms: number): Chat => (_system, _user, signal) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve({ text: '{"points":[{"text":"Ana writes the notes.","cites":["m-3"]}]}', model: 'scripted' }), ms);
      signal.addEventListener('abort', () => { clearTimeout(timer); reject(new Error('aborted')); });
    });
    const reports: SummaryCallReport[] = [];
    const report = (r: SummaryCallReport) => reports.push(r);
    // 240 ms of work against a 158 ms limit (100 ms for a chunk's call, grown by the revision's answer cap: 1.58 times):
    // too slow, unless 100 ms of it were spent paused.
    assert.equal(timeLimitFor(100, { summary: { segmentIds: [], maxPoints: SUMMARY_BOUNDS.points } }), 158);
    const plain = await rollSummary(answerAfter(240), meeting, previous, [line(3)], new AbortController().signal, { timeoutMs: 100, report });
    assert.equal(plain.points, null);
    assert.equal(reports.pop()?.outcome, 'timeout');
    const pausedSince = performance.now();
    const pausedMs = () => Math.min(100, performance.now() - pausedSince); // paused for the first 100 ms
    const paused = await rollSummary(answerAfter(240), meeting, previous, [line(3)], new AbortController().signal, { timeoutMs: 100, pausedMs, report });
    assert.deepEqual(paused.points, [{ text: 'Ana writes the notes.', segmentIds: ['m-3'] }]);
    assert.equal(reports.pop()?.outcome, 'applied');
  });

  it('reports each call (outcome, attempt, fixed-word reason), never the answer or the lines', async () => {
    const reports: SummaryCallReport[] = [];
    const report = (r: SummaryCallReport) => reports.push(r);
    const lines = [line(3, 'Secret plan for Monday.')];
    const chat = (answers: (string | Error)[]): Chat => async () => {
      const next = answers.shift()!;
      if (next instanceof Error) throw next;
      return { text: next, model: 'scripted' };
    };
    await rollSummary(chat(['{"points":[]} Secret plan', '{"points":[{"text":"Plan.","cites":["m-3"]}]}']), meeting, previous, lines, new AbortController().signal, { report });
    assert.deepEqual(reports.map(({ ms: _ms, ...r }) => r), [{ outcome: 'failed', attempt: 1, reason: 'invalid answer' }, { outcome: 'applied', attempt: 2, model: 'scripted' }]);
    reports.length = 0;
    await rollSummary(chat([new Error('Secret plan for Monday.')]), meeting, previous, lines, new AbortController().signal, { report });
    assert.deepEqual(reports.map(({ ms: _ms, ...r }) => r), [{ outcome: 'failed', attempt: 1, reason: 'error' }]);
    reports.length = 0;
    const hangs: Chat = (_s, _u, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    await rollSummary(hangs, meeting, previous, lines, new AbortController().signal, { report, timeoutMs: 20 });
    // The limit a chunk's call has, grown by the revision's answer cap (1.58 times): 32 ms.
    assert.deepEqual(reports.map(({ ms: _ms, ...r }) => r), [{ outcome: 'timeout', attempt: 1, reason: 'no answer within 0.032 s' }]);
    assert.ok(reports[0].ms >= 25, `${reports[0].ms} ms`);
    assert.doesNotMatch(JSON.stringify(reports), /Secret/);
  });

  it('rolls on over the chunks not read yet, in order, while it may ask; a chunk with no valid answer counts as read', async () => {
    const chunks = [0, 1, 2, 3].map((index) => ({ index, lines: [line(index * 2 + 1), line(index * 2 + 2)] }));
    const asked: number[] = [];
    const revised: { chunks: number; points: string[]; model: string | undefined }[] = [];
    const sofar = { points: previous, chunks: 1 };
    let spent = 0;
    await rollOver(chunks, sofar, {
      ask: async (prior, chunk) => {
        asked.push(chunk.index);
        assert.equal(prior, sofar.points, 'each call revises the summary as it stands');
        return chunk.index === 2 ? { points: null, model: undefined, tokens: 5 } : { points: [{ text: `P${chunk.index}`, segmentIds: [chunk.lines[0].segmentId] }], model: 'm', tokens: 7 };
      },
      mayAsk: () => true,
      spent: (tokens) => { spent += tokens; },
      revised: (model) => { revised.push({ chunks: sofar.chunks, points: sofar.points.map((p) => p.text), model }); },
    });
    assert.deepEqual(asked, [1, 2, 3]);
    assert.deepEqual(revised, [{ chunks: 2, points: ['P1'], model: 'm' }, { chunks: 4, points: ['P3'], model: 'm' }]);
    assert.equal(sofar.chunks, 4);
    assert.equal(spent, 19);
    const stopped = { points: [], chunks: 0 };
    let calls = 0;
    await rollOver(chunks, stopped, { ask: async () => ({ points: null, model: undefined, tokens: 0 }), mayAsk: () => calls++ < 2, revised: () => assert.fail('no revision') });
    assert.equal(stopped.chunks, 2, 'nothing asked once it may not');
  });

  it('with mergeChars, consecutive chunks are one call while their lines (the overlap once) fit; a chunk too long alone is asked alone', async () => {
    // Chunks overlap by a line (modelExtract's overlapLines): each starts with the one before's last line.
    const chunks = [0, 1, 2, 3, 4].map((index) => ({ index, lines: [line(index * 2), line(index * 2 + 1), line(index * 2 + 2)] }));
    const chars = (ls: readonly { segmentId: string; speaker: string; text: string }[]) => ls.reduce((n, l) => n + lineChars(l as never), 0);
    const two = chars(chunks[0].lines) + chars([line(3), line(4)]);
    assert.deepEqual(summaryGroups(chunks).map((g) => g.index), [0, 1, 2, 3, 4], 'without: one call a chunk');
    const groups = summaryGroups(chunks, two);
    assert.deepEqual(groups.map((g) => g.index), [1, 3, 4]);
    assert.deepEqual(groups[0].lines.map((l) => l.segmentId), ['m-0', 'm-1', 'm-2', 'm-3', 'm-4'], 'the overlap line once');
    assert.deepEqual(summaryGroups(chunks, 1).map((g) => g.index), [0, 1, 2, 3, 4], 'each chunk longer than the limit: alone');
    const asked: number[][] = [];
    const sofar = { points: [] as SummaryPoint[], chunks: 2 };
    await rollOver(chunks, sofar, {
      ask: async (_prior, group) => { asked.push(group.lines.map((l) => Number(l.segmentId.slice(2)))); return { points: [{ text: 'P', segmentIds: [group.lines[0].segmentId] }], model: 'm', tokens: 1 }; },
      mayAsk: () => true, revised: () => undefined, mergeChars: two,
    });
    assert.deepEqual(asked, [[4, 5, 6, 7, 8], [8, 9, 10]], 'from the first chunk not read');
    assert.equal(sofar.chunks, 5);
  });

  it('the local grammar\'s schema allows only the citable ids, bounded', () => {
    const schema = summaryAnswerSchema(['m-1', 'm-3']) as { properties: { points: { maxItems: number; items: { properties: { text: { maxLength: number }; cites: { items: { enum: string[] }; minItems: number } } } } } };
    assert.equal(schema.properties.points.maxItems, SUMMARY_BOUNDS.points);
    assert.equal((summaryAnswerSchema(['m-1'], SUMMARY_BOUNDS.settledPoints) as typeof schema).properties.points.maxItems, SUMMARY_BOUNDS.settledPoints, 'settling: the settle\'s bound');
    assert.equal((schema.properties.points as unknown as { minItems: number }).minItems, 1);
    assert.deepEqual(schema.properties.points.items.properties.cites.items.enum, ['m-1', 'm-3']);
    assert.equal(schema.properties.points.items.properties.cites.minItems, 1);
    // The grammar's bound is the hard one, past what the prompt asks: a model keeping to the prompt never meets it.
    assert.equal(schema.properties.points.items.properties.text.maxLength, SUMMARY_BOUNDS.textMax);
    assert.ok(SUMMARY_BOUNDS.textMax > SUMMARY_BOUNDS.text);
    assert.equal((schema.properties.points.items.properties.cites as unknown as { maxItems: number }).maxItems, SUMMARY_POINT_MAX_CITES);
    assert.deepEqual((summaryAnswerSchema([]) as { properties: { points: unknown } }).properties.points, { type: 'array', maxItems: 0 });
  });
});

describe('summary points bounded by the prompt and the grammar, never cut mid-word', () => {
  /** Words of the meeting, `n` characters or a little more, no sentence end. */
  const words = (n: number, word = 'crocodile') => {
    const out: string[] = [];
    while (out.join(' ').length < n) out.push(out.length % 3 ? word : 'the');
    return out.join(' ');
  };

  it('the prompt states the bounds: characters a point, cites a point, points', () => {
    const { system } = summaryMessages(meeting, [], [line(1)]);
    assert.ok(system.includes(`of at most ${SUMMARY_BOUNDS.text} characters`), system);
    assert.ok(system.includes(`at most ${SUMMARY_POINT_MAX_CITES} of them`), system);
    assert.ok(system.includes(`3 to ${SUMMARY_BOUNDS.points} points`), system);
    assert.equal(SUMMARY_BOUNDS.citations, SUMMARY_POINT_MAX_CITES);
  });

  it('a point longer than the prompt asks but within the hard bound is kept whole (the old 240 cut "…a crocodi")', () => {
    const long = `The team chose the animal for the remote: ${words(SUMMARY_BOUNDS.text + 20)}.`;
    assert.ok(long.length > SUMMARY_BOUNDS.text && long.length < SUMMARY_BOUNDS.textMax, `${long.length}`);
    const [point] = parseSummaryAnswer(JSON.stringify({ points: [{ text: long, cites: ['m-1'] }] }), new Set(['m-1']))!;
    assert.equal(point.text, long);
    assert.deepEqual(pointText(long), { text: long, trimmed: false });
  });

  it('at or past the hard bound (where a grammar stops a string), a point ends at its last whole word with an ellipsis', () => {
    for (const length of [SUMMARY_BOUNDS.textMax, SUMMARY_BOUNDS.textMax + 1, SUMMARY_BOUNDS.textMax + 7, 2000]) {
      // A grammar stops mid-word: the text ends wherever the count ran out (here inside a word, never on a space).
      const all = words(length + 40);
      const end = all[length - 1] === ' ' ? length + 1 : length;
      const raw = all.slice(0, end);
      const got = pointText(raw)!;
      assert.equal(got.trimmed, true, `${length}`);
      assert.ok(got.text.length <= SUMMARY_BOUNDS.textMax, `${got.text.length}`);
      assert.ok(got.text.endsWith('\u2026'), got.text);
      const kept = got.text.slice(0, -1);
      // Every word kept is a whole word of the text (the last one too): the text went on with a space after it.
      assert.ok(raw.startsWith(kept) && raw[kept.length] === ' ', `cut mid-word: …${kept.slice(-12)}|${raw.slice(kept.length, kept.length + 12)}`);
    }
    // A sentence that ends exactly at the bound ended by itself.
    const sentence = `${'a'.repeat(SUMMARY_BOUNDS.textMax - 8)} the end.`.slice(-SUMMARY_BOUNDS.textMax);
    assert.equal(sentence.length, SUMMARY_BOUNDS.textMax);
    assert.deepEqual(pointText(sentence), { text: sentence, trimmed: false });
    // Nothing to end at but mid-word: refused, and the point dropped.
    assert.equal(pointText('x'.repeat(SUMMARY_BOUNDS.textMax + 5)), null);
    assert.deepEqual(parseSummaryAnswer(JSON.stringify({ points: [{ text: 'x'.repeat(500), cites: ['m-1'] }, { text: 'Kept.', cites: ['m-1'] }] }), new Set(['m-1'])),
      [{ text: 'Kept.', segmentIds: ['m-1'] }]);
  });

  it('a point keeps no terminal control or bidi character, only its words (review 2, S5: model_inject.js)', () => {
    const raw = 'Overview \u001b[31mred\u001b[0m \u001b]0;PWNED\u0007 \u202eevil\u2069 done';
    const [point] = parseSummaryAnswer(JSON.stringify({ points: [{ text: raw, cites: ['m-1'] }] }), new Set(['m-1']))!;
    assert.equal(point.text, 'Overview [31mred[0m ]0;PWNED evil done');
    assert.equal(pointText('\u001b\u202e'), null, 'controls alone are no point');
  });

  it(`as many cites as a point needs, up to ${SUMMARY_POINT_MAX_CITES}`, () => {
    const ids = Array.from({ length: 12 }, (_, k) => `m-${k + 1}`);
    const [point] = parseSummaryAnswer(JSON.stringify({ points: [{ text: 'Many lines.', cites: ids }] }), new Set(ids))!;
    assert.deepEqual(point.segmentIds, ids.slice(0, SUMMARY_POINT_MAX_CITES));
    const [five] = parseSummaryAnswer(JSON.stringify({ points: [{ text: 'Five lines.', cites: ids.slice(0, 5) }] }), new Set(ids))!;
    assert.equal(five.segmentIds.length, 5, 'more than the old 4');
  });
});

describe('the summary settles at stop', () => {
  const header = { type: 'session' as const, version: 1, sessionId: 's1', title: 'Plan', startedAt: meeting.date, sources: ['mic' as const], language: 'en', notesPath: '' };
  const seg = (k: number, text: string): JournalRecord => ({ type: 'segment', segmentId: `m-${k}`, source: 'mic', speaker: k % 2 ? 'Ana' : 'Ben', t0: k * 5, t1: k * 5 + 4, text });
  const records: JournalRecord[] = [
    header,
    seg(1, 'SECRET-LINE-1 maybe we could use the yellow case.'), seg(2, 'SECRET-LINE-2 fine, yellow it is.'), seg(3, 'SECRET-LINE-3 the price stays open.'),
    seg(4, 'SECRET-LINE-4 I will draw the case.'),
    { type: 'decision', id: 'd1', revision: 1, text: 'The case is yellow', kind: 'decision', segmentId: 'm-2', t0: 10 },
    { type: 'decision', id: 'd2', revision: 1, text: 'The price', kind: 'deferral', segmentId: 'm-3', t0: 15 },
    { type: 'decision', id: 'd3', revision: 1, text: 'Withdrawn', kind: 'decision', segmentId: 'm-1', t0: 5 },
    { type: 'decision', id: 'd3', revision: 2, text: 'Withdrawn', kind: 'decision', segmentId: 'm-1', t0: 5, removed: true },
    { type: 'decision', id: 'd4', revision: 1, text: 'TV only', kind: 'decision', standing: 'given', segmentId: 'm-1', t0: 6 },
    { type: 'decision', id: 'd5', revision: 1, text: 'No teletext', kind: 'negative', standing: 'decided', segmentId: 'm-3', t0: 16 },
    { type: 'actionItem', id: 'a1', revision: 1, text: 'Draw the case', owner: null, due: null, duePhrase: null, segmentId: 'm-4', t0: 20 },
    { type: 'actionItem', id: 'a1', revision: 2, text: 'Draw the case', owner: 'Ben', due: '2030-01-03', duePhrase: null, segmentId: 'm-4', t0: 20 },
  ];
  const rolling: SummaryPoint[] = [{ text: 'Yellow was suggested for the case.', segmentIds: ['m-1'] }];

  it('is asked from the summary so far and the final decisions (with their standing) and action items only, never the transcript', () => {
    const outcomes = finalOutcomes(records);
    assert.deepEqual(outcomes.decisions.map((d) => [d.text, d.kind, d.standing]),
      [['TV only', 'decision', 'given'], ['The case is yellow', 'decision', undefined], ['The price', 'deferral', undefined], ['No teletext', 'negative', 'decided']], 'removed ones left out');
    assert.deepEqual(outcomes.actionItems, [{ text: 'Draw the case', owner: 'Ben', due: '2030-01-03', segmentId: 'm-4' }], 'the latest revision');
    const { system, user } = settleMessages(meeting, rolling, outcomes);
    assert.equal(system, summaryMessages(meeting, [], []).system, 'the rolling summary\'s system prompt (a local model keeps it read once)');
    assert.match(system, /list as decided was decided \(never call it suggested/);
    assert.match(system, /what they list as given to the team was required\nof it from outside/);
    assert.equal(user, [
      'Meeting: Plan', `Date: ${meeting.date}`, '',
      'The meeting has ended: settle its summary against its final decisions and action items.', '',
      'Summary so far (JSON):', '{"points":[{"text":"Yellow was suggested for the case.","cites":["m-1"]}]}', '',
      'Final decisions:', '[m-1] given to the team (a requirement from outside): TV only', '[m-2] decided: The case is yellow', '[m-3] left open: The price',
      '[m-3] decided: No teletext', '',
      'Final action items:', '[m-4] Ben: Draw the case (due 2030-01-03)',
    ].join('\n'));
    assert.doesNotMatch(system + user, /SECRET-LINE/);
    const empty = settleMessages(meeting, rolling, { decisions: [], actionItems: [] }).user;
    assert.ok(empty.endsWith('Final decisions:\n(none)\n\nFinal action items:\n(none)'), empty);
  });

  it('cites the summary so far\'s lines or the final lists\' lines only; a failed, invalid or timed-out call answers why', async () => {
    const constraints: unknown[] = [];
    const answer = (text: string): Chat => async (_s, _u, _signal, constraint) => { constraints.push(constraint); return { text, model: 'scripted' }; };
    const outcomes = finalOutcomes(records);
    const ok = await settleSummary(answer('{"points":[{"text":"The case is yellow; the price is left open.","cites":["m-2","m-3","m-1","m-9"]}]}'), meeting, rolling, outcomes, new AbortController().signal);
    assert.deepEqual(ok.points, [{ text: 'The case is yellow; the price is left open.', segmentIds: ['m-2', 'm-3', 'm-1'] }]);
    assert.deepEqual(constraints[0], { summary: { segmentIds: ['m-1', 'm-2', 'm-3', 'm-4'], maxPoints: SUMMARY_BOUNDS.settledPoints } }, 'the grammar allows those lines only, and the settle\'s points');
    // The settle adds the outcomes the summary lacked rather than merging away what it had: up to settledPoints.
    const many = (n: number) => JSON.stringify({ points: Array.from({ length: n }, (_, k) => ({ text: `Point ${k}.`, cites: ['m-1'] })) });
    const fixed = (text: string): Chat => async () => ({ text, model: 'scripted' });
    const grown = await settleSummary(fixed(many(SUMMARY_BOUNDS.settledPoints + 2)), meeting, rolling, outcomes, new AbortController().signal);
    assert.equal(grown.points?.length, SUMMARY_BOUNDS.settledPoints);
    const rolled = await rollSummary(fixed(many(SUMMARY_BOUNDS.settledPoints)), meeting, rolling, [line(3)], new AbortController().signal);
    assert.equal(rolled.points?.length, SUMMARY_BOUNDS.points, 'a revision while the meeting runs keeps to the rolling bound');
    const invalid = await settleSummary(answer('no json'), meeting, rolling, outcomes, new AbortController().signal);
    assert.deepEqual([invalid.points, invalid.reason, constraints.length], [null, 'invalid answer', 3], 'asked once more, then given up');
    const hangs: Chat = (_s, _u, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    const reports: SummaryCallReport[] = [];
    const late = await settleSummary(hangs, meeting, rolling, outcomes, new AbortController().signal, { timeoutMs: 20, report: (r) => reports.push(r) });
    // A settle of 15 points may write 2.14 times a chunk's answer, and has as much more time: 43 ms.
    assert.deepEqual([late.points, late.reason, reports.map((r) => r.outcome)], [null, 'no answer within 0.043 s', ['timeout']]);
    const cancel = new AbortController();
    const cancelled = settleSummary(hangs, meeting, rolling, outcomes, cancel.signal);
    cancel.abort();
    assert.deepEqual([(await cancelled).points, (await cancelled).reason], [null, 'cancelled']);
  });

  it('settleAtStop: nothing without a summary; refused says why without asking; a failure keeps the summary so far', async () => {
    let asked = 0;
    const ask = (points: SummaryPoint[] | null, reason?: string) => async () => { asked++; return { points, model: 'm', tokens: 3, ...(reason ? { reason } : {}) }; };
    assert.equal(await settleAtStop({ points: [], chunks: 2 }, { ask: ask([]), refused: () => undefined }), undefined);
    const sofar = { points: rolling, chunks: 2 };
    assert.deepEqual(await settleAtStop(sofar, { ask: ask(null), refused: () => 'cancelled' }), { settled: false, unsettled: 'cancelled' });
    assert.equal(asked, 0);
    let spent = 0;
    assert.deepEqual(await settleAtStop(sofar, { ask: ask(null, 'http-503'), refused: () => undefined, spent: (t) => { spent += t; } }), { settled: false, unsettled: 'http-503' });
    assert.equal(sofar.points, rolling, 'the summary so far stands');
    const settled = [{ text: 'Yellow was decided for the case.', segmentIds: ['m-2'] }];
    assert.deepEqual(await settleAtStop(sofar, { ask: ask(settled), refused: () => undefined, spent: (t) => { spent += t; } }), { settled: true, model: 'm' });
    assert.deepEqual([sofar.points, sofar.chunks, spent], [settled, 2, 6]);
  });
});

describe('the notes\' Summary', () => {
  const header = { type: 'session' as const, version: 1, sessionId: 's1', title: 'Plan', startedAt: meeting.date, sources: ['mic' as const], language: 'en', notesPath: '/n.md' };
  const seg = (k: number, text: string): JournalRecord => ({ type: 'segment', segmentId: `m-${k}`, source: 'mic', speaker: k % 2 ? 'Ana' : 'Ben', t0: k * 5, t1: k * 5 + 4, text });
  const lines = [seg(1, 'We ship on Monday.'), seg(2, 'Agreed, Monday it is.'), seg(3, 'I will write the release notes.')];
  const summary = (points: SummaryPoint[], by = 'qwen2.5-1.5b'): JournalRecord => ({ type: 'summary', at: 'x', provider: 'local', by, chunks: 1, points });
  const journal = (extra: JournalRecord[], ended: boolean): JournalContents =>
    ({ header, records: [header, ...lines, ...extra, ...(ended ? [{ type: 'end' as const, stoppedAt: 'y', capturedSec: 20 }] : [])], tornTail: false });
  const section = (md: string) => md.slice(md.indexOf('## Summary'), md.indexOf('## Decisions'));

  it('without a model says plainly there is none', () => {
    for (const ended of [false, true]) {
      assert.equal(section(renderNotes(journal([], ended))), `## Summary\n\n${NO_SUMMARY}\n\n`);
    }
    assert.match(NO_SUMMARY, /earshot\.enhancement\.provider/);
    assert.deepEqual(summaryOf(journal([], true), true)!.bullets, []);
  });

  it('renders the last journaled summary as bullets whose cites link to anchored transcript lines', () => {
    const md = renderNotes(journal([
      summary([{ text: 'Old point.', segmentIds: ['m-1'] }]),
      summary([{ text: 'Ships on *Monday*.', segmentIds: ['m-2', 'm-1', 'm-404'] }, { text: 'Gone: cites nothing real.', segmentIds: ['m-404'] }, { text: 'Ana writes the notes.', segmentIds: ['m-3'] }]),
    ], true));
    assert.equal(section(md), '## Summary\n\n_Written by qwen2.5-1.5b (opt-in language model) as the meeting ran, and not settled at the end against the final decisions'
      + ' and action items: where it differs from them, they stand; each point links to the lines it comes from._\n\n'
      + `- Ships on \\*Monday\\*. _([00:05](#${transcriptAnchor('m-1')}), [00:10](#${transcriptAnchor('m-2')}), Ana, Ben)_\n`
      + `- Ana writes the notes. _([00:15](#${transcriptAnchor('m-3')}), Ana)_\n\n`);
    // Every cite's target is on its transcript line, once; lines not cited carry no anchor.
    for (const [k, text] of [[1, 'We ship on Monday.'], [2, 'Agreed, Monday it is.'], [3, 'I will write the release notes.']] as const) {
      const anchor = `<a id="${transcriptAnchor(`m-${k}`)}"></a>`;
      assert.equal(md.split(anchor).length, 2, anchor);
      assert.ok(md.includes(`** ${text} ${anchor}\n`), md);
    }
    assert.doesNotMatch(md, /Old point/);
    // The label and the points are Earshot's lines: with the My notes heading and start marker gone (and every section
    // after the summary), the user's text still runs back to the summary's last line and no further.
    const onlySummary = (file: string) => `${file.slice(0, file.indexOf('## Decisions'))}Mine.\n${file.slice(file.indexOf('<!-- earshot:my-notes-end'))}`;
    assert.equal(parsePreviousNotes(onlySummary(md)).myNotes, 'Mine.\n');
    assert.equal(parsePreviousNotes(onlySummary(renderNotes(journal([], true)))).myNotes, 'Mine.\n');
    assert.equal(transcriptAnchor('mic:7/x'), 'line-mic_7_x');
    const params = summaryOf(journal([summary([{ text: 'Ana writes the notes.', segmentIds: ['m-3'] }])], false), false)!;
    assert.deepEqual(params.points, [{ text: 'Ana writes the notes.', segmentIds: ['m-3'], t0s: [15] }]);
    assert.deepEqual(params.bullets, ['Ana writes the notes.']);
    assert.equal(params.by, 'qwen2.5-1.5b');
  });

  it('the json export carries the summary as the notes show it', () => {
    const exported = sessionExport(journal([summary([{ text: 'Ships Monday.', segmentIds: ['m-2', 'm-404'] }, { text: 'Gone.', segmentIds: ['m-404'] }])], true));
    assert.deepEqual(exported.summary, { by: 'qwen2.5-1.5b', points: [{ text: 'Ships Monday.', segmentIds: ['m-2'] }] });
    assert.equal(sessionExport(journal([], true)).summary, undefined);
  });

  it('once ended, says whether the summary settled against the decisions and action items, and plainly why not', () => {
    const settled: JournalRecord = { ...summary([{ text: 'Ships Monday.', segmentIds: ['m-1'] }]), settled: true } as JournalRecord;
    assert.match(section(renderNotes(journal([settled], true))),
      /^## Summary\n\n_Written by qwen2\.5-1\.5b \(opt-in language model\) from the transcript, settled at the end against the decisions and action items; each point/);
    const failed = { ...summary([{ text: 'Ships Monday.', segmentIds: ['m-1'] }]), settled: false, unsettled: 'no answer within 20 s' } as JournalRecord;
    const md = section(renderNotes(journal([failed], true)));
    assert.ok(md.includes('_Written by qwen2.5-1.5b (opt-in language model) as the meeting ran, and not settled at the end against the final decisions and action items (no answer within 20 s): where it differs from them, they stand;'), md);
    assert.ok(md.includes('- Ships Monday.'), 'the last rolling summary stands');
    const params = summaryOf(journal([failed], true), true)!;
    assert.deepEqual([params.settled, params.unsettledReason], [false, 'no answer within 20 s']);
    assert.deepEqual([summaryOf(journal([settled], true), true)!.settled, summaryOf(journal([settled], false), false)!.settled], [true, undefined]);
  });

  it('from two parts with notes, the notes on each part are folded under the summary, citing their lines; in the json export and the summary notification too', () => {
    const part = (chunk: number, t0: number, t1: number, points: SummaryPoint[], by = 'qwen2.5-1.5b'): JournalRecord => ({ type: 'partNotes', at: 'x', by, chunk, t0, t1, points });
    const settled = { ...summary([{ text: 'Ships Monday.', segmentIds: ['m-2'] }]), settled: true } as JournalRecord;
    const records = [
      part(0, 5, 10, [{ text: 'Old notes on part 1.', segmentIds: ['m-1'] }]),
      part(1, 10, 15, [{ text: 'Ana takes the <b>notes</b>.', segmentIds: ['m-3', 'm-2'] }, { text: 'Gone: cites nothing real.', segmentIds: ['m-404'] }]),
      part(0, 5, 10, [{ text: 'The release is *Monday*.', segmentIds: ['m-1'] }]), // the chunk's last record is the one shown
      part(2, 15, 15, [{ text: 'Nothing real.', segmentIds: ['m-404'] }]), // no point left: the part is not shown
      settled,
    ];
    const md = renderNotes(journal(records, true));
    const a = (k: number) => `#${transcriptAnchor(`m-${k}`)}`;
    assert.equal(section(md).slice(section(md).indexOf('\n\n<details>')), '\n\n<details><summary>Part by part: the notes qwen2.5-1.5b took on each of the meeting\'s 2 parts as it read them</summary>\n\n'
      + `**00:05–00:10**\n\n- The release is \\*Monday\\*. _([00:05](${a(1)}), Ana)_\n\n`
      + `**00:10–00:15**\n\n- Ana takes the \\<b\\>notes\\</b\\>. _([00:10](${a(2)}), [00:15](${a(3)}), Ben, Ana)_\n\n</details>\n\n`);
    assert.ok(section(md).startsWith('## Summary\n\n_Written by qwen2.5-1.5b (opt-in language model) from the transcript, settled'), 'the summary first');
    assert.ok(section(md).includes('- Ships Monday.'));
    // Every line a part cites has its anchor (once), as the summary's do.
    for (const k of [1, 2, 3]) assert.equal(md.split(`<a id="${transcriptAnchor(`m-${k}`)}"></a>`).length, 2, `m-${k}`);
    // The user's notes after the summary are still theirs: the fold is Earshot's lines.
    const onlySummary = (file: string) => `${file.slice(0, file.indexOf('## Decisions'))}Mine.\n${file.slice(file.indexOf('<!-- earshot:my-notes-end'))}`;
    assert.equal(parsePreviousNotes(onlySummary(md)).myNotes, 'Mine.\n');
    // The json export and the summary notification carry the same parts.
    assert.deepEqual(sessionExport(journal(records, true)).summary?.parts, [
      { t0: 5, t1: 10, points: [{ text: 'The release is *Monday*.', segmentIds: ['m-1'] }] },
      { t0: 10, t1: 15, points: [{ text: 'Ana takes the <b>notes</b>.', segmentIds: ['m-2', 'm-3'] }] },
    ]);
    assert.deepEqual(summaryOf(journal(records, true), true)!.parts, [
      { t0: 5, t1: 10, points: [{ text: 'The release is *Monday*.', segmentIds: ['m-1'], t0s: [5] }] },
      { t0: 10, t1: 15, points: [{ text: 'Ana takes the <b>notes</b>.', segmentIds: ['m-2', 'm-3'], t0s: [10, 15] }] },
    ]);
    // Without a summary (its call failed), the parts are still shown under the plain "no summary" line.
    assert.ok(section(renderNotes(journal(records.slice(0, 4), true))).startsWith(`## Summary\n\n${NO_SUMMARY}\n\n<details><summary>Part by part`));
    // One part with notes: the summary says it all; nothing folded, nothing sent.
    const one = [part(0, 5, 10, [{ text: 'The release is Monday.', segmentIds: ['m-1'] }]), settled];
    assert.doesNotMatch(renderNotes(journal(one, true)), /<details>|Part by part/);
    assert.equal(summaryOf(journal(one, true), true)!.parts, undefined);
    assert.equal(sessionExport(journal(one, true)).summary?.parts, undefined);
    assert.equal(PARTS_SHOWN_FROM, 2);
  });

  it('while the meeting runs, says the summary is rolling', () => {
    const md = renderNotes(journal([summary([{ text: 'Ships Monday.', segmentIds: ['m-1'] }])], false));
    assert.match(section(md), /^## Summary\n\n_Rolling summary by qwen2\.5-1\.5b \(opt-in language model\), revised as the meeting runs/);
  });
});
