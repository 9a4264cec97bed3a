/**
 * Making a session current: a new one (start) or an interrupted one under its id (resume). Each takes the session's
 * lock, opens its sources (sources.ts), prepares and configures it (sessionConfig.ts), then adopts it: its live
 * sources are watched, and when it ends its lock goes and the model may idle. Stored journals are storedSessions.ts's;
 * stopping and pausing a running session are the session's and liveSources.ts's.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ErrorCodes, FilePace, SessionResumeParams, SessionResumeResult, SessionStartParams, SessionStartResult } from '../../protocol/protocol';
import { ModelLifecycle, ModelProgress } from '../asr/modelLifecycle';
import { AudioSource, FileSource } from '../capture/source';
import { notesFileName } from '../documents/notesFile';
import { errnoCode, journalCreateMessage } from '../diskFaults';
import { acquireSessionLock, lockPathOf } from '../journal/lock';
import { hasEnded, sessionModeOf } from '../journal/recovery';
import { ServiceError } from '../serviceError';
import { ResumedFileSource } from '../session/resume';
import { startedWith, templateForStart } from '../templates/choose';
import { Session } from '../session/session';
import { LiveSources } from './liveSources';
import { autoStopOnResume, AutoStops } from './autoStops';
import { ServiceConfig, ServiceEvents } from './serviceConfig';
import { SessionPipeline } from './sessionConfig';
import { SessionsInMemory } from './sessionsInMemory';
import { OpenedSources, openSources } from './sources';
import { journalFile, StoredSessions } from './storedSessions';

export class LiveSessions {
  constructor(
    private readonly config: ServiceConfig, private readonly events: ServiceEvents, private readonly sessions: SessionsInMemory,
    private readonly pipeline: SessionPipeline, private readonly live: LiveSources, private readonly stored: StoredSessions,
    private readonly models: ModelLifecycle, private readonly autoStops: AutoStops,
  ) {}

  async start(params: SessionStartParams, progress?: ModelProgress): Promise<SessionStartResult> {
    this.sessions.refuseWhileRecording('A session is already running', 'first');
    this.sessions.starting = true;
    try {
      const startedAt = new Date();
      const sessionId = `${startedAt.toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(3).toString('hex')}`;
      // Before anything opens: an unknown template id is an error and nothing starts.
      const template = await templateForStart(params);
      const { sources, unavailable } = await openSources(this.config, params);
      await this.pipeline.prepare(progress, params.mode !== 'dictation');
      const dictation = params.mode === 'dictation';
      const title = params.title?.trim() || (params.audioFile ? path.basename(params.audioFile).replace(/\.[^.]+$/, '') : dictation ? 'Dictation' : 'Meeting');
      // Dictation goes to the cursor: no notes file.
      const notesPath = dictation ? '' : path.join(params.notesDir ?? this.config.notesDir, notesFileName(startedAt, title));
      this.sessions.rememberCurrent();
      const journalPath = journalFile(this.config.storageDir, sessionId);
      // A full or read-only storage disk: a clear refusal (the lock is the first file a session writes).
      const release = await this.lock(sessionId, journalPath).catch(async (e: unknown) => {
        if (e instanceof ServiceError || !errnoCode(e)) throw e;
        // A lock file created but not written (the disk filled up) is ours and empty: it goes, nothing half-written stays.
        const lock = lockPathOf(journalPath);
        if ((await fsp.stat(lock).catch(() => undefined))?.size === 0) await fsp.rm(lock, { force: true }).catch(() => undefined);
        throw new ServiceError(ErrorCodes.RequestFailed, journalCreateMessage(path.dirname(journalPath), e));
      });
      let session: Session;
      try {
        session = this.sessions.current = await Session.start(this.pipeline.configFor({
          sessionId, title, language: params.language ?? this.config.language, startedAt, sources, notesPath, dictation, unlock: release,
          ...(params.pace ? { pace: params.pace } : {}), ...(params.audioFile ? { audioFile: params.audioFile } : {}),
          ...(params.devices ? { devices: params.devices } : {}), ...(params.speakers ? { speakers: params.speakers } : {}),
          ...(params.identifySpeakers !== undefined ? { identifySpeakers: params.identifySpeakers } : {}),
          ...(template ? { template } : {}),
          ...(params.autoStop ? { autoStop: params.autoStop } : {}),
        }), this.events);
      } catch (e) {
        await release().catch(() => undefined);
        throw e instanceof ServiceError || !errnoCode(e) ? e : new ServiceError(ErrorCodes.RequestFailed, (e as Error).message);
      }
      this.adopt(session, sources, release);
      if (params.autoStop) this.autoStops.start(session, params.autoStop);
      return { sessionId, notesPath, ...(unavailable.length ? { unavailable } : {}), ...startedWith(template) };
    } finally {
      this.sessions.starting = false;
    }
  }

  /** See EarshotService.resumeSession. */
  resume(params: SessionResumeParams, progress?: ModelProgress): Promise<SessionResumeResult> {
    const { sessionId } = params;
    const current = this.sessions.current;
    const running = current?.id === sessionId && current.state === 'streaming' ? current : undefined;
    if (running) return this.stored.transcript(sessionId).then((transcript) => ({ sessionId, notesPath: running.config.notesPath, transcript }));
    try {
      this.sessions.refuseWhileRecording('A session is already running', `before resuming ${sessionId}`);
    } catch (e) {
      return Promise.reject(e);
    }
    this.sessions.starting = true;
    return this.stored.serially(sessionId, async () => {
      const journalPath = this.stored.journalPathOf(sessionId);
      const journal = await this.stored.journal(sessionId, journalPath);
      const header = journal.header;
      if (hasEnded(journal)) {
        throw new ServiceError(ErrorCodes.SessionEnded, `Session ${sessionId} has ended (it was stopped or finalized): it cannot be resumed. Its notes: ${header.notesPath || 'none (a dictation)'}.`,
          { sessionId, notesPath: header.notesPath });
      }
      const release = await this.lock(sessionId, journalPath);
      let opened: OpenedSources;
      try {
        this.stored.cancelTimer(sessionId);
        const startedAt = new Date(header.startedAt);
        const pace: FilePace = header.pace ?? 'realtime';
        const devices = params.devices ?? header.devices;
        const speakers = params.speakers ?? header.speakers;
        opened = await openSources(this.config, {
          sources: header.sources, ...(header.audioFile ? { audioFile: header.audioFile, pace: 'fast' as const } : {}),
          ...(devices ? { devices } : {}), ...(speakers ? { speakers } : {}),
        }, startedAt);
        const sources = opened.sources.map((source) => (source instanceof FileSource ? new ResumedFileSource(source, pace, startedAt, this.config.filePacePeriodMs) : source));
        await this.pipeline.prepare(progress, sessionModeOf(header) !== 'dictation');
        this.sessions.rememberCurrent();
        const session = this.sessions.current = await Session.resume(this.pipeline.configFor({
          sessionId, title: header.title, language: header.language, startedAt, sources, notesPath: header.notesPath,
          dictation: sessionModeOf(header) === 'dictation', resumed: true, pace, unlock: release,
          ...(header.audioFile ? { audioFile: header.audioFile } : {}), ...(devices ? { devices } : {}), ...(speakers ? { speakers } : {}),
          identifySpeakers: header.identifySpeakers === true, ...(header.template ? { template: header.template } : {}),
          ...(header.autoStop ? { autoStop: header.autoStop } : {}),
        }), this.events);
        this.adopt(session, sources, release);
        const autoStop = autoStopOnResume(header, journal.records);
        if (autoStop) this.autoStops.start(session, autoStop.params, { resumed: true, cancelled: autoStop.cancelled });
      } catch (e) {
        await release();
        throw e;
      }
      this.events.recovery?.({ sessionId, action: 'resumed' });
      const transcript = await this.stored.transcript(sessionId);
      return { sessionId, notesPath: header.notesPath, transcript, ...(opened.unavailable.length ? { unavailable: opened.unavailable } : {}) };
    }).finally(() => {
      this.sessions.starting = false;
    });
  }

  /** Shutdown: the recording session stops, and its lock is released before this settles. */
  async stop(): Promise<void> {
    await this.sessions.active?.stop().catch(() => undefined);
    await this.sessions.currentEnded;
  }

  /** The session is the current one: its live sources are watched; when it ends its lock goes and the model may idle. */
  private adopt(session: Session, sources: AudioSource[], release: () => Promise<void>): void {
    const unsubscribe = this.live.watch(session.id, sources);
    this.sessions.currentEnded = session.done().then(() => undefined, () => undefined).finally(async () => {
      unsubscribe();
      this.models.sessionEnded();
      this.pipeline.sessionEnded(session.id);
      await release().catch(() => undefined);
    });
  }

  /** Takes a session's lock (see journal/lock.ts); SessionAlreadyRunning when another live daemon holds it. */
  private async lock(sessionId: string, journalPath: string): Promise<() => Promise<void>> {
    const lock = await acquireSessionLock(journalPath);
    if (!lock.acquired) {
      throw new ServiceError(ErrorCodes.SessionAlreadyRunning, `Session ${sessionId} is open in another Earshot window (daemon pid ${lock.owner.pid}).`, { sessionId, pid: lock.owner.pid });
    }
    return lock.release;
  }
}
