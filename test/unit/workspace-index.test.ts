/**
 * The pure parts of the workspace index and of editor activity: paths, exclusions, symbol flattening, bounds. And the
 * indexer itself over the vscode stub, for a remote window's folder (`vscode-remote://`): what it sends is matched and
 * linked by the daemon's own code.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { vscodeStub } from './vscode-stub';
import {
  boundIndex, excludeGlob, flattenSymbols, folderRelativePath, indexRoot, isDefaultExcluded, relativePath, SymbolLike, UriLike,
  WorkspaceIndexer, workspaceSymbols,
} from '../../extension/workspace/workspaceIndex';
import { EditorActivityReporter, editorLocation } from '../../extension/workspace/activity';
import { resolveWorkspaceFile } from '../../extension/panel/panelActions';
import { EarshotSettings } from '../../extension/settings/settings';
import { WorkspaceIndexHolder } from '../../daemon/anchoring/segmentContext';
import { segmentMentions } from '../../daemon/anchoring/mentions';
import { renderNotes } from '../../daemon/documents/markdown';
import { JournalRecord } from '../../daemon/journal/journal';
import { WorkspaceIndexParams, WorkspaceSymbolInfo } from '../../protocol/protocol';

const KINDS = ['file', 'module', 'namespace', 'package', 'class', 'method', 'property', 'field', 'constructor', 'enum', 'interface',
  'function', 'variable', 'constant', 'string', 'number', 'boolean', 'array', 'object', 'key', 'null', 'enumMember', 'struct', 'event',
  'operator', 'typeParameter'];
const kindName = (kind: number) => KINDS[kind];
const k = (name: string) => KINDS.indexOf(name);
const at = (line: number) => ({ start: { line } });
/** A local workspace folder `/ws`, as vscode.Uri has it. */
const LOCAL_WS: UriLike = { scheme: 'file', path: '/ws', fsPath: '/ws' };

describe('workspace index', () => {
  describe('relativePath', () => {
    it('makes paths inside the root relative, with /', () => {
      assert.equal(relativePath('/ws', '/ws/src/auth.ts', path.posix), 'src/auth.ts');
      assert.equal(relativePath('/ws/', '/ws/a.md', path.posix), 'a.md');
      assert.equal(relativePath('C:\\ws', 'C:\\ws\\src\\auth.ts', path.win32), 'src/auth.ts');
      assert.equal(relativePath('C:\\ws', 'c:\\WS\\src\\x.ts', path.win32), 'src/x.ts', 'Windows paths ignore case');
    });

    it('gives null outside the root, for the root itself, and for empty input', () => {
      assert.equal(relativePath('/ws', '/other/a.ts', path.posix), null);
      assert.equal(relativePath('/ws', '/ws2/a.ts', path.posix), null);
      assert.equal(relativePath('/ws', '/ws', path.posix), null);
      assert.equal(relativePath('', '/ws/a.ts', path.posix), null);
      assert.equal(relativePath('C:\\ws', 'D:\\ws\\a.ts', path.win32), null);
    });

    it('keeps names that merely start with two dots', () => {
      assert.equal(relativePath('/ws', '/ws/..hidden/a.ts', path.posix), '..hidden/a.ts');
    });
  });

  describe('exclusions', () => {
    it('joins the defaults and the enabled patterns of files.exclude and search.exclude into one glob', () => {
      const glob = excludeGlob({ '**/.DS_Store': true, '**/*.log': false, '**/*.js': { when: '$(basename).ts' } }, { '**/coverage': true, '**/.DS_Store': true });
      assert.equal(glob, '{**/node_modules,**/.git,**/out,**/dist,**/.DS_Store,**/coverage}');
    });

    it('leaves out patterns that would break the group', () => {
      assert.equal(excludeGlob({ '**/*.{a,b}': true }), '{**/node_modules,**/.git,**/out,**/dist}');
      assert.equal(excludeGlob(undefined, undefined), '{**/node_modules,**/.git,**/out,**/dist}');
    });

    it('recognizes paths in always-excluded folders', () => {
      assert.ok(isDefaultExcluded('node_modules/x/index.js'));
      assert.ok(isDefaultExcluded('packages/a/dist/a.js'));
      assert.ok(!isDefaultExcluded('src/distance.ts'));
    });
  });

  describe('symbols', () => {
    it('flattens document symbols depth first with lower-case kinds and 1-based lines of the name', () => {
      const symbols: SymbolLike[] = [{
        name: 'AuthService', kind: k('class'), range: at(9), selectionRange: at(10),
        children: [
          { name: 'login', kind: k('method'), range: at(12), selectionRange: at(12), children: [{ name: 'token', kind: k('variable'), range: at(13) }] },
          { name: 'constructor', kind: k('constructor'), range: at(11) },
        ],
      }, { name: 'parseConfig', kind: k('function'), range: at(40), selectionRange: at(41) }];
      assert.deepEqual(flattenSymbols(symbols, 'src/auth.ts', kindName), [
        { name: 'AuthService', kind: 'class', path: 'src/auth.ts', line: 11 },
        { name: 'login', kind: 'method', path: 'src/auth.ts', line: 13 },
        { name: 'token', kind: 'variable', path: 'src/auth.ts', line: 14 },
        { name: 'constructor', kind: 'constructor', path: 'src/auth.ts', line: 12 },
        { name: 'parseConfig', kind: 'function', path: 'src/auth.ts', line: 42 },
      ]);
    });

    it('leaves out nameless symbols and kinds that name no code (JSON keys, Markdown headings)', () => {
      const symbols: SymbolLike[] = [
        { name: 'name', kind: k('string'), range: at(1) },
        { name: 'scripts', kind: k('module'), range: at(2), children: [{ name: 'test', kind: k('key'), range: at(3) }] },
        { name: '  ', kind: k('function'), range: at(4) },
        { name: 'T', kind: k('typeParameter'), range: at(5) },
      ];
      assert.deepEqual(flattenSymbols(symbols, 'package.json', kindName), [{ name: 'scripts', kind: 'module', path: 'package.json', line: 3 }]);
      assert.deepEqual(flattenSymbols(undefined, 'x.ts', kindName), []);
    });

    it('reads SymbolInformation (the older shape) through its location', () => {
      const info: SymbolLike = { name: 'Config', kind: k('interface'), location: { uri: { fsPath: '/ws/src/config.ts', scheme: 'file' }, range: at(4) } };
      assert.deepEqual(flattenSymbols([info], 'src/config.ts', kindName), [{ name: 'Config', kind: 'interface', path: 'src/config.ts', line: 5 }]);
    });

    it('drops the parentheses some providers put after function names, so both providers\' entries are one', () => {
      const fromDocument = flattenSymbols([{ name: 'login', kind: k('method'), range: at(1) }], 'a.ts', kindName);
      const fromWorkspace = workspaceSymbols([{ name: 'login()', kind: k('method'), location: { uri: { fsPath: '/ws/a.ts', scheme: 'file' }, range: at(1) } }], LOCAL_WS, kindName, path.posix);
      assert.deepEqual(boundIndex('/ws', [], [...fromDocument, ...fromWorkspace]).symbols, [{ name: 'login', kind: 'method', path: 'a.ts', line: 2 }]);
    });

    it('takes workspace symbols inside the root only, relative to it', () => {
      const symbols: SymbolLike[] = [
        { name: 'main', kind: k('function'), location: { uri: { fsPath: '/ws/src/main.ts', scheme: 'file' }, range: at(0) } },
        { name: 'lib', kind: k('function'), location: { uri: { fsPath: '/usr/lib/x.d.ts', scheme: 'file' }, range: at(0) } },
        { name: 'dep', kind: k('function'), location: { uri: { fsPath: '/ws/node_modules/dep/index.d.ts', scheme: 'file' }, range: at(0) } },
        { name: 'remote', kind: k('function'), location: { uri: { fsPath: '/ws/a.ts', scheme: 'vscode-vfs' }, range: at(0) } },
      ];
      assert.deepEqual(workspaceSymbols(symbols, LOCAL_WS, kindName, path.posix), [{ name: 'main', kind: 'function', path: 'src/main.ts', line: 1 }]);
    });
  });

  describe('bounds', () => {
    const sym = (name: string, kind: string, line = 1, p = 'a.ts'): WorkspaceSymbolInfo => ({ name, kind, path: p, line });

    it('deduplicates and sorts files, and keeps at most the maximum', () => {
      const index = boundIndex('/ws', ['b.ts', 'a.ts', 'b.ts', 'c/d.ts'], [], 2, 10);
      assert.deepEqual(index, { root: '/ws', files: ['a.ts', 'b.ts'], symbols: [] });
    });

    it('deduplicates symbols (an open document and the workspace provider give the same one) and keeps their order', () => {
      const index = boundIndex('/ws', [], [sym('x', 'function'), sym('y', 'class'), sym('x', 'function'), sym('x', 'function', 2)]);
      assert.deepEqual(index.symbols, [sym('x', 'function'), sym('y', 'class'), sym('x', 'function', 2)]);
    });

    it('keeps types and functions before variables when symbols must go', () => {
      const symbols = [sym('v1', 'variable', 1), sym('f', 'function', 2), sym('p', 'property', 3), sym('C', 'class', 4), sym('v2', 'variable', 5)];
      assert.deepEqual(boundIndex('/ws', [], symbols, 10, 3).symbols.map((s) => s.name), ['f', 'p', 'C']);
      assert.deepEqual(boundIndex('/ws', [], symbols, 10, 0).symbols, []);
    });
  });
});

describe('editor activity location', () => {
  const sel = (sl: number, sc: number, el: number, ec: number) => ({ start: { line: sl, character: sc }, end: { line: el, character: ec } });

  it('is the workspace-relative path with 1-based inclusive lines', () => {
    assert.deepEqual(editorLocation('/ws', '/ws/src/auth.ts', sel(9, 4, 13, 2)), { path: 'src/auth.ts', startLine: 10, endLine: 14 });
    assert.deepEqual(editorLocation('/ws', '/ws/src/auth.ts', sel(9, 4, 9, 4)), { path: 'src/auth.ts', startLine: 10, endLine: 10 });
  });

  it('does not count the line a whole-line selection ends at', () => {
    assert.deepEqual(editorLocation('/ws', '/ws/a.ts', sel(4, 0, 6, 0)), { path: 'a.ts', startLine: 5, endLine: 6 });
    assert.deepEqual(editorLocation('/ws', '/ws/a.ts', sel(6, 0, 4, 0)), { path: 'a.ts', startLine: 5, endLine: 6 }, 'a selection made upwards');
  });

  it('is null outside the workspace or without one', () => {
    assert.equal(editorLocation('/ws', '/tmp/notes.txt', sel(0, 0, 0, 0)), null);
    // Earshot's own notes (opened when a session ends) are not what the next meeting looks at.
    assert.equal(editorLocation('/ws', '/ws/.earshot/notes/2030-01-01-standup.md', sel(0, 0, 0, 0), '/ws/.earshot/notes'), null);
    assert.deepEqual(editorLocation('/ws', '/ws/.earshot/notes-draft.md', sel(0, 0, 0, 0), '/ws/.earshot/notes'), { path: '.earshot/notes-draft.md', startLine: 1, endLine: 1 });
    assert.equal(editorLocation(undefined, '/ws/a.ts', sel(0, 0, 0, 0)), null);
    assert.equal(editorLocation('/ws', undefined, sel(0, 0, 0, 0)), null);
  });
});

describe('workspace index of a remote window\'s folder (vscode-remote://…)', () => {
  type Uri = UriLike & { toString(): string };
  const Uri = vscodeStub.Uri as unknown as { file(p: string): Uri; parse(s: string): Uri };
  const stub = vscodeStub as unknown as { workspace: Record<string, unknown>; commands: Record<string, unknown> };
  const REMOTE = 'vscode-remote://wsl+ubuntu/home/me/shop';
  const remote = (rel: string) => Uri.parse(`${REMOTE}/${rel}`);
  /** Global storage on this computer: the daemon writes the remote folder's notes under it (remote/remoteNotes.ts). */
  const context = { globalStorageUri: { fsPath: '/home/me/.config/Code/User/globalStorage/earshot.earshot' } };
  const CONFIG_SYMBOLS: SymbolLike[] = [{ name: 'parseConfig', kind: k('function'), range: at(39), selectionRange: at(39) }];

  const saved = { ...stub.workspace };
  const savedCommands = { ...stub.commands };
  let warnings: string[];
  let sent: WorkspaceIndexParams[];
  let indexer: WorkspaceIndexer | undefined;
  let search: { base: unknown; exclude: unknown; max: unknown; token: { isCancellationRequested: boolean } } | undefined;
  let symbolsAskedFor: string[];

  /** The indexer as activate() builds it (a remote folder's root from the settings), over a fake daemon client. */
  const start = (options: { fileSearchTimeoutMs?: number } = {}) => new WorkspaceIndexer(
    { sendWorkspaceIndex: async (p: WorkspaceIndexParams) => { sent.push(p); }, onDaemonStart: () => ({ dispose() {} }) } as never,
    { warn: (m: string) => warnings.push(m), debug: () => undefined } as never,
    { mirroredFolder: () => EarshotSettings.read().remoteNotes(context as never)?.localFolder, ...options },
  );

  /** A window whose first folder is `folder`, with these files, open documents and workspace symbols. */
  function windowOn(folder: Uri, files: Uri[], open: Uri[], workspaceSymbolInfo: SymbolLike[]): void {
    const event = () => ({ dispose() {} });
    Object.assign(stub.workspace, {
      workspaceFolders: [{ uri: folder, name: 'shop', index: 0 }],
      isTrusted: true,
      getConfiguration: () => ({ get: (_key: string, fallback?: unknown) => fallback }),
      onDidChangeWorkspaceFolders: event, onDidOpenTextDocument: event, onDidSaveTextDocument: event,
      onDidChangeConfiguration: event, onDidGrantWorkspaceTrust: event,
      createFileSystemWatcher: () => ({ onDidCreate: event, onDidDelete: event, dispose() {} }),
      findFiles: async (pattern: { base: unknown }, exclude: unknown, max: unknown, token: { isCancellationRequested: boolean }) => {
        search = { base: pattern.base, exclude, max, token };
        return files;
      },
      textDocuments: open.map((uri) => ({ uri, isClosed: false })),
    });
    stub.commands.executeCommand = async (command: string, arg: unknown) => {
      if (command === 'vscode.executeWorkspaceSymbolProvider') return workspaceSymbolInfo;
      const uri = String(arg);
      symbolsAskedFor.push(uri);
      return uri.endsWith('/src/config.ts') ? CONFIG_SYMBOLS : [];
    };
  }

  beforeEach(() => {
    warnings = [];
    sent = [];
    search = undefined;
    symbolsAskedFor = [];
  });
  afterEach(() => {
    indexer?.dispose();
    indexer = undefined;
    for (const key of Object.keys(stub.workspace)) if (!(key in saved)) delete stub.workspace[key];
    Object.assign(stub.workspace, saved);
    for (const key of Object.keys(stub.commands)) if (!(key in savedCommands)) delete stub.commands[key];
  });

  it('places URIs by scheme, authority and path: a remote fsPath has lost its machine', () => {
    const folder = Uri.parse(REMOTE);
    assert.equal(folder.fsPath, '/home/me/shop', 'the stub computes fsPath as VS Code does');
    assert.equal(folderRelativePath(folder, remote('src/auth.ts')), 'src/auth.ts');
    assert.equal(folderRelativePath(folder, Uri.parse('vscode-remote://WSL+Ubuntu/home/me/shop/a.ts')), 'a.ts', 'authorities ignore case');
    assert.equal(folderRelativePath(folder, Uri.parse('vscode-remote://ssh-remote+build/home/me/shop/a.ts')), null, 'another machine');
    assert.equal(folderRelativePath(folder, Uri.file('/home/me/shop/a.ts')), null, 'this computer\'s file of the same path');
    assert.equal(folderRelativePath(folder, Uri.parse('git:/home/me/shop/a.ts')), null);
    assert.equal(folderRelativePath(folder, remote('')), null, 'the folder itself');
    assert.equal(folderRelativePath(LOCAL_WS, { fsPath: '/ws/src/a.ts' }, path.posix), 'src/a.ts', 'no scheme: a file, as before');
  });

  it('roots a remote folder where its notes are written; without that copy, at its URI (no path: no links)', () => {
    const folder = Uri.parse(REMOTE);
    assert.equal(indexRoot(Uri.file('/home/me/shop'), '/elsewhere'), '/home/me/shop');
    assert.equal(indexRoot(folder, '/storage/remote-notes/wsl_ubuntu-shop-0123'), '/storage/remote-notes/wsl_ubuntu-shop-0123');
    assert.equal(indexRoot(folder, undefined), REMOTE);
    stub.workspace.workspaceFolders = [{ uri: folder }];
    stub.workspace.isTrusted = true;
    const target = EarshotSettings.read().remoteNotes(context as never)!;
    assert.equal(path.join(target.localFolder, '.earshot', 'notes'), target.localDir);
  });

  it('sends the folder\'s files and symbols; the daemon matches "auth dot ts" and parseConfig, and the links open the remote files', async () => {
    const folder = Uri.parse(REMOTE);
    windowOn(folder, [remote('src/auth.ts'), remote('src/config.ts'), remote('README.md')],
      [remote('src/config.ts'), Uri.parse('git:/home/me/shop/src/config.ts'), Uri.file('/home/me/shop/src/auth.ts'), remote('node_modules/x/index.d.ts')],
      [
        { name: 'login', kind: k('method'), location: { uri: remote('src/auth.ts'), range: at(9) } },
        { name: 'elsewhere', kind: k('function'), location: { uri: Uri.parse('vscode-remote://ssh-remote+build/home/me/shop/src/b.ts'), range: at(0) } },
        { name: 'local', kind: k('function'), location: { uri: Uri.file('/home/me/shop/src/c.ts'), range: at(0) } },
      ]);
    indexer = start();
    const index = await indexer.refresh();
    assert.ok(index, `nothing was sent (warnings: ${warnings.join('; ')})`);
    assert.deepEqual(sent, [index]);
    assert.equal(search?.base, (stub.workspace.workspaceFolders as { uri: Uri }[])[0], 'findFiles searched the folder itself (a RelativePattern on it)');
    assert.equal(search?.max, 20_000);
    assert.deepEqual(index.files, ['README.md', 'src/auth.ts', 'src/config.ts']);
    assert.deepEqual(symbolsAskedFor, [`${REMOTE}/src/config.ts`], 'only the folder\'s open documents (not git:, not this computer\'s, not node_modules)');
    assert.deepEqual(index.symbols, [
      { name: 'parseConfig', kind: 'function', path: 'src/config.ts', line: 40 },
      { name: 'login', kind: 'method', path: 'src/auth.ts', line: 10 },
    ]);
    const target = EarshotSettings.read().remoteNotes(context as never)!;
    assert.equal(index.root, target.localFolder);

    // The daemon's side: the index built as the service builds it, a final's mentions, and the notes it renders.
    const holder = new WorkspaceIndexHolder(0);
    holder.set(index);
    await holder.whenBuilt();
    const text = 'Alice will fix auth dot ts and the parse config function.';
    const mentions = segmentMentions(text, holder.current!.index);
    assert.deepEqual(mentions.map((m) => [text.slice(m.start, m.end), m.target.path]), [['auth dot ts', 'src/auth.ts'], ['parse config', 'src/config.ts']]);
    const notesName = '2025-03-05-0900-review.md';
    const header = {
      type: 'session' as const, version: 1, sessionId: 's-1', title: 'Review', startedAt: '2025-03-05T09:00:00.000Z',
      sources: ['mic' as const], language: 'en', notesPath: path.join(target.localDir, notesName),
    };
    const records: JournalRecord[] = [header, { type: 'workspace', root: holder.current!.root },
      { type: 'segment', segmentId: 'm-1', source: 'mic', speaker: 'You', t0: 1, t1: 3, text, mentions }];
    const md = renderNotes({ header, records, tornTail: false });
    const links = [...md.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]);
    assert.deepEqual(links, ['../../src/auth.ts', '../../src/config.ts#L40'], md);
    // The mirror copies the notes into the workspace's notes folder; from there the links reach the remote files.
    const remoteNotes = `${target.remoteDir.toString()}/${notesName}`;
    assert.deepEqual(links.map((l) => new URL(l, remoteNotes).href), [`${REMOTE}/src/auth.ts`, `${REMOTE}/src/config.ts#L40`]);

    // The panel opens a mention through the folder's URI (vscode.workspace.fs on the remote side).
    stub.workspace.fs = { stat: async (uri: Uri) => { if (!index.files.some((f) => `${REMOTE}/${f}` === uri.toString())) throw new Error('FileNotFound'); return {}; } };
    assert.equal((await resolveWorkspaceFile('src/auth.ts'))?.toString(), `${REMOTE}/src/auth.ts`);
  });

  it('a remote folder whose notes stay on this computer (untrusted): the index still goes, rooted at the folder\'s URI', async () => {
    windowOn(Uri.parse(REMOTE), [remote('src/auth.ts')], [], []);
    stub.workspace.isTrusted = false;
    indexer = start();
    const index = await indexer.refresh();
    assert.deepEqual(index && { root: index.root, files: index.files }, { root: REMOTE, files: ['src/auth.ts'] });
  });

  it('a local folder is indexed as before: rooted at its path, from its file URIs', async () => {
    const folder = Uri.file('/home/me/shop');
    windowOn(folder, [Uri.file('/home/me/shop/src/auth.ts'), Uri.file('/home/me/shop/src/config.ts')], [Uri.file('/home/me/shop/src/config.ts')], []);
    indexer = start();
    const index = await indexer.refresh();
    assert.deepEqual(index, {
      root: '/home/me/shop', files: ['src/auth.ts', 'src/config.ts'], symbols: [{ name: 'parseConfig', kind: 'function', path: 'src/config.ts', line: 40 }],
    });
    assert.equal(search?.exclude, '{**/node_modules,**/.git,**/out,**/dist}');
  });

  it('what the user looks at in the remote folder is a location too, except the notes copied into it', () => {
    const folder = Uri.parse(REMOTE);
    const window = vscodeStub.window as { activeTextEditor?: unknown };
    const selection = { start: { line: 9, character: 0 }, end: { line: 13, character: 2 } };
    stub.workspace.workspaceFolders = [{ uri: folder }];
    stub.workspace.isTrusted = true;
    const notesDir = EarshotSettings.read().remoteNotes(context as never)!.remoteDir;
    try {
      window.activeTextEditor = { document: { uri: remote('src/auth.ts') }, selection };
      assert.deepEqual(EditorActivityReporter.current(notesDir), { path: 'src/auth.ts', startLine: 10, endLine: 14 });
      window.activeTextEditor = { document: { uri: remote('.earshot/notes/2025-03-05-0900-review.md') }, selection };
      assert.equal(EditorActivityReporter.current(notesDir), null, 'Earshot\'s own notes');
      window.activeTextEditor = { document: { uri: Uri.file('/home/me/shop/src/auth.ts') }, selection };
      assert.equal(EditorActivityReporter.current(notesDir), null, 'a file on this computer is not in the remote folder');
    } finally {
      delete window.activeTextEditor;
    }
  });

  it('a file search that never answers (the remote side not connected) is cancelled at its bound and said in the log', async () => {
    windowOn(Uri.parse(REMOTE), [], [], []);
    let cancelled: { isCancellationRequested: boolean } | undefined;
    stub.workspace.findFiles = (_p: unknown, _e: unknown, _m: unknown, token: { isCancellationRequested: boolean }) => {
      cancelled = token;
      return new Promise(() => undefined);
    };
    indexer = start({ fileSearchTimeoutMs: 50 });
    assert.equal(await indexer.refresh(), undefined);
    assert.deepEqual(sent, []);
    assert.equal(cancelled?.isCancellationRequested, true);
    assert.match(warnings.join('\n'), /workspace index: the file search of vscode-remote:\/\/wsl\+ubuntu\/home\/me\/shop did not answer in 0.05 s/);
  });
});
