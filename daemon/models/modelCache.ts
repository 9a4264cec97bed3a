/**
 * daemon/models/: the models Earshot can fetch and what this machine can run, one concern for whisper models, notes
 * models and voice models alike. Below asr/, understanding/ and speakers/, which use it; it imports none of them, nor
 * anything above them (session/, service/, rpc/, cli/).
 *
 *   whisperCatalog.ts, notesCatalog.ts, voiceModel.ts   what is offered: pinned files (size, sha256, URL), overrides
 *   whisperModels.ts, notesModels.ts                    which one to use, the listing, the download of each kind
 *   modelCache.ts (this file)                           the cache folder, a cached model's state, the verified mark
 *   download.ts, httpsGet.ts, downloadMeter.ts, downloadFaults.ts, fileCheck.ts, partFile.ts   resumable, verified HTTPS downloads
 *   modelFile.ts                                        a ggml whisper file walked before whisper.cpp sees it
 *   capabilities.ts, gpus.ts, gpuProbe.ts (+ its child) the machine: memory, cores, whisper build, GPUs found
 *
 * This file: where downloaded models live and how a catalog model is fetched: which whisper file the settings name (a path, or the
 * catalog model in the cache folder), the state of a cached model (ready, missing, partial, corrupt), its verified
 * download, and the signed mark that spares hashing a verified file again. Serves the whisper catalog and the notes catalog
 * (notesModels.ts) alike: both hand it a {@link CachedModelSpec}.
 *
 * Owns the cache folder's layout. Must not decide which model to use (whisperModels.ts) or load one.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultStorageDir } from '../config';
import { replaceFile } from '../../protocol/renameOver';
import { CatalogModel, catalogModelForFile, DEFAULT_MODEL_ID, getCatalogModel } from './whisperCatalog';
import { downloadFile, DownloadOptions, DownloadResult, partPath } from './download';
import { ExpectedFile, FileIdentity, identityOf, othersMayWrite, sameIdentity, sizeOf, verifyFile } from './fileCheck';

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

/** What the cache needs of a catalog entry, whichever catalog it is from. */
export interface CachedModelSpec {
  id: string;
  /** The file's name in its cache folder. */
  file: string;
  url: string;
  bytes: number;
  sha256: string;
  sha1?: string;
}

export function modelExpectation(model: CachedModelSpec): ExpectedFile {
  return { bytes: model.bytes, sha256: model.sha256, ...(model.sha1 ? { sha1: model.sha1 } : {}) };
}

/** The URL of `file` on an https mirror (a base URL; the file's name is appended). */
export function mirrorUrl(file: string, mirror: string): string {
  return new URL(file, mirror.endsWith('/') ? mirror : `${mirror}/`).href;
}

/**
 * Remembers that a file was verified, so a hash of hundreds of MB or GB is not recomputed at every load. The mark sits
 * beside the file, where anyone who can write the cache can write one too (a shared cacheDir), so it is signed with a
 * key only this user can read (markKey), and it names the file's inode and change time as well as its size and
 * modification time: a file replaced or rewritten since (even with its mtime set back) has another, and is hashed again.
 * So is a file the user copies or moves, once. What it signs is the identity of the file that was hashed, read through
 * the descriptor that hashed it (verifyFile, installPart), and only while the path still names that file unchanged: a
 * file changed or renamed over during the hash is never marked (security review 2, S1).
 */
interface VerifiedMark {
  version: 2;
  sha256: string;
  bytes: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  /** HMAC-SHA256 of the fields above (markFields) with the user's key. */
  mac: string;
}
const markPath = (file: string) => `${file}.verified.json`;
/** The device is left out (the mark's format predates it): a mark sits beside its file, on the same device. */
const markFields = (sha256: string, stat: MarkedIdentity) => JSON.stringify([2, sha256, stat.size, stat.mtimeMs, stat.ctimeMs, stat.ino]);
type MarkedIdentity = Pick<FileIdentity, 'size' | 'mtimeMs' | 'ctimeMs' | 'ino'>;

/** The key marks are signed with: 32 random bytes in the user's own storage folder (mode 0600), made at first use. */
export function markKeyFile(): string {
  return path.join(defaultStorageDir(), 'model-marks.key');
}

const keys = new Map<string, Promise<Buffer | undefined>>();

/**
 * The user's mark key (made if there is none); undefined when the file there is not one only this user can read and
 * write (then no mark is trusted: every load hashes).
 */
function markKey(): Promise<Buffer | undefined> {
  const file = markKeyFile();
  let key = keys.get(file);
  if (!key) {
    key = readOrMakeKey(file);
    keys.set(file, key);
    key.then((k) => { if (!k) keys.delete(file); }, () => keys.delete(file)); // a failure is retried at the next use
  }
  return key;
}

async function readOrMakeKey(file: string): Promise<Buffer | undefined> {
  const existing = await readKey(file);
  if (existing !== 'missing') return existing;
  // Written whole under another name, then linked into place: a concurrent reader never sees half a key, and of two
  // processes making one at once the second reads the first's.
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await fs.writeFile(temp, randomBytes(32), { mode: 0o600 });
  try {
    await fs.link(temp, file).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'EEXIST') throw e; });
  } finally {
    await fs.rm(temp, { force: true });
  }
  const made = await readKey(file);
  return made === 'missing' ? undefined : made;
}

async function readKey(file: string): Promise<Buffer | undefined | 'missing'> {
  const stat = await fs.lstat(file).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? 'missing' as const : undefined));
  if (stat === 'missing') return 'missing';
  const own = process.platform === 'win32' || (stat !== undefined && stat.uid === process.getuid?.() && (stat.mode & 0o077) === 0);
  if (!stat?.isFile() || stat.size !== 32 || !own) return undefined;
  return fs.readFile(file).catch(() => undefined);
}

const macOf = (key: Buffer, sha256: string, stat: MarkedIdentity) => createHmac('sha256', key).update(markFields(sha256, stat)).digest();

/**
 * Marks `file` as verified against `sha256`, when it is still `hashed` (the identity of the file whose bytes were
 * hashed, read through the descriptor that hashed them). Nothing is written, and false comes back, when the path names
 * another file or a changed one by now, when someone else may write the file (othersMayWrite: it could be rewritten
 * within the change time's granularity), or when the user's key is unusable: then the file is hashed at each load, as
 * before there were marks. The mark replaces whatever is at its name (replaceFile: a symlink planted there is
 * replaced, not written through; security review 2, S2).
 */
export async function writeVerifiedMark(file: string, sha256: string, hashed: FileIdentity): Promise<boolean> {
  const key = await markKey().catch(() => undefined);
  if (!key) return false;
  const now = await fs.stat(file).catch(() => undefined);
  if (!now || !sameIdentity(identityOf(now), hashed) || othersMayWrite(now)) return false;
  const mark: VerifiedMark = {
    version: 2, sha256, bytes: hashed.size, mtimeMs: hashed.mtimeMs, ctimeMs: hashed.ctimeMs, ino: hashed.ino, mac: macOf(key, sha256, hashed).toString('hex'),
  };
  await replaceFile(markPath(file), JSON.stringify(mark), 0o644);
  return true;
}

/**
 * Whether `file` is unchanged since Earshot marked it verified against `sha256`. False for a mark of an earlier
 * version, one another key signed (or nobody), and a file changed or replaced since: then the file is hashed.
 */
export async function hasVerifiedMark(file: string, sha256: string, stat?: MarkedIdentity): Promise<boolean> {
  const now = stat ?? await fs.stat(file).catch(() => undefined);
  if (!now) return false;
  const mark = await fs.readFile(markPath(file), 'utf8').then((t) => JSON.parse(t) as Partial<VerifiedMark>).catch(() => undefined);
  if (mark?.version !== 2 || mark.sha256 !== sha256 || typeof mark.mac !== 'string' || !/^[0-9a-f]{64}$/.test(mark.mac)) return false;
  const key = await markKey().catch(() => undefined);
  return !!key && timingSafeEqual(Buffer.from(mark.mac, 'hex'), macOf(key, sha256, now));
}

export type CachedModelStatus =
  | { state: 'ready'; path: string; bytes: number }
  | { state: 'missing'; path: string }
  /** Only a `.part` is there: a download can resume from `bytes`. */
  | { state: 'partial'; path: string; bytes: number; total: number }
  /** The final file fails verification: it must not be loaded; download with repair to replace it. */
  | { state: 'corrupt'; path: string; reason: string };

/** The state of a catalog model in a cache folder (hashes the file when its size is right). */
export async function cachedModelStatus(model: CachedModelSpec, cacheDir: string): Promise<CachedModelStatus> {
  return (await checkCachedModel(model, cacheDir)).status;
}

/**
 * cachedModelStatus, and when ready the identity of the file that was hashed. A file changed or replaced while it was
 * hashed is not ready: it is 'corrupt' with a reason saying so (verifyFile's 'changed').
 */
async function checkCachedModel(model: CachedModelSpec, cacheDir: string): Promise<{ status: CachedModelStatus; hashed?: FileIdentity }> {
  const file = path.join(cacheDir, model.file);
  const check = await verifyFile(file, modelExpectation(model));
  if (check.status === 'ok') return { status: { state: 'ready', path: file, bytes: check.bytes }, hashed: check.identity };
  if (check.status !== 'missing') return { status: { state: 'corrupt', path: file, reason: check.reason } };
  const partial = await sizeOf(partPath(file));
  return { status: partial === null ? { state: 'missing', path: file } : { state: 'partial', path: file, bytes: partial, total: model.bytes } };
}

export type ModelDownloadOptions = Omit<DownloadOptions, 'url' | 'dest' | 'expected' | 'label'> & {
  cacheDir: string;
  /** Another source for the same file (a mirror); it is verified against the catalog all the same. */
  url?: string;
  /** What the model is, for messages (default "whisper model"). */
  kind?: string;
};

/**
 * The state of a catalog model in a cache folder, sparing the hash when Earshot's signed mark says the file is the one
 * it verified (notes and speaker models: large files, read at each session or listing); a file found good is marked
 * (writeVerifiedMark says when not).
 */
export async function markedModelStatus(model: CachedModelSpec, cacheDir: string): Promise<CachedModelStatus> {
  const file = path.join(cacheDir, model.file);
  const stat = await fs.stat(file).catch(() => undefined);
  if (stat?.isFile() && stat.size === model.bytes && await hasVerifiedMark(file, model.sha256, stat)) return { state: 'ready', path: file, bytes: stat.size };
  const { status, hashed } = await checkCachedModel(model, cacheDir);
  if (hashed) await writeVerifiedMark(file, model.sha256, hashed);
  return status;
}

/**
 * Downloads a catalog model (a whisper id, or any catalog's entry) into the cache folder, verified against its size and
 * sha256, and marks it verified: the file the download wrote and hashed, as it was installed (installPart).
 */
export async function downloadModel(model: CachedModelSpec | string, options: ModelDownloadOptions): Promise<DownloadResult> {
  const entry = typeof model === 'string' ? getCatalogModel(model) : model;
  const { cacheDir, url, kind, ...rest } = options;
  const result = await downloadFile({
    ...rest,
    url: url ?? entry.url,
    dest: path.join(cacheDir, entry.file),
    expected: { bytes: entry.bytes, sha256: entry.sha256 },
    label: `${kind ?? 'whisper model'} ${entry.id}`,
  });
  await writeVerifiedMark(result.path, entry.sha256, result.identity);
  return result;
}
