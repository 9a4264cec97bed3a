import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import MiniSearch from 'minisearch';
import { ActionItem, MEMORY_HIT_LINE_MAX_CHARS, MEMORY_PASSAGE_MAX_CHARS, MEMORY_PASSAGE_MAX_LINES, MEMORY_ASK_BOUND, MemoryPassage, MemorySearchParams } from '../../protocol/protocol';
import { readTranscriptFile } from '../../daemon/cli/memory';
import { markDoneInJournal } from '../../daemon/documents/done';
import { renderNotes } from '../../daemon/documents/markdown';
import { Journal, JournalRecord, readJournal } from '../../daemon/journal/journal';
import { askUserPrompt, promptLines } from '../../daemon/memory/askPrompt';
import { DEFAULT_RANKING, hitText, MeetingRecord, MemoryIndex, RankingOptions, inRange, startDay } from '../../daemon/memory/memoryIndex';
import { promptChars } from '../../protocol/textSize';
import { MAX_QUERY_TERMS, queryTerms } from '../../daemon/memory/terms';
import { StoredMemory } from '../../daemon/memory/storedMemory';
import { meetingRecordOf, notesLinesOf } from '../../daemon/memory/meetingRecord';
import { Memory } from '../../daemon/service/memory';
import { pruneSessions } from '../../daemon/service/retention';
import { Line, LOGIN, micOnly, writeJournal } from '../support/journals';

/** A finished meeting in `storage`: its journal (segments, items, decisions, end) and its notes file rendered from it. */
/** Half a surrogate pair: what a cut inside an emoji leaves. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

async function meeting(storage: string, sessionId: string, startedAt: string, title: string, lines: Line[],
  items: { id: string; text: string; owner: string | null; line: number }[] = [], decisions: { id: string; text: string; line: number }[] = [], ended = true): Promise<string> {
  const file = path.join(storage, 'sessions', `${sessionId}.jsonl`);
  const notesPath = path.join(storage, 'notes', `${sessionId}.md`);
  const journal = await Journal.create(file, { sessionId, title, startedAt, sources: ['file'], language: 'en', notesPath });
  for (const [i, [speaker, text]] of lines.entries()) {
    await journal.append({ type: 'segment', segmentId: `file-${i + 1}`, source: 'file', speaker, t0: i * 5, t1: i * 5 + 4, text } as JournalRecord);
  }
  for (const it of items) {
    await journal.append({ type: 'actionItem', id: it.id, revision: 1, text: it.text, owner: it.owner, due: null, duePhrase: null, segmentId: `file-${it.line}`, t0: (it.line - 1) * 5 });
  }
  for (const d of decisions) await journal.append({ type: 'decision', id: d.id, revision: 1, text: d.text, kind: 'decision', segmentId: `file-${d.line}`, t0: (d.line - 1) * 5 });
  if (ended) await journal.append({ type: 'end', stoppedAt: startedAt, capturedSec: lines.length * 5 });
  await journal.close();
  fs.mkdirSync(path.dirname(notesPath), { recursive: true });
  fs.writeFileSync(notesPath, renderNotes(await readJournal(file)));
  return file;
}

/** A meeting record of `lines` (for the index alone). */
function record(sessionId: string, lines: Line[], startedAt = '2026-01-01T09:00:00Z'): MeetingRecord {
  return {
    meeting: { sessionId, title: sessionId, startedAt, notesPath: '', durationSec: null },
    segments: lines.map(([speaker, text], i) => ({ segmentId: `mic-${i + 1}`, speaker, t0: i * 5, t1: i * 5 + 4, text })),
    actionItems: [], decisions: [],
  };
}

const BUDGET: Line[] = [
  ['Dana', 'The budget for the new laptops is approved.'],
  ['Élodie', 'We order twelve machines next week.'],
  ['Dana', 'Élodie will send the purchase order.'],
];

describe('meeting memory', () => {
  let storage: string;
  let loginFile: string;
  const A = '20260110T090000-aaaaaa';
  const B = '20260120T140000-bbbbbb';

  beforeEach(async () => {
    storage = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-memory-'));
    loginFile = await meeting(storage, A, '2026-01-10T09:00:00.000Z', 'Release sync', LOGIN,
      [{ id: 'a1', text: 'Fix the token refresh by Friday', owner: 'Bob', line: 5 }], [{ id: 'd1', text: 'Raise the login timeout to five minutes', line: 4 }]);
    await meeting(storage, B, '2026-01-20T14:00:00.000Z', 'Budget', BUDGET,
      [{ id: 'a1', text: 'Send the purchase order', owner: 'Elodie', line: 3 }, { id: 'a2', text: 'Compare laptop offers', owner: 'dana', line: 2 }]);
  });
  afterEach(() => fs.rmSync(storage, { recursive: true, force: true }));

  it('ranks the meeting and the turn that answer a question first, with the whole turn and its neighbours', async () => {
    const index = await new StoredMemory(storage).sync();
    assert.equal(index.sessionCount, 2);
    assert.equal(index.segmentCount, 9);
    const [top, ...rest] = index.search({ query: 'why does the login time out?', neighbours: 1 });
    assert.equal(top.meeting.sessionId, A);
    assert.equal(top.meeting.title, 'Release sync');
    assert.equal(top.meeting.durationSec, 30);
    // Bob's turn is two segments (2 and 3); one neighbour each side: segments 1 to 4.
    assert.deepEqual(top.lines.map((l) => l.index), [1, 2, 3, 4]);
    assert.ok(top.lines.filter((l) => l.hit).length === 1);
    assert.ok(rest.every((p) => p.meeting.sessionId !== B || p.score < top.score));
    // The notes file's Transcript lines: each line there is this segment's.
    const notes = fs.readFileSync(top.meeting.notesPath, 'utf8').split('\n');
    for (const l of top.lines) assert.ok(notes[l.notesLine! - 1].includes(l.text.slice(0, 20)), `line ${l.notesLine}: ${notes[l.notesLine! - 1]}`);
    const none = index.search({ query: 'login', neighbours: 0, limit: 50 });
    assert.ok(none.every((p) => p.lines.every((l) => l.speaker === p.lines.find((x) => x.hit)?.speaker) || p.hit.kind !== 'segment'));
  });

  it('never returns two overlapping passages of one meeting, and honours limit', async () => {
    const index = await new StoredMemory(storage).sync();
    const passages = index.search({ query: 'login token timeout Bob', limit: 50, neighbours: 2 });
    const seen = new Set<string>();
    for (const p of passages) {
      for (const l of p.lines) {
        const key = `${p.meeting.sessionId}/${l.index}`;
        assert.ok(!seen.has(key), `line ${key} twice`);
        seen.add(key);
      }
    }
    assert.equal(index.search({ query: 'login token timeout Bob', limit: 1 }).length, 1);
  });

  it('filters by sessionIds and by since/until (dates inclusive)', async () => {
    const index = await new StoredMemory(storage).sync();
    const q = 'the budget and the login';
    assert.deepEqual(new Set(index.search({ query: q, limit: 50 }).map((p) => p.meeting.sessionId)), new Set([A, B]));
    assert.ok(index.search({ query: q, sessionIds: [B], limit: 50 }).every((p) => p.meeting.sessionId === B));
    assert.ok(index.search({ query: q, since: '2026-01-15', limit: 50 }).every((p) => p.meeting.sessionId === B));
    assert.ok(index.search({ query: q, until: '2026-01-10', limit: 50 }).every((p) => p.meeting.sessionId === A));
    assert.equal(index.search({ query: q, since: '2026-02-01' }).length, 0);
  });

  it('compares date-only bounds with the day a meeting started in this machine\'s time zone, not the UTC day', () => {
    const zone = process.env.TZ;
    try {
      process.env.TZ = 'UTC';
      assert.ok(inRange('2026-01-10T23:59:00Z', '2026-01-10', '2026-01-10'));
      assert.ok(!inRange('2026-01-11T00:00:00Z', undefined, '2026-01-10'));
      // 23:30 on 10 January in New York is 04:30 UTC on the 11th: the user's "on the 10th" (the chat's /decisions
      // yesterday, the CLI's --since/--until) must hold it.
      process.env.TZ = 'America/New_York';
      const lateEvening = '2026-01-11T04:30:00Z';
      assert.equal(startDay(lateEvening), '2026-01-10');
      assert.ok(inRange(lateEvening, '2026-01-10', '2026-01-10'));
      assert.ok(!inRange(lateEvening, '2026-01-11'));
      assert.ok(inRange(lateEvening, undefined, '2026-01-10'));
      // East of UTC, 00:30 on the 11th in Tokyo is still the 10th in UTC.
      process.env.TZ = 'Asia/Tokyo';
      const earlyMorning = '2026-01-10T15:30:00Z';
      assert.ok(inRange(earlyMorning, '2026-01-11', '2026-01-11'));
      assert.ok(!inRange(earlyMorning, undefined, '2026-01-10'));
      // A bound with a time compares instants, whatever the zone either is written in.
      assert.ok(inRange(earlyMorning, '2026-01-11T00:00:00+09:00'));
      assert.ok(!inRange(earlyMorning, '2026-01-10T15:31:00Z'));
      // A month bound takes the local month; an unknown start lies in no bounded range.
      assert.ok(inRange('2026-01-31T16:00:00Z', '2026-02', '2026-02'));
      assert.ok(!inRange('', '2026-01-01') && !inRange('', undefined, '2026-01-01') && inRange(''));
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it('finds notes entries (decisions, action items) and lists decisions by topic', async () => {
    const index = await new StoredMemory(storage).sync();
    const decisions = index.decisions({});
    assert.deepEqual(decisions.map((d) => d.decision.id), ['d1']);
    const notes = fs.readFileSync(decisions[0].meeting.notesPath, 'utf8').split('\n');
    assert.match(notes[decisions[0].notesLine! - 1], /Raise the login timeout/);
    assert.equal(index.decisions({ topic: 'login timeout' }).length, 1);
    assert.equal(index.decisions({ topic: 'laptops' }).length, 0);
    assert.equal(index.decisions({ since: '2026-01-11' }).length, 0);
    const hit = index.search({ query: 'purchase order', limit: 50 }).find((p) => p.hit.kind === 'actionItem');
    assert.equal(hit?.hit.text, 'Send the purchase order');
    assert.equal(hit?.lines.find((l) => l.hit)?.text, BUDGET[2][1]);
  });

  it('a turn the early end split into pieces (issue 60) is one notes line: each piece gets that line, the lines after theirs', async () => {
    // The notes show a piece that continues the segment before (same speaker) on its turn's line (markdown.ts); the
    // index must not take the file for one the user changed and drop every notes line of the meeting.
    const file = path.join(storage, 'sessions', 'split.jsonl');
    const notesPath = path.join(storage, 'notes', 'split.md');
    const journal = await Journal.create(file, { sessionId: 'split', title: 'Split', startedAt: '2026-02-01T09:00:00.000Z', sources: ['file'], language: 'en', notesPath });
    const said: [string, string, number, string?][] = [
      ['Ana', 'The login times out after a minute', 0], ['Ana', 'so we raise it to five', 4.2, 'file-1'], ['Ben', 'Agreed, five minutes then.', 9],
      ['Ben', 'And I take the token refresh', 10.4, 'file-3'], ['Ben', 'by Friday at the latest.', 12.1, 'file-4'], ['Ana', 'Fine.', 15],
    ];
    for (const [i, [speaker, text, t0, continues]] of said.entries()) {
      await journal.append({ type: 'segment', segmentId: `file-${i + 1}`, source: 'file', speaker, t0, t1: t0 + 1, text, ...(continues ? { continues } : {}) } as JournalRecord);
    }
    await journal.close();
    fs.mkdirSync(path.dirname(notesPath), { recursive: true });
    const notes = renderNotes(await readJournal(file));
    assert.equal(notes.split('\n').filter((l) => l.startsWith('- **[')).length, 3, 'three turns, three transcript lines');
    const lines = notes.split('\n');
    const record = meetingRecordOf(await readJournal(file), notes);
    assert.equal(record.segmentNotesLines?.length, said.length, 'every segment has its notes line');
    for (const [i, [, text]] of said.entries()) assert.ok(lines[record.segmentNotesLines![i]! - 1].includes(text), `segment ${i + 1}: ${lines[record.segmentNotesLines![i]! - 1]}`);
    assert.deepEqual(record.segmentNotesLines!.map((n) => n! - record.segmentNotesLines![0]!), [0, 0, 1, 1, 1, 2]);
    // A file with a transcript line the segments do not account for (the user added one) still gives none.
    const edited = notes.replace('- **[00:15] Ana:** Fine.', '- **[00:14] Ana:** Something I added.\n- **[00:15] Ana:** Fine.');
    assert.equal(meetingRecordOf(await readJournal(file), edited).segmentNotesLines, undefined);
  });

  it('decisions said in the same words each get their own notes line', () => {
    const notes = ['# M', '', '## Decisions', '', '### Decided', '', '- We ship on Monday. _(00:05)_', '- We ship on Monday. _(00:10)_', '', '## Transcript', ''].join('\n');
    const decision = (id: string, t0: number) => ({ sessionId: 's', id, revision: 1, text: 'We ship on Monday.', kind: 'decision' as const, segmentId: `x${t0}`, t0 });
    const { itemNotesLines } = notesLinesOf(notes, { segments: [], actionItems: [], decisions: [decision('d2', 10), decision('d1', 5)] });
    assert.deepEqual([itemNotesLines!.get('d1'), itemNotesLines!.get('d2')], [7, 8]);
  });

  it('gives a decision\'s segment and the lines around it, with their notes lines (memory/lines)', async () => {
    const memory = new Memory(storage);
    const [{ decision }] = (await memory.decisions({})).decisions;
    const { meeting: m, lines } = await memory.lines({ sessionId: A, segmentId: decision.segmentId, before: 1, after: 5 });
    assert.equal(m.title, 'Release sync');
    assert.deepEqual(lines.map((l) => [l.index, l.speaker, l.hit]), [[3, 'Bob', false], [4, 'Carol', true], [5, 'Alice', false], [6, 'Bob', false]]);
    const notes = fs.readFileSync(m.notesPath, 'utf8').split('\n');
    for (const l of lines) assert.ok(notes[l.notesLine! - 1].includes(l.text), `notes line of segment ${l.index}`);
    assert.equal((await memory.lines({ sessionId: A, segmentId: 'file-1' })).lines.length, 4, 'three after by default, none before the first');
    await assert.rejects(memory.lines({ sessionId: A, segmentId: 'file-99' }), (e: { code?: number; message: string }) => e.code === 1001 && /No segment "file-99"/.test(e.message));
    await assert.rejects(memory.lines({ sessionId: 'nope', segmentId: 'file-1' }), (e: { code?: number }) => e.code === 1001);
    await assert.rejects(memory.lines({ sessionId: A, segmentId: 'file-1', before: 6 }), /before must be a whole number from 0 to 5/);
    await assert.rejects(memory.lines({ sessionId: A }), /segmentId must be a non-empty string/);
    await assert.rejects(memory.lines({ sessionId: A, segmentId: 'x'.repeat(201) }), /at most 200 characters/);
  });

  it('lists open items newest meeting first, mine compared case- and accent-insensitively, done ones left out', async () => {
    const index = await new StoredMemory(storage).sync();
    const todo = index.todo(['élodie', 'DANA']);
    assert.deepEqual(todo.map((t) => [t.meeting.sessionId, t.item.id, t.mine]), [[B, 'a2', true], [B, 'a1', true], [A, 'a1', false]]);
    const notes = fs.readFileSync(todo[2].meeting.notesPath, 'utf8').split('\n');
    assert.match(notes[todo[2].notesLine! - 1], /Fix the token refresh.*earshot:a1/);
    assert.deepEqual(index.todo().map((t) => t.mine), [false, false, false]);
    await markDoneInJournal(loginFile, 'a1', true);
    const after = await new StoredMemory(storage).sync();
    assert.deepEqual(after.todo().map((t) => t.item.id), ['a2', 'a1']);
    assert.equal(after.todo([], true).find((t) => t.meeting.sessionId === A)?.item.done, true);
  });

  it('follows the journals: new segments and ticked items are in at the next use, deleted journals are gone', async () => {
    const memory = new StoredMemory(storage);
    assert.equal((await memory.sync()).search({ query: 'kubernetes cluster' }).length, 0);
    const live = await Journal.reopen(loginFile);
    await live.append({ type: 'segment', segmentId: 'file-99', source: 'file', speaker: 'Carol', t0: 40, t1: 44, text: 'The kubernetes cluster needs more nodes.' } as JournalRecord);
    await live.close();
    const [found] = (await memory.sync()).search({ query: 'kubernetes cluster' });
    assert.equal(found.meeting.sessionId, A);
    assert.equal(found.lines.find((l) => l.hit)?.index, 7);
    await markDoneInJournal(loginFile, 'a1', true);
    assert.ok(!(await memory.sync()).todo().some((t) => t.meeting.sessionId === A));
    fs.rmSync(loginFile);
    const index = await memory.sync();
    assert.deepEqual(index.sessionIds(), [B]);
    assert.equal(index.search({ query: 'login' }).length, 0);
  });

  it('an index rebuilt from the journals (after a crash) answers as the live-updated one', async () => {
    const live = new StoredMemory(storage);
    await live.sync();
    const journal = await Journal.reopen(loginFile);
    await journal.append({ type: 'segment', segmentId: 'file-7', source: 'file', speaker: 'Alice', t0: 30, t1: 34, text: 'Let us also check the login error messages.' } as JournalRecord);
    await journal.append({ type: 'actionItem', id: 'a9', revision: 1, text: 'Check the login error messages', owner: 'Alice', due: null, duePhrase: null, segmentId: 'file-7', t0: 30 });
    await journal.close();
    await markDoneInJournal(path.join(storage, 'sessions', `${B}.jsonl`), 'a2', true);
    const a = await live.sync();
    const b = await new StoredMemory(storage).sync();
    for (const query of ['login error messages', 'budget laptops', 'token refresh Friday', 'purchase order']) {
      assert.deepEqual(a.search({ query, limit: 10 }), b.search({ query, limit: 10 }), query);
    }
    assert.deepEqual(a.todo(['Alice'], true), b.todo(['Alice'], true));
    assert.deepEqual(a.meetingList(), b.meetingList());
    assert.ok(a.todo(['alice']).some((t) => t.item.id === 'a9' && t.mine));
  });

  it('is emptied by Delete All Data and follows retention', async () => {
    const memory = new Memory(storage);
    assert.equal((await memory.meetings()).meetings.length, 2);
    const old = new Date('2026-01-10T10:00:00Z');
    fs.utimesSync(loginFile, old, old);
    const pruned = await pruneSessions(storage, 30, { now: Date.parse('2026-02-15T00:00:00Z') });
    assert.deepEqual(pruned.deleted, [`${A}.jsonl`]);
    assert.deepEqual((await memory.meetings()).meetings.map((m) => m.sessionId), [B]);
    fs.rmSync(path.join(storage, 'sessions'), { recursive: true });
    memory.dropped();
    const result = await memory.search({ query: 'budget' });
    assert.deepEqual([result.sessions, result.segments, result.passages.length], [0, 0, 0]);
    assert.deepEqual((await memory.todo({})).items, []);
  });

  it('refuses bad params with clear messages', async () => {
    const memory = new Memory(storage);
    await assert.rejects(memory.search({ query: '  ' }), /query must be a non-empty string/);
    await assert.rejects(memory.search({ query: 'x', limit: 0 }), /limit must be a whole number from 1 to 50/);
    await assert.rejects(memory.search({ query: 'x', since: 'last week' }), /since must be an ISO date/);
    await assert.rejects(memory.todo({ owners: 'Bob' }), /owners must be a list/);
  });

  it('viewing: the open meeting\'s best passages lead (at most viewingPassages, each at least viewingShare of the best), the rest keep their order', () => {
    // Four subjects, each with one mention of the login: two passages that match the question weakly (about an eighth
    // of the release meeting's score).
    const SUBJECTS = ['quarterly roadmap slide', 'hiring plan for designers', 'office move to the harbour', 'conference travel budget'];
    const LONG: Line[] = [];
    for (let i = 0; i < 40; i++) LONG.push(['Erin', i % 10 === 3 ? `The login page was slow again on staging, case ${i}.` : `We went through the ${SUBJECTS[Math.floor(i / 10)]}, point ${i}.`]);
    const build = (over: Partial<RankingOptions> = {}) => {
      const index = new MemoryIndex({ ...DEFAULT_RANKING, ...over });
      index.put(record('release', LOGIN, '2026-01-10T09:00:00Z'));
      index.put(record('roadmap', LONG, '2026-01-12T09:00:00Z'));
      index.put(record('budget', BUDGET, '2026-01-20T14:00:00Z'));
      return index;
    };
    const q = 'why does the login time out?';
    const shape = (ps: MemoryPassage[]) => ps.map((p) => `${p.meeting.sessionId}:${p.lines.map((l) => l.index).join(',')}`);
    const plain = build().search({ query: q, limit: 8 });
    assert.deepEqual(plain.map((p) => p.meeting.sessionId), ['release', 'roadmap', 'roadmap']);
    const share = plain[1].score / plain[0].score;
    assert.ok(share > 0.05 && share < 0.2, `the open meeting's passages score ${share} of the best`);
    const open = (over: Partial<RankingOptions>, params: Partial<MemorySearchParams> = {}) => shape(build(over).search({ query: q, limit: 8, viewing: 'roadmap', ...params }));
    // Above the floor: both lead, in their order; capped at viewingPassages; below the floor: none.
    assert.deepEqual(open({ viewingShare: 0.05 }), [shape(plain)[1], shape(plain)[2], shape(plain)[0]]);
    assert.deepEqual(open({ viewingShare: 0.05, viewingPassages: 1 }), [shape(plain)[1], shape(plain)[0], shape(plain)[2]]);
    assert.deepEqual(open({ viewingShare: 0.2 }), shape(plain));
    assert.deepEqual(open({ viewingShare: 0.05 }, { limit: 1 }), [shape(plain)[1]]);
    // A meeting that does not fit the question, an unknown one, or one the filter leaves out changes nothing.
    const index = build({ viewingShare: 0.05 });
    assert.deepEqual(shape(index.search({ query: q, limit: 8, viewing: 'budget' })), shape(plain));
    assert.deepEqual(shape(index.search({ query: q, limit: 8, viewing: 'nope' })), shape(plain));
    assert.deepEqual(shape(index.search({ query: q, limit: 8, viewing: 'roadmap', sessionIds: ['release'] })), shape(index.search({ query: q, limit: 8, sessionIds: ['release'] })));
  });

  it('perMeeting: while several meetings are searched, at most that many passages of one come before the others; what it held back fills the list', () => {
    // "standup" talks of the login in two of its topics; "review" once, less; "budget" not at all.
    const TOPICS = ['the quarterly roadmap slide', 'the hiring plan for designers', 'the office move to the harbour', 'the conference travel budget'];
    const STANDUP: Line[] = [];
    for (let i = 0; i < 40; i++) STANDUP.push(['Erin', i % 10 === 3 ? `The login timeout on staging hit again, the login page hung, case ${i}.` : `We went through ${TOPICS[Math.floor(i / 10)]}, point ${i}.`]);
    const REVIEW: Line[] = [['Sam', 'The release notes are ready for Friday.'], ['Ana', 'Someone said the login was slow once.'], ['Sam', 'We ship the dark theme next week.']];
    const build = (over: Partial<RankingOptions> = {}) => {
      const index = new MemoryIndex({ ...DEFAULT_RANKING, ...over });
      index.put(record('standup', STANDUP, '2026-01-10T09:00:00Z'));
      index.put(record('review', REVIEW, '2026-01-12T09:00:00Z'));
      index.put(record('budget', BUDGET, '2026-01-14T12:00:00Z'));
      return index;
    };
    const q = 'what about the login timeout?';
    const shape = (ps: MemoryPassage[]) => ps.map((p) => `${p.meeting.sessionId}:${p.lines.map((l) => l.index).join(',')}`);
    const plain = shape(build().search({ query: q, limit: 8 }));
    assert.deepEqual(plain.map((p) => p.split(':')[0]), ['standup', 'standup', 'review'], plain.join(' '));
    const capped = (over: Partial<RankingOptions>, params: Partial<MemorySearchParams> = {}) => shape(build(over).search({ query: q, limit: 8, ...params }));
    // The review's passage comes up after one of the standup's; the other follows, as it was.
    assert.deepEqual(capped({ perMeeting: 1 }), [plain[0], plain[2], plain[1]]);
    assert.deepEqual(capped({ perMeeting: 1 }, { limit: 2 }), [plain[0], plain[2]]);
    assert.deepEqual(capped({ perMeeting: 2 }), plain);
    assert.deepEqual(capped({ perMeeting: 0 }), plain);
    // One meeting searched: nothing to make room for.
    assert.deepEqual(capped({ perMeeting: 1 }, { sessionIds: ['standup'] }), capped({}, { sessionIds: ['standup'] }));
    // The open meeting's leaders come first, past the limit per meeting (they count toward it), then the others.
    assert.deepEqual(capped({ perMeeting: 1, viewingShare: 0 }, { viewing: 'standup' }), plain);
    assert.deepEqual(capped({ perMeeting: 1, viewingShare: 0, viewingPassages: 1 }, { viewing: 'standup' }), [plain[0], plain[2], plain[1]]);
  });

  it('refuses a viewing that is not a session id', async () => {
    await assert.rejects(new Memory(storage).search({ query: 'x', viewing: 3 as never }), /viewing must be a non-empty string/);
  });

  it('a meeting replaced in the index keeps no words of its old version', () => {
    const index = new MemoryIndex();
    const record = (text: string) => ({
      meeting: { sessionId: 's', title: 't', startedAt: '2026-01-01T00:00:00Z', notesPath: '', durationSec: null },
      segments: [{ segmentId: 'x-1', speaker: 'A', t0: 0, t1: 1, text }], actionItems: [] as ActionItem[], decisions: [],
    });
    index.put(record('zebra crossing'));
    index.put(record('giraffe neck'));
    assert.equal(index.search({ query: 'zebra' }).length, 0);
    assert.equal(index.search({ query: 'giraffe' }).length, 1);
  });

  it('the same sentence in several meetings ranks newest meeting first, however often a meeting was indexed again', () => {
    const index = new MemoryIndex();
    const record = (sessionId: string, startedAt: string) => ({
      meeting: { sessionId, title: sessionId, startedAt, notesPath: '', durationSec: null },
      segments: [{ segmentId: `${sessionId}-1`, speaker: 'A', t0: 0, t1: 1, text: 'Alice will fix auth.ts by Friday.' }], actionItems: [] as ActionItem[], decisions: [],
    });
    const order = () => index.search({ query: 'who fixes auth.ts' }).map((p) => p.meeting.sessionId);
    index.put(record('old', '2026-01-01T09:00:00Z'));
    index.put(record('new', '2026-01-02T09:00:00Z'));
    index.put(record('mid', '2026-01-01T12:00:00Z'));
    assert.deepEqual(order(), ['new', 'mid', 'old']);
    index.put(record('new', '2026-01-02T09:00:00Z')); // its notes rewritten: indexed again, last in MiniSearch's order
    index.put(record('old', '2026-01-01T09:00:00Z'));
    assert.deepEqual(order(), ['new', 'mid', 'old']);
  });

  it('bounds a passage around its hit when one speaker has the whole meeting (lines and characters)', () => {
    const index = new MemoryIndex();
    index.put(record('mic', micOnly(1000, 500, 'The password is swordfish.')));
    const [p] = index.search({ query: 'password', neighbours: 5 });
    assert.equal(p.lines.length, MEMORY_PASSAGE_MAX_LINES);
    const at = p.lines.findIndex((l) => l.hit);
    assert.equal(p.lines[at].index, 501);
    assert.ok(Math.abs(at - (p.lines.length - 1 - at)) <= 1, `the hit is centred: line ${at} of ${p.lines.length}`);
    // Long lines: the characters bound comes first; the hit is always in.
    index.put(record('long', micOnly(50, 20, `The password is swordfish. ${'x'.repeat(1500)}`, (i) => `item ${i} ${'y'.repeat(1500)}`)));
    const [long] = index.search({ query: 'password', sessionIds: ['long'], neighbours: 5 });
    assert.ok(long.lines.some((l) => l.hit));
    assert.ok(long.lines.reduce((n, l) => n + l.text.length, 0) <= MEMORY_PASSAGE_MAX_CHARS);
    assert.equal(long.lines.length, 2);
  });

  it('cuts a hit line longer than MEMORY_HIT_LINE_MAX_CHARS around the question\'s word, in the line and hit.text (review 2, S10: m2_giant.js)', () => {
    const index = new MemoryIndex();
    const giant = `${'x'.repeat(1_000_000)} then the roadmap slipped a month ${'y'.repeat(1_000_000)}`;
    index.put(record('giant', [['You', 'filler one'], ['You', giant], ['You', 'filler two']]));
    for (const neighbours of [undefined, 5]) {
      const [p] = index.search({ query: 'roadmap', ...(neighbours === undefined ? {} : { neighbours }) });
      const hit = p.lines.find((l) => l.hit)!;
      for (const text of [hit.text, p.hit.text]) {
        assert.ok(text.length <= MEMORY_HIT_LINE_MAX_CHARS, `${text.length}`);
        assert.match(text, /^…x+ then the roadmap slipped a month y+…$/);
        const middle = text.indexOf('roadmap') / text.length;
        assert.ok(middle > 0.4 && middle < 0.6, `the word is near the middle: ${middle}`);
      }
      assert.ok(JSON.stringify(p).length < 3 * MEMORY_HIT_LINE_MAX_CHARS, `${JSON.stringify(p).length}`);
    }
    // A line that holds no word of the question is cut from its start.
    assert.equal(hitText(`${'z'.repeat(MEMORY_HIT_LINE_MAX_CHARS * 2)}`, 'roadmap'), `${'z'.repeat(MEMORY_HIT_LINE_MAX_CHARS - 2)}…`);
    // A long turn of a real transcript (a speech) stays whole: it fits a question's prompt as it is.
    const speech = `${'w'.repeat(MEMORY_PASSAGE_MAX_CHARS * 2)} roadmap`;
    assert.equal(hitText(speech, 'roadmap'), speech);
  });

  it('bounds an ask prompt by its size in tokens: a CJK character counts as about a token, not a quarter of one (review 2, S10)', () => {
    const cjk = Array.from({ length: 200 }, (_, i) => ({ meeting: '会议', t0: i, speaker: '发言人', text: '我们决定下周发布新版本并由产品团队负责'.repeat(7) }));
    const sent = promptLines(cjk);
    const han = [...askUserPrompt('q', sent)].filter((c) => /\p{Script=Han}/u.test(c)).length;
    assert.ok(han <= MEMORY_ASK_BOUND.chars / 4, `${han} Chinese characters (about as many tokens) for a bound of ~${MEMORY_ASK_BOUND.chars / 4} tokens`);
    assert.ok(promptChars(askUserPrompt('q', sent)) <= MEMORY_ASK_BOUND.chars + 20);
    // English lines of about as many tokens (133 Chinese characters, some 130 tokens; 500 English characters) fit as many.
    const english = promptLines(cjk.map((l) => ({ ...l, meeting: 'Meeting', speaker: 'Speaker', text: 'We decided to ship the new version next week. '.repeat(11) })));
    assert.ok(english.length > sent.length / 2 && english.length < sent.length * 2, `${english.length} English lines against ${sent.length}`);
    // A first line cut to the bound is cut between characters, never inside a surrogate pair.
    for (const pad of ['', 'a']) {
      const [cut] = promptLines([{ meeting: 'M', t0: 0, speaker: 'You', text: `${pad}${'👋'.repeat(MEMORY_ASK_BOUND.chars)}` }]);
      assert.ok(cut.text.length > 0 && !LONE_SURROGATE.test(cut.text), `${pad}: ${JSON.stringify(cut.text.slice(-4))}`);
    }
  });

  it('puts at most MEMORY_ASK_BOUND.lines lines and MEMORY_ASK_BOUND.chars characters in an ask prompt', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => ({ meeting: 'Standup (2026-01-10)', t0: i, speaker: 'You', text: `line ${i}` }));
    assert.equal(promptLines(lines).length, MEMORY_ASK_BOUND.lines);
    assert.equal(askUserPrompt('what?', lines).split('\n').filter((l) => l.startsWith('[')).length, MEMORY_ASK_BOUND.lines);
    const long = lines.map((l) => ({ ...l, text: 'z'.repeat(1900) }));
    const sent = promptLines(long);
    assert.ok(sent.length < 50 && askUserPrompt('what?', long).length <= MEMORY_ASK_BOUND.chars + 100, `${sent.length} lines`);
    // One line longer than the bound is cut to it, not left out.
    const [cut] = promptLines([{ ...lines[0], text: 'w'.repeat(3 * MEMORY_ASK_BOUND.chars) }]);
    assert.ok(cut.text.length > MEMORY_ASK_BOUND.chars / 2 && cut.text.length < MEMORY_ASK_BOUND.chars);
  });

  it('ranks each distinct query term once, at most MAX_QUERY_TERMS of them', () => {
    assert.deepEqual([...queryTerms('project '.repeat(250))], [['project', 250]]);
    assert.deepEqual([...queryTerms('Why does the LOGIN time out? login, Login!')], [['login', 3], ['time', 1], ['out', 1]]);
    const many = Array.from({ length: 100 }, (_, i) => `word${i}`).join(' ');
    assert.deepEqual([...queryTerms(many).keys()], Array.from({ length: MAX_QUERY_TERMS }, (_, i) => `word${i}`));
    // What MiniSearch is asked: the distinct terms, not the 2,000 characters.
    const index = new MemoryIndex();
    index.put(record('m', [['Alice', 'The project ships on Friday.'], ['Bob', 'Another project starts.']]));
    const asked: string[] = [];
    const search = MiniSearch.prototype.search;
    MiniSearch.prototype.search = function (this: MiniSearch, query, options) {
      asked.push(String(query));
      return search.call(this, query, options);
    };
    try {
      assert.match(index.search({ query: 'project '.repeat(250) })[0].hit.text, /project/);
      index.search({ query: many });
    } finally {
      MiniSearch.prototype.search = search;
    }
    // Each search asks the lines, the topical blocks and the meetings: the same terms each time.
    assert.deepEqual(asked.slice(0, 3), ['project', 'project', 'project']);
    assert.deepEqual(asked.slice(3).map((q) => q.split(' ').length), [MAX_QUERY_TERMS, MAX_QUERY_TERMS, MAX_QUERY_TERMS]);
  });

  it('a running MiniSearch vacuum and Delete All Data: no rejection, the index is empty and usable', async () => {
    // Over a thousand distinct words, so that the vacuum a replaced meeting starts waits between batches.
    const words = (m: string, n: number) => micOnly(n, -1, '', (i) => `${m}alpha${i} ${m}beta${i}`);
    const index = new MemoryIndex();
    index.put(record('a', words('a', 1500)));
    index.put(record('b', words('b', 1500)));
    assert.ok(index.search({ query: 'aalpha7' }).length > 0);
    index.put(record('a', words('a', 1501))); // a's old words discarded: MiniSearch vacuums them in the background
    const text = (index as unknown as { text: MiniSearch }).text; // the instance vacuuming
    assert.ok(text.isVacuuming);
    index.clear();
    await text.vacuum(); // settles once the running vacuum has: rejected with a TypeError on an emptied index
    assert.equal(index.sessionCount, 0);
    assert.equal(index.search({ query: 'aalpha7' }).length, 0);
    index.put(record('c', words('c', 3)));
    assert.equal(index.search({ query: 'calpha1' }).length, 1);
  });

  it('builds the full-text index only for a request that ranks (todo and the meeting list need none)', async () => {
    const index = await new StoredMemory(storage).sync();
    assert.equal(index.todo().length, 3);
    assert.equal(index.meetingList().length, 2);
    assert.equal(index.decisions({}).length, 1);
    assert.equal(index.indexedDocuments, 0);
    assert.equal(index.search({ query: 'login' })[0].meeting.sessionId, A);
    assert.equal(index.indexedDocuments, 9 + 3 + 1); // segments, items, the decision
  });

  it('one journal header without a start time or with a title that is not text leaves the other meetings working', async () => {
    const C = '20260115T100000-cccccc';
    // Bob's line of the login meeting, word for word: it ranks first (its meeting says little else), the login meeting next.
    const bad = writeJournal(storage, C, { startedAt: undefined, title: 42 }, [LOGIN[1], ['Dana', 'And the budget again.']]);
    const stamp = new Date('2026-01-15T10:30:00.000Z');
    fs.utimesSync(bad, stamp, stamp);
    const index = await new StoredMemory(storage).sync();
    assert.deepEqual(index.meetingList().map((m) => [m.sessionId, m.startedAt]),
      [[B, '2026-01-20T14:00:00.000Z'], [C, stamp.toISOString()], [A, '2026-01-10T09:00:00.000Z']]);
    assert.equal(index.meetingList()[1].title, C);
    const [first, second] = index.search({ query: 'login page times out after thirty seconds', limit: 2, neighbours: 0 });
    assert.deepEqual([first.meeting.sessionId, second.meeting.sessionId], [C, A]);
    assert.deepEqual(index.search({ query: 'login budget', since: '2026-01-12', limit: 10 }).map((p) => p.meeting.sessionId).sort(), [B, C].sort());
    assert.deepEqual(new Set(index.search({ query: 'login', until: '2026-01-12', limit: 10 }).map((p) => p.meeting.sessionId)), new Set([A]));
    // Records given to the index directly (not through a journal) may lack a start too: it sorts last.
    const same = new MemoryIndex();
    for (const [id, startedAt] of [['x', '2026-01-02'], ['y', undefined], ['z', '2026-01-03']] as const) {
      const r = record(id, [['A', 'Alice will fix auth.ts by Friday.']]);
      r.meeting.startedAt = startedAt as string;
      same.put(r);
    }
    assert.deepEqual(same.search({ query: 'auth.ts Friday', limit: 5 }).map((p) => p.meeting.sessionId), ['z', 'x', 'y']);
    assert.deepEqual(same.meetingList().map((m) => m.sessionId), ['z', 'x', 'y']);
    assert.deepEqual(same.search({ query: 'auth.ts', since: '2026-01-01', limit: 5 }).map((p) => p.meeting.sessionId), ['z', 'x']);
  });

  it('a sync under way when Delete All Data drops the index does not put back what it read before', async () => {
    let entered!: () => void;
    const reading = new Promise<void>((r) => { entered = r; });
    let release!: () => void;
    const released = new Promise<void>((r) => { release = r; });
    const memory = new StoredMemory(storage, undefined, undefined, {
      journal: async (file) => {
        const journal = await readJournal(file);
        if (file === loginFile) {
          entered();
          await released; // Delete All Data lands here, between the read and the index
        }
        return journal;
      },
    });
    const syncing = memory.sync();
    await reading;
    fs.rmSync(loginFile);
    memory.drop();
    release();
    const index = await syncing;
    assert.deepEqual(index.sessionIds(), [B]);
    assert.equal(index.search({ query: 'login token' }).length, 0);
  });

  it('a notes file rewritten while a sync reads it is read again at the next use (its lines are never left stale)', async () => {
    // Seen in the editor suite (CI, 2026-12-01): the last meeting's notes were rewritten (atomically, protocol/atomicWrite.ts)
    // just after a sync read them; the sync took the new file's size and time as seen, so the index kept the old words and
    // every citation of that meeting fell back to its transcript.
    const notesPath = path.join(storage, 'notes', `${A}.md`);
    const final = fs.readFileSync(notesPath, 'utf8');
    fs.writeFileSync(notesPath, '# Release sync\n\nBeing written.\n');
    let rewritten = false;
    const memory = new StoredMemory(storage, undefined, undefined, {
      notes: async (file) => {
        const text = await fs.promises.readFile(file, 'utf8');
        if (file === notesPath && !rewritten) {
          rewritten = true; // the final notes land here, after this read and before anything after it
          fs.writeFileSync(`${notesPath}.tmp`, final);
          fs.renameSync(`${notesPath}.tmp`, notesPath);
        }
        return text;
      },
    });
    const query = { query: 'why does the login time out?', neighbours: 1 };
    const [first] = (await memory.sync()).search(query);
    assert.equal(first.meeting.sessionId, A);
    assert.ok(rewritten, 'the rewrite landed during the first sync');
    assert.ok(first.lines.every((l) => l.notesLine === undefined), 'the old words have no transcript lines');
    const [next] = (await memory.sync()).search(query);
    const lines = final.split('\n');
    assert.ok(next.lines.length > 0);
    for (const l of next.lines) assert.ok(l.notesLine !== undefined && lines[l.notesLine - 1].includes(l.text.slice(0, 20)), `line ${l.notesLine}`);
  });

  it('leaves dictations out of search as out of the meeting list (a dictation named to ask --over is searched)', async () => {
    const dictation = writeJournal(storage, '20260121T080000-dddddd', { mode: 'dictation', startedAt: '2026-01-21T08:00:00.000Z' }, [['You', 'Budget laptops purchase order.']]);
    const index = await new StoredMemory(storage).sync();
    assert.deepEqual(index.meetingList().map((m) => m.sessionId), [B, A]);
    assert.equal(index.sessionCount, index.meetingList().length);
    const found = index.search({ query: 'budget laptops purchase order', limit: 50 });
    assert.ok(found.length > 0 && found.every((p) => p.meeting.sessionId !== '20260121T080000-dddddd'));
    assert.equal((await readTranscriptFile(dictation)).record.dictation, false);
  });
});
