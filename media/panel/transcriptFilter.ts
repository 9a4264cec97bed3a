/**
 * The transcript's filter: #search (typing filters after 80 ms, Enter at once, Escape clears; Ctrl/Cmd+F or "/"
 * anywhere focuses it) and #speaker-filter (an option a speaker, as they first speak). Applying it recomputes the view
 * in transcriptState.ts and asks the list to render; it does not touch rows.
 */
import { searchPattern } from '../textRuns.js';
import { byId, el } from './dom.js';
import { filterAfter, SpeakerTally } from './speakerTally.js';
import { scheduleRender, scrollToFirstUnlessLive } from './transcriptList.js';
import { passes, transcript } from './transcriptState.js';

const searchBox = byId<HTMLInputElement>('search');
const speakerFilter = byId<HTMLSelectElement>('speaker-filter');
const speakers = new SpeakerTally();

export function applyFilter(): void {
  transcript.pattern = searchPattern(searchBox.value);
  transcript.speaker = speakerFilter.value;
  transcript.filterKey = `${searchBox.value.trim()}\u0000${transcript.speaker}`;
  transcript.view = transcript.lines.filter(passes);
  transcript.layout.reset(transcript.view.map((l) => l.segment.segmentId));
  transcript.unseen = 0;
  scrollToFirstUnlessLive();
  scheduleRender();
}

/**
 * A line names `now` (a line added), or `now` instead of `was` (a line relabelled or renamed), or no longer `was` (a line
 * removed): a speaker's option comes with their first line and goes with their last, and a filter on a speaker whose
 * last line took another name follows that name.
 */
export function speakerOfLine(now: string | undefined, was?: string): void {
  const change = speakers.count(now, was);
  if (change.added) speakerFilter.append(Object.assign(el('option', '', change.added), { value: change.added }));
  if (!change.removed) return;
  const filtered = transcript.speaker;
  for (const option of [...speakerFilter.options]) if (option.value === change.removed) option.remove();
  const next = filterAfter(filtered, change, was !== undefined ? now : undefined);
  if (next !== filtered) {
    speakerFilter.value = next;
    applyFilter();
  }
}

/** Back to no speakers but "All speakers" (the transcript was cleared). */
export function resetSpeakers(): void {
  speakers.clear();
  speakerFilter.replaceChildren(Object.assign(el('option', '', 'All speakers'), { value: '' }));
}

let filterTimer: number | undefined;
searchBox.addEventListener('input', () => {
  window.clearTimeout(filterTimer);
  filterTimer = window.setTimeout(applyFilter, 80);
});
searchBox.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && searchBox.value) {
    e.preventDefault();
    e.stopPropagation();
    searchBox.value = '';
    applyFilter();
  } else if (e.key === 'Enter') {
    e.preventDefault();
    window.clearTimeout(filterTimer);
    applyFilter();
  }
});
speakerFilter.addEventListener('change', applyFilter);

document.addEventListener('keydown', (e) => {
  const inField = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.target instanceof HTMLTextAreaElement;
  if ((e.key === 'f' && (e.ctrlKey || e.metaKey) && !e.altKey) || (e.key === '/' && !inField && !e.ctrlKey && !e.metaKey)) {
    e.preventDefault();
    searchBox.focus();
    searchBox.select();
  }
});
