/**
 * How the notes write the small things: a language model's name, where an item comes from, and the id in an item's
 * comment (a time in the meeting and transcript text inside a list item are in protocol/markdownText.ts, which the
 * extension's decision records share).
 *
 * Shared by the renderer (markdown.ts) and the reading back of the user's file (previousNotes.ts), which matches ticks
 * on these words: change them only together with both. Must not read or write files.
 */
import { DecisionStanding, StandingStep, standingHistoryWords } from '../../protocol/protocol';
import { clock, inline } from '../../protocol/markdownText';

/** The Decisions section's groups, in order, and their headings (`### …`), for the notes and `earshot notes --md`. */
export const DECISION_GROUPS: readonly { standing: DecisionStanding; heading: string }[] = [
  { standing: 'decided', heading: 'Decided' }, { standing: 'open', heading: 'Left open' }, { standing: 'given', heading: 'Given to the team' },
];

/** " — left open at 12:03, decided at 31:40" after a decision a later part of its meeting settled (issue 56); '' otherwise. */
export function historySuffix(history: readonly StandingStep[] | undefined): string {
  const words = history && history.length > 1 ? standingHistoryWords(history, clock) : '';
  return words ? ` — ${words}` : '';
}

/** The model's name as the notes print it: one line, no Markdown, no parentheses or underscores. */
export function displayModel(model: string): string {
  return model.replace(/[^\p{L}\p{N}.:/@+ -]+/gu, '-').replace(/\s+/g, ' ').trim().slice(0, 80) || 'a language model';
}

/** Where an item comes from: its time in the meeting, and whether the opt-in refinement rewrote or added it. */
export function origin(r: { t0: number; segmentId: string; refinedBy?: string; revision: number; id: string; rewritten?: { by: string } }): string {
  if (!r.refinedBy) return clock(r.t0);
  // Found by the language-model extraction, anchored on the line it cites.
  if (/^[ad]m\d+$/.test(r.id) && r.segmentId) return `found by ${displayModel(r.refinedBy)}, ${clock(r.t0)}`;
  // A rule item the model rewrote (undone from the panel).
  if (r.rewritten) return `revised by ${displayModel(r.rewritten.by)}, ${clock(r.t0)}`;
  return r.segmentId ? `refined, ${clock(r.t0)}` : `added by refinement, ${clock(r.t0)}`;
}

/** An item's id as its comment in the notes holds it (`<!-- earshot:<id> -->`). */
export const commentId = (id: string) => id.replace(/[^\w-]/g, '');

/** How a transcript line of the notes starts: `- **[mm:ss] Speaker:**` (markdown.ts writes it, memory reads it). */
export const transcriptLineStart = (t0: number, speaker: string): string => `- **[${clock(t0)}] ${inline(speaker)}:**`;

/**
 * A piece of a turn the early end split (issue 60): it continues the segment before, same speaker. The notes add it to
 * its turn's line unless something came between (markdown.ts); memory finds it there (meetingRecord.ts).
 */
export const continuesTurn = (s: { continues?: string; speaker: string }, before: { segmentId: string; speaker: string } | undefined): boolean =>
  s.continues !== undefined && s.continues === before?.segmentId && s.speaker === before.speaker;
