/**
 * Crash recovery in the window: when the daemon dies while a session records, the client restarts it (see
 * DaemonClient.onDaemonCrash) and this resumes the session under the same id, restores the panel from the daemon's
 * answer and re-applies a pause; a crash loop ends the session with an error offering Restart / Show Log. At the first
 * start, sessions an earlier window left interrupted are offered for resuming (the newest recent meeting) or finished.
 */
import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';
import { ErrorCodes, InterruptedSession, SessionResumeResult, SessionStateParams } from '../../protocol/protocol';
import type { DaemonClient } from '../client/client';
import { planInterrupted, RestartDecision, sessionAfterCrash } from '../client/crashPolicy';
import { TranscriptPanel } from '../panel/panel';
import { notesUri } from '../remote/remoteNotes';

/** A session resumed after its daemon died (or from an earlier window), as the API's onDidResumeSession reports it. */
export interface ResumedSession {
  sessionId: string;
  /** 'crash': the daemon of this window died; 'interrupted': left by an earlier window, resumed on the user's word. */
  reason: 'crash' | 'interrupted';
  /** Final segments the panel was restored with. */
  segments: number;
  result: SessionResumeResult;
}

export class SessionRecovery implements vscode.Disposable {
  /** The session to resume (or finish) once the restarted daemon runs. */
  private pending: { session: SessionStateParams; action: 'resume' | 'finalize' } | undefined;
  private firstStart = true;
  private readonly resumed = new vscode.EventEmitter<ResumedSession>();
  readonly onDidResumeSession = this.resumed.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly client: DaemonClient,
    private readonly panel: TranscriptPanel,
    private readonly output: vscode.LogOutputChannel,
    private readonly currentSession: () => SessionStateParams | undefined,
  ) {
    this.subscriptions = [
      this.resumed,
      client.onDaemonCrash((decision) => this.crashed(decision)),
      client.onDaemonStart(() => void this.started()),
    ];
  }

  /** Whether a session waits for the restarted daemon (the exit is not the session's end). */
  get recovering(): boolean {
    return this.pending !== undefined;
  }

  private crashed(decision: RestartDecision): void {
    const session = this.pending?.session ?? this.currentSession();
    const action = this.pending?.action ?? sessionAfterCrash(session);
    if (!session || action === 'none') return;
    if (decision.restart) {
      this.pending = { session, action };
      vscode.window.setStatusBarMessage('$(sync~spin) Earshot: the daemon stopped; restarting it and resuming the session…', 5000);
      return;
    }
    this.pending = undefined;
    this.end(session, `${decision.message} Everything finalized before that is kept in the session journal.`);
    void vscode.window.showErrorMessage(`Earshot: ${decision.message} "${session.title}" was not resumed; what was finalized is kept.`, 'Restart', 'Show Log')
      .then(async (picked) => {
        if (picked === 'Show Log') this.output.show();
        if (picked !== 'Restart') return;
        this.pending = { session, action: action === 'resume' ? 'resume' : 'finalize' };
        await this.client.restart().catch((e) => this.output.error(`restart failed: ${(e as Error).message}`));
      });
  }

  private async started(): Promise<void> {
    const pending = this.pending;
    const first = this.firstStart;
    this.firstStart = false;
    if (pending) {
      this.pending = undefined;
      await this.recover(pending.session, pending.action);
    } else if (first) {
      await this.offerInterrupted().catch((e) => this.output.warn(`could not look for interrupted sessions: ${(e as Error).message}`));
    }
  }

  /** Resumes (or finishes) the session whose daemon died. */
  private async recover(session: SessionStateParams, action: 'resume' | 'finalize'): Promise<void> {
    const { sessionId } = session;
    try {
      if (action === 'finalize') {
        await this.client.stop(sessionId);
        // The daemon that ran it is gone: its 'done' comes from here.
        this.client.emitSessionState({ ...session, state: 'done', paused: [] });
        return;
      }
      const result = await this.resume(sessionId);
      if (session.paused.length) await this.client.pause(sessionId, true).catch((e) => this.output.warn(`could not pause again: ${(e as Error).message}`));
      this.output.info(`session ${sessionId} resumed after the daemon stopped (${result.transcript.segments.length} final segments restored)`);
      this.resumed.fire({ sessionId, reason: 'crash', segments: result.transcript.segments.length, result });
    } catch (e) {
      if (!(e instanceof ResponseError)) {
        // The connection broke again (another crash): the next restart tries again, or the crash loop gives up.
        this.pending ??= { session, action };
        this.output.warn(`resuming ${sessionId} failed: ${(e as Error).message}`);
        return;
      }
      if (e.code === ErrorCodes.SessionEnded) {
        // Finished meanwhile (Stop while the daemon restarted): its notes are complete.
        this.client.emitSessionState({ ...session, state: 'done', paused: [] });
        return;
      }
      this.end(session, `The Earshot daemon stopped unexpectedly and the session could not be resumed: ${e.message} Finalized text is kept in the session journal.`);
      // It cannot go on (its audio file is gone, say): finish it now so its notes are complete.
      if (e.code !== ErrorCodes.SessionAlreadyRunning) await this.client.stop(sessionId).catch(() => undefined);
    }
  }

  /** Resumes with the devices and labels the session started with (journaled in its header). */
  private async resume(sessionId: string): Promise<SessionResumeResult> {
    const result = await this.client.resume({ sessionId });
    this.panel.restore(result.transcript);
    return result;
  }

  /** A session that cannot go on: shown as ended, with why. */
  private end(session: SessionStateParams, error: string): void {
    if (this.currentSession()?.sessionId === session.sessionId && this.currentSession()?.state === 'done') return;
    this.client.emitSessionState({ ...session, state: 'done', paused: [], error });
  }

  /** At the first start: offer to resume the newest recent interrupted meeting; finish the others. */
  private async offerInterrupted(): Promise<void> {
    const found = await this.client.interruptedSessions();
    if (found.length === 0) return;
    const { offer, finish } = planInterrupted(found, Date.now());
    for (const s of finish) await this.finish(s, false);
    if (!offer) return;
    const picked = await vscode.window.showInformationMessage(
      `Earshot: the meeting "${offer.title}" was interrupted (${offer.finalSegments} line${offer.finalSegments === 1 ? '' : 's'} kept). Resume recording it, or finish its notes?`,
      'Resume', 'Finish');
    if (picked === 'Resume') {
      try {
        await vscode.commands.executeCommand(`${TranscriptPanel.viewId}.focus`);
        const result = await this.resume(offer.sessionId);
        this.resumed.fire({ sessionId: offer.sessionId, reason: 'interrupted', segments: result.transcript.segments.length, result });
      } catch (e) {
        const finished = e instanceof ResponseError && e.code === ErrorCodes.SessionEnded;
        void vscode.window.showErrorMessage(`Earshot: ${finished ? `"${offer.title}" was finished meanwhile (its notes are complete).` : (e as Error).message}`);
      }
    } else if (picked === 'Finish') {
      await this.finish(offer, true);
    }
    // Dismissed: the daemon finishes it after a while (InitializationOptions.interruptedGraceSec).
  }

  private async finish(s: InterruptedSession, open: boolean): Promise<void> {
    try {
      const result = await this.client.stop(s.sessionId);
      this.output.info(`interrupted session ${s.sessionId} finished from its journal (${result.segments.length} final segments)`);
      if (open && result.notesPath) await vscode.window.showTextDocument(await notesUri(result.notesPath), { preview: false });
    } catch (e) {
      this.output.warn(`could not finish interrupted session ${s.sessionId}: ${(e as Error).message}`);
    }
  }

  dispose(): void {
    this.subscriptions.forEach((d) => d.dispose());
  }
}
