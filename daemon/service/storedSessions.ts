/**
 * Sessions in storage, read and changed through their journals: the interrupted ones found at startup and the timers
 * that finalize them, finalizing (finalizeStored.ts does the writing), what a panel shows of one, restoring and
 * ticking items, export. Work on one stored session runs one at a time (serially), a resume's included. It never makes
 * a session current (liveSessions.ts does) and only reads the sessions in memory.
 */
import * as path from 'node:path';
import {
  ActionItem, ActionItemSetDoneParams, Decision, DEFAULT_INTERRUPTED_GRACE_SEC, ErrorCodes, InterruptedSession, ItemRestoreParams,
  SessionExportParams, SessionExportResult, SessionStateParams, SessionStopResult, SessionTranscriptResult, SpeakerRenameParams, SpeakerRenameResult,
} from '../../protocol/protocol';
import { renameInJournal, SpeakerRenameError } from '../documents/speakerNames';
import { ActionItemDoneError, markDoneInJournal, rewriteInJournal } from '../documents/done';
import { exportFileName, exportSession } from '../documents/export';
import { ItemRestoreError, restoreInJournal } from '../documents/restore';
import { JournalContents, readJournal, segmentsOf } from '../journal/journal';
import { liveLockOwner } from '../journal/lock';
import {
  endedResult, findInterruptedSessions, hasEnded, INTERRUPTED_MESSAGE, itemsOf, resumesOf, SessionLockedError, sessionModeOf,
} from '../journal/recovery';
import { ServiceError } from '../serviceError';
import { finalizeInterrupted, summaryOf } from './finalizeStored';
import { ModelExtractions } from './modelExtractions';
import { ServiceConfig, ServiceEvents } from './serviceConfig';
import { SessionsInMemory } from './sessionsInMemory';

/** The journal file of a session id (one this daemon made, or the caller checked). */
export function journalFile(storageDir: string, sessionId: string): string {
  return path.join(storageDir, 'sessions', `${sessionId}.jsonl`);
}

/** Where a session's journal is (or would be) in this storage; SessionNotFound for an id that is not a plain name. */
export function journalPathOf(storageDir: string, sessionId: string): string {
  // An id is a file name, never a path: nothing outside the sessions folder is opened for append.
  if (!sessionId || /[\\/]/.test(sessionId) || sessionId.startsWith('.')) {
    throw new ServiceError(ErrorCodes.SessionNotFound, `No session with id ${JSON.stringify(sessionId)}.`);
  }
  return journalFile(storageDir, sessionId);
}

/** The read of a journal failed: SessionNotFound when there is none (`notFound` words it), InternalError otherwise. */
function unreadable(e: unknown, sessionId: string, notFound: string): ServiceError {
  if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new ServiceError(ErrorCodes.SessionNotFound, notFound);
  return new ServiceError(ErrorCodes.InternalError, `Cannot read the journal of session ${sessionId}: ${(e as Error).message}`);
}

export class StoredSessions {
  /** Interrupted sessions found at startup, each with the timer that finalizes it unless it is resumed or stopped first. */
  private readonly interrupted = new Map<string, NodeJS.Timeout>();
  /** Work on a stored session (resume, finalize), one at a time per session: both take its lock, which is per process. */
  private readonly recovering = new Map<string, Promise<unknown>>();

  constructor(
    private readonly config: ServiceConfig, private readonly events: ServiceEvents,
    private readonly sessions: SessionsInMemory, private readonly extractions: ModelExtractions,
  ) {}

  journalPathOf(sessionId: string): string {
    return journalPathOf(this.config.storageDir, sessionId);
  }

  /** A session's journal from storage; SessionNotFound when there is none. */
  async journal(sessionId: string, journalPath: string): Promise<JournalContents> {
    try {
      return await readJournal(journalPath);
    } catch (e) {
      throw unreadable(e, sessionId, `No session with id ${JSON.stringify(sessionId)} in ${path.dirname(journalPath)}.`);
    }
  }

  /** Runs work on a stored session after any other work on it (a resume and a finalization must not interleave). */
  serially<T>(sessionId: string, work: () => Promise<T>): Promise<T> {
    const run = (this.recovering.get(sessionId) ?? Promise.resolve()).catch(() => undefined).then(work);
    this.recovering.set(sessionId, run);
    void run.catch(() => undefined).finally(() => { if (this.recovering.get(sessionId) === run) this.recovering.delete(sessionId); });
    return run;
  }

  /** Everything a panel shows of a session: the running one, a remembered one, or one in storage (from its journal). */
  async transcript(sessionId: string): Promise<SessionTranscriptResult> {
    const session = this.sessions.lookup(sessionId);
    const journal = await this.journal(sessionId, session?.config.journalPath ?? this.journalPathOf(sessionId));
    const { header } = journal;
    const ended = hasEnded(journal);
    const elsewhere = !session && !ended && (await liveLockOwner(this.journalPathOf(sessionId))) !== undefined;
    const interrupted = !session && !ended && !elsewhere;
    const state: SessionStateParams = {
      sessionId, title: header.title, startedAt: header.startedAt, notesPath: header.notesPath, mode: sessionModeOf(header),
      state: session ? session.state : ended ? 'done' : elsewhere ? 'streaming' : 'idle',
      paused: session && session.state === 'streaming' ? [...session.pausedSources] : [],
      ...(interrupted ? { error: INTERRUPTED_MESSAGE } : {}),
    };
    return {
      session: state, sources: header.sources, interrupted, segments: segmentsOf(journal.records), ...itemsOf(journal),
      summary: summaryOf(journal, ended), resumes: resumesOf(journal),
    };
  }

  /** Interrupted sessions in storage (not this daemon's, not another live daemon's), newest first. */
  async interruptedSessions(): Promise<InterruptedSession[]> {
    const found = await findInterruptedSessions(this.config.storageDir);
    return found.filter((s) => s.sessionId !== this.sessions.current?.id).sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  /** Finds the interrupted sessions and arms a timer each (see EarshotService.startRecovery). */
  async startRecovery(): Promise<void> {
    const graceMs = (this.config.interruptedGraceSec ?? DEFAULT_INTERRUPTED_GRACE_SEC) * 1000;
    let found: InterruptedSession[];
    try {
      found = await this.interruptedSessions();
    } catch (e) {
      this.events.recovery?.({ sessionId: '', action: 'failed', error: (e as Error).message });
      return;
    }
    for (const { sessionId } of found) {
      this.events.recovery?.({ sessionId, action: 'found' });
      this.cancelTimer(sessionId);
      const timer = setTimeout(() => {
        this.interrupted.delete(sessionId);
        this.finalize(sessionId).catch(() => undefined); // reported through events.recovery
      }, graceMs);
      timer.unref();
      this.interrupted.set(sessionId, timer);
    }
  }

  /** The session is resumed or stopped: it is no longer finalized by its timer. */
  cancelTimer(sessionId: string): void {
    clearTimeout(this.interrupted.get(sessionId));
    this.interrupted.delete(sessionId);
  }

  /** Stops a session that is not in memory: one that ended answers its result again; an interrupted one is finalized. */
  finalize(sessionId: string): Promise<SessionStopResult> {
    this.cancelTimer(sessionId);
    return this.serially(sessionId, async () => {
      const journalPath = this.journalPathOf(sessionId);
      const journal = await this.journal(sessionId, journalPath);
      if (hasEnded(journal)) return endedResult(journalPath);
      try {
        const result = await finalizeInterrupted(journalPath, this.extractions.extractorFor(sessionId));
        this.events.recovery?.({ sessionId, action: 'finalized' });
        if (result.notesPath) this.events.notesWritten?.({ sessionId, notesPath: result.notesPath });
        return result;
      } catch (e) {
        if (e instanceof SessionLockedError) {
          throw new ServiceError(ErrorCodes.SessionAlreadyRunning, e.message, { sessionId, pid: e.owner.pid });
        }
        this.events.recovery?.({ sessionId, action: 'failed', error: (e as Error).message });
        throw new ServiceError(ErrorCodes.InternalError, `Could not finalize the interrupted session ${sessionId}: ${(e as Error).message}`);
      }
    });
  }

  /** See EarshotService.restoreItem. */
  async restoreItem(params: ItemRestoreParams): Promise<ActionItem | Decision> {
    const running = this.sessions.lookup(params.sessionId);
    try {
      if (running) {
        const item = await running.restoreItem(params.kind, params.id);
        if (item) return item;
        // Stopping or finalizing: the journal takes it once the session is done.
        await running.done().catch(() => undefined);
      }
    } catch (e) {
      if (e instanceof ItemRestoreError) throw new ServiceError(ErrorCodes.InvalidParams, e.message);
      throw new ServiceError(ErrorCodes.InternalError, `Cannot restore ${params.kind} ${params.id} of session ${params.sessionId}: ${(e as Error).message}`);
    }
    const journalPath = this.journalPathOf(params.sessionId);
    try {
      const restored = await restoreInJournal(journalPath, params.kind, params.id, (notesPath) => this.events.notesWritten?.({ sessionId: params.sessionId, notesPath }));
      if (restored.changed) {
        if (params.kind === 'actionItem') this.events.actionItem(restored.item as ActionItem);
        else this.events.decision(restored.item as Decision);
      }
      return restored.item;
    } catch (e) {
      if (e instanceof ItemRestoreError) throw new ServiceError(ErrorCodes.InvalidParams, e.message);
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ServiceError(ErrorCodes.SessionNotFound, `No session ${params.sessionId} in ${path.dirname(journalPath)}.`);
      throw new ServiceError(ErrorCodes.InternalError, `Cannot restore ${params.kind} ${params.id} of session ${params.sessionId}: ${(e as Error).message}`);
    }
  }

  /**
   * See EarshotService.renameSpeaker: the session in memory renames while it streams (announcing as it goes), its
   * journal otherwise (then the finals relabelled and the owners that followed are announced here).
   */
  async renameSpeaker(params: SpeakerRenameParams): Promise<SpeakerRenameResult> {
    const running = this.sessions.lookup(params.sessionId);
    try {
      if (running) {
        const result = await running.renameSpeaker(params.source, params.voice, params.name);
        if (result) return result;
        // Stopping: its journal is being closed; rename there once the session is done.
        await running.done().catch(() => undefined);
      }
      const journalPath = this.journalPathOf(params.sessionId);
      const renamed = await renameInJournal(journalPath, params, (notesPath) => this.events.notesWritten?.({ sessionId: params.sessionId, notesPath }));
      if (renamed.segments.length) {
        this.events.relabel?.({ sessionId: params.sessionId, cause: 'renamed', segments: renamed.segments.map((s) => ({ sessionId: params.sessionId, ...s, final: true })) });
      }
      for (const item of renamed.items) this.events.actionItem(item);
      for (const decision of renamed.decisions) this.events.decision(decision);
      return renamed.result;
    } catch (e) {
      if (e instanceof RangeError || e instanceof SpeakerRenameError) throw new ServiceError(ErrorCodes.InvalidParams, e.message);
      if (e instanceof ServiceError) throw e;
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ServiceError(ErrorCodes.SessionNotFound, `No session ${params.sessionId} in ${path.dirname(this.journalPathOf(params.sessionId))}.`);
      throw new ServiceError(ErrorCodes.InternalError, `Cannot rename a speaker of session ${params.sessionId}: ${(e as Error).message}`);
    }
  }

  /** See EarshotService.rewriteNotes: the session in memory renders while it streams, its journal otherwise. */
  async rewriteNotes(sessionId: string): Promise<void> {
    const running = this.sessions.lookup(sessionId);
    try {
      if (running) {
        if (await running.rewriteNotes()) return;
        // Stopping: its final write is coming; render over the file once the session is done.
        await running.done().catch(() => undefined);
      }
      const notesPath = await rewriteInJournal(this.journalPathOf(sessionId));
      if (notesPath) this.events.notesWritten?.({ sessionId, notesPath });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ServiceError(ErrorCodes.SessionNotFound, `No session ${sessionId} in ${path.dirname(this.journalPathOf(sessionId))}.`);
      throw new ServiceError(ErrorCodes.InternalError, `Cannot rewrite the notes of session ${sessionId}: ${(e as Error).message}`);
    }
  }

  /** See EarshotService.setActionItemDone: the session in memory ticks it while it can, its journal otherwise. */
  async setActionItemDone(params: ActionItemSetDoneParams): Promise<ActionItem> {
    try {
      const running = this.sessions.lookup(params.sessionId);
      if (running) {
        const item = await running.setActionItemDone(params.id, params.done);
        if (item) return item;
        // Finalizing: its journal is being closed; mark it there once the session is done.
        await running.done().catch(() => undefined);
      }
      const journalPath = this.journalPathOf(params.sessionId);
      try {
        return await markDoneInJournal(journalPath, params.id, params.done, (notesPath) => this.events.notesWritten?.({ sessionId: params.sessionId, notesPath }));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new ServiceError(ErrorCodes.SessionNotFound, `No session ${params.sessionId} in ${path.dirname(journalPath)}.`);
        }
        throw e;
      }
    } catch (e) {
      if (e instanceof ActionItemDoneError) throw new ServiceError(ErrorCodes.InvalidParams, e.message);
      if (e instanceof ServiceError) throw e;
      throw new ServiceError(ErrorCodes.InternalError, `Cannot mark action item ${params.id} of session ${params.sessionId}: ${(e as Error).message}`);
    }
  }

  /** A session's export, from its journal (this daemon's sessions and earlier ones in the same storage). */
  async export(params: SessionExportParams): Promise<SessionExportResult> {
    const journalPath = journalFile(this.config.storageDir, params.sessionId);
    let journal: JournalContents;
    try {
      journal = await readJournal(journalPath);
    } catch (e) {
      throw unreadable(e, params.sessionId, `No session ${params.sessionId} in ${path.dirname(journalPath)}.`);
    }
    return { text: exportSession(journal, params.format), fileName: exportFileName(journal, params.format) };
  }

  /** Shutdown: no interrupted session is finalized by a timer any more. */
  stopTimers(): void {
    for (const timer of this.interrupted.values()) clearTimeout(timer);
    this.interrupted.clear();
  }

  /** Settles once every resume and finalization under way is done (their locks released). */
  async settled(): Promise<void> {
    await Promise.all([...this.recovering.values()].map((work) => work.catch(() => undefined)));
  }
}
