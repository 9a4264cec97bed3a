/**
 * Figure 4 — what silence costs: 60 s of digital silence, of dithered silence and of pink noise, each through a
 * realtime-paced session (base.en dimensions). Counts the whisper decodes the pipeline asks for and the process's CPU
 * share. The same files are also run with pace 'fast': CPU per second of audio there is the processing alone (VAD,
 * segmenter), without the realtime pacing (a timer per 32 ms frame), which tells where the realtime share goes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileSource } from '../../daemon/capture/source';
import { audifyStatus } from '../../daemon/capture/audify';
import { findExecutable } from '../../daemon/capture/tools';
import { miniModel, REPO_ROOT } from '../setup';
import { PulseServer } from '../support/pulse';
import { ditheredSilenceFixture, pinkNoiseFixture, silenceFixture } from './fixtures';
import { benchService, runOn } from './session-run';
import { benchModel, envNum, FigureReport, ownCpu, processCpu, quiet, removeTempDir, spawnTracked, stopChild, table, tempDir } from './util';

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

/** CPU seconds of a process and every process under it, now (/proc). */
function treeCpu(root: number): number {
  const parents = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(name)]);
    } catch { /* gone meanwhile */ }
  }
  let cpu = 0;
  for (const pending = [root]; pending.length;) {
    const pid = pending.pop()!;
    const own = processCpu(pid);
    if (Number.isFinite(own)) cpu += own;
    pending.push(...(parents.get(pid) ?? []));
  }
  return cpu;
}

/** CPU share (of one core) of `command` and its children from `fromSec` to `toSec` after its start, then it is stopped. */
export async function runningShare(pulse: PulseServer, command: string, args: string[], fromSec: number, toSec: number, dir?: string): Promise<number> {
  const env = { ...process.env, ...pulse.env, ...(dir ? { EARSHOT_STORAGE: path.join(dir, 'storage') } : {}) };
  const child = spawnTracked(command, args, { env, stdio: 'ignore', ...(dir ? { cwd: dir } : {}) });
  try {
    await sleep(fromSec * 1000);
    const cpu0 = treeCpu(child.pid!), t0 = performance.now();
    await sleep((toSec - fromSec) * 1000);
    const share = (treeCpu(child.pid!) - cpu0) / ((performance.now() - t0) / 1000);
    if (child.exitCode !== null) throw new Error(`${path.basename(args[0] ?? command)} ended early (${child.exitCode})`);
    return share;
  } finally {
    await stopChild(child);
  }
}

/**
 * A user's silent microphone: `earshot listen --source mic` on a private PulseAudio server's virtual microphone with
 * nothing playing (digital silence), the default recorder (the audify helper, a child process) counted with the CLI,
 * from 20 s to 80 s so that start-up is left out; beside it each recorder alone. Undefined without a sound server.
 */
async function liveSilence(targets: FigureReport['targets']): Promise<(string | number)[][] | undefined> {
  if (!findExecutable('pulseaudio')) return undefined;
  const dir = tempDir('silence-live');
  const pulse = await PulseServer.start({ keepAlive: true });
  const rows: (string | number)[][] = [];
  try {
    const earshot = path.join(REPO_ROOT, 'bin', 'earshot.js');
    await quiet();
    const session = await runningShare(pulse, process.execPath, [earshot, 'listen', '--source', 'mic', '--seconds', '90', '--no-download',
      '--model', miniModel(), '--notes-dir', path.join(dir, 'notes')], 20, 80, dir);
    rows.push(['`earshot listen --source mic`, its recorder included', `**${(100 * session).toFixed(2)}%**`]);
    targets.push({ metric: 'a live session on a silent microphone: CPU share (of one core)', value: `${(100 * session).toFixed(2)}%`, target: '≤ 1%', met: session <= 0.01 });
    if (audifyStatus().available) {
      const helper = path.join(REPO_ROOT, 'out', 'daemon', 'capture', 'audifyHelper.js');
      const alone = await runningShare(pulse, process.execPath, [helper, '--kind', 'mic', '--rate', '16000', '--channels', '1', '--format', 's16le'], 10, 70);
      rows.push(['the audify helper alone (20 ms periods)', `${(100 * alone).toFixed(2)}%`]);
    }
    if (findExecutable('parec')) {
      const alone = await runningShare(pulse, 'parec', ['--latency-msec=20', '--format=s16le', '--rate=16000', '--channels=1', '--raw', '-d', 'virtmic'], 10, 70);
      rows.push(['parec alone (20 ms periods; a system-audio recorder here)', `${(100 * alone).toFixed(2)}%`]);
    }
  } finally {
    await pulse.stop();
    removeTempDir(dir);
  }
  return rows;
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
  const live = await liveSilence(targets);
  return {
    title: `Silence, dither and noise: ${sec} s each through a realtime session (base.en dims)`,
    commands: ['npm run bench -- silence'],
    lines: [
      ...table(['audio', 'duration', 'whisper decodes', 'final texts', 'CPU', 'CPU share (of one core)', 'same file, pace fast: CPU per audio-s', 'other load (cores)'], rows),
      ...(live ? ['', 'A live session on a silent microphone (private PulseAudio server, nothing playing), 60 s after 20 s of start-up:', '', ...table(['process', 'CPU share (of one core)'], live)] : []),
    ],
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
