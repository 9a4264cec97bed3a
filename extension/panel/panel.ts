// extension/panel/: the side panel and what it asks for. The webview view and its messages (panel.ts; the webview's own
// script is media/; what of a segment it is sent: panelSegment.ts), its buttons' actions in the editor (panelActions.ts), its dismissible notes and when each shows
// (panelNotes.ts, panelNotesController.ts), the language-model extraction's progress notification
// (extractionProgress.ts), and who reads the transcript live (partialsReaders.ts). Imports client/, models/, settings/
// and remote/.
/**
 * The side panel: a WebviewView showing the live transcript, the notes (action items, decisions, open questions,
 * summary), the session's controls, its sources and the model's status.
 *
 * It keeps the current session's lines so a panel opened (or reloaded) mid-session shows everything; after that the
 * webview gets one small message per change (a line, an item, the sources at most 10 times a second), never the
 * whole snapshot again. The webview only renders what it is sent, as text, and asks for actions by id: what a
 * link or an item points at is looked up here, and the actions themselves are in panelActions.ts.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  FromPanel, ITEM_ACTIONS, ITEM_LISTS, ItemAction, ItemList, MODEL_OFFER_CHOICES, ModelOfferChoice, PANEL_COMMANDS, PANEL_NOTES, PanelCommand, PanelModel,
  PanelAutoStop, PanelModelOffer, PanelNote, PanelPlace, PanelQuestion, PanelSegment, PanelSession, PanelSource, PanelSummary, ToPanel,
} from '../../protocol/panel';
import {
  ActionItem, AutoStopStateParams, Decision, ExtractionProgressParams, HealthParams, InputLevelParams, LiveSourceKind, MAX_SPEAKER_NAME, MentionTarget, ModelProgressParams, SessionStateParams,
  SourceStatusParams, SummaryParams, TranscriptSegment,
} from '../../protocol/protocol';
import type { SessionTranscriptResult } from '../../protocol/protocol';
import type { DaemonClient } from '../client/client';
import { withProgress } from '../models/modelOffer';
import { WRITE_DECISION_RECORD_COMMAND, WriteDecisionRecordArgs } from '../decisions/adr';
import {
  ActionOutcome, copyText, insertAtCursors, insertTodoComment, itemText, NoteItem, openMention, openViewing, pickTodoTarget,
  questionId, revealInNotes, TodoTarget, todoText,
} from './panelActions';
import { toPanelSegment } from './panelSegment';

/** What the panel asks of the daemon (the client; a fake in tests). */
export type PanelDaemon = Pick<DaemonClient, 'setActionItemDone' | 'pause' | 'retrySource' | 'restoreItem' | 'renameSpeaker'>;

/** Options of {@link TranscriptPanel.renameSpeaker}, for tests: the name instead of asking with an input box. */
export interface RenameOptions {
  name?: string | null;
}

/** Options of {@link TranscriptPanel.runItemAction}, for tests: where a TODO goes instead of asking with a quick pick. */
export interface ItemActionOptions {
  todoTarget?: TodoTarget;
}

/** How often source updates (input levels arrive about 10 times a second per source) are posted at most. */
const SOURCES_POST_MS = 100;

export class TranscriptPanel implements vscode.WebviewViewProvider {
  static readonly viewId = 'earshot.transcript';
  private view: vscode.WebviewView | undefined;
  private session: PanelSession | null = null;
  private notesPath = '';
  /** Lines by segment id, in arrival order (a final replaces its partial in place). */
  private readonly segments = new Map<string, PanelSegment>();
  private readonly actionItems = new Map<string, ActionItem>();
  private readonly decisions = new Map<string, Decision>();
  private summary: PanelSummary | null = null;
  private readonly sources = new Map<LiveSourceKind, PanelSource>();
  private sourcesTimer: NodeJS.Timeout | undefined;
  private model: PanelModel | null = null;
  private notes: PanelNote[] = [];
  private modelOffer: PanelModelOffer | null = null;
  private place: PanelPlace | null = null;
  /** The language-model extraction of the session shown, while it runs (kept for a webview that loads meanwhile). */
  private extraction: ExtractionProgressParams | null = null;
  /** The last auto-stop state the daemon sent (it may come before its session's first state), with the app's name as shown. */
  private autoStop: (AutoStopStateParams & { appName: string }) | null = null;
  /** Called when the user dismisses a note (the extension remembers it). */
  onDismissNote: ((note: PanelNote) => void) | undefined;
  /** Called when the user picks a choice of the 'modelOffer' note (models/modelOffer.ts carries it out). */
  onModelOfferChoice: ((choice: ModelOfferChoice) => Promise<void>) | undefined;
  private readonly visibility = new vscode.EventEmitter<boolean>();
  /** Fired with `visible` when the panel shows or hides (partials are decoded only while someone can read them). */
  readonly onDidChangeVisibility = this.visibility.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly runCommand: (command: PanelCommand) => void,
    private readonly daemon?: PanelDaemon,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const webviewOut = vscode.Uri.joinPath(this.extensionUri, 'out', 'webview');
    const script = vscode.Uri.joinPath(webviewOut, 'media', 'panel.js');
    view.webview.options = { enableScripts: true, localResourceRoots: [media, webviewOut] };
    view.webview.html = this.html(view.webview, view.webview.asWebviewUri(script), view.webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.css')));
    view.webview.onDidReceiveMessage((message: unknown) => this.receive(message));
    view.onDidChangeVisibility(() => this.visibility.fire(this.visible));
    view.onDidDispose(() => {
      this.view = undefined;
      this.visibility.fire(false);
    });
    this.visibility.fire(this.visible);
  }

  /** Whether the panel is on screen now (resolved and not hidden in a collapsed or covered view). */
  get visible(): boolean {
    return this.view?.visible ?? false;
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
      model: this.model,
      notes: this.notes,
      modelOffer: this.modelOffer,
      place: this.place,
      extraction: this.extraction,
      autoStop: this.panelAutoStop(),
    };
  }

  /** A meeting started for a call: where its auto-stop stands (the countdown with Cancel); `appName` inert (calls/appNames.ts). */
  showAutoStop(state: AutoStopStateParams, appName: string): void {
    this.autoStop = { ...state, appName };
    if (state.sessionId === this.session?.sessionId) this.post({ type: 'autoStop', autoStop: this.panelAutoStop() });
  }

  private panelAutoStop(): PanelAutoStop | null {
    const a = this.autoStop;
    if (!a || a.sessionId !== this.session?.sessionId) return null;
    if (this.session.state !== 'streaming' && a.state !== 'stopped' && a.state !== 'cancelled') return null;
    return { state: a.state, app: a.appName, reason: a.reason, ...(a.stopsAt ? { stopsAt: a.stopsAt } : {}) };
  }

  /** Which machine listens (and, when it is a remote one, that it is not the user's microphone). */
  showPlace(place: PanelPlace): void {
    if (JSON.stringify(place) === JSON.stringify(this.place)) return;
    this.place = place;
    this.post({ type: 'place', place });
  }

  /** What the 'modelOffer' note offers (the recommended notes model), and its download's progress. */
  showModelOffer(offer: PanelModelOffer | null): void {
    if (JSON.stringify(offer) === JSON.stringify(this.modelOffer)) return;
    this.modelOffer = offer;
    this.post({ type: 'modelOffer', offer });
  }

  get offered(): PanelModelOffer | null {
    return this.modelOffer;
  }

  /** Shows these dismissible notes and hides the others (see PanelNote). */
  showNotes(notes: PanelNote[]): void {
    if (notes.join() === this.notes.join()) return;
    this.notes = notes;
    this.post({ type: 'notes', notes });
  }

  showSessionState(state: SessionStateParams): void {
    const fresh = this.session?.sessionId !== state.sessionId;
    if (fresh) {
      this.segments.clear();
      this.actionItems.clear();
      this.decisions.clear();
      this.summary = null;
      this.sources.clear();
      this.extraction = null;
    }
    this.notesPath = state.notesPath ?? '';
    this.session = {
      sessionId: state.sessionId, title: state.title, state: state.state, startedAt: state.startedAt,
      mode: state.mode ?? 'meeting', paused: state.paused ?? [], hasNotes: !!state.notesPath,
      ...(state.error ? { error: state.error } : {}),
      ...(state.speakers ? { speakers: state.speakers } : {}),
    };
    if (fresh) this.post(this.snapshot());
    else this.post({ type: 'session', session: this.session });
    // Stopped by hand: its auto-stop no longer waits for the call.
    if (!fresh && state.state !== 'streaming' && this.autoStop?.sessionId === state.sessionId) this.post({ type: 'autoStop', autoStop: this.panelAutoStop() });
  }

  /**
   * Shows a session as the daemon restored it (its daemon was restarted after a crash): its finals, items, decisions
   * and summary replace what the panel held; partials from before the crash go, finals that arrived since stay.
   */
  restore(t: SessionTranscriptResult): void {
    const since = this.session?.sessionId === t.session.sessionId ? [...this.segments.values()].filter((s) => s.final) : [];
    this.session = null;
    this.showSessionState(t.session);
    for (const s of t.segments) this.segments.set(s.segmentId, { ...s, final: true });
    for (const s of since) if (!this.segments.has(s.segmentId)) this.segments.set(s.segmentId, s);
    for (const i of t.actionItems) this.actionItems.set(i.id, i);
    for (const d of t.decisions) this.decisions.set(d.id, d);
    if (t.summary) this.showSummary(t.summary);
    this.post(this.snapshot());
  }

  showSegment(s: TranscriptSegment): void {
    if (s.sessionId !== this.session?.sessionId) return;
    const segment = toPanelSegment(s);
    if (s.final && !s.text) this.segments.delete(s.segmentId);
    else this.segments.set(s.segmentId, segment);
    this.post({ type: 'segment', segment });
  }

  showActionItem(item: ActionItem): void {
    if (item.sessionId !== this.session?.sessionId) return;
    if ((this.actionItems.get(item.id)?.revision ?? -Infinity) > item.revision) return; // the highest revision wins
    // Dismissed by the language model: kept, shown struck through with a Restore button.
    if (item.removed && !item.dismissed) this.actionItems.delete(item.id);
    else this.actionItems.set(item.id, item);
    this.post({ type: 'actionItem', item });
  }

  showDecision(decision: Decision): void {
    if (decision.sessionId !== this.session?.sessionId) return;
    if ((this.decisions.get(decision.id)?.revision ?? -Infinity) > decision.revision) return;
    if (decision.removed && !decision.dismissed) this.decisions.delete(decision.id);
    else this.decisions.set(decision.id, decision);
    this.post({ type: 'decision', decision });
  }

  /** The language-model extraction's progress, for the session shown; hidden a few seconds after it ends. */
  showExtraction(progress: ExtractionProgressParams): void {
    if (progress.sessionId !== this.session?.sessionId) return;
    this.extraction = progress.state === 'running' ? progress : null;
    this.post({ type: 'extraction', progress });
  }

  showSourceStatus(status: SourceStatusParams): void {
    if (status.sessionId !== this.session?.sessionId) return;
    const previous = this.sources.get(status.source);
    this.sources.set(status.source, {
      source: status.source, state: status.state, rmsDbfs: previous?.rmsDbfs ?? null, ...(status.message ? { message: status.message } : {}),
    });
    this.postSources(true);
  }

  showInputLevel(level: InputLevelParams): void {
    if (level.sessionId !== this.session?.sessionId) return;
    const previous = this.sources.get(level.source);
    this.sources.set(level.source, { ...(previous ?? { source: level.source, state: 'capturing' }), rmsDbfs: level.rmsDbfs });
    this.postSources(false);
  }

  showSummary(params: SummaryParams): void {
    if (params.sessionId !== this.session?.sessionId) return;
    const openQuestions: PanelQuestion[] = params.openQuestions.map((q) => ({ id: questionId(q), text: q.text, speaker: q.speaker, t0: q.t0 }));
    this.summary = {
      final: params.final, bullets: params.bullets, ...(params.points ? { points: params.points } : {}), ...(params.by ? { by: params.by } : {}),
      ...(params.settled !== undefined ? { settled: params.settled } : {}), ...(params.unsettledReason ? { unsettledReason: params.unsettledReason } : {}),
      ...(params.parts?.length ? { parts: params.parts } : {}), openQuestions,
    };
    this.post({ type: 'summary', summary: this.summary });
  }

  /** The model part of the daemon's health reports (sent every few seconds): posted only when it changed. */
  showHealth(health: HealthParams): void {
    const m = health.model;
    const name = m.path ? path.basename(m.path).replace(/^ggml-(.*)\.bin$/, '$1') : this.model?.name ?? null;
    const loading = m.state === 'loading' || m.state === 'warming_up';
    const next: PanelModel = {
      name,
      state: m.state,
      error: m.state === 'error' ? m.error ?? 'The model could not be loaded.' : null,
      // A load in progress keeps the progress it reported; anything else ends it (a download is not in health).
      progress: this.model?.progress && (this.model.progress.phase !== 'load' || loading) ? this.model.progress : null,
    };
    this.setModel(next);
  }

  showModelProgress(p: ModelProgressParams): void {
    // A notes model's download shows in the offer that started it, not as the speech model.
    if (p.kind === 'notes') {
      if (this.modelOffer) this.showModelOffer(withProgress(this.modelOffer, p));
      return;
    }
    const base: PanelModel = this.model ?? { name: null, state: null, error: null, progress: null };
    if (p.phase === 'done') this.setModel({ ...base, name: p.model, error: null, progress: null });
    else if (p.phase === 'failed') this.setModel({ ...base, name: p.model, error: p.message ?? 'The model download or load failed.', progress: null });
    else {
      const fraction = typeof p.fraction === 'number' && Number.isFinite(p.fraction) ? Math.max(0, Math.min(1, p.fraction)) : null;
      this.setModel({
        ...base, name: p.model, error: null,
        progress: { phase: p.phase, fraction, ...(p.bytes !== undefined ? { bytes: p.bytes } : {}), ...(p.totalBytes !== undefined ? { totalBytes: p.totalBytes } : {}) },
      });
    }
  }

  /**
   * Runs a list entry's action as its button in the panel does, and resolves when it is done (tests call this
   * without the webview). `options.todoTarget` puts a TODO there instead of asking where.
   */
  async runItemAction(action: ItemAction, list: ItemList, id: string, options: ItemActionOptions = {}): Promise<ActionOutcome> {
    const item = this.noteItem(list, id);
    if (!item) return this.outcome({ ok: false, message: 'That entry is no longer in the notes.' });
    try {
      switch (action) {
        case 'insert': return this.outcome(await insertAtCursors(itemText(list, item)), 'Inserted.');
        case 'copy': return this.outcome(await copyText(itemText(list, item)));
        case 'reveal': return this.outcome(await revealInNotes(this.notesPath, list, item));
        case 'toggleDone': {
          const current = this.actionItems.get(id);
          if (list !== 'actionItems' || !current) return this.outcome({ ok: false, message: 'Only action items can be marked done.' });
          if (!this.daemon) return this.outcome({ ok: false, message: 'Earshot is not connected to its daemon.' });
          const updated = await this.daemon.setActionItemDone(current.sessionId, id, !current.done);
          this.showActionItem(updated);
          return this.outcome({ ok: true, message: updated.done ? 'Marked done.' : 'Marked not done.' });
        }
        case 'restore': {
          const current = list === 'actionItems' ? this.actionItems.get(id) : list === 'decisions' ? this.decisions.get(id) : undefined;
          // A dismissal is undone, and so is the model's rewrite of an action item or a decision (the words before it come back).
          const rewritten = !!current?.rewritten;
          if (!current || (!current.removed && !rewritten)) return this.outcome({ ok: false, message: 'Only an entry the language model dismissed or rewrote can be restored.' });
          if (!this.daemon) return this.outcome({ ok: false, message: 'Earshot is not connected to its daemon.' });
          const updated = await this.daemon.restoreItem(current.sessionId, list === 'actionItems' ? 'actionItem' : 'decision', id);
          if (list === 'actionItems') this.showActionItem(updated as ActionItem);
          else this.showDecision(updated as Decision);
          return this.outcome({ ok: true, message: current.removed ? 'Restored.' : 'Rewrite undone.' });
        }
        case 'adr': {
          const decision = list === 'decisions' ? this.decisions.get(id) : undefined;
          if (!decision) return this.outcome({ ok: false, message: 'Only a decision can be written as a decision record.' });
          const args: WriteDecisionRecordArgs = { sessionId: decision.sessionId, decisionId: id };
          // The command says where the record went (or what went wrong) itself; undefined: it failed or was cancelled.
          const written = await vscode.commands.executeCommand<{ rel: string } | undefined>(WRITE_DECISION_RECORD_COMMAND, args);
          return written ? this.outcome({ ok: true, message: `Decision record written: ${written.rel}.` }) : { ok: false };
        }
        case 'todo': {
          const todo = todoText(list, item);
          const target = options.todoTarget ?? await pickTodoTarget(todo, this.mentionsOf(list, id));
          if (!target) return { ok: false };
          return this.outcome(await insertTodoComment(target, todo), 'TODO added.');
        }
      }
    } catch (e) {
      const message = `Earshot: ${e instanceof Error ? e.message : String(e)}`;
      void vscode.window.showErrorMessage(message);
      return this.outcome({ ok: false, message });
    }
  }

  /**
   * Renames the voice of a line (the panel's click on its speaker): asks for the name (pre-filled with the speaker
   * now; empty gives the voice its own label back), then the daemon relabels every line of it, moves the owners and
   * rewrites the notes; the lines come back as relabels. Resolves when it is done (tests pass `options.name`).
   */
  async renameSpeaker(segmentId: string, options: RenameOptions = {}): Promise<ActionOutcome> {
    const line = this.segments.get(segmentId);
    if (!line?.voice || !this.session) return this.outcome({ ok: false, message: 'Who said that line is not known yet.' });
    if (!this.daemon) return this.outcome({ ok: false, message: 'Earshot is not connected to its daemon.' });
    const name = options.name !== undefined ? options.name : await vscode.window.showInputBox({
      title: `Rename ${line.speaker}`,
      prompt: `Everyone's name for ${line.voice} of the ${line.source === 'system' ? 'system audio' : line.source === 'mic' ? 'microphone' : 'recording'}: every line, owner and the notes follow. Empty: "${line.voice}" again.`,
      value: line.speaker === line.voice ? '' : line.speaker,
      validateInput: (v) => (v.trim().length > MAX_SPEAKER_NAME ? `At most ${MAX_SPEAKER_NAME} characters.` : undefined),
    });
    if (name === undefined) return { ok: false };
    try {
      const result = await this.daemon.renameSpeaker({ sessionId: this.session.sessionId, source: line.source, voice: line.voice, name: name?.trim() || null });
      return this.outcome({ ok: true, message: `${result.speaker}: ${result.segments} line${result.segments === 1 ? '' : 's'}.` });
    } catch (e) {
      return this.outcome({ ok: false, message: `Earshot: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  /** Tells the panel how an action went (a short line in its status area). */
  private outcome(result: ActionOutcome, success?: string): ActionOutcome {
    const text = result.message ?? (result.ok ? success : undefined);
    if (text) this.post({ type: 'notice', text: text.replace(/^Earshot: /, ''), level: result.ok ? 'info' : 'warning' });
    return result;
  }

  private noteItem(list: ItemList, id: string): NoteItem | undefined {
    if (list === 'actionItems') return this.actionItems.get(id);
    if (list === 'decisions') return this.decisions.get(id);
    return this.summary?.openQuestions.find((q) => q.id === id);
  }

  /** Code the item's source line mentioned (a TODO may go there). */
  private mentionsOf(list: ItemList, id: string): MentionTarget[] {
    const item = list === 'actionItems' ? this.actionItems.get(id) : list === 'decisions' ? this.decisions.get(id) : undefined;
    const segment = item?.segmentId ? this.segments.get(item.segmentId) : undefined;
    return (segment?.mentions ?? []).map((m) => m.target);
  }

  private async receive(raw: unknown): Promise<void> {
    const message = raw as FromPanel;
    if (!message || typeof message !== 'object' || typeof message.type !== 'string') return;
    try {
      switch (message.type) {
        case 'ready':
          this.post(this.snapshot());
          break;
        case 'command':
          if (PANEL_COMMANDS.includes(message.command)) this.runCommand(message.command);
          break;
        case 'itemAction':
          if (ITEM_ACTIONS.includes(message.action) && ITEM_LISTS.includes(message.list) && typeof message.id === 'string') {
            await this.runItemAction(message.action, message.list, message.id);
          }
          break;
        case 'openMention': {
          const mention = this.segments.get(String(message.segmentId))?.mentions?.[Number(message.index)];
          if (mention) this.outcome(await openMention(mention.target, mention.alternatives ?? []));
          break;
        }
        case 'renameSpeaker':
          await this.renameSpeaker(String(message.segmentId));
          break;
        case 'openViewing': {
          const viewing = this.segments.get(String(message.segmentId))?.viewing;
          if (viewing) this.outcome(await openViewing(viewing));
          break;
        }
        case 'toggleSource':
          if ((message.source === 'mic' || message.source === 'system') && this.session && this.daemon) {
            await this.daemon.pause(this.session.sessionId, !!message.paused, message.source);
          }
          break;
        case 'modelOffer':
          if (MODEL_OFFER_CHOICES.includes(message.choice)) await this.onModelOfferChoice?.(message.choice);
          break;
        case 'dismissNote':
          if (PANEL_NOTES.includes(message.note)) {
            this.showNotes(this.notes.filter((n) => n !== message.note));
            this.onDismissNote?.(message.note);
          }
          break;
        case 'retrySource':
          if ((message.source === 'mic' || message.source === 'system') && this.session && this.daemon) {
            await this.daemon.retrySource(this.session.sessionId, message.source);
            this.post({ type: 'notice', text: 'Retrying…', level: 'info' });
          }
          break;
      }
    } catch (e) {
      const text = e instanceof Error ? e.message : String(e);
      this.post({ type: 'notice', text, level: 'error' });
      void vscode.window.showErrorMessage(`Earshot: ${text}`);
    }
  }

  private setModel(next: PanelModel): void {
    if (JSON.stringify(next) === JSON.stringify(this.model)) return;
    this.model = next;
    this.post({ type: 'model', model: next });
  }

  /** Source states go out at once; levels are coalesced (a meter needs no more than about 10 frames a second). */
  private postSources(now: boolean): void {
    if (now) {
      clearTimeout(this.sourcesTimer);
      this.sourcesTimer = undefined;
      this.post({ type: 'sources', sources: [...this.sources.values()] });
      return;
    }
    this.sourcesTimer ??= setTimeout(() => {
      this.sourcesTimer = undefined;
      this.post({ type: 'sources', sources: [...this.sources.values()] });
    }, SOURCES_POST_MS);
  }

  private post(message: ToPanel): void {
    void this.view?.webview.postMessage(message);
  }

  private html(webview: vscode.Webview, script: vscode.Uri, style: vscode.Uri): string {
    const nonce = randomBytes(16).toString('base64');
    // No inline script or style, no remote content: transcript text can never become markup. (Scripts set sizes through
    // the CSSOM, element.style, which a CSP does not restrict; style attributes in markup would be blocked.)
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
      `img-src ${webview.cspSource}`,
      `font-src ${webview.cspSource}`,
    ].join('; ');
    return panelHtml(csp, nonce, String(script), String(style));
  }
}

/** The panel's document: a static skeleton (ids documented in media/panel.ts) that the script fills in. */
export function panelHtml(csp: string, nonce: string, script: string, style: string): string {
  const tab = (name: string, label: string, selected: boolean) =>
    `<button type="button" role="tab" id="tab-${name}" data-tab="${name}" aria-controls="panel-${name}" aria-selected="${selected}" tabindex="${selected ? 0 : -1}">`
    + `<span class="tab-label">${label}</span><span class="count" id="count-${name}"></span></button>`;
  const dismiss = '<button type="button" class="text-button" data-dismiss-hint title="Do not show this again">Dismiss</button>';
  const itemsPanel = (name: string, listId: string, label: string, emptyText: string) =>
    `<div role="tabpanel" id="panel-${name}" class="tabpanel" aria-labelledby="tab-${name}" hidden>`
    + `<ul id="${listId}" class="items" data-list="${name}" aria-label="${label}"></ul>`
    + `<p id="empty-${name}" class="items-empty">${emptyText}</p></div>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link href="${style}" rel="stylesheet">
  <title>Earshot</title>
</head>
<body data-state="none">
  <header class="header">
    <div class="toolbar" role="toolbar" aria-label="Session controls">
      <button type="button" id="start" class="tool primary" data-command="startMeetingNotes" data-icon="record" aria-label="Start meeting notes" title="Start meeting notes"><span class="label">Start</span></button>
      <button type="button" id="dictate" class="tool" data-command="toggleDictation" data-icon="dictate" aria-label="Start dictation" title="Start dictation" aria-pressed="false"></button>
      <button type="button" id="file" class="tool" data-command="transcribeFile" data-icon="file" aria-label="Transcribe an audio file" title="Transcribe an audio file"></button>
      <span class="divider" aria-hidden="true"></span>
      <button type="button" id="pause" class="tool" data-command="pause" data-icon="pause" aria-label="Pause recording" title="Pause recording" aria-pressed="false" disabled></button>
      <button type="button" id="stop" class="tool" data-command="stop" data-icon="stop" aria-label="Stop" title="Stop and write the notes" disabled></button>
    </div>
    <div class="status">
      <span class="state-dot" aria-hidden="true"></span>
      <span id="state" class="state" role="status" aria-live="polite">No session</span>
      <span id="elapsed" class="elapsed" hidden></span>
    </div>
    <p id="place" class="place" hidden><span class="place-text"></span><span class="place-warning" role="alert" hidden></span></p>
    <div id="error" class="banner error" role="alert" hidden><span class="message"></span></div>
    <div id="notice" class="notice" role="status" aria-live="polite" hidden></div>
    <p id="speakers-note" class="panel-note speakers-note" hidden><span class="panel-note-text"></span><span class="panel-note-actions">`
    + `<button type="button" id="speakers-download" class="text-button" data-command="downloadSpeakerModel" hidden>Download the voice model</button></span></p>
    <div id="extraction" class="notice extraction" role="status" aria-live="polite" hidden><span class="extraction-text"></span> <button type="button" class="text-button">Cancel</button></div>
    <div id="auto-stop" class="auto-stop" data-state="none" hidden><span class="auto-stop-text" role="status" aria-live="polite"></span> <button type="button" id="auto-stop-cancel" class="text-button" data-command="cancelAutoStop" hidden>Cancel</button></div>
    <p id="macos-audio-note" class="panel-note setup-note" data-note="macosAudio" hidden><span class="panel-note-text">At your first meeting macOS`
    + ` asks whether “Earshot” may record what your Mac plays: allow it, or it records silence. To change it later: Privacy &amp; Security →`
    + ` Screen &amp; System Audio Recording → <b>System Audio Recording Only</b> (macOS 14.4 and later).</span><span class="panel-note-actions">`
    + `<button type="button" class="text-button" data-command="openSystemAudioSettings">Open System Settings</button>${dismiss}</span></p>
    <section id="sources" class="sources" aria-label="Audio sources" hidden></section>
    <section id="model" class="model" aria-label="Speech model" data-state="unknown" hidden>
      <div class="model-line"><span class="model-icon" aria-hidden="true"></span><span id="model-label" class="model-label"></span>`
    + `<button type="button" id="model-download" class="text-button" data-command="downloadModel" data-icon="download" hidden><span class="label">Download model…</span></button></div>
      <div id="model-progress" class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" hidden><div class="progress-fill"></div></div>
    </section>
  </header>
  <main class="main">
    <section id="transcript-section" class="transcript-section" aria-label="Transcript">
      <div class="filter-bar">
        <label class="search" data-icon="search"><input id="search" type="search" placeholder="Search transcript" aria-label="Search the transcript" aria-keyshortcuts="Control+F Meta+F /" aria-describedby="filter-count" autocomplete="off" spellcheck="false"><span id="filter-count" class="filter-count" hidden></span></label>
        <select id="speaker-filter" aria-label="Show lines from"><option value="">All speakers</option></select>
      </div>
      <div class="scroller-wrap">
        <div id="transcript-scroller" class="scroller" tabindex="0" role="region" aria-label="Transcript lines (End: jump to live)">
          <div id="spacer-top" class="spacer" aria-hidden="true"></div>
          <ol id="transcript" class="transcript" aria-label="Transcript"></ol>
          <div id="spacer-bottom" class="spacer" aria-hidden="true"></div>
          <p id="empty" class="empty"></p>
        </div>
        <button type="button" id="jump-live" class="jump-live" hidden><span class="label">Jump to live</span></button>
      </div>
      <div id="announcer" class="sr-only" aria-live="polite" aria-relevant="additions"></div>
    </section>
    <section id="notes" class="notes" aria-label="Notes">
      <div class="tabs" role="tablist" aria-label="Notes">
        ${tab('actionItems', 'Actions', true)}${tab('decisions', 'Decisions', false)}${tab('openQuestions', 'Questions', false)}${tab('summary', 'Summary', false)}
      </div>
      <div id="model-offer" class="panel-note model-offer" data-note="modelOffer" hidden><span class="panel-note-text">These notes are`
    + ` from Earshot's rules alone, which miss much of free conversation. A language model finds far more:</span><span class="panel-note-actions">`
    + `<button type="button" class="text-button" data-offer="download">Download the local model</button>`
    + `<button type="button" class="text-button" data-offer="vscodeLm">Use a VS Code model (Copilot: the cloud)</button>`
    + `<button type="button" class="text-button" data-dismiss-hint title="Keep the notes from the rules alone; do not ask again">Keep rules only</button></span>`
    + `<span class="model-offer-detail" hidden></span></div>
      <p id="rules-hint" class="panel-note" data-note="rules" hidden><span class="panel-note-text">Found by Earshot's rules, which miss much of free conversation.</span>`
    + `<span class="panel-note-actions"><button type="button" class="text-button" data-command="chooseLanguageModel">Use a language model…</button>${dismiss}</span></p>
      ${itemsPanel('actionItems', 'action-items', 'Action items', 'No action items yet. They appear as people commit to things.')}
      ${itemsPanel('decisions', 'decisions', 'Decisions', 'No decisions yet.')}
      ${itemsPanel('openQuestions', 'open-questions', 'Open questions', 'No open questions.')}
      <div role="tabpanel" id="panel-summary" class="tabpanel" aria-labelledby="tab-summary" hidden>
        <p id="summary-title" class="summary-title"></p>
        <ul id="summary" class="summary"></ul>
        <details id="summary-parts" class="summary-parts" hidden><summary id="summary-parts-title"></summary><div id="summary-parts-list"></div></details>
      </div>
    </section>
  </main>
  <script type="module" nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
