/**
 * Small DOM helpers every view of the side panel uses: finding the skeleton's elements, making elements and icon
 * buttons, labelling a button, and the clock format of times. Owns no element and no state; it must not reach into a
 * view's part of the page.
 */
import { icon, IconName } from '../icons.js';

/** An element of the static skeleton (extension/panel/panel.ts `panelHtml()`), by id. */
export const byId = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A button's accessible name and its tooltip, the same text. */
export function setLabel(button: HTMLButtonElement, label: string): void {
  button.setAttribute('aria-label', label);
  button.title = label;
}

export function iconButton(name: IconName, label: string, className = 'icon-button'): HTMLButtonElement {
  const button = el('button', className);
  button.type = 'button';
  setLabel(button, label);
  button.append(icon(name));
  return button;
}

/** mm:ss, or h:mm:ss past the hour (as the notes write times). */
export { clock } from './entries.js';
