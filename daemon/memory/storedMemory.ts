/**
 * Memory over a storage folder: keeps a {@link MemoryIndex} in step with the session journals in `<storageDir>/sessions`
 * (and their notes files, for line numbers). Before each use it looks at the journals' sizes and times: a new or grown
 * journal (segments journaled, an item ticked) is read again, a missing one (Delete All Data, retention) is dropped.
 * So the index is built lazily from the journals at first use and after a crash, and never holds what storage lost.
 *
 * Reads journals and notes files, never writes them. Logs no query or transcript text (session ids only, at debug).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { JOURNAL_FILE, readJournal } from '../journal/journal';
import { meetingRecordOf } from './meetingRecord';
import { DEFAULT_RANKING, MemoryIndex, RankingOptions } from './memoryIndex';


interface Seen {
  journal: string;
  notesPath: string;
  notes: string;
}

export class StoredMemory {
  readonly index: MemoryIndex;
  private readonly seen = new Map<string, Seen>();
  private syncing: Promise<void> | undefined;

  /** `skipped`: a journal that could not be read (its id and error code; never its words). */
  constructor(
    private readonly storageDir: string, ranking: RankingOptions = DEFAULT_RANKING,
    private readonly skipped?: (sessionId: string, error: string) => void,
  ) {
    this.index = new MemoryIndex(ranking);
  }

  /** Brings the index up to date with storage (calls made meanwhile share one pass, then run one more). */
  async sync(): Promise<MemoryIndex> {
    while (this.syncing) await this.syncing;
    this.syncing = this.pass().finally(() => { this.syncing = undefined; });
    await this.syncing;
    return this.index;
  }

  /** Forgets everything (Delete All Data): the next sync reads what storage still holds. */
  drop(): void {
    this.index.clear();
    this.seen.clear();
  }

  private async pass(): Promise<void> {
    const folder = path.join(this.storageDir, 'sessions');
    const names = await fs.readdir(folder).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [] as string[];
      throw e;
    });
    const present = new Set<string>();
    for (const name of names) {
      const sessionId = JOURNAL_FILE.exec(name)?.[1];
      if (!sessionId) continue;
      present.add(sessionId);
      const file = path.join(folder, name);
      const journalStat = await stamp(file);
      if (!journalStat) continue;
      const before = this.seen.get(sessionId);
      if (before && before.journal === journalStat && before.notes === (await notesStamp(before.notesPath))) continue;
      try {
        const journal = await readJournal(file);
        const notes = journal.header.notesPath ? await fs.readFile(journal.header.notesPath, 'utf8').catch(() => undefined) : undefined;
        this.index.put(meetingRecordOf(journal, notes));
        const notesPath = journal.header.notesPath ?? '';
        this.seen.set(sessionId, { journal: journalStat, notesPath, notes: await notesStamp(notesPath) });
      } catch (e) {
        // An unreadable journal is left out (and tried again next time); its words are never logged.
        this.skipped?.(sessionId, (e as NodeJS.ErrnoException).code ?? 'unreadable');
        this.index.remove(sessionId);
        this.seen.delete(sessionId);
      }
    }
    for (const sessionId of this.index.sessionIds()) {
      if (!present.has(sessionId)) {
        this.index.remove(sessionId);
        this.seen.delete(sessionId);
      }
    }
  }
}

async function notesStamp(notesPath: string): Promise<string> {
  return notesPath ? (await stamp(notesPath)) ?? '' : '';
}

/** Size and modification time of a file; undefined when there is none. */
async function stamp(file: string): Promise<string | undefined> {
  try {
    const s = await fs.stat(file);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return undefined;
  }
}
