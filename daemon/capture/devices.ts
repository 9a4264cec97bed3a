/**
 * Which microphones and system-audio sources this machine has, which are the defaults, and whether (and how) system
 * audio can be captured at all.
 *
 *   Linux   PulseAudio or PipeWire-Pulse through pactl: sources that monitor a sink are system audio (the monitor
 *           of the default sink is the default), the rest are microphones. Without pactl: ALSA PCMs (arecord -L),
 *           microphones only.
 *   macOS   ffmpeg's avfoundation device list: loopback devices (BlackHole, Loopback, Soundflower, …) are system
 *           audio, the rest microphones.
 *   Windows ffmpeg's DirectShow device list: loopback-capable devices (Stereo Mix, VB-CABLE, virtual-audio-capturer)
 *           are system audio.
 * The macOS and Windows parsers are unit-tested on their documented output formats; they cannot run on Linux CI.
 */
import { MAC_CAPTURE_APP_RECORDER } from '../../protocol/protocol';
import { APP_PREFIX } from '../../protocol/macosCapture';
import { CaptureFault, CaptureKind, installHint } from './faults';
import { findExecutable, runTool } from './tools';
import { audifyStatus, listAudifyDevices } from './audify';
import { audioteeStatus, listAudioApps } from './audiotee';
import { CAPTURE_APP, captureAppPath } from './macCaptureApp';
import { captureAppOf, listMicrophonesThroughApp, MacMicrophoneOptions, microphoneAppUnusable } from './macMicrophone';

export type DeviceBackend = 'pulse' | 'alsa' | 'avfoundation' | 'dshow' | 'rtaudio' | 'audiotee';

export interface AudioDevice {
  /** What to pass as a source's `device` (the recorder's own name for it); 'default' is the system's default. */
  id: string;
  /** A human name. */
  label: string;
  kind: CaptureKind;
  isDefault: boolean;
  backend: DeviceBackend;
}

export interface DeviceList {
  microphones: AudioDevice[];
  systemSources: AudioDevice[];
  /** Where the list came from, and what is missing from it (e.g. "install ffmpeg to list devices"). */
  notes: string[];
}

export interface DeviceQuery {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** macOS: how to reach Earshot's capture app (default: this installation's, through /usr/bin/open). */
  captureApp?: MacMicrophoneOptions;
}

/** The id meaning "whatever the system's default is". */
export const DEFAULT_DEVICE = 'default';

// ---------------------------------------------------------------------------------------------
// Listing

export async function listDevices(query: DeviceQuery = {}): Promise<DeviceList> {
  const platform = query.platform ?? process.platform;
  const env = query.env ?? process.env;
  let list: DeviceList;
  if (platform === 'darwin' || platform === 'win32') {
    const fromApp = platform === 'darwin' ? await captureAppDeviceList(query.captureApp) : undefined;
    const viaApp = fromApp && 'failure' in fromApp ? undefined : fromApp;
    const rt = !viaApp && platform === process.platform && audifyStatus(env).available ? await listAudifyDevices(env) : undefined;
    list = viaApp ?? (rt ? rtAudioDeviceList(rt.api, rt.devices, platform) : await listFfmpegDevices(platform, env));
    if (fromApp && 'failure' in fromApp) list.notes.push(fromApp.failure);
    if (platform === 'darwin' && audioteeStatus(platform).available) {
      // Core Audio taps: all system audio, or only a meeting app's, ahead of any loopback device.
      const apps = await listAudioApps(env);
      list.systemSources = [
        { id: DEFAULT_DEVICE, label: 'All system audio (Core Audio tap)', kind: 'system', isDefault: true, backend: 'audiotee' },
        ...apps.map((a): AudioDevice => ({ id: `${APP_PREFIX}${a}`, label: `Only ${a} (Core Audio tap)`, kind: 'system', isDefault: false, backend: 'audiotee' })),
        ...list.systemSources.map((d) => ({ ...d, isDefault: false })),
      ];
    }
  } else {
    list = await listLinuxDevices(env);
  }
  list.notes.push(...backendNotes(platform, env, captureAppOf(query.captureApp ?? {})));
  return list;
}

/**
 * macOS: the microphones (and loopback inputs) as Earshot's capture app lists them, the ids RtAudio's names as in
 * audify's list (macMicrophone.ts); undefined when the app is not used. When it could not list them, audify's list is
 * used and a note says why (the release's package check fails on it: the app must answer through `open`).
 */
async function captureAppDeviceList(options: MacMicrophoneOptions = {}): Promise<DeviceList | { failure: string } | undefined> {
  const listed = await listMicrophonesThroughApp(options);
  if (!listed) return undefined;
  if ('error' in listed) return { failure: `${CAPTURE_APP_NOT_LISTING}: ${listed.error}` };
  const devices = listed.devices.map((d) => ({ ...d, outputChannels: 0, isDefaultOutput: false }));
  return { ...rtAudioDeviceList('Core Audio', devices, 'darwin'), notes: [`Core Audio devices (${CAPTURE_APP})`] };
}

/** The note's start when the capture app did not list the devices (scripts/check-package.js looks for it). */
export const CAPTURE_APP_NOT_LISTING = `${CAPTURE_APP} did not list the devices`;

/** Which backend records each source here, for `earshot devices` and health. `captureApp`: macOS, the bundle (default: this installation's). */
export function captureBackends(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env, captureApp: string | undefined = captureAppPath()): { microphone: string; systemAudio: string } {
  const audify = platform === process.platform && audifyStatus(env).available;
  const programs = 'recorder programs';
  const tee = audioteeStatus(platform).available;
  const macApp = platform === 'darwin' && microphoneAppUnusable(captureApp) === undefined;
  return {
    microphone: macApp ? `${MAC_CAPTURE_APP_RECORDER} (${CAPTURE_APP}: macOS asks for Earshot)` : audify ? 'audify (in-process RtAudio)' : programs,
    systemAudio: platform === 'darwin' && tee ? 'audiotee (Core Audio tap)' : audify ? `audify (in-process RtAudio${platform === 'win32' ? ', WASAPI loopback' : ''})` : programs,
  };
}

function backendNotes(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, captureApp: string | undefined): string[] {
  const backends = captureBackends(platform, env, captureApp);
  const notes = [`capture backend: microphone ${backends.microphone}; system audio ${backends.systemAudio}`];
  const audify = audifyStatus(env);
  if (platform === process.platform && !audify.available) notes.push(`in-process capture unavailable: ${audify.reason}; using sox/arecord/parec/ffmpeg`);
  if (platform === 'darwin') {
    const appMissing = microphoneAppUnusable(captureApp);
    if (appMissing) notes.push(`microphone recorded inside the editor's process (macOS asks the editor, and may refuse it without asking): ${appMissing}`);
    const tee = audioteeStatus(platform);
    if (!tee.available) notes.push(`driver-free system audio unavailable: ${tee.reason}`);
  }
  return notes;
}

/** RtAudio's devices (macOS, Windows) as Earshot's lists: ids are RtAudio's device names. */
export function rtAudioDeviceList(api: string, devices: { name: string; inputChannels: number; outputChannels: number; isDefaultInput: boolean; isDefaultOutput: boolean }[], platform: NodeJS.Platform): DeviceList {
  const mic = (d: { name: string; isDefaultInput: boolean }): AudioDevice => ({ id: d.name, label: d.name, kind: 'mic', isDefault: false, backend: 'rtaudio' });
  const defaultMic: AudioDevice = { id: DEFAULT_DEVICE, label: `System default microphone${devices.find((d) => d.isDefaultInput) ? ` (${devices.find((d) => d.isDefaultInput)!.name})` : ''}`, kind: 'mic', isDefault: true, backend: 'rtaudio' };
  const inputs = devices.filter((d) => d.inputChannels > 0);
  if (platform === 'win32') {
    // WASAPI: every output device can be opened as a loopback input.
    const outputs = devices.filter((d) => d.outputChannels > 0);
    const defaultOut = outputs.find((d) => d.isDefaultOutput);
    return {
      microphones: [defaultMic, ...inputs.map(mic)],
      systemSources: [
        { id: DEFAULT_DEVICE, label: `Default output, as it changes${defaultOut ? ` (now ${defaultOut.name})` : ''} (WASAPI loopback)`, kind: 'system', isDefault: true, backend: 'rtaudio' },
        ...outputs.map((d): AudioDevice => ({ id: d.name, label: `${d.name} (WASAPI loopback)`, kind: 'system', isDefault: false, backend: 'rtaudio' })),
        // Recording devices that carry what plays (Stereo Mix, VB-CABLE, Wine's "Monitor of …"): where a loopback is
        // refused (Wine before 9.12) they are the way to system audio, and planOpen opens them as inputs.
        ...inputs.filter((d) => isLoopbackDeviceName(d.name, platform))
          .map((d): AudioDevice => ({ id: d.name, label: `${d.name} (recording device)`, kind: 'system', isDefault: false, backend: 'rtaudio' })),
      ],
      notes: [`${api} devices (RtAudio)`],
    };
  }
  return {
    microphones: [defaultMic, ...inputs.filter((d) => !isLoopbackDeviceName(d.name, platform)).map(mic)],
    systemSources: loopbackSources(inputs.map((d) => d.name), platform, 'rtaudio'),
    notes: [`${api} devices (RtAudio)`],
  };
}

async function listLinuxDevices(env: NodeJS.ProcessEnv): Promise<DeviceList> {
  const notes: string[] = [];
  if (findExecutable('pactl', env)) {
    const sources = await pulseSources(env);
    if (sources) {
      const defaults = parsePactlInfo((await runTool('pactl', ['info'], { env })).stdout);
      const device = (s: PulseSource): AudioDevice => {
        const kind: CaptureKind = s.monitorOf ? 'system' : 'mic';
        const isDefault = kind === 'mic' ? s.name === defaults.defaultSource : s.monitorOf === defaults.defaultSink || s.name === `${defaults.defaultSink}.monitor`;
        return { id: s.name, label: s.description || s.name, kind, isDefault, backend: 'pulse' };
      };
      const all = sources.map(device);
      notes.push('PulseAudio/PipeWire sources (pactl)');
      return { microphones: all.filter((d) => d.kind === 'mic'), systemSources: all.filter((d) => d.kind === 'system'), notes };
    }
    notes.push('pactl could not reach a sound server (PulseAudio/PipeWire is not running): listing ALSA devices');
  } else {
    notes.push(`pactl is not installed (${installHint('pactl', 'linux')}): listing ALSA devices; system audio needs PulseAudio or PipeWire-Pulse`);
  }
  if (!findExecutable('arecord', env)) {
    notes.push(`arecord is not installed either (${installHint('arecord', 'linux')})`);
    return { microphones: [], systemSources: [], notes };
  }
  const alsa = parseArecordList((await runTool('arecord', ['-L'], { env })).stdout);
  const microphones = alsa.filter((d) => isAlsaCapturePcm(d.name)).map((d): AudioDevice => ({
    id: d.name, label: d.description || d.name, kind: 'mic', isDefault: d.name === 'default', backend: 'alsa',
  }));
  return { microphones, systemSources: [], notes };
}

/** ALSA PCMs a microphone can be recorded from: not the converter and output plugins `arecord -L` also lists. */
export function isAlsaCapturePcm(name: string): boolean {
  return /^(default|pulse|pipewire)$|^(sysdefault|hw|plughw|dsnoop):/.test(name);
}

interface PulseSource {
  name: string;
  description: string;
  /** The sink this source monitors; '' for a real input. */
  monitorOf: string;
}

/** PulseAudio/PipeWire sources: JSON where pactl has it (PulseAudio ≥ 16), else the text listing; undefined without a server. */
export async function pulseSources(env: NodeJS.ProcessEnv): Promise<PulseSource[] | undefined> {
  const json = await runTool('pactl', ['-f', 'json', 'list', 'sources'], { env });
  if (json.code === 0) {
    const parsed = parsePactlJsonSources(json.stdout);
    if (parsed) return parsed;
  }
  const text = await runTool('pactl', ['list', 'sources'], { env });
  return text.code === 0 ? parsePactlTextSources(text.stdout) : undefined;
}

/** `pactl -f json list sources`; undefined when it is not valid JSON (older pactl, or its known escaping bugs). */
export function parsePactlJsonSources(text: string): PulseSource[] | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(data)) return undefined;
  return data.filter((s): s is Record<string, unknown> => typeof s === 'object' && s !== null && typeof s.name === 'string').map((s) => {
    const name = s.name as string;
    // "monitor_source" holds, for a monitor, the sink it monitors (pactl's JSON names it oddly); '' otherwise.
    const monitorOf = typeof s.monitor_source === 'string' && s.monitor_source ? s.monitor_source : name.endsWith('.monitor') ? name.slice(0, -'.monitor'.length) : '';
    return { name, description: typeof s.description === 'string' ? s.description : '', monitorOf };
  });
}

/** `LC_ALL=C pactl list sources`. */
export function parsePactlTextSources(text: string): PulseSource[] {
  const sources: PulseSource[] = [];
  for (const block of text.split(/^Source #\d+\s*$/m).slice(1)) {
    const field = (label: string) => new RegExp(`^\\s*${label}:[ \\t]*(.*)$`, 'm').exec(block)?.[1].trim() ?? '';
    const name = field('Name');
    if (!name) continue;
    const monitor = field('Monitor of Sink');
    const monitorOf = monitor && monitor !== 'n/a' ? monitor : name.endsWith('.monitor') ? name.slice(0, -'.monitor'.length) : '';
    sources.push({ name, description: field('Description'), monitorOf });
  }
  return sources;
}

/** `LC_ALL=C pactl info`: the default sink and source (works on every pactl, unlike get-default-sink). */
export function parsePactlInfo(text: string): { defaultSink?: string; defaultSource?: string } {
  const value = (label: string) => new RegExp(`^${label}:[ \\t]*(.+)$`, 'm').exec(text)?.[1].trim();
  return { defaultSink: value('Default Sink'), defaultSource: value('Default Source') };
}

/** `arecord -L`: a PCM name on its own line, its description indented below. */
export function parseArecordList(text: string): { name: string; description: string }[] {
  const devices: { name: string; description: string }[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    if (/^\s/.test(line)) {
      const last = devices[devices.length - 1];
      if (last) last.description = last.description ? `${last.description} — ${line.trim()}` : line.trim();
    } else {
      devices.push({ name: line.trim(), description: '' });
    }
  }
  return devices;
}

async function listFfmpegDevices(platform: 'darwin' | 'win32', env: NodeJS.ProcessEnv): Promise<DeviceList> {
  const defaultMic: AudioDevice = { id: DEFAULT_DEVICE, label: 'System default microphone', kind: 'mic', isDefault: true, backend: platform === 'darwin' ? 'avfoundation' : 'dshow' };
  const names = await ffmpegAudioDevices(platform, env);
  if (!names) {
    return { microphones: [defaultMic], systemSources: [], notes: [`ffmpeg is not installed (${installHint('ffmpeg', platform)}): it lists the audio devices and captures system audio`] };
  }
  const backend: DeviceBackend = platform === 'darwin' ? 'avfoundation' : 'dshow';
  return {
    microphones: [defaultMic, ...names.filter((n) => !isLoopbackDeviceName(n, platform)).map((n): AudioDevice => ({ id: n, label: n, kind: 'mic', isDefault: false, backend }))],
    systemSources: loopbackSources(names, platform, backend),
    notes: [`${backend} devices (ffmpeg)`],
  };
}

/** Audio input device names from ffmpeg's device listing; undefined when ffmpeg is missing. */
async function ffmpegAudioDevices(platform: 'darwin' | 'win32', env: NodeJS.ProcessEnv): Promise<string[] | undefined> {
  if (!findExecutable('ffmpeg', env, platform)) return undefined;
  // Both listings "fail" (there is no input "" or "dummy") after printing the devices on stderr.
  const r = platform === 'darwin'
    ? await runTool('ffmpeg', ['-hide_banner', '-f', 'avfoundation', '-list_devices', 'true', '-i', ''], { env })
    : await runTool('ffmpeg', ['-hide_banner', '-list_devices', 'true', '-f', 'dshow', '-i', 'dummy'], { env });
  return platform === 'darwin' ? parseAvfoundationDevices(r.stderr).audio.map((d) => d.name) : parseDshowDevices(r.stderr).audio;
}

/**
 * `ffmpeg -f avfoundation -list_devices true -i ""` (stderr):
 *   [AVFoundation indev @ 0x7f…] AVFoundation video devices:
 *   [AVFoundation indev @ 0x7f…] [0] FaceTime HD Camera
 *   [AVFoundation indev @ 0x7f…] AVFoundation audio devices:
 *   [AVFoundation indev @ 0x7f…] [0] BlackHole 2ch
 */
export function parseAvfoundationDevices(stderr: string): { video: { index: number; name: string }[]; audio: { index: number; name: string }[] } {
  const out = { video: [] as { index: number; name: string }[], audio: [] as { index: number; name: string }[] };
  let section: 'video' | 'audio' | undefined;
  for (const raw of stderr.split(/\r?\n/)) {
    const line = raw.replace(/^\[[^\]]*@ ?[^\]]*\]\s*/, '');
    if (/AVFoundation video devices:/i.test(line)) section = 'video';
    else if (/AVFoundation audio devices:/i.test(line)) section = 'audio';
    else {
      const m = /^\[(\d+)\]\s+(.+?)\s*$/.exec(line);
      if (m && section) out[section].push({ index: Number(m[1]), name: m[2] });
    }
  }
  return out;
}

/**
 * `ffmpeg -list_devices true -f dshow -i dummy` (stderr), both formats:
 *   ffmpeg ≥ 5:  [dshow @ 0000…] "Microphone (Realtek(R) Audio)" (audio)
 *   ffmpeg ≤ 4:  [dshow @ 0000…] DirectShow audio devices          then   [dshow @ 0000…]  "Microphone (…)"
 * Lines with "Alternative name" are the same device again.
 */
export function parseDshowDevices(stderr: string): { video: string[]; audio: string[] } {
  const out = { video: [] as string[], audio: [] as string[] };
  let section: 'video' | 'audio' | undefined;
  for (const raw of stderr.split(/\r?\n/)) {
    const line = raw.replace(/^\[[^\]]*@ ?[^\]]*\]\s*/, '');
    if (/DirectShow video devices/i.test(line)) { section = 'video'; continue; }
    if (/DirectShow audio devices/i.test(line)) { section = 'audio'; continue; }
    if (/Alternative name/i.test(line)) continue;
    const m = /^"(.+)"(?:\s+\((audio|video|audio, video|none)\))?\s*$/.exec(line.trim());
    if (!m) continue;
    const type = m[2];
    if (type === 'audio' || (type === undefined && section === 'audio')) out.audio.push(m[1]);
    else if (type === 'video' || (type === undefined && section === 'video')) out.video.push(m[1]);
    else if (type === 'audio, video') { out.audio.push(m[1]); out.video.push(m[1]); }
  }
  return out;
}

/** Devices that carry what the machine plays (virtual loopback drivers, Windows' Stereo Mix), by name. */
export function isLoopbackDeviceName(name: string, platform: NodeJS.Platform): boolean {
  if (platform === 'darwin') return /blackhole|soundflower|loopback audio|^loopback|background music|ishowu|zoomaudiodevice|teams audio|ms teams|audio hijack/i.test(name);
  // "Monitor of <sink>": Wine's winepulse names PulseAudio's monitor sources so (its only system audio before 9.12).
  if (platform === 'win32') return /stereo mix|stereomix|what u hear|wave out mix|wave out|loopback|virtual-audio-capturer|cable output|vb-audio|voicemeeter out|^monitor of /i.test(name);
  return name.endsWith('.monitor');
}

/**
 * The loopback device to record when none was chosen. macOS: a loopback driver (BlackHole, Rogue Amoeba's Loopback)
 * before the other devices the name pattern takes in, such as meeting apps' own virtual devices (ZoomAudioDevice,
 * Microsoft Teams Audio), which carry that app's audio at most: Core Audio lists devices in its own order
 * (RtAudio.cpp:1145-1170, ffmpeg's avfoundation likewise), so the first match can be Zoom's.
 */
export function pickLoopbackDevice(names: string[], platform: NodeJS.Platform): string | undefined {
  const loopbacks = names.filter((n) => isLoopbackDeviceName(n, platform));
  return (platform === 'darwin' ? offeredLoopbackDevice(loopbacks) : undefined) ?? loopbacks[0];
}

/**
 * macOS: a loopback driver (BlackHole, Rogue Amoeba's Loopback) among `names`, the one a silent tap's hint offers;
 * not a meeting app's own device, which carries that app's audio at most.
 */
export function offeredLoopbackDevice(names: string[]): string | undefined {
  return names.find((n) => isLoopbackDeviceName(n, 'darwin') && /blackhole|loopback/i.test(n));
}

/** macOS: the loopback driver among the system sources there now (`earshot devices`), for a silent tap's hint. */
export async function findLoopbackDevice(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const list = await listDevices({ env, platform: 'darwin' });
  return offeredLoopbackDevice(list.systemSources.filter((d) => d.backend !== 'audiotee').map((d) => d.id));
}

/** Loopback devices as system sources, the one pickLoopbackDevice takes first and marked the default. */
function loopbackSources(names: string[], platform: NodeJS.Platform, backend: DeviceBackend): AudioDevice[] {
  const preferred = pickLoopbackDevice(names, platform);
  const loopbacks = names.filter((n) => isLoopbackDeviceName(n, platform));
  return [...loopbacks.filter((n) => n === preferred), ...loopbacks.filter((n) => n !== preferred)]
    .map((n): AudioDevice => ({ id: n, label: n, kind: 'system', isDefault: n === preferred, backend }));
}

// ---------------------------------------------------------------------------------------------
// System audio

/** The monitor source of the default sink (what the machine plays), asked from the sound server. */
export async function defaultSystemMonitor(env: NodeJS.ProcessEnv = process.env, signal?: AbortSignal): Promise<string> {
  // A frozen server never answers: the timeout keeps a restart from waiting long for it.
  const sink = await runTool('pactl', ['get-default-sink'], { env, signal, timeoutMs: 2000 });
  if (sink.code === 0 && sink.stdout.trim()) return `${sink.stdout.trim()}.monitor`;
  const info = sink.error ? sink : await runTool('pactl', ['info'], { env, signal, timeoutMs: 2000 });
  const { defaultSink } = parsePactlInfo(info.stdout);
  // PulseAudio's own alias: the recorder resolves it (and reports the server being down if it is).
  return defaultSink ? `${defaultSink}.monitor` : '@DEFAULT_MONITOR@';
}

/** macOS/Windows: the loopback device to record (pickLoopbackDevice), or a fault saying how to get one. */
export async function defaultLoopbackDevice(platform: 'darwin' | 'win32', env: NodeJS.ProcessEnv): Promise<{ device: string } | { fault: CaptureFault }> {
  const names = await ffmpegAudioDevices(platform, env);
  if (names) {
    const loopback = pickLoopbackDevice(names, platform);
    if (loopback) return { device: loopback };
    return { fault: { reason: 'no-system-audio', message: noSystemAudioMessage(platform, 'no-loopback') } };
  }
  // Without ffmpeg there is no listing: BlackHole's default name, for sox (coreaudio).
  if (platform === 'darwin' && findExecutable('sox', env, platform)) return { device: 'BlackHole 2ch' };
  return { fault: { reason: 'no-system-audio', message: noSystemAudioMessage(platform, 'no-recorder') } };
}

/**
 * Both device lists, whether system audio can be recorded here now, and which backend records each source: the answer
 * of earshot/devices/list, and the capture part of the platform report.
 */
export async function deviceOverview(query: DeviceQuery & { helperPath?: string } = {}) {
  const [devices, system] = await Promise.all([listDevices(query), systemCaptureAvailability(query)]);
  const info = (d: AudioDevice) => ({ id: d.id, label: d.label, isDefault: d.isDefault });
  return {
    microphones: devices.microphones.map(info),
    systemSources: devices.systemSources.map(info),
    systemAudio: { available: system.available, ...(system.message ? { message: system.message } : {}) },
    notes: devices.notes,
    backends: captureBackends(query.platform ?? process.platform, query.env ?? process.env),
  };
}

export interface SystemCaptureAvailability {
  available: boolean;
  /** The recorder and device capture would use. */
  recorder?: string;
  device?: string;
  /** When unavailable: how to enable it on this OS. */
  message?: string;
}

/** Whether system audio can be captured here now, and if not, what the user must do. */
export async function systemCaptureAvailability(query: DeviceQuery & { helperPath?: string } = {}): Promise<SystemCaptureAvailability> {
  const platform = query.platform ?? process.platform;
  const env = query.env ?? process.env;
  if (query.helperPath) {
    return findExecutable(query.helperPath, env, platform)
      ? { available: true, recorder: 'helper', device: DEFAULT_DEVICE }
      : { available: false, message: `The system audio helper ${query.helperPath} is missing or not executable.` };
  }
  const audify = platform === process.platform && audifyStatus(env).available;
  if (platform === 'darwin' && audioteeStatus(platform).available) return { available: true, recorder: 'audiotee', device: DEFAULT_DEVICE };
  if (platform === 'win32' && audify) return { available: true, recorder: 'audify', device: DEFAULT_DEVICE };
  if (platform === 'darwin' && audify) {
    const rt = await listAudifyDevices(env);
    const loopback = pickLoopbackDevice(rt?.devices.filter((d) => d.inputChannels > 0).map((d) => d.name) ?? [], 'darwin');
    if (loopback) return { available: true, recorder: 'audify', device: loopback };
  }
  if (platform === 'darwin' || platform === 'win32') {
    const loopback = await defaultLoopbackDevice(platform, env);
    if ('fault' in loopback) return { available: false, message: loopback.fault.message };
    const recorder = findExecutable('ffmpeg', env, platform) ? 'ffmpeg' : 'sox';
    return { available: true, recorder, device: loopback.device };
  }
  const recorder = audify ? 'audify' : ['parec', 'ffmpeg', 'sox'].find((r) => findExecutable(r, env));
  if (!recorder) return { available: false, message: noSystemAudioMessage('linux', 'no-recorder') };
  if (findExecutable('pactl', env)) {
    const info = await runTool('pactl', ['info'], { env });
    if (info.code !== 0) return { available: false, recorder, message: noSystemAudioMessage('linux', 'no-server') };
    const { defaultSink } = parsePactlInfo(info.stdout);
    if (!defaultSink) return { available: false, recorder, message: noSystemAudioMessage('linux', 'no-loopback') };
    return { available: true, recorder, device: `${defaultSink}.monitor` };
  }
  if (audify) {
    // No pactl: RtAudio itself tells whether a server answers and has an output to monitor.
    const rt = await listAudifyDevices(env);
    if (!rt || rt.devices.length === 0) return { available: false, recorder, message: noSystemAudioMessage('linux', 'no-server') };
    const out = rt.devices.find((d) => d.isDefaultOutput);
    return out && rt.devices.some((d) => d.name === `Monitor of ${out.name}`)
      ? { available: true, recorder, device: DEFAULT_DEVICE }
      : { available: false, recorder, message: noSystemAudioMessage('linux', 'no-loopback') };
  }
  return { available: true, recorder, device: '@DEFAULT_MONITOR@' };
}

/** How to enable system audio capture, per OS and per what is missing. */
export function noSystemAudioMessage(platform: NodeJS.Platform, missing: 'no-recorder' | 'no-server' | 'no-loopback'): string {
  const mic = ' The microphone keeps working.';
  if (platform === 'darwin') {
    const setup = 'install BlackHole (brew install blackhole-2ch), then in Audio MIDI Setup create a Multi-Output Device with your speakers and BlackHole and make it the output';
    return missing === 'no-recorder'
      ? `System audio on macOS needs ffmpeg (brew install ffmpeg) and a loopback device: ${setup}.${mic}`
      : `System audio on macOS before 14.2 needs a loopback device: ${setup}. (On macOS 14.2 and later Earshot taps system audio without a driver.)${mic}`;
  }
  if (platform === 'win32') {
    return missing === 'no-recorder'
      ? `System audio on Windows is captured with ffmpeg: install it (winget install Gyan.FFmpeg) and enable a loopback device (Stereo Mix).${mic}`
      : `No loopback device for system audio: enable "Stereo Mix" (Control Panel → Sound → Recording → right-click → Show Disabled Devices → Enable), or install VB-CABLE or screen-capture-recorder (virtual-audio-capturer).${mic}`;
  }
  if (missing === 'no-recorder') {
    return `System audio on Linux is recorded from the sound server with parec: install it (sudo apt install pulseaudio-utils). With PipeWire, also install pipewire-pulse.${mic}`;
  }
  if (missing === 'no-server') {
    return `System audio on Linux needs a running PulseAudio or PipeWire-Pulse server (with PipeWire: sudo apt install pipewire-pulse, then log in again).${mic}`;
  }
  return `The sound server has no output device whose monitor could be recorded.${mic}`;
}
