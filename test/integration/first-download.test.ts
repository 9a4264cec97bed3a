/**
 * `earshot transcribe` on a machine with no model: it says what it fetches, downloads it from the (local HTTPS test)
 * mirror with progress, verifies it and transcribes, in one command. The mirror serves a generated model under the
 * recommended catalog id (EARSHOT_CATALOG replaces that entry's file, size and sha256: no real model exists here).
 * `--no-download` / EARSHOT_OFFLINE=1 refuse as before; a download cut off keeps its .part and says what to do, and the
 * next run resumes it.
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { selectModel } from '../../daemon/models/whisperModels';
import { defaultCacheDir } from '../../daemon/models/modelCache';
import { miniModel, SAMPLE_WAV, TEST_WORD } from '../setup';
import { selfSignedCertificate, TestHttpsServer } from '../unit/https-server';
import { runEarshot } from './daemon-process';

describe('earshot transcribe with no model downloads it first (local https mirror)', function () {
  this.timeout(120_000);
  let dir: string;
  let server: TestHttpsServer;
  let env: NodeJS.ProcessEnv;
  let route: string;
  let cached: string;
  let model: Buffer;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-first-'));
    const certificate = selfSignedCertificate();
    fs.writeFileSync(path.join(dir, 'ca.pem'), certificate.cert);
    server = new TestHttpsServer(certificate);
    await server.start();
    const storage = path.join(dir, 'storage');
    const { recommendedId } = await selectModel({ storageDir: storage, language: 'en' });
    model = fs.readFileSync(miniModel());
    const file = `ggml-${recommendedId}.bin`;
    fs.writeFileSync(path.join(dir, 'catalog.json'), JSON.stringify([{ id: recommendedId, file, bytes: model.length, sha256: createHash('sha256').update(model).digest('hex') }]));
    route = `/mirror/${file}`;
    cached = path.join(defaultCacheDir(storage), file);
    env = {
      EARSHOT_MODEL: undefined, EARSHOT_OFFLINE: undefined, EARSHOT_STORAGE: storage, EARSHOT_CATALOG: path.join(dir, 'catalog.json'),
      EARSHOT_MODEL_MIRROR: server.url('/mirror'), NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.pem'),
    };
  });
  after(async () => {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const transcribe = (extra: string[] = [], more: NodeJS.ProcessEnv = {}) =>
    runEarshot(['transcribe', SAMPLE_WAV, '--json', '--threads', '1', '--notes-dir', path.join(dir, 'notes'), ...extra], { ...env, ...more });

  it('--no-download and EARSHOT_OFFLINE=1 refuse as before, asking for nothing', async () => {
    for (const [extra, more] of [[['--no-download'], {}], [[], { EARSHOT_OFFLINE: '1' }]] as const) {
      const run = await transcribe([...extra], more);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /model is not downloaded yet/);
      assert.match(run.stderr, /--model PATH/);
    }
    assert.deepEqual(server.seen, []);
  });

  it('a download cut off keeps its .part and says how to go on', async () => {
    server.routes.set(route, { body: model, stallAfter: Math.floor(model.length / 2), chunk: 16 * 1024 });
    const running = transcribe();
    // Wait until half the file has been sent, then take the server away mid-download.
    for (let i = 0; i < 200 && !(fs.existsSync(`${cached}.part`) && fs.statSync(`${cached}.part`).size >= model.length / 2); i++) await new Promise((r) => setTimeout(r, 50));
    await server.stop();
    const run = await running;
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /the download of the .+ model failed/);
    assert.match(run.stderr, /kept in .+\.part: run the same command again to resume/);
    assert.match(run.stderr, /EARSHOT_MODEL_MIRROR/);
    assert.match(run.stderr, /--model PATH/);
    assert.ok(fs.existsSync(`${cached}.part`) && !fs.existsSync(cached), 'the .part is kept, no model file');
    await server.start();
  });

  it('then one command says what it fetches, resumes, shows progress, verifies and transcribes', async () => {
    env.EARSHOT_MODEL_MIRROR = server.url('/mirror'); // the server came back on another port
    server.routes.set(route, { body: model });
    const run = await transcribe();
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, new RegExp(`is not downloaded yet: fetching it now \\(\\d+ MB from ${server.origin.replace(/[.]/g, '\\.')}.*, into ${cached.replace(/[.]/g, '\\.')}\\), resuming at`));
    assert.match(run.stderr, /downloading .+: 100%/, 'plain progress lines when stderr is not a terminal');
    assert.match(run.stderr, /checking .+ against its sha256/);
    const lines = run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { text: string });
    assert.ok(lines.length >= 6 && lines.every((l) => l.text.includes(TEST_WORD)), run.stdout);
    assert.ok(server.seen.some((r) => r.path === route && r.range?.startsWith('bytes=')), 'the download resumed with a Range request');
    assert.ok(fs.readFileSync(cached).equals(model));
    // Present now: the next run downloads nothing.
    const before = server.seen.length;
    const again = await transcribe();
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /fetching/);
    assert.equal(server.seen.length, before);
  });
});
