/**
 * A stand-in for a recorder process (sox, arecord, parec…) in unit tests: writes a 16 kHz mono s16le sine to
 * stdout in real time, then does what its plan says — exit with a code, stop writing while alive, die with a
 * message on stderr — so that fault handling is tested without a sound server. Run as
 * `node fake-recorder.js [args ignored]` with the plan in FAKE_RECORDER_PLAN (JSON, see Plan); installed on a
 * PATH under a recorder's name by fakeRecorderDir() so node-record-lpcm16 runs it as "sox" or "arecord".
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Plan {
  /** Sine amplitude in [0, 1]: 0 writes exact zeros (digital silence). */
  amplitude?: number;
  /** Exact zeros for this long first, then the sine (a macOS microphone once it is allowed). */
  zerosMs?: number;
  frequency?: number;
  /** Samples per write: 320 = 20 ms (parec-like), 2048 (sox-like). */
  chunkSamples?: number;
  /** Write for this long, then `then`. */
  writeMs?: number;
  /** exit: exit with `exitCode` (after writing `stderr`); stall: stay alive, write nothing; pause: stop writing for `pauseMs`, then resume, either with the missed audio in one burst (burst: true) or without it. */
  then?: 'exit' | 'stall' | 'pause' | 'forever';
  /** exit, stall: written to stderr first. */
  exitCode?: number;
  stderr?: string;
  /** pause: how long. */
  pauseMs?: number;
  burst?: boolean;
  /** Exit code on SIGTERM (arecord exits 1). */
  termExitCode?: number;
  /** Write a line to stderr at start (e.g. a warning that is not fatal). */
  startStderr?: string;
  /** A JSON line {pid, args, env} is appended to this file at every start: a test sees how it was run. */
  startsFile?: string;
}

export const SAMPLE_RATE = 16000;

/** The fake's sample at index i (continuous across chunks): what a test expects to find in frames. */
export function fakeSample(i: number, plan: Plan): number {
  const v = Math.round((plan.amplitude ?? 0.5) * 32767 * Math.sin((2 * Math.PI * (plan.frequency ?? 440) * i) / SAMPLE_RATE));
  return (v || 0) / 32768; // never -0
}

/** A folder with executables named `names` that run this fake with `plan`; prepend it to PATH. */
export function fakeRecorderDir(names: string[], plan: Plan): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-fake-rec-'));
  for (const name of names) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, `#!/bin/sh\nFAKE_RECORDER_PLAN='${JSON.stringify(plan).replace(/'/g, "'\\''")}' exec "${process.execPath}" "${__filename}" "$@"\n`, { mode: 0o755 });
  }
  return dir;
}

function run(plan: Plan): void {
  const chunk = plan.chunkSamples ?? 320;
  const chunkMs = (chunk / SAMPLE_RATE) * 1000;
  if (plan.startsFile) {
    const env = Object.fromEntries(['AUDIODRIVER', 'AUDIODEV', 'PULSE_SOURCE', 'PULSE_SERVER'].map((k) => [k, process.env[k]]));
    fs.appendFileSync(plan.startsFile, JSON.stringify({ pid: process.pid, args: process.argv.slice(2), env }) + '\n');
  }
  if (plan.startStderr) process.stderr.write(plan.startStderr + '\n');
  process.on('SIGTERM', () => process.exit(plan.termExitCode ?? 0));
  let index = 0; // samples written (or lost)
  const write = (samples: number) => {
    const buf = Buffer.alloc(samples * 2);
    const zeros = index < ((plan.zerosMs ?? 0) / 1000) * SAMPLE_RATE;
    for (let i = 0; i < samples; i++, index++) buf.writeInt16LE(zeros ? 0 : Math.round(fakeSample(index, plan) * 32768), 2 * i);
    process.stdout.write(buf);
  };
  const started = Date.now();
  const due = () => Math.floor(((Date.now() - started) / 1000) * SAMPLE_RATE);
  let pausedAt: number | undefined;
  let resumed = false;
  const timer = setInterval(() => {
    if (plan.then !== 'forever' && Date.now() - started >= (plan.writeMs ?? 1000) && !resumed) {
      switch (plan.then ?? 'exit') {
        case 'exit':
          clearInterval(timer);
          if (plan.stderr) process.stderr.write(plan.stderr + '\n');
          process.stdout.end(() => process.exit(plan.exitCode ?? 0));
          return;
        case 'stall':
          clearInterval(timer);
          if (plan.stderr) process.stderr.write(plan.stderr + '\n');
          setInterval(() => undefined, 1000); // alive, silent
          return;
        case 'pause':
          pausedAt ??= Date.now();
          if (Date.now() - pausedAt < (plan.pauseMs ?? 3000)) return;
          resumed = true;
          if (plan.burst) write(due() - index); // the paused time's audio, all at once
          else index = due(); // that audio is lost
          return;
      }
    }
    // Paced by the wall clock, not by timer ticks, so a late tick does not slow the fake's "sound card".
    while (due() - index >= chunk) write(chunk);
  }, chunkMs);
}

if (require.main === module) run(JSON.parse(process.env.FAKE_RECORDER_PLAN ?? '{}') as Plan);
