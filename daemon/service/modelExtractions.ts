/**
 * The opt-in language-model extraction run for a session at its stop (or its finalization): the runner handed to a
 * session or to finalizeStored.ts, and its cancellation. It only asks the model and answers records; writing them to
 * the journal is the caller's. Provider 'local': the model process (understanding/local/) is started on the run's first
 * call and closed when the run ends, cancelled or not: its memory is given back when the notes are done.
 */
import { DEFAULT_ENHANCEMENT_TOKEN_BUDGET } from '../../protocol/protocol';
import { JournalContents, JournalRecord } from '../journal/journal';
import { DEFAULT_CHUNK_OPTIONS, modelChunks, modelExtractionRecords, reduceChunks } from '../understanding/modelExtract';
import { Chat, clientChat, openAiCompatibleChat, runModelExtraction } from '../understanding/providers';
import { LocalModelHost } from '../understanding/local/host';
import { localChat, localRunSettings } from '../understanding/local/localChat';
import { recommendNotesModel } from '../understanding/local/notesCatalog';
import { notesCacheDir } from '../understanding/local/notesModels';
import { resolveLocalModel } from '../understanding/local/resolveModel';
import { ServiceConfig, ServiceEvents } from './serviceConfig';

export type ModelExtractor = (journal: JournalContents) => Promise<JournalRecord[]>;

export class ModelExtractions {
  /** Language-model extractions running, by session: cancelled through earshot/extraction/cancel. */
  private readonly running = new Map<string, AbortController>();
  /** The local model's process host (provider 'local'), kept for its model file; its process lives only while in use. */
  private local: LocalModelHost | undefined;

  constructor(private readonly config: ServiceConfig, private readonly events: ServiceEvents) {}

  /**
   * The opt-in language-model extraction for a session, when the user opted in (and, for 'vscode-lm', a client can be
   * asked): the whole meeting in chunks, answers merged into journal records. Never rejects.
   */
  extractorFor(sessionId: string): ModelExtractor | undefined {
    const settings = this.config.enhancement;
    if (!settings || settings.provider === 'off' || (settings.provider === 'vscode-lm' && !this.config.askClient)) return undefined;
    return async (journal) => {
      const chunks = modelChunks(journal, { ...DEFAULT_CHUNK_OPTIONS, ...(settings.chunkChars ? { chunkChars: settings.chunkChars } : {}) });
      if (!chunks.length) return [];
      const abort = new AbortController();
      this.running.set(sessionId, abort);
      let host: LocalModelHost | undefined;
      try {
        let chat: Chat;
        let runSettings = settings;
        if (settings.provider === 'local') {
          const modelPath = await this.localModel(sessionId, chunks.length);
          if (!modelPath) return [];
          host = this.hostFor(modelPath);
          chat = localChat(host);
          runSettings = localRunSettings(settings);
        } else {
          chat = settings.provider === 'vscode-lm' ? clientChat(sessionId, this.config.askClient!) : openAiCompatibleChat(settings);
        }
        const run = await runModelExtraction(sessionId, { title: journal.header.title, date: journal.header.startedAt }, chunks, {
          settings: runSettings, chat, signal: abort.signal,
          progress: (p) => this.events.extractionProgress?.(p),
          report: (r) => this.events.refinement?.(r),
        });
        if (run.summary.finished === run.summary.failed && run.summary.state === 'done' && run.answers.every((a) => a === null)) return [];
        return modelExtractionRecords(journal, reduceChunks(chunks, run.answers), run.summary);
      } catch {
        return []; // the rule-based notes stand
      } finally {
        host?.close();
        if (this.running.get(sessionId) === abort) this.running.delete(sessionId);
      }
    };
  }

  /** The local model's file; undefined (the failure reported, the rules' notes kept) when there is none to load. */
  private async localModel(sessionId: string, chunks: number): Promise<string | undefined> {
    const settings = this.config.enhancement!;
    try {
      const selection = this.config.selection;
      return await resolveLocalModel(settings.model ?? '', {
        ...(selection ? { notesCache: notesCacheDir(selection.cacheDir) } : {}),
        ...(this.config.notesModelPath ? { notesModelPath: this.config.notesModelPath } : {}),
        ...(selection?.machine ? { recommended: () => recommendNotesModel(selection.machine!).model.id } : {}),
      });
    } catch (e) {
      const message = `the local model is not available: ${(e as Error).message}; the notes stay as the rules wrote them`;
      this.events.refinement?.({ sessionId, provider: 'local', outcome: 'failed', ms: 0, reason: 'model unavailable' });
      this.events.extractionProgress?.({ sessionId, state: 'done', chunks, finished: 0, failed: chunks, tokens: 0, tokenBudget: settings.tokenBudget ?? DEFAULT_ENHANCEMENT_TOKEN_BUDGET, message });
      return undefined;
    }
  }

  private hostFor(modelPath: string): LocalModelHost {
    if (this.local?.modelPath !== modelPath) {
      this.local?.close();
      this.local = new LocalModelHost({ modelPath, gpu: this.config.gpu !== false });
    }
    return this.local;
  }

  /** Ends the local model's process, if one runs (the daemon is going). */
  close(): void {
    this.local?.close();
  }

  /** Cancels a session's extraction: in-flight calls are aborted; what finished chunks found is kept. */
  cancel(sessionId: string): { cancelled: boolean } {
    const abort = this.running.get(sessionId);
    if (!abort || abort.signal.aborted) return { cancelled: false };
    abort.abort();
    return { cancelled: true };
  }
}
