/**
 * **Earshot: Connect a Coding Agent (MCP)…**: what a user who installed the extension (no clone, no `npx earshot`)
 * pastes into a coding agent to give it `earshot mcp`. The CLI is inside the extension's folder and runs with VS Code's
 * own Electron as node, over the extension's global storage: exactly what VS Code's MCP definition runs
 * (mcpCommand.ts's mcpServerCommand, the one source of both).
 *
 * - Claude Code: `claude mcp add earshot --scope user -e KEY=VALUE … -- <command> <args…>` (code.claude.com/docs/en/mcp,
 *   "Installing MCP servers": `claude mcp add [options] <name> -- <command> [args...]`, `--env`/`-e` for the server's
 *   environment, `--scope user` for every project; `--` separates the server's command). The name comes before the
 *   options: `-e` takes several values and, before the name, takes the name as one more (anthropics/claude-code#62332,
 *   #46121: "Invalid environment variable format: my-server"); after the name, `--` ends it.
 * - Any MCP client (Cursor, Claude Desktop, Windsurf…): `{"mcpServers":{"earshot":{"command","args","env"}}}`.
 * - VS Code's agent mode: nothing to copy; the MCP server instead of the Language Model Tools, if the user wants it.
 *
 * The extension's folder is versioned (`<publisher>.earshot-<version>`) and VS Code deletes the old one after an
 * update; there is no stable path to it, so the message says to copy again after an update.
 */
import { McpLaunch, mcpServerCommand } from './mcpCommand';
import { commandLine, Shell, SHELL_NAMES, UnquotableError } from './shellQuote';

export const CONNECT_AGENT_COMMAND = 'earshot.connectCodingAgent';
export const MCP_SERVER_NAME = 'earshot';

export type AgentTarget = 'claude' | 'json' | 'vscode';

export interface ConnectAgentUi {
  pick(items: { label: string; description: string; detail: string; target: AgentTarget }[]): Promise<AgentTarget | undefined>;
  copy(text: string): Promise<void>;
  /** An information message with buttons; the button chosen, if any. */
  info(message: string, ...buttons: string[]): Promise<string | undefined>;
  warn(message: string): Promise<void>;
  /** earshot.agentTools.mcpServer, read and written (user settings). */
  mcpServerSetting: { get(): boolean; set(on: boolean): Promise<void> };
  /** Whether this VS Code offers MCP server definitions (1.101+). */
  vscodeHasMcp: boolean;
}

/** `claude mcp add …` for `shell`: throws UnquotableError where an argument cannot be written for it. */
export function claudeCommandLine(launch: McpLaunch, shell: Shell): string {
  const { command, args, env } = mcpServerCommand(launch);
  const words = ['claude', 'mcp', 'add', MCP_SERVER_NAME, '--scope', 'user', ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]), '--', command, ...args];
  return commandLine(words, shell);
}

/** The JSON configuration most MCP clients take (`mcpServers`), pretty-printed. */
export function mcpClientJson(launch: McpLaunch): string {
  const { command, args, env } = mcpServerCommand(launch);
  return JSON.stringify({ mcpServers: { [MCP_SERVER_NAME]: { command, args, env } } }, null, 2);
}

const PRIVACY = 'Earshot sends nothing anywhere itself, but the agent passes the meeting lines its tools return to its own model, which may run in the cloud.';
const UPDATES = 'It names this version of the extension\'s folder: after Earshot updates, copy it again.';

/** The quick pick and what the chosen target copies or changes; returns what was copied (tests), if anything. */
export async function connectCodingAgent(launch: McpLaunch, shell: Shell, ui: ConnectAgentUi): Promise<string | undefined> {
  const target = await ui.pick([
    { label: 'Claude Code', description: 'claude mcp add …', detail: `Copies a command to run in a terminal (${SHELL_NAMES[shell]}).`, target: 'claude' },
    { label: 'Another MCP client', description: 'Cursor, Claude Desktop, Windsurf…', detail: 'Copies the "mcpServers" JSON for its configuration file.', target: 'json' },
    { label: 'VS Code agent mode', description: 'this editor', detail: 'Nothing to copy: the meeting tools are there already.', target: 'vscode' },
  ]);
  if (target === 'vscode') { await vscodeAgentMode(ui); return undefined; }
  if (target === 'json') return copyJson(launch, ui);
  if (target !== 'claude') return undefined;
  let line: string;
  try {
    line = claudeCommandLine(launch, shell);
  } catch (e) {
    if (!(e instanceof UnquotableError)) throw e;
    const json = mcpClientJson(launch);
    await ui.copy(json);
    await ui.warn(`Earshot could not write the Claude Code command for ${SHELL_NAMES[shell]} (${e.message}). Copied the JSON configuration instead: add its "earshot" server to ~/.claude.json's "mcpServers". ${UPDATES} ${PRIVACY}`);
    return json;
  }
  await ui.copy(line);
  await ui.info(`Copied a command for ${SHELL_NAMES[shell]}: run it in a terminal to give Claude Code your meetings (the "earshot" MCP server, for all your projects). ${UPDATES} ${PRIVACY}`);
  return line;
}

async function copyJson(launch: McpLaunch, ui: ConnectAgentUi): Promise<string> {
  const json = mcpClientJson(launch);
  await ui.copy(json);
  await ui.info(`Copied the "earshot" MCP server as JSON: merge it into your MCP client's configuration (Cursor: ~/.cursor/mcp.json; Claude Desktop: claude_desktop_config.json). ${UPDATES} ${PRIVACY}`);
  return json;
}

async function vscodeAgentMode(ui: ConnectAgentUi): Promise<void> {
  const on = ui.mcpServerSetting.get();
  if (on) {
    const back = 'Use the Language Model Tools';
    const chosen = await ui.info('Agent mode (Chat › Agent) has the meeting tools from Earshot\'s MCP server (MCP: List Servers shows "Earshot meetings"). VS Code runs them without asking; the Language Model Tools ask before each run. ' + PRIVACY, back);
    if (chosen === back) await ui.mcpServerSetting.set(false);
    return;
  }
  const mcp = 'Use the MCP server instead';
  const chosen = await ui.info('Agent mode (Chat › Agent) has the meeting tools already, as Earshot\'s Language Model Tools: VS Code asks before each run. ' + PRIVACY,
    ...(ui.vscodeHasMcp ? [mcp] : []));
  if (chosen === mcp) await ui.mcpServerSetting.set(true);
}
