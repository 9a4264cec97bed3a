/**
 * Streaming WAV reader: PCM 8/16/24/32-bit integer and 32/64-bit float, any channel count, plain or
 * WAVE_FORMAT_EXTENSIBLE. Reads the file in blocks so a two-hour recording never sits in memory.
 *
 * Why not the `wavefile` package: it decodes the whole file into per-channel Float64 arrays and its
 * resampler took 3.0 s per minute of 44.1 kHz stereo here (BENCHMARKS.md); a meeting file is an hour.
 */
import { constants as fsConstants, promises as fs } from 'node:fs';

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
/** Chunks walked before the audio data at most: a real file has a handful; a file made of millions is not audio. */
const MAX_CHUNKS = 10_000;
/** Of a fmt chunk, the bytes read (the extensible form needs 26; anything beyond is ignored). */
const FMT_READ_BYTES = 64;

/**
 * Parses the RIFF/WAVE header of `path`, walking its chunks wherever they are in the file (a large LIST or JUNK chunk
 * before the audio is fine). Throws {@link AudioFileError} saying what is wrong: not a regular file (a folder, a named
 * pipe: never waited on), empty, not RIFF/WAVE, an unsupported or absurd format (sample rate, channels, sample size),
 * chunks that run past the end of the file, audio data missing entirely. A file cut short after some audio is read up
 * to where it ends (`truncated`); a data chunk that is declared empty is a valid recording of 0 s.
 */
export async function readWavFormat(path: string): Promise<WavFormat> {
  let handle: fs.FileHandle;
  try {
    // O_NONBLOCK: opening a named pipe must not wait for a writer (it is refused just below, as not a file).
    handle = await fs.open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (e) {
    throw new AudioFileError(path, openFailure(e as NodeJS.ErrnoException));
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw new AudioFileError(path, 'it is a folder, not an audio file');
    if (!stat.isFile()) throw new AudioFileError(path, 'not a regular file (a named pipe, socket or device cannot be transcribed)');
    const readAt = async (position: number, length: number): Promise<Buffer> => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      return buffer.subarray(0, bytesRead);
    };
    return await parseWav(path, stat.size, readAt);
  } catch (e) {
    throw e instanceof AudioFileError ? e : new AudioFileError(path, (e as Error).message);
  } finally {
    await handle.close();
  }
}

function openFailure(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT': return 'no such file';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'ENOTDIR': return 'no such file (part of the path is not a folder)';
    default: return e.message;
  }
}

async function parseWav(path: string, fileSize: number, readAt: (position: number, length: number) => Promise<Buffer>): Promise<WavFormat> {
  const bad = (why: string): never => { throw new AudioFileError(path, why); };
  if (fileSize === 0) bad('the file is empty');
  const head = await readAt(0, 12);
  const riff = head.toString('latin1', 0, 4);
  if (head.length === 12 && head.toString('latin1', 8, 12) === 'WAVE') {
    if (riff === 'RIFX') bad('a big-endian (RIFX) WAV file: only little-endian RIFF WAV files are read');
    if (riff === 'RF64' || riff === 'BW64') bad(`an ${riff} (64-bit size) WAV file: only RIFF WAV files (up to 4 GB) are read`);
  }
  if (head.length < 12 || riff !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE') bad('not a WAV file (no RIFF/WAVE header)');
  let fmt: Omit<WavFormat, 'dataOffset' | 'dataBytes' | 'truncated' | 'durationSec'> | undefined;
  /** A chunk before the data whose declared size runs past the end of the file (the file is cut short or corrupt). */
  let overrun: string | undefined;
  let offset = 12;
  for (let chunks = 0; offset + 8 <= fileSize; chunks++) {
    if (chunks >= MAX_CHUNKS) bad(`no audio data in the first ${MAX_CHUNKS} chunks`);
    const header = await readAt(offset, 8);
    if (header.length < 8) break;
    const id = header.toString('latin1', 0, 4);
    const size = header.readUInt32LE(4);
    const body = offset + 8;
    if (id === 'fmt ') {
      const b = size < 16 ? Buffer.alloc(0) : await readAt(body, Math.min(size, FMT_READ_BYTES));
      if (b.length < 16) bad('the fmt chunk is too short');
      fmt = parseFmt(b, bad);
    } else if (id === 'data') {
      if (!fmt) bad('the data chunk comes before any fmt chunk');
      const f = fmt!;
      const frameBytes = (f.bitsPerSample / 8) * f.channels;
      const present = Math.max(0, fileSize - body);
      // 0 and 0xFFFFFFFF are what streaming writers leave when they cannot seek back: use the file's length.
      const unknown = size === 0 || size === 0xffffffff;
      const declared = unknown ? present : size;
      const dataBytes = Math.floor(Math.min(declared, present) / frameBytes) * frameBytes;
      if (!unknown && dataBytes === 0 && declared >= frameBytes) {
        bad(`the file ends where its audio should start: the data chunk declares ${declared} bytes and ${present === 0 ? 'none are' : `only ${present} are`} present`);
      }
      // An empty data chunk is a valid (silent, 0 s) recording: it yields no frames, so nothing is decoded.
      return { ...f, dataOffset: body, dataBytes, truncated: declared > present, durationSec: dataBytes / frameBytes / f.sampleRate };
    }
    if (body + size > fileSize) overrun ??= `the ${JSON.stringify(id)} chunk at byte ${offset} declares ${size} bytes, past the end of the file`;
    offset = body + size + (size & 1); // chunks are padded to even sizes
  }
  return bad(`${fmt ? 'no data chunk' : 'no fmt chunk'}${overrun ? ` (${overrun})` : ''}`);
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
