/**
 * The JSON-RPC face of the daemon: validates every message, hands it to the service, turns the
 * service's events into notifications. Speaks over any stream pair (stdio for the extension).
 */
import {
  CancellationTokenSource, createConnection, InitializeError, InitializeParams, InitializeResult, Message, ResponseError, WorkDoneProgressServerReporter,
} from 'vscode-languageserver/node';
import {
  ActionItemNotification, DecisionNotification, DeviceList, ErrorCodes, Health, InputLevelNotification, PROTOCOL_VERSION, SessionStart,
  ModelDownload, ModelList, LanguageModelChat, ExtractionProgressNotification, ExtractionCancel, ItemRestore, SessionExport, SessionStateNotification, SessionStatus, SessionStop, SourceRetry, SourceStatusNotification, SummaryNotification, Transcript, Vocabulary,
  ActionItemSetDone, DeviceTest, EditorActivityNotification, ModelProgressNotification, SessionPause, WorkspaceIndexNotification,
} from '../../protocol/protocol';
import { DataDelete, HealthRequest, LanguageModelDiscover } from '../../protocol/protocol';
import { SessionInterrupted, SessionResume, SessionTranscript } from '../../protocol/protocol';
import { MemoryChangedNotification, MemoryDecisions, MemoryMeetings, MemorySearch, MemoryTodo } from '../../protocol/protocol';
import {
  InvalidParamsError, validateInitializationOptions, validateSessionExport, validateSessionStart, validateSessionStatus, validateSessionStop, validateSourceRetry, validateVocabulary,
  validateModelDownload, validateActionItemSetDone, validateDeviceTest, validateEditorActivity, validateSessionPause, validateWorkspaceIndex, validateItemRestore, validateExtractionCancel,
} from '../../protocol/validate';
import { validateDataDelete, validateLanguageModelDiscover } from '../../protocol/validate';
import { validateSessionResume, validateSessionTranscript } from '../../protocol/validate';
import { watchParent } from './orphan';
import { findCatalogModel } from '../asr/catalog';
import { selectModel } from '../asr/modelStore';
import { findNotesModel } from '../understanding/local/notesCatalog';
import { notesMirrorFromEnv } from '../understanding/local/notesModels';
import { defaultGpu, defaultNotesDir, defaultStorageDir, defaultThreads } from '../config';
import { Logger, logLevelFrom } from '../log';
import { setWhisperLog } from '../asr/whisper';
import { logRefinement } from '../understanding/providers';
import { EarshotService, ProgressReporter, ServiceError } from '../service';
import { createTransport, malformed, MALFORMED_MESSAGE, MalformedMessage, TransportOptions } from './transport';

/** How often vital signs are sent while a session streams. */
const HEALTH_INTERVAL_MS = 2000;
/** How often the client's process (initialize's processId) is checked on stdio, as vscode-languageserver does. */
const CLIENT_PROCESS_CHECK_MS = 3000;
/** How long the client may take to create a progress token before the work goes ahead without progress. */
const PROGRESS_CREATE_TIMEOUT_MS = 5000;

export interface ServerOptions {
  version: string;
  /** Called once the connection is gone and the session is finalized. */
  onExit(code: number): void;
  /**
   * 'stdio' (default): the extension's child process; `exit` ends the process and initialize's processId is watched.
   * 'socket': one client of `earshot daemon --listen`; `exit` (or a fatal transport error) closes only this connection.
   */
  mode?: 'stdio' | 'socket';
  /** Socket mode: ends this connection once what was written is sent (its close then finalizes the session). */
  closeConnection?(): void;
  /** Frame limit and policies of the transport (listen mode adds its rate limit and closes on oversized frames). */
  transport?: TransportOptions;
}

export function startServer(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, options: ServerOptions): void {
  const socketMode = options.mode === 'socket';
  /** LSP allows one initialize; a refused or failed one may be retried. */
  let initState: 'none' | 'pending' | 'done' = 'none';
  let shutdownRequested = false;
  let clientPid: number | undefined;
  /** The LSP lifecycle, enforced before vscode-languageserver sees a message (it would act on some of them first). */
  const lifecycle = (m: Message): Message | undefined => {
    const r = m as { id?: unknown; method?: unknown; params?: unknown };
    if (typeof r.method !== 'string') return m;
    const request = r.id !== undefined;
    if (request && shutdownRequested) return malformed(ErrorCodes.InvalidRequest, `${r.method.slice(0, 100)}: the daemon is shutting down (shutdown was received)`, r.id);
    if (request && r.method === 'initialize') {
      if (initState !== 'none') return malformed(ErrorCodes.InvalidRequest, `initialize: ${initState === 'done' ? 'the daemon is already initialized' : 'an initialize is already under way'}`, r.id);
      if (typeof r.params !== 'object' || r.params === null || Array.isArray(r.params)) return malformed(ErrorCodes.InvalidParams, 'initialize: params must be an object (InitializeParams)', r.id);
      initState = 'pending';
      // vscode-languageserver would watch any processId, even one of a refused initialize, and exit when it is not a
      // live process: the daemon watches it itself, after a successful initialize, and only on stdio.
      const p = r.params as { processId?: unknown };
      clientPid = typeof p.processId === 'number' && Number.isSafeInteger(p.processId) && p.processId > 0 ? p.processId : undefined;
      p.processId = null;
    } else if (request && r.method === 'shutdown') {
      if (initState !== 'done') return malformed(ErrorCodes.ServerNotInitialized, 'shutdown: the daemon is not initialized', r.id);
      shutdownRequested = true;
    } else if (!request && r.method === 'exit' && socketMode) {
      // One client of a listening daemon leaves: its connection closes, the daemon stays.
      options.closeConnection?.();
      return undefined;
    }
    return m;
  };
  const transport = createTransport(input, output, { ...options.transport, gates: [...(options.transport?.gates ?? []), lifecycle] });
  const { reader, writer } = transport;
  const connection = createConnection(reader, writer, { messageStrategy: transport.messageStrategy });
  // Once the client is gone the connection throws on every send; the session still has to be finalized, so
  // notifications are dropped from then on and log lines go to stderr.
  let clientGone = false;
  const notify = (send: () => Promise<void>): void => {
    if (clientGone) return;
    try {
      send().catch(() => undefined);
    } catch {
      // the connection closed under us
    }
  };
  const log = new Logger((level, line) => {
    try {
      if (!clientGone) return void connection.console[level === 'debug' ? 'log' : level](line);
    } catch {
      // the connection closed under us
    }
    process.stderr.write(line + '\n');
  }, logLevelFrom(process.env.EARSHOT_LOG_LEVEL));
  setWhisperLog(log);
  let service: EarshotService | undefined;
  let healthTimer: NodeJS.Timeout | undefined;
  /** The session and paused sources of the last 'streaming' state sent (a change sends health at once). */
  let lastPaused: string | undefined;

  const sendHealth = () => { if (service) notify(() => connection.sendNotification(Health, service!.health())); };

  /** Runs a handler; failures travel as JSON-RPC errors with their own codes and clear messages. */
  const answer = async <T>(method: string, handler: (svc: EarshotService) => Promise<T> | T): Promise<T> => {
    if (!service) throw new ResponseError(ErrorCodes.ServerNotInitialized, `${method}: the daemon is not initialized yet (send "initialize" first)`);
    try {
      return await handler(service);
    } catch (e) {
      if (e instanceof InvalidParamsError) throw new ResponseError(ErrorCodes.InvalidParams, `${method}: ${e.message}`);
      if (e instanceof ServiceError) throw new ResponseError(e.code, e.message, e.data);
      // The session recording when it failed, if any: the log's lines about one session share its id.
      const sessionId = service.activeSession?.id;
      log.error('server', 'request_failed', { ...(sessionId ? { sessionId } : {}), method, error: (e as Error).message });
      throw new ResponseError(ErrorCodes.InternalError, `${method} failed: ${(e as Error).message}`);
    }
  };

  connection.onNotification(MALFORMED_MESSAGE, (bad: MalformedMessage) => {
    // Quoted stretches are the peer's own text (JSON.parse quotes what it choked on): not for the log.
    log.warn('server', 'malformed_message', { code: bad.code, reason: bad.message.replace(/"[^"]*("|$)/g, '"…"').slice(0, 200) });
    if (bad.silent) return; // a notification: nobody waits for an answer
    void transport.answer(bad).catch(() => undefined).then(() => { if (bad.fatal) options.closeConnection?.(); });
  });

  connection.onInitialize((params) => initialize(params).finally(() => {
    initState = service ? 'done' : 'none';
    if (service && clientPid !== undefined && !socketMode) watchClientProcess(clientPid);
  }));
  async function initialize(params: InitializeParams): Promise<InitializeResult | ResponseError<InitializeError>> {
    let init;
    try {
      init = validateInitializationOptions(params.initializationOptions);
    } catch (e) {
      return new ResponseError(ErrorCodes.InvalidParams, `initialize: ${(e as Error).message}`, { retry: false });
    }
    if (init.protocolVersion !== PROTOCOL_VERSION) {
      return new ResponseError(ErrorCodes.ProtocolMismatch,
        `Earshot protocol mismatch: the client speaks version ${init.protocolVersion}, this daemon (${options.version}) speaks version ${PROTOCOL_VERSION}. Install matching versions of the extension and the daemon.`,
        { retry: false });
    }
    const storageDir = init.storageDir ?? defaultStorageDir();
    const language = init.language ?? 'en';
    let notesMirror: string | undefined;
    try {
      notesMirror = notesMirrorFromEnv();
    } catch (e) {
      return new ResponseError(ErrorCodes.InvalidParams, `initialize: ${(e as Error).message}`, { retry: false });
    }
    const selection = await selectModel({
      modelPath: init.modelPath ?? process.env.EARSHOT_MODEL, modelId: init.modelId, cacheDir: init.modelCacheDir, storageDir, language, mirror: init.modelMirror,
    });
    service = new EarshotService({
      storageDir,
      notesDir: init.notesDir ?? defaultNotesDir(),
      modelPath: selection.path,
      selection,
      ...(init.notesModelPath ? { notesModelPath: init.notesModelPath } : {}),
      ...(notesMirror ? { notesModelMirror: notesMirror } : {}),
      language,
      threads: init.threads ?? defaultThreads(),
      gpu: init.gpu ?? defaultGpu(),
      ...(init.vad ? { vad: init.vad } : {}),
      ...(init.modelIdleUnloadSec !== undefined ? { modelIdleUnloadSec: init.modelIdleUnloadSec } : {}),
      ...(init.enhancement && init.enhancement.provider !== 'off' ? { enhancement: init.enhancement } : {}),
      ...(init.retentionDays ? { retentionDays: init.retentionDays } : {}),
      ...(init.debugSaveAudio ? { debugSaveAudio: true } : {}),
      ...(init.interruptedGraceSec !== undefined ? { interruptedGraceSec: init.interruptedGraceSec } : {}),
      // The opt-in extraction with a VS Code language model: one request to the client per call, cancelled on timeout or cancel.
      askClient: async (params, signal) => {
        if (clientGone) return null;
        const cancel = new CancellationTokenSource();
        const onAbort = () => cancel.cancel();
        signal.addEventListener('abort', onAbort, { once: true });
        try {
          return await connection.sendRequest(LanguageModelChat, params, cancel.token);
        } finally {
          signal.removeEventListener('abort', onAbort);
          cancel.dispose();
        }
      },
    }, {
      transcript: (s) => {
        // Transcript text is private: only at 'debug', which the user turns on (earshot.logLevel).
        if (s.final && s.text) log.debug('session', 'final', { sessionId: s.sessionId, segmentId: s.segmentId, source: s.source, t0: s.t0, t1: s.t1, text: s.text });
        notify(() => connection.sendNotification(Transcript, s));
      },
      actionItem: (i) => notify(() => connection.sendNotification(ActionItemNotification, i)),
      decision: (d) => notify(() => connection.sendNotification(DecisionNotification, d)),
      state: (s) => {
        log.info('session', 'state', { sessionId: s.sessionId, state: s.state, mode: s.mode, ...(s.paused.length ? { paused: s.paused } : {}), ...(s.error ? { error: s.error } : {}) });
        clearInterval(healthTimer);
        healthTimer = s.state === 'streaming' ? setInterval(sendHealth, HEALTH_INTERVAL_MS) : undefined;
        // The session's last health goes before its 'done', so a client that reads the counters on 'done' has them.
        if (s.state === 'done') {
          sendHealth();
          notify(() => connection.sendNotification(MemoryChangedNotification, { sessionId: s.sessionId }));
        }
        notify(() => connection.sendNotification(SessionStateNotification, s));
        // A pause or resume shows in the health's sources at once.
        const pausedKey = `${s.sessionId}:${s.paused.join()}`;
        if (s.state === 'streaming' && lastPaused !== undefined && lastPaused !== pausedKey && lastPaused.startsWith(`${s.sessionId}:`)) sendHealth();
        lastPaused = s.state === 'streaming' ? pausedKey : undefined;
      },
      sourceStatus: (st) => {
        // Faults are worth a warning in the log; the user sees them as notifications with a Retry action.
        const entry = { sessionId: st.sessionId, source: st.source, state: st.state, recorder: st.recorder, ...(st.reason ? { reason: st.reason } : {}) };
        if (st.state === 'failed' || st.state === 'stalled') log.warn('capture', 'source_status', entry);
        else log.info('capture', 'source_status', entry);
        notify(() => connection.sendNotification(SourceStatusNotification, st));
      },
      echoSuppressed: (sessionId, segmentId, score, final) => {
        if (final) log.info('session', 'echo_suppressed', { sessionId, segmentId, score: Number(score.toFixed(3)) });
      },
      summary: (params) => notify(() => connection.sendNotification(SummaryNotification, params)),
      inputLevel: (level) => notify(() => connection.sendNotification(InputLevelNotification, level)),
      degrade: (level, name) => {
        const sessionId = service?.activeSession?.id;
        log.warn('asr', 'degrade', { ...(sessionId ? { sessionId } : {}), level, name });
        sendHealth();
      },
      refinement: (r) => logRefinement(log, r),
      extractionProgress: (p) => {
        if (p.state !== 'running') log.info('notes', 'model_extraction', { sessionId: p.sessionId, state: p.state, chunks: p.chunks, finished: p.finished, failed: p.failed, tokens: p.tokens });
        notify(() => connection.sendNotification(ExtractionProgressNotification, p));
      },
      modelState: (state) => {
        log.info('asr', 'model_state', { state, ...(state === 'error' ? { error: service?.engine.error } : {}) });
        sendHealth();
      },
      modelProgress: (p) => {
        if (p.phase !== 'download') log.info('asr', 'model_progress', { model: p.model, phase: p.phase, ...(p.message ? { message: p.message } : {}) });
        notify(() => connection.sendNotification(ModelProgressNotification, p));
      },
      recovery: (r) => {
        const entry = { ...(r.sessionId ? { sessionId: r.sessionId } : {}), ...(r.error ? { error: r.error } : {}) };
        if (r.action === 'failed') log.warn('session', 'recovery_failed', entry);
        else log.info('session', `recovery_${r.action}`, entry);
        if (r.action === 'finalized' && r.sessionId) notify(() => connection.sendNotification(MemoryChangedNotification, { sessionId: r.sessionId }));
      },
      memorySkipped: (sessionId, error) => log.warn('memory', 'journal_unreadable', { sessionId, error }),
      debugAudioFailed: (sessionId, source, error) => log.warn('capture', 'debug_audio_failed', { sessionId, source, error }),
      retention: (r) => {
        // Session ids only: names of journals, never their contents.
        const entry = { deleted: r.deleted.length, ...(r.failed.length ? { failed: r.failed } : {}) };
        if (r.failed.length) log.warn('storage', 'retention', entry);
        else log.info('storage', 'retention', entry);
        if (r.deleted.length) notify(() => connection.sendNotification(MemoryChangedNotification, {}));
      },
    });
    service.startRetention();
    void service.startRecovery();
    log.info('server', 'initialized', {
      client: params.clientInfo?.name ?? null, protocolVersion: PROTOCOL_VERSION,
      ...(init.enhancement && init.enhancement.provider !== 'off' ? { enhancement: init.enhancement.provider } : {}),
      ...(init.debugSaveAudio ? { debugSaveAudio: true } : {}),
    });
    return {
      capabilities: { experimental: { earshot: { protocolVersion: PROTOCOL_VERSION, version: options.version, pid: process.pid } } },
      serverInfo: { name: 'earshot', version: options.version },
    };
  }

  connection.onRequest(SessionStart, (params) => answer(SessionStart.method, async (svc) => {
    const valid = validateSessionStart(params);
    const result = await svc.startSession(valid, modelProgress);
    log.info('session', 'started', { sessionId: result.sessionId, sources: valid.sources, mode: valid.mode ?? 'meeting' });
    return result;
  }));
  connection.onNotification(Vocabulary, (params) => {
    try {
      service?.setVocabulary(validateVocabulary(params).words);
    } catch (e) {
      log.warn('server', 'bad_vocabulary', { reason: (e as Error).message }); // a notification has no one to answer
    }
  });
  connection.onRequest(ModelList, () => answer(ModelList.method, (svc) => svc.listModels()));
  connection.onRequest(ModelDownload, (params, token) => answer(ModelDownload.method, async (svc) => {
    const valid = validateModelDownload(params);
    const notes = valid.kind === 'notes';
    if (!(notes ? findNotesModel(valid.modelId) : findCatalogModel(valid.modelId))) return svc.downloadModel(valid); // answers with the list of known ids
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    const progress = await workDoneProgress();
    progress?.token.onCancellationRequested(() => abort.abort());
    progress?.begin(`Downloading ${notes ? 'notes' : 'whisper'} model ${valid.modelId}`, 0, undefined, true);
    try {
      const result = await svc.downloadModel(valid, abort.signal, (p) => {
        const percent = p.bytesTotal ? Math.floor((100 * p.bytesDone) / p.bytesTotal) : undefined;
        progress?.report(percent ?? 0, `${(p.bytesDone / 1e6).toFixed(0)} of ${p.bytesTotal ? (p.bytesTotal / 1e6).toFixed(0) : '?'} MB`);
      });
      log.info(notes ? 'understanding' : 'asr', 'model_downloaded', { modelId: result.modelId, bytes: result.bytes, resumedFrom: result.resumedFrom });
      return result;
    } finally {
      progress?.done();
    }
  }));
  connection.onRequest(SessionStop, (params) => answer(SessionStop.method, (svc) => svc.stopSession(validateSessionStop(params).sessionId)));
  connection.onRequest(SessionExport, (params) => answer(SessionExport.method, (svc) => svc.exportSession(validateSessionExport(params))));
  connection.onRequest(DeviceList, () => answer(DeviceList.method, (svc) => svc.listDevices()));
  connection.onRequest(SourceRetry, (params) => answer(SourceRetry.method, (svc) => {
    svc.retrySource(validateSourceRetry(params));
    return null;
  }));
  connection.onRequest(SessionResume, (params) => answer(SessionResume.method, async (svc) => {
    const valid = validateSessionResume(params);
    const result = await svc.resumeSession(valid, modelProgress);
    log.info('session', 'resumed_after_interruption', { sessionId: result.sessionId, segments: result.transcript.segments.length });
    return result;
  }));
  connection.onRequest(SessionTranscript, (params) => answer(SessionTranscript.method, (svc) => svc.sessionTranscript(validateSessionTranscript(params).sessionId)));
  connection.onRequest(SessionInterrupted, () => answer(SessionInterrupted.method, async (svc) => ({ sessions: await svc.interruptedSessions() })));
  connection.onRequest(SessionStatus, (params) => answer(SessionStatus.method, (svc) => svc.status(validateSessionStatus(params).sessionId)));
  connection.onRequest(SessionPause, (params) => answer(SessionPause.method, async (svc) => {
    const valid = validateSessionPause(params);
    const result = await svc.pauseSession(valid);
    log.info('session', valid.paused ? 'paused' : 'resumed', { sessionId: valid.sessionId, ...(valid.source ? { source: valid.source } : {}), paused: result.paused });
    return result;
  }));
  connection.onRequest(DeviceTest, (params, token) => answer(DeviceTest.method, async (svc) => {
    const valid = validateDeviceTest(params);
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    const result = await svc.testDevice(valid, abort.signal);
    log.info('capture', 'device_test', { source: result.source, recorder: result.recorder, peakDbfs: result.peakDbfs, rmsDbfs: result.rmsDbfs, heard: result.heard });
    return result;
  }));
  connection.onRequest(DataDelete, (params) => answer(DataDelete.method, async (svc) => {
    const result = await svc.deleteData(validateDataDelete(params));
    // Counts only: no file names (they are session ids and dates, but the log is no place for an inventory).
    log.info('storage', 'data_deleted', {
      journals: result.journals.files, sessionCaches: result.sessionCaches.files, debugAudio: result.debugAudio.files, models: result.models.files,
      bytes: result.bytes, linksNotFollowed: result.linksNotFollowed.length, kept: result.kept.length,
    });
    notify(() => connection.sendNotification(MemoryChangedNotification, {}));
    return result;
  }));
  connection.onRequest(HealthRequest, () => answer(HealthRequest.method, (svc) => svc.health()));
  connection.onRequest(ItemRestore, (params) => answer(ItemRestore.method, async (svc) => {
    const item = await svc.restoreItem(validateItemRestore(params));
    notify(() => connection.sendNotification(MemoryChangedNotification, { sessionId: item.sessionId }));
    return item;
  }));
  connection.onRequest(ExtractionCancel, (params) => answer(ExtractionCancel.method, (svc) => {
    const valid = validateExtractionCancel(params);
    const result = svc.cancelExtraction(valid.sessionId);
    log.info('notes', 'model_extraction_cancel', { sessionId: valid.sessionId, cancelled: result.cancelled });
    return result;
  }));
  connection.onRequest(LanguageModelDiscover, (params, token) => answer(LanguageModelDiscover.method, async (svc) => {
    const valid = validateLanguageModelDiscover(params);
    const abort = new AbortController();
    token?.onCancellationRequested(() => abort.abort()); // absent when the params came as an array
    const result = await svc.discoverLanguageModels(valid, abort.signal);
    // Kinds and counts only: model names say what the user runs, which the log has no need of.
    log.info('notes', 'local_servers_found', { servers: result.servers.map((s) => `${s.kind}:${s.state}:${s.models.length}`) });
    return result;
  }));
  connection.onRequest(ActionItemSetDone, (params) => answer(ActionItemSetDone.method, async (svc) => {
    const item = await svc.setActionItemDone(validateActionItemSetDone(params));
    notify(() => connection.sendNotification(MemoryChangedNotification, { sessionId: item.sessionId }));
    return item;
  }));
  // Meeting memory: the service checks the params; the log gets counts only, never a query or a line.
  connection.onRequest(MemorySearch, (params) => answer(MemorySearch.method, async (svc) => {
    const result = await svc.searchMemory(params);
    log.debug('memory', 'search', { passages: result.passages.length, sessions: result.sessions });
    return result;
  }));
  connection.onRequest(MemoryTodo, (params) => answer(MemoryTodo.method, (svc) => svc.memoryTodo(params)));
  connection.onRequest(MemoryDecisions, (params) => answer(MemoryDecisions.method, (svc) => svc.memoryDecisions(params)));
  connection.onRequest(MemoryMeetings, () => answer(MemoryMeetings.method, (svc) => svc.memoryMeetings()));
  connection.onNotification(WorkspaceIndexNotification, (params) => {
    try {
      service?.setWorkspaceIndex(validateWorkspaceIndex(params));
    } catch (e) {
      log.warn('server', 'bad_workspace_index', { reason: (e as Error).message }); // a notification has no one to answer
    }
  });
  connection.onNotification(EditorActivityNotification, (params) => {
    try {
      service?.noteEditorActivity(validateEditorActivity(params));
    } catch (e) {
      log.warn('server', 'bad_editor_activity', { reason: (e as Error).message });
    }
  });

  /** Progress is a courtesy: a client that refuses to create it, or never answers, still gets its work done. */
  async function workDoneProgress(): Promise<WorkDoneProgressServerReporter | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), PROGRESS_CREATE_TIMEOUT_MS); });
    try {
      return await Promise.race([connection.window.createWorkDoneProgress().catch(() => undefined), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A `$/progress` reporter for model loading, when the model still has to be loaded. */
  async function modelProgress(): Promise<ProgressReporter | undefined> {
    if (!service || service.engine.state === 'ready') return undefined;
    const progress = await workDoneProgress();
    if (!progress) return undefined;
    return { begin: (title, message) => progress.begin(title, undefined, message), done: () => progress.done() };
  }

  /** Finalizes the open session and frees the model, once (shutdown, then the client leaving, both ask for it). */
  let finalizing: Promise<void> | undefined;
  const finalize = () => finalizing ??= (async () => {
    clearInterval(healthTimer);
    await service?.shutdown().catch((e: Error) => log.error('server', 'shutdown_failed', { error: e.message }));
  })();
  connection.onShutdown(() => finalize());

  // The client went away (closed stdin or the socket, or its process is gone): finalize what is open, then leave.
  let exiting = false;
  const leave = () => {
    if (exiting) return;
    exiting = true;
    clientGone = true;
    void finalize().finally(() => options.onExit(0));
  };
  reader.onClose(leave);
  // The extension's daemon whose parent died (the pipe may outlive it): finalize and leave, as when stdin closes.
  if (!socketMode && input === process.stdin) {
    watchParent(() => {
      log.warn('server', 'parent_process_gone', {});
      leave();
    });
  }

  function watchClientProcess(pid: number): void {
    const timer = setInterval(() => {
      try {
        process.kill(pid, 0);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EPERM') return; // alive, someone else's
        clearInterval(timer);
        log.warn('server', 'client_process_gone', { pid });
        leave();
      }
    }, CLIENT_PROCESS_CHECK_MS);
    timer.unref();
  }

  connection.listen();
}
