/**
 * Where a reference signal sits inside a capture, and how alike they are there: the lag by cross-correlating
 * amplitude envelopes (coarse, cheap), refined sample by sample around it, and Pearson's r at the best lag.
 * A clean capture of what was played scores r ≥ 0.98; unrelated speech scores near 0.
 */
import * as fs from 'node:fs';

export interface Match {
  /** Index in the capture where reference sample 0 sits (may be negative: the capture began late). */
  lag: number;
  /** Pearson correlation over the overlap at that lag. */
  r: number;
  /** Samples the reference and the capture overlap at that lag. */
  overlap: number;
}

/** Pearson r of ref[i] against cap[i + lag] over the overlap. */
export function pearsonAt(ref: Float32Array, cap: Float32Array, lag: number): { r: number; n: number } {
  let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, n = 0;
  const from = Math.max(0, -lag);
  const to = Math.min(ref.length, cap.length - lag);
  for (let i = from; i < to; i++) {
    const a = ref[i], b = cap[i + lag];
    sx += a; sy += b; sxx += a * a; syy += b * b; sxy += a * b; n++;
  }
  if (n === 0) return { r: 0, n };
  const cov = sxy - (sx * sy) / n, vx = sxx - (sx * sx) / n, vy = syy - (sy * sy) / n;
  return { r: cov / Math.sqrt(vx * vy || 1e-30), n };
}

/** Sum of |x| over blocks of `block` samples. */
function envelope(x: Float32Array, block: number): Float64Array {
  const out = new Float64Array(Math.floor(x.length / block));
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let k = 0; k < block; k++) s += Math.abs(x[i * block + k]);
    out[i] = s;
  }
  return out;
}

/** Finds `ref` inside `cap`. */
export function findIn(ref: Float32Array, cap: Float32Array, block = 16): Match {
  const er = envelope(ref, block), ec = envelope(cap, block);
  let best = -Infinity, coarse = 0;
  for (let l = -er.length + 1; l < ec.length; l++) {
    let s = 0;
    for (let i = Math.max(0, -l); i < er.length && i + l < ec.length; i++) s += er[i] * ec[i + l];
    if (s > best) { best = s; coarse = l; }
  }
  let match: Match = { lag: coarse * block, r: -2, overlap: 0 };
  for (let l = coarse * block - 2 * block; l <= coarse * block + 2 * block; l++) {
    const c = pearsonAt(ref, cap, l);
    if (c.r > match.r) match = { lag: l, r: c.r, overlap: c.n };
  }
  return match;
}

/** The samples of a 16-bit PCM WAV file as floats (the first channel's interleaved data is assumed mono). */
export function readWavMono16(file: string): Float32Array {
  let b = fs.readFileSync(file);
  if (b.toString('ascii', 0, 4) === 'RIFF') {
    for (let o = 12; o + 8 <= b.length;) {
      const id = b.toString('ascii', o, o + 4), size = b.readUInt32LE(o + 4);
      if (id === 'data') { b = b.subarray(o + 8, Math.min(b.length, o + 8 + size)); break; }
      o += 8 + size + (size & 1);
    }
  }
  const out = new Float32Array(b.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = b.readInt16LE(2 * i) / 32768;
  return out;
}

/** One block of the reference, found near where the whole reference sits. */
export interface BlockMatch {
  /** The block's first sample in the reference. */
  start: number;
  /** Its best lag minus the whole reference's lag: > 0 the block came later than the reference says (time inserted). */
  shift: number;
  r: number;
}

/**
 * The reference cut into blocks of `block` samples, each found within `search` samples of where the whole match puts it:
 * where a capture differs from what was played (audio lost, time inserted, a distorted stretch).
 */
export function blockMatches(ref: Float32Array, cap: Float32Array, lag: number, block = 8000, search = 1600): BlockMatch[] {
  const out: BlockMatch[] = [];
  for (let start = 0; start + block <= ref.length; start += block) {
    const part = ref.subarray(start, start + block);
    let best: BlockMatch = { start, shift: 0, r: -2 };
    for (let shift = -search; shift <= search; shift++) {
      const { r, n } = pearsonAt(part, cap, lag + start + shift);
      if (n === block && r > best.r) best = { start, shift, r };
    }
    out.push(best);
  }
  return out;
}

/** A failure message's account of the blocks: "0.0 s r 0.99, 0.5 s r 0.41 (+320 samples), …". */
export function describeBlocks(blocks: BlockMatch[], rate = 16000): string {
  return blocks.map((b) => `${(b.start / rate).toFixed(1)} s r ${b.r.toFixed(2)}${b.shift ? ` (${b.shift > 0 ? '+' : ''}${b.shift} samples)` : ''}`).join(', ');
}

/**
 * Whether every block was found at r ≥ `minR`, in order: each at most `maxStep` samples later than the one before and
 * none earlier (lost audio brings what follows earlier; time a sound server inserted moves it later).
 */
export function heldInOrder(blocks: BlockMatch[], minR: number, maxStep: number): boolean {
  return blocks.every((b, i) => b.r >= minR && (i === 0 || (b.shift >= blocks[i - 1].shift - 2 && b.shift - blocks[i - 1].shift <= maxStep)));
}
