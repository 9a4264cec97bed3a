/**
 * Due dates in spoken English, resolved relative to the meeting date (conventions in
 * test/fixtures/meetings/README.md): "end of day", "tomorrow", "on Monday", "next Friday", "end of next
 * week" (a Friday), "in two weeks", "by the 14th", "Wednesday the 26th", "by April 4th" (chrono-node),
 * and named events ("before the sprint demo") when the meeting states the event's date.
 */
// English only: the rules read English, and the package's root loads every locale (14 MB of the daemon's RSS, 7 with this).
import * as chrono from 'chrono-node/en';

/** Dates the meeting itself states, by event name ("sprint demo", "release", "sprint" = the sprint's end). */
export type EventDates = Map<string, string>;

export interface Due {
  /** YYYY-MM-DD, or null for an event whose date the meeting does not state. */
  date: string | null;
  phrase: string;
  index: number;
  /** Introduced by a deadline word (by, before, until, on, due). */
  deadline: boolean;
}

export function isoDate(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

const addDays = (d: Date, n: number) => new Date(d.getFullYear(), d.getMonth(), d.getDate() + n);
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const WEEKDAY = '(sun|mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?)(?:day)?';
const weekdayIndex = (w: string) => WEEKDAYS.findIndex((d) => d.startsWith(w.toLowerCase().slice(0, 3)));
const NUMBERS: Record<string, number> = { a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, couple: 2, 'a couple of': 2 };
const num = (s: string) => (/^\d+$/.test(s) ? Number(s) : NUMBERS[s.toLowerCase()] ?? NaN);

/** Monday of the meeting's (Monday-based) week. */
function mondayOf(d: Date): Date {
  return addDays(d, -((d.getDay() + 6) % 7));
}

/** The next such weekday strictly after the meeting date. */
function nextWeekday(meeting: Date, dow: number): Date {
  const delta = (dow - meeting.getDay() + 7) % 7 || 7;
  return addDays(meeting, delta);
}

/** That weekday in the following Monday-based week. */
function weekdayNextWeek(meeting: Date, dow: number): Date {
  return addDays(mondayOf(meeting), 7 + ((dow + 6) % 7));
}

/** Day N of the meeting's month, or of the next month when already past. */
function dayOfMonth(meeting: Date, day: number): Date | undefined {
  let d = new Date(meeting.getFullYear(), meeting.getMonth(), day);
  if (day < meeting.getDate()) d = new Date(meeting.getFullYear(), meeting.getMonth() + 1, day);
  return d.getDate() === day ? d : undefined;
}

const LEAD = '(?:(?:by|before|until|till|on|due|for|no later than|at)\\s+)?';
const DEADLINE_LEAD = /^(by|before|until|till|on|due|no later than)\b/i;

type Rule = { re: RegExp; date: (m: RegExpExecArray, meeting: Date, events: EventDates) => Date | null | undefined };

/** Named events: "the sprint demo", "end of sprint", "the next retro", "next week's sync". */
const EVENT_NOUN = '(?:demo|release|retro|retrospective|sync|launch|freeze|cutover|offsite|planning|review|sprint|deadline|go-live)';

export function eventDate(name: string, events: EventDates): string | undefined {
  const key = name.toLowerCase().replace(/^(the|our|this|next|first)\s+/g, '').replace(/^(the|our|this|next|first)\s+/g, '').trim();
  if (events.has(key)) return events.get(key);
  const head = key.split(/\s+/).pop() ?? key;
  if (events.has(head)) return events.get(head);
  for (const [k, v] of events) if (k.split(/\s+/).pop() === head) return v;
  return undefined;
}

const RULES: Rule[] = [
  // Events whose date the meeting may state; "next week's sync" is an event, not next week.
  { re: new RegExp(`\\b(?:by |before |until |at )?(?:the )?end of (?:the |this )?sprint\\b`, 'i'), date: (_m, _d, ev) => toDate(eventDate('sprint', ev)) },
  { re: new RegExp(`\\b(?:by|before|until|ahead of|at)\\s+((?:the|our|next \\w+'s|this \\w+'s)\\s+(?:next\\s+|first\\s+)?(?:[a-z-]+\\s+)?${EVENT_NOUN})\\b`, 'i'),
    date: (m, _d, ev) => (/\w's\b/i.test(m[1]) ? null : toDate(eventDate(m[1], ev))) },
  { re: /\b(?:by |before |until )?(?:the )?(?:end of (?:the )?day|end of business|close of business|EOD|COB)\b/i, date: (_m, d) => d },
  { re: /\b(?:(?:by|before|until)\s+)?(?:(?:later\s+)?today|this (?:morning|afternoon|evening)|tonight)\b/i, date: (_m, d) => d },
  { re: /\b(?:right |straight |just )?after (?:this|the) (?:call|meeting)\b|\bafter (?:the )?stand-?up\b/i, date: (_m, d) => d },
  { re: /\b(?:(?:by|before|until)\s+)?tomorrow(?: (?:morning|afternoon|evening|night))?\b/i, date: (_m, d) => addDays(d, 1) },
  { re: /\b(?:(?:by|before|until)\s+)?(?:the )?end of next week\b/i, date: (_m, d) => addDays(mondayOf(d), 11) },
  { re: /\b(?:(?:by|before|until)\s+)?(?:(?:the )?end of (?:the |this )?week|this week)\b/i, date: (_m, d) => addDays(mondayOf(d), 4) },
  { re: /\b(?:(?:by|before|until)\s+)?(?:the )?end of (?:the |this )?month\b/i, date: (_m, d) => new Date(d.getFullYear(), d.getMonth() + 1, 0) },
  { re: /\b(?:(?:by|before|until)\s+)?(?:the )?end of (?:the |this )?quarter\b/i, date: (_m, d) => new Date(d.getFullYear(), Math.floor(d.getMonth() / 3) * 3 + 3, 0) },
  { re: /(?<!\b(?:for|last|past|every|per|about|than)\s+(?:the\s+)?)\b(?:in\s+)?(a|an|one|two|three|four|five|six|\d+|a couple of)\s+(day|week|month)s?(?! ago)\b/i,
    date: (m, d) => {
      const n = num(m[1]);
      if (!Number.isFinite(n)) return undefined;
      return m[2].toLowerCase() === 'month' ? new Date(d.getFullYear(), d.getMonth() + n, d.getDate()) : addDays(d, m[2].toLowerCase() === 'week' ? 7 * n : n);
    } },
  { re: new RegExp(`\\b${LEAD}next\\s+${WEEKDAY}\\b`, 'i'), date: (m, d) => weekdayNextWeek(d, weekdayIndex(m[1])) },
  { re: new RegExp(`\\b${LEAD}(?:this\\s+)?${WEEKDAY},?\\s+the\\s+(\\d{1,2})(?:st|nd|rd|th)\\b`, 'i'), date: (m, d) => dayOfMonth(d, Number(m[2])) },
  { re: /\b(?:(?:by|on|before|until)\s+)?the\s+(\d{1,2})(?:st|nd|rd|th)\b(?!\s+of\b)/i, date: (m, d) => dayOfMonth(d, Number(m[1])) },
  { re: new RegExp(`(?<!\\b(?:since|last|past)\\s+)\\b${LEAD}(?:this\\s+)?${WEEKDAY}\\b(?!'s)`, 'i'), date: (m, d) => nextWeekday(d, weekdayIndex(m[1])) },
  { re: /\b(?:(?:by|before|until)\s+)?next week\b(?!'s)/i, date: (_m, d) => addDays(mondayOf(d), 11) },
];

/** The rules with the global flag, compiled once: findDues runs on every sentence of every final. */
const GLOBAL_RULES: Rule[] = RULES.map((rule) => ({ ...rule, re: new RegExp(rule.re.source, rule.re.flags.includes('g') ? rule.re.flags : `${rule.re.flags}g`) }));
/** What a date chrono-node finds must hold to be taken (below); a sentence without it is not given to chrono-node at all. */
const ABSOLUTE_DATE = /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d|\d{1,2}(st|nd|rd|th)? of [a-z]/i;
/** The same without its leading word boundary: found in the sentence wherever it is found in a part of it. */
const MAYBE_ABSOLUTE_DATE = new RegExp(ABSOLUTE_DATE.source.replace(/^\\b/, ''), ABSOLUTE_DATE.flags);

function toDate(iso: string | undefined): Date | null {
  return iso ? new Date(`${iso}T12:00:00`) : null;
}

/** Every due phrase in a sentence, left to right, without overlaps. */
export function findDues(sentence: string, meetingDate: Date, events: EventDates = new Map()): Due[] {
  const taken: [number, number][] = [];
  const found: Due[] = [];
  const free = (a: number, b: number) => taken.every(([x, y]) => b <= x || a >= y);
  for (const rule of GLOBAL_RULES) {
    const re = rule.re;
    re.lastIndex = 0;
    for (let m = re.exec(sentence); m; m = re.exec(sentence)) {
      const a = m.index, b = m.index + m[0].length;
      if (!free(a, b)) continue;
      const date = rule.date(m, meetingDate, events);
      if (date === undefined) continue;
      taken.push([a, b]);
      const phrase = m[0].trim();
      found.push({ date: date ? isoDate(date) : null, phrase, index: a, deadline: DEADLINE_LEAD.test(phrase) });
    }
  }
  // Absolute dates ("by April 4th", "May 15th"), as chrono-node reads them.
  const absolute = MAYBE_ABSOLUTE_DATE.test(sentence) ? chrono.parse(sentence, meetingDate, { forwardDate: true }) : [];
  for (const r of absolute) {
    const a = r.index, b = r.index + r.text.length;
    if (!free(a, b)) continue;
    if (!ABSOLUTE_DATE.test(r.text)) continue;
    if (/\b(since|last|ago)\s*$/i.test(sentence.slice(0, a))) continue;
    const lead = /\b(by|before|until|due|on|no later than)\s+$/i.exec(sentence.slice(0, a))?.[0] ?? '';
    taken.push([a - lead.length, b]);
    found.push({ date: isoDate(r.start.date()), phrase: (lead + r.text).trim(), index: a - lead.length, deadline: lead !== '' });
  }
  return found.sort((x, y) => x.index - y.index);
}

/** "by May 9th — no, sorry, today": the speaker corrected the date. */
const CORRECTION = /(?:—|-|,)\s*(?:no|sorry|actually|I mean|make that|scratch that|rather)\b|\b(?:no, sorry|sorry, no|I mean|make that|scratch that)\b/i;

/** The due date a sentence states: a corrected date wins, then a deadline phrase, then the last date said. */
export function pickDue(dues: Due[], sentence: string): Due | undefined {
  if (!dues.length) return undefined;
  const correction = CORRECTION.exec(sentence);
  if (correction) {
    const after = dues.filter((d) => d.index > correction.index);
    if (after.length) return after[after.length - 1];
  }
  return dues.find((d) => d.deadline) ?? dues[dues.length - 1];
}

export function dueDate(sentence: string, meetingDate: Date, events: EventDates = new Map()): { date: string | null; phrase: string } | undefined {
  const due = pickDue(findDues(sentence, meetingDate, events), sentence);
  return due ? { date: due.date, phrase: due.phrase } : undefined;
}

const EVENT_STATEMENT = new RegExp(`\\b((?:the\\s+)?(?:[a-z-]+\\s+)?${EVENT_NOUN})(?:'s| is| are| will be)\\s+(?:on\\s+|scheduled for\\s+)?(.*)$`, 'i');
const SPRINT_RUNS = /\bsprint\b[^.?!]*?\bruns\b[^.?!]*?\b(?:through|until|to|till)\s+(.*)$/i;

/** Dates the meeting states for events ("the sprint demo is next Thursday, the 13th"; "sprint runs … through Friday the 28th"). */
export function eventDates(sentences: string[], meetingDate: Date): EventDates {
  const events: EventDates = new Map();
  for (const sentence of sentences) {
    if (/\?\s*$|^(if|maybe|what if)\b/i.test(sentence)) continue;
    for (const clause of sentence.split(/[,;]\s+(?=[a-z-]+(?:\s+[a-z-]+)?(?:'s| is)\b)/i)) {
      const run = SPRINT_RUNS.exec(clause);
      if (run) {
        const end = findDues(run[1], meetingDate)[0];
        if (end?.date) events.set('sprint', end.date);
        continue;
      }
      const m = EVENT_STATEMENT.exec(clause);
      if (!m) continue;
      const due = findDues(m[2], meetingDate, events).filter((d) => d.date && d.index < 25);
      if (!due.length) continue;
      // "next Thursday, the 13th": the more specific (last) of adjacent phrases.
      const date = due[due.length - 1].date!;
      const name = m[1].toLowerCase().replace(/^the\s+/, '').trim();
      if (/^(it|that|this|which|what)\b/.test(name)) continue;
      events.set(name, date);
      const head = name.split(/\s+/).pop()!;
      if (!events.has(head)) events.set(head, date);
    }
  }
  return events;
}
