/**
 * Helpers for talking to a real daemon process (`node bin/earshot.js daemon`) over its stdio: a
 * vscode-jsonrpc connection for well-formed traffic, and a raw Content-Length framer for bytes that
 * no well-behaved client would send.
 */
import * as assert from 'node:assert/strict';
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  createMessageConnection, InitializedNotification, InitializeRequest, InitializeResult, MessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import { Health, HealthParams, PROTOCOL_VERSION, SessionStateNotification, SessionStateParams, Transcript, TranscriptSegment } from '../../protocol/protocol';
import { DAEMON_BIN, miniModel, REPO_ROOT } from '../setup';

/** The JSON-RPC error a request was answered with (fails the test when it succeeded instead). */
export async function rejection(promise: Promise<unknown>): Promise<ResponseError<unknown>> {
  const error = await promise.then((r) => assert.fail(`expected an error, got ${JSON.stringify(r)}`), (e: unknown) => e);
  assert.ok(error instanceof ResponseError, `not a ResponseError: ${String(error)}`);
  return error;
}

export interface DaemonProcess {
  child: ChildProcessWithoutNullStreams;
  /** Everything the daemon wrote to stderr so far (whisper.cpp's own chatter goes there). */
  stderr(): string;
  /** Ends the daemon: closes stdin, waits for it to exit, kills it if it does not. Returns the exit code. */
  close(): Promise<number | null>;
}

export function spawnDaemon(env: NodeJS.ProcessEnv = {}): DaemonProcess {
  // The command line vscode-languageclient runs for a stdio server (it appends --stdio).
  const child = spawn(process.execPath, [DAEMON_BIN, 'daemon', '--stdio'], {
    cwd: REPO_ROOT,
    env: { ...process.env, EARSHOT_LOG_LEVEL: 'info', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => { stderr += chunk; });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    child,
    stderr: () => stderr,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

import type { WireMessage } from './wire';
export type { WireMessage };

/** Writes raw Content-Length frames to the daemon and parses every frame it writes back. */
export class RawClient {
  readonly received: WireMessage[] = [];
  private buffer = Buffer.alloc(0);
  private waiters: { match: (m: WireMessage) => boolean; resolve: (m: WireMessage) => void }[] = [];
  private nextId = 1000;

  constructor(private readonly daemon: DaemonProcess) {
    daemon.child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  /** Sends `body` exactly as given (it need not be JSON), framed with its byte length. */
  sendRaw(body: string | Buffer): void {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    this.daemon.child.stdin.write(Buffer.concat([Buffer.from(`Content-Length: ${bytes.length}\r\n\r\n`, 'ascii'), bytes]));
  }

  /** Sends a request and resolves with its response (result or error). */
  request(method: string, params?: unknown): Promise<WireMessage> {
    const id = this.nextId++;
    const response = this.next((m) => m.id === id && (m.result !== undefined || m.error !== undefined));
    this.sendRaw(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }));
    return response;
  }

  notify(method: string, params?: unknown): void {
    this.sendRaw(JSON.stringify({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }) }));
  }

  /** The first message (already received or still to come) that matches and was not claimed yet. */
  next(match: (m: WireMessage) => boolean, timeoutMs = 30_000): Promise<WireMessage> {
    const index = this.received.findIndex((m) => match(m) && !this.claimed.has(m));
    if (index >= 0) {
      this.claimed.add(this.received[index]);
      return Promise.resolve(this.received[index]);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`no matching message within ${timeoutMs} ms; received: ${JSON.stringify(this.received.slice(-5))}`));
      }, timeoutMs);
      const done = (m: WireMessage) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiters.push({ match, resolve: done });
    });
  }

  /** A response with `id: null`: the answer to a message whose id could not be read. */
  nextNullIdError(): Promise<WireMessage> {
    return this.next((m) => m.id === null && m.error !== undefined);
  }

  private readonly claimed = new Set<WireMessage>();

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const header = this.buffer.subarray(0, headerEnd).toString('ascii');
      const length = Number(/Content-Length: (\d+)/i.exec(header)?.[1]);
      if (!Number.isFinite(length)) throw new Error(`bad frame header from the daemon: ${header}`);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      const message = JSON.parse(body) as WireMessage;
      this.received.push(message);
      const waiter = this.waiters.find((w) => w.match(message));
      if (waiter) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        this.claimed.add(message);
        waiter.resolve(message);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A typed JSON-RPC client (as the extension drives the daemon) that records what the daemon sends.

/** One `$/progress` notification. */
export interface ProgressMessage {
  token: string | number;
  value: { kind: 'begin' | 'report' | 'end'; title?: string; message?: string; percentage?: number; cancellable?: boolean };
}

export interface RpcClient {
  daemon: DaemonProcess;
  connection: MessageConnection;
  transcripts: TranscriptSegment[];
  states: SessionStateParams[];
  health: HealthParams[];
  /** `window/logMessage` lines (the daemon's JSON log lines). */
  logs: string[];
  /** Tokens of the `window/workDoneProgress/create` requests the client answered. */
  progressCreated: (string | number)[];
  progress: ProgressMessage[];
  initialize(initializationOptions: unknown): Promise<InitializeResult>;
  /** Resolves with the 'done' sessionState of `sessionId` (already received or still to come). */
  sessionDone(sessionId: string, timeoutMs?: number): Promise<SessionStateParams>;
  /** Polls `check` until it returns something other than undefined/false; fails after `timeoutMs` naming `what`. */
  waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs?: number): Promise<T>;
  /** Disposes the connection and ends the daemon; returns its exit code. */
  dispose(): Promise<number | null>;
}

/** Spawns a daemon and connects a vscode-jsonrpc client to it that answers progress creation and records notifications. */
export function connectDaemon(env: NodeJS.ProcessEnv = {}): RpcClient {
  const daemon = spawnDaemon(env);
  const connection = createMessageConnection(new StreamMessageReader(daemon.child.stdout), new StreamMessageWriter(daemon.child.stdin));
  const client: RpcClient = {
    daemon, connection, transcripts: [], states: [], health: [], logs: [], progressCreated: [], progress: [],
    initialize: (initializationOptions) => connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: null,
      capabilities: { window: { workDoneProgress: true } },
      clientInfo: { name: 'earshot-integration-test' },
      initializationOptions,
    } as never).then(async (result) => {
      await connection.sendNotification(InitializedNotification.type, {});
      return result;
    }),
    sessionDone: (sessionId, timeoutMs = 180_000) => client.waitFor(`session ${sessionId} done`,
      () => client.states.find((s) => s.sessionId === sessionId && s.state === 'done'), timeoutMs),
    async waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = check();
        if (value !== undefined && value !== false) return value;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; daemon stderr:\n${daemon.stderr().slice(-1500)}`);
        if (daemon.child.exitCode !== null) throw new Error(`the daemon exited (${daemon.child.exitCode}) while waiting for ${what}; stderr:\n${daemon.stderr().slice(-1500)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async dispose() {
      connection.dispose();
      return daemon.close();
    },
  };
  connection.onRequest('window/workDoneProgress/create', (params: { token: string | number }) => {
    client.progressCreated.push(params.token);
    return null;
  });
  connection.onNotification('$/progress', (p: ProgressMessage) => { client.progress.push(p); });
  connection.onNotification('window/logMessage', (m: { message: string }) => { client.logs.push(m.message); });
  connection.onNotification(Transcript, (s) => { client.transcripts.push(s); });
  connection.onNotification(Health, (h) => { client.health.push(h); });
  connection.onNotification(SessionStateNotification, (s) => { client.states.push(s); });
  connection.listen();
  return client;
}

export interface CliRun { code: number | null; stdout: string; stderr: string }

/** Runs the `earshot` CLI (bin/earshot.js) to the end; `env` is laid over this process's environment. */
export function runEarshot(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DAEMON_BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A daemon on the mini model with its storage and notes in a fresh temp folder; `close` checks it exits 0 and removes the folder. */
export async function miniDaemon(prefix: string, env: NodeJS.ProcessEnv = {}): Promise<{ client: RpcClient; dir: string; close(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const client = connectDaemon(env);
  await client.initialize({
    protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: miniModel(), threads: 1,
  });
  return {
    client,
    dir,
    async close() {
      const code = await client.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
      assert.equal(code, 0, `daemon exit code ${code}; stderr:\n${client.daemon.stderr().slice(-2000)}`);
    },
  };
}
