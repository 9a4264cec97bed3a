/**
 * One entry of a notes list (action items, decisions, open questions) as a row: what a row shows of an item (text,
 * meta line, badge, done, dismissed by the language model) and the row's elements (li.item with its check or bullet,
 * .item-text, .item-meta and the button.item-action row). Builds and fills detached rows from data; placing them,
 * the focus between them and their clicks are items.ts's.
 */
import type { ItemAction, ItemList, PanelQuestion } from '../../protocol/panel';
import type { ActionItem, Decision } from '../../protocol/protocol';
import type { IconName } from '../icons.js';
import { clock, el, iconButton, setLabel } from './dom.js';

export interface Entry {
  id: string;
  text: string;
  meta: string;
  done?: boolean;
  badge?: string;
  badgeKind?: string;
  /** Dismissed by the opt-in language model: its reason (the row is struck through and offers Restore). */
  dismissed?: string;
}

const LIST_NAMES: Record<ItemList, string> = { actionItems: 'action item', decisions: 'decision', openQuestions: 'question' };

const ACTIONS: { action: ItemAction; icon: IconName; label: string }[] = [
  { action: 'insert', icon: 'insert', label: 'Insert at cursor' },
  { action: 'copy', icon: 'copy', label: 'Copy' },
  { action: 'reveal', icon: 'reveal', label: 'Reveal in notes file' },
  { action: 'todo', icon: 'todo', label: 'Add as TODO comment' },
];

export function actionItemEntries(items: Iterable<ActionItem>): Entry[] {
  return [...items].map((i) => ({
    id: i.id, text: i.text, done: !!i.done, ...(i.removed && i.dismissed ? { dismissed: i.dismissed.reason } : {}),
    meta: i.removed && i.dismissed ? `dismissed by ${i.dismissed.by}: ${i.dismissed.reason}`
      : [i.owner ? `@${i.owner}` : '', i.due ? `due ${i.due}` : '', clock(i.t0), i.refinedBy ? (/^am\d+$/.test(i.id) ? 'language model' : 'refined') : ''].filter(Boolean).join(' · '),
  }));
}

export function decisionEntries(decisions: Iterable<Decision>): Entry[] {
  return [...decisions].map((d) => ({
    id: d.id, text: d.text, badge: d.kind === 'deferral' ? 'Deferred' : d.kind === 'negative' ? 'Not doing' : undefined, badgeKind: d.kind,
    ...(d.removed && d.dismissed ? { dismissed: d.dismissed.reason } : {}),
    meta: d.removed && d.dismissed ? `dismissed by ${d.dismissed.by}: ${d.dismissed.reason}`
      : [clock(d.t0), d.refinedBy ? (/^dm\d+$/.test(d.id) ? 'language model' : 'refined') : ''].filter(Boolean).join(' · '),
  }));
}

export function questionEntries(questions: PanelQuestion[]): Entry[] {
  return questions.map((q) => ({ id: q.id, text: q.text, meta: [q.speaker ?? '', clock(q.t0)].filter(Boolean).join(' · ') }));
}

export function buildItem(name: ItemList, id: string): HTMLLIElement {
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

export function fillItem(item: HTMLLIElement, e: Entry): void {
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
