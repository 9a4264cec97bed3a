/**
 * Downloads whisper models: HTTPS only, redirects followed (still HTTPS only), resumable, verified.
 *
 * A download goes to `<file>.part`. When a `.part` is already there the request asks for the rest
 * (`Range: bytes=<size>-`): a 206 appends, a server that ignores Range (200) restarts from zero, a 416
 * means the part already holds the whole file (or is bad and is dropped). Cancelling (AbortSignal),
 * a lost connection or a full disk leave the `.part` for a later resume. Only when the size and the
 * hash match is the part fsynced and renamed onto the final name, so the final name never holds a
 * partial or unverified file. A hash mismatch deletes the part: the next attempt starts clean.
 *
 * An existing final file is checked (size, then hash) before it is trusted; a bad one is replaced only
 * when asked (`repair` or `force`), otherwise the download reports it and leaves it alone, and callers
 * must not load it.
 */
import { createHash, Hash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { Transform, TransformCallback, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tls from 'node:tls';
import { CatalogModel, catalogModelForFile, DEFAULT_MODEL_ID, getCatalogModel } from './catalog';

export type DownloadErrorCode =
  | 'insecure-url' // not https:// (or a redirect to something else)
  | 'bad-request' // options that cannot work (no checksum, bad URL)
  | 'too-many-redirects'
  | 'http-status' // the server answered with an error status
  | 'network' // connection failed, dropped or stalled; the .part is kept
  | 'size-mismatch' // the server's file or the finished download has the wrong size
  | 'checksum-mismatch' // the finished download has the wrong hash; the .part was deleted
  | 'corrupt-existing' // the final file is there but fails verification (pass repair to replace it)
  | 'disk-full' // ENOSPC / EDQUOT, or not enough free space to start; the .part is kept
  | 'disk' // another file-system error (permissions, read-only disk...)
  | 'busy' // this process is already downloading to the same file
  | 'aborted'; // cancelled through the AbortSignal; the .part is kept

export class DownloadError extends Error {
  override name = 'DownloadError';
  constructor(readonly code: DownloadErrorCode, message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
  }
}

/** What a file must be. At least one hash is required; sha256 is preferred when both are given. */
export interface ExpectedFile {
  bytes?: number;
  sha256?: string;
  sha1?: string;
}

export interface DownloadProgress {
  /** Bytes of the file that are done, including those a resume started from. */
  bytesDone: number;
  /** The file's size when known (expected size or announced by the server), else null. */
  bytesTotal: number | null;
  /** Where this attempt started (the kept part's size; 0 for a fresh download). */
  resumedFrom: number;
}

export interface DownloadOptions {
  url: string;
  /** Final path; the download goes to `<dest>.part` first. */
  dest: string;
  expected: ExpectedFile;
  /** What is downloaded, for messages (a model id); defaults to the file name. */
  label?: string;
  signal?: AbortSignal;
  /** Called at the start, at most every `progressIntervalMs` while bytes arrive, and at the end. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Minimum time between progress callbacks (ms; default 250; 0 reports every chunk). */
  progressIntervalMs?: number;
  /** Called when the bytes are all there and are checked against the expected size and hash (also an existing file's). */
  onVerify?: () => void;
  /** Extra trusted certificate authorities (PEM), added to Node's bundled roots. */
  ca?: string | Buffer | (string | Buffer)[];
  /** Redirects followed before giving up (default 5). */
  maxRedirects?: number;
  /** A connection that sends nothing for this long is dropped, keeping the part (ms; default 30000). */
  idleTimeoutMs?: number;
  /** Replace an existing final file that fails verification. */
  repair?: boolean;
  /** Download again even if a valid final file exists, and ignore any kept part. */
  force?: boolean;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  /** The verified hash (hex) and its algorithm. */
  hash: string;
  algorithm: 'sha256' | 'sha1';
  /** false when a valid final file was already there and nothing was fetched. */
  downloaded: boolean;
  /** Bytes of a kept part the download continued from (0 when it started from zero). */
  resumedFrom: number;
}

export type FileCheckStatus = 'ok' | 'missing' | 'size-mismatch' | 'checksum-mismatch';

export interface FileCheck {
  status: FileCheckStatus;
  bytes: number;
  algorithm: 'sha256' | 'sha1';
  expectedHash: string;
  /** The file's hash; absent when the size already ruled it out or the file is missing. */
  actualHash?: string;
  /** One sentence for messages, empty when ok. */
  reason: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const USER_AGENT = 'earshot-model-downloader';
/** Destinations being downloaded to by this process. */
const inFlight = new Set<string>();

export function partPath(dest: string): string {
  return `${dest}.part`;
}

function pickHash(expected: ExpectedFile): { algorithm: 'sha256' | 'sha1'; hex: string } {
  if (expected.sha256) {
    if (!/^[0-9a-f]{64}$/i.test(expected.sha256)) throw new DownloadError('bad-request', `Invalid sha256 "${expected.sha256}"`);
    return { algorithm: 'sha256', hex: expected.sha256.toLowerCase() };
  }
  if (expected.sha1) {
    if (!/^[0-9a-f]{40}$/i.test(expected.sha1)) throw new DownloadError('bad-request', `Invalid sha1 "${expected.sha1}"`);
    return { algorithm: 'sha1', hex: expected.sha1.toLowerCase() };
  }
  throw new DownloadError('bad-request', 'A download needs an expected sha256 (or sha1) to verify against');
}

/** The URL without its query string (CDN redirects carry signatures that do not belong in logs). */
function shown(url: URL | string): string {
  const u = new URL(url.toString());
  u.search = '';
  u.username = '';
  u.password = '';
  return u.toString();
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** Feeds a file's first `end` bytes (all by default) into `hash`. */
async function feed(hash: Hash, file: string, end?: number): Promise<void> {
  if (end === 0) return;
  for await (const chunk of createReadStream(file, end === undefined ? {} : { start: 0, end: end - 1 })) hash.update(chunk as Buffer);
}

export async function hashFile(file: string, algorithm: 'sha256' | 'sha1' = 'sha256'): Promise<string> {
  const hash = createHash(algorithm);
  await feed(hash, file);
  return hash.digest('hex');
}

async function sizeOf(file: string): Promise<number | null> {
  try {
    const stat = await fs.stat(file);
    return stat.isFile() ? stat.size : null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
}

/** Checks a file against its expected size and hash (size first: a wrong size costs no hashing). */
export async function verifyFile(file: string, expected: ExpectedFile): Promise<FileCheck> {
  const { algorithm, hex } = pickHash(expected);
  const bytes = await sizeOf(file);
  if (bytes === null) return { status: 'missing', bytes: 0, algorithm, expectedHash: hex, reason: `${file} does not exist` };
  if (expected.bytes !== undefined && bytes !== expected.bytes) {
    const why = bytes < expected.bytes ? 'truncated (an incomplete download?)' : 'too long (corrupt)';
    return { status: 'size-mismatch', bytes, algorithm, expectedHash: hex, reason: `${file} is ${bytes} bytes where ${expected.bytes} are expected: ${why}` };
  }
  const actualHash = await hashFile(file, algorithm);
  if (actualHash !== hex) {
    return { status: 'checksum-mismatch', bytes, algorithm, expectedHash: hex, actualHash, reason: `${file} has ${algorithm} ${actualHash}, expected ${hex} (corrupt or a different file)` };
  }
  return { status: 'ok', bytes, algorithm, expectedHash: hex, actualHash, reason: '' };
}

function diskError(e: unknown, label: string, where: string): DownloadError {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOSPC' || err.code === 'EDQUOT') {
    return new DownloadError('disk-full', `Not enough disk space to download ${label} into ${where} (${err.code}). Free some space and retry: the download resumes where it stopped.`, { cause: err.code });
  }
  return new DownloadError('disk', `Cannot write ${label} into ${where}: ${err.message}`, { cause: err.code });
}

function isDiskError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return typeof code === 'string' && ['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EISDIR', 'ENOTDIR', 'EMFILE', 'EIO'].includes(code);
}

/** Fails early when the disk clearly cannot hold what is left to download. */
async function checkFreeSpace(dir: string, needed: number, label: string): Promise<void> {
  if (needed <= 0) return;
  let available: number;
  try {
    const stat = await fs.statfs(dir);
    available = stat.bavail * stat.bsize;
  } catch {
    return; // not knowable here: the write itself will tell
  }
  if (available < needed) {
    throw new DownloadError('disk-full', `Not enough disk space to download ${label} into ${dir}: ${mib(needed)} needed, ${mib(available)} free.`, { needed, available });
  }
}

function assertHttps(url: URL, label: string, viaRedirect: boolean): void {
  if (url.protocol !== 'https:') {
    throw new DownloadError(
      'insecure-url',
      `Refusing to download ${label} from ${shown(url)}${viaRedirect ? ' (where the server redirected)' : ''}: only https:// URLs are allowed.`,
      { url: shown(url) },
    );
  }
}

interface RequestOptions {
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
async function open(start: URL, opts: RequestOptions, maxRedirects: number): Promise<{ res: IncomingMessage; url: URL }> {
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
function parseContentRange(value: string | undefined): { start: number | null; total: number | null } {
  const m = /^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/i.exec(value?.trim() ?? '');
  if (!m) return { start: null, total: null };
  return { start: m[1] === undefined ? null : Number(m[1]), total: m[2] === '*' ? null : Number(m[2]) };
}

/** Hashes and counts what passes through, reporting progress (throttled, monotonic). */
class Meter extends Transform {
  received = 0;
  /** The caller reported the start just before: the first chunk waits its turn like the others. */
  private lastReport = performance.now();
  constructor(private readonly hash: Hash, private readonly report: (received: number) => void, private readonly intervalMs: number,
    /** Most bytes this attempt may bring (null: unknown). */
    private readonly limit: number | null, private readonly label: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    if (this.limit !== null && this.received > this.limit) {
      callback(new DownloadError('size-mismatch', `The download of ${this.label} is longer than expected; it was deleted.`));
      return;
    }
    this.hash.update(chunk);
    const now = performance.now();
    if (now - this.lastReport >= this.intervalMs) {
      this.lastReport = now;
      this.report(this.received);
    }
    callback(null, chunk);
  }
}

/** Writes to an open file handle and leaves closing it to the caller (who fsyncs first). */
function fileSink(handle: fs.FileHandle): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      handle.write(chunk).then(() => callback(), callback);
    },
  });
}

function abortError(label: string, dest: string): DownloadError {
  return new DownloadError('aborted', `The download of ${label} was cancelled; ${path.basename(partPath(dest))} is kept so the next attempt resumes.`);
}

/**
 * Downloads `url` to `dest`, verified against `expected`. Resolves once `dest` holds the verified file;
 * rejects with a DownloadError (see its codes) otherwise.
 */
export async function downloadFile(options: DownloadOptions): Promise<DownloadResult> {
  const dest = path.resolve(options.dest);
  const label = options.label ?? path.basename(dest);
  const { algorithm, hex } = pickHash(options.expected);
  let start: URL;
  try {
    start = new URL(options.url);
  } catch {
    throw new DownloadError('bad-request', `Cannot download ${label}: "${options.url}" is not a URL.`);
  }
  assertHttps(start, label, false);
  if (inFlight.has(dest)) throw new DownloadError('busy', `${label} is already being downloaded to ${dest}.`);
  inFlight.add(dest);
  try {
    return await download(options, dest, label, start, algorithm, hex);
  } finally {
    inFlight.delete(dest);
  }
}

async function download(options: DownloadOptions, dest: string, label: string, start: URL, algorithm: 'sha256' | 'sha1', hex: string): Promise<DownloadResult> {
  const { signal, expected } = options;
  const part = partPath(dest);
  const dir = path.dirname(dest);
  if (signal?.aborted) throw abortError(label, dest);

  // An existing final file: trusted only when it verifies; replaced only on request.
  if (await sizeOf(dest) !== null) {
    if (!options.force) {
      options.onVerify?.();
      const check = await verifyFile(dest, expected);
      if (check.status === 'ok') return { path: dest, bytes: check.bytes, hash: hex, algorithm, downloaded: false, resumedFrom: 0 };
      if (!options.repair) {
        throw new DownloadError('corrupt-existing', `The file of ${label} is damaged: ${check.reason}. It will not be used; download it again (repair) to replace it.`, { status: check.status, path: dest });
      }
    }
    // Replacing it: the damaged file goes now, so nothing can load it meanwhile.
    try {
      await fs.rm(dest, { force: true });
    } catch (e) {
      throw diskError(e, label, dir);
    }
  }

  try {
    await fs.mkdir(dir, { recursive: true });
    if (options.force) await fs.rm(part, { force: true });
  } catch (e) {
    throw diskError(e, label, dir);
  }

  const ca = options.ca === undefined ? undefined : [...tls.rootCertificates, ...(Array.isArray(options.ca) ? options.ca : [options.ca])];
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const intervalMs = options.progressIntervalMs ?? 250;
  let offset = (await sizeOf(part)) ?? 0;
  if (expected.bytes !== undefined && offset > expected.bytes) {
    await fs.rm(part, { force: true });
    offset = 0;
  }

  // Up to two restarts from zero: a server ignoring Range, a mismatched 206, an unusable 416.
  for (let attempt = 0; ; attempt++) {
    if (expected.bytes !== undefined && offset === expected.bytes) break; // the part is complete: verify it
    if (expected.bytes !== undefined) await checkFreeSpace(dir, expected.bytes - offset, label);

    const headers: Record<string, string> = { 'User-Agent': USER_AGENT, 'Accept-Encoding': 'identity' };
    if (offset > 0) headers.Range = `bytes=${offset}-`;
    let res: IncomingMessage;
    let url: URL;
    try {
      ({ res, url } = await open(start, { headers, ca, signal, idleTimeoutMs, label }, options.maxRedirects ?? 5));
    } catch (e) {
      if (e instanceof DownloadError) throw e;
      if (signal?.aborted) throw abortError(label, dest);
      throw new DownloadError('network', `Cannot download ${label} from ${shown(start)}: ${(e as Error).message}`, { cause: (e as NodeJS.ErrnoException).code });
    }
    const status = res.statusCode ?? 0;
    /** Drops this response without reading what may be most of the file. */
    const discard = (): void => { res.destroy(); };
    const restart = async (): Promise<void> => {
      discard();
      if (attempt >= 2) throw new DownloadError('http-status', `Downloading ${label}: ${shown(url)} keeps answering ${status} to a resumed download.`, { status });
      await fs.rm(part, { force: true });
      offset = 0;
    };

    let total: number | null;
    let append: boolean;
    if (status === 206 && offset > 0) {
      const range = parseContentRange(res.headers['content-range']);
      if (range.start !== offset) {
        await restart();
        continue;
      }
      total = range.total;
      append = true;
    } else if (status === 200) {
      total = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : null;
      append = false;
      offset = 0; // a server that ignores Range sends the whole file: start over
    } else if (status === 416 && offset > 0) {
      const range = parseContentRange(res.headers['content-range']);
      discard();
      if (range.total === offset) break; // the part already holds the whole file
      await restart();
      continue;
    } else {
      discard();
      throw new DownloadError('http-status', `Downloading ${label}: ${shown(url)} answered HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}.`, { status });
    }

    if (total !== null && expected.bytes !== undefined && total !== expected.bytes) {
      discard();
      await fs.rm(part, { force: true });
      throw new DownloadError('size-mismatch', `Downloading ${label}: the server's file is ${total} bytes but ${expected.bytes} are expected (the catalog or the server changed).`, { expected: expected.bytes, actual: total });
    }
    const bytesTotal = expected.bytes ?? total;

    const hash = createHash(algorithm);
    let handle: fs.FileHandle;
    try {
      if (append) await feed(hash, part, offset);
      handle = await fs.open(part, append ? 'a' : 'w');
    } catch (e) {
      discard();
      throw diskError(e, label, dir);
    }
    const from = offset;
    const report = (received: number): void => options.onProgress?.({ bytesDone: from + received, bytesTotal, resumedFrom: from });
    report(0);
    const meter = new Meter(hash, report, intervalMs, bytesTotal === null ? null : bytesTotal - from, label);
    try {
      const sink = fileSink(handle);
      await (signal ? pipeline(res, meter, sink, { signal }) : pipeline(res, meter, sink));
      await handle.sync();
    } catch (e) {
      if (signal?.aborted) throw abortError(label, dest);
      if (e instanceof DownloadError) {
        if (e.code === 'size-mismatch') {
          await handle.close().catch(() => undefined);
          await fs.rm(part, { force: true });
        }
        throw e;
      }
      if (isDiskError(e)) throw diskError(e, label, dir);
      throw new DownloadError('network', `The download of ${label} was interrupted after ${mib(from + meter.received)}${bytesTotal ? ` of ${mib(bytesTotal)}` : ''} (${(e as Error).message}); run it again to resume.`, { cause: (e as NodeJS.ErrnoException).code });
    } finally {
      await handle.close().catch(() => undefined);
    }
    const got = from + meter.received;
    if (bytesTotal !== null && got < bytesTotal) {
      throw new DownloadError('network', `The download of ${label} ended early at ${got} of ${bytesTotal} bytes; run it again to resume.`, { received: got, expected: bytesTotal });
    }
    report(meter.received);
    options.onVerify?.();
    const actual = hash.digest('hex');
    return finish(dest, part, label, expected, algorithm, hex, got, actual, from);
  }

  // The part already holds the whole file (by size): verify and install it.
  const bytes = (await sizeOf(part)) ?? 0;
  options.onProgress?.({ bytesDone: bytes, bytesTotal: expected.bytes ?? bytes, resumedFrom: bytes });
  options.onVerify?.();
  return finish(dest, part, label, expected, algorithm, hex, bytes, await hashFile(part, algorithm), bytes);
}

async function finish(dest: string, part: string, label: string, expected: ExpectedFile, algorithm: 'sha256' | 'sha1', hex: string,
  bytes: number, actual: string, resumedFrom: number): Promise<DownloadResult> {
  if (expected.bytes !== undefined && bytes !== expected.bytes) {
    await fs.rm(part, { force: true });
    throw new DownloadError('size-mismatch', `The download of ${label} is ${bytes} bytes but ${expected.bytes} are expected; it was deleted.`, { expected: expected.bytes, actual: bytes });
  }
  if (actual !== hex) {
    await fs.rm(part, { force: true });
    throw new DownloadError('checksum-mismatch',
      `The download of ${label} failed verification: ${algorithm} is ${actual}, expected ${hex}. The file was deleted; try again (a proxy or a changed file on the server can cause this).`,
      { algorithm, expected: hex, actual });
  }
  try {
    await fs.rename(part, dest);
  } catch (e) {
    throw diskError(e, label, path.dirname(dest));
  }
  return { path: dest, bytes, hash: actual, algorithm, downloaded: true, resumedFrom };
}

// ---------------------------------------------------------------------------------------------
// Models: where they live and how they are fetched.

export interface ModelFileSettings {
  /** The user's model path setting (a local ggml file): wins over everything, used as is (offline). */
  modelPath?: string;
  /** Catalog id from the settings or the capability recommendation; default DEFAULT_MODEL_ID. */
  modelId?: string;
  /** The model cache folder setting; default `<storageDir>/models`. */
  cacheDir?: string;
  storageDir: string;
}

export type ResolvedModelFile =
  | { source: 'path'; path: string; /** The catalog entry with this file name, if any (not enforced). */ model: CatalogModel | undefined }
  | { source: 'catalog'; path: string; model: CatalogModel; cacheDir: string };

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') || p.startsWith('~\\') ? path.join(os.homedir(), p.slice(1)) : p;
}

/** Default model cache folder. */
export function defaultCacheDir(storageDir: string): string {
  return path.join(storageDir, 'models');
}

/** Which model file to use: the path setting if set, else the catalog model's file in the cache folder. Pure. */
export function resolveModelFile(settings: ModelFileSettings): ResolvedModelFile {
  const configured = settings.modelPath?.trim();
  if (configured) {
    const file = path.resolve(expandHome(configured));
    return { source: 'path', path: file, model: catalogModelForFile(path.basename(file)) };
  }
  const model = getCatalogModel(settings.modelId?.trim() || DEFAULT_MODEL_ID);
  const cacheDir = settings.cacheDir?.trim() ? path.resolve(expandHome(settings.cacheDir.trim())) : defaultCacheDir(settings.storageDir);
  return { source: 'catalog', path: path.join(cacheDir, model.file), model, cacheDir };
}

export function modelExpectation(model: CatalogModel): ExpectedFile {
  return { bytes: model.bytes, sha256: model.sha256, sha1: model.sha1 };
}

export type CachedModelStatus =
  | { state: 'ready'; path: string; bytes: number }
  | { state: 'missing'; path: string }
  /** Only a `.part` is there: a download can resume from `bytes`. */
  | { state: 'partial'; path: string; bytes: number; total: number }
  /** The final file fails verification: it must not be loaded; download with repair to replace it. */
  | { state: 'corrupt'; path: string; reason: string };

/** The state of a catalog model in a cache folder (hashes the file when its size is right). */
export async function cachedModelStatus(model: CatalogModel, cacheDir: string): Promise<CachedModelStatus> {
  const file = path.join(cacheDir, model.file);
  const check = await verifyFile(file, modelExpectation(model));
  if (check.status === 'ok') return { state: 'ready', path: file, bytes: check.bytes };
  if (check.status !== 'missing') return { state: 'corrupt', path: file, reason: check.reason };
  const partial = await sizeOf(partPath(file));
  return partial === null ? { state: 'missing', path: file } : { state: 'partial', path: file, bytes: partial, total: model.bytes };
}

export type ModelDownloadOptions = Omit<DownloadOptions, 'url' | 'dest' | 'expected' | 'label'> & {
  cacheDir: string;
  /** Another source for the same file (a mirror); it is verified against the catalog all the same. */
  url?: string;
};

/** Downloads a catalog model into the cache folder, verified against the catalog's size and sha256. */
export function downloadModel(model: CatalogModel | string, options: ModelDownloadOptions): Promise<DownloadResult> {
  const entry = typeof model === 'string' ? getCatalogModel(model) : model;
  const { cacheDir, url, ...rest } = options;
  return downloadFile({
    ...rest,
    url: url ?? entry.url,
    dest: path.join(cacheDir, entry.file),
    expected: { bytes: entry.bytes, sha256: entry.sha256 },
    label: `whisper model ${entry.id}`,
  });
}
