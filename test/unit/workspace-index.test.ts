/** The pure parts of the workspace index and of editor activity: paths, exclusions, symbol flattening, bounds. */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import './vscode-stub';
import {
  boundIndex, excludeGlob, flattenSymbols, isDefaultExcluded, relativePath, SymbolLike, workspaceSymbols,
} from '../../extension/workspace/workspaceIndex';
import { editorLocation } from '../../extension/workspace/activity';
import { WorkspaceSymbolInfo } from '../../protocol/protocol';

const KINDS = ['file', 'module', 'namespace', 'package', 'class', 'method', 'property', 'field', 'constructor', 'enum', 'interface',
  'function', 'variable', 'constant', 'string', 'number', 'boolean', 'array', 'object', 'key', 'null', 'enumMember', 'struct', 'event',
  'operator', 'typeParameter'];
const kindName = (kind: number) => KINDS[kind];
const k = (name: string) => KINDS.indexOf(name);
const at = (line: number) => ({ start: { line } });

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
      const fromWorkspace = workspaceSymbols([{ name: 'login()', kind: k('method'), location: { uri: { fsPath: '/ws/a.ts', scheme: 'file' }, range: at(1) } }], '/ws', kindName, path.posix);
      assert.deepEqual(boundIndex('/ws', [], [...fromDocument, ...fromWorkspace]).symbols, [{ name: 'login', kind: 'method', path: 'a.ts', line: 2 }]);
    });

    it('takes workspace symbols inside the root only, relative to it', () => {
      const symbols: SymbolLike[] = [
        { name: 'main', kind: k('function'), location: { uri: { fsPath: '/ws/src/main.ts', scheme: 'file' }, range: at(0) } },
        { name: 'lib', kind: k('function'), location: { uri: { fsPath: '/usr/lib/x.d.ts', scheme: 'file' }, range: at(0) } },
        { name: 'dep', kind: k('function'), location: { uri: { fsPath: '/ws/node_modules/dep/index.d.ts', scheme: 'file' }, range: at(0) } },
        { name: 'remote', kind: k('function'), location: { uri: { fsPath: '/ws/a.ts', scheme: 'vscode-vfs' }, range: at(0) } },
      ];
      assert.deepEqual(workspaceSymbols(symbols, '/ws', kindName, path.posix), [{ name: 'main', kind: 'function', path: 'src/main.ts', line: 1 }]);
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
