/**
 * The pure half of the side panel's actions (extension/panel/panelActions.ts): the text an entry inserts, copies or
 * turns into a TODO, where a TODO goes, and where an entry is in a notes file written by daemon/documents/markdown.ts.
 */
import * as assert from 'node:assert/strict';
import { JournalContents, JournalRecord, SessionHeader } from '../../daemon/journal/journal';
import { notesDigest, renderNotes } from '../../daemon/documents/markdown';
import {
  findItemInNotes, indentationFor, isSafeRelativePath, itemText, locationLabel, mentionLabel, notesInline, questionId, todoText,
} from '../../extension/panel/panelActions';

const HEADER: SessionHeader = {
  type: 'session', version: 1, sessionId: 's-1', title: 'Planning', startedAt: '2025-03-05T09:00:00.000Z',
  sources: ['mic', 'system'], language: 'en', notesPath: '/notes/planning.md',
};
type Segment = Extract<JournalRecord, { type: 'segment' }>;
const seg = (segmentId: string, speaker: string, t0: number, text: string): Segment =>
  ({ type: 'segment', segmentId, source: speaker === 'You' ? 'mic' : 'system', speaker, t0, t1: t0 + 2, text });

const RECORDS: JournalRecord[] = [
  HEADER,
  seg('m1', 'You', 1, 'I will update the *auth* middleware by Friday.'),
  seg('m2', 'You', 9, 'We decided to ship the parser behind a flag.'),
  seg('o2', 'Others', 12, 'Ship the parser behind a flag.'),
  seg('o1', 'Others', 15, 'Do we keep the [legacy] endpoint for the mobile app?'),
  seg('m3', 'You', 18, 'No idea, I will have to check with the mobile team.'),
  { type: 'actionItem', id: 'a1', revision: 1, text: 'Update the *auth* middleware', owner: 'dana', due: '2025-03-07', duePhrase: 'by Friday', segmentId: 'm1', t0: 1 },
  { type: 'actionItem', id: 'a2', revision: 1, text: 'Write the <migration> | notes', owner: null, due: null, duePhrase: null, segmentId: 'o1', t0: 5 },
  { type: 'decision', id: 'd1', revision: 1, kind: 'decision', text: 'Ship the parser behind a flag', segmentId: 'm2', t0: 9 },
  { type: 'decision', id: 'd2', revision: 1, kind: 'deferral', text: 'Revisit the cache after the demo', segmentId: 'm2', t0: 9 },
];
const JOURNAL: JournalContents = { header: HEADER, records: RECORDS, tornTail: false };
const NOTES = renderNotes(JOURNAL);
const lineOf = (notes: string, n: number) => notes.split('\n')[n];

describe('panel actions: entry text', () => {
  it('inserts and copies an action item in the notes\' own form', () => {
    assert.equal(itemText('actionItems', { id: 'a', text: 'Fix  the\nlogin', owner: 'dana', due: '2025-03-07' }), 'Fix the login — @dana, due 2025-03-07');
    assert.equal(itemText('actionItems', { id: 'a', text: 'Fix it', owner: null, due: null }), 'Fix it');
    assert.equal(itemText('decisions', { id: 'd', text: 'Revisit caching', kind: 'deferral' }), 'Deferred: Revisit caching');
    assert.equal(itemText('decisions', { id: 'd', text: 'No flags', kind: 'negative' }), 'Not doing: No flags');
    assert.equal(itemText('decisions', { id: 'd', text: 'Ship it', kind: 'decision' }), 'Ship it');
    assert.equal(itemText('decisions', { id: 'd', text: 'TV only', kind: 'decision', standing: 'given' }), 'Given: TV only', 'a requirement given to the team says so');
    assert.equal(itemText('openQuestions', { id: 'q', text: 'Who owns staging?', speaker: 'Others' }), 'Who owns staging?');
  });

  it('formats TODO comments with owner and due date', () => {
    assert.equal(todoText('actionItems', { id: 'a', text: 'Update the auth middleware', owner: 'dana', due: '2025-03-07' }),
      'TODO: Update the auth middleware (@dana, due 2025-03-07)');
    assert.equal(todoText('actionItems', { id: 'a', text: 'Update it', owner: 'dana', due: null }), 'TODO: Update it (@dana)');
    assert.equal(todoText('actionItems', { id: 'a', text: 'Update it', owner: null, due: '2025-03-07' }), 'TODO: Update it (due 2025-03-07)');
    assert.equal(todoText('actionItems', { id: 'a', text: ' Update\n it ', owner: null, due: null }), 'TODO: Update it');
    assert.equal(todoText('openQuestions', { id: 'q', text: 'Keep the endpoint?' }), 'TODO: Answer: Keep the endpoint?');
    assert.equal(todoText('decisions', { id: 'd', text: 'Revisit caching', kind: 'deferral' }), 'TODO: Deferred: Revisit caching');
    assert.equal(todoText('decisions', { id: 'd', text: 'Use the company colours', kind: 'decision', standing: 'given' }), 'TODO: Given: Use the company colours');
    assert.equal(todoText('actionItems', { id: 'a', text: 'close the */ comment', owner: null, due: null }), 'TODO: close the * / comment',
      'the text cannot end a block comment early');
  });

  it('indents a TODO like the code it goes above', () => {
    const code = ['function f() {', '    const x = 1;', '', '\treturn x;', '}'];
    assert.equal(indentationFor(code, 0), '');
    assert.equal(indentationFor(code, 1), '    ');
    assert.equal(indentationFor(code, 2), '\t', 'a blank line takes the next code line\'s indentation');
    assert.equal(indentationFor(code, 3), '\t');
    assert.equal(indentationFor(['  a', '', ''], 2), '  ', 'blank to the end: the previous code line\'s');
    assert.equal(indentationFor([], 0), '');
    assert.equal(indentationFor(['x'], 1), '', 'past the end');
  });
});

describe('panel actions: finding an entry in the notes file', () => {
  it('finds an action item by its id marker and selects its text', () => {
    const found = findItemInNotes(NOTES, 'actionItems', { id: 'a1', text: 'Update the *auth* middleware' });
    assert.ok(found);
    const line = lineOf(NOTES, found.line);
    assert.match(line, /^- \[ \] Update the \\\*auth\\\* middleware — @dana, due 2025-03-07 .*<!-- earshot:a1 -->$/);
    assert.equal(line.slice(found.start, found.end), notesInline('Update the *auth* middleware'));
  });

  it('still finds an action item by id when its text changed since (a refinement)', () => {
    const found = findItemInNotes(NOTES, 'actionItems', { id: 'a2', text: 'Something else entirely' });
    assert.ok(found);
    const line = lineOf(NOTES, found.line);
    assert.match(line, /earshot:a2/);
    assert.equal(line.slice(found.start, found.end), 'Write the \\<migration\\> \\| notes', 'the line\'s text without the bullet, time and marker');
  });

  it('finds a decision in the Decisions section, not the same words in the transcript', () => {
    const found = findItemInNotes(NOTES, 'decisions', { id: 'd1', text: 'Ship the parser behind a flag', kind: 'decision' });
    assert.ok(found);
    const lines = NOTES.split('\n');
    const decisions = lines.indexOf('## Decisions');
    const next = lines.findIndex((l, k) => k > decisions && l.startsWith('## '));
    assert.ok(found.line > decisions && found.line < next, `line ${found.line} is in the Decisions section`);
    assert.equal(lineOf(NOTES, found.line).slice(found.start, found.end), 'Ship the parser behind a flag');
    const deferral = findItemInNotes(NOTES, 'decisions', { id: 'd2', text: 'Revisit the cache after the demo', kind: 'deferral' });
    assert.ok(deferral);
    // Under its standing's heading (### Left open) inside the Decisions section: the group heading does not end the section.
    assert.match(lineOf(NOTES, deferral.line), /^- Revisit the cache after the demo/);
    assert.ok(deferral.line > lines.indexOf('### Left open') && lines.indexOf('### Left open') > lines.indexOf('### Decided') && deferral.line < next);
  });

  it('finds an open question as the notes list it', () => {
    const questions = notesDigest(JOURNAL).openQuestions;
    assert.ok(questions.length > 0, 'the journal has an open question');
    const q = questions[0];
    const found = findItemInNotes(NOTES, 'openQuestions', { id: questionId({ text: q.text, t0: q.t0 ?? 0 }), text: q.text });
    assert.ok(found);
    const lines = NOTES.split('\n');
    assert.ok(found.line > lines.indexOf('## Open questions'));
    assert.equal(lineOf(NOTES, found.line).slice(found.start, found.end), notesInline(q.text));
  });

  it('says when an entry is not in the notes (yet), also with Windows line ends', () => {
    assert.equal(findItemInNotes(NOTES, 'decisions', { id: 'dx', text: 'Never said' }), undefined);
    assert.equal(findItemInNotes(NOTES, 'actionItems', { id: 'ax', text: 'Never said' }), undefined);
    assert.equal(findItemInNotes('# Notes without sections\n', 'decisions', { id: 'd1', text: 'Ship' }), undefined);
    const crlf = NOTES.replace(/\n/g, '\r\n');
    const found = findItemInNotes(crlf, 'decisions', { id: 'd1', text: 'Ship the parser behind a flag' });
    assert.equal(found?.line, findItemInNotes(NOTES, 'decisions', { id: 'd1', text: 'Ship the parser behind a flag' })?.line);
  });
});

describe('panel actions: links to code', () => {
  it('accepts only workspace-relative paths that stay inside the workspace', () => {
    for (const ok of ['src/auth.ts', 'a.ts', 'deep/er/file.name.md', '.github/workflows/ci.yml']) assert.equal(isSafeRelativePath(ok), true, ok);
    for (const bad of ['', '/etc/passwd', '../secret', 'src/../../x', 'C:/Windows/x', 'c:\\x', 'a\\b', 'src//a.ts', 'a\0b']) {
      assert.equal(isSafeRelativePath(bad), false, JSON.stringify(bad));
    }
  });

  it('labels locations and mentions', () => {
    assert.equal(locationLabel('src/auth.ts', 40, 52), 'src/auth.ts:40–52');
    assert.equal(locationLabel('src/auth.ts', 40, 40), 'src/auth.ts:40');
    assert.equal(locationLabel('src/auth.ts'), 'src/auth.ts');
    assert.equal(mentionLabel({ kind: 'symbol', path: 'src/config.ts', line: 12, name: 'parseConfig' }), 'parseConfig — src/config.ts:12');
    assert.equal(mentionLabel({ kind: 'file', path: 'src/config.ts' }), 'src/config.ts');
  });

  it('gives open questions stable ids', () => {
    const a = questionId({ text: 'Who owns staging?', t0: 40.25 });
    assert.equal(a, questionId({ text: 'Who owns staging?', t0: 40.25 }));
    assert.notEqual(a, questionId({ text: 'Who owns staging?', t0: 41 }));
    assert.notEqual(a, questionId({ text: 'Who owns prod?', t0: 40.25 }));
    assert.match(a, /^q-40250-[0-9a-z]+$/);
  });
});
