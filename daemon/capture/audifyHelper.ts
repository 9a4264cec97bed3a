/**
 * The audify (RtAudio) capture helper: run by the daemon as `<node> audifyHelper.js …` with the daemon's own Node
 * runtime, so it needs nothing installed beyond Earshot itself. It follows the recorder helper contract
 * (recorder.ts): 16 kHz mono s16le PCM on stdout until SIGTERM, errors as text on stderr, non-zero exit when it
 * cannot capture.
 *
 * Why a child process and not RtAudio inside the daemon: RtAudio's PulseAudio API holds the stream mutex while it
 * blocks in pa_simple_read, and stop()/closeStream() take that mutex and join its thread. A frozen sound server
 * would block the daemon's event loop in stop() for as long as it stays frozen; a child is simply killed. It also
 * keeps a native crash out of the daemon. The cost is one small Node process per running source.
 *
 *   --list                   print {api, devices} as JSON and exit
 *   --kind mic|system        what to capture (default mic)
 *   --device NAME            an RtAudio device name (default: the system's default input; for system audio
 *                            Linux: "Monitor of <default output>", Windows: the default output as a WASAPI loopback)
 *   --rate 16000 --channels 1 --format s16le   the helper contract's output (only these values are accepted)
 */
import { Resampler } from './resample';
import { CAPTURE_PERIOD_MS } from './source';

/** The subset of audify's API used here (audify ships its own .d.ts, but it is an optional dependency). */
export interface RtDeviceInfo {
  id: number;
  name: string;
  inputChannels: number;
  outputChannels: number;
  isDefaultInput: boolean;
  isDefaultOutput: boolean;
  preferredSampleRate: number;
  sampleRates: number[];
}
interface RtAudioInstance {
  getApi(): string;
  getDevices(): RtDeviceInfo[];
  getDefaultInputDevice(): number;
  getDefaultOutputDevice(): number;
  openStream(output: null, input: { deviceId: number; nChannels: number; firstChannel: number }, format: number, sampleRate: number, frameSize: number,
    streamName: string, inputCallback: (data: Buffer) => void, outputCallback: null, flags: number, errorCallback: (type: number, msg: string) => void): number;
  start(): void;
  stop(): void;
  closeStream(): void;
}
interface Audify {
  RtAudio: new (api?: number) => RtAudioInstance;
  RtAudioApi: Record<string, number>;
  RtAudioFormat: Record<string, number>;
}

export type HelperKind = 'mic' | 'system';

export interface HelperArgs {
  list: boolean;
  kind: HelperKind;
  device?: string;
}

/** Parses the helper's arguments; throws with a clear message on anything else. */
export function parseHelperArgs(argv: string[]): HelperArgs {
  const args: HelperArgs = { list: false, kind: 'mic' };
  const expect: Record<string, string> = { '--rate': '16000', '--channels': '1', '--format': 's16le' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--list') args.list = true;
    else if (a === '--kind') {
      const k = value();
      if (k !== 'mic' && k !== 'system') throw new Error(`--kind must be mic or system, not "${k}"`);
      args.kind = k;
    } else if (a === '--device') args.device = value();
    else if (a in expect) {
      const v = value();
      if (v !== expect[a]) throw new Error(`${a} ${v} is not supported (only ${expect[a]})`);
    } else throw new Error(`unknown argument "${a}"`);
  }
  return args;
}

/** The RtAudio API to use on this OS: PulseAudio on Linux (lists monitors, honours PULSE_SERVER), else the OS's own. */
export function preferredApi(platform: NodeJS.Platform): 'LINUX_PULSE' | 'MACOSX_CORE' | 'WINDOWS_WASAPI' | 'UNSPECIFIED' {
  if (platform === 'linux') return 'LINUX_PULSE';
  if (platform === 'darwin') return 'MACOSX_CORE';
  if (platform === 'win32') return 'WINDOWS_WASAPI';
  return 'UNSPECIFIED';
}

export interface OpenPlan {
  device: RtDeviceInfo;
  /** Channels to open (1 for a microphone; up to 2 of a loopback, mixed down). */
  channels: number;
  sampleRate: number;
  /** WASAPI: an output device opened as an input captures what it plays. */
  loopback: boolean;
}

/**
 * Which device to open, and how. Throws a message the daemon's fault classification understands ("not found",
 * "no default audio device"). PulseAudio resamples to 16 kHz itself; CoreAudio and WASAPI are opened at the
 * device's own rate (changing a device's rate would change it for every other program) and resampled here.
 */
export function planOpen(devices: RtDeviceInfo[], api: string, kind: HelperKind, requested: string | undefined, platform: NodeJS.Platform): OpenPlan {
  const wasapi = platform === 'win32' && /wasapi/i.test(api);
  const byName = (name: string) => devices.find((d) => d.name === name);
  let device: RtDeviceInfo | undefined;
  let loopback = false;
  if (requested && requested !== 'default') {
    device = byName(requested);
    if (!device) throw new Error(`device "${requested}" not found (${devices.filter((d) => d.inputChannels > 0 || (wasapi && kind === 'system')).map((d) => d.name).join(', ') || 'no devices'})`);
    loopback = wasapi && kind === 'system' && device.inputChannels === 0 && device.outputChannels > 0;
  } else if (kind === 'mic') {
    device = devices.find((d) => d.isDefaultInput && d.inputChannels > 0) ?? devices.find((d) => d.inputChannels > 0);
    if (!device) throw new Error('no default audio device: no input device');
  } else {
    const output = devices.find((d) => d.isDefaultOutput && d.outputChannels > 0);
    if (!output) throw new Error('no default audio device: no output device to capture');
    if (wasapi) {
      device = output;
      loopback = true;
    } else {
      // PulseAudio (RtAudio names devices by their description): the default sink's monitor source.
      device = byName(`Monitor of ${output.name}`);
      if (!device) throw new Error(`device "Monitor of ${output.name}" not found: the default output has no monitor`);
    }
  }
  if (!loopback && device.inputChannels === 0) throw new Error(`device "${device.name}" has no input channels (not found as an input)`);
  const available = loopback ? device.outputChannels : device.inputChannels;
  const channels = kind === 'system' ? Math.min(2, available) : 1;
  const pulse = /pulse/i.test(api);
  const sampleRate = pulse ? 16000 : device.preferredSampleRate || 48000;
  return { device, channels, sampleRate, loopback };
}

/** Interleaved s16le with `channels` channels at `rate` → 16 kHz mono s16le. */
export class ToMono16k {
  private readonly resampler: Resampler | undefined;
  private carry = Buffer.alloc(0);

  constructor(private readonly channels: number, rate: number) {
    this.resampler = rate === 16000 ? undefined : new Resampler(rate, 16000);
  }

  push(chunk: Buffer): Buffer {
    const bytes = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const frameBytes = 2 * this.channels;
    const frames = Math.floor(bytes.length / frameBytes);
    this.carry = Buffer.from(bytes.subarray(frames * frameBytes));
    if (this.channels === 1 && !this.resampler) return Buffer.from(bytes.subarray(0, frames * frameBytes));
    const mono = new Float32Array(frames);
    for (let f = 0; f < frames; f++) {
      let sum = 0;
      for (let c = 0; c < this.channels; c++) sum += bytes.readInt16LE((f * this.channels + c) * 2);
      mono[f] = sum / this.channels / 32768;
    }
    const out = this.resampler ? this.resampler.push(mono) : mono;
    const pcm = Buffer.alloc(out.length * 2);
    for (let i = 0; i < out.length; i++) pcm.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(out[i] * 32768))), i * 2);
    return pcm;
  }
}

function loadAudify(): Audify {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('audify') as Audify;
}

function main(argv: string[]): void {
  let args: HelperArgs;
  try {
    args = parseHelperArgs(argv);
  } catch (e) {
    process.stderr.write(`audify helper: ${(e as Error).message}\n`);
    process.exit(2);
  }
  let audify: Audify;
  try {
    audify = loadAudify();
  } catch (e) {
    process.stderr.write(`audify helper: audify does not load: ${(e as Error).message}\n`);
    process.exit(3);
  }
  const apiName = preferredApi(process.platform);
  const rt = new audify.RtAudio(audify.RtAudioApi[apiName]);
  const api = rt.getApi();
  const devices = rt.getDevices();
  if (args.list) {
    process.stdout.write(JSON.stringify({ api, devices }) + '\n');
    return;
  }
  // PulseAudio with no server: RtAudio lists nothing. Say it the way the fault classification reads it.
  if (devices.length === 0 && /pulse/i.test(api)) {
    process.stderr.write('audify helper: pa_context_connect() failed: Connection refused (no PulseAudio server)\n');
    process.exit(1);
  }
  let plan: OpenPlan;
  try {
    plan = planOpen(devices, api, args.kind, args.device, process.platform);
  } catch (e) {
    process.stderr.write(`audify helper: ${(e as Error).message}\n`);
    process.exit(1);
  }
  let failed = false;
  const fail = (message: string) => {
    if (failed) return;
    failed = true;
    process.stderr.write(`audify helper: ${message}\n`, () => process.exit(1));
  };
  process.stdout.on('error', () => process.exit(0)); // the daemon closed the pipe: nobody listens any more
  let generation = 0;
  const open = (plan: OpenPlan): boolean => {
    const mine = ++generation;
    const convert = new ToMono16k(plan.channels, plan.sampleRate);
    const startedAt = performance.now();
    let deviceFrames = 0;
    let skipFirst = /pulse/i.test(api);
    // The period live capture is started with everywhere (parec --latency-msec, ffmpeg -fragment_size).
    const frameSize = Math.round((plan.sampleRate * CAPTURE_PERIOD_MS) / 1000);
    try {
      rt.openStream(null, { deviceId: plan.device.id, nChannels: plan.channels, firstChannel: 0 }, audify.RtAudioFormat.RTAUDIO_SINT16, plan.sampleRate, frameSize,
        'Earshot', (data) => {
          if (failed || mine !== generation) return;
          // RtAudio's PulseAudio loop calls back before its first read: that buffer is zeros, not audio, and placing
          // it would start the capture clock before the server delivers anything (a restarted server takes a second).
          if (skipFirst) {
            skipFirst = false;
            return;
          }
          // After a read error (server killed) RtAudio keeps calling back with its stale buffer as fast as it can, and
          // audify reports the error on another queue: audio ahead of the wall clock is that spin, never real audio
          // (a frozen server's burst only gives back time that passed).
          deviceFrames += data.length / (2 * plan.channels);
          if (deviceFrames / plan.sampleRate - (performance.now() - startedAt) / 1000 > MAX_AHEAD_SEC) {
            fail('Connection terminated: RtAudio delivered audio faster than real time (stale buffers after a read error)');
            return;
          }
          const pcm = convert.push(data);
          if (pcm.length) process.stdout.write(pcm);
        }, null, 0, (type, msg) => fail(`${msg} (RtAudio error ${type})`));
      rt.start();
    } catch (e) {
      fail((e as Error).message);
      return false;
    }
    process.stderr.write(`audify helper: ${api} "${plan.device.name}"${plan.loopback ? ' (loopback)' : ''} at ${plan.sampleRate} Hz, ${plan.channels} ch\n`);
    return true;
  };
  if (!open(plan)) return;
  // main() returns while the stream runs: the RtAudio object must stay reachable, or collecting it ends the stream.
  keepAlive.push(rt);
  if (plan.loopback && (!args.device || args.device === 'default')) {
    // Windows: "the default output" follows the user's choice (headset plugged in, speakers chosen in the tray).
    let current = plan.device.name;
    setInterval(() => {
      if (failed) return;
      let next: OpenPlan;
      try {
        next = planOpen(new audify.RtAudio(audify.RtAudioApi[apiName]).getDevices(), api, 'system', undefined, process.platform);
      } catch {
        return; // no output device at the moment: keep the stream we have until one appears
      }
      if (next.device.name === current) return;
      process.stderr.write(`audify helper: the default output changed from "${current}" to "${next.device.name}"\n`);
      current = next.device.name;
      try {
        rt.stop();
        rt.closeStream();
      } catch { /* the old device may be gone already */ }
      const devicesNow = rt.getDevices();
      open(planOpen(devicesNow, api, 'system', undefined, process.platform));
    }, DEFAULT_DEVICE_POLL_MS).unref();
  }
  // No rt.stop() on SIGTERM: with a frozen server it would block on RtAudio's mutex. The OS closes the stream.
  const quit = () => process.exit(0);
  process.on('SIGTERM', quit);
  process.on('SIGINT', quit);
}

const keepAlive: unknown[] = [];
/** How far ahead of the wall clock the delivered audio may run before it counts as RtAudio's error spin. */
const MAX_AHEAD_SEC = 0.25;
/** How often a WASAPI loopback of "the default output" checks whether the default changed. */
const DEFAULT_DEVICE_POLL_MS = 2000;
if (require.main === module) main(process.argv.slice(2));
