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
import { ModelDownloadResult, SpeakerModelList } from '../../protocol/protocol';
import { downloadPinned, listPinned, PinnedCatalog, PinnedDownloadOptions, PinnedModel, pinnedCatalog, readyPinned } from './pinnedModels';

export interface SpeakerCatalogModel extends PinnedModel {
  licenceUrl: string;
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
  return pinnedCatalog(PUBLISHED, 'EARSHOT_SPEAKER_CATALOG', env);
}

export function findSpeakerModel(id: string): SpeakerCatalogModel | undefined {
  return speakerCatalog().find((m) => m.id === id);
}

/** Where voice models are kept: a folder of the model cache. */
export const speakerCacheDir = (modelCacheDir: string): string => path.join(modelCacheDir, 'speakers');

export function listSpeakerModels(modelCacheDir: string): Promise<SpeakerModelList> {
  return listPinned(speakerCatalog(), speakerCacheDir(modelCacheDir));
}

/** The first catalog voice model that is downloaded and verified, or undefined (nothing is downloaded here). */
export function readySpeakerModel(modelCacheDir: string): Promise<{ model: SpeakerCatalogModel; path: string } | undefined> {
  return readyPinned(speakerCatalog(), speakerCacheDir(modelCacheDir));
}

/** What a download of a voice model may be given: the whisper and notes downloads' own options. */
export type SpeakerDownloadOptions = PinnedDownloadOptions;

export function downloadSpeakerModel(id: string, modelCacheDir: string, options: SpeakerDownloadOptions = {}): Promise<ModelDownloadResult> {
  return downloadPinned(speakerCatalog(), id, speakerCacheDir(modelCacheDir), 'speaker model', options);
}

/** The voice models as the service lists and downloads them. */
export const SPEAKER_MODELS: PinnedCatalog = { kind: 'speaker', label: 'speaker model', catalog: () => speakerCatalog(), list: listSpeakerModels, download: downloadSpeakerModel };
