/**
 * Silero VAD on onnxruntime-node: one 512-sample frame (32 ms at 16 kHz) in, a speech probability out. v6 (v6.2) is
 * the one Earshot uses; v5 has the same inputs and state and stays loadable to compare (`node scripts/fetch-vad-model.js v5`).
 * The model's recurrent state and the last 64 samples of context are carried from frame to frame, so each source needs
 * its own detector; the ONNX session itself is shared.
 */
import * as path from 'node:path';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { FRAME_SAMPLES, SAMPLE_RATE } from '../capture/source';
import { SpeechDetector } from './segmenter';
import { loadNative } from '../windowsBlocked';

export type SileroVersion = 'v5' | 'v6';
/** Where scripts/fetch-vad-model.js puts the models (sha256-checked): v6 at install, v5 on request. */
export const sileroModelPath = (version: SileroVersion): string => path.join(__dirname, '..', '..', '..', 'media', 'vad', `silero_vad_${version}.onnx`);
/**
 * The detector Earshot runs: v6 hears quiet meeting speech that v5 misses (docs/benchmarks/voice-detection.md, "Voice
 * detection on real meetings").
 */
export const SILERO_VERSION: SileroVersion = 'v6';
export const SILERO_MODEL = sileroModelPath(SILERO_VERSION);
/** Samples of the previous frame that v5 expects in front of each frame. */
const CONTEXT_SAMPLES = 64;
const STATE_SHAPE = [2, 1, 128];
/**
 * Frames quieter than this (RMS −60 dBFS, below any microphone's noise floor) are silence without asking the model:
 * on digital silence the model runs were most of the 1.7% of a core a silent session cost (BENCHMARKS.md, figure 4).
 * The speaker stage hears a window as silence by the same level (speakers/segmentation.ts).
 */
export const SILENCE_RMS = 10 ** (-60 / 20);
/**
 * The model still hears the first 0.5 s of such silence: its recurrent state must settle as it would (skipping
 * every quiet frame, or resetting the state, cost speech recall on the fixtures); after that the state has settled
 * and further silent frames change nothing.
 */
const SILENT_FRAMES_BEFORE_GATE = 16;

export class VadModelError extends Error {
  override name = 'VadModelError';
}

type Ort = typeof import('onnxruntime-node');
let ort: Ort | undefined;
const sessions = new Map<string, Promise<InferenceSession>>();

/** onnxruntime-node, loaded on first use (a CLI command that never detects speech never loads the native addon). */
export function onnxRuntime(): Ort {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ort ??= loadNative(() => require('onnxruntime-node') as Ort, 'voice detection (onnxruntime\'s addon)');
  return ort;
}

/**
 * Loads (once per file) an ONNX session; one intra-op thread: the models Earshot runs beside whisper are small and
 * whisper needs the cores. Shared with the speaker stage (daemon/speakers/segmentation.ts). No CPU memory arena:
 * onnxruntime's arena keeps the largest tensors it ever held, 14 MB of `earshot transcribe`'s peak beside whisper's
 * weights (issue 60's goal), and these models' tensors are small enough that plain allocation costs nothing measurable
 * (Silero: 0.200 / 0.191 against 0.204 / 0.179 ms of CPU a frame, alternating, 3,000 frames each).
 */
export function loadOnnxSession(modelPath: string, failure: (e: Error) => Error): Promise<InferenceSession> {
  let session = sessions.get(modelPath);
  if (!session) {
    session = onnxRuntime().InferenceSession.create(modelPath, {
      intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', enableCpuMemArena: false,
    })
      .catch((e: Error) => {
        sessions.delete(modelPath);
        throw failure(e);
      });
    sessions.set(modelPath, session);
  }
  return session;
}

const loadSession = (modelPath: string): Promise<InferenceSession> => loadOnnxSession(modelPath, (e) => new VadModelError(
  `Silero VAD model ${modelPath} could not be loaded: ${e.message}. Reinstall Earshot (npm ci fetches it; \`node scripts/fetch-vad-model.js\` in a development checkout).`));

export class SileroDetector implements SpeechDetector {
  /**
   * Frames the probability stays up past the voice, measured on the espeak-ng standup with exact boundaries: v5 one
   * at 0.5/0.35; v6 two at its 0.3/0.2 (its ends then land within a frame of the truth, 0.5–1.7 frames late before).
   */
  readonly endLagFrames: number;
  private state: Tensor;
  private silentFrames = 0;
  /** Frames scored, and how many of them needed the model (the rest were silence past the gate). */
  readonly stats = { frames: 0, modelRuns: 0 };
  private readonly sampleRate: Tensor;
  private readonly input = new Float32Array(CONTEXT_SAMPLES + FRAME_SAMPLES);

  private constructor(private readonly session: InferenceSession, version: SileroVersion) {
    this.endLagFrames = version === 'v5' ? 1 : 2;
    this.state = new ort!.Tensor('float32', new Float32Array(STATE_SHAPE.reduce((a, b) => a * b)), STATE_SHAPE);
    this.sampleRate = new ort!.Tensor('int64', BigInt64Array.from([BigInt(SAMPLE_RATE)]), []);
  }

  static async create(version: SileroVersion = SILERO_VERSION): Promise<SileroDetector> {
    return new SileroDetector(await loadSession(sileroModelPath(version)), version);
  }

  async score(frame: Float32Array): Promise<number> {
    this.stats.frames++;
    let energy = 0;
    for (let i = 0; i < frame.length; i++) energy += frame[i] * frame[i];
    if (Math.sqrt(energy / Math.max(1, frame.length)) < SILENCE_RMS) {
      if (++this.silentFrames > SILENT_FRAMES_BEFORE_GATE) {
        this.input.fill(0, CONTEXT_SAMPLES);
        this.input.set(frame.subarray(0, FRAME_SAMPLES), CONTEXT_SAMPLES);
        this.input.copyWithin(0, FRAME_SAMPLES, FRAME_SAMPLES + CONTEXT_SAMPLES);
        return 0;
      }
    } else {
      this.silentFrames = 0;
    }
    this.stats.modelRuns++;
    // The input is [context | frame]; a short last frame is padded with silence.
    this.input.fill(0, CONTEXT_SAMPLES);
    this.input.set(frame.subarray(0, FRAME_SAMPLES), CONTEXT_SAMPLES);
    const feeds = {
      input: new ort!.Tensor('float32', this.input.slice(), [1, this.input.length]),
      state: this.state,
      sr: this.sampleRate,
    };
    const out = await this.session.run(feeds);
    this.state = out.stateN as Tensor;
    this.input.copyWithin(0, FRAME_SAMPLES, FRAME_SAMPLES + CONTEXT_SAMPLES); // last 64 samples become the context
    return (out.output as Tensor).data[0] as number;
  }
}
