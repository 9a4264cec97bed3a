/**
 * The session journal: one JSON object per line, appended and flushed to disk before anyone is told
 * about what it records. Everything else (notes file, stop result, a restarted daemon) is derived
 * from it. A torn last line (power loss mid-write) is ignored on reading; all lines before it count.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ActionItem, AutoStopParams, Decision, EnhancementProvider, FilePace, FinalSegment, LiveSourceKind, NotesTemplate, SessionMode, SourceKind } from '../../protocol/protocol';

/** A session journal's file name, `<session id>.jsonl` (the id: start time and 6 hex digits); group 1 is the id. */
export const JOURNAL_FILE = /^(\d{8}T\d{6}-[0-9a-f]{6})\.jsonl$/;

export const JOURNAL_VERSION = 1;

export type JournalRecord =
  | {
      type: 'session';
      version: number;
      sessionId: string;
      title: string;
      /** ISO time of capture-clock zero. */
      startedAt: string;
      sources: SourceKind[];
      language: string;
      notesPath: string;
      audioFile?: string;
      /** What a resume needs to reopen the same sources (absent in journals written before resuming existed). */
      mode?: SessionMode;
      pace?: FilePace;
      devices?: Partial<Record<LiveSourceKind, string>>;
      speakers?: Partial<Record<LiveSourceKind, string>>;
      /** Speakers within a source were told apart (absent: journals before it, or off). */
      identifySpeakers?: boolean;
      /**
       * The notes template the meeting uses, whole (a later edit of its file changes nothing of this meeting: a resume
       * and the settle at stop use this copy); absent: the standard notes.
       */
      template?: JournaledTemplate;
      /** The call the meeting was started for (auto-stop): a resume watches it again, unless an autoStop record cancelled it. */
      autoStop?: AutoStopParams;
    }
  /**
   * The workspace folder that the paths of the segments after it (mentions, viewing) are relative to: written before
   * the first segment that has one, and again if it changes.
   */
  | { type: 'workspace'; root: string }
  | ({ type: 'segment' } & FinalSegment)
  /**
   * Finals of one source whose speaker changed after they were journaled (speakers/labels.ts): `heard`, the speaker stage
   * heard their audio after the final went out; `reidentified`, a voice turned out to be an earlier one's, or the
   * microphone's main voice changed; `renamed`, the user named `voice` (`name` null: its own label again). Each change
   * holds for its segment from here on; segmentsOf applies them.
   */
  | SpeakersRecord
  /** An item's revisions, highest last; a user's "done" (earshot/actionItem/setDone) is a revision too, even after the end record. */
  | ({ type: 'actionItem' } & Omit<ActionItem, 'sessionId'>)
  | ({ type: 'decision' } & Omit<Decision, 'sessionId'>)
  /**
   * The opt-in refinement at stop (written only when it succeeded): the model's summary bullets and the ids of the
   * item and decision revisions it wrote (journaled just before it, marked refinedBy).
   */
  | {
      type: 'refinement';
      at: string;
      provider: Exclude<EnhancementProvider, 'off'>;
      model: string;
      summary: string[];
      actionItemIds: string[];
      decisionIds: string[];
      /**
       * The language-model extraction over the whole meeting (modelExtract.ts): the rule-based items it dismissed
       * (their `removed` revisions are journaled just before), and how the run went (chunks, chunks given up,
       * estimated tokens, and whether it ran to the end, was cancelled or ran out of budget). Absent on older records.
       */
      dismissedIds?: string[];
      chunks?: number;
      failedChunks?: number;
      tokens?: number;
      state?: 'done' | 'cancelled' | 'budget';
    }
  /**
   * The language model's rolling summary (understanding/modelSummary.ts), revised after each chunk of the meeting it
   * read (`chunks`: how many, from the first); the last one is the notes' Summary. `by`: the model that wrote it.
   * `settled`, at stop only (absent on a revision while the meeting runs): true, the summary settled over the last
   * rolling one and the final decisions and action items (modelSummary.ts's settleSummary); false, it could not be
   * (`unsettled`: why, in fixed words, never model text) and `points` are the last rolling summary's, unchanged.
   */
  | {
      type: 'summary';
      at: string;
      provider: Exclude<EnhancementProvider, 'off'>;
      by: string;
      chunks: number;
      points: { text: string; segmentIds: string[] }[];
      settled?: boolean;
      unsettled?: string;
    }
  /**
   * With the settle of v10 (understanding/summaryFromParts.ts): the notes the language model took on one part of the
   * meeting (`chunk`, 0-based; `t0`..`t1` its lines' starts), which the summary at stop is composed from. `by`: the model.
   */
  | { type: 'partNotes'; at: string; by: string; chunk: number; t0: number; t1: number; points: { text: string; segmentIds: string[] }[] }
  /**
   * The session was resumed by a new daemon after its daemon died (killed, crashed, power loss). `fromSec`: the end of
   * the last segment finalized before the interruption; `atSec`: the capture clock when capture resumed. Live sources
   * heard nothing in between (a gap: speech not yet final when the daemon died is lost); a file source is processed
   * again from `fromSec`, so nothing of it is missing.
   */
  | { type: 'resume'; at: string; fromSec: number; atSec: number }
  /** The user cancelled the session's auto-stop: a resume does not watch the call again. */
  | { type: 'autoStop'; state: 'cancelled'; at: string }
  /**
   * The language model's text for the notes template's 'model' sections, written at stop by each section's instructions
   * (understanding/templateSections.ts): per section heading, points citing the lines they come from. `by`: the model.
   */
  | { type: 'templateSections'; at: string; by: string; sections: { heading: string; points: { text: string; segmentIds: string[] }[] }[] }
  /**
   * capturedSec: audio seconds the sources delivered (the meeting's length, whatever the pace). reason 'interrupted':
   * written by a later daemon for a session whose daemon died and that nobody resumed (absent: stopped normally).
   */
  | { type: 'end'; stoppedAt: string; capturedSec: number; error?: string; reason?: 'interrupted' };

export type SessionHeader = Extract<JournalRecord, { type: 'session' }>;

/** A meeting's notes template as its journal keeps it: what the notes and the prompts follow, and who chose it. */
export type JournaledTemplate = Pick<NotesTemplate, 'id' | 'name' | 'source' | 'language' | 'instructions' | 'sections'> & { chosenBy: 'user' | 'title' };

/** `confidence`: the voice's, as TranscriptSegment.speakerConfidence (with a voice only). */
export interface SpeakerChange { segmentId: string; speaker: string; voice?: string; confidence?: number }
export interface SpeakersRecord {
  type: 'speakers';
  source: SourceKind;
  cause: 'heard' | 'reidentified' | 'renamed';
  changes: SpeakerChange[];
  /** cause 'renamed': the voice named, and its name (null: back to its own label). */
  voice?: string;
  name?: string | null;
}

/** A journal write failed (disk full, I/O error): the journal keeps every record before it and takes no more. */
export class JournalWriteError extends Error {
  override name = 'JournalWriteError';
  readonly code: string | undefined;
  constructor(readonly path: string, cause: Error) {
    super(`Cannot write the session journal ${path}: ${cause.message}`);
    this.code = (cause as NodeJS.ErrnoException).code;
  }
}

export class Journal {
  private writing: Promise<void> = Promise.resolve();
  /** Bytes of whole records on disk (read once at the first append); the first failed write, after which none is tried. */
  private size: number | undefined;
  private failure: JournalWriteError | undefined;

  private constructor(readonly path: string, private readonly handle: fs.FileHandle) {}

  /** Creates the journal and durably writes its header. Refuses to overwrite an existing journal. */
  static async create(file: string, header: Omit<SessionHeader, 'type' | 'version'>): Promise<Journal> {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const handle = await fs.open(file, 'wx', 0o600); // transcripts are private
    const journal = new Journal(file, handle);
    try {
      await journal.append({ type: 'session', version: JOURNAL_VERSION, ...header });
    } catch (e) {
      // No half-written journal without a header is left behind (a disk that is full from the start).
      await handle.close().catch(() => undefined);
      await fs.rm(file, { force: true }).catch(() => undefined);
      throw e;
    }
    return journal;
  }

  /**
   * Appends one record and waits until it is on disk. Appends are written in call order. A failed write (disk full)
   * rejects with {@link JournalWriteError}: the part of the line that reached the file is cut off again, so the journal
   * holds whole records only, and every later append rejects with the same error (nothing is written after a gap).
   */
  append(record: JournalRecord): Promise<void> {
    return this.appendAll([record]);
  }

  /**
   * Appends records in one write and waits until they are on disk: a process killed in between leaves all or none of
   * them (a final cut in pieces is never resumed half journaled). Otherwise as {@link append}.
   */
  appendAll(records: readonly JournalRecord[]): Promise<void> {
    const line = records.map((record) => JSON.stringify(record) + '\n').join('');
    const write = async () => {
      if (this.failure) throw this.failure;
      try {
        this.size ??= (await this.handle.stat()).size;
        await this.handle.appendFile(line, 'utf8');
        await this.handle.datasync();
        this.size += Buffer.byteLength(line, 'utf8');
      } catch (e) {
        this.failure = new JournalWriteError(this.path, e as Error);
        if (this.size !== undefined) await this.handle.truncate(this.size).catch(() => undefined);
        throw this.failure;
      }
    };
    const done = this.writing.then(write);
    this.writing = done.catch(() => undefined);
    return done;
  }

  /**
   * Reopens an existing journal to append to it (a finished session's item marked done, an interrupted session resumed
   * or finalized). A torn last line is cut off first: appended after it, it would become a corrupt line in the middle
   * and the journal unreadable. Callers serialize their own appends to one file (a session's lock, see lock.ts).
   */
  static async reopen(file: string): Promise<Journal> {
    const handle = await fs.open(file, 'r+');
    try {
      const { size } = await handle.stat();
      const keep = await endOfLastLine(handle, size);
      if (keep < size) {
        // A last record that is whole but lost its newline counts (readJournal keeps it): end it instead of cutting it.
        const tail = Buffer.alloc(size - keep);
        await handle.read(tail, 0, tail.length, keep);
        if (isRecord(tail.toString('utf8'))) await handle.write('\n', size, 'utf8');
        else await handle.truncate(keep);
        await handle.datasync();
      }
    } finally {
      await handle.close();
    }
    return new Journal(file, await fs.open(file, 'a'));
  }

  /** The write that failed, if one did: the journal takes no more records. */
  get failed(): JournalWriteError | undefined {
    return this.failure;
  }

  /** Resolves once every append called so far is on disk (or failed). */
  flushed(): Promise<void> {
    return this.writing;
  }

  async close(): Promise<void> {
    await this.writing;
    await this.handle.close();
  }
}

function isRecord(line: string): boolean {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null;
  } catch {
    return false;
  }
}

/** The length of the file up to and including its last newline (0 when it has none). */
async function endOfLastLine(handle: fs.FileHandle, size: number): Promise<number> {
  const chunk = Buffer.alloc(4096);
  for (let end = size; end > 0;) {
    const start = Math.max(0, end - chunk.length);
    const { bytesRead } = await handle.read(chunk, 0, end - start, start);
    const nl = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (nl >= 0) return start + nl + 1;
    end = start;
  }
  return 0;
}

export interface JournalContents {
  header: SessionHeader;
  records: JournalRecord[];
  /** A last line that was cut off mid-write and skipped. */
  tornTail: boolean;
}

export async function readJournal(file: string): Promise<JournalContents> {
  return parseJournal(await fs.readFile(file, 'utf8'), file);
}

/** A journal's text (read from `file`, named in the errors) as its records. */
export function parseJournal(text: string, file: string): JournalContents {
  const lines = text.split('\n');
  const records: JournalRecord[] = [];
  let tornTail = false;
  lines.forEach((line, i) => {
    if (!line) return;
    try {
      records.push(JSON.parse(line) as JournalRecord);
    } catch (e) {
      // Only the last line can be torn; garbage in the middle means the file is not a journal.
      if (i !== lines.length - 1) throw new Error(`journal ${file} line ${i + 1} is corrupt: ${(e as Error).message}`);
      tornTail = true;
    }
  });
  const header = records[0];
  if (!header || header.type !== 'session') throw new Error(`journal ${file} has no session header`);
  return { header, records, tornTail };
}

export type SummaryRecord = Extract<JournalRecord, { type: 'summary' }>;

/** The last rolling-summary record (the notes' Summary), undefined when there is none. */
export const lastSummary = (records: readonly JournalRecord[]): SummaryRecord | undefined =>
  records.filter((r): r is SummaryRecord => r.type === 'summary').pop();

/**
 * Where the journaled rolling summary stands (its points, the chunks it read), to roll on from: none yet, nothing read;
 * `earlier`, the points of each revision before it (the settle brings back what they dropped for room).
 */
export function summarySoFarOf(records: readonly JournalRecord[]): {
  points: SummaryRecord['points']; chunks: number; earlier: SummaryRecord['points'][]; parts?: { chunk: number; t0: number; t1: number; points: SummaryRecord['points'] }[];
} {
  const revisions = records.filter((r): r is SummaryRecord => r.type === 'summary');
  const last = revisions.at(-1);
  // The notes on each part (the settle of v10), one per chunk, the last journaled, in meeting order.
  const parts = partNotesOf(records).map((r) => ({ chunk: r.chunk, t0: r.t0, t1: r.t1, points: r.points }));
  return {
    points: last?.points ?? [], chunks: last?.chunks ?? 0, earlier: revisions.slice(0, -1).map((r) => r.points).filter((points) => points.length > 0),
    ...(parts.length ? { parts } : {}),
  };
}

export type PartNotesRecord = Extract<JournalRecord, { type: 'partNotes' }>;

/** Each chunk's last journaled `partNotes` record. */
const latestPartNotes = (records: readonly JournalRecord[]): Map<number, PartNotesRecord> =>
  new Map(records.filter((r): r is PartNotesRecord => r.type === 'partNotes').map((r) => [r.chunk, r]));

/** The notes taken on each part of the meeting: each chunk's last journaled record, in meeting order. */
export const partNotesOf = (records: readonly JournalRecord[]): PartNotesRecord[] =>
  [...latestPartNotes(records).values()].sort((a, b) => a.chunk - b.chunk);

/**
 * A voice renamed: each chunk's journaled part notes whose points `rename` changes, as new records to journal (the last
 * of a chunk is the one a resumed session reads); none where no point names the voice.
 */
export function partNotesRenamed(records: readonly JournalRecord[], rename: (text: string) => string): PartNotesRecord[] {
  const revised: PartNotesRecord[] = [];
  for (const r of latestPartNotes(records).values()) {
    const points = r.points.map((p) => ({ ...p, text: rename(p.text) }));
    if (points.some((p, i) => p.text !== r.points[i].text)) revised.push({ ...r, at: new Date().toISOString(), points });
  }
  return revised;
}

/** A part's notes' record (the settle of v10): `by`, the model that wrote them (the run's when the answer named none). */
export const partNotesRecord = (run: { model: string }, by: string | undefined, part: { chunk: number; t0: number; t1: number; points: SummaryRecord['points'] }): PartNotesRecord =>
  ({ type: 'partNotes', at: new Date().toISOString(), by: by ?? run.model, chunk: part.chunk, t0: part.t0, t1: part.t1, points: part.points });

/**
 * A rolling summary's record: `run`, the extraction run it belongs to (its model writes `by` when the answer named none);
 * `settle`, at stop: whether it settled (and why not).
 */
export const summaryRecord = (run: { provider: SummaryRecord['provider']; model: string }, by: string | undefined,
  summary: { chunks: number; points: SummaryRecord['points'] }, settle?: { settled: true } | { settled: false; unsettled: string }): SummaryRecord =>
  ({ type: 'summary', at: new Date().toISOString(), provider: run.provider, by: by ?? run.model, chunks: summary.chunks, points: summary.points, ...settle });

export type ActionItemRecord = Extract<JournalRecord, { type: 'actionItem' }>;
export type DecisionRecord = Extract<JournalRecord, { type: 'decision' }>;

/** The highest revision of each id (withdrawn ones included): items are refined in place, never duplicated. */
export function latestById<T extends { id: string; revision: number }>(records: T[]): Map<string, T> {
  const byId = new Map<string, T>();
  for (const r of records) if ((byId.get(r.id)?.revision ?? -Infinity) < r.revision) byId.set(r.id, r);
  return byId;
}

/** The action items and decisions as they stand: the latest revision of each, withdrawn ones left out, in meeting order. */
export function currentItems(records: JournalRecord[]): { actionItems: ActionItemRecord[]; decisions: DecisionRecord[] } {
  const current = <T extends { id: string; revision: number; removed?: boolean; t0: number }>(list: T[]) =>
    [...latestById(list).values()].filter((r) => !r.removed).sort((a, b) => a.t0 - b.t0);
  return {
    actionItems: current(records.filter((r): r is ActionItemRecord => r.type === 'actionItem')),
    decisions: current(records.filter((r): r is DecisionRecord => r.type === 'decision')),
  };
}

/** Final segments in capture-time order (sources are merged here), each with its speaker as the latest change says. */
export function segmentsOf(records: JournalRecord[]): FinalSegment[] {
  const segments: FinalSegment[] = [];
  const byId = new Map<string, number[]>();
  for (const r of records) {
    if (r.type === 'segment') {
      const { type: _type, ...segment } = r;
      byId.set(segment.segmentId, [...(byId.get(segment.segmentId) ?? []), segments.push(segment) - 1]);
    } else if (r.type === 'speakers') {
      for (const c of r.changes) {
        for (const i of byId.get(c.segmentId) ?? []) {
          const { voice: _v, speakerConfidence: _c, ...rest } = segments[i];
          segments[i] = { ...rest, speaker: c.speaker, ...(c.voice !== undefined ? { voice: c.voice, ...(c.confidence !== undefined ? { speakerConfidence: c.confidence } : {}) } : {}) };
        }
      }
    }
  }
  return segments.sort((a, b) => a.t0 - b.t0 || a.t1 - b.t1);
}

/** The workspace folder each segment's paths (mentions, viewing) are relative to: the last `workspace` record before it. */
export function segmentRoots(records: readonly JournalRecord[]): Map<string, string> {
  const rootBySegment = new Map<string, string>();
  let root: string | undefined;
  for (const r of records) {
    if (r.type === 'workspace' && typeof r.root === 'string') root = r.root;
    else if (r.type === 'segment' && root !== undefined) rootBySegment.set(r.segmentId, root);
  }
  return rootBySegment;
}
