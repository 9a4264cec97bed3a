/**
 * Checks a ggml whisper model file before whisper.cpp sees it. whisper.cpp aborts the whole process on
 * some malformed files, and a truncated download otherwise loads "fine" and produces garbage; so the
 * header, vocabulary and every tensor's size are walked here and must add up to the file's length.
 */
import { promises as fs } from 'node:fs';

export class ModelFileError extends Error {
  override name = 'ModelFileError';
  constructor(readonly path: string, reason: string) {
    super(`Whisper model ${path}: ${reason}`);
  }
}

export interface ModelInfo {
  path: string;
  bytes: number;
  nVocab: number;
  nAudioState: number;
  nAudioLayer: number;
  nTextState: number;
  nTextLayer: number;
  multilingual: boolean;
  tensors: number;
}

const GGML_MAGIC = 0x67676d6c;

/** Bytes per block and elements per block for the ggml tensor types whisper models use. */
const TENSOR_TYPES: Record<number, { bytes: number; elements: number }> = {
  0: { bytes: 4, elements: 1 }, // f32
  1: { bytes: 2, elements: 1 }, // f16
  2: { bytes: 18, elements: 32 }, // q4_0
  3: { bytes: 20, elements: 32 }, // q4_1
  6: { bytes: 22, elements: 32 }, // q5_0
  7: { bytes: 24, elements: 32 }, // q5_1
  8: { bytes: 34, elements: 32 }, // q8_0
};

/** Reads little-endian integers from a file at increasing offsets, in small buffered windows. */
class Cursor {
  private window = Buffer.alloc(0);
  private windowStart = 0;
  constructor(private readonly handle: fs.FileHandle, readonly size: number, public offset = 0) {}

  async bytes(n: number): Promise<Buffer> {
    if (this.offset + n > this.size) throw new RangeError('end of file');
    if (this.offset < this.windowStart || this.offset + n > this.windowStart + this.window.length) {
      this.windowStart = this.offset;
      this.window = Buffer.alloc(Math.min(Math.max(n, 1 << 16), this.size - this.offset));
      await this.handle.read(this.window, 0, this.window.length, this.offset);
    }
    const start = this.offset - this.windowStart;
    this.offset += n;
    return this.window.subarray(start, start + n);
  }

  async i32(): Promise<number> {
    return (await this.bytes(4)).readInt32LE(0);
  }
}

export async function inspectModelFile(path: string): Promise<ModelInfo> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelFileError(path, code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : (e as Error).message);
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) throw new ModelFileError(path, 'the file is empty');
    return await walk(path, new Cursor(handle, size));
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    if (e instanceof RangeError) throw new ModelFileError(path, 'the file is truncated (an incomplete download?)');
    throw new ModelFileError(path, (e as Error).message);
  } finally {
    await handle.close();
  }
}

async function walk(path: string, c: Cursor): Promise<ModelInfo> {
  const bad = (why: string): never => { throw new ModelFileError(path, why); };
  if ((await c.bytes(4)).readUInt32LE(0) !== GGML_MAGIC) bad('not a ggml whisper model (bad magic number)');
  const header: number[] = [];
  for (let i = 0; i < 11; i++) header.push(await c.i32()); // the last one is ftype
  const [nVocab, nAudioCtx, nAudioState, nAudioHead, nAudioLayer, nTextCtx, nTextState, nTextHead, nTextLayer, nMels] = header;
  const sane = (v: number, max: number) => Number.isInteger(v) && v > 0 && v <= max;
  if (!sane(nVocab, 1 << 20) || !sane(nAudioCtx, 1 << 16) || !sane(nAudioState, 1 << 14) || !sane(nAudioHead, 1024) ||
      !sane(nAudioLayer, 1024) || !sane(nTextCtx, 1 << 16) || !sane(nTextState, 1 << 14) || !sane(nTextHead, 1024) ||
      !sane(nTextLayer, 1024) || !sane(nMels, 1024)) {
    bad('the header holds impossible dimensions (corrupt file)');
  }
  const melRows = await c.i32();
  const melCols = await c.i32();
  if (!sane(melRows, 1024) || !sane(melCols, 1 << 16)) bad('corrupt mel filter table');
  c.offset += melRows * melCols * 4;
  const nTokens = await c.i32();
  if (!sane(nTokens, 1 << 20)) bad('corrupt vocabulary');
  for (let i = 0; i < nTokens; i++) {
    const len = await c.i32();
    if (len < 0 || len > 1024) bad('corrupt vocabulary entry');
    c.offset += len;
  }
  let tensors = 0;
  while (c.offset < c.size) {
    const nDims = await c.i32();
    const nameLength = await c.i32();
    const type = await c.i32();
    if (nDims < 1 || nDims > 4 || nameLength < 1 || nameLength > 512) bad(`corrupt tensor header at byte ${c.offset - 12}`);
    const layout = TENSOR_TYPES[type] ?? bad(`unsupported tensor type ${type}`);
    let elements = 1;
    for (let d = 0; d < nDims; d++) elements *= await c.i32();
    const name = (await c.bytes(nameLength)).toString('latin1');
    if (elements % layout.elements !== 0) bad(`tensor ${name} does not fill whole blocks`);
    // The bundled whisper.cpp asserts (aborting the process) on f32 convolution weights.
    if (name.startsWith('encoder.conv') && name.endsWith('.weight') && type !== 1) bad(`tensor ${name} must be f16 for this whisper build`);
    c.offset += (elements / layout.elements) * layout.bytes;
    if (c.offset > c.size) bad(`the file is truncated inside tensor ${name} (an incomplete download?)`);
    tensors++;
  }
  // 7 encoder + 4 decoder tensors outside the blocks, 15 per encoder block, 24 per decoder block.
  const expected = 11 + 15 * nAudioLayer + 24 * nTextLayer;
  if (tensors !== expected) bad(`${tensors} tensors where a model of this size has ${expected} (corrupt file)`);
  return {
    path, bytes: c.size, nVocab, nAudioState, nAudioLayer, nTextState, nTextLayer, multilingual: nVocab >= 51865, tensors,
  };
}
