/**
 * The commands about Earshot itself: show the panel, open the walkthrough (also once after install), restart the
 * daemon, Earshot: Show Health, and Earshot: Delete All Data (settings/privacy.ts; the deleting is the daemon's).
 */
import * as vscode from 'vscode';
import type { HealthView } from '../health/health';
import { TranscriptPanel } from '../panel/panel';
import { deleteAllData, DeleteAllDataArgs, PrivacyDeps } from '../settings/privacy';
import type { CommandDeps } from './registry';

/** The walkthrough's id in package.json `contributes.walkthroughs`. */
export const WALKTHROUGH_ID = 'getStarted';

export interface WorkbenchCommandDeps extends CommandDeps {
  health: HealthView;
  privacy: PrivacyDeps;
}

export function registerWorkbenchCommands({ context, client, command, health, privacy }: WorkbenchCommandDeps): void {
  command('earshot.openWalkthrough', async () =>
    vscode.commands.executeCommand('workbench.action.openWalkthrough', `${context.extension.id}#${WALKTHROUGH_ID}`, false));

  command('earshot.showPanel', async () => vscode.commands.executeCommand(`${TranscriptPanel.viewId}.focus`));
  command('earshot.restartDaemon', async () => client.restart());
  /** Returns the Markdown shown; `{ show: false }` only returns it (tests). */
  command('earshot.showHealth', async (args?: { show?: boolean }) => health.show(args));
  /** `{ confirm: true, includeModels: false }` skips the dialog (tests); resolves with what the daemon deleted. */
  command('earshot.deleteAllData', async (args?: DeleteAllDataArgs) => deleteAllData(privacy, args));
}

/**
 * Opens the walkthrough on the first activation after install. Not in tests or CI (it would take focus from the
 * editors a test drives), nor when the user turned off `workbench.welcomePage.walkthroughs.openOnInstall`.
 */
export async function openWalkthroughOnce(context: vscode.ExtensionContext): Promise<void> {
  const key = 'earshot.walkthroughShown';
  if (context.globalState.get<boolean>(key)) return;
  await context.globalState.update(key, true);
  const automated = context.extensionMode !== vscode.ExtensionMode.Production || !!process.env.CI || !!process.env.EARSHOT_NO_WALKTHROUGH;
  if (automated || !vscode.workspace.getConfiguration('workbench.welcomePage.walkthroughs').get<boolean>('openOnInstall', true)) return;
  await vscode.commands.executeCommand('earshot.openWalkthrough');
}
