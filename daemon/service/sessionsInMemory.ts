/**
 * The sessions this daemon holds in memory: the current one (at most one records), whether one is starting, and the
 * last few closed ones, whose stop and status are still answered from memory. Every owner asks here whether a session
 * records; only liveSessions.ts makes one current. Nothing here touches storage, sources or the model.
 */
import { ErrorCodes, SessionStatusResult } from '../../protocol/protocol';
import { ServiceError } from '../serviceError';
import { Session } from '../session/session';

/** Closed sessions whose stop result is still answered from memory. */
const REMEMBERED_SESSIONS = 16;

export class SessionsInMemory {
  current: Session | undefined;
  /** A start or resume is under way (no session is current yet): nothing else may start, test a device or delete data. */
  starting = false;
  /** Settles once the current session is done and its lock released (shutdown waits for it before the process exits). */
  currentEnded: Promise<void> = Promise.resolve();
  private readonly closed = new Map<string, Session>();

  /** The current session while it has not ended. */
  get active(): Session | undefined {
    return this.current && this.current.state !== 'done' ? this.current : undefined;
  }

  /** The current session or a remembered one with this id. */
  lookup(sessionId: string): Session | undefined {
    return this.current?.id === sessionId ? this.current : this.closed.get(sessionId);
  }

  /** As lookup, SessionNotFound when neither holds it. */
  find(sessionId: string): Session {
    const session = this.lookup(sessionId);
    if (!session) throw new ServiceError(ErrorCodes.SessionNotFound, `No session with id ${JSON.stringify(sessionId)}.`);
    return session;
  }

  /**
   * SessionAlreadyRunning, naming the session, while one starts or records: `what` says what is refused
   * ("A session is recording", then ": stop it " + `until`).
   */
  refuseWhileRecording(what: string, until: string): void {
    if (!this.starting && !this.active) return;
    const id = this.active?.id;
    throw new ServiceError(ErrorCodes.SessionAlreadyRunning, `${what}${id ? ` (${id})` : ''}: stop it ${until}.`, { sessionId: id ?? null });
  }

  /** The current session is about to be replaced: it stays answerable from memory among the last few. */
  rememberCurrent(): void {
    if (!this.current) return;
    this.closed.set(this.current.id, this.current);
    if (this.closed.size > REMEMBERED_SESSIONS) this.closed.delete(this.closed.keys().next().value!);
  }

  /** Their journals were deleted: finished sessions no longer answer stop and status with their transcript. */
  forgetFinished(): void {
    this.closed.clear();
    if (this.current?.state === 'done') this.current = undefined;
  }

  status(sessionId?: string): SessionStatusResult {
    const session = sessionId ? this.find(sessionId) : this.current;
    if (!session) {
      return { state: 'idle', sessionId: null, title: null, sources: [], startedAt: null, capturedSec: 0, finalSegments: 0, notesPath: null };
    }
    return {
      state: session.state,
      sessionId: session.id,
      title: session.config.title,
      sources: session.config.sources.map((s) => s.kind),
      startedAt: session.config.startedAt.toISOString(),
      capturedSec: session.capturedSec,
      finalSegments: session.finalSegments,
      notesPath: session.config.notesPath,
    };
  }
}
