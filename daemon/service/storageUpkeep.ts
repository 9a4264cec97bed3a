/**
 * What the user asks the daemon to forget: Delete All Data now (dataStore.ts knows what is stored and deletes it), and
 * the retention period's daily pass (retention.ts prunes). Either spares the recording session; neither touches notes.
 */
import { DataDeleteParams, DataDeleteResult, ErrorCodes } from '../../protocol/protocol';
import { ModelLifecycle } from '../asr/modelLifecycle';
import { DEBUG_AUDIO_DIR } from '../capture/debugAudio';
import type { NotesModels } from './notesModels';
import type { DownloadCount } from '../asr/modelLifecycle';
import { ServiceError } from '../serviceError';
import { deleteAllData } from './dataStore';
import { DAY_MS, pruneSessions } from './retention';
import { ServiceConfig, ServiceEvents } from './serviceConfig';
import { SessionsInMemory } from './sessionsInMemory';

export class StorageUpkeep {
  private retentionTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: ServiceConfig, private readonly events: ServiceEvents,
    private readonly sessions: SessionsInMemory, private readonly models: ModelLifecycle, private readonly notesModels?: Pick<NotesModels, 'downloading'>,
    private readonly pinnedModels: { downloads: Pick<DownloadCount, 'downloading'> }[] = [],
    /**
     * Closes the model memory keeps open: on Windows a mapped file cannot be deleted, and llama.cpp maps a GGUF with
     * MapViewOfFile, unmapped only when the model is freed (src/llama-mmap.cpp, llama_mmap::impl and its destructor).
     */
    private readonly unloadMemoryModel: () => Promise<void> = async () => undefined,
  ) {}

  /** See EarshotService.deleteData. */
  async deleteData(params: DataDeleteParams): Promise<DataDeleteResult> {
    this.sessions.refuseWhileRecording('A session is recording', 'before deleting Earshot\'s data');
    const includeModels = params.includeModels === true;
    if (includeModels && (this.models.downloading || this.notesModels?.downloading || this.pinnedModels.some((m) => m.downloads.downloading))) throw new ServiceError(ErrorCodes.RequestFailed, 'A model is downloading: cancel the download or wait for it before deleting models.');
    if (includeModels) await this.unloadMemoryModel();
    const result = await deleteAllData({ storageDir: this.config.storageDir, includeModels, ...(this.config.selection ? { modelCacheDir: this.config.selection.cacheDir } : {}) });
    // Finished sessions kept in memory answer stop and status with their transcript: forget them with their journals.
    this.sessions.forgetFinished();
    if (includeModels && result.models.files > 0) {
      await this.models.free(); // its file may be gone: the next session loads (or asks to download) again
    }
    return result;
  }

  /** See EarshotService.startRetention: a pass now, then one a day. */
  startRetention(): void {
    this.stopRetention();
    const days = this.config.retentionDays ?? 0;
    if (days <= 0) return;
    const prune = async () => {
      try {
        const active = this.sessions.active;
        const keep = new Set(active ? [active.id] : []);
        const result = await pruneSessions(this.config.storageDir, days, { keep });
        const audio = await pruneSessions(this.config.storageDir, days, { keep, folder: DEBUG_AUDIO_DIR });
        result.deleted.push(...audio.deleted);
        result.failed.push(...audio.failed);
        if (result.deleted.length || result.failed.length) this.events.retention?.(result);
      } catch (e) {
        this.events.retention?.({ deleted: [], failed: [{ name: 'sessions', error: (e as Error).message }] });
      }
    };
    void prune();
    this.retentionTimer = setInterval(() => void prune(), DAY_MS);
    this.retentionTimer.unref();
  }

  stopRetention(): void {
    clearInterval(this.retentionTimer);
  }
}
