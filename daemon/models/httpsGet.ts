/**
 * The HTTPS side of a download: a GET that follows redirects (HTTPS only, a bounded number of hops), drops a connection
 * that stays idle, and reads a 206's Content-Range; URLs are shown without their query string.
 *
 * Owns the request and the redirect rules. Must not read the response body or touch files (download.ts does both).
 */
import type { IncomingMessage } from 'node:http';
import * as https from 'node:https';
import { DownloadError } from './downloadFaults';

/** Statuses that send the request elsewhere (Location). */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** How the requests introduce themselves. */
export const USER_AGENT = 'earshot-model-downloader';

/** The URL without its query string (CDN redirects carry signatures that do not belong in logs). */
export function shown(url: URL | string): string {
  const u = new URL(url.toString());
  u.search = '';
  u.username = '';
  u.password = '';
  return u.toString();
}

export function assertHttps(url: URL, label: string, viaRedirect: boolean): void {
  if (url.protocol !== 'https:') {
    throw new DownloadError(
      'insecure-url',
      `Refusing to download ${label} from ${shown(url)}${viaRedirect ? ' (where the server redirected)' : ''}: only https:// URLs are allowed.`,
      { url: shown(url) },
    );
  }
}

export interface RequestOptions {
  headers: Record<string, string>;
  ca?: (string | Buffer)[];
  signal?: AbortSignal;
  idleTimeoutMs: number;
  label: string;
}

function request(url: URL, opts: RequestOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method: 'GET',
      headers: opts.headers,
      agent: false, // one connection per request: nothing lingers after a download
      ...(opts.ca ? { ca: opts.ca } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    }, resolve);
    req.setTimeout(opts.idleTimeoutMs, () => {
      req.destroy(new DownloadError('network', `The download of ${opts.label} stalled: nothing received for ${Math.round(opts.idleTimeoutMs / 1000)} s from ${shown(url)}.`));
    });
    req.on('error', reject);
    req.end();
  });
}

/** GET with redirects followed (HTTPS only, at most `maxRedirects`); the Range header travels along. */
export async function openFollowingRedirects(start: URL, opts: RequestOptions, maxRedirects: number): Promise<{ res: IncomingMessage; url: URL }> {
  let url = start;
  for (let hop = 0; ; hop++) {
    assertHttps(url, opts.label, hop > 0);
    const res = await request(url, opts);
    const status = res.statusCode ?? 0;
    if (!REDIRECTS.has(status)) return { res, url };
    res.resume();
    const location = res.headers.location;
    if (!location) throw new DownloadError('http-status', `Downloading ${opts.label}: ${shown(url)} answered ${status} without a Location.`, { status });
    if (hop >= maxRedirects) {
      throw new DownloadError('too-many-redirects', `Downloading ${opts.label}: more than ${maxRedirects} redirects from ${shown(start)}.`, { maxRedirects });
    }
    url = new URL(location, url);
  }
}

/** `bytes a-b/total` or `bytes * /total` → its parts. */
export function parseContentRange(value: string | undefined): { start: number | null; total: number | null } {
  const m = /^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/i.exec(value?.trim() ?? '');
  if (!m) return { start: null, total: null };
  return { start: m[1] === undefined ? null : Number(m[1]), total: m[2] === '*' ? null : Number(m[2]) };
}
