import * as assert from 'node:assert/strict';
import { fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeHandle, leftovers } from '../support/leaks';

describe('the leak report that runs after every suite (test/support/leaks.ts)', () => {
  it('lists a child process and a server that are still running, by pid and address, and not the standard streams', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    const server = net.createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const described = leftovers().map(describeHandle);
      assert.ok(described.some((d) => d.startsWith(`ChildProcess pid ${child.pid}: `) && d.includes('setTimeout')), described.join('\n'));
      const port = (server.address() as net.AddressInfo).port;
      assert.ok(described.some((d) => d.startsWith('Server listening on') && d.includes(String(port))), described.join('\n'));
      assert.ok(!described.some((d) => /WriteStream|TTY/.test(d) && d.includes('fd 1')), 'stdout is not a leak');
    } finally {
      child.kill('SIGKILL');
      server.close();
      await once(child, 'close');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const after = leftovers().map(describeHandle);
    assert.ok(!after.some((d) => d.includes(`pid ${child.pid}:`)), 'an exited child is no longer listed');
  });

  it("leaves out a parallel run's IPC channel to mocha's main process, which every worker holds", async () => {
    // A child forked with an IPC channel, as mocha's workers are (workerpool), listening on it as they do.
    const script = `const { leftovers, describeHandle } = require(${JSON.stringify(path.join(__dirname, '..', 'support', 'leaks.js'))});
process.on('message', () => {});
const raw = process._getActiveHandles().map((h) => [h.constructor.name, h.fd]);
process.send({ raw, left: leftovers().map(describeHandle), channel: process.channel.fd }, () => process.disconnect());`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-leaks-'));
    const file = path.join(dir, 'worker.js');
    fs.writeFileSync(file, script);
    const child = fork(file, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const reports: { raw: [string, number][]; left: string[]; channel: number }[] = [];
    child.on('message', (m) => reports.push(m as (typeof reports)[number]));
    try {
      const [code] = await once(child, 'exit');
      assert.equal(code, 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const [report] = reports;
    assert.ok(report, 'the child reported');
    assert.ok(report.raw.some(([kind, fd]) => kind === 'Pipe' && fd === report.channel), `the channel holds the loop: ${JSON.stringify(report.raw)}`);
    assert.deepEqual(report.left, []);
  });
});
