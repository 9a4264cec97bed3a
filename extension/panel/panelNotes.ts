/**
 * The panel's dismissible notes and when each shows (no VS Code API here: unit-tested as it is).
 *
 *   rules       the notes come from Earshot's rules alone: no language model is chosen.
 *   macosAudio  macOS 14.2+, before the first meeting: allow Earshot to record system audio. Earshot records a call's
 *               other side with a Core Audio tap (audiotee) run as its own app, which macOS asks about by name
 *               (daemon/capture/macCaptureApp.ts); until the user allows it (or turns Earshot on under Privacy &
 *               Security → Screen & System Audio Recording → "System Audio Recording Only", macOS 14.4+) the tap
 *               records silence. Not shown where the tap is not used (other systems, older macOS, a loopback device
 *               chosen), and no longer once the user dismisses it or system audio has been heard.
 *   modelOffer  after the first meeting that ended with no language model (provider 'off', no local model file): download
 *               the local notes model, use a VS Code model (Copilot: the cloud), or keep the rules alone; shown in place
 *               of the rules note until the user chooses (models/modelOffer.ts carries the choice out).
 */
import { PANEL_NOTES, PanelNote } from '../../protocol/panel';
import { APP_PREFIX, macosSupportsProcessTaps } from '../../protocol/macosCapture';

/** globalState keys: set once a note is done with (dismissed, or no longer needed). */
export const NOTE_DONE_KEYS: Record<PanelNote, string> = {
  rules: 'earshot.rulesHintDismissed',
  macosAudio: 'earshot.macosAudioNoteDone',
  modelOffer: 'earshot.modelOfferDone',
};

/** globalState key: a meeting has ended in this installation (the offer waits for the first one). */
export const MEETING_ENDED_KEY = 'earshot.meetingEnded';

export interface NoteContext {
  platform: NodeJS.Platform;
  /** os.release(): the Darwin version on macOS. */
  release: string;
  /** earshot.enhancement.provider. */
  enhancementProvider: string;
  /** Whether meetings record system audio (earshot.sources.systemAudio). */
  systemAudio: boolean;
  /** earshot.devices.systemAudio ('' or 'default': the system's default). */
  systemDevice: string;
  /** A meeting has ended here before (MEETING_ENDED_KEY). */
  meetingEnded?: boolean;
  /** earshot.notes.model.path: a local notes model the user has. */
  notesModelPath?: string;
}

/** Whether system audio will come through a Core Audio tap: macOS 14.2+, all system audio or app:<names>. */
export function recordsThroughTap(c: Pick<NoteContext, 'platform' | 'release' | 'systemAudio' | 'systemDevice'>): boolean {
  const device = c.systemDevice || 'default';
  return c.platform === 'darwin' && macosSupportsProcessTaps(c.release) && c.systemAudio && (device === 'default' || device.startsWith(APP_PREFIX));
}

/** The notes to show now; `done(note)`: the user dismissed it, or it is no longer needed. */
export function notesToShow(c: NoteContext, done: (note: PanelNote) => boolean): PanelNote[] {
  const rulesAlone = c.enhancementProvider === 'off';
  const offer = rulesAlone && !c.notesModelPath && c.meetingEnded === true && !done('modelOffer');
  // The offer says what the rules note says, with the choices: one of them at a time.
  const wanted: Record<PanelNote, boolean> = { rules: rulesAlone && !offer, macosAudio: recordsThroughTap(c), modelOffer: offer };
  return PANEL_NOTES.filter((note) => wanted[note] && !done(note));
}

/**
 * System audio above this level has come through: the tap is allowed and the macOS note is no longer needed. A denied
 * tap delivers exact zeros, which the meter reports as -100 dBFS.
 */
export const SYSTEM_AUDIO_HEARD_DBFS = -90;
