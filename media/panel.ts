/**
 * The side panel's webview script. It renders what the extension posts (protocol/panel.ts) and
 * nothing else. Every piece of transcript text is set through textContent, never as HTML.
 */
import type { FromPanel, PanelSegment, PanelSession, PanelSource, PanelSummary, ToPanel } from '../protocol/panel';
import type { ActionItem, Decision } from '../protocol/protocol';

declare function acquireVsCodeApi(): { postMessage(message: FromPanel): void };
const vscode = acquireVsCodeApi();

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const transcript = byId<HTMLOListElement>('transcript');
const empty = byId<HTMLParagraphElement>('empty');
const stateLabel = byId<HTMLSpanElement>('state');
const errorBox = byId<HTMLParagraphElement>('error');
const stopButton = byId<HTMLButtonElement>('stop');
const itemsSection = byId<HTMLElement>('items-section');
const lines = new Map<string, HTMLLIElement>();

const STATE_LABELS: Record<PanelSession['state'], string> = {
  idle: 'Idle', streaming: 'Listening', stopping: 'Stopping…', finalizing: 'Writing notes…', done: 'Done',
};

function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  node.textContent = text;
  return node;
}

/** Only follow the live end if the reader is already there; never yank them away from what they read. */
function atBottom(): boolean {
  const root = document.scrollingElement ?? document.documentElement;
  return root.scrollHeight - root.scrollTop - root.clientHeight < 40;
}

function showSegment(segment: PanelSegment): void {
  const follow = atBottom();
  let line = lines.get(segment.segmentId);
  if (segment.final && !segment.text) {
    line?.remove();
    lines.delete(segment.segmentId);
  } else {
    if (!line) {
      line = document.createElement('li');
      lines.set(segment.segmentId, line);
      transcript.append(line);
    }
    line.className = segment.final ? 'line final' : 'line partial';
    line.setAttribute('aria-busy', String(!segment.final));
    line.replaceChildren(
      el('span', 'time', clock(segment.t0)),
      el('span', 'speaker', segment.speaker),
      el('span', 'text', segment.text),
    );
  }
  empty.hidden = lines.size > 0;
  if (follow) window.scrollTo(0, document.body.scrollHeight);
}

function showSession(session: PanelSession | null): void {
  stateLabel.textContent = session ? `${STATE_LABELS[session.state]} — ${session.title}` : 'No session';
  stopButton.disabled = session?.state !== 'streaming';
  errorBox.hidden = !session?.error;
  errorBox.textContent = session?.error ?? '';
}

/** Adds or updates a list entry by id; `text` undefined removes it (a withdrawn item). */
function showItem(listId: string, id: string, text: string | undefined): void {
  const list = byId<HTMLUListElement>(listId);
  let item = list.querySelector<HTMLLIElement>(`li[data-id="${CSS.escape(id)}"]`);
  if (text === undefined) {
    item?.remove();
    return;
  }
  itemsSection.hidden = false;
  if (!item) {
    item = document.createElement('li');
    item.dataset.id = id;
    list.append(item);
  }
  item.textContent = text;
}

const summarySection = byId<HTMLElement>('summary-section');
const sourcesSection = byId<HTMLElement>('sources');

const SOURCE_NAMES: Record<PanelSource['source'], string> = { mic: 'Microphone', system: 'System audio' };
const CAPTURE_LABELS: Record<PanelSource['state'], string> = {
  starting: 'starting…', capturing: 'recording', stalled: 'no audio arriving', failed: 'stopped — retrying', retrying: 'retrying…', stopped: 'stopped',
};
/** The meter's range: below −60 dBFS is silence for a meter, 0 dBFS is full scale. */
const METER_FLOOR_DB = -60;

/** One row per live source: name, a level meter and the capture state (with the problem when there is one). */
function showSources(sources: PanelSource[]): void {
  sourcesSection.hidden = sources.length === 0;
  for (const s of sources) {
    let row = sourcesSection.querySelector<HTMLDivElement>(`div[data-source="${s.source}"]`);
    if (!row) {
      row = el('div', 'source', '');
      row.dataset.source = s.source;
      const meter = document.createElement('meter');
      meter.min = METER_FLOOR_DB;
      meter.max = 0;
      meter.low = -30;
      meter.high = -6;
      meter.optimum = -20;
      meter.setAttribute('aria-label', `${SOURCE_NAMES[s.source]} input level`);
      row.append(el('span', 'name', SOURCE_NAMES[s.source]), meter, el('span', 'capture', ''));
      sourcesSection.append(row);
    }
    const level = s.rmsDbfs === null ? METER_FLOOR_DB : Math.max(METER_FLOOR_DB, Math.min(0, s.rmsDbfs));
    row.querySelector('meter')!.value = level;
    row.querySelector('meter')!.title = s.rmsDbfs === null ? 'no level yet' : `${Math.round(s.rmsDbfs)} dBFS`;
    const capture = row.querySelector<HTMLSpanElement>('.capture')!;
    capture.textContent = s.message && (s.state === 'failed' || s.state === 'stalled') ? `${CAPTURE_LABELS[s.state]}: ${s.message}` : CAPTURE_LABELS[s.state];
    row.classList.toggle('problem', s.state === 'failed' || s.state === 'stalled');
  }
}

/** Replaces the summary and open-question lists (text only). */
function showSummary(summary: PanelSummary | null): void {
  summarySection.hidden = summary === null;
  byId('summary-title').textContent = summary?.final ? 'Summary' : 'Summary (so far)';
  byId('summary').replaceChildren(...(summary?.bullets ?? []).map((b) => Object.assign(document.createElement('li'), { textContent: b })));
  const questions = summary?.openQuestions ?? [];
  byId('open-questions').replaceChildren(...(questions.length ? questions : [{ text: 'None so far.', speaker: null }]).map((q) =>
    Object.assign(document.createElement('li'), { textContent: q.speaker ? `${q.text} — ${q.speaker}` : q.text })));
}

const decisionText = (d: Decision) => `${d.kind === 'deferral' ? 'Deferred: ' : d.kind === 'negative' ? 'Not doing: ' : ''}${d.text}`;
const actionText = (i: ActionItem) => `${i.text}${i.owner ? ` — @${i.owner}` : ''}${i.due ? `, due ${i.due}` : ''}`;

window.addEventListener('message', (event: MessageEvent<ToPanel>) => {
  const message = event.data;
  switch (message.type) {
    case 'snapshot':
      transcript.replaceChildren();
      lines.clear();
      for (const listId of ['decisions', 'action-items']) byId(listId).replaceChildren();
      itemsSection.hidden = true;
      showSession(message.session);
      message.segments.forEach(showSegment);
      message.decisions.forEach((d: Decision) => showItem('decisions', d.id, decisionText(d)));
      message.actionItems.forEach((i) => showItem('action-items', i.id, actionText(i)));
      showSummary(message.summary);
      sourcesSection.replaceChildren();
      showSources(message.sources);
      empty.hidden = lines.size > 0;
      break;
    case 'session': showSession(message.session); break;
    case 'summary': showSummary(message.summary); break;
    case 'sources': showSources(message.sources); break;
    case 'segment': showSegment(message.segment); break;
    case 'actionItem': showItem('action-items', message.item.id, message.item.removed ? undefined : actionText(message.item)); break;
    case 'decision': showItem('decisions', message.decision.id, message.decision.removed ? undefined : decisionText(message.decision)); break;
  }
});

for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-command]')) {
  button.addEventListener('click', () => vscode.postMessage({ type: 'command', command: button.dataset.command as never }));
}

vscode.postMessage({ type: 'ready' });
