/**
 * The opt-in refinement at stop, with the real daemon process, the mini test model and the sample recording:
 * provider 'vscode-lm' answered by this test's client (the part the extension plays; the extension's own use of
 * vscode.lm cannot run here: code-server offers no language models), declined, never answered; and provider
 * 'openai-compatible' against a fake chat-completions server on 127.0.0.1.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { JournalRecord, readJournal } from '../../daemon/journal/journal';
import { sessionExport } from '../../daemon/notes/export';
import {
  ActionItem, ActionItemNotification, EnhancementSettings, PROTOCOL_VERSION, Refine, RefineParams, RefineResult, SessionStart,
} from '../../protocol/protocol';
import { miniModel, SAMPLE_WAV, TEST_WORD } from '../setup';
import { connectDaemon, RpcClient } from './daemon-process';

interface Run {
  client: RpcClient;
  notes: string;
  records: JournalRecord[];
  journalPath: string;
  items: ActionItem[];
  /** ms from the session's 'finalizing' state to 'done'. */
  finalizingMs: number;
}

describe('opt-in refinement of the notes at stop (real daemon)', function () {
  this.timeout(120_000);
  let dir: string;
  const clients: RpcClient[] = [];

  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-refine-')); });
  afterEach(async () => {
    for (const c of clients.splice(0)) assert.equal(await c.dispose(), 0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a file session on the sample with `enhancement`; `answer` plays the extension's part of `earshot/refine`. */
  async function run(enhancement: EnhancementSettings, answer?: (params: RefineParams) => Promise<RefineResult | null>): Promise<Run> {
    const client = connectDaemon();
    clients.push(client);
    const items: ActionItem[] = [];
    client.connection.onNotification(ActionItemNotification, (i) => { items.push(i); });
    if (answer) client.connection.onRequest(Refine, (params) => answer(params));
    await client.initialize({
      protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: miniModel(), threads: 1, enhancement,
    });
    const started = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast', title: 'Standup' });
    let finalizingAt = 0;
    await client.waitFor('finalizing', () => client.states.some((s) => s.state === 'finalizing'), 90_000);
    finalizingAt = Date.now();
    const done = await client.sessionDone(started.sessionId);
    const finalizingMs = Date.now() - finalizingAt;
    assert.equal(done.error, undefined);
    const journalPath = path.join(dir, 'storage', 'sessions', `${started.sessionId}.jsonl`);
    return { client, notes: fs.readFileSync(started.notesPath, 'utf8'), records: (await readJournal(journalPath)).records, items, finalizingMs, journalPath };
  }

  const summaryOf = (notes: string) => notes.slice(notes.indexOf('## Summary'), notes.indexOf('## Decisions'));
  const refinementLogs = (client: RpcClient) => client.logs.filter((l) => l.includes('"event":"refinement"'));

  it("vscode-lm: asks the client with the meeting's content and shows its answer, labelled, in the notes and the journal", async () => {
    const asked: RefineParams[] = [];
    const r = await run({ provider: 'vscode-lm', timeoutSec: 10 }, async (params) => {
      asked.push(params);
      return {
        model: 'test-lm/fake-1',
        summary: ['The team said hello a great deal.', 'Nobody disagreed.'],
        actionItems: [{ text: 'Send the standup recording to the team', owner: 'Speaker', due: '2030-01-15' }, { text: 42 } as never],
        decisions: [{ text: 'Keep the standup at 30 seconds', kind: 'decision' }],
      };
    });
    assert.equal(asked.length, 1, 'asked once, at stop');
    const params = asked[0];
    const segments = r.records.filter((x) => x.type === 'segment');
    assert.equal(params.title, 'Standup');
    assert.match(params.date, /^\d{4}-\d\d-\d\dT/);
    assert.equal(params.transcript.length, segments.length, 'the whole (short) transcript');
    assert.equal(params.omittedLines, 0);
    for (const line of params.transcript) {
      assert.equal(line.speaker, 'Speaker');
      assert.match(line.text, new RegExp(`^${TEST_WORD}`));
      assert.equal(typeof line.t0, 'number');
    }
    assert.ok(params.summary.length >= 1 && params.summary.some((b) => /decisions?|action items?|questions?/.test(b)), JSON.stringify(params.summary));
    assert.deepEqual(params.actionItems, []);
    assert.deepEqual(params.decisions, []);

    // The journal: the added item and decision (marked), then the refinement record, then the end.
    const types = r.records.map((x) => x.type);
    assert.deepEqual(types.slice(-4), ['actionItem', 'decision', 'refinement', 'end']);
    const refinement = r.records.find((x): x is Extract<JournalRecord, { type: 'refinement' }> => x.type === 'refinement')!;
    assert.equal(refinement.provider, 'vscode-lm');
    assert.equal(refinement.model, 'test-lm/fake-1');
    assert.deepEqual(refinement.summary, ['The team said hello a great deal.', 'Nobody disagreed.']);
    assert.deepEqual(refinement.actionItemIds, ['ar1']);
    assert.deepEqual(refinement.decisionIds, ['dr1']);
    assert.deepEqual(r.items.map((i) => [i.id, i.text, i.refinedBy]), [['ar1', 'Send the standup recording to the team', 'test-lm/fake-1']], 'announced too');

    // The JSON export carries the refinement and marks what the model wrote.
    const exported = sessionExport(await readJournal(r.journalPath));
    assert.deepEqual(exported.refinement, { model: 'test-lm/fake-1', summary: ['The team said hello a great deal.', 'Nobody disagreed.'] });
    assert.deepEqual(exported.actionItems.filter((i) => i.refinedBy).map((i) => i.id), ['ar1']);

    // The notes: the labelled refinement above the extractive summary, which stays.
    const summary = summaryOf(r.notes);
    assert.match(summary, /_Refined by test-lm\/fake-1 \(opt-in\)\./);
    assert.ok(summary.indexOf('- The team said hello a great deal.') < summary.indexOf('_Extractive summary'), summary);
    assert.match(summary, /_Extractive summary: sentences from the transcript\._\n\n- /);
    assert.match(r.notes, /- \[ \] Send the standup recording to the team — @Speaker, due 2030-01-15 _\(added by refinement, 00:\d\d\)_ <!-- earshot:ar1 -->/);
    assert.match(r.notes, /- Keep the standup at 30 seconds _\(added by refinement, 00:\d\d\)_/);
    const logs = refinementLogs(r.client);
    assert.equal(logs.length, 1);
    assert.match(logs[0], /"outcome":"applied"/);
    assert.doesNotMatch(logs[0], new RegExp(TEST_WORD), 'no transcript text in the log');
  });

  it('vscode-lm: a client that declines (null) leaves the extractive notes, and the session ends', async () => {
    let asked = 0;
    const r = await run({ provider: 'vscode-lm', timeoutSec: 10 }, async () => { asked++; return null; });
    assert.equal(asked, 1);
    assert.equal(r.records.some((x) => x.type === 'refinement'), false);
    assert.equal(r.records[r.records.length - 1].type, 'end');
    assert.doesNotMatch(r.notes, /Refined by|Extractive summary|refinement/);
    assert.match(summaryOf(r.notes), /^## Summary\n\n- /);
    assert.match(refinementLogs(r.client)[0], /"outcome":"declined"/);
  });

  it('vscode-lm: a client that never answers is given up on after timeoutSec; the extractive notes stand', async () => {
    let asked = 0;
    const r = await run({ provider: 'vscode-lm', timeoutSec: 1 }, () => { asked++; return new Promise(() => undefined); });
    assert.equal(asked, 1);
    assert.ok(r.finalizingMs < 6000, `stop took ${r.finalizingMs} ms to finish`);
    assert.ok(r.finalizingMs >= 900, `stop did not wait for the refinement (${r.finalizingMs} ms)`);
    assert.equal(r.records.some((x) => x.type === 'refinement'), false);
    assert.doesNotMatch(r.notes, /Refined by|refinement/);
    const logs = refinementLogs(r.client);
    assert.match(logs[0], /"level":"warn".*"outcome":"timeout"/);
    assert.doesNotMatch(logs[0], new RegExp(TEST_WORD));
  });

  it('openai-compatible: the daemon posts to a local chat-completions server and uses its answer', async () => {
    const requests: { url: string; body: { model?: string; messages: { role: string; content: string }[]; response_format?: unknown } }[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => {
        requests.push({ url: req.url ?? '', body: JSON.parse(body) });
        const content = 'Here is the JSON you asked for:\n```json\n' + JSON.stringify({
          summary: ['A short standup in which everyone said hello.'],
          actionItems: [{ text: 'Book a longer meeting', owner: null, due: 'someday' }],
        }) + '\n```\nAnything else?';
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', model: 'llama-test:1b', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      let askedClient = 0;
      const r = await run({ provider: 'openai-compatible', endpoint, model: 'llama-test:1b', timeoutSec: 10 }, async () => { askedClient++; return null; });
      assert.equal(askedClient, 0, 'the client is not asked for openai-compatible');
      assert.equal(requests.length, 1);
      assert.equal(requests[0].url, '/v1/chat/completions');
      assert.equal(requests[0].body.model, 'llama-test:1b');
      assert.deepEqual(requests[0].body.response_format, { type: 'json_object' });
      assert.deepEqual(requests[0].body.messages.map((m) => m.role), ['system', 'user']);
      assert.match(requests[0].body.messages[1].content, /Meeting: Standup/);
      assert.match(requests[0].body.messages[1].content, new RegExp(`\\] Speaker: ${TEST_WORD}`));
      const refinement = r.records.find((x): x is Extract<JournalRecord, { type: 'refinement' }> => x.type === 'refinement');
      assert.equal(refinement?.provider, 'openai-compatible');
      assert.equal(refinement?.model, 'llama-test:1b');
      assert.match(summaryOf(r.notes), /_Refined by llama-test:1b \(opt-in\)\.[^\n]*\n\n- A short standup in which everyone said hello\.\n\n_Extractive summary/);
      assert.match(r.notes, /- \[ \] Book a longer meeting _\(added by refinement, 00:\d\d\)_ <!-- earshot:ar1 -->/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
