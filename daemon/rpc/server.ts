/**
 * The JSON-RPC face of the daemon: one connection's life (the LSP lifecycle enforced, initialize, shutdown, the client
 * leaving) over any stream pair (stdio for the extension, a socket for `earshot daemon --listen`). The requests
 * themselves are answered by the handler modules it registers (sessionHandlers, modelHandlers, notesHandlers,
 * memoryHandlers, editorHandlers, callHandlers), the service's events turned into notifications by serviceEvents.ts.
 */
import { createConnection, Message } from 'vscode-languageserver/node';
import { ErrorCodes } from '../../protocol/protocol';
import { watchParent } from './orphan';
import { Logger, logLevelFrom } from '../log';
import { setWhisperLog } from '../whisperAddon';
import { registerCallHandlers } from './callHandlers';
import { ConnectionState, rpcContext } from './context';
import { registerEditorHandlers } from './editorHandlers';
import { initialize } from './initialize';
import { registerMemoryHandlers } from './memoryHandlers';
import { registerModelHandlers } from './modelHandlers';
import { registerNotesHandlers } from './notesHandlers';
import { serviceNotifications } from './serviceEvents';
import { registerSessionHandlers } from './sessionHandlers';
import { createTransport, malformed, MALFORMED_MESSAGE, MalformedMessage, TransportOptions } from './transport';
import { TIMED_OUT, within } from '../../protocol/bounded';

/** How often the client's process (initialize's processId) is checked on stdio, as vscode-languageserver does. */
const CLIENT_PROCESS_CHECK_MS = 3000;

/**
 * How long finalizing may take (the session's stop, its last model chunks and notes, the model freed) before the
 * connection ends anyway: a daemon whose session hangs must still exit and free the session's lock, and the next
 * daemon's recovery finalizes the session from its journal (nothing journaled is lost). $EARSHOT_FINALIZE_LIMIT_SEC
 * changes it.
 */
export const FINALIZE_LIMIT_MS = 120_000;
/** The exit status of a daemon whose finalize ran out of time (EX_TEMPFAIL, sysexits.h). */
export const EXIT_FINALIZE_TIMED_OUT = 75;

/** The finalize limit from the environment (seconds, 1 to 3600), or FINALIZE_LIMIT_MS. */
export function finalizeLimitMs(env: NodeJS.ProcessEnv = process.env): number {
  const sec = Number(env.EARSHOT_FINALIZE_LIMIT_SEC);
  return env.EARSHOT_FINALIZE_LIMIT_SEC && Number.isFinite(sec) && sec >= 1 && sec <= 3600 ? sec * 1000 : FINALIZE_LIMIT_MS;
}

export interface ServerOptions {
  version: string;
  /**
   * Called once the connection is gone and the session is finalized: 0, or EXIT_FINALIZE_TIMED_OUT when finalizing
   * ran out of time (the session may still hold its lock: the process must exit for recovery to take it).
   */
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

/** Returns the connection's logger (on stdio, the daemon process's). */
export function startServer(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, options: ServerOptions): Logger {
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
  const state: ConnectionState = { service: undefined, clientGone: false };
  const log = new Logger((level, line) => {
    try {
      if (!state.clientGone) return void connection.console[level === 'debug' ? 'log' : level](line);
    } catch {
      // the connection closed under us
    }
    process.stderr.write(line + '\n');
  }, logLevelFrom(process.env.EARSHOT_LOG_LEVEL));
  setWhisperLog(log);
  const ctx = rpcContext(connection, log, state);
  const notifications = serviceNotifications(ctx);

  connection.onNotification(MALFORMED_MESSAGE, (bad: MalformedMessage) => {
    // Quoted stretches are the peer's own text (JSON.parse quotes what it choked on): not for the log.
    log.warn('server', 'malformed_message', { code: bad.code, reason: bad.message.replace(/"[^"]*("|$)/g, '"…"').slice(0, 200) });
    if (bad.silent) return; // a notification: nobody waits for an answer
    void transport.answer(bad).catch(() => undefined).then(() => { if (bad.fatal) options.closeConnection?.(); });
  });

  connection.onInitialize((params) => initialize(ctx, params, options.version, notifications.events).finally(() => {
    initState = state.service ? 'done' : 'none';
    if (state.service && clientPid !== undefined && !socketMode) watchClientProcess(clientPid);
  }));
  registerSessionHandlers(ctx);
  registerModelHandlers(ctx);
  registerNotesHandlers(ctx);
  registerMemoryHandlers(ctx);
  registerEditorHandlers(ctx);
  const calls = registerCallHandlers(ctx);

  /**
   * Finalizes the open session and frees the model, once (shutdown, then the client leaving, both ask for it), within
   * the finalize limit; resolves false when that ran out.
   */
  let finalizing: Promise<boolean> | undefined;
  const finalize = () => finalizing ??= (async () => {
    notifications.stopHealth();
    calls.stop();
    const limitMs = finalizeLimitMs();
    const shutdown = state.service?.shutdown().catch((e: Error) => log.error('server', 'shutdown_failed', { error: e.message }));
    if (await within(Promise.resolve(shutdown), limitMs) !== TIMED_OUT) return true;
    log.error('server', 'finalize_timed_out', { limitSec: limitMs / 1000, sessionId: state.service?.activeSession?.id ?? null, then: 'the daemon exits; recovery finalizes the session from its journal' });
    return false;
  })();
  connection.onShutdown(() => finalize().then(() => undefined));

  // The client went away (closed stdin or the socket, or its process is gone): finalize what is open, then leave.
  let exiting = false;
  const leave = () => {
    if (exiting) return;
    exiting = true;
    state.clientGone = true;
    void finalize().then((done) => options.onExit(done ? 0 : EXIT_FINALIZE_TIMED_OUT));
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
  return log;
}
