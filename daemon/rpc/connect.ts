/**
 * The CLI's client for `earshot daemon --listen` (`earshot transcribe|listen --connect`): the session runs in a daemon
 * that is already running, over its authenticated TCP socket, and prints exactly what a local run prints.
 *
 * The daemon's address and token come from its token file (`<storage>/daemon.token`, mode 0600, see listen.ts); the
 * token is the first thing sent (initialize's authToken) and is never printed. Every way this can fail says which file
 * and which daemon it was about: no token file, a daemon that is gone (stale file), a token the daemon refused.
 */
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import {
  createMessageConnection, InitializedNotification, InitializeRequest, ResponseError, SocketMessageReader, SocketMessageWriter,
} from 'vscode-languageserver-protocol/node';
import {
  AutoStopNotification, AutoStopStateParams, ErrorCodes, InitializationOptions, PartialsWanted, PROTOCOL_VERSION, SessionStart, SessionStartParams, SessionStartResult, SessionStateNotification, SessionStateParams,
  SessionStop, SourceStatusNotification, SourceStatusParams, Transcript, TranscriptRelabel, TranscriptSegment,
} from '../../protocol/protocol';
import { loopbackHost, TokenFile } from './listen';
import { MAX_CONNECTIONS } from './transport';

/** How long to wait for the TCP connection and for the answer to initialize (the daemon may load nothing yet). */
const CONNECT_TIMEOUT_MS = 5000;

export class ConnectError extends Error {}

/** Reads and checks a token file; the errors say what to do. */
export async function readTokenFile(file: string): Promise<TokenFile> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConnectError(`no daemon is listening: ${file} does not exist (start one with \`earshot daemon --listen\`, or pass --token-file)`);
    if (code === 'EACCES') throw new ConnectError(`cannot read the token file ${file}: permission denied (it belongs to the user who started the daemon)`);
    throw new ConnectError(`cannot read the token file ${file}: ${(e as Error).message}`);
  }
  let parsed: Partial<TokenFile>;
  try {
    parsed = JSON.parse(text) as Partial<TokenFile>;
  } catch {
    throw new ConnectError(`${file} is not a daemon token file (not JSON)`);
  }
  const { host, port, token, pid } = parsed;
  if (typeof host !== 'string' || !Number.isInteger(port) || typeof token !== 'string' || !/^[0-9a-f]+$/.test(token) || !Number.isInteger(pid)) {
    throw new ConnectError(`${file} is not a daemon token file (it needs host, port, token and pid)`);
  }
  // The daemon listens on loopback only: a file naming another host (edited, or given with --token-file) would send the token off this machine.
  let loopback: string;
  try {
    loopback = loopbackHost(host);
  } catch {
    throw new ConnectError(`${file} names the host ${JSON.stringify(host.slice(0, 100))}, which is not this machine: the token is sent only to a daemon on loopback (127.0.0.1 or ::1)`);
  }
  return { host: loopback, port: port!, token, pid: pid! };
}

export interface ConnectedSessionEvents {
  /** Finals, and partials when `partials` is set. */
  transcript(segment: TranscriptSegment): void;
  /** Finals whose speaker changed (TranscriptRelabel), as they are now. */
  relabel?(segments: TranscriptSegment[]): void;
  /** The caller shows partial transcripts: the daemon decodes them for it (default: finals only, which cost far less). */
  partials?: boolean;
  sourceStatus?(status: SourceStatusParams): void;
  /** The session's auto-stop changed state (a session started with autoStop). */
  autoStop?(state: AutoStopStateParams): void;
}

export interface ConnectedSession {
  sessionId: string;
  started: SessionStartResult;
  /** Resolves with the session's last state (done), carrying its error if it ended on a fault. */
  done: Promise<SessionStateParams>;
  /** Asks the daemon to stop the session (its last utterance is finalized; `done` follows). */
  stop(): Promise<void>;
  /** Ends the connection politely (shutdown + exit): the daemon keeps running for its other clients. */
  close(): Promise<void>;
}

/**
 * Connects to the daemon named by `tokenFile`, authenticates, starts a session with `params` and forwards its
 * notifications to `events`.
 */
export async function startConnectedSession(
  tokenFile: string, options: Omit<InitializationOptions, 'protocolVersion' | 'authToken'>, params: SessionStartParams, events: ConnectedSessionEvents,
): Promise<ConnectedSession> {
  const info = await readTokenFile(tokenFile);
  const where = `the daemon in ${tokenFile} (pid ${info.pid}, ${info.host}:${info.port})`;
  const socket = await openSocket(info, where);
  const connection = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
  let closedBy: string | undefined;
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', (e) => { closedBy ??= e.message; });
  // The daemon asks clients that advertise it to show progress; this one does not, but answers anyway.
  connection.onRequest('window/workDoneProgress/create', () => null);
  connection.onNotification('window/logMessage', () => undefined);
  let sessionId: string | undefined;
  let resolveDone!: (state: SessionStateParams) => void;
  let rejectDone!: (e: Error) => void;
  const done = new Promise<SessionStateParams>((resolve, reject) => { resolveDone = resolve; rejectDone = reject; });
  done.catch(() => undefined); // observed by the caller once the session started; a close after done is no error
  connection.onNotification(Transcript, (segment) => { if (segment.sessionId === sessionId) events.transcript(segment); });
  connection.onNotification(TranscriptRelabel, (p) => { if (p.sessionId === sessionId) events.relabel?.(p.segments); });
  connection.onNotification(SourceStatusNotification, (status) => { if (status.sessionId === sessionId) events.sourceStatus?.(status); });
  connection.onNotification(AutoStopNotification, (state) => { if (state.sessionId === sessionId) events.autoStop?.(state); });
  connection.onNotification(SessionStateNotification, (state) => { if (state.sessionId === sessionId && state.state === 'done') resolveDone(state); });
  void closed.then(() => rejectDone(new ConnectError(`${where} closed the connection${closedBy ? ` (${closedBy})` : ''} before the session ended`)));
  connection.listen();

  const fail = (e: unknown): never => {
    connection.dispose();
    socket.destroy();
    if (e instanceof ResponseError && e.code === ErrorCodes.Unauthorized) {
      throw new ConnectError(`${where} refused the token in ${tokenFile}: ${e.message}`);
    }
    throw e instanceof ResponseError ? new ConnectError(e.message) : e;
  };
  try {
    await withTimeout(connection.sendRequest(InitializeRequest.type, {
      processId: process.pid, rootUri: null, capabilities: {}, clientInfo: { name: 'earshot-cli' },
      initializationOptions: { ...options, protocolVersion: PROTOCOL_VERSION, authToken: info.token },
    } as never), CONNECT_TIMEOUT_MS, `${where} did not answer initialize within ${CONNECT_TIMEOUT_MS / 1000} s`);
    await connection.sendNotification(InitializedNotification.type, {});
    await connection.sendNotification(PartialsWanted, { wanted: events.partials === true });
  } catch (e) {
    if (socket.destroyed) {
      return fail(new ConnectError(`${where} closed the connection while authenticating: it refused the token in ${tokenFile}, ` +
        `or it already serves its ${MAX_CONNECTIONS} connections${closedBy ? ` (${closedBy})` : ''}`));
    }
    return fail(e);
  }
  let started: SessionStartResult;
  try {
    started = await connection.sendRequest(SessionStart, params);
  } catch (e) {
    return fail(e);
  }
  sessionId = started.sessionId;

  return {
    sessionId,
    started,
    done,
    async stop() {
      await connection.sendRequest(SessionStop, { sessionId: sessionId! });
    },
    async close() {
      try {
        if (!socket.destroyed) {
          await withTimeout(connection.sendRequest('shutdown'), CONNECT_TIMEOUT_MS, 'no answer to shutdown');
          await connection.sendNotification('exit');
          socket.end();
          await withTimeout(closed, CONNECT_TIMEOUT_MS, 'the connection did not close');
        }
      } catch {
        // The daemon went away first: nothing is left to close.
      } finally {
        connection.dispose();
        socket.destroy();
      }
    },
  };
}

function openSocket(info: TokenFile, where: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: info.host, port: info.port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ConnectError(`${where} did not accept a connection within ${CONNECT_TIMEOUT_MS / 1000} s`));
    }, CONNECT_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new ConnectError(e.code === 'ECONNREFUSED'
        ? `${where} is not running (nothing listens there: the token file is stale; start one with \`earshot daemon --listen\`)`
        : `cannot reach ${where}: ${e.message}`));
    });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new ConnectError(message)), ms); }),
  ]).finally(() => clearTimeout(timer));
}
