/**
 * The mark that spares hashing a verified model file again (models/modelCache.ts): only a mark Earshot wrote, for the file
 * as it is now, spares the hash. A mark written by hand (or by anyone who can write a shared cache folder), a mark
 * beside a file replaced since, and a mark of an earlier version all lead to the file being hashed: refused when it is
 * not the published file, marked again when it is. Notes models (notesModelStatus) and whisper models (ensureVerified)
 * share the mark.
 *
 * A file changed in place or renamed over while it is hashed is neither ready nor marked, a file someone else may
 * write is never marked, and a symlink planted where the mark goes is replaced, not written through (security review
 * 2, S1 and S2: its mark_toctou.js a, a2 and b, here with the change made at a pause in the hash instead of a timer).
 */
import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CATALOG } from '../../daemon/models/whisperCatalog';
import { hashPause, identityOf } from '../../daemon/models/fileCheck';
import { hasVerifiedMark, markKeyFile, writeVerifiedMark } from '../../daemon/models/modelCache';
import { ModelFileError } from '../../daemon/models/modelFile';
import { ensureVerified, ModelSelection } from '../../daemon/models/whisperModels';
import { NOTES_CATALOG } from '../../daemon/models/notesCatalog';
import { notesModelStatus } from '../../daemon/models/notesModels';

describe('the verified mark of a model file', () => {
  let dir: string;
  let storage: string | undefined;
  const published = Buffer.concat([Buffer.from('GGUF'), randomBytes(100_000)]);
  const sha256 = createHash('sha256').update(published).digest('hex');
  /** The catalog's entry, for a file this test writes. */
  const model = { ...NOTES_CATALOG[0], file: 'notes-model.gguf', bytes: published.length, sha256 };
  /** Same size, other bytes: what someone who can write the cache puts there. */
  const replacement = Buffer.concat([Buffer.from('GGUF'), randomBytes(100_000)]);
  const file = () => path.join(dir, 'notes', model.file);
  const mark = () => `${file()}.verified.json`;
  const status = async () => (await notesModelStatus(model, path.join(dir, 'notes'))).state;

  let umask: number;

  beforeEach(() => {
    // Files this test writes are the user's alone (0644), as downloads are: under umask 002 they would be group-writable and never marked.
    umask = process.umask(0o022);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-mark-'));
    fs.mkdirSync(path.join(dir, 'notes'));
    // The user's key lives in their storage folder: this test's own.
    storage = process.env.EARSHOT_STORAGE;
    process.env.EARSHOT_STORAGE = path.join(dir, 'storage');
  });
  afterEach(() => {
    process.umask(umask);
    delete hashPause.afterBlock;
    if (storage === undefined) delete process.env.EARSHOT_STORAGE;
    else process.env.EARSHOT_STORAGE = storage;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a hand-written mark with the catalog sha256, size and mtime does not pass: the file is hashed and refused', async () => {
    fs.writeFileSync(file(), replacement);
    const stat = fs.statSync(file());
    // The earlier format (all an attacker needed), and the current one with a MAC made without the user's key.
    fs.writeFileSync(mark(), JSON.stringify({ sha256, bytes: stat.size, mtimeMs: stat.mtimeMs }));
    assert.equal(await status(), 'corrupt');
    fs.writeFileSync(mark(), JSON.stringify({
      version: 2, sha256, bytes: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, ino: stat.ino, mac: randomBytes(32).toString('hex'),
    }));
    assert.equal(await status(), 'corrupt');
  });

  it('a genuine mark beside a file replaced since (same size, its mtime set back) does not pass', async () => {
    fs.writeFileSync(file(), published);
    // A whole second, so that setting it back (as `touch -d` can to the nanosecond) gives the very same mtime.
    const mtime = Math.floor(Date.now() / 1000) - 3600;
    fs.utimesSync(file(), mtime, mtime);
    assert.equal(await status(), 'ready');
    const genuine = fs.readFileSync(mark(), 'utf8');
    const before = fs.statSync(file());
    fs.writeFileSync(`${file()}.new`, replacement);
    fs.renameSync(`${file()}.new`, file());
    fs.utimesSync(file(), mtime, mtime);
    assert.deepEqual([fs.statSync(file()).mtimeMs, fs.statSync(file()).size], [before.mtimeMs, before.size], 'size and mtime as marked');
    assert.equal(fs.readFileSync(mark(), 'utf8'), genuine, 'the mark is untouched');
    assert.equal(await status(), 'corrupt');
  });

  it('a mark Earshot wrote passes without hashing (notes and whisper models alike), signed with a key only the user can read', async () => {
    // The bytes are not the published ones, so only a file that was not hashed can be ready.
    fs.writeFileSync(file(), replacement);
    assert.equal(await writeVerifiedMark(file(), sha256, identityOf(fs.statSync(file()))), true);
    assert.equal(await status(), 'ready');
    const selection: ModelSelection = {
      path: file(), source: 'catalog', cacheDir: path.join(dir, 'notes'), reason: '', recommendedId: CATALOG[0].id,
      model: { ...CATALOG[0], file: model.file, bytes: published.length, sha256, sha1: '' }, // no sha1: the sha256 decides
    };
    await ensureVerified(selection);
    if (process.platform !== 'win32') assert.equal(fs.statSync(markKeyFile()).mode & 0o777, 0o600);
    // The same mark for another model's hash: hashed, refused.
    await assert.rejects(ensureVerified({ ...selection, model: { ...selection.model!, sha256: 'f'.repeat(64) } }), ModelFileError);
  });

  it('a mark of the earlier format beside the published file leads to a hash, not a failure, and is written again signed', async () => {
    fs.writeFileSync(file(), published);
    const stat = fs.statSync(file());
    fs.writeFileSync(mark(), JSON.stringify({ sha256, bytes: stat.size, mtimeMs: stat.mtimeMs }));
    assert.equal(await status(), 'ready');
    const rewritten = JSON.parse(fs.readFileSync(mark(), 'utf8')) as { version?: number; mac?: string };
    assert.equal(rewritten.version, 2);
    assert.match(rewritten.mac ?? '', /^[0-9a-f]{64}$/);
  });

  it('a file the user copies (with its mark) is hashed once at its new place, then marked there', async () => {
    fs.writeFileSync(file(), published);
    assert.equal(await status(), 'ready');
    const copy = path.join(dir, 'copy');
    fs.mkdirSync(path.join(copy, 'notes'), { recursive: true });
    fs.copyFileSync(file(), path.join(copy, 'notes', model.file));
    fs.copyFileSync(mark(), path.join(copy, 'notes', `${model.file}.verified.json`));
    const before = fs.readFileSync(path.join(copy, 'notes', `${model.file}.verified.json`), 'utf8');
    assert.equal((await notesModelStatus(model, path.join(copy, 'notes'))).state, 'ready');
    assert.notEqual(fs.readFileSync(path.join(copy, 'notes', `${model.file}.verified.json`), 'utf8'), before, 'hashed, and marked for the copy');
  });

  /**
   * Runs `change` once, at the first pause of the next hash of the model file (after its first block, here the whole
   * file, was read), and resolves when it has run.
   */
  function duringTheHash(change: () => void): Promise<void> {
    return new Promise((resolve) => {
      hashPause.afterBlock = async (hashedFile) => {
        if (hashedFile !== file()) return;
        delete hashPause.afterBlock;
        change();
        resolve();
      };
    });
  }

  /**
   * Writes `bytes` at offset 0 of the model file until its change time shows it: the kernel stamps a change with a
   * coarse clock (a tick of a few ms), so a write in the tick the file was written in looks like no change at all.
   */
  function rewriteInPlace(bytes: Buffer): void {
    const before = fs.statSync(file()).ctimeMs;
    const deadline = Date.now() + 10_000;
    const fd = fs.openSync(file(), 'r+');
    try {
      do fs.writeSync(fd, bytes, 0, bytes.length, 0);
      while (fs.fstatSync(fd).ctimeMs === before && Date.now() < deadline);
    } finally {
      fs.closeSync(fd);
    }
    assert.notEqual(fs.statSync(file()).ctimeMs, before, 'the rewrite shows in the change time');
  }

  it('a file changed in place after the hash read it is not ready and gets no mark (review mark_toctou.js a)', async () => {
    fs.writeFileSync(file(), published);
    const changed = duringTheHash(() => rewriteInPlace(Buffer.from('EVIL')));
    const first = await notesModelStatus(model, path.join(dir, 'notes'));
    await changed;
    assert.equal(first.state, 'corrupt');
    assert.match(first.state === 'corrupt' ? first.reason : '', /changed or was replaced while it was being checked/);
    assert.equal(fs.existsSync(mark()), false, 'no mark');
    assert.equal(await hasVerifiedMark(file(), sha256), false);
    assert.equal(await status(), 'corrupt', 'hashed again: the changed bytes fail');
  });

  it('a file renamed over the model while it is hashed is not ready and gets no mark (review mark_toctou.js a2)', async function () {
    if (process.platform === 'win32') this.skip(); // Windows refuses a rename over a file open for the hash (EPERM under Wine 8.0)
    fs.writeFileSync(file(), published);
    fs.writeFileSync(path.join(dir, 'notes', '.evil'), replacement);
    const renamed = duringTheHash(() => fs.renameSync(path.join(dir, 'notes', '.evil'), file()));
    const first = await status();
    await renamed;
    assert.equal(first, 'corrupt', 'the hashed file is no longer at the path');
    assert.equal(fs.existsSync(mark()), false, 'no mark');
    assert.equal(await status(), 'corrupt', 'the file now there is hashed and refused');
  });

  it('whisper models alike: a file changed during ensureVerified is refused and not marked', async () => {
    fs.writeFileSync(file(), published);
    const selection: ModelSelection = {
      path: file(), source: 'catalog', cacheDir: path.join(dir, 'notes'), reason: '', recommendedId: CATALOG[0].id,
      model: { ...CATALOG[0], file: model.file, bytes: published.length, sha256, sha1: '' },
    };
    const changed = duringTheHash(() => rewriteInPlace(Buffer.from('EVIL')));
    await assert.rejects(ensureVerified(selection), (e: unknown) => e instanceof ModelFileError && /changed or was replaced/.test(e.message));
    await changed;
    assert.equal(fs.existsSync(mark()), false, 'no mark');
  });

  it('a mark for the file as it was hashed is not written once the path names another file', async () => {
    fs.writeFileSync(file(), published);
    const hashed = identityOf(fs.statSync(file()));
    fs.writeFileSync(`${file()}.new`, published);
    fs.renameSync(`${file()}.new`, file());
    assert.equal(await writeVerifiedMark(file(), sha256, hashed), false);
    assert.equal(fs.existsSync(mark()), false);
  });

  it('a published file that someone else may write is ready but never marked: it is hashed at each load', async function () {
    if (process.platform === 'win32') this.skip(); // no POSIX mode there (othersMayWrite)
    fs.writeFileSync(file(), published);
    fs.chmodSync(file(), 0o664);
    assert.equal(await status(), 'ready');
    assert.equal(fs.existsSync(mark()), false, 'group-writable: no mark');
    fs.chmodSync(file(), 0o644);
    assert.equal(await status(), 'ready');
    assert.equal(await hasVerifiedMark(file(), sha256), true, 'once only the user may write it, it is marked');
  });

  it('a symlink planted where the mark goes is replaced, not written through (review mark_toctou.js b)', async function () {
    if (process.platform === 'win32') this.skip(); // symlinks need a privilege there
    const victim = path.join(dir, 'victim-notes.md');
    fs.writeFileSync(victim, '# my precious notes\n');
    fs.writeFileSync(file(), published);
    fs.symlinkSync(victim, mark());
    assert.equal(await status(), 'ready');
    assert.equal(fs.readFileSync(victim, 'utf8'), '# my precious notes\n', 'the victim is untouched');
    assert.ok(fs.lstatSync(mark()).isFile(), 'the mark is a file of its own now');
    assert.equal(await hasVerifiedMark(file(), sha256), true);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'notes')).sort(), [model.file, `${model.file}.verified.json`], 'no temporary file left');
  });
});
