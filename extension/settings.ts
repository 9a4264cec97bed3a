/**
 * Typed access to every `earshot.*` setting (declared in package.json `contributes.configuration`).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EnhancementProvider, EnhancementSettings, LiveSourceKind } from '../protocol/protocol';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Settings that only take effect when the daemon starts: changing one restarts it. */
export const DAEMON_SETTINGS = [
  'earshot.model.path', 'earshot.model.id', 'earshot.model.cacheDir', 'earshot.model.mirror', 'earshot.model.idleUnloadMinutes',
  'earshot.language', 'earshot.gpu', 'earshot.vad.profile', 'earshot.notes.folder', 'earshot.threads', 'earshot.logLevel',
  'earshot.enhancement.provider', 'earshot.enhancement.endpoint', 'earshot.enhancement.model', 'earshot.enhancement.timeoutSeconds',
  'earshot.enhancement.allowRemoteEndpoint',
];

export class EarshotSettings {
  private constructor(private readonly config: vscode.WorkspaceConfiguration) {}

  static read(): EarshotSettings {
    return new EarshotSettings(vscode.workspace.getConfiguration('earshot'));
  }

  /** A ggml whisper model file; empty means the default model in Earshot's storage. */
  get modelPath(): string | undefined {
    const value = this.config.get<string>('model.path', '').trim();
    return value ? expandHome(value) : undefined;
  }

  /** A catalog model id; undefined = let the daemon choose from the machine. */
  get modelId(): string | undefined {
    return this.config.get<string>('model.id', '') || undefined;
  }

  get modelCacheDir(): string | undefined {
    const value = this.config.get<string>('model.cacheDir', '').trim();
    return value ? expandHome(value) : undefined;
  }

  get modelMirror(): string | undefined {
    return this.config.get<string>('model.mirror', '').trim() || undefined;
  }

  get modelIdleUnloadSec(): number {
    return this.config.get<number>('model.idleUnloadMinutes', 10) * 60;
  }

  /** undefined = the daemon's default (Metal on Apple Silicon). */
  get gpu(): boolean | undefined {
    const value = this.config.get<'auto' | 'on' | 'off'>('gpu', 'auto');
    return value === 'auto' ? undefined : value === 'on';
  }

  get vadProfile(): 'default' | 'sensitive' {
    return this.config.get<'default' | 'sensitive'>('vad.profile', 'default');
  }

  get language(): string {
    return this.config.get<string>('language', 'en');
  }

  /** 0 = let the daemon choose. */
  get threads(): number {
    return this.config.get<number>('threads', 0);
  }

  /** The live sources a meeting records: the microphone, and the system's audio output (the other people in a call). */
  get meetingSources(): LiveSourceKind[] {
    const sources: LiveSourceKind[] = [];
    if (this.config.get<boolean>('sources.microphone', true)) sources.push('mic');
    if (this.config.get<boolean>('sources.systemAudio', true)) sources.push('system');
    return sources;
  }

  /** Device ids per live source ('default' or empty = the system's default). */
  get devices(): Partial<Record<LiveSourceKind, string>> {
    const mic = this.config.get<string>('devices.microphone', '').trim();
    const system = this.config.get<string>('devices.systemAudio', '').trim();
    return { ...(mic ? { mic } : {}), ...(system ? { system } : {}) };
  }

  /** How the transcript labels each live source. */
  get speakers(): Record<LiveSourceKind, string> {
    return {
      mic: this.config.get<string>('speakers.microphone', 'You').trim() || 'You',
      system: this.config.get<string>('speakers.systemAudio', 'Others').trim() || 'Others',
    };
  }

  /** The opt-in refinement of the notes by a language model at stop; provider 'off' (the default): none. */
  get enhancement(): EnhancementSettings {
    const provider = this.config.get<EnhancementProvider>('enhancement.provider', 'off');
    const endpoint = this.config.get<string>('enhancement.endpoint', '').trim();
    const model = this.config.get<string>('enhancement.model', '').trim();
    const timeoutSec = this.config.get<number>('enhancement.timeoutSeconds', 20);
    const allowRemote = this.config.get<boolean>('enhancement.allowRemoteEndpoint', false);
    return {
      provider: provider === 'vscode-lm' || provider === 'openai-compatible' ? provider : 'off',
      ...(endpoint ? { endpoint } : {}),
      ...(model ? { model } : {}),
      ...(timeoutSec ? { timeoutSec } : {}),
      ...(allowRemote ? { allowRemote } : {}),
    };
  }

  get logLevel(): LogLevel {
    return this.config.get<LogLevel>('logLevel', 'info');
  }

  /** Where notes go: relative to the first workspace folder, or in global storage with no folder open. */
  notesDir(context: vscode.ExtensionContext): string {
    const folder = this.config.get<string>('notes.folder', '.earshot/notes');
    if (path.isAbsolute(expandHome(folder))) return expandHome(folder);
    const workspace = vscode.workspace.workspaceFolders?.[0];
    return workspace ? path.join(workspace.uri.fsPath, folder) : path.join(context.globalStorageUri.fsPath, 'notes');
  }
}

function expandHome(p: string): string {
  return p.startsWith('~/') ? path.join(process.env.HOME ?? '', p.slice(2)) : p;
}
