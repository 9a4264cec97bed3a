/**
 * A local HTTPS file server for download tests: 127.0.0.1 only, a self-signed certificate made with the
 * `openssl` CLI at test time (handed to the downloader as its trusted CA), and per-route behaviour:
 * Range support on or off, redirects, error statuses, stalling after some bytes. Every request is
 * recorded (path and Range header) so tests can assert what the client asked for.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Route {
  body?: Buffer;
  /** Answer Range requests with 206 (default true); false: always 200 with the whole body. */
  ranges?: boolean;
  /** Redirect (302) to this location (absolute or relative). */
  redirect?: string;
  /** Answer with this status and no body. */
  status?: number;
  /** Send only this many bytes of the response body, then wait (until the client goes away). */
  stallAfter?: number;
  /** Bytes per write (default 64 KiB). */
  chunk?: number;
  /** Leave out Content-Length (chunked transfer). */
  noLength?: boolean;
}

export interface SeenRequest {
  path: string;
  range: string | undefined;
}

export interface Certificate {
  cert: string;
  key: string;
}

let cached: Certificate | undefined;

/** A self-signed certificate for 127.0.0.1 (SAN IP), made once per test run with openssl. */
export function selfSignedCertificate(): Certificate {
  if (cached) return cached;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-cert-'));
  try {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-addext', 'basicConstraints=critical,CA:TRUE',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    cached = { cert: fs.readFileSync(cert, 'utf8'), key: fs.readFileSync(key, 'utf8') };
    return cached;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export class TestHttpsServer {
  readonly routes = new Map<string, Route>();
  readonly seen: SeenRequest[] = [];
  private server: https.Server | undefined;
  private readonly open = new Set<ServerResponse>();
  readonly ca: string;

  constructor(private readonly certificate: Certificate = selfSignedCertificate()) {
    this.ca = certificate.cert;
  }

  async start(): Promise<void> {
    this.server = https.createServer({ cert: this.certificate.cert, key: this.certificate.key }, (req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  get origin(): string {
    return `https://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  url(route: string): string {
    return `${this.origin}${route}`;
  }

  /** Requests seen for one path. */
  requestsFor(route: string): SeenRequest[] {
    return this.seen.filter((r) => r.path === route);
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const route = (req.url ?? '/').split('?')[0];
    this.seen.push({ path: route, range: req.headers.range });
    const r = this.routes.get(route);
    if (!r) {
      res.writeHead(404).end();
      return;
    }
    if (r.redirect) {
      res.writeHead(302, { Location: r.redirect }).end();
      return;
    }
    if (r.status) {
      res.writeHead(r.status).end();
      return;
    }
    const body = r.body ?? Buffer.alloc(0);
    let start = 0;
    let status = 200;
    const headers: Record<string, string | number> = { 'Content-Type': 'application/octet-stream', 'Accept-Ranges': r.ranges === false ? 'none' : 'bytes' };
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m && r.ranges !== false) {
      start = Number(m[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        return;
      }
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    }
    const payload = body.subarray(start);
    if (!r.noLength) headers['Content-Length'] = payload.length;
    res.writeHead(status, headers);
    this.open.add(res);
    res.on('close', () => this.open.delete(res));
    const chunk = r.chunk ?? 64 * 1024;
    const limit = r.stallAfter === undefined ? payload.length : Math.min(r.stallAfter, payload.length);
    let at = 0;
    const pump = (): void => {
      while (at < limit) {
        const piece = payload.subarray(at, Math.min(at + chunk, limit));
        at += piece.length;
        if (!res.write(piece)) {
          res.once('drain', pump);
          return;
        }
      }
      if (limit === payload.length) res.end();
      // else: stall, holding the connection open until the client leaves or the server stops
    };
    pump();
  }
}
