import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ActionItem, ErrorCodes, NotesWrittenParams } from '../../protocol/protocol';
import { Journal, JournalRecord, readJournal, SessionHeader } from '../../daemon/journal/journal';
import { ActionItemDoneError, markDoneInJournal } from '../../daemon/documents/done';
import { renderNotes } from '../../daemon/documents/markdown';
import { MY_NOTES_END, MY_NOTES_START, parsePreviousNotes } from '../../daemon/documents/previousNotes';
import { EarshotService, ServiceError } from '../../daemon/service';

type ItemRecord = Extract<JournalRecord, { type: 'actionItem' }>;
const item = (id: string, revision: number, text: string, extra: Partial<ItemRecord> = {}): ItemRecord =>
  ({ type: 'actionItem', id, revision, text, owner: 'You', due: null, duePhrase: null, segmentId: 'm-1', t0: 4, ...extra });

describe('marking action items done in an earlier session (its journal reopened)', () => {
  let dir: string;
  let journalPath: string;
  let notesPath: string;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-done-'));
    journalPath = path.join(dir, 'storage', 'sessions', 's-7.jsonl');
    notesPath = path.join(dir, 'ws', '.earshot', 'notes', 'review.md');
    const header: Omit<SessionHeader, 'type' | 'version'> = {
      sessionId: 's-7', title: 'Review', startedAt: '2025-03-05T09:00:00.000Z', sources: ['mic'], language: 'en', notesPath,
    };
    const journal = await Journal.create(journalPath, header);
    for (const record of [
      { type: 'segment', segmentId: 'm-1', source: 'mic', speaker: 'You', t0: 4, t1: 6, text: 'I will write the tests. I will update the docs.' },
      item('a1', 1, 'I will write the tests.'),
      item('a2', 1, 'I will update the docs.'),
      item('a3', 1, 'I will fix the build.'),
      item('a3', 2, 'I will fix the build.', { removed: true }),
      { type: 'end', stoppedAt: '2025-03-05T09:30:00.000Z', capturedSec: 1800 },
    ] as JournalRecord[]) await journal.append(record);
    await journal.close();
    fs.mkdirSync(path.dirname(notesPath), { recursive: true });
    fs.writeFileSync(notesPath, renderNotes(await readJournal(journalPath)));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const itemRecords = async () => (await readJournal(journalPath)).records.filter((r): r is ItemRecord => r.type === 'actionItem');

  it('appends a revision with done after the end record, answers it, and ticks the item in the notes', async () => {
    const answer = await markDoneInJournal(journalPath, 'a1', true);
    const { type: _type, ...expected } = item('a1', 2, 'I will write the tests.', { done: true });
    assert.deepEqual(answer, { sessionId: 's-7', ...expected });
    const records = (await readJournal(journalPath)).records;
    assert.deepEqual(records.map((r) => r.type).slice(-2), ['end', 'actionItem']);
    const notes = fs.readFileSync(notesPath, 'utf8');
    assert.ok(notes.includes('- [x] I will write the tests. — @You _(00:04)_ <!-- earshot:a1 done -->'), notes);
    assert.ok(notes.includes('- [ ] I will update the docs. — @You _(00:04)_ <!-- earshot:a2 -->'), notes);
    // And back.
    const undone = await markDoneInJournal(journalPath, 'a1', false);
    assert.equal(undone.revision, 3);
    assert.equal(undone.done, false);
    assert.ok(fs.readFileSync(notesPath, 'utf8').includes('- [ ] I will write the tests. — @You _(00:04)_ <!-- earshot:a1 -->'));
  });

  it('marking an item as it already is writes nothing', async () => {
    const before = fs.readFileSync(journalPath, 'utf8');
    const answer = await markDoneInJournal(journalPath, 'a2', false);
    assert.equal(answer.revision, 1);
    assert.equal(fs.readFileSync(journalPath, 'utf8'), before);
  });

  it('two ticks at once get revisions one after the other', async () => {
    const [a, b] = await Promise.all([markDoneInJournal(journalPath, 'a1', true), markDoneInJournal(journalPath, 'a1', false)]);
    assert.deepEqual([a.revision, a.done, b.revision, b.done], [2, true, 3, false]);
    assert.deepEqual((await itemRecords()).filter((r) => r.id === 'a1').map((r) => r.revision), [1, 2, 3]);
  });

  it('reads boxes ticked by hand back as revisions too; the requested item follows the request', async () => {
    const file = fs.readFileSync(notesPath, 'utf8')
      .replace('- [ ] I will update the docs.', '- [x] I will update the docs.')
      .replace('- [ ] I will write the tests.', '- [x] I will write the tests.');
    fs.writeFileSync(notesPath, file);
    await markDoneInJournal(journalPath, 'a1', false);
    const latest = new Map((await itemRecords()).map((r) => [r.id, r]));
    assert.equal(latest.get('a2')?.done, true, 'the hand tick was read back');
    assert.equal(latest.get('a1')?.done ?? false, false);
    const notes = fs.readFileSync(notesPath, 'utf8');
    assert.ok(notes.includes('- [x] I will update the docs. — @You _(00:04)_ <!-- earshot:a2 done -->'), notes);
    assert.ok(notes.includes('- [ ] I will write the tests. — @You _(00:04)_ <!-- earshot:a1 -->'), notes);
  });

  it('an unknown or withdrawn item is a clear error, and nothing is written', async () => {
    const before = fs.readFileSync(journalPath, 'utf8');
    await assert.rejects(markDoneInJournal(journalPath, 'a9', true), (e: unknown) =>
      e instanceof ActionItemDoneError && e.reason === 'unknown' && /no action item "a9" \(its items: a1, a2, a3\)/.test(e.message));
    await assert.rejects(markDoneInJournal(journalPath, 'a3', true), (e: unknown) =>
      e instanceof ActionItemDoneError && e.reason === 'removed' && /a3 of session s-7 was withdrawn/.test(e.message) && !e.message.includes('fix the build'));
    assert.equal(fs.readFileSync(journalPath, 'utf8'), before);
  });

  it('recreates a notes file the user deleted', async () => {
    fs.rmSync(notesPath);
    await markDoneInJournal(journalPath, 'a2', true);
    assert.ok(fs.readFileSync(notesPath, 'utf8').includes('- [x] I will update the docs.'));
  });

  describe('through the service (earshot/actionItem/setDone, earshot/notes/rewrite)', () => {
    const events: ActionItem[] = [];
    const written: NotesWrittenParams[] = [];
    const service = () => new EarshotService({
      storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: path.join(dir, 'no-model.bin'), language: 'en', threads: 1, gpu: false,
    }, {
      transcript: () => undefined, actionItem: (i) => events.push(i), decision: () => undefined, state: () => undefined, modelState: () => undefined,
      notesWritten: (p) => written.push(p),
    });
    beforeEach(() => { written.length = 0; });

    it('rewrite renders over the file as the user left it (a remote window\'s copy put in place): My notes kept, hand ticks journaled; notesWritten follows', async () => {
      const mine = 'Ask about the staging box.\n';
      const user = fs.readFileSync(notesPath, 'utf8');
      const from = user.indexOf('\n', user.indexOf(MY_NOTES_START)) + 1;
      fs.writeFileSync(notesPath, (user.slice(0, from) + mine + user.slice(user.indexOf(MY_NOTES_END))).replace('- [ ] I will write the tests.', '- [x] I will write the tests.'));
      await service().rewriteNotes('s-7');
      const now = fs.readFileSync(notesPath, 'utf8');
      assert.equal(parsePreviousNotes(now).myNotes, mine);
      assert.match(now, /- \[x\] I will write the tests\.[^\n]*earshot:a1 done/, 'the hand tick is journaled and written as Earshot\'s');
      const a1 = (await readJournal(journalPath)).records.filter((r) => r.type === 'actionItem' && r.id === 'a1').pop() as ItemRecord;
      assert.equal(a1.done, true);
      assert.deepEqual(written, [{ sessionId: 's-7', notesPath }]);
      await assert.rejects(service().rewriteNotes('s-8'), (e: unknown) => e instanceof ServiceError && e.code === ErrorCodes.SessionNotFound);
    });

    it('a tick in a stored session announces the notes write (the remote copy follows it)', async () => {
      await service().setActionItemDone({ sessionId: 's-7', id: 'a2', done: true });
      assert.deepEqual(written, [{ sessionId: 's-7', notesPath }]);
    });
    const rejectsWith = (promise: Promise<unknown>, code: number, message: RegExp) => assert.rejects(promise, (e: unknown) =>
      e instanceof ServiceError && e.code === code && message.test(e.message));

    it('finds the session in storage by id and marks the item', async () => {
      const answer = await service().setActionItemDone({ sessionId: 's-7', id: 'a2', done: true });
      assert.deepEqual([answer.sessionId, answer.id, answer.revision, answer.done], ['s-7', 'a2', 2, true]);
      assert.ok(fs.readFileSync(notesPath, 'utf8').includes('- [x] I will update the docs.'));
      assert.deepEqual(events, [], 'no notification for a session that is not running');
    });

    it('answers SessionNotFound for an unknown session (or one named like a path), InvalidParams for an unknown or withdrawn item', async () => {
      const svc = service();
      await rejectsWith(svc.setActionItemDone({ sessionId: 's-8', id: 'a1', done: true }), ErrorCodes.SessionNotFound, /No session s-8/);
      await rejectsWith(svc.setActionItemDone({ sessionId: '../sessions/s-7', id: 'a1', done: true }), ErrorCodes.SessionNotFound, /No session/);
      await rejectsWith(svc.setActionItemDone({ sessionId: 's-7', id: 'zz', done: true }), ErrorCodes.InvalidParams, /no action item "zz"/);
      await rejectsWith(svc.setActionItemDone({ sessionId: 's-7', id: 'a3', done: true }), ErrorCodes.InvalidParams, /withdrawn/);
    });
  });
});
