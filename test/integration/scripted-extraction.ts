/**
 * Shared parts of the language-model extraction's integration tests (model-extraction-*.test.ts): a SCRIPTED
 * chat-completions server on 127.0.0.1 (a real HTTP server whose answer per chunk each test decides), an interrupted
 * session in storage with a known transcript and rule-based items, and a real daemon initialized with an enhancement
 * setting. Owns the per-test temporary folder, clients and server (created and closed by mocha hooks); no tests here.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Journal } from '../../daemon/journal/journal';
import { ActionItemNotification, EnhancementSettings, ExtractionProgressNotification, ExtractionProgressParams, PROTOCOL_VERSION } from '../../protocol/protocol';
import { isPartsPrompt } from '../../daemon/understanding/summaryFromParts';
import { STANDING_CHECK_SYSTEM_START } from '../../daemon/understanding/standingCheck';
import { connectDaemon, RpcClient } from './daemon-process';

export const SESSION = '20300101-0900-scripted';

/** A meeting of 40 lines; line 3 is "I'll go first", which the rules took for an action item (a1). */
export const LINES = Array.from({ length: 40 }, (_, k) => k === 2 ? "Okay, I'll go first with the slides."
  : k === 20 ? 'Maria will send the budget figures to finance by Friday.'
    : `Line ${k + 1} of the discussion about the release plan and its risks.`);

/** One extraction request the scripted server saw. */
export interface Scripted {
  url: string;
  user: string;
  chunk: number;
  attempt: number;
  ids: string[];
  chars: number;
  /** The request's `max_tokens` (the cap on its answer). */
  maxTokens?: number;
}

export interface ScriptedServer {
  endpoint: string;
  requests: Scripted[];
  /** The rolling summary's requests (a live session's, one per chunk). */
  summaries: Scripted[];
  /** The settle's requests at stop (modelSummary.ts's settleSummary; `chunk` counts them). */
  settles: Scripted[];
  /** The restatement check's requests at stop (understanding/restatements.ts). */
  checks: Scripted[];
  /** The decision check's requests at stop (understanding/procedureCheck.ts), answered: every decision stands. */
  decisionChecks: Scripted[];
  /** The notes on each part (summaryFromParts.ts's partNotes: the settle of v11 reads them), one per chunk. */
  parts: Scripted[];
  /** The standing check's requests after the settle (understanding/standingCheck.ts; on by default). */
  standingChecks: Scripted[];
  maxInFlight(): number;
  aborted(): number;
}

export const reply = (res: http.ServerResponse, content: string): void => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ id: 'c', object: 'chat.completion', model: 'scripted:1b', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }));
};
export const empty = JSON.stringify({ actionItems: [], decisions: [], dismiss: [] });

/** A part's notes answered: one point citing the part's last line. */
export const partAnswer = (r: Scripted): string => JSON.stringify({ points: [{ text: `Part ${r.chunk} noted`, cites: [r.ids[r.ids.length - 1]] }] });

/** The summary so far of a summary request (its points as the prompt shows them). */
export const summarySoFar = (user: string): { text: string; cites: string[] }[] =>
  (JSON.parse(/^Summary so far \(JSON\):\n(.*)$/m.exec(user)![1]) as { points: { text: string; cites: string[] }[] }).points;

/** The settle answered: each point of the summary so far restated as "Settled: …", its cites kept. */
export const settledAnswer = (r: { user: string }, res: http.ServerResponse): void =>
  reply(res, JSON.stringify({ points: summarySoFar(r.user).map((p) => ({ text: `Settled: ${p.text}`, cites: p.cites })) }));

/**
 * Registers this describe's hooks (a fresh temporary folder per test; clients disposed, exiting 0, and the server
 * closed after it) and returns the helpers bound to them.
 */
export function scriptedExtraction() {
  const fixture = {
    dir: '',
    clients: [] as RpcClient[],
    server: undefined as http.Server | undefined,
    /** The `max_tokens` of the requests the scripted server saw (cleared by each scriptedServer). */
    maxTokens: new Set<number | undefined>(),
    interruptedSession,
    scriptedServer,
    daemon,
  };

  beforeEach(() => { fixture.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-llm-')); });
  afterEach(async () => {
    for (const c of fixture.clients.splice(0)) assert.equal(await c.dispose(), 0);
    const server = fixture.server;
    if (server) await new Promise((resolve) => server.close(resolve));
    fixture.server = undefined;
    fs.rmSync(fixture.dir, { recursive: true, force: true });
  });

  /** Writes an interrupted session's journal: 40 segments and the rule-based items a1 (false) and a2. */
  async function interruptedSession(): Promise<{ journalPath: string; notesPath: string }> {
    const journalPath = path.join(fixture.dir, 'storage', 'sessions', `${SESSION}.jsonl`);
    const notesPath = path.join(fixture.dir, 'notes', 'scripted.md');
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

  /**
   * A scripted chat-completions server: `answer` decides per request (chunk, attempt) what to do; `settle`, what to do
   * with the settle at stop (by default: each point of the summary so far restated as "Settled: …", its cites kept);
   * `standings`, the standing check's answer after it (by default: every point agrees with the decisions).
   */
  async function scriptedServer(answer: (r: Scripted, res: http.ServerResponse, req: http.IncomingMessage) => void,
    settle: (r: Scripted, res: http.ServerResponse) => void = settledAnswer,
    check: (r: Scripted) => string = () => '{"same": []}', part: (r: Scripted) => string = partAnswer,
    standings: (r: Scripted) => string = () => '{"fixes": []}'): Promise<ScriptedServer> {
    const requests: Scripted[] = [];
    const standingChecks: Scripted[] = [];
    const parts: Scripted[] = [];
    const settles: Scripted[] = [];
    const checks: Scripted[] = [];
    const decisionChecks: Scripted[] = [];
    /** The rolling summary's requests (a live session's, one per chunk): answered at once, a point citing the last new line. */
    const summaries: Scripted[] = [];
    fixture.maxTokens.clear();
    const attempts = new Map<number, number>();
    let inFlight = 0, maxInFlight = 0, aborted = 0;
    const server = fixture.server = http.createServer((req, res) => {
      let body = '';
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      let finished = false;
      res.on('finish', () => { finished = true; inFlight--; });
      res.on('close', () => { if (!finished) { aborted++; inFlight--; } });
      req.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => {
        const parsed = JSON.parse(body) as { messages: { content: string }[]; max_tokens?: number };
        fixture.maxTokens.add(parsed.max_tokens);
        const user = parsed.messages[1].content;
        if (parsed.messages[0].content.startsWith('You check the final notes')) {
          const r = { url: req.url ?? '', user, chunk: checks.length + 1, attempt: 1, ids: [], chars: parsed.messages[0].content.length + user.length };
          checks.push(r);
          return reply(res, check(r));
        }
        // The decision check at stop (on by default with carried notes): every decision stands unless a test asks otherwise.
        if (parsed.messages[0].content.startsWith('You check the decisions noted in a meeting')) {
          decisionChecks.push({ url: req.url ?? '', user, chunk: decisionChecks.length + 1, attempt: 1, ids: [], chars: parsed.messages[0].content.length + user.length });
          return reply(res, JSON.stringify({ notDecisions: [] }));
        }
        if (parsed.messages[0].content.startsWith(STANDING_CHECK_SYSTEM_START)) {
          const r = { url: req.url ?? '', user, chunk: standingChecks.length + 1, attempt: 1, ids: [], chars: parsed.messages[0].content.length + user.length };
          standingChecks.push(r);
          return reply(res, standings(r));
        }
        // A part's notes (the default settle reads them): before the chunks, whose prompts also say "Part k of".
        if (isPartsPrompt(parsed.messages[0].content)) {
          const r = { url: req.url ?? '', user, chunk: Number(/^Part (\d+) of the meeting/m.exec(user)![1]), attempt: 1, ids: [...user.matchAll(/^\[([\w-]+)\]/gm)].map((m) => m[1]), chars: parsed.messages[0].content.length + user.length };
          parts.push(r);
          return reply(res, part(r));
        }
        if (parsed.messages[0].content.startsWith('You keep the summary') && user.includes('The meeting has ended')) {
          const ids = [...user.matchAll(/^\[([\w-]+)\]/gm)].map((m) => m[1]);
          const r = { url: req.url ?? '', user, chunk: settles.length + 1, attempt: 1, ids, chars: parsed.messages[0].content.length + user.length, maxTokens: parsed.max_tokens };
          settles.push(r);
          return settle(r, res);
        }
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
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, summaries, settles, checks, decisionChecks, parts, standingChecks, maxInFlight: () => maxInFlight, aborted: () => aborted };
  }

  /** A daemon on the test's storage whose interrupted sessions wait (grace of an hour), with this enhancement. */
  async function daemon(enhancement: EnhancementSettings): Promise<{ client: RpcClient; progress: ExtractionProgressParams[] }> {
    const client = connectDaemon();
    fixture.clients.push(client);
    const progress: ExtractionProgressParams[] = [];
    client.connection.onNotification(ExtractionProgressNotification, (p) => { progress.push(p); });
    client.connection.onNotification(ActionItemNotification, () => undefined);
    await client.initialize({ protocolVersion: PROTOCOL_VERSION, storageDir: path.join(fixture.dir, 'storage'), notesDir: path.join(fixture.dir, 'notes'), interruptedGraceSec: 3600, enhancement });
    return { client, progress };
  }

  return fixture;
}
