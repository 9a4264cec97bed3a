/**
 * Runs a live source the way the session does (one consumer iterating frames()) and records what happens: frames,
 * statuses, levels, and any exception that escapes. Shared by the capture tests and the capture benchmark.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CaptureState, CaptureStatus } from '../../daemon/capture/captureStatus';
import { LiveSource } from '../../daemon/capture/live';
import { InputLevel } from '../../daemon/capture/pcm';
import { AudioFrame, SAMPLE_RATE } from '../../daemon/capture/source';

export interface CaptureRun {
  readonly source: LiveSource;
  readonly frames: AudioFrame[];
  readonly statuses: CaptureStatus[];
  readonly levels: InputLevel[];
  /** Exceptions that escaped frames() (there must be none). */
  readonly errors: unknown[];
  /** The largest backlog seen between recorder and consumer, in samples (the frame being handed over included). */
  readonly maxBufferedSamples: number;
  /** Resolves when frames() has ended. */
  readonly done: Promise<void>;
  /** Aborts and waits for frames() to end. */
  stop(): Promise<void>;
  /** Resolves with the first status in `state` at or after `since` (performance.now()); rejects after `timeoutMs`. */
  waitForStatus(state: CaptureState, since?: number, timeoutMs?: number): Promise<CaptureStatus>;
  /** Resolves when `condition` holds (checked every 20 ms); rejects after `timeoutMs` naming `what`. */
  waitFor(condition: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** The captured audio from clock index `from` to `to` (exclusive), silence where no frame was delivered. */
  audio(from?: number, to?: number): Float32Array;
}

export interface CaptureRunOptions {
  /** How long the consumer takes per frame (a slow VAD/ASR). */
  consumerDelayMs?: number;
  /** Keep only frames captured after this performance.now() (and none before). */
  keepFramesAfter?: number;
}

export function startCapture(source: LiveSource, options: CaptureRunOptions = {}): CaptureRun {
  const ac = new AbortController();
  const frames: AudioFrame[] = [];
  const statuses: CaptureStatus[] = [];
  const levels: InputLevel[] = [];
  const errors: unknown[] = [];
  const unsubscribe = [source.onStatus((s) => statuses.push(s)), source.onLevel((l) => levels.push(l))];
  let maxBuffered = 0;
  const done = (async () => {
    try {
      for await (const frame of source.frames(ac.signal)) {
        maxBuffered = Math.max(maxBuffered, source.bufferedSamples + frame.samples.length);
        if (options.keepFramesAfter === undefined || (frame.capturedAt ?? 0) >= options.keepFramesAfter) frames.push(frame);
        if (options.consumerDelayMs) await sleep(options.consumerDelayMs);
      }
    } catch (e) {
      errors.push(e);
    } finally {
      unsubscribe.forEach((u) => u());
    }
  })();
  const run: CaptureRun = {
    source, frames, statuses, levels, errors, done,
    get maxBufferedSamples() { return maxBuffered; },
    async stop() {
      ac.abort();
      await run.done;
    },
    async waitForStatus(state, since = 0, timeoutMs = 10_000) {
      let found: CaptureStatus | undefined;
      await run.waitFor(() => (found = statuses.find((s) => s.state === state && s.at >= since)) !== undefined, `status "${state}"`, timeoutMs);
      return found!;
    },
    async waitFor(condition, what, timeoutMs = 10_000) {
      const deadline = performance.now() + timeoutMs;
      while (!condition()) {
        if (performance.now() > deadline) {
          throw new Error(`${source.kind} capture: no ${what} after ${timeoutMs / 1000} s; statuses: ${statuses.map((s) => `${s.state}${s.reason ? `(${s.reason})` : ''}`).join(' → ')}`);
        }
        await sleep(20);
      }
    },
    audio(from, to) {
      if (frames.length === 0) return new Float32Array(0);
      const start = from ?? frames[0].startSample;
      const last = frames[frames.length - 1];
      const end = to ?? last.startSample + last.samples.length;
      const out = new Float32Array(Math.max(0, end - start));
      for (const f of frames) {
        const offset = f.startSample - start;
        if (offset + f.samples.length <= 0 || offset >= out.length) continue;
        const from0 = Math.max(0, -offset);
        out.set(f.samples.subarray(from0, Math.min(f.samples.length, out.length - offset)), offset + from0);
      }
      return out;
    },
  };
  return run;
}

export const seconds = (samples: number): number => samples / SAMPLE_RATE;
