import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CATALOG, DEFAULT_MODEL_ID } from '../../daemon/models/whisperCatalog';
import { downloadFile, DownloadOptions, DownloadProgress, partPath } from '../../daemon/models/download';
import { DownloadError, DownloadErrorCode } from '../../daemon/models/downloadFaults';
import { hashPause, verifyFile } from '../../daemon/models/fileCheck';
import { cachedModelStatus, defaultCacheDir, downloadModel, hasVerifiedMark, resolveModelFile } from '../../daemon/models/modelCache';
import { inspectModelFile } from '../../daemon/models/modelFile';
import { miniModel } from '../setup';
import { TestHttpsServer } from './https-server';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex');

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

async function rejectsWith(promise: Promise<unknown>, code: DownloadErrorCode, message?: RegExp): Promise<DownloadError> {
  let caught: unknown;
  await assert.rejects(promise, (e: unknown) => { caught = e; return true; });
  assert.ok(caught instanceof DownloadError, `expected a DownloadError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}

/** Resolves once `file` holds at least `bytes` bytes. */
async function waitForSize(file: string, bytes: number): Promise<void> {
  for (;;) {
    const size = await fs.stat(file).then((s) => s.size, () => 0);
    if (size >= bytes) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('Model download (downloadFile)', function () {
  this.timeout(10_000);
  let server: TestHttpsServer;
  let model: Buffer;
  let hash: string;
  let dir: string;
  let n = 0;
  /** A fresh destination per test. */
  let dest: string;
  let umask: number;

  before(async () => {
    // A kept part someone else may write is not resumed: the parts these tests write are the user's alone, whatever the umask.
    umask = process.umask(0o022);
    model = await fs.readFile(miniModel());
    hash = sha256(model);
    server = new TestHttpsServer();
    await server.start();
    server.routes.set('/model.bin', { body: model });
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'earshot-download-'));
  });
  after(async () => {
    process.umask(umask);
    await server.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    dest = path.join(dir, `t${++n}`, 'ggml-mini.bin');
    server.seen.length = 0;
  });

  const options = (extra: Partial<DownloadOptions> = {}): DownloadOptions => ({
    url: server.url('/model.bin'), dest, expected: { bytes: model.length, sha256: hash }, ca: server.ca, label: 'mini', ...extra,
  });

  it('downloads the whole file, verifies it and installs it under the final name', async () => {
    const result = await downloadFile(options());
    assert.equal(result.path, dest);
    assert.equal(result.downloaded, true);
    assert.equal(result.bytes, model.length);
    assert.equal(result.hash, hash);
    assert.equal(result.algorithm, 'sha256');
    assert.equal(result.resumedFrom, 0);
    assert.ok((await fs.readFile(dest)).equals(model));
    assert.equal(await exists(partPath(dest)), false, 'no .part left behind');
    assert.equal((await inspectModelFile(dest)).bytes, model.length, 'a loadable model');
    assert.deepEqual(server.seen, [{ path: '/model.bin', range: undefined }]);
  });

  it('reports progress that only grows and ends at the total', async () => {
    const seen: DownloadProgress[] = [];
    await downloadFile(options({ progressIntervalMs: 0, onProgress: (p) => seen.push({ ...p }) }));
    assert.ok(seen.length > 3, `several reports (${seen.length})`);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i].bytesDone >= seen[i - 1].bytesDone, `monotonic at ${i}`);
    assert.equal(seen[0].bytesDone, 0);
    assert.equal(seen.at(-1)!.bytesDone, model.length);
    assert.ok(seen.every((p) => p.bytesTotal === model.length));
  });

  it('throttles progress but still reports the start and the end', async () => {
    const seen: DownloadProgress[] = [];
    await downloadFile(options({ progressIntervalMs: 1e9, onProgress: (p) => seen.push({ ...p }) }));
    assert.deepEqual(seen.map((p) => p.bytesDone), [0, model.length]);
  });

  it('resumes after a cancelled download with a Range request', async () => {
    const cut = 3 * 64 * 1024 + 1000;
    server.routes.set('/slow.bin', { body: model, stallAfter: cut });
    const controller = new AbortController();
    const part = partPath(dest);
    const first = downloadFile(options({ url: server.url('/slow.bin'), signal: controller.signal }));
    await waitForSize(part, cut); // the server sent `cut` bytes and stalls: all of them reach the part
    controller.abort();
    await rejectsWith(first, 'aborted', /cancelled/);
    assert.equal((await fs.stat(part)).size, cut, 'the .part is kept for a resume');
    assert.equal(await exists(dest), false);

    server.routes.set('/slow.bin', { body: model });
    const progress: DownloadProgress[] = [];
    const result = await downloadFile(options({ url: server.url('/slow.bin'), progressIntervalMs: 0, onProgress: (p) => progress.push(p) }));
    assert.equal(result.resumedFrom, cut);
    assert.equal(result.hash, hash);
    assert.ok((await fs.readFile(dest)).equals(model));
    assert.equal(await exists(part), false);
    assert.deepEqual(server.requestsFor('/slow.bin').map((r) => r.range), [undefined, `bytes=${cut}-`]);
    assert.equal(progress[0].bytesDone, cut, 'progress starts where the resume starts');
    assert.equal(progress.at(-1)!.bytesDone, model.length);
  });

  it('restarts from zero when the server ignores Range (200)', async () => {
    server.routes.set('/norange.bin', { body: model, ranges: false });
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.writeFile(partPath(dest), Buffer.alloc(5000, 0xee)); // wrong bytes: must not survive
    const result = await downloadFile(options({ url: server.url('/norange.bin') }));
    assert.equal(result.hash, hash);
    assert.equal(result.resumedFrom, 0, 'started over');
    assert.ok((await fs.readFile(dest)).equals(model));
    assert.deepEqual(server.requestsFor('/norange.bin').map((r) => r.range), ['bytes=5000-']);
  });

  it('treats 416 on a part that holds the whole file as complete', async () => {
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.writeFile(partPath(dest), model);
    const result = await downloadFile(options({ expected: { sha256: hash } })); // size unknown: asks the server
    assert.equal(result.hash, hash);
    assert.ok((await fs.readFile(dest)).equals(model));
    assert.deepEqual(server.seen.map((r) => r.range), [`bytes=${model.length}-`]);
  });

  it('drops a part the server cannot continue (416) and downloads again', async () => {
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.writeFile(partPath(dest), Buffer.concat([model, Buffer.alloc(10)]));
    const result = await downloadFile(options({ expected: { sha256: hash } }));
    assert.equal(result.hash, hash);
    assert.deepEqual(server.seen.map((r) => r.range), [`bytes=${model.length + 10}-`, undefined]);
  });

  it('verifies a part that already has the expected size without asking the server', async () => {
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.writeFile(partPath(dest), model);
    const result = await downloadFile(options());
    assert.equal(result.hash, hash);
    assert.equal(server.seen.length, 0);
  });

  it('deletes a download whose sha256 does not match and names the model and both hashes', async () => {
    const wrong = 'ab'.repeat(32);
    const e = await rejectsWith(downloadFile(options({ expected: { bytes: model.length, sha256: wrong } })), 'checksum-mismatch');
    assert.match(e.message, /mini/);
    assert.ok(e.message.includes(wrong), e.message);
    assert.ok(e.message.includes(hash), e.message);
    assert.equal(await exists(dest), false, 'no final file');
    assert.equal(await exists(partPath(dest)), false, 'no .part');
  });

  it('refuses a server file of the wrong size before downloading it', async () => {
    await rejectsWith(downloadFile(options({ expected: { bytes: model.length + 1, sha256: hash } })), 'size-mismatch', /expected/);
    assert.equal(await exists(dest), false);
    assert.equal(await exists(partPath(dest)), false);
  });

  it('stops a chunked response that runs past the expected size', async () => {
    server.routes.set('/long.bin', { body: Buffer.concat([model, Buffer.alloc(70_000)]), noLength: true });
    await rejectsWith(downloadFile(options({ url: server.url('/long.bin') })), 'size-mismatch');
    assert.equal(await exists(dest), false);
    assert.equal(await exists(partPath(dest)), false);
  });

  it('accepts a sha1 when no sha256 is known', async () => {
    const result = await downloadFile(options({ expected: { bytes: model.length, sha1: sha1(model) } }));
    assert.equal(result.algorithm, 'sha1');
    assert.equal(result.hash, sha1(model));
    await rejectsWith(downloadFile(options({ dest: `${dest}.2`, expected: { sha1: 'cd'.repeat(20) } })), 'checksum-mismatch', /sha1/);
  });

  it('refuses to download without a checksum', async () => {
    await rejectsWith(downloadFile(options({ expected: { bytes: model.length } })), 'bad-request', /sha256/);
    await rejectsWith(downloadFile(options({ expected: { sha256: 'not-a-hash' } })), 'bad-request');
    assert.equal(server.seen.length, 0);
  });

  it('follows redirects (relative and absolute), keeping the Range header', async () => {
    server.routes.set('/resolve/model.bin', { redirect: '/cdn/hop' });
    server.routes.set('/cdn/hop', { redirect: server.url('/model.bin') });
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.writeFile(partPath(dest), model.subarray(0, 1234));
    const result = await downloadFile(options({ url: server.url('/resolve/model.bin') }));
    assert.equal(result.hash, hash);
    assert.equal(result.resumedFrom, 1234);
    assert.deepEqual(server.seen, [
      { path: '/resolve/model.bin', range: 'bytes=1234-' },
      { path: '/cdn/hop', range: 'bytes=1234-' },
      { path: '/model.bin', range: 'bytes=1234-' },
    ]);
  });

  it('gives up after too many redirects', async () => {
    server.routes.set('/loop', { redirect: '/loop' });
    await rejectsWith(downloadFile(options({ url: server.url('/loop'), maxRedirects: 3 })), 'too-many-redirects');
    assert.equal(server.requestsFor('/loop').length, 4);
  });

  it('refuses a redirect to plain http', async () => {
    server.routes.set('/downgrade', { redirect: `http://127.0.0.1:1/model.bin` });
    await rejectsWith(downloadFile(options({ url: server.url('/downgrade') })), 'insecure-url', /redirected.*https:\/\//);
    assert.equal(await exists(dest), false);
  });

  it('refuses http:// and other schemes without connecting', async () => {
    for (const url of ['http://127.0.0.1:1/model.bin', 'ftp://127.0.0.1/model.bin', 'file:///etc/passwd']) {
      await rejectsWith(downloadFile(options({ url })), 'insecure-url', /only https:\/\/ URLs are allowed/);
    }
    await rejectsWith(downloadFile(options({ url: 'not a url' })), 'bad-request');
  });

  it('does not trust a certificate it was not given', async () => {
    await rejectsWith(downloadFile(options({ ca: undefined })), 'network', /certificate/);
    assert.equal(await exists(dest), false);
  });

  it('reports HTTP errors with the status', async () => {
    server.routes.set('/gone', { status: 404 });
    await rejectsWith(downloadFile(options({ url: server.url('/gone') })), 'http-status', /404/);
  });

  it('keeps the part when the connection stalls, for a later resume', async () => {
    server.routes.set('/stall.bin', { body: model, stallAfter: 100_000 });
    await rejectsWith(downloadFile(options({ url: server.url('/stall.bin'), idleTimeoutMs: 150 })), 'network', /resume/);
    await waitForSize(partPath(dest), 100_000);
    assert.equal((await fs.stat(partPath(dest))).size, 100_000);
    server.routes.set('/stall.bin', { body: model });
    assert.equal((await downloadFile(options({ url: server.url('/stall.bin') }))).resumedFrom, 100_000);
  });

  it('uses a valid existing file without downloading', async () => {
    await downloadFile(options());
    server.seen.length = 0;
    const again = await downloadFile(options());
    assert.equal(again.downloaded, false);
    assert.equal(server.seen.length, 0);
    const forced = await downloadFile(options({ force: true }));
    assert.equal(forced.downloaded, true);
    assert.equal(server.seen.length, 1);
  });

  it('detects a truncated or corrupt existing file and replaces it only on request', async () => {
    await fs.mkdir(path.dirname(dest), { recursive: true });
    const flipped = Buffer.from(model);
    for (let i = 1000; i < 1010; i++) flipped[i] ^= 0xff;
    for (const damaged of [model.subarray(0, model.length - 100), flipped]) {
      await fs.writeFile(dest, damaged);
      server.seen.length = 0;
      const e = await rejectsWith(downloadFile(options()), 'corrupt-existing', /will not be used/);
      assert.match(e.message, damaged.length < model.length ? /truncated/ : /sha256/);
      assert.equal(server.seen.length, 0, 'nothing downloaded without repair');
      assert.ok((await fs.readFile(dest)).equals(damaged), 'left as it was');
      const repaired = await downloadFile(options({ repair: true }));
      assert.equal(repaired.downloaded, true);
      assert.ok((await fs.readFile(dest)).equals(model));
    }
  });

  it('fails clearly when the disk cannot hold the file, before downloading', async () => {
    const huge = 2 ** 52;
    await rejectsWith(downloadFile(options({ expected: { bytes: huge, sha256: hash } })), 'disk-full', /Not enough disk space.*needed/);
    assert.equal(server.seen.length, 0);
  });

  it('turns a full disk while writing (ENOSPC) into a clear error', async () => {
    // The part's writes fail as on a full disk (a .part linked to /dev/full is no longer opened: it is never followed).
    const probe = await fs.open(miniModel(), 'r');
    const handles = Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => Promise<unknown> };
    await probe.close();
    const write = handles.write;
    handles.write = () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    try {
      await rejectsWith(downloadFile(options()), 'disk-full', /Not enough disk space to download mini.*ENOSPC/);
    } finally {
      handles.write = write;
    }
    assert.equal(await exists(dest), false);
  });

  it('reports a destination that cannot be written', async () => {
    const blocker = path.join(dir, `blocker-${n}`);
    await fs.writeFile(blocker, 'a file, not a folder');
    await rejectsWith(downloadFile(options({ dest: path.join(blocker, 'ggml-mini.bin') })), 'disk', /Cannot write mini/);
  });

  it('refuses a second download to the same file while one runs', async () => {
    server.routes.set('/held.bin', { body: model, stallAfter: 1000 });
    const controller = new AbortController();
    const first = downloadFile(options({ url: server.url('/held.bin'), signal: controller.signal }));
    await rejectsWith(downloadFile(options()), 'busy');
    controller.abort();
    await rejectsWith(first, 'aborted');
  });

  it('honours an already aborted signal', async () => {
    await rejectsWith(downloadFile(options({ signal: AbortSignal.abort() })), 'aborted');
    assert.equal(server.seen.length, 0);
  });

  // Security review 2, S2: in a cache folder someone else can write, a symlink planted at the .part's name.
  it('never writes through a symlink at the .part: a kept one is not resumed into its target, a dangling one creates nothing', async function () {
    if (process.platform === 'win32') this.skip(); // symlinks need a privilege there
    await fs.mkdir(path.dirname(dest), { recursive: true });
    const victim = path.join(dir, `victim-${n}.md`);
    await fs.writeFile(victim, '# my precious notes\n');
    await fs.symlink(victim, partPath(dest));
    const result = await downloadFile(options());
    assert.equal(result.resumedFrom, 0, 'started afresh');
    assert.deepEqual(server.seen.map((r) => r.range), [undefined], 'no Range from the target\'s size');
    assert.equal(await fs.readFile(victim, 'utf8'), '# my precious notes\n', 'the target is untouched');
    assert.ok((await fs.readFile(dest)).equals(model));

    const dangling = path.join(dir, `t${n}-dangling`, 'ggml-mini.bin');
    const target = path.join(dir, `made-through-link-${n}`);
    await fs.mkdir(path.dirname(dangling), { recursive: true });
    await fs.symlink(target, partPath(dangling));
    await downloadFile(options({ dest: dangling }));
    assert.equal(await exists(target), false, 'nothing created where the link pointed');
    assert.ok((await fs.readFile(dangling)).equals(model));
  });

  it('does not resume a .part someone else may write (its bytes could change after they were hashed)', async function () {
    if (process.platform === 'win32') this.skip(); // no POSIX mode there
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.writeFile(partPath(dest), model.subarray(0, 5000));
    await fs.chmod(partPath(dest), 0o664);
    const result = await downloadFile(options());
    assert.equal(result.resumedFrom, 0);
    assert.deepEqual(server.seen.map((r) => r.range), [undefined]);
    assert.equal((await fs.stat(dest)).mode & 0o022, 0, 'the new part was made for the user alone');
  });

  // Security review 2, S1, for a download: the complete part is hashed through its descriptor; a file renamed over its
  // name meanwhile would otherwise be what the rename installs.
  it('a file renamed over a complete .part while it is verified is not installed', async function () {
    if (process.platform === 'win32') this.skip(); // Windows refuses a rename over a file open for the hash (EPERM under Wine 8.0)
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.writeFile(partPath(dest), model);
    const evil = Buffer.from(model);
    evil.write('EVIL', 100);
    await fs.writeFile(`${dest}.evil`, evil);
    hashPause.afterBlock = async (file) => {
      if (file !== partPath(dest)) return;
      delete hashPause.afterBlock;
      await fs.rename(`${dest}.evil`, partPath(dest));
    };
    try {
      await rejectsWith(downloadFile(options()), 'disk', /changed or was replaced while it was being installed/);
    } finally {
      delete hashPause.afterBlock;
    }
    assert.equal(await exists(dest), false, 'the final name holds no unverified file');
    assert.equal(server.seen.length, 0);
  });
});

describe('Catalog model files (resolveModelFile, downloadModel, cachedModelStatus)', function () {
  this.timeout(10_000);
  const storage = path.join(os.tmpdir(), 'earshot-storage');

  it('uses the path setting over everything, as given (offline)', () => {
    const r = resolveModelFile({ modelPath: '/models/my-finetune.bin', modelId: 'small', cacheDir: '/cache', storageDir: storage });
    assert.deepEqual(r, { source: 'path', path: path.resolve('/models/my-finetune.bin'), model: undefined });
    const known = resolveModelFile({ modelPath: '/x/ggml-tiny.en.bin', storageDir: storage });
    assert.equal(known.model?.id, 'tiny.en');
    const home = resolveModelFile({ modelPath: '~/m/ggml-base.bin', storageDir: storage });
    assert.equal(home.path, path.join(os.homedir(), 'm', 'ggml-base.bin'));
  });

  it('otherwise uses the catalog file in the cache folder (default <storage>/models)', () => {
    const r = resolveModelFile({ modelPath: '  ', storageDir: storage });
    assert.equal(r.source, 'catalog');
    assert.equal(r.model?.id, DEFAULT_MODEL_ID);
    assert.equal(r.path, path.join(storage, 'models', 'ggml-base.en.bin'));
    assert.equal(defaultCacheDir(storage), path.join(storage, 'models'));
    const custom = resolveModelFile({ modelId: 'large-v3-turbo', cacheDir: '/srv/whisper', storageDir: storage });
    assert.equal(custom.path, path.resolve('/srv/whisper', 'ggml-large-v3-turbo-q5_0.bin'));
    assert.throws(() => resolveModelFile({ modelId: 'huge', storageDir: storage }), /Unknown whisper model "huge".*tiny\.en/);
  });

  describe('with a local server', () => {
    let server: TestHttpsServer;
    let model: Buffer;
    let cacheDir: string;
    let umask: number;
    let storageEnv: string | undefined;
    before(async () => {
      umask = process.umask(0o022); // the kept part below is the user's alone, whatever the umask
      storageEnv = process.env.EARSHOT_STORAGE;
      model = await fs.readFile(miniModel());
      server = new TestHttpsServer();
      await server.start();
      server.routes.set('/ggml-mini.bin', { body: model });
      cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'earshot-cache-'));
      process.env.EARSHOT_STORAGE = path.join(cacheDir, 'storage'); // the mark key goes there, not to the user's own
    });
    after(async () => {
      process.umask(umask);
      if (storageEnv === undefined) delete process.env.EARSHOT_STORAGE;
      else process.env.EARSHOT_STORAGE = storageEnv;
      await server.stop();
      await fs.rm(cacheDir, { recursive: true, force: true });
    });

    // A catalog-shaped entry for the mini model (the real files cannot be fetched here).
    const entry = () => ({ ...CATALOG[0], file: 'ggml-mini.bin', url: server.url('/ggml-mini.bin'), bytes: model.length, sha256: sha256(model) });

    it('downloads a catalog entry into the cache and reports its state', async () => {
      assert.equal((await cachedModelStatus(entry(), cacheDir)).state, 'missing');
      await fs.writeFile(path.join(cacheDir, 'ggml-mini.bin.part'), model.subarray(0, 999));
      assert.deepEqual(await cachedModelStatus(entry(), cacheDir), { state: 'partial', path: path.join(cacheDir, 'ggml-mini.bin'), bytes: 999, total: model.length });
      const result = await downloadModel(entry(), { cacheDir, ca: server.ca });
      assert.equal(result.resumedFrom, 999);
      assert.deepEqual(await cachedModelStatus(entry(), cacheDir), { state: 'ready', path: path.join(cacheDir, 'ggml-mini.bin'), bytes: model.length });
      await fs.truncate(path.join(cacheDir, 'ggml-mini.bin'), 1000);
      const corrupt = await cachedModelStatus(entry(), cacheDir);
      assert.equal(corrupt.state, 'corrupt');
      await rejectsWith(downloadModel(entry(), { cacheDir, ca: server.ca }), 'corrupt-existing', /whisper model tiny\.en/);
      await downloadModel(entry(), { cacheDir, ca: server.ca, repair: true });
      assert.equal((await cachedModelStatus(entry(), cacheDir)).state, 'ready');
    });

    it('marks the file it installed verified, made for the user alone even under umask 002', async function () {
      if (process.platform === 'win32') this.skip(); // no POSIX mode there
      const own = path.join(cacheDir, 'own');
      process.umask(0o002);
      try {
        const result = await downloadModel(entry(), { cacheDir: own, ca: server.ca });
        assert.equal((await fs.stat(result.path)).mode & 0o022, 0);
        assert.equal(await hasVerifiedMark(result.path, sha256(model)), true, 'marked: the next load does not hash it');
      } finally {
        process.umask(0o022);
      }
    });

    it('checks files against size and hash (verifyFile)', async () => {
      const file = path.join(cacheDir, 'check.bin');
      await fs.writeFile(file, model);
      assert.equal((await verifyFile(file, { bytes: model.length, sha256: sha256(model) })).status, 'ok');
      assert.equal((await verifyFile(file, { bytes: model.length + 1, sha256: sha256(model) })).status, 'size-mismatch');
      assert.equal((await verifyFile(file, { sha256: 'ab'.repeat(32) })).status, 'checksum-mismatch');
      assert.equal((await verifyFile(`${file}.none`, { sha256: sha256(model) })).status, 'missing');
    });
  });
});
