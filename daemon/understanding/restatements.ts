/**
 * The restatement check at stop (issue 56: "each thing once"). Carried notes (prompt v8) keep most restatements out
 * while the meeting is read part by part, but a few still reach the final lists: a requirement said again as a
 * decision of its own, a reason noted beside the decision it explains, a refinement added next to what it refines.
 * Once every part is answered, one more call reads the final decisions and action items alone (as a reader, or the
 * eval's judge of repeats, does) and names the entries that only say again what another one says; each is folded into
 * the one kept (chunkMerge.ts: every line it cited stays cited on the kept entry, a rule item folded is dismissed as
 * "the same as …", undoable), whose words may be given anew to say both. Pure, but for the one call.
 */
import { plainLine } from '../../protocol/plainText';
import { extractJsonObject } from '../../protocol/modelJson';
import { Chat } from './providers';
import { finalEntryJson, NotedEntry } from './carriedNotes';
import { RestatedGroup } from './chunkMerge';
import { askParsed, SummaryCallOptions } from './modelSummary';

/**
 * What one check reads and answers: at most `maxEntries` entries and `chars` characters of them (a meeting with more
 * is not checked: the call would not fit a small model's context with room to answer), new words at most `text`.
 */
export const RESTATEMENT_BOUNDS = { maxEntries: 80, chars: 14000, text: 300 } as const;

/** The first line of the check's user message: how a recorded prompt is told from a part's (test/eval). */
export const RESTATEMENT_HEADING = 'The final notes of the meeting:';

/**
 * The check's prompts. v1 (2026-11-29, the daemon's) folds any entry that says again part of another, and gives the
 * kept entry new words that say both: on 65 held-out meetings it folded 21 entries where the judges of repeats had
 * counted 2, most of them decisions the labels keep apart (a choice and the alternative it rules out, a choice and a
 * narrower one). v2 (2026-11-30, a candidate the evals replay: docs/benchmarks/notes-quality.md, "the restatement
 * check's prompt v2") folds only an entry that the kept one already says whole, so it gives no new words.
 */
export type RestatementPrompt = 1 | 2;
export const RESTATEMENT_PROMPT_DEFAULT: RestatementPrompt = 1;

const SYSTEM_V1 = [
  'You check the final notes of a meeting before they are kept: its decisions and its action items, each with an id.',
  'You do not see the meeting, only the notes.',
  '',
  'Find each entry that only says again what another entry of the same list says: the same decision, or the same piece',
  'of work, in other words, whole or in part. For example: a requirement restated; the reason for a decision noted again',
  'as a decision of its own; the same choice noted once as open and once as settled. Not two choices about one thing',
  '(its material and its colour, its shape and its colours, its price and its market): each is a decision of its own.',
  'Not two entries on one topic that each decide or ask for something the other does not; not a later decision that',
  'changes an earlier one; not an action item and a decision (they are different lists).',
  '',
  'For each such set, keep one entry (the one that says it most fully, as the meeting left it) and fold the others into',
  'it. When a folded entry adds a detail of that same choice the kept one lacks, give the kept entry new words that say',
  `both (one sentence, at most ${RESTATEMENT_BOUNDS.text} characters, nothing that no entry of the set says); otherwise give no new words.`,
  'When unsure, fold nothing: entries a reader would want apart stay apart.',
  '',
  'Answer with one JSON object and nothing else:',
  '{"same": [{"keep": "D2", "fold": ["D7"], "text": "only when the kept entry needs new words"}]}',
  '{"same": []} when nothing is said twice.',
].join('\n');

const SYSTEM_V2 = [
  'You check the final notes of a meeting before they are kept: its decisions and its action items, each with an id.',
  'You do not see the meeting, only the notes.',
  '',
  'Find each entry that a reader would not miss because another entry of the same list already says all of it: the same',
  'decision or the same piece of work noted twice, the second time in other words or as part of a fuller entry. For',
  'example: "The remote uses a simple chip" beside "Use pushbuttons rather than a scroll wheel, to keep costs down with a',
  'simple chip"; a requirement said again later; the same task noted again when it was repeated; the same choice noted',
  'once as open and once as settled (keep the settled one).',
  '',
  'Fold an entry only when the entry kept already says everything it says. Keep both whenever it adds anything: a',
  'detail, a reason, a second choice about the same thing (its material and its colour), an alternative it rules out',
  '("a rubber case" and "no wooden case"), a narrower choice within the other ("young people" and "ages 15 to 35"), a',
  'part of the work the other does not name, another owner or another date. A later decision that changes an earlier one',
  'is its own entry; an action item and a decision are different lists.',
  '',
  'For each such set, keep the entry that says it most fully, as the meeting left it, and fold the others into it.',
  'When unsure, fold nothing.',
  '',
  'Answer with one JSON object and nothing else:',
  '{"same": [{"keep": "D2", "fold": ["D7"]}]}',
  '{"same": []} when nothing is said twice.',
].join('\n');

/**
 * Whether `entries` are worth a check: two or more of one kind (nothing can repeat in fewer), within the bounds.
 * Fixed words when not, for the run's report.
 */
export function whyNotChecked(entries: readonly NotedEntry[]): string | undefined {
  const decisions = entries.filter((e) => e.kind === 'decision').length;
  if (decisions < 2 && entries.length - decisions < 2) return 'fewer than two entries of a kind';
  if (entries.length > RESTATEMENT_BOUNDS.maxEntries) return `more than ${RESTATEMENT_BOUNDS.maxEntries} entries`;
  if (entries.reduce((n, e) => n + finalEntryJson(e).length + 1, 0) > RESTATEMENT_BOUNDS.chars) return `more than ${RESTATEMENT_BOUNDS.chars} characters of entries`;
  return undefined;
}

/** The check's messages: the final lists in meeting order, decisions first. */
export function restatementMessages(entries: readonly NotedEntry[], prompt: RestatementPrompt = RESTATEMENT_PROMPT_DEFAULT): { system: string; user: string } {
  const list = (kind: NotedEntry['kind']) => {
    const of = entries.filter((e) => e.kind === kind);
    return of.length ? of.map(finalEntryJson) : ['(none)'];
  };
  return {
    system: prompt === 1 ? SYSTEM_V1 : SYSTEM_V2,
    user: [RESTATEMENT_HEADING, '', 'Decisions (JSON, one per line):', ...list('decision'), '', 'Action items (JSON, one per line):', ...list('actionItem'), ''].join('\n'),
  };
}

/**
 * The answer's sets, checked: each names entries shown, all of one kind and (decisions) one standing, each entry in one
 * set only (a set naming an entry already kept or folded is refused whole, said in `refused`). A set that joins a
 * decided entry and one left open or given is refused whole: of 26 such folds (v1's answers on seven sets, judged twice
 * blind: docs/benchmarks/notes-quality.md, "the restatement check on by default") both judges found 24 two things that belong apart
 * (a step decided now, the question after it left open), and 9 lost a decision or its standing; of 41 folds within one
 * standing, 31 were repeats to both judges. New words are plain text within the bound (v1's
 * alone: v2 folds only what the kept entry already says, so its answer's words, if any, are not taken). Null when the
 * answer is no JSON object with a `same` list.
 */
export function parseRestatements(answer: string, entries: readonly NotedEntry[], refused: string[] = [], prompt: RestatementPrompt = RESTATEMENT_PROMPT_DEFAULT): RestatedGroup[] | null {
  const value = extractJsonObject(answer) as { same?: unknown } | undefined;
  if (!value || typeof value !== 'object' || !Array.isArray(value.same)) return null;
  const kindOf = new Map(entries.map((e) => [e.id, e.kind]));
  // A decision noted without a standing is shown (and kept) as decided (carriedNotes.ts).
  const standingOf = new Map(entries.map((e) => [e.id, e.kind === 'decision' ? e.standing ?? 'decided' : undefined]));
  const used = new Set<string>();
  const out: RestatedGroup[] = [];
  const idOf = (x: unknown) => (typeof x === 'string' || typeof x === 'number' ? String(x).trim() : '');
  value.same.forEach((g: unknown, k) => {
    const where = `set ${k + 1}`;
    if (typeof g !== 'object' || g === null || Array.isArray(g)) return refused.push(`${where}: not an object`);
    const o = g as Record<string, unknown>;
    const keep = idOf(o.keep);
    const kind = kindOf.get(keep);
    if (!kind) return refused.push(`${where}: no entry has the id to keep`);
    const fold = [...new Set((Array.isArray(o.fold) ? o.fold : [o.fold]).map(idOf).filter((id) => id && id !== keep))];
    if (!fold.length) return undefined; // nothing to fold: the entry stands as it is
    if (fold.some((id) => kindOf.get(id) !== kind)) return refused.push(`${where}: folds an id that is not an entry of ${keep}'s list`);
    if (fold.some((id) => standingOf.get(id) !== standingOf.get(keep))) return refused.push(`${where}: joins decisions of different standings`);
    if ([keep, ...fold].some((id) => used.has(id))) return refused.push(`${where}: names an entry another set already named`);
    let text: string | undefined;
    if (prompt === 1 && o.text !== undefined && o.text !== null && o.text !== '') {
      text = typeof o.text === 'string' ? plainLine(o.text).trim() : '';
      if (!text) return refused.push(`${where}: its text is not a text`);
      if (text.length > RESTATEMENT_BOUNDS.text) return refused.push(`${where}: its text is longer than ${RESTATEMENT_BOUNDS.text} characters`);
    }
    for (const id of [keep, ...fold]) used.add(id);
    out.push({ keep, fold, ...(text ? { text } : {}) });
  });
  return out;
}

/** A call's options, and which prompt asks it (the daemon's: {@link RESTATEMENT_PROMPT_DEFAULT}; the evals replay v1's answers with v1). */
export interface RestatementCallOptions extends SummaryCallOptions { prompt?: RestatementPrompt }

/** What the check answers: the sets (null: no valid answer, `reason` in fixed words), the model, the tokens it cost. */
export interface RestatementCheck { groups: RestatedGroup[] | null; model: string | undefined; tokens: number; reason?: string }

/**
 * The check at stop: one call over `entries` (one more on an answer that is no valid JSON), each within `timeoutMs`.
 * Never rejects: a failed or timed-out call answers null groups and why (the lists stand as they are).
 */
export async function checkRestatements(chat: Chat, entries: readonly NotedEntry[], signal: AbortSignal, how: RestatementCallOptions = {}): Promise<RestatementCheck> {
  const prompt = how.prompt ?? RESTATEMENT_PROMPT_DEFAULT;
  const constraint = { restatements: {
    decisionIds: entries.filter((e) => e.kind === 'decision').map((e) => e.id), actionItemIds: entries.filter((e) => e.kind === 'actionItem').map((e) => e.id),
  } };
  const asked = await askParsed(chat, restatementMessages(entries, prompt), constraint, (text) => parseRestatements(text, entries, [], prompt), signal, how);
  return { groups: asked.value, model: asked.model, tokens: asked.tokens, ...(asked.reason ? { reason: asked.reason } : {}) };
}

/**
 * The check as a meeting's stop makes it: asked only when the lists are worth it (whyNotChecked; else no call, and why
 * in `reason`). The lists stand as they are whenever `groups` is null.
 */
export async function restatementsAtStop(chat: Chat, entries: readonly NotedEntry[], signal: AbortSignal, how: RestatementCallOptions = {}): Promise<RestatementCheck> {
  const why = whyNotChecked(entries);
  return why ? { groups: null, model: undefined, tokens: 0, reason: why } : checkRestatements(chat, entries, signal, how);
}
