/**
 * The opt-in language-model extraction run for a session at its stop (or its finalization): the runner handed to a
 * session or to finalizeStored.ts, and its cancellation. It only asks the model and answers records; writing them to
 * the journal is the caller's.
 */
import { JournalContents, JournalRecord } from '../journal/journal';
import { DEFAULT_CHUNK_OPTIONS, modelChunks, modelExtractionRecords, reduceChunks } from '../understanding/modelExtract';
import { clientChat, openAiCompatibleChat, runModelExtraction } from '../understanding/providers';
import { ServiceConfig, ServiceEvents } from './serviceConfig';

export type ModelExtractor = (journal: JournalContents) => Promise<JournalRecord[]>;

export class ModelExtractions {
  /** Language-model extractions running, by session: cancelled through earshot/extraction/cancel. */
  private readonly running = new Map<string, AbortController>();

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
      try {
        const chat = settings.provider === 'vscode-lm' ? clientChat(sessionId, this.config.askClient!) : openAiCompatibleChat(settings);
        const run = await runModelExtraction(sessionId, { title: journal.header.title, date: journal.header.startedAt }, chunks, {
          settings, chat, signal: abort.signal,
          progress: (p) => this.events.extractionProgress?.(p),
          report: (r) => this.events.refinement?.(r),
        });
        if (run.summary.finished === run.summary.failed && run.summary.state === 'done' && run.answers.every((a) => a === null)) return [];
        return modelExtractionRecords(journal, reduceChunks(chunks, run.answers), run.summary);
      } catch {
        return []; // the rule-based notes stand
      } finally {
        if (this.running.get(sessionId) === abort) this.running.delete(sessionId);
      }
    };
  }

  /** Cancels a session's extraction: in-flight calls are aborted; what finished chunks found is kept. */
  cancel(sessionId: string): { cancelled: boolean } {
    const abort = this.running.get(sessionId);
    if (!abort || abort.signal.aborted) return { cancelled: false };
    abort.abort();
    return { cancelled: true };
  }
}
