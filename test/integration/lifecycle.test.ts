/**
 * The model's lifecycle in a real daemon: it is freed after the configured idle time (health says
 * so) and loads again, on demand, for the next session.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROTOCOL_VERSION, SessionStart } from '../../protocol/protocol';
import { fixture, miniModel } from '../setup';
import { connectDaemon, RpcClient } from './daemon-process';

describe('model lifecycle (real daemon)', () => {
  let client: RpcClient;
  let dir: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-lifecycle-'));
    client = connectDaemon();
    await client.initialize({
      protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'),
      modelPath: miniModel(), threads: 1, modelIdleUnloadSec: 1,
    });
  });

  after(async () => {
    await client?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const transcribe = async () => {
    // The first turn of the sample (6 s) is enough to load, use and free the model.
    const { sessionId } = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: fixture('pcm16-16k-mono.wav'), pace: 'fast' });
    await client.sessionDone(sessionId, 180_000);
  };

  it('frees the model after the idle time and reloads it for the next session', async () => {
    await transcribe();
    const readyAt = client.health.length;
    const unloaded = await client.waitFor('the model to be freed', () => client.health.slice(readyAt).find((h) => h.model.state === 'uninitialized'), 10_000);
    assert.equal(unloaded.model.state, 'uninitialized');
    const before = client.health.length;
    await transcribe();
    const states = client.health.slice(before).map((h) => h.model.state);
    assert.ok(states.includes('loading') && states.includes('ready'), `reloaded on demand: ${states.join(' → ')}`);
    assert.ok(client.transcripts.filter((t) => t.final && t.text).length >= 2, 'both sessions transcribed');
  });
});
