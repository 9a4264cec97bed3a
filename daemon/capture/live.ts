/**
 * A live audio source (microphone or system audio): a supervised recorder process turned into 512-sample frames on
 * a capture clock, that keeps going through recorder crashes, a dead or frozen sound server and a slow consumer.
 *
 *   recorder stdout ─► decode ─► capture clock ─► frames ─► bounded queue ─► frames(signal) ─► consumer (VAD)
 *
 * - Faults: the recorder exiting with any code, its stdout ending, a fatal line on its stderr ("Connection
 *   terminated"), or it not starting at all (not installed) are noticed at once (the process events fire within
 *   milliseconds; the 1 s goal has room for a loaded machine). A watchdog reports a stall when no data came for
 *   `stallMs` (2 s) while the process lives (a frozen server), and restarts a recorder stalled for `stallRestartMs`.
 * - Recovery: the recorder is restarted after 0.25, 0.5, 1, 2, 4, then every 5 s until the source is stopped, and
 *   capture resumes when the server is back; a run that stays healthy resets the delays. retryNow() skips the wait.
 * - A slow consumer: frames wait in a bounded queue (`bufferSeconds`, 30 s by default). When it is full the oldest
 *   frame is dropped and counted (`droppedSamples`): memory stays bounded and the consumer catches up on current
 *   audio. The burst after a stall goes through the same queue: it is real audio (PulseAudio's null sinks deliver
 *   the frozen time) and is kept as long as it fits — no skip-ahead, the bound alone prevents a backlog spiral.
 * - Time: see CaptureClock. After a gap (recorder down, audio lost in a stall) the sample index jumps by the wall
 *   time lost, so frames stay aligned with real time and startSample never goes backwards; a frame cut by a gap
 *   is dropped, so every frame has FRAME_SAMPLES samples and consecutive samples within it.
 * - Observability: onStatus (state changes, faults with actionable messages, retry countdown, drop counters) and
 *   onLevel (RMS and peak in dBFS, at most 10 a second) for a level meter. Audio is never logged or written.
 */
import { Backoff, BackoffOptions } from './backoff';
import { BoundedQueue } from './boundedQueue';
import { CaptureClock, ClockOptions } from './clock';
import { CaptureError, CaptureFault, CaptureKind, classifyEnd, FaultContext, FaultReason, isFatalStderrLine, stallFault } from './faults';
import { InputLevel, LevelMeter, Pcm16Decoder } from './pcm';
import { RecorderLauncher, recorderLauncher, RecorderRequest, RunningRecorder } from './recorder';
import { AudioFrame, AudioSource, FRAME_SAMPLES, SAMPLE_RATE } from './source';

export type CaptureState = 'starting' | 'capturing' | 'stalled' | 'failed' | 'retrying' | 'stopped';

export interface CaptureStatus {
  kind: CaptureKind;
  /**
   * starting: the first recorder is being started; capturing: audio flows; stalled: the recorder runs but no audio
   * came for a while; failed: the recorder stopped (or could not start) — `message` says why and what to do,
   * `retryInMs` when the next attempt is; retrying: an attempt after a failure is starting; stopped: frames() ended.
   */
  state: CaptureState;
  message?: string;
  reason?: FaultReason;
  /** The recorder's own words, for logs. */
  detail?: string;
  retryInMs?: number;
  /** The recorder program, and the device it records when known. */
  recorder: string;
  device?: string;
  /** Recorder starts since frames() was called (1 for the first). */
  attempt: number;
  /** Samples captured but dropped because the consumer fell 'bufferSeconds' behind. */
  droppedSamples: number;
  /** Clock positions without audio after the start: recorder down, audio lost in a stall, a frame cut by a gap. */
  gapSamples: number;
  /** performance.now() of this status. */
  at: number;
}

export interface LiveSourceOptions extends Omit<RecorderRequest, 'kind'> {
  kind: CaptureKind;
  /** Speaker label; default "You" for the microphone, "Others" for system audio. */
  speaker?: string;
  /** Starts the recorder processes; default: recorderLauncher() from the request fields. A native helper or a fake plugs in here. */
  launcher?: RecorderLauncher;
  /** performance.now() that sample 0 stands for; default: when frames() is called. Give two sources the same origin to align them. */
  clockOrigin?: number;
  /** How much audio may wait for a slow consumer before the oldest is dropped. */
  bufferSeconds?: number;
  /** No data for this long while the recorder runs: a stall. */
  stallMs?: number;
  /** A new recorder may take this long to deliver its first data (an idle PulseAudio sink starts at 2 s latency). */
  firstDataMs?: number;
  /** A recorder stalled this long is restarted. */
  stallRestartMs?: number;
  backoff?: BackoffOptions;
  clock?: ClockOptions;
  /** Interval of level values (ms). */
  levelIntervalMs?: number;
}

const WATCHDOG_TICK_MS = 250;
/** A watchdog tick this late means this process did not run (event loop blocked, machine suspended): data may be waiting unread. */
const LATE_TICK_MS = 750;
/** Status updates that only report new drops come at most this often. */
const DROP_REPORT_MS = 1000;

type Listener<T> = (value: T) => void;

export class LiveSource implements AudioSource {
  readonly kind: CaptureKind;
  readonly speaker: string;
  private readonly launcher: RecorderLauncher;
  private readonly platform: NodeJS.Platform;
  private readonly stallMs: number;
  private readonly firstDataMs: number;
  private readonly stallRestartMs: number;
  private readonly backoff: Backoff;
  private readonly queue: BoundedQueue<AudioFrame>;
  private readonly statusListeners = new Set<Listener<CaptureStatus>>();
  private readonly levelListeners = new Set<Listener<InputLevel>>();
  private current: CaptureStatus;
  private active = false;

  // Per run of frames():
  private clock!: CaptureClock;
  /** The frame being filled, and the clock index of its first sample. */
  private frame = new Float32Array(FRAME_SAMPLES);
  private frameStart = 0;
  private frameFilled = 0;
  private readonly decoder = new Pcm16Decoder();
  private meter: LevelMeter;
  private droppedSamples = 0;
  private gapSamples = 0;
  private attempt = 0;
  private lastDropReport = 0;
  // Per recorder process:
  private recorder: RunningRecorder | undefined;
  private lastDataAt: number | undefined;
  private firstDataAt: number | undefined;
  private pendingFault: CaptureFault | undefined;
  private skipBackoff = false;
  private wakeRetry: (() => void) | undefined;

  constructor(private readonly options: LiveSourceOptions) {
    this.kind = options.kind;
    this.speaker = options.speaker ?? (options.kind === 'mic' ? 'You' : 'Others');
    this.platform = options.platform ?? process.platform;
    this.launcher = options.launcher ?? recorderLauncher({ ...options, kind: options.kind });
    this.stallMs = options.stallMs ?? 2000;
    this.firstDataMs = options.firstDataMs ?? 4000;
    this.stallRestartMs = options.stallRestartMs ?? 10_000;
    this.backoff = new Backoff(options.backoff);
    const bufferSeconds = options.bufferSeconds ?? 30;
    this.queue = new BoundedQueue(Math.max(1, Math.ceil((bufferSeconds * SAMPLE_RATE) / FRAME_SAMPLES)));
    this.meter = new LevelMeter(options.levelIntervalMs ?? 100);
    this.current = this.snapshot({ state: 'stopped' });
  }

  /** The recorder program this source runs. */
  get recorderName(): string {
    return this.launcher.recorder;
  }

  /** Audio captured and waiting for the consumer (at most bufferSeconds' worth). */
  get bufferedSamples(): number {
    return this.queue.length * FRAME_SAMPLES;
  }

  /** The latest status. */
  get status(): CaptureStatus {
    return this.current;
  }

  /** Calls `listener` on every status change; returns the unsubscribe function. */
  onStatus(listener: Listener<CaptureStatus>): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Calls `listener` with the input level, at most every `levelIntervalMs`; returns the unsubscribe function. */
  onLevel(listener: Listener<InputLevel>): () => void {
    this.levelListeners.add(listener);
    return () => this.levelListeners.delete(listener);
  }

  /** The user's "Retry": start a failed recorder now, or restart a stalled one, and forget the backoff. */
  retryNow(): void {
    this.backoff.reset();
    if (this.wakeRetry) {
      this.wakeRetry();
    } else if (this.current.state === 'stalled' && this.recorder?.running) {
      this.pendingFault = { reason: 'stalled', message: `No ${this.what()} audio: restarting the recorder "${this.launcher.recorder}".` };
      this.skipBackoff = true;
      void this.recorder.stop();
    }
  }

  async *frames(signal: AbortSignal): AsyncGenerator<AudioFrame> {
    if (this.active) throw new Error(`${this.kind} capture is already running: one frames() at a time`);
    this.active = true;
    this.reset(this.options.clockOrigin ?? performance.now());
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) stop.abort();
    const supervision = this.supervise(stop.signal);
    try {
      while (!stop.signal.aborted) {
        const frame = this.queue.shift();
        if (frame) yield frame;
        else await this.queue.wait(stop.signal);
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      stop.abort();
      await supervision;
      this.queue.clear();
      this.active = false;
      this.setStatus({ state: 'stopped' });
    }
  }

  private reset(origin: number): void {
    this.clock = new CaptureClock(origin, this.options.clock);
    this.frame = new Float32Array(FRAME_SAMPLES);
    this.frameStart = 0;
    this.frameFilled = 0;
    this.droppedSamples = 0;
    this.gapSamples = 0;
    this.attempt = 0;
    this.queue.clear();
    this.queue.dropped = 0;
    this.backoff.reset();
  }

  /** Starts recorders until `signal` aborts: never throws, every fault becomes a status. */
  private async supervise(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      this.attempt++;
      this.setStatus(this.attempt === 1 ? { state: 'starting' } : { state: 'retrying', reason: this.current.reason, message: this.current.message });
      let fault: CaptureFault | undefined;
      try {
        fault = await this.runRecorder(signal);
      } catch (e) {
        fault = e instanceof CaptureError ? e.fault : { reason: 'recorder-exited', message: `Cannot start ${this.what()} capture: ${(e as Error).message}` };
      }
      this.recorder = undefined;
      if (signal.aborted || !fault) break;
      const delay = this.skipBackoff ? 0 : this.backoff.next();
      this.skipBackoff = false;
      this.setStatus({ state: 'failed', ...fault, retryInMs: delay });
      await this.waitForRetry(delay, signal);
    }
  }

  /** Runs one recorder process; resolves with its fault, or undefined when stopped through `signal`. */
  private async runRecorder(signal: AbortSignal): Promise<CaptureFault | undefined> {
    const recorder = await this.launcher.launch(signal);
    if (signal.aborted) {
      await recorder.stop();
      return undefined;
    }
    this.recorder = recorder;
    this.pendingFault = undefined;
    this.lastDataAt = undefined;
    this.firstDataAt = undefined;
    this.clock.restart();
    this.decoder.reset();
    const startedAt = performance.now();
    const context: FaultContext = { kind: this.kind, recorder: recorder.recorder, device: recorder.device, platform: this.platform };
    this.current = { ...this.current, device: recorder.device }; // told with the next status

    recorder.onData((chunk) => {
      if (this.recorder !== recorder) return;
      try {
        this.ingest(chunk, performance.now());
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
      if (this.current.state !== 'stalled' && silentMs >= (this.lastDataAt === undefined ? this.firstDataMs : this.stallMs)) {
        this.setStatus({ state: 'stalled', ...stallFault(context, silentMs, false) });
      } else if (this.current.state === 'stalled' && silentMs >= this.stallRestartMs && !this.pendingFault) {
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
        await recorder.stop();
        return undefined;
      }
      if (end.requested) return this.pendingFault ?? { reason: 'stalled', message: `The ${this.what()} recorder was restarted.` };
      return classifyEnd(context, end);
    } finally {
      clearInterval(watchdog);
      signal.removeEventListener('abort', onAbort!);
    }
  }

  /** One chunk of recorder output: onto the clock, into frames, into the queue. */
  private ingest(chunk: Buffer, arrival: number): void {
    const samples = this.decoder.decode(chunk);
    if (samples.length === 0) return;
    this.lastDataAt = arrival;
    this.firstDataAt ??= arrival;
    if (this.current.state !== 'capturing') this.setStatus({ state: 'capturing' });
    if (arrival - this.firstDataAt >= this.backoff.healthyMs) this.backoff.reset();

    const level = this.meter.push(samples, arrival);
    if (level) this.emit(this.levelListeners, level);

    const hadStarted = this.clock.hasStarted;
    const { start } = this.clock.place(samples.length, arrival);
    if (start !== this.frameStart + this.frameFilled) {
      // A gap: the partial frame before it is dropped, so that a frame holds consecutive samples.
      if (hadStarted) this.gapSamples += start - this.frameStart;
      this.frameStart = start;
      this.frameFilled = 0;
    }
    let dropped = 0;
    for (let offset = 0; offset < samples.length;) {
      const n = Math.min(FRAME_SAMPLES - this.frameFilled, samples.length - offset);
      this.frame.set(samples.subarray(offset, offset + n), this.frameFilled);
      this.frameFilled += n;
      offset += n;
      if (this.frameFilled < FRAME_SAMPLES) break;
      const old = this.queue.push({ source: this.kind, samples: this.frame, startSample: this.frameStart, capturedAt: arrival });
      if (old) dropped += old.samples.length;
      this.frame = new Float32Array(FRAME_SAMPLES);
      this.frameStart += FRAME_SAMPLES;
      this.frameFilled = 0;
    }
    if (dropped > 0) {
      this.droppedSamples += dropped;
      if (arrival - this.lastDropReport >= DROP_REPORT_MS) {
        this.lastDropReport = arrival;
        this.setStatus({ state: 'capturing' });
      }
    }
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

  private setStatus(change: Partial<CaptureStatus> & { state: CaptureState }): void {
    this.current = this.snapshot(change);
    this.emit(this.statusListeners, this.current);
  }

  private snapshot(change: Partial<CaptureStatus> & { state: CaptureState }): CaptureStatus {
    const keepDevice = this.current?.device;
    const status: CaptureStatus = {
      kind: this.kind, recorder: this.launcher.recorder, attempt: this.attempt, droppedSamples: this.droppedSamples, gapSamples: this.gapSamples,
      at: performance.now(), ...(keepDevice ? { device: keepDevice } : {}), ...change,
    };
    // A fault's words belong to the states that are about it.
    if (status.state === 'capturing' || status.state === 'starting' || status.state === 'stopped') {
      delete status.message; delete status.reason; delete status.detail; delete status.retryInMs;
    }
    return status;
  }

  private emit<T>(listeners: Set<Listener<T>>, value: T): void {
    for (const listener of listeners) {
      try {
        listener(value);
      } catch { /* a listener's failure must not stop capture */ }
    }
  }

  private what(): string {
    return this.kind === 'mic' ? 'microphone' : 'system audio';
  }
}
