/**
 * Privacy, over JSON-RPC with the real daemon process, real whisper (a generated model that says "Alice, can you fix
 * auth.ts by Friday?") and real Silero VAD on the committed sample:
 * - no audio reaches the disk unless the debug dump is on (storage, notes and the daemon's TMPDIR are scanned), and
 *   with it on the dump is a WAV that decodes to what was captured;
 * - at the default log level nothing the daemon writes (window/logMessage, stderr) holds transcript text; at 'debug'
 *   it does (so the search can see it);
 * - earshot/data/delete deletes journals, caches, debug audio and (optionally) models, never notes, never through a
 *   symbolic link, and is refused while a session records;
 * - earshot.retention.days (initializationOptions.retentionDays) prunes old journals and debug audio at startup.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DataDelete, DataDeleteResult, ErrorCodes, HealthRequest, PROTOCOL_VERSION, SessionStart, SessionStatus, SessionStop,
} from '../../protocol/protocol';
import { CACHE_FILE as GPUS_CACHE_FILE } from '../../daemon/models/gpus';
import { decodeToMono, readWavFormat } from '../../daemon/capture/wav';
import { MEETING_SENTENCE_TOKENS, SAMPLE_WAV, samplePcm, sayingModel, sentenceText } from '../setup';
import { connectDaemon, rejection, RpcClient } from './daemon-process';

const SENTENCE = sentenceText(MEETING_SENTENCE_TOKENS);
/** Words of the sentence that appear nowhere else in what the daemon logs. */
const PRIVATE_WORDS = [SENTENCE, 'Alice', 'Friday', 'fix auth'];

interface Dirs { base: string; storage: string; notes: string; tmp: string }

function makeDirs(prefix: string): Dirs {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), `earshot-privacy-${prefix}-`));
  const dirs = { base, storage: path.join(base, 'storage'), notes: path.join(base, 'notes'), tmp: path.join(base, 'tmp') };
  fs.mkdirSync(dirs.tmp);
  return dirs;
}

/** Every file under `dir` (links as links), with its size. */
function walk(dir: string): { file: string; size: number }[] {
  if (!fs.existsSync(dir)) return [];
  const out: { file: string; size: number }[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(file));
    else out.push({ file, size: fs.lstatSync(file).size });
  }
  return out;
}

/**
 * onnxruntime-node 1.30 (Silero VAD) carries Microsoft's 1DS telemetry SDK, which writes `<TMPDIR>/.ses` (its first
 * launch time and a random id) and an empty `mat-debug-<pid>.log` when an inference session is created (strace shows
 * no network traffic from it). Neither holds audio or text: allowed here, by shape.
 */
function isOnnxRuntimeTelemetryFile(tmp: string, file: string): boolean {
  if (path.dirname(file) !== tmp) return false;
  const name = path.basename(file);
  if (name === '.ses') return /^\d{10,16}\n[0-9a-f-]{36}\n?$/.test(fs.readFileSync(file, 'latin1'));
  return /^mat-debug-\d+\.log$/.test(name) && fs.statSync(file).size === 0;
}

interface Run {
  client: RpcClient;
  sessionId: string;
  notesPath: string;
  /** Everything the daemon wrote: its window/logMessage lines and its stderr. */
  written: string;
}

/** A daemon over JSON-RPC (TMPDIR a fresh folder) that transcribes the sample with the saying model, to the end. */
async function runSession(dirs: Dirs, options: { logLevel?: string; init?: Record<string, unknown> } = {}): Promise<Run> {
  const client = connectDaemon({ TMPDIR: dirs.tmp, TMP: dirs.tmp, TEMP: dirs.tmp, EARSHOT_LOG_LEVEL: options.logLevel ?? '' });
  try {
    await client.initialize({
      protocolVersion: PROTOCOL_VERSION, storageDir: dirs.storage, notesDir: dirs.notes, modelPath: sayingModel('meeting', MEETING_SENTENCE_TOKENS), threads: 1,
      ...options.init,
    });
    const started = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast', title: 'Standup' });
    await client.sessionDone(started.sessionId);
    const finals = client.transcripts.filter((t) => t.final && t.text);
    assert.ok(finals.length >= 3, `the session transcribed the sample (${finals.length} finals)`);
    for (const f of finals) assert.equal(f.text, SENTENCE, 'every final says the sentence: there are real words to look for');
    await client.dispose();
    return { client, sessionId: started.sessionId, notesPath: started.notesPath, written: `${client.logs.join('\n')}\n${client.daemon.stderr()}` };
  } catch (e) {
    await client.dispose();
    throw e;
  }
}

describe('privacy: no audio on disk by default, no transcript in logs, Delete All Data, retention (real daemon)', function () {
  this.timeout(180_000);
  const made: Dirs[] = [];
  const dirs = (prefix: string) => {
    const d = makeDirs(prefix);
    made.push(d);
    return d;
  };
  after(() => { for (const d of made) fs.rmSync(d.base, { recursive: true, force: true }); });

  it('by default a session writes no audio anywhere (storage, notes, TMPDIR), and the default log level logs no transcript text', async () => {
    const d = dirs('default');
    const run = await runSession(d);

    // What a session may leave: its journal, its notes. Anything else is reported.
    const files = [...walk(d.storage), ...walk(d.notes), ...walk(d.tmp)];
    const unexpected = files.filter(({ file }) => !(
      file === path.join(d.storage, 'sessions', `${run.sessionId}.jsonl`)
      || (path.dirname(file) === d.notes && file.endsWith('.md'))
      || /token/i.test(path.basename(file))
      || isOnnxRuntimeTelemetryFile(d.tmp, file)
      // The GPUs model selection found, kept for a day (daemon/models/gpus.ts): device names, nothing of the meeting
      // (its size and WAV header are checked below like every file's).
      || file === path.join(d.storage, GPUS_CACHE_FILE)
    ));
    assert.deepEqual(unexpected, [], 'no files other than the journal, notes and tokens');
    assert.ok(files.some((f) => f.file === run.notesPath), 'the notes were written');
    assert.ok(!fs.existsSync(path.join(d.storage, 'debug-audio')), 'no debug audio folder');

    // Nor anything the size of the audio: 16-bit or float samples of the 30 s, or the file itself.
    const fmt = await readWavFormat(SAMPLE_WAV);
    const samples = Math.round(fmt.durationSec * 16000);
    const audioSizes = [samples * 2, samples * 4, fs.statSync(SAMPLE_WAV).size];
    for (const { file, size } of files) {
      for (const audio of audioSizes) assert.ok(Math.abs(size - audio) > audio * 0.2, `${file} (${size} bytes) is about the size of the audio (${audio} bytes)`);
      const head = Buffer.alloc(4);
      const fd = fs.openSync(file, 'r');
      fs.readSync(fd, head, 0, 4, 0);
      fs.closeSync(fd);
      assert.notEqual(head.toString('latin1'), 'RIFF', `${file} is a WAV file`);
    }

    // Logs: session events were logged (the search has something to search), but no words of the transcript.
    assert.match(run.written, /"event":"started"/);
    assert.match(run.written, new RegExp(`"sessionId":"${run.sessionId}"`));
    for (const words of PRIVATE_WORDS) assert.ok(!run.written.includes(words), `the daemon wrote ${JSON.stringify(words)} at the default log level`);
  });

  it('with debugSaveAudio the session\'s audio is in <storage>/debug-audio/<id>-<source>.wav and decodes to what was captured; at debug level the logs hold the text', async () => {
    const d = dirs('dump');
    const run = await runSession(d, { logLevel: 'debug', init: { debugSaveAudio: true } });
    const dump = path.join(d.storage, 'debug-audio', `${run.sessionId}-file.wav`);
    assert.deepEqual(fs.readdirSync(path.join(d.storage, 'debug-audio')), [path.basename(dump)]);
    const fmt = await readWavFormat(dump);
    assert.deepEqual([fmt.sampleRate, fmt.channels, fmt.bitsPerSample, fmt.encoding, fmt.truncated], [16000, 1, 16, 'int', false]);
    const original = await samplePcm();
    const dumped = decodeToMono(fs.readFileSync(dump).subarray(fmt.dataOffset, fmt.dataOffset + fmt.dataBytes), fmt);
    assert.equal(dumped.length, original.length, 'every sample was written, on the capture clock');
    let maxDiff = 0;
    for (let i = 0; i < original.length; i++) maxDiff = Math.max(maxDiff, Math.abs(dumped[i] - original[i]));
    assert.ok(maxDiff < 1e-3, `the dump is the captured audio (max difference ${maxDiff})`);

    // The same search as at the default level finds the words here: it would have seen them there.
    assert.ok(run.written.includes(SENTENCE), 'at debug level the transcript text is logged');
    assert.match(run.written, /"event":"final"/);
  });

  it('earshot/data/delete deletes journals, debug audio and catalog models, keeps notes and what links point to, and is refused while a session records', async () => {
    const d = dirs('delete');
    const run = await runSession(d, { init: { debugSaveAudio: true } });
    const journal = path.join(d.storage, 'sessions', `${run.sessionId}.jsonl`);
    const dump = path.join(d.storage, 'debug-audio', `${run.sessionId}-file.wav`);
    const journalBytes = fs.statSync(journal).size, dumpBytes = fs.statSync(dump).size;

    // A per-session cache, catalog models (one partly downloaded, one verified), a model of the user's own.
    const models = path.join(d.storage, 'models');
    fs.mkdirSync(path.join(d.storage, 'sessions', `${run.sessionId}.cache`), { recursive: true });
    fs.writeFileSync(path.join(d.storage, 'sessions', `${run.sessionId}.cache`, 'index.json'), '{}');
    fs.mkdirSync(models, { recursive: true });
    fs.writeFileSync(path.join(models, 'ggml-tiny.en.bin'), Buffer.alloc(1000));
    fs.writeFileSync(path.join(models, 'ggml-tiny.en.bin.verified.json'), '{}');
    fs.writeFileSync(path.join(models, 'ggml-base.en.bin.part'), Buffer.alloc(500));
    fs.writeFileSync(path.join(models, 'my-own-model.bin'), Buffer.alloc(10));
    // A system prompt a notes model kept read (understanding/local/systemPromptState.ts).
    const promptState = path.join(models, 'notes', 'state');
    fs.mkdirSync(promptState, { recursive: true });
    fs.writeFileSync(path.join(promptState, 'extract-0123456789abcdef0123456789abcdef.state'), Buffer.alloc(200));
    // Links pointing out of the storage folder: a file, a folder, and a catalog model's name.
    const outside = path.join(d.base, 'outside');
    fs.mkdirSync(path.join(outside, 'folder'), { recursive: true });
    fs.writeFileSync(path.join(outside, 'precious.txt'), 'keep me');
    fs.writeFileSync(path.join(outside, 'folder', 'precious.jsonl'), 'keep me too');
    fs.writeFileSync(path.join(outside, 'ggml-small.en.bin'), 'a model elsewhere');
    fs.symlinkSync(path.join(outside, 'precious.txt'), path.join(d.storage, 'sessions', 'linked-file.txt'));
    fs.symlinkSync(path.join(outside, 'folder'), path.join(d.storage, 'debug-audio', 'linked-folder'));
    fs.symlinkSync(path.join(outside, 'ggml-small.en.bin'), path.join(models, 'ggml-small.en.bin'));
    const outsideBefore = walk(outside);

    const client = connectDaemon({ TMPDIR: d.tmp });
    try {
      await client.initialize({ protocolVersion: PROTOCOL_VERSION, storageDir: d.storage, notesDir: d.notes, modelPath: sayingModel('meeting', MEETING_SENTENCE_TOKENS), threads: 1 });

      // While a session records: refused, nothing deleted.
      // The notes folder can be given per session (the extension does: the workspace once it is trusted); absolute only.
      const relative = await rejection(client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, notesDir: 'notes' }));
      assert.equal(relative.code, ErrorCodes.InvalidParams);
      assert.match(relative.message, /notesDir must be an absolute path/);
      const perSession = path.join(d.base, 'trusted-workspace', '.earshot', 'notes');
      const started = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'realtime', notesDir: perSession });
      assert.equal(path.dirname(started.notesPath), perSession);
      const refused = await rejection(client.connection.sendRequest(DataDelete, { includeModels: true }));
      assert.equal(refused.code, ErrorCodes.SessionAlreadyRunning);
      assert.match(refused.message, /stop it before deleting/);
      assert.ok(fs.existsSync(journal) && fs.existsSync(path.join(models, 'ggml-tiny.en.bin')), 'nothing was deleted');
      await client.connection.sendRequest(SessionStop, { sessionId: started.sessionId });
      const second = path.join(d.storage, 'sessions', `${started.sessionId}.jsonl`);
      assert.ok(fs.existsSync(second));

      // Without models first, then with.
      const kept = await client.connection.sendRequest(DataDelete, { includeModels: false });
      assert.equal(kept.journals.files, 2, JSON.stringify(kept));
      assert.ok(kept.journals.bytes >= journalBytes);
      assert.equal(kept.debugAudio.files, 2, 'the dump and the link (removed as a link)');
      assert.ok(kept.debugAudio.bytes >= dumpBytes);
      assert.deepEqual(kept.models, { files: 0, bytes: 0 });
      assert.equal(kept.sessionCaches.files, 2, 'the cache file and the link to a file outside');
      assert.equal(kept.bytes, kept.journals.bytes + kept.sessionCaches.bytes + kept.debugAudio.bytes);
      assert.deepEqual(kept.linksNotFollowed.map((l) => [path.basename(l.path), l.target]).sort(), [
        ['linked-file.txt', path.join(outside, 'precious.txt')],
        ['linked-folder', path.join(outside, 'folder')],
      ]);
      assert.deepEqual(fs.readdirSync(path.join(d.storage, 'sessions')), []);
      assert.deepEqual(fs.readdirSync(path.join(d.storage, 'debug-audio')), []);
      assert.equal(fs.readdirSync(models).length, 6, 'models kept');
      assert.equal(fs.readdirSync(promptState).length, 1, 'the notes model\'s kept prompt too');

      const all: DataDeleteResult = await client.connection.sendRequest(DataDelete, { includeModels: true });
      assert.deepEqual(all.models, { files: 5, bytes: 1000 + 2 + 500 + 200 }, JSON.stringify(all));
      assert.deepEqual(fs.readdirSync(models).sort(), ['my-own-model.bin', 'notes'], 'only catalog files are deleted from the cache');
      assert.deepEqual(fs.readdirSync(promptState), [], 'and the prompts the notes models kept');
      assert.deepEqual(all.linksNotFollowed.map((l) => path.basename(l.path)), ['ggml-small.en.bin']);

      // Notes are the user's; what links pointed to is untouched; the daemon still works.
      assert.ok(fs.existsSync(run.notesPath) && fs.existsSync(started.notesPath), 'notes kept');
      assert.deepEqual(walk(outside), outsideBefore, 'nothing outside the storage folder changed');
      assert.equal((await client.connection.sendRequest(SessionStatus, {})).state, 'idle', 'finished sessions are forgotten with their journals');
      const health = await client.connection.sendRequest(HealthRequest, {});
      assert.equal(health.sources.length, 0);
    } finally {
      await client.dispose();
    }
  });

  it('keeps a session another window\'s daemon is recording in the shared storage, whole, and says so', async () => {
    const d = dirs('windows');
    const init = { protocolVersion: PROTOCOL_VERSION, storageDir: d.storage, notesDir: d.notes, modelPath: sayingModel('meeting', MEETING_SENTENCE_TOKENS), threads: 1, debugSaveAudio: true };
    const windowA = connectDaemon({ TMPDIR: d.tmp });
    const windowB = connectDaemon({ TMPDIR: d.tmp });
    try {
      await windowA.initialize(init);
      await windowB.initialize(init);
      const mine = await windowA.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast' });
      await windowA.sessionDone(mine.sessionId);
      const theirs = await windowB.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'realtime' });
      await windowB.waitFor('window B to record', () => windowB.transcripts.some((t) => t.sessionId === theirs.sessionId));

      const result = await windowA.connection.sendRequest(DataDelete, { includeModels: false });
      assert.equal(result.journals.files, 1, 'only window A\'s journal');
      assert.equal(result.debugAudio.files, 1, 'only window A\'s audio');
      assert.deepEqual(result.kept.map((k) => k.path), [path.join(d.storage, 'sessions', `${theirs.sessionId}.jsonl`)]);
      assert.match(result.kept[0].reason, /open in another Earshot window \(daemon pid \d+\)/);
      assert.deepEqual(fs.readdirSync(path.join(d.storage, 'sessions')).sort(), [`${theirs.sessionId}.jsonl`, `${theirs.sessionId}.lock`]);
      assert.deepEqual(fs.readdirSync(path.join(d.storage, 'debug-audio')), [`${theirs.sessionId}-file.wav`]);

      // Window B's session goes on to a proper end.
      const stopped = await windowB.connection.sendRequest(SessionStop, { sessionId: theirs.sessionId });
      assert.ok(stopped.segments.length >= 1);
      assert.ok(fs.existsSync(stopped.notesPath));
    } finally {
      await windowA.dispose();
      await windowB.dispose();
    }
  });

  it('a model cache outside the storage folder is reported and kept; the storage folder itself may be a link', async () => {
    const d = dirs('cache');
    const realStorage = path.join(d.base, 'real-storage');
    fs.mkdirSync(path.join(realStorage, 'sessions'), { recursive: true });
    fs.writeFileSync(path.join(realStorage, 'sessions', '20240101T000000-abcdef.jsonl'), '{}\n');
    fs.symlinkSync(realStorage, d.storage);
    const cache = path.join(d.base, 'cache');
    fs.mkdirSync(cache);
    fs.writeFileSync(path.join(cache, 'ggml-tiny.en.bin'), 'x');
    const client = connectDaemon({ TMPDIR: d.tmp });
    try {
      await client.initialize({ protocolVersion: PROTOCOL_VERSION, storageDir: d.storage, notesDir: d.notes, modelCacheDir: cache, modelId: 'tiny.en', threads: 1 });
      const result = await client.connection.sendRequest(DataDelete, { includeModels: true });
      assert.equal(result.journals.files, 1);
      assert.deepEqual(result.models, { files: 0, bytes: 0 });
      assert.equal(result.kept.length, 1);
      assert.equal(result.kept[0].path, cache);
      assert.match(result.kept[0].reason, /outside Earshot's storage folder/);
      assert.ok(fs.existsSync(path.join(cache, 'ggml-tiny.en.bin')));
      assert.deepEqual(fs.readdirSync(path.join(realStorage, 'sessions')), []);
    } finally {
      await client.dispose();
    }
  });

  it('retentionDays prunes old journals and debug audio at startup, keeps recent ones, notes and models; without it nothing is pruned', async () => {
    const d = dirs('retention');
    const sessions = path.join(d.storage, 'sessions'), audio = path.join(d.storage, 'debug-audio'), models = path.join(d.storage, 'models');
    for (const dir of [sessions, audio, models, d.notes]) fs.mkdirSync(dir, { recursive: true });
    const old = '20200101T090000-abcdef';
    const recentDate = new Date(Date.now() - 86_400_000);
    const recent = `${recentDate.toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-012345`;
    const files = {
      oldJournal: path.join(sessions, `${old}.jsonl`), oldAudio: path.join(audio, `${old}-mic.wav`),
      recentJournal: path.join(sessions, `${recent}.jsonl`), recentAudio: path.join(audio, `${recent}-mic.wav`),
      oldNotes: path.join(d.notes, '2020-01-01 Standup.md'), oldModel: path.join(models, 'ggml-tiny.en.bin'),
    };
    const longAgo = new Date('2020-01-02T00:00:00Z');
    for (const file of Object.values(files)) {
      fs.writeFileSync(file, 'x');
      if (!file.includes(recent)) fs.utimesSync(file, longAgo, longAgo);
    }
    const init = { protocolVersion: PROTOCOL_VERSION, storageDir: d.storage, notesDir: d.notes, modelPath: sayingModel('meeting', MEETING_SENTENCE_TOKENS), threads: 1 };

    // Without a retention period: kept (nothing runs at all, so one round trip is enough to know).
    let client = connectDaemon({ TMPDIR: d.tmp });
    try {
      await client.initialize(init);
      await client.connection.sendRequest(SessionStatus, {});
      for (const file of Object.values(files)) assert.ok(fs.existsSync(file), `${file} kept without retention`);
    } finally {
      await client.dispose();
    }

    client = connectDaemon({ TMPDIR: d.tmp });
    try {
      await client.initialize({ ...init, retentionDays: 30 });
      await client.waitFor('the old journal and audio to be pruned', () => !fs.existsSync(files.oldJournal) && !fs.existsSync(files.oldAudio));
      await client.waitFor('the retention log line', () => client.logs.find((l) => l.includes('"event":"retention"')));
      for (const file of [files.recentJournal, files.recentAudio, files.oldNotes, files.oldModel]) assert.ok(fs.existsSync(file), `${file} kept`);
      const line = JSON.parse(client.logs.find((l) => l.includes('"event":"retention"'))!);
      assert.equal(line.deleted, 2);
    } finally {
      await client.dispose();
    }
  });
});
