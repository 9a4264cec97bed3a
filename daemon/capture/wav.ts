/**
 * Streaming WAV reader: PCM 8/16/24/32-bit integer and 32/64-bit float, any channel count, plain or
 * WAVE_FORMAT_EXTENSIBLE. Reads the file in blocks so a two-hour recording never sits in memory.
 *
 * Why not the `wavefile` package: it decodes the whole file into per-channel Float64 arrays and its
 * resampler took 3.0 s per minute of 44.1 kHz stereo here (BENCHMARKS.md); a meeting file is an hour.
 */
import { promises as fs } from 'node:fs';

export class AudioFileError extends Error {
  override name = 'AudioFileError';
  constructor(readonly path: string, reason: string) {
    super(`Cannot read audio file ${path}: ${reason}`);
  }
}

export interface WavFormat {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  encoding: 'int' | 'float';
  /** Byte offset of the first sample. */
  dataOffset: number;
  /** Bytes of sample data actually present (a truncated file has less than its header says). */
  dataBytes: number;
  /** True when the header promised more data than the file holds. */
  truncated: boolean;
  durationSec: number;
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;
/** Sample rates outside this range are not audio anyone records; refuse them rather than resample. */
export const MIN_SAMPLE_RATE = 1000;
export const MAX_SAMPLE_RATE = 384000;
const MAX_CHANNELS = 64;
/** How much of the file is scanned for the fmt and data chunks. */
const HEADER_SCAN_BYTES = 1 << 20;

/** Parses the RIFF/WAVE header of `path`. Throws {@link AudioFileError} with the reason. */
export async function readWavFormat(path: string): Promise<WavFormat> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, 'r');
  } catch (e) {
    throw new AudioFileError(path, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String((e as Error).message));
  }
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(size, HEADER_SCAN_BYTES));
    await handle.read(head, 0, head.length, 0);
    return parseWavHeader(path, head, size);
  } finally {
    await handle.close();
  }
}

export function parseWavHeader(path: string, head: Buffer, fileSize: number): WavFormat {
  const bad = (why: string): never => { throw new AudioFileError(path, why); };
  if (fileSize === 0) bad('the file is empty');
  if (head.length < 12 || head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE') {
    bad('not a WAV file (no RIFF/WAVE header)');
  }
  let fmt: Omit<WavFormat, 'dataOffset' | 'dataBytes' | 'truncated' | 'durationSec'> | undefined;
  let offset = 12;
  while (offset + 8 <= head.length) {
    const id = head.toString('latin1', offset, offset + 4);
    const size = head.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > head.length) bad('the fmt chunk is too short');
      fmt = parseFmt(head.subarray(body, body + Math.min(size, head.length - body)), bad);
    } else if (id === 'data') {
      if (!fmt) bad('the data chunk comes before any fmt chunk');
      const f = fmt!;
      const frameBytes = (f.bitsPerSample / 8) * f.channels;
      const present = Math.max(0, fileSize - body);
      // 0 and 0xFFFFFFFF are what streaming writers leave when they cannot seek back: use the file's length.
      const declared = size === 0 || size === 0xffffffff ? present : size;
      const dataBytes = Math.floor(Math.min(declared, present) / frameBytes) * frameBytes;
      // An empty data chunk is a valid (silent, 0 s) recording: it yields no frames, so nothing is decoded.
      return { ...f, dataOffset: body, dataBytes, truncated: declared > present, durationSec: dataBytes / frameBytes / f.sampleRate };
    }
    offset = body + size + (size & 1); // chunks are padded to even sizes
  }
  return bad(fmt ? 'no data chunk' : 'no fmt chunk');
}

function parseFmt(b: Buffer, bad: (why: string) => never): Omit<WavFormat, 'dataOffset' | 'dataBytes' | 'truncated' | 'durationSec'> {
  let format = b.readUInt16LE(0);
  const channels = b.readUInt16LE(2);
  const sampleRate = b.readUInt32LE(4);
  const bitsPerSample = b.readUInt16LE(14);
  if (format === FORMAT_EXTENSIBLE) {
    if (b.length < 26) bad('the extensible fmt chunk is too short');
    format = b.readUInt16LE(24); // first two bytes of the sub-format GUID
  }
  if (channels < 1 || channels > MAX_CHANNELS) bad(`unsupported channel count ${channels}`);
  if (sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    bad(`unsupported sample rate ${sampleRate} Hz (expected ${MIN_SAMPLE_RATE}–${MAX_SAMPLE_RATE})`);
  }
  if (format === FORMAT_PCM) {
    if (![8, 16, 24, 32].includes(bitsPerSample)) bad(`unsupported PCM sample size ${bitsPerSample} bits`);
    return { sampleRate, channels, bitsPerSample, encoding: 'int' };
  }
  if (format === FORMAT_FLOAT) {
    if (bitsPerSample !== 32 && bitsPerSample !== 64) bad(`unsupported float sample size ${bitsPerSample} bits`);
    return { sampleRate, channels, bitsPerSample, encoding: 'float' };
  }
  return bad(`unsupported encoding (format tag ${format}); only PCM and IEEE float WAV files are read`);
}

/** Decodes interleaved frames to mono floats in [-1, 1] by averaging the channels. */
export function decodeToMono(bytes: Buffer, fmt: Pick<WavFormat, 'channels' | 'bitsPerSample' | 'encoding'>): Float32Array {
  const bytesPerSample = fmt.bitsPerSample / 8;
  const frames = Math.floor(bytes.length / (bytesPerSample * fmt.channels));
  const out = new Float32Array(frames);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = sampleReader(view, fmt);
  const gain = 1 / fmt.channels;
  let p = 0;
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < fmt.channels; c++, p += bytesPerSample) sum += read(p);
    out[i] = sum * gain;
  }
  return out;
}

function sampleReader(view: DataView, fmt: Pick<WavFormat, 'bitsPerSample' | 'encoding'>): (byteOffset: number) => number {
  if (fmt.encoding === 'float') {
    return fmt.bitsPerSample === 32
      ? (p) => clampFinite(view.getFloat32(p, true))
      : (p) => clampFinite(view.getFloat64(p, true));
  }
  switch (fmt.bitsPerSample) {
    case 8: return (p) => (view.getUint8(p) - 128) / 128; // 8-bit WAV is unsigned
    case 16: return (p) => view.getInt16(p, true) / 32768;
    case 24: return (p) => ((view.getUint8(p) | (view.getUint8(p + 1) << 8) | (view.getInt8(p + 2) << 16))) / 8388608;
    default: return (p) => view.getInt32(p, true) / 2147483648;
  }
}

/** Float files may hold NaN or huge values; whisper must never see them. */
function clampFinite(x: number): number {
  return Number.isFinite(x) ? Math.max(-1, Math.min(1, x)) : 0;
}

/**
 * Yields the file's audio as mono float blocks at its own rate, reading `blockFrames` frames at a time.
 */
export async function* readWavBlocks(path: string, fmt: WavFormat, blockFrames = 16384): AsyncGenerator<Float32Array> {
  const frameBytes = (fmt.bitsPerSample / 8) * fmt.channels;
  const handle = await fs.open(path, 'r');
  try {
    const buffer = Buffer.alloc(blockFrames * frameBytes);
    for (let done = 0; done < fmt.dataBytes;) {
      const want = Math.min(buffer.length, fmt.dataBytes - done);
      const { bytesRead } = await handle.read(buffer, 0, want, fmt.dataOffset + done);
      const whole = bytesRead - (bytesRead % frameBytes);
      if (whole === 0) throw new AudioFileError(path, 'the file shrank while it was being read');
      done += whole;
      yield decodeToMono(buffer.subarray(0, whole), fmt);
    }
  } finally {
    await handle.close();
  }
}
