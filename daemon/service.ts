/**
 * The daemon's service layer, independent of any transport: owns the whisper engine and at most one
 * open session, and turns requests into sessions. The JSON-RPC server and the CLI both drive it.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import {
  ErrorCodes, HealthParams, ModelDownloadParams, ModelDownloadResult, ModelListResult, ModelState, SessionStartParams, VadSettings, SessionStartResult, SessionStatusResult, SessionStopResult,
} from '../protocol/protocol';
import { CATALOG, findCatalogModel, ModelTier, modelForTier } from './asr/catalog';
import { DEGRADE_LADDER } from './asr/degrade';
import { cachedModelStatus, DownloadError, DownloadProgress } from './asr/download';
import { downloadCatalogModel, ensureVerified, listModels, ModelSelection } from './asr/modelStore';
import { BATCH_STREAMING_OPTIONS } from './asr/streaming';
import { WhisperEngine } from './asr/whisper';
import { AudioSource, FileSource } from './capture/source';
import { AudioFileError } from './capture/wav';
import { notesFileName } from './notes/markdown';
import { Session, SessionEvents } from './session/session';
import { segmenterOptions } from './vad/segmenter';
import { SileroDetector, VadModelError } from './vad/silero';

export interface ServiceConfig {
  storageDir: string;
  notesDir: string;
  modelPath: string;
  language: string;
  threads: number;
  gpu: boolean;
  vad?: VadSettings;
  /** Free the model this long after the last session ends (it reloads on the next start); 0 = never. */
  modelIdleUnloadSec?: number;
  /** How modelPath was chosen (catalog models are verified before loading, and can be listed and downloaded). */
  selection?: ModelSelection;
}

/** A failure with the JSON-RPC error code it should travel as. */
export class ServiceError extends Error {
  constructor(readonly code: number, message: string, readonly data?: unknown) {
    super(message);
  }
}

export interface ServiceEvents extends SessionEvents {
  modelState(state: ModelState): void;
  /** The active session's degrade ladder changed rung. */
  degrade?(level: number, name: string): void;
}

/** Reports long work (model loading) to whoever asked for it. */
export interface ProgressReporter {
  begin(title: string, message?: string): void;
  done(): void;
}

/** Default idle time before the model is freed. */
export const DEFAULT_MODEL_IDLE_UNLOAD_SEC = 600;

/** Closed sessions whose stop result is still answered from memory. */
const REMEMBERED_SESSIONS = 16;

export class EarshotService {
  readonly engine: WhisperEngine;
  private current: Session | undefined;
  private starting = false;
  private readonly closed = new Map<string, Session>();
  private vocabulary = '';
  private unloadTimer: NodeJS.Timeout | undefined;
  /** A smaller model decoding in the main one's place while the degrade ladder is on its last rung. */
  private fallback: WhisperEngine | undefined;

  constructor(readonly config: ServiceConfig, private readonly events: ServiceEvents) {
    this.engine = new WhisperEngine(
      { modelPath: config.modelPath, language: config.language, threads: config.threads, gpu: config.gpu },
      (state) => events.modelState(state),
    );
  }

  async startSession(params: SessionStartParams, progress?: ProgressReporter): Promise<SessionStartResult> {
    if (this.starting || (this.current && this.current.state !== 'done')) {
      const id = this.current?.state !== 'done' ? this.current?.id : undefined;
      throw new ServiceError(ErrorCodes.SessionAlreadyRunning, `A session is already running${id ? ` (${id})` : ''}: stop it first.`, { sessionId: id ?? null });
    }
    this.starting = true;
    clearTimeout(this.unloadTimer);
    try {
      const sources = await this.openSources(params);
      await this.loadVad();
      await this.loadModel(progress);
      const startedAt = new Date();
      const sessionId = `${startedAt.toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(3).toString('hex')}`;
      const title = params.title?.trim() || (params.audioFile ? path.basename(params.audioFile).replace(/\.[^.]+$/, '') : 'Meeting');
      const notesPath = path.join(this.config.notesDir, notesFileName(startedAt, title));
      if (this.current) this.remember(this.current);
      this.current = await Session.start({
        sessionId,
        title,
        language: params.language ?? this.config.language,
        startedAt,
        sources,
        journalPath: path.join(this.config.storageDir, 'sessions', `${sessionId}.jsonl`),
        notesPath,
        decoder: { decode: (request) => (this.fallback?.state === 'ready' ? this.fallback : this.engine).decode(request) },
        createDetector: () => SileroDetector.create(),
        segmenter: segmenterOptions(this.config.vad),
        ...(params.pace === 'fast' ? { streaming: BATCH_STREAMING_OPTIONS } : {}),
        vocabulary: () => this.vocabulary,
        onDegrade: (level, rung) => {
          this.events.degrade?.(level, rung.name);
          void this.useSmallerModel(rung.smallerModel === true);
        },
        ...(params.audioFile ? { audioFile: params.audioFile } : {}),
      }, this.events);
      this.current.done().catch(() => undefined).finally(() => {
        void this.useSmallerModel(false);
        this.scheduleUnload();
      });
      return { sessionId, notesPath };
    } finally {
      this.starting = false;
    }
  }

  stopSession(sessionId: string): Promise<SessionStopResult> {
    return this.find(sessionId).stop();
  }

  /** Waits for a session to end by itself (e.g. its audio file ran out) or be stopped. */
  sessionDone(sessionId: string): Promise<SessionStopResult> {
    return this.find(sessionId).done();
  }

  status(sessionId?: string): SessionStatusResult {
    const session = sessionId ? this.find(sessionId) : this.current;
    if (!session) {
      return { state: 'idle', sessionId: null, title: null, sources: [], startedAt: null, capturedSec: 0, finalSegments: 0, notesPath: null };
    }
    return {
      state: session.state,
      sessionId: session.id,
      title: session.config.title,
      sources: session.config.sources.map((s) => s.kind),
      startedAt: session.config.startedAt.toISOString(),
      capturedSec: session.capturedSec,
      finalSegments: session.finalSegments,
      notesPath: session.config.notesPath,
    };
  }

  async listModels(): Promise<ModelListResult> {
    return listModels(this.selection());
  }

  /** Downloads a catalog model; `onProgress` gets bytes done and total. */
  async downloadModel(params: ModelDownloadParams, signal?: AbortSignal, onProgress?: (p: DownloadProgress) => void): Promise<ModelDownloadResult> {
    if (!findCatalogModel(params.modelId)) {
      throw new ServiceError(ErrorCodes.InvalidParams, `Unknown model ${JSON.stringify(params.modelId)}: choose one of ${CATALOG.map((m) => m.id).join(', ')}.`);
    }
    try {
      return await downloadCatalogModel(this.selection(), params.modelId, { repair: params.repair, signal, onProgress });
    } catch (e) {
      const reason = e instanceof DownloadError ? e.code : 'error';
      throw new ServiceError(ErrorCodes.DownloadFailed, (e as Error).message, { modelId: params.modelId, reason });
    }
  }

  private selection(): ModelSelection {
    const s = this.config.selection;
    if (!s) throw new ServiceError(ErrorCodes.InternalError, 'this daemon was started without a model catalog');
    return s;
  }

  /** Replaces the words whisper is primed with (already validated and bounded). */
  setVocabulary(words: string[]): void {
    this.vocabulary = words.join(', ');
  }

  health(): HealthParams {
    const e = this.engine;
    const session = this.activeSession;
    const level = session?.degrade.level ?? 0;
    const fallbackName = this.fallback?.state === 'ready' ? ` (${path.basename(this.fallback.config.modelPath)})` : '';
    return {
      model: { state: e.state, path: this.config.modelPath, error: e.error, loadMs: e.loadMs, ...e.stats() },
      backlogSec: session?.backlogSec ?? 0,
      dropped: 0,
      degradeLevel: level,
      degradeName: DEGRADE_LADDER[level].name + fallbackName,
      rssBytes: process.memoryUsage.rss(),
    };
  }

  get activeSession(): Session | undefined {
    return this.current && this.current.state !== 'done' ? this.current : undefined;
  }

  /**
   * The last rung of the degrade ladder: decode with the next smaller catalog model, if it is already
   * downloaded (nothing is fetched behind the user's back); leaving the rung frees it again.
   */
  private async useSmallerModel(wanted: boolean): Promise<void> {
    if (!wanted) {
      const fallback = this.fallback;
      this.fallback = undefined;
      await fallback?.free();
      return;
    }
    const current = this.config.selection?.model;
    if (this.fallback || !current) return;
    const order: ModelTier[] = ['tiny', 'base', 'small', 'large'];
    const smaller = order.slice(0, order.indexOf(current.tier)).reverse().map((tier) => modelForTier(tier, current.englishOnly));
    for (const model of smaller) {
      const selection = { ...this.config.selection!, model, source: 'catalog' as const, path: path.join(this.config.selection!.cacheDir, model.file) };
      if ((await cachedModelStatus(model, selection.cacheDir)).state !== 'ready') continue;
      const engine = new WhisperEngine({ ...this.engine.config, modelPath: selection.path });
      try {
        await ensureVerified(selection);
        await engine.load();
        this.fallback = engine;
        this.events.degrade?.(DEGRADE_LADDER.length - 1, `smaller model (${model.id})`);
      } catch {
        await engine.free();
      }
      return;
    }
  }

  /** An idle model holds hundreds of MB: give them back until the next session. */
  private scheduleUnload(): void {
    const idleSec = this.config.modelIdleUnloadSec ?? DEFAULT_MODEL_IDLE_UNLOAD_SEC;
    clearTimeout(this.unloadTimer);
    if (idleSec <= 0) return;
    this.unloadTimer = setTimeout(() => {
      if (!this.activeSession && !this.starting) void this.engine.free();
    }, idleSec * 1000);
    this.unloadTimer.unref();
  }

  /** Finalizes an open session and frees the model: nothing is lost on a clean exit. */
  async shutdown(): Promise<void> {
    clearTimeout(this.unloadTimer);
    await this.activeSession?.stop().catch(() => undefined);
    await this.useSmallerModel(false);
    await this.engine.free();
  }

  private find(sessionId: string): Session {
    const session = this.current?.id === sessionId ? this.current : this.closed.get(sessionId);
    if (!session) throw new ServiceError(ErrorCodes.SessionNotFound, `No session with id ${JSON.stringify(sessionId)}.`);
    return session;
  }

  private remember(session: Session): void {
    this.closed.set(session.id, session);
    if (this.closed.size > REMEMBERED_SESSIONS) this.closed.delete(this.closed.keys().next().value!);
  }

  private async openSources(params: SessionStartParams): Promise<AudioSource[]> {
    const sources: AudioSource[] = [];
    for (const kind of params.sources) {
      if (kind !== 'file') {
        throw new ServiceError(ErrorCodes.SourceUnavailable,
          `Live ${kind === 'mic' ? 'microphone' : 'system audio'} capture is not available in this version of Earshot; transcribe an audio file instead.`);
      }
      try {
        const audioFile = path.resolve(params.audioFile!);
        sources.push(await FileSource.open(audioFile, { pace: params.pace, speaker: 'Speaker' }));
      } catch (e) {
        throw new ServiceError(ErrorCodes.AudioUnreadable, e instanceof AudioFileError ? e.message : `Cannot open audio file: ${(e as Error).message}`);
      }
    }
    return sources;
  }

  /** The VAD model loads once (shared by every source's detector); without it nothing can be heard. */
  private async loadVad(): Promise<void> {
    try {
      await SileroDetector.create();
    } catch (e) {
      throw new ServiceError(ErrorCodes.VadUnavailable, e instanceof VadModelError ? e.message : `Voice activity detection is unavailable: ${(e as Error).message}`);
    }
  }

  private async loadModel(progress?: ProgressReporter): Promise<void> {
    if (this.engine.state === 'ready') return;
    const selection = this.config.selection;
    const data = { modelPath: this.config.modelPath, ...(selection?.source === 'catalog' && selection.model ? { modelId: selection.model.id } : {}) };
    progress?.begin('Loading whisper model', path.basename(this.config.modelPath));
    try {
      if (selection) await ensureVerified(selection);
      await this.engine.load();
    } catch (e) {
      throw new ServiceError(ErrorCodes.ModelUnavailable, (e as Error).message, data);
    } finally {
      progress?.done();
    }
  }
}
