/**
 * The opt-in debug dump (InitializationOptions.debugSaveAudio, the `earshot.debug.saveAudio` setting): a session's
 * captured audio, one WAV per source, in `<storageDir>/debug-audio/<sessionId>-<source>.wav`, for bug reports. Off by
 * default; without it Earshot writes no audio anywhere. The file is 16 kHz mono 16-bit PCM with the capture clock's
 * times (a gap in capture, or a pause, is written as silence, so a time in the transcript is the same time in the
 * file). The header is written first with "unknown length" sizes (0xFFFFFFFF, which daemon/capture/wav.ts reads to
 * the end of the file) and patched when the source ends, so a crash still leaves a readable file.
 *
 * Writing never disturbs the session: a failure (a full disk) stops the dump and is reported once.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AudioFrame, AudioSource, SAMPLE_RATE } from './source';

export const DEBUG_AUDIO_DIR = 'debug-audio';

/** Where a session's dump of one source goes. Ids and kinds are file names, never paths. */
export function debugAudioPath(storageDir: string, sessionId: string, source: string): string {
  if (!/^[\w.-]+$/.test(sessionId) || sessionId.startsWith('.') || !/^\w+$/.test(source)) {
    throw new Error(`debug audio: bad file name parts ${JSON.stringify([sessionId, source])}`);
  }
  return path.join(storageDir, DEBUG_AUDIO_DIR, `${sessionId}-${source}.wav`);
}

const HEADER_BYTES = 44;
const UNKNOWN = 0xffffffff;
/** The longest stretch of silence written for one gap: a paused hour is not worth 115 MB of zeros. */
const MAX_GAP_SAMPLES = 60 * SAMPLE_RATE;

/** A canonical 44-byte PCM WAV header (16 kHz mono 16-bit); `dataBytes` undefined: unknown length. */
export function wavHeader(dataBytes?: number, sampleRate = SAMPLE_RATE): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(dataBytes === undefined ? UNKNOWN : Math.min(UNKNOWN, 36 + dataBytes), 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(dataBytes === undefined ? UNKNOWN : Math.min(UNKNOWN, dataBytes), 40);
  return h;
}

/** Float samples in [-1, 1] as little-endian 16-bit PCM. */
export function toPcm16(samples: Float32Array): Buffer {
  const out = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    out.writeInt16LE(Math.round(s < 0 ? s * 0x8000 : s * 0x7fff), i * 2);
  }
  return out;
}

/** Appends PCM to a WAV file, one write at a time, off the audio path (writes queue behind each other). */
export class WavDumpWriter {
  private chain: Promise<void> = Promise.resolve();
  private dataBytes = 0;
  private failed: Error | undefined;
  private closed = false;

  private constructor(readonly file: string, private readonly handle: fs.FileHandle, private readonly onError: (e: Error) => void) {}

  static async create(file: string, onError: (e: Error) => void): Promise<WavDumpWriter> {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const handle = await fs.open(file, 'w', 0o600);
    const writer = new WavDumpWriter(file, handle, onError);
    writer.enqueue(wavHeader(), 0);
    return writer;
  }

  /** Samples written so far. */
  get samples(): number {
    return this.dataBytes / 2;
  }

  write(samples: Float32Array): void {
    if (this.closed || this.failed || samples.length === 0) return;
    const bytes = toPcm16(samples);
    this.enqueue(bytes, HEADER_BYTES + this.dataBytes);
    this.dataBytes += bytes.length;
  }

  /** Silence up to `sample` on the capture clock (a gap, a pause), at most {@link MAX_GAP_SAMPLES} of it. */
  padTo(sample: number): void {
    const missing = Math.min(MAX_GAP_SAMPLES, sample - this.samples);
    if (missing > 0) this.write(new Float32Array(missing));
  }

  /** Writes the real sizes into the header and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return this.chain;
    this.closed = true;
    if (!this.failed) this.enqueue(wavHeader(this.dataBytes), 0);
    this.chain = this.chain.then(() => this.handle.close()).catch(() => undefined);
    return this.chain;
  }

  private enqueue(bytes: Buffer, position: number): void {
    this.chain = this.chain.then(async () => {
      if (this.failed) return;
      try {
        await this.handle.write(bytes, 0, bytes.length, position);
      } catch (e) {
        this.failed = e as Error;
        this.onError(this.failed);
      }
    });
  }
}

/**
 * `source` with its frames also written to `file`. Everything else about the source is unchanged; the file is
 * closed when the source's frames end (its audio ran out, the session stopped, or the reader gave up).
 */
export function dumpingSource(source: AudioSource, file: string, onError: (e: Error) => void): AudioSource {
  return {
    kind: source.kind,
    speaker: source.speaker,
    frames: (signal: AbortSignal) => dumpFrames(source.frames(signal), file, onError),
  };
}

async function* dumpFrames(frames: AsyncIterable<AudioFrame>, file: string, onError: (e: Error) => void): AsyncGenerator<AudioFrame> {
  let writer: WavDumpWriter | undefined;
  try {
    writer = await WavDumpWriter.create(file, onError);
  } catch (e) {
    onError(e as Error);
  }
  try {
    for await (const frame of frames) {
      if (writer && !frame.pause) {
        writer.padTo(frame.startSample);
        writer.write(frame.samples);
      }
      yield frame;
    }
  } finally {
    await writer?.close();
  }
}
