/**
 * Bad input on the wire, byte for byte, to the real daemon process: every malformed message gets the
 * JSON-RPC error it deserves, and the daemon keeps serving.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorCodes, PROTOCOL_VERSION, SessionStatusResult } from '../../protocol/protocol';
import { MAX_FRAME_BYTES, MAX_JSON_DEPTH } from '../../daemon/rpc/transport';
import { fixture, SAMPLE_WAV } from '../setup';
import { DaemonProcess, RawClient, spawnDaemon, WireMessage } from './daemon-process';

describe('daemon on bad input (raw frames)', () => {
  let dir: string;
  let missingModel: string;
  let daemon: DaemonProcess;
  let raw: RawClient;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-bad-input-'));
    missingModel = path.join(dir, 'models', 'ggml-gone.bin');
    // No recorder on the daemon's PATH and the in-process backend turned off: what a machine where audify could not be
    // built and nothing is installed looks like; live sources cannot be recorded (the daemon needs nothing from PATH).
    daemon = spawnDaemon({ PATH: path.join(dir, 'no-tools'), EARSHOT_AUDIO_BACKEND: 'recorders' });
    raw = new RawClient(daemon);
  });

  after(async () => {
    const code = await daemon.close().finally(() => fs.rmSync(dir, { recursive: true, force: true }));
    assert.equal(code, 0, `daemon exit code ${code}; stderr:\n${daemon.stderr().slice(-2000)}`);
  });

  function assertError(m: WireMessage, code: number, id: number | string | null, message?: RegExp): void {
    assert.equal(m.jsonrpc, '2.0');
    assert.equal(m.id, id);
    assert.ok(m.error, `expected an error, got ${JSON.stringify(m)}`);
    assert.equal(m.result, undefined);
    assert.equal(m.error.code, code, `code ${m.error.code}: ${m.error.message}`);
    if (message) assert.match(m.error.message, message);
  }

  it('refuses session requests before initialize', async () => {
    const r = await raw.request('earshot/session/status', {});
    assertError(r, ErrorCodes.ServerNotInitialized, r.id as number, /not initialized/);
  });

  it('initializes (with a model path that does not exist)', async () => {
    const init = await raw.request('initialize', {
      processId: null, rootUri: null, capabilities: {},
      initializationOptions: { protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: missingModel, threads: 1 },
    });
    assert.equal(init.error, undefined, JSON.stringify(init.error));
    raw.notify('initialized', {});
  });

  it('answers a malformed JSON body with -32700 and id null', async () => {
    raw.sendRaw('{"jsonrpc":"2.0","id":1,"method":"earshot/session/status","params":');
    assertError(await raw.nextNullIdError(), ErrorCodes.ParseError, null, /Parse error/);
    raw.sendRaw(Buffer.from([0xff, 0xfe, 0x00, 0x7b]));
    assertError(await raw.nextNullIdError(), ErrorCodes.ParseError, null);
  });

  for (const [label, body] of [
    ['a batch array [1,2]', '[1,2]'],
    ['an object that is no JSON-RPC message {"foo":1}', '{"foo":1}'],
    ['a JSON string', '"str"'],
    ['a JSON number', '42'],
    ['null', 'null'],
    ['an object id', '{"jsonrpc":"2.0","id":{"a":1},"method":"earshot/session/status"}'],
  ] as const) {
    it(`answers ${label} with -32600 and id null`, async () => {
      raw.sendRaw(body);
      assertError(await raw.nextNullIdError(), ErrorCodes.InvalidRequest, null, /Invalid request/);
    });
  }

  it('answers an invalid request whose id is readable with that id', async () => {
    raw.sendRaw('{"jsonrpc":"2.0","id":77,"method":5}');
    assertError(await raw.next((m) => m.id === 77), ErrorCodes.InvalidRequest, 77, /"method" must be a string/);
    raw.sendRaw('{"jsonrpc":"2.0","id":"s-78","method":"earshot/session/start","params":"file"}');
    assertError(await raw.next((m) => m.id === 's-78'), ErrorCodes.InvalidRequest, 's-78', /"params" must be an object or an array/);
    raw.sendRaw('{"jsonrpc":"1.0","id":79,"method":"earshot/session/status"}');
    assertError(await raw.next((m) => m.id === 79), ErrorCodes.InvalidRequest, 79, /"jsonrpc" must be "2.0"/);
    raw.sendRaw('{"id":80,"method":"earshot/session/status"}');
    assertError(await raw.next((m) => m.id === 80), ErrorCodes.InvalidRequest, 80, /"jsonrpc" must be "2.0"/);
  });

  it('answers an unknown method with -32601', async () => {
    const r = await raw.request('earshot/session/rewind', { sessionId: 'x' });
    assertError(r, ErrorCodes.MethodNotFound, r.id as number);
  });

  it('answers session/start with wrong param types with -32602 naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ sources: 'file' }, /sources must be a non-empty array/],
      [{ sources: ['file'], audioFile: 5 }, /audioFile must be a string, got number/],
      [{ sources: ['file'], audioFile: SAMPLE_WAV, pace: 'warp' }, /pace must be "realtime" or "fast"/],
      [{ sources: ['webcam'] }, /unknown source "webcam"/],
      [{ sources: ['file'] }, /audioFile is required/],
      [{ sources: ['mic'], title: { nested: true } }, /title must be a string, got object/],
      [{ sources: ['mic'], language: 'klingon' }, /language must be a language code/],
      [[1], /params must be an object/],
    ];
    for (const [params, message] of cases) {
      const r = await raw.request('earshot/session/start', params);
      assertError(r, ErrorCodes.InvalidParams, r.id as number, message);
      assert.match(r.error!.message, /^earshot\/session\/start: /);
    }
    const stop = await raw.request('earshot/session/stop', { sessionId: 42 });
    assertError(stop, ErrorCodes.InvalidParams, stop.id as number, /sessionId must be a string, got number/);
  });

  it('answers session/stop of an unknown id with SessionNotFound', async () => {
    const r = await raw.request('earshot/session/stop', { sessionId: 'no-such-session' });
    assertError(r, ErrorCodes.SessionNotFound, r.id as number, /no-such-session/);
  });

  it('answers a start with a missing model file with ModelUnavailable naming the path', async () => {
    const r = await raw.request('earshot/session/start', { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast' });
    assertError(r, ErrorCodes.ModelUnavailable, r.id as number);
    assert.ok(r.error!.message.includes(missingModel), r.error!.message);
    assert.deepEqual(r.error!.data, { modelPath: missingModel });
  });

  it('answers a start on a truncated or non-audio wav with AudioUnreadable saying why', async () => {
    for (const [name, why] of [['not-audio.wav', /not a WAV file/], ['header-only.wav', /fmt chunk is too short/], ['random-bytes.wav', /not a WAV file/]] as const) {
      const r = await raw.request('earshot/session/start', { sources: ['file'], audioFile: fixture(name), pace: 'fast' });
      assertError(r, ErrorCodes.AudioUnreadable, r.id as number, why);
      assert.ok(r.error!.message.includes(fixture(name)));
    }
    const missing = await raw.request('earshot/session/start', { sources: ['file'], audioFile: path.join(dir, 'nope.wav') });
    assertError(missing, ErrorCodes.AudioUnreadable, missing.id as number, /no such file/);
  });

  it('answers a start with a live source it cannot record with SourceUnavailable, saying what to install', async () => {
    const r = await raw.request('earshot/session/start', { sources: ['mic'] });
    assertError(r, ErrorCodes.SourceUnavailable, r.id as number, /microphone recorder.*sox/);
    const both = await raw.request('earshot/session/start', { sources: ['mic', 'system'] });
    assertError(both, ErrorCodes.SourceUnavailable, both.id as number, /system audio/i);
  });

  it('keeps serving afterwards: session/status answers correctly and the process is alive', async () => {
    const r = await raw.request('earshot/session/status', {});
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.deepEqual(r.result as SessionStatusResult, {
      state: 'idle', sessionId: null, title: null, sources: [], startedAt: null, capturedSec: 0, finalSegments: 0, notesPath: null,
    });
    const unknown = await raw.request('earshot/session/status', { sessionId: 'nope' });
    assertError(unknown, ErrorCodes.SessionNotFound, unknown.id as number);
    assert.equal(daemon.child.exitCode, null);
    assert.equal(daemon.child.signalCode, null);
    // Every request got exactly one response; nothing unexpected was sent back.
    const responses = raw.received.filter((m) => m.id !== undefined && m.method === undefined);
    const ids = responses.map((m) => m.id).filter((id) => id !== null);
    assert.equal(new Set(ids).size, ids.length, 'no request was answered twice');
    assert.ok(!fs.existsSync(path.join(dir, 'storage', 'sessions')), 'no journal was created by any refused start');
  });
});

describe('daemon on bad frames, over its limits and out of lifecycle order (raw bytes)', function () {
  this.timeout(60_000);
  let dir: string;
  let daemon: DaemonProcess;
  let raw: RawClient;
  const write = (bytes: string | Buffer) => daemon.child.stdin.write(bytes);

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-bad-frames-'));
    daemon = spawnDaemon({ PATH: path.join(dir, 'no-tools') });
    raw = new RawClient(daemon);
  });

  after(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  });

  const status = () => raw.request('earshot/session/status', {});

  it('answers shutdown before initialize with ServerNotInitialized', async () => {
    const r = await raw.request('shutdown');
    assert.equal(r.error?.code, ErrorCodes.ServerNotInitialized);
  });

  it('survives a refused initialize whose processId is no process (the client watch starts only after a good one)', async () => {
    const refused = await raw.request('initialize', { processId: 999_999_999, capabilities: {}, initializationOptions: { protocolVersion: PROTOCOL_VERSION + 1 } });
    assert.equal(refused.error?.code, ErrorCodes.ProtocolMismatch);
    const init = await raw.request('initialize', {
      processId: null, capabilities: {},
      initializationOptions: { protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), threads: 1 },
    });
    assert.equal(init.error, undefined, JSON.stringify(init.error));
    // vscode-languageserver checked the first processId every 3 s and exited when it was not a live process.
    await new Promise((r) => setTimeout(r, 3500));
    assert.equal(daemon.child.exitCode, null, 'the daemon is alive');
    assert.equal((await status()).error, undefined);
  });

  it('refuses a second initialize', async () => {
    const again = await raw.request('initialize', { processId: null, capabilities: {}, initializationOptions: { protocolVersion: PROTOCOL_VERSION } });
    assert.equal(again.error?.code, ErrorCodes.InvalidRequest);
    assert.match(again.error!.message, /already initialized/);
  });

  it('answers a frame over the limit with id null, skips its bytes without holding them, and keeps serving', async () => {
    const size = MAX_FRAME_BYTES + 1;
    write(Buffer.concat([Buffer.from(`Content-Length: ${size}\r\n\r\n`), Buffer.alloc(size, 0x7b)]));
    const error = await raw.nextNullIdError();
    assert.equal(error.error!.code, ErrorCodes.InvalidRequest);
    assert.match(error.error!.message, new RegExp(`${size} bytes; at most ${MAX_FRAME_BYTES}`));
    assert.equal((await status()).error, undefined);
  });

  it('resynchronizes after junk, a Content-Length too short, and a header without Content-Length', async () => {
    const body = '{"jsonrpc":"2.0","method":"earshot/vocabulary","params":{"words":["x"]}}';
    write('these bytes are no frame');
    assert.equal((await status()).error, undefined);
    assert.equal((await raw.nextNullIdError()).error!.code, ErrorCodes.ParseError);
    write(`Content-Length: ${body.length - 5}\r\n\r\n${body}`);
    assert.equal((await status()).error, undefined);
    write(`Content-Type: application/json\r\n\r\n${body}`);
    assert.equal((await status()).error, undefined);
    write(`Content-Length: 12abc\r\n\r\n${body}`);
    assert.equal((await status()).error, undefined);
    // Junk: 1 answer; a short Content-Length: the cut body and its rest (2); no or a bad Content-Length: the header
    // and the body it leaves (2 each). Each with id null.
    for (let i = 0; i < 6; i++) assert.equal((await raw.nextNullIdError()).error!.code, ErrorCodes.ParseError);
    assert.equal(raw.received.filter((m) => m.id === null).length, 8, 'the oversized frame\'s answer and these 7');
  });

  it('answers a second request with an id still in use with InvalidRequest (both are answered)', async () => {
    write(Buffer.concat([
      frame({ jsonrpc: '2.0', id: 'same', method: 'earshot/session/status', params: {} }),
      frame({ jsonrpc: '2.0', id: 'same', method: 'earshot/model/list', params: {} }),
    ]));
    const first = await raw.next((m) => m.id === 'same');
    const second = await raw.next((m) => m.id === 'same');
    const refused = [first, second].filter((m) => m.error?.code === ErrorCodes.InvalidRequest);
    assert.equal(refused.length, 1, JSON.stringify([first, second]).slice(0, 500));
    assert.match(refused[0].error!.message, /already used by a request that has not been answered/);
  });

  it('refuses a request with id null, and JSON nested deeper than the limit without parsing it', async () => {
    raw.sendRaw('{"jsonrpc":"2.0","id":null,"method":"earshot/session/status"}');
    assert.match((await raw.nextNullIdError()).error!.message, /"id" must not be null/);
    raw.sendRaw(`{"jsonrpc":"2.0","id":5,"method":"earshot/session/status","params":{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`);
    const deep = await raw.nextNullIdError();
    assert.equal(deep.error!.code, ErrorCodes.InvalidRequest);
    assert.match(deep.error!.message, new RegExp(`more than ${MAX_JSON_DEPTH} deep`));
  });

  it('names a wrong value briefly whatever its size (no echo of megabytes, no stack overflow)', async () => {
    const r = await raw.request('earshot/devices/test', { source: 'x'.repeat(1_000_000) });
    assert.equal(r.error?.code, ErrorCodes.InvalidParams);
    assert.ok(r.error!.message.length < 300, r.error!.message.slice(0, 300));
  });

  it('drops a $/cancelRequest without an id silently', async () => {
    raw.notify('$/cancelRequest', {});
    raw.notify('$/cancelRequest', { id: { nested: true } });
    const before = raw.received.filter((m) => m.id === null).length;
    assert.equal((await status()).error, undefined);
    assert.equal(raw.received.filter((m) => m.id === null).length, before, 'nothing answered');
  });

  it('after shutdown refuses every request, and exits 0 on exit', async () => {
    const shutdown = await raw.request('shutdown');
    assert.equal(shutdown.result, null);
    const after = await status();
    assert.equal(after.error?.code, ErrorCodes.InvalidRequest);
    assert.match(after.error!.message, /shutting down/);
    raw.notify('exit');
    assert.equal(await daemon.close(), 0);
  });
});

function frame(message: object): Buffer {
  const body = Buffer.from(JSON.stringify(message));
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]);
}
