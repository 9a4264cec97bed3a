/**
 * The service's owner of notes models (models/notesCatalog.ts): their part of the model list, and their
 * downloads with the same progress and errors as whisper downloads. Counts downloads in progress, so Delete All Data
 * with models can refuse while one runs. Must not load a model or pick a provider.
 */
import { ErrorCodes, ModelDownloadParams, ModelDownloadResult, ModelProgressParams, NotesModelList } from '../../protocol/protocol';
import { DownloadProgress } from '../models/download';
import { DownloadCount, reportedDownload } from '../asr/modelLifecycle';
import { ServiceError } from '../serviceError';
import { findNotesModel, notesCatalog } from '../models/notesCatalog';
import { downloadNotesModel, listNotesModels, NotesModelSettings } from '../models/notesModels';
import { ServiceConfig } from './serviceConfig';

export class NotesModels {
  private readonly downloads = new DownloadCount();

  constructor(private readonly config: ServiceConfig, private readonly notify: ((p: ModelProgressParams) => void) | undefined) {}

  get downloading(): boolean {
    return this.downloads.downloading;
  }

  private settings(): NotesModelSettings {
    const selection = this.config.selection;
    if (!selection) throw new ServiceError(ErrorCodes.InternalError, 'this daemon was started without a model catalog');
    return {
      modelCacheDir: selection.cacheDir,
      ...(this.config.notesModelPath ? { modelPath: this.config.notesModelPath } : {}),
      ...(this.config.notesModelMirror ? { mirror: this.config.notesModelMirror } : {}),
      ...(selection.machine ? { machine: selection.machine } : {}),
    };
  }

  list(): Promise<NotesModelList> {
    return listNotesModels(this.settings());
  }

  async download(params: ModelDownloadParams, signal?: AbortSignal, onProgress?: (p: DownloadProgress) => void): Promise<ModelDownloadResult> {
    if (!findNotesModel(params.modelId)) {
      throw new ServiceError(ErrorCodes.InvalidParams, `Unknown notes model ${JSON.stringify(params.modelId)}: choose one of ${notesCatalog().map((m) => m.id).join(', ')}.`);
    }
    const settings = this.settings();
    return this.downloads.run(() => reportedDownload({ model: params.modelId, kind: 'notes' }, this.notify, onProgress,
      (hooks) => downloadNotesModel(params.modelId, settings, { repair: params.repair, signal, ...hooks })));
  }
}
