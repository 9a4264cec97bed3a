/**
 * The session's ledger of action items and decisions: the latest revision of each, keyed by the segment it is anchored
 * to, and the window of final lines extraction re-reads. It makes revisions: found by extraction, ticked done (through
 * the protocol or by hand in the notes file); and it keeps the language model's (its dismissals and completions of rule
 * items, the items it added: liveExtraction.ts), so that a tick builds on them
 * and the rules, re-reading their window, never undo them unless what they find changed.
 *
 * Memory only: it never journals, announces or reads a file. The session journals each revision it returns before
 * announcing it, so a revision is made here first and kept on disk next.
 */
import { ActionItem, Decision } from '../../protocol/protocol';
import { ActionItemRecord, DecisionRecord } from '../journal/journal';
import { extract, SpokenLine } from '../understanding/extract';
import { ActionItemDoneError, doneRevision } from '../documents/done';
import { handTicks } from '../documents/previousNotes';
import { RestoredSession } from './restored';
import { followOwner, Renamed, renameMentions } from '../speakers/labels';

/** Final lines re-read at each final: replies, assignments and corrections come within a few turns of what they refine. */
export const EXTRACT_WINDOW_LINES = 40;

export class Ledger {
  /** The last EXTRACT_WINDOW_LINES final lines. */
  private readonly spoken: SpokenLine[] = [];
  /** The latest revision announced of each item and decision, by anchor (see extract). */
  private readonly itemsByKey = new Map<string, ActionItem>();
  private readonly decisionsByKey = new Map<string, Decision>();
  /** What the rules last found at each key (see reconcile): the latest revision may be the model's. */
  private readonly foundByKey = new Map<string, string>();
  /** Items and decisions a language model added (no key: the rules never find them), by id. */
  private readonly modelEntries = new Map<string, ActionItem | Decision>();
  /** Items and decisions share one id counter ("a1", "d2"). */
  private itemCount = 0;

  constructor(private readonly sessionId: string, private readonly startedAt: Date) {}

  /** What a resumed session had found: its items and decisions, the counter, the extraction window. */
  restore(restored: RestoredSession): void {
    this.itemCount = restored.itemCount;
    for (const [key, item] of restored.items) this.itemsByKey.set(key, item);
    for (const [key, decision] of restored.decisions) this.decisionsByKey.set(key, decision);
    for (const entry of restored.modelEntries) this.modelEntries.set(entry.id, entry);
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
    return this.reread(line.t0);
  }

  /**
   * Finals changed speakers (speakers/labels.ts; `changed`: segment id → old and new speaker): the window's lines take
   * the new speakers and are read again (an owner, or who answered whom, may change what the rules find), and items
   * the window no longer holds take the new speaker as owner where the old one owned them (anchored at a changed final,
   * or, for a rename, `renamed` anywhere), and an item's or decision's text that names a renamed voice names it anew
   * (renameMentions). Returns the new revisions, as extract does.
   */
  respeak(changed: ReadonlyMap<string, { from: string; to: string }>, renamed?: Renamed): { items: ActionItem[]; decisions: Decision[] } {
    let touched = false;
    this.spoken.forEach((line, i) => {
      const change = line.segmentId === undefined ? undefined : changed.get(line.segmentId);
      if (!change) return;
      this.spoken[i] = { ...line, speaker: change.to };
      touched = true;
    });
    const found = touched ? this.reread(null) : { items: [], decisions: [] };
    const revised = new Set(found.items.map((i) => i.id));
    for (const d of found.decisions) revised.add(d.id);
    const entries: [Map<string, ActionItem | Decision>, string, ActionItem | Decision][] = [
      ...[...this.itemsByKey].map(([key, x]) => [this.itemsByKey, key, x] as [Map<string, ActionItem | Decision>, string, ActionItem]),
      ...[...this.decisionsByKey].map(([key, x]) => [this.decisionsByKey, key, x] as [Map<string, ActionItem | Decision>, string, Decision]),
      ...[...this.modelEntries].map(([key, x]) => [this.modelEntries, key, x] as [Map<string, ActionItem | Decision>, string, ActionItem | Decision]),
    ];
    for (const [map, key, entry] of entries) {
      if (revised.has(entry.id) || entry.removed) continue;
      const owner = isItem(entry) ? followOwner(entry, changed, renamed) : undefined;
      const text = renameMentions(entry.text, renamed);
      if (owner === undefined && text === entry.text) continue;
      const next = { ...entry, revision: entry.revision + 1, text, ...(owner !== undefined ? { owner } : {}) };
      map.set(key, next);
      if (isItem(next)) found.items.push(next);
      else found.decisions.push(next);
    }
    return found;
  }

  /** Reads the window again and reconciles what it finds with what was announced (see extract). */
  private reread(lastT0: number | null): { items: ActionItem[]; decisions: Decision[] } {
    const window = this.spoken;
    const line = { t0: lastT0 ?? window[window.length - 1]?.t0 ?? 0 };
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
      // The user's tick outlives a refined wording, and so does their restoring it (the model leaves it alone).
      ...(prev?.done !== undefined ? { done: prev.done } : {}),
      ...(prev?.restored ? { restored: true } : {}),
    }), (i) => [i.text, i.owner, i.due, i.duePhrase].join('\u0000'), this.foundByKey);
    const decisions = reconcile(this.decisionsByKey, keyed(found.decisions), inWindow, (f, prev): Decision => ({
      sessionId: this.sessionId, id: prev?.id ?? `d${++this.itemCount}`, revision: (prev?.revision ?? 0) + 1, text: f.text, kind: f.kind ?? 'decision',
      ...(f.standing ? { standing: f.standing } : {}), segmentId: f.segmentId!, t0: f.t0 ?? t0Of(f.segmentId!), ...(prev?.restored ? { restored: true } : {}),
    }), (d) => [d.text, d.kind, d.standing].join('\u0000'), this.foundByKey);
    return { items, decisions };
  }

  /**
   * The item's next revision with `done`, recorded (synchronously: revisions never interleave); `changed` false when
   * it already was. Throws ActionItemDoneError for an unknown or withdrawn item.
   */
  markDone(id: string, done: boolean): { item: ActionItem; changed: boolean } {
    const entry = [...this.itemsByKey].find(([, item]) => item.id === id);
    const added = this.modelEntries.get(id);
    const latest = entry?.[1] ?? (added && isItem(added) ? added : undefined);
    if (!latest) throw new ActionItemDoneError('unknown', `Session ${this.sessionId} has no action item ${JSON.stringify(id)}.`);
    const next = doneRevision(latest, done, this.sessionId);
    if (!next) return { item: latest, changed: false };
    if (entry) this.itemsByKey.set(entry[0], next);
    else this.modelEntries.set(id, next);
    return { item: next, changed: true };
  }

  /** The latest revision of an item or decision, by id (rule-based or added by a model); undefined for none. */
  latest(kind: 'actionItem' | 'decision', id: string): ActionItem | Decision | undefined {
    const byKey: Map<string, ActionItem | Decision> = kind === 'actionItem' ? this.itemsByKey : this.decisionsByKey;
    const found = [...byKey.values()].find((x) => x.id === id) ?? this.modelEntries.get(id);
    return found && isItem(found) === (kind === 'actionItem') ? found : undefined;
  }

  /** The boxes ticked or unticked by hand in the notes file as it reads now (`notes`: undefined when there is none). */
  handTicks(notes: string | undefined): { id: string; done: boolean }[] {
    const items = [...this.itemsByKey.values(), ...[...this.modelEntries.values()].filter(isItem)];
    return handTicks(notes, items.map(({ sessionId: _s, ...item }) => ({ type: 'actionItem' as const, ...item })));
  }

  /**
   * A language model's revisions and additions, about to be journaled: a tick or a rule revision after this builds on
   * them (the rules find an item again unchanged: the model's revision stands).
   */
  revised(records: readonly (ActionItemRecord | DecisionRecord)[]): void {
    for (const record of records) {
      const { type, ...rest } = record;
      const next = { sessionId: this.sessionId, ...rest } as ActionItem | Decision;
      const byKey: Map<string, ActionItem | Decision> = type === 'actionItem' ? this.itemsByKey : this.decisionsByKey;
      const key = [...byKey].find(([, x]) => x.id === record.id)?.[0];
      if (key !== undefined) byKey.set(key, next);
      else this.modelEntries.set(record.id, next);
    }
  }
}

const isItem = (x: ActionItem | Decision): x is ActionItem => x.id.startsWith('a');

/**
 * Brings `announced` up to date with `found` and returns the new revisions to journal and announce: new entries,
 * changed ones, and (marked removed) announced ones whose segment is in the window but which were not found again.
 */
function reconcile<F, T extends { revision: number; segmentId: string; removed?: boolean; dismissed?: unknown }>(
  announced: Map<string, T>, found: { key: string; found: F }[], inWindow: Set<string | undefined>,
  make: (f: F, previous: T | undefined) => T, content: (t: T) => string, foundByKey: Map<string, string>,
): T[] {
  const out: T[] = [];
  const seen = new Set<string>();
  for (const { key, found: f } of found) {
    seen.add(key);
    const previous = announced.get(key);
    const next = make(f, previous);
    // Compared with what the rules found last, not with the latest revision: a model's dismissal or completion of the
    // item stands while the rules find it unchanged.
    const same = foundByKey.get(key) ?? (previous && content(previous));
    if (previous && (!previous.removed || previous.dismissed) && same === content(next)) continue;
    foundByKey.set(key, content(next));
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
