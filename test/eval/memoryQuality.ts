/**
 * Meeting memory on QMSum (test/fixtures/qmsum-memory, train and val only): each specific query asked over its own
 * meeting and over all the fixture's meetings at once, scored against the query's annotated relevant_text_span.
 *
 *   hit@1, hit@5   a line of the top 1 / top 5 passages lies inside an annotated span (and, over all meetings, the
 *                  passage is from the query's meeting)
 *   span recall    the fraction of the span's turns that the top-5 passages' lines cover
 *   lines          lines cited per question (the top-5 passages), so that recall is read beside its cost
 *   ms             time per question (percentiles; machine-dependent)
 *
 * Owns the scoring. Used by memory-eval.ts (the report) and test/unit/memory-quality.test.ts (the CI floor).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import MiniSearch from 'minisearch';
import { MemoryPassage, MemorySearchParams } from '../../protocol/protocol';
import { ASK_SYSTEM, askUserPrompt } from '../../daemon/memory/askPrompt';
import { growPassage, MeetingRecord, MemoryIndex, RankingOptions, SemanticQuery } from '../../daemon/memory/memoryIndex';
import { indexTerm, queryTerms } from '../../daemon/memory/terms';

const turnOf = (segmentId: string) => Number(segmentId);

export const QMSUM_MEMORY_DIR = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'qmsum-memory');

export interface QmsumMeeting {
  id: string;
  domain: 'Academic' | 'Product' | 'Committee';
  split: 'train' | 'val';
  /** [speaker, text] per QMSum turn (the index is the turn number the spans use). */
  turns: [string, string][];
  queries: { query: string; answer: string; spans: [number, number][] }[];
}

export function loadQmsum(split?: 'train' | 'val'): QmsumMeeting[] {
  const all = JSON.parse(fs.readFileSync(path.join(QMSUM_MEMORY_DIR, 'meetings.json'), 'utf8')) as QmsumMeeting[];
  return split ? all.filter((m) => m.split === split) : all;
}

/** A meeting as memory indexes it: one segment per non-empty turn, its id the turn number, a minute per turn as time. */
export function meetingRecord(m: QmsumMeeting): MeetingRecord {
  return {
    meeting: { sessionId: m.id, title: m.id, startedAt: '2020-01-01T09:00:00Z', notesPath: '', durationSec: null },
    segments: m.turns.flatMap(([speaker, text], i) => (text ? [{ segmentId: String(i), speaker, t0: i, t1: i + 1, text }] : [])),
    actionItems: [],
    decisions: [],
  };
}

export interface Figures {
  questions: number;
  hit1: number;
  hit5: number;
  recall: number;
  lines: number;
  msP50: number;
  msP95: number;
}

export interface QueryOutcome {
  meeting: string;
  query: number;
  own: MemoryPassage[];
  all: MemoryPassage[];
}

/** The recorded model answers for the val queries (README, "model-answers/"). */
export const QMSUM_MODEL_ANSWERS_DIR = path.join(QMSUM_MEMORY_DIR, 'model-answers');

/**
 * The prompt `earshot ask --llm-endpoint` would send for a query, given its passages over all meetings (numbered in
 * order: line n of the prompt is `lines[n - 1]`), and its sha256 (what a recorded answer is stored beside).
 */
export function answerPrompt(m: QmsumMeeting, o: QueryOutcome): { text: string; sha256: string; lines: { sessionId: string; turn: number }[] } {
  const flat = o.all.flatMap((p) => p.lines.map((l) => ({ p, l })));
  const text = `${ASK_SYSTEM}\n\n${askUserPrompt(m.queries[o.query].query, flat.map(({ p, l }) => ({ meeting: p.meeting.title, t0: l.t0, speaker: l.speaker, text: l.text })))}\n`;
  return {
    text,
    sha256: crypto.createHash('sha256').update(text).digest('hex'),
    lines: flat.map(({ p, l }) => ({ sessionId: p.meeting.sessionId, turn: turnOf(l.segmentId) })),
  };
}

/** The [n] line numbers an answer cites (`[3]`, `[3, 5]`, `[3][4]`). */
export function citedLines(answer: string): number[] {
  const out: number[] = [];
  for (const m of answer.matchAll(/\[(\d+(?:\s*,\s*\d+)*)\]/g)) for (const n of m[1].split(',')) out.push(Number(n));
  return out;
}


function score(meeting: QmsumMeeting, spans: [number, number][], passages: MemoryPassage[]): { hit1: number; hit5: number; recall: number; lines: number } {
  const inSpan = (t: number) => spans.some(([a, b]) => t >= a && t <= b);
  const hits = passages.map((p) => p.meeting.sessionId === meeting.id && p.lines.some((l) => inSpan(turnOf(l.segmentId))));
  const wanted = new Set<number>();
  for (const [a, b] of spans) for (let t = a; t <= b; t++) if (meeting.turns[t]?.[1]) wanted.add(t);
  const covered = new Set<number>();
  for (const p of passages.slice(0, 5)) if (p.meeting.sessionId === meeting.id) for (const l of p.lines) if (wanted.has(turnOf(l.segmentId))) covered.add(turnOf(l.segmentId));
  return {
    hit1: hits[0] ? 1 : 0, hit5: hits.slice(0, 5).some(Boolean) ? 1 : 0, recall: wanted.size ? covered.size / wanted.size : 0,
    lines: passages.slice(0, 5).reduce((n, p) => n + p.lines.length, 0),
  };
}

/** Per question: its scores over its own meeting and over all meetings, and the time each search took. */
export interface QueryRow {
  meeting: string;
  own: { hit1: number; hit5: number; recall: number; lines: number; ms: number };
  all: { hit1: number; hit5: number; recall: number; lines: number; ms: number };
}

function percentile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0;
}

export function summarize(rows: { hit1: number; hit5: number; recall: number; lines: number; ms: number }[]): Figures {
  const n = rows.length || 1;
  const mean = (k: 'hit1' | 'hit5' | 'recall' | 'lines') => rows.reduce((s, r) => s + r[k], 0) / n;
  const ms = rows.map((r) => r.ms).sort((a, b) => a - b);
  return { questions: rows.length, hit1: mean('hit1'), hit5: mean('hit5'), recall: mean('recall'), lines: mean('lines'), msP50: percentile(ms, 0.5), msP95: percentile(ms, 0.95) };
}

/** What answers a question: memory's index, or the issue-31 baseline. */
export interface Searcher {
  search(params: MemorySearchParams, semantic?: SemanticQuery): MemoryPassage[];
}

/** Memory's index (the daemon's ranking with `ranking`) over these meetings. */
export function memoryIndexOf(indexed: QmsumMeeting[], ranking?: RankingOptions): MemoryIndex {
  const index = new MemoryIndex(ranking);
  for (const m of indexed) index.put(meetingRecord(m));
  return index;
}

/**
 * The baseline: plain BM25 over lines as issue 31 shipped it (MiniSearch's BM25+ k1 1.2, b 0.9, d 0.5, prefix from 5
 * letters, the speaker's name at 0.5; each hit's turn and one segment each side), what the independent check compared
 * against. No topical blocks, no meeting score, no speaker detection.
 */
export function linesBaseline(indexed: QmsumMeeting[]): Searcher {
  type Doc = { id: number; meeting: number; segment: number; text: string; speaker: string };
  const records = indexed.map(meetingRecord);
  const docs: Doc[] = records.flatMap((r, meeting) => r.segments.map((s, segment) => ({ id: 0, meeting, segment, text: s.text, speaker: s.speaker })));
  docs.forEach((d, i) => (d.id = i));
  const text = new MiniSearch<Doc>({ fields: ['text', 'speaker'], storeFields: ['meeting', 'segment'], processTerm: indexTerm });
  text.addAll(docs);
  return {
    search(params) {
      const only = params.sessionIds ? new Set(params.sessionIds) : undefined;
      const terms = queryTerms(params.query);
      const results = text.search([...terms.keys()].join(' '), {
        filter: (r) => !only || only.has(records[r.meeting as number].meeting.sessionId),
        boost: { text: 1, speaker: 0.5 }, boostTerm: (t) => terms.get(t) ?? 1, bm25: { k: 1.2, b: 0.9, d: 0.5 },
        prefix: (t) => t.length >= 5, combineWith: 'OR',
      }).sort((a, b) => b.score - a.score || records[a.meeting as number].meeting.sessionId.localeCompare(records[b.meeting as number].meeting.sessionId)
        || (a.segment as number) - (b.segment as number));
      const out: MemoryPassage[] = [];
      const seen = new Map<number, Set<number>>();
      for (const r of results) {
        if (out.length >= (params.limit ?? 5)) break;
        const record = records[r.meeting as number];
        const hit = r.segment as number;
        const covered = seen.get(r.meeting as number) ?? new Set<number>();
        seen.set(r.meeting as number, covered);
        if (covered.has(hit)) continue;
        const segs = record.segments;
        let [from, to] = [hit, hit];
        while (from > 0 && segs[from - 1].speaker === segs[hit].speaker) from--;
        while (to < segs.length - 1 && segs[to + 1].speaker === segs[hit].speaker) to++;
        [from, to] = growPassage(segs, hit, Math.max(0, from - 1), Math.min(segs.length - 1, to + 1));
        const lines = [];
        for (let i = from; i <= to; i++) {
          if (covered.has(i)) continue;
          covered.add(i);
          lines.push({ segmentId: segs[i].segmentId, index: i + 1, speaker: segs[i].speaker, t0: segs[i].t0, t1: segs[i].t1, text: segs[i].text, hit: i === hit });
        }
        out.push({ meeting: record.meeting, score: r.score, hit: { kind: 'segment', id: segs[hit].segmentId, text: segs[hit].text }, lines });
      }
      return out;
    },
  };
}

/**
 * Asks every query of `queried` over its own meeting and over every meeting `searcher` holds (one index, as a user's
 * storage is; it must hold `queried`). `neighbours`: the fixed window (undefined: topical passages, the default).
 * `semantic`: an embedding model's view of each question (memory-eval --embed).
 */
export function evaluate(queried: QmsumMeeting[], searcher: Searcher, neighbours?: number, onOutcome?: (o: QueryOutcome) => void,
  semantic?: (query: string) => SemanticQuery | undefined): { own: Figures; all: Figures; rows: QueryRow[] } {
  const rows: QueryRow[] = [];
  const window = neighbours === undefined ? {} : { neighbours };
  for (const m of queried) {
    m.queries.forEach((q, i) => {
      const s = semantic?.(q.query);
      let start = process.hrtime.bigint();
      const ownPassages = searcher.search({ query: q.query, limit: 5, ...window, sessionIds: [m.id] }, s);
      const own = { ...score(m, q.spans, ownPassages), ms: Number(process.hrtime.bigint() - start) / 1e6 };
      start = process.hrtime.bigint();
      const allPassages = searcher.search({ query: q.query, limit: 5, ...window }, s);
      const all = { ...score(m, q.spans, allPassages), ms: Number(process.hrtime.bigint() - start) / 1e6 };
      rows.push({ meeting: m.id, own, all });
      onOutcome?.({ meeting: m.id, query: i, own: ownPassages, all: allPassages });
    });
  }
  return { own: summarize(rows.map((r) => r.own)), all: summarize(rows.map((r) => r.all)), rows };
}
