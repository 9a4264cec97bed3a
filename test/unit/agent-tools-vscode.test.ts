/**
 * The agent tools in VS Code (extension/memory/agentTools.ts, mcpServer.ts) over a fake `vscode.lm` and a fake daemon
 * client: package.json declares exactly protocol/agentTools.ts' tools (names prefixed, schemas the same), and only one of
 * Language Model Tools and the MCP server shows at a time; nothing is registered where the API is missing; the
 * invocation message quotes the agent's input inert; the confirmation says lines go to the agent's model; a result is
 * the daemon's text; a refused input, a daemon error or a daemon that never answers is a clear error, in bounded time.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { vscodeStub } from './vscode-stub';
import { AGENT_TOOLS, AgentToolResult, MemoryToolParams } from '../../protocol/agentTools';
import { CONTROL_OR_BIDI } from '../../protocol/plainText';
import { AgentToolClient, confirmationText, invocationMessage, MeetingTool, registerAgentTools, toolResult, vscodeToolName } from '../../extension/memory/agentTools';
import { MCP_PROVIDER_ID, MCP_SETTING, McpStdioServerDefinition, registerMcpServer } from '../../extension/memory/mcpServer';
import { REPO_ROOT } from '../setup';
import { lostNote, watchLateness } from '../support/loop-lateness';

const PACKAGE = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
const noCancel = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) } as never;

class FakeClient implements AgentToolClient {
  calls: MemoryToolParams[] = [];
  answer: () => Promise<AgentToolResult> = async () => ({ text: 'Sprint planning 2026-11-20 10:04 Alice: we keep the retry at three.', structured: { tool: 'list_meetings', meetings: [], truncated: false } });
  memoryTool(params: MemoryToolParams): Promise<AgentToolResult> {
    this.calls.push(params);
    return this.answer();
  }
}

function tool(name = AGENT_TOOLS[0].name, client = new FakeClient(), timeoutMs?: number): MeetingTool {
  return new MeetingTool(name, { client, myNames: () => ['Alice', 'Al'], timeoutMs });
}

describe('agent tools in VS Code', () => {
  describe('package.json', () => {
    it('declares exactly the catalog\'s tools as Language Model Tools: prefixed names, the same titles, descriptions and input schemas', () => {
      const declared = PACKAGE.contributes.languageModelTools as Record<string, unknown>[];
      assert.deepEqual(declared.map((t) => t.name), AGENT_TOOLS.map((t) => vscodeToolName(t.name)));
      for (const t of AGENT_TOOLS) {
        const d = declared.find((x) => x.name === vscodeToolName(t.name))!;
        assert.equal(d.displayName, t.title, t.name);
        assert.equal(d.modelDescription, t.description, t.name);
        assert.deepEqual(d.inputSchema, JSON.parse(JSON.stringify(t.inputSchema)), t.name);
        // VS Code refuses a tool whose name breaks its pattern, or that can be referenced without a reference name.
        assert.match(d.name as string, /^(?!copilot_|vscode_)[\w-]+$/);
        assert.ok(d.canBeReferencedInPrompt && /^[\w-]+$/.test(d.toolReferenceName as string), `${t.name} has a reference name`);
        assert.ok(typeof d.userDescription === 'string' && (d.userDescription as string).length > 10, `${t.name} has a user description`);
      }
      assert.equal(new Set(declared.map((t) => t.toolReferenceName)).size, declared.length, 'reference names are distinct');
    });

    it('shows the Language Model Tools or the MCP server, never both: the setting switches, default the tools', () => {
      for (const t of PACKAGE.contributes.languageModelTools) assert.equal(t.when, `!config.${MCP_SETTING}`, t.name);
      assert.deepEqual(PACKAGE.contributes.mcpServerDefinitionProviders.map((p: { id: string }) => p.id), [MCP_PROVIDER_ID]);
      assert.equal(PACKAGE.contributes.mcpServerDefinitionProviders[0].when, `config.${MCP_SETTING}`);
      const setting = PACKAGE.contributes.configuration.flatMap((s: { properties: Record<string, { default: unknown }> }) => Object.entries(s.properties)).find(([k]: [string]) => k === MCP_SETTING);
      assert.equal(setting?.[1].default, false);
      // The floor the Language Model Tools need (stable in 1.95); the MCP provider is used only where it exists.
      assert.equal(PACKAGE.engines.vscode, '^1.95.0');
    });
  });

  describe('registration', () => {
    it('registers nothing, without an error, where VS Code has no Language Model Tools', () => {
      assert.deepEqual(registerAgentTools(undefined, { client: new FakeClient(), myNames: () => [] }), { tools: [], disposables: [] });
      assert.deepEqual(registerAgentTools({}, { client: new FakeClient(), myNames: () => [] }), { tools: [], disposables: [] });
    });

    it('registers every tool under its VS Code name where the API is there', () => {
      const names: string[] = [];
      const lm = { registerTool: (name: string) => { names.push(name); return { dispose() {} }; } };
      const { tools, disposables } = registerAgentTools(lm, { client: new FakeClient(), myNames: () => [] });
      assert.equal(disposables.length, AGENT_TOOLS.length);
      assert.deepEqual(tools.map((t) => t.name), AGENT_TOOLS.map((t) => t.name));
      assert.deepEqual(names, AGENT_TOOLS.map((t) => `earshot_${t.name}`));
    });
  });

  describe('prepareInvocation', () => {
    it('says what runs, quoting the agent\'s words inert and bounded', () => {
      const hostile = `retry policy \u001b]0;PWNED\u0007 [click](command:workbench.action.reloadWindow) **now** \u202eevil ${'x'.repeat(300)}`;
      const message = tool('search_meetings').prepareInvocation({ input: { query: hostile } } as never).invocationMessage as string;
      assert.ok(message.startsWith('Searching meetings for “retry policy'), message);
      assert.doesNotMatch(message, CONTROL_OR_BIDI);
      assert.doesNotMatch(message, /[[\]()*`<>\\]/, 'nothing Markdown would make a link or emphasis of');
      assert.ok(message.length < 130, `bounded: ${message.length}`);
      assert.equal(invocationMessage('meetings_about_code', { path: 'src/auth.ts' }), 'Finding what meetings said about “src/auth.ts”');
      assert.equal(invocationMessage('list_action_items', { mine: true }), 'Listing your open action items from meetings');
      assert.equal(invocationMessage('get_meeting_notes', { meeting: 'latest' }), 'Reading the notes of meeting “latest”');
      // A missing or odd input still gives a message (VS Code prepares before any validation).
      assert.equal(tool('search_meetings').prepareInvocation({ input: 'nonsense' } as never).invocationMessage, 'Searching meetings for your question');
    });

    it('asks for confirmation, saying plainly that meeting lines go to the agent\'s model, maybe in the cloud', () => {
      for (const t of AGENT_TOOLS) {
        const prepared = tool(t.name).prepareInvocation({ input: {} } as never);
        const text = (prepared.confirmationMessages!.message as unknown as { value: string }).value;
        assert.ok(prepared.confirmationMessages!.title.length > 0);
        assert.equal(text, confirmationText(t.name));
        assert.match(text, /lines from your recorded meetings/);
        assert.match(text, /language model, which may run in the cloud/);
        assert.ok(text.includes(t.title), t.name);
      }
    });
  });

  describe('invoke', () => {
    it('asks the daemon for the tool with the agent\'s input and the user\'s names, and answers its text', async () => {
      const client = new FakeClient();
      const result = await tool('list_action_items', client).invoke({ input: { mine: true }, toolInvocationToken: undefined }, noCancel);
      assert.deepEqual(client.calls, [{ name: 'list_action_items', input: { mine: true }, owners: ['Alice', 'Al'] }]);
      assert.deepEqual((result.content as { value: string }[]).map((p) => p.value), ['Sprint planning 2026-11-20 10:04 Alice: we keep the retry at three.']);
      assert.ok(result.content[0] instanceof vscodeStub.LanguageModelTextPart);
      assert.equal(toolResult({ text: 'x', structured: { tool: 'list_meetings', meetings: [], truncated: false } }).content.length, 1, 'the text alone: the model gets each line once');
    });

    it('turns a daemon error (a refused input) into an error naming the tool and the reason', async () => {
      const client = new FakeClient();
      client.answer = async () => { throw new Error('search_meetings: query must be a non-empty string\u001b[31m'); };
      await assert.rejects(tool('search_meetings', client).invoke({ input: { query: '' }, toolInvocationToken: undefined }, noCancel),
        (e: Error) => e.message === 'Earshot search_meetings failed: search_meetings: query must be a non-empty string[31m');
    });

    it('refuses an input that is not an object without asking the daemon', async () => {
      const client = new FakeClient();
      await assert.rejects(tool('list_meetings', client).invoke({ input: ['x'] as never, toolInvocationToken: undefined }, noCancel), /input must be a JSON object/);
      assert.equal(client.calls.length, 0);
    });

    it('gives up on a daemon that never answers, with a clear error, in bounded time', async () => {
      const client = new FakeClient();
      client.answer = () => new Promise(() => undefined);
      const loop = watchLateness();
      const started = performance.now();
      await assert.rejects(tool('list_meetings', client, 100).invoke({ input: {}, toolInvocationToken: undefined }, noCancel), /did not answer within 0.1 s \(list_meetings\)/);
      // The 0.1 s limit's timer, with a margin, later by what the event loop lost meanwhile (loop-lateness.ts).
      const ms = performance.now() - started;
      const lost = loop.lostMs(started, started + ms);
      loop.stop();
      assert.ok(ms < 2000 + lost, `gave up after ${ms.toFixed(0)} ms ${lostNote(lost)}`);
    });
  });

  describe('MCP server definition', () => {
    class Definition implements McpStdioServerDefinition {
      constructor(readonly label: string, public command: string, public args: string[] = [], public env: Record<string, string | number | null> = {}, public version?: string) {}
    }
    const launch = { cli: '/ext/bin/earshot.js', storageDir: '/storage/earshot', version: '0.1.0', execPath: '/vscode/code', owners: () => ['Alice', 'Al'], cacheDir: () => '/models' };

    it('is not offered where VS Code has no MCP API (before 1.101)', () => {
      assert.equal(registerMcpServer({}, launch, () => true), undefined);
      assert.equal(registerMcpServer({ lm: {} , McpStdioServerDefinition: Definition }, launch, () => true), undefined);
      assert.equal(registerMcpServer({ lm: { registerMcpServerDefinitionProvider: () => ({ dispose() {} }) } }, launch, () => true), undefined);
    });

    it('runs `earshot mcp` with the editor\'s node over the daemon\'s storage, only while the setting is on', () => {
      let enabled = false;
      const ids: string[] = [];
      let fire: ((e: { affectsConfiguration(s: string): boolean }) => void) | undefined;
      const onDidChange = vscodeStub.workspace.onDidChangeConfiguration;
      vscodeStub.workspace.onDidChangeConfiguration = (listener) => { fire = listener; return { dispose() {} }; };
      try {
        const registered = registerMcpServer({
          lm: { registerMcpServerDefinitionProvider: (id) => { ids.push(id); return { dispose() {} }; } }, McpStdioServerDefinition: Definition,
        }, launch, () => enabled)!;
        assert.deepEqual(ids, [MCP_PROVIDER_ID]);
        assert.deepEqual(registered.provider.provideMcpServerDefinitions(), []);
        let changes = 0;
        registered.provider.onDidChangeMcpServerDefinitions(() => changes++);
        enabled = true;
        fire!({ affectsConfiguration: (s) => s === MCP_SETTING });
        fire!({ affectsConfiguration: (s) => s === 'earshot.memory.myNames' });
        fire!({ affectsConfiguration: () => false });
        assert.equal(changes, 2, 'VS Code is told when the setting or the names change, only then');
        const [definition] = registered.provider.provideMcpServerDefinitions() as Definition[];
        assert.equal(definition.command, '/vscode/code');
        assert.deepEqual(definition.args.slice(-8), ['/ext/bin/earshot.js', 'mcp', '--me', 'Alice', '--me', 'Al', '--cache-dir', '/models']);
        assert.equal(definition.env.ELECTRON_RUN_AS_NODE, '1');
        assert.equal(definition.env.EARSHOT_STORAGE, '/storage/earshot');
        assert.equal(definition.version, '0.1.0');
        for (const d of registered.disposables) d.dispose();
      } finally {
        vscodeStub.workspace.onDidChangeConfiguration = onDidChange;
      }
    });
  });
});
