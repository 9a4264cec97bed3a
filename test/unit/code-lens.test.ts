import * as assert from 'node:assert/strict';
import { vscodeStub } from './vscode-stub';
import type { CodeAnchorFile, CodeAnchorMeetingInfo, MemoryCodeAnchorsResult } from '../../protocol/protocol';
import { CodeMeetings } from '../../extension/code/codeLens';
import { hoverMarkdown, lensTitle, OPEN_LINE_COMMAND, openLineUri, pickEntries, SHOW_COMMAND, symbolLine } from '../../extension/code/meetingsOfCode';
import { meeting } from './memory-fakes';

function info(n: number, over: Partial<CodeAnchorMeetingInfo> = {}): CodeAnchorMeetingInfo {
  const m = meeting(n);
  return {
    meeting: m,
    lines: [{ index: 3, notesLine: 40 + n, t0: 75, speaker: 'Alice', text: 'Alice, can you fix auth.ts by Friday?', how: 'named' }],
    decisions: [{ decision: { sessionId: m.sessionId, id: 'd1', revision: 1, text: 'We cache the token.', kind: 'decision', segmentId: 'seg3', t0: 75 }, standing: 'decided', notesLine: 12 }],
    actionItems: [{ item: { sessionId: m.sessionId, id: 'a1', revision: 1, text: 'Fix auth.ts', owner: 'Alice', due: '2026-11-07', duePhrase: 'by Friday', segmentId: 'seg3', t0: 75 }, notesLine: 20 }],
    ...over,
  };
}

const AUTH: CodeAnchorFile = {
  path: 'src/auth.ts',
  meetings: [info(2), info(1, { decisions: [], actionItems: [] })],
  symbols: [{ name: 'refreshToken', line: 3, meetings: [info(2)] }],
};

/** A text document as the providers read it. */
function doc(path: string, text: string, scheme = 'file') {
  const lines = text.split('\n');
  return {
    uri: scheme === 'file' ? vscodeStub.Uri.file(path) : vscodeStub.Uri.parse(`${scheme}:${path}`),
    lineCount: lines.length,
    lineAt: (i: number) => ({ text: lines[i] }),
    getWordRangeAtPosition: (p: { line: number; character: number }) => {
      const m = [...lines[p.line].matchAll(/\w+/g)].find((w) => w.index! <= p.character && p.character <= w.index! + w[0].length);
      return m ? { start: { line: p.line, character: m.index! }, end: { line: p.line, character: m.index! + m[0].length }, word: m[0] } : undefined;
    },
    getText: (r: { word: string }) => r.word,
  };
}
const SOURCE = ['// auth', 'import x from "y";', '', '', '', 'export function refreshToken() {}', 'refreshTokenLater();'].join('\n');

class FakeClient {
  asked: string[] = [];
  answer: MemoryCodeAnchorsResult = { files: [AUTH], truncated: false };
  private memory = new vscodeStub.EventEmitter<unknown>();
  private start = new vscodeStub.EventEmitter<unknown>();
  onMemoryChanged = this.memory.event;
  onDaemonStart = this.start.event;
  async memoryCodeAnchors(root: string) { this.asked.push(root); return this.answer; }
  async exportSession(): Promise<never> { throw new Error('not in this test'); }
  async transcript(): Promise<never> { throw new Error('not in this test'); }
  memoryChanged() { this.memory.fire({}); }
}

function provider(client: FakeClient, enabled = { on: true }) {
  return new CodeMeetings({
    client: client as never, log: { warn: () => undefined }, enabled: () => enabled.on,
    folderOf: (uri) => (uri.fsPath.startsWith('/work/app/') ? '/work/app' : undefined),
  });
}

describe('meetings on code: CodeLens and hover', () => {
  it('titles a lens with the meetings, decisions and open items (each counted once), singular where one', () => {
    assert.equal(lensTitle(AUTH.meetings), '2 meetings · 1 decision · 1 open item');
    assert.equal(lensTitle([info(1), info(2), info(3)]), '3 meetings · 3 decisions · 3 open items');
    assert.equal(lensTitle([info(1, { decisions: [], actionItems: [] })]), '1 meeting');
  });

  it('puts a symbol\'s lens on the line that names it nearest where the meeting pointed, as a whole word; none when it is gone', () => {
    const lines = SOURCE.split('\n');
    assert.equal(symbolLine(lines, 'refreshToken', 3), 5);
    assert.equal(symbolLine(lines, 'refreshToken', 7), 5, 'refreshTokenLater is another word');
    assert.equal(symbolLine(lines, 'parseConfig', 3), undefined);
    assert.equal(symbolLine(['ab$c', 'x'], 'b$c', 1), undefined, 'part of another identifier');
    assert.equal(symbolLine([], 'x', 1), undefined);
  });

  it('makes the hover inert: meeting text cannot link, run a command, add HTML or start a block; our links run only the open-line command', () => {
    const hostile = info(1, {
      meeting: meeting(1, { title: 'Plan [click](command:workbench.action.terminal.new) <img src=x onerror=alert(1)>' }),
      lines: [{ index: 1, t0: 0, speaker: 'Eve](command:evil)', text: 'fine\n# Heading\n[x](https://evil.example) \u202Edesrever', how: 'viewing' }],
    });
    const md = hoverMarkdown('auth.ts', [hostile]);
    const commands = [...md.matchAll(/\]\(command:([^?)]+)/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(commands)], [OPEN_LINE_COMMAND], md);
    assert.ok(!/(^|[^\\])<img/.test(md), md);
    assert.ok(!/\]\(https:/.test(md), md);
    assert.ok(!md.includes('\u202E'), 'no bidi override');
    assert.ok(!/^#/m.test(md), 'no heading from meeting text');
    assert.ok(md.includes('*(while viewing)*'));
  });

  it('links each line, decision and item to its notes line (the transcript\'s segment when the notes lack it)', () => {
    const md = hoverMarkdown('auth.ts', AUTH.meetings);
    const targets = [...md.matchAll(/\(command:[^?]+\?([^)]+)\)/g)].map((m) => JSON.parse(decodeURIComponent(m[1]))[0]);
    assert.deepEqual(targets, [
      { sessionId: 's2', notesLine: 42, index: 3 }, { sessionId: 's2', notesLine: 42, index: 3 }, { sessionId: 's2', notesLine: 12 }, { sessionId: 's2', notesLine: 20 },
      { sessionId: 's1', notesLine: 41, index: 3 }, { sessionId: 's1', notesLine: 41, index: 3 },
    ]);
    assert.match(md, /Decision \(decided\)/);
    assert.match(md, /Open item: .* — @Alice, due 2026-11-07/);
    assert.equal(openLineUri({ sessionId: 's', index: 2 }), `command:${OPEN_LINE_COMMAND}?${encodeURIComponent('[{"sessionId":"s","index":2}]')}`);
  });

  it('lists the quick pick by meeting, newest first: lines, then decisions, then open items, as plain text', () => {
    const entries = pickEntries(AUTH.meetings);
    assert.deepEqual(entries.map((e) => [e.kind, e.label]), [
      ['meeting', 'Meeting 2 · 2026-11-02'],
      ['open', '$(quote) Alice, can you fix auth.ts by Friday?'],
      ['open', '$(law) We cache the token.'],
      ['open', '$(checklist) Fix auth.ts'],
      ['meeting', 'Meeting 1 · 2026-11-01'],
      ['open', '$(quote) Alice, can you fix auth.ts by Friday?'],
    ]);
    assert.equal((entries[1] as { description: string }).description, '1:15 Alice');
    assert.equal((entries[3] as { description: string }).description, 'open item · @Alice, due 2026-11-07');
  });

  it('gives a file lens at the top and a lens above each named symbol, asking the daemon once per folder until memory changes', async () => {
    const client = new FakeClient();
    const code = provider(client);
    let changes = 0;
    code.onDidChangeCodeLenses(() => changes++);
    const lenses = await code.provideCodeLenses(doc('/work/app/src/auth.ts', SOURCE) as never);
    assert.deepEqual(lenses.map((l) => [l.range.start.line, l.command!.title, l.command!.command, l.command!.arguments]), [
      [0, '2 meetings · 1 decision · 1 open item', SHOW_COMMAND, ['file:/work/app/src/auth.ts']],
      [5, 'refreshToken: 1 meeting · 1 decision · 1 open item', SHOW_COMMAND, ['file:/work/app/src/auth.ts', 'refreshToken']],
    ]);
    await code.provideCodeLenses(doc('/work/app/src/auth.ts', SOURCE) as never);
    await code.provideHover(doc('/work/app/src/auth.ts', SOURCE) as never, new vscodeStub.Position(0, 3) as never);
    assert.deepEqual(client.asked, ['/work/app'], 'asked once');
    assert.deepEqual(await code.provideCodeLenses(doc('/work/app/src/other.ts', SOURCE) as never), [], 'a file no meeting spoke of');
    client.answer = { files: [], truncated: false };
    client.memoryChanged();
    assert.equal(changes, 1, 'lenses refresh when memory changes');
    assert.deepEqual(await code.provideCodeLenses(doc('/work/app/src/auth.ts', SOURCE) as never), []);
    assert.deepEqual(client.asked, ['/work/app', '/work/app']);
  });

  it('gives none outside a workspace folder, for other schemes, or with the setting off', async () => {
    const client = new FakeClient();
    const enabled = { on: true };
    const code = provider(client, enabled);
    assert.deepEqual(await code.provideCodeLenses(doc('/elsewhere/src/auth.ts', SOURCE) as never), []);
    assert.deepEqual(await code.provideCodeLenses(doc('/work/app/src/auth.ts', SOURCE, 'untitled') as never), []);
    enabled.on = false;
    assert.deepEqual(await code.provideCodeLenses(doc('/work/app/src/auth.ts', SOURCE) as never), []);
    assert.equal(await code.provideHover(doc('/work/app/src/auth.ts', SOURCE) as never, new vscodeStub.Position(0, 0) as never), undefined);
    assert.deepEqual(client.asked, [], 'the daemon is not asked for what is not shown');
  });

  it('hovers on the first line (the file) and on a named symbol, trusted for the open-line command alone; nowhere else', async () => {
    const code = provider(new FakeClient());
    const d = doc('/work/app/src/auth.ts', SOURCE);
    const onFile = await code.provideHover(d as never, new vscodeStub.Position(0, 4) as never) as unknown as { contents: { value: string; isTrusted: unknown } };
    assert.match(onFile.contents.value, /^\*\*Earshot:\*\* auth\.ts came up in 2 meetings/);
    assert.deepEqual(onFile.contents.isTrusted, { enabledCommands: [OPEN_LINE_COMMAND] });
    const onSymbol = await code.provideHover(d as never, new vscodeStub.Position(5, 20) as never) as unknown as { contents: { value: string } };
    assert.match(onSymbol.contents.value, /^\*\*Earshot:\*\* refreshToken came up in 1 meeting/);
    assert.equal(await code.provideHover(d as never, new vscodeStub.Position(6, 3) as never), undefined, 'refreshTokenLater is not the symbol');
    assert.equal(await code.provideHover(d as never, new vscodeStub.Position(1, 2) as never), undefined);
  });

  it('opens only a meeting an answer named, at its notes line', async () => {
    const shown: unknown[] = [];
    vscodeStub.window.showTextDocument = async (uri: unknown, options: unknown) => { shown.push([String(uri), options]); return {}; };
    const code = provider(new FakeClient());
    await code.provideCodeLenses(doc('/work/app/src/auth.ts', SOURCE) as never);
    assert.equal(await code.open({ sessionId: 'no-such', notesLine: 3 }), undefined);
    assert.equal(await code.open(undefined as never), undefined);
    await code.open({ sessionId: 's2', notesLine: 42 });
    assert.deepEqual(shown.map((s) => (s as [string, { selection: { start: { line: number } } }])).map(([uri, o]) => [uri, o.selection.start.line]), [['file:/notes/meeting-2.md', 41]]);
  });
});
