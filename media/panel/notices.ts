/**
 * The header's passing messages: #notice (what an action did; hides itself after 3 s, or 8 s for a warning or an
 * error), #extraction (the opt-in language-model extraction at stop: "chunk k of n", then each step at stop, with Cancel
 * while it runs, then how it ended for 10 s) and the dismissible panel notes (.panel-note[data-note]: the extension says which show;
 * Dismiss hides one for good), with the first-meeting model offer's choices and download progress. Touches only those
 * elements.
 */
import type { ModelOfferChoice, PanelModelOffer, PanelNote, ToPanel } from '../../protocol/panel';
import { byId } from './dom.js';
import { post } from './messages.js';

const noticeBox = byId('notice');
let noticeTimer: number | undefined;

export function showNotice(text: string, level: 'info' | 'warning' | 'error'): void {
  noticeBox.textContent = text;
  noticeBox.dataset.level = level;
  noticeBox.hidden = false;
  window.clearTimeout(noticeTimer);
  noticeTimer = window.setTimeout(() => { noticeBox.hidden = true; }, level === 'info' ? 3000 : 8000);
}

/** The opt-in language-model extraction at stop: "chunk k of n" with a Cancel button while it runs, then how it ended. */
const extractionBox = byId('extraction');
const extractionText = extractionBox.querySelector<HTMLSpanElement>('.extraction-text')!;
const extractionCancel = extractionBox.querySelector<HTMLButtonElement>('button')!;
let extractionTimer: number | undefined;
extractionCancel.addEventListener('click', () => post({ type: 'command', command: 'cancelExtraction' }));

export function showExtraction(p: Extract<ToPanel, { type: 'extraction' }>['progress']): void {
  window.clearTimeout(extractionTimer);
  if (!p) {
    extractionBox.hidden = true;
    return;
  }
  const running = p.state === 'running';
  // After the chunks, the step at stop now running (the checks, the settle), in the daemon's fixed words.
  extractionText.textContent = running && !p.step ? `Language model: chunk ${Math.min(p.finished + 1, p.chunks)} of ${p.chunks}` : `Language model: ${p.message}`;
  extractionCancel.hidden = !running;
  extractionBox.dataset.state = p.state;
  extractionBox.hidden = false;
  if (!running) extractionTimer = window.setTimeout(() => { extractionBox.hidden = true; }, 10_000);
}

/** The dismissible notes (PanelNote): the extension says which to show; Dismiss hides one for good. */
const panelNotes = [...document.querySelectorAll<HTMLElement>('.panel-note[data-note]')];
for (const note of panelNotes) {
  note.querySelector<HTMLButtonElement>('button[data-dismiss-hint]')!.addEventListener('click', () => {
    note.hidden = true;
    post({ type: 'dismissNote', note: note.dataset.note as PanelNote });
  });
}

export function showNotes(shown: PanelNote[]): void {
  for (const note of panelNotes) note.hidden = !shown.includes(note.dataset.note as PanelNote);
}

/** The first-meeting offer (#model-offer): its download button names the size; while it downloads, how far. */
const offerBox = byId('model-offer');
const offerDownload = offerBox.querySelector<HTMLButtonElement>('button[data-offer="download"]')!;
const offerDetail = offerBox.querySelector<HTMLSpanElement>('.model-offer-detail')!;
for (const button of offerBox.querySelectorAll<HTMLButtonElement>('button[data-offer]')) {
  button.addEventListener('click', () => post({ type: 'modelOffer', choice: button.dataset.offer as ModelOfferChoice }));
}

export function showModelOffer(offer: PanelModelOffer | null | undefined): void {
  offerDownload.textContent = offer?.label ?? 'Download the local model';
  offerDownload.title = offer ? `${offer.name} (${offer.licence}): writes the notes on this machine; nothing is sent anywhere` : '';
  const download = offer?.download;
  offerDownload.disabled = !!download;
  offerDetail.hidden = !download;
  offerDetail.textContent = !download ? '' : download.fraction === null ? `Checking ${offer!.name}…` : `Downloading ${offer!.name}: ${Math.floor(download.fraction * 100)}%`;
}
