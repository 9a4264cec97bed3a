// extension/client/: the daemon's process and connection in this window. One daemon, started, restarted and stopped in
// the order asked (daemonLifecycle.ts); when a dead one is restarted and when a crash loop gives up (crashPolicy.ts);
// the JSON-RPC client and the daemon's notifications as events (client.ts); a restart for changed daemon settings
// (settingsWatcher.ts). Imports models/ (it relays the daemon's language-model calls) and settings/; nothing that draws
// the window.
/**
 * The extension's connection to the daemon: starts `earshot daemon` as a language server over stdio
 * with VS Code's own Node, checks the protocol version, restarts it when it dies (LanguageClient's
 * error handler), and re-exposes the daemon's notifications as VS Code events.
 */
import * as vscode from 'vscode';
import { DAEMON_ALLOCATOR_ENV, DAEMON_NODE_FLAGS } from '../../protocol/allocator';
import { CloseAction, ErrorAction, LanguageClient, LanguageClientOptions, ServerOptions, State, TransportKind } from 'vscode-languageclient/node';
import {
  ActionItem, ActionItemNotification, Decision, DecisionNotification, DeviceList, DeviceListResult, EarshotServerCapabilities, HealthParams, Health,
  InputLevelNotification, InputLevelParams, LiveSourceKind, SessionExport, SessionExportParams, SessionExportResult, SourceRetry, SourceStatusNotification, SourceStatusParams, SummaryNotification, SummaryParams,
  ActionItemSetDone, DeviceTest, DeviceTestParams, DeviceTestResult, PlatformReport, PlatformReportParams, PlatformReportRequest, EditorActivityNotification, EditorActivityParams, ModelProgressNotification, ModelProgressParams,
  SessionPause, SessionPauseResult, WorkspaceIndexNotification, WorkspaceIndexParams,
  SpeakerRename, SpeakerRenameParams, SpeakerRenameResult, InitializationOptions, ModelDownload, LanguageModelChat, ExtractionProgressNotification, ExtractionProgressParams, ExtractionCancel, ItemRestore, ModelDownloadParams, ModelDownloadResult, ModelList, ModelListResult, PROTOCOL_VERSION, SessionStart, SessionStartParams, SessionStartResult, SessionStateNotification,
  SessionStateParams, SessionStatus, SessionStatusResult, SessionStop, SessionStopResult, Transcript, TranscriptRelabel, TranscriptRelabelParams, TranscriptSegment, Vocabulary,
} from '../../protocol/protocol';
import { DataDelete, DataDeleteParams, DataDeleteResult, HealthRequest, LanguageModelDiscover, LanguageModelDiscoverResult } from '../../protocol/protocol';
import {
  InterruptedSession, SessionInterrupted, SessionResume, SessionResumeParams, SessionResumeResult, SessionTranscript, SessionTranscriptResult,
} from '../../protocol/protocol';
import {
  MemoryChangedNotification, MemoryChangedParams, MemoryCodeAnchors, MemoryCodeAnchorsResult, MemoryDecisions, MemoryDecisionsParams, MemoryDecisionsResult, MemoryLines, MemoryLinesParams, MemoryLinesResult, MemoryMeetings, MemoryMeeting,
  MemorySearch, MemorySearchParams, MemorySearchResult, MemoryTodo, MemoryTodoParams, MemoryTodoResult,
} from '../../protocol/protocol';
import { AgentToolResult, MemoryTool, MemoryToolParams } from '../../protocol/agentTools';
import { NotesRewrite, NotesWrittenNotification, NotesWrittenParams, PartialsWanted } from '../../protocol/protocol';
import {
  AutoStopCancel, AutoStopNotification, AutoStopStateParams, CallsChangedNotification, CallsChangedParams, CallsListResult, CallsWatch, TemplatesList,
  TemplatesListResult,
} from '../../protocol/protocol';
import { RestartDecision, RestartPolicy } from './crashPolicy';
import { DaemonLifecycle } from './daemonLifecycle';
import { chatWithLanguageModel } from '../models/languageModel';
import { EarshotSettings } from '../settings/settings';

export class DaemonClient implements vscode.Disposable {
  /** Starts, restarts and stops happen one at a time: overlapping restarts left a daemon running unowned. */
  private readonly lifecycle = new DaemonLifecycle<LanguageClient>({
    create: () => this.createClient(),
    start: (client) => this.startClient(client),
    stop: (client) => client.stop(this.stopTimeoutMs()),
    phase: (client) => client.state === State.Running ? 'running' : client.state === State.Starting ? 'starting' : 'stopped',
  });
  private readonly emitters = {
    transcript: new vscode.EventEmitter<TranscriptSegment>(),
    relabel: new vscode.EventEmitter<TranscriptRelabelParams>(),
    actionItem: new vscode.EventEmitter<ActionItem>(),
    decision: new vscode.EventEmitter<Decision>(),
    sessionState: new vscode.EventEmitter<SessionStateParams>(),
    health: new vscode.EventEmitter<HealthParams>(),
    sourceStatus: new vscode.EventEmitter<SourceStatusParams>(),
    inputLevel: new vscode.EventEmitter<InputLevelParams>(),
    summary: new vscode.EventEmitter<SummaryParams>(),
    modelProgress: new vscode.EventEmitter<ModelProgressParams>(),
    extractionProgress: new vscode.EventEmitter<ExtractionProgressParams>(),
    memoryChanged: new vscode.EventEmitter<MemoryChangedParams>(),
    notesWritten: new vscode.EventEmitter<NotesWrittenParams>(),
    callsChanged: new vscode.EventEmitter<CallsChangedParams>(),
    autoStop: new vscode.EventEmitter<AutoStopStateParams>(),
    daemonExit: new vscode.EventEmitter<void>(),
    daemonStart: new vscode.EventEmitter<void>(),
    daemonCrash: new vscode.EventEmitter<RestartDecision>(),
  };
  readonly onTranscript = this.emitters.transcript.event;
  /** Finals whose speaker changed (the panel replaces their lines). */
  readonly onRelabel = this.emitters.relabel.event;
  readonly onActionItem = this.emitters.actionItem.event;
  readonly onDecision = this.emitters.decision.event;
  readonly onSessionState = this.emitters.sessionState.event;
  readonly onHealth = this.emitters.health.event;
  readonly onSourceStatus = this.emitters.sourceStatus.event;
  readonly onInputLevel = this.emitters.inputLevel.event;
  readonly onSummary = this.emitters.summary.event;
  readonly onModelProgress = this.emitters.modelProgress.event;
  /** The opt-in language-model extraction at stop: chunk by chunk, then how it ended. */
  readonly onExtractionProgress = this.emitters.extractionProgress.event;
  /** The meeting memory changed (a session finalized, an item ticked, data deleted): the Action items view refreshes. */
  readonly onMemoryChanged = this.emitters.memoryChanged.event;
  /**
   * The daemon wrote a session's notes file (a remote window's mirror copies it into the workspace:
   * remote/remoteNotes.ts).
   */
  readonly onNotesWritten = this.emitters.notesWritten.event;
  /** While a calls watch is on (watchCalls): an app started or stopped using the microphone (extension/calls/). */
  readonly onCallsChanged = this.emitters.callsChanged.event;
  /** A meeting started for a call: its auto-stop's state (the panel's countdown). */
  readonly onAutoStop = this.emitters.autoStop.event;
  /** The daemon process went away (it is restarted on the next request, or by LanguageClient). */
  readonly onDaemonExit = this.emitters.daemonExit.event;
  /**
   * A daemon answered `initialize` and runs (the first start, a restart, or LanguageClient's automatic restart after a
   * crash): state the daemon keeps only in memory (the workspace index) is sent again on this.
   */
  readonly onDaemonStart = this.emitters.daemonStart.event;
  /**
   * The daemon died without being asked to stop (killed, crashed): fired at once, with whether it is restarted (after
   * `delayMs`; onDaemonStart follows) or a crash loop gave up. Its session is for the caller to resume (see
   * health/recovery.ts).
   */
  readonly onDaemonCrash = this.emitters.daemonCrash.event;
  private readonly restarts = new RestartPolicy();
  /** The last session state the daemon sent: a session still open gets time to be finalized when the daemon is stopped. */
  private lastState: SessionStateParams | undefined;

  constructor(private readonly context: vscode.ExtensionContext, private readonly output: vscode.LogOutputChannel) {}

  /** Starts the daemon if it is not running; resolves once it answered `initialize`. */
  ensureStarted(): Promise<LanguageClient> {
    // After dispose() a late request (e.g. stopping a dictation while VS Code closes) is refused, starting nothing.
    return this.lifecycle.started();
  }

  /** A LanguageClient for a new daemon, with the settings of now; its events count only while it is the current one. */
  private createClient(): LanguageClient {
    const settings = EarshotSettings.read();
    const daemon = this.context.asAbsolutePath('bin/earshot.js');
    const run = {
      module: daemon,
      args: ['daemon'],
      transport: TransportKind.stdio,
      // Memory stays flat over long sessions only with these (protocol/allocator.ts): read at process start.
      options: { env: { ...process.env, ...DAEMON_ALLOCATOR_ENV, EARSHOT_LOG_LEVEL: settings.logLevel }, execArgv: [...DAEMON_NODE_FLAGS] },
    };
    const serverOptions: ServerOptions = { run, debug: run };
    const initializationOptions: InitializationOptions = {
      protocolVersion: PROTOCOL_VERSION,
      storageDir: this.context.globalStorageUri.fsPath,
      notesDir: settings.notesDir(this.context),
      ...(settings.modelPath ? { modelPath: settings.modelPath } : {}),
      ...(settings.modelId ? { modelId: settings.modelId } : {}),
      ...(settings.modelCacheDir ? { modelCacheDir: settings.modelCacheDir } : {}),
      ...(settings.modelMirror ? { modelMirror: settings.modelMirror } : {}),
      ...(settings.notesModelPath ? { notesModelPath: settings.notesModelPath } : {}),
      modelIdleUnloadSec: settings.modelIdleUnloadSec,
      vad: { profile: settings.vadProfile },
      ...(settings.gpu !== undefined ? { gpu: settings.gpu } : {}),
      language: settings.language,
      ...(settings.threads > 0 ? { threads: settings.threads } : {}),
      ...(settings.enhancement.provider !== 'off' ? { enhancement: settings.enhancement } : {}),
      ...(settings.retentionDays > 0 ? { retentionDays: settings.retentionDays } : {}),
      ...(settings.debugSaveAudio ? { debugSaveAudio: true } : {}),
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [], // no language features: the daemon only speaks the Earshot protocol
      outputChannel: this.output,
      initializationOptions,
      // A crash is restarted with backoff (a crash loop gives up), and reported first so the session can be resumed.
      errorHandler: {
        error: (_error, _message, count) => ({ action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown }),
        closed: async () => {
          // One stopped or replaced meanwhile is not a crash of this window's daemon: nothing to resume, nothing to restart.
          if (!this.lifecycle.isCurrent(client)) return { action: CloseAction.DoNotRestart, handled: true };
          const decision = this.restarts.crashed(Date.now());
          this.output.warn(`daemon exited unexpectedly; ${decision.restart ? `restarting${decision.delayMs ? ` in ${decision.delayMs} ms` : ''} (attempt ${decision.attempt})` : decision.message}`);
          this.emitters.daemonCrash.fire(decision);
          if (!decision.restart) return { action: CloseAction.DoNotRestart, handled: true };
          if (decision.delayMs) await new Promise((resolve) => setTimeout(resolve, decision.delayMs));
          return { action: this.lifecycle.disposed || !this.lifecycle.isCurrent(client) ? CloseAction.DoNotRestart : CloseAction.Restart, handled: true };
        },
      },
      initializationFailedHandler: (error) => {
        void vscode.window.showErrorMessage(`Earshot daemon failed to start: ${error instanceof Error ? error.message : String(error)}`);
        return false; // a version mismatch or bad settings will not fix themselves by retrying
      },
    };
    const client = new LanguageClient('earshot', 'Earshot Daemon', serverOptions, clientOptions);
    client.onNotification(Transcript, (s) => this.emitters.transcript.fire(s));
    client.onNotification(TranscriptRelabel, (p) => this.emitters.relabel.fire(p));
    client.onNotification(ActionItemNotification, (i) => this.emitters.actionItem.fire(i));
    client.onNotification(DecisionNotification, (d) => this.emitters.decision.fire(d));
    client.onNotification(SessionStateNotification, (s) => {
      this.lastState = s;
      this.emitters.sessionState.fire(s);
    });
    client.onNotification(Health, (h) => this.emitters.health.fire(h));
    client.onNotification(SourceStatusNotification, (s) => this.emitters.sourceStatus.fire(s));
    client.onNotification(InputLevelNotification, (l) => this.emitters.inputLevel.fire(l));
    client.onNotification(SummaryNotification, (s) => this.emitters.summary.fire(s));
    client.onNotification(ModelProgressNotification, (p) => this.emitters.modelProgress.fire(p));
    // Opt-in (earshot.enhancement.provider 'vscode-lm'): the daemon asks at stop, one call per chunk; null declines.
    client.onRequest(LanguageModelChat, (params, token) => chatWithLanguageModel(params, EarshotSettings.read().enhancement, this.output, token));
    client.onNotification(ExtractionProgressNotification, (p) => this.emitters.extractionProgress.fire(p));
    client.onNotification(MemoryChangedNotification, (p) => this.emitters.memoryChanged.fire(p));
    client.onNotification(NotesWrittenNotification, (p) => this.emitters.notesWritten.fire(p));
    client.onNotification(CallsChangedNotification, (p) => this.emitters.callsChanged.fire(p));
    client.onNotification(AutoStopNotification, (p) => this.emitters.autoStop.fire(p));
    client.onDidChangeState((e) => {
      if (e.oldState === State.Running && e.newState !== State.Running) this.emitters.daemonExit.fire();
      if (e.newState === State.Running && e.oldState !== State.Running && this.lifecycle.isCurrent(client)) this.emitters.daemonStart.fire();
    });
    return client;
  }

  /** Starts it (or joins its start under way) and checks it speaks this extension's protocol. */
  private async startClient(client: LanguageClient): Promise<void> {
    await client.start();
    const earshot = this.infoOf(client);
    if (earshot?.protocolVersion !== PROTOCOL_VERSION) {
      await client.stop();
      throw new Error(`Earshot daemon speaks protocol version ${earshot?.protocolVersion ?? 'unknown'}, this extension speaks ${PROTOCOL_VERSION}. Reinstall Earshot.`);
    }
    this.output.info(`daemon ${earshot.version} ready (protocol ${earshot.protocolVersion}, pid ${earshot.pid})`);
  }

  /** Reports a session state the daemon could not report itself (it died). */
  emitSessionState(state: SessionStateParams): void {
    this.emitters.sessionState.fire(state);
  }

  /** What the running daemon said about itself at initialize. */
  /** The meeting being recorded or finished now (not a dictation), as the daemon last said; undefined when none. */
  get liveMeeting(): Pick<SessionStateParams, 'sessionId' | 'title' | 'startedAt'> | undefined {
    const s = this.lastState;
    return s && s.mode !== 'dictation' && (s.state === 'streaming' || s.state === 'stopping' || s.state === 'finalizing') ? s : undefined;
  }

  get daemonInfo(): EarshotServerCapabilities | undefined {
    return this.infoOf(this.client);
  }

  private infoOf(client: LanguageClient | undefined): EarshotServerCapabilities | undefined {
    return (client?.initializeResult?.capabilities.experimental as { earshot?: EarshotServerCapabilities } | undefined)?.earshot;
  }

  /** The daemon's client now (undefined while a restart is between daemons). */
  private get client(): LanguageClient | undefined {
    return this.lifecycle.client;
  }

  /**
   * Starts a session. Its notes folder is decided now (settings.notesDir: the workspace, or global storage while the
   * workspace is untrusted), so trust granted since the daemon started applies to the next session without a restart.
   */
  async start(params: SessionStartParams): Promise<SessionStartResult> {
    const settings = EarshotSettings.read();
    return (await this.ensureStarted()).sendRequest(SessionStart, { notesDir: settings.notesDir(this.context), identifySpeakers: settings.identifySpeakers, ...params });
  }

  /** Names a voice of a session (the panel's rename): the daemon relabels its lines and owners and rewrites the notes. */
  async renameSpeaker(params: SpeakerRenameParams): Promise<SpeakerRenameResult> {
    return (await this.ensureStarted()).sendRequest(SpeakerRename, params);
  }

  /** Delete All Data: the daemon deletes journals, caches, debug audio and (optionally) models from its storage. */
  async deleteAllData(params: DataDeleteParams): Promise<DataDeleteResult> {
    return (await this.ensureStarted()).sendRequest(DataDelete, params);
  }

  /** The daemon's vital signs now; undefined when it is not running (this does not start it). */
  async health(): Promise<HealthParams | undefined> {
    return this.client?.isRunning() ? this.client.sendRequest(HealthRequest, {}) : undefined;
  }

  async stop(sessionId: string): Promise<SessionStopResult> {
    return (await this.ensureStarted()).sendRequest(SessionStop, { sessionId });
  }

  /** Resumes an interrupted session (its daemon died) under its id; the answer holds what the panel shows. */
  async resume(params: SessionResumeParams): Promise<SessionResumeResult> {
    return (await this.ensureStarted()).sendRequest(SessionResume, params);
  }

  /** Everything the panel shows of a session (running, or one in storage). */
  async transcript(sessionId: string): Promise<SessionTranscriptResult> {
    return (await this.ensureStarted()).sendRequest(SessionTranscript, { sessionId });
  }

  /** Sessions left interrupted in storage (their daemon died), newest first. */
  async interruptedSessions(): Promise<InterruptedSession[]> {
    return (await (await this.ensureStarted()).sendRequest(SessionInterrupted, {})).sessions;
  }

  async status(): Promise<SessionStatusResult> {
    return (await this.ensureStarted()).sendRequest(SessionStatus, {});
  }

  async exportSession(params: SessionExportParams): Promise<SessionExportResult> {
    return (await this.ensureStarted()).sendRequest(SessionExport, params);
  }

  async listDevices(): Promise<DeviceListResult> {
    return (await this.ensureStarted()).sendRequest(DeviceList, {});
  }

  /** Restarts a failed live source of the session now. */
  async retrySource(sessionId: string, source: LiveSourceKind): Promise<void> {
    await (await this.ensureStarted()).sendRequest(SourceRetry, { sessionId, source });
  }

  async listModels(): Promise<ModelListResult> {
    return (await this.ensureStarted()).sendRequest(ModelList, {});
  }

  /** The daemon reports the download's progress itself ($/progress, shown by VS Code with a Cancel button). */
  async downloadModel(params: ModelDownloadParams): Promise<ModelDownloadResult> {
    return (await this.ensureStarted()).sendRequest(ModelDownload, params);
  }

  /** Pauses or resumes the session's live sources (all of them, or one). */
  async pause(sessionId: string, paused: boolean, source?: LiveSourceKind): Promise<SessionPauseResult> {
    return (await this.ensureStarted()).sendRequest(SessionPause, { sessionId, paused, ...(source ? { source } : {}) });
  }

  /** Ticks or unticks an action item; the daemon journals it and rewrites the notes' task list. */
  /** Brings back an entry the language model dismissed. */
  async restoreItem(sessionId: string, kind: 'actionItem' | 'decision', id: string): Promise<ActionItem | Decision> {
    return (await this.ensureStarted()).sendRequest(ItemRestore, { sessionId, kind, id });
  }

  /** Ollama, LM Studio and llama.cpp servers running on this machine and their models (the daemon asks them). */
  async discoverLanguageModels(): Promise<LanguageModelDiscoverResult> {
    return (await this.ensureStarted()).sendRequest(LanguageModelDiscover, {});
  }

  /** Cancels a session's language-model extraction (in-flight calls are aborted). */
  async cancelExtraction(sessionId: string): Promise<{ cancelled: boolean }> {
    return (await this.ensureStarted()).sendRequest(ExtractionCancel, { sessionId });
  }

  /**
   * Renders a session's notes again over the file as it is now (the user's copy was put in place:
   * remote/remoteNotes.ts).
   */
  async rewriteNotes(sessionId: string): Promise<void> {
    await (await this.ensureStarted()).sendRequest(NotesRewrite, { sessionId });
  }

  async setActionItemDone(sessionId: string, id: string, done: boolean): Promise<ActionItem> {
    return (await this.ensureStarted()).sendRequest(ActionItemSetDone, { sessionId, id, done });
  }

  /** Meeting memory: passages of stored meetings that answer a question (the @earshot chat). */
  async memorySearch(params: MemorySearchParams): Promise<MemorySearchResult> {
    return this.lifecycle.read((c) => c.sendRequest(MemorySearch, params));
  }

  /** Open action items of every stored meeting, `mine` marked. */
  async memoryTodo(params: MemoryTodoParams): Promise<MemoryTodoResult> {
    return this.lifecycle.read((c) => c.sendRequest(MemoryTodo, params));
  }

  async memoryDecisions(params: MemoryDecisionsParams): Promise<MemoryDecisionsResult> {
    return this.lifecycle.read((c) => c.sendRequest(MemoryDecisions, params));
  }

  /** A stored meeting's segment and the segments around it (a decision record's context). */
  async memoryLines(params: MemoryLinesParams): Promise<MemoryLinesResult> {
    return this.lifecycle.read((c) => c.sendRequest(MemoryLines, params));
  }

  /** One agent tool run over the stored meetings (memory/agentTools.ts); `token` cancels it in the daemon. */
  async memoryTool(params: MemoryToolParams, token?: vscode.CancellationToken): Promise<AgentToolResult> {
    return this.lifecycle.read((c) => c.sendRequest(MemoryTool, params, token));
  }

  /** Every stored meeting, newest first. */
  async memoryMeetings(): Promise<MemoryMeeting[]> {
    return (await this.lifecycle.read((c) => c.sendRequest(MemoryMeetings, {}))).meetings;
  }

  /** The files of workspace folder `root` that stored meetings spoke of, with those meetings (the CodeLens and hover). */
  async memoryCodeAnchors(root: string): Promise<MemoryCodeAnchorsResult> {
    return this.lifecycle.read((c) => c.sendRequest(MemoryCodeAnchors, { root }));
  }

  /** What Earshot finds on this machine, for a problem report (daemon/platform/report.ts); with recordSeconds, a recording test of each source. */
  async platformReport(params: PlatformReportParams, token?: vscode.CancellationToken): Promise<PlatformReport> {
    return (await this.ensureStarted()).sendRequest(PlatformReportRequest, params, token);
  }

  /** Records a few seconds from a device for a level check (input levels arrive as onInputLevel). */
  async testDevice(params: DeviceTestParams, token?: vscode.CancellationToken): Promise<DeviceTestResult> {
    return (await this.ensureStarted()).sendRequest(DeviceTest, params, token);
  }

  /** The workspace's files and symbols, for links to code mentioned in the transcript. */
  async sendWorkspaceIndex(params: WorkspaceIndexParams): Promise<void> {
    if (this.client?.isRunning()) await this.client.sendNotification(WorkspaceIndexNotification, params);
  }

  /** What the user is looking at now (the daemon stamps segments with it). */
  async sendEditorActivity(params: EditorActivityParams): Promise<void> {
    if (this.client?.isRunning()) await this.client.sendNotification(EditorActivityNotification, params);
  }

  /** Tells the daemon which words to expect (identifiers from open editors). */
  async sendVocabulary(words: string[]): Promise<void> {
    if (this.client?.isRunning()) await this.client.sendNotification(Vocabulary, { words });
  }

  /** Tells the daemon whether the transcript is read as it is spoken now (it decodes partials only then). */
  async sendPartialsWanted(wanted: boolean): Promise<void> {
    if (this.client?.isRunning()) await this.client.sendNotification(PartialsWanted, { wanted });
  }

  /** Starts or stops watching the microphone's users (a watch is per daemon: sent again on onDaemonStart). */
  async watchCalls(on: boolean, intervalMs?: number): Promise<CallsListResult | undefined> {
    if (!on && !this.client?.isRunning()) return undefined; // no daemon, no watch to stop
    return (await this.ensureStarted()).sendRequest(CallsWatch, { on, ...(intervalMs ? { intervalMs } : {}) });
  }

  /** Cancels a session's auto-stop: it then runs until stopped by hand. */
  async cancelAutoStop(sessionId: string): Promise<{ cancelled: boolean }> {
    return (await this.ensureStarted()).sendRequest(AutoStopCancel, { sessionId });
  }

  /** The notes templates a meeting can use: the shipped ones and those in `templatesDir` (a trusted workspace's). */
  async listTemplates(templatesDir?: string): Promise<TemplatesListResult> {
    return (await this.ensureStarted()).sendRequest(TemplatesList, templatesDir ? { templatesDir } : {});
  }

  /** Stops the daemon (it finalizes any open session first) and starts a fresh one. */
  async restart(): Promise<void> {
    this.restarts.reset();
    await this.lifecycle.restart();
  }

  /**
   * LanguageClient kills a daemon that has not answered shutdown within the timeout (2 s): one finalizing a session
   * (the last decode, the notes, an opt-in refinement) gets longer.
   */
  private stopTimeoutMs(): number {
    return this.lastState && this.lastState.state !== 'done' ? 30_000 : 2000;
  }

  async dispose(): Promise<void> {
    await this.lifecycle.dispose();
    Object.values(this.emitters).forEach((e) => e.dispose());
  }
}
