/**
 * The mark that spares hashing a verified model file again (models/modelCache.ts): only a mark Earshot wrote, for the file
 * as it is now, spares the hash. A mark written by hand (or by anyone who can write a shared cache folder), a mark
 * beside a file replaced since, and a mark of an earlier version all lead to the file being hashed: refused when it is
 * not the published file, marked again when it is. Notes models (notesModelStatus) and whisper models (ensureVerified)
 * share the mark.
 */
import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CATALOG } from '../../daemon/models/whisperCatalog';
import { markKeyFile, writeVerifiedMark } from '../../daemon/models/modelCache';
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

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-mark-'));
    fs.mkdirSync(path.join(dir, 'notes'));
    // The user's key lives in their storage folder: this test's own.
    storage = process.env.EARSHOT_STORAGE;
    process.env.EARSHOT_STORAGE = path.join(dir, 'storage');
  });
  afterEach(() => {
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
    await writeVerifiedMark(file(), sha256);
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
});
