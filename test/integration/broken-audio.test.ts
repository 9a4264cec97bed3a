/**
 * Broken audio files, through the real daemon (JSON-RPC) and the CLI: truncated and wrong headers, bytes that are not
 * audio, absurd sample rates and channel counts, audio data missing, sizes that promise far more than the file holds,
 * things that are not files at all (a folder, a named pipe nobody writes to). Each is refused with AudioUnreadable
 * saying what is wrong — never a crash, never a hang — and nothing is written (no journal, no notes). Files that are odd
 * but hold audio (cut short, huge declared sizes, a large chunk before the audio) are transcribed as far as they go.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CACHE_FILE as GPUS_CACHE_FILE } from '../../daemon/models/gpus';
import { ErrorCodes, PROTOCOL_VERSION, SessionStart } from '../../protocol/protocol';
import { miniModel, SAMPLE_WAV } from '../setup';
import { connectDaemon, rejection, RpcClient, runEarshot } from './daemon-process';

/** 16 kHz mono 16-bit PCM of the sample recording (its canonical 44-byte header skipped): speech from 0.5 s. */
const SPEECH = fs.readFileSync(SAMPLE_WAV).subarray(44);
const seconds = (s: number) => SPEECH.subarray(0, Math.round(s * 16000) * 2);

function chunk(id: string, body: Buffer, declared = body.length): Buffer {
  const header = Buffer.alloc(8);
  header.write(id, 0, 'latin1');
  header.writeUInt32LE(declared, 4);
  return Buffer.concat([header, body, Buffer.alloc(body.length & 1)]);
}

function fmtBody(o: { tag?: number; channels?: number; rate?: number; bits?: number } = {}): Buffer {
  const { tag = 1, channels = 1, rate = 16000, bits = 16 } = o;
  const b = Buffer.alloc(16);
  b.writeUInt16LE(tag, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(rate >>> 0, 4);
  b.writeUInt32LE(((rate * channels * bits) / 8) >>> 0, 8);
  b.writeUInt16LE(((channels * bits) / 8) & 0xffff, 12);
  b.writeUInt16LE(bits, 14);
  return b;
}

function riff(chunks: Buffer[], magic = 'RIFF', form = 'WAVE'): Buffer {
  const body = Buffer.concat([Buffer.from(form, 'latin1'), ...chunks]);
  const header = Buffer.alloc(8);
  header.write(magic, 0, 'latin1');
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Bytes from a fixed PRNG: the same "random" file on every run. */
function noise(n: number): Buffer {
  const out = Buffer.alloc(n);
  let x = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const valid = riff([chunk('fmt ', fmtBody()), chunk('data', seconds(8))]);

/** Files that must be refused, with what the message must say. */
const REFUSED: { name: string; bytes: () => Buffer; why: RegExp }[] = [
  { name: 'empty.wav', bytes: () => Buffer.alloc(0), why: /the file is empty/ },
  { name: 'cut-in-riff-header.wav', bytes: () => valid.subarray(0, 10), why: /not a WAV file/ },
  { name: 'cut-in-fmt.wav', bytes: () => valid.subarray(0, 28), why: /the fmt chunk is too short/ },
  { name: 'cut-before-data.wav', bytes: () => valid.subarray(0, 36), why: /no data chunk/ },
  { name: 'rifx-big-endian.wav', bytes: () => riff([chunk('fmt ', fmtBody()), chunk('data', seconds(1))], 'RIFX'), why: /big-endian \(RIFX\)/ },
  { name: 'rf64.wav', bytes: () => riff([chunk('fmt ', fmtBody()), chunk('data', seconds(1))], 'RF64'), why: /RF64 \(64-bit size\)/ },
  { name: 'avi-not-wave.wav', bytes: () => riff([chunk('avih', Buffer.alloc(56))], 'RIFF', 'AVI '), why: /not a WAV file \(no RIFF\/WAVE header\)/ },
  { name: 'random-bytes.wav', bytes: () => noise(65536), why: /not a WAV file/ },
  { name: 'png-image.wav', bytes: () => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), noise(1000)]), why: /not a WAV file/ },
  { name: 'rate-0.wav', bytes: () => riff([chunk('fmt ', fmtBody({ rate: 0 })), chunk('data', seconds(1))]), why: /unsupported sample rate 0 Hz \(expected 1000–384000\)/ },
  { name: 'rate-1.wav', bytes: () => riff([chunk('fmt ', fmtBody({ rate: 1 })), chunk('data', seconds(1))]), why: /unsupported sample rate 1 Hz/ },
  { name: 'rate-4ghz.wav', bytes: () => riff([chunk('fmt ', fmtBody({ rate: 4_000_000_000 })), chunk('data', seconds(1))]), why: /unsupported sample rate 4000000000 Hz/ },
  { name: 'channels-0.wav', bytes: () => riff([chunk('fmt ', fmtBody({ channels: 0 })), chunk('data', seconds(1))]), why: /unsupported channel count 0/ },
  { name: 'channels-65535.wav', bytes: () => riff([chunk('fmt ', fmtBody({ channels: 65535 })), chunk('data', seconds(1))]), why: /unsupported channel count 65535/ },
  { name: 'bits-0.wav', bytes: () => riff([chunk('fmt ', fmtBody({ bits: 0 })), chunk('data', seconds(1))]), why: /unsupported PCM sample size 0 bits/ },
  { name: 'float-16bit.wav', bytes: () => riff([chunk('fmt ', fmtBody({ tag: 3, bits: 16 })), chunk('data', seconds(1))]), why: /unsupported float sample size 16 bits/ },
  { name: 'mp3-in-wav.wav', bytes: () => riff([chunk('fmt ', fmtBody({ tag: 0x55 })), chunk('data', noise(4000))]), why: /unsupported encoding \(format tag 85\)/ },
  { name: 'data-before-fmt.wav', bytes: () => riff([chunk('data', seconds(1)), chunk('fmt ', fmtBody())]), why: /data chunk comes before any fmt chunk/ },
  {
    name: 'no-audio-after-header.wav',
    bytes: () => riff([chunk('fmt ', fmtBody()), chunk('data', Buffer.alloc(0), 192_000)]),
    why: /the file ends where its audio should start: the data chunk declares 192000 bytes and none are present/,
  },
  {
    name: 'huge-fmt-size.wav',
    bytes: () => riff([chunk('fmt ', fmtBody(), 0xfffffff0), chunk('data', seconds(1))]),
    why: /no data chunk \(the "fmt " chunk at byte 12 declares 4294967280 bytes, past the end of the file\)/,
  },
  {
    name: 'huge-list-size.wav',
    bytes: () => riff([chunk('fmt ', fmtBody()), chunk('LIST', Buffer.from('INFOISFT'), 0x7fffffff), chunk('data', seconds(1))]),
    why: /no data chunk \(the "LIST" chunk at byte 36 declares 2147483647 bytes, past the end of the file\)/,
  },
  { name: 'chunk-storm.wav', bytes: () => riff([chunk('fmt ', fmtBody()), ...Array.from({ length: 10_001 }, () => chunk('junk', Buffer.alloc(0)))]), why: /no audio data in the first 10000 chunks/ },
];

/** Odd files that hold audio: transcribed as far as they go. */
const READABLE: { name: string; bytes: () => Buffer; note: string }[] = [
  { name: 'cut-mid-sample.wav', bytes: () => valid.subarray(0, valid.length - 16001), note: 'header declares 8 s, the file ends half a sample into 7.5 s' },
  { name: 'declares-4gb.wav', bytes: () => riff([chunk('fmt ', fmtBody()), chunk('data', seconds(8), 0xfffffff0)]), note: 'data declares 4 GB, 8 s present' },
  {
    name: 'big-chunk-before-data.wav',
    bytes: () => riff([chunk('fmt ', fmtBody()), chunk('JUNK', Buffer.alloc(2 * 1024 * 1024)), chunk('data', seconds(8))]),
    note: 'a 2 MB JUNK chunk before the audio (past where a fixed-size header scan would stop)',
  },
];

describe('broken audio files: refused clearly through the daemon and the CLI, never a crash or a hang', function () {
  this.timeout(120_000);
  let dir: string;
  let client: RpcClient;
  const storage = () => path.join(dir, 'storage');
  const notesDir = () => path.join(dir, 'notes');
  const filesUnder = (d: string): string[] => (fs.existsSync(d) ? fs.readdirSync(d, { recursive: true }).map(String).filter((f) => fs.statSync(path.join(d, f)).isFile()) : []);

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-broken-audio-'));
    fs.mkdirSync(path.join(dir, 'audio'));
    for (const f of [...REFUSED, ...READABLE]) fs.writeFileSync(path.join(dir, 'audio', f.name), f.bytes());
    fs.mkdirSync(path.join(dir, 'audio', 'a-folder.wav'));
    execFileSync('mkfifo', [path.join(dir, 'audio', 'named-pipe.wav')]);
    client = connectDaemon();
    await client.initialize({ protocolVersion: PROTOCOL_VERSION, storageDir: storage(), notesDir: notesDir(), modelPath: miniModel(), threads: 1 });
  });

  after(async () => {
    const code = await client.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0, `the daemon exited ${code}: ${client.daemon.stderr().slice(-2000)}`);
  });

  const audio = (name: string) => path.join(dir, 'audio', name);
  const quote = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  for (const { name, why } of [
    ...REFUSED,
    { name: 'a-folder.wav', why: /it is a folder, not an audio file/ },
    { name: 'named-pipe.wav', why: /not a regular file \(a named pipe, socket or device cannot be transcribed\)/ },
    { name: 'missing.wav', why: /no such file/ },
  ]) {
    it(`daemon: ${name} → AudioUnreadable saying why`, async () => {
      for (const pace of ['fast', 'realtime'] as const) {
        const error = await rejection(client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: audio(name), pace }));
        assert.equal(error.code, ErrorCodes.AudioUnreadable, error.message);
        assert.match(error.message, new RegExp(`^Cannot read audio file ${quote(audio(name))}: `));
        assert.match(error.message, why);
      }
      // The GPUs found at the daemon's start are kept there (daemon/models/gpus.ts); the refused file adds nothing.
      assert.deepEqual(filesUnder(storage()).filter((f) => f !== GPUS_CACHE_FILE), [], 'no journal (nor anything else) was written');
      assert.deepEqual(filesUnder(notesDir()), [], 'no notes were written');
    });
  }

  it('daemon: still serves after every refusal, and odd files that hold audio are transcribed as far as they go', async () => {
    for (const { name, note } of READABLE) {
      const { sessionId } = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: audio(name), pace: 'fast' });
      const done = await client.sessionDone(sessionId);
      assert.equal(done.error, undefined, `${name} (${note}): ${done.error}`);
      const finals = client.transcripts.filter((t) => t.sessionId === sessionId && t.final && t.text);
      assert.ok(finals.length >= 1, `${name} (${note}): no final`);
      assert.ok(finals.every((f) => f.t1 <= 8 + 1e-6), `${name}: a final past the audio present`);
    }
  });

  it('daemon: a header promising audio followed by bytes that are not audio is just noise: done, no crash', async () => {
    const file = audio('noise-as-pcm.wav');
    fs.writeFileSync(file, riff([chunk('fmt ', fmtBody()), chunk('data', noise(16000 * 2 * 6))]));
    const { sessionId } = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: file, pace: 'fast' });
    const done = await client.sessionDone(sessionId);
    assert.equal(done.error, undefined, done.error);
  });

  for (const [name, why] of [
    ['rate-4ghz.wav', /unsupported sample rate 4000000000 Hz/],
    ['channels-0.wav', /unsupported channel count 0/],
    ['no-audio-after-header.wav', /the file ends where its audio should start/],
    ['huge-list-size.wav', /past the end of the file/],
    ['a-folder.wav', /it is a folder/],
    ['named-pipe.wav', /not a regular file/],
  ] as const) {
    it(`CLI: earshot transcribe ${name} → exit 1 with the reason, nothing written`, async () => {
      const cliNotes = path.join(dir, 'cli-notes'), cliStorage = path.join(dir, 'cli-storage');
      const run = await runEarshot(['transcribe', audio(name), '--model', miniModel(), '--json', '--threads', '1', '--notes-dir', cliNotes], { EARSHOT_STORAGE: cliStorage });
      assert.equal(run.code, 1, run.stderr);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, new RegExp(`^earshot: Cannot read audio file ${quote(audio(name))}: `, 'm'));
      assert.match(run.stderr, why);
      assert.deepEqual(filesUnder(cliNotes), []);
      assert.deepEqual(filesUnder(path.join(cliStorage, 'sessions')), []);
    });
  }

  it('CLI: a file that declares 4 GB but holds 8 s is transcribed (exit 0)', async () => {
    const run = await runEarshot(['transcribe', audio('declares-4gb.wav'), '--model', miniModel(), '--json', '--threads', '1', '--notes-dir', path.join(dir, 'cli-notes-ok')],
      { EARSHOT_STORAGE: path.join(dir, 'cli-storage-ok') });
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { t1: number; text: string });
    assert.ok(lines.length >= 1 && lines.every((l) => l.t1 <= 8 + 1e-6 && /hello/.test(l.text)), run.stdout);
  });
});
