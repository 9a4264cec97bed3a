/**
 * The notes lists and the summary: #action-items, #decisions and #open-questions (ul.items: rows kept in step with
 * the data, a roving tabindex with arrow keys between rows and between a row's buttons, item actions posted as
 * itemAction), the tabs' counts (#count-<list>), the empty texts (#empty-<list>), and #summary / #summary-title.
 * Owns the action items, decisions and open questions the extension last sent. The tabs themselves are tabs.ts's.
 */
import type { ItemAction, ItemList, PanelQuestion, PanelSummary } from '../../protocol/panel';
import type { ActionItem, Decision } from '../../protocol/protocol';
import { byId, clock, el } from './dom.js';
import { actionItemEntries, decisionEntries, Entry, questionEntries } from './entries.js';
import { buildItem, fillItem } from './itemRows.js';
import { post } from './messages.js';

const LIST_IDS: Record<ItemList, string> = { actionItems: 'action-items', decisions: 'decisions', openQuestions: 'open-questions' };
const actionItems = new Map<string, ActionItem>();
const decisions = new Map<string, Decision>();
let questions: PanelQuestion[] = [];
const currentRow: Partial<Record<ItemList, string>> = {};

/** A snapshot's items and decisions, replacing all there were, then both lists rendered. */
export function setItems(items: ActionItem[], decided: Decision[]): void {
  actionItems.clear();
  decisions.clear();
  for (const i of items) actionItems.set(i.id, i);
  for (const d of decided) decisions.set(d.id, d);
  renderList('actionItems');
  renderList('decisions');
}

/** One item of a list changed (removed without a dismissal: gone; dismissed by the language model: kept, struck through). */
function update<T extends ActionItem | Decision>(list: ItemList, entries: Map<string, T>, entry: T): void {
  if (entry.removed && !entry.dismissed) entries.delete(entry.id);
  else entries.set(entry.id, entry);
  renderList(list);
}
export const updateActionItem = (item: ActionItem) => update('actionItems', actionItems, item);
export const updateDecision = (decision: Decision) => update('decisions', decisions, decision);

function entriesOf(name: ItemList): Entry[] {
  if (name === 'actionItems') return actionItemEntries(actionItems.values());
  if (name === 'decisions') return decisionEntries(decisions.values());
  return questionEntries(questions);
}

/** Brings a list's DOM in line with its data, keeping rows (and the focus in them) that are still there. */
export function renderList(name: ItemList): void {
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

/** A final summary the model could not settle against the final decisions and items: they stand where it differs. */
function unsettled(summary: PanelSummary): string {
  if (!summary.final || summary.settled !== false || !summary.points?.length) return '';
  return ` — not settled at the end${summary.unsettledReason ? ` (${summary.unsettledReason})` : ''}: where it differs from the decisions and action items, they stand`;
}

/** A model's point with the times of the lines it cites (as the notes file does, where they link to the lines). */
function pointRow(p: { text: string; t0s: number[] }): HTMLLIElement {
  const row = el('li', '', p.text);
  row.append(' ', el('span', 'item-meta', `(${p.t0s.map(clock).join(', ')})`));
  return row;
}

export function showSummary(summary: PanelSummary | null): void {
  const none = !summary?.points?.length && !summary?.bullets.length;
  byId('summary-title').textContent = !summary ? 'No summary yet.'
    : none ? 'No summary: a language model writes one (setting earshot.enhancement.provider); the items are from rules.'
      : `${summary.final ? 'Summary of the meeting' : 'Summary so far (updated as the meeting runs)'}${summary.by ? `, by ${summary.by}` : ''}${unsettled(summary)}`;
  const rows = summary?.points?.length ? summary.points.map(pointRow) : (summary?.bullets ?? []).map((b) => el('li', '', b));
  byId('summary').replaceChildren(...rows);
  // The notes taken on each part, folded under the summary (as in the notes file); the fold stays as the user left it.
  const parts = summary?.parts ?? [];
  byId('summary-parts').hidden = parts.length === 0;
  byId('summary-parts-title').textContent = `Part by part: what each of the ${parts.length} parts dealt with`;
  byId('summary-parts-list').replaceChildren(...parts.flatMap((part) => {
    const list = el('ul', 'summary');
    list.append(...part.points.map(pointRow));
    return [el('p', 'summary-part-time', `${clock(part.t0)}–${clock(part.t1)}`), list];
  }));
  questions = summary?.openQuestions ?? [];
  renderList('openQuestions');
}
