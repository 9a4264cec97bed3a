/**
 * Pooled, blind relevance judgements for meeting memory (issue 40; test/fixtures/qmsum-memory/adjudicated/README.md).
 *
 * QMSum marks one stretch of one meeting per question. Over all 38 meetings that is not the whole truth: "What did the
 * group discuss about the component design of the remote control?" names no meeting, and every AMI team designed the
 * same remote; and a meeting often comes back to a subject outside its annotated span. So, as retrieval evaluations
 * do, the passages the rankings return are pooled per question (the shipped ranking's top 5 over all meetings and
 * over the question's own meeting, and issue 31's BM25 lines over all meetings), shuffled, shown without their rank or
 * source, and judged from the question alone: does this passage hold what the question asks? Two controls go in
 * with them, unmarked: the annotated span's own lines (what a judge should accept) and a stretch of the same meeting
 * chosen at random away from the span and the pool (what a judge should mostly reject).
 *
 * The figures it reports beside the strict ones (BENCHMARKS.md):
 *   own meeting, judged   a passage counts if it is from the question's meeting and lies in a span or was judged to
 *                         answer: the span's incompleteness corrected, the meeting still required
 *   any meeting, judged   a passage counts if it lies in a span or was judged to answer, whatever its meeting: what a
 *                         user gets from a question that names no meeting
 *
 *   node out/test/eval/memory-adjudication.js --make DIR [--set train]
 *                                                               writes DIR/Q<nn>.ask.md per val question (T<nnn> per
 *                                                               train question), DIR/keys/<meeting>.<n>.pool.json and
 *                                                               the blind names (the sources: keep them from the judges)
 *   node out/test/eval/memory-adjudication.js --install JUDGED --keys KEYS --to DIR [--no-pools]
 *                                                               stores judges' Q<nn>.judgements.txt under their
 *                                                               questions' names (<meeting>.<n>.judgements.txt), with
 *                                                               the pools (first judging: the fixture; a second judging
 *                                                               goes to check/ with --no-pools)
 *   node out/test/eval/memory-adjudication.js --extend DIR --set S --caps 3,2
 *                                                               asks for the passages that rankings with at most 3 (2)
 *                                                               passages per meeting return and the pools lack, each
 *                                                               question's with its pool's two controls (X<nnn>, V<nnn>)
 *   node out/test/eval/memory-adjudication.js --install-extension JUDGED --keys KEYS
 *                                                               adds them to the pools and judgements (`topical-diverse`),
 *                                                               the controls' verdicts to extension-controls/
 *   node out/test/eval/memory-adjudication.js                   scores the stored judgements (and the second judgings'
 *                                                               agreement with them: check/ for val, check-train/)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { MemoryPassage } from '../../protocol/protocol';
import { DEFAULT_RANKING, RankingOptions } from '../../daemon/memory/memoryIndex';
import { CHAT_PASSAGES, NARROW_MEETINGS } from '../../extension/memory/query';
import { kappa } from './adjudication';
import { flagValue } from './notes-eval';
import { linesBaseline, loadQmsum, memoryIndexOf, QMSUM_MEMORY_DIR, QmsumMeeting, Searcher } from './memoryQuality';

export const MEMORY_ADJUDICATED_DIR = path.join(QMSUM_MEMORY_DIR, 'adjudicated');

/** Where a pooled passage came from (hidden from the judges). */
export type PoolSource = 'topical-all' | 'topical-own' | 'lines-all' | 'span' | 'control' | 'topical-diverse';

export interface PooledPassage {
  /** P1…, in the order the judge sees them (shuffled). */
  id: string;
  meeting: string;
  /** QMSum turn numbers, in order. */
  turns: number[];
  sources: PoolSource[];
}

export type Relevance = 'answers' | 'topic' | 'no';
export const RELEVANCE: readonly Relevance[] = ['answers', 'topic', 'no'];

const SPAN_LINES = 12;
const CONTROL_LINES = 9;

const keyOf = (meeting: string, turns: readonly number[]) => `${meeting}:${turns.join(',')}`;
const turnsOf = (p: MemoryPassage) => p.lines.map((l) => Number(l.segmentId));

/** A seeded generator (mulberry32), so the pool's order and its control are the same on every run. */
function seeded(text: string): () => number {
  let a = createHash('sha256').update(text).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The ranking the first pools were made with: the shipped one before it limited passages per meeting. */
export const POOL_RANKING: RankingOptions = { ...DEFAULT_RANKING, perMeeting: 0 };

/**
 * Limits on passages per meeting (RankingOptions.perMeeting) whose top 5 over all meetings were judged after the first
 * pools, per split (`--extend`): their passages the pool lacked were added to it as `topical-diverse`.
 */
export const JUDGED_CAPS: Record<'train' | 'val', readonly number[]> = { train: [3, 2], val: [2] };

/**
 * The rankings whose top 5 are pooled: the first pools' and issue 31's baseline, over one index of all meetings; and,
 * made when asked, the same ranking with at most `cap` passages per meeting.
 */
export interface Rankings { topical: Searcher; lines: Searcher; capped(cap: number): Searcher }

export function rankingsOf(all: QmsumMeeting[]): Rankings {
  const capped = new Map<number, Searcher>();
  return {
    topical: memoryIndexOf(all, POOL_RANKING),
    lines: linesBaseline(all),
    capped(cap) {
      if (!capped.has(cap)) capped.set(cap, memoryIndexOf(all, { ...POOL_RANKING, perMeeting: cap }));
      return capped.get(cap)!;
    },
  };
}

/** What each ranking returns for a question: the passages the figures score. */
export function rankedFor(r: Rankings, m: QmsumMeeting, query: string): Record<'topical-all' | 'topical-own' | 'lines-all', MemoryPassage[]> {
  return {
    'topical-all': r.topical.search({ query, limit: 5 }),
    'topical-own': r.topical.search({ query, limit: 5, sessionIds: [m.id] }),
    'lines-all': r.lines.search({ query, limit: 5 }),
  };
}

/** A question's pool: the rankings' passages (one entry per meeting and lines), the span's lines and a control. */
export function poolOf(m: QmsumMeeting, n: number, ranked: ReturnType<typeof rankedFor>): PooledPassage[] {
  const q = m.queries[n];
  const entries = new Map<string, Omit<PooledPassage, 'id'>>();
  const add = (meeting: string, turns: number[], source: PoolSource) => {
    const key = keyOf(meeting, turns);
    const e = entries.get(key) ?? { meeting, turns, sources: [] };
    if (!e.sources.includes(source)) e.sources.push(source);
    entries.set(key, e);
  };
  for (const source of ['topical-all', 'topical-own', 'lines-all'] as const) for (const p of ranked[source]) add(p.meeting.sessionId, turnsOf(p), source);
  const spoken = (t: number) => !!m.turns[t]?.[1];
  const [a, b] = q.spans[0];
  const span: number[] = [];
  for (let t = a; t <= b && span.length < SPAN_LINES; t++) if (spoken(t)) span.push(t);
  if (span.length) add(m.id, span, 'span');
  // The control: CONTROL_LINES spoken turns of the same meeting touching no span and no pooled passage of it.
  const taken = new Set<number>();
  for (const [x, y] of q.spans) for (let t = x; t <= y; t++) taken.add(t);
  for (const e of entries.values()) if (e.meeting === m.id) for (const t of e.turns) taken.add(t);
  const random = seeded(`${m.id}/${n}`);
  const starts = m.turns.map((_, t) => t).filter((t) => {
    const run: number[] = [];
    for (let u = t; u < m.turns.length && run.length < CONTROL_LINES; u++) {
      if (taken.has(u)) return false;
      if (spoken(u)) run.push(u);
    }
    return run.length === CONTROL_LINES;
  });
  if (starts.length) {
    const control: number[] = [];
    for (let u = starts[Math.floor(random() * starts.length)]; control.length < CONTROL_LINES; u++) if (spoken(u)) control.push(u);
    add(m.id, control, 'control');
  }
  const list = [...entries.values()];
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list.map((e, i) => ({ id: `P${i + 1}`, ...e }));
}

/** What a judge reads: the question, then each passage with its meeting's name and its numbered lines. */
export function askText(all: QmsumMeeting[], m: QmsumMeeting, n: number, pool: PooledPassage[]): string {
  const byId = new Map(all.map((x) => [x.id, x]));
  const out = [`# ${pool.length} passages`, '', `**Question:** ${m.queries[n].query}`, ''];
  for (const p of pool) {
    out.push(`## ${p.id} (meeting ${p.meeting})`, '');
    const turns = byId.get(p.meeting)!.turns;
    for (const t of p.turns) out.push(`[${t}] ${turns[t][0]}: ${turns[t][1]}`);
    out.push('');
  }
  return out.join('\n');
}

/** Reads `P<k>: answers|topic|no`, one line per passage, every passage once. */
export function parseJudgements(text: string, pool: readonly PooledPassage[], file: string): Map<string, Relevance> {
  const out = new Map<string, Relevance>();
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const m = /^(P\d+):\s*(answers|topic|no)$/.exec(line);
    if (!m) throw new Error(`${file}: cannot read "${line}" (expected P<k>: answers | topic | no)`);
    if (!pool.some((p) => p.id === m[1])) throw new Error(`${file}: ${m[1]} is not in the pool`);
    if (out.has(m[1])) throw new Error(`${file}: ${m[1]} judged twice`);
    out.set(m[1], m[2] as Relevance);
  }
  const missing = pool.filter((p) => !out.has(p.id)).map((p) => p.id);
  if (missing.length) throw new Error(`${file}: no judgement for ${missing.join(', ')}`);
  return out;
}

export interface JudgedQuestion {
  meeting: string;
  query: number;
  pool: PooledPassage[];
  judged: Map<string, Relevance>;
}

const questionName = (meeting: string, n: number) => `${meeting}.${n}`;

/**
 * The stored pools and judgements of `set` (the judgements from `dir`, by default the fixture's). A second judging
 * (another `dir`) judged the first pools only: the passages added to them later (`topical-diverse`) are left out.
 */
export function loadJudged(set: QmsumMeeting[], dir = MEMORY_ADJUDICATED_DIR, firstPoolOnly = dir !== MEMORY_ADJUDICATED_DIR): JudgedQuestion[] {
  return set.flatMap((m) => m.queries.map((_, n) => {
    const name = questionName(m.id, n);
    const stored = JSON.parse(fs.readFileSync(path.join(MEMORY_ADJUDICATED_DIR, `${name}.pool.json`), 'utf8')) as PooledPassage[];
    const pool = firstPoolOnly ? stored.filter((p) => !p.sources.includes('topical-diverse')) : stored;
    const file = path.join(dir, `${name}.judgements.txt`);
    return { meeting: m.id, query: n, pool, judged: parseJudgements(fs.readFileSync(file, 'utf8'), pool, file) };
  }));
}

export interface JudgedFigures {
  questions: number;
  /** Passages a ranking returned that the pool does not hold (the ranking changed since): must be 0. */
  unjudged: number;
  strict: { hit1: number; hit5: number };
  ownJudged: { hit1: number; hit5: number };
  anyJudged: { hit1: number; hit5: number };
}

/** A ranking's figures on the judged questions: strict (QMSum's spans), own meeting judged, any meeting judged. */
export function judgedFigures(set: QmsumMeeting[], judged: JudgedQuestion[], passagesOf: (m: QmsumMeeting, query: string) => MemoryPassage[], followUp = false): JudgedFigures {
  const sums = { strict: [0, 0], own: [0, 0], any: [0, 0] };
  let unjudged = 0;
  for (const j of judged) {
    const m = set.find((x) => x.id === j.meeting)!;
    const q = m.queries[j.query];
    const byKey = new Map(j.pool.map((p) => [keyOf(p.meeting, p.turns), j.judged.get(p.id)]));
    const inSpan = (p: MemoryPassage) => p.meeting.sessionId === m.id && turnsOf(p).some((t) => q.spans.some(([a, b]) => t >= a && t <= b));
    // With a follow-up, passagesOf gives the first answer's 5 and then the follow-up's 5: either may hold the hit
    // (hit@1: the first passage of either).
    const listed = passagesOf(m, q.query);
    const shown = followUp ? listed.slice(0, 10) : listed.slice(0, 5);
    const marks = shown.map((p) => {
      const verdict = byKey.get(keyOf(p.meeting.sessionId, turnsOf(p)));
      if (!verdict) unjudged++;
      const span = inSpan(p);
      return { strict: span, own: span || (p.meeting.sessionId === m.id && verdict === 'answers'), any: span || verdict === 'answers' };
    });
    for (const k of ['strict', 'own', 'any'] as const) {
      if (marks[0]?.[k] || (followUp && marks[5]?.[k])) sums[k][0]++;
      if (marks.some((x) => x[k])) sums[k][1]++;
    }
  }
  const n = judged.length || 1;
  const pair = ([h1, h5]: number[]) => ({ hit1: h1 / n, hit5: h5 / n });
  return { questions: judged.length, unjudged, strict: pair(sums.strict), ownJudged: pair(sums.own), anyJudged: pair(sums.any) };
}

/** The follow-up's passages for a question: the first answer's 5, then, when offered the asker's meeting, its 5. */
export function withFollowUp(rankings: Rankings, m: QmsumMeeting, query: string): MemoryPassage[] {
  const ranked = rankedFor(rankings, m, query);
  const offered = [...new Set(rankings.topical.search({ query, limit: CHAT_PASSAGES }).map((p) => p.meeting.sessionId))];
  return offered.length > 1 && offered.slice(0, NARROW_MEETINGS).includes(m.id) ? [...ranked['topical-all'], ...ranked['topical-own']] : ranked['topical-all'];
}

/** Strict hit@1 / hit@5 (QMSum's spans only) of the first answer and with the follow-up, where nothing is judged (train). */
export function strictWithFollowUp(set: QmsumMeeting[], rankings: Rankings): { questions: number; first: [number, number]; followed: [number, number] } {
  const first: [number, number] = [0, 0], followed: [number, number] = [0, 0];
  let questions = 0;
  for (const m of set) {
    for (const q of m.queries) {
      questions++;
      const hit = (p?: MemoryPassage) => !!p && p.meeting.sessionId === m.id && turnsOf(p).some((t) => q.spans.some(([a, b]) => t >= a && t <= b));
      const list = withFollowUp(rankings, m, q.query);
      first[0] += +hit(list[0]);
      first[1] += +list.slice(0, 5).some(hit);
      followed[0] += +(hit(list[0]) || hit(list[5]));
      followed[1] += +list.some(hit);
    }
  }
  return { questions, first: [first[0] / questions, first[1] / questions], followed: [followed[0] / questions, followed[1] / questions] };
}

/** Two judgings of the same pools (b's: a may have judged more): agreement on the three verdicts, and Cohen's kappa on "answers" against the rest. */
export function agreement(a: JudgedQuestion[], b: JudgedQuestion[]): { passages: number; same: number; kappa: number } {
  let passages = 0, same = 0;
  const tally = { both: 0, firstOnly: 0, checkOnly: 0, neither: 0 };
  for (const x of a) {
    const y = b.find((j) => j.meeting === x.meeting && j.query === x.query)!;
    for (const p of y.pool) {
      const [va, vb] = [x.judged.get(p.id), y.judged.get(p.id)];
      passages++;
      if (va === vb) same++;
      tally[va === 'answers' ? (vb === 'answers' ? 'both' : 'firstOnly') : (vb === 'answers' ? 'checkOnly' : 'neither')]++;
    }
  }
  return { passages, same, kappa: kappa(tally) };
}

/** How each source's passages were judged (the controls' and spans' rates say how the judges read). */
export function bySource(judged: JudgedQuestion[]): Map<PoolSource | 'other meeting', Record<Relevance, number>> {
  const out = new Map<PoolSource | 'other meeting', Record<Relevance, number>>();
  const bump = (k: PoolSource | 'other meeting', v: Relevance) => {
    const r = out.get(k) ?? { answers: 0, topic: 0, no: 0 };
    r[v]++;
    out.set(k, r);
  };
  for (const j of judged) {
    for (const p of j.pool) {
      const v = j.judged.get(p.id)!;
      for (const s of p.sources) bump(s, v);
      if (p.meeting !== j.meeting) bump('other meeting', v);
    }
  }
  return out;
}

/** The blind names of a split's questions: Q01… for val, T001… for train, each in its own seeded order. */
const BLIND = { val: { prefix: 'Q', digits: 2, seed: 'memory-adjudication', file: 'blind.json' }, train: { prefix: 'T', digits: 3, seed: 'memory-adjudication/train', file: 'blind-train.json' } } as const;

function make(dir: string, split: 'train' | 'val'): void {
  const all = loadQmsum();
  const set = all.filter((m) => m.split === split);
  const rankings = rankingsOf(all);
  fs.mkdirSync(path.join(dir, 'keys'), { recursive: true });
  // The judges see Q01…, in a seeded order: neither a file's name nor its place says which meeting asked.
  const { prefix, digits, seed, file } = BLIND[split];
  const names = set.flatMap((m) => m.queries.map((_, n) => questionName(m.id, n)));
  const random = seeded(seed);
  const order = names.map((name) => ({ name, r: random() })).sort((x, y) => x.r - y.r).map((x) => x.name);
  const blind: Record<string, string> = {};
  let passages = 0;
  for (const m of set) {
    m.queries.forEach((q, n) => {
      const pool = poolOf(m, n, rankedFor(rankings, m, q.query));
      passages += pool.length;
      const ask = `${prefix}${String(order.indexOf(questionName(m.id, n)) + 1).padStart(digits, '0')}`;
      blind[ask] = questionName(m.id, n);
      fs.writeFileSync(path.join(dir, `${ask}.ask.md`), askText(all, m, n, pool));
      fs.writeFileSync(path.join(dir, 'keys', `${questionName(m.id, n)}.pool.json`), `${JSON.stringify(pool, null, 1)}\n`);
    });
  }
  fs.writeFileSync(path.join(dir, 'keys', file), `${JSON.stringify(blind, null, 1)}\n`);
  console.log(`Wrote ${names.length} ${split} questions, ${passages} passages, under ${dir} (move ${dir}/keys away from the judges)`);
}

/**
 * The limit on passages per meeting the train judgements choose, fixed before they were made: the highest sum of own-
 * and any-meeting judged hit@5 over all meetings (hit@1 cannot change: the best passage always leads), among no limit
 * and JUDGED_CAPS.train in that order, the earlier (the smaller change) on a tie. 0: no limit.
 */
export function chooseCap(train: QmsumMeeting[], judged: JudgedQuestion[], rankings: Rankings): number {
  let best = { cap: 0, sum: -1 };
  for (const cap of [0, ...JUDGED_CAPS.train]) {
    const searcher = cap ? rankings.capped(cap) : rankings.topical;
    const f = judgedFigures(train, judged, (_m, query) => searcher.search({ query, limit: 5 }));
    const sum = f.ownJudged.hit5 + f.anyJudged.hit5;
    if (sum > best.sum + 1e-9) best = { cap, sum };
  }
  return best.cap;
}

/** The passages of the capped rankings' top 5 (over all meetings) that a question's pool lacks, in rank order. */
export function missingFromPool(rankings: Rankings, caps: readonly number[], m: QmsumMeeting, n: number, pool: readonly PooledPassage[]): { meeting: string; turns: number[] }[] {
  const have = new Set(pool.map((p) => keyOf(p.meeting, p.turns)));
  const out: { meeting: string; turns: number[] }[] = [];
  for (const cap of caps) {
    for (const p of rankings.capped(cap).search({ query: m.queries[n].query, limit: 5 })) {
      const key = keyOf(p.meeting.sessionId, turnsOf(p));
      if (have.has(key)) continue;
      have.add(key);
      out.push({ meeting: p.meeting.sessionId, turns: turnsOf(p) });
    }
  }
  return out;
}

/** One passage of an extension's ask file: `ask` is what the judge sees; `pool`, the pool's id of a control re-judged. */
interface ExtensionEntry { ask: string; pool: string | null; meeting: string; turns: number[] }

const EXTENSION_BLIND = { val: { prefix: 'V', seed: 'memory-adjudication/extension/val' }, train: { prefix: 'X', seed: 'memory-adjudication/extension/train' } } as const;

/**
 * Asks for the passages the capped rankings return and the pools lack (`--extend DIR --set S --caps 3,2`). Each
 * question's new passages go with its pool's two controls (the span's lines and the random stretch), shuffled, so a
 * judge cannot tell new from old and the controls say whether this round reads as the first did.
 */
function makeExtension(dir: string, split: 'train' | 'val', caps: number[]): void {
  const all = loadQmsum();
  const set = all.filter((m) => m.split === split);
  const rankings = rankingsOf(all);
  fs.mkdirSync(path.join(dir, 'keys'), { recursive: true });
  const { prefix, seed } = EXTENSION_BLIND[split];
  const asked: { name: string; text: string; entries: ExtensionEntry[] }[] = [];
  let passages = 0;
  for (const m of set) {
    m.queries.forEach((_, n) => {
      const name = questionName(m.id, n);
      const pool = JSON.parse(fs.readFileSync(path.join(MEMORY_ADJUDICATED_DIR, `${name}.pool.json`), 'utf8')) as PooledPassage[];
      const fresh = missingFromPool(rankings, caps, m, n, pool);
      if (!fresh.length) return;
      passages += fresh.length;
      const controls = pool.filter((p) => p.sources.includes('span') || p.sources.includes('control'));
      const list: Omit<ExtensionEntry, 'ask'>[] = [...fresh.map((e) => ({ pool: null, ...e })), ...controls.map((p) => ({ pool: p.id, meeting: p.meeting, turns: p.turns }))];
      const random = seeded(`${name}/extension`);
      for (let i = list.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [list[i], list[j]] = [list[j], list[i]];
      }
      const entries = list.map((e, i) => ({ ask: `P${i + 1}`, ...e }));
      const shown = entries.map((e) => ({ id: e.ask, meeting: e.meeting, turns: e.turns, sources: [] }));
      asked.push({ name, text: askText(all, m, n, shown), entries });
    });
  }
  const random = seeded(seed);
  const order = asked.map((a) => ({ a, r: random() })).sort((x, y) => x.r - y.r).map((x) => x.a);
  const blind: Record<string, string> = {};
  order.forEach((a, i) => {
    const ask = `${prefix}${String(i + 1).padStart(3, '0')}`;
    blind[ask] = a.name;
    fs.writeFileSync(path.join(dir, `${ask}.ask.md`), a.text);
    fs.writeFileSync(path.join(dir, 'keys', `${a.name}.extension.json`), `${JSON.stringify(a.entries, null, 1)}\n`);
  });
  fs.writeFileSync(path.join(dir, 'keys', 'blind-extension.json'), `${JSON.stringify(blind, null, 1)}\n`);
  console.log(`Wrote ${order.length} ${split} questions, ${passages} new passages (caps ${caps.join(', ')}) with their controls, under ${dir} (move ${dir}/keys away from the judges)`);
}

/** Where the controls' verdicts of an extension round are kept (beside the first judging's, which they are checked against). */
export const EXTENSION_CONTROLS_DIR = path.join(MEMORY_ADJUDICATED_DIR, 'extension-controls');

/**
 * Adds an extension round's verdicts to the fixture (`--install-extension JUDGED --keys KEYS`): each new passage is
 * appended to its pool (next id, source `topical-diverse`) and its verdict to the question's judgements; the controls'
 * verdicts go to EXTENSION_CONTROLS_DIR under their pool ids. New passages are added in the order the judge saw them.
 */
function installExtension(judgedDir: string, keys: string): void {
  const blind = JSON.parse(fs.readFileSync(path.join(keys, 'blind-extension.json'), 'utf8')) as Record<string, string>;
  fs.mkdirSync(EXTENSION_CONTROLS_DIR, { recursive: true });
  let added = 0;
  for (const [ask, name] of Object.entries(blind)) {
    const entries = JSON.parse(fs.readFileSync(path.join(keys, `${name}.extension.json`), 'utf8')) as ExtensionEntry[];
    const file = path.join(judgedDir, `${ask}.judgements.txt`);
    const verdicts = parseJudgements(fs.readFileSync(file, 'utf8'), entries.map((e) => ({ id: e.ask, meeting: e.meeting, turns: e.turns, sources: [] })), file);
    const poolFile = path.join(MEMORY_ADJUDICATED_DIR, `${name}.pool.json`);
    const judgementsFile = path.join(MEMORY_ADJUDICATED_DIR, `${name}.judgements.txt`);
    const pool = JSON.parse(fs.readFileSync(poolFile, 'utf8')) as PooledPassage[];
    const have = new Set(pool.map((p) => keyOf(p.meeting, p.turns)));
    const lines: string[] = [];
    const controls: string[] = [];
    for (const e of entries) {
      if (e.pool) {
        controls.push(`${e.pool}: ${verdicts.get(e.ask)}`);
        continue;
      }
      if (have.has(keyOf(e.meeting, e.turns))) throw new Error(`${name}: ${e.meeting} ${e.turns.join(',')} is in the pool already`);
      const id = `P${pool.length + 1}`;
      pool.push({ id, meeting: e.meeting, turns: e.turns, sources: ['topical-diverse'] });
      lines.push(`${id}: ${verdicts.get(e.ask)}`);
      added++;
    }
    fs.writeFileSync(poolFile, `${JSON.stringify(pool, null, 1)}\n`);
    fs.appendFileSync(judgementsFile, `${lines.join('\n')}\n`);
    fs.writeFileSync(path.join(EXTENSION_CONTROLS_DIR, `${name}.judgements.txt`), `${controls.join('\n')}\n`);
  }
  console.log(`Added ${added} passages of ${Object.keys(blind).length} questions to their pools under ${MEMORY_ADJUDICATED_DIR}`);
}

/** The extension rounds' verdicts on the controls against the first judging's: how many agree, and the acceptances. */
export function extensionControls(judged: readonly JudgedQuestion[]): { passages: number; same: number; span: [number, number]; control: [number, number] } {
  const out = { passages: 0, same: 0, span: [0, 0] as [number, number], control: [0, 0] as [number, number] };
  for (const j of judged) {
    const file = path.join(EXTENSION_CONTROLS_DIR, `${questionName(j.meeting, j.query)}.judgements.txt`);
    if (!fs.existsSync(file)) continue;
    const controls = j.pool.filter((p) => p.sources.includes('span') || p.sources.includes('control'));
    for (const [id, verdict] of parseJudgements(fs.readFileSync(file, 'utf8'), controls, file)) {
      out.passages++;
      if (verdict === j.judged.get(id)) out.same++;
      const kind = controls.find((p) => p.id === id)!.sources.includes('span') ? out.span : out.control;
      kind[0] += +(verdict === 'answers');
      kind[1]++;
    }
  }
  return out;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** Where a split's second judging is stored. */
export const CHECK_DIRS = { val: path.join(MEMORY_ADJUDICATED_DIR, 'check'), train: path.join(MEMORY_ADJUDICATED_DIR, 'check-train') } as const;

function report(): void {
  const all = loadQmsum();
  const rankings = rankingsOf(all);
  for (const split of ['train', 'val'] as const) {
    const set = all.filter((m) => m.split === split);
    const judged = loadJudged(set);
    console.log(`\n${split}: ${judged.length} questions, ${judged.reduce((s, j) => s + j.pool.length, 0)} pooled passages judged\n`);
    console.log(`| ranking (${split}, top 5) | strict hit@1 | strict hit@5 | own meeting, judged hit@1 | hit@5 | any meeting, judged hit@1 | hit@5 | unjudged |`);
    console.log('|---|---|---|---|---|---|---|---|');
    const row = (name: string, f: JudgedFigures) =>
      console.log(`| ${name} | ${pct(f.strict.hit1)} | ${pct(f.strict.hit5)} | ${pct(f.ownJudged.hit1)} | ${pct(f.ownJudged.hit5)} | ${pct(f.anyJudged.hit1)} | ${pct(f.anyJudged.hit5)} | ${f.unjudged} |`);
    for (const [name, source] of [['topical, all meetings, no limit per meeting (the first pools)', 'topical-all'], ['topical, own meeting', 'topical-own'], ['BM25 lines, all meetings (issue 31)', 'lines-all']] as const) {
      row(name, judgedFigures(set, judged, (m, query) => rankedFor(rankings, m, query)[source]));
    }
    // The chat's follow-up (extension/memory/chatParticipant.ts, `narrowing`): a question answered from several
    // meetings offers to ask it again in each of the first NARROW_MEETINGS meetings of its 8 passages alone. A user who
    // picks their own meeting gets the own-meeting ranking; scored as "the first answer, or else the one follow-up to
    // the asker's meeting when it is offered".
    row('topical, all meetings, then the follow-up to the asker\'s meeting when offered', judgedFigures(set, judged, (m, query) => withFollowUp(rankings, m, query), true));
    for (const cap of JUDGED_CAPS[split]) {
      const shipped = DEFAULT_RANKING.perMeeting === cap ? ' (DEFAULT_RANKING)' : '';
      row(`topical, all meetings, at most ${cap} passages per meeting${shipped}`, judgedFigures(set, judged, (_m, query) => rankings.capped(cap).search({ query, limit: 5 })));
    }
    if (split === 'train') {
      const chosen = chooseCap(set, judged, rankings);
      console.log(`\nPassages per meeting chosen on train (own + any meeting judged hit@5, the smaller change on a tie): ${chosen || 'no limit'}; DEFAULT_RANKING: ${DEFAULT_RANKING.perMeeting || 'no limit'} (val, read once at the choice, did not carry it: BENCHMARKS.md)`);
    }
    const controls = extensionControls(judged);
    if (controls.passages) {
      console.log(`Controls judged again with the added passages: the first judging's verdict on ${controls.same} of ${controls.passages}; span accepted ${controls.span[0]} of ${controls.span[1]}, random stretch ${controls.control[0]} of ${controls.control[1]}`);
    }
    console.log('\n| passages | answers | topic | no |\n|---|---|---|---|');
    for (const [source, r] of bySource(judged)) console.log(`| ${source} | ${r.answers} | ${r.topic} | ${r.no} |`);
    const elsewhere = judged.filter((j) => j.pool.some((p) => p.meeting !== j.meeting && j.judged.get(p.id) === 'answers')).length;
    console.log(`\nQuestions with a passage of another meeting judged to answer them: ${elsewhere} of ${judged.length}`);
    const check = CHECK_DIRS[split];
    if (fs.existsSync(check)) {
      const second = loadJudged(set, check);
      const a = agreement(judged, second);
      console.log(`Second judging (${path.relative(process.cwd(), check)}): the same verdict on ${a.same} of ${a.passages} passages; Cohen's kappa on "answers" ${a.kappa.toFixed(2)}`);
      const f = judgedFigures(set, second, (m, query) => rankedFor(rankings, m, query)['topical-all']);
      console.log(`The shipped ranking over all meetings by the second judging: own meeting judged hit@1 ${pct(f.ownJudged.hit1)}, hit@5 ${pct(f.ownJudged.hit5)}; any meeting ${pct(f.anyJudged.hit1)}, ${pct(f.anyJudged.hit5)}`);
    }
  }
}

/** Renames a judging's files from the blind names to the questions', checking each against its pool as it goes. */
function install(judgedDir: string, keys: string, to: string, withPools: boolean): void {
  const blindFile = fs.readdirSync(keys).find((f) => /^blind(-train)?\.json$/.test(f));
  if (!blindFile) throw new Error(`${keys}: no blind.json or blind-train.json`);
  const blind = JSON.parse(fs.readFileSync(path.join(keys, blindFile), 'utf8')) as Record<string, string>;
  fs.mkdirSync(to, { recursive: true });
  for (const [ask, name] of Object.entries(blind)) {
    const pool = JSON.parse(fs.readFileSync(path.join(keys, `${name}.pool.json`), 'utf8')) as PooledPassage[];
    const file = path.join(judgedDir, `${ask}.judgements.txt`);
    const text = fs.readFileSync(file, 'utf8');
    parseJudgements(text, pool, file);
    fs.writeFileSync(path.join(to, `${name}.judgements.txt`), text.endsWith('\n') ? text : `${text}\n`);
    if (withPools) fs.copyFileSync(path.join(keys, `${name}.pool.json`), path.join(to, `${name}.pool.json`));
  }
  console.log(`Stored ${Object.keys(blind).length} questions' judgements under ${to}`);
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const dir = flagValue(argv, '--make');
  const judgedDir = flagValue(argv, '--install');
  const extendDir = flagValue(argv, '--extend');
  const extensionDir = flagValue(argv, '--install-extension');
  const split = flagValue(argv, '--set') === 'train' ? 'train' : 'val';
  try {
    if (dir) make(dir, split);
    else if (extendDir) makeExtension(extendDir, split, (flagValue(argv, '--caps') ?? '').split(',').map(Number).filter((c) => c > 0));
    else if (extensionDir) installExtension(extensionDir, flagValue(argv, '--keys') ?? '');
    else if (judgedDir) install(judgedDir, flagValue(argv, '--keys') ?? '', flagValue(argv, '--to') ?? '', !argv.includes('--no-pools'));
    else report();
  } catch (e) {
    console.error((e as Error).message);
    process.exitCode = 1;
  }
}
