/**
 * The side panel's webview script. It renders what the extension posts (protocol/panel.ts) and
 * nothing else. Every piece of transcript text is set through textContent, never as HTML.
 */
import type { FromPanel, PanelSegment, PanelSession, PanelSummary, ToPanel } from '../protocol/panel';
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
      empty.hidden = lines.size > 0;
      break;
    case 'session': showSession(message.session); break;
    case 'summary': showSummary(message.summary); break;
    case 'segment': showSegment(message.segment); break;
    case 'actionItem': showItem('action-items', message.item.id, message.item.removed ? undefined : actionText(message.item)); break;
    case 'decision': showItem('decisions', message.decision.id, message.decision.removed ? undefined : decisionText(message.decision)); break;
  }
});

for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-command]')) {
  button.addEventListener('click', () => vscode.postMessage({ type: 'command', command: button.dataset.command as never }));
}

vscode.postMessage({ type: 'ready' });
