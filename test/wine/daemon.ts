/**
 * A daemon of the win32-x64 package under Wine, driven over JSON-RPC as a client would: `earshot daemon --listen` on
 * TCP loopback with its token file (Windows node cannot use a Linux pipe for stdio: test/wine/wine.ts). Test-only.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROTOCOL_VERSION, SourceStatusParams } from '../../protocol/protocol';
import { connectTcp, TcpPeer, WireMessage } from '../integration/wire';
import { readWavMono16 } from '../support/correlate';
import { startEarshot, winPath, WinProcess } from './wine';

/** Wine's node.exe, the daemon and a WASAPI stream starting (about 1 s after Start(), the probe doc) on a loaded box. */
export const START_MS = 90_000;

/** Resolves with `check()`'s first defined value, polled every 100 ms; throws after `timeoutMs` saying what. */
export async function until<T>(what: string, check: () => T | undefined, timeoutMs: number): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; ;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A daemon of the package (`earshot daemon --listen 0`) and one authenticated connection to it. */
export class WineDaemon {
  private constructor(readonly proc: WinProcess, readonly conn: TcpPeer, readonly storage: string) {}

  /** `options`: initializationOptions beyond the protocol version, token, storage and notes folders (a model, debugSaveAudio). */
  static async start(env: Record<string, string>, dir: string, options: Record<string, unknown> = {}): Promise<WineDaemon> {
    const storage = path.join(dir, 'storage');
    fs.mkdirSync(storage, { recursive: true });
    const proc = await startEarshot(['daemon', '--listen', '0'], { env: { ...env, EARSHOT_STORAGE: winPath(storage), EARSHOT_LOG_LEVEL: 'info' } });
    let exited = false;
    void proc.exited.then(() => { exited = true; });
    const tokenFile = path.join(storage, 'daemon.token');
    const info = await until('the daemon\'s token file', () => {
      if (exited) throw new Error(`the daemon exited before writing its token file: ${proc.output().stderr.slice(-2000)}`);
      try {
        return JSON.parse(fs.readFileSync(tokenFile, 'utf8')) as { port: number; token: string };
      } catch {
        return undefined;
      }
    }, START_MS);
    const conn = await connectTcp(info.port);
    const init = await conn.client.request('initialize', {
      processId: null, rootUri: null, capabilities: {}, clientInfo: { name: 'earshot-wine-test' },
      initializationOptions: {
        protocolVersion: PROTOCOL_VERSION, authToken: info.token, storageDir: winPath(path.join(storage, 'sessions')), notesDir: winPath(path.join(dir, 'notes')),
        threads: 1, ...options,
      },
    }, START_MS);
    assert.equal(init.error, undefined, JSON.stringify(init.error));
    await conn.client.notify('initialized', {});
    return new WineDaemon(proc, conn, storage);
  }

  /** The source's statuses so far, in order. */
  statuses(source: 'mic' | 'system'): SourceStatusParams[] {
    return this.conn.client.received.filter((m) => m.method === 'earshot/sourceStatus').map((m) => m.params as SourceStatusParams).filter((p) => p.source === source);
  }

  /** The first status of `source` in one of `states`, already sent or still to come. */
  status(source: 'mic' | 'system', states: string[], timeoutMs = START_MS): Promise<SourceStatusParams> {
    const found = this.statuses(source).find((s) => states.includes(s.state));
    if (found) return Promise.resolve(found);
    return this.conn.client.next((m: WireMessage) => m.method === 'earshot/sourceStatus' && (m.params as SourceStatusParams).source === source
      && states.includes((m.params as SourceStatusParams).state), timeoutMs).then((m) => m.params as SourceStatusParams);
  }

  /** The session's capture dump of one source (daemon/capture/debugAudio.ts), as written so far. */
  dump(sessionId: string, source: 'mic' | 'system'): Float32Array {
    const file = path.join(this.storage, 'sessions', 'debug-audio', `${sessionId}-${source}.wav`);
    return fs.existsSync(file) ? readWavMono16(file) : new Float32Array(0);
  }

  /** Ends the connection politely, then the daemon (killing wine ends the Windows process: test/wine/wine.ts). */
  async stop(): Promise<void> {
    await this.conn.client.request('shutdown', undefined, 10_000).catch(() => undefined);
    await this.conn.client.notify('exit').catch(() => undefined);
    this.conn.socket.destroy();
    this.proc.kill();
    await this.proc.exited;
  }
}
