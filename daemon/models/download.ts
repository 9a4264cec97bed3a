/**
 * Downloads whisper models: HTTPS only, redirects followed (still HTTPS only), resumable, verified.
 *
 * A download goes to `<file>.part`. When a `.part` is already there (the user's own file, partFile.ts) the request
 * asks for the rest (`Range: bytes=<size>-`): a 206 appends, a server that ignores Range (200) restarts from zero, a 416
 * means the part already holds the whole file (or is bad and is dropped). Cancelling (AbortSignal),
 * a lost connection or a full disk leave the `.part` for a later resume. Only when the size and the
 * hash match is the part fsynced and renamed onto the final name, so the final name never holds a
 * partial or unverified file. A hash mismatch deletes the part: the next attempt starts clean.
 *
 * An existing final file is checked (size, then hash) before it is trusted; a bad one is replaced only
 * when asked (`repair` or `force`), otherwise the download reports it and leaves it alone, and callers
 * must not load it.
 *
 * This file holds the resume logic (the part, Range, 206/200/416, restarts) and the final install. The pieces:
 * httpsGet.ts (the request and its redirects), downloadMeter.ts (counting, hashing, progress), fileCheck.ts (size and
 * hash checks), downloadFaults.ts (DownloadError, disk errors), partFile.ts (the .part opened and installed safely in a
 * folder others may write), modelCache.ts (where models live, downloadModel).
 * It must not know about models or the catalog: it downloads one file to one place.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tls from 'node:tls';
import { checkFreeSpace, DownloadError, diskError, isDiskError, mib } from './downloadFaults';
import { fileSink, Meter } from './downloadMeter';
import { ExpectedFile, feedHandle, FileIdentity, pickHash, sizeOf, verifyFile } from './fileCheck';
import { assertHttps, openFollowingRedirects, parseContentRange, shown, USER_AGENT } from './httpsGet';
import { installPart, keptPart, openFreshPart, openKeptPart, PartFileError } from './partFile';

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
  /** The file at `path` as it was verified (what a verified mark may sign): hashed or written through its descriptor. */
  identity: FileIdentity;
}

/** Destinations being downloaded to by this process. */
const inFlight = new Set<string>();

export function partPath(dest: string): string {
  return `${dest}.part`;
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
      if (check.status === 'ok') return { path: dest, bytes: check.bytes, hash: hex, algorithm, downloaded: false, resumedFrom: 0, identity: check.identity! };
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

  let offset: number;
  try {
    await fs.mkdir(dir, { recursive: true });
    if (options.force) await fs.rm(part, { force: true });
    offset = await keptPart(part);
  } catch (e) {
    throw diskError(e, label, dir);
  }

  const ca = options.ca === undefined ? undefined : [...tls.rootCertificates, ...(Array.isArray(options.ca) ? options.ca : [options.ca])];
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const intervalMs = options.progressIntervalMs ?? 250;
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
      ({ res, url } = await openFollowingRedirects(start, { headers, ca, signal, idleTimeoutMs, label }, options.maxRedirects ?? 5));
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
      // The kept bytes are hashed through the descriptor the rest is appended to: the same file, whatever its name holds.
      handle = append ? await openKeptPart(part, offset) : await openFreshPart(part);
    } catch (e) {
      discard();
      throw partError(e, label, dir);
    }
    try {
      if (append) await feedHandle(hash, handle, part, offset);
    } catch (e) {
      discard();
      await handle.close().catch(() => undefined);
      throw diskError(e, label, dir);
    }
    const from = offset;
    const report = (received: number): void => options.onProgress?.({ bytesDone: from + received, bytesTotal, resumedFrom: from });
    report(0);
    const meter = new Meter(hash, report, intervalMs, bytesTotal === null ? null : bytesTotal - from, label);
    try {
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
      }
      const got = from + meter.received;
      if (bytesTotal !== null && got < bytesTotal) {
        throw new DownloadError('network', `The download of ${label} ended early at ${got} of ${bytesTotal} bytes; run it again to resume.`, { received: got, expected: bytesTotal });
      }
      report(meter.received);
      options.onVerify?.();
      const actual = hash.digest('hex');
      return await finish(handle, dest, part, label, expected, algorithm, hex, got, actual, from);
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  // The part already holds the whole file (by size): verify it through its descriptor and install it.
  let handle: fs.FileHandle;
  try {
    handle = await openKeptPart(part, offset);
  } catch (e) {
    throw partError(e, label, dir);
  }
  try {
    options.onProgress?.({ bytesDone: offset, bytesTotal: expected.bytes ?? offset, resumedFrom: offset });
    options.onVerify?.();
    const hash = createHash(algorithm);
    const bytes = await feedHandle(hash, handle, part).catch((e: unknown) => { throw diskError(e, label, dir); });
    return await finish(handle, dest, part, label, expected, algorithm, hex, bytes, hash.digest('hex'), bytes);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** A part that could not be opened or installed safely (a PartFileError: another file is at its name), or a disk error. */
function partError(e: unknown, label: string, dir: string): DownloadError {
  if (!(e instanceof PartFileError)) return diskError(e, label, dir);
  return new DownloadError('disk', `The download of ${label} stopped: ${e.message}. Run it again to start over.`);
}

/**
 * Checks what was written through `handle` and renames it onto `dest`; the result names the identity the installed
 * file has, as its descriptor sees it (installPart).
 */
async function finish(handle: fs.FileHandle, dest: string, part: string, label: string, expected: ExpectedFile, algorithm: 'sha256' | 'sha1', hex: string,
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
  let identity: FileIdentity;
  try {
    identity = await installPart(handle, part, dest);
  } catch (e) {
    throw partError(e, label, path.dirname(dest));
  }
  return { path: dest, bytes, hash: actual, algorithm, downloaded: true, resumedFrom, identity };
}
