import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Journal, JOURNAL_VERSION, JournalRecord, readJournal, segmentsOf, summarySoFarOf } from '../../daemon/journal/journal';

const HEADER = {
  sessionId: 's1', title: 'Standup', startedAt: '2025-03-05T09:00:00.000Z', sources: ['file' as const], language: 'en',
  notesPath: '/notes/standup.md', audioFile: '/audio/standup.wav',
};

const segment = (segmentId: string, t0: number, text: string): JournalRecord => ({
  type: 'segment', segmentId, source: 'file', speaker: 'Speaker', t0, t1: t0 + 1, text,
});

describe('Journal', () => {
  let dir: string;
  beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'earshot-journal-')); });
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }); });

  it('round-trips the header and appended records, in order', async () => {
    const file = path.join(dir, 'nested', 'sessions', 's1.jsonl');
    const journal = await Journal.create(file, HEADER);
    const records: JournalRecord[] = [
      segment('file-1', 0.5, 'hello hello'),
      { type: 'actionItem', id: 'a1', revision: 1, text: "I'll fix it.", owner: 'Bob', due: '2025-03-07', duePhrase: 'by Friday', segmentId: 'file-1', t0: 0.5 },
      { type: 'decision', id: 'd2', revision: 1, kind: 'decision', text: 'We decided to ship.', segmentId: 'file-2', t0: 3 },
      segment('file-2', 3, 'ünïcödé "quotes" \\ and\nnewline'),
      { type: 'end', stoppedAt: '2025-03-05T09:10:00.000Z', capturedSec: 600 },
    ];
    // Appends that are not awaited one by one still land in call order.
    await Promise.all(records.map((r) => journal.append(r)));
    await journal.close();

    const contents = await readJournal(file);
    assert.deepEqual(contents.header, { type: 'session', version: JOURNAL_VERSION, ...HEADER });
    assert.deepEqual(contents.records, [contents.header, ...records]);
    assert.equal(contents.tornTail, false);
    const text = await fs.readFile(file, 'utf8');
    assert.equal(text.split('\n').length, records.length + 2, 'one line per record, newline-terminated');
    assert.ok(text.endsWith('\n'));
  });

  it('appendAll writes its records in one write, in call order with single appends (a final\'s pieces: all or none)', async () => {
    const file = path.join(dir, 's1.jsonl');
    const journal = await Journal.create(file, HEADER);
    // Count the file writes (FileHandle.appendFile: the one write a record takes, journal.ts).
    const handleClass = Object.getPrototypeOf(await fs.open(file, 'r').then(async (h) => (await h.close(), h)));
    const appendFile = handleClass.appendFile;
    const writes: string[] = [];
    handleClass.appendFile = function (this: unknown, data: string, ...rest: unknown[]) {
      writes.push(data);
      return appendFile.call(this, data, ...rest);
    };
    try {
      const pieces = [segment('file-4', 4, 'one voice'), segment('file-4.2', 5, 'the other')];
      await Promise.all([journal.appendAll(pieces), journal.append(segment('file-5', 6, 'next'))]);
      assert.equal(writes.length, 2);
      assert.equal(writes[0].split('\n').length, 3, 'both pieces in the first write');
    } finally {
      handleClass.appendFile = appendFile;
    }
    await journal.close();
    assert.deepEqual((await readJournal(file)).records.slice(1).map((r) => r.type === 'segment' && r.segmentId), ['file-4', 'file-4.2', 'file-5']);
  });

  it('summarySoFarOf: the last revision of the rolling summary to roll on from, and every one before it (the settle reads what they dropped)', () => {
    const revision = (chunks: number, ...texts: string[]): JournalRecord => ({
      type: 'summary', at: '2025-03-05T09:05:00.000Z', provider: 'local', by: 'm', chunks, points: texts.map((text) => ({ text, segmentIds: ['m-1'] })),
    });
    const sofar = summarySoFarOf([segment('file-1', 0, 'x'), revision(1, 'a'), revision(2), revision(3, 'b', 'c')]);
    assert.deepEqual([sofar.chunks, sofar.points.map((p) => p.text), sofar.earlier.map((r) => r.map((p) => p.text))], [3, ['b', 'c'], [['a']]]);
    assert.deepEqual(summarySoFarOf([segment('file-1', 0, 'x')]), { points: [], chunks: 0, earlier: [] });
  });

  it('creates the file with mode 0600 (transcripts are private)', async function () {
    if (process.platform === 'win32') this.skip();
    const file = path.join(dir, 'private.jsonl');
    const journal = await Journal.create(file, HEADER);
    await journal.close();
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
  });

  it('refuses to overwrite an existing journal', async () => {
    const file = path.join(dir, 'existing.jsonl');
    await fs.writeFile(file, 'precious\n');
    await assert.rejects(Journal.create(file, HEADER), (e: NodeJS.ErrnoException) => e.code === 'EEXIST');
    assert.equal(await fs.readFile(file, 'utf8'), 'precious\n', 'the existing file is untouched');
  });

  it('ignores a torn last line and keeps every record before it', async () => {
    const file = path.join(dir, 'torn.jsonl');
    const journal = await Journal.create(file, HEADER);
    await journal.append(segment('file-1', 1, 'hello'));
    await journal.append(segment('file-2', 2, 'hello hello'));
    await journal.close();
    await fs.appendFile(file, '{"type":"segment","segmentId":"file-3","t0":3,"te');
    const contents = await readJournal(file);
    assert.equal(contents.tornTail, true);
    assert.deepEqual(contents.records.map((r) => r.type), ['session', 'segment', 'segment']);
    assert.deepEqual(segmentsOf(contents.records).map((s) => s.segmentId), ['file-1', 'file-2']);
  });

  it('survives a power loss that tore the last line inside a multi-byte UTF-8 character', async () => {
    const file = path.join(dir, 'power-loss.jsonl');
    const journal = await Journal.create(file, HEADER);
    await journal.append(segment('file-1', 1, 'déjà vu'));
    await journal.append(segment('file-2', 2, '日本語 ok'));
    await journal.close();
    const line = Buffer.from(JSON.stringify(segment('file-3', 3, 'naïve 日本')) + '\n', 'utf8');
    // Cut after the first byte of "日" (three bytes) and after the first byte of "ï" (two bytes).
    for (const cut of [line.indexOf(Buffer.from('日')) + 1, line.indexOf(Buffer.from('ï')) + 1]) {
      const before = await fs.readFile(file);
      await fs.appendFile(file, line.subarray(0, cut));
      const contents = await readJournal(file);
      assert.equal(contents.tornTail, true);
      assert.deepEqual(segmentsOf(contents.records).map((s) => s.text), ['déjà vu', '日本語 ok']);
      const reopened = await Journal.reopen(file);
      await reopened.close();
      assert.deepEqual(await fs.readFile(file), before, 'reopening cuts exactly the torn bytes');
    }
  });

  it('throws on corruption in the middle, naming the file and line', async () => {
    const file = path.join(dir, 'corrupt.jsonl');
    const journal = await Journal.create(file, HEADER);
    await journal.append(segment('file-1', 1, 'hello'));
    await journal.close();
    await fs.appendFile(file, 'not json at all\n' + JSON.stringify(segment('file-2', 2, 'hello')) + '\n');
    await assert.rejects(readJournal(file), (e: Error) => {
      assert.match(e.message, /corrupt/);
      assert.ok(e.message.includes(file));
      assert.match(e.message, /line 3/);
      return true;
    });
  });

  it('refuses a file without a session header', async () => {
    const file = path.join(dir, 'headless.jsonl');
    await fs.writeFile(file, JSON.stringify(segment('file-1', 1, 'hello')) + '\n');
    await assert.rejects(readJournal(file), /no session header/);
    await fs.writeFile(file, '');
    await assert.rejects(readJournal(file), /no session header/);
  });

  it('segmentsOf returns final segments in capture-time order without the record type', () => {
    const records: JournalRecord[] = [
      { type: 'session', version: 1, ...HEADER },
      segment('mic-2', 5, 'b'),
      { type: 'decision', id: 'd1', revision: 1, kind: 'decision', text: 'x', segmentId: 'mic-2', t0: 5 },
      segment('system-1', 1, 'a'),
      segment('mic-1', 5, 'c'),
    ];
    records[4] = { ...(records[4] as Extract<JournalRecord, { type: 'segment' }>), t1: 5.5 };
    const segments = segmentsOf(records);
    assert.deepEqual(segments.map((s) => s.segmentId), ['system-1', 'mic-1', 'mic-2']);
    assert.ok(segments.every((s) => !('type' in s)));
  });

  describe('reopened for append (a finished session\'s item marked done)', () => {
    async function finished(file: string): Promise<void> {
      const journal = await Journal.create(file, HEADER);
      await journal.append({ type: 'workspace', root: '/home/ana/shop' });
      await journal.append(segment('file-1', 1, 'hello'));
      await journal.append({ type: 'end', stoppedAt: '2025-03-05T09:10:00.000Z', capturedSec: 10 });
      await journal.close();
    }
    const done: JournalRecord = { type: 'actionItem', id: 'a1', revision: 2, text: 'x', owner: null, due: null, duePhrase: null, segmentId: 'file-1', t0: 1, done: true };

    it('appends after the end record and keeps every record before it', async () => {
      const file = path.join(dir, 'done.jsonl');
      await finished(file);
      const before = await fs.readFile(file, 'utf8');
      const journal = await Journal.reopen(file);
      await journal.append(done);
      await journal.close();
      const text = await fs.readFile(file, 'utf8');
      assert.ok(text.startsWith(before));
      const contents = await readJournal(file);
      assert.deepEqual(contents.records.map((r) => r.type), ['session', 'workspace', 'segment', 'end', 'actionItem']);
      assert.deepEqual(contents.records[4], done);
    });

    it('cuts a torn last line off first, so the journal stays readable', async () => {
      const file = path.join(dir, 'torn-done.jsonl');
      await finished(file);
      await fs.appendFile(file, '{"type":"actionItem","id":"a1","rev');
      const journal = await Journal.reopen(file);
      await journal.append(done);
      await journal.close();
      const contents = await readJournal(file);
      assert.equal(contents.tornTail, false);
      assert.deepEqual(contents.records.map((r) => r.type), ['session', 'workspace', 'segment', 'end', 'actionItem']);
    });

    it('cuts a torn tail longer than one read', async () => {
      const file = path.join(dir, 'long-torn.jsonl');
      await finished(file);
      await fs.appendFile(file, `{"type":"segment","text":"${'x'.repeat(10_000)}`);
      const journal = await Journal.reopen(file);
      await journal.append(done);
      await journal.close();
      assert.deepEqual((await readJournal(file)).records.map((r) => r.type), ['session', 'workspace', 'segment', 'end', 'actionItem']);
    });

    it('keeps a whole last record that lost its newline, and ends it', async () => {
      const file = path.join(dir, 'no-newline.jsonl');
      await finished(file);
      await fs.appendFile(file, JSON.stringify(segment('file-2', 2, 'kept')));
      assert.deepEqual(segmentsOf((await readJournal(file)).records).map((s) => s.segmentId), ['file-1', 'file-2'], 'readJournal counts it');
      const journal = await Journal.reopen(file);
      await journal.append(done);
      await journal.close();
      const contents = await readJournal(file);
      assert.deepEqual(contents.records.map((r) => r.type), ['session', 'workspace', 'segment', 'end', 'segment', 'actionItem'], 'reopen keeps it too');
    });

    it('refuses a journal that is not there', async () => {
      await assert.rejects(Journal.reopen(path.join(dir, 'missing.jsonl')), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
    });
  });
});
