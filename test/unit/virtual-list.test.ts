/**
 * The transcript's virtual list (media/virtualList.ts) and the text runs of a line (media/textRuns.ts): pure modules
 * of the webview, compiled here by the root tsconfig (as CommonJS under out/media) and by media/tsconfig.json (as ES
 * modules under out/webview) from the same source.
 */
import * as assert from 'node:assert/strict';
import { matchesQuery, searchPattern, textRuns, validMentions } from '../../media/textRuns';
import { lowerBound, RowLayout } from '../../media/virtualList';

const keys = (n: number, prefix = 's') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('virtual list windowing', () => {
  it('renders only the rows in and near the viewport of a long transcript', () => {
    const layout = new RowLayout({ estimate: 40, overscan: 200, maxRows: 100 });
    layout.reset(keys(3000));
    assert.equal(layout.totalHeight(), 3000 * 40);
    const w = layout.window(60_000, 600);
    // Viewport rows 1500–1514, plus 200 px (5 rows) above and below.
    assert.equal(w.start, 1495);
    assert.equal(w.end, 1520);
    assert.equal(w.before, 1495 * 40);
    assert.equal(w.after, (3000 - 1520) * 40);
    assert.equal(w.before + (w.end - w.start) * 40 + w.after, w.total);
  });

  it('never renders more than maxRows, keeping the rows in view', () => {
    const layout = new RowLayout({ estimate: 2, overscan: 1000, maxRows: 100 });
    layout.reset(keys(3000));
    const w = layout.window(3000, 100); // 50 rows in view, 500 rows of overscan each side
    assert.ok(w.end - w.start <= 100, `${w.end - w.start} rows`);
    assert.ok(w.start <= 1500 && w.end >= 1550, `[${w.start}, ${w.end}) holds the viewport's rows 1500–1549`);
    const tiny = new RowLayout({ estimate: 1, overscan: 0, maxRows: 10 });
    tiny.reset(keys(100));
    const t = tiny.window(20, 50);
    assert.deepEqual([t.start, t.end], [20, 30], 'more rows in view than the budget: the first ones');
  });

  it('clamps scroll positions past either end', () => {
    const layout = new RowLayout({ estimate: 30, overscan: 0 });
    layout.reset(keys(10));
    assert.deepEqual(layout.window(-50, 90), { start: 0, end: 3, before: 0, after: 210, total: 300 });
    const end = layout.window(10_000, 90);
    assert.equal(end.end, 10);
    assert.equal(end.after, 0);
    assert.equal(end.start, 7);
    assert.deepEqual(new RowLayout().window(0, 500), { start: 0, end: 0, before: 0, after: 0, total: 0 });
  });

  it('uses measured heights, and the measured mean as the estimate for the others', () => {
    const layout = new RowLayout({ estimate: 20, overscan: 0 });
    layout.reset(keys(5));
    assert.equal(layout.setHeightAt(1, 50), true);
    assert.equal(layout.setHeightAt(1, 50), false, 'the same height again changes nothing');
    assert.equal(layout.estimate, 50);
    assert.equal(layout.offsetOf(2), 100);
    layout.setHeightAt(0, 30);
    assert.equal(layout.estimate, 40);
    assert.equal(layout.offsetOf(1), 30);
    assert.equal(layout.offsetOf(2), 80);
    assert.equal(layout.totalHeight(), 30 + 50 + 3 * 40);
    assert.equal(layout.indexAt(79), 1);
    assert.equal(layout.indexAt(80), 2);
    assert.equal(layout.indexAt(1e9), 4);
  });

  it('keeps measured heights by key across filters, and forgets them when the width changes', () => {
    const layout = new RowLayout({ estimate: 20, overscan: 0 });
    layout.reset(['a', 'b', 'c']);
    layout.setHeightAt(1, 60);
    layout.reset(['b', 'c']); // a filter hides 'a'
    assert.equal(layout.heightAt(0), 60);
    assert.equal(layout.isMeasured(1), false);
    layout.clearMeasurements();
    assert.equal(layout.isMeasured(0), false);
    assert.equal(layout.totalHeight(), 2 * layout.estimate);
  });

  it('appends, inserts and removes rows with the offsets kept right', () => {
    const layout = new RowLayout({ estimate: 10, overscan: 0 });
    layout.reset(['a', 'b']);
    layout.setHeightAt(0, 10);
    layout.setHeightAt(1, 10);
    assert.equal(layout.totalHeight(), 20);
    layout.append('c');
    layout.setHeightAt(2, 10);
    assert.equal(layout.totalHeight(), 30);
    layout.insert(1, 'x');
    assert.equal(layout.keyAt(1), 'x');
    assert.equal(layout.offsetOf(2), 20);
    layout.remove(0);
    assert.deepEqual([0, 1, 2].map((i) => layout.keyAt(i)), ['x', 'b', 'c']);
    assert.equal(layout.totalHeight(), 30);
    layout.forget('b');
    assert.equal(layout.isMeasured(1), false);
    assert.equal(layout.count, 3);
  });

  // What stays cheap is counted, not timed (a timed bound fails on a loaded machine; the speed itself is a benchmark's):
  // the row heights the layout reads to compute offsets (RowLayout.computeUpTo reads heightAt for every row whose
  // offset it recomputes). Prefix sums kept valid up to the first changed row read only the new rows per append; a
  // layout that recomputed every offset would read the whole list each time, thousands of rows per append.
  it('stays cheap when finals are appended to a long transcript: the work per append does not grow with the list', () => {
    const layout = new RowLayout({ estimate: 40, overscan: 300 });
    layout.reset(keys(3000));
    for (let i = 0; i < 3000; i++) layout.setHeightAt(i, 40 + (i % 3) * 18);
    let reads = 0;
    const heightAt = layout.heightAt.bind(layout);
    layout.heightAt = (index: number) => { reads++; return heightAt(index); };
    const append = (n: number) => {
      const before = reads;
      for (let i = 0; i < n; i++) {
        layout.append(`n${layout.count}`);
        const w = layout.window(layout.totalHeight() - 600, 600); // following live: the end
        for (let k = w.start; k < w.end; k++) if (!layout.isMeasured(k)) layout.setHeightAt(k, 58); // what the webview measures
      }
      return (reads - before) / n;
    };
    layout.totalHeight();
    const early = append(100); // at 3000 rows
    const late = append(1900); // up to 5000 rows
    assert.ok(early <= 4 && late <= 4, `height reads per append: ${early.toFixed(2)} at 3000 rows, ${late.toFixed(2)} up to 5000`);
    const w = layout.window(layout.totalHeight(), 600);
    assert.equal(w.end, 5000);
    assert.ok(w.end - w.start <= 100);
    // Scrolling without a change reads no height at all: every offset is still valid (a binary search finds the rows).
    const before = reads;
    for (let i = 0; i < 1000; i++) {
      const top = (i * 997) % layout.totalHeight(); // random scrolling
      const r = layout.window(top, 600);
      assert.ok(r.before <= top && r.end - r.start <= 100, `window [${r.start}, ${r.end}) at ${top}`);
    }
    assert.equal(reads - before, 0, 'heights read while scrolling');
  });

  it('finds positions in sorted data (lowerBound)', () => {
    const seqs = [1, 4, 4, 9];
    assert.equal(lowerBound(seqs.length, (i) => seqs[i], 0), 0);
    assert.equal(lowerBound(seqs.length, (i) => seqs[i], 4), 1);
    assert.equal(lowerBound(seqs.length, (i) => seqs[i], 5), 3);
    assert.equal(lowerBound(seqs.length, (i) => seqs[i], 10), 4);
  });
});

describe('transcript text runs (links and search highlights, no markup)', () => {
  const join = (runs: { text: string }[]) => runs.map((r) => r.text).join('');

  it('splits out code links and search matches, case-insensitively', () => {
    const text = 'open auth.ts and check Auth there';
    const runs = textRuns(text, [{ start: 5, end: 12 }], searchPattern('auth'));
    assert.equal(join(runs), text);
    assert.deepEqual(runs, [
      { text: 'open ', match: false, mention: null },
      { text: 'auth', match: true, mention: 0 },
      { text: '.ts', match: false, mention: 0 },
      { text: ' and check ', match: false, mention: null },
      { text: 'Auth', match: true, mention: null },
      { text: ' there', match: false, mention: null },
    ]);
  });

  it('treats the query as literal text, and markup as text', () => {
    const text = 'a <b>bold</b> (maybe) a.*b';
    assert.deepEqual(textRuns(text, undefined, searchPattern('.*')).filter((r) => r.match).map((r) => r.text), ['.*']);
    assert.deepEqual(textRuns(text, undefined, searchPattern('<b>')).filter((r) => r.match).map((r) => r.text), ['<b>']);
    assert.deepEqual(textRuns(text, undefined, searchPattern('(maybe)')).filter((r) => r.match).map((r) => r.text), ['(maybe)']);
    assert.deepEqual(textRuns(text, undefined, null), [{ text, match: false, mention: null }]);
    assert.equal(searchPattern('   '), null);
  });

  it('drops mentions with offsets outside the text or overlapping an earlier one', () => {
    const text = 'see config.ts now';
    assert.deepEqual(validMentions(text, [{ start: 4, end: 13 }, { start: 6, end: 9 }, { start: 10, end: 99 }, { start: -1, end: 2 }, { start: 3, end: 3 }]),
      [{ index: 0, start: 4, end: 13 }]);
    const runs = textRuns(text, [{ start: 10, end: 99 }, { start: 4, end: 13 }], null);
    assert.deepEqual(runs.map((r) => [r.text, r.mention]), [['see ', null], ['config.ts', 1], [' now', null]]);
  });

  it('keeps adjacent mentions apart', () => {
    const runs = textRuns('a.tsb.ts', [{ start: 0, end: 4 }, { start: 4, end: 8 }], null);
    assert.deepEqual(runs.map((r) => [r.text, r.mention]), [['a.ts', 0], ['b.ts', 1]]);
  });

  it('filters by the same rules it highlights with', () => {
    const p = searchPattern('PARSE');
    assert.equal(matchesQuery('call parseConfig', p), true);
    assert.equal(matchesQuery('call parseConfig', p), true, 'a global pattern does not carry state between calls');
    assert.equal(matchesQuery('nothing here', p), false);
    assert.equal(matchesQuery('anything', null), true);
    assert.equal(matchesQuery('Ärger im Büro', searchPattern('äRGER')), true);
  });
});
