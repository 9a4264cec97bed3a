import * as assert from 'node:assert/strict';
import { AGENT_TOOLS, AgentToolStructured } from '../../protocol/agentTools';
import { ActionItem, Decision, MEMORY_ASK_BOUND } from '../../protocol/protocol';
import { promptChars } from '../../protocol/textSize';
import { AgentToolError, AgentToolInputError, AgentToolSource, runAgentTool } from '../../daemon/agentTools/runner';
import { citedSearch, MeetingFile } from '../../daemon/memory/askSearch';
import { MeetingRecord, MemoryIndex } from '../../daemon/memory/memoryIndex';
import { Line, LOGIN } from '../support/journals';

const RELEASE = LOGIN;
const BUDGET: Line[] = [
  ['Dana', 'The cloud budget for next quarter is the topic today.'],
  ['Eve', 'We spend too much on idle build machines.'],
  ['Dana', 'We will not buy more build machines this year.'],
  ['Eve', 'I will write the cost report by Monday.'],
];

function item(sessionId: string, id: string, text: string, owner: string | null, line: number, extra: Partial<ActionItem> = {}): ActionItem {
  return { sessionId, id, revision: 1, text, owner, due: null, duePhrase: null, segmentId: `s-${line}`, t0: (line - 1) * 5, ...extra };
}
function decision(sessionId: string, id: string, text: string, line: number, extra: Partial<Decision> = {}): Decision {
  return { sessionId, id, revision: 1, text, kind: 'decision', segmentId: `s-${line}`, t0: (line - 1) * 5, ...extra };
}
function record(sessionId: string, title: string, startedAt: string, lines: Line[], extra: Partial<MeetingRecord> = {}): MeetingRecord {
  return {
    meeting: { sessionId, title, startedAt, notesPath: `/notes/${sessionId}.md`, durationSec: lines.length * 5 },
    segments: lines.map(([speaker, text], i) => ({ segmentId: `s-${i + 1}`, speaker, t0: i * 5, t1: i * 5 + 4, text })),
    actionItems: [], decisions: [], ...extra,
  };
}

const RELEASE_ID = '20260301T090000-aaaaaa';
const BUDGET_ID = '20260310T090000-bbbbbb';

function memory(extra: MeetingRecord[] = []): { index: MemoryIndex; source: AgentToolSource } {
  const index = new MemoryIndex();
  index.put(record(RELEASE_ID, 'Release planning', '2026-03-01T09:00:00Z', RELEASE, {
    actionItems: [item(RELEASE_ID, 'a1', 'Fix the token refresh', 'Bob', 5, { due: '2026-03-06' }), item(RELEASE_ID, 'a2', 'Send the notes', 'Alice', 1, { done: true })],
    decisions: [decision(RELEASE_ID, 'd1', 'Raise the login timeout to five minutes', 4), decision(RELEASE_ID, 'd2', 'Revisit the token lifetime later', 3, { kind: 'deferral' })],
    summary: [{ text: 'The login timeout goes up to five minutes.', segmentIds: ['s-4'] }],
    segmentNotesLines: RELEASE.map((_, i) => 20 + i),
  }));
  index.put(record(BUDGET_ID, 'Cloud budget', '2026-03-10T09:00:00Z', BUDGET, {
    actionItems: [item(BUDGET_ID, 'a3', 'Write the cost report', 'Eve', 4)],
    decisions: [decision(BUDGET_ID, 'd3', 'No more build machines this year', 3, { kind: 'negative', standing: 'decided' })],
  }));
  for (const r of extra) index.put(r);
  const files = new Map<string, MeetingFile>(index.sessionIds().map((id) => [id, { file: `/storage/sessions/${id}.jsonl`, timed: true, lineOf: (l) => l.index }]));
  return { index, source: { index: async () => index, files: () => files, owners: ['eve'] } };
}

async function run(name: string, input: unknown, source = memory().source) {
  return runAgentTool(name, input, source);
}

function structured<T extends AgentToolStructured['tool']>(s: AgentToolStructured, tool: T): Extract<AgentToolStructured, { tool: T }> {
  assert.equal(s.tool, tool);
  return s as Extract<AgentToolStructured, { tool: T }>;
}

/** The text keeps to MEMORY_ASK_BOUND as a prompt counts it. */
function assertBounded(text: string): void {
  assert.ok(text.split('\n').length <= MEMORY_ASK_BOUND.lines, `${text.split('\n').length} lines`);
  assert.ok(promptChars(text) + text.split('\n').length <= MEMORY_ASK_BOUND.chars, `${promptChars(text)} chars`);
}

describe('agent tools: the runner', () => {
  it('refuses an unknown tool and arguments the schema refuses, naming the field', async () => {
    await assert.rejects(run('delete_meetings', {}), (e: Error) => e instanceof AgentToolInputError && /unknown tool "delete_meetings".*search_meetings/.test(e.message));
    const refused: [string, unknown, RegExp][] = [
      ['search_meetings', {}, /search_meetings: "query" is required/],
      ['search_meetings', { query: '' }, /"query" must have at least 1 character/],
      ['search_meetings', { query: 'x', limit: '5' }, /"limit" must be a whole number/],
      ['search_meetings', { query: 'x', limit: 51 }, /"limit" must be at most 50/],
      ['search_meetings', { query: 'x', limit: 2.5 }, /"limit" must be a whole number/],
      ['search_meetings', { query: 'x', since: '03/01/2026' }, /"since" must be a day as YYYY-MM-DD/],
      ['search_meetings', { query: 'x', meeting: 'Release' }, /"meeting" must be a list/],
      ['search_meetings', { query: 'x', meeting: ['ok', 3] }, /"meeting" entry 2 must be a string/],
      ['search_meetings', { query: 'x', everything: true }, /unknown argument "everything"/],
      ['search_meetings', [], /the arguments must be an object/],
      ['list_decisions', { standing: 'maybe' }, /"standing" must be one of decided, open, given/],
      ['list_action_items', { mine: 'yes' }, /"mine" must be true or false/],
      ['get_meeting_notes', {}, /"meeting" is required/],
      ['list_meetings', { limit: 0 }, /"limit" must be at least 1/],
      ['search_meetings', { query: 'x'.repeat(2001) }, /"query" must have at most 2000 characters/],
    ];
    for (const [name, input, message] of refused) {
      await assert.rejects(run(name, input), (e: Error) => e instanceof AgentToolInputError && message.test(e.message), `${name} ${JSON.stringify(input).slice(0, 80)}`);
    }
  });

  it('every tool of the catalog runs (none is left unanswered)', async () => {
    const inputs: Record<string, unknown> = {
      search_meetings: { query: 'login timeout' }, list_action_items: {}, list_decisions: {}, get_meeting_notes: { meeting: 'latest' }, list_meetings: {},
      meetings_about_code: { path: 'src/auth.ts' },
    };
    for (const tool of AGENT_TOOLS) {
      const result = await run(tool.name, inputs[tool.name]);
      assert.equal(result.structured.tool, tool.name);
      assert.equal(typeof result.text, 'string');
    }
  });

  it('search_meetings ranks and cites as ask does: the same lines, files and times, each with its passage and meeting', async () => {
    const { index, source } = memory();
    const result = await run('search_meetings', { query: 'login timeout', limit: 3 }, source);
    const ask = citedSearch(index, { query: 'login timeout', limit: 3 }, undefined, source.files(index));
    const s = structured(result.structured, 'search_meetings');
    assert.ok(ask.cited.length > 0);
    assert.deepEqual(s.cited.map(({ file, line, t0, speaker, text, passage }) => ({ file, line, t0, speaker, text, passage })),
      ask.cited.map(({ file, line, t0, speaker, text, passage }) => ({ file, line, t0, speaker, text, passage })));
    assert.equal(s.meetingsSearched, 2);
    assert.equal(s.truncated, false);
    assert.equal(s.cited[0].meeting.sessionId, RELEASE_ID);
    assert.equal(s.cited[0].notesPath, `/notes/${RELEASE_ID}.md`);
    assert.match(result.text, /^Searched 2 meetings\. Passages, best first:/);
    assert.match(result.text, /\[1\] Release planning \(2026-03-01\), session 20260301T090000-aaaaaa — \/storage\/sessions\/20260301T090000-aaaaaa\.jsonl/);
    assert.match(result.text, /line 4 \(notes line 23\), 00:15 Carol: Then we raise the login timeout to five minutes\./);
  });

  it('search_meetings keeps to the meetings and days asked, and says when a meeting named is not there', async () => {
    const inBudget = structured((await run('search_meetings', { query: 'machines login', meeting: ['cloud budget'] })).structured, 'search_meetings');
    assert.ok(inBudget.cited.length > 0 && inBudget.cited.every((c) => c.meeting.sessionId === BUDGET_ID));
    assert.equal(inBudget.meetingsSearched, 1);
    const since = structured((await run('search_meetings', { query: 'login', since: '2026-03-05' })).structured, 'search_meetings');
    assert.ok(since.cited.every((c) => c.meeting.sessionId === BUDGET_ID));
    const none = await run('search_meetings', { query: 'login', since: '2027-01-01' });
    assert.match(none.text, /Searched 0 meetings\. Nothing in them matches/);
    await assert.rejects(run('search_meetings', { query: 'x', meeting: ['standup'] }), (e: Error) => e instanceof AgentToolError && /no meeting matches meeting "standup"; the latest: "Cloud budget"/.test(e.message));
  });

  it('cuts an answer longer than MEMORY_ASK_BOUND, says so, and its data holds only what its text does', async () => {
    const long = (i: number): Line => ['Zoe', `Line ${i}: the deployment pipeline ${'keeps failing on the staging cluster again and again '.repeat(12)}`];
    const big = Array.from({ length: 10 }, (_, m) => record(`2026040${m}T090000-cccc${m}${m}`.slice(0, 22), `Pipeline ${m}`, `2026-04-0${m + 1}T09:00:00Z`, Array.from({ length: 60 }, (_, i) => long(i))));
    const { source } = memory(big);
    const result = await run('search_meetings', { query: 'deployment pipeline staging', limit: 50 }, source);
    const s = structured(result.structured, 'search_meetings');
    assert.equal(s.truncated, true);
    assert.match(result.text, /\(Cut here: the answer is longer than an agent's share of the meetings, 120 lines or 24,000 characters\./);
    assertBounded(result.text);
    const shown = result.text.split('\n').filter((l) => /^ {2}line \d+/.test(l)).length;
    assert.equal(s.cited.length, shown, 'one cited line per line of text');
    for (const c of s.cited) assert.ok(result.text.includes(c.text.slice(0, 200)));

    // One line longer than the whole bound: it comes cut, never nothing.
    const huge = record('20260501T090000-dddddd', 'Huge', '2026-05-01T09:00:00Z', [['Zoe', `deployment ${'word '.repeat(10_000)}`]]);
    const one = await run('search_meetings', { query: 'deployment', meeting: ['Huge'] }, memory([huge]).source);
    const cut = structured(one.structured, 'search_meetings');
    assert.equal(cut.truncated, true);
    assert.equal(cut.cited.length, 1);
    assert.ok(cut.cited[0].text.endsWith('…') && cut.cited[0].text.length < 24_000);
    assertBounded(one.text);

    const notes = await run('get_meeting_notes', { meeting: 'Pipeline 3' }, source);
    const n = structured(notes.structured, 'get_meeting_notes');
    assert.equal(n.truncated, true);
    assert.ok(n.transcript.length > 0 && n.transcript.length < 60);
    assert.equal(n.transcript[0].line, 1, 'from the start');
    assertBounded(notes.text);
  });

  it('list_action_items: open ones newest meeting first; by owner, mine, meeting and done', async () => {
    const all = structured((await run('list_action_items', {})).structured, 'list_action_items');
    assert.deepEqual(all.items.map((i) => i.item.id), ['a3', 'a1']);
    assert.deepEqual(all.items[1].line && { line: all.items[1].line.line, t0: all.items[1].line.t0, speaker: all.items[1].line.speaker }, { line: 5, t0: 20, speaker: 'Alice' });
    assert.deepEqual(structured((await run('list_action_items', { owner: ['BOB'] })).structured, 'list_action_items').items.map((i) => i.item.id), ['a1']);
    assert.deepEqual(structured((await run('list_action_items', { mine: true })).structured, 'list_action_items').items.map((i) => i.item.id), ['a3']);
    assert.deepEqual(structured((await run('list_action_items', { includeDone: true, meeting: ['release'] })).structured, 'list_action_items').items.map((i) => i.item.id), ['a2', 'a1']);
    const text = (await run('list_action_items', {})).text;
    assert.match(text, /- \[ \] Fix the token refresh — @Bob, due 2026-03-06 \(00:20, line 5\)/);
    const { index } = memory();
    await assert.rejects(runAgentTool('list_action_items', { mine: true }, { index: async () => index, files: () => new Map(), owners: [] }),
      (e: Error) => e instanceof AgentToolError && /--me NAME/.test(e.message));
  });

  it('list_decisions: with standing, by topic and standing', async () => {
    const all = structured((await run('list_decisions', {})).structured, 'list_decisions');
    assert.deepEqual(all.decisions.map((d) => [d.decision.id, d.standing]), [['d3', 'decided'], ['d2', 'open'], ['d1', 'decided']]);
    const open = structured((await run('list_decisions', { standing: 'open' })).structured, 'list_decisions');
    assert.deepEqual(open.decisions.map((d) => d.decision.id), ['d2']);
    const topic = await run('list_decisions', { topic: 'login timeout' });
    assert.equal(structured(topic.structured, 'list_decisions').decisions[0].decision.id, 'd1');
    assert.match(topic.text, /- \(decided\) Raise the login timeout to five minutes \(00:15, line 4\)/);
  });

  it('get_meeting_notes: latest, by title or id; summary, decisions, items and the transcript from the start', async () => {
    const latest = structured((await run('get_meeting_notes', { meeting: 'latest' })).structured, 'get_meeting_notes');
    assert.equal(latest.meeting.sessionId, BUDGET_ID);
    const byTitle = await run('get_meeting_notes', { meeting: 'release PLANNING' });
    const r = structured(byTitle.structured, 'get_meeting_notes');
    assert.equal(r.meeting.sessionId, RELEASE_ID);
    assert.deepEqual(r.summary, ['The login timeout goes up to five minutes.']);
    assert.deepEqual(r.decisions.map((d) => d.id), ['d2', 'd1']);
    assert.deepEqual(r.actionItems.map((i) => i.id), ['a2', 'a1']);
    assert.deepEqual(r.transcript.map((l) => l.line), [1, 2, 3, 4, 5, 6]);
    assert.equal(r.transcript[0].notesLine, 20);
    assert.equal(r.truncated, false);
    assert.match(byTitle.text, /Summary:\n {2}- The login timeout goes up to five minutes\.\n\nDecisions:\n {2}- \(open\) Revisit the token lifetime later/);
    assert.equal(structured((await run('get_meeting_notes', { meeting: BUDGET_ID })).structured, 'get_meeting_notes').meeting.title, 'Cloud budget');
    await assert.rejects(run('get_meeting_notes', { meeting: 'retro' }), (e: Error) => e instanceof AgentToolError && /no meeting matches "retro"; the latest: "Cloud budget"/.test(e.message));
  });

  it('meetings_about_code: the lines that named a file or symbol or had it open, and the decisions and open items tied to them', async () => {
    const auth = record('20260320T090000-ffffff', 'Auth review', '2026-03-20T09:00:00Z', [
      ['Bob', 'The refresh logic in auth dot ts is wrong.'], ['Ann', 'We cache the token there then.'], ['Bob', 'Agreed.'], ['Ann', 'Unrelated: lunch.'],
    ], {
      decisions: [decision('20260320T090000-ffffff', 'd9', 'Cache the token in auth.ts', 2)],
      actionItems: [item('20260320T090000-ffffff', 'a9', 'Write the cache', 'Bob', 3)],
    });
    auth.segments[0] = { ...auth.segments[0], root: '/ws', mentions: [{ start: 22, end: 33, target: { kind: 'file', path: 'src/auth.ts' } }] };
    auth.segments[1] = { ...auth.segments[1], root: '/ws', viewing: { path: 'src/auth.ts', startLine: 10, endLine: 12 } };
    const { source } = memory([auth]);
    const result = await run('meetings_about_code', { path: 'src/auth.ts' }, source);
    const s = structured(result.structured, 'meetings_about_code');
    assert.equal(s.meetings.length, 1);
    assert.deepEqual(s.meetings[0].lines.map((l) => [l.line, l.speaker, l.file]), [[1, 'Bob', '/storage/sessions/20260320T090000-ffffff.jsonl'], [2, 'Ann', '/storage/sessions/20260320T090000-ffffff.jsonl']]);
    assert.deepEqual(s.meetings[0].decisions.map((d) => d.id), ['d9']);
    assert.deepEqual(s.meetings[0].actionItems.map((i) => i.id), ['a9']);
    assert.match(result.text, /^1 meeting spoke of src\/auth\.ts, newest first:/);
    assert.match(result.text, /line 1, 00:00 Bob \(named src\/auth\.ts\): The refresh logic/);
    assert.match(result.text, /line 2, 00:05 Ann \(viewing src\/auth\.ts:10-12\): We cache/);
    assert.match(result.text, / {4}- \(decided\) Cache the token in auth\.ts/);
    const none = await run('meetings_about_code', { path: 'src/other.ts' }, source);
    assert.equal(structured(none.structured, 'meetings_about_code').meetings.length, 0);
    assert.match(none.text, /No stored meeting spoke of src\/other\.ts/);
    assert.equal(structured((await run('meetings_about_code', { path: 'src/auth.ts', since: '2026-04-01' }, source)).structured, 'meetings_about_code').meetings.length, 0);
    await assert.rejects(run('meetings_about_code', {}, source), (e: Error) => e instanceof AgentToolInputError && /give "path", "symbol" or both/.test(e.message));
      // `earshot mcp --workspace DIR`: only the meetings recorded in that folder.
    const found = async (workspace: string) => structured((await run('meetings_about_code', { path: 'src/auth.ts' }, { ...source, workspace })).structured, 'meetings_about_code').meetings.length;
    assert.equal(await found('/ws'), 1);
    assert.equal(await found('/elsewhere'), 0);
  });

  it('list_meetings: newest first, by days and limit', async () => {
    const all = await run('list_meetings', {});
    assert.deepEqual(structured(all.structured, 'list_meetings').meetings.map((m) => m.sessionId), [BUDGET_ID, RELEASE_ID]);
    assert.match(all.text, /^2 meetings, newest first:\n- Cloud budget \(2026-03-10\), session 20260310T090000-bbbbbb, started 2026-03-10T09:00:00Z/);
    assert.deepEqual(structured((await run('list_meetings', { until: '2026-03-05' })).structured, 'list_meetings').meetings.map((m) => m.sessionId), [RELEASE_ID]);
    const one = await run('list_meetings', { limit: 1 });
    assert.equal(structured(one.structured, 'list_meetings').meetings.length, 1);
    assert.match(one.text, /\(the first 1\)/);
  });

  it('text from a meeting is inert: no control or bidi characters reach the answer', async () => {
    const hostile = record('20260601T090000-eeeeee', 'Evil\u001b]0;PWNED\u0007 title', '2026-06-01T09:00:00Z', [['Mal\u202elory', 'the rollout plan\u001b[2J is \u2066ready\u2069 now']]);
    const { source } = memory([hostile]);
    for (const [name, input] of [['search_meetings', { query: 'rollout plan' }], ['get_meeting_notes', { meeting: 'latest' }], ['list_meetings', {}]] as const) {
      const { text } = await run(name, input, source);
      assert.doesNotMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/, name);
    }
    const s = structured((await run('search_meetings', { query: 'rollout plan' }, source)).structured, 'search_meetings');
    assert.equal(s.cited[0].text, 'the rollout plan\u001b[2J is \u2066ready\u2069 now', 'the data is exact, as ask --json');
  });
});
