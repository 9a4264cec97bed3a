/**
 * What every session of this daemon is built with: the words whisper is primed with, the client's workspace index and
 * editor timeline (for mentions), the VAD and whisper models loaded before it starts, and the SessionConfig wiring
 * them to the service's events. Shared by a start and a resume; it makes no session and opens no source.
 */
import { AutoStopParams, EditorActivityParams, ErrorCodes, FilePace, LiveSourceKind, SourceKind, WorkspaceIndexParams } from '../../protocol/protocol';
import { EditorTimeline } from '../anchoring/editorTimeline';
import { annotateSegment, WorkspaceIndexHolder } from '../anchoring/segmentContext';
import { ModelLifecycle, ModelProgress } from '../asr/modelLifecycle';
import { BATCH_STREAMING_OPTIONS } from '../asr/streaming';
import { debugAudioPath, dumpingSource } from '../capture/debugAudio';
import { AudioSource } from '../capture/source';
import { ServiceError } from '../serviceError';
import { SessionConfig } from '../session/session';
import { SpeakerStages } from '../session/config';
import { VoiceModelLoader } from '../speakers/embedding';
import { SpeakerReidentifier } from '../speakers/reidentify';
import { SpeakerStage } from '../speakers/stage';
import { SegmentationModel } from '../speakers/segmentation';
import { SpectralReidentifier } from '../speakers/spectral';
import { readySpeakerModel } from '../models/voiceModel';
import { warmUpExtraction } from '../understanding/extract';
import { createSpeechDetector, vadConfig } from '../vad/config';
import { VadModelError } from '../vad/silero';
import { ModelExtractions } from './modelExtractions';
import { ServiceConfig, ServiceEvents } from './serviceConfig';
import { journalPathOf } from './storedSessions';
import { JournaledTemplate } from '../journal/journal';

/** What a start or a resume knows of its session; the rest of SessionConfig is the same for all. */
export interface SessionFacts {
  sessionId: string; title: string; language: string; startedAt: Date; sources: AudioSource[]; notesPath: string; dictation: boolean; resumed?: boolean;
  unlock?: () => Promise<void>;
  pace?: FilePace; audioFile?: string; devices?: Partial<Record<LiveSourceKind, string>>; speakers?: Partial<Record<LiveSourceKind, string>>;
  /** Tell the speakers within each source apart (default: the daemon's setting, on). */
  identifySpeakers?: boolean;
  /** The meeting's notes template (its prompts follow it too). */
  template?: JournaledTemplate;
  /** The call the meeting was started for (journaled; service/autoStops.ts watches it). */
  autoStop?: AutoStopParams;
}

export class SessionPipeline {
  private vocabulary = '';
  /** The client's workspace files and symbols, for the mentions in finals (built off the hot path). */
  private readonly workspaceIndex = new WorkspaceIndexHolder();
  /** What the user had open, for every session of this daemon (one may start long after a file was opened). */
  private readonly editorTimeline = new EditorTimeline();
  /** The downloaded voice model, found as each session is prepared (undefined: none; speakers are linked by overlap). */
  private voices: VoiceModelLoader | undefined;

  constructor(
    private readonly config: ServiceConfig, private readonly events: ServiceEvents,
    private readonly models: ModelLifecycle, private readonly extractions: ModelExtractions,
    /** Whether anyone reads partial transcripts now (EarshotService.partials). */
    private readonly partialsWanted: () => boolean = () => true,
  ) {}

  /** Replaces the words whisper is primed with (already validated and bounded). */
  setVocabulary(words: string[]): void {
    this.vocabulary = words.join(', ');
  }

  setWorkspaceIndex(params: WorkspaceIndexParams): void {
    this.workspaceIndex.set(params);
  }

  noteEditorActivity(params: EditorActivityParams): void {
    this.editorTimeline.note(params.location, params.at);
  }

  /**
   * Before a session starts: the VAD, then the whisper model, then an index sent just before the start (so the first
   * finals can link to it). The model loads off the JavaScript thread while the notes extraction warms up on it: its
   * first run costs ~180 ms, which the session's first final would otherwise wait for (warmUpExtraction).
   */
  async prepare(progress: ModelProgress | undefined, notes: boolean): Promise<void> {
    await this.loadVad();
    const loading = this.models.load(progress);
    if (notes) warmUpExtraction();
    await loading;
    await this.workspaceIndex.whenBuilt();
    if (notes) await this.findVoiceModel();
  }

  /** The voice model in the cache, if the user downloaded it (kept loaded across sessions while it is the same file). */
  private async findVoiceModel(): Promise<void> {
    const cacheDir = this.config.selection?.cacheDir;
    const ready = cacheDir ? await readySpeakerModel(cacheDir) : undefined;
    if (ready?.path !== this.voices?.path) this.voices = ready ? new VoiceModelLoader(ready.path, ready.model) : undefined;
  }

  /** The pipeline around a session, for a start and for a resume. */
  configFor(s: SessionFacts): SessionConfig {
    const { sessionId, startedAt, sources, dictation } = s;
    const vad = vadConfig(this.config.vad, dictation ? 'dictation' : 'meeting');
    // The opt-in model extraction runs while the meeting does (a dictation is never extracted).
    const extractChunks = dictation ? undefined : this.extractions.chunkRunnerFor(sessionId, { title: s.title, date: startedAt.toISOString(), ...(s.template ? { template: s.template } : {}) });
    if (dictation) this.extractions.dictationStarted(sessionId); // whisper works: a model finishing notes keeps off its core
    return {
      sessionId,
      title: s.title,
      ...(s.template ? { template: s.template } : {}),
      language: s.language,
      startedAt,
      ...(s.pace ? { pace: s.pace } : {}),
      ...(s.unlock ? { unlock: s.unlock } : {}),
      ...(s.devices ? { devices: s.devices } : {}),
      ...(s.speakers ? { speakers: s.speakers } : {}),
      ...(s.autoStop ? { autoStop: s.autoStop } : {}),
      // Audio is written to disk only when the user opted in to the debug dump.
      sources: this.config.debugSaveAudio && !s.resumed ? sources.map((source) => dumpingSource(source, debugAudioPath(this.config.storageDir, sessionId, source.kind),
        (e) => this.events.debugAudioFailed?.(sessionId, source.kind, e.message))) : sources,
      journalPath: journalPathOf(this.config.storageDir, sessionId),
      notesPath: s.notesPath,
      mode: dictation ? 'dictation' : 'meeting',
      decoder: {
        decode: (request) => this.models.decode(request), abortPartial: () => this.models.abortPartial(),
        decodeBeside: (request) => this.models.decodeBeside(request), abortBeside: () => this.models.abortBeside(),
        mainBusy: () => this.models.mainBusy(),
      },
      createDetector: () => createSpeechDetector(vad),
      segmenter: vad.segmenter,
      ...(this.config.degradeThresholds ? { degradeThresholds: this.config.degradeThresholds } : {}),
      ...(s.pace === 'fast' ? { streaming: BATCH_STREAMING_OPTIONS } : {}),
      vocabulary: () => this.vocabulary,
      partialsWanted: this.partialsWanted,
      onEchoSuppressed: (segmentId, score, final) => this.events.echoSuppressed?.(sessionId, segmentId, score, final),
      annotate: (segment) => annotateSegment(segment, startedAt, this.workspaceIndex.current, this.editorTimeline),
      onDegrade: (level, rung) => {
        this.events.degrade?.(level, rung.name);
        void this.models.useSmallerModel(rung.smallerModel === true);
      },
      ...(s.audioFile ? { audioFile: s.audioFile } : {}),
      ...(extractChunks ? { extractChunks } : {}),
      ...(!dictation && (s.identifySpeakers ?? this.config.identifySpeakers ?? true) ? { speakerStages: this.speakerStages() } : {}),
    };
  }

  /**
   * The speaker stages of a session: the shipped segmentation model, and a re-identifier per source that outlives the
   * source's stages (a voice heard before a long pause is known after it): the voice model's when one is downloaded
   * (models/voiceModel.ts, looked for as the session is prepared), else spectral statistics (speakers/spectral.ts).
   */
  private speakerStages(): SpeakerStages {
    const voices = this.voices;
    const bySource = new Map<SourceKind, Promise<SpeakerReidentifier>>();
    return {
      mode: voices ? 'voices' : 'overlap',
      create: async (source, firstNumber) => {
        if (!bySource.has(source)) bySource.set(source, voices ? voices.reidentifier() : Promise.resolve(new SpectralReidentifier()));
        return SpeakerStage.create({}, await bySource.get(source), firstNumber);
      },
      segment: async (window) => (await SegmentationModel.load()).run(window),
    };
  }

  /** A session ended: whisper no longer works for it (sessionEnded: the local model may take its core). */
  sessionEnded(sessionId: string): void {
    this.extractions.sessionEnded(sessionId);
  }

  /** The VAD model loads once (shared by every source's detector); without it nothing can be heard. */
  private async loadVad(): Promise<void> {
    try {
      await createSpeechDetector(vadConfig(this.config.vad));
    } catch (e) {
      throw new ServiceError(ErrorCodes.VadUnavailable, e instanceof VadModelError ? e.message : `Voice activity detection is unavailable: ${(e as Error).message}`);
    }
  }
}
