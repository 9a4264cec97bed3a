import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as net from 'node:net';
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
});
