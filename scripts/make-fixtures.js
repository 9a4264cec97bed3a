#!/usr/bin/env node
// Writes the WAV fixtures for the audio decoder tests into a directory
// (default test/fixtures/generated/, git-ignored) and prints a JSON manifest.
//
// Why generated, not committed: dozens of MB of variants of one recording.
// They are cut from the committed sample media/sample/standup.wav (see
// scripts/make-sample.sh), converted with sox in repeatable mode (-R) without
// dither (-D), so every run writes byte-identical files. The malformed files
// are built byte by byte here, because no audio tool writes them on purpose.
//
// Usage: node scripts/make-fixtures.js [OUT_DIR]
// From tests: const { makeFixtures } = require('../scripts/make-fixtures.js');
//             const manifest = makeFixtures(dir);   // synchronous
// Manifest entries: { file, rate, channels, bits, format, container, frames,
//   expectedDuration (s), expectError, speech? [{ start, end }] (s), note? }.
// format: pcm-s16le | pcm-s24le | pcm-s32le | pcm-u8 | float32le | null.
// container: "plain" (fmt tag 1 or 3), "extensible" (fmt tag 0xFFFE), or null.
// Needs sox (apt-get install sox; scripts/make-sample.sh installs it).
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const REPO = path.resolve(__dirname, '..');
const SAMPLE = path.join(REPO, 'media', 'sample', 'standup.wav');
const SAMPLE_TURNS = path.join(REPO, 'media', 'sample', 'standup.json');
const DEFAULT_OUT = path.join(REPO, 'test', 'fixtures', 'generated');
const SAMPLE_RATE = 16000;
// Length of the excerpt used for the format variants: 6 s gives whole frame
// counts at every rate used here, and covers the first turn of the standup.
const EXCERPT_SECONDS = 6;
const PAD_SECONDS = 2;

function sox(args) {
  try {
    execFileSync('sox', ['-R', '-D', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    if (err.code === 'ENOENT') throw new Error('make-fixtures: sox not found (apt-get install sox)');
    throw new Error(`make-fixtures: sox ${args.join(' ')} failed: ${err.stderr || err.message}`);
  }
}

// Walks the RIFF chunks of a well-formed WAV we wrote ourselves.
function readChunks(buf) {
  const chunks = {};
  for (let off = 12; off + 8 <= buf.length;) {
    const id = buf.toString('latin1', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    chunks[id] = buf.subarray(off + 8, off + 8 + size);
    off += 8 + size + (size & 1);
  }
  return chunks;
}

function chunk(id, body) {
  const header = Buffer.alloc(8);
  header.write(id, 0, 'latin1');
  header.writeUInt32LE(body.length, 4);
  // RIFF chunks are word-aligned: an odd-sized body gets one pad byte that its size does not count.
  return Buffer.concat([header, body, Buffer.alloc(body.length & 1)]);
}

function riff(chunks) {
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), ...chunks]);
  const header = Buffer.alloc(8);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body]);
}

// Plain (16-byte) fmt chunk body.
function fmtBody({ tag = 1, channels, rate, bits }) {
  const b = Buffer.alloc(16);
  const align = channels * (bits / 8);
  b.writeUInt16LE(tag, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(rate, 4);
  b.writeUInt32LE(rate * align, 8);
  b.writeUInt16LE(align, 12);
  b.writeUInt16LE(bits, 14);
  return b;
}

// Each builder writes its file(s) and returns manifest entries. `ctx` holds
// the output dir and the work files shared between builders.
const out = (ctx, name) => path.join(ctx.dir, name);

// Format variants converted by sox from the 16 kHz excerpt.
const VARIANTS = [
  { file: 'pcm16-44k1-stereo.wav', rate: 44100, channels: 2, bits: 16, encoding: 'signed-integer', format: 'pcm-s16le', container: 'plain' },
  { file: 'pcm24-48k-mono.wav', rate: 48000, channels: 1, bits: 24, encoding: 'signed-integer', format: 'pcm-s24le', container: 'extensible' },
  { file: 'pcm32-22k05-mono.wav', rate: 22050, channels: 1, bits: 32, encoding: 'signed-integer', format: 'pcm-s32le', container: 'extensible' },
  { file: 'float32-48k-stereo.wav', rate: 48000, channels: 2, bits: 32, encoding: 'floating-point', format: 'float32le', container: 'plain' },
  { file: 'u8-8k-mono.wav', rate: 8000, channels: 1, bits: 8, encoding: 'unsigned-integer', format: 'pcm-u8', container: 'plain' },
];

function entry(v, frames, extra = {}) {
  return {
    file: v.file, rate: v.rate, channels: v.channels, bits: v.bits, format: v.format,
    container: v.container, frames, expectedDuration: frames / v.rate, expectError: false, ...extra,
  };
}

function buildReference(ctx) {
  const v = { file: 'pcm16-16k-mono.wav', rate: SAMPLE_RATE, channels: 1, bits: 16, format: 'pcm-s16le', container: 'plain' };
  sox([SAMPLE, '-b', '16', '-e', 'signed-integer', out(ctx, v.file), 'trim', '0', String(EXCERPT_SECONDS)]);
  ctx.reference = fs.readFileSync(out(ctx, v.file));
  ctx.referencePcm = readChunks(ctx.reference).data;
  return [entry(v, ctx.referencePcm.length / 2, { note: 'the excerpt every format variant is converted from' })];
}

function buildVariants(ctx) {
  return VARIANTS.map((v) => {
    sox([out(ctx, 'pcm16-16k-mono.wav'), '-b', String(v.bits), '-e', v.encoding, out(ctx, v.file),
      'rate', '-v', String(v.rate), 'channels', String(v.channels)]);
    return entry(v, EXCERPT_SECONDS * v.rate, v.channels === 2 ? { note: 'both channels carry the same signal' } : {});
  });
}

// 24-bit PCM again, but with the plain 16-byte fmt chunk (tag 1) that many
// writers use instead of sox's WAVE_FORMAT_EXTENSIBLE; same samples.
function buildPlain24(ctx) {
  const src = readChunks(fs.readFileSync(out(ctx, 'pcm24-48k-mono.wav')));
  const v = { file: 'pcm24-48k-mono-plainfmt.wav', rate: 48000, channels: 1, bits: 24, format: 'pcm-s24le', container: 'plain' };
  fs.writeFileSync(out(ctx, v.file), riff([chunk('fmt ', fmtBody(v)), chunk('data', src.data)]));
  return [entry(v, src.data.length / 3)];
}

// Speech with known boundaries for VAD / segmentation tests: Bob's turn of
// the standup (it holds the action item), with 2 s of digital silence around it.
function buildPaddedSpeech(ctx) {
  const turns = JSON.parse(fs.readFileSync(SAMPLE_TURNS, 'utf8'));
  const turn = turns.find((t) => /login timeout/.test(t.text)) || turns[0];
  const v = { file: 'speech-padded-16k.wav', rate: SAMPLE_RATE, channels: 1, bits: 16, format: 'pcm-s16le', container: 'plain' };
  sox([SAMPLE, '-b', '16', out(ctx, v.file), 'trim', `${turn.startSample}s`, `=${turn.endSample}s`,
    'pad', String(PAD_SECONDS), String(PAD_SECONDS)]);
  const speechFrames = turn.endSample - turn.startSample;
  const frames = speechFrames + 2 * PAD_SECONDS * SAMPLE_RATE;
  return [entry(v, frames, {
    speech: [{ start: PAD_SECONDS, end: PAD_SECONDS + speechFrames / SAMPLE_RATE }],
    text: turn.text,
    note: 'all-zero samples outside speech[]; speech starts and ends on non-zero samples',
  })];
}

// Chunks a reader must skip: a LIST/INFO chunk with an odd-sized string and a
// private odd-sized chunk, both before data, both followed by a pad byte.
function buildExtraChunks(ctx) {
  const v = { file: 'list-chunk-odd.wav', rate: SAMPLE_RATE, channels: 1, bits: 16, format: 'pcm-s16le', container: 'plain' };
  const isft = Buffer.from('Earshot fixture\0', 'latin1').subarray(0, 15); // 15 bytes: odd
  const list = Buffer.concat([Buffer.from('INFO', 'latin1'), chunk('ISFT', isft)]);
  const data = ctx.referencePcm.subarray(0, 2 * SAMPLE_RATE); // 1 s
  fs.writeFileSync(out(ctx, v.file), riff([
    chunk('fmt ', fmtBody(v)),
    chunk('LIST', list),
    chunk('odd ', Buffer.from('12345', 'latin1')),
    chunk('data', data),
  ]));
  return [entry(v, data.length / 2, { note: 'LIST(INFO/ISFT, 15 bytes + pad) and a 5-byte "odd " chunk + pad, before data' })];
}

function buildBrokenButReadable(ctx) {
  const entries = [];
  const base = { rate: SAMPLE_RATE, channels: 1, bits: 16, format: 'pcm-s16le', container: 'plain' };
  const header = ctx.reference.subarray(0, 44); // sox's canonical 44-byte header
  const pcm = ctx.referencePcm;

  // Recording cut off mid-write (a crash): the header declares all 6 s, only
  // the first 2.5 s are present, and the file ends mid-sample.
  const present = 2.5 * SAMPLE_RATE * 2 + 1;
  fs.writeFileSync(out(ctx, 'truncated.wav'), Buffer.concat([header, pcm.subarray(0, present)]));
  entries.push(entry({ ...base, file: 'truncated.wav' }, Math.floor(present / 2), {
    note: `data chunk declares ${pcm.length} bytes, ${present} present (odd: half a sample at the end); ` +
      'a lenient reader decodes the whole samples present, a strict one reports an error',
  }));

  // Written to a pipe by a streaming recorder: the sizes are unknown, set to 0xFFFFFFFF.
  const streamed = Buffer.from(header);
  streamed.writeUInt32LE(0xffffffff, 4);
  streamed.writeUInt32LE(0xffffffff, 40);
  fs.writeFileSync(out(ctx, 'streamed-size-ffffffff.wav'), Buffer.concat([streamed, pcm]));
  entries.push(entry({ ...base, file: 'streamed-size-ffffffff.wav' }, pcm.length / 2, {
    note: 'RIFF and data sizes 0xFFFFFFFF (unknown length): read data to end of file',
  }));

  // A valid WAV with no samples at all (whisper.cpp must never be fed 0 samples).
  fs.writeFileSync(out(ctx, 'zero-samples.wav'), riff([chunk('fmt ', fmtBody(base)), chunk('data', Buffer.alloc(0))]));
  entries.push(entry({ ...base, file: 'zero-samples.wav' }, 0, { note: 'valid header, empty data chunk' }));
  return entries;
}

function invalid(file, note) {
  return { file, rate: null, channels: null, bits: null, format: null, container: null, frames: null, expectedDuration: null, expectError: true, note };
}

function buildInvalid(ctx) {
  // RIFF/WAVE and a fmt chunk of the right size, but nonsense inside it.
  const fmt = Buffer.alloc(16);
  fmt.writeUInt16LE(0x1234, 0); // unknown format tag
  fmt.writeUInt16LE(0, 2); // 0 channels
  fmt.writeUInt32LE(0, 4); // 0 Hz
  fmt.writeUInt32LE(0xdeadbeef, 8);
  fmt.writeUInt16LE(7, 12);
  fmt.writeUInt16LE(13, 14); // 13 bits
  fs.writeFileSync(out(ctx, 'garbage-fmt.wav'), riff([chunk('fmt ', fmt), chunk('data', ctx.referencePcm.subarray(0, 3200))]));

  fs.writeFileSync(out(ctx, 'not-audio.wav'), 'This is a text file with a .wav extension, not audio.\n'.repeat(20));

  // Bytes from a fixed PRNG, so the "random" file is the same on every run.
  const noise = Buffer.alloc(4096);
  let x = 0x2545f491;
  for (let i = 0; i < noise.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    noise[i] = x & 0xff;
  }
  fs.writeFileSync(out(ctx, 'random-bytes.wav'), noise);

  fs.writeFileSync(out(ctx, 'empty.wav'), Buffer.alloc(0));

  // Just the first 20 bytes of a header: RIFF/WAVE, then a fmt chunk cut short.
  fs.writeFileSync(out(ctx, 'header-only.wav'), ctx.reference.subarray(0, 20));

  return [
    invalid('garbage-fmt.wav', 'RIFF/WAVE with fmt tag 0x1234, 0 channels, 0 Hz, 13 bits'),
    invalid('not-audio.wav', 'plain text'),
    invalid('random-bytes.wav', '4096 pseudo-random bytes, no RIFF header'),
    invalid('empty.wav', '0 bytes'),
    invalid('header-only.wav', '20 bytes: RIFF/WAVE and a fmt chunk header without its body'),
  ];
}

/**
 * Writes every fixture into `dir` (created if needed) and returns the
 * manifest (also written there as manifest.json). Synchronous.
 */
function makeFixtures(dir = DEFAULT_OUT) {
  if (!fs.existsSync(SAMPLE) || !fs.existsSync(SAMPLE_TURNS)) {
    throw new Error(`make-fixtures: ${path.relative(REPO, SAMPLE)} or its .json is missing (run scripts/make-sample.sh)`);
  }
  fs.mkdirSync(dir, { recursive: true });
  const ctx = { dir };
  const manifest = [
    ...buildReference(ctx),
    ...buildVariants(ctx),
    ...buildPlain24(ctx),
    ...buildPaddedSpeech(ctx),
    ...buildExtraChunks(ctx),
    ...buildBrokenButReadable(ctx),
    ...buildInvalid(ctx),
  ];
  for (const e of manifest) e.bytes = fs.statSync(out(ctx, e.file)).size;
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

if (require.main === module) {
  try {
    const manifest = makeFixtures(process.argv[2] ? path.resolve(process.argv[2]) : DEFAULT_OUT);
    console.log(JSON.stringify(manifest, null, 2));
  } catch (err) {
    console.error(err.message);
    process.exitCode = 1;
  }
}

module.exports = { makeFixtures };
