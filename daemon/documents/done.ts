/**
 * Ticking an action item (earshot/actionItem/setDone, or a box ticked by hand in the notes file): a new revision of
 * the item with `done`, everything else as it was. Later revisions (live extraction, the refinement at stop) carry
 * `done` over from the one before them.
 */
import { ActionItem } from '../../protocol/protocol';
import { ActionItemRecord, Journal, JournalRecord, latestById, readJournal } from '../journal/journal';
import { renderNotes } from './markdown';
import { readIfExists, writeNotesFile } from './notesFile';
import { handTicks } from './previousNotes';

/** Why an item cannot be marked: no item has the id, or the item was withdrawn. */
export class ActionItemDoneError extends Error {
  constructor(readonly reason: 'unknown' | 'removed', message: string) {
    super(message);
  }
}

/** The latest revision of every action item of a journal, withdrawn ones included. */
export function latestActionItems(records: readonly JournalRecord[]): Map<string, ActionItemRecord> {
  return latestById(records.filter((r): r is ActionItemRecord => r.type === 'actionItem'));
}

/**
 * The revision that marks `latest` done or not done; undefined when it already is (nothing to journal). Throws
 * ActionItemDoneError for a withdrawn item.
 */
export function doneRevision<T extends Omit<ActionItemRecord, 'type'>>(latest: T, done: boolean, sessionId: string): T | undefined {
  if (latest.removed) {
    // No item text in the message: error messages end up in logs.
    throw new ActionItemDoneError('removed', `Action item ${latest.id} of session ${sessionId} was withdrawn (declined, merged into another or taken back): it cannot be marked ${done ? 'done' : 'not done'}.`);
  }
  if ((latest.done ?? false) === done) return undefined;
  return { ...latest, revision: latest.revision + 1, done };
}

/** The latest revision of item `id`, or ActionItemDoneError('unknown'). */
export function findActionItem<T>(items: ReadonlyMap<string, T>, id: string, sessionId: string): T {
  const item = items.get(id);
  if (!item) {
    const known = [...items.keys()].slice(0, 20);
    throw new ActionItemDoneError('unknown', `Session ${sessionId} has no action item ${JSON.stringify(id)}${known.length ? ` (its items: ${known.join(', ')})` : ' (it has no action items)'}.`);
  }
  return item;
}

/** Work on one journal file at a time: two ticks at once must not both write revision n + 1. */
const journalQueues = new Map<string, Promise<unknown>>();

export function oneAtATime<T>(file: string, work: () => Promise<T>): Promise<T> {
  const run = (journalQueues.get(file) ?? Promise.resolve()).catch(() => undefined).then(work);
  journalQueues.set(file, run);
  void run.catch(() => undefined).finally(() => { if (journalQueues.get(file) === run) journalQueues.delete(file); });
  return run;
}

/**
 * Appends `records` and the boxes ticked by hand in the notes file (except item `except`'s) as revisions of a stored
 * session's journal.
 */
async function journalTicks(journalPath: string, sessionId: string, notesPath: string | null | undefined, items: Map<string, ActionItemRecord>, records: ActionItemRecord[], except?: string): Promise<void> {
  const previous = notesPath ? await readIfExists(notesPath) : undefined;
  for (const edit of handTicks(previous, [...items.values()].filter((i) => i.id !== except))) {
    const revision = doneRevision(items.get(edit.id)!, edit.done, sessionId);
    if (revision) records.push(revision);
  }
  if (!records.length) return;
  const appending = await Journal.reopen(journalPath);
  try {
    for (const record of records) await appending.append(record);
  } finally {
    await appending.close();
  }
}

/**
 * Renders a stored session's notes file again from its journal over the file as it is now (earshot/notes/rewrite):
 * boxes ticked by hand are journaled first, the user's My notes kept. Answers the notes path (undefined: none).
 */
export function rewriteInJournal(journalPath: string): Promise<string | undefined> {
  return oneAtATime(journalPath, async () => {
    const { header, records } = await readJournal(journalPath);
    if (!header.notesPath || header.mode === 'dictation') return undefined;
    await journalTicks(journalPath, header.sessionId, header.notesPath, latestActionItems(records), []);
    const updated = await readJournal(journalPath);
    await writeNotesFile(header.notesPath, (current) => renderNotes(updated, current));
    return header.notesPath;
  });
}

/**
 * Marks an item of a session that is not running (an earlier one, found in storage) done or not done: the revision
 * is appended to its journal (reopened), boxes the user ticked by hand in its notes file meanwhile are read back as
 * revisions too, and the notes file is rewritten (then `written` is called). Answers the item's latest revision.
 */
export function markDoneInJournal(journalPath: string, id: string, done: boolean, written?: (notesPath: string) => void): Promise<ActionItem> {
  return oneAtATime(journalPath, async () => {
    const journal = await readJournal(journalPath);
    const { sessionId, notesPath } = journal.header;
    const items = latestActionItems(journal.records);
    const latest = findActionItem(items, id, sessionId);
    const next = doneRevision(latest, done, sessionId);
    await journalTicks(journalPath, sessionId, notesPath, items, next ? [next] : [], id);
    if (notesPath) {
      const updated = await readJournal(journalPath);
      try {
        await writeNotesFile(notesPath, (current) => renderNotes(updated, current, { marked: new Set([id]) }));
        written?.(notesPath);
      } catch (e) {
        throw new Error(`Action item ${id} is marked ${done ? 'done' : 'not done'} in the journal, but the notes file ${notesPath} could not be rewritten: ${(e as Error).message}`);
      }
    }
    const { type: _type, ...item } = next ?? latest;
    return { sessionId, ...item };
  });
}
