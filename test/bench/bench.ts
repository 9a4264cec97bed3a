/**
 * `npm run bench`: speed figures that go into BENCHMARKS.md, each beside the anchor it is judged by,
 * measured in the same run (this machine is shared and noisy: compare ratios, not seconds).
 *
 * 1. WAV decoding + resampling to 16 kHz: Earshot's streaming reader vs the `wavefile` package.
 * 2. Whisper real-time factor with the installed build, on generated models with the real tiny.en and
 *    base.en dimensions (random weights cost the same compute as trained ones).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileSource, SAMPLE_RATE } from '../../daemon/capture/source';
import { WhisperEngine } from '../../daemon/asr/whisper';
import { MODELS_DIR, REPO_ROOT, SAMPLE_WAV } from '../setup';

const REPS = Number(process.env.BENCH_REPS ?? 3);
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeIt(run: () => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  return median(times);
}

async function decodeBench(): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-bench-'));
  const file = path.join(dir, 'meeting-44k1-stereo.wav');
  // 60 s of 44.1 kHz stereo: the sample twice, as a laptop would record it.
  execFileSync('sox', ['-R', '-D', SAMPLE_WAV, SAMPLE_WAV, '-r', '44100', '-c', '2', '-b', '16', file]);
  const ours = await timeIt(async () => {
    const source = await FileSource.open(file, { pace: 'fast' });
    let n = 0;
    for await (const frame of source.frames(new AbortController().signal)) n += frame.samples.length;
    if (n < 59 * SAMPLE_RATE) throw new Error('short decode');
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { WaveFile } = require('wavefile') as typeof import('wavefile');
  const theirs = await timeIt(() => {
    const wav = new WaveFile(fs.readFileSync(file));
    wav.toSampleRate(SAMPLE_RATE);
    return wav.getSamples(false, Float32Array);
  });
  fs.rmSync(dir, { recursive: true });
  return [
    '| 60 s of 44.1 kHz stereo → 16 kHz mono | Earshot reader | wavefile 11 (toSampleRate + getSamples) | ratio |',
    '|---|---|---|---|',
    `| median of ${REPS} | ${ours.toFixed(0)} ms | ${theirs.toFixed(0)} ms | ${(theirs / ours).toFixed(1)}× faster |`,
  ];
}

async function whisperBench(): Promise<string[]> {
  const rows = ['| model (generated, real dims) | audio | threads | median decode | RTF |', '|---|---|---|---|---|'];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { generateModel } = require(path.join(REPO_ROOT, 'scripts', 'gen-whisper-model.js'));
  const audioSec = 30;
  const pcm = new Float32Array(audioSec * SAMPLE_RATE);
  for (let i = 0; i < pcm.length; i++) pcm[i] = 0.3 * Math.sin((2 * Math.PI * (200 + 300 * Math.sin(i / SAMPLE_RATE)) * i) / SAMPLE_RATE);
  const threads = Math.min(2, os.availableParallelism());
  for (const preset of ['tiny.en', 'base.en']) {
    const model = path.join(MODELS_DIR, `${preset}-hello.bin`);
    if (!fs.existsSync(model)) generateModel({ preset, emit: ' hello', out: model });
    const engine = new WhisperEngine({ modelPath: model, language: 'en', threads, gpu: false });
    await engine.load();
    // 100 tokens, as DESIGN.md's measurements: the decoder's share of a typical 30 s window.
    const ms = await timeIt(() => engine.decode({ pcm, maxTokens: 100 }));
    await engine.free();
    rows.push(`| ${preset} | ${audioSec} s | ${threads} | ${ms.toFixed(0)} ms | ${(ms / 1000 / audioSec).toFixed(3)} |`);
  }
  return rows;
}

async function main(): Promise<void> {
  const build = execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build-whisper.js'), '--check'], { encoding: 'utf8' });
  const { wanted, march } = JSON.parse(build) as { wanted: string; march: string[] };
  console.log(`# npm run bench — ${new Date().toISOString().slice(0, 10)}, ${os.cpus()[0].model}, ${os.availableParallelism()} cores, node ${process.version}, whisper build ${wanted} (-march=${march.join(',') || 'none'})\n`);
  console.log((await decodeBench()).join('\n') + '\n');
  console.log((await whisperBench()).join('\n'));
}

main().catch((e) => { console.error(e); process.exit(1); });
