// extension/dictation/: dictation at the cursor: the session and the text written as it is spoken (controller.ts),
// the spoken-command grammar (grammar.ts, GRAMMAR.md) and where its edits land for each cursor (edits.ts). Imports
// client/ and settings/.
/**
 * Dictation: `earshot.toggleDictation` starts a daemon session on the microphone in 'dictation' mode and stops it on
 * the next press (or when VS Code closes: {@link DictationController.dispose}). While it runs:
 *
 * - each partial shows as ghost text at the cursor(s) of the active editor (earshot.dictation.showPartial), replaced
 *   in place by the next partial and cleared by the final;
 * - each final goes through the grammar (GRAMMAR.md; earshot.dictation.spokenPunctuation) and is written at every
 *   cursor of the active editor in ONE edit with undo stops around it: one Ctrl+Z per utterance. Each cursor gets its
 *   own rendering from the text before it (capitals, spacing); a non-empty selection is replaced;
 * - "scratch that" / "undo that" takes back the previous utterance. The rule: when the document is still at the
 *   version our edit left it in (nothing typed since) and its editor is the active one, the `undo` command is used, so
 *   the undo/redo stacks stay as if the user had pressed Ctrl+Z. Otherwise (typing since, another editor active, or
 *   the undo command did not change the document because focus was elsewhere) the ranges we inserted, tracked through
 *   every later change, are put back to what they replaced in a new edit; a range the user has edited inside is left
 *   alone.
 *
 * Where the text goes ("any text input VS Code exposes to extensions"): the active text editor (notebook cells
 * included); else, or when dictation was started from the terminal (the keybinding passes `{ target: 'terminal' }`
 * when the terminal has focus), the active terminal, with `sendText(text, false)` and line breaks as spaces so nothing
 * runs without Enter; else the clipboard (said once per session). Not reachable from an extension: the search and
 * find boxes, the quick input, the chat input, settings editors, webviews of other extensions, and other
 * applications: there the clipboard is the way.
 */
import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import { ErrorCodes, SessionStartResult, SessionStateParams, TranscriptSegment } from '../../protocol/protocol';
import type { DaemonClient } from '../client/client';
import { EarshotSettings } from '../settings/settings';
import { Change, ghostText, Insertion, insertedSpans, plainPlan, renderAtTargets, shiftSpanAll, Span, Target, terminalText } from './edits';
import { DictationPlan, planDictation, withoutPendingCommand } from './grammar';

export type DictationTarget = 'editor' | 'terminal' | 'clipboard';

/** What one final utterance did (also for an utterance that only said "scratch that"). */
export interface DictationInsertion {
  /** The utterance as whisper wrote it. */
  utterance: string;
  /** What was written at the primary cursor (or sent / copied); '' when nothing was. */
  text: string;
  /** What was written at each cursor, in the order of `editor.selections` before the edit. */
  texts: string[];
  /** Earlier utterances taken back first ("scratch that"). */
  undone: number;
  /** Where it went; 'none' when there was nothing to write. */
  target: DictationTarget | 'none';
  editor?: vscode.TextEditor;
  terminal?: vscode.Terminal;
}

/** The part of the extension's API about dictation (EarshotApi.dictation). */
export interface DictationApi {
  /** A dictation session is starting or running. */
  readonly active: boolean;
  /** The daemon session id of the running dictation. */
  readonly sessionId: string | undefined;
  /** The ghost text shown now at the primary cursor ('' when none). */
  readonly partial: string;
  /** Fired after each final utterance is applied (inserted, sent, copied, or only undone). */
  readonly onDidInsert: vscode.Event<DictationInsertion>;
  /** Fired when dictation starts (true) or ends (false). */
  readonly onDidChangeActive: vscode.Event<boolean>;
  /** Applies a final utterance as if it had been dictated (for tests and other extensions); works without a session. */
  dictate(utterance: string): Promise<DictationInsertion>;
}

/** One applied utterance, kept so "scratch that" can take it back. */
interface HistoryEntry {
  target: DictationTarget;
  document?: vscode.TextDocument;
  /** Document versions right before and right after our edit (after: updated when an undo returns to it). */
  versionBefore?: number;
  versionAfter?: number;
  /** Editor: each insertion's current range (null once the user edited inside it), its text and what it replaced. */
  spans?: { span: Span | null; text: string; replaced: string }[];
  terminal?: vscode.Terminal;
  /** Terminal and clipboard: the text sent / appended. */
  text?: string;
}

/** Most utterances "scratch that" can reach back. */
const MAX_HISTORY = 50;

export class DictationController implements DictationApi, vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly inserted = new vscode.EventEmitter<DictationInsertion>();
  private readonly activeChanged = new vscode.EventEmitter<boolean>();
  readonly onDidInsert = this.inserted.event;
  readonly onDidChangeActive = this.activeChanged.event;

  private session: string | undefined;
  private starting = false;
  private stopWhenStarted = false;
  /** The last session the daemon reported done. */
  private lastDone: string | undefined;
  private stopping: Promise<unknown> | undefined;
  /** Where this session's text goes first ('terminal' when started from the terminal). */
  private preferred: DictationTarget = 'editor';
  private history: HistoryEntry[] = [];
  /** Finals are applied one after another, in order. */
  private queue: Promise<unknown> = Promise.resolve();
  private ghost: { editor: vscode.TextEditor; text: string } | undefined;
  /** The segment whose partial the ghost text shows, and that partial. */
  private ghostSegment: { id: string; text: string } | undefined;
  private ghostDecoration: vscode.TextEditorDecorationType | undefined;
  /** Clipboard fallback: the session's text so far, and whether the user was told. */
  private clipboardText = '';
  private clipboardTold = false;
  private terminalBefore = '';

  constructor(private readonly client: DaemonClient, private readonly output: vscode.LogOutputChannel,
    private readonly currentSession: () => SessionStateParams | undefined) {
    this.subscriptions.push(
      this.inserted, this.activeChanged,
      client.onTranscript((s) => this.onSegment(s)),
      client.onSessionState((s) => this.onSessionState(s)),
      vscode.workspace.onDidChangeTextDocument((e) => this.track(e)),
      vscode.window.onDidChangeActiveTextEditor(() => this.clearGhost()),
    );
  }

  get active(): boolean {
    return this.starting || this.session !== undefined;
  }

  get sessionId(): string | undefined {
    return this.session;
  }

  get partial(): string {
    return this.ghost?.text ?? '';
  }

  /** Starts dictation when off, stops it when on. `target: 'terminal'`: write into the active terminal first. */
  async toggle(options: { target?: DictationTarget } = {}): Promise<SessionStartResult | undefined> {
    if (this.starting) {
      this.stopWhenStarted = true; // a second press before the daemon answered
      return undefined;
    }
    if (this.active) {
      await this.stop();
      return undefined;
    }
    return this.start(options);
  }

  async start(options: { target?: DictationTarget } = {}): Promise<SessionStartResult | undefined> {
    if (this.active) return undefined;
    const running = this.currentSession();
    if (running && running.state !== 'done' && running.mode !== 'dictation') {
      this.oneSessionAtATime(running.state === 'streaming');
      return undefined;
    }
    const settings = EarshotSettings.read();
    const mic = settings.dictation.microphone;
    this.starting = true;
    this.stopWhenStarted = false;
    this.preferred = options.target ?? 'editor';
    this.history = [];
    this.clipboardText = '';
    this.clipboardTold = false;
    this.terminalBefore = '';
    this.activeChanged.fire(true);
    try {
      const result = await this.client.start({
        sources: ['mic'],
        mode: 'dictation',
        title: 'Dictation',
        ...(mic ? { devices: { mic } } : {}),
        speakers: { mic: settings.speakers.mic },
      });
      // A session that already ended (its 'done' came first: the microphone failed at once) is not adopted.
      this.session = result.sessionId === this.lastDone ? undefined : result.sessionId;
      if (this.session && this.stopWhenStarted) setImmediate(() => void this.stop());
      return result;
    } catch (e) {
      if (e instanceof ResponseError && e.code === ErrorCodes.SessionAlreadyRunning) {
        this.oneSessionAtATime(true);
        return undefined;
      }
      throw e;
    } finally {
      this.starting = false;
      if (!this.session) this.activeChanged.fire(false);
    }
  }

  /** Stops dictation; resolves when the last words are written. */
  async stop(): Promise<void> {
    const id = this.session;
    if (!id) return;
    this.stopping ??= this.client.stop(id).catch((e) => this.output.warn(`stopping dictation: ${(e as Error).message}`));
    await this.stopping;
    await this.queue;
    // The daemon's 'done' state normally ended it already; a daemon that died cannot send it.
    if (this.session === id) this.ended();
  }

  /** Says why dictation cannot start (not awaited: the command resolves at once). */
  private oneSessionAtATime(recording: boolean): void {
    void vscode.window.showWarningMessage(
      recording
        ? 'Earshot is recording meeting notes. It records one session at a time: stop the meeting notes to dictate.'
        : 'Earshot is still writing the meeting notes. Dictate again in a moment.',
      ...(recording ? ['Stop Meeting Notes'] : []),
    ).then((picked) => { if (picked === 'Stop Meeting Notes') void vscode.commands.executeCommand('earshot.stop'); });
  }

  private onSessionState(s: SessionStateParams): void {
    if (s.state === 'done') this.lastDone = s.sessionId;
    if (this.starting && !this.session && s.mode === 'dictation' && s.state === 'streaming') this.session = s.sessionId;
    if (s.sessionId === this.session && s.state === 'done') {
      // Finals that arrived before 'done' are queued: end after them.
      void this.queue.then(() => { if (this.session === s.sessionId) this.ended(); });
    }
  }

  private ended(): void {
    if (!this.session) return;
    this.session = undefined;
    this.stopping = undefined;
    this.ghostSegment = undefined;
    this.clearGhost();
    this.activeChanged.fire(false);
  }

  private onSegment(s: TranscriptSegment): void {
    if (!this.session || s.sessionId !== this.session) return;
    if (!s.final) {
      this.ghostSegment = { id: s.segmentId, text: s.text };
      this.showGhost(s.text);
      return;
    }
    // The next utterance's first partial may come before this final (the daemon decodes it beside: issue 60): its
    // ghost text stays, shown again at the cursor once this final is written.
    const next = this.ghostSegment && this.ghostSegment.id !== s.segmentId ? this.ghostSegment : undefined;
    this.clearGhost();
    this.ghostSegment = next;
    const showNext = () => { if (next && this.ghostSegment === next) this.showGhost(next.text); };
    if (!s.text.trim()) return showNext(); // the audio held no words: the partials are retracted, nothing to write
    void this.dictate(s.text).then(showNext, (e: Error) => this.output.error(`dictation: ${e.message}`));
  }

  // ------------------------------------------------------------------------------------------
  // Ghost text

  private showGhost(partial: string): void {
    const text = withoutPendingCommand(partial);
    const editor = vscode.window.activeTextEditor;
    const toTerminal = this.preferred === 'terminal' && vscode.window.activeTerminal;
    if (!editor || toTerminal || !EarshotSettings.read().dictation.showPartial || !text.trim()) {
      this.clearGhost();
      return;
    }
    if (this.ghost && this.ghost.editor !== editor) this.clearGhost();
    this.ghostDecoration ??= vscode.window.createTextEditorDecorationType({
      after: { color: new vscode.ThemeColor('editorGhostText.foreground'), fontStyle: 'italic' },
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    });
    const plan = this.plan(text);
    const texts = plan.undo === 0 && !plan.empty ? this.renderFor(editor, plan) : editor.selections.map(() => ` ${text.trim()}`);
    const shown = texts.map((t) => ghostText(t));
    editor.setDecorations(this.ghostDecoration, editor.selections.map((selection, i) => ({
      range: new vscode.Range(selection.active, selection.active),
      renderOptions: { after: { contentText: shown[i] } },
    })));
    this.ghost = { editor, text: shown[0] ?? '' };
  }

  private clearGhost(): void {
    if (this.ghost && this.ghostDecoration) this.ghost.editor.setDecorations(this.ghostDecoration, []);
    this.ghost = undefined;
  }

  // ------------------------------------------------------------------------------------------
  // Finals

  /** Applies one final utterance (queued behind the ones before it). */
  dictate(utterance: string): Promise<DictationInsertion> {
    const run = this.queue.then(() => this.apply(utterance));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private plan(utterance: string): DictationPlan {
    return EarshotSettings.read().dictation.spokenPunctuation ? planDictation(utterance) : plainPlan(utterance);
  }

  private async apply(utterance: string): Promise<DictationInsertion> {
    const plan = this.plan(utterance);
    let undone = 0;
    for (let i = 0; i < plan.undo; i++) {
      if (await this.undoLast()) undone++;
    }
    const result: DictationInsertion = { utterance, text: '', texts: [], undone, target: 'none' };
    if (!plan.empty) {
      const editor = this.preferred === 'terminal' && vscode.window.activeTerminal ? undefined : vscode.window.activeTextEditor;
      const applied = (editor && await this.insertInEditor(editor, plan))
        ?? (vscode.window.activeTerminal && this.sendToTerminal(vscode.window.activeTerminal, plan))
        ?? await this.copyToClipboard(plan);
      Object.assign(result, applied);
    }
    this.inserted.fire(result);
    return result;
  }

  /** The text for each cursor of the editor, from the text before it on its line. */
  private renderFor(editor: vscode.TextEditor, plan: DictationPlan): string[] {
    const document = editor.document;
    const targets: Target[] = editor.selections.map((s) => ({
      start: document.offsetAt(s.start),
      end: document.offsetAt(s.end),
      lineStart: document.offsetAt(new vscode.Position(s.start.line, 0)),
    }));
    const text = (a: number, b: number) => document.getText(new vscode.Range(document.positionAt(a), document.positionAt(b)));
    return renderAtTargets(targets, text, (before) => plan.render({ before }));
  }

  private async insertInEditor(editor: vscode.TextEditor, plan: DictationPlan): Promise<Partial<DictationInsertion> | undefined> {
    const document = editor.document;
    const selections = [...editor.selections];
    const texts = this.renderFor(editor, plan);
    const insertions: (Insertion & { replaced: string })[] = selections.map((s, i) => ({
      start: document.offsetAt(s.start), end: document.offsetAt(s.end), text: texts[i], replaced: document.getText(s),
    }));
    const versionBefore = document.version;
    let ok = false;
    try {
      ok = await editor.edit((edit) => {
        selections.forEach((s, i) => { if (texts[i] !== '' || !s.isEmpty) edit.replace(s, texts[i]); });
      }, { undoStopBefore: true, undoStopAfter: true });
    } catch (e) {
      this.output.warn(`dictation: the editor refused the text: ${(e as Error).message}`);
    }
    if (!ok) return undefined; // read-only or closed: the next target takes it
    const spans = insertedSpans(insertions);
    this.remember({
      target: 'editor',
      document,
      versionBefore,
      versionAfter: document.version,
      spans: spans.map((span, i) => ({ span, text: texts[i], replaced: insertions[i].replaced })),
    });
    // The cursors end after what was written (a replaced selection collapses to its end).
    editor.selections = spans.map((span) => {
      const end = document.positionAt(span.end);
      return new vscode.Selection(end, end);
    });
    return { target: 'editor', editor, texts, text: texts[0] ?? '' };
  }

  private sendToTerminal(terminal: vscode.Terminal, plan: DictationPlan): Partial<DictationInsertion> {
    // A shell command is not a sentence: no capital at the start of what is sent.
    const text = terminalText(plan.render({ before: this.terminalBefore, ...(this.terminalBefore.trim() ? {} : { capitalize: false }) }));
    terminal.sendText(text, false);
    this.terminalBefore = (this.terminalBefore + text).slice(-200);
    this.remember({ target: 'terminal', terminal, text });
    return { target: 'terminal', terminal, texts: [text], text };
  }

  private async copyToClipboard(plan: DictationPlan): Promise<Partial<DictationInsertion>> {
    const text = plan.render({ before: this.clipboardText });
    this.clipboardText += text;
    await vscode.env.clipboard.writeText(this.clipboardText);
    this.remember({ target: 'clipboard', text });
    if (!this.clipboardTold) {
      this.clipboardTold = true;
      void vscode.window.showInformationMessage('Earshot: no text editor or terminal is active, so dictated text is copied to the clipboard. Paste it where you need it.');
    }
    return { target: 'clipboard', texts: [text], text };
  }

  private remember(entry: HistoryEntry): void {
    this.history.push(entry);
    if (this.history.length > MAX_HISTORY) this.history.shift();
  }

  /** Keeps the ranges of earlier insertions right as the document changes. */
  private track(e: vscode.TextDocumentChangeEvent): void {
    if (e.contentChanges.length === 0) return;
    const changes: Change[] = e.contentChanges.map((c) => ({ offset: c.rangeOffset, length: c.rangeLength, textLength: c.text.length }));
    for (const entry of this.history) {
      if (entry.document !== e.document || !entry.spans) continue;
      for (const s of entry.spans) if (s.span) s.span = shiftSpanAll(s.span, changes);
    }
  }

  /** Takes back the last utterance (see the rule at the top of this file); false when there was none to take back. */
  private async undoLast(): Promise<boolean> {
    const entry = this.history.pop();
    if (!entry) return false;
    if (entry.target === 'terminal') {
      // Not yet submitted (no line breaks are ever sent): erase it as Backspace would.
      if (entry.terminal && entry.text && entry.terminal.exitStatus === undefined) entry.terminal.sendText('\x7f'.repeat(entry.text.length), false);
      this.terminalBefore = this.terminalBefore.slice(0, Math.max(0, this.terminalBefore.length - (entry.text?.length ?? 0)));
      return true;
    }
    if (entry.target === 'clipboard') {
      this.clipboardText = this.clipboardText.slice(0, Math.max(0, this.clipboardText.length - (entry.text?.length ?? 0)));
      await vscode.env.clipboard.writeText(this.clipboardText);
      return true;
    }
    const document = entry.document;
    if (!document || document.isClosed || !entry.spans) return false;
    const editor = vscode.window.activeTextEditor;
    if (document.version === entry.versionAfter && editor?.document === document && vscode.window.state.focused) {
      // Nothing changed the document since our edit, so the top of its undo stack is that edit (it has undo stops
      // on both sides): if `undo` changed the document at all, it took back exactly our edit.
      const version = document.version;
      await vscode.commands.executeCommand('undo');
      if (document.version !== version) {
        // The document is now as right after the entry before, if that one's edit came just before ours.
        const previous = this.history[this.history.length - 1];
        if (previous?.document === document && previous.versionAfter === entry.versionBefore) previous.versionAfter = document.version;
        return true;
      }
      // Focus was elsewhere (the panel, the terminal) and the editor was not undone: remove our ranges instead.
    }
    const edit = new vscode.WorkspaceEdit();
    let any = false;
    for (const s of entry.spans) {
      if (!s.span || this.textAt(document, s.span) !== s.text) continue; // edited since: left alone
      edit.replace(document.uri, new vscode.Range(document.positionAt(s.span.start), document.positionAt(s.span.end)), s.replaced);
      any = true;
    }
    if (!any) return false;
    return vscode.workspace.applyEdit(edit);
  }

  private textAt(document: vscode.TextDocument, span: Span): string {
    return document.getText(new vscode.Range(document.positionAt(span.start), document.positionAt(span.end)));
  }

  dispose(): void {
    // VS Code is closing (or the extension is turned off): end the dictation; the daemon finalizes on exit anyway.
    if (this.session) void this.client.stop(this.session).catch(() => undefined);
    this.clearGhost();
    this.ghostDecoration?.dispose();
    this.subscriptions.forEach((s) => s.dispose());
  }
}
