/**
 * The commands that record and finish sessions: start, stop and toggle meeting notes, toggle dictation, transcribe an
 * audio file, pause and resume, export a session, cancel the language-model extraction. A meeting starts with a notes
 * template (templates.ts), and one started for a call (extension/calls/) with that call for its auto-stop. What a
 * session shows while it runs is session/sessionEvents.ts's; the recording itself is the daemon's.
 */
import * as vscode from 'vscode';
import { ExportFormat, SessionPauseResult, SessionStopResult } from '../../protocol/protocol';
import type { StartForCall } from '../calls/calls';
import type { DictationController, DictationTarget } from '../dictation/controller';
import type { ExtractionProgressView } from '../panel/extractionProgress';
import { TranscriptPanel } from '../panel/panel';
import { EarshotSettings } from '../settings/settings';
import type { CommandDeps } from './registry';
import { chooseTemplate } from './templates';

export interface SessionCommandDeps extends CommandDeps {
  dictation: DictationController;
  extractionProgress: ExtractionProgressView;
}

export function registerSessionCommands({ context, client, output, session: current, command, dictation, extractionProgress }: SessionCommandDeps): void {
  // The opt-in language-model extraction at stop: also cancellable from the panel (its Cancel button runs this).
  command('earshot.cancelExtraction', async () => {
    const sessionId = extractionProgress.running ?? current()?.sessionId;
    if (!sessionId) return;
    const { cancelled } = await client.cancelExtraction(sessionId);
    if (!cancelled) void vscode.window.showInformationMessage('Earshot: no language-model extraction is running.');
  });

  /** `forCall`: started from a call's offer (calls/calls.ts): no template pick, and the call's end stops it (earshot.calls.autoStop). */
  command('earshot.startMeetingNotes', async (forCall?: StartForCall) => {
    if (dictation.active) {
      // The daemon records one session at a time.
      void vscode.window.showWarningMessage('Earshot is dictating. It records one session at a time: stop dictating to take meeting notes.', 'Stop Dictating')
        .then((picked) => { if (picked) void dictation.stop(); });
      return undefined;
    }
    const settings = EarshotSettings.read();
    const sources = settings.meetingSources;
    if (sources.length === 0) {
      void vscode.window.showWarningMessage('Earshot: both the microphone and system audio are turned off.', 'Open Settings').then((open) => {
        if (open) void vscode.commands.executeCommand('workbench.action.openSettings', 'earshot.sources');
      });
      return undefined;
    }
    const template = await chooseTemplate(client, output, !forCall);
    if (!template) return undefined; // the template pick was closed
    await vscode.commands.executeCommand(`${TranscriptPanel.viewId}.focus`);
    const when = new Date().toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
    const autoStop = forCall && settings.calls.autoStop ? { autoStop: { ...forCall.call, ...settings.calls.autoStop } } : {};
    const result = await client.start({
      sources, title: forCall ? `${forCall.name} call ${when}` : `Meeting ${when}`, devices: settings.devices, speakers: settings.speakers, ...template, ...autoStop,
    });
    // A source this machine cannot record (e.g. system audio without a loopback): say how to enable it; the rest records.
    for (const u of result.unavailable ?? []) {
      void vscode.window.showWarningMessage(`Earshot: ${u.message}`, 'Open Settings').then((picked) => {
        if (picked) void vscode.commands.executeCommand('workbench.action.openSettings', 'earshot.sources');
      });
    }
    return result;
  });

  command('earshot.exportSession', async (sessionId?: string, format?: ExportFormat, target?: vscode.Uri) => {
    const id = sessionId ?? current()?.sessionId;
    if (!id) {
      void vscode.window.showInformationMessage('Earshot: no session to export yet. Start meeting notes or transcribe a file first.');
      return undefined;
    }
    const formats: { label: string; format: ExportFormat; description: string }[] = [
      { label: 'Markdown', format: 'md', description: 'the notes: summary, decisions, action items, transcript' },
      { label: 'JSON', format: 'json', description: 'segments, action items and decisions as data' },
      { label: 'SRT subtitles', format: 'srt', description: 'one cue per line of the transcript' },
      { label: 'WebVTT subtitles', format: 'vtt', description: 'with speaker voices' },
      { label: 'Plain text', format: 'txt', description: '[mm:ss] Speaker: text' },
    ];
    const chosen = format ?? (await vscode.window.showQuickPick(formats, { title: 'Earshot: Export Session', placeHolder: 'Format' }))?.format;
    if (!chosen) return undefined;
    const result = await client.exportSession({ sessionId: id, format: chosen });
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? context.globalStorageUri;
    const uri = target ?? (await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(folder, result.fileName), title: 'Export session as' }));
    if (!uri) return undefined;
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(result.text));
    if (!target) void vscode.window.showInformationMessage(`Earshot: exported to ${vscode.workspace.asRelativePath(uri)}.`, 'Open').then((open) => {
      if (open) void vscode.window.showTextDocument(uri);
    });
    return uri;
  });

  command('earshot.transcribeFile', async (file?: vscode.Uri) => {
    const uri = file ?? (await vscode.window.showOpenDialog({
      canSelectMany: false, openLabel: 'Transcribe', title: 'Transcribe an audio file', filters: { 'WAV audio': ['wav', 'wave'] },
    }))?.[0];
    if (!uri) return undefined;
    await vscode.commands.executeCommand(`${TranscriptPanel.viewId}.focus`);
    return client.start({ sources: ['file'], audioFile: uri.fsPath, pace: 'fast' });
  });

  command('earshot.stop', async (): Promise<SessionStopResult | undefined> => {
    const session = current();
    if (!session || session.state === 'done') {
      void vscode.window.showInformationMessage('Earshot: no session is running.');
      return undefined;
    }
    if (session.mode === 'dictation') {
      await dictation.stop();
      return undefined;
    }
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Earshot: finishing the transcript and writing notes…' },
      () => client.stop(session.sessionId),
    );
  });

  /** One key for meeting notes: start when nothing records, stop when a meeting records. */
  command('earshot.toggleMeetingNotes', async () => {
    const session = current();
    if (session?.state === 'streaming' && session.mode !== 'dictation') return vscode.commands.executeCommand('earshot.stop');
    return vscode.commands.executeCommand('earshot.startMeetingNotes');
  });

  /** `args.target: 'terminal'` (the keybinding when the terminal has focus): dictate into the active terminal. */
  command('earshot.toggleDictation', async (args?: { target?: DictationTarget }) => dictation.toggle({ target: args?.target }));

  command('earshot.pause', async () => pauseSession(true));
  command('earshot.resume', async () => pauseSession(false));

  /** Pauses or resumes every live source of the running session (the panel pauses one source through the client). */
  async function pauseSession(paused: boolean): Promise<SessionPauseResult | undefined> {
    const session = current();
    if (!session || session.state !== 'streaming') {
      void vscode.window.showInformationMessage('Earshot: no session is recording.');
      return undefined;
    }
    const result = await client.pause(session.sessionId, paused);
    // The daemon also sends the new state; this keeps Resume usable if that is still on its way.
    void vscode.commands.executeCommand('setContext', 'earshot.sessionPaused', result.paused.length > 0);
    return result;
  }
}
