/**
 * A chunk of the meeting as the model reads it: its lines, the rule-based items shown with them and (prompt v7) what
 * the parts before it noted. Shapes only, shared by the chunking and prompts (modelExtract.ts) and the merge of the
 * answers (chunkMerge.ts), so that neither imports the other for them.
 */
import { DecisionStanding } from '../../protocol/protocol';
import type { NotedEntry } from './carriedNotes';

/**
 * The carried-notes prompt a chunk is sent with: v7, v8 (issue 56: refinements) or v9 (v8's, and one action item for
 * each person a piece of work is given to, and the running of the meeting is no decision: a candidate measured on
 * development meetings, not the default; docs/benchmarks/notes-quality.md, "prompt v9").
 */
export type NotesPrompt = 7 | 8 | 9;
/**
 * The carried-notes prompt a meeting is read with (live and `earshot notes`): v8 since 2026-11-28 (decisions recall
 * 0.84 / 0.74 against v7's 0.69 / 0.71 on the real set's held-out twenty, 0.81 / 0.80 against 0.58 / 0.67 on the silver
 * held-out 45; docs/benchmarks/notes-quality.md). v7 stays for replaying the answers recorded to it.
 */
export const NOTES_PROMPT_DEFAULT: NotesPrompt = 8;

/**
 * How much of the notes so far a prompt shows (carriedNotes.ts's boundNoted). `wide`, the default since 2026-11-30:
 * up to 40 entries and 6000 characters (NOTED_BOUNDS_WIDE), and past that the entries the part's lines mention before
 * the merely recent ones. `recent`: up to 30 and 3000 (NOTED_BOUNDS), the most recent first, as the answers recorded
 * before it were asked. In a decision-dense meeting the narrow bound hid the very entries a later part restated, and
 * the model added them again (TS3012c, test/fixtures/real-meetings/abstracts/README.md).
 */
export type NotedBound = 'wide' | 'recent';
export const NOTED_BOUND_DEFAULT: NotedBound = 'wide';

export interface ChunkLine { segmentId: string; speaker: string; t0: number; text: string }

/** The meeting's lines the chunks hold, in order, once each (chunks overlap). */
export const meetingLines = (chunks: readonly { lines: readonly ChunkLine[] }[]): ChunkLine[] => {
  const seen = new Set<string>();
  return chunks.flatMap((c) => c.lines).filter((l) => !seen.has(l.segmentId) && (seen.add(l.segmentId), true));
};

/** A rule-based item shown to the model in a chunk (it may dismiss it; an action item, rewrite it). */
export interface ShownItem {
  id: string; kind: 'actionItem' | 'decision'; text: string; owner?: string | null; due?: string | null; segmentId: string;
  /** A decision's standing and kind as the rules gave them (prompt v6: the model may rewrite them). */
  standing?: DecisionStanding; decisionKind?: 'decision' | 'negative';
}

export interface ModelChunk {
  /** 0-based. */
  index: number;
  lines: ChunkLine[];
  items: ShownItem[];
  /**
   * Prompt v7 (issue 56): what the parts before this one noted, as its prompt shows it (bounded: carriedNotes.ts's
   * boundNoted); absent: a v6 prompt, each part read alone. `prompt: 8`: prompt v8, whose answer may also refine a
   * noted entry's words (carriedNotes.ts's NOTED_SHAPE_V8); absent: v7. `mentioned`: bounded by what its lines mention
   * first (NotedBound).
   */
  noted?: { shown: NotedEntry[]; left: number; prompt?: NotesPrompt; mentioned?: true };
}
