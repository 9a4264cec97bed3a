/**
 * Decisions as ADRs in a real VS Code (issue 55): a meeting with a decision recorded by the real daemon (the sample,
 * through a whisper model that says "We decided to use Postgres for the job queue."), unless memory already has one;
 * then earshot.writeDecisionRecord writes it into the workspace's ADR folder (docs/adr here, found beside its
 * 0001 and 0003) as 0004, in MADR's layout, linked to the decision's line in the notes, and opens it; run again, it
 * writes 0005 and leaves 0004 as it was. The notes' CodeLens, the panel's button and @earshot /decisions' button name
 * the same decision.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EarshotApi } from '../../../extension/extension';
import type { WrittenRecord } from '../../../extension/decisions/decisionRecords';
import type { MemoryDecisionsResult } from '../../../protocol/protocol';
import { sayingModel } from '../../setup';
import { available as hooksAvailable, panelWaitFor, recordSampleMeeting, screenshot, until } from './hooks';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const SAMPLE = path.join(REPO_ROOT, 'media', 'sample', 'standup.wav');
const DECISION_TOKENS = [' We', ' decided', ' to', ' use', ' Postgres', ' for', ' the', ' job', ' queue', '.'];
const DECISION_TEXT = /decided to use Postgres for the job queue/i;
const COMMAND = 'earshot.writeDecisionRecord';

describe('Decisions as ADRs', function () {
  let api: EarshotApi;
  let root: string;
  let adrDir: string;
  let entry: MemoryDecisionsResult['decisions'][number];
  /** This run recorded the meeting (so the panel shows it). */
  let recorded = false;

  const findDecision = async () => (await api.client.memoryDecisions({})).decisions.find((d) => DECISION_TEXT.test(d.decision.text) && d.meeting.notesPath && d.notesLine);

  before(async function () {
    this.timeout(600_000);
    if (!process.env.EARSHOT_TEST_MEETING_MODEL) this.skip(); // started without test/editor/run.ts
    api = await vscode.extensions.getExtension<EarshotApi>('earshot.earshot')!.activate();
    root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    let found = await findDecision();
    if (!found) {
      await recordSampleMeeting(api, SAMPLE, 'ADR planning', sayingModel('decision', DECISION_TOKENS));
      recorded = true;
      found = await findDecision();
    }
    assert.ok(found, 'the recorded meeting has the decision, with its notes line');
    entry = found;
    // The workspace's ADRs: numbers 1 and 3 (a gap), a README; docs/adr is the folder to find.
    adrDir = path.join(root, 'docs', 'adr');
    fs.mkdirSync(adrDir, { recursive: true });
    fs.writeFileSync(path.join(adrDir, '0001-record-architecture-decisions.md'), '# 1. Record architecture decisions\n');
    fs.writeFileSync(path.join(adrDir, '0003-use-typescript.md'), '# 3. Use TypeScript\n');
    fs.writeFileSync(path.join(adrDir, 'README.md'), '# Decisions\n');
  });

  after(async () => {
    if (adrDir) fs.rmSync(path.join(root, 'docs'), { recursive: true, force: true });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  const write = async () => {
    const written = await vscode.commands.executeCommand<WrittenRecord | undefined>(COMMAND, { sessionId: entry.meeting.sessionId, decisionId: entry.decision.id });
    assert.ok(written, 'the command wrote a record (else it showed an error)');
    return written;
  };

  it('writes the decision as the next ADR in the workspace\'s ADR folder, in MADR\'s layout, linked to its notes line, and opens it', async function () {
    this.timeout(60_000);
    const written = await write();
    assert.equal(written.number, 4);
    assert.match(written.rel, /^docs\/adr\/0004-we-decided-to-use-postgres-for-the-job-queue\.md$/);
    const file = path.join(root, ...written.rel.split('/'));
    const text = fs.readFileSync(file, 'utf8');
    assert.match(text, /^---\nstatus: accepted\ndate: \d{4}-\d{2}-\d{2}\ndecision-makers: \[".+"\]\nconsulted: \[.*\]\n---\n/);
    assert.match(text, /^# We decided to use Postgres for the job queue$/m);
    for (const heading of ['## Context and Problem Statement', '## Decision Outcome', '## More Information']) assert.ok(text.includes(`\n${heading}\n`), heading);
    assert.match(text, /^Decided: We decided to use Postgres for the job queue\.$/m);
    assert.match(text, /_\(the decision\)_$/m, 'the decision\'s own line among the context lines');
    assert.ok(text.includes(`session ${entry.meeting.sessionId}`));
    // The link: relative from docs/adr to the notes file, at the decision's line.
    const link = /\[The decision in the meeting's notes, line (\d+)\]\(([^)]+)#L(\d+)\)/.exec(text);
    assert.ok(link, 'a link back to the notes');
    assert.equal(Number(link[3]), entry.notesLine);
    const target = path.resolve(adrDir, decodeURIComponent(link[2]));
    assert.equal(target, entry.meeting.notesPath);
    assert.match(fs.readFileSync(target, 'utf8').split('\n')[entry.notesLine! - 1], DECISION_TEXT);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, file, 'the record is open');
    assert.ok(!fs.existsSync(path.join(root, 'docs', 'decisions')), 'no second ADR folder');
    await screenshot('adr-written');
  });

  it('run again, writes 0005 and never overwrites', async function () {
    this.timeout(60_000);
    const first = path.join(adrDir, fs.readdirSync(adrDir).find((f) => f.startsWith('0004-'))!);
    const before = fs.readFileSync(first, 'utf8');
    fs.appendFileSync(first, '\nEdited by hand.\n');
    const written = await write();
    assert.equal(written.number, 5);
    assert.equal(fs.readFileSync(first, 'utf8'), `${before}\nEdited by hand.\n`);
    assert.equal(fs.readFileSync(path.join(adrDir, '0001-record-architecture-decisions.md'), 'utf8'), '# 1. Record architecture decisions\n');
    assert.deepEqual(fs.readdirSync(adrDir).filter((f) => /^\d{4}-/.test(f)).map((f) => f.slice(0, 4)).sort(), ['0001', '0003', '0004', '0005']);
  });

  it('the notes\' CodeLens and @earshot /decisions offer it for that decision', async function () {
    this.timeout(60_000);
    const notes = vscode.Uri.file(entry.meeting.notesPath);
    await vscode.window.showTextDocument(notes);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', notes);
    const ours = lenses.filter((l) => l.command?.command === COMMAND);
    const lens = ours.find((l) => JSON.stringify(l.command!.arguments) === JSON.stringify([{ sessionId: entry.meeting.sessionId, decisionId: entry.decision.id }]));
    assert.ok(lens, 'a "Write as ADR" CodeLens on the notes, for this decision');
    // The meeting says its decision in the same words every time: each entry still gets its own lens.
    assert.equal(new Set(ours.map((l) => l.range.start.line)).size, ours.length, 'one lens a line');
    const doc = await vscode.workspace.openTextDocument(notes);
    for (const l of ours) assert.match(doc.lineAt(l.range.start.line).text, /^- /);
    assert.equal(lens.range.start.line, entry.notesLine! - 1);
    assert.deepEqual(lens.command!.arguments, [{ sessionId: entry.meeting.sessionId, decisionId: entry.decision.id }]);
    const buttons: vscode.Command[] = [];
    const stream = { markdown() {}, anchor() {}, reference() {}, progress() {}, button: (c: vscode.Command) => buttons.push(c) };
    const request = { prompt: '', command: 'decisions', references: [], toolReferences: [] } as unknown as vscode.ChatRequest;
    await api.memory.chat.handle(request, { history: [] }, stream as unknown as vscode.ChatResponseStream, new vscode.CancellationTokenSource().token);
    assert.ok(buttons.some((b) => b.command === COMMAND && JSON.stringify(b.arguments) === JSON.stringify([{ sessionId: entry.meeting.sessionId, decisionId: entry.decision.id }])));
  });

  it('the panel\'s button on the decision writes the next one', async function () {
    this.timeout(60_000);
    if (!recorded) this.skip(); // the panel shows the meeting this run recorded, not one memory already had
    if (hooksAvailable) {
      // The button itself, clicked in the webview: its message reaches the command.
      await vscode.commands.executeCommand('earshot.showPanel');
      await panelWaitFor('(() => { const t = document.getElementById("tab-decisions"); if (!t) return false; t.click(); return true; })()', 'the Decisions tab');
      await screenshot('adr-panel-decisions');
      const clicked = await panelWaitFor<boolean>(
        `(() => { const b = document.querySelector('#decisions li.item[data-id="${entry.decision.id}"] button.item-action[data-action="adr"]'); if (!b) return false; b.click(); return true; })()`,
        'the "Write as ADR" button of the decision');
      assert.ok(clicked);
      await until(() => fs.readdirSync(adrDir).some((f) => f.startsWith('0006-')), 'ADR 0006 written from the panel', 20_000);
    } else {
      const outcome = await api.panel.runItemAction('adr', 'decisions', entry.decision.id);
      assert.equal(outcome.ok, true, outcome.message);
      assert.match(outcome.message ?? '', /docs\/adr\/0006-/);
    }
    assert.ok(fs.readdirSync(adrDir).some((f) => f.startsWith('0006-')));
  });
});
