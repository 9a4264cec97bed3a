/**
 * Errors shown to the user with what they can do about them, not only logged: a failed command, a session that ended
 * with an error, a failed retry. Each is also noted for Earshot: Show Health. Owns the error message's buttons only.
 */
import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import { ErrorCodes } from '../../protocol/protocol';
import type { HealthView } from './health';

export type ShowError = (e: unknown) => Promise<void>;

export function errorReporter(output: vscode.LogOutputChannel, health: Pick<HealthView, 'note'>): ShowError {
  return async function showError(e: unknown): Promise<void> {
    const message = e instanceof Error ? e.message : String(e);
    output.error(message);
    health.note('error', 'command', message);
    const code = e instanceof ResponseError ? e.code : undefined;
    const actions: Record<string, () => Thenable<unknown>> = {};
    if (code === ErrorCodes.ModelUnavailable) {
      const modelId = ((e as ResponseError<{ modelId?: string }>).data)?.modelId;
      if (modelId) actions[`Download ${modelId}`] = () => vscode.commands.executeCommand('earshot.downloadModel', modelId);
      actions['Choose Model File…'] = chooseModel;
      actions['Open Settings'] = () => vscode.commands.executeCommand('workbench.action.openSettings', 'earshot.model.path');
    } else if (code === ErrorCodes.SourceUnavailable) {
      actions['Choose Microphone…'] = () => vscode.commands.executeCommand('earshot.chooseMicrophone');
      actions['Transcribe Audio File…'] = () => vscode.commands.executeCommand('earshot.transcribeFile');
    } else if (code === ErrorCodes.SessionAlreadyRunning) {
      actions['Stop It'] = () => vscode.commands.executeCommand('earshot.stop');
    }
    actions['Show Log'] = async () => output.show();
    const picked = await vscode.window.showErrorMessage(`Earshot: ${message}`, ...Object.keys(actions));
    if (picked) await actions[picked]();
  };
}

async function chooseModel(): Promise<void> {
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Use this model', filters: { 'Whisper ggml model': ['bin'] } });
  if (picked?.[0]) await vscode.workspace.getConfiguration('earshot').update('model.path', picked[0].fsPath, vscode.ConfigurationTarget.Global);
}
