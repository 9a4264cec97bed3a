/**
 * Code that remembers its meetings (issue 55), in a real VS Code: a meeting recorded through the real daemon (the
 * sample, with the whisper model that says "Alice, can you fix auth.ts by Friday?", the workspace index naming
 * src/auth.ts) unless memory already has one that spoke of src/auth.ts; then src/auth.ts opened: its CodeLens counts
 * the meetings, decisions and open items, the lens's quick pick and the hover's link open the notes at the line that
 * said it, and turning earshot.codeLens.meetings off takes the lens away. Records only what it needs and deletes
 * nothing (memory.test.ts's Delete All Data comes later).
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EarshotApi } from '../../../extension/extension';
import { recordSampleMeeting, screenshot, until, WorkspaceSettings } from './hooks';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const SAMPLE = path.join(REPO_ROOT, 'media', 'sample', 'standup.wav');
const MEETING_MODEL = process.env.EARSHOT_TEST_MEETING_MODEL;
const SHOW = 'earshot.codeMeetings.show';
const OPEN_LINE = 'earshot.codeMeetings.openLine';
const LENS_TITLE = /^\d+ meetings? · (\d+ decisions? · )?\d+ open items?$/;

describe('Code that remembers its meetings: the CodeLens and hover on src/auth.ts', function () {
  let api: EarshotApi;
  let auth: vscode.Uri;
  const settings = new WorkspaceSettings();

  /**
   * Opens src/auth.ts, again while VS Code refuses: right after a meeting ends it opens the notes, and an editor opened
   * at the same moment can fail ("Could NOT open editor").
   */
  const openAuth = () => until(async () => {
    try {
      return await vscode.window.showTextDocument(auth, { preview: false, viewColumn: vscode.ViewColumn.One });
    } catch {
      return undefined;
    }
  },
    'src/auth.ts open in the editor', 15_000);

  const lenses = async () => ((await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', auth)) ?? [])
    .filter((l) => l.command?.command === SHOW);

  before(async function () {
    this.timeout(600_000);
    if (!MEETING_MODEL) this.skip(); // started without test/editor/run.ts
    api = await vscode.extensions.getExtension<EarshotApi>('earshot.earshot')!.activate();
    const folder = vscode.workspace.workspaceFolders![0];
    auth = vscode.Uri.joinPath(folder.uri, 'src', 'auth.ts');
    const spokeOfAuth = async () => (await api.client.memoryCodeAnchors(folder.uri.fsPath)).files
      .find((f) => f.path === 'src/auth.ts' && f.meetings.some((m) => m.actionItems.length && m.lines.some((l) => l.how === 'named' && l.notesLine)));
    if (await spokeOfAuth()) return;
    await recordSampleMeeting(api, SAMPLE, 'Code lens review', MEETING_MODEL);
    await until(spokeOfAuth, 'memory has the meeting that named src/auth.ts', 30_000);
  });

  after(async () => {
    await settings.restore();
  });

  it('shows a lens on src/auth.ts whose quick pick, and whose hover\'s link, open the notes at the line that named it', async () => {
    await openAuth();
    const [lens] = await until(async () => { const l = await lenses(); return l.length > 0 && l; }, 'the meetings\' CodeLens on src/auth.ts', 30_000);
    assert.equal(lens.range.start.line, 0, 'the file\'s lens is at its top');
    assert.match(lens.command!.title, LENS_TITLE);
    assert.deepEqual(lens.command!.arguments, [auth.toString()]);
    await until(() => vscode.window.activeTextEditor?.document.uri.toString() === auth.toString() && true, 'src/auth.ts in the editor');
    await new Promise((r) => setTimeout(r, 1500)); // the lens is drawn after the provider answers
    await screenshot('55-code-lens');

    // The lens: its quick pick lists the meeting's lines first; accepting the first opens the notes there.
    const shown = vscode.commands.executeCommand<vscode.TextEditor | undefined>(SHOW, ...lens.command!.arguments!);
    await new Promise((r) => setTimeout(r, 1000));
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    const opened = await Promise.race([shown, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
    assert.notEqual(opened, 'timeout', 'the quick pick took the selection');
    const notes = await until(() => {
      const e = vscode.window.activeTextEditor;
      return e && e.document.uri.fsPath.endsWith('.md') && e;
    }, 'the notes opened from the quick pick', 15_000);
    assert.match(notes.document.lineAt(notes.selection.active.line).text, /fix \[?auth\.ts/, 'the notes line that named auth.ts');

    // The hover on the file's first line: meetings with links that run our command alone, and open the notes at the line.
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', auth, new vscode.Position(0, 2));
    const ours = hovers.flatMap((h) => h.contents).map((c) => (typeof c === 'string' ? c : c.value)).find((v) => v.startsWith('**Earshot:**'));
    assert.ok(ours, `our hover: ${JSON.stringify(hovers)}`);
    assert.match(ours, /auth\.ts came up in \d+ meetings?/);
    const links = [...ours.matchAll(/\]\(command:([\w.]+)\?([^)]+)\)/g)];
    assert.ok(links.length > 0 && links.every((l) => l[1] === OPEN_LINE), ours);
    const target = JSON.parse(decodeURIComponent(links[1][2]))[0] as { sessionId: string; notesLine?: number };
    assert.ok(target.notesLine, 'the line links its notes line');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand(OPEN_LINE, target);
    const atLine = await until(() => vscode.window.activeTextEditor?.document.uri.fsPath.endsWith('.md') && vscode.window.activeTextEditor, 'the notes opened from the hover');
    assert.equal(atLine.selection.active.line, target.notesLine! - 1);
    assert.match(atLine.document.lineAt(target.notesLine! - 1).text, /fix \[?auth\.ts/);
  });

  it('takes the lens and hover away when earshot.codeLens.meetings is turned off, and back when on', async () => {
    await openAuth();
    await until(async () => (await lenses()).length > 0, 'the lens, on');
    await settings.set('codeLens.meetings', false);
    await until(async () => (await lenses()).length === 0, 'no lens with the setting off', 10_000);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', auth, new vscode.Position(0, 2));
    assert.ok(!hovers.flatMap((h) => h.contents).some((c) => (typeof c === 'string' ? c : c.value).startsWith('**Earshot:**')), 'no hover with the setting off');
    await settings.set('codeLens.meetings', true);
    await until(async () => (await lenses()).length > 0, 'the lens back', 10_000);
  });
});
