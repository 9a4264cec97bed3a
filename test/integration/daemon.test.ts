/**
 * The real daemon process, the real whisper addon (with the mini test model) and the real sample
 * recording, driven over JSON-RPC on stdio as the extension drives it.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  createMessageConnection, InitializedNotification, InitializeRequest, InitializeResult, MessageConnection, ResponseError,
  StreamMessageReader, StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import {
  ErrorCodes, Health, HealthParams, PROTOCOL_VERSION, SessionStart, SessionStartResult, SessionStateNotification, SessionStateParams,
  SessionExport, SessionStatus, SessionStatusResult, SummaryNotification, SummaryParams, SessionStop, SessionStopResult, Transcript, TranscriptSegment,
} from '../../protocol/protocol';
import { JournalRecord } from '../../daemon/journal/journal';
import { miniModel, REPO_ROOT, SAMPLE_WAV, TEST_WORD } from '../setup';
import { DaemonProcess, spawnDaemon } from './daemon-process';

interface Turn { speaker: string; start: number; end: number }
const TURNS: Turn[] = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'media', 'sample', 'standup.json'), 'utf8'));
const HELLO_WORDS = new RegExp(`^${TEST_WORD}( ${TEST_WORD})*$`);

interface Client {
  daemon: DaemonProcess;
  connection: MessageConnection;
  transcripts: TranscriptSegment[];
  states: SessionStateParams[];
  health: HealthParams[];
  progressCreated: unknown[];
  progress: { token: unknown; value: { kind: string; title?: string } }[];
  /** Resolves with the session's 'done' state notification. */
  done: Promise<SessionStateParams>;
}

function connect(): Client {
  const daemon = spawnDaemon();
  const connection = createMessageConnection(new StreamMessageReader(daemon.child.stdout), new StreamMessageWriter(daemon.child.stdin));
  let resolveDone!: (s: SessionStateParams) => void;
  const client: Client = {
    daemon, connection, transcripts: [], states: [], health: [], progressCreated: [], progress: [],
    done: new Promise((r) => { resolveDone = r; }),
  };
  connection.onRequest('window/workDoneProgress/create', (params: unknown) => {
    client.progressCreated.push(params);
    return null;
  });
  connection.onNotification('$/progress', (p: { token: unknown; value: { kind: string; title?: string } }) => { client.progress.push(p); });
  connection.onNotification('window/logMessage', () => undefined);
  connection.onNotification(Transcript, (s) => { client.transcripts.push(s); });
  connection.onNotification(Health, (h) => { client.health.push(h); });
  connection.onNotification(SessionStateNotification, (s) => {
    client.states.push(s);
    if (s.state === 'done') resolveDone(s);
  });
  connection.listen();
  return client;
}

function initialize(client: Client, initializationOptions: unknown): Promise<InitializeResult> {
  return client.connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: null,
    capabilities: { window: { workDoneProgress: true } },
    clientInfo: { name: 'earshot-integration-test' },
    initializationOptions,
  } as never);
}

async function dispose(client: Client | undefined): Promise<void> {
  if (!client) return;
  client.connection.dispose();
  const code = await client.daemon.close();
  assert.equal(code, 0, `daemon exit code ${code}; stderr:\n${client.daemon.stderr().slice(-2000)}`);
}

describe('daemon over JSON-RPC (real process, real whisper, sample recording)', () => {
  let dir: string;
  let client: Client;
  let init: InitializeResult;
  let started: SessionStartResult;
  let statusWhileStreaming: SessionStatusResult;
  let secondStartError: unknown;
  let doneState: SessionStateParams;
  let statusWhenDone: SessionStatusResult;
  let stopped: SessionStopResult;
  const summaries: SummaryParams[] = [];
  let stoppedAgain: SessionStopResult;

  before(async function () {
    this.timeout(110_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-daemon-'));
    client = connect();
    client.connection.onNotification(SummaryNotification.method, (s: SummaryParams) => { summaries.push(s); });
    init = await initialize(client, {
      protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: miniModel(), threads: 1,
    });
    await client.connection.sendNotification(InitializedNotification.type, {});
    started = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast', title: 'Standup' });
    statusWhileStreaming = await client.connection.sendRequest(SessionStatus, {});
    secondStartError = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast' }).then(
      (r) => assert.fail(`a second session started: ${JSON.stringify(r)}`), (e: unknown) => e);
    doneState = await client.done;
    statusWhenDone = await client.connection.sendRequest(SessionStatus, { sessionId: started.sessionId });
    stopped = await client.connection.sendRequest(SessionStop, { sessionId: started.sessionId });
    stoppedAgain = await client.connection.sendRequest(SessionStop, { sessionId: started.sessionId });
  });

  after(async () => {
    try {
      await dispose(client);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers initialize with the protocol version and its own version', () => {
    const earshot = (init.capabilities.experimental as { earshot: { protocolVersion: number; version: string } }).earshot;
    assert.equal(earshot.protocolVersion, PROTOCOL_VERSION);
    assert.equal(earshot.version, JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version);
    assert.equal(init.serverInfo?.name, 'earshot');
  });

  it('reports model loading as work-done progress it asked the client to create', () => {
    assert.equal(client.progressCreated.length, 1);
    const token = (client.progressCreated[0] as { token: unknown }).token;
    const mine = client.progress.filter((p) => p.token === token).map((p) => p.value);
    assert.deepEqual(mine.map((v) => v.kind), ['begin', 'end']);
    assert.equal(mine[0].title, 'Loading whisper model');
  });

  it('starts a session and reports it streaming, then done', () => {
    assert.match(started.sessionId, /\S/);
    assert.equal(path.dirname(started.notesPath), path.join(dir, 'notes'));
    assert.equal(statusWhileStreaming.state, 'streaming');
    assert.equal(statusWhileStreaming.sessionId, started.sessionId);
    assert.equal(statusWhileStreaming.title, 'Standup');
    assert.deepEqual(statusWhileStreaming.sources, ['file']);
    assert.equal(statusWhenDone.state, 'done');
    assert.equal(statusWhenDone.sessionId, started.sessionId);
    assert.ok(Math.abs(statusWhenDone.capturedSec - 30) < 0.1, `capturedSec ${statusWhenDone.capturedSec}`);
    assert.equal(statusWhenDone.finalSegments, stopped.segments.length);
  });

  it('refuses a second start while streaming with SessionAlreadyRunning', () => {
    assert.ok(secondStartError instanceof ResponseError, String(secondStartError));
    assert.equal(secondStartError.code, ErrorCodes.SessionAlreadyRunning);
    assert.ok(secondStartError.message.includes(started.sessionId), secondStartError.message);
    assert.deepEqual(secondStartError.data, { sessionId: started.sessionId });
  });

  it('sends sessionState through streaming, stopping, finalizing to done, with no error', () => {
    assert.deepEqual(client.states.map((s) => s.state), ['streaming', 'stopping', 'finalizing', 'done']);
    for (const s of client.states) {
      assert.equal(s.sessionId, started.sessionId);
      assert.equal(s.notesPath, started.notesPath);
    }
    assert.equal(doneState.error, undefined);
  });

  it('sends final transcripts of "hello" words only, one per speech turn', () => {
    const finals = client.transcripts.filter((t) => t.final);
    assert.equal(finals.length, TURNS.length, JSON.stringify(finals.map((f) => [f.t0, f.t1])));
    for (const f of finals) {
      assert.match(f.text, HELLO_WORDS);
      assert.equal(f.sessionId, started.sessionId);
      assert.equal(f.source, 'file');
    }
  });

  it('stamps t0/t1 in capture-clock seconds that match the turns of the recording, not wall-clock time', () => {
    const finals = client.transcripts.filter((t) => t.final);
    for (const [i, f] of finals.entries()) {
      const turn = TURNS[i];
      assert.ok(f.t0 < turn.end && turn.start < f.t1, `final ${f.t0}–${f.t1} does not overlap turn ${turn.start}–${turn.end}`);
      // The speech boundaries, within one VAD frame (32 ms): not the padded audio around them.
      assert.ok(Math.abs(f.t0 - turn.start) <= 0.032 + 1e-9, `final t0 ${f.t0} vs turn start ${turn.start}`);
      assert.ok(Math.abs(f.t1 - turn.end) <= 0.032 + 1e-9, `final t1 ${f.t1} vs turn end ${turn.end}`);
      assert.ok(f.t1 <= 30.1, `t1 ${f.t1} beyond the 30 s recording`);
      assert.ok(f.t0 >= 0 && f.t0 < f.t1);
      if (i > 0) assert.ok(f.t0 > finals[i - 1].t0, 't0 ascending');
    }
  });

  it('sends only finals for a file read as fast as it goes (batch: nobody watches partials)', () => {
    assert.ok(client.transcripts.length >= 6);
    assert.deepEqual(client.transcripts.filter((t) => !t.final), []);
  });

  it('sends the final summary of the session before done: without a model, none (no bullets, no points)', () => {
    const final = summaries.filter((s) => s.sessionId === started.sessionId && s.final);
    assert.equal(final.length, 1, JSON.stringify(summaries));
    assert.deepEqual(final[0].bullets, []);
    assert.equal(final[0].points, undefined);
    assert.deepEqual(final[0].openQuestions, []);
  });

  it('exports the session from its journal in every format, and refuses ids that are not session ids', async () => {
    const vtt = await client.connection.sendRequest(SessionExport, { sessionId: started.sessionId, format: 'vtt' });
    assert.match(vtt.text, /^WEBVTT\n/);
    assert.equal((vtt.text.match(/-->/g) ?? []).length, stopped.segments.length, 'one cue per final');
    assert.match(vtt.fileName, /standup\.vtt$/i);
    const json = JSON.parse((await client.connection.sendRequest(SessionExport, { sessionId: started.sessionId, format: 'json' })).text);
    assert.deepEqual(json.segments.map((s: { text: string }) => s.text), stopped.segments.map((s) => s.text));
    for (const format of ['md', 'srt', 'txt'] as const) {
      const r = await client.connection.sendRequest(SessionExport, { sessionId: started.sessionId, format });
      assert.ok(r.text.includes(stopped.segments[0].text), format);
    }
    const traversal = await client.connection.sendRequest(SessionExport, { sessionId: '../../etc/passwd', format: 'md' }).then(() => undefined, (e: { code: number }) => e);
    assert.equal(traversal?.code, ErrorCodes.InvalidParams);
    const unknown = await client.connection.sendRequest(SessionExport, { sessionId: '20990101T000000-abcdef', format: 'md' }).then(() => undefined, (e: { code: number }) => e);
    assert.equal(unknown?.code, ErrorCodes.SessionNotFound);
    const badFormat = await client.connection.sendRequest(SessionExport, { sessionId: started.sessionId, format: 'docx' } as never).then(() => undefined, (e: { code: number }) => e);
    assert.equal(badFormat?.code, ErrorCodes.InvalidParams);
  });

  it('stop returns the same session, every final, and the same result a second time', () => {
    assert.equal(stopped.sessionId, started.sessionId);
    assert.equal(stopped.notesPath, started.notesPath);
    const finals = client.transcripts.filter((t) => t.final && t.text);
    assert.deepEqual(stopped.segments.map((s) => [s.segmentId, s.text, s.t0, s.t1]), finals.map((f) => [f.segmentId, f.text, f.t0, f.t1]));
    assert.deepEqual(stoppedAgain, stopped);
  });

  it('writes notes holding every final text and the transcript section', () => {
    assert.ok(fs.existsSync(stopped.notesPath));
    const notes = fs.readFileSync(stopped.notesPath, 'utf8');
    assert.match(notes, /^# Standup\n/);
    assert.ok(notes.includes('## Transcript'));
    const transcript = notes.slice(notes.indexOf('## Transcript'));
    for (const s of stopped.segments) assert.ok(transcript.includes(s.text), `notes miss the segment at ${s.t0}`);
    assert.equal(transcript.split('\n').filter((l) => l.startsWith('- **[')).length, stopped.segments.length);
  });

  it('journals a header, one segment line per final and an end line', () => {
    const lines = fs.readFileSync(stopped.journalPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as JournalRecord);
    const header = lines[0];
    assert.equal(header.type, 'session');
    if (header.type === 'session') {
      assert.equal(header.sessionId, started.sessionId);
      assert.equal(header.audioFile, SAMPLE_WAV);
      assert.equal(header.notesPath, started.notesPath);
    }
    const segments = lines.filter((l) => l.type === 'segment');
    assert.deepEqual(segments.map((s) => s.type === 'segment' && s.segmentId), stopped.segments.map((s) => s.segmentId));
    assert.equal(lines.filter((l) => l.type === 'end').length, 1);
    assert.equal(lines[lines.length - 1].type, 'end');
    if (process.platform !== 'win32') assert.equal(fs.statSync(stopped.journalPath).mode & 0o777, 0o600);
  });

  it('reports the model lifecycle in health: loading → warming_up → ready, with load time', () => {
    const states = client.health.map((h) => h.model.state).filter((st, i, all) => i === 0 || st !== all[i - 1]);
    assert.deepEqual(states.slice(0, 3), ['loading', 'warming_up', 'ready']);
    const ready = client.health.find((h) => h.model.state === 'ready')!;
    assert.ok(typeof ready.model.loadMs === 'number' && ready.model.loadMs > 0);
  });

  it('sends health with a ready model once the session is done', () => {
    const last = client.health[client.health.length - 1];
    assert.ok(last, 'at least one health notification');
    assert.equal(last.model.state, 'ready');
    assert.equal(last.model.path, miniModel());
    assert.ok(last.rssBytes > 0);
  });
});

describe('daemon initialize with another protocol version', () => {
  let client: Client | undefined;
  after(() => dispose(client));

  it('answers with a ProtocolMismatch error that says which versions', async () => {
    client = connect();
    const error = await initialize(client, { protocolVersion: PROTOCOL_VERSION + 1, modelPath: miniModel() }).then(
      (r) => assert.fail(`initialize succeeded: ${JSON.stringify(r)}`), (e: unknown) => e);
    assert.ok(error instanceof ResponseError, String(error));
    assert.equal(error.code, ErrorCodes.ProtocolMismatch);
    assert.match(error.message, /protocol mismatch/i);
    assert.ok(error.message.includes(`version ${PROTOCOL_VERSION + 1}`), error.message);
    assert.ok(error.message.includes(`version ${PROTOCOL_VERSION}`), error.message);
    // Not initialized: session requests are refused as such.
    const refused = await client.connection.sendRequest(SessionStatus, {}).then(() => undefined, (e: unknown) => e);
    assert.ok(refused instanceof ResponseError);
    assert.equal(refused.code, ErrorCodes.ServerNotInitialized);
  });
});

describe('daemon when the client goes away mid-session', () => {
  let dir: string;
  let client: Client | undefined;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-daemon-gone-')); });
  after(async () => {
    if (client && client.daemon.child.exitCode === null) client.daemon.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('finalizes the open session (journal end, notes) and exits 0', async () => {
    client = connect();
    await initialize(client, { protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: miniModel(), threads: 2 });
    await client.connection.sendNotification(InitializedNotification.type, {});
    const started = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'realtime' });
    // Wait until speech is being recognized (past the 250 ms that confirm a start: a first partial may show before it,
    // and a stop then withdraws it), then vanish without stopping the session.
    while (!client.transcripts.some((t) => t.sessionId === started.sessionId && t.t1 - t.t0 >= 0.3)) await new Promise((r) => setTimeout(r, 50));
    client.connection.dispose();
    const code = await client.daemon.close();
    assert.equal(code, 0, `exit code ${code}; stderr:\n${client.daemon.stderr().slice(-1500)}`);
    const journalPath = path.join(dir, 'storage', 'sessions', `${started.sessionId}.jsonl`);
    const records = fs.readFileSync(journalPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as JournalRecord);
    assert.equal(records[records.length - 1].type, 'end', 'the journal was closed with an end record');
    const segments = records.filter((r) => r.type === 'segment');
    assert.ok(segments.length >= 1, 'the utterance in progress was flushed as a final');
    for (const s of segments) if (s.type === 'segment') assert.match(s.text, HELLO_WORDS);
    assert.ok(fs.existsSync(started.notesPath), 'the notes were written');
    assert.match(fs.readFileSync(started.notesPath, 'utf8'), /## Transcript\n\n- \*\*\[00:00\]/);
  });
});
