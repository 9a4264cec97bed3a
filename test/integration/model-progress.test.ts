/**
 * `earshot/modelProgress` from the real daemon process: during a model download through an https mirror (the local
 * test server with a self-signed certificate the daemon trusts through NODE_EXTRA_CA_CERTS; it cannot serve the real
 * model, so every download ends in a failed verification or a cancel), and during model loading (the generated mini
 * model loads; a catalog model that is not downloaded fails).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ErrorCodes, ModelDownload, ModelProgressNotification, ModelProgressParams, PROTOCOL_VERSION, SessionStart, SessionStop,
} from '../../protocol/protocol';
import { findCatalogModel } from '../../daemon/models/whisperCatalog';
import { miniModel, SAMPLE_WAV } from '../setup';
import { selfSignedCertificate, TestHttpsServer } from '../unit/https-server';
import { connectDaemon, rejection, RpcClient } from './daemon-process';

const TINY_EN = findCatalogModel('tiny.en')!;

interface Seen extends ModelProgressParams { at: number }

describe('earshot/modelProgress (real daemon)', function () {
  this.timeout(120_000);
  let dir: string;
  let server: TestHttpsServer;
  const route = `/mirror/${TINY_EN.file}`;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-model-progress-'));
    fs.writeFileSync(path.join(dir, 'ca.pem'), selfSignedCertificate().cert);
    server = new TestHttpsServer();
    await server.start();
  });

  after(async () => {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function daemon(options: Record<string, unknown>): Promise<{ client: RpcClient; seen: Seen[] }> {
    const client = connectDaemon({ EARSHOT_MODEL: undefined, NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.pem') });
    const seen: Seen[] = [];
    client.connection.onNotification(ModelProgressNotification, (p) => { seen.push({ ...p, at: performance.now() }); });
    await client.initialize({ protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), threads: 1, ...options });
    return { client, seen };
  }

  it('a download: download progress (at most 5 a second, fraction rising), verify, then failed with the reason', async () => {
    server.routes.set(route, { body: Buffer.alloc(TINY_EN.bytes, 0x5a), chunk: 16 * 1024 });
    const { client, seen } = await daemon({ modelId: 'tiny.en', modelCacheDir: path.join(dir, 'cache'), modelMirror: server.url('/mirror') });
    try {
      const error = await rejection(client.connection.sendRequest(ModelDownload, { modelId: 'tiny.en' }));
      assert.equal(error.code, ErrorCodes.DownloadFailed);
      await client.waitFor('the failed phase', () => seen.some((p) => p.phase === 'failed'));
      const phases = seen.map((p) => p.phase);
      assert.ok(seen.every((p) => p.model === 'tiny.en'), JSON.stringify(seen));
      const downloads = seen.filter((p) => p.phase === 'download');
      assert.ok(downloads.length >= 1, phases.join());
      assert.deepEqual(phases.slice(downloads.length), ['verify', 'failed'], phases.join());
      for (const [i, p] of downloads.entries()) {
        assert.equal(p.totalBytes, TINY_EN.bytes);
        assert.ok(p.fraction !== null && p.fraction >= 0 && p.fraction <= 1);
        assert.equal(p.fraction, p.bytes! / TINY_EN.bytes);
        if (i > 0) {
          assert.ok(p.fraction >= downloads[i - 1].fraction!, 'the fraction never goes back');
          assert.ok(p.at - downloads[i - 1].at >= 150, `${(p.at - downloads[i - 1].at).toFixed(0)} ms between two reports`);
        }
      }
      const failed = seen[seen.length - 1];
      assert.equal(failed.fraction, null);
      assert.match(failed.message ?? '', /failed verification/);
      assert.equal(failed.message, error.message);
    } finally {
      await client.dispose();
    }
  });

  it('a cancelled download ends with failed, saying it was cancelled', async () => {
    fs.rmSync(path.join(dir, 'cache'), { recursive: true, force: true });
    server.routes.set(route, { body: Buffer.alloc(TINY_EN.bytes, 0x5a), stallAfter: 1 << 20, chunk: 32 * 1024 });
    const { client, seen } = await daemon({ modelId: 'tiny.en', modelCacheDir: path.join(dir, 'cache'), modelMirror: server.url('/mirror') });
    try {
      const pending = client.connection.sendRequest(ModelDownload, { modelId: 'tiny.en' });
      pending.catch(() => undefined);
      const token = await client.waitFor('the download progress token', () => client.progressCreated[0]);
      await client.waitFor('a download report', () => seen.some((p) => p.phase === 'download'));
      await client.connection.sendNotification('window/workDoneProgress/cancel', { token });
      await rejection(pending);
      const last = await client.waitFor('failed', () => seen.find((p) => p.phase === 'failed'));
      assert.match(last.message ?? '', /cancelled/);
      assert.ok(!seen.some((p) => p.phase === 'done'));
    } finally {
      await client.dispose();
    }
  });

  it('loading: load (no fraction), then done, named after the model file; a model that is not there: load, then failed', async () => {
    const { client, seen } = await daemon({ modelPath: miniModel() });
    try {
      const started = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast' });
      assert.deepEqual(seen.map(({ at: _at, ...p }) => p), [
        { model: path.basename(miniModel()), phase: 'load', fraction: null },
        { model: path.basename(miniModel()), phase: 'done', fraction: 1 },
      ]);
      await client.connection.sendRequest(SessionStop, { sessionId: started.sessionId });
    } finally {
      await client.dispose();
    }

    const missing = await daemon({ modelId: 'tiny.en', modelCacheDir: path.join(dir, 'empty-cache') });
    try {
      const error = await rejection(missing.client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: SAMPLE_WAV, pace: 'fast' }));
      assert.equal(error.code, ErrorCodes.ModelUnavailable);
      assert.deepEqual(missing.seen.map((p) => [p.model, p.phase, p.fraction]), [['tiny.en', 'load', null], ['tiny.en', 'failed', null]]);
      assert.equal(missing.seen[1].message, error.message);
      assert.match(error.message, /not downloaded yet/);
    } finally {
      await missing.client.dispose();
    }
  });
});
