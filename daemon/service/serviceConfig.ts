/**
 * What the service is built with (ServiceConfig) and what it tells its driver (ServiceEvents). Types only: every owner
 * under service/ reads them, none keeps state here. daemon/service.ts re-exports both, its public face.
 */
import { AutoStopStateParams, EnhancementSettings, ExtractionProgressParams, InputLevelParams, ModelProgressParams, ModelState, SourceKind, SourceStatusParams, VadSettings } from '../../protocol/protocol';
import { DegradeThresholds } from '../asr/degrade';
import { ModelSelection } from '../models/whisperModels';
import type { GpuChoice } from '../config';
import { SessionEvents } from '../session/session';
import { AskClient, RefinementReport } from '../understanding/providers';
import { PruneResult } from './retention';

export interface ServiceConfig {
  storageDir: string;
  notesDir: string;
  modelPath: string;
  language: string;
  threads: number;
  gpu: GpuChoice;
  vad?: VadSettings;
  /** Free the model this long after the last session ends (it reloads on the next start); 0 = never. */
  modelIdleUnloadSec?: number;
  /** How modelPath was chosen (catalog models are verified before loading, and can be listed and downloaded). */
  selection?: ModelSelection;
  /** Live capture: the environment recorders run in (default process.env) and a native system-audio helper. */
  capture?: { env?: NodeJS.ProcessEnv; helperPath?: string };
  /** When recognition counts as behind or caught up (default DEFAULT_DEGRADE_THRESHOLDS). */
  degradeThresholds?: DegradeThresholds;
  /**
   * Model files the last degrade rung may switch to, largest first. Default: the catalog's smaller tiers that are
   * already downloaded (verified before loading); nothing is downloaded behind the user's back.
   */
  smallerModels?(): Promise<string[]>;
  /** A GGUF notes model the user has (earshot.notes.model.path), listed instead of a catalog one. */
  notesModelPath?: string;
  /** An https base URL serving the notes catalog's files by name (EARSHOT_NOTES_MODEL_MIRROR). */
  notesModelMirror?: string;
  /** The opt-in refinement of the notes at stop (absent or provider 'off': none). */
  enhancement?: EnhancementSettings;
  /** How to ask the client for a refinement (provider 'vscode-lm'); without it that provider does nothing. */
  askClient?: AskClient;
  /** Interrupted sessions found at startup that nobody resumes or stops within this time are finalized (see startRecovery). */
  interruptedGraceSec?: number;
  /** Errors nothing caught in this process so far, for the health report (rpc/uncaught.ts); absent: not counted. */
  uncaughtErrors?(): number;
  /** Journals older than this many days are deleted (see startRetention); 0 or absent: kept forever. */
  retentionDays?: number;
  /** The opt-in debug dump: each session's captured audio as WAV files in `<storageDir>/debug-audio` (default off). */
  debugSaveAudio?: boolean;
  /** Tell the speakers within each source apart, unless a session's start says otherwise (default true). */
  identifySpeakers?: boolean;
  /** How often a file read in real time hands over the frames due (default FILE_PACE_PERIOD_MS; the latency benchmark: a microphone's period). */
  filePacePeriodMs?: number;
}

export interface ServiceEvents extends SessionEvents {
  modelState(state: ModelState): void;
  /** A live source of the session changed state (failed, stalled, retrying, capturing again). */
  sourceStatus?(status: SourceStatusParams): void;
  /** A live source's input level, about 10 a second. */
  inputLevel?(level: InputLevelParams): void;
  /** A mic segment was dropped: the mic heard the speakers (never carries text). */
  echoSuppressed?(sessionId: string, segmentId: string, score: number, final: boolean): void;
  /** The active session's degrade ladder changed rung. */
  degrade?(level: number, name: string): void;
  /** How each call of the opt-in language-model extraction at stop went (never carries transcript text). */
  refinement?(report: RefinementReport): void;
  /** The opt-in language-model extraction's progress (counts only). */
  extractionProgress?(progress: ExtractionProgressParams): void;
  /** A model download or load progressed (at most MODEL_PROGRESS_INTERVAL_MS apart, then done or failed). */
  modelProgress?(progress: ModelProgressParams): void;
  /** Crash recovery: an interrupted session was found at startup, resumed, or finalized by this daemon (never carries text). */
  recovery?(entry: { sessionId: string; action: 'found' | 'resumed' | 'finalized' | 'failed'; error?: string }): void;
  /** A retention pass deleted (or failed to delete) old session files. */
  retention?(result: PruneResult): void;
  /** Meeting memory left out a session journal it could not read (its id and the error's code; never its words). */
  memorySkipped?(sessionId: string, error: string): void;
  /** Meeting memory's meaning model could not be loaded or run (searches rank by words alone); never carries text. */
  memoryMeaningFailed?(message: string): void;
  /** The meaning model's vectors of a meeting could not be written beside its journal (once; searches still use them). */
  memoryVectorsNotKept?(message: string): void;
  /** A session's auto-stop changed state (service/autoStops.ts); carries the call app's name, no transcript. */
  autoStop?(state: AutoStopStateParams): void;
  /** The debug audio dump of a session's source could not be written (the session goes on without it). */
  debugAudioFailed?(sessionId: string, source: SourceKind, error: string): void;
}
