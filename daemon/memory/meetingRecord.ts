/**
 * A journal (and its notes file, when there is one) as memory indexes it: the meeting's names and times, its final
 * segments, the latest revision of each action item and decision, the last rolling summary's points, and where each
 * segment and item is in the notes.
 *
 * Owns reading the notes file's lines back (`- **[mm:ss] Speaker:** text` transcript lines, `<!-- earshot:ID -->`
 * item comments, as documents/markdown.ts writes them). Must not write anything.
 */
import { ActionItem, Decision, EditorLocation, FinalSegment, MentionTarget, SegmentMention } from '../../protocol/protocol';
import { inline } from '../../protocol/markdownText';
import { commentId, continuesTurn, transcriptLineStart } from '../documents/notesText';
import { currentItems, JournalContents, lastSummary, segmentRoots, segmentsOf } from '../journal/journal';
import { sessionModeOf } from '../journal/recovery';
import { MeetingRecord, MemorySegment } from './memoryIndex';

/** What the daemon writes as a start time (toISOString()), and any time that begins with an ISO date. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}/;

/**
 * `startedAt`: the start to give a meeting whose header has none that reads as an ISO time ('' by default: unknown).
 * A journal the daemon did not write (hand-edited, copied, another version) must not break every meeting's sorting and
 * filtering: names and times that are not strings get these fallbacks, segments and items without text are left out.
 * Throws for a header without a session id (the caller leaves that journal out).
 */
export function meetingRecordOf(journal: JournalContents, notesText?: string, startedAt = ''): MeetingRecord {
  const { header, records } = journal;
  const sessionId = header.sessionId;
  if (typeof sessionId !== 'string' || !sessionId) throw new Error('the journal header has no session id');
  const end = records.find((r): r is Extract<typeof r, { type: 'end' }> => r.type === 'end');
  const roots = segmentRoots(records);
  const finals = segmentsOf(records).filter((s) => typeof s.text === 'string');
  // A piece of a turn the early end split (issue 60) that the notes may show on its turn's line (markdown.ts).
  const mayJoin = finals.map((s, i) => continuesTurn(s, finals[i - 1]));
  const segments = finals
    .map((s): MemorySegment => ({ segmentId: s.segmentId, speaker: typeof s.speaker === 'string' ? s.speaker : '', t0: s.t0, t1: s.t1, text: s.text, ...anchorsOf(s, roots.get(s.segmentId)) }));
  const { actionItems, decisions } = currentItems(records);
  const meeting = {
    sessionId,
    title: typeof header.title === 'string' ? header.title : sessionId,
    startedAt: typeof header.startedAt === 'string' && ISO_TIME.test(header.startedAt) ? header.startedAt : startedAt,
    notesPath: typeof header.notesPath === 'string' ? header.notesPath : '',
    durationSec: typeof end?.capturedSec === 'number' ? end.capturedSec : null,
  };
  const record: MeetingRecord = {
    meeting,
    dictation: sessionModeOf(header) === 'dictation',
    segments,
    actionItems: actionItems.filter((i) => typeof i.text === 'string')
      .map(({ type: _t, ...i }): ActionItem => ({ ...i, owner: typeof i.owner === 'string' ? i.owner : null, sessionId })),
    decisions: decisions.filter((d) => typeof d.text === 'string').map(({ type: _t, ...d }): Decision => ({ ...d, sessionId })),
    summary: (lastSummary(records)?.points ?? []).filter((p) => typeof p?.text === 'string')
      .map((p) => ({ text: p.text, segmentIds: Array.isArray(p.segmentIds) ? p.segmentIds.filter((id) => typeof id === 'string') : [] })),
  };
  if (notesText !== undefined) Object.assign(record, notesLinesOf(notesText, record, mayJoin));
  return record;
}

/**
 * A segment's mentions and viewing place, when the journal has well-formed ones, and their root. Malformed ones (a
 * journal the daemon did not write) are left out, as a mention `linkify` could not place is.
 */
function anchorsOf(s: FinalSegment, root: string | undefined): Pick<MemorySegment, 'mentions' | 'viewing' | 'root'> {
  const mentions = Array.isArray(s.mentions)
    ? s.mentions.filter((m): m is SegmentMention => Number.isInteger(m?.start) && Number.isInteger(m.end) && isTarget(m.target))
      .map((m) => ({ start: m.start, end: m.end, target: targetOf(m.target) }))
    : [];
  const v = s.viewing;
  const viewing: EditorLocation | undefined = v && typeof v.path === 'string' && v.path && Number.isInteger(v.startLine) && Number.isInteger(v.endLine)
    ? { path: v.path, startLine: v.startLine, endLine: v.endLine } : undefined;
  if (!mentions.length && !viewing) return {};
  return { ...(mentions.length ? { mentions } : {}), ...(viewing ? { viewing } : {}), ...(root !== undefined ? { root } : {}) };
}

function isTarget(t: unknown): t is MentionTarget {
  const target = t as MentionTarget | undefined;
  return (target?.kind === 'file' || target?.kind === 'symbol') && typeof target.path === 'string' && target.path !== '';
}

/** The target's own fields (a symbol's line and name only when they are what the protocol says). */
function targetOf(t: MentionTarget): MentionTarget {
  if (t.kind === 'file') return { kind: 'file', path: t.path };
  return { kind: 'symbol', path: t.path, ...(Number.isInteger(t.line) ? { line: t.line } : {}), ...(typeof t.name === 'string' ? { name: t.name } : {}) };
}

/**
 * Where the notes file shows each segment and item (1-based lines). The Transcript section lists the final segments
 * in order, one `- **[time] Speaker:**` line each, except that a piece of a turn the early end split (`mayJoin[i]`:
 * it continues the segment before, same speaker) is added to its turn's line unless something came between (markdown.ts):
 * such a piece is on its turn's line when the next transcript line is not its own. An action item carries its id in a
 * comment; a decision is found by its text. A file the user changed so that the transcript lines no longer match the
 * segments gives no segment lines.
 */
export function notesLinesOf(notesText: string, record: Pick<MeetingRecord, 'segments' | 'actionItems' | 'decisions'>,
  mayJoin: readonly boolean[] = []): Pick<MeetingRecord, 'segmentNotesLines' | 'itemNotesLines'> {
  const lines = notesText.split(/\r?\n/);
  const transcriptAt = lines.findIndex((l) => l.trim() === '## Transcript');
  const entries: number[] = [];
  if (transcriptAt >= 0) {
    for (let i = transcriptAt + 1; i < lines.length; i++) {
      if (lines[i].startsWith('## ')) break;
      if (lines[i].startsWith('- **[')) entries.push(i);
    }
  }
  const segmentLines: number[] = [];
  let next = 0;
  for (const [i, s] of record.segments.entries()) {
    const own = next < entries.length && lines[entries[next]].startsWith(transcriptLineStart(s.t0, s.speaker));
    if (mayJoin[i] && !own && segmentLines.length) {
      segmentLines.push(segmentLines[segmentLines.length - 1]);
    } else if (next < entries.length) {
      segmentLines.push(entries[next++] + 1);
    } else {
      break;
    }
  }
  if (next !== entries.length) segmentLines.length = 0; // lines the segments do not account for: the file was changed
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
    // Decisions said in the same words each take their own line (in meeting order, as the notes list them), not all the first.
    const taken = new Set<number>();
    for (const d of [...record.decisions].sort((a, b) => a.t0 - b.t0)) {
      const words = inline(d.text);
      for (let i = decisionsAt + 1; i < lines.length && !lines[i].startsWith('## '); i++) {
        if (!taken.has(i) && lines[i].startsWith('- ') && lines[i].includes(words)) {
          itemLines.set(d.id, i + 1);
          taken.add(i);
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
