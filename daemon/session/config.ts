/**
 * What a session is started with (SessionConfig) and what it tells its owner (SessionEvents): the session's contract
 * with the service, re-exported by session.ts. Types only.
 */
import { NotedEntry } from '../understanding/carriedNotes';
import { RestatementCheck } from '../understanding/restatements';
import { OwnerCheck } from '../understanding/ownerCheck';
import { ProcedureCheck } from '../understanding/procedureCheck';
import {
  AutoStopParams, ActionItem, Decision, FilePace, LiveSourceKind, NotesWrittenParams, SessionMode, SessionStateParams, SourceKind, SummaryParams, TranscriptRelabelParams,
  TranscriptSegment,
} from '../../protocol/protocol';
import { AudioSource } from '../capture/source';
import { Decoder, StreamingOptions } from '../asr/streaming';
import { DegradeRung, DegradeThresholds } from '../asr/degrade';
import { SegmentAnnotation } from '../anchoring/segmentContext';
import { SegmenterOptions, SpeechDetector } from '../vad/segmenter';
import { ChunkLine, ChunkOptions, ModelChunk, ModelRunSummary } from '../understanding/modelExtract';
import { FinalOutcomes, RolledSummary, SettleExtras, SummaryPoint } from '../understanding/modelSummary';
import { ExtractionRun } from '../understanding/providers';
import { StopProgress } from '../understanding/stopProgress';
import type { EarlierParts } from '../understanding/chunkMerge';
import type { SpeakerStage } from '../speakers/stage';
import type { JournaledTemplate } from '../journal/journal';
import type { WrittenSections } from '../understanding/templateSections';

export interface SessionEvents {
  transcript(segment: TranscriptSegment): void;
  /** Finals whose speaker changed, journaled (speakers.ts). */
  relabel?(params: TranscriptRelabelParams): void;
  actionItem(item: ActionItem): void;
  decision(decision: Decision): void;
  state(params: SessionStateParams): void;
  /** The rolling (and at stop the final) summary and open questions. */
  summary?(params: SummaryParams): void;
  /** The notes file was written (NotesWrittenNotification): a remote window's extension copies it into the workspace. */
  notesWritten?(params: NotesWrittenParams): void;
}

/** How a session's speaker stages are made (absent from SessionConfig: speakers are not told apart). */
export interface SpeakerStages {
  /** A stage for a source; its labels number from `firstNumber`. */
  create(source: SourceKind, firstNumber: number): Promise<SpeakerStage>;
  /** 'voices' when a speaker-embedding model re-identifies voices, else 'overlap'. */
  mode: 'overlap' | 'voices';
  /** The segmentation model's output for one window (speakers/cuts.ts: finals are cut where the voice changes); absent: never cut. */
  segment?(window: Float32Array): Promise<ArrayLike<number>>;
}

export interface SessionConfig {
  sessionId: string;
  title: string;
  /** The meeting's notes template (journaled in the header; absent: the standard notes). */
  template?: JournaledTemplate;
  language: string;
  startedAt: Date;
  sources: AudioSource[];
  journalPath: string;
  /** '' for a dictation session. */
  notesPath: string;
  /** 'dictation': segments are journaled and sent, but no notes file is written and nothing is extracted or refined. */
  mode?: SessionMode;
  decoder: Decoder;
  /** A fresh detector per source: detectors keep state across frames. */
  createDetector(): SpeechDetector | Promise<SpeechDetector>;
  segmenter?: SegmenterOptions;
  streaming?: StreamingOptions;
  /** Set when the session transcribes a file, for the notes header. */
  audioFile?: string;
  /** Releases the session's lock (journal/lock.ts) once it is over, before DONE is announced. */
  unlock?(): Promise<void>;
  /** How long Stop waits for capture and recognition to end before the session finalizes without them (default SOURCES_STOP_LIMIT_MS). */
  stopLimitMs?: number;
  /** Journaled in the header, so a resume after a crash reopens the sources as they were. */
  pace?: FilePace;
  devices?: Partial<Record<LiveSourceKind, string>>;
  speakers?: Partial<Record<LiveSourceKind, string>>;
  /** The call the meeting was started for (auto-stop, service/autoStops.ts). */
  autoStop?: AutoStopParams;
  /** Tells the speakers within a source apart (speakers.ts); absent: off (each source keeps its label). */
  speakerStages?: SpeakerStages;
  /** Words to prime whisper with (workspace identifiers), read before each decode. */
  vocabulary?(): string;
  /**
   * Whether anyone reads the transcript as it is spoken, read before each decode: when not, finals only, decoded at the
   * end of each utterance (absent: someone does).
   */
  partialsWanted?(): boolean;
  /** Called when the degrade ladder changes rung. */
  onDegrade?(level: number, rung: DegradeRung): void;
  degradeThresholds?: DegradeThresholds;
  /** Called when a mic segment is dropped because the mic heard the speakers (system audio); never with text. */
  onEchoSuppressed?(segmentId: string, score: number, final: boolean): void;
  /**
   * The opt-in language-model extraction (absent: off), run while the meeting does: each chunk as soon as it is closed
   * and whisper is idle, the last ones at stop before the final notes are written (liveExtraction.ts). The runner
   * bounds its own time, can be cancelled and reports its own failures; it never rejects.
   */
  extractChunks?: ChunkRunner;
  /**
   * What a final segment is stamped with before it is journaled: its mentions of workspace files and symbols and
   * where the user was looking when it started. Must be quick and synchronous: the final waits for it.
   */
  annotate?(segment: { text: string; t0: number }): SegmentAnnotation;
}

/**
 * The opt-in language-model extraction in chunks, for a session that extracts while it runs (liveExtraction.ts): the
 * provider's runner (service/modelExtractions.ts), one per session, cancelled by earshot/extraction/cancel.
 */
export interface ChunkRunner {
  /** How the meeting is cut (the user's chunk size). */
  readonly chunkOptions: ChunkOptions;
  /** Aborted by earshot/extraction/cancel: nothing is sent after it, live or at stop. */
  readonly signal: AbortSignal;
  /**
   * Prompt v7 (the settings' carryNotes): each chunk's prompt carries what the chunks before it noted, so a chunk is
   * sent only once every chunk before it is answered (run() gets them as `earlier`), and the answers are merged so
   * (chunkMerge.ts's reduceChunks with `carried`). Absent or false: v6, each chunk read alone.
   */
  readonly carryNotes?: boolean;
  /**
   * Sends `chunks` to the model and answers one answer per chunk (null: none) and the meeting's run so far. `live`: one
   * at a time, the meeting goes on (its progress stays 'running'); at stop, as many at once as the settings allow (with
   * carryNotes, one at a time in order). `continues`: the run so far, carried on (tokens against the budget, chunks
   * counted over the whole meeting); a run that was cancelled or spent its budget sends nothing more. `ofChunks`: the
   * meeting's chunks so far. `earlier`: the chunks sent before and their answers (what carryNotes' first prompt
   * carries). Never rejects.
   */
  run(chunks: readonly ModelChunk[], how: { live: boolean; ofChunks: number; continues?: ModelRunSummary; earlier?: EarlierParts; endFollows?: boolean }): Promise<ExtractionRun>;
  /**
   * At stop, after a run asked with `endFollows` (its end held back): what tells the client each step after the chunks
   * as it starts and, once they are done, the run's end (understanding/stopProgress.ts); `sofar`: the run's counts now.
   * Absent: the run is not asked to hold its end.
   */
  stopProgress?(run: Pick<ExtractionRun, 'message' | 'endHeld'>, sofar: () => ModelRunSummary): StopProgress;
  /**
   * Revises the rolling summary with one chunk's lines (one small call, modelSummary.ts's rollSummary), unless the run
   * was cancelled; each call is reported (logged) with the chunk's number. Never rejects: null points when there is no
   * valid answer.
   */
  summarize(previous: readonly SummaryPoint[], chunk: { index: number; lines: readonly ChunkLine[] }): Promise<RolledSummary>;
  /**
   * Settles the summary at stop (modelSummary.ts's settleSummary): one call over the summary so far and the meeting's
   * final decisions and action items, within the provider's time limit, reported (logged); nothing once cancelled. Never
   * rejects: null points and why (fixed words) when there is no valid answer. `extras`: what settle v9 reads beyond
   * `previous` (with carried notes: modelSummary.ts SETTLE_DEFAULT).
   */
  settle(previous: readonly SummaryPoint[], outcomes: FinalOutcomes, extras?: SettleExtras): Promise<RolledSummary>;
  /**
   * With the settle of v10 (understanding/summaryFromParts.ts): notes one chunk's part of the meeting (one small call,
   * partNotes), after the summary's revision, unless the run was cancelled; reported (logged) with the chunk's number.
   * Never rejects: null points when there is no valid answer. Absent: the settle is v9's, from the rolling summary.
   */
  notePart?(chunk: { index: number; lines: readonly ChunkLine[] }): Promise<RolledSummary>;
  /**
   * With the settings' checkRestatements (and carried notes): the restatement check at stop (understanding/
   * restatements.ts) over the final lists, within the provider's time limit, reported (logged) as `call: 'restatements'`;
   * nothing once cancelled. Never rejects: null groups and why when there is no valid answer. Absent: no check.
   */
  restate?(entries: readonly NotedEntry[]): Promise<RestatementCheck>;
  /**
   * With the settings' checkOwners (and carried notes): the owner check at stop (understanding/ownerCheck.ts) over the
   * final lists' items without an owner and the meeting's lines, after the restatement and procedure checks, within the provider's time
   * limit, reported (logged) as `call: 'owners'`; nothing once cancelled. Never rejects: null fills and why when there is
   * no valid answer. Absent: no check.
   */
  checkOwners?(entries: readonly NotedEntry[], lines: readonly ChunkLine[]): Promise<OwnerCheck>;
  /**
   * With the settings' checkProcedure (and carried notes): the decision check at stop (understanding/procedureCheck.ts)
   * over the final decisions and the meeting's lines, after the restatement check, within the provider's time limit,
   * reported (logged) as `call: 'procedure'`; nothing once cancelled. Never rejects: null drops and why when there is no
   * valid answer. Absent: no check.
   */
  checkProcedure?(entries: readonly NotedEntry[], lines: readonly ChunkLine[]): Promise<ProcedureCheck>;
  /** The notes template's 'model' sections, written at stop after the settle within what is left of the token budget (understanding/templateSections.ts); absent: none to write. */
  sections?(previous: readonly SummaryPoint[], outcomes: FinalOutcomes, tokensSpent: number): Promise<WrittenSections>;
  /** The session is over: a cancel no longer finds it. */
  close(): void;
  /**
   * Whisper has work: a model on this machine ('local') stops where it is until resume(), losing nothing (absent, or a
   * no-op: a provider elsewhere does not compete for the CPU).
   */
  pause?(): void;
  /** Whisper is idle again: the paused model goes on. */
  resume?(): void;
  /**
   * Whether pause() holds the model now: it runs on the CPU on cores whisper's threads use too. False: it has cores of
   * its own (or a GPU) and works whenever there is work, whisper busy or not. Absent with pause(): it holds.
   */
  holdsForWhisper?(): boolean;
  /**
   * A model on this machine ('local'; absent elsewhere) reads the meeting's open chunk so far ahead, as the prompts of
   * its extraction (live: "Part k of k"; with carryNotes, `chunk` carries its notes as its call will: withNotedBefore)
   * and of the summary's revision after it (from `previous`) will start, so that
   * when it is sent (it closed, or the meeting stopped) only the lines since are left to read. Resolves when read (or
   * dropped for a newer one); never rejects. Held for whisper as a chunk's call is (pause()).
   */
  preload?(chunk: ModelChunk, previous: readonly SummaryPoint[]): Promise<void>;
  /**
   * Every final of the meeting is in (stop): whisper needs no core for it any more, and a model on this machine may
   * take them all for the chunks left (unless another meeting runs). close() says it too.
   */
  whisperDone?(): void;
}
