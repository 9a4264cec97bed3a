/**
 * Fakes shared by the unit tests: a scripted decoder and a live-like audio source. (Integration tests
 * use none of these.)
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { SourceKind } from '../../protocol/protocol';
import { Decoder } from '../../daemon/asr/streaming';
import { DecodeRequest, DecodeResult } from '../../daemon/asr/whisper';
import { AudioFrame, AudioSource, FRAME_SAMPLES, SAMPLE_RATE } from '../../daemon/capture/source';

export class FakeDecoder implements Decoder {
  readonly requests: DecodeRequest[] = [];
  constructor(
    private readonly answer: (request: DecodeRequest, call: number) => string | Promise<string> = () => 'hello',
    private readonly delayMs = 0,
  ) {}

  async decode(request: DecodeRequest): Promise<DecodeResult> {
    const call = this.requests.length;
    this.requests.push(request);
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    return { text: await this.answer(request, call), ms: 0 };
  }
}

/**
 * A source that behaves like a microphone: frames of "speech" (a loud tone) and silence in a fixed
 * pattern, yielding to the event loop between frames, until aborted or `maxSec` of audio.
 */
export class FakeLiveSource implements AudioSource {
  framesDelivered = 0;
  closed = false;

  constructor(
    readonly kind: SourceKind = 'mic',
    readonly speaker = 'You',
    /** [seconds of speech, seconds of silence], repeated. */
    private readonly pattern: [number, number] = [1.5, 1],
    private readonly maxSec = Infinity,
  ) {}

  async *frames(signal: AbortSignal): AsyncGenerator<AudioFrame> {
    const period = (this.pattern[0] + this.pattern[1]) * SAMPLE_RATE;
    try {
      for (let start = 0; start < this.maxSec * SAMPLE_RATE && !signal.aborted; start += FRAME_SAMPLES) {
        const samples = new Float32Array(FRAME_SAMPLES);
        for (let i = 0; i < FRAME_SAMPLES; i++) {
          const t = start + i;
          if (t % period < this.pattern[0] * SAMPLE_RATE) samples[i] = 0.3 * Math.sin((2 * Math.PI * 220 * t) / SAMPLE_RATE);
        }
        await yieldToLoop();
        if (signal.aborted) break;
        this.framesDelivered++;
        yield { source: this.kind, samples, startSample: start };
      }
    } finally {
      this.closed = true;
    }
  }
}

export function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
}

/** Joins sample blocks into one array. */
export function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
