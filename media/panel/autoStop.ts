/**
 * The auto-stop of a meeting started for a call (#auto-stop): while counting down, "Stopping in 12 s — the call ended"
 * ticking each second with a Cancel button (it sends the cancelAutoStop command, wired in media/panel.ts); in the other
 * states a line of small text. Touches only #auto-stop.
 */
import type { PanelAutoStop } from '../../protocol/panel';
import { byId } from './dom.js';

const box = byId('auto-stop');
const text = box.querySelector<HTMLSpanElement>('.auto-stop-text')!;
const cancel = byId<HTMLButtonElement>('auto-stop-cancel');
let ticker: number | undefined;

/** What each state says besides the countdown; the app's name is already inert (the extension shortens and cleans it). */
const WORDS: Record<Exclude<PanelAutoStop['state'], 'countdown'>, (a: PanelAutoStop) => string> = {
  watching: (a) => `Stops by itself when the ${a.app} call ends`,
  silent: (a) => `${a.app} released the microphone: stopping after a silence`,
  cancelled: () => 'Auto-stop cancelled: stop the meeting by hand',
  stopped: () => 'Stopped by itself: the call ended',
};

export function showAutoStop(a: PanelAutoStop | null): void {
  window.clearInterval(ticker);
  ticker = undefined;
  box.hidden = !a;
  box.dataset.state = a?.state ?? 'none';
  cancel.hidden = a?.state !== 'countdown';
  if (!a) return;
  if (a.state !== 'countdown') {
    text.textContent = WORDS[a.state](a);
    return;
  }
  const stopsAt = a.stopsAt ? Date.parse(a.stopsAt) : NaN;
  const tick = () => {
    const left = Number.isFinite(stopsAt) ? Math.max(0, Math.ceil((stopsAt - Date.now()) / 1000)) : undefined;
    text.textContent = left === undefined ? 'Stopping soon — the call ended' : `Stopping in ${left} s — the call ended`;
  };
  tick();
  ticker = window.setInterval(tick, 1000);
}
