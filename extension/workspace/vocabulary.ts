/**
 * Workspace vocabulary: identifiers from the editors the user can see, so whisper spells
 * `parseConfig` and `AuthService` the way the code does. Only the words go to the daemon (which
 * bounds them again); nothing leaves the machine.
 */
import * as vscode from 'vscode';
import { identifiersIn } from './identifiers';

/**
 * Sends the visible editors' identifiers whenever what is visible changes (debounced), and again to every
 * new daemon (a restarted one starts with none).
 */
export function watchVocabulary(send: (words: string[]) => Promise<void>, daemonStarted: vscode.Event<void>): vscode.Disposable {
  let timer: NodeJS.Timeout | undefined;
  let last = '';
  const update = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const words = identifiersIn(vscode.window.visibleTextEditors.map((e) => e.document.getText()));
      const key = words.join(' ');
      if (key === last) return;
      last = key;
      send(words).catch(() => { last = ''; });
    }, 1500);
  };
  update();
  const subscriptions = [
    vscode.window.onDidChangeVisibleTextEditors(update), vscode.workspace.onDidSaveTextDocument(update),
    daemonStarted(() => { last = ''; update(); }),
  ];
  return { dispose: () => { clearTimeout(timer); subscriptions.forEach((s) => s.dispose()); } };
}
