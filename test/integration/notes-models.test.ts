/**
 * Notes models over the real daemon and the real CLI: `earshot/model/list` carries the notes catalog (beside the whisper
 * one, which older clients read alone), `earshot/model/download` with kind 'notes' downloads one from a local https
 * server (its certificate trusted through NODE_EXTRA_CA_CERTS) into `<cache>/notes`, with progress; and
 * `earshot models download <notes-id>` does the same from a terminal. The server serves a generated file under the
 * catalog's id (EARSHOT_NOTES_CATALOG replaces its file, size, sha256 and URL: no real model is served here).
 */
import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorCodes, ModelDownload, ModelList, ModelProgressNotification, ModelProgressParams, PROTOCOL_VERSION } from '../../protocol/protocol';
import { selfSignedCertificate, TestHttpsServer } from '../unit/https-server';
import { connectDaemon, rejection, RpcClient, runEarshot } from './daemon-process';

const ID = 'llama-3.2-3b';
const FILE = 'generated-llama.gguf';

describe('notes models over JSON-RPC and the CLI (real daemon, local https server)', function () {
  this.timeout(60_000);
  let dir: string;
  let server: TestHttpsServer;
  let client: RpcClient;
  let body: Buffer;
  let env: NodeJS.ProcessEnv;
  const progress: ModelProgressParams[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-notes-rpc-'));
    const certificate = selfSignedCertificate();
    fs.writeFileSync(path.join(dir, 'ca.pem'), certificate.cert);
    server = new TestHttpsServer(certificate);
    await server.start();
    body = Buffer.concat([Buffer.from('GGUF'), randomBytes(2_000_000)]);
    server.routes.set(`/hf/${FILE}`, { body, chunk: 64 * 1024 });
    fs.writeFileSync(path.join(dir, 'catalog.json'), JSON.stringify([{
      id: ID, file: FILE, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex'), url: server.url(`/hf/${FILE}`),
    }]));
    env = { EARSHOT_MODEL: undefined, EARSHOT_NOTES_CATALOG: path.join(dir, 'catalog.json'), NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.pem'), EARSHOT_STORAGE: path.join(dir, 'storage') };
    client = connectDaemon(env);
    client.connection.onNotification(ModelProgressNotification, (p) => { progress.push(p); });
    await client.initialize({
      protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelCacheDir: path.join(dir, 'cache'),
      notesModelPath: path.join(dir, 'mine.gguf'), threads: 1,
    });
  });
  after(async () => {
    try {
      if (client) assert.equal(await client.dispose(), 0, client.daemon.stderr().slice(-2000));
    } finally {
      await server?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists the notes catalog beside the whisper models: sizes, licences, states, one recommended, the offline path', async () => {
    const list = await client.connection.sendRequest(ModelList, {});
    assert.ok(list.models.length >= 7, 'the whisper models as before');
    assert.equal(list.notes.cacheDir, path.join(dir, 'cache', 'notes'));
    assert.equal(list.notes.path, path.join(dir, 'mine.gguf'));
    assert.deepEqual(list.notes.models.map((m) => [m.id, m.state]), [['qwen2.5-1.5b', 'missing'], [ID, 'missing'], ['qwen3-4b', 'missing']]);
    assert.equal(list.notes.models.filter((m) => m.recommended).length, 1);
    assert.equal(list.notes.models.find((m) => m.recommended)!.id, list.notes.recommendedId);
    assert.ok(list.notes.models.every((m) => m.licence && m.bytes > 0), JSON.stringify(list.notes.models));
  });

  it('downloads a notes model with kind notes: work-done progress, model progress marked notes, then ready in the list', async () => {
    const unknown = await rejection(client.connection.sendRequest(ModelDownload, { modelId: 'base.en-notes', kind: 'notes' }));
    assert.equal(unknown.code, ErrorCodes.InvalidParams);
    assert.match(unknown.message, /Unknown notes model "base\.en-notes": choose one of qwen2\.5-1\.5b, llama-3\.2-3b, qwen3-4b/);
    const result = await client.connection.sendRequest(ModelDownload, { modelId: ID, kind: 'notes' });
    assert.deepEqual(result, { modelId: ID, path: path.join(dir, 'cache', 'notes', FILE), bytes: body.length, resumedFrom: 0, downloaded: true });
    assert.ok(fs.readFileSync(result.path).equals(body));
    assert.ok(progress.length >= 2 && progress.every((p) => p.kind === 'notes' && p.model === ID), JSON.stringify(progress));
    assert.deepEqual(progress.at(-1), { model: ID, kind: 'notes', phase: 'done', fraction: 1, bytes: body.length, totalBytes: body.length });
    const begin = client.progress.find((p) => (p.value as { kind: string; title?: string }).title === `Downloading notes model ${ID}`);
    assert.ok(begin, JSON.stringify(client.progress.slice(0, 3)));
    const list = await client.connection.sendRequest(ModelList, {});
    assert.equal(list.notes.models.find((m) => m.id === ID)!.state, 'ready');
    assert.ok(list.models.every((m) => m.state === 'missing'), 'no whisper model was touched');
  });

  it('`earshot models download <notes-id>` downloads it with percent lines; then it is listed as ready', async () => {
    const cache = path.join(dir, 'cli-cache');
    const run = await runEarshot(['models', 'download', ID, '--cache-dir', cache], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), `Downloaded: ${path.join(cache, 'notes', FILE)}`);
    assert.match(run.stderr, new RegExp(`downloading ${ID}: 0%`));
    assert.match(run.stderr, new RegExp(`downloading ${ID}: 100%`));
    const listed = await runEarshot(['models', '--json', '--cache-dir', cache], env);
    assert.equal(listed.code, 0, listed.stderr);
    const list = JSON.parse(listed.stdout) as { notes: { models: { id: string; state: string }[] } };
    assert.equal(list.notes.models.find((m) => m.id === ID)!.state, 'ready');
  });
});
