/**
 * What every request handler of the JSON-RPC server shares (server.ts builds it once per connection): the connection,
 * the log, the service once initialized, and the few rules all handlers follow: failures travel as JSON-RPC errors with
 * their own codes, notifications stop once the client is gone, progress is a courtesy. Registers no handler itself.
 */
import { Connection, ResponseError, WorkDoneProgressServerReporter } from 'vscode-languageserver/node';
import { ErrorCodes } from '../../protocol/protocol';
import { InvalidParamsError } from '../../protocol/validate';
import { Logger } from '../log';
import { EarshotService, ProgressReporter, ServiceError } from '../service';

/** How long the client may take to create a progress token before the work goes ahead without progress. */
const PROGRESS_CREATE_TIMEOUT_MS = 5000;

/** One connection's mutable state: the service after a successful initialize; clientGone once the client left. */
export interface ConnectionState {
  service: EarshotService | undefined;
  clientGone: boolean;
}

export interface RpcContext {
  readonly connection: Connection;
  readonly log: Logger;
  readonly state: ConnectionState;
  /** Sends a notification; once the client is gone the connection throws on every send, so it is dropped instead. */
  notify(send: () => Promise<void>): void;
  /** Runs a handler; failures travel as JSON-RPC errors with their own codes and clear messages. */
  answer<T>(method: string, handler: (svc: EarshotService) => Promise<T> | T): Promise<T>;
  /** A `$/progress` reporter, or none when the client refuses to create it or does not answer in time. */
  workDoneProgress(): Promise<WorkDoneProgressServerReporter | undefined>;
  /** A `$/progress` reporter for model loading, when the model still has to be loaded. */
  modelProgress(): Promise<ProgressReporter | undefined>;
}

export function rpcContext(connection: Connection, log: Logger, state: ConnectionState): RpcContext {
  const notify = (send: () => Promise<void>): void => {
    if (state.clientGone) return;
    try {
      send().catch(() => undefined);
    } catch {
      // the connection closed under us
    }
  };

  const answer = async <T>(method: string, handler: (svc: EarshotService) => Promise<T> | T): Promise<T> => {
    const service = state.service;
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

  /** Progress is a courtesy: a client that refuses to create it, or never answers, still gets its work done. */
  const workDoneProgress = async (): Promise<WorkDoneProgressServerReporter | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), PROGRESS_CREATE_TIMEOUT_MS); });
    try {
      return await Promise.race([connection.window.createWorkDoneProgress().catch(() => undefined), late]);
    } finally {
      clearTimeout(timer);
    }
  };

  const modelProgress = async (): Promise<ProgressReporter | undefined> => {
    if (!state.service || state.service.engine.state === 'ready') return undefined;
    const progress = await workDoneProgress();
    if (!progress) return undefined;
    return { begin: (title, message) => progress.begin(title, undefined, message), done: () => progress.done() };
  };

  return { connection, log, state, notify, answer, workDoneProgress, modelProgress };
}
