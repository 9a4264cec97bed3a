/**
 * The command earshot.writeDecisionRecord and what leads to it: a decision of Earshot's memory (named by the panel's
 * button, the notes' CodeLens or the chat's button; none: a quick pick of the recent ones) written as an ADR in the
 * first workspace folder (adr.ts lays it out and picks the file), then opened. The CodeLens shows on each decision of
 * an Earshot notes file, where memory places it.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Decision, MemoryDecisionsParams, MemoryDecisionsResult, MemoryLine, MemoryLinesParams, MemoryLinesResult, MemoryMeeting } from '../../protocol/protocol';
import { ErrorCodes } from '../../protocol/protocol';
import { plainLine } from '../../protocol/plainText';
import { inline } from '../../protocol/markdownText';
import { meetingOfNotes } from '../memory/links';
import { notesUriNow } from '../remote/remoteNotes';
import { EarshotSettings } from '../settings/settings';
import { AdrFs, adrTitle, detectAdrFolder, nodeAdrFs, renderAdr, WRITE_DECISION_RECORD_COMMAND, WriteDecisionRecordArgs, writeAdr } from './adr';

/** What writing a record needs of the daemon (DaemonClient). */
export interface DecisionRecordsClient {
  memoryDecisions(params: MemoryDecisionsParams): Promise<MemoryDecisionsResult>;
  memoryLines(params: MemoryLinesParams): Promise<MemoryLinesResult>;
  memoryMeetings(): Promise<MemoryMeeting[]>;
  onMemoryChanged: vscode.Event<unknown>;
}

/** What the command answers (the panel and tests read it). */
export interface WrittenRecord {
  uri: string;
  /** Workspace-relative, with `/`. */
  rel: string;
  number: number;
}

/** Decisions a quick pick offers at most (newest meetings first). */
const PICK_MAX = 100;

type DecisionEntry = MemoryDecisionsResult['decisions'][number];

export class DecisionRecords implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  /** Memory's decisions and meetings, read once until memory changes (the CodeLens asks on every edit of a notes file). */
  private cache: Promise<{ decisions: DecisionEntry[]; meetings: MemoryMeeting[] }> | undefined;

  constructor(private readonly client: DecisionRecordsClient, private readonly log: Pick<vscode.LogOutputChannel, 'warn'>) {
    this.disposables.push(
      this.lensesChanged,
      client.onMemoryChanged(() => { this.cache = undefined; this.lensesChanged.fire(); }),
      vscode.languages.registerCodeLensProvider({ language: 'markdown' }, {
        onDidChangeCodeLenses: this.lensesChanged.event,
        provideCodeLenses: (doc) => this.lenses(doc),
      }),
    );
  }

  /** Writes the decision (picked when not given) as the next ADR, opens it and says where it went. */
  async write(args?: Partial<WriteDecisionRecordArgs>): Promise<WrittenRecord | undefined> {
    const root = vscode.workspace.workspaceFolders?.[0]?.uri;
    if (!root) throw new Error('Open a folder first: a decision record is written into the workspace (its ADR folder).');
    const { decisions } = await this.client.memoryDecisions({});
    const entry = typeof args?.sessionId === 'string' && typeof args.decisionId === 'string'
      ? decisions.find((d) => d.meeting.sessionId === args.sessionId && d.decision.id === args.decisionId)
      : await pickDecision(decisions);
    if (!entry) {
      if (args?.sessionId === undefined) return undefined; // the pick was cancelled
      throw new Error('That decision is not in Earshot\'s memory (was its meeting deleted, or the decision withdrawn?).');
    }
    const lines = await this.contextLines(entry.decision);
    const files = adrFs(root);
    const { folder } = await detectAdrFolder(files, EarshotSettings.read().adrFolder);
    const title = adrTitle(entry.decision.text);
    const notes = notesLink(root, folder, entry);
    const { number, rel } = await writeAdr(files, folder, title, () => renderAdr({ decision: entry.decision, meeting: entry.meeting, lines, ...(notes ? { notes } : {}) }));
    const uri = vscode.Uri.joinPath(root, ...rel.split('/'));
    await vscode.window.showTextDocument(uri, { preview: false });
    void vscode.window.showInformationMessage(`Earshot: decision record ${String(number).padStart(4, '0')} written to ${rel}.`);
    return { uri: uri.toString(), rel, number };
  }

  /** The decision's segment and those around it; none when memory no longer has them (the record says so). */
  private async contextLines(decision: Decision): Promise<MemoryLine[]> {
    if (!decision.segmentId) return [];
    try {
      return (await this.client.memoryLines({ sessionId: decision.sessionId, segmentId: decision.segmentId })).lines;
    } catch (e) {
      if ((e as { code?: number }).code !== ErrorCodes.SessionNotFound) throw e;
      this.log.warn('A decision\'s segment is not in memory: the record is written without its context lines.');
      return [];
    }
  }

  /**
   * A CodeLens on each decision of an Earshot notes file, at the line memory found it on, while that line still holds
   * the decision as the notes write it (an edit above it moves the lines until memory reads the file again).
   */
  private async lenses(doc: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    if (!/\.md$/i.test(doc.uri.path)) return [];
    try {
      this.cache ??= Promise.all([this.client.memoryDecisions({}), this.client.memoryMeetings()]).then(([d, meetings]) => ({ decisions: d.decisions, meetings }));
      const { decisions, meetings } = await this.cache;
      const meeting = meetingOfNotes(doc.uri, meetings);
      if (!meeting) return [];
      return decisions.filter((d) => d.meeting.sessionId === meeting.sessionId && d.notesLine && d.notesLine <= doc.lineCount
        && doc.lineAt(d.notesLine - 1).text.startsWith('- ') && doc.lineAt(d.notesLine - 1).text.includes(inline(d.decision.text))).map((d) => {
        const args: WriteDecisionRecordArgs = { sessionId: meeting.sessionId, decisionId: d.decision.id };
        const line = doc.lineAt(d.notesLine! - 1).range;
        return new vscode.CodeLens(line, { command: WRITE_DECISION_RECORD_COMMAND, title: 'Write as ADR', tooltip: 'Write this decision as an Architecture Decision Record in the workspace', arguments: [args] });
      });
    } catch (e) {
      this.cache = undefined;
      this.log.warn(`Could not list decisions for the notes' CodeLens: ${e instanceof Error ? e.message : String(e)}`);
      return [];
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

async function pickDecision(decisions: readonly DecisionEntry[]): Promise<DecisionEntry | undefined> {
  if (decisions.length === 0) throw new Error('No decisions in your meetings yet: decisions said in a meeting show in its notes, then here.');
  const items = decisions.slice(0, PICK_MAX).map((d) => ({
    label: plainLine(d.decision.text).slice(0, 200),
    description: `${plainLine(d.meeting.title).slice(0, 80)} · ${d.meeting.startedAt.slice(0, 10)}`,
    entry: d,
  }));
  return (await vscode.window.showQuickPick(items, { title: 'Write a decision as an ADR', placeHolder: 'Recent decisions, newest meeting first', matchOnDescription: true }))?.entry;
}

/**
 * The notes file relative to the ADR's folder, when both are on the same file system (a remote window's copy of the
 * notes, when it is in the workspace's); undefined otherwise (the record names the session instead).
 */
function notesLink(root: vscode.Uri, folder: string, entry: DecisionEntry): { relativePath: string; line?: number } | undefined {
  if (!entry.meeting.notesPath) return undefined;
  const notes = notesUriNow(entry.meeting.notesPath);
  if (notes.scheme !== root.scheme || notes.authority !== root.authority) return undefined;
  const from = vscode.Uri.joinPath(root, ...folder.split('/')).path;
  return { relativePath: path.posix.relative(from, notes.path), ...(entry.notesLine ? { line: entry.notesLine } : {}) };
}

/** The workspace folder's files: node's (exclusive create) for a local folder, vscode.workspace.fs for any other. */
function adrFs(root: vscode.Uri): AdrFs {
  if (root.scheme === 'file') return nodeAdrFs(root.fsPath);
  const at = (rel: string) => vscode.Uri.joinPath(root, ...rel.split('/'));
  const stat = (rel: string) => Promise.resolve(vscode.workspace.fs.stat(at(rel))).catch(() => undefined);
  return {
    readText: async (rel) => {
      const s = await stat(rel);
      return s && s.type & vscode.FileType.File ? Buffer.from(await vscode.workspace.fs.readFile(at(rel))).toString('utf8') : undefined;
    },
    isDirectory: async (rel) => (((await stat(rel))?.type ?? 0) & vscode.FileType.Directory) !== 0,
    list: async (rel) => (await Promise.resolve(vscode.workspace.fs.readDirectory(at(rel))).catch(() => [])).map(([name]) => name),
    mkdirs: async (rel) => vscode.workspace.fs.createDirectory(at(rel)),
    // vscode.workspace.fs has no exclusive create (writeFile always overwrites): a stat first, so only a file created
    // between the stat and the write (milliseconds, on another machine) could be overwritten.
    createNew: async (rel, content) => {
      if (await stat(rel)) return false;
      await vscode.workspace.fs.writeFile(at(rel), Buffer.from(content, 'utf8'));
      return true;
    },
  };
}
