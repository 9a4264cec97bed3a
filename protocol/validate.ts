/**
 * Runtime checks for the params of every request in protocol.ts. JSON-RPC peers are not trusted to
 * send what the types say: each check either returns a clean, typed value or throws
 * {@link InvalidParamsError} with a message that names the offending field.
 */
import { BlockList, isIP } from 'node:net';
import { isAbsolute } from 'node:path';
import { citedId } from './modelJson';
import {
  PROTOCOL_VERSION,
  DataDeleteParams, DecisionKind, DECISION_STANDINGS, DecisionStanding, decisionStanding, ENHANCEMENT_PROVIDERS, EnhancementProvider, EnhancementSettings,
  EXPORT_FORMATS, ExportFormat, FilePace, InitializationOptions, LiveSourceKind, SessionExportParams, MODEL_KINDS, ModelDownloadParams, ModelKind, VadSettings, VocabularyParams, SessionStartParams, SessionStatusParams,
  SessionStopParams, SOURCE_KINDS, SourceKind, SourceRetryParams, SessionResumeParams, SessionTranscriptParams,
  ActionItemSetDoneParams, DeviceTestParams, PLATFORM_REPORT_MAX_RECORD_SEC, PlatformReportParams, EditorActivityParams, EditorLocation, MAX_INDEX_FILES, MAX_INDEX_SYMBOLS, SessionMode, SessionPauseParams,
  WorkspaceIndexParams, WorkspaceSymbolInfo, ChunkExtraction, ExtractionCancelParams, NotesRewriteParams, ItemRestoreParams, LanguageModelChatResult,
  LanguageModelDiscoverParams, MAX_SPEAKER_NAME, PartialsWantedParams, SpeakerRenameParams, CALLS_INTERVAL_MS, CallsWatchParams, TemplatesListParams,
  AUTO_STOP_COUNTDOWN_SEC, AUTO_STOP_SILENCE_SEC, AutoStopCancelParams, AutoStopParams, chunkCharsInRange,
} from './protocol';
import { CONTROL_OR_BIDI, plainLine } from './plainText';

export class InvalidParamsError extends Error {
  override name = 'InvalidParamsError';
}

/** Longest string accepted in any field; a title or path longer than this is a mistake or an attack. */
const MAX_STRING = 4096;

function fail(message: string): never {
  throw new InvalidParamsError(message);
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function optionalString(o: Record<string, unknown>, key: string, what: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') fail(`${what}.${key} must be a string, got ${typeOf(v)}`);
  if (v.length > MAX_STRING) fail(`${what}.${key} is too long (${v.length} > ${MAX_STRING} characters)`);
  return v;
}

function requiredString(o: Record<string, unknown>, key: string, what: string): string {
  const v = optionalString(o, key, what);
  if (v === undefined || v === '') fail(`${what}.${key} is required`);
  return v;
}

function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/**
 * A peer's value in an error message: short whatever its size, and safe for any JSON (JSON.stringify overflows the
 * stack on deeply nested arrays and prints Infinity as null).
 */
function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return Array.isArray(v) ? `an array of ${v.length}` : typeOf(v);
}

const LANGUAGE = /^[a-z]{2,3}$/;

function optionalLanguage(o: Record<string, unknown>, what: string): string | undefined {
  const language = optionalString(o, 'language', what);
  if (language !== undefined && !LANGUAGE.test(language)) {
    fail(`${what}.language must be a language code such as "en", got ${show(language)}`);
  }
  return language;
}

export function validateSessionStart(params: unknown): SessionStartParams {
  const what = 'session/start params';
  const o = record(params, what);
  const sources = o.sources;
  if (!Array.isArray(sources) || sources.length === 0) fail(`${what}.sources must be a non-empty array of ${SOURCE_KINDS.join(', ')}`);
  for (const s of sources) {
    if (!SOURCE_KINDS.includes(s as SourceKind)) fail(`${what}.sources: unknown source ${show(s)} (expected ${SOURCE_KINDS.join(', ')})`);
  }
  if (new Set(sources).size !== sources.length) fail(`${what}.sources lists a source twice`);
  const audioFile = optionalString(o, 'audioFile', what);
  if (sources.includes('file') && !audioFile) fail(`${what}.audioFile is required for a 'file' source`);
  if (!sources.includes('file') && audioFile) fail(`${what}.audioFile given but sources does not include 'file'`);
  const pace = optionalString(o, 'pace', what);
  if (pace !== undefined && pace !== 'realtime' && pace !== 'fast') fail(`${what}.pace must be "realtime" or "fast"`);
  const devices = perLiveSource(o, 'devices', what);
  const speakers = perLiveSource(o, 'speakers', what);
  const mode = optionalString(o, 'mode', what);
  if (mode !== undefined && !SESSION_MODES.includes(mode as SessionMode)) fail(`${what}.mode must be "meeting" or "dictation", got ${JSON.stringify(mode.slice(0, 80))}`);
  // Dictation inserts one person's words at the cursor: only the microphone makes sense there.
  if (mode === 'dictation' && (sources.length !== 1 || sources[0] !== 'mic')) {
    fail(`${what}.sources must be exactly ["mic"] for a dictation session, got ${JSON.stringify(sources)}`);
  }
  const identifySpeakers = optionalBoolean(o, 'identifySpeakers', what);
  const autoStop = optionalAutoStop(o, what);
  // Auto-stop ends a meeting when its call does: a file ends by itself, and a dictation is no call's notes.
  if (autoStop && sources.includes('file')) fail(`${what}.autoStop is for live sources: a file source ends by itself`);
  if (autoStop && mode === 'dictation') fail(`${what}.autoStop is for meetings, not a dictation`);
  const notesDir = optionalString(o, 'notesDir', what);
  // A folder, given whole: relative paths would depend on the daemon's working directory.
  if (notesDir !== undefined && !isAbsolute(notesDir)) fail(`${what}.notesDir must be an absolute path, got ${JSON.stringify(notesDir.slice(0, 200))}`);
  const template = optionalString(o, 'template', what);
  if (template !== undefined && !/^[a-z0-9][a-z0-9._-]{0,63}$/i.test(template)) fail(`${what}.template must be a template id (letters, digits, ".", "_" or "-"), got ${JSON.stringify(template.slice(0, 80))}`);
  const templatesDir = optionalTemplatesDir(o, what);
  return {
    sources: sources as SourceKind[],
    title: optionalString(o, 'title', what),
    language: optionalLanguage(o, what),
    audioFile,
    pace: pace as FilePace | undefined,
    ...(devices ? { devices } : {}),
    ...(speakers ? { speakers } : {}),
    ...(mode !== undefined ? { mode: mode as SessionMode } : {}),
    ...(identifySpeakers !== undefined ? { identifySpeakers } : {}),
    ...(notesDir !== undefined ? { notesDir } : {}),
    ...(template !== undefined ? { template } : {}),
    ...(templatesDir !== undefined ? { templatesDir } : {}),
    ...(autoStop ? { autoStop } : {}),
  };
}

/** earshot/templates/list: the workspace's templates folder, absolute, when given. */
export function validateTemplatesList(params: unknown): TemplatesListParams {
  const what = 'templates/list params';
  const templatesDir = optionalTemplatesDir(record(params ?? {}, what), what);
  return templatesDir !== undefined ? { templatesDir } : {};
}

function optionalTemplatesDir(o: Record<string, unknown>, what: string): string | undefined {
  const dir = optionalString(o, 'templatesDir', what);
  // A folder, given whole: relative paths would depend on the daemon's working directory.
  if (dir !== undefined && !isAbsolute(dir)) fail(`${what}.templatesDir must be an absolute path, got ${JSON.stringify(dir.slice(0, 200))}`);
  return dir;
}

/** Longest call app name: a Windows program's path, a bundle id, a PulseAudio application.name. */
const MAX_CALL_APP = 1000;

function optionalAutoStop(o: Record<string, unknown>, key: string): AutoStopParams | undefined {
  if (o.autoStop === undefined || o.autoStop === null) return undefined;
  const what = `${key}.autoStop`;
  const a = record(o.autoStop, what);
  const app = requiredString(a, 'app', what);
  if (!app.trim() || app.length > MAX_CALL_APP) fail(`${what}.app must be the call app's name as earshot/calls/list gives it (1 to ${MAX_CALL_APP} characters)`);
  const pid = a.pid ?? undefined;
  if (pid !== undefined && (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0)) fail(`${what}.pid must be a positive whole number, got ${show(pid)}`);
  const seconds = (name: 'silenceSec' | 'countdownSec', range: { min: number; max: number }): number | undefined => {
    const v = a[name] ?? undefined;
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < range.min || v > range.max) fail(`${what}.${name} must be a number of seconds from ${range.min} to ${range.max}, got ${show(v)}`);
    return v;
  };
  const silenceSec = seconds('silenceSec', AUTO_STOP_SILENCE_SEC);
  const countdownSec = seconds('countdownSec', AUTO_STOP_COUNTDOWN_SEC);
  return { app, ...(pid !== undefined ? { pid: pid as number } : {}), ...(silenceSec !== undefined ? { silenceSec } : {}), ...(countdownSec !== undefined ? { countdownSec } : {}) };
}

export function validateAutoStopCancel(params: unknown): AutoStopCancelParams {
  const what = 'session/autoStopCancel params';
  return { sessionId: requiredSessionId(record(params, what), what) };
}

export function validateDataDelete(params: unknown): DataDeleteParams {
  const what = 'data/delete params';
  const o = record(params ?? {}, what);
  const includeModels = optionalBoolean(o, 'includeModels', what);
  return includeModels !== undefined ? { includeModels } : {};
}

const SESSION_MODES: readonly SessionMode[] = ['meeting', 'dictation'];

const LIVE_SOURCES: readonly LiveSourceKind[] = ['mic', 'system'];

/** An optional {mic?: string, system?: string} (device ids, speaker labels); empty strings count as unset. */
function perLiveSource(o: Record<string, unknown>, key: string, what: string): Partial<Record<LiveSourceKind, string>> | undefined {
  if (o[key] === undefined || o[key] === null) return undefined;
  const map = record(o[key], `${what}.${key}`);
  const out: Partial<Record<LiveSourceKind, string>> = {};
  for (const k of Object.keys(map)) {
    if (!LIVE_SOURCES.includes(k as LiveSourceKind)) fail(`${what}.${key}: unknown source ${show(k)} (expected mic, system)`);
    const v = optionalString(map, k, `${what}.${key}`)?.trim();
    if (v && v.length > 200) fail(`${what}.${key}.${k} is too long (${v.length} > 200 characters)`);
    if (v) out[k as LiveSourceKind] = v;
  }
  return out;
}

export function validateSourceRetry(params: unknown): SourceRetryParams {
  const what = 'source/retry params';
  const o = record(params, what);
  const source = requiredString(o, 'source', what);
  if (!LIVE_SOURCES.includes(source as LiveSourceKind)) fail(`${what}.source must be "mic" or "system", got ${show(source)}`);
  return { sessionId: requiredString(o, 'sessionId', what), source: source as LiveSourceKind };
}

/** Bounds on the vocabulary: whisper's prompt holds about 224 tokens, and the previous sentence needs room. */
export const MAX_VOCABULARY_WORDS = 64;
const MAX_VOCABULARY_WORD_LENGTH = 48;

export function validateVocabulary(params: unknown): VocabularyParams {
  const o = record(params, 'vocabulary params');
  if (!Array.isArray(o.words)) fail('vocabulary params.words must be an array of strings');
  const words: string[] = [];
  for (const w of o.words) {
    if (typeof w !== 'string') fail('vocabulary params.words must contain only strings');
    const word = w.trim();
    if (word && word.length <= MAX_VOCABULARY_WORD_LENGTH && !words.includes(word)) words.push(word);
    if (words.length === MAX_VOCABULARY_WORDS) break;
  }
  return { words };
}

export function validatePartialsWanted(params: unknown): PartialsWantedParams {
  const o = record(params, 'partials params');
  if (typeof o.wanted !== 'boolean') fail(`partials params.wanted must be a boolean, got ${show(o.wanted)}`);
  return { wanted: o.wanted };
}

/** Returns the params with `intervalMs` always set. */
export function validateCallsWatch(params: unknown): Required<CallsWatchParams> {
  const what = 'calls/watch params';
  const o = record(params, what);
  if (typeof o.on !== 'boolean') fail(`${what}.on must be a boolean, got ${show(o.on)}`);
  const interval = o.intervalMs ?? CALLS_INTERVAL_MS.default;
  if (typeof interval !== 'number' || !Number.isInteger(interval) || interval < CALLS_INTERVAL_MS.min || interval > CALLS_INTERVAL_MS.max) {
    fail(`${what}.intervalMs must be a whole number from ${CALLS_INTERVAL_MS.min} to ${CALLS_INTERVAL_MS.max}, got ${show(interval)}`);
  }
  return { on: o.on, intervalMs: interval };
}

export function validateModelDownload(params: unknown): ModelDownloadParams {
  const what = 'model/download params';
  const o = record(params, what);
  const repair = o.repair;
  if (repair !== undefined && typeof repair !== 'boolean') fail(`${what}.repair must be a boolean`);
  const kind = optionalString(o, 'kind', what);
  if (kind !== undefined && !MODEL_KINDS.includes(kind as ModelKind)) fail(`${what}.kind must be one of ${MODEL_KINDS.join(', ')}, got ${show(kind)}`);
  return { modelId: requiredString(o, 'modelId', what), ...(repair !== undefined ? { repair } : {}), ...(kind !== undefined ? { kind: kind as ModelKind } : {}) };
}

/** Session ids name journal files: only the characters the daemon itself uses, so no path can be smuggled in. */
const SESSION_ID = /^[A-Za-z0-9-]{1,64}$/;

function requiredSessionId(o: Record<string, unknown>, what: string): string {
  const sessionId = requiredString(o, 'sessionId', what);
  if (!SESSION_ID.test(sessionId)) fail(`${what}.sessionId is not a session id: ${JSON.stringify(sessionId.slice(0, 80))}`);
  return sessionId;
}

export function validateSessionExport(params: unknown): SessionExportParams {
  const what = 'session/export params';
  const o = record(params, what);
  const sessionId = requiredSessionId(o, what);
  const format = requiredString(o, 'format', what);
  if (!EXPORT_FORMATS.includes(format as ExportFormat)) fail(`${what}.format must be one of ${EXPORT_FORMATS.join(', ')}, got ${show(format)}`);
  return { sessionId, format: format as ExportFormat };
}

export function validateSessionStop(params: unknown): SessionStopParams {
  const what = 'session/stop params';
  const o = record(params, what);
  const sessionId = requiredString(o, 'sessionId', what);
  // A session in storage is stopped from its journal, whose file the id names.
  if (!SESSION_ID.test(sessionId)) fail(`${what}.sessionId is not a session id: ${JSON.stringify(sessionId.slice(0, 80))}`);
  return { sessionId };
}

export function validateSessionResume(params: unknown): SessionResumeParams {
  const what = 'session/resume params';
  const o = record(params, what);
  const sessionId = requiredSessionId(o, what);
  const devices = perLiveSource(o, 'devices', what);
  const speakers = perLiveSource(o, 'speakers', what);
  return { sessionId, ...(devices ? { devices } : {}), ...(speakers ? { speakers } : {}) };
}

export function validateSessionTranscript(params: unknown): SessionTranscriptParams {
  const what = 'session/transcript params';
  const sessionId = requiredString(record(params, what), 'sessionId', what);
  if (!SESSION_ID.test(sessionId)) fail(`${what}.sessionId is not a session id: ${JSON.stringify(sessionId.slice(0, 80))}`);
  return { sessionId };
}

export function validateSessionStatus(params: unknown): SessionStatusParams {
  if (params === undefined || params === null) return {};
  const o = record(params, 'session/status params');
  return { sessionId: optionalString(o, 'sessionId', 'session/status params') };
}

function requiredLiveSource(o: Record<string, unknown>, what: string): LiveSourceKind {
  const source = o.source;
  if (!LIVE_SOURCES.includes(source as LiveSourceKind)) fail(`${what}.source must be "mic" or "system", got ${show(source)}`);
  return source as LiveSourceKind;
}

export function validateSessionPause(params: unknown): SessionPauseParams {
  const what = 'session/pause params';
  const o = record(params, what);
  const sessionId = requiredString(o, 'sessionId', what);
  if (typeof o.paused !== 'boolean') fail(`${what}.paused must be true (pause) or false (resume), got ${typeOf(o.paused)}`);
  const source = o.source === undefined || o.source === null ? undefined : requiredLiveSource(o, what);
  return { sessionId, paused: o.paused, ...(source ? { source } : {}) };
}

/** Action item and decision ids as the daemon makes them ("a3", "d12"). */
const ITEM_ID = /^[\w-]{1,64}$/;

export function validateActionItemSetDone(params: unknown): ActionItemSetDoneParams {
  const what = 'actionItem/setDone params';
  const o = record(params, what);
  const sessionId = requiredString(o, 'sessionId', what);
  // Earlier sessions are found in storage by id: the id names a file, so only the daemon's own characters pass.
  if (!SESSION_ID.test(sessionId)) fail(`${what}.sessionId is not a session id: ${JSON.stringify(sessionId.slice(0, 80))}`);
  const id = requiredString(o, 'id', what);
  if (!ITEM_ID.test(id)) fail(`${what}.id is not an action item id: ${JSON.stringify(id.slice(0, 80))}`);
  if (typeof o.done !== 'boolean') fail(`${what}.done must be a boolean, got ${typeOf(o.done)}`);
  return { sessionId, id, done: o.done };
}

/** How long a device test may record, in seconds, and how long when not told. */
export const DEVICE_TEST_MIN_SEC = 0.5;
export const DEVICE_TEST_MAX_SEC = 30;
export const DEVICE_TEST_DEFAULT_SEC = 5;

/** Returns the params with `seconds` always set (the default when absent). */
export function validateDeviceTest(params: unknown): DeviceTestParams & { seconds: number } {
  const what = 'devices/test params';
  const o = record(params, what);
  const source = requiredLiveSource(o, what);
  const device = optionalString(o, 'device', what)?.trim() || undefined;
  if (device && device.length > 200) fail(`${what}.device is too long (${device.length} > 200 characters)`);
  const seconds = o.seconds ?? DEVICE_TEST_DEFAULT_SEC;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < DEVICE_TEST_MIN_SEC || seconds > DEVICE_TEST_MAX_SEC) {
    fail(`${what}.seconds must be a number from ${DEVICE_TEST_MIN_SEC} to ${DEVICE_TEST_MAX_SEC}, got ${show(seconds)}`);
  }
  return { source, ...(device ? { device } : {}), seconds };
}

/** Returns the params with `recordSeconds` always set (0 when absent). */
export function validatePlatformReport(params: unknown): Required<PlatformReportParams> {
  const what = 'platform/report params';
  const o = record(params ?? {}, what);
  const seconds = o.recordSeconds ?? 0;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0 || seconds > PLATFORM_REPORT_MAX_RECORD_SEC) {
    fail(`${what}.recordSeconds must be a number from 0 to ${PLATFORM_REPORT_MAX_RECORD_SEC}, got ${show(seconds)}`);
  }
  return { recordSeconds: seconds };
}

/** Bounds on what the workspace index may hold per entry: longer is not a source file or symbol anyone says aloud. */
export const MAX_INDEX_PATH = 1024;
export const MAX_SYMBOL_NAME = 200;
const MAX_SYMBOL_KIND = 40;

/**
 * A workspace-relative path with `/`: not absolute, no `..` segment, no backslash or control character. The notes link
 * to these paths, so one that leaves the workspace must not get in.
 */
export function isWorkspacePath(p: string): boolean {
  return p.length > 0 && p.length <= MAX_INDEX_PATH && !p.startsWith('/') && !/^[A-Za-z]:/.test(p) && !/[\\\u0000-\u001f]/.test(p)
    && !p.split('/').some((segment) => segment === '..');
}

/**
 * The workspace index, bounded: entries of the wrong type are refused (the client is broken); entries over the length
 * bounds or with a path outside the workspace are left out; beyond MAX_INDEX_FILES files and MAX_INDEX_SYMBOLS symbols
 * the rest is cut off (a huge workspace still gets its first files matched). Duplicate files are kept once.
 */
export function validateWorkspaceIndex(params: unknown): WorkspaceIndexParams {
  const what = 'workspaceIndex params';
  const o = record(params, what);
  const root = requiredString(o, 'root', what);
  if (!Array.isArray(o.files)) fail(`${what}.files must be an array of workspace-relative paths, got ${typeOf(o.files)}`);
  if (!Array.isArray(o.symbols)) fail(`${what}.symbols must be an array of symbols, got ${typeOf(o.symbols)}`);
  const files = new Set<string>();
  for (const f of o.files) {
    if (files.size === MAX_INDEX_FILES) break;
    if (typeof f !== 'string') fail(`${what}.files must contain only strings, got ${typeOf(f)}`);
    if (isWorkspacePath(f)) files.add(f);
  }
  const symbols: WorkspaceSymbolInfo[] = [];
  for (const [i, raw] of o.symbols.entries()) {
    if (symbols.length === MAX_INDEX_SYMBOLS) break;
    const s = record(raw, `${what}.symbols[${i}]`);
    const field = (key: string) => {
      const v = s[key];
      if (typeof v !== 'string') fail(`${what}.symbols[${i}].${key} must be a string, got ${typeOf(v)}`);
      return v;
    };
    const name = field('name'), kind = field('kind'), symbolPath = field('path');
    const line = s.line;
    if (typeof line !== 'number' || !Number.isSafeInteger(line) || line < 1) fail(`${what}.symbols[${i}].line must be a line number (1 or more), got ${show(line)}`);
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > MAX_SYMBOL_NAME || kind.length > MAX_SYMBOL_KIND || !isWorkspacePath(symbolPath)) continue;
    symbols.push({ name: trimmed, kind: kind.toLowerCase(), path: symbolPath, line });
  }
  return { root, files: [...files], symbols };
}

function lineNumber(o: Record<string, unknown>, key: string, what: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) fail(`${what}.${key} must be a line number (1 or more), got ${show(v)}`);
  return v;
}

export function validateEditorActivity(params: unknown): EditorActivityParams {
  const what = 'editorActivity params';
  const o = record(params, what);
  const at = o.at;
  if (typeof at !== 'number' || !Number.isFinite(at) || at < 0) fail(`${what}.at must be a time in ms since the epoch, got ${show(at)}`);
  if (o.location === null) return { location: null, at };
  if (o.location === undefined) fail(`${what}.location is required (null when no workspace file is active)`);
  const l = record(o.location, `${what}.location`);
  const locationPath = requiredString(l, 'path', `${what}.location`);
  if (!isWorkspacePath(locationPath)) fail(`${what}.location.path must be workspace-relative with "/" (no "..", at most ${MAX_INDEX_PATH} characters), got ${JSON.stringify(locationPath.slice(0, 120))}`);
  const startLine = lineNumber(l, 'startLine', `${what}.location`);
  const endLine = lineNumber(l, 'endLine', `${what}.location`);
  if (endLine < startLine) fail(`${what}.location.endLine (${endLine}) is before startLine (${startLine})`);
  const location: EditorLocation = { path: locationPath, startLine, endLine };
  return { location, at };
}

/**
 * A plain LSP client (Neovim's, Helix's…) sends no initializationOptions, or none of Earshot's: it gets the current
 * protocol version and every setting from the environment and defaults, as the CLI does. A version that is there and
 * different is refused by the server; anything else that is there is checked as strictly as ever.
 */
export function validateInitializationOptions(options: unknown): InitializationOptions {
  const what = 'initializationOptions';
  const o = options === undefined || options === null ? {} : record(options, what);
  const version = o.protocolVersion === undefined ? PROTOCOL_VERSION : o.protocolVersion;
  if (typeof version !== 'number' || !Number.isInteger(version)) fail(`${what}.protocolVersion must be an integer`);
  const threads = o.threads;
  if (threads !== undefined && (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > 64)) {
    fail(`${what}.threads must be an integer from 1 to 64`);
  }
  const idle = o.modelIdleUnloadSec;
  if (idle !== undefined && (typeof idle !== 'number' || !Number.isInteger(idle) || idle < 0 || idle > 86400)) {
    fail(`${what}.modelIdleUnloadSec must be an integer from 0 to 86400`);
  }
  const retention = o.retentionDays;
  if (retention !== undefined && retention !== null && (typeof retention !== 'number' || !Number.isFinite(retention) || retention < 0 || retention > MAX_RETENTION_DAYS)) {
    fail(`${what}.retentionDays must be a number of days from 0 to ${MAX_RETENTION_DAYS} (0 keeps everything)`);
  }
  const debugSaveAudio = optionalBoolean(o, 'debugSaveAudio', what);
  const grace = o.interruptedGraceSec;
  if (grace !== undefined && grace !== null && (typeof grace !== 'number' || !Number.isFinite(grace) || grace < 0 || grace > 3600)) {
    fail(`${what}.interruptedGraceSec must be a number of seconds from 0 to 3600`);
  }
  const notesModelPath = optionalString(o, 'notesModelPath', what)?.trim() || undefined;
  // A file given whole: a relative path would depend on the daemon's working directory.
  if (notesModelPath !== undefined && !isAbsolute(notesModelPath)) fail(`${what}.notesModelPath must be an absolute path to a GGUF file, got ${show(notesModelPath)}`);
  return {
    protocolVersion: version,
    modelId: optionalString(o, 'modelId', what),
    modelCacheDir: optionalString(o, 'modelCacheDir', what),
    modelMirror: optionalHttpsUrl(o, 'modelMirror', what),
    vad: validateVad(o.vad, `${what}.vad`),
    modelIdleUnloadSec: idle as number | undefined,
    gpu: optionalBoolean(o, 'gpu', what),
    storageDir: optionalString(o, 'storageDir', what),
    notesDir: optionalString(o, 'notesDir', what),
    modelPath: optionalString(o, 'modelPath', what),
    ...(notesModelPath !== undefined ? { notesModelPath } : {}),
    language: optionalLanguage(o, what),
    threads: threads as number | undefined,
    ...(o.enhancement !== undefined && o.enhancement !== null ? { enhancement: validateEnhancement(o.enhancement, `${what}.enhancement`) } : {}),
    ...(typeof retention === 'number' ? { retentionDays: retention } : {}),
    ...(debugSaveAudio !== undefined ? { debugSaveAudio } : {}),
    ...(typeof grace === 'number' ? { interruptedGraceSec: grace } : {}),
  };
}

/** Ten years: beyond that "keep forever" (0) is what was meant. */
export const MAX_RETENTION_DAYS = 3650;

/**
 * Hosts that are this machine: an endpoint elsewhere receives the transcript. `localhost` and `*.localhost` count only
 * because the daemon connects to them on loopback without asking any resolver (providers.ts, localhostLookup).
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return isLocalhostName(host) || isLoopbackAddress(host);
}

/** `localhost` and its subdomains (a final dot allowed), loopback by RFC 6761 §6.3 whatever a DNS server says. */
export function isLocalhostName(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return host === 'localhost' || host.endsWith('.localhost');
}

const LOOPBACK_V6 = new BlockList();
LOOPBACK_V6.addAddress('::1', 'ipv6');

/** An IP address on loopback: 127.0.0.0/8, or ::1 in any spelling. A name (even one DNS would resolve) is not one. */
export function isLoopbackAddress(address: string): boolean {
  switch (isIP(address)) {
    case 4: return address.startsWith('127.');
    case 6: return LOOPBACK_V6.check(address, 'ipv6');
    default: return false;
  }
}

/**
 * The opt-in refinement settings. Refused: an unknown provider, an endpoint that is not an http(s) URL (or carries a
 * user name or password), a missing endpoint for 'openai-compatible', and, unless allowRemote is true, an endpoint
 * that is not on this machine (the transcript would leave it).
 */
export function validateEnhancement(value: unknown, what = 'enhancement'): EnhancementSettings {
  const o = record(value, what);
  const provider = optionalString(o, 'provider', what) ?? 'off';
  if (!ENHANCEMENT_PROVIDERS.includes(provider as EnhancementProvider)) {
    fail(`${what}.provider must be one of ${ENHANCEMENT_PROVIDERS.join(', ')}, got ${show(provider)}`);
  }
  const allowRemote = optionalBoolean(o, 'allowRemote', what);
  const carryNotes = optionalBoolean(o, 'carryNotes', what);
  const checkRestatements = optionalBoolean(o, 'checkRestatements', what);
  const checkProcedure = optionalBoolean(o, 'checkProcedure', what);
  const checkOwners = optionalBoolean(o, 'checkOwners', what);
  const checkStandings = optionalBoolean(o, 'checkStandings', what);
  const model = optionalString(o, 'model', what)?.trim() || undefined;
  // A local model is a file path, which may be long; elsewhere a model name.
  const longest = provider === 'local' ? 4096 : 200;
  if (model && model.length > longest) fail(`${what}.model is too long (${model.length} > ${longest} characters)`);
  const timeoutSec = o.timeoutSec;
  if (timeoutSec !== undefined && timeoutSec !== null && (typeof timeoutSec !== 'number' || !Number.isFinite(timeoutSec) || timeoutSec < 1 || timeoutSec > 300)) {
    fail(`${what}.timeoutSec must be a number of seconds from 1 to 300`);
  }
  const maxConcurrency = o.maxConcurrency;
  if (maxConcurrency !== undefined && maxConcurrency !== null && (typeof maxConcurrency !== 'number' || !Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > 8)) {
    fail(`${what}.maxConcurrency must be a whole number from 1 to 8`);
  }
  const tokenBudget = o.tokenBudget;
  if (tokenBudget !== undefined && tokenBudget !== null && (typeof tokenBudget !== 'number' || !Number.isFinite(tokenBudget) || tokenBudget < 1000 || tokenBudget > 2_000_000)) {
    fail(`${what}.tokenBudget must be a number of tokens from 1000 to 2000000`);
  }
  const chunkChars = o.chunkChars;
  if (chunkChars !== undefined && chunkChars !== null && (typeof chunkChars !== 'number' || !chunkCharsInRange(chunkChars))) {
    fail(`${what}.chunkChars must be a number of characters from 1000 to 100000`);
  }
  // The endpoint only matters to 'openai-compatible': one left in the settings while the provider is off is ignored.
  const endpoint = provider === 'openai-compatible' ? optionalString(o, 'endpoint', what)?.trim() || undefined : undefined;
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      fail(`${what}.endpoint must be an http(s) URL such as http://127.0.0.1:11434, got ${JSON.stringify(endpoint.slice(0, 200))}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(`${what}.endpoint must be an http or https URL`);
    if (url.username || url.password) fail(`${what}.endpoint must not carry a user name or password`);
    if (!allowRemote && !isLoopbackHost(url.hostname)) {
      fail(`${what}.endpoint ${url.host} is not on this machine: the meeting transcript would be sent there. Use a local server ` +
        '(localhost, 127.0.0.1, ::1) or allow remote endpoints explicitly (earshot.enhancement.allowRemoteEndpoint).');
    }
  } else if (provider === 'openai-compatible') {
    fail(`${what}.endpoint is required for the 'openai-compatible' provider (e.g. http://127.0.0.1:11434 for Ollama)`);
  }
  return {
    provider: provider as EnhancementProvider,
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(model !== undefined ? { model } : {}),
    ...(typeof timeoutSec === 'number' ? { timeoutSec } : {}),
    ...(allowRemote !== undefined ? { allowRemote } : {}),
    ...(typeof maxConcurrency === 'number' ? { maxConcurrency } : {}),
    ...(typeof tokenBudget === 'number' ? { tokenBudget: Math.round(tokenBudget) } : {}),
    ...(typeof chunkChars === 'number' ? { chunkChars: Math.round(chunkChars) } : {}),
    ...(carryNotes !== undefined ? { carryNotes } : {}),
    ...(checkRestatements !== undefined ? { checkRestatements } : {}),
    ...(checkProcedure !== undefined ? { checkProcedure } : {}),
    ...(checkOwners !== undefined ? { checkOwners } : {}),
    ...(checkStandings !== undefined ? { checkStandings } : {}),
  };
}

/** Bounds on a model's answer: items are sentences. */
const MAX_REFINED_ENTRIES = 50;
const MAX_REFINED_TEXT = 500;
const DUE = /^\d{4}-\d{2}-\d{2}$/;
const DECISION_KINDS: readonly DecisionKind[] = ['decision', 'deferral', 'negative'];

function optionalBoolean(o: Record<string, unknown>, key: string, what: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') fail(`${what}.${key} must be a boolean`);
  return v;
}

function optionalHttpsUrl(o: Record<string, unknown>, key: string, what: string): string | undefined {
  const v = optionalString(o, key, what);
  if (v === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    fail(`${what}.${key} must be a URL`);
  }
  if (url.protocol !== 'https:') fail(`${what}.${key} must be an https URL: models are only downloaded over HTTPS`);
  return v;
}

function validateVad(value: unknown, what: string): VadSettings | undefined {
  if (value === undefined || value === null) return undefined;
  const o = record(value, what);
  const profile = optionalString(o, 'profile', what);
  if (profile !== undefined && profile !== 'default' && profile !== 'sensitive') fail(`${what}.profile must be "default" or "sensitive"`);
  const number = (key: string, min: number, max: number): number | undefined => {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) fail(`${what}.${key} must be a number from ${min} to ${max}`);
    return v;
  };
  const vad: VadSettings = {
    profile: profile as VadSettings['profile'],
    onThreshold: number('onThreshold', 0.01, 0.99),
    offThreshold: number('offThreshold', 0.01, 0.99),
    hangoverMs: number('hangoverMs', 32, 5000),
  };
  if (vad.onThreshold !== undefined && vad.offThreshold !== undefined && vad.offThreshold > vad.onThreshold) {
    fail(`${what}.offThreshold must not be above onThreshold`);
  }
  return vad;
}

export function validateItemRestore(params: unknown): ItemRestoreParams {
  const what = 'item/restore params';
  const o = record(params, what);
  const sessionId = requiredSessionId(o, what);
  const kind = requiredString(o, 'kind', what);
  if (kind !== 'actionItem' && kind !== 'decision') fail(`${what}.kind must be 'actionItem' or 'decision', got ${show(kind)}`);
  const id = requiredString(o, 'id', what);
  if (!ITEM_ID.test(id)) fail(`${what}.id is not an item id: ${JSON.stringify(id.slice(0, 80))}`);
  return { sessionId, kind, id };
}

export function validateExtractionCancel(params: unknown): ExtractionCancelParams {
  const what = 'extraction/cancel params';
  const sessionId = requiredString(record(params, what), 'sessionId', what);
  if (!SESSION_ID.test(sessionId)) fail(`${what}.sessionId is not a session id: ${JSON.stringify(sessionId.slice(0, 80))}`);
  return { sessionId };
}

export function validateNotesRewrite(params: unknown): NotesRewriteParams {
  const what = 'notes/rewrite params';
  const sessionId = requiredString(record(params, what), 'sessionId', what);
  if (!SESSION_ID.test(sessionId)) fail(`${what}.sessionId is not a session id: ${JSON.stringify(sessionId.slice(0, 80))}`);
  return { sessionId };
}

export function validateLanguageModelDiscover(params: unknown): LanguageModelDiscoverParams {
  const what = 'languageModel/discover params';
  if (params === undefined || params === null) return {};
  const timeoutMs = record(params, what).timeoutMs;
  if (timeoutMs === undefined || timeoutMs === null) return {};
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 50 || timeoutMs > 5000) {
    fail(`${what}.timeoutMs must be a number of milliseconds from 50 to 5000, got ${show(timeoutMs)}`);
  }
  return { timeoutMs };
}

/** The client's answer to earshot/languageModel/chat: null when it declined or the answer is not of that shape. */
export function validateLanguageModelChatResult(value: unknown): LanguageModelChatResult | null {
  if (typeof value !== 'object' || value === null) return null;
  const o = value as Record<string, unknown>;
  if (typeof o.text !== 'string') return null;
  const model = typeof o.model === 'string' && o.model.trim() ? o.model.trim().slice(0, 100) : 'VS Code language model';
  return { text: o.text, model };
}

/** Longest dismissal reason kept. */
const MAX_DISMISS_REASON = 200;

/**
 * One chunk's answer from the language model, made safe (see {@link ChunkExtraction}). null when the answer is not an
 * object with at least one of the lists: the caller retries once, then drops the chunk. Entries of the wrong shape are
 * dropped one by one: an item must cite at least one of `segmentIds` (the chunk's lines; others are dropped), a
 * dismissal must name one of `dismissable` and give a reason, a rewrite must name one of `rewritable` (the chunk's
 * rule-based action items) and say only what may stand in an item (an owner among `speakers` or null, a due date or
 * null, a text). A decision's standing, when the answer gives one, must be decided, open or given; without one it comes
 * from the kind (a deferral is open), and open makes a deferral. Each entry refused for its contents (not for its
 * shape alone) is said in `refused`, in words that carry no text of the answer: ids shown to the model and field names.
 */
export function validateChunkExtraction(value: unknown, segmentIds: ReadonlySet<string>, dismissable: ReadonlySet<string>,
  rewritable: ReadonlySet<string> = new Set(), speakers: ReadonlySet<string> = new Set(), refused: string[] = [],
  rewritableDecisions: ReadonlySet<string> = new Set()): ChunkExtraction | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const o = value as Record<string, unknown>;
  const rawItems = o.actionItems ?? o.action_items;
  const rawDismiss = o.dismiss ?? o.dismissals;
  const rawRewrite = o.rewrite ?? o.rewrites;
  if (![rawItems, o.decisions, rawDismiss, rawRewrite, o.owners].some(Array.isArray)) return null;
  const text = (v: unknown, max = MAX_REFINED_TEXT): string | undefined => {
    if (typeof v !== 'string') return undefined;
    // Model text reaches journals, notes and terminals: no control or bidi character (security review 2, S5).
    const t = plainLine(v);
    return t ? (t.length > max ? t.slice(0, max - 1) + '…' : t) : undefined;
  };
  const date = (v: unknown): string | undefined => (typeof v === 'string' && DUE.test(v.trim()) && !Number.isNaN(Date.parse(v.trim())) ? v.trim() : undefined);
  const entries = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.slice(0, MAX_REFINED_ENTRIES) : [])
    .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null && !Array.isArray(e));
  const cited = (e: Record<string, unknown>): string[] => {
    const raw = e.segments ?? e.segmentIds ?? e.segment ?? e.segmentId;
    const list = Array.isArray(raw) ? raw : [raw];
    return [...new Set(list.map(citedId).filter((x): x is string => x !== undefined && segmentIds.has(x)))];
  };
  const actionItems: ChunkExtraction['actionItems'] = [];
  for (const e of entries(rawItems)) {
    const t = text(e.text);
    const segments = cited(e);
    if (!t || !segments.length) continue;
    const owner = text(e.owner, 100);
    actionItems.push({ text: t, owner: owner ? owner.replace(/^@/, '') : null, due: date(e.due) ?? null, segments });
  }
  const decisions: ChunkExtraction['decisions'] = [];
  entries(o.decisions).forEach((e, k) => {
    const t = text(e.text);
    const segments = cited(e);
    if (!t || !segments.length) return;
    const said = typeof e.standing === 'string' ? e.standing.trim().toLowerCase() : e.standing;
    if (said !== undefined && said !== null && !DECISION_STANDINGS.includes(said as DecisionStanding)) {
      refused.push(`decision ${k + 1}: standing must be one of ${DECISION_STANDINGS.join(', ')}`);
      return;
    }
    const kind = DECISION_KINDS.includes(e.kind as DecisionKind) ? e.kind as DecisionKind : 'decision';
    const standing = (said as DecisionStanding | undefined | null) ?? decisionStanding({ kind });
    // One vocabulary: a deferral is what is left open, and what is left open is a deferral.
    decisions.push({ text: t, kind: standing === 'open' ? 'deferral' : kind === 'deferral' ? 'decision' : kind, standing, segments });
  });
  const dismiss: ChunkExtraction['dismiss'] = [];
  for (const e of entries(rawDismiss)) {
    const id = typeof e.id === 'string' ? e.id.trim() : undefined;
    const reason = text(e.reason, MAX_DISMISS_REASON);
    if (!id || !dismissable.has(id) || !reason || dismiss.some((d) => d.id === id)) continue;
    dismiss.push({ id, reason });
  }
  // A rewrite's owner names a speaker of the chunk (by its label, any case), never free text; null: nobody owns it.
  const speakerByLower = new Map([...speakers].map((s) => [s.toLowerCase(), s]));
  const rewrite: ChunkExtraction['rewrite'] = [];
  // An older answer's owner corrections ({id, owner}) are rewrites of the owner alone (a null owner is no correction).
  const owners = entries(o.owners).filter((e) => e.owner !== null && e.owner !== undefined).map((e): Record<string, unknown> => ({ id: e.id, owner: e.owner }));
  for (const e of [...entries(rawRewrite), ...owners]) {
    const id = typeof e.id === 'string' ? e.id.trim() : undefined;
    if (id && rewritableDecisions.has(id)) {
      const problem = decisionRewriteProblem(e, id, { dismissed: dismiss, rewritten: rewrite });
      if (problem) {
        refused.push(problem);
        continue;
      }
      const entry: ChunkExtraction['rewrite'][number] = { id };
      if (e.text !== undefined) entry.text = text(e.text)!;
      if (e.standing !== undefined) entry.standing = String(e.standing).trim().toLowerCase() as DecisionStanding;
      if (e.kind !== undefined) entry.kind = e.kind === 'negative' ? 'negative' : 'decision';
      rewrite.push(entry);
      continue;
    }
    const problem = rewriteProblem(e, id, { rewritable, speakerByLower, dismissed: dismiss, rewritten: rewrite, date });
    if (problem) {
      refused.push(problem);
      continue;
    }
    const entry: ChunkExtraction['rewrite'][number] = { id: id! };
    if (e.text !== undefined) entry.text = text(e.text)!;
    if (e.owner !== undefined) entry.owner = e.owner === null ? null : speakerByLower.get(String(e.owner).replace(/^@/, '').trim().toLowerCase())!;
    if (e.due !== undefined) entry.due = e.due === null ? null : date(e.due)!;
    rewrite.push(entry);
  }
  return { actionItems, decisions, dismiss, rewrite };
}

/**
 * Why a rewrite of a rule-based decision cannot be taken (undefined: it can): its text, standing (decided, open,
 * given) and kind (decision, negative) only, at least one of them; in words that carry no text of the answer.
 */
function decisionRewriteProblem(e: Record<string, unknown>, id: string, c: { dismissed: readonly { id: string }[]; rewritten: readonly { id: string }[] }): string | undefined {
  if (c.dismissed.some((d) => d.id === id)) return `rewrite ${id}: the same answer dismisses it`;
  if (c.rewritten.some((r) => r.id === id)) return `rewrite ${id}: rewritten twice in one answer (the first is kept)`;
  if (e.owner !== undefined || e.due !== undefined) return `rewrite ${id}: a decision has no owner or due date`;
  if (e.text === undefined && e.standing === undefined && e.kind === undefined) return `rewrite ${id}: gives no text, standing or kind to change`;
  if (e.text !== undefined && (typeof e.text !== 'string' || !plainLine(e.text))) return `rewrite ${id}: text must be a non-empty string`;
  if (e.standing !== undefined && (typeof e.standing !== 'string' || !DECISION_STANDINGS.includes(e.standing.trim().toLowerCase() as DecisionStanding))) {
    return `rewrite ${id}: standing must be one of ${DECISION_STANDINGS.join(', ')}`;
  }
  if (e.kind !== undefined && e.kind !== 'decision' && e.kind !== 'negative') return `rewrite ${id}: kind must be decision or negative`;
  return undefined;
}

/** Why a rewrite cannot be taken (undefined: it can), in words that carry no text of the answer. */
function rewriteProblem(e: Record<string, unknown>, id: string | undefined, c: {
  rewritable: ReadonlySet<string>; speakerByLower: ReadonlyMap<string, string>; dismissed: readonly { id: string }[];
  rewritten: readonly { id: string }[]; date: (v: unknown) => string | undefined;
}): string | undefined {
  if (!id || !c.rewritable.has(id)) return 'rewrite: its id is not one of the rule-based action items or decisions shown with this part';
  if (c.dismissed.some((d) => d.id === id)) return `rewrite ${id}: the same answer dismisses it`;
  if (c.rewritten.some((r) => r.id === id)) return `rewrite ${id}: rewritten twice in one answer (the first is kept)`;
  if (e.text === undefined && e.owner === undefined && e.due === undefined) return `rewrite ${id}: gives no text, owner or due to change`;
  if (e.text !== undefined && (typeof e.text !== 'string' || !plainLine(e.text))) return `rewrite ${id}: text must be a non-empty string`;
  if (e.owner !== undefined && e.owner !== null && (typeof e.owner !== 'string' || !c.speakerByLower.has(e.owner.replace(/^@/, '').trim().toLowerCase()))) {
    return `rewrite ${id}: owner must be a speaker label of this part, or null`;
  }
  if (e.due !== undefined && e.due !== null && !c.date(e.due)) return `rewrite ${id}: due must be a YYYY-MM-DD date, or null`;
  return undefined;
}

const VOICE = /^Speaker \d{1,6}$/;

/** A voice's new name: trimmed, at most MAX_SPEAKER_NAME characters, no control characters (it is shown on every line). */
export function validateSpeakerRename(params: unknown): SpeakerRenameParams {
  const what = 'speakers/rename params';
  const o = record(params, what);
  const sessionId = requiredSessionId(o, what);
  const source = requiredString(o, 'source', what);
  if (!SOURCE_KINDS.includes(source as SourceKind)) fail(`${what}.source must be one of ${SOURCE_KINDS.join(', ')}, got ${show(source)}`);
  const voice = requiredString(o, 'voice', what);
  if (!VOICE.test(voice)) fail(`${what}.voice must be a voice as finals carry it ("Speaker 2"), got ${JSON.stringify(voice.slice(0, 80))}`);
  if (o.name !== null && o.name !== undefined && typeof o.name !== 'string') fail(`${what}.name must be a string or null, got ${typeOf(o.name)}`);
  const name = typeof o.name === 'string' ? o.name.trim() : '';
  if (name.length > MAX_SPEAKER_NAME) fail(`${what}.name is ${name.length} characters: at most ${MAX_SPEAKER_NAME}`);
  if (CONTROL_OR_BIDI.test(name)) fail(`${what}.name has control characters`);
  return { sessionId, source: source as SourceKind, voice, name: name || null };
}
