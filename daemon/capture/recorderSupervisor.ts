/**
 * Keeps a live source's recorder running (live.ts): starts one, notices every way it fails, restarts it with backoff,
 * and holds it stopped while the source is paused.
 *
 * - Faults: the recorder exiting with any code, its stdout ending, a fatal line on its stderr ("Connection
 *   terminated"), or it not starting at all (not installed) are noticed at once (the process events fire within
 *   milliseconds; the 1 s goal has room for a loaded machine). A watchdog reports a stall when no data came for
 *   `stallMs` (2 s) while the process lives (a frozen server), and restarts a recorder stalled for `stallRestartMs`.
 * - Recovery: the recorder is restarted after 0.25, 0.5, 1, 2, 4, then every 5 s until the source is stopped, and
 *   capture resumes when the server is back; a run that stays healthy resets the delays. retryNow() skips the wait.
 * - Pause: pause() ends the run (the recorder, or the wait before the next attempt) without ending the supervision;
 *   while paused there is no watchdog, no retry and no fault. resume() starts a recorder as at the start.
 *
 * Owns the recorder processes, the backoff, the watchdog and the pause handshake. Must not touch audio, the capture
 * clock or the status listeners: what a recorder delivers and every status go to the source (SupervisedSource).
 */
import { Backoff, BackoffOptions } from './backoff';
import { CaptureError, CaptureFault, CaptureKind, classifyEnd, FaultContext, isFatalStderrLine, stallFault } from './faults';
import type { CaptureState, CaptureStatus } from './captureStatus';
import { RecorderLauncher } from './recorder';
import { CaptureAppProcess } from './macCaptureApp';
import { RunningRecorder, RunningRecorderEnd } from './runningRecorder';

const WATCHDOG_TICK_MS = 250;
/** A watchdog tick this late means this process did not run (event loop blocked, machine suspended): data may be waiting unread. */
const LATE_TICK_MS = 750;

/** What the supervisor asks of the source it keeps a recorder running for. */
export interface SupervisedSource {
  /** The source's latest status. */
  status(): CaptureStatus;
  /** Announces a status change. */
  setStatus(change: Partial<CaptureStatus> & { state: CaptureState }): void;
  /** pause() is acted on: the recorder is stopped, the source marks where its frames end. */
  enterPause(): void;
  /** resume() came: capture starts again at `now` (performance.now()). */
  resumed(now: number): void;
  /** Whether the run about to start is the first after a resume (false again once a run failed). */
  resumeRun(isResumeRun: boolean): void;
  /** A new recorder process runs; its data follows. */
  recorderStarted(recorder: RunningRecorder): void;
  /** A chunk of the recorder's output. An exception ends the recorder with a fault, and it is restarted. */
  data(chunk: Buffer, arrival: number): void;
}

export interface SupervisorOptions {
  kind: CaptureKind;
  platform: NodeJS.Platform;
  launcher: RecorderLauncher;
  /** No data for this long while the recorder runs: a stall. */
  stallMs: number;
  /** A new recorder may take this long to deliver its first data. */
  firstDataMs: number;
  /** A recorder stalled this long is restarted. */
  stallRestartMs: number;
  backoff?: BackoffOptions;
}

export class RecorderSupervisor {
  private starts = 0;
  private readonly backoff: Backoff;
  // Per recorder process:
  private recorder: RunningRecorder | undefined;
  private lastDataAt: number | undefined;
  private firstDataAt: number | undefined;
  private pendingFault: CaptureFault | undefined;
  private skipBackoff = false;
  private wakeRetry: (() => void) | undefined;
  // Pause: the flag, the abort of the recorder run it ends, the wake-up of the supervisor waiting for resume().
  private paused = false;
  /** A pause the supervisor has not acted on yet: it still gets its marker if resume() comes first. */
  private pauseRequested = false;
  private pauseRun: AbortController | undefined;
  private wakeResume: (() => void) | undefined;
  /** The first recorder of this run of the source that did not end when stopped for a pause or the end (it may still run). */
  private unendedFault: CaptureFault | undefined;

  constructor(private readonly options: SupervisorOptions, private readonly source: SupervisedSource) {
    this.backoff = new Backoff(options.backoff);
  }

  /** Recorder starts since reset() (1 for the first). */
  get attempt(): number {
    return this.starts;
  }

  /** Whether pause() holds the recorder stopped (until resume() or clearPause()). */
  get isPaused(): boolean {
    return this.paused;
  }

  /**
   * A recorder stopped for a pause or for the end of capture that did not end (RunningRecorder gave up on it): the
   * source tells it when capture ends, since no retry follows that would.
   */
  get unended(): CaptureFault | undefined {
    return this.unendedFault;
  }

  /** A fresh start: no attempts, no backoff, no pause. */
  reset(): void {
    this.starts = 0;
    this.unendedFault = undefined;
    this.backoff.reset();
    this.clearPause();
  }

  /** Forgets a pause (the source's frames() ended). */
  clearPause(): void {
    this.paused = false;
    this.pauseRequested = false;
  }

  /** Stops the recorder until resume(); false when already paused. */
  pause(): boolean {
    if (this.paused) return false;
    this.paused = true;
    this.pauseRequested = true;
    this.pauseRun?.abort();
    return true;
  }

  /** Starts a recorder again after pause(); false when not paused. */
  resume(): boolean {
    if (!this.paused) return false;
    this.paused = false;
    this.wakeResume?.();
    return true;
  }

  /** The user's "Retry": start a failed recorder now, or restart a stalled one, and forget the backoff. */
  retryNow(): void {
    this.backoff.reset();
    if (this.wakeRetry) {
      this.wakeRetry();
    } else if (this.source.status().state === 'stalled' && this.recorder?.running) {
      this.pendingFault = { reason: 'stalled', message: `No ${this.what()} audio: restarting the recorder "${this.options.launcher.recorder}".` };
      this.skipBackoff = true;
      void this.recorder.stop();
    }
  }

  /** The source decoded audio from the current recorder at `arrival`: it is not stalled, and may have run long enough to be healthy. */
  dataArrived(arrival: number): void {
    this.lastDataAt = arrival;
    this.firstDataAt ??= arrival;
    if (arrival - this.firstDataAt >= this.backoff.healthyMs) this.backoff.reset();
  }

  /** Starts recorders until `signal` aborts: never throws, every fault becomes a status. */
  async run(signal: AbortSignal): Promise<void> {
    let afterPause = false;
    while (!signal.aborted) {
      if (this.pauseRequested) {
        this.pauseRequested = false;
        this.source.enterPause();
        await this.waitForResume(signal);
        if (signal.aborted) break;
        // A fresh start: earlier faults do not lengthen the first retry, and the paused time is no gap.
        this.backoff.reset();
        this.source.resumed(performance.now());
        afterPause = true;
      }
      this.starts++;
      const current = this.source.status();
      this.source.setStatus(this.starts === 1 || afterPause ? { state: 'starting' } : { state: 'retrying', reason: current.reason, message: current.message });
      this.source.resumeRun(afterPause);
      afterPause = false;
      // pause() ends this run (the recorder, or the wait before the next attempt) without ending the supervision.
      const run = new AbortController();
      const endRun = () => run.abort();
      signal.addEventListener('abort', endRun, { once: true });
      this.pauseRun = run;
      if (this.pauseRequested) run.abort();
      try {
        let fault: CaptureFault | undefined;
        try {
          fault = await this.runRecorder(run.signal);
        } catch (e) {
          fault = e instanceof CaptureError ? e.fault : { reason: 'recorder-exited', message: `Cannot start ${this.what()} capture: ${(e as Error).message}` };
        }
        this.recorder = undefined;
        if (signal.aborted) break;
        if (this.pauseRequested) continue;
        if (!fault) break;
        this.source.resumeRun(false); // from here on, time without audio after the resume is downtime
        const delay = this.skipBackoff ? 0 : this.backoff.next();
        this.skipBackoff = false;
        this.source.setStatus({ state: 'failed', ...fault, retryInMs: delay });
        await this.waitForRetry(delay, run.signal);
      } finally {
        signal.removeEventListener('abort', endRun);
        this.pauseRun = undefined;
      }
    }
  }

  /** Waits for resume() or for `signal` to abort. */
  private waitForResume(signal: AbortSignal): Promise<void> {
    if (!this.paused || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        this.wakeResume = undefined;
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      this.wakeResume = done;
    });
  }

  /** Runs one recorder process; resolves with its fault, or undefined when stopped through `signal`. */
  private async runRecorder(signal: AbortSignal): Promise<CaptureFault | undefined> {
    const recorder = await this.options.launcher.launch(signal);
    if (signal.aborted) {
      this.noteUnended(await recorder.stop());
      return undefined;
    }
    this.recorder = recorder;
    this.pendingFault = undefined;
    this.lastDataAt = undefined;
    this.firstDataAt = undefined;
    this.source.recorderStarted(recorder);
    const startedAt = performance.now();
    const context: FaultContext = { kind: this.options.kind, recorder: recorder.recorder, device: recorder.device, platform: this.options.platform, asEarshot: recorder.child instanceof CaptureAppProcess };

    recorder.onData((chunk) => {
      // Audio that arrives after pause() was captured after the user asked for none.
      if (this.recorder !== recorder || this.paused) return;
      try {
        this.source.data(chunk, performance.now());
      } catch (e) {
        // A bug here must not take the daemon down from an event handler: it becomes a fault, and a restart.
        this.pendingFault ??= { reason: 'recorder-exited', message: `Capturing ${this.what()} failed: ${(e as Error).message}` };
        void recorder.stop();
      }
    });
    // Some recorders print why they cannot go on and then linger: end them so the fault is handled now.
    recorder.onStderrLine((line) => {
      if (isFatalStderrLine(line)) recorder.kill();
    });

    let lastTick = performance.now();
    const watchdog = setInterval(() => {
      const now = performance.now();
      const late = now - lastTick > LATE_TICK_MS;
      lastTick = now;
      if (late || this.recorder !== recorder) return; // unread data may be waiting in the pipe: judge on the next tick
      const silentMs = now - (this.lastDataAt ?? startedAt);
      const state = this.source.status().state;
      if (state !== 'stalled' && silentMs >= (this.lastDataAt === undefined ? this.options.firstDataMs : this.options.stallMs)) {
        this.source.setStatus({ state: 'stalled', ...stallFault(context, silentMs, false) });
      } else if (state === 'stalled' && silentMs >= this.options.stallRestartMs && !this.pendingFault) {
        this.pendingFault = stallFault(context, silentMs, true);
        void recorder.stop();
      }
    }, WATCHDOG_TICK_MS);
    watchdog.unref();

    let onAbort: (() => void) | undefined;
    const aborted = new Promise<null>((resolve) => {
      onAbort = () => resolve(null);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const end = await Promise.race([recorder.ended, aborted]);
      if (end === null) {
        this.noteUnended(await recorder.stop());
        return undefined;
      }
      // One that did not end is the fault to tell, before why it was restarted.
      if (end.requested) return (end.unended ? end.fault : undefined) ?? this.pendingFault ?? { reason: 'stalled', message: `The ${this.what()} recorder was restarted.` };
      return end.fault ?? classifyEnd(context, end);
    } finally {
      clearInterval(watchdog);
      signal.removeEventListener('abort', onAbort!);
    }
  }

  private noteUnended(end: RunningRecorderEnd): void {
    if (end.unended) this.unendedFault ??= end.fault;
  }

  /** Waits `delayMs`, or less if retryNow() is called, or until `signal` aborts. */
  private waitForRetry(delayMs: number, signal: AbortSignal): Promise<void> {
    if (delayMs <= 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wakeRetry = undefined;
        resolve();
      };
      const timer = setTimeout(done, delayMs);
      signal.addEventListener('abort', done, { once: true });
      this.wakeRetry = done;
    });
  }

  private what(): string {
    return this.options.kind === 'mic' ? 'microphone' : 'system audio';
  }
}
