import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DEVICE_TEST_SESSION_ID, ErrorCodes, InputLevelParams, ModelProgressParams, SessionStateParams, SourceStatusParams,
} from '../../protocol/protocol';
import { EarshotService, ServiceConfig, ServiceError, ServiceEvents } from '../../daemon/service';
import { fixture, SAMPLE_WAV } from '../setup';
import { fakeRecorderDir } from '../support/fake-recorder';
import { FakeDecoder } from './fakes';

async function rejectsWith(promise: Promise<unknown>, code: number, message?: RegExp): Promise<ServiceError> {
  let caught: unknown;
  await assert.rejects(promise, (e: unknown) => {
    caught = e;
    assert.ok(e instanceof ServiceError, `expected ServiceError, got ${String(e)}`);
    assert.equal(e.code, code, `code ${e.code}: ${e.message}`);
    if (message) assert.match(e.message, message);
    return true;
  });
  return caught as ServiceError;
}

describe('EarshotService', () => {
  let dir: string;
  let states: SessionStateParams[];
  const events = (): ServiceEvents => ({
    transcript: () => undefined, actionItem: () => undefined, decision: () => undefined,
    state: (s) => states.push(s), modelState: () => undefined,
  });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-service-'));
    states = [];
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function service(overrides: Partial<ServiceConfig> = {}): EarshotService {
    return new EarshotService({
      storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: path.join(dir, 'no-model.bin'),
      language: 'en', threads: 1, gpu: false, ...overrides,
    }, events());
  }

  /** A service whose whisper engine is replaced by a fake decoder (unit tests never load the native addon). */
  function fakeService(decoder = new FakeDecoder()): EarshotService {
    const svc = service();
    svc.engine.state = 'ready';
    svc.engine.decode = (request) => decoder.decode(request);
    return svc;
  }

  it('reports idle before any session', () => {
    assert.deepEqual(service().status(), {
      state: 'idle', sessionId: null, title: null, sources: [], startedAt: null, capturedSec: 0, finalSegments: 0, notesPath: null,
    });
  });

  it('refuses a second start while a session streams, naming the running session', async () => {
    const svc = fakeService();
    const first = await svc.startSession({ sources: ['file'], audioFile: SAMPLE_WAV, pace: 'realtime' });
    assert.equal(svc.status().state, 'streaming');
    assert.equal(svc.status().sessionId, first.sessionId);
    const e = await rejectsWith(svc.startSession({ sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast' }), ErrorCodes.SessionAlreadyRunning);
    assert.ok(e.message.includes(first.sessionId));
    assert.deepEqual(e.data, { sessionId: first.sessionId });
    // The running session is untouched.
    assert.equal(svc.status().state, 'streaming');
    const stopped = await svc.stopSession(first.sessionId);
    assert.equal(stopped.sessionId, first.sessionId);
    assert.equal(svc.status().state, 'done');
    assert.deepEqual(await svc.stopSession(first.sessionId), stopped, 'stop again: the same result');
    await svc.shutdown();
  });

  it('refuses concurrent starts: exactly one wins', async () => {
    const svc = fakeService();
    const results = await Promise.allSettled([
      svc.startSession({ sources: ['file'], audioFile: SAMPLE_WAV, pace: 'realtime' }),
      svc.startSession({ sources: ['file'], audioFile: SAMPLE_WAV, pace: 'realtime' }),
    ]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
    assert.equal((rejected.reason as ServiceError).code, ErrorCodes.SessionAlreadyRunning);
    await svc.shutdown();
    assert.equal(svc.activeSession, undefined);
  });

  it('runs a file session to the end, then accepts a new one and still answers for the old', async () => {
    const svc = fakeService();
    const first = await svc.startSession({ sources: ['file'], audioFile: fixture('speech-padded-16k.wav'), pace: 'fast', title: '  ' });
    const done = await svc.sessionDone(first.sessionId);
    assert.equal(done.notesPath, first.notesPath);
    assert.match(path.basename(first.notesPath), /^\d{4}-\d{2}-\d{2}-\d{4}-speech-padded-16k\.md$/, 'a blank title falls back to the file name');
    assert.ok(fs.existsSync(first.notesPath));
    assert.ok(done.journalPath.startsWith(path.join(dir, 'storage', 'sessions')));
    assert.equal(done.segments.length, 1);
    assert.ok(Math.abs(done.segments[0].t0 - 2) < 0.4 && Math.abs(done.segments[0].t1 - 8.81) < 0.5, JSON.stringify(done.segments[0]));
    const status = svc.status(first.sessionId);
    assert.equal(status.state, 'done');
    assert.equal(status.finalSegments, 1);
    assert.ok(Math.abs(status.capturedSec - 10.8084375) < 0.05);

    const second = await svc.startSession({ sources: ['file'], audioFile: fixture('list-chunk-odd.wav'), pace: 'fast', title: 'Second' });
    assert.notEqual(second.sessionId, first.sessionId);
    await svc.sessionDone(second.sessionId);
    assert.deepEqual(await svc.stopSession(first.sessionId), done, 'the earlier session is remembered');
    assert.equal(svc.status().sessionId, second.sessionId, 'status without an id is the latest session');
  });

  it('transcribes an empty (zero-sample) file to an empty session', async () => {
    const decoder = new FakeDecoder();
    const svc = fakeService(decoder);
    const { sessionId } = await svc.startSession({ sources: ['file'], audioFile: fixture('zero-samples.wav'), pace: 'fast' });
    const result = await svc.sessionDone(sessionId);
    assert.deepEqual(result.segments, []);
    assert.equal(decoder.requests.length, 0, 'whisper is never fed 0 samples');
    assert.equal(states[states.length - 1].state, 'done');
    assert.equal(states[states.length - 1].error, undefined);
  });

  it('stop of an unknown id → SessionNotFound', async () => {
    const svc = fakeService();
    await rejectsWith(Promise.resolve().then(() => svc.stopSession('nope')), ErrorCodes.SessionNotFound, /"nope"/);
    assert.throws(() => svc.status('nope'), (e: unknown) => e instanceof ServiceError && e.code === ErrorCodes.SessionNotFound);
    await rejectsWith(Promise.resolve().then(() => svc.sessionDone('nope')), ErrorCodes.SessionNotFound);
  });

  it('live sources this machine cannot record: refused alone (saying what to install), left out beside others', async () => {
    // No recorder and no sound server anywhere on this PATH.
    const svc = service({ capture: { env: { PATH: path.join(dir, 'no-tools'), EARSHOT_AUDIO_BACKEND: 'recorders' } } });
    svc.engine.state = 'ready';
    svc.engine.decode = (request) => new FakeDecoder().decode(request);
    await rejectsWith(svc.startSession({ sources: ['mic'] }), ErrorCodes.SourceUnavailable, /microphone recorder.*sox/);
    await rejectsWith(svc.startSession({ sources: ['system'] }), ErrorCodes.SourceUnavailable, /parec|pulseaudio-utils/);
    assert.equal(svc.status().state, 'idle', 'no session was created');
    assert.ok(!fs.existsSync(path.join(dir, 'storage', 'sessions')), 'no journal was written');
    const started = await svc.startSession({ sources: ['file', 'system'], audioFile: SAMPLE_WAV, pace: 'fast' });
    assert.deepEqual(started.unavailable?.map((u) => u.source), ['system']);
    assert.match(started.unavailable![0].message, /microphone keeps working/);
    assert.deepEqual(svc.status(started.sessionId).sources, ['file']);
    await svc.sessionDone(started.sessionId);
  });

  it('start with a missing model → ModelUnavailable naming the path', async () => {
    const modelPath = path.join(dir, 'models', 'ggml-missing.bin');
    const svc = service({ modelPath });
    const e = await rejectsWith(svc.startSession({ sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast' }), ErrorCodes.ModelUnavailable);
    assert.ok(e.message.includes(modelPath), e.message);
    assert.deepEqual(e.data, { modelPath });
    assert.equal(svc.engine.state, 'error');
    assert.equal(svc.status().state, 'idle');
    assert.equal(svc.health().model.error, e.message);
    // Not stuck: the next start is refused for the same reason, not as "already running".
    await rejectsWith(svc.startSession({ sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast' }), ErrorCodes.ModelUnavailable);
  });

  it('start with a corrupt model → ModelUnavailable naming the path', async () => {
    const modelPath = path.join(dir, 'corrupt.bin');
    fs.writeFileSync(modelPath, 'this is not a model');
    const e = await rejectsWith(service({ modelPath }).startSession({ sources: ['file'], audioFile: SAMPLE_WAV }), ErrorCodes.ModelUnavailable);
    assert.ok(e.message.includes(modelPath));
  });

  it('start with a broken or missing wav → AudioUnreadable saying why', async () => {
    const svc = fakeService();
    for (const [name, why] of [['not-audio.wav', /not a WAV file/], ['header-only.wav', /fmt chunk is too short/], ['empty.wav', /empty/], ['garbage-fmt.wav', /unsupported/]] as const) {
      const e = await rejectsWith(svc.startSession({ sources: ['file'], audioFile: fixture(name) }), ErrorCodes.AudioUnreadable, why);
      assert.ok(e.message.includes(fixture(name)));
    }
    await rejectsWith(svc.startSession({ sources: ['file'], audioFile: path.join(dir, 'missing.wav') }), ErrorCodes.AudioUnreadable, /no such file/);
    assert.equal(svc.status().state, 'idle');
    assert.equal(states.length, 0, 'no session state was ever announced');
  });
});

describe('EarshotService: pause, dictation, device test, model progress, retention (fake recorders, fake decoder)', function () {
  this.timeout(60_000);
  let dir: string;
  let bin: string;
  let states: SessionStateParams[];
  let statuses: SourceStatusParams[];
  let levels: InputLevelParams[];
  let progress: ModelProgressParams[];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-service-live-'));
    // A fake `arecord` first on PATH: the microphone "records" a sine through node-record-lpcm16.
    bin = fakeRecorderDir(['arecord'], { then: 'forever', amplitude: 0.5, termExitCode: 1 });
    states = []; statuses = []; levels = []; progress = [];
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(bin, { recursive: true, force: true });
  });

  function liveService(overrides: Partial<ServiceConfig> = {}): EarshotService {
    const svc = new EarshotService({
      storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: path.join(dir, 'no-model.bin'),
      language: 'en', threads: 1, gpu: false, capture: { env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, EARSHOT_AUDIO_BACKEND: 'recorders' } }, ...overrides,
    }, {
      transcript: () => undefined, actionItem: () => undefined, decision: () => undefined, modelState: () => undefined,
      state: (s) => states.push(s), sourceStatus: (s) => statuses.push(s), inputLevel: (l) => levels.push(l), modelProgress: (p) => progress.push(p),
    });
    svc.engine.state = 'ready';
    svc.engine.decode = (request) => new FakeDecoder().decode(request);
    return svc;
  }

  async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = check();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('pauses and resumes the microphone: paused status and state, health, idempotent, clear errors, stop while paused', async () => {
    const svc = liveService();
    const { sessionId } = await svc.startSession({ sources: ['mic'] });
    try {
      await until('capturing', () => statuses.some((s) => s.state === 'capturing'));
      assert.deepEqual(await svc.pauseSession({ sessionId, paused: true }), { paused: ['mic'] });
      assert.equal(statuses[statuses.length - 1].state, 'paused');
      assert.equal(statuses[statuses.length - 1].gapSec, 0);
      assert.deepEqual(states.map((s) => [s.state, s.paused, s.mode]), [['streaming', [], 'meeting'], ['streaming', ['mic'], 'meeting']]);
      assert.deepEqual(svc.health().sources.map((s) => [s.source, s.state, s.rmsDbfs]), [['mic', 'paused', null]]);
      assert.deepEqual(await svc.pauseSession({ sessionId, paused: true, source: 'mic' }), { paused: ['mic'] }, 'idempotent');
      assert.equal(states.length, 2, 'no state notification for no change');

      await rejectsWith(svc.pauseSession({ sessionId, paused: true, source: 'system' }), ErrorCodes.InvalidParams, /does not record system audio.*mic/);
      await rejectsWith(svc.pauseSession({ sessionId: 'nope', paused: true }), ErrorCodes.SessionNotFound);

      const resumedAt = performance.now();
      assert.deepEqual(await svc.pauseSession({ sessionId, paused: false }), { paused: [] });
      assert.deepEqual(states[states.length - 1].paused, []);
      await until('capturing again', () => statuses.some((s) => s.state === 'capturing' && statuses.indexOf(s) > statuses.findIndex((p) => p.state === 'paused')));
      await until('levels again', () => levels.some((l) => l.sessionId === sessionId) && svc.health().sources[0].rmsDbfs !== null);
      assert.ok(performance.now() - resumedAt < 5000);

      await svc.pauseSession({ sessionId, paused: true });
      const stopped = await svc.stopSession(sessionId);
      assert.equal(stopped.sessionId, sessionId);
      assert.equal(states[states.length - 1].state, 'done');
      assert.equal(states[states.length - 1].error, undefined);
      assert.equal(statuses[statuses.length - 1].state, 'stopped');
      await rejectsWith(svc.pauseSession({ sessionId, paused: false }), ErrorCodes.RequestFailed, /is over/);
    } finally {
      await svc.shutdown();
    }
  });

  it('a file session has nothing to pause', async () => {
    const svc = liveService();
    const { sessionId } = await svc.startSession({ sources: ['file'], audioFile: SAMPLE_WAV, pace: 'realtime' });
    try {
      await rejectsWith(svc.pauseSession({ sessionId, paused: true }), ErrorCodes.InvalidParams, /no live source/);
      await rejectsWith(svc.pauseSession({ sessionId, paused: true, source: 'mic' }), ErrorCodes.InvalidParams, /does not record the microphone/);
    } finally {
      await svc.shutdown();
    }
  });

  it('a dictation session: notesPath "" in the result and every state, mode dictation, no notes written', async () => {
    const svc = liveService();
    const started = await svc.startSession({ sources: ['mic'], mode: 'dictation' });
    assert.equal(started.notesPath, '');
    await until('capturing', () => statuses.some((s) => s.state === 'capturing'));
    assert.equal(svc.status(started.sessionId).title, 'Dictation');
    const stopped = await svc.stopSession(started.sessionId);
    assert.equal(stopped.notesPath, '');
    assert.deepEqual(states.map((s) => s.state), ['streaming', 'stopping', 'finalizing', 'done']);
    assert.ok(states.every((s) => s.mode === 'dictation' && s.notesPath === '' && s.paused.length === 0));
    assert.ok(!fs.existsSync(path.join(dir, 'notes')));
    await svc.shutdown();
  });

  it('tests a device: levels as DEVICE_TEST_SESSION_ID, the loudest level; refused while a session records or another test runs', async () => {
    const svc = liveService();
    const first = svc.testDevice({ source: 'mic', seconds: 1 });
    await rejectsWith(svc.testDevice({ source: 'mic', seconds: 1 }), ErrorCodes.RequestFailed, /already running/);
    const result = await first;
    assert.equal(result.source, 'mic');
    assert.equal(result.recorder, 'arecord');
    assert.ok(Math.abs(result.rmsDbfs - -9) < 0.5 && result.heard, JSON.stringify(result));
    assert.ok(levels.length >= 5 && levels.every((l) => l.sessionId === DEVICE_TEST_SESSION_ID && l.source === 'mic'), `${levels.length} levels`);

    const { sessionId } = await svc.startSession({ sources: ['mic'] });
    await rejectsWith(svc.testDevice({ source: 'mic', seconds: 1 }), ErrorCodes.SessionAlreadyRunning, new RegExp(sessionId));
    await svc.stopSession(sessionId);
    await svc.shutdown();
  });

  it('a device that cannot record: SourceUnavailable with the message a session gives', async () => {
    const svc = liveService({ capture: { env: { PATH: path.join(dir, 'no-tools'), EARSHOT_AUDIO_BACKEND: 'recorders' } } });
    const e = await rejectsWith(svc.testDevice({ source: 'mic', seconds: 1 }), ErrorCodes.SourceUnavailable, /No microphone recorder is installed.*sox/);
    assert.deepEqual(e.data, { source: 'mic', reason: 'recorder-missing' });
    const dead = fakeRecorderDir(['arecord'], { writeMs: 100, then: 'exit', exitCode: 1, stderr: 'ALSA lib pcm.c: Unknown PCM pulse\narecord: main:850: audio open error: No such file or directory' });
    try {
      const svc2 = liveService({ capture: { env: { ...process.env, PATH: `${dead}:${process.env.PATH}`, EARSHOT_AUDIO_BACKEND: 'recorders' } } });
      const e2 = await rejectsWith(svc2.testDevice({ source: 'mic', device: 'nope', seconds: 2 }), ErrorCodes.SourceUnavailable, /not found/);
      assert.deepEqual(e2.data, { source: 'mic', reason: 'device-not-found' });
    } finally {
      fs.rmSync(dead, { recursive: true, force: true });
    }
  });

  it('model progress: load then failed with the reason; load then done', async () => {
    const svc = liveService();
    svc.engine.state = 'uninitialized';
    const e = await rejectsWith(svc.startSession({ sources: ['file'], audioFile: SAMPLE_WAV }), ErrorCodes.ModelUnavailable);
    assert.deepEqual(progress, [
      { model: 'no-model.bin', phase: 'load', fraction: null },
      { model: 'no-model.bin', phase: 'failed', fraction: null, message: e.message },
    ]);
    progress.length = 0;
    svc.engine.load = async () => { svc.engine.state = 'ready'; };
    const { sessionId } = await svc.startSession({ sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast' });
    assert.deepEqual(progress.map((p) => p.phase), ['load', 'done']);
    await svc.sessionDone(sessionId);
  });

  it('retention: old journals go at startRetention, files not named after a session stay', async () => {
    const sessions = path.join(dir, 'storage', 'sessions');
    fs.mkdirSync(sessions, { recursive: true });
    const old = new Date(Date.now() - 40 * 86_400_000);
    const oldId = `${old.toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-abcdef`;
    fs.writeFileSync(path.join(sessions, `${oldId}.jsonl`), '{}\n');
    fs.utimesSync(path.join(sessions, `${oldId}.jsonl`), old, old);
    fs.writeFileSync(path.join(sessions, 'README'), 'not a session');
    fs.utimesSync(path.join(sessions, 'README'), old, old);
    const deleted: string[] = [];
    const svc = new EarshotService({
      storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: path.join(dir, 'm.bin'), language: 'en', threads: 1, gpu: false, retentionDays: 30,
    }, {
      transcript: () => undefined, actionItem: () => undefined, decision: () => undefined, modelState: () => undefined, state: () => undefined,
      retention: (r) => deleted.push(...r.deleted),
    });
    svc.startRetention();
    // The report comes after the whole pass (journals, then debug audio), so wait for it, not for the file.
    await until('the retention report', () => deleted.length > 0);
    assert.deepEqual(deleted, [`${oldId}.jsonl`]);
    assert.ok(!fs.existsSync(path.join(sessions, `${oldId}.jsonl`)));
    assert.ok(fs.existsSync(path.join(sessions, 'README')));
    await svc.shutdown();
  });
});
