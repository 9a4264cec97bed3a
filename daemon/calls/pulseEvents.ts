/**
 * Linux: PulseAudio's (or pipewire-pulse's) own events instead of a poll. `pactl subscribe` keeps one connection open
 * and prints a line per event (`Event 'new' on source-output #12`, as pactl 16.1 prints it); a source-output's new,
 * change (corked, moved) or remove is when the apps using the microphone can change, so the watcher looks then, and
 * between events nothing runs: an idle machine costs a sleeping pactl.
 *
 * Bounded: the child's output is read line by line, a line longer than SUBSCRIBE_LINE_MAX is dropped (no buffer grows),
 * stderr is not kept; a child that exits (no server, the server restarted, killed) is started again after a backoff
 * that doubles from SUBSCRIBE_BACKOFF_MS.first to .max, and meanwhile the watcher polls as without events; a pactl
 * that is not installed is not tried again. stop() kills it (SIGKILL) and starts nothing more.
 */
import { ChildProcess, spawn } from 'node:child_process';

/** The longest event line read; pactl's are under 60 characters. */
export const SUBSCRIBE_LINE_MAX = 256;
/** How long after a child exits the next one starts: doubling from first to max, back to first once one ran a minute. */
export const SUBSCRIBE_BACKOFF_MS = { first: 1000, max: 60_000 } as const;
/** A child that ran this long counts as healthy: the next failure starts the backoff over. */
const HEALTHY_MS = 60_000;
/**
 * A child still running this long after it started is subscribed: pactl prints nothing when it connects, and exits
 * at once when it cannot (no server: "Connection failure").
 */
export const SUBSCRIBED_AFTER_MS = 500;

/** Events that say when to look again, and whether they are coming now. */
export interface CallEvents {
  /**
   * Starts: `onEvent` at each event that may change the apps using the microphone; `onLive(true)` when events come
   * (a look is due then: events before it were missed), `onLive(false)` when they stopped (poll meanwhile).
   */
  start(onEvent: () => void, onLive: (live: boolean) => void): void;
  stop(): void;
}

/** Whether a `pactl subscribe` line is an event on a source-output (a recording stream). */
export function isSourceOutputEvent(line: string): boolean {
  return /^Event '(new|change|remove)' on source-output #\d+$/.test(line.trim());
}

export interface PulseSubscriptionOptions {
  pactl?: string;
  env?: NodeJS.ProcessEnv;
  /** Tests: the backoff. */
  backoffMs?: { first: number; max: number };
}

export class PulseSubscription implements CallEvents {
  private child: ChildProcess | undefined;
  private restart: NodeJS.Timeout | undefined;
  private backoff: number;
  private on = false;
  /** Children started, for tests and the log. */
  starts = 0;

  /** The running child's process id (the benchmark reads its CPU). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  constructor(private readonly options: PulseSubscriptionOptions = {}) {
    this.backoff = (options.backoffMs ?? SUBSCRIBE_BACKOFF_MS).first;
  }

  start(onEvent: () => void, onLive: (live: boolean) => void): void {
    this.stop();
    this.on = true;
    this.spawn(onEvent, onLive);
  }

  stop(): void {
    this.on = false;
    clearTimeout(this.restart);
    this.restart = undefined;
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  private spawn(onEvent: () => void, onLive: (live: boolean) => void): void {
    const limits = this.options.backoffMs ?? SUBSCRIBE_BACKOFF_MS;
    const child = spawn(this.options.pactl ?? 'pactl', ['subscribe'], { env: this.options.env, stdio: ['ignore', 'pipe', 'ignore'] });
    this.child = child;
    this.starts++;
    const startedAt = performance.now();
    let partial = '';
    let live = false;
    const subscribed = setTimeout(() => {
      if (this.child !== child) return;
      live = true;
      onLive(true);
    }, SUBSCRIBED_AFTER_MS);
    subscribed.unref();
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      if (this.child !== child) return;
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      if (partial.length > SUBSCRIBE_LINE_MAX) partial = ''; // not pactl's: dropped, never kept growing
      if (lines.some((l) => l.length <= SUBSCRIBE_LINE_MAX && isSourceOutputEvent(l))) onEvent();
    });
    // 'close' comes after 'error' (not installed) and after 'exit' once the pipe is drained: one end either way.
    let missing = false;
    child.once('error', (e: NodeJS.ErrnoException) => { missing = e.code === 'ENOENT'; });
    child.once('close', () => {
      clearTimeout(subscribed);
      if (this.child !== child) return;
      this.child = undefined;
      if (live) onLive(false);
      // Not installed: no use trying again (the polls say so, as the detector's fault).
      if (!this.on || missing) return;
      if (performance.now() - startedAt >= HEALTHY_MS) this.backoff = limits.first;
      const wait = this.backoff;
      this.backoff = Math.min(limits.max, this.backoff * 2);
      this.restart = setTimeout(() => {
        this.restart = undefined;
        if (this.on) this.spawn(onEvent, onLive);
      }, wait);
      this.restart.unref();
    });
    // The child must not keep the daemon (or `earshot calls`) alive by itself.
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
  }
}
