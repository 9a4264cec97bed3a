/**
 * Where whisper models live and how a catalog model is fetched: which file the settings name (a path, or the catalog
 * model in the cache folder), the state of a cached model (ready, missing, partial, corrupt), and its verified download.
 *
 * Owns the cache folder's layout. Must not decide which model to use (modelStore.ts) or load one.
 */
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

export function modelExpectation(model: CatalogModel): ExpectedFile {
  return { bytes: model.bytes, sha256: model.sha256, sha1: model.sha1 };
}

export type CachedModelStatus =
  | { state: 'ready'; path: string; bytes: number }
  | { state: 'missing'; path: string }
  /** Only a `.part` is there: a download can resume from `bytes`. */
  | { state: 'partial'; path: string; bytes: number; total: number }
  /** The final file fails verification: it must not be loaded; download with repair to replace it. */
  | { state: 'corrupt'; path: string; reason: string };

/** The state of a catalog model in a cache folder (hashes the file when its size is right). */
export async function cachedModelStatus(model: CatalogModel, cacheDir: string): Promise<CachedModelStatus> {
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
};

/** Downloads a catalog model into the cache folder, verified against the catalog's size and sha256. */
export function downloadModel(model: CatalogModel | string, options: ModelDownloadOptions): Promise<DownloadResult> {
  const entry = typeof model === 'string' ? getCatalogModel(model) : model;
  const { cacheDir, url, ...rest } = options;
  return downloadFile({
    ...rest,
    url: url ?? entry.url,
    dest: path.join(cacheDir, entry.file),
    expected: { bytes: entry.bytes, sha256: entry.sha256 },
    label: `whisper model ${entry.id}`,
  });
}
