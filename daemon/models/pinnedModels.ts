/**
 * The small single-purpose models Earshot offers beside whisper and the notes models (the speaker voice model, meeting
 * memory's meaning model): each a pinned file (URL, exact size, SHA-256) downloaded only when the user asks, into its
 * own folder of the model cache, with the download and verification code of the whisper and notes models (download.ts
 * through modelCache.ts). An environment variable may point a catalog at another copy of the same entry (an
 * organisation's mirror; the tests' generated models).
 *
 * Owns what these catalogs share: the override, the listing, the ready lookup and the download. Must not load a model.
 */
import { ModelDownloadResult, ModelKind, PinnedCatalogEntry, PinnedModelList } from '../../protocol/protocol';
import { readCatalogOverrides } from './whisperCatalog';
import { CachedModelSpec, downloadModel, markedModelStatus, ModelDownloadOptions } from './modelCache';

export interface PinnedModel extends CachedModelSpec {
  name: string;
  licence: string;
  note: string;
}

/**
 * `published`, or with the JSON file `env[variable]` names ([{id, file, bytes, sha256, url}]) the files of the entries
 * it names replaced.
 */
export function pinnedCatalog<T extends PinnedModel>(published: readonly T[], variable: string, env: NodeJS.ProcessEnv = process.env): readonly T[] {
  const file = env[variable];
  if (!file) return published;
  return published.map((m) => {
    const entry = readCatalogOverrides(variable, file).find((e) => e?.id === m.id);
    if (!entry) return m;
    const ok = typeof entry.file === 'string' && /^[\w.+-]+$/.test(entry.file) && Number.isSafeInteger(entry.bytes) && typeof entry.sha256 === 'string'
      && /^[0-9a-f]{64}$/.test(entry.sha256) && typeof entry.url === 'string' && entry.url.startsWith('https://');
    if (!ok) throw new Error(`${variable}: ${JSON.stringify(entry).slice(0, 200)} is not {id, file, bytes, sha256, url (https)}`);
    return { ...m, file: entry.file as string, bytes: entry.bytes as number, sha256: entry.sha256 as string, url: entry.url as string };
  });
}

/** The catalog's models and their state in `cacheDir`. */
export async function listPinned(catalog: readonly PinnedModel[], cacheDir: string): Promise<PinnedModelList> {
  const models: PinnedCatalogEntry[] = [];
  for (const m of catalog) {
    const { state } = await markedModelStatus(m, cacheDir);
    models.push({ id: m.id, name: m.name, file: m.file, bytes: m.bytes, sha256: m.sha256, licence: m.licence, note: m.note, state });
  }
  return { cacheDir, models };
}

/** The first catalog model that is downloaded and verified in `cacheDir`, or undefined (nothing is downloaded here). */
export async function readyPinned<T extends PinnedModel>(catalog: readonly T[], cacheDir: string): Promise<{ model: T; path: string } | undefined> {
  for (const model of catalog) {
    const status = await markedModelStatus(model, cacheDir).catch(() => undefined);
    if (status?.state === 'ready') return { model, path: status.path };
  }
  return undefined;
}

/** What a download of one of these models may be given: the whisper and notes downloads' own options. */
export type PinnedDownloadOptions = Pick<ModelDownloadOptions, 'repair' | 'signal' | 'onProgress' | 'onVerify' | 'progressIntervalMs' | 'ca'>;

/** Downloads catalog model `id` into `cacheDir`, verified, and marks it (downloadModel); `kind` names it in messages ("speaker model"). */
export async function downloadPinned(catalog: readonly PinnedModel[], id: string, cacheDir: string, kind: string, options: PinnedDownloadOptions = {}): Promise<ModelDownloadResult> {
  const model = catalog.find((m) => m.id === id);
  if (!model) throw new RangeError(`Unknown ${kind} ${JSON.stringify(id)}: choose one of ${catalog.map((m) => m.id).join(', ')}.`);
  const result = await downloadModel(model, {
    cacheDir, kind,
    repair: options.repair, signal: options.signal, onProgress: options.onProgress, onVerify: options.onVerify,
    ...(options.progressIntervalMs !== undefined ? { progressIntervalMs: options.progressIntervalMs } : {}),
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
  });
  return { modelId: id, path: result.path, bytes: result.bytes, resumedFrom: result.resumedFrom, downloaded: result.downloaded };
}

/** One catalog: its kind, what its models are called in messages, and its functions over a model cache folder. */
export interface PinnedCatalog {
  kind: Exclude<ModelKind, 'whisper' | 'notes'>;
  label: string;
  catalog(): readonly PinnedModel[];
  list(modelCacheDir: string): Promise<PinnedModelList>;
  download(id: string, modelCacheDir: string, options: PinnedDownloadOptions): Promise<ModelDownloadResult>;
}

