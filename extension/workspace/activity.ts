/**
 * What the user looks at while a session streams: the active editor's file and selected lines, sent to the daemon
 * (`earshot/editorActivity`) once when the session starts and then whenever the active editor or its selection
 * changes (debounced). The daemon stamps each final segment with the location in effect when it was spoken, so the
 * notes can say "(while viewing src/auth.ts:10-14)". Nothing is sent between sessions.
 */
import * as vscode from 'vscode';
import { EditorActivityParams, EditorLocation } from '../../protocol/protocol';
import { folderRelativePath, UriLike } from './workspaceIndex';

/** Quiet time before a change of editor or selection is sent: moving the cursor through a file sends one message. */
export const ACTIVITY_DEBOUNCE_MS = 300;

interface PositionLike { line: number; character: number }

/** A file-system path on this computer, or a URI (a remote window's files: workspaceIndex.ts folderRelativePath). */
type Place = string | UriLike;
const asUri = (place: Place): UriLike => (typeof place === 'string' ? { fsPath: place } : place);

/**
 * The location for a file and its primary selection: workspace-relative path with `/`, 1-based inclusive lines.
 * A selection that ends at the start of a line (a whole line selected by a triple click) does not include that line.
 * null when the file is not inside `root`, or is one of Earshot's own notes (in `notesDir`): Earshot opens the notes
 * when a session ends, and the next meeting is not about them.
 */
export function editorLocation(root: Place | undefined, file: Place | undefined, selection: { start: PositionLike; end: PositionLike }, notesDir?: Place): EditorLocation | null {
  if (!root || !file) return null;
  const rel = folderRelativePath(asUri(root), asUri(file));
  if (rel === null || (notesDir && folderRelativePath(asUri(notesDir), asUri(file)) !== null)) return null;
  const start = Math.min(selection.start.line, selection.end.line);
  let end = Math.max(selection.start.line, selection.end.line);
  const last = selection.end.line >= selection.start.line ? selection.end : selection.start;
  if (end > start && last.character === 0) end--;
  return { path: rel, startLine: start + 1, endLine: end + 1 };
}

/** Sends the active editor's location while started; {@link start} at a session's start, {@link stop} at its end. */
export class EditorActivityReporter implements vscode.Disposable {
  private subscriptions: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastKey: string | undefined;

  /** `notesDir`: where this window's notes are opened (a remote window's: the copy in the workspace, a URI). */
  constructor(private readonly send: (params: EditorActivityParams) => Promise<void>, private readonly log?: vscode.LogOutputChannel,
    private readonly notesDir: () => Place | undefined = () => undefined) {}

  get started(): boolean {
    return this.subscriptions.length > 0;
  }

  /** The location now (also for tests): in the first workspace folder, whatever its scheme (a remote window's too). */
  static current(notesDir?: Place): EditorLocation | null {
    const editor = vscode.window.activeTextEditor;
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!editor || !folder) return null;
    return editorLocation(folder.uri, editor.document.uri, editor.selection, notesDir);
  }

  /**
   * Sends the location now and then on every change until {@link stop}. Idempotent. `since` (ms since the epoch): the
   * session's start — what is on screen now was on screen then too (the session's first words are spoken before its
   * first 'streaming' notification reaches us), so the first location counts from there.
   */
  start(since = Date.now()): void {
    if (this.started) return;
    this.lastKey = undefined;
    const changed = () => this.changed();
    this.subscriptions = [
      vscode.window.onDidChangeActiveTextEditor(changed),
      vscode.window.onDidChangeTextEditorSelection((e) => { if (e.textEditor === vscode.window.activeTextEditor) changed(); }),
    ];
    this.emit(Number.isFinite(since) ? Math.min(since, Date.now()) : Date.now());
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.subscriptions.forEach((s) => s.dispose());
    this.subscriptions = [];
  }

  private changed(): void {
    // The time of the change, not of the send: the user was looking there from this moment.
    const at = Date.now();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.emit(at), ACTIVITY_DEBOUNCE_MS);
  }

  private emit(at: number): void {
    const location = EditorActivityReporter.current(this.notesDir());
    const key = JSON.stringify(location);
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.send({ location, at }).catch((e) => {
      this.lastKey = undefined;
      this.log?.debug(`editor activity not sent: ${(e as Error).message}`);
    });
  }

  dispose(): void {
    this.stop();
  }
}
