/**
 * What Earshot: Connect a Coding Agent (MCP)… copies, run as an agent runs it: the generic JSON's command, args and env
 * started by the MCP SDK's client, and the Claude Code line read by a real sh and a stand-in `claude` that keeps what
 * `claude mcp add` would (name, scope, -e values, the command after `--`), then started the same way. Plain node
 * stands in for VS Code's Electron (ELECTRON_RUN_AS_NODE is harmless to it), reached through a link whose path has
 * spaces and non-ASCII; the extension's folder and storage have spaces, quotes and non-ASCII too.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { AGENT_TOOLS, AgentToolStructured } from '../../protocol/agentTools';
import { claudeCommandLine, mcpClientJson } from '../../extension/memory/connectAgent';
import { McpLaunch } from '../../extension/memory/mcpCommand';
import { loadQmsum } from '../eval/memoryQuality';
import { writeQmsumJournals } from '../eval/memoryViaMcp';
import { DAEMON_BIN } from '../setup';

interface ServerConfig { command: string; args: string[]; env: Record<string, string> }

/** Starts the configured server as an MCP client does; its tools and list_meetings' titles. */
async function serve(config: ServerConfig): Promise<{ tools: string[]; meetings: string[] }> {
  const client = new Client({ name: 'earshot-connect-test', version: '1.0.0' });
  let stderr = '';
  const transport = new StdioClientTransport({ ...config, stderr: 'pipe' });
  transport.stderr?.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
  try {
    await client.connect(transport, { timeout: 30_000 });
    const tools = (await client.listTools(undefined, { timeout: 30_000 })).tools.map((t) => t.name);
    const listed = (await client.callTool({ name: 'list_meetings', arguments: {} }, undefined, { timeout: 30_000 })).structuredContent as AgentToolStructured;
    assert.equal(listed.tool, 'list_meetings', stderr);
    return { tools, meetings: listed.tool === 'list_meetings' ? listed.meetings.map((m) => m.title) : [] };
  } finally {
    await client.close();
  }
}

describe('Connect a Coding Agent: the copied configurations start a working earshot mcp (real process, MCP SDK client)', function () {
  this.timeout(120_000);
  let root: string;
  let launch: McpLaunch;
  const meeting = loadQmsum().find((m) => m.id === 'ES2002a')!;

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-connect-'));
    // The extension's folder: a bin/earshot.js that runs this checkout's CLI, under a path an agent must quote.
    const extension = path.join(root, 'extensions', 'Zoë\'s "earshot" 0.1.0 $HOME');
    fs.mkdirSync(path.join(extension, 'bin'), { recursive: true });
    fs.writeFileSync(path.join(extension, 'bin', 'earshot.js'), `require(${JSON.stringify(DAEMON_BIN)});\n`);
    const editor = path.join(root, 'Visual Studio Code Ñ.app');
    fs.mkdirSync(editor);
    fs.symlinkSync(process.execPath, path.join(editor, 'Code Helper'));
    const storage = path.join(root, 'Application Support', 'globalStorage', 'earshot.earshot');
    fs.mkdirSync(storage, { recursive: true });
    writeQmsumJournals(storage, [meeting], () => ({ startedAt: '2026-03-01T09:00:00.000Z' }));
    launch = {
      cli: path.join(extension, 'bin', 'earshot.js'), storageDir: storage, version: '0.1.0', execPath: path.join(editor, 'Code Helper'),
      owners: () => ['Zoë O\'Neil', 'Bob "B" Smith'], cacheDir: () => path.join(root, 'no models here'),
    };
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('the generic JSON (mcpServers.earshot: command, args, env) lists every tool over the extension\'s storage', async () => {
    const config = (JSON.parse(mcpClientJson(launch)) as { mcpServers: Record<string, ServerConfig> }).mcpServers.earshot;
    assert.equal(config.command, launch.execPath);
    const { tools, meetings } = await serve(config);
    assert.deepEqual(tools.sort(), AGENT_TOOLS.map((t) => t.name).sort());
    assert.deepEqual(meetings, [meeting.id]);
  });

  it('the Claude Code line, as sh hands it to `claude mcp add`, registers the same server, which starts', async () => {
    // A stand-in `claude`: what `claude mcp add <name> [--scope S] [-e K=V]… -- <command> [args…]` records.
    const bin = path.join(root, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    const recorded = path.join(root, 'claude.json');
    fs.writeFileSync(path.join(bin, 'claude'), `#!${process.execPath}
const a = process.argv.slice(2), fs = require('fs');
if (a[0] !== 'mcp' || a[1] !== 'add') process.exit(3);
const name = a[2], env = {}; let scope = 'local', i = 3;
for (; a[i] !== '--'; i++) { if (i >= a.length) process.exit(4); if (a[i] === '--scope') scope = a[++i]; else if (a[i] === '-e') { const kv = a[++i]; env[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1); } else process.exit(5); }
fs.writeFileSync(${JSON.stringify(recorded)}, JSON.stringify({ name, scope, command: a[i + 1], args: a.slice(i + 2), env }));
`, { mode: 0o755 });
    const line = claudeCommandLine(launch, 'posix');
    execFileSync('sh', ['-c', line], { env: { PATH: `${bin}${path.delimiter}${process.env.PATH}`, HOME: root }, stdio: 'inherit' });
    const added = JSON.parse(fs.readFileSync(recorded, 'utf8')) as ServerConfig & { name: string; scope: string };
    assert.deepEqual([added.name, added.scope], ['earshot', 'user']);
    const generic = (JSON.parse(mcpClientJson(launch)) as { mcpServers: Record<string, ServerConfig> }).mcpServers.earshot;
    assert.deepEqual({ command: added.command, args: added.args, env: added.env }, generic, 'the line and the JSON are one server');
    const { tools, meetings } = await serve(added);
    assert.equal(tools.length, AGENT_TOOLS.length);
    assert.deepEqual(meetings, [meeting.id]);
  });
});
