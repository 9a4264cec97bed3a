/**
 * The rolling summary where no live session rolled it, end to end: the real daemon process over real JSON-RPC
 * finalizing an interrupted session in storage (`earshot/session/stop`), and `earshot notes --llm-endpoint` as a
 * process, both against a SCRIPTED chat-completions server on 127.0.0.1 (a real HTTP server in this test). Covers: the
 * summary rolled on from the interrupted session's last journaled one over the chunks it had not read, each revision
 * journaled before the run's record and the end, the notes' cited Summary, a failed summary call logged by chunk and
 * reason without text; the CLI's summary in JSON (with cites) and Markdown. The at-stop extraction itself:
 * model-extraction.test.ts.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Journal, JournalRecord, readJournal } from '../../daemon/journal/journal';
import { PROTOCOL_VERSION, SessionStop } from '../../protocol/protocol';
import { connectDaemon, RpcClient, runEarshot } from './daemon-process';

const SESSION = '20300101-0900-sumfin';
const LINES = Array.from({ length: 40 }, (_, k) => `Line ${k + 1} of the discussion about the release plan and its risks.`);

/** What the scripted server was asked for a summary: the new lines' ids and the summary so far's texts. */
interface SummaryAsk { ids: string[]; previous: string[] }

describe('the rolling summary of a finalized session and of earshot notes (real daemon and CLI, scripted endpoint)', function () {
  this.timeout(120_000);
  let dir: string;
  const clients: RpcClient[] = [];
  let server: http.Server | undefined;

  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-sumfin-')); });
  afterEach(async () => {
    for (const c of clients.splice(0)) assert.equal(await c.dispose(), 0);
    if (server) await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Extraction calls get an empty answer (their chunks' ids kept, by part); the k-th summary call keeps the summary so
   * far and adds "Part k" citing its last new line, except where `fails(k)`: an HTTP 500.
   */
  async function scripted(fails: (k: number) => boolean = () => false): Promise<{ endpoint: string; parts: Map<number, string[]>; summaries: SummaryAsk[]; settles: string[] }> {
    const parts = new Map<number, string[]>();
    const summaries: SummaryAsk[] = [];
    /** The settle's requests at stop: answered with each point restated as "Settled: …", its cites kept. */
    const settles: string[] = [];
    server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => {
        const messages = (JSON.parse(body) as { messages: { content: string }[] }).messages;
        const ids = [...messages[1].content.matchAll(/^\[([\w-]+)\]/gm)].map((m) => m[1]);
        let content = JSON.stringify({ actionItems: [], decisions: [], dismiss: [] });
        if (messages[0].content.startsWith('You keep the summary') && messages[1].content.includes('The meeting has ended')) {
          settles.push(messages[1].content);
          const sofar = (JSON.parse(/^Summary so far \(JSON\):\n(.*)$/m.exec(messages[1].content)![1]) as { points: { text: string; cites: string[] }[] }).points;
          content = JSON.stringify({ points: sofar.map((p) => ({ text: `Settled: ${p.text}`, cites: p.cites })) });
        } else if (messages[0].content.startsWith('You keep the summary')) {
          const sofar = (JSON.parse(/^Summary so far \(JSON\):\n(.*)$/m.exec(messages[1].content)![1]) as { points: { text: string; cites: string[] }[] }).points;
          summaries.push({ ids, previous: sofar.map((p) => p.text) });
          if (fails(summaries.length)) {
            res.writeHead(500, { 'content-type': 'application/json' });
            return res.end('{"error":"overloaded"}');
          }
          content = JSON.stringify({ points: [...sofar, { text: `Part ${summaries.length} went over the release plan`, cites: [ids[ids.length - 1]] }] });
        } else {
          parts.set(Number(/Part (\d+) of/.exec(messages[1].content)?.[1] ?? 1), ids);
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'c', object: 'chat.completion', model: 'scripted:1b', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }));
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, parts, summaries, settles };
  }

  it('an interrupted session finalized later rolls its summary on from the last journaled one; a failed call is logged without text', async () => {
    const journalPath = path.join(dir, 'storage', 'sessions', `${SESSION}.jsonl`);
    const notesPath = path.join(dir, 'notes', 'sumfin.md');
    const journal = await Journal.create(journalPath, {
      sessionId: SESSION, title: 'Release planning', startedAt: '2030-01-01T09:00:00.000Z', sources: ['file'], language: 'en', notesPath, mode: 'meeting',
    });
    for (const [k, text] of LINES.entries()) {
      await journal.append({ type: 'segment', segmentId: `f-${k + 1}`, source: 'file', speaker: k % 2 ? 'Ben' : 'Ana', t0: k * 5, t1: k * 5 + 4, text });
    }
    // The live session summarized its first chunk before its daemon died.
    await journal.append({ type: 'summary', at: '2030-01-01T09:01:00.000Z', provider: 'openai-compatible', by: 'scripted:1b', chunks: 1, points: [{ text: 'Kept from before the crash', segmentIds: ['f-2'] }] });
    await journal.close();
    const endpoint = await scripted((k) => k === 2);
    const client = connectDaemon();
    clients.push(client);
    await client.initialize({
      protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), interruptedGraceSec: 3600,
      enhancement: { provider: 'openai-compatible', endpoint: endpoint.endpoint, model: 'scripted:1b', chunkChars: 1000, maxConcurrency: 2 },
    });
    await client.connection.sendRequest(SessionStop, { sessionId: SESSION });

    const records = (await readJournal(journalPath)).records;
    const run = records.find((x): x is Extract<JournalRecord, { type: 'refinement' }> => x.type === 'refinement')!;
    const chunks = run.chunks!;
    assert.ok(chunks >= 4, `${chunks} chunks`);
    assert.equal(endpoint.parts.size, chunks, 'the extraction read every chunk');
    // One summary call per chunk not yet summarized, in order, with that chunk's lines; the first from the kept summary.
    assert.deepEqual(endpoint.summaries.map((s) => s.ids), Array.from({ length: chunks - 1 }, (_, k) => endpoint.parts.get(k + 2)));
    assert.deepEqual(endpoint.summaries[0].previous, ['Kept from before the crash']);
    assert.deepEqual(endpoint.summaries[2].previous, ['Kept from before the crash', 'Part 1 went over the release plan'], 'the failed call left the summary so far');
    // Each revision journaled (not the failed one), before the run's record and the end.
    const types = records.map((x) => x.type);
    const all = records.filter((x): x is Extract<JournalRecord, { type: 'summary' }> => x.type === 'summary');
    // Then the settle over the last revision and the final lists: journaled last of them, settled.
    const revisions = all.slice(0, -1);
    const settled = all[all.length - 1];
    assert.deepEqual(revisions.map((x) => [x.chunks, x.settled]), [1, 2, ...Array.from({ length: chunks - 3 }, (_, k) => k + 4)].map((n) => [n, undefined]));
    assert.equal(endpoint.settles.length, 1);
    assert.deepEqual([settled.settled, settled.points.map((p) => p.text)], [true, revisions[revisions.length - 1].points.map((p) => `Settled: ${p.text}`)]);
    assert.ok(revisions.slice(1).every((x) => x.by === 'scripted:1b' && x.provider === 'openai-compatible'));
    assert.ok(types.lastIndexOf('summary') < types.indexOf('refinement'), types.join());
    assert.deepEqual(types.slice(-2), ['refinement', 'end']);
    // The notes' Summary: the kept point and each part's, citing links to anchored transcript lines.
    const notes = fs.readFileSync(notesPath, 'utf8');
    const bullets = notes.slice(notes.indexOf('## Summary'), notes.indexOf('## Decisions')).split('\n').filter((l) => l.startsWith('- '));
    assert.deepEqual(bullets.map((b) => b.replace(/ _\(.*$/, '')), ['- Settled: Kept from before the crash', ...revisions[revisions.length - 1].points.slice(1).map((p) => `- Settled: ${p.text}`)]);
    assert.equal(bullets.length, chunks - 1);
    assert.match(bullets[0], /_\(\[00:05\]\(#line-f-2\), Ben\)_$/);
    assert.ok(notes.includes('<a id="line-f-2"></a>'));
    // The failed call: logged at the default level with provider, chunk and reason, no transcript or answer text.
    const failed = client.logs.filter((l) => l.includes('"call":"summary"') && l.includes('"outcome":"failed"'));
    assert.equal(failed.length, 1, client.logs.filter((l) => l.includes('"call":"summary"')).join('\n'));
    assert.match(failed[0], /"level":"warn".*"provider":"openai-compatible".*"chunk":3.*"reason":"http-500"/);
    assert.doesNotMatch(client.logs.join('\n'), /discussion about|release plan|Kept from before/);
  });

  it('earshot notes --llm-endpoint prints the rolled summary: in JSON with its cites, in Markdown citing lines', async () => {
    const transcript = path.join(dir, 'meeting.txt');
    // About 15,000 characters: three of the CLI's 6,000-character chunks.
    fs.writeFileSync(transcript, Array.from({ length: 200 }, (_, k) => `${k % 2 ? 'Ben' : 'Ana'}: Line ${k + 1} of the discussion about the release plan and its risks.`).join('\n'));
    const endpoint = await scripted();
    const json = await runEarshot(['notes', transcript, '--json', '--llm-endpoint', endpoint.endpoint, '--llm-model', 'scripted:1b']);
    assert.equal(json.code, 0, json.stderr);
    const out = JSON.parse(json.stdout) as { summary: { text: string; cites: string[] }[]; summarySettled?: boolean };
    assert.ok(endpoint.parts.size >= 2, `${endpoint.parts.size} chunks`);
    assert.equal(endpoint.summaries.length, endpoint.parts.size, 'one summary call per chunk');
    assert.deepEqual(out.summary, endpoint.summaries.map((s, k) => ({ text: `Settled: Part ${k + 1} went over the release plan`, cites: [s.ids[s.ids.length - 1]] })));
    assert.equal(endpoint.settles.length, 1, 'settled once, after the last chunk');
    assert.equal(out.summarySettled, true);
    assert.ok(out.summary.every((p) => p.cites.every((c) => /^l-\d+$/.test(c))));

    const md = await runEarshot(['notes', transcript, '--md', '--llm-endpoint', endpoint.endpoint, '--llm-model', 'scripted:1b']);
    assert.equal(md.code, 0, md.stderr);
    const section = md.stdout.slice(md.stdout.indexOf('## Summary'), md.stdout.indexOf('## Decisions'));
    assert.match(section, /^## Summary\n\n_Written by scripted:1b \(opt-in language model\) from the transcript, settled at the end/);
    // The same chunks again: the scripted server numbers this run's parts on from the first run's.
    const lastLine = Number(out.summary[out.summary.length - 1].cites[0].slice(2));
    assert.equal(section.split('\n').filter((l) => l.startsWith('- ')).length, out.summary.length);
    assert.ok(section.includes(`- Settled: Part ${endpoint.summaries.length} went over the release plan _(line ${lastLine})_\n`), section);
    assert.doesNotMatch(json.stderr + md.stderr, /discussion about/);
  });
});
