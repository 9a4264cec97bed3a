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
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Resampler } from './resample';
import { SilentBatcher } from './silentBatch';
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
 * "no default audio device"). PulseAudio resamples to 16 kHz itself; Core Audio and WASAPI are opened at the rate the
 * device runs at now and resampled here, because opening at another rate changes the device's rate for every program:
 * - WASAPI: RtAudio's preferredSampleRate is the shared-mode mix format's rate (RtAudio.cpp:5189), the device's own.
 * - Core Audio: preferredSampleRate is the highest supported rate up to 48 kHz (RtAudio.cpp:1379-1401), not the current
 *   one (read at :1421 but not exported by audify: rt_audio_converter.cpp:10-19), and opening at another rate sets the
 *   device's nominal rate (:1651-1686): a 44.1 kHz interface, or BlackHole in a 44.1 kHz Multi-Output Device, would be
 *   switched to 48 kHz mid-call. `currentRates` (from macosCurrentRates(): system_profiler) gives the rate it runs at.
 * Names are matched with the direction in mind: WASAPI lists render endpoints first (RtAudio.cpp:5031-5047) and names
 * each by its friendly name (:5155), so a headset's microphone and its speakers can share a name.
 */
export function planOpen(devices: RtDeviceInfo[], api: string, kind: HelperKind, requested: string | undefined, platform: NodeJS.Platform, profile?: CoreAudioDevice[]): OpenPlan {
  const wasapi = platform === 'win32' && /wasapi/i.test(api);
  // A microphone is an input; system audio on WASAPI is an output opened as a loopback input first, else an input
  // (Stereo Mix, VB-CABLE's output); elsewhere system audio is an input (a monitor, a loopback driver).
  const byName = (name: string) => {
    const named = devices.filter((d) => d.name === name);
    if (kind === 'system' && wasapi) return named.find((d) => d.outputChannels > 0) ?? named.find((d) => d.inputChannels > 0) ?? named[0];
    return named.find((d) => d.inputChannels > 0) ?? named[0];
  };
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
  const current = profile && coreAudioDeviceFor(device.name, profile)?.rate;
  const sampleRate = pulse ? 16000 : current && device.sampleRates.includes(current) ? current : device.preferredSampleRate || 48000;
  return { device, channels, sampleRate, loopback };
}

/** RtAudio names a Core Audio device "<manufacturer>: <name>", the manufacturer possibly empty (RtAudio.cpp:1231-1268): the name. */
export function coreAudioDeviceName(rtName: string): string {
  const at = rtName.indexOf(': ');
  return at < 0 ? rtName : rtName.slice(at + 2);
}

/** A Core Audio device as system_profiler lists it: its name (Core Audio's, in UTF-8), the rate it runs at now, how it is connected. */
export interface CoreAudioDevice {
  name: string;
  manufacturer?: string;
  rate?: number;
  /** coreaudio_device_type_builtin, _usb, _bluetooth, _virtual (BlackHole, Teams Audio), _aggregate, … */
  transport?: string;
}

/**
 * The devices in `system_profiler SPAudioDataType -json`: `{ SPAudioDataType: [{ _name: "coreaudio_device", _items:
 * [{ _name, coreaudio_device_manufacturer, coreaudio_device_srate, coreaudio_device_transport, … }] }] }` (the fields
 * as github.com/sebhildebrandt/systeminformation lib/audio.js reads them at 022c2fb, and as
 * samburba/go-system-profiler type/audio/audio.go declares them at 122bcd2; the nesting varies between macOS versions,
 * so every level is walked). Devices with the same name are all kept: which one RtAudio means is decided by rate.
 */
export function parseCoreAudioDevices(json: string): CoreAudioDevice[] {
  const devices: CoreAudioDevice[] = [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return devices;
  }
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const item = node as Record<string, unknown>;
    const { _name: name, coreaudio_device_srate: rate, coreaudio_device_transport: transport, coreaudio_device_manufacturer: manufacturer } = item;
    if (typeof name === 'string' && (typeof rate === 'number' || typeof transport === 'string')) {
      devices.push({
        name,
        ...(typeof manufacturer === 'string' ? { manufacturer } : {}),
        ...(typeof rate === 'number' && rate > 0 ? { rate: Math.round(rate) } : {}),
        ...(typeof transport === 'string' ? { transport } : {}),
      });
    }
    for (const value of Object.values(item)) if (typeof value === 'object') walk(value);
  };
  walk(parsed);
  return devices;
}

/**
 * MacRoman's upper half, byte 0x80 first: CF's own table (opensource-apple/CF 1153.18, CFBuiltinConverters.c:293-422,
 * macRoman_to_uni), plus U+2126 OHM SIGN, which it also writes as 0xBD (:266).
 */
const MAC_ROMAN_HIGH = 'ÄÅÇÉÑÖÜáàâäãåçéèêëíìîïñóòôöõúùûü†°¢£§•¶ß®©™´¨≠ÆØ∞±≤≥¥µ∂∑∏π∫ªºΩæø¿¡¬√ƒ≈∆«»…\u00A0ÀÃÕŒœ–—“”‘’÷◊ÿŸ⁄€‹›ﬁﬂ‡·‚„‰ÂÊÁËÈÍÎÏÌÓÔ\uF8FFÒÚÛÙıˆ˜¯˘˙˚¸˝˛ˇ';
const TO_MAC_ROMAN = new Map<number, number>([...MAC_ROMAN_HIGH].map((c, i) => [c.codePointAt(0)!, 0x80 + i] as [number, number]).concat([[0x2126, 0xbd]]));

/**
 * The name RtAudio gives JavaScript for a Core Audio name. audify builds RtAudio without UNICODE, so RtAudio converts
 * with CFStringGetSystemEncoding() (RtAudio.cpp:1244, :1265), which is MacRoman on macOS (CFString.c:424, :432 at
 * 1153.18), precomposing accented letters (CFBuiltinConverters.c:429-440); a name with a character MacRoman lacks
 * fails to convert and CFStringGetCString leaves "" (CFString.c:2191-2199). audify hands the bytes to JavaScript as
 * UTF-8 (rt_audio_converter.cpp:11, a Napi string from std::string), where every byte that is not UTF-8 becomes
 * U+FFFD, as Buffer's own UTF-8 decoding does: "Jane’s AirPods" arrives as "Jane\uFFFDs AirPods".
 */
export function rtAudioCoreName(name: string): string {
  const bytes: number[] = [];
  for (const c of name.normalize('NFC')) {
    const code = c.codePointAt(0)!;
    const byte = code < 0x80 ? code : TO_MAC_ROMAN.get(code);
    if (byte === undefined) return '';
    bytes.push(byte);
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Only the ASCII letters and digits, lower case: what survives any encoding mix-up (an accented letter is lost whole). */
const asciiSkeleton = (name: string) => name.normalize('NFC').replace(/[^A-Za-z0-9]/g, '').toLowerCase();

/**
 * The system_profiler device RtAudio's `rtName` is: the same name; else the name as RtAudio mangles it
 * (rtAudioCoreName, with the manufacturer when the name did not convert at all); else the same ASCII skeleton.
 * Undefined when no device matches, or when several do that differ (two devices of one name at different rates).
 */
export function coreAudioDeviceFor(rtName: string, devices: CoreAudioDevice[]): CoreAudioDevice | undefined {
  const at = rtName.indexOf(': ');
  const [maker, name] = at < 0 ? [undefined, rtName] : [rtName.slice(0, at), rtName.slice(at + 2)];
  const skeleton = asciiSkeleton(name);
  const ways: ((d: CoreAudioDevice) => boolean)[] = [
    (d) => d.name === name,
    (d) => rtAudioCoreName(d.name) === name && (name !== '' || (maker !== undefined && d.manufacturer !== undefined && rtAudioCoreName(d.manufacturer) === maker)),
    (d) => skeleton !== '' && asciiSkeleton(d.name) === skeleton,
  ];
  for (const way of ways) {
    const found = devices.filter(way);
    if (found.length === 0) continue;
    return found.every((d) => d.rate === found[0].rate && d.transport === found[0].transport) ? found[0] : undefined;
  }
  return undefined;
}

/** macOS: system_profiler's audio devices (parseCoreAudioDevices); none when it cannot tell. */
export function macosCoreAudioDevices(env: NodeJS.ProcessEnv = process.env, timeoutMs = 10_000): Promise<CoreAudioDevice[]> {
  return new Promise((resolve) => {
    execFile('system_profiler', ['SPAudioDataType', '-json'], { env, timeout: timeoutMs, maxBuffer: 8 << 20, encoding: 'utf8' },
      (error, stdout) => resolve(error ? [] : parseCoreAudioDevices(stdout)));
  });
}

/** How long system_profiler's answer is used while RtAudio lists the same devices (a rate changed in Audio MIDI Setup is seen after this). */
export const CORE_AUDIO_PROFILE_MS = 5 * 60_000;

/** Where the helpers keep system_profiler's answer: a folder of this user's in the temporary folder ($TMPDIR is per user on macOS). */
export function coreAudioProfileFile(): string {
  return path.join(os.tmpdir(), `earshot-${typeof process.getuid === 'function' ? process.getuid() : 'user'}`, 'coreaudio-devices.json');
}

/**
 * system_profiler's devices, run at most once per CORE_AUDIO_PROFILE_MS while RtAudio lists the same devices (`listed`:
 * their ids and names; RtAudio numbers Core Audio's list in its order from 129, RtAudio.cpp:674, :1160-1167, so a
 * device added or removed changes them). system_profiler takes a noticeable time (about 0.2 s for one data type on an
 * M1, palera1n/palera1n#351; longer with many Bluetooth devices), and every capture start is a new helper process, so
 * the answer is kept in `file` for the next one. A folder that is not this user's own is not used.
 */
export async function cachedCoreAudioDevices(listed: string[], options: { file?: string; now?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CoreAudioDevice[]> {
  const file = options.file ?? coreAudioProfileFile();
  const now = options.now ?? Date.now();
  const key = [...listed].sort();
  try {
    const kept = JSON.parse(fs.readFileSync(file, 'utf8')) as { at?: unknown; listed?: unknown; devices?: unknown };
    if (typeof kept.at === 'number' && now - kept.at >= 0 && now - kept.at < CORE_AUDIO_PROFILE_MS && JSON.stringify(kept.listed) === JSON.stringify(key) && Array.isArray(kept.devices)) {
      return kept.devices as CoreAudioDevice[];
    }
  } catch { /* none kept yet, or unreadable: ask system_profiler */ }
  const devices = await macosCoreAudioDevices(options.env);
  if (devices.length > 0) {
    try {
      const dir = path.dirname(file);
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const owner = fs.lstatSync(dir);
      if (owner.isDirectory() && (typeof process.getuid !== 'function' || owner.uid === process.getuid())) {
        const partial = `${file}.${process.pid}`;
        fs.writeFileSync(partial, JSON.stringify({ at: now, listed: key, devices }), { mode: 0o600, flag: 'w' });
        fs.renameSync(partial, file); // whole for a helper that reads it meanwhile
      }
    } catch { /* not kept: the next start asks again */ }
  }
  return devices;
}

/**
 * The helper's stderr line naming what it opened, with system_profiler's transport of the device when known (how the
 * daemon tells a virtual input such as BlackHole from a microphone: silence.ts).
 */
export function openedLine(api: string, plan: OpenPlan, transport?: string): string {
  return `audify helper: ${api} "${plan.device.name}"${plan.loopback ? ' (loopback)' : ''} at ${plan.sampleRate} Hz, ${plan.channels} ch${transport ? ` [${transport}]` : ''}`;
}

/** openedLine's device name and transport; undefined for any other line. */
export function parseOpenedLine(line: string): { device: string; transport?: string } | undefined {
  const m = /^audify helper: .*? "(.*)"(?: \(loopback\))? at \d+ Hz, \d+ ch(?: \[([\w-]+)\])?$/.exec(line);
  return m ? { device: m[1], ...(m[2] ? { transport: m[2] } : {}) } : undefined;
}

/**
 * RtAudio 6's error types (RtAudio.h:230-241). audify hands RtAudio's own number to the error callback
 * (src/rt_audio.cpp:164-179); its JS enum RtAudioErrorType (index.js:40-52) is RtAudio 5's and off by one: its WARNING
 * (0) is RTAUDIO_NO_ERROR here, and 1, its DEBUG_WARNING, is RTAUDIO_WARNING.
 */
export const RTAUDIO_ERROR = {
  NO_ERROR: 0, WARNING: 1, UNKNOWN_ERROR: 2, NO_DEVICES_FOUND: 3, INVALID_DEVICE: 4, DEVICE_DISCONNECT: 5, MEMORY_ERROR: 6,
  INVALID_PARAMETER: 7, INVALID_USE: 8, DRIVER_ERROR: 9, SYSTEM_ERROR: 10, THREAD_ERROR: 11,
} as const;

/**
 * Whether an RtAudio message comes from listing the devices, not from a stream. getDevices() probes them
 * (RtAudio.cpp:801-803) and reports what it could not read through the same callback as the stream, as errors: WASAPI's
 * probeDeviceInfo raises RTAUDIO_DRIVER_ERROR for an endpoint whose name, audio client or mix format cannot be had
 * (:5134-5166, :5229-5232: a Bluetooth or HDMI endpoint that is not ready yet), then probeDevices raises it again with
 * the same text on its way out and empties its list (:5107-5114; a failed enumeration ends there too, :4978-5056). The
 * endpoint never joins the list (:5070-5073), so it is probed, and fails, on every poll. None of it touches a running
 * stream (RtApiWasapi::probeDeviceOpen and the stream thread have their own names).
 */
export function isDeviceProbeMessage(message: string): boolean {
  return /^RtApi\w*::probe(Devices|DeviceInfo):/.test(message);
}

/**
 * The capture stream's error callback. audify keeps one error callback for the whole process (src/rt_audio.cpp:8, set
 * by the last openStream, :267-309) and every RtAudio object reports through it (:164-179), so it also hears other
 * objects' warnings: RtAudio 6 warns "no open stream to close" when an object that never opened a stream is destroyed
 * (~RtAudioWrap calls closeStream, :187; WASAPI RtAudio.cpp:5240-5242; warnings are shown, :673, :10914-10925).
 * A warning is not the stream's failure, nor is an error of the device probe (isDeviceProbeMessage: the default-output
 * poll's): each is told once (`warn`, so a device failing every poll is said once) and capture goes on; anything else
 * fails it. The probe's errors arrive after getDevices() has returned (a thread-safe function call queued to the event
 * loop, rt_audio.cpp:164-179), so they are known by their words, not by when they come.
 */
export function rtAudioErrorHandler(fail: (message: string) => void, warn: (message: string) => void): (type: number, message: string) => void {
  const told = new Set<string>();
  return (type, message) => {
    const warning = type === RTAUDIO_ERROR.WARNING || type === RTAUDIO_ERROR.NO_ERROR;
    if (warning || isDeviceProbeMessage(message)) {
      if (!told.has(message) && told.size < 20) {
        told.add(message);
        warn(`${message} (${warning ? 'RtAudio warning' : `RtAudio error ${type} while listing devices`}; capture goes on)`);
      }
      return;
    }
    fail(`${message} (RtAudio error ${type})`);
  };
}

/**
 * Windows' "default output" now, asked of the stream's own RtAudio object: getDevices() probes the devices again
 * (RtAudio.cpp:801-803; WASAPI reads the default render endpoint anew, :5021, :5085-5094). Returns the plan for the
 * new default when it is no longer `current`, else undefined (also when there is no output at the moment: the stream
 * in hand is kept until one appears). A new RtAudio object per poll would warn when collected (rtAudioErrorHandler).
 */
export function defaultOutputChange(rt: Pick<RtAudioInstance, 'getDevices'>, api: string, platform: NodeJS.Platform, current: string): OpenPlan | undefined {
  let next: OpenPlan;
  try {
    next = planOpen(rt.getDevices(), api, 'system', undefined, platform);
  } catch {
    return undefined;
  }
  return next.device.name === current ? undefined : next;
}

/**
 * RtAudio's stale-buffer spin after a read error (a killed sound server): it calls back as fast as it can with its old
 * buffer, and audify reports the error on another queue. Audio that runs ahead of the wall clock is that spin, never
 * real audio (a frozen server's burst only gives back time that passed). The tolerance grows with the time the stream
 * has run: device clocks drift from the system's (a clock 100 ppm fast is 0.36 s ahead after an hour, which a fixed
 * 0.25 s tripped after 42 minutes); 2000 ppm is beyond any audio clock, and a spin, many times real time, still
 * trips it within seconds even after hours.
 */
export class StaleBufferGuard {
  static readonly BASE_SEC = 0.25;
  static readonly DRIFT = 0.002;
  private frames = 0;

  constructor(private readonly sampleRate: number, private readonly startedAt: number) {}

  /** Counts `frames` delivered at `now` (ms, performance.now()); true when the audio is ahead of the wall clock by more than it can be. */
  isAhead(frames: number, now: number): boolean {
    this.frames += frames;
    const elapsed = (now - this.startedAt) / 1000;
    return this.frames / this.sampleRate - elapsed > StaleBufferGuard.BASE_SEC + StaleBufferGuard.DRIFT * elapsed;
  }
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

async function main(argv: string[]): Promise<void> {
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
  // Core Audio: the rate each device runs at now, so that opening it changes nothing for other programs (planOpen).
  const profile = /core/i.test(api) ? await cachedCoreAudioDevices(devices.map((d) => `${d.id} ${d.name}`)) : undefined;
  let plan: OpenPlan;
  try {
    plan = planOpen(devices, api, args.kind, args.device, process.platform, profile);
  } catch (e) {
    process.stderr.write(`audify helper: ${(e as Error).message}\n`);
    process.exit(1);
  }
  let failed = false;
  const fail = (message: string) => {
    if (failed) return;
    failed = true;
    // The exit comes even if stderr never takes the line (a daemon that stopped reading): `failed` stops the audio,
    // so a helper waiting on its own write would otherwise live on, delivering nothing.
    setTimeout(() => process.exit(1), FAIL_EXIT_MS);
    process.stderr.write(`audify helper: ${message}\n`, () => process.exit(1));
  };
  process.stdout.on('error', () => process.exit(0)); // the daemon closed the pipe: nobody listens any more
  const onError = rtAudioErrorHandler(fail, (message) => process.stderr.write(`audify helper: ${message}\n`));
  let generation = 0;
  // One for the helper's output, across a reopened device: what it holds is written with the next period.
  const batcher = new SilentBatcher();
  const open = (plan: OpenPlan): boolean => {
    const mine = ++generation;
    const convert = new ToMono16k(plan.channels, plan.sampleRate);
    const guard = new StaleBufferGuard(plan.sampleRate, performance.now());
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
          if (guard.isAhead(data.length / (2 * plan.channels), performance.now())) {
            fail('Connection terminated: RtAudio delivered audio faster than real time (stale buffers after a read error)');
            return;
          }
          const pcm = convert.push(data);
          const out = pcm.length ? batcher.push(pcm) : undefined;
          if (out) process.stdout.write(out);
        }, null, 0, onError);
      rt.start();
    } catch (e) {
      fail((e as Error).message);
      return false;
    }
    process.stderr.write(`${openedLine(api, plan, profile && coreAudioDeviceFor(plan.device.name, profile)?.transport)}\n`);
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
      const next = defaultOutputChange(rt, api, process.platform, current);
      if (!next) return;
      process.stderr.write(`audify helper: the default output changed from "${current}" to "${next.device.name}"\n`);
      current = next.device.name;
      try {
        rt.stop();
        rt.closeStream();
      } catch { /* the old device may be gone already */ }
      open(next); // its device id comes from this same object's list, read a moment ago
    }, DEFAULT_DEVICE_POLL_MS).unref();
  }
  // No rt.stop() on SIGTERM: with a frozen server it would block on RtAudio's mutex. The OS closes the stream. The
  // silence the batcher holds (under 100 ms) is not written: the daemon stops a recorder when it is done with it (a
  // stop, a pause, a restart whose first chunk is placed at its own arrival), as it drops a pause's partial frame.
  const quit = () => process.exit(0);
  process.on('SIGTERM', quit);
  process.on('SIGINT', quit);
}

const keepAlive: unknown[] = [];
/** How long a failed helper waits for its last stderr line to be taken before it exits anyway. */
const FAIL_EXIT_MS = 1000;
/** How often a WASAPI loopback of "the default output" checks whether the default changed. */
const DEFAULT_DEVICE_POLL_MS = 2000;
if (require.main === module) void main(process.argv.slice(2));
