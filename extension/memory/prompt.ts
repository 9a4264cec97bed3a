/**
 * What the @earshot chat hands a language model, and how its answer is read back: the retrieved lines, within a
 * bound of lines and characters, numbered [1], [2], … (meeting, date, time, speaker), the instructions to answer only
 * from them, a streaming splitter that turns "[n]" in the answer into citations, and an escaper that keeps the rest
 * of the answer from rendering as links or images. Pure (no vscode): the participant (chatParticipant.ts) owns the
 * requests, the streaming and the links.
 */
import { MEMORY_ASK_BOUND, MEMORY_RECAP_BOUND } from '../../protocol/protocol';
import type { FinalSegment, MemoryLine, MemoryMeeting, MemoryPassage, PromptBound } from '../../protocol/protocol';
import { promptChars, sliceWhole } from '../../protocol/textSize';

/** One line a prompt shows, under the number the model cites it by. */
export interface CitedLine {
  n: number;
  meeting: MemoryMeeting;
  line: MemoryLine;
}

/**
 * A question's bound and a recap's (protocol.ts says why these numbers; `earshot ask` keeps to the same). Both lines and
 * characters, because a line count alone lets a few long lines through and a character count alone thousands of
 * one-word lines. The daemon bounds its passages too, but what reaches a model (usually the cloud) is decided here.
 */
export const ASK_BOUND: PromptBound = MEMORY_ASK_BOUND;
export const RECAP_BOUND: PromptBound = MEMORY_RECAP_BOUND;

/**
 * One line's text at most: a whisper segment is under ~600 characters; a longer one (a dictation) is cut, so that a
 * single line cannot take a prompt's whole budget.
 */
export const MAX_LINE_CHARS = 1_000;

/** The meeting's date as the user reads it (local time): YYYY-MM-DD. */
export function meetingDate(startedAt: string): string {
  const d = new Date(startedAt);
  if (Number.isNaN(d.getTime())) return startedAt.slice(0, 10);
  return localDate(d);
}

export function localDate(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** Capture time as m:ss (h:mm:ss past an hour). */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/**
 * Numbers the passages' lines within `bound`, in the order retrieval ranked them; a line two passages share is
 * numbered once. What does not fit is cut around the hits, not from the end: first each passage's hits (the first
 * hit of every passage, then the second…), then the lines one away from a hit, two away…, best passage first, until
 * the bound is reached. A passage whose lines carry no hit is centred on the line the hit names, else its middle.
 */
export function numberPassages(passages: readonly MemoryPassage[], bound: PromptBound = ASK_BOUND): CitedLine[] {
  const chosen = new Set<string>();
  const budget = new Budget(bound);
  const keyOf = (p: MemoryPassage, line: MemoryLine) => `${p.meeting.sessionId}/${line.segmentId}`;
  /** False when the line does not fit (it is left out). */
  const take = (p: MemoryPassage, line: MemoryLine): boolean => {
    const key = keyOf(p, line);
    if (chosen.has(key)) return true;
    if (!budget.fits({ n: bound.lines, meeting: p.meeting, line: clipped(line) })) return false;
    chosen.add(key);
    return true;
  };
  const hits = passages.map(hitIndexes);
  for (let k = 0; k < Math.max(0, ...hits.map((h) => h.length)); k++) {
    for (const [i, p] of passages.entries()) if (k < hits[i].length) take(p, p.lines[hits[i][k]]);
  }
  // Context around the hits, nearest first; the first line that does not fit ends it (no gaps in a passage).
  const widest = Math.max(0, ...passages.map((p) => p.lines.length));
  widen: for (let d = 1; d < widest; d++) {
    for (const [i, p] of passages.entries()) {
      for (const h of hits[i]) {
        for (const at of [h - d, h + d]) if (at >= 0 && at < p.lines.length && !take(p, p.lines[at])) break widen;
      }
    }
  }
  const cited: CitedLine[] = [];
  for (const p of passages) {
    for (const line of p.lines) {
      const key = keyOf(p, line);
      if (!chosen.delete(key)) continue; // not chosen, or numbered already
      cited.push({ n: cited.length + 1, meeting: p.meeting, line: clipped(line) });
    }
  }
  return cited;
}

/** The indexes of a passage's hit lines (see numberPassages). */
function hitIndexes(p: MemoryPassage): number[] {
  const hits = p.lines.flatMap((l, i) => (l.hit ? [i] : []));
  if (hits.length || p.lines.length === 0) return hits;
  const named = p.lines.findIndex((l) => l.segmentId === p.hit.id);
  return [named >= 0 ? named : Math.floor(p.lines.length / 2)];
}

/** What a prompt has used of its bound; `fits` takes the line when it fits. */
class Budget {
  private lines = 0;
  private chars = 0;
  constructor(private readonly bound: PromptBound) {}

  fits(c: CitedLine): boolean {
    const chars = promptChars(formatLine(c)) + 1; // a CJK character as about a token (textSize.ts)
    if (this.lines + 1 > this.bound.lines || this.chars + chars > this.bound.chars) return false;
    this.lines++;
    this.chars += chars;
    return true;
  }
}

function clipped(line: MemoryLine): MemoryLine {
  return line.text.length > MAX_LINE_CHARS ? { ...line, text: `${sliceWhole(line.text, 0, MAX_LINE_CHARS - 1)}…` } : line;
}

/**
 * A meeting's final segments as numbered lines (a recap), from its start within `bound`, notes lines where the
 * notes file has them (`notesLineOf` is asked only for the lines kept).
 */
export function numberSegments(meeting: MemoryMeeting, segments: readonly FinalSegment[], notesLineOf: (text: string) => number | undefined, bound: PromptBound = RECAP_BOUND): CitedLine[] {
  const budget = new Budget(bound);
  const cited: CitedLine[] = [];
  for (const [i, s] of segments.entries()) {
    const c: CitedLine = { n: i + 1, meeting, line: clipped({ segmentId: s.segmentId, index: i + 1, speaker: s.speaker, t0: s.t0, t1: s.t1, text: s.text, hit: false }) };
    if (!budget.fits(c)) break;
    const notesLine = notesLineOf(s.text);
    if (notesLine) c.line.notesLine = notesLine;
    cited.push(c);
  }
  return cited;
}

/**
 * What a prompt carries, said before it is sent (the chat's line and the request's justification): "37 lines from
 * 3 meetings (Design review, 2026-11-02; Sprint planning, 2026-11-01; …)". `title` escapes a title for where it goes.
 */
export function describeSent(lines: readonly CitedLine[], title: (text: string) => string = oneLine): string {
  const meetings = new Map<string, MemoryMeeting>();
  for (const c of lines) if (!meetings.has(c.meeting.sessionId)) meetings.set(c.meeting.sessionId, c.meeting);
  const list = [...meetings.values()].map((m) => `${title(m.title)}, ${meetingDate(m.startedAt)}`).join('; ');
  return `${count(lines.length, 'line')} from ${count(meetings.size, 'meeting')} (${list})`;
}

function count(n: number, what: string): string {
  return `${n.toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'}`;
}

/** `[3] Sprint planning (2026-11-03) 12:04 Alice: We keep the login timeout at 30 minutes.` */
export function formatLine(c: CitedLine): string {
  return `[${c.n}] ${c.meeting.title} (${meetingDate(c.meeting.startedAt)}) ${clock(c.line.t0)} ${c.line.speaker}: ${oneLine(c.line.text)}`;
}

const CITE_RULES = [
  'Cite every claim with the number of the line it comes from, in square brackets, e.g. [2] or [2][5].',
  'Answer only from these lines. If they do not answer the question, say so in one sentence; do not guess.',
  'Keep it short: a few sentences or bullets. Name the meeting and date when it helps.',
];

/** The prompt for a question: instructions, the numbered lines, the question. */
export function buildAnswerPrompt(question: string, lines: readonly CitedLine[]): string {
  return [
    'You answer questions about the user\'s past meetings from lines of their transcripts.',
    ...CITE_RULES,
    '',
    'Lines (number, meeting, date, time, speaker: text):',
    ...lines.map(formatLine),
    '',
    `Question: ${question.trim()}`,
  ].join('\n');
}

/** The prompt for a recap of one meeting: its lines in order. */
export function buildRecapPrompt(meeting: MemoryMeeting, lines: readonly CitedLine[], totalLines: number): string {
  return [
    `Write a recap of the meeting "${meeting.title}" (${meetingDate(meeting.startedAt)}) from its transcript below:`,
    'what it was about, what was decided, who will do what, what is still open.',
    ...CITE_RULES,
    ...(totalLines > lines.length ? [`(The transcript has ${totalLines} lines; the first ${lines.length} are below.)`] : []),
    '',
    'Transcript (number, meeting, date, time, speaker: text):',
    ...lines.map(formatLine),
  ].join('\n');
}

/** A piece of a model's answer: text to show as is, or the line numbers of one citation ("[2]", "[2, 5]"). */
export type AnswerPart = { text: string } | { cite: number[] };

const CITATION = /\[(\d+(?:\s*[,;]\s*\d+)*)\]/g;

/** Splits text into text and citations. */
export function splitCitations(text: string): AnswerPart[] {
  const parts: AnswerPart[] = [];
  let last = 0;
  for (const m of text.matchAll(CITATION)) {
    if (m.index! > last) parts.push({ text: text.slice(last, m.index) });
    parts.push({ cite: m[1].split(/[,;]/).map((n) => Number(n.trim())) });
    last = m.index! + m[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}

/**
 * Splits a streamed answer as it arrives: a citation cut between two chunks ("[1" then "2]") is held back until it
 * is whole, so it is never shown as text.
 */
export class CitationSplitter {
  private pending = '';

  push(chunk: string): AnswerPart[] {
    const text = this.pending + chunk;
    // Hold back an opening bracket that could still become a citation (at most a few characters).
    const open = text.lastIndexOf('[');
    const held = open >= 0 && !text.includes(']', open) && /^\[[\d\s,;]*$/.test(text.slice(open)) ? open : text.length;
    this.pending = text.slice(held);
    return splitCitations(text.slice(0, held));
  }

  flush(): AnswerPart[] {
    const rest = this.pending;
    this.pending = '';
    return rest ? [{ text: rest }] : [];
  }
}

/**
 * Makes a model's answer inert as Markdown while it streams, keeping its formatting (bold, lists, headings, code):
 * a prompt-injected transcript line can make the model write `![x](https://host/?q=…)` (an image loaded with no
 * click) or links whose address carries other lines. Every link, image, reference definition, autolink and HTML tag
 * needs a `[` or `<`, or is a bare URL (`scheme://`, `www.`, an e-mail address): those characters are
 * backslash-escaped (so is the backslash, so that an escape cannot be undone, and `!`, so that text before a
 * citation's link cannot make it an image), and a bare URL is broken by escaping its second `/` or its `.` after
 * `www`. Escaped characters read as themselves; only inside code would a backslash show. The model cannot link to the notes
 * or the transcript either: those links are the citations, made by the participant, not from the model's text.
 * Looks only backwards (3 characters), so a construct split between chunks needs nothing held back.
 */
export class AnswerEscaper {
  private tail = '';

  push(text: string): string {
    let out = '';
    for (const ch of text) {
      const before = this.tail;
      const escape = '\\[]<!@'.includes(ch) || (ch === '/' && before.endsWith(':/')) || (ch === '.' && /www$/i.test(before));
      out += escape ? `\\${ch}` : ch;
      this.tail = (before + ch).slice(-3);
    }
    return out;
  }
}

/** Text from a meeting shown in Markdown: one line, and nothing in it read as Markdown or HTML. */
export function escapeMarkdown(text: string): string {
  return oneLine(text).replace(/[\\`*_{}[\]()<>#+!|~]/g, (c) => `\\${c}`);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
