/**
 * Window levels the eval tries before the segmentation model (test/eval/diarize/level.ts).
 */
import { SAMPLE_RATE } from '../../../daemon/capture/source';

/**
 * A window's level before the segmentation model, for the eval's grid (level.ts; the stage ships none: windows go in
 * as captured, the committed recordings chose that). Raised, never lowered, by at most `maxGain` (so silence and
 * hiss are not blown up to speech level): `rms` and `peak` scale the whole window so its RMS or peak reaches `target`; `local` raises each
 * 0.5 s block toward an RMS of `target` (gains interpolated between block centres), so a quiet talker is raised beside
 * a loud one. A whole-window gain mostly cancels in the model: pyannote's SincNet first instance-normalises the window
 * (pyannote-audio pyannote/audio/models/blocks/sincnet.py at 00d4b49d, SincNet.forward: wav_norm1d =
 * nn.InstanceNorm1d(1), eps 1e-5, which matters only below about −50 dBFS). pyannote's inference feeds the waveform as
 * read (core/inference.py at 0669382c, Inference.slide: waveform.unfold into chunks, then infer; core/io.py's
 * Audio.power_normalize is not called there).
 */
export interface WindowLevel { by: 'rms' | 'peak' | 'local'; target: number; maxGain: number }

/** Samples per block of a `local` level. */
export const LEVEL_BLOCK_SAMPLES = SAMPLE_RATE / 2;

/** RMS of x[from, to). */
export const rmsOf = (x: Float32Array, from: number, to: number): number => {
  let sum = 0;
  for (let i = from; i < to; i++) sum += x[i] * x[i];
  return Math.sqrt(sum / Math.max(1, to - from));
};
const gainTo = (target: number, measured: number, maxGain: number): number => (measured > 0 ? Math.max(1, Math.min(maxGain, target / measured)) : 1);

/** `window` scaled by `level` (a copy, clipped to ±1), or `window` itself when no gain applies. */
export function levelWindow(window: Float32Array, level: WindowLevel | undefined): Float32Array {
  if (!level) return window;
  const gains = new Float32Array(window.length);
  if (level.by === 'local') {
    const blocks = Math.ceil(window.length / LEVEL_BLOCK_SAMPLES);
    const g = Array.from({ length: blocks }, (_, b) => gainTo(level.target, rmsOf(window, b * LEVEL_BLOCK_SAMPLES, Math.min(window.length, (b + 1) * LEVEL_BLOCK_SAMPLES)), level.maxGain));
    for (let i = 0; i < window.length; i++) {
      const at = Math.max(0, Math.min(blocks - 1, i / LEVEL_BLOCK_SAMPLES - 0.5));
      const b = Math.floor(at), next = Math.min(blocks - 1, b + 1);
      gains[i] = g[b] + (g[next] - g[b]) * (at - b);
    }
  } else {
    let peak = 0;
    for (let i = 0; i < window.length; i++) peak = Math.max(peak, Math.abs(window[i]));
    gains.fill(gainTo(level.target, level.by === 'rms' ? rmsOf(window, 0, window.length) : peak, level.maxGain));
  }
  if (gains.every((g) => g === 1)) return window;
  const out = new Float32Array(window.length);
  for (let i = 0; i < window.length; i++) out[i] = Math.max(-1, Math.min(1, window[i] * gains[i]));
  return out;
}

