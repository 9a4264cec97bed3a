/**
 * Memory over a storage folder: keeps a {@link MemoryIndex} in step with the session journals in `<storageDir>/sessions`
 * (and their notes files, for line numbers). Before each use it looks at the journals' sizes and times: a new or grown
 * journal (segments journaled, an item ticked) is read again, a missing one (Delete All Data, retention) is dropped.
 * So the index is built lazily from the journals at first use and after a crash, and never holds what storage lost.
 *
 * Reads journals and notes files, never writes them. Logs no query or transcript text (session ids only, at debug).
 */
import { promises as fs, Stats } from 'node:fs';
import * as path from 'node:path';
import { JOURNAL_FILE, JournalContents, readJournal } from '../journal/journal';
import { meetingRecordOf } from './meetingRecord';
import { DEFAULT_RANKING, MemoryIndex, RankingOptions } from './memoryIndex';


/** How a pass reads a journal and a notes file (the defaults read the disk). */
export interface StorageReads {
  journal?: (file: string) => Promise<JournalContents>;
  notes?: (file: string) => Promise<string>;
}

const readText = (file: string) => fs.readFile(file, 'utf8');

interface Seen {
  journal: string;
  notesPath: string;
  notes: string;
}

export class StoredMemory {
  readonly index: MemoryIndex;
  private readonly seen = new Map<string, Seen>();
  private syncing: Promise<void> | undefined;
  /** Counts drop()s: a pass started before one may have read what was deleted since, and must not put it back. */
  private generation = 0;

  /** `skipped`: a journal that could not be read (its id and error code; never its words). `reads`: tests interleave writes with them. */
  constructor(
    private readonly storageDir: string, ranking: RankingOptions = DEFAULT_RANKING,
    private readonly skipped?: (sessionId: string, error: string) => void,
    private readonly reads: StorageReads = {},
  ) {
    this.index = new MemoryIndex(ranking);
  }

  /** Brings the index up to date with storage (calls made meanwhile wait for the running pass, then run one more). */
  async sync(): Promise<MemoryIndex> {
    for (;;) {
      while (this.syncing) await this.syncing;
      const generation = this.generation;
      this.syncing = this.pass(generation).finally(() => { this.syncing = undefined; });
      await this.syncing;
      // Delete All Data during the pass: it stopped, so read storage again (the answer holds nothing deleted).
      if (generation === this.generation) return this.index;
    }
  }

  /** Forgets everything (Delete All Data): the next sync reads what storage still holds. */
  drop(): void {
    this.generation++;
    this.index.clear();
    this.seen.clear();
  }

  private async pass(generation: number): Promise<void> {
    const dropped = () => generation !== this.generation;
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
      const journalStat = await fs.stat(file).catch(() => undefined);
      if (!journalStat) continue;
      const journalStamp = stampOf(journalStat);
      const before = this.seen.get(sessionId);
      if (before && before.journal === journalStamp && before.notes === (await notesStamp(before.notesPath))) continue;
      try {
        const journal = await (this.reads.journal ?? readJournal)(file);
        const notesPath = typeof journal.header.notesPath === 'string' ? journal.header.notesPath : '';
        // The stamp before the words: a rewrite landing between the two is read again next time, never taken as seen.
        const notesSeen = await notesStamp(notesPath);
        const notes = notesPath ? await (this.reads.notes ?? readText)(notesPath).catch(() => undefined) : undefined;
        if (dropped()) return;
        // A header without a start time: the journal's last write stands in for it.
        this.index.put(meetingRecordOf(journal, notes, journalStat.mtime.toISOString()));
        this.seen.set(sessionId, { journal: journalStamp, notesPath, notes: notesSeen });
      } catch (e) {
        if (dropped()) return;
        // An unreadable journal is left out (and tried again next time); its words are never logged.
        this.skipped?.(sessionId, (e as NodeJS.ErrnoException).code ?? 'unreadable');
        this.index.remove(sessionId);
        this.seen.delete(sessionId);
      }
    }
    if (dropped()) return;
    for (const sessionId of this.index.sessionIds()) {
      if (!present.has(sessionId)) {
        this.index.remove(sessionId);
        this.seen.delete(sessionId);
      }
    }
  }
}

/** Size and modification time of the notes file; '' when there is none. */
async function notesStamp(notesPath: string): Promise<string> {
  const s = notesPath ? await fs.stat(notesPath).catch(() => undefined) : undefined;
  return s ? stampOf(s) : '';
}

function stampOf(s: Stats): string {
  return `${s.size}:${s.mtimeMs}`;
}
