import * as assert from 'node:assert/strict';
import { Resampler } from '../../daemon/capture/resample';
import { concat } from './fakes';

function tone(rate: number, hz: number, n: number, amplitude = 1): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = amplitude * Math.sin((2 * Math.PI * hz * i) / rate);
  return x;
}

/** A deterministic pseudo-random generator, so a failure can be replayed. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function noise(n: number, seed: number): Float32Array {
  const r = lcg(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = r() * 2 - 1;
  return x;
}

/** Resamples `input` fed in blocks of the given sizes (the rest in one block), then flushes. */
function resample(inRate: number, outRate: number, input: Float32Array, blockSizes: number[] = []): Float32Array {
  const r = new Resampler(inRate, outRate);
  const out: Float32Array[] = [];
  let offset = 0;
  for (const size of blockSizes) {
    if (offset >= input.length) break;
    out.push(r.push(input.subarray(offset, offset + size)));
    offset += size;
  }
  if (offset < input.length) out.push(r.push(input.subarray(offset)));
  out.push(r.flush());
  return concat(out);
}

function rms(x: Float32Array, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return Math.sqrt(s / (to - from));
}

/** Amplitude of the `hz` component (single-bin DFT), over the middle of the signal. */
function amplitudeAt(x: Float32Array, rate: number, hz: number, from: number, to: number): number {
  let re = 0, im = 0;
  for (let i = from; i < to; i++) {
    re += x[i] * Math.cos((2 * Math.PI * hz * i) / rate);
    im += x[i] * Math.sin((2 * Math.PI * hz * i) / rate);
  }
  return (2 * Math.hypot(re, im)) / (to - from);
}

/** Frequency estimated from zero crossings. */
function frequency(x: Float32Array, rate: number, from: number, to: number): number {
  let crossings = 0;
  let first = -1, last = -1;
  for (let i = from + 1; i < to; i++) {
    if (x[i - 1] < 0 && x[i] >= 0) {
      const at = i - 1 + x[i - 1] / (x[i - 1] - x[i]);
      if (first < 0) first = at;
      else crossings++;
      last = at;
    }
  }
  return (crossings * rate) / (last - first);
}

const RATE_PAIRS: [number, number][] = [[48000, 16000], [44100, 16000], [22050, 16000], [8000, 16000], [11025, 16000], [32000, 16000]];

describe('Resampler', () => {
  for (const [inRate, outRate] of RATE_PAIRS) {
    it(`${inRate} → ${outRate}: exactly ceil(n × out / in) samples, however the input is split`, () => {
      const random = lcg(inRate);
      for (const n of [1, 2, 3, 7, 100, 441, 1000, 4410, 12345]) {
        const input = noise(n, n);
        const whole = resample(inRate, outRate, input);
        assert.equal(whole.length, Math.ceil((n * outRate) / inRate), `n=${n}`);
        const sizes: number[] = [];
        for (let total = 0; total < n;) {
          const size = Math.floor(random() * 700); // includes empty blocks
          sizes.push(size);
          total += size;
        }
        const pieces = resample(inRate, outRate, input, sizes);
        assert.deepEqual(pieces, whole, `n=${n}: block sizes ${sizes.slice(0, 8).join(',')}… change the output`);
        const oneByOne = resample(inRate, outRate, input, new Array(n).fill(1));
        assert.deepEqual(oneByOne, whole, `n=${n}: sample-by-sample input changes the output`);
      }
    });
  }

  it('emits nothing for no input', () => {
    assert.equal(resample(44100, 16000, new Float32Array(0)).length, 0);
    assert.equal(new Resampler(48000, 16000).flush().length, 0);
  });

  it('keeps a 1 kHz tone at 1 kHz and unity gain (48k → 16k)', () => {
    const out = resample(48000, 16000, tone(48000, 1000, 48000, 0.5));
    assert.equal(out.length, 16000);
    // Away from the edges (the filter ramps in over a few ms).
    const f = frequency(out, 16000, 1600, 14400);
    assert.ok(Math.abs(f - 1000) < 1, `frequency ${f}`);
    const gain = amplitudeAt(out, 16000, 1000, 1600, 14400) / 0.5;
    assert.ok(Math.abs(gain - 1) < 0.01, `gain ${gain}`);
    assert.ok(Math.abs(rms(out, 1600, 14400) - 0.5 / Math.SQRT2) < 0.005);
    // The output is aligned with the input: sample k is at time k / 16000 (no filter delay).
    for (const k of [2000, 5001, 9999]) assert.ok(Math.abs(out[k] - 0.5 * Math.sin((2 * Math.PI * 1000 * k) / 16000)) < 0.01, `k=${k}`);
  });

  it('keeps speech-band tones at unity gain at every rate', () => {
    for (const [inRate] of RATE_PAIRS) {
      for (const hz of [200, 1000, 3000]) {
        const out = resample(inRate, 16000, tone(inRate, hz, inRate));
        const gain = amplitudeAt(out, 16000, hz, 1600, 14400);
        assert.ok(Math.abs(gain - 1) < 0.01, `${inRate} Hz input, ${hz} Hz tone: gain ${gain}`);
      }
    }
  });

  it('does not alias tones above the output Nyquist frequency (44.1k → 16k)', () => {
    // 10 kHz would fold to 6 kHz, 12 kHz to 4 kHz, 9 kHz to 7 kHz.
    for (const [hz, alias] of [[9000, 7000], [10000, 6000], [12000, 4000], [15000, 1000]]) {
      const out = resample(44100, 16000, tone(44100, hz, 44100));
      assert.ok(rms(out, 1600, 14400) < 0.01, `${hz} Hz leaks: rms ${rms(out, 1600, 14400)}`);
      assert.ok(amplitudeAt(out, 16000, alias, 1600, 14400) < 0.01, `${hz} Hz aliases to ${alias} Hz`);
    }
  });

  it('attenuates a 7.5 kHz tone (transition band, 44.1k → 16k) without folding it', () => {
    // 7.5 kHz is below the 8 kHz output Nyquist frequency: it cannot alias, and the low-pass
    // (cutoff 0.92 × 8 kHz) attenuates it. What comes out must still be 7.5 kHz, never louder.
    const out = resample(44100, 16000, tone(44100, 7500, 44100));
    const at7500 = amplitudeAt(out, 16000, 7500, 1600, 14400);
    assert.ok(at7500 < 0.6, `7.5 kHz passes with gain ${at7500}`);
    assert.ok(rms(out, 1600, 14400) < 0.6 / Math.SQRT2);
    for (const hz of [500, 1000, 4000, 6500, 7000]) {
      assert.ok(amplitudeAt(out, 16000, hz, 1600, 14400) < 0.005, `energy appears at ${hz} Hz`);
    }
  });

  it('16k → 16k is the identity', () => {
    const input = noise(5000, 3);
    const r = new Resampler(16000, 16000);
    const a = r.push(input.subarray(0, 1234));
    const b = r.push(input.subarray(1234));
    assert.equal(r.flush().length, 0);
    assert.deepEqual(concat([a, b]), input);
    // The output is a copy: the caller may reuse its buffer.
    const block = new Float32Array([0.25, 0.5]);
    const out = new Resampler(16000, 16000).push(block);
    block[0] = 0;
    assert.equal(out[0], 0.25);
  });

  it('upsampling 8k → 16k interpolates a tone', () => {
    const out = resample(8000, 16000, tone(8000, 1000, 8000, 0.8));
    assert.equal(out.length, 16000);
    const f = frequency(out, 16000, 1600, 14400);
    assert.ok(Math.abs(f - 1000) < 1, `frequency ${f}`);
    for (const k of [3001, 7777]) assert.ok(Math.abs(out[k] - 0.8 * Math.sin((2 * Math.PI * 1000 * k) / 16000)) < 0.01);
  });
});
