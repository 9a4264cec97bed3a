/**
 * The device test (the walkthrough's "test your microphone"): records a few seconds from a device with the same
 * recorders and supervision as a session's live source, without VAD or whisper, and reports the input level as it
 * goes and the loudest level heard. Audio is neither kept nor written.
 */
import { CaptureError, CaptureFault } from './faults';
import { LiveSource, LiveSourceOptions } from './live';
import { InputLevel, MIN_DBFS } from './pcm';

/** Quieter than this is a microphone's own noise (or digital silence): nothing was heard. */
export const NOISE_FLOOR_DBFS = -50;
/**
 * Beyond the seconds asked for, how long the test may wait for the recorder's first audio before it gives up: a new
 * recorder on an idle PulseAudio sink takes up to 2–3 s; the source's own first-data watchdog (4 s) reports a
 * recorder that delivers nothing before this.
 */
const START_ALLOWANCE_MS = 8000;

export interface DeviceTestOptions extends Omit<LiveSourceOptions, 'speaker' | 'clockOrigin'> {
  /** Seconds of audio to measure, counted from the first audio the recorder delivers. */
  seconds: number;
  /** Aborting ends the test early (the level so far is the answer). */
  signal?: AbortSignal;
  /** The level, about 10 a second (see LiveSource.onLevel). */
  onLevel?(level: InputLevel): void;
}

export interface DeviceTestOutcome {
  recorder: string;
  /** Loudest sample. */
  peakDbfs: number;
  /** Loudest RMS over the meter's 100 ms windows (the level a meter showed at its highest). */
  rmsDbfs: number;
  /** Whether that RMS rose above NOISE_FLOOR_DBFS. */
  heard: boolean;
}

/**
 * Records and measures. Throws CaptureError with the fault a session would report (recorder missing, device not found,
 * sound server down, no audio arriving) at the first one: a test is not retried.
 */
export async function testDevice(options: DeviceTestOptions): Promise<DeviceTestOutcome> {
  const { seconds, signal, onLevel, ...sourceOptions } = options;
  const source = new LiveSource(sourceOptions);
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) stop.abort();
  let fault: CaptureFault | undefined;
  let capturingSince: number | undefined;
  let peak = MIN_DBFS, rms = MIN_DBFS;
  const unsubscribe = [
    source.onStatus((status) => {
      if (status.state === 'capturing') capturingSince ??= performance.now();
      if ((status.state === 'failed' || status.state === 'stalled') && !fault) {
        fault = { reason: status.reason ?? 'recorder-exited', message: status.message ?? `The ${source.recorderName} recorder stopped.`, ...(status.detail ? { detail: status.detail } : {}) };
        stop.abort();
      }
    }),
    source.onLevel((level) => {
      peak = Math.max(peak, level.peakDbfs);
      rms = Math.max(rms, level.rmsDbfs);
      onLevel?.(level);
    }),
  ];
  const started = performance.now();
  // Frames may stop coming (a stall): the timer ends the test all the same.
  const timer = setInterval(() => {
    const now = performance.now();
    if (capturingSince !== undefined ? now - capturingSince >= seconds * 1000 : now - started >= seconds * 1000 + START_ALLOWANCE_MS) stop.abort();
  }, 50);
  try {
    for await (const frame of source.frames(stop.signal)) {
      void frame; // only the level matters, and the meter has it
    }
  } finally {
    clearInterval(timer);
    signal?.removeEventListener('abort', onAbort);
    unsubscribe.forEach((u) => u());
  }
  if (fault) throw new CaptureError(fault);
  if (capturingSince === undefined && !signal?.aborted) {
    throw new CaptureError({ reason: 'stalled', message: `No audio came from the ${source.kind === 'mic' ? 'microphone' : 'system audio'} recorder "${source.recorderName}" within ${Math.round(START_ALLOWANCE_MS / 1000)} s.` });
  }
  return { recorder: source.recorderName, peakDbfs: round(peak), rmsDbfs: round(rms), heard: rms > NOISE_FLOOR_DBFS };
}

const round = (dbfs: number) => Math.round(dbfs * 10) / 10;
