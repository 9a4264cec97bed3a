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
 * 0600), so only this user, and only whoever can reach the folder, can open them; it opens their read ends
 * before `open` launches the app. `open -W` waits for the app to exit; the recorder has ended once `open` has and both
 * FIFOs have reached end-of-file.
 *
 * Ending it: the app, earshot-capture, leads its own process group, which the audiotee it runs for the tap joins
 * (earshot-capture.cpp main), so one kill(-pid) reaches both (signalAppGroup). Its PID is found with lsof on the FIFO:
 * the holder whose parent is neither another holder nor the daemon (appOfHolders). SIGTERM first: audiotee stops its
 * recorder and exits 0 (AudioTee.swift:146-154 at a311cc5), the microphone recorder stops its stream; both write
 * with nothing but SIGINT/SIGTERM handled, so once the daemon closes the read end the next write ends them (SIGPIPE
 * for audiotee's FileHandle.write, BinaryOutputHandler.swift:7; EPIPE for the recorder). Before its first write the
 * app gets SIGKILL instead: launchd owns it, so ending `open` does not end it, and SIGTERM does not reach a helper
 * still setting up its tap. A tap Earshot ended before it delivered audio that may still run rules out a second one
 * while it may (judgeSilentEnds); SILENT_LAUNCH_LIMIT such taps in a row make audiotee run directly (review 3, P6).
 *
 * What only a Mac can confirm (docs/platforms.md): that the prompt names Earshot, that `open --stdout/--stderr` takes FIFOs on
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

/**
 * Launches in a row whose app Earshot ended before it delivered any audio (the supervisor's first-data timeout, or a
 * stop) after which the app counts as unusable and audiotee runs directly (platform review 3, P6).
 */
export const SILENT_LAUNCH_LIMIT = 2;

/** Folders still in use, removed if the daemon exits first (the helper then gets SIGPIPE by itself). */
const liveDirs = new Set<string>();
let exitHookSet = false;

/**
 * The app's PID from who holds its FIFO open: lsof lists each holder's PID and parent PID (`-F pR`: "p" and "R"
 * fields, lsof(8) "OUTPUT FOR OTHER PROGRAMS"). The holders are the daemon (reader), earshot-capture and, for the tap,
 * the audiotee it runs as its child, and perhaps `open` (the daemon's child) if it keeps the path open too; the app is
 * the holder whose parent is neither another holder nor the daemon (launchd started it).
 */
export async function lsofHelperPid(fifo: string, lsof = '/usr/sbin/lsof'): Promise<number | undefined> {
  const result = await runTool(lsof, ['-F', 'pR', '--', fifo], { timeoutMs: 3000 });
  return appOfHolders(result.stdout, process.pid);
}

/** From lsof's `-F pR` lines, the holder (other than `self`) whose parent is neither `self` nor a holder; undefined unless exactly one. */
export function appOfHolders(lsofFields: string, self: number): number | undefined {
  const parents = new Map<number, number>();
  let pid: number | undefined;
  for (const line of lsofFields.split('\n')) {
    if (line.startsWith('p')) pid = Number(line.slice(1));
    else if (line.startsWith('R') && pid !== undefined) parents.set(pid, Number(line.slice(1)));
  }
  const holders = [...parents.keys()].filter((p) => Number.isInteger(p) && p > 0 && p !== self);
  const tops = holders.filter((p) => parents.get(p) !== self && !holders.includes(parents.get(p)!));
  return tops.length === 1 ? tops[0] : undefined;
}

/**
 * A signal to the app and the audiotee it runs: earshot-capture leads its own process group (earshot-capture.cpp
 * main), so kill(-pid) reaches both (kill(2)); a helper that leads none (a stand-in) gets it alone.
 */
export function signalAppGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try { process.kill(pid, signal); } catch { /* already gone */ }
  }
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
    const fd = this.ownWriter;
    if (fd === undefined) return;
    this.ownWriter = undefined;
    try {
      fs.closeSync(fd);
    } catch { /* not open any more: nothing to release */ }
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
  /** 'close' is certain: emitted, or its stream's 'end' is on its way (set only once nothing can throw before it). */
  private finished = false;
  /** The lookup of the helper's PID under way (lsof on the FIFO), if any. */
  private lookup: Promise<void> | undefined;

  /** The tap (`system`), whose silent ends count against the app (judgeSilentEnds). */
  private readonly tap: boolean;

  constructor(args: string[], private readonly options: CaptureAppOptions) {
    super();
    this.tap = args[0] === 'system';
    let fifos: { out: string; err: string };
    try {
      this.dir = fs.mkdtempSync(path.join(options.tmpdir ?? os.tmpdir(), 'earshot-capture-'));
      fs.chmodSync(this.dir, 0o700); // mkdtemp makes it 0700 already; said here, not left to the umask
      liveDirs.add(this.dir);
      if (!exitHookSet) {
        exitHookSet = true;
        process.once('exit', () => {
          for (const d of liveDirs) {
            try {
              fs.rmSync(d, { recursive: true, force: true });
            } catch { /* the process is leaving: the OS cleans its temporary folder */ }
          }
        });
      }
      fifos = { out: path.join(this.dir, 'stdout'), err: path.join(this.dir, 'stderr') };
      execFileSync('mkfifo', ['-m', '600', fifos.out, fifos.err], { stdio: 'ignore' });
      // The read ends exist before the launch: the app's opens of the write ends never find the FIFOs without a reader.
      this.readers = [new FifoReader(fifos.out, this.stdout, () => this.connected()), new FifoReader(fifos.err, this.stderr, () => this.connected())];
    } catch (e) {
      for (const r of this.readers) r.close();
      this.tryRemoveDir();
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

  /** The app's own process (found with lsof), which a user can end; undefined until found. */
  get recordingPid(): number | undefined {
    return this.helperPid;
  }

  /** The private folder (for tests and logs). */
  get folder(): string | undefined {
    return this.dir;
  }

  /** The helper (the app's process) has written to a FIFO: its log lines on stderr come first, at once. */
  get heard(): boolean {
    return this.readers.some((r) => r.heard);
  }

  /** The app has written audio (stdout): a tap set up and its run loop running (AudioTee.swift:135-147), or a microphone stream started. */
  get deliveredAudio(): boolean {
    return this.readers[0]?.heard ?? false;
  }

  /**
   * Whether the helper may still run: Earshot ended it before it delivered audio, and it has not been seen to go (its
   * PID never found, or still alive; this one not closed yet). Such a helper may wait behind a permission prompt.
   */
  mayLinger(): boolean {
    if (this.deliveredAudio || !this.closing) return false;
    if (!this.finished || this.helperPid === undefined) return true;
    try {
      process.kill(this.helperPid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  }

  /**
   * Ends the helper: SIGTERM to its PID when known (audiotee stops cleanly), otherwise, and for SIGKILL, the FIFOs'
   * read ends are closed so that its next write ends it (SIGPIPE). Before the app has written anything `open` is
   * ended, and the FIFOs stay open a moment for an app still starting (closed earlier, its open of them could wait).
   */
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.finished) return false;
    this.closing = true;
    const heard = this.heard;
    // A tap judged at the next tap's launch (judgeSilentEnds); a microphone or a device list is not a tap's evidence.
    if (!this.deliveredAudio && this.tap) endedSilent.add(this);
    if (this.helperPid !== undefined) this.signalHelper(this.helperSignal(signal));
    else void this.lookUpHelper(); // found, it gets the signal (closing)
    // Its next write ends it (SIGPIPE) once the read ends are closed: after the lookup, which finds it by the FIFO.
    if (heard && (signal === 'SIGKILL' || this.helperPid === undefined)) void Promise.resolve(this.lookup).then(() => this.closeReaders());
    if (!heard) {
      // `open` is launchd's client, not the app's parent: ending it does not end the app (hence the PID above).
      try { this.opener?.kill(signal); } catch { /* already gone */ }
      // The FIFOs stay open for an app still starting, and for the lookup (lsof finds the helper by them).
      const grace = new Promise<void>((resolve) => setTimeout(resolve, CONNECT_GRACE_MS).unref());
      void Promise.all([grace, this.lookup]).then(() => this.closeReaders());
    }
    return true;
  }

  /**
   * Before its first audio the helper may be inside tap creation, where SIGTERM only asks a run loop that has not
   * started to stop, and is lost (AudioTee.swift:95 installs the handler, :117-132 set up the tap, :146-151 run the
   * loop, :157-166 the handlers call CFRunLoopStop, at a311cc5; CFRunLoopStop sets the stop only "if
   * (rl->_currentMode)", swift-corelibs-foundation CFRunLoop.c): it has delivered nothing to end cleanly, so SIGKILL.
   */
  private helperSignal(asked: NodeJS.Signals): NodeJS.Signals {
    return this.deliveredAudio ? asked : 'SIGKILL';
  }

  private signalHelper(signal: NodeJS.Signals): void {
    signalAppGroup(this.helperPid!, signal);
  }

  private closeReaders(): void {
    for (const r of this.readers) r.close();
  }

  /** Finds the helper's PID by who holds the FIFO open (once at a time); a stop asked for meanwhile then ends it. */
  private lookUpHelper(): Promise<void> {
    if (this.helperPid !== undefined || !this.dir) return Promise.resolve();
    const find = this.options.findHelperPid ?? (process.platform === 'darwin' ? lsofHelperPid : async () => undefined);
    const beforeStop = !this.closing;
    this.lookup ??= find(path.join(this.dir, 'stdout')).catch(() => undefined).then((pid): Promise<void> | undefined => {
      this.lookup = undefined;
      // A stop that came while the first write's lookup ran (and found nothing) looks once more: the stop needs it.
      if (pid === undefined && beforeStop && this.closing) return this.lookUpHelper();
      if (pid === undefined || this.helperPid !== undefined) return;
      this.helperPid = pid; // kept after the end too: mayLinger() asks whether it still runs
      // Also after the end: one that delivered no audio may outlive its FIFOs (no write, no SIGPIPE).
      if (this.closing && (!this.finished || !this.deliveredAudio)) this.signalHelper(this.helperSignal('SIGTERM'));
    });
    return this.lookup;
  }

  /** The app has written: find its PID (to end it with SIGTERM); a stop asked for meanwhile closes it now. */
  private connected(): void {
    if (this.deliveredAudio) {
      endedSilent.delete(this);
      silentInARow = 0;
    }
    if (this.closing && this.helperPid === undefined) this.closeReaders();
    if (this.readers.filter((r) => r.heard).length !== 1) return; // once, at the first write
    void this.lookUpHelper();
  }

  /**
   * `open` has exited and both FIFOs have ended: 'exit', then 'close'. Nothing before them may throw past here, or
   * the recorder never closes and every stop waits for it (security review 2, S4: a folder rmSync could not remove).
   */
  private finish(): void {
    if (this.finished) return;
    const { code, signal } = this.openerExit!;
    if (!this.heard && !this.closing && code !== 0) {
      const reason = this.openerStderr.trim() || `open exited with ${code ?? signal}`;
      try {
        this.options.onLaunchFailed?.(reason);
      } catch { /* the listener's own fault */ }
    }
    this.tryRemoveDir();
    this.exitCode = code;
    this.signalCode = signal;
    this.stderr.once('end', () => this.emit('close', code, signal));
    this.finished = true;
    try {
      this.emit('exit', code, signal);
    } finally {
      this.stdout.end();
      this.stderr.end();
      this.stderr.resume(); // 'end' comes only once read to the end, listener or not
    }
  }

  private failToStart(e: Error): void {
    this.finished = true;
    this.stdout.end();
    this.stderr.end();
    try {
      this.emit('error', e);
    } finally {
      this.emit('close', -2, null);
    }
  }

  /**
   * Removes the private folder. One that cannot be removed stays for the exit hook (and the OS's temporary-folder
   * cleanup), and is said on the recorder's stderr (its detail), not thrown.
   */
  private tryRemoveDir(): void {
    if (!this.dir) return;
    try {
      fs.rmSync(this.dir, { recursive: true, force: true });
      liveDirs.delete(this.dir);
    } catch (e) {
      if (!this.stderr.writableEnded) this.stderr.write(`earshot: could not remove the capture folder ${this.dir} (${(e as NodeJS.ErrnoException).code ?? 'error'})\n`);
    }
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
/** App instances Earshot ended before they delivered audio, until seen gone (see judgeSilentEnds). */
const endedSilent = new Set<CaptureAppProcess>();
/** Of those, how many in a row were seen gone without ever delivering (any instance that delivers resets it). */
let silentInARow = 0;

/**
 * Before a launch through the app: the instances Earshot ended before their first audio. One that may still run
 * (maybe behind a permission prompt) rules out a second (`-n` starts one more each time); SILENT_LAUNCH_LIMIT in a
 * row that never delivered make the app unusable, as a failed launch does (the supervisor's first-data timeout ends
 * them, and `open` itself never fails then).
 */
function judgeSilentEnds(): string | undefined {
  for (const app of endedSilent) {
    // Not kept as the app's state: once that instance is gone, the next launch goes through the app again.
    if (app.mayLinger()) return `an earlier ${CAPTURE_APP} that Earshot stopped before it delivered any audio may still be running (waiting for a permission prompt?), and another would queue behind it`;
    endedSilent.delete(app);
    if (++silentInARow >= SILENT_LAUNCH_LIMIT) appUnusable ??= `${CAPTURE_APP} delivered no audio in ${silentInARow} launches in a row`;
  }
  return undefined;
}

/**
 * What startAudiotee spawns audiotee with: through the app when the installation has it and `open` has not failed
 * to launch it, otherwise directly (a dev checkout that never packaged, or a Mac that refused the app), as before:
 * then macOS attributes the tap to VS Code.
 */
export function audioteeSpawner(spawnDirect: (command: RecorderCommand) => RunningRecorder, options: AudioteeSpawnerOptions = {}): (command: RecorderCommand) => RunningRecorder {
  const log = options.log ?? captureWarning('audiotee');
  return (command) => {
    const app = options.app ?? captureAppPath();
    const lingering = app ? judgeSilentEnds() : undefined;
    const why = !app ? `${CAPTURE_APP} is not in this installation (a development checkout: \`node scripts/mac-capture-app.js\` builds it)` : appUnusable ?? lingering;
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
  endedSilent.clear();
  silentInARow = 0;
}
