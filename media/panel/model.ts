/**
 * The speech model view: #model (data-state ready|loading|downloading|verifying|error|unknown), #model-label, the
 * #model-progress bar and the #model-download button (shown when the model failed; its click is wired with every
 * button[data-command] in media/panel.ts). Shows what the extension sends; keeps no state and touches nothing else.
 */
import type { PanelModel } from '../../protocol/panel';
import { setIcon } from '../icons.js';
import { byId } from './dom.js';

const modelSection = byId('model');
const modelLabel = byId('model-label');
const modelProgress = byId('model-progress');
const modelDownload = byId<HTMLButtonElement>('model-download');

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;

export function showModel(model: PanelModel | null): void {
  modelSection.hidden = !model;
  if (!model) return;
  const name = model.name ?? 'speech model';
  let state: string;
  let text: string;
  const p = model.progress;
  if (p) {
    state = p.phase === 'download' ? 'downloading' : p.phase === 'verify' ? 'verifying' : 'loading';
    const verb = p.phase === 'download' ? 'Downloading' : p.phase === 'verify' ? 'Checking' : 'Loading';
    const pct = p.fraction === null ? '…' : ` ${Math.round(p.fraction * 100)}%`;
    const sizes = p.bytes !== undefined && p.totalBytes ? ` · ${mb(p.bytes)} of ${mb(p.totalBytes)}` : '';
    text = `${verb} ${name}${pct}${sizes}`;
  } else if (model.error || model.state === 'error') {
    state = 'error';
    text = `Model ${name}: ${model.error ?? 'failed to load'}`;
  } else if (model.state === 'loading' || model.state === 'warming_up') {
    state = 'loading';
    text = `${model.state === 'loading' ? 'Loading' : 'Warming up'} ${name}…`;
  } else if (model.state === 'ready') {
    state = 'ready';
    text = `Model ${name} ready`;
  } else {
    state = 'unknown';
    text = model.state === 'uninitialized' ? `Model ${name} not loaded yet` : `Model ${name}`;
  }
  modelSection.dataset.state = state;
  modelLabel.textContent = text;
  setIcon(modelSection.querySelector('.model-icon')!, state === 'error' ? 'warning' : state === 'downloading' ? 'download' : 'model');
  const busy = state === 'downloading' || state === 'verifying' || state === 'loading';
  modelProgress.hidden = !busy;
  const fraction = p?.fraction ?? null;
  modelProgress.classList.toggle('indeterminate', busy && fraction === null);
  modelProgress.setAttribute('aria-label', text);
  if (busy && fraction !== null) modelProgress.setAttribute('aria-valuenow', String(Math.round(fraction * 100)));
  else modelProgress.removeAttribute('aria-valuenow');
  modelProgress.querySelector<HTMLDivElement>('.progress-fill')!.style.transform = fraction === null ? '' : `scaleX(${Math.max(0, Math.min(1, fraction)).toFixed(3)})`;
  modelDownload.hidden = state !== 'error';
}
