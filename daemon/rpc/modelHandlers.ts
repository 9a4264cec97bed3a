/**
 * Requests about models: earshot/model/list, earshot/model/download (whisper, notes, speaker or meaning models, with `$/progress` and
 * cancel) and earshot/languageModel/discover (the language-model servers running on this machine). Logs ids, sizes,
 * kinds and counts only: which models the user runs stays out of the log.
 */
import { LanguageModelDiscover, ModelDownload, ModelList } from '../../protocol/protocol';
import { validateLanguageModelDiscover, validateModelDownload } from '../../protocol/validate';
import { findCatalogModel } from '../models/whisperCatalog';
import { findNotesModel } from '../models/notesCatalog';
import { findMemoryModel } from '../models/memoryModel';
import { findSpeakerModel } from '../models/voiceModel';
import { RpcContext } from './context';

export function registerModelHandlers({ connection, log, answer, workDoneProgress }: RpcContext): void {
  connection.onRequest(ModelList, () => answer(ModelList.method, (svc) => svc.listModels()));
  connection.onRequest(ModelDownload, (params, token) => answer(ModelDownload.method, async (svc) => {
    const valid = validateModelDownload(params);
    const kind = valid.kind ?? 'whisper';
    const known = { whisper: findCatalogModel, notes: findNotesModel, speaker: findSpeakerModel, memory: findMemoryModel }[kind];
    if (!known(valid.modelId)) return svc.downloadModel(valid); // answers with the list of known ids
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    const progress = await workDoneProgress();
    progress?.token.onCancellationRequested(() => abort.abort());
    progress?.begin(`Downloading ${{ whisper: 'whisper', notes: 'notes', speaker: 'speaker', memory: 'meaning' }[kind]} model ${valid.modelId}`, 0, undefined, true);
    try {
      const result = await svc.downloadModel(valid, abort.signal, (p) => {
        const percent = p.bytesTotal ? Math.floor((100 * p.bytesDone) / p.bytesTotal) : undefined;
        progress?.report(percent ?? 0, `${(p.bytesDone / 1e6).toFixed(0)} of ${p.bytesTotal ? (p.bytesTotal / 1e6).toFixed(0) : '?'} MB`);
      });
      log.info(kind === 'notes' ? 'understanding' : kind === 'memory' ? 'memory' : kind === 'speaker' ? 'speakers' : 'asr', 'model_downloaded', { modelId: result.modelId, bytes: result.bytes, resumedFrom: result.resumedFrom });
      return result;
    } finally {
      progress?.done();
    }
  }));
  connection.onRequest(LanguageModelDiscover, (params, token) => answer(LanguageModelDiscover.method, async (svc) => {
    const valid = validateLanguageModelDiscover(params);
    const abort = new AbortController();
    token?.onCancellationRequested(() => abort.abort()); // absent when the params came as an array
    const result = await svc.discoverLanguageModels(valid, abort.signal);
    // Kinds and counts only: model names say what the user runs, which the log has no need of.
    log.info('notes', 'local_servers_found', { servers: result.servers.map((s) => `${s.kind}:${s.state}:${s.models.length}`) });
    return result;
  }));
}
