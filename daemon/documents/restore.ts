/**
 * Restoring an item the opt-in language model dismissed, or undoing its rewrite of one (earshot/item/restore): a new
 * revision without `removed` (or with the words before the rewrite), marked `restored` (a later model pass leaves it
 * alone), appended to the stopped session's journal, and the notes file rewritten. The dismissal or the rewrite stays
 * in the journal's history: nothing is ever deleted.
 */
import { ActionItem, Decision, ItemRestoreParams } from '../../protocol/protocol';
import { ActionItemRecord, DecisionRecord, Journal, latestById, readJournal } from '../journal/journal';
import { oneAtATime } from './done';
import { renderNotes } from './markdown';
import { writeNotesFile } from './notesFile';
import { restoreRevision } from '../understanding/modelExtract';

/** No item of that kind has the id. */
export class ItemRestoreError extends Error {}

export function restoreInJournal(journalPath: string, kind: ItemRestoreParams['kind'], id: string, written?: (notesPath: string) => void): Promise<{ item: ActionItem | Decision; changed: boolean }> {
  return oneAtATime(journalPath, async () => {
    const journal = await readJournal(journalPath);
    const { sessionId, notesPath } = journal.header;
    const latest = kind === 'actionItem'
      ? latestById(journal.records.filter((r): r is ActionItemRecord => r.type === 'actionItem')).get(id)
      : latestById(journal.records.filter((r): r is DecisionRecord => r.type === 'decision')).get(id);
    if (!latest) throw new ItemRestoreError(`Session ${sessionId} has no ${kind === 'actionItem' ? 'action item' : 'decision'} ${JSON.stringify(id)}.`);
    const next = restoreRevision(latest);
    if (next) {
      const appending = await Journal.reopen(journalPath);
      try {
        await appending.append(next);
      } finally {
        await appending.close();
      }
      if (notesPath) {
        const updated = await readJournal(journalPath);
        try {
          await writeNotesFile(notesPath, (current) => renderNotes(updated, current));
          written?.(notesPath);
        } catch (e) {
          throw new Error(`${id} is restored in the journal, but the notes file ${notesPath} could not be rewritten: ${(e as Error).message}`);
        }
      }
    }
    const { type: _type, ...item } = next ?? latest;
    return { item: { sessionId, ...item } as ActionItem | Decision, changed: next !== undefined };
  });
}
