/**
 * The tools Earshot gives coding agents over its meeting memory: one catalog, served three ways.
 * - `earshot mcp`: a Model Context Protocol server on stdio (daemon/agentTools/), `tools/list` answers these
 *   definitions and `tools/call` runs them over the stored meetings (or `--over` transcripts).
 * - VS Code's agent mode: package.json's `contributes.languageModelTools` repeats these names and input schemas (a unit
 *   test checks they are the same), and the extension forwards each invocation to the daemon with {@link MemoryTool}.
 * - The daemon's JSON-RPC: {@link MemoryTool} runs one by name for the extension.
 *
 * Every tool is read-only. Its result carries, for every line it cites, what `earshot ask --json` does (meeting, file
 * where there is one, 1-based line, t0, speaker, text), and its text is bounded as a chat prompt is
 * ({@link MEMORY_ASK_BOUND}): an agent's context gets no more of the meetings than @earshot's model would.
 */
import { RequestType } from 'vscode-languageserver-protocol';
import { ActionItem, Decision, DecisionStanding, MemoryMeeting } from './protocol';

/** A JSON Schema (draft 2020-12 subset) as MCP's `inputSchema` and VS Code's `languageModelTools[].inputSchema` take it. */
export interface ToolInputSchema {
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
  required?: string[];
  additionalProperties: false;
}

export interface AgentToolDefinition {
  /** MCP tool name and VS Code tool name alike: `[a-z_]+`. */
  name: AgentToolName;
  /** What a person sees (VS Code's tool picker, an MCP client's list). */
  title: string;
  /** What the agent's model reads to decide when to call it. */
  description: string;
  inputSchema: ToolInputSchema;
}

export type AgentToolName =
  | 'search_meetings'
  | 'list_action_items'
  | 'list_decisions'
  | 'get_meeting_notes'
  | 'meetings_about_code'
  | 'list_meetings';

const DAY = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'A day as YYYY-MM-DD (this machine\'s time zone).' };
const MEETINGS = {
  type: 'array', items: { type: 'string', minLength: 1, maxLength: 200 }, maxItems: 20,
  description: 'Only these meetings: a session id, or words all found in the meeting\'s title (any of several).',
};

export const AGENT_TOOLS: readonly AgentToolDefinition[] = [
  {
    name: 'search_meetings',
    title: 'Search meetings',
    description: 'Searches every stored meeting transcript and its notes for what was said about a question, and returns the best passages: each line with its meeting, time, speaker and where it is. Use it for "what did we decide/say about X", "why is X done this way", "who raised X".',
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', minLength: 1, maxLength: 2000, description: 'The question or the words to look for.' },
        limit: { type: 'integer', minimum: 1, maximum: 50, default: 5, description: 'Passages to return (each a few lines).' },
        meeting: MEETINGS,
        since: DAY,
        until: DAY,
      },
      required: ['query'],
      additionalProperties: false,
    },
  },
  {
    name: 'list_action_items',
    title: 'List action items',
    description: 'Lists the open action items of stored meetings, newest meeting first: the task, its owner and due date, the meeting and the line that said it. Filter by owner, by "mine" (the user\'s own names), by meeting or by day.',
    inputSchema: {
      type: 'object',
      properties: {
        owner: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 200 }, maxItems: 20, description: 'Only items owned by one of these names (any case).' },
        mine: { type: 'boolean', default: false, description: 'Only the user\'s own items.' },
        meeting: MEETINGS,
        since: DAY,
        includeDone: { type: 'boolean', default: false, description: 'Include items already ticked done.' },
      },
      additionalProperties: false,
    },
  },
  {
    name: 'list_decisions',
    title: 'List decisions',
    description: 'Lists the decisions of stored meetings with their standing (decided, open: put off, given: a requirement from outside the team), newest meeting first, each with the line that said it. With a topic, only decisions about it, best first.',
    inputSchema: {
      type: 'object',
      properties: {
        topic: { type: 'string', minLength: 1, maxLength: 2000, description: 'Only decisions about this.' },
        standing: { type: 'string', enum: ['decided', 'open', 'given'], description: 'Only decisions of this standing.' },
        meeting: MEETINGS,
        since: DAY,
        until: DAY,
      },
      additionalProperties: false,
    },
  },
  {
    name: 'get_meeting_notes',
    title: 'Get a meeting\'s notes',
    description: 'Returns one meeting\'s notes: its summary, decisions, action items and the start of its transcript (bounded), with the notes file and lines. Name the meeting by session id or words of its title; "latest" is the most recent meeting.',
    inputSchema: {
      type: 'object',
      properties: {
        meeting: { type: 'string', minLength: 1, maxLength: 200, description: 'A session id, words of the title, or "latest".' },
      },
      required: ['meeting'],
      additionalProperties: false,
    },
  },
  {
    name: 'meetings_about_code',
    title: 'Meetings about code',
    description: 'What meetings said about a workspace file or symbol: the lines that named it or were spoken while it was open in the editor, and the decisions and open action items tied to those lines, newest meeting first. Give a workspace-relative path, a symbol name, or both.',
    inputSchema: {
      type: 'object',
      properties: {
        path: { type: 'string', minLength: 1, maxLength: 1000, description: 'Workspace-relative file path, with /.' },
        symbol: { type: 'string', minLength: 1, maxLength: 200, description: 'A function, class or other symbol name.' },
        since: DAY,
      },
      additionalProperties: false,
    },
  },
  {
    name: 'list_meetings',
    title: 'List meetings',
    description: 'Lists the stored meetings, newest first: session id, title, start, length and notes file.',
    inputSchema: {
      type: 'object',
      properties: {
        since: DAY,
        until: DAY,
        limit: { type: 'integer', minimum: 1, maximum: 200, default: 20 },
      },
      additionalProperties: false,
    },
  },
];

/** A line a tool cites: what `earshot ask --json` gives for it, and the meeting it is from. */
export interface AgentCitedLine {
  meeting: Pick<MemoryMeeting, 'sessionId' | 'title' | 'startedAt'>;
  /** search_meetings: the rank of the passage the line is in (1: the best), as `ask` numbers its passages. */
  passage?: number;
  /** The journal or transcript file the line is in (`ask --json`'s `file`); absent when there is none. */
  file?: string;
  /** 1-based: the segment's index in a journal, or the line of a transcript file (as `ask --json`). */
  line: number;
  /** Seconds into the meeting; null for a transcript without times. */
  t0: number | null;
  speaker: string;
  text: string;
  /** Where the line is in the meeting's notes file, when it is there. */
  notesPath?: string;
  notesLine?: number;
}

/** What every tool answers: text for the model, the same as data (MCP's `structuredContent`). */
export interface AgentToolResult {
  /** Plain text, inert (no control or bidi characters), bounded as {@link MEMORY_ASK_BOUND}. */
  text: string;
  structured: AgentToolStructured;
}

/** The data of each tool's answer; `truncated`: the bound cut it (the text says so too). */
export type AgentToolStructured =
  | { tool: 'search_meetings'; cited: AgentCitedLine[]; meetingsSearched: number; truncated: boolean }
  | { tool: 'list_action_items'; items: { meeting: MemoryMeeting; item: ActionItem; line?: AgentCitedLine; notesLine?: number }[]; truncated: boolean }
  | { tool: 'list_decisions'; decisions: { meeting: MemoryMeeting; decision: Decision; standing: DecisionStanding; line?: AgentCitedLine; notesLine?: number }[]; truncated: boolean }
  | { tool: 'get_meeting_notes'; meeting: MemoryMeeting; summary: string[]; decisions: Decision[]; actionItems: ActionItem[]; transcript: AgentCitedLine[]; truncated: boolean }
  | { tool: 'meetings_about_code'; meetings: { meeting: MemoryMeeting; lines: AgentCitedLine[]; decisions: Decision[]; actionItems: ActionItem[] }[]; truncated: boolean }
  | { tool: 'list_meetings'; meetings: MemoryMeeting[]; truncated: boolean };

/**
 * Runs one agent tool in the daemon, over its stored meetings (the extension's Language Model Tools). Bad input (an
 * unknown tool, arguments its schema refuses) is an InvalidParams error naming what is wrong.
 */
export const MemoryTool = new RequestType<MemoryToolParams, AgentToolResult, void>('earshot/memory/tool');
export interface MemoryToolParams {
  name: AgentToolName;
  input: Record<string, unknown>;
  /** The user's own names (the Action Items view's), for `mine`. */
  owners?: string[];
}
