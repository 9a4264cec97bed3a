/**
 * A question over memory as `earshot ask` answers it, shared by `ask` and the agents' search_meetings tool
 * (daemon/agentTools/): the meetings asked (meetingsAsked), the meaning model's part once it is downloaded (byMeaning),
 * and the ranked passages with each line cited where it is (citedSearch). One path, so the tool ranks and cites exactly
 * as `ask --json` does.
 *
 * Owns choosing meetings and citing lines. Must not print or log any text (progress goes to `say`, with no text).
 */
import * as path from 'node:path';
import { MemoryLine, MemoryMeeting, MemoryPassage } from '../../protocol/protocol';
import { MeaningSearch } from './meaningSearch';
import { inRange, MemoryIndex, SemanticQuery, startDay } from './memoryIndex';

/** Where a meeting's lines are: its journal or transcript file, whether it has times, and a line's number in it. */
export interface MeetingFile {
  file: string;
  timed: boolean;
  lineOf: (l: MemoryLine) => number;
}

/** The stored meetings' files: each one's journal, its lines the segments' indexes (what `ask --json` cites). */
export function storedFiles(storageDir: string, index: MemoryIndex): Map<string, MeetingFile> {
  return new Map(index.sessionIds().map((id) => [id, { file: path.join(storageDir, 'sessions', `${id}.jsonl`), timed: true, lineOf: (l: MemoryLine) => l.index }]));
}

/** A line as `ask --json` cites it, with its meeting, its passage's rank (1-based) and where the notes show it. */
export interface AskCitedLine {
  meeting: MemoryMeeting;
  passage: number;
  file: string;
  line: number;
  /** Seconds into the meeting; null for a transcript without times. */
  t0: number | null;
  speaker: string;
  text: string;
  notesLine?: number;
}

/** A meeting named that matches none: its message names it and the latest titles. */
export class NoSuchMeeting extends Error {}

/**
 * The meetings asked about: those that started between `since` and `until` (days of this machine's time zone, as the
 * notes' file names and the chat's dates are) and, with `named`, that one names (a session id, or words all found in
 * the title, any case; any of several). Undefined: all. A name that matches none is a NoSuchMeeting naming it (as
 * `what`, e.g. `--meeting "x"`) and the latest titles, not a search of everything.
 */
export function meetingsAsked(index: MemoryIndex, named: readonly string[], since?: string, until?: string, what = (name: string) => `--meeting "${name}"`): string[] | undefined {
  if (!named.length && !since && !until) return undefined;
  const all = index.meetingList();
  const inDays = all.filter((m) => inRange(m.startedAt, since, until));
  if (!named.length) return inDays.map((m) => m.sessionId);
  const ids = new Set<string>();
  for (const name of named) {
    const found = inDays.filter((m) => namesMeeting(m, name));
    if (!found.length) {
      const latest = all.slice(0, 5).map((m) => `"${m.title}" (${startDay(m.startedAt)})`).join(', ');
      const range = [since && `since ${since}`, until && `until ${until}`].filter(Boolean).join(' ');
      throw new NoSuchMeeting(`no meeting${range ? ` ${range}` : ''} matches ${what(name)}${latest ? `; the latest: ${latest}` : ''}`);
    }
    for (const m of found) ids.add(m.sessionId);
  }
  return [...ids];
}

/** Whether `name` names the meeting: its session id, or words all found in its title (any case, accents aside). */
export function namesMeeting(m: MemoryMeeting, name: string): boolean {
  const wanted = words(name);
  return m.sessionId === name.trim() || (wanted.length > 0 && wanted.every((w) => words(m.title).includes(w)));
}

function words(text: string): string[] {
  return text.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

/**
 * The passages that answer `query` (memoryIndex.ts's ranking; none when `sessionIds` is empty) and their lines cited as
 * `ask --json` cites them, best passage first. A meeting missing from `files` is cited without a file ('').
 */
export function citedSearch(index: MemoryIndex, params: { query: string; limit: number; sessionIds?: string[] }, semantic: SemanticQuery | undefined,
  files: ReadonlyMap<string, MeetingFile>): { passages: MemoryPassage[]; cited: AskCitedLine[] } {
  const passages = params.sessionIds?.length === 0 ? [] : index.search(params, semantic);
  const cited: AskCitedLine[] = [];
  passages.forEach((p, i) => {
    const where = files.get(p.meeting.sessionId);
    for (const l of p.lines) {
      cited.push({
        meeting: p.meeting, passage: i + 1, file: where?.file ?? '', line: where ? where.lineOf(l) : l.index, t0: where && !where.timed ? null : l.t0,
        speaker: l.speaker, text: l.text, ...(l.notesLine ? { notesLine: l.notesLine } : {}),
      });
    }
  });
  return { passages, cited };
}

/** How often a first reading of the meetings says how far it is (on one core it can take minutes). */
export const READING_REPORT_MS = 10_000;

/**
 * The meaning model's part in a search when the user has downloaded it (`earshot models download bge-small-en-v1.5`),
 * for a process that answers without a daemon (`ask`, `earshot mcp`): it reads every block not read before first
 * (saying so with `say`, without any text; the vectors are kept beside the journals for the next run); undefined when
 * there is none, or it failed (its onError says so: the search goes on by words).
 */
export async function byMeaning(meaning: MeaningSearch, index: MemoryIndex, question: string, say: (message: string) => void): Promise<SemanticQuery | undefined> {
  const first = await meaning.query(index, question);
  if (!first.meaning || first.meaning.error) return undefined;
  if (first.meaning.embedded === first.meaning.blocks) return first.semantic;
  await readAll(meaning, index, first.meaning, say);
  const read = await meaning.query(index, question);
  return read.meaning?.error ? undefined : read.semantic;
}

/**
 * Waits for the meaning model to read every block, saying how many there are first and how far it is every `everyMs`
 * (no text). What it reads is kept per meeting, so a run stopped with Ctrl-C loses only the meeting under way.
 */
export async function readAll(meaning: MeaningSearch, index: MemoryIndex, start: { blocks: number; embedded: number }, say: (message: string) => void, everyMs = READING_REPORT_MS): Promise<void> {
  const total = start.blocks - start.embedded;
  say(`the meeting search model is reading ${total} parts of your meetings (once: what it reads is kept; --words-only searches by words now)`);
  const settled = meaning.settled().then(() => true);
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([settled, new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), everyMs); })]);
    clearTimeout(timer);
    if (done) return;
    const now = meaning.progress(index);
    if (now) say(`read ${now.embedded - start.embedded} of ${total} parts (${Math.floor((100 * (now.embedded - start.embedded)) / Math.max(1, total))}%)`);
  }
}
