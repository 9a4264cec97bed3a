/**
 * The summary settles at stop, end to end: the real daemon transcribing the sample (a model that says one known
 * sentence) with provider 'openai-compatible' against the SCRIPTED chat-completions server (scripted-extraction.ts).
 * The stop's last model call reads the last rolling summary and the final decisions and action items (never the
 * transcript); the settled summary is journaled before the final notes and the final earshot/summary show it. A settle
 * that fails, or hangs past the provider's time limit, or is cancelled, leaves the last rolling summary: journaled as
 * not settled, with why, and the notes say so; the stop still ends.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { JournalRecord, readJournal, SummaryRecord } from '../../daemon/journal/journal';
import { SAMPLE_WAV, sayingModel } from '../setup';
import {
  EnhancementSettings, ExtractionCancel, PROTOCOL_VERSION, SessionStart, SummaryNotification, SummaryParams,
} from '../../protocol/protocol';
import { connectDaemon, RpcClient } from './daemon-process';
import { reply, Scripted, ScriptedServer, scriptedExtraction } from './scripted-extraction';
import { ANSWER_RESERVE_TOKENS } from '../../daemon/understanding/providers';
import { bpeCounter } from '../support/bpe-tokens';

/** The default local model's tokenizer (Qwen2.5's: test/fixtures/tokenizers). */
const qwenTokens = bpeCounter(path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'tokenizers', 'qwen2-merges.txt'));

/** What the sample's finals say (every one the same sentence): words no settle prompt may carry. */
const TOKENS = [' Alice', ' reviews-the', ' quarterly-budget', ' figures-and-the', ' release-plan', ' with-finance', ' before-the', ' steering',
  ' committee-meets', ' next-Friday', ' morning-and', ' reports-back', ' to-the-whole', ' engineering', ' team-with-a', ' written-summary',
  ' of-every-risk', ' found-so-far', '.'];

describe('the summary settles at stop (real daemon, scripted endpoint)', function () {
  this.timeout(180_000);
  const fx = scriptedExtraction();

  /**
   * A meeting over the sample, fast, its chunks answered with an action item each and, in the first, a decision; the
   * settle answered by `settle`. Answers the journal's records, the notes, the final summary notification and what the
   * journal held when it came, and the daemon's log.
   */
  async function meeting(settle: (r: Scripted, res: http.ServerResponse) => void, enhancement: Partial<EnhancementSettings> = {},
    during?: (client: RpcClient, sessionId: string, scripted: ScriptedServer) => void, standings?: (r: Scripted) => string) {
    const scripted = await fx.scriptedServer((r, res) => reply(res, JSON.stringify({
      actionItems: [{ text: `Alice reports part ${r.chunk} back to the team`, owner: 'Alice', due: null, segments: [r.ids[r.ids.length - 1]] }],
      decisions: r.chunk === 1 ? [{ text: 'The release moves to Monday', kind: 'decision', standing: 'decided', segments: [r.ids[0]] },
        { text: 'TV only', kind: 'decision', standing: 'given', segments: [r.ids[1]] }] : [],
      dismiss: [],
    })), settle, undefined, undefined, standings);
    const client = connectDaemon();
    fx.clients.push(client);
    let final: { params: SummaryParams; journaled: SummaryRecord | undefined } | undefined;
    let journalPath = '';
    client.connection.onNotification(SummaryNotification, (params) => {
      // What the journal holds the moment the final summary is told: read at once, before anything else runs.
      if (params.final && params.points?.length) {
        const lines = fs.readFileSync(journalPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as JournalRecord);
        final = { params, journaled: lines.filter((r): r is SummaryRecord => r.type === 'summary').pop() };
      }
    });
    await client.initialize({
      protocolVersion: PROTOCOL_VERSION, storageDir: path.join(fx.dir, 'storage'), notesDir: path.join(fx.dir, 'notes'), modelPath: sayingModel('live-notes', TOKENS), threads: 1,
      enhancement: { provider: 'openai-compatible', endpoint: scripted.endpoint, model: 'scripted:1b', chunkChars: 1000, maxConcurrency: 2, timeoutSec: 20, ...enhancement },
    });
    const started = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast', title: 'Release planning' });
    journalPath = path.join(fx.dir, 'storage', 'sessions', `${started.sessionId}.jsonl`);
    during?.(client, started.sessionId, scripted);
    const done = await client.sessionDone(started.sessionId);
    assert.equal(done.error, undefined);
    const records = (await readJournal(journalPath)).records;
    const notes = fs.readFileSync(started.notesPath, 'utf8');
    const summaries = records.filter((r): r is SummaryRecord => r.type === 'summary');
    assert.ok(summaries.length >= 2, `the rolling summary was revised: ${summaries.length} records`);
    return { scripted, client, records, notes, final: final!, summaries, rolling: summaries.slice(0, -1), last: summaries[summaries.length - 1] };
  }

  /** The notes' Summary up to the fold of the notes on each part (partsFold), or to the decisions. */
  const summarySection = (notes: string) => notes.slice(notes.indexOf('## Summary'), notes.includes('<details>') ? notes.indexOf('<details>') : notes.indexOf('## Decisions'));
  const partsFold = (notes: string) => notes.slice(notes.indexOf('<details>'), notes.indexOf('</details>'));
  const bullets = (notes: string) => summarySection(notes).split('\n').filter((l) => l.startsWith('- ')).map((b) => b.replace(/ _\(.*$/, '').slice(2));
  const settleLog = (client: RpcClient) => client.logs.filter((l) => l.includes('"call":"settle"'));

  it('one call over the last rolling summary and the final decisions and action items, journaled before the notes and the final summary show it', async () => {
    const m = await meeting((r, res) => {
      const sofar = (JSON.parse(/^Summary so far \(JSON\):\n(.*)$/m.exec(r.user)![1]) as { points: { text: string; cites: string[] }[] }).points;
      // The settled summary: the points restated, and one for the decision, citing its line (a final list's line).
      const decision = /^\[([\w-]+)\] decided: The release moves to Monday$/m.exec(r.user)![1];
      reply(res, JSON.stringify({ points: [...sofar.map((p) => ({ text: `Settled: ${p.text}`, cites: p.cites })), { text: 'The release was decided for Monday.', cites: [decision] }] }));
    });
    assert.equal(m.scripted.settles.length, 1, 'one settle, at stop');
    const asked = m.scripted.settles[0].user;
    // Built from the summary so far and the final lists only.
    const sofar = m.rolling[m.rolling.length - 1].points.map((p) => ({ text: p.text, cites: p.segmentIds }));
    assert.ok(asked.includes(`Summary so far (JSON):\n${JSON.stringify({ points: sofar })}\n`), asked);
    const decisions = m.records.filter((r): r is Extract<JournalRecord, { type: 'decision' }> => r.type === 'decision');
    const items = m.records.filter((r): r is Extract<JournalRecord, { type: 'actionItem' }> => r.type === 'actionItem' && /^am/.test(r.id));
    assert.ok(items.length >= 2 && decisions.length >= 1);
    const decided = decisions.find((d) => d.text === 'The release moves to Monday')!;
    const given = decisions.find((d) => d.text === 'TV only')!;
    assert.ok(asked.includes(`[${decided.segmentId}] decided: The release moves to Monday`), asked);
    assert.ok(asked.includes(`[${given.segmentId}] given to the team (a requirement from outside): TV only`), asked);
    for (const item of items) assert.ok(asked.includes(`] Alice: ${item.text}`), `${item.text} in the settle's prompt`);
    assert.doesNotMatch(asked, /quarterly-budget|steering|^\[[\w-]+\] \d\d:\d\d /m, 'no transcript line in the settle\'s prompt');
    // Beside them, the notes taken on each part (the settle of v11): one per chunk, in meeting order.
    const run = m.records.find((r): r is Extract<JournalRecord, { type: 'refinement' }> => r.type === 'refinement')!;
    assert.equal(m.scripted.parts.length, run.chunks, 'one part\'s notes per chunk');
    assert.equal(m.records.filter((r) => r.type === 'partNotes').length, run.chunks, 'each journaled');
    assert.match(asked, /^Notes on each part \(JSON, in meeting order\):\nPart 1 \(\d\d:\d\d to \d\d:\d\d\): \{"points":\[\{"text":"Part 1 noted"/m);
    // Journaled after every item and decision, before the run's record and the end.
    const types = m.records.map((r) => r.type);
    const settledAt = m.records.indexOf(m.last);
    assert.deepEqual([m.last.settled, m.last.by], [true, 'scripted:1b']);
    assert.ok(Math.max(types.lastIndexOf('actionItem'), types.lastIndexOf('decision')) < settledAt, types.join());
    assert.deepEqual(types.slice(settledAt), ['summary', 'refinement', 'end']);
    const expected = [...sofar.map((p) => `Settled: ${p.text}`), 'The release was decided for Monday.'];
    assert.deepEqual(m.last.points.map((p) => p.text), expected);
    // The final earshot/summary came with the settled points, already in the journal then.
    assert.deepEqual(m.final.params.points?.map((p) => p.text), expected);
    assert.deepEqual([m.final.params.settled, m.final.params.unsettledReason], [true, undefined]);
    assert.deepEqual(m.final.journaled?.points.map((p) => p.text), expected, 'journaled before anyone was told');
    // The notes show it, said to be settled.
    assert.deepEqual(bullets(m.notes), expected);
    assert.match(summarySection(m.notes), /_Written by scripted:1b \(opt-in language model\) from the transcript, settled at the end against the decisions and action items;/);
    // Under it, folded, the notes taken on each part, as the final summary notification carries them.
    assert.ok((run.chunks ?? 0) >= 2, `${run.chunks} parts`);
    const fold = partsFold(m.notes);
    const noted = [...m.scripted.parts].sort((a, b) => a.chunk - b.chunk);
    assert.match(fold, new RegExp(`^<details><summary>Part by part: the notes scripted:1b took on each of the meeting's ${run.chunks} parts as it read them</summary>\n`));
    assert.deepEqual(fold.split('\n').filter((l) => l.startsWith('- ')).map((b) => b.replace(/ _\(.*$/, '')), noted.map((r) => `- Part ${r.chunk} noted`));
    assert.equal(fold.split('\n').filter((l) => /^\*\*\d\d:\d\d–\d\d:\d\d\*\*$/.test(l)).length, run.chunks, 'each part by its span');
    assert.deepEqual(m.final.params.parts?.map((p) => p.points.map((x) => [x.text, x.segmentIds])),
      noted.map((r) => [[`Part ${r.chunk} noted`, [r.ids[r.ids.length - 1]]]]));
    assert.ok(m.notes.indexOf('## Summary') < m.notes.indexOf('<details>') && m.notes.indexOf('</details>') < m.notes.indexOf('## Decisions'), 'under the summary');
    const [logged] = settleLog(m.client);
    assert.match(logged, /"level":"info".*"call":"settle".*"outcome":"applied"/);
  });

  it('the standing check after the settle (on by default): a point that states a decision\'s standing otherwise is written again, journaled before the final summary and the notes show it', async () => {
    const restated = (r: Scripted, res: http.ServerResponse) => {
      const sofar = (JSON.parse(/^Summary so far \(JSON\):\n(.*)$/m.exec(r.user)![1]) as { points: { text: string; cites: string[] }[] }).points;
      reply(res, JSON.stringify({ points: [{ text: 'Moving the release to Monday was proposed.', cites: sofar[0].cites }, ...sofar.slice(1).map((p) => ({ text: `Settled: ${p.text}`, cites: p.cites }))] }));
    };
    const fix = (r: Scripted) => {
      const id = /^D(\d+) \[[\w-]+\] decided: The release moves to Monday$/m.exec(r.user)?.[1];
      return JSON.stringify({ fixes: id ? [{ point: 1, decision: `D${id}`, text: 'It was decided to move the release to Monday.' }] : [] });
    };
    const m = await meeting(restated, {}, undefined, fix);
    assert.equal(m.scripted.standingChecks.length, 1, 'one check, after the settle');
    const asked = m.scripted.standingChecks[0].user;
    assert.match(asked, /^D\d+ \[[\w-]+\] given to the team \(a requirement from outside\): TV only$/m);
    assert.match(asked, /^1\. Moving the release to Monday was proposed\.$/m);
    assert.doesNotMatch(asked, /quarterly-budget|steering/, 'no transcript line in its prompt');
    const decided = m.records.find((r): r is Extract<JournalRecord, { type: 'decision' }> => r.type === 'decision' && r.text === 'The release moves to Monday')!;
    assert.deepEqual([m.last.settled, m.last.points[0].text], [true, 'It was decided to move the release to Monday.']);
    assert.ok(m.last.points[0].segmentIds.includes(decided.segmentId), 'the point cites the decision\'s line');
    assert.ok(m.last.points.slice(1).every((p) => p.text.startsWith('Settled: ')));
    assert.deepEqual(m.final.journaled?.points.map((p) => p.text), m.last.points.map((p) => p.text), 'journaled before anyone was told');
    assert.equal(m.final.params.points?.[0].text, 'It was decided to move the release to Monday.');
    assert.equal(bullets(m.notes)[0], 'It was decided to move the release to Monday.');
    assert.ok(m.client.logs.some((l) => /"call":"standings".*"outcome":"applied"/.test(l)), 'logged as its own call');
    // Turned off: the settled summary as the settle wrote it, and no call.
    const off = await meeting(restated, { checkStandings: false }, undefined, fix);
    assert.equal(off.scripted.standingChecks.length, 0);
    assert.equal(off.last.points[0].text, 'Moving the release to Monday was proposed.');
  });

  it("a server that stops each answer at its max_tokens (as llama.cpp's and Ollama's do) still gets a settle as long as the recorded ones", async () => {
    // 15 points (the bound of a meeting this short) of ~190 characters and 6 cites each, as long as the recorded settles
    // write them (1,487 tokens at the median),
    // counted with the default local model's tokenizer; the server sends only what fits the request's max_tokens.
    let whole = '';
    const m = await meeting((r, res) => {
      const point = (k: number) => ({
        text: `Point ${k + 1}: the release plan for Monday was reviewed with finance, the risks were listed one by one, and the group agreed who reports what back to the steering committee next Friday.`,
        cites: Array.from({ length: 6 }, (_, c) => r.ids[(k + c) % r.ids.length]),
      });
      whole = JSON.stringify({ points: Array.from({ length: 15 }, (_, k) => point(k)) });
      reply(res, qwenTokens.cut(whole, r.maxTokens ?? Infinity));
    });
    const settle = m.scripted.settles[0];
    assert.ok(qwenTokens.count(whole) > ANSWER_RESERVE_TOKENS, `the answer is ${qwenTokens.count(whole)} tokens: over the cap every call had`);
    assert.ok(settle.maxTokens! >= qwenTokens.count(whole), `max_tokens ${settle.maxTokens} holds the ${qwenTokens.count(whole)}-token answer`);
    assert.deepEqual([m.last.settled, m.last.points.length], [true, 15], 'every point settled, none cut');
    assert.doesNotMatch(settleLog(m.client).join('\n'), /cut at its token cap/);
  });

  it('a settle that fails leaves the last rolling summary, journaled as not settled and why; the notes say so plainly', async () => {
    const m = await meeting((_r, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":"overloaded"}');
    });
    assert.equal(m.scripted.settles.length, 1, 'a server error is not asked again');
    const rolled = m.rolling[m.rolling.length - 1].points;
    assert.deepEqual([m.last.settled, m.last.unsettled, m.last.points, m.last.by], [false, 'http-500', rolled, 'scripted:1b']);
    assert.deepEqual(bullets(m.notes), rolled.map((p) => p.text));
    assert.ok(summarySection(m.notes).includes('as the meeting ran, and not settled at the end against the final decisions and action items (http-500): where it differs from them, they stand;'), summarySection(m.notes));
    assert.deepEqual([m.final.params.settled, m.final.params.unsettledReason], [false, 'http-500']);
    const logged = settleLog(m.client);
    assert.equal(logged.length, 1);
    assert.match(logged[0], /"level":"warn".*"call":"settle".*"outcome":"failed".*"reason":"http-500"/);
    assert.doesNotMatch(m.client.logs.join('\n'), /quarterly-budget|went over the release plan|Alice reports/);
  });

  it('a settle that hangs is given up at the provider\'s time limit: the stop ends, the last rolling summary stands', async () => {
    // Never answered: only the daemon's time limit ends it.
    const m = await meeting(() => undefined, { timeoutSec: 2 });
    assert.equal(m.scripted.settles.length, 1);
    assert.ok(m.scripted.aborted() >= 1, 'the daemon gave the request up');
    const rolled = m.rolling[m.rolling.length - 1].points;
    // The provider's 2 s, grown as the settle may write 2.14 times a chunk's answer (15 points).
    assert.deepEqual([m.last.settled, m.last.unsettled, m.last.points], [false, 'no answer within 4.28 s', rolled]);
    assert.ok(summarySection(m.notes).includes('not settled at the end against the final decisions and action items (no answer within 4.28 s)'), summarySection(m.notes));
    assert.deepEqual(bullets(m.notes), rolled.map((p) => p.text));
    assert.match(settleLog(m.client)[0], /"call":"settle".*"outcome":"timeout"/);
  });

  it('a settle cancelled with the extraction (earshot/extraction/cancel) is given up at once; the notes say it was cancelled', async () => {
    // The settle hangs until the client cancels the extraction (far within the 20 s limit).
    const m = await meeting(() => undefined, {}, (client, sessionId, scripted) => {
      const poll = setInterval(() => {
        if (!scripted.settles.length) return;
        clearInterval(poll);
        void client.connection.sendRequest(ExtractionCancel, { sessionId }).then((r) => assert.deepEqual(r, { cancelled: true }));
      }, 20);
    });
    assert.equal(m.scripted.settles.length, 1);
    assert.deepEqual([m.last.settled, m.last.unsettled], [false, 'cancelled']);
    assert.ok(summarySection(m.notes).includes('not settled at the end against the final decisions and action items (cancelled)'), summarySection(m.notes));
    const run = m.records.find((r): r is Extract<JournalRecord, { type: 'refinement' }> => r.type === 'refinement');
    assert.ok(run, 'the run\'s record is kept');
  });
});
