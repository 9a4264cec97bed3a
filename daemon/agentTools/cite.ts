/**
 * How the agents' tools name a meeting and cite a line in their text and data, as `earshot ask` does (file, 1-based
 * line, time, speaker), with where the notes show it.
 */
import { AgentCitedLine } from '../../protocol/agentTools';
import { plainLine } from '../../protocol/plainText';
import { MemoryLine, MemoryMeeting } from '../../protocol/protocol';
import { clock } from '../../protocol/markdownText';
import { MeetingFile } from '../memory/askSearch';
import { MeetingRecord, startDay } from '../memory/memoryIndex';

/** A meeting as a tool names it in text: its title and day, and its session id (what the tools take back). */
export function meetingHeading(m: MemoryMeeting): string {
  const day = m.startedAt ? ` (${startDay(m.startedAt)})` : '';
  return `${plainLine(m.title)}${day}, session ${plainLine(m.sessionId)}`;
}

/** `line 12, 03:04` (a journal's or transcript's line, and its time when it has one). */
export function citedWhere(c: { file?: string; line: number; t0: number | null; notesLine?: number }): string {
  return `${c.file ? 'line' : 'segment'} ${c.line}${c.notesLine ? ` (notes line ${c.notesLine})` : ''},${c.t0 === null ? '' : ` ${clock(c.t0)}`}`;
}

/** The meeting's segment `i` (0-based) cited as `ask --json` would cite it. */
export function lineAt(record: Readonly<MeetingRecord>, i: number, files: ReadonlyMap<string, MeetingFile>): AgentCitedLine {
  const s = record.segments[i];
  const m = record.meeting;
  const where = files.get(m.sessionId);
  const memoryLine: MemoryLine = { segmentId: s.segmentId, index: i + 1, speaker: s.speaker, t0: s.t0, t1: s.t1, text: s.text, hit: false };
  const notesLine = record.segmentNotesLines?.[i];
  return {
    meeting: { sessionId: m.sessionId, title: m.title, startedAt: m.startedAt }, ...(where ? { file: where.file } : {}),
    line: where ? where.lineOf(memoryLine) : i + 1, t0: where && !where.timed ? null : s.t0, speaker: s.speaker, text: s.text,
    ...(notesLine && m.notesPath ? { notesPath: m.notesPath, notesLine } : {}),
  };
}
