/**
 * A private, headless PulseAudio server for tests and benchmarks: a virtual speaker and a virtual microphone that
 * real recorders (parec, sox, arecord, ffmpeg) capture from, fed in real time by paplay.
 *
 *   paplay -d speaker file.wav   →  null sink "speaker" (default sink)   →  "speaker.monitor"  (system audio)
 *   paplay -d mic_feed file.wav  →  null sink "mic_feed"  →  its monitor  →  remap-source "virtmic" (default source)
 *
 * Sinks run at 16 kHz mono by default, so a 16 kHz mono fixture is captured without resampling (byte-exact with
 * parec and arecord). module-pipe-source is no alternative for the microphone: it has no clock.
 *
 * The server runs as our child (not daemonized) with its own HOME, XDG_RUNTIME_DIR and XDG_CONFIG_HOME; clients
 * reach it through `env` (PULSE_SERVER). kill() is a crash (SIGKILL), restart() brings it back on the same socket
 * path, so clients' environment stays valid; freeze()/thaw() stop and continue it (data stops, then bursts).
 * Everything spawned here is killed, and the folder removed, by stop() or, whatever happens, when the process exits.
 * Needs Debian's pulseaudio and pulseaudio-utils (scripts/test-deps.sh installs them).
 */
import { ChildProcess, spawn, spawnSync, SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PulseOptions {
  /** Sample rate of both null sinks (Hz). */
  rate?: number;
  channels?: number;
  /**
   * Keep-alive readers on both monitors. An idle null sink starts at 2 s latency, so a recorder opened on it can
   * wait 1–3 s for its first chunk; a low-latency reader that always runs keeps the chains at low latency.
   */
  keepAlive?: boolean;
  /**
   * Device descriptions of the sinks (and of virtmic): clients that name devices by description (RtAudio, Wine's
   * winepulse: "Monitor of <description>") otherwise see two "Null Output"s.
   */
  descriptions?: Partial<Record<Sink | 'virtmic', string>>;
}

/** A playback in progress. */
export interface Playback {
  /** performance.now() when paplay was spawned. */
  startedAt: number;
  /** Resolves when paplay has played the whole file (rejects if it fails). */
  done: Promise<void>;
}

export type Sink = 'speaker' | 'mic_feed';

/** Every child and folder of every server in this process, for the exit handler. */
const live = new Set<PulseServer>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const server of live) server.killNow();
  });
}

export function requireTool(tool: string, hint: string): void {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is not installed (${hint})`);
}

export class PulseServer {
  /** Environment for clients: PULSE_SERVER and the private HOME/XDG folders. */
  readonly env: NodeJS.ProcessEnv;
  private server: ChildProcess | undefined;
  private readonly helpers = new Set<ChildProcess>();
  private frozen = false;
  private stopped = false;

  private constructor(readonly dir: string, private readonly config: string, private readonly options: Required<PulseOptions>) {
    const home = path.join(dir, 'home');
    const xdg = path.join(dir, 'xdg');
    this.env = {
      ...process.env, HOME: home, XDG_RUNTIME_DIR: xdg, XDG_CONFIG_HOME: path.join(home, '.config'),
      PULSE_SERVER: `unix:${path.join(xdg, 'pulse', 'native')}`,
    };
    // A recorder's own device variables in the caller's environment must not redirect the tests' clients.
    for (const v of ['PULSE_SOURCE', 'PULSE_SINK', 'AUDIODEV', 'AUDIODRIVER']) delete this.env[v];
  }

  static async start(options: PulseOptions = {}): Promise<PulseServer> {
    requireTool('pulseaudio', 'apt-get install pulseaudio pulseaudio-utils');
    requireTool('pactl', 'apt-get install pulseaudio-utils');
    requireTool('paplay', 'apt-get install pulseaudio-utils');
    const opts: Required<PulseOptions> = { rate: 16000, channels: 1, keepAlive: true, descriptions: {}, ...options };
    const described = (key: Sink | 'virtmic', what: 'sink' | 'source') => {
      const d = opts.descriptions[key];
      if (d !== undefined && !/^[\w-]+$/.test(d)) throw new Error(`description ${JSON.stringify(d)}: letters, digits, _ and - only (module arguments)`);
      return d ? ` ${what}_properties=device.description=${d}` : '';
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-pulse-'));
    const home = path.join(dir, 'home');
    fs.mkdirSync(path.join(home, '.config', 'pulse'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'xdg'), { recursive: true, mode: 0o700 });
    // Streams at other rates (a recorder's default 44.1 kHz) must not switch the sinks away from their rate.
    fs.writeFileSync(path.join(home, '.config', 'pulse', 'daemon.conf'),
      `default-sample-rate = ${opts.rate}\nalternate-sample-rate = ${opts.rate}\ndefault-sample-channels = ${opts.channels}\n`);
    const config = path.join(dir, 'test.pa');
    fs.writeFileSync(config, [
      '.fail',
      'load-module module-native-protocol-unix auth-anonymous=1',
      `load-module module-null-sink sink_name=speaker rate=${opts.rate} channels=${opts.channels}${described('speaker', 'sink')}`,
      `load-module module-null-sink sink_name=mic_feed rate=${opts.rate} channels=${opts.channels}${described('mic_feed', 'sink')}`,
      `load-module module-remap-source master=mic_feed.monitor source_name=virtmic${described('virtmic', 'source')}`,
      'set-default-sink speaker',
      'set-default-source virtmic',
      '',
    ].join('\n'));
    const pulse = new PulseServer(dir, config, opts);
    live.add(pulse);
    installExitHook();
    try {
      await pulse.launch();
    } catch (e) {
      await pulse.stop();
      throw e;
    }
    return pulse;
  }

  get running(): boolean {
    return this.server !== undefined && this.server.exitCode === null && this.server.signalCode === null;
  }

  get pid(): number | undefined {
    return this.running ? this.server!.pid : undefined;
  }

  /** The end of the server's log, for failure messages. */
  logTail(chars = 1500): string {
    const file = path.join(this.dir, 'pulse.log');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').slice(-chars) : '(no log)';
  }

  /** Runs pactl against this server; returns its stdout, throws with its stderr. */
  pactl(...args: string[]): string {
    const r = spawnSync('pactl', args, { env: this.env, encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) throw new Error(`pactl ${args.join(' ')} failed (${r.status}): ${(r.stderr || '').trim()}`);
    return r.stdout;
  }

  /** Starts playing a WAV into a sink. */
  play(sink: Sink, file: string): Playback {
    const startedAt = performance.now();
    const player = this.spawnHelper('paplay', ['-d', sink, file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    player.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    const done = new Promise<void>((resolve, reject) => {
      player.once('error', reject);
      player.once('close', (code, signal) => (code === 0 ? resolve() : reject(new Error(`paplay -d ${sink} exited ${code ?? signal}: ${err.trim()}`))));
    });
    done.catch(() => undefined); // callers that only start a playback must not leave an unhandled rejection
    return { startedAt, done };
  }

  /** Plays a WAV into the virtual microphone; resolves when playback ends. */
  playToMic(file: string): Promise<void> {
    return this.play('mic_feed', file).done;
  }

  /** Plays a WAV into the virtual speaker (captured as system audio from speaker.monitor); resolves when it ends. */
  playToSpeaker(file: string): Promise<void> {
    return this.play('speaker', file).done;
  }

  /** Kills the server as a crash would (SIGKILL); resolves once it is gone. */
  async kill(): Promise<void> {
    const server = this.server;
    if (!server || !this.running) return;
    const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    server.kill('SIGKILL');
    this.frozen = false;
    await exited;
    await this.stopKeepAlive();
  }

  /** Starts the server again with the same configuration and socket path (after kill()). */
  async restart(): Promise<void> {
    if (this.running) await this.kill();
    await this.launch();
  }

  /** Stops the server without killing it (SIGSTOP): clients stay connected and data stops. */
  freeze(): void {
    if (!this.running) throw new Error('the PulseAudio server is not running');
    this.server!.kill('SIGSTOP');
    this.frozen = true;
  }

  /** Continues a frozen server (SIGCONT). */
  thaw(): void {
    if (!this.running || !this.frozen) return;
    this.server!.kill('SIGCONT');
    this.frozen = false;
  }

  /** Stops everything this server spawned and removes its folder. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.thaw();
    await Promise.all([...this.helpers].map((h) => stopChild(h)));
    if (this.server) await stopChild(this.server);
    fs.rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }

  /** Synchronous last resort for the exit handler. */
  killNow(): void {
    for (const child of [...this.helpers, ...(this.server ? [this.server] : [])]) {
      try { child.kill('SIGKILL'); } catch { /* already gone */ }
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    // On a loaded machine the first start can be slow or fail: try a few times before giving up.
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        await this.launchOnce();
        return;
      } catch (e) {
        lastError = e as Error;
        if (this.server && this.running) await stopChild(this.server, 'SIGKILL');
      }
    }
    throw lastError!;
  }

  private async launchOnce(): Promise<void> {
    const server = spawn('pulseaudio', [
      '-n', '-F', this.config, '--daemonize=no', '--exit-idle-time=-1', '--realtime=no', '--high-priority=no',
      '--disallow-exit', `--log-target=file:${path.join(this.dir, 'pulse.log')}`,
    ], { env: this.env, stdio: 'ignore' });
    server.on('error', () => undefined); // reported below: it never answers
    this.server = server;
    const deadline = performance.now() + 15_000;
    let up = false;
    while (!up && performance.now() < deadline && server.exitCode === null) {
      up = spawnSync('pactl', ['info'], { env: this.env, stdio: 'ignore', timeout: 5000 }).status === 0;
      if (!up) await sleep(100);
    }
    if (!up) throw new Error(`PulseAudio did not start (exit ${server.exitCode}): ${this.logTail(600)}`);
    if (this.options.keepAlive) {
      // A null sink renders in blocks of its configured latency, 2 s while nobody reads it: until the keep-alive
      // readers' first chunk has come through, a new recorder would wait up to 2 s for its first data.
      const firstData = ['speaker.monitor', 'mic_feed.monitor'].map((monitor) => {
        const reader = this.spawnHelper('parec', ['--latency-msec=10', '-d', monitor, '--format=s16le', `--rate=${this.options.rate}`,
          `--channels=${this.options.channels}`, '--raw'], { stdio: ['ignore', 'pipe', 'ignore'] });
        return new Promise<void>((resolve, reject) => {
          reader.stdout!.once('data', () => { reader.stdout!.resume(); resolve(); });
          reader.once('exit', (code) => reject(new Error(`the keep-alive reader of ${monitor} exited (${code})`)));
        });
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('no data from the keep-alive readers after 10 s')), 10_000); });
      try {
        await Promise.race([Promise.all(firstData), timeout]);
      } finally {
        clearTimeout(timer);
      }
    }
  }

  private async stopKeepAlive(): Promise<void> {
    await Promise.all([...this.helpers].filter((h) => h.spawnargs[0] === 'parec').map((h) => stopChild(h)));
  }

  private spawnHelper(command: string, args: string[], options: SpawnOptions): ChildProcess {
    const child = spawn(command, args, { env: this.env, ...options });
    this.helpers.add(child);
    child.on('error', () => undefined);
    child.once('close', () => this.helpers.delete(child));
    return child;
  }
}

/** Starts a server (see PulseServer.start). */
export function startPulse(options: PulseOptions = {}): Promise<PulseServer> {
  return PulseServer.start(options);
}

/** SIGTERM (after SIGCONT, in case it is frozen), then SIGKILL after `graceMs`; resolves when it has exited. */
async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    child.kill('SIGCONT');
    child.kill(signal);
  } catch { /* already gone */ }
  const timer = setTimeout(() => { try { child.kill('SIGKILL'); } catch { /* gone */ } }, graceMs);
  await exited;
  clearTimeout(timer);
}
