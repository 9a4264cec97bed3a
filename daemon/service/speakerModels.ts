/**
 * The service's owner of speaker voice models (models/voiceModel.ts): their part of the model list, and their
 * downloads with the progress and errors of whisper and notes downloads. A session finds a downloaded one itself
 * (sessionConfig.ts). Must not load a model.
 */
import { ErrorCodes, ModelDownloadParams, ModelDownloadResult, ModelProgressParams, SpeakerModelList } from '../../protocol/protocol';
import { DownloadProgress } from '../models/download';
import { DownloadCount, reportedDownload } from '../asr/modelLifecycle';
import { ServiceError } from '../serviceError';
import { downloadSpeakerModel, findSpeakerModel, listSpeakerModels, speakerCatalog } from '../models/voiceModel';

export class SpeakerModels {
  readonly downloads = new DownloadCount();

  /** `cacheDir`: the model cache (the whisper selection's); voice models go in its `speakers` folder. */
  constructor(private readonly cacheDir: () => string, private readonly notify: ((p: ModelProgressParams) => void) | undefined) {}

  list(): Promise<SpeakerModelList> {
    return listSpeakerModels(this.cacheDir());
  }

  download(params: ModelDownloadParams, signal?: AbortSignal, onProgress?: (p: DownloadProgress) => void): Promise<ModelDownloadResult> {
    const known = speakerCatalog().map((m) => m.id);
    if (!findSpeakerModel(params.modelId)) throw new ServiceError(ErrorCodes.InvalidParams, `Unknown speaker model ${JSON.stringify(params.modelId)}: choose one of ${known.join(', ')}.`);
    const cacheDir = this.cacheDir();
    return this.downloads.run(() => reportedDownload({ model: params.modelId, kind: 'speaker' }, this.notify, onProgress,
      (hooks) => downloadSpeakerModel(params.modelId, cacheDir, { repair: params.repair, signal, ...hooks })));
  }
}
