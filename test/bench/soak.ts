/**
 * Figure 9 — soak: a 2-hour meeting through a real daemon process started as the extension starts it
 * (protocol/allocator.ts: the malloc environment and the node flags), fed at pace 'fast', with base.en dimensions (each
 * decode allocates and frees ~100 MB of whisper state). The audio is mostly silence with a spoken turn every
 * BENCH_SOAK_EVERY_S seconds (test/support/soak.ts), so the 2 hours take minutes while every utterance goes the whole way.
 * RSS of the daemon is read every 10 ms: per window of audio the minimum (between decodes) and the maximum (decoding);
 * growth is a least-squares line through the minima after warm-up. The journal is measured in bytes per minute of the
 * audio it covers.
 *
 * BENCH_SOAK_COMPARE=1 runs the same session a second time in a daemon started without the node flags (only the malloc
 * environment, as before issue 7), for the comparison; BENCH_SOAK_FLAGS=0 runs that one alone. Knobs: BENCH_SOAK_MINUTES (120), BENCH_SOAK_EVERY_S (20),
 * BENCH_SOAK_MODEL (base.en | tiny.en | mini), BENCH_SOAK_WINDOW_MIN (5), BENCH_SOAK_WARMUP_MIN (20), BENCH_THREADS.
 *
 * Also runnable alone: `node out/test/bench/soak.js` prints the figure's Markdown (what `npm run bench -- soak` prints).
 */
import * as path from 'node:path';
import { DAEMON_ALLOCATOR_ENV, daemonSpawnEnv, DAEMON_NODE_FLAGS } from '../../protocol/allocator';
import { PROTOCOL_VERSION } from '../../protocol/protocol';
import { connectDaemon } from '../integration/daemon-process';
import { miniModel } from '../setup';
import { analyzeSoak, SoakAnalysis, SoakRun, soakRun, soakWav } from '../support/soak';
import { benchModel, benchWeights, cleanupAll, envNum, FigureReport, fmtMB, machineCpu, removeTempDir, table, tempDir, THREADS } from './util';

interface Arm { label: string; env: NodeJS.ProcessEnv; run: SoakRun; analysis: SoakAnalysis; busyCores: number }

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;

export async function soak(): Promise<FigureReport> {
  const minutes = envNum('BENCH_SOAK_MINUTES', 120);
  const everySec = envNum('BENCH_SOAK_EVERY_S', 20);
  const windowSec = envNum('BENCH_SOAK_WINDOW_MIN', 5) * 60;
  const warmupSec = Math.min(envNum('BENCH_SOAK_WARMUP_MIN', 20) * 60, (minutes * 60) / 4);
  const preset = process.env.BENCH_SOAK_MODEL ?? 'base.en';
  const model = preset === 'mini' ? miniModel() : benchModel(preset as 'tiny.en' | 'base.en');
  const compare = process.env.BENCH_SOAK_COMPARE === '1';
  const withoutFlagsOnly = process.env.BENCH_SOAK_FLAGS === '0';
  const dir = tempDir('soak');
  try {
    const fixture = soakWav(dir, minutes, everySec);
    const malloc = Object.entries(DAEMON_ALLOCATOR_ENV).map(([k, v]) => `${k}=${v}`).join(' ');
    const withFlags = { label: `as the extension starts it (${malloc}, ${DAEMON_NODE_FLAGS.join(' ')})`, env: daemonSpawnEnv({}) };
    const withoutFlags = { label: `without the node flags (${malloc} only: before issue 7)`, env: { ...DAEMON_ALLOCATOR_ENV } };
    const arms: { label: string; env: NodeJS.ProcessEnv }[] = withoutFlagsOnly ? [withoutFlags] : compare ? [withFlags, withoutFlags] : [withFlags];
    const done: Arm[] = [];
    for (const [i, arm] of arms.entries()) {
      const storageDir = path.join(dir, `storage-${i}`);
      const client = connectDaemon({ ...arm.env, EARSHOT_LOG_LEVEL: 'warn' });
      try {
        await client.initialize({ protocolVersion: PROTOCOL_VERSION, storageDir, notesDir: path.join(dir, `notes-${i}`), modelPath: model, threads: THREADS });
        const busy0 = machineCpu().busy;
        const run = await soakRun(client, fixture, {
          storageDir, windowSec,
          progress: (w) => process.stderr.write(`bench: soak ${i + 1}/${arms.length}: ${(w.audioSec / 60).toFixed(0)} of ${minutes} audio-min, rss ${fmtMB(w.rssMin)}–${fmtMB(w.rssMax)}\n`),
        });
        done.push({ ...arm, run, analysis: analyzeSoak(run.windows, warmupSec), busyCores: (machineCpu().busy - busy0) / run.wallSec });
      } finally {
        await client.dispose();
      }
    }
    const main = done[0];
    const at = (sec: number) => `${(sec / 60).toFixed(0)} audio-min`;
    return {
      title: `Soak: a ${minutes}-minute meeting through the daemon at pace fast (${preset === 'mini' ? 'mini model' : `${preset} dims, ${benchWeights()} weights`}, a turn every ${everySec} s)`,
      commands: [`${minutes !== 120 ? `BENCH_SOAK_MINUTES=${minutes} ` : ''}${compare ? 'BENCH_SOAK_COMPARE=1 ' : ''}${withoutFlagsOnly ? 'BENCH_SOAK_FLAGS=0 ' : ''}${benchWeights() !== 'f16' ? `BENCH_WEIGHTS=${benchWeights()} ` : ''}npm run bench -- soak`],
      lines: [
        ...table(['daemon started', 'RSS before the session', `between decodes at warm-up (${at(main.analysis.warm.audioSec)})`, `between decodes at the end (${at(main.analysis.end.audioSec)})`,
          '**growth after warm-up** (least squares)', 'peak while decoding', 'journal, bytes per audio-minute (window range)', 'finals', 'daemon CPU', 'wall'], done.map((a) => [
          a.label, fmtMB(a.run.rssBefore), fmtMB(a.analysis.warm.rssMin), fmtMB(a.analysis.end.rssMin),
          `**${pct(a.analysis.growth)}** (${fmtMB(a.analysis.fitAtWarm)} → ${fmtMB(a.analysis.fitAtEnd)})`, fmtMB(a.analysis.peak),
          `${a.analysis.journalMedian.toFixed(0)} (${a.analysis.journalMin.toFixed(0)}–${a.analysis.journalMax.toFixed(0)})`,
          `${a.run.finals} of ${fixture.turns}`, `${a.run.cpuSec.toFixed(0)} s`, `${(a.run.wallSec / 60).toFixed(1)} min`,
        ])),
        '',
        ...table(['audio', 'wall', 'RSS min (between decodes)', 'RSS max (decoding)', 'journal'], main.run.windows.map((w) => [
          `${(w.audioSec / 60).toFixed(0)} min`, `${(w.wallSec / 60).toFixed(1)} min`, fmtMB(w.rssMin), fmtMB(w.rssMax), `${(w.journalBytes / 1024).toFixed(0)} KiB to ${(w.journalSec / 60).toFixed(0)} min`,
        ])),
      ],
      notes: [
        `Audio: ${fixture.recipe}. Daemon: \`node bin/earshot.js daemon\` over stdio, ${THREADS} whisper thread(s), model ${path.basename(model)}; ` +
          `RSS from /proc every 10 ms, windows of ${windowSec / 60} audio-minutes, warm-up ${warmupSec / 60} audio-minutes (40+ utterances). ` +
          'The journal is measured against the audio its finals cover (at pace fast capture runs ahead of the finals by up to the recognizer\'s 120 s of pending speech).',
        `Cores busy on average during the runs (every process, the daemon included): ${done.map((a) => a.busyCores.toFixed(2)).join(' / ')}.`,
      ],
      targets: done.slice(0, 1).flatMap((a) => [
        { metric: `RSS growth between decodes over ${at(a.run.audioSec)} (after warm-up)`, value: pct(a.analysis.growth), target: '< 5%', met: a.analysis.growth < 0.05 },
        {
          metric: 'journal bytes per audio-minute, window to window', value: `${a.analysis.journalMin.toFixed(0)}–${a.analysis.journalMax.toFixed(0)}`,
          target: 'steady (±25% of the median)', met: a.analysis.journalMin > 0.75 * a.analysis.journalMedian && a.analysis.journalMax < 1.25 * a.analysis.journalMedian,
        },
      ]),
    };
  } finally {
    removeTempDir(dir);
  }
}

if (require.main === module) {
  process.on('exit', cleanupAll);
  soak().then((r) => {
    process.stdout.write([`## ${r.title}`, '', ...r.commands.map((c) => `    ${c}`), '', ...r.lines, '', ...r.notes.map((n) => `- ${n}`), '',
      ...table(['metric', 'measured', 'target', 'met'], r.targets.map((t) => [t.metric, t.value, t.target, t.met ? 'yes' : '**no**'])), ''].join('\n'));
    process.exit(0);
  }, (e) => { console.error(e); process.exit(1); });
}
