/**
 * The language model's rolling summary (daemon/understanding/modelSummary.ts): the prompt, the strict check of an
 * answer's cites, the rolling call with a scripted chat, the local grammar's schema, and how the notes render it
 * (documents/summarySection.ts through markdown.ts) with and without a model.
 */
import * as assert from 'node:assert/strict';
import { JournalContents, JournalRecord } from '../../daemon/journal/journal';
import { renderNotes } from '../../daemon/documents/markdown';
import { NO_SUMMARY, transcriptAnchor } from '../../daemon/documents/summarySection';
import { parsePreviousNotes } from '../../daemon/documents/previousNotes';
import { sessionExport } from '../../daemon/documents/export';
import { summaryOf } from '../../daemon/service/finalizeStored';
import { citableIds, parseSummaryAnswer, rollOver, rollSummary, SummaryCallReport, summaryGroups, summaryMessages, SUMMARY_BOUNDS, SummaryPoint } from '../../daemon/understanding/modelSummary';
import { lineChars } from '../../daemon/understanding/modelExtract';
import { summaryAnswerSchema } from '../../daemon/understanding/local/schema';
import { Chat } from '../../daemon/understanding/providers';

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
        { text: 'x'.repeat(500), cites: ['m-2', 'm-3', 'm-1', 'm-2', 'm-3'] },
      ],
    });
    assert.deepEqual(parseSummaryAnswer(`Here: ${answer}`, known), [
      { text: 'Ships Monday.', segmentIds: ['m-1'] },
      { text: 'x'.repeat(SUMMARY_BOUNDS.text), segmentIds: ['m-2', 'm-3', 'm-1'] },
    ]);
    assert.equal(parseSummaryAnswer('no json here', known), null);
    assert.equal(parseSummaryAnswer('{"actionItems": []}', known), null);
    const many = JSON.stringify({ points: Array.from({ length: 9 }, (_, k) => ({ text: `P${k}`, cites: ['m-1'] })) });
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
    assert.deepEqual(calls[0].constraint, { summary: { segmentIds: ['m-1', 'm-2', 'm-3', 'm-4'] } }, 'a grammar-capable provider is told what may be cited');
    assert.ok(ok.tokens > 0);
    const failed = await rollSummary(scripted([]), meeting, previous, lines, new AbortController().signal);
    assert.equal(failed.points, null);
  });

  it('its time limit counts working time: paused for whisper, a call is given as long again', async () => {
    const answerAfter = (ms: number): Chat => (_system, _user, signal) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve({ text: '{"points":[{"text":"Ana writes the notes.","cites":["m-3"]}]}', model: 'scripted' }), ms);
      signal.addEventListener('abort', () => { clearTimeout(timer); reject(new Error('aborted')); });
    });
    const reports: SummaryCallReport[] = [];
    const report = (r: SummaryCallReport) => reports.push(r);
    // 150 ms of work against a 100 ms limit: too slow, unless 100 ms of it were spent paused.
    const plain = await rollSummary(answerAfter(150), meeting, previous, [line(3)], new AbortController().signal, { timeoutMs: 100, report });
    assert.equal(plain.points, null);
    assert.equal(reports.pop()?.outcome, 'timeout');
    const pausedSince = performance.now();
    const pausedMs = () => Math.min(100, performance.now() - pausedSince); // paused for the first 100 ms
    const paused = await rollSummary(answerAfter(150), meeting, previous, [line(3)], new AbortController().signal, { timeoutMs: 100, pausedMs, report });
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
    assert.deepEqual(reports.map(({ ms: _ms, ...r }) => r), [{ outcome: 'timeout', attempt: 1, reason: 'no answer within 0.02 s' }]);
    assert.ok(reports[0].ms >= 15, `${reports[0].ms} ms`);
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
    assert.equal((schema.properties.points as unknown as { minItems: number }).minItems, 1);
    assert.deepEqual(schema.properties.points.items.properties.cites.items.enum, ['m-1', 'm-3']);
    assert.equal(schema.properties.points.items.properties.cites.minItems, 1);
    assert.equal(schema.properties.points.items.properties.text.maxLength, SUMMARY_BOUNDS.text);
    assert.deepEqual((summaryAnswerSchema([]) as { properties: { points: unknown } }).properties.points, { type: 'array', maxItems: 0 });
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
    assert.equal(section(md), '## Summary\n\n_Written by qwen2.5-1.5b (opt-in language model) from the transcript; each point links to the lines it comes from._\n\n'
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

  it('while the meeting runs, says the summary is rolling', () => {
    const md = renderNotes(journal([summary([{ text: 'Ships Monday.', segmentIds: ['m-1'] }])], false));
    assert.match(section(md), /^## Summary\n\n_Rolling summary by qwen2\.5-1\.5b \(opt-in language model\), revised as the meeting runs/);
  });
});
