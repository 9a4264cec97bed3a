/**
 * The whisper engine: one long-lived smart-whisper model, decodes run one at a time. With the new core
 * (scripts/whisper-core/) the model keeps one whisper_state for all its decodes, sized for the full 30 s window.
 * Lifecycle UNINITIALIZED → LOADING → WARMING_UP → READY (or ERROR); every caller of load() waits for
 * the same load. smart-whisper reports failures by resolving with an Error, so results are checked.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TranscribeParams, WhisperModel } from 'smart-whisper';
import { ModelState } from '../../protocol/protocol';
import { SAMPLE_RATE } from '../capture/source';
import { inspectModelFile, ModelFileError, ModelInfo } from '../models/modelFile';
import type { GpuChoice } from '../config';
import { GpuProbe, probeGpuOnce } from '../models/gpuProbe';
import {
  CALIBRATION_CASES, CALIBRATION_MAX_MODEL_BYTES, calibrate, DecodeTuning, readTuning, threadsFor, tuningCachePath, tuningKey, writeTuning,
} from './decodeTuning';
import { readWavBlocks, readWavFormat } from '../capture/wav';
import { OtherLoad, threadsLeft } from './cpuLoad';
import { smartWhisper, smartWhisperAddonHasModules, whisperAddon, whisperLogger } from '../whisperAddon';

export interface WhisperConfig {
  modelPath: string;
  /** Always explicit: leaving it unset makes whisper detect the language with a second encoder pass. */
  language: string;
  threads: number;
  gpu: GpuChoice;
  /**
   * Flash attention in the encoder and decoder (new core only), fixed; unset: EARSHOT_FLASH_ATTN when set, else what
   * this CPU measured for this model (decodeTuning.ts), else {@link DEFAULT_FLASH_ATTN}.
   */
  flashAttn?: boolean;
  /**
   * On the CPU, measure flash attention and a decode's threads once per model and machine (decodeTuning.ts) and keep
   * the result beside the model, and give each decode no more threads than the cores other processes leave
   * (cpuLoad.ts); false: the defaults, every configured thread for every decode. Default: true unless
   * EARSHOT_DECODE_TUNING=0.
   */
  tune?: boolean;
  /** Where the measurement is kept; default beside the model (tuningCachePath); null: not kept. */
  tuningCache?: string | null;
  /** Audio the calibration decodes (16 kHz mono WAV); default the shipped sample. */
  calibrationAudio?: string;
  /** How 'auto' looks for a GPU; default: once per process, in a child (models/gpuProbe.ts). */
  probeGpu?: () => Promise<GpuProbe>;
}

export interface DecodeRequest {
  pcm: Float32Array;
  /** A final (the text that stays) rather than a partial; for statistics and tests. */
  final?: boolean;
  /**
   * A final decoded before the end of the utterance is confirmed (the recognizer's early final, at a pause): until the
   * end comes it is a guess, and {@link WhisperEngine.abortPartial} stops it like a partial when the speech resumes.
   */
  speculative?: boolean;
  /** Text the decoder is conditioned on: the previous sentence, workspace vocabulary. */
  prompt?: string;
  /** Hard cap on generated tokens; stops runaway repetition. */
  maxTokens: number;
  /** Encoder frames to compute (50 per second of audio); 0 = the full 30 s window. */
  audioCtx?: number;
}

export interface DecodeResult {
  text: string;
  ms: number;
  /** The CPU threads the decode took (absent: one); with `ms`, what it cost the machine. */
  threads?: number;
}

export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}

/** A partial (or speculative) decode stopped by {@link WhisperEngine.abortPartial}: nothing went wrong, its text is just not wanted. */
export class DecodeAbortedError extends Error {
  override name = 'DecodeAbortedError';
  constructor() {
    super('the partial decode was aborted');
  }
}

function padToMinimum(pcm: Float32Array): Float32Array {
  if (pcm.length >= MIN_DECODE_SAMPLES) return pcm;
  const padded = new Float32Array(MIN_DECODE_SAMPLES);
  padded.set(pcm);
  return padded;
}

/**
 * Flash attention on by default (whisper.cpp's own default since 1.8): it shrinks the state's encoder buffer from 86 to
 * 23 MB with base.en, and BENCHMARKS.md (issue 16, figure 1) has its speed here. EARSHOT_FLASH_ATTN=0 turns it off.
 */
export const DEFAULT_FLASH_ATTN = true;

/**
 * The key of a model's decode tuning on this machine (decodeTuning.ts): what the measurement depends on, this CPU, the
 * whisper build, the threads, a fixed flash attention and the model file. The engine and `earshot build-info` use it.
 */
export function tuningKeyOnThisMachine(modelPath: string, threads: number, flashAttnForced: boolean | null): string {
  const stat = fs.statSync(modelPath);
  const core = whisperAddon().systemInfo?.();
  return tuningKey({
    cpu: os.cpus()[0]?.model ?? os.arch(), cores: os.availableParallelism(), core: core ? `${core.whisperVersion} ${core.systemInfo}` : 'bundled',
    threads, flashAttnForced, modelBytes: stat.size, modelMtimeMs: Math.round(stat.mtimeMs),
  });
}

export function flashAttnFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return flashAttnForcedByEnv(env) ?? DEFAULT_FLASH_ATTN;
}

/** EARSHOT_FLASH_ATTN=0/1 when set: a fixed choice that no measurement overrides. */
export function flashAttnForcedByEnv(env: NodeJS.ProcessEnv = process.env): boolean | undefined {
  return env.EARSHOT_FLASH_ATTN === undefined || env.EARSHOT_FLASH_ATTN === '' ? undefined : env.EARSHOT_FLASH_ATTN !== '0';
}

/** Other processes' load (busy cores) under which the calibration compares thread counts. */
const QUIET_OTHER_CORES = 0.25;

/** The shipped sample: real speech, so that a real model's calibration decodes say as much as a meeting's do. */
const SAMPLE_AUDIO = path.join(__dirname, '..', '..', '..', 'media', 'sample', 'standup.wav');

/** Decodes remembered for the rolling speed figures. */
const STATS_WINDOW = 50;
const WARM_UP_SEC = 1;
const WARM_UP_AUDIO_CTX = 64;
/** whisper.cpp returns nothing for under 1 s of audio (and aborts on none): shorter input is padded with silence. */
const MIN_DECODE_SAMPLES = Math.ceil(1.1 * SAMPLE_RATE);

/**
 * The parameters of every decode (also what the benchmark hands the bundled core's addon, for the same work);
 * `threads`: what this decode takes (a small one may take fewer than configured: decodeTuning.ts).
 */
export function decodeParams(config: Pick<WhisperConfig, 'language' | 'threads'>, request: DecodeRequest, threads = config.threads): Partial<TranscribeParams<'simple'>> {
  return {
    language: config.language,
    n_threads: threads,
    strategy: 0, // greedy: beam search 5 is the default and costs ~3x
    best_of: 1,
    temperature: 0,
    temperature_inc: 0, // no fallback re-decodes: latency must be predictable
    no_timestamps: true,
    single_segment: true,
    max_tokens: Math.max(1, request.maxTokens - 1), // whisper.cpp emits max_tokens + 1
    audio_ctx: request.audioCtx ?? 0,
    initial_prompt: request.prompt ?? '',
    suppress_blank: true,
    suppress_non_speech_tokens: true,
    print_progress: false,
    print_realtime: false,
    print_timestamps: false,
    format: 'simple',
  };
}

/** One decode through smart-whisper; its result, or the Error it resolves with on failure. */
async function transcribe(model: WhisperModel, pcm: Float32Array, params: Partial<TranscribeParams<'simple'>>): Promise<unknown> {
  const task = await smartWhisper().TranscribeTask.run(model, pcm, params);
  return task.result;
}

/** The first `sec` seconds of a 16 kHz mono WAV (the shipped sample), zero-padded when it is shorter. */
async function readCalibrationAudio(file: string, sec: number): Promise<Float32Array> {
  const out = new Float32Array(Math.round(sec * SAMPLE_RATE));
  const format = await readWavFormat(file);
  if (format.sampleRate !== SAMPLE_RATE) throw new Error(`${file}: calibration audio must be ${SAMPLE_RATE} Hz, not ${format.sampleRate}`);
  let n = 0;
  for await (const block of readWavBlocks(file, format)) {
    const take = Math.min(block.length, out.length - n);
    out.set(block.subarray(0, take), n);
    n += take;
    if (n >= out.length) break;
  }
  return out;
}

export class WhisperEngine {
  private model: WhisperModel | undefined;
  private loading: Promise<void> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Decodes asked and not yet answered (the one running, those queued behind it, those waiting for the load). */
  private pending = 0;
  /** The decode whisper is running now, and whether it was asked to stop. */
  private running: { request: DecodeRequest; aborted: boolean } | undefined;
  private recent: { ms: number; audioSec: number }[] = [];
  state: ModelState = 'uninitialized';
  error: string | null = null;
  info: ModelInfo | undefined;
  loadMs: number | null = null;
  /** The GPU the loaded model runs on (the new core says), null on the CPU. */
  gpuDevice: string | null = null;
  /** What looking for a GPU found (earshot.gpu 'auto' off Apple Silicon), once it has looked. */
  gpuProbe: GpuProbe | undefined;
  /** Flash attention and a small decode's threads as this CPU measured them (CPU only; absent: the defaults). */
  tuning: DecodeTuning | undefined;
  /** Whether flash attention is on in the loaded model (the bundled core: off). */
  flashAttn = false;
  /** Other processes' load, sampled at each decode (and before measuring). */
  private readonly otherLoad = new OtherLoad();
  /** The threads the last decode took. */
  lastThreads = 0;
  /**
   * Cores this process's other whisper context decodes on now (ModelLifecycle's second context): a decode starting
   * meanwhile takes no more threads than the cores left, as for other processes' load (cpuLoad.ts: ggml's threads spin
   * while one of them waits for a core).
   */
  coresElsewhere = 0;

  constructor(readonly config: WhisperConfig, private readonly onStateChange: (state: ModelState) => void = () => undefined) {}

  /** Loads and warms the model once; concurrent callers share the same attempt. A failed load can be retried. */
  load(): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    this.loading ??= this.doLoad().finally(() => { this.loading = undefined; });
    return this.loading;
  }

  private async doLoad(): Promise<void> {
    const started = performance.now();
    try {
      this.setState('loading');
      const [info, gpu] = await Promise.all([inspectModelFile(this.config.modelPath), this.gpuToLoad()]);
      this.info = info;
      const newCore = Boolean(whisperAddon().systemInfo);
      const forcedFa = this.config.flashAttn ?? flashAttnForcedByEnv();
      const tuningKeyNow = newCore && gpu === false ? this.tuningKey(forcedFa ?? null) : undefined;
      const cacheFile = this.config.tuningCache === undefined ? tuningCachePath(this.config.modelPath) : this.config.tuningCache;
      this.tuning = tuningKeyNow && cacheFile && this.tuneEnabled() ? readTuning(cacheFile, tuningKeyNow) : undefined;
      this.flashAttn = newCore && (forcedFa ?? this.tuning?.flashAttn ?? DEFAULT_FLASH_ATTN);
      this.model = await this.loadModel(gpu, this.flashAttn);
      this.otherLoad.start();
      this.gpuDevice = (this.model as { gpuDevice?: string | null }).gpuDevice ?? null;
      this.setState('warming_up');
      await this.enqueue(() => this.warmUp());
      if (newCore && !this.tuning && this.gpuDevice === null && this.tuneEnabled() && info.bytes <= CALIBRATION_MAX_MODEL_BYTES) {
        await this.enqueue(() => this.calibrateHere(forcedFa, tuningKeyNow ?? this.tuningKey(forcedFa ?? null), cacheFile));
      }
      this.recent = []; // the warm-up is not representative
      this.loadMs = performance.now() - started;
      this.error = null;
      this.setState('ready');
    } catch (e) {
      this.error = e instanceof ModelFileError ? e.message : `Whisper model ${this.config.modelPath} failed to load: ${(e as Error).message}`;
      await this.model?.free().catch(() => undefined);
      this.model = undefined;
      this.otherLoad.stop();
      this.setState('error');
      throw new ModelLoadError(this.error);
    }
  }

  /** A small encoder window is enough to touch every weight and allocator (2.2 s → 0.12 s for base.en here). */
  private warmUp(): Promise<DecodeResult> {
    return this.run({ pcm: new Float32Array(WARM_UP_SEC * SAMPLE_RATE), maxTokens: 1, audioCtx: WARM_UP_AUDIO_CTX });
  }

  /** This decode's threads: as measured for its size, and (on the CPU, tuning on) no more than the cores others leave. */
  private threadsNow(audioCtx: number | undefined): number {
    const wanted = threadsFor(this.tuning, this.config.threads, audioCtx);
    const adapt = this.tuneEnabled() && this.gpuDevice === null && wanted > 1;
    const cores = os.availableParallelism() - this.coresElsewhere;
    this.lastThreads = adapt ? threadsLeft(wanted, cores, this.otherLoad.next()) : this.coresElsewhere ? Math.max(1, Math.min(wanted, cores)) : wanted;
    return this.lastThreads;
  }

  private tuneEnabled(): boolean {
    return this.config.tune ?? process.env.EARSHOT_DECODE_TUNING !== '0';
  }

  /** The new core's load: the GPU choice and flash attention (the bundled core's takes a boolean GPU and rejects a third argument). */
  private async loadModel(gpu: GpuChoice, flashAttn: boolean): Promise<WhisperModel> {
    const { WhisperModel } = smartWhisper();
    return whisperAddon().systemInfo
      ? (WhisperModel.load as (path: string, gpu: GpuChoice, flashAttn: boolean) => Promise<WhisperModel>)(this.config.modelPath, gpu, flashAttn)
      : WhisperModel.load(this.config.modelPath, gpu !== false);
  }

  private tuningKey(flashAttnForced: boolean | null): string {
    return tuningKeyOnThisMachine(this.config.modelPath, this.config.threads, flashAttnForced);
  }

  /**
   * Measures flash attention on and off and a small decode's threads, and writes the result beside the model so that
   * the next load reads it. One context at a time (issue 60): the loaded one first, then the other setting's loaded in
   * its place (flash attention is fixed when a context is made), and the winner's again at the end if it is not the one
   * left loaded. Runs inside the engine's queue, before the model is ready. A cache that cannot be written is not an
   * error: the next load measures again.
   */
  private async calibrateHere(forcedFa: boolean | undefined, key: string, cacheFile: string | null): Promise<void> {
    const loadedFa = this.flashAttn;
    /** Whether it loaded a context. */
    const use = async (fa: boolean): Promise<boolean> => {
      if (this.model && this.flashAttn === fa) return false;
      const old = this.model;
      this.model = undefined;
      await old?.free();
      this.model = await this.loadModel(false, fa);
      this.flashAttn = fa;
      return true;
    };
    const pcm = await readCalibrationAudio(this.config.calibrationAudio ?? SAMPLE_AUDIO, Math.max(...CALIBRATION_CASES.map((c) => c.audioSec)) + 0.5);
    // Other processes' load over the load and warm-up: thread counts are compared only on a quiet machine.
    const otherBusy = this.otherLoad.next();
    let tuning: DecodeTuning | undefined;
    try {
      tuning = await calibrate({
        flashAttn: forcedFa === undefined ? [loadedFa, !loadedFa] : [loadedFa],
        use: async (fa) => { await use(fa); },
        threads: this.config.threads,
        measureThreads: otherBusy < QUIET_OTHER_CORES,
        decode: async (fa, threads, c, limitMs) => {
          const model = this.model!;
          if (fa !== this.flashAttn) throw new Error(`calibration decode with flash attention ${fa ? 'on' : 'off'} on a context without`);
          const started = performance.now();
          // A setting already far slower than the best is stopped (abortDecode: the new core's abort callback).
          let stopped = false;
          const timer = Number.isFinite(limitMs) ? setTimeout(() => { stopped = true; whisperAddon().abortDecode?.(model.handle); }, limitMs) : undefined;
          const result = await transcribe(model, pcm.subarray(SAMPLE_RATE / 2, SAMPLE_RATE / 2 + c.audioSec * SAMPLE_RATE),
            decodeParams(this.config, { pcm, maxTokens: c.maxTokens, audioCtx: c.audioCtx }, threads)).finally(() => clearTimeout(timer));
          if (result instanceof Error && !stopped) throw result;
          return performance.now() - started;
        },
      });
    } catch (e) {
      // Measuring is an optimisation: a failed one leaves the defaults, on the context loaded before it.
      whisperLogger()?.warn('whisper', 'decode tuning failed', { error: (e as Error).message });
    }
    // The winner's context (or, when measuring failed, the one loaded before it) is the model from here on, warmed up
    // as the first was when it is loaded again here; a load that fails here fails the model's load.
    if (await use(tuning?.flashAttn ?? loadedFa)) await this.warmUp();
    if (!tuning) return;
    this.tuning = tuning;
    if (cacheFile) {
      try {
        writeTuning(cacheFile, key, tuning);
      } catch (e) {
        whisperLogger()?.warn('whisper', 'decode tuning not kept', { file: cacheFile, error: (e as Error).message });
      }
    }
    whisperLogger()?.info('whisper', 'decode tuning measured', {
      flashAttn: tuning.flashAttn, smallThreads: tuning.smallThreads, largeThreads: tuning.largeThreads, otherBusyCores: Math.round(otherBusy * 100) / 100, measured: tuning.measured,
    });
  }

  /**
   * What the load is told: true or false as configured; 'auto' becomes 'auto' (the addon takes the first discrete GPU)
   * only where one is there to take: Apple Silicon's Metal, or a GPU module's device found by the probe (models/gpuProbe.ts),
   * else false, so that no GPU module is loaded in this process for nothing.
   */
  private async gpuToLoad(): Promise<GpuChoice> {
    if (this.config.gpu !== 'auto') return this.config.gpu;
    if (process.platform === 'darwin' && process.arch === 'arm64') return 'auto';
    if (!smartWhisperAddonHasModules()) return false;
    this.gpuProbe = await (this.config.probeGpu ?? probeGpuOnce)();
    return this.gpuProbe.device ? 'auto' : false;
  }

  /** Transcribes one stretch of 16 kHz mono audio, loading the model first if needed. */
  async decode(request: DecodeRequest): Promise<DecodeResult> {
    this.pending++;
    try {
      await this.load();
      return await this.enqueue(() => this.run(request));
    } finally {
      this.pending--;
    }
  }

  /**
   * Stops the decode in progress if it is a partial or a speculative final (a final that stands is never stopped): the
   * recognizer calls this when the speech pauses or ends, so that the final waits for no partial whose text is already
   * stale, and when the speech resumes after an early final, whose text then can no longer be the final. Its decode()
   * then rejects with {@link DecodeAbortedError}. Returns whether one was stopped; false with the bundled core, which cannot.
   */
  abortPartial(): boolean {
    const running = this.running;
    const abortDecode = whisperAddon().abortDecode;
    const stoppable = running?.request.final === false || running?.request.speculative === true;
    if (!running || !stoppable || running.aborted || !this.model || !abortDecode) return false;
    running.aborted = true;
    abortDecode(this.model.handle);
    return true;
  }

  /** Whether a decode runs or waits to (ModelLifecycle: a first partial then goes to the second context). */
  get busy(): boolean {
    return this.pending > 0;
  }

  /** Decodes run one at a time: they share the model's threads, and whisper state is not reentrant. */
  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const next = this.queue.then(job, job);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async run(request: DecodeRequest): Promise<DecodeResult> {
      const model = this.model;
      if (!model) throw new ModelLoadError(this.error ?? 'the whisper model is not loaded');
      const params = decodeParams(this.config, request, this.threadsNow(request.audioCtx));
      const started = performance.now();
      const running = { request, aborted: false };
      this.running = running;
      let result: unknown;
      try {
        result = await transcribe(model, padToMinimum(request.pcm), params);
      } finally {
        this.running = undefined;
      }
      if (result instanceof Error) throw running.aborted ? new DecodeAbortedError() : result;
      if (!Array.isArray(result)) throw new Error(`unexpected whisper result ${String(result)}`);
      const ms = performance.now() - started;
      this.recent.push({ ms, audioSec: request.pcm.length / SAMPLE_RATE });
      if (this.recent.length > STATS_WINDOW) this.recent.shift();
      return { text: result.map((r: { text: string }) => r.text).join('').trim(), ms, threads: params.n_threads ?? this.config.threads };
  }

  stats(): { rtf: number | null; p50Ms: number | null; p95Ms: number | null } {
    if (this.recent.length === 0) return { rtf: null, p50Ms: null, p95Ms: null };
    const ms = this.recent.map((r) => r.ms).sort((a, b) => a - b);
    const audio = this.recent.reduce((s, r) => s + r.audioSec, 0);
    const pick = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))];
    return { rtf: ms.reduce((s, v) => s + v, 0) / 1000 / Math.max(audio, 1e-9), p50Ms: pick(0.5), p95Ms: pick(0.95) };
  }

  /** Frees the native model; without this the process keeps native memory until exit. */
  async free(): Promise<void> {
    await this.queue;
    const model = this.model;
    this.model = undefined;
    this.otherLoad.stop();
    if (model) await model.free();
    if (this.state !== 'error') this.setState('uninitialized');
  }

  private setState(state: ModelState): void {
    this.state = state;
    this.onStateChange(state);
  }
}
