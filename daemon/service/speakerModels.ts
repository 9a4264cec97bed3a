/**
 * The service's owner of speaker voice models (speakers/voiceModel.ts): their part of the model list, and their
 * downloads with the progress and errors of whisper and notes downloads. A session finds a downloaded one itself
 * (sessionConfig.ts). Must not load a model.
 */
import { ErrorCodes, ModelDownloadParams, ModelDownloadResult, ModelProgressParams, SpeakerModelList } from '../../protocol/protocol';
import { DownloadProgress } from '../asr/download';
import { reportedDownload } from '../asr/modelLifecycle';
import { ServiceError } from '../serviceError';
import { downloadSpeakerModel, findSpeakerModel, listSpeakerModels, speakerCatalog } from '../speakers/voiceModel';
import { ServiceConfig } from './serviceConfig';

export class SpeakerModels {
  private downloads = 0;

  constructor(private readonly config: ServiceConfig, private readonly notify: ((p: ModelProgressParams) => void) | undefined) {}

  get downloading(): boolean {
    return this.downloads > 0;
  }

  private cacheDir(): string {
    const selection = this.config.selection;
    if (!selection) throw new ServiceError(ErrorCodes.InternalError, 'this daemon was started without a model catalog');
    return selection.cacheDir;
  }

  list(): Promise<SpeakerModelList> {
    return listSpeakerModels(this.cacheDir());
  }

  async download(params: ModelDownloadParams, signal?: AbortSignal, onProgress?: (p: DownloadProgress) => void): Promise<ModelDownloadResult> {
    if (!findSpeakerModel(params.modelId)) {
      throw new ServiceError(ErrorCodes.InvalidParams, `Unknown speaker model ${JSON.stringify(params.modelId)}: choose one of ${speakerCatalog().map((m) => m.id).join(', ')}.`);
    }
    const cacheDir = this.cacheDir();
    this.downloads++;
    try {
      return await reportedDownload({ model: params.modelId, kind: 'speaker' }, this.notify, onProgress,
        (hooks) => downloadSpeakerModel(params.modelId, cacheDir, { repair: params.repair, signal, ...hooks }));
    } finally {
      this.downloads--;
    }
  }
}
