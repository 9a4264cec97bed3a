/**
 * The side panel: a WebviewView showing the live transcript, action items and decisions.
 * It keeps the current session's lines so a panel opened (or reloaded) mid-session shows everything;
 * the webview itself only renders what it is sent, as text.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { FromPanel, PanelCommand, PanelSegment, PanelSession, PanelSource, PanelSummary, ToPanel } from '../protocol/panel';
import {
  ActionItem, Decision, InputLevelParams, LiveSourceKind, SessionStateParams, SourceStatusParams, SummaryParams, TranscriptSegment,
} from '../protocol/protocol';

export class TranscriptPanel implements vscode.WebviewViewProvider {
  static readonly viewId = 'earshot.transcript';
  private view: vscode.WebviewView | undefined;
  private session: PanelSession | null = null;
  /** Lines by segment id, in arrival order (a final replaces its partial in place). */
  private readonly segments = new Map<string, PanelSegment>();
  private readonly actionItems = new Map<string, ActionItem>();
  private readonly decisions = new Map<string, Decision>();
  private summary: PanelSummary | null = null;
  private readonly sources = new Map<LiveSourceKind, PanelSource>();

  constructor(private readonly extensionUri: vscode.Uri, private readonly runCommand: (command: PanelCommand) => void) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const script = vscode.Uri.joinPath(this.extensionUri, 'out', 'webview', 'media', 'panel.js');
    view.webview.options = { enableScripts: true, localResourceRoots: [media, vscode.Uri.joinPath(this.extensionUri, 'out', 'webview')] };
    view.webview.html = this.html(view.webview, view.webview.asWebviewUri(script), view.webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.css')));
    view.webview.onDidReceiveMessage((message: FromPanel) => {
      if (message.type === 'ready') this.post(this.snapshot());
      else if (message.type === 'command') this.runCommand(message.command);
    });
    view.onDidDispose(() => { this.view = undefined; });
  }

  /** Everything the panel shows, as the webview receives it (also used by tests). */
  snapshot(): Extract<ToPanel, { type: 'snapshot' }> {
    return {
      type: 'snapshot',
      session: this.session,
      segments: [...this.segments.values()],
      actionItems: [...this.actionItems.values()],
      decisions: [...this.decisions.values()],
      summary: this.summary,
      sources: [...this.sources.values()],
    };
  }

  showSessionState(state: SessionStateParams): void {
    if (this.session?.sessionId !== state.sessionId) {
      this.segments.clear();
      this.actionItems.clear();
      this.decisions.clear();
      this.summary = null;
      this.sources.clear();
    }
    this.session = { sessionId: state.sessionId, title: state.title, state: state.state, startedAt: state.startedAt, ...(state.error ? { error: state.error } : {}) };
    if (this.segments.size === 0) this.post(this.snapshot());
    else this.post({ type: 'session', session: this.session });
  }

  showSegment(s: TranscriptSegment): void {
    if (s.sessionId !== this.session?.sessionId) return;
    const segment: PanelSegment = { segmentId: s.segmentId, speaker: s.speaker, t0: s.t0, t1: s.t1, text: s.text, final: s.final };
    if (s.final && !s.text) this.segments.delete(s.segmentId);
    else this.segments.set(s.segmentId, segment);
    this.post({ type: 'segment', segment });
  }

  showActionItem(item: ActionItem): void {
    if (item.sessionId !== this.session?.sessionId) return;
    if (item.removed) this.actionItems.delete(item.id);
    else this.actionItems.set(item.id, item);
    this.post({ type: 'actionItem', item });
  }

  showDecision(decision: Decision): void {
    if (decision.sessionId !== this.session?.sessionId) return;
    if (decision.removed) this.decisions.delete(decision.id);
    else this.decisions.set(decision.id, decision);
    this.post({ type: 'decision', decision });
  }

  showSourceStatus(status: SourceStatusParams): void {
    if (status.sessionId !== this.session?.sessionId) return;
    const previous = this.sources.get(status.source);
    this.sources.set(status.source, {
      source: status.source, state: status.state, rmsDbfs: previous?.rmsDbfs ?? null, ...(status.message ? { message: status.message } : {}),
    });
    this.post({ type: 'sources', sources: [...this.sources.values()] });
  }

  showInputLevel(level: InputLevelParams): void {
    if (level.sessionId !== this.session?.sessionId) return;
    const previous = this.sources.get(level.source);
    this.sources.set(level.source, { ...(previous ?? { source: level.source, state: 'capturing' }), rmsDbfs: level.rmsDbfs });
    this.post({ type: 'sources', sources: [...this.sources.values()] });
  }

  showSummary(params: SummaryParams): void {
    if (params.sessionId !== this.session?.sessionId) return;
    this.summary = { final: params.final, bullets: params.bullets, openQuestions: params.openQuestions };
    this.post({ type: 'summary', summary: this.summary });
  }

  private post(message: ToPanel): void {
    void this.view?.webview.postMessage(message);
  }

  private html(webview: vscode.Webview, script: vscode.Uri, style: vscode.Uri): string {
    const nonce = randomBytes(16).toString('base64');
    // No inline script or style, no remote content: transcript text can never become markup.
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
      `img-src ${webview.cspSource}`,
      `font-src ${webview.cspSource}`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link href="${style}" rel="stylesheet">
  <title>Earshot</title>
</head>
<body>
  <header class="toolbar" role="toolbar" aria-label="Session controls">
    <span id="state" class="state" role="status" aria-live="polite">No session</span>
    <span class="spacer"></span>
    <button id="start" data-command="startMeetingNotes" title="Start meeting notes">Start</button>
    <button id="file" data-command="transcribeFile" title="Transcribe an audio file">File…</button>
    <button id="stop" data-command="stop" title="Stop the session" disabled>Stop</button>
  </header>
  <p id="error" class="error" role="alert" hidden></p>
  <section aria-label="Transcript">
    <ol id="transcript" class="transcript" aria-live="polite"></ol>
    <p id="empty" class="empty">Start meeting notes or transcribe a file: the transcript appears here as people speak.</p>
  </section>
  <section id="sources" class="sources" aria-label="Audio sources" hidden></section>
  <section id="summary-section" aria-label="Summary and open questions" hidden>
    <h2 id="summary-title">Summary</h2>
    <ul id="summary"></ul>
    <h2>Open questions</h2>
    <ul id="open-questions"></ul>
  </section>
  <section id="items-section" aria-label="Action items and decisions" hidden>
    <h2>Decisions</h2>
    <ul id="decisions"></ul>
    <h2>Action items</h2>
    <ul id="action-items"></ul>
  </section>
  <script type="module" nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }
}
