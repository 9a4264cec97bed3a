import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JournalContents, JournalRecord } from '../../daemon/journal/journal';
import { dueDate, extract, splitSentences, WARM_UP_LINES, warmUpExtraction } from '../../daemon/understanding/extract';
import { renderNotes } from '../../daemon/documents/markdown';
import { notesFileName } from '../../daemon/documents/notesFile';
import { writeFileAtomic } from '../../protocol/atomicWrite';
import { clock } from '../../protocol/markdownText';

/** Wednesday 5 March 2025, 09:00 local time. */
const MEETING = new Date(2025, 2, 5, 9, 0, 0);

const one = (speaker: string | null, text: string, t0: number | null = 12.5) => extract([{ speaker, text, t0 }], MEETING);

describe('Notes', () => {
  describe('extract', () => {
    it('finds a first-person commitment owned by the speaker, with its due date', () => {
      const found = one('Bob', "Um, so, yeah. I found the problem with the session token. I'll fix the login timeout by Friday.");
      assert.deepEqual(found.decisions, []);
      assert.deepEqual(found.actionItems, [{
        text: "I'll fix the login timeout by Friday.", owner: 'Bob', due: '2025-03-07', duePhrase: 'by Friday', t0: 12.5,
      }]);
    });

    it('finds a decision', () => {
      const found = one('Carol', 'Great, thanks. About the release: we decided to ship version two on Monday.');
      assert.deepEqual(found.actionItems, []);
      assert.deepEqual(found.decisions, [{ text: 'About the release: we decided to ship version two on Monday.', t0: 12.5, kind: 'decision', standing: 'decided' }]);
      assert.equal(one('Carol', 'We decided to ship version two on Monday.').decisions.length, 1);
      assert.equal(one('Carol', "Let's go with Postgres.").decisions.length, 1);
    });

    it('assigns a request to the person it names', () => {
      const found = one('Alice', 'Sam, can you update the docs?');
      assert.deepEqual(found.actionItems.map((i) => [i.text, i.owner, i.due]), [['Sam, can you update the docs?', 'Sam', null]]);
      assert.equal(one('Alice', 'Priya please review the patch by tomorrow.').actionItems[0].owner, 'Priya');
      assert.equal(one('Alice', 'Priya please review the patch by tomorrow.').actionItems[0].due, '2025-03-06');
    });

    it('does not take an interjection for a name', () => {
      for (const text of ['Okay, can you send me the logs?', 'So, can you check the build?', 'Well, could you look at it?']) {
        assert.ok(!one('Alice', text).actionItems.some((i) => i.owner === text.split(',')[0]), `${text} is owned by its first word`);
      }
    });

    it('records a shared need without an owner', () => {
      const found = one('Alice', 'We need to update the certificates before the 12th.');
      assert.deepEqual(found.actionItems.map((i) => [i.owner, i.due, i.duePhrase]), [[null, '2025-03-12', 'before the 12th']]);
    });

    it('leaves questions, hypotheticals, reported speech and refusals out', () => {
      for (const text of [
        'Can I take the review?',
        'Should I fix the login timeout by Friday?',
        'Is anything blocking anyone?',
        'She said she would fix the login timeout by Friday.',
        'He said that he would update the docs.',
        "If we had time I'd refactor the parser.",
        "If we have time, I'll refactor the parser.",
        'Maybe I will look at it next week.',
        'I will not fix that before Monday.',
        'Have we decided to ship on Monday?',
        'If we decided to ship on Monday, QA would need a week.',
        'Nope, I think we are fine.',
      ]) {
        const found = one('Bob', text);
        assert.deepEqual({ actionItems: found.actionItems, decisions: found.decisions }, { actionItems: [], decisions: [] }, `${JSON.stringify(text)} gave ${JSON.stringify(found)}`);
      }
    });

    it('works sentence by sentence and keeps each line\'s time and segment id', () => {
      const found = extract([
        { speaker: 'Bob', text: 'Nothing here. I will send the report by end of day.', t0: 3, segmentId: 's-1' },
        { speaker: 'Ann', text: 'We agreed to freeze the API.', t0: 9, segmentId: 's-2' },
      ], MEETING);
      assert.deepEqual(found.actionItems, [{
        text: 'I will send the report by end of day.', owner: 'Bob', due: '2025-03-05', duePhrase: 'by end of day', t0: 3, segmentId: 's-1',
      }]);
      assert.deepEqual(found.decisions, [{ text: 'We agreed to freeze the API.', t0: 9, segmentId: 's-2', kind: 'decision', standing: 'decided' }]);
    });

    it('gives each decision its standing where the rules can tell: a deferral is left open, a requirement said to come from outside is given', () => {
      const found = extract([
        { speaker: 'Ann', text: 'We decided to ship on Monday.', t0: 1 },
        { speaker: 'Bob', text: "We'll revisit the pricing after the demo.", t0: 2 },
        { speaker: 'Ann', text: "We were told we're not including teletext.", t0: 3 },
        { speaker: 'Bob', text: 'The client decided to go with the TV only version.', t0: 4 },
      ], MEETING);
      assert.deepEqual(found.decisions.map((d) => [d.t0, d.kind, d.standing]), [[1, 'decision', 'decided'], [2, 'deferral', 'open'], [3, 'negative', 'given'], [4, 'decision', 'given']]);
    });

    it('splits sentences on end punctuation', () => {
      assert.deepEqual(splitSentences('One. Two? Three!  Four'), ['One.', 'Two?', 'Three!', 'Four']);
    });

    it('dates due phrases relative to the meeting, forward', () => {
      assert.deepEqual(dueDate('I will do it by Friday', MEETING), { date: '2025-03-07', phrase: 'by Friday' });
      assert.equal(dueDate('I will do it on Monday', MEETING)?.date, '2025-03-10');
      assert.equal(dueDate('I will do it tomorrow', MEETING)?.date, '2025-03-06');
      assert.equal(dueDate('done by EOD', MEETING)?.date, '2025-03-05');
      assert.equal(dueDate('by the 3rd', MEETING)?.date, '2025-04-03', 'a day of month already past is next month');
      assert.equal(dueDate('I will do it', MEETING), undefined);
    });

    it('warms up on lines that go through its rules and date parsing (what a first final would otherwise pay for)', () => {
      const found = extract(WARM_UP_LINES, MEETING);
      assert.ok(found.actionItems.some((i) => i.due), 'an action item with a due date');
      assert.ok(found.decisions.length > 0, 'a decision');
      warmUpExtraction();
      warmUpExtraction(); // once per process: the second call does nothing
    });
  });

  describe('renderNotes', () => {
    const header = {
      type: 'session' as const, version: 1, sessionId: 's1', title: 'Release <sync> #1', startedAt: '2025-03-05T09:00:00.000Z',
      sources: ['file' as const], language: 'en', notesPath: '/n.md', audioFile: '/audio/stand_up.wav',
    };
    const seg = (segmentId: string, t0: number, speaker: string, text: string): JournalRecord => ({ type: 'segment', segmentId, source: 'file', speaker, t0, t1: t0 + 2, text });

    it('escapes Markdown and HTML in transcript text, titles and speakers', () => {
      const contents: JournalContents = {
        header,
        tornTail: false,
        records: [
          header,
          seg('f-2', 65, 'Bob', '<script>alert(1)</script> **bold** _it_ `code` [link](http://x) | pipe # hash \\ back'),
          seg('f-1', 3, 'Ann <b>', 'line one\n# not a heading\n- not a list'),
          { type: 'end', stoppedAt: '2025-03-05T09:10:00.000Z', capturedSec: 600 },
        ],
      };
      const md = renderNotes(contents);
      assert.ok(!/<script>|<\/script>|<b>/.test(md.replace(/\\</g, '')), 'no raw HTML tag survives');
      assert.ok(md.includes('\\<script\\>alert(1)\\</script\\>'), md);
      assert.ok(md.includes('\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\[link\\](http://x) \\| pipe \\# hash \\\\ back'), md);
      assert.ok(md.startsWith('# Release \\<sync\\> \\#1\n'), md);
      // Newlines in text cannot start a heading or a list item.
      assert.ok(md.includes('- **[00:03] Ann \\<b\\>:** line one \\# not a heading - not a list'), md);
      assert.ok(!md.split('\n').some((l) => l.startsWith('# not a heading')));
      // Transcript in capture-time order, with clock stamps.
      const transcript = md.slice(md.indexOf('## Transcript'));
      assert.ok(transcript.indexOf('[00:03]') < transcript.indexOf('[01:05]'));
      assert.match(md, /- \*\*Recording:\*\* stand\\_up\.wav/);
      assert.match(md, /- \*\*Duration:\*\* 10:00\n/);
      assert.match(md, /## Decisions\n\n_None recorded._/);
      assert.match(md, /## Action items\n\n_None recorded._/);
    });

    it('renders the latest revision of items and decisions, with owner and due date', () => {
      const md = renderNotes({
        header,
        tornTail: false,
        records: [
          header,
          { type: 'actionItem', id: 'a1', revision: 1, text: 'old text', owner: 'Bob', due: null, duePhrase: null, segmentId: 'f-1', t0: 10 },
          { type: 'actionItem', id: 'a1', revision: 2, text: "I'll fix the login timeout by Friday.", owner: 'Bob', due: '2025-03-07', duePhrase: 'by Friday', segmentId: 'f-1', t0: 10 },
          { type: 'decision', id: 'd2', revision: 1, kind: 'decision', text: 'We decided to ship on Monday.', segmentId: 'f-2', t0: 3700 },
        ],
      });
      assert.ok(!md.includes('old text'));
      assert.ok(md.includes("- [ ] I'll fix the login timeout by Friday. — @Bob, due 2025-03-07 _(00:10)_"), md);
      assert.ok(md.includes('- We decided to ship on Monday. _(1:01:40)_'), md);
      assert.ok(md.includes('- **Status:** in progress'), 'no end record: still in progress');
      assert.ok(md.includes('_Nothing was transcribed._'));
    });

    it('formats clock stamps', () => {
      assert.equal(clock(0), '00:00');
      assert.equal(clock(59.9), '00:59');
      assert.equal(clock(3599), '59:59');
      assert.equal(clock(3600), '1:00:00');
      assert.equal(clock(-3), '00:00');
    });
  });

  describe('notesFileName', () => {
    it('is YYYY-MM-DD-HHMM-<slug>.md in local time', () => {
      assert.equal(notesFileName(new Date(2025, 2, 5, 9, 7), 'Weekly Standup'), '2025-03-05-0907-weekly-standup.md');
      assert.equal(notesFileName(new Date(2025, 11, 31, 23, 59), '  Café: Q4 / "Review"!! '), '2025-12-31-2359-cafe-q4-review.md');
      assert.equal(notesFileName(new Date(2025, 0, 1, 0, 0), '../../etc/passwd'), '2025-01-01-0000-etc-passwd.md');
      assert.equal(notesFileName(new Date(2025, 0, 1, 0, 0), '日本語'), '2025-01-01-0000-meeting.md');
      assert.equal(notesFileName(new Date(2025, 0, 1, 0, 0), 'x'.repeat(200)), `2025-01-01-0000-${'x'.repeat(60)}.md`);
    });
  });

  describe('writeFileAtomic', () => {
    let dir: string;
    beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'earshot-notes-')); });
    afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }); });

    it('writes and replaces the file, leaving no temporary files', async () => {
      const file = path.join(dir, 'sub', 'notes.md');
      await writeFileAtomic(file, 'first');
      await Promise.all([writeFileAtomic(file, 'second'), writeFileAtomic(file, 'second')]);
      assert.equal(await fs.readFile(file, 'utf8'), 'second');
      assert.deepEqual(await fs.readdir(path.dirname(file)), ['notes.md']);
    });

    it('leaves no temporary file when the write fails', async () => {
      const target = path.join(dir, 'is-a-dir');
      await fs.mkdir(path.join(target, 'child'), { recursive: true });
      await assert.rejects(writeFileAtomic(target, 'x'));
      assert.deepEqual(await fs.readdir(dir), ['is-a-dir']);
    });
  });
});
