/**
 * The newer messages reach the real daemon process and bad params get clear answers: a request with InvalidParams
 * naming the field, a notification (nobody to answer) with a warning in the log, and the daemon keeps serving.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ActionItemSetDone, EditorActivityNotification, ErrorCodes, PROTOCOL_VERSION, SessionPause, SessionStatus, WorkspaceIndexNotification,
} from '../../protocol/protocol';
import { miniModel, SAMPLE_WAV } from '../setup';
import { connectDaemon, RawClient, rejection, RpcClient, spawnDaemon } from './daemon-process';

describe('pause, setDone, workspace index and editor activity: bad params (real daemon)', function () {
  this.timeout(60_000);
  let dir: string;
  let client: RpcClient;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-handlers-'));
    client = connectDaemon({ EARSHOT_MODEL: undefined });
    await client.initialize({ protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: miniModel(), threads: 1 });
  });

  after(async () => {
    await client?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('requests: InvalidParams naming the field; an unknown session: SessionNotFound', async () => {
    const setDone = await rejection(client.connection.sendRequest(ActionItemSetDone, { sessionId: '../x', id: 'a1', done: true }));
    assert.equal(setDone.code, ErrorCodes.InvalidParams);
    assert.match(setDone.message, /^earshot\/actionItem\/setDone: .*sessionId is not a session id/);
    const pause = await rejection(client.connection.sendRequest(SessionPause, { sessionId: 's', paused: true, source: 'file' } as never));
    assert.equal(pause.code, ErrorCodes.InvalidParams);
    assert.match(pause.message, /source must be "mic" or "system"/);
    const unknown = await rejection(client.connection.sendRequest(SessionPause, { sessionId: 'nope', paused: true }));
    assert.equal(unknown.code, ErrorCodes.SessionNotFound);
  });

  it('notifications: a warning in the log saying why, and the daemon goes on', async () => {
    await client.connection.sendNotification(WorkspaceIndexNotification, { root: '/w', files: 'src/a.ts', symbols: [] } as never);
    await client.connection.sendNotification(EditorActivityNotification, { location: { path: 'a.ts', startLine: 3, endLine: 1 }, at: Date.now() });
    await client.waitFor('the index warning', () => client.logs.find((l) => l.includes('bad_workspace_index') && l.includes('files must be an array')));
    await client.waitFor('the activity warning', () => client.logs.find((l) => l.includes('bad_editor_activity') && l.includes('endLine (1) is before startLine (3)')));
    // Good ones are taken without a word.
    await client.connection.sendNotification(WorkspaceIndexNotification, { root: '/w', files: ['src/a.ts'], symbols: [{ name: 'parse', kind: 'function', path: 'src/a.ts', line: 3 }] });
    await client.connection.sendNotification(EditorActivityNotification, { location: { path: 'src/a.ts', startLine: 1, endLine: 2 }, at: Date.now() });
    const status = await client.connection.sendRequest(SessionStatus, {});
    assert.equal(status.state, 'idle');
    assert.equal(client.logs.filter((l) => l.includes('"level":"warn"')).length, 2, client.logs.join('\n'));
  });
});

describe('concurrent session starts are decided in the order they arrive (real daemon, raw JSON-RPC)', function () {
  this.timeout(60_000);

  it('the first start holds the session while the client has not yet answered its progress request; the second is refused at once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-start-order-'));
    const daemon = spawnDaemon({ EARSHOT_MODEL: undefined });
    const raw = new RawClient(daemon);
    try {
      const init = await raw.request('initialize', {
        processId: process.pid, rootUri: null, capabilities: { window: { workDoneProgress: true } },
        initializationOptions: { protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: miniModel(), threads: 1 },
      });
      assert.equal(init.error, undefined, JSON.stringify(init.error));
      raw.notify('initialized', {});
      // A, then B, back to back. The model is not loaded yet, so a start asks the client to create a progress first.
      const params = { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast' };
      raw.sendRaw(JSON.stringify({ jsonrpc: '2.0', id: 'A', method: 'earshot/session/start', params }));
      raw.sendRaw(JSON.stringify({ jsonrpc: '2.0', id: 'B', method: 'earshot/session/start', params }));
      const create = await raw.next((m) => m.method === 'window/workDoneProgress/create', 10_000);
      // This client is slow to answer A's progress request: B must not overtake A meanwhile.
      const b = await raw.next((m) => m.id === 'B', 10_000);
      assert.equal(b.error?.code, ErrorCodes.SessionAlreadyRunning, JSON.stringify(b));
      assert.equal(raw.received.filter((m) => m.method === 'window/workDoneProgress/create').length, 1, 'only A asked for progress');
      raw.sendRaw(JSON.stringify({ jsonrpc: '2.0', id: create.id, result: null }));
      const a = await raw.next((m) => m.id === 'A', 30_000);
      assert.equal(a.error, undefined, JSON.stringify(a.error));
      const { sessionId } = a.result as { sessionId: string };
      await raw.next((m) => m.method === 'earshot/sessionState' && (m.params as { sessionId: string; state: string }).sessionId === sessionId
        && (m.params as { state: string }).state === 'done', 60_000);
      assert.ok(raw.received.some((m) => m.method === '$/progress'), 'model loading was reported on the progress A asked for');
    } finally {
      const code = await daemon.close();
      fs.rmSync(dir, { recursive: true, force: true });
      assert.equal(code, 0, daemon.stderr().slice(-2000));
    }
  });
});
