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
import { miniModel } from '../setup';
import { connectDaemon, rejection, RpcClient } from './daemon-process';

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
