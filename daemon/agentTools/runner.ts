/**
 * Runs the agents' tools (protocol/agentTools.ts AGENT_TOOLS) over a meeting-memory index: for `earshot mcp` (stored
 * meetings or `--over` transcripts) and the daemon's earshot/memory/tool (VS Code's Language Model Tools). Arguments
 * are checked against the tool's schema first (validate.ts). search_meetings ranks and cites as `earshot ask` does
 * (memory/askSearch.ts). Each answer is plain, inert text bounded as a chat prompt (boundedText.ts) and the same as
 * data, holding only what the text holds.
 *
 * Owns the tools' answers. Must not write anything (every tool is read-only) nor log any text.
 */
import { AGENT_TOOLS, AgentCitedLine, AgentToolDefinition, AgentToolName, AgentToolResult } from '../../protocol/agentTools';
import { plainLine } from '../../protocol/plainText';
import { ActionItem, Decision, decisionStanding, DecisionStanding, MemoryMeeting } from '../../protocol/protocol';
import { clock } from '../../protocol/markdownText';
import { AskCitedLine, citedSearch, MeetingFile, meetingsAsked, namesMeeting, NoSuchMeeting } from '../memory/askSearch';
import { inRange, MeetingRecord, MemoryIndex, SemanticQuery, startDay } from '../memory/memoryIndex';
import { fold } from '../memory/terms';
import { BoundedText, TextLine } from './boundedText';
import { citedWhere, lineAt, meetingHeading } from './cite';
import { meetingsAboutCode } from './codeTool';
import { AgentToolInputError, checkedInput } from './validate';

export { AgentToolInputError } from './validate';

/** A tool that ran on good arguments and could not answer (a meeting named that is not there, `mine` without names). */
export class AgentToolError extends Error {}

/** What the tools run over. */
export interface AgentToolSource {
  /** The index, brought up to date (a StoredMemory synced). */
  index(): Promise<MemoryIndex>;
  /** Where each meeting's lines are (`ask --json`'s file and line); a meeting missing is cited by segment, without a file. */
  files(index: MemoryIndex): ReadonlyMap<string, MeetingFile>;
  /** The meaning model's view of a question, when one is downloaded (none: words alone, as `ask --words-only`). */
  semantic?(index: MemoryIndex, question: string): Promise<SemanticQuery | undefined>;
  /** The user's own names, for list_action_items' `mine`. */
  owners: readonly string[];
  /** The workspace folder meetings_about_code's paths are in (`earshot mcp --workspace`); absent: any folder's meetings. */
  workspace?: string;
}

export function agentTool(name: unknown): AgentToolDefinition {
  const tool = AGENT_TOOLS.find((t) => t.name === name);
  if (!tool) throw new AgentToolInputError(`unknown tool ${typeof name === 'string' ? `"${plainLine(name).slice(0, 60)}"` : `(a ${typeof name}, not a name)`}: the tools are ${AGENT_TOOLS.map((t) => t.name).join(', ')}`);
  return tool;
}

/** Runs one tool: AgentToolInputError for an unknown tool or arguments its schema refuses, AgentToolError when it cannot answer. */
export async function runAgentTool(name: unknown, input: unknown, source: AgentToolSource): Promise<AgentToolResult> {
  const tool = agentTool(name);
  // The schema checked the arguments' names and types; each tool reads them as its own.
  const args = checkedInput(tool, input) as never;
  const index = await source.index();
  const run: Record<AgentToolName, () => Promise<AgentToolResult> | AgentToolResult> = {
    search_meetings: () => searchMeetings(index, args, source),
    list_action_items: () => listActionItems(index, args, source),
    list_decisions: () => listDecisions(index, args, source),
    get_meeting_notes: () => meetingNotes(index, (args as { meeting: string }).meeting, source),
    meetings_about_code: () => meetingsAboutCode(index, { ...(args as object), ...(source.workspace !== undefined ? { root: source.workspace } : {}) }, source.files(index)),
    list_meetings: () => listMeetings(index, args),
  };
  return run[tool.name]();
}

interface SearchArgs { query: string; limit: number; meeting?: string[]; since?: string; until?: string }
interface ItemArgs { owner?: string[]; mine: boolean; meeting?: string[]; since?: string; includeDone: boolean }
interface DecisionArgs { topic?: string; standing?: DecisionStanding; meeting?: string[]; since?: string; until?: string }

/** The meetings a tool's `meeting`/`since`/`until` ask for (as `ask --meeting` chooses them); a name that matches none fails. */
function chosen(index: MemoryIndex, named: readonly string[] | undefined, since?: string, until?: string): string[] | undefined {
  try {
    return meetingsAsked(index, named ?? [], since, until, (name) => `meeting "${plainLine(name)}"`);
  } catch (e) {
    throw e instanceof NoSuchMeeting ? new AgentToolError(e.message) : e;
  }
}

async function searchMeetings(index: MemoryIndex, args: SearchArgs, source: AgentToolSource): Promise<AgentToolResult> {
  const sessionIds = chosen(index, args.meeting, args.since, args.until);
  const semantic = sessionIds?.length === 0 || !source.semantic ? undefined : await source.semantic(index, args.query);
  const { cited: all } = citedSearch(index, { query: args.query, limit: args.limit, sessionIds }, semantic, source.files(index));
  const meetingsSearched = sessionIds?.length ?? index.sessionCount;
  const out = new BoundedText();
  out.note(`Searched ${meetingsSearched} meeting${meetingsSearched === 1 ? '' : 's'}. ${all.length ? 'Passages, best first:' : 'Nothing in them matches the question.'}`);
  const cited: AgentCitedLine[] = [];
  const passages = groupBy(all, (c) => c.passage);
  for (const lines of passages) {
    const p = lines[0];
    const entry: TextLine[] = [
      { prefix: `\n[${p.passage}] ${meetingHeading(p.meeting)}${p.file ? ` — ${plainLine(p.file)}` : ''}${p.meeting.notesPath ? `; notes ${plainLine(p.meeting.notesPath)}` : ''}` },
      ...lines.map((c) => ({ prefix: `  ${citedWhere(c)} ${plainLine(c.speaker) || '?'}: `, text: plainLine(c.text) })),
    ];
    const taken = out.add(entry, cited.length === 0);
    // Each line's text as the answer's text has it: the line itself, or cut where the bound cut it.
    lines.slice(0, Math.max(0, taken.length - 1)).forEach((c, i) => cited.push(agentLine(c, taken[i + 1] === plainLine(c.text) ? c.text : taken[i + 1])));
    if (out.truncated) break;
  }
  return { text: out.text('Ask with a smaller limit, or name a meeting or days.'), structured: { tool: 'search_meetings', cited, meetingsSearched, truncated: out.truncated } };
}

async function listActionItems(index: MemoryIndex, args: ItemArgs, source: AgentToolSource): Promise<AgentToolResult> {
  const sessionIds = args.meeting?.length || args.since ? new Set(chosen(index, args.meeting, args.since)) : undefined;
  if (args.mine && !source.owners.length) throw new AgentToolError('list_action_items: "mine" needs the user\'s names, and none were given (earshot mcp --me NAME; in VS Code, the Action Items view\'s names)');
  const owners = new Set((args.owner ?? []).map((o) => fold(o).trim()));
  const found = index.todo(source.owners, args.includeDone).filter(({ meeting, item, mine }) =>
    (!sessionIds || sessionIds.has(meeting.sessionId)) && (!args.mine || mine) && (!owners.size || (item.owner !== null && owners.has(fold(item.owner).trim()))));
  const files = source.files(index);
  const out = new BoundedText();
  out.note(found.length ? `${found.length} ${args.includeDone ? '' : 'open '}action item${found.length === 1 ? '' : 's'}, newest meeting first:` : `No ${args.includeDone ? '' : 'open '}action items match.`);
  const items: Extract<AgentToolResult['structured'], { tool: 'list_action_items' }>['items'] = [];
  for (const group of groupBy(found, (f) => f.meeting.sessionId)) {
    const meeting = group[0].meeting;
    const heading = { prefix: `\n${meetingHeading(meeting)}${meeting.notesPath ? ` — notes ${plainLine(meeting.notesPath)}` : ''}` };
    group.forEach(({ item, notesLine }, i) => {
      const line = itemLine(index, meeting, item, files);
      const entry: TextLine[] = [...(i === 0 ? [heading] : []), { prefix: `  - [${item.done ? 'x' : ' '}] `, text: itemText(item, line, notesLine) }];
      if (out.add(entry).length) items.push({ meeting, item, ...(line ? { line } : {}), ...(notesLine ? { notesLine } : {}) });
    });
    if (out.truncated) break;
  }
  return { text: out.text('Ask for one owner, a meeting or days.'), structured: { tool: 'list_action_items', items, truncated: out.truncated } };
}

function itemText(item: ActionItem, line: AgentCitedLine | undefined, notesLine?: number): string {
  return `${plainLine(item.text)}${item.owner ? ` — @${plainLine(item.owner)}` : ''}${item.due ? `, due ${plainLine(item.due)}` : ''} (${clock(item.t0)}`
    + `${line ? `, ${line.file ? `line ${line.line}` : `segment ${line.line}`}` : ''}${notesLine ? `, notes line ${notesLine}` : ''})`;
}

async function listDecisions(index: MemoryIndex, args: DecisionArgs, source: AgentToolSource): Promise<AgentToolResult> {
  const sessionIds = args.meeting?.length ? new Set(chosen(index, args.meeting, args.since, args.until)) : undefined;
  const found = index.decisions({ topic: args.topic, since: args.since, until: args.until })
    .filter(({ meeting, decision }) => (!sessionIds || sessionIds.has(meeting.sessionId)) && (!args.standing || decisionStanding(decision) === args.standing));
  const files = source.files(index);
  const out = new BoundedText();
  out.note(found.length ? `${found.length} decision${found.length === 1 ? '' : 's'}, ${args.topic ? 'best match first' : 'newest meeting first'}:` : 'No decisions match.');
  const decisions: Extract<AgentToolResult['structured'], { tool: 'list_decisions' }>['decisions'] = [];
  let last = '';
  for (const { meeting, decision, notesLine } of found) {
    const standing = decisionStanding(decision);
    const line = itemLine(index, meeting, decision, files);
    const entry: TextLine[] = [
      ...(meeting.sessionId !== last ? [{ prefix: `\n${meetingHeading(meeting)}${meeting.notesPath ? ` — notes ${plainLine(meeting.notesPath)}` : ''}` }] : []),
      { prefix: `  - (${standing}) `, text: `${plainLine(decision.text)} (${clock(decision.t0)}${line?.file ? `, line ${line.line}` : ''}${notesLine ? `, notes line ${notesLine}` : ''})` },
    ];
    if (!out.add(entry).length) break;
    last = meeting.sessionId;
    decisions.push({ meeting, decision, standing, ...(line ? { line } : {}), ...(notesLine ? { notesLine } : {}) });
  }
  return { text: out.text('Ask about a topic, a meeting or days.'), structured: { tool: 'list_decisions', decisions, truncated: out.truncated } };
}

/** The meeting `name` names: "latest", a session id, or words of its title (the newest of several). */
export function namedMeeting(index: MemoryIndex, name: string): MemoryMeeting {
  const all = index.meetingList();
  const found = name.trim().toLowerCase() === 'latest' ? all.slice(0, 1) : all.filter((m) => namesMeeting(m, name));
  if (!found.length) {
    const latest = all.slice(0, 5).map((m) => `"${plainLine(m.title)}" (${startDay(m.startedAt)}, session ${m.sessionId})`).join(', ');
    throw new AgentToolError(all.length ? `no meeting matches "${plainLine(name).slice(0, 200)}"; the latest: ${latest}` : 'there are no stored meetings');
  }
  return found[0];
}

async function meetingNotes(index: MemoryIndex, name: string, source: AgentToolSource): Promise<AgentToolResult> {
  const meeting = namedMeeting(index, name);
  const record = index.record(meeting.sessionId)!;
  const files = source.files(index);
  const file = files.get(meeting.sessionId)?.file;
  const out = new BoundedText();
  out.note(`${meetingHeading(meeting)}${meeting.durationSec !== null ? `, ${Math.round(meeting.durationSec / 60)} min` : ''}`);
  if (file) out.note(`Transcript file: ${plainLine(file)}`);
  if (meeting.notesPath) out.note(`Notes: ${plainLine(meeting.notesPath)}`);
  const summary: string[] = [];
  const decisions: Decision[] = [];
  const actionItems: ActionItem[] = [];
  const transcript: AgentCitedLine[] = [];
  const section = (title: string, entries: { line: TextLine; keep: () => void }[]) => {
    if (!entries.length || out.truncated || !out.add([{ prefix: `\n${title}:` }]).length) return;
    for (const e of entries) {
      if (!out.add([e.line]).length) return;
      e.keep();
    }
  };
  section('Summary', (record.summary ?? []).map((p) => ({ line: { prefix: '  - ', text: plainLine(p.text) }, keep: () => summary.push(p.text) })));
  const current = <T extends ActionItem | Decision>(list: readonly T[]) => [...list].filter((i) => !i.removed).sort((a, b) => a.t0 - b.t0);
  section('Decisions', current(record.decisions).map((d) => ({
    line: { prefix: `  - (${decisionStanding(d)}) `, text: `${plainLine(d.text)} (${clock(d.t0)}${notesAt(record, d.id)})` }, keep: () => decisions.push(d),
  })));
  section('Action items', current(record.actionItems).map((i) => ({
    line: { prefix: `  - [${i.done ? 'x' : ' '}] `, text: itemText(i, undefined, record.itemNotesLines?.get(i.id)) }, keep: () => actionItems.push(i),
  })));
  section(`Transcript (${record.segments.length} lines, from the start)`, record.segments.map((s, i) => {
    const line = lineAt(record, i, files);
    return { line: { prefix: `  ${citedWhere(line)} ${plainLine(s.speaker) || '?'}: `, text: plainLine(s.text) }, keep: () => transcript.push(line) };
  }));
  return {
    text: out.text('search_meetings finds the lines about a question in the rest of the meeting.'),
    structured: { tool: 'get_meeting_notes', meeting, summary, decisions, actionItems, transcript, truncated: out.truncated },
  };
}

function notesAt(record: Readonly<MeetingRecord>, id: string): string {
  const at = record.itemNotesLines?.get(id);
  return at ? `, notes line ${at}` : '';
}

function listMeetings(index: MemoryIndex, args: { since?: string; until?: string; limit: number }): AgentToolResult {
  const all = index.meetingList().filter((m) => inRange(m.startedAt, args.since, args.until));
  const out = new BoundedText();
  out.note(all.length ? `${all.length} meeting${all.length === 1 ? '' : 's'}, newest first${all.length > args.limit ? ` (the first ${args.limit})` : ''}:` : 'No stored meetings match.');
  const meetings: MemoryMeeting[] = [];
  for (const m of all.slice(0, args.limit)) {
    const length = m.durationSec !== null ? `, ${Math.round(m.durationSec / 60)} min` : '';
    const started = m.startedAt ? `, started ${plainLine(m.startedAt)}` : '';
    if (!out.add([{ prefix: '- ', text: `${meetingHeading(m)}${started}${length}${m.notesPath ? `, notes ${plainLine(m.notesPath)}` : ''}` }]).length) break;
    meetings.push(m);
  }
  return { text: out.text('Ask with since/until or a smaller limit.'), structured: { tool: 'list_meetings', meetings, truncated: out.truncated } };
}

/** An `ask` line as the tools cite it (`text`: as it went into the answer, cut when the bound cut it). */
function agentLine(c: AskCitedLine, text: string): AgentCitedLine {
  return {
    meeting: { sessionId: c.meeting.sessionId, title: c.meeting.title, startedAt: c.meeting.startedAt }, passage: c.passage,
    ...(c.file ? { file: c.file } : {}), line: c.line, t0: c.t0, speaker: c.speaker, text,
    ...(c.notesLine && c.meeting.notesPath ? { notesPath: c.meeting.notesPath, notesLine: c.notesLine } : {}),
  };
}

/** The line an item or decision came from, when the meeting still has it (a model's own addition has none). */
function itemLine(index: MemoryIndex, meeting: MemoryMeeting, item: { segmentId: string }, files: ReadonlyMap<string, MeetingFile>): AgentCitedLine | undefined {
  const record = index.record(meeting.sessionId);
  const i = record ? record.segments.findIndex((s) => s.segmentId === item.segmentId) : -1;
  return record && i >= 0 ? lineAt(record, i, files) : undefined;
}

/** Consecutive runs of `list` with the same key. */
function groupBy<T>(list: readonly T[], key: (t: T) => unknown): T[][] {
  const groups: T[][] = [];
  for (const t of list) {
    const last = groups[groups.length - 1];
    if (last && key(last[0]) === key(t)) last.push(t);
    else groups.push([t]);
  }
  return groups;
}
