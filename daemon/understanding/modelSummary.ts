/**
 * The language model's rolling summary of a meeting (pure, but for rollSummary's one call): the prompt that revises
 * the summary so far with one chunk's lines, the strict check of its answer (every cite a real line), and the call
 * with one more try on an invalid answer. Each chunk costs one small call (a model that fell behind reads two in one):
 * the model sees the previous points and the new lines, never the whole meeting again.
 *
 * rollOver carries the summary on over the chunks it has not read yet, in meeting order (one call each, or a few
 * consecutive chunks in one call for a model that fell behind): the one loop
 * that a live session (session/liveExtraction.ts), an interrupted session finalized later (service/modelExtractions.ts)
 * and `earshot notes` (modelTranscript.ts) all roll with.
 *
 * Owns the summary's prompt and answer shape. Must not touch the journal or the notes (its callers journal the points
 * through rollOver's `revised`, documents/summarySection.ts renders them).
 */
import { extractJsonObject } from '../../protocol/modelJson';
import { ChunkLine, lineChars } from './modelExtract';
import { Chat, estimateTokens, safeReason, workingTimeLimit } from './providers';

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

/** How one summary call went, for the log: outcome, time and fixed words (never transcript or model text). */
export interface SummaryCallReport {
  outcome: 'applied' | 'failed' | 'timeout' | 'cancelled';
  ms: number;
  attempt: number;
  /** The model that answered (applied). */
  model?: string;
  /** Why it failed: `invalid answer`, `no answer within N s`, `http-503`, `client error -32603`, ... (safeReason). */
  reason?: string;
}

/**
 * Revises the summary with one chunk's lines: one call (one more on an answer with no valid point list), each within
 * `timeoutMs` when given. Answers the new points (none valid: the previous ones stand), the model's name and the tokens
 * the calls cost (estimated as the extraction's are). Never rejects for a failed call: null points; `report` hears how
 * each call went (the caller logs it).
 */
export async function rollSummary(chat: Chat, meeting: { title: string; date: string }, previous: readonly SummaryPoint[], lines: readonly ChunkLine[],
  signal: AbortSignal, how: { timeoutMs?: number; pausedMs?(): number; report?(r: SummaryCallReport): void } = {}): Promise<RolledSummary> {
  const { system, user } = summaryMessages(meeting, previous, lines);
  const ids = citableIds(previous, lines);
  const known = new Set(ids);
  const report = how.report ?? (() => undefined);
  let tokens = 0;
  let model: string | undefined;
  for (let attempt = 1; attempt <= SUMMARY_ATTEMPTS && !signal.aborted; attempt++) {
    tokens += estimateTokens(system.length + user.length);
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    const timeout = how.timeoutMs === undefined ? undefined : workingTimeLimit(how.timeoutMs, how.pausedMs);
    try {
      const answer = await chat(system, user, timeout ? AbortSignal.any([signal, timeout.signal]) : signal, { summary: { segmentIds: ids } });
      model = answer.model;
      tokens += estimateTokens(answer.text.length);
      const points = parseSummaryAnswer(answer.text, known);
      if (points && points.length) {
        report({ outcome: 'applied', ms: ms(), attempt, model });
        return { points, model, tokens };
      }
      report({ outcome: 'failed', ms: ms(), attempt, reason: 'invalid answer' });
    } catch (e) {
      // A failed call: the summary so far stands (no retry: the next chunk's call revises it anyway).
      const timedOut = !signal.aborted && timeout?.signal.aborted === true;
      report(signal.aborted ? { outcome: 'cancelled', ms: ms(), attempt, reason: 'cancelled' }
        : timedOut ? { outcome: 'timeout', ms: ms(), attempt, reason: `no answer within ${how.timeoutMs! / 1000} s` }
          : { outcome: 'failed', ms: ms(), attempt, reason: safeReason(e) });
      return { points: null, model, tokens };
    } finally {
      timeout?.clear();
    }
  }
  return { points: null, model, tokens };
}

/** What one summary call answers (rollSummary). */
export interface RolledSummary { points: SummaryPoint[] | null; model: string | undefined; tokens: number }

/** Where a rolling summary stands: its points and how many of the meeting's chunks, from the first, it has read. */
export interface SummarySoFar { points: SummaryPoint[]; chunks: number }

/**
 * Rolls `sofar` on (in place) over those of `chunks` it has not read, in meeting order: one call each (`ask`: rollSummary
 * through the provider), none once `mayAsk` says no (the run was declined, cancelled or is out of budget). With
 * `mergeChars`, consecutive chunks are asked in one call while their lines (the overlap once) stay within it, a chunk
 * longer alone still asked alone: a model that fell behind revises once for several chunks. `spent` hears each call's
 * tokens; `revised` hears each valid revision, with the model that wrote it, once `sofar` holds it (the caller journals
 * it before anyone is told). A call with no valid answer counts its chunks read: the summary so far stands.
 */
export async function rollOver(chunks: readonly { index: number; lines: readonly ChunkLine[] }[], sofar: SummarySoFar, how: {
  ask(previous: readonly SummaryPoint[], chunk: { index: number; lines: readonly ChunkLine[] }): Promise<RolledSummary>;
  mayAsk(): boolean;
  spent?(tokens: number): void;
  revised(model: string | undefined): Promise<void> | void;
  mergeChars?: number;
}): Promise<void> {
  for (const group of summaryGroups(chunks.filter((c) => c.index >= sofar.chunks), how.mergeChars)) {
    if (!how.mayAsk()) return;
    const rolled = await how.ask(sofar.points, group);
    how.spent?.(rolled.tokens);
    sofar.chunks = group.index + 1;
    if (!rolled.points) continue;
    sofar.points = rolled.points;
    await how.revised(rolled.model);
  }
}

/**
 * The calls that read `chunks` (in meeting order): one per chunk, or with `mergeChars` consecutive chunks together
 * while their lines, each once (chunks overlap by a few lines), stay within it. A group has its last chunk's index.
 */
export function summaryGroups(chunks: readonly { index: number; lines: readonly ChunkLine[] }[], mergeChars?: number): { index: number; lines: ChunkLine[] }[] {
  const groups: { index: number; lines: ChunkLine[]; chars: number; ids: Set<string> }[] = [];
  for (const chunk of chunks) {
    const last = groups[groups.length - 1];
    const fresh = last ? chunk.lines.filter((l) => !last.ids.has(l.segmentId)) : [...chunk.lines];
    const chars = fresh.reduce((n, l) => n + lineChars(l), 0);
    if (last && mergeChars !== undefined && last.chars + chars <= mergeChars) {
      last.lines.push(...fresh);
      for (const l of fresh) last.ids.add(l.segmentId);
      last.chars += chars;
      last.index = chunk.index;
    } else {
      groups.push({ index: chunk.index, lines: [...chunk.lines], chars: chunk.lines.reduce((n, l) => n + lineChars(l), 0), ids: new Set(chunk.lines.map((l) => l.segmentId)) });
    }
  }
  return groups.map(({ index, lines }) => ({ index, lines }));
}
