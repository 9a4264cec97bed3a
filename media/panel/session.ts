/**
 * The session view: the state label (#state), the elapsed clock (#elapsed), the toolbar's buttons (#start, #dictate,
 * #file, #pause, #stop: enabled, pressed and labelled from the session), the session's error banner (#error), the
 * body's data-state/-mode/-paused/-error/-has-notes, and whether the notes section shows (not while dictating). Owns
 * the session the extension last sent; the sources are the sources view's, asked through its functions. The
 * buttons' clicks are wired once for every button[data-command] in media/panel.ts.
 */
import type { PanelSession } from '../../protocol/panel';
import { setIcon } from '../icons.js';
import { byId, clock, setLabel } from './dom.js';
import { renderSources, sessionPaused, sourceCount } from './sources.js';

const stateLabel = byId('state');
const elapsedLabel = byId('elapsed');
const errorBox = byId('error');
const buttons = {
  start: byId<HTMLButtonElement>('start'),
  dictate: byId<HTMLButtonElement>('dictate'),
  file: byId<HTMLButtonElement>('file'),
  pause: byId<HTMLButtonElement>('pause'),
  stop: byId<HTMLButtonElement>('stop'),
};
const notesSection = byId('notes');
const speakersNote = byId('speakers-note');
const speakersDownload = byId<HTMLButtonElement>('speakers-download');

let session: PanelSession | null = null;
let elapsedTimer: number | undefined;

const STATE_LABELS: Record<PanelSession['state'], string> = {
  idle: 'Starting…', streaming: 'Listening', stopping: 'Stopping…', finalizing: 'Writing notes…', done: 'Done',
};

const isRunning = (s: PanelSession | null) => !!s && s.state !== 'done';

export function showSession(next: PanelSession | null): void {
  const restartTimer = next?.state !== session?.state || next?.startedAt !== session?.startedAt;
  session = next;
  if (restartTimer) {
    window.clearInterval(elapsedTimer);
    elapsedTimer = undefined;
    elapsedLabel.hidden = !isRunning(next);
    if (isRunning(next) && next) {
      const tick = () => { elapsedLabel.textContent = clock((Date.now() - Date.parse(next.startedAt)) / 1000); };
      tick();
      elapsedTimer = window.setInterval(tick, 1000);
    }
  }
  updateControls();
}

/** The state label, the toolbar's buttons and the source rows, from the session and its sources. */
export function updateControls(): void {
  const next = session;
  const paused = sessionPaused(next);
  const dictation = next?.mode === 'dictation';
  let label = next ? STATE_LABELS[next.state] : 'No session';
  if (next?.state === 'streaming') label = dictation ? (paused ? 'Dictation paused' : 'Dictating') : paused ? 'Paused' : 'Listening';
  stateLabel.textContent = next ? `${label} — ${next.title}` : label;
  document.body.dataset.state = next?.state ?? 'none';
  document.body.dataset.mode = next?.mode ?? 'meeting';
  document.body.dataset.paused = String(paused);
  document.body.dataset.error = String(!!next?.error);
  document.body.dataset.hasNotes = String(next?.hasNotes ?? true);

  const running = isRunning(next);
  const streaming = next?.state === 'streaming';
  const live = streaming && (sourceCount() > 0 || dictation || next.paused.length > 0);
  buttons.start.disabled = running;
  buttons.file.disabled = running;
  buttons.dictate.disabled = running && !(dictation && streaming);
  buttons.dictate.setAttribute('aria-pressed', String(dictation && streaming));
  setLabel(buttons.dictate, dictation && streaming ? 'Stop dictation' : 'Start dictation');
  buttons.stop.disabled = !streaming;
  buttons.pause.disabled = !live;
  buttons.pause.dataset.command = paused ? 'resume' : 'pause';
  buttons.pause.setAttribute('aria-pressed', String(paused));
  setLabel(buttons.pause, paused ? 'Resume recording' : 'Pause recording');
  setIcon(buttons.pause, paused ? 'play' : 'pause');

  errorBox.hidden = !next?.error;
  errorBox.querySelector('.message')!.textContent = next?.error ?? '';
  notesSection.hidden = dictation;
  // Linked by overlap only is said plainly, with what would do better; off and full voices need no note.
  const speakers = next?.speakers;
  speakersNote.hidden = !speakers || speakers.mode !== 'overlap' || !running;
  speakersNote.querySelector('.panel-note-text')!.textContent = speakers?.message ?? '';
  speakersDownload.hidden = speakers?.mode !== 'overlap';
  renderSources(next, running);
}
