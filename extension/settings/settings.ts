// extension/settings/: every earshot.* setting, typed (settings.ts, the one module that reads them), and privacy:
// Earshot: Delete All Data and what Workspace Trust restricts (privacy.ts). Imports remote/ (where a remote window's
// notes go).
/**
 * Typed access to every `earshot.*` setting: the one module that reads them. Each is declared in package.json
 * `contributes.configuration` and listed in {@link SETTING_KEYS}; test/unit/settings-manifest.test.ts keeps the
 * three in step (declared ⇔ listed ⇔ read here).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RemoteNotesTarget, remoteNotesTarget } from '../remote/remoteNotes';
import { AUTO_STOP_COUNTDOWN_SEC, AUTO_STOP_SILENCE_SEC, CARRY_NOTES_DEFAULT, CHECK_OWNERS_DEFAULT, CHECK_PROCEDURE_DEFAULT, CHECK_RESTATEMENTS_DEFAULT, CHECK_STANDINGS_DEFAULT, chunkCharsInRange, DEFAULT_CHUNK_CHARS, DEFAULT_ENHANCEMENT_CONCURRENCY, DEFAULT_ENHANCEMENT_TOKEN_BUDGET, EnhancementProvider, EnhancementSettings, LiveSourceKind } from '../../protocol/protocol';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type GpuSetting = 'auto' | 'on' | 'off';
export type VadProfile = 'default' | 'sensitive';

/** Every setting Earshot declares, in the order of the Settings editor. */
export const SETTING_KEYS = [
  // Model and recognition
  'earshot.model.id', 'earshot.model.path', 'earshot.model.cacheDir', 'earshot.model.mirror', 'earshot.model.idleUnloadMinutes',
  'earshot.language', 'earshot.gpu', 'earshot.threads',
  // Audio
  'earshot.sources.microphone', 'earshot.sources.systemAudio', 'earshot.devices.microphone', 'earshot.devices.systemAudio',
  'earshot.speakers.microphone', 'earshot.speakers.systemAudio', 'earshot.speakers.enabled', 'earshot.vad.profile',
  // Notes and privacy
  'earshot.notes.folder', 'earshot.retention.days',
  // Meeting memory (the @earshot chat, the Action items view, the meetings' CodeLens and hover on code, decisions as ADRs)
  'earshot.memory.myNames', 'earshot.codeLens.meetings', 'earshot.adr.folder', 'earshot.agentTools.mcpServer',
  // Calls and templates (extension/calls/: the offer when an app uses the microphone; the notes templates)
  'earshot.calls.detect', 'earshot.calls.alwaysStart', 'earshot.calls.ignoreApps', 'earshot.calls.autoStop', 'earshot.calls.autoStopSilenceSeconds',
  'earshot.calls.autoStopCountdownSeconds', 'earshot.templates.default',
  // Dictation
  'earshot.dictation.showPartial', 'earshot.dictation.spokenPunctuation', 'earshot.dictation.microphone',
  // Optional extraction by a language model
  'earshot.enhancement.provider', 'earshot.enhancement.endpoint', 'earshot.enhancement.model', 'earshot.notes.model.path', 'earshot.enhancement.timeoutSeconds',
  'earshot.enhancement.allowRemoteEndpoint', 'earshot.enhancement.maxConcurrency', 'earshot.enhancement.tokenBudget', 'earshot.enhancement.chunkCharacters', 'earshot.enhancement.carryNotes', 'earshot.enhancement.checkRestatements',
  'earshot.enhancement.checkOwners', 'earshot.enhancement.checkProcedure', 'earshot.enhancement.checkStandings',
  // Diagnostics
  'earshot.logLevel', 'earshot.debug.saveAudio',
] as const;
export type SettingKey = typeof SETTING_KEYS[number];

/** Settings that only take effect when the daemon starts: changing one restarts it (between sessions). */
export const DAEMON_SETTINGS: readonly SettingKey[] = [
  'earshot.model.path', 'earshot.model.id', 'earshot.model.cacheDir', 'earshot.model.mirror', 'earshot.model.idleUnloadMinutes',
  'earshot.language', 'earshot.gpu', 'earshot.vad.profile', 'earshot.notes.folder', 'earshot.retention.days', 'earshot.threads', 'earshot.logLevel',
  'earshot.enhancement.provider', 'earshot.enhancement.endpoint', 'earshot.enhancement.model', 'earshot.notes.model.path', 'earshot.enhancement.timeoutSeconds',
  'earshot.enhancement.allowRemoteEndpoint', 'earshot.enhancement.maxConcurrency', 'earshot.enhancement.tokenBudget', 'earshot.enhancement.chunkCharacters', 'earshot.enhancement.carryNotes', 'earshot.enhancement.checkRestatements',
  'earshot.enhancement.checkOwners', 'earshot.enhancement.checkProcedure', 'earshot.enhancement.checkStandings',
  'earshot.debug.saveAudio',
];

/**
 * Settings a workspace must not set before it is trusted (package.json `capabilities.untrustedWorkspaces
 * .restrictedConfigurations`; VS Code then uses only the user's values): paths and programs Earshot would load or
 * write to, where the transcript or audio would go, what gets logged or deleted.
 */
export const RESTRICTED_SETTINGS: readonly SettingKey[] = [
  'earshot.model.path', 'earshot.model.cacheDir', 'earshot.model.mirror', 'earshot.notes.folder', 'earshot.notes.model.path', 'earshot.retention.days',
  'earshot.enhancement.provider', 'earshot.enhancement.endpoint', 'earshot.enhancement.model', 'earshot.enhancement.allowRemoteEndpoint',
  'earshot.logLevel', 'earshot.debug.saveAudio',
];

/** The dictation settings (`earshot.dictation.*`). */
export interface DictationSettings {
  /** Show what is being said as ghost text at the cursor before it is final. */
  showPartial: boolean;
  /** Apply the dictation grammar (GRAMMAR.md): spoken punctuation, capitals, "scratch that", case commands. */
  spokenPunctuation: boolean;
  /** The microphone to dictate with: earshot.dictation.microphone, else earshot.devices.microphone; undefined = the system default. */
  microphone: string | undefined;
}

/** Call detection's settings (`earshot.calls.*`): extension/calls/. */
export interface CallSettings {
  /** Watch which apps use the microphone and offer to take notes when a call starts. */
  detect: boolean;
  /** Apps whose calls start meeting notes without asking (as detection names them; compared without case). */
  alwaysStart: string[];
  /** Apps never offered. */
  ignoreApps: string[];
  /** A meeting started for a call stops when the call ends (SessionStartParams.autoStop); undefined: off. */
  autoStop: { silenceSec: number; countdownSec: number } | undefined;
}

export class EarshotSettings {
  private constructor(private readonly config: vscode.WorkspaceConfiguration) {}

  static read(): EarshotSettings {
    return new EarshotSettings(vscode.workspace.getConfiguration('earshot'));
  }

  private get<T>(key: SettingKey, fallback: T): T {
    return this.config.get<T>(key.slice('earshot.'.length), fallback);
  }

  private text(key: SettingKey, fallback = ''): string {
    const value = this.get<unknown>(key, fallback);
    return typeof value === 'string' ? value.trim() : fallback;
  }

  /** A ggml whisper model file; empty means the default model in Earshot's storage. */
  get modelPath(): string | undefined {
    const value = this.text('earshot.model.path');
    return value ? expandHome(value) : undefined;
  }

  /** A catalog model id; undefined = let the daemon choose from the machine. */
  get modelId(): string | undefined {
    return this.text('earshot.model.id') || undefined;
  }

  /** A GGUF notes model file the user has (earshot.notes.model.path): used offline instead of a catalog model. */
  get notesModelPath(): string | undefined {
    const value = this.text('earshot.notes.model.path');
    return value ? path.resolve(expandHome(value)) : undefined;
  }

  get modelCacheDir(): string | undefined {
    const value = this.text('earshot.model.cacheDir');
    return value ? expandHome(value) : undefined;
  }

  get modelMirror(): string | undefined {
    return this.text('earshot.model.mirror') || undefined;
  }

  get modelIdleUnloadSec(): number {
    return this.get<number>('earshot.model.idleUnloadMinutes', 10) * 60;
  }

  /** undefined = the daemon's default (Metal on Apple Silicon). */
  get gpu(): boolean | undefined {
    const value = this.get<GpuSetting>('earshot.gpu', 'auto');
    return value === 'on' ? true : value === 'off' ? false : undefined;
  }

  get vadProfile(): VadProfile {
    return this.get<VadProfile>('earshot.vad.profile', 'default') === 'sensitive' ? 'sensitive' : 'default';
  }

  get language(): string {
    return this.text('earshot.language', 'en') || 'en';
  }

  /** 0 = let the daemon choose. */
  get threads(): number {
    return this.get<number>('earshot.threads', 0);
  }

  /** The live sources a meeting records: the microphone, and the system's audio output (the other people in a call). */
  get meetingSources(): LiveSourceKind[] {
    const sources: LiveSourceKind[] = [];
    if (this.get<boolean>('earshot.sources.microphone', true)) sources.push('mic');
    if (this.get<boolean>('earshot.sources.systemAudio', true)) sources.push('system');
    return sources;
  }

  /** Device ids per live source ('default' or empty = the system's default). */
  get devices(): Partial<Record<LiveSourceKind, string>> {
    const mic = this.text('earshot.devices.microphone');
    const system = this.text('earshot.devices.systemAudio');
    return { ...(mic ? { mic } : {}), ...(system ? { system } : {}) };
  }

  /** How the transcript labels each live source. */
  get speakers(): Record<LiveSourceKind, string> {
    return {
      mic: this.text('earshot.speakers.microphone', 'You') || 'You',
      system: this.text('earshot.speakers.systemAudio', 'Others') || 'Others',
    };
  }

  /** Tell the speakers within a source apart (SessionStartParams.identifySpeakers). */
  get identifySpeakers(): boolean {
    return this.get<boolean>('earshot.speakers.enabled', true) !== false;
  }

  /**
   * Who "me" is among action-item owners (the @earshot chat's /todo, the Action items view): the microphone's speaker
   * label and the names the user set in earshot.memory.myNames, without blanks or repeats.
   */
  get myNames(): string[] {
    const names = this.get<unknown>('earshot.memory.myNames', []);
    const extra = Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [];
    return [...new Set([this.speakers.mic, ...extra].map((n) => n.trim()).filter((n) => n.length > 0))];
  }

  /** Show the meetings that spoke of a file or symbol above it (CodeLens) and on hover; on unless set to false. */
  get codeLensMeetings(): boolean {
    return this.get<unknown>('earshot.codeLens.meetings', true) !== false;
  }

  /** Offer the agent tools as an MCP server to VS Code (memory/mcpServer.ts) instead of as Language Model Tools; off by default. */
  get agentToolsMcpServer(): boolean {
    return this.get<unknown>('earshot.agentTools.mcpServer', false) === true;
  }

  /** The ADR folder set for decision records (workspace-relative); '' to detect it (decisions/adr.ts). */
  get adrFolder(): string {
    return this.text('earshot.adr.folder');
  }

  get calls(): CallSettings {
    const bounded = (key: SettingKey, bounds: { min: number; max: number; default: number }) => {
      const value = this.get<unknown>(key, bounds.default);
      return typeof value === 'number' && Number.isFinite(value) ? Math.min(bounds.max, Math.max(bounds.min, Math.round(value))) : bounds.default;
    };
    const silenceSec = bounded('earshot.calls.autoStopSilenceSeconds', AUTO_STOP_SILENCE_SEC);
    const countdownSec = bounded('earshot.calls.autoStopCountdownSeconds', AUTO_STOP_COUNTDOWN_SEC);
    return {
      detect: this.get<unknown>('earshot.calls.detect', true) !== false,
      // Only the user's own value counts (package.json scope "application"): a workspace cannot make Earshot record unasked.
      alwaysStart: this.names('earshot.calls.alwaysStart'),
      ignoreApps: this.names('earshot.calls.ignoreApps'),
      autoStop: this.get<unknown>('earshot.calls.autoStop', true) !== false ? { silenceSec, countdownSec } : undefined,
    };
  }

  /** The notes template a meeting uses when the user picks none (its id, earshot/templates/list); '' = by title, else the standard notes. */
  get defaultTemplate(): string {
    return this.text('earshot.templates.default');
  }

  private names(key: SettingKey): string[] {
    const value = this.get<unknown>(key, []);
    return Array.isArray(value) ? value.filter((n): n is string => typeof n === 'string').map((n) => n.trim()).filter((n) => n.length > 0) : [];
  }

  /** Days to keep session journals; 0 = forever (the daemon deletes older ones). */
  get retentionDays(): number {
    const days = this.get<number>('earshot.retention.days', 0);
    return typeof days === 'number' && Number.isFinite(days) && days > 0 ? days : 0;
  }

  get dictation(): DictationSettings {
    const microphone = this.text('earshot.dictation.microphone') || this.devices.mic;
    return {
      showPartial: this.get<boolean>('earshot.dictation.showPartial', true),
      spokenPunctuation: this.get<boolean>('earshot.dictation.spokenPunctuation', true),
      microphone: microphone || undefined,
    };
  }

  /** The opt-in language-model extraction over the whole meeting at stop; provider 'off' (the default): none. */
  get enhancement(): EnhancementSettings {
    const provider = this.get<EnhancementProvider>('earshot.enhancement.provider', 'off');
    const endpoint = this.text('earshot.enhancement.endpoint', 'http://127.0.0.1:11434');
    const model = this.text('earshot.enhancement.model');
    const timeoutSec = this.get<number>('earshot.enhancement.timeoutSeconds', 20);
    const allowRemote = this.get<boolean>('earshot.enhancement.allowRemoteEndpoint', false);
    const maxConcurrency = this.get<number>('earshot.enhancement.maxConcurrency', DEFAULT_ENHANCEMENT_CONCURRENCY);
    const tokenBudget = this.get<number>('earshot.enhancement.tokenBudget', DEFAULT_ENHANCEMENT_TOKEN_BUDGET);
    const chunkChars = this.get<number>('earshot.enhancement.chunkCharacters', DEFAULT_CHUNK_CHARS);
    const carryNotes = this.get<boolean>('earshot.enhancement.carryNotes', CARRY_NOTES_DEFAULT);
    const checkRestatements = this.get<boolean>('earshot.enhancement.checkRestatements', CHECK_RESTATEMENTS_DEFAULT);
    const checkOwners = this.get<boolean>('earshot.enhancement.checkOwners', CHECK_OWNERS_DEFAULT);
    const checkProcedure = this.get<boolean>('earshot.enhancement.checkProcedure', CHECK_PROCEDURE_DEFAULT);
    const checkStandings = this.get<boolean>('earshot.enhancement.checkStandings', CHECK_STANDINGS_DEFAULT);
    return {
      provider: provider === 'vscode-lm' || provider === 'openai-compatible' || provider === 'local' ? provider : 'off',
      ...(endpoint ? { endpoint } : {}),
      ...(model ? { model } : {}),
      ...(timeoutSec ? { timeoutSec } : {}),
      ...(allowRemote ? { allowRemote } : {}),
      // Out-of-range values (a hand-edited settings file) fall back to the defaults rather than refuse to start.
      ...(Number.isInteger(maxConcurrency) && maxConcurrency >= 1 && maxConcurrency <= 8 ? { maxConcurrency } : {}),
      ...(Number.isFinite(tokenBudget) && tokenBudget >= 1000 && tokenBudget <= 2_000_000 ? { tokenBudget } : {}),
      ...(chunkCharsInRange(chunkChars) ? { chunkChars: Math.round(chunkChars) } : {}),
      ...(typeof carryNotes === 'boolean' ? { carryNotes } : {}),
      ...(typeof checkRestatements === 'boolean' ? { checkRestatements } : {}),
      ...(typeof checkOwners === 'boolean' ? { checkOwners } : {}),
      ...(typeof checkProcedure === 'boolean' ? { checkProcedure } : {}),
      ...(typeof checkStandings === 'boolean' ? { checkStandings } : {}),
    };
  }

  get logLevel(): LogLevel {
    const level = this.get<LogLevel>('earshot.logLevel', 'info');
    return level === 'debug' || level === 'warn' || level === 'error' ? level : 'info';
  }

  /** The notes folder as configured (relative to the first workspace folder, or absolute). */
  get notesFolder(): string {
    return this.text('earshot.notes.folder', '.earshot/notes') || '.earshot/notes';
  }

  /** The debug dump: write each session's audio to `<globalStorage>/debug-audio` (off by default). */
  get debugSaveAudio(): boolean {
    return this.get<boolean>('earshot.debug.saveAudio', false) === true;
  }

  /**
   * Where notes go: relative to the first workspace folder, or in global storage with no folder open (a remote
   * window's folder: a local copy in global storage, see remoteNotes). In a workspace
   * that is not trusted (Workspace Trust) nothing is written into it: notes go to global storage, or to an absolute
   * folder from the user's own settings (the workspace's value of this setting is ignored then) outside the workspace.
   */
  notesDir(context: Pick<vscode.ExtensionContext, 'globalStorageUri'>): string {
    const folder = expandHome(this.notesFolder);
    const global = path.join(context.globalStorageUri.fsPath, 'notes');
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (vscode.workspace.isTrusted === false) {
      const inWorkspace = (p: string) => folders.some((f) => !path.relative(f.uri.fsPath, p).startsWith('..') && !path.isAbsolute(path.relative(f.uri.fsPath, p)));
      return path.isAbsolute(folder) && !inWorkspace(folder) ? folder : global;
    }
    if (path.isAbsolute(folder)) return folder;
    const workspace = folders[0];
    if (!workspace) return global;
    return this.remoteNotes(context)?.localDir ?? path.join(workspace.uri.fsPath, folder);
  }

  /**
   * A remote window's notes (the first workspace folder is not a `file:` URI: WSL, SSH, a container): the daemon on
   * this machine writes them locally and the extension copies them into the workspace (remote/remoteNotes.ts).
   * Undefined for a local workspace, an untrusted one, or an absolute notes folder (a folder on this machine, written
   * directly).
   */
  remoteNotes(context: Pick<vscode.ExtensionContext, 'globalStorageUri'>): RemoteNotesTarget | undefined {
    const folder = expandHome(this.notesFolder);
    const workspace = vscode.workspace.workspaceFolders?.[0];
    if (!workspace || workspace.uri.scheme === 'file' || vscode.workspace.isTrusted === false || path.isAbsolute(folder)) return undefined;
    return remoteNotesTarget(workspace.uri, folder, context.globalStorageUri.fsPath);
  }
}

/**
 * Restricted settings the workspace (or a folder of it) sets: VS Code ignores them until the workspace is trusted, so
 * when trust is granted they start to apply (the daemon must restart to use them).
 */
export function restrictedWorkspaceValues(): SettingKey[] {
  const config = vscode.workspace.getConfiguration();
  return RESTRICTED_SETTINGS.filter((key) => {
    const inspected = config.inspect(key);
    return inspected?.workspaceValue !== undefined || inspected?.workspaceFolderValue !== undefined;
  });
}

function expandHome(p: string): string {
  return p.startsWith('~/') ? path.join(process.env.HOME ?? '', p.slice(2)) : p;
}
