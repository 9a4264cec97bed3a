/**
 * A download's `.part` file in a cache folder that someone else may be able to write (a shared cacheDir): opened without
 * following a symlink planted at its name, created only fresh, resumed only when it is this user's own regular file,
 * and installed under the final name with its identity carried through the rename (security review 2, S1 and S2).
 *
 * Owns how the part is opened and renamed. Must not fetch, hash or decide when to resume (download.ts does).
 */
import { constants, promises as fs, Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { renameOver } from '../../protocol/renameOver';
import { FileIdentity, identityOf, othersMayWrite, sameIdentity } from './fileCheck';

/**
 * Not defined on Windows (fs.constants has no O_NOFOLLOW there; libuv's fs__open, src/win/fs.c, opens with CreateFileW
 * and no FILE_FLAG_OPEN_REPARSE_POINT, so it follows a link): there the name's lstat after the open, compared with the
 * open file's fstat, catches a part that is a link (checked).
 */
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** The part's (or the final) name holds another file than the one the download opened and verified. */
export class PartFileError extends Error {
  override name = 'PartFileError';
}

/**
 * The size of the part a download may resume, or 0 when there is none to resume. A part that is a symlink, or a file
 * someone else may write (its bytes could change after they were hashed), is removed: the download starts afresh.
 * Removing a symlink removes the link, not what it names. A folder is left for the fresh part's open to report.
 */
export async function keptPart(part: string): Promise<number> {
  const stat = await fs.lstat(part).catch((e: NodeJS.ErrnoException) => { if (e.code === 'ENOENT') return undefined; throw e; });
  if (!stat) return 0;
  if (stat.isFile() && !othersMayWrite(stat)) return stat.size;
  if (!stat.isDirectory()) await fs.rm(part, { force: true });
  return 0;
}

/**
 * A new part, created (never an existing file or link taken over: O_EXCL fails on a symlink, POSIX open(2)) with a
 * mode nobody else may write, whatever the umask allows.
 */
export async function openFreshPart(part: string): Promise<FileHandle> {
  await fs.rm(part, { force: true });
  const handle = await fs.open(part, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | NOFOLLOW, 0o644);
  return checked(handle, part, () => true);
}

/**
 * The kept part, opened to read its first bytes and append the rest; refused (PartFileError) when it is not the
 * regular file of `bytes` bytes, this user's own, that keptPart measured.
 */
export async function openKeptPart(part: string, bytes: number): Promise<FileHandle> {
  const handle = await fs.open(part, constants.O_RDWR | constants.O_APPEND | NOFOLLOW);
  return checked(handle, part, (opened) => opened.size === bytes && !othersMayWrite(opened));
}

/**
 * `handle`, when `part` names the very file it has open, as a regular file (not a link: where open follows one, on
 * Windows, the name's lstat is the link's or another file's, not the open file's) and `fits` it; else it is closed and
 * a PartFileError thrown.
 */
async function checked(handle: FileHandle, part: string, fits: (opened: Stats) => boolean): Promise<FileHandle> {
  try {
    const opened = await handle.stat();
    const named = await fs.lstat(part).catch(() => undefined);
    if (!named?.isFile() || named.dev !== opened.dev || named.ino !== opened.ino || !fits(opened)) {
      throw new PartFileError(`${part} is not the file the download opened, or it changed`);
    }
    return handle;
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/**
 * Renames the part, still open, over `dest` (renameOver: waits out a scanner's hold on Windows; libuv opens every file
 * with FILE_SHARE_DELETE, src/win/fs.c fs__open, so the open part can be renamed there) and returns the identity `dest`
 * has now, which is the open file's: nobody wrote it since it was verified, and the name holds it. Otherwise what the
 * name holds was not verified: it is removed (the final name never holds an unverified file) and a PartFileError
 * thrown. A rename sets the change time, so that is read after it.
 */
export async function installPart(handle: FileHandle, part: string, dest: string): Promise<FileIdentity> {
  const written = identityOf(await handle.stat());
  await renameOver(part, dest);
  // An open file's device cannot change; under Wine 8.0 an fstat after the rename reports device 0 (measured).
  const installed = { ...identityOf(await handle.stat()), dev: written.dev };
  const named = await fs.stat(dest).then(identityOf, () => undefined);
  if (!sameIdentity({ ...written, ctimeMs: installed.ctimeMs }, installed) || !named || !sameIdentity(installed, named)) {
    await fs.rm(dest, { force: true });
    throw new PartFileError(`${dest} changed or was replaced while it was being installed`);
  }
  return installed;
}
