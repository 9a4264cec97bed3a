// extension/session/: what the window shows of a session as the daemon reports it: the notifications wired to the
// panel, the status bar, the context keys and the API (sessionEvents.ts), and the status bar item (statusBar.ts).
// Starting and stopping sessions is commands/'s. Imports client/, panel/, health/, workspace/ and remote/.
/**
 * What the window shows as the daemon reports: each notification to the side panel, the session's state also to the
 * status bar, the `when`-clause context keys, the editor-activity reporter and the API's onDidChangeSession; the
 * notes opened when a session ends (or why it ended said); a daemon that died mid-session ends it visibly. Owns no
 * command and no audio: commands/sessions.ts starts and stops sessions.
 */
import * as vscode from 'vscode';
import type { SessionStateParams } from '../../protocol/protocol';
import type { EditorActivityReporter } from '../workspace/activity';
import type { DaemonClient } from '../client/client';
import type { ShowError } from '../health/errors';
import type { ExtractionProgressView } from '../panel/extractionProgress';
import type { TranscriptPanel } from '../panel/panel';
import { notesUri } from '../remote/remoteNotes';
import type { SessionRecovery } from '../health/recovery';
import type { SessionStatusBar } from './statusBar';

export interface SessionEventsDeps {
  client: DaemonClient;
  output: vscode.LogOutputChannel;
  panel: TranscriptPanel;
  statusBar: SessionStatusBar;
  activity: EditorActivityReporter;
  extractionProgress: ExtractionProgressView;
  recovery: SessionRecovery;
  /** The last session state seen. */
  session(): SessionStateParams | undefined;
  /** Keeps a new state as the last one seen: called first, before anything else hears of it. */
  setSession(s: SessionStateParams): void;
  sessionChanged: vscode.EventEmitter<SessionStateParams>;
  showError: ShowError;
}

/** Subscribes to the client's notifications and sets the context keys for "no session"; returns the subscriptions. */
export function wireSessionEvents(deps: SessionEventsDeps): vscode.Disposable[] {
  const { client, output, panel, statusBar, activity, extractionProgress, recovery, session, sessionChanged, showError } = deps;

  /** A session is over: open its notes (or say why it ended). A dictation writes no notes. */
  async function finished(s: SessionStateParams): Promise<void> {
    if (s.error) void showError(new Error(s.error));
    if (s.mode === 'dictation' || !s.notesPath) return;
    try {
      await vscode.window.showTextDocument(await notesUri(s.notesPath), { preview: false, viewColumn: vscode.ViewColumn.Active });
    } catch (e) {
      output.error(`could not open notes ${s.notesPath}: ${(e as Error).message}`);
    }
  }

  const subscriptions = [
    client.onTranscript((s) => panel.showSegment(s)),
    client.onRelabel((p) => p.segments.forEach((s) => panel.showSegment(s))),
    client.onActionItem((i) => panel.showActionItem(i)),
    client.onDecision((d) => panel.showDecision(d)),
    client.onSummary((s) => panel.showSummary(s)),
    client.onSourceStatus((s) => panel.showSourceStatus(s)),
    client.onInputLevel((l) => panel.showInputLevel(l)),
    client.onHealth((h) => panel.showHealth(h)),
    client.onModelProgress((p) => panel.showModelProgress(p)),
    client.onExtractionProgress((p) => {
      panel.showExtraction(p);
      const current = session();
      extractionProgress.show(p, current?.sessionId === p.sessionId && current.state === 'streaming');
    }),
    client.onDaemonExit(() => {
      // A session cannot outlive its daemon: say so instead of showing "Listening" forever (unless it is being resumed).
      const current = session();
      if (current && current.state !== 'done' && !recovery.recovering) {
        client.emitSessionState({ ...current, state: 'done', error: 'The Earshot daemon stopped unexpectedly. Finalized text is kept in the session journal.' });
      }
    }),
    client.onSessionState((s) => {
      deps.setSession(s);
      setContextKeys(s);
      if (s.state === 'streaming') activity.start(Date.parse(s.startedAt));
      else activity.stop();
      panel.showSessionState(s);
      statusBar.update(s);
      sessionChanged.fire(s);
      if (s.state === 'done') void finished(s);
    }),
  ];
  setContextKeys(undefined);
  return subscriptions;
}

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
