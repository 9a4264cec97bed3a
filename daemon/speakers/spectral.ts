/**
 * Re-identification without a voice model (issue 57): a voice is summed up by classic spectral statistics over its
 * turns, the mean and spread of its MFCCs (the DCT of the Kaldi log mel filterbank, fbank.ts, coefficients 1–19: c0,
 * the level, left out), over its louder frames (the quietest half of a turn is mostly pauses and room). A new label's
 * first long turn whose statistics are close enough to an earlier label's is that label's voice (stage.ts announces the
 * relabel); never one overlap linking heard in the window before the turn (it found another voice beside it). Closeness: the root mean square over the coefficients of the difference of means in units of the pooled
 * spread, a Mahalanobis distance with diagonal covariances. The threshold was chosen by cross-validation on the
 * committed meetings (`npm run eval:diarize`, docs/benchmarks/speakers.md "Issue 57").
 */
import { SAMPLE_RATE } from '../capture/source';
import { FBANK_BINS, fbankEach, fbankFrames } from './fbank';
import { MIN_IDENTIFY_SEC, SpeakerReidentifier } from './reidentify';

export const MFCC_COEFFICIENTS = 19;
/** Distance (pooled-spread units) up to which a voice is an earlier label's. */
export const SAME_VOICE_DISTANCE = 0.25;

/** DCT-II basis rows 1…MFCC_COEFFICIENTS over the mel bins (orthonormal scaling). */
const DCT: Float64Array[] = Array.from({ length: MFCC_COEFFICIENTS }, (_, k) =>
  Float64Array.from({ length: FBANK_BINS }, (_, b) => Math.sqrt(2 / FBANK_BINS) * Math.cos((Math.PI * (k + 1) * (b + 0.5)) / FBANK_BINS)));

/** Per-voice sufficient statistics: frame count, sums and sums of squares of each coefficient. */
export interface VoiceStats { frames: number; sum: Float64Array; squares: Float64Array }

/** The MFCC statistics of 16 kHz samples in [-1, 1], over their louder half of frames. */
export function voiceStats(samples: Float32Array): VoiceStats {
  // Each frame's level and coefficients only (76 bytes a frame, not the 320 of its filterbank row): this runs beside
  // whisper, at the daemon's peak memory.
  const frames = fbankFrames(samples.length);
  const energy = new Float64Array(frames);
  const mfcc = new Float32Array(frames * MFCC_COEFFICIENTS);
  fbankEach(samples, (f, bins) => {
    let e = 0;
    for (let b = 0; b < FBANK_BINS; b++) e += bins[b];
    energy[f] = e;
    for (let k = 0; k < MFCC_COEFFICIENTS; k++) {
      let c = 0;
      for (let b = 0; b < FBANK_BINS; b++) c += DCT[k][b] * bins[b];
      mfcc[f * MFCC_COEFFICIENTS + k] = c;
    }
  });
  const median = frames ? Float64Array.from(energy).sort()[Math.floor(frames / 2)] : 0;
  const stats: VoiceStats = { frames: 0, sum: new Float64Array(MFCC_COEFFICIENTS), squares: new Float64Array(MFCC_COEFFICIENTS) };
  for (let f = 0; f < frames; f++) {
    if (energy[f] < median) continue;
    stats.frames++;
    for (let k = 0; k < MFCC_COEFFICIENTS; k++) {
      const c = mfcc[f * MFCC_COEFFICIENTS + k];
      stats.sum[k] += c;
      stats.squares[k] += c * c;
    }
  }
  return stats;
}

/** The distance between two voices' statistics: RMS over coefficients of the mean difference over the pooled spread. */
export function voiceDistance(a: VoiceStats, b: VoiceStats): number {
  if (!a.frames || !b.frames) return Infinity;
  let total = 0;
  for (let k = 0; k < MFCC_COEFFICIENTS; k++) {
    const ma = a.sum[k] / a.frames, mb = b.sum[k] / b.frames;
    const va = Math.max(1e-6, a.squares[k] / a.frames - ma * ma), vb = Math.max(1e-6, b.squares[k] / b.frames - mb * mb);
    total += (ma - mb) ** 2 / ((va + vb) / 2);
  }
  return Math.sqrt(total / MFCC_COEFFICIENTS);
}

const merge = (into: VoiceStats, from: VoiceStats): void => {
  into.frames += from.frames;
  for (let k = 0; k < MFCC_COEFFICIENTS; k++) { into.sum[k] += from.sum[k]; into.squares[k] += from.squares[k]; }
};

/** One source's voices by their spectral statistics (kept across the source's stages, as EmbeddingReidentifier's). */
export class SpectralReidentifier implements SpeakerReidentifier {
  private readonly voices = new Map<string, VoiceStats>();
  /** voiceStats reads the turn before identify() first yields. */
  readonly readsAudioAtOnce = true;

  constructor(private readonly threshold = SAME_VOICE_DISTANCE) {}

  async identify(label: string, audio: Float32Array, _known: readonly string[] = [], heard: readonly string[] = []): Promise<string | undefined> {
    if (audio.length < MIN_IDENTIFY_SEC * SAMPLE_RATE) return undefined;
    const stats = voiceStats(audio);
    let best: { label: string; distance: number } | undefined;
    for (const [known, v] of this.voices) {
      if (known === label || heard.includes(known)) continue;
      const distance = voiceDistance(stats, v);
      if (!best || distance < best.distance) best = { label: known, distance };
    }
    const same = best && best.distance <= this.threshold ? best.label : undefined;
    const into = this.voices.get(same ?? label);
    if (into) merge(into, stats);
    else this.voices.set(same ?? label, stats);
    return same;
  }
}
