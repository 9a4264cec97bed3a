/**
 * The import graph of the sources, read with the TypeScript compiler's own pre-processor (ts.preProcessFile): every
 * `import`, `export … from`, `import()` and `require()` whose specifier is relative and lands on a scanned file. Lazy
 * requires inside functions count too: a circle hidden behind one is still a circle.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

/** File → the files it imports, both as paths relative to the repository root with '/' separators. */
export type ImportGraph = Map<string, Set<string>>;

/** Source files under `folders` (relative to `root`): .ts everywhere (no .d.ts), .js too where `withJs` names the folder. */
function sourceFiles(root: string, folders: readonly string[], withJs: ReadonlySet<string>): string[] {
  const files: string[] = [];
  const walk = (rel: string, js: boolean): void => {
    for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = `${rel}/${entry.name}`;
      // Links (media/vad, a checkout's node_modules) point outside the sources.
      if (entry.isSymbolicLink() || entry.name === 'node_modules') continue;
      if (entry.isDirectory()) walk(child, js);
      else if ((/\.ts$/.test(entry.name) && !/\.d\.ts$/.test(entry.name)) || (js && /\.js$/.test(entry.name))) files.push(child);
    }
  };
  for (const folder of folders) if (fs.existsSync(path.join(root, folder))) walk(folder, withJs.has(folder));
  return files.sort();
}

/** The scanned file a relative specifier names, as node16 resolution would find it (a .js specifier may name a .ts source). */
function resolveSpecifier(from: string, specifier: string, known: ReadonlySet<string>): string | null {
  if (!specifier.startsWith('.')) return null;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  const stem = base.replace(/\.(js|ts)$/, '');
  for (const candidate of [base, `${base}.ts`, `${base}.js`, `${stem}.ts`, `${stem}.js`, `${base}/index.ts`, `${base}/index.js`]) {
    if (known.has(candidate)) return candidate;
  }
  return null;
}

/** The packages `file` (relative to `root`) imports: each bare specifier's package name (`vscode`, `@scope/name`, `node:fs`). */
export function packagesImported(root: string, file: string): string[] {
  const info = ts.preProcessFile(fs.readFileSync(path.join(root, file), 'utf8'), true, true);
  const names = info.importedFiles.map((ref) => ref.fileName).filter((specifier) => !specifier.startsWith('.'))
    .map((specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/'));
  return [...new Set(names)].sort();
}

export function buildImportGraph(root: string, folders: readonly string[], withJs: readonly string[] = []): ImportGraph {
  const files = sourceFiles(root, folders, new Set(withJs));
  const known = new Set(files);
  const graph: ImportGraph = new Map();
  for (const file of files) {
    const info = ts.preProcessFile(fs.readFileSync(path.join(root, file), 'utf8'), true, true);
    const targets = new Set<string>();
    for (const ref of info.importedFiles) {
      const target = resolveSpecifier(file, ref.fileName, known);
      if (target) targets.add(target);
    }
    graph.set(file, targets);
  }
  return graph;
}

/** One strongly connected group of files: `circle` is a closed path `a → b → … → a` through it, shortest from its first file. */
export interface ImportCircle { circle: string[]; group: string[] }

/** Every import circle, one per strongly connected group of files (Tarjan). */
export function importCircles(graph: ImportGraph): ImportCircle[] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter); low.set(node, counter); counter++;
    stack.push(node); onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) { visit(next); low.set(node, Math.min(low.get(node)!, low.get(next)!)); }
      else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) === index.get(node)) {
      const group: string[] = [];
      let member: string;
      do { member = stack.pop()!; onStack.delete(member); group.push(member); } while (member !== node);
      if (group.length > 1 || graph.get(node)?.has(node)) groups.push(group.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return groups.map((group) => ({ circle: shortestCircle(graph, group[0], new Set(group)), group }));
}

/** The shortest path from `start` back to itself that stays inside `group` (breadth first). */
function shortestCircle(graph: ImportGraph, start: string, group: ReadonlySet<string>): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const next of [...(graph.get(node) ?? [])].sort()) {
      if (!group.has(next)) continue;
      if (next === start) {
        const circle = [start];
        for (let at: string | undefined = node; at !== undefined && at !== start; at = cameFrom.get(at)) circle.splice(1, 0, at);
        return [...circle, start];
      }
      if (!cameFrom.has(next)) { cameFrom.set(next, node); queue.push(next); }
    }
  }
  return [start, start];
}

/** The folder a file belongs to for layering: its first two path parts for a file in a folder (daemon/asr), else the file without extension (daemon/service). */
export function layerOf(file: string): string {
  const parts = file.split('/');
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : file.replace(/\.(ts|js)$/, '');
}

/** Folder → the folders its files import (itself left out). */
export function layerDirections(graph: ImportGraph): Map<string, Set<string>> {
  const directions = new Map<string, Set<string>>();
  for (const [file, targets] of graph) {
    const from = layerOf(file);
    const into = directions.get(from) ?? new Set<string>();
    for (const target of targets) if (layerOf(target) !== from) into.add(layerOf(target));
    directions.set(from, into);
  }
  return directions;
}
