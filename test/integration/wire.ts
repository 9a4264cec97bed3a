/**
 * A raw JSON-RPC peer for hostile-input tests: writes frames (or any bytes) to a daemon over any stream pair (a child's
 * stdio, a TCP socket) and parses every frame the daemon writes back, failing loudly on a frame that is not valid.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { TokenFile } from '../../daemon/rpc/listen';

/** A JSON-RPC message as read off the wire. */
export interface WireMessage {
  jsonrpc?: string;
  id?: number | string | null;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

export function frame(body: string | Buffer, header?: string): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return Buffer.concat([Buffer.from(header ?? `Content-Length: ${bytes.length}\r\n\r\n`, 'latin1'), bytes]);
}

export function isResponse(m: WireMessage): boolean {
  return m.method === undefined && (m.result !== undefined || m.error !== undefined);
}

export class WireClient {
  readonly received: WireMessage[] = [];
  /** Frames the daemon wrote that were not valid JSON-RPC framing or JSON (there must be none). */
  readonly badFrames: string[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  private listeners: ((m: WireMessage) => void)[] = [];
  private readonly claimed = new Set<WireMessage>();
  private nextId = 1;
  closed = false;

  constructor(private readonly output: NodeJS.WritableStream, input: NodeJS.ReadableStream) {
    input.on('data', (chunk: Buffer) => this.onData(chunk));
    input.on('close', () => { this.closed = true; });
    input.on('end', () => { this.closed = true; });
  }

  onMessage(listener: (m: WireMessage) => void): void {
    this.listeners.push(listener);
  }

  /** Writes bytes as they are; resolves once the stream took them (waits for 'drain' when it is full). */
  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      try {
        if (this.output.write(bytes)) resolve();
        else this.output.once('drain', resolve);
      } catch (e) {
        reject(e);
      }
    });
  }

  sendRaw(body: string | Buffer): Promise<void> {
    return this.write(frame(body));
  }

  /** Sends a request and resolves with its answer. */
  request(method: string, params?: unknown, timeoutMs = 30_000): Promise<WireMessage> {
    const id = `w${this.nextId++}`;
    const answer = this.next((m) => m.id === id && isResponse(m), timeoutMs);
    void this.sendRaw(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }));
    return answer;
  }

  notify(method: string, params?: unknown): Promise<void> {
    return this.sendRaw(JSON.stringify({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }) }));
  }

  /** The first message (already received or still to come) that matches and was not claimed yet. */
  next(match: (m: WireMessage) => boolean, timeoutMs = 30_000): Promise<WireMessage> {
    const found = this.received.find((m) => match(m) && !this.claimed.has(m));
    if (found) {
      this.claimed.add(found);
      return Promise.resolve(found);
    }
    return new Promise((resolve, reject) => {
      const listener = (m: WireMessage) => {
        if (!match(m) || this.claimed.has(m)) return;
        this.claimed.add(m);
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== listener);
        resolve(m);
      };
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== listener);
        reject(new Error(`no matching message within ${timeoutMs} ms; last received: ${JSON.stringify(this.received.slice(-3)).slice(0, 1500)}`));
      }, timeoutMs);
      this.listeners.push(listener);
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const header = this.buffer.subarray(0, headerEnd).toString('latin1');
      const match = /^Content-Length: (\d+)$/im.exec(header);
      if (!match) {
        this.badFrames.push(`header: ${header.slice(0, 200)}`);
        this.buffer = this.buffer.subarray(headerEnd + 4);
        continue;
      }
      const length = Number(match[1]);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      let message: WireMessage;
      try {
        message = JSON.parse(body) as WireMessage;
      } catch {
        this.badFrames.push(`body: ${body.slice(0, 200)}`);
        continue;
      }
      this.received.push(message);
      // A long run (the fuzz) would otherwise keep every message it was ever sent.
      if (this.received.length > 20_000) for (const old of this.received.splice(0, 5_000)) this.claimed.delete(old);
      for (const listener of [...this.listeners]) listener(message);
    }
  }
}

/** The resident set size of a process, in bytes (Linux), or undefined when it is gone. */
export function rssOf(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface SocketInfo {
  inode: string;
  /** tcp, tcp6, udp, udp6 or unix; undefined when the inode is in none of the tables (another namespace). */
  table?: string;
  /** TCP state (0A: LISTEN), unix flags and state, or the UDP state. */
  state?: string;
  local?: string;
  listening: boolean;
}

/** Decodes /proc/net/tcp's hex "0100007F:1F90" into "127.0.0.1:8080" (IPv6 addresses stay hex). */
function address(hex: string): string {
  const [ip, port] = hex.split(':');
  const p = parseInt(port, 16);
  if (ip.length !== 8) return `[${ip}]:${p}`;
  const bytes = Buffer.from(ip, 'hex');
  return `${bytes[3]}.${bytes[2]}.${bytes[1]}.${bytes[0]}:${p}`;
}

/**
 * Every socket a process holds (Linux), looked up in /proc/net: a TCP socket in state LISTEN, any UDP socket bound to a
 * port, and a unix socket that accepts connections (__SO_ACCEPTCON) or is bound to a path count as listening.
 */
export function socketsOf(pid: number): SocketInfo[] {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // closed meanwhile
    }
  }
  const found = new Map<string, SocketInfo>();
  for (const table of ['tcp', 'tcp6', 'udp', 'udp6']) {
    let text = '';
    try { text = fs.readFileSync(`/proc/${pid}/net/${table}`, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || !inodes.has(cols[9])) continue;
      const local = address(cols[1]);
      const listening = table.startsWith('tcp') ? cols[3] === '0A' : !local.endsWith(':0');
      found.set(cols[9], { inode: cols[9], table, state: cols[3], local, listening });
    }
  }
  for (const line of fs.readFileSync(`/proc/${pid}/net/unix`, 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 7 || !inodes.has(cols[6])) continue;
    const flags = parseInt(cols[3], 16);
    const path = cols[7];
    found.set(cols[6], { inode: cols[6], table: 'unix', state: `flags ${cols[3]} st ${cols[5]}`, ...(path ? { local: path } : {}), listening: (flags & 0x10000) !== 0 || Boolean(path) });
  }
  return [...inodes].map((inode) => found.get(inode) ?? { inode, listening: false });
}

// ---------------------------------------------------------------------------------------------
// `earshot daemon --listen` peers.

/** The token file a listening daemon wrote to `storageDir`, once it is there; fails if the daemon exits first. */
export async function tokenFileOf(storageDir: string, daemon: ChildProcess, timeoutMs = 20_000): Promise<TokenFile> {
  const file = path.join(storageDir, 'daemon.token');
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 25))) {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8')) as TokenFile;
    } catch {
      if (daemon.exitCode !== null || daemon.signalCode !== null) throw new Error(`the daemon exited (${daemon.exitCode ?? daemon.signalCode}) before writing ${file}`);
    }
  }
  throw new Error(`no token file at ${file} after ${timeoutMs} ms`);
}

export interface TcpPeer { socket: net.Socket; client: WireClient; closed: Promise<void> }

/** A raw connection to a listening daemon on loopback. */
export async function connectTcp(port: number): Promise<TcpPeer> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined); // a refused or reset connection shows as `closed`
  // Not events.once: it would reject on the 'error' (ECONNRESET) that comes before the close.
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    void closed.then(() => reject(new Error(`cannot connect to 127.0.0.1:${port}`)));
  });
  return { socket, client: new WireClient(socket, socket), closed };
}

/** Resolves true when the connection closes within `ms`. */
export function closesWithin(peer: TcpPeer, ms: number): Promise<boolean> {
  return Promise.race([peer.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
}
