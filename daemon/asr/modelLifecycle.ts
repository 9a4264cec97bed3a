/**
 * The whisper model a daemon decodes with, from choice to memory: the catalog selection, downloads, the check before a
 * load, loading with progress, the smaller model the degrade ladder's last rung swaps in, the second context a live
 * session's first partials decode on beside the main one, and freeing an idle model.
 * The service asks it for a decoder and tells it when sessions start and end; it never sees a session.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorCodes, ModelDownloadParams, ModelDownloadResult, ModelListResult, ModelProgressParams, ModelState } from '../../protocol/protocol';
import { ServiceError } from '../serviceError';
import type { GpuChoice } from '../config';
import { CATALOG, fasterModels, findCatalogModel } from '../models/whisperCatalog';
import { DEGRADE_LADDER } from './degrade';
import { DownloadProgress } from '../models/download';
import { DownloadError } from '../models/downloadFaults';
import { cachedModelStatus } from '../models/modelCache';
import { downloadCatalogModel, ensureVerified, listModels, ModelSelection } from '../models/whisperModels';
import { DecodeRequest, DecodeResult, WhisperEngine } from './whisper';

/** The largest model file a second context is loaded beside (tiny, base and quantized small fit; small f16 does not). */
export const BESIDE_MAX_MODEL_BYTES = 256 * 1024 * 1024;
/** The machine's memory, in model sizes, below which no second copy of the weights is loaded. */
export const BESIDE_MIN_MEMORY_FACTOR = 16;

/** Whether a second copy of a model of `modelBytes` is loaded on a machine of `totalMemBytes` (ModelLifecycle.decodeBeside). */
export const secondContextAffordable = (modelBytes: number, totalMemBytes: number): boolean =>
  modelBytes > 0 && modelBytes <= BESIDE_MAX_MODEL_BYTES && totalMemBytes >= BESIDE_MIN_MEMORY_FACTOR * modelBytes;

const fileBytes = (file: string): number => {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
};

/** Model progress notifications come at most this often (5 a second), besides the first and the last. */
export const MODEL_PROGRESS_INTERVAL_MS = 200;
/** Default idle time before the model is freed. */
export const DEFAULT_MODEL_IDLE_UNLOAD_SEC = 600;

/** Reports long work (model loading) to whoever asked for it. */
export interface ProgressReporter {
  begin(title: string, message?: string): void;
  done(): void;
}

/**
 * How to get a reporter, called only when the model really has to be loaded. Over JSON-RPC that is a round trip to the
 * client (window/workDoneProgress/create): a start makes it only after it has claimed the session slot, so that
 * concurrent starts are decided in the order they arrived, not by how fast the client answers.
 */
export type ModelProgress = () => Promise<ProgressReporter | undefined>;

export interface ModelLifecycleConfig {
  modelPath: string;
  language: string;
  threads: number;
  gpu: GpuChoice;
  /** The catalog choice behind modelPath (absent: a daemon started without a catalog, e.g. some tests). */
  selection?: ModelSelection;
  /** Seconds after the last session before the model is freed; 0 keeps it. */
  modelIdleUnloadSec?: number;
  /** Tests: the files the smaller-model rung may use, instead of the catalog's downloaded smaller models. */
  smallerModels?: () => Promise<string[]>;
}

export interface ModelLifecycleEvents {
  modelState(state: ModelState): void;
  modelProgress?(progress: ModelProgressParams): void;
  degrade?(level: number, name: string): void;
}

/** What a download reports through: its bytes, and when its bytes are being checked. */
export interface DownloadHooks {
  onProgress(p: DownloadProgress): void;
  onVerify(): void;
  progressIntervalMs: number;
}

/**
 * Runs a model download (whisper or notes) with its model progress notifications: at most every
 * MODEL_PROGRESS_INTERVAL_MS while bytes arrive, 'verify' while they are checked, then 'done' or 'failed'; a failure
 * becomes DownloadFailed with {modelId, reason}. `onProgress` gets every report (the work-done progress).
 */
export async function reportedDownload(
  what: Pick<ModelProgressParams, 'model' | 'kind'>, notify: ((p: ModelProgressParams) => void) | undefined,
  onProgress: ((p: DownloadProgress) => void) | undefined, run: (hooks: DownloadHooks) => Promise<ModelDownloadResult>,
): Promise<ModelDownloadResult> {
  let lastReport = -Infinity;
  const progress = (p: DownloadProgress) => {
    onProgress?.(p);
    const now = performance.now();
    if (now - lastReport < MODEL_PROGRESS_INTERVAL_MS) return;
    lastReport = now;
    notify?.({ ...what, phase: 'download', fraction: p.bytesTotal ? Math.min(1, p.bytesDone / p.bytesTotal) : null, bytes: p.bytesDone, ...(p.bytesTotal ? { totalBytes: p.bytesTotal } : {}) });
  };
  try {
    const result = await run({ onProgress: progress, onVerify: () => notify?.({ ...what, phase: 'verify', fraction: null }), progressIntervalMs: MODEL_PROGRESS_INTERVAL_MS });
    notify?.({ ...what, phase: 'done', fraction: 1, bytes: result.bytes, totalBytes: result.bytes });
    return result;
  } catch (e) {
    const reason = e instanceof DownloadError ? e.code : 'error';
    notify?.({ ...what, phase: 'failed', fraction: null, message: (e as Error).message });
    throw new ServiceError(ErrorCodes.DownloadFailed, (e as Error).message, { modelId: what.model, reason });
  }
}

/** Downloads of one kind in progress (Delete All Data with models refuses while one runs). */
export class DownloadCount {
  private count = 0;

  get downloading(): boolean {
    return this.count > 0;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    this.count++;
    try {
      return await work();
    } finally {
      this.count--;
    }
  }
}

export class ModelLifecycle {
  readonly engine: WhisperEngine;
  /** A smaller model decoding in the main one's place while the degrade ladder is on its last rung. */
  private fallback: WhisperEngine | undefined;
  /**
   * A second context of the main model on one thread, for a next utterance's first partial while the main one decodes
   * (the previous turn's final): issue 60, the first words within 400 ms of the onset on a loaded machine. Loaded at the
   * first such chance of a session that shows partials (a batch transcription never asks), freed when it ends; the
   * model's weights once more and a small state (speed.md, "The first partial beside the final"). EARSHOT_DECODE_BESIDE=0:
   * none, the first partial waits its turn. Not on a GPU (decodes there are short, and its memory is scarcer).
   */
  readonly besideEngine: WhisperEngine;
  private besideBusy = false;
  private unloadTimer: NodeJS.Timeout | undefined;
  /** Model downloads in progress (Delete All Data with models waits for none). */
  private downloads = 0;

  /** `idle` says whether no session runs or starts: only then is an idle model freed. */
  constructor(private readonly config: ModelLifecycleConfig, private readonly events: ModelLifecycleEvents, private readonly idle: () => boolean) {
    this.engine = new WhisperEngine(
      { modelPath: config.modelPath, language: config.language, threads: config.threads, gpu: config.gpu },
      (state) => events.modelState(state),
    );
    // Its decodes are small (the onset's 0.4 s): one thread, no tuning of its own (a second measurement would hold a
    // third context while it runs).
    this.besideEngine = new WhisperEngine({ ...this.engine.config, threads: 1, tune: false, tuningCache: null });
  }

  get downloading(): boolean {
    return this.downloads > 0;
  }

  /** Decodes with the smaller model while the last rung holds it, else with the main one. */
  decode(request: DecodeRequest): ReturnType<WhisperEngine['decode']> {
    return (this.fallback?.state === 'ready' ? this.fallback : this.engine).decode(request);
  }

  /**
   * A first partial's decode on the second context (besideEngine), or undefined when it is not free: not loaded yet (the
   * load starts now), decoding, off, on a GPU, or the smaller model in the main one's place.
   */
  decodeBeside(request: DecodeRequest): Promise<DecodeResult> | undefined {
    if (process.env.EARSHOT_DECODE_BESIDE === '0' || this.fallback || this.engine.state !== 'ready' || this.engine.gpuDevice !== null) return undefined;
    if (!this.besideAffordable()) return undefined;
    const beside = this.besideEngine;
    if (beside.state === 'uninitialized') {
      beside.config.flashAttn = this.engine.flashAttn;
      void beside.load().catch(() => undefined); // a failed load leaves it in 'error': not tried again
      return undefined;
    }
    // Never more threads than cores between the two: a main decode on every core leaves none, and a decode starting on
    // the main context while this one runs leaves it its core (WhisperEngine.coresElsewhere).
    if (beside.state !== 'ready' || this.besideBusy || (this.engine.busy && this.engine.lastThreads >= os.availableParallelism())) return undefined;
    this.besideBusy = true;
    this.engine.coresElsewhere = beside.config.threads;
    return beside.decode(request).finally(() => {
      this.besideBusy = false;
      this.engine.coresElsewhere = 0;
    });
  }

  /**
   * The second context is a second copy of the weights (smart-whisper has no state that shares a loaded model): about
   * 156 MiB beside base.en f16, but 466 MiB beside small.en and 1.5 GB beside medium. So only for a model file of at
   * most BESIDE_MAX_MODEL_BYTES, on a machine with at least BESIDE_MIN_MEMORY_FACTOR times its size in all; otherwise the
   * first partial waits its turn behind the decode before it, as without the second context.
   */
  private besideAffordable(): boolean {
    this.modelBytes ??= fileBytes(this.config.modelPath);
    return secondContextAffordable(this.modelBytes, os.totalmem());
  }
  private modelBytes: number | undefined;

  /** Whether the model decoding now (the main one, or the smaller one in its place) is busy. */
  mainBusy(): boolean {
    return (this.fallback?.state === 'ready' ? this.fallback : this.engine).busy;
  }

  /** Stops the decode on the second context (WhisperEngine.abortPartial). */
  abortBeside(): void {
    this.besideEngine.abortPartial();
  }

  /** Stops a partial decoding on either model (WhisperEngine.abortPartial). */
  abortPartial(): void {
    this.engine.abortPartial();
    this.fallback?.abortPartial();
  }

  /** The smaller model's file name while it decodes (for health). */
  get fallbackName(): string | undefined {
    return this.fallback?.state === 'ready' ? path.basename(this.fallback.config.modelPath) : undefined;
  }

  selection(): ModelSelection {
    const s = this.config.selection;
    if (!s) throw new ServiceError(ErrorCodes.InternalError, 'this daemon was started without a model catalog');
    return s;
  }

  async listModels(): Promise<Pick<ModelListResult, 'active' | 'models'>> {
    return listModels(this.selection());
  }

  /** Downloads a catalog model; `onProgress` gets bytes done and total. */
  async downloadModel(params: ModelDownloadParams, signal?: AbortSignal, onProgress?: (p: DownloadProgress) => void): Promise<ModelDownloadResult> {
    if (!findCatalogModel(params.modelId)) {
      throw new ServiceError(ErrorCodes.InvalidParams, `Unknown model ${JSON.stringify(params.modelId)}: choose one of ${CATALOG.map((m) => m.id).join(', ')}.`);
    }
    this.downloads++;
    try {
      return await reportedDownload({ model: params.modelId }, this.events.modelProgress, onProgress,
        (hooks) => downloadCatalogModel(this.selection(), params.modelId, { repair: params.repair, signal, ...hooks }));
    } finally {
      this.downloads--;
    }
  }

  /** Loads the model for a session (checked against the catalog first); a failure is ModelUnavailable. */
  async load(modelProgress?: ModelProgress): Promise<void> {
    clearTimeout(this.unloadTimer);
    if (this.engine.state === 'ready') return;
    const progress = await modelProgress?.();
    const selection = this.config.selection;
    const data = { modelPath: this.config.modelPath, ...(selection?.source === 'catalog' && selection.model ? { modelId: selection.model.id } : {}) };
    // The catalog id, or the file's name for a model given by path.
    const model = selection?.source === 'catalog' && selection.model ? selection.model.id : path.basename(this.config.modelPath);
    progress?.begin('Loading whisper model', path.basename(this.config.modelPath));
    this.events.modelProgress?.({ model, phase: 'load', fraction: null });
    try {
      if (selection) await ensureVerified(selection);
      await this.engine.load();
      this.events.modelProgress?.({ model, phase: 'done', fraction: 1 });
    } catch (e) {
      this.events.modelProgress?.({ model, phase: 'failed', fraction: null, message: (e as Error).message });
      throw new ServiceError(ErrorCodes.ModelUnavailable, (e as Error).message, data);
    } finally {
      progress?.done();
    }
  }

  /**
   * The last rung of the degrade ladder: decode with a faster catalog model (the same one in 8 bits, else the next
   * smaller), if it is already downloaded (nothing is fetched behind the user's back); leaving the rung frees it again.
   */
  async useSmallerModel(wanted: boolean): Promise<void> {
    if (!wanted) {
      const fallback = this.fallback;
      this.fallback = undefined;
      await fallback?.free();
      return;
    }
    if (this.fallback) return;
    for (const candidate of await this.smallerModels()) {
      const engine = new WhisperEngine({ ...this.engine.config, modelPath: candidate.path });
      try {
        await candidate.verify();
        await engine.load();
        this.fallback = engine;
        this.events.degrade?.(DEGRADE_LADDER.length - 1, `smaller model (${candidate.id})`);
      } catch {
        await engine.free();
      }
      return;
    }
  }

  /** The models the last rung may use, largest first, each with the check to run before loading it. */
  private async smallerModels(): Promise<{ id: string; path: string; verify(): Promise<void> }[]> {
    if (this.config.smallerModels) {
      return (await this.config.smallerModels()).map((file) => ({ id: path.basename(file), path: file, verify: async () => undefined }));
    }
    const current = this.config.selection?.model;
    if (!current) return [];
    const found = [];
    for (const model of fasterModels(current)) {
      const selection = { ...this.config.selection!, model, source: 'catalog' as const, path: path.join(this.config.selection!.cacheDir, model.file) };
      if ((await cachedModelStatus(model, selection.cacheDir)).state !== 'ready') continue;
      found.push({ id: model.id, path: selection.path, verify: () => ensureVerified(selection) });
    }
    return found;
  }

  /** A session ended: the smaller model goes, and an idle model gives its hundreds of MB back until the next session. */
  sessionEnded(): void {
    void this.useSmallerModel(false);
    void this.freeBeside();
    const idleSec = this.config.modelIdleUnloadSec ?? DEFAULT_MODEL_IDLE_UNLOAD_SEC;
    clearTimeout(this.unloadTimer);
    if (idleSec <= 0) return;
    this.unloadTimer = setTimeout(() => {
      if (this.idle()) void this.engine.free();
    }, idleSec * 1000);
    this.unloadTimer.unref();
  }

  /** No idle unload from now on (shutdown frees the models itself). */
  cancelUnload(): void {
    clearTimeout(this.unloadTimer);
  }

  /** Frees both models now (shutdown; Delete All Data removed their files). */
  async free(): Promise<void> {
    clearTimeout(this.unloadTimer);
    await this.useSmallerModel(false);
    await this.freeBeside();
    await this.engine.free();
  }

  /** Frees the second context, after its load if one is under way. */
  private async freeBeside(): Promise<void> {
    const beside = this.besideEngine;
    if (beside.state === 'loading' || beside.state === 'warming_up') await beside.load().catch(() => undefined);
    await beside.free();
  }
}
