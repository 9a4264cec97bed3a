/**
 * Raw recorder output → float samples, and the input level a meter shows.
 */

/**
 * Decodes signed 16-bit little-endian mono PCM arriving in chunks of any length. A recorder may write an odd
 * number of bytes (sox does when it dies mid-sample): the odd byte waits for the next chunk.
 */
export class Pcm16Decoder {
  private carry: number | undefined;

  decode(chunk: Buffer): Float32Array {
    let bytes = chunk;
    if (this.carry !== undefined && chunk.length > 0) {
      bytes = Buffer.concat([Buffer.from([this.carry]), chunk]);
      this.carry = undefined;
    }
    const n = bytes.length >> 1;
    if (bytes.length & 1) this.carry = bytes[bytes.length - 1];
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = bytes.readInt16LE(2 * i) / 32768;
    return out;
  }

  /** A new recorder process starts at a sample boundary. */
  reset(): void {
    this.carry = undefined;
  }
}

/** The quietest level reported: digital silence would be -Infinity, which JSON cannot carry. */
export const MIN_DBFS = -100;

export interface InputLevel {
  /** RMS of the window in dB relative to full scale, ≥ MIN_DBFS. */
  rmsDbfs: number;
  /** Largest absolute sample of the window in dBFS, ≥ MIN_DBFS. */
  peakDbfs: number;
  /** performance.now() when the window's last sample arrived. */
  at: number;
}

export const toDbfs = (amplitude: number): number => (amplitude > 0 ? Math.max(MIN_DBFS, 20 * Math.log10(amplitude)) : MIN_DBFS);

/**
 * RMS and peak over windows of at least `intervalMs` of arrival time, so a meter gets at most 1000/intervalMs values
 * a second, bursts included (a burst's samples all fall into one window).
 */
export class LevelMeter {
  private sumSquares = 0;
  private peak = 0;
  private count = 0;
  private windowStart: number | undefined;

  constructor(private readonly intervalMs = 100) {}

  /** Adds samples that arrived at `at`; returns a level when a window is complete. */
  push(samples: Float32Array, at: number): InputLevel | undefined {
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i];
      this.sumSquares += s * s;
      const a = Math.abs(s);
      if (a > this.peak) this.peak = a;
    }
    this.count += samples.length;
    this.windowStart ??= at;
    if (at - this.windowStart < this.intervalMs || this.count === 0) return undefined;
    const level = { rmsDbfs: toDbfs(Math.sqrt(this.sumSquares / this.count)), peakDbfs: toDbfs(this.peak), at };
    this.reset(at);
    return level;
  }

  reset(at?: number): void {
    this.sumSquares = 0;
    this.peak = 0;
    this.count = 0;
    this.windowStart = at;
  }
}
