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

/**
 * The date range a text names ("since 2026-11-01", "until …", "on 2026-11-03", "last week", "yesterday", …), and the
 * text without the words that named it.
 */
export function dateRange(text: string, today = new Date()): { since?: string; until?: string; rest: string } {
  let rest = ` ${text.trim()} `;
  const range: { since?: string; until?: string } = {};
  for (const [word, key] of [['since', 'since'], ['after', 'since'], ['from', 'since'], ['until', 'until'], ['before', 'until'], ['to', 'until']] as const) {
    const m = new RegExp(`\\b${word}\\s+${ISO_DATE.source}`, 'i').exec(rest);
    if (m && !range[key]) {
      range[key] = m[1];
      rest = rest.replace(m[0], ' ');
    }
  }
  const on = /\b(?:on\s+)?(\d{4}-\d{2}-\d{2})\b/i.exec(rest);
  if (on && !range.since && !range.until) {
    range.since = range.until = on[1];
    rest = rest.replace(on[0], ' ');
  }
  if (!range.since && !range.until) {
    for (const { pattern, range: named } of RANGES) {
      const m = pattern.exec(rest);
      if (!m) continue;
      Object.assign(range, named(today, m));
      rest = rest.replace(m[0], ' ');
      break;
    }
  }
  return { ...range, rest };
}

/** Reads "/decisions" arguments: ranges ("last week", "since 2026-11-01", "until …", "on …") and, left over, a topic. */
export function parseDecisionsQuery(text: string, today = new Date()): DecisionsQuery {
  const { rest, ...query } = dateRange(text, today);
  // What is left, without the glue words a range leaves behind, is the topic.
  const topic = rest.replace(/\b(?:about|on|for|regarding|decisions?|from|in)\b/gi, ' ').replace(/\s+/g, ' ').trim();
  return topic ? { ...query, topic } : query;
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

/** Passages a question retrieves (each a hit with its neighbours). */
export const CHAT_PASSAGES = 8;
/** Meetings a follow-up offers to ask in alone, at most: the answer's first few, best passage first. */
export const NARROW_MEETINGS = 3;

/** Which meetings a question is about, when it says so; the chat searches only those. */
export interface QuestionScope {
  /** The meetings named, newest first (empty: it named some, and none matches). */
  meetings: MemoryMeeting[];
  /** What the question named, as the chat repeats it ("on 2026-11-24", "“Design review”"). */
  named: string;
  /** What to search for when the words that named the meeting are no part of the question (a quoted title). */
  searchText?: string;
}

/** Nouns that end a meeting's name in a question ("in the design review", "at Monday's standup"). */
const MEETING_NOUNS = 'meeting|call|sync|standup|stand-up|review|retro|retrospective|planning|session|demo|interview|1:1|one-on-one';
/** "in “Design review”" (optionally "of 2026-11-20"): the form the chat's follow-ups write, and a user may type. */
const QUOTED_TITLE = /\bin [“"]([^”"]+)[”"](?: of (\d{4}-\d{2}-\d{2}))?/i;
const LAST_MEETING = /\b(?:the|our|my) (?:last|latest|previous|most recent) (?:meeting|call|sync|standup|stand-up|session)\b/i;
const TITLE_WORDS = new RegExp(`\\b(?:in|at|during|from) (?:the |our |my |this morning's |today's |yesterday's |last week's |\\w+day's )?((?:[\\p{L}\\p{N}-]+ ){0,4}?(?:${MEETING_NOUNS}))\\b`, 'iu');
/** Words of a named meeting that say nothing about which ("the meeting", "our call"). */
const GENERIC = new Set(['meeting', 'call', 'session', 'the', 'our', 'my', 'a', 'an', 'last', 'latest', 'previous', 'this', 'that']);

/**
 * The meetings a question names: a quoted title ("in “Design review” of 2026-11-20"), the last meeting, a date or range
 * ("yesterday", "last week", "on 2026-11-03"), words of a title before a meeting noun ("in the design review", "at the
 * sprint planning"), or a date and title words together. Undefined when it names none: the chat searches them all.
 * `meetings` newest first, as memoryMeetings gives them.
 */
export function questionScope(question: string, meetings: readonly MemoryMeeting[], today = new Date()): QuestionScope | undefined {
  const quoted = QUOTED_TITLE.exec(question);
  if (quoted) {
    const title = quoted[1].trim().toLowerCase();
    return {
      meetings: meetings.filter((m) => m.title.trim().toLowerCase() === title && (!quoted[2] || meetingDate(m.startedAt) === quoted[2])),
      named: `“${quoted[1].trim()}”${quoted[2] ? ` of ${quoted[2]}` : ''}`,
      searchText: question.replace(quoted[0], ' ').replace(/^\s*:\s*/, '').replace(/\s+/g, ' ').trim(),
    };
  }
  if (LAST_MEETING.test(question)) return { meetings: meetings.slice(0, 1), named: 'your last meeting' };
  const range = dateRange(question, today);
  const dated = range.since !== undefined || range.until !== undefined;
  const titled = TITLE_WORDS.exec(question);
  const words = titled ? tokens(titled[1]).filter((w) => !GENERIC.has(w) && !/^\d+$/.test(w)) : [];
  if (!dated && !words.length) return undefined;
  const inRange = (m: MemoryMeeting) => {
    const day = meetingDate(m.startedAt);
    return (!range.since || day >= range.since) && (!range.until || day <= range.until);
  };
  const hasWords = (m: MemoryMeeting) => {
    const title = new Set(tokens(m.title));
    return words.every((w) => title.has(w));
  };
  // Title words that no title has are not a meeting's name ("in the last call" dated, "at the hardware review" of a
  // topic): with a date they are dropped, alone they scope nothing.
  const titledAny = words.length > 0 && meetings.some(hasWords);
  if (!dated && !titledAny) return undefined;
  const scoped = meetings.filter((m) => (!dated || inRange(m)) && (!titledAny || hasWords(m)));
  const when = !dated ? '' : range.since && range.since === range.until ? `on ${range.since}` : [range.since && `since ${range.since}`, range.until && `until ${range.until}`].filter(Boolean).join(' ');
  return { meetings: scoped, named: [titledAny ? `“${titled![1].trim()}”` : '', when].filter(Boolean).join(' ') };
}

/** Whether a question may name meetings (so the chat fetches the list only then). */
export function mayNameMeeting(question: string): boolean {
  return QUOTED_TITLE.test(question) || LAST_MEETING.test(question) || TITLE_WORDS.test(question) || ISO_DATE.test(question) || RANGES.some((r) => r.pattern.test(question));
}

/** A follow-up's question: the same question, in one meeting (questionScope reads it back). */
export function inMeetingQuestion(question: string, meeting: MemoryMeeting): string | undefined {
  if (/[“”"]/.test(meeting.title) || !meeting.title.trim()) return undefined;
  return `in “${meeting.title.trim()}” of ${meetingDate(meeting.startedAt)}: ${question}`;
}
