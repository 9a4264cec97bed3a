/**
 * Earshot's meeting tools in VS Code's agent mode (issue 55), in a real VS Code with the real daemon: a meeting recorded
 * through the daemon (the sample, with the whisper model that says "Alice, can you fix auth.ts by Friday?") unless
 * memory already has one of ours; `vscode.lm.tools` lists every tool; `vscode.lm.invokeTool` on each answers text citing
 * the meeting (the search's answer shown in an editor: screenshot); a bad input is an error; and the MCP
 * server definition the provider gives (`earshot mcp`) starts and answers tools/list and a tool call over the same
 * meetings, through the MCP SDK's own client; so does the JSON that Earshot: Connect a Coding Agent (MCP)… copies.
 *
 * The confirmation: VS Code prepares each call (our prepareInvocation) and, without a chat request, asks in a modal
 * dialog; but under extension tests its DialogService answers every confirm() itself, yes, without showing it
 * (code-server 4.139.1 workbench.js, DialogService.skipDialogs: `isExtensionDevelopment && !!extensionTestsLocationURI`
 * → confirm returns `{ confirmed: true }`). So the test reads the confirmation from the registered tools, and the unit
 * test (test/unit/agent-tools-vscode.test.ts) its wording.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EarshotApi } from '../../../extension/extension';
import { vscodeToolName } from '../../../extension/memory/agentTools';
import { CONNECT_AGENT_COMMAND } from '../../../extension/memory/connectAgent';
import { AGENT_TOOLS, AgentToolName } from '../../../protocol/agentTools';
import { recordSampleMeeting, screenshot, until, WorkspaceSettings } from './hooks';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const SAMPLE = path.join(REPO_ROOT, 'media', 'sample', 'standup.wav');
const MEETING_MODEL = process.env.EARSHOT_TEST_MEETING_MODEL;
const TITLE = 'Agent tools sync';
/** How long one tool call may take (a first call may wait for the daemon's memory to sync). */
const CALL_MS = 60_000;

/** Settles within `ms` or fails naming `what`: nothing here waits unbounded. */
function within<T>(promise: Thenable<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    Promise.resolve(promise),
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

describe('Agent tools: Language Model Tools and the MCP server in VS Code', function () {
  let api: EarshotApi;
  const settings = new WorkspaceSettings();

  before(async function () {
    this.timeout(600_000);
    if (!MEETING_MODEL) this.skip(); // started without test/editor/run.ts
    api = await vscode.extensions.getExtension<EarshotApi>('earshot.earshot')!.activate();
    // "Mine" is Alice's item, through the Language Model Tools and `earshot mcp --me` alike.
    await settings.set('memory.myNames', ['Alice']);
    const meetings = await api.client.memoryMeetings();
    if (meetings.some((m) => m.title === TITLE)) return;
    await recordSampleMeeting(api, SAMPLE, TITLE, MEETING_MODEL);
  });

  after(async () => {
    await settings.restore();
  });

  /** Invokes a tool as another extension would (no chat request), bounded; its one text part. */
  async function invoke(name: AgentToolName, input: object): Promise<string> {
    const result = await within(vscode.lm.invokeTool(vscodeToolName(name), { input, toolInvocationToken: undefined }), CALL_MS, name);
    const parts = result.content.filter((p): p is vscode.LanguageModelTextPart => p instanceof vscode.LanguageModelTextPart);
    assert.equal(parts.length, 1, `${name} answers one text part`);
    return parts[0].value;
  }

  it('lists every Earshot tool in vscode.lm.tools, with its schema', async () => {
    const tools = await until(() => {
      const ours = vscode.lm.tools.filter((t) => t.name.startsWith('earshot_'));
      return ours.length === AGENT_TOOLS.length && ours;
    }, 'every earshot_ tool in vscode.lm.tools', 20_000);
    for (const t of AGENT_TOOLS) {
      const listed = tools.find((x) => x.name === vscodeToolName(t.name));
      assert.ok(listed, t.name);
      assert.equal(listed.description, t.description);
      assert.deepEqual(listed.inputSchema, JSON.parse(JSON.stringify(t.inputSchema)));
    }
  });

  it('asks before each tool runs, saying that meeting lines go to the agent\'s model', () => {
    assert.deepEqual(api.memory.agentTools.map((t) => t.name), AGENT_TOOLS.map((t) => t.name));
    for (const tool of api.memory.agentTools) {
      const prepared = tool.prepareInvocation({ input: { query: 'the retry policy', path: 'src/auth.ts' } });
      const message = prepared.confirmationMessages?.message;
      assert.ok(message instanceof vscode.MarkdownString, `${tool.name} asks for confirmation`);
      assert.match(message.value, /lines from your recorded meetings.*language model, which may run in the cloud/s);
      assert.ok(prepared.invocationMessage, tool.name);
    }
  });

  it('answers every tool through vscode.lm.invokeTool, citing the recorded meeting', async function () {
    this.timeout(8 * CALL_MS);
    const search = await invoke('search_meetings', { query: 'who will fix auth.ts by Friday' });
    assert.ok(search.includes(TITLE), `search cites the meeting:\n${search}`);
    assert.match(search, /fix auth\.ts/i);
    // What the agent's model got, shown in an editor for the screenshot.
    const shown = await vscode.workspace.openTextDocument({ content: search, language: 'plaintext' });
    await vscode.window.showTextDocument(shown, { preview: false });
    await screenshot('agent-tool-search-answer');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    const items = await invoke('list_action_items', {});
    assert.ok(items.includes(TITLE) && /auth\.ts/i.test(items), `the meeting's action item:\n${items}`);
    const mine = await invoke('list_action_items', { mine: true });
    assert.match(mine, /auth\.ts/i, `Alice's item is the user's (earshot.memory.myNames):\n${mine}`);
    // The sample decides nothing: the call answers (no error) and whatever it lists cites its meeting.
    const decisions = await invoke('list_decisions', {});
    assert.ok(decisions.trim().length > 0, 'list_decisions answers');
    const notes = await invoke('get_meeting_notes', { meeting: 'latest' });
    assert.ok(notes.includes(TITLE) && /fix auth\.ts/i.test(notes), `the latest meeting's notes:\n${notes}`);
    const list = await invoke('list_meetings', {});
    assert.ok(list.includes(TITLE), `list_meetings:\n${list}`);
    const code = await invoke('meetings_about_code', { path: 'src/auth.ts' });
    assert.ok(code.includes(TITLE) && /auth\.ts/i.test(code), `what the meeting said about src/auth.ts:\n${code}`);
  });

  it('fails with a clear error on a bad input, and VS Code and the daemon go on', async function () {
    this.timeout(3 * CALL_MS);
    await assert.rejects(invoke('search_meetings', { limit: 3 }), (e: Error) => /Earshot search_meetings failed: .*query/i.test(e.message));
    await assert.rejects(invoke('list_meetings', { since: 'yesterday' }), (e: Error) => /Earshot list_meetings failed: .*since/i.test(e.message));
    assert.ok((await invoke('list_meetings', {})).includes(TITLE), 'the next call answers');
  });

  it('offers `earshot mcp` to VS Code\'s MCP support while the setting is on, and that server answers over the same meetings', async function () {
    this.timeout(120_000);
    const provider = api.memory.mcpServer;
    assert.ok(provider, 'VS Code 1.139 has the MCP API: the provider is registered');
    assert.deepEqual(provider.provideMcpServerDefinitions(), [], 'not offered while the Language Model Tools are');
    await settings.set('agentTools.mcpServer', true);
    const [definition] = await until(() => { const d = provider.provideMcpServerDefinitions(); return d.length > 0 && d; }, 'the definition offered', 10_000);
    // Never both: the Language Model Tools' `when` hides them from agent mode meanwhile. Not observable here:
    // vscode.lm.tools lists every tool, `when` or not (MainThreadLanguageModelTools.getToolDtos uses
    // getAllToolsIncludingDisabled), while agent mode's list (LanguageModelToolsService.getTools) applies
    // contextMatchesRules(tool.when); the unit test checks each tool's `when`.
    assert.ok(definition.args.includes('mcp'), definition.args.join(' '));
    // Spawned as VS Code spawns it: its command and args, the extension host's environment overlaid with its env.
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
    const env = Object.fromEntries(Object.entries({ ...process.env, ...definition.env }).filter((e): e is [string, string] => typeof e[1] === 'string'));
    const transport = new StdioClientTransport({ command: definition.command, args: definition.args, env, stderr: 'pipe' });
    const client = new Client({ name: 'earshot-editor-test', version: '1.0.0' });
    try {
      await within(client.connect(transport), 30_000, 'earshot mcp initialize');
      const { tools } = await within(client.listTools(), 30_000, 'tools/list');
      assert.deepEqual(tools.map((t) => t.name).sort(), AGENT_TOOLS.map((t) => t.name).sort());
      const listed = await within(client.callTool({ name: 'list_meetings', arguments: {} }), 30_000, 'tools/call list_meetings');
      const text = (listed.content as { type: string; text?: string }[]).map((c) => c.text ?? '').join('\n');
      assert.ok(text.includes(TITLE), `earshot mcp reads the daemon's meetings (EARSHOT_STORAGE):\n${text}`);
      const mine = await within(client.callTool({ name: 'list_action_items', arguments: { mine: true } }), 30_000, 'tools/call list_action_items');
      const mineText = (mine.content as { type: string; text?: string }[]).map((c) => c.text ?? '').join('\n');
      assert.match(mineText, /auth\.ts/i, `the user's names reach earshot mcp (--me):\n${mineText}`);
    } finally {
      await client.close().catch(() => undefined);
    }
  });

  /** Runs Earshot: Connect a Coding Agent (MCP)…, takes the pick's choice `index` (0: Claude Code), and reads the clipboard. */
  async function connectAgent(index: number): Promise<string> {
    await vscode.env.clipboard.writeText('nothing copied yet');
    const done = vscode.commands.executeCommand(CONNECT_AGENT_COMMAND);
    await new Promise((r) => setTimeout(r, 1000));
    for (let i = 0; i < index; i++) await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    const copied = await until(async () => { const t = await vscode.env.clipboard.readText(); return t !== 'nothing copied yet' && t; }, 'the configuration copied', 15_000);
    await vscode.commands.executeCommand('notifications.showList'); // the message, for the screenshot
    await new Promise((r) => setTimeout(r, 800));
    await screenshot(`55-connect-agent-${index}`);
    await vscode.commands.executeCommand('notifications.clearAll');
    await within(done, 10_000, 'the command, once its message is closed');
    return copied;
  }

  it('Connect a Coding Agent (MCP)… copies a Claude Code line and an mcpServers JSON that starts earshot mcp over the same meetings', async function () {
    this.timeout(120_000);
    const claude = await connectAgent(0);
    assert.match(claude, /^claude mcp add earshot '?--scope'? user /, claude);
    assert.ok(claude.includes('ELECTRON_RUN_AS_NODE=1') && claude.includes(path.join('bin', 'earshot.js')), claude);
    const json = JSON.parse(await connectAgent(1)) as { mcpServers: { earshot: { command: string; args: string[]; env: Record<string, string> } } };
    const server = json.mcpServers.earshot;
    assert.equal(server.command, process.execPath, 'VS Code\'s own executable, run as node');
    // Started as a client starts it: the command, args and env it was given, with a minimal environment of its own.
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
    const client = new Client({ name: 'earshot-editor-connect', version: '1.0.0' });
    try {
      await within(client.connect(new StdioClientTransport({ ...server, stderr: 'pipe' })), 30_000, 'earshot mcp initialize');
      assert.equal((await within(client.listTools(), 30_000, 'tools/list')).tools.length, AGENT_TOOLS.length);
      const listed = await within(client.callTool({ name: 'list_meetings', arguments: {} }), 30_000, 'tools/call list_meetings');
      const text = (listed.content as { type: string; text?: string }[]).map((c) => c.text ?? '').join('\n');
      assert.ok(text.includes(TITLE), `the copied server reads the extension's meetings:\n${text}`);
    } finally {
      await client.close().catch(() => undefined);
    }
  });
});
