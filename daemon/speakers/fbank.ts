/**
 * Kaldi's log mel filterbank ("fbank"), what speaker-embedding models are trained on, with the options sherpa-onnx
 * feeds them (sherpa-onnx/csrc/features.h at 634265c9, through kaldi-native-fbank): 16 kHz, 25 ms frames every 10 ms
 * not snipped at the edges (frames centred on each 10 ms step, the audio reflected past its ends), no dither, the DC
 * offset removed, pre-emphasis 0.97, the Povey window, a 512-point FFT's power spectrum, 80 triangular mel bins from
 * 20 Hz to 7,600 Hz (Nyquist − 400), log with a floor of FLT_EPSILON. Kaldi's definitions: feature-window.cc
 * (FirstSampleOfFrame, ExtractWindow, ProcessWindow), mel-computations.cc (MelBanks), feature-fbank.cc.
 */
export const FBANK_BINS = 80;
const SAMPLE_RATE = 16_000;
const FRAME_SHIFT = 160;
const FRAME_LENGTH = 400;
const FFT_SIZE = 512;
const PREEMPH = 0.97;
const LOW_HZ = 20;
const HIGH_HZ = SAMPLE_RATE / 2 - 400;
const FLT_EPSILON = 1.1920929e-7;

const mel = (hz: number): number => 1127 * Math.log(1 + hz / 700);

/** The Povey window: a Hann window raised to 0.85 (feature-window.cc). */
const WINDOW = Float64Array.from({ length: FRAME_LENGTH }, (_, i) => Math.pow(0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (FRAME_LENGTH - 1)), 0.85));

/** Per mel bin: its first FFT bin and weights (MelBanks: the FFT's first FFT_SIZE/2 bins, Nyquist left out). */
const BANKS: { first: number; weights: Float64Array }[] = (() => {
  const lo = mel(LOW_HZ), hi = mel(HIGH_HZ), delta = (hi - lo) / (FBANK_BINS + 1);
  return Array.from({ length: FBANK_BINS }, (_, b) => {
    const left = lo + b * delta, centre = left + delta, right = centre + delta;
    const weights: number[] = [];
    let first = -1;
    for (let i = 0; i < FFT_SIZE / 2; i++) {
      const m = mel((i * SAMPLE_RATE) / FFT_SIZE);
      if (m <= left || m >= right) continue;
      if (first < 0) first = i;
      weights[i - first] = m <= centre ? (m - left) / (centre - left) : (right - m) / (right - centre);
    }
    return { first, weights: Float64Array.from(weights, (w) => w ?? 0) };
  });
})();

/** Frames of `samples` samples: one per 10 ms step, rounded (NumFrames with snip_edges false). */
export const fbankFrames = (samples: number): number => Math.floor((samples + FRAME_SHIFT / 2) / FRAME_SHIFT);

/** Log mel filterbank of 16 kHz samples in [-1, 1]: frames × FBANK_BINS, row-major. */
export function fbank(samples: Float32Array): Float32Array {
  const out = new Float32Array(fbankFrames(samples.length) * FBANK_BINS);
  fbankEach(samples, (f, bins) => out.set(bins, f * FBANK_BINS));
  return out;
}

/**
 * The same features one frame at a time (`bins` is reused between calls): for a reader that keeps a summary of each
 * frame, not the whole matrix (a 25 s turn's is 800 kB, held beside whisper's weights at the daemon's peak).
 */
export function fbankEach(samples: Float32Array, each: (frame: number, bins: Float32Array) => void): void {
  const frames = fbankFrames(samples.length);
  const bins = new Float32Array(FBANK_BINS);
  const re = new Float64Array(FFT_SIZE), im = new Float64Array(FFT_SIZE);
  const n = samples.length;
  for (let f = 0; f < frames; f++) {
    const begin = f * FRAME_SHIFT + FRAME_SHIFT / 2 - FRAME_LENGTH / 2;
    let mean = 0;
    for (let i = 0; i < FRAME_LENGTH; i++) {
      let s = begin + i;
      while (s < 0 || s >= n) s = s < 0 ? -s - 1 : 2 * n - 1 - s; // reflected past the ends
      re[i] = samples[s];
      mean += re[i];
    }
    mean /= FRAME_LENGTH;
    for (let i = 0; i < FRAME_LENGTH; i++) re[i] -= mean;
    for (let i = FRAME_LENGTH - 1; i > 0; i--) re[i] -= PREEMPH * re[i - 1];
    re[0] -= PREEMPH * re[0];
    for (let i = 0; i < FRAME_LENGTH; i++) re[i] *= WINDOW[i];
    re.fill(0, FRAME_LENGTH);
    im.fill(0);
    fft(re, im);
    for (let b = 0; b < FBANK_BINS; b++) {
      const { first, weights } = BANKS[b];
      let energy = 0;
      for (let k = 0; k < weights.length; k++) energy += weights[k] * (re[first + k] ** 2 + im[first + k] ** 2);
      bins[b] = Math.log(Math.max(energy, FLT_EPSILON));
    }
    each(f, bins);
  }
}

/** Subtracts each bin's mean over the frames (sherpa-onnx's "global-mean" feature normalisation for 3D-Speaker models). */
export function subtractMean(features: Float32Array, bins = FBANK_BINS): void {
  const frames = features.length / bins;
  if (!frames) return;
  for (let b = 0; b < bins; b++) {
    let sum = 0;
    for (let f = 0; f < frames; f++) sum += features[f * bins + b];
    const mean = sum / frames;
    for (let f = 0; f < frames; f++) features[f * bins + b] -= mean;
  }
}

/** In-place iterative radix-2 FFT (length a power of two). */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    const wr = Math.cos(angle), wi = Math.sin(angle);
    for (let i = 0; i < n; i += len) {
      let cr = 1, ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k, b = a + len / 2;
        const tr = re[b] * cr - im[b] * ci, ti = re[b] * ci + im[b] * cr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
        [cr, ci] = [cr * wr - ci * wi, cr * wi + ci * wr];
      }
    }
  }
}
