/**
 * The rolling summary's part of `npm run eval:model-notes` (model-notes-eval.ts): each meeting's chunks (as the CLI cuts
 * them) through the daemon's own rollSummary with the model that answers the eval, and, of its raw answers, how many
 * parsed, how many cites name a line the prompt offered (a real segment) and how many points the final summary has.
 * Whether the points are the meeting's key points: `npm run eval:summary` (summary-eval.ts), against QMSum's human
 * summaries. Recorded answers (--answers) hold none for the summary prompt here, and none are made up: then it says so.
 */
import { Chat } from '../../daemon/understanding/providers';
import { chunkLines, ChunkLine, DEFAULT_CHUNK_OPTIONS } from '../../daemon/understanding/modelExtract';
import { citableIds, rollSummary, SummaryPoint } from '../../daemon/understanding/modelSummary';
import { extractJsonObject } from '../../protocol/modelJson';

export interface SummaryMeasure {
  calls: number;
  /** Raw answers with a `points` list. */
  parsed: number;
  /** Cites in the raw answers, and those naming a line the prompt offered. */
  cites: number;
  realCites: number;
  /** Points of each meeting's final summary. */
  finalPoints: number[];
}

/** One meeting's rolling summary: every chunk, in order, each call's raw answer checked before the parser's filter. */
export async function measureSummary(lines: readonly ChunkLine[], meeting: { title: string; date: string }, chat: Chat, into: SummaryMeasure): Promise<void> {
  let points: SummaryPoint[] = [];
  for (const chunk of chunkLines(lines, DEFAULT_CHUNK_OPTIONS)) {
    const offered = new Set(citableIds(points, chunk));
    const watched: Chat = async (system, user, signal, constraint) => {
      const answer = await chat(system, user, signal, constraint);
      into.calls++;
      const value = extractJsonObject(answer.text) as { points?: unknown } | undefined;
      if (value && Array.isArray(value.points)) {
        into.parsed++;
        for (const p of value.points as { cites?: unknown }[]) {
          for (const c of Array.isArray(p?.cites) ? p.cites : []) {
            into.cites++;
            if (typeof c === 'string' && offered.has(c)) into.realCites++;
          }
        }
      }
      return answer;
    };
    const rolled = await rollSummary(watched, meeting, points, chunk, new AbortController().signal);
    if (rolled.points) points = rolled.points;
  }
  into.finalPoints.push(points.length);
}

/** The report's lines. */
export function summaryReport(m: SummaryMeasure | undefined): string[] {
  if (!m) {
    return ['', 'Rolling summary: not measured. The recorded answers hold none for the summary prompt (and none are made up);',
      'run with --endpoint URL or --local MODEL.gguf to measure whether its cites are real lines and how many points it keeps.',
      'Whether the points are the meeting\'s key points: npm run eval:summary (QMSum\'s human summaries, recorded judgements).'];
  }
  const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)} %` : 'n/a');
  const sorted = [...m.finalPoints].sort((a, b) => a - b);
  return ['', `Rolling summary: ${m.calls} calls, ${m.parsed} answers with a point list (${pct(m.parsed, m.calls)}); `
    + `${m.realCites} of ${m.cites} cites name a line the prompt offered (${pct(m.realCites, m.cites)}; the others are dropped); `
    + `final points per meeting: min ${sorted[0] ?? 0}, median ${sorted[Math.floor(sorted.length / 2)] ?? 0}, max ${sorted[sorted.length - 1] ?? 0}, `
    + `${m.finalPoints.filter((n) => n >= 3 && n <= 6).length} of ${m.finalPoints.length} meetings within 3–6.`,
  'Whether the points are the meeting\'s key points: npm run eval:summary (QMSum\'s human summaries, recorded judgements).'];
}
