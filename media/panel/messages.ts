/**
 * The panel's one message layer: `post()` sends a FromPanel message to the extension, `receive()` hands each ToPanel
 * message the extension posts to the handler for its type (the table is in media/panel.ts). The only place that talks
 * to the webview API (acquireVsCodeApi, which a webview may call once). Knows no view and touches no element.
 */
import type { FromPanel, ToPanel } from '../../protocol/panel';

declare function acquireVsCodeApi(): { postMessage(message: FromPanel): void };
const vscode = acquireVsCodeApi();

export const post = (message: FromPanel) => vscode.postMessage(message);

/** A handler for every message type the extension posts, given the message narrowed to its type. */
export type ToPanelHandlers = { [K in ToPanel['type']]: (message: Extract<ToPanel, { type: K }>) => void };

/** Dispatches the extension's messages to `handlers`; a message of a type it does not know is ignored. */
export function receive(handlers: ToPanelHandlers): void {
  window.addEventListener('message', (event: MessageEvent<ToPanel>) => {
    const message = event.data;
    if (Object.hasOwn(handlers, message.type)) (handlers[message.type] as (message: ToPanel) => void)(message);
  });
}
