/**
 * What the @earshot commands' arguments mean: a time range and/or topic for /decisions ("last week", "since
 * 2026-11-01", "login timeout"), and which meeting /recap means (a date, "today", "last", or words of its title).
 * Pure (no vscode, no daemon): the participant sends what these return.
 */
import type { MemoryMeeting } from '../../protocol/protocol';
import { localDate, meetingDate } from './prompt';

export interface DecisionsQuery {
  /** ISO dates (YYYY-MM-DD), inclusive. */
  since?: string;
  until?: string;
  topic?: string;
}

const DAY_MS = 86_400_000;
const ISO_DATE = /\b(\d{4}-\d{2}-\d{2})\b/;

function daysBefore(today: Date, days: number): string {
  return localDate(new Date(today.getTime() - days * DAY_MS));
}

/** Relative ranges, each taking the words it matched out of the text (what is left is the topic). */
const RANGES: { pattern: RegExp; range: (today: Date, m: RegExpExecArray) => Omit<DecisionsQuery, 'topic'> }[] = [
  { pattern: /\b(?:in the )?(?:last|past) (\d+) days?\b/i, range: (t, m) => ({ since: daysBefore(t, Number(m[1])) }) },
  { pattern: /\b(?:in the )?(?:last|past) (\d+) weeks?\b/i, range: (t, m) => ({ since: daysBefore(t, 7 * Number(m[1])) }) },
  { pattern: /\b(?:in the )?(?:last|past) week\b/i, range: (t) => ({ since: daysBefore(t, 7) }) },
  { pattern: /\b(?:in the )?(?:last|past) month\b/i, range: (t) => ({ since: daysBefore(t, 30) }) },
  { pattern: /\bthis week\b/i, range: (t) => ({ since: daysBefore(t, (t.getDay() + 6) % 7) }) },
  { pattern: /\bthis month\b/i, range: (t) => ({ since: localDate(new Date(t.getFullYear(), t.getMonth(), 1)) }) },
  { pattern: /\byesterday\b/i, range: (t) => ({ since: daysBefore(t, 1), until: daysBefore(t, 1) }) },
  { pattern: /\btoday\b/i, range: (t) => ({ since: localDate(t), until: localDate(t) }) },
];

/** Reads "/decisions" arguments: ranges ("last week", "since 2026-11-01", "until …", "on …") and, left over, a topic. */
export function parseDecisionsQuery(text: string, today = new Date()): DecisionsQuery {
  let rest = ` ${text.trim()} `;
  const query: DecisionsQuery = {};
  for (const [word, key] of [['since', 'since'], ['after', 'since'], ['from', 'since'], ['until', 'until'], ['before', 'until'], ['to', 'until']] as const) {
    const m = new RegExp(`\\b${word}\\s+${ISO_DATE.source}`, 'i').exec(rest);
    if (m && !query[key]) {
      query[key] = m[1];
      rest = rest.replace(m[0], ' ');
    }
  }
  const on = /\b(?:on\s+)?(\d{4}-\d{2}-\d{2})\b/i.exec(rest);
  if (on && !query.since && !query.until) {
    query.since = query.until = on[1];
    rest = rest.replace(on[0], ' ');
  }
  if (!query.since && !query.until) {
    for (const { pattern, range } of RANGES) {
      const m = pattern.exec(rest);
      if (!m) continue;
      Object.assign(query, range(today, m));
      rest = rest.replace(m[0], ' ');
      break;
    }
  }
  // What is left, without the glue words a range leaves behind, is the topic.
  const topic = rest.replace(/\b(?:about|on|for|regarding|decisions?|from|in)\b/gi, ' ').replace(/\s+/g, ' ').trim();
  if (topic) query.topic = topic;
  return query;
}

/**
 * The meeting "/recap" means: none given or "last" → the newest; a date or "today"/"yesterday" → the newest that
 * day; else the meeting whose title shares the most words with the text (ties: the newest). `meetings` newest first.
 */
export function pickMeeting(meetings: readonly MemoryMeeting[], text: string, today = new Date()): MemoryMeeting | undefined {
  const wanted = text.trim().toLowerCase();
  if (!wanted || /^(?:the )?(?:last|latest)(?: meeting)?$/.test(wanted)) return meetings[0];
  const date = ISO_DATE.exec(wanted)?.[1] ?? (/\btoday\b/.test(wanted) ? localDate(today) : /\byesterday\b/.test(wanted) ? daysBefore(today, 1) : undefined);
  if (date) return meetings.find((m) => meetingDate(m.startedAt) === date);
  const words = new Set(tokens(wanted));
  let best: MemoryMeeting | undefined;
  let bestScore = 0;
  for (const m of meetings) {
    const score = tokens(m.title).filter((w) => words.has(w)).length;
    if (score > bestScore) {
      best = m;
      bestScore = score;
    }
  }
  return best;
}

function tokens(text: string): string[] {
  return text.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 1);
}

/**
 * Longest search the chat sends: a spoken question is well under it. A quarter of the daemon's 2,000-character
 * limit, because each word costs the daemon a pass over the index on its only thread (a pasted paragraph took
 * seconds), and a paragraph's first ~70 distinct words still find where it was said.
 */
export const MAX_SEARCH_QUERY = 500;

/**
 * What @earshot searches for a question: the question itself, whitespace collapsed; one longer than
 * MAX_SEARCH_QUERY (a pasted paragraph) condensed to its distinct words (case and punctuation aside), in order of
 * first use, as many whole words as fit (a word longer than the limit is cut). The model still gets the whole question.
 */
export function searchQuery(question: string): string {
  const text = question.replace(/\s+/g, ' ').trim();
  if (text.length <= MAX_SEARCH_QUERY) return text;
  const seen = new Set<string>();
  let query = '';
  for (const word of text.split(' ')) {
    const key = word.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
    if (!key || seen.has(key)) continue;
    seen.add(key);
    const next = query ? `${query} ${word}` : word.slice(0, MAX_SEARCH_QUERY);
    if (next.length > MAX_SEARCH_QUERY) break;
    query = next;
  }
  return query;
}
