/**
 * The opt-in language-model refinement, run once at stop (FINALIZING, before the end record): the model reads the
 * whole journal, and what it answers (items it added, revisions, its `refinement` record) is journaled, applied to the
 * ledger and then announced.
 *
 * It owns no state and never fails the session: the hook reports its own failures, and the rule-based notes stand.
 */
import { ActionItem, Decision } from '../../protocol/protocol';
import { Journal, JournalContents, JournalRecord, readJournal } from '../journal/journal';
import { Ledger } from './ledger';

export async function refineAtStop(
  extractWithModel: (journal: JournalContents) => Promise<JournalRecord[]>,
  journal: Journal, ledger: Ledger, sessionId: string,
  announce: (items: ActionItem[], decisions: Decision[]) => void,
): Promise<void> {
  try {
    await journal.flushed(); // a tick from just before the stop
    const records = await extractWithModel(await readJournal(journal.path));
    for (const record of records) await journal.append(record);
    const items = records.flatMap((r) => (r.type === 'actionItem' ? [r] : []));
    const decisions = records.flatMap((r) => (r.type === 'decision' ? [r] : []));
    ledger.revised(items); // a tick after this builds on the model's revision
    announce(
      items.map(({ type: _t, ...i }) => ({ sessionId, ...i })),
      decisions.map(({ type: _t, ...d }) => ({ sessionId, ...d })),
    );
  } catch {
    // The rule-based notes stand; the hook has reported why.
  }
}
