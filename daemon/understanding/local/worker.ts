/**
 * The local notes model's own process: forked by host.ts (`<node> worker.js`, the daemon's Node runtime, lower
 * priority), never loaded in the daemon itself, so the daemon holds one ggml (whisper's) and a model that crashes or
 * is killed takes nothing else with it. It loads node-llama-cpp and the GGUF on its first request and answers one chat
 * request at a time, greedy, under the request's JSON-schema grammar. It does not stop generations itself: the host
 * kills the whole process on cancel, and when the daemon goes (the IPC channel closes) it exits. While the host says
 * whisper has work, the model holds its next batch (small on the CPU), so the recognizer gets the cores back within one.
 *
 * Owns node-llama-cpp's use (loading, context, chat wrapper, grammar). Must not read settings or write files; it logs
 * nothing (the prompts are the meeting's transcript).
 */
import * as path from 'node:path';
import type { Llama, LlamaContextSequence, LlamaModel } from 'node-llama-cpp' with { 'resolution-mode': 'import' };
import { HostMessage, WorkerMessage } from './ipc';

/** Largest context made (tokens): a chunk's prompt and its answer fit in far less; more only costs memory. */
const MAX_CONTEXT = 8192;
/** Tokens the chat template adds around the system and user messages, kept free beyond the answer's. */
const TEMPLATE_MARGIN = 64;
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
let held: { released: Promise<void>; release(): void } | undefined;

function setHeld(hold: boolean): void {
  if (hold && !held) {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    held = { released, release };
  } else if (!hold && held) {
    held.release();
    held = undefined;
  }
}

/** Resolves when the model may run its next batch. */
async function mayRun(): Promise<void> {
  while (held) await held.released;
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
      return decode();
    },
  });
  return true;
}

interface Loaded {
  llama: Llama;
  model: LlamaModel;
  sequence: LlamaContextSequence;
  contextSize: number;
  name: string;
  modelPath: string;
  loadMs: number;
  device: string;
}

let loaded: Promise<Loaded> | undefined;

async function load(request: Extract<HostMessage, { type: 'chat' }>): Promise<Loaded> {
  const started = performance.now();
  // node-llama-cpp is ESM only; module node16 keeps this import() a real one in the CommonJS output.
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({
    gpu: request.gpu ? 'auto' : false,
    build: 'never', // the prebuilt binaries only: never compile or download anything on a user's machine
    skipDownload: true,
    progressLogs: false,
    maxThreads: request.threads,
    logLevel: LlamaLogLevel.error,
    logger: () => undefined, // llama.cpp's own lines are not ours to show (and say nothing a failure does not)
  });
  const model = await llama.loadModel({ modelPath: request.modelPath, useMmap: false, ...(request.gpu ? {} : { gpuLayers: 0 }) });
  const contextSize = Math.min(model.trainContextSize, MAX_CONTEXT);
  // threads explicitly: node-llama-cpp's default (at least 4) oversubscribes a 2-core machine and starves whisper.
  const onGpu = model.gpuLayers > 0;
  const context = await model.createContext({ contextSize, threads: request.threads, sequences: 1, ...(onGpu ? {} : { batchSize: CPU_BATCH_TOKENS }) });
  holdBatchesWhileHeld(context);
  const general = model.fileInfo.metadata?.general as { name?: unknown } | undefined;
  const name = typeof general?.name === 'string' && general.name.trim() ? general.name.trim().slice(0, 100) : path.basename(request.modelPath, '.gguf');
  // Where the layers went: node-llama-cpp's 'auto' takes the prebuilt GPU build (Metal, Vulkan) when its driver is there.
  const gpus = llama.gpu && onGpu ? await llama.getGpuDeviceNames().catch(() => []) : [];
  const device = gpus.length ? `${llama.gpu} (${gpus.join(', ')})` : 'cpu';
  return { llama, model, sequence: context.getSequence(), contextSize, name, modelPath: request.modelPath, loadMs: Math.round(performance.now() - started), device };
}

async function chat(request: Extract<HostMessage, { type: 'chat' }>): Promise<WorkerMessage> {
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
  const { LlamaChatSession } = await import('node-llama-cpp');
  const promptTokens = m.model.tokenize(request.system).length + m.model.tokenize(request.user).length;
  if (promptTokens + request.maxTokens + TEMPLATE_MARGIN > m.contextSize) {
    return { type: 'failed', id: request.id, reason: `the chunk (${promptTokens} tokens) and its answer do not fit the model's context (${m.contextSize})`, retry: false };
  }
  const started = performance.now();
  await m.sequence.clearHistory(); // each chunk is asked on its own
  const session = new LlamaChatSession({ contextSequence: m.sequence, systemPrompt: request.system });
  try {
    const grammar = request.schema ? await m.llama.createGrammarForJsonSchema(request.schema as never) : undefined;
    let answerTokens = 0;
    let firstToken: number | undefined;
    const result = await session.promptWithMeta(request.user, {
      ...(grammar ? { grammar } : {}),
      temperature: 0,
      maxTokens: request.maxTokens,
      onToken: (tokens) => { firstToken ??= performance.now(); answerTokens += tokens.length; },
    });
    return {
      type: 'answer', id: request.id, text: result.responseText, model: m.name, promptTokens, answerTokens, ms: Math.round(performance.now() - started),
      ...(firstToken !== undefined ? { promptMs: Math.round(firstToken - started) } : {}),
      ...(first ? { loadMs: m.loadMs, device: m.device } : {}),
    };
  } catch (e) {
    return { type: 'failed', id: request.id, reason: `generation failed: ${firstLine(e)}`, retry: true };
  } finally {
    session.dispose({ disposeSequence: false });
  }
}

/** An error's first line, without paths' surroundings growing long. */
const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0].slice(0, 200);

if (require.main === module) {
  // Requests come one at a time (the host queues them); a chain keeps them in order all the same.
  let queue = Promise.resolve();
  process.on('message', (message: HostMessage) => {
    if (message?.type === 'yield') return setHeld(message.hold);
    if (message?.type !== 'chat') return;
    queue = queue.then(() => chat(message)).then((reply) => { process.send?.(reply); });
  });
  // The daemon went away (or closed the channel): nothing is left to answer.
  process.on('disconnect', () => process.exit(0));
}
