/**
 * Capture latency per recorder: playback start (paplay spawned) → the first frame holding the sound reaching the
 * consumer of a LiveSource (what the VAD would get), through a private PulseAudio server (test/support/pulse.ts)
 * with keep-alive readers, as in the tests. A 200 ms 1 kHz tone is played after a quiet period; the first frame
 * whose peak exceeds -26 dBFS counts. Beside it, the anchor: the same recorder command read bare (its stdout, no
 * framing or buffering), so the difference is what LiveSource adds (up to one 32 ms frame of framing).
 * Both include paplay's own start-up (process, connection, stream) — identical for every recorder.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { LiveSource } from '../../daemon/capture/live';
import { Pcm16Decoder } from '../../daemon/capture/pcm';
import { micCommand, systemCommand } from '../../daemon/capture/recorder';
import { MicRecorderName, SystemRecorderName } from '../../daemon/capture/recorderCommand';
import { RunningRecorder, startMicRecorder } from '../../daemon/capture/runningRecorder';
import { findExecutable } from '../../daemon/capture/tools';
import { audifyCommand, audifyStatus } from '../../daemon/capture/audify';
import { spawn } from 'node:child_process';
import { startCapture } from '../support/capture';
import { PulseServer } from '../support/pulse';
import { toneWav } from '../support/speech';
import { envNum, FigureReport, fmtMs, median, percentile, quiet, removeTempDir, table, tempDir } from './util';

const THRESHOLD = 0.05; // -26 dBFS: far above the virtual devices' digital silence, far below the 0.5 tone

interface Case {
  kind: 'mic' | 'system';
  recorder: MicRecorderName | SystemRecorderName;
}

const CASES: Case[] = [
  { kind: 'mic', recorder: 'audify' },
  { kind: 'system', recorder: 'audify' },
  { kind: 'system', recorder: 'parec' },
  { kind: 'system', recorder: 'ffmpeg' },
  { kind: 'system', recorder: 'sox' },
  { kind: 'mic', recorder: 'arecord' },
  { kind: 'mic', recorder: 'sox' },
  { kind: 'mic', recorder: 'rec' },
];

const sinkOf = (c: Case) => (c.kind === 'mic' ? 'mic_feed' : 'speaker');

/** Latency through a LiveSource, `reps` times. */
async function throughLiveSource(pulse: PulseServer, c: Case, tone: string, reps: number): Promise<number[]> {
  const run = startCapture(new LiveSource({ kind: c.kind, recorder: c.recorder, env: pulse.env }));
  try {
    await run.waitForStatus('capturing', 0, 15_000);
    await sleep(1000);
    const out: number[] = [];
    for (let i = 0; i < reps; i++) {
      await sleep(600 + Math.random() * 100); // quiet, at a random phase against the recorder's chunks
      const seen = run.frames.length;
      const playback = pulse.play(sinkOf(c), tone);
      await run.waitFor(() => run.frames.slice(seen).some((f) => f.capturedAt! >= playback.startedAt && peak(f.samples) > THRESHOLD), 'the tone', 10_000);
      const frame = run.frames.slice(seen).find((f) => f.capturedAt! >= playback.startedAt && peak(f.samples) > THRESHOLD)!;
      out.push(frame.capturedAt! - playback.startedAt);
      await playback.done;
      run.frames.length = 0;
    }
    if (run.errors.length) throw run.errors[0];
    return out;
  } finally {
    await run.stop();
  }
}

/** Latency of the bare recorder: the arrival of the first stdout chunk holding the tone. */
async function bare(pulse: PulseServer, c: Case, tone: string, reps: number): Promise<number[]> {
  let recorder: RunningRecorder;
  if (c.recorder === 'audify') {
    // The helper the daemon runs in-process backends as (audifyHelper.js), on the system's default devices.
    const command = audifyCommand(c.kind, 'default');
    const child = spawn(command.command, command.args, { env: { ...pulse.env, ...command.envOverrides }, stdio: ['ignore', 'pipe', 'pipe'] });
    recorder = new RunningRecorder(command, child, child.stdout!);
  } else if (c.kind === 'mic') {
    recorder = startMicRecorder(micCommand(c.recorder as MicRecorderName, undefined, 'linux'), pulse.env);
  } else {
    const command = systemCommand(c.recorder as SystemRecorderName, 'speaker.monitor', 'linux');
    const child = spawn(command.command, command.args, { env: { ...pulse.env, ...command.envOverrides }, stdio: ['ignore', 'pipe', 'pipe'] });
    recorder = new RunningRecorder(command, child, child.stdout!);
  }
  const decoder = new Pcm16Decoder();
  let loudAt: number | undefined;
  let started = false;
  recorder.onData((chunk) => {
    const now = performance.now();
    started = true;
    if (loudAt === undefined && peak(decoder.decode(chunk)) > THRESHOLD) loudAt = now;
  });
  try {
    while (!started) {
      if (!recorder.running) throw new Error(`${c.recorder} exited: ${(await recorder.ended).stderr}`);
      await sleep(20);
    }
    await sleep(1000);
    const out: number[] = [];
    for (let i = 0; i < reps; i++) {
      await sleep(600 + Math.random() * 100);
      loudAt = undefined;
      const playback = pulse.play(sinkOf(c), tone);
      const deadline = performance.now() + 10_000;
      while (loudAt === undefined && performance.now() < deadline) await sleep(5);
      if (loudAt === undefined) throw new Error(`${c.recorder}: the tone never arrived`);
      out.push(loudAt - playback.startedAt);
      await playback.done;
    }
    return out;
  } finally {
    await recorder.stop();
  }
}

function peak(x: Float32Array): number {
  let p = 0;
  for (let i = 0; i < x.length; i++) p = Math.max(p, Math.abs(x[i]));
  return p;
}

export async function captureLatency(): Promise<FigureReport> {
  const reps = envNum('BENCH_CAPTURE_REPS', envNum('BENCH_REPS', 10));
  const dir = tempDir('capture');
  const pulse = await PulseServer.start();
  const rows: (string | number)[][] = [];
  const missing: string[] = [];
  try {
    const tone = toneWav(dir, 'tone', 0, 0.2);
    for (const c of CASES) {
      if (c.recorder === 'audify' ? !audifyStatus().available : !findExecutable(c.recorder)) {
        missing.push(c.recorder);
        continue;
      }
      await quiet();
      const live = await throughLiveSource(pulse, c, tone, reps);
      const anchor = await bare(pulse, c, tone, reps);
      rows.push([
        `${c.recorder}${c.recorder === 'audify' ? ' (in-process, the default)' : c.kind === 'mic' ? ' (node-record-lpcm16)' : ''}`, c.kind === 'mic' ? 'microphone (virtmic)' : 'system (speaker.monitor)',
        `**${fmtMs(median(live))}**`, fmtMs(percentile(live, 0.95)), `${fmtMs(Math.min(...live))}–${fmtMs(Math.max(...live))}`, fmtMs(median(anchor)),
      ]);
    }
  } finally {
    await pulse.stop();
    removeTempDir(dir);
  }
  return {
    title: 'Capture latency per recorder: playback start → first frame at the consumer',
    commands: ['npm run bench -- capture'],
    lines: table(['recorder', 'source', `median of ${reps}`, 'p95', 'min–max', 'anchor: bare recorder stdout, median'], rows),
    notes: [
      'Private PulseAudio 16 server, null sinks at 16 kHz mono, keep-alive readers on both monitors (test/support/pulse.ts); a 200 ms tone ' +
        'played with `paplay` after ≥ 600 ms of quiet; latency = capturedAt of the first 512-sample frame whose peak exceeds -26 dBFS − the time ' +
        'paplay was spawned. The anchor reads the same recorder command\'s stdout directly (first chunk holding the tone).',
      'LiveSource adds the wait for a frame to fill (≤ 32 ms) to the recorder\'s own latency; the recorders differ by their buffering ' +
        '(audify: RtAudio streams of 20 ms periods through PulseAudio; parec --latency-msec=20; arecord and sox read the ALSA/pulse default periods; rec adds its own buffer).',
      ...(missing.length ? [`Not installed here, not measured: ${missing.join(', ')}.`] : []),
    ],
    targets: [],
  };
}
