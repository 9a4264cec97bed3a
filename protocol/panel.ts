/**
 * Messages between the extension (extension/panel/panel.ts) and the side panel's webview (media/panel.ts), via
 * postMessage. Small and typed like the daemon protocol: the webview never receives HTML, only data it renders as
 * text, and it never names a file to open: it sends ids (a segment, a mention's index, an item) and the extension
 * looks up what they point at.
 */
import type {
  ActionItem, AutoStopState, CaptureState, Decision, ExtractionProgressParams, LiveSourceKind, ModelState, SessionMode, SessionState, SpeakersState, SummaryParams,
  TranscriptSegment,
} from './protocol';

/** A live source as the panel shows it: its state, what went wrong, and its input level for a meter. */
export interface PanelSource {
  source: LiveSourceKind;
  state: CaptureState;
  /** dBFS RMS of the last level window; null before the first. */
  rmsDbfs: number | null;
  message?: string;
}

/** An open question as the panel lists it; `id` is made up by the extension (stable for the same question). */
export interface PanelQuestion {
  id: string;
  text: string;
  speaker: string | null;
  t0: number;
}

/** The rolling summary and open questions as the panel shows them. */
export interface PanelSummary extends Pick<SummaryParams, 'final' | 'bullets' | 'points' | 'by' | 'settled' | 'unsettledReason' | 'parts'> {
  openQuestions: PanelQuestion[];
}

/** What the panel shows for one transcript line (finals may carry code links: mentions, and what was on screen). */
export type PanelSegment = Pick<TranscriptSegment, 'segmentId' | 'source' | 'speaker' | 't0' | 't1' | 'text' | 'final' | 'mentions' | 'viewing' | 'voice' | 'speakerPending' | 'speakerConfidence' | 'continues'>;

export interface PanelSession {
  sessionId: string;
  title: string;
  state: SessionState;
  startedAt: string;
  /** 'dictation': the panel says "Dictating" and shows no notes lists. */
  mode: SessionMode;
  /** Live sources paused now (the state stays 'streaming'). */
  paused: LiveSourceKind[];
  /** Whether the session writes a notes file ("Reveal in notes" needs one). */
  hasNotes: boolean;
  error?: string;
  /** How the session tells speakers apart (absent: it does not say); 'overlap' is said plainly, with the voice model's download. */
  speakers?: SpeakersState;
}

/**
 * Which machine listens (extension/remote/listeningPlace.ts): "Listening on this computer (<host>)"; `warning` set when
 * Earshot runs on a remote machine, whose audio is not the user's microphone.
 */
export interface PanelPlace {
  text: string;
  warning: string | null;
}

/** The speech model as the panel shows it: its state, and a download or load in progress. */
export interface PanelModel {
  /** The catalog id or the model file's name; null while unknown. */
  name: string | null;
  /** From the daemon's health reports; null before the first. */
  state: ModelState | null;
  /** What went wrong (a failed load or download), for the user. */
  error: string | null;
  /** A download, verification or load in progress; `fraction` null: no measure of how far (show an indeterminate bar). */
  progress: { phase: 'download' | 'verify' | 'load'; fraction: number | null; bytes?: number; totalBytes?: number } | null;
}

/**
 * Notes above the panel's content that the user can dismiss for good (extension/panel/panelNotes.ts says when each
 * shows): 'rules': the notes come from Earshot's rules alone (on real meetings they find under a third of the action
 * items, BENCHMARKS.md); 'macosAudio': on macOS, allow VS Code to record system audio before the first meeting;
 * 'modelOffer': after the first meeting that ended with no language model, the choice between downloading the local
 * notes model, a VS Code model (Copilot: the cloud), or the rules alone (its dismissal is "Keep rules only").
 */
export type PanelNote = 'rules' | 'macosAudio' | 'modelOffer';
export const PANEL_NOTES: readonly PanelNote[] = ['rules', 'macosAudio', 'modelOffer'];

/** The local notes model the 'modelOffer' note offers, and its download while it runs. */
export interface PanelModelOffer {
  /** The notes catalog id recommended for this machine. */
  modelId: string;
  name: string;
  bytes: number;
  licence: string;
  /** The download button's text, with the size ("Download the local model (1.1 GB)"). */
  label: string;
  /** The download in progress (fraction null: being checked), or null. */
  download: { fraction: number | null } | null;
}

/** What the user chose in the 'modelOffer' note (besides "Keep rules only", its dismissal). */
export type ModelOfferChoice = 'download' | 'vscodeLm';
export const MODEL_OFFER_CHOICES: readonly ModelOfferChoice[] = ['download', 'vscodeLm'];

/**
 * A meeting started for a call, as its auto-stop stands (the daemon's AutoStopNotification): 'countdown' shows "Stopping
 * in 12 s — the call ended" with Cancel, the other states a line of small text.
 */
export interface PanelAutoStop {
  state: AutoStopState;
  /** The call app's name as shown (extension/calls/appNames.ts: inert). */
  app: string;
  /** ISO 8601, with 'countdown': when the meeting stops. */
  stopsAt?: string;
  /** The daemon's fixed words: why the state changed. */
  reason: string;
}

/** The panel's lists of notes. */
export type ItemList = 'actionItems' | 'decisions' | 'openQuestions';
export const ITEM_LISTS: readonly ItemList[] = ['actionItems', 'decisions', 'openQuestions'];

/**
 * What a list entry's buttons do: insert its text at every cursor of the active editor, copy it, select it in the
 * session's notes file, tick/untick it (action items only), add it as a TODO comment at a code location, or restore
 * one the opt-in language model dismissed (shown struck through with the model's reason), or write a decision as an
 * Architecture Decision Record in the workspace (decisions only: earshot.writeDecisionRecord).
 */
export type ItemAction = 'insert' | 'copy' | 'reveal' | 'toggleDone' | 'todo' | 'restore' | 'adr';
export const ITEM_ACTIONS: readonly ItemAction[] = ['insert', 'copy', 'reveal', 'toggleDone', 'todo', 'restore', 'adr'];

/** Extension → webview. */
export type ToPanel =
  /** Everything to show, sent when the webview (re)loads and when a new session starts. */
  | {
    type: 'snapshot'; session: PanelSession | null; segments: PanelSegment[]; actionItems: ActionItem[]; decisions: Decision[];
    /** The language-model extraction while it runs (a webview loaded or reloaded meanwhile shows it too). */
    extraction?: ExtractionProgressParams | null;
    summary: PanelSummary | null; sources: PanelSource[]; model: PanelModel | null; notes: PanelNote[];
    /** What the 'modelOffer' note offers (absent or null: not known yet). */
    modelOffer?: PanelModelOffer | null;
    /** Which machine listens (absent or null: not known yet). */
    place?: PanelPlace | null;
    /** The session's auto-stop (absent or null: it was not started for a call). */
    autoStop?: PanelAutoStop | null;
  }
  /** Which machine listens. */
  | { type: 'place'; place: PanelPlace }
  /** The live sources changed state or level (coalesced: at most about 10 times a second). */
  | { type: 'sources'; sources: PanelSource[] }
  | { type: 'summary'; summary: PanelSummary }
  | { type: 'session'; session: PanelSession }
  /** A new or replaced line; an empty final removes the line. */
  | { type: 'segment'; segment: PanelSegment }
  | { type: 'actionItem'; item: ActionItem }
  | { type: 'decision'; decision: Decision }
  | { type: 'model'; model: PanelModel }
  /** A short confirmation or problem after an action ("Copied."), shown in the panel's status line. */
  | { type: 'notice'; text: string; level: 'info' | 'warning' | 'error' }
  /** The opt-in language-model extraction's progress ("chunk 3 of 8", with Cancel while it runs); null: hide it. */
  | { type: 'extraction'; progress: ExtractionProgressParams | null }
  /** The dismissible notes to show now (the others are hidden). */
  | { type: 'notes'; notes: PanelNote[] }
  /** The model the 'modelOffer' note offers, and its download's progress. */
  | { type: 'modelOffer'; offer: PanelModelOffer | null }
  /** The session's auto-stop changed state. */
  | { type: 'autoStop'; autoStop: PanelAutoStop | null };

/** Webview → extension. */
export type FromPanel =
  | { type: 'ready' }
  | { type: 'command'; command: PanelCommand }
  | { type: 'itemAction'; action: ItemAction; list: ItemList; id: string }
  /** Open what the segment's `mentions[index]` points at (a quick pick when it has alternatives). */
  | { type: 'openMention'; segmentId: string; index: number }
  /** Open what the user had on screen when the segment was spoken (its `viewing`). */
  | { type: 'openViewing'; segmentId: string }
  /** Pause or resume one live source of the current session. */
  | { type: 'toggleSource'; source: LiveSourceKind; paused: boolean }
  /** Retry a failed live source now. */
  | { type: 'retrySource'; source: LiveSourceKind }
  /** Do not show this note again. */
  | { type: 'dismissNote'; note: PanelNote }
  /** A choice in the 'modelOffer' note. */
  | { type: 'modelOffer'; choice: ModelOfferChoice }
  /** Rename the voice of this line (its speaker); the extension asks for the name. */
  | { type: 'renameSpeaker'; segmentId: string };

/** Commands the panel's buttons run (each is also an `earshot.*` VS Code command). */
export type PanelCommand =
  | 'startMeetingNotes' | 'stop' | 'transcribeFile' | 'pause' | 'resume' | 'downloadModel' | 'chooseMicrophone' | 'chooseSystemAudioSource'
  | 'toggleDictation' | 'cancelExtraction' | 'chooseLanguageModel' | 'openSystemAudioSettings' | 'downloadSpeakerModel' | 'cancelAutoStop';
export const PANEL_COMMANDS: readonly PanelCommand[] = [
  'startMeetingNotes', 'stop', 'transcribeFile', 'pause', 'resume', 'downloadModel', 'chooseMicrophone', 'chooseSystemAudioSource', 'toggleDictation',
  'cancelExtraction', 'chooseLanguageModel', 'openSystemAudioSettings', 'downloadSpeakerModel', 'cancelAutoStop',
];
