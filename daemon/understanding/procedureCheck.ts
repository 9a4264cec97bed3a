/**
 * The procedure check at stop (issue 56: "decisions precision ≥ 0.8"). In a formal meeting a part's prompt notes the
 * meeting's own running as decisions: "the committee resolves to meet in private", "papers to note 1 to 3 are noted",
 * "John Griffiths is appointed temporary Chair". The adjudicated labels count none of them (meeting procedure is no
 * decision, LABELLING.md), and on the committee hearings they were every false decision. Once every part is answered,
 * one more call reads the final decisions alone and names those that are only the meeting's running; each is dropped
 * from the notes (dismissed with that reason: struck through, restorable). Pure, but for the one call.
 */
import { extractJsonObject } from '../../protocol/modelJson';
import { Chat } from './providers';
import { finalEntryJson as decisionJson, NotedEntry, withinBounds } from './carriedNotes';
import { askParsed, SummaryCallOptions } from './modelSummary';

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
 * The answer's ids, checked: each a decision asked about, named once (a second naming or an unknown id is refused, said
 * in `refused`). Null when the answer is no JSON object with a `procedure` list.
 */
export function parseProcedure(answer: string, asked: readonly NotedEntry[], refused: string[] = []): string[] | null {
  const value = extractJsonObject(answer) as { procedure?: unknown } | undefined;
  if (!value || typeof value !== 'object' || !Array.isArray(value.procedure)) return null;
  const ids = new Set(asked.map((e) => e.id));
  const out: string[] = [];
  value.procedure.forEach((x: unknown, k) => {
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

/**
 * The check at stop over `entries` (finalEntries' final lists): asked only when there is a decision (else no call, and
 * why in `reason`); one call (one more on an answer that is no valid JSON), each within `timeoutMs`. Never rejects: a
 * failed or timed-out call answers null and why (the decisions stand as they are).
 */
export async function procedureAtStop(chat: Chat, entries: readonly NotedEntry[], signal: AbortSignal, how: SummaryCallOptions = {}): Promise<ProcedureCheck> {
  const { asked, left } = procedureQuestions(entries);
  if (!asked.length) return { dropped: null, model: undefined, tokens: 0, reason: left ? 'no decision fits the bounds' : 'no decision' };
  const constraint = { procedure: { decisionIds: asked.map((e) => e.id) } };
  const result = await askParsed(chat, procedureMessages(asked), constraint, (text) => parseProcedure(text, asked), signal, how);
  return { dropped: result.value, model: result.model, tokens: result.tokens, ...(result.reason ? { reason: result.reason } : {}), ...(left ? { unasked: left } : {}) };
}
