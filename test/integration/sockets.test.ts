/**
 * The default transport is stdio: a real daemon process, running a real session, holds no listening socket of any kind
 * (TCP, UDP or unix), as /proc shows (Linux). Its only sockets are the stdio pipes its parent gave it.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROTOCOL_VERSION, SessionStart, SessionStartResult, SessionStop } from '../../protocol/protocol';
import { miniModel, SAMPLE_WAV, TEST_WORD } from '../setup';
import { connectDaemon, RpcClient } from './daemon-process';
import { socketsOf } from './wire';

const linux = process.platform === 'linux';

describe('the stdio daemon opens no listening socket', function () {
  let dir: string;
  let client: RpcClient;

  before(function () {
    if (!linux) this.skip(); // /proc is Linux's
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-sockets-'));
    client = connectDaemon({ EARSHOT_STORAGE: path.join(dir, 'storage') });
  });

  after(async () => {
    if (!client) return;
    const code = await client.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0);
  });

  /** The daemon and everything it started (a recorder, a helper). */
  function processTree(pid: number): number[] {
    const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return [pid, ...children.flatMap(processTree)];
  }

  function assertNoListener(when: string): number {
    let seen = 0;
    for (const pid of processTree(client.daemon.child.pid!)) {
      const sockets = socketsOf(pid);
      seen += sockets.length;
      const listening = sockets.filter((s) => s.listening || !s.table);
      assert.deepEqual(listening, [], `${when}: pid ${pid} holds listening (or unidentified) sockets: ${JSON.stringify(listening)}`);
    }
    return seen;
  }

  it('holds only its stdio sockets, before, during and after a real session', async () => {
    await client.initialize({ protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: miniModel(), threads: 1 });
    // The stdio pipes are unix socket pairs: seeing them shows the check reads the right tables.
    assert.ok(assertNoListener('after initialize') >= 2, 'the stdio socket pairs are found');
    const start: SessionStartResult = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'realtime' });
    await client.waitFor('a first transcript', () => client.transcripts.length > 0, 60_000);
    assertNoListener('while a session streams');
    const stop = await client.connection.sendRequest(SessionStop, { sessionId: start.sessionId });
    assert.ok(stop.segments.length > 0 && stop.segments.every((s) => s.text.includes(TEST_WORD)), 'a real session ran');
    assertNoListener('after the session');
    for (const s of socketsOf(client.daemon.child.pid!)) assert.equal(s.table, 'unix', `only unix socket pairs: ${JSON.stringify(s)}`);
  });
});
