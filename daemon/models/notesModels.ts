/**
 * The notes models on this machine: where catalog notes models are cached (`<model cache>/notes/`), the state of each,
 * the listing the daemon and the CLI show, a download (resumable, size- and sha256-checked: modelCache.ts's, as for
 * whisper models), and the verified path of a downloaded one for the local runtime to load (`cachedNotesModel`).
 *
 * Owns the notes subfolder. Must not choose a provider, load a model or touch whisper models.
 */
import * as path from 'node:path';
import { ModelDownloadResult, NotesCatalogEntry, NotesModelList } from '../../protocol/protocol';
import type { MachineFacts } from './capabilities';
import { detectMachine } from './capabilities';
import { DownloadProgress } from './download';
import { CachedModelStatus, downloadModel, markedModelStatus, mirrorUrl } from './modelCache';
import { getNotesModel, notesCatalog, NotesCatalogModel, recommendNotesModel } from './notesCatalog';

/** The notes models' folder inside the (whisper) model cache folder. */
export function notesCacheDir(modelCacheDir: string): string {
  return path.join(modelCacheDir, 'notes');
}

/** Where the model process keeps the system prompts it read, per model (systemPromptState.ts): beside the models. */
export function notesStateDir(modelCacheDir: string): string {
  return path.join(notesCacheDir(modelCacheDir), 'state');
}

/** Where a catalog notes model lives once downloaded (whether it is there or not). */
export function notesModelFile(id: string, notesCache: string): string {
  return path.join(notesCache, getNotesModel(id).file);
}

/** A catalog notes model that cannot be used yet: not downloaded, partly downloaded, or damaged. */
export class NotesModelUnavailable extends Error {
  constructor(readonly modelId: string, readonly state: 'missing' | 'partial' | 'corrupt', message: string) {
    super(message);
    this.name = 'NotesModelUnavailable';
  }
}

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;

/**
 * The state of a catalog notes model in the notes folder: a file marked verified (and unchanged since) is ready without
 * hashing its gigabytes again; any other file is checked against the catalog's size and sha256.
 */
export function notesModelStatus(model: NotesCatalogModel, notesCache: string): Promise<CachedModelStatus> {
  return markedModelStatus(model, notesCache);
}

/**
 * The verified file of a downloaded catalog notes model, for the runtime to load; a NotesModelUnavailable saying what
 * to do (and how big the download is) when it is not there or not the published file. Nothing is downloaded here.
 */
export async function cachedNotesModel(id: string, notesCache: string): Promise<string> {
  const model = getNotesModel(id);
  const status = await notesModelStatus(model, notesCache);
  switch (status.state) {
    case 'ready': return status.path;
    case 'partial':
      throw new NotesModelUnavailable(id, 'partial', `The local notes model ${id} is only partly downloaded (${gb(status.bytes)} of ${gb(status.total)}): `
        + `download it again to resume (the panel, or \`earshot models download ${id}\`).`);
    case 'corrupt':
      throw new NotesModelUnavailable(id, 'corrupt', `The local notes model ${id} is not the published file (${status.reason}); it will not be loaded: `
        + `download it again with repair (\`earshot models download ${id} --repair\`).`);
    default:
      throw new NotesModelUnavailable(id, 'missing', `The local notes model ${id} is not downloaded (${gb(model.bytes)}): download it from the panel, `
        + `or run \`earshot models download ${id}\`; or set earshot.notes.model.path to a GGUF model you already have.`);
  }
}

export interface NotesModelSettings {
  /** The model cache folder (whisper's); notes models go in its `notes/` subfolder. */
  modelCacheDir: string;
  /** earshot.notes.model.path: a GGUF file the user already has (offline), used instead of a catalog model. */
  modelPath?: string;
  /** An https base URL serving the catalog's GGUF files by name (EARSHOT_NOTES_MODEL_MIRROR); still sha256-checked. */
  mirror?: string;
  /** The machine (from the whisper selection); detected when absent. */
  machine?: MachineFacts;
}

/** The mirror from the environment: an https base URL, or an error saying so. */
export function notesMirrorFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const mirror = env.EARSHOT_NOTES_MODEL_MIRROR?.trim();
  if (!mirror) return undefined;
  if (!mirror.startsWith('https://')) throw new Error('EARSHOT_NOTES_MODEL_MIRROR must be an https:// URL');
  return mirror;
}

/** The notes catalog with each model's state here, and the one recommended for this machine. */
export async function listNotesModels(settings: NotesModelSettings): Promise<NotesModelList> {
  const catalog = notesCatalog();
  const cacheDir = notesCacheDir(settings.modelCacheDir);
  const choice = recommendNotesModel(settings.machine ?? await detectMachine(), {}, catalog);
  const models: NotesCatalogEntry[] = [];
  for (const m of catalog) {
    // One at a time: each may hash gigabytes the first time.
    const { state } = await notesModelStatus(m, cacheDir);
    models.push({
      id: m.id, name: m.name, file: m.file, bytes: m.bytes, sha256: m.sha256, licence: m.licence, licenceUrl: m.licenceUrl, parameters: m.parameters,
      quantization: m.quantization, contextTokens: m.contextTokens, ramMiB: m.ramMiB, note: m.note, state, recommended: m.id === choice.model.id,
    });
  }
  return {
    path: settings.modelPath?.trim() || null, cacheDir, recommendedId: choice.model.id,
    reason: [choice.reason, ...choice.warnings].join(' '), models,
  };
}

export interface NotesDownloadOptions {
  repair?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  onVerify?: () => void;
  progressIntervalMs?: number;
  /** Extra trusted certificate authorities (tests). */
  ca?: string;
}

/** Downloads a catalog notes model into the notes folder (resumable, verified, then marked verified). */
export async function downloadNotesModel(id: string, settings: NotesModelSettings, options: NotesDownloadOptions = {}): Promise<ModelDownloadResult> {
  const model = getNotesModel(id);
  const cacheDir = notesCacheDir(settings.modelCacheDir);
  const result = await downloadModel(model, {
    cacheDir, kind: 'notes model', ...(settings.mirror ? { url: mirrorUrl(model.file, settings.mirror) } : {}),
    repair: options.repair, signal: options.signal, onProgress: options.onProgress, onVerify: options.onVerify,
    ...(options.progressIntervalMs !== undefined ? { progressIntervalMs: options.progressIntervalMs } : {}),
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
  });
  return { modelId: id, path: result.path, bytes: result.bytes, resumedFrom: result.resumedFrom, downloaded: result.downloaded };
}
