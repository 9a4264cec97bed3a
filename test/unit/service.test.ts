import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorCodes, SessionStateParams } from '../../protocol/protocol';
import { EarshotService, ServiceConfig, ServiceError, ServiceEvents } from '../../daemon/service';
import { fixture, SAMPLE_WAV } from '../setup';
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
    const svc = service({ capture: { env: { PATH: path.join(dir, 'no-tools') } } });
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
