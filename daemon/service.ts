/**
 * The daemon's service layer, independent of any transport: the JSON-RPC server and the CLI both drive it. It owns
 * the whisper engine (asr/modelLifecycle.ts) and routes each request to the owner of what it is about, under service/:
 *
 *   sessionsInMemory.ts   the current session (at most one records) and the remembered closed ones
 *   liveSessions.ts       start and resume: lock, open sources (sources.ts), prepare and configure (sessionConfig.ts)
 *   liveSources.ts        the current session's microphone and system audio: levels, states, retry, pause
 *   autoStops.ts          the auto-stop of a meeting started for a call: call detection, its voice detection, its stop
 *   storedSessions.ts     sessions in storage: recovery of interrupted ones (finalizeStored.ts), transcript, items, export
 *   devices.ts            device list, device test, whether a live source can capture here
 *   modelExtractions.ts   the opt-in language-model extraction run for a session, and its cancellation
 *   notesModels.ts        the notes models' list and downloads (models/notesCatalog.ts)
 *   storageUpkeep.ts      Delete All Data (dataStore.ts) and retention (retention.ts)
 *   memory.ts             meeting memory: search, open items, decisions, meetings over every stored session (memory/)
 *   health.ts             the health report
 *   serviceConfig.ts      ServiceConfig and ServiceEvents (re-exported here)
 * and, outside service/ since it holds no state: understanding/localServers.ts finds the language-model servers on
 * this machine.
 */
import * as path from 'node:path';
import {
  ActionItem, ActionItemSetDoneParams, DataDeleteParams, ErrorCodes, DataDeleteResult, Decision, DeviceListResult, DeviceTestParams, DeviceTestResult, PlatformReport, PlatformReportParams,
  EditorActivityParams, HealthParams, InterruptedSession, ItemRestoreParams, LanguageModelDiscoverParams, LanguageModelDiscoverResult,
  MemoryCodeAnchorsResult, MemoryDecisionsResult, MemoryLinesResult, MemoryMeetingsResult, MemorySearchResult, MemoryTodoResult, ModelDownloadParams, ModelDownloadResult, ModelListResult,
  SessionExportParams, SessionExportResult, SessionPauseParams, SessionPauseResult, SessionResumeParams, SessionResumeResult, SessionStartParams,
  SessionStartResult, SessionStatusResult, SessionStopResult, SessionTranscriptResult, SourceRetryParams, SpeakerRenameParams, SpeakerRenameResult,
  WorkspaceIndexParams,
} from '../protocol/protocol';
import { DownloadProgress } from './models/download';
import { ModelLifecycle, ModelProgress } from './asr/modelLifecycle';
import { PartialsDemand } from '../protocol/partialsDemand';
import { WhisperEngine } from './asr/whisper';
import { AutoStops } from './service/autoStops';
import { Devices } from './service/devices';
import { healthReport } from './service/health';
import { LiveSessions } from './service/liveSessions';
import { LiveSources } from './service/liveSources';
import { Memory } from './service/memory';
import { AgentToolResult } from '../protocol/agentTools';
import { idleReadingThreads, MeaningSearch } from './memory/meaningSearch';
import { MEMORY_MODELS } from './models/memoryModel';
import { SPEAKER_MODELS } from './models/voiceModel';
import { ModelExtractions } from './service/modelExtractions';
import { NotesModels } from './service/notesModels';
import { ServiceConfig, ServiceEvents } from './service/serviceConfig';
import { SessionPipeline } from './service/sessionConfig';
import { SessionsInMemory } from './service/sessionsInMemory';
import { PinnedDownloads } from './service/pinnedDownloads';
import { StorageUpkeep } from './service/storageUpkeep';
import { StoredSessions } from './service/storedSessions';
import { Session } from './session/session';
import { discoverLocalServers } from './understanding/localServers';

import { ServiceError } from './serviceError';
export { ServiceError } from './serviceError';
export { DEFAULT_MODEL_IDLE_UNLOAD_SEC, MODEL_PROGRESS_INTERVAL_MS, ModelProgress, ProgressReporter } from './asr/modelLifecycle';
export { ServiceConfig, ServiceEvents } from './service/serviceConfig';

export class EarshotService {
  readonly models: ModelLifecycle;
  private readonly notesModels: NotesModels;
  private readonly speakerModels: PinnedDownloads;
  private readonly memoryModels: PinnedDownloads;
  private readonly sessions = new SessionsInMemory();
  private readonly live: LiveSources;
  private readonly pipeline: SessionPipeline;
  private readonly extractions: ModelExtractions;
  private readonly stored: StoredSessions;
  private readonly liveSessions: LiveSessions;
  private readonly devices: Devices;
  private readonly upkeep: StorageUpkeep;
  private readonly memory: Memory;
  private readonly autoStops: AutoStops;
  /**
   * Who reads partial transcripts (earshot/partials, the CLI): they are decoded only while someone does. A client that
   * never says gets them, as before.
   */
  readonly partials = new PartialsDemand(true);

  constructor(readonly config: ServiceConfig, events: ServiceEvents) {
    const meetingUnderWay = () => !!(this.sessions.active || this.sessions.starting);
    // The model may idle out only while no session starts or records.
    this.models = new ModelLifecycle(config, events, () => !meetingUnderWay());
    this.notesModels = new NotesModels(config, events.modelProgress?.bind(events));
    const modelCache = () => {
      if (!config.selection) throw new ServiceError(ErrorCodes.InternalError, 'this daemon was started without a model catalog');
      return config.selection.cacheDir;
    };
    this.speakerModels = new PinnedDownloads(SPEAKER_MODELS, modelCache, events.modelProgress?.bind(events));
    this.memoryModels = new PinnedDownloads(MEMORY_MODELS, modelCache, events.modelProgress?.bind(events));
    this.live = new LiveSources(this.sessions, events);
    this.autoStops = new AutoStops((state) => events.autoStop?.(state), { env: config.capture?.env });
    this.extractions = new ModelExtractions(config, events);
    this.pipeline = new SessionPipeline(config, events, this.models, this.extractions, () => this.partials.wanted);
    this.stored = new StoredSessions(config, events, this.sessions, this.extractions);
    this.liveSessions = new LiveSessions(config, events, this.sessions, this.pipeline, this.live, this.stored, this.models, this.autoStops);
    this.devices = new Devices(config, events, this.sessions);
    this.memory = new Memory(config.storageDir, events.memorySkipped?.bind(events),
      new MeaningSearch(() => config.selection?.cacheDir, (message) => events.memoryMeaningFailed?.(message), {
        sessionsDir: path.join(config.storageDir, 'sessions'), onNotKept: (message) => events.memoryVectorsNotKept?.(message),
        threads: () => (meetingUnderWay() ? 1 : idleReadingThreads()),
      }));
    this.upkeep = new StorageUpkeep(config, events, this.sessions, this.models, this.notesModels, [this.speakerModels, this.memoryModels], () => this.memory.unloadModel());
  }

  /** The main whisper engine (its state and figures for health and the server). */
  get engine(): WhisperEngine {
    return this.models.engine;
  }

  get activeSession(): Session | undefined {
    return this.sessions.active;
  }

  startSession(params: SessionStartParams, progress?: ModelProgress): Promise<SessionStartResult> {
    return this.liveSessions.start(params, progress);
  }

  /**
   * Resumes a session whose daemon died, under the same id (see SessionResume in the protocol). Resuming the session
   * this daemon already records answers it again.
   */
  resumeSession(params: SessionResumeParams, progress?: ModelProgress): Promise<SessionResumeResult> {
    return this.liveSessions.resume(params, progress);
  }

  /** Stops a session: the one in memory, or one in storage (an ended one answers its result again, an interrupted one is finalized). */
  stopSession(sessionId: string): Promise<SessionStopResult> {
    const session = this.sessions.lookup(sessionId);
    return session ? session.stop() : this.stored.finalize(sessionId);
  }

  /** Waits for a session to end by itself (e.g. its audio file ran out) or be stopped. */
  sessionDone(sessionId: string): Promise<SessionStopResult> {
    return this.sessions.find(sessionId).done();
  }

  status(sessionId?: string): SessionStatusResult {
    return this.sessions.status(sessionId);
  }

  /** Everything a panel shows of a session: the running one, a remembered one, or one in storage (from its journal). */
  sessionTranscript(sessionId: string): Promise<SessionTranscriptResult> {
    return this.stored.transcript(sessionId);
  }

  /** Interrupted sessions in storage (not this daemon's, not another live daemon's), newest first. */
  interruptedSessions(): Promise<InterruptedSession[]> {
    return this.stored.interruptedSessions();
  }

  /**
   * Looks for sessions left interrupted in storage (their daemon died) and finalizes each one nobody resumes or stops
   * within interruptedGraceSec: its notes are then complete and its journal ended.
   */
  startRecovery(): Promise<void> {
    return this.stored.startRecovery();
  }

  /** A session's export, from its journal (this daemon's sessions and earlier ones in the same storage). */
  exportSession(params: SessionExportParams): Promise<SessionExportResult> {
    return this.stored.export(params);
  }

  /**
   * Ticks or unticks an action item of the running session or of an earlier one in storage: a new revision with
   * `done` in its journal, announced when the session runs, and its notes file rewritten. Answers the latest revision.
   */
  setActionItemDone(params: ActionItemSetDoneParams): Promise<ActionItem> {
    return this.stored.setActionItemDone(params);
  }

  /**
   * Renders a session's notes file again over the file as it is now (earshot/notes/rewrite): the client put the user's
   * own copy in place. SessionNotFound for an unknown session.
   */
  rewriteNotes(sessionId: string): Promise<void> {
    return this.stored.rewriteNotes(sessionId);
  }

  /**
   * Restores an item the language model dismissed (or any withdrawn one) of a session that has stopped: a new revision
   * in its journal, announced, and the notes rewritten. RequestFailed while the session still runs.
   */
  restoreItem(params: ItemRestoreParams): Promise<ActionItem | Decision> {
    return this.stored.restoreItem(params);
  }

  /**
   * Names a voice of a session (earshot/speakers/rename): the running one or one in storage. Every final of the voice
   * and the action items it owns follow, journaled, announced, and the notes are rewritten.
   */
  renameSpeaker(params: SpeakerRenameParams): Promise<SpeakerRenameResult> {
    return this.stored.renameSpeaker(params);
  }

  /**
   * Cancels a session's auto-stop (earshot/session/autoStopCancel): the meeting runs until stopped by hand. False for a
   * session without one running; SessionNotFound for a session neither running nor remembered.
   */
  cancelAutoStop(sessionId: string): Promise<{ cancelled: boolean }> {
    this.sessions.find(sessionId);
    return this.autoStops.cancel(sessionId);
  }

  /** Cancels a session's language-model extraction: in-flight calls are aborted; what finished chunks found is kept. */
  cancelExtraction(sessionId: string): { cancelled: boolean } {
    return this.extractions.cancel(sessionId);
  }

  /** Ollama, LM Studio and llama.cpp servers running on this machine, found by asking them (loopback only; never rejects). */
  async discoverLanguageModels(params: LanguageModelDiscoverParams, signal?: AbortSignal): Promise<LanguageModelDiscoverResult> {
    return { servers: await discoverLocalServers({ timeoutMs: params.timeoutMs, signal }) };
  }

  /** The user's "Retry": restart a failed or stalled live source now. */
  retrySource(params: SourceRetryParams): void {
    this.live.retry(params);
  }

  /**
   * Pauses or resumes live sources of the streaming session (one, or all). A source being paused stops its recorder;
   * the answer comes once the utterance it was hearing is final (journaled and sent), then a state notification lists
   * the paused sources. Idempotent; requests are handled one at a time.
   */
  pauseSession(params: SessionPauseParams): Promise<SessionPauseResult> {
    return this.live.pause(params);
  }

  /** Microphones and system-audio sources this machine can record, and whether system audio works at all. */
  listDevices(): Promise<DeviceListResult> {
    return this.devices.list();
  }

  /**
   * Records a few seconds from a device (no VAD, no whisper) and answers the loudest level; levels are sent as input
   * levels of DEVICE_TEST_SESSION_ID meanwhile. Refused while a session records or another test runs; a device that
   * cannot record fails with SourceUnavailable and the message a session would give.
   */
  testDevice(params: DeviceTestParams, signal?: AbortSignal): Promise<DeviceTestResult> {
    return this.devices.test(params, signal);
  }

  /**
   * What Earshot finds on this machine, for a problem report from a platform the project cannot run (daemon/platform/
   * report.ts): no transcript, no audio. With recordSeconds, a device test of each source (refused while a session records).
   */
  platformReport(params: Required<PlatformReportParams>, signal?: AbortSignal): Promise<PlatformReport> {
    return this.devices.report(params, signal);
  }

  /** The whisper catalog and the notes catalog, each entry's state here, and what is used or recommended. */
  async listModels(): Promise<ModelListResult> {
    const [whisper, notes, speakers, memory] = await Promise.all([this.models.listModels(), this.notesModels.list(), this.speakerModels.list(), this.memoryModels.list()]);
    return { ...whisper, notes, speakers, memory };
  }

  /**
   * Downloads a catalog model (whisper, notes with kind 'notes', a voice model with kind 'speaker', memory's meaning
   * model with kind 'memory'); `onProgress` gets bytes done and total.
   */
  downloadModel(params: ModelDownloadParams, signal?: AbortSignal, onProgress?: (p: DownloadProgress) => void): Promise<ModelDownloadResult> {
    if (params.kind === 'speaker') return this.speakerModels.download(params, signal, onProgress);
    if (params.kind === 'memory') {
      // A model that failed to load or read is tried anew once downloaded again (repaired).
      // Its reading of the meetings starts now, so that the next question finds by meaning already.
      return this.memoryModels.download(params, signal, onProgress).then(async (result) => {
        if (result.downloaded) await this.memory.unloadModel();
        void this.memory.warmMeaning().catch(() => undefined); // a failure to load is said at the next search
        return result;
      });
    }
    return params.kind === 'notes' ? this.notesModels.download(params, signal, onProgress) : this.models.downloadModel(params, signal, onProgress);
  }

  /**
   * Delete All Data (see service/dataStore.ts): journals, per-session caches, debug audio and, optionally, downloaded
   * models; never notes, never anything outside the storage folder. Refused while a session records: its journal is the
   * durable copy of what it finalized, and stopping someone's meeting is the user's call, not a side effect.
   */
  async deleteData(params: DataDeleteParams): Promise<DataDeleteResult> {
    try {
      await this.memory.stopReading(); // its vectors files are deleted with the sessions: none may be written after
      return await this.upkeep.deleteData(params);
    } finally {
      this.memory.dropped(); // rebuilt from what storage still holds (a session another window keeps) at the next use
    }
  }

  /**
   * Meeting memory over every session in storage (validated here: params come straight from the client). The index
   * follows the journals at each request, so what was deleted or pruned is gone and what was journaled is in.
   */
  searchMemory(params: unknown): Promise<MemorySearchResult> {
    return this.memory.search(params);
  }

  memoryTodo(params: unknown): Promise<MemoryTodoResult> {
    return this.memory.todo(params);
  }

  memoryDecisions(params: unknown): Promise<MemoryDecisionsResult> {
    return this.memory.decisions(params);
  }

  memoryLines(params: unknown): Promise<MemoryLinesResult> {
    return this.memory.lines(params);
  }

  /** One of the agents' tools over the stored meetings (earshot/memory/tool; params checked there). */
  memoryTool(params: unknown): Promise<AgentToolResult> {
    return this.memory.tool(params);
  }

  memoryMeetings(): Promise<MemoryMeetingsResult> {
    return this.memory.meetings();
  }

  memoryCodeAnchors(params: unknown): Promise<MemoryCodeAnchorsResult> {
    return this.memory.codeAnchors(params);
  }

  /**
   * Applies the retention setting: deletes old session journals now and then once a day (never the running session's,
   * never notes files or models). Without a retention period it does nothing.
   */
  startRetention(): void {
    this.upkeep.startRetention();
  }

  /** Replaces the words whisper is primed with (already validated and bounded). */
  setVocabulary(words: string[]): void {
    this.pipeline.setVocabulary(words);
  }

  /** Replaces the workspace index that finals' mentions are matched against (built shortly after, in slices). */
  setWorkspaceIndex(params: WorkspaceIndexParams): void {
    this.pipeline.setWorkspaceIndex(params);
  }

  /** The user looks at another place (or no file) from `params.at` on. */
  noteEditorActivity(params: EditorActivityParams): void {
    this.pipeline.noteEditorActivity(params);
  }

  health(): HealthParams {
    return healthReport(this.config, this.models, this.sessions, this.live);
  }

  /** Finalizes an open session and frees the model: nothing is lost on a clean exit. */
  async shutdown(): Promise<void> {
    this.models.cancelUnload();
    this.upkeep.stopRetention();
    this.stored.stopTimers();
    this.devices.abortTest();
    this.autoStops.stop();
    // The session's lock, and a resume or finalization under way, are done before the process leaves.
    await this.liveSessions.stop();
    await this.stored.settled();
    await this.models.free();
    await this.memory.unloadModel();
    this.extractions.close();
  }
}
