/**
 * Problems of a running session, told to the user once with what to do about them: a source that stopped delivering
 * audio (Retry Now, Choose Device, Open Settings for a permission, Copy Terminal Command for a macOS grant to reset; its
 * return said quietly), a recorder's hint, and a notes folder that cannot be written. The daemon keeps retrying either
 * way; this only tells.
 */
import * as vscode from 'vscode';
import type { LiveSourceKind } from '../../protocol/protocol';
import type { DaemonClient } from '../client/client';
import type { ShowError } from './errors';
import { settingsLink, withoutSettingsLink } from './settingsLinks';

/** The action that switches system audio to a loopback device (a silent tap's hint). */
export function useLoopbackLabel(device: string): string {
  return `Use ${device.replace(/^[^:]*:\s*/, '')}`; // RtAudio names are "<manufacturer>: <name>"
}

/** The action that copies a problem's Terminal command (SourceStatusParams.copyCommand). */
export const COPY_COMMAND = 'Copy Terminal Command';

/** Subscribes to the client's source and session states; returns the subscriptions. */
export function watchSessionProblems(client: DaemonClient, output: vscode.LogOutputChannel, showError: ShowError): vscode.Disposable[] {
  /** Capture faults: an error with a Retry action; recovery is announced once, quietly. */
  const faulted = new Set<LiveSourceKind>();
  const captureFaults = client.onSourceStatus(async (st) => {
    const name = st.source === 'mic' ? 'Microphone' : 'System audio';
    if (st.state === 'failed' || st.state === 'stalled') {
      if (faulted.has(st.source)) return; // one message per outage; the retries keep going by themselves
      faulted.add(st.source);
      output.warn(`${name}: ${st.state}${st.reason ? ` (${st.reason})` : ''}`);
      // Permission faults name the settings pane by URI (macOS, Windows): offered as a button instead of unclickable text.
      const settings = settingsLink(st.message);
      const text = withoutSettingsLink(st.message ?? `${name} stopped delivering audio.`);
      const copy = st.copyCommand ? [COPY_COMMAND] : [];
      const picked = await vscode.window.showErrorMessage(`Earshot: ${text} Earshot keeps retrying.`, ...(settings ? ['Open Settings'] : []), ...copy, 'Retry Now', 'Choose Device…', 'Show Log');
      if (picked === 'Open Settings' && settings) await vscode.env.openExternal(vscode.Uri.parse(settings));
      else if (picked === COPY_COMMAND) await copyCommand(st.copyCommand!);
      else if (picked === 'Retry Now') await client.retrySource(st.sessionId, st.source).catch((e) => showError(e));
      else if (picked === 'Choose Device…') await vscode.commands.executeCommand(st.source === 'mic' ? 'earshot.chooseMicrophone' : 'earshot.chooseSystemAudioSource');
      else if (picked === 'Show Log') output.show();
    } else if (st.state === 'capturing' && faulted.delete(st.source)) {
      void vscode.window.showInformationMessage(`Earshot: ${name.toLowerCase()} is back; recording continues.`);
    }
    if (st.state === 'capturing' && st.hint) {
      output.warn(`${name}: ${st.hint}`);
      const link = settingsLink(st.hint);
      // Windows' silent loopback names the command that picks the output the call plays on (daemon/capture/silence.ts).
      const choose = st.hint.includes('Choose System Audio Source…') ? ['Choose System Audio Source…'] : [];
      // A silent macOS tap offers the loopback device that is there (BlackHole, Loopback) as the way around it.
      const use = st.loopbackDevice ? useLoopbackLabel(st.loopbackDevice) : undefined;
      const copy = st.copyCommand ? [COPY_COMMAND] : [];
      const picked = await vscode.window.showWarningMessage(`Earshot: ${withoutSettingsLink(st.hint)}`, ...(link ? ['Open Settings'] : []), ...copy, ...(use ? [use] : []), ...choose);
      if (picked === 'Open Settings' && link) await vscode.env.openExternal(vscode.Uri.parse(link));
      else if (picked === COPY_COMMAND) await copyCommand(st.copyCommand!);
      else if (picked === 'Choose System Audio Source…') await vscode.commands.executeCommand('earshot.chooseSystemAudioSource');
      else if (picked && picked === use) await useLoopback(st.loopbackDevice!);
    }
  });
  /** Puts the command a problem names (macOS `tccutil reset …`) on the clipboard, for the user to paste into Terminal. */
  async function copyCommand(command: string): Promise<void> {
    await vscode.env.clipboard.writeText(command);
    void vscode.window.showInformationMessage(`Earshot: copied \`${command}\`. Paste it into Terminal, press Return, then start the session again.`);
  }
  /** Records the loopback device as system audio from the next session on (the running one keeps its recorder). */
  async function useLoopback(device: string): Promise<void> {
    await vscode.workspace.getConfiguration('earshot').update('devices.systemAudio', device, vscode.ConfigurationTarget.Global);
    output.info(`system audio: ${device} chosen instead of the Core Audio tap`);
    void vscode.window.showInformationMessage(`Earshot: the next session records system audio from "${device}". Stop and start this one to switch now.`);
  }
  const faultsCleared = client.onSessionState((s) => { if (s.state === 'done') faulted.clear(); });

  /**
   * The notes folder cannot be written (read-only, missing, disk full): said once per session, with what to do; the
   * daemon keeps recording and retries, and says when the notes are written again (SessionStateParams.notesError).
   */
  const notesWarned = new Set<string>();
  let notesFailing: string | undefined;
  const notesFolder = client.onSessionState(async (s) => {
    if (!s.notesError) {
      if (notesFailing === s.sessionId && s.state === 'streaming') output.info(`notes written again: ${s.notesPath}`);
      if (notesFailing === s.sessionId) notesFailing = undefined;
      return;
    }
    if (notesFailing !== s.sessionId) output.warn(s.notesError);
    notesFailing = s.sessionId;
    if (notesWarned.has(s.sessionId)) return;
    notesWarned.add(s.sessionId);
    const picked = await vscode.window.showWarningMessage(`Earshot: ${s.notesError}`, 'Choose Notes Folder', 'Show Log');
    if (picked === 'Choose Notes Folder') await vscode.commands.executeCommand('workbench.action.openSettings', 'earshot.notes.folder');
    else if (picked === 'Show Log') output.show();
  });
  return [captureFaults, faultsCleared, notesFolder];
}
