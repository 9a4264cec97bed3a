/**
 * Why a recorder stopped, in words a user can act on. Recorders only say it on stderr and in their exit code, and
 * differently: sox exits 0 when the sound server dies ("Connection terminated"), arecord exits 1 on a normal
 * SIGTERM and reports a dead server as an I/O error, parec says "Connection refused", ffmpeg on macOS reports a
 * denied microphone as "Failed to create AV capture input device: Not authorized".
 */
import { MACOS_AUDIO_CAPTURE_SETTINGS, MACOS_MICROPHONE_SETTINGS } from '../../protocol/macosCapture';

export type CaptureKind = 'mic' | 'system';

export type FaultReason =
  | 'recorder-missing' // the recorder program is not installed
  | 'device-not-found' // no such device, or it was unplugged
  | 'device-busy' // another program holds the device exclusively
  | 'permission-denied' // the OS refused access (macOS privacy settings, Windows privacy settings, /dev/snd)
  | 'server-not-running' // no PulseAudio/PipeWire server to connect to
  | 'server-lost' // the connection to the sound server (or the device) broke mid-capture
  | 'no-system-audio' // this machine has no way to capture system audio yet
  | 'stalled' // the recorder runs but no audio arrives
  | 'recorder-exited'; // it stopped for a reason it did not state

export interface CaptureFault {
  reason: FaultReason;
  /** One or two sentences for the user: what happened and what to do. Never contains audio or transcript. */
  message: string;
  /** The recorder's own words (the last lines of its stderr), for logs and an expandable detail. */
  detail?: string;
}

/** A fault found before or while starting a recorder (e.g. no loopback device to capture system audio from). */
export class CaptureError extends Error {
  override name = 'CaptureError';
  constructor(readonly fault: CaptureFault) {
    super(fault.message);
  }
}

export interface FaultContext {
  kind: CaptureKind;
  /** The recorder program ('sox', 'parec', …). */
  recorder: string;
  /** The device as the user knows it, or 'default'. */
  device: string;
  platform: NodeJS.Platform;
  /** macOS: the recorder ran as Earshot's own app (macCaptureApp.ts), so macOS asked about Earshot, not the editor. */
  asEarshot?: boolean;
}

/** How a recorder process ended (see RunningRecorder). */
export interface RecorderEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** It never started (ENOENT: not installed; EACCES: not executable). */
  spawnError?: NodeJS.ErrnoException;
  /** The last of its stderr. */
  stderr: string;
}

const what = (kind: CaptureKind) => (kind === 'mic' ? 'microphone' : 'system audio');
/** The device in a sentence: quoted, or "the default microphone". */
const deviceWords = (kind: CaptureKind, device: string) => (device === 'default' ? `the default ${kind === 'mic' ? 'microphone' : 'system audio source'}` : `"${device}"`);

/** The package that brings `recorder` on `platform`, as an install command. */
export function installHint(recorder: string, platform: NodeJS.Platform): string {
  if (platform === 'darwin') {
    return recorder === 'ffmpeg' ? 'brew install ffmpeg' : recorder === 'sox' || recorder === 'rec' ? 'brew install sox' : `install ${recorder}`;
  }
  if (platform === 'win32') {
    return recorder === 'ffmpeg' ? 'winget install Gyan.FFmpeg' : recorder === 'sox' ? 'winget install ChrisBagwell.SoX' : `install ${recorder}`;
  }
  const debian: Record<string, string> = {
    sox: 'sox libsox-fmt-pulse', rec: 'sox libsox-fmt-pulse', arecord: 'alsa-utils', parec: 'pulseaudio-utils', pactl: 'pulseaudio-utils', ffmpeg: 'ffmpeg',
  };
  const pkg = debian[recorder];
  return pkg ? `sudo apt install ${pkg} (Debian/Ubuntu; the package has the same name on most distributions)` : `install ${recorder}`;
}

/** Lines of recorder stderr that mean capture is over even if the process lingers: it is stopped at once. */
export function isFatalStderrLine(line: string): boolean {
  return /connection terminated|connection refused|stream error|read error|can't open input|audio open error|failed to create av capture|declined tccs|could not run graph|could not find audio only device|pa_context_connect\(\) failed/i.test(line);
}

/** The recorder's stderr without noise, for `detail`. */
function detailOf(stderr: string): string | undefined {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !/^ALSA lib (conf|confmisc)\.c/.test(l) && !/^[A-Z_]+:\s/.test(l));
  const text = lines.slice(-3).join(' | ');
  return text ? text.slice(0, 400) : undefined;
}

/** Turns how a recorder ended, when nobody asked it to, into a fault with an actionable message. */
export function classifyEnd(ctx: FaultContext, end: RecorderEnd): CaptureFault {
  const detail = detailOf(end.stderr);
  const err = end.stderr.toLowerCase();
  const device = deviceWords(ctx.kind, ctx.device);
  const fault = (reason: FaultReason, message: string): CaptureFault => ({ reason, message, ...(detail ? { detail } : {}) });

  if (end.spawnError) {
    if (end.spawnError.code === 'ENOENT') {
      return fault('recorder-missing', `Cannot capture ${what(ctx.kind)}: the recorder "${ctx.recorder}" is not installed. Install it (${installHint(ctx.recorder, ctx.platform)}) or choose another recorder.`);
    }
    return fault('recorder-exited', `Cannot start the recorder "${ctx.recorder}" for ${what(ctx.kind)}: ${end.spawnError.message}.`);
  }
  // Before "permission": sox writes "Connection terminated: Operation not permitted" when the server dies.
  if (/connection terminated|connection reset|input\/output error|stream has been terminated/.test(err)) {
    return fault('server-lost', lostMessage(ctx));
  }
  // "No input device": Earshot's macOS capture app found no default input (macMicrophone.ts; its error line).
  if (/connection refused|pa_context_connect\(\) failed|connection failure|unknown pcm default|no default audio device|"no input device"/.test(err)) {
    if (ctx.platform === 'linux') {
      return fault('server-not-running', `Cannot capture ${what(ctx.kind)}: the sound server (PulseAudio or PipeWire) is not running. Start it (e.g. \`systemctl --user start pulseaudio\` or \`pipewire-pulse\`) or connect a device; Earshot retries on its own.`);
    }
    // macOS and Windows have no sound server to start: the audify helper found no device of the kind (planOpen's "no
    // default audio device").
    return fault('device-not-found', noDeviceMessage(ctx));
  }
  // A WASAPI loopback that initializes (AUDCLNT_STREAMFLAGS_LOOPBACK, RtAudio.cpp:5709-5714) but gives no capture
  // client (:5722-5727, "Unable to retrieve capture client handle."): the endpoint cannot be captured as a loopback.
  // Wine before 9.12 answers every loopback so (AUDCLNT_E_WRONG_ENDPOINT_TYPE). Retrying cannot help; another source can.
  if (ctx.platform === 'win32' && ctx.kind === 'system' && /unable to retrieve capture client handle/.test(err)) {
    return fault('no-system-audio', `Windows would not capture what ${device === 'the default system audio source' ? 'the default output' : device} plays (WASAPI loopback refused; Wine before 9.12 has no loopback). Choose a recording device that carries system audio as the system audio source instead: Stereo Mix, VB-CABLE's "CABLE Output", or under Wine "Monitor of …" (\`earshot devices\` lists them). The microphone keeps working.`);
  }
  // WASAPI says no HRESULT (RtAudio.cpp): the device's audio client would not initialize or could not even be had. In
  // shared mode that is the microphone privacy switch (E_ACCESSDENIED) or another program holding the device in exclusive
  // mode (AUDCLNT_E_DEVICE_IN_USE): the message names both. RtAudio says it on opening (probeDeviceOpen, :5441, :5471,
  // :5497) or from its stream thread once started (wasapiThread, :5698, :5718, :5809, :5829; RTAUDIO_DRIVER_ERROR).
  // System audio from a capture endpoint (Stereo Mix, VB-CABLE's output) is a recording device like a microphone, behind
  // the same privacy switch; a loopback (an output device) is not. The default is always a loopback (planOpen); the helper
  // says "(loopback)" when it starts one (audifyHelper.ts), before its stream thread can fail, and opening a loopback
  // fails with "render device audio client" (:5471, :5497) where a capture endpoint says "capture device" (:5441).
  if (ctx.platform === 'win32' && /unable to (initialize|retrieve) (capture|render) (device )?audio client/.test(err)) {
    const loopback = ctx.kind === 'system' && (ctx.device === 'default' || /\(loopback\)|render device audio client/.test(err));
    return fault(loopback ? 'device-busy' : 'permission-denied', wasapiRefusedMessage(ctx, loopback));
  }
  // 1852797029 = 'nope' (kAudioHardwareNotPermittedError): audiotee's refused Core Audio tap (AudioTapManager.swift:80-86).
  if (/not authorized|declined tccs|tcc|permission denied|operation not permitted|access denied|could not run graph|eacces|1852797029/.test(err)) {
    return fault('permission-denied', permissionMessage(ctx));
  }
  if (/device or resource busy|ebusy|exclusive/.test(err)) {
    return fault('device-busy', `${capitalize(what(ctx.kind))} device ${device} is busy: another program holds it exclusively. Close that program or choose another device.`);
  }
  if (/no such entity|unknown pcm|no such (input )?device|not an input device|enodev|can't open input|could not find audio only device|audio open error|no such audio device|not found|does not exist|input\/output error|invalid argument/.test(err)) {
    return fault('device-not-found', deviceNotFoundMessage(ctx.kind, ctx.device));
  }
  const how = end.signal ? `was killed (${end.signal})` : `exited with code ${end.code}`;
  return fault('recorder-exited', `The ${what(ctx.kind)} recorder "${ctx.recorder}" stopped unexpectedly (it ${how}). Retrying.`);
}

/** A chosen device that is not there (`device` as the user knows it, or 'default'). */
export function deviceNotFoundMessage(kind: CaptureKind, device: string): string {
  return `${capitalize(what(kind))} device ${deviceWords(kind, device)} was not found (unplugged?). Plug it back in or choose another device (\`earshot devices\` lists them); Earshot retries on its own.`;
}

function permissionMessage(ctx: FaultContext): string {
  if (ctx.platform === 'darwin') {
    // The links open the pane itself (x-apple.systempreferences URLs); the extension offers them as a button.
    const who = ctx.asEarshot ? 'Earshot' : 'the app Earshot runs in (Visual Studio Code or your terminal)';
    return ctx.kind === 'mic'
      ? `macOS denied access to the microphone. Open System Settings → Privacy & Security → Microphone, allow ${who}, then retry (${MACOS_MICROPHONE_SETTINGS}).`
      : `macOS denied system audio capture. Open System Settings → Privacy & Security → Screen & System Audio Recording, allow ${who} under "System Audio Recording Only", then retry (${MACOS_AUDIO_CAPTURE_SETTINGS}).`;
  }
  if (ctx.platform === 'win32') {
    return `Windows blocked access to the ${ctx.kind === 'mic' ? 'microphone' : 'audio device'}. Open Settings → Privacy & security → Microphone and turn on "Let desktop apps access your microphone" (or close a program holding the device exclusively), then retry (${WINDOWS_MICROPHONE_SETTINGS}).`;
  }
  return `Permission denied opening the ${what(ctx.kind)} device. Add your user to the "audio" group (sudo usermod -aG audio $USER, then log in again) or use the sound server (PulseAudio/PipeWire), then retry.`;
}

/** Settings → Privacy & security → Microphone (Windows 10 and 11 open the page from this URI). */
export const WINDOWS_MICROPHONE_SETTINGS = 'ms-settings:privacy-microphone';

/**
 * WASAPI refused the device: for a microphone, or system audio from a recording device (Stereo Mix), the privacy switch
 * or exclusive mode; for a loopback of an output device exclusive mode only.
 */
function wasapiRefusedMessage(ctx: FaultContext, loopback: boolean): string {
  const exclusive = 'another program may hold it in exclusive mode (Control Panel → Sound → the device → Properties → Advanced: "Allow applications to take exclusive control of this device"; close that program or clear the box)';
  if (loopback) return `Windows would not open the output device for system audio: ${exclusive}. Earshot retries on its own; the microphone keeps working.`;
  const opened = ctx.kind === 'mic' ? 'the microphone:' : `"${ctx.device}" for system audio. It is a recording device, so the microphone's privacy switch governs it:`;
  return `Windows would not open ${opened} "Let desktop apps access your microphone" may be off (Settings → Privacy & security → Microphone), or ${exclusive}. Then retry (${WINDOWS_MICROPHONE_SETTINGS}).`;
}

/** The device broke off mid-capture (also the audify helper's guard against stale buffers): what may have happened, per OS. */
function lostMessage(ctx: FaultContext): string {
  const why: Partial<Record<NodeJS.Platform, string>> = {
    linux: 'the connection to the sound server or the device broke (did PulseAudio/PipeWire restart, or was the device disconnected?)',
    // Core Audio keeps the rate a stream was opened at (RtAudio.cpp:1662-1686 run only on opening): another app switching
    // the device's rate makes the audio run off the clock, which the helper's guard ends.
    darwin: 'the audio device stopped delivering properly (was it disconnected, or did another app change its sample rate, e.g. in Audio MIDI Setup?)',
    win32: 'the audio device stopped delivering properly (was it disconnected, or its format changed in Sound settings?)',
  };
  return `Lost ${what(ctx.kind)}: ${why[ctx.platform] ?? 'the audio device stopped delivering properly (was it disconnected?)'}. Retrying.`;
}

/** No device of the kind on macOS or Windows (no sound server there to start). */
function noDeviceMessage(ctx: FaultContext): string {
  const device = ctx.kind === 'mic' ? 'input' : 'output';
  const where = ctx.platform === 'darwin' ? `macOS has no audio ${device} device right now. Connect one or choose one in System Settings → Sound`
    : ctx.platform === 'win32' ? `Windows has no audio ${device} device right now (none connected, or all disabled). Connect one or turn one on in Settings → System → Sound`
      : `no audio ${device} device is available. Connect one`;
  return `Cannot capture ${what(ctx.kind)}: ${where}; Earshot retries on its own.`;
}

/** The fault for a recorder that runs but delivers nothing. */
export function stallFault(ctx: FaultContext, silentMs: number, restarting: boolean): CaptureFault {
  const secs = (silentMs / 1000).toFixed(1);
  return {
    reason: 'stalled',
    message: restarting
      ? `No ${ctx.kind === 'mic' ? 'microphone' : 'system'} audio for ${secs} s: restarting the recorder "${ctx.recorder}".`
      : `No ${ctx.kind === 'mic' ? 'microphone' : 'system'} audio for ${secs} s: the sound server or device stopped delivering (frozen?). Waiting for it to come back.`,
  };
}

const capitalize = (s: string) => s[0].toUpperCase() + s.slice(1);

/**
 * A recorder that did not end after being stopped (SIGTERM, then SIGKILL) within the bound: Earshot no longer reads
 * it and goes on, but the process may still hold the device.
 */
export function unendedRecorderFault(recorder: string, pid: number | undefined, limitMs: number): CaptureFault {
  const which = pid === undefined ? '' : ` (pid ${pid})`;
  return {
    reason: 'recorder-exited',
    message: `The recorder "${recorder}"${which} did not end within ${limitMs / 1000} s of being stopped. Earshot no longer reads it, but it may still be running: end it in Activity Monitor, Task Manager or with \`kill${pid === undefined ? '' : ` -9 ${pid}`}\`.`,
  };
}
