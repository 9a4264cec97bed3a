/**
 * The service's owner of one catalog of one-purpose models (models/pinnedModels.ts: the speaker voice model, memory's
 * meaning model): its part of the model list, and its downloads with the progress and errors of whisper and notes
 * downloads. Their users find a downloaded one themselves (sessionConfig.ts, memory/meaningSearch.ts). Must not load a
 * model.
 */
import { ErrorCodes, ModelDownloadParams, ModelDownloadResult, ModelProgressParams, PinnedModelList } from '../../protocol/protocol';
import { DownloadProgress } from '../models/download';
import { DownloadCount, reportedDownload } from '../asr/modelLifecycle';
import { ServiceError } from '../serviceError';
import type { PinnedCatalog } from '../models/pinnedModels';

export class PinnedDownloads {
  readonly downloads = new DownloadCount();

  /** `cacheDir`: the model cache (the whisper selection's); each catalog keeps its models in a folder of it. */
  constructor(private readonly catalog: PinnedCatalog, private readonly cacheDir: () => string, private readonly notify: ((p: ModelProgressParams) => void) | undefined) {}

  list(): Promise<PinnedModelList> {
    return this.catalog.list(this.cacheDir());
  }

  download(params: ModelDownloadParams, signal?: AbortSignal, onProgress?: (p: DownloadProgress) => void): Promise<ModelDownloadResult> {
    const known = this.catalog.catalog().map((m) => m.id);
    if (!known.includes(params.modelId)) throw new ServiceError(ErrorCodes.InvalidParams, `Unknown ${this.catalog.label} ${JSON.stringify(params.modelId)}: choose one of ${known.join(', ')}.`);
    const cacheDir = this.cacheDir();
    return this.downloads.run(() => reportedDownload({ model: params.modelId, kind: this.catalog.kind }, this.notify, onProgress,
      (hooks) => this.catalog.download(params.modelId, cacheDir, { repair: params.repair, signal, ...hooks })));
  }
}
