/**
 * BENCHMARKS.md opens with one table of the current figures; the history behind each row lives in docs/benchmarks/
 * (issue 59). This keeps the table usable as the figures change: it is the file's first section, every row fills every
 * column, every Details link lands on a heading that exists (as GitHub makes heading anchors), and every Command is
 * one a contributor can run (an npm script that exists, a node script whose source exists, or a test file that exists).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../setup';
import { anchors } from '../support/markdownAnchors';

const COLUMNS = ['Figure', 'Value', 'Anchor / goal', 'Command', 'Date, machine', 'Details'];
const HISTORY_DIR = path.join(REPO_ROOT, 'docs', 'benchmarks');

/** A table row's cells: split at `|` outside code spans (a command may hold one). */
function cells(row: string): string[] {
  const out: string[] = [];
  let cell = '';
  let code = false;
  for (const ch of row.trim().replace(/^\|/, '').replace(/\|$/, '')) {
    if (ch === '`') code = !code;
    if (ch === '|' && !code) {
      out.push(cell.trim());
      cell = '';
    } else cell += ch;
  }
  out.push(cell.trim());
  return out;
}

/** What a Command cell runs is findable: an npm script, a node script (its TypeScript source for out/), a test file. */
function commandProblem(cell: string, scripts: Record<string, string>): string | null {
  const first = /`([^`]+)`/.exec(cell);
  if (!first) return 'no command in backticks';
  const command = first[1].replace(/^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+/, '');
  const testFile = /\b(?:out\/)?(test\/\S+\.test)\.(?:js|ts)\b/.exec(command);
  if (testFile) {
    return fs.existsSync(path.join(REPO_ROOT, `${testFile[1]}.ts`)) ? null : `${testFile[1]}.ts does not exist`;
  }
  const npm = /^npm run (\S+)/.exec(command);
  if (npm) return npm[1] in scripts ? null : `no npm script "${npm[1]}"`;
  const node = /^node (\S+)/.exec(command);
  if (node) {
    const file = node[1];
    const source = file.startsWith('out/') ? file.replace(/^out\//, '').replace(/\.js$/, '.ts') : file;
    return fs.existsSync(path.join(REPO_ROOT, source)) ? null : `${source} does not exist`;
  }
  return `"${command}" starts with neither npm run nor node and names no test file`;
}

describe('BENCHMARKS.md: the table of current figures', () => {
  const text = fs.readFileSync(path.join(REPO_ROOT, 'BENCHMARKS.md'), 'utf8');
  const lines = text.split('\n');
  const scripts = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const headingAt = lines.findIndex((l) => /^## /.test(l));
  const tableAt = lines.findIndex((l, i) => i > headingAt && l.trim() !== '');
  const table: string[] = [];
  for (let i = tableAt; i < lines.length && lines[i].startsWith('|'); i++) table.push(lines[i]);
  const rows = table.slice(2).map(cells);
  const histories = new Map<string, Set<string>>();
  const anchorsOf = (file: string): Set<string> | undefined => {
    const full = path.join(HISTORY_DIR, file);
    if (!histories.has(file) && fs.existsSync(full)) histories.set(file, anchors(fs.readFileSync(full, 'utf8')));
    return histories.get(file);
  };

  it('is the first section, with the agreed columns', () => {
    assert.equal(lines[headingAt], '## Current figures', 'the first ## heading is the table of current figures');
    assert.deepEqual(cells(table[0] ?? ''), COLUMNS);
    assert.match(table[1] ?? '', /^\|(?:\s*:?-{3,}:?\s*\|){6}$/, 'a separator row under the header');
    assert.ok(rows.length >= 20, `rows: ${rows.length}`);
  });

  it('fills every column of every row', () => {
    for (const row of rows) {
      assert.equal(row.length, COLUMNS.length, `${row[0]}: ${row.length} cells`);
      row.forEach((cell, i) => assert.ok(cell.length > 0, `${row[0]}: ${COLUMNS[i]} is empty`));
    }
  });

  it('links every row to a heading of docs/benchmarks/ that exists', () => {
    for (const row of rows) {
      const links = [...row[5].matchAll(/\]\(docs\/benchmarks\/([^)#]+\.md)#([^)]+)\)/g)];
      assert.ok(links.length > 0, `${row[0]}: Details links to a section of docs/benchmarks/`);
      for (const [, file, anchor] of links) {
        const found = anchorsOf(file);
        assert.ok(found, `${row[0]}: docs/benchmarks/${file} exists`);
        assert.ok(found.has(anchor), `${row[0]}: docs/benchmarks/${file} has a heading whose anchor is #${anchor}`);
      }
    }
  });

  it('gives each row a command that exists: npm run, node, or a test file', () => {
    const problems = rows.map((row) => [row[0], commandProblem(row[3], scripts)]).filter(([, p]) => p);
    assert.deepEqual(problems, []);
  });

  it('defines every footnote the table uses', () => {
    for (const [, note] of table.join('\n').matchAll(/\[\^([^\]]+)\]/g)) {
      assert.ok(lines.some((l) => l.startsWith(`[^${note}]: `)), `footnote [^${note}] is defined`);
    }
  });

  it('links only to files and headings that exist, here and in docs/benchmarks/README.md', () => {
    const index = fs.readFileSync(path.join(HISTORY_DIR, 'README.md'), 'utf8');
    const checked: string[] = [];
    for (const [source, markdown, prefix] of [['BENCHMARKS.md', text, 'docs/benchmarks/'], ['README.md', index, '']] as const) {
      for (const [, target] of markdown.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^https?:/.test(target) || !target.startsWith(prefix)) continue;
        const [file, anchor] = target.slice(prefix.length).split('#');
        if (!file.endsWith('.md') || file.includes('/')) continue;
        assert.ok(fs.existsSync(path.join(HISTORY_DIR, file)), `${source}: ${target} exists`);
        if (anchor) assert.ok(anchorsOf(file)?.has(anchor), `${source}: ${target} is a heading`);
        checked.push(target);
      }
    }
    assert.ok(checked.length > 60, `links checked: ${checked.length}`);
  });
});
