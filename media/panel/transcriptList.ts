/**
 * The transcript's virtual list: puts the view's rows in and near the viewport into #transcript (at most 100), sizes
 * #spacer-top / #spacer-bottom for the rest, follows the live end or keeps the reader's line still, and shows #empty,
 * #filter-count and #jump-live. Owns the scroller's scrolling (End: live, Home: first line), the rendered rows and the
 * jump-to-live button. Reads the lines and the filter from transcriptState.ts; it never adds, removes or filters lines.
 */
import { icon } from '../icons.js';
import { byId } from './dom.js';
import { joinsPrevious } from './lineShape.js';
import { buildRow } from './transcriptRow.js';
import { transcript } from './transcriptState.js';

const scroller = byId('transcript-scroller');
const list = byId<HTMLOListElement>('transcript');
const spacerTop = byId('spacer-top');
const spacerBottom = byId('spacer-bottom');
const empty = byId('empty');
const jumpLive = byId<HTMLButtonElement>('jump-live');
const filterCount = byId('filter-count');

/** Rows in the DOM, by segment id. */
const rendered = new Map<string, { row: HTMLLIElement; version: number; filterKey: string; joined: boolean }>();

export const isRendered = (segmentId: string) => rendered.has(segmentId);

/** Takes every row out of the DOM (the transcript was cleared). */
export function removeRows(): void {
  for (const r of rendered.values()) r.row.remove();
  rendered.clear();
}

/** After the view changed under a reader who scrolled up (a new filter): back to its first line. */
export function scrollToFirstUnlessLive(): void {
  if (!transcript.follow) scroller.scrollTop = 0;
}

let renderQueued = false;
export function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

/** Programmatic scrolls, so the scroll handler does not take them for the reader leaving the live end. */
let ownScrollTop = -1;
function scrollToLive(): void {
  scroller.scrollTop = scroller.scrollHeight;
  ownScrollTop = scroller.scrollTop;
}

export function render(): void {
  const { layout, view, lines } = transcript;
  const viewport = scroller.clientHeight;
  for (let pass = 0; pass < 4; pass++) {
    const top = transcript.follow ? Math.max(0, layout.totalHeight() - viewport) : scroller.scrollTop;
    const w = layout.window(top, viewport);
    // The reader's anchor: the first row in view and how far into it they are, to keep it still as heights settle.
    const anchor = layout.indexAt(top);
    const anchorDelta = top - layout.offsetOf(anchor);
    applyWindow(w.start, w.end);
    let changed = false;
    let k = w.start;
    for (const row of list.children as HTMLCollectionOf<HTMLLIElement>) {
      changed = layout.setHeightAt(k, row.offsetHeight) || changed;
      k++;
    }
    spacerTop.style.height = `${layout.offsetOf(w.start)}px`;
    spacerBottom.style.height = `${layout.totalHeight() - layout.offsetOf(w.end)}px`;
    if (transcript.follow) scrollToLive();
    else if (changed && anchor < layout.count) {
      scroller.scrollTop = layout.offsetOf(anchor) + anchorDelta;
      ownScrollTop = scroller.scrollTop;
    }
    if (!changed) break;
  }
  const filtering = !!transcript.pattern || !!transcript.speaker;
  const unseen = transcript.unseen;
  empty.hidden = view.length > 0;
  empty.textContent = lines.length === 0
    ? 'Start meeting notes, dictate, or transcribe a file: the transcript appears here as people speak.'
    : 'No lines match the filter.';
  filterCount.textContent = filtering ? `${view.length} of ${lines.length}` : '';
  filterCount.hidden = !filtering;
  jumpLive.hidden = transcript.follow || view.length === 0;
  jumpLive.dataset.unseen = String(unseen);
  const label = jumpLive.querySelector('.label')!;
  label.textContent = unseen > 0 ? `${unseen} new` : 'Jump to live';
  jumpLive.setAttribute('aria-label', unseen > 0 ? `Jump to live (${unseen} new lines)` : 'Jump to live');
}

/** Puts rows [start, end) of the view in the DOM, reusing rows already there, in order. */
function applyWindow(start: number, end: number): void {
  const { view, filterKey } = transcript;
  const wanted = view.slice(start, end);
  const keys = new Set(wanted.map((l) => l.segment.segmentId));
  for (const [key, r] of rendered) {
    if (!keys.has(key)) {
      r.row.remove();
      rendered.delete(key);
    }
  }
  let previous: Element | null = null;
  wanted.forEach((line, i) => {
    const key = line.segment.segmentId;
    let r = rendered.get(key);
    // Joined to the row above or not follows that row's speaker and the filter, so it is part of the row's key.
    const joined = joinsPrevious(line.segment, view[start + i - 1]?.segment);
    if (!r || r.version !== line.version || r.filterKey !== filterKey || r.joined !== joined) {
      const row = buildRow(line, transcript.pattern, joined);
      if (r) r.row.replaceWith(row);
      r = { row, version: line.version, filterKey, joined };
      rendered.set(key, r);
    }
    r.row.dataset.index = String(start + i);
    r.row.setAttribute('aria-posinset', String(start + i + 1));
    r.row.setAttribute('aria-setsize', String(view.length));
    const next: Element | null = previous ? previous.nextElementSibling : list.firstElementChild;
    if (next !== r.row) list.insertBefore(r.row, next);
    previous = r.row;
  });
}

function setFollow(value: boolean): void {
  if (transcript.follow === value) return;
  transcript.follow = value;
  if (value) transcript.unseen = 0;
  scheduleRender();
}

function jumpToLive(): void {
  transcript.follow = true;
  transcript.unseen = 0;
  scheduleRender();
}

let lastScrollTop = 0;
scroller.addEventListener('scroll', () => {
  const top = scroller.scrollTop;
  const own = Math.abs(top - ownScrollTop) < 1;
  const atEnd = scroller.scrollHeight - top - scroller.clientHeight < 8;
  if (atEnd) setFollow(true);
  else if (!own && top < lastScrollTop - 1) setFollow(false);
  lastScrollTop = top;
  scheduleRender();
}, { passive: true });

scroller.addEventListener('keydown', (e) => {
  if (e.target !== scroller) return;
  if (e.key === 'End') {
    e.preventDefault();
    jumpToLive();
  } else if (e.key === 'Home') {
    e.preventDefault();
    transcript.follow = false;
    scroller.scrollTop = 0;
    scheduleRender();
  }
});

jumpLive.prepend(icon('arrowDown'));
jumpLive.addEventListener('click', () => {
  jumpToLive();
  scroller.focus({ preventScroll: true });
});

let lastWidth = 0;
new ResizeObserver(() => {
  if (scroller.clientWidth !== lastWidth) {
    lastWidth = scroller.clientWidth;
    transcript.layout.clearMeasurements(); // rows wrap differently at another width
  }
  scheduleRender();
}).observe(scroller);
