/**
 * macOS system audio without a driver: audiotee (npm, optional dependency), a small universal binary that taps what
 * the machine plays with Core Audio process taps (macOS 14.2+) and writes PCM to stdout. It is run as a recorder
 * program (helper contract: PCM on stdout, errors on stderr); audiotee writes its log as JSON lines on stderr.
 *
 * Per-application capture: a system-audio device id `app:<name>[,<name>…]` (e.g. `app:zoom.us`,
 * `app:Google Chrome`) taps only the processes of those applications, helpers included (a browser plays a Meet
 * call from "Google Chrome Helper"); listAudioApps() offers the running meeting apps for the picker.
 *
 * Permission: the tap is attributed to the app Earshot runs in (Visual Studio Code, or the terminal for the CLI).
 * macOS asks once; when denied the tap still runs and delivers only digital silence (audiotee's README says VS
 * Code's terminal is not even asked), so a silent tap gets a hint with the settings pane's link (see live.ts).
 * None of this can run on Linux CI: the arguments, version check, app matching and messages are unit-tested.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CaptureError } from './faults';
import { SAMPLE_RATE } from './source';
import { runTool } from './tools';

/** System Settings → Privacy & Security → Screen & System Audio Recording (its "System Audio Recording Only" list). */
export const MACOS_AUDIO_CAPTURE_SETTINGS = 'x-apple.systempreferences:com.apple.preference.security?Privacy_ScreenCapture';
/** System Settings → Privacy & Security → Microphone. */
export const MACOS_MICROPHONE_SETTINGS = 'x-apple.systempreferences:com.apple.preference.security?Privacy_Microphone';

/** Device ids that name applications rather than a device. */
export const APP_PREFIX = 'app:';

/** Core Audio process taps arrived in macOS 14.2 = Darwin 23.2. */
export function macosSupportsProcessTaps(darwinRelease: string): boolean {
  const [major, minor] = darwinRelease.split('.').map((n) => Number(n));
  return major > 23 || (major === 23 && minor >= 2);
}

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
 * The processes of an application: its executable's name is the app's name, or it lives inside `<name>.app`
 * (which takes in "Google Chrome Helper (Renderer)" and the other helpers that actually play a call's audio).
 */
export function processesOf(app: string, processes: RunningProcess[]): number[] {
  const lower = app.toLowerCase();
  return processes.filter((p) => {
    const cmd = p.command.toLowerCase();
    return path.posix.basename(cmd) === lower || cmd.includes(`/${lower}.app/`);
  }).map((p) => p.pid);
}

/** Meeting apps and browsers offered by the picker, by their executable name on macOS. */
export const MEETING_APPS = ['zoom.us', 'Microsoft Teams', 'Google Chrome', 'Safari', 'Firefox', 'Microsoft Edge', 'Arc', 'Slack', 'Webex', 'Discord', 'FaceTime'];

/** The process ids of `app:<names>`; a CaptureError-ready message when none of them runs. */
export async function resolveApps(device: string, env: NodeJS.ProcessEnv): Promise<number[]> {
  const names = parseAppDevice(device);
  const ps = await runTool('ps', ['-axo', 'pid=,comm='], { env });
  const processes = parsePs(ps.stdout);
  const pids = [...new Set(names.flatMap((n) => processesOf(n, processes)))];
  if (pids.length === 0) {
    throw new CaptureError({ reason: 'device-not-found', message: `${names.join(', ')} is not running: start the meeting app first (or choose all system audio). Earshot retries on its own.` });
  }
  return pids;
}

/** Running meeting apps, for the system-audio picker (macOS 14.2+). */
export async function listAudioApps(env: NodeJS.ProcessEnv): Promise<string[]> {
  const ps = await runTool('ps', ['-axo', 'pid=,comm='], { env });
  if (ps.code !== 0) return [];
  const processes = parsePs(ps.stdout);
  return MEETING_APPS.filter((app) => processesOf(app, processes).length > 0);
}

/** The message for a tap that delivers only digital silence: most likely the permission, with the pane's link. */
export function silentTapHint(host = 'Visual Studio Code'): string {
  return `System audio is completely silent. If something is playing, macOS is withholding it: open System Settings → Privacy & Security → Screen & System Audio Recording, add ${host} under "System Audio Recording Only", then restart the session (${MACOS_AUDIO_CAPTURE_SETTINGS}).`;
}
