/**
 * Crash and restart with real daemon processes: a session survives its daemon being SIGKILLed (a new daemon resumes
 * it under the same id from its journal, nothing finalized is lost or finalized twice), a session nobody resumes is
 * finalized from its journal (also after a power loss tore its last line), and a daemon whose parent dies finalizes
 * its session and exits.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ErrorCodes, PROTOCOL_VERSION, SessionInterrupted, SessionResume, SessionResumeResult, SessionStart, SessionStop, SessionTranscript,
} from '../../protocol/protocol';
import { currentItems, JournalRecord, readJournal, segmentsOf } from '../../daemon/journal/journal';
import { DAEMON_BIN, MEETING_SENTENCE_TOKENS, REPO_ROOT, SAMPLE_WAV, sayingModel, sentenceText } from '../setup';
import { connectDaemon, rejection, RpcClient } from './daemon-process';
import { Turn, turnsOf } from '../support/turns';
import { seededRandom } from '../support/random';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The sample (PCM16, 16 kHz mono, 44-byte header) played `times` times in a row. */
function repeatedSample(dir: string, times: number): string {
  const wav = fs.readFileSync(SAMPLE_WAV);
  const data = wav.subarray(44);
  const header = Buffer.from(wav.subarray(0, 44));
  header.writeUInt32LE(36 + data.length * times, 4);
  header.writeUInt32LE(data.length * times, 40);
  const file = path.join(dir, `standup-x${times}.wav`);
  fs.writeFileSync(file, Buffer.concat([header, ...Array.from({ length: times }, () => data)]));
  return file;
}

type Segment = ReturnType<typeof segmentsOf>[number];
const view = (s: Segment) => ({ segmentId: s.segmentId, source: s.source, speaker: s.speaker, t0: s.t0, t1: s.t1, text: s.text });

describe('crash and restart (real daemons)', function () {
  this.timeout(240_000);
  let dir: string;
  let clients: RpcClient[] = [];
  const model = () => sayingModel('meeting', MEETING_SENTENCE_TOKENS);
  const init = (extra: Record<string, unknown> = {}) => ({
    protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: model(), threads: 1, ...extra,
  });
  const connect = () => {
    const client = connectDaemon();
    clients.push(client);
    return client;
  };
  const journalOf = (sessionId: string) => path.join(dir, 'storage', 'sessions', `${sessionId}.jsonl`);

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-crash-'));
    clients = [];
  });
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.dispose().catch(() => undefined)));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('20 SIGKILLs during a session: each new daemon resumes it, 0 finals lost, 0 duplicated', async () => {
    const audioFile = repeatedSample(dir, 2); // 60 s: room for 20 lives of 0.3–2 s plus each daemon's start
    const begun = Date.now();

    // The same file without interruption (as fast as it goes: the boundaries and text do not depend on the pace).
    const reference = connect();
    await reference.initialize(init({ storageDir: path.join(dir, 'reference') }));
    const ref = await reference.connection.sendRequest(SessionStart, { sources: ['file'], audioFile, pace: 'fast' });
    await reference.sessionDone(ref.sessionId);
    const refJournal = await readJournal(path.join(dir, 'reference', 'sessions', `${ref.sessionId}.jsonl`));
    const expected = segmentsOf(refJournal.records).map(view);
    assert.ok(expected.length >= 5, `the reference run has finals: ${expected.length}`);

    // Played at its real pace, killed 20 times at random moments 0.3–2 s after the daemon resumed it (mid-stream), and
    // a few more times while a new daemon starts and resumes it (its journal being reopened).
    const KILLS = 20;
    const random = seededRandom(7);
    let sessionId = '';
    let kills = 0;
    let startupKills = 0;
    let killedWhileStreaming = 0;
    const resumed: SessionResumeResult[] = [];
    for (let life = 0; ; life++) {
      const client = connect();
      const ready = (async () => {
        await client.initialize(init());
        if (life === 0) sessionId = (await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile, pace: 'realtime' })).sessionId;
        else resumed.push(await client.connection.sendRequest(SessionResume, { sessionId }));
      })();
      const done = ready.then(() => client.sessionDone(sessionId, 120_000));
      ready.catch(() => undefined);
      done.catch(() => undefined);
      if (kills === KILLS) {
        await done;
        break;
      }
      const duringStartup = life % 5 === 3;
      if (!duringStartup) await ready; // the session streams in this daemon before it is killed
      const delay = duringStartup ? 50 + random() * 450 : 300 + random() * 1700;
      const winner = await Promise.race([sleep(delay).then(() => 'kill' as const), done.then(() => 'done' as const)]);
      if (winner === 'done') break;
      const streaming = client.states.some((s) => s.sessionId === sessionId && s.state === 'streaming');
      const exited = once(client.daemon.child, 'exit');
      client.daemon.child.kill('SIGKILL');
      await exited;
      client.connection.dispose();
      if (duringStartup) {
        startupKills++;
      } else {
        kills++;
        if (streaming) killedWhileStreaming++;
      }
    }
    const seconds = (Date.now() - begun) / 1000;

    const journal = await readJournal(journalOf(sessionId));
    const records = journal.records.filter((r): r is Extract<JournalRecord, { type: 'segment' }> => r.type === 'segment');
    const finals = segmentsOf(journal.records);
    const actual = finals.map(view);
    const ids = records.map((r) => r.segmentId);
    const duplicated = ids.length - new Set(ids).size;
    // Paced as spoken, a turn may be cut where a pause outlasts the final's decode (issue 60's early end: how fast
    // whisper was decides it) and goes on in a final that `continues` it; the reference, decoded as fast as it goes,
    // never is. So the runs are compared turn by turn: the same turns, each the same span of speech, none twice.
    const expectedTurns = turnsOf(segmentsOf(refJournal.records));
    const actualTurns = turnsOf(finals);
    const span = (t: Turn) => [t.t0, t.t1];
    const lost = expectedTurns.filter((e) => !actualTurns.some((a) => a.t0 === e.t0 && a.t1 === e.t1)).length;
    const resumes = journal.records.filter((r) => r.type === 'resume').length;
    console.log(`      ${kills} kills mid-stream (${killedWhileStreaming} streaming) + ${startupKills} during start/resume, ${resumes} resumes, `
      + `${actual.length} finals in ${actualTurns.length} turns (reference ${expected.length} in ${expectedTurns.length}), `
      + `lost ${lost}, duplicated ${duplicated}, ${seconds.toFixed(1)} s`);
    assert.equal(kills, KILLS, 'every kill happened before the session ended');
    assert.equal(killedWhileStreaming, KILLS, 'every counted kill hit a streaming session');
    assert.equal(duplicated, 0, 'no final journaled twice');
    for (let i = 1; i < actual.length; i++) assert.ok(actual[i].t0 >= actual[i - 1].t1, `finals ${actual[i - 1].segmentId} and ${actual[i].segmentId} do not overlap`);
    // On a failure, where the finals and the resumes fell (ids and times only).
    if (lost) console.log(JSON.stringify({ expected: expected.map((e) => [e.segmentId, e.t0, e.t1]), actual: finals.map((a) => [a.segmentId, a.t0, a.t1, a.continues]), resumes: journal.records.filter((r) => r.type === 'resume') }));
    assert.equal(lost, 0, `no turn of the uninterrupted run is missing or cut short: ${JSON.stringify(expectedTurns.map(span))} against ${JSON.stringify(actualTurns.map(span))}`);
    // Resume is deterministic where it counts: every turn heard once, over the same speech, by the same voice, with
    // the same text where it was not cut (a cut turn's parts are each a final of their own audio).
    assert.deepEqual(actualTurns.map(span), expectedTurns.map(span));
    actualTurns.forEach((a, i) => {
      assert.deepEqual(a.speakers, expectedTurns[i].speakers, `turn ${i}'s voice`);
      if (a.texts.length === 1) assert.deepEqual(a.texts, expectedTurns[i].texts, `turn ${i}'s text`);
      else assert.ok(a.texts.every((t) => t.length > 0), `turn ${i}'s parts have text`);
    });
    assert.ok(resumes >= KILLS && resumes <= kills + startupKills, `resume records: ${resumes}`);
    // Items are numbered on, not restarted: every action item of the uninterrupted run, in its turn, each id once.
    const items = currentItems(journal.records).actionItems;
    assert.equal(new Set(items.map((i) => i.id)).size, items.length, 'item ids once each');
    const turnOf = (turns: Turn[], segmentId: string) => turns.findIndex((t) => t.ids.includes(segmentId));
    const itemView = (list: typeof items, turns: Turn[]) => list.map((i) => JSON.stringify({ turn: turnOf(turns, i.segmentId), text: i.text, owner: i.owner, due: i.due }));
    const actualItems = itemView(items, actualTurns);
    for (const e of itemView(currentItems(refJournal.records).actionItems, expectedTurns)) assert.ok(actualItems.includes(e), `item ${e} kept`);
    assert.ok(journal.records.filter((r) => r.type === 'end').length === 1, 'one end record');
    // Each resume answered with what was final so far (the panel is restored from it). A final whose speaker the stage
    // had not heard before the kill still has the file's label there; its speaker follows in a relabel (compared above).
    const settled = (s: Segment, a: ReturnType<typeof view>) => ({ ...view(s), speaker: s.speaker === 'Speaker' ? a?.speaker : s.speaker });
    for (const r of resumed) {
      assert.equal(r.sessionId, sessionId);
      assert.deepEqual(r.transcript.segments.map((s, i) => settled(s, actual[i])), actual.slice(0, r.transcript.segments.length));
      assert.equal(r.transcript.session.state, 'streaming');
    }
    assert.ok(resumed.some((r) => r.transcript.segments.length > 0), 'some resume restored finals');
    const notes = fs.readFileSync(resumed[0]?.notesPath ?? '', 'utf8');
    assert.equal(notes.split(sentenceText(MEETING_SENTENCE_TOKENS)).length - 1 >= expected.length, true, 'the notes hold every final');
    assert.doesNotMatch(notes, /in progress/);
  });

  it('answers resume errors: unknown id, a session that ended, another one running; resuming the running one answers it again', async () => {
    const client = connect();
    await client.initialize(init());
    const unknown = await rejection(client.connection.sendRequest(SessionResume, { sessionId: '20200101T000000-abcdef' }));
    assert.equal(unknown.code, ErrorCodes.SessionNotFound);
    const bad = await rejection(client.connection.sendRequest(SessionResume, { sessionId: '../etc/passwd' }));
    assert.equal(bad.code, ErrorCodes.InvalidParams);

    const first = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast' });
    await client.sessionDone(first.sessionId);
    const ended = await rejection(client.connection.sendRequest(SessionResume, { sessionId: first.sessionId }));
    assert.equal(ended.code, ErrorCodes.SessionEnded);
    assert.match(ended.message, /ended/);

    const running = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'realtime' });
    const again = await client.connection.sendRequest(SessionResume, { sessionId: running.sessionId });
    assert.equal(again.sessionId, running.sessionId);
    assert.equal(again.transcript.session.state, 'streaming');
    // An interrupted session cannot be resumed while another one records.
    const other = connect();
    await other.initialize(init());
    const busy = await rejection(other.connection.sendRequest(SessionResume, { sessionId: running.sessionId }));
    assert.equal(busy.code, ErrorCodes.SessionAlreadyRunning, 'held by the first daemon');
    const otherRunning = await other.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'realtime' });
    const exited = once(client.daemon.child, 'exit');
    client.daemon.child.kill('SIGKILL');
    await exited;
    const stillBusy = await rejection(other.connection.sendRequest(SessionResume, { sessionId: running.sessionId }));
    assert.equal(stillBusy.code, ErrorCodes.SessionAlreadyRunning, 'this daemon records another session');
    assert.match(stillBusy.message, new RegExp(otherRunning.sessionId));
    await other.connection.sendRequest(SessionStop, { sessionId: otherRunning.sessionId });
    const listed = await other.connection.sendRequest(SessionInterrupted, {});
    assert.deepEqual(listed.sessions.map((s) => s.sessionId), [running.sessionId]);
    const resumed = await other.connection.sendRequest(SessionResume, { sessionId: running.sessionId });
    assert.equal(resumed.transcript.session.state, 'streaming');
    await other.connection.sendRequest(SessionStop, { sessionId: running.sessionId });
    const journal = await readJournal(journalOf(running.sessionId));
    assert.equal(journal.records.filter((r) => r.type === 'resume').length, 1);
    assert.equal(journal.records.filter((r) => r.type === 'end').length, 1);
  });

  it('finalizes an interrupted session nobody resumes, everything before a torn last line kept', async () => {
    // A session interrupted by a power loss: its daemon is killed, then its last record is cut mid-character.
    const first = connect();
    await first.initialize(init());
    const { sessionId, notesPath } = await first.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'realtime' });
    await first.waitFor('two finals', () => first.transcripts.filter((t) => t.final && t.text).length >= 2, 60_000);
    const exited = once(first.daemon.child, 'exit');
    first.daemon.child.kill('SIGKILL');
    await exited;
    const file = journalOf(sessionId);
    const before = segmentsOf((await readJournal(file)).records);
    assert.ok(before.length >= 2);
    const torn = JSON.stringify({ type: 'segment', segmentId: 'file-99', source: 'file', speaker: 'Speaker', t0: 40, t1: 41, text: 'naïve café' });
    const bytes = Buffer.from(torn, 'utf8');
    fs.appendFileSync(file, bytes.subarray(0, bytes.indexOf(Buffer.from('ï')) + 1)); // the first byte of a two-byte character

    // A daemon started with a long grace lists it; the transcript request serves a panel from the journal.
    const second = connect();
    await second.initialize(init());
    const listed = await second.connection.sendRequest(SessionInterrupted, {});
    assert.equal(listed.sessions.length, 1);
    assert.equal(listed.sessions[0].sessionId, sessionId);
    assert.equal(listed.sessions[0].tornTail, true);
    assert.equal(listed.sessions[0].finalSegments, before.length);
    const transcript = await second.connection.sendRequest(SessionTranscript, { sessionId });
    assert.equal(transcript.interrupted, true);
    assert.deepEqual(transcript.segments, before);
    assert.ok(transcript.actionItems.length >= 1, 'items restored');
    await second.dispose();

    // One started with no grace finalizes it at once: notes complete, an end record (interrupted), no torn line.
    const third = connect();
    await third.initialize(init({ interruptedGraceSec: 0 }));
    await third.waitFor('the end record', () => fs.readFileSync(file, 'utf8').includes('"type":"end"'), 10_000);
    const journal = await readJournal(file);
    assert.equal(journal.tornTail, false, 'the torn line was cut');
    assert.deepEqual(segmentsOf(journal.records), before, 'everything before the tear is kept');
    const end = journal.records.find((r) => r.type === 'end');
    assert.ok(end && end.type === 'end' && end.reason === 'interrupted');
    await third.waitFor('the lock to go', () => !fs.existsSync(file.replace(/\.jsonl$/, '.lock')), 10_000);
    const notes = fs.readFileSync(notesPath, 'utf8');
    assert.doesNotMatch(notes, /in progress/);
    assert.equal(notes.split(sentenceText(MEETING_SENTENCE_TOKENS)).length - 1 >= before.length, true);
    assert.deepEqual((await third.connection.sendRequest(SessionInterrupted, {})).sessions, []);
    const resume = await rejection(third.connection.sendRequest(SessionResume, { sessionId }));
    assert.equal(resume.code, ErrorCodes.SessionEnded);
    // Stopping it again answers the same result.
    const stopped = await third.connection.sendRequest(SessionStop, { sessionId });
    assert.deepEqual(stopped.segments, before);
  });

  it('an orphaned daemon (its parent killed, stdin still open) finalizes its session and exits', async () => {
    // parent.js spawns the daemon with the test's pipes (so stdin stays open when the parent dies) and says its pid.
    const parentJs = path.join(dir, 'parent.js');
    fs.writeFileSync(parentJs, `
      const { spawn } = require('node:child_process');
      const child = spawn(process.execPath, [${JSON.stringify(DAEMON_BIN)}, 'daemon'], { cwd: ${JSON.stringify(REPO_ROOT)}, stdio: 'inherit' });
      process.stderr.write('daemon-pid=' + child.pid + '\\n');
      setInterval(() => {}, 1000);
    `);
    const parent = spawn(process.execPath, [parentJs], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, EARSHOT_LOG_LEVEL: 'info' } });
    let stderr = '';
    parent.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    const { createMessageConnection, StreamMessageReader, StreamMessageWriter, InitializeRequest, InitializedNotification } = await import('vscode-languageserver-protocol/node');
    const connection = createMessageConnection(new StreamMessageReader(parent.stdout), new StreamMessageWriter(parent.stdin));
    connection.onRequest('window/workDoneProgress/create', () => null);
    connection.onNotification('window/logMessage', () => undefined);
    connection.listen();
    try {
      await connection.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: init() } as never);
      await connection.sendNotification(InitializedNotification.type, {});
      const daemonPid = Number(/daemon-pid=(\d+)/.exec(stderr)?.[1]);
      assert.ok(daemonPid > 0);
      const { sessionId, notesPath } = await connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'realtime' });
      const file = journalOf(sessionId);
      for (let i = 0; i < 300 && !fs.readFileSync(file, 'utf8').includes('"type":"segment"'); i++) await sleep(50);
      const killedAt = Date.now();
      parent.kill('SIGKILL');
      // The daemon's stdin is still the test's pipe: only the parent's death tells it.
      for (let i = 0; i < 200 && alive(daemonPid); i++) await sleep(50);
      const exitSec = (Date.now() - killedAt) / 1000;
      assert.equal(alive(daemonPid), false, 'the daemon exited');
      assert.ok(exitSec < 8, `it exited within a few seconds (${exitSec.toFixed(1)} s)`);
      const journal = await readJournal(file);
      assert.ok(journal.records.some((r) => r.type === 'end'), 'its journal has an end record');
      assert.doesNotMatch(fs.readFileSync(notesPath, 'utf8'), /in progress/);
      assert.equal(fs.existsSync(file.replace(/\.jsonl$/, '.lock')), false, 'its lock is released');
    } finally {
      connection.dispose();
      parent.stdin.destroy();
    }
  });
});

/** Whether a process runs (an exited one left unreaped by whoever adopted it is a zombie: not running). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/\)\s+Z\s/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return process.platform !== 'linux';
  }
}
