/**
 * The extension's privacy commands and reactions: Earshot: Delete All Data (the deleting itself is the daemon's, which
 * knows its storage layout: earshot/data/delete), and Workspace Trust granted while Earshot runs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DataDeleteResult, SessionStateParams } from '../../protocol/protocol';
import { EarshotSettings, restrictedWorkspaceValues } from './settings';

/** `executeCommand('earshot.deleteAllData', { confirm: true, includeModels: false })` skips the dialog (tests, scripts). */
export interface DeleteAllDataArgs {
  /** true: the user already confirmed; no dialog. */
  confirm?: boolean;
  /** With confirm: also delete downloaded models (default false). */
  includeModels?: boolean;
}

export interface PrivacyDeps {
  client: { deleteAllData(params: { includeModels: boolean }): Promise<DataDeleteResult>; restart(): Promise<void> };
  context: Pick<vscode.ExtensionContext, 'globalStorageUri'>;
  session(): SessionStateParams | undefined;
  output: vscode.LogOutputChannel;
}

export const DELETE_KEEP_MODELS = 'Delete, keep models';
export const DELETE_EVERYTHING = 'Delete everything';

/**
 * Earshot: Delete All Data. Refused while a session records (its journal is the durable copy of what it transcribed
 * so far; ending someone's meeting is their call, so the message offers Stop instead of doing it). Asks first, in a
 * modal dialog that says what goes and that notes files stay (they are the user's documents); then the daemon deletes
 * and the result is reported with a way to open the notes folder. Resolves with the daemon's answer (undefined when
 * cancelled or refused) without waiting for the message to be dismissed.
 */
export async function deleteAllData(deps: PrivacyDeps, args: DeleteAllDataArgs = {}): Promise<DataDeleteResult | undefined> {
  const session = deps.session();
  if (session && session.state !== 'done') {
    void vscode.window.showWarningMessage('Earshot is recording. Stop the session before deleting Earshot\'s data: its journal holds what it has transcribed so far.', 'Stop Recording')
      .then((picked) => { if (picked) void vscode.commands.executeCommand('earshot.stop'); });
    return undefined;
  }
  const notesDirs = notesFolders(deps.context);
  let includeModels = args.includeModels === true;
  if (args.confirm !== true) {
    const detail = [
      `From Earshot's storage folder (${deps.context.globalStorageUri.fsPath}) this deletes:`,
      '• the session journals (the transcripts Earshot keeps to export sessions and rebuild notes) and per-session caches,',
      '• debug audio recordings (earshot.debug.saveAudio),',
      `• with "${DELETE_EVERYTHING}": the downloaded whisper models too (they are downloaded again when needed).`,
      '',
      `Your notes files are not deleted: they are your documents (${notesDirs.join(' and ')}). Delete them yourself if you want them gone.`,
    ].join('\n');
    const picked = await vscode.window.showWarningMessage('Delete all Earshot data?', { modal: true, detail }, DELETE_KEEP_MODELS, DELETE_EVERYTHING);
    if (picked !== DELETE_KEEP_MODELS && picked !== DELETE_EVERYTHING) return undefined;
    includeModels = picked === DELETE_EVERYTHING;
  }
  const result = await deps.client.deleteAllData({ includeModels });
  deps.output.info(`Delete All Data: ${summary(result)}`);
  for (const link of result.linksNotFollowed) deps.output.warn(`Delete All Data: ${link.path} was a link to ${link.target}: the link was removed, not what it points to.`);
  for (const kept of result.kept) deps.output.warn(`Delete All Data: kept ${kept.path}: ${kept.reason}`);

  const existing = notesDirs.filter((dir) => fs.existsSync(dir));
  const extra = [
    result.linksNotFollowed.length ? ` ${result.linksNotFollowed.length} link(s) to elsewhere were removed without deleting what they point to.` : '',
    result.kept.length ? ` ${result.kept.length} item(s) were kept (see the log).` : '',
  ].join('');
  const actions = existing.length ? ['Open Notes Folder'] : [];
  void vscode.window.showInformationMessage(`Earshot deleted ${summary(result)}. Your notes files were kept.${extra}`, ...actions).then((picked) => {
    if (picked) void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(existing[0]));
  });
  return result;
}

/** Where notes may be: the configured folder (workspace, or global storage when untrusted) and global storage. */
function notesFolders(context: Pick<vscode.ExtensionContext, 'globalStorageUri'>): string[] {
  const configured = EarshotSettings.read().notesDir(context);
  const global = path.join(context.globalStorageUri.fsPath, 'notes');
  return configured === global ? [global] : [configured, global];
}

/** "3 session journals, 1 debug recording and 2 model files (12.3 MB)". */
export function summary(r: DataDeleteResult): string {
  const parts = [
    plural(r.journals.files, 'session journal'),
    ...(r.sessionCaches.files ? [plural(r.sessionCaches.files, 'cache file')] : []),
    plural(r.debugAudio.files, 'debug recording'),
    ...(r.models.files ? [plural(r.models.files, 'model file')] : []),
  ];
  const list = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}` : parts[0];
  return `${list} (${(r.bytes / 1e6).toFixed(1)} MB)`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Workspace Trust granted: notes of the next session go into the workspace (the client passes the notes folder with
 * every session start, so nothing needs restarting for that). Restricted settings the workspace sets start to apply
 * now: the daemon restarts to use them, when no session records (else they apply to the next session after a restart).
 */
export function watchWorkspaceTrust(deps: PrivacyDeps): vscode.Disposable {
  return vscode.workspace.onDidGrantWorkspaceTrust(async () => {
    const changed = restrictedWorkspaceValues();
    deps.output.info(`workspace trusted: notes go to ${EarshotSettings.read().notesDir(deps.context)} from the next session${changed.length ? `; workspace settings now apply: ${changed.join(', ')}` : ''}`);
    if (changed.length === 0) return;
    const session = deps.session();
    if (session && session.state !== 'done') {
      void vscode.window.showInformationMessage('Earshot: this workspace\'s settings apply once the session ends and the daemon restarts (Earshot: Restart Daemon).');
      return;
    }
    await deps.client.restart().catch((e) => deps.output.error(`restart after workspace trust failed: ${(e as Error).message}`));
  });
}
