/**
 * The session's ledger of action items and decisions: the latest revision of each, keyed by the segment it is anchored
 * to, and the window of final lines extraction re-reads. It makes revisions: found by extraction, ticked done (through
 * the protocol or by hand in the notes file), or rewritten by the model refinement at stop.
 *
 * Memory only: it never journals, announces or reads a file. The session journals each revision it returns before
 * announcing it, so a revision is made here first and kept on disk next.
 */
import { ActionItem, Decision } from '../../protocol/protocol';
import { ActionItemRecord } from '../journal/journal';
import { extract, SpokenLine } from '../understanding/extract';
import { ActionItemDoneError, doneRevision } from '../documents/done';
import { handTicks } from '../documents/previousNotes';
import { RestoredSession } from './restored';

/** Final lines re-read at each final: replies, assignments and corrections come within a few turns of what they refine. */
export const EXTRACT_WINDOW_LINES = 40;

export class Ledger {
  /** The last EXTRACT_WINDOW_LINES final lines. */
  private readonly spoken: SpokenLine[] = [];
  /** The latest revision announced of each item and decision, by anchor (see extract). */
  private readonly itemsByKey = new Map<string, ActionItem>();
  private readonly decisionsByKey = new Map<string, Decision>();
  /** Items and decisions share one id counter ("a1", "d2"). */
  private itemCount = 0;

  constructor(private readonly sessionId: string, private readonly startedAt: Date) {}

  /** What a resumed session had found: its items and decisions, the counter, the extraction window. */
  restore(restored: RestoredSession): void {
    this.itemCount = restored.itemCount;
    for (const [key, item] of restored.items) this.itemsByKey.set(key, item);
    for (const [key, decision] of restored.decisions) this.decisionsByKey.set(key, decision);
    this.spoken.push(...restored.spoken);
  }

  /**
   * Re-reads the last EXTRACT_WINDOW_LINES final lines with the new one and reconciles what it finds with what was
   * announced: an item keeps its id (keyed by the segment it is anchored to and its place there); a change of text,
   * owner or due is a new revision; an item that is no longer found while its segment is still in the window (the
   * request was declined, merged into the reply) gets a revision marked removed. Items anchored before the window
   * stay as they were. Returns the new revisions.
   */
  extract(line: SpokenLine): { items: ActionItem[]; decisions: Decision[] } {
    // Only the window is ever read again: lines before it are done with.
    this.spoken.push(line);
    if (this.spoken.length > EXTRACT_WINDOW_LINES) this.spoken.shift();
    const window = this.spoken;
    const inWindow = new Set(window.map((l) => l.segmentId));
    const found = extract(window, this.startedAt);
    const keyed = <T extends { segmentId?: string }>(list: T[]) => {
      const count = new Map<string, number>();
      return list.filter((x) => x.segmentId).map((x) => {
        const n = count.get(x.segmentId!) ?? 0;
        count.set(x.segmentId!, n + 1);
        return { key: `${x.segmentId}#${n}`, found: x };
      });
    };
    const t0Of = (segmentId: string) => window.find((l) => l.segmentId === segmentId)?.t0 ?? line.t0 ?? 0;
    const items = reconcile(this.itemsByKey, keyed(found.actionItems), inWindow, (f, prev): ActionItem => ({
      sessionId: this.sessionId, id: prev?.id ?? `a${++this.itemCount}`, revision: (prev?.revision ?? 0) + 1, text: f.text, owner: f.owner,
      due: f.due, duePhrase: f.duePhrase, segmentId: f.segmentId!, t0: f.t0 ?? t0Of(f.segmentId!),
      // The user's tick outlives a refined wording.
      ...(prev?.done !== undefined ? { done: prev.done } : {}),
    }), (i) => [i.text, i.owner, i.due, i.duePhrase].join('\u0000'));
    const decisions = reconcile(this.decisionsByKey, keyed(found.decisions), inWindow, (f, prev): Decision => ({
      sessionId: this.sessionId, id: prev?.id ?? `d${++this.itemCount}`, revision: (prev?.revision ?? 0) + 1, text: f.text, kind: f.kind ?? 'decision',
      segmentId: f.segmentId!, t0: f.t0 ?? t0Of(f.segmentId!),
    }), (d) => [d.text, d.kind].join('\u0000'));
    return { items, decisions };
  }

  /**
   * The item's next revision with `done`, recorded (synchronously: revisions never interleave); `changed` false when
   * it already was. Throws ActionItemDoneError for an unknown or withdrawn item.
   */
  markDone(id: string, done: boolean): { item: ActionItem; changed: boolean } {
    const entry = [...this.itemsByKey].find(([, item]) => item.id === id);
    if (!entry) throw new ActionItemDoneError('unknown', `Session ${this.sessionId} has no action item ${JSON.stringify(id)}.`);
    const [key, latest] = entry;
    const next = doneRevision(latest, done, this.sessionId);
    if (!next) return { item: latest, changed: false };
    this.itemsByKey.set(key, next);
    return { item: next, changed: true };
  }

  /** The boxes ticked or unticked by hand in the notes file as it reads now (`notes`: undefined when there is none). */
  handTicks(notes: string | undefined): { id: string; done: boolean }[] {
    return handTicks(notes, [...this.itemsByKey.values()].map(({ sessionId: _s, ...item }) => ({ type: 'actionItem' as const, ...item })));
  }

  /** The refinement's revisions of items, journaled: a tick after this builds on them. */
  revised(records: readonly ActionItemRecord[]): void {
    for (const [key, item] of this.itemsByKey) {
      const revised = records.find((i) => i.id === item.id);
      if (revised) {
        const { type: _t, ...rest } = revised;
        this.itemsByKey.set(key, { sessionId: this.sessionId, ...rest });
      }
    }
  }
}

/**
 * Brings `announced` up to date with `found` and returns the new revisions to journal and announce: new entries,
 * changed ones, and (marked removed) announced ones whose segment is in the window but which were not found again.
 */
function reconcile<F, T extends { revision: number; segmentId: string; removed?: boolean }>(
  announced: Map<string, T>, found: { key: string; found: F }[], inWindow: Set<string | undefined>,
  make: (f: F, previous: T | undefined) => T, content: (t: T) => string,
): T[] {
  const out: T[] = [];
  const seen = new Set<string>();
  for (const { key, found: f } of found) {
    seen.add(key);
    const previous = announced.get(key);
    const next = make(f, previous);
    if (previous && !previous.removed && content(previous) === content(next)) continue;
    announced.set(key, next);
    out.push(next);
  }
  for (const [key, previous] of announced) {
    if (seen.has(key) || previous.removed || !inWindow.has(previous.segmentId)) continue;
    const removed = { ...previous, revision: previous.revision + 1, removed: true };
    announced.set(key, removed);
    out.push(removed);
  }
  return out;
}
