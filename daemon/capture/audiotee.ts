/**
 * macOS system audio without a driver: audiotee (npm, optional dependency), a small universal binary that taps what
 * the machine plays with Core Audio process taps (macOS 14.2+) and writes PCM to stdout. It is run as a recorder
 * program (helper contract: PCM on stdout, errors on stderr); audiotee writes its log as JSON lines on stderr.
 *
 * Per-application capture: a system-audio device id `app:<name>[,<name>…]` (e.g. `app:zoom.us`,
 * `app:Google Chrome`) taps only the processes of those applications, helpers included (a browser plays a Meet
 * call from "Google Chrome Helper"); listAudioApps() offers the running meeting apps for the picker.
 *
 * Permission: macOS asks the tap's responsible process, and only an app whose Info.plist has
 * NSAudioCaptureUsageDescription. Spawned from the daemon, audiotee would count as VS Code (or the terminal), which has
 * none and is never asked; so recorder.ts hands startAudiotee a spawner (macCaptureApp.ts) that runs it as Earshot's
 * own app, which macOS asks by name. Until the user allows it the tap runs and delivers zeros, exactly like a tap
 * while nothing plays (silence.ts); a tap macOS refuses outright exits with status 'nope' (faults.ts).
 * macOS cannot run on Linux CI: the launch is tested against a fake binary that prints what audiotee prints
 * (test/support/fake-audiotee.ts); the version check, app matching and messages are unit-tested.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { APP_PREFIX, macosSupportsProcessTaps } from '../../protocol/macosCapture';
import { CaptureError, CaptureFault } from './faults';
import type { RecorderCommand } from './recorderCommand';
import type { RunningRecorder } from './runningRecorder';
import { SAMPLE_RATE } from './source';
import { runTool } from './tools';

/**
 * audiotee's binary, when the optional dependency is installed. Its package.json exports only "." (dist/index.js),
 * so `require.resolve('audiotee/package.json')` throws ERR_PACKAGE_PATH_NOT_EXPORTED: the package folder is found
 * from the main entry instead.
 */
export function audioteeBinary(): string | undefined {
  try {
    const file = path.join(path.dirname(require.resolve('audiotee')), '..', 'bin', 'audiotee');
    return fs.existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

export function audioteeStatus(platform: NodeJS.Platform = process.platform, release: string = os.release(), installed: boolean = audioteeBinary() !== undefined): { available: boolean; reason?: string } {
  if (platform !== 'darwin') return { available: false, reason: 'audiotee is for macOS only' };
  if (!macosSupportsProcessTaps(release)) return { available: false, reason: 'audiotee needs macOS 14.2 or later (Core Audio process taps); older macOS records a loopback device such as BlackHole' };
  if (!installed) return { available: false, reason: 'audiotee is not installed (an optional dependency that failed to install)' };
  return { available: true };
}

/** audiotee's command line: 16 kHz mono s16le in 20 ms chunks, optionally only the given processes. */
export function audioteeCommand(device: string, pids: number[] | undefined, binary: string | undefined = audioteeBinary()) {
  if (!binary) throw new Error('audiotee is not installed');
  if (pids && pids.length === 0) throw new Error('no process ids to tap');
  return {
    recorder: 'audiotee' as const,
    command: binary,
    // With --sample-rate audiotee converts to 16-bit mono; --chunk-duration 0.02 keeps latency near parec's.
    args: ['--sample-rate', String(SAMPLE_RATE), '--chunk-duration', '0.02', ...(pids ? ['--include-processes', ...pids.map(String)] : [])],
    envOverrides: {},
    device,
  };
}

/** `app:zoom.us,Google Chrome` → ['zoom.us', 'Google Chrome']; throws on anything else. */
export function parseAppDevice(device: string): string[] {
  if (!device.startsWith(APP_PREFIX)) throw new Error(`"${device}" does not name applications (app:<name>[,<name>…])`);
  const names = device.slice(APP_PREFIX.length).split(',').map((n) => n.trim()).filter(Boolean);
  if (names.length === 0) throw new Error(`"${device}" names no application (e.g. app:zoom.us)`);
  return names;
}

export interface RunningProcess {
  pid: number;
  /** The executable's path (ps -o comm=). */
  command: string;
}

/** `ps -axo pid=,comm=`. */
export function parsePs(text: string): RunningProcess[] {
  const out: RunningProcess[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(\d+)\s+(.+?)\s*$/.exec(line);
    if (m) out.push({ pid: Number(m[1]), command: m[2] });
  }
  return out;
}

/**
 * Processes outside an app's bundle that play its audio, by executable name. Safari: WebKit plays media and WebRTC
 * audio in its GPU process, an XPC service of WebKit.framework
 * (…/WebKit.framework/Versions/A/XPCServices/com.apple.WebKit.GPU.xpc/Contents/MacOS/com.apple.WebKit.GPU, in the OS
 * cryptex under /System/Volumes/Preboot/Cryptexes/ on macOS 13+), whose parent is launchd, not Safari. `ps` cannot say
 * which app a GPU process serves, so the tap also takes other WebKit apps' (Mail's) sounds: better than none of the call.
 */
const PLAYS_FOR: Record<string, readonly string[]> = { safari: ['com.apple.webkit.gpu'] };

/**
 * The processes of an application: its executable's name is the app's name, or it lives inside `<name>.app`
 * (which takes in "Google Chrome Helper (Renderer)" and the other helpers that actually play a call's audio), and,
 * while the app runs, the processes outside it that play for it (PLAYS_FOR).
 */
export function processesOf(app: string, processes: RunningProcess[]): number[] {
  const lower = app.toLowerCase();
  const own = processes.filter((p) => {
    const cmd = p.command.toLowerCase();
    return path.posix.basename(cmd) === lower || cmd.includes(`/${lower}.app/`);
  });
  if (own.length === 0) return [];
  const helpers = PLAYS_FOR[lower] ?? [];
  const playing = processes.filter((p) => helpers.includes(path.posix.basename(p.command.toLowerCase())));
  return [...own, ...playing].map((p) => p.pid);
}

/** Meeting apps and browsers offered by the picker, by their executable name on macOS. */
export const MEETING_APPS = ['zoom.us', 'Microsoft Teams', 'Google Chrome', 'Safari', 'Firefox', 'Microsoft Edge', 'Arc', 'Slack', 'Webex', 'Discord', 'FaceTime'];

/** The process ids of `app:<names>` running now (none when `ps` fails). */
async function appPids(names: string[], env: NodeJS.ProcessEnv): Promise<number[]> {
  const ps = await runTool('ps', ['-axo', 'pid=,comm='], { env });
  const processes = parsePs(ps.stdout);
  return [...new Set(names.flatMap((n) => processesOf(n, processes)))];
}

/** The process ids of `app:<names>`; a CaptureError-ready message when none of them runs. */
export async function resolveApps(device: string, env: NodeJS.ProcessEnv): Promise<number[]> {
  const names = parseAppDevice(device);
  const pids = await appPids(names, env);
  if (pids.length === 0) {
    throw new CaptureError({ reason: 'device-not-found', message: `${names.join(', ')} is not running: start the meeting app first (or choose all system audio). Earshot retries on its own.` });
  }
  return pids;
}

/**
 * One line of audiotee's stderr: a JSON object {timestamp, message_type, data} (Logger.swift:23-29, MessageType.swift
 * at 71b0c45); logs carry data {message, context} with string values, the `metadata` line the stream's format
 * (AudioStreamMetadata.swift). Anything else (its closing "Error: failure") is undefined.
 */
export interface AudioteeMessage {
  message_type: string;
  data?: { message?: string; context?: Record<string, string> } & Partial<AudioteeFormat>;
}

/** The stream audiotee writes on stdout, from its `metadata` line (AudioStreamMetadata.swift:13-22). */
export interface AudioteeFormat {
  sample_rate: number;
  channels_per_frame: number;
  bits_per_channel: number;
  is_float: boolean;
  encoding: string;
}

/** One stderr line of audiotee, or of Earshot's own recorder, which logs in the same shape (macMicrophone.ts). */
export function parseAudioteeLine(line: string): AudioteeMessage | undefined {
  if (!line.trimStart().startsWith('{')) return undefined;
  try {
    const message = JSON.parse(line) as AudioteeMessage;
    return typeof message?.message_type === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why audiotee's stream is not the 16 kHz mono s16le Earshot decodes, as a fault; undefined when it is. audiotee
 * goes on in the device's own format (float32 at 44.1/48 kHz) when it cannot create its converter
 * (AudioRecorder.swift:29-48), which decoded as s16 would be noise.
 */
function formatFault(format: Partial<AudioteeFormat>, detail?: string): CaptureFault | undefined {
  if (isDecodedFormat(format)) return undefined;
  const got = formatWords(format, "the output device's own rate");
  return {
    reason: 'recorder-exited',
    message: `System audio from the Core Audio tap comes as ${got}, not the 16 kHz mono 16-bit audio Earshot asked for (macOS could not convert it), so Earshot stopped it rather than record noise. Set your output device to 48 kHz in Audio MIDI Setup or choose another output, then retry; or record a loopback device (BlackHole) as the system audio source.`,
    ...(detail ? { detail } : {}),
  };
}

/** Whether a `metadata` line announces the 16 kHz mono s16le stream Earshot decodes. */
export function isDecodedFormat(format: Partial<AudioteeFormat>): boolean {
  return format.sample_rate === SAMPLE_RATE && format.channels_per_frame === 1 && format.encoding === 'pcm_s16le';
}

/** A `metadata` line's stream in words ("pcm_f32le at 48000 Hz, 2 channel(s)"); `noRate` where it names no rate. */
export function formatWords(format: Partial<AudioteeFormat>, noRate: string): string {
  return `${format.encoding ?? 'an unknown encoding'} ${format.sample_rate ? `at ${format.sample_rate} Hz` : `at ${noRate}`}, ${format.channels_per_frame ?? '?'} channel(s)`;
}

/** The fault for app:<names> whose every process lacks a Core Audio process object. */
function notPlayingFault(apps: string[]): CaptureFault {
  const names = apps.join(', ');
  return {
    reason: 'device-not-found',
    message: `${names} ${apps.length > 1 ? 'are' : 'is'} not playing audio yet: macOS has nothing of ${apps.length > 1 ? 'them' : 'it'} to tap until the call starts. Earshot tries again on its own; or choose all system audio (Earshot: Choose System Audio Source…).`,
  };
}

/** How long audiotee may take to report its stream: it waits up to 2 s for the tap's device (AudioFormatManager.swift:8-36). */
const TAP_START_MS = 5000;
/** How often a per-app tap that stays digitally silent looks for processes of the apps it does not tap. */
export const APP_RESCAN_MS = 15_000;

export interface AudioteeStart {
  /** 'default' (all system audio) or app:<names>, as the user chose it. */
  device: string;
  /** Tap only the applications `device` names. */
  apps: boolean;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Default: the installed package's (audioteeBinary). */
  binary?: string;
  /** Default APP_RESCAN_MS (tapNewProcesses). */
  rescanMs?: number;
}

/**
 * Starts audiotee and watches its stderr: a stream in another format than asked ends it with a clear fault
 * (formatFault, through RunningRecorder.fail). For app:<names>, audiotee exits 1 when any PID it is given has no
 * Core Audio process object (Utils.swift:41-86, AudioTee.swift:116-123): a browser's helpers and a meeting app
 * before its call do not. Those PIDs are dropped and it is started again at once with the rest; with none left it is a
 * fault saying the app plays nothing yet, and the LiveSource supervisor retries later. Every call resolves the apps'
 * PIDs afresh: processes come and go, and one that failed may play now; while the tap runs, tapNewProcesses looks.
 */
export async function startAudiotee(start: AudioteeStart, spawnRecorder: (command: RecorderCommand) => RunningRecorder): Promise<RunningRecorder> {
  const pids = start.apps ? await resolveApps(start.device, start.env) : undefined;
  const { recorder, tapped } = await launchTap(start, pids, spawnRecorder);
  if (tapped) tapNewProcesses(recorder, tapped, start, spawnRecorder);
  return recorder;
}

/**
 * audiotee on `pids` (undefined: all system audio), started again without the PIDs it could not tap. `tapped`: the
 * PIDs of the tap that runs; undefined for all system audio, or when audiotee ended for another reason.
 */
async function launchTap(start: AudioteeStart, pids: number[] | undefined, spawnRecorder: (command: RecorderCommand) => RunningRecorder): Promise<{ recorder: RunningRecorder; tapped?: number[] }> {
  for (;;) {
    const recorder = spawnRecorder(audioteeCommand(start.device, pids, start.binary));
    const tap = watchTap(recorder);
    if ((await tapOutcome(recorder, tap.reported, start.signal)) === 'running' || !pids) return { recorder, tapped: pids };
    const rest = pids.filter((p) => !tap.failedPids.includes(p));
    if (rest.length === pids.length) return { recorder }; // else the supervisor classifies its end
    if (rest.length === 0) throw new CaptureError(notPlayingFault(parseAppDevice(start.device)));
    pids = rest;
  }
}

/**
 * A per-app tap keeps the processes it was created with: audiotee builds the tap description once from the process
 * objects it translated (AudioTapManager.swift:50-56 at 71b0c45), and a process has a process object only once it
 * has used Core Audio (Utils.swift:41-89). Chrome starts its audio service on demand (with a new PID after a crash),
 * Safari's GPU process plays only once the call starts, Zoom's call runs in caphost: such a tap records zeros for the
 * whole call. So while the tap stays digitally silent, every `rescanMs` the apps' processes it does not tap are tried
 * in a probe (audiotee on them alone, stopped as soon as it taps): when one of them can be tapped now, the tap ends
 * with a fault saying so, and the supervisor starts it again at once, with every process of the apps (resolveApps).
 */
function tapNewProcesses(recorder: RunningRecorder, tapped: number[], start: AudioteeStart, spawnRecorder: (command: RecorderCommand) => RunningRecorder): void {
  const apps = parseAppDevice(start.device);
  let heard = false;
  let probing = false;
  recorder.onData((chunk) => {
    if (!heard && chunk.some((byte) => byte !== 0)) heard = true;
  });
  const probe = async () => {
    const untapped = (await appPids(apps, start.env)).filter((p) => !tapped.includes(p));
    if (untapped.length === 0 || !recorder.running) return;
    let plays: number[] | undefined;
    try {
      const trial = await launchTap(start, untapped, spawnRecorder);
      await trial.recorder.stop();
      plays = trial.tapped;
    } catch {
      return; // none of them has played yet
    }
    if (plays?.length && recorder.running) {
      recorder.fail({
        reason: 'stalled',
        message: `${apps.join(', ')} ${apps.length > 1 ? 'play' : 'plays'} audio from a process the tap did not include: Earshot starts the tap again with it.`,
      });
    }
  };
  const timer = setInterval(() => {
    const silent = !heard;
    heard = false;
    if (!silent || probing || !recorder.running) return;
    probing = true;
    void probe().catch(() => undefined).finally(() => { probing = false; });
  }, start.rescanMs ?? APP_RESCAN_MS);
  timer.unref();
  void recorder.ended.then(() => clearInterval(timer));
}

/** audiotee's errors kept for the fault's detail: its first ones say why; a log line per packet must not pile up. */
const MAX_TAP_ERRORS = 5;

/**
 * What audiotee logs when a packet could not be converted, which it then writes unconverted (float32 at the device's
 * rate) to stdout among the 16-bit audio (AudioFormatConverter.swift:66-72, :82-88, :100-111 at 71b0c45).
 */
const UNCONVERTED_PACKET = /^(Audio conversion produced no output|Failed to create (input|output) buffer)$/;

/**
 * Reads audiotee's stderr: the PIDs it could not tap, and its `metadata` line (written before any audio,
 * AudioRecorder.swift:66-72), which resolves `reported`; a format other than asked fails the recorder at once, and so
 * does a packet it could not convert afterwards (UNCONVERTED_PACKET): decoded as 16-bit audio it would be noise.
 */
function watchTap(recorder: RunningRecorder): { failedPids: number[]; reported: Promise<void> } {
  const failedPids: number[] = [];
  const errors: string[] = [];
  let format: Partial<AudioteeFormat> | undefined;
  let reported!: () => void;
  const watch = { failedPids, reported: new Promise<void>((resolve) => { reported = resolve; }) };
  recorder.onStderrLine((line) => {
    const message = parseAudioteeLine(line);
    if (message?.message_type === 'error') {
      const text = message.data?.message ?? '';
      if (format && UNCONVERTED_PACKET.test(text)) {
        recorder.fail(formatFault({ ...format, encoding: 'pcm_f32le', sample_rate: undefined }, `${text}${message.data?.context ? ` ${JSON.stringify(message.data.context)}` : ''}`)!);
        return;
      }
      if (!format && errors.length < MAX_TAP_ERRORS) errors.push(`${text}${message.data?.context ? ` ${JSON.stringify(message.data.context)}` : ''}`);
      const list = message.data?.context?.failed_pids; // "612, 614" (AudioTee.swift:120)
      if (list) failedPids.push(...list.split(',').map((p) => Number(p.trim())).filter(Number.isInteger));
    } else if (message?.message_type === 'metadata') {
      format = message.data ?? {};
      const fault = formatFault(format, errors.join(' | ') || undefined);
      if (fault) recorder.fail(fault);
      reported();
    }
  });
  return watch;
}

/**
 * 'ended' when audiotee exits before it reports its stream; 'running' once it has, or when `signal` aborts, or after
 * TAP_START_MS (the supervisor's watchdog takes over from there).
 */
async function tapOutcome(recorder: RunningRecorder, reported: Promise<void>, signal: AbortSignal | undefined): Promise<'ended' | 'running'> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const gaveUp = new Promise<'running'>((resolve) => {
    timer = setTimeout(() => resolve('running'), TAP_START_MS);
    onAbort = () => resolve('running');
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([recorder.ended.then(() => 'ended' as const), reported.then(() => 'running' as const), gaveUp]);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort!);
  }
}

/** Running meeting apps, for the system-audio picker (macOS 14.2+). */
export async function listAudioApps(env: NodeJS.ProcessEnv): Promise<string[]> {
  const ps = await runTool('ps', ['-axo', 'pid=,comm='], { env });
  if (ps.code !== 0) return [];
  const processes = parsePs(ps.stdout);
  return MEETING_APPS.filter((app) => processesOf(app, processes).length > 0);
}
