/**
 * Partial transcripts are decoded only while someone can read them (issue 41: they are most of whisper's work in a
 * meeting). Here that is the panel while it is visible, and a dictation while it shows its ghost text
 * (earshot.dictation.showPartial). The daemon is told whenever that changes, and again at each daemon start (a fresh
 * daemon decodes partials for a client that never said).
 */
import * as vscode from 'vscode';
import { PartialsDemand } from '../daemon/asr/partialsDemand';

/** What reads partials in this window, as the watcher needs to see it. */
export interface PartialsReaders {
  panel: { readonly visible: boolean; readonly onDidChangeVisibility: vscode.Event<boolean> };
  dictation: { readonly active: boolean; readonly onDidChangeActive: vscode.Event<boolean> };
  /** earshot.dictation.showPartial now. */
  dictationShowsPartials(): boolean;
}

export function watchPartialsReaders(
  readers: PartialsReaders, send: (wanted: boolean) => Promise<void>, daemonStarted: vscode.Event<void>,
): vscode.Disposable {
  const tell = (wanted: boolean) => void send(wanted).catch(() => undefined); // no daemon: the next start is told
  const demand = new PartialsDemand(false, tell);
  const panel = () => demand.set('panel', readers.panel.visible);
  const dictation = () => demand.set('dictation', readers.dictation.active && readers.dictationShowsPartials());
  panel();
  dictation();
  const subscriptions = [
    readers.panel.onDidChangeVisibility(panel),
    readers.dictation.onDidChangeActive(dictation),
    vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('earshot.dictation.showPartial')) dictation(); }),
    daemonStarted(() => tell(demand.wanted)),
  ];
  tell(demand.wanted);
  return { dispose: () => subscriptions.forEach((s) => s.dispose()) };
}
