import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Io, main } from '../../daemon/cli';
import { CONTROL_OR_BIDI } from '../../protocol/plainText';
import { JournalContents, JournalRecord, SessionHeader } from '../../daemon/journal/journal';
import { EXPORT_FORMATS, exportFileName, exportSession, parseExport, ParsedSegment, SessionExport } from '../../daemon/documents/export';
import { renderNotes } from '../../daemon/documents/markdown';

const HEADER: SessionHeader = {
  type: 'session', version: 1, sessionId: 's-42', title: 'Design review: <API> & "v2"', startedAt: '2025-03-05T09:00:00.000Z',
  sources: ['mic', 'system'], language: 'en', notesPath: '/notes/review.md',
};

type Segment = Extract<JournalRecord, { type: 'segment' }>;
const seg = (segmentId: string, source: 'mic' | 'system', speaker: string, t0: number, t1: number, text: string): Segment =>
  ({ type: 'segment', segmentId, source, speaker, t0, t1, text });

/** Two sources and three speakers, out of order in the file (sources are journaled as they finish), with tricky text. */
const SEGMENTS: Segment[] = [
  seg('mic-1', 'mic', 'You', 0.5, 3.25, 'Morning everyone. I\'ll fix the login timeout by Friday.'),
  seg('system-1', 'system', 'Others', 3.5, 7.0000004, 'Ünïcödé: naïve café — 日本語 👋, and a colon: here'),
  seg('mic-2', 'mic', 'You', 61.0625, 62.5, 'The arrow --> goes here & <b>bold</b> isn\'t markup'),
  seg('system-2', 'system', 'Dana Q.', 62.0, 65.123456, 'line one\nline two\r\n\n  spaced   out'),
  seg('mic-3', 'mic', 'You', 3725.9996, 3727.25, '1\n00:00:01,000 --> 00:00:02,000 is not a cue'),
];

const RECORDS: JournalRecord[] = [
  HEADER,
  SEGMENTS[1], SEGMENTS[0],
  { type: 'actionItem', id: 'a1', revision: 1, text: "I'll fix the login timeout.", owner: null, due: null, duePhrase: null, segmentId: 'mic-1', t0: 0.5 },
  { type: 'actionItem', id: 'a1', revision: 2, text: "I'll fix the login timeout by Friday.", owner: 'You', due: '2025-03-07', duePhrase: 'by Friday', segmentId: 'mic-1', t0: 0.5 },
  { type: 'actionItem', id: 'a2', revision: 1, text: 'Somebody writes the migration.', owner: null, due: null, duePhrase: null, segmentId: 'system-1', t0: 3.5 },
  { type: 'actionItem', id: 'a2', revision: 2, text: 'Somebody writes the migration.', owner: null, due: null, duePhrase: null, segmentId: 'system-1', t0: 3.5, removed: true },
  { type: 'decision', id: 'd1', revision: 1, kind: 'deferral', text: "We'll revisit the schema after the demo.", segmentId: 'system-1', t0: 3.5 },
  { type: 'decision', id: 'd2', revision: 1, kind: 'negative', text: 'No feature flag.', segmentId: 'mic-2', t0: 61.0625 },
  { type: 'decision', id: 'd2', revision: 2, kind: 'negative', text: "We're not adding a feature flag.", segmentId: 'mic-2', t0: 61.0625 },
  SEGMENTS[3], SEGMENTS[2],
  { type: 'decision', id: 'd3', revision: 1, kind: 'decision', text: 'Ship on Monday.', segmentId: 'mic-2', t0: 61.0625 },
  { type: 'decision', id: 'd3', revision: 2, kind: 'decision', text: 'Ship on Monday.', segmentId: 'mic-2', t0: 61.0625, removed: true },
  SEGMENTS[4],
  { type: 'end', stoppedAt: '2025-03-05T10:03:00.000Z', capturedSec: 3730.0004 },
];

const JOURNAL: JournalContents = { header: HEADER, records: RECORDS, tornTail: false };
const EMPTY: JournalContents = { header: { ...HEADER, sources: ['file'], audioFile: '/rec/empty.wav' }, records: [{ ...HEADER, sources: ['file'], audioFile: '/rec/empty.wav' }], tornTail: false };

/** Segments in capture-time order. */
const ORDERED = [...SEGMENTS].sort((a, b) => a.t0 - b.t0);
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
const round = (t: number, unit: number) => Math.round(t / unit) * unit;

/** What parse(export) must give back: times to `precision` seconds (null when the format has none), text as the format keeps it. */
function expected(precision: number | null, exactText: boolean, floorTimes = false): ParsedSegment[] {
  return ORDERED.map((s) => ({
    t0: precision === null ? null : floorTimes ? Math.floor(s.t0) : round(s.t0, precision),
    t1: precision === null || floorTimes ? null : round(s.t1, precision),
    speaker: s.speaker,
    text: exactText ? s.text : oneLine(s.text),
  }));
}

function assertSegments(actual: ParsedSegment[], wanted: ParsedSegment[]) {
  assert.equal(actual.length, wanted.length, JSON.stringify(actual, null, 1));
  actual.forEach((a, i) => {
    assert.equal(a.text, wanted[i].text, `segment ${i + 1} text`);
    assert.equal(a.speaker, wanted[i].speaker, `segment ${i + 1} speaker`);
    for (const k of ['t0', 't1'] as const) {
      if (wanted[i][k] === null) assert.equal(a[k], null, `segment ${i + 1} ${k}`);
      else assert.ok(Math.abs(a[k]! - wanted[i][k]!) < 1e-9, `segment ${i + 1} ${k}: ${a[k]} vs ${wanted[i][k]}`);
    }
  });
}

describe('exports', () => {
  describe('md', () => {
    it('is the notes exactly as renderNotes writes them', () => {
      assert.equal(exportSession(JOURNAL, 'md'), renderNotes(JOURNAL));
      assert.equal(exportSession(EMPTY, 'md'), renderNotes(EMPTY));
    });
  });

  describe('json', () => {
    it('holds the session, segments in capture-time order, latest revisions only, withdrawn items left out', () => {
      const doc = JSON.parse(exportSession(JOURNAL, 'json')) as SessionExport;
      assert.deepEqual(doc.session, {
        id: 's-42', title: 'Design review: <API> & "v2"', startedAt: '2025-03-05T09:00:00.000Z', sources: ['mic', 'system'], language: 'en', durationSec: 3730,
      });
      assert.deepEqual(doc.segments.map((s) => s.segmentId), ['mic-1', 'system-1', 'mic-2', 'system-2', 'mic-3']);
      assert.deepEqual(doc.segments[1], { segmentId: 'system-1', t0: 3.5, t1: 7, source: 'system', speaker: 'Others', text: SEGMENTS[1].text });
      assert.deepEqual(doc.segments[3].text, 'line one\nline two\r\n\n  spaced   out', 'JSON keeps the text exactly');
      assert.equal(doc.segments[4].t0, 3726, 'times in ms precision');
      assert.deepEqual(doc.actionItems, [
        { id: 'a1', text: "I'll fix the login timeout by Friday.", owner: 'You', due: '2025-03-07', duePhrase: 'by Friday', segmentId: 'mic-1', t0: 0.5 },
      ]);
      assert.deepEqual(doc.decisions, [
        // A journal written before standings: each derived from its kind.
        { id: 'd1', text: "We'll revisit the schema after the demo.", kind: 'deferral', standing: 'open', segmentId: 'system-1', t0: 3.5 },
        { id: 'd2', text: "We're not adding a feature flag.", kind: 'negative', standing: 'decided', segmentId: 'mic-2', t0: 61.063 },
      ]);
    });

    it('an empty, unfinished session: empty lists, the recording, no duration', () => {
      const doc = JSON.parse(exportSession(EMPTY, 'json')) as SessionExport;
      assert.deepEqual(doc.segments, []);
      assert.deepEqual(doc.actionItems, []);
      assert.deepEqual(doc.decisions, []);
      assert.equal(doc.session.audioFile, '/rec/empty.wav');
      assert.equal(doc.session.durationSec, null);
    });

    it('round-trips the segments exactly (times to the ms)', () => {
      assertSegments(parseExport(exportSession(JOURNAL, 'json'), 'json'), expected(0.001, true));
    });
  });

  describe('srt', () => {
    const text = exportSession(JOURNAL, 'srt');

    it('numbers cues, uses hh:mm:ss,mmm timings and Speaker: text on one line', () => {
      const blocks = text.split('\n\n');
      assert.equal(blocks.length, SEGMENTS.length);
      assert.equal(blocks[0], "1\n00:00:00,500 --> 00:00:03,250\nYou: Morning everyone. I'll fix the login timeout by Friday.");
      assert.equal(blocks[1], '2\n00:00:03,500 --> 00:00:07,000\nOthers: Ünïcödé: naïve café — 日本語 👋, and a colon: here');
      assert.equal(blocks[3], '4\n00:01:02,000 --> 00:01:05,123\nDana Q.: line one line two spaced out', 'newlines cannot end the cue early');
      assert.equal(blocks[4], '5\n01:02:06,000 --> 01:02:07,250\nYou: 1 00:00:01,000 --> 00:00:02,000 is not a cue\n');
      assert.ok(text.endsWith('\n') && !text.endsWith('\n\n'));
      for (const b of blocks) assert.match(b, /^\d+\n\d{2}:\d{2}:\d{2},\d{3} --> \d{2}:\d{2}:\d{2},\d{3}\n[^\n]+\n?$/);
    });

    it('round-trips: text, speaker and times to the ms', () => {
      assertSegments(parseExport(text, 'srt'), expected(0.001, false));
    });

    it('an empty session is an empty file', () => {
      assert.equal(exportSession(EMPTY, 'srt'), '');
      assert.deepEqual(parseExport('', 'srt'), []);
    });
  });

  describe('vtt', () => {
    const text = exportSession(JOURNAL, 'vtt');

    it('has the WEBVTT header, hh:mm:ss.mmm timings, voice spans and escaped text', () => {
      const blocks = text.split('\n\n');
      assert.equal(blocks[0], 'WEBVTT');
      assert.equal(blocks[1], "00:00:00.500 --> 00:00:03.250\n<v You>Morning everyone. I'll fix the login timeout by Friday.");
      assert.equal(blocks[3], "00:01:01.063 --> 00:01:02.500\n<v You>The arrow --&gt; goes here &amp; &lt;b&gt;bold&lt;/b&gt; isn't markup");
      assert.equal(blocks[4], '00:01:02.000 --> 00:01:05.123\n<v Dana Q.>line one line two spaced out');
      // Only timing lines hold "-->"; no raw "<" or "&" other than voice tags and character references.
      for (const line of text.split('\n')) {
        if (line.includes('-->')) assert.match(line, /^\d{2}:\d{2}:\d{2}\.\d{3} --> \d{2}:\d{2}:\d{2}\.\d{3}$/);
        assert.doesNotMatch(line.replace(/^<v [^>]*>/, ''), /<|&(?!amp;|lt;|gt;)/);
      }
    });

    it('escapes the speaker label too', () => {
      const odd: JournalContents = { ...JOURNAL, records: [HEADER, seg('mic-1', 'mic', 'R&D <team>', 1, 2, 'hi')] };
      const out = exportSession(odd, 'vtt');
      assert.equal(out, 'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v R&amp;D &lt;team&gt;>hi\n');
      assertSegments(parseExport(out, 'vtt'), [{ t0: 1, t1: 2, speaker: 'R&D <team>', text: 'hi' }]);
    });

    it('round-trips: text, speaker and times to the ms', () => {
      assertSegments(parseExport(text, 'vtt'), expected(0.001, false));
    });

    it('an empty session is a valid file with only the header', () => {
      assert.equal(exportSession(EMPTY, 'vtt'), 'WEBVTT\n');
      assert.deepEqual(parseExport(exportSession(EMPTY, 'vtt'), 'vtt'), []);
      assert.throws(() => parseExport('', 'vtt'), /WEBVTT header/);
    });

    it('reads cues written by other tools: identifiers, NOTE blocks, CRLF, </v>, other tags', () => {
      const other = 'WEBVTT - meeting\r\n\r\nNOTE made elsewhere\r\n\r\ncue-1\r\n00:01.000 --> 00:02.500 align:start\r\n<v.loud Ann>Hi <i>there</i></v>\r\n\r\n00:00:03.000 --> 00:00:04.000\r\nBob: ok\r\n';
      assertSegments(parseExport(other, 'vtt'), [
        { t0: 1, t1: 2.5, speaker: 'Ann', text: 'Hi there' },
        { t0: 3, t1: 4, speaker: 'Bob', text: 'ok' },
      ]);
    });
  });

  describe('cue timing', () => {
    it('orders cues by start, keeps cross-source overlap, never lets a source overlap itself or a cue end before it starts', () => {
      const journal: JournalContents = {
        ...JOURNAL,
        records: [
          HEADER,
          seg('mic-2', 'mic', 'You', 2.5, 4, 'second'),
          seg('mic-1', 'mic', 'You', 1, 3, 'first, runs into second'),
          seg('system-1', 'system', 'Others', 1.5, 3.5, 'talking over'),
          seg('mic-3', 'mic', 'You', 5, 5.0002, 'instant'),
        ],
      };
      for (const format of ['srt', 'vtt'] as const) {
        const cues = parseExport(exportSession(journal, format), format);
        assert.deepEqual(cues.map((c) => [c.text, c.t0, c.t1]), [
          ['first, runs into second', 1, 2.5],
          ['talking over', 1.5, 3.5],
          ['second', 2.5, 4],
          ['instant', 5, 5.001],
        ], format);
      }
    });
  });

  describe('txt', () => {
    const text = exportSession(JOURNAL, 'txt');

    it('is [mm:ss] Speaker: text lines', () => {
      assert.deepEqual(text.split('\n'), [
        "[00:00] You: Morning everyone. I'll fix the login timeout by Friday.",
        '[00:03] Others: Ünïcödé: naïve café — 日本語 👋, and a colon: here',
        "[01:01] You: The arrow --> goes here & <b>bold</b> isn't markup",
        '[01:02] Dana Q.: line one line two spaced out',
        '[1:02:05] You: 1 00:00:01,000 --> 00:00:02,000 is not a cue',
        '',
      ]);
    });

    it('round-trips: text, speaker and start to the second', () => {
      assertSegments(parseExport(text, 'txt'), expected(1, false, true));
    });

    it('an empty session is an empty file', () => {
      assert.equal(exportSession(EMPTY, 'txt'), '');
    });
  });

  it('every format skips blank segments and malformed records instead of printing "undefined"', () => {
    const journal = {
      ...JOURNAL,
      records: [HEADER, null, 42, { type: 'segment', segmentId: 'x' }, seg('mic-1', 'mic', 'You', 1, 2, '   '), seg('mic-2', 'mic', 'You', 3, 4, 'kept'),
        { type: 'actionItem', id: 'a9' }, { type: 'somethingNewer', x: 1 }] as unknown as JournalRecord[],
    };
    for (const format of EXPORT_FORMATS) {
      const out = exportSession(journal, format);
      assert.ok(!out.includes('undefined') && !out.includes('NaN'), `${format}: ${out}`);
      if (format !== 'md') assert.deepEqual(parseExport(out, format).map((s) => s.text), ['kept'], format);
    }
  });

  describe('mentions, viewing and done', () => {
    const root = '/home/ana/shop';
    const head: SessionHeader = { ...HEADER, notesPath: `${root}/.earshot/notes/review.md` };
    const mention = { start: 11, end: 18, target: { kind: 'file' as const, path: 'src/auth.ts' }, alternatives: [{ kind: 'file' as const, path: 'lib/auth.ts' }] };
    const viewing = { path: 'src/auth.ts', startLine: 40, endLine: 52 };
    const records: JournalRecord[] = [
      head,
      { type: 'workspace', root },
      { ...seg('mic-1', 'mic', 'You', 1, 3, 'I will fix auth.ts by Friday.'), mentions: [mention], viewing },
      seg('mic-2', 'mic', 'You', 4, 5, 'Plain [words] *here*.'),
      { type: 'actionItem', id: 'a1', revision: 1, text: 'I will fix auth.ts by Friday.', owner: 'You', due: '2025-03-07', duePhrase: 'by Friday', segmentId: 'mic-1', t0: 1 },
      { type: 'actionItem', id: 'a1', revision: 2, text: 'I will fix auth.ts by Friday.', owner: 'You', due: '2025-03-07', duePhrase: 'by Friday', segmentId: 'mic-1', t0: 1, done: true },
      { type: 'end', stoppedAt: '2025-03-05T09:10:00.000Z', capturedSec: 600 },
    ];
    const journal: JournalContents = { header: head, records, tornTail: false };

    it('json carries them (and the workspace folder their paths are relative to)', () => {
      const doc = JSON.parse(exportSession(journal, 'json')) as SessionExport;
      assert.equal(doc.session.workspaceRoot, root);
      assert.deepEqual(doc.segments[0], { segmentId: 'mic-1', t0: 1, t1: 3, source: 'mic', speaker: 'You', text: 'I will fix auth.ts by Friday.', mentions: [mention], viewing });
      assert.deepEqual(Object.keys(doc.segments[1]), ['segmentId', 't0', 't1', 'source', 'speaker', 'text'], 'absent when a segment has none');
      assert.equal(doc.actionItems[0].done, true);
    });

    it('md is the notes, with links relative to the notes file; txt, srt and vtt stay plain and round-trip', () => {
      const md = exportSession(journal, 'md');
      assert.equal(md, renderNotes(journal));
      assert.ok(md.includes('- **[00:01] You:** I will fix [auth.ts](../../src/auth.ts) by Friday.'), md);
      assert.ok(md.includes('*while viewing [src/auth.ts:40–52](../../src/auth.ts#L40-L52)*'), md);
      assert.ok(md.includes('- [x] I will fix [auth.ts](../../src/auth.ts) by Friday.'), md);
      for (const format of ['txt', 'srt', 'vtt', 'json'] as const) {
        const out = exportSession(journal, format);
        assert.ok(!out.includes('](') && !out.includes('while viewing'), `${format} is plain: ${out}`);
        assert.deepEqual(parseExport(out, format).map((p) => p.text), ['I will fix auth.ts by Friday.', 'Plain [words] *here*.'], format);
      }
    });
  });

  it('names export files like the notes file, with the format as extension', () => {
    assert.match(exportFileName(JOURNAL, 'srt'), /^\d{4}-\d{2}-\d{2}-\d{4}-design-review-api-v2\.srt$/);
  });
});

describe('earshot export (main)', () => {
  let dir: string;
  let file: string;
  const lines = RECORDS.map((r) => JSON.stringify(r)).join('\n') + '\n';

  async function cli(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l) };
    const code = await main(argv, io);
    return { code, out: out.map((l) => l + '\n').join(''), err: err.join('\n') };
  }

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-export-'));
    file = path.join(dir, 's-42.jsonl');
    fs.writeFileSync(file, lines);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints each format to stdout exactly as exportSession makes it (md by default)', async () => {
    for (const format of EXPORT_FORMATS) {
      const run = await cli('export', file, '--format', format);
      assert.equal(run.code, 0, run.err);
      assert.equal(run.out, exportSession(JOURNAL, format), format);
    }
    assert.equal((await cli('export', file)).out, exportSession(JOURNAL, 'md'));
  });

  it('to a terminal, text that holds escapes is printed inert in every format (JSON still parses to the same value); to a file, exact (review 2, S5)', async () => {
    const hostile = seg('mic-9', 'mic', 'You', 70, 72, 'Set \u001b]0;PWNED\u0007 the title \u009b2K\u202eevil');
    const journal = { ...JOURNAL, records: [...RECORDS.slice(0, -1), hostile, { type: 'actionItem', id: 'a9', revision: 1, text: 'Send it \u001bc now', owner: null, due: null, duePhrase: null, segmentId: 'mic-9', t0: 70 }, RECORDS[RECORDS.length - 1]] as JournalRecord[] };
    fs.writeFileSync(file, journal.records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    for (const format of EXPORT_FORMATS) {
      const out: string[] = [];
      assert.equal(await main(['export', file, '--format', format], { out: (l) => out.push(l), err: () => undefined, tty: true }), 0);
      const shown = out.join('\n');
      for (const line of shown.split('\n')) assert.doesNotMatch(line, CONTROL_OR_BIDI, `${format}: ${JSON.stringify(line)}`);
      assert.ok(shown.includes('the title'), `${format}: ${shown}`);
      if (format === 'json') assert.deepEqual(JSON.parse(shown), JSON.parse(exportSession(journal, 'json')), 'the same value');
      const piped = await cli('export', file, '--format', format);
      assert.equal(piped.out, exportSession(journal, format), `${format}: a file gets the export as it is`);
    }
  });

  it('writes --out atomically, taking the format from its extension unless --format says otherwise', async () => {
    const out = path.join(dir, 'sub', 'review.vtt');
    const run = await cli('export', file, '--out', out);
    assert.equal(run.code, 0, run.err);
    assert.equal(run.out, '');
    assert.equal(fs.readFileSync(out, 'utf8'), exportSession(JOURNAL, 'vtt'));
    assert.deepEqual(fs.readdirSync(path.dirname(out)), ['review.vtt'], 'no temporary file is left');
    assert.equal((await cli('export', file, '--out', out, '--format', 'txt')).code, 0);
    assert.equal(fs.readFileSync(out, 'utf8'), exportSession(JOURNAL, 'txt'));
  });

  it('exports what is there when the last line was torn by a crash, and says so', async () => {
    fs.appendFileSync(file, '{"type":"segment","segmentId":"mic-9","t0":3800,"te');
    const run = await cli('export', file, '--format', 'txt');
    assert.equal(run.code, 0, run.err);
    assert.equal(run.out, exportSession(JOURNAL, 'txt'));
    assert.ok(run.err.includes(file) && /cut off/.test(run.err), run.err);
  });

  it('an unfinished session (no end record) exports too', async () => {
    fs.writeFileSync(file, lines.split('\n').filter((l) => !l.includes('"type":"end"')).join('\n'));
    const run = await cli('export', file, '--format', 'json');
    assert.equal(run.code, 0, run.err);
    assert.equal((JSON.parse(run.out) as SessionExport).session.durationSec, null);
  });

  it('exits 1 naming the file for a missing, corrupt, headless or non-journal file', async () => {
    const missing = path.join(dir, 'missing.jsonl');
    const corrupt = path.join(dir, 'corrupt.jsonl');
    fs.writeFileSync(corrupt, lines.replace('\n', '\nnot json\n'));
    const headless = path.join(dir, 'headless.jsonl');
    fs.writeFileSync(headless, JSON.stringify(SEGMENTS[0]) + '\n');
    const nulls = path.join(dir, 'null.jsonl');
    fs.writeFileSync(nulls, 'null\n');
    const empty = path.join(dir, 'empty.jsonl');
    fs.writeFileSync(empty, '');
    for (const [bad, why] of [[missing, /no such file/], [corrupt, /line 2 is corrupt/], [headless, /no session header/], [nulls, /.+/], [empty, /no session header/], [dir, /folder/]] as const) {
      const out = path.join(dir, 'out.md');
      const run = await cli('export', bad, '--out', out);
      assert.equal(run.code, 1, `${bad}: ${run.err}`);
      assert.equal(run.out, '');
      assert.ok(run.err.startsWith('earshot: ') && run.err.includes(bad), run.err);
      assert.match(run.err, why);
      assert.ok(!fs.existsSync(out), 'nothing is written');
    }
  });

  it('usage errors exit 2', async () => {
    assert.equal((await cli('export')).code, 2);
    assert.equal((await cli('export', file, file)).code, 2);
    const bad = await cli('export', file, '--format', 'docx');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--format must be one of md, json, srt, vtt, txt/);
    assert.equal((await cli('export', file, '--bogus')).code, 2);
    const self = await cli('export', file, '--out', file);
    assert.equal(self.code, 2, 'never overwrites the journal');
    assert.equal(fs.readFileSync(file, 'utf8'), lines);
  });
});
