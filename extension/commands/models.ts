/**
 * The commands that choose models: the language model for the notes (models/languageModelPicker.ts: none, Earshot's
 * local model, a VS Code model, a server on this machine; a local model downloaded with its progress) and the whisper
 * model (downloaded, or repaired, and made the one in use). The downloads themselves are the daemon's.
 */
import * as vscode from 'vscode';
import { chooseLanguageModel, chooseLocalModel, LocalNotesModels } from '../models/languageModelPicker';
import { downloadSize } from '../models/modelOffer';
import { EarshotSettings } from '../settings/settings';
import type { PinnedCatalogEntry } from '../../protocol/protocol';
import type { CommandDeps } from './registry';

/** Registers the model commands; returns the event fired when the notes-model picker has all its choices. */
export function registerModelCommands({ context, client, output, command }: CommandDeps): { onDidLoadLanguageModelPick: vscode.Event<vscode.QuickPick<vscode.QuickPickItem>> } {
  // Rules only, a VS Code model, a model of a server running here (found by the daemon), or the settings.
  // `{ localModel: id }` (keybindings, links): that local model, downloaded if need be, without the pick.
  const pickLoaded = new vscode.EventEmitter<vscode.QuickPick<vscode.QuickPickItem>>();
  const localNotesModels: LocalNotesModels = {
    list: async () => (await client.listModels()).notes,
    download: async (model) => vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Earshot: downloading ${model.name} (${downloadSize(model.bytes)})` },
      async (progress) => {
        let shown = 0;
        const listening = client.onModelProgress((p) => {
          if (p.kind !== 'notes' || p.model !== model.id || p.phase !== 'download' || typeof p.fraction !== 'number') return;
          const percent = Math.floor(p.fraction * 100);
          if (percent > shown) progress.report({ increment: percent - shown, message: `${percent} %` });
          shown = Math.max(shown, percent);
        });
        try {
          await client.downloadModel({ modelId: model.id, kind: 'notes' });
        } finally {
          listening.dispose();
        }
      }),
  };
  command('earshot.chooseLanguageModel', (args?: { localModel?: string }) => (typeof args?.localModel === 'string'
    ? chooseLocalModel(args.localModel, EarshotSettings.read().enhancement, localNotesModels)
    : chooseLanguageModel(() => client.discoverLanguageModels(), EarshotSettings.read().enhancement,
      (e) => output.warn(`looking for language models on this machine failed: ${(e as Error).message}`), localNotesModels, (pick) => pickLoaded.fire(pick))));

  command('earshot.downloadModel', async (modelId?: string) => {
    const list = await client.listModels();
    const id = modelId ?? (await vscode.window.showQuickPick(list.models.map((m) => ({
      label: m.id,
      description: `${(m.bytes / 1e6).toFixed(0)} MB${m.recommended ? ' · recommended for this machine' : ''}${m.state === 'ready' ? ' · downloaded' : m.state === 'partial' ? ' · partly downloaded' : m.state === 'corrupt' ? ' · damaged: download again' : ''}`,
      detail: m.description,
      picked: m.id === list.active.modelId,
    })), { title: 'Earshot: Download a Whisper Model', placeHolder: `In use: ${list.active.modelId ?? list.active.path}` }))?.label;
    if (!id) return undefined;
    const entry = list.models.find((m) => m.id === id);
    const result = await client.downloadModel({ modelId: id, repair: entry?.state === 'corrupt' });
    if (list.active.modelId !== id) {
      await vscode.workspace.getConfiguration('earshot').update('model.id', id, vscode.ConfigurationTarget.Global);
    }
    void vscode.window.showInformationMessage(`Earshot: whisper model ${id} is ready.`);
    return result;
  });
  // The speaker voice model: on request, and when the user turns speakers on (never behind their back).
  command('earshot.downloadSpeakerModel', () => downloadPinnedModel(client, 'speaker', 'the speaker voice model',
    'the next meeting recognizes voices again after a silence'));
  // Meeting memory's meaning model: on request (the chat offers it once), never behind the user's back.
  command('earshot.downloadMemoryModel', () => downloadPinnedModel(client, 'memory', 'the meeting search model',
    '@earshot now finds passages by their meaning as well as their words (it reads your meetings in the background first)'));
  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration('earshot.speakers.enabled') && EarshotSettings.read().identifySpeakers) {
      void vscode.commands.executeCommand('earshot.downloadSpeakerModel');
    }
  }));
  return { onDidLoadLanguageModelPick: pickLoaded.event };
}

/**
 * Downloads the first model of a one-purpose catalog (kind 'speaker' or 'memory') with its progress in a notification,
 * or says it is ready; answers its entry.
 */
async function downloadPinnedModel(client: CommandDeps['client'], kind: 'speaker' | 'memory', what: string, effect: string): Promise<PinnedCatalogEntry> {
  const entry = (await client.listModels())[kind === 'speaker' ? 'speakers' : 'memory']?.models[0];
  if (!entry) throw new Error(`This Earshot daemon offers no ${what.replace(/^the /, '')}.`);
  if (entry.state !== 'ready') {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Earshot: downloading ${what} (${downloadSize(entry.bytes)}, ${entry.licence})` },
      async (progress) => {
        let shown = 0;
        const listening = client.onModelProgress((p) => {
          if (p.kind !== kind || p.phase !== 'download' || typeof p.fraction !== 'number') return;
          const percent = Math.floor(p.fraction * 100);
          if (percent > shown) progress.report({ increment: percent - shown, message: `${percent} %` });
          shown = Math.max(shown, percent);
        });
        try {
          await client.downloadModel({ modelId: entry.id, kind, repair: entry.state === 'corrupt' });
        } finally {
          listening.dispose();
        }
      });
  }
  void vscode.window.showInformationMessage(`Earshot: ${what} is ready (${entry.name}): ${effect}.`);
  return entry;
}
