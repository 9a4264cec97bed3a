/**
 * The audio sources view: #sources, a row a live source (microphone first) with its level meter, its capture state,
 * its pause switch, and when capture failed or stalled the problem with Retry now and Choose device…. Owns the list
 * of sources the extension last sent. The session itself is the session view's: it is passed in, never kept here.
 */
import type { PanelSession, PanelSource } from '../../protocol/panel';
import type { LiveSourceKind } from '../../protocol/protocol';
import { icon, IconName, setIcon } from '../icons.js';
import { byId, el } from './dom.js';
import { post } from './messages.js';

const sourcesSection = byId('sources');

let sources: PanelSource[] = [];

const SOURCE_NAMES: Record<LiveSourceKind, string> = { mic: 'Microphone', system: 'System audio' };
const SOURCE_ICONS: Record<LiveSourceKind, [IconName, IconName]> = { mic: ['mic', 'micOff'], system: ['desktop', 'desktopOff'] };
const CAPTURE_LABELS: Record<PanelSource['state'], string> = {
  starting: 'starting…', capturing: 'recording', stalled: 'no audio arriving', failed: 'stopped — retrying', retrying: 'retrying…',
  paused: 'paused', stopped: 'stopped',
};
/** The meter's range: below −60 dBFS is silence for a meter, 0 dBFS is full scale. */
const METER_FLOOR_DB = -60;

const isSourcePaused = (session: PanelSession | null, source: LiveSourceKind, state?: PanelSource['state']) =>
  !!session?.paused.includes(source) || state === 'paused';

/** The sources the extension last sent. */
export function setSources(next: PanelSource[]): void {
  sources = next;
}

/** Drops the rows (a snapshot: they are built again by the next render). */
export function clearSourceRows(): void {
  sourcesSection.replaceChildren();
}

export const sourceCount = () => sources.length;

/** Every live source of the session is paused (the pause button then resumes). */
export function sessionPaused(session: PanelSession | null): boolean {
  if (!session || session.state !== 'streaming' || session.paused.length === 0) return false;
  return sources.length === 0 || sources.every((s) => isSourcePaused(session, s.source, s.state));
}

/** The rows, from the sources and the session (`running`: the session has not ended; the rows show only then). */
export function renderSources(session: PanelSession | null, running: boolean): void {
  sourcesSection.hidden = sources.length === 0 || !running;
  for (const s of sources) {
    let row = sourcesSection.querySelector<HTMLDivElement>(`.source[data-source="${s.source}"]`);
    if (!row) row = buildSourceRow(s.source);
    const paused = isSourcePaused(session, s.source, s.state);
    const problem = s.state === 'failed' || s.state === 'stalled';
    row.dataset.state = s.state;
    row.dataset.paused = String(paused);
    row.classList.toggle('problem', problem);
    setIcon(row.querySelector('.source-icon')!, SOURCE_ICONS[s.source][paused ? 1 : 0]);
    const level = paused || s.rmsDbfs === null ? METER_FLOOR_DB : Math.max(METER_FLOOR_DB, Math.min(0, s.rmsDbfs));
    const meter = row.querySelector<HTMLDivElement>('.level')!;
    meter.setAttribute('aria-valuenow', String(Math.round(level)));
    meter.setAttribute('aria-valuetext', s.rmsDbfs === null || paused ? 'no level' : `${Math.round(s.rmsDbfs)} dBFS`);
    meter.title = s.rmsDbfs === null || paused ? 'no level yet' : `${Math.round(s.rmsDbfs)} dBFS`;
    const fraction = (level - METER_FLOOR_DB) / -METER_FLOOR_DB;
    // CSSOM (allowed by the CSP, unlike style attributes in markup): a transform, so the meter never causes layout.
    meter.querySelector<HTMLDivElement>('.level-fill')!.style.transform = `scaleX(${fraction.toFixed(3)})`;
    meter.classList.toggle('hot', level > -6);
    row.querySelector('.capture')!.textContent = CAPTURE_LABELS[s.state];
    const toggle = row.querySelector<HTMLButtonElement>('.source-toggle')!;
    toggle.setAttribute('aria-checked', String(!paused));
    toggle.title = paused ? `Resume the ${SOURCE_NAMES[s.source].toLowerCase()}` : `Pause the ${SOURCE_NAMES[s.source].toLowerCase()}`;
    toggle.disabled = session?.state !== 'streaming';
    setIcon(toggle, paused ? 'play' : 'pause');
    const problemBox = row.querySelector<HTMLDivElement>('.source-problem')!;
    problemBox.hidden = !problem;
    problemBox.querySelector('.message')!.textContent = problem ? (s.message ?? (s.state === 'stalled' ? 'No audio is arriving.' : 'Capture stopped; Earshot keeps retrying.')) : '';
  }
}

function buildSourceRow(source: LiveSourceKind): HTMLDivElement {
  const row = el('div', 'source');
  row.dataset.source = source;
  const meter = el('div', 'level');
  meter.setAttribute('role', 'meter');
  meter.setAttribute('aria-label', `${SOURCE_NAMES[source]} input level`);
  meter.setAttribute('aria-valuemin', String(METER_FLOOR_DB));
  meter.setAttribute('aria-valuemax', '0');
  meter.append(el('div', 'level-fill'));
  const toggle = el('button', 'source-toggle icon-button');
  toggle.type = 'button';
  toggle.setAttribute('role', 'switch');
  toggle.setAttribute('aria-label', SOURCE_NAMES[source]);
  toggle.dataset.source = source;
  toggle.addEventListener('click', () => {
    const paused = toggle.getAttribute('aria-checked') === 'true';
    post({ type: 'toggleSource', source, paused });
  });
  const problem = el('div', 'source-problem');
  problem.hidden = true;
  const retry = el('button', 'text-button', 'Retry now');
  retry.type = 'button';
  retry.dataset.recovery = 'retry';
  retry.dataset.source = source;
  retry.addEventListener('click', () => post({ type: 'retrySource', source }));
  const choose = el('button', 'text-button', 'Choose device…');
  choose.type = 'button';
  choose.dataset.command = source === 'mic' ? 'chooseMicrophone' : 'chooseSystemAudioSource';
  choose.addEventListener('click', () => post({ type: 'command', command: source === 'mic' ? 'chooseMicrophone' : 'chooseSystemAudioSource' }));
  const warning = el('span', 'problem-icon');
  warning.append(icon('warning'));
  problem.append(warning, el('span', 'message'), el('span', 'problem-actions'));
  problem.querySelector('.problem-actions')!.append(retry, choose);
  const iconBox = el('span', 'source-icon');
  iconBox.setAttribute('aria-hidden', 'true');
  row.append(iconBox, el('span', 'name', SOURCE_NAMES[source]), meter, el('span', 'capture'), toggle, problem);
  // Microphone first, whatever order the statuses arrive in.
  const after = source === 'mic' ? sourcesSection.querySelector('.source[data-source="system"]') : null;
  sourcesSection.insertBefore(row, after);
  return row;
}
