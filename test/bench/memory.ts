/**
 * Figure 6 — memory over a long meeting: BENCH_RSS_MINUTES (default 120) of meeting audio through EarshotService with
 * pace 'fast' (as fast as the pipeline takes it: a 2-hour meeting in well under 2 hours), base.en dimensions, in a
 * fresh Node process of its own (memory-child.ts) started as the daemon is (protocol/allocator.ts: its environment and
 * node flags), so that its RSS is the service's and not what earlier figures left behind. RSS is sampled every 100 ms and summarized per BENCH_RSS_SAMPLE_MIN minutes of audio; the steady
 * state is the window ending BENCH_RSS_WARMUP_MIN minutes in, growth is measured from there to the end.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { daemonSpawnEnv } from '../../protocol/allocator';
import { longMeeting } from './fixtures';
import { runSession } from './session-run';
import { benchModel, envNum, FigureReport, fmtMB, quiet, removeTempDir, spawnTracked, table, tempDir, waitExit } from './util';

/** Runs the figure in a fresh process (memory-child.js) and relays its report. */
export async function memory(): Promise<FigureReport> {
  // The child writes its (large) audio here; this process removes it whatever way either of them ends.
  const dir = tempDir('memory');
  const child = spawnTracked(process.execPath, [path.join(__dirname, 'memory-child.js')], {
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...daemonSpawnEnv(process.env), BENCH_MEMORY_DIR: dir },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString('utf8'); });
  const code = await waitExit(child);
  removeTempDir(dir);
  const line = out.split('\n').find((l) => l.startsWith('REPORT '));
  if (code !== 0 || !line) throw new Error(`the memory run exited ${code}${line ? '' : ' without a report'}`);
  return JSON.parse(line.slice('REPORT '.length)) as FigureReport;
}

/** The figure itself, in the current process (memory-child.ts calls it in a fresh one). */
export async function memoryInProcess(): Promise<FigureReport> {
  const minutes = envNum('BENCH_RSS_MINUTES', 120);
  const warmupMin = Math.min(envNum('BENCH_RSS_WARMUP_MIN', 10), minutes / 2);
  const everyMin = envNum('BENCH_RSS_SAMPLE_MIN', 5);
  const given = process.env.BENCH_MEMORY_DIR;
  const dir = given ?? tempDir('memory');
  let audioFile: string | undefined;
  try {
    const audio = longMeeting(dir, minutes);
    audioFile = audio.file;
    await quiet();
    const rssBefore = process.memoryUsage().rss;
    let lastReport = 0;
    const run = await runSession(benchModel('base.en'), {
      audioFile: audio.file, pace: 'fast', sampleEverySec: everyMin * 60,
      progress: (sec) => {
        if (sec - lastReport >= 600) {
          lastReport = sec;
          process.stderr.write(`bench: memory: ${(sec / 60).toFixed(0)} of ${(audio.durationSec / 60).toFixed(0)} audio minutes, rss ${fmtMB(process.memoryUsage().rss)}\n`);
        }
      },
    });
    const samples = run.samples;
    const warmIndex = Math.max(0, samples.findIndex((s) => s.audioSec >= warmupMin * 60 - 1));
    const warm = samples[warmIndex];
    const last = samples[samples.length - 1];
    const after = samples.slice(warmIndex);
    const peak = Math.max(...after.map((s) => s.rssMax));
    const growthMin = (last.rssMin - warm.rssMin) / warm.rssMin;
    const growthMax = (last.rssMax - warm.rssMax) / warm.rssMax;
    const growth = Math.max(growthMin, growthMax);
    // Least-squares slope of the between-decodes RSS over audio time after warm-up, in MB per audio hour.
    const n = after.length;
    const mx = after.reduce((a, s) => a + s.audioSec, 0) / n;
    const my = after.reduce((a, s) => a + s.rssMin, 0) / n;
    const sxy = after.reduce((a, s) => a + (s.audioSec - mx) * (s.rssMin - my), 0);
    const sxx = after.reduce((a, s) => a + (s.audioSec - mx) ** 2, 0);
    const slopeMBh = sxx > 0 ? (sxy / sxx) * 3600 / 1024 / 1024 : 0;
    const pct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;
    const rows = samples.map((s) => [
      `${(s.audioSec / 60).toFixed(0)} min`, `${(s.wallSec / 60).toFixed(1)} min`, fmtMB(s.rssMin), fmtMB(s.rssMax), fmtMB(s.heapUsed), fmtMB(s.external),
    ]);
    const at = (s: { audioSec: number }) => `${(s.audioSec / 60).toFixed(0)} audio-min`;
    return {
      title: `Memory over a ${(audio.durationSec / 60).toFixed(0)}-minute meeting (pace fast, base.en dims)`,
      commands: [`BENCH_RSS_MINUTES=${minutes} npm run bench -- memory`],
      lines: [
        ...table(['RSS', 'between decodes (window min)', 'while decoding (window max)'], [
          ['before the service (a fresh Node process with the bench modules loaded)', fmtMB(rssBefore), ''],
          [`**steady state** (window ending at ${at(warm)})`, fmtMB(warm.rssMin), `**${fmtMB(warm.rssMax)}**`],
          [`end (${at(last)})`, fmtMB(last.rssMin), fmtMB(last.rssMax)],
          ['**growth, steady state → end**', `**${pct(growthMin)}**`, `**${pct(growthMax)}**`],
          ['peak after warm-up', '', fmtMB(peak)],
          ['trend after warm-up (least squares)', `${slopeMBh.toFixed(1)} MB per audio hour`, ''],
        ]),
        '',
        `Run: ${(run.audioSec / 60).toFixed(0)} audio-min in ${(run.wallSec / 60).toFixed(1)} min, ${run.decodes.length} decodes, ${run.finalSegments} final segments; ` +
          `other processes used ${run.foreignCores.toFixed(2)} cores on average.`,
        '',
        ...table(['audio', 'wall', 'RSS min', 'RSS max', 'JS heap used', 'external'], rows),
      ],
      notes: [
        `Audio: ${audio.recipe}. RSS of a process that runs nothing but this session (the "before" line is that process before ` +
          'the service existed), ' +
          `sampled every 100 ms; each row is one window of ${everyMin} audio-minutes. smart-whisper allocates a whisper_state (KV caches ` +
          'and compute buffers) for every decode and frees it after, so RSS swings between the two columns.',
      ],
      targets: [
        {
          metric: 'RSS steady state (while decoding / between decodes)', value: `${fmtMB(warm.rssMax)} / ${fmtMB(warm.rssMin)}`, target: '≤ 300 MB',
          met: warm.rssMax <= 300 * 1024 * 1024,
        },
        {
          metric: `RSS growth over ${(run.audioSec / 60).toFixed(0)} audio-min (while decoding / between)`, value: `${pct(growthMax)} / ${pct(growthMin)}`,
          target: '< 5%', met: growth < 0.05,
        },
      ],
    };
  } finally {
    if (!given) removeTempDir(dir);
    else if (audioFile) fs.rmSync(audioFile, { force: true });
  }
}
