/**
 * `earshot ask` and `earshot todo` as a real process (bin/earshot.js) on hostile input: paths that are not transcript
 * files (a FIFO, a device, a folder, a file over the size cap) and transcript text carrying terminal control sequences.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MAX_TRANSCRIPT_BYTES } from '../../daemon/cli/memory';
import { Journal, JournalRecord } from '../../daemon/journal/journal';
import { runEarshot } from './daemon-process';

/** What a terminal acts on: ESC, BEL, CSI (U+009B), a lone CR, the bidi overrides and isolates. */
const ACTIVE = /[\u001b\u0007\u009b\r\u202a-\u202e\u2066-\u2069]/;
/** The reviewer's esc.txt: a title change and colours inside a transcript line. */
const ESC_LINE = 'Alice: the budget \u001b]0;PWNED-TITLE\u0007\u001b[31mred text\u001b[0m is approved';

describe('earshot ask and todo on hostile input (real process)', () => {
  let dir: string;
  let fifo: string | undefined;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-ask-it-')); });
  afterEach(() => {
    // A command blocked opening the FIFO for reading would never exit: opening the write end lets it go. Without a
    // reader this fails with ENXIO, as it should.
    if (!fifo) return;
    try {
      fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
    } catch { /* no reader */ }
    fifo = undefined;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a FIFO without opening it, and names what it is', async function () {
    if (process.platform === 'win32') this.skip();
    fifo = path.join(dir, 'fifo1');
    execFileSync('mkfifo', [fifo]);
    const run = await runEarshot(['ask', 'roadmap', '--over', fifo]);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stderr, `earshot: cannot read ${fifo}: it is a pipe (FIFO), not a transcript file\n`);
    assert.equal(run.stdout, '');
  });

  it('refuses a device (/dev/zero), a folder, and a file over the size cap (sparse: no disk used)', async function () {
    if (process.platform === 'win32') this.skip();
    const zero = await runEarshot(['ask', 'roadmap', '--over', '/dev/zero']);
    assert.equal(zero.code, 1);
    assert.equal(zero.stderr, 'earshot: cannot read /dev/zero: it is a device, not a transcript file\n');
    const folder = await runEarshot(['ask', 'roadmap', '--over', dir]);
    assert.equal(folder.code, 1);
    assert.equal(folder.stderr, `earshot: cannot read ${dir}: it is a folder\n`);
    const big = path.join(dir, 'big.txt');
    const fd = fs.openSync(big, 'w');
    try {
      fs.ftruncateSync(fd, MAX_TRANSCRIPT_BYTES + 1);
    } finally {
      fs.closeSync(fd);
    }
    const tooBig = await runEarshot(['ask', 'roadmap', '--over', big]);
    assert.equal(tooBig.code, 1);
    assert.equal(tooBig.stderr, `earshot: cannot read ${big}: it is larger than 64 MB, more than a transcript holds\n`);
    fs.rmSync(big);
  });

  it('ask prints transcript text with its control sequences escaped; --json keeps it exact', async () => {
    const esc = path.join(dir, 'esc.txt');
    const bidi = 'Bob: the budget total is \u202e0001\u202c, \u009b2Jcleared\rfake line';
    fs.writeFileSync(esc, `${ESC_LINE}\n${bidi}\n`);
    const text = await runEarshot(['ask', 'budget', '--over', esc]);
    assert.equal(text.code, 0, text.stderr);
    assert.doesNotMatch(text.stdout, ACTIVE);
    assert.ok(text.stdout.includes('Alice: the budget \\x1b]0;PWNED-TITLE\\x07\\x1b[31mred text\\x1b[0m is approved'), text.stdout);
    assert.ok(text.stdout.includes('Bob: the budget total is \\u202e0001\\u202c, \\x9b2Jcleared\\x0dfake line'), text.stdout);
    const json = await runEarshot(['ask', 'budget', '--over', esc, '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.doesNotMatch(json.stdout, ACTIVE, 'JSON escapes them too');
    const cited = (JSON.parse(json.stdout) as { cited: { speaker: string; text: string }[] }).cited;
    // The lone CR keeps Bob's line from parsing as `Speaker: text`: it is all text.
    assert.deepEqual(cited.map((c) => (c.speaker ? `${c.speaker}: ${c.text}` : c.text)), [ESC_LINE, bidi]);
  });

  it('todo prints item text, owner and meeting title from a journal with their control sequences escaped', async () => {
    const storage = path.join(dir, 'storage');
    const journal = await Journal.create(path.join(storage, 'sessions', '20260110T090000-abcdef.jsonl'), {
      sessionId: '20260110T090000-abcdef', title: 'Plan\u001b[2J', startedAt: '2026-01-10T09:00:00.000Z', sources: ['file'], language: 'en', notesPath: '',
    });
    await journal.append({ type: 'segment', segmentId: 'file-1', source: 'file', speaker: 'Dana', t0: 1, t1: 3, text: 'Send the order.' } as JournalRecord);
    await journal.append({
      type: 'actionItem', id: 'a1', revision: 1, text: 'Send the order\u001b]52;c;cm0gLXJmIH4=\u0007', owner: 'Dana\u0007\nEve', due: null, duePhrase: null,
      segmentId: 'file-1', t0: 1,
    });
    await journal.append({ type: 'end', stoppedAt: '2026-01-10T09:10:00.000Z', capturedSec: 3 });
    await journal.close();
    const run = await runEarshot(['todo'], { EARSHOT_STORAGE: storage });
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stdout, ACTIVE);
    assert.equal(run.stdout, 'Plan\\x1b[2J (2026-01-10)\n  - [ ] Send the order\\x1b]52;c;cm0gLXJmIH4=\\x07 — @Dana\\x07\\x0aEve (00:01)\n');
    const json = await runEarshot(['todo', '--json'], { EARSHOT_STORAGE: storage });
    const [item] = (JSON.parse(json.stdout) as { items: { item: { text: string; owner: string } }[] }).items;
    assert.deepEqual([item.item.text, item.item.owner], ['Send the order\u001b]52;c;cm0gLXJmIH4=\u0007', 'Dana\u0007\nEve']);
  });
});
