// extension/commands/: Earshot's commands, one file per area (sessions, devices, models, memory, workbench), and how
// they are registered (registry.ts). Imports the folders whose work they ask for; nothing imports commands/ but
// extension.ts.
/**
 * How Earshot's commands are registered (commands/*.ts each register one area's): a command that fails shows its
 * error with what to do (health/errors.ts) and resolves at once; and what every area's commands share.
 */
import * as vscode from 'vscode';
import type { SessionStateParams } from '../../protocol/protocol';
import type { DaemonClient } from '../client/client';
import type { ShowError } from '../health/errors';

export type RegisterCommand = (id: string, run: (...args: never[]) => Promise<unknown>) => void;

export function commandRegistrar(context: vscode.ExtensionContext, showError: ShowError): RegisterCommand {
  return (id, run) => context.subscriptions.push(vscode.commands.registerCommand(id, async (...args: never[]) => {
    try {
      return await run(...args);
    } catch (e) {
      // Shown, not awaited: the command resolves (undefined) at once instead of when the message is dismissed.
      void showError(e);
      return undefined;
    }
  }));
}

/** What the command areas need from activate(). */
export interface CommandDeps {
  context: vscode.ExtensionContext;
  client: DaemonClient;
  output: vscode.LogOutputChannel;
  /** The last session state seen. */
  session(): SessionStateParams | undefined;
  command: RegisterCommand;
}
