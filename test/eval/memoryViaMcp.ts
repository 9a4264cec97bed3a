/**
 * The QMSum memory eval (memoryQuality.ts) asked through `earshot mcp`'s search_meetings instead of the index itself:
 * the fixture's meetings written as session journals into a storage folder (one segment per non-empty turn, each
 * meeting titled with its QMSum id, all starting at the same time as memoryIndexOf's, session ids in the ids' order
 * so that ties fall as they do there), the real CLI spawned and driven by the MCP SDK's client, and every query's
 * cited lines turned back into passages (turns) for the same scoring. Used by test/integration/mcp-eval.test.ts (the
 * figures must equal the index's) and `memory-eval.js --via-mcp`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { AgentToolStructured } from '../../protocol/agentTools';
import { MemoryPassage, MemorySearchParams } from '../../protocol/protocol';
import { evaluate, Figures, meetingRecord, QmsumMeeting, summarize } from './memoryQuality';

const DAEMON_BIN = path.join(__dirname, '..', '..', '..', 'bin', 'earshot.js');

/** Writes the meetings' journals into `<storage>/sessions`; answers each meeting's session id. */
export function writeQmsumJournals(storage: string, meetings: readonly QmsumMeeting[], extra: (m: QmsumMeeting, i: number) => object[] = () => []): Map<string, string> {
  fs.mkdirSync(path.join(storage, 'sessions'), { recursive: true });
  const ids = new Map<string, string>();
  [...meetings].sort((a, b) => a.id.localeCompare(b.id)).forEach((m, i) => {
    const sessionId = `20200101T090000-${i.toString(16).padStart(6, '0')}`;
    ids.set(m.id, sessionId);
    const r = meetingRecord(m);
    const records: object[] = [
      { type: 'session', version: 1, sessionId, title: r.meeting.title, startedAt: r.meeting.startedAt, sources: ['file'], language: 'en', notesPath: '', mode: 'meeting' },
      ...r.segments.map((s) => ({ type: 'segment', segmentId: s.segmentId, source: 'file', speaker: s.speaker, t0: s.t0, t1: s.t1, text: s.text, final: true })),
      ...extra(m, i),
      { type: 'end', stoppedAt: r.meeting.startedAt, capturedSec: r.segments.length },
    ];
    fs.writeFileSync(path.join(storage, 'sessions', `${sessionId}.jsonl`), records.map((x) => JSON.stringify(x) + '\n').join(''));
  });
  return ids;
}

/** `earshot mcp` over a storage folder, connected with the SDK's client (stderr kept for a failure's message). */
export async function mcpClient(storage: string, flags: string[] = []): Promise<{ client: Client; stderr: () => string; close: () => Promise<void> }> {
  const transport = new StdioClientTransport({
    command: process.execPath, args: [DAEMON_BIN, 'mcp', '--storage', storage, ...flags], stderr: 'pipe',
    env: { ...process.env as Record<string, string>, EARSHOT_STORAGE: storage },
  });
  let stderr = '';
  transport.stderr?.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
  const client = new Client({ name: 'earshot-test', version: '1.0.0' });
  await client.connect(transport, { timeout: 30_000 });
  return { client, stderr: () => stderr, close: () => client.close() };
}

/** The search_meetings answer for a query, as passages whose lines carry QMSum turn numbers (what memoryQuality scores). */
async function passagesViaMcp(client: Client, meetings: readonly QmsumMeeting[], query: string, meeting?: string): Promise<MemoryPassage[]> {
  const result = await client.callTool({ name: 'search_meetings', arguments: { query, limit: 5, ...(meeting ? { meeting: [meeting] } : {}) } }, undefined, { timeout: 60_000 });
  if (result.isError) throw new Error(`search_meetings failed: ${JSON.stringify(result.content)}`);
  const s = result.structuredContent as AgentToolStructured;
  if (s.tool !== 'search_meetings') throw new Error(`search_meetings answered ${s.tool}`);
  const turnsOf = new Map(meetings.map((m) => [m.id, meetingRecord(m).segments.map((x) => x.segmentId)]));
  const passages: MemoryPassage[] = [];
  for (const c of s.cited) {
    const qmsumId = c.meeting.title;
    let p = passages[c.passage! - 1];
    if (!p) passages[c.passage! - 1] = p = { meeting: { sessionId: qmsumId, title: qmsumId, startedAt: c.meeting.startedAt, notesPath: '', durationSec: null }, score: 0, hit: { kind: 'segment', id: '', text: '' }, lines: [] };
    const segmentId = turnsOf.get(qmsumId)![c.line - 1];
    p.lines.push({ segmentId, index: c.line, speaker: c.speaker, t0: c.t0 ?? 0, t1: c.t0 ?? 0, text: c.text, hit: false });
  }
  return passages;
}

/**
 * memoryQuality's evaluate over `queried`, every search asked through `earshot mcp` over journals of `all` (each query
 * over its own meeting, named by session id, and over all of them).
 */
export async function evaluateViaMcp(queried: readonly QmsumMeeting[], all: readonly QmsumMeeting[], storage: string): Promise<{ own: Figures; all: Figures }> {
  const ids = writeQmsumJournals(storage, all);
  const { client, stderr, close } = await mcpClient(storage, ['--words-only']);
  const answers = new Map<string, MemoryPassage[]>();
  const ms = { own: [] as number[], all: [] as number[] };
  const timed = async (into: number[], call: () => Promise<MemoryPassage[]>) => {
    const started = performance.now();
    const passages = await call();
    into.push(performance.now() - started);
    return passages;
  };
  const key = (query: string, sessionIds?: string[]) => `${sessionIds?.join(',') ?? '*'}\u0000${query}`;
  try {
    for (const m of queried) {
      for (const q of m.queries) {
        answers.set(key(q.query, [m.id]), await timed(ms.own, () => passagesViaMcp(client, all, q.query, ids.get(m.id))));
        answers.set(key(q.query), await timed(ms.all, () => passagesViaMcp(client, all, q.query)));
      }
    }
  } catch (e) {
    throw new Error(`${(e as Error).message}\nearshot mcp's stderr:\n${stderr().slice(-2000)}`);
  } finally {
    await close();
  }
  const searcher = { search: (params: MemorySearchParams) => answers.get(key(params.query, params.sessionIds))! };
  // The scores are evaluate's; the times are the tool calls' (evaluate timed the look-ups above).
  const { own, all: everything } = evaluate([...queried], searcher);
  const times = (list: number[]) => {
    const { msP50, msP95 } = summarize(list.map((t) => ({ hit1: 0, hit5: 0, recall: 0, lines: 0, ms: t })));
    return { msP50, msP95 };
  };
  return { own: { ...own, ...times(ms.own) }, all: { ...everything, ...times(ms.all) } };
}
