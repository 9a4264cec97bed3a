/**
 * `earshot transcribe` as a real process: real decoding of the sample with the mini model.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CACHE_FILE as GPUS_CACHE_FILE } from '../../daemon/models/gpus';
import { fixture, miniModel, REPO_ROOT, SAMPLE_WAV, TEST_WORD } from '../setup';
import { runEarshot } from './daemon-process';
import { DAEMON_ALLOCATOR_ENV, DAEMON_NODE_FLAGS } from '../../protocol/allocator';

interface Turn { start: number; end: number }
const TURNS: Turn[] = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'media', 'sample', 'standup.json'), 'utf8'));
const HELLO_WORDS = new RegExp(`^${TEST_WORD}( ${TEST_WORD})*$`);

/** Every file under `dir`, relative to it ([] when it does not exist). */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)));
}

describe('earshot transcribe (real process)', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-cli-it-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("shows Earshot's own output only; whisper.cpp's loading log only with --verbose, as Earshot's debug records", async () => {
    const quiet = await runEarshot(['transcribe', SAMPLE_WAV, '--model', miniModel(), '--notes-dir', path.join(dir, 'n1'), '--threads', '1'], { EARSHOT_STORAGE: path.join(dir, 's1') });
    assert.equal(quiet.code, 0, quiet.stderr.slice(-2000));
    assert.deepEqual(quiet.stderr.split('\n').filter(Boolean).map((l) => l.replace(/: .*/, ':')), ['Notes:'], quiet.stderr.slice(0, 2000));
    const verbose = await runEarshot(['transcribe', SAMPLE_WAV, '--model', miniModel(), '--notes-dir', path.join(dir, 'n2'), '--threads', '1', '--verbose'], { EARSHOT_STORAGE: path.join(dir, 's2') });
    assert.equal(verbose.code, 0, verbose.stderr.slice(-2000));
    const lines = verbose.stderr.split('\n').filter(Boolean);
    // Nothing raw from whisper.cpp: every line is one of Earshot's JSON records, or its own "Notes:" line.
    const raw = lines.filter((l) => !l.startsWith('{') && !l.startsWith('Notes: '));
    assert.deepEqual(raw, [], 'lines that are not Earshot records');
    const whisperLines = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: string; component: string; event: string; line?: string })
      .filter((r) => r.component === 'whisper.cpp');
    assert.ok(whisperLines.some((r) => /whisper_model_load|whisper_init_from_file/.test(r.line ?? '')), verbose.stderr.slice(0, 2000));
    assert.ok(whisperLines.every((r) => r.level === 'debug' && r.event === 'log' && typeof r.line === 'string' && !r.line.includes('\n')));
    assert.equal(verbose.stdout, quiet.stdout, 'the same transcript either way');
    // Started from a plain `node bin/earshot.js`, the command ran with the daemon's memory settings (daemon/reexec.ts).
    const settings = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { event: string; mallocMmapThreshold?: string; nodeFlags?: string[] })
      .find((r) => r.event === 'memory_settings');
    assert.equal(settings?.mallocMmapThreshold, DAEMON_ALLOCATOR_ENV.MALLOC_MMAP_THRESHOLD_);
    for (const flag of DAEMON_NODE_FLAGS) assert.ok(settings?.nodeFlags?.includes(flag), JSON.stringify(settings));
  });

  it('transcribes the sample: JSON lines of t0,t1,source,text with "hello" words, and writes the notes', async () => {
    const notesDir = path.join(dir, 'notes');
    const run = await runEarshot(['transcribe', SAMPLE_WAV, '--model', miniModel(), '--json', '--notes-dir', notesDir, '--threads', '2'],
      { EARSHOT_STORAGE: path.join(dir, 'storage') });
    assert.equal(run.code, 0, run.stderr.slice(-2000));
    const lines = run.stdout.split('\n').filter(Boolean);
    assert.equal(lines.length, TURNS.length, run.stdout);
    const segments = lines.map((l) => JSON.parse(l) as { t0: number; t1: number; source: string; text: string });
    for (const [i, s] of segments.entries()) {
      assert.deepEqual(Object.keys(s).sort(), ['source', 'speaker', 't0', 't1', 'text']);
      assert.equal(s.source, 'file');
      assert.match(s.text, HELLO_WORDS);
      assert.ok(s.t0 < TURNS[i].end && TURNS[i].start < s.t1, `line ${i + 1} (${s.t0}–${s.t1}) misses turn ${TURNS[i].start}–${TURNS[i].end}`);
      assert.ok(s.t1 <= 30.1);
      assert.equal(s.t0, Math.round(s.t0 * 1000) / 1000, 'times in milliseconds precision');
      if (i > 0) assert.ok(s.t0 > segments[i - 1].t0);
    }
    const notes = filesUnder(notesDir);
    assert.equal(notes.length, 1, `notes dir holds ${JSON.stringify(notes)}`);
    assert.match(notes[0], /^\d{4}-\d{2}-\d{2}-\d{4}-standup\.md$/);
    const notesPath = path.join(notesDir, notes[0]);
    assert.ok(run.stderr.includes(`Notes: ${notesPath}`), 'stderr names the notes file');
    const markdown = fs.readFileSync(notesPath, 'utf8');
    assert.ok(markdown.includes('## Transcript'));
    for (const s of segments) assert.ok(markdown.includes(s.text));
    // The journal went to EARSHOT_STORAGE, not to the user's data folder.
    assert.equal(filesUnder(path.join(dir, 'storage', 'sessions')).length, 1);
  });

  it('exits 1 naming the path when the model file is missing', async () => {
    const model = path.join(dir, 'models', 'ggml-missing.bin');
    const notesDir = path.join(dir, 'notes');
    const run = await runEarshot(['transcribe', SAMPLE_WAV, '--model', model, '--json', '--notes-dir', notesDir],
      { EARSHOT_STORAGE: path.join(dir, 'storage') });
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.ok(run.stderr.includes(model), run.stderr);
    assert.match(run.stderr, /^earshot: Whisper model .*: file not found$/m);
    assert.deepEqual(filesUnder(notesDir), []);
  });

  it('exits 1 and writes no notes for a broken wav', async () => {
    const notesDir = path.join(dir, 'notes');
    for (const name of ['not-audio.wav', 'truncated-header.wav']) {
      const audio = name === 'not-audio.wav' ? fixture(name) : path.join(dir, name);
      if (name !== 'not-audio.wav') fs.writeFileSync(audio, fs.readFileSync(fixture('pcm16-16k-mono.wav')).subarray(0, 30));
      const run = await runEarshot(['transcribe', audio, '--model', miniModel(), '--json', '--notes-dir', notesDir],
        { EARSHOT_STORAGE: path.join(dir, 'storage') });
      assert.equal(run.code, 1, run.stderr);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, new RegExp(`earshot: Cannot read audio file ${audio.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
      assert.ok(!run.stderr.includes('Notes:'));
    }
    assert.deepEqual(filesUnder(notesDir), [], 'no notes file was written');
    // Only the GPUs found are kept there (daemon/models/gpus.ts): the model choice looks for them before the audio is read.
    assert.deepEqual(filesUnder(path.join(dir, 'storage')).filter((f) => f !== GPUS_CACHE_FILE), [], 'no journal was written');
  });
});
