/**
 * The status bar item: whether Earshot records, for how long, and in which state (Listening / Paused / Dictating /
 * Writing notes / an error). Click: stop what records (a meeting: Stop; dictation: stop dictating), else open the
 * panel. The tooltip says the state and the keys.
 */
import * as vscode from 'vscode';
import { LiveSourceKind, SessionStateParams } from '../../protocol/protocol';

/** The default keys (package.json `keybindings`), as the tooltip shows them. */
export function keyLabels(platform: NodeJS.Platform = process.platform): { meeting: string; dictation: string } {
  return platform === 'darwin'
    ? { meeting: '⌥⌘N', dictation: '⌃⌥D' }
    : { meeting: 'Ctrl+Alt+N', dictation: 'Ctrl+Alt+D' };
}

const SOURCE_NAMES: Record<LiveSourceKind, string> = { mic: 'microphone', system: 'system audio' };

export class SessionStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('earshot.status', vscode.StatusBarAlignment.Left, 100);
  private timer: NodeJS.Timeout | undefined;
  private session: SessionStateParams | undefined;

  constructor() {
    this.item.name = 'Earshot';
    this.render();
    this.item.show();
  }

  /** What the item shows now (for tests): its text without icons, its tooltip as Markdown, its click command. */
  get text(): string {
    return this.item.text.replace(/\$\([^)]*\)\s*/g, '');
  }
  get tooltip(): string {
    const tip = this.item.tooltip;
    return typeof tip === 'string' ? tip : tip?.value ?? '';
  }
  get command(): string | undefined {
    const command = this.item.command;
    return typeof command === 'string' ? command : command?.command;
  }

  update(state: SessionStateParams): void {
    this.session = state;
    clearInterval(this.timer);
    this.timer = state.state === 'streaming' ? setInterval(() => this.render(), 1000) : undefined;
    this.render();
  }

  private render(): void {
    const s = this.session;
    const keys = keyLabels();
    const dictation = s?.mode === 'dictation';
    const paused = s?.paused ?? [];
    let state: string;
    let detail: string;
    if (s?.state === 'streaming') {
      const time = elapsed(s.startedAt);
      if (dictation) {
        state = 'Dictating';
        this.item.text = `$(mic-filled) Dictating ${time}`;
        detail = `What you say is typed at the cursor. Click or press ${keys.dictation} to stop dictating.`;
        this.item.command = 'earshot.toggleDictation';
      } else {
        state = paused.length ? 'Paused' : 'Listening';
        this.item.text = `${paused.length ? '$(debug-pause)' : '$(record)'} ${state} ${time}`;
        detail = `${paused.length ? `Paused: ${paused.map((p) => SOURCE_NAMES[p] ?? p).join(' and ')}; **Earshot: Resume** or the panel goes on. ` : ''}`
          + `Transcribing "${escape(s.title)}". Click or press ${keys.meeting} to stop and write the notes.`;
        this.item.command = 'earshot.stop';
      }
      // Recording stands out; paused (nothing is captured) does not.
      this.item.backgroundColor = paused.length && !dictation ? undefined : new vscode.ThemeColor('statusBarItem.warningBackground');
    } else if (s && (s.state === 'stopping' || s.state === 'finalizing')) {
      state = dictation ? 'Stopping dictation' : 'Writing notes';
      this.item.text = `$(loading~spin) ${state}`;
      detail = dictation ? 'The last words are being typed.' : 'The last words are being transcribed and the notes written.';
      this.item.command = 'earshot.showPanel';
      this.item.backgroundColor = undefined;
    } else if (s?.error) {
      state = 'Error';
      this.item.text = '$(error) Earshot';
      detail = `The last session stopped with an error: ${escape(s.error)}`;
      this.item.command = 'earshot.showPanel';
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
    } else {
      state = 'Idle';
      this.item.text = '$(mic) Earshot';
      detail = 'Click to open the transcript panel.';
      this.item.command = 'earshot.showPanel';
      this.item.backgroundColor = undefined;
    }
    const tooltip = new vscode.MarkdownString(
      `**Earshot: ${state}**\n\n${detail}\n\n`
      + `- Meeting notes (start/stop): \`${keys.meeting}\`\n`
      + `- Dictation (start/stop): \`${keys.dictation}\`\n\n`
      + 'Transcribed on this machine.',
    );
    tooltip.supportThemeIcons = true;
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label: `Earshot: ${this.item.text.replace(/\$\([^)]*\)\s*/g, '')}`, role: 'button' };
  }

  dispose(): void {
    clearInterval(this.timer);
    this.item.dispose();
  }
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

export function elapsed(startedAt: string, now = Date.now()): string {
  const start = new Date(startedAt).getTime();
  const s = Number.isFinite(start) ? Math.max(0, Math.floor((now - start) / 1000)) : 0;
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return hh > 0 ? `${hh}:${two(mm)}:${two(ss)}` : `${two(mm)}:${two(ss)}`;
}
