/**
 * A stand-in for "Earshot Audio Capture.app" in unit tests: a bundle whose CFBundleExecutable, earshot-capture, does
 * what the recorder's interface says (fixed for issue 54; daemon/capture/macMicrophone.ts's header), with the fake
 * audiotee (fake-audiotee.ts) beside it:
 *   `devices`      one JSON line {"devices":[{id, name, inputChannels, isDefaultInput, sampleRates, preferredSampleRate}]}
 *                  on stdout, exit 0;
 *   `microphone [--device ID|default] [--sample-rate R] [--chunk-duration S]`  s16le mono at R on stdout, in chunks of
 *                  S seconds at real-time pace; JSON lines on stderr in audiotee's shape, one `metadata` line once the
 *                  stream runs; an unknown device: an `error` line and exit 1; SIGTERM: exit 0; a closed stdout: exit;
 *   `system <args>` runs the sibling audiotee with them, stdout and stderr passed through, SIGTERM and SIGINT forwarded,
 *                  its exit status returned.
 * Launched by the fake `open` (fake-open.ts) with an emptied environment, so the plan's path and Node's are written
 * into the script. The plan is read at every start.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CaptureAppDevice } from '../../daemon/capture/macMicrophone';
import { fakeAudioteeDir } from './fake-audiotee';

export interface CaptureAppPlan {
  /** What `devices` lists (default: FAKE_APP_DEVICES). */
  devices?: CaptureAppDevice[];
  /** The microphone's samples: a 440 Hz tone at this amplitude; 0 is what macOS gives a denied microphone. */
  amplitude?: number;
  /** Fields of the `metadata` line to write instead of the stream's true ones (a recorder that gets its format wrong). */
  metadata?: Record<string, unknown>;
  /** A JSON line {pid, args} is appended here at every start of `devices` and `microphone` (and by audiotee of its own). */
  startsFile?: string;
}

/** A built-in microphone, BlackHole, and AirPods whose name has a character audify's MacRoman conversion mangles. */
export const FAKE_APP_DEVICES: CaptureAppDevice[] = [
  { id: 129, name: 'Apple Inc.: MacBook Pro Microphone', inputChannels: 1, isDefaultInput: true, sampleRates: [44100, 48000], preferredSampleRate: 48000 },
  { id: 130, name: 'Existential Audio Inc.: BlackHole 2ch', inputChannels: 2, isDefaultInput: false, sampleRates: [48000], preferredSampleRate: 48000 },
  { id: 131, name: 'Apple Inc.: Jane’s AirPods', inputChannels: 1, isDefaultInput: false, sampleRates: [24000], preferredSampleRate: 24000 },
];

/**
 * Builds the app in `dir` (dir/Earshot Audio Capture.app) with the fake recorder and the fake audiotee, both reading
 * `planFile` (the audiotee's plan is fake-audiotee.ts's AudioteePlan, in the same file); returns the bundle's path.
 */
export function fakeCaptureApp(dir: string, planFile: string): string {
  const app = path.join(dir, 'Earshot Audio Capture.app');
  const macos = path.join(app, 'Contents', 'MacOS');
  fs.mkdirSync(macos, { recursive: true });
  fs.writeFileSync(path.join(app, 'Contents', 'Info.plist'), '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n'
    + '\t<key>CFBundleIdentifier</key>\n\t<string>dev.earshot.audio-capture</string>\n'
    + '\t<key>CFBundleExecutable</key>\n\t<string>earshot-capture</string>\n</dict>\n</plist>\n');
  fs.writeFileSync(path.join(macos, 'earshot-capture'), `#!/bin/sh\nFAKE_CAPTURE_APP_PLAN='${planFile}' FAKE_CAPTURE_APP_DIR='${macos}' exec "${process.execPath}" "${__filename}" "$@"\n`, { mode: 0o755 });
  const audiotee = fakeAudioteeDir(planFile);
  fs.copyFileSync(audiotee.binary, path.join(macos, 'audiotee'));
  fs.chmodSync(path.join(macos, 'audiotee'), 0o755);
  fs.rmSync(audiotee.dir, { recursive: true, force: true });
  return app;
}

function emit(type: string, data?: object): void {
  process.stderr.write(JSON.stringify({ timestamp: new Date().toISOString(), message_type: type, ...(data ? { data } : {}) }) + '\n');
}

function option(args: string[], name: string, fallback: string): string {
  const at = args.indexOf(name);
  return at >= 0 && at + 1 < args.length ? args[at + 1] : fallback;
}

function microphone(plan: CaptureAppPlan, args: string[]): void {
  const device = option(args, '--device', 'default');
  const rate = Number(option(args, '--sample-rate', '16000'));
  const chunk = Number(option(args, '--chunk-duration', '0.02'));
  const devices = plan.devices ?? FAKE_APP_DEVICES;
  if (device !== 'default' && !devices.some((d) => String(d.id) === device && d.inputChannels > 0)) {
    emit('error', { message: `device ${device} not found` });
    process.exit(1);
  }
  emit('info', { message: 'Opening the microphone', context: { device } });
  emit('metadata', { sample_rate: rate, channels_per_frame: 1, bits_per_channel: 16, is_float: false, encoding: 'pcm_s16le', ...plan.metadata });
  const samples = Math.round(rate * chunk);
  const amplitude = plan.amplitude ?? 0.5;
  const started = Date.now();
  let index = 0;
  const timer = setInterval(() => {
    while (index + samples <= ((Date.now() - started) / 1000) * rate) {
      const buf = Buffer.alloc(samples * 2);
      for (let i = 0; i < samples; i++, index++) buf.writeInt16LE(Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * 440 * index) / rate)), 2 * i);
      process.stdout.write(buf);
    }
  }, chunk * 1000);
  process.stdout.on('error', () => process.exit(141));
  process.on('SIGTERM', () => {
    clearInterval(timer);
    process.stdout.end(() => process.exit(0));
  });
}

function system(args: string[]): void {
  const child = spawn(path.join(process.env.FAKE_CAPTURE_APP_DIR!, 'audiotee'), args, { stdio: 'inherit' });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}

function run(plan: CaptureAppPlan): void {
  const [command, ...args] = process.argv.slice(2);
  // `system`: the audiotee it runs says its own start (the tests' helper PID is audiotee's).
  if (plan.startsFile && command !== 'system') fs.appendFileSync(plan.startsFile, JSON.stringify({ pid: process.pid, args: process.argv.slice(2) }) + '\n');
  if (command === 'devices') {
    process.stdout.write(JSON.stringify({ devices: plan.devices ?? FAKE_APP_DEVICES }) + '\n');
    return;
  }
  if (command === 'microphone') return microphone(plan, args);
  if (command === 'system') return system(args);
  emit('error', { message: `unknown command "${command}"` });
  process.exit(2);
}

if (require.main === module) run(JSON.parse(fs.readFileSync(process.env.FAKE_CAPTURE_APP_PLAN!, 'utf8')) as CaptureAppPlan);
