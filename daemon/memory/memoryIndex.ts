/**
 * The meeting-memory index: every meeting it is given (segments, latest action items and decisions), searchable with
 * BM25 (MiniSearch's BM25+), hits widened to whole turns with their neighbours (bounded around the hit); open items
 * across meetings; decisions. Dictations are kept (their ids) but never searched, as meetingList leaves them out: they
 * are text typed by voice into the editor, not what a meeting said. The full-text index is built at the first request
 * that ranks (search, decisions by topic): open items and the meeting list need only the records.
 *
 * Owns ranking, turns and filters. Must not read files (storedMemory.ts feeds it from journals, cli/ask.ts from
 * transcripts) nor log any query or transcript text.
 */
import MiniSearch, { SearchResult } from 'minisearch';
import {
  ActionItem, Decision, MEMORY_PASSAGE_MAX_CHARS, MEMORY_PASSAGE_MAX_LINES, MemoryLine, MemoryMeeting, MemoryPassage, MemorySearchParams, MemoryTodoItem,
} from '../../protocol/protocol';

/** One spoken segment as memory keeps it. */
export interface MemorySegment {
  segmentId: string;
  speaker: string;
  t0: number;
  t1: number;
  text: string;
}

/** Everything memory knows of one meeting. Items and decisions: the latest revision of each (removed ones left out). */
export interface MeetingRecord {
  meeting: MemoryMeeting;
  dictation?: boolean;
  segments: MemorySegment[];
  actionItems: ActionItem[];
  decisions: Decision[];
  /** Notes-file line (1-based) of each segment (same order as `segments`), and of each item by id. */
  segmentNotesLines?: (number | undefined)[];
  itemNotesLines?: Map<string, number>;
}

/** Ranking parameters (chosen on QMSum's train split: see test/eval/memory-eval.ts). */
export interface RankingOptions {
  /** BM25+ term-frequency saturation, length normalization, and the lower bound added to each matching term. */
  k: number;
  b: number;
  d: number;
  /** Prefix matching for query terms of this length or more (0: off). */
  prefixMinLength: number;
  /** Weight of the speaker's name against the text (1). */
  speakerBoost: number;
}

export const DEFAULT_RANKING: RankingOptions = { k: 1.2, b: 0.9, d: 0.5, prefixMinLength: 5, speakerBoost: 0.5 };
export const DEFAULT_NEIGHBOURS = 1;
export const MAX_NEIGHBOURS = 5;
export const DEFAULT_LIMIT = 5;
export const MAX_LIMIT = 50;
/**
 * Distinct query terms ranked at most. Each costs a walk of its postings (and, from 5 letters, of every word it
 * prefixes) on the daemon's only thread: a pasted 2,000-character paragraph blocked it for seconds. A question has a
 * handful; 32 keeps any real one whole.
 */
export const MAX_QUERY_TERMS = 32;

/** Words too common to rank by (English; a query is mostly made of them). The question words (summarize, discuss, think…) were added on QMSum's train split: +3 points hit@5 over all meetings. */
const STOP_WORDS = new Set(('a an and are as at be been but by did do does for from had has have he her his how i if in into is it its ' +
  'me my no not of on or our she so than that the their them then there these they this to too us was we were what when where which who ' +
  'why will with would you your about can could should did uh um yeah okay oh just like summarize summarise discuss discussed discussion discussions think thought said say talk talked mention mentioned meeting opinion opinions views view').split(' '));

/** Lowercase, accents off: how terms, owners and names are compared. */
export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

function processTerm(term: string): string | null {
  const t = fold(term);
  return t.length < 2 || STOP_WORDS.has(t) ? null : t;
}

const tokenize = MiniSearch.getDefault('tokenize') as (text: string) => string[];

/** A query's terms as ranked: each once, with how often the query has it; the first MAX_QUERY_TERMS distinct ones. */
export function queryTerms(query: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const word of tokenize(query)) {
    const term = processTerm(word);
    if (term === null) continue;
    if (counts.has(term)) counts.set(term, counts.get(term)! + 1);
    else if (counts.size < MAX_QUERY_TERMS) counts.set(term, 1);
  }
  return counts;
}

interface IndexedDoc {
  id: string;
  sessionId: string;
  kind: MemoryPassage['hit']['kind'];
  /** Index in the meeting's segments of the segment it is (or came from); -1 for an item with no source segment. */
  segment: number;
  itemId?: string;
  text: string;
  speaker: string;
}

export class MemoryIndex {
  private readonly meetings = new Map<string, MeetingRecord>();
  /** The full-text index (undefined until a request ranks), the ids of each meeting's documents in it, the meetings not in it yet. */
  private text: MiniSearch<IndexedDoc> | undefined;
  private readonly docIds = new Map<string, string[]>();
  private readonly unindexed = new Set<string>();

  constructor(readonly ranking: RankingOptions = DEFAULT_RANKING) {}

  /** Meetings searched (dictations left out), and their segments. */
  get sessionCount(): number {
    return this.searchable().length;
  }

  get segmentCount(): number {
    let n = 0;
    for (const m of this.searchable()) n += m.segments.length;
    return n;
  }

  /** Documents (segments, items, decisions) in the full-text index: 0 until a request ranks. */
  get indexedDocuments(): number {
    return this.text?.documentCount ?? 0;
  }

  has(sessionId: string): boolean {
    return this.meetings.has(sessionId);
  }

  /** Adds a meeting, replacing what was indexed of it before (its words are indexed when a request next ranks). */
  put(record: MeetingRecord): void {
    this.remove(record.meeting.sessionId);
    this.meetings.set(record.meeting.sessionId, record);
    this.unindexed.add(record.meeting.sessionId);
  }

  remove(sessionId: string): void {
    const ids = this.docIds.get(sessionId);
    if (ids) this.text!.discardAll(ids);
    this.docIds.delete(sessionId);
    this.unindexed.delete(sessionId);
    this.meetings.delete(sessionId);
  }

  clear(): void {
    // A new full-text index, not removeAll(): MiniSearch's auto-vacuum (started by remove's discards, batches 10 ms
    // apart) would go on over the emptied index and throw, an unhandled rejection that ended the daemon. It finishes
    // over the old index instead, which is then let go.
    this.text = undefined;
    this.docIds.clear();
    this.unindexed.clear();
    this.meetings.clear();
  }

  sessionIds(): string[] {
    return [...this.meetings.keys()];
  }

  /** Every meeting (dictations left out), newest first. */
  meetingList(): MemoryMeeting[] {
    return this.searchable().map((m) => m.meeting).sort(newestFirst);
  }

  /** The passages that best answer `query` (see MemorySearch): at most `limit`, none overlapping another of its meeting. */
  search(params: MemorySearchParams): MemoryPassage[] {
    const limit = Math.min(Math.max(1, Math.floor(params.limit ?? DEFAULT_LIMIT)), MAX_LIMIT);
    const neighbours = Math.min(Math.max(0, Math.floor(params.neighbours ?? DEFAULT_NEIGHBOURS)), MAX_NEIGHBOURS);
    const allowed = this.allowedSessions(params);
    // Equal scores (the same sentence said in several meetings) in a fixed order, newest meeting first, then meeting
    // order: MiniSearch keeps insertion order, which changes whenever a meeting is indexed again (its notes rewritten).
    const meetingOf = (r: SearchResult) => this.meetings.get((r as unknown as IndexedDoc).sessionId)!.meeting;
    const results = this.rank(params.query, (r) => allowed.has(r.sessionId))
      .sort((a, b) => b.score - a.score || newestFirst(meetingOf(a), meetingOf(b)) || (a as unknown as IndexedDoc).segment - (b as unknown as IndexedDoc).segment);
    const passages: MemoryPassage[] = [];
    const covered = new Map<string, Set<number>>();
    for (const r of results) {
      if (passages.length >= limit) break;
      const doc = r as unknown as SearchResult & IndexedDoc;
      const record = this.meetings.get(doc.sessionId)!;
      const seen = covered.get(doc.sessionId) ?? new Set<number>();
      covered.set(doc.sessionId, seen);
      if (doc.segment >= 0 && seen.has(doc.segment)) continue; // already inside a better passage of this meeting
      const [from, to] = doc.segment >= 0 ? this.window(record, doc.segment, neighbours) : [0, -1];
      const lines: MemoryLine[] = [];
      for (let i = from; i <= to; i++) {
        if (seen.has(i)) continue; // a better passage of this meeting already has it
        seen.add(i);
        const s = record.segments[i];
        const notesLine = record.segmentNotesLines?.[i];
        lines.push({ segmentId: s.segmentId, index: i + 1, speaker: s.speaker, t0: s.t0, t1: s.t1, text: s.text, ...(notesLine ? { notesLine } : {}), hit: i === doc.segment });
      }
      const text = doc.kind === 'segment' ? record.segments[doc.segment].text : this.itemText(record, doc);
      const id = doc.kind === 'segment' ? record.segments[doc.segment].segmentId : doc.itemId!;
      passages.push({ meeting: record.meeting, score: r.score, hit: { kind: doc.kind, id, text }, lines });
    }
    return passages;
  }

  /** Open action items (latest revisions; done ones too with includeDone), newest meeting first, in meeting order within one. */
  todo(owners: readonly string[] = [], includeDone = false): MemoryTodoItem[] {
    const mineNames = new Set(owners.map((o) => fold(o).trim()).filter(Boolean));
    const out: MemoryTodoItem[] = [];
    for (const record of [...this.meetings.values()].sort((a, b) => newestFirst(a.meeting, b.meeting))) {
      for (const item of [...record.actionItems].sort((a, b) => a.t0 - b.t0)) {
        if (item.removed || (item.done && !includeDone)) continue;
        const notesLine = record.itemNotesLines?.get(item.id);
        out.push({ meeting: record.meeting, item, mine: item.owner !== null && mineNames.has(fold(item.owner).trim()), ...(notesLine ? { notesLine } : {}) });
      }
    }
    return out;
  }

  /** Decisions, newest meeting first; with a topic, only those matching it, best first. */
  decisions(params: { topic?: string; since?: string; until?: string }): { meeting: MemoryMeeting; decision: Decision; notesLine?: number }[] {
    const allowed = this.allowedSessions(params);
    const entry = (record: MeetingRecord, decision: Decision) => {
      const notesLine = record.itemNotesLines?.get(decision.id);
      return { meeting: record.meeting, decision, ...(notesLine ? { notesLine } : {}) };
    };
    if (params.topic?.trim()) {
      return this.rank(params.topic, (r) => r.kind === 'decision' && allowed.has(r.sessionId)).flatMap((r) => {
        const doc = r as unknown as IndexedDoc;
        const record = this.meetings.get(doc.sessionId)!;
        const decision = record.decisions.find((d) => d.id === doc.itemId);
        return decision ? [entry(record, decision)] : [];
      });
    }
    return [...this.meetings.values()].filter((r) => allowed.has(r.meeting.sessionId)).sort((a, b) => newestFirst(a.meeting, b.meeting))
      .flatMap((record) => [...record.decisions].sort((a, b) => a.t0 - b.t0).map((d) => entry(record, d)));
  }

  private rank(query: string, filter: (r: SearchResult) => boolean): SearchResult[] {
    const { k, b, d, prefixMinLength, speakerBoost } = this.ranking;
    // Each distinct term is looked up once; one the query repeats weighs as often (the scores of the query as written).
    const terms = queryTerms(query);
    return this.textIndex().search([...terms.keys()].join(' '), {
      filter,
      boost: { text: 1, speaker: speakerBoost },
      boostTerm: (term) => terms.get(term) ?? 1,
      bm25: { k, b, d },
      prefix: (term) => prefixMinLength > 0 && term.length >= prefixMinLength,
      combineWith: 'OR',
    });
  }

  private searchable(): MeetingRecord[] {
    return [...this.meetings.values()].filter((m) => !m.dictation);
  }

  /** The full-text index, with every meeting put since the last ranking request added to it. */
  private textIndex(): MiniSearch<IndexedDoc> {
    this.text ??= new MiniSearch<IndexedDoc>({
      fields: ['text', 'speaker'],
      storeFields: ['sessionId', 'kind', 'segment', 'itemId'],
      processTerm,
    });
    for (const sessionId of this.unindexed) {
      const record = this.meetings.get(sessionId)!;
      if (record.dictation) continue;
      const docs = documentsOf(record);
      this.text.addAll(docs);
      this.docIds.set(sessionId, docs.map((d) => d.id));
    }
    this.unindexed.clear();
    return this.text;
  }

  private itemText(record: MeetingRecord, doc: IndexedDoc): string {
    const list: (ActionItem | Decision)[] = doc.kind === 'actionItem' ? record.actionItems : record.decisions;
    return list.find((i) => i.id === doc.itemId)?.text ?? '';
  }

  /**
   * The hit's whole turn (consecutive segments of its speaker) and `neighbours` segments each side, as indexes, cut to
   * MEMORY_PASSAGE_MAX_LINES lines and MEMORY_PASSAGE_MAX_CHARS characters: grown one line each side in turn from the hit.
   */
  private window(record: MeetingRecord, hit: number, neighbours: number): [number, number] {
    const segs = record.segments;
    let from = hit;
    let to = hit;
    while (from > 0 && segs[from - 1].speaker === segs[hit].speaker) from--;
    while (to < segs.length - 1 && segs[to + 1].speaker === segs[hit].speaker) to++;
    from = Math.max(0, from - neighbours);
    to = Math.min(segs.length - 1, to + neighbours);
    let [first, last] = [hit, hit];
    let chars = segs[hit].text.length;
    const fits = (i: number) => last - first + 1 < MEMORY_PASSAGE_MAX_LINES && chars + segs[i].text.length <= MEMORY_PASSAGE_MAX_CHARS;
    for (;;) {
      const before = first > from && fits(first - 1);
      if (before) chars += segs[--first].text.length;
      const after = last < to && fits(last + 1);
      if (after) chars += segs[++last].text.length;
      if (!before && !after) return [first, last];
    }
  }

  private allowedSessions(params: { sessionIds?: string[]; since?: string; until?: string }): Set<string> {
    const only = params.sessionIds?.length ? new Set(params.sessionIds) : undefined;
    const allowed = new Set<string>();
    for (const { meeting } of this.searchable()) {
      if (only && !only.has(meeting.sessionId)) continue;
      if (!inRange(meeting.startedAt, params.since, params.until)) continue;
      allowed.add(meeting.sessionId);
    }
    return allowed;
  }
}

/** A meeting's searchable documents: its segments, action items and decisions. */
function documentsOf(record: MeetingRecord): IndexedDoc[] {
  const sessionId = record.meeting.sessionId;
  const bySegmentId = new Map(record.segments.map((s, i) => [s.segmentId, i]));
  const docs: IndexedDoc[] = record.segments.map((s, i) => ({
    id: `${sessionId}\u0000s${i}`, sessionId, kind: 'segment', segment: i, text: s.text, speaker: s.speaker,
  }));
  for (const item of record.actionItems) {
    docs.push({
      id: `${sessionId}\u0000a${item.id}`, sessionId, kind: 'actionItem', segment: bySegmentId.get(item.segmentId) ?? -1, itemId: item.id,
      text: item.text, speaker: item.owner ?? '',
    });
  }
  for (const d of record.decisions) {
    docs.push({ id: `${sessionId}\u0000d${d.id}`, sessionId, kind: 'decision', segment: bySegmentId.get(d.segmentId) ?? -1, itemId: d.id, text: d.text, speaker: '' });
  }
  return docs;
}

/**
 * Whether an ISO start time lies in [since, until]; a date-only bound compares the date (until: the whole day counts).
 * An unknown start ('' or not a string: a header the daemon did not write) lies in no bounded range.
 */
export function inRange(startedAt: string, since?: string, until?: string): boolean {
  const start = typeof startedAt === 'string' ? startedAt : '';
  const at = (bound: string) => (bound.length <= 10 ? start.slice(0, bound.length) : start);
  if (since && at(since) < since) return false;
  if (until && (!start || at(until) > until)) return false;
  return true;
}

/** Newest first; an unknown start sorts last. */
function newestFirst(a: MemoryMeeting, b: MemoryMeeting): number {
  return startOf(b).localeCompare(startOf(a)) || String(a.sessionId).localeCompare(String(b.sessionId));
}

function startOf(m: MemoryMeeting): string {
  return typeof m.startedAt === 'string' ? m.startedAt : '';
}
