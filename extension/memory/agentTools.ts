/**
 * Earshot's meeting-memory tools for VS Code's agent mode (Language Model Tools): package.json's
 * `contributes.languageModelTools` declares each tool of protocol/agentTools.ts as `earshot_<name>` (VS Code's tool
 * names are global), and this registers what runs them: the daemon answers (`earshot/memory/tool`), the agent's model
 * gets the text. Before a tool runs VS Code asks the user, with our confirmation, whether lines of their meetings may go to the
 * agent's language model.
 *
 * The API: `vscode.lm.registerTool` and `contributes.languageModelTools` are stable since VS Code 1.95 (@types/vscode
 * 1.95.0 index.d.ts:19708 declares `lm.registerTool` outside any proposal), so engines.vscode ^1.95.0 holds; still a
 * build without chat (or a fork without `lm`) registers nothing.
 *
 * How VS Code confirms (code-server 4.139.1 = VS Code 1.139.1, out/vs/code/browser/workbench/workbench.js,
 * LanguageModelToolsService.invokeTool): in a chat request (a toolInvocationToken) the confirmation shows in the chat
 * with Allow/Skip and "always allow" choices; from `vscode.lm.invokeTool` without a token (another extension, our tests)
 * it is a modal dialog, `dialogService.confirm({ message: title, detail: message })`, and a refusal rejects the call
 * with a cancellation error (under extension tests DialogService.skipDialogs answers yes without showing it). Either
 * way prepareInvocation runs first and the tool only after a yes.
 */
import * as vscode from 'vscode';
import { TIMED_OUT, within } from '../../protocol/bounded';
import { AGENT_TOOLS, AgentToolName, AgentToolResult, MemoryToolParams } from '../../protocol/agentTools';
import { plainLine } from '../../protocol/plainText';

/** VS Code's name of a tool: ours are prefixed, as its tool names share one namespace with every extension's. */
export function vscodeToolName(name: AgentToolName): string {
  return `earshot_${name}`;
}

/** What the tools ask the daemon (DaemonClient; a fake in unit tests). */
export interface AgentToolClient {
  memoryTool(params: MemoryToolParams, token?: vscode.CancellationToken): Promise<AgentToolResult>;
}

export interface AgentToolDeps {
  client: AgentToolClient;
  /** The user's own names (settings.myNames, as the Action Items view's), for `mine`. */
  myNames: () => string[];
  /** How long a tool waits for the daemon (a cold start syncs the memory first) before it fails. */
  timeoutMs?: number;
}

/** A daemon that does not answer in this long fails the tool call rather than holding up the agent. */
export const AGENT_TOOL_TIMEOUT_MS = 60_000;
/** How much of the agent's input an invocation message quotes. */
const QUOTED_CHARS = 80;

/** The subset of `vscode.lm` used here: absent where the running VS Code has no Language Model Tools. */
export type ToolRegistrar = { registerTool?: (name: string, tool: vscode.LanguageModelTool<Record<string, unknown>>) => vscode.Disposable } | undefined;

/** Registers every tool where the API exists; none (and no error) where it does not. */
export function registerAgentTools(lm: ToolRegistrar, deps: AgentToolDeps): { tools: MeetingTool[]; disposables: vscode.Disposable[] } {
  const register = lm?.registerTool;
  if (typeof register !== 'function') return { tools: [], disposables: [] };
  const tools = AGENT_TOOLS.map((tool) => new MeetingTool(tool.name, deps));
  return { tools, disposables: tools.map((tool) => register.call(lm, vscodeToolName(tool.name), tool)) };
}

export class MeetingTool implements vscode.LanguageModelTool<Record<string, unknown>> {
  constructor(readonly name: AgentToolName, private readonly deps: AgentToolDeps) {}

  prepareInvocation(options: vscode.LanguageModelToolInvocationPrepareOptions<Record<string, unknown>>): vscode.PreparedToolInvocation {
    const input = isObject(options.input) ? options.input : {};
    return {
      invocationMessage: invocationMessage(this.name, input),
      confirmationMessages: {
        title: 'Give the agent lines from your meetings?',
        message: new vscode.MarkdownString(confirmationText(this.name)),
      },
    };
  }

  async invoke(options: vscode.LanguageModelToolInvocationOptions<Record<string, unknown>>, token: vscode.CancellationToken): Promise<vscode.LanguageModelToolResult> {
    if (!isObject(options.input)) throw new Error(`Earshot ${this.name}: the input must be a JSON object with the tool's parameters.`);
    const params: MemoryToolParams = { name: this.name, input: options.input, owners: this.deps.myNames() };
    const ms = this.deps.timeoutMs ?? AGENT_TOOL_TIMEOUT_MS;
    // A daemon that never answers must not hang the agent: the call fails once the bound runs out.
    const result = await within(this.deps.client.memoryTool(params, token), ms).catch((e: unknown) => {
      throw new Error(`Earshot ${this.name} failed: ${plainLine(e instanceof Error ? e.message : String(e))}`);
    });
    if (result === TIMED_OUT) throw new Error(`Earshot ${this.name} failed: the Earshot daemon did not answer within ${ms / 1000} s (${this.name}); try again, or run "Earshot: Show Health"`);
    return toolResult(result);
  }
}

/**
 * The text alone: it already carries, inert and bounded, every cited line with its meeting, time, speaker and place.
 * `structured` is not added as a data part: LanguageModelDataPart is not in @types/vscode 1.95 (our floor), and where a
 * VS Code has it, the agent's model would get the same lines twice, doubling what leaves for the model.
 */
export function toolResult(result: AgentToolResult): vscode.LanguageModelToolResult {
  return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(result.text)]);
}

/** "Searching meetings for “retry policy”": the agent's own words quoted, inert (some VS Code views render it as Markdown). */
export function invocationMessage(name: AgentToolName, input: Record<string, unknown>): string {
  const quoted = (key: string) => {
    const value = typeof input[key] === 'string' ? inertQuote(input[key] as string) : '';
    return value ? ` “${value}”` : '';
  };
  switch (name) {
    case 'search_meetings': return `Searching meetings for${quoted('query') || ' your question'}`;
    case 'list_action_items': return input.mine === true ? 'Listing your open action items from meetings' : 'Listing open action items from meetings';
    case 'list_decisions': return quoted('topic') ? `Listing meeting decisions about${quoted('topic')}` : 'Listing meeting decisions';
    case 'get_meeting_notes': return `Reading the notes of meeting${quoted('meeting')}`;
    case 'meetings_about_code': return `Finding what meetings said about${quoted('path') || quoted('symbol') || ' this code'}`;
    case 'list_meetings': return 'Listing recorded meetings';
  }
}

/** What the user confirms: which lines go, and where they go (plainly: possibly to the cloud). */
export function confirmationText(name: AgentToolName): string {
  const title = AGENT_TOOLS.find((t) => t.name === name)?.title ?? name;
  return `Earshot's **${title}** gives the agent lines from your recorded meetings: what was said, who said it and when. `
    + 'The agent sends them to its language model, which may run in the cloud (for example GitHub Copilot\'s models). '
    + 'Earshot itself sends nothing anywhere: the meetings are read on this machine.';
}

/** The agent's input in one line, at most {@link QUOTED_CHARS}, without controls or what Markdown acts on. */
function inertQuote(text: string): string {
  const line = plainLine(text).replace(/[\\`*_{}[\]()<>#|~!“”]/g, '').replace(/\s+/g, ' ').trim();
  return line.length > QUOTED_CHARS ? `${line.slice(0, QUOTED_CHARS - 1).trimEnd()}…` : line;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
