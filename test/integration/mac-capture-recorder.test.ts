/**
 * earshot-capture, the capture app's own executable (scripts/mac-capture/earshot-capture.cpp), built for real with
 * RtAudio's PulseAudio API from audify's sources (scripts/mac-capture-app.js --native-only does the same) and run
 * against a private PulseAudio server (test/support/pulse.ts): `devices` lists its sources, `microphone` delivers the
 * tone played into them as 16 kHz s16le mono with audiotee's metadata line, SIGTERM ends it with 0, a device that is
 * not there is an error line and a non-zero exit, a reader gone ends it; `system` runs a stand-in audiotee placed
 * beside it with the arguments, passes its stdout through byte for byte, and passes SIGTERM on. On macOS the same
 * source is compiled with CoreAudio by the release workflow, which runs `devices` on its runner.
 */
import * as assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from '../setup';
import { PulseServer, startPulse } from '../support/pulse';
import { toneWav } from '../support/speech';
import { lsofHelperPid, signalAppGroup } from '../../daemon/capture/macCaptureApp';

/* eslint-disable @typescript-eslint/no-require-imports */
const captureApp = require(path.join(REPO_ROOT, 'scripts', 'mac-capture-app.js')) as { compileRecorder(root: string, out: string): string };
/* eslint-enable @typescript-eslint/no-require-imports */

interface Device { id: number; name: string; inputChannels: number; isDefaultInput: boolean; sampleRates: number[]; preferredSampleRate: number }
interface Line { message_type: string; data?: Record<string, unknown> & { message?: string; context?: Record<string, string> } }

/** A running earshot-capture: its stdout bytes, its stderr lines parsed, its end. */
class Run {
  readonly stdout: Buffer[] = [];
  readonly lines: Line[] = [];
  readonly ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderrText = '';

  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (b: Buffer) => this.stdout.push(b));
    child.stderr!.on('data', (b: Buffer) => {
      this.stderrText += b.toString();
      const lines = this.stderrText.split('\n');
      this.stderrText = lines.pop()!;
      for (const l of lines) if (l.trim()) this.lines.push(JSON.parse(l) as Line);
    });
    this.ended = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  }

  get bytes(): Buffer { return Buffer.concat(this.stdout); }

  /** The PCM so far as samples in [-1, 1). */
  samples(): Float32Array {
    const b = this.bytes;
    const out = new Float32Array(b.length >> 1);
    for (let i = 0; i < out.length; i++) out[i] = b.readInt16LE(2 * i) / 32768;
    return out;
  }
}

/** Waits, within `ms`, for `condition`; the message names what did not come. */
async function waitFor(condition: () => boolean, what: string, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** An end within `ms`, or a failure that says so (the process is killed). */
async function endOf(run: Run, ms = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => { run.child.kill('SIGKILL'); reject(new Error(`earshot-capture did not end within ${ms} ms`)); }, ms); });
  try {
    return await Promise.race([run.ended, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The samples after the first one above `threshold` (the tone's start), `seconds` of them at 16 kHz. */
function toneAfterOnset(samples: Float32Array, seconds: number, threshold = 0.1): Float32Array | undefined {
  const onset = samples.findIndex((x) => Math.abs(x) > threshold);
  if (onset < 0 || samples.length < onset + 1600 + seconds * 16000) return undefined;
  return samples.subarray(onset + 1600, onset + 1600 + seconds * 16000); // 0.1 s in: past the resampler's ramp
}

/** Frequency from zero crossings, and RMS. */
function measure(tone: Float32Array, rate = 16000): { hz: number; rms: number } {
  let crossings = 0;
  let energy = 0;
  for (let i = 1; i < tone.length; i++) {
    if ((tone[i - 1] < 0) !== (tone[i] < 0)) crossings++;
    energy += tone[i] * tone[i];
  }
  return { hz: crossings / 2 / (tone.length / rate), rms: Math.sqrt(energy / tone.length) };
}

describe('earshot-capture (the capture app\'s recorder, built with RtAudio\'s PulseAudio API)', function () {
  this.timeout(120_000);
  let dir: string;
  let binary: string;
  let pulse: PulseServer;
  let tone: string;
  const runs: Run[] = [];

  const start = (args: string[], exe = binary): Run => {
    const run = new Run(spawn(exe, args, { env: pulse.env, stdio: ['ignore', 'pipe', 'pipe'] }));
    runs.push(run);
    return run;
  };
  const devices = async (): Promise<Device[]> => {
    const run = start(['devices']);
    const end = await endOf(run);
    assert.equal(end.code, 0, JSON.stringify(run.lines));
    const text = run.bytes.toString('utf8');
    assert.match(text, /^\{.*\}\n$/, 'one JSON line');
    return (JSON.parse(text) as { devices: Device[] }).devices;
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-capture-'));
    binary = captureApp.compileRecorder(REPO_ROOT, path.join(dir, 'MacOS', 'earshot-capture'));
    pulse = await startPulse({ keepAlive: true, descriptions: { speaker: 'Earshot_test_speaker', virtmic: 'Earshot_test_mic' } });
    tone = toneWav(dir, 'tone', 0.3, 4, 1000);
  });
  afterEach(async () => {
    for (const r of runs.splice(0)) {
      if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
      // 'close' waits for stdio too, which a stand-in left behind by a failed test may hold (it ends within 30 s).
      await Promise.race([r.ended, new Promise((resolve) => r.child.once('exit', resolve))]);
    }
  });
  after(async () => {
    await pulse?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('compiles to the same bytes again (the signed bundle\'s hash, and with it the user\'s grant, depends on it: P1)', () => {
    const again = captureApp.compileRecorder(REPO_ROOT, path.join(dir, 'again', 'other-name'));
    assert.ok(fs.readFileSync(again).equals(fs.readFileSync(binary)), 'a second build, to another path, is byte for byte the first');
  });

  it('devices: one JSON line of the server\'s input devices, the default source marked, rates listed', async () => {
    const list = await devices();
    const mic = list.find((d) => d.name.includes('Earshot_test_mic'));
    const monitor = list.find((d) => d.name.includes('Earshot_test_speaker'));
    assert.ok(mic, `the virtual microphone is listed: ${JSON.stringify(list)}`);
    assert.ok(monitor, `the speaker's monitor is listed: ${JSON.stringify(list)}`);
    assert.equal(mic.isDefaultInput, true);
    assert.equal(list.filter((d) => d.isDefaultInput).length, 1);
    for (const d of list) {
      assert.ok(Number.isInteger(d.id) && d.id > 0 && d.inputChannels > 0, JSON.stringify(d));
      assert.ok(d.sampleRates.length > 0 && d.sampleRates.includes(d.preferredSampleRate), JSON.stringify(d));
    }
  });

  it('microphone: the tone played into the default source, as 16 kHz s16le mono after one metadata line; SIGTERM ends it with 0', async () => {
    const run = start(['microphone', '--sample-rate', '16000', '--chunk-duration', '0.02']);
    await waitFor(() => run.lines.some((l) => l.message_type === 'stream_start'), 'the stream to start');
    const metadata = run.lines.filter((l) => l.message_type === 'metadata');
    assert.equal(metadata.length, 1);
    assert.deepEqual(
      { rate: metadata[0].data!.sample_rate, channels: metadata[0].data!.channels_per_frame, bits: metadata[0].data!.bits_per_channel, encoding: metadata[0].data!.encoding, float: metadata[0].data!.is_float },
      { rate: 16000, channels: 1, bits: 16, encoding: 'pcm_s16le', float: false },
    );
    assert.match(String(metadata[0].data!.device_name), /Earshot_test_mic/);
    assert.equal(metadata[0].data!.device_sample_rate, 16000, 'PulseAudio opens at the rate asked for');
    void pulse.playToMic(tone);
    await waitFor(() => toneAfterOnset(run.samples(), 1) !== undefined, '1 s of the tone');
    const { hz, rms } = measure(toneAfterOnset(run.samples(), 1)!);
    assert.ok(Math.abs(hz - 1000) < 20, `a 1 kHz tone, measured ${hz.toFixed(1)} Hz`);
    assert.ok(Math.abs(rms - 0.5 / Math.SQRT2) < 0.05, `at the amplitude played (0.5 peak), RMS ${rms.toFixed(3)}`);
    run.child.kill('SIGTERM');
    const end = await endOf(run);
    assert.deepEqual(end, { code: 0, signal: null });
    assert.equal(run.lines.at(-1)!.message_type, 'stream_stop');
  });

  it('microphone: a reader that stops reading (its FIFO full) holds up neither SIGTERM nor the stop', async () => {
    const fifo = path.join(dir, 'unread.fifo');
    fs.rmSync(fifo, { force: true });
    assert.equal(spawnSync('mkfifo', ['-m', '600', fifo]).status, 0);
    const fd = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK); // a reader that never reads
    const child = spawn(binary, ['microphone', '--sample-rate', '16000', '--chunk-duration', '0.02'], { env: pulse.env, stdio: ['ignore', fd, 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (t: string) => { stderr += t; });
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
    try {
      // Its main thread waits on the full pipe: in poll() (7) or, had it no bound, in write() (1) (/proc/PID/syscall, proc(5)).
      const syscall = () => { try { return fs.readFileSync(`/proc/${child.pid}/syscall`, 'utf8').split(' ')[0]; } catch { return ''; } };
      await waitFor(() => ['1', '7'].includes(syscall()) && stderr.includes('stream_start'), 'the pipe to fill (64 KiB: about 2 s of audio)', 30_000);
      child.kill('SIGTERM');
      const end = await Promise.race([ended, sleep(10_000).then(() => 'still running' as const)]);
      assert.deepEqual(end, { code: 0, signal: null }, 'SIGTERM ended it although nobody reads');
    } finally {
      child.kill('SIGKILL');
      fs.closeSync(fd);
    }
  });

  it('microphone from the speaker\'s monitor by id, opened at 48 kHz and resampled to 16 kHz here (the macOS path)', async () => {
    const monitor = (await devices()).find((d) => d.name.includes('Earshot_test_speaker'))!;
    const run = start(['microphone', '--device', String(monitor.id), '--device-sample-rate', '48000']);
    await waitFor(() => run.lines.some((l) => l.message_type === 'stream_start'), 'the stream to start');
    const metadata = run.lines.find((l) => l.message_type === 'metadata')!;
    assert.equal(metadata.data!.sample_rate, 16000);
    assert.equal(metadata.data!.device_sample_rate, 48000);
    assert.equal(metadata.data!.device_id, monitor.id);
    void pulse.playToSpeaker(tone);
    await waitFor(() => toneAfterOnset(run.samples(), 1) !== undefined, '1 s of the tone');
    const { hz, rms } = measure(toneAfterOnset(run.samples(), 1)!);
    assert.ok(Math.abs(hz - 1000) < 20, `a 1 kHz tone after resampling, measured ${hz.toFixed(1)} Hz`);
    assert.ok(Math.abs(rms - 0.5 / Math.SQRT2) < 0.05, `unity gain through the resampler, RMS ${rms.toFixed(3)}`);
    run.child.kill('SIGINT');
    assert.deepEqual(await endOf(run), { code: 0, signal: null });
  });

  it('microphone: a device id that is not there is an error line naming it and exit 2, with no audio', async () => {
    const ids = (await devices()).map((d) => d.id);
    const missing = String(Math.max(...ids) + 1000);
    const run = start(['microphone', '--device', missing]);
    const end = await endOf(run);
    assert.equal(end.code, 2);
    assert.equal(run.bytes.length, 0);
    const error = run.lines.find((l) => l.message_type === 'error');
    assert.ok(error, JSON.stringify(run.lines));
    assert.equal(error.data!.context!.device, missing);
    assert.ok(!run.lines.some((l) => l.message_type === 'metadata'));
    const bad = start(['microphone', '--device', 'speaker']);
    assert.equal((await endOf(bad)).code, 2, 'not a number either');
  });

  it('microphone: its reader gone, it stops (EPIPE) and exits 141, as audiotee dies of SIGPIPE', async () => {
    const run = start(['microphone']);
    await waitFor(() => run.bytes.length > 0, 'audio');
    run.child.stdout!.destroy();
    const end = await endOf(run);
    assert.deepEqual(end, { code: 141, signal: null });
  });

  describe('system: the stand-in audiotee beside it', () => {
    let app: string;
    let argsFile: string;
    let signalFile: string;
    /** Bytes the stand-in writes: every byte value, so nothing in between may translate or drop one. */
    const payload = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

    before(() => {
      app = path.join(dir, 'App', 'Contents', 'MacOS');
      fs.mkdirSync(app, { recursive: true });
      fs.copyFileSync(binary, path.join(app, 'earshot-capture'));
      fs.chmodSync(path.join(app, 'earshot-capture'), 0o755);
      argsFile = path.join(dir, 'args.txt');
      signalFile = path.join(dir, 'signal.txt');
      fs.writeFileSync(path.join(dir, 'payload.bin'), payload);
      // A stand-in that records its arguments, writes the payload, then runs until SIGTERM (exit 0 then, as audiotee
      // does, AudioTee.swift:146-166) or for 30 s at most, or exits with the status EXIT_WITH asks for.
      fs.writeFileSync(path.join(app, 'audiotee'), [
        '#!/bin/sh',
        `echo $$ > '${path.join(dir, 'audiotee.pid')}'`,
        `printf '%s\\n' "$@" > '${argsFile}'`,
        `trap 'echo TERM > "${signalFile}"; exit 0' TERM`,
        `cat '${path.join(dir, 'payload.bin')}'`,
        'if [ -n "$EXIT_WITH" ]; then exit "$EXIT_WITH"; fi',
        'i=0; while [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done',
        'exit 124',
        '',
      ].join('\n'), { mode: 0o755 });
    });
    beforeEach(() => { fs.rmSync(argsFile, { force: true }); fs.rmSync(signalFile, { force: true }); });

    const standIn = (args: string[], env: NodeJS.ProcessEnv = {}) => {
      const run = new Run(spawn(path.join(app, 'earshot-capture'), args, { env: { ...pulse.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
      runs.push(run);
      return run;
    };

    it('runs it with the arguments, its stdout byte for byte, SIGTERM passed on, and exits with its status', async () => {
      const args = ['--sample-rate', '16000', '--chunk-duration', '0.02', '--include-processes', '612', 'Google Chrome'];
      const run = standIn(['system', ...args]);
      await waitFor(() => run.bytes.length >= payload.length && fs.existsSync(argsFile), 'the stand-in to write');
      assert.deepEqual(fs.readFileSync(argsFile, 'utf8').split('\n').slice(0, -1), args);
      assert.deepEqual(run.bytes, payload);
      run.child.kill('SIGTERM');
      assert.deepEqual(await endOf(run), { code: 0, signal: null });
      assert.equal(fs.readFileSync(signalFile, 'utf8'), 'TERM\n', 'the stand-in got the SIGTERM');
    });

    it('the daemon finds the app, not its audiotee, among who holds the FIFO (real lsof), and one signal to its group ends both (P6)', async function () {
      // macOS: the daemon finds the app's PID with lsof on the stdout FIFO and SIGKILLs an app still in its tap setup
      // (daemon/capture/macCaptureApp.ts); the tap's audiotee runs as earshot-capture's child and holds the FIFO too.
      const fifo = path.join(dir, 'stdout.fifo');
      fs.rmSync(fifo, { force: true });
      const made = spawnSync('mkfifo', ['-m', '600', fifo]);
      assert.equal(made.status, 0, String(made.stderr));
      const fd = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK); // the daemon's read end (and its own writer)
      const pidFile = path.join(dir, 'audiotee.pid');
      fs.rmSync(pidFile, { force: true });
      // Started as LaunchServices starts it: not the daemon's child (its parent is launchd there; here the shell
      // that started it has exited, so it is init's or a subreaper's).
      const appPidFile = path.join(dir, 'app.pid');
      fs.rmSync(appPidFile, { force: true });
      const started = spawnSync('sh', ['-c', `"$0" system --sample-rate 16000 & echo $! > "$1"`, path.join(app, 'earshot-capture'), appPidFile], { stdio: ['ignore', fd, 'inherit'] });
      assert.equal(started.status, 0);
      // Gone: no such process, or a zombie that its new parent has not reaped yet (state Z in /proc/PID/stat, proc(5)).
      const gone = (pid: number) => {
        try { process.kill(pid, 0); } catch { return true; }
        try { return /^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return true; }
      };
      const appPid = Number(fs.readFileSync(appPidFile, 'utf8'));
      try {
        await waitFor(() => fs.existsSync(argsFile) && fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').endsWith('\n'), 'the stand-in to start');
        const audiotee = Number(fs.readFileSync(pidFile, 'utf8'));
        assert.notEqual(audiotee, appPid);
        assert.equal(await lsofHelperPid(fifo, 'lsof'), appPid, 'the app, not its child, and not this process');
        signalAppGroup(appPid, 'SIGKILL');
        await waitFor(() => gone(appPid), 'the app to be gone');
        await waitFor(() => gone(audiotee), 'its audiotee to be gone too');
      } finally {
        try { process.kill(-appPid, 'SIGKILL'); } catch { /* gone */ }
        fs.closeSync(fd);
      }
    });

    it('exits with the stand-in\'s own status; audiotee\'s arguments alone (the earlier launch) run it the same way', async () => {
      const failed = standIn(['system', '--sample-rate', '16000'], { EXIT_WITH: '3' });
      assert.deepEqual(await endOf(failed), { code: 3, signal: null });
      const legacy = standIn(['--sample-rate', '16000'], { EXIT_WITH: '0' });
      assert.deepEqual(await endOf(legacy), { code: 0, signal: null });
      assert.deepEqual(fs.readFileSync(argsFile, 'utf8').split('\n').slice(0, -1), ['--sample-rate', '16000']);
      assert.deepEqual(legacy.bytes, payload);
    });
  });
});
