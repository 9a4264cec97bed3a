/**
 * The transcript's data, shared by its modules (transcript.ts changes the lines, transcriptFilter.ts the filter,
 * transcriptList.ts shows them): every line in arrival order, the lines that pass the filter (the view), the virtual
 * list's row layout, the filter itself, and whether the reader follows the live end. Plain data: no element, no
 * event, no rendering.
 */
import type { PanelSegment } from '../../protocol/panel';
import { matchesQuery } from '../textRuns.js';
import { lowerBound, RowLayout } from '../virtualList.js';

export interface Line {
  /** Arrival order: the view is sorted by it. */
  seq: number;
  segment: PanelSegment;
  /** Bumped on every change, so a rendered row knows it is stale. */
  version: number;
  /** Show "while viewing …": the segment has a location different from the previous final line's. */
  showViewing: boolean;
}

export const transcript = {
  lines: [] as Line[],
  linesById: new Map<string, Line>(),
  /** The lines that pass the filter, in arrival order: what the virtual list shows. */
  view: [] as Line[],
  layout: new RowLayout({ estimate: 40, overscan: 400, maxRows: 100 }),
  /** The search (null: none), the speaker shown ('' = all), and both as one key (a row built under another is stale). */
  pattern: null as RegExp | null,
  speaker: '',
  filterKey: '',
  /** Keep the newest line in view (the reader is at the live end). */
  follow: true,
  /** Lines added to the view since the reader left the live end. */
  unseen: 0,
};

export const passes = (line: Line) => (!transcript.speaker || line.segment.speaker === transcript.speaker) && matchesQuery(line.segment.text, transcript.pattern);
export const seqIndex = (arr: Line[], seq: number) => lowerBound(arr.length, (i) => arr[i].seq, seq);
