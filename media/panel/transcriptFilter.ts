/**
 * The transcript's filter: #search (typing filters after 80 ms, Enter at once, Escape clears; Ctrl/Cmd+F or "/"
 * anywhere focuses it) and #speaker-filter (an option a speaker, as they first speak). Applying it recomputes the view
 * in transcriptState.ts and asks the list to render; it does not touch rows.
 */
import { searchPattern } from '../textRuns.js';
import { byId, el } from './dom.js';
import { scheduleRender, scrollToFirstUnlessLive } from './transcriptList.js';
import { passes, transcript } from './transcriptState.js';

const searchBox = byId<HTMLInputElement>('search');
const speakerFilter = byId<HTMLSelectElement>('speaker-filter');
const speakers = new Set<string>();

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

/** A speaker's option, the first time they speak. */
export function addSpeaker(speaker: string): void {
  if (speakers.has(speaker)) return;
  speakers.add(speaker);
  speakerFilter.append(Object.assign(el('option', '', speaker), { value: speaker }));
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
