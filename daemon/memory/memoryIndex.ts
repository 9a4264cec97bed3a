/**
 * The meeting-memory index: every meeting it is given (segments, latest action items, decisions and summary points),
 * searchable with BM25 (MiniSearch's BM25+) at three grains fused into one ranking: each meeting cut into topical blocks
 * (topicBlocks.ts), the lines and notes entries in them, and the whole meeting; a speaker the question names weighs
 * their turns; a passage is the best lines of one block (bounded around its hit). An embedding model's ranking of the
 * blocks is fused in when the caller has one (SemanticQuery). Open items across meetings; decisions. Dictations are kept (their ids) but never searched, as meetingList leaves them out: they
 * are text typed by voice into the editor, not what a meeting said. The full-text index is built at the first request
 * that ranks (search, decisions by topic): open items and the meeting list need only the records.
 *
 * Owns ranking, turns and filters. Must not read files (storedMemory.ts feeds it from journals, cli/ask.ts from
 * transcripts) nor log any query or transcript text.
 */
import * as crypto from 'node:crypto';
import MiniSearch, { SearchResult } from 'minisearch';
import {
  ActionItem, Decision, EditorLocation, MEMORY_HIT_LINE_MAX_CHARS, MEMORY_PASSAGE_MAX_CHARS, MEMORY_PASSAGE_MAX_LINES, MemoryLine, MemoryMeeting, MemoryPassage, MemorySearchParams, MemoryTodoItem, SegmentMention,
} from '../../protocol/protocol';
import { cutAround } from '../../protocol/textSize';
import { isoDate } from '../understanding/dates';
import { namedSpeakers, speakerNameKeys } from './speakerNames';
import { fold, indexTerm, queryTerms, termCounts, tokenize } from './terms';
import { DEFAULT_TILING, topicBlockStarts } from './topicBlocks';

/** One spoken segment as memory keeps it. */
export interface MemorySegment {
  segmentId: string;
  speaker: string;
  t0: number;
  t1: number;
  text: string;
  /** The workspace files and symbols the text named, and what the user had open as it was said (journals before anchoring: none). */
  mentions?: SegmentMention[];
  viewing?: EditorLocation;
  /** The workspace folder those paths are relative to (the journal's last `workspace` record before the segment). */
  root?: string;
}

/** Everything memory knows of one meeting. Items and decisions: the latest revision of each (removed ones left out). */
export interface MeetingRecord {
  meeting: MemoryMeeting;
  dictation?: boolean;
  segments: MemorySegment[];
  actionItems: ActionItem[];
  decisions: Decision[];
  /** The notes' summary points (the last rolling summary), each with the segments it cites. */
  summary?: { text: string; segmentIds: string[] }[];
  /** Notes-file line (1-based) of each segment (same order as `segments`), and of each item by id. */
  segmentNotesLines?: (number | undefined)[];
  itemNotesLines?: Map<string, number>;
}

/** Ranking parameters (fixed on QMSum's train split: BENCHMARKS.md, issue 40; test/eval/memory-eval.ts cross-validates them). */
export interface RankingOptions {
  /** BM25+ term-frequency saturation, length normalization, and the lower bound added to each matching term (lines). */
  k: number;
  b: number;
  d: number;
  /** Prefix matching for query terms of this length or more (0: off). */
  prefixMinLength: number;
  /**
   * Weight of a speaker the question names: their lines, and the blocks of a meeting they spoke in, score 1 + this
   * times as much (and a speaker's name in the line index's speaker field weighs this against the text's 1).
   */
  speakerBoost: number;
  /** A block's score: its BM25 (over blocks), plus these times its best line's and its meeting's (each over the best). */
  lineWeight: number;
  meetingWeight: number;
  /**
   * Pseudo-relevance feedback (RM3, Lavrenko & Croft 2001; Abdul-Jaleel et al. 2004): up to `feedbackTerms` words of
   * the question's `feedbackBlocks` best blocks (each block's term distribution weighed by its score; words in more than
   * `feedbackMaxDf` of all blocks left out) are ranked on their own and `feedbackWeight` times their scores added.
   * feedbackBlocks 0 or undefined: off (the default: no train fold chose it, BENCHMARKS.md issue 40 second pass).
   */
  feedbackBlocks?: number;
  feedbackTerms?: number;
  feedbackWeight?: number;
  feedbackMaxDf?: number;
  /**
   * Meeting-first (two stages): each block's score is added this times its meeting's evidence, the sum of the meeting's
   * `meetingEvidenceBlocks` best block scores (over the best meeting's), so blocks of the meetings the question fits
   * best lead. 0 or undefined: off (the default, as feedback).
   */
  meetingEvidence?: number;
  meetingEvidenceBlocks?: number;
  /**
   * The meeting the user has open (MemorySearchParams.viewing): up to `viewingPassages` of its passages that score at
   * least `viewingShare` times the best passage come first. Chosen on QMSum train from a fixed grid, weighing a user
   * with the question's meeting open and one with another open alike (test/eval/memory-viewing.ts; BENCHMARKS.md).
   */
  viewingPassages: number;
  viewingShare: number;
  /**
   * Passages of one meeting at most while more than one meeting is searched, before the rest of the list is filled
   * (0 or undefined: no limit, the default). A question that names no meeting often fits several, and five passages of
   * the one that scores best hide the others; but 2, chosen on QMSum train (+1 point judged hit@5), lost 4 on val
   * (BENCHMARKS.md, issue 40, sixth pass), so it is off.
   */
  perMeeting?: number;
}

export const DEFAULT_RANKING: RankingOptions = { k: 1.2, b: 0.9, d: 0.5, prefixMinLength: 5, speakerBoost: 0.5, lineWeight: 1, meetingWeight: 1, viewingPassages: 3, viewingShare: 0.25 };
/** BM25+ for blocks and whole meetings: MiniSearch's defaults, without the lower bound for a meeting (one document per meeting). */
const BLOCK_BM25 = { k: 1.2, b: 0.75, d: 0.5 };
const MEETING_BM25 = { k: 1.2, b: 0.75, d: 0 };
/** Reciprocal-rank fusion's constant (Cormack et al. 2009) for an embedding model's ranking of the blocks. */
export const RRF_K = 60;

/**
 * A meeting's topical block: its segments from..to (indexes), its text as an embedding model is given it, and `key`,
 * the text's SHA-256 (what its vector is kept by: a block re-cut or changed has another).
 */
export interface TopicBlock {
  index: number;
  from: number;
  to: number;
  text: string;
  key: string;
}

/**
 * An embedding model's view of a question, for search to fuse with the words (reciprocal-rank fusion over blocks).
 * Vectors are unit length; a block without one (not embedded yet) is ranked by the words alone.
 */
export interface SemanticQuery {
  vector: Float32Array;
  blockVector(sessionId: string, block: TopicBlock): Float32Array | undefined;
  /** The embedding ranking's weight in the fusion against the words' 1 (default 1). */
  weight?: number;
}
export const DEFAULT_NEIGHBOURS = 1;
export const MAX_NEIGHBOURS = 5;
export const DEFAULT_LIMIT = 5;
export const MAX_LIMIT = 50;
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

/** What ranking derives from a meeting when it is indexed: its blocks, the block of each segment, its speakers' names. */
interface MeetingShape {
  blocks: { from: number; to: number }[];
  blockOf: Int32Array;
  names: Map<string, Set<string>>;
  /** Each block's term counts, as its words are indexed (feedback reads them). */
  blockTerms: Map<string, number>[];
  /** The blocks with their text and key, made at the first ask (only a meaning model asks), then kept with the shape. */
  topics?: TopicBlock[];
}

/** One block (or a notes entry with no segment) as a candidate passage while a search ranks. */
interface Candidate {
  sessionId: string;
  /** Block index; -1 for a notes entry with no segment. */
  block: number;
  blockScore: number;
  /** The best line or notes entry in it, and its score (speaker weight included). */
  best?: IndexedDoc;
  lineScore: number;
  score: number;
  /** The words' score when an embedding model's ranking was fused in (score is then the fused one); else absent. */
  words?: number;
}

export class MemoryIndex {
  private readonly meetings = new Map<string, MeetingRecord>();
  /** The full-text index (undefined until a request ranks), the ids of each meeting's documents in it, the meetings not in it yet. */
  private text: MiniSearch<IndexedDoc> | undefined;
  /** Topical blocks and whole meetings, ranked beside the lines (built with `text`). */
  private blockText: MiniSearch<{ id: string; sessionId: string; block: number; text: string }> | undefined;
  private meetingText: MiniSearch<{ id: string; sessionId: string; text: string }> | undefined;
  private readonly docIds = new Map<string, string[]>();
  private readonly blockIds = new Map<string, string[]>();
  private readonly shapes = new Map<string, MeetingShape>();
  /** Blocks (of every meeting indexed) each term is in: feedback leaves out the frequent ones. */
  private readonly blockDf = new Map<string, number>();
  private readonly unindexed = new Set<string>();
  private changes = 0;

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

  /** Counts every put, remove and clear: what is derived from the meetings (codeAnchors.ts) is kept while it stays. */
  get version(): number {
    return this.changes;
  }

  /** A meeting as it was put (dictations too). */
  record(sessionId: string): MeetingRecord | undefined {
    return this.meetings.get(sessionId);
  }

  /** Adds a meeting, replacing what was indexed of it before (its words are indexed when a request next ranks). */
  put(record: MeetingRecord): void {
    this.remove(record.meeting.sessionId);
    this.changes++;
    this.meetings.set(record.meeting.sessionId, record);
    this.unindexed.add(record.meeting.sessionId);
  }

  remove(sessionId: string): void {
    this.changes++;
    const ids = this.docIds.get(sessionId);
    if (ids) {
      this.text!.discardAll(ids);
      this.blockText!.discardAll(this.blockIds.get(sessionId)!);
      this.meetingText!.discard(`${sessionId}\u0000m`);
      for (const words of this.shapes.get(sessionId)!.blockTerms) {
        for (const t of words.keys()) {
          const n = this.blockDf.get(t)! - 1;
          if (n > 0) this.blockDf.set(t, n);
          else this.blockDf.delete(t);
        }
      }
    }
    this.docIds.delete(sessionId);
    this.blockIds.delete(sessionId);
    this.shapes.delete(sessionId);
    this.unindexed.delete(sessionId);
    this.meetings.delete(sessionId);
  }

  clear(): void {
    // A new full-text index, not removeAll(): MiniSearch's auto-vacuum (started by remove's discards, batches 10 ms
    // apart) would go on over the emptied index and throw, an unhandled rejection that ended the daemon. It finishes
    // over the old index instead, which is then let go.
    this.text = undefined;
    this.blockText = undefined;
    this.meetingText = undefined;
    this.docIds.clear();
    this.blockIds.clear();
    this.shapes.clear();
    this.blockDf.clear();
    this.unindexed.clear();
    this.meetings.clear();
    this.changes++;
  }

  sessionIds(): string[] {
    return [...this.meetings.keys()];
  }

  /** Every meeting (dictations left out), newest first. */
  meetingList(): MemoryMeeting[] {
    return this.searchable().map((m) => m.meeting).sort(newestFirst);
  }

  /**
   * The passages that best answer `query` (see MemorySearch): at most `limit`, none overlapping another of its meeting.
   * Each is the best line (or notes entry) of one of the best topical blocks, with the lines of its block around it;
   * with `neighbours` given, its whole turn and that many segments each side instead. With `semantic`, an embedding
   * model's ranking of the blocks is fused with the words'.
   */
  search(params: MemorySearchParams, semantic?: SemanticQuery): MemoryPassage[] {
    const limit = Math.min(Math.max(1, Math.floor(params.limit ?? DEFAULT_LIMIT)), MAX_LIMIT);
    const fixedWindow = params.neighbours !== undefined;
    const neighbours = Math.min(Math.max(0, Math.floor(params.neighbours ?? DEFAULT_NEIGHBOURS)), MAX_NEIGHBOURS);
    const allowed = this.allowedSessions(params);
    const candidates = this.candidates(params.query, allowed, semantic);
    // Equal scores (the same sentence said in several meetings) in a fixed order, newest meeting first, then meeting
    // order: MiniSearch keeps insertion order, which changes whenever a meeting is indexed again (its notes rewritten).
    const meetingOf = (c: Candidate) => this.meetings.get(c.sessionId)!.meeting;
    candidates.sort((a, b) => b.score - a.score || newestFirst(meetingOf(a), meetingOf(b)) || a.block - b.block || (a.best?.segment ?? 0) - (b.best?.segment ?? 0));
    // The open meeting's best candidates go first; each comes again in its place, skipped there once taken. The floor
    // is on the words' score (fused scores are ranks' reciprocals, all close together: the share was chosen on words).
    const viewing = params.viewing && allowed.has(params.viewing) ? params.viewing : undefined;
    const wordsOf = (c: Candidate) => c.words ?? c.score;
    const floor = candidates.reduce((best, c) => Math.max(best, wordsOf(c)), 0) * this.ranking.viewingShare;
    const leaders = viewing ? candidates.filter((c) => c.sessionId === viewing && wordsOf(c) > 0 && wordsOf(c) >= floor) : [];
    const passages: MemoryPassage[] = [];
    const covered = new Map<string, Set<number>>();
    const taken = new Map<string, number>();
    /** Makes `c` a passage unless a better one of its meeting already holds its line; says whether it did. */
    const take = (c: Candidate): boolean => {
      const record = this.meetings.get(c.sessionId)!;
      const shape = this.shapes.get(c.sessionId)!;
      const seen = covered.get(c.sessionId) ?? new Set<number>();
      covered.set(c.sessionId, seen);
      // A block the embedding model alone found has no best line: its middle one stands for it.
      const block = c.block >= 0 ? shape.blocks[c.block] : undefined;
      const hit = c.best ? c.best.segment : Math.floor((block!.from + block!.to) / 2);
      if (hit >= 0 && seen.has(hit)) return false; // already inside a better passage of this meeting
      const [from, to] = hit < 0 ? [0, -1] : fixedWindow || !block ? this.window(record, hit, neighbours) : growPassage(record.segments, hit, block.from, block.to);
      const lines: MemoryLine[] = [];
      for (let i = from; i <= to; i++) {
        if (seen.has(i)) continue; // a better passage of this meeting already has it
        seen.add(i);
        const s = record.segments[i];
        const notesLine = record.segmentNotesLines?.[i];
        const text = i === hit ? hitText(s.text, params.query) : s.text;
        lines.push({ segmentId: s.segmentId, index: i + 1, speaker: s.speaker, t0: s.t0, t1: s.t1, text, ...(notesLine ? { notesLine } : {}), hit: i === hit });
      }
      const doc = c.best;
      const kind = doc?.kind ?? 'segment';
      const text = hitText(kind === 'segment' ? record.segments[hit].text : this.itemText(record, doc!), params.query);
      const id = kind === 'segment' ? record.segments[hit].segmentId : doc!.itemId!;
      passages.push({ meeting: record.meeting, score: c.score, hit: { kind, id, text }, lines });
      taken.set(c.sessionId, (taken.get(c.sessionId) ?? 0) + 1);
      return true;
    };
    // The open meeting's leaders first; then the rest in order, at most `perMeeting` passages of one meeting while
    // more than one is searched (a question that fits several meetings shows the best of each); what that held back
    // fills a list still short at the end.
    let led = 0;
    for (const c of leaders) if (led < this.ranking.viewingPassages && passages.length < limit && take(c)) led++;
    const cap = this.ranking.perMeeting && allowed.size > 1 ? this.ranking.perMeeting : Infinity;
    const heldBack: Candidate[] = [];
    for (const c of candidates) {
      if (passages.length >= limit) break;
      if ((taken.get(c.sessionId) ?? 0) >= cap) heldBack.push(c);
      else take(c);
    }
    for (const c of heldBack) {
      if (passages.length >= limit) break;
      take(c);
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

  private rank(query: string, filter: (r: SearchResult) => boolean, leave?: ReadonlySet<string>): SearchResult[] {
    // Each distinct term is looked up once; one the query repeats weighs as often (the scores of the query as written).
    return this.rankTerms(queryTerms(query, leave), filter);
  }

  /** The line index's BM25 ranking for these terms, each weighing as given. */
  private rankTerms(terms: ReadonlyMap<string, number>, filter: (r: SearchResult) => boolean): SearchResult[] {
    const { k, b, d, prefixMinLength, speakerBoost } = this.ranking;
    return this.textIndex().search([...terms.keys()].join(' '), {
      filter,
      // MiniSearch reads a boost of 0 as 1: a speaker weight of 0 leaves the field out.
      fields: speakerBoost > 0 ? ['text', 'speaker'] : ['text'],
      boost: { text: 1, speaker: speakerBoost },
      boostTerm: (term) => terms.get(term) ?? 1,
      bm25: { k, b, d },
      prefix: (term) => prefixMinLength > 0 && term.length >= prefixMinLength,
      combineWith: 'OR',
    });
  }

  /**
   * Every block that matches the question (or that the embedding model ranks), scored: the block's BM25 over blocks,
   * plus lineWeight × its best line's and meetingWeight × its meeting's, each over the best of the search (so the three
   * scales meet); a speaker the question names weighs their lines and the blocks of the meetings they spoke in. The
   * names themselves are left out of the words ranked (they are said to, not about). A notes entry with no segment is a
   * candidate of its own.
   */
  private candidates(query: string, allowed: Set<string>, semantic?: SemanticQuery): Candidate[] {
    const { speakerBoost } = this.ranking;
    this.textIndex();
    const named = new Map<string, Set<string>>();
    const nameWords = new Set<string>();
    if (speakerBoost > 0) {
      for (const sessionId of allowed) {
        const { labels, words } = namedSpeakers(query, this.shapes.get(sessionId)!.names);
        if (!labels.size) continue;
        named.set(sessionId, labels);
        for (const w of words) if (indexTerm(w) !== null) nameWords.add(indexTerm(w)!);
      }
    }
    // A question that is only a name ("what did Dana say?") is ranked by the name.
    const leave = queryTerms(query, nameWords).size ? nameWords : new Set<string>();
    const terms = queryTerms(query, leave);
    let list = this.lexical(terms, allowed, named);
    const { feedbackBlocks = 0, feedbackTerms = 0, feedbackWeight = 0 } = this.ranking;
    if (feedbackBlocks > 0 && feedbackTerms > 0 && feedbackWeight > 0 && terms.size) {
      // The added words are ranked on their own and their scores added, weighed: ranked with the question's, MiniSearch's
      // score (times the number of query terms a document matches) would count each added word as a whole one.
      const added = this.feedback(terms, list, feedbackBlocks, feedbackTerms);
      if (added.size) list = interpolate(list, this.lexical(added, allowed, named), feedbackWeight);
    }
    const { meetingEvidence = 0, meetingEvidenceBlocks = 3 } = this.ranking;
    if (meetingEvidence > 0) {
      const perMeeting = new Map<string, number[]>();
      for (const c of list) if (c.block >= 0) (perMeeting.get(c.sessionId) ?? perMeeting.set(c.sessionId, []).get(c.sessionId)!).push(c.score);
      const evidence = new Map([...perMeeting].map(([id, scores]) => [id, scores.sort((x, y) => y - x).slice(0, meetingEvidenceBlocks).reduce((x, y) => x + y, 0)]));
      const most = Math.max(1e-9, ...evidence.values());
      for (const c of list) c.score += meetingEvidence * (evidence.get(c.sessionId) ?? 0) / most;
    }
    if (!semantic) return list;
    const byKey = new Map(list.map((c) => [c.block >= 0 ? `${c.sessionId}\u0000${c.block}` : `${c.sessionId}\u0000x${c.best!.id}`, c]));
    const candidate = (sessionId: string, block: number): Candidate => {
      const key = `${sessionId}\u0000${block}`;
      let c = byKey.get(key);
      if (!c) byKey.set(key, (c = { sessionId, block, blockScore: 0, lineScore: 0, score: 0 }));
      return c;
    };
    return this.fuse(list, allowed, semantic, candidate);
  }

  /**
   * The question's weighted terms ranked at the three grains and fused (see candidates). `terms`: each term's weight
   * (how often the question has it, or a feedback word's weight); `named`: per meeting, the speakers the question names.
   */
  private lexical(terms: ReadonlyMap<string, number>, allowed: Set<string>, named: Map<string, Set<string>>): Candidate[] {
    const { prefixMinLength, speakerBoost, lineWeight, meetingWeight } = this.ranking;
    const options = (bm25: { k: number; b: number; d: number }) => ({
      filter: (r: SearchResult) => allowed.has(r.sessionId as string),
      boostTerm: (term: string) => terms.get(term) ?? 1,
      bm25,
      prefix: (term: string) => prefixMinLength > 0 && term.length >= prefixMinLength,
      combineWith: 'OR' as const,
    });
    const q = [...terms.keys()].join(' ');
    const byKey = new Map<string, Candidate>();
    const candidate = (sessionId: string, block: number, key = `${sessionId}\u0000${block}`): Candidate => {
      let c = byKey.get(key);
      if (!c) byKey.set(key, (c = { sessionId, block, blockScore: 0, lineScore: 0, score: 0 }));
      return c;
    };
    const boost = (sessionId: string) => (named.has(sessionId) ? 1 + speakerBoost : 1);
    if (q) {
      for (const r of this.rankTerms(terms, (r) => allowed.has(r.sessionId))) {
        const doc = r as unknown as SearchResult & IndexedDoc;
        const shape = this.shapes.get(doc.sessionId)!;
        const c = doc.segment >= 0 ? candidate(doc.sessionId, shape.blockOf[doc.segment]) : candidate(doc.sessionId, -1, `${doc.sessionId}\u0000x${doc.id}`);
        const speaker = doc.kind === 'segment' ? this.meetings.get(doc.sessionId)!.segments[doc.segment].speaker : doc.speaker;
        const score = r.score * boost(doc.sessionId) * (named.get(doc.sessionId)?.has(speaker) ? 1 + speakerBoost : 1);
        if (score > c.lineScore) Object.assign(c, { lineScore: score, best: doc });
      }
      for (const r of this.blockText!.search(q, options(BLOCK_BM25))) {
        const c = candidate(r.sessionId as string, r.block as number);
        c.blockScore = r.score * boost(c.sessionId);
      }
    }
    const meetingScore = new Map<string, number>();
    if (q && meetingWeight > 0) for (const r of this.meetingText!.search(q, options(MEETING_BM25))) meetingScore.set(r.sessionId as string, r.score);
    const list = [...byKey.values()];
    const most = (f: (c: Candidate) => number) => Math.max(1e-9, ...list.map(f));
    const maxBlock = most((c) => c.blockScore);
    const maxLine = most((c) => c.lineScore);
    const maxMeeting = Math.max(1e-9, ...meetingScore.values());
    for (const c of list) {
      c.score = c.blockScore / maxBlock + lineWeight * c.lineScore / maxLine + meetingWeight * (meetingScore.get(c.sessionId) ?? 0) / maxMeeting;
    }
    return list;
  }

  /**
   * RM3: the question's terms and, added, the words most likely under its best blocks' term distributions (each block's
   * relative frequencies weighed by its share of those blocks' scores), frequent words (in more than feedbackMaxDf of
   * all blocks) left out; each added word weighs its likelihood over the best one's.
   */
  private feedback(terms: ReadonlyMap<string, number>, list: Candidate[], blocks: number, count: number): Map<string, number> {
    const top = list.filter((c) => c.block >= 0).sort((a, b) => b.score - a.score).slice(0, blocks);
    const total = top.reduce((s, c) => s + c.score, 0) || 1;
    const maxDf = (this.ranking.feedbackMaxDf ?? 0.1) * Math.max(1, this.blockText!.documentCount);
    const relevance = new Map<string, number>();
    for (const c of top) {
      const words = this.blockTerms(c.sessionId, c.block);
      let n = 0;
      for (const v of words.values()) n += v;
      for (const [t, v] of words) {
        if (terms.has(t) || (this.blockDf.get(t) ?? 0) > maxDf) continue;
        relevance.set(t, (relevance.get(t) ?? 0) + (c.score / total) * (v / n));
      }
    }
    const best = [...relevance.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, count);
    return new Map(best.map(([t, p]) => [t, p / best[0][1]]));
  }

  /** A block's term counts (as indexed). */
  private blockTerms(sessionId: string, block: number): Map<string, number> {
    return this.shapes.get(sessionId)!.blockTerms[block];
  }

  /** Reciprocal-rank fusion of the words' ranking of the candidates with the embedding model's ranking of every block. */
  private fuse(lexical: Candidate[], allowed: Set<string>, semantic: SemanticQuery, candidate: (sessionId: string, block: number) => Candidate): Candidate[] {
    const lexicalRank = new Map<Candidate, number>();
    [...lexical].sort((a, b) => b.score - a.score).forEach((c, i) => lexicalRank.set(c, i));
    const similarity = new Map<Candidate, number>();
    for (const sessionId of allowed) {
      for (const block of this.topicBlocks(sessionId)) {
        const v = semantic.blockVector(sessionId, block);
        if (v) similarity.set(candidate(sessionId, block.index), dot(semantic.vector, v));
      }
    }
    const semanticRank = new Map<Candidate, number>();
    [...similarity.entries()].sort((a, b) => b[1] - a[1]).forEach(([c], i) => semanticRank.set(c, i));
    const weight = semantic.weight ?? 1;
    const all = new Set([...lexical, ...similarity.keys()]);
    for (const c of all) c.words = lexicalRank.has(c) ? c.score : 0;
    for (const c of all) {
      const l = lexicalRank.get(c);
      const s = semanticRank.get(c);
      c.score = (l === undefined ? 0 : 1 / (RRF_K + l + 1)) + (s === undefined ? 0 : weight / (RRF_K + s + 1));
    }
    return [...all];
  }

  /**
   * A meeting's topical blocks, with the text an embedding model is given for each (speaker: text, a line each) and its
   * key. Made once per version of the meeting: every search with a meaning model reads them all.
   */
  topicBlocks(sessionId: string): readonly TopicBlock[] {
    const record = this.meetings.get(sessionId);
    if (!record || record.dictation) return [];
    this.textIndex();
    const shape = this.shapes.get(sessionId)!;
    shape.topics ??= shape.blocks.map(({ from, to }, index) => {
      const text = record.segments.slice(from, to + 1).map((s) => (s.speaker ? `${s.speaker}: ${s.text}` : s.text)).join('\n');
      return { index, from, to, text, key: crypto.createHash('sha256').update(text).digest('base64') };
    });
    return shape.topics;
  }

  private searchable(): MeetingRecord[] {
    return [...this.meetings.values()].filter((m) => !m.dictation);
  }

  /** The full-text index, with every meeting put since the last ranking request added to it. */
  private textIndex(): MiniSearch<IndexedDoc> {
    this.text ??= new MiniSearch<IndexedDoc>({
      fields: ['text', 'speaker'],
      storeFields: ['sessionId', 'kind', 'segment', 'itemId', 'speaker'],
      processTerm: indexTerm,
    });
    this.blockText ??= new MiniSearch({ fields: ['text'], storeFields: ['sessionId', 'block'], processTerm: indexTerm });
    this.meetingText ??= new MiniSearch({ fields: ['text'], storeFields: ['sessionId'], processTerm: indexTerm });
    for (const sessionId of this.unindexed) {
      const record = this.meetings.get(sessionId)!;
      if (record.dictation) continue;
      const docs = documentsOf(record);
      this.text.addAll(docs);
      this.docIds.set(sessionId, docs.map((d) => d.id));
      const shape = shapeOf(record);
      this.shapes.set(sessionId, shape);
      // A block's words are its lines' and those of the notes entries that came from them.
      const blockWords = shape.blocks.map(() => [] as string[]);
      for (const d of docs) if (d.segment >= 0) blockWords[shape.blockOf[d.segment]].push(d.text);
      const blocks = blockWords.map((w, block) => ({ id: `${sessionId}\u0000b${block}`, sessionId, block, text: w.join('\n') }));
      shape.blockTerms = blocks.map((b) => termCounts(b.text));
      for (const words of shape.blockTerms) for (const t of words.keys()) this.blockDf.set(t, (this.blockDf.get(t) ?? 0) + 1);
      this.blockText.addAll(blocks);
      this.blockIds.set(sessionId, blocks.map((b) => b.id));
      this.meetingText.add({ id: `${sessionId}\u0000m`, sessionId, text: docs.map((d) => d.text).join('\n') });
    }
    this.unindexed.clear();
    return this.text;
  }

  private itemText(record: MeetingRecord, doc: IndexedDoc): string {
    if (doc.kind === 'summary') return record.summary?.[Number(doc.itemId!.slice('summary-'.length))]?.text ?? '';
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
    return growPassage(segs, hit, from, to);
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
  // A summary point leads to the first segment it cites that the meeting still has.
  (record.summary ?? []).forEach((point, i) => {
    const segment = point.segmentIds.map((id) => bySegmentId.get(id)).find((x) => x !== undefined) ?? -1;
    docs.push({ id: `${sessionId}\u0000p${i}`, sessionId, kind: 'summary', segment, itemId: `summary-${i}`, text: point.text, speaker: '' });
  });
  return docs;
}

/** A meeting's topical blocks (over its segments' terms) and its speakers' names (segments' and owners'). */
function shapeOf(record: MeetingRecord): MeetingShape {
  const { blocks, blockOf } = topicBlocksOf(record.segments);
  const labels = new Set<string>(record.segments.map((s) => s.speaker));
  for (const item of record.actionItems) if (item.owner) labels.add(item.owner);
  return { blocks, blockOf, names: speakerNameKeys(labels), blockTerms: [] };
}

/** A meeting's topical blocks (segment indexes from..to) and the block of each segment, cut as memory ranks them. */
export function topicBlocksOf(segments: readonly MemorySegment[]): { blocks: { from: number; to: number }[]; blockOf: Int32Array } {
  const starts = topicBlockStarts(segments.map((s) => tokenize(s.text).flatMap((w) => indexTerm(w) ?? [])), DEFAULT_TILING);
  const n = segments.length;
  const blocks = starts.map((from, i) => ({ from, to: (i + 1 < starts.length ? starts[i + 1] : n) - 1 }));
  const blockOf = new Int32Array(n);
  blocks.forEach(({ from, to }, b) => blockOf.fill(b, from, to + 1));
  return { blocks, blockOf };
}

/** The question's candidates with the feedback words' ranking added, `weight` times its score (a block only they found joins). */
function interpolate(question: Candidate[], added: Candidate[], weight: number): Candidate[] {
  const key = (c: Candidate) => (c.block >= 0 ? `${c.sessionId}\u0000${c.block}` : `${c.sessionId}\u0000x${c.best!.id}`);
  const byKey = new Map(question.map((c) => [key(c), c]));
  for (const c of added) {
    const mine = byKey.get(key(c));
    if (mine) mine.score += weight * c.score;
    else byKey.set(key(c), { ...c, score: weight * c.score });
  }
  return [...byKey.values()];
}

/**
 * A hit's text, cut to MEMORY_HIT_LINE_MAX_CHARS around the first word of the question it holds (from its start when
 * none): growPassage bounds the lines around a hit, but the hit's own line is always in, and a transcript whose lines
 * are whole turns (`ask --over`) may hold one of megabytes, which came back whole, twice (security review 2, S10).
 */
export function hitText(text: string, query: string): string {
  if (text.length <= MEMORY_HIT_LINE_MAX_CHARS) return text;
  let at = text.length;
  for (const term of queryTerms(query).keys()) {
    const found = new RegExp(term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'iu').exec(text)?.index;
    if (found !== undefined && found < at) at = found;
  }
  return cutAround(text, at === text.length ? 0 : at, MEMORY_HIT_LINE_MAX_CHARS);
}

/**
 * Lines `hit` and around it within [from, to], grown one line each side in turn from the hit, cut to
 * MEMORY_PASSAGE_MAX_LINES lines and MEMORY_PASSAGE_MAX_CHARS characters (the hit always in).
 */
export function growPassage(segs: readonly MemorySegment[], hit: number, from: number, to: number): [number, number] {
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

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) s += a[i] * b[i];
  return s;
}

/** The day (YYYY-MM-DD) a meeting started in this machine's time zone; an unparsable start, its first ten characters. */
export function startDay(startedAt: string): string {
  const instant = Date.parse(startedAt);
  return Number.isNaN(instant) ? String(startedAt).slice(0, 10) : isoDate(new Date(instant));
}

/**
 * Whether an ISO start time lies in [since, until]. A date-only bound compares the day the meeting started in this
 * machine's time zone (the daemon runs where the user is; "last week" and `--since` are the user's days, while
 * startedAt is stored in UTC), and until's whole day counts. An unknown start ('' or not a string: a header the daemon
 * did not write) lies in no bounded range.
 */
export function inRange(startedAt: string, since?: string, until?: string): boolean {
  const start = typeof startedAt === 'string' ? startedAt : '';
  if (!start) return !since && !until;
  const instant = Date.parse(start);
  const day = startDay(start);
  // Negative: the meeting started before the bound; a bound with a time compares instants.
  const versus = (bound: string) => {
    const other = Date.parse(bound);
    if (bound.length > 10 && !Number.isNaN(instant) && !Number.isNaN(other)) return instant - other;
    const mine = bound.length <= 10 ? day.slice(0, bound.length) : start;
    return mine < bound ? -1 : mine > bound ? 1 : 0;
  };
  return !(since && versus(since) < 0) && !(until && versus(until) > 0);
}

/** Newest first; an unknown start sorts last. */
export function newestFirst(a: MemoryMeeting, b: MemoryMeeting): number {
  return startOf(b).localeCompare(startOf(a)) || String(a.sessionId).localeCompare(String(b.sessionId));
}

function startOf(m: MemoryMeeting): string {
  return typeof m.startedAt === 'string' ? m.startedAt : '';
}
