/**
 * Issue 60: a turn the early end split (SegmenterOptions.earlyEndMs) is one line in the notes again: a segment that
 * `continues` the line before it, said by the same speaker, joins that line.
 */
import * as assert from 'node:assert/strict';
import { JournalContents, JournalRecord, SessionHeader } from '../../daemon/journal/journal';
import { renderNotes } from '../../daemon/documents/markdown';

const HEADER: SessionHeader = {
  type: 'session', version: 1, sessionId: 's-60', title: 'Edges', startedAt: '2026-11-27T09:00:00.000Z', sources: ['mic', 'system'], language: 'en',
  notesPath: '/notes/edges.md',
};
type Segment = Extract<JournalRecord, { type: 'segment' }>;
const seg = (segmentId: string, speaker: string, t0: number, text: string, continues?: string): Segment =>
  ({ type: 'segment', segmentId, source: segmentId.startsWith('mic') ? 'mic' : 'system', speaker, t0, t1: t0 + 1, text, ...(continues ? { continues } : {}) });
const transcript = (segments: Segment[]): string[] => {
  const journal: JournalContents = { header: HEADER, records: [HEADER, ...segments], tornTail: false };
  const notes = renderNotes(journal);
  return notes.slice(notes.indexOf('## Transcript')).split('\n').filter((l) => l.startsWith('- **'));
};

describe('notes: a turn split by the early end is one line (issue 60)', () => {
  it('joins a segment that continues the line before it, same speaker', () => {
    assert.deepEqual(transcript([
      seg('mic-1', 'You', 1, 'We ship on Monday,'), seg('mic-2', 'You', 2.5, 'if the tests pass.', 'mic-1'), seg('mic-3', 'You', 9, 'Next thing.', 'mic-2'),
    ]), ['- **[00:01] You:** We ship on Monday, if the tests pass. Next thing.']);
  });

  it('keeps lines apart when the speaker differs, when another line came between, and without `continues`', () => {
    assert.deepEqual(transcript([
      seg('system-1', 'Dana', 1, 'So,'), seg('system-2', 'Lee', 2, 'right.', 'system-1'),
      seg('mic-1', 'You', 3, 'Yes.'), seg('system-3', 'Lee', 4, 'And then.', 'system-2'), seg('mic-2', 'You', 5, 'Fine.'),
    ]), ['- **[00:01] Dana:** So,', '- **[00:02] Lee:** right.', '- **[00:03] You:** Yes.', '- **[00:04] Lee:** And then.', '- **[00:05] You:** Fine.']);
  });
});
