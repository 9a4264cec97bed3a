/**
 * What `earshot mcp` promises a user who connects a coding agent: nothing leaves the machine from Earshot, storage is
 * only read, and its log holds no meeting text. The real CLI process over real stored meetings (QMSum journals), every
 * tool called through the MCP SDK's client, with a preload (NODE_OPTIONS, so any process it starts has it too) that
 * records every attempt to open a network connection or look up a host: sockets (http, https, fetch and tls all open
 * one through net.Socket#connect), DNS and UDP. The agent's own model is the agent's business (docs/agents.md says so plainly).
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { AGENT_TOOLS, AgentToolName } from '../../protocol/agentTools';
import { loadQmsum } from '../eval/memoryQuality';
import { writeQmsumJournals } from '../eval/memoryViaMcp';
import { DAEMON_BIN } from '../setup';

/** Appends one line per attempt to EARSHOT_TEST_NET_LOG, then lets it fail (no test host answers anyway). */
const PRELOAD = `
const fs = require('node:fs');
const log = (what) => fs.appendFileSync(process.env.EARSHOT_TEST_NET_LOG, what + '\\n');
const net = require('node:net');
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) { log('connect ' + JSON.stringify(args[0]).slice(0, 200)); return connect.apply(this, args); };
const dns = require('node:dns');
for (const name of ['lookup', 'resolve', 'resolve4', 'resolve6']) {
  const real = dns[name];
  dns[name] = function (...args) { log('dns.' + name + ' ' + String(args[0])); return real.apply(this, args); };
  const promised = dns.promises[name];
  dns.promises[name] = function (...args) { log('dns.promises.' + name + ' ' + String(args[0])); return promised.apply(this, args); };
}
const dgram = require('node:dgram');
const send = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function (...args) { log('udp send'); return send.apply(this, args); };
`;

/** Every file under dir with its size and hash: what "storage is only read" compares. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    files.set(path.relative(dir, file), createHash('sha256').update(fs.readFileSync(file)).digest('hex'));
  }
  return files;
}

/** Arguments that make each tool answer from the meetings (not refuse). */
const CALLS: Record<AgentToolName, Record<string, unknown>> = {
  search_meetings: { query: 'remote control design', limit: 5 },
  list_action_items: { includeDone: true },
  list_decisions: {},
  get_meeting_notes: { meeting: 'latest' },
  meetings_about_code: { path: 'src/remote/control.ts' },
  list_meetings: {},
};

describe('earshot mcp keeps meetings on this machine (real process, MCP SDK client)', function () {
  this.timeout(180_000);
  let dir: string;
  let storage: string;
  let netLog: string;
  const meetings = loadQmsum().filter((m) => ['ES2002a', 'Bed004'].includes(m.id));

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-mcp-privacy-'));
    storage = path.join(dir, 'storage');
    fs.mkdirSync(storage);
    writeQmsumJournals(storage, meetings, () => ({ startedAt: '2026-03-02T09:00:00.000Z' }));
    netLog = path.join(dir, 'net.log');
    fs.writeFileSync(netLog, '');
    fs.writeFileSync(path.join(dir, 'preload.js'), PRELOAD);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('answers every tool without a network connection or a host lookup, writes nothing to storage, logs no meeting text', async () => {
    const before = snapshot(storage);
    const cache = path.join(dir, 'models');
    fs.mkdirSync(cache);
    const transport = new StdioClientTransport({
      // No --words-only: the path a user gets, which looks for the meaning model (none downloaded here).
      command: process.execPath, args: [DAEMON_BIN, 'mcp', '--storage', storage, '--cache-dir', cache], stderr: 'pipe',
      env: {
        ...process.env as Record<string, string>, EARSHOT_STORAGE: storage, EARSHOT_TEST_NET_LOG: netLog,
        NODE_OPTIONS: `--require=${path.join(dir, 'preload.js')}`,
      },
    });
    let stderr = '';
    transport.stderr?.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
    const client = new Client({ name: 'earshot-privacy-test', version: '1.0.0' });
    await client.connect(transport, { timeout: 30_000 });
    const answers: string[] = [];
    try {
      const listed = await client.listTools(undefined, { timeout: 30_000 });
      assert.deepEqual(listed.tools.map((t) => t.name).sort(), AGENT_TOOLS.map((t) => t.name).sort());
      for (const tool of AGENT_TOOLS) {
        const result = await client.callTool({ name: tool.name, arguments: CALLS[tool.name] }, undefined, { timeout: 60_000 });
        assert.ok(!result.isError, `${tool.name}: ${JSON.stringify(result.content).slice(0, 300)}`);
        answers.push((result.content as { text: string }[])[0].text);
      }
    } finally {
      await client.close();
    }
    // The preload is loaded by NODE_OPTIONS (the next test shows it records a connection).
    assert.equal(fs.readFileSync(netLog, 'utf8'), '', 'earshot mcp tried to reach the network');
    assert.deepEqual(snapshot(storage), before, 'storage changed');
    // The search's answer holds meeting words; none of its lines may reach the log.
    const spoken = answers[0].split('\n').map((l) => /: (.{24,})$/.exec(l)?.[1]).filter((t): t is string => !!t);
    assert.ok(spoken.length > 0, answers[0].slice(0, 300));
    for (const text of spoken) assert.ok(!stderr.includes(text.slice(0, 24)), `the log holds meeting text: ${text.slice(0, 40)}`);
  });

  it('the preload sees a connection when one is made (so the check above can fail)', async () => {
    const { execFileSync } = await import('node:child_process');
    const probeLog = path.join(dir, 'probe.log');
    fs.writeFileSync(probeLog, '');
    execFileSync(process.execPath, ['-e', "require('node:net').connect(9, '127.0.0.1').on('error', () => {})"], {
      env: { ...process.env, EARSHOT_TEST_NET_LOG: probeLog, NODE_OPTIONS: `--require=${path.join(dir, 'preload.js')}` },
    });
    assert.match(fs.readFileSync(probeLog, 'utf8'), /^connect /);
  });
});
