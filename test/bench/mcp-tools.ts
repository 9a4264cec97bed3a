/**
 * Figure MCP — what a coding agent waits for an `earshot mcp` tool: 100 stored meetings (QMSum's 38 train and val
 * meetings, repeated with new session ids and days, as journals with an action item, a decision and a code mention
 * each), the real CLI spawned and driven by the MCP SDK's client. Per tool: the first call (storage read and, for
 * searches, the index built) and p50/p95 of the calls after it; the anchor, in the same run, is the index's own
 * search (MemoryIndex.search in this process) over the same meetings and questions, so the ratio is what the server,
 * its checks, the cited lines and the MCP round trip add.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AgentToolName } from '../../protocol/agentTools';
import { MemoryIndex } from '../../daemon/memory/memoryIndex';
import { loadQmsum, meetingRecord, QmsumMeeting } from '../eval/memoryQuality';
import { mcpClient, writeQmsumJournals } from '../eval/memoryViaMcp';
import { envNum, FigureReport, table } from './util';

const MEETINGS = 100;

/** The fixture's meetings repeated to `count`, each copy a meeting of its own (id and title `<QMSum id> #n`). */
function meetingsOf(count: number): QmsumMeeting[] {
  const fixture = loadQmsum();
  return Array.from({ length: count }, (_, i) => {
    const m = fixture[i % fixture.length];
    return { ...m, id: `${m.id} #${Math.floor(i / fixture.length) + 1}` };
  });
}

const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

export async function mcpTools(): Promise<FigureReport> {
  const calls = envNum('BENCH_REPS', 20);
  const meetings = meetingsOf(MEETINGS);
  const questions = meetings.flatMap((m) => m.queries.map((q) => q.query)).slice(0, calls);
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-bench-mcp-'));
  try {
    const order = [...meetings].sort((a, b) => a.id.localeCompare(b.id));
    writeQmsumJournals(storage, meetings, (m) => {
      const i = order.indexOf(m);
      const turn = meetingRecord(m).segments[Math.min(5, meetingRecord(m).segments.length - 1)];
      return {
        startedAt: new Date(Date.UTC(2026, 0, 1 + i, 9)).toISOString(),
        before: [{ type: 'workspace', root: '/work/app' }],
        segment: (id) => (id === turn.segmentId ? { mentions: [{ start: 0, end: Math.min(4, turn.text.length), target: { kind: 'file', path: `src/module${i % 10}.ts` } }] } : undefined),
        after: [
          { type: 'decision', id: `d-${i}`, revision: 1, text: `Decision ${i}: keep the design`, kind: 'decision', standing: 'decided', segmentId: turn.segmentId, t0: turn.t0 },
          { type: 'actionItem', id: `a-${i}`, revision: 1, text: `Follow up ${i}`, owner: turn.speaker, due: null, duePhrase: null, segmentId: turn.segmentId, t0: turn.t0 },
        ],
      };
    });
    const started = performance.now();
    const { client, close } = await mcpClient(storage, ['--words-only', '--me', 'Project Manager']);
    const spawnMs = performance.now() - started;
    const inputs: [AgentToolName, (k: number) => Record<string, unknown>][] = [
      ['list_meetings', () => ({})],
      ['search_meetings', (k) => ({ query: questions[k % questions.length], limit: 5 })],
      ['list_action_items', (k) => (k % 2 ? { mine: true } : {})],
      ['list_decisions', (k) => (k % 2 ? { topic: questions[k % questions.length] } : { standing: 'decided' })],
      ['get_meeting_notes', (k) => ({ meeting: k % 2 ? 'latest' : order[k % order.length].id })],
      ['meetings_about_code', (k) => ({ path: `src/module${k % 10}.ts` })],
    ];
    const rows: (string | number)[][] = [];
    let searchP50 = 0;
    try {
      for (const [name, input] of inputs) {
        const times: number[] = [];
        let chars = 0;
        for (let k = 0; k <= calls; k++) {
          const t = performance.now();
          const result = await client.callTool({ name, arguments: input(k) }, undefined, { timeout: 120_000 });
          times.push(performance.now() - t);
          if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content).slice(0, 300)}`);
          chars += (result.content as { text: string }[])[0].text.length;
        }
        const [first, ...rest] = times;
        const sorted = rest.sort((a, b) => a - b);
        if (name === 'search_meetings') searchP50 = percentile(sorted, 0.5);
        rows.push([name, first.toFixed(1), percentile(sorted, 0.5).toFixed(2), percentile(sorted, 0.95).toFixed(2), Math.round(chars / times.length)]);
      }
    } finally {
      await close();
    }
    // The anchor: the index's own search in this process, the same meetings and questions, built first.
    const index = new MemoryIndex();
    for (const m of meetings) index.put(meetingRecord(m));
    const built = performance.now();
    index.search({ query: questions[0], limit: 5 });
    const buildMs = performance.now() - built;
    const anchor: number[] = [];
    for (let k = 1; k <= calls; k++) {
      const t = performance.now();
      index.search({ query: questions[k % questions.length], limit: 5 });
      anchor.push(performance.now() - t);
    }
    anchor.sort((a, b) => a - b);
    const anchorP50 = percentile(anchor, 0.5);
    rows.push(['anchor: MemoryIndex.search in process', buildMs.toFixed(1), anchorP50.toFixed(2), percentile(anchor, 0.95).toFixed(2), '']);
    return {
      title: `earshot mcp: each tool's latency over ${MEETINGS} stored meetings (the SDK's client, a real process)`,
      commands: ['npm run bench -- mcp-tools'],
      lines: table(['tool', 'first call, ms', 'p50, ms', 'p95, ms', 'text chars (mean)'], rows),
      notes: [
        `${MEETINGS} journals (QMSum's ${loadQmsum().length} meetings repeated, ${meetings.reduce((n, m) => n + meetingRecord(m).segments.length, 0).toLocaleString('en-US')} segments); ${calls} calls per tool after the first, in the order listed; --words-only (no meaning model).`,
        `The first call of list_meetings reads the ${MEETINGS} journals; the first search_meetings builds the full-text index (the anchor's first call builds the same index in this process). Spawn to initialized: ${spawnMs.toFixed(0)} ms.`,
        `search_meetings p50 / anchor p50: ${(searchP50 / anchorP50).toFixed(2)} (same run: the server's checks, the storage check before each call, the cited lines, JSON and the round trip).`,
      ],
      targets: [],
    };
  } finally {
    fs.rmSync(storage, { recursive: true, force: true });
  }
}
