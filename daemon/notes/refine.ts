/**
 * The opt-in refinement at stop, on the journal's side: what a model is shown (RefineParams, bounded) and how its
 * answer becomes journal records. The refinement never deletes: an item it rewrites gets a new revision (same id,
 * marked `refinedBy`), an item it adds gets a new id, and items it does not mention stay as they are. Its summary is
 * kept in a `refinement` record; the notes show it labelled, above the extractive summary (see renderNotes).
 */
import {
  ActionItem, Decision, EnhancementProvider, REFINE_TRANSCRIPT_MAX_CHARS, REFINE_TRANSCRIPT_MAX_LINES, RefineParams, RefineResult,
} from '../../protocol/protocol';
import { ActionItemRecord, DecisionRecord, JournalContents, JournalRecord, latestById, segmentsOf } from '../journal/journal';
import { notesDigest } from './markdown';

export type RefinementRecord = Extract<JournalRecord, { type: 'refinement' }>;

/** A refinement as the session's hook returns it: the validated answer and who gave it. */
export interface Refinement extends RefineResult {
  provider: Exclude<EnhancementProvider, 'off'>;
}

/**
 * What the model is shown: the meeting, the extractive summary, the live items and decisions, and the end of the
 * transcript: the last lines whose text fits in `maxChars` (at most `maxLines` lines), earlier ones counted in
 * omittedLines.
 */
export function refineInput(journal: JournalContents, maxChars = REFINE_TRANSCRIPT_MAX_CHARS, maxLines = REFINE_TRANSCRIPT_MAX_LINES): RefineParams {
  const { header } = journal;
  // The same summary and items the notes show.
  const digest = notesDigest(journal);
  const { actionItems: items, decisions, summary } = digest;
  const segments = digest.segments.filter((s) => s.text.trim());
  const transcript: RefineParams['transcript'] = [];
  let used = 0;
  for (let k = segments.length - 1; k >= 0 && transcript.length < maxLines; k--) {
    const s = segments[k];
    const cost = s.text.length + s.speaker.length + 12;
    if (used + cost > maxChars) break;
    used += cost;
    transcript.unshift({ speaker: s.speaker, t0: Math.round(s.t0 * 1000) / 1000, text: s.text });
  }
  return {
    sessionId: header.sessionId,
    title: header.title,
    date: header.startedAt,
    transcript,
    omittedLines: segments.length - transcript.length,
    summary: summary.bullets,
    actionItems: items.map((i) => ({ id: i.id, text: i.text, owner: i.owner ?? null, due: i.due ?? null })),
    decisions: decisions.map((d) => ({ id: d.id, text: d.text, kind: d.kind ?? 'decision' })),
  };
}

const norm = (text: string) => text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

/**
 * The journal records of a refinement: new revisions of the items and decisions it rewrote (owner and due are only
 * replaced, never cleared: a model that leaves one out does not erase it), items and decisions it added (ids `ar<n>`
 * and `dr<n>`, no source segment, at the end of the meeting; texts already present are not added twice), then the
 * `refinement` record itself. Withdrawn items are not brought back.
 */
export function refinementRecords(journal: JournalContents, refinement: Refinement, at = new Date()): {
  records: JournalRecord[]; items: Omit<ActionItem, 'sessionId'>[]; decisions: Omit<Decision, 'sessionId'>[];
} {
  const { records } = journal;
  const model = refinement.model;
  const segments = segmentsOf(records);
  const endT = segments.length ? Math.max(...segments.map((s) => s.t1)) : 0;
  // Withdrawn ones included: a refinement must not resurrect them.
  const itemsById = latestById(records.filter((r): r is ActionItemRecord => r.type === 'actionItem'));
  const decisionsById = latestById(records.filter((r): r is DecisionRecord => r.type === 'decision'));
  const itemTexts = new Set([...itemsById.values()].filter((i) => !i.removed).map((i) => norm(i.text)));
  const decisionTexts = new Set([...decisionsById.values()].filter((d) => !d.removed).map((d) => norm(d.text)));
  const items: Omit<ActionItem, 'sessionId'>[] = [];
  const decisions: Omit<Decision, 'sessionId'>[] = [];
  let added = 0;
  for (const refined of refinement.actionItems ?? []) {
    const previous = refined.id ? itemsById.get(refined.id) : undefined;
    if (previous?.removed) continue;
    if (previous) {
      const owner = refined.owner ?? previous.owner ?? null;
      const due = refined.due ?? previous.due ?? null;
      if (refined.text === previous.text && owner === (previous.owner ?? null) && due === (previous.due ?? null)) continue;
      const { type: _type, ...rest } = previous;
      const next = { ...rest, revision: previous.revision + 1, text: refined.text, owner, due, duePhrase: due === previous.due ? previous.duePhrase ?? null : null, refinedBy: model };
      itemsById.set(next.id, { type: 'actionItem', ...next });
      items.push(next);
    } else {
      if (itemTexts.has(norm(refined.text))) continue;
      itemTexts.add(norm(refined.text));
      items.push({ id: `ar${++added}`, revision: 1, text: refined.text, owner: refined.owner, due: refined.due, duePhrase: null, segmentId: '', t0: endT, refinedBy: model });
    }
  }
  added = 0;
  for (const refined of refinement.decisions ?? []) {
    const previous = refined.id ? decisionsById.get(refined.id) : undefined;
    if (previous?.removed) continue;
    if (previous) {
      if (refined.text === previous.text && refined.kind === (previous.kind ?? 'decision')) continue;
      const { type: _type, ...rest } = previous;
      const next = { ...rest, revision: previous.revision + 1, text: refined.text, kind: refined.kind, refinedBy: model };
      decisionsById.set(next.id, { type: 'decision', ...next });
      decisions.push(next);
    } else {
      if (decisionTexts.has(norm(refined.text))) continue;
      decisionTexts.add(norm(refined.text));
      decisions.push({ id: `dr${++added}`, revision: 1, text: refined.text, kind: refined.kind, segmentId: '', t0: endT, refinedBy: model });
    }
  }
  const record: RefinementRecord = {
    type: 'refinement', at: at.toISOString(), provider: refinement.provider, model,
    summary: refinement.summary ?? [], actionItemIds: items.map((i) => i.id), decisionIds: decisions.map((d) => d.id),
  };
  return {
    records: [...items.map((i): JournalRecord => ({ type: 'actionItem', ...i })), ...decisions.map((d): JournalRecord => ({ type: 'decision', ...d })), record],
    items, decisions,
  };
}
