/**
 * `earshot mcp` as a coding agent meets it: the real CLI process over real stored meetings (QMSum meetings written as
 * session journals, one with action items, decisions and code mentions), driven by the MCP SDK's own client and by a
 * second client written here from the MCP specification (2025-06-18: newline-delimited JSON-RPC 2.0 on stdio) with no
 * SDK code. Every tool, bad input (unknown tool, wrong types, extra arguments, a line that is not JSON, a request
 * before initialize), the bounds, and the server living on through all of it.
 */
import * as assert from 'node:assert/strict';
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { AGENT_TOOLS, AgentToolStructured } from '../../protocol/agentTools';
import { MEMORY_ASK_BOUND } from '../../protocol/protocol';
import { promptChars } from '../../protocol/textSize';
import { loadQmsum, QmsumMeeting } from '../eval/memoryQuality';
import { JournalExtras, mcpClient, writeQmsumJournals } from '../eval/memoryViaMcp';
import { DAEMON_BIN, REPO_ROOT } from '../setup';
import { runEarshot } from './daemon-process';

const PRODUCT = 'ES2002a';
const MEETINGS = [PRODUCT, 'Bed004', 'IS1001d', 'education_0'];
const CODE = 'src/remote/control.ts';
/** The product meeting's workspace folder: made in before(), for `--workspace` (a folder that exists). */
let workspaceRoot = '';

/** The product meeting's notes as the daemon journals them: a decision, two action items and code mentions (turns 9 and 12). */
function extras(m: QmsumMeeting): JournalExtras {
  const day = `2026-0${MEETINGS.indexOf(m.id) + 1}-15T09:00:00.000Z`;
  if (m.id !== PRODUCT) return { startedAt: day };
  return {
    startedAt: day,
    before: [{ type: 'workspace', root: workspaceRoot }],
    segment: (id) => id === '9' ? { mentions: [{ start: 37, end: 51, target: { kind: 'file', path: CODE } }] }
      : id === '12' ? { mentions: [{ start: 12, end: 26, target: { kind: 'symbol', path: CODE, line: 12, name: 'RemoteControl' } }] } : undefined,
    after: [
      { type: 'decision', id: 'd-1', revision: 1, text: 'We design a new remote control', kind: 'decision', standing: 'decided', segmentId: '12', t0: 12 },
      { type: 'actionItem', id: 'a-1', revision: 1, text: 'Draw the remote control', owner: 'Industrial Designer', due: null, duePhrase: null, segmentId: '10', t0: 10 },
      { type: 'actionItem', id: 'a-2', revision: 1, text: 'Send round the project announcement', owner: 'Project Manager', due: '2026-01-20', duePhrase: 'by Tuesday', segmentId: '21', t0: 21 },
    ],
  };
}

function structured<T extends AgentToolStructured['tool']>(value: unknown, tool: T): Extract<AgentToolStructured, { tool: T }> {
  const s = value as AgentToolStructured;
  assert.equal(s?.tool, tool, JSON.stringify(value).slice(0, 300));
  return s as Extract<AgentToolStructured, { tool: T }>;
}

function textOf(result: unknown): string {
  const content = (result as { content: unknown }).content as { type: string; text: string }[];
  assert.equal(content.length, 1);
  assert.equal(content[0].type, 'text');
  return content[0].text;
}

function assertBounded(text: string): void {
  const lines = text.split('\n');
  assert.ok(lines.length <= MEMORY_ASK_BOUND.lines, `${lines.length} lines`);
  assert.ok(lines.reduce((n, l) => n + promptChars(l) + 1, 0) <= MEMORY_ASK_BOUND.chars, `${promptChars(text)} characters`);
}

describe('earshot mcp over real stored meetings (real process, real MCP clients)', function () {
  this.timeout(120_000);
  let storage: string;
  let ids: Map<string, string>;
  const meetings = loadQmsum().filter((m) => MEETINGS.includes(m.id));

  before(() => {
    storage = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-mcp-'));
    workspaceRoot = path.join(storage, 'remote app Ñ');
    fs.mkdirSync(workspaceRoot);
    ids = writeQmsumJournals(storage, meetings, extras);
  });
  after(() => fs.rmSync(storage, { recursive: true, force: true }));

  describe('with the MCP SDK\'s client', () => {
    let sdk: { client: Client; stderr: () => string; close: () => Promise<void> };
    before(async () => { sdk = await mcpClient(storage, ['--me', 'project manager', '--words-only']); });
    after(async () => { await sdk.close(); });
    const call = (name: string, args: Record<string, unknown>) => sdk.client.callTool({ name, arguments: args }, undefined, { timeout: 30_000 });

    it('lists every tool of the catalog with its own schema, read-only', async () => {
      const { tools } = await sdk.client.listTools();
      assert.deepEqual(tools.map((t) => t.name), AGENT_TOOLS.map((t) => t.name));
      for (const t of AGENT_TOOLS) {
        const listed = tools.find((x) => x.name === t.name)!;
        assert.deepEqual(listed.inputSchema, t.inputSchema);
        assert.equal(listed.description, t.description);
        assert.equal(listed.annotations?.readOnlyHint, true);
      }
      assert.equal(sdk.client.getServerVersion()?.name, 'earshot');
      assert.equal(sdk.client.getServerVersion()?.version, JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version);
    });

    it('search_meetings cites what earshot ask --json cites for the same question', async () => {
      const question = 'What did the group say about the remote control project announcement?';
      const result = await call('search_meetings', { query: question, limit: 4 });
      const s = structured(result.structuredContent, 'search_meetings');
      assert.equal(s.meetingsSearched, 4);
      assert.ok(s.cited.length > 0);
      const ask = await runEarshot(['ask', question, '--json', '--limit', '4', '--words-only'], { EARSHOT_STORAGE: storage });
      assert.equal(ask.code, 0, ask.stderr);
      const asked = JSON.parse(ask.stdout) as { cited: { file: string; line: number; t0: number; speaker: string; text: string }[] };
      assert.deepEqual(s.cited.map(({ file, line, t0, speaker, text }) => ({ file, line, t0, speaker, text })), asked.cited);
      assert.equal(s.cited[0].meeting.title, PRODUCT);
      assert.match(textOf(result), /^Searched 4 meetings\. Passages, best first:\n\n\[1\] ES2002a \(2026-01-15\), session /);
      assert.ok(!sdk.stderr().includes('announcement'), 'no question or transcript text on stderr');
    });

    it('list_action_items: mine (--me), by owner, by meeting', async () => {
      const mine = structured((await call('list_action_items', { mine: true })).structuredContent, 'list_action_items');
      assert.deepEqual(mine.items.map((i) => i.item.id), ['a-2']);
      assert.equal(mine.items[0].line?.text, meetings.find((m) => m.id === PRODUCT)!.turns[21][1]);
      assert.equal(mine.items[0].line?.line, 22, 'the segment\'s 1-based index in the journal, as ask --json counts (turns 0 to 21 all spoke)');
      const designer = await call('list_action_items', { owner: ['industrial designer'], meeting: [PRODUCT] });
      assert.deepEqual(structured(designer.structuredContent, 'list_action_items').items.map((i) => i.item.id), ['a-1']);
      assert.match(textOf(designer), /- \[ \] Draw the remote control — @Industrial Designer/);
    });

    it('list_decisions with its standing; get_meeting_notes from the start, bounded; list_meetings newest first', async () => {
      const decided = structured((await call('list_decisions', { standing: 'decided', topic: 'remote control' })).structuredContent, 'list_decisions');
      assert.deepEqual(decided.decisions.map((d) => [d.decision.id, d.standing, d.line?.speaker]), [['d-1', 'decided', 'Industrial Designer']]);
      const notes = await call('get_meeting_notes', { meeting: PRODUCT.toLowerCase() });
      const n = structured(notes.structuredContent, 'get_meeting_notes');
      assert.equal(n.meeting.sessionId, ids.get(PRODUCT));
      assert.deepEqual(n.decisions.map((d) => d.id), ['d-1']);
      assert.equal(n.transcript[0].line, 1);
      assert.equal(n.transcript[0].text, meetings.find((m) => m.id === PRODUCT)!.turns[0][1]);
      assert.equal(n.truncated, true, 'a whole meeting is more than an agent\'s share');
      assertBounded(textOf(notes));
      const listed = structured((await call('list_meetings', {})).structuredContent, 'list_meetings');
      assert.deepEqual(listed.meetings.map((m) => m.title), [...MEETINGS].reverse());
    });

    it('meetings_about_code: the lines that named the file or symbol, and the decision and open item tied to them', async () => {
      const result = await call('meetings_about_code', { path: CODE });
      const s = structured(result.structuredContent, 'meetings_about_code');
      assert.equal(s.meetings.length, 1);
      assert.deepEqual(s.meetings[0].lines.map((l) => l.text), [9, 12].map((t) => meetings.find((m) => m.id === PRODUCT)!.turns[t][1]));
      assert.deepEqual(s.meetings[0].decisions.map((d) => d.id), ['d-1']);
      assert.ok(s.meetings[0].actionItems.some((i) => i.id === 'a-1'));
      assert.match(textOf(result), /\(named src\/remote\/control\.ts\)/);
      const symbol = structured((await call('meetings_about_code', { symbol: 'remotecontrol' })).structuredContent, 'meetings_about_code');
      assert.equal(symbol.meetings[0].lines[0].line, 13, 'turn 12, the 13th segment');
    });

    it('bad arguments and unknown tools are JSON-RPC errors; a tool that cannot answer is isError; the server lives on', async () => {
      const refused = async (name: string, args: Record<string, unknown>, message: RegExp) => {
        await assert.rejects(call(name, args), (e: Error) => e instanceof McpError && e.code === -32602 && message.test(e.message), `${name} ${JSON.stringify(args)}`);
      };
      await refused('drop_tables', {}, /unknown tool "drop_tables"/);
      await refused('search_meetings', { query: 42 }, /"query" must be a string/);
      await refused('search_meetings', { query: 'x', limit: 500 }, /"limit" must be at most 50/);
      await refused('list_meetings', { order: 'oldest' }, /unknown argument "order"/);
      await refused('get_meeting_notes', {}, /"meeting" is required/);
      const missing = await call('get_meeting_notes', { meeting: 'quarterly board review' });
      assert.equal(missing.isError, true);
      assert.match(textOf(missing), /no meeting matches "quarterly board review"; the latest: "education_0"/);
      assert.equal(structured((await call('list_meetings', { limit: 1 })).structuredContent, 'list_meetings').meetings.length, 1, 'still answering');
    });

    it('an answer longer than MEMORY_ASK_BOUND is cut and says so', async () => {
      const result = await call('search_meetings', { query: 'remote control design buttons battery', limit: 50 });
      const s = structured(result.structuredContent, 'search_meetings');
      assert.equal(s.truncated, true);
      const text = textOf(result);
      assertBounded(text);
      assert.match(text, /\(Cut here: the answer is longer than an agent's share of the meetings, 120 lines or 24,000 characters\./);
      assert.equal(s.cited.length, text.split('\n').filter((l) => /^ {2}line \d+/.test(l)).length);
    });

    it('follows storage between calls: a meeting journaled meanwhile is listed and searched', async () => {
      const late = loadQmsum().find((m) => m.id === 'TS3003c')!;
      const later = path.join(storage, 'later');
      writeQmsumJournals(later, [late], () => ({ startedAt: '2026-06-01T09:00:00.000Z' }));
      const [name] = fs.readdirSync(path.join(later, 'sessions'));
      const id = '20260601T090000-abcdef';
      fs.copyFileSync(path.join(later, 'sessions', name), path.join(storage, 'sessions', `${id}.jsonl`));
      fs.writeFileSync(path.join(storage, 'sessions', `${id}.jsonl`), fs.readFileSync(path.join(storage, 'sessions', `${id}.jsonl`), 'utf8').replace(path.basename(name, '.jsonl'), id));
      try {
        const listed = structured((await call('list_meetings', {})).structuredContent, 'list_meetings');
        assert.equal(listed.meetings[0].sessionId, id);
        const latest = structured((await call('get_meeting_notes', { meeting: 'latest' })).structuredContent, 'get_meeting_notes');
        assert.equal(latest.meeting.title, 'TS3003c');
      } finally {
        fs.rmSync(path.join(storage, 'sessions', `${id}.jsonl`));
      }
      assert.equal(structured((await call('list_meetings', {})).structuredContent, 'list_meetings').meetings.length, 4, 'and forgets one deleted');
    });
  });

  describe('over transcript files (--over), and its command line', () => {
    it('cites the transcript\'s own file and lines as ask --over does', async () => {
      const product = meetings.find((m) => m.id === PRODUCT)!;
      const file = path.join(storage, 'kickoff.txt');
      // Speaker: text lines with a blank line between turns, as a pasted transcript has.
      fs.writeFileSync(file, product.turns.slice(0, 60).filter(([, text]) => text).map(([speaker, text]) => `${speaker}: ${text}`).join('\n\n'));
      const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-mcp-empty-'));
      const sdk = await mcpClient(empty, ['--over', file, '--words-only']);
      try {
        const question = 'who is the project manager and what is the project?';
        const result = await sdk.client.callTool({ name: 'search_meetings', arguments: { query: question, limit: 2 } });
        const s = structured(result.structuredContent, 'search_meetings');
        const ask = await runEarshot(['ask', question, '--over', file, '--json', '--limit', '2', '--words-only'], { EARSHOT_STORAGE: empty });
        assert.equal(ask.code, 0, ask.stderr);
        assert.deepEqual(s.cited.map(({ file: f, line, t0, speaker, text }) => ({ file: f, line, t0, speaker, text })), JSON.parse(ask.stdout).cited);
        assert.ok(s.cited.every((c) => c.file === file && c.t0 === null && c.line % 2 === 1), 'odd file lines: the blank lines counted');
        const listed = structured((await sdk.client.callTool({ name: 'list_meetings', arguments: {} })).structuredContent, 'list_meetings');
        assert.deepEqual(listed.meetings.map((m) => m.title), ['kickoff.txt']);
      } finally {
        await sdk.close();
        fs.rmSync(empty, { recursive: true, force: true });
      }
    });

    it('refuses a transcript it cannot read and stray arguments before serving, with the usage', async () => {
      const missing = await runEarshot(['mcp', '--over', path.join(storage, 'no-such.txt')]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /cannot read .*no-such\.txt: no such file/);
      assert.equal(missing.stdout, '', 'stdout is the protocol\'s alone');
      const stray = await runEarshot(['mcp', 'please']);
      assert.equal(stray.code, 2);
      assert.match(stray.stderr, /mcp takes no arguments[\s\S]*earshot mcp \[--over FILE\]/);
    });
  });

  describe('--workspace DIR: what meetings said about code, from that workspace folder\'s meetings only', () => {
    const aboutCode = async (flags: string[]) => {
      const server = await mcpClient(storage, ['--words-only', ...flags]);
      try {
        const result = await server.client.callTool({ name: 'meetings_about_code', arguments: { path: CODE } }, undefined, { timeout: 30_000 });
        return { found: structured(result.structuredContent, 'meetings_about_code').meetings.map((m) => m.meeting.title), stderr: server.stderr() };
      } finally { await server.close(); }
    };

    it('counts the meeting recorded in the folder (given with a trailing separator too), not in another', async () => {
      assert.deepEqual((await aboutCode(['--workspace', `${workspaceRoot}${path.sep}`])).found, [PRODUCT]);
      const other = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-other-'));
      try {
        const elsewhere = await aboutCode(['--workspace', other]);
        assert.deepEqual(elsewhere.found, []);
        assert.match(elsewhere.stderr, /code questions about the workspace /);
      } finally { fs.rmSync(other, { recursive: true, force: true }); }
      assert.deepEqual((await aboutCode([])).found, [PRODUCT], 'without it, any workspace\'s meetings');
    });

    it('refuses a folder that is not there, or none, before serving, with the usage', async () => {
      const missing = await runEarshot(['mcp', '--workspace', path.join(storage, 'no such folder')], { EARSHOT_STORAGE: storage });
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /--workspace .*no such folder: no such folder[\s\S]*--workspace DIR/);
      assert.equal(missing.stdout, '');
      const empty = await runEarshot(['mcp', '--workspace', ''], { EARSHOT_STORAGE: storage });
      assert.equal(empty.code, 2);
      assert.match(empty.stderr, /--workspace needs a folder/);
    });
  });

  describe('with a client written from the MCP specification (no SDK code)', () => {
    it('initializes, lists and calls every tool, and answers bad input with JSON-RPC errors while it lives on', async () => {
      const peer = new SpecClient(['mcp', '--storage', storage, '--me', 'Project Manager', '--words-only']);
      try {
        // A request before initialize, and a line that is not JSON: errors, and the server reads on.
        const early = await peer.request('tools/list', {});
        assert.equal(early.error?.code, -32002);
        peer.sendLine('{"jsonrpc":"2.0","id":99,"method":');
        const parse = await peer.nextWithoutId();
        assert.equal(parse.error?.code, -32700);
        assert.equal(parse.id, null);
        const notRpc = await peer.request('tools/list', {}, { jsonrpc: '1.0' });
        assert.equal(notRpc.error?.code, -32600);

        const init = await peer.request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'spec-client', version: '1.0.0' } });
        const server = init.result as { protocolVersion: string; capabilities: { tools?: object }; serverInfo: { name: string } };
        assert.equal(server.protocolVersion, '2025-06-18');
        assert.ok(server.capabilities.tools);
        assert.equal(server.serverInfo.name, 'earshot');
        peer.notify('notifications/initialized', {});

        const list = (await peer.request('tools/list', {})).result as { tools: { name: string; inputSchema: unknown }[] };
        assert.deepEqual(list.tools.map((t) => t.name), AGENT_TOOLS.map((t) => t.name));
        const calls: Record<string, Record<string, unknown>> = {
          search_meetings: { query: 'favourite animal beagle' }, list_action_items: { mine: true }, list_decisions: {},
          get_meeting_notes: { meeting: 'latest' }, meetings_about_code: { path: CODE }, list_meetings: { since: '2026-02-01' },
        };
        for (const tool of AGENT_TOOLS) {
          const reply = await peer.request('tools/call', { name: tool.name, arguments: calls[tool.name] });
          const result = reply.result as { content: { type: string; text: string }[]; structuredContent: AgentToolStructured; isError?: boolean };
          assert.ok(!reply.error && !result.isError, `${tool.name}: ${JSON.stringify(reply).slice(0, 300)}`);
          assert.equal(result.structuredContent.tool, tool.name);
          assert.equal(result.content[0].type, 'text');
          assertBounded(result.content[0].text);
        }
        const beagle = (await peer.request('tools/call', { name: 'search_meetings', arguments: calls.search_meetings })).result as { structuredContent: AgentToolStructured };
        assert.match(structured(beagle.structuredContent, 'search_meetings').cited.map((c) => c.text).join(' '), /beagle/i);
        assert.deepEqual(structured(((await peer.request('tools/call', { name: 'list_meetings', arguments: { since: '2026-02-01' } })).result as { structuredContent: unknown }).structuredContent, 'list_meetings').meetings.length, 3);

        for (const [params, message] of [
          [{ name: 'no_such_tool', arguments: {} }, /unknown tool/],
          [{ name: 'search_meetings', arguments: { query: ['not', 'text'] } }, /"query" must be a string/],
          [{ name: 'list_action_items', arguments: { mine: true, everything: 1 } }, /unknown argument "everything"/],
          [{ name: 'list_decisions', arguments: { standing: 'forgotten' } }, /"standing" must be one of/],
          [{ name: 'list_meetings', arguments: { since: 'yesterday' } }, /"since" must be a day as YYYY-MM-DD/],
        ] as const) {
          const reply = await peer.request('tools/call', params);
          assert.equal(reply.error?.code, -32602, JSON.stringify(reply));
          assert.match(reply.error!.message, message);
        }
        peer.sendLine('\u0000garbage');
        assert.equal((await peer.nextWithoutId()).error?.code, -32700);
        const pong = await peer.request('ping', {});
        assert.deepEqual(pong.result, {});
        assert.equal(peer.stderr().includes('beagle'), false, 'no question or transcript text on stderr');
      } finally {
        assert.equal(await peer.close(), 0, peer.stderr());
      }
    });
  });
});

interface Reply { jsonrpc: '2.0'; id: number | string | null; result?: unknown; error?: { code: number; message: string } }

/** MCP's stdio transport as the specification says it: the server a child process, one JSON-RPC message a line each way. */
class SpecClient {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting = new Map<number | string | null, (reply: Reply) => void>();
  private readonly unmatched: Reply[] = [];
  private nextId = 1;
  private err = '';

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [DAEMON_BIN, ...args], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.setEncoding('utf8').on('data', (c: string) => { this.err += c; });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const reply = JSON.parse(line) as Reply;
      const waiter = this.waiting.get(reply.id);
      if (waiter) {
        this.waiting.delete(reply.id);
        waiter(reply);
      } else {
        this.unmatched.push(reply);
      }
    });
  }

  sendLine(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  request(method: string, params: unknown, override: Record<string, unknown> = {}): Promise<Reply> {
    const id = this.nextId++;
    const reply = this.wait(id, `${method} (id ${id})`);
    this.sendLine(JSON.stringify({ jsonrpc: '2.0', id, method, params, ...override }));
    return reply;
  }

  notify(method: string, params: unknown): void {
    this.sendLine(JSON.stringify({ jsonrpc: '2.0', method, params }));
  }

  /** The next reply with id null (an error for a line with no id the server could read). */
  nextWithoutId(): Promise<Reply> {
    const had = this.unmatched.findIndex((r) => r.id === null);
    if (had >= 0) return Promise.resolve(this.unmatched.splice(had, 1)[0]);
    return this.wait(null, 'an error with id null');
  }

  stderr(): string {
    return this.err;
  }

  /** Closes stdin, as a client leaving does; the server's exit code (bounded wait). */
  async close(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const code = this.child.exitCode ?? await exited;
    clearTimeout(timer);
    return code;
  }

  private wait(id: number | string | null, what: string): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${what} in 20 s; stderr:\n${this.err.slice(-2000)}`)), 20_000);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
    });
  }
}
