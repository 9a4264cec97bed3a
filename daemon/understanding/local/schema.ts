/**
 * The JSON schema a local model's chunk answer is generated under (node-llama-cpp turns it into a grammar): the shape
 * of ChunkExtraction (protocol.ts), with the chunk's segment ids as an enum (every item cites real lines), the shown
 * rule-based items' ids as enums for `dismiss` and `rewrite` (an action item's or a decision's shape, by its id), a rewrite's owner one of the chunk's speakers or null, a
 * decision's standing and kind the prompt's words (a deferral is the standing "open"), and every
 * string and list bounded, because a small model left unbounded may never close a string. Every property is required
 * (the grammar writes them all, in this order). Pure.
 *
 * The answer is still parsed and checked (parseChunkAnswer): a chat template's stop trigger can end a generation
 * before the grammar is complete, and the grammar's length counts are not JavaScript's.
 */
import { DECISION_STANDINGS } from '../../../protocol/protocol';
import { ChunkConstraint, OwnersConstraint, ProcedureConstraint, RestatementConstraint, StandingsConstraint } from '../providers';
import { RESTATEMENT_BOUNDS } from '../restatements';
import { SUMMARY_BOUNDS } from '../modelSummary';
import { NOTED_TEXT_MAX } from '../carriedNotes';

/** Bounds on an answer: a chunk of a few minutes holds a handful of items; each is a sentence. */
export const ANSWER_BOUNDS = { items: 8, decisions: 6, corrections: 8, citations: 4, text: 200, owner: 60, reason: 120 } as const;

const text = { type: 'string', minLength: 1, maxLength: ANSWER_BOUNDS.text } as const;
const nothing = { type: 'array', maxItems: 0 } as const;

/** A list of `item`, at most `max` long; an empty list only when nothing can go in it. */
const list = (item: object, max: number) => (max > 0 ? { type: 'array', items: item, maxItems: max } : nothing);

const rewritable = (c: ChunkConstraint) => c.actionItemIds.length + (c.decisionIds?.length ?? 0);

/** A rewrite: of a rule-based action item (text, owner, due) or, prompt v6, of a rule-based decision (text, standing, kind). */
function rewriteItem(c: ChunkConstraint): object {
  const item = {
    type: 'object',
    properties: {
      id: { enum: c.actionItemIds },
      text,
      owner: c.speakers.length ? { oneOf: [{ enum: c.speakers }, { type: 'null' }] } : { type: 'null' },
      due: { oneOf: [{ type: 'string', format: 'date' }, { type: 'null' }] },
    },
  };
  const decision = { type: 'object', properties: { id: { enum: c.decisionIds ?? [] }, text, standing: { enum: [...DECISION_STANDINGS] }, kind: { enum: ['decision', 'negative'] } } };
  if (!c.decisionIds?.length) return item;
  if (!c.actionItemIds.length) return decision;
  return { oneOf: [item, decision] };
}

/**
 * Prompt v7's `noted` (carriedNotes.ts): an entry noted in an earlier part, by its id, with the lines here that say it,
 * a decision's new standing (or null) or an action item's owner (a speaker here, or null), and the other noted entries
 * of its kind that are the same one.
 */
function notedItem(c: ChunkConstraint, segments: object): object {
  const { actionItemIds, decisionIds, refine } = c.noted!;
  // Prompt v8: a noted entry's new words (or null), as long as validateNoted takes.
  const words = refine ? { text: { oneOf: [{ type: 'string', minLength: 1, maxLength: NOTED_TEXT_MAX }, { type: 'null' }] } } : {};
  const merge = (ids: string[]) => (ids.length > 1 ? { type: 'array', items: { enum: ids }, maxItems: 3 } : nothing);
  const decision = {
    type: 'object',
    properties: { id: { enum: decisionIds }, segments, ...words, standing: { oneOf: [{ enum: [...DECISION_STANDINGS, 'dropped'] }, { type: 'null' }] }, merge: merge(decisionIds) },
  };
  const item = {
    type: 'object',
    properties: { id: { enum: actionItemIds }, segments, ...words, owner: c.speakers.length ? { oneOf: [{ enum: c.speakers }, { type: 'null' }] } : { type: 'null' }, merge: merge(actionItemIds) },
  };
  if (!actionItemIds.length) return decision;
  if (!decisionIds.length) return item;
  return { oneOf: [decision, item] };
}

export function chunkAnswerSchema(c: ChunkConstraint): object {
  const segments = c.segmentIds.length ? { type: 'array', items: { enum: c.segmentIds }, minItems: 1, maxItems: ANSWER_BOUNDS.citations } : nothing;
  const citable = c.segmentIds.length > 0;
  return {
    type: 'object',
    properties: {
      actionItems: list({
        type: 'object',
        properties: {
          text,
          owner: { oneOf: [{ type: 'string', maxLength: ANSWER_BOUNDS.owner }, { type: 'null' }] },
          due: { oneOf: [{ type: 'string', format: 'date' }, { type: 'null' }] },
          segments,
        },
      }, citable ? ANSWER_BOUNDS.items : 0),
      decisions: list({
        type: 'object',
        properties: { text, standing: { enum: [...DECISION_STANDINGS] }, kind: { enum: ['decision', 'negative'] }, segments },
      }, citable ? ANSWER_BOUNDS.decisions : 0),
      dismiss: list({
        type: 'object',
        properties: { id: { enum: c.itemIds }, reason: { type: 'string', minLength: 1, maxLength: ANSWER_BOUNDS.reason } },
      }, c.itemIds.length ? Math.min(c.itemIds.length, ANSWER_BOUNDS.corrections) : 0),
      rewrite: list(rewriteItem(c), rewritable(c) ? Math.min(rewritable(c), ANSWER_BOUNDS.corrections) : 0),
      ...(c.noted ? { noted: list(notedItem(c, segments), citable ? Math.min(c.noted.actionItemIds.length + c.noted.decisionIds.length, ANSWER_BOUNDS.corrections) : 0) } : {}),
    },
  };
}

/**
 * A rolling summary's answer, and the settled one at stop (modelSummary.ts): at most `maxPoints` points (the
 * constraint's: SUMMARY_BOUNDS.points rolling, settledPoints settling), each
 * citing 1…SUMMARY_BOUNDS.citations of `segmentIds` (the new chunk's lines and those the previous points cite; settling,
 * the final lists' lines instead of new ones), its text at most SUMMARY_BOUNDS.textMax long: the prompt asks for
 * SUMMARY_BOUNDS.text, so a model that keeps to it never meets the grammar's bound, which is there only so that a string
 * always closes (the parser ends one stopped there at a whole word).
 */
export function summaryAnswerSchema(segmentIds: readonly string[], maxPoints: number = SUMMARY_BOUNDS.points): object {
  const cites = segmentIds.length ? { type: 'array', items: { enum: [...segmentIds] }, minItems: 1, maxItems: SUMMARY_BOUNDS.citations } : nothing;
  return {
    type: 'object',
    properties: {
      // At least one point when there is a line to cite: an empty answer would only be asked again.
      points: segmentIds.length ? {
        type: 'array', minItems: 1, maxItems: maxPoints,
        items: { type: 'object', properties: { text: { type: 'string', minLength: 1, maxLength: SUMMARY_BOUNDS.textMax }, cites } },
      } : nothing,
    },
  };
}

/**
 * The restatement check's answer (restatements.ts): sets of entries of one list, each keeping one id and folding others
 * (the grammar cannot say "of one kind": parseRestatements refuses a set that mixes them), new words within the bound.
 */
export function restatementAnswerSchema(c: RestatementConstraint['restatements']): object {
  const ids = [...c.decisionIds, ...c.actionItemIds];
  const set = { type: 'object', properties: {
    keep: { enum: ids }, fold: { type: 'array', items: { enum: ids }, minItems: 1, maxItems: ids.length - 1 },
    text: { type: 'string', maxLength: RESTATEMENT_BOUNDS.text }, // "" when the kept entry's words stay
  } };
  return { type: 'object', properties: { same: ids.length >= 2 ? { type: 'array', items: set, maxItems: Math.floor(ids.length / 2) } : nothing } };
}

/**
 * The procedure check's answer (procedureCheck.ts): decisions asked about, no more ids than were asked (the grammar
 * cannot say "each once": parseProcedure refuses a repeat).
 */
export function procedureAnswerSchema(c: ProcedureConstraint['procedure']): object {
  return { type: 'object', properties: { [c.key ?? 'procedure']: { type: 'array', items: { enum: c.decisionIds }, maxItems: c.decisionIds.length } } };
}

/**
 * The owner check's answer (ownerCheck.ts): one entry per item asked about, in the order asked (node-llama-cpp's
 * `prefixItems` and `const`: each id once), its owner one of the meeting's speakers or null.
 */
export function ownerAnswerSchema(c: OwnersConstraint['owners']): object {
  const owner = { oneOf: [{ enum: c.speakers }, { type: 'null' }] };
  const entries = c.itemIds.map((id) => ({ type: 'object', properties: { id: { const: id }, owner } }));
  return { type: 'object', properties: { owners: { type: 'array', prefixItems: entries, minItems: entries.length, maxItems: entries.length } } };
}

/**
 * The standing check's answer (standingCheck.ts): fixes naming a point and a decision shown, by number, each with words
 * within the points' hard bound; no more fixes than points (parseStandingFixes refuses a point named twice).
 */
export function standingAnswerSchema(c: StandingsConstraint['standings']): object {
  const numbers = (n: number, prefix = '') => Array.from({ length: n }, (_, k) => (prefix ? `${prefix}${k + 1}` : k + 1));
  const fix = { type: 'object', properties: { point: { enum: numbers(c.points) }, decision: { enum: numbers(c.decisions, 'D') }, text: { type: 'string', maxLength: SUMMARY_BOUNDS.textMax } } };
  return { type: 'object', properties: { fixes: { type: 'array', items: fix, maxItems: c.points } } };
}
