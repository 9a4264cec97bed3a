/**
 * Crash recovery from the journal: a session's working state rebuilt (items keep their ids and anchors, numbering goes
 * on), session locks (live owners refused, stale ones taken over), interrupted sessions found in storage, and an
 * interrupted session finalized from its journal after a power loss.
 */
import * as assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Journal, JournalRecord, readJournal, SessionHeader } from '../../daemon/journal/journal';
import { acquireSessionLock, liveLockOwner, lockPathOf, ownerAlive } from '../../daemon/journal/lock';
import { findInterruptedSessions, SessionLockedError, utteranceNumber } from '../../daemon/journal/recovery';
import { finalizeInterrupted } from '../../daemon/service/finalizeStored';
import { restoreSession } from '../../daemon/session/restored';

const header = (sessionId: string, notesPath: string): Omit<SessionHeader, 'type' | 'version'> => ({
  sessionId, title: 'Standup', startedAt: '2025-03-05T09:00:00.000Z', sources: ['mic', 'system'], language: 'en', notesPath, mode: 'meeting',
});
const seg = (segmentId: string, t0: number, text: string, source: 'mic' | 'system' | 'file' = 'mic'): JournalRecord => ({
  type: 'segment', segmentId, source, speaker: source === 'mic' ? 'You' : 'Others', t0, t1: t0 + 1, text,
});
const item = (id: string, revision: number, segmentId: string, extra: Record<string, unknown> = {}): JournalRecord => ({
  type: 'actionItem', id, revision, text: `do ${id}`, owner: null, due: null, duePhrase: null, segmentId, t0: 1, ...extra,
});

/** A process whose command line names Earshot, as a daemon's does (a lock's owner is checked to be one). */
async function fakeDaemon(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'earshot-fake-daemon'], { stdio: 'ignore' });
  await once(child, 'spawn');
  return child;
}

describe('crash recovery', () => {
  let dir: string;
  let sessions: string;
  const children: ChildProcess[] = [];
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'earshot-recovery-'));
    sessions = path.join(dir, 'sessions');
    await fs.mkdir(sessions);
  });
  afterEach(async () => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function journal(sessionId: string, records: JournalRecord[], notesPath = ''): Promise<string> {
    const file = path.join(sessions, `${sessionId}.jsonl`);
    const j = await Journal.create(file, header(sessionId, notesPath));
    for (const r of records) await j.append(r);
    await j.close();
    return file;
  }

  describe('restoreSession', () => {
    it('rebuilds counters, item anchors, the extraction window and the last text per source', async () => {
      const file = await journal('s1', [
        { type: 'workspace', root: '/w' },
        seg('mic-1', 0, 'first'), item('a1', 1, 'mic-1'), item('a2', 1, 'mic-1'),
        seg('system-1', 1, 'other side', 'system'), { type: 'decision', id: 'd3', revision: 1, text: 'ship', kind: 'decision', segmentId: 'system-1', t0: 1 },
        seg('mic-4', 5, 'later'), item('a1', 2, 'mic-1', { removed: true }), item('a4', 1, 'mic-4'), item('a4', 2, 'mic-4', { done: true }),
        { type: 'actionItem', id: 'ar1', revision: 1, text: 'added', owner: null, due: null, duePhrase: null, segmentId: '', t0: 9, refinedBy: 'm' },
      ]);
      const r = restoreSession(await readJournal(file), 2);
      assert.equal(r.finals, 3);
      assert.equal(r.itemCount, 4, 'numbering goes on after the highest id (a and d share it)');
      assert.deepEqual(r.items.map(([key, i]) => [key, i.id, i.revision, i.removed ?? false, i.done ?? false]), [
        ['mic-1#0', 'a1', 2, true, false], ['mic-1#1', 'a2', 1, false, false], ['mic-4#0', 'a4', 2, false, true],
      ], 'latest revision per id, keyed as extraction keyed it; the refinement\'s unanchored item left out');
      assert.ok(r.items.every(([, i]) => i.sessionId === 's1'));
      assert.deepEqual(r.decisions.map(([key, d]) => [key, d.id]), [['system-1#0', 'd3']]);
      assert.deepEqual(r.spoken.map((l) => l.segmentId), ['system-1', 'mic-4'], 'the last lines, in journal order');
      assert.deepEqual([...r.sources].map(([k, v]) => [k, v.utterances, v.lastText, v.endSec]), [['mic', 4, 'later', 6], ['system', 1, 'other side', 2]]);
      assert.equal(r.workspaceRoot, '/w');
      assert.equal(r.capturedSec, 6);
    });

    it('reads utterance numbers from segment ids', () => {
      assert.equal(utteranceNumber('mic-12'), 12);
      assert.equal(utteranceNumber('file-3'), 3);
      assert.equal(utteranceNumber('weird'), 0);
      assert.equal(utteranceNumber('file-6.2'), 6, 'a piece of a final cut where the voice changes');
    });

    it('keeps where each utterance\'s final speech ended, a cut final at its last piece (a replayed file is cut there)', async () => {
      const file = await journal('s2', [seg('file-1', 0, 'one', 'file'), seg('file-2', 3, 'two', 'file'), { ...seg('file-2.2', 4, 'two more', 'file'), continues: 'file-2' } as JournalRecord]);
      const source = restoreSession(await readJournal(file), 2).sources.get('file')!;
      assert.equal(source.utterances, 2);
      assert.deepEqual([...source.speechEnds], [[1, 1], [2, 5]]);
    });
  });

  describe('session locks', () => {
    const file = () => path.join(sessions, 's1.jsonl');

    it('is taken, held and released by its owner', async () => {
      const lock = await acquireSessionLock(file());
      assert.ok(lock.acquired);
      assert.equal((await liveLockOwner(file()))?.pid, process.pid);
      const again = await acquireSessionLock(file());
      assert.ok(!again.acquired && again.owner.pid === process.pid, 'held: another client of the same process is refused');
      await lock.release();
      await lock.release(); // twice is harmless
      assert.equal(await liveLockOwner(file()), undefined);
      await assert.rejects(fs.stat(lockPathOf(file())));
    });

    it('is refused while another live daemon holds it', async () => {
      const other = await fakeDaemon();
      children.push(other);
      await fs.writeFile(lockPathOf(file()), JSON.stringify({ pid: other.pid, host: os.hostname(), at: '' }));
      const lock = await acquireSessionLock(file());
      assert.ok(!lock.acquired && lock.owner.pid === other.pid);
      assert.equal((await liveLockOwner(file()))?.pid, other.pid);
    });

    it('is taken over from a daemon that died, a pid now used by another program or by us, or a torn lock file', async () => {
      const dead = await fakeDaemon();
      const deadPid = dead.pid!;
      dead.kill('SIGKILL');
      await once(dead, 'exit');
      const notDaemon = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      children.push(notDaemon);
      await once(notDaemon, 'spawn');
      const contents = [
        JSON.stringify({ pid: deadPid, host: os.hostname(), at: '' }), JSON.stringify({ pid: notDaemon.pid, host: os.hostname(), at: '' }), '{"pid":12',
        JSON.stringify({ pid: process.pid, host: os.hostname(), at: '' }), // an earlier process with our pid (before a reboot)
      ];
      for (const content of contents) {
        await fs.writeFile(lockPathOf(file()), content);
        assert.equal(await liveLockOwner(file()), undefined, content);
        const lock = await acquireSessionLock(file());
        assert.ok(lock.acquired, content);
        await lock.release();
      }
      assert.equal(ownerAlive({ pid: 1, host: 'another-machine', at: '' }), true, 'a lock from another machine is presumed alive');
    });
  });

  describe('interrupted sessions', () => {
    it('are the journals without an end whose lock is stale; a stale lock of an ended session is cleared', async () => {
      const dead = await fakeDaemon();
      const deadLock = JSON.stringify({ pid: dead.pid, host: os.hostname(), at: '' });
      dead.kill('SIGKILL');
      await once(dead, 'exit');
      const live = await fakeDaemon();
      children.push(live);
      const interrupted = await journal('20250305T090000-aaaaaa', [seg('mic-1', 0, 'hello')]);
      await fs.writeFile(lockPathOf(interrupted), deadLock);
      const ended = await journal('20250305T090000-bbbbbb', [seg('mic-1', 0, 'hello'), { type: 'end', stoppedAt: '2025-03-05T09:10:00.000Z', capturedSec: 3 }]);
      await fs.writeFile(lockPathOf(ended), deadLock);
      const elsewhere = await journal('20250305T090000-cccccc', [seg('mic-1', 0, 'hello')]);
      await fs.writeFile(lockPathOf(elsewhere), JSON.stringify({ pid: live.pid, host: os.hostname(), at: '' }));
      await journal('20250305T090000-dddddd', [seg('mic-1', 0, 'written before locks existed')]);
      await fs.writeFile(path.join(sessions, '20250305T090000-eeeeee.lock'), deadLock); // died before its header

      const found = await findInterruptedSessions(dir);
      assert.deepEqual(found.map((s) => [s.sessionId, s.finalSegments, s.mode, s.tornTail]), [['20250305T090000-aaaaaa', 1, 'meeting', false]]);
      await assert.rejects(fs.stat(lockPathOf(ended)), 'the ended session\'s stale lock is cleared');
      await assert.rejects(fs.stat(path.join(sessions, '20250305T090000-eeeeee.lock')));
      await fs.stat(lockPathOf(elsewhere)); // another window's is left alone
    });

    it('is finalized after a power loss: the torn line cut, an end record, the notes rendered', async () => {
      const notesPath = path.join(dir, 'notes', 'standup.md');
      const file = await journal('s2', [seg('mic-1', 0, 'Bob, please send the report by Friday.'), item('a1', 1, 'mic-1'), seg('mic-2', 3, 'Sure, will do.')], notesPath);
      await fs.mkdir(path.dirname(notesPath), { recursive: true });
      await fs.appendFile(file, Buffer.from('{"type":"segment","segmentId":"mic-3","text":"caf\u00e9', 'utf8').subarray(0, -1));
      const result = await finalizeInterrupted(file);
      assert.deepEqual(result.segments.map((s) => s.segmentId), ['mic-1', 'mic-2']);
      const contents = await readJournal(file);
      assert.equal(contents.tornTail, false);
      const end = contents.records.at(-1)!;
      assert.ok(end.type === 'end' && end.reason === 'interrupted' && end.capturedSec === 4, JSON.stringify(end));
      const notes = await fs.readFile(notesPath, 'utf8');
      assert.match(notes, /Sure, will do\./);
      assert.doesNotMatch(notes, /in progress/);
      await assert.rejects(fs.stat(lockPathOf(file)), 'the lock taken for the finalization is released');
      // Finalizing twice changes nothing.
      const size = (await fs.stat(file)).size;
      await finalizeInterrupted(file);
      assert.equal((await fs.stat(file)).size, size);
    });

    it('is not finalized while another live daemon holds it', async () => {
      const live = await fakeDaemon();
      children.push(live);
      const file = await journal('s3', [seg('mic-1', 0, 'hello')]);
      await fs.writeFile(lockPathOf(file), JSON.stringify({ pid: live.pid, host: os.hostname(), at: '' }));
      await assert.rejects(finalizeInterrupted(file), (e: unknown) => e instanceof SessionLockedError && e.owner.pid === live.pid);
      assert.ok(!(await readJournal(file)).records.some((r) => r.type === 'end'));
    });
  });
});
