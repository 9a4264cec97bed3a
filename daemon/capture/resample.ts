/**
 * Streaming polyphase windowed-sinc resampler for a rational rate change (e.g. 44100 → 16000 is
 * 160 output phases). Blocks go in, blocks come out, and the result does not depend on block sizes.
 * The low-pass sits just under the lower Nyquist frequency so downsampling does not alias speech.
 */

/** Zero crossings of the sinc on each side, at the lower of the two rates. Higher = sharper, slower. */
const ZERO_CROSSINGS = 16;
/** Cutoff as a fraction of the lower Nyquist frequency; the rest is the transition band. */
const CUTOFF = 0.92;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Blackman window on [-1, 1]. */
function blackman(x: number): number {
  return 0.42 + 0.5 * Math.cos(Math.PI * x) + 0.08 * Math.cos(2 * Math.PI * x);
}

export class Resampler {
  /** Input samples per output sample, as the exact fraction step/phases. */
  private readonly step: number;
  private readonly phases: number;
  private readonly taps: number;
  /** phases × taps filter coefficients. */
  private readonly filter: Float32Array;
  /** Unconsumed input, with `taps` samples of history at its start. */
  private pending: Float32Array;
  /** Position of the next output, in input samples × phases, relative to pending[0]. */
  private position: number;
  private readonly identity: boolean;
  /** Totals, so that flush() emits exactly ceil(in × outputRate / inputRate) samples overall. */
  private samplesIn = 0;
  private samplesOut = 0;

  constructor(readonly inputRate: number, readonly outputRate: number) {
    const g = gcd(inputRate, outputRate);
    this.step = inputRate / g;
    this.phases = outputRate / g;
    this.identity = inputRate === outputRate;
    const scale = Math.min(1, outputRate / inputRate); // cutoff relative to the input's Nyquist
    const halfWidth = Math.ceil(ZERO_CROSSINGS / scale);
    this.taps = 2 * halfWidth;
    this.filter = new Float32Array(this.phases * this.taps);
    for (let phase = 0; phase < this.phases; phase++) {
      const frac = phase / this.phases;
      let sum = 0;
      for (let k = 0; k < this.taps; k++) {
        const t = k - halfWidth + 1 - frac; // distance (input samples) from the output instant
        const x = t * scale * CUTOFF;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        const w = Math.abs(t) < halfWidth ? blackman(t / halfWidth) : 0;
        const v = sinc * w;
        this.filter[phase * this.taps + k] = v;
        sum += v;
      }
      for (let k = 0; k < this.taps; k++) this.filter[phase * this.taps + k] /= sum; // unity gain at DC
    }
    // Leading history of zeros puts the first output at input sample 0.
    this.pending = new Float32Array(halfWidth - 1);
    this.position = 0;
  }

  /** Feeds input samples; returns the output samples that are now fully determined. */
  push(input: Float32Array): Float32Array {
    if (this.identity) return input.slice();
    this.samplesIn += input.length;
    const joined = new Float32Array(this.pending.length + input.length);
    joined.set(this.pending);
    joined.set(input, this.pending.length);
    return this.run(joined, false);
  }

  /** Pads with silence so the last input samples come out; the resampler is spent afterwards. */
  flush(): Float32Array {
    if (this.identity) return new Float32Array(0);
    const padded = new Float32Array(this.pending.length + this.taps);
    padded.set(this.pending);
    const tail = this.run(padded, true);
    const expected = Math.ceil((this.samplesIn * this.phases) / this.step);
    return tail.subarray(0, Math.max(0, expected - (this.samplesOut - tail.length)));
  }

  private run(x: Float32Array, final: boolean): Float32Array {
    const { taps, phases, step, filter } = this;
    // Outputs need x[i .. i+taps-1], i = floor(position / phases).
    const available = x.length - taps + 1;
    const count = available > 0 ? Math.max(0, Math.ceil((available * phases - this.position) / step)) : 0;
    const out = new Float32Array(count);
    let pos = this.position;
    for (let n = 0; n < count; n++, pos += step) {
      const i = Math.floor(pos / phases);
      const f = (pos - i * phases) * taps;
      let acc = 0;
      for (let k = 0; k < taps; k++) acc += x[i + k] * filter[f + k];
      out[n] = acc;
    }
    const consumed = Math.floor(pos / phases);
    this.position = pos - consumed * phases;
    this.pending = final ? new Float32Array(0) : x.slice(consumed);
    this.samplesOut += count;
    return out;
  }
}
