/**
 * Figure 4 — what silence costs: 60 s of digital silence, of dithered silence and of pink noise, each through a
 * realtime-paced session (base.en dimensions). Counts the whisper decodes the pipeline asks for and the process's CPU
 * share. The same files are also run with pace 'fast': CPU per second of audio there is the processing alone (VAD,
 * segmenter), without the realtime pacing (a timer per 32 ms frame), which tells where the realtime share goes.
 */
import { FileSource } from '../../daemon/capture/source';
import { ditheredSilenceFixture, pinkNoiseFixture, silenceFixture } from './fixtures';
import { benchService, runOn } from './session-run';
import { benchModel, envNum, FigureReport, ownCpu, quiet, table } from './util';

/** CPU share of the realtime file source alone: frames paced at 32 ms, consumed and dropped (no VAD, no session). */
async function pacingOnly(file: string, sec: number): Promise<number> {
  const source = await FileSource.open(file, { pace: 'realtime' });
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), sec * 1000);
  const cpu0 = ownCpu();
  const t0 = performance.now();
  let frames = 0;
  for await (const _frame of source.frames(abort.signal)) frames++;
  clearTimeout(timer);
  if (frames === 0) throw new Error('no frames');
  return (ownCpu() - cpu0) / ((performance.now() - t0) / 1000);
}

export async function silence(): Promise<FigureReport> {
  const sec = envNum('BENCH_SILENCE_SEC', 60);
  const bench = await benchService(benchModel('base.en'));
  const rows: (string | number)[][] = [];
  const targets: FigureReport['targets'] = [];
  let pacing = NaN;
  try {
    await quiet();
    pacing = await pacingOnly(silenceFixture(sec), Math.min(sec, 20));
    const files = [['digital silence', silenceFixture(sec)], ['dithered silence', ditheredSilenceFixture(sec)], ['pink noise', pinkNoiseFixture(sec)]] as const;
    for (const [name, file] of files) {
      await quiet();
      const run = await runOn(bench, { audioFile: file, pace: 'realtime' });
      const fast = await runOn(bench, { audioFile: file, pace: 'fast' });
      const share = run.cpuSec / run.wallSec;
      const texts = run.transcripts.filter((t) => t.segment.final && t.segment.text).length;
      rows.push([
        name, `${run.audioSec.toFixed(0)} s`, `**${run.decodes.length}**`, texts, `${run.cpuSec.toFixed(2)} s`, `**${(100 * share).toFixed(2)}%**`,
        `${(100 * fast.cpuSec / fast.audioSec).toFixed(2)}% (${fast.decodes.length} decodes)`, run.foreignCores.toFixed(2),
      ]);
      targets.push({ metric: `${name}: whisper decodes`, value: String(run.decodes.length), target: '0', met: run.decodes.length === 0 });
      targets.push({ metric: `${name}: CPU share (of one core)`, value: `${(100 * share).toFixed(2)}%`, target: '≤ 1%', met: share <= 0.01 });
    }
  } finally {
    await bench.dispose();
  }
  return {
    title: `Silence, dither and noise: ${sec} s each through a realtime session (base.en dims)`,
    commands: ['npm run bench -- silence'],
    lines: table(['audio', 'duration', 'whisper decodes', 'final texts', 'CPU', 'CPU share (of one core)', 'same file, pace fast: CPU per audio-s', 'other load (cores)'], rows),
    notes: [
      'CPU share: process CPU (every thread) from STREAMING to DONE over the session\'s wall time; the model is loaded before. ' +
        `Silence: \`sox -D -n trim 0 ${sec}\` (all-zero samples); dithered: the same without -D (±1 LSB, a muted microphone); noise: \`sox synth ${sec} pinknoise vol 0.1\` (≈ −31 dBFS RMS); 16 kHz mono.`,
      'Where the realtime share goes: "pace fast" is the processing alone (file reading, Silero VAD on every 32 ms frame, ' +
        `segmenter; no timers, no idle wake-ups). The realtime file source alone (frames paced at 32 ms, consumed and dropped, no VAD) ` +
        `costs ${(100 * pacing).toFixed(2)}% of a core; the rest of the realtime share is the per-frame work done one wake-up at a time.`,
    ],
    targets,
  };
}
