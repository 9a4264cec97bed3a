/**
 * A live audio source (microphone or system audio): a supervised recorder process turned into 512-sample frames on
 * a capture clock, that keeps going through recorder crashes, a dead or frozen sound server and a slow consumer.
 *
 *   recorder stdout ─► decode ─► capture clock ─► frames ─► bounded queue ─► frames(signal) ─► consumer (VAD)
 *
 * - Faults and recovery: recorderSupervisor.ts starts the recorder, notices every way it fails (exit, stdout ended, a
 *   fatal stderr line, a stall the watchdog sees) and restarts it with backoff; this source turns its faults into
 *   statuses. retryNow() skips the wait.
 * - A slow consumer: frames wait in a bounded queue (`bufferSeconds`, 30 s by default). When it is full the oldest
 *   frame is dropped and counted (`droppedSamples`): memory stays bounded and the consumer catches up on current
 *   audio. The burst after a stall goes through the same queue: it is real audio (PulseAudio's null sinks deliver
 *   the frozen time) and is kept as long as it fits — no skip-ahead, the bound alone prevents a backlog spiral.
 * - Time: see CaptureClock. After a gap (recorder down, audio lost in a stall) the sample index jumps by the wall
 *   time lost, so frames stay aligned with real time and startSample never goes backwards; a frame cut by a gap
 *   is dropped, so every frame has FRAME_SAMPLES samples and consecutive samples within it.
 * - Observability: onStatus (state changes, faults with actionable messages, retry countdown, drop counters) and
 *   onLevel (RMS and peak in dBFS, at most 10 a second) for a level meter. Audio is never logged or written.
 * - Pause: pause() stops the recorder (the OS shows the device unused), drops what arrives after the call, and queues a
 *   `pause` marker frame after the last frame captured, so the consumer can end the utterance in progress. While paused
 *   the state is 'paused': no watchdog, no retries, no fault. resume() starts a recorder as at the start (a failure then
 *   is retried with backoff as usual); the clock kept running, so the first frame after it sits at the wall time it
 *   arrived, and the paused time is not counted as a gap.
 *
 * Owns the audio: decoding, frames on the clock, gaps and drops, levels, silence judging, the status and its
 * listeners. Must not start, stop or time recorder processes: that is the supervisor's.
 */
import * as os from 'node:os';
import { TIMED_OUT, within } from '../../protocol/bounded';
import { BackoffOptions } from './backoff';
import { BoundedQueue } from './boundedQueue';
import { CaptureClock, ClockOptions } from './clock';
import { CaptureError, CaptureKind } from './faults';
import { InputLevel, LevelMeter, Pcm16Decoder } from './pcm';
import { RecorderLauncher, recorderLauncher, RecorderRequest } from './recorder';
import { findLoopbackDevice } from './devices';
import { CaptureAppProcess } from './macCaptureApp';
import { openedByCaptureApp } from './macMicrophone';
import { RecorderSupervisor } from './recorderSupervisor';
import type { CaptureState, CaptureStatus } from './captureStatus';
import { RunningRecorder } from './runningRecorder';
import { AudioFrame, AudioSource, FRAME_SAMPLES, SAMPLE_RATE } from './source';
import { parseOpenedLine } from './audifyHelper';
import { isVirtualInput, SilenceWatch, silentLoopbackHint, silentMicFault, silentTapHint, silentVirtualMicHint, SOUND_DBFS } from './silence';

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
  /**
   * macOS (silence.ts): a microphone that delivers only exact zeros this long is reported as denied (default 3 s); a
   * Core Audio tap (or a Windows loopback) that does while the paired microphone hears sound this long gets a hint (15 s).
   */
  silentMs?: number;
  /**
   * macOS: a loopback device to offer with a silent tap's hint (BlackHole, Loopback); default: looked up among the
   * devices there (devices.ts, findLoopbackDevice). Undefined when there is none.
   */
  findLoopback?: () => Promise<string | undefined>;
  /** macOS: os.release() (Darwin), for the hint's wording; default os.release() on a Mac. */
  release?: string;
}

/** How long the hint waits for the device list before it goes without an offer. */
const LOOPBACK_LOOKUP_MS = 5000;

/** Status updates that only report new drops come at most this often. */
const DROP_REPORT_MS = 1000;

type Listener<T> = (value: T) => void;

export class LiveSource implements AudioSource {
  readonly kind: CaptureKind;
  readonly speaker: string;
  private readonly launcher: RecorderLauncher;
  private readonly platform: NodeJS.Platform;
  private readonly supervisor: RecorderSupervisor;
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
  private lastDropReport = 0;
  // Per recorder process:
  private recorder: RunningRecorder | undefined;
  private readonly silence: SilenceWatch;
  /** The running recorder went through Earshot's own app (macCaptureApp.ts): macOS asks about Earshot, not the editor. */
  private runsAsEarshot = false;
  /** How long the paired microphone (pairWithMicrophone) has heard sound, in ms. */
  private micSoundMs = 0;
  // After a pause: the clock index of the resume until the first audio after it (the clock's jump up to there is the
  // pause, not a gap), and whether the run started by the resume is still the one running (its start-up counts no
  // more than a session's).
  private resumedAt: number | undefined;
  private resumeRun = false;

  constructor(private readonly options: LiveSourceOptions) {
    this.kind = options.kind;
    this.speaker = options.speaker ?? (options.kind === 'mic' ? 'You' : 'Others');
    this.platform = options.platform ?? process.platform;
    this.launcher = options.launcher ?? recorderLauncher({ ...options, kind: options.kind });
    this.supervisor = new RecorderSupervisor({
      kind: this.kind, platform: this.platform, launcher: this.launcher, backoff: options.backoff,
      stallMs: options.stallMs ?? 2000, firstDataMs: options.firstDataMs ?? 4000, stallRestartMs: options.stallRestartMs ?? 10_000,
    }, {
      status: () => this.current,
      setStatus: (change) => this.setStatus(change),
      enterPause: () => this.enterPause(),
      resumed: (now) => { this.resumedAt = this.clock.wallSamples(now); },
      resumeRun: (isResumeRun) => { this.resumeRun = isResumeRun; },
      recorderStarted: (recorder) => this.recorderStarted(recorder),
      data: (chunk, arrival) => this.ingest(chunk, arrival),
    });
    const bufferSeconds = options.bufferSeconds ?? 30;
    this.queue = new BoundedQueue(Math.max(1, Math.ceil((bufferSeconds * SAMPLE_RATE) / FRAME_SAMPLES)));
    this.meter = new LevelMeter(options.levelIntervalMs ?? 100);
    // Digital silence means something for a macOS microphone or tap, and for a Windows loopback (silence.ts).
    const judges = this.platform === 'darwin' ? (this.kind === 'mic' ? 'mic' : this.launcher.recorder === 'audiotee' ? 'tap' : undefined)
      : this.platform === 'win32' && this.kind === 'system' && this.launcher.recorder === 'audify' ? 'tap' : undefined;
    this.silence = new SilenceWatch(judges, options.silentMs ?? (judges === 'mic' ? 3000 : 15_000));
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

  /**
   * The session's microphone: while it hears sound (the user talking in a call), a Core Audio tap's (or a Windows
   * loopback's) digital silence is worth the hint; before that it is only a call that has not started.
   */
  pairWithMicrophone(mic: LiveSource): () => void {
    let last: number | undefined;
    return mic.onLevel((level) => {
      if (level.rmsDbfs >= SOUND_DBFS && last !== undefined) this.micSoundMs += Math.min(1000, level.at - last);
      last = level.at;
    });
  }

  /** The user's "Retry": start a failed recorder now, or restart a stalled one, and forget the backoff. */
  retryNow(): void {
    this.supervisor.retryNow();
  }

  /** Whether pause() holds the source (until resume() or the end of frames()). */
  get isPaused(): boolean {
    return this.supervisor.isPaused;
  }

  /**
   * Stops capturing until resume(): the recorder is stopped, a `pause` marker frame follows the last frame captured.
   * Returns false (and does nothing) when already paused or frames() is not running.
   */
  pause(): boolean {
    return this.active && this.supervisor.pause();
  }

  /** Starts capturing again after pause(). Returns false (and does nothing) when not paused. */
  resume(): boolean {
    return this.active && this.supervisor.resume();
  }

  async *frames(signal: AbortSignal): AsyncGenerator<AudioFrame> {
    if (this.active) throw new Error(`${this.kind} capture is already running: one frames() at a time`);
    this.active = true;
    this.reset(this.options.clockOrigin ?? performance.now());
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) stop.abort();
    const supervision = this.supervisor.run(stop.signal);
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
      this.supervisor.clearPause();
      // A recorder that did not end when stopped may still hold the device: the source ends failed, and its pipeline
      // (the session's error) says why.
      const unended = this.supervisor.unended;
      this.setStatus(unended ? { state: 'failed', ...unended } : { state: 'stopped' });
      if (unended) throw new CaptureError(unended);
    }
  }

  private reset(origin: number): void {
    this.clock = new CaptureClock(origin, this.options.clock);
    this.frame = new Float32Array(FRAME_SAMPLES);
    this.frameStart = 0;
    this.frameFilled = 0;
    this.droppedSamples = 0;
    this.gapSamples = 0;
    this.queue.clear();
    this.queue.dropped = 0;
    this.supervisor.reset();
    this.resumedAt = undefined;
  }

  /**
   * The recorder is stopped: the part of a frame captured before the pause is dropped (a frame holds consecutive
   * samples), the marker follows the last whole frame, and the meter starts afresh after the resume.
   */
  private enterPause(): void {
    this.frameFilled = 0;
    this.decoder.reset();
    this.meter.reset();
    const old = this.queue.push({ source: this.kind, samples: new Float32Array(0), startSample: this.frameStart, pause: true });
    if (old) this.droppedSamples += old.samples.length;
    this.setStatus({ state: 'paused' });
  }

  /** A new recorder runs: silence is judged afresh, and its audio goes on the clock from now (never before a resume). */
  private recorderStarted(recorder: RunningRecorder): void {
    this.recorder = recorder;
    this.silence.restart(this.micSoundMs);
    this.runsAsEarshot = recorder.child instanceof CaptureAppProcess;
    // A virtual input's zeros are no permission problem (silence.ts): known by the device chosen, or by what the audify
    // helper says it opened (the default input's name, and system_profiler's transport for it), or the capture app.
    if (recorder.device && recorder.device !== 'default' && isVirtualInput(recorder.device)) this.silence.virtualInput = recorder.device;
    recorder.onStderrLine((line) => {
      const app = this.runsAsEarshot ? openedByCaptureApp(line) : undefined; // the capture app names it by name alone
      const opened = app !== undefined ? { device: app } : parseOpenedLine(line);
      if (opened && this.recorder === recorder) this.silence.virtualInput = isVirtualInput(opened.device, opened.transport) ? opened.device : undefined;
    });
    // Audio after a resume is never stamped before it (the recorder cannot have heard anything earlier).
    this.clock.restart(this.resumedAt);
    this.decoder.reset();
    this.current = { ...this.current, device: recorder.device }; // told with the next status
  }

  /** One chunk of recorder output: onto the clock, into frames, into the queue. */
  private ingest(chunk: Buffer, arrival: number): void {
    const samples = this.decoder.decode(chunk);
    if (samples.length === 0) return;
    this.supervisor.dataArrived(arrival);
    if (this.current.state !== 'capturing' && !this.silence.denied) this.setStatus({ state: 'capturing' });
    const level = this.meter.push(samples, arrival);
    if (level) this.emit(this.levelListeners, level);
    switch (this.silence.push(samples, arrival, this.micSoundMs)) {
      case 'mic-denied': this.setStatus({ state: 'stalled', ...silentMicFault({ asEarshot: this.runsAsEarshot }) }); break;
      case 'mic-virtual': this.setStatus({ state: 'capturing', hint: silentVirtualMicHint(this.silence.virtualInput ?? '') }); break;
      case 'heard': this.setStatus({ state: 'capturing' }); break;
      // A hint, not a fault: see silence.ts. On macOS it waits for the device list, to offer a loopback device.
      case 'tap-hint': if (this.platform === 'win32') this.setStatus({ state: 'capturing', hint: silentLoopbackHint() }); else void this.tapHint(); break;
    }

    const hadStarted = this.clock.hasStarted;
    const { start } = this.clock.place(samples.length, arrival);
    if (start !== this.frameStart + this.frameFilled) {
      // A gap: the partial frame before it is dropped, so that a frame holds consecutive samples. The jump over a
      // pause is the user's choice, not audio lost: only time after the resume counts.
      const from = this.resumedAt === undefined ? this.frameStart : this.resumeRun ? start : Math.max(this.frameStart, Math.min(this.resumedAt, start));
      if (hadStarted) this.gapSamples += start - from;
      this.frameStart = start;
      this.frameFilled = 0;
    }
    this.resumedAt = undefined;
    this.resumeRun = false;
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

  /** The silent tap's hint, with a loopback device to switch to when one is there; dropped if capture stopped meanwhile. */
  private async tapHint(): Promise<void> {
    const asEarshot = this.runsAsEarshot;
    const find = this.options.findLoopback ?? (process.platform === 'darwin' ? () => findLoopbackDevice(this.options.env) : async () => undefined);
    const found = await within(find().catch(() => undefined), LOOPBACK_LOOKUP_MS);
    const loopback = found === TIMED_OUT ? undefined : found;
    if (this.current.state !== 'capturing') return;
    const release = this.options.release ?? (process.platform === 'darwin' ? os.release() : undefined);
    this.setStatus({ state: 'capturing', ...silentTapHint({ asEarshot, ...(release ? { release } : {}), ...(loopback ? { loopback } : {}) }), ...(loopback ? { loopbackDevice: loopback } : {}) });
  }

  private setStatus(change: Partial<CaptureStatus> & { state: CaptureState }): void {
    this.current = this.snapshot(change);
    this.emit(this.statusListeners, this.current);
  }

  private snapshot(change: Partial<CaptureStatus> & { state: CaptureState }): CaptureStatus {
    const keepDevice = this.current?.device;
    const status: CaptureStatus = {
      kind: this.kind, recorder: this.launcher.recorder, attempt: this.supervisor.attempt, droppedSamples: this.droppedSamples, gapSamples: this.gapSamples,
      at: performance.now(), ...(keepDevice ? { device: keepDevice } : {}), ...change,
    };
    // A fault's words belong to the states that are about it.
    if (status.state === 'capturing' || status.state === 'starting' || status.state === 'paused' || status.state === 'stopped') {
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
}
