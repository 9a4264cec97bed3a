/**
 * The local notes model's own process: forked by host.ts (`<node> worker.js`, the daemon's Node runtime, lower
 * priority), never loaded in the daemon itself, so the daemon holds one ggml (whisper's) and a model that crashes or
 * is killed takes nothing else with it. It loads node-llama-cpp and the GGUF on its first request and answers one chat
 * request at a time, greedy, under the request's JSON-schema grammar. It does not stop generations itself: the host
 * kills the whole process on cancel, and when the daemon goes (the IPC channel closes) it exits. While the host says
 * whisper has work, the model holds its next batch (small on the CPU), so the recognizer gets the cores back within one.
 * One context, one sequence per kind of request (chunk extraction, rolling summary): each kind's system prompt is the
 * same from request to request, and node-llama-cpp evaluates only the tokens after the part a sequence already holds
 * (LlamaChat's alignCurrentSequenceStateWithCurrentTokens → adaptStateToTokens), so the shared prefix is read once.
 * A request's start can be read ahead ('preload': a meeting's open chunk as its lines come), so that the chat that
 * follows reads only the rest.
 * Threads can change between batches: the host's 'threads' (all cores once whisper is done), less the cores other
 * processes keep busy (sampled twice a second).
 *
 * Each kind's system prompt, read once, is kept in the host's stateDir for the next process (systemPromptState.ts).
 *
 * Owns node-llama-cpp's use (loading, context, chat wrapper, grammar). Must not read settings; the system prompts'
 * state is the only file it writes; it logs nothing (the prompts are the meeting's transcript).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type { Llama, LlamaChatSession, LlamaContext, LlamaContextSequence, LlamaModel } from 'node-llama-cpp' with { 'resolution-mode': 'import' };
import { ChatKind, HoldProgress, HostMessage, WorkerMessage } from './ipc';
import { primeSystemPrompt, stateFileFor } from './systemPromptState';

/**
 * Context per sequence (tokens): sized to what the requests so far need (rounded up to CONTEXT_STEP, at least
 * MIN_CONTEXT), grown (the context made again) when one needs more, up to MAX_CONTEXT. Each sequence has its own
 * KV cache of this size: a default chunk (6,000 characters, ~2,100 prompt tokens + a 1,000-token answer) makes 4,096.
 * The settle at stop is the longest request: the default's (v11) prompt is 6,700 tokens of Qwen2's tokenizer at the
 * median of 105 recorded meetings and 9,027 at most, and its answer's cap 2,840 (20 points): 12,288 holds them all,
 * where 8,192 held 12 of the 105 (the rest fell back to v9's smaller prompt). It is reached at stop only, once, when
 * every chunk is answered: a context past TWO_SEQUENCES_MAX is made with one sequence that both kinds share, so the
 * KV cache never holds more cells than two sequences of TWO_SEQUENCES_MAX did (node-llama-cpp gives each sequence its
 * own contextSize of cells: LlamaContext.js, `contextSize * totalSequences`).
 */
const MAX_CONTEXT = 12_288;
const TWO_SEQUENCES_MAX = 8192;
const MIN_CONTEXT = 4096;
const CONTEXT_STEP = 1024;
const KINDS: readonly ChatKind[] = ['extract', 'summary'];

/** The context size (per sequence) for a request needing `needed` tokens; undefined: more than the model allows. */
export function contextSizeFor(needed: number, trainContextSize: number): number | undefined {
  const most = Math.min(trainContextSize, MAX_CONTEXT);
  if (needed > most) return undefined;
  return Math.min(most, Math.max(MIN_CONTEXT, Math.ceil(needed / CONTEXT_STEP) * CONTEXT_STEP));
}
/** Tokens the chat template adds around the system and user messages, kept free beyond the answer's. */
export const TEMPLATE_MARGIN = 64;
/**
 * Prompt tokens per batch on the CPU: the longest the model keeps a core once told to hold is one batch. 16 tokens of
 * the 1.5B on one thread of this project's 2-core machines take ~0.33 s and read the prompt at 94 % of the speed of
 * 256-token batches (8: 0.22 s but 69 %; BENCHMARKS.md, issue 30). A GPU keeps node-llama-cpp's default: it does not
 * take whisper's cores, and small batches cost it most.
 */
export const CPU_BATCH_TOKENS = 16;

/**
 * Whisper has work (the host said hold): the model's next batch waits for `go`. Only the model's own work is held; the
 * process still answers its channel, and exits when the daemon goes.
 */
let held: { released: Promise<void>; release(): void; acknowledged: boolean } | undefined;

/**
 * The model's work so far in this process: batches decoded and answer tokens generated. The host is told it when a
 * hold takes effect and when it ends: equal figures say that nothing of the model ran in between.
 */
const progress: HoldProgress = { batches: 0, tokens: 0 };
/** Requests taken and not yet answered: none, and a hold takes effect at once. */
let busy = 0;

function setHeld(hold: boolean): void {
  if (hold && !held) {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    held = { released, release, acknowledged: false };
    if (busy === 0) acknowledgeHold();
  } else if (!hold && held) {
    held.release();
    held = undefined;
    process.send?.({ type: 'released', ...progress } satisfies WorkerMessage);
  }
}

/** Tells the host, once per hold, that no batch of the model runs until it says go on. */
function acknowledgeHold(): void {
  if (!held || held.acknowledged) return;
  held.acknowledged = true;
  process.send?.({ type: 'held', ...progress } satisfies WorkerMessage);
}

/** Resolves when the model may run its next batch. */
async function mayRun(): Promise<void> {
  while (held) {
    acknowledgeHold(); // the batch before has finished and this one waits
    await held.released;
  }
}

/**
 * Makes every batch the context decodes (prompt and answer tokens alike) wait while held. node-llama-cpp 3.21 has no
 * public hook between batches (its `batching.dispatchSchedule` only delays the first of a run, and a one-sequence
 * context dispatches at once: LlamaContext.js `_scheduleDecode`), so its context's native `decodeBatch`, which
 * `dispatchPendingBatch` awaits once per batch, is wrapped. Where an upgrade moved it, the model runs without holding
 * (as before this existed: slower finals on a small CPU, nothing lost) and answers false; the integration test that
 * holds a real model process fails then.
 */
export function holdBatchesWhileHeld(context: object): boolean {
  const native = (context as { _ctx?: { decodeBatch?: () => Promise<void> } })._ctx;
  if (typeof native?.decodeBatch !== 'function') return false;
  const decode = native.decodeBatch.bind(native);
  // The addon's method is read-only on its prototype: an own property on this context's object shadows it.
  Object.defineProperty(native, 'decodeBatch', {
    value: async () => {
      await mayRun();
      try {
        return await decode();
      } finally {
        progress.batches++;
      }
    },
  });
  return true;
}

/**
 * Records the threads each batch runs with: node-llama-cpp sets them (`_ctx.setThreads`, from its threads splitter,
 * bounded by the Llama's public `maxThreads`) before each batch. Answers say what the last batch ran with.
 */
function recordThreads(context: object): () => number | undefined {
  let last: number | undefined;
  const native = (context as { _ctx?: { setThreads?: (threads: number) => void } })._ctx;
  if (typeof native?.setThreads !== 'function') return () => undefined;
  const set = native.setThreads.bind(native);
  Object.defineProperty(native, 'setThreads', { value: (threads: number) => { last = threads; set(threads); } });
  return () => last;
}

interface Context {
  context: LlamaContext;
  sequences: Record<ChatKind, LlamaContextSequence>;
  /** Per sequence. */
  contextSize: number;
  lastThreads: () => number | undefined;
}

interface Loaded {
  llama: Llama;
  model: LlamaModel;
  /** Made on the first request, sized to it (contextSizeFor). */
  ctx?: Context;
  name: string;
  modelPath: string;
  loadMs: number;
  device: string;
}

let loaded: Promise<Loaded> | undefined;
/** Threads the host allows now (the last 'threads' or request). */
let allowed = 1;
/** Of those, what the model runs with (the Llama's maxThreads, read before each batch): fewer while others keep cores busy. */
let running = 1;
/** Cores other processes kept busy over the last sample (SAMPLE_MS). */
let othersBusy = 0;
const SAMPLE_MS = 500;

/**
 * Threads to run with: those allowed, less a core for each that other processes keep busy (from a quarter core on).
 * ggml's threads wait for each other at every step, so one sharing its core with another process holds back the rest:
 * on this project's 2-core machine with another process on one core, 2 threads read the prompt at 0.6× the speed of 1
 * and generated at 0.04× (BENCHMARKS.md, issue 30, L).
 */
export function threadsFor(allowedThreads: number, cores: number, othersBusyCores: number): number {
  return Math.max(1, Math.min(allowedThreads, cores - Math.max(0, Math.ceil(othersBusyCores - 0.25))));
}

function runWith(n: number): void {
  if (n === running) return;
  running = n;
  void loaded?.then((m) => { m.llama.maxThreads = running; }, () => undefined);
}

function setThreads(value: number): void {
  allowed = Math.max(1, Math.floor(value));
  runWith(threadsFor(allowed, os.availableParallelism(), othersBusy));
}

/**
 * Busy time of every core so far (ms), from os.cpus() as libuv's uv_cpu_info fills it: on Linux irq is its own
 * column of /proc/stat; on macOS it is 0 (src/unix/darwin.c); on Windows sys is KernelTime less IdleTime and irq is
 * InterruptTime (src/win/util.c), which the kernel time already holds, so it is not added twice.
 */
export function busyMs(cpus: readonly Pick<os.CpuInfo, 'times'>[], platform: NodeJS.Platform = process.platform): number {
  return cpus.reduce((n, c) => n + c.times.user + c.times.nice + c.times.sys + (platform === 'win32' ? 0 : c.times.irq), 0);
}

/** Samples the machine's CPU less this process's (os.cpus() and process.cpuUsage(): every platform) and follows it. */
function watchOthers(): void {
  const machineMs = () => busyMs(os.cpus());
  const ownMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  let last = { at: performance.now(), machine: machineMs(), own: ownMs() };
  setInterval(() => {
    const now = { at: performance.now(), machine: machineMs(), own: ownMs() };
    othersBusy = Math.max(0, (now.machine - last.machine - (now.own - last.own)) / (now.at - last.at));
    last = now;
    runWith(threadsFor(allowed, os.availableParallelism(), othersBusy));
  }, SAMPLE_MS).unref();
}

/** Sequences of a context of `contextSize` per sequence: one per kind, or one the kinds share past TWO_SEQUENCES_MAX. */
export const sequencesFor = (contextSize: number) => (contextSize > TWO_SEQUENCES_MAX ? 1 : KINDS.length);

/**
 * A context of `contextSize` tokens per sequence, one sequence per kind (sequencesFor: one shared past
 * TWO_SEQUENCES_MAX). Its ideal threads are every core: what it runs with is bounded, batch by batch, by the Llama's
 * maxThreads (setThreads), which node-llama-cpp's splitter reads.
 */
async function makeContext(llama: Llama, model: LlamaModel, contextSize: number): Promise<Context> {
  const cores = Math.max(allowed, os.availableParallelism());
  llama.maxThreads = cores; // the context's ideal threads are capped by it when made
  const onGpu = model.gpuLayers > 0;
  try {
    const sequences = sequencesFor(contextSize);
    const context = await model.createContext({ contextSize, threads: cores, sequences, ...(onGpu ? {} : { batchSize: CPU_BATCH_TOKENS }) });
    holdBatchesWhileHeld(context);
    const lastThreads = recordThreads(context);
    const extract = context.getSequence();
    return { context, contextSize, lastThreads, sequences: { extract, summary: sequences === 1 ? extract : context.getSequence() } };
  } finally {
    // node-llama-cpp's default (at least 4) would oversubscribe a 2-core machine and starve whisper.
    llama.maxThreads = running;
  }
}

/**
 * node-llama-cpp's options for a model on the GPU or not (`earshot.gpu`). "Not" is `gpu: false` (its CPU build), except
 * on Apple Silicon, where node-llama-cpp 3.21.1 has a Metal build only: `false` resolves to the build [false]
 * (dist/bindings/utils/getGpuTypesToUseForOption.js:24, :35-36), which has no prebuilt for mac-arm64
 * (dist/bindings/utils/compileLLamaCpp.js:433-436 maps mac/arm64 only for "metal"), and getLlama then throws
 * NoBinaryFoundError (dist/bindings/getLlama.js:292-293). There 'auto' (["metal"], getBestComputeLayersAvailable.js:16-17)
 * loads, and gpuLayers 0 keeps every layer on the CPU.
 */
export function llamaGpuOptions(gpu: boolean, platform: NodeJS.Platform = process.platform, arch: string = process.arch): { gpu: 'auto' | false; gpuLayers?: 0 } {
  if (gpu) return { gpu: 'auto' };
  return platform === 'darwin' && arch === 'arm64' ? { gpu: 'auto', gpuLayers: 0 } : { gpu: false, gpuLayers: 0 };
}

async function load(request: ModelRequest): Promise<Loaded> {
  const started = performance.now();
  // node-llama-cpp is ESM only; module node16 keeps this import() a real one in the CommonJS output.
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const gpu = llamaGpuOptions(request.gpu);
  const llama = await getLlama({
    gpu: gpu.gpu,
    build: 'never', // the prebuilt binaries only: never compile or download anything on a user's machine
    skipDownload: true,
    progressLogs: false,
    maxThreads: running,
    logLevel: LlamaLogLevel.error,
    logger: () => undefined, // llama.cpp's own lines are not ours to show (and say nothing a failure does not)
  });
  const model = await llama.loadModel({ modelPath: request.modelPath, useMmap: false, ...(gpu.gpuLayers === 0 ? { gpuLayers: 0 } : {}) });
  const general = model.fileInfo.metadata?.general as { name?: unknown } | undefined;
  const name = typeof general?.name === 'string' && general.name.trim() ? general.name.trim().slice(0, 100) : path.basename(request.modelPath, '.gguf');
  // Where the layers went: node-llama-cpp's 'auto' takes the prebuilt GPU build (Metal, Vulkan) when its driver is there.
  const gpus = llama.gpu && model.gpuLayers > 0 ? await llama.getGpuDeviceNames().catch(() => []) : [];
  const device = gpus.length ? `${llama.gpu} (${gpus.join(', ')})` : 'cpu';
  return { llama, model, name, modelPath: request.modelPath, loadMs: Math.round(performance.now() - started), device };
}

type ModelRequest = Extract<HostMessage, { type: 'chat' | 'preload' }>;

/** What a request runs on: the model loaded, a context big enough for it, its kind's sequence; or why not. */
interface Prepared { m: Loaded; ctx: Context; kind: ChatKind; sequence: LlamaContextSequence; promptTokens: number; first: boolean }

async function prepare(request: ModelRequest): Promise<Prepared | WorkerMessage> {
  setThreads(request.threads);
  const first = !loaded;
  if (loaded && (await loaded.catch(() => undefined))?.modelPath !== request.modelPath) loaded = undefined;
  loaded ??= load(request);
  let m: Loaded;
  try {
    m = await loaded;
  } catch (e) {
    loaded = undefined;
    return { type: 'failed', id: request.id, reason: `the model does not load: ${firstLine(e)}`, retry: false };
  }
  const promptTokens = m.model.tokenize(request.system).length + m.model.tokenize(request.user).length;
  const size = contextSizeFor(promptTokens + request.maxTokens + TEMPLATE_MARGIN, m.model.trainContextSize);
  if (size === undefined) {
    return { type: 'failed', id: request.id, reason: `the chunk (${promptTokens} tokens) and its answer do not fit the model's context (${Math.min(m.model.trainContextSize, MAX_CONTEXT)})`, retry: false };
  }
  if (!m.ctx || size > m.ctx.contextSize) {
    // The first request, or longer chunks than so far (a larger chunk size): a context for them, cached prefixes lost.
    try {
      await m.ctx?.context.dispose();
      m.ctx = undefined;
      m.ctx = await makeContext(m.llama, m.model, size);
    } catch (e) {
      return { type: 'failed', id: request.id, reason: `the model's context (${size} tokens) cannot be made: ${firstLine(e)}`, retry: false };
    }
  }
  const kind: ChatKind = request.kind === 'summary' ? 'summary' : 'extract'; // a host without kinds: one sequence
  return { m, ctx: m.ctx, kind, sequence: m.ctx.sequences[kind], promptTokens, first };
}

/** Where the model runs, on the first answer of a process (the host learns from it whether to hold it for whisper). */
const loadedInfo = (m: Loaded, first: boolean) => (first ? { loadMs: m.loadMs, device: m.device } : {});

/**
 * A fresh sequence (a new context's, or one cleared after a failure): it gets the system prompt from the state an
 * earlier process kept (the tokens restored, answered as restoredTokens), or reads it now and keeps it; before any
 * user text is read. A sequence holding anything already has it.
 */
async function primeOnce(request: ModelRequest, { m, kind, sequence }: Prepared, session: LlamaChatSession): Promise<{ restoredTokens?: number }> {
  if (!request.stateDir || sequence.contextTokens.length > 0) return {};
  const file = await stateFileFor(request.stateDir, { llama: m.llama, modelPath: m.modelPath, device: m.device }, kind, request.system).catch(() => undefined);
  if (!file) return {};
  const outcome = await primeSystemPrompt(file, session, sequence);
  return 'restoredTokens' in outcome ? outcome : {};
}

/**
 * Runs `work` on a chat session over the request's sequence with its system prompt, never clearing it: what the
 * sequence holds up to the first token that differs (this kind's system prompt, a chunk's lines read ahead) is kept.
 * `work` answers from the input tokens it read; a failure clears the sequence (what it holds then is not known to be a
 * prefix of anything).
 */
async function onSession(request: ModelRequest, failure: string,
  work: (session: LlamaChatSession, prepared: Prepared, read: () => number) => Promise<WorkerMessage>): Promise<WorkerMessage> {
  const prepared = await prepare(request);
  if ('type' in prepared) return prepared;
  const { LlamaChatSession } = await import('node-llama-cpp');
  const { sequence } = prepared;
  const session = new LlamaChatSession({ contextSequence: sequence, systemPrompt: request.system });
  const inputBefore = sequence.tokenMeter.usedInputTokens;
  try {
    const primed = await primeOnce(request, prepared, session);
    const reply = await work(session, prepared, () => sequence.tokenMeter.usedInputTokens - inputBefore);
    return reply.type === 'failed' ? reply : { ...reply, ...primed };
  } catch (e) {
    await sequence.clearHistory().catch(() => undefined);
    return { type: 'failed', id: request.id, reason: `${failure}: ${firstLine(e)}`, retry: true };
  } finally {
    session.dispose({ disposeSequence: false });
  }
}

function chat(request: Extract<HostMessage, { type: 'chat' }>): Promise<WorkerMessage> {
  return onSession(request, 'generation failed', async (session, { m, ctx, promptTokens, first }, read) => {
    const started = performance.now();
    const grammar = request.schema ? await m.llama.createGrammarForJsonSchema(request.schema as never) : undefined;
    let answerTokens = 0;
    let firstToken: number | undefined;
    const result = await session.promptWithMeta(request.user, {
      ...(grammar ? { grammar } : {}),
      temperature: 0,
      maxTokens: request.maxTokens,
      onToken: (tokens) => { firstToken ??= performance.now(); answerTokens += tokens.length; progress.tokens += tokens.length; },
    });
    const ranThreads = ctx.lastThreads();
    return {
      type: 'answer', id: request.id, text: result.responseText, model: m.name, promptTokens, answerTokens, ms: Math.round(performance.now() - started),
      ...(firstToken !== undefined ? { promptMs: Math.round(firstToken - started) } : {}),
      readTokens: read(),
      threadsAllowed: allowed,
      ...(ranThreads !== undefined ? { threads: ranThreads } : {}),
      ...loadedInfo(m, first),
    };
  });
}

/**
 * Reads a request's start into its kind's sequence and answers nothing (LlamaChatSession.preloadPrompt: the user
 * message left open, no answer token): the chat that follows with a user message starting the same reads only the
 * rest. What a meeting's open chunk has so far is read this way while whisper is idle (liveExtraction.ts).
 */
function preload(request: Extract<HostMessage, { type: 'preload' }>): Promise<WorkerMessage> {
  return onSession(request, 'preloading failed', async (session, { m, promptTokens, first }, read) => {
    const started = performance.now();
    await session.preloadPrompt(request.user);
    return { type: 'preloaded', id: request.id, model: m.name, promptTokens, readTokens: read(), ms: Math.round(performance.now() - started), ...loadedInfo(m, first) };
  });
}

/** An error's first line, without paths' surroundings growing long. */
const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0].slice(0, 200);

if (require.main === module) {
  // Requests come one at a time (the host queues them); a chain keeps them in order all the same.
  let queue = Promise.resolve();
  process.on('message', (message: HostMessage) => {
    if (message?.type === 'yield') return setHeld(message.hold);
    if (message?.type === 'threads') return setThreads(message.threads);
    if (message?.type !== 'chat' && message?.type !== 'preload') return;
    busy++;
    queue = queue.then(() => (message.type === 'chat' ? chat(message) : preload(message))).then((reply) => {
      process.send?.(reply);
      if (--busy === 0) acknowledgeHold(); // held after its last batch: nothing more runs
    });
  });
  watchOthers();
  // The daemon went away (or closed the channel): nothing is left to answer.
  process.on('disconnect', () => process.exit(0));
}
