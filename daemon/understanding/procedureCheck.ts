/**
 * The decision check at stop (issue 56: "decisions precision ≥ 0.8"; named the procedure check after its first
 * prompt). A part's prompt notes as decisions things the group did not reach: the meeting's own running ("the committee
 * resolves to meet in private", "this week's meeting is on recognition"), a proposal the talk moved on from, one
 * person's own plan or report. The adjudicated labels count none of them. Once every part is answered, one more call
 * reads each final decision with the lines it was noted from and names those; each is dropped from the notes
 * (dismissed with a fixed reason: struck through, restorable). Pure, but for the one call.
 */
import { extractJsonObject } from '../../protocol/modelJson';
import { Chat } from './providers';
import { finalEntryJson as decisionJson, NotedEntry, withinBounds } from './carriedNotes';
import { ChunkLine } from './chunks';
import { askParsed, SummaryCallOptions } from './modelSummary';
import { entriesWithLines, speakersOf } from './entryLines';

/**
 * The check's prompts. v1 (2026-11-30, the check then off by default) reads the decisions alone and names the
 * meeting's own running; its recorded answers replay with it. v2 (the daemon's since the same day, the check on by
 * default: docs/benchmarks/notes-quality.md, "a decision check at stop")
 * reads each decision with the lines it was noted from and a few around them, and names those the lines show the group
 * did not reach: the meeting's running, a proposal or opinion nobody settled, one person's own plan or report. (Its first
 * wording also named facts and hopes or aims; on the development meetings that dropped givens and agreed schedules the
 * adjudicators count as decisions.) Each dropped one is dismissed with that prompt's reason.
 */
export type ProcedurePrompt = 1 | 2 | 3;
export const PROCEDURE_PROMPT_DEFAULT: ProcedurePrompt = 2;

/** v2's bounds: decisions in meeting order while they and their lines fit (the rest stand unchecked). */
export const DECISION_CHECK_BOUNDS = { maxEntries: 40, before: 2, after: 2, lineChars: 450, chars: 28000 } as const;

/**
 * What one check reads: at most `maxDecisions` decisions and `chars` characters of them, in meeting order while they
 * fit (each decision is judged alone, so the rest simply stay as they are).
 */
export const PROCEDURE_CHECK_BOUNDS = { maxDecisions: 100, chars: 14000 } as const;

/** The first line of the check's user message: how a recorded prompt is told from a part's (test/eval). */
export const PROCEDURE_CHECK_HEADING = 'The decisions noted in the meeting:';

const SYSTEM = [
  'You check the decisions noted in a meeting before they are kept, each with an id. You do not see the meeting, only',
  'the decisions.',
  '',
  'Find each one that is only the running of the meeting itself: its agenda and order of business; who chairs, speaks',
  'or asks next; going into or out of private session; papers or minutes noted; apologies, substitutes and declarations',
  'of interest; time limits and rules for speaking; breaks; opening, suspending and closing the meeting; moving on to the',
  'next item.',
  '',
  'Keep every decision about what the meeting is about: the work, the product, the project, a motion, bill, amendment,',
  'report or recommendation agreed or rejected, who does what after the meeting, when the next meeting is and what it',
  'will cover, even when it is short. When unsure, keep it: a decision dropped is lost to the reader.',
  '',
  'Answer with one JSON object and nothing else:',
  '{"procedure": ["D3", "d7"]}',
  '{"procedure": []} when every decision is about what the meeting is about.',
].join('\n');

const SYSTEM_V2_LINES = [
  'You check the decisions noted in a meeting before they are kept. Each comes with the lines of the meeting it was noted',
  'from (marked >) and a few lines around them; each line is "[id] speaker: what was said".',
  '',
  'A decision is a conclusion the group reached: a choice it made or accepted (also a proposal nobody objected to that',
  'the meeting then went on with, and a plan, aim or schedule it agreed on), something it explicitly left for later, or a',
  'requirement or constraint handed to it and stated as binding. Name only the noted decisions the lines show are none of',
  'these:',
  '- the running of the meeting itself: its agenda and order of topics, which topic this or the next meeting takes, who',
  '  speaks next, moving on, breaks, opening and closing;',
  '- a proposal, suggestion or opinion the lines show nobody settled: no one agrees, it is argued over, or the talk moves on;',
  '- one person\'s own plan, task or report that the group did not take up ("I will look into it", "we have implemented',
  '  it"): work to do is an action item, a status or a result is no decision.',
];
const SYSTEM_V2_END = [
  '',
  'Keep every other decision, even when it is short, hedged or said by one person and accepted, and every requirement or',
  'fact the group is to work by. When unsure, keep it: a decision dropped is lost to the reader.',
  '',
  'Answer with one JSON object and nothing else:',
  '{"notDecisions": ["D3", "d7"]}',
  '{"notDecisions": []} when every one is a decision the group reached.',
];
const SYSTEM_V2 = [...SYSTEM_V2_LINES, ...SYSTEM_V2_END].join('\n');

/**
 * v3 (a candidate, issue 56; chosen on the developer calls, where v2 left decisions precision at 0.76 to 0.80): most of
 * what the adjudicators still judged no decision there was the work or word of one team the group did not take up as
 * its own (the testers' plan for a shadow fork, a working group its organisers announce) or a forecast nobody chose
 * ("the devnet launches once enough clients are ready"). v3 names those beside v2's kinds.
 */
const SYSTEM_V3 = [
  ...SYSTEM_V2_LINES,
  '- one team\'s plan, task or announcement that the group did not take up as its own: what the testers, the operators of',
  '  a test network, one client\'s developers or the organisers of a working group or event say they will do;',
  '- an expectation or forecast of what will probably happen or when ("it should be ready by then", "it launches once',
  '  enough clients are ready") that nobody chose or agreed to as a plan.',
  ...SYSTEM_V2_END,
].join('\n');

/** The decisions the check reads: in meeting order, within the bounds. */
export function procedureQuestions(entries: readonly NotedEntry[]): { asked: NotedEntry[]; left: number } {
  const decisions = entries.filter((e) => e.kind === 'decision').sort((a, b) => a.firstT0 - b.firstT0 || a.id.localeCompare(b.id));
  const asked = withinBounds(decisions, (d) => decisionJson(d).length + 1, { max: PROCEDURE_CHECK_BOUNDS.maxDecisions, chars: PROCEDURE_CHECK_BOUNDS.chars });
  return { asked, left: decisions.length - asked.length };
}

/** The check's messages: the decisions, one JSON per line. */
export function procedureMessages(asked: readonly NotedEntry[]): { system: string; user: string } {
  return { system: SYSTEM, user: [PROCEDURE_CHECK_HEADING, '', 'Decisions (JSON, one per line):', ...asked.map(decisionJson), ''].join('\n') };
}

/**
 * v2's decisions, each with its standing and the lines shown with it (`texts`), within its bounds (the speakers line
 * comes on top); how many did not fit (`left`), and how many cite no line of the meeting (`uncited`: nothing to show
 * them with, so they stand unchecked).
 */
export function decisionQuestions(entries: readonly NotedEntry[], lines: readonly ChunkLine[]): { asked: NotedEntry[]; texts: string[]; left: number; uncited: number } {
  const decisions = entries.filter((e) => e.kind === 'decision');
  const { asked, left } = entriesWithLines(decisions, lines, DECISION_CHECK_BOUNDS, 'Decision', (d) => d.standing ?? 'decided');
  return { asked: asked.map((q) => q.entry), texts: asked.map((q) => q.block), left, uncited: decisions.length - asked.length - left };
}

/** v2's and v3's messages: the meeting's speakers, then each decision with its standing and its lines. */
export function decisionMessages(texts: readonly string[], lines: readonly ChunkLine[], prompt: Exclude<ProcedurePrompt, 1> = 2): { system: string; user: string } {
  return {
    system: prompt === 3 ? SYSTEM_V3 : SYSTEM_V2,
    user: [PROCEDURE_CHECK_HEADING, '', `The meeting's speakers: ${speakersOf(lines).join('; ')}`, '', ...texts.flatMap((t) => [t, '']), ''].join('\n'),
  };
}

/** The key a prompt's answer lists its ids under. */
const answerKey = (prompt: ProcedurePrompt) => (prompt === 1 ? 'procedure' : 'notDecisions');

/**
 * The answer's ids, checked: each a decision asked about, named once (a second naming or an unknown id is refused, said
 * in `refused`). Null when the answer is no JSON object with the prompt's list (v1 `procedure`, v2 and v3 `notDecisions`).
 */
export function parseProcedure(answer: string, asked: readonly NotedEntry[], refused: string[] = [], prompt: ProcedurePrompt = PROCEDURE_PROMPT_DEFAULT): string[] | null {
  const value = extractJsonObject(answer) as Record<string, unknown> | undefined;
  const list = value && typeof value === 'object' ? value[answerKey(prompt)] : undefined;
  if (!Array.isArray(list)) return null;
  const ids = new Set(asked.map((e) => e.id));
  const out: string[] = [];
  list.forEach((x: unknown, k) => {
    const id = typeof x === 'string' || typeof x === 'number' ? String(x).trim() : '';
    if (!ids.has(id)) return refused.push(`entry ${k + 1}: no decision asked about has that id`);
    if (out.includes(id)) return refused.push(`entry ${k + 1}: ${id} was named already`);
    out.push(id);
    return undefined;
  });
  return out;
}

/**
 * What the check answers: the decisions to drop (null: no valid answer, `reason` in fixed words), the model, the tokens;
 * `unasked`: how many decisions did not fit its bounds (they stand unchecked).
 */
export interface ProcedureCheck { dropped: string[] | null; model: string | undefined; tokens: number; reason?: string; unasked?: number }

/** A call's options, and which prompt asks it (absent: {@link PROCEDURE_PROMPT_DEFAULT}; v2 reads the meeting's lines). */
export interface ProcedureCallOptions extends SummaryCallOptions { prompt?: ProcedurePrompt }

/**
 * The check at stop over `entries` (finalEntries' final lists): asked only when there is a decision (else no call, and
 * why in `reason`); one call (one more on an answer that is no valid JSON), each within `timeoutMs`. Never rejects: a
 * failed or timed-out call answers null and why (the decisions stand as they are).
 */
export async function procedureAtStop(chat: Chat, entries: readonly NotedEntry[], lines: readonly ChunkLine[], signal: AbortSignal,
  how: ProcedureCallOptions = {}): Promise<ProcedureCheck> {
  const prompt = how.prompt ?? PROCEDURE_PROMPT_DEFAULT;
  // v2 and v3 read each decision with its lines; v1 the decisions alone.
  const withLines = prompt !== 1 ? { ...decisionQuestions(entries, lines), prompt } : undefined;
  const { asked, left } = withLines ?? procedureQuestions(entries);
  if (!asked.length) {
    const reason = left ? 'no decision fits the bounds' : withLines?.uncited ? 'no decision cites a line of the meeting' : 'no decision';
    return { dropped: null, model: undefined, tokens: 0, reason };
  }
  const constraint = { procedure: { decisionIds: asked.map((e) => e.id), ...(withLines ? { key: 'notDecisions' as const } : {}) } };
  const messages = withLines ? decisionMessages(withLines.texts, lines, withLines.prompt) : procedureMessages(asked);
  const result = await askParsed(chat, messages, constraint, (text) => parseProcedure(text, asked, [], prompt), signal, how);
  return { dropped: result.value, model: result.model, tokens: result.tokens, ...(result.reason ? { reason: result.reason } : {}), ...(left ? { unasked: left } : {}) };
}
