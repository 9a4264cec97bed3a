/**
 * The sources import in one direction: no file reaches itself again through its imports (a circle makes load order
 * matter and hides which part is lower), and the daemon's layers named in issue 44 hold — understanding/ works on
 * text and never reaches into the recognizer (asr/), and models/ (catalogs, downloads, the cache, what the machine
 * can run) serves asr/, understanding/ and speakers/ without knowing any of them or anything above. The two processes
 * meet only in protocol/ (issue 59): the extension and its webview import nothing of the daemon, and protocol/, which
 * both load, imports nothing of either side nor the VS Code API.
 */
import * as assert from 'node:assert/strict';
import { REPO_ROOT } from '../setup';
import { buildImportGraph, importCircles, layerDirections, layerOf, packagesImported, type ImportGraph } from '../support/importGraph';

const FOLDERS = ['daemon', 'extension', 'media', 'protocol', 'scripts'];

/** Whether `file` is in `folder`: a layer (daemon/asr, daemon/service) or a whole top folder (extension, protocol). */
function isIn(file: string, folder: string): boolean {
  return layerOf(file) === folder || file.startsWith(`${folder}/`);
}

/** Each import of a file in `from` that lands in one of `forbidden`, as 'file → target'. */
function importsInto(graph: ImportGraph, from: string, forbidden: readonly string[]): string[] {
  const found: string[] = [];
  for (const [file, targets] of graph) {
    if (!isIn(file, from)) continue;
    for (const target of targets) if (forbidden.some((folder) => isIn(target, folder))) found.push(`${file} → ${target}`);
  }
  return found;
}

describe('import graph', () => {
  const graph = buildImportGraph(REPO_ROOT, FOLDERS, ['scripts']);

  it('reads the imports of every folder (.ts, and .js in scripts/)', () => {
    // A scan that found nothing would pass every check below.
    for (const folder of FOLDERS) assert.ok([...graph.keys()].some((file) => file.startsWith(`${folder}/`)), `no sources read under ${folder}/`);
    assert.ok(graph.get('daemon/session/session.ts')?.size, 'session.ts imports were not read');
    assert.ok([...graph.keys()].some((file) => file.startsWith('scripts/') && file.endsWith('.js') && graph.get(file)!.size > 0), 'no require() read in scripts/');
  });

  it('names a circle through every file of it, and none where the imports only go down', () => {
    const made = (edges: Record<string, string[]>): ImportGraph => new Map(Object.entries(edges).map(([file, to]) => [file, new Set(to)]));
    assert.deepEqual(importCircles(made({ 'a.ts': ['b.ts'], 'b.ts': ['c.ts'], 'c.ts': ['a.ts', 'd.ts'], 'd.ts': [], 'e.ts': ['a.ts'] })),
      [{ circle: ['a.ts', 'b.ts', 'c.ts', 'a.ts'], group: ['a.ts', 'b.ts', 'c.ts'] }]);
    assert.deepEqual(importCircles(made({ 'a.ts': ['b.ts', 'c.ts'], 'b.ts': ['c.ts'], 'c.ts': [] })), []);
    assert.deepEqual(importCircles(made({ 'self.ts': ['self.ts'] })), [{ circle: ['self.ts', 'self.ts'], group: ['self.ts'] }]);
  });

  it('has no import circles', () => {
    const circles = importCircles(graph);
    const named = circles.map(({ circle, group }) =>
      circle.join(' → ') + (group.length > circle.length - 1 ? ` (one of the circles among ${group.join(', ')})` : ''));
    assert.deepEqual(named, [], `${circles.length} import circle(s)`);
  });

  it("the daemon's folders import one way: no folder reaches itself again through the others", () => {
    const daemon = new Map([...graph].filter(([file]) => file.startsWith('daemon/')));
    const folders: ImportGraph = new Map();
    for (const [from, into] of layerDirections(daemon)) folders.set(from, into);
    assert.deepEqual(importCircles(folders).map(({ circle }) => circle.join(' → ')), []);
  });

  it('nothing in daemon/understanding imports daemon/asr', () => {
    assert.deepEqual(importsInto(graph, 'daemon/understanding', ['daemon/asr']), []);
  });

  it('daemon/models imports nothing of the recognizer, understanding or anything above them', () => {
    assert.ok([...graph.keys()].some((file) => layerOf(file) === 'daemon/models'), 'no daemon/models folder');
    const above = ['daemon/asr', 'daemon/understanding', 'daemon/speakers', 'daemon/session', 'daemon/service', 'daemon/rpc', 'daemon/cli'];
    assert.deepEqual(importsInto(graph, 'daemon/models', above), []);
  });

  it('extension/ imports nothing of daemon/: what both sides share is in protocol/', () => {
    assert.ok(importsInto(graph, 'extension', ['protocol']).length > 0, 'no import of protocol/ read in extension/');
    assert.deepEqual(importsInto(graph, 'extension', ['daemon']), []);
  });

  it('the webview (media/) imports nothing of daemon/ or extension/', () => {
    assert.ok(importsInto(graph, 'media', ['protocol']).length > 0, 'no import of protocol/ read in media/');
    assert.deepEqual(importsInto(graph, 'media', ['daemon', 'extension']), []);
  });

  it('protocol/, loaded by both processes, imports nothing of daemon/, extension/, media/ or scripts/, nor the VS Code API', () => {
    const protocol = [...graph.keys()].filter((file) => isIn(file, 'protocol'));
    assert.ok(protocol.some((file) => graph.get(file)!.size > 0), 'no import read in protocol/');
    assert.deepEqual(importsInto(graph, 'protocol', ['daemon', 'extension', 'media', 'scripts']), []);
    // The daemon has no `vscode` module: a protocol/ file that imported it would fail to load there.
    const vscode = protocol.flatMap((file) => packagesImported(REPO_ROOT, file).filter((name) => name === 'vscode').map(() => `${file} → vscode`));
    assert.ok(packagesImported(REPO_ROOT, 'protocol/protocol.ts').includes('vscode-languageserver-protocol'), 'no package import read in protocol/protocol.ts');
    assert.deepEqual(vscode, []);
  });
});
