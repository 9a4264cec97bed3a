/**
 * The Earshot protocol: every custom JSON-RPC message between the extension (client) and the daemon
 * (server), one constant per method with its params and result beside it. Both sides import this
 * file; nothing else defines a method name.
 *
 * Standard LSP messages are used where they fit:
 * - `initialize`: the client sends {@link InitializationOptions} (with {@link PROTOCOL_VERSION}); the
 *   server answers with {@link EarshotServerCapabilities} under `capabilities.experimental.earshot`.
 *   A different protocol version is refused with a clear error by whichever side notices.
 * - `$/progress` with a work-done token: model loading.
 * - `window/showMessage`: errors a person must see; `window/logMessage`: logs.
 */
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';

/** Bumped on any incompatible change to the messages below. */
export const PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// Shared vocabulary

/** Where audio comes from. `file` is an audio file decoded and fed through the live pipeline. */
export type SourceKind = 'mic' | 'system' | 'file';
export const SOURCE_KINDS: readonly SourceKind[] = ['mic', 'system', 'file'];
/** The sources that record from a device, live. */
export type LiveSourceKind = Exclude<SourceKind, 'file'>;

/** IDLE → STREAMING → STOPPING → FINALIZING → DONE. A session never goes back. */
export type SessionState = 'idle' | 'streaming' | 'stopping' | 'finalizing' | 'done';

/** How a file source is fed: at the speed it was recorded, or as fast as the pipeline takes it. */
export type FilePace = 'realtime' | 'fast';

/** One piece of transcript. Times are seconds on the capture clock, from the session's start. */
export interface TranscriptSegment {
  sessionId: string;
  /** Stable per utterance: a partial and the final that replaces it share the id. */
  segmentId: string;
  source: SourceKind;
  /**
   * Who spoke: the voice's name where the speaker stage tells the voices of the source apart ("Speaker 2", numbered per
   * source, or the name the user gave it with {@link SpeakerRename}; the microphone's main voice is its label, "You"),
   * else the source's label ("You", "Others", or a file's name). A final's speaker may change after it was sent (the
   * stage heard its audio later, re-identified a voice, or the user renamed one): the change is journaled, then
   * announced by {@link TranscriptRelabel} with the final as it is now (same segmentId; its text never changes).
   */
  speaker: string;
  /**
   * Finals only: the voice within the source that the speaker stage heard ("Speaker 2"): what {@link SpeakerRename}
   * names. Absent when speakers are not told apart (off, a dictation, the microphone of a call) or no turn covers it.
   */
  voice?: string;
  /**
   * Finals with a `voice` only: how sure the speaker stage is of it, 0–1 (issue 57). 1: only that voice's turns cover
   * the line's speech; lower: the line's speech is shared with other voices, or the stage only half-heard it (its
   * scores below its decision), or no turn covers it and the voice is the nearest turn's (at most 0.5, less the
   * farther that turn is). A client may show a voice under 0.5 faintly. Absent from daemons before it.
   */
  speakerConfidence?: number;
  /**
   * Finals only: the speaker stage has not heard this final's audio yet (it runs about 5–15 s behind the audio); its
   * speaker follows in a {@link TranscriptRelabel}. Never journaled.
   */
  speakerPending?: boolean;
  t0: number;
  t1: number;
  text: string;
  /**
   * false: a partial that will be replaced; true: journaled, its text never changes again (its speaker may: see
   * {@link TranscriptRelabel}). A final with empty text retracts the partials of that segment (the audio held no words,
   * or a partial of speech that then turned out to be a breath or a click) and is not
   * journaled; its segment id may come again for the speech that follows.
   */
  final: boolean;
  /**
   * The segment of the same source this one goes on from: the speaker paused long enough for its final to be sent
   * (the early end, issue 60) but spoke again within the hangover, so it is the same turn. A client shows it on the
   * line of that segment when both have the same speaker (the notes do). Absent: a segment of its own. Journaled.
   */
  continues?: string;
  /**
   * Finals only: workspace files and symbols the text mentions (matched against the last
   * {@link WorkspaceIndexNotification}); absent when none. Journaled with the segment.
   */
  mentions?: SegmentMention[];
  /** Finals only: what the user had open in the editor when the segment was spoken (see {@link EditorActivityNotification}). */
  viewing?: EditorLocation;
}

/** A span of a segment's text that names a workspace file or symbol. */
export interface SegmentMention {
  /** UTF-16 offsets into the segment's text: text.slice(start, end) is what was said. */
  start: number;
  end: number;
  target: MentionTarget;
  /** Other plausible targets, best first (at most a few) when the words fit more than one. */
  alternatives?: MentionTarget[];
}
export interface MentionTarget {
  kind: 'file' | 'symbol';
  /** Workspace-relative, with `/`. */
  path: string;
  /** 1-based; symbols only. */
  line?: number;
  /** The symbol's name; symbols only. */
  name?: string;
}

/** A place in the workspace the user was looking at. */
export interface EditorLocation {
  /** Workspace-relative, with `/`. */
  path: string;
  /** 1-based, inclusive: the selection's lines, or the cursor's line when nothing is selected. */
  startLine: number;
  endLine: number;
}

/** A finalized segment as kept in the journal and returned by `earshot/session/stop`. */
export type FinalSegment = Omit<TranscriptSegment, 'sessionId' | 'final'>;

export interface ActionItem {
  sessionId: string;
  /** Stable across refinements of the same item. */
  id: string;
  /** Increases each time the item is refined; a client keeps the highest. */
  revision: number;
  text: string;
  owner: string | null;
  /** ISO date (YYYY-MM-DD) when one was said, else null. */
  due: string | null;
  /** The words that gave the due date ("by Friday"). */
  duePhrase: string | null;
  segmentId: string;
  t0: number;
  /** Set on the revision that withdraws the item (declined, merged into another, or withdrawn by its speaker). */
  removed?: boolean;
  /** The user ticked it (panel "Mark done" or {@link ActionItemSetDone}); the notes' task list shows `- [x]`. */
  done?: boolean;
  /**
   * Set on a revision written by the opt-in refinement at stop (see {@link Refine}): the model that wrote it. An item
   * the model added has an empty segmentId and t0 at the end of the meeting (no sentence of the transcript is its source).
   */
  refinedBy?: string;
  /**
   * Set (with `removed`) on the revision by which the opt-in language model dismissed a rule-based item as not an
   * action item: the model and its reason. Such an item is shown as dismissed (never silently deleted) and
   * {@link ItemRestore} brings it back.
   */
  dismissed?: ItemDismissal;
  /** Set on the revision by which the user restored a dismissed item: a later model pass leaves it alone. */
  restored?: boolean;
  /**
   * Set (with `refinedBy`) on the revision by which the opt-in language model rewrote a rule-based item (its text, owner
   * or due date): the model and the item as it read before. {@link ItemRestore} undoes it (the words before, `restored`).
   */
  rewritten?: ItemRewrite;
}

/** A rule-based action item the opt-in language model rewrote: who, and what the item said before. */
export interface ItemRewrite {
  by: string;
  was: { text: string; owner: string | null; due: string | null };
}

/** Why the opt-in language model dismissed a rule-based item. */
export interface ItemDismissal {
  /** The model that dismissed it. */
  by: string;
  /** Its reason, one line (at most 200 characters). */
  reason: string;
}

/** decision: what was agreed; deferral: put off until later ("we'll revisit X after the demo"); negative: what will not be done. */
export type DecisionKind = 'decision' | 'deferral' | 'negative';

/**
 * Where a decision stands: decided by the group; left open (put off to later: a deferral's standing); or given to the
 * team, a requirement or constraint from outside it ("TV only", "use the corporate colours").
 */
export type DecisionStanding = 'decided' | 'open' | 'given';
export const DECISION_STANDINGS: readonly DecisionStanding[] = ['decided', 'open', 'given'];

/** A decision's standing; one journaled before standings existed has none (nor a valid one): a deferral is open, the others decided. */
export const decisionStanding = (d: { kind?: DecisionKind; standing?: DecisionStanding }): DecisionStanding =>
  d.standing && DECISION_STANDINGS.includes(d.standing) ? d.standing : d.kind === 'deferral' ? 'open' : 'decided';

/** One standing of a decision, from the line (and its time) that gave it it. */
export interface StandingStep { standing: DecisionStanding | 'dropped'; segmentId: string; t0: number }

const STEP_WORDS: Record<StandingStep['standing'], string> = { open: 'left open', decided: 'decided', given: 'given to the team', dropped: 'dropped' };
/**
 * A decision's standings through the meeting in words: "left open at 12:03, decided at 31:40" (`clock`: seconds as
 * shown). Only known standings at a number of seconds: a journal's own words never reach the notes this way.
 */
export const standingHistoryWords = (history: readonly StandingStep[], clock: (seconds: number) => string): string =>
  history.filter((h) => Object.hasOwn(STEP_WORDS, h.standing) && Number.isFinite(h.t0)).map((h) => `${STEP_WORDS[h.standing]} at ${clock(h.t0)}`).join(', ');

export interface Decision {
  sessionId: string;
  /** Stable across refinements; the highest revision wins, as for action items. */
  id: string;
  revision: number;
  text: string;
  kind: DecisionKind;
  /** Absent in journals written before standings: {@link decisionStanding} derives it from the kind. */
  standing?: DecisionStanding;
  segmentId: string;
  t0: number;
  /** Set on the revision that withdraws the decision (reversed, or it turned out to be something else). */
  removed?: boolean;
  /** As for action items: the model of the opt-in refinement that wrote this revision. */
  refinedBy?: string;
  /** As for action items: dismissed by the opt-in language model (with `removed`), or restored by the user. */
  dismissed?: ItemDismissal;
  restored?: boolean;
  /**
   * Set (with `refinedBy`) on the revision by which the opt-in language model rewrote a rule-based decision (its text,
   * standing or kind): the model and the decision as it read before. {@link ItemRestore} undoes it.
   */
  rewritten?: DecisionRewrite;
  /**
   * Where the decision stood through the meeting, oldest first, when a later part of it changed its standing (prompt
   * v7: "left open at 12:03, decided at 31:40"); absent when it never changed. `dropped`: a later line undid it.
   */
  standingHistory?: StandingStep[];
}

/** A rule-based decision the opt-in language model rewrote: who, and what the decision said before. */
export interface DecisionRewrite {
  by: string;
  was: { text: string; kind: DecisionKind; standing: DecisionStanding };
}

export type ModelState = 'uninitialized' | 'loading' | 'warming_up' | 'ready' | 'error';

// ---------------------------------------------------------------------------------------------
// initialize

export interface InitializationOptions {
  protocolVersion: number;
  /**
   * `earshot daemon --listen` only: the token the daemon wrote to `<storage>/daemon.token`. The first message on a TCP
   * connection must be an `initialize` carrying it; otherwise it is answered Unauthorized and the connection is closed.
   * Not needed on stdio.
   */
  authToken?: string;
  /** Folder for journals and the daemon's own state (the extension passes its global storage). */
  storageDir?: string;
  /** Folder where session notes (Markdown) are written; usually `<workspace>/.earshot/notes`. */
  notesDir?: string;
  /** Path of a ggml whisper model file (the offline path): wins over modelId. */
  modelPath?: string;
  /** Catalog model to use (see `earshot/model/list`); absent: chosen from the machine's capabilities. */
  modelId?: string;
  /** Folder for downloaded models; default `<storageDir>/models`. */
  modelCacheDir?: string;
  /** An https base URL that serves whisper.cpp's model files (an organization's mirror); files are still sha256-checked. */
  modelMirror?: string;
  /**
   * A GGUF language model file for writing the notes on this machine (earshot.notes.model.path): a model the user
   * already has, used as is and offline, in place of a catalog notes model (see {@link NotesModelList}). Absolute.
   */
  notesModelPath?: string;
  /** Spoken language, e.g. "en". Always passed to whisper: "auto" costs a second encoder pass. */
  language?: string;
  /** Whisper threads; default: one less than the cores (the editor needs one), at most 8. */
  threads?: number;
  /** Run whisper on the GPU (Metal on Apple Silicon; CUDA with a CUDA build). Default: on with Metal, else off. */
  gpu?: boolean;
  /** Voice activity detection: a named profile, optionally with explicit values. */
  vad?: VadSettings;
  /** Seconds after the last session before the model is freed (reloaded on demand); 0 = keep it. */
  modelIdleUnloadSec?: number;
  /** Opt-in language-model extraction over the whole meeting at stop; absent or provider 'off': none (the default). */
  enhancement?: EnhancementSettings;
  /**
   * Data retention: session journals and the daemon's per-session caches older than this many days are deleted at
   * startup and then daily (0–3650; 0 or absent = keep forever). Notes files in the workspace are the user's and are
   * never deleted, nor are downloaded models.
   */
  retentionDays?: number;
  /**
   * Debug dump, off by default: when true, each session's captured audio (every source, 16 kHz mono 16-bit WAV, times
   * on the capture clock) is written to `<storageDir>/debug-audio/<sessionId>-<source>.wav`, for bug reports. Without
   * it no audio is written anywhere. Deleted by retention and by {@link DataDelete} like the journals.
   */
  debugSaveAudio?: boolean;
  /**
   * Sessions found interrupted at startup (their daemon died: see {@link SessionInterrupted}) that nobody resumes or
   * stops within this many seconds are finalized by the daemon (0–3600, default {@link DEFAULT_INTERRUPTED_GRACE_SEC}; 0: at once).
   */
  interruptedGraceSec?: number;
}
export const DEFAULT_INTERRUPTED_GRACE_SEC = 120;

/**
 * Who refines the notes at stop. 'off' (the default): nobody, the notes stay extractive and nothing leaves the
 * daemon. 'vscode-lm': the daemon sends {@link Refine} to the client, which asks a VS Code Language Model API model
 * (that model may run off the machine, e.g. Copilot). 'openai-compatible': the daemon itself POSTs the request to
 * `${endpoint}/v1/chat/completions` (e.g. Ollama on localhost). 'local': a GGUF model ({@link EnhancementSettings.model})
 * run by the daemon in a process of its own on this machine (node-llama-cpp), each answer generated under a grammar
 * that allows only the chunk's segment ids: nothing leaves the machine.
 */
export type EnhancementProvider = 'off' | 'vscode-lm' | 'openai-compatible' | 'local';
export const ENHANCEMENT_PROVIDERS: readonly EnhancementProvider[] = ['off', 'vscode-lm', 'openai-compatible', 'local'];

export interface EnhancementSettings {
  provider: EnhancementProvider;
  /**
   * 'openai-compatible' (required there): an http(s) base URL such as `http://127.0.0.1:11434` (a trailing `/v1` is
   * accepted). Only loopback hosts (localhost, 127.x, ::1) unless `allowRemote` is true: another host receives the
   * transcript.
   */
  endpoint?: string;
  /**
   * The model: for 'openai-compatible' the `model` of the request (e.g. "llama3.1:8b"); for 'vscode-lm' a family or id to
   * prefer; for 'local' the absolute path of a GGUF model file (at most 4096 characters).
   */
  model?: string;
  /**
   * How long one model call (one chunk of the meeting) may take, in seconds (1–300, default
   * {@link DEFAULT_ENHANCEMENT_TIMEOUT_SEC}); a call that takes longer is aborted and retried with backoff. A summary's
   * call gets as much more as its answer may be longer than a chunk's (providers.ts timeLimitFor: a settle up to 2.84×).
   */
  timeoutSec?: number;
  /** Allow an endpoint that is not on this machine (the transcript leaves it). Default false. */
  allowRemote?: boolean;
  /** Model calls at once (1–8, default {@link DEFAULT_ENHANCEMENT_CONCURRENCY}). */
  maxConcurrency?: number;
  /**
   * Tokens (estimated from characters: about 4 a token, prompts and answers, retries included) one meeting may spend
   * (1,000–2,000,000, default {@link DEFAULT_ENHANCEMENT_TOKEN_BUDGET}). When the next chunk would not fit, no more
   * chunks are sent and the progress says so; what was extracted so far is kept.
   */
  tokenBudget?: number;
  /**
   * Characters of transcript per chunk (1,000–100,000, default {@link DEFAULT_CHUNK_CHARS}: fits small local models'
   * context); package.json's `earshot.enhancement.chunkCharacters`.
   */
  chunkChars?: number;
  /**
   * Prompt v7 (issue 56): each part of the meeting is read with what the parts before it noted, so that a decision or
   * item is listed once and a later part may change a decision's standing; the parts then go one at a time, in order.
   * Default {@link CARRY_NOTES_DEFAULT}.
   */
  carryNotes?: boolean;
  /**
   * With carried notes: at the end of a meeting, one more call reads the final decisions and action items alone and
   * folds each entry that only says again what another says into it (issue 56). Default {@link CHECK_RESTATEMENTS_DEFAULT}.
   */
  checkRestatements?: boolean;
  /**
   * With carried notes: at the end of a meeting, one more call reads each final decision with the lines it was noted
   * from and drops those the lines show the group did not reach: the meeting's own running (its agenda, private
   * session, papers noted, who chairs), a proposal nobody settled, one person's own plan or report (issue 56; the
   * decision check, procedureCheck.ts's prompt v2). Default {@link CHECK_PROCEDURE_DEFAULT}.
   */
  checkProcedure?: boolean;
  /**
   * With carried notes: at the end of a meeting, one more call reads the action items still without an owner, each with
   * the lines it was noted from, and names the one speaker each was given to (issue 56). Default {@link CHECK_OWNERS_DEFAULT}.
   */
  checkOwners?: boolean;
  /**
   * At the end of a meeting, once its summary is settled: one more call reads the settled points beside the final
   * decisions and writes again each point that states a decision's standing otherwise than the list (issue 56; the
   * standing check, standingCheck.ts). Default {@link CHECK_STANDINGS_DEFAULT}.
   */
  checkStandings?: boolean;
}
export const DEFAULT_ENHANCEMENT_TIMEOUT_SEC = 20;
/**
 * Whether the meeting's parts carry what the parts before them noted (prompt v7) when the settings do not say: the one
 * default of the daemon, the extension (package.json's `earshot.enhancement.carryNotes` must say the same: the settings
 * manifest test checks it) and every client.
 */
export const CARRY_NOTES_DEFAULT = true;
/**
 * Whether the final lists are checked for restatements at a meeting's end (with carried notes): the daemon's, the
 * extension's (package.json's `earshot.enhancement.checkRestatements`) and `earshot notes`' default. On since 2026-12-01,
 * when a fold was held to entries of one standing (docs/benchmarks/notes-quality.md, "the restatement check on by default").
 */
export const CHECK_RESTATEMENTS_DEFAULT = true;
/**
 * Whether the final decisions are checked against their lines at a meeting's end (with carried notes): the daemon's, the
 * extension's (package.json's `earshot.enhancement.checkProcedure`) and `earshot notes`' default. On since 2026-11-30
 * (docs/benchmarks/notes-quality.md, "a decision check at stop").
 */
export const CHECK_PROCEDURE_DEFAULT = true;
/**
 * Whether the items still without an owner are checked at a meeting's end (with carried notes): the daemon's, the
 * extension's (package.json's `earshot.enhancement.checkOwners`) and `earshot notes`' default.
 */
export const CHECK_OWNERS_DEFAULT = true;
/**
 * Whether the settled summary is checked against the final decisions' standings: the daemon's, the extension's
 * (package.json's `earshot.enhancement.checkStandings`) and `earshot notes`' default (docs/benchmarks/notes-quality.md,
 * "the standing check of the settled summary").
 */
export const CHECK_STANDINGS_DEFAULT = true;
/** Whether these settings check the settled summary against the final decisions' standings. */
export const checksStandings = (settings: EnhancementSettings): boolean => settings.checkStandings ?? CHECK_STANDINGS_DEFAULT;
/** Whether these settings check the items without an owner at stop (only with carried notes). */
export const checksOwners = (settings: EnhancementSettings): boolean => carriesNotes(settings) && (settings.checkOwners ?? CHECK_OWNERS_DEFAULT);
/** Whether these settings check the final decisions against their lines at stop (only with carried notes). */
export const checksProcedure = (settings: EnhancementSettings): boolean => carriesNotes(settings) && (settings.checkProcedure ?? CHECK_PROCEDURE_DEFAULT);
/** Whether these settings check the final lists for restatements (only with carried notes). */
export const checksRestatements = (settings: EnhancementSettings): boolean => carriesNotes(settings) && (settings.checkRestatements ?? CHECK_RESTATEMENTS_DEFAULT);
/** Whether these settings carry the notes from part to part (prompt v7). */
export const carriesNotes = (settings: EnhancementSettings): boolean => settings.carryNotes ?? CARRY_NOTES_DEFAULT;
export const DEFAULT_ENHANCEMENT_CONCURRENCY = 2;
export const DEFAULT_ENHANCEMENT_TOKEN_BUDGET = 200_000;
/** Characters of transcript in one chunk a model reads (EnhancementSettings.chunkChars). */
export const DEFAULT_CHUNK_CHARS = 6000;
/** Whether `n` is a chunk size the daemon takes (1,000–100,000 characters): the settings, the CLI and validate.ts ask it. */
export const chunkCharsInRange = (n: number): boolean => Number.isFinite(n) && n >= 1000 && n <= 100_000;

export interface VadSettings {
  /** 'default', or 'sensitive' for quiet headsets and soft voices. */
  profile?: 'default' | 'sensitive';
  /** Speech probability that starts speech (0–1). */
  onThreshold?: number;
  /** Probability under which speech is over (0–1, at most onThreshold). */
  offThreshold?: number;
  /** Silence that ends an utterance, in ms. */
  hangoverMs?: number;
}

export interface EarshotServerCapabilities {
  protocolVersion: number;
  /** The daemon's package version. */
  version: string;
  /** The daemon's process id, for diagnostics. */
  pid: number;
}

/**
 * A session's transcript, items and decisions in an export format, read from its journal (a running session exports
 * what is final so far). Sessions are found by id in the daemon's storage, also from earlier runs.
 */
export const SessionExport = new RequestType<SessionExportParams, SessionExportResult, void>('earshot/session/export');
export type ExportFormat = 'md' | 'json' | 'srt' | 'vtt' | 'txt';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['md', 'json', 'srt', 'vtt', 'txt'];
export interface SessionExportParams {
  sessionId: string;
  format: ExportFormat;
}
export interface SessionExportResult {
  text: string;
  /** A file name for it: the notes file's name with the format's extension. */
  fileName: string;
}

/**
 * Deletes what the daemon keeps in its storage folder: session journals and per-session caches (`sessions/`), debug
 * audio (`debug-audio/`) and, with includeModels, the catalog models in the model cache when that cache lies inside the
 * storage folder. Notes files are the user's documents and are never deleted (nor is anything outside the storage
 * folder: symbolic links are removed as links, never followed). A session another daemon (another window sharing the
 * storage) holds open is kept whole and listed in `kept`. Refused with SessionAlreadyRunning while this daemon's
 * session records, and with RequestFailed while a model downloads (includeModels). Answers what was deleted.
 */
export const DataDelete = new RequestType<DataDeleteParams, DataDeleteResult, void>('earshot/data/delete');
export interface DataDeleteParams {
  includeModels?: boolean;
}
export interface DataDeleteCount {
  /** Files (and symbolic links) deleted. */
  files: number;
  bytes: number;
}
export interface DataDeleteResult {
  /** The storage folder (nothing outside it was touched). */
  storageDir: string;
  journals: DataDeleteCount;
  /** Everything else in `sessions/`: the daemon's per-session caches. */
  sessionCaches: DataDeleteCount;
  debugAudio: DataDeleteCount;
  /** Catalog model files, partial downloads and their verification marks, and the system prompts the notes models keep read (zero without includeModels). */
  models: DataDeleteCount;
  /** Bytes freed in all. */
  bytes: number;
  /** Symbolic links found inside the storage folder: each was removed as a link; what it points to was not touched. */
  linksNotFollowed: { path: string; target: string }[];
  /** What was kept, and why (models outside the storage folder, entries that could not be deleted). */
  kept: { path: string; reason: string }[];
}

// ---------------------------------------------------------------------------------------------
// Meeting memory: every stored session, searchable (the chat participant, the Action items view, `earshot ask/todo`)

/**
 * Finds the passages of stored meetings (every session in this daemon's storage, the running one's finals included)
 * that best answer a question: lexical ranking (BM25) of each meeting's topical blocks, of the final segments and notes
 * entries (action items, decisions, summary points) in them and of the whole meeting, a speaker the question names
 * weighed; each passage is the best lines of one block. The index follows the journals: a session is indexed as its
 * segments are journaled, dropped with Delete All Data and with retention, and rebuilt from the journals at start-up
 * (so a crash loses nothing of it). Nothing leaves the daemon: it is the client that may hand passages to a model.
 */
export const MemorySearch = new RequestType<MemorySearchParams, MemorySearchResult, void>('earshot/memory/search');
export interface MemorySearchParams {
  query: string;
  /** Passages to answer (default 5, at most 50). */
  limit?: number;
  /** Only these sessions (default: all). */
  sessionIds?: string[];
  /** ISO dates (inclusive): only meetings that started in the range. */
  since?: string;
  until?: string;
  /**
   * The session the user has open (its notes file is the active editor; else the meeting under way): its best passages
   * (at most 3, each scoring by its words at least a quarter of the best passage's) come first, the others in their
   * places. Unknown or filtered out: ignored.
   */
  viewing?: string;
  /**
   * Segments each side of a hit's turn to include (at most 5). Default: none fixed; the lines of the hit's topical block
   * around it.
   */
  neighbours?: number;
}
export interface MemorySearchResult {
  passages: MemoryPassage[];
  /** Sessions in the index, and final segments in them (so a client can say "searched 12 meetings"). */
  sessions: number;
  segments: number;
  /** The meaning model's part in this search; absent when none is downloaded (words alone ranked). */
  meaning?: MemoryMeaning;
}
/**
 * The meaning model (kind 'memory') in a search: its ranking of the meetings' topical blocks is fused with the words'
 * for the `embedded` of the `blocks` it has read so far (the others are read in the background, from the first search
 * after the download or after new meetings).
 */
export interface MemoryMeaning {
  /** Its catalog id. */
  model: string;
  blocks: number;
  embedded: number;
  /** It could not be loaded or run: why (the search ranked by words alone). */
  error?: string;
}
/** A hit and the turns around it, from one meeting. */
export interface MemoryPassage {
  meeting: MemoryMeeting;
  /** Higher is better; comparable within one result. */
  score: number;
  /**
   * What matched: a transcript segment, or a notes entry (its text, and the segment it came from; a summary point's id
   * is `summary-N`, N its place in the notes' summary from 0).
   */
  hit: { kind: 'segment' | 'actionItem' | 'decision' | 'summary'; id: string; text: string };
  /**
   * Lines in meeting order around the hit, cut to at most {@link MEMORY_PASSAGE_MAX_LINES} lines and
   * {@link MEMORY_PASSAGE_MAX_CHARS} characters of text: those of the hit's topical block (a stretch of the meeting about
   * one thing), or with `neighbours` given, the hit's whole turn and that many segments each side.
   */
  lines: MemoryLine[];
}
/**
 * A passage's lines at most: one speaker label can cover a whole meeting ("You" in a meeting recorded by the microphone
 * alone), so a whole turn is no bound. 12 segments is about a minute of speech: the hit with its neighbours
 * (MAX_NEIGHBOURS is 5 each side) and a short turn around it.
 */
export const MEMORY_PASSAGE_MAX_LINES = 12;
/**
 * A passage's characters of text at most (the hit's own line always in): about 1k tokens, so @earshot's 8 passages stay
 * under 10k. Twelve whisper segments seldom reach it; it binds on transcripts whose lines are whole turns. On QMSum's
 * (BENCHMARKS.md, issue 31) 2,000 cost a point of span recall, 4,000 a tenth of one.
 */
export const MEMORY_PASSAGE_MAX_CHARS = 4_000;
/**
 * What a prompt to a language model carries of meetings at most: numbered lines, and characters of them as the prompt
 * shows them (number, meeting, time, speaker, text), counted by textSize.ts promptChars: about 4 a token in any
 * language (a CJK character counts as 4). The first lines (best ranked, or a
 * recap's first) are taken until either is reached. Every prompt with meeting text has one: @earshot's answers and
 * recaps, `earshot ask --llm-endpoint`.
 */
export interface PromptBound {
  lines: number;
  chars: number;
}
/**
 * A question: 120 lines is the 8 passages @earshot asks for, each its hit and about 7 lines either side (a minute or
 * two of talk around it); 24,000 characters (~6k tokens) fit, with the instructions and the answer, in the context of
 * the smallest chat models.
 */
export const MEMORY_ASK_BOUND: PromptBound = { lines: 120, chars: 24_000 };
/**
 * A hit's own line at most (a passage keeps it whole otherwise, however long): what a question's prompt could carry
 * of it anyway. Long enough for the longest turns of real transcripts (QMSum's speeches: a cut at
 * MEMORY_PASSAGE_MAX_CHARS changed what the recorded model answers were given), short enough that a 2 MB line does not
 * come back whole, twice (review 2, S10).
 */
export const MEMORY_HIT_LINE_MAX_CHARS = MEMORY_ASK_BOUND.chars;
/**
 * A recap: the meeting from its start, 600 lines (about an hour of talk) and 80,000 characters (~20k tokens), what
 * current chat models take with room for the answer; a longer meeting is cut and the prompt says so.
 */
export const MEMORY_RECAP_BOUND: PromptBound = { lines: 600, chars: 80_000 };
/** A stored meeting, as memory names it. */
export interface MemoryMeeting {
  sessionId: string;
  title: string;
  /** ISO time the meeting started. */
  startedAt: string;
  /** The notes file (absolute), '' for none (a dictation, or it was never written). */
  notesPath: string;
  /** Seconds captured, null while the meeting runs or when it never ended. */
  durationSec: number | null;
}
/** One final segment, with where to open it. */
export interface MemoryLine {
  segmentId: string;
  /** 1-based index of the segment among the meeting's final segments (what `earshot ask --json` calls `line` for a journal). */
  index: number;
  speaker: string;
  t0: number;
  t1: number;
  text: string;
  /** 1-based line of this segment in the notes file's Transcript section; absent when the notes file lacks it. */
  notesLine?: number;
  /** True for the segment(s) that matched; false for the neighbours. */
  hit: boolean;
}

/**
 * Open action items of every stored meeting (the latest revision of each, withdrawn and dismissed ones left out), newest
 * meeting first; `mine` marks those whose owner is one of `owners` (the microphone's speaker label and the names the
 * user set), compared case- and accent-insensitively. Mark one done with {@link ActionItemSetDone}.
 */
export const MemoryTodo = new RequestType<MemoryTodoParams, MemoryTodoResult, void>('earshot/memory/todo');
export interface MemoryTodoParams {
  owners?: string[];
  /** Include ticked items too (default false). */
  includeDone?: boolean;
}
export interface MemoryTodoResult {
  items: MemoryTodoItem[];
}
export interface MemoryTodoItem {
  meeting: MemoryMeeting;
  item: ActionItem;
  mine: boolean;
  /** 1-based line of the item in the notes file, when it is there. */
  notesLine?: number;
}

/** Decisions of stored meetings, optionally in a date range and matching a topic (ranked as {@link MemorySearch}), newest meeting first. */
export const MemoryDecisions = new RequestType<MemoryDecisionsParams, MemoryDecisionsResult, void>('earshot/memory/decisions');
export interface MemoryDecisionsParams {
  topic?: string;
  since?: string;
  until?: string;
}
export interface MemoryDecisionsResult {
  decisions: { meeting: MemoryMeeting; decision: Decision; notesLine?: number }[];
}

/**
 * A stretch of one stored meeting: the segment `segmentId` and up to `before`/`after` final segments each side (default
 * {@link MEMORY_LINES_AROUND}, at most {@link MEMORY_LINES_MAX_AROUND}), each with its notes line; the segment itself is
 * the one marked `hit`. What a decision record quotes as its context. SessionNotFound for an unknown meeting or
 * segment.
 */
export const MemoryLines = new RequestType<MemoryLinesParams, MemoryLinesResult, void>('earshot/memory/lines');
export interface MemoryLinesParams {
  sessionId: string;
  segmentId: string;
  before?: number;
  after?: number;
}
export interface MemoryLinesResult {
  meeting: MemoryMeeting;
  lines: MemoryLine[];
}
/** Segments each side of the cited one by default: about half a minute of talk around it. */
export const MEMORY_LINES_AROUND = 3;
/** Segments each side at most ({@link MEMORY_PASSAGE_MAX_LINES} in all, rounded down to an even split). */
export const MEMORY_LINES_MAX_AROUND = 5;

/** Every stored meeting (not dictations), newest first: for `/recap` and pickers. */
export const MemoryMeetings = new RequestType<Record<string, never>, MemoryMeetingsResult, void>('earshot/memory/meetings');
export interface MemoryMeetingsResult {
  meetings: MemoryMeeting[];
}

/**
 * Code that remembers its meetings: every file of the workspace folder `root` that stored meetings spoke of (a line
 * named it or one of its symbols, or was said while the user had it open), each with those meetings, lines, decisions
 * and open action items tied to the lines (daemon/memory/codeAnchors.ts says what ties them), and where each is in the
 * notes. The extension asks once for the whole folder and again when {@link MemoryChangedNotification} comes, so its
 * CodeLens and hover never ask per keystroke. Bounded: {@link CODE_ANCHORS_BOUND}; `truncated` when it cut.
 */
export const MemoryCodeAnchors = new RequestType<MemoryCodeAnchorsParams, MemoryCodeAnchorsResult, void>('earshot/memory/codeAnchors');
export interface MemoryCodeAnchorsParams {
  /** The workspace folder as the extension sends it with its index (earshot/workspaceIndex's root: a `file` folder's path). */
  root: string;
}
export interface MemoryCodeAnchorsResult {
  /** Most recently discussed first. */
  files: CodeAnchorFile[];
  truncated: boolean;
}
export interface CodeAnchorFile {
  /** Workspace-relative, with `/`. */
  path: string;
  /** Every meeting that spoke of the file (its symbols included), newest first. */
  meetings: CodeAnchorMeetingInfo[];
  /** The file's symbols a meeting named by name: the line the mention pointed at, and those meetings. */
  symbols: { name: string; line: number; meetings: CodeAnchorMeetingInfo[] }[];
}
export interface CodeAnchorMeetingInfo {
  meeting: MemoryMeeting;
  /** The lines that named it or were said while it was open, in meeting order. */
  lines: CodeAnchorLineInfo[];
  decisions: { decision: Decision; standing: DecisionStanding; notesLine?: number }[];
  /** Open ones only (not done, not withdrawn). */
  actionItems: { item: ActionItem; notesLine?: number }[];
}
export interface CodeAnchorLineInfo {
  /** 1-based index among the meeting's final segments (to open the transcript when the notes lack the line). */
  index: number;
  notesLine?: number;
  t0: number;
  speaker: string;
  /** Cut to {@link CODE_ANCHORS_BOUND}.lineChars. */
  text: string;
  how: 'named' | 'viewing';
  /** The symbol the line named, or whose line the viewed range held; absent for the file itself. */
  symbol?: string;
}
/**
 * At most: files; symbols per file; meetings per file or symbol; lines per meeting; characters of a line's text; and
 * entries in all (each meeting, line, decision and item one), so the answer stays a few megabytes however much the
 * meetings said about the code (the quick pick lists a meeting's first lines; its notes have the rest).
 */
export const CODE_ANCHORS_BOUND = { files: 1000, symbols: 50, meetings: 10, lines: 10, lineChars: 300, entries: 10_000 };

/** Sent when the memory index changed (a session finalized, an item was ticked, data was deleted), so views refresh. */
export const MemoryChangedNotification = new NotificationType<MemoryChangedParams>('earshot/memory/changed');
export interface MemoryChangedParams {
  /** The session that changed; absent: everything may have (a delete, a rebuild). */
  sessionId?: string;
}

/** The pipeline's vital signs now (as {@link Health} sends them), for a client that wants them between notifications. */
export const HealthRequest = new RequestType<Record<string, never>, HealthParams, void>('earshot/health/get');

/** Lists the microphones and system-audio sources this machine can record, the defaults marked. */
export const DeviceList = new RequestType<Record<string, never>, DeviceListResult, void>('earshot/devices/list');
export interface AudioDeviceInfo {
  /** What to pass in SessionStartParams.devices ('default' = the system's default). */
  id: string;
  label: string;
  isDefault: boolean;
}
export interface DeviceListResult {
  microphones: AudioDeviceInfo[];
  systemSources: AudioDeviceInfo[];
  /** Whether system audio can be recorded here now; when not, `message` says how to enable it on this OS. */
  systemAudio: { available: boolean; message?: string };
  /** Where the lists came from and what is missing from them. */
  notes: string[];
  /** Which backend records each source here ("audify (in-process RtAudio)", "recorder programs", …). */
  backends?: { microphone: string; systemAudio: string };
}

// ---------------------------------------------------------------------------------------------
// Call detection: which apps use the microphone now (daemon/calls/)

/** An app using the microphone now, as call detection sees it. */
export interface CallApp {
  /**
   * The app as the OS names it: PulseAudio's application.name (Linux), the bundle id (macOS), the package family
   * name or the program's path (Windows). Another process's text: print it inert.
   */
  app: string;
  /** Its process id, where the OS gives one (not Windows' consent store). */
  pid?: number;
  /** ISO 8601: when it started using the microphone, by the OS's own clock where it has one (`sinceFrom: 'os'`), else when detection first saw it. */
  since: string;
  sinceFrom: 'os' | 'detector';
}
/** Where detection looked: PulseAudio/PipeWire's source-outputs, Core Audio's process objects, the consent store. */
export type CallsBackend = 'pulse' | 'coreaudio' | 'consent-store' | 'none';
export interface CallsListResult {
  /** Each app using the microphone now, by name then pid; Earshot's own recorders and monitor (system-audio) captures are left out. */
  apps: CallApp[];
  backend: CallsBackend;
  /** Set when detection could not look this time (no pactl, a query that ran past its bound, an output it cannot read): why. `apps` is then empty. */
  fault?: string;
}
/** Which apps use the microphone now. */
export const CallsList = new RequestType<Record<string, never>, CallsListResult, void>('earshot/calls/list');

/** Poll interval of call detection (ms): at least, at most, and when a watch does not say. */
export const CALLS_INTERVAL_MS = { min: 1000, max: 60_000, default: 3000 } as const;
/**
 * Starts or stops watching the microphone for this connection: while on, the daemon polls every `intervalMs` and sends
 * {@link CallsChangedNotification} when an app starts or stops using it; off (or the connection gone), it polls nothing.
 * Answers what detection sees now (the first poll's result when `on`).
 */
export const CallsWatch = new RequestType<CallsWatchParams, CallsListResult, void>('earshot/calls/watch');
export interface CallsWatchParams {
  on: boolean;
  /** {@link CALLS_INTERVAL_MS}.min to .max; default .default. */
  intervalMs?: number;
}
/** Sent while a watch is on, when the set of apps using the microphone changed (or detection started or stopped failing). */
export const CallsChangedNotification = new NotificationType<CallsChangedParams>('earshot/calls/changed');
export interface CallsChangedParams extends CallsListResult {
  /** Apps that started using the microphone since the last notification (or the watch's start). */
  started: CallApp[];
  /** Apps that stopped. */
  stopped: CallApp[];
}

// ---------------------------------------------------------------------------------------------
// Auto-stop: a meeting started for a call ends when the call does (issue 58)

/** Seconds of silence on every source, after the call app released the microphone, before the countdown starts. */
export const AUTO_STOP_SILENCE_SEC = { min: 5, max: 600, default: 30 } as const;
/** Seconds the countdown runs (the user can cancel it) before the meeting stops. */
export const AUTO_STOP_COUNTDOWN_SEC = { min: 3, max: 120, default: 15 } as const;
/** Given in {@link SessionStartParams.autoStop}: the call this meeting was started for. */
export interface AutoStopParams {
  /** The call app as {@link CallApp.app} names it. */
  app: string;
  /** Its process id, where detection gave one: another process of the same app using the microphone is not this call. */
  pid?: number;
  /** {@link AUTO_STOP_SILENCE_SEC}; default .default. */
  silenceSec?: number;
  /** {@link AUTO_STOP_COUNTDOWN_SEC}; default .default. */
  countdownSec?: number;
}
/**
 * Where a session's auto-stop stands. 'watching': the app uses the microphone (or speech goes on); 'silent': the app
 * released it and the daemon waits for `silenceSec` without speech; 'countdown': the meeting stops at `stopsAt` unless
 * cancelled (speech or the app coming back cancels it too: back to 'watching'); 'cancelled': the user cancelled it, the
 * meeting runs until stopped by hand; 'stopped': the daemon stopped the meeting (the notes settle as at any stop).
 */
export type AutoStopState = 'watching' | 'silent' | 'countdown' | 'cancelled' | 'stopped';
/** Sent on each change of a session's auto-stop state (only for sessions started with `autoStop`). */
export const AutoStopNotification = new NotificationType<AutoStopStateParams>('earshot/session/autoStop');
export interface AutoStopStateParams {
  sessionId: string;
  app: string;
  state: AutoStopState;
  /** ISO 8601, with 'countdown': when the meeting stops. */
  stopsAt?: string;
  /**
   * Fixed words: why the state changed ("the app released the microphone", "speech resumed", "cancelled by the user"…;
   * daemon/session/autoStop.ts's AUTO_STOP_REASONS). A fault of call detection is 'watching' with a reason saying so:
   * auto-stop never stops a meeting on a fault.
   */
  reason: string;
}
/**
 * Cancels a session's auto-stop (the countdown, or the watch before it): the meeting then runs until stopped by hand,
 * and a resume after a crash does not watch the call again (the cancel is journaled). `cancelled: false` when the
 * session has no auto-stop running (started without one, cancelled or stopped already); SessionNotFound for a session
 * this daemon does not hold.
 */
export const AutoStopCancel = new RequestType<AutoStopCancelParams, { cancelled: boolean }, void>('earshot/session/autoStopCancel');
export interface AutoStopCancelParams {
  sessionId: string;
}

// ---------------------------------------------------------------------------------------------
// Notes templates: the sections a meeting's notes have, their order, and what the language model is told (issue 58)

/**
 * What a template section holds: one of the notes' own parts (filled by the rules where no language model is on), or
 * 'model': free text the language model writes by the section's instructions at stop, each point citing its lines
 * (left saying so without a model). The format and the limits: docs/templates.md.
 */
export type TemplateSectionFill = 'summary' | 'decisions' | 'actionItems' | 'openQuestions' | 'transcript' | 'model';
export interface TemplateSection {
  heading: string;
  fill: TemplateSectionFill;
  /** What the language model is told for this section (plain text; bounded). */
  instructions: string;
}
export interface NotesTemplate {
  /** The file's name without `.md` (workspace) or the shipped template's id: what {@link SessionStartParams.template} names. */
  id: string;
  name: string;
  /** 'workspace': `<templatesDir>/<id>.md`; 'builtin': shipped with Earshot. A workspace template hides a shipped one of the same id. */
  source: 'workspace' | 'builtin';
  /** Absolute path of a workspace template. */
  path?: string;
  /** Words or phrases in a meeting's title that pick this template when none is chosen (case-insensitive, whole words, lowercased here). */
  titleMatch: string[];
  /** The language the model writes the notes in (absent: the meeting's). */
  language?: string;
  /** Instructions for the whole notes (what to leave out, the tone…), plain text, bounded. */
  instructions: string;
  sections: TemplateSection[];
}
/** The most characters of a template file, of one section's instructions, and of the whole notes' instructions. */
export const TEMPLATE_LIMITS = { fileChars: 20_000, sectionInstructionsChars: 1_000, instructionsChars: 2_000, sections: 20 } as const;
/** The templates a session can use: the shipped ones and the workspace's (`templatesDir`). */
export const TemplatesList = new RequestType<TemplatesListParams, TemplatesListResult, void>('earshot/templates/list');
export interface TemplatesListParams {
  /** The workspace's templates folder (`<folder>/.earshot/templates`), absolute; the client passes it only for a trusted workspace. */
  templatesDir?: string;
}
export interface TemplatesListResult {
  templates: NotesTemplate[];
  /** Template files that cannot be used (too large, bad front matter, no sections, a link out of the folder…), each with why; the rest are listed. */
  faults: { path: string; message: string }[];
}

/** Retries a failed live source now instead of waiting for its next automatic attempt (the "Retry" action). */
export const SourceRetry = new RequestType<SourceRetryParams, null, void>('earshot/source/retry');
export interface SourceRetryParams {
  sessionId: string;
  source: LiveSourceKind;
}

// ---------------------------------------------------------------------------------------------
// Requests (client → server)

/** Starts a session. A second start while one is open is an error, never a second session. */
export const SessionStart = new RequestType<SessionStartParams, SessionStartResult, void>('earshot/session/start');
export interface SessionStartParams {
  sources: SourceKind[];
  title?: string;
  language?: string;
  /** Required when sources contains 'file': an absolute path to a WAV file. */
  audioFile?: string;
  /** For a file source; default 'realtime'. */
  pace?: FilePace;
  /** Live sources: the device to record (an id from earshot/devices/list); default: the system's default. */
  devices?: Partial<Record<LiveSourceKind, string>>;
  /** Live sources: who they carry, as the transcript labels them; default "You" (mic) and "Others" (system). */
  speakers?: Partial<Record<LiveSourceKind, string>>;
  /**
   * Tell the speakers within each source apart (earshot.speakers.enabled; default true; never in a dictation): see
   * {@link SpeakersState}. Journaled, so a resume keeps it.
   */
  identifySpeakers?: boolean;
  /**
   * 'meeting' (default): notes file, action items, decisions, summary. 'dictation': the microphone only (sources must
   * be ['mic']), segments are journaled and sent as usual but no notes file is written and nothing is extracted; the
   * client inserts the finals at the cursor.
   */
  mode?: SessionMode;
  /**
   * An absolute folder for this session's notes, instead of InitializationOptions.notesDir (the client passes it per
   * session: the workspace's folder, or its own storage while the workspace is not trusted).
   */
  notesDir?: string;
  /**
   * Meeting only: the notes template by id ({@link NotesTemplate.id}); absent: the first template (the workspace's before
   * the shipped ones) whose `titleMatch` the given `title` holds (not a title made from the audio file's name), else the
   * standard notes. An unknown id is InvalidParams, and so is a template for a dictation (nothing starts). The template
   * is journaled whole: a resume and the notes at stop follow it whatever happens to its file meanwhile.
   */
  template?: string;
  /** The workspace's templates folder (see {@link TemplatesListParams.templatesDir}). */
  templatesDir?: string;
  /** Meeting only, live sources: the call this meeting is for; it stops when the call ends (see {@link AutoStopNotification}). */
  autoStop?: AutoStopParams;
}
export type SessionMode = 'meeting' | 'dictation';
export interface SessionStartResult {
  sessionId: string;
  /** Where the notes will be written ('' for a dictation session: it writes none). */
  notesPath: string;
  /**
   * Requested sources that cannot capture on this machine (e.g. no way to record system audio yet), each with
   * what the user can do; the session runs with the others. Absent when every source started.
   */
  unavailable?: { source: LiveSourceKind; message: string }[];
  /** The notes template this meeting uses, and whether the user chose it or the title did (absent: the standard notes). */
  template?: { id: string; name: string; chosenBy: 'user' | 'title' };
}

/**
 * Stops a session: the sources close, the ASR flushes the last utterance, the notes are written.
 * Answers only when all that is done. Stopping a stopped session returns the same result again (also one in storage).
 * Stopping an interrupted session in storage (see {@link SessionInterrupted}) finalizes it from its journal.
 */
export const SessionStop = new RequestType<SessionStopParams, SessionStopResult, void>('earshot/session/stop');
export interface SessionStopParams {
  sessionId: string;
}
export interface SessionStopResult {
  sessionId: string;
  notesPath: string;
  journalPath: string;
  /** Every finalized segment, in capture-time order. */
  segments: FinalSegment[];
}

/** The model catalog, each entry's state in the cache, and which model the daemon uses and why. */
export const ModelList = new RequestType<Record<string, never>, ModelListResult, void>('earshot/model/list');
export interface ModelListResult {
  active: {
    path: string;
    /** The catalog id, when the file is a catalog model. */
    modelId: string | null;
    /** 'path': the user's model file setting; 'catalog': a catalog model in the cache folder. */
    source: 'path' | 'catalog';
    /** Why this model (the user's choice, or what the machine can run). */
    reason: string;
  };
  models: CatalogEntry[];
  /** The language models for notes that can be downloaded (a separate list: older clients read only `models`). */
  notes: NotesModelList;
  /** The speaker-embedding models (absent from daemons before them). */
  speakers?: SpeakerModelList;
  /** Meeting memory's meaning models (absent from daemons before them). */
  memory?: MemoryModelList;
}

/**
 * What a model is for: 'whisper' recognises speech, 'notes' writes the notes on this machine, 'speaker' tells a voice
 * again after a silence (the speaker-embedding model, {@link SpeakerModelList}), 'memory' finds past meetings' passages
 * by meaning as well as by words ({@link MemoryModelList}).
 */
export type ModelKind = 'whisper' | 'notes' | 'speaker' | 'memory';
export const MODEL_KINDS: readonly ModelKind[] = ['whisper', 'notes', 'speaker', 'memory'];

/** The notes catalog: small instruct models in GGUF, downloaded only when the user asks (they are gigabytes). */
export interface NotesModelList {
  /** The GGUF file set in InitializationOptions.notesModelPath, used instead of a catalog model; null when none. */
  path: string | null;
  /** The folder catalog notes models download to. */
  cacheDir: string;
  /** The one this machine should use (by its memory and GPU). */
  recommendedId: string;
  /** Why that one, in a sentence. */
  reason: string;
  models: NotesCatalogEntry[];
}
export interface NotesCatalogEntry {
  id: string;
  name: string;
  file: string;
  bytes: number;
  /** Lower-case hex SHA-256 of the published file: what a download is checked against. */
  sha256: string;
  /** The weights' licence (e.g. "Apache-2.0", "Llama 3.2 Community License"), and where its text is. */
  licence: string;
  licenceUrl: string;
  /** e.g. "1.5B". */
  parameters: string;
  quantization: string;
  contextTokens: number;
  /** Memory it takes while writing notes, approximately. */
  ramMiB: number;
  /** One line for pickers and listings. */
  note: string;
  /** As for {@link CatalogEntry}: ready is verified in the cache; corrupt is never loaded. */
  state: 'ready' | 'missing' | 'partial' | 'corrupt';
  recommended: boolean;
}
export interface CatalogEntry {
  id: string;
  file: string;
  bytes: number;
  /** Lower-case hex SHA-256 of the published file: what a download is checked against. */
  sha256: string;
  englishOnly: boolean;
  description: string;
  /** ready: verified in the cache; partial: a download can resume; corrupt: fails verification, never loaded. */
  state: 'ready' | 'missing' | 'partial' | 'corrupt';
  /** What capability detection would pick for this machine and language. */
  recommended: boolean;
}

/**
 * Downloads a catalog model into the cache folder: resumable, reported with `$/progress` (cancellable),
 * sha256-checked before it is put in place. `repair` replaces a corrupt file.
 */
export const ModelDownload = new RequestType<ModelDownloadParams, ModelDownloadResult, void>('earshot/model/download');
export interface ModelDownloadParams {
  modelId: string;
  repair?: boolean;
  /** Which catalog `modelId` is from; absent: 'whisper' (as before notes models). */
  kind?: ModelKind;
}
export interface ModelDownloadResult {
  modelId: string;
  path: string;
  bytes: number;
  /** Bytes a resumed download started from (0: a fresh download, or the file was already there). */
  resumedFrom: number;
  /** false: the verified file was already in the cache. */
  downloaded: boolean;
}

/** The current (or a given) session's state; with no sessionId, the latest session, if any. */
export const SessionStatus = new RequestType<SessionStatusParams, SessionStatusResult, void>('earshot/session/status');
export interface SessionStatusParams {
  sessionId?: string;
}
export interface SessionStatusResult {
  state: SessionState;
  sessionId: string | null;
  title: string | null;
  sources: SourceKind[];
  /** ISO time the session started (capture clock origin). */
  startedAt: string | null;
  /** Seconds of audio captured so far. */
  capturedSec: number;
  finalSegments: number;
  notesPath: string | null;
}

/**
 * Resumes a session whose daemon died (killed, crashed, power loss) under the same id, from its journal: the final
 * segments, action items (with `done`), decisions and the extraction window are reloaded, segment and item numbers go
 * on after the highest, times stay on the session's clock (startedAt). Live sources capture again (the time the daemon
 * was down is a gap); a file source is processed again from the end of its last final segment, so no audio of it is
 * lost and nothing is finalized twice. The journal gets a `resume` record and the notes file is rewritten from it.
 * Errors: SessionNotFound (no such journal), SessionEnded (it was stopped or finalized), SessionAlreadyRunning (this
 * daemon records another session, or another daemon holds this one). Resuming the session this daemon already runs
 * answers it again.
 */
export const SessionResume = new RequestType<SessionResumeParams, SessionResumeResult, void>('earshot/session/resume');
export interface SessionResumeParams {
  sessionId: string;
  /** Live sources: devices and labels (default: those the session started with). */
  devices?: Partial<Record<LiveSourceKind, string>>;
  speakers?: Partial<Record<LiveSourceKind, string>>;
}
export interface SessionResumeResult extends SessionStartResult {
  /** Everything the panel shows, as the journal holds it at the resume. */
  transcript: SessionTranscriptResult;
}

/**
 * Everything a panel needs to show a session from scratch (after the client or the daemon restarted): its state, the
 * final segments, the current action items and decisions, the summary. For the running session, a remembered one or
 * one in storage (from its journal). SessionNotFound for an unknown id.
 */
export const SessionTranscript = new RequestType<SessionTranscriptParams, SessionTranscriptResult, void>('earshot/session/transcript');
export interface SessionTranscriptParams {
  sessionId: string;
}
export interface SessionTranscriptResult {
  /** As the last state notification said it (a session in storage: 'done' when it ended, else 'idle' with `interrupted`). */
  session: SessionStateParams;
  sources: SourceKind[];
  /** Journaled and not ended, and no daemon runs it: resume it ({@link SessionResume}) or finalize it ({@link SessionStop}). */
  interrupted: boolean;
  /** Every final segment, in capture-time order. */
  segments: FinalSegment[];
  /**
   * The latest revision of each, in meeting order; withdrawn ones left out, except those the opt-in language model
   * dismissed (`removed` with `dismissed`: shown struck through, restorable with {@link ItemRestore}).
   */
  actionItems: ActionItem[];
  decisions: Decision[];
  /** Null for a dictation. */
  summary: SummaryParams | null;
  /** Each resume after an interruption: when, and the capture-clock span that live sources did not hear (fromSec–atSec). */
  resumes: { at: string; fromSec: number; atSec: number }[];
}

/**
 * Sessions in this daemon's storage that were interrupted: journaled, never ended, and their daemon is gone (no other
 * window's daemon holds them). Each can be resumed ({@link SessionResume}) or finalized ({@link SessionStop}: notes
 * written from the journal, an end record with reason 'interrupted'); those left alone are finalized by the daemon
 * `interruptedGraceSec` after it started. Newest first.
 */
export const SessionInterrupted = new RequestType<Record<string, never>, SessionInterruptedResult, void>('earshot/session/interrupted');
export interface InterruptedSession {
  sessionId: string;
  title: string;
  startedAt: string;
  mode: SessionMode;
  sources: SourceKind[];
  finalSegments: number;
  notesPath: string;
  /** When its journal was last written (about when it was interrupted). */
  lastWriteAt: string;
  /** Its last record was cut off mid-write (a power loss): everything before it is kept. */
  tornTail: boolean;
}
export interface SessionInterruptedResult {
  sessions: InterruptedSession[];
}

/**
 * Words the recognizer should expect: identifiers from the editors the user has open. Replaces the
 * previous list; the daemon keeps a bounded number of them.
 */
export const Vocabulary = new NotificationType<VocabularyParams>('earshot/vocabulary');
export interface VocabularyParams {
  words: string[];
}

/**
 * Whether this client shows the transcript as it is spoken (the extension: its panel is visible, or a dictation runs).
 * Partials are most of whisper's work in a meeting: the daemon decodes them only while a client wants them. Otherwise
 * it sends finals only, each decoded once when its utterance ends (not early, as the speech drops: that costs a decode
 * whenever the speech resumes), so they come a little later (about the VAD's hangover) with nobody waiting. A client
 * that never sends this gets partials, as before it existed. Takes effect at the next decode, also mid-session.
 */
export const PartialsWanted = new NotificationType<PartialsWantedParams>('earshot/partials');
export interface PartialsWantedParams {
  wanted: boolean;
}

/**
 * Pauses or resumes live sources of a streaming session (the panel's pause button and per-source toggles). A paused
 * source releases its device (the recorder stops, so the OS shows the microphone as unused); the utterance in progress
 * is finalized first; nothing is captured or transcribed until it resumes. The capture clock keeps running, so times
 * after a resume stay true to the wall clock, and the pause is not reported as a gap or a fault. `source` absent: every
 * live source of the session. Answers the sources paused afterwards. Idempotent.
 */
export const SessionPause = new RequestType<SessionPauseParams, SessionPauseResult, void>('earshot/session/pause');
export interface SessionPauseParams {
  sessionId: string;
  paused: boolean;
  source?: LiveSourceKind;
}
export interface SessionPauseResult {
  paused: LiveSourceKind[];
}

/**
 * Ticks (or unticks) an action item: journaled as a new revision with `done`, sent as {@link ActionItemNotification},
 * and the session's notes file is rewritten with `- [x]`. Works for a running session and for an earlier one found in
 * storage. Answers the new revision.
 */
export const ActionItemSetDone = new RequestType<ActionItemSetDoneParams, ActionItem, void>('earshot/actionItem/setDone');
export interface ActionItemSetDoneParams {
  sessionId: string;
  id: string;
  done: boolean;
}

/**
 * Records a few seconds from a device without transcribing anything (the walkthrough's microphone test): sends
 * {@link InputLevelNotification}s with sessionId {@link DEVICE_TEST_SESSION_ID} about 10 a second, and answers the
 * loudest level heard. Refused with SessionAlreadyRunning while a session records.
 */
export const DeviceTest = new RequestType<DeviceTestParams, DeviceTestResult, void>('earshot/devices/test');
export const DEVICE_TEST_SESSION_ID = 'device-test';
export interface DeviceTestParams {
  source: LiveSourceKind;
  /** An id from earshot/devices/list; default: the system's default. */
  device?: string;
  /** 0.5–30, default 5. */
  seconds?: number;
}
/** The recorder's name when Earshot's own macOS app records (macOS then asks about Earshot, not the editor). */
export const MAC_CAPTURE_APP_RECORDER = 'earshot-capture';
export interface DeviceTestResult {
  source: LiveSourceKind;
  /** What recorded: 'audify', {@link MAC_CAPTURE_APP_RECORDER}, a recorder program. */
  recorder: string;
  peakDbfs: number;
  rmsDbfs: number;
  /** Whether anything above the noise floor (−50 dBFS) was heard. */
  heard: boolean;
}

/**
 * What Earshot finds on this machine, for a report of a problem on a platform the project cannot run (docs/platforms.md,
 * "Not verified without a Mac or a Windows PC"): the process that records and how it runs, whether each native module loads,
 * the capture backends and devices, on macOS the capture app's signature, versions and device names and what TCC
 * logged about the microphone and system audio, on Windows Smart App Control's state and what Code Integrity blocked
 * of Earshot; with `recordSeconds`, a device test of the microphone and of system audio. No transcript and no audio;
 * the home folder and the user name are replaced. Refused with SessionAlreadyRunning while a session records when
 * `recordSeconds` is set.
 */
export const PlatformReportRequest = new RequestType<PlatformReportParams, PlatformReport, void>('earshot/platform/report');
export interface PlatformReportParams {
  /** Seconds to record each source (0 to {@link PLATFORM_REPORT_MAX_RECORD_SEC}); default 0, no recording. */
  recordSeconds?: number;
}
export const PLATFORM_REPORT_MAX_RECORD_SEC = 10;
export interface PlatformReportFact {
  name: string;
  value: string;
}
export interface PlatformReportSection {
  title: string;
  facts: PlatformReportFact[];
}
export interface PlatformReport {
  /** ISO 8601. */
  generated: string;
  sections: PlatformReportSection[];
  /** The same, as Markdown to paste into an issue. */
  markdown: string;
}

/**
 * The workspace's files and symbols, for matching mentions in the transcript ("auth dot ts", "the parseConfig
 * function"). Replaces the previous index. Bounded: at most {@link MAX_INDEX_FILES} files and
 * {@link MAX_INDEX_SYMBOLS} symbols are kept. `root` is the workspace folder the paths are relative to: the notes link
 * to files relative to the notes file.
 */
export const WorkspaceIndexNotification = new NotificationType<WorkspaceIndexParams>('earshot/workspaceIndex');
export const MAX_INDEX_FILES = 20_000;
export const MAX_INDEX_SYMBOLS = 50_000;
export interface WorkspaceIndexParams {
  root: string;
  /** Workspace-relative, with `/`. */
  files: string[];
  symbols: WorkspaceSymbolInfo[];
}
export interface WorkspaceSymbolInfo {
  name: string;
  /** VS Code's SymbolKind name in lower case: 'function', 'method', 'class', 'interface', 'variable'… */
  kind: string;
  /** Workspace-relative, with `/`. */
  path: string;
  /** 1-based. */
  line: number;
}

/**
 * What the user is looking at: sent by the client when the active editor or its selection changes (debounced) while a
 * session streams. The daemon keeps a bounded timeline and stamps each final segment with the location in effect when
 * it started (`viewing`). `location` null: no workspace file is active. `at` is the wall clock (ms since the epoch);
 * the daemon maps it onto the capture clock.
 */
export const EditorActivityNotification = new NotificationType<EditorActivityParams>('earshot/editorActivity');
export interface EditorActivityParams {
  location: EditorLocation | null;
  at: number;
}

// ---------------------------------------------------------------------------------------------
// Notifications (server → client)

/** A partial or final transcript segment. Finals are journaled before this is sent. */
export const Transcript = new NotificationType<TranscriptSegment>('earshot/transcript');

export const ActionItemNotification = new NotificationType<ActionItem>('earshot/actionItem');

export const DecisionNotification = new NotificationType<Decision>('earshot/decision');

/**
 * The rolling summary and the open questions, sent when they change (at most about once a second, with the live notes
 * file) and once more at stop (`final: true`). The summary is written by the opt-in language model, revised after each
 * chunk of the meeting it reads; without a model there is none (`bullets` empty: the rules write no summary).
 */
export const SummaryNotification = new NotificationType<SummaryParams>('earshot/summary');
export interface SummaryParams {
  sessionId: string;
  final: boolean;
  /** The summary's points as plain text (the texts of `points`, when there are points); empty when there is none. */
  bullets: string[];
  /**
   * The model's points with the transcript lines each comes from (segment ids, at least one, each a final of the
   * session) and those lines' start times (seconds, same order). Absent without a model summary, and from daemons
   * before it (then `bullets` is all there is).
   */
  points?: { text: string; segmentIds: string[]; t0s: number[] }[];
  /** The model that wrote the summary. */
  by?: string;
  /**
   * With `final` and points: whether the summary was settled at stop (restated once more, over the last rolling summary
   * and the final decisions and action items, so that it states each outcome as the decisions do). false: it was not
   * (`unsettledReason`, fixed words: the call failed, timed out, was cancelled…), and the points are the last rolling
   * summary, written as the meeting ran; where they differ from the decisions, the decisions stand.
   */
  settled?: boolean;
  unsettledReason?: string;
  /**
   * The notes the model took on each part of the meeting as it read it (the settle reads them), in meeting order: each
   * part's time span (seconds) and its points as `points`. Absent under two parts with notes, without a model, and from
   * daemons before it. They say in more detail than the summary what each part dealt with (a long meeting's every topic).
   */
  parts?: { t0: number; t1: number; points: { text: string; segmentIds: string[]; t0s: number[] }[] }[];
  openQuestions: { text: string; speaker: string | null; t0: number }[];
}

/** The most transcript lines one summary point cites (its prompt and the local model's grammar say so; more are dropped). */
export const SUMMARY_POINT_MAX_CITES = 8;

/** Sent on every session state change; `error` is set when the session ended because of one. */
export const SessionStateNotification = new NotificationType<SessionStateParams>('earshot/sessionState');
export interface SessionStateParams {
  sessionId: string;
  state: SessionState;
  title: string;
  startedAt: string;
  /** '' for a dictation session. */
  notesPath: string;
  mode: SessionMode;
  /** Live sources paused by {@link SessionPause} (empty when none); the state stays 'streaming'. */
  paused: LiveSourceKind[];
  /**
   * Why the session ended, when it ended because of a fault. A journal that cannot be written (disk full) ends it at
   * once: a final that could not be journaled is never announced, and the journal keeps every record before it.
   */
  error?: string;
  /**
   * Set (on a state notification, the state staying 'streaming') while the notes file cannot be written: the folder is
   * read-only, missing or not a folder, or the disk is full. Says what failed and what to do. Recording and the journal
   * go on; the write is retried at each final and every {@link NOTES_RETRY_SEC} seconds, and the next state
   * notification without it says the notes are written again. Notes that still cannot be written at the end make the
   * session end with `error` (the transcript stays in the journal: `earshot/session/export` saves it elsewhere).
   */
  notesError?: string;
  /** How the session tells speakers apart (absent: daemons before it, or a dictation). */
  speakers?: SpeakersState;
}
/** How often a notes file that could not be written is tried again while the session streams. */
export const NOTES_RETRY_SEC = 5;

/**
 * A model download or load in progress, for the panel's model status (downloads are also reported with `$/progress`).
 * `fraction` null: no measure of how far (a load). Sent at most about 5 times a second, and once with phase 'done'
 * or 'failed'.
 */
export const ModelProgressNotification = new NotificationType<ModelProgressParams>('earshot/modelProgress');
export interface ModelProgressParams {
  /** The catalog id, or the file name of a model given by path. */
  model: string;
  /** Absent: the whisper model (the panel's speech model status); 'notes': a notes model download. */
  kind?: ModelKind;
  phase: 'download' | 'verify' | 'load' | 'done' | 'failed';
  fraction: number | null;
  bytes?: number;
  totalBytes?: number;
  /** phase 'failed': why, for the user. */
  message?: string;
}

/** The pipeline's vital signs, sent every few seconds while a session streams, on model changes, and once just before a session's 'done' state (with its final counters). */
export const Health = new NotificationType<HealthParams>('earshot/health');
export interface HealthParams {
  model: {
    state: ModelState;
    path: string | null;
    error: string | null;
    loadMs: number | null;
    /** The GPU whisper runs on (e.g. "NVIDIA GeForce RTX 4060" through Vulkan, "Apple M2" through Metal); null: the CPU. */
    gpuDevice?: string | null;
    /** Inference time / audio time over recent decodes (lower is faster). */
    rtf: number | null;
    p50Ms: number | null;
    p95Ms: number | null;
  };
  /** Seconds of captured speech waiting for the recognizer. */
  backlogSec: number;
  /** Audio frames (512 samples) dropped by the live sources' bounded queues in the session (0 unless overloaded). */
  dropped: number;
  /** Rung of the degrade ladder: 0 normal, higher = fewer partials to keep up (finals are never dropped). */
  degradeLevel: number;
  degradeName: string;
  rssBytes: number;
  /** The live sources of the running session (empty without one). */
  sources: { source: LiveSourceKind; state: CaptureState; rmsDbfs: number | null; droppedSec: number; /** The backend recording it: 'audify' (in-process), 'audiotee', or a recorder program. */ recorder?: string }[];
  /**
   * What the recognizer of the running session (between sessions: of the last one) gave up to keep up, all sources
   * together, in the order of the backpressure policy (docs/recognition.md): partial updates first, then
   * the degrade ladder's rungs, and audio only when even that is not enough. Finals are never skipped. Absent from
   * daemons that predate it.
   */
  recognizer?: RecognizerCounters;
  /**
   * Errors in the daemon that nothing caught since it started: rejected promises nobody handled (it goes on after
   * those; an uncaught exception ends it, and the client restarts it). More than 0 means a bug worth reporting, and a
   * restart if anything misbehaves. Absent from daemons that predate it.
   */
  uncaughtErrors?: number;
}

/** The recognizer's counters for one session (see {@link HealthParams.recognizer}). */
export interface RecognizerCounters {
  /** Partial results decoded (whisper decodes of a growing utterance at a reduced encoder window). */
  partialsDecoded: number;
  /**
   * Partial updates given up to keep up: the normal policy schedules one when an utterance is 0.4 s long, then one per
   * further 0.5 s of speech; each decode of the utterance (partial, early final, final) stands for the newest of them,
   * and those scheduled since its previous decode are counted here. 0 while recognition keeps up. Not counted where the
   * session wants no partials (a file read at pace 'fast').
   */
  partialsSkipped: number;
  /** Utterances finished: each gets exactly one final (its text, or an empty final retracting partials shown). */
  finals: number;
  /** Whisper decodes at final quality (a final whose last decode heard all its speech reuses it; early finals count). */
  finalDecodes: number;
  /** Utterances that ended and wait for their final now, and their audio in seconds (the recognizer stops reading past 120 s). */
  finalsPending: number;
  pendingSec: number;
  /** The lowest rung of the degrade ladder reached in the session (0: it never degraded). */
  maxDegradeLevel: number;
  /** Seconds of audio the live sources' bounded queues dropped in the session (a file source never drops: it waits). */
  droppedSec: number;
}

/** A live source's capture state. */
export type CaptureState = 'starting' | 'capturing' | 'stalled' | 'failed' | 'retrying' | 'paused' | 'stopped';

/**
 * Sent when a live source changes state: a recorder that stopped, a sound server that went away, data that stopped
 * (stalled), a retry and its countdown, capture back. The session stays open through all of it; what was finalized
 * stays. `message` is for the user (what happened, what to do); `reason` is machine-readable.
 */
export const SourceStatusNotification = new NotificationType<SourceStatusParams>('earshot/sourceStatus');
export interface SourceStatusParams {
  sessionId: string;
  source: LiveSourceKind;
  state: CaptureState;
  message?: string;
  /** recorder-missing, device-not-found, device-busy, permission-denied, server-not-running, server-lost, no-system-audio, stalled, recorder-exited. */
  reason?: string;
  /** When the next automatic attempt starts. */
  retryInMs?: number;
  /** The recorder program and the device it records. */
  recorder: string;
  device?: string;
  /** Advice while capturing (macOS: a system-audio tap that hears only silence, with the settings link). */
  hint?: string;
  /**
   * With a silent macOS tap's hint: a loopback device that is there (BlackHole, Loopback), a system-audio device id
   * the user may switch to (earshot.devices.systemAudio).
   */
  loopbackDevice?: string;
  /**
   * A Terminal command the message or hint asks the user to run, offered to copy: macOS `tccutil reset …
   * dev.earshot.audio-capture` when a grant of Earshot's capture app may be stale after an update.
   */
  copyCommand?: string;
  /** Audio dropped because recognition fell far behind, and audio missing because capture was down. */
  droppedSec: number;
  gapSec: number;
}

/**
 * The opt-in language-model extraction at stop (InitializationOptions.enhancement): the meeting is sent in overlapping
 * chunks, at most maxConcurrency at once. Sent when it starts, after each chunk, as each step after the chunks starts
 * (`step`: the checks at stop, the settle; each can take a minute on a CPU), and once at the end (`state` other than
 * 'running'), after every step: until then the notes are not final. Counts and fixed words only: never transcript or
 * model text.
 */
export const ExtractionProgressNotification = new NotificationType<ExtractionProgressParams>('earshot/extraction/progress');
export interface ExtractionProgressParams {
  sessionId: string;
  /** running; done: every chunk was tried; cancelled: by the user ({@link ExtractionCancel}); budget: the token budget ran out. */
  state: 'running' | 'done' | 'cancelled' | 'budget';
  /** Chunks of the meeting, those finished (answered or given up), and those given up (no valid answer after retries). */
  chunks: number;
  finished: number;
  failed: number;
  /** Estimated tokens spent so far, and the budget. */
  tokens: number;
  tokenBudget: number;
  /** For the user, e.g. "chunk 3 of 8", "token budget spent after chunk 5 of 8". */
  message: string;
  /** At the end: action items and decisions added, rule-based ones dismissed. */
  added?: number;
  dismissed?: number;
  /** While running, once every chunk is read: the step at stop now running (`message` says it in {@link EXTRACTION_STEP_WORDS}' words). */
  step?: ExtractionStep;
}

/**
 * The steps after a meeting's chunks are read, in the order they run (issue 56): the summary revised with the last
 * parts (and, for the settle, notes on each part), the three checks of the final lists, the settle, the standing check
 * of the settled summary, and a template's sections. Each is asked only where the settings ask for it.
 */
export type ExtractionStep = 'summary' | 'restatements' | 'decisions' | 'owners' | 'settle' | 'standings' | 'sections';

/** How each step is told to the user while it runs (the progress's `message`). */
export const EXTRACTION_STEP_WORDS: Readonly<Record<ExtractionStep, string>> = {
  summary: 'revising the summary part by part',
  restatements: 'checking the lists for things said twice',
  decisions: 'checking each decision against its lines',
  owners: 'finding owners for the items without one',
  settle: 'settling the summary against the final lists',
  standings: 'checking the summary against the decisions\' standings',
  sections: 'writing the template\'s sections',
};

/** Input level of a live source for a level meter, about 10 a second while a session streams. */
export const InputLevelNotification = new NotificationType<InputLevelParams>('earshot/inputLevel');
export interface InputLevelParams {
  sessionId: string;
  source: LiveSourceKind;
  /** dB relative to full scale, -100 for digital silence. */
  rmsDbfs: number;
  peakDbfs: number;
}

/**
 * Brings back an action item or decision that the opt-in language model dismissed (or any withdrawn one), or undoes its
 * rewrite of an action item (the words before it, see {@link ItemRewrite}): a new revision without `removed` (or
 * `rewritten`), marked `restored`, journaled, announced ({@link ActionItemNotification} / {@link DecisionNotification})
 * and the notes file rewritten; the model is not shown it again. For the running session (the model extracts while the
 * meeting runs) and for one in storage. Answers the new revision (the same one again when it is neither withdrawn nor
 * rewritten); InvalidParams for an unknown id.
 */
export const ItemRestore = new RequestType<ItemRestoreParams, ActionItem | Decision, void>('earshot/item/restore');
export interface ItemRestoreParams {
  sessionId: string;
  kind: 'actionItem' | 'decision';
  id: string;
}

/**
 * Renders a session's notes file again from its journal, over the file as it is now (the user's My notes and ticks are
 * kept; boxes ticked by hand are journaled), and writes it. For a client that put the user's own copy of the file in
 * place (a remote window's notes, mirrored by the extension): the daemon's last write did not see it. Answers once the
 * file is written ({@link NotesWrittenNotification} follows it too); SessionNotFound for an unknown session.
 */
export const NotesRewrite = new RequestType<NotesRewriteParams, null, void>('earshot/notes/rewrite');
export interface NotesRewriteParams {
  sessionId: string;
}

/**
 * Sent after each write of a session's notes file (live refreshes, the write at stop, a tick, a restore, a rewrite),
 * so a client can copy it elsewhere (a remote window's workspace). Carries no text.
 */
export const NotesWrittenNotification = new NotificationType<NotesWrittenParams>('earshot/notesWritten');
export interface NotesWrittenParams {
  sessionId: string;
  notesPath: string;
}

/**
 * Cancels the language-model extraction of a session (see {@link ExtractionProgressNotification}): calls in flight
 * are aborted, no more chunks are sent, what was extracted from finished chunks is kept. Answers whether one was
 * running.
 */
export const ExtractionCancel = new RequestType<ExtractionCancelParams, { cancelled: boolean }, void>('earshot/extraction/cancel');
export interface ExtractionCancelParams {
  sessionId: string;
}

/**
 * Language-model servers running on this machine, found by asking: Ollama, LM Studio and llama.cpp's server on their
 * default ports (11434, 1234, 8080; and OLLAMA_HOST's when it is on this machine), on 127.0.0.1 and ::1 only. Each is
 * recognized by its own API (a different service on one of those ports is not listed), within `timeoutMs` all told.
 * Only GET requests without a body are sent: nothing of any meeting. Never fails: no server answers an empty list.
 * Choosing one is the user's: the client sets provider 'openai-compatible' with the server's endpoint and model.
 */
export const LanguageModelDiscover = new RequestType<LanguageModelDiscoverParams, LanguageModelDiscoverResult, void>('earshot/languageModel/discover');
export interface LanguageModelDiscoverParams {
  /** How long one probe may take, in ms (50–5000, default {@link DEFAULT_DISCOVER_TIMEOUT_MS}); probes run at once. */
  timeoutMs?: number;
}
export const DEFAULT_DISCOVER_TIMEOUT_MS = 300;
export type LocalServerKind = 'ollama' | 'lmstudio' | 'llama.cpp';
/** Each kind's name as people know it. */
export const LOCAL_SERVER_NAMES: Readonly<Record<LocalServerKind, string>> = { ollama: 'Ollama', lmstudio: 'LM Studio', 'llama.cpp': 'llama.cpp' };
export interface LanguageModelDiscoverResult {
  /** Ollama first, then LM Studio, then llama.cpp; one entry per server (one found on 127.0.0.1 and ::1 is listed once). */
  servers: LocalServer[];
}
export interface LocalServer {
  kind: LocalServerKind;
  /** The base URL for EnhancementSettings.endpoint, e.g. `http://127.0.0.1:11434` (`http://[::1]:8080` on IPv6). */
  endpoint: string;
  /** The server's own version, when its API says (Ollama's /api/version). */
  version?: string;
  /** 'loading': llama.cpp's server is still loading its model (it answers 503 until then); no models are listed yet. */
  state: 'ready' | 'loading';
  /**
   * Chat models it can run here, for EnhancementSettings.model. Embedding-only models, and Ollama's cloud models
   * (which run on ollama.com, not here), are left out.
   */
  models: LocalServerModel[];
}
export interface LocalServerModel {
  /** What the chat request's `model` names (Ollama "llama3.2:3b", LM Studio "qwen2.5-7b-instruct", llama.cpp the file's alias). */
  id: string;
  /** A friendlier name, when the server gives one (LM Studio's display name). */
  name?: string;
  /** The weights' size on disk, when the server says. */
  sizeBytes?: number;
  /** The server holds it in memory now (answers start at once), when the server says. */
  loaded?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Requests (server → client)

/**
 * @deprecated No longer sent: daemons since the language-model extraction over the whole meeting send
 * {@link LanguageModelChat} (one chunk per request) instead. Kept so older peers' messages still type-check.
 *
 * Opt-in (InitializationOptions.enhancement.provider 'vscode-lm'): at stop, after the extractive notes are computed
 * and before the final notes are written, the daemon asks the client to refine the summary, action items and
 * decisions with a language model. The client answers null to decline (no model, no consent, an error); the daemon
 * waits at most timeoutSec and then cancels the request ($/cancelRequest) and keeps the extractive notes. An answer
 * is validated like any peer input: entries of the wrong shape are dropped.
 *
 * The transcript is bounded: the last lines that fit in {@link REFINE_TRANSCRIPT_MAX_CHARS} characters of text (and at
 * most {@link REFINE_TRANSCRIPT_MAX_LINES} lines); `omittedLines` says how many earlier lines were left out.
 */
export const Refine = new RequestType<RefineParams, RefineResult | null, void>('earshot/refine');
export const REFINE_TRANSCRIPT_MAX_CHARS = 24_000;
export const REFINE_TRANSCRIPT_MAX_LINES = 800;
export interface RefineParams {
  sessionId: string;
  title: string;
  /** ISO time the meeting started (relative due dates are resolved from it). */
  date: string;
  /** The end of the transcript, in order; t0 in seconds from the start. */
  transcript: { speaker: string; t0: number; text: string }[];
  /** Earlier lines left out to fit the budget (0: the whole transcript is here). */
  omittedLines: number;
  /** The extractive summary's bullets (sentences from the transcript, then the counts). */
  summary: string[];
  actionItems: { id: string; text: string; owner: string | null; due: string | null }[];
  decisions: { id: string; text: string; kind: DecisionKind }[];
}
export interface RefineResult {
  /** A better summary, as bullets; absent: keep the extractive one alone. */
  summary?: string[];
  /** With the id of an item in the params: a new revision of it; without (or with an unknown id): an added item. */
  actionItems?: { id?: string; text: string; owner: string | null; due: string | null }[];
  decisions?: { id?: string; text: string; kind: DecisionKind }[];
  /** The model that answered, as the notes name it ("Refined by <model>"). */
  model: string;
}

/**
 * Opt-in (InitializationOptions.enhancement.provider 'vscode-lm'): one model call of the language-model extraction.
 * The daemon builds the prompt (one chunk of the meeting) and validates the answer; the client only relays it to a
 * VS Code Language Model API model and answers its text, or null to decline (no model, no consent). Cancelled
 * ($/cancelRequest) on timeout or when the user cancels.
 */
export const LanguageModelChat = new RequestType<LanguageModelChatParams, LanguageModelChatResult | null, void>('earshot/languageModel/chat');
export interface LanguageModelChatParams {
  sessionId: string;
  system: string;
  user: string;
}
export interface LanguageModelChatResult {
  text: string;
  /** The model that answered, e.g. "copilot/gpt-4o". */
  model: string;
}

/**
 * What the model is asked to answer for one chunk (validated by validateChunkExtraction: entries of the wrong shape
 * or citing segments outside the chunk are dropped). `segments`: the ids of the transcript lines it comes from.
 * `dismiss`: rule-based items shown to it (by id) that are not real action items or decisions, each with a reason.
 * `rewrite`: rule-based items shown to it that are real but wrongly written, as they should read (a field left out is
 * kept): an action item's text, owner (a speaker of the chunk or null) and due; a decision's text, standing and kind
 * (prompt v6). An older answer's `owners` ({id, owner}) is a rewrite of the owner alone.
 */
export interface ChunkExtraction {
  actionItems: { text: string; owner: string | null; due: string | null; segments: string[] }[];
  decisions: { text: string; kind: DecisionKind; standing: DecisionStanding; segments: string[] }[];
  dismiss: { id: string; reason: string }[];
  rewrite: { id: string; text?: string; owner?: string | null; due?: string | null; standing?: DecisionStanding; kind?: 'decision' | 'negative' }[];
  /**
   * Prompt v7: entries noted in earlier parts that this part's lines restate, confirm or change (their ids as the
   * prompt showed them): the lines that say it again, a decision's new standing (its first line the one that settles
   * it), an action item's owner, and other noted entries that are the same one (folded into it).
   */
  noted?: NotedUpdate[];
}

/** `text` (prompt v8): the noted entry's words as a later part refines them. */
export interface NotedUpdate { id: string; segments: string[]; standing?: DecisionStanding | 'dropped'; owner?: string | null; merge?: string[]; text?: string }

// ---------------------------------------------------------------------------------------------
// Speakers within a source (issue 42)

/**
 * How a session tells speakers apart. The speaker stage (pyannote segmentation-3.0, shipped) runs beside each source's
 * recognizer on its own cadence: a source carrying several voices (system audio, a file, the microphone when it is the
 * only live source: a room with one laptop) gets "Speaker 1, 2…", numbered per source; the microphone's main voice (the
 * one heard most) keeps the microphone's label ("You"). The microphone of a call (mic and system audio together) is the
 * user's alone and is not split. 'overlap': voices are linked across 10 s windows by what the windows share, and a
 * voice silent for longer than a window is matched to an earlier one by spectral statistics (issue 57: less sure; when
 * it comes back as a new speaker, renaming both to one name merges them); 'voices': a speaker-embedding model
 * ({@link SpeakerModelList}) re-identifies such a voice and relabels it.
 */
export interface SpeakersState {
  mode: 'off' | 'overlap' | 'voices';
  /** For the user, one sentence: what the mode means and, for 'overlap', what would do better. */
  message: string;
}

/**
 * Finals whose speaker changed after they were sent, as they are now (final: true, same segmentId and text, the new
 * `speaker` and `voice`, no `speakerPending`): a client replaces its lines by segmentId, as a final replaces its
 * partials. Sent once the change is journaled. `cause`: the speaker stage heard their audio after they went out
 * ('heard', also when it settles them with the source's label), re-identified a voice ('reidentified'), or the user
 * named one ({@link SpeakerRename}: 'renamed'). A separate notification, so that a client that ignores it still gets
 * exactly one final per utterance, labelled as it was when sent.
 */
export const TranscriptRelabel = new NotificationType<TranscriptRelabelParams>('earshot/transcript/relabel');
export interface TranscriptRelabelParams {
  sessionId: string;
  cause: 'heard' | 'reidentified' | 'renamed';
  segments: TranscriptSegment[];
}

/**
 * Names a voice of a session's source (the panel's rename): every final of that voice, before and after, is relabelled
 * (journaled, then announced by {@link TranscriptRelabel}), action items it owns follow (new revisions), and the notes file is
 * rewritten. `name` null or "" gives the voice back its own label. For the running session and for one in storage.
 * Answers how many finals changed. InvalidParams for a name that is too long (over {@link MAX_SPEAKER_NAME} characters)
 * or has control characters, or a voice the source never had.
 */
export const SpeakerRename = new RequestType<SpeakerRenameParams, SpeakerRenameResult, void>('earshot/speakers/rename');
export const MAX_SPEAKER_NAME = 60;
export interface SpeakerRenameParams {
  sessionId: string;
  source: SourceKind;
  /** The voice, as finals carry it in `voice` ("Speaker 2"). */
  voice: string;
  name: string | null;
}
export interface SpeakerRenameResult {
  /** The voice's speaker now (the name, or its own label). */
  speaker: string;
  /** Finals relabelled. */
  segments: number;
}

/** A catalog of one-purpose models, each downloaded only when the user asks (earshot/model/download with its kind). */
export interface PinnedModelList {
  /** The folder it downloads to. */
  cacheDir: string;
  models: PinnedCatalogEntry[];
}
/** As a notes model's entry: what it is, its file, size, SHA-256, licence and state in the cache. */
export type PinnedCatalogEntry = Pick<NotesCatalogEntry, 'id' | 'name' | 'file' | 'bytes' | 'sha256' | 'licence' | 'note' | 'state'>;
/** The speaker-embedding catalog (kind 'speaker'). */
export type SpeakerModelList = PinnedModelList;
export type SpeakerCatalogEntry = PinnedCatalogEntry;
/** Meeting memory's meaning model (kind 'memory'): a sentence-embedding model whose ranking memory/search fuses in. */
export type MemoryModelList = PinnedModelList;

// ---------------------------------------------------------------------------------------------
// Errors (JSON-RPC error codes the daemon uses beyond the standard ones)

export const ErrorCodes = {
  /** Standard JSON-RPC and LSP codes, repeated here so a reader sees every code in one place. */
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** A request arrived before `initialize`. */
  ServerNotInitialized: -32002,
  /**
   * LSP's RequestFailed: valid params, but the request cannot be done in the daemon's current state (pausing a session
   * that is no longer streaming, a second device test while one runs); the message says why.
   */
  RequestFailed: -32803,
  /** No session has that id. */
  SessionNotFound: 1001,
  /** A session is already open; the error's data is {sessionId}. */
  SessionAlreadyRunning: 1002,
  /** The model file is missing, unreadable or not a whisper model; the message names the path, data is {modelPath}. */
  ModelUnavailable: 1003,
  /** The audio file cannot be decoded; the message says why. */
  AudioUnreadable: 1004,
  /** A source that this build or platform cannot capture. */
  SourceUnavailable: 1005,
  /** The client speaks another protocol version. */
  ProtocolMismatch: 1006,
  /** The voice activity detector (Silero model or onnxruntime) cannot be loaded. */
  VadUnavailable: 1007,
  /** A model download failed or was cancelled; data is {modelId, reason}. */
  DownloadFailed: 1008,
  /** The session was stopped or finalized: it cannot be resumed; data is {sessionId, notesPath}. */
  SessionEnded: 1009,
  /** `earshot daemon --listen`: the first message did not prove the daemon's token; the connection is closed. */
  Unauthorized: 1010,
  /** `earshot daemon --listen`: more messages a second than a connection may send; this one was not processed. */
  RateLimited: 1011,
} as const;
