/**
 * The transcript's lines: a segment from the extension adds, replaces or (an empty final) removes a line, keeping the
 * view (the lines that pass the filter) and the row layout in step; a snapshot clears them all. New final lines are
 * announced to screen readers in #announcer (never partials). Changes the data in transcriptState.ts and asks the list
 * to render; rows are transcriptList.ts's, the filter's controls transcriptFilter.ts's.
 */
import type { PanelSegment } from '../../protocol/panel';
import { byId, el } from './dom.js';
import { resetSpeakers, speakerOfLine } from './transcriptFilter.js';
import { isRendered, removeRows, scheduleRender } from './transcriptList.js';
import { Line, passes, seqIndex, transcript } from './transcriptState.js';

const announcer = byId('announcer');

let nextSeq = 0;

function sameLocation(a: PanelSegment['viewing'], b: PanelSegment['viewing']): boolean {
  return !!a && !!b && a.path === b.path && a.startLine === b.startLine && a.endLine === b.endLine;
}

/** Adds, replaces or (an empty final) removes a line. `live`: a new final is announced to screen readers. */
export function upsertSegment(segment: PanelSegment, live: boolean): void {
  const { lines, linesById, layout } = transcript;
  const existing = linesById.get(segment.segmentId);
  if (segment.final && !segment.text) {
    if (existing) removeLine(existing);
    return;
  }
  const becameFinal = segment.final && !existing?.segment.final;
  let line: Line;
  const speakerBefore = existing?.segment.speaker;
  if (!existing) {
    line = { seq: nextSeq++, segment, version: 0, showViewing: false };
    lines.push(line);
    linesById.set(segment.segmentId, line);
    if (passes(line)) {
      transcript.view.push(line);
      layout.append(segment.segmentId);
      if (!transcript.follow) transcript.unseen++;
    }
  } else {
    line = existing;
    const was = passes(line);
    line.segment = segment;
    line.version++;
    const now = passes(line);
    if (was !== now) {
      const at = seqIndex(transcript.view, line.seq);
      if (now) {
        transcript.view.splice(at, 0, line);
        layout.insert(at, segment.segmentId);
      } else {
        transcript.view.splice(at, 1);
        layout.remove(at);
      }
    } else if (!isRendered(segment.segmentId)) {
      layout.forget(segment.segmentId); // its height changed with its text; measured again when it is rendered
    }
  }
  if (becameFinal) {
    const k = seqIndex(lines, line.seq);
    let previous: Line | undefined;
    for (let j = k - 1; j >= 0 && !previous; j--) if (lines[j].segment.final) previous = lines[j];
    line.showViewing = !!segment.viewing && !sameLocation(segment.viewing, previous?.segment.viewing);
    if (live) announce(`${segment.speaker}: ${segment.text}`);
  }
  speakerOfLine(segment.speaker, speakerBefore);
  scheduleRender();
}

function removeLine(line: Line): void {
  const { lines, view, layout } = transcript;
  lines.splice(seqIndex(lines, line.seq), 1);
  transcript.linesById.delete(line.segment.segmentId);
  const at = seqIndex(view, line.seq);
  if (view[at] === line) {
    view.splice(at, 1);
    layout.remove(at);
  }
  layout.forget(line.segment.segmentId);
  speakerOfLine(undefined, line.segment.speaker);
  scheduleRender();
}

export function clearTranscript(): void {
  transcript.lines.length = 0;
  transcript.linesById.clear();
  transcript.view = [];
  transcript.layout.reset([]);
  transcript.layout.clearMeasurements();
  removeRows();
  resetSpeakers();
  transcript.speaker = '';
  transcript.follow = true;
  transcript.unseen = 0;
  announcer.replaceChildren();
}

/** New finals for screen readers: a polite live region that only ever gets finals (partials would flood it). */
function announce(text: string): void {
  announcer.append(el('p', '', text));
  while (announcer.childElementCount > 3) announcer.firstElementChild!.remove();
}
