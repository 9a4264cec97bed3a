/**
 * The model catalog over JSON-RPC, against the real daemon process: `earshot/model/list`, catalog
 * selection, verified-before-load, and `earshot/model/download` through an https mirror (a local
 * server with a self-signed certificate the daemon trusts through NODE_EXTRA_CA_CERTS). No real model
 * is ever served: every download here fails verification, which is what these tests check.
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ResponseError } from 'vscode-languageserver-protocol/node';
import {
  ErrorCodes, ModelDownload, ModelList, ModelListResult, PROTOCOL_VERSION, SessionStart, SessionStatus,
} from '../../protocol/protocol';
import { CATALOG, findCatalogModel } from '../../daemon/models/whisperCatalog';
import { miniModel, SAMPLE_WAV } from '../setup';
import { selfSignedCertificate, TestHttpsServer } from '../unit/https-server';
import { connectDaemon, rejection, RpcClient } from './daemon-process';

const TINY_EN = findCatalogModel('tiny.en')!;
const TINY = findCatalogModel('tiny')!;
const MIRROR_PREFIX = '/mirror';

/** The rejection of `promise`, which must be a JSON-RPC ResponseError. */
function dataOf(e: ResponseError<unknown>): Record<string, unknown> {
  assert.ok(e.data && typeof e.data === 'object', `error data: ${JSON.stringify(e.data)}`);
  return e.data as Record<string, unknown>;
}

/** Files in the cache folder (absent folder: none). */
function cacheFiles(cacheDir: string): string[] {
  return fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).sort() : [];
}

async function disposeChecked(client: RpcClient | undefined): Promise<void> {
  if (!client) return;
  const code = await client.dispose();
  assert.equal(code, 0, `daemon exit code ${code}; stderr:\n${client.daemon.stderr().slice(-2000)}`);
}

/** The daemon's environment: no model from the environment, so initializationOptions alone decide. */
const ENV = { EARSHOT_MODEL: undefined };

describe('earshot/model/list with a model file setting (real daemon)', () => {
  let dir: string;
  let client: RpcClient;
  let list: ModelListResult;

  before(async function () {
    this.timeout(60_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-models-path-'));
    client = connectDaemon(ENV);
    await client.initialize({
      protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'),
      modelPath: miniModel(), modelCacheDir: path.join(dir, 'cache'), threads: 1,
    });
    list = await client.connection.sendRequest(ModelList, {});
  });

  after(async () => {
    try {
      await disposeChecked(client);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists the 13 catalog entries (7 models, 6 of them also in 8 bits), all missing in an empty cache folder, exactly one recommended', () => {
    assert.equal(list.models.length, CATALOG.length); assert.equal(CATALOG.length, 13);
    assert.deepEqual(list.models.map((m) => m.id), CATALOG.map((m) => m.id));
    for (const [i, m] of list.models.entries()) {
      const c = CATALOG[i];
      assert.deepEqual({ file: m.file, bytes: m.bytes, englishOnly: m.englishOnly, description: m.description },
        { file: c.file, bytes: c.bytes, englishOnly: c.englishOnly, description: c.description });
      assert.equal(m.state, 'missing', `${m.id}: ${m.state}`);
    }
    const recommended = list.models.filter((m) => m.recommended);
    assert.equal(recommended.length, 1, JSON.stringify(recommended));
    assert.ok(recommended[0].englishOnly || !CATALOG.some((c) => c.tier === findCatalogModel(recommended[0].id)!.tier && c.englishOnly),
      'for English, the recommended tier is its English-only variant where there is one');
  });

  it('describes the active model as the file from the path setting', () => {
    assert.equal(list.active.source, 'path');
    assert.equal(list.active.path, miniModel());
    assert.equal(list.active.modelId, null, 'the mini test model is not a catalog file');
    assert.match(list.active.reason, /earshot\.model\.path/);
  });

  it('leaves the cache folder alone (listing creates nothing)', () => {
    assert.deepEqual(cacheFiles(path.join(dir, 'cache')), []);
  });
});

describe('initialize with an http:// model mirror (real daemon)', () => {
  let client: RpcClient | undefined;
  after(() => disposeChecked(client));

  it('is refused with InvalidParams naming modelMirror; the daemon stays uninitialized', async () => {
    client = connectDaemon(ENV);
    const error = await rejection(client.initialize({ protocolVersion: PROTOCOL_VERSION, modelId: 'tiny.en', modelMirror: 'http://127.0.0.1:9/models/' }));
    assert.equal(error.code, ErrorCodes.InvalidParams);
    assert.match(error.message, /modelMirror/);
    assert.match(error.message, /https/);
    const refused = await rejection(client.connection.sendRequest(ModelList, {}));
    assert.equal(refused.code, ErrorCodes.ServerNotInitialized);
  });
});

describe('initialize with a modelId that is not in the catalog (real daemon)', () => {
  let dir: string;
  let client: RpcClient | undefined;
  after(async () => {
    try {
      await disposeChecked(client);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('falls back to the recommended model and says so in model/list, naming the known ids', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-models-unknown-'));
    client = connectDaemon(ENV);
    await client.initialize({ protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), modelId: 'huge.en', modelCacheDir: path.join(dir, 'cache') });
    const result = await client.connection.sendRequest(ModelList, {});
    const recommended = result.models.find((m) => m.recommended)!;
    assert.equal(result.active.source, 'catalog');
    assert.equal(result.active.modelId, recommended.id);
    assert.equal(result.active.path, path.join(dir, 'cache', recommended.file));
    assert.match(result.active.reason, /no whisper model "huge\.en"/);
    for (const m of CATALOG) assert.ok(result.active.reason.includes(m.id), `${m.id} missing from: ${result.active.reason}`);
  });
});

describe('catalog models: selection, verification before load, downloads through an https mirror (real daemon)', () => {
  let dir: string;
  let cacheDir: string;
  let server: TestHttpsServer;
  let client: RpcClient;
  /** Bytes of the right size for tiny.en that are not tiny.en (we cannot serve the real model). */
  let fakeTinyEn: Buffer;
  let fakeTinyEnSha256: string;
  const tinyEnRoute = `${MIRROR_PREFIX}/${TINY_EN.file}`;
  const tinyRoute = `${MIRROR_PREFIX}/${TINY.file}`;
  const tinyEnPath = () => path.join(cacheDir, TINY_EN.file);

  before(async function () {
    this.timeout(60_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-models-'));
    cacheDir = path.join(dir, 'cache');
    const caFile = path.join(dir, 'ca.pem');
    fs.writeFileSync(caFile, selfSignedCertificate().cert);
    server = new TestHttpsServer();
    await server.start();
    fakeTinyEn = Buffer.alloc(TINY_EN.bytes, 0x5a);
    fakeTinyEnSha256 = createHash('sha256').update(fakeTinyEn).digest('hex');
    client = connectDaemon({ ...ENV, NODE_EXTRA_CA_CERTS: caFile });
    await client.initialize({
      protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'),
      modelId: 'tiny.en', modelCacheDir: cacheDir, modelMirror: server.url(MIRROR_PREFIX), threads: 1,
    });
  });

  after(async () => {
    try {
      await disposeChecked(client);
    } finally {
      await server?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  const list = () => client.connection.sendRequest(ModelList, {});
  const stateOf = async (id: string) => (await list()).models.find((m) => m.id === id)!.state;
  const download = (params: { modelId: string; repair?: boolean }) => client.connection.sendRequest(ModelDownload, params);
  const startSession = () => client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast' });

  /** Session start must fail with ModelUnavailable for tiny.en, and the model must never have been loaded. */
  async function assertStartRefused(message: RegExp): Promise<ResponseError<unknown>> {
    const error = await rejection(startSession());
    assert.equal(error.code, ErrorCodes.ModelUnavailable, `${error.code}: ${error.message}`);
    assert.match(error.message, message);
    assert.deepEqual(dataOf(error), { modelPath: tinyEnPath(), modelId: 'tiny.en' });
    const status = await client.connection.sendRequest(SessionStatus, {});
    assert.equal(status.state, 'idle');
    assert.equal(status.sessionId, null);
    const loading = client.health.filter((h) => h.model.state !== 'uninitialized');
    assert.deepEqual(loading.map((h) => h.model.state), [], 'the whisper engine never started loading');
    return error;
  }

  it('describes the active model as the catalog choice in the cache folder, with the reason', async () => {
    const result = await list();
    assert.equal(result.active.source, 'catalog');
    assert.equal(result.active.modelId, 'tiny.en');
    assert.equal(result.active.path, tinyEnPath());
    assert.equal(path.dirname(result.active.path), cacheDir);
    assert.match(result.active.reason, /tiny\.en/);
    assert.match(result.active.reason, /chosen/);
    assert.equal(result.models.filter((m) => m.recommended).length, 1);
    assert.ok(result.models.every((m) => m.state === 'missing'), JSON.stringify(result.models.map((m) => [m.id, m.state])));
  });

  it('refuses to start a session on a model that is not downloaded: ModelUnavailable saying how to download it', async () => {
    const error = await assertStartRefused(/tiny\.en model is not downloaded/);
    assert.match(error.message, /Download Model/);
    assert.match(error.message, /earshot models download tiny\.en/);
    assert.ok(error.message.includes(tinyEnPath()), error.message);
  });

  it('refuses an unknown modelId, naming the known ids', async () => {
    const error = await rejection(download({ modelId: 'huge.en' }));
    assert.equal(error.code, ErrorCodes.InvalidParams);
    assert.match(error.message, /huge\.en/);
    for (const m of CATALOG) assert.ok(error.message.includes(m.id), `${m.id} missing from: ${error.message}`);
    assert.deepEqual(server.seen, [], 'nothing was requested from the mirror');
  });

  it('fails a download whose bytes do not match the catalog sha256 with DownloadFailed, leaving no file and no .part', async function () {
    this.timeout(90_000);
    server.routes.set(tinyEnRoute, { body: fakeTinyEn });
    const error = await rejection(download({ modelId: 'tiny.en' }));
    assert.equal(error.code, ErrorCodes.DownloadFailed, `${error.code}: ${error.message}`);
    assert.deepEqual(dataOf(error), { modelId: 'tiny.en', reason: 'checksum-mismatch' });
    assert.match(error.message, /whisper model tiny\.en/);
    assert.ok(error.message.includes(TINY_EN.sha256), `expected hash missing: ${error.message}`);
    assert.ok(error.message.includes(fakeTinyEnSha256), `actual hash missing: ${error.message}`);
    assert.deepEqual(server.requestsFor(tinyEnRoute).map((r) => r.range), [undefined], 'one fresh request, through the mirror path');
    assert.deepEqual(cacheFiles(cacheDir), []);
    assert.equal(await stateOf('tiny.en'), 'missing');
  });

  it('fails a download of the wrong size with DownloadFailed naming both sizes, leaving nothing', async () => {
    server.routes.set(tinyRoute, { body: Buffer.alloc(1 << 20, 1) });
    const error = await rejection(download({ modelId: 'tiny' }));
    assert.equal(error.code, ErrorCodes.DownloadFailed, `${error.code}: ${error.message}`);
    assert.deepEqual(dataOf(error), { modelId: 'tiny', reason: 'size-mismatch' });
    assert.match(error.message, /whisper model tiny\b/);
    assert.ok(error.message.includes(String(1 << 20)) && error.message.includes(String(TINY.bytes)), error.message);
    assert.deepEqual(cacheFiles(cacheDir), []);
  });

  let keptPart = 0;

  it('cancels a download through window/workDoneProgress/cancel: DownloadFailed (aborted), the .part is kept', async function () {
    this.timeout(60_000);
    const stallAfter = 2 << 20;
    server.routes.set(tinyEnRoute, { body: fakeTinyEn, stallAfter, chunk: 32 * 1024 });
    const tokensBefore = client.progressCreated.length;
    const pending = download({ modelId: 'tiny.en' });
    pending.catch(() => undefined);
    const token = await client.waitFor('a work-done progress for the download', () => client.progressCreated[tokensBefore]);
    const mine = () => client.progress.filter((p) => p.token === token).map((p) => p.value);
    const begin = await client.waitFor('the progress begin', () => mine().find((v) => v.kind === 'begin'));
    assert.equal(begin.cancellable, true);
    assert.match(begin.title ?? '', /tiny\.en/);
    await client.waitFor('a progress report', () => mine().some((v) => v.kind === 'report'));
    const part = `${tinyEnPath()}.part`;
    await client.waitFor('bytes in the .part file', () => fs.existsSync(part) && fs.statSync(part).size >= stallAfter / 2);
    await client.connection.sendNotification('window/workDoneProgress/cancel', { token });

    const error = await rejection(pending);
    assert.equal(error.code, ErrorCodes.DownloadFailed, `${error.code}: ${error.message}`);
    assert.deepEqual(dataOf(error), { modelId: 'tiny.en', reason: 'aborted' });
    assert.match(error.message, /cancelled/);
    assert.match(error.message, /\.part is kept/);
    await client.waitFor('the progress end', () => mine().some((v) => v.kind === 'end'));
    const kinds = mine().map((v) => v.kind);
    assert.equal(kinds[0], 'begin');
    assert.equal(kinds[kinds.length - 1], 'end');
    assert.ok(kinds.slice(1, -1).every((k) => k === 'report'), kinds.join());
    const reports = mine().filter((v) => v.kind === 'report');
    for (const r of reports) assert.match(r.message ?? '', /of 78 MB$/);

    assert.deepEqual(cacheFiles(cacheDir), [`${TINY_EN.file}.part`], 'only the part, never the final name');
    keptPart = fs.statSync(part).size;
    assert.ok(keptPart > 0 && keptPart <= stallAfter, `kept ${keptPart} bytes`);
    assert.deepEqual(fakeTinyEn.subarray(0, keptPart).compare(fs.readFileSync(part)), 0, 'the part holds what the server sent');
    assert.equal(await stateOf('tiny.en'), 'partial');
  });

  it('refuses to start a session on a partly downloaded model, saying how much is there', async () => {
    assert.ok(keptPart > 0, 'needs the cancelled download');
    const error = await assertStartRefused(/only partly downloaded/);
    assert.ok(error.message.includes(`${keptPart} of ${TINY_EN.bytes} bytes`), error.message);
  });

  it('resumes the kept .part with a Range request; the finished file still fails the checksum and is deleted', async function () {
    this.timeout(90_000);
    assert.ok(keptPart > 0, 'needs the cancelled download');
    server.routes.set(tinyEnRoute, { body: fakeTinyEn, ranges: true });
    const seenBefore = server.requestsFor(tinyEnRoute).length;
    const tokensBefore = client.progressCreated.length;
    const error = await rejection(download({ modelId: 'tiny.en' }));
    assert.deepEqual(server.requestsFor(tinyEnRoute).slice(seenBefore).map((r) => r.range), [`bytes=${keptPart}-`]);
    assert.equal(error.code, ErrorCodes.DownloadFailed, `${error.code}: ${error.message}`);
    assert.deepEqual(dataOf(error), { modelId: 'tiny.en', reason: 'checksum-mismatch' });
    // The kept bytes and the resumed rest hash as the whole (fake) file: the resume appended at the right place.
    assert.ok(error.message.includes(fakeTinyEnSha256), error.message);
    const token = client.progressCreated[tokensBefore];
    const first = client.progress.find((p) => p.token === token && p.value.kind === 'report');
    assert.ok(first, 'a progress report for the resumed download');
    assert.equal(first.value.percentage, Math.floor((100 * keptPart) / TINY_EN.bytes), 'progress starts where the part ended');
    assert.deepEqual(cacheFiles(cacheDir), []);
    assert.equal(await stateOf('tiny.en'), 'missing');
  });

  it('lists a corrupt catalog file (right name, wrong bytes) as corrupt and never loads it', async () => {
    // A valid, loadable whisper file under the catalog name: only verification can keep it out.
    fs.mkdirSync(cacheDir, { recursive: true });
    fs.copyFileSync(miniModel(), tinyEnPath());
    const result = await list();
    assert.equal(result.models.find((m) => m.id === 'tiny.en')!.state, 'corrupt');
    assert.ok(result.models.filter((m) => m.id !== 'tiny.en').every((m) => m.state === 'missing'));
    const error = await assertStartRefused(/not the published tiny\.en model/);
    assert.match(error.message, /repair/);
    assert.deepEqual(cacheFiles(cacheDir), [TINY_EN.file], 'no verified mark was written for it');
  });

  it('does not replace a corrupt file unless asked (repair), and repair removes it before downloading', async () => {
    const seenBefore = server.seen.length;
    const refused = await rejection(download({ modelId: 'tiny.en' }));
    assert.equal(refused.code, ErrorCodes.DownloadFailed);
    assert.deepEqual(dataOf(refused), { modelId: 'tiny.en', reason: 'corrupt-existing' });
    assert.match(refused.message, /repair/);
    assert.equal(server.seen.length, seenBefore, 'nothing was fetched');
    assert.equal(fs.readFileSync(tinyEnPath()).compare(fs.readFileSync(miniModel())), 0, 'the file was left alone');

    server.routes.set(tinyEnRoute, { body: Buffer.alloc(4096) });
    const repaired = await rejection(download({ modelId: 'tiny.en', repair: true }));
    assert.equal(repaired.code, ErrorCodes.DownloadFailed);
    assert.deepEqual(dataOf(repaired), { modelId: 'tiny.en', reason: 'size-mismatch' });
    assert.deepEqual(cacheFiles(cacheDir), [], 'the damaged file is gone and nothing replaced it');
    assert.equal(await stateOf('tiny.en'), 'missing');
  });

  it('keeps serving after all of that', async () => {
    const status = await client.connection.sendRequest(SessionStatus, {});
    assert.equal(status.state, 'idle');
    assert.equal((await list()).models.length, CATALOG.length);
  });
});
