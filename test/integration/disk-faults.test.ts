/**
 * Disk faults against the real daemon process (real VAD, the mini whisper model): a notes folder that cannot be written
 * (a path through a file; a read-only file system; a full disk) is reported once while the session keeps recording and
 * journaling, leaves no partial file, and the notes are written as soon as the folder can be written again; a journal on
 * a full disk stops the session with an error that says what is kept, every final announced is in the journal and
 * nothing else, the journal holds whole records only, and a start on that full disk fails cleanly.
 *
 * The tests run as root here, and root ignores file permissions: read-only and full disks are real tmpfs mounts
 * (`mount -t tmpfs`, remounted read-only or filled up). Where mounting is not permitted those tests are skipped with the
 * reason; the path-through-a-file case needs nothing special and always runs.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROTOCOL_VERSION, SessionStart, SessionStop, TranscriptSegment } from '../../protocol/protocol';
import { readJournal } from '../../daemon/journal/journal';
import { FIXTURES_DIR, miniModel, SAMPLE_WAV } from '../setup';
import { connectDaemon, RpcClient, rejection, runEarshot } from './daemon-process';

/** Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN, no seccomp veto); the reason when not. */
function mountProbe(): string | undefined {
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'pipe' });
    execFileSync('umount', [probe], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    return `cannot mount a tmpfs here (${String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim()}): real read-only and full disks need it`;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

/** A small tmpfs at `dir` (created), unmounted by the returned function. */
function mountTmpfs(dir: string, size: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
  return () => {
    try {
      execFileSync('umount', [dir], { stdio: 'pipe' });
    } catch {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    }
  };
}

/** Fills the file system holding `dir` up to the last byte with a file `dir/filler`; returns its path. */
function fillDisk(dir: string): string {
  const filler = path.join(dir, 'filler');
  const fd = fs.openSync(filler, 'w');
  const chunk = Buffer.alloc(64 * 1024, 0x55);
  try {
    for (let size = chunk.length; size >= 1;) {
      try {
        fs.writeSync(fd, chunk, 0, size);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
        size = Math.floor(size / 2); // the last pages, then the last bytes
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return filler;
}

/** Temporary files a writer left behind in `dir`. */
const leftovers = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')) : []);

/** The sample recording `copies` times back to back (sox, deterministic), for sessions with many finals. */
function repeatedSample(copies: number): string {
  const file = path.join(FIXTURES_DIR, `standup-x${copies}.wav`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(FIXTURES_DIR, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp.wav`;
    execFileSync('sox', ['-R', '-D', ...Array<string>(copies).fill(SAMPLE_WAV), tmp]);
    fs.renameSync(tmp, file);
  }
  return file;
}

describe('disk faults: notes folder and journal (real daemon)', function () {
  this.timeout(180_000);
  let dir: string;
  let client: RpcClient | undefined;
  let mountDenied: string | undefined;
  const unmounts: (() => void)[] = [];

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-disk-faults-'));
    mountDenied = mountProbe();
    if (mountDenied) console.log(`      (tmpfs cases skipped: ${mountDenied})`);
  });

  afterEach(async () => {
    if (client) {
      const code = await client.dispose();
      const stderr = client.daemon.stderr();
      client = undefined;
      assert.equal(code, 0, `daemon exit code ${code}; stderr:\n${stderr.slice(-2000)}`);
    }
    while (unmounts.length) unmounts.pop()!();
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function daemonWith(storageDir: string, notesDir: string): Promise<RpcClient> {
    client = connectDaemon();
    await client.initialize({ protocolVersion: PROTOCOL_VERSION, storageDir, notesDir, modelPath: miniModel(), threads: 1 });
    return client;
  }

  const statesOf = (c: RpcClient, id: string) => c.states.filter((s) => s.sessionId === id);
  const finalsOf = (c: RpcClient, id: string) => c.transcripts.filter((t) => t.sessionId === id && t.final && t.text);

  /**
   * The live-notes scenario for one way of breaking the folder: the first notes write fails (or, with `breakAfterFirst`,
   * a later one does), the session says so once and keeps going, then `repair()` and the notes come while it records.
   */
  async function notesFolderScenario(options: {
    notesDir: string; breakFolder(): void; repair(): void; why: RegExp; breakAfterFirst?: boolean;
  }): Promise<void> {
    const c = await daemonWith(path.join(dir, `storage-${path.basename(options.notesDir)}`), options.notesDir);
    if (!options.breakAfterFirst) options.breakFolder();
    // The sample at its real speed: 30 s, six turns, a final every few seconds.
    const { sessionId, notesPath } = await c.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'realtime', title: 'Disk faults' });
    let before: string | undefined;
    if (options.breakAfterFirst) {
      // The first live notes write succeeds; then the folder breaks under it.
      await c.waitFor('the first live notes file', () => fs.existsSync(notesPath) && fs.readFileSync(notesPath, 'utf8').includes('hello'), 60_000);
      before = fs.readFileSync(notesPath, 'utf8');
      options.breakFolder();
    }
    const failed = await c.waitFor('a state notification with notesError', () => statesOf(c, sessionId).find((s) => s.notesError), 60_000);
    assert.equal(failed.state, 'streaming', 'the session keeps recording');
    assert.match(failed.notesError!, new RegExp(`^Cannot write the meeting notes to ${notesPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    assert.match(failed.notesError!, options.why);
    assert.match(failed.notesError!, /Recording goes on and the transcript is kept in the session journal/);
    const finalsAtFailure = finalsOf(c, sessionId).length;
    assert.ok(finalsAtFailure >= 1);
    // Nothing half-written: no temporary file, and a notes file written before is whole (the old version).
    assert.deepEqual(leftovers(path.dirname(notesPath)), []);
    if (before !== undefined) assert.equal(fs.readFileSync(notesPath, 'utf8'), before, 'the notes written before are intact');
    // Still recording: another final comes, journaled and announced, while the notes cannot be written.
    await c.waitFor('a final after the failure', () => finalsOf(c, sessionId).length > finalsAtFailure, 60_000);

    options.repair();
    const failedAt = c.states.indexOf(failed);
    const cleared = await c.waitFor('a state notification without notesError',
      () => c.states.slice(failedAt + 1).find((s) => s.sessionId === sessionId && s.state === 'streaming' && !s.notesError), 60_000);
    assert.ok(cleared);
    const notified = statesOf(c, sessionId).filter((s) => s.notesError);
    assert.equal(new Set(notified.map((s) => s.notesError)).size, 1, 'the failure is announced once (its message does not change)');
    assert.ok(notified.length <= 2, `notesError repeated ${notified.length} times`);
    assert.ok(fs.existsSync(notesPath), 'the notes are written once the folder can be written');
    assert.match(fs.readFileSync(notesPath, 'utf8'), /hello/);

    const stopped = await c.connection.sendRequest(SessionStop, { sessionId });
    const done = await c.sessionDone(sessionId);
    assert.equal(done.error, undefined, done.error);
    const journal = await readJournal(stopped.journalPath);
    assert.equal(journal.tornTail, false);
    const finals = finalsOf(c, sessionId);
    assert.deepEqual(stopped.segments.map((s) => s.segmentId), finals.map((f) => f.segmentId), 'every final is journaled');
    const notes = fs.readFileSync(notesPath, 'utf8');
    assert.equal(notes.match(/hello/g)!.length >= finals.length, true, 'the final notes hold every final');
    assert.deepEqual(leftovers(path.dirname(notesPath)), []);
  }

  it('a notes folder whose path runs through a file: said once, recording goes on, notes written once the path is fixed', async () => {
    const blocker = path.join(dir, 'blocker');
    await notesFolderScenario({
      notesDir: path.join(blocker, 'notes'),
      breakFolder: () => fs.writeFileSync(blocker, 'a file where the notes folder should be\n'),
      repair: () => { fs.rmSync(blocker); fs.mkdirSync(path.join(blocker, 'notes'), { recursive: true }); },
      why: /part of the folder path is a file, not a folder \(ENOTDIR\)/,
    });
  });

  it('a read-only notes file system (EROFS): said once, recording goes on, notes written once it is writable again', async function () {
    if (mountDenied) this.skip();
    const mount = path.join(dir, 'ro-mount');
    unmounts.push(mountTmpfs(mount, '1m'));
    await notesFolderScenario({
      notesDir: path.join(mount, 'notes'),
      breakFolder: () => execFileSync('mount', ['-o', 'remount,ro', mount]),
      repair: () => execFileSync('mount', ['-o', 'remount,rw', mount]),
      why: /read-only file system \(EROFS\)/,
    });
  });

  it('a full notes disk (ENOSPC): the notes written before stay whole, no temporary file is left, notes come back with space', async function () {
    if (mountDenied) this.skip();
    const mount = path.join(dir, 'full-notes');
    unmounts.push(mountTmpfs(mount, '1m'));
    let filler = '';
    await notesFolderScenario({
      notesDir: mount,
      breakAfterFirst: true,
      breakFolder: () => { filler = fillDisk(mount); },
      repair: () => fs.rmSync(filler),
      why: /the disk is full \(ENOSPC\)/,
    });
  });

  it('a journal on a full disk: the session stops with the error; every final announced is journaled, whole records only', async function () {
    if (mountDenied) this.skip();
    const storage = path.join(dir, 'full-storage');
    unmounts.push(mountTmpfs(storage, '512k'));
    const notesDir = path.join(dir, 'notes-beside-full-storage');
    const c = await daemonWith(storage, notesDir);
    // Eight copies of the sample as fast as it goes: 48 turns, far more records than fit in the journal's last page.
    const { sessionId, notesPath } = await c.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: repeatedSample(8), pace: 'fast' });
    const filler = fillDisk(storage);
    const done = await c.sessionDone(sessionId, 120_000);
    assert.match(done.error ?? '', /^Recording stopped: the session journal .* cannot be written \(the disk is full, ENOSPC\)\. Everything final up to \d+:\d\d is kept; free some space/);
    const stop = await rejection(c.connection.sendRequest(SessionStop, { sessionId }));
    assert.match(stop.message, /the session journal .* cannot be written/);

    const journalPath = path.join(storage, 'sessions', `${sessionId}.jsonl`);
    const journal = await readJournal(journalPath);
    assert.equal(journal.tornTail, false, 'the part of a record that reached the disk was cut off again');
    assert.ok(fs.readFileSync(journalPath, 'utf8').endsWith('\n'));
    const journaled = journal.records.filter((r) => r.type === 'segment').map((r) => r.type === 'segment' && r.segmentId);
    const announced = finalsOf(c, sessionId).map((f: TranscriptSegment) => f.segmentId);
    assert.ok(journaled.length >= 1 && journaled.length < 48, `${journaled.length} finals journaled: the disk filled up mid-session`);
    assert.deepEqual(announced, journaled, 'a final is announced only once it is journaled, and every journaled one was announced');
    assert.equal(journal.records.some((r) => r.type === 'end'), false, 'nothing is written after the failure');
    // The notes (on another disk) are rendered from what the journal kept.
    const notes = fs.readFileSync(notesPath, 'utf8');
    assert.ok((notes.match(/hello/g) ?? []).length >= journaled.length, 'the notes hold every journaled final');
    assert.deepEqual(leftovers(notesDir), []);

    // The daemon still serves; a start on the full disk fails cleanly, leaving no journal behind.
    const before = fs.readdirSync(path.join(storage, 'sessions'));
    const refused = await rejection(c.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast' }));
    assert.match(refused.message, /^Cannot start the session: its journal cannot be created in .* \(the disk is full, ENOSPC\)\. Free some space on that disk/);
    assert.deepEqual(fs.readdirSync(path.join(storage, 'sessions')).sort(), before.sort(), 'no journal and no lock file left behind');
    // With space again, sessions work.
    fs.rmSync(filler);
    const again = await c.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast' });
    const ok = await c.sessionDone(again.sessionId);
    assert.equal(ok.error, undefined, ok.error);
  });

  it('the CLI on a full storage disk: exit 1 with the reason, no notes and no journal written', async function () {
    if (mountDenied) this.skip();
    const storage = path.join(dir, 'cli-full-storage');
    unmounts.push(mountTmpfs(storage, '256k'));
    fs.mkdirSync(path.join(storage, 'sessions'));
    fillDisk(storage);
    const notesDir = path.join(dir, 'cli-notes');
    const run = await runEarshot(['transcribe', SAMPLE_WAV, '--model', miniModel(), '--json', '--threads', '1', '--notes-dir', notesDir], { EARSHOT_STORAGE: storage });
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^earshot: Cannot start the session: its journal cannot be created in .* \(the disk is full, ENOSPC\)\. Free some space/m);
    assert.deepEqual(fs.readdirSync(path.join(storage, 'sessions')), [], 'no journal, no lock file left behind');
    assert.equal(fs.existsSync(notesDir) ? fs.readdirSync(notesDir).length : 0, 0);
  });
});
