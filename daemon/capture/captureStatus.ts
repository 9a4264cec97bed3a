/**
 * What a live source tells about its capture as it goes (live.ts sends it; the supervisor, recorderSupervisor.ts,
 * sets most of it as the recorder starts, fails and comes back). Types only, below both.
 */
import type { CaptureKind, FaultReason } from './faults';

export type CaptureState = 'starting' | 'capturing' | 'stalled' | 'failed' | 'retrying' | 'paused' | 'stopped';

export interface CaptureStatus {
  kind: CaptureKind;
  /**
   * starting: the first recorder is being started; capturing: audio flows; stalled: the recorder runs but no audio
   * came for a while, or (a macOS microphone) only digital silence, which is how macOS denies it (silence.ts); failed:
   * the recorder stopped (or could not start) — `message` says why and what to do, `retryInMs` when the next attempt
   * is; retrying: an attempt after a failure is starting; paused: pause() stopped the recorder until resume();
   * stopped: frames() ended.
   */
  state: CaptureState;
  message?: string;
  reason?: FaultReason;
  /** The recorder's own words, for logs. */
  detail?: string;
  /**
   * Advice while capturing: a macOS system-audio tap that stays digitally silent while the microphone hears the user
   * (most likely the permission; see silence.ts), with the settings pane's link; a Windows loopback likewise; a macOS
   * microphone input that is a virtual device (BlackHole) and silent. Only on the status that first says it.
   */
  hint?: string;
  /** With a tap's hint: a loopback device that is there (BlackHole, Loopback), which the user may switch to. */
  loopbackDevice?: string;
  /** A Terminal command the message or hint asks the user to run (macOS: `tccutil reset …`), offered to copy. */
  copyCommand?: string;
  retryInMs?: number;
  /** The recorder program, and the device it records when known. */
  recorder: string;
  device?: string;
  /** Recorder starts since frames() was called (1 for the first). */
  attempt: number;
  /** Samples captured but dropped because the consumer fell 'bufferSeconds' behind. */
  droppedSamples: number;
  /** Clock positions without audio after the start: recorder down, audio lost in a stall, a frame cut by a gap. */
  gapSamples: number;
  /** performance.now() of this status. */
  at: number;
}
