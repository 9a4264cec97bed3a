/**
 * The speaker-embedding ("voice") model Earshot offers to download: one that tells a voice again after a silence,
 * for the speaker stage's re-identification (speakers/embedding.ts). Downloaded only when the user asks (the panel's button,
 * or turning earshot.speakers.enabled on), into `<model cache>/speakers`, with the download and verification code the
 * whisper and notes models use (download.ts through modelCache.ts).
 *
 * The entry: **3D-Speaker CAM++ (VoxCeleb, English)** as sherpa-onnx exports it
 * (k2-fsa/sherpa-onnx scripts/3dspeaker/export-onnx.py at 634265c9: input `x[N,T,80]` fbank, output `embedding[N,512]`,
 * metadata normalize_samples 1 and feature_normalize_type global-mean), from sherpa-onnx's release
 * `speaker-recongition-models` (the tag's spelling). Weights Apache-2.0 (3D-Speaker, Alibaba DAMO; trained on
 * VoxCeleb2). Its size and SHA-256 could not be measured here (no machine of this project can reach the release): the
 * SHA-256 is the one two unrelated public projects pin for this exact file (a download manifest and an app's model
 * list; both record 357a834f…), the size the one a third public note records (29,596,978 bytes, "28.2 MB" in a fourth).
 * Both are checked at download like every catalog file: a mismatch fails the download and keeps nothing.
 */
import * as path from 'node:path';
import { ModelDownloadResult, SpeakerCatalogEntry, SpeakerModelList } from '../../protocol/protocol';
import { readCatalogOverrides } from './whisperCatalog';
import { CachedModelSpec, downloadModel, markedModelStatus, ModelDownloadOptions, writeVerifiedMark } from './modelCache';

export interface SpeakerCatalogModel extends CachedModelSpec {
  name: string;
  licence: string;
  licenceUrl: string;
  note: string;
  /** How the model wants its input (sherpa-onnx's metadata for it). */
  input: { normalizeSamples: boolean; featureNormalize: 'global-mean' | 'none' };
}

const PUBLISHED: readonly SpeakerCatalogModel[] = Object.freeze([
  {
    id: 'campplus-en',
    name: '3D-Speaker CAM++ (English, VoxCeleb)',
    file: '3dspeaker_speech_campplus_sv_en_voxceleb_16k.onnx',
    url: 'https://github.com/k2-fsa/sherpa-onnx/releases/download/speaker-recongition-models/3dspeaker_speech_campplus_sv_en_voxceleb_16k.onnx',
    bytes: 29_596_978,
    sha256: '357a834f702b80161e5b981182c038e18553c1f2ca752ed6cec2052365d4129b',
    licence: 'Apache-2.0',
    licenceUrl: 'https://github.com/modelscope/3D-Speaker/blob/main/LICENSE',
    note: 'Recognizes a voice again after a silence (28 MiB).',
    input: { normalizeSamples: true, featureNormalize: 'global-mean' },
  },
]);

/**
 * The catalog in use: the published entry, or with EARSHOT_SPEAKER_CATALOG (a JSON file: [{id, file, bytes, sha256,
 * url}]) its file replaced: for an organisation's own copy, and for the tests, which serve a generated model.
 */
export function speakerCatalog(env: NodeJS.ProcessEnv = process.env): readonly SpeakerCatalogModel[] {
  const file = env.EARSHOT_SPEAKER_CATALOG;
  if (!file) return PUBLISHED;
  return PUBLISHED.map((m) => {
    const entry = readCatalogOverrides('EARSHOT_SPEAKER_CATALOG', file).find((e) => e?.id === m.id);
    if (!entry) return m;
    const ok = typeof entry.file === 'string' && /^[\w.+-]+$/.test(entry.file) && Number.isSafeInteger(entry.bytes) && typeof entry.sha256 === 'string'
      && /^[0-9a-f]{64}$/.test(entry.sha256) && typeof entry.url === 'string' && entry.url.startsWith('https://');
    if (!ok) throw new Error(`EARSHOT_SPEAKER_CATALOG: ${JSON.stringify(entry).slice(0, 200)} is not {id, file, bytes, sha256, url (https)}`);
    return { ...m, file: entry.file as string, bytes: entry.bytes as number, sha256: entry.sha256 as string, url: entry.url as string };
  });
}

export function findSpeakerModel(id: string): SpeakerCatalogModel | undefined {
  return speakerCatalog().find((m) => m.id === id);
}

/** Where voice models are kept: a folder of the model cache. */
export const speakerCacheDir = (modelCacheDir: string): string => path.join(modelCacheDir, 'speakers');


export async function listSpeakerModels(modelCacheDir: string): Promise<SpeakerModelList> {
  const cacheDir = speakerCacheDir(modelCacheDir);
  const models: SpeakerCatalogEntry[] = [];
  for (const m of speakerCatalog()) {
    const { state } = await markedModelStatus(m, cacheDir);
    models.push({ id: m.id, name: m.name, file: m.file, bytes: m.bytes, sha256: m.sha256, licence: m.licence, note: m.note, state });
  }
  return { cacheDir, models };
}

/** The first catalog voice model that is downloaded and verified, or undefined (nothing is downloaded here). */
export async function readySpeakerModel(modelCacheDir: string): Promise<{ model: SpeakerCatalogModel; path: string } | undefined> {
  for (const model of speakerCatalog()) {
    const status = await markedModelStatus(model, speakerCacheDir(modelCacheDir)).catch(() => undefined);
    if (status?.state === 'ready') return { model, path: status.path };
  }
  return undefined;
}

/** What a download of a voice model may be given: the whisper and notes downloads' own options. */
export type SpeakerDownloadOptions = Pick<ModelDownloadOptions, 'repair' | 'signal' | 'onProgress' | 'onVerify' | 'progressIntervalMs' | 'ca'>;

export async function downloadSpeakerModel(id: string, modelCacheDir: string, options: SpeakerDownloadOptions = {}): Promise<ModelDownloadResult> {
  const model = findSpeakerModel(id);
  if (!model) throw new RangeError(`Unknown speaker model ${JSON.stringify(id)}: choose one of ${speakerCatalog().map((m) => m.id).join(', ')}.`);
  const result = await downloadModel(model, {
    cacheDir: speakerCacheDir(modelCacheDir), kind: 'speaker model',
    repair: options.repair, signal: options.signal, onProgress: options.onProgress, onVerify: options.onVerify,
    ...(options.progressIntervalMs !== undefined ? { progressIntervalMs: options.progressIntervalMs } : {}),
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
  });
  await writeVerifiedMark(result.path, model.sha256);
  return { modelId: id, path: result.path, bytes: result.bytes, resumedFrom: result.resumedFrom, downloaded: result.downloaded };
}
