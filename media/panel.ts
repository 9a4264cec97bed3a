/**
 * The side panel's webview script. It renders what the extension posts (protocol/panel.ts) and nothing else. Every
 * piece of transcript text is set through textContent or text nodes, never as HTML; highlights and code links are
 * elements made with DOM APIs around those text nodes (media/textRuns.ts).
 *
 * The transcript is a virtual list (media/virtualList.ts): every line is kept as data, only the rows in and near the
 * viewport are in the DOM (at most 100), with two spacers standing in for the rest. Filtering works on the data.
 *
 * DOM hooks for tests (stable; the static skeleton is in extension/panel.ts `html()`):
 *   Session    #state (text "Listening — <title>", "Done — <title>", "Dictating — …", "Paused — …"); body[data-state],
 *              body[data-mode] ('meeting' | 'dictation'), body[data-paused] ('true' when every live source is paused),
 *              body[data-error], body[data-has-notes] ('false': no notes file, the Reveal buttons are hidden);
 *              #elapsed; #error (role=alert, the session's error); #notice (role=status, after an action)
 *   Toolbar    #start, #dictate, #file, #pause, #stop: button[data-command] (the PanelCommand it sends). #pause's
 *              data-command is 'pause' or 'resume' and its aria-pressed is 'true' while paused.
 *   Sources    #sources > .source[data-source=mic|system][data-state=<CaptureState>][data-paused]; inside: .name,
 *              .level[role=meter] (aria-valuenow in dBFS), .capture (state text), button.source-toggle[role=switch]
 *              [data-source][aria-checked] (checked = recording; click pauses/resumes that source), and when it failed
 *              .source-problem with button[data-recovery=retry][data-source] and button[data-command=chooseMicrophone |
 *              chooseSystemAudioSource]
 *   Model      #model[data-state=ready|loading|downloading|verifying|error|unknown]; #model-label (text);
 *              #model-progress[role=progressbar] (aria-valuenow 0–100, absent = indeterminate; class .indeterminate);
 *              #model-download (button[data-command=downloadModel], shown when the model is missing or failed)
 *   Transcript #transcript-scroller (focusable, End = jump to live, Home = first line); #transcript (the <ol>);
 *              rows li.line[data-segment-id][data-index][data-speaker][data-source][data-final]; a partial row has
 *              class .partial (aria-busy=true), a final row .final; inside a row: .time, .speaker, .text;
 *              code links button.mention[data-mention-index] inside .text; button.viewing-link ("while viewing
 *              src/a.ts:40–52"); search matches mark.match; #spacer-top / #spacer-bottom (the virtual list's spacers);
 *              #empty (no lines / no matches); #jump-live (shown while scrolled up; data-unseen = new lines since)
 *   Filter     #search (type=search; Ctrl/Cmd+F or "/" focuses it, Escape clears it), #speaker-filter (<select>,
 *              value '' = all), #filter-count
 *   Notes      tabs button[role=tab][data-tab=actionItems|decisions|openQuestions|summary] (#tab-<name>), panels
 *              #panel-<name>; lists #action-items, #decisions, #open-questions (ul.items[data-list]); entries
 *              li.item[data-list][data-id] (.done and data-done='true' when ticked) with .item-text, .item-meta and
 *              button.item-action[data-action=insert|copy|reveal|toggleDone|todo] (toggleDone is the role=checkbox
 *              button.check, action items only); #summary, #summary-title
 *   Notes bar  p.panel-note[data-note=<PanelNote>], each with button[data-dismiss-hint]: #rules-hint (the notes come
 *              from the rules alone) with button[data-command=chooseLanguageModel]; #macos-audio-note (macOS: allow VS
 *              Code to record system audio) with button[data-command=openSystemAudioSettings]
 *   Screen readers: #announcer (aria-live polite) gets "<speaker>: <text>" for each new final line, never partials.
 */
import type {
  FromPanel, ItemAction, ItemList, PanelModel, PanelNote, PanelQuestion, PanelSegment, PanelSession, PanelSource, PanelSummary, ToPanel,
} from '../protocol/panel';
import type { ActionItem, Decision, LiveSourceKind } from '../protocol/protocol';
import { icon, IconName, isIconName, setIcon } from './icons.js';
import { matchesQuery, searchPattern, textRuns } from './textRuns.js';
import { lowerBound, RowLayout } from './virtualList.js';

declare function acquireVsCodeApi(): { postMessage(message: FromPanel): void };
const vscode = acquireVsCodeApi();
const post = (message: FromPanel) => vscode.postMessage(message);

const byId = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function iconButton(name: IconName, label: string, className = 'icon-button'): HTMLButtonElement {
  const button = el('button', className);
  button.type = 'button';
  button.setAttribute('aria-label', label);
  button.title = label;
  button.append(icon(name));
  return button;
}

/** mm:ss, or h:mm:ss past the hour (as the notes write times). */
function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return hh > 0 ? `${hh}:${two(mm)}:${two(ss)}` : `${two(mm)}:${two(ss)}`;
}

// ---------------------------------------------------------------------------------------------
// Session, toolbar, sources, model

const stateLabel = byId('state');
const elapsedLabel = byId('elapsed');
const errorBox = byId('error');
const noticeBox = byId('notice');
const buttons = {
  start: byId<HTMLButtonElement>('start'),
  dictate: byId<HTMLButtonElement>('dictate'),
  file: byId<HTMLButtonElement>('file'),
  pause: byId<HTMLButtonElement>('pause'),
  stop: byId<HTMLButtonElement>('stop'),
};
const sourcesSection = byId('sources');
const notesSection = byId('notes');

let session: PanelSession | null = null;
let sources: PanelSource[] = [];
let elapsedTimer: number | undefined;

const STATE_LABELS: Record<PanelSession['state'], string> = {
  idle: 'Starting…', streaming: 'Listening', stopping: 'Stopping…', finalizing: 'Writing notes…', done: 'Done',
};
const SOURCE_NAMES: Record<LiveSourceKind, string> = { mic: 'Microphone', system: 'System audio' };
const SOURCE_ICONS: Record<LiveSourceKind, [IconName, IconName]> = { mic: ['mic', 'micOff'], system: ['desktop', 'desktopOff'] };
const CAPTURE_LABELS: Record<PanelSource['state'], string> = {
  starting: 'starting…', capturing: 'recording', stalled: 'no audio arriving', failed: 'stopped — retrying', retrying: 'retrying…',
  paused: 'paused', stopped: 'stopped',
};
/** The meter's range: below −60 dBFS is silence for a meter, 0 dBFS is full scale. */
const METER_FLOOR_DB = -60;

const isRunning = (s: PanelSession | null) => !!s && s.state !== 'done';
const isSourcePaused = (source: LiveSourceKind, state?: PanelSource['state']) => !!session?.paused.includes(source) || state === 'paused';

/** Every live source of the session is paused (the pause button then resumes). */
function sessionPaused(): boolean {
  if (!session || session.state !== 'streaming' || session.paused.length === 0) return false;
  return sources.length === 0 || sources.every((s) => isSourcePaused(s.source, s.state));
}

function showSession(next: PanelSession | null): void {
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
function updateControls(): void {
  const next = session;
  const paused = sessionPaused();
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
  const live = streaming && (sources.length > 0 || dictation || next.paused.length > 0);
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
  renderSources();
}

function setLabel(button: HTMLButtonElement, label: string): void {
  button.setAttribute('aria-label', label);
  button.title = label;
}

function renderSources(): void {
  sourcesSection.hidden = sources.length === 0 || !isRunning(session);
  for (const s of sources) {
    let row = sourcesSection.querySelector<HTMLDivElement>(`.source[data-source="${s.source}"]`);
    if (!row) row = buildSourceRow(s.source);
    const paused = isSourcePaused(s.source, s.state);
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

const modelSection = byId('model');
const modelLabel = byId('model-label');
const modelProgress = byId('model-progress');
const modelDownload = byId<HTMLButtonElement>('model-download');

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;

function showModel(model: PanelModel | null): void {
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

let noticeTimer: number | undefined;
function showNotice(text: string, level: 'info' | 'warning' | 'error'): void {
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
function showExtraction(p: ToPanel extends infer T ? T extends { type: 'extraction'; progress: infer P } ? P : never : never): void {
  window.clearTimeout(extractionTimer);
  if (!p) {
    extractionBox.hidden = true;
    return;
  }
  const running = p.state === 'running';
  extractionText.textContent = running ? `Language model: chunk ${Math.min(p.finished + 1, p.chunks)} of ${p.chunks}` : `Language model: ${p.message}`;
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
function showNotes(shown: PanelNote[]): void {
  for (const note of panelNotes) note.hidden = !shown.includes(note.dataset.note as PanelNote);
}

// ---------------------------------------------------------------------------------------------
// Transcript: data, filter, virtual list

interface Line {
  /** Arrival order: the view is sorted by it. */
  seq: number;
  segment: PanelSegment;
  /** Bumped on every change, so a rendered row knows it is stale. */
  version: number;
  /** Show "while viewing …": the segment has a location different from the previous final line's. */
  showViewing: boolean;
}

const scroller = byId('transcript-scroller');
const list = byId<HTMLOListElement>('transcript');
const spacerTop = byId('spacer-top');
const spacerBottom = byId('spacer-bottom');
const empty = byId('empty');
const jumpLive = byId<HTMLButtonElement>('jump-live');
const searchBox = byId<HTMLInputElement>('search');
const speakerFilter = byId<HTMLSelectElement>('speaker-filter');
const filterCount = byId('filter-count');
const announcer = byId('announcer');

const lines: Line[] = [];
const linesById = new Map<string, Line>();
let nextSeq = 0;
/** The lines that pass the filter, in arrival order: what the virtual list shows. */
let view: Line[] = [];
const layout = new RowLayout({ estimate: 40, overscan: 400, maxRows: 100 });
/** Rows in the DOM, by segment id. */
const rendered = new Map<string, { row: HTMLLIElement; version: number; filterKey: string }>();
let pattern: RegExp | null = null;
let speaker = '';
let filterKey = '';
/** Keep the newest line in view (the reader is at the live end). */
let follow = true;
let unseen = 0;
const speakers = new Set<string>();

const passes = (line: Line) => (!speaker || line.segment.speaker === speaker) && matchesQuery(line.segment.text, pattern);
const seqIndex = (arr: Line[], seq: number) => lowerBound(arr.length, (i) => arr[i].seq, seq);

function sameLocation(a: PanelSegment['viewing'], b: PanelSegment['viewing']): boolean {
  return !!a && !!b && a.path === b.path && a.startLine === b.startLine && a.endLine === b.endLine;
}

/** Adds, replaces or (an empty final) removes a line. `live`: a new final is announced to screen readers. */
function upsertSegment(segment: PanelSegment, live: boolean): void {
  const existing = linesById.get(segment.segmentId);
  if (segment.final && !segment.text) {
    if (existing) removeLine(existing);
    return;
  }
  const becameFinal = segment.final && !existing?.segment.final;
  let line: Line;
  if (!existing) {
    line = { seq: nextSeq++, segment, version: 0, showViewing: false };
    lines.push(line);
    linesById.set(segment.segmentId, line);
    if (passes(line)) {
      view.push(line);
      layout.append(segment.segmentId);
      if (!follow) unseen++;
    }
  } else {
    line = existing;
    const was = passes(line);
    line.segment = segment;
    line.version++;
    const now = passes(line);
    if (was !== now) {
      const at = seqIndex(view, line.seq);
      if (now) {
        view.splice(at, 0, line);
        layout.insert(at, segment.segmentId);
      } else {
        view.splice(at, 1);
        layout.remove(at);
      }
    } else if (!rendered.has(segment.segmentId)) {
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
  if (!speakers.has(segment.speaker)) {
    speakers.add(segment.speaker);
    speakerFilter.append(Object.assign(el('option', '', segment.speaker), { value: segment.speaker }));
  }
  scheduleRender();
}

function removeLine(line: Line): void {
  lines.splice(seqIndex(lines, line.seq), 1);
  linesById.delete(line.segment.segmentId);
  const at = seqIndex(view, line.seq);
  if (view[at] === line) {
    view.splice(at, 1);
    layout.remove(at);
  }
  layout.forget(line.segment.segmentId);
  scheduleRender();
}

function clearTranscript(): void {
  lines.length = 0;
  linesById.clear();
  view = [];
  layout.reset([]);
  layout.clearMeasurements();
  for (const r of rendered.values()) r.row.remove();
  rendered.clear();
  speakers.clear();
  speakerFilter.replaceChildren(Object.assign(el('option', '', 'All speakers'), { value: '' }));
  speaker = '';
  follow = true;
  unseen = 0;
  announcer.replaceChildren();
}

function applyFilter(): void {
  pattern = searchPattern(searchBox.value);
  speaker = speakerFilter.value;
  filterKey = `${searchBox.value.trim()}\u0000${speaker}`;
  view = lines.filter(passes);
  layout.reset(view.map((l) => l.segment.segmentId));
  unseen = 0;
  if (!follow) scroller.scrollTop = 0;
  scheduleRender();
}

/** New finals for screen readers: a polite live region that only ever gets finals (partials would flood it). */
function announce(text: string): void {
  announcer.append(el('p', '', text));
  while (announcer.childElementCount > 3) announcer.firstElementChild!.remove();
}

function buildRow(line: Line): HTMLLIElement {
  const s = line.segment;
  const row = el('li', `line ${s.final ? 'final' : 'partial'} source-${s.source}`);
  row.dataset.segmentId = s.segmentId;
  row.dataset.speaker = s.speaker;
  row.dataset.source = s.source;
  row.dataset.final = String(s.final);
  if (!s.final) row.setAttribute('aria-busy', 'true');
  const time = el('time', 'time', clock(s.t0));
  time.dateTime = `PT${Math.max(0, Math.floor(s.t0))}S`;
  const body = el('div', 'body');
  const who = el('span', 'speaker', s.speaker);
  who.title = s.source === 'mic' ? 'Microphone' : s.source === 'system' ? 'System audio' : 'Audio file';
  const text = el('span', 'text');
  let link: HTMLButtonElement | null = null;
  let linkIndex: number | null = null;
  for (const run of textRuns(s.text, s.final ? s.mentions : undefined, pattern)) {
    const piece: Node = run.match ? el('mark', 'match', run.text) : document.createTextNode(run.text);
    if (run.mention === null) {
      link = null;
      linkIndex = null;
      text.append(piece);
      continue;
    }
    if (!link || linkIndex !== run.mention) {
      const mention = s.mentions![run.mention];
      const index = run.mention;
      link = el('button', 'link mention');
      link.type = 'button';
      link.dataset.mentionIndex = String(index);
      const where = `${mention.target.path}${mention.target.line ? `:${mention.target.line}` : ''}`;
      link.title = mention.alternatives?.length ? `Open ${where} (or another match)` : `Open ${where}`;
      link.setAttribute('aria-label', `${s.text.slice(mention.start, mention.end)}: open ${where}`);
      link.addEventListener('click', () => post({ type: 'openMention', segmentId: s.segmentId, index }));
      linkIndex = run.mention;
      text.append(link);
    }
    link.append(piece);
  }
  body.append(who, ' ', text);
  if (s.final && line.showViewing && s.viewing) {
    const v = s.viewing;
    const where = `${v.path}:${v.startLine}${v.endLine !== v.startLine ? `–${v.endLine}` : ''}`;
    const viewing = el('button', 'link viewing-link');
    viewing.type = 'button';
    viewing.append(icon('link'), document.createTextNode(`while viewing ${where}`));
    viewing.title = `Open ${where}`;
    viewing.addEventListener('click', () => post({ type: 'openViewing', segmentId: s.segmentId }));
    const box = el('div', 'viewing');
    box.append(viewing);
    body.append(box);
  }
  row.append(time, body);
  return row;
}

let renderQueued = false;
function scheduleRender(): void {
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

function render(): void {
  const viewport = scroller.clientHeight;
  for (let pass = 0; pass < 4; pass++) {
    const top = follow ? Math.max(0, layout.totalHeight() - viewport) : scroller.scrollTop;
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
    if (follow) scrollToLive();
    else if (changed && anchor < layout.count) {
      scroller.scrollTop = layout.offsetOf(anchor) + anchorDelta;
      ownScrollTop = scroller.scrollTop;
    }
    if (!changed) break;
  }
  const filtering = !!pattern || !!speaker;
  empty.hidden = view.length > 0;
  empty.textContent = lines.length === 0
    ? 'Start meeting notes, dictate, or transcribe a file: the transcript appears here as people speak.'
    : 'No lines match the filter.';
  filterCount.textContent = filtering ? `${view.length} of ${lines.length}` : '';
  filterCount.hidden = !filtering;
  jumpLive.hidden = follow || view.length === 0;
  jumpLive.dataset.unseen = String(unseen);
  const label = jumpLive.querySelector('.label')!;
  label.textContent = unseen > 0 ? `${unseen} new` : 'Jump to live';
  jumpLive.setAttribute('aria-label', unseen > 0 ? `Jump to live (${unseen} new lines)` : 'Jump to live');
}

/** Puts rows [start, end) of the view in the DOM, reusing rows already there, in order. */
function applyWindow(start: number, end: number): void {
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
    if (!r || r.version !== line.version || r.filterKey !== filterKey) {
      const row = buildRow(line);
      if (r) r.row.replaceWith(row);
      r = { row, version: line.version, filterKey };
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
  if (follow === value) return;
  follow = value;
  if (value) unseen = 0;
  scheduleRender();
}

function jumpToLive(): void {
  follow = true;
  unseen = 0;
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
    follow = false;
    scroller.scrollTop = 0;
    scheduleRender();
  }
});

jumpLive.addEventListener('click', () => {
  jumpToLive();
  scroller.focus({ preventScroll: true });
});

let lastWidth = 0;
new ResizeObserver(() => {
  if (scroller.clientWidth !== lastWidth) {
    lastWidth = scroller.clientWidth;
    layout.clearMeasurements(); // rows wrap differently at another width
  }
  scheduleRender();
}).observe(scroller);

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

// ---------------------------------------------------------------------------------------------
// Notes lists: action items, decisions, open questions, summary

interface Entry {
  id: string;
  text: string;
  meta: string;
  done?: boolean;
  badge?: string;
  badgeKind?: string;
  /** Dismissed by the opt-in language model: its reason (the row is struck through and offers Restore). */
  dismissed?: string;
}

const LIST_IDS: Record<ItemList, string> = { actionItems: 'action-items', decisions: 'decisions', openQuestions: 'open-questions' };
const LIST_NAMES: Record<ItemList, string> = { actionItems: 'action item', decisions: 'decision', openQuestions: 'question' };
const actionItems = new Map<string, ActionItem>();
const decisions = new Map<string, Decision>();
let questions: PanelQuestion[] = [];
const currentRow: Partial<Record<ItemList, string>> = {};

const ACTIONS: { action: ItemAction; icon: IconName; label: string }[] = [
  { action: 'insert', icon: 'insert', label: 'Insert at cursor' },
  { action: 'copy', icon: 'copy', label: 'Copy' },
  { action: 'reveal', icon: 'reveal', label: 'Reveal in notes file' },
  { action: 'todo', icon: 'todo', label: 'Add as TODO comment' },
];

function entriesOf(name: ItemList): Entry[] {
  if (name === 'actionItems') {
    return [...actionItems.values()].map((i) => ({
      id: i.id, text: i.text, done: !!i.done, ...(i.removed && i.dismissed ? { dismissed: i.dismissed.reason } : {}),
      meta: i.removed && i.dismissed ? `dismissed by ${i.dismissed.by}: ${i.dismissed.reason}`
        : [i.owner ? `@${i.owner}` : '', i.due ? `due ${i.due}` : '', clock(i.t0), i.refinedBy ? (/^am\d+$/.test(i.id) ? 'language model' : 'refined') : ''].filter(Boolean).join(' · '),
    }));
  }
  if (name === 'decisions') {
    return [...decisions.values()].map((d) => ({
      id: d.id, text: d.text, badge: d.kind === 'deferral' ? 'Deferred' : d.kind === 'negative' ? 'Not doing' : undefined, badgeKind: d.kind,
      ...(d.removed && d.dismissed ? { dismissed: d.dismissed.reason } : {}),
      meta: d.removed && d.dismissed ? `dismissed by ${d.dismissed.by}: ${d.dismissed.reason}`
        : [clock(d.t0), d.refinedBy ? (/^dm\d+$/.test(d.id) ? 'language model' : 'refined') : ''].filter(Boolean).join(' · '),
    }));
  }
  return questions.map((q) => ({ id: q.id, text: q.text, meta: [q.speaker ?? '', clock(q.t0)].filter(Boolean).join(' · ') }));
}

function buildItem(name: ItemList, id: string): HTMLLIElement {
  const item = el('li', 'item');
  item.dataset.list = name;
  item.dataset.id = id;
  item.tabIndex = -1;
  if (name === 'actionItems') {
    const check = iconButton('check', 'Mark done', 'check item-action');
    check.setAttribute('role', 'checkbox');
    check.dataset.action = 'toggleDone';
    item.append(check);
  } else {
    const bullet = el('span', 'bullet');
    bullet.setAttribute('aria-hidden', 'true');
    item.append(bullet);
  }
  const body = el('div', 'item-body');
  const badge = el('span', 'badge');
  badge.hidden = true;
  body.append(badge, el('span', 'item-text'), el('span', 'item-meta'));
  const actions = el('div', 'item-actions');
  actions.setAttribute('role', 'group');
  actions.setAttribute('aria-label', `Actions for this ${LIST_NAMES[name]}`);
  for (const a of ACTIONS) {
    const b = iconButton(a.icon, a.label, 'icon-button item-action');
    b.dataset.action = a.action;
    actions.append(b);
  }
  // Shown only on an entry the language model dismissed.
  const restore = iconButton('retry', 'Restore (the language model dismissed it)', 'icon-button item-action restore');
  restore.dataset.action = 'restore';
  restore.hidden = true;
  actions.append(restore);
  item.append(body, actions);
  return item;
}

function fillItem(item: HTMLLIElement, e: Entry): void {
  item.querySelector('.item-text')!.textContent = e.text;
  item.classList.toggle('dismissed', e.dismissed !== undefined);
  item.dataset.dismissed = String(e.dismissed !== undefined);
  item.querySelector<HTMLButtonElement>('button.restore')!.hidden = e.dismissed === undefined;
  item.querySelector('.item-meta')!.textContent = e.meta;
  const badge = item.querySelector<HTMLSpanElement>('.badge')!;
  badge.hidden = !e.badge;
  badge.textContent = e.badge ?? '';
  badge.dataset.kind = e.badgeKind ?? '';
  if (e.done !== undefined) {
    item.classList.toggle('done', e.done);
    item.dataset.done = String(e.done);
    const check = item.querySelector<HTMLButtonElement>('.check')!;
    check.setAttribute('aria-checked', String(e.done));
    setLabel(check, e.done ? 'Mark not done' : 'Mark done');
  }
}

/** Brings a list's DOM in line with its data, keeping rows (and the focus in them) that are still there. */
function renderList(name: ItemList): void {
  const ul = byId<HTMLUListElement>(LIST_IDS[name]);
  const entries = entriesOf(name);
  const existing = new Map<string, HTMLLIElement>();
  for (const li of ul.children as HTMLCollectionOf<HTMLLIElement>) existing.set(li.dataset.id!, li);
  const keep = new Set(entries.map((e) => e.id));
  for (const [id, li] of existing) if (!keep.has(id)) li.remove();
  let previous: Element | null = null;
  for (const e of entries) {
    const li = existing.get(e.id) ?? buildItem(name, e.id);
    fillItem(li, e);
    const next: Element | null = previous ? previous.nextElementSibling : ul.firstElementChild;
    if (next !== li) ul.insertBefore(li, next);
    previous = li;
  }
  updateRoving(name);
  const live = entries.filter((e) => e.dismissed === undefined).length;
  byId(`count-${name}`).textContent = live ? String(live) : '';
  byId(`empty-${name}`).hidden = entries.length > 0;
}

/** Roving tabindex: one row of a list is in the tab order (with its buttons); arrow keys move between rows. */
function updateRoving(name: ItemList): void {
  const ul = byId<HTMLUListElement>(LIST_IDS[name]);
  const rows = [...ul.children] as HTMLLIElement[];
  if (!rows.some((r) => r.dataset.id === currentRow[name])) currentRow[name] = rows[0]?.dataset.id;
  for (const r of rows) {
    const current = r.dataset.id === currentRow[name];
    r.tabIndex = current ? 0 : -1;
    r.classList.toggle('current', current);
    for (const b of r.querySelectorAll<HTMLButtonElement>('button')) b.tabIndex = current ? 0 : -1;
  }
}

for (const name of ['actionItems', 'decisions', 'openQuestions'] as ItemList[]) {
  const ul = byId<HTMLUListElement>(LIST_IDS[name]);
  ul.addEventListener('click', (e) => {
    const button = (e.target as Element).closest<HTMLButtonElement>('button[data-action]');
    const item = button?.closest<HTMLLIElement>('li.item');
    if (!button || !item) return;
    post({ type: 'itemAction', action: button.dataset.action as ItemAction, list: name, id: item.dataset.id! });
  });
  ul.addEventListener('focusin', (e) => {
    const item = (e.target as Element).closest<HTMLLIElement>('li.item');
    if (item && currentRow[name] !== item.dataset.id) {
      currentRow[name] = item.dataset.id;
      updateRoving(name);
    }
  });
  ul.addEventListener('keydown', (e) => {
    const item = (e.target as Element).closest<HTMLLIElement>('li.item');
    if (!item) return;
    const rows = [...ul.children] as HTMLLIElement[];
    const at = rows.indexOf(item);
    const onRow = e.target === item;
    let to = -1;
    if (e.key === 'ArrowDown') to = Math.min(rows.length - 1, at + 1);
    else if (e.key === 'ArrowUp') to = Math.max(0, at - 1);
    else if (e.key === 'Home' && onRow) to = 0;
    else if (e.key === 'End' && onRow) to = rows.length - 1;
    else if ((e.key === 'ArrowRight' || e.key === 'ArrowLeft') && !onRow) {
      // Between the row's buttons.
      const bs = [...item.querySelectorAll<HTMLButtonElement>('button')];
      const k = bs.indexOf(e.target as HTMLButtonElement);
      const next = bs[(k + (e.key === 'ArrowRight' ? 1 : bs.length - 1)) % bs.length];
      e.preventDefault();
      next?.focus();
      return;
    } else if ((e.key === 'Enter' || e.key === ' ') && onRow && name === 'actionItems') {
      e.preventDefault();
      post({ type: 'itemAction', action: 'toggleDone', list: name, id: item.dataset.id! });
      return;
    }
    if (to < 0) return;
    e.preventDefault();
    rows[to].focus();
  });
}

function showSummary(summary: PanelSummary | null): void {
  byId('summary-title').textContent = !summary ? 'No summary yet.' : summary.final ? 'Summary of the meeting' : 'Summary so far (updated as the meeting runs)';
  byId('summary').replaceChildren(...(summary?.bullets ?? []).map((b) => el('li', '', b)));
  questions = summary?.openQuestions ?? [];
  renderList('openQuestions');
}

// Tabs (Left/Right/Home/End between them, as a tablist does).
const tabs = [...document.querySelectorAll<HTMLButtonElement>('[role=tab]')];
function selectTab(tab: HTMLButtonElement, focus: boolean): void {
  for (const t of tabs) {
    const selected = t === tab;
    t.setAttribute('aria-selected', String(selected));
    t.tabIndex = selected ? 0 : -1;
    byId(t.getAttribute('aria-controls')!).hidden = !selected;
  }
  if (focus) tab.focus();
}
for (const tab of tabs) {
  tab.addEventListener('click', () => selectTab(tab, false));
  tab.addEventListener('keydown', (e) => {
    const k = tabs.indexOf(tab);
    const to = e.key === 'ArrowRight' ? (k + 1) % tabs.length : e.key === 'ArrowLeft' ? (k + tabs.length - 1) % tabs.length
      : e.key === 'Home' ? 0 : e.key === 'End' ? tabs.length - 1 : -1;
    if (to < 0) return;
    e.preventDefault();
    selectTab(tabs[to], true);
  });
}

// ---------------------------------------------------------------------------------------------
// Messages, buttons, keys

window.addEventListener('message', (event: MessageEvent<ToPanel>) => {
  const message = event.data;
  switch (message.type) {
    case 'snapshot':
      clearTranscript();
      sources = message.sources;
      sourcesSection.replaceChildren();
      showSession(message.session);
      for (const s of message.segments) upsertSegment(s, false);
      actionItems.clear();
      decisions.clear();
      for (const i of message.actionItems) actionItems.set(i.id, i);
      for (const d of message.decisions) decisions.set(d.id, d);
      renderList('actionItems');
      renderList('decisions');
      showSummary(message.summary);
      showModel(message.model);
      showNotes(message.notes);
      applyFilter();
      break;
    case 'session': showSession(message.session); break;
    case 'summary': showSummary(message.summary); break;
    case 'sources':
      sources = message.sources;
      updateControls(); // the pause button and state label depend on the sources too
      break;
    case 'segment': upsertSegment(message.segment, true); break;
    case 'actionItem':
      if (message.item.removed && !message.item.dismissed) actionItems.delete(message.item.id);
      else actionItems.set(message.item.id, message.item);
      renderList('actionItems');
      break;
    case 'decision':
      if (message.decision.removed && !message.decision.dismissed) decisions.delete(message.decision.id);
      else decisions.set(message.decision.id, message.decision);
      renderList('decisions');
      break;
    case 'model': showModel(message.model); break;
    case 'notice': showNotice(message.text, message.level); break;
    case 'extraction': showExtraction(message.progress); break;
    case 'notes': showNotes(message.notes); break;
  }
});

// Icons for the static buttons (data-icon), then their commands.
for (const node of document.querySelectorAll<HTMLElement>('[data-icon]')) {
  if (isIconName(node.dataset.icon)) setIcon(node, node.dataset.icon);
}
jumpLive.prepend(icon('arrowDown'));
for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-command]')) {
  button.addEventListener('click', () => post({ type: 'command', command: button.dataset.command as never }));
}

document.addEventListener('keydown', (e) => {
  const inField = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.target instanceof HTMLTextAreaElement;
  if ((e.key === 'f' && (e.ctrlKey || e.metaKey) && !e.altKey) || (e.key === '/' && !inField && !e.ctrlKey && !e.metaKey)) {
    e.preventDefault();
    searchBox.focus();
    searchBox.select();
  }
});

showSession(null);
renderList('actionItems');
renderList('decisions');
showSummary(null);
selectTab(tabs[0], false);
render();
post({ type: 'ready' });
