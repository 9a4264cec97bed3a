/**
 * "Delete All Data" ({@link DataDelete}): the one place that knows what the daemon keeps in its storage folder and
 * deletes it.
 *
 *   <storageDir>/sessions/      session journals (<id>.jsonl) and the daemon's per-session caches (the meaning model's
 *                               vectors, <id>.meaning.bin, among them): all deleted
 *   <storageDir>/debug-audio/   the opt-in debug dump (earshot.debug.saveAudio): all deleted
 *   <model cache>/              catalog models (whisper's, notes models in notes/, voice models in speakers/, meaning models in memory/), `.part` downloads, `.verified.json`
 *                               marks: deleted with includeModels,
 *                               and only when the cache lies inside the storage folder; nothing else in it is touched
 *   notes                       the user's documents: never deleted here (also when they live in the storage folder)
 *
 * Storage is shared by every VS Code window (a daemon each): a session another live daemon holds (its `<id>.lock`,
 * journal/lock.ts) is kept whole, journal, caches and debug audio, and reported.
 *
 * Nothing outside the storage folder is deleted. Symbolic links are never followed: a link is removed as a link (its
 * target, wherever it points, stays) and reported; the storage folder itself may be a link (it is resolved once, as
 * the root). Every path deleted is checked to lie under that root.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DataDeleteCount, DataDeleteResult } from '../../protocol/protocol';
import { CATALOG } from '../models/whisperCatalog';
import { notesCatalog } from '../models/notesCatalog';
import { notesCacheDir, notesStateDir } from '../models/notesModels';
import { memoryCatalog, memoryModelCacheDir } from '../models/memoryModel';
import { speakerCacheDir, speakerCatalog } from '../models/voiceModel';
import { DEBUG_AUDIO_DIR } from '../capture/debugAudio';
import { JOURNAL_FILE } from '../journal/journal';
import { liveLockOwner } from '../journal/lock';

export interface DeleteDataOptions {
  storageDir: string;
  /** Delete catalog models too (only from a cache folder inside the storage folder). */
  includeModels: boolean;
  /** The model cache folder in use (default `<storageDir>/models`). */
  modelCacheDir?: string;
}


const zero = (): DataDeleteCount => ({ files: 0, bytes: 0 });

export async function deleteAllData(options: DeleteDataOptions): Promise<DataDeleteResult> {
  const result: DataDeleteResult = {
    storageDir: options.storageDir, journals: zero(), sessionCaches: zero(), debugAudio: zero(), models: zero(), bytes: 0, linksNotFollowed: [], kept: [],
  };
  let root: string;
  try {
    root = await fs.realpath(options.storageDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return result; // nothing was ever stored
    throw e;
  }
  const remover = new Remover(root, result);
  const sessions = path.join(root, 'sessions');
  const busy = await sessionsOfOtherDaemons(sessions);
  const held = (name: string) => [...busy.keys()].some((id) => name.startsWith(id));
  for (const [id, pid] of busy) result.kept.push({ path: path.join(sessions, `${id}.jsonl`), reason: `session ${id} is open in another Earshot window (daemon pid ${pid}): kept` });

  // Session journals and per-session caches: everything in sessions/, the folder itself kept.
  await remover.emptyFolder(sessions, (name) => (JOURNAL_FILE.test(name) ? result.journals : result.sessionCaches), held);
  await remover.emptyFolder(path.join(root, DEBUG_AUDIO_DIR), () => result.debugAudio, held);

  if (options.includeModels) {
    const cacheDir = path.resolve(options.modelCacheDir ?? path.join(options.storageDir, 'models'));
    const realCache = await fs.realpath(cacheDir).catch(() => undefined);
    if (realCache === undefined) {
      // No cache folder: nothing downloaded.
    } else if (!isInside(root, realCache)) {
      result.kept.push({ path: cacheDir, reason: 'the model cache folder is outside Earshot\'s storage folder: its models were kept (delete them there yourself)' });
    } else {
      // Only what the catalog downloads: an own model file put in the cache folder stays.
      const downloaded = [
        ...CATALOG.map((m) => path.join(realCache, m.file)), ...notesCatalog().map((m) => path.join(notesCacheDir(realCache), m.file)),
        ...speakerCatalog().map((m) => path.join(speakerCacheDir(realCache), m.file)),
        ...memoryCatalog().map((m) => path.join(memoryModelCacheDir(realCache), m.file)),
      ];
      for (const file of downloaded) {
        for (const name of [file, `${file}.part`, `${file}.verified.json`]) await remover.remove(name, result.models, { missingOk: true });
      }
      // The system prompts the notes models read, kept per model (systemPromptState.ts): nothing of a meeting.
      await remover.emptyFolder(notesStateDir(realCache), () => result.models);
    }
  }
  result.bytes = result.journals.bytes + result.sessionCaches.bytes + result.debugAudio.bytes + result.models.bytes;
  return result;
}

/** Sessions whose lock another live daemon holds (another window records or finalizes them): id → pid. */
async function sessionsOfOtherDaemons(sessions: string): Promise<Map<string, number>> {
  const busy = new Map<string, number>();
  let names: string[];
  try {
    if (!(await fs.lstat(sessions)).isDirectory()) return busy;
    names = await fs.readdir(sessions);
  } catch {
    return busy;
  }
  for (const name of names) {
    if (!name.endsWith('.lock')) continue;
    const id = name.slice(0, -'.lock'.length);
    const owner = await liveLockOwner(path.join(sessions, `${id}.jsonl`)).catch(() => undefined);
    if (owner && owner.pid !== process.pid) busy.set(id, owner.pid);
  }
  return busy;
}

/** Whether `child` is `parent` or lies under it (both absolute, resolved). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

class Remover {
  constructor(private readonly root: string, private readonly result: DataDeleteResult) {}

  /** Deletes what is in `folder` (never following links), counting each entry where `counter(name)` says. */
  async emptyFolder(folder: string, counter: (name: string) => DataDeleteCount, keep: (name: string) => boolean = () => false): Promise<void> {
    let stat;
    try {
      stat = await fs.lstat(folder);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    if (stat.isSymbolicLink()) {
      // The folder itself points elsewhere: remove the link (the daemon makes a real folder next time).
      await this.remove(folder, counter(''));
      return;
    }
    if (!stat.isDirectory()) return;
    for (const name of (await fs.readdir(folder)).sort()) {
      if (!keep(name)) await this.remove(path.join(folder, name), counter(name));
    }
  }

  /** Deletes `target` (a file, a link as a link, or a folder and what is in it), adding to `count`. */
  async remove(target: string, count: DataDeleteCount, options: { missingOk?: boolean } = {}): Promise<void> {
    if (!isInside(this.root, target) || target === this.root) {
      this.result.kept.push({ path: target, reason: 'outside Earshot\'s storage folder' });
      return;
    }
    let stat;
    try {
      stat = await fs.lstat(target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && options.missingOk !== false) return;
      this.result.kept.push({ path: target, reason: (e as Error).message });
      return;
    }
    try {
      if (stat.isSymbolicLink()) {
        const linkTarget = await fs.readlink(target).catch(() => '?');
        await fs.unlink(target);
        this.result.linksNotFollowed.push({ path: target, target: linkTarget });
        count.files++;
      } else if (stat.isDirectory()) {
        for (const name of await fs.readdir(target)) await this.remove(path.join(target, name), count);
        await fs.rmdir(target);
      } else {
        await fs.unlink(target);
        count.files++;
        count.bytes += stat.size;
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.result.kept.push({ path: target, reason: (e as Error).message });
    }
  }
}
