/**
 * The daemon's side of the local notes model: one model process (worker.ts) per model file, forked on the first
 * request with the daemon's own Node runtime and run at lower priority than the daemon and whisper. Requests are
 * answered one at a time, in order (a queue: one model, one context). Cancelling the request in flight, chat or preload,
 * kills the process (the next request starts a fresh one); a request cancelled while it waits settles at once and never
 * reaches it. The process is
 * closed, and its memory given back, when the caller says the notes are done (close()) and after an idle time. A
 * process that crashes or is killed fails the request in flight with a clear, retryable error, never the daemon.
 * pause()/resume(): the process yields the CPU to whisper: told over the channel, it holds its model's next batch (the
 * one running finishes: at most one small batch, worker.ts) and goes on where it was, the answer the same; on every
 * platform, and a process whose daemon dies still sees the channel close. Paused time counts neither as idle nor
 * against a request's time limit (pausedMs). useAllCores(): once whisper is done (every final in, no meeting running)
 * the model takes every core from its next batch on; back to the cores less one when a meeting runs again.
 *
 * preload(): a request's start read ahead, in the queue like a chat, so that the chat that follows reads only the rest.
 *
 * Owns the process's life (fork, priority, pause, kill, idle close) and the queue. Must not load node-llama-cpp itself: the
 * daemon never holds a second ggml. Knows nothing of chunks or schemas (localChat.ts).
 */
import { ChildProcess, fork } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { RefineFailure } from '../providers';
import { ChatKind, HoldProgress, HostMessage, WorkerMessage } from './ipc';

export interface LocalModelOptions {
  /** The GGUF file (resolveLocalModel()). */
  modelPath: string;
  /**
   * CPU threads; default (and at most) the cores whisper leaves (whisperThreads), at least 1. With useAllCores() the
   * default is every core (a number given stays the most).
   */
  threads?: number;
  /**
   * The CPU threads whisper decodes with during a meeting (the daemon's `threads`). Where the cores it leaves are
   * enough for the model's threads, the model runs on them and is never held; where the two would share a core (or
   * this is not known), the model holds while whisper has work (pause()). Absent: whisper keeps one core.
   */
  whisperThreads?: number;
  /** Offer the GPU to the model (default true; false: CPU only). */
  gpu?: boolean;
  /** Close the process this long after its last answer (default 60 s). */
  idleMs?: number;
  /** The script the process runs (default worker.js beside this file; tests give a stand-in). */
  workerPath?: string;
  /**
   * A folder where the model process keeps each kind's system prompt once read (its KV state, saved before any user
   * text: no transcript), so that the next process starts with it read: on a CPU ~1,300 tokens, most of a minute
   * while held for whisper. Absent: every process reads it again.
   */
  stateDir?: string;
  /** Told once per process, when it has loaded the model: its name, how long it took, and where it runs. */
  onLoaded?: (loaded: { model: string; loadMs: number; device: string }) => void;
  /**
   * Told as the model process reports a pause: 'held' once no batch of it runs (the one running when pause() asked
   * has finished), 'released' when resume() reached it; each with the model's work so far (equal: nothing ran between).
   */
  onHold?: (event: { state: 'held' | 'released' } & HoldProgress) => void;
}

export interface LocalChatRequest {
  /** Which of the model's sequences answers (default 'extract'): each kind reuses what it read of its system prompt. */
  kind?: ChatKind;
  system: string;
  user: string;
  /** A JSON schema the answer is generated under; absent: free text. */
  schema?: object;
  maxTokens: number;
}

export interface LocalChatAnswer {
  text: string;
  model: string;
  promptTokens: number;
  answerTokens: number;
  /** Generation time (prompt included, loading not). */
  ms: number;
  /** Of `ms`, the time until the first answer token (the prompt read): what splits prompt from generation speed. */
  promptMs?: number;
  /** Input tokens the model read (the prompt less what its sequence held already), as the model process says. */
  readTokens?: number;
  /** CPU threads the host allowed, and those the last batch ran with (fewer while other processes kept cores busy). */
  threadsAllowed?: number;
  threads?: number;
  /** System-prompt tokens its sequence got from the state an earlier process kept (stateDir), not read. */
  restoredTokens?: number;
  /** Loading time, on the request that started the process. */
  loadMs?: number;
  /** With loadMs: where the model runs ('cpu', or the GPU build and its devices). */
  device?: string;
}

/** A preload read: how many of its prompt's tokens the model read (the rest its sequence held already). */
export interface LocalPreloaded {
  promptTokens: number;
  readTokens: number;
  ms: number;
  restoredTokens?: number;
}

export const DEFAULT_LOCAL_IDLE_MS = 60_000;

/**
 * Threads for the model: what was asked, within 1 … the cores whisper leaves (`whisperThreads`, default 1: the cores
 * less one); `allCores`: 1 … cores, whisper being done.
 */
export function localModelThreads(requested: number | undefined, cores = os.availableParallelism(), allCores = false, whisperThreads = 1): number {
  const most = Math.max(1, allCores ? cores : cores - whisperThreads);
  return requested && requested > 0 ? Math.min(Math.floor(requested), most) : most;
}

/**
 * Whether the model, running its threads during a meeting, would share a core with whisper's: then it holds while
 * whisper has work. ggml's threads wait for each other at every step, so one that shares its core holds back all of
 * its own kind (BENCHMARKS.md, issue 30, L: 2 threads with another process on one core generated at 0.04×). Unknown
 * whisper threads count as sharing.
 */
export function sharesWhisperCores(modelThreads: number, whisperThreads: number | undefined, cores = os.availableParallelism()): boolean {
  return whisperThreads === undefined || modelThreads + whisperThreads > cores;
}

/** Whether a model run with `options` on the CPU holds for whisper (whisper done, `allCores`: never). */
export function cpuModelHoldsForWhisper(options: Pick<LocalModelOptions, 'threads' | 'whisperThreads'>, allCores = false): boolean {
  return !allCores && sharesWhisperCores(localModelThreads(options.threads, undefined, false, options.whisperThreads), options.whisperThreads);
}

/**
 * The model process's priority: ten steps below the daemon's (a daemon at normal gives PRIORITY_BELOW_NORMAL, 10), at
 * most the lowest (19). Relative, so that a daemon started at another priority keeps the same lead over its model. On
 * Windows libuv maps these to priority classes: 10–18 is BELOW_NORMAL_PRIORITY_CLASS, 19 IDLE (libuv src/win/util.c,
 * uv_os_setpriority).
 */
export const modelPriority = (daemonPriority: number) => Math.min(os.constants.priority.PRIORITY_LOW, daemonPriority + 10);

/** The model process script next to this module (out/daemon/understanding/local/worker.js). */
export const localWorkerPath = () => path.join(__dirname, 'worker.js');

interface InFlight {
  id: number;
  settle(error: Error | undefined, answer?: LocalChatAnswer | LocalPreloaded): void;
}

export class LocalModelHost {
  private allCores = false;
  private child: ChildProcess | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private inFlight: InFlight | undefined;
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  /** performance.now() when the current pause began (undefined: running). */
  private pausedSince: number | undefined;
  /** Paused time before the current pause (ms). */
  private pausedBefore = 0;
  /** The model process said it loaded onto a GPU. */
  private onGpu = false;
  /** Preloads waiting for their turn, by kind: the newest of a kind (and its signal) replaces the one before. */
  private readonly preloads = new Map<ChatKind, { request: LocalChatRequest; signal: AbortSignal }>();
  /** How many processes were started (a fresh one after each kill). */
  started = 0;

  constructor(private readonly options: LocalModelOptions) {}

  /** CPU threads the model runs with now. */
  get threads(): number {
    return localModelThreads(this.options.threads, undefined, this.allCores, this.options.whisperThreads);
  }

  /**
   * `true`: whisper is done (no meeting runs): the model takes every core from its next batch on, the request in
   * flight included. `false`: a meeting runs: back to the cores less one. Never during a meeting: it would take
   * whisper's core.
   */
  useAllCores(all: boolean): void {
    if (all === this.allCores) return;
    this.allCores = all;
    this.tell({ type: 'threads', threads: this.threads });
  }

  get modelPath(): string {
    return this.options.modelPath;
  }

  /** The model process's id while one runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get paused(): boolean {
    return this.pausedSince !== undefined;
  }

  /**
   * Whether pause() holds the model: while it runs on the CPU (as far as is known: until its process says where it
   * loaded) on cores whisper's threads use too. A model on a GPU, or on cores whisper leaves it, goes on (holding it
   * would only make the notes late); whisper done (useAllCores), nothing holds it.
   */
  get yieldsToWhisper(): boolean {
    return !this.onGpu && cpuModelHoldsForWhisper(this.options, this.allCores);
  }

  /** Paused time so far (ms), the current pause included: what a request's time limit leaves out. */
  pausedMs(): number {
    return this.pausedBefore + (this.pausedSince === undefined ? 0 : performance.now() - this.pausedSince);
  }

  /**
   * Whisper has work: the model process holds its next batch, a process started meanwhile holds its first.
   * Its request waits, its time limit and the idle time do not run. Cancel, close and a crash still end it.
   */
  pause(): void {
    if (this.pausedSince !== undefined || !this.yieldsToWhisper) return;
    this.pausedSince = performance.now();
    this.clearIdle();
    this.tell({ type: 'yield', hold: true });
  }

  /** Whisper is idle: the process goes on where it stopped. */
  resume(): void {
    if (!this.endPause()) return;
    this.tell({ type: 'yield', hold: false });
    if (this.waiting === 0) this.armIdle();
  }

  /** Ends a pause in the accounting (pausedMs); false when there was none. */
  private endPause(): boolean {
    if (this.pausedSince === undefined) return false;
    this.pausedBefore += performance.now() - this.pausedSince;
    this.pausedSince = undefined;
    return true;
  }

  /** Sends the running process a message (hold/go on, threads); a process gone meanwhile says so by its 'exit'. */
  private tell(message: HostMessage, child = this.child): void {
    if (child?.connected) child.send(message, () => undefined);
  }

  /**
   * Answers one request, after those before it; the signal cancels it (killing the process if it is being answered).
   * Preloads not yet started are dropped: the request reads what it needs itself, and comes first.
   */
  chat(request: LocalChatRequest, signal: AbortSignal): Promise<LocalChatAnswer> {
    this.preloads.clear();
    return this.enqueue(() => this.answer<LocalChatAnswer>('chat', request, signal), signal);
  }

  /**
   * Has the model read `request`'s start ahead (its system prompt and user message so far, into its kind's sequence),
   * so that a chat whose user message starts the same reads only the rest: a meeting's open chunk as its lines come.
   * Queued as a chat is; a newer preload of the same kind replaces one still waiting, and a chat drops those waiting.
   * The signal (the session's) cancels it as it cancels a chat: a preload being read kills the process, or it would
   * keep the cores, and the chats queued behind it, until it ends (held for whisper: possibly the rest of the meeting).
   * Never rejects: undefined when it was replaced, dropped or cancelled, or failed (the chat then reads it all).
   */
  preload(request: LocalChatRequest, signal: AbortSignal = new AbortController().signal): Promise<LocalPreloaded | undefined> {
    const kind = request.kind ?? 'extract';
    const waiting = this.preloads.has(kind);
    this.preloads.set(kind, { request, signal });
    if (waiting) return Promise.resolve(undefined); // the turn already queued reads the newest
    return this.enqueue(() => {
      const newest = this.preloads.get(kind);
      this.preloads.delete(kind);
      return newest ? this.answer<LocalPreloaded>('preload', newest.request, newest.signal) : Promise.resolve(undefined);
    }, signal).catch(() => undefined);
  }

  /**
   * Runs `work` after the requests before it. Cancelled while it waits, the request rejects at once rather than when
   * those before it end; its turn, when it comes, finds the signal aborted and sends nothing.
   */
  private enqueue<T>(work: () => Promise<T>, signal: AbortSignal): Promise<T> {
    this.waiting++;
    const turn = this.queue.then(work);
    this.queue = turn.catch(() => undefined).finally(() => {
      if (--this.waiting === 0) this.armIdle();
    });
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(new RefineFailure('cancelled'));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      void turn.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** Ends the process now (the notes are done, or the daemon is going): its memory goes back to the system. */
  close(): void {
    this.endPause(); // whoever paused it is done with it too: a later request must not start held
    this.clearIdle();
    this.kill(new RefineFailure('the local model was closed'));
  }

  private answer<T extends LocalChatAnswer | LocalPreloaded>(type: 'chat' | 'preload', request: LocalChatRequest, signal: AbortSignal): Promise<T> {
    if (signal.aborted) return Promise.reject(new RefineFailure('cancelled'));
    this.clearIdle();
    return new Promise<T>((resolve, reject) => {
      const id = this.nextId++;
      const onAbort = () => this.kill(new RefineFailure('cancelled'));
      this.inFlight = {
        id,
        settle: (error, answer) => {
          if (this.inFlight?.id !== id) return;
          this.inFlight = undefined;
          signal.removeEventListener('abort', onAbort);
          if (error) reject(error);
          else resolve(answer as T);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      let child: ChildProcess;
      try {
        child = this.ensureChild();
      } catch (e) {
        this.inFlight.settle(new RefineFailure(`the local model process does not start: ${(e as Error).message}`));
        return;
      }
      const common = {
        id, kind: request.kind ?? 'extract', modelPath: this.options.modelPath, threads: this.threads, gpu: this.options.gpu ?? true,
        system: request.system, user: request.user, maxTokens: request.maxTokens, ...(this.options.stateDir ? { stateDir: this.options.stateDir } : {}),
      };
      const message: HostMessage = type === 'chat' ? { type, ...common, ...(request.schema ? { schema: request.schema } : {}) } : { type, ...common };
      child.send(message, (error) => {
        if (error) this.kill(new RefineFailure('the local model process did not take the request', true));
      });
    });
  }

  private ensureChild(): ChildProcess {
    if (this.child) return this.child;
    const child = fork(this.options.workerPath ?? localWorkerPath(), [], {
      // The daemon may run on VS Code's Electron binary: this makes it a plain Node for the model process too.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      execArgv: [],
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      serialization: 'json',
    });
    this.child = child;
    this.started++;
    if (child.pid !== undefined) {
      try {
        os.setPriority(child.pid, modelPriority(os.getPriority()));
      } catch {
        // not permitted here: it runs at the daemon's priority
      }
    }
    if (this.paused) this.tell({ type: 'yield', hold: true }, child); // whisper has work: the first batch waits until resume()
    child.on('message', (message: WorkerMessage) => {
      if (message?.type === 'held' || message?.type === 'released') {
        const { batches, tokens } = message;
        this.options.onHold?.({ state: message.type, batches, tokens });
        return;
      }
      const current = this.inFlight;
      if (!current || message?.id !== current.id) return;
      if ((message.type === 'answer' || message.type === 'preloaded') && message.loadMs !== undefined) {
        const { model, loadMs, device } = message;
        this.onGpu = (device ?? 'cpu') !== 'cpu';
        if (this.onGpu) this.resume(); // held while where it runs was not known
        this.options.onLoaded?.({ model, loadMs, device: device ?? 'cpu' });
      }
      if (message.type === 'preloaded') {
        const { promptTokens, readTokens, ms, restoredTokens } = message;
        current.settle(undefined, { promptTokens, readTokens, ms, ...(restoredTokens !== undefined ? { restoredTokens } : {}) });
      } else if (message.type === 'answer') {
        const { text, model, promptTokens, answerTokens, ms, promptMs, readTokens, restoredTokens, threadsAllowed, threads, loadMs, device } = message;
        current.settle(undefined, {
          text, model, promptTokens, answerTokens, ms, ...(promptMs !== undefined ? { promptMs } : {}),
          ...(readTokens !== undefined ? { readTokens } : {}), ...(restoredTokens !== undefined ? { restoredTokens } : {}),
          ...(threadsAllowed !== undefined ? { threadsAllowed } : {}), ...(threads !== undefined ? { threads } : {}), ...(loadMs !== undefined ? { loadMs } : {}), ...(device ? { device } : {}),
        });
      } else {
        current.settle(new RefineFailure(`local model: ${message.reason}`, message.retry));
      }
    });
    const ended = (how: string) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.inFlight?.settle(new RefineFailure(`the local model process ended (${how})`, true));
    };
    child.on('exit', (code, signal) => ended(signal ?? `exit code ${code}`));
    child.on('error', (e: NodeJS.ErrnoException) => ended(e.code ?? 'error'));
    return child;
  }

  /** Kills the process (if any); the request in flight fails with `reason`. */
  private kill(reason: Error): void {
    const child = this.child;
    this.child = undefined;
    this.inFlight?.settle(reason);
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  private armIdle(): void {
    this.clearIdle();
    if (!this.child || this.paused) return; // paused time is not idle time: resume() arms it
    this.idleTimer = setTimeout(() => this.close(), this.options.idleMs ?? DEFAULT_LOCAL_IDLE_MS);
    this.idleTimer.unref();
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}
