/**
 * Earshot's VS Code extension: activate() wires the daemon client to the side panel, the status bar and the commands.
 * It holds no audio logic: everything about audio happens in the daemon. Each area is a folder, its main file saying
 * what it owns: the daemon's process and client (client/), the side panel and its actions (panel/), language models
 * for the notes (models/), the settings and privacy (settings/), problems told to the user and crash recovery
 * (health/), what the window shows of a session (session/), remote windows (remote/), what is read of the workspace
 * (workspace/), dictation (dictation/), meeting memory (memory/), the meetings' CodeLens on code (code/), decisions
 * written as ADRs (decisions/), calls on this computer and their offer (calls/), and the commands by area (commands/).
 */
import * as vscode from 'vscode';
import { PanelCommand } from '../protocol/panel';
import { SessionStateParams } from '../protocol/protocol';
import { EditorActivityReporter } from './workspace/activity';
import { DaemonClient } from './client/client';
import { CallsApi, wireCalls } from './calls/calls';
import { registerDeviceCommands } from './commands/devices';
import { registerCodeMeetings } from './code/codeLens';
import { registerDecisionRecordCommand, registerMemoryCommands } from './commands/memory';
import { registerModelCommands } from './commands/models';
import { commandRegistrar } from './commands/registry';
import { registerSessionCommands } from './commands/sessions';
import { onDidShowTemplatePick, registerTemplateCommands, TemplatePick } from './commands/templates';
import { openWalkthroughOnce, registerWorkbenchCommands } from './commands/workbench';
import { DictationApi, DictationController } from './dictation/controller';
import { errorReporter } from './health/errors';
import { ExtractionProgressView } from './panel/extractionProgress';
import { HEALTH_SCHEME, HealthView } from './health/health';
import { MeetingMemory } from './memory/meetingMemory';
import { DecisionRecords } from './decisions/decisionRecords';
import { TranscriptPanel } from './panel/panel';
import { listeningPlace, placeFacts } from './remote/listeningPlace';
import { PanelNotesController } from './panel/panelNotesController';
import { watchPartialsReaders } from './panel/partialsReaders';
import { watchWorkspaceTrust } from './settings/privacy';
import { ResumedSession, SessionRecovery } from './health/recovery';
import { wireNotesMirror } from './remote/remoteNotes';
import { wireSessionEvents } from './session/sessionEvents';
import { watchSessionProblems } from './health/sessionProblems';
import { EarshotSettings } from './settings/settings';
import { watchDaemonSettings } from './client/settingsWatcher';
import { SessionStatusBar } from './session/statusBar';
import { watchVocabulary } from './workspace/vocabulary';
import { WorkspaceIndexer } from './workspace/workspaceIndex';

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
  /**
   * Meeting memory: the @earshot chat's handler (tests call it with a recording stream), the Action items view, and the
   * agent tools (those registered as Language Model Tools; the MCP server definition provider).
   */
  memory: Pick<MeetingMemory, 'chat' | 'actionItems' | 'participantRegistered' | 'agentTools' | 'mcpServer'>;
  /** Fired with the notes-model picker once it has all its choices (local servers and Earshot's models): a test
   *  navigates it then, reading where the cursor is from the pick. */
  onDidLoadLanguageModelPick: vscode.Event<vscode.QuickPick<vscode.QuickPickItem>>;
  /** Call detection: the offers waiting for an answer, and when one is shown or a meeting started for a call. */
  calls: CallsApi;
  /** Fired with Start Meeting Notes' notes-template pick once shown (the workspace keeps templates). */
  onDidShowTemplatePick: vscode.Event<TemplatePick>;
}

export async function activate(context: vscode.ExtensionContext): Promise<EarshotApi> {
  const output = vscode.window.createOutputChannel('Earshot', { log: true });
  const client = new DaemonClient(context, output);
  const statusBar = new SessionStatusBar();
  const extractionProgress = new ExtractionProgressView((sessionId) => client.cancelExtraction(sessionId));
  const panel = new TranscriptPanel(context.extensionUri, (command: PanelCommand) => void vscode.commands.executeCommand(`earshot.${command}`), client);
  const notes = new PanelNotesController(context, client, panel, output);
  const sessionChanged = new vscode.EventEmitter<SessionStateParams>();
  let session: SessionStateParams | undefined;
  const currentSession = () => session;
  const dictation = new DictationController(client, output, currentSession);
  // A remote window's notes are opened from their copy in the workspace (remote/remoteNotes.ts).
  const notesOpenedFrom = () => { const settings = EarshotSettings.read(); return settings.remoteNotes(context)?.remoteDir ?? settings.notesDir(context); };
  const activity = new EditorActivityReporter((p) => client.sendEditorActivity(p), output, notesOpenedFrom);
  // A remote window's index is rooted where its notes are written, so their code links work in the remote copy.
  const workspaceIndex = new WorkspaceIndexer(client, output, { mirroredFolder: () => EarshotSettings.read().remoteNotes(context)?.localFolder });
  const recovery = new SessionRecovery(client, panel, output, currentSession);
  // Earshot: Show Health (recent problems are collected from activation on) and the privacy commands.
  const health = new HealthView(client, currentSession);
  const privacy = { client, context, session: currentSession, output };
  context.subscriptions.push(health, vscode.workspace.registerTextDocumentContentProvider(HEALTH_SCHEME, health), watchWorkspaceTrust(privacy));
  const showError = errorReporter(output, health);

  context.subscriptions.push(
    // Disposed in this order: dictation first, so it can still ask the daemon to stop its session.
    output, dictation, activity, workspaceIndex, recovery, client, statusBar, sessionChanged, notes,
    vscode.window.registerWebviewViewProvider(TranscriptPanel.viewId, panel, { webviewOptions: { retainContextWhenHidden: true } }),
    ...wireSessionEvents({
      client, output, panel, statusBar, activity, extractionProgress, recovery, session: currentSession, setSession: (s) => { session = s; }, sessionChanged, showError,
    }),
    watchDaemonSettings(client, output, currentSession),
    ...watchSessionProblems(client, output, showError),
  );

  const commands = { context, client, output, session: currentSession, command: commandRegistrar(context, showError) };
  const { onDidLoadLanguageModelPick } = registerModelCommands(commands);
  registerDeviceCommands(commands);
  registerSessionCommands({ ...commands, dictation, extractionProgress });
  registerWorkbenchCommands({ ...commands, health, privacy });
  registerTemplateCommands(commands.command, context);
  // Calls (calls/): while earshot.calls.detect is on, an offer of meeting notes once per call; auto-stop in the panel.
  const calls = wireCalls({
    context, client, panel, output, showError, command: commands.command,
    busy: () => dictation.active || (session !== undefined && session.state !== 'done'),
  });
  context.subscriptions.push(...calls.disposables);
  // Meeting memory (memory/): @earshot in VS Code's chat, and the Action Items view of every meeting's open items.
  const memory = new MeetingMemory(context, client, output);
  // Code that remembers its meetings (code/): a CodeLens and hover on the files and symbols meetings spoke of.
  const code = registerCodeMeetings(client, output);
  context.subscriptions.push(memory, code.registration);
  registerMemoryCommands(commands.command, memory, code.meetings);
  // A meeting's decision as an ADR in the workspace (decisions/): from the panel, the notes' CodeLens and @earshot /decisions.
  const decisionRecords = new DecisionRecords(client, output);
  context.subscriptions.push(decisionRecords);
  registerDecisionRecordCommand(commands.command, decisionRecords);

  context.subscriptions.push(watchVocabulary((words) => client.sendVocabulary(words), client.onDaemonStart));
  // Partials only while the panel shows or a dictation runs: otherwise the daemon decodes finals only.
  context.subscriptions.push(watchPartialsReaders({ panel, dictation }, (wanted) => client.sendPartialsWanted(wanted), client.onDaemonStart));

  // A remote window (WSL, SSH, containers): Earshot listens here and its notes are copied into the remote workspace.
  context.subscriptions.push(...wireNotesMirror({ client, output, target: () => EarshotSettings.read().remoteNotes(context) }));
  const place = listeningPlace(placeFacts(context));
  panel.showPlace(place);
  if (place.warning) {
    output.warn(place.warning);
    void vscode.window.showWarningMessage(place.warning);
  }

  // Start the daemon now so the first command is quick; failures surface when a command needs it. The workspace
  // index follows once it runs (and after every restart: client.onDaemonStart).
  client.ensureStarted().catch((e) => output.error(`daemon did not start: ${(e as Error).message}`));

  void openWalkthroughOnce(context);

  return {
    client, panel, get session() { return session; }, onDidChangeSession: sessionChanged.event, dictation, statusBar, workspaceIndex,
    onDidResumeSession: recovery.onDidResumeSession, memory, onDidLoadLanguageModelPick, calls: calls.api, onDidShowTemplatePick,
  };
}

export function deactivate(): void {
  // The client is disposed with the context's subscriptions; the daemon finalizes its session on exit.
}
