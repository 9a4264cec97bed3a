/**
 * Meeting memory by meaning: once the user has downloaded the meaning model (models/memoryModel.ts), each search fuses
 * its ranking of the meetings' topical blocks with the words' (memoryIndex.ts, reciprocal-rank fusion). Blocks are
 * embedded in the background, one at a time, from the first search after the download and after new meetings: a
 * search never waits for them and uses the vectors there are, and says how many (MemorySearchResult.meaning).
 *
 * Owns the loaded model and the block vectors. Must not log any text (a failure's message only).
 */
import * as os from 'node:os';
import type { MemoryMeaning } from '../../protocol/protocol';
import { MemoryCatalogModel, readyMemoryModel } from '../models/memoryModel';
import { BlockVectors, Embedder, llamaEmbedder, oneAtATime } from './embeddings';
import type { MemoryIndex, SemanticQuery } from './memoryIndex';
import { VectorCache, vectorFiles } from './vectorFiles';

export type LoadEmbedder = (path: string, model: MemoryCatalogModel) => Promise<Embedder>;

/** node-llama-cpp on the CPU, one thread to start with (MeaningSearchOptions.threads says how many for each text). */
const loadOnCpu: LoadEmbedder = (path, model) => llamaEmbedder(path, { queryPrefix: model.queryPrefix, contextTokens: model.contextTokens, threads: 1 });

/**
 * Threads for the meaning model while no meeting records or starts: half the cores, 1 to 4. While one does, 1: the
 * meeting's recognition keeps the rest. Two threads read a block 1.69 times as fast as one on a quiet 2-core machine
 * (BENCHMARKS.md, figure MS); a 2-core machine keeps 1, so as not to take the editor's other core.
 */
export function idleReadingThreads(cores = os.availableParallelism()): number {
  return Math.max(1, Math.min(4, Math.floor(cores / 2)));
}

interface Loaded {
  path: string;
  model: MemoryCatalogModel;
  embedder: Promise<Embedder>;
  vectors?: BlockVectors;
  /** Stops the background reading into `vectors` (they are dropped, or the model closes). */
  stop?: AbortController;
}

export interface MeaningSearchOptions {
  /** How the model is loaded (default: node-llama-cpp on the CPU, one thread). */
  load?: LoadEmbedder;
  /** Where the block vectors are kept beside the journals (vectorFiles.ts; none: kept in memory only). */
  sessionsDir?: string;
  /**
   * A meeting's vectors could not be kept on disk (a full or read-only disk, a file another program holds: on
   * Windows an antivirus scanning the new file can refuse the rename). Said once; the vectors are still used, and the
   * meeting is read again at the next start. Not a failure of the model.
   */
  onNotKept?: (message: string) => void;
  /**
   * How many CPU threads the model may use for the next text (a block it reads, a question), asked before each: the
   * daemon gives 1 while a meeting records or starts, idleReadingThreads otherwise. Default: 1.
   */
  threads?: () => number;
}

export class MeaningSearch {
  private loaded: Loaded | undefined;
  private updating: Promise<void> | undefined;
  private updatingInto: BlockVectors | undefined;
  private failed: { path: string; message: string } | undefined;
  private notKeptSaid = false;

  /** `cacheDir`: the model cache (undefined: none, so no meaning model); `onError` hears a failure to load or read, once. */
  constructor(
    private readonly cacheDir: () => string | undefined, private readonly onError: (message: string) => void = () => undefined,
    private readonly options: MeaningSearchOptions = {},
  ) {}

  /**
   * The question's semantic query over the blocks embedded so far and what it covers, and the embedding of the others
   * started; nothing when no meaning model is downloaded (or it failed to load: then `meaning.error` says why).
   */
  async query(index: MemoryIndex, question: string): Promise<{ semantic?: SemanticQuery; meaning?: MemoryMeaning }> {
    const prepared = await this.prepare(index);
    if (!prepared?.vectors) return prepared ? { meaning: prepared.meaning } : {};
    const semantic = prepared.meaning.embedded > 0 ? await prepared.vectors.query(question) : undefined;
    return { ...(semantic ? { semantic } : {}), meaning: prepared.meaning };
  }

  /** The model loaded (if there), its coverage of the index, and the reading of the rest started. */
  private async prepare(index: MemoryIndex): Promise<{ meaning: MemoryMeaning; vectors?: BlockVectors } | undefined> {
    const dir = this.cacheDir();
    const ready = dir ? await readyMemoryModel(dir) : undefined;
    if (!ready) {
      await this.unload();
      return undefined;
    }
    if (this.failed?.path === ready.path) return { meaning: { model: ready.model.id, blocks: 0, embedded: 0, error: this.failed.message } };
    if (this.loaded?.path !== ready.path) {
      await this.unload();
      this.loaded = { path: ready.path, model: ready.model, embedder: (this.options.load ?? loadOnCpu)(ready.path, ready.model).then((e) => oneAtATime(this.threaded(e))) };
    }
    const loaded = this.loaded!;
    let embedder: Embedder;
    try {
      embedder = await loaded.embedder;
    } catch (e) {
      const message = `the meaning model ${ready.model.id} did not load: ${(e as Error).message}`;
      this.failed = { path: ready.path, message };
      this.loaded = undefined;
      this.onError(message);
      return { meaning: { model: ready.model.id, blocks: 0, embedded: 0, error: message } };
    }
    if (!loaded.vectors) {
      loaded.vectors = new BlockVectors(embedder, 1, this.options.sessionsDir ? this.keptIn(this.options.sessionsDir, ready.model.sha256) : undefined);
      loaded.stop = new AbortController();
    }
    const vectors = loaded.vectors;
    await vectors.load(index);
    const coverage = vectors.coverage(index);
    if (coverage.embedded < coverage.blocks) this.embedRest(vectors, index, loaded.stop!.signal, ready.path, ready.model.id);
    return { meaning: { model: ready.model.id, ...coverage }, vectors };
  }

  /** Loads the model if it is there and starts reading the meetings (after its download: the next question finds more). */
  async warm(index: MemoryIndex): Promise<MemoryMeaning | undefined> {
    return (await this.prepare(index))?.meaning;
  }

  /** How far the reading of the index is, without loading or embedding anything (undefined: no model loaded). */
  progress(index: MemoryIndex): { blocks: number; embedded: number } | undefined {
    return this.loaded?.vectors?.coverage(index);
  }

  /** Resolves when the background embedding has nothing left to do (tests; a CLI that wants every block). */
  async settled(): Promise<void> {
    while (this.updating) await this.updating;
  }

  /** After Delete All Data: no vector of a deleted meeting stays (the model stays loaded unless its file went too). */
  dropped(): void {
    if (!this.loaded) return;
    this.loaded.stop?.abort();
    this.loaded.vectors = undefined;
  }

  /** Before Delete All Data: the reading stopped and settled, so that no vectors file is written after the deletion. */
  async stopReading(): Promise<void> {
    this.dropped();
    await this.settled();
  }

  /** Closes the model; a failure is forgotten (a download again, a restart of the daemon: it is tried anew). */
  async dispose(): Promise<void> {
    this.failed = undefined;
    await this.unload();
  }

  /**
   * Reads the blocks `vectors` lacks, after any reading under way (one into dropped vectors stops at its block). A
   * failure is said once and leaves the model out of searches (as a failed load) until it is downloaded again.
   */
  private embedRest(vectors: BlockVectors, index: MemoryIndex, signal: AbortSignal, path: string, model: string): void {
    if (this.updating && this.updatingInto === vectors) return;
    const run: Promise<void> = (this.updating ?? Promise.resolve())
      .then(() => vectors.update(index, undefined, signal))
      .catch((e: Error) => {
        const message = `the meaning model ${model} failed reading the meetings: ${e.message}`;
        this.failed = { path, message };
        this.onError(message);
      })
      .finally(() => {
        if (this.updating !== run) return;
        this.updating = undefined;
        this.updatingInto = undefined;
      });
    this.updating = run;
    this.updatingInto = vectors;
  }

  /** The vectors files, a failure to write one said once and not thrown: the reading goes on, the vectors are used. */
  private keptIn(sessionsDir: string, modelSha256: string): VectorCache {
    const files = vectorFiles(sessionsDir, modelSha256);
    return {
      read: (sessionId) => files.read(sessionId),
      write: (sessionId, vectors) => files.write(sessionId, vectors).catch((e: Error) => {
        if (this.notKeptSaid) return;
        this.notKeptSaid = true;
        this.options.onNotKept?.(`the meaning model's reading of a meeting could not be kept on disk: ${e.message}`);
      }),
    };
  }

  /** `embedder`, each text given the threads the options say at the moment it is read. */
  private threaded(embedder: Embedder): Embedder {
    const threads = this.options.threads ?? (() => 1);
    return { embed: (text, kind) => embedder.embed(text, kind, threads()), dispose: () => embedder.dispose() };
  }

  private async unload(): Promise<void> {
    const loaded = this.loaded;
    this.loaded = undefined;
    if (!loaded) return;
    loaded.stop?.abort(); // the block being read finishes; no other starts
    await this.updating?.catch(() => undefined);
    await (await loaded.embedder.catch(() => undefined))?.dispose().catch(() => undefined);
  }
}
