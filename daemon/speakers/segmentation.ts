/**
 * pyannote segmentation-3.0 (MIT; sherpa-onnx's int8 ONNX export, media/speakers/README.md) on onnxruntime-node: a
 * 10 s window of 16 kHz samples in, for each of its 589 frames the log-probabilities of 7 powerset classes out, which
 * say who of up to three local speakers is talking, at most two at once. "Local": speaker 1 of one window and speaker 1
 * of the next need not be the same person; linking.ts links them.
 *
 * The shapes and timing are the ones sherpa-onnx's exporter asserts and writes into the file's metadata
 * (k2-fsa/sherpa-onnx scripts/pyannote/segmentation/export-onnx.py:56-77, 117-125): x[N,1,160000] → y[N,589,7],
 * receptive field step 270 samples (16.875 ms) and duration 991 samples. (Line numbers in daemon/speakers/ cite
 * pyannote-audio at commit b749285c and sherpa-onnx at 634265c9.)
 */
import * as path from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { FRAME_SAMPLES, SAMPLE_RATE } from '../capture/source';
import { loadOnnxSession, onnxRuntime, SILENCE_RMS } from '../vad/silero';

export const SEGMENTATION_MODEL = path.join(__dirname, '..', '..', '..', 'media', 'speakers', 'pyannote-segmentation-3.0.int8.onnx');
export const SEGMENTATION_MODEL_SHA256 = 'd582f4b4c6b48205de7e0643c57df0df5615a3c176189be3fc461e9d18827b5d';

/** One window: 10 s (the model's training chunk; export-onnx.py:56, 61-65). */
export const WINDOW_SAMPLES = 10 * SAMPLE_RATE;
/** Frames the model gives for one window (export-onnx.py:70). */
export const WINDOW_FRAMES = 589;
/** Samples between frames: the receptive field's step (export-onnx.py:74). */
export const FRAME_STEP_SAMPLES = 270;
/** Samples one frame sees; a frame's time is its centre, half of this after its start (sherpa-onnx impl.h:717-718). */
export const RECEPTIVE_FIELD_SAMPLES = 991;
export const LOCAL_SPEAKERS = 3;

/**
 * The powerset classes in the model's output order, as sets of local speakers: ∅, {1}, {2}, {3}, {1,2}, {1,3}, {2,3}
 * (pyannote-audio src/pyannote/audio/utils/powerset.py:102-109, build_mapping: sets of size 0, 1, 2 in
 * itertools.combinations order; sherpa-onnx offline-speaker-diarization-pyannote-impl.h:243-276 builds the same).
 */
export const POWERSET: readonly (readonly number[])[] = (() => {
  const classes: number[][] = [[]];
  for (let a = 0; a < LOCAL_SPEAKERS; a++) classes.push([a]);
  for (let a = 0; a < LOCAL_SPEAKERS; a++) for (let b = a + 1; b < LOCAL_SPEAKERS; b++) classes.push([a, b]);
  return classes;
})();

/** Seconds from a frame's index on a frame grid that starts at sample 0 to the centre of what it hears. */
export const frameTime = (frame: number): number => (frame * FRAME_STEP_SAMPLES + RECEPTIVE_FIELD_SAMPLES / 2) / SAMPLE_RATE;

/**
 * Per-frame activity of each local speaker from the powerset log-probabilities `y` (frames × 7, row-major):
 * activity[k][f] is the probability that local speaker k talks in frame f, the sum of exp(log p) over the classes
 * that hold k (pyannote's Powerset.to_multilabel with soft=True, powerset.py:132-140); with `hard`, 1 for the
 * members of the most likely class and 0 otherwise (soft=False, what sherpa-onnx's ToMultiLabel does, impl.h:360-372).
 */
export function powersetToActivity(y: ArrayLike<number>, frames: number, hard = false): Float32Array[] {
  const activity = Array.from({ length: LOCAL_SPEAKERS }, () => new Float32Array(frames));
  for (let f = 0; f < frames; f++) {
    const row = f * POWERSET.length;
    if (hard) {
      let best = 0;
      for (let c = 1; c < POWERSET.length; c++) if (y[row + c] > y[row + best]) best = c;
      for (const k of POWERSET[best]) activity[k][f] = 1;
      continue;
    }
    for (let c = 1; c < POWERSET.length; c++) {
      const p = Math.exp(y[row + c]);
      for (const k of POWERSET[c]) activity[k][f] += p;
    }
  }
  return activity;
}

/** Per frame, the probability that local speaker k talks together with another: the pair classes holding k. */
export function pairActivity(y: ArrayLike<number>, frames: number): Float32Array[] {
  const pair = Array.from({ length: LOCAL_SPEAKERS }, () => new Float32Array(frames));
  for (let f = 0; f < frames; f++) {
    for (let c = 1; c < POWERSET.length; c++) {
      if (POWERSET[c].length < 2) continue;
      const p = Math.exp(y[f * POWERSET.length + c]);
      for (const k of POWERSET[c]) pair[k][f] += p;
    }
  }
  return pair;
}

export class SpeakerModelError extends Error {
  override name = 'SpeakerModelError';
}

/** The segmentation model, one ONNX session per process (shared by every source's stage). */
export class SegmentationModel {
  /**
   * The model's answer for a window of digital silence (every sample 0), from its first run. A window holds no state
   * from the one before (unlike Silero's frames), so the answer for zeros is always this one. It is also the answer for
   * every window the voice detector hears as silence throughout (each 32 ms under its −60 dBFS, silero.ts): a muted
   * microphone's dither, a quiet room's floor, the call's side of an in-room meeting, a gap in the capture clock; and
   * for a window a session's detector heard no speech in (`mayHoldSpeech`). Nothing there is transcribed, so no turn is
   * lost, and such a source costs no model run: those runs were most of the CPU of a 2-hour soak and of a silent
   * session (tens of ms a window, a window every 5 s). The model normalizes a window's level itself (pyannote-audio
   * models/blocks/sincnet.py: `self.wav_norm1d = nn.InstanceNorm1d(1, affine=True)` first), so a quiet window is heard
   * at full scale: on dither it found no speaker in any of its 589 frames, the same as for zeros.
   */
  private silentAnswer?: Float32Array;
  /** Windows given, how many of them were silence (answered from silentAnswer), and the model's runs. */
  readonly stats = { windows: 0, silent: 0, modelRuns: 0 };

  private constructor(private readonly session: InferenceSession) {}

  static async load(modelPath = SEGMENTATION_MODEL): Promise<SegmentationModel> {
    return new SegmentationModel(await loadOnnxSession(modelPath, (e) => new SpeakerModelError(
      `speaker segmentation model ${modelPath} could not be loaded: ${e.message}. It ships with Earshot (media/speakers/): reinstall Earshot.`)));
  }

  /**
   * Log-probabilities (WINDOW_FRAMES × 7, row-major) for one window of exactly WINDOW_SAMPLES samples (the caller
   * pads a short last window with silence, as sherpa-onnx does: impl.h:301-312, 327-334). `mayHoldSpeech` false: the
   * session's voice detector heard no speech in it (a fan, typing, music without voice), so it is answered as silence.
   */
  async run(window: Float32Array, mayHoldSpeech = true): Promise<Float32Array> {
    if (window.length !== WINDOW_SAMPLES) throw new Error(`a segmentation window is ${WINDOW_SAMPLES} samples, not ${window.length}`);
    this.stats.windows++;
    if (!mayHoldSpeech || isSilence(window)) {
      this.stats.silent++;
      this.silentAnswer ??= await this.infer(new Float32Array(WINDOW_SAMPLES));
      return this.silentAnswer.slice();
    }
    return this.infer(window);
  }

  private async infer(window: Float32Array): Promise<Float32Array> {
    this.stats.modelRuns++;
    const ort = onnxRuntime();
    const out = await this.session.run({ x: new ort.Tensor('float32', window, [1, 1, WINDOW_SAMPLES]) });
    const y = out.y;
    if (y.dims[1] !== WINDOW_FRAMES || y.dims[2] !== POWERSET.length) throw new SpeakerModelError(`the segmentation model gave [${y.dims.join(',')}], not [1,${WINDOW_FRAMES},${POWERSET.length}]`);
    return y.data as Float32Array;
  }
}

/**
 * Every 32 ms of the window under the voice detector's silence level (RMS; Silero's gate, silero.ts). The frames are
 * taken every half frame, since the detector's own frames fall anywhere in the window: a 32 ms frame of sound 3 dB
 * above the level is always heard, wherever it falls.
 */
function isSilence(window: Float32Array): boolean {
  const limit = SILENCE_RMS * SILENCE_RMS * FRAME_SAMPLES;
  for (let start = 0; start < window.length; start += FRAME_SAMPLES / 2) {
    const end = Math.min(window.length, start + FRAME_SAMPLES);
    let energy = 0;
    for (let i = start; i < end; i++) energy += window[i] * window[i];
    if (energy >= limit * ((end - start) / FRAME_SAMPLES)) return false;
  }
  return true;
}
