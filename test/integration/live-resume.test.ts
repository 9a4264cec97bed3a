/**
 * A live session survives its daemon being SIGKILLed: a new daemon resumes it under the same id from its journal and
 * the microphone (a real recorder on a private PulseAudio server) records again. What was final stays, segment ids
 * number on, times stay on the session's clock, and the time the daemon was down is a gap the journal records.
 */
import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROTOCOL_VERSION, SessionResume, SessionStart, SessionStop, SourceStatusNotification, SourceStatusParams } from '../../protocol/protocol';
import { JournalRecord, readJournal, segmentsOf } from '../../daemon/journal/journal';
import { utteranceNumber } from '../../daemon/journal/recovery';
import { miniModel } from '../setup';
import { PulseServer, startPulse } from '../support/pulse';
import { callFixtures } from '../support/speech';
import { connectDaemon, RpcClient } from './daemon-process';

describe('live session resumed after a SIGKILL (real daemons, real PulseAudio)', function () {
  this.timeout(120_000);
  let pulse: PulseServer;
  let dir: string;
  let fixtures: { mic: string; speaker: string };
  const clients: RpcClient[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-live-resume-'));
    fixtures = callFixtures(dir);
    pulse = await startPulse();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.dispose().catch(() => undefined)));
    await pulse?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function daemon(): Promise<{ client: RpcClient; statuses: SourceStatusParams[] }> {
    const client = connectDaemon({ ...pulse.env, EARSHOT_MODEL: undefined });
    clients.push(client);
    const statuses: SourceStatusParams[] = [];
    client.connection.onNotification(SourceStatusNotification, (s) => { statuses.push(s); });
    await client.initialize({ protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: miniModel(), threads: 1 });
    return { client, statuses };
  }
  const finals = (c: RpcClient) => c.transcripts.filter((t) => t.final && t.text);

  it('records again under the same id, numbering on, with the downtime as a gap', async () => {
    const first = await daemon();
    const { sessionId } = await first.client.connection.sendRequest(SessionStart, { sources: ['mic'], title: 'Resumed call' });
    await first.client.waitFor('mic capturing', () => first.statuses.some((s) => s.state === 'capturing'), 20_000);
    await pulse.playToMic(fixtures.mic);
    await first.client.waitFor('a final', () => finals(first.client).length >= 1, 60_000);
    const before = finals(first.client);
    const exited = once(first.client.daemon.child, 'exit');
    first.client.daemon.child.kill('SIGKILL');
    await exited;
    const downAt = Date.now();
    await new Promise((r) => setTimeout(r, 1500));

    const second = await daemon();
    const resumed = await second.client.connection.sendRequest(SessionResume, { sessionId });
    assert.equal(resumed.sessionId, sessionId);
    assert.deepEqual(resumed.transcript.segments.map((s) => s.segmentId), before.map((s) => s.segmentId), 'the panel gets every final from before');
    assert.equal(resumed.transcript.resumes.length, 1);
    const { fromSec, atSec } = resumed.transcript.resumes[0];
    const startedAt = Date.parse(resumed.transcript.session.startedAt);
    assert.ok(atSec - fromSec >= 1.4, `the gap spans the downtime: ${fromSec.toFixed(2)}–${atSec.toFixed(2)} s`);
    assert.ok(Math.abs(atSec - (Date.now() - startedAt) / 1000) < 5, 'the clock is the session\'s');
    await second.client.waitFor('mic capturing again', () => second.statuses.some((s) => s.state === 'capturing'), 20_000);
    await pulse.playToMic(fixtures.mic);
    await second.client.waitFor('a final after the resume', () => finals(second.client).length >= 1, 60_000);
    const stopped = await second.client.connection.sendRequest(SessionStop, { sessionId });

    const after = finals(second.client);
    const lastBefore = Math.max(...before.map((s) => utteranceNumber(s.segmentId)));
    assert.ok(after.every((s) => utteranceNumber(s.segmentId) > lastBefore), `ids number on: ${after.map((s) => s.segmentId)} after ${lastBefore}`);
    assert.ok(after.every((s) => s.t0 >= (downAt - startedAt) / 1000), 'times after the resume are after the downtime, on the session\'s clock');
    const journal = await readJournal(stopped.journalPath);
    const records = journal.records.filter((r): r is Extract<JournalRecord, { type: 'segment' }> => r.type === 'segment');
    assert.equal(new Set(records.map((r) => r.segmentId)).size, records.length, 'no id twice');
    assert.deepEqual(segmentsOf(journal.records).map((s) => s.segmentId), [...before, ...after].map((s) => s.segmentId));
    assert.equal(journal.records.filter((r) => r.type === 'end').length, 1);
    const notes = fs.readFileSync(stopped.notesPath, 'utf8');
    assert.ok(notes.includes('Resumed call'));
    assert.match(notes, /\*Earshot stopped and resumed here: nothing was recorded from \d\d:\d\d to \d\d:\d\d\.\*/, 'the notes mark the hole');
  });
});
