/**
 * Which machine listens: #place (.place-text, and .place-warning when Earshot runs on a remote machine whose audio is
 * not the user's microphone; #place[data-warning] then). Shows what the extension sends; touches nothing else.
 */
import type { PanelPlace } from '../../protocol/panel';
import { byId } from './dom.js';

const place = byId('place');

export function showPlace(next: PanelPlace | null | undefined): void {
  place.hidden = !next;
  place.querySelector('.place-text')!.textContent = next?.text ?? '';
  const warning = place.querySelector<HTMLElement>('.place-warning')!;
  warning.hidden = !next?.warning;
  warning.textContent = next?.warning ?? '';
  place.dataset.warning = String(!!next?.warning);
}
