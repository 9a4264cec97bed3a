/**
 * The transcript is decoded as it is spoken (partials, early finals) only while someone can read it (issue 41: partials
 * are most of whisper's work in a meeting). Here that is the panel while it is visible, and a dictation while it runs
 * (its ghost text, and its finals written at the cursor as soon as they can be). The daemon is told whenever that
 * changes, and again at each daemon start (a fresh daemon decodes partials for a client that never said).
 */
import * as vscode from 'vscode';
import { PartialsDemand } from '../../protocol/partialsDemand';

/** What reads the transcript live in this window, as the watcher needs to see it. */
export interface PartialsReaders {
  panel: { readonly visible: boolean; readonly onDidChangeVisibility: vscode.Event<boolean> };
  dictation: { readonly active: boolean; readonly onDidChangeActive: vscode.Event<boolean> };
}

export function watchPartialsReaders(
  readers: PartialsReaders, send: (wanted: boolean) => Promise<void>, daemonStarted: vscode.Event<void>,
): vscode.Disposable {
  const tell = (wanted: boolean) => void send(wanted).catch(() => undefined); // no daemon: the next start is told
  const demand = new PartialsDemand(false, tell);
  const panel = () => demand.set('panel', readers.panel.visible);
  const dictation = () => demand.set('dictation', readers.dictation.active);
  panel();
  dictation();
  const subscriptions = [
    readers.panel.onDidChangeVisibility(panel),
    readers.dictation.onDidChangeActive(dictation),
    daemonStarted(() => tell(demand.wanted)),
  ];
  tell(demand.wanted);
  return { dispose: () => subscriptions.forEach((s) => s.dispose()) };
}
