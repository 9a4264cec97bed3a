/**
 * A recorder command line and the recorders' names: what recorder.ts builds (which recorder, which device, which
 * arguments) and what runningRecorder.ts, audiotee.ts and macCaptureApp.ts start. Types only, below all of them.
 */

/** 'earshot-capture': Earshot's macOS capture app (macMicrophone.ts). */
/**
 * The application name of Earshot's own recordings on PulseAudio/PipeWire: audify's RtAudio stream is named so, and
 * the microphone recorder programs are given it (PULSE_PROP_OVERRIDE), so call detection in any Earshot process
 * (daemon/calls/) knows them as Earshot's, not a call.
 */
export const EARSHOT_APPLICATION_NAME = 'Earshot';

export type MicRecorderName = 'audify' | 'earshot-capture' | 'sox' | 'rec' | 'arecord';
export type SystemRecorderName = 'audify' | 'audiotee' | 'parec' | 'ffmpeg' | 'sox' | 'helper';
export type RecorderName = MicRecorderName | SystemRecorderName;

/** A recorder command line, built without running anything. */
export interface RecorderCommand {
  recorder: RecorderName;
  command: string;
  args: string[];
  /** Set on top of the base environment: how sox and ALSA are told the device. */
  envOverrides: Record<string, string>;
  /** The device recorded, as shown to the user ('default' for the system's default). */
  device: string;
  /** Microphone recorders are started by node-record-lpcm16 with these options; the others are spawned directly. */
  recordOptions?: { recorder: MicRecorderName; sampleRate: number; channels: number; audioType: 'raw'; device?: string };
}
