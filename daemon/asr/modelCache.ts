/**
 * Where downloaded models live and how a catalog model is fetched: which whisper file the settings name (a path, or the
 * catalog model in the cache folder), the state of a cached model (ready, missing, partial, corrupt), its verified
 * download, and the mark that spares hashing a verified file again. Serves the whisper catalog and the notes catalog
 * (understanding/local/notesModels.ts) alike: both hand it a {@link CachedModelSpec}.
 *
 * Owns the cache folder's layout. Must not decide which model to use (modelStore.ts) or load one.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CatalogModel, catalogModelForFile, DEFAULT_MODEL_ID, getCatalogModel } from './catalog';
import { downloadFile, DownloadOptions, DownloadResult, partPath } from './download';
import { ExpectedFile, sizeOf, verifyFile } from './fileCheck';

export interface ModelFileSettings {
  /** The user's model path setting (a local ggml file): wins over everything, used as is (offline). */
  modelPath?: string;
  /** Catalog id from the settings or the capability recommendation; default DEFAULT_MODEL_ID. */
  modelId?: string;
  /** The model cache folder setting; default `<storageDir>/models`. */
  cacheDir?: string;
  storageDir: string;
}

export type ResolvedModelFile =
  | { source: 'path'; path: string; /** The catalog entry with this file name, if any (not enforced). */ model: CatalogModel | undefined }
  | { source: 'catalog'; path: string; model: CatalogModel; cacheDir: string };

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') || p.startsWith('~\\') ? path.join(os.homedir(), p.slice(1)) : p;
}

/** Default model cache folder. */
export function defaultCacheDir(storageDir: string): string {
  return path.join(storageDir, 'models');
}

/** Which model file to use: the path setting if set, else the catalog model's file in the cache folder. Pure. */
export function resolveModelFile(settings: ModelFileSettings): ResolvedModelFile {
  const configured = settings.modelPath?.trim();
  if (configured) {
    const file = path.resolve(expandHome(configured));
    return { source: 'path', path: file, model: catalogModelForFile(path.basename(file)) };
  }
  const model = getCatalogModel(settings.modelId?.trim() || DEFAULT_MODEL_ID);
  const cacheDir = settings.cacheDir?.trim() ? path.resolve(expandHome(settings.cacheDir.trim())) : defaultCacheDir(settings.storageDir);
  return { source: 'catalog', path: path.join(cacheDir, model.file), model, cacheDir };
}

/** What the cache needs of a catalog entry, whichever catalog it is from. */
export interface CachedModelSpec {
  id: string;
  /** The file's name in its cache folder. */
  file: string;
  url: string;
  bytes: number;
  sha256: string;
  sha1?: string;
}

export function modelExpectation(model: CachedModelSpec): ExpectedFile {
  return { bytes: model.bytes, sha256: model.sha256, ...(model.sha1 ? { sha1: model.sha1 } : {}) };
}

/** The URL of `file` on an https mirror (a base URL; the file's name is appended). */
export function mirrorUrl(file: string, mirror: string): string {
  return new URL(file, mirror.endsWith('/') ? mirror : `${mirror}/`).href;
}

/** Remembers that a file was verified, so a hash of hundreds of MB or GB is not recomputed at every load. */
interface VerifiedMark {
  sha256: string;
  bytes: number;
  mtimeMs: number;
}
const markPath = (file: string) => `${file}.verified.json`;

/** Marks `file` as verified against `sha256` as it is now (size and modification time). */
export async function writeVerifiedMark(file: string, sha256: string): Promise<void> {
  const stat = await fs.stat(file);
  const mark: VerifiedMark = { sha256, bytes: stat.size, mtimeMs: stat.mtimeMs };
  await fs.writeFile(markPath(file), JSON.stringify(mark));
}

/** Whether `file` is unchanged since it was marked verified against `sha256`. */
export async function hasVerifiedMark(file: string, sha256: string, stat?: { size: number; mtimeMs: number }): Promise<boolean> {
  const now = stat ?? await fs.stat(file).catch(() => undefined);
  if (!now) return false;
  const mark = await fs.readFile(markPath(file), 'utf8').then((t) => JSON.parse(t) as VerifiedMark).catch(() => undefined);
  return !!mark && mark.sha256 === sha256 && mark.bytes === now.size && mark.mtimeMs === now.mtimeMs;
}

export type CachedModelStatus =
  | { state: 'ready'; path: string; bytes: number }
  | { state: 'missing'; path: string }
  /** Only a `.part` is there: a download can resume from `bytes`. */
  | { state: 'partial'; path: string; bytes: number; total: number }
  /** The final file fails verification: it must not be loaded; download with repair to replace it. */
  | { state: 'corrupt'; path: string; reason: string };

/** The state of a catalog model in a cache folder (hashes the file when its size is right). */
export async function cachedModelStatus(model: CachedModelSpec, cacheDir: string): Promise<CachedModelStatus> {
  const file = path.join(cacheDir, model.file);
  const check = await verifyFile(file, modelExpectation(model));
  if (check.status === 'ok') return { state: 'ready', path: file, bytes: check.bytes };
  if (check.status !== 'missing') return { state: 'corrupt', path: file, reason: check.reason };
  const partial = await sizeOf(partPath(file));
  return partial === null ? { state: 'missing', path: file } : { state: 'partial', path: file, bytes: partial, total: model.bytes };
}

export type ModelDownloadOptions = Omit<DownloadOptions, 'url' | 'dest' | 'expected' | 'label'> & {
  cacheDir: string;
  /** Another source for the same file (a mirror); it is verified against the catalog all the same. */
  url?: string;
  /** What the model is, for messages (default "whisper model"). */
  kind?: string;
};

/** Downloads a catalog model (a whisper id, or any catalog's entry) into the cache folder, verified against its size and sha256. */
export function downloadModel(model: CachedModelSpec | string, options: ModelDownloadOptions): Promise<DownloadResult> {
  const entry = typeof model === 'string' ? getCatalogModel(model) : model;
  const { cacheDir, url, kind, ...rest } = options;
  return downloadFile({
    ...rest,
    url: url ?? entry.url,
    dest: path.join(cacheDir, entry.file),
    expected: { bytes: entry.bytes, sha256: entry.sha256 },
    label: `${kind ?? 'whisper model'} ${entry.id}`,
  });
}
