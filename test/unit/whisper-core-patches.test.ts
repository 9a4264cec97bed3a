/**
 * scripts/whisper-core/PATCHES.md lists every hunk of binding.patch and whisper.patch with its reason, what needs it
 * and upstream's status. This keeps the table from drifting from the patches: each hunk (its file and its @@ numbers,
 * the patches being `diff -ruN` output without function names) has exactly one row, no row names a hunk that is gone,
 * every test and BENCHMARKS.md section a row cites still exists, and the summary's counts are the table's. The sections
 * named in «» are the history's: since issue 59 it lives in docs/benchmarks/, one file per topic, and BENCHMARKS.md
 * holds the current figures, so a section may be in either.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../setup';

const CORE_DIR = path.join(REPO_ROOT, 'scripts', 'whisper-core');
const PATCH_FILES = ['binding.patch', 'whisper.patch'] as const;
const STATUSES = ['merged', 'open PR', 'ours alone'] as const;

/** A hunk's id: the file it changes and its @@ numbers, e.g. `model.cc -78,31 +159,35`. */
function hunkIds(patchText: string): string[] {
  const ids: string[] = [];
  let file: string | null = null;
  for (const line of patchText.split('\n')) {
    const target = /^\+\+\+ b\/(\S+)/.exec(line);
    if (target) file = target[1];
    const hunk = /^@@ -(\d+),(\d+) \+(\d+),(\d+) @@/.exec(line);
    if (hunk) {
      assert.ok(file, `a hunk before any +++ line: ${line}`);
      ids.push(`${file} -${hunk[1]},${hunk[2]} +${hunk[3]},${hunk[4]}`);
    }
  }
  return ids;
}

interface Row { id: string; cells: string[]; section: string }

/** The table rows of PATCHES.md under each `## <name>.patch` heading. */
function tableRows(markdown: string): Row[] {
  const rows: Row[] = [];
  let section = '';
  for (const line of markdown.split('\n')) {
    const heading = /^## (\S+\.patch)\b/.exec(line);
    if (heading) section = heading[1];
    else if (/^## /.test(line)) section = '';
    const first = /^\| `([^`]+)` \|/.exec(line);
    if (!first) continue;
    const cells = line.slice(1, line.endsWith('|') ? -1 : undefined).split(' | ').map((c) => c.trim());
    rows.push({ id: first[1], cells, section });
  }
  return rows;
}

describe('whisper core patches: PATCHES.md', () => {
  const markdown = fs.readFileSync(path.join(CORE_DIR, 'PATCHES.md'), 'utf8');
  const rows = tableRows(markdown);
  const hunks = Object.fromEntries(PATCH_FILES.map((p) => [p, hunkIds(fs.readFileSync(path.join(CORE_DIR, p), 'utf8'))]));
  const allIds = new Set(Object.values(hunks).flat());

  it('parses hunks from both patches (the check below cannot pass on nothing)', () => {
    assert.ok(hunks['binding.patch'].length > 10, JSON.stringify(hunks['binding.patch']));
    assert.ok(hunks['whisper.patch'].length > 10, JSON.stringify(hunks['whisper.patch']));
    assert.equal(allIds.size, hunks['binding.patch'].length + hunks['whisper.patch'].length, 'hunk ids are unique');
  });

  for (const patch of PATCH_FILES) {
    it(`lists every hunk of ${patch} exactly once, and no hunk that is not in it`, () => {
      const listed = rows.filter((r) => r.section === patch).map((r) => r.id);
      const missing = hunks[patch].filter((id) => !listed.includes(id));
      const stale = listed.filter((id) => !hunks[patch].includes(id));
      const twice = listed.filter((id, i) => listed.indexOf(id) !== i);
      assert.deepEqual({ missing, stale, twice }, { missing: [], stale: [], twice: [] });
    });
  }

  it('gives each row an area, a reason, what needs it, and an upstream status with a link', () => {
    for (const { id, cells } of rows) {
      assert.equal(cells.length, 5, `${id}: 5 columns, got ${cells.length}`);
      const [, area, reason, neededBy, upstream] = cells;
      assert.ok(area.length > 3 && reason.length > 20, `${id}: area and reason`);
      const cites = /`test\/[^`]+\.test\.ts`|BENCHMARKS\.md «|\bbuild\b|\bno test\b|`[^`]+ -\d+,\d+ \+\d+,\d+`/;
      assert.match(neededBy, cites, `${id}: names a test, a figure, the build, another hunk, or says "no test"`);
      assert.ok(STATUSES.some((s) => upstream.startsWith(`**${s}`)), `${id}: status is one of ${STATUSES.join(', ')}: ${upstream}`);
      assert.match(upstream, /\]\(https:\/\/github\.com\//, `${id}: upstream status links to what was checked`);
    }
  });

  it('cites tests by file and a part of their title that still exist, BENCHMARKS.md sections that still exist, and hunks that still exist', () => {
    const historyDir = path.join(REPO_ROOT, 'docs', 'benchmarks');
    const histories = fs.readdirSync(historyDir).filter((f) => f.endsWith('.md')).map((f) => path.join(historyDir, f));
    assert.ok(histories.length > 1, `docs/benchmarks/ holds the history: ${histories.length} files`);
    // Headings only: the history's index (docs/benchmarks/README.md) repeats every title as a link.
    const headings = [path.join(REPO_ROOT, 'BENCHMARKS.md'), ...histories]
      .flatMap((f) => fs.readFileSync(f, 'utf8').split('\n'))
      .filter((l) => /^#{1,6} /.test(l));
    let testsCited = 0;
    for (const { id, cells } of rows) {
      const text = cells.slice(1).join(' | ');
      for (const [, file, title] of text.matchAll(/`(test\/[^`]+\.test\.ts)` "([^"]+)"/g)) {
        const source = path.join(REPO_ROOT, file);
        assert.ok(fs.existsSync(source), `${id}: ${file} exists`);
        const titled = fs.readFileSync(source, 'utf8').split('\n').some((l) => /\bit\(/.test(l) && l.includes(title));
        assert.ok(titled, `${id}: ${file} has a test titled with "${title}"`);
        testsCited++;
      }
      for (const [, section] of text.matchAll(/BENCHMARKS\.md «([^»]+)»/g)) {
        assert.ok(headings.some((h) => h.includes(section)), `${id}: BENCHMARKS.md or docs/benchmarks/ has a section «${section}»`);
      }
      for (const [, other] of text.matchAll(/`([^`\s]+ -\d+,\d+ \+\d+,\d+)`/g)) {
        assert.ok(allIds.has(other), `${id}: cites hunk ${other}, which is in neither patch`);
      }
    }
    assert.ok(testsCited > 20, `tests cited: ${testsCited}`);
  });

  it("the summary's counts are the table's", () => {
    const count = (status: string) => rows.filter((r) => r.cells[4]?.startsWith(`**${status}`)).length;
    const summary = markdown.slice(markdown.indexOf('## Summary'));
    assert.match(summary, new RegExp(`\\*\\*${rows.length} hunks\\*\\*: ${hunks['binding.patch'].length} in binding\\.patch and ${hunks['whisper.patch'].length} in whisper\\.patch`));
    assert.match(summary, new RegExp(`merged: ${count('merged')}\\.`));
    assert.match(summary, new RegExp(`open pull request: ${count('open PR')} hunks`));
    assert.match(summary, new RegExp(`ours alone: ${count('ours alone')}\\.`));
  });
});
