/**
 * Naming a voice of a session that is not running (earshot/speakers/rename after the meeting): the speakers are
 * rebuilt from the journal (speakers/labels.ts), the rename is appended as a `speakers` record with the action items
 * whose owner follows it, and the notes file is rewritten. The running session renames through session/speakers.ts.
 */
import { ActionItem, FinalSegment, SpeakerRenameParams, SpeakerRenameResult } from '../../protocol/protocol';
import { ActionItemRecord, Journal, JournalContents, readJournal, segmentsOf, SessionHeader } from '../journal/journal';
import { followOwner, sourceVoices, SpeakerBook } from '../speakers/labels';
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
  /** The finals relabelled, and the item revisions, as journaled (to announce). */
  segments: FinalSegment[];
  items: ActionItem[];
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
    const renamed = from === undefined ? undefined : { from, to: speaker };
    const revisions: ActionItemRecord[] = [];
    for (const item of latestActionItems(journal.records).values()) {
      const owner = followOwner(item, changed, renamed);
      if (owner !== undefined) revisions.push({ ...item, revision: item.revision + 1, owner });
    }
    const appending = await Journal.reopen(journalPath);
    try {
      await appending.append(relabel.record);
      for (const r of revisions) await appending.append(r);
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
      items: revisions.map(({ type: _t, ...item }) => ({ sessionId, ...item })),
    };
  });
}
