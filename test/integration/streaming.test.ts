/**
 * Streaming recognition end to end, against the real daemon process with the real Silero VAD and the
 * mini whisper model (every word it says is "hello"): nothing is decoded for silence or noise, partials
 * come before the final of their utterance and only grow, finals carry the speech boundaries, a stop
 * flushes the utterance in progress, vocabulary notifications are taken (or shrugged off), and health
 * arrives while a session streams.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  HealthParams, PROTOCOL_VERSION, SessionStart, SessionStatus, SessionStop, SessionStopResult, TranscriptSegment, Vocabulary,
} from '../../protocol/protocol';
import { JournalRecord } from '../../daemon/journal/journal';
import { FIXTURES_DIR, miniModel, SAMPLE_WAV, TEST_WORD } from '../setup';
import { turnsOf } from '../support/turns';
import { connectDaemon, RpcClient } from './daemon-process';

interface Turn { speaker: string; start: number; end: number; startSample: number; endSample: number }
const TURNS: Turn[] = JSON.parse(fs.readFileSync(SAMPLE_WAV.replace(/\.wav$/, '.json'), 'utf8'));
const HELLO_WORDS = new RegExp(`^${TEST_WORD}( ${TEST_WORD})*$`);
/** One VAD frame (32 ms): how far a final's boundaries may be from the recording's turns. */
const FRAME_SEC = 0.032 + 1e-9;

/** Makes (once) a 16 kHz mono 16-bit fixture with sox: deterministic (-R), no dither (-D). */
function soxFixture(name: string, effects: string[]): string {
  const file = path.join(FIXTURES_DIR, name);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(FIXTURES_DIR, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp.wav`;
    execFileSync('sox', ['-R', '-D', '-n', '-r', '16000', '-c', '1', '-b', '16', tmp, ...effects]);
    fs.renameSync(tmp, file);
  }
  return file;
}

/**
 * The sample recording up to the end of its second turn, then that turn twice more with no pause: the
 * first turn is untouched, and the second utterance runs from 6.54 s to the end (about 27 s, one
 * utterance of 20 s, under the 25 s cut). A stop "mid-utterance" then has many seconds of margin even
 * when a slow decode makes the pipeline catch up in a burst.
 */
function longSecondTurn(): { file: string; durationSec: number } {
  const second = TURNS[1];
  const file = path.join(FIXTURES_DIR, 'stream-standup-long-turn.wav');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(FIXTURES_DIR, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-fixture-'));
    try {
      const head = path.join(tmp, 'head.wav'), turn = path.join(tmp, 'turn.wav'), out = path.join(tmp, 'out.wav');
      execFileSync('sox', ['-D', SAMPLE_WAV, head, 'trim', '0', `${second.endSample}s`]);
      execFileSync('sox', ['-D', SAMPLE_WAV, turn, 'trim', `${second.startSample}s`, `=${second.endSample}s`]);
      execFileSync('sox', ['-D', head, turn, turn, out]);
      fs.copyFileSync(out, file);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  return { file, durationSec: (second.endSample + 2 * (second.endSample - second.startSample)) / 16000 };
}

function journalRecords(journalPath: string): JournalRecord[] {
  return fs.readFileSync(journalPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as JournalRecord);
}

const wordCount = (text: string) => text.split(/\s+/).filter(Boolean).length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function disposeChecked(client: RpcClient | undefined): Promise<void> {
  if (!client) return;
  const code = await client.dispose();
  assert.equal(code, 0, `daemon exit code ${code}; stderr:\n${client.daemon.stderr().slice(-2000)}`);
}

/** One whisper thread: on two shared cores, ggml's spinning worker threads slow each other down tenfold when anything else runs. */
function initOptions(dir: string): Record<string, unknown> {
  return { protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: miniModel(), threads: 1 };
}

describe('streaming: digital silence and pink noise produce nothing (real daemon, Silero VAD)', () => {
  let dir: string;
  let client: RpcClient;
  const runs = new Map<string, { stopped: SessionStopResult; healthAfter: HealthParams; error: string | undefined; capturedSec: number }>();

  before(async function () {
    this.timeout(80_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-stream-quiet-'));
    const files: [string, string][] = [
      ['silence', soxFixture('stream-silence-20s.wav', ['synth', '20', 'sine', '0', 'vol', '0'])],
      ['pink noise', soxFixture('stream-pink-20s.wav', ['synth', '20', 'pinknoise', 'vol', '0.2'])],
    ];
    client = connectDaemon({ EARSHOT_MODEL: undefined });
    await client.initialize(initOptions(dir));
    for (const [name, file] of files) {
      const healthBefore = client.health.length;
      const started = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: file, pace: 'fast', title: name });
      const done = await client.sessionDone(started.sessionId);
      // The daemon sends health right after 'done'.
      const healthAfter = await client.waitFor('health after the session', () => client.health.length > healthBefore && client.health[client.health.length - 1]);
      const status = await client.connection.sendRequest(SessionStatus, { sessionId: started.sessionId });
      const stopped = await client.connection.sendRequest(SessionStop, { sessionId: started.sessionId });
      runs.set(name, { stopped, healthAfter, error: done.error, capturedSec: status.capturedSec });
    }
  });

  after(async () => {
    try {
      await disposeChecked(client);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sends no earshot/transcript notification at all', () => {
    assert.deepEqual(client.transcripts, []);
  });

  for (const name of ['silence', 'pink noise']) {
    it(`${name}: the session runs the whole file to done with no error and journals zero segments`, () => {
      const run = runs.get(name)!;
      assert.equal(run.error, undefined);
      assert.ok(Math.abs(run.capturedSec - 20) < 0.05, `captured ${run.capturedSec} s`);
      assert.deepEqual(run.stopped.segments, []);
      const records = journalRecords(run.stopped.journalPath);
      assert.equal(records.filter((r) => r.type === 'segment').length, 0);
      assert.equal(records[0].type, 'session');
      assert.equal(records[records.length - 1].type, 'end');
    });
  }

  it('never decoded: the loaded model has no decode statistics after either session (warm-up is not counted)', () => {
    for (const [name, run] of runs) {
      const m = run.healthAfter.model;
      assert.equal(m.state, 'ready', name);
      assert.ok(typeof m.loadMs === 'number' && m.loadMs > 0, `${name}: loadMs ${m.loadMs}`);
      assert.deepEqual({ rtf: m.rtf, p50Ms: m.p50Ms, p95Ms: m.p95Ms }, { rtf: null, p50Ms: null, p95Ms: null }, name);
    }
    assert.ok(client.health.every((h) => h.model.p50Ms === null), 'no health ever reported a decode');
  });
});

describe('streaming: partials then finals at real-time pace, stop mid-utterance, health and vocabulary (real daemon)', () => {
  let dir: string;
  let client: RpcClient;
  let fixture: { file: string; durationSec: number };
  let sessionId: string;
  let statusBeforeStart: string;
  let capturedAtStop: number;
  /** Seconds captured in all, once stopped. */
  let capturedInAll: number;
  let stopped: SessionStopResult;
  /** Health notifications received while the session was streaming. */
  let streamingHealth: HealthParams[];
  let healthAfterDone: HealthParams;

  before(async function () {
    this.timeout(80_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-stream-live-'));
    fixture = longSecondTurn();
    client = connectDaemon({ EARSHOT_MODEL: undefined });
    await client.initialize(initOptions(dir));
    await client.connection.sendNotification(Vocabulary, { words: ['parseConfig', 'AuthService'] });
    statusBeforeStart = (await client.connection.sendRequest(SessionStatus, {})).state;
    const started = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: fixture.file, pace: 'realtime', title: 'Live' });
    sessionId = started.sessionId;
    const healthAtStart = client.health.length;
    // Once the first turn is final: stop after a partial of the second utterance and 8 s of capture (or, when
    // slow decodes hold partials back, at 14 s): either way in the middle of the second utterance.
    const first = await client.waitFor('the first final', () => client.transcripts.find((t) => t.final), 60_000);
    for (;;) {
      const status = await client.connection.sendRequest(SessionStatus, {});
      capturedAtStop = status.capturedSec;
      const secondPartial = client.transcripts.some((t) => !t.final && t.segmentId !== first.segmentId);
      if ((secondPartial && capturedAtStop >= 8) || capturedAtStop >= 14 || status.state !== 'streaming') break;
      await sleep(50);
    }
    const healthAtStop = client.health.length;
    stopped = await client.connection.sendRequest(SessionStop, { sessionId });
    await client.sessionDone(sessionId);
    capturedInAll = (await client.connection.sendRequest(SessionStatus, { sessionId })).capturedSec;
    healthAfterDone = await client.waitFor('health after done', () => client.health.length > healthAtStop && client.health[client.health.length - 1]);
    streamingHealth = client.health.slice(healthAtStart, healthAtStop);
  });

  after(async () => {
    try {
      await disposeChecked(client);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  const mine = () => client.transcripts.filter((t) => t.sessionId === sessionId);
  const finals = () => mine().filter((t) => t.final);

  it('stopped while the second utterance was in progress (the file was not played out)', () => {
    assert.equal(statusBeforeStart, 'idle');
    assert.ok(capturedAtStop >= 8, `stopped at ${capturedAtStop} s`);
    assert.ok(capturedInAll < fixture.durationSec - 1, `captured ${capturedInAll} s of ${fixture.durationSec} s`);
  });

  it('sends partials before the final of their segment, never after, and at least one for the first turn', () => {
    const all = mine();
    // Two turns; the first has a 320 ms pause, where the early end splits it when whisper was done in it (support/turns.ts).
    const turns = turnsOf(finals());
    assert.equal(turns.length, 2, JSON.stringify(finals()));
    for (const f of finals()) {
      const finalAt = all.indexOf(f);
      const partials = all.filter((t) => !t.final && t.segmentId === f.segmentId);
      for (const p of partials) assert.ok(all.indexOf(p) < finalAt, `a partial of ${f.segmentId} after its final`);
      assert.equal(all.filter((t) => t.final && t.segmentId === f.segmentId).length, 1, 'one final per segment');
    }
    assert.ok(all.some((t) => !t.final && turns[0].ids.includes(t.segmentId)), `no partial for the first turn (${turns[0].ids.join(', ')})`);
    assert.ok(all.every((t) => finals().some((f) => f.segmentId === t.segmentId)), 'no segment without its final');
  });

  it('partials only grow: "hello" words, and a later partial never has more than one word fewer (LocalAgreement)', () => {
    const bySegment = new Map<string, TranscriptSegment[]>();
    for (const t of mine()) if (!t.final) bySegment.set(t.segmentId, [...(bySegment.get(t.segmentId) ?? []), t]);
    assert.ok(bySegment.size >= 1);
    for (const [segmentId, partials] of bySegment) {
      for (const [i, p] of partials.entries()) {
        assert.match(p.text, HELLO_WORDS);
        assert.equal(p.t0, partials[0].t0, 'a segment keeps its start');
        if (i > 0) {
          const before = wordCount(partials[i - 1].text), now = wordCount(p.text);
          assert.ok(now >= before - 1, `${segmentId}: partial ${i} has ${now} words after ${before}`);
          assert.ok(p.t1 >= partials[i - 1].t1, `${segmentId}: partial ${i} ends earlier than the one before`);
        }
      }
    }
  });

  it('stamps the first final with the first turn boundaries (within one VAD frame)', () => {
    const [f] = turnsOf(finals());
    for (const text of f.texts) assert.match(text, HELLO_WORDS);
    assert.ok(Math.abs(f.t0 - TURNS[0].start) <= FRAME_SEC, `t0 ${f.t0} vs ${TURNS[0].start}`);
    assert.ok(Math.abs(f.t1 - TURNS[0].end) <= FRAME_SEC, `t1 ${f.t1} vs ${TURNS[0].end}`);
  });

  it('flushes the utterance in progress as a final at stop: from the second turn start to no later than capture went', () => {
    const f = turnsOf(finals())[1];
    for (const text of f.texts) assert.match(text, HELLO_WORDS);
    assert.ok(Math.abs(f.t0 - TURNS[1].start) <= FRAME_SEC, `t0 ${f.t0} vs ${TURNS[1].start}`);
    assert.ok(f.t1 > f.t0 && f.t1 <= capturedInAll + 1e-9, `t1 ${f.t1}, captured ${capturedInAll}`);
  });

  it('the stop result lists both finals, the flushed one included, as journaled', () => {
    assert.deepEqual(stopped.segments.map((s) => [s.segmentId, s.text, s.t0, s.t1]), finals().map((f) => [f.segmentId, f.text, f.t0, f.t1]));
    const journaled = journalRecords(stopped.journalPath).filter((r) => r.type === 'segment');
    assert.deepEqual(journaled.map((r) => r.type === 'segment' && r.segmentId), stopped.segments.map((s) => s.segmentId));
  });

  it('sends health while streaming: ready model, backlog ≥ 0, degrade level 0 (normal), resident memory', () => {
    assert.ok(streamingHealth.length >= 2, `${streamingHealth.length} health notifications in ${capturedAtStop} s of streaming`);
    const degrades = client.logs.filter((l) => l.includes('"degrade"'));
    for (const h of streamingHealth) {
      assert.equal(h.model.state, 'ready');
      assert.equal(h.model.path, miniModel());
      assert.ok(typeof h.backlogSec === 'number' && Number.isFinite(h.backlogSec) && h.backlogSec >= 0, `backlogSec ${h.backlogSec}`);
      assert.equal(h.degradeLevel, 0, `the recognizer fell behind: ${degrades.join('\n')}`);
      assert.equal(h.degradeName, 'normal');
      assert.equal(h.dropped, 0);
      assert.ok(Number.isInteger(h.rssBytes) && h.rssBytes > 0, `rssBytes ${h.rssBytes}`);
    }
  });

  it('counts the decodes of speech in health (so a null p50 after silence means no decode)', () => {
    const m = healthAfterDone.model;
    assert.ok(typeof m.p50Ms === 'number' && m.p50Ms > 0, `p50Ms ${m.p50Ms}`);
    assert.ok(typeof m.rtf === 'number' && m.rtf > 0, `rtf ${m.rtf}`);
    assert.equal(healthAfterDone.backlogSec, 0, 'no session streams any more');
  });

  it('survives malformed vocabulary notifications: it logs them, still answers, and the next session transcribes normally', async function () {
    this.timeout(60_000);
    const logsBefore = client.logs.length;
    await client.connection.sendNotification('earshot/vocabulary', { words: 'parseConfig' });
    await client.connection.sendNotification('earshot/vocabulary', { words: ['ok', 42] });
    await client.connection.sendNotification('earshot/vocabulary', null);
    const status = await client.connection.sendRequest(SessionStatus, {});
    assert.equal(status.state, 'done');
    assert.equal(status.sessionId, sessionId);
    const warnings = client.logs.slice(logsBefore).filter((l) => l.includes('"bad_vocabulary"'));
    assert.equal(warnings.length, 3, client.logs.slice(logsBefore).join('\n'));
    assert.ok(warnings.every((w) => !w.includes('parseConfig')), 'the words themselves are not logged');

    // A valid list (more words than are kept) after the bad ones, then a whole session at full speed.
    await client.connection.sendNotification(Vocabulary, { words: [...Array.from({ length: 100 }, (_, i) => `identifier${i}`), 'AuthService'] });
    const started = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast' });
    const done = await client.sessionDone(started.sessionId);
    assert.equal(done.error, undefined);
    const result = await client.connection.sendRequest(SessionStop, { sessionId: started.sessionId });
    assert.equal(result.segments.length, TURNS.length);
    for (const [i, s] of result.segments.entries()) {
      assert.match(s.text, HELLO_WORDS);
      assert.ok(Math.abs(s.t0 - TURNS[i].start) <= FRAME_SEC && Math.abs(s.t1 - TURNS[i].end) <= FRAME_SEC, `segment ${i}: ${s.t0}–${s.t1}`);
    }
  });
});
