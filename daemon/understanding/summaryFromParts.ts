/**
 * The settle of v10 (issue 56): the summary at stop written from notes taken on each part of the meeting, instead of
 * revised from the rolling summary. The rolling summary (modelSummary.ts) stays what a live session shows; it keeps 11
 * points over a whole meeting, so what a long meeting said early is revised away or never enters it (the settle of v9
 * got back only what an earlier revision had said: on the core-devs calls the last rolling summary covered 0.59 of the
 * note-taker's facts and the settle 0.69). Here each chunk also gets a small call of its own that notes what that part
 * said (partNotes: up to PART_BOUNDS.points points, each citing its lines, never reading the summary so far), and the
 * settle composes the summary from every part's notes and the final decisions and action items (composeMessages), within
 * the same budget as v9's (settledPointsFor). The settle of v11, the default, keeps v9's settle of the rolling summary
 * and reads the parts' notes beside it (settleMessagesV11): level with v9 on QMSum's meetings, above it on long
 * developer calls.
 *
 * Pure but for partNotes' and composeSummary's one call each. Its callers journal what they answer (a `partNotes` record
 * per chunk, the settled `summary` record) before anyone is told.
 */
import { ChunkLine } from './modelExtract';
import { Chat } from './providers';
import { checkSummaryStandings } from './standingCheck';
import {
  askSummary, clock, everyPartNoted, FinalOutcomes, MeetingFacts, meetingLines, outcomeLines, PartNotes, RolledSummary, settleCitableIds, SettleExtras, settledPointsFor,
  settleMessages, settleSummary, SettleVersion, SHAPE, SUMMARY_BOUNDS, SummaryCallOptions, summaryJson, SummaryPoint, SummarySoFar,
} from './modelSummary';

/** A part's notes: at most `points` points (a part is a chunk: a few minutes of a meeting). */
export const PART_BOUNDS = { points: 5 } as const;

/**
 * The parts' notes the settle reads at most, in characters of their points' texts (rendered with their cites, about
 * 1.4 times that): with the lists and the system message, within a local model's 8,192-token context for meetings of
 * up to about 17 parts (the longest recorded, QMSum's Bmr018, has 16,204). Past it each part keeps its first points
 * (partsWithin); a compose call that still does not fit fails, and v9's settle is asked instead (settleAnyVersion).
 */
export const PART_NOTES_CHARS = 17_000;


/** Whether a system message is one of this module's (the evals route recorded answers by it). */
export const isPartsPrompt = (system: string) => system === PART_SYSTEM || system.startsWith(COMPOSE_FIRST_LINE);

const PART_SYSTEM = [
  'You take notes on one part of a meeting; when the meeting has ended, its summary is written from every part\'s notes.',
  'Answer with one JSON object and nothing else, of this shape:',
  SHAPE,
  `Rules: 1 to ${PART_BOUNDS.points} points (fewer only when the part says little worth keeping), in the order the part says`,
  'them, as a careful note-taker would write them for someone who missed the meeting: what was presented or reported and',
  'by whom (its substance: what was found or built, figures, names, reasons), what was discussed, proposed, asked for,',
  'preferred or agreed to and by whom, what was decided, left open or left for later, and what comes next. Leave out small',
  'talk and the running of the meeting itself (who speaks next, the agenda, technical trouble). Use only these lines;',
  `never invent people, dates or outcomes. Each point is one or two plain sentences of at most ${SUMMARY_BOUNDS.text} characters`,
  `(say less rather than run on) and cites by [id] the lines it comes from, at most ${SUMMARY_BOUNDS.citations} of them.`,
].join('\n');

/** The system and user messages that note one part (a chunk's lines), never reading the summary so far. */
export function partMessages(meeting: MeetingFacts, chunk: number, lines: readonly ChunkLine[]): { system: string; user: string } {
  const user = [
    ...meetingLines(meeting),
    '',
    `Part ${chunk + 1} of the meeting (${clock(lines[0]?.t0 ?? 0)} to ${clock(lines.at(-1)?.t0 ?? 0)}; a part begins with the last few lines of the one before):`,
    ...lines.map((l) => `[${l.segmentId}] ${clock(l.t0)} ${l.speaker}: ${l.text}`),
  ].join('\n');
  return { system: PART_SYSTEM, user };
}

/**
 * Notes one part: one call (one more on an answer with no valid point), within `timeoutMs` when given; each point cites
 * only the part's own lines. Never rejects: null points and why (fixed words) when there is no valid answer.
 */
export function partNotes(chat: Chat, meeting: MeetingFacts, chunk: { index: number; lines: readonly ChunkLine[] },
  signal: AbortSignal, how: SummaryCallOptions = {}): Promise<RolledSummary> {
  return askSummary(chat, partMessages(meeting, chunk.index, chunk.lines), chunk.lines.map((l) => l.segmentId), PART_BOUNDS.points, signal, how);
}

const COMPOSE_FIRST_LINE = 'You write the summary of a meeting that has ended, from the notes taken on each of its parts';
const COMPOSE_SYSTEM = [
  `${COMPOSE_FIRST_LINE} and its final decisions and action items. Answer with one JSON object and nothing else, of this shape:`,
  SHAPE,
  'The parts come in meeting order and overlap by a few lines, so one thing may be noted twice.',
  'Rules: the first point is an overview: what the meeting was (its kind and purpose), what it mostly dealt with, how it',
  'ended, where the group stood overall and what comes next. The other points follow the meeting, topic by topic, as a',
  'careful note-taker would write them for someone who missed it: what was presented or reported and by whom (its',
  'substance, not that it happened), who proposed, preferred, asked for or agreed to what, what was decided and what was',
  'left open. Merge what several parts note of one topic into one point (two where it holds more than one point can say);',
  'leave out repeats and the running of the meeting, nothing else the notes give: where there is more than the bound',
  'allows, fold the smaller things into the point they belong to rather than leave them out.',
  'State every outcome as the final lists state it: what they list as decided was decided (never call it suggested,',
  'proposed, considered or left open), what they list as left open was not decided, what they list as given to the team',
  'was required of it from outside (not the group\'s choice); a final decision whose own words say it was left open',
  '("whether …", "left for later") was left open. Never state one outcome both as decided and as left open. Add each',
  'important decision or action item the notes lack, citing its line.',
  'Use only what you are given; never invent people, dates or outcomes. Each point is one or two plain sentences of at',
  `most ${SUMMARY_BOUNDS.text} characters (say less rather than run on) and cites by [id] the lines it comes from (the`,
  `notes' cites or the lists' lines), at most ${SUMMARY_BOUNDS.citations} of them.`,
].join('\n');

/**
 * The parts' notes within PART_NOTES_CHARS: every part keeps its first point, then its second, and so on while they fit
 * (a long meeting loses each part's last, smallest points rather than its last parts).
 */
export function partsWithin(parts: readonly PartNotes[], chars: number = PART_NOTES_CHARS): PartNotes[] {
  // In meeting order, whatever order they were noted in (a part asked again after a resume comes last).
  const ordered = [...parts].sort((a, b) => a.chunk - b.chunk);
  const kept = ordered.map((p) => ({ ...p, points: [] as SummaryPoint[] }));
  let used = 0;
  for (let k = 0; k < PART_BOUNDS.points; k++) {
    for (const [i, part] of ordered.entries()) {
      const point = part.points[k];
      if (!point) continue;
      if (used + point.text.length > chars) return kept;
      kept[i].points.push(point);
      used += point.text.length;
    }
  }
  return kept;
}

/** The system and user messages that compose the settled summary from the parts' notes and the final lists, within `chunks`' budget. */
export function composeMessages(meeting: MeetingFacts, parts: readonly PartNotes[], outcomes: FinalOutcomes, chunks: number): { system: string; user: string } {
  const user = [
    ...meetingLines(meeting),
    '',
    `The meeting has ended: write its summary in up to ${settledPointsFor(10, chunks)} points (this meeting's bound).`,
    '',
    'Notes on each part (JSON):',
    ...partsWithin(parts).map((p) => `Part ${p.chunk + 1} (${clock(p.t0)} to ${clock(p.t1)}): ${summaryJson(p.points)}`),
    '',
    ...outcomeLines(outcomes),
  ].join('\n');
  return { system: COMPOSE_SYSTEM, user };
}

/** The ids a composed summary may cite: the parts' notes', then the final decisions' and action items' lines, once each. */
export function composeCitableIds(parts: readonly PartNotes[], outcomes: FinalOutcomes): string[] {
  return [...new Set([...partsWithin(parts).flatMap((p) => p.points.flatMap((pt) => pt.segmentIds)),
    ...[...outcomes.decisions, ...outcomes.actionItems].map((x) => x.segmentId).filter(Boolean)])];
}

/**
 * Settles the summary at stop from the parts' notes: one call (one more on an invalid answer), within `timeoutMs`. Null
 * points and why when there is no valid answer (the caller keeps the summary so far). Never rejects.
 */
export function composeSummary(chat: Chat, meeting: MeetingFacts, parts: readonly PartNotes[], outcomes: FinalOutcomes,
  chunks: number, signal: AbortSignal, how: SummaryCallOptions = {}): Promise<RolledSummary> {
  return askSummary(chat, composeMessages(meeting, parts, outcomes, chunks), composeCitableIds(parts, outcomes), settledPointsFor(10, chunks), signal, how);
}

/**
 * The parts' notes v11's settle reads at most (characters of their points' texts): less than v10's compose, since it
 * also reads the summary so far (11 points) and the points it dropped (DROPPED_BOUNDS), within the same context.
 */
export const PART_NOTES_CHARS_V11 = 11_000;

/**
 * The settle of v11 (issue 56; modelSummary.ts's SETTLE_DEFAULT since 2026-11-30): v9's settle of the rolling summary
 * (its points, the points it dropped, the final lists, its budget), and beside them the notes taken on each part, for
 * what the rolling summary never had room for. v10 composed from the parts alone and lost who said what on short
 * meetings where the rolling summary had kept everything; v11 keeps the rolling summary as the base.
 */
export const SETTLE_RULES_V11 = [
  'Notes taken on each part of the meeting alone (below, in meeting order; the parts overlap by a few lines) hold what',
  'the summary so far had no room for: bring into the settled summary, as points of their own or within the point they',
  'belong to, what they say that matters to someone who missed the meeting and that no point, dropped point or final list',
  'already says: what was presented or reported and its substance (what was found or built, figures, names, reasons), who',
  'proposed, preferred, asked for or agreed to what, what was left open and what comes next. Where the final lists state',
  'an outcome otherwise than a note, the lists stand. Fold smaller things into the point they belong to rather than leave',
  'them out. Cite the notes\' lines.',
];

/** The parts' notes v11's settle shows (and may cite): within PART_NOTES_CHARS_V11, in meeting order. */
const partsForV11 = (extras: SettleExtras) => partsWithin(extras.parts ?? [], PART_NOTES_CHARS_V11);

/** The system and user messages of v11's settle: v9's, with SETTLE_RULES_V11 and the parts' notes (partsForV11). */
export function settleMessagesV11(meeting: MeetingFacts, previous: readonly SummaryPoint[], outcomes: FinalOutcomes, extras: SettleExtras): { system: string; user: string } {
  const material = ['Notes on each part (JSON, in meeting order):',
    ...partsForV11(extras).map((p) => `Part ${p.chunk + 1} (${clock(p.t0)} to ${clock(p.t1)}): ${summaryJson(p.points)}`)];
  return settleMessages(meeting, previous, outcomes, 9, extras, { rules: SETTLE_RULES_V11, material });
}

/**
 * Settles the summary at stop as v11 does: one call (one more on an invalid answer), citing v9's ids or the shown parts'
 * lines; null points and why when there is no valid answer. Never rejects.
 */
export function settleSummaryV11(chat: Chat, meeting: MeetingFacts, previous: readonly SummaryPoint[], outcomes: FinalOutcomes, extras: SettleExtras,
  signal: AbortSignal, how: SummaryCallOptions = {}): Promise<RolledSummary> {
  const ids = [...new Set([...settleCitableIds(previous, outcomes, extras.dropped), ...partsForV11(extras).flatMap((p) => p.points.flatMap((pt) => pt.segmentIds))])];
  return askSummary(chat, settleMessagesV11(meeting, previous, outcomes, extras), ids, settledPointsFor(11, extras.chunks), signal, how);
}

/** Whether a settle version reads the notes taken on each part (each chunk then gets partNotes' call). */
export const readsPartNotes = (version: SettleVersion | undefined) => version === 10 || version === 11;

/**
 * Whether a settle that failed for `reason` might be answered with v9's smaller prompt: an answer that was no valid
 * summary, a request refused as too large (a 4xx but 429; a local model's context), a client's error. Not after a time
 * limit, a cancel, a server's or the network's failure: asking again would only make the stop wait as long again.
 */
export const smallerPromptMayAnswer = (reason: string | undefined): boolean =>
  reason === 'invalid answer' || /^http-4(?!29)\d\d$/.test(reason ?? '') || /\bnot fit\b/.test(reason ?? '') || /^client error /.test(reason ?? '');

/**
 * The settle at stop of any version: v11's settles the rolling summary with the parts' notes beside it, and v10's
 * composes from the parts' notes alone, when every part has some (`extras.parts`, `extras.chunks`), else settles as v9
 * does (a part whose notes failed would leave its lines out), as it does when that call gets no valid answer that v9's
 * smaller prompt might give (smallerPromptMayAnswer: not after a time limit or a server's failure) and there is a
 * summary so far to settle; v9's and earlier as settleSummary does. With `standings` (the call options of the standing
 * check, standingCheck.ts) the settled points are then checked against the final decisions' standings. Never rejects.
 */
export async function settleAnyVersion(chat: Chat, meeting: MeetingFacts, previous: readonly SummaryPoint[], outcomes: FinalOutcomes,
  signal: AbortSignal, how: SummaryCallOptions & { notesPrompt?: SettleVersion; extras?: SettleExtras; standings?: SummaryCallOptions & { starting?(): void } } = {}): Promise<RolledSummary> {
  const { standings, ...settle } = how;
  const settled = await settleOnce(chat, meeting, previous, outcomes, signal, settle);
  // The standing check (standingCheck.ts), with its own call's options: the settled points as it leaves them, or as
  // they were when it got no valid answer. `starting` hears it asked (the client is told: stopProgress.ts).
  if (!standings || !settled.points || signal.aborted) return settled;
  const { starting, ...call } = standings;
  if (outcomes.decisions.length) starting?.();
  const checked = await checkSummaryStandings(chat, settled.points, outcomes, signal, call);
  return { ...settled, ...(checked.points ? { points: checked.points } : {}), tokens: settled.tokens + checked.tokens };
}

/** The settle itself, of the version `how` names (settleAnyVersion, above, without the standing check). */
async function settleOnce(chat: Chat, meeting: MeetingFacts, previous: readonly SummaryPoint[], outcomes: FinalOutcomes,
  signal: AbortSignal, how: SummaryCallOptions & { notesPrompt?: SettleVersion; extras?: SettleExtras }): Promise<RolledSummary> {
  const { notesPrompt, extras, ...call } = how;
  const asV9 = () => settleSummary(chat, meeting, previous, outcomes, signal, { ...call, ...(readsPartNotes(notesPrompt) ? { notesPrompt: 9 } : notesPrompt ? { notesPrompt } : {}), ...(extras ? { extras } : {}) });
  if (!readsPartNotes(notesPrompt) || !extras || !everyPartNoted(extras.parts, extras.chunks)) return asV9();
  const composed = notesPrompt === 11 ? await settleSummaryV11(chat, meeting, previous, outcomes, extras, signal, call)
    : await composeSummary(chat, meeting, extras.parts!, outcomes, extras.chunks, signal, call);
  if (composed.points || !previous.length || signal.aborted || !smallerPromptMayAnswer(composed.reason)) return composed;
  const settled = await asV9();
  return { ...settled, tokens: settled.tokens + composed.tokens };
}

/**
 * Notes each of `chunks` not asked yet (in meeting order: one small call each, partNotes through `ask`) into
 * `sofar.parts`, none once `mayAsk` says no; a part is asked once (a failed call leaves it without notes, and the
 * settle at stop then settles as v9 does; a resumed session asks it again). `spent` hears each call's tokens; `noted` hears each part noted, with the
 * model that wrote it, once `sofar` holds it (the caller journals it before anyone is told).
 */
export async function noteParts(chunks: readonly { index: number; lines: readonly ChunkLine[] }[], sofar: SummarySoFar, how: {
  ask(chunk: { index: number; lines: readonly ChunkLine[] }): Promise<RolledSummary>;
  mayAsk(): boolean;
  spent?(tokens: number): void;
  noted(part: PartNotes, model: string | undefined): Promise<void> | void;
}): Promise<void> {
  const parts = (sofar.parts ??= []);
  // Asked once in this process; a resumed session asks again only what its journal lacks.
  const asked = (sofar.partsAsked ??= new Set(parts.map((p) => p.chunk)));
  for (const chunk of chunks) {
    if (asked.has(chunk.index) || !chunk.lines.length) continue;
    if (!how.mayAsk()) return;
    asked.add(chunk.index);
    const noted = await how.ask(chunk);
    how.spent?.(noted.tokens);
    if (!noted.points) continue;
    const part: PartNotes = { chunk: chunk.index, t0: chunk.lines[0].t0, t1: chunk.lines[chunk.lines.length - 1].t0, points: noted.points };
    // In meeting order: a part asked again after a resume goes where it belongs.
    const at = parts.findIndex((p) => p.chunk > part.chunk);
    parts.splice(at < 0 ? parts.length : at, 0, part);
    await how.noted(part, noted.model);
  }
}
