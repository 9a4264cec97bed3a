/**
 * The meetings' CodeLens and hover on code: above a workspace file that stored meetings spoke of, "3 meetings ·
 * 1 decision · 2 open items" (and the same above each symbol a meeting named), and on the file's first line or such a
 * symbol, a hover listing them; the lens opens a quick pick of the meetings' lines, decisions and items, and each opens
 * at its line in the notes (or the transcript when the notes lack it).
 *
 * The daemon's anchors for a whole workspace folder are asked for once (earshot/memory/codeAnchors) and kept until the
 * memory changes or a new daemon starts; lenses and hovers read what is kept, never the daemon per keystroke. Only
 * `file` documents inside a `file` workspace folder get any; `earshot.codeLens.meetings` false: none (honoured live).
 */
import * as vscode from 'vscode';
import type { CodeAnchorFile, CodeAnchorMeetingInfo, MemoryCodeAnchorsResult, MemoryMeeting } from '../../protocol/protocol';
import { openNotesAt, openSessionTranscript, TranscriptSource } from '../memory/links';
import { EarshotSettings } from '../settings/settings';
import { relativePath } from '../workspace/workspaceIndex';
import { hoverMarkdown, LineTarget, lensTitle, OPEN_LINE_COMMAND, pickEntries, SHOW_COMMAND, symbolLine, symbolNamed } from './meetingsOfCode';

export const CODE_LENS_SETTING = 'earshot.codeLens.meetings';

export interface CodeMeetingsDeps {
  client: TranscriptSource & {
    memoryCodeAnchors(root: string): Promise<MemoryCodeAnchorsResult>;
    onMemoryChanged: vscode.Event<unknown>;
    onDaemonStart: vscode.Event<unknown>;
  };
  log: Pick<vscode.LogOutputChannel, 'warn'>;
  /** earshot.codeLens.meetings. */
  enabled(): boolean;
  /** The `file` workspace folder (its path) that holds a document, if any. */
  folderOf(uri: vscode.Uri): string | undefined;
}

/** A file's anchors, and its workspace folder and path in it. */
interface Found { root: string; path: string; file: CodeAnchorFile }

export class CodeMeetings implements vscode.CodeLensProvider, vscode.HoverProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  /** Each workspace folder's anchors, by path, as the daemon last answered (asked once per folder until they change). */
  private readonly byRoot = new Map<string, Promise<Map<string, CodeAnchorFile>>>();
  /** Every meeting an answer named: what OPEN_LINE_COMMAND opens (a link names a meeting, never a file). */
  private readonly meetings = new Map<string, MemoryMeeting>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly deps: CodeMeetingsDeps) {
    const forget = () => { this.byRoot.clear(); this.changed.fire(); };
    this.subscriptions = [this.changed, deps.client.onMemoryChanged(forget), deps.client.onDaemonStart(forget)];
  }

  /** Lenses show again (or go) at once when the setting changes. */
  settingChanged(): void {
    this.changed.fire();
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const found = await this.find(document.uri);
    if (!found) return [];
    const top = new vscode.Range(new vscode.Position(0, 0), new vscode.Position(0, 0));
    const lenses = [new vscode.CodeLens(top, { title: lensTitle(found.file.meetings), command: SHOW_COMMAND, arguments: [document.uri.toString()], tooltip: 'Meetings that spoke of this file' })];
    // Each symbol's lens goes near the line a meeting named: the document's lines are read only when there is one.
    const lines = found.file.symbols.length ? documentLines(document) : [];
    for (const s of found.file.symbols) {
      const at = symbolLine(lines, s.name, s.line);
      if (at === undefined) continue;
      const here = new vscode.Range(new vscode.Position(at, 0), new vscode.Position(at, 0));
      lenses.push(new vscode.CodeLens(here, { title: `${s.name}: ${lensTitle(s.meetings)}`, command: SHOW_COMMAND, arguments: [document.uri.toString(), s.name], tooltip: `Meetings that named ${s.name}` }));
    }
    return lenses;
  }

  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const found = await this.find(document.uri);
    if (!found) return undefined;
    const range = document.getWordRangeAtPosition(position);
    const symbol = range ? symbolNamed(found.file, document.getText(range)) : undefined;
    let subject: string;
    let meetings: readonly CodeAnchorMeetingInfo[];
    if (symbol) [subject, meetings] = [symbol.name, symbol.meetings];
    else if (position.line === 0) [subject, meetings] = [found.path.slice(found.path.lastIndexOf('/') + 1), found.file.meetings];
    else return undefined;
    const md = new vscode.MarkdownString(hoverMarkdown(subject, meetings));
    // Meeting text is escaped in hoverMarkdown; the one command a link may run opens a line of a meeting we named.
    md.isTrusted = { enabledCommands: [OPEN_LINE_COMMAND] };
    md.supportHtml = false;
    return new vscode.Hover(md, range);
  }

  /** The lens's quick pick: the meetings' lines, decisions and items of the file (or of its symbol); opens the chosen one. */
  async show(uri?: string, symbol?: string): Promise<vscode.TextEditor | undefined> {
    const target = uri ? vscode.Uri.parse(uri) : vscode.window.activeTextEditor?.document.uri;
    const found = target && await this.find(target);
    const meetings = found && (symbol ? found.file.symbols.find((s) => s.name === symbol)?.meetings : found.file.meetings);
    if (!found || !meetings?.length) {
      void vscode.window.showInformationMessage(this.deps.enabled() ? 'Earshot: no recorded meeting spoke of this file.' : `Earshot: turn on ${CODE_LENS_SETTING} to see the meetings that spoke of a file.`);
      return undefined;
    }
    const items = pickEntries(meetings).map((e): vscode.QuickPickItem & { target?: LineTarget } => e.kind === 'meeting'
      ? { label: e.label, kind: vscode.QuickPickItemKind.Separator }
      : { label: e.label, description: e.description, target: e.target });
    const picked = await vscode.window.showQuickPick(items, { title: `Meetings about ${symbol ?? found.path}`, matchOnDescription: true });
    return picked?.target ? this.open(picked.target) : undefined;
  }

  /** Opens a line of a meeting an answer named: its notes at the line, else its transcript at the segment. */
  async open(target: LineTarget): Promise<vscode.TextEditor | undefined> {
    const meeting = typeof target?.sessionId === 'string' ? this.meetings.get(target.sessionId) : undefined;
    if (!meeting) return undefined;
    const line = Number.isInteger(target.notesLine) && target.notesLine! > 0 ? target.notesLine : undefined;
    if (meeting.notesPath && line) return openNotesAt(meeting.notesPath, line);
    return openSessionTranscript(this.deps.client, meeting.sessionId, Number.isInteger(target.index) && target.index! > 0 ? target.index : undefined);
  }

  /** The document's anchors, when the setting is on and it is a `file` document in a `file` workspace folder. */
  private async find(uri: vscode.Uri): Promise<Found | undefined> {
    if (!this.deps.enabled() || uri.scheme !== 'file') return undefined;
    const root = this.deps.folderOf(uri);
    const path = root !== undefined ? relativePath(root, uri.fsPath) : null;
    if (root === undefined || !path) return undefined;
    const file = (await this.anchors(root)).get(path);
    return file ? { root, path, file } : undefined;
  }

  private anchors(root: string): Promise<Map<string, CodeAnchorFile>> {
    let kept = this.byRoot.get(root);
    if (!kept) {
      kept = this.deps.client.memoryCodeAnchors(root).then((result) => {
        for (const f of result.files) {
          for (const m of [...f.meetings, ...f.symbols.flatMap((s) => s.meetings)]) this.meetings.set(m.meeting.sessionId, m.meeting);
        }
        return new Map(result.files.map((f) => [f.path, f]));
      }, (e: Error) => {
        // No lenses this time; the next change (or daemon start) asks again.
        this.deps.log.warn(`meetings about code: ${e.message}`);
        return new Map<string, CodeAnchorFile>();
      });
      this.byRoot.set(root, kept);
    }
    return kept;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}

function documentLines(document: vscode.TextDocument): string[] {
  const lines: string[] = [];
  for (let i = 0; i < document.lineCount; i++) lines.push(document.lineAt(i).text);
  return lines;
}

/** Registers the lens and the hover for `file` documents, the setting followed live; commands/memory.ts registers its commands. */
export function registerCodeMeetings(client: CodeMeetingsDeps['client'], log: CodeMeetingsDeps['log']): { meetings: CodeMeetings; registration: vscode.Disposable } {
  const meetings = new CodeMeetings({
    client, log,
    enabled: () => EarshotSettings.read().codeLensMeetings,
    folderOf: (uri) => {
      const folder = vscode.workspace.getWorkspaceFolder(uri);
      return folder && folder.uri.scheme === 'file' ? folder.uri.fsPath : undefined;
    },
  });
  const selector: vscode.DocumentSelector = { scheme: 'file' };
  return {
    meetings,
    registration: vscode.Disposable.from(
      meetings,
      vscode.languages.registerCodeLensProvider(selector, meetings),
      vscode.languages.registerHoverProvider(selector, meetings),
      vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration(CODE_LENS_SETTING)) meetings.settingChanged(); }),
    ),
  };
}
