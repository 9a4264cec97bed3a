/**
 * Notes templates in the editor: which template a meeting uses when it starts (a pick when the workspace keeps any,
 * else earshot.templates.default, else the daemon's choice by title) and Earshot: New Notes Template, which copies a
 * shipped template into `.earshot/templates/<id>.md`. The daemon reads and applies templates (earshot/templates/list,
 * SessionStartParams.template); a workspace's templates are read only once it is trusted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { NotesTemplate, SessionStartParams } from '../../protocol/protocol';
import type { DaemonClient } from '../client/client';
import { EarshotSettings } from '../settings/settings';
import type { RegisterCommand } from './registry';

/** A template's id: its file's name without `.md` (what the daemon accepts). */
export const TEMPLATE_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/i;

/** `<first folder>/.earshot/templates` of a trusted local workspace; undefined otherwise (its templates are not read). */
export function workspaceTemplatesDir(): string | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder || folder.uri.scheme !== 'file' || vscode.workspace.isTrusted === false) return undefined;
  return path.join(folder.uri.fsPath, '.earshot', 'templates');
}

/** A template pick as shown (a test chooses in it, as the user would). */
export type TemplatePick = vscode.QuickPick<vscode.QuickPickItem & { id: string | undefined }>;
const pickShown = new vscode.EventEmitter<TemplatePick>();
/** Fired when Start Meeting Notes shows its template pick. */
export const onDidShowTemplatePick = pickShown.event;

/** What a meeting starts with; undefined: the user closed the pick (nothing starts). */
export type TemplateChoice = Pick<SessionStartParams, 'template' | 'templatesDir'>;

/**
 * The template for a meeting about to start. `ask`: a pick when the workspace keeps templates (a meeting started by
 * hand); without it (a call's meeting), earshot.templates.default or the title decides. A daemon that cannot list
 * templates starts the standard notes (said in the log).
 */
export async function chooseTemplate(client: DaemonClient, output: vscode.LogOutputChannel, ask: boolean): Promise<TemplateChoice | undefined> {
  const templatesDir = workspaceTemplatesDir();
  const base: TemplateChoice = templatesDir ? { templatesDir } : {};
  let templates: NotesTemplate[];
  try {
    const listed = await client.listTemplates(templatesDir);
    templates = listed.templates;
    for (const f of listed.faults) output.warn(`notes template ${f.path}: ${f.message}`);
  } catch (e) {
    output.warn(`notes templates could not be listed (${(e as Error).message}): the meeting's title picks one, if any`);
    return base;
  }
  const preferred = EarshotSettings.read().defaultTemplate;
  const known = templates.some((t) => t.id === preferred);
  if (preferred && !known) {
    void vscode.window.showWarningMessage(`Earshot: earshot.templates.default names "${preferred.slice(0, 64)}", which no notes template has: the meeting's title picks one.`, 'Open Settings')
      .then((open) => { if (open) void vscode.commands.executeCommand('workbench.action.openSettings', 'earshot.templates.default'); });
  }
  const fallback: TemplateChoice = { ...base, ...(known ? { template: preferred } : {}) };
  if (!ask || !templates.some((t) => t.source === 'workspace')) return fallback;

  type Item = vscode.QuickPickItem & { id: string | undefined };
  const items: Item[] = [
    { label: 'Standard notes', description: 'summary, decisions, action items, open questions, transcript', id: undefined },
    ...templates.map((t): Item => ({
      label: t.name,
      description: `${t.id}${t.source === 'workspace' ? ' · this workspace' : ' · shipped'}${t.id === preferred ? ' · default' : ''}`,
      detail: t.sections.map((s) => s.heading).join(' · '),
      id: t.id,
    })),
  ];
  const pick = vscode.window.createQuickPick<Item>();
  pick.title = 'Earshot: Notes Template';
  pick.placeholder = 'The sections this meeting\'s notes will have';
  pick.items = items;
  const active = items.find((i) => i.id === (known ? preferred : undefined));
  if (active) pick.activeItems = [active];
  const chosen = await new Promise<Item | undefined>((resolve) => {
    pick.onDidAccept(() => { resolve(pick.selectedItems[0] ?? pick.activeItems[0]); pick.hide(); });
    pick.onDidHide(() => resolve(undefined));
    pick.show();
    pickShown.fire(pick);
  });
  pick.dispose();
  if (!chosen) return undefined;
  return { ...base, ...(chosen.id ? { template: chosen.id } : {}) };
}

/** Earshot: New Notes Template: a shipped template copied into the workspace under a new id, opened to edit. */
export function registerTemplateCommands(command: RegisterCommand, context: vscode.ExtensionContext): void {
  command('earshot.newNotesTemplate', async (id?: string, from?: string): Promise<vscode.Uri | undefined> => {
    const dir = workspaceTemplatesDir();
    if (!dir) {
      void vscode.window.showInformationMessage('Earshot: notes templates live in a trusted workspace folder on this computer (.earshot/templates). Open a folder and trust it first.');
      return undefined;
    }
    const shippedDir = context.asAbsolutePath(path.join('media', 'templates'));
    const shipped = fs.existsSync(shippedDir) ? fs.readdirSync(shippedDir).filter((f) => f.endsWith('.md')).sort() : [];
    if (shipped.length === 0) throw new Error(`no shipped notes template in ${shippedDir}: reinstall Earshot`);
    const source = from ?? (await vscode.window.showQuickPick(
      shipped.map((f) => ({ label: titleOf(path.join(shippedDir, f)) ?? f.slice(0, -3), description: f.slice(0, -3), file: f })),
      { title: 'Earshot: New Notes Template', placeHolder: 'Start from' },
    ))?.file.slice(0, -3);
    if (!source) return undefined;
    if (!shipped.includes(`${source}.md`)) throw new Error(`no shipped notes template "${source.slice(0, 64)}" (there are: ${shipped.map((f) => f.slice(0, -3)).join(', ')})`);
    const name = id ?? (await vscode.window.showInputBox({
      title: 'Earshot: New Notes Template', prompt: 'The template\'s id: its file name in .earshot/templates, and what earshot.templates.default names',
      value: source, validateInput: (v) => idProblem(v, dir),
    }));
    if (name === undefined) return undefined;
    const problem = idProblem(name, dir);
    if (problem) throw new Error(problem);
    fs.mkdirSync(dir, { recursive: true });
    const target = path.join(dir, `${name}.md`);
    fs.copyFileSync(path.join(shippedDir, `${source}.md`), target, fs.constants.COPYFILE_EXCL);
    const uri = vscode.Uri.file(target);
    if (!id) await vscode.window.showTextDocument(uri);
    return uri;
  });
}

function idProblem(id: string, dir: string): string | undefined {
  if (!TEMPLATE_ID.test(id)) return 'Letters, digits, ".", "_" and "-", starting with a letter or digit (at most 64).';
  if (fs.existsSync(path.join(dir, `${id}.md`))) return `.earshot/templates/${id}.md exists already.`;
  return undefined;
}

/** A shipped template's name from its front matter (`name: …`), for the pick. */
function titleOf(file: string): string | undefined {
  const head = fs.readFileSync(file, 'utf8').slice(0, 2000);
  return /^name:\s*(.+)$/m.exec(head)?.[1]?.trim().slice(0, 80);
}
