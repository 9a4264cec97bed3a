/**
 * The opt-in language-model extraction at stop, end to end: the real daemon process over real JSON-RPC, provider
 * 'openai-compatible' against a SCRIPTED chat-completions server on 127.0.0.1 (a real HTTP server in this test that
 * answers per chunk), the session an interrupted one in storage that `earshot/session/stop` finalizes (so the
 * transcript and the rule-based items are exactly known). Covers: chunks and their overlap, an invalid answer retried,
 * a 429 then success, an answer slower than the timeout, concurrency never above the bound, the token budget, a false
 * rule-based item dismissed (journaled `removed` with its reason, struck through in the notes) and restored, and
 * cancel aborting in-flight requests; and a live session whose chunks are extracted while it runs (the stop sends only
 * the last). The vscode-lm path: test/editor/suite/language-model.test.ts (a chat model registered through VS Code's
 * Language Model API in code-server) and test/unit/model-extract.test.ts.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Journal, JournalRecord, readJournal } from '../../daemon/journal/journal';
import { miniModel, SAMPLE_WAV, sayingModel } from '../setup';
import {
  ActionItem, ActionItemNotification, EnhancementSettings, SummaryNotification, SummaryParams, ExtractionCancel, LanguageModelChat, LanguageModelChatParams, SessionStart, SessionTranscript, ExtractionProgressNotification, ExtractionProgressParams, ItemRestore, PROTOCOL_VERSION, SessionStop,
} from '../../protocol/protocol';
import { connectDaemon, RpcClient, runEarshot } from './daemon-process';

const SESSION = '20300101-0900-scripted';
/** The `max_tokens` of the requests the scripted server saw. */
const maxTokens = new Set<number | undefined>();

/** A meeting of 40 lines; line 3 is "I'll go first", which the rules took for an action item (a1). */
const LINES = Array.from({ length: 40 }, (_, k) => k === 2 ? "Okay, I'll go first with the slides."
  : k === 20 ? 'Maria will send the budget figures to finance by Friday.'
    : `Line ${k + 1} of the discussion about the release plan and its risks.`);

interface Scripted {
  url: string;
  user: string;
  chunk: number;
  attempt: number;
  ids: string[];
  chars: number;
}

describe('language-model extraction over the whole meeting (real daemon, scripted endpoint)', function () {
  this.timeout(120_000);
  let dir: string;
  const clients: RpcClient[] = [];
  let server: http.Server | undefined;

  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-llm-')); });
  afterEach(async () => {
    for (const c of clients.splice(0)) assert.equal(await c.dispose(), 0);
    if (server) await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Writes an interrupted session's journal: 40 segments and the rule-based items a1 (false) and a2. */
  async function interruptedSession(): Promise<{ journalPath: string; notesPath: string }> {
    const journalPath = path.join(dir, 'storage', 'sessions', `${SESSION}.jsonl`);
    const notesPath = path.join(dir, 'notes', 'scripted.md');
    const journal = await Journal.create(journalPath, {
      sessionId: SESSION, title: 'Release planning', startedAt: '2030-01-01T09:00:00.000Z', sources: ['file'], language: 'en', notesPath, mode: 'meeting',
    });
    for (const [k, text] of LINES.entries()) {
      await journal.append({ type: 'segment', segmentId: `f-${k + 1}`, source: 'file', speaker: k % 2 ? 'Ben' : 'Ana', t0: k * 5, t1: k * 5 + 4, text });
    }
    await journal.append({ type: 'actionItem', id: 'a1', revision: 1, text: "I'll go first with the slides", owner: 'Ana', due: null, duePhrase: null, segmentId: 'f-3', t0: 10 });
    await journal.append({ type: 'actionItem', id: 'a2', revision: 1, text: 'Maria will send the budget figures to finance', owner: 'Maria', due: null, duePhrase: null, segmentId: 'f-21', t0: 100 });
    await journal.close();
    return { journalPath, notesPath };
  }

  /** A scripted chat-completions server: `answer` decides per request (chunk, attempt) what to do. */
  async function scriptedServer(answer: (r: Scripted, res: http.ServerResponse, req: http.IncomingMessage) => void): Promise<{ endpoint: string; requests: Scripted[]; summaries: Scripted[]; maxInFlight: () => number; aborted: () => number }> {
    const requests: Scripted[] = [];
    /** The rolling summary's requests (a live session's, one per chunk): answered at once, a point citing the last new line. */
    const summaries: Scripted[] = [];
    maxTokens.clear();
    const attempts = new Map<number, number>();
    let inFlight = 0, maxInFlight = 0, aborted = 0;
    server = http.createServer((req, res) => {
      let body = '';
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      let finished = false;
      res.on('finish', () => { finished = true; inFlight--; });
      res.on('close', () => { if (!finished) { aborted++; inFlight--; } });
      req.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => {
        const parsed = JSON.parse(body) as { messages: { content: string }[]; max_tokens?: number };
        maxTokens.add(parsed.max_tokens);
        const user = parsed.messages[1].content;
        if (parsed.messages[0].content.startsWith('You keep the summary')) {
          const ids = [...user.matchAll(/^\[([\w-]+)\]/gm)].map((m) => m[1]);
          summaries.push({ url: req.url ?? '', user, chunk: summaries.length + 1, attempt: 1, ids, chars: parsed.messages[0].content.length + user.length });
          const previous = (JSON.parse(/^Summary so far \(JSON\):\n(.*)$/m.exec(user)![1]) as { points: { text: string; cites: string[] }[] }).points;
          // The summary so far, kept, plus a point for the new lines (and a cite of a line that does not exist, dropped).
          return reply(res, JSON.stringify({ points: [...previous, { text: `Part ${summaries.length} went over the release plan`, cites: [ids[ids.length - 1], 'f-999'] }] }));
        }
        const chunk = Number(/Part (\d+) of/.exec(user)![1]);
        const attempt = (attempts.get(chunk) ?? 0) + 1;
        attempts.set(chunk, attempt);
        const ids = [...user.matchAll(/^\[([\w-]+)\]/gm)].map((m) => m[1]);
        const r = { url: req.url ?? '', user, chunk, attempt, ids, chars: parsed.messages[0].content.length + user.length };
        requests.push(r);
        answer(r, res, req);
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, summaries, maxInFlight: () => maxInFlight, aborted: () => aborted };
  }

  const reply = (res: http.ServerResponse, content: string) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'c', object: 'chat.completion', model: 'scripted:1b', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }));
  };
  const empty = JSON.stringify({ actionItems: [], decisions: [], dismiss: [] });

  async function daemon(enhancement: EnhancementSettings): Promise<{ client: RpcClient; progress: ExtractionProgressParams[] }> {
    const client = connectDaemon();
    clients.push(client);
    const progress: ExtractionProgressParams[] = [];
    client.connection.onNotification(ExtractionProgressNotification, (p) => { progress.push(p); });
    client.connection.onNotification(ActionItemNotification, () => undefined);
    await client.initialize({ protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), interruptedGraceSec: 3600, enhancement });
    return { client, progress };
  }

  it('maps every chunk (overlapping, at most 2 at once), survives invalid JSON, 429 and a slow answer, dismisses a false item, and restores it', async () => {
    const { journalPath, notesPath } = await interruptedSession();
    const scripted = await scriptedServer((r, res) => {
      const later = (ms: number, f: () => void) => setTimeout(f, ms);
      if (r.chunk === 1 && r.attempt === 1) return later(50, () => reply(res, 'Sorry, I cannot help with that {not json'));
      if (r.chunk === 1) {
        return later(50, () => reply(res, JSON.stringify({
          actionItems: [{ text: 'Ana shares the slide deck with the team', owner: 'Ana', due: '2030-01-03', segments: ['f-4', 'f-999'] }],
          decisions: [], dismiss: [{ id: 'a1', reason: 'Presenting in the room now, not work after the meeting.' }, { id: 'a2', reason: 'not shown in this chunk' }],
        })));
      }
      if (r.chunk === 2 && r.attempt === 1) {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
        return res.end('{"error":"rate limited"}');
      }
      if (r.chunk === 3 && r.attempt === 1) return later(2500, () => { if (!res.destroyed) reply(res, empty); }); // beyond the 1 s timeout
      if (r.chunk === 3) {
        return later(50, () => reply(res, JSON.stringify({
          actionItems: [{ text: 'Maria sends the budget figures to finance', owner: 'Maria', due: '2030-01-04', segments: ['f-21'] }],
          decisions: [{ text: 'Ship the release on Monday', kind: 'decision', segments: ['f-22'] }], dismiss: [],
          // Maria is no one in the room: Ben (any case) owns it; a made-up name is not taken.
          owners: [{ id: 'a2', owner: 'ben' }, { id: 'a1', owner: 'Someone Else' }],
        })));
      }
      later(150, () => reply(res, empty));
    });
    const { client, progress } = await daemon({ provider: 'openai-compatible', endpoint: scripted.endpoint, model: 'scripted:1b', timeoutSec: 1, maxConcurrency: 2, chunkChars: 1000 });
    await client.connection.sendRequest(SessionStop, { sessionId: SESSION });

    // Chunks: in order, overlapping by 4 lines, covering every line.
    const firsts = [...new Map(scripted.requests.map((r) => [r.chunk, r.ids])).entries()].sort((a, b) => a[0] - b[0]).map(([, ids]) => ids);
    assert.ok(firsts.length >= 4, `${firsts.length} chunks`);
    for (let k = 1; k < firsts.length; k++) assert.deepEqual(firsts[k].slice(0, 4), firsts[k - 1].slice(-4), `chunk ${k + 1} starts with the last 4 lines of chunk ${k}`);
    assert.deepEqual([...new Set(firsts.flat())].sort(), LINES.map((_, k) => `f-${k + 1}`).sort());
    assert.ok(scripted.requests.every((r) => r.url === '/v1/chat/completions'));
    assert.ok(scripted.maxInFlight() <= 2, `at most 2 requests at once, saw ${scripted.maxInFlight()}`);
    assert.equal(scripted.maxInFlight(), 2, 'and the bound is used');
    assert.deepEqual(scripted.requests.filter((r) => r.chunk <= 3).map((r) => [r.chunk, r.attempt]).sort(), [[1, 1], [1, 2], [2, 1], [2, 2], [3, 1], [3, 2]]);

    // Progress: chunk by chunk, then done.
    const last = progress[progress.length - 1];
    assert.equal(last.state, 'done');
    assert.equal(last.finished, firsts.length);
    assert.equal(last.failed, 0);
    assert.ok(progress.some((p) => p.state === 'running' && p.finished > 0 && p.finished < p.chunks));

    // Journal: the added item and decision, the dismissal with its reason, the run record; a2 confirmed, not dismissed.
    const records = (await readJournal(journalPath)).records;
    const run = records.find((x): x is Extract<JournalRecord, { type: 'refinement' }> => x.type === 'refinement')!;
    assert.equal(run.provider, 'openai-compatible');
    assert.equal(run.model, 'scripted:1b');
    assert.deepEqual(run.dismissedIds, ['a1']);
    assert.equal(run.state, 'done');
    assert.equal(run.chunks, firsts.length);
    const dismissal = records.filter((x) => x.type === 'actionItem' && x.id === 'a1').pop() as Extract<JournalRecord, { type: 'actionItem' }>;
    assert.equal(dismissal.removed, true);
    assert.deepEqual(dismissal.dismissed, { by: 'scripted:1b', reason: 'Presenting in the room now, not work after the meeting.' });
    const a2 = records.filter((x) => x.type === 'actionItem' && x.id === 'a2').pop() as Extract<JournalRecord, { type: 'actionItem' }>;
    assert.equal(a2.removed, undefined);
    assert.equal(a2.due, '2030-01-04', 'the model completed the due date the rules lacked');
    assert.equal(a2.owner, 'Ben', "the model corrected the owner, to the speaker's label");
    assert.equal(a2.refinedBy, 'scripted:1b');
    const added = records.find((x) => x.type === 'actionItem' && x.id === 'am1') as Extract<JournalRecord, { type: 'actionItem' }>;
    assert.equal(added.segmentId, 'f-4', 'anchored on the line it cites (the unknown f-999 dropped)');
    assert.equal(records.filter((x) => x.type === 'actionItem' && /^am/.test(x.id)).length, 1, 'the confirmation of a2 is not added twice');
    assert.ok(records.some((x) => x.type === 'decision' && x.id === 'dm1' && x.segmentId === 'f-22'));
    assert.equal(records[records.length - 1].type, 'end');

    // Notes: the dismissed item struck through with its reason, no longer a task; the model's item marked.
    let notes = fs.readFileSync(notesPath, 'utf8');
    assert.match(notes, /_Dismissed by scripted:1b \(opt-in language model\)/);
    assert.match(notes, /- ~~I'll go first with the slides~~ — Presenting in the room now, not work after the meeting\. _\(dismissed, 00:10\)_/);
    assert.doesNotMatch(notes, /- \[ \] I'll go first/);
    assert.match(notes, /- \[ \] Ana shares the slide deck with the team — @Ana, due 2030-01-03 _\(found by scripted:1b, 00:15\)_ <!-- earshot:am1 -->/);
    assert.match(notes, /- \[ \] Maria will send the budget figures to finance — @Ben, due 2030-01-04 /);

    // A panel that reloads the session gets the dismissed item too (to show it struck through, with Restore).
    const reloaded = await client.connection.sendRequest(SessionTranscript, { sessionId: SESSION });
    const shown = reloaded.actionItems.find((i) => i.id === 'a1');
    assert.equal(shown?.removed, true);
    assert.equal(shown?.dismissed?.reason, 'Presenting in the room now, not work after the meeting.');

    // Restore: back as a task, the dismissal kept in the journal's history.
    const restored = await client.connection.sendRequest(ItemRestore, { sessionId: SESSION, kind: 'actionItem', id: 'a1' });
    assert.equal(restored.removed, undefined);
    assert.equal((restored as { restored?: boolean }).restored, true);
    notes = fs.readFileSync(notesPath, 'utf8');
    assert.match(notes, /- \[ \] I'll go first with the slides — @Ana _\(00:10\)_ <!-- earshot:a1 -->/);
    assert.doesNotMatch(notes, /~~I'll go first/);
    const after = (await readJournal(journalPath)).records.filter((x) => x.type === 'actionItem' && x.id === 'a1');
    assert.deepEqual(after.map((x) => { const i = x as Extract<JournalRecord, { type: 'actionItem' }>; return [i.revision, i.removed ?? false]; }), [[1, false], [2, true], [3, false]]);

    // The log says how each call went, never what was said.
    const logs = client.logs.filter((l) => l.includes('"event":"refinement"'));
    assert.ok(logs.some((l) => /"outcome":"failed".*"reason":"http-429"/.test(l)));
    assert.ok(logs.some((l) => /"outcome":"timeout"/.test(l)));
    assert.ok(logs.some((l) => /"reason":"invalid answer"/.test(l)));
    assert.doesNotMatch(client.logs.join('\n'), /budget figures|go first|slide deck/);
  });

  it('stops sending chunks when the token budget is spent, and says so', async () => {
    await interruptedSession();
    const scripted = await scriptedServer((_r, res) => reply(res, empty));
    const { client, progress } = await daemon({ provider: 'openai-compatible', endpoint: scripted.endpoint, maxConcurrency: 1, chunkChars: 1000, tokenBudget: 2000 });
    await client.connection.sendRequest(SessionStop, { sessionId: SESSION });
    const last = progress[progress.length - 1];
    assert.equal(last.state, 'budget');
    assert.match(last.message, /token budget \(2000\) spent after \d+ of \d+ chunks/);
    assert.ok(scripted.requests.length >= 1 && scripted.requests.length < last.chunks, `${scripted.requests.length} of ${last.chunks} chunks sent`);
    const sentTokens = scripted.requests.reduce((n, r) => n + Math.ceil(r.chars / 4), 0);
    assert.ok(sentTokens <= 2000, `prompts sent: about ${sentTokens} tokens`);
    assert.ok(last.tokens <= 2000);
    assert.deepEqual([...maxTokens], [1000], 'answers are capped at the tokens reserved for them');
  });

  it('cancel aborts the requests in flight and keeps the rule-based notes', async () => {
    const { notesPath } = await interruptedSession();
    const scripted = await scriptedServer(() => undefined); // never answers
    const { client, progress } = await daemon({ provider: 'openai-compatible', endpoint: scripted.endpoint, maxConcurrency: 2, chunkChars: 1000, timeoutSec: 60 });
    const stopping = client.connection.sendRequest(SessionStop, { sessionId: SESSION });
    await client.waitFor('two requests in flight', () => scripted.requests.length >= 2, 20_000);
    assert.deepEqual(await client.connection.sendRequest(ExtractionCancel, { sessionId: SESSION }), { cancelled: true });
    await stopping;
    await client.waitFor('requests aborted', () => scripted.aborted() >= 2, 10_000);
    assert.equal(scripted.requests.length, 2, 'no chunk is sent after the cancel');
    assert.equal(progress[progress.length - 1].state, 'cancelled');
    const notes = fs.readFileSync(notesPath, 'utf8');
    assert.match(notes, /- \[ \] I'll go first with the slides/);
    assert.deepEqual(await client.connection.sendRequest(ExtractionCancel, { sessionId: SESSION }), { cancelled: false });
  });

  it('earshot notes --llm-endpoint: the same extraction over a transcript file, dismissal included; a remote endpoint is refused', async () => {
    const transcript = path.join(dir, 'meeting.txt');
    fs.writeFileSync(transcript, ["Ana: Okay, I'll go first with the slides.", 'Ben: Sounds good.', 'Ana: Maria will send the budget figures to finance by Friday.', 'Ben: We agreed to ship on Monday.'].join('\n'));
    let shown: string[] = [];
    const scripted = await scriptedServer((r, res, _req) => {
      shown = [...r.user.matchAll(/"id":"(a\d+)","kind":"actionItem","text":"([^"]*)"/g)].map((m) => `${m[1]}:${m[2]}`);
      reply(res, JSON.stringify({
        actionItems: [{ text: 'Ben updates the release checklist', owner: 'Ben', due: null, segments: [r.ids[1]] }],
        decisions: [],
        // Whatever the rules found first (the commitment on line 3): the model dismisses it, the CLI shows it dismissed.
        dismiss: shown.length ? [{ id: shown[0].split(':')[0], reason: 'Scripted dismissal.' }] : [],
      }));
    });
    const run = await runEarshot(['notes', transcript, '--date', '2030-01-01', '--json', '--llm-endpoint', scripted.endpoint, '--llm-model', 'scripted:1b']);
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout) as { actionItems: { text: string; by?: string }[]; dismissed: { text: string; reason: string; by: string }[] };
    assert.equal(scripted.requests.length, 1);
    assert.deepEqual(scripted.requests[0].ids, ['l-1', 'l-2', 'l-3', 'l-4']);
    assert.ok(shown.length >= 1, 'the rules found the commitment on line 3 and the model was shown it');
    const dismissedText = shown[0].slice(shown[0].indexOf(':') + 1);
    assert.deepEqual(out.dismissed, [{ kind: 'actionItem', text: dismissedText, reason: 'Scripted dismissal.', by: 'scripted:1b' }]);
    assert.ok(!out.actionItems.some((i) => i.text === dismissedText), 'the dismissed item is not among the action items');
    assert.ok(out.actionItems.some((i) => i.text === 'Ben updates the release checklist' && i.by === 'scripted:1b'));
    assert.match(run.stderr, /language model: 1 chunk done/);
    const remote = await runEarshot(['notes', transcript, '--llm-endpoint', 'https://api.example.com']);
    assert.equal(remote.code, 2);
    assert.match(remote.stderr, /not on this machine.*--llm-allow-remote/s);
  });

  it('vscode-lm at a normal stop: the daemon asks the client chunk by chunk (earshot/languageModel/chat) and announces what it added', async () => {
    const client = connectDaemon();
    clients.push(client);
    const asked: LanguageModelChatParams[] = [];
    const items: ActionItem[] = [];
    const progress: ExtractionProgressParams[] = [];
    client.connection.onNotification(ActionItemNotification, (i) => { items.push(i); });
    client.connection.onNotification(ExtractionProgressNotification, (p) => { progress.push(p); });
    // The part the extension plays (extension/languageModel.ts relays this to vscode.lm; code-server has no model).
    client.connection.onRequest(LanguageModelChat, (params) => {
      asked.push(params);
      const first = /^\[([\w-]+)\]/m.exec(params.user)![1];
      return { text: JSON.stringify({ actionItems: [{ text: 'Send the standup recording to the team', owner: 'Speaker', due: null, segments: [first] }], decisions: [], dismiss: [] }), model: 'test-lm/fake-1' };
    });
    await client.initialize({
      protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: miniModel(), threads: 1,
      enhancement: { provider: 'vscode-lm' },
    });
    const started = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast', title: 'Standup' });
    const done = await client.sessionDone(started.sessionId);
    assert.equal(done.error, undefined);
    assert.ok(asked.length >= 1);
    assert.ok(asked.every((a) => a.sessionId === started.sessionId && /Answer with one JSON object/.test(a.system)));
    const added = items.filter((i) => i.id === 'am1');
    assert.equal(added.length, 1, 'announced once');
    assert.equal(added[0].refinedBy, 'test-lm/fake-1');
    assert.equal(progress[progress.length - 1].state, 'done');
    const notes = fs.readFileSync(started.notesPath, 'utf8');
    assert.match(notes, /- \[ \] Send the standup recording to the team — @Speaker _\(found by test-lm\/fake-1, 00:\d\d\)_ <!-- earshot:am1 -->/);
    const records = (await readJournal(path.join(dir, 'storage', 'sessions', `${started.sessionId}.jsonl`))).records;
    assert.deepEqual(records.slice(-2).map((r) => r.type), ['refinement', 'end']);
  });

  it('while the meeting runs: each closed chunk is sent and its answer journaled and announced before the stop, which sends only the last', async () => {
    // Every final says this (about 280 characters): 1000-character chunks of two or three lines; the sample's six turns
    // make three chunks, the first two closed while the meeting runs (by the finals of turns 4 and 5).
    const tokens = [' Alice', ' reviews-the', ' quarterly-budget', ' figures-and-the', ' release-plan', ' with-finance', ' before-the', ' steering',
      ' committee-meets', ' next-Friday', ' morning-and', ' reports-back', ' to-the-whole', ' engineering', ' team-with-a', ' written-summary',
      ' of-every-risk', ' found-so-far', '.'];
    const model = sayingModel('live-notes', tokens);
    const ANSWER_MS = 400;
    const received: { chunk: number; at: number; ids: string[] }[] = [];
    const scripted = await scriptedServer((r, res) => {
      received.push({ chunk: r.chunk, at: Date.now(), ids: r.ids });
      setTimeout(() => reply(res, JSON.stringify({
        actionItems: [{ text: `Alice reports part ${r.chunk} back to the team`, owner: null, due: null, segments: [r.ids[r.ids.length - 1]] }], decisions: [], dismiss: [],
      })), ANSWER_MS);
    });
    const client = connectDaemon();
    clients.push(client);
    const announced: { id: string; at: number }[] = [];
    const progress: ExtractionProgressParams[] = [];
    client.connection.onNotification(ActionItemNotification, (i) => { announced.push({ id: i.id, at: Date.now() }); });
    client.connection.onNotification(ExtractionProgressNotification, (p) => { progress.push(p); });
    const summaries: { at: number; params: SummaryParams }[] = [];
    client.connection.onNotification(SummaryNotification, (params) => { summaries.push({ at: Date.now(), params }); });
    await client.initialize({
      protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: model, threads: 1,
      enhancement: { provider: 'openai-compatible', endpoint: scripted.endpoint, model: 'scripted:1b', chunkChars: 1000, maxConcurrency: 2, timeoutSec: 20 },
    });
    const started = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'realtime', title: 'Release planning' });
    const done = await client.sessionDone(started.sessionId);
    assert.equal(done.error, undefined);
    // When the daemon said so (its log lines carry the time, on this machine's clock).
    const stateAt = (state: string) => Date.parse((JSON.parse(client.logs.find((l) => l.includes('"event":"state"') && l.includes(`"state":"${state}"`))!) as { time: string }).time);
    const stopping = stateAt('stopping');
    const finished = stateAt('done');
    const records = (await readJournal(path.join(dir, 'storage', 'sessions', `${started.sessionId}.jsonl`))).records;
    const run = records.find((x): x is Extract<JournalRecord, { type: 'refinement' }> => x.type === 'refinement')!;
    const chunks = run.chunks ?? 0;
    assert.ok(chunks >= 3, `${chunks} chunks`);
    assert.equal(run.state, 'done');
    assert.equal(received.length, chunks, 'each chunk sent once');
    assert.deepEqual(received.map((r) => r.chunk), received.map((_, k) => k + 1), 'in order, one at a time');

    // During the meeting: every chunk but the last, answered and announced before the stop began.
    const before = received.filter((r) => r.at < stopping);
    assert.equal(before.length, chunks - 1, `chunks sent before the stop: ${before.length} of ${chunks}`);
    const liveItems = announced.filter((a) => /^am/.test(a.id) && a.at < stopping);
    assert.ok(liveItems.length >= 1, 'what the model found was announced while the meeting ran');
    // Journaled during the meeting: the model's first item comes before the last final in the journal.
    const firstModelItem = records.findIndex((x) => x.type === 'actionItem' && /^am/.test(x.id));
    const lastSegment = records.map((x) => x.type).lastIndexOf('segment');
    assert.ok(firstModelItem >= 0 && firstModelItem < lastSegment, 'a model item journaled before the last final');
    assert.ok(progress.some((p) => p.state === 'running' && p.finished >= 1 && Date.now() && p.chunks >= 2), 'progress counted over the meeting');
    assert.equal(progress[progress.length - 1].state, 'done');
    assert.equal(progress[progress.length - 1].chunks, chunks);

    // The stop sent only the last chunk: the final notes came one answer after the end of the audio, not one per chunk.
    assert.ok(finished - stopping < ANSWER_MS * 2 + 1500, `stop to final notes: ${finished - stopping} ms`);
    const notes = fs.readFileSync(started.notesPath, 'utf8');
    for (let k = 1; k <= chunks; k++) assert.match(notes, new RegExp(`Alice reports part ${k} back to the team`));
    assert.deepEqual(records.slice(-2).map((x) => x.type), ['refinement', 'end']);

    // The rolling summary: one small call per chunk, with that chunk's lines only; revised and announced while the
    // meeting ran; each revision journaled (before the notes and the notification follow).
    assert.deepEqual(scripted.summaries.map((r) => r.ids), received.map((r) => r.ids), 'one summary call per chunk, its lines only');
    const journaled = records.filter((x): x is Extract<JournalRecord, { type: 'summary' }> => x.type === 'summary');
    assert.deepEqual(journaled.map((x) => x.chunks), received.map((_, k) => k + 1));
    assert.ok(journaled.every((x) => x.by === 'scripted:1b' && x.points.every((p) => !p.segmentIds.includes('f-999'))), 'an unknown cite is dropped');
    const live = summaries.filter((x) => x.at < stopping && x.params.sessionId === started.sessionId && x.params.points?.length);
    assert.ok(live.length >= 1, `a summary with points was announced before the stop: ${JSON.stringify(summaries.map((x) => x.params))}`);
    assert.equal(live[0].params.final, false);
    const last = summaries[summaries.length - 1].params;
    assert.ok(last.final);
    assert.deepEqual(last.points?.map((p) => p.text), received.map((_, k) => `Part ${k + 1} went over the release plan`));
    assert.equal(last.by, 'scripted:1b');
    // The notes' Summary: those points, each citing links that land on the transcript line they name, at its clock time.
    const summary = notes.slice(notes.indexOf('## Summary'), notes.indexOf('## Decisions'));
    const bullets = summary.split('\n').filter((l) => l.startsWith('- '));
    assert.equal(bullets.length, chunks, summary);
    for (const bullet of bullets) {
      const cites = [...bullet.matchAll(/\[(\d\d:\d\d)\]\(#([\w-]+)\)/g)];
      assert.ok(cites.length >= 1, bullet);
      for (const [, time, anchor] of cites) {
        const target = notes.split('\n').filter((l) => l.includes(`<a id="${anchor}"></a>`));
        assert.equal(target.length, 1, `one transcript line is ${anchor}`);
        assert.ok(target[0].startsWith(`- **[${time}] `), `${anchor} is the line said at ${time}: ${target[0]}`);
      }
    }
  });
});
