/**
 * The macOS microphone recorded by Earshot's own app (macCaptureApp.ts), so that macOS asks the user for "Earshot".
 *
 * Why not audify in the daemon's process: the daemon runs as VS Code's `Code Helper (Plugin)`, which has the hardened
 * runtime without the com.apple.security.device.audio-input entitlement (microsoft/vscode build/darwin/sign.ts and its
 * helper-plugin-entitlements.plist), and tccd refuses the microphone to such a process without asking
 * (adoptium/temurin-build#1720: "requires entitlement com.apple.security.device.audio-input but it is missing",
 * "Policy disallows prompt"); review 3, P2. The app is launched through LaunchServices, is its own responsible process,
 * is not hardened, and declares NSMicrophoneUsageDescription.
 *
 * The app's executable, earshot-capture (scripts/mac-capture-app.js builds it), takes:
 *   `devices`  → one JSON line on stdout, {"devices":[{id, name, inputChannels, isDefaultInput, sampleRates,
 *                preferredSampleRate}]}, the input devices as RtAudio lists them (names "<manufacturer>: <name>",
 *                RtAudio.cpp:1231-1268; ids numbered from 129 in Core Audio's order in each process, :674, :1167);
 *   `microphone [--device ID|default] [--sample-rate 16000] [--chunk-duration 0.02]` → 16 kHz mono s16le on stdout,
 *                JSON log lines on stderr in audiotee's shape (one `metadata` line, describing the stream on stdout,
 *                once it runs; an `error` line and a non-zero exit when the device cannot be opened); SIGTERM ends it.
 *
 * Device ids: Earshot's microphone ids on macOS stay RtAudio's device names, in the app's list as in audify's, so a
 * device chosen (and stored in earshot.devices.microphone) means the same device whichever records it. The app's
 * numeric id is looked up by that name at every start (a device plugged in renumbers them), by the exact name, else as
 * coreAudioDeviceFor matches names across encodings (audify's RtAudio converts names with MacRoman).
 *
 * Where the app is missing (a development checkout that never packaged) or `open` cannot launch it, the microphone is
 * recorded as before, by audify in the daemon's process (or sox), and the log says so once; `earshot devices` and
 * Show Health name the backend (devices.ts, captureBackends).
 */
import * as os from 'node:os';
import { MAC_CAPTURE_APP_RECORDER } from '../../protocol/protocol';
import { macosSupportsProcessTaps } from '../../protocol/macosCapture';
import { formatWords, isDecodedFormat, parseAudioteeLine } from './audiotee';
import { coreAudioDeviceFor } from './audifyHelper';
import { CaptureError, deviceNotFoundMessage } from './faults';
import { CAPTURE_APP, CaptureAppOptions, captureAppPath, CaptureAppProcess, captureAppUnusable, captureWarning, launchCaptureApp, markCaptureAppUnusable } from './macCaptureApp';
import { RunningRecorder } from './runningRecorder';
import { CAPTURE_PERIOD_MS, SAMPLE_RATE } from './source';


/** An input device as `earshot-capture devices` lists it. */
export interface CaptureAppDevice {
  id: number;
  name: string;
  inputChannels: number;
  isDefaultInput: boolean;
  sampleRates: number[];
  preferredSampleRate: number;
}

/** How long `earshot-capture devices` may take through `open` (a launch, a Core Audio probe of every device). */
const LIST_TIMEOUT_MS = 8000;

/** The app's arguments for the microphone: `id` is the app's device id, or 'default'. */
export function microphoneArgs(id: string): string[] {
  return ['microphone', '--device', id, '--sample-rate', String(SAMPLE_RATE), '--chunk-duration', String(CAPTURE_PERIOD_MS / 1000)];
}

/** The last line of `earshot-capture devices`; undefined when it is not that JSON. */
export function parseCaptureAppDevices(stdout: string): CaptureAppDevice[] | undefined {
  const line = stdout.trim().split('\n').pop() ?? '';
  let parsed: { devices?: unknown };
  try {
    parsed = JSON.parse(line) as { devices?: unknown };
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed?.devices)) return undefined;
  return parsed.devices.filter((d): d is CaptureAppDevice => typeof d === 'object' && d !== null
    && Number.isInteger(d.id) && typeof d.name === 'string' && typeof d.inputChannels === 'number' && typeof d.isDefaultInput === 'boolean')
    .map((d) => ({ ...d, sampleRates: Array.isArray(d.sampleRates) ? d.sampleRates.filter((r) => typeof r === 'number') : [], preferredSampleRate: typeof d.preferredSampleRate === 'number' ? d.preferredSampleRate : 0 }));
}

/**
 * The input devices through the app (`devices`), or why not: the app did not answer in `timeoutMs` (it is then
 * killed), or answered something else. `options.onLaunchFailed` hears when `open` could not launch it at all.
 */
/** What a listing stopped by its signal answers. */
const LISTING_STOPPED = 'stopped before the app answered';

export async function listCaptureAppDevices(options: CaptureAppOptions, timeoutMs = LIST_TIMEOUT_MS, signal?: AbortSignal): Promise<{ devices: CaptureAppDevice[] } | { error: string }> {
  const app = new CaptureAppProcess(['devices'], options);
  let out = '';
  let err = '';
  let failed: Error | undefined;
  app.on('error', (e: Error) => { failed = e; });
  app.stdout.setEncoding('utf8').on('data', (text: string) => { out += text; });
  app.stderr.setEncoding('utf8').on('data', (text: string) => { err += text; });
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const answered = await Promise.race([
    Promise.all([new Promise((resolve) => app.once('close', resolve)), new Promise((resolve) => app.stdout.once('end', resolve))]).then(() => true as const),
    new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); }),
    // A stop while it lists (the source stopped before its recorder started) does not wait for the answer.
    new Promise<'stopped'>((resolve) => { onAbort = () => resolve('stopped'); if (signal?.aborted) onAbort(); else signal?.addEventListener('abort', onAbort, { once: true }); }),
  ]);
  clearTimeout(timer);
  if (onAbort) signal?.removeEventListener('abort', onAbort);
  if (answered !== true) {
    app.kill('SIGKILL');
    return { error: answered === 'stopped' ? LISTING_STOPPED : `\`${MAC_CAPTURE_APP_RECORDER} devices\` did not answer within ${timeoutMs / 1000} s` };
  }
  const devices = parseCaptureAppDevices(out);
  if (devices) return { devices };
  return { error: failed?.message ?? (err.trim().split('\n').slice(-2).join(' | ').slice(0, 400) || `\`${MAC_CAPTURE_APP_RECORDER} devices\` printed no device list`) };
}

/**
 * The app's device for a microphone id (an RtAudio device name): the same name, else the one coreAudioDeviceFor takes
 * (the name as audify's MacRoman conversion mangles it, or the same ASCII letters).
 */
export function captureAppDeviceFor(chosen: string, devices: CaptureAppDevice[]): CaptureAppDevice | undefined {
  const inputs = devices.filter((d) => d.inputChannels > 0);
  const exact = inputs.find((d) => d.name === chosen);
  if (exact) return exact;
  const named = inputs.map((d) => {
    const at = d.name.indexOf(': ');
    return at < 0 ? { name: d.name } : { manufacturer: d.name.slice(0, at), name: d.name.slice(at + 2) };
  });
  const found = coreAudioDeviceFor(chosen, named);
  return found && inputs[named.indexOf(found)];
}

/** What records the microphone when the app does not, as recorder.ts builds it. */
export interface MicrophoneFallback {
  readonly recorder: string;
  launch(signal?: AbortSignal): Promise<RunningRecorder>;
}

/** `app`: the bundle; left out, captureAppPath(); given as undefined, none (a test's missing app). */
export interface MacMicrophoneOptions extends Partial<CaptureAppOptions> {
  /** Where to say that the fallback records (once per reason). */
  log?: (message: string) => void;
  /** How long the device list may take (LIST_TIMEOUT_MS). */
  listTimeoutMs?: number;
}

/**
 * Why the app does not record now (missing, too old a macOS, or `open` could not launch it), or undefined when it does.
 * `release`: os.release() on a Mac (Darwin; the app's LSMinimumSystemVersion is 14.2 = Darwin 23.2, as for taps).
 */
export function microphoneAppUnusable(app: string | undefined = captureAppPath(), release = process.platform === 'darwin' ? os.release() : undefined): string | undefined {
  if (!app) return `${CAPTURE_APP} is not in this installation (a development checkout: \`node scripts/mac-capture-app.js\` builds it)`;
  if (release !== undefined && !macosSupportsProcessTaps(release)) return `${CAPTURE_APP} needs macOS 14.2 or later (its LSMinimumSystemVersion)`;
  return captureAppUnusable();
}

/** The bundle `options` name (MacMicrophoneOptions.app). */
export function captureAppOf(options: MacMicrophoneOptions): string | undefined {
  return 'app' in options ? options.app : captureAppPath();
}

/** How to launch the app: `open` failing marks it unusable for every subcommand (the tap's too). */
function launchOptions(options: MacMicrophoneOptions, app: string): CaptureAppOptions {
  return {
    ...options, app,
    onLaunchFailed: (reason) => {
      markCaptureAppUnusable(`open could not launch ${CAPTURE_APP}: ${reason}`);
      options.onLaunchFailed?.(reason);
    },
  };
}

/** The input devices through the app while it is used, or why it could not list them; undefined when it is not used. */
export async function listMicrophonesThroughApp(options: MacMicrophoneOptions = {}): Promise<{ devices: CaptureAppDevice[] } | { error: string } | undefined> {
  const app = captureAppOf(options);
  if (microphoneAppUnusable(app)) return undefined;
  return listCaptureAppDevices(launchOptions(options, app!), options.listTimeoutMs);
}

/**
 * The macOS microphone's launcher: through the app while it is there and launches, else `fallback` (audify in the
 * daemon's process, or a recorder program), said in the log once per reason. `recorder` names whichever records now.
 * `device`: the microphone id as chosen (an RtAudio name), or undefined/'default'.
 */
export function macMicrophoneLauncher(device: string | undefined, fallback: MicrophoneFallback, options: MacMicrophoneOptions = {}) {
  const log = options.log ?? captureWarning('microphone');
  const appPath = () => captureAppOf(options);
  let said: string | undefined;
  const launcher = {
    get recorder(): string {
      return microphoneAppUnusable(appPath()) ? fallback.recorder : MAC_CAPTURE_APP_RECORDER;
    },
    async launch(signal?: AbortSignal): Promise<RunningRecorder> {
      const app = appPath();
      const why = microphoneAppUnusable(app);
      if (why) {
        if (said !== why) log(`recording the microphone with ${fallback.recorder} inside the editor's process, so macOS asks the editor for it (and may refuse it without asking): ${why}`);
        said = why;
        return fallback.launch(signal);
      }
      let recorder: RunningRecorder | undefined;
      // A launch that fails ends this start with a fault saying what comes next; `open`'s own words are its detail.
      const appOptions = launchOptions({
        ...options,
        onLaunchFailed: (reason) => {
          recorder?.fail({ reason: 'recorder-exited', message: `macOS could not launch ${CAPTURE_APP}, so Earshot records the microphone without it from the next attempt on (macOS then asks Visual Studio Code for it).`, detail: reason.slice(0, 400) });
          options.onLaunchFailed?.(reason);
        },
      }, app!);
      const chosen = device && device !== 'default' ? device : undefined;
      let id = 'default';
      if (chosen) {
        const listed = await listCaptureAppDevices(appOptions, options.listTimeoutMs, signal);
        // Stopped while it listed: the supervisor stops whatever this returns at once (recorderSupervisor.ts runRecorder),
        // and a stop says nothing against the app, so it is not marked unusable.
        if ('error' in listed && listed.error === LISTING_STOPPED) return fallback.launch(signal);
        if ('error' in listed) {
          // An app that cannot list the devices cannot be trusted to record: this start and the next ones fall back.
          if (!captureAppUnusable()) markCaptureAppUnusable(`${CAPTURE_APP} did not list the devices: ${listed.error}`);
          return launcher.launch(signal);
        }
        const found = captureAppDeviceFor(chosen, listed.devices);
        if (!found) {
          throw new CaptureError({ reason: 'device-not-found', message: deviceNotFoundMessage('mic', chosen), detail: `not among ${listed.devices.map((d) => `"${d.name}"`).join(', ') || 'no input devices'}` });
        }
        id = String(found.id);
      }
      recorder = launchCaptureApp({ recorder: MAC_CAPTURE_APP_RECORDER, args: microphoneArgs(id), device: chosen ?? 'default' }, appOptions);
      checkStreamFormat(recorder);
      return recorder;
    },
  };
  return launcher;
}

/** The device the app opened, from its `metadata` line (`device_name`, RtAudio's name); undefined for any other line. */
export function openedByCaptureApp(line: string): string | undefined {
  const message = parseAudioteeLine(line);
  const name = message?.message_type === 'metadata' ? (message.data as { device_name?: unknown } | undefined)?.device_name : undefined;
  return typeof name === 'string' ? name : undefined;
}

/**
 * The app's `metadata` line says what it writes on stdout (as audiotee's does, AudioStreamMetadata.swift:13-22): any
 * other stream than 16 kHz mono s16le would be decoded as noise, so the recorder ends with a fault saying so.
 */
function checkStreamFormat(recorder: RunningRecorder): void {
  recorder.onStderrLine((line) => {
    const message = parseAudioteeLine(line);
    if (message?.message_type !== 'metadata' || isDecodedFormat(message.data ?? {})) return;
    recorder.fail({
      reason: 'recorder-exited',
      message: `The microphone from ${CAPTURE_APP} comes as ${formatWords(message.data ?? {}, "the device's own rate")}, not the 16 kHz mono 16-bit audio Earshot asked for, so Earshot stopped it rather than record noise. Choose another microphone (Earshot: Choose Microphone…) and report this with Earshot: Show Log.`,
      detail: line.slice(0, 400),
    });
  });
}
