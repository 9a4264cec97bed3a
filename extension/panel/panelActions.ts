/**
 * What the side panel's buttons do on the VS Code side: insert a note at the cursors, copy it, select it in the notes
 * file, add it as a TODO comment, open a file a line of the transcript links to.
 *
 * The first half is pure (text in, text out) and unit-tested in test/unit/panel-actions.test.ts; the second half uses
 * the VS Code API, which is loaded on first use so that the pure helpers can be tested outside VS Code.
 */
import type * as vscodeTypes from 'vscode';
import type { ItemList } from '../../protocol/panel';
import type { EditorLocation, MentionTarget } from '../../protocol/protocol';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const vscodeApi = (): typeof vscodeTypes => require('vscode');

// ---------------------------------------------------------------------------------------------
// Pure helpers

/** A list entry as the actions need it (an action item, a decision or an open question). */
export interface NoteItem {
  id: string;
  text: string;
  owner?: string | null;
  due?: string | null;
  /** Decisions: 'decision' | 'deferral' | 'negative'. */
  kind?: string;
  /** Decisions: 'decided' | 'open' | 'given' (absent: from the kind). */
  standing?: string;
  /** Open questions: who asked. */
  speaker?: string | null;
}

const DECISION_LABEL: Record<string, string> = { deferral: 'Deferred: ', negative: 'Not doing: ' };
/** A decision's label: a requirement given to the team says so; the others by their kind. */
const decisionLabel = (item: NoteItem) => (item.standing === 'given' ? 'Given: ' : DECISION_LABEL[item.kind ?? '']);

/** One line of text, whitespace collapsed (what is inserted, copied, or put in a comment). */
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The item as text: what "Insert at cursor" and "Copy" give (action items in the notes' own form). */
export function itemText(list: ItemList, item: NoteItem): string {
  const text = oneLine(item.text);
  if (list === 'actionItems') return `${text}${item.owner ? ` — @${oneLine(item.owner)}` : ''}${item.due ? `, due ${item.due}` : ''}`;
  if (list === 'decisions') return `${decisionLabel(item) ?? ''}${text}`;
  return text;
}

/** The text of a TODO comment for the item, before the language's comment syntax: `TODO: text (@owner, due …)`. */
export function todoText(list: ItemList, item: NoteItem): string {
  const text = oneLine(item.text).replace(/\*\//g, '* /'); // a block comment must not end inside the TODO
  const extra = [item.owner ? `@${oneLine(item.owner)}` : '', item.due ? `due ${item.due}` : ''].filter(Boolean).join(', ');
  const prefix = list === 'decisions' ? (decisionLabel(item) ?? 'Decided: ') : list === 'openQuestions' ? 'Answer: ' : '';
  return `TODO: ${prefix}${text}${extra ? ` (${extra})` : ''}`;
}

/**
 * Where a TODO for line `line` (0-based) goes: the indentation to give it. A blank line takes the indentation of the
 * next non-blank line (the code the TODO is about), else of the previous one.
 */
export function indentationFor(lines: readonly string[], line: number): string {
  const indentOf = (s: string) => /^[ \t]*/.exec(s)![0];
  if (line < lines.length && lines[line].trim()) return indentOf(lines[line]);
  for (let k = line + 1; k < lines.length; k++) if (lines[k].trim()) return indentOf(lines[k]);
  for (let k = Math.min(line, lines.length) - 1; k >= 0; k--) if (lines[k].trim()) return indentOf(lines[k]);
  return '';
}

/** Markdown-escaped text as the notes write it (protocol/markdownText.ts `inline`). */
export function notesInline(text: string): string {
  return text.replace(/[\\`*_[\]<>#|]/g, (c) => `\\${c}`).replace(/\s+/g, ' ').trim();
}

const SECTION_HEADINGS: Record<ItemList, RegExp> = {
  actionItems: /^##\s+action items\s*#*\s*$/i,
  decisions: /^##\s+decisions\s*#*\s*$/i,
  openQuestions: /^##\s+open questions\s*#*\s*$/i,
};

/** A place in the notes: 0-based line, and the characters to select on it. */
export interface NotesLocation {
  line: number;
  start: number;
  end: number;
}

/** Comparable text: escapes removed, whitespace collapsed, lower case. */
const comparable = (s: string) => s.replace(/\\([\\`*_[\]<>#|])/g, '$1').replace(/\s+/g, ' ').trim().toLowerCase();

/**
 * Finds an item's line in a notes file (daemon/documents/markdown.ts format): an action item by its
 * `<!-- earshot:id -->` marker, else (and for decisions and questions) by its text within its own section. Selects the
 * item's text on that line. undefined: not in the notes (yet).
 */
export function findItemInNotes(notes: string, list: ItemList, item: NoteItem): NotesLocation | undefined {
  const lines = notes.split(/\r?\n/);
  const select = (line: number, needle?: string): NotesLocation => {
    const text = lines[line];
    const at = needle ? text.indexOf(needle) : -1;
    if (at >= 0) return { line, start: at, end: at + needle!.length };
    const bullet = /^\s*[-*+]\s+(\[[ xX]\]\s+)?/.exec(text);
    const start = bullet ? bullet[0].length : 0;
    const end = text.replace(/\s*<!--.*?-->\s*$/, '').replace(/\s*_\([^)]*\)_\s*$/, '').length;
    return { line, start, end: Math.max(start, end) };
  };
  const escaped = notesInline(item.text);
  if (list === 'actionItems') {
    const marker = `<!-- earshot:${item.id.replace(/[^\w-]/g, '')} -->`;
    const k = lines.findIndex((l) => l.includes(marker));
    if (k >= 0) return select(k, escaped);
  }
  const heading = lines.findIndex((l) => SECTION_HEADINGS[list].test(l));
  if (heading < 0) return undefined;
  let end = lines.findIndex((l, k) => k > heading && /^##?\s/.test(l));
  if (end < 0) end = lines.length;
  const want = comparable(item.text);
  if (!want) return undefined;
  for (let k = heading + 1; k < end; k++) if (lines[k].includes(escaped)) return select(k, escaped);
  for (let k = heading + 1; k < end; k++) if (/^\s*[-*+]\s/.test(lines[k]) && comparable(lines[k]).includes(want)) return select(k);
  return undefined;
}

/** Whether a workspace-relative path from the daemon stays inside the workspace folder (no `..`, not absolute). */
export function isSafeRelativePath(p: string): boolean {
  if (!p || p.includes('\0') || p.includes('\\')) return false;
  if (p.startsWith('/') || /^[a-zA-Z]:/.test(p)) return false;
  return p.split('/').every((part) => part !== '..' && part !== '');
}

/** "src/auth.ts:40–52", "src/auth.ts:40" or "src/auth.ts". */
export function locationLabel(path: string, startLine?: number, endLine?: number): string {
  if (!startLine) return path;
  return endLine && endLine !== startLine ? `${path}:${startLine}–${endLine}` : `${path}:${startLine}`;
}

/** How a mention's target reads in a quick pick. */
export function mentionLabel(target: MentionTarget): string {
  return target.kind === 'symbol' && target.name ? `${target.name} — ${locationLabel(target.path, target.line)}` : locationLabel(target.path, target.line);
}

/** A stable id for an open question (the summary sends none): its time and a hash of its text. */
export function questionId(q: { text: string; t0: number }): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < q.text.length; i++) h = Math.imul(h ^ q.text.charCodeAt(i), 0x01000193) >>> 0;
  return `q-${Math.round(q.t0 * 1000)}-${h.toString(36)}`;
}

// ---------------------------------------------------------------------------------------------
// VS Code side

/** What an action did, for the caller (and tests): ok false with a message the user was shown. */
export interface ActionOutcome {
  ok: boolean;
  message?: string;
}

const NO_EDITOR = 'Earshot: no text editor is active. Click into a file where the text should go, then try again.';

/** The editor the panel's actions write into: the active one (a webview view keeps it active while it has focus). */
function targetEditor(): vscodeTypes.TextEditor | undefined {
  const vscode = vscodeApi();
  return vscode.window.activeTextEditor ?? (vscode.window.visibleTextEditors.length === 1 ? vscode.window.visibleTextEditors[0] : undefined);
}

/** Inserts the text at every cursor (replacing selections) of the active editor, as one undo step. */
export async function insertAtCursors(text: string): Promise<ActionOutcome> {
  const vscode = vscodeApi();
  const editor = targetEditor();
  if (!editor) {
    void vscode.window.showWarningMessage(NO_EDITOR);
    return { ok: false, message: NO_EDITOR };
  }
  const ok = await editor.edit((edit) => { for (const s of editor.selections) edit.replace(s, text); });
  if (!ok) {
    const message = 'Earshot: the editor did not accept the text (is it read-only?).';
    void vscode.window.showWarningMessage(message);
    return { ok: false, message };
  }
  return { ok: true };
}

export async function copyText(text: string): Promise<ActionOutcome> {
  await vscodeApi().env.clipboard.writeText(text);
  return { ok: true, message: 'Copied.' };
}

/** Opens the notes file and selects the item's line (the document as open, with unsaved edits, when it is). */
export async function revealInNotes(notesPath: string, list: ItemList, item: NoteItem): Promise<ActionOutcome> {
  const vscode = vscodeApi();
  if (!notesPath) {
    const message = 'Earshot: this session writes no notes file.';
    void vscode.window.showInformationMessage(message);
    return { ok: false, message };
  }
  let document: vscodeTypes.TextDocument;
  try {
    // A remote window's notes open from the workspace (remote/remoteNotes.ts); loaded here, as vscode is, for the pure
    // tests.
    const { notesUri } = require('../remote/remoteNotes') as typeof import('../remote/remoteNotes');
    document = await vscode.workspace.openTextDocument(await notesUri(notesPath));
  } catch {
    const message = `Earshot: the notes file ${notesPath} cannot be opened (not written yet, or moved).`;
    void vscode.window.showWarningMessage(message);
    return { ok: false, message };
  }
  const found = findItemInNotes(document.getText(), list, item);
  const editor = await vscode.window.showTextDocument(document, { preview: false });
  if (!found) {
    const message = 'Earshot: that entry is not in the notes file yet (the notes are updated every few seconds).';
    void vscode.window.showInformationMessage(message);
    return { ok: false, message };
  }
  const range = new vscode.Range(found.line, found.start, found.line, found.end);
  editor.selection = new vscode.Selection(range.start, range.end);
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  return { ok: true };
}

/** The first workspace folder holding the relative path (undefined when none does, or the path is unsafe). */
export async function resolveWorkspaceFile(relative: string): Promise<vscodeTypes.Uri | undefined> {
  const vscode = vscodeApi();
  if (!isSafeRelativePath(relative)) return undefined;
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const uri = vscode.Uri.joinPath(folder.uri, ...relative.split('/'));
    try {
      await vscode.workspace.fs.stat(uri);
      return uri;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** Opens a workspace file at 1-based lines (the whole range selected), or at the top. */
export async function openWorkspaceLocation(relative: string, startLine?: number, endLine?: number): Promise<ActionOutcome> {
  const vscode = vscodeApi();
  const uri = await resolveWorkspaceFile(relative);
  if (!uri) {
    const message = `Earshot: ${relative} is not in this workspace.`;
    void vscode.window.showWarningMessage(message);
    return { ok: false, message };
  }
  const document = await vscode.workspace.openTextDocument(uri);
  const last = document.lineCount - 1;
  const from = Math.max(0, Math.min(last, (startLine ?? 1) - 1));
  const to = Math.max(from, Math.min(last, (endLine ?? startLine ?? 1) - 1));
  const selection = startLine
    ? new vscode.Range(from, 0, to, endLine && endLine !== startLine ? document.lineAt(to).text.length : 0)
    : new vscode.Range(0, 0, 0, 0);
  const editor = await vscode.window.showTextDocument(document, { selection, preview: true });
  editor.revealRange(selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  return { ok: true };
}

/** Opens a mention's target, asking which one when the words fit several. */
export async function openMention(target: MentionTarget, alternatives: readonly MentionTarget[] = []): Promise<ActionOutcome> {
  const vscode = vscodeApi();
  let chosen = target;
  if (alternatives.length) {
    const picked = await vscode.window.showQuickPick([target, ...alternatives].map((t, k) => ({
      label: mentionLabel(t), description: k === 0 ? 'best match' : undefined, target: t,
    })), { title: 'Earshot: Open the mentioned code', placeHolder: 'The words fit more than one place' });
    if (!picked) return { ok: false };
    chosen = picked.target;
  }
  return openWorkspaceLocation(chosen.path, chosen.line);
}

export async function openViewing(location: EditorLocation): Promise<ActionOutcome> {
  return openWorkspaceLocation(location.path, location.startLine, location.endLine);
}

/** Where a TODO goes: an editor's document and a 0-based line (the TODO is inserted above it). */
export interface TodoTarget {
  uri: vscodeTypes.Uri;
  line: number;
}

/**
 * Asks where to add the TODO: at the cursor of the active editor, near code the item's line mentioned, or in a file
 * chosen from the workspace. undefined: cancelled.
 */
export async function pickTodoTarget(todo: string, mentioned: readonly MentionTarget[]): Promise<TodoTarget | undefined> {
  const vscode = vscodeApi();
  type Pick = vscodeTypes.QuickPickItem & { target?: () => Promise<TodoTarget | undefined> };
  const picks: Pick[] = [];
  const editor = targetEditor();
  if (editor) {
    const line = editor.selection.active.line;
    picks.push({
      label: `$(edit) At the cursor in ${vscode.workspace.asRelativePath(editor.document.uri)}:${line + 1}`,
      target: async () => ({ uri: editor.document.uri, line }),
    });
  }
  const seen = new Set<string>();
  for (const t of mentioned) {
    const key = `${t.path}:${t.line ?? 0}`;
    if (seen.has(key) || !isSafeRelativePath(t.path)) continue;
    seen.add(key);
    picks.push({
      label: `$(link) At ${locationLabel(t.path, t.line)}`, description: 'mentioned with this item',
      target: async () => {
        const uri = await resolveWorkspaceFile(t.path);
        return uri ? { uri, line: Math.max(0, (t.line ?? 1) - 1) } : undefined;
      },
    });
  }
  picks.push({ label: '$(file) Choose a file…', target: chooseFile });
  const picked = await vscode.window.showQuickPick(picks, { title: 'Earshot: Add as TODO comment', placeHolder: todo });
  return picked?.target?.();
}

/** A workspace file from a quick pick (or an open dialog without a workspace); the TODO goes above its cursor line. */
async function chooseFile(): Promise<TodoTarget | undefined> {
  const vscode = vscodeApi();
  let uri: vscodeTypes.Uri | undefined;
  if (vscode.workspace.workspaceFolders?.length) {
    const files = await vscode.workspace.findFiles('**/*', '**/{node_modules,.git,out,dist,.earshot}/**', 5000);
    const picked = await vscode.window.showQuickPick(
      files.map((f) => ({ label: vscode.workspace.asRelativePath(f), uri: f })).sort((a, b) => a.label.localeCompare(b.label)),
      { title: 'Earshot: Add the TODO to which file?', matchOnDescription: true },
    );
    uri = picked?.uri;
  } else {
    uri = (await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Add TODO here' }))?.[0];
  }
  if (!uri) return undefined;
  const editor = await vscode.window.showTextDocument(uri, { preview: false });
  return { uri, line: editor.selection.active.line };
}

/**
 * Inserts `todo` on a new line above `target.line` with that code's indentation, and comments it with the language's
 * own syntax (`editor.action.addCommentLine`: VS Code has no API for comment syntax). The insert and the comment are
 * folded into one undo step: both are undone and the commented line is inserted again in a single edit (only when the
 * undo gave back exactly the text from before; otherwise the two steps stay).
 */
export async function insertTodoComment(target: TodoTarget, todo: string): Promise<ActionOutcome> {
  const vscode = vscodeApi();
  const document = await vscode.workspace.openTextDocument(target.uri);
  // The editor already showing it (the cursor option), else a new one; focused, since the comment and undo commands act on it.
  const shown = vscode.window.visibleTextEditors.find((e) => e.document === document);
  const editor = await vscode.window.showTextDocument(document, { preview: false, preserveFocus: false, ...(shown?.viewColumn ? { viewColumn: shown.viewColumn } : {}) });
  const line = Math.max(0, Math.min(target.line, document.lineCount - 1));
  const lines = Array.from({ length: Math.min(document.lineCount, line + 200) }, (_, k) => document.lineAt(k).text);
  const indent = indentationFor(lines, line);
  const eol = document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n';
  const before = document.getText();
  const plain = indent + todo;
  const inserted = await editor.edit((edit) => edit.insert(new vscode.Position(line, 0), plain + eol), { undoStopBefore: true, undoStopAfter: false });
  if (!inserted) {
    const message = 'Earshot: the editor did not accept the TODO (is it read-only?).';
    void vscode.window.showWarningMessage(message);
    return { ok: false, message };
  }
  editor.selection = new vscode.Selection(line, indent.length, line, plain.length);
  await vscode.commands.executeCommand('editor.action.addCommentLine');
  const commented = document.lineAt(line).text;
  let result: ActionOutcome = { ok: true };
  if (commented === plain) {
    result = { ok: true, message: 'Earshot: this file\'s language has no comment syntax; the TODO was inserted as plain text.' };
  } else {
    // Fold the two steps into one: undo both (checking we are back where we started), insert the final line.
    let undone = 0;
    while (undone < 2 && document.getText() !== before) {
      await vscode.commands.executeCommand('undo');
      undone++;
    }
    if (document.getText() === before) {
      await editor.edit((edit) => edit.insert(new vscode.Position(line, 0), commented + eol));
    } else {
      for (; undone > 0; undone--) await vscode.commands.executeCommand('redo');
    }
  }
  const end = new vscode.Position(line, document.lineAt(line).text.length);
  editor.selection = new vscode.Selection(end, end);
  editor.revealRange(new vscode.Range(end, end), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  return result;
}
