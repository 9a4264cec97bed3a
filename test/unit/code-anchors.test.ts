import * as assert from 'node:assert/strict';
import { EditorLocation, WorkspaceSymbolInfo } from '../../protocol/protocol';
import { buildIndex, segmentMentions } from '../../daemon/anchoring/mentions';
import { renderNotes } from '../../daemon/documents/markdown';
import { parseJournal } from '../../daemon/journal/journal';
import { CODE_ANCHORS_BOUND } from '../../protocol/protocol';
import { anchoredPaths, codeAnchors, workspaceCodeAnchors } from '../../daemon/memory/codeAnchors';
import { meetingRecordOf } from '../../daemon/memory/meetingRecord';
import { MemoryIndex, topicBlocksOf } from '../../daemon/memory/memoryIndex';

const ROOT = '/work/app';
const FILES = ['src/auth.ts', 'src/config.ts', 'src/billing/invoice.ts', 'README.md'];
const SYMBOLS: WorkspaceSymbolInfo[] = [
  { name: 'parseConfig', kind: 'function', path: 'src/config.ts', line: 40 },
  { name: 'refreshToken', kind: 'function', path: 'src/auth.ts', line: 12 },
];
const WORKSPACE = buildIndex(FILES, SYMBOLS);

/** A line of a meeting: who, what (its mentions found by the real matcher), and what the user had open. */
interface Said { speaker: string; text: string; viewing?: EditorLocation }
interface Item { id: string; text: string; line: number; done?: boolean; removed?: boolean }

/** A journal as the daemon writes one (a workspace record before the segments, mentions stamped by the matcher), read back as memory reads it. */
function meeting(sessionId: string, startedAt: string, lines: Said[], options: { root?: string | null; items?: Item[]; decisions?: Item[]; dictation?: boolean } = {}) {
  const records: unknown[] = [{
    type: 'session', version: 1, sessionId, title: `Meeting ${sessionId}`, startedAt, sources: ['mic'], language: 'en',
    notesPath: `/notes/${sessionId}.md`, mode: options.dictation ? 'dictation' : 'meeting',
  }];
  if (options.root !== null) records.push({ type: 'workspace', root: options.root ?? ROOT });
  lines.forEach((l, i) => {
    const mentions = segmentMentions(l.text, WORKSPACE);
    records.push({ type: 'segment', segmentId: `mic-${i + 1}`, source: 'mic', speaker: l.speaker, t0: i * 5, t1: i * 5 + 4, text: l.text,
      ...(mentions.length ? { mentions } : {}), ...(l.viewing ? { viewing: l.viewing } : {}) });
  });
  for (const it of options.items ?? []) {
    records.push({ type: 'actionItem', id: it.id, revision: 1, text: it.text, owner: 'Alice', due: null, duePhrase: null, segmentId: `mic-${it.line}`, t0: (it.line - 1) * 5 });
    if (it.done) records.push({ type: 'actionItem', id: it.id, revision: 2, text: it.text, owner: 'Alice', due: null, duePhrase: null, segmentId: `mic-${it.line}`, t0: (it.line - 1) * 5, done: true });
    if (it.removed) records.push({ type: 'actionItem', id: it.id, revision: 2, text: it.text, owner: 'Alice', due: null, duePhrase: null, segmentId: `mic-${it.line}`, t0: (it.line - 1) * 5, removed: true });
  }
  for (const d of options.decisions ?? []) records.push({ type: 'decision', id: d.id, revision: 1, text: d.text, kind: 'decision', segmentId: `mic-${d.line}`, t0: (d.line - 1) * 5 });
  records.push({ type: 'end', stoppedAt: startedAt, capturedSec: lines.length * 5 });
  const journal = parseJournal(records.map((r) => JSON.stringify(r)).join('\n') + '\n', `${sessionId}.jsonl`);
  const notes = renderNotes(journal);
  return { record: meetingRecordOf(journal, notes), notes: notes.split('\n') };
}

const say = (speaker: string, text: string, viewing?: EditorLocation): Said => ({ speaker, text, ...(viewing ? { viewing } : {}) });
const FILLER = (i: number) => say('Bob', `The quarterly budget for laptops and monitors needs a purchase order number ${i}.`);

describe('code anchors: meetings that spoke of a file or symbol', () => {
  it('keeps each segment\'s mentions, viewing place and workspace root in the meeting record; a journal without them has none', () => {
    const { record } = meeting('a', '2026-11-02T10:00:00Z', [
      say('Alice', 'Alice, can you fix auth.ts by Friday?'),
      say('Bob', 'Sure, I have it open.', { path: 'src/auth.ts', startLine: 10, endLine: 14 }),
      say('Bob', 'Nothing else from me.'),
    ]);
    assert.deepEqual(record.segments[0].mentions, [{ start: 19, end: 26, target: { kind: 'file', path: 'src/auth.ts' } }]);
    assert.equal(record.segments[0].root, ROOT);
    assert.deepEqual(record.segments[1].viewing, { path: 'src/auth.ts', startLine: 10, endLine: 14 });
    assert.equal(record.segments[2].mentions, undefined);
    assert.equal(record.segments[2].root, undefined, 'a segment with no anchor carries no root');

    const old = meeting('old', '2026-01-01T10:00:00Z', [say('Alice', 'We talked about the weather.')], { root: null }).record;
    assert.deepEqual(Object.keys(old.segments[0]).sort(), ['segmentId', 'speaker', 't0', 't1', 'text']);
  });

  it('drops malformed mentions and viewing places a journal the daemon did not write may hold', () => {
    const records = [
      { type: 'session', version: 1, sessionId: 'bad', title: 'Bad', startedAt: '2026-11-01T10:00:00Z', sources: ['mic'], language: 'en', notesPath: '' },
      { type: 'workspace', root: ROOT },
      { type: 'segment', segmentId: 'mic-1', source: 'mic', speaker: 'A', t0: 0, t1: 1, text: 'auth.ts here',
        mentions: [null, { start: 'x', end: 2, target: { kind: 'file', path: 'a' } }, { start: 0, end: 7, target: { kind: 'dir', path: 'src' } }, { start: 0, end: 7, target: { kind: 'file', path: 'src/auth.ts' } }],
        viewing: { path: 7, startLine: 1, endLine: 2 } },
    ];
    const record = meetingRecordOf(parseJournal(records.map((r) => JSON.stringify(r)).join('\n'), 'bad.jsonl'));
    assert.deepEqual(record.segments[0].mentions, [{ start: 0, end: 7, target: { kind: 'file', path: 'src/auth.ts' } }]);
    assert.equal(record.segments[0].viewing, undefined);
  });

  it('finds the meetings that named a file or had it open, newest first, each line linked to its notes line', () => {
    const index = new MemoryIndex();
    const older = meeting('older', '2026-11-01T10:00:00Z', [
      say('Carol', 'The login flow in auth dot ts times out.'),
      say('Dan', 'Then we raise the timeout.'),
    ]);
    const newer = meeting('newer', '2026-11-03T10:00:00Z', [
      say('Alice', 'Let us look at the retry loop.', { path: 'src/auth.ts', startLine: 20, endLine: 25 }),
      say('Alice', 'Alice, can you fix auth.ts by Friday?', { path: 'src/auth.ts', startLine: 20, endLine: 25 }),
      say('Bob', 'And parseConfig should read the new flag.'),
    ]);
    const other = meeting('other', '2026-11-04T10:00:00Z', [say('Eve', 'The invoice totals are wrong in invoice dot ts.')]);
    for (const m of [older, newer, other]) index.put(m.record);

    const found = codeAnchors(index, { path: 'src/auth.ts' });
    assert.deepEqual(found.map((m) => m.meeting.sessionId), ['newer', 'older']);
    assert.deepEqual(found[0].lines.map((l) => [l.line.index, l.how, l.target.kind]), [[1, 'viewing', 'file'], [2, 'named', 'file']]);
    assert.deepEqual(found[0].lines[0].viewing, { path: 'src/auth.ts', startLine: 20, endLine: 25 });
    for (const l of found[0].lines) assert.ok(newer.notes[l.line.notesLine! - 1].includes(l.line.text.slice(0, 12)), `notes line ${l.line.notesLine} is the segment's`);
    assert.deepEqual(codeAnchors(index, { path: './src\\auth.ts' }).map((m) => m.meeting.sessionId), ['newer', 'older'], 'path spelled loosely');
    assert.deepEqual(codeAnchors(index, { path: 'src/auth.ts', since: '2026-11-02' }).map((m) => m.meeting.sessionId), ['newer']);
    assert.deepEqual(codeAnchors(index, { path: 'src/nothing.ts' }), []);
    assert.deepEqual(codeAnchors(index, {}), [], 'no path and no symbol: nothing');
    // A symbol mention is an anchor of its file too.
    assert.deepEqual(codeAnchors(index, { path: 'src/config.ts' }).map((m) => [m.meeting.sessionId, m.lines.map((l) => l.target.name)]), [['newer', ['parseConfig']]]);
  });

  it('finds a symbol by name (any case), and a viewed range that holds its line', () => {
    const index = new MemoryIndex();
    index.put(meeting('named', '2026-11-01T10:00:00Z', [say('Alice', 'The parse config function drops empty keys.')]).record);
    index.put(meeting('viewed', '2026-11-02T10:00:00Z', [
      say('Bob', 'This one drops the keys, see here.', { path: 'src/config.ts', startLine: 38, endLine: 44 }),
      say('Bob', 'And the top of the file is fine.', { path: 'src/config.ts', startLine: 1, endLine: 5 }),
    ]).record);
    const found = codeAnchors(index, { symbol: 'PARSECONFIG' });
    assert.deepEqual(found.map((m) => [m.meeting.sessionId, m.lines.map((l) => [l.line.index, l.how, l.target.kind, l.target.name, l.target.line])]), [
      ['viewed', [[1, 'viewing', 'symbol', 'parseConfig', 40]]],
      ['named', [[1, 'named', 'symbol', 'parseConfig', 40]]],
    ]);
    assert.deepEqual(codeAnchors(index, { symbol: 'parseConfig', path: 'src/auth.ts' }), [], 'the symbol in another file');
    assert.deepEqual(codeAnchors(index, { symbol: 'refreshToken' }), [], 'a symbol no meeting named');
  });

  it('restricts to the workspace root given (a trailing slash forgiven), any root when none is', () => {
    const index = new MemoryIndex();
    index.put(meeting('here', '2026-11-01T10:00:00Z', [say('Alice', 'Fix auth.ts please.')]).record);
    index.put(meeting('elsewhere', '2026-11-02T10:00:00Z', [say('Alice', 'Fix auth.ts please.')], { root: '/work/other' }).record);
    assert.deepEqual(codeAnchors(index, { path: 'src/auth.ts', root: '/work/app/' }).map((m) => m.meeting.sessionId), ['here']);
    assert.deepEqual(codeAnchors(index, { path: 'src/auth.ts' }).map((m) => m.meeting.sessionId), ['elsewhere', 'here']);
    assert.deepEqual([...anchoredPaths(index, '/work/other').keys()], ['src/auth.ts']);
    assert.deepEqual([...anchoredPaths(index, '/nowhere').keys()], []);
  });

  it('takes a Windows drive letter in either case (VS Code writes c:\\, a shell C:\\)', () => {
    const index = new MemoryIndex();
    index.put(meeting('here', '2026-11-01T10:00:00Z', [say('Alice', 'Fix auth.ts please.')], { root: 'c:\\work\\app' }).record);
    assert.deepEqual(codeAnchors(index, { path: 'src/auth.ts', root: 'C:\\work\\app\\' }).map((m) => m.meeting.sessionId), ['here']);
    assert.deepEqual(codeAnchors(index, { path: 'src/auth.ts', root: 'C:\\work\\App' }), [], 'only the drive letter');
  });

  it('ties the decisions and open items of the anchored lines\' topical blocks; done, withdrawn and other blocks\' items are not', () => {
    // Two topics: auth (lines 1-12) then budget (13-24), long enough to be two blocks.
    const lines: Said[] = [
      say('Alice', 'The token refresh in auth.ts fails when the session cookie expires overnight.'),
      ...Array.from({ length: 10 }, (_, i) => say('Carol', `The session token cookie refresh expires and the login token fails again, case ${i}.`)),
      say('Alice', 'Agreed, we refresh the session token before the cookie expires.'),
      ...Array.from({ length: 12 }, (_, i) => FILLER(i)),
    ];
    const { record } = meeting('long', '2026-11-05T10:00:00Z', lines, {
      decisions: [{ id: 'd-token', text: 'We refresh the session token before the cookie expires.', line: 12 }, { id: 'd-budget', text: 'The laptop budget is approved.', line: 20 }],
      items: [
        { id: 'a-fix', text: 'Alice fixes the token refresh.', line: 1 },
        { id: 'a-near', text: 'Carol writes a login test.', line: 5 },
        { id: 'a-done', text: 'Carol reads the cookie spec.', line: 6, done: true },
        { id: 'a-gone', text: 'Carol asks security.', line: 7, removed: true },
        { id: 'a-budget', text: 'Bob sends the purchase order.', line: 18 },
      ],
    });
    const blocks = topicBlocksOf(record.segments).blocks;
    assert.ok(blocks.length >= 2 && record.segments.length - 1 > blocks[0].to && blocks[0].to >= 11, `two topics: ${JSON.stringify(blocks)}`);
    const index = new MemoryIndex();
    index.put(record);
    const [found] = codeAnchors(index, { path: 'src/auth.ts' });
    assert.deepEqual(found.decisions.map((d) => d.decision.id), ['d-token']);
    assert.deepEqual(found.actionItems.map((i) => i.item.id), ['a-fix', 'a-near']);
    assert.ok(found.decisions[0].notesLine && found.actionItems[0].notesLine, 'notes lines of the tied decision and item');
  });

  it('leaves dictations out', () => {
    const index = new MemoryIndex();
    index.put(meeting('dictated', '2026-11-01T10:00:00Z', [say('You', 'Rename the function in auth.ts')], { dictation: true }).record);
    assert.deepEqual(codeAnchors(index, { path: 'src/auth.ts' }), []);
  });

  it('builds the anchor map once per index change, not per query', () => {
    const index = new MemoryIndex();
    index.put(meeting('one', '2026-11-01T10:00:00Z', [say('Alice', 'Fix auth.ts please.')]).record);
    let builds = 0;
    const sessionIds = index.sessionIds.bind(index);
    index.sessionIds = () => { builds++; return sessionIds(); };
    for (let i = 0; i < 5; i++) assert.equal(codeAnchors(index, { path: 'src/auth.ts' }).length, 1);
    assert.equal(builds, 1);
    index.put(meeting('two', '2026-11-02T10:00:00Z', [say('Alice', 'And auth.ts again.')]).record);
    assert.equal(codeAnchors(index, { path: 'src/auth.ts' }).length, 2);
    assert.equal(codeAnchors(index, { symbol: 'parseConfig' }).length, 0);
    assert.equal(builds, 2);
    index.remove('one');
    assert.deepEqual(codeAnchors(index, { path: 'src/auth.ts' }).map((m) => m.meeting.sessionId), ['two']);
    index.remove('never-there');
    assert.equal(codeAnchors(index, { path: 'src/auth.ts' }).length, 1);
    assert.equal(builds, 3, 'removing a meeting the index never had changes nothing');
    index.clear();
    assert.deepEqual(codeAnchors(index, { path: 'src/auth.ts' }), []);
    assert.equal(builds, 4);
  });

  it('answers a workspace folder\'s files, most recently discussed first, each with its symbols\' meetings and the decisions\' standing', () => {
    const index = new MemoryIndex();
    index.put(meeting('old', '2026-11-01T10:00:00Z', [say('Alice', 'The parse config function drops empty keys.'), say('Bob', 'We keep it as it is.')],
      { decisions: [{ id: 'd1', text: 'We keep it as it is.', line: 2 }] }).record);
    index.put(meeting('new', '2026-11-03T10:00:00Z', [say('Alice', 'Alice, can you fix auth.ts by Friday?')], { items: [{ id: 'a1', text: 'Alice fixes auth.ts', line: 1 }] }).record);
    index.put(meeting('away', '2026-11-04T10:00:00Z', [say('Alice', 'Fix auth.ts there too.')], { root: '/work/other' }).record);
    const { files, truncated } = workspaceCodeAnchors(index, ROOT);
    assert.equal(truncated, false);
    assert.deepEqual(files.map((f) => [f.path, f.meetings.map((m) => m.meeting.sessionId), f.symbols.map((x) => [x.name, x.line, x.meetings.length])]), [
      ['src/auth.ts', ['new'], []],
      ['src/config.ts', ['old'], [['parseConfig', 40, 1]]],
    ]);
    const config = files[1].meetings[0];
    assert.deepEqual(config.decisions.map((d) => [d.decision.id, d.standing, typeof d.notesLine]), [['d1', 'decided', 'number']]);
    assert.deepEqual(config.lines.map((l) => [l.index, l.how, l.symbol, l.text]), [[1, 'named', 'parseConfig', 'The parse config function drops empty keys.']]);
    assert.deepEqual(files[0].meetings[0].actionItems.map((i) => i.item.id), ['a1']);
  });

  it('cuts the workspace answer to its bounds and says so', () => {
    const index = new MemoryIndex();
    const many = CODE_ANCHORS_BOUND.lines + 5;
    for (let n = 0; n < CODE_ANCHORS_BOUND.meetings + 2; n++) {
      index.put(meeting(`m${n}`, `2026-10-${String(n + 1).padStart(2, '0')}T10:00:00Z`, Array.from({ length: many }, (_, i) => say('Alice', `Line ${i}: auth.ts again, ${'very '.repeat(80)}long.`))).record);
    }
    const { files, truncated } = workspaceCodeAnchors(index, ROOT);
    assert.equal(truncated, true);
    assert.equal(files[0].meetings.length, CODE_ANCHORS_BOUND.meetings);
    assert.equal(files[0].meetings[0].meeting.sessionId, `m${CODE_ANCHORS_BOUND.meetings + 1}`, 'the newest kept');
    assert.ok(files[0].meetings.every((m) => m.lines.length === CODE_ANCHORS_BOUND.lines && m.lines.every((l) => l.text.length <= CODE_ANCHORS_BOUND.lineChars)));
  });
});
