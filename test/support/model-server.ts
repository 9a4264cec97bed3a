/**
 * A local https server that serves catalog model files, with the CA a daemon or CLI needs to trust it and the
 * catalog-override files (EARSHOT_SPEAKER_CATALOG, EARSHOT_MEMORY_CATALOG) that point an entry at a served file.
 * For the integration suites' downloads of generated models.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { selfSignedCertificate, TestHttpsServer } from '../unit/https-server';

export class ModelServer {
  readonly dir: string;
  readonly server: TestHttpsServer;
  /** NODE_EXTRA_CA_CERTS for a process that downloads from it. */
  readonly caFile: string;

  private constructor(prefix: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    const certificate = selfSignedCertificate();
    this.caFile = path.join(this.dir, 'ca.pem');
    fs.writeFileSync(this.caFile, certificate.cert);
    this.server = new TestHttpsServer(certificate);
  }

  static async start(prefix: string): Promise<ModelServer> {
    const s = new ModelServer(prefix);
    await s.server.start();
    return s;
  }

  /** Serves `body` as `file` (in `chunk`-byte writes) and writes a catalog override naming it for `id`; answers its path. */
  catalog(id: string, file: string, body: Buffer, chunk = 65_536): string {
    this.server.routes.set(`/models/${file}`, { body, chunk });
    const catalog = path.join(this.dir, `catalog-${file}.json`);
    fs.writeFileSync(catalog, JSON.stringify([{ id, file, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex'), url: this.server.url(`/models/${file}`) }]));
    return catalog;
  }

  async stop(): Promise<void> {
    await this.server.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
