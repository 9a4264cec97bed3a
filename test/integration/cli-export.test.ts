/**
 * `earshot export` as a real process, on the journal a real `earshot transcribe` of the sample wrote
 * (mini test model: every segment says "hello ..."). Each format is checked against the journal.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readJournal, segmentsOf } from '../../daemon/journal/journal';
import { EXPORT_FORMATS, parseExport, SessionExport } from '../../daemon/documents/export';
import { miniModel, SAMPLE_WAV, TEST_WORD } from '../setup';
import { runEarshot } from './daemon-process';

describe('earshot export (real process)', () => {
  let dir: string;
  let journalPath: string;
  let transcribed: { t0: number; t1: number; source: string; speaker: string; text: string }[];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-export-it-'));
    const storage = path.join(dir, 'storage');
    const run = await runEarshot(['transcribe', SAMPLE_WAV, '--model', miniModel(), '--json', '--notes-dir', path.join(dir, 'notes'), '--threads', '1'],
      { EARSHOT_STORAGE: storage });
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    transcribed = run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.ok(transcribed.length >= 2, run.stdout);
    const journals = fs.readdirSync(path.join(storage, 'sessions'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.jsonl'));
    assert.equal(journals.length, 1);
    journalPath = path.join(journals[0].parentPath ?? (journals[0] as unknown as { path: string }).path, journals[0].name);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function exported(format: string): Promise<string> {
    const run = await runEarshot(['export', journalPath, '--format', format]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    return run.stdout;
  }

  it('md: the notes of the session, with the transcript', async () => {
    const md = await exported('md');
    assert.match(md, /^# standup\n/);
    assert.ok(md.includes('## Transcript') && md.includes('**Duration:**'));
    // The file's voices are told apart (issue 42): "Speaker 1", "Speaker 2"… ("Speaker" where no voice covers a line).
    assert.equal(md.split('\n').filter((l) => /^- \*\*\[\d\d:\d\d\] Speaker( \d+)?:\*\* /.test(l)).length, transcribed.length);
  });

  it('json, srt, vtt, txt: every final segment, as transcribe printed it, round-trips', async () => {
    const segments = segmentsOf((await readJournal(journalPath)).records);
    assert.equal(segments.length, transcribed.length);
    const words = new RegExp(`^${TEST_WORD}( ${TEST_WORD})*$`);
    for (const format of EXPORT_FORMATS.filter((f) => f !== 'md')) {
      const parsed = parseExport(await exported(format), format);
      assert.equal(parsed.length, transcribed.length, format);
      parsed.forEach((p, i) => {
        assert.equal(p.speaker, transcribed[i].speaker, format);
        assert.match(p.speaker ?? '', /^Speaker( \d+)?$/, format);
        assert.match(p.text, words, format);
        assert.equal(p.text, transcribed[i].text, format);
        if (format === 'txt') {
          assert.equal(p.t0, Math.floor(segments[i].t0), format);
          assert.equal(p.t1, null);
        } else {
          assert.ok(Math.abs(p.t0! - transcribed[i].t0) < 1e-9 && Math.abs(p.t1! - transcribed[i].t1) < 1e-9, `${format} segment ${i + 1} times`);
        }
      });
    }
  });

  it('json: the session header and duration', async () => {
    const doc = JSON.parse(await exported('json')) as SessionExport;
    assert.equal(doc.session.title, 'standup');
    assert.deepEqual(doc.session.sources, ['file']);
    assert.equal(doc.session.audioFile, SAMPLE_WAV);
    assert.ok(doc.session.durationSec! > 29 && doc.session.durationSec! < 31, String(doc.session.durationSec));
    assert.ok(Array.isArray(doc.actionItems) && Array.isArray(doc.decisions));
  });

  it('srt and vtt are well-formed subtitle files', async () => {
    const srt = await exported('srt');
    assert.match(srt, /^(\d+\n\d{2}:\d{2}:\d{2},\d{3} --> \d{2}:\d{2}:\d{2},\d{3}\nSpeaker( \d+)?: [^\n]+\n)(\n\d+\n\d{2}:\d{2}:\d{2},\d{3} --> \d{2}:\d{2}:\d{2},\d{3}\nSpeaker( \d+)?: [^\n]+\n)*$/);
    const vtt = await exported('vtt');
    assert.match(vtt, /^WEBVTT\n(\n\d{2}:\d{2}:\d{2}\.\d{3} --> \d{2}:\d{2}:\d{2}\.\d{3}\n<v Speaker( \d+)?>[^\n]+\n)+$/);
  });

  it('--out writes the file; a torn journal still exports with a warning; a missing one exits 1', async () => {
    const out = path.join(dir, 'export', 'standup.vtt');
    const run = await runEarshot(['export', journalPath, '--out', out]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '');
    assert.equal(fs.readFileSync(out, 'utf8'), await exported('vtt'));

    const torn = path.join(dir, 'torn.jsonl');
    const text = fs.readFileSync(journalPath, 'utf8');
    fs.writeFileSync(torn, text.slice(0, text.lastIndexOf('\n', text.length - 2) + 20)); // cut into the end record
    const tornRun = await runEarshot(['export', torn, '--format', 'txt']);
    assert.equal(tornRun.code, 0, tornRun.stderr);
    assert.equal(tornRun.stdout, await exported('txt'));
    assert.match(tornRun.stderr, /cut off/);

    const missing = path.join(dir, 'nope.jsonl');
    const missingRun = await runEarshot(['export', missing]);
    assert.equal(missingRun.code, 1);
    assert.equal(missingRun.stderr.trim(), `earshot: cannot read journal ${missing}: no such file`);
  });
});
