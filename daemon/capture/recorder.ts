/**
 * Recorders: what turns a device into 16 kHz mono signed 16-bit little-endian PCM on a pipe.
 *
 *   in-process    audify (RtAudio: PulseAudio on Linux, Core Audio on macOS, WASAPI on Windows), run as
 *                 audifyHelper.js on the daemon's own Node: the default for the microphone and system audio wherever
 *                 it loads (audify.ts). audiotee: macOS 14.2+ system audio through a Core Audio tap (audiotee.ts).
 *   fallback      the recorder programs, when audify did not build or load (or EARSHOT_AUDIO_BACKEND=recorders):
 *     microphone    node-record-lpcm16 with sox, rec or arecord (audioType 'raw': its WAV header carries bogus sizes)
 *     system audio  Linux: the monitor of the default sink with parec (lowest latency), else ffmpeg's pulse input, else sox
 *                   macOS: a loopback device (BlackHole, Loopback, Soundflower…) with ffmpeg (avfoundation) or sox
 *                   Windows: a loopback-capable DirectShow device (Stereo Mix, VB-CABLE, virtual-audio-capturer) with ffmpeg
 *
 * Every one of them is started as a child process and supervised the same way (RunningRecorder in runningRecorder.ts,
 * restarted by live.ts). Another native helper plugs in through the helper contract below (recorder 'helper',
 * `helperPath`); a launcher that is not a process at all can implement RecorderLauncher directly. The macOS and Windows
 * command lines and device detection are unit-tested only: they cannot run on Linux CI.
 *
 * Helper contract: `<helper> --rate 16000 --channels 1 --format s16le [--device NAME]` writes raw PCM to stdout until
 * SIGTERM, reports errors as text on stderr (a permission it knows macOS refused with the words "not authorized", as
 * ffmpeg does) and exits non-zero when it cannot capture. Core Audio itself reports no refusal to a helper: a denied
 * microphone or tap delivers zeros, which the source judges (silence.ts).
 *
 * Owns which recorder runs and the command line it runs with. Must not hold a running process (runningRecorder.ts) nor
 * supervise one (live.ts).
 */
import { APP_PREFIX } from '../../protocol/macosCapture';
import { CaptureError, CaptureKind, deviceNotFoundMessage } from './faults';
import { DEFAULT_DEVICE, defaultLoopbackDevice, defaultSystemMonitor, pickLoopbackDevice } from './devices';
import { CAPTURE_PERIOD_MS, SAMPLE_RATE } from './source';
import { findExecutable } from './tools';
import { audifyCommand, audifyStatus, listAudifyDevices, rtAudioNameForPulseSource } from './audify';
import { audioteeStatus, startAudiotee } from './audiotee';
import { pulseSources } from './devices';
import { audioteeSpawner } from './macCaptureApp';
import { MacMicrophoneOptions, macMicrophoneLauncher, microphoneAppUnusable } from './macMicrophone';
import { RunningRecorder, spawnRecorder, startMicRecorder } from './runningRecorder';
import { EARSHOT_APPLICATION_NAME } from './recorderCommand';
import type { MicRecorderName, RecorderCommand, RecorderName, SystemRecorderName } from './recorderCommand';

export const MIC_RECORDERS: readonly MicRecorderName[] = ['audify', 'earshot-capture', 'sox', 'rec', 'arecord'];
export const SYSTEM_RECORDERS: readonly SystemRecorderName[] = ['audify', 'audiotee', 'parec', 'ffmpeg', 'sox', 'helper'];
/** Backends inside Earshot (nothing to install), as opposed to the recorder programs. */
export const IN_PROCESS_RECORDERS: readonly RecorderName[] = ['audify', 'audiotee', 'earshot-capture'];

/** Which audio to record, from where, with which program. */
export interface RecorderRequest {
  kind: CaptureKind;
  /** Default: the first one installed, in order of latency (see defaultRecorder). */
  recorder?: RecorderName;
  /** A device name in the recorder's terms; default: the system's default microphone / the default output's monitor. */
  device?: string;
  /** The environment recorders run in (tests: a private PulseAudio server's PULSE_SERVER). Default: process.env. */
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** A native system-audio helper (see the helper contract above). */
  helperPath?: string;
  /** macOS: how the microphone reaches Earshot's capture app (macMicrophone.ts; default: this installation's, through open). */
  captureApp?: MacMicrophoneOptions;
}


/**
 * In-process backends first (nothing to install), then the recorder programs, low latency first. Playback → first
 * frame at the consumer, medians on Linux/PulseAudio (`npm run bench -- capture`): microphone arecord 135 ms,
 * sox 186 ms, rec 389 ms; system audio parec 24 ms, ffmpeg 26 ms, sox 195 ms. audify reads 20 ms periods
 * like parec. macOS system audio: audiotee (Core Audio process tap, macOS 14.2+) needs no driver; audify,
 * ffmpeg and sox record a loopback device (BlackHole) on older macOS. Windows system audio: audify opens the
 * default output as a WASAPI loopback input.
 */
const MIC_ORDER: Record<string, MicRecorderName[]> = { linux: ['audify', 'arecord', 'sox', 'rec'], darwin: ['earshot-capture', 'audify', 'sox', 'rec'], win32: ['audify', 'sox'] };
const SYSTEM_ORDER: Record<string, SystemRecorderName[]> = {
  linux: ['audify', 'parec', 'ffmpeg', 'sox'], darwin: ['audiotee', 'audify', 'ffmpeg', 'sox'], win32: ['audify', 'ffmpeg'],
};

/**
 * The recorder to use when none was chosen: the first available in the order above; when none is, the first
 * recorder program (its start then says what to install).
 */
export function defaultRecorder(kind: CaptureKind, platform: NodeJS.Platform, installed: (name: string) => boolean, helperPath?: string): RecorderName {
  if (kind === 'system' && helperPath) return 'helper';
  const order = (kind === 'mic' ? MIC_ORDER : SYSTEM_ORDER)[platform] ?? (kind === 'mic' ? MIC_ORDER.linux : SYSTEM_ORDER.linux);
  return order.find((r) => installed(r)) ?? order.find((r) => !IN_PROCESS_RECORDERS.includes(r))!;
}

/** Whether a backend or recorder program can run here: in-process backends when they load, programs when on PATH. */
export function recorderAvailable(name: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): boolean {
  if (name === 'audify') return platform === process.platform && audifyStatus(env).available;
  if (name === 'audiotee') return audioteeStatus(platform).available;
  if (name === 'earshot-capture') return platform === 'darwin' && microphoneAppUnusable() === undefined;
  return findExecutable(name, env, platform) !== undefined;
}

/** The program a recorder name runs. */
export function recorderProgram(recorder: RecorderName, helperPath?: string): string {
  if (recorder === 'helper') {
    if (!helperPath) throw new Error('the helper recorder needs helperPath');
    return helperPath;
  }
  return recorder;
}

/**
 * ALSA device names ("hw:1,0", "plughw:CARD=USB", "default", "pulse") versus PulseAudio/PipeWire source names
 * ("alsa_input.usb-…", "virtmic", "bluez_source.…"): the former never appear in `pactl list sources`.
 */
export function isAlsaDeviceName(device: string): boolean {
  return device.includes(':') || ['default', 'pulse', 'pipewire', 'null', 'sysdefault', 'dsnoop', 'plug'].includes(device);
}

/** Builds the command for a microphone recorder (run through node-record-lpcm16). */
export function micCommand(recorder: MicRecorderName, chosen: string | undefined, platform: NodeJS.Platform): RecorderCommand {
  const device = chosen === DEFAULT_DEVICE ? undefined : chosen;
  const envOverrides: Record<string, string> = {};
  let recordDevice: string | undefined;
  if (recorder === 'arecord') {
    // arecord speaks ALSA: a PulseAudio source is reached through ALSA's pulse plugin, told the source by PULSE_SOURCE.
    if (device && isAlsaDeviceName(device)) recordDevice = device;
    else if (device) {
      recordDevice = 'pulse';
      envOverrides.PULSE_SOURCE = device;
    }
  } else {
    // node-record-lpcm16 passes the device to sox only as AUDIODEV (and not at all to rec): the driver must be named,
    // or sox tries its compiled-in default; PULSE_SOURCE also reaches the pulseaudio driver's default device.
    const driver = platform === 'darwin' ? 'coreaudio' : platform === 'win32' ? 'waveaudio' : device && isAlsaDeviceName(device) ? 'alsa' : 'pulseaudio';
    envOverrides.AUDIODRIVER = driver;
    if (device) {
      envOverrides.AUDIODEV = device;
      if (driver === 'pulseaudio') envOverrides.PULSE_SOURCE = device;
      recordDevice = device;
    }
  }
  // libpulse (sox's pulseaudio driver, ALSA's pulse plugin) names the stream after this, over the program's own name.
  if (platform === 'linux') envOverrides.PULSE_PROP_OVERRIDE = `application.name=${EARSHOT_APPLICATION_NAME}`;
  const recordOptions = { recorder, sampleRate: SAMPLE_RATE, channels: 1, audioType: 'raw' as const, ...(recordDevice ? { device: recordDevice } : {}) };
  // The command node-record-lpcm16 will run, from its own builders, so that what is shown is what runs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const built = (require('node-record-lpcm16/recorders') as { load(name: string): (o: object) => { cmd: string; args: (string | number)[] } })
    .load(recorder)({ threshold: 0.5, silence: '1.0', endOnSilence: false, ...recordOptions });
  return { recorder, command: built.cmd, args: built.args.map(String), envOverrides, device: device ?? 'default', recordOptions };
}

/** Builds the command for a system-audio recorder; `device` is already resolved (see resolveSystemDevice). */
export function systemCommand(recorder: SystemRecorderName, device: string, platform: NodeJS.Platform, helperPath?: string): RecorderCommand {
  const rate = String(SAMPLE_RATE);
  const pcmOut = ['-ac', '1', '-ar', rate, '-acodec', 'pcm_s16le', '-f', 's16le', '-'];
  const ffmpegHead = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-fflags', 'nobuffer'];
  switch (recorder) {
    case 'parec':
      // --latency-msec=20: ≈15 ms from playback to our stdout (the default is ≈2 s on an idle sink).
      return { recorder, command: 'parec', args: [`--latency-msec=${CAPTURE_PERIOD_MS}`, '--format=s16le', `--rate=${rate}`, '--channels=1', '--raw', '-d', device], envOverrides: {}, device };
    case 'ffmpeg': {
      if (platform === 'darwin') {
        // avfoundation takes ":<audio device name or index>" for audio only.
        return { recorder, command: 'ffmpeg', args: [...ffmpegHead, '-f', 'avfoundation', '-i', `:${device}`, ...pcmOut], envOverrides: {}, device };
      }
      if (platform === 'win32') {
        // DirectShow buffers 500 ms by default: 50 ms keeps latency near parec's.
        return { recorder, command: 'ffmpeg', args: [...ffmpegHead, '-f', 'dshow', '-audio_buffer_size', '50', '-i', `audio=${device}`, ...pcmOut], envOverrides: {}, device };
      }
      // fragment_size 640 bytes = 20 ms at 16 kHz mono s16: the pulse input's default fragment is far larger.
      const fragmentBytes = String((SAMPLE_RATE * 2 * CAPTURE_PERIOD_MS) / 1000);
      return {
        recorder, command: 'ffmpeg',
        args: [...ffmpegHead, '-f', 'pulse', '-sample_rate', rate, '-channels', '1', '-fragment_size', fragmentBytes, '-i', device, ...pcmOut],
        envOverrides: {}, device,
      };
    }
    case 'sox': {
      const driver = platform === 'darwin' ? 'coreaudio' : platform === 'win32' ? 'waveaudio' : 'pulseaudio';
      return {
        recorder, command: 'sox',
        args: ['--default-device', '--no-show-progress', '--rate', rate, '--channels', '1', '--encoding', 'signed-integer', '--bits', '16', '--type', 'raw', '-'],
        envOverrides: { AUDIODRIVER: driver, AUDIODEV: device, ...(driver === 'pulseaudio' ? { PULSE_SOURCE: device } : {}) },
        device,
      };
    }
    case 'audify':
    case 'audiotee':
      throw new Error(`${recorder} is started by recorderLauncher (audifyCommand, audioteeCommand)`);
    case 'helper':
      return {
        recorder, command: recorderProgram('helper', helperPath),
        args: ['--rate', rate, '--channels', '1', '--format', 's16le', ...(device === 'default' ? [] : ['--device', device])], envOverrides: {}, device,
      };
  }
}

/**
 * The system-audio device to record. Linux: the chosen source, else the monitor of the default sink (asked again at
 * every start, so a changed default output is followed after a restart). macOS/Windows: the chosen device, else
 * the first loopback device found (a CaptureError with setup instructions when there is none).
 */
export async function resolveSystemDevice(request: RecorderRequest, recorder: SystemRecorderName, signal?: AbortSignal): Promise<string> {
  if (request.device && request.device !== DEFAULT_DEVICE) return request.device;
  const platform = request.platform ?? process.platform;
  const env = request.env ?? process.env;
  if (recorder === 'helper') return 'default';
  if (platform === 'darwin' || platform === 'win32') {
    const loopback = await defaultLoopbackDevice(platform, env);
    if ('fault' in loopback) throw new CaptureError(loopback.fault);
    return loopback.device;
  }
  return defaultSystemMonitor(env, signal);
}

/** Starts recorders; the seam where a native helper or a test's fake plugs in. */
export interface RecorderLauncher {
  /** The recorder's name, for messages. */
  readonly recorder: string;
  /** Starts one recorder process. Throws CaptureError when it cannot even be started (no device to record). */
  launch(signal?: AbortSignal): Promise<RunningRecorder>;
}

/** The launcher for a request: an in-process backend or node-record-lpcm16 for the microphone, a direct spawn otherwise. */
export function recorderLauncher(request: RecorderRequest): RecorderLauncher {
  const platform = request.platform ?? process.platform;
  const env = request.env ?? process.env;
  if (request.kind === 'mic' && platform === 'darwin' && (request.recorder ?? 'earshot-capture') === 'earshot-capture') {
    // Earshot's own app, which macOS asks for the microphone by name; audify (or a program) where it cannot run.
    const fallback = defaultRecorder('mic', platform, (name) => name !== 'earshot-capture' && recorderAvailable(name, env, platform));
    return macMicrophoneLauncher(request.device, recorderLauncher({ ...request, recorder: fallback }), request.captureApp);
  }
  let recorder = request.recorder ?? defaultRecorder(request.kind, platform, (name) => recorderAvailable(name, env, platform), request.helperPath);
  // RtAudio's PulseAudio API cannot open ALSA device names (hw:1,0): those stay with arecord.
  if (!request.recorder && recorder === 'audify' && platform === 'linux' && request.kind === 'mic' && request.device && request.device !== DEFAULT_DEVICE && isAlsaDeviceName(request.device)) {
    recorder = defaultRecorder('mic', platform, (name) => name !== 'audify' && recorderAvailable(name, env, platform));
  }
  // A chosen loopback device (BlackHole) is recorded as a device; the tap only takes "all" or app:<names>.
  if (!request.recorder && recorder === 'audiotee' && request.device && request.device !== DEFAULT_DEVICE && !request.device.startsWith(APP_PREFIX)) {
    recorder = defaultRecorder('system', platform, (name) => name !== 'audiotee' && recorderAvailable(name, env, platform));
  }
  if (recorder === 'earshot-capture') throw new Error('"earshot-capture" (Earshot\'s capture app) records the microphone on macOS only');
  if (request.kind === 'mic' && !(MIC_RECORDERS as readonly string[]).includes(recorder)) {
    throw new Error(`"${recorder}" is not a microphone recorder (one of ${MIC_RECORDERS.join(', ')})`);
  }
  if (request.kind === 'system' && !(SYSTEM_RECORDERS as readonly string[]).includes(recorder)) {
    throw new Error(`"${recorder}" is not a system-audio recorder (one of ${SYSTEM_RECORDERS.join(', ')})`);
  }
  const spawnCommand = (command: RecorderCommand) => spawnRecorder(command, env);
  return {
    recorder,
    launch: async (signal) => {
      if (recorder !== 'audiotee' && request.device?.startsWith(APP_PREFIX)) {
        throw new CaptureError({ reason: 'no-system-audio', message: `Recording only one application's audio (${request.device}) needs macOS 14.2 or later (Core Audio taps). Choose all system audio instead. The microphone keeps working.` });
      }
      if (recorder === 'audify') {
        const { device, rtName } = await resolveAudifyDevice(request, platform, env, signal);
        return spawnCommand({ ...audifyCommand(request.kind, rtName), device });
      }
      if (recorder === 'audiotee') {
        const device = request.device ?? DEFAULT_DEVICE;
        // Through Earshot's own app when the installation has it, so that macOS asks for "Earshot" (macCaptureApp.ts).
        return startAudiotee({ device, apps: device !== DEFAULT_DEVICE, env, ...(signal ? { signal } : {}) }, audioteeSpawner(spawnCommand));
      }
      if (request.kind === 'mic') return startMicRecorder(micCommand(recorder as MicRecorderName, request.device, platform), env);
      const device = await resolveSystemDevice(request, recorder as SystemRecorderName, signal);
      return spawnCommand(systemCommand(recorder as SystemRecorderName, device, platform, request.helperPath));
    },
  };
}


/**
 * The device audify opens: `device` as the user knows it (a PulseAudio source name on Linux, a device name on
 * macOS/Windows, 'default') and `rtName`, RtAudio's name for it. Linux maps source names to RtAudio's names (their
 * descriptions) through pactl; without pactl only the defaults can be opened. System audio's default is the
 * default sink's monitor (Linux), the default output as a loopback (Windows), a loopback device (pickLoopbackDevice:
 * macOS before 14.2, where audiotee cannot tap).
 */
export async function resolveAudifyDevice(request: RecorderRequest, platform: NodeJS.Platform, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<{ device: string; rtName: string }> {
  const chosen = request.device && request.device !== DEFAULT_DEVICE ? request.device : undefined;
  if (platform === 'linux') {
    const device = chosen ?? (request.kind === 'system' ? await defaultSystemMonitor(env, signal) : DEFAULT_DEVICE);
    if (device === DEFAULT_DEVICE || device === '@DEFAULT_MONITOR@' || !findExecutable('pactl', env, platform)) return { device, rtName: DEFAULT_DEVICE };
    const sources = await pulseSources(env);
    if (!sources) return { device, rtName: device }; // no server: the helper says so
    const mapped = rtAudioNameForPulseSource(device, sources);
    if ('error' in mapped) throw new CaptureError({ reason: 'device-not-found', message: deviceNotFoundMessage(request.kind, device), detail: mapped.error });
    return { device, rtName: mapped.name };
  }
  if (chosen) return { device: chosen, rtName: chosen };
  if (request.kind === 'system' && platform === 'darwin') {
    const listed = await listAudifyDevices(env, signal);
    const loopback = pickLoopbackDevice(listed?.devices.filter((d) => d.inputChannels > 0).map((d) => d.name) ?? [], 'darwin');
    if (!loopback) throw new CaptureError({ reason: 'no-system-audio', message: noLoopbackMessage() });
    return { device: loopback, rtName: loopback };
  }
  return { device: DEFAULT_DEVICE, rtName: DEFAULT_DEVICE };
}

function noLoopbackMessage(): string {
  return 'System audio on macOS before 14.2 needs a loopback device: install BlackHole (brew install blackhole-2ch), then in Audio MIDI Setup create a Multi-Output Device with your speakers and BlackHole and make it the output. (macOS 14.2 and later need nothing.) The microphone keeps working.';
}
