/**
 * The owner check at stop (issue 56: "owners ≥ 0.9"). Most wrong owners in the held-out meetings were items left with
 * none: a chair handing each role its task in one long turn ("you'll do the components concept"), work given to "you"
 * and accepted in the reply. A part's prompt reads those lines among many; once every part is answered, one more call
 * reads only the items still without an owner, each with the lines it was noted from and a few around them, and names
 * the one speaker each was given to (or null: nobody, everyone, several together). The lists are the final ones (after
 * the restatement check's folds); an owner named is a speaker of the meeting, never a new one. Pure, but for the call.
 */
import { plainLine } from '../../protocol/plainText';
import { extractJsonObject } from '../../protocol/modelJson';
import { Chat } from './providers';
import { NotedEntry } from './carriedNotes';
import { EntryWithLines, entriesWithLines, speakersOf } from './entryLines';
import { OwnerFill } from './chunkMerge';
import { ChunkLine } from './chunks';
import { askParsed, SummaryCallOptions } from './modelSummary';

/**
 * What one check reads: at most `maxItems` items, taken in meeting order while they fit (the rest keep no owner), each
 * with `before` lines before each line it cites and `after` after it, a line at most `lineChars` characters, the items
 * with their lines at most `chars` characters together (an item that would not fit is not asked about; a later, shorter
 * one may be).
 */
export const OWNER_CHECK_BOUNDS = { maxItems: 24, before: 3, after: 2, lineChars: 400, chars: 16000 } as const;

/** The first line of the check's user message: how a recorded prompt is told from a part's (test/eval). */
export const OWNER_CHECK_HEADING = 'Action items noted without an owner:';

const SYSTEM = [
  'You read the action items of a meeting that were noted without an owner. Each comes with the lines of the meeting it',
  'was noted from (marked >) and a few lines around them; each line is "[id] speaker: what was said".',
  '',
  'For each item, name its owner: the one speaker who is to do the work. That is the speaker who says they will do it;',
  'or the speaker it is given to: asked or told by name, by role, or as "you" (then the one addressed, as the lines around',
  'show: who was just speaking, who answers and accepts). When the speakers are named by their roles, work in one role\'s',
  'own field handed out in a round of tasks ("you\'ll do the components", said while giving each role its part) is that role\'s.',
  '',
  'Give the speaker exactly as the lines write it before the colon. Give null when the lines do not show one owner: the',
  'work is for everyone or the whole group ("we", "someone", "all of you"), it is given to two or more people together,',
  'or nobody takes it. When unsure, give null: a wrong owner is worse than none.',
];
const ANSWER = [
  'Answer with one JSON object and nothing else, one entry per item:',
  '{"owners": [{"id": "A3", "owner": "Speaker B"}, {"id": "a2", "owner": null}]}',
];

/**
 * Prompt v2's rule (issue 56, chosen on the execution-layer calls): there most wrong owners were work a speaker said
 * "we" would do for their own team ("we'll have a blog post out once it's live" from the call's host, "we're looking
 * into it" from the client whose node broke), which the labellers give the speaker and v1 left with none, as its
 * "we" rule says. v2 tells that "we" from the meeting's own "we".
 */
const WE_RULE_V2 = [
  '',
  'A speaker who says "we" will do the work may mean their own team, company or project rather than the people in this',
  'meeting together: "we\'ll put out a blog post once it\'s live" from the one who runs the announcements, "we\'re looking',
  'into it" from the team whose software broke, "we can have a fix next week" from one of its developers. That speaker is',
  'saying they will do it: they own it. "We" meaning everyone here ("we need to test this", "we should all review it")',
  'stays null.',
];

/**
 * Which owner-check prompt asks: v1 (the system message above) or v2 (v1 and WE_RULE_V2), the default since measured
 * (2026-11-30, docs/benchmarks/notes-quality.md, "the owner check's prompt v2"): owners on the execution-layer calls it
 * was chosen on 0.837 → 0.878 and 0.880 → 0.920 (the mean of two answerings), on eight more execution-layer calls read
 * once 0.909 → 0.936 and 0.927 → 0.927, on the consensus-layer calls 0.98 → 1.00; on every other set within one item.
 */
export type OwnerPrompt = 1 | 2;
export const OWNER_PROMPT_DEFAULT: OwnerPrompt = 2;
const systemOf = (prompt: OwnerPrompt) => [...SYSTEM, ...(prompt === 2 ? WE_RULE_V2 : []), '', ...ANSWER].join('\n');

/** An item the check asks about, and the lines it shows for it. */
export type OwnerQuestion = EntryWithLines;

/**
 * The items worth asking about (action items still without an owner, each citing a line the lines hold), in meeting
 * order, with the lines shown around each, within the bounds; and how many were left out.
 */
export function ownerQuestions(entries: readonly NotedEntry[], lines: readonly ChunkLine[]): { questions: OwnerQuestion[]; left: number } {
  const unowned = entries.filter((e) => e.kind === 'actionItem' && !e.owner);
  const { asked, left } = entriesWithLines(unowned, lines, { ...OWNER_CHECK_BOUNDS, maxEntries: OWNER_CHECK_BOUNDS.maxItems }, 'Item');
  return { questions: asked, left };
}

/** The check's messages: the meeting's speakers, then each item with its lines. */
export function ownerMessages(questions: readonly OwnerQuestion[], lines: readonly ChunkLine[], prompt: OwnerPrompt = OWNER_PROMPT_DEFAULT): { system: string; user: string } {
  return {
    system: systemOf(prompt),
    user: [OWNER_CHECK_HEADING, '', `The meeting's speakers: ${speakersOf(lines).join('; ')}`, '', ...questions.flatMap((q) => [q.block, '']), ''].join('\n'),
  };
}


/**
 * The answer's owners, checked: each names an item asked about, once (a second answer for one is refused), and a
 * speaker of the meeting's lines (any case; given as the lines write it) or null (no fill). Null when the answer is no
 * JSON object with an `owners` list.
 */
export function parseOwners(answer: string, questions: readonly OwnerQuestion[], speakers: readonly string[], refused: string[] = []): OwnerFill[] | null {
  const value = extractJsonObject(answer) as { owners?: unknown } | undefined;
  if (!value || typeof value !== 'object' || !Array.isArray(value.owners)) return null;
  const asked = new Set(questions.map((q) => q.id));
  const speakerOf = new Map(speakers.map((s) => [s.trim().toLowerCase(), s]));
  const answered = new Set<string>();
  const out: OwnerFill[] = [];
  value.owners.forEach((o: unknown, k) => {
    const where = `entry ${k + 1}`;
    if (typeof o !== 'object' || o === null || Array.isArray(o)) return refused.push(`${where}: not an object`);
    const { id: rawId, owner: rawOwner } = o as Record<string, unknown>;
    const id = typeof rawId === 'string' || typeof rawId === 'number' ? String(rawId).trim() : '';
    if (!asked.has(id)) return refused.push(`${where}: no item asked about has that id`);
    if (answered.has(id)) return refused.push(`${where}: ${id} was answered already`);
    answered.add(id);
    if (rawOwner === null || rawOwner === undefined || rawOwner === '') return undefined;
    const owner = typeof rawOwner === 'string' ? speakerOf.get(plainLine(rawOwner).trim().toLowerCase()) : undefined;
    if (!owner) return refused.push(`${where}: its owner is not a speaker of the meeting`);
    out.push({ id, owner });
    return undefined;
  });
  return out;
}

/**
 * What the check answers: the owners it gave (null: no valid answer, `reason` in fixed words), the model, the tokens it
 * cost; `unasked`: how many items without an owner did not fit its bounds (they keep none).
 */
export interface OwnerCheck { fills: OwnerFill[] | null; model: string | undefined; tokens: number; reason?: string; unasked?: number }

/** A call's options, and which prompt asks it (absent: {@link OWNER_PROMPT_DEFAULT}). */
export interface OwnerCallOptions extends SummaryCallOptions { prompt?: OwnerPrompt }

/**
 * The check at stop over `entries` (finalEntries' final lists) and the meeting's `lines`: asked only when an item is
 * without an owner and fits the bounds (else no call, and why in `reason`); one call (one more on an answer that is no valid JSON), each
 * within `timeoutMs`. Never rejects: a failed or timed-out call answers null fills and why (the owners stay as they are).
 */
export async function ownersAtStop(chat: Chat, entries: readonly NotedEntry[], lines: readonly ChunkLine[], signal: AbortSignal, how: OwnerCallOptions = {}): Promise<OwnerCheck> {
  const { questions, left } = ownerQuestions(entries, lines);
  if (!questions.length) return { fills: null, model: undefined, tokens: 0, reason: left ? 'no item without an owner fits the bounds' : 'no item without an owner', ...(left ? { unasked: left } : {}) };
  const speakers = speakersOf(lines);
  const constraint = { owners: { itemIds: questions.map((q) => q.id), speakers } };
  const asked = await askParsed(chat, ownerMessages(questions, lines, how.prompt), constraint, (text) => parseOwners(text, questions, speakers), signal, how);
  return { fills: asked.value, model: asked.model, tokens: asked.tokens, ...(asked.reason ? { reason: asked.reason } : {}), ...(left ? { unasked: left } : {}) };
}
