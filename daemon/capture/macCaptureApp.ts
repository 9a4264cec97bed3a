/**
 * audiotee and the microphone recorded by Earshot's own app, "Earshot Audio Capture.app" (built by
 * scripts/mac-capture-app.js into out/mac-capture/), so that macOS asks the user about system audio and the microphone
 * for "Earshot" and lists Earshot under Privacy & Security. Its executable, earshot-capture, records the microphone
 * itself (macMicrophone.ts) and runs audiotee, its child, for the tap.
 *
 * Why an app launched through LaunchServices: TCC asks about, and records a grant for, the *responsible process* of
 * the process that touches a protected resource. A child inherits its parent's responsible process, so audiotee
 * spawned by the daemon counts as VS Code (or the terminal), and VS Code's Info.plist has no
 * NSAudioCaptureUsageDescription: tccd then shows no prompt, creates no row, and the tap delivers zeros
 * (umputun/agterm#431 and #432, pasrom/meeting-transcriber#547; Apple DTS on responsibility,
 * developer.apple.com/forums/thread/731504; Qt, "The curious case of the responsible process",
 * qt.io/blog/the-curious-case-of-the-responsible-process). An app LaunchServices starts is launched by launchd and
 * is its own responsible process: trycua/cua launches its CuaDriver.app with `open -n -g -a CuaDriver --args serve` for
 * exactly this ("LaunchServices, not the raw binary: that keeps TCC attribution on the app"; measured there as
 * responsible_ppid 1). The other way, responsibility_spawnattrs_setdisclaim (Ghostty's `_macos-disclaim`, Qt), is a
 * private posix_spawn attribute only native code can set; Node's spawn cannot.
 *
 * The audio channel: `open` has no pipe to the app, only `--stdout PATH` / `--stderr PATH` ("Launches with stdout
 * connected to PATH", open(1)'s usage). The daemon makes a private folder (mkdtemp: mode 0700) with two FIFOs (mode
 * 0600), so only this user, and only whoever can reach the folder, can open them; it opens their read ends before
 * before `open` launches the app. `open -W` waits for the app to exit; the recorder has ended once `open` has and both
 * FIFOs have reached end-of-file.
 *
 * Ending it: audiotee writes each chunk with FileHandle.write (BinaryOutputHandler.swift:7 at a311cc5) and sets
 * handlers only for SIGINT and SIGTERM (AudioTee.swift:157-166), so once the daemon closes the read end the next
 * write raises SIGPIPE, whose default action ends the process (a tap writes a chunk every --chunk-duration even
 * while nothing plays). When the helper's PID can be found (lsof on the FIFO), SIGTERM is sent first: audiotee stops
 * its recorder and exits 0 (AudioTee.swift:146-154).
 *
 * What only a Mac can confirm (README): that the prompt names Earshot, that `open --stdout/--stderr` takes FIFOs on
 * 14.2+, that an LSUIElement bundle around a command-line binary runs under `open -W` until it exits.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type { RecorderCommand } from './recorderCommand';
import { RecorderProcess, RunningRecorder } from './runningRecorder';
import { runTool } from './tools';

/**
 * The bundle's folder name, executable and identifier (scripts/mac-capture-app.js builds it with these; a unit test
 * holds them together). The executable is Earshot's recorder: `earshot-capture microphone …` records the microphone
 * (macMicrophone.ts), `earshot-capture system <audiotee's arguments>` runs audiotee, which sits beside it.
 */
export const CAPTURE_APP = 'Earshot Audio Capture.app';
export const CAPTURE_APP_EXECUTABLE = 'earshot-capture';
export const CAPTURE_APP_BUNDLE_ID = 'dev.earshot.audio-capture';

/** The bundle in this installation (out/mac-capture/, beside out/daemon/), or undefined (a dev checkout that never packaged). */
export function captureAppPath(): string | undefined {
  const app = path.join(__dirname, '..', '..', 'mac-capture', CAPTURE_APP);
  try {
    fs.accessSync(path.join(app, 'Contents', 'MacOS', CAPTURE_APP_EXECUTABLE), fs.constants.X_OK);
    return app;
  } catch {
    return undefined;
  }
}

export interface CaptureAppOptions {
  /** The bundle. */
  app: string;
  /** open(1); a test's stand-in. */
  open?: string;
  /** Where the private folder is made (default os.tmpdir(): per user on macOS, /var/folders/…). */
  tmpdir?: string;
  /** The helper's PID from who holds `fifo` open; undefined when it cannot be told (then only closing the FIFO ends it). */
  findHelperPid?: (fifo: string) => Promise<number | undefined>;
  /** Called when `open` could not launch the app at all (its stderr says why). */
  onLaunchFailed?: (reason: string) => void;
}

/** How long the app may still take to open its FIFOs after `open` was ended before it did (then they are closed). */
const CONNECT_GRACE_MS = 1000;

/** Folders still in use, removed if the daemon exits first (the helper then gets SIGPIPE by itself). */
const liveDirs = new Set<string>();
let exitHookSet = false;

/** lsof -t lists the PIDs that hold a file open: the daemon (reader) and the helper (writer). */
async function lsofHelperPid(fifo: string): Promise<number | undefined> {
  const result = await runTool('/usr/sbin/lsof', ['-t', '--', fifo], { timeoutMs: 3000 });
  const pids = result.stdout.split(/\s+/).map(Number).filter((p) => Number.isInteger(p) && p > 0 && p !== process.pid);
  return pids.length === 1 ? pids[0] : undefined;
}

/**
 * One FIFO's read end. Opened O_NONBLOCK, so that nothing waits for the app (a blocking open would hold one of
 * libuv's four pool threads until a writer came, or forever if none does). A reader with no writer reads end-of-file
 * at once (POSIX read(); XNU's FIFOs start "cannot receive more"), so the daemon holds a write end of its own until
 * the app has written: the FIFO ends only once the app's write end and ours are both closed.
 */
class FifoReader {
  readonly socket: net.Socket;
  /** The app has written to it: its write end is open. */
  heard = false;
  private ownWriter: number | undefined;

  constructor(fifo: string, into: PassThrough, onFirstData: () => void) {
    const fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    this.ownWriter = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    // A FIFO fd is a pipe to libuv (uv_guess_handle): read when readable, 'end' when every writer has closed.
    this.socket = new net.Socket({ fd, readable: true, writable: false });
    this.socket.on('error', () => undefined); // its end comes through 'close'
    this.socket.pipe(into, { end: false });
    this.socket.once('data', () => {
      this.heard = true;
      this.releaseOwnWriter();
      onFirstData();
    });
  }

  /** Lets the FIFO end when the app's write end does (or now, if the app never opened it). */
  releaseOwnWriter(): void {
    if (this.ownWriter === undefined) return;
    fs.closeSync(this.ownWriter);
    this.ownWriter = undefined;
  }

  /** Closes the read end: the app's next write to it fails (SIGPIPE). */
  close(): void {
    this.releaseOwnWriter();
    this.socket.destroy();
  }

  get closed(): Promise<void> {
    return this.socket.closed ? Promise.resolve() : new Promise((resolve) => this.socket.once('close', () => resolve()));
  }
}

/**
 * The app as a recorder process: `pid` is `open -W`'s, stdout and stderr come from the FIFOs (stderr also carries
 * `open`'s own complaints), 'exit' and 'close' come once `open` has exited and both FIFOs have ended, and the folder
 * is gone by then.
 */
export class CaptureAppProcess extends EventEmitter implements RecorderProcess {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  private opener: ChildProcess | undefined;
  private dir: string | undefined;
  private readers: FifoReader[] = [];
  private closing = false;
  private helperPid: number | undefined;
  private openerExit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private openerStderr = '';
  private finished = false;

  constructor(args: string[], private readonly options: CaptureAppOptions) {
    super();
    let fifos: { out: string; err: string };
    try {
      this.dir = fs.mkdtempSync(path.join(options.tmpdir ?? os.tmpdir(), 'earshot-capture-'));
      fs.chmodSync(this.dir, 0o700); // mkdtemp makes it 0700 already; said here, not left to the umask
      liveDirs.add(this.dir);
      if (!exitHookSet) {
        exitHookSet = true;
        process.once('exit', () => { for (const d of liveDirs) fs.rmSync(d, { recursive: true, force: true }); });
      }
      fifos = { out: path.join(this.dir, 'stdout'), err: path.join(this.dir, 'stderr') };
      execFileSync('mkfifo', ['-m', '600', fifos.out, fifos.err], { stdio: 'ignore' });
      // The read ends exist before the launch: the app's opens of the write ends never find the FIFOs without a reader.
      this.readers = [new FifoReader(fifos.out, this.stdout, () => this.connected()), new FifoReader(fifos.err, this.stderr, () => this.connected())];
    } catch (e) {
      for (const r of this.readers) r.close();
      this.removeDir();
      process.nextTick(() => this.failToStart(e as Error));
      return;
    }
    // -W: wait until the app exits; -n: a new instance per recorder; -g: stay in the background (open(1)).
    const opener = spawn(options.open ?? '/usr/bin/open', ['-W', '-n', '-g', '-a', options.app, '--stdout', fifos.out, '--stderr', fifos.err, '--args', ...args],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    this.opener = opener;
    opener.on('error', (e) => {
      if (opener.pid === undefined) this.emit('error', e);
    });
    opener.stderr!.setEncoding('utf8').on('data', (text: string) => {
      this.openerStderr += text;
      this.stderr.write(text);
    });
    opener.once('close', (code, signal) => {
      this.openerExit = { code, signal };
      // The app has exited (-W), or never came: the FIFOs end once its write ends are closed too.
      for (const r of this.readers) r.releaseOwnWriter();
      void Promise.all(this.readers.map((r) => r.closed)).then(() => this.finish());
    });
  }

  get pid(): number | undefined {
    return this.opener?.pid;
  }

  /** The private folder (for tests and logs). */
  get folder(): string | undefined {
    return this.dir;
  }

  /**
   * Ends the helper: SIGTERM to its PID when known (audiotee stops cleanly), otherwise, and for SIGKILL, the FIFOs'
   * read ends are closed so that its next write ends it (SIGPIPE). Before the app has written anything `open` is
   * ended, and the FIFOs stay open a moment for an app still starting (closed earlier, its open of them could wait).
   */
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.finished) return false;
    this.closing = true;
    const heard = this.readers.some((r) => r.heard);
    if (this.helperPid !== undefined) {
      try { process.kill(this.helperPid, signal); } catch { /* already gone */ }
    }
    if (signal === 'SIGKILL' || (heard && this.helperPid === undefined)) for (const r of this.readers) r.close();
    if (!heard) {
      try { this.opener?.kill(signal); } catch { /* already gone */ }
      setTimeout(() => { for (const r of this.readers) r.close(); }, CONNECT_GRACE_MS).unref();
    }
    return true;
  }

  /** The app has written: find its PID (to end it with SIGTERM); a stop asked for meanwhile closes it now. */
  private connected(): void {
    if (this.closing && this.helperPid === undefined) for (const r of this.readers) r.close();
    if (this.readers.filter((r) => r.heard).length !== 1) return; // once, at the first write
    const find = this.options.findHelperPid ?? (process.platform === 'darwin' ? lsofHelperPid : async () => undefined);
    void find(path.join(this.dir!, 'stdout')).catch(() => undefined).then((pid) => {
      if (this.finished || pid === undefined) return;
      this.helperPid = pid;
      if (this.closing) this.kill('SIGTERM');
    });
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    const { code, signal } = this.openerExit!;
    if (!this.readers.some((r) => r.heard) && !this.closing && code !== 0) {
      this.options.onLaunchFailed?.(this.openerStderr.trim() || `open exited with ${code ?? signal}`);
    }
    this.removeDir();
    this.exitCode = code;
    this.signalCode = signal;
    this.emit('exit', code, signal);
    this.stdout.end();
    this.stderr.once('end', () => this.emit('close', code, signal));
    this.stderr.end();
    this.stderr.resume(); // 'end' comes only once read to the end, listener or not
  }

  private failToStart(e: Error): void {
    this.finished = true;
    this.emit('error', e);
    this.stdout.end();
    this.stderr.end();
    this.emit('close', -2, null);
  }

  private removeDir(): void {
    if (!this.dir) return;
    fs.rmSync(this.dir, { recursive: true, force: true });
    liveDirs.delete(this.dir);
  }
}

/** audiotee's command run as the app: a RunningRecorder like any other. */
export function launchCaptureApp(command: Pick<RecorderCommand, 'recorder' | 'args' | 'device'>, options: CaptureAppOptions): RunningRecorder {
  const child = new CaptureAppProcess(command.args, options);
  return new RunningRecorder({ recorder: command.recorder, command: `open -W -n -g -a ${options.app} --args`, args: command.args, device: command.device }, child, child.stdout);
}

export interface AudioteeSpawnerOptions extends Partial<CaptureAppOptions> {
  /** Where to say which way audiotee runs (once per reason). */
  log?: (message: string) => void;
}

/** Why the app is not used, once found out (missing, or `open` could not launch it): said in the log once. */
let appUnusable: string | undefined;
let saidUnusable: string | undefined;

/**
 * What startAudiotee spawns audiotee with: through the app when the installation has it and `open` has not failed
 * to launch it, otherwise directly (a dev checkout that never packaged, or a Mac that refused the app), as before:
 * then macOS attributes the tap to VS Code.
 */
export function audioteeSpawner(spawnDirect: (command: RecorderCommand) => RunningRecorder, options: AudioteeSpawnerOptions = {}): (command: RecorderCommand) => RunningRecorder {
  const log = options.log ?? captureWarning('audiotee');
  return (command) => {
    const app = options.app ?? captureAppPath();
    const why = !app ? `${CAPTURE_APP} is not in this installation (a development checkout: \`node scripts/mac-capture-app.js\` builds it)` : appUnusable;
    if (why) {
      if (saidUnusable !== why) log(`running audiotee directly, so macOS counts the tap as the editor's or terminal's: ${why}`);
      saidUnusable = why;
      return spawnDirect(command);
    }
    return launchCaptureApp({ ...command, args: ['system', ...command.args] }, {
      ...options, app: app!,
      onLaunchFailed: (reason) => {
        markCaptureAppUnusable(`open could not launch ${CAPTURE_APP}: ${reason}`);
        options.onLaunchFailed?.(reason);
      },
    });
  };
}

/** A warning in the daemon's log (stderr, one JSON line), for the capture component's `event`. */
export function captureWarning(event: string): (message: string) => void {
  return (message) => process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: 'warn', component: 'capture', event, message }) + '\n');
}

/** Why the app is not used although it is there (`open` could not launch it), or undefined. */
export function captureAppUnusable(): string | undefined {
  return appUnusable;
}

/** The app cannot be used (every subcommand: the tap and the microphone fall back), for `reason`. */
export function markCaptureAppUnusable(reason: string): void {
  appUnusable = reason;
}

/** Whether taps are attributed to Earshot's own app (the hint names it) rather than the editor. */
export function tapRunsAsEarshot(app: string | undefined = captureAppPath()): boolean {
  return app !== undefined && appUnusable === undefined;
}

/** For tests: forget that the app could not be launched. */
export function resetCaptureAppState(): void {
  appUnusable = undefined;
  saidUnusable = undefined;
}
