/**
 * `earshot daemon --listen [PORT]`: the daemon's JSON-RPC over TCP, for editors and tools that cannot spawn it on stdio.
 *
 * Security model: the socket is bound to loopback only (127.0.0.1 or ::1; any other address is refused), and a client
 * must prove a random token before anything it sends is processed. The token (TOKEN_BYTES random bytes, hex) is written
 * with the port to `<storage>/daemon.token`, mode 0600, so only this user can read it; the file is removed when the
 * daemon exits. The first message on a connection must be an `initialize` request whose initializationOptions carry
 * `authToken`; it is compared in constant time. A wrong or missing token, or anything else first, is answered with
 * Unauthorized (when it has an id) and the connection is closed; a connection that has not authenticated within
 * AUTH_TIMEOUT_MS is closed. At most MAX_UNAUTHENTICATED_CONNECTIONS wait to authenticate (past them the oldest is
 * closed for the newest), apart from those authenticated. Each authenticated connection is its own client, with its own
 * session and model (as if it had started its own daemon), limited to MAX_CONNECTIONS at once (one more is answered
 * RequestFailed and closed), RATE_LIMIT_PER_SEC messages a second and MAX_FRAME_BYTES a message (an oversized one is
 * answered and the connection closed). `exit` closes the connection, not the daemon.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { Message } from 'vscode-languageserver/node';
import { ErrorCodes } from '../../protocol/protocol';
import { within } from '../../protocol/bounded';
import { Logger } from '../log';
import { renameOver } from '../../protocol/renameOver';
import { EXIT_FINALIZE_TIMED_OUT, startServer } from './server';
import {
  AUTH_TIMEOUT_MS, decodeMessage, FrameParser, isMalformed, malformed, MAX_CONNECTIONS, MAX_PENDING_OUTPUT_BYTES, MAX_UNAUTHENTICATED_CONNECTIONS,
  PRE_AUTH_MAX_FRAME_BYTES, RATE_LIMIT_BURST, RATE_LIMIT_PER_SEC, TOKEN_BYTES,
} from './transport';

/** The token file's name in the storage folder. */
export const TOKEN_FILE = 'daemon.token';

/** What the token file holds (JSON). */
export interface TokenFile {
  host: string;
  port: number;
  token: string;
  pid: number;
}

export class ListenError extends Error {}

/** Hosts the daemon may listen on: loopback only, so nothing off this machine can even connect. */
export function loopbackHost(host: string): string {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '127.0.0.1') return '127.0.0.1';
  if (h === '::1') return '::1';
  throw new ListenError(`--host ${JSON.stringify(host)} is not a loopback address: the daemon only listens on 127.0.0.1 or ::1 (localhost)`);
}

function isLoopbackPeer(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

export interface ListenOptions {
  /** 127.0.0.1, ::1 or localhost (anything else is refused). */
  host: string;
  /** 0: a free port, chosen by the system (it is in the token file). */
  port: number;
  /** Where the token file goes. */
  storageDir: string;
  version: string;
  log: Logger;
  /** A connection's finalize ran out of time (its session may hold its lock): the daemon must exit (runListenDaemon). */
  onStuck?(): void;
}

export interface Listener {
  host: string;
  port: number;
  tokenFile: string;
  /** Stops listening, closes every connection (their sessions are finalized) and removes the token file. */
  close(): Promise<void>;
}

export async function startListener(options: ListenOptions): Promise<Listener> {
  const host = loopbackHost(options.host);
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new ListenError(`port ${options.port} is not a TCP port (0–65535)`);
  const { log } = options;
  const token = randomBytes(TOKEN_BYTES).toString('hex');
  const tokenDigest = createHash('sha256').update(token).digest();
  const tokenFile = path.join(options.storageDir, TOKEN_FILE);
  await refuseIfAnotherDaemon(tokenFile);

  /** Open connections; `stop` ends one (an authenticated one finalizes its session first). */
  const connections = new Set<{ connection: number; finished: Promise<void>; stop(): void }>();
  /** Of those, the ones still to prove the token (oldest first), and those that proved it. */
  const unauthenticated = new Set<{ connection: number; stop(): void }>();
  const authenticated = new Set<object>();
  let nextConnection = 1;
  // Half-open allowed: a client may send its requests and end its side, and still read the answers.
  const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
    const connection = nextConnection++;
    if (!isLoopbackPeer(socket.remoteAddress)) {
      log.warn('listen', 'connection_refused', { connection, reason: 'not from this machine' });
      socket.destroy();
      return;
    }
    if (unauthenticated.size >= MAX_UNAUTHENTICATED_CONNECTIONS) {
      // The oldest goes, not the newest: the token holder's connection is the newest while idle ones hold the rest.
      const [oldest] = unauthenticated;
      unauthenticated.delete(oldest);
      log.warn('listen', 'auth_failed', { connection: oldest.connection, reason: `closed for a newer connection: ${MAX_UNAUTHENTICATED_CONNECTIONS} waiting to authenticate` });
      oldest.stop();
    }
    let finish!: () => void;
    const entry = { connection, finished: new Promise<void>((resolve) => { finish = resolve; }), stop: () => { socket.destroy(); } };
    connections.add(entry);
    unauthenticated.add(entry);
    const done = () => {
      unauthenticated.delete(entry);
      authenticated.delete(entry);
      if (!connections.delete(entry)) return;
      finish();
    };
    /** Counts the connection as authenticated, unless MAX_CONNECTIONS are already. */
    const admit = () => {
      if (authenticated.size >= MAX_CONNECTIONS) return false;
      unauthenticated.delete(entry);
      authenticated.add(entry);
      return true;
    };
    serveConnection(socket, connection, tokenDigest, options, { admit, done, setStop: (stop) => { entry.stop = stop; } });
  });
  server.on('error', (e) => log.error('listen', 'server_error', { error: e.message }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((e: NodeJS.ErrnoException) => {
    throw new ListenError(`cannot listen on ${host}:${options.port}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.message}`);
  });
  const port = (server.address() as net.AddressInfo).port;
  try {
    await writeTokenFile(tokenFile, { host, port, token, pid: process.pid });
  } catch (e) {
    server.close();
    throw new ListenError(`cannot write the token file ${tokenFile}: ${(e as Error).message}`);
  }
  log.info('listen', 'listening', { host, port, tokenFile });

  let closing: Promise<void> | undefined;
  return {
    host, port, tokenFile,
    close: () => closing ??= (async () => {
      server.close();
      const open = [...connections];
      for (const c of open) c.stop();
      // Each connection finalizes its session before it is done; the daemon does not wait forever for a stuck one.
      await within(Promise.all(open.map((c) => c.finished)), 30_000);
      await removeTokenFile(tokenFile, token);
      log.info('listen', 'stopped', {});
    })(),
  };
}

/** One TCP client: authentication first, then a server of its own behind a rate limit. */
function serveConnection(socket: net.Socket, connection: number, tokenDigest: Buffer, options: ListenOptions,
  { admit, done, setStop }: { admit(): boolean; done(): void; setStop(stop: () => void): void }): void {
  const { log } = options;
  log.info('listen', 'connection_opened', { connection });
  let authenticated = false;
  const authTimer = setTimeout(() => {
    log.warn('listen', 'auth_failed', { connection, reason: `no authenticating initialize within ${AUTH_TIMEOUT_MS} ms` });
    socket.destroy();
  }, AUTH_TIMEOUT_MS);
  socket.on('error', () => undefined); // a reset by the peer ends the connection like a close
  socket.on('end', () => { if (!authenticated) socket.destroy(); });
  socket.on('close', () => {
    clearTimeout(authTimer);
    if (authenticated) return; // its server says when it is done
    log.info('listen', 'connection_closed', { connection, authenticated: false });
    done();
  });

  /** Answers the request (if it had an id) with `error`, then closes the connection. */
  const closeWith = (id: unknown, error: { code: number; message: string }) => {
    socket.removeAllListeners('data');
    socket.pause();
    if (typeof id === 'number' || typeof id === 'string') {
      const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, error }));
      socket.end(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]));
    } else {
      socket.end();
    }
    setTimeout(() => socket.destroy(), 1000).unref();
  };
  /** Refuses the connection: Unauthorized. */
  const refuse = (reason: string, id: unknown) => {
    log.warn('listen', 'auth_failed', { connection, reason });
    closeWith(id, { code: ErrorCodes.Unauthorized, message: `Unauthorized: ${reason}` });
  };

  let first: { body: Buffer } | { error: string } | undefined;
  const parser = new FrameParser(PRE_AUTH_MAX_FRAME_BYTES, (event) => {
    first = event.kind === 'frame' ? { body: event.body } : { error: event.message };
    parser.halt();
  });
  const onData = (chunk: Buffer) => {
    const rest = parser.push(chunk);
    if (!first) return;
    socket.off('data', onData);
    if ('error' in first) return refuse(`the first message is not a frame (${first.error})`, null);
    const message = decodeMessage(first.body.toString('utf8')) as Message & { id?: unknown; method?: unknown; params?: unknown };
    if (isMalformed(message)) return refuse('the first message is not JSON-RPC', null);
    const init = message.method === 'initialize' && typeof message.params === 'object' && message.params !== null && !Array.isArray(message.params)
      ? (message.params as { initializationOptions?: unknown }).initializationOptions : undefined;
    const given = typeof init === 'object' && init !== null ? (init as { authToken?: unknown }).authToken : undefined;
    if (message.method !== 'initialize' || message.id === undefined) return refuse('the first message must be an initialize request', message.id);
    if (typeof given !== 'string') return refuse('initializationOptions.authToken is missing', message.id);
    // Digests have equal lengths, so the comparison takes the same time whatever was sent.
    if (!timingSafeEqual(createHash('sha256').update(given).digest(), tokenDigest)) return refuse('wrong authToken', message.id);
    if (!admit()) {
      log.warn('listen', 'connection_refused', { connection, reason: `already ${MAX_CONNECTIONS} connections` });
      return closeWith(message.id, { code: ErrorCodes.RequestFailed, message: `the daemon already serves ${MAX_CONNECTIONS} connections, the most it serves at once: close one first` });
    }
    delete (init as { authToken?: unknown }).authToken;
    authenticated = true;
    clearTimeout(authTimer);
    log.info('listen', 'authenticated', { connection });
    setStop(serveAuthenticated(socket, connection, message, rest, options, done));
  };
  socket.on('data', onData);
}

/** Serves an authenticated connection; returns how to stop it (its session is finalized, then it closes). */
function serveAuthenticated(socket: net.Socket, connection: number, initialize: Message, rest: Buffer, options: ListenOptions, done: () => void): () => void {
  const { log } = options;
  // The server reads the (re-framed) initialize, then everything else the socket sends, in order.
  const input = new PassThrough();
  const body = Buffer.from(JSON.stringify(initialize), 'utf8');
  input.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body, rest]));
  socket.on('data', (chunk: Buffer) => {
    if (!input.write(chunk)) {
      socket.pause();
      input.once('drain', () => socket.resume());
    }
  });
  // The server's input backpressure pauses `input`; the socket follows through the PassThrough's buffer.
  const endInput = () => { if (!input.writableEnded) input.end(); };
  socket.on('end', endInput);
  socket.on('close', endInput);

  const closeConnection = () => {
    socket.end();
    setTimeout(() => socket.destroy(), 1000).unref();
  };
  // A client that does not read what it is sent would make the daemon hold it all.
  const outputWatch = setInterval(() => {
    if (socket.writableLength <= MAX_PENDING_OUTPUT_BYTES) return;
    log.warn('listen', 'closing', { connection, reason: `more than ${MAX_PENDING_OUTPUT_BYTES} bytes unread by the client` });
    socket.destroy();
  }, 1000);
  outputWatch.unref();

  startServer(input, socket, {
    version: options.version,
    mode: 'socket',
    closeConnection,
    transport: { oversized: 'close', gates: [rateLimit(connection, log, closeConnection)] },
    onExit: (code) => {
      if (code !== 0) options.onStuck?.();
      clearInterval(outputWatch);
      // What was answered is still sent; a client that does not close its side is cut off shortly after.
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
      log.info('listen', 'connection_closed', { connection });
      done();
    },
  });
  return endInput;
}

/**
 * A token bucket per connection: RATE_LIMIT_BURST messages at once, refilled at RATE_LIMIT_PER_SEC. A request over the
 * limit is answered with RateLimited and not processed; anything else over it is dropped; a client that keeps going
 * (more than RATE_LIMIT_BURST refused within a second) is disconnected.
 */
function rateLimit(connection: number, log: Logger, close: () => void): (m: Message) => Message | undefined {
  let tokens = RATE_LIMIT_BURST;
  let last = performance.now();
  let windowStart = last;
  let refused = 0;
  let cutOff = false;
  return (m) => {
    if (cutOff) return undefined;
    const now = performance.now();
    tokens = Math.min(RATE_LIMIT_BURST, tokens + ((now - last) * RATE_LIMIT_PER_SEC) / 1000);
    last = now;
    if (tokens >= 1) {
      tokens -= 1;
      return m;
    }
    if (now - windowStart > 1000) {
      windowStart = now;
      refused = 0;
    }
    if (++refused === 1) log.warn('listen', 'rate_limited', { connection });
    const r = m as { id?: unknown; method?: unknown };
    const request = typeof r.method === 'string' && (typeof r.id === 'number' || typeof r.id === 'string');
    if (refused > RATE_LIMIT_BURST) {
      cutOff = true;
      log.warn('listen', 'closing', { connection, reason: 'far over the rate limit' });
      close();
      return undefined;
    }
    if (!request) return undefined;
    return malformed(ErrorCodes.RateLimited, `Rate limit: at most ${RATE_LIMIT_PER_SEC} messages a second (bursts of ${RATE_LIMIT_BURST}); ${String(r.method).slice(0, 100)} was not processed`, r.id);
  };
}

/** Another daemon that serves the same storage folder would have its token file overwritten: refuse instead. */
async function refuseIfAnotherDaemon(tokenFile: string): Promise<void> {
  let existing: Partial<TokenFile>;
  try {
    existing = JSON.parse(await fs.readFile(tokenFile, 'utf8')) as Partial<TokenFile>;
  } catch {
    return; // none, or unreadable: it is replaced
  }
  if (typeof existing.pid !== 'number' || existing.pid === process.pid) return;
  try {
    process.kill(existing.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return; // its daemon is gone: a stale file
  }
  throw new ListenError(`another daemon (pid ${existing.pid}) listens on port ${existing.port} with this storage folder (${tokenFile}); stop it first`);
}

/** Writes the token file readable by this user only (0600), atomically: a client never reads half a token. */
async function writeTokenFile(file: string, contents: TokenFile): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await fs.open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(JSON.stringify(contents) + '\n');
    await handle.chmod(0o600); // whatever the umask did
  } finally {
    await handle.close();
  }
  await renameOver(temp, file);
}

/** Removes the token file, unless another daemon has written its own since. */
async function removeTokenFile(file: string, token: string): Promise<void> {
  try {
    const contents = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<TokenFile>;
    if (contents.token === token) await fs.unlink(file);
  } catch {
    // already gone
  }
}

/**
 * Runs the listening daemon until SIGINT or SIGTERM, or until a connection's finalize runs out of time (its session
 * hangs, and only this process's exit frees its lock), then closes every connection (finalizing their sessions) and
 * removes the token file. Resolves to the exit code.
 */
export async function runListenDaemon(options: ListenOptions, print: (line: string) => void): Promise<number> {
  let stuck!: () => void;
  const ended = new Promise<number>((resolve) => {
    const stop = () => resolve(0);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    stuck = () => resolve(EXIT_FINALIZE_TIMED_OUT);
  });
  const listener = await startListener({ ...options, onStuck: () => { options.log.error('listen', 'exiting', { reason: "a connection's session did not finalize in time" }); stuck(); } });
  print(`earshot daemon: JSON-RPC on ${listener.host === '::1' ? '[::1]' : listener.host}:${listener.port}; the token for initializationOptions.authToken is in ${listener.tokenFile}`);
  const code = await ended;
  await listener.close();
  return code;
}
