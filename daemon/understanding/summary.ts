/**
 * Extractive meeting summary: a few sentences taken from the transcript, plus what the meeting produced ("3
 * decisions, 7 action items, 2 open questions"). Deterministic and cheap (linear in the transcript), so the same
 * function gives the rolling summary during the meeting (over what was said so far) and the final one at stop.
 *
 * How sentences are chosen: every sentence is a TF-IDF vector over content words (each turn is a document for
 * IDF). The meeting is cut into as many stretches of time as there are sentences to pick; in each stretch the
 * sentence closest to that stretch's centroid (what the stretch keeps talking about) wins, weighted a little
 * towards the whole meeting's centroid and away from very short or very long sentences, and skipped when it
 * repeats a sentence already picked. Fillers, agreement, questions and meeting logistics never qualify.
 */
import { AGREEMENT_ONLY } from './decisions';
import { clean } from './speech';

export interface SummaryLine {
  speaker: string | null;
  text: string;
  t0: number | null;
  segmentId?: string;
}

export interface SummarySentence {
  text: string;
  speaker: string | null;
  t0: number | null;
  segmentId?: string;
}

export interface SummaryCounts {
  decisions: number;
  actionItems: number;
  openQuestions: number;
}

export interface Summary {
  /** The chosen sentences, in the order they were said. */
  sentences: SummarySentence[];
  counts: SummaryCounts;
  /** "3 decisions, 7 action items, 2 open questions." */
  countsText: string;
  /** The summary as bullet texts: the sentences, then the counts (3–6 in all for a meeting of any length). */
  bullets: string[];
}

export interface SummarizeOptions {
  /** At most this many transcript sentences (default 5; the counts bullet comes on top). */
  maxSentences?: number;
  /** Sentences longer than this many words are cut with an ellipsis (default 40). */
  maxWords?: number;
}

/** What the meeting produced: counted, and the turns that state decisions weigh more (they say what was concluded). */
export interface SummaryFound {
  actionItems: readonly unknown[];
  decisions: readonly { segmentId?: string }[];
  openQuestions?: readonly unknown[];
}

const STOP = new Set(('a an the and or but so to of in on at by for with from up out it its this that these those is are was were be been being i we you ' +
  'he she they them his her their our my me us your do does did done can could would will should shall may might must have has had just like um uh er ' +
  'yeah yep yes no nope okay ok sure then there here what which who whom whose when where why how if whether not all any some one about into also too ' +
  'very really well oh right still know think thought going get got go let let\'s lets i\'ll i\'m i\'d i\'ve we\'ll we\'re we\'ve you\'re it\'s that\'s there\'s ' +
  'don\'t doesn\'t didn\'t can\'t won\'t isn\'t aren\'t wasn\'t what\'s mean kind sort thing things stuff bit lot maybe probably actually basically ' +
  'honestly literally anyway good great nice cool fine thanks thank please sorry hmm mostly pretty quite than because as more most other only ' +
  'now today yesterday tomorrow morning everyone everybody someone somebody anyone something anything nothing want need make take say said see look ' +
  'way time first next last new old two three four five').split(/\s+/));

/** Sentences that run the meeting rather than say what it is about. */
const LOGISTICS = /^(?:(?:okay|ok|alright|right|so|um|uh|well|great|thanks|cool)[,.]?\s+)*(?:(?:i think )?(?:everyone|everybody)(?:'s| is) here|let's (?:get (?:going|started)|start|begin|go (?:team|around|first|through)|wrap|move on|do the|keep going|take (?:them|it) one)|thanks(?: (?:everyone|all|for joining))?|thank you|(?:good )?morning|welcome|can (?:everyone|you) (?:hear|see)|i(?:'ll| will) (?:share|stop sharing|just,? walk)|that's (?:it|all)(?: from me| for (?:me|today))?|i think that's (?:the plan|it|all)|next(?: up)?|moving on|any(?:thing| other)? (?:else|questions|blockers))\b/i;

function stem(w: string): string {
  return w.length > 4 ? w.replace(/(?:ing|ed|es|s|ly)$/, '') : w;
}

function terms(s: string): string[] {
  return s.toLowerCase().replace(/[’]/g, '\'').split(/[^a-z0-9'.-]+/)
    .map((w) => w.replace(/^['.-]+|['.-]+$/g, ''))
    .filter((w) => w.length > 1 && !STOP.has(w) && !/^\d+$/.test(w)).map(stem);
}

function splitSentences(text: string): string[] {
  return text.split(/(?<=[.!?])\s+/).map((s) => s.trim()).filter(Boolean);
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function countsText(counts: SummaryCounts): string {
  return `${plural(counts.decisions, 'decision', 'decisions')}, ${plural(counts.actionItems, 'action item', 'action items')}, ${plural(counts.openQuestions, 'open question', 'open questions')}.`;
}

type Vector = Map<string, number>;

function norm(v: Vector): number {
  let n = 0;
  for (const x of v.values()) n += x * x;
  return Math.sqrt(n);
}

function cosine(a: Vector, an: number, b: Vector, bn: number): number {
  if (!an || !bn) return 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let dot = 0;
  for (const [k, x] of small) {
    const y = large.get(k);
    if (y) dot += x * y;
  }
  return dot / (an * bn);
}

interface Candidate {
  index: number;
  line: SummaryLine;
  text: string;
  vector: Vector;
  norm: number;
  words: number;
}

export function summarize(lines: readonly SummaryLine[], found: SummaryFound, options: SummarizeOptions = {}): Summary {
  const counts: SummaryCounts = { decisions: found.decisions.length, actionItems: found.actionItems.length, openQuestions: found.openQuestions?.length ?? 0 };
  const maxWords = options.maxWords ?? 40;

  // Document frequency per turn.
  const df = new Map<string, number>();
  const sentencesOf = lines.map((l) => splitSentences(l.text));
  for (const ss of sentencesOf) {
    for (const t of new Set(ss.flatMap(terms))) df.set(t, (df.get(t) ?? 0) + 1);
  }
  const docs = Math.max(1, lines.length);
  const idf = (t: string) => Math.log(1 + docs / (df.get(t) ?? 1));

  const candidates: Candidate[] = [];
  sentencesOf.forEach((ss, i) => {
    for (const raw of ss) {
      const text = clean(raw).replace(/\b([\w']+),? \1\b/gi, '$1').replace(/^(?:(?:so|okay|ok|and|but|yeah|right|well|alright|also|oh|honestly|basically|like)[,.]?\s+)+/i, '').replace(/^[—–-]\s*/, '');
      const words = text.split(/\s+/).filter((w) => /[a-z0-9]/i.test(w)).length;
      if (words < 6 || /\?\s*$/.test(text) || AGREEMENT_ONLY.test(text) || LOGISTICS.test(text)) continue;
      const ts = terms(text);
      if (ts.length < 3) continue;
      const vector: Vector = new Map();
      for (const t of ts) vector.set(t, (vector.get(t) ?? 0) + idf(t));
      candidates.push({ index: candidates.length, line: lines[i], text: text.charAt(0).toUpperCase() + text.slice(1), vector, norm: norm(vector), words });
    }
  });

  // How many sentences: about one per 12 candidate sentences, at least 2 (when there are any), at most maxSentences.
  const most = Math.max(1, options.maxSentences ?? 5);
  const k = Math.min(candidates.length, most, Math.max(2, Math.ceil(candidates.length / 10)));
  const centroid = (list: Candidate[]): [Vector, number] => {
    const c: Vector = new Map();
    for (const x of list) for (const [t, w] of x.vector) c.set(t, (c.get(t) ?? 0) + w / (x.norm || 1));
    return [c, norm(c)];
  };
  const [all, allNorm] = centroid(candidates);
  const decided = new Set(found.decisions.map((d) => d.segmentId).filter(Boolean));
  /** Short or rambling sentences, hedges and sentences about "it"/"that" say less on their own; decisions say more. */
  const weight = (c: Candidate) => (c.words < 8 ? 0.8 : c.words > 35 ? 0.85 : 1)
    * (/^(?:it|that|this|they|those|these|he|she|maybe|i think|i mean|i guess|if)\b/i.test(c.text) ? 0.75 : 1)
    * (c.line.segmentId && decided.has(c.line.segmentId) ? 1.3 : 1);

  const picked: Candidate[] = [];
  for (let part = 0; part < k; part++) {
    const stretch = candidates.slice(Math.floor((part * candidates.length) / k), Math.floor(((part + 1) * candidates.length) / k));
    const [local, localNorm] = centroid(stretch);
    let best: Candidate | undefined;
    let bestScore = -1;
    for (const c of stretch) {
      if (picked.some((p) => cosine(p.vector, p.norm, c.vector, c.norm) > 0.5)) continue;
      const score = (0.7 * cosine(c.vector, c.norm, local, localNorm) + 0.3 * cosine(c.vector, c.norm, all, allNorm)) * weight(c);
      if (score > bestScore) { best = c; bestScore = score; } // first wins ties: deterministic
    }
    if (best) picked.push(best);
  }
  picked.sort((a, b) => a.index - b.index);

  const sentences = picked.map((c): SummarySentence => {
    const words = c.text.split(/\s+/);
    const text = words.length > maxWords ? `${words.slice(0, maxWords).join(' ').replace(/[,;:—–-]+$/, '')}…` : c.text;
    return { text, speaker: c.line.speaker, t0: c.line.t0, ...(c.line.segmentId ? { segmentId: c.line.segmentId } : {}) };
  });
  const counted = countsText(counts);
  return { sentences, counts, countsText: counted, bullets: [...sentences.map((s) => s.text), counted] };
}
