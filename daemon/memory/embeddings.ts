/**
 * Meeting memory's optional embedding model: a small GGUF sentence-embedding model run by node-llama-cpp, whose ranking
 * of each meeting's topical blocks memoryIndex.ts fuses with the words' (reciprocal-rank fusion). Nothing is downloaded
 * here (models/memoryModel.ts has the catalog entry the user may download); a caller with a model file on disk makes an
 * Embedder of it and a BlockVectors cache over an index.
 *
 * Owns node-llama-cpp's embedding use and the cache of block vectors. Must not log any text.
 */
import type { MemoryIndex, SemanticQuery } from './memoryIndex';
import type { VectorCache } from './vectorFiles';

/**
 * Turns texts into unit-length vectors: a question (`query`) or a block of a meeting (`passage`). `threads`: how many
 * CPU threads this text may use (absent: as before). One text at a time (oneAtATime).
 */
export interface Embedder {
  embed(text: string, kind: 'query' | 'passage', threads?: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** Scales a vector to unit length (a zero vector stays zero). */
export function unit(v: ArrayLike<number>): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i] * v[i];
  const out = Float32Array.from(v);
  if (n > 0) for (let i = 0; i < out.length; i++) out[i] /= Math.sqrt(n);
  return out;
}

/**
 * An Embedder over a GGUF file with node-llama-cpp, on the CPU, `threads` threads. A text longer than the context is
 * cut to its first tokens (a block's first few minutes say what it is about). `queryPrefix`: the model's instruction
 * for questions (the catalog's, or none for a model not in it).
 */
export async function llamaEmbedder(modelPath: string, options: { queryPrefix?: string; contextTokens?: number; threads?: number } = {}): Promise<Embedder> {
  // node-llama-cpp is ESM only; module node16 keeps this import() a real one in the CommonJS output.
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.error, logger: () => undefined });
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const trained = model.trainContextSize || 512;
  const contextSize = Math.min(options.contextTokens ?? trained, trained);
  let threads = Math.max(1, options.threads ?? 2);
  let context = await model.createEmbeddingContext({ contextSize, batchSize: contextSize, threads });
  return {
    async embed(text, kind, wanted) {
      if (wanted !== undefined && Math.max(1, wanted) !== threads) {
        // A context's threads are fixed when it is made (node-llama-cpp's LlamaContext: `threads` read once, in its
        // constructor); a small model's embedding context is made again in milliseconds.
        await context.dispose();
        threads = Math.max(1, wanted);
        context = await model.createEmbeddingContext({ contextSize, batchSize: contextSize, threads });
      }
      const input = kind === 'query' ? `${options.queryPrefix ?? ''}${text}` : text;
      let tokens = model.tokenize(input);
      if (tokens.length > contextSize - 2) tokens = tokens.slice(0, contextSize - 2); // room for the model's own start and end tokens
      return unit((await context.getEmbeddingFor(tokens)).vector);
    },
    async dispose() {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}

/**
 * The vectors of an index's blocks, kept by their text (a block re-cut or a meeting changed is embedded again, an
 * unchanged one never), and a question's SemanticQuery over them.
 */
export class BlockVectors {
  private readonly vectors = new Map<string, Float32Array>();
  /** Sessions whose kept vectors were read (from `cache`). */
  private readonly read = new Set<string>();

  /** `cache`: where each session's vectors are kept between runs (vectorFiles.ts); none: in memory only. */
  constructor(private readonly embedder: Embedder, private readonly weight = 1, private readonly cache?: VectorCache) {}

  /** Reads the kept vectors of the index's meetings not read yet (cheap: no embedding). */
  async load(index: MemoryIndex, sessionIds: readonly string[] = index.sessionIds()): Promise<void> {
    if (!this.cache) return;
    for (const sessionId of sessionIds) {
      if (this.read.has(sessionId)) continue;
      this.read.add(sessionId);
      for (const [key, v] of await this.cache.read(sessionId)) if (!this.vectors.has(key)) this.vectors.set(key, v);
    }
  }

  /**
   * Embeds every block of the index's meetings not embedded yet (of `sessionIds` only, when given), keeping each
   * meeting's vectors once it is done or stopped; stops at `signal`.
   */
  async update(index: MemoryIndex, sessionIds: readonly string[] = index.sessionIds(), signal?: AbortSignal): Promise<void> {
    await this.load(index, sessionIds);
    for (const sessionId of sessionIds) {
      const blocks = index.topicBlocks(sessionId);
      let added = false;
      for (const block of blocks) {
        if (signal?.aborted) break;
        if (this.vectors.has(block.key)) continue;
        this.vectors.set(block.key, await this.embedder.embed(block.text, 'passage'));
        added = true;
      }
      // Stopped (Delete All Data, the model closing): nothing written, so no file outlives what it was read from.
      if (added && this.cache && !signal?.aborted) {
        const kept = new Map<string, Float32Array>();
        for (const block of blocks) {
          const v = this.vectors.get(block.key);
          if (v) kept.set(block.key, v);
        }
        await this.cache.write(sessionId, kept);
      }
      if (signal?.aborted) return;
    }
  }

  /** The index's blocks (of searchable meetings) and how many of them have a vector now. */
  coverage(index: MemoryIndex): { blocks: number; embedded: number } {
    let blocks = 0, embedded = 0;
    for (const sessionId of index.sessionIds()) {
      for (const block of index.topicBlocks(sessionId)) {
        blocks++;
        if (this.vectors.has(block.key)) embedded++;
      }
    }
    return { blocks, embedded };
  }

  async query(question: string): Promise<SemanticQuery> {
    const vector = await this.embedder.embed(question, 'query');
    return { vector, weight: this.weight, blockVector: (_sessionId, block) => this.vectors.get(block.key) };
  }
}

/** The same embedder, its calls one at a time (a background update and a question's embedding share one context). */
export function oneAtATime(embedder: Embedder): Embedder {
  let last: Promise<unknown> = Promise.resolve();
  return {
    embed(text, kind, threads) {
      const next = last.then(() => embedder.embed(text, kind, threads), () => embedder.embed(text, kind, threads));
      last = next.catch(() => undefined);
      return next;
    },
    async dispose() {
      await last;
      await embedder.dispose();
    },
  };
}
