/**
 * The opt-in language-model extraction for a session: the chunk runner a live session extracts with while it runs
 * (session/liveExtraction.ts), the whole-meeting runner finalizeStored.ts uses, and their cancellation. It only asks
 * the model and answers; writing to the journal is the caller's. Provider 'local': the model process
 * (understanding/local/) starts on the first call and is closed when the run (or the session's live runner) ends,
 * cancelled or not, and after a minute idle: its memory is given back when the notes are done.
 */
import { carriesNotes, checksOwners, checksProcedure, checksRestatements, checksStandings, DEFAULT_ENHANCEMENT_TIMEOUT_SEC, DEFAULT_ENHANCEMENT_TOKEN_BUDGET, EnhancementSettings } from '../../protocol/protocol';
import { JournalContents, JournalRecord, JournalWriteError, lastSummary, partNotesRecord, summaryRecord, summarySoFarOf } from '../journal/journal';
import { ChunkOptions, DEFAULT_CHUNK_OPTIONS, lineChars, liveChunkMessages, ModelChunk, modelChunks, modelExtractionRecords } from '../understanding/modelExtract';
import { reduceChunks } from '../understanding/chunkMerge';
import { askChecksAtStop } from '../understanding/checksAtStop';
import { NotedEntry } from '../understanding/carriedNotes';
import { RestatementCheck, restatementsAtStop } from '../understanding/restatements';
import { OwnerCheck, ownersAtStop } from '../understanding/ownerCheck';
import { ProcedureCheck, procedureAtStop } from '../understanding/procedureCheck';
import { ChunkLine } from '../understanding/chunks';
import { ANSWER_RESERVE_TOKENS, Chat, clientChat, estimateTokens, ExtractionRunOptions, openAiCompatibleChat, RefinementReport, runModelExtraction, summaryAnswerTokens } from '../understanding/providers';
import { cpuModelHoldsForWhisper, LocalModelHost } from '../understanding/local/host';
import { localChat, localRunSettings } from '../understanding/local/localChat';
import { recommendNotesModel } from '../models/notesCatalog';
import { notesCacheDir, notesStateDir } from '../models/notesModels';
import { resolveLocalModel } from '../understanding/local/resolveModel';
import { hasModelSections, templateSectionsRecord, writeModelSections, WrittenSections } from '../understanding/templateSections';
import { PromptTemplate } from '../understanding/templateGuide';
import { FinalOutcomes, finalOutcomes, MeetingFacts, rollOver, rollSummary, settleAtStop, settleHasWork, SETTLE_DEFAULT, RolledSummary, settleExtrasOf, SUMMARY_BOUNDS, SummaryCallOptions, SummaryPoint, summaryMessages, whyNotAsked } from '../understanding/modelSummary';
import { noteParts, partNotes, readsPartNotes, settleAnyVersion } from '../understanding/summaryFromParts';
import { ChunkRunner } from '../session/config';
import { StopProgress } from '../understanding/stopProgress';
import { ServiceConfig, ServiceEvents } from './serviceConfig';

/**
 * The at-stop extraction of a stored session: answers the records to journal after the meeting's (items, decisions, the
 * run's `refinement`). The rolling summary's revisions are journaled as they come, through `append`, before it answers.
 */
export type ModelExtractor = (journal: JournalContents, append: (record: JournalRecord) => Promise<void>) => Promise<JournalRecord[]>;

export class ModelExtractions {
  /** Language-model extractions running, by session: cancelled through earshot/extraction/cancel. */
  private readonly running = new Map<string, AbortController>();
  /** The local model's process host (provider 'local'), kept for its model file; its process lives only while in use. */
  private local: LocalModelHost | undefined;
  /**
   * Sessions whisper still works for: meetings whose runner was made and has not said whisperDone(), and dictations
   * (dictationStarted() until sessionEnded()). While any runs, the local model keeps to the cores less one; with none,
   * whisper is done and the model takes every core.
   */
  private readonly whisperSessions = new Set<string>();

  constructor(private readonly config: ServiceConfig, private readonly events: ServiceEvents) {}

  /**
   * The opt-in language-model extraction for a session, when the user opted in (and, for 'vscode-lm', a client can be
   * asked): the whole meeting in chunks, answers merged into journal records (with the settings' carryNotes, prompt
   * v7: the chunks one at a time, in order, each carrying what the ones before it noted); then the rolling summary, as
   * a live session rolls it, from the last journaled one over the chunks it has not read. Never rejects but for a journal
   * write that failed.
   */
  extractorFor(sessionId: string): ModelExtractor | undefined {
    const settings = this.settings();
    if (!settings) return undefined;
    const carry = carriesNotes(settings);
    return async (journal, append) => {
      const chunks = modelChunks(journal, chunkOptionsOf(settings));
      if (!chunks.length) return [];
      const abort = new AbortController();
      this.running.set(sessionId, abort);
      const template = journal.header.template;
      const meeting = { title: journal.header.title, date: journal.header.startedAt, ...(template ? { template } : {}) };
      let host: LocalModelHost | undefined;
      /** The steps after the chunks, said as each starts; the run's end once they are done, whatever happens (stopProgress.ts). */
      let steps: StopProgress | undefined;
      try {
        const options = await this.runOptions(sessionId, settings, abort.signal, chunks.length);
        if (!options) return [];
        host = options.host;
        const run = await runModelExtraction(sessionId, meeting, chunks, { ...options, carryNotes: carry, endFollows: true });
        const sofar = run.summary;
        steps = new StopProgress(options.progress, { sessionId, tokenBudget: settings.tokenBudget ?? DEFAULT_ENHANCEMENT_TOKEN_BUDGET, message: run.message, ...(run.endHeld ? { endHeld: run.endHeld } : {}), signal: abort.signal }, () => sofar);
        steps.step('summary');
        const summary = summarySoFarOf(journal.records);
        const last = lastSummary(journal.records);
        /** Who wrote the summary as it stands (a failed settle leaves it theirs). */
        let by = last?.by;
        await rollOver(chunks, summary, {
          ask: this.summarizer(sessionId, meeting, options, abort.signal),
          mayAsk: () => !run.declined && sofar.state === 'done' && !abort.signal.aborted,
          spent: (tokens) => { sofar.tokens += tokens; },
          revised: (model) => {
            by = model ?? sofar.model;
            return append(summaryRecord(sofar, model, summary));
          },
        });
        // With a settle that reads them (v10, v11): notes on each part (those a live session took are journaled, the rest
        // asked now), unless the summary settled already (its daemon died after).
        if (carry && readsPartNotes(SETTLE_DEFAULT) && last?.settled === undefined) {
          await noteParts(chunks, summary, {
            ask: this.partNoter(sessionId, meeting, options, abort.signal),
            mayAsk: () => !run.declined && sofar.state === 'done' && !abort.signal.aborted,
            spent: (tokens) => { sofar.tokens += tokens; },
            noted: (part, model) => append(partNotesRecord(sofar, model, part)),
          });
        }
        const noAnswer = sofar.finished === sofar.failed && sofar.state === 'done' && run.answers.every((a) => a === null);
        // As at a live stop: the checks the settings ask for, on the final lists, before anything settles against them.
        const { atStop } = await askChecksAtStop(chunks, run.answers, {
          starting: (step) => steps?.step(step),
          ...(checksRestatements(settings) ? { restate: this.restater(sessionId, options, abort.signal) } : {}),
          ...(checksProcedure(settings) ? { procedure: this.procedureChecker(sessionId, options, abort.signal) } : {}),
          ...(checksOwners(settings) ? { owners: this.ownerChecker(sessionId, options, abort.signal) } : {}),
        }, () => !whyNotAsked(sofar, run.declined, abort.signal.aborted), (tokens) => { sofar.tokens += tokens; });
        const records = noAnswer ? [] : modelExtractionRecords(journal, reduceChunks(chunks, run.answers, carry, atStop), sofar);
        // The summary settles against the notes' final decisions and items: the journal's with the run's records on top.
        // A summary settled already (its daemon died after) is not asked again.
        if (last?.settled === undefined) {
          if (settleHasWork(summary, chunks.length)) steps.step('settle');
          const settled = await settleAtStop(summary, {
            ask: (previous) => this.settler(sessionId, meeting, options, abort.signal, steps)(previous, finalOutcomes([...journal.records, ...records]), settleExtrasOf(summary, previous, chunks.length)),
            refused: () => whyNotAsked(sofar, run.declined, abort.signal.aborted),
            spent: (tokens) => { sofar.tokens += tokens; },
            chunks: chunks.length,
          });
          if (settled) await append(summaryRecord(sofar, settled.settled ? settled.model : by, summary, settled.settled ? { settled: true } : settled));
        }
        // The template's 'model' sections, as at a live stop (not again when its daemon died after writing them).
        if (template && hasModelSections(template) && !journal.records.some((r) => r.type === 'templateSections') && !whyNotAsked(sofar, run.declined, abort.signal.aborted)) {
          steps.step('sections');
          const written = await this.sectionsWriter(sessionId, { ...meeting, template }, options, abort.signal)(summary.points, finalOutcomes([...journal.records, ...records]), sofar.tokens);
          sofar.tokens += written.tokens;
          if (written.sections.length) await append(templateSectionsRecord(written));
        }
        // The run's record last, its tokens counting the settle's.
        return records.map((r) => (r.type === 'refinement' ? { ...r, tokens: sofar.tokens } : r));
      } catch (e) {
        if (e instanceof JournalWriteError) throw e; // the journal takes nothing more: finalizing fails, as it would
        return []; // the rule-based notes stand
      } finally {
        steps?.end();
        host?.close();
        if (this.running.get(sessionId) === abort) this.running.delete(sessionId);
      }
    };
  }

  /**
   * How one call at stop or per chunk goes through `options`' chat: within the provider's time limit (the paused time
   * not counted), reported (logged) as `call` with `more` (the chunk's number).
   */
  private callHow(sessionId: string, options: ExtractionRunOptions, call: NonNullable<RefinementReport['call']>, more: { chunk?: number } = {}): SummaryCallOptions {
    const provider = options.settings.provider === 'off' ? 'openai-compatible' : options.settings.provider;
    return {
      timeoutMs: (options.settings.timeoutSec ?? DEFAULT_ENHANCEMENT_TIMEOUT_SEC) * 1000, ...(options.pausedMs ? { pausedMs: options.pausedMs } : {}),
      report: (r) => this.events.refinement?.({ sessionId, provider, call, ...more, ...r }),
    };
  }

  /** One rolling-summary call per chunk through `options`' chat (callHow's bounds), reported with the chunk's number. */
  private summarizer(sessionId: string, meeting: { title: string; date: string }, options: ExtractionRunOptions, signal: AbortSignal): ChunkRunner['summarize'] {
    return (previous, chunk) => rollSummary(options.chat, meeting, previous, chunk.lines, signal, this.callHow(sessionId, options, 'summary', { chunk: chunk.index + 1 }));
  }

  /** The notes on one part (the settle of v10) through `options`' chat (callHow's bounds), reported with the chunk's number. */
  private partNoter(sessionId: string, meeting: { title: string; date: string }, options: ExtractionRunOptions, signal: AbortSignal): NonNullable<ChunkRunner['notePart']> {
    return (chunk) => partNotes(options.chat, meeting, chunk, signal, this.callHow(sessionId, options, 'part', { chunk: chunk.index + 1 }));
  }

  /**
   * The settle at stop through `options`' chat (callHow's bounds), reported (logged) as `call: 'settle'`; then, as the
   * settings ask, the standing check of the settled points (`call: 'standings'`).
   */
  private settler(sessionId: string, meeting: { title: string; date: string }, options: ExtractionRunOptions, signal: AbortSignal, steps?: StopProgress): ChunkRunner['settle'] {
    // With carried notes the lists are the default prompt's (v8) and the settle SETTLE_DEFAULT's (v9 reads what the
    // rolling summary dropped, v10 and v11 the parts' notes); without, each part read alone (v6).
    return (previous, outcomes, extras) => settleAnyVersion(options.chat, meeting, previous, outcomes, signal, {
      ...this.callHow(sessionId, options, 'settle'), ...(carriesNotes(options.settings) ? { notesPrompt: SETTLE_DEFAULT, ...(extras ? { extras } : {}) } : {}),
      ...(checksStandings(options.settings) ? { standings: { ...this.callHow(sessionId, options, 'standings'), starting: () => steps?.step('standings') } } : {}),
    });
  }

  /** The restatement check at stop through `options`' chat (callHow's bounds), reported (logged) as `call: 'restatements'`. */
  private restater(sessionId: string, options: ExtractionRunOptions, signal: AbortSignal): (entries: readonly NotedEntry[]) => Promise<RestatementCheck> {
    return (entries) => restatementsAtStop(options.chat, entries, signal, this.callHow(sessionId, options, 'restatements'));
  }

  /** The decision check at stop through `options`' chat (callHow's bounds), reported (logged) as `call: 'procedure'`. */
  private procedureChecker(sessionId: string, options: ExtractionRunOptions, signal: AbortSignal): (entries: readonly NotedEntry[], lines: readonly ChunkLine[]) => Promise<ProcedureCheck> {
    return (entries, lines) => procedureAtStop(options.chat, entries, lines, signal, this.callHow(sessionId, options, 'procedure'));
  }

  /** The owner check at stop through `options`' chat (callHow's bounds), reported (logged) as `call: 'owners'`. */
  private ownerChecker(sessionId: string, options: ExtractionRunOptions, signal: AbortSignal): (entries: readonly NotedEntry[], lines: readonly ChunkLine[]) => Promise<OwnerCheck> {
    return (entries, lines) => ownersAtStop(options.chat, entries, lines, signal, this.callHow(sessionId, options, 'owners'));
  }

  /**
   * The template's 'model' sections through `options`' chat, each call within callHow's bounds and all within what the
   * run left of its token budget, reported (logged) as `call: 'settle'`.
   */
  private sectionsWriter(sessionId: string, meeting: MeetingFacts & { template: PromptTemplate }, options: ExtractionRunOptions, signal: AbortSignal) {
    const budget = options.settings.tokenBudget ?? DEFAULT_ENHANCEMENT_TOKEN_BUDGET;
    return (previous: readonly SummaryPoint[], outcomes: FinalOutcomes, tokensSpent: number) => writeModelSections(options.chat, meeting, previous, outcomes, signal, {
      ...this.callHow(sessionId, options, 'settle'), tokensLeft: budget - tokensSpent,
    });
  }

  /** The local model's file; undefined (the failure reported, the rules' notes kept) when there is none to load. */
  private async localModel(sessionId: string, chunks: number, quiet = false): Promise<string | undefined> {
    const settings = this.config.enhancement!;
    try {
      const selection = this.config.selection;
      return await resolveLocalModel(settings.model ?? '', {
        ...(selection ? { notesCache: notesCacheDir(selection.cacheDir) } : {}),
        ...(this.config.notesModelPath ? { notesModelPath: this.config.notesModelPath } : {}),
        ...(selection?.machine ? { recommended: () => recommendNotesModel(selection.machine!).model.id } : {}),
      });
    } catch (e) {
      if (quiet) return undefined;
      const message = `the local model is not available: ${(e as Error).message}; the notes stay as the rules wrote them`;
      this.events.refinement?.({ sessionId, provider: 'local', outcome: 'failed', ms: 0, reason: 'model unavailable' });
      this.events.extractionProgress?.({ sessionId, state: 'done', chunks, finished: 0, failed: chunks, tokens: 0, tokenBudget: settings.tokenBudget ?? DEFAULT_ENHANCEMENT_TOKEN_BUDGET, message });
      return undefined;
    }
  }

  private hostFor(modelPath: string): LocalModelHost {
    if (this.local?.modelPath !== modelPath) {
      this.local?.close();
      const selection = this.config.selection;
      this.local = new LocalModelHost({
        modelPath, gpu: this.config.gpu !== false, whisperThreads: this.config.threads, ...(selection ? { stateDir: notesStateDir(selection.cacheDir) } : {}),
      });
    }
    this.fitCores();
    return this.local;
  }

  /** The local model's threads follow whisper's sessions: every core once none runs (whisper is done), else cores less one. */
  private fitCores(): void {
    this.local?.useAllCores(this.whisperSessions.size === 0);
  }

  /**
   * A session whisper works for that extracts nothing (a dictation): while it runs, a local model finishing another
   * meeting's notes keeps to the cores less one, as during a meeting; sessionEnded() gives them back.
   */
  dictationStarted(sessionId: string): void {
    this.whisperSessions.add(sessionId);
    this.fitCores();
  }

  /** A session ended (a dictation; a meeting's runner said so already through whisperDone or close). */
  sessionEnded(sessionId: string): void {
    if (this.whisperSessions.delete(sessionId)) this.fitCores();
  }

  /** Ends the local model's process, if one runs (the daemon is going). */
  close(): void {
    this.local?.close();
  }

  /**
   * The chunk runner of a session that extracts while it runs (same opt-in, same providers): registered for cancel
   * from now until the session closes it. Live, one chunk at a time, whatever the settings' concurrency.
   */
  chunkRunnerFor(sessionId: string, meeting: MeetingFacts): ChunkRunner | undefined {
    const settings = this.settings();
    if (!settings) return undefined;
    const abort = new AbortController();
    this.running.set(sessionId, abort);
    this.whisperSessions.add(sessionId);
    this.fitCores(); // a model still finishing another meeting's notes gives whisper its core back
    /** The local model's file, looked up once for the reading ahead (it comes after every final). */
    let modelFile: Promise<string | undefined> | undefined;
    const meetingOver = () => {
      this.whisperSessions.delete(sessionId);
      this.fitCores();
    };
    const carryNotes = carriesNotes(settings);
    const template = meeting.template;
    /** The steps at stop as the client is told them (stopProgress()), once the stop's run held its end back. */
    let steps: StopProgress | undefined;
    /** A call after the parts' (the summary, the checks at stop): `none` and why once cancelled or with no model to ask. */
    const available = async <T>(none: (reason: string) => T, ask: (options: ExtractionRunOptions) => Promise<T>): Promise<T> => {
      if (abort.signal.aborted) return none('cancelled');
      const options = await this.runOptions(sessionId, settings, abort.signal, 0, true);
      return options ? ask(options) : none('model unavailable');
    };
    return {
      chunkOptions: chunkOptionsOf(settings),
      signal: abort.signal,
      carryNotes,
      run: async (chunks, how) => {
        const options = await this.runOptions(sessionId, how.live ? { ...settings, maxConcurrency: 1 } : settings, abort.signal, how.ofChunks);
        if (!options) {
          // No model file: reported once (localModel); as a declined run, nothing more is asked of it this meeting.
          const summary = how.continues ?? { provider: settings.provider as 'local', model: settings.model ?? 'local model', chunks: how.ofChunks, finished: 0, failed: 0, tokens: 0, state: 'done' as const };
          return { answers: chunks.map(() => null), summary: { ...summary, chunks: how.ofChunks }, message: 'the local model is not available', declined: true };
        }
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
          ...options, ofChunks: how.ofChunks, lastPartSoFar: how.live, ...(sofar ? { continues: sofar } : {}), ...(how.endFollows ? { endFollows: true } : {}),
          ...(carryNotes ? { carryNotes, ...(how.earlier ? { earlier: how.earlier } : {}) } : {}),
          // The meeting goes on: a chunk done is not the run done.
          progress: how.live ? (p) => progress(p.state === 'done' ? { ...p, state: 'running', message: `${p.finished} of ${p.chunks} chunks read so far; the rest as the meeting goes on` } : p) : progress,
        });
      },
      summarize: (previous, chunk) => available<RolledSummary>(() => ({ points: null, model: undefined, tokens: 0 }),
        (options) => this.summarizer(sessionId, meeting, options, abort.signal)(previous, chunk)),
      settle: (previous, outcomes, extras) => available<RolledSummary>((reason) => ({ points: null, model: undefined, tokens: 0, reason }),
        (options) => this.settler(sessionId, meeting, options, abort.signal, steps)(previous, outcomes, extras)),
      stopProgress: (run, sofar) => (steps = new StopProgress((p) => this.events.extractionProgress?.(p), {
        sessionId, tokenBudget: settings.tokenBudget ?? DEFAULT_ENHANCEMENT_TOKEN_BUDGET, message: run.message, ...(run.endHeld ? { endHeld: run.endHeld } : {}), signal: abort.signal,
      }, sofar)),
      ...(carryNotes && readsPartNotes(SETTLE_DEFAULT) ? {
        notePart: (chunk: { index: number; lines: readonly ChunkLine[] }) => available<RolledSummary>(() => ({ points: null, model: undefined, tokens: 0 }),
          (options) => this.partNoter(sessionId, meeting, options, abort.signal)(chunk)),
      } : {}),
      ...(checksRestatements(settings) ? {
        restate: (entries: readonly NotedEntry[]) => available((reason): RestatementCheck => ({ groups: null, model: undefined, tokens: 0, reason }),
          (options) => this.restater(sessionId, options, abort.signal)(entries)),
      } : {}),
      ...(checksProcedure(settings) ? {
        checkProcedure: (entries: readonly NotedEntry[], lines: readonly ChunkLine[]) => available((reason): ProcedureCheck => ({ dropped: null, model: undefined, tokens: 0, reason }),
          (options) => this.procedureChecker(sessionId, options, abort.signal)(entries, lines)),
      } : {}),
      ...(checksOwners(settings) ? {
        checkOwners: (entries: readonly NotedEntry[], lines: readonly ChunkLine[]) => available((reason): OwnerCheck => ({ fills: null, model: undefined, tokens: 0, reason }),
          (options) => this.ownerChecker(sessionId, options, abort.signal)(entries, lines)),
      } : {}),
      ...(template && hasModelSections(template) ? {
        sections: (previous: readonly SummaryPoint[], outcomes: FinalOutcomes, tokensSpent: number) => available<WrittenSections>((reason) => ({ sections: [], model: undefined, tokens: 0, reason }),
          (options) => this.sectionsWriter(sessionId, { ...meeting, template }, options, abort.signal)(previous, outcomes, tokensSpent)),
      } : {}),
      ...(settings.provider === 'local' ? {
        pause: () => this.local?.pause(),
        resume: () => this.local?.resume(),
        // Before its host exists (where it runs is not known yet): as on the CPU.
        holdsForWhisper: () => this.local?.yieldsToWhisper ?? cpuModelHoldsForWhisper({ whisperThreads: this.config.threads }),
        preload: (chunk, previous) => this.preloadLocal(modelFile ??= this.localModel(sessionId, 0, true), abort.signal, meeting, settings, chunk, previous),
      } : {}),
      whisperDone: meetingOver,
      close: () => {
        meetingOver();
        if (settings.provider === 'local') this.local?.close();
        if (this.running.get(sessionId) === abort) this.running.delete(sessionId);
      },
    };
  }

  /**
   * The local model reads the open chunk ahead: the chunk's prompt as a live call will send it, then the summary's
   * revision after it. Each preload sizes the model's context for the whole chunk the lines may grow to (the rest of
   * `chunkChars`), so that the call that follows does not remake it.
   */
  private async preloadLocal(modelFile: Promise<string | undefined>, signal: AbortSignal, meeting: { title: string; date: string },
    settings: EnhancementSettings, chunk: ModelChunk, previous: readonly SummaryPoint[]): Promise<void> {
    const modelPath = await modelFile;
    if (!modelPath || signal.aborted) return;
    const host = this.hostFor(modelPath);
    const chars = chunk.lines.reduce((n, l) => n + lineChars(l), 0);
    const growth = estimateTokens(Math.max(0, chunkOptionsOf(settings).chunkChars - chars));
    const extract = liveChunkMessages(meeting, chunk);
    const summary = summaryMessages(meeting, previous, chunk.lines);
    // The session's signal: its cancel kills a read in flight, as it kills a chunk's call. Each sized as its call caps
    // its answer (a rolling summary's points take more than a chunk's JSON).
    await Promise.all([
      host.preload({ kind: 'extract', ...extract, maxTokens: ANSWER_RESERVE_TOKENS + growth }, signal),
      host.preload({ kind: 'summary', ...summary, maxTokens: summaryAnswerTokens(SUMMARY_BOUNDS.points) + growth }, signal),
    ]);
  }

  /** The opt-in settings, when the user opted in (and, for 'vscode-lm', a client can be asked). */
  private settings(): EnhancementSettings | undefined {
    const settings = this.config.enhancement;
    if (!settings || settings.provider === 'off' || (settings.provider === 'vscode-lm' && !this.config.askClient)) return undefined;
    return settings;
  }

  /**
   * How to ask the chosen provider; for 'local' its model process (undefined, the failure reported and the rules' notes
   * kept, when there is no model file to load).
   */
  private async runOptions(sessionId: string, settings: EnhancementSettings, signal: AbortSignal, chunks: number, quiet = false): Promise<(ExtractionRunOptions & { host?: LocalModelHost }) | undefined> {
    const events = { progress: (p: Parameters<ExtractionRunOptions['progress']>[0]) => this.events.extractionProgress?.(p), report: (r: Parameters<ExtractionRunOptions['report']>[0]) => this.events.refinement?.(r) };
    if (settings.provider !== 'local') {
      const chat: Chat = settings.provider === 'vscode-lm' ? clientChat(sessionId, this.config.askClient!) : openAiCompatibleChat(settings);
      return { settings, chat, signal, ...events };
    }
    // `quiet`: a summary call; a missing model file was reported by the extraction already.
    const modelPath = quiet ? await this.localModel(sessionId, chunks, true) : await this.localModel(sessionId, chunks);
    if (!modelPath) return undefined;
    const host = this.hostFor(modelPath);
    return { settings: localRunSettings(settings), chat: localChat(host), signal, host, pausedMs: () => host.pausedMs(), ...events };
  }

  /** Cancels a session's extraction: in-flight calls and reads ahead are aborted; what finished chunks found is kept. */
  cancel(sessionId: string): { cancelled: boolean } {
    const abort = this.running.get(sessionId);
    if (!abort || abort.signal.aborted) return { cancelled: false };
    abort.abort();
    return { cancelled: true };
  }
}

const chunkOptionsOf = (settings: EnhancementSettings): ChunkOptions => ({ ...DEFAULT_CHUNK_OPTIONS, ...(settings.chunkChars ? { chunkChars: settings.chunkChars } : {}) });
