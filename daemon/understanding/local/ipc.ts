/**
 * The messages between the local notes model's host (host.ts, in the daemon) and its process (worker.ts), over
 * fork()'s IPC channel. Types only. Requests and answers carry transcript text; nothing here is ever logged.
 */

/** What a request asks: a chunk's extraction or the rolling summary (each has its own system prompt). */
export type ChatKind = 'extract' | 'summary';

/** The daemon to the model process. */
export type HostMessage =
  | {
    type: 'chat';
    id: number;
    /** The GGUF file: loaded on the first request (the host starts another process for another file). */
    modelPath: string;
    /** CPU threads for the model (at least 1; during a meeting at most the cores less one: the recognizer keeps a core). */
    threads: number;
    /**
     * Which of the model's sequences answers: each kind keeps what it last read, so the next request of the same kind
     * reads only what follows its unchanged start (its system prompt).
     */
    kind: ChatKind;
    /** Offer the GPU (node-llama-cpp's prebuilt Metal, CUDA or Vulkan binary, when one is there and works). */
    gpu: boolean;
    system: string;
    user: string;
    /** A JSON schema the answer is generated under (node-llama-cpp's grammar); absent: free text. */
    schema?: object;
    maxTokens: number;
    /**
     * Where each kind's system prompt, once read, is kept for the next process (the KV state of the system prompt
     * and chat template, saved before any user text is read: never a transcript line); absent: not kept.
     */
    stateDir?: string;
  }
  /**
   * Read `user` (after `system`) into the `kind` sequence and answer nothing ('preloaded'): a chat of that kind whose
   * user message starts with it reads only the rest. Sized (the context) as a chat of `maxTokens` would be; held as
   * every batch is.
   */
  | { type: 'preload'; id: number; modelPath: string; threads: number; kind: ChatKind; gpu: boolean; system: string; user: string; maxTokens: number; stateDir?: string }
  /**
   * Whisper has work (hold) or none (go on): the model holds its next batch until told to go on. Takes effect within
   * one batch (worker.ts's CPU batch size), and holds nothing but the model's own work.
   */
  | { type: 'yield'; hold: boolean }
  /** CPU threads from the next batch on (all cores once whisper is done; back to the cores less one for a meeting). */
  | { type: 'threads'; threads: number };

/** The model process to the daemon. */
export type WorkerMessage =
  | {
    type: 'answer'; id: number; text: string; model: string; promptTokens: number; answerTokens: number; ms: number;
    /** Until the first answer token: reading the prompt (and making the grammar). */
    promptMs?: number;
    /** Input tokens the model read for it: fewer than the prompt's when the sequence held its start already. */
    readTokens?: number;
    /** CPU threads the host allowed when it was answered. */
    threadsAllowed?: number;
    /** CPU threads the request's last batch ran with: those allowed, fewer while other processes kept cores busy. */
    threads?: number;
    loadMs?: number;
    /** The system prompt's tokens this request's sequence got from the state an earlier process kept (stateDir). */
    restoredTokens?: number;
    /** With loadMs: where the model runs, 'cpu' or the GPU build and its devices ("vulkan (NVIDIA GeForce RTX 4060)", "metal (Apple M2)"). */
    device?: string;
  }
  /** A preload read (readTokens of its promptTokens: the rest was held already). */
  | { type: 'preloaded'; id: number; model: string; promptTokens: number; readTokens: number; ms: number; restoredTokens?: number; loadMs?: number; device?: string }
  /** A request that failed with the process still fine (a prompt too long for the context, a bad schema). */
  | { type: 'failed'; id: number; reason: string; retry: boolean }
  /**
   * A hold took effect: the batch running when it was asked has finished (or none ran), and no batch runs until the
   * host says go on. Once per hold.
   */
  | ({ type: 'held' } & HoldProgress)
  /** The hold ended (the host said go on). Figures equal to the 'held' ones: nothing of the model ran meanwhile. */
  | ({ type: 'released' } & HoldProgress);

/** The model's work in its process so far. */
export interface HoldProgress {
  /** Batches decoded (prompt and answer tokens alike). */
  batches: number;
  /** Answer tokens generated. */
  tokens: number;
}
