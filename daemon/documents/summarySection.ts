/**
 * The notes' Summary: the language model's last journaled summary (a `summary` record, understanding/modelSummary.ts)
 * as cited bullets, said to be settled at the end against the decisions and action items or plainly not, or, from journals of earlier versions, a refinement's summary strings; without either, a plain
 * line saying there is no summary and how to get one (the rules write no summary). Also the same summary as the
 * client is sent it (SummaryParams). Pure: reads records, writes nothing.
 *
 * Cites link to the transcript line they come from: the transcript line carries `<a id="…"></a>` (transcriptAnchor)
 * and the cite reads as the line's own clock time, so it is found in the file by eye or search too.
 */
import { FinalSegment, SummaryParams } from '../../protocol/protocol';
import { clock, inline } from '../../protocol/markdownText';
import { JournalRecord, lastSummary, partNotesOf } from '../journal/journal';
import { displayModel } from './notesText';

/** What is said when no model wrote a summary; `how`: how the user chooses one where this is read. */
export const noSummary = (how: string) => `_No summary: Earshot writes one with a language model you choose (${how}); the decisions and action items below are from rules._`;

/** What the notes say when no model wrote a summary. */
export const NO_SUMMARY = noSummary('setting `earshot.enhancement.provider`: a local model, a VS Code model or an endpoint');

/** A point as the notes show it: its cites that name a transcript line, in time order. */
export interface NotesSummaryPoint { text: string; segmentIds: string[]; t0s: number[] }

export interface NotesSummary {
  points: NotesSummaryPoint[];
  /** The model that wrote it (absent: none did). */
  by?: string;
  /** Bullets of an earlier version's refinement (no cites), shown when there is no model summary. */
  legacy: string[];
  /** The points were settled at stop against the final decisions and action items (journal's `settled`). */
  settled?: boolean;
  /** Why they were not (fixed words), when the settle was tried or refused. */
  unsettled?: string;
  /**
   * The notes taken on each part of the meeting (the settle of v11 reads them), in meeting order, those with a point:
   * as the notes show them, so none under PARTS_SHOWN_FROM.
   */
  parts: NotesPart[];
}

/** The notes taken on one part of the meeting as the notes show them: its time span, its points and who wrote them. */
export interface NotesPart { t0: number; t1: number; by: string; points: NotesSummaryPoint[] }

/**
 * The fewest parts with notes that the notes show part by part: a meeting of one part has its summary and nothing more
 * to say. (Each part's notes say what it dealt with in more detail than a summary of at most 20 points holds: a long
 * meeting's every topic, issue 56.)
 */
export const PARTS_SHOWN_FROM = 2;

/** A journaled point as the notes show it: its cites kept only where they name a line of `segments`, in time order; none without one. */
function citedPoint(p: { text?: unknown; segmentIds?: unknown }, segments: ReadonlyMap<string, FinalSegment>): NotesSummaryPoint[] {
  const ids = (Array.isArray(p?.segmentIds) ? p.segmentIds : []).filter((id): id is string => typeof id === 'string' && segments.has(id))
    .sort((a, b) => segments.get(a)!.t0 - segments.get(b)!.t0);
  return typeof p?.text === 'string' && p.text.trim() && ids.length ? [{ text: p.text, segmentIds: ids, t0s: ids.map((id) => segments.get(id)!.t0) }] : [];
}

/** The parts' notes in `records` with a point citing a line of `segments`, each point as the notes show it; none under PARTS_SHOWN_FROM. */
function notesParts(records: readonly JournalRecord[], segments: ReadonlyMap<string, FinalSegment>): NotesPart[] {
  const parts = partNotesOf(records).flatMap((r) => {
    const points = (Array.isArray(r.points) ? r.points : []).flatMap((p) => citedPoint(p, segments));
    return points.length ? [{ t0: Number(r.t0) || 0, t1: Number(r.t1) || 0, by: String(r.by ?? ''), points }] : [];
  });
  return parts.length >= PARTS_SHOWN_FROM ? parts : [];
}

/** The last model summary in `records`, its cites kept only where they name a line of `segments`. */
export function notesSummary(records: readonly JournalRecord[], segments: ReadonlyMap<string, FinalSegment>, ended: boolean): NotesSummary {
  const last = lastSummary(records);
  const parts = notesParts(records, segments);
  if (last && Array.isArray(last.points)) {
    const points = last.points.flatMap((p) => citedPoint(p, segments));
    if (points.length) {
      return {
        points, by: String(last.by ?? ''), legacy: [], parts, ...(last.settled === true ? { settled: true } : {}),
        ...(last.settled === false && typeof last.unsettled === 'string' ? { unsettled: last.unsettled } : {}),
      };
    }
  }
  // Journals of earlier versions: the refinement at stop carried the model's bullets, with no cites.
  const refinement = ended ? records.filter((r): r is Extract<JournalRecord, { type: 'refinement' }> => r.type === 'refinement').pop() : undefined;
  const legacy = Array.isArray(refinement?.summary) ? refinement.summary.filter((b): b is string => typeof b === 'string' && b.trim() !== '') : [];
  return { points: [], legacy, parts, ...(legacy.length ? { by: String(refinement!.model ?? '') } : {}) };
}

/** The id a cited transcript line carries (letters, digits, `-` and `_` only: safe in HTML and in a link). */
export const transcriptAnchor = (segmentId: string) => `line-${segmentId.replace(/[^\w-]/g, '_')}`;

/** The Summary section's lines, after its heading. */
export function summaryLines(summary: NotesSummary, segments: ReadonlyMap<string, FinalSegment>, ended: boolean): string[] {
  if (summary.points.length) {
    const label = summaryLabel(displayModel(summary.by ?? ''), { ended, settled: summary.settled === true, ...(summary.unsettled ? { unsettled: summary.unsettled } : {}) },
      'each point links to the lines it comes from');
    return [label, '', ...summary.points.map((p) => pointLine(p, segments)), ...partLines(summary.parts, segments)];
  }
  if (summary.legacy.length) {
    return [`_Refined by ${displayModel(summary.by ?? '')} (opt-in). Written by a language model from the transcript: check it against the transcript below._`, '',
      ...summary.legacy.map((b) => `- ${inline(b)}`)];
  }
  return [NO_SUMMARY, ...partLines(summary.parts, segments)];
}

/** A point's bullet: its text made inert, then its cites linked to their transcript lines and who said them. */
function pointLine(p: NotesSummaryPoint, segments: ReadonlyMap<string, FinalSegment>): string {
  const cites = p.segmentIds.map((id, k) => `[${clock(p.t0s[k])}](#${transcriptAnchor(id)})`).join(', ');
  const speakers = [...new Set(p.segmentIds.map((id) => segments.get(id)!.speaker))].map(inline).join(', ');
  return `- ${inline(p.text)} _(${cites}${speakers ? `, ${speakers}` : ''})_`;
}

/**
 * The notes taken on each part, under the summary, folded (an HTML `<details>`: VS Code's Markdown preview and GitHub
 * open it on a click, and the editor's outline gains no heading): each part's time span, then its points as the
 * summary's. None without parts.
 */
export function partLines(parts: readonly NotesPart[], segments: ReadonlyMap<string, FinalSegment>): string[] {
  if (!parts.length) return [];
  const by = [...new Set(parts.map((p) => displayModel(p.by)))].join(', ');
  return ['', `<details><summary>Part by part: the notes ${by} took on each of the meeting's ${parts.length} parts as it read them</summary>`,
    ...parts.flatMap((part) => ['', `**${clock(part.t0)}–${clock(part.t1)}**`, '', ...part.points.map((p) => pointLine(p, segments))]),
    '', '</details>'];
}

/**
 * The line over a model's summary: rolling while the meeting runs; once it ended, settled against the final decisions and
 * action items, or plainly not (and why, when known): then it is the last rolling summary, and the lists stand over it.
 * `cites`: how its points show where they come from.
 */
export function summaryLabel(by: string, state: { ended: boolean; settled: boolean; unsettled?: string }, cites: string): string {
  if (!state.ended) return `_Rolling summary by ${by} (opt-in language model), revised as the meeting runs; ${cites}._`;
  if (state.settled) return `_Written by ${by} (opt-in language model) from the transcript, settled at the end against the decisions and action items; ${cites}._`;
  return `_Written by ${by} (opt-in language model) as the meeting ran, and not settled at the end against the final decisions and action items`
    + `${state.unsettled ? ` (${state.unsettled})` : ''}: where it differs from them, they stand; ${cites}._`;
}

/** The ids of the transcript lines the summary cites (they get an anchor). */
export const citedLines = (summary: NotesSummary): Set<string> =>
  new Set([...summary.points, ...summary.parts.flatMap((p) => p.points)].flatMap((p) => p.segmentIds));

/** The summary and open questions as the client is sent them (earshot/summary). */
export function summaryParams(sessionId: string, final: boolean, summary: NotesSummary,
  questions: readonly { text: string; speaker?: string | null; t0?: number | null }[]): SummaryParams {
  return {
    sessionId, final,
    bullets: summary.points.length ? summary.points.map((p) => p.text) : summary.legacy,
    ...(summary.points.length ? { points: summary.points.map((p) => ({ text: p.text, segmentIds: p.segmentIds, t0s: p.t0s })) } : {}),
    ...(summary.by !== undefined ? { by: summary.by } : {}),
    ...(final && summary.points.length ? { settled: summary.settled === true, ...(summary.unsettled ? { unsettledReason: summary.unsettled } : {}) } : {}),
    ...(summary.parts.length ? { parts: summary.parts.map((p) => ({ t0: p.t0, t1: p.t1, points: p.points.map((x) => ({ text: x.text, segmentIds: x.segmentIds, t0s: x.t0s })) })) } : {}),
    openQuestions: questions.map((q) => ({ text: q.text, speaker: q.speaker ?? null, t0: q.t0 ?? 0 })),
  };
}
