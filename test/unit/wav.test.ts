import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileSource, FRAME_SAMPLES, SAMPLE_RATE } from '../../daemon/capture/source';
import { AudioFileError, decodeToMono, readWavBlocks, readWavFormat } from '../../daemon/capture/wav';
import { audioFixtures, fixture } from '../setup';
import { concat } from './fakes';

const REFERENCE = 'pcm16-16k-mono.wav';

/** Every sample a FileSource produces (16 kHz mono), checking frame sizes and capture-clock stamps on the way. */
async function sourceSamples(file: string): Promise<Float32Array> {
  const source = await FileSource.open(file, { pace: 'fast' });
  const parts: Float32Array[] = [];
  let expectedStart = 0;
  let sawShort = false;
  for await (const frame of source.frames(new AbortController().signal)) {
    assert.equal(frame.source, 'file');
    assert.equal(frame.startSample, expectedStart, 'frames are stamped with their sample index, without gaps');
    assert.ok(!sawShort, 'only the last frame may be shorter than FRAME_SAMPLES');
    if (frame.samples.length < FRAME_SAMPLES) sawShort = true;
    assert.ok(frame.samples.length > 0 && frame.samples.length <= FRAME_SAMPLES);
    parts.push(frame.samples.slice());
    expectedStart += frame.samples.length;
  }
  return concat(parts);
}

function correlation(a: Float32Array, b: Float32Array, n = Math.min(a.length, b.length)): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < n; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

function rms(x: Float32Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return Math.sqrt(s / Math.max(1, x.length));
}

describe('WAV reader', () => {
  const fixtures = audioFixtures();
  let reference: Float32Array;

  before(async () => {
    reference = await sourceSamples(fixture(REFERENCE));
  });

  it('has a manifest covering valid and broken files', () => {
    assert.ok(fixtures.filter((f) => f.expectError).length >= 4);
    assert.ok(fixtures.filter((f) => !f.expectError).length >= 8);
    assert.equal(reference.length, 96000);
    assert.ok(rms(reference) > 0.01, 'the reference excerpt holds audible speech');
  });

  for (const f of fixtures.filter((x) => x.expectError)) {
    it(`refuses ${f.file} with a clear AudioFileError`, async () => {
      const file = fixture(f.file);
      await assert.rejects(readWavFormat(file), (e: unknown) => {
        assert.ok(e instanceof AudioFileError, `expected AudioFileError, got ${String(e)}`);
        assert.equal(e.path, file);
        assert.ok(e.message.startsWith(`Cannot read audio file ${file}: `), e.message);
        const reason = e.message.slice(`Cannot read audio file ${file}: `.length);
        assert.ok(reason.length > 5, `the reason is spelled out: ${JSON.stringify(reason)}`);
        return true;
      });
      // FileSource.open (what a session uses) refuses it the same way, before any frame.
      await assert.rejects(FileSource.open(file), AudioFileError);
    });
  }

  it('gives specific reasons for the broken files', async () => {
    const reason = async (name: string) => readWavFormat(fixture(name)).then(() => 'no error', (e: Error) => e.message);
    assert.match(await reason('empty.wav'), /empty/);
    assert.match(await reason('not-audio.wav'), /not a WAV file/);
    assert.match(await reason('random-bytes.wav'), /not a WAV file/);
    assert.match(await reason('header-only.wav'), /fmt chunk is too short/);
    assert.match(await reason('garbage-fmt.wav'), /unsupported (channel count|sample rate|encoding)/);
    assert.match(await reason('does-not-exist.wav'), /no such file/);
  });

  for (const f of fixtures.filter((x) => !x.expectError)) {
    describe(f.file, () => {
      it('reads the header: rate, channels, bits, duration', async () => {
        const fmt = await readWavFormat(fixture(f.file));
        assert.equal(fmt.sampleRate, f.rate);
        assert.equal(fmt.channels, f.channels);
        assert.equal(fmt.bitsPerSample, f.bits);
        assert.equal(fmt.encoding, f.format === 'float32le' ? 'float' : 'int');
        assert.ok(Math.abs(fmt.durationSec - f.expectedDuration!) < 1e-6, `duration ${fmt.durationSec} vs ${f.expectedDuration}`);
        assert.equal(fmt.dataBytes, f.frames! * f.channels! * (f.bits! / 8));
        assert.equal(fmt.truncated, f.file === 'truncated.wav');
      });

      it('decodes the expected number of frames, in range', async () => {
        const file = fixture(f.file);
        const fmt = await readWavFormat(file);
        const blocks: Float32Array[] = [];
        for await (const block of readWavBlocks(file, fmt, 4000)) {
          assert.ok(block.length <= 4000);
          blocks.push(block);
        }
        const mono = concat(blocks);
        assert.equal(mono.length, f.frames);
        for (const v of mono) assert.ok(v >= -1 && v <= 1 && Number.isFinite(v));
        // decodeToMono over the whole data chunk agrees with the block reader.
        const bytes = (await fs.readFile(file)).subarray(fmt.dataOffset, fmt.dataOffset + fmt.dataBytes);
        assert.deepEqual(decodeToMono(bytes, fmt), mono);
      });

      if (f.frames! > 0 && f.file !== 'speech-padded-16k.wav') {
        it('matches the 16 kHz mono reference once resampled through FileSource', async () => {
          const samples = await sourceSamples(fixture(f.file));
          assert.equal(samples.length, Math.ceil((f.frames! * SAMPLE_RATE) / f.rate!), 'output length is ceil(frames × 16000 / rate)');
          const c = correlation(samples, reference);
          // 8-bit 8 kHz loses everything above 4 kHz and has ~48 dB SNR: still clearly the same signal.
          const min = f.bits === 8 ? 0.95 : 0.99;
          assert.ok(c > min, `correlation with the reference ${c.toFixed(5)} ≤ ${min}`);
          const gain = rms(samples) / rms(reference.subarray(0, samples.length));
          assert.ok(gain > 0.95 && gain < 1.05, `level kept: gain ${gain}`);
        });
      }
    });
  }

  it('zero-samples.wav decodes to no frames at all (whisper is never fed 0 samples)', async () => {
    const samples = await sourceSamples(fixture('zero-samples.wav'));
    assert.equal(samples.length, 0);
  });

  it('averages the channels of a stereo file and reads every sample format', () => {
    // Two frames, stereo, 16-bit: (1000, 3000) and (-32768, 32767).
    const pcm16 = Buffer.alloc(8);
    pcm16.writeInt16LE(1000, 0); pcm16.writeInt16LE(3000, 2); pcm16.writeInt16LE(-32768, 4); pcm16.writeInt16LE(32767, 6);
    const m16 = decodeToMono(pcm16, { channels: 2, bitsPerSample: 16, encoding: 'int' });
    assert.ok(Math.abs(m16[0] - 2000 / 32768) < 1e-7);
    assert.ok(Math.abs(m16[1] - (-1 / 65536)) < 1e-7);

    const u8 = Buffer.from([0, 128, 255]);
    assert.deepEqual([...decodeToMono(u8, { channels: 1, bitsPerSample: 8, encoding: 'int' })], [-1, 0, 127 / 128]);

    const s24 = Buffer.from([0x00, 0x00, 0x80, 0xff, 0xff, 0x7f, 0x01, 0x00, 0x00]); // min, max, +1
    const m24 = decodeToMono(s24, { channels: 1, bitsPerSample: 24, encoding: 'int' });
    assert.equal(m24[0], -1);
    assert.ok(Math.abs(m24[1] - 8388607 / 8388608) < 1e-7);
    assert.ok(Math.abs(m24[2] - 1 / 8388608) < 1e-12);

    const f32 = Buffer.alloc(16);
    f32.writeFloatLE(0.5, 0); f32.writeFloatLE(NaN, 4); f32.writeFloatLE(7, 8); f32.writeFloatLE(-Infinity, 12);
    assert.deepEqual([...decodeToMono(f32, { channels: 1, bitsPerSample: 32, encoding: 'float' })], [0.5, 0, 1, 0],
      'NaN and infinities never reach whisper; loud floats are clamped');
  });

  it('refuses a file whose data chunk comes before its fmt chunk', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'earshot-wav-'));
    try {
      const file = path.join(dir, 'data-first.wav');
      const data = Buffer.concat([Buffer.from('data', 'latin1'), Buffer.from([4, 0, 0, 0]), Buffer.alloc(4)]);
      const riff = Buffer.concat([Buffer.from('RIFF', 'latin1'), Buffer.from([4 + data.length, 0, 0, 0]), Buffer.from('WAVE', 'latin1'), data]);
      await fs.writeFile(file, riff);
      await assert.rejects(readWavFormat(file), /data chunk comes before any fmt chunk/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
