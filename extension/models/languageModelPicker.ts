// extension/models/: language models for the notes, as the user chooses them. The picker (languageModelPicker.ts), the
// first-meeting offer (modelOffer.ts), and VS Code's language model answering the daemon's calls (languageModel.ts).
// The catalogs, downloads and the models themselves are the daemon's. Imports nothing else of extension/.
/**
 * "Earshot: Choose a Language Model for Notes": a quick pick of who may improve the notes: Earshot's own local model
 * (the notes catalog: downloaded on this choice, with its size shown first), nobody (the rules alone), a VS Code
 * language model (Copilot: the cloud), or a model of a server running on this machine (Ollama, LM Studio, llama.cpp's
 * server, found by the daemon's `earshot/languageModel/discover`), or the settings for any other server.
 * The choice is written to the earshot.enhancement.* settings (the daemon restarts with them between sessions); a
 * local model that is not downloaded yet is downloaded first, and a failed download writes nothing.
 *
 * Owns the picker's items and what each choice writes; must not send anything to a model nor change the settings'
 * schema (settings/settings.ts). The local servers appear when the discovery answers (the pick shows the rest at once).
 */
import * as vscode from 'vscode';
import { EnhancementSettings, LanguageModelDiscoverResult, LOCAL_SERVER_NAMES, LocalServer, LocalServerModel, NotesCatalogEntry, NotesModelList } from '../../protocol/protocol';

/** What an item sets: a provider (and, for a local server, its endpoint and model), or opens the settings. */
export type ModelChoice =
  | { provider: 'off' }
  | { provider: 'vscode-lm' }
  | { provider: 'openai-compatible'; endpoint: string; model: string }
  /** Earshot's local model: a catalog id (downloaded first when `download` is set) or a GGUF path. */
  | { provider: 'local'; model: string; download?: NotesCatalogEntry }
  | { openSettings: true };

export interface ModelPickItem extends vscode.QuickPickItem {
  choice?: ModelChoice;
}

const IN_USE = 'in use';
const sameEndpoint = (a: string | undefined, b: string) => !!a && a.replace(/\/+$/, '').replace(/\/v1$/, '') === b;

function sizeText(m: LocalServerModel): string | undefined {
  return m.sizeBytes ? `${(m.sizeBytes / 1e9).toFixed(1)} GB` : undefined;
}

/**
 * The picker's items: the local servers' models first (each "Ollama: llama3.2:3b (this machine)"), then the rules
 * alone, a VS Code model, and the settings. A server still loading its model, or one with no chat model, is shown
 * as a line that sets nothing. The current choice is marked "in use".
 */
export function languageModelPickItems(servers: readonly LocalServer[], current: EnhancementSettings, searching = false, notes?: NotesModelList): ModelPickItem[] {
  const separator = (label: string): ModelPickItem => ({ label, kind: vscode.QuickPickItemKind.Separator });
  const items: ModelPickItem[] = [];
  if (servers.length || searching || notes?.models.length || notes?.path) items.push(separator('On this machine: nothing leaves it'));
  items.push(...localModelItems(notes, current));
  for (const server of servers) {
    const name = LOCAL_SERVER_NAMES[server.kind];
    if (server.state === 'loading' || !server.models.length) {
      items.push({ label: `${name} (this machine)`, description: server.state === 'loading' ? 'still loading its model: choose again in a moment' : 'no chat model installed', detail: server.endpoint });
      continue;
    }
    for (const model of server.models) {
      const inUse = current.provider === 'openai-compatible' && sameEndpoint(current.endpoint, server.endpoint) && current.model === model.id;
      items.push({
        label: `${name}: ${model.id} (this machine)`,
        description: [model.name !== model.id ? model.name : undefined, sizeText(model), model.loaded ? 'loaded' : undefined, inUse ? IN_USE : undefined].filter(Boolean).join(' · '),
        detail: server.endpoint,
        choice: { provider: 'openai-compatible', endpoint: server.endpoint, model: model.id },
      });
    }
  }
  items.push(separator('Elsewhere, or none'));
  items.push({
    label: 'Rules only', description: current.provider === 'off' ? IN_USE : '', detail: 'No language model: the notes are what the rules find; nothing is sent anywhere.',
    choice: { provider: 'off' },
  });
  items.push({
    label: 'A VS Code language model', description: current.provider === 'vscode-lm' ? IN_USE : '',
    detail: 'E.g. Copilot: the meeting transcript is sent to that model, usually in the cloud. VS Code asks your consent.',
    choice: { provider: 'vscode-lm' },
  });
  const otherServer = current.provider === 'openai-compatible' && !items.some((i) => i.description?.includes(IN_USE));
  items.push({
    label: 'Another OpenAI-compatible server…', description: otherServer ? `${IN_USE}: ${current.endpoint ?? ''}` : '',
    detail: 'Opens the settings: earshot.enhancement.endpoint and .model.', choice: { openSettings: true },
  });
  return items;
}

/** Earshot's own notes models (the recommended first), and the model file set in earshot.notes.model.path. */
function localModelItems(notes: NotesModelList | undefined, current: EnhancementSettings): ModelPickItem[] {
  if (!notes) return [];
  const local = current.provider === 'local';
  const items: ModelPickItem[] = [];
  if (notes.path) {
    const file = notes.path.split(/[\\/]/).pop()!;
    items.push({
      label: `Earshot: ${file} (this machine)`, description: [local && (!current.model || current.model === notes.path) ? IN_USE : undefined, 'your model file'].filter(Boolean).join(' · '),
      detail: notes.path, choice: { provider: 'local', model: notes.path },
    });
  }
  const models = [...notes.models].sort((a, b) => Number(b.recommended) - Number(a.recommended));
  for (const m of models) {
    const ready = m.state === 'ready';
    items.push({
      label: `Earshot: ${m.name} (this machine)`,
      description: [local && current.model === m.id ? IN_USE : undefined, ready ? 'downloaded' : `download ${(m.bytes / 1e9).toFixed(1)} GB${m.state === 'partial' ? ' (resumes)' : ''}`,
        m.recommended ? 'recommended for this machine' : undefined].filter(Boolean).join(' · '),
      detail: `${m.note} ${m.licence} licence. Runs here: the transcript is never sent anywhere.`,
      choice: { provider: 'local', model: m.id, ...(ready ? {} : { download: m }) },
    });
  }
  return items;
}

/** The settings (under `earshot.`) a choice writes, leaving out those already so (each write may restart the daemon). */
export function settingUpdates(choice: ModelChoice, current: EnhancementSettings): [key: string, value: string][] {
  if ('openSettings' in choice) return [];
  const updates: [string, string][] = [];
  if (choice.provider === 'openai-compatible') {
    if (current.endpoint !== choice.endpoint) updates.push(['enhancement.endpoint', choice.endpoint]);
    if (current.model !== choice.model) updates.push(['enhancement.model', choice.model]);
  }
  if (choice.provider === 'local' && current.model !== choice.model) updates.push(['enhancement.model', choice.model]);
  // The provider last: the daemon that restarts on it already has the endpoint and model.
  if (current.provider !== choice.provider) updates.push(['enhancement.provider', choice.provider]);
  return updates;
}

/** Earshot's local models: the daemon's notes catalog, and its download (with the progress the caller shows). */
export interface LocalNotesModels {
  list(): Promise<NotesModelList>;
  download(model: NotesCatalogEntry): Promise<void>;
}

/**
 * The picker: shown at once, the local servers and Earshot's models added when the daemon answers. Resolves with the
 * choice made; a local model is downloaded before any setting is written (a failed download rejects, writing nothing).
 */
export async function chooseLanguageModel(discover: () => Promise<LanguageModelDiscoverResult>, current: EnhancementSettings,
  onDiscoveryFailed: (e: unknown) => void = () => undefined, local?: LocalNotesModels, onLoaded: (pick: vscode.QuickPick<vscode.QuickPickItem>) => void = () => undefined): Promise<ModelChoice | undefined> {
  const pick = vscode.window.createQuickPick<ModelPickItem>();
  pick.title = 'Earshot: Choose a Language Model for Notes';
  pick.placeholder = 'Who improves the meeting notes (action items, decisions)? Applies from the next session.';
  pick.matchOnDetail = true;
  pick.items = languageModelPickItems([], current, true);
  pick.busy = true;
  let closed = false;
  let servers: LocalServer[] = [];
  let notes: NotesModelList | undefined;
  let searching = true;
  // Servers and Earshot's models arrive while the user may be choosing: the item the user moved to stays under the
  // cursor; a cursor still on the first choice goes to the new first one (the recommended model, on top).
  const refresh = () => {
    if (closed) return;
    const active = pick.activeItems[0]?.label;
    const wasFirst = active === pick.items.find((i) => i.choice)?.label;
    pick.items = languageModelPickItems(servers, current, searching, notes);
    const still = pick.items.find((i) => i.label === active);
    if (still && !wasFirst) pick.activeItems = [still];
    else if (wasFirst) pick.activeItems = pick.items.filter((i) => i.choice).slice(0, 1);
  };
  const found = discover().then((result) => {
    servers = result.servers;
    searching = false;
    refresh();
    if (!closed && !result.servers.length) pick.placeholder = 'No Ollama, LM Studio or llama.cpp server runs on this machine. Who improves the notes?';
  }, (e) => { searching = false; refresh(); onDiscoveryFailed(e); });
  const listed = local?.list().then((list) => { notes = list; refresh(); }, onDiscoveryFailed);
  void Promise.all([found, listed]).finally(() => {
    if (closed) return;
    pick.busy = false;
    onLoaded(pick);
  });
  const choice = await new Promise<ModelChoice | undefined>((resolve) => {
    pick.onDidAccept(() => {
      const item = pick.selectedItems[0];
      if (!item?.choice) return; // a line that sets nothing (a server still loading): keep the pick open
      resolve(item.choice);
      pick.hide();
    });
    pick.onDidHide(() => resolve(undefined));
    pick.show();
  });
  closed = true;
  pick.dispose();
  if (!choice) return undefined;
  if ('openSettings' in choice) {
    await vscode.commands.executeCommand('workbench.action.openSettings', 'earshot.enhancement');
    return choice;
  }
  if (choice.provider === 'local' && choice.download) await local!.download(choice.download);
  const config = vscode.workspace.getConfiguration('earshot');
  for (const [key, value] of settingUpdates(choice, current)) await config.update(key, value, vscode.ConfigurationTarget.Global);
  return choice;
}

/**
 * Earshot's local model `id` chosen without the pick (the command's argument `{ localModel: id }`: for keybindings,
 * links and walkthroughs): downloaded first when it is not here yet, then the settings; an unknown id is an error.
 */
export async function chooseLocalModel(id: string, current: EnhancementSettings, local: LocalNotesModels): Promise<ModelChoice> {
  const list = await local.list();
  const model = list.models.find((m) => m.id === id);
  if (!model) throw new Error(`There is no local notes model "${id}" (there are ${list.models.map((m) => m.id).join(', ')}).`);
  if (model.state !== 'ready') await local.download(model);
  const choice: ModelChoice = { provider: 'local', model: id };
  const config = vscode.workspace.getConfiguration('earshot');
  for (const [key, value] of settingUpdates(choice, current)) await config.update(key, value, vscode.ConfigurationTarget.Global);
  return choice;
}
