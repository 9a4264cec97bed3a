/**
 * The first-meeting offer (the panel's 'modelOffer' note, panel/panelNotes.ts says when it shows): what it offers, and
 * carrying out the user's choice. "Download the local model (<size>)" downloads the notes model recommended for this
 * machine (the daemon's download, with its progress) and then sets the local provider and that model; "Use a VS Code
 * model (Copilot: the cloud)" sets the vscode-lm provider; "Keep rules only" (the note's dismissal) changes nothing.
 * Nothing is sent to a model before the user chooses, and a failed download changes no setting.
 *
 * No VS Code API here (panel/panelNotesController.ts gives it the daemon and the settings): unit-tested as it is.
 */
import type { ModelListResult, ModelProgressParams } from '../../protocol/protocol';
import type { ModelOfferChoice, PanelModelOffer } from '../../protocol/panel';

/**
 * The provider value of the local notes model runtime (issue 30; declared in EnhancementProvider and package.json by the
 * runtime's change): written as a plain setting value here so this offer does not depend on that change's types.
 */
export const LOCAL_PROVIDER = 'local';

/** The offer for this machine: the notes model the daemon recommends, or null when the list has none. */
export function offerFrom(list: Pick<ModelListResult, 'notes'>): PanelModelOffer | null {
  const model = list.notes?.models.find((m) => m.id === list.notes.recommendedId);
  return model ? { modelId: model.id, name: model.name, bytes: model.bytes, licence: model.licence, label: downloadLabel(model), download: null } : null;
}

/** "1.1 GB": sizes as the offer shows them (decimal, as download sizes are). */
export function downloadSize(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.max(1, Math.round(bytes / 1e6))} MB`;
}

/** The download button's text. */
export function downloadLabel(offer: { bytes: number }): string {
  return `Download the local model (${downloadSize(offer.bytes)})`;
}

/** The offer with a notes model download's progress applied (other progress leaves it as it is). */
export function withProgress(offer: PanelModelOffer, p: ModelProgressParams): PanelModelOffer {
  if (p.kind !== 'notes' || p.model !== offer.modelId) return offer;
  if (p.phase === 'done' || p.phase === 'failed') return { ...offer, download: null };
  const fraction = p.phase === 'download' && typeof p.fraction === 'number' && Number.isFinite(p.fraction) ? Math.max(0, Math.min(1, p.fraction)) : null;
  return { ...offer, download: { fraction } };
}

/** What carrying out a choice needs. */
export interface OfferActions {
  /** The daemon's download of a notes model (kind 'notes'); rejects when it fails or is cancelled. */
  download(modelId: string): Promise<void>;
  /** Writes an `earshot.*` setting in the user's configuration. */
  setSetting(key: 'enhancement.provider' | 'enhancement.model', value: string): Promise<void>;
  /** The offer is done with: it shows no more. */
  markDone(): Promise<void>;
}

/**
 * Carries out a choice. Download: the model first, then the settings that use it (the daemon restarts with them
 * between sessions), then the offer is done; a failure keeps the offer (a second try resumes the download) and
 * rejects with the daemon's reason. A VS Code model: the provider is set (the choice is the consent: its label says the
 * cloud), then the offer is done.
 */
export async function chooseOffer(choice: ModelOfferChoice, offer: PanelModelOffer | null, actions: OfferActions): Promise<string> {
  if (choice === 'vscodeLm') {
    await actions.setSetting('enhancement.provider', 'vscode-lm');
    await actions.markDone();
    return 'Notes will be refined by a VS Code language model (Copilot sends the meeting to the cloud).';
  }
  if (!offer) throw new Error('No local notes model is known for this machine yet: try again in a moment, or run `earshot models`.');
  await actions.download(offer.modelId);
  await actions.setSetting('enhancement.model', offer.modelId);
  await actions.setSetting('enhancement.provider', LOCAL_PROVIDER);
  await actions.markDone();
  return `${offer.name} is downloaded: the notes are written by it, on this machine.`;
}
