/**
 * The panel's dismissible notes, wired: which show now (panelNotes.ts decides, from the settings, this machine and what
 * globalState remembers), their dismissal, the first-meeting model offer's choice (models/modelOffer.ts carries it
 * out), and the moments a note is done by itself: system audio heard through the macOS tap, the first meeting ended.
 * Owns the notes' globalState keys; changes a setting only on the user's choice in the offer.
 */
import * as os from 'node:os';
import * as vscode from 'vscode';
import type { ModelOfferChoice } from '../../protocol/panel';
import type { DaemonClient } from '../client/client';
import { chooseOffer, offerFrom } from '../models/modelOffer';
import type { TranscriptPanel } from './panel';
import { MEETING_ENDED_KEY, NOTE_DONE_KEYS, notesToShow, SYSTEM_AUDIO_HEARD_DBFS } from './panelNotes';
import { EarshotSettings } from '../settings/settings';

/** The settings that change which notes show. */
const NOTE_SETTINGS = ['earshot.enhancement.provider', 'earshot.notes.model.path', 'earshot.sources.systemAudio', 'earshot.devices.systemAudio'];

export class PanelNotesController implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly client: DaemonClient,
    private readonly panel: TranscriptPanel,
    private readonly output: vscode.LogOutputChannel,
  ) {
    const { globalState } = context;
    panel.onDismissNote = (note) => void globalState.update(NOTE_DONE_KEYS[note], true).then(() => this.show());
    panel.onModelOfferChoice = (choice) => this.carryOutOffer(choice);
    this.show();
    this.disposables = [
      client.onInputLevel((l) => {
        // System audio came through the tap: it is allowed, and the macOS note has done its work.
        if (l.source === 'system' && l.rmsDbfs > SYSTEM_AUDIO_HEARD_DBFS && process.platform === 'darwin' && !globalState.get<boolean>(NOTE_DONE_KEYS.macosAudio)) {
          void globalState.update(NOTE_DONE_KEYS.macosAudio, true).then(() => this.show());
        }
      }),
      client.onSessionState((s) => {
        // The first meeting that ends is when the model offer shows (if no model is chosen).
        if (s.state === 'done' && s.mode !== 'dictation' && !globalState.get<boolean>(MEETING_ENDED_KEY)) {
          void globalState.update(MEETING_ENDED_KEY, true).then(() => this.show());
        }
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (NOTE_SETTINGS.some((key) => e.affectsConfiguration(key))) this.show();
      }),
    ];
  }

  /** The rules-alone note, on macOS how to allow system audio, and after the first meeting without a language model the offer of one. */
  show(): void {
    const { globalState } = this.context;
    const settings = EarshotSettings.read();
    const notes = notesToShow({
      platform: process.platform, release: os.release(), enhancementProvider: settings.enhancement.provider,
      systemAudio: settings.meetingSources.includes('system'), systemDevice: settings.devices.system ?? '',
      meetingEnded: !!globalState.get<boolean>(MEETING_ENDED_KEY), notesModelPath: settings.notesModelPath,
    }, (note) => !!globalState.get<boolean>(NOTE_DONE_KEYS[note]));
    this.panel.showNotes(notes);
    // The offer names the model and its size: the daemon knows which suits this machine.
    if (notes.includes('modelOffer') && !this.panel.offered) {
      void this.client.listModels().then((list) => this.panel.showModelOffer(offerFrom(list)), (e) => this.output.warn(`model offer: ${(e as Error).message}`));
    }
  }

  private async carryOutOffer(choice: ModelOfferChoice): Promise<void> {
    const { panel, client } = this;
    const offer = panel.offered;
    const message = await chooseOffer(choice, offer, {
      download: async (modelId) => {
        panel.showModelOffer(offer && { ...offer, download: { fraction: 0 } });
        try {
          await client.downloadModel({ modelId, kind: 'notes' });
        } finally {
          panel.showModelOffer(offer && { ...offer, download: null });
        }
      },
      setSetting: async (key, value) => { await vscode.workspace.getConfiguration('earshot').update(key, value, vscode.ConfigurationTarget.Global); },
      markDone: async () => { await this.context.globalState.update(NOTE_DONE_KEYS.modelOffer, true); this.show(); },
    });
    void vscode.window.showInformationMessage(`Earshot: ${message}`);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
