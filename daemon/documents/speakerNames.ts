/**
 * Naming a voice of a session that is not running (earshot/speakers/rename after the meeting): the speakers are
 * rebuilt from the journal (speakers/labels.ts), the rename is appended as a `speakers` record with the action items
 * whose owner follows it, and the notes file is rewritten. The running session renames through session/speakers.ts.
 */
import { ActionItem, Decision, FinalSegment, SpeakerRenameParams, SpeakerRenameResult } from '../../protocol/protocol';
import {
  ActionItemRecord, DecisionRecord, Journal, JournalContents, lastSummary, partNotesRenamed, latestById, readJournal, segmentsOf, SessionHeader, SummaryRecord,
} from '../journal/journal';
import { followOwner, renameMentions, sourceVoices, SpeakerBook } from '../speakers/labels';
import { latestActionItems, oneAtATime } from './done';
import { renderNotes } from './markdown';
import { writeNotesFile } from './notesFile';

/** A voice the source never had (or speakers were not told apart in that session). */
export class SpeakerRenameError extends Error {}

/** How a stored session's sources were labelled (the labels live sessions give them: capture/live.ts, service/sources.ts). */
export function sourceLabelsOf(header: SessionHeader): { kind: FinalSegment['source']; speaker: string }[] {
  return header.sources.map((kind) => ({
    kind, speaker: kind === 'file' ? 'Speaker' : header.speakers?.[kind] ?? (kind === 'mic' ? 'You' : 'Others'),
  }));
}

/** The session's speakers as its journal holds them. */
export function speakerBookOf(journal: JournalContents): SpeakerBook {
  const book = new SpeakerBook(sourceVoices(sourceLabelsOf(journal.header), journal.header.identifySpeakers === true && journal.header.mode !== 'dictation'));
  book.restore(journal.records);
  return book;
}

export interface StoredRename {
  result: SpeakerRenameResult;
  /** The finals relabelled, and the item and decision revisions, as journaled (to announce). */
  segments: FinalSegment[];
  items: ActionItem[];
  decisions: Decision[];
}

export function renameInJournal(journalPath: string, params: SpeakerRenameParams, written?: (notesPath: string) => void): Promise<StoredRename> {
  return oneAtATime(journalPath, async () => {
    const journal = await readJournal(journalPath);
    const { sessionId, notesPath } = journal.header;
    const book = speakerBookOf(journal);
    let relabel;
    try {
      relabel = book.rename(params.source, params.voice, params.name);
    } catch (e) {
      if (e instanceof RangeError) throw new SpeakerRenameError(`Session ${sessionId}: ${e.message}`);
      throw e;
    }
    const speaker = book.speakerOf(params.source, params.voice);
    const from = relabel.previous.values().next().value;
    const changed = new Map(relabel.record.changes.map((c) => [c.segmentId, { from: relabel.previous.get(c.segmentId) ?? c.speaker, to: c.speaker }]));
    const renamed = from === undefined ? undefined : book.renamed(params.source, params.voice, from, speaker);
    // Owners follow; an item's or decision's text, and the summary's points, that name the voice name it anew.
    const revisions: (ActionItemRecord | DecisionRecord)[] = [];
    const items = latestActionItems(journal.records);
    const decisions = latestById(journal.records.filter((r): r is DecisionRecord => r.type === 'decision'));
    for (const entry of [...items.values(), ...decisions.values()]) {
      if (entry.removed) continue;
      const owner = entry.type === 'actionItem' ? followOwner(entry, changed, renamed) : undefined;
      const text = renameMentions(entry.text, renamed);
      if (owner !== undefined || text !== entry.text) revisions.push({ ...entry, revision: entry.revision + 1, text, ...(owner !== undefined ? { owner } : {}) });
    }
    const summary = lastSummary(journal.records);
    const points = summary?.points.map((p) => ({ ...p, text: renameMentions(p.text, renamed) }));
    const summaryRevision: SummaryRecord | undefined = summary && points!.some((p, i) => p.text !== summary.points[i].text)
      ? { ...summary, at: new Date().toISOString(), points: points! } : undefined;
    // The parts' notes too (the settle of v10 composes from them when the meeting is finalized later).
    const parts = renamed ? partNotesRenamed(journal.records, (text) => renameMentions(text, renamed)) : [];
    const appending = await Journal.reopen(journalPath);
    try {
      await appending.append(relabel.record);
      for (const r of revisions) await appending.append(r);
      if (summaryRevision) await appending.append(summaryRevision);
      for (const r of parts) await appending.append(r);
    } finally {
      await appending.close();
    }
    const updated = await readJournal(journalPath);
    if (notesPath && journal.header.mode !== 'dictation') {
      try {
        await writeNotesFile(notesPath, (current) => renderNotes(updated, current));
        written?.(notesPath);
      } catch (e) {
        throw new Error(`The rename is in the journal, but the notes file ${notesPath} could not be rewritten: ${(e as Error).message}`);
      }
    }
    const ids = new Set(changed.keys());
    return {
      result: { speaker, segments: ids.size },
      segments: segmentsOf(updated.records).filter((s) => ids.has(s.segmentId)),
      items: revisions.flatMap((r) => (r.type === 'actionItem' ? [(({ type: _t, ...item }) => ({ sessionId, ...item }))(r)] : [])),
      decisions: revisions.flatMap((r) => (r.type === 'decision' ? [(({ type: _t, ...d }) => ({ sessionId, ...d }))(r)] : [])),
    };
  });
}

