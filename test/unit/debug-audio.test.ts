/**
 * The opt-in debug audio dump (daemon/capture/debugAudio.ts): frames go through unchanged and into a 16 kHz mono
 * 16-bit WAV that daemon/capture/wav.ts reads back, gaps on the capture clock as silence, pause markers skipped; a file
 * whose header was never patched (the daemon died) still reads to its end.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { debugAudioPath, dumpingSource, WavDumpWriter } from '../../daemon/capture/debugAudio';
import { AudioFrame, AudioSource } from '../../daemon/capture/source';
import { decodeToMono, readWavFormat } from '../../daemon/capture/wav';

async function readBack(file: string): Promise<{ sampleRate: number; channels: number; bits: number; samples: Float32Array }> {
  const fmt = await readWavFormat(file);
  const samples = decodeToMono(fs.readFileSync(file).subarray(fmt.dataOffset, fmt.dataOffset + fmt.dataBytes), fmt);
  return { sampleRate: fmt.sampleRate, channels: fmt.channels, bits: fmt.bitsPerSample, samples };
}

function ramp(n: number, start: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => ((start + i) % 200) / 100 - 1);
}

describe('debug audio dump (daemon/capture/debugAudio.ts)', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-dump-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('names files <storage>/debug-audio/<session>-<source>.wav and refuses path-like parts', () => {
    assert.equal(debugAudioPath('/s', '20260121T093000-a1b2c3', 'mic'), path.join('/s', 'debug-audio', '20260121T093000-a1b2c3-mic.wav'));
    assert.throws(() => debugAudioPath('/s', '../x', 'mic'));
    assert.throws(() => debugAudioPath('/s', 'a', '../mic'));
  });

  it('passes frames through unchanged and writes them, gaps as silence, pause markers skipped', async () => {
    const frames: AudioFrame[] = [
      { source: 'mic', samples: ramp(512, 0), startSample: 0 },
      { source: 'mic', samples: ramp(512, 512), startSample: 512 },
      { source: 'mic', samples: new Float32Array(0), startSample: 1024, pause: true },
      { source: 'mic', samples: ramp(100, 2000), startSample: 2000 }, // 976 samples missing: silence
    ];
    const source: AudioSource = { kind: 'mic', speaker: 'You', frames: async function* () { yield* frames; } };
    const file = path.join(dir, 'debug-audio', 's-mic.wav');
    const errors: Error[] = [];
    const dumping = dumpingSource(source, file, (e) => errors.push(e));
    assert.equal(dumping.kind, 'mic');
    assert.equal(dumping.speaker, 'You');
    const seen: AudioFrame[] = [];
    for await (const f of dumping.frames(new AbortController().signal)) seen.push(f);
    assert.deepEqual(seen, frames);
    assert.deepEqual(errors, []);

    const back = await readBack(file);
    assert.deepEqual([back.sampleRate, back.channels, back.bits], [16000, 1, 16]);
    assert.equal(back.samples.length, 2100);
    const expected = new Float32Array(2100);
    expected.set(ramp(1024, 0), 0);
    expected.set(ramp(100, 2000), 2000);
    for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(back.samples[i] - expected[i]) < 1e-4, `sample ${i}: ${back.samples[i]} vs ${expected[i]}`);
    if (process.platform !== 'win32') assert.equal(fs.statSync(file).mode & 0o777, 0o600, 'only the user can read it');
  });

  it('a dump whose header was never patched (the daemon died) reads to the end of the file', async () => {
    const file = path.join(dir, 'crash.wav');
    const writer = await WavDumpWriter.create(file, () => undefined);
    writer.write(ramp(1600, 0));
    // Let the queued writes land without close(): what a killed daemon leaves.
    await (writer as unknown as { chain: Promise<void> }).chain;
    const fmt = await readWavFormat(file);
    assert.equal(fmt.dataBytes, 3200);
    assert.equal((await readBack(file)).samples.length, 1600);
    await writer.close();
    assert.equal((await readWavFormat(file)).truncated, false);
  });

  it('a failing disk is reported once and the frames still flow', async () => {
    const blocker = path.join(dir, 'not-a-folder');
    fs.writeFileSync(blocker, '');
    const source: AudioSource = { kind: 'system', speaker: 'Others', frames: async function* () { yield { source: 'system', samples: ramp(10, 0), startSample: 0 }; } };
    const errors: Error[] = [];
    const seen: AudioFrame[] = [];
    for await (const f of dumpingSource(source, path.join(blocker, 'x.wav'), (e) => errors.push(e)).frames(new AbortController().signal)) seen.push(f);
    assert.equal(seen.length, 1);
    assert.equal(errors.length, 1);
  });
});
