/**
 * Digital silence (every sample exactly zero) and what it means on macOS. Core Audio tells the process reading
 * audio nothing when a permission is missing: a denied microphone runs and delivers zeros (RtAudio raises no error),
 * and so does a Core Audio tap the user has not allowed (audiotee's README: it "runs but never records anything").
 *
 * - Microphone: a real microphone is never exactly zero for seconds: its own noise and the room's keep the low bits
 *   moving (even a quiet room is some 20 dB above the smallest step of 16-bit audio, -90 dBFS). So a macOS microphone
 *   that has delivered nothing but zeros for `ms` is reported as the permission problem, until real signal arrives.
 *   A microphone muted by its own switch can look the same, and the message says so. A virtual input (BlackHole,
 *   Loopback, a meeting app's device, a virtual cable, an aggregate device) is exactly zero whenever nothing is sent to
 *   it: it gets a hint naming the device instead (isVirtualInput), once per source, and capture goes on.
 * - A Core Audio tap also delivers zeros while nothing plays (audiotee's README at bfce968: "packets full of
 *   AAAAA…"), so zeros alone say nothing before the call starts. The hint waits for the session's microphone to
 *   have heard sound for `ms` while the tap stayed at zero: a call is going on and its audio should be there.
 * - Windows: a WASAPI loopback follows the default *console* output (RtAudio.cpp:5021), while call apps play on the
 *   default *communications* device, e.g. a Bluetooth headset's "Hands-Free" endpoint. The loopback of the console
 *   device then runs on exact zeros for the whole call (RtAudio keeps a render stream on it, :5455-5460, so it never
 *   stalls), which is judged like a tap: the same hint, naming the device to choose instead of a permission.
 */
import { coreAudioDeviceName } from './audifyHelper';
import { isLoopbackDeviceName } from './devices';
import { MACOS_AUDIO_CAPTURE_SETTINGS, MACOS_MICROPHONE_SETTINGS } from '../../protocol/macosCapture';
import { CaptureFault } from './faults';
import { CAPTURE_APP_BUNDLE_ID } from './macCaptureApp';

/** A microphone level at or above this (RMS) is sound, not a quiet room. */
export const SOUND_DBFS = -45;

export type SilenceVerdict = 'mic-denied' | 'mic-virtual' | 'heard' | 'tap-hint';

/**
 * Whether a macOS input is a virtual device rather than a microphone: system_profiler's transport says so when known
 * (coreaudio_device_type_virtual: BlackHole, Loopback, Teams Audio; coreaudio_device_type_aggregate), else its name
 * (RtAudio's "<manufacturer>: <name>", or the device as chosen): a loopback driver's (isLoopbackDeviceName), a virtual
 * cable's, an aggregate or multi-output device's.
 */
export function isVirtualInput(name: string, transport?: string): boolean {
  if (transport) return /_(virtual|aggregate)$/.test(transport);
  return isLoopbackDeviceName(coreAudioDeviceName(name), 'darwin') || /aggregate|multi-output|virtual|vb-cable|cable output/i.test(name);
}

/**
 * Watches one source's samples run by run. `judges`: 'mic' (a macOS microphone), 'tap' (a Core Audio tap, or a
 * Windows loopback), or undefined (never judged: elsewhere zeros are ordinary, e.g. a muted PulseAudio source).
 */
export class SilenceWatch {
  /** The run has delivered anything but exact zeros. */
  private heardSignal = false;
  private firstAt: number | undefined;
  private soundAtStart = 0;
  private hinted = false;
  /** A 'mic-denied' verdict stands until signal arrives (or the next run). */
  denied = false;
  /** The run's microphone is this virtual input (isVirtualInput): its zeros get 'mic-virtual', not 'mic-denied'. */
  virtualInput: string | undefined;

  constructor(private readonly judges: 'mic' | 'tap' | undefined, private readonly ms: number) {}

  /** A new recorder run starts; `soundMs` is how much sound the session's microphone has heard so far. */
  restart(soundMs: number): void {
    this.heardSignal = false;
    this.denied = false;
    this.virtualInput = undefined;
    this.firstAt = undefined;
    this.soundAtStart = soundMs;
  }

  /** A chunk of the run that arrived at `at`; what changed, if anything. */
  push(samples: Float32Array, at: number, soundMs: number): SilenceVerdict | undefined {
    if (!this.judges || this.heardSignal) return undefined;
    this.firstAt ??= at;
    if (samples.some((x) => x !== 0)) {
      this.heardSignal = true;
      if (!this.denied) return undefined;
      this.denied = false;
      return 'heard';
    }
    if (at - this.firstAt < this.ms) return undefined;
    if (this.judges === 'mic' && this.virtualInput !== undefined) {
      if (this.hinted) return undefined;
      this.hinted = true; // once per source
      return 'mic-virtual';
    }
    if (this.judges === 'mic' && !this.denied) {
      this.denied = true;
      return 'mic-denied';
    }
    if (this.judges === 'tap' && !this.hinted && soundMs - this.soundAtStart >= this.ms) {
      this.hinted = true; // once per source
      return 'tap-hint';
    }
    return undefined;
  }
}

/**
 * Terminal commands that make macOS forget the capture app's grants (tccutil(1): `tccutil reset SERVICE BUNDLE_ID`).
 * The app is signed ad hoc, so its designated requirement is its cdhash, which an update changes; tccd then keeps the
 * old grant row, shown switched on, and denies the new build without asking, and turning the switch off and on does not
 * repair it while a reset does (review 3, P1: cavaldos/Ice#14, NousResearch/hermes-agent#86385, trycua/cua#3170).
 * `Microphone` is kTCCServiceMicrophone; the tap's service is kTCCServiceAudioCapture, whose tccutil name is not
 * documented, so the tap's reset is `All` (every service of the bundle: jetforme.org/2023/12/transparency-consent-control).
 */
export const MICROPHONE_GRANT_RESET = `tccutil reset Microphone ${CAPTURE_APP_BUNDLE_ID}`;
export const CAPTURE_APP_GRANTS_RESET = `tccutil reset All ${CAPTURE_APP_BUNDLE_ID}`;

/** What a fault or hint asks the user to run in Terminal, offered to copy (CaptureStatus.copyCommand). */
export interface WithCopyCommand {
  copyCommand?: string;
}

/**
 * A macOS microphone that delivers only digital silence. `asEarshot`: recorded by Earshot's own app (macMicrophone.ts),
 * which macOS asks by name, and whose grant an update can leave stale (MICROPHONE_GRANT_RESET).
 */
export function silentMicFault(context: { asEarshot?: boolean } = {}): CaptureFault & WithCopyCommand {
  const who = context.asEarshot ? 'Earshot' : 'Visual Studio Code (or the terminal Earshot runs in)';
  const stale = context.asEarshot
    ? ` If Earshot is already turned on there, macOS may be holding on to the permission of an earlier version of Earshot: run \`${MICROPHONE_GRANT_RESET}\` in Terminal, then stop and start the session again and allow Earshot when macOS asks.`
    : '';
  return {
    reason: 'permission-denied',
    message: `The microphone delivers only digital silence, which is what macOS gives an app it has not allowed to use the microphone. If macOS is asking for the microphone right now, click Allow (then Retry if this stays). Otherwise open System Settings → Privacy & Security → Microphone, turn on ${who}, then retry (${MACOS_MICROPHONE_SETTINGS}).${stale} A microphone muted by its own switch sends the same silence.`,
    ...(context.asEarshot ? { copyCommand: MICROPHONE_GRANT_RESET } : {}),
  };
}

/** A macOS microphone input that is a virtual device (isVirtualInput) and delivers only digital silence. */
export function silentVirtualMicHint(device: string): string {
  return `The microphone input "${coreAudioDeviceName(device)}" is a virtual device (a loopback driver such as BlackHole, a virtual cable, a meeting app's device or an aggregate device), and it has delivered only digital silence: it carries only what other apps send it. To record your voice, choose your microphone with Earshot: Choose Microphone…. If it does include your microphone, check System Settings → Privacy & Security → Microphone (${MACOS_MICROPHONE_SETTINGS}).`;
}

export interface TapHintContext {
  /** The tap ran as Earshot's own app (macCaptureApp.ts), which macOS asks about by name; otherwise as the editor. */
  asEarshot?: boolean;
  /** os.release() on the Mac (Darwin); unknown: taken as 14.4 or later. */
  release?: string;
  /** A loopback device that is there (BlackHole, Loopback), offered instead: devices.ts, offeredLoopbackDevice. */
  loopback?: string;
}

/**
 * The "System Audio Recording Only" list under Screen & System Audio Recording came with macOS 14.4 = Darwin 23.4
 * (obsproject/obs-studio#10401); on 14.2 and 14.3 there is nothing to turn on.
 */
export function macosHasAudioRecordingList(release: string | undefined): boolean {
  if (release === undefined) return true;
  const [major, minor] = release.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 4);
}

/**
 * A Core Audio tap that stayed digitally silent while the microphone heard the user: most likely the permission. What
 * to do depends on who macOS asked (Earshot's app asks by name; VS Code is never asked and must be added by hand) and
 * on the macOS version; a loopback device that is there is offered as the way around it.
 */
export function silentTapHint(context: TapHintContext = {}): { hint: string } & WithCopyCommand {
  const host = context.asEarshot ? 'Earshot' : 'Visual Studio Code';
  const list = macosHasAudioRecordingList(context.release);
  const remedy = !list
    ? `this macOS has no "System Audio Recording Only" list to allow it in (it came with macOS 14.4): update macOS${context.loopback ? '' : ', or record a loopback device such as BlackHole instead'}.`
    : context.asEarshot
      ? `open System Settings → Privacy & Security → Screen & System Audio Recording, turn on Earshot under "System Audio Recording Only", then restart the session (${MACOS_AUDIO_CAPTURE_SETTINGS}). If Earshot is already turned on there, macOS may be holding on to the permission of an earlier version of Earshot: run \`${CAPTURE_APP_GRANTS_RESET}\` in Terminal (it makes macOS ask again for the microphone and system audio), then restart the session and allow Earshot when macOS asks.`
      : `open System Settings → Privacy & Security → Screen & System Audio Recording, add ${host} under "System Audio Recording Only" (with +), then restart the session (${MACOS_AUDIO_CAPTURE_SETTINGS}).`;
  const instead = context.loopback
    ? ` Or record "${context.loopback}" instead: it carries what the Mac plays once your sound output includes it (a Multi-Output Device in Audio MIDI Setup).`
    : '';
  return {
    hint: `System audio has stayed completely silent while your microphone heard you. If your call is playing on this Mac, macOS is probably withholding it from ${host}: ${remedy}${instead} If nothing is playing yet, ignore this.`,
    ...(list && context.asEarshot ? { copyCommand: CAPTURE_APP_GRANTS_RESET } : {}),
  };
}

/** A Windows loopback that stayed digitally silent while the microphone heard the user: the call plays on another output. */
export function silentLoopbackHint(): string {
  return 'System audio has stayed completely silent while your microphone heard you. Earshot records the default output device; if your call plays on another one (a headset set as the default communication device, e.g. a Bluetooth headset\'s "Hands-Free" device), choose that one with Earshot: Choose System Audio Source…. If nothing is playing yet, ignore this.';
}
