import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JournalContents, JournalRecord } from '../../daemon/journal/journal';
import { renderNotes } from '../../daemon/documents/markdown';
import { writeNotesFile } from '../../daemon/documents/notesFile';
import { NO_SUMMARY } from '../../daemon/documents/summarySection';
import { handTicks, MY_NOTES_END, MY_NOTES_START, parsePreviousNotes } from '../../daemon/documents/previousNotes';
import { FileSource } from '../../daemon/capture/source';
import { DEFAULT_STREAMING_OPTIONS } from '../../daemon/asr/streaming';
import { Session } from '../../daemon/session/session';
import { EnergyDetector } from '../../daemon/vad/energy';
import { SAMPLE_WAV } from '../setup';
import { FakeDecoder } from './fakes';

const header = {
  type: 'session' as const, version: 1, sessionId: 's1', title: 'Design review', startedAt: '2025-03-05T09:00:00.000Z',
  sources: ['mic' as const, 'system' as const], language: 'en', notesPath: '/n.md',
};
const seg = (segmentId: string, t0: number, speaker: string, text: string): JournalRecord => ({ type: 'segment', segmentId, source: 'mic', speaker, t0, t1: t0 + 2, text });
const item = (id: string, revision: number, text: string, owner: string | null, due: string | null, t0: number): JournalRecord =>
  ({ type: 'actionItem', id, revision, text, owner, due, duePhrase: null, segmentId: `x-${id}`, t0 });

function journal(extra: JournalRecord[] = [], ended = false): JournalContents {
  const records: JournalRecord[] = [
    header,
    seg('m-1', 3, 'You', 'So the proposal is a token bucket per API key, stored in Redis, refilled lazily on read.'),
    seg('m-2', 9, 'Others', 'Do we know if the vendor supports SSO?'),
    seg('m-3', 14, 'You', 'No idea, let us find out.'),
    seg('m-4', 20, 'You', "I'll fix the login timeout by Friday."),
    seg('m-5', 26, 'Others', "We're not adding a feature flag for this, the limiter ships to everyone."),
    item('a1', 2, "I'll fix the login timeout by Friday.", 'You', '2025-03-07', 20),
    item('a2', 1, 'Somebody has to update the runbook.', null, null, 30),
    { type: 'decision', id: 'd3', revision: 1, kind: 'negative', text: "We're not adding a feature flag for this.", segmentId: 'm-5', t0: 26 },
    ...extra,
  ];
  if (ended) records.push({ type: 'end', stoppedAt: '2025-03-05T09:30:00.000Z', capturedSec: 1800 });
  return { header, records, tornTail: false };
}

/** What a user does in their editor: writes into My notes (between the markers). */
function typeIntoMyNotes(file: string, text: string): string {
  const i = file.indexOf(MY_NOTES_START);
  assert.ok(i >= 0, 'the start marker is there');
  const from = file.indexOf('\n', i) + 1;
  const to = file.indexOf(MY_NOTES_END);
  return file.slice(0, from) + text + file.slice(to);
}

const USER_TEXT = [
  '### Follow-ups ✓',
  '',
  'Café meeting notes — 日本語, emoji 🎧, and `inline code`.',
  '- [x] my own task (not Earshot\'s) <!-- earshot:a2 -->',
  '',
  '```md',
  '## Transcript',
  '## Decisions',
  '```',
  '',
  '## A heading of my own',
  'trailing spaces   ',
  '',
].join('\n');

describe('Notes file', () => {
  it('has the layout of issue 5: title, date, participants, summary, decisions, action items, open questions, my notes, transcript', () => {
    const md = renderNotes(journal([], true));
    const order = ['# Design review', '- **Date:** 2025-03-05 09:00 UTC', '- **Participants:** You, Others', '## Summary', '## Decisions', '## Action items',
      '## Open questions', '## My notes', MY_NOTES_START, MY_NOTES_END, '## Transcript'];
    let at = -1;
    for (const o of order) {
      const next = md.indexOf(o, at + 1);
      assert.ok(next > at, `${o} comes next in\n${md}`);
      at = next;
    }
    assert.ok(md.includes('- **Not doing:** We\'re not adding a feature flag for this. _(00:26)_'), md);
    assert.ok(md.includes("- [ ] I'll fix the login timeout by Friday. — @You, due 2025-03-07 _(00:20)_ <!-- earshot:a1 -->"), md);
    assert.ok(md.includes('- [ ] Somebody has to update the runbook. _(00:30)_ <!-- earshot:a2 -->'), md);
    assert.ok(md.includes('## Open questions\n\n- Do we know if the vendor supports SSO? — Others _(00:09)_\n'), md);
    // No model: the Summary says plainly that there is none (no extractive sentences, no counts), ended or not.
    assert.ok(md.includes(`## Summary\n\n${NO_SUMMARY}\n\n## Decisions`), md);
    assert.ok(!md.includes('1 decision, 2 action items'), md);
    assert.ok(renderNotes(journal()).includes(`## Summary\n\n${NO_SUMMARY}\n`));
    assert.ok(md.includes('- **[00:03] You:** So the proposal'), md);
  });

  it('groups the decisions by standing under their headings (Decided, Left open, Given to the team), in meeting order within each', () => {
    const md = renderNotes(journal([
      { type: 'decision', id: 'dm1', revision: 1, kind: 'decision', standing: 'given', text: 'The remote is for TVs only.', segmentId: 'm-1', t0: 3, refinedBy: 'm1' },
      { type: 'decision', id: 'd1', revision: 1, kind: 'deferral', text: 'We revisit the colour at the next meeting.', segmentId: 'm-3', t0: 14 },
      { type: 'decision', id: 'd2', revision: 1, kind: 'decision', standing: 'decided', text: 'We go with the token bucket.', segmentId: 'm-4', t0: 20 },
      { type: 'decision', id: 'dm2', revision: 1, kind: 'negative', standing: 'given', text: 'No teletext.', segmentId: 'm-2', t0: 9, refinedBy: 'm1' },
    ], true));
    const section = md.slice(md.indexOf('## Decisions'), md.indexOf('## Action items'));
    assert.equal(section, [
      '## Decisions', '',
      '### Decided', '',
      '- We go with the token bucket. _(00:20)_',
      '- **Not doing:** We\'re not adding a feature flag for this. _(00:26)_', // journaled without a standing: decided, from its kind
      '',
      '### Left open', '',
      '- We revisit the colour at the next meeting. _(00:14)_', // a deferral without a standing: left open
      '',
      '### Given to the team', '',
      '- The remote is for TVs only. _(found by m1, 00:03)_',
      '- **Not doing:** No teletext. _(found by m1, 00:09)_',
      '', '',
    ].join('\n'));
  });

  it('keeps My notes byte for byte over repeated rewrites, and keeps ticked items ticked', () => {
    let file = renderNotes(journal());
    file = typeIntoMyNotes(file, USER_TEXT);
    file = file.replace("- [ ] I'll fix the login timeout", "- [x] I'll fix the login timeout");
    for (let n = 0; n < 5; n++) {
      const more = [seg(`late-${n}`, 100 + n, 'Others', `Late remark number ${n} about the cache eviction policy.`)];
      file = renderNotes(journal(more, n === 4), file);
      assert.equal(parsePreviousNotes(file).myNotes, USER_TEXT, `rewrite ${n}`);
      assert.ok(file.includes(`Late remark number ${n}`));
      assert.ok(file.includes("- [x] I'll fix the login timeout by Friday."), file);
      assert.ok(file.includes('- [ ] Somebody has to update the runbook.'), 'a tick inside My notes does not tick Earshot\'s item');
    }
    assert.equal(file.split(MY_NOTES_START).length, 2, 'one My notes section');
    assert.equal(file.split('\n## Transcript\n\n').length, 2, 'one transcript section');
  });

  it('keeps a tick when the item was revised (matched by id) and unticks when the user unticks', () => {
    let file = renderNotes(journal()).replace('- [ ] Somebody has to', '- [X] Somebody has to');
    file = renderNotes(journal([item('a2', 2, 'Somebody has to update the runbook for the new limiter.', 'Priya', '2025-03-10', 30)]), file);
    assert.ok(file.includes('- [x] Somebody has to update the runbook for the new limiter. — @Priya, due 2025-03-10'), file);
    file = renderNotes(journal(), file.replace('- [x] Somebody', '- [ ] Somebody'));
    assert.ok(file.includes('- [ ] Somebody has to update the runbook.'));
    // Without the id comment (the user deleted it), the text still matches.
    file = renderNotes(journal(), renderNotes(journal()).replace(/- \[ \] (I'll fix the login timeout by Friday\..*?) <!-- earshot:a1 -->/, '- [x] $1'));
    assert.ok(file.includes("- [x] I'll fix the login timeout by Friday."), file);
  });

  it('keeps the user\'s text when the user mangled Earshot\'s sections or markers', () => {
    const base = typeIntoMyNotes(renderNotes(journal()), USER_TEXT);
    const manglings: [string, (f: string) => string][] = [
      ['end marker deleted', (f) => f.replace(MY_NOTES_END + '\n', '')],
      ['start marker deleted', (f) => f.replace(MY_NOTES_START + '\n', '')],
      ['both markers deleted', (f) => f.replace(MY_NOTES_START + '\n', '').replace(MY_NOTES_END + '\n', '')],
      ['heading and start marker deleted', (f) => f.replace('## My notes\n\n' + MY_NOTES_START + '\n', '')],
      ['summary, decisions and open questions deleted', (f) => f.slice(0, f.indexOf('## Summary')) + f.slice(f.indexOf('## Action items'), f.indexOf('## Open questions')) + f.slice(f.indexOf('## My notes'))],
      ['transcript deleted', (f) => f.slice(0, f.lastIndexOf('\n## Transcript\n'))],
      ['CRLF line endings', (f) => f.replace(/\n/g, '\r\n')],
    ];
    for (const [what, mangle] of manglings) {
      const mangled = mangle(base);
      const again = renderNotes(journal(), mangled);
      const kept = parsePreviousNotes(again).myNotes ?? '';
      const expected = what === 'CRLF line endings' ? USER_TEXT.replace(/\n/g, '\r\n') : USER_TEXT;
      assert.ok(kept.includes(expected.trim()), `${what}: ${JSON.stringify(kept)}`);
      assert.equal(again.split('\n## Transcript\n\n').length, 2, `${what}: one transcript`);
      // And from then on it is stable.
      assert.equal(renderNotes(journal(), again), again, `${what}: a second rewrite changes nothing`);
    }
    // A file the user replaced with their own text entirely: all of it is kept.
    const own = 'Just my thoughts.\n\n### Risks\n- none\n';
    assert.equal(parsePreviousNotes(renderNotes(journal(), own)).myNotes, own);
  });

  describe('writeNotesFile', () => {
    let dir: string;
    beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-notesfile-')); });
    afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

    it('recreates a file the user deleted, keeps an unchanged file untouched, leaves no temporary files', async () => {
      const file = path.join(dir, 'notes', 'n.md');
      await writeNotesFile(file, (previous) => renderNotes(journal(), previous));
      const first = fs.readFileSync(file, 'utf8');
      fs.writeFileSync(file, typeIntoMyNotes(first, USER_TEXT));
      const mtime = fs.statSync(file).mtimeMs;
      await new Promise((r) => setTimeout(r, 20));
      await writeNotesFile(file, (previous) => renderNotes(journal(), previous));
      assert.equal(fs.statSync(file).mtimeMs, mtime, 'nothing new: the file is not rewritten');
      fs.rmSync(file);
      await writeNotesFile(file, (previous) => renderNotes(journal(), previous));
      assert.equal(fs.readFileSync(file, 'utf8'), first);
      assert.deepEqual(fs.readdirSync(path.dirname(file)), ['n.md']);
    });

    it('starts over when the user saves while it renders', async () => {
      const file = path.join(dir, 'n.md');
      await writeNotesFile(file, (previous) => renderNotes(journal(), previous));
      let calls = 0;
      await writeNotesFile(file, (previous) => {
        calls++;
        // The user saves right after Earshot read the file, the first time only.
        if (calls === 1) fs.writeFileSync(file, typeIntoMyNotes(previous!, USER_TEXT));
        return renderNotes(journal([seg('m-9', 60, 'You', 'One more line.')]), previous);
      });
      assert.equal(calls, 2);
      const now = fs.readFileSync(file, 'utf8');
      assert.equal(parsePreviousNotes(now).myNotes, USER_TEXT);
      assert.ok(now.includes('One more line.'));
    });
  });

  it('in a session: a user edit between two live rewrites survives them and the final write', async function () {
    this.timeout(60000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-notes-session-'));
    try {
      const said = ['I will update the docs by Friday.', 'Do we know if the vendor supports SSO?', 'Anyway, next topic, the budget review.'];
      let finals = 0;
      let released = false;
      const decoder = new FakeDecoder(async (r) => {
        if (!r.final) return 'partial';
        // Hold the third final back until the user has edited the file.
        while (finals >= 2 && !released) await new Promise((res) => setTimeout(res, 20));
        return said[finals++] ?? `Line ${finals} about the cache.`;
      });
      const notesPath = path.join(dir, 'notes', 'n.md');
      const written: { sessionId: string; notesPath: string }[] = [];
      const ticked: string[] = [];
      const session = await Session.start({
        sessionId: 'e2e', title: 'Standup', language: 'en', startedAt: new Date(2025, 2, 5, 9, 0),
        sources: [await FileSource.open(SAMPLE_WAV, { pace: 'fast', speaker: 'Speaker' })],
        journalPath: path.join(dir, 'sessions', 'e2e.jsonl'), notesPath, decoder, createDetector: () => new EnergyDetector(),
        streaming: { ...DEFAULT_STREAMING_OPTIONS, partials: false, earlyFinal: false },
      }, { transcript: () => undefined, actionItem: (i) => ticked.push(...(i.done ? [i.id] : [])), decision: () => undefined, state: () => undefined, notesWritten: (p) => written.push(p) });
      // The first live rewrite.
      const until = async (ok: () => boolean) => { for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 25)); assert.ok(ok()); };
      await until(() => fs.existsSync(notesPath) && fs.readFileSync(notesPath, 'utf8').includes('vendor supports SSO'));
      const live = fs.readFileSync(notesPath, 'utf8');
      assert.ok(live.includes('- **Status:** in progress'));
      fs.writeFileSync(notesPath, typeIntoMyNotes(live, USER_TEXT).replace('- [ ] I will update the docs', '- [x] I will update the docs'));
      // earshot/notes/rewrite (a remote window put the user's copy in place): rendered now, the hand tick journaled.
      assert.equal(await session.rewriteNotes(), true);
      assert.equal(ticked.length, 1, 'the box ticked by hand is journaled (and announced) before the render');
      assert.match(fs.readFileSync(notesPath, 'utf8'), /- \[x\] I will update the docs[^\n]*earshot:[\w-]+ done/);
      assert.equal(parsePreviousNotes(fs.readFileSync(notesPath, 'utf8')).myNotes, USER_TEXT);
      released = true;
      // The next live rewrite (a new line arrived), then the final one.
      await until(() => fs.readFileSync(notesPath, 'utf8').includes('budget review'));
      assert.equal(parsePreviousNotes(fs.readFileSync(notesPath, 'utf8')).myNotes, USER_TEXT);
      await session.done();
      assert.equal(await session.rewriteNotes(), false, 'a session that ended is rewritten from its journal by the service');
      assert.ok(written.length >= 3 && written.every((w) => w.sessionId === 'e2e' && w.notesPath === notesPath), 'each write is announced (earshot/notesWritten)');
      const final = fs.readFileSync(notesPath, 'utf8');
      assert.ok(final.includes('- **Duration:**'), 'the final write happened');
      assert.equal(parsePreviousNotes(final).myNotes, USER_TEXT);
      assert.ok(final.includes('- [x] I will update the docs by Friday. — @Speaker, due 2025-03-07'), final);
      assert.ok(final.includes('## Open questions\n\n- Do we know if the vendor supports SSO? — Speaker'), final);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('workspace links and places', () => {
    const root = '/home/ana/shop';
    const notesPath = `${root}/.earshot/notes/2025-03-05-0900-design-review.md`;
    const AUTH = { path: 'src/auth.ts', startLine: 40, endLine: 52 };
    const linked = (records: JournalRecord[], head: Extract<JournalRecord, { type: 'session' }> = { ...header, notesPath }): JournalContents =>
      ({ header: head, records: [head, ...records], tornTail: false });
    const said = (segmentId: string, t0: number, text: string, extra: Partial<Extract<JournalRecord, { type: 'segment' }>> = {}): JournalRecord =>
      ({ type: 'segment', segmentId, source: 'mic', speaker: 'You', t0, t1: t0 + 2, text, ...extra });
    const authMention = (start: number) => ({ start, end: start + 7, target: { kind: 'file' as const, path: 'src/auth.ts' } });

    it('marks where a live recording has a hole because its daemon died and a new one resumed; a file session is read again, so nothing is marked', () => {
      const resumed = (sources: Extract<JournalRecord, { type: 'session' }>['sources']) => renderNotes(linked([
        said('m-1', 1, 'Before the crash.'),
        { type: 'resume', at: '2025-03-05T09:00:50.000Z', fromSec: 3, atSec: 50 },
        said('m-2', 51, 'After it.'),
      ], { ...header, notesPath, sources }));
      const md = resumed(['mic']);
      assert.ok(md.includes('- **[00:01] You:** Before the crash.\n\n*Earshot stopped and resumed here: nothing was recorded from 00:03 to 00:50.*\n\n- **[00:51] You:** After it.'), md);
      assert.ok(!resumed(['file']).includes('Earshot stopped'), 'a file is read again: no hole');
    });

    it('links mentions relative to the notes folder: files to the file, symbols to their line; the label is what was said', () => {
      const md = renderNotes(linked([
        { type: 'workspace', root },
        said('m-1', 1, 'I will fix auth.ts and the parse config function.', {
          mentions: [authMention(11), { start: 27, end: 39, target: { kind: 'symbol', path: 'src/config.ts', line: 40, name: 'parseConfig' } }],
        }),
      ]));
      assert.ok(md.includes('- **[00:01] You:** I will fix [auth.ts](../../src/auth.ts) and the [parse config](../../src/config.ts#L40) function.'), md);
    });

    it('escapes the text around links and in their labels, and encodes the destination', () => {
      const text = 'see *my_file* [x] <b>draft (v2).md</b>';
      const md = renderNotes(linked([
        { type: 'workspace', root: '/home/ana/my shop' },
        said('m-1', 1, text, { mentions: [{ start: 4, end: 13, target: { kind: 'file', path: 'docs/*my_file*' } }, { start: 21, end: 34, target: { kind: 'file', path: 'draft (v2).md' } }] }),
      ], { ...header, notesPath: '/home/ana/my shop/.earshot/notes/n.md' }));
      assert.ok(md.includes('- **[00:01] You:** see [\\*my\\_file\\*](../../docs/%2Amy_file%2A) \\[x\\] \\<b\\>[draft (v2).md](../../draft%20%28v2%29.md)\\</b\\>'), md);
    });

    it('a notes folder outside the workspace gets the path that leads there', () => {
      const md = renderNotes(linked([{ type: 'workspace', root }, said('m-1', 1, 'auth.ts again', { mentions: [authMention(0)] })],
        { ...header, notesPath: '/home/ana/notes/shop/n.md' }));
      assert.ok(md.includes('[auth.ts](../../shop/src/auth.ts)'), md);
    });

    it('without a workspace folder or a notes file: the text, no links', () => {
      const noRoot = renderNotes(linked([said('m-1', 1, 'fix auth.ts', { mentions: [authMention(4)], viewing: AUTH })]));
      assert.ok(noRoot.includes('- **[00:01] You:** fix auth.ts'), noRoot);
      assert.ok(noRoot.includes('*while viewing src/auth.ts:40–52*'), noRoot);
      const noNotes = renderNotes(linked([{ type: 'workspace', root }, said('m-1', 1, 'fix auth.ts', { mentions: [authMention(4)] })], { ...header, notesPath: '' }));
      assert.ok(noNotes.includes('- **[00:01] You:** fix auth.ts'), noNotes);
    });

    it('writes "while viewing" before a segment only when the place changes, on a line of its own', () => {
      const CONFIG = { path: 'src/config.ts', startLine: 7, endLine: 7 };
      const md = renderNotes(linked([
        { type: 'workspace', root },
        said('m-1', 1, 'One.'),
        said('m-2', 3, 'Two.', { viewing: AUTH }),
        said('m-3', 5, 'Three.', { viewing: { ...AUTH } }),
        said('m-4', 7, 'Four.', { viewing: CONFIG }),
        said('m-5', 9, 'Five.'),
        said('m-6', 11, 'Six.', { viewing: CONFIG }),
      ]));
      const transcript = md.slice(md.indexOf('## Transcript'));
      assert.equal(transcript, [
        '## Transcript', '',
        '- **[00:01] You:** One.', '',
        '*while viewing [src/auth.ts:40–52](../../src/auth.ts#L40-L52)*', '',
        '- **[00:03] You:** Two.',
        '- **[00:05] You:** Three.', '',
        '*while viewing [src/config.ts:7](../../src/config.ts#L7)*', '',
        '- **[00:07] You:** Four.',
        '- **[00:09] You:** Five.', '',
        '*while viewing [src/config.ts:7](../../src/config.ts#L7)*', '',
        '- **[00:11] You:** Six.', '',
      ].join('\n'));
      // The annotations are Earshot's: a rewrite keeps one of each, and My notes stays the user's.
      const again = renderNotes(linked([{ type: 'workspace', root }, said('m-2', 3, 'Two.', { viewing: AUTH })]), typeIntoMyNotes(md, USER_TEXT));
      assert.equal(again.split('*while viewing').length, 2);
      assert.equal(parsePreviousNotes(again).myNotes, USER_TEXT);
    });

    it('action items link their mentions and show where they were said; ticks by text still match without the id', () => {
      const records: JournalRecord[] = [
        { type: 'workspace', root },
        said('m-1', 20, 'Okay. I will fix auth.ts by Friday.', { mentions: [authMention(17)], viewing: AUTH }),
        { type: 'actionItem', id: 'a1', revision: 1, text: 'I will fix auth.ts by Friday.', owner: 'You', due: '2025-03-07', duePhrase: 'by Friday', segmentId: 'm-1', t0: 20 },
      ];
      const md = renderNotes(linked(records));
      const line = '- [ ] I will fix [auth.ts](../../src/auth.ts) by Friday. — @You, due 2025-03-07 _(00:20, while viewing [src/auth.ts:40–52](../../src/auth.ts#L40-L52))_ <!-- earshot:a1 -->';
      assert.ok(md.includes(line), md);
      assert.equal(renderNotes(linked(records), md), md, 'stable');
      const withoutId = md.replace(line, line.replace('- [ ]', '- [x]').replace(' <!-- earshot:a1 -->', ''));
      assert.ok(renderNotes(linked(records), withoutId).includes(line.replace('- [ ]', '- [x]').replace('-->', 'done -->')));
    });
  });

  describe('done', () => {
    /** Item a1 of the journal above, at a later revision, marked done or not done (undefined: never marked). */
    const marked = (done: boolean | undefined, revision = 3) =>
      ({ ...item('a1', revision, "I'll fix the login timeout by Friday.", 'You', '2025-03-07', 20), ...(done === undefined ? {} : { done }) }) as Extract<JournalRecord, { type: 'actionItem' }>;
    const A1 = "I'll fix the login timeout by Friday. — @You, due 2025-03-07 _(00:20)_";

    it('an item marked done is ticked, and Earshot notes in its comment that it wrote the tick', () => {
      const md = renderNotes(journal([marked(true)]));
      assert.ok(md.includes(`- [x] ${A1} <!-- earshot:a1 done -->`), md);
      assert.ok(md.includes('- [ ] Somebody has to update the runbook. _(00:30)_ <!-- earshot:a2 -->'));
      assert.ok(renderNotes(journal([marked(false)]), md).includes(`- [ ] ${A1} <!-- earshot:a1 -->`), 'unmarked: unticked again');
    });

    it('a box the user changed by hand wins over the journal until the journal says otherwise', () => {
      const doneJournal = journal([marked(true)]);
      const unticked = renderNotes(doneJournal).replace(`- [x] ${A1}`, `- [ ] ${A1}`);
      assert.ok(renderNotes(doneJournal, unticked).includes(`- [ ] ${A1} <!-- earshot:a1 -->`), 'the user unticked it');
      assert.deepEqual(handTicks(unticked, [marked(true)]), [{ id: 'a1', done: false }]);
      // The journal catches up (the session read the untick back): no more edits, and the box stays as the user left it.
      const caughtUp = journal([marked(true), marked(false, 4)]);
      const settled = renderNotes(caughtUp, unticked);
      assert.deepEqual(handTicks(settled, [marked(false, 4)]), []);
      assert.equal(renderNotes(caughtUp, settled), settled);
    });

    it('a box Earshot wrote follows the journal: a tick from the panel is not undone by a file written before it', () => {
      const before = renderNotes(journal());
      assert.ok(before.includes(`- [ ] ${A1} <!-- earshot:a1 -->`));
      assert.ok(renderNotes(journal([marked(true)]), before).includes(`- [x] ${A1} <!-- earshot:a1 done -->`));
      assert.deepEqual(handTicks(before, [marked(true)]), []);
    });

    it('an item just marked through the protocol follows the journal even over a hand edit', () => {
      const ticked = renderNotes(journal()).replace(`- [ ] ${A1}`, `- [x] ${A1}`);
      const notDone = journal([marked(false)]);
      assert.ok(renderNotes(notDone, ticked).includes(`- [x] ${A1}`), 'without `marked`, the hand tick wins');
      assert.ok(renderNotes(notDone, ticked, { marked: new Set(['a1']) }).includes(`- [ ] ${A1} <!-- earshot:a1 -->`));
    });

    it('reads hand ticks of items never marked, ignores ticks in My notes and withdrawn items', () => {
      const file = typeIntoMyNotes(renderNotes(journal()), USER_TEXT).replace(`- [ ] ${A1}`, `- [x] ${A1}`);
      const items = [marked(undefined, 2), item('a2', 1, 'Somebody has to update the runbook.', null, null, 30)] as Extract<JournalRecord, { type: 'actionItem' }>[];
      assert.deepEqual(handTicks(file, items), [{ id: 'a1', done: true }], 'the a2 tick inside My notes is the user\'s own');
      assert.deepEqual(handTicks(file, [{ ...items[0], removed: true }]), []);
      assert.deepEqual(handTicks(undefined, items), []);
    });
  });
});
