/**
 * What every capture source produces: 16 kHz mono float frames stamped on the capture clock.
 * Downstream stages never look at wall-clock time: a frame's time is its sample index.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { FilePace, SourceKind } from '../../protocol/protocol';
import { Resampler } from './resample';
import { AudioFileError, readWavBlocks, readWavFormat, WavFormat } from './wav';

export const SAMPLE_RATE = 16000;
/** 32 ms: the frame Silero VAD consumes, small enough for a responsive pipeline. */
export const FRAME_SAMPLES = 512;

export interface AudioFrame {
  source: SourceKind;
  /** FRAME_SAMPLES samples in [-1, 1] (the last frame of a source may be shorter). */
  samples: Float32Array;
  /** Index of samples[0] on this source's capture clock (0 = the session's start). */
  startSample: number;
  /** performance.now() when the frame's last sample was captured; unset for audio read faster than real time. */
  capturedAt?: number;
  /**
   * A marker without samples: the source paused here (see LiveSource.pause). Whoever segments the audio ends the
   * utterance in progress, as at the end of the audio; frames after it come after the resume.
   */
  pause?: true;
}

export interface AudioSource {
  readonly kind: SourceKind;
  /** A human label for the speaker(s) this source carries. */
  readonly speaker: string;
  /** Frames until the audio ends or `signal` aborts. */
  frames(signal: AbortSignal): AsyncIterable<AudioFrame>;
}

/** A WAV file played through the pipeline, either at its real speed or as fast as it is consumed. */
export class FileSource implements AudioSource {
  readonly kind = 'file' as const;

  private constructor(
    readonly path: string, readonly format: WavFormat, readonly speaker: string, private readonly pace: FilePace, private readonly periodMs: number,
  ) {}

  /** Reads and checks the header now, so a bad file fails before a session starts. */
  static async open(path: string, options: { pace?: FilePace; speaker?: string; periodMs?: number } = {}): Promise<FileSource> {
    const format = await readWavFormat(path);
    return new FileSource(path, format, options.speaker ?? 'Speaker', options.pace ?? 'realtime', options.periodMs ?? FILE_PACE_PERIOD_MS);
  }

  async *frames(signal: AbortSignal): AsyncGenerator<AudioFrame> {
    const framer = new Framer();
    const startedAt = performance.now();
    let emitted = 0;
    const frame = (samples: Float32Array): AudioFrame => {
      const f: AudioFrame = { source: this.kind, samples, startSample: emitted };
      if (this.pace === 'realtime') f.capturedAt = startedAt + ((emitted + samples.length) / SAMPLE_RATE) * 1000;
      emitted += samples.length;
      return f;
    };
    for await (const block of this.resampled()) {
      for (const samples of framer.push(block)) {
        if (this.pace === 'realtime') await waitUntilCaptured(startedAt, emitted + samples.length, this.periodMs, signal);
        if (signal.aborted) return;
        yield frame(samples);
      }
    }
    const last = framer.rest();
    if (last.length > 0 && !signal.aborted) yield frame(last);
  }

  /** The file's audio at 16 kHz, block by block. */
  private async *resampled(): AsyncGenerator<Float32Array> {
    const resampler = new Resampler(this.format.sampleRate, SAMPLE_RATE);
    try {
      for await (const block of readWavBlocks(this.path, this.format)) yield resampler.push(block);
      yield resampler.flush();
    } catch (e) {
      throw e instanceof AudioFileError ? e : new AudioFileError(this.path, (e as Error).message);
    }
  }
}

/** Live capture hands over audio in 20 ms periods (audify's RtAudio stream, parec --latency-msec=20, ffmpeg's fragment). */
export const CAPTURE_PERIOD_MS = 20;

/**
 * A live source delivers a frame only once its last sample was captured; so does a paced file. Like a sound card's
 * period, it wakes up at most every `periodMs` and hands over every frame due by then. A file's default is longer than
 * live capture's: waking 31 times a second for single frames cost 3% of a core on silence, and nobody waits on a file's
 * words; the latency benchmark gives it CAPTURE_PERIOD_MS, so that frames arrive as a microphone's do.
 */
export const FILE_PACE_PERIOD_MS = 100;

/** Sleeps until the sample count `samplesCaptured` is due on the clock started at `startedAt` (a period at least). */
export async function waitUntilCaptured(startedAt: number, samplesCaptured: number, periodMs: number, signal: AbortSignal): Promise<void> {
  const due = startedAt + (samplesCaptured / SAMPLE_RATE) * 1000 - performance.now();
  if (due > 0) await sleep(Math.max(due, periodMs), undefined, { signal }).catch(() => undefined);
}
/** Cuts a stream of arbitrary-length blocks into FRAME_SAMPLES frames. */
export class Framer {
  private buffer = new Float32Array(FRAME_SAMPLES);
  private filled = 0;

  *push(samples: Float32Array): Generator<Float32Array> {
    let offset = 0;
    while (offset < samples.length) {
      const n = Math.min(FRAME_SAMPLES - this.filled, samples.length - offset);
      this.buffer.set(samples.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === FRAME_SAMPLES) {
        yield this.buffer;
        this.buffer = new Float32Array(FRAME_SAMPLES);
        this.filled = 0;
      }
    }
  }

  /** The incomplete last frame, if any. */
  rest(): Float32Array {
    const rest = this.buffer.slice(0, this.filled);
    this.filled = 0;
    return rest;
  }
}
