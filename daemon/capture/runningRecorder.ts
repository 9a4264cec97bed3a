/**
 * One running recorder process: its PCM output, its stderr (a tail for messages, whole lines for listeners), stop
 * (SIGTERM, then SIGKILL), kill and fail, and one `ended` promise whatever way it ends; and the two ways one is
 * started (a direct spawn, or node-record-lpcm16 for the microphone programs).
 *
 * Owns the process's lifecycle. Must not choose a recorder or build its command line (recorder.ts) nor decide what a
 * fault means or when to restart (faults.ts, live.ts).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { CaptureFault, RecorderEnd, unendedRecorderFault } from './faults';
import type { RecorderCommand } from './recorderCommand';

/** Spawns a recorder program (not through node-record-lpcm16) in `env` plus the command's overrides. */
export function spawnRecorder(command: Pick<RecorderCommand, 'recorder' | 'command' | 'args' | 'envOverrides' | 'device'>, env: NodeJS.ProcessEnv): RunningRecorder {
  const child = spawn(command.command, command.args, { env: { ...env, ...command.envOverrides }, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  return new RunningRecorder(command, child, child.stdout!);
}

/**
 * Starts a microphone recorder through node-record-lpcm16. It has no option for the environment (sox's driver, a
 * PulseAudio source or server), but spawns synchronously from `record()` with process.env: process.env is set to
 * the recorder's environment for exactly that call, so nothing else can observe it.
 */
export function startMicRecorder(command: RecorderCommand, env: NodeJS.ProcessEnv): RunningRecorder {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { record } = require('node-record-lpcm16') as { record(o: object): { process: ChildProcess; stream(): Readable } };
  const recording = withProcessEnv({ ...env, ...command.envOverrides }, () => record(command.recordOptions!));
  return new RunningRecorder(command, recording.process, recording.stream());
}

function withProcessEnv<T>(env: NodeJS.ProcessEnv, fn: () => T): T {
  const saved = { ...process.env };
  const replace = (values: NodeJS.ProcessEnv) => {
    for (const key of Object.keys(process.env)) if (!(key in values)) delete process.env[key];
    for (const [key, value] of Object.entries(values)) if (value !== undefined) process.env[key] = value;
  };
  replace(env);
  try {
    return fn();
  } finally {
    replace(saved);
  }
}

/**
 * What RunningRecorder needs of a process: a ChildProcess, or something that stands for one (macCaptureApp.ts: an
 * app launched through `open`, its output read from FIFOs).
 */
export interface RecorderProcess {
  readonly pid?: number | undefined;
  /** The process that records, when it is not `pid` (the capture app, which launchd started; `pid` is its `open`). */
  readonly recordingPid?: number | undefined;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  readonly stderr: Readable | null;
  kill(signal?: NodeJS.Signals): boolean;
  on(event: 'error', listener: (e: Error) => void): unknown;
  once(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  once(event: 'exit', listener: () => void): unknown;
}

/** How long a recorder may live on after closing its stdout before it is killed (it can no longer deliver). */
const OUTPUT_CLOSED_GRACE_MS = 250;
/** SIGTERM, then SIGKILL after this long. */
const STOP_GRACE_MS = 1000;
/**
 * A recorder asked to end (stop() or kill()) that has not closed this long after is given up on: `ended` resolves
 * with unendedRecorderFault, so that no stop waits for it (a process stuck in the kernel, or a stand-in whose own
 * end failed: security review 2, S4).
 */
export const STOP_LIMIT_MS = 5000;
const STDERR_TAIL_CHARS = 4000;

export interface RunningRecorderEnd extends RecorderEnd {
  /** We stopped it (stop()/kill()): not a fault, whatever its exit code (arecord exits 1 on SIGTERM). */
  requested: boolean;
  /** Why fail() ended it: this is the fault, not how it exited. */
  fault?: CaptureFault;
  /** It did not close within STOP_LIMIT_MS of being asked to end: `fault` says so, and it may still run. */
  unended?: true;
}

/**
 * One running recorder process. Every way it can end — exit with any code, killed, never started (ENOENT), stdout
 * closed while it lingers — resolves `ended` exactly once; no 'error' event is ever left without a listener
 * (node-record-lpcm16 emits a string 'error' on the stream for any non-zero exit, which would otherwise crash us).
 */
export class RunningRecorder {
  readonly ended: Promise<RunningRecorderEnd>;
  readonly recorder: string;
  readonly device: string;
  /** The command line, for logs. */
  readonly commandLine: string;
  private stderrTail = '';
  private stderrPartial = '';
  private requested = false;
  private finished = false;
  private spawnError: NodeJS.ErrnoException | undefined;
  private fault: CaptureFault | undefined;
  private giveUpTimer: NodeJS.Timeout | undefined;
  private unended = false;
  private readonly stderrListeners: ((line: string) => void)[] = [];
  private resolveEnded!: (end: RunningRecorderEnd) => void;

  constructor(command: Pick<RecorderCommand, 'recorder' | 'command' | 'args' | 'device'> | { recorder: string; command: string; args: string[]; device: string },
    readonly child: RecorderProcess, readonly output: Readable, private readonly stopLimitMs = STOP_LIMIT_MS) {
    this.recorder = command.recorder;
    this.device = command.device;
    this.commandLine = [command.command, ...command.args].join(' ');
    this.ended = new Promise((resolve) => { this.resolveEnded = resolve; });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (child.pid === undefined) this.spawnError = e; // a failed spawn still gets 'close' (code -2)
    });
    output.on('error', () => undefined); // reported through 'close' instead
    output.once('end', () => {
      const timer = setTimeout(() => this.kill(), OUTPUT_CLOSED_GRACE_MS);
      child.once('exit', () => clearTimeout(timer));
    });
    child.stderr?.on('error', () => undefined);
    child.stderr?.setEncoding('utf8').on('data', (text: string) => this.onStderr(text));
    child.once('close', (code, signal) => this.finish(code, signal));
  }

  /** Raw PCM chunks (s16le mono, any length: an odd byte continues in the next chunk). */
  onData(listener: (chunk: Buffer) => void): void {
    this.output.on('data', listener);
  }

  /** Whole stderr lines, as they come. */
  onStderrLine(listener: (line: string) => void): void {
    this.stderrListeners.push(listener);
  }

  get running(): boolean {
    return !this.finished && this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Stops it (SIGTERM, then SIGKILL) and resolves when it is gone, not a fault; or after STOP_LIMIT_MS with
   * unendedRecorderFault, whether or not it is gone.
   */
  async stop(): Promise<RunningRecorderEnd> {
    this.requested = true;
    if (this.running) {
      this.signal('SIGTERM');
      const timer = setTimeout(() => this.signal('SIGKILL'), STOP_GRACE_MS);
      const end = await this.ended;
      clearTimeout(timer);
      return end;
    }
    return this.ended;
  }

  /**
   * Kills it now (it stopped being useful: stdout closed, a fatal error line, a long stall). Its end is still a fault;
   * given up on after STOP_LIMIT_MS like a stop.
   */
  kill(): void {
    this.signal('SIGKILL');
  }

  /**
   * Ends a recorder whose own words say that what it delivers cannot be used (audiotee reporting another format than
   * asked): nothing more of its output is read, and its end carries `fault`.
   */
  fail(fault: CaptureFault): void {
    this.fault ??= fault;
    this.output.destroy();
    this.kill();
  }

  private signal(signal: NodeJS.Signals): void {
    if (!this.running) return;
    // The first request to end it arms the bound: from here its end is awaited, and must come.
    this.giveUpTimer ??= setTimeout(() => this.giveUp(), this.stopLimitMs);
    try {
      this.child.kill(signal);
    } catch { /* already gone */ }
  }

  /** It did not close in time: `ended` resolves now with the fault; a close that still comes is ignored. */
  private giveUp(): void {
    if (this.finished) return;
    this.unended = true;
    // The pid the user can end: the one that records (the capture app's, once found), not a launcher's.
    const pid = 'recordingPid' in this.child ? this.child.recordingPid : this.child.pid;
    this.fault = unendedRecorderFault(this.recorder, pid, this.stopLimitMs); // more urgent than why it was ended
    this.finish(null, null);
  }

  private onStderr(text: string): void {
    this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_CHARS);
    const lines = (this.stderrPartial + text).split(/\r?\n/);
    this.stderrPartial = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) this.tellStderrLine(line);
  }

  /** A listener's throw must not cut the others off, nor (at the end) keep `ended` from resolving. */
  private tellStderrLine(line: string): void {
    for (const l of this.stderrListeners) {
      try {
        l(line);
      } catch { /* the listener's own fault */ }
    }
  }

  private finish(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.finished) return;
    clearTimeout(this.giveUpTimer);
    const partial = this.stderrPartial;
    this.stderrPartial = '';
    if (partial.trim()) this.tellStderrLine(partial);
    this.finished = true;
    this.resolveEnded({
      code: this.spawnError ? null : code, signal, stderr: this.stderrTail, requested: this.requested,
      ...(this.spawnError ? { spawnError: this.spawnError } : {}), ...(this.fault ? { fault: this.fault } : {}), ...(this.unended ? { unended: true as const } : {}),
    });
  }
}
