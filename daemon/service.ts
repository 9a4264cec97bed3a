/**
 * The daemon's service layer, independent of any transport: owns the whisper engine and at most one
 * open session, and turns requests into sessions. The JSON-RPC server and the CLI both drive it.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import {
  ActionItem, ActionItemSetDoneParams, Decision, EditorActivityParams, ExtractionProgressParams, ItemRestoreParams, WorkspaceIndexParams,
} from '../protocol/protocol';
import {
  DeviceListResult, EnhancementSettings, ErrorCodes, HealthParams, InputLevelParams, LiveSourceKind, ModelDownloadParams, ModelDownloadResult, ModelListResult, ModelState,
  SessionExportParams, SessionExportResult, SessionStartParams, SessionStartResult, SessionStatusResult, SessionStopResult, SourceRetryParams, SourceStatusParams, VadSettings,
  DEVICE_TEST_SESSION_ID, DeviceTestParams, DeviceTestResult, ModelProgressParams, SessionPauseParams, SessionPauseResult,
} from '../protocol/protocol';
import { DataDeleteParams, DataDeleteResult, SourceKind } from '../protocol/protocol';
import {
  DEFAULT_INTERRUPTED_GRACE_SEC, FilePace, InterruptedSession, SessionResumeParams, SessionResumeResult, SessionStateParams, SessionTranscriptResult,
} from '../protocol/protocol';
import { DEGRADE_LADDER, DegradeThresholds } from './asr/degrade';
import { DownloadProgress } from './asr/download';
import { ModelLifecycle, ModelProgress } from './asr/modelLifecycle';
import { ModelSelection } from './asr/modelStore';
import { BATCH_STREAMING_OPTIONS } from './asr/streaming';
import { WhisperEngine } from './asr/whisper';
import { AudioDevice, captureBackends, DEFAULT_DEVICE, listDevices, noSystemAudioMessage, systemCaptureAvailability } from './capture/devices';
import { testDevice } from './capture/deviceTest';
import { CaptureError, installHint } from './capture/faults';
import { LiveSource } from './capture/live';
import { MIC_RECORDERS, recorderAvailable } from './capture/recorder';
import { AudioSource, FileSource, FRAME_SAMPLES, SAMPLE_RATE } from './capture/source';
import { errnoCode, journalCreateMessage } from './diskFaults';
import { AudioFileError } from './capture/wav';
import { DEBUG_AUDIO_DIR, debugAudioPath, dumpingSource } from './capture/debugAudio';
import { deleteAllData } from './dataStore';
import { AskClient, clientChat, openAiCompatibleChat, RefinementReport, runModelExtraction } from './understanding/providers';
import { DEFAULT_CHUNK_OPTIONS, modelChunks, modelExtractionRecords, reduceChunks } from './understanding/modelExtract';
import { ItemRestoreError, restoreInJournal } from './documents/restore';
import { JournalContents, JournalRecord, readJournal } from './journal/journal';
import { acquireSessionLock, liveLockOwner, lockPathOf } from './journal/lock';
import {
  endedResult, findInterruptedSessions, hasEnded, INTERRUPTED_MESSAGE, itemsOf, resumesOf, SessionLockedError, sessionModeOf,
} from './journal/recovery';
import { finalizeInterrupted, summaryOf } from './service/finalizeStored';
import { ResumedFileSource } from './session/resume';
import { segmentsOf } from './journal/journal';
import { ActionItemDoneError, markDoneInJournal } from './documents/done';
import { EditorTimeline } from './anchoring/editorTimeline';
import { exportFileName, exportSession } from './documents/export';
import { annotateSegment, WorkspaceIndexHolder } from './anchoring/segmentContext';
import { notesFileName } from './documents/markdown';
import { warmUpExtraction } from './understanding/extract';
import { DAY_MS, pruneSessions, PruneResult } from './retention';
import { Session, SessionConfig, SessionEvents } from './session/session';
import { createSpeechDetector, vadConfig } from './vad/config';
import { VadModelError } from './vad/silero';
import { ServiceError } from './serviceError';
import type { GpuChoice } from './config';

export { ServiceError } from './serviceError';
export { DEFAULT_MODEL_IDLE_UNLOAD_SEC, MODEL_PROGRESS_INTERVAL_MS, ModelProgress, ProgressReporter } from './asr/modelLifecycle';

export interface ServiceConfig {
  storageDir: string;
  notesDir: string;
  modelPath: string;
  language: string;
  threads: number;
  gpu: GpuChoice;
  vad?: VadSettings;
  /** Free the model this long after the last session ends (it reloads on the next start); 0 = never. */
  modelIdleUnloadSec?: number;
  /** How modelPath was chosen (catalog models are verified before loading, and can be listed and downloaded). */
  selection?: ModelSelection;
  /** Live capture: the environment recorders run in (default process.env) and a native system-audio helper. */
  capture?: { env?: NodeJS.ProcessEnv; helperPath?: string };
  /** When recognition counts as behind or caught up (default DEFAULT_DEGRADE_THRESHOLDS). */
  degradeThresholds?: DegradeThresholds;
  /**
   * Model files the last degrade rung may switch to, largest first. Default: the catalog's smaller tiers that are
   * already downloaded (verified before loading); nothing is downloaded behind the user's back.
   */
  smallerModels?(): Promise<string[]>;
  /** The opt-in refinement of the notes at stop (absent or provider 'off': none). */
  enhancement?: EnhancementSettings;
  /** How to ask the client for a refinement (provider 'vscode-lm'); without it that provider does nothing. */
  askClient?: AskClient;
  /** Interrupted sessions found at startup that nobody resumes or stops within this time are finalized (see startRecovery). */
  interruptedGraceSec?: number;
  /** Journals older than this many days are deleted (see startRetention); 0 or absent: kept forever. */
  retentionDays?: number;
  /** The opt-in debug dump: each session's captured audio as WAV files in `<storageDir>/debug-audio` (default off). */
  debugSaveAudio?: boolean;
  /** How often a file read in real time hands over the frames due (default FILE_PACE_PERIOD_MS; the latency benchmark: a microphone's period). */
  filePacePeriodMs?: number;
}

export interface ServiceEvents extends SessionEvents {
  modelState(state: ModelState): void;
  /** A live source of the session changed state (failed, stalled, retrying, capturing again). */
  sourceStatus?(status: SourceStatusParams): void;
  /** A live source's input level, about 10 a second. */
  inputLevel?(level: InputLevelParams): void;
  /** A mic segment was dropped: the mic heard the speakers (never carries text). */
  echoSuppressed?(sessionId: string, segmentId: string, score: number, final: boolean): void;
  /** The active session's degrade ladder changed rung. */
  degrade?(level: number, name: string): void;
  /** How each call of the opt-in language-model extraction at stop went (never carries transcript text). */
  refinement?(report: RefinementReport): void;
  /** The opt-in language-model extraction's progress (counts only). */
  extractionProgress?(progress: ExtractionProgressParams): void;
  /** A model download or load progressed (at most MODEL_PROGRESS_INTERVAL_MS apart, then done or failed). */
  modelProgress?(progress: ModelProgressParams): void;
  /** Crash recovery: an interrupted session was found at startup, resumed, or finalized by this daemon (never carries text). */
  recovery?(entry: { sessionId: string; action: 'found' | 'resumed' | 'finalized' | 'failed'; error?: string }): void;
  /** A retention pass deleted (or failed to delete) old session files. */
  retention?(result: PruneResult): void;
  /** The debug audio dump of a session's source could not be written (the session goes on without it). */
  debugAudioFailed?(sessionId: string, source: SourceKind, error: string): void;
}

/** How long a pause waits for the final of the utterance in progress before answering anyway (the final still comes). */
const PAUSE_FLUSH_TIMEOUT_MS = 15_000;

/** Closed sessions whose stop result is still answered from memory. */
const REMEMBERED_SESSIONS = 16;

export class EarshotService {
  readonly models: ModelLifecycle;
  private current: Session | undefined;
  private starting = false;
  private readonly closed = new Map<string, Session>();
  private vocabulary = '';
  /** The client's workspace files and symbols, for the mentions in finals (built off the hot path). */
  private readonly workspaceIndex = new WorkspaceIndexHolder();
  /** What the user had open, for every session of this daemon (one may start long after a file was opened). */
  private readonly editorTimeline = new EditorTimeline();
  /** The live sources of the current session, with their last level. */
  private live = new Map<LiveSourceKind, { source: LiveSource; rmsDbfs: number | null }>();
  /** Pause and resume requests, one at a time (each waits for a flush). */
  private pausing: Promise<unknown> = Promise.resolve();
  /** The device test running, if any (aborted at shutdown). */
  private deviceTest: AbortController | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  /** Settles once the current session is done and its lock released (shutdown waits for it before the process exits). */
  private currentEnded: Promise<void> = Promise.resolve();
  /** Interrupted sessions found at startup, each with the timer that finalizes it unless it is resumed or stopped first. */
  private readonly interrupted = new Map<string, NodeJS.Timeout>();
  /** Work on a stored session (resume, finalize), one at a time per session: both take its lock, which is per process. */
  private readonly recovering = new Map<string, Promise<unknown>>();
  /** Language-model extractions running, by session: cancelled through earshot/extraction/cancel. */
  private readonly extractions = new Map<string, AbortController>();

  constructor(readonly config: ServiceConfig, private readonly events: ServiceEvents) {
    this.models = new ModelLifecycle(config, events, () => !this.activeSession && !this.starting);
  }

  /** The main whisper engine (its state and figures for health and the server). */
  get engine(): WhisperEngine {
    return this.models.engine;
  }

  async startSession(params: SessionStartParams, progress?: ModelProgress): Promise<SessionStartResult> {
    if (this.starting || (this.current && this.current.state !== 'done')) {
      const id = this.current?.state !== 'done' ? this.current?.id : undefined;
      throw new ServiceError(ErrorCodes.SessionAlreadyRunning, `A session is already running${id ? ` (${id})` : ''}: stop it first.`, { sessionId: id ?? null });
    }
    this.starting = true;
    try {
      const startedAt = new Date();
      const sessionId = `${startedAt.toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(3).toString('hex')}`;
      const { sources, unavailable } = await this.openSources(params);
      await this.loadVad();
      await this.loadModelAndNotes(progress, params.mode !== 'dictation');
      // An index sent just before the start is built now: the first finals can link to it.
      await this.workspaceIndex.whenBuilt();
      const dictation = params.mode === 'dictation';
      const title = params.title?.trim() || (params.audioFile ? path.basename(params.audioFile).replace(/\.[^.]+$/, '') : dictation ? 'Dictation' : 'Meeting');
      // Dictation goes to the cursor: no notes file.
      const notesPath = dictation ? '' : path.join(params.notesDir ?? this.config.notesDir, notesFileName(startedAt, title));
      if (this.current) this.remember(this.current);
      const journalPath = path.join(this.config.storageDir, 'sessions', `${sessionId}.jsonl`);
      // A full or read-only storage disk: a clear refusal (the lock is the first file a session writes).
      const release = await this.lockSession(sessionId, journalPath).catch(async (e: unknown) => {
        if (e instanceof ServiceError || !errnoCode(e)) throw e;
        // A lock file created but not written (the disk filled up) is ours and empty: it goes, nothing half-written stays.
        const lock = lockPathOf(journalPath);
        if ((await fsp.stat(lock).catch(() => undefined))?.size === 0) await fsp.rm(lock, { force: true }).catch(() => undefined);
        throw new ServiceError(ErrorCodes.RequestFailed, journalCreateMessage(path.dirname(journalPath), e));
      });
      try {
        this.current = await Session.start(this.sessionConfig({
          sessionId, title, language: params.language ?? this.config.language, startedAt, sources, notesPath, dictation, unlock: release,
          ...(params.pace ? { pace: params.pace } : {}), ...(params.audioFile ? { audioFile: params.audioFile } : {}),
          ...(params.devices ? { devices: params.devices } : {}), ...(params.speakers ? { speakers: params.speakers } : {}),
        }), this.events);
      } catch (e) {
        await release().catch(() => undefined);
        throw e instanceof ServiceError || !errnoCode(e) ? e : new ServiceError(ErrorCodes.RequestFailed, (e as Error).message);
      }
      this.adopt(this.current, sources, release);
      return { sessionId, notesPath, ...(unavailable.length ? { unavailable } : {}) };
    } finally {
      this.starting = false;
    }
  }

  /** The pipeline around a session, for a start and for a resume. */
  private sessionConfig(s: {
    sessionId: string; title: string; language: string; startedAt: Date; sources: AudioSource[]; notesPath: string; dictation: boolean; resumed?: boolean;
    unlock?: () => Promise<void>;
    pace?: FilePace; audioFile?: string; devices?: Partial<Record<LiveSourceKind, string>>; speakers?: Partial<Record<LiveSourceKind, string>>;
  }): SessionConfig {
    const { sessionId, startedAt, sources, dictation } = s;
    const vad = vadConfig(this.config.vad, dictation ? 'dictation' : 'meeting');
    return {
      sessionId,
      title: s.title,
      language: s.language,
      startedAt,
      ...(s.pace ? { pace: s.pace } : {}),
      ...(s.unlock ? { unlock: s.unlock } : {}),
      ...(s.devices ? { devices: s.devices } : {}),
      ...(s.speakers ? { speakers: s.speakers } : {}),
      // Audio is written to disk only when the user opted in to the debug dump.
      sources: this.config.debugSaveAudio && !s.resumed ? sources.map((source) => dumpingSource(source, debugAudioPath(this.config.storageDir, sessionId, source.kind),
        (e) => this.events.debugAudioFailed?.(sessionId, source.kind, e.message))) : sources,
      journalPath: this.journalPathOf(sessionId),
      notesPath: s.notesPath,
      mode: dictation ? 'dictation' : 'meeting',
      decoder: { decode: (request) => this.models.decode(request), abortPartial: () => this.models.abortPartial() },
      createDetector: () => createSpeechDetector(vad),
      segmenter: vad.segmenter,
      ...(this.config.degradeThresholds ? { degradeThresholds: this.config.degradeThresholds } : {}),
      ...(s.pace === 'fast' ? { streaming: BATCH_STREAMING_OPTIONS } : {}),
      vocabulary: () => this.vocabulary,
      onEchoSuppressed: (segmentId, score, final) => this.events.echoSuppressed?.(sessionId, segmentId, score, final),
      annotate: (segment) => annotateSegment(segment, startedAt, this.workspaceIndex.current, this.editorTimeline),
      onDegrade: (level, rung) => {
        this.events.degrade?.(level, rung.name);
        void this.models.useSmallerModel(rung.smallerModel === true);
      },
      ...(s.audioFile ? { audioFile: s.audioFile } : {}),
      ...(this.modelExtractor(sessionId) && !dictation ? { extractWithModel: this.modelExtractor(sessionId) } : {}),
    };
  }

  /** The session is the current one: its live sources are watched; when it ends its lock goes and the model may idle. */
  private adopt(session: Session, sources: AudioSource[], release: () => Promise<void>): void {
    const unsubscribe = this.watchLiveSources(session.id, sources);
    this.currentEnded = session.done().then(() => undefined, () => undefined).finally(async () => {
      unsubscribe();
      this.models.sessionEnded();
      await release().catch(() => undefined);
    });
  }

  /** Takes a session's lock (see journal/lock.ts); SessionAlreadyRunning when another live daemon holds it. */
  private async lockSession(sessionId: string, journalPath: string): Promise<() => Promise<void>> {
    const lock = await acquireSessionLock(journalPath);
    if (!lock.acquired) {
      throw new ServiceError(ErrorCodes.SessionAlreadyRunning, `Session ${sessionId} is open in another Earshot window (daemon pid ${lock.owner.pid}).`, { sessionId, pid: lock.owner.pid });
    }
    return lock.release;
  }

  /**
   * Resumes a session whose daemon died, under the same id (see SessionResume in the protocol). Resuming the session
   * this daemon already records answers it again.
   */
  resumeSession(params: SessionResumeParams, progress?: ModelProgress): Promise<SessionResumeResult> {
    const { sessionId } = params;
    const running = this.current?.id === sessionId && this.current.state === 'streaming' ? this.current : undefined;
    if (running) return this.sessionTranscript(sessionId).then((transcript) => ({ sessionId, notesPath: running.config.notesPath, transcript }));
    if (this.starting || this.activeSession) {
      const id = this.activeSession?.id;
      return Promise.reject(new ServiceError(ErrorCodes.SessionAlreadyRunning, `A session is already running${id ? ` (${id})` : ''}: stop it before resuming ${sessionId}.`, { sessionId: id ?? null }));
    }
    this.starting = true;
    return this.serially(sessionId, async () => {
      const journalPath = this.journalPathOf(sessionId);
      const journal = await this.storedJournal(sessionId, journalPath);
      const header = journal.header;
      if (hasEnded(journal)) {
        throw new ServiceError(ErrorCodes.SessionEnded, `Session ${sessionId} has ended (it was stopped or finalized): it cannot be resumed. Its notes: ${header.notesPath || 'none (a dictation)'}.`,
          { sessionId, notesPath: header.notesPath });
      }
      const release = await this.lockSession(sessionId, journalPath);
      let opened: Awaited<ReturnType<EarshotService['openSources']>>;
      try {
        this.cancelInterruptedTimer(sessionId);
        const startedAt = new Date(header.startedAt);
        const pace: FilePace = header.pace ?? 'realtime';
        const devices = params.devices ?? header.devices;
        const speakers = params.speakers ?? header.speakers;
        opened = await this.openSources({
          sources: header.sources, ...(header.audioFile ? { audioFile: header.audioFile, pace: 'fast' as const } : {}),
          ...(devices ? { devices } : {}), ...(speakers ? { speakers } : {}),
        }, startedAt);
        const sources = opened.sources.map((source) => (source instanceof FileSource ? new ResumedFileSource(source, pace, startedAt, this.config.filePacePeriodMs) : source));
        await this.loadVad();
        await this.loadModelAndNotes(progress, sessionModeOf(header) !== 'dictation');
        await this.workspaceIndex.whenBuilt();
        if (this.current) this.remember(this.current);
        this.current = await Session.resume(this.sessionConfig({
          sessionId, title: header.title, language: header.language, startedAt, sources, notesPath: header.notesPath,
          dictation: sessionModeOf(header) === 'dictation', resumed: true, pace, unlock: release,
          ...(header.audioFile ? { audioFile: header.audioFile } : {}), ...(devices ? { devices } : {}), ...(speakers ? { speakers } : {}),
        }), this.events);
        this.adopt(this.current, sources, release);
      } catch (e) {
        await release();
        throw e;
      }
      this.events.recovery?.({ sessionId, action: 'resumed' });
      const transcript = await this.sessionTranscript(sessionId);
      return { sessionId, notesPath: header.notesPath, transcript, ...(opened.unavailable.length ? { unavailable: opened.unavailable } : {}) };
    }).finally(() => {
      this.starting = false;
    });
  }

  /** Everything a panel shows of a session: the running one, a remembered one, or one in storage (from its journal). */
  async sessionTranscript(sessionId: string): Promise<SessionTranscriptResult> {
    const session = this.current?.id === sessionId ? this.current : this.closed.get(sessionId);
    const journal = await this.storedJournal(sessionId, session?.config.journalPath ?? this.journalPathOf(sessionId));
    const { header } = journal;
    const ended = hasEnded(journal);
    const elsewhere = !session && !ended && (await liveLockOwner(this.journalPathOf(sessionId))) !== undefined;
    const interrupted = !session && !ended && !elsewhere;
    const state: SessionStateParams = {
      sessionId, title: header.title, startedAt: header.startedAt, notesPath: header.notesPath, mode: sessionModeOf(header),
      state: session ? session.state : ended ? 'done' : elsewhere ? 'streaming' : 'idle',
      paused: session && session.state === 'streaming' ? [...session.pausedSources] : [],
      ...(interrupted ? { error: INTERRUPTED_MESSAGE } : {}),
    };
    return {
      session: state, sources: header.sources, interrupted, segments: segmentsOf(journal.records), ...itemsOf(journal),
      summary: summaryOf(journal, ended), resumes: resumesOf(journal),
    };
  }

  /** Interrupted sessions in storage (not this daemon's, not another live daemon's), newest first. */
  async interruptedSessions(): Promise<InterruptedSession[]> {
    const found = await findInterruptedSessions(this.config.storageDir);
    return found.filter((s) => s.sessionId !== this.current?.id).sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  /**
   * Looks for sessions left interrupted in storage (their daemon died) and finalizes each one nobody resumes or stops
   * within interruptedGraceSec: its notes are then complete and its journal ended.
   */
  async startRecovery(): Promise<void> {
    const graceMs = (this.config.interruptedGraceSec ?? DEFAULT_INTERRUPTED_GRACE_SEC) * 1000;
    let found: InterruptedSession[];
    try {
      found = await this.interruptedSessions();
    } catch (e) {
      this.events.recovery?.({ sessionId: '', action: 'failed', error: (e as Error).message });
      return;
    }
    for (const { sessionId } of found) {
      this.events.recovery?.({ sessionId, action: 'found' });
      this.cancelInterruptedTimer(sessionId);
      const timer = setTimeout(() => {
        this.interrupted.delete(sessionId);
        this.finalizeStored(sessionId).catch(() => undefined); // reported through events.recovery
      }, graceMs);
      timer.unref();
      this.interrupted.set(sessionId, timer);
    }
  }

  private cancelInterruptedTimer(sessionId: string): void {
    clearTimeout(this.interrupted.get(sessionId));
    this.interrupted.delete(sessionId);
  }

  /** Stops a session that is not in memory: one that ended answers its result again; an interrupted one is finalized. */
  private finalizeStored(sessionId: string): Promise<SessionStopResult> {
    this.cancelInterruptedTimer(sessionId);
    return this.serially(sessionId, async () => {
      const journalPath = this.journalPathOf(sessionId);
      const journal = await this.storedJournal(sessionId, journalPath);
      if (hasEnded(journal)) return endedResult(journalPath);
      try {
        const result = await finalizeInterrupted(journalPath, this.modelExtractor(sessionId));
        this.events.recovery?.({ sessionId, action: 'finalized' });
        return result;
      } catch (e) {
        if (e instanceof SessionLockedError) {
          throw new ServiceError(ErrorCodes.SessionAlreadyRunning, e.message, { sessionId, pid: e.owner.pid });
        }
        this.events.recovery?.({ sessionId, action: 'failed', error: (e as Error).message });
        throw new ServiceError(ErrorCodes.InternalError, `Could not finalize the interrupted session ${sessionId}: ${(e as Error).message}`);
      }
    });
  }

  /** Runs work on a stored session after any other work on it (a resume and a finalization must not interleave). */
  private serially<T>(sessionId: string, work: () => Promise<T>): Promise<T> {
    const run = (this.recovering.get(sessionId) ?? Promise.resolve()).catch(() => undefined).then(work);
    this.recovering.set(sessionId, run);
    void run.catch(() => undefined).finally(() => { if (this.recovering.get(sessionId) === run) this.recovering.delete(sessionId); });
    return run;
  }

  /** A session's journal from storage; SessionNotFound when there is none. */
  private async storedJournal(sessionId: string, journalPath: string): Promise<JournalContents> {
    try {
      return await readJournal(journalPath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ServiceError(ErrorCodes.SessionNotFound, `No session with id ${JSON.stringify(sessionId)} in ${path.dirname(journalPath)}.`);
      throw new ServiceError(ErrorCodes.InternalError, `Cannot read the journal of session ${sessionId}: ${(e as Error).message}`);
    }
  }

  /**
   * The opt-in language-model extraction for a session, when the user opted in (and, for 'vscode-lm', a client can be
   * asked): the whole meeting in chunks, answers merged into journal records. Never rejects.
   */
  private modelExtractor(sessionId: string): ((journal: JournalContents) => Promise<JournalRecord[]>) | undefined {
    const settings = this.config.enhancement;
    if (!settings || settings.provider === 'off' || (settings.provider === 'vscode-lm' && !this.config.askClient)) return undefined;
    return async (journal) => {
      const chunks = modelChunks(journal, { ...DEFAULT_CHUNK_OPTIONS, ...(settings.chunkChars ? { chunkChars: settings.chunkChars } : {}) });
      if (!chunks.length) return [];
      const abort = new AbortController();
      this.extractions.set(sessionId, abort);
      try {
        const chat = settings.provider === 'vscode-lm' ? clientChat(sessionId, this.config.askClient!) : openAiCompatibleChat(settings);
        const run = await runModelExtraction(sessionId, { title: journal.header.title, date: journal.header.startedAt }, chunks, {
          settings, chat, signal: abort.signal,
          progress: (p) => this.events.extractionProgress?.(p),
          report: (r) => this.events.refinement?.(r),
        });
        if (run.summary.finished === run.summary.failed && run.summary.state === 'done' && run.answers.every((a) => a === null)) return [];
        return modelExtractionRecords(journal, reduceChunks(chunks, run.answers), run.summary);
      } catch {
        return []; // the rule-based notes stand
      } finally {
        if (this.extractions.get(sessionId) === abort) this.extractions.delete(sessionId);
      }
    };
  }

  /** Cancels a session's language-model extraction: in-flight calls are aborted; what finished chunks found is kept. */
  cancelExtraction(sessionId: string): { cancelled: boolean } {
    const abort = this.extractions.get(sessionId);
    if (!abort || abort.signal.aborted) return { cancelled: false };
    abort.abort();
    return { cancelled: true };
  }

  /**
   * Restores an item the language model dismissed (or any withdrawn one) of a session that has stopped: a new revision
   * in its journal, announced, and the notes rewritten. RequestFailed while the session still runs.
   */
  async restoreItem(params: ItemRestoreParams): Promise<ActionItem | Decision> {
    const running = this.current?.id === params.sessionId ? this.current : this.closed.get(params.sessionId);
    if (running && running.state !== 'done') {
      throw new ServiceError(ErrorCodes.RequestFailed, `Session ${params.sessionId} is still ${running.state}: items can be restored once it has stopped.`);
    }
    const journalPath = this.journalPathOf(params.sessionId);
    try {
      const restored = await restoreInJournal(journalPath, params.kind, params.id);
      if (restored.changed) {
        if (params.kind === 'actionItem') this.events.actionItem(restored.item as ActionItem);
        else this.events.decision(restored.item as Decision);
      }
      return restored.item;
    } catch (e) {
      if (e instanceof ItemRestoreError) throw new ServiceError(ErrorCodes.InvalidParams, e.message);
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ServiceError(ErrorCodes.SessionNotFound, `No session ${params.sessionId} in ${path.dirname(journalPath)}.`);
      throw new ServiceError(ErrorCodes.InternalError, `Cannot restore ${params.kind} ${params.id} of session ${params.sessionId}: ${(e as Error).message}`);
    }
  }


  /** The user's "Retry": restart a failed or stalled live source now. */
  retrySource(params: SourceRetryParams): void {
    const session = this.find(params.sessionId);
    const live = session === this.current ? this.live.get(params.source) : undefined;
    if (!live || session.state !== 'streaming') {
      throw new ServiceError(ErrorCodes.SourceUnavailable, `Session ${params.sessionId} is not capturing ${params.source === 'mic' ? 'the microphone' : 'system audio'}.`);
    }
    if (live.source.isPaused) throw new ServiceError(ErrorCodes.RequestFailed, `${params.source === 'mic' ? 'The microphone' : 'System audio'} is paused: resume it instead.`);
    live.source.retryNow();
  }

  /**
   * Pauses or resumes live sources of the streaming session (one, or all). A source being paused stops its recorder;
   * the answer comes once the utterance it was hearing is final (journaled and sent), then a state notification lists
   * the paused sources. Idempotent; requests are handled one at a time.
   */
  pauseSession(params: SessionPauseParams): Promise<SessionPauseResult> {
    const result = this.pausing.then(() => this.applyPause(params));
    this.pausing = result.catch(() => undefined);
    return result;
  }

  private async applyPause(params: SessionPauseParams): Promise<SessionPauseResult> {
    const session = this.find(params.sessionId);
    if (session !== this.current || session.state !== 'streaming') {
      throw new ServiceError(ErrorCodes.RequestFailed, `Session ${session.id} is ${session.state === 'done' ? 'over' : session.state}: only a session that is recording can be paused or resumed.`);
    }
    const kinds = [...this.live.keys()];
    if (params.source && !this.live.has(params.source)) {
      throw new ServiceError(ErrorCodes.InvalidParams,
        `Session ${session.id} does not record ${params.source === 'mic' ? 'the microphone' : 'system audio'}: its live sources are ${kinds.join(', ') || 'none (it transcribes a file)'}.`);
    }
    if (kinds.length === 0) throw new ServiceError(ErrorCodes.InvalidParams, `Session ${session.id} has no live source to pause: it transcribes a file.`);
    const targets = params.source ? [params.source] : kinds;
    if (params.paused) {
      const flushes: Promise<void>[] = [];
      for (const kind of targets) {
        const entry = this.live.get(kind)!;
        const flushed = session.whenFlushed(kind); // asked before the pause, so the flush cannot be missed
        if (!entry.source.pause()) continue;
        entry.rmsDbfs = null;
        flushes.push(flushed);
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(flushes), new Promise((resolve) => { timer = setTimeout(resolve, PAUSE_FLUSH_TIMEOUT_MS); })]);
      clearTimeout(timer);
    } else {
      for (const kind of targets) this.live.get(kind)!.source.resume();
    }
    const paused = [...this.live].filter(([, entry]) => entry.source.isPaused).map(([kind]) => kind);
    session.setPaused(paused);
    return { paused };
  }

  /**
   * Records a few seconds from a device (no VAD, no whisper) and answers the loudest level; levels are sent as input
   * levels of DEVICE_TEST_SESSION_ID meanwhile. Refused while a session records or another test runs; a device that
   * cannot record fails with SourceUnavailable and the message a session would give.
   */
  async testDevice(params: DeviceTestParams, signal?: AbortSignal): Promise<DeviceTestResult> {
    if (this.starting || this.activeSession) {
      const id = this.activeSession?.id;
      throw new ServiceError(ErrorCodes.SessionAlreadyRunning, `A session is recording${id ? ` (${id})` : ''}: stop it before testing a device.`, { sessionId: id ?? null });
    }
    if (this.deviceTest) throw new ServiceError(ErrorCodes.RequestFailed, 'A device test is already running: wait for it to finish.');
    const abort = new AbortController();
    this.deviceTest = abort;
    const onAbort = () => abort.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const source = params.source;
    try {
      const missing = await this.liveSourceMissing(source);
      if (missing) throw new ServiceError(ErrorCodes.SourceUnavailable, missing, { source, reason: 'recorder-missing' });
      const helperPath = this.config.capture?.helperPath;
      const outcome = await testDevice({
        kind: source, env: this.captureEnv(), seconds: params.seconds ?? 5, signal: abort.signal,
        ...(params.device && params.device !== DEFAULT_DEVICE ? { device: params.device } : {}),
        ...(source === 'system' && helperPath ? { helperPath } : {}),
        onLevel: (level) => this.events.inputLevel?.({ sessionId: DEVICE_TEST_SESSION_ID, source, rmsDbfs: level.rmsDbfs, peakDbfs: level.peakDbfs }),
      });
      return { source, ...outcome };
    } catch (e) {
      if (e instanceof CaptureError) throw new ServiceError(ErrorCodes.SourceUnavailable, e.message, { source, reason: e.fault.reason });
      throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.deviceTest = undefined;
    }
  }

  /**
   * Applies the retention setting: deletes old session journals now and then once a day (never the running session's,
   * never notes files or models). Without a retention period it does nothing.
   */
  startRetention(): void {
    clearInterval(this.retentionTimer);
    const days = this.config.retentionDays ?? 0;
    if (days <= 0) return;
    const prune = async () => {
      try {
        const keep = new Set(this.activeSession ? [this.activeSession.id] : []);
        const result = await pruneSessions(this.config.storageDir, days, { keep });
        const audio = await pruneSessions(this.config.storageDir, days, { keep, folder: DEBUG_AUDIO_DIR });
        result.deleted.push(...audio.deleted);
        result.failed.push(...audio.failed);
        if (result.deleted.length || result.failed.length) this.events.retention?.(result);
      } catch (e) {
        this.events.retention?.({ deleted: [], failed: [{ name: 'sessions', error: (e as Error).message }] });
      }
    };
    void prune();
    this.retentionTimer = setInterval(() => void prune(), DAY_MS);
    this.retentionTimer.unref();
  }

  /** Microphones and system-audio sources this machine can record, and whether system audio works at all. */
  async listDevices(): Promise<DeviceListResult> {
    const query = { env: this.captureEnv(), ...(this.config.capture?.helperPath ? { helperPath: this.config.capture.helperPath } : {}) };
    const [devices, system] = await Promise.all([listDevices(query), systemCaptureAvailability(query)]);
    const info = (d: AudioDevice) => ({ id: d.id, label: d.label, isDefault: d.isDefault });
    return {
      microphones: devices.microphones.map(info),
      systemSources: devices.systemSources.map(info),
      systemAudio: { available: system.available, ...(system.message ? { message: system.message } : {}) },
      notes: devices.notes,
      backends: captureBackends(process.platform, query.env),
    };
  }

  /** A session's export, from its journal (this daemon's sessions and earlier ones in the same storage). */
  async exportSession(params: SessionExportParams): Promise<SessionExportResult> {
    const journalPath = path.join(this.config.storageDir, 'sessions', `${params.sessionId}.jsonl`);
    let journal: JournalContents;
    try {
      journal = await readJournal(journalPath);
    } catch (e) {
      const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
      throw new ServiceError(missing ? ErrorCodes.SessionNotFound : ErrorCodes.InternalError,
        missing ? `No session ${params.sessionId} in ${path.dirname(journalPath)}.` : `Cannot read the journal of session ${params.sessionId}: ${(e as Error).message}`);
    }
    return { text: exportSession(journal, params.format), fileName: exportFileName(journal, params.format) };
  }

  stopSession(sessionId: string): Promise<SessionStopResult> {
    const session = this.current?.id === sessionId ? this.current : this.closed.get(sessionId);
    return session ? session.stop() : this.finalizeStored(sessionId);
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

  listModels(): Promise<ModelListResult> {
    return this.models.listModels();
  }

  /** Downloads a catalog model; `onProgress` gets bytes done and total. */
  downloadModel(params: ModelDownloadParams, signal?: AbortSignal, onProgress?: (p: DownloadProgress) => void): Promise<ModelDownloadResult> {
    return this.models.downloadModel(params, signal, onProgress);
  }

  /**
   * Delete All Data (see dataStore.ts): journals, per-session caches, debug audio and, optionally, downloaded models;
   * never notes, never anything outside the storage folder. Refused while a session records: its journal is the
   * durable copy of what it finalized, and stopping someone's meeting is the user's call, not a side effect.
   */
  async deleteData(params: DataDeleteParams): Promise<DataDeleteResult> {
    if (this.starting || this.activeSession) {
      const id = this.activeSession?.id;
      throw new ServiceError(ErrorCodes.SessionAlreadyRunning, `A session is recording${id ? ` (${id})` : ''}: stop it before deleting Earshot's data.`, { sessionId: id ?? null });
    }
    const includeModels = params.includeModels === true;
    if (includeModels && this.models.downloading) throw new ServiceError(ErrorCodes.RequestFailed, 'A model is downloading: cancel the download or wait for it before deleting models.');
    const result = await deleteAllData({ storageDir: this.config.storageDir, includeModels, ...(this.config.selection ? { modelCacheDir: this.config.selection.cacheDir } : {}) });
    // Finished sessions kept in memory answer stop and status with their transcript: forget them with their journals.
    this.closed.clear();
    if (this.current?.state === 'done') this.current = undefined;
    if (includeModels && result.models.files > 0) {
      await this.models.free(); // its file may be gone: the next session loads (or asks to download) again
    }
    return result;
  }

  /** Replaces the words whisper is primed with (already validated and bounded). */
  setVocabulary(words: string[]): void {
    this.vocabulary = words.join(', ');
  }

  /** Replaces the workspace index that finals' mentions are matched against (built shortly after, in slices). */
  setWorkspaceIndex(params: WorkspaceIndexParams): void {
    this.workspaceIndex.set(params);
  }

  /** The user looks at another place (or no file) from `params.at` on. */
  noteEditorActivity(params: EditorActivityParams): void {
    this.editorTimeline.note(params.location, params.at);
  }

  /**
   * Ticks or unticks an action item of the running session or of an earlier one in storage: a new revision with
   * `done` in its journal, announced when the session runs, and its notes file rewritten. Answers the latest revision.
   */
  async setActionItemDone(params: ActionItemSetDoneParams): Promise<ActionItem> {
    try {
      const running = this.current?.id === params.sessionId ? this.current : this.closed.get(params.sessionId);
      if (running) {
        const item = await running.setActionItemDone(params.id, params.done);
        if (item) return item;
        // Finalizing: its journal is being closed; mark it there once the session is done.
        await running.done().catch(() => undefined);
      }
      const journalPath = this.journalPathOf(params.sessionId);
      try {
        return await markDoneInJournal(journalPath, params.id, params.done);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new ServiceError(ErrorCodes.SessionNotFound, `No session ${params.sessionId} in ${path.dirname(journalPath)}.`);
        }
        throw e;
      }
    } catch (e) {
      if (e instanceof ActionItemDoneError) throw new ServiceError(ErrorCodes.InvalidParams, e.message);
      if (e instanceof ServiceError) throw e;
      throw new ServiceError(ErrorCodes.InternalError, `Cannot mark action item ${params.id} of session ${params.sessionId}: ${(e as Error).message}`);
    }
  }

  /** Where a session's journal is (or would be) in this daemon's storage. */
  private journalPathOf(sessionId: string): string {
    // An id is a file name, never a path: nothing outside the sessions folder is opened for append.
    if (!sessionId || /[\\/]/.test(sessionId) || sessionId.startsWith('.')) {
      throw new ServiceError(ErrorCodes.SessionNotFound, `No session with id ${JSON.stringify(sessionId)}.`);
    }
    return path.join(this.config.storageDir, 'sessions', `${sessionId}.jsonl`);
  }

  health(): HealthParams {
    const e = this.engine;
    const session = this.activeSession;
    const level = session?.degrade.level ?? 0;
    const fallbackName = this.models.fallbackName ? ` (${this.models.fallbackName})` : '';
    // The live sources of the current (or last) session: what their bounded queues dropped (see streaming.ts, backpressure).
    const droppedSamples = this.current ? [...this.live.values()].reduce((n, { source }) => n + source.status.droppedSamples, 0) : 0;
    return {
      model: { state: e.state, path: this.config.modelPath, error: e.error, loadMs: e.loadMs, gpuDevice: e.gpuDevice, ...e.stats() },
      backlogSec: session?.backlogSec ?? 0,
      dropped: Math.round(droppedSamples / FRAME_SAMPLES),
      degradeLevel: level,
      degradeName: DEGRADE_LADDER[level].name + fallbackName,
      rssBytes: process.memoryUsage.rss(),
      sources: session ? [...this.live].map(([kind, { source, rmsDbfs }]) => ({
        source: kind, state: source.status.state, rmsDbfs, droppedSec: source.status.droppedSamples / SAMPLE_RATE, recorder: source.recorderName,
      })) : [],
      ...(this.current ? { recognizer: { ...this.current.recognizer, droppedSec: droppedSamples / SAMPLE_RATE } } : {}),
    };
  }

  get activeSession(): Session | undefined {
    return this.current && this.current.state !== 'done' ? this.current : undefined;
  }

  /** Finalizes an open session and frees the model: nothing is lost on a clean exit. */
  async shutdown(): Promise<void> {
    this.models.cancelUnload();
    clearInterval(this.retentionTimer);
    for (const timer of this.interrupted.values()) clearTimeout(timer);
    this.interrupted.clear();
    this.deviceTest?.abort();
    await this.activeSession?.stop().catch(() => undefined);
    // Its lock, and a resume or finalization under way, are done before the process leaves.
    await this.currentEnded;
    await Promise.all([...this.recovering.values()].map((work) => work.catch(() => undefined)));
    await this.models.free();
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

  private captureEnv(): NodeJS.ProcessEnv {
    return this.config.capture?.env ?? process.env;
  }

  /**
   * The session's sources. A live source that cannot capture on this machine at all (no recorder installed, no
   * way to record system audio) is reported in `unavailable` and left out while others remain; alone, it fails the
   * start with a message saying what to install or enable. Faults after the start (a sound server that dies) are
   * the source's own business: it reports them and retries.
   */
  private async openSources(params: SessionStartParams, startedAt?: Date): Promise<{ sources: AudioSource[]; unavailable: { source: LiveSourceKind; message: string }[] }> {
    const sources: AudioSource[] = [];
    const unavailable: { source: LiveSourceKind; message: string }[] = [];
    // One clock origin: the sources' sample 0 is the same instant, so their segments interleave in true order.
    // A resumed session keeps its clock: sample 0 is still its start, the downtime a gap.
    const clockOrigin = performance.now() - (startedAt ? Date.now() - startedAt.getTime() : 0);
    const env = this.captureEnv();
    const platform = process.platform;
    for (const kind of params.sources) {
      if (kind !== 'file') {
        const helperPath = this.config.capture?.helperPath;
        const missing = await this.liveSourceMissing(kind);
        if (missing) {
          unavailable.push({ source: kind, message: missing });
          continue;
        }
        const device = params.devices?.[kind];
        sources.push(new LiveSource({
          kind, env, platform, clockOrigin,
          ...(device && device !== DEFAULT_DEVICE ? { device } : {}),
          ...(params.speakers?.[kind] ? { speaker: params.speakers[kind] } : {}),
          ...(kind === 'system' && helperPath ? { helperPath } : {}),
        }));
        continue;
      }
      try {
        const audioFile = path.resolve(params.audioFile!);
        sources.push(await FileSource.open(audioFile, { pace: params.pace, speaker: 'Speaker', periodMs: this.config.filePacePeriodMs }));
      } catch (e) {
        throw new ServiceError(ErrorCodes.AudioUnreadable, e instanceof AudioFileError ? e.message : `Cannot open audio file: ${(e as Error).message}`);
      }
    }
    if (sources.length === 0) {
      throw new ServiceError(ErrorCodes.SourceUnavailable, unavailable.map((u) => u.message).join(' '), { unavailable });
    }
    // A Core Audio tap's digital silence means something only while the microphone hears a call (capture/silence.ts).
    const live = sources.filter((s): s is LiveSource => s instanceof LiveSource);
    const mic = live.find((s) => s.kind === 'mic');
    if (mic) for (const s of live) if (s.kind === 'system') s.pairWithMicrophone(mic);
    return { sources, unavailable };
  }

  /** Why a live source cannot capture on this machine at all (nothing to record it with), or undefined when it can. */
  private async liveSourceMissing(kind: LiveSourceKind): Promise<string | undefined> {
    const env = this.captureEnv();
    const platform = process.platform;
    if (kind === 'system') {
      const helperPath = this.config.capture?.helperPath;
      const availability = await systemCaptureAvailability({ env, ...(helperPath ? { helperPath } : {}) });
      return availability.available ? undefined : availability.message ?? noSystemAudioMessage(platform, 'no-recorder');
    }
    // The in-process backend (audify) needs nothing installed; the recorder programs are the fallback.
    return MIC_RECORDERS.some((r) => recorderAvailable(r, env, platform))
      ? undefined : `No microphone recorder is installed: ${installHint('sox', platform)} (or arecord from alsa-utils on Linux).`;
  }

  /** Forwards the live sources' states and levels as session notifications; returns the unsubscriber. */
  private watchLiveSources(sessionId: string, sources: AudioSource[]): () => void {
    this.live = new Map();
    const stops: (() => void)[] = [];
    for (const source of sources) {
      if (!(source instanceof LiveSource)) continue;
      const kind = source.kind;
      const entry = { source, rmsDbfs: null as number | null };
      this.live.set(kind, entry);
      stops.push(source.onStatus((st) => this.events.sourceStatus?.({
        sessionId, source: kind, state: st.state, recorder: st.recorder,
        droppedSec: st.droppedSamples / SAMPLE_RATE, gapSec: st.gapSamples / SAMPLE_RATE,
        ...(st.message ? { message: st.message } : {}), ...(st.reason ? { reason: st.reason } : {}),
        ...(st.retryInMs !== undefined ? { retryInMs: st.retryInMs } : {}), ...(st.device ? { device: st.device } : {}),
        ...(st.hint ? { hint: st.hint } : {}),
      })));
      stops.push(source.onLevel((level) => {
        entry.rmsDbfs = level.rmsDbfs;
        this.events.inputLevel?.({ sessionId, source: kind, rmsDbfs: level.rmsDbfs, peakDbfs: level.peakDbfs });
      }));
    }
    return () => stops.forEach((stop) => stop());
  }

  /**
   * The whisper model loads (off the JavaScript thread) while the notes extraction warms up on it: its first run costs
   * ~180 ms, which the session's first final would otherwise wait for (warmUpExtraction).
   */
  private async loadModelAndNotes(progress: ModelProgress | undefined, notes: boolean): Promise<void> {
    const loading = this.models.load(progress);
    if (notes) warmUpExtraction();
    await loading;
  }

  /** The VAD model loads once (shared by every source's detector); without it nothing can be heard. */
  private async loadVad(): Promise<void> {
    try {
      await createSpeechDetector(vadConfig(this.config.vad));
    } catch (e) {
      throw new ServiceError(ErrorCodes.VadUnavailable, e instanceof VadModelError ? e.message : `Voice activity detection is unavailable: ${(e as Error).message}`);
    }
  }
}
