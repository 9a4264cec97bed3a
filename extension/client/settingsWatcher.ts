/**
 * Settings the daemon was started with (DAEMON_SETTINGS) changed: the daemon restarts with them between sessions;
 * while one records, the user is told they apply to the next. Which panel notes a setting changes is
 * panel/panelNotesController.ts's.
 */
import * as vscode from 'vscode';
import type { SessionStateParams } from '../../protocol/protocol';
import type { DaemonClient } from './client';
import { DAEMON_SETTINGS } from '../settings/settings';

export function watchDaemonSettings(client: DaemonClient, output: vscode.LogOutputChannel, session: () => SessionStateParams | undefined): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration(async (e) => {
    if (!DAEMON_SETTINGS.some((key) => e.affectsConfiguration(key))) return;
    const current = session();
    if (current && current.state !== 'done') {
      void vscode.window.showInformationMessage('Earshot settings changed: they apply to the next session.');
      return;
    }
    await client.restart().catch((err) => output.error(`restart after settings change failed: ${err}`));
  });
}
