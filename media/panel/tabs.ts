/**
 * The notes' tabs (button[role=tab]: Actions, Decisions, Questions, Summary): a click or Left/Right/Home/End selects
 * one, as a tablist does, and shows its panel (#panel-<name>), hiding the others. Touches only the tabs and the
 * panels' hidden; what the panels hold is items.ts's.
 */
import { byId } from './dom.js';

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

/** The first tab selected, without moving the focus (at startup). */
export const selectFirstTab = () => selectTab(tabs[0], false);

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
