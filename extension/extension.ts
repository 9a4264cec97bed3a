/**
 * Earshot's VS Code extension: commands, the side panel and the status bar over the daemon client.
 * It holds no audio logic: everything about audio happens in the daemon.
 */
import * as os from 'node:os';
import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import { MACOS_AUDIO_CAPTURE_SETTINGS } from '../daemon/capture/audiotee';
import { PanelCommand } from '../protocol/panel';
import { ExtractionProgressView } from './extractionProgress';
import {
  DEVICE_TEST_SESSION_ID, DeviceTestResult, ErrorCodes, ExportFormat, LiveSourceKind, SessionPauseResult, SessionStateParams, SessionStopResult,
} from '../protocol/protocol';
import { EditorActivityReporter } from './activity';
import { DaemonClient } from './client';
import { DictationApi, DictationController, DictationTarget } from './dictation/controller';
import { HEALTH_SCHEME, HealthView } from './health';
import { chooseLanguageModel, chooseLocalModel, LocalNotesModels } from './languageModelPicker';
import { TranscriptPanel } from './panel';
import { chooseOffer, downloadSize, offerFrom } from './modelOffer';
import { MEETING_ENDED_KEY, NOTE_DONE_KEYS, notesToShow, SYSTEM_AUDIO_HEARD_DBFS } from './panelNotes';
import { deleteAllData, DeleteAllDataArgs, watchWorkspaceTrust } from './privacy';
import { DAEMON_SETTINGS, EarshotSettings } from './settings';
import { SessionStatusBar } from './statusBar';
import { watchVocabulary } from './vocabulary';
import { WorkspaceIndexer } from './workspaceIndex';
import { ResumedSession, SessionRecovery } from './recovery';
import type { ActionItemsNode } from './memory/actionItemsView';
import { MeetingMemory } from './memory/meetingMemory';
import { settingsLink, withoutSettingsLink } from './settingsLinks';

/** The walkthrough's id in package.json `contributes.walkthroughs`. */
export const WALKTHROUGH_ID = 'getStarted';

/** What activate() returns: used by the extension's own tests and by other extensions. */
export interface EarshotApi {
  client: DaemonClient;
  panel: TranscriptPanel;
  /** The last session state seen. */
  readonly session: SessionStateParams | undefined;
  onDidChangeSession: vscode.Event<SessionStateParams>;
  /**
   * Dictation: `active`, the ghost text shown (`partial`), and `onDidInsert`, fired after each final utterance is
   * written (a test awaits it after `earshot.toggleDictation`); `dictate(text)` applies an utterance without audio.
   */
  dictation: DictationApi;
  /** The status bar item as shown: text without icons, Markdown tooltip, click command. */
  statusBar: Pick<SessionStatusBar, 'text' | 'tooltip' | 'command'>;
  /** The workspace index sent to the daemon (`last`), and `refresh()` to send it now. */
  workspaceIndex: Pick<WorkspaceIndexer, 'last' | 'refresh' | 'onDidSend'>;
  /** Fired once a session is resumed after its daemon died (the panel restored), or resumed from an earlier window. */
  onDidResumeSession: vscode.Event<ResumedSession>;
  /** Meeting memory: the @earshot chat's handler (tests call it with a recording stream) and the Action items view. */
  memory: Pick<MeetingMemory, 'chat' | 'actionItems' | 'participantRegistered'>;
  /** Fired when the notes-model picker has all its choices (local servers and Earshot's models): a test navigates it then. */
  onDidLoadLanguageModelPick: vscode.Event<void>;
}

export async function activate(context: vscode.ExtensionContext): Promise<EarshotApi> {
  const output = vscode.window.createOutputChannel('Earshot', { log: true });
  const client = new DaemonClient(context, output);
  const statusBar = new SessionStatusBar();
  const extractionProgress = new ExtractionProgressView((sessionId) => client.cancelExtraction(sessionId));
  const panel = new TranscriptPanel(context.extensionUri, (command: PanelCommand) => void vscode.commands.executeCommand(`earshot.${command}`), client);
  // The panel's dismissible notes (panelNotes.ts): the rules-alone note, on macOS how to allow system audio, and after
  // the first meeting without a language model the offer of one (modelOffer.ts).
  const showNotes = () => {
    const settings = EarshotSettings.read();
    const notes = notesToShow({
      platform: process.platform, release: os.release(), enhancementProvider: settings.enhancement.provider,
      systemAudio: settings.meetingSources.includes('system'), systemDevice: settings.devices.system ?? '',
      meetingEnded: !!context.globalState.get<boolean>(MEETING_ENDED_KEY), notesModelPath: settings.notesModelPath,
    }, (note) => !!context.globalState.get<boolean>(NOTE_DONE_KEYS[note]));
    panel.showNotes(notes);
    // The offer names the model and its size: the daemon knows which suits this machine.
    if (notes.includes('modelOffer') && !panel.offered) {
      void client.listModels().then((list) => panel.showModelOffer(offerFrom(list)), (e) => output.warn(`model offer: ${(e as Error).message}`));
    }
  };
  panel.onDismissNote = (note) => void context.globalState.update(NOTE_DONE_KEYS[note], true).then(showNotes);
  panel.onModelOfferChoice = async (choice) => {
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
      markDone: async () => { await context.globalState.update(NOTE_DONE_KEYS.modelOffer, true); showNotes(); },
    });
    void vscode.window.showInformationMessage(`Earshot: ${message}`);
  };
  showNotes();
  const sessionChanged = new vscode.EventEmitter<SessionStateParams>();
  let session: SessionStateParams | undefined;
  const dictation = new DictationController(client, output, () => session);
  const activity = new EditorActivityReporter((p) => client.sendEditorActivity(p), output, () => EarshotSettings.read().notesDir(context));
  const workspaceIndex = new WorkspaceIndexer(client, output);
  const recovery = new SessionRecovery(client, panel, output, () => session);
  // Earshot: Show Health (recent problems are collected from activation on) and the privacy commands.
  const health = new HealthView(client, () => session);
  const privacy = { client, context, session: () => session, output };
  context.subscriptions.push(health, vscode.workspace.registerTextDocumentContentProvider(HEALTH_SCHEME, health), watchWorkspaceTrust(privacy));

  context.subscriptions.push(
    // Disposed in this order: dictation first, so it can still ask the daemon to stop its session.
    output, dictation, activity, workspaceIndex, recovery, client, statusBar, sessionChanged,
    vscode.window.registerWebviewViewProvider(TranscriptPanel.viewId, panel, { webviewOptions: { retainContextWhenHidden: true } }),
    client.onTranscript((s) => panel.showSegment(s)),
    client.onActionItem((i) => panel.showActionItem(i)),
    client.onDecision((d) => panel.showDecision(d)),
    client.onSummary((s) => panel.showSummary(s)),
    client.onSourceStatus((s) => panel.showSourceStatus(s)),
    client.onInputLevel((l) => {
      panel.showInputLevel(l);
      // System audio came through the tap: it is allowed, and the macOS note has done its work.
      if (l.source === 'system' && l.rmsDbfs > SYSTEM_AUDIO_HEARD_DBFS && process.platform === 'darwin' && !context.globalState.get<boolean>(NOTE_DONE_KEYS.macosAudio)) {
        void context.globalState.update(NOTE_DONE_KEYS.macosAudio, true).then(showNotes);
      }
    }),
    client.onHealth((h) => panel.showHealth(h)),
    client.onModelProgress((p) => panel.showModelProgress(p)),
    client.onExtractionProgress((p) => {
      panel.showExtraction(p);
      extractionProgress.show(p, session?.sessionId === p.sessionId && session.state === 'streaming');
    }),
    client.onDaemonExit(() => {
      // A session cannot outlive its daemon: say so instead of showing "Listening" forever (unless it is being resumed).
      if (session && session.state !== 'done' && !recovery.recovering) {
        client.emitSessionState({ ...session, state: 'done', error: 'The Earshot daemon stopped unexpectedly. Finalized text is kept in the session journal.' });
      }
    }),
    client.onSessionState((s) => {
      session = s;
      setContextKeys(s);
      if (s.state === 'streaming') activity.start(Date.parse(s.startedAt));
      else activity.stop();
      panel.showSessionState(s);
      statusBar.update(s);
      sessionChanged.fire(s);
      if (s.state === 'done') void finished(s);
      // The first meeting that ends is when the model offer shows (if no model is chosen).
      if (s.state === 'done' && s.mode !== 'dictation' && !context.globalState.get<boolean>(MEETING_ENDED_KEY)) {
        void context.globalState.update(MEETING_ENDED_KEY, true).then(showNotes);
      }
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (['earshot.enhancement.provider', 'earshot.notes.model.path', 'earshot.sources.systemAudio', 'earshot.devices.systemAudio'].some((key) => e.affectsConfiguration(key))) showNotes();
      if (!DAEMON_SETTINGS.some((key) => e.affectsConfiguration(key))) return;
      if (session && session.state !== 'done') {
        void vscode.window.showInformationMessage('Earshot settings changed: they apply to the next session.');
        return;
      }
      await client.restart().catch((err) => output.error(`restart after settings change failed: ${err}`));
    }),
  );

  /**
   * Context keys for `when` clauses: earshot.sessionRunning (any session records: Stop, Pause apply),
   * earshot.meetingRunning / earshot.dictating (which kind), earshot.sessionPaused (Resume applies),
   * earshot.sessionBusy (stopping or finalizing: the notes are being written).
   */
  function setContextKeys(s: SessionStateParams | undefined): void {
    const streaming = s?.state === 'streaming';
    const dictating = streaming && s?.mode === 'dictation';
    const keys: Record<string, boolean> = {
      'earshot.sessionRunning': streaming,
      'earshot.meetingRunning': streaming && !dictating,
      'earshot.dictating': dictating,
      'earshot.sessionPaused': streaming && (s?.paused?.length ?? 0) > 0,
      'earshot.sessionBusy': s?.state === 'stopping' || s?.state === 'finalizing',
    };
    for (const [key, value] of Object.entries(keys)) void vscode.commands.executeCommand('setContext', key, value);
  }
  setContextKeys(undefined);

  /** A session is over: open its notes (or say why it ended). A dictation writes no notes. */
  async function finished(s: SessionStateParams): Promise<void> {
    if (s.error) void showError(new Error(s.error));
    if (s.mode === 'dictation' || !s.notesPath) return;
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
        // Shown, not awaited: the command resolves (undefined) at once instead of when the message is dismissed.
        void showError(e);
        return undefined;
      }
    }));

  // Rules only, a VS Code model, a model of a server running here (found by the daemon), or the settings.
  // `{ localModel: id }` (keybindings, links): that local model, downloaded if need be, without the pick.
  const pickLoaded = new vscode.EventEmitter<void>();
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
      (e) => output.warn(`looking for language models on this machine failed: ${(e as Error).message}`), localNotesModels, () => pickLoaded.fire())));

  // macOS: the pane where VS Code is allowed to record system audio (macOS never asks it: see panelNotes.ts).
  command('earshot.openSystemAudioSettings', async () => {
    if (process.platform !== 'darwin') {
      void vscode.window.showInformationMessage('Earshot: only macOS asks you to allow system audio recording; here there is nothing to allow.');
      return;
    }
    await vscode.env.openExternal(vscode.Uri.parse(MACOS_AUDIO_CAPTURE_SETTINGS));
  });

  // The opt-in language-model extraction at stop: also cancellable from the panel (its Cancel button runs this).
  command('earshot.cancelExtraction', async () => {
    const sessionId = extractionProgress.running ?? session?.sessionId;
    if (!sessionId) return;
    const { cancelled } = await client.cancelExtraction(sessionId);
    if (!cancelled) void vscode.window.showInformationMessage('Earshot: no language-model extraction is running.');
  });

  command('earshot.startMeetingNotes', async () => {
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
      // Permission faults name the settings pane by URI (macOS, Windows): offered as a button instead of unclickable text.
      const settings = settingsLink(st.message);
      const text = withoutSettingsLink(st.message ?? `${name} stopped delivering audio.`);
      const picked = await vscode.window.showErrorMessage(`Earshot: ${text} Earshot keeps retrying.`, ...(settings ? ['Open Settings'] : []), 'Retry Now', 'Choose Device…', 'Show Log');
      if (picked === 'Open Settings' && settings) await vscode.env.openExternal(vscode.Uri.parse(settings));
      else if (picked === 'Retry Now') await client.retrySource(st.sessionId, st.source).catch((e) => showError(e));
      else if (picked === 'Choose Device…') await vscode.commands.executeCommand(st.source === 'mic' ? 'earshot.chooseMicrophone' : 'earshot.chooseSystemAudioSource');
      else if (picked === 'Show Log') output.show();
    } else if (st.state === 'capturing' && faulted.delete(st.source)) {
      void vscode.window.showInformationMessage(`Earshot: ${name.toLowerCase()} is back; recording continues.`);
    }
    if (st.state === 'capturing' && st.hint) {
      output.warn(`${name}: ${st.hint}`);
      const link = settingsLink(st.hint);
      const picked = await vscode.window.showWarningMessage(`Earshot: ${withoutSettingsLink(st.hint)}`, ...(link ? ['Open Settings'] : []));
      if (picked === 'Open Settings' && link) await vscode.env.openExternal(vscode.Uri.parse(link));
    }
  }));
  context.subscriptions.push(client.onSessionState((s) => { if (s.state === 'done') faulted.clear(); }));

  /**
   * The notes folder cannot be written (read-only, missing, disk full): said once per session, with what to do; the
   * daemon keeps recording and retries, and says when the notes are written again (SessionStateParams.notesError).
   */
  const notesWarned = new Set<string>();
  let notesFailing: string | undefined;
  context.subscriptions.push(client.onSessionState(async (s) => {
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
  }));

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
    if (session.mode === 'dictation') {
      await dictation.stop();
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

  /** One key for meeting notes: start when nothing records, stop when a meeting records. */
  command('earshot.toggleMeetingNotes', async () => {
    if (session?.state === 'streaming' && session.mode !== 'dictation') return vscode.commands.executeCommand('earshot.stop');
    return vscode.commands.executeCommand('earshot.startMeetingNotes');
  });

  /** `args.target: 'terminal'` (the keybinding when the terminal has focus): dictate into the active terminal. */
  command('earshot.toggleDictation', async (args?: { target?: DictationTarget }) => dictation.toggle({ target: args?.target }));

  command('earshot.pause', async () => pauseSession(true));
  command('earshot.resume', async () => pauseSession(false));

  /** Pauses or resumes every live source of the running session (the panel pauses one source through the client). */
  async function pauseSession(paused: boolean): Promise<SessionPauseResult | undefined> {
    if (!session || session.state !== 'streaming') {
      void vscode.window.showInformationMessage('Earshot: no session is recording.');
      return undefined;
    }
    const result = await client.pause(session.sessionId, paused);
    // The daemon also sends the new state; this keeps Resume usable if that is still on its way.
    void vscode.commands.executeCommand('setContext', 'earshot.sessionPaused', result.paused.length > 0);
    return result;
  }

  command('earshot.testMicrophone', async (device?: string) => testMicrophone(device));

  /**
   * Records 5 s from the microphone (earshot.devices.microphone, or `device`) with the live level in a progress
   * notification, then says whether anything was heard and what to check if not. Resolves with the result without
   * waiting for the message to be dismissed.
   */
  async function testMicrophone(device?: string): Promise<DeviceTestResult | undefined> {
    if (session && session.state !== 'done') {
      void vscode.window.showInformationMessage('Earshot: a session is recording: its level meter in the panel shows what the microphone hears. Test the microphone when it is over.');
      return undefined;
    }
    const mic = device ?? EarshotSettings.read().devices.mic;
    const seconds = 5;
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Earshot: testing the microphone', cancellable: true },
      async (progress, cancelled) => {
        progress.report({ message: 'Starting…' });
        const started = Date.now();
        let loudest = -100;
        const sub = client.onInputLevel((l) => {
          if (l.sessionId !== DEVICE_TEST_SESSION_ID || l.source !== 'mic') return;
          loudest = Math.max(loudest, l.peakDbfs);
          const left = Math.max(0, Math.ceil(seconds - (Date.now() - started) / 1000));
          progress.report({ message: `Speak now… ${levelInWords(l.rmsDbfs)} (peak so far ${dbfs(loudest)}) ${left} s` });
        });
        // A recorder that never answers must not leave the notification up: give up a while after the test's end.
        const cancel = new vscode.CancellationTokenSource();
        const timer = setTimeout(() => cancel.cancel(), (seconds + 15) * 1000);
        const onCancel = cancelled.onCancellationRequested(() => cancel.cancel());
        try {
          return await client.testDevice({ source: 'mic', ...(mic ? { device: mic } : {}), seconds }, cancel.token);
        } catch (e) {
          if (cancelled.isCancellationRequested) return undefined;
          if (cancel.token.isCancellationRequested) throw new Error(`The microphone test got no answer from the recorder within ${seconds + 15} s.`);
          throw e;
        } finally {
          clearTimeout(timer);
          onCancel.dispose();
          cancel.dispose();
          sub.dispose();
        }
      },
    );
    if (!result) return undefined;
    const where = `${mic ? `"${mic}"` : 'the default microphone'}${result.recorder ? ` (${result.recorder})` : ''}`;
    if (result.heard) {
      void vscode.window.showInformationMessage(`Earshot heard you on ${where}: peak ${dbfs(result.peakDbfs)}. Meeting notes and dictation are ready.`,
        'Start Dictation').then((picked) => { if (picked) void vscode.commands.executeCommand('earshot.toggleDictation'); });
    } else {
      const tips = process.platform === 'darwin'
        ? 'Check that it is not muted and that VS Code may use the microphone (System Settings › Privacy & Security › Microphone).'
        : process.platform === 'win32'
          ? 'Check that it is not muted and that desktop apps may use the microphone (Settings › Privacy › Microphone).'
          : 'Check that it is not muted and that its input volume is up (pavucontrol or the sound settings).';
      void vscode.window.showWarningMessage(`Earshot heard nothing from ${where} (peak ${dbfs(result.peakDbfs)}). ${tips} Or choose another microphone.`,
        'Choose Microphone…', 'Test Again').then((picked) => {
        if (picked === 'Choose Microphone…') void vscode.commands.executeCommand('earshot.chooseMicrophone');
        else if (picked === 'Test Again') void vscode.commands.executeCommand('earshot.testMicrophone', device);
      });
    }
    return result;
  }

  command('earshot.openWalkthrough', async () =>
    vscode.commands.executeCommand('workbench.action.openWalkthrough', `${context.extension.id}#${WALKTHROUGH_ID}`, false));

  command('earshot.showPanel', async () => vscode.commands.executeCommand(`${TranscriptPanel.viewId}.focus`));
  command('earshot.restartDaemon', async () => client.restart());
  /** Returns the Markdown shown; `{ show: false }` only returns it (tests). */
  command('earshot.showHealth', async (args?: { show?: boolean }) => health.show(args));
  /** `{ confirm: true, includeModels: false }` skips the dialog (tests); resolves with what the daemon deleted. */
  command('earshot.deleteAllData', async (args?: DeleteAllDataArgs) => deleteAllData(privacy, args));

  /** Errors are shown to the user with what they can do about them, not only logged. */
  async function showError(e: unknown): Promise<void> {
    const message = e instanceof Error ? e.message : String(e);
    output.error(message);
    health.note('error', 'command', message);
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

  // Meeting memory (memory/): @earshot in VS Code's chat, and the Action Items view of every meeting's open items.
  const memory = new MeetingMemory(context, client, output);
  context.subscriptions.push(memory);
  command('earshot.actionItems.refresh', async () => memory.actionItems.refresh());
  command('earshot.actionItems.groupByOwner', async () => memory.actionItems.setGrouping('owner'));
  command('earshot.actionItems.groupByMeeting', async () => memory.actionItems.setGrouping('meeting'));
  command('earshot.actionItems.markDone', async (node?: ActionItemsNode) => memory.actionItems.markDone(node));
  command('earshot.actionItems.revealInNotes', async (node?: ActionItemsNode) => memory.revealInNotes(node));
  command('earshot.actionItems.insertAsTodo', async (node?: ActionItemsNode) => memory.insertAsTodo(node));
  command('earshot.openSessionTranscript', async (sessionId: string, index?: number) => memory.openTranscript(sessionId, index));

  context.subscriptions.push(watchVocabulary((words) => client.sendVocabulary(words), client.onDaemonStart));

  // Start the daemon now so the first command is quick; failures surface when a command needs it. The workspace
  // index follows once it runs (and after every restart: client.onDaemonStart).
  client.ensureStarted().catch((e) => output.error(`daemon did not start: ${(e as Error).message}`));

  void openWalkthroughOnce(context);

  return {
    client, panel, get session() { return session; }, onDidChangeSession: sessionChanged.event, dictation, statusBar, workspaceIndex,
    onDidResumeSession: recovery.onDidResumeSession, memory, onDidLoadLanguageModelPick: pickLoaded.event,
  };
}

/**
 * Opens the walkthrough on the first activation after install. Not in tests or CI (it would take focus from the
 * editors a test drives), nor when the user turned off `workbench.welcomePage.walkthroughs.openOnInstall`.
 */
async function openWalkthroughOnce(context: vscode.ExtensionContext): Promise<void> {
  const key = 'earshot.walkthroughShown';
  if (context.globalState.get<boolean>(key)) return;
  await context.globalState.update(key, true);
  const automated = context.extensionMode !== vscode.ExtensionMode.Production || !!process.env.CI || !!process.env.EARSHOT_NO_WALKTHROUGH;
  if (automated || !vscode.workspace.getConfiguration('workbench.welcomePage.walkthroughs').get<boolean>('openOnInstall', true)) return;
  await vscode.commands.executeCommand('earshot.openWalkthrough');
}

/** A level in words and a small meter, e.g. "good level −23 dBFS ▮▮▮▮▯▯". */
export function levelInWords(rmsDbfs: number): string {
  const words = rmsDbfs < -60 ? 'silence' : rmsDbfs < -45 ? 'very quiet' : rmsDbfs < -30 ? 'quiet' : rmsDbfs < -10 ? 'good level' : 'very loud';
  const bars = Math.max(0, Math.min(6, Math.round((rmsDbfs + 60) / 10)));
  return `${words} ${dbfs(rmsDbfs)} ${'▮'.repeat(bars)}${'▯'.repeat(6 - bars)}`;
}

function dbfs(value: number): string {
  return `${value < 0 ? '−' : ''}${Math.abs(Math.round(value))} dBFS`;
}

export function deactivate(): void {
  // The client is disposed with the context's subscriptions; the daemon finalizes its session on exit.
}
