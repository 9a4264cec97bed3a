/**
 * The language model's rolling summary of a meeting (pure, but for rollSummary's and settleSummary's one call): the
 * prompt that revises the summary so far with one chunk's lines, the strict check of its answer (every cite a real line,
 * every point within its bounds), and the call with one more try on an invalid answer. Each chunk costs one small call
 * (a model that fell behind reads two in one): the model sees the previous points and the new lines, never the whole
 * meeting again. At stop the summary is settled (settleSummary): one last call over the summary so far and the final
 * decisions and action items (not the transcript), so that it states each outcome as the decisions list does.
 *
 * rollOver carries the summary on over the chunks it has not read yet, in meeting order (one call each, or a few
 * consecutive chunks in one call for a model that fell behind): the one loop
 * that a live session (session/liveExtraction.ts), an interrupted session finalized later (service/modelExtractions.ts)
 * and `earshot notes` (modelTranscript.ts) all roll with.
 *
 * Owns the summary's prompt and answer shape. Reads journal records (the final lists for the settle); must not write
 * the journal or the notes (its callers journal the points through rollOver's `revised` and settleAtStop's outcome,
 * documents/summarySection.ts renders them).
 */
import { DecisionKind, DecisionStanding, decisionStanding, StandingStep, standingHistoryWords, SUMMARY_POINT_MAX_CITES } from '../../protocol/protocol';
import { citedId, cutArrayElements, extractJsonObject } from '../../protocol/modelJson';
import { plainLine } from '../../protocol/plainText';
import { currentItems, JournalRecord } from '../journal/journal';
import { ChunkLine, lineChars, NotesPrompt } from './modelExtract';
import { PromptTemplate, templateGuide } from './templateGuide';
import { AnswerConstraint, Chat, estimateTokens, safeReason, timeLimitFor, workingTimeLimit } from './providers';

/** One point of the summary and the lines it comes from (segment ids, at least one). */
export interface SummaryPoint { text: string; segmentIds: string[] }

/**
 * A summary is 3–11 points once the meeting has some, the first an overview of the meeting (what it is, what it dealt
 * with, where it stands: the facts the development twelve's settled summaries missed most), and up to `settledPoints`
 * once settled at stop (the settle adds the outcomes the summary lacks as points of their own rather than merging away
 * what it had); each one or two sentences, asked to keep within `text` characters and citing up to `citations` lines. `textMax` is the hard bound (the local grammar's maxLength, the parser's limit): a
 * point the prompt's bound did not hold is kept whole up to it, and only at or past it, where a grammar may have stopped
 * it mid-word, is it ended at its last whole word with an ellipsis (pointText).
 */
export const SUMMARY_BOUNDS = { points: 11, settledPoints: 15, citations: SUMMARY_POINT_MAX_CITES, text: 240, textMax: 360 } as const;

export const SHAPE = `{"points": [{"text": "one key point or outcome of the meeting, one or two sentences", "cites": ["the [id]s of the lines it comes from"]}]}`;

export const clock = (t: number) => {
  const s = Math.max(0, Math.floor(t));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};

/**
 * The system message of every summary call, revising and settling alike: one system prompt, so that a local model
 * keeps it read once for both (worker.ts's 'summary' sequence, systemPromptState.ts).
 */
const SYSTEM = [
  'You keep the summary of a meeting. Answer with one JSON object and nothing else, of this shape:',
  SHAPE,
  `Rules: 3 to ${SUMMARY_BOUNDS.points} points (fewer only when little has been said; settled, up to ${SUMMARY_BOUNDS.settledPoints}), the`,
  'meeting\'s key points and outcomes',
  'as a careful note-taker would write them for someone who missed it. The first point is an overview: what the meeting',
  'is (its kind and purpose, and how it opened), what it has mostly dealt with, and where it stands (once it has ended:',
  'how it ended, where the group stood overall, what comes next); keep it current. The other points: what was presented',
  'or reported and by whom (its substance, not that it happened), what was discussed, concluded, decided or left open.',
  'Use only what you are given; never invent people, dates or outcomes. Each point is one or two plain sentences',
  `of at most ${SUMMARY_BOUNDS.text} characters (say less rather than run on) and cites by [id] the lines it comes from,`,
  `at most ${SUMMARY_BOUNDS.citations} of them.`,
  'While the meeting runs you get the summary so far and the new lines: revise the summary with them. Keep its points',
  'that still matter (with their cites), merge or replace points the new lines change, add what is new and important,',
  'drop small talk and the running of the meeting itself (who speaks next, the agenda, technical trouble). Cite the new',
  'lines or the lines the summary so far cites, nothing else.',
  'When the meeting has ended you get the summary so far and the meeting\'s final decisions and action items instead of',
  'lines: settle the summary. Keep its points and cites (the overview first, saying how the meeting ended), but state',
  'every outcome as the final lists state it: what they list as decided was decided (never call it suggested, proposed,',
  'considered or left open), what they list as left open',
  'was not decided, what they list as decided against will not be done, what they list as given to the team was required',
  'of it from outside (not the group\'s choice). Add each important decision or action item the summary lacks as a point',
  `of its own, citing its line: the settled summary may grow to ${SUMMARY_BOUNDS.settledPoints} points (merge only past that;`,
  'never drop a point to make room). Cite the lines the summary so far cites or the final lists\' lines, nothing else.',
].join('\n');

/** What the summary's prompts say of the meeting: its title, date and notes template (absent: the standard notes). */
export interface MeetingFacts { title: string; date: string; template?: PromptTemplate }

/** The lines a summary prompt (a revision, a part's notes, a settle) opens its user message with: the meeting's facts. */
export const meetingLines = (meeting: MeetingFacts): string[] => [`Meeting: ${meeting.title}`, `Date: ${meeting.date}`, ...templateGuide(meeting.template)];

/** The system and user messages that revise `previous` with the lines of one more chunk. */
export function summaryMessages(meeting: MeetingFacts, previous: readonly SummaryPoint[], lines: readonly ChunkLine[]): { system: string; user: string } {
  const user = [
    ...meetingLines(meeting),
    '',
    'Summary so far (JSON):',
    summaryJson(previous),
    '',
    'New lines:',
    ...lines.map((l) => `[${l.segmentId}] ${clock(l.t0)} ${l.speaker}: ${l.text}`),
  ].join('\n');
  return { system: SYSTEM, user };
}

export const summaryJson = (points: readonly SummaryPoint[]) => JSON.stringify({ points: points.map((p) => ({ text: p.text, cites: p.segmentIds })) });

/** The ids a summary answer may cite: the previous points' and the new lines', in that order, once each. */
export function citableIds(previous: readonly SummaryPoint[], lines: readonly ChunkLine[]): string[] {
  return [...new Set([...previous.flatMap((p) => p.segmentIds), ...lines.map((l) => l.segmentId)])];
}

/**
 * A decision as the settle reads it: its text, its kind and standing (absent in older journals: from the kind), its line,
 * and where it stood through the meeting when a later part changed it (issue 56: the last word stands).
 */
export interface SettleDecision { text: string; kind: DecisionKind; standing?: DecisionStanding; segmentId: string; standingHistory?: readonly StandingStep[] }
/** An action item as the settle reads it. */
export interface SettleItem { text: string; owner: string | null; due: string | null; segmentId: string }
/** The meeting's final decisions and action items, as the notes list them (removed ones left out). */
export interface FinalOutcomes { decisions: readonly SettleDecision[]; actionItems: readonly SettleItem[] }

/** The final decisions and action items of a meeting's records (the latest revision of each, removed ones left out). */
export function finalOutcomes(records: JournalRecord[]): FinalOutcomes {
  const { actionItems, decisions } = currentItems(records);
  return {
    decisions: decisions.map((d) => ({ text: d.text, kind: d.kind, ...(d.standing ? { standing: d.standing } : {}), segmentId: d.segmentId, ...(d.standingHistory?.length ? { standingHistory: d.standingHistory } : {}) })),
    actionItems: actionItems.map((i) => ({ text: i.text, owner: i.owner, due: i.due, segmentId: i.segmentId })),
  };
}

/**
 * A decision's standing in the words the settle (and the summary eval's judge) reads: decided, left open, or given to
 * the team (a requirement from outside, not the group's choice). A decision not to do something is "decided": its
 * words say what will not be done ("No teletext", "Drop the solar cell"), and "decided against: Drop the solar cell"
 * read as a double negative to every model and judge that met it (issue 56's measurement). (The system prompt still
 * names "decided against": it is shared with every revision of the summary, whose recorded answers it would void.)
 */
export function standingWords(d: { kind: DecisionKind; standing?: DecisionStanding }): string {
  const standing = decisionStanding(d);
  if (standing === 'given') return 'given to the team (a requirement from outside)';
  if (standing === 'open') return 'left open';
  return 'decided';
}
const cite = (segmentId: string) => (segmentId ? `[${segmentId}] ` : '');
/** " (left open at 12:03, then decided at 31:40: the last word stands)" for a decision a later part settled; '' otherwise. */
const lastWord = (d: { standingHistory?: readonly StandingStep[] }) => {
  const words = d.standingHistory && d.standingHistory.length > 1 ? standingHistoryWords(d.standingHistory, clock) : '';
  return words ? ` (${words}: the last word stands)` : '';
};

/**
 * What the settle of prompt v8 adds (issue 56), in the settle's own message: the system message is every rolling
 * summary's too, whose recorded answers it would void. Chosen on the development twelve's judgements of v7's settled
 * summaries (docs/benchmarks/notes-quality.md, "prompt v8"): 6 of the 13 facts the first judging found missing or
 * contradicted were who presented, preferred, asked for or agreed to something, which the summary so far had said and
 * the settle merged away; 1 was a decision whose words said "left for later" under the standing "given".
 */
export const SETTLE_RULES_V8 = [
  'Keep who: where the summary so far says who presented, proposed, preferred, asked for or agreed to something, the',
  'settled point still says so (by their role or name), and an outcome the group agreed to says that they agreed.',
  'A final decision whose own words say it was left open ("whether …", "left for later") was left open, whatever its',
  'standing says; never state one outcome both as decided and as left open.',
];

/**
 * Which settle: v7's (the system message's rules alone), v8's (SETTLE_RULES_V8) or v9's (v8's, the points the rolling
 * summary dropped, and a budget that grows with the meeting), v10's or v11's (summaryFromParts.ts). With carried notes
 * every settle is SETTLE_DEFAULT's (v11); the eval replays a recorded settle at the version it was recorded with
 * (`--settle-version 9`, or the lists' own).
 */
export type SettleVersion = NotesPrompt | 9 | 10 | 11;

/**
 * What the settle of v9 adds (issue 56), chosen on the development twelve's judgements of v7 run A's settles: every one
 * of the 13 (first judging) and 12 (second) facts the settled summaries missed or contradicted was already missing
 * from the last rolling summary (the settle dropped none), and 11 of the 12 last rolling summaries sat at or one under
 * the rolling bound of 11 points; 3 of the 13 (Marketing's survey basis and the Industrial Designer's chip preferences
 * in IS1008c, the "basic or multi-functional" question left open in TS3010b, the one standing contradiction) were in an
 * earlier revision's point that a later revision dropped for room. The settle cannot read the transcript: it gets
 * those points back (droppedPoints) and the room to keep them (settledPointsFor).
 */
export const SETTLE_RULES_V9 = [
  'Points the summary dropped while the meeting ran (below) were cut for room, not because they were wrong: bring back,',
  'as points of their own or within the point they belong to, each one that still matters to someone who missed the',
  'meeting (what was presented or reported and by whom, what it was based on, who preferred, asked for or agreed to',
  'what, a question left open) and that no point of the summary so far or the final lists already says; where the',
  'final lists state its outcome otherwise, the lists stand. Cite its lines.',
];

/** Dropped points the settle of v9 reads at most (the newest first), and their characters at most. */
export const DROPPED_BOUNDS = { points: 12, chars: 2400 } as const;

const words = (text: string) => new Set((text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'.-]*/gu) ?? []).filter((w) => w.length > 3));
/** The share of `text`'s words (longer than 3 letters) that `other` has. */
const sharedShare = (text: string, other: ReadonlySet<string>) => {
  const own = words(text);
  let shared = 0;
  for (const w of own) if (other.has(w)) shared++;
  return own.size ? shared / own.size : 1;
};

/**
 * The points earlier revisions of the rolling summary had and the last one lost (the newest wording of each): a point is
 * lost when fewer than 0.6 of its words are anywhere in `last`, and one said again in a newer dropped point is kept once.
 * Bounded by DROPPED_BOUNDS (the newest first). On the development twelve's v7 revisions: 0 to 11 a meeting (Bed017 and Bmr025 held by the characters).
 */
export function droppedPoints(earlier: readonly (readonly SummaryPoint[])[], last: readonly SummaryPoint[]): SummaryPoint[] {
  const kept = words(last.map((p) => p.text).join(' '));
  const dropped: SummaryPoint[] = [];
  let chars = 0;
  for (const revision of [...earlier].reverse()) {
    for (const p of revision) {
      if (sharedShare(p.text, kept) >= 0.6 || dropped.some((d) => sharedShare(p.text, words(d.text)) >= 0.6)) continue;
      if (dropped.length === DROPPED_BOUNDS.points || chars + p.text.length > DROPPED_BOUNDS.chars) return dropped;
      dropped.push(p);
      chars += p.text.length;
    }
  }
  return dropped;
}

/**
 * How many points a settled summary may have: SUMMARY_BOUNDS.settledPoints, and for v9 and v10 one more for each chunk past the
 * fourth (a longer meeting drops more from its 11-point rolling summary), up to SETTLED_POINTS_V9_MAX.
 */
export const SETTLED_POINTS_V9_MAX = 20;
export function settledPointsFor(version: SettleVersion, chunks: number): number {
  if (version !== 9 && version !== 10 && version !== 11) return SUMMARY_BOUNDS.settledPoints;
  return Math.min(SETTLED_POINTS_V9_MAX, SUMMARY_BOUNDS.settledPoints + Math.max(0, chunks - 4));
}

/**
 * What the settle of v9 reads beyond v8's: the dropped points and the meeting's chunks (its budget); v10's, the notes
 * taken on each part (summaryFromParts.ts).
 */
export interface SettleExtras { dropped: readonly SummaryPoint[]; chunks: number; parts?: readonly PartNotes[] }

/** The notes taken on one part of the meeting (summaryFromParts.ts): its chunk (0-based), when it ran, and its points. */
export interface PartNotes { chunk: number; t0: number; t1: number; points: SummaryPoint[] }

/** Whether every one of a meeting's `chunks` has notes with a point (the settle of v10 needs them all; else v9's settles). */
export const everyPartNoted = (parts: readonly PartNotes[] | undefined, chunks: number) =>
  chunks > 0 && Array.from({ length: chunks }, (_, k) => parts?.some((p) => p.chunk === k && p.points.length > 0) === true).every(Boolean);

/**
 * The settle with carried notes (prompt v8's final lists): v11 (summaryFromParts.ts), v9's settle of the rolling summary
 * with the notes taken on each part beside it, since measured 2026-11-30 (docs/benchmarks/notes-quality.md): on the
 * developer calls above v9's in all six runs (both judgings pooled: the core-devs calls it was chosen on +4.0 and +1.1,
 * the consensus-layer calls +4.6 and +5.1, the el2 calls +3.4 and +6.5) and on QMSum's 30 committee hearings (+3.2 and
 * +1.1, read once); on QMSum's held-out 65 level (the real twenty +1.9 and +3.2, the silver 45, read once, -0.6 and
 * -0.1), for one more call per chunk. v9 is what it falls back to
 * where a part has no notes or its call gets no valid answer; v10, composed from the parts alone, lost on QMSum's.
 */
export const SETTLE_DEFAULT: SettleVersion = 11;

/**
 * What v9's settle reads of `sofar` beyond the points it settles (`previous`): what its earlier revisions dropped, and
 * the meeting's `chunks` (its budget; every chunk, whether or not the rolling summary read it); v10's, the parts' notes.
 */
export const settleExtrasOf = (sofar: SummarySoFar, previous: readonly SummaryPoint[], chunks: number): SettleExtras =>
  ({ dropped: droppedPoints(sofar.earlier ?? [], previous), chunks, ...(sofar.parts ? { parts: sofar.parts } : {}) });

/** What a settle built on v9's reads beyond it (v11's, summaryFromParts.ts): rules after v9's, material after the dropped points. */
export interface SettleMore { rules: readonly string[]; material: readonly string[] }

/**
 * The system and user messages that settle `previous` at stop: the summary so far and the final decisions (each with its
 * standing) and action items, never the transcript. The system message is the rolling summary's. v9 also reads the
 * points the rolling summary dropped, and says its own budget (the system message's bound is every revision's too).
 */
export function settleMessages(meeting: MeetingFacts, previous: readonly SummaryPoint[], outcomes: FinalOutcomes, prompt: SettleVersion = 7,
  extras: SettleExtras = { dropped: [], chunks: 0 }, more: SettleMore = { rules: [], material: [] }): { system: string; user: string } {
  const v9 = prompt === 9 ? [
    ...SETTLE_RULES_V9,
    `The settled summary may have up to ${settledPointsFor(9, extras.chunks)} points (this meeting's bound; merge only past it).`,
    ...more.rules,
  ] : [];
  const user = [
    ...meetingLines(meeting),
    '',
    'The meeting has ended: settle its summary against its final decisions and action items.',
    ...(prompt === 8 || prompt === 9 ? SETTLE_RULES_V8 : []),
    ...v9,
    '',
    'Summary so far (JSON):',
    summaryJson(previous),
    ...(prompt === 9 ? ['', 'Points the summary dropped while the meeting ran (JSON, the newest first):', summaryJson(extras.dropped)] : []),
    ...(prompt === 9 && more.material.length ? ['', ...more.material] : []),
    '',
    ...outcomeLines(outcomes),
  ].join('\n');
  return { system: SYSTEM, user };
}

/** The final decisions (each with its standing, and its history where a later part changed it) and action items, as a settle reads them. */
export function outcomeLines(outcomes: FinalOutcomes): string[] {
  const none = ['(none)'];
  return [
    'Final decisions:',
    ...(outcomes.decisions.length ? decisionLines(outcomes) : none),
    '',
    'Final action items:',
    ...(outcomes.actionItems.length ? outcomes.actionItems.map((i) => `${cite(i.segmentId)}${i.owner ?? 'no owner'}: ${i.text}${i.due ? ` (due ${i.due})` : ''}`) : none),
  ];
}

/** Each final decision as the settle reads it: its line, its standing, its words (and its history, standingCheck.ts too). */
export function decisionLines(outcomes: FinalOutcomes): string[] {
  // A decision whose standing changed in the meeting says so: its last word is what stands (issue 56).
  return outcomes.decisions.map((d) => `${cite(d.segmentId)}${standingWords(d)}: ${d.text}${lastWord(d)}`);
}

/**
 * The ids a settled summary may cite: the summary so far's, then the final decisions' and action items' lines, then (v9)
 * the dropped points', once each.
 */
export function settleCitableIds(previous: readonly SummaryPoint[], outcomes: FinalOutcomes, dropped: readonly SummaryPoint[] = []): string[] {
  return [...new Set([...previous.flatMap((p) => p.segmentIds), ...[...outcomes.decisions, ...outcomes.actionItems].map((x) => x.segmentId).filter(Boolean),
    ...dropped.flatMap((p) => p.segmentIds)])];
}

/**
 * A point's text as the notes keep it: spaces collapsed; whole up to SUMMARY_BOUNDS.textMax. At or past it (a grammar
 * stops a string there, maybe mid-word) it ends at its last whole word with an ellipsis, never mid-word (`trimmed`); a
 * text with no word boundary to end at is refused (null).
 */
export function pointText(raw: string): { text: string; trimmed: boolean } | null {
  const said = plainLine(raw); // no control or bidi character reaches the notes (security review 2, S5)
  if (!said) return null;
  const max = SUMMARY_BOUNDS.textMax;
  // At the bound exactly, a sentence that ends there ended by itself.
  if (said.length < max || (said.length === max && /[.!?)"'\u201d]$/.test(said))) return { text: said, trimmed: false };
  // Room for the ellipsis; the character after the room tells whether the room ends on a whole word.
  const room = said.slice(0, max - 1);
  const whole = /\s/.test(said[max - 1]) ? room : room.slice(0, Math.max(0, room.lastIndexOf(' ')));
  const kept = whole.replace(/[\s,;:\u2013\u2014-]+$/, '');
  return kept ? { text: `${kept}\u2026`, trimmed: true } : null;
}

/**
 * A model's summary answer, checked strictly: null when it holds no `points` list; a cite of an unknown line is
 * dropped, a point left with no cite (or no text) is dropped, texts are trimmed and bounded (pointText: never cut
 * mid-word), at most `maxPoints` points (a rolling summary's SUMMARY_BOUNDS.points, a settled one's settledPoints) and
 * SUMMARY_BOUNDS.citations cites each are kept.
 */
export function parseSummaryAnswer(text: string, known: ReadonlySet<string>, maxPoints: number = SUMMARY_BOUNDS.points): SummaryPoint[] | null {
  const listed = answeredPoints(text) ?? cutArrayElements(text, 'points');
  if (!listed) return null;
  const points: SummaryPoint[] = [];
  for (const p of listed) {
    const point = p as { text?: unknown; cites?: unknown };
    if (!point || typeof point.text !== 'string' || !Array.isArray(point.cites)) continue;
    const said = pointText(point.text);
    const cites = [...new Set(point.cites.map(citedId).filter((c): c is string => c !== undefined && known.has(c)))].slice(0, SUMMARY_BOUNDS.citations);
    if (said && cites.length) points.push({ text: said.text, segmentIds: cites });
    if (points.length === maxPoints) break;
  }
  return points;
}

/** The points of a whole answer; undefined when it has none (no object, or one cut short). */
function answeredPoints(text: string): unknown[] | undefined {
  const value = extractJsonObject(text) as { points?: unknown } | undefined;
  return value && typeof value === 'object' && Array.isArray(value.points) ? value.points as unknown[] : undefined;
}

/**
 * Whether a summary's answer was cut short (it reached its token cap): its complete points are taken (parseSummaryAnswer),
 * and the log says it was cut.
 */
export const summaryAnswerCut = (text: string) => answeredPoints(text) === undefined && (cutArrayElements(text, 'points')?.length ?? 0) > 0;

/** What the log says of an answer cut short at its token cap, whose complete points were taken. */
export const ANSWER_CUT = 'answer cut at its token cap: its complete points kept';

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

/** How a summary call is made: its time limit (working time, less the time paused for whisper) and its report. */
export interface SummaryCallOptions { timeoutMs?: number; pausedMs?(): number; report?(r: SummaryCallReport): void }

/**
 * Revises the summary with one chunk's lines: one call (one more on an answer with no valid point list), each within
 * `timeoutMs` when given. Answers the new points (none valid: the previous ones stand), the model's name and the tokens
 * the calls cost (estimated as the extraction's are). Never rejects for a failed call: null points; `report` hears how
 * each call went (the caller logs it).
 */
export function rollSummary(chat: Chat, meeting: { title: string; date: string }, previous: readonly SummaryPoint[], lines: readonly ChunkLine[],
  signal: AbortSignal, how: SummaryCallOptions = {}): Promise<RolledSummary> {
  return askSummary(chat, summaryMessages(meeting, previous, lines), citableIds(previous, lines), SUMMARY_BOUNDS.points, signal, how);
}

/**
 * Settles the summary at stop: one call (one more on an invalid answer) over `previous` and the final decisions and
 * action items, each within `timeoutMs`. Null points (with `reason`, fixed words) when there is no valid answer: the
 * summary so far stands. Never rejects.
 */
export function settleSummary(chat: Chat, meeting: { title: string; date: string }, previous: readonly SummaryPoint[], outcomes: FinalOutcomes,
  signal: AbortSignal, how: SummaryCallOptions & { notesPrompt?: SettleVersion; extras?: SettleExtras } = {}): Promise<RolledSummary> {
  const version = how.notesPrompt ?? 7;
  const extras = version === 9 ? how.extras ?? { dropped: [], chunks: 0 } : { dropped: [], chunks: 0 };
  return askSummary(chat, settleMessages(meeting, previous, outcomes, version, extras), settleCitableIds(previous, outcomes, extras.dropped),
    settledPointsFor(version, extras.chunks), signal, how);
}

export async function askSummary(chat: Chat, messages: { system: string; user: string }, ids: string[], maxPoints: number, signal: AbortSignal,
  how: SummaryCallOptions): Promise<RolledSummary> {
  const known = new Set(ids);
  const asked = await askParsed(chat, messages, { summary: { segmentIds: ids, maxPoints } }, (text) => {
    const points = parseSummaryAnswer(text, known, maxPoints);
    return points && points.length ? points : null;
  }, signal, { ...how, cut: summaryAnswerCut });
  return { points: asked.value, model: asked.model, tokens: asked.tokens, ...(asked.reason ? { reason: asked.reason } : {}) };
}

/**
 * One call at stop or per chunk whose answer `parse` reads (null: not valid): asked once more on an invalid answer,
 * each within `timeoutMs`; a failed or timed-out call is not asked again. Never rejects: a null value and why (fixed
 * words: `invalid answer`, `no answer within N s`, `cancelled`, safeReason's), with the model and the tokens spent.
 */
export async function askParsed<T>(chat: Chat, { system, user }: { system: string; user: string }, constraint: AnswerConstraint,
  parse: (text: string) => T | null, signal: AbortSignal, how: SummaryCallOptions & { cut?(text: string): boolean }): Promise<{ value: T | null; model: string | undefined; tokens: number; reason?: string }> {
  const report = how.report ?? (() => undefined);
  let tokens = 0;
  let model: string | undefined;
  let reason = 'cancelled';
  for (let attempt = 1; attempt <= SUMMARY_ATTEMPTS && !signal.aborted; attempt++) {
    tokens += estimateTokens(system.length + user.length);
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    const limitMs = how.timeoutMs === undefined ? undefined : timeLimitFor(how.timeoutMs, constraint);
    const timeout = limitMs === undefined ? undefined : workingTimeLimit(limitMs, how.pausedMs);
    try {
      const answer = await chat(system, user, timeout ? AbortSignal.any([signal, timeout.signal]) : signal, constraint);
      model = answer.model;
      tokens += estimateTokens(answer.text.length);
      const value = parse(answer.text);
      if (value !== null) {
        report({ outcome: 'applied', ms: ms(), attempt, model, ...(how.cut?.(answer.text) ? { reason: ANSWER_CUT } : {}) });
        return { value, model, tokens };
      }
      reason = 'invalid answer';
      report({ outcome: 'failed', ms: ms(), attempt, reason });
    } catch (e) {
      // A failed call: what stands stays (no retry: a summary's next chunk revises it anyway).
      const timedOut = !signal.aborted && timeout?.signal.aborted === true;
      const r: SummaryCallReport = signal.aborted ? { outcome: 'cancelled', ms: ms(), attempt, reason: 'cancelled' }
        : timedOut ? { outcome: 'timeout', ms: ms(), attempt, reason: `no answer within ${limitMs! / 1000} s` }
          : { outcome: 'failed', ms: ms(), attempt, reason: safeReason(e) };
      report(r);
      return { value: null, model, tokens, reason: r.reason! };
    } finally {
      timeout?.clear();
    }
  }
  return { value: null, model, tokens, reason };
}

/** What one summary call answers (rollSummary, settleSummary); `reason`, with no points: why, in fixed words. */
export interface RolledSummary { points: SummaryPoint[] | null; model: string | undefined; tokens: number; reason?: string }

/**
 * Where a rolling summary stands: its points and how many of the meeting's chunks, from the first, it has read; and
 * (rollOver keeps them, for the settle of v9) the points of each revision it replaced, oldest first.
 */
export interface SummarySoFar {
  points: SummaryPoint[];
  chunks: number;
  earlier?: SummaryPoint[][];
  /** With the settle of v10: the notes taken on each part so far (summaryFromParts.ts's noteParts), and the parts asked. */
  parts?: PartNotes[];
  partsAsked?: Set<number>;
}

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
    if (sofar.points.length) (sofar.earlier ??= []).push(sofar.points);
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

/** How the settle at stop went, for the summary record: settled (by `model`), or not and why (fixed words). */
export type SettleOutcome = { settled: true; model: string | undefined } | { settled: false; unsettled: string };

/** Why a run may ask nothing more (its state, declined or cancelled), in fixed words; undefined when it may. */
export function whyNotAsked(run: { state: 'done' | 'cancelled' | 'budget' } | undefined, declined: boolean, aborted: boolean): string | undefined {
  if (aborted || run?.state === 'cancelled') return 'cancelled';
  if (run?.state === 'budget') return 'token budget spent';
  if (declined || !run) return 'model unavailable';
  return undefined;
}

/**
 * The settle at stop, for a summary that has points: asked once (settleSummary through `ask`) unless `refused` says why
 * not; `sofar` takes the settled points. Undefined when there is no summary to settle. The caller journals the outcome
 * (a `summary` record: the settled points, or the summary so far and why it was not settled) before anyone is told.
 */
/** Whether there is a summary to settle: points so far, or (v10) every part's notes; else settleAtStop asks nothing. */
export const settleHasWork = (sofar: SummarySoFar, chunks = sofar.chunks): boolean => sofar.points.length > 0 || everyPartNoted(sofar.parts, chunks);

export async function settleAtStop(sofar: SummarySoFar, how: {
  ask(previous: readonly SummaryPoint[]): Promise<RolledSummary>;
  refused(): string | undefined;
  spent?(tokens: number): void;
  /** The meeting's chunks: the settle of v10 composes from every part's notes (summaryFromParts.ts), needing no summary so far. */
  chunks?: number;
}): Promise<SettleOutcome | undefined> {
  if (!settleHasWork(sofar, how.chunks)) return undefined;
  const refused = how.refused();
  if (refused) return { settled: false, unsettled: refused };
  const answer = await how.ask(sofar.points);
  how.spent?.(answer.tokens);
  // Composed from the parts with no summary so far (v10), a failed settle leaves nothing to journal: the call says why.
  if (!answer.points) return sofar.points.length ? { settled: false, unsettled: answer.reason ?? 'no answer' } : undefined;
  sofar.points = answer.points;
  return { settled: true, model: answer.model };
}
