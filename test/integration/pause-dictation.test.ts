/**
 * Dictation and pause/resume end to end: the real daemon process over JSON-RPC records the virtual microphone of a
 * real (private, headless) PulseAudio server while espeak-ng speech plays into it; real Silero VAD, real whisper on
 * the generated mini model (it says "hello" to everything).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ResponseError } from 'vscode-languageserver-protocol/node';
import {
  ActionItemNotification, ErrorCodes, PROTOCOL_VERSION, SessionPause, SessionStart, SessionStop, SourceStatusNotification, SourceStatusParams,
} from '../../protocol/protocol';
import { readJournal, segmentsOf } from '../../daemon/journal/journal';
import { miniModel } from '../setup';
import { lostNote, watchLateness } from '../support/loop-lateness';
import { PulseServer, startPulse } from '../support/pulse';
import { speechWav } from '../support/speech';
import { connectDaemon, RpcClient } from './daemon-process';

const finals = (client: RpcClient) => client.transcripts.filter((t) => t.final && t.text);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('dictation and pause/resume on a real PulseAudio microphone (real daemon)', function () {
  this.timeout(180_000);
  let pulse: PulseServer;
  let dir: string;
  let speech: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-pause-'));
    speech = speechWav(dir, 'dictation', 'en-us+m3', 'Please add a unit test for the parser before Friday.');
    pulse = await startPulse();
  });

  after(async () => {
    await pulse?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function daemon(name: string): Promise<{ client: RpcClient; statuses: SourceStatusParams[]; items: unknown[]; notesDir: string }> {
    const client = connectDaemon({ ...pulse.env, EARSHOT_MODEL: undefined });
    const statuses: SourceStatusParams[] = [];
    const items: unknown[] = [];
    client.connection.onNotification(SourceStatusNotification, (s) => { statuses.push(s); });
    client.connection.onNotification(ActionItemNotification, (i) => { items.push(i); });
    const notesDir = path.join(dir, `${name}-notes`);
    await client.initialize({ protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, `${name}-storage`), notesDir, modelPath: miniModel(), threads: 1 });
    return { client, statuses, items, notesDir };
  }

  /** The record streams PulseAudio has open on the virtual microphone (the keep-alive readers are on the monitors). */
  function virtmicStreams(): number {
    const sources = new Map(pulse.pactl('list', 'short', 'sources').trim().split('\n').map((l) => l.split('\t')).map(([index, name]) => [index, name]));
    return pulse.pactl('list', 'short', 'source-outputs').trim().split('\n').filter(Boolean).map((l) => l.split('\t')[1]).filter((s) => sources.get(s) === 'virtmic').length;
  }

  it('dictation: segments come and are journaled, no notes file, mode "dictation" and notesPath "" in every state', async () => {
    const { client, statuses, items, notesDir } = await daemon('dictation');
    try {
      const started = await client.connection.sendRequest(SessionStart, { sources: ['mic'], mode: 'dictation' });
      assert.equal(started.notesPath, '');
      await client.waitFor('mic capturing', () => statuses.some((s) => s.state === 'capturing'), 20_000);
      await pulse.playToMic(speech);
      const loop = watchLateness();
      const playedAt = performance.now();
      await client.waitFor('a final', () => finals(client).length > 0, 30_000);
      // The shorter end-of-utterance silence: the final comes soon after the speaker stops (0.3 s of hangover, the
      // capture's latency and a decode on the mini model; not at the utterance's 25 s cap or the session's end), later
      // by what this process's event loop lost meanwhile (loop-lateness.ts).
      const finalMs = performance.now() - playedAt;
      const lost = loop.lostMs(playedAt, playedAt + finalMs);
      loop.stop();
      assert.ok(finalMs < 3000 + lost, `final ${finalMs.toFixed(0)} ms after the playback ended ${lostNote(lost)}`);
      const stopped = await client.connection.sendRequest(SessionStop, { sessionId: started.sessionId });
      assert.equal(stopped.notesPath, '');
      assert.deepEqual(stopped.segments.map((s) => s.segmentId), finals(client).map((f) => f.segmentId));
      assert.ok(stopped.segments.every((s) => /^hello\b/.test(s.text)), JSON.stringify(stopped.segments));
      assert.deepEqual(segmentsOf((await readJournal(stopped.journalPath)).records).length, stopped.segments.length);
      const states = client.states.filter((s) => s.sessionId === started.sessionId);
      assert.deepEqual(states.map((s) => s.state), ['streaming', 'stopping', 'finalizing', 'done']);
      assert.ok(states.every((s) => s.mode === 'dictation' && s.notesPath === '' && Array.isArray(s.paused) && s.paused.length === 0), JSON.stringify(states));
      assert.ok(!fs.existsSync(notesDir) || fs.readdirSync(notesDir).length === 0, 'no notes file');
      assert.deepEqual(items, []);
    } finally {
      await client.dispose();
    }
  });

  it('dictation with system audio is refused with InvalidParams', async () => {
    const { client } = await daemon('dictation-bad');
    try {
      const error = await client.connection.sendRequest(SessionStart, { sources: ['mic', 'system'], mode: 'dictation' }).then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof ResponseError);
      assert.equal(error.code, ErrorCodes.InvalidParams);
      assert.match(error.message, /exactly \["mic"\]/);
    } finally {
      await client.dispose();
    }
  });

  it('pause releases the microphone, hears nothing, resumes on the running clock; the utterance in progress is finalized first; stop while paused', async () => {
    const { client, statuses } = await daemon('pause');
    try {
      const started = await client.connection.sendRequest(SessionStart, { sources: ['mic'], title: 'Pause' });
      const startedAt = Date.parse(client.states.find((s) => s.sessionId === started.sessionId)!.startedAt);
      await client.waitFor('mic capturing', () => statuses.some((s) => s.state === 'capturing'), 20_000);
      assert.equal(virtmicStreams(), 1, 'the recorder has the microphone open');

      // 1. Pause in the middle of speech: the answer comes after the final of what was being said.
      const playing = pulse.play('mic_feed', speech);
      await client.waitFor('a partial', () => client.transcripts.some((t) => !t.final && t.text), 20_000);
      const pausedAt = Date.now();
      const paused = await client.connection.sendRequest(SessionPause, { sessionId: started.sessionId, paused: true });
      assert.deepEqual(paused, { paused: ['mic'] });
      const partial = client.transcripts.find((t) => !t.final && t.text)!;
      assert.ok(client.transcripts.some((t) => t.final && t.segmentId === partial.segmentId), 'the utterance in progress was finalized before the answer');
      const cut = client.transcripts.find((t) => t.final && t.segmentId === partial.segmentId)!;
      assert.ok(cut.t1 <= (pausedAt - startedAt) / 1000 + 0.3, `it ends at the pause (${cut.t1} s vs ${(pausedAt - startedAt) / 1000} s)`);
      await playing.done;

      const state = await client.waitFor('a paused state', () => client.states.find((s) => s.state === 'streaming' && s.paused.includes('mic')));
      assert.equal(state.mode, 'meeting');
      const status = statuses.find((s) => s.state === 'paused')!;
      assert.ok(status, 'a paused source status');
      assert.equal(status.message, undefined);
      await client.waitFor('health lists it as paused', () => client.health.some((h) => h.sources.some((s) => s.source === 'mic' && s.state === 'paused')), 5000);
      await client.waitFor('the microphone released', () => virtmicStreams() === 0, 5000);

      // 2. Speech while paused is not heard.
      const before = finals(client).length;
      await pulse.playToMic(speech);
      await sleep(2500);
      assert.equal(finals(client).length, before, 'nothing transcribed while paused');
      assert.ok(!statuses.some((s) => s.state === 'stalled' || s.state === 'failed'), 'a pause is no fault');
      assert.deepEqual(await client.connection.sendRequest(SessionPause, { sessionId: started.sessionId, paused: true, source: 'mic' }), { paused: ['mic'] }, 'idempotent');

      // 3. Resume: speech after it is stamped after it.
      const resumeSent = Date.now();
      const statusesBefore = statuses.length;
      assert.deepEqual(await client.connection.sendRequest(SessionPause, { sessionId: started.sessionId, paused: false }), { paused: [] });
      await client.waitFor('capturing again', () => statuses.slice(statusesBefore).some((s) => s.state === 'capturing'), 20_000);
      await client.waitFor('a resumed state', () => client.states.filter((s) => s.state === 'streaming').at(-1)!.paused.length === 0);
      await pulse.playToMic(speech);
      await client.waitFor('a final after the resume', () => finals(client).length > before, 30_000);
      const after = finals(client)[before];
      const resumeOffset = (resumeSent - startedAt) / 1000;
      assert.ok(after.t0 >= resumeOffset, `t0 ${after.t0} s after the resume at ${resumeOffset.toFixed(2)} s`);
      assert.ok(after.segmentId !== cut.segmentId);
      assert.ok(statuses.every((s) => s.gapSec === 0), `the pause is not a gap: ${JSON.stringify(statuses.map((s) => s.gapSec))}`);

      // 4. Pause again, then stop while paused: finalized normally.
      await client.connection.sendRequest(SessionPause, { sessionId: started.sessionId, paused: true });
      const stopped = await client.connection.sendRequest(SessionStop, { sessionId: started.sessionId });
      assert.deepEqual(stopped.segments.map((s) => s.segmentId), finals(client).map((f) => f.segmentId));
      assert.ok(fs.existsSync(stopped.notesPath), 'a meeting writes its notes');
      const end = (await readJournal(stopped.journalPath)).records.find((r) => r.type === 'end');
      assert.ok(end && end.type === 'end' && !end.error, JSON.stringify(end));
      const done = client.states.find((s) => s.state === 'done')!;
      assert.equal(done.error, undefined);
      assert.deepEqual(done.paused, []);

      // Errors: not streaming any more, an unknown session, a source the session does not have.
      const notStreaming = await client.connection.sendRequest(SessionPause, { sessionId: started.sessionId, paused: false }).then(() => undefined, (e: unknown) => e);
      assert.ok(notStreaming instanceof ResponseError);
      assert.equal(notStreaming.code, ErrorCodes.RequestFailed);
      assert.match(notStreaming.message, /only a session that is recording/);
      const unknown = await client.connection.sendRequest(SessionPause, { sessionId: 'nope', paused: true }).then(() => undefined, (e: unknown) => e);
      assert.ok(unknown instanceof ResponseError && unknown.code === ErrorCodes.SessionNotFound);
      const bad = await client.connection.sendRequest(SessionPause, { sessionId: started.sessionId, paused: 'yes' } as never).then(() => undefined, (e: unknown) => e);
      assert.ok(bad instanceof ResponseError && bad.code === ErrorCodes.InvalidParams, String(bad));
      // (The model file is called mini-hello.bin: its name may be logged, the words never.)
      assert.ok(!client.logs.some((l) => /hello/.test(l.replace(/mini-hello/g, ''))), 'no transcript text in the log');
    } finally {
      await client.dispose();
    }
  });

  it('pausing a source the session does not record is InvalidParams', async () => {
    const { client, statuses } = await daemon('pause-source');
    try {
      const started = await client.connection.sendRequest(SessionStart, { sources: ['mic'] });
      await client.waitFor('mic capturing', () => statuses.some((s) => s.state === 'capturing'), 20_000);
      const error = await client.connection.sendRequest(SessionPause, { sessionId: started.sessionId, paused: true, source: 'system' }).then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof ResponseError);
      assert.equal(error.code, ErrorCodes.InvalidParams);
      assert.match(error.message, /does not record system audio/);
      await client.connection.sendRequest(SessionStop, { sessionId: started.sessionId });
    } finally {
      await client.dispose();
    }
  });
});
