import * as assert from 'node:assert/strict';
import { EditorLocation, MAX_INDEX_FILES, WorkspaceSymbolInfo } from '../../protocol/protocol';
import { EditorTimeline, sameLocation, wallTimeOf } from '../../daemon/anchoring/editorTimeline';
import { buildIndex } from '../../daemon/anchoring/mentions';
import { annotateSegment, WorkspaceIndexHolder } from '../../daemon/anchoring/segmentContext';

const at = (path: string, startLine: number, endLine = startLine): EditorLocation => ({ path, startLine, endLine });
const T0 = Date.UTC(2025, 2, 5, 9, 0);
const MIN = 60_000;

describe('editor timeline', () => {
  it('answers the place in effect at a time: the last one noted at or before it', () => {
    const timeline = new EditorTimeline();
    timeline.note(at('src/a.ts', 1), T0, T0);
    timeline.note(null, T0 + 10_000, T0);
    timeline.note(at('src/b.ts', 5, 9), T0 + 20_000, T0);
    assert.equal(timeline.locationAt(T0 - 1), undefined, 'nothing before the first');
    assert.deepEqual(timeline.locationAt(T0), at('src/a.ts', 1));
    assert.deepEqual(timeline.locationAt(T0 + 9_999), at('src/a.ts', 1));
    assert.equal(timeline.locationAt(T0 + 15_000), undefined, 'no workspace file active');
    assert.deepEqual(timeline.locationAt(T0 + 60 * MIN), at('src/b.ts', 5, 9));
  });

  it('maps the capture clock onto the wall clock from the session start (capture-clock zero)', () => {
    const timeline = new EditorTimeline();
    const startedAt = new Date(T0);
    timeline.note(at('src/open-before.ts', 3), T0 - 90 * MIN, T0); // opened long before the session
    timeline.note(at('src/later.ts', 7), T0 + 12_500, T0 + 13_000);
    assert.equal(wallTimeOf(startedAt, 12.5), T0 + 12_500);
    assert.deepEqual(timeline.locationAt(wallTimeOf(startedAt, 0)), at('src/open-before.ts', 3));
    assert.deepEqual(timeline.locationAt(wallTimeOf(startedAt, 12.499)), at('src/open-before.ts', 3));
    assert.deepEqual(timeline.locationAt(wallTimeOf(startedAt, 12.5)), at('src/later.ts', 7));
  });

  it('is bounded: old entries go, except the one still in effect; at most maxEntries', () => {
    const timeline = new EditorTimeline({ maxAgeMs: 10 * MIN, maxEntries: 5 });
    timeline.note(at('src/first.ts', 1), T0, T0);
    // Three hours later the first file is still open: it stays (a session may start now).
    timeline.note(at('src/first.ts', 1), T0 + 180 * MIN, T0 + 180 * MIN);
    assert.equal(timeline.size, 1);
    assert.deepEqual(timeline.locationAt(T0 + 180 * MIN), at('src/first.ts', 1));
    timeline.note(at('src/second.ts', 1), T0 + 181 * MIN, T0 + 181 * MIN);
    timeline.note(at('src/third.ts', 1), T0 + 195 * MIN, T0 + 195 * MIN);
    // first.ts was replaced 14 minutes ago, second.ts is in effect at the cutoff: it stays.
    assert.deepEqual(timeline.locationAt(T0 + 190 * MIN), at('src/second.ts', 1));
    assert.equal(timeline.locationAt(T0 + 180 * MIN), undefined);
    for (let k = 0; k < 10; k++) timeline.note(at(`src/f${k}.ts`, 1), T0 + 196 * MIN + k, T0 + 196 * MIN);
    assert.equal(timeline.size, 5);
  });

  it('puts a late notification in its place, and keeps one entry per change of place', () => {
    const timeline = new EditorTimeline();
    timeline.note(at('src/a.ts', 1), T0, T0);
    timeline.note(at('src/c.ts', 1), T0 + 2000, T0);
    timeline.note(at('src/b.ts', 1), T0 + 1000, T0); // arrived late
    assert.deepEqual(timeline.locationAt(T0 + 1500), at('src/b.ts', 1));
    timeline.note(at('src/c.ts', 1), T0 + 3000, T0); // the same place again
    timeline.note(at('src/c.ts', 1), T0 + 1500, T0); // c from earlier on: the later duplicate goes
    assert.equal(timeline.size, 3);
    assert.deepEqual(timeline.locationAt(T0 + 1600), at('src/c.ts', 1));
  });

  it('lists recently viewed files, newest first, as of a time', () => {
    const timeline = new EditorTimeline();
    ['a', 'b', 'a', 'c', 'd'].forEach((name, k) => timeline.note(at(`src/${name}.ts`, k + 1), T0 + k * 1000, T0));
    assert.deepEqual(timeline.recentPaths(T0 + 10_000, 3), ['src/d.ts', 'src/c.ts', 'src/a.ts']);
    assert.deepEqual(timeline.recentPaths(T0 + 2500), ['src/a.ts', 'src/b.ts']);
    assert.deepEqual(timeline.recentPaths(T0 - 1), []);
  });

  it('compares places by file and lines', () => {
    assert.ok(sameLocation(at('a.ts', 1, 2), at('a.ts', 1, 2)));
    assert.ok(sameLocation(undefined, undefined));
    assert.ok(!sameLocation(at('a.ts', 1, 2), at('a.ts', 1, 3)));
    assert.ok(!sameLocation(at('a.ts', 1), undefined));
  });
});

describe('segment annotation', () => {
  const index = buildIndex(['src/auth.ts', 'lib/auth.ts'], []);
  const startedAt = new Date(T0);

  it('gives the mentions, the root and the place at the segment\'s start; recently viewed files settle ambiguity', () => {
    const timeline = new EditorTimeline();
    timeline.note(at('lib/auth.ts', 4), T0 - MIN, T0);
    timeline.note(at('src/other.ts', 2), T0 + 5000, T0);
    const early = annotateSegment({ text: 'fix auth.ts', t0: 1 }, startedAt, { root: '/ws', index }, timeline);
    assert.deepEqual(early, {
      root: '/ws', viewing: at('lib/auth.ts', 4),
      mentions: [{ start: 4, end: 11, target: { kind: 'file', path: 'lib/auth.ts' }, alternatives: [{ kind: 'file', path: 'src/auth.ts' }] }],
    });
    const late = annotateSegment({ text: 'nothing here', t0: 6 }, startedAt, { root: '/ws', index }, timeline);
    assert.deepEqual(late, { root: '/ws', viewing: at('src/other.ts', 2) });
    assert.deepEqual(annotateSegment({ text: 'fix auth.ts', t0: 1 }, startedAt, undefined, new EditorTimeline()), {}, 'no index, no activity');
  });
});

describe('workspace index holder', () => {
  const symbols: WorkspaceSymbolInfo[] = [{ name: 'parseConfig', kind: 'function', path: 'src/config.ts', line: 3 }];

  it('builds after the debounce; the previous index serves until then; a start waits for it without the debounce', async () => {
    const holder = new WorkspaceIndexHolder(60_000);
    // Read through a function: an assertion on the getter would narrow its type for the rest of the test.
    const current = () => holder.current;
    assert.equal(current(), undefined);
    await holder.whenBuilt(); // nothing pending: at once
    holder.set({ root: '/one', files: ['src/auth.ts'], symbols });
    assert.equal(current(), undefined, 'not built yet');
    await holder.whenBuilt();
    assert.equal(current()?.root, '/one');
    assert.equal(current()?.index.fileCount, 1);
    holder.set({ root: '/two', files: ['a.ts', 'b.ts'], symbols: [] });
    assert.equal(current()?.root, '/one', 'the previous index serves meanwhile');
    holder.set({ root: '/three', files: ['a.ts', 'b.ts', 'c.ts'], symbols: [] });
    await holder.whenBuilt();
    assert.equal(current()?.root, '/three', 'the latest wins');
    assert.equal(current()?.index.fileCount, 3);
  });

  it('builds by itself after the debounce', async () => {
    const holder = new WorkspaceIndexHolder(10);
    holder.set({ root: '/ws', files: ['src/auth.ts'], symbols: [] });
    for (let k = 0; k < 100 && !holder.current; k++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(holder.current?.root, '/ws');
  });

  it('keeps at most MAX_INDEX_FILES files', async () => {
    const holder = new WorkspaceIndexHolder(0);
    holder.set({ root: '/ws', files: Array.from({ length: MAX_INDEX_FILES + 10 }, (_, k) => `f${k}.ts`), symbols: [] });
    await holder.whenBuilt();
    assert.equal(holder.current?.index.fileCount, MAX_INDEX_FILES);
  });
});
