/**
 * Earshot's VS Code extension: commands, the side panel and the status bar over the daemon client.
 * It holds no audio logic: everything about audio happens in the daemon.
 */
import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import { PanelCommand } from '../protocol/panel';
import { ErrorCodes, ExportFormat, LiveSourceKind, SessionStateParams, SessionStopResult } from '../protocol/protocol';
import { DaemonClient } from './client';
import { TranscriptPanel } from './panel';
import { DAEMON_SETTINGS, EarshotSettings } from './settings';
import { SessionStatusBar } from './statusBar';
import { watchVocabulary } from './vocabulary';

/** What activate() returns: used by the extension's own tests and by other extensions. */
export interface EarshotApi {
  client: DaemonClient;
  panel: TranscriptPanel;
  /** The last session state seen. */
  readonly session: SessionStateParams | undefined;
  onDidChangeSession: vscode.Event<SessionStateParams>;
}

export async function activate(context: vscode.ExtensionContext): Promise<EarshotApi> {
  const output = vscode.window.createOutputChannel('Earshot', { log: true });
  const client = new DaemonClient(context, output);
  const statusBar = new SessionStatusBar();
  const panel = new TranscriptPanel(context.extensionUri, (command: PanelCommand) => void vscode.commands.executeCommand(`earshot.${command}`));
  const sessionChanged = new vscode.EventEmitter<SessionStateParams>();
  let session: SessionStateParams | undefined;

  context.subscriptions.push(
    output, client, statusBar, sessionChanged,
    vscode.window.registerWebviewViewProvider(TranscriptPanel.viewId, panel, { webviewOptions: { retainContextWhenHidden: true } }),
    client.onTranscript((s) => panel.showSegment(s)),
    client.onActionItem((i) => panel.showActionItem(i)),
    client.onDecision((d) => panel.showDecision(d)),
    client.onSummary((s) => panel.showSummary(s)),
    client.onSourceStatus((s) => panel.showSourceStatus(s)),
    client.onInputLevel((l) => panel.showInputLevel(l)),
    client.onDaemonExit(() => {
      // A session cannot outlive its daemon: say so instead of showing "Listening" forever.
      if (session && session.state !== 'done') {
        client.emitSessionState({ ...session, state: 'done', error: 'The Earshot daemon stopped unexpectedly. Finalized text is kept in the session journal.' });
      }
    }),
    client.onSessionState((s) => {
      session = s;
      void vscode.commands.executeCommand('setContext', 'earshot.sessionRunning', s.state === 'streaming');
      panel.showSessionState(s);
      statusBar.update(s);
      sessionChanged.fire(s);
      if (s.state === 'done') void finished(s);
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!DAEMON_SETTINGS.some((key) => e.affectsConfiguration(key))) return;
      if (session && session.state !== 'done') {
        void vscode.window.showInformationMessage('Earshot settings changed: they apply to the next session.');
        return;
      }
      await client.restart().catch((err) => output.error(`restart after settings change failed: ${err}`));
    }),
  );

  /** A session is over: open its notes (or say why it ended). */
  async function finished(s: SessionStateParams): Promise<void> {
    if (s.error) void showError(new Error(s.error));
    try {
      await vscode.window.showTextDocument(vscode.Uri.file(s.notesPath), { preview: false, viewColumn: vscode.ViewColumn.Active });
    } catch (e) {
      output.error(`could not open notes ${s.notesPath}: ${(e as Error).message}`);
    }
  }

  const command = (id: string, run: (...args: never[]) => Promise<unknown>) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, async (...args: never[]) => {
      try {
        return await run(...args);
      } catch (e) {
        await showError(e);
        return undefined;
      }
    }));

  command('earshot.startMeetingNotes', async () => {
    const settings = EarshotSettings.read();
    const sources = settings.meetingSources;
    if (sources.length === 0) {
      const open = await vscode.window.showWarningMessage('Earshot: both the microphone and system audio are turned off.', 'Open Settings');
      if (open) await vscode.commands.executeCommand('workbench.action.openSettings', 'earshot.sources');
      return undefined;
    }
    await vscode.commands.executeCommand(`${TranscriptPanel.viewId}.focus`);
    const title = new Date().toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
    const result = await client.start({ sources, title: `Meeting ${title}`, devices: settings.devices, speakers: settings.speakers });
    // A source this machine cannot record (e.g. system audio without a loopback): say how to enable it; the rest records.
    for (const u of result.unavailable ?? []) {
      void vscode.window.showWarningMessage(`Earshot: ${u.message}`, 'Open Settings').then((picked) => {
        if (picked) void vscode.commands.executeCommand('workbench.action.openSettings', 'earshot.sources');
      });
    }
    return result;
  });

  command('earshot.exportSession', async (sessionId?: string, format?: ExportFormat, target?: vscode.Uri) => {
    const id = sessionId ?? session?.sessionId;
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

  command('earshot.chooseMicrophone', async () => chooseDevice('mic'));
  command('earshot.chooseSystemAudioSource', async () => chooseDevice('system'));

  /** A quick pick of the devices the daemon can record; the choice goes into the settings. */
  async function chooseDevice(kind: LiveSourceKind): Promise<string | undefined> {
    const list = await client.listDevices();
    const devices = kind === 'mic' ? list.microphones : list.systemSources;
    const setting = kind === 'mic' ? 'devices.microphone' : 'devices.systemAudio';
    const current = vscode.workspace.getConfiguration('earshot').get<string>(setting, '') || 'default';
    if (kind === 'system' && !list.systemAudio.available) void vscode.window.showWarningMessage(`Earshot: ${list.systemAudio.message ?? 'system audio cannot be recorded here.'}`);
    const items = [
      { label: 'System default', description: current === 'default' ? 'in use' : '', id: 'default' },
      ...devices.map((d) => ({ label: d.label, description: [d.isDefault ? 'default' : '', d.id === current ? 'in use' : ''].filter(Boolean).join(' · '), detail: d.id, id: d.id })),
    ];
    const picked = await vscode.window.showQuickPick(items, {
      title: kind === 'mic' ? 'Earshot: Choose Microphone' : 'Earshot: Choose System Audio Source',
      placeHolder: devices.length ? 'Applies to the next session' : `No devices found. ${list.notes.join(' ')}`,
    });
    if (!picked) return undefined;
    await vscode.workspace.getConfiguration('earshot').update(setting, picked.id === 'default' ? '' : picked.id, vscode.ConfigurationTarget.Global);
    return picked.id;
  }

  /** Capture faults: an error with a Retry action; recovery is announced once, quietly. */
  const faulted = new Set<LiveSourceKind>();
  context.subscriptions.push(client.onSourceStatus(async (st) => {
    const name = st.source === 'mic' ? 'Microphone' : 'System audio';
    if (st.state === 'failed' || st.state === 'stalled') {
      if (faulted.has(st.source)) return; // one message per outage; the retries keep going by themselves
      faulted.add(st.source);
      output.warn(`${name}: ${st.state}${st.reason ? ` (${st.reason})` : ''}`);
      const picked = await vscode.window.showErrorMessage(`Earshot: ${st.message ?? `${name} stopped delivering audio.`} Earshot keeps retrying.`, 'Retry Now', 'Choose Device…', 'Show Log');
      if (picked === 'Retry Now') await client.retrySource(st.sessionId, st.source).catch((e) => showError(e));
      else if (picked === 'Choose Device…') await vscode.commands.executeCommand(st.source === 'mic' ? 'earshot.chooseMicrophone' : 'earshot.chooseSystemAudioSource');
      else if (picked === 'Show Log') output.show();
    } else if (st.state === 'capturing' && faulted.delete(st.source)) {
      void vscode.window.showInformationMessage(`Earshot: ${name.toLowerCase()} is back; recording continues.`);
    }
  }));
  context.subscriptions.push(client.onSessionState((s) => { if (s.state === 'done') faulted.clear(); }));

  command('earshot.transcribeFile', async (file?: vscode.Uri) => {
    const uri = file ?? (await vscode.window.showOpenDialog({
      canSelectMany: false, openLabel: 'Transcribe', title: 'Transcribe an audio file', filters: { 'WAV audio': ['wav', 'wave'] },
    }))?.[0];
    if (!uri) return undefined;
    await vscode.commands.executeCommand(`${TranscriptPanel.viewId}.focus`);
    return client.start({ sources: ['file'], audioFile: uri.fsPath, pace: 'fast' });
  });

  command('earshot.stop', async (): Promise<SessionStopResult | undefined> => {
    if (!session || session.state === 'done') {
      void vscode.window.showInformationMessage('Earshot: no session is running.');
      return undefined;
    }
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Earshot: finishing the transcript and writing notes…' },
      () => client.stop(session!.sessionId),
    );
  });

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

  command('earshot.showPanel', async () => vscode.commands.executeCommand(`${TranscriptPanel.viewId}.focus`));
  command('earshot.restartDaemon', async () => client.restart());

  /** Errors are shown to the user with what they can do about them, not only logged. */
  async function showError(e: unknown): Promise<void> {
    const message = e instanceof Error ? e.message : String(e);
    output.error(message);
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
  }

  async function chooseModel(): Promise<void> {
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Use this model', filters: { 'Whisper ggml model': ['bin'] } });
    if (picked?.[0]) await vscode.workspace.getConfiguration('earshot').update('model.path', picked[0].fsPath, vscode.ConfigurationTarget.Global);
  }

  context.subscriptions.push(watchVocabulary((words) => client.sendVocabulary(words)));

  // Start the daemon now so the first command is quick; failures surface when a command needs it.
  client.ensureStarted().catch((e) => output.error(`daemon did not start: ${(e as Error).message}`));

  return { client, panel, get session() { return session; }, onDidChangeSession: sessionChanged.event };
}

export function deactivate(): void {
  // The client is disposed with the context's subscriptions; the daemon finalizes its session on exit.
}
