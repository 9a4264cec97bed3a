/**
 * The language model's rolling summary of a meeting (pure, but for rollSummary's one call): the prompt that revises
 * the summary so far with one chunk's lines, the strict check of its answer (every cite a real line), and the call
 * with one more try on an invalid answer. Each chunk costs one small call: the model sees the previous points and the
 * new chunk's lines, never the whole meeting again.
 *
 * Owns the summary's prompt and answer shape. Must not touch the journal or the notes (session/liveExtraction.ts
 * journals the points, documents/markdown.ts renders them).
 */
import { extractJsonObject } from '../../protocol/modelJson';
import { ChunkLine } from './modelExtract';
import { Chat, estimateTokens } from './providers';

/** One point of the summary and the lines it comes from (segment ids, at least one). */
export interface SummaryPoint { text: string; segmentIds: string[] }

/** A summary is 3–6 points once the meeting has some; each a sentence citing a few lines. */
export const SUMMARY_BOUNDS = { points: 6, citations: 4, text: 240 } as const;

/** What a summary answer may cite: the new chunk's lines and the lines the previous points cite. */
export interface SummaryConstraint { summary: { segmentIds: string[] } }

const SHAPE = `{"points": [{"text": "one key point or outcome of the meeting, one sentence", "cites": ["the [id]s of the lines it comes from"]}]}`;

const clock = (t: number) => {
  const s = Math.max(0, Math.floor(t));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};

/** The system and user messages that revise `previous` with the lines of one more chunk. */
export function summaryMessages(meeting: { title: string; date: string }, previous: readonly SummaryPoint[], lines: readonly ChunkLine[]): { system: string; user: string } {
  const system = [
    'You keep the summary of a meeting that is still running. Answer with one JSON object and nothing else, of this shape:',
    SHAPE,
    `Rules: 3 to ${SUMMARY_BOUNDS.points} points (fewer only when little has been said), the meeting's key points and outcomes`,
    'as a careful note-taker would write them for someone who missed it: what was discussed, concluded, decided or left',
    'open. Use only what the lines say; never invent people, dates or outcomes. Revise the summary so far with the new',
    'lines: keep its points that still matter (with their cites), merge or replace points the new lines change, add what',
    'is new and important, drop small talk and meeting procedure. Each point cites by [id] the lines it comes from: the',
    'new lines or the lines the summary so far cites, nothing else.',
  ].join('\n');
  const user = [
    `Meeting: ${meeting.title}`,
    `Date: ${meeting.date}`,
    '',
    'Summary so far (JSON):',
    JSON.stringify({ points: previous.map((p) => ({ text: p.text, cites: p.segmentIds })) }),
    '',
    'New lines:',
    ...lines.map((l) => `[${l.segmentId}] ${clock(l.t0)} ${l.speaker}: ${l.text}`),
  ].join('\n');
  return { system, user };
}

/** The ids a summary answer may cite: the previous points' and the new lines', in that order, once each. */
export function citableIds(previous: readonly SummaryPoint[], lines: readonly ChunkLine[]): string[] {
  return [...new Set([...previous.flatMap((p) => p.segmentIds), ...lines.map((l) => l.segmentId)])];
}

/**
 * A model's summary answer, checked strictly: null when it holds no `points` list; a cite of an unknown line is
 * dropped, a point left with no cite (or no text) is dropped, texts are trimmed and bounded, at most
 * SUMMARY_BOUNDS.points points and SUMMARY_BOUNDS.citations cites each are kept.
 */
export function parseSummaryAnswer(text: string, known: ReadonlySet<string>): SummaryPoint[] | null {
  const value = extractJsonObject(text) as { points?: unknown } | undefined;
  if (!value || typeof value !== 'object' || !Array.isArray(value.points)) return null;
  const points: SummaryPoint[] = [];
  for (const p of value.points as unknown[]) {
    const point = p as { text?: unknown; cites?: unknown };
    if (!point || typeof point.text !== 'string' || !Array.isArray(point.cites)) continue;
    const said = point.text.replace(/\s+/g, ' ').trim().slice(0, SUMMARY_BOUNDS.text);
    const cites = [...new Set(point.cites.filter((c): c is string => typeof c === 'string' && known.has(c)))].slice(0, SUMMARY_BOUNDS.citations);
    if (said && cites.length) points.push({ text: said, segmentIds: cites });
    if (points.length === SUMMARY_BOUNDS.points) break;
  }
  return points;
}

/** Tries per chunk: one more on an invalid answer (as the chunk extraction does). */
const SUMMARY_ATTEMPTS = 2;

/**
 * Revises the summary with one chunk's lines: one call (one more on an answer with no valid point list). Answers
 * the new points (none valid: the previous ones stand), the model's name and the tokens the calls cost (estimated as
 * the extraction's are). Never rejects for a failed call: null points.
 */
export async function rollSummary(chat: Chat, meeting: { title: string; date: string }, previous: readonly SummaryPoint[], lines: readonly ChunkLine[],
  signal: AbortSignal): Promise<{ points: SummaryPoint[] | null; model: string | undefined; tokens: number }> {
  const { system, user } = summaryMessages(meeting, previous, lines);
  const ids = citableIds(previous, lines);
  const known = new Set(ids);
  let tokens = 0;
  let model: string | undefined;
  for (let attempt = 0; attempt < SUMMARY_ATTEMPTS && !signal.aborted; attempt++) {
    tokens += estimateTokens(system.length + user.length);
    try {
      const answer = await chat(system, user, signal, { summary: { segmentIds: ids } });
      model = answer.model;
      tokens += estimateTokens(answer.text.length);
      const points = parseSummaryAnswer(answer.text, known);
      if (points && points.length) return { points, model, tokens };
    } catch {
      return { points: null, model, tokens }; // a failed call: the summary so far stands (the extraction reports failures)
    }
  }
  return { points: null, model, tokens };
}
