/**
 * WAV decoding + resampling to 16 kHz: Earshot's streaming reader (daemon/capture/wav.ts, resample.ts) against the
 * `wavefile` package, on 60 s of 44.1 kHz stereo.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileSource, SAMPLE_RATE } from '../../daemon/capture/source';
import { SAMPLE_WAV } from '../setup';
import { envNum, FigureReport, median, removeTempDir, requireTool, table, tempDir } from './util';

async function timeIt(reps: number, run: () => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  return median(times);
}

export async function wavDecode(): Promise<FigureReport> {
  const reps = envNum('BENCH_REPS', 3);
  requireTool('sox', 'apt-get install sox');
  const dir = tempDir('wav');
  try {
    const file = path.join(dir, 'meeting-44k1-stereo.wav');
    // 60 s of 44.1 kHz stereo: the sample twice, as a laptop would record it.
    execFileSync('sox', ['-R', '-D', SAMPLE_WAV, SAMPLE_WAV, '-r', '44100', '-c', '2', '-b', '16', file]);
    const ours = await timeIt(reps, async () => {
      const source = await FileSource.open(file, { pace: 'fast' });
      let n = 0;
      for await (const frame of source.frames(new AbortController().signal)) n += frame.samples.length;
      if (n < 59 * SAMPLE_RATE) throw new Error('short decode');
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { WaveFile } = require('wavefile') as typeof import('wavefile');
    const theirs = await timeIt(reps, () => {
      const wav = new WaveFile(fs.readFileSync(file));
      wav.toSampleRate(SAMPLE_RATE);
      return wav.getSamples(false, Float32Array);
    });
    return {
      title: 'WAV decoding and resampling: Earshot reader vs wavefile',
      commands: ['npm run bench -- wav'],
      lines: table(
        ['60 s of 44.1 kHz stereo → 16 kHz mono', 'Earshot reader', 'wavefile 11 (toSampleRate + getSamples)', 'ratio'],
        [[`median of ${reps}`, `${ours.toFixed(0)} ms`, `${theirs.toFixed(0)} ms`, `${(theirs / ours).toFixed(1)}× faster`]],
      ),
      notes: [],
      targets: [],
    };
  } finally {
    removeTempDir(dir);
  }
}
