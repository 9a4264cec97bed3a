/**
 * Meeting memory's meaning model: a small sentence-embedding model in GGUF that node-llama-cpp runs on the CPU
 * (memory/embeddings.ts), whose ranking of each meeting's topical blocks memory/search fuses with the words'.
 * Downloaded only when the user asks (the chat's button, the command), into `<model cache>/memory`, with the checks of
 * every catalog file (pinnedModels.ts).
 *
 * The entry: BAAI's **bge-small-en-v1.5** (33M parameters, MIT), Q8_0 as ggml-org publishes it: 37 MB, 384
 * dimensions, 512 tokens, and the model card's instruction for questions. Size and SHA-256 from the file's page on
 * Hugging Face (its Xet pointer) at the pinned revision; no machine of this project can reach it, so they are checked
 * at the user's download like every catalog file: a mismatch fails the download and keeps nothing.
 */
import * as path from 'node:path';
import { MemoryModelList, ModelDownloadResult } from '../../protocol/protocol';
import { downloadPinned, listPinned, PinnedCatalog, PinnedDownloadOptions, PinnedModel, pinnedCatalog, readyPinned } from './pinnedModels';

export interface MemoryCatalogModel extends PinnedModel {
  /** Vector length, the tokens it reads at most, and what a question is prefixed with (the model card's instruction). */
  dimensions: number;
  contextTokens: number;
  queryPrefix: string;
}

const PUBLISHED: readonly MemoryCatalogModel[] = Object.freeze([{
  id: 'bge-small-en-v1.5',
  name: 'BGE small English v1.5 (Q8_0)',
  file: 'bge-small-en-v1.5-q8_0.gguf',
  url: 'https://huggingface.co/ggml-org/bge-small-en-v1.5-Q8_0-GGUF/resolve/f2068edd9b54f2a369549ccc71f70ed273a2a801/bge-small-en-v1.5-q8_0.gguf',
  bytes: 36_685_152,
  sha256: 'f046db1dc724cf4f6f0a0c5917e922823b73eb1d27b8f9a9c2797f7866974804',
  licence: 'MIT',
  note: 'Finds past meetings\' passages by meaning as well as by words (35 MiB).',
  dimensions: 384,
  contextTokens: 512,
  queryPrefix: 'Represent this sentence for searching relevant passages: ',
}]);

/** The catalog in use: the published entry, or with EARSHOT_MEMORY_CATALOG its file replaced (pinnedCatalog). */
export function memoryCatalog(env: NodeJS.ProcessEnv = process.env): readonly MemoryCatalogModel[] {
  return pinnedCatalog(PUBLISHED, 'EARSHOT_MEMORY_CATALOG', env);
}

export function findMemoryModel(id: string): MemoryCatalogModel | undefined {
  return memoryCatalog().find((m) => m.id === id);
}

/** Where meaning models are kept: a folder of the model cache. */
export const memoryModelCacheDir = (modelCacheDir: string): string => path.join(modelCacheDir, 'memory');

export function listMemoryModels(modelCacheDir: string): Promise<MemoryModelList> {
  return listPinned(memoryCatalog(), memoryModelCacheDir(modelCacheDir));
}

/** The first catalog meaning model that is downloaded and verified, or undefined (nothing is downloaded here). */
export function readyMemoryModel(modelCacheDir: string): Promise<{ model: MemoryCatalogModel; path: string } | undefined> {
  return readyPinned(memoryCatalog(), memoryModelCacheDir(modelCacheDir));
}

export function downloadMemoryModel(id: string, modelCacheDir: string, options: PinnedDownloadOptions = {}): Promise<ModelDownloadResult> {
  return downloadPinned(memoryCatalog(), id, memoryModelCacheDir(modelCacheDir), 'meaning model', options);
}

/** The meaning models as the service lists and downloads them. */
export const MEMORY_MODELS: PinnedCatalog = { kind: 'memory', label: 'meaning model', catalog: () => memoryCatalog(), list: listMemoryModels, download: downloadMemoryModel };
