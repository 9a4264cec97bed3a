/**
 * The status bar item: what Earshot is doing and for how long. Click: stop a running session, else
 * open the panel.
 */
import * as vscode from 'vscode';
import { SessionStateParams } from '../protocol/protocol';

export class SessionStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('earshot.status', vscode.StatusBarAlignment.Left, 100);
  private timer: NodeJS.Timeout | undefined;
  private session: SessionStateParams | undefined;

  constructor() {
    this.item.name = 'Earshot';
    this.render();
    this.item.show();
  }

  update(state: SessionStateParams): void {
    this.session = state;
    clearInterval(this.timer);
    this.timer = state.state === 'streaming' ? setInterval(() => this.render(), 1000) : undefined;
    this.render();
  }

  private render(): void {
    const s = this.session;
    if (s?.state === 'streaming') {
      this.item.text = `$(record) Earshot ${elapsed(s.startedAt)}`;
      this.item.tooltip = `Earshot is transcribing "${s.title}". Click to stop.`;
      this.item.command = 'earshot.stop';
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    } else {
      const busy = s?.state === 'stopping' || s?.state === 'finalizing';
      this.item.text = busy ? '$(loading~spin) Earshot: writing notes' : '$(mic) Earshot';
      this.item.tooltip = s?.error ? `Earshot: the last session stopped with an error: ${s.error}` : 'Earshot: open the transcript panel';
      this.item.command = 'earshot.showPanel';
      this.item.backgroundColor = s?.error ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    }
    this.item.accessibilityInformation = { label: this.item.text.replace(/\$\([^)]*\)\s*/g, ''), role: 'button' };
  }

  dispose(): void {
    clearInterval(this.timer);
    this.item.dispose();
  }
}

function elapsed(startedAt: string): string {
  const s = Math.max(0, Math.floor((Date.now() - new Date(startedAt).getTime()) / 1000));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return hh > 0 ? `${hh}:${two(mm)}:${two(ss)}` : `${two(mm)}:${two(ss)}`;
}
