/**
 * A journal (and its notes file, when there is one) as memory indexes it: the meeting's names and times, its final
 * segments, the latest revision of each action item and decision, and where each segment and item is in the notes.
 *
 * Owns reading the notes file's lines back (`- **[mm:ss] Speaker:** text` transcript lines, `<!-- earshot:ID -->`
 * item comments, as documents/markdown.ts writes them). Must not write anything.
 */
import { ActionItem, Decision } from '../../protocol/protocol';
import { commentId, inline } from '../documents/notesText';
import { currentItems, JournalContents, segmentsOf } from '../journal/journal';
import { sessionModeOf } from '../journal/recovery';
import { MeetingRecord } from './memoryIndex';

export function meetingRecordOf(journal: JournalContents, notesText?: string): MeetingRecord {
  const { header, records } = journal;
  const end = records.find((r): r is Extract<typeof r, { type: 'end' }> => r.type === 'end');
  const segments = segmentsOf(records).map((s) => ({ segmentId: s.segmentId, speaker: s.speaker, t0: s.t0, t1: s.t1, text: s.text }));
  const { actionItems, decisions } = currentItems(records);
  const sessionId = header.sessionId;
  const record: MeetingRecord = {
    meeting: { sessionId, title: header.title, startedAt: header.startedAt, notesPath: header.notesPath ?? '', durationSec: end ? end.capturedSec : null },
    dictation: sessionModeOf(header) === 'dictation',
    segments,
    actionItems: actionItems.map(({ type: _t, ...i }): ActionItem => ({ ...i, sessionId })),
    decisions: decisions.map(({ type: _t, ...d }): Decision => ({ ...d, sessionId })),
  };
  if (notesText !== undefined) Object.assign(record, notesLinesOf(notesText, record));
  return record;
}

/**
 * Where the notes file shows each segment and item (1-based lines). The Transcript section lists the final segments
 * in order, one `- **[` line each; an action item carries its id in a comment; a decision is found by its text.
 * A file the user changed so that the transcript lines no longer match the segments gives no segment lines.
 */
export function notesLinesOf(notesText: string, record: Pick<MeetingRecord, 'segments' | 'actionItems' | 'decisions'>): Pick<MeetingRecord, 'segmentNotesLines' | 'itemNotesLines'> {
  const lines = notesText.split(/\r?\n/);
  const transcriptAt = lines.findIndex((l) => l.trim() === '## Transcript');
  const segmentLines: number[] = [];
  if (transcriptAt >= 0) {
    for (let i = transcriptAt + 1; i < lines.length; i++) {
      if (lines[i].startsWith('## ')) break;
      if (lines[i].startsWith('- **[')) segmentLines.push(i + 1);
    }
  }
  const itemLines = new Map<string, number>();
  const byComment = new Map<string, number>();
  lines.forEach((l, i) => {
    const m = /<!-- earshot:([\w-]+)/.exec(l);
    if (m && !byComment.has(m[1])) byComment.set(m[1], i + 1);
  });
  for (const item of record.actionItems) {
    const at = byComment.get(commentId(item.id));
    if (at) itemLines.set(item.id, at);
  }
  const decisionsAt = lines.findIndex((l) => l.trim() === '## Decisions');
  if (decisionsAt >= 0) {
    for (const d of record.decisions) {
      const words = inline(d.text);
      for (let i = decisionsAt + 1; i < lines.length && !lines[i].startsWith('## '); i++) {
        if (lines[i].startsWith('- ') && lines[i].includes(words)) {
          itemLines.set(d.id, i + 1);
          break;
        }
      }
    }
  }
  return {
    ...(segmentLines.length === record.segments.length ? { segmentNotesLines: segmentLines } : {}),
    itemNotesLines: itemLines,
  };
}
