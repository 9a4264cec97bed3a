/**
 * The `initialize` request: checks the client's initialization options and protocol version, picks the whisper model,
 * creates the service (with the client as the opt-in VS Code language model) and starts its upkeep. Owns nothing of
 * the LSP lifecycle's order (server.ts enforces that) and no other request.
 */
import { CancellationTokenSource, InitializeError, InitializeParams, InitializeResult, ResponseError } from 'vscode-languageserver/node';
import { ErrorCodes, LanguageModelChat, PROTOCOL_VERSION } from '../../protocol/protocol';
import { validateInitializationOptions } from '../../protocol/validate';
import { selectModel } from '../models/whisperModels';
import { notesMirrorFromEnv } from '../models/notesModels';
import { defaultGpu, defaultNotesDir, defaultStorageDir, defaultThreads } from '../config';
import { EarshotService, ServiceEvents } from '../service';
import { RpcContext } from './context';
import { uncaughtErrorCount } from './uncaught';

/** Answers `initialize`; on success the service is in `ctx.state.service`. */
export async function initialize(ctx: RpcContext, params: InitializeParams, version: string, events: ServiceEvents): Promise<InitializeResult | ResponseError<InitializeError>> {
  let init;
  try {
    init = validateInitializationOptions(params.initializationOptions);
  } catch (e) {
    return new ResponseError(ErrorCodes.InvalidParams, `initialize: ${(e as Error).message}`, { retry: false });
  }
  if (init.protocolVersion !== PROTOCOL_VERSION) {
    return new ResponseError(ErrorCodes.ProtocolMismatch,
      `Earshot protocol mismatch: the client speaks version ${init.protocolVersion}, this daemon (${version}) speaks version ${PROTOCOL_VERSION}. Install matching versions of the extension and the daemon.`,
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
  const service = new EarshotService({
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
    uncaughtErrors: uncaughtErrorCount,
    // The opt-in extraction with a VS Code language model: one request to the client per call, cancelled on timeout or cancel.
    askClient: async (params, signal) => {
      if (ctx.state.clientGone) return null;
      const cancel = new CancellationTokenSource();
      const onAbort = () => cancel.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        return await ctx.connection.sendRequest(LanguageModelChat, params, cancel.token);
      } finally {
        signal.removeEventListener('abort', onAbort);
        cancel.dispose();
      }
    },
  }, events);
  ctx.state.service = service;
  service.startRetention();
  void service.startRecovery();
  ctx.log.info('server', 'initialized', {
    client: params.clientInfo?.name ?? null, protocolVersion: PROTOCOL_VERSION,
    ...(init.enhancement && init.enhancement.provider !== 'off' ? { enhancement: init.enhancement.provider } : {}),
    ...(init.debugSaveAudio ? { debugSaveAudio: true } : {}),
  });
  return {
    capabilities: { experimental: { earshot: { protocolVersion: PROTOCOL_VERSION, version, pid: process.pid } } },
    serverInfo: { name: 'earshot', version },
  };
}
