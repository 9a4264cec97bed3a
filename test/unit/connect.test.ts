/**
 * The CLI's client for `earshot daemon --listen` (daemon/rpc/connect.ts): the token file's host must be loopback, so
 * the token never leaves the machine whatever the file says.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Io, main } from '../../daemon/cli';
import { ConnectError, readTokenFile } from '../../daemon/rpc/connect';
import { SAMPLE_WAV } from '../setup';
import { fakeResolver } from '../support/resolver';

describe('earshot --connect: the token file', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-connect-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const tokenFile = (host: string, port = 9) => {
    const file = path.join(dir, `${host.replace(/[^a-z0-9]/gi, '_')}.token`);
    fs.writeFileSync(file, JSON.stringify({ host, port, token: 'ab'.repeat(32), pid: process.pid }));
    return file;
  };

  it('takes a loopback host (localhost as 127.0.0.1) and refuses any other, naming it', async () => {
    assert.equal((await readTokenFile(tokenFile('127.0.0.1'))).host, '127.0.0.1');
    assert.equal((await readTokenFile(tokenFile('::1'))).host, '::1');
    assert.equal((await readTokenFile(tokenFile('localhost'))).host, '127.0.0.1');
    for (const host of ['192.0.2.1', 'daemon.example', '0.0.0.0', '::']) {
      await assert.rejects(readTokenFile(tokenFile(host)), (e: unknown) => e instanceof ConnectError
        && e.message.includes(`names the host ${JSON.stringify(host)}, which is not this machine: the token is sent only to a daemon on loopback`));
    }
  });

  it('transcribe --connect sends nothing to a host named in a tampered token file', async () => {
    // The name resolves to a listener here (a stand-in for a machine elsewhere): it must see no connection, no token.
    const received: Buffer[] = [];
    let connections = 0;
    const listener = net.createServer((s) => {
      connections++;
      s.on('data', (c: Buffer) => received.push(c));
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const resolver = fakeResolver({ address: '127.0.0.1', family: 4 });
    const err: string[] = [];
    const io: Io = { out: () => undefined, err: (l) => err.push(l) };
    try {
      const file = tokenFile('daemon.example', (listener.address() as net.AddressInfo).port);
      assert.equal(await main(['transcribe', SAMPLE_WAV, '--connect', '--token-file', file], io), 1);
    } finally {
      resolver.restore();
      listener.close();
    }
    assert.match(err.join('\n'), /names the host "daemon\.example", which is not this machine/);
    assert.deepEqual(resolver.asked, [], 'the name was not resolved');
    assert.equal(connections, 0, 'no connection was made');
    assert.ok(!Buffer.concat(received).toString().includes('ab'.repeat(32)), 'the token was not sent');
  });
});
