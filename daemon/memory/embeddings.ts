/**
 * Meeting memory's optional embedding model: a small GGUF sentence-embedding model run by node-llama-cpp, whose ranking
 * of each meeting's topical blocks memoryIndex.ts fuses with the words' (reciprocal-rank fusion). Nothing is downloaded
 * here: EMBEDDING_MODELS names the one Earshot offers (pinned file, exact size and SHA-256) for a download the user asks
 * for; a caller with a model file on disk makes an Embedder of it and a BlockVectors cache over an index.
 *
 * Owns the catalog entry, node-llama-cpp's embedding use and the cache of block vectors. Must not log any text.
 */
import * as crypto from 'node:crypto';
import type { NotesCatalogModel } from '../models/notesCatalog';
import type { MemoryIndex, SemanticQuery, TopicBlock } from './memoryIndex';

/** One downloadable embedding model: pinned as the notes models are (models/notesCatalog.ts: file, URL, size, SHA-256). */
export interface EmbeddingCatalogModel extends Pick<NotesCatalogModel, 'name' | 'file' | 'url' | 'bytes' | 'sha256' | 'licence'> {
  id: string;
  /** Vector length, the tokens it reads at most, and what a question is prefixed with (the model card's instruction). */
  dimensions: number;
  contextTokens: number;
  queryPrefix: string;
}

/**
 * BAAI's bge-small-en-v1.5 (33M parameters, MIT), Q8_0 as ggml-org publishes it: 37 MB, 384 dimensions, 512 tokens.
 * Size and SHA-256 from the file's page on Hugging Face (Xet pointer) at this revision.
 */
export const EMBEDDING_MODELS: readonly EmbeddingCatalogModel[] = Object.freeze([{
  id: 'bge-small-en-v1.5',
  name: 'BGE small English v1.5 (Q8_0)',
  file: 'bge-small-en-v1.5-q8_0.gguf',
  url: 'https://huggingface.co/ggml-org/bge-small-en-v1.5-Q8_0-GGUF/resolve/f2068edd9b54f2a369549ccc71f70ed273a2a801/bge-small-en-v1.5-q8_0.gguf',
  bytes: 36_685_152,
  sha256: 'f046db1dc724cf4f6f0a0c5917e922823b73eb1d27b8f9a9c2797f7866974804',
  licence: 'MIT',
  dimensions: 384,
  contextTokens: 512,
  queryPrefix: 'Represent this sentence for searching relevant passages: ',
}]);

/** Turns texts into unit-length vectors: a question (`query`) or a block of a meeting (`passage`). */
export interface Embedder {
  embed(text: string, kind: 'query' | 'passage'): Promise<Float32Array>;
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
  const context = await model.createEmbeddingContext({ contextSize, batchSize: contextSize, threads: options.threads ?? 2 });
  return {
    async embed(text, kind) {
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

  constructor(private readonly embedder: Embedder, private readonly weight = 1) {}

  /** Embeds every block of the index's meetings not embedded yet (of `sessionIds` only, when given). */
  async update(index: MemoryIndex, sessionIds: readonly string[] = index.sessionIds()): Promise<void> {
    for (const sessionId of sessionIds) {
      for (const block of index.topicBlocks(sessionId)) {
        const key = keyOf(block);
        if (!this.vectors.has(key)) this.vectors.set(key, await this.embedder.embed(block.text, 'passage'));
      }
    }
  }

  async query(question: string): Promise<SemanticQuery> {
    const vector = await this.embedder.embed(question, 'query');
    return { vector, weight: this.weight, blockVector: (_sessionId, block) => this.vectors.get(keyOf(block)) };
  }
}

const keyOf = (block: TopicBlock) => crypto.createHash('sha256').update(block.text).digest('base64');
