/**
 * Which whisper model the daemon uses, and the cache of catalog models: selection (the user's file
 * wins, else their catalog choice, else what the machine can run), listing, downloading, and the
 * check that a catalog file is the published one before it is ever loaded.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CatalogEntry, ModelDownloadResult, ModelListResult } from '../../protocol/protocol';
import { detectMachine, MachineFacts, ModelChoice, recommendModel } from './capabilities';
import { CATALOG, CatalogModel, sameModelAs } from './whisperCatalog';
import { DownloadProgress } from './download';
import { verifyFile } from './fileCheck';
import { cachedModelStatus, defaultCacheDir, downloadModel, hasVerifiedMark, mirrorUrl, modelExpectation, resolveModelFile, writeVerifiedMark } from './modelCache';
import { ModelFileError } from './modelFile';

export interface ModelSelection {
  path: string;
  model: CatalogModel | undefined;
  source: 'path' | 'catalog';
  cacheDir: string;
  reason: string;
  /** What capability detection picks here, whatever the user chose. */
  recommendedId: string;
  /** https base URL to download from instead of whisper.cpp's host. */
  mirror?: string;
  /** The machine the choice was made for (the notes catalog chooses from the same facts). */
  machine?: MachineFacts;
}

export interface ModelSettings {
  /** A local model file (the offline path setting): used as is. */
  modelPath?: string;
  /** A catalog id chosen by the user. */
  modelId?: string;
  cacheDir?: string;
  storageDir: string;
  language: string;
  mirror?: string;
}

export async function selectModel(settings: ModelSettings): Promise<ModelSelection> {
  // The GPUs found are kept in the storage folder (gpus.ts): a command does not pay for the looking each time.
  const facts = await detectMachine({ storageDir: settings.storageDir });
  const recommended = await preferDownloaded(recommendModel(facts, { language: settings.language }), settings);
  const choice = settings.modelId ? recommendModel(facts, { model: settings.modelId, language: settings.language }) : recommended;
  const resolved = resolveModelFile({ modelPath: settings.modelPath, modelId: choice.model.id, cacheDir: settings.cacheDir, storageDir: settings.storageDir });
  const cache = resolveModelFile({ modelId: choice.model.id, cacheDir: settings.cacheDir, storageDir: settings.storageDir });
  return {
    path: resolved.path,
    model: resolved.model,
    source: resolved.source,
    cacheDir: cache.source === 'catalog' ? cache.cacheDir : defaultCacheDir(settings.storageDir),
    // The choice's warnings (an unknown id, an English-only model for another language) would otherwise never reach the user.
    reason: resolved.source === 'path' ? 'the model file set in earshot.model.path' : [...choice.warnings, choice.reason].join(' '),
    recommendedId: recommended.model.id,
    ...(settings.mirror ? { mirror: settings.mirror } : {}),
    machine: facts,
  };
}

/**
 * A detected choice of 8-bit weights whose full-precision twin is already downloaded (and the 8-bit file not): the twin
 * is used, as before the CPU default became 8-bit, rather than asking for a second download of the same model.
 */
async function preferDownloaded(choice: ModelChoice, settings: ModelSettings): Promise<ModelChoice> {
  if (choice.model.quantization !== 'q8_0') return choice;
  const twin = sameModelAs(choice.model, 'f16');
  if (!twin) return choice;
  const cache = resolveModelFile({ modelId: choice.model.id, cacheDir: settings.cacheDir, storageDir: settings.storageDir });
  const cacheDir = cache.source === 'catalog' ? cache.cacheDir : defaultCacheDir(settings.storageDir);
  // Sizes only (hashing is for loading, ensureVerified): this runs at every start.
  const complete = (m: CatalogModel) => fs.stat(path.join(cacheDir, m.file)).then((st) => st.size === m.bytes, () => false);
  const [own, theirs] = await Promise.all([complete(choice.model), complete(twin)]);
  if (own || !theirs) return choice;
  return { ...choice, model: twin, reason: `${choice.reason}; ${twin.id} is already downloaded (${choice.model.id} would be its faster 8-bit version)` };
}

/** The whisper part of the model list (the service adds the notes catalog's). */
export async function listModels(selection: ModelSelection): Promise<Pick<ModelListResult, 'active' | 'models'>> {
  const models: CatalogEntry[] = await Promise.all(CATALOG.map(async (m) => ({
    id: m.id,
    file: m.file,
    bytes: m.bytes,
    sha256: m.sha256,
    englishOnly: m.englishOnly,
    description: m.description,
    state: (await cachedModelStatus(m, selection.cacheDir)).state,
    recommended: m.id === selection.recommendedId,
  })));
  return {
    active: { path: selection.path, modelId: selection.model?.id ?? null, source: selection.source, reason: selection.reason },
    models,
  };
}

/**
 * A catalog model file must be the published one: size and sha256 (once; then a mark beside it saves
 * the hashing while the file is unchanged). A missing, partial or corrupt file is never loaded.
 */
export async function ensureVerified(selection: ModelSelection): Promise<void> {
  const model = selection.model;
  if (selection.source !== 'catalog' || !model) return; // a user's own file is checked structurally by inspectModelFile
  const stat = await fs.stat(selection.path).catch(() => undefined);
  if (!stat) {
    const status = await cachedModelStatus(model, selection.cacheDir);
    throw new ModelFileError(selection.path, status.state === 'partial'
      ? `the ${model.id} model is only partly downloaded (${status.bytes} of ${status.total} bytes): run "Earshot: Download Model" to finish it`
      : `the ${model.id} model is not downloaded yet: run "Earshot: Download Model" (or \`earshot models download ${model.id}\`)`);
  }
  if (await hasVerifiedMark(selection.path, model.sha256, stat)) return;
  const check = await verifyFile(selection.path, modelExpectation(model));
  if (check.status !== 'ok') {
    throw new ModelFileError(selection.path, `the file is not the published ${model.id} model (${check.reason}): download it again with repair`);
  }
  await writeVerifiedMark(selection.path, model.sha256, check.identity!);
}

export async function downloadCatalogModel(
  selection: ModelSelection,
  modelId: string,
  options: { repair?: boolean; signal?: AbortSignal; onProgress?: (p: DownloadProgress) => void; onVerify?: () => void; progressIntervalMs?: number },
): Promise<ModelDownloadResult> {
  const model = CATALOG.find((m) => m.id === modelId)!;
  const url = selection.mirror ? mirrorUrl(model.file, selection.mirror) : undefined;
  const result = await downloadModel(model, {
    cacheDir: selection.cacheDir, url, repair: options.repair, signal: options.signal, onProgress: options.onProgress, onVerify: options.onVerify,
    ...(options.progressIntervalMs !== undefined ? { progressIntervalMs: options.progressIntervalMs } : {}),
  });
  return { modelId, path: result.path, bytes: result.bytes, resumedFrom: result.resumedFrom, downloaded: result.downloaded };
}
