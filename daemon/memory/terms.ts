/**
 * Words as meeting memory ranks them: folded (lowercase, accents off), stop words and single letters left out, a
 * question's terms counted and bounded. The index, the speaker names and the evals share these so that a word is the
 * same word everywhere.
 *
 * Pure.
 */
import MiniSearch from 'minisearch';

/** MiniSearch's own tokenizer: the words the index holds are the words a query is split into. */
export const tokenize = MiniSearch.getDefault('tokenize') as (text: string) => string[];

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

/** A text's words, folded (stop words kept): how speaker names are matched. */
export function words(text: string): string[] {
  return tokenize(fold(text)).filter(Boolean);
}

/** A word as the index keeps it (folded), or null for a stop word or a single letter. */
export function indexTerm(term: string): string | null {
  const t = fold(term);
  return t.length < 2 || STOP_WORDS.has(t) ? null : t;
}

/** A query's terms as ranked: each once, with how often the query has it; the first MAX_QUERY_TERMS distinct ones (`leave`: not these). */
export function queryTerms(query: string, leave: ReadonlySet<string> = new Set()): Map<string, number> {
  const counts = new Map<string, number>();
  for (const word of tokenize(query)) {
    const term = indexTerm(word);
    if (term === null || leave.has(term)) continue;
    if (counts.has(term)) counts.set(term, counts.get(term)! + 1);
    else if (counts.size < MAX_QUERY_TERMS) counts.set(term, 1);
  }
  return counts;
}

/** A text's indexed terms and how often each occurs. */
export function termCounts(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const w of tokenize(text)) {
    const t = indexTerm(w);
    if (t !== null) out.set(t, (out.get(t) ?? 0) + 1);
  }
  return out;
}
