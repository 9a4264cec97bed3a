/**
 * `earshot daemon --listen`: JSON-RPC over TCP on loopback, for clients that prove the token in the 0600 token file.
 * A real daemon process and real TCP connections: refused tokens, the auth timeout, the connection and rate limits,
 * oversized messages, a real session, and the token file's life (mode 0600, removed at exit).
 */
import * as assert from 'node:assert/strict';
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorCodes, PROTOCOL_VERSION } from '../../protocol/protocol';
import { TokenFile } from '../../daemon/rpc/listen';
import { AUTH_TIMEOUT_MS, MAX_CONNECTIONS, MAX_FRAME_BYTES, MAX_UNAUTHENTICATED_CONNECTIONS, PRE_AUTH_MAX_FRAME_BYTES, RATE_LIMIT_BURST } from '../../daemon/rpc/transport';
import { DAEMON_BIN, miniModel, REPO_ROOT, SAMPLE_WAV, TEST_WORD } from '../setup';
import { runEarshot } from './daemon-process';
import { closesWithin, connectTcp, frame, isResponse, socketsOf, TcpPeer, tokenFileOf, WireMessage } from './wire';

interface Daemon {
  child: ChildProcessWithoutNullStreams;
  stderr(): string;
  stdout(): string;
  exited: Promise<number | null>;
}

function runDaemon(args: string[], storage: string, env: NodeJS.ProcessEnv = {}): Daemon {
  const child = spawn(process.execPath, [DAEMON_BIN, 'daemon', ...args], {
    cwd: REPO_ROOT, env: { ...process.env, EARSHOT_STORAGE: storage, EARSHOT_LOG_LEVEL: 'info', ...env }, stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
  child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
  return { child, stderr: () => stderr, stdout: () => stdout, exited: once(child, 'exit').then(([code]) => code as number | null) };
}

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('earshot daemon --listen (TCP on loopback, token-authenticated)', function () {
  this.timeout(120_000);
  let dir: string;
  let storage: string;
  let daemon: Daemon;
  let info: TokenFile;
  const tokenFile = () => path.join(storage, 'daemon.token');
  const open: TcpPeer[] = [];

  const initParams = (authToken: unknown, extra: object = {}) => ({
    processId: 1, rootUri: null, capabilities: {}, clientInfo: { name: 'earshot-listen-test' },
    initializationOptions: {
      protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'sessions-storage'), notesDir: path.join(dir, 'notes'), modelPath: miniModel(), threads: 1,
      ...(authToken === undefined ? {} : { authToken }), ...extra,
    },
  });

  /** A connection that has authenticated (its initialize answered). */
  async function authenticated(): Promise<TcpPeer> {
    const conn = await connectTcp(info.port);
    open.push(conn);
    const init = await conn.client.request('initialize', initParams(info.token));
    assert.equal(init.error, undefined, JSON.stringify(init.error));
    await conn.client.notify('initialized', {});
    return conn;
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-listen-'));
    storage = path.join(dir, 'storage');
    daemon = runDaemon(['--listen', '0'], storage);
    info = await tokenFileOf(storage, daemon.child).catch((e: Error) => { throw new Error(`${e.message}: ${daemon.stderr()}`); });
  });

  /** Connections the daemon opened and has closed since: the limit test needs the others gone. */
  const count = (event: string) => daemon.stderr().split(`"event":"${event}"`).length - 1;
  afterEach(async () => {
    for (const c of open.splice(0)) c.socket.destroy();
    await until('every connection closed by the daemon', () => (count('connection_opened') === count('connection_closed') ? true : undefined));
  });

  after(async () => {
    if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes a 64-hex-character token with the port to <storage>/daemon.token, mode 0600', async () => {
    assert.equal(fs.statSync(tokenFile()).mode & 0o777, 0o600);
    assert.match(info.token, /^[0-9a-f]{64}$/);
    assert.equal(info.host, '127.0.0.1');
    assert.equal(info.pid, daemon.child.pid);
    assert.ok(info.port > 0);
    // The file is written before the address is printed, so the line may still be on its way.
    const address = new RegExp(`127\\.0\\.0\\.1:${info.port}`);
    await until('the address printed', () => (address.test(daemon.stdout()) ? true : undefined));
    assert.ok(!daemon.stdout().includes(info.token) && !daemon.stderr().includes(info.token), 'the token is never printed or logged');
  });

  it('listens on loopback only, with one TCP socket', function () {
    if (process.platform !== 'linux') this.skip();
    const listening = socketsOf(daemon.child.pid!).filter((s) => s.listening);
    assert.deepEqual(listening.map((s) => `${s.table} ${s.local}`), [`tcp 127.0.0.1:${info.port}`]);
  });

  for (const [label, authToken] of [['a wrong token', 'f'.repeat(64)], ['a missing token', undefined], ['a token of another type', 12345], ['a prefix of the token', '']] as const) {
    it(`refuses ${label}: Unauthorized, connection closed, nothing processed`, async () => {
      const conn = await connectTcp(info.port);
      open.push(conn);
      const token = label === 'a prefix of the token' ? info.token.slice(0, 32) : authToken;
      // The initialize and a request pipelined behind it: neither may be processed.
      await conn.client.write(Buffer.concat([
        frame(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: initParams(token) })),
        frame(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'earshot/session/status', params: {} })),
      ]));
      assert.ok(await closesWithin(conn, 5000), 'the connection is closed');
      const answers = conn.client.received.filter(isResponse);
      assert.deepEqual(answers.map((a) => [a.id, a.error?.code]), [[1, ErrorCodes.Unauthorized]]);
      assert.ok(!fs.existsSync(path.join(dir, 'sessions-storage')), 'no service was created');
      await until('the refusal logged', () => (daemon.stderr().includes('"event":"auth_failed"') ? true : undefined));
      assert.equal(count('authenticated'), 0, 'no connection has authenticated yet');
    });
  }

  it('refuses a first message that is not initialize, and bytes that are not a frame', async () => {
    const status = await connectTcp(info.port);
    open.push(status);
    await status.client.sendRaw(JSON.stringify({ jsonrpc: '2.0', id: 'x', method: 'earshot/session/status', params: {} }));
    assert.ok(await closesWithin(status, 5000));
    assert.deepEqual(status.client.received.filter(isResponse).map((a) => [a.id, a.error?.code]), [['x', ErrorCodes.Unauthorized]]);

    const junk = await connectTcp(info.port);
    open.push(junk);
    await junk.client.write(Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    assert.ok(await closesWithin(junk, 5000));
    assert.equal(junk.client.received.length, 0, 'nothing is answered to what is not JSON-RPC');
  });

  it('closes a connection that does not authenticate within the auth timeout (silent or slow)', async () => {
    const silent = await connectTcp(info.port);
    const slow = await connectTcp(info.port);
    open.push(silent, slow);
    const started = Date.now();
    // Half a header, then nothing: a slow-loris client.
    await slow.client.write(Buffer.from('Content-Length: 40'));
    assert.ok(await closesWithin(silent, AUTH_TIMEOUT_MS + 3000), 'the silent connection is closed');
    assert.ok(await closesWithin(slow, 1000), 'the slow connection is closed');
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= AUTH_TIMEOUT_MS - 200, `closed after ${elapsed} ms, not before the timeout`);
  });

  it('closes a first frame over the pre-authentication limit', async () => {
    const conn = await connectTcp(info.port);
    open.push(conn);
    void conn.client.write(frame(Buffer.alloc(PRE_AUTH_MAX_FRAME_BYTES + 1, 0x20))).catch(() => undefined);
    assert.ok(await closesWithin(conn, 5000));
    assert.equal(conn.client.received.length, 0);
  });

  it(`serves at most ${MAX_CONNECTIONS} authenticated connections at once`, async () => {
    const conns: TcpPeer[] = [];
    for (let i = 0; i < MAX_CONNECTIONS; i++) conns.push(await authenticated());
    // One more proves the token: it is told why, and closed.
    const extra = await connectTcp(info.port);
    open.push(extra);
    const refused = await extra.client.request('initialize', initParams(info.token));
    assert.equal(refused.error?.code, ErrorCodes.RequestFailed, JSON.stringify(refused));
    assert.match(refused.error!.message, new RegExp(`already serves ${MAX_CONNECTIONS} connections`));
    assert.ok(await closesWithin(extra, 5000), 'the connection over the limit is closed');
    for (const c of conns) assert.equal(c.socket.destroyed, false);
    // One leaves (exit closes its connection, not the daemon): a new one is served.
    const closedBefore = count('connection_closed');
    await conns[0].client.notify('exit');
    assert.ok(await closesWithin(conns[0], 10_000), 'exit closes the connection');
    await until('the daemon to see the connection gone', () => (count('connection_closed') > closedBefore ? true : undefined));
    const again = await authenticated();
    const status = await again.client.request('earshot/session/status', {});
    assert.equal(status.error, undefined);
    assert.equal(daemon.child.exitCode, null, 'the daemon is still running');
  });

  /** Opens `n` sockets that never authenticate, and waits until the daemon has taken (or refused) them all. */
  async function idleSockets(n: number): Promise<TcpPeer[]> {
    const seen = () => count('connection_opened') + count('connection_refused');
    const before = seen();
    const idle: TcpPeer[] = [];
    for (let i = 0; i < n; i++) idle.push(await connectTcp(info.port));
    open.push(...idle);
    await until(`the daemon to see ${n} idle sockets`, () => (seen() >= before + n ? true : undefined));
    return idle;
  }

  it(`idle sockets do not lock out the token holder: with ${MAX_UNAUTHENTICATED_CONNECTIONS} waiting, ${MAX_CONNECTIONS} clients still authenticate`, async () => {
    await idleSockets(MAX_UNAUTHENTICATED_CONNECTIONS);
    const conns: TcpPeer[] = [];
    for (let i = 0; i < MAX_CONNECTIONS; i++) conns.push(await authenticated());
    for (const c of conns) assert.equal((await c.client.request('earshot/session/status', {})).error, undefined);
  });

  it(`past ${MAX_UNAUTHENTICATED_CONNECTIONS} sockets waiting to authenticate, the oldest is closed for the newest`, async () => {
    const evicted = () => daemon.stderr().split('closed for a newer connection').length - 1;
    const idle = await idleSockets(MAX_UNAUTHENTICATED_CONNECTIONS);
    const before = evicted();
    const newest = await connectTcp(info.port);
    open.push(newest);
    assert.ok(await closesWithin(idle[0], AUTH_TIMEOUT_MS + 3000), 'the oldest is closed');
    await until('the daemon to say why', () => (evicted() > before ? true : undefined));
    const init = await newest.client.request('initialize', initParams(info.token));
    assert.equal(init.error, undefined, 'the newest was kept, and authenticates');
  });

  it('answers a message over the frame limit, then closes the connection', async () => {
    const conn = await authenticated();
    const answer = conn.client.next((m) => m.id === null && m.error !== undefined, 20_000);
    void conn.client.write(frame(Buffer.alloc(MAX_FRAME_BYTES + 1, 0x20))).catch(() => undefined);
    const error = await answer;
    assert.equal(error.error!.code, ErrorCodes.InvalidRequest);
    assert.match(error.error!.message, new RegExp(`at most ${MAX_FRAME_BYTES}`));
    assert.ok(await closesWithin(conn, 5000), 'the connection is closed');
  });

  it('rate-limits a connection: requests over the burst are answered RateLimited, a flood is disconnected', async () => {
    const conn = await authenticated();
    const count = RATE_LIMIT_BURST + 100;
    const ids = Array.from({ length: count }, (_, i) => `r${i}`);
    await conn.client.write(Buffer.concat(ids.map((id) => frame(JSON.stringify({ jsonrpc: '2.0', id, method: 'earshot/session/status', params: {} })))));
    const answers: WireMessage[] = await Promise.all(ids.map((id) => conn.client.next((m) => m.id === id && isResponse(m))));
    const ok = answers.filter((a) => a.result !== undefined).length;
    const limited = answers.filter((a) => a.error?.code === ErrorCodes.RateLimited).length;
    assert.equal(ok + limited, count, 'every request is answered, processed or refused');
    // The initialize and initialized notification took two tokens of the burst.
    assert.ok(ok >= RATE_LIMIT_BURST - 2 && limited >= 50, `${ok} processed, ${limited} refused`);
    assert.equal(conn.socket.destroyed, false, 'a burst over the limit does not cost the connection');
    // Far over the limit: the connection is cut off.
    await new Promise((r) => setTimeout(r, 2500)); // the bucket refills
    const flood = Array.from({ length: 3 * RATE_LIMIT_BURST }, (_, i) => frame(JSON.stringify({ jsonrpc: '2.0', method: 'earshot/vocabulary', params: { words: [`w${i}`] } })));
    await conn.client.write(Buffer.concat(flood));
    assert.ok(await closesWithin(conn, 5000), 'a flood closes the connection');
  });

  it('runs a real session over TCP with the right token, and shuts down cleanly', async () => {
    const conn = await authenticated();
    const start = await conn.client.request('earshot/session/start', { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast', title: 'over tcp' });
    assert.equal(start.error, undefined, JSON.stringify(start.error));
    const sessionId = (start.result as { sessionId: string }).sessionId;
    await conn.client.next((m) => m.method === 'earshot/sessionState' && (m.params as { sessionId: string; state: string }).sessionId === sessionId
      && (m.params as { state: string }).state === 'done', 120_000);
    const stop = await conn.client.request('earshot/session/stop', { sessionId });
    const segments = (stop.result as { segments: { text: string }[] }).segments;
    assert.ok(segments.length > 0 && segments.every((s) => s.text.includes(TEST_WORD)), JSON.stringify(stop).slice(0, 300));
    assert.ok(conn.client.received.some((m) => m.method === 'earshot/transcript'), 'transcripts arrive over the socket');
    const shutdown = await conn.client.request('shutdown');
    assert.equal(shutdown.result, null);
    const after = await conn.client.request('earshot/session/status', {});
    assert.equal(after.error?.code, ErrorCodes.InvalidRequest, 'requests after shutdown are refused');
    await conn.client.notify('exit');
    assert.ok(await closesWithin(conn, 10_000));
    assert.equal(daemon.child.exitCode, null, 'the daemon keeps listening');
  });

  it('`earshot transcribe --connect` runs the session in the listening daemon and prints what a local run prints', async () => {
    const model = miniModel();
    const local = await runEarshot(['transcribe', SAMPLE_WAV, '--json', '--model', model, '--threads', '1', '--notes-dir', path.join(dir, 'local-notes')],
      { EARSHOT_STORAGE: path.join(dir, 'local-storage') });
    assert.equal(local.code, 0, local.stderr);
    const sessionsBefore = count('authenticated');
    const remote = await runEarshot(['transcribe', SAMPLE_WAV, '--json', '--model', model, '--threads', '1', '--notes-dir', path.join(dir, 'remote-notes'), '--connect'],
      { EARSHOT_STORAGE: storage });
    assert.equal(remote.code, 0, remote.stderr);
    const lines = remote.stdout.trim().split('\n');
    assert.ok(lines.length >= 3 && lines.every((l) => (JSON.parse(l) as { text: string }).text.includes(TEST_WORD)), remote.stdout);
    assert.equal(remote.stdout, local.stdout, 'the same segments, times and text as the run in this process');
    const notes = /^Notes: (.+)$/m.exec(remote.stderr)?.[1];
    assert.ok(notes && notes.startsWith(path.join(dir, 'remote-notes')) && fs.readFileSync(notes, 'utf8').includes(TEST_WORD), remote.stderr);
    assert.equal(count('authenticated'), sessionsBefore + 1, 'it authenticated with the token file');
    assert.ok(!remote.stdout.includes(info.token) && !remote.stderr.includes(info.token), 'the token is never printed');
    await until('the CLI connection closed', () => (count('connection_opened') === count('connection_closed') ? true : undefined));
    assert.equal(daemon.child.exitCode, null, 'the daemon keeps listening');
  });

  it('`--connect` says what is wrong: no token file, a stale one, a refused token, a file that is no token file', async () => {
    const cases: [string, (file: string) => void, RegExp][] = [
      ['missing', () => undefined, /no daemon is listening: .*daemon\.token does not exist/],
      ['stale', (file) => fs.writeFileSync(file, JSON.stringify({ host: '127.0.0.1', port: 9, token: 'ab'.repeat(32), pid: 999_999 })), /is not running .*stale/],
      ['refused', (file) => fs.writeFileSync(file, JSON.stringify({ ...info, token: 'f'.repeat(64) })), /refused the token in /],
      ['not a token file', (file) => fs.writeFileSync(file, 'Content-Length: 12'), /is not a daemon token file/],
    ];
    for (const [label, write, message] of cases) {
      const folder = path.join(dir, `connect-${label.replace(/ /g, '-')}`);
      fs.mkdirSync(folder, { recursive: true });
      write(path.join(folder, 'daemon.token'));
      const run = await runEarshot(['transcribe', SAMPLE_WAV, '--connect'], { EARSHOT_STORAGE: folder });
      assert.equal(run.code, 1, `${label}: ${run.stderr}`);
      assert.match(run.stderr, message, label);
      assert.equal(run.stdout, '', `${label}: nothing printed as a transcript`);
      assert.ok(!run.stderr.includes(info.token), 'the token is never printed');
    }
    const usage = await runEarshot(['transcribe', '--token-file', tokenFile()]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--token-file goes with --connect/);
  });

  it('refuses a second daemon on the same storage folder while the first listens', async () => {
    const second = runDaemon(['--listen', '0'], storage);
    assert.equal(await second.exited, 1);
    assert.match(second.stderr(), /another daemon \(pid \d+\) listens/);
    assert.equal((JSON.parse(fs.readFileSync(tokenFile(), 'utf8')) as TokenFile).token, info.token, 'the token file is untouched');
  });

  it('exits 0 on SIGTERM and removes the token file', async () => {
    const conn = await authenticated();
    daemon.child.kill('SIGTERM');
    assert.equal(await daemon.exited, 0, daemon.stderr().slice(-2000));
    assert.ok(await closesWithin(conn, 1000));
    assert.ok(!fs.existsSync(tokenFile()), 'the token file is removed');
  });
});

describe('earshot daemon --listen: a session that does not finalize in time (issue 54)', function () {
  this.timeout(120_000);

  it("ends the daemon (75) once the finalize limit runs out, so that the session's lock goes with it", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-listen-stuck-'));
    // A chat-completions endpoint that takes every request and never answers: the stop's last chunks wait for it.
    const never = http.createServer(() => undefined);
    never.listen(0, '127.0.0.1');
    await once(never, 'listening');
    const daemon = runDaemon(['--listen', '0'], path.join(dir, 'storage'), { EARSHOT_FINALIZE_LIMIT_SEC: '2' });
    try {
      const info = await tokenFileOf(path.join(dir, 'storage'), daemon.child);
      const conn = await connectTcp(info.port);
      const init = await conn.client.request('initialize', {
        processId: 1, rootUri: null, capabilities: {}, clientInfo: { name: 'earshot-listen-test' },
        initializationOptions: {
          protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'sessions-storage'), notesDir: path.join(dir, 'notes'), modelPath: miniModel(), threads: 1, authToken: info.token,
          enhancement: { provider: 'openai-compatible', endpoint: `http://127.0.0.1:${(never.address() as net.AddressInfo).port}/v1`, model: 'never:1b', timeoutSec: 300 },
        },
      });
      assert.equal(init.error, undefined, JSON.stringify(init.error));
      await conn.client.notify('initialized', {});
      const start = await conn.client.request('earshot/session/start', { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast', identifySpeakers: false });
      const sessionId = (start.result as { sessionId: string }).sessionId;
      await conn.client.next((m) => m.method === 'earshot/sessionState' && (m.params as { sessionId: string }).sessionId === sessionId
        && (m.params as { state: string }).state === 'finalizing', 60_000);
      const left = Date.now();
      conn.socket.destroy(); // the client leaves: its connection finalizes, which hangs on the model
      assert.equal(await daemon.exited, 75, daemon.stderr().slice(-2000));
      assert.ok(Date.now() - left < 40_000, `exited ${Date.now() - left} ms after the client left`);
      assert.match(daemon.stderr(), /"event":"finalize_timed_out".*"limitSec":2/);
      assert.match(daemon.stderr(), /"component":"listen","event":"exiting"/);
      assert.ok(!fs.existsSync(path.join(dir, 'storage', 'daemon.token')), 'the token file is removed');
    } finally {
      if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
      never.closeAllConnections();
      never.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('earshot daemon --listen refuses addresses that are not loopback', () => {
  for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com', '127.0.0.2']) {
    it(`--host ${host}: usage error, nothing listens, no token file`, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-listen-host-'));
      try {
        const daemon = runDaemon(['--listen', '0', '--host', host], path.join(dir, 'storage'));
        assert.equal(await daemon.exited, 2);
        assert.match(daemon.stderr(), /not a loopback address/);
        assert.ok(!fs.existsSync(path.join(dir, 'storage', 'daemon.token')));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('accepts ::1 (IPv6 loopback)', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-listen-v6-'));
    const daemon = runDaemon(['--listen', '0', '--host', '::1'], path.join(dir, 'storage'));
    try {
      const file = path.join(dir, 'storage', 'daemon.token');
      const info = await until('the token file', () => (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) as TokenFile : daemon.child.exitCode !== null ? ({} as TokenFile) : undefined));
      if (!info.port && /EADDRNOTAVAIL|EAFNOSUPPORT/.test(daemon.stderr())) this.skip(); // no IPv6 on this machine
      assert.equal(info.host, '::1');
      const socket = net.connect({ host: '::1', port: info.port });
      await once(socket, 'connect');
      socket.destroy();
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
