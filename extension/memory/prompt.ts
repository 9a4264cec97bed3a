/**
 * What the @earshot chat hands a language model, and how its answer's citations are read back: the retrieved lines
 * numbered [1], [2], … (meeting, date, time, speaker), the instructions to answer only from them, and a streaming
 * splitter that turns "[n]" in the answer into citations. Pure (no vscode): the participant (chatParticipant.ts)
 * owns the requests, the streaming and the links.
 */
import type { FinalSegment, MemoryLine, MemoryMeeting, MemoryPassage } from '../../protocol/protocol';

/** One line a prompt shows, under the number the model cites it by. */
export interface CitedLine {
  n: number;
  meeting: MemoryMeeting;
  line: MemoryLine;
}

/** Lines of a prompt at most (a long recap keeps its first ones and says so): about 20k tokens of transcript. */
export const MAX_PROMPT_LINES = 600;

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

/** Numbers the passages' lines in the order retrieval ranked them; a line two passages share is numbered once. */
export function numberPassages(passages: readonly MemoryPassage[]): CitedLine[] {
  const seen = new Set<string>();
  const cited: CitedLine[] = [];
  for (const p of passages) {
    for (const line of p.lines) {
      const key = `${p.meeting.sessionId}/${line.segmentId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      cited.push({ n: cited.length + 1, meeting: p.meeting, line });
    }
  }
  return cited;
}

/** A meeting's final segments as numbered lines (a recap), notes lines where the notes file has them. */
export function numberSegments(meeting: MemoryMeeting, segments: readonly FinalSegment[], notesLineOf: (text: string) => number | undefined): CitedLine[] {
  return segments.slice(0, MAX_PROMPT_LINES).map((s, i) => {
    const notesLine = notesLineOf(s.text);
    return {
      n: i + 1, meeting,
      line: { segmentId: s.segmentId, index: i + 1, speaker: s.speaker, t0: s.t0, t1: s.t1, text: s.text, hit: false, ...(notesLine ? { notesLine } : {}) },
    };
  });
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

/** Text from a meeting shown in Markdown: one line, and nothing in it read as Markdown or HTML. */
export function escapeMarkdown(text: string): string {
  return oneLine(text).replace(/[\\`*_{}[\]()<>#+!|~]/g, (c) => `\\${c}`);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
