/**
 * One entry of a notes list (action items, decisions, open questions) as a row: what it shows (entries.ts, from the
 * data) and the row's elements (li.item with its check or bullet, .item-text, .item-meta and the button.item-action
 * row). Builds and fills detached rows from data; placing them, the focus between them and their clicks are items.ts's.
 */
import type { ItemAction, ItemList } from '../../protocol/panel';
import type { IconName } from '../icons.js';
import { el, iconButton, setLabel } from './dom.js';
import type { Entry } from './entries.js';

const LIST_NAMES: Record<ItemList, string> = { actionItems: 'action item', decisions: 'decision', openQuestions: 'question' };
const RESTORE_LABEL = 'Restore (the language model dismissed it)';
const UNDO_REWRITE_LABEL = 'Undo the rewrite (back to the words before the language model\'s)';

const ACTIONS: { action: ItemAction; icon: IconName; label: string }[] = [
  { action: 'insert', icon: 'insert', label: 'Insert at cursor' },
  { action: 'copy', icon: 'copy', label: 'Copy' },
  { action: 'reveal', icon: 'reveal', label: 'Reveal in notes file' },
  { action: 'todo', icon: 'todo', label: 'Add as TODO comment' },
];

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
  if (name === 'decisions') {
    const adr = iconButton('adr', 'Write as an Architecture Decision Record', 'icon-button item-action');
    adr.dataset.action = 'adr';
    actions.append(adr);
  }
  // Shown only on an entry the language model dismissed or rewrote (labelled by fillItem).
  const restore = iconButton('retry', RESTORE_LABEL, 'icon-button item-action restore');
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
  const restore = item.querySelector<HTMLButtonElement>('button.restore')!;
  restore.hidden = e.dismissed === undefined && !e.rewritten;
  setLabel(restore, e.rewritten ? UNDO_REWRITE_LABEL : RESTORE_LABEL);
  item.dataset.rewritten = String(!!e.rewritten);
  if (e.group) item.dataset.group = e.group;
  else delete item.dataset.group;
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
