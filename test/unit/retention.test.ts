/**
 * Data retention on a temporary storage folder: which session files are old enough to go (by the later of their last
 * write and the start time in their name), and what is never touched (the running session, files not named after a
 * session, notes, models).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DAY_MS, pruneSessions, sessionStartOf } from '../../daemon/service/retention';

const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);
const idAt = (ms: number, suffix = 'a1b2c3') => `${new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${suffix}`;

describe('retention', () => {
  let storage: string;
  let sessions: string;
  beforeEach(() => {
    storage = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-retention-'));
    sessions = path.join(storage, 'sessions');
    fs.mkdirSync(sessions, { recursive: true });
  });
  afterEach(() => fs.rmSync(storage, { recursive: true, force: true }));

  /** A file in the sessions folder last written at `mtime`. */
  function put(name: string, mtime: number, dirEntry = false): string {
    const file = path.join(sessions, name);
    if (dirEntry) {
      fs.mkdirSync(file);
      fs.writeFileSync(path.join(file, 'cache.bin'), 'x');
    } else {
      fs.writeFileSync(file, '{"type":"session"}\n');
    }
    fs.utimesSync(file, new Date(mtime), new Date(mtime));
    return file;
  }

  it('reads the start time from a session id', () => {
    assert.equal(sessionStartOf('20260121T093000-a1b2c3.jsonl')?.toISOString(), '2026-01-21T09:30:00.000Z');
    assert.equal(sessionStartOf('20260121T093000-a1b2c3')?.toISOString(), '2026-01-21T09:30:00.000Z');
    assert.equal(sessionStartOf('notes.md'), undefined);
    assert.equal(sessionStartOf('20260121T093000-a1b2c3x.jsonl'), undefined, 'not quite a session id');
  });

  it('deletes journals and per-session folders older than the period, keeps the rest', async () => {
    const old = NOW - 10 * DAY_MS;
    const oldJournal = idAt(old, '000001') + '.jsonl';
    const oldCache = idAt(old, '000002');
    const recent = idAt(NOW - 2 * DAY_MS, '000003') + '.jsonl';
    const oldButWritten = idAt(old, '000004') + '.jsonl'; // a long session still being written: its mtime is recent
    const renamedClock = idAt(NOW - DAY_MS, '000005') + '.jsonl'; // mtime old (copied), name recent
    const running = idAt(old, '000006') + '.jsonl';
    put(oldJournal, old);
    put(oldCache, old, true);
    put(recent, NOW - 2 * DAY_MS);
    put(oldButWritten, NOW - 60_000);
    put(renamedClock, old);
    put(running, old);
    put('README.txt', old);
    const models = path.join(storage, 'models');
    fs.mkdirSync(models);
    fs.writeFileSync(path.join(models, 'ggml-tiny.bin'), 'model');
    fs.utimesSync(path.join(models, 'ggml-tiny.bin'), new Date(old), new Date(old));

    const result = await pruneSessions(storage, 7, { now: NOW, keep: new Set([running.replace('.jsonl', '')]) });
    assert.deepEqual(result.deleted.sort(), [oldCache, oldJournal].sort());
    assert.deepEqual(result.failed, []);
    assert.deepEqual(fs.readdirSync(sessions).sort(), ['README.txt', oldButWritten, recent, renamedClock, running].sort());
    assert.ok(fs.existsSync(path.join(models, 'ggml-tiny.bin')), 'models are never touched');
  });

  it('keeps everything with 0 days, and copes with no sessions folder', async () => {
    put(idAt(NOW - 100 * DAY_MS) + '.jsonl', NOW - 100 * DAY_MS);
    assert.deepEqual((await pruneSessions(storage, 0, { now: NOW })).deleted, []);
    assert.equal(fs.readdirSync(sessions).length, 1);
    fs.rmSync(sessions, { recursive: true });
    assert.deepEqual(await pruneSessions(storage, 7, { now: NOW }), { deleted: [], failed: [] });
  });

  it('takes fractions of days', async () => {
    const name = idAt(NOW - DAY_MS) + '.jsonl';
    put(name, NOW - DAY_MS);
    assert.deepEqual((await pruneSessions(storage, 1.5, { now: NOW })).deleted, []);
    assert.deepEqual((await pruneSessions(storage, 0.5, { now: NOW })).deleted, [name]);
  });
});
