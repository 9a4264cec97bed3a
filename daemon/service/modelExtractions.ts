/**
 * The opt-in language-model extraction for a session: the chunk runner a live session extracts with while it runs
 * (session/liveExtraction.ts), the whole-meeting runner finalizeStored.ts uses, and their cancellation. It only asks
 * the model and answers; writing to the journal is the caller's.
 */
import { JournalContents, JournalRecord } from '../journal/journal';
import { DEFAULT_ENHANCEMENT_TOKEN_BUDGET, EnhancementSettings } from '../../protocol/protocol';
import { ChunkOptions, DEFAULT_CHUNK_OPTIONS, modelChunks, modelExtractionRecords, reduceChunks } from '../understanding/modelExtract';
import { Chat, clientChat, ExtractionRunOptions, openAiCompatibleChat, runModelExtraction } from '../understanding/providers';
import { ChunkRunner } from '../session/config';
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
    const settings = this.settings();
    if (!settings) return undefined;
    return async (journal) => {
      const chunks = modelChunks(journal, chunkOptionsOf(settings));
      if (!chunks.length) return [];
      const abort = new AbortController();
      this.running.set(sessionId, abort);
      try {
        const run = await runModelExtraction(sessionId, { title: journal.header.title, date: journal.header.startedAt }, chunks,
          this.runOptions(sessionId, settings, abort.signal));
        if (run.summary.finished === run.summary.failed && run.summary.state === 'done' && run.answers.every((a) => a === null)) return [];
        return modelExtractionRecords(journal, reduceChunks(chunks, run.answers), run.summary);
      } catch {
        return []; // the rule-based notes stand
      } finally {
        if (this.running.get(sessionId) === abort) this.running.delete(sessionId);
      }
    };
  }

  /**
   * The chunk runner of a session that extracts while it runs (same opt-in, same providers): registered for cancel
   * from now until the session closes it. Live, one chunk at a time, whatever the settings' concurrency.
   */
  chunkRunnerFor(sessionId: string, meeting: { title: string; date: string }): ChunkRunner | undefined {
    const settings = this.settings();
    if (!settings) return undefined;
    const abort = new AbortController();
    this.running.set(sessionId, abort);
    return {
      chunkOptions: chunkOptionsOf(settings),
      signal: abort.signal,
      run: async (chunks, how) => {
        const options = this.runOptions(sessionId, how.live ? { ...settings, maxConcurrency: 1 } : settings, abort.signal);
        const sofar = how.continues;
        if (sofar && sofar.state !== 'done') {
          // Cancelled or out of budget while the meeting ran: nothing more is sent; the end is said once more, with the count.
          const summary = { ...sofar, chunks: how.ofChunks };
          const message = sofar.state === 'cancelled' ? `cancelled after ${sofar.finished} of ${how.ofChunks} chunks`
            : `token budget spent after ${sofar.finished} of ${how.ofChunks} chunks: the rest of the meeting was not sent`;
          options.progress({ sessionId, state: sofar.state, chunks: how.ofChunks, finished: sofar.finished, failed: sofar.failed, tokens: sofar.tokens, tokenBudget: settings.tokenBudget ?? DEFAULT_ENHANCEMENT_TOKEN_BUDGET, message });
          return { answers: chunks.map(() => null), summary, message, declined: false };
        }
        const progress = options.progress;
        return runModelExtraction(sessionId, meeting, chunks, {
          ...options, ofChunks: how.ofChunks, ...(sofar ? { continues: sofar } : {}),
          // The meeting goes on: a chunk done is not the run done.
          progress: how.live ? (p) => progress(p.state === 'done' ? { ...p, state: 'running', message: `${p.finished} of ${p.chunks} chunks read so far; the rest as the meeting goes on` } : p) : progress,
        });
      },
      close: () => {
        if (this.running.get(sessionId) === abort) this.running.delete(sessionId);
      },
    };
  }

  /** The opt-in settings, when the user opted in (and, for 'vscode-lm', a client can be asked). */
  private settings(): EnhancementSettings | undefined {
    const settings = this.config.enhancement;
    if (!settings || settings.provider === 'off' || (settings.provider === 'vscode-lm' && !this.config.askClient)) return undefined;
    return settings;
  }

  private runOptions(sessionId: string, settings: EnhancementSettings, signal: AbortSignal): ExtractionRunOptions {
    const chat: Chat = settings.provider === 'vscode-lm' ? clientChat(sessionId, this.config.askClient!) : openAiCompatibleChat(settings);
    return {
      settings, chat, signal,
      progress: (p) => this.events.extractionProgress?.(p),
      report: (r) => this.events.refinement?.(r),
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

const chunkOptionsOf = (settings: EnhancementSettings): ChunkOptions => ({ ...DEFAULT_CHUNK_OPTIONS, ...(settings.chunkChars ? { chunkChars: settings.chunkChars } : {}) });
