/**
 * What a language model's extraction so far does to a session's items and decisions, as journal revisions, for an
 * extraction that runs while the meeting does (liveExtraction.ts): each time a chunk is answered, the answers so far
 * are reduced and turned into records as at stop (chunkMerge.ts: reduceChunks; modelExtract.ts: modelExtractionRecords) over the
 * meeting as the rules and the user made it (baseRecords: the model's own records left out), and only the difference
 * to what the journal holds is written. A later chunk may merge into an item the model added (a new revision), or
 * confirm a rule item an earlier chunk dismissed (the dismissal is taken back: the rules' revision again).
 *
 * Pure: no I/O, no state. The session journals what it returns, before announcing it.
 */
import { ActionItemRecord, DecisionRecord, JournalRecord } from '../journal/journal';
import { isModelItem } from '../understanding/modelExtract';

export type EntryRecord = ActionItemRecord | DecisionRecord;

const isEntry = (r: JournalRecord): r is EntryRecord => r.type === 'actionItem' || r.type === 'decision';

/** The ids of the items and decisions a model added (their first revision carries its name). */
export function modelAddedIds(records: readonly JournalRecord[]): Set<string> {
  return new Set(records.filter(isEntry).filter((r) => isModelItem(r)).map((r) => r.id));
}

/**
 * The meeting as the rules and the user made it: every record but the model's (the revisions it wrote, marked
 * `refinedBy` or `dismissed`, and every revision of an item it added). What it is shown, and what its answers apply to,
 * must not depend on what it already answered.
 */
export function baseRecords(records: readonly JournalRecord[]): JournalRecord[] {
  const added = modelAddedIds(records);
  return records.filter((r) => !isEntry(r) || (r.refinedBy === undefined && r.dismissed === undefined && !added.has(r.id)));
}

/** What an entry says, whatever its revision and tick: the model's revisions are compared on this. */
function content(r: EntryRecord): string {
  const { revision: _r, ...rest } = r;
  const { done: _d, ...said } = rest as typeof rest & { done?: boolean };
  return JSON.stringify(Object.keys(said).sort().map((k) => [k, (said as Record<string, unknown>)[k]]));
}

/** The tick of the latest revision carried onto the next (the model never ticks nor unticks). */
function next<T extends EntryRecord>(record: T, latest: EntryRecord | undefined): T {
  const { done: _d, ...rest } = record as T & { done?: boolean };
  const done = (latest as { done?: boolean } | undefined)?.done;
  return { ...rest, revision: (latest?.revision ?? 0) + 1, ...(record.type === 'actionItem' && done !== undefined ? { done } : {}) } as T;
}

/**
 * The revisions that bring the journal (`latest`: the latest revision of every entry, model's included) to `desired`
 * (modelExtractionRecords' entries over baseRecords). `published`: the ids the model revised or added so far in this
 * session; one no longer desired is taken back: an added one withdrawn (`removed`), a rule item given the rules'
 * revision again (`base`) — unless someone else revised it since (the user's tick, the rules): then it stays.
 * An entry desired in two revisions (prompt v7: a decision the model added, then dropped later in the meeting) is
 * written as both when the journal has neither, else brought to the last.
 */
export function revisionsToward(desired: readonly EntryRecord[], latest: ReadonlyMap<string, EntryRecord>, base: ReadonlyMap<string, EntryRecord>,
  published: ReadonlySet<string>, added: ReadonlySet<string>): EntryRecord[] {
  const out: EntryRecord[] = [];
  const wanted = new Set(desired.map((d) => d.id));
  const lastOf = new Map(desired.map((d) => [d.id, d]));
  const written = new Map<string, EntryRecord>();
  for (const d of desired) {
    const current = written.get(d.id) ?? latest.get(d.id);
    if (current && content(current) === content(d)) continue;
    // One the user restored (a model entry folded or dropped, then brought back) stays as the user left it, while its
    // place still holds the same entry (a part asked again may put another there: that one is written).
    if (current?.restored && added.has(d.id) && current.segmentId === d.segmentId) continue;
    if (latest.has(d.id) && lastOf.get(d.id) !== d) continue; // in the journal already: only the last revision counts
    const revision = next(d, current);
    written.set(d.id, revision);
    out.push(revision);
  }
  for (const id of published) {
    const current = latest.get(id);
    if (wanted.has(id) || !current) continue;
    const ours = current.refinedBy !== undefined || current.dismissed !== undefined || added.has(id);
    if (!ours) continue;
    if (added.has(id)) {
      if (!current.removed && !current.restored) out.push(next({ ...current, removed: true }, current));
    } else {
      const rules = base.get(id);
      if (rules) out.push(next(rules, current));
    }
  }
  return out;
}
