/**
 * The standing check of the settled summary (issue 56: "no contradiction of a decision's standing"). The settle is told
 * to state every outcome as the final lists state it, and mostly does; but about one settle in forty keeps a point's
 * word from the part where it was said ("slogan placement was open", "still to be sanity-checked") for an outcome the
 * lists give as decided, or says "agreed" of one they leave open. Once the summary is settled, one more call reads its
 * points beside the final decisions and their standings, and names each point that states a decision's standing
 * otherwise, written again with the list's standing; the point keeps its cites and gains the decision's line. Pure,
 * but for the one call; a failed call leaves the settled summary as it is.
 */
import { extractJsonObject } from '../../protocol/modelJson';
import { Chat } from './providers';
import { askParsed, decisionLines, FinalOutcomes, pointText, SUMMARY_BOUNDS, SummaryCallOptions, SummaryPoint } from './modelSummary';

/** The first line of the check's user message: how a recorded prompt is told from another (test/eval, scripted servers). */
export const STANDING_CHECK_HEADING = 'The final decisions of the meeting, each with its standing:';

/** At most this many decisions are shown (in the lists' order; a point about a later one is left as it is). */
export const STANDING_CHECK_BOUNDS = { maxDecisions: 60 } as const;

/** How the check's system message starts: how a fake server or a recorded prompt tells it from the other calls. */
export const STANDING_CHECK_SYSTEM_START = 'You check the settled summary of a meeting against';

const SYSTEM = [
  `${STANDING_CHECK_SYSTEM_START} the meeting's final decisions before it is kept. Each decision has`,
  'an id (D1, D2, …) and its standing: decided; left open (not decided); or given to the team (a requirement from outside,',
  'not the group\'s choice). A decision\'s last word in the meeting is its standing.',
  '',
  'Find each point of the summary that states the standing of a listed decision otherwise than the list: it calls',
  'suggested, proposed, considered, preferred, discussed, deferred, still to be checked or left open what the list gives as',
  'decided; says was decided or agreed what the list gives as left open; or calls the group\'s own choice what the list',
  'gives as a requirement from outside. A point that tells how an outcome stood early in the meeting states it otherwise',
  'too, unless it also says how it ended.',
  '',
  'Write each such point again so that it states the list\'s standing and keeps everything else it says (who presented,',
  `proposed, preferred or agreed to what, and the details), in one or two plain sentences of at most ${SUMMARY_BOUNDS.text} characters.`,
  'Leave every other point out: a point that agrees with the list, or is about nothing on it, is not named. When unsure,',
  'leave the point out.',
  '',
  'Answer with one JSON object and nothing else:',
  '{"fixes": [{"point": 3, "decision": "D2", "text": "the point written again"}]}',
  '{"fixes": []} when every point agrees with the list.',
].join('\n');

/** The decisions the check shows (the lists' first STANDING_CHECK_BOUNDS.maxDecisions), each under its id. */
export function standingDecisions(outcomes: FinalOutcomes): FinalOutcomes['decisions'] {
  return outcomes.decisions.slice(0, STANDING_CHECK_BOUNDS.maxDecisions);
}

/** The check's messages: the decisions with their standings (as the settle read them), then the summary's points, numbered. */
export function standingMessages(points: readonly SummaryPoint[], outcomes: FinalOutcomes): { system: string; user: string } {
  const decisions = decisionLines({ decisions: standingDecisions(outcomes), actionItems: [] }).map((line, k) => `D${k + 1} ${line}`);
  return {
    system: SYSTEM,
    user: [STANDING_CHECK_HEADING, ...decisions, '', 'The settled summary (its points numbered):', ...points.map((p, k) => `${k + 1}. ${p.text}`), ''].join('\n'),
  };
}

/** One point written again: its number (1-based), the decision whose standing it now states, the new words. */
export interface StandingFix { point: number; decision: number; text: string }

/**
 * The answer's fixes, checked: each names a point of the summary (once) and a listed decision, with plain words within
 * the points' bound (pointText); an entry that does not is refused (said in `refused`, never with its words). Null when
 * the answer is no JSON object with a `fixes` list.
 */
export function parseStandingFixes(answer: string, points: number, decisions: number, refused: string[] = []): StandingFix[] | null {
  const value = extractJsonObject(answer) as { fixes?: unknown } | undefined;
  if (!value || typeof value !== 'object' || !Array.isArray(value.fixes)) return null;
  const fixes: StandingFix[] = [];
  value.fixes.forEach((raw: unknown, k) => {
    const fix = (raw ?? {}) as { point?: unknown; decision?: unknown; text?: unknown };
    const point = typeof fix.point === 'number' ? fix.point : Number(fix.point);
    const decision = Number(/^D?(\d+)$/i.exec(String(fix.decision ?? '').trim())?.[1]);
    const said = typeof fix.text === 'string' ? pointText(fix.text) : null;
    if (!Number.isInteger(point) || point < 1 || point > points) return refused.push(`fix ${k + 1}: no point ${String(fix.point)}`);
    if (!Number.isInteger(decision) || decision < 1 || decision > decisions) return refused.push(`fix ${k + 1}: no listed decision`);
    if (!said) return refused.push(`fix ${k + 1}: no text`);
    if (fixes.some((f) => f.point === point)) return refused.push(`fix ${k + 1}: point ${point} was written again already`);
    fixes.push({ point, decision, text: said.text });
    return undefined;
  });
  return fixes;
}

/**
 * The summary with `fixes` applied: each fixed point takes its new words, keeps its cites and gains its decision's line
 * (within SUMMARY_BOUNDS.citations); the other points as they were, in their order.
 */
export function applyStandingFixes(points: readonly SummaryPoint[], fixes: readonly StandingFix[], outcomes: FinalOutcomes): SummaryPoint[] {
  const decisions = standingDecisions(outcomes);
  return points.map((p, k) => {
    const fix = fixes.find((f) => f.point === k + 1);
    if (!fix) return p;
    const line = decisions[fix.decision - 1]?.segmentId;
    const cites = line && !p.segmentIds.includes(line) && p.segmentIds.length < SUMMARY_BOUNDS.citations ? [...p.segmentIds, line] : p.segmentIds;
    return { text: fix.text, segmentIds: cites };
  });
}

/** What the check did: the summary to keep (null: no valid answer, `reason` in fixed words), how many points it wrote again. */
export interface StandingCheck { points: SummaryPoint[] | null; fixed: number; model: string | undefined; tokens: number; reason?: string }

/**
 * The check of a settled summary against the final decisions: asked only when both have something (else no call, and
 * why in `reason`); one call (one more on an answer that is no valid JSON) within the call's time limit. Never rejects:
 * a failed, timed-out or cancelled call answers null and why (the settled summary stands as it is).
 */
export async function checkSummaryStandings(chat: Chat, points: readonly SummaryPoint[], outcomes: FinalOutcomes, signal: AbortSignal,
  how: SummaryCallOptions = {}): Promise<StandingCheck> {
  const decisions = standingDecisions(outcomes);
  if (!points.length || !decisions.length) return { points: null, fixed: 0, model: undefined, tokens: 0, reason: points.length ? 'no decision' : 'no summary' };
  const constraint = { standings: { points: points.length, decisions: decisions.length } };
  const result = await askParsed(chat, standingMessages(points, outcomes), constraint, (text) => parseStandingFixes(text, points.length, decisions.length), signal, how);
  if (!result.value) return { points: null, fixed: 0, model: result.model, tokens: result.tokens, reason: result.reason ?? 'no answer' };
  return { points: applyStandingFixes(points, result.value, outcomes), fixed: result.value.length, model: result.model, tokens: result.tokens };
}
