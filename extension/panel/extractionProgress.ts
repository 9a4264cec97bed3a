/**
 * The opt-in language-model extraction's progress as a VS Code progress notification ("chunk 3 of 8") with a Cancel
 * button that cancels the extraction in the daemon (earshot/extraction/cancel: in-flight model calls are aborted).
 * The panel shows the same progress with its own Cancel button. While the meeting still records, chunks are read as it
 * goes (live extraction): that is the panel's alone, or a notification would stand open for the whole meeting; it
 * opens once the meeting has stopped and the last chunks are read. After the chunks, each step at stop (the checks, the
 * settle) is said as it runs; the notification closes when the daemon says the run ended, once the notes are final.
 */
import * as vscode from 'vscode';
import { ExtractionProgressParams } from '../../protocol/protocol';

export class ExtractionProgressView {
  /** The session whose extraction is running, if one is. */
  running: string | undefined;
  private update: ((p: ExtractionProgressParams) => void) | undefined;
  private finish: (() => void) | undefined;

  constructor(private readonly cancel: (sessionId: string) => Promise<unknown>) {}

  /** `recording`: the session still records (its live chunks show in the panel only). */
  show(p: ExtractionProgressParams, recording = false): void {
    if (p.state === 'running' && recording && this.running !== p.sessionId) return;
    if (p.state !== 'running') {
      this.update?.(p);
      this.finish?.();
      this.running = undefined;
      this.update = this.finish = undefined;
      if (p.state === 'budget' || p.failed > 0) void vscode.window.showWarningMessage(`Earshot language model: ${p.message}.`);
      return;
    }
    if (this.running === p.sessionId && this.update) {
      this.update(p);
      return;
    }
    this.running = p.sessionId;
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Earshot: language model reading the meeting', cancellable: true },
      (progress, token) => new Promise<void>((resolve) => {
        let reported = 0;
        token.onCancellationRequested(() => { void this.cancel(p.sessionId).catch(() => undefined); });
        this.update = (next) => {
          const fraction = next.chunks ? (100 * next.finished) / next.chunks : 0;
          progress.report({ message: progressWords(next), increment: Math.max(0, fraction - reported) });
          reported = Math.max(reported, fraction);
        };
        this.finish = resolve;
        this.update(p);
      }));
  }
}

/** What a running extraction is doing, in the daemon's fixed words: the step at stop, else the chunk being read. */
export function progressWords(p: ExtractionProgressParams): string {
  return p.step ? p.message : `chunk ${Math.min(p.finished + 1, p.chunks)} of ${p.chunks}`;
}
