/**
 * The decisions behind crash recovery, without VS Code (unit-tested alone): when a dead daemon is restarted and after
 * how long, when a crash loop gives up, and what becomes of the session the daemon was running or left interrupted.
 */
import type { InterruptedSession, SessionStateParams } from '../../protocol/protocol';

export interface RestartPolicyOptions {
  /** More crashes than this within `windowMs` is a crash loop: no more restarts. */
  maxCrashes: number;
  windowMs: number;
  /** Wait before the n-th restart of the window (the last value repeats). */
  delaysMs: readonly number[];
}

/** A crash is restarted at once (the meeting goes on), repeated ones with a growing wait, a sixth within a minute gives up. */
export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = { maxCrashes: 5, windowMs: 60_000, delaysMs: [0, 500, 1000, 2000, 4000] };

export type RestartDecision =
  | { restart: true; attempt: number; delayMs: number }
  | { restart: false; crashes: number; message: string };

export class RestartPolicy {
  private crashes: number[] = [];

  constructor(private readonly options: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {}

  /** The daemon died at `now` (ms): restart it (after delayMs), or give up. */
  crashed(now: number): RestartDecision {
    this.crashes = this.crashes.filter((t) => now - t < this.options.windowMs);
    this.crashes.push(now);
    const n = this.crashes.length;
    if (n > this.options.maxCrashes) {
      return {
        restart: false, crashes: n,
        message: `The Earshot daemon stopped unexpectedly ${n} times within ${Math.round(this.options.windowMs / 1000)} seconds, so it was not restarted again.`,
      };
    }
    const delays = this.options.delaysMs;
    return { restart: true, attempt: n, delayMs: delays[Math.min(n, delays.length) - 1] ?? 0 };
  }

  /** A restart the user asked for starts a fresh count. */
  reset(): void {
    this.crashes = [];
  }
}

/**
 * What to do with the session the daemon was running when it died: a recording meeting (or file transcription) is
 * resumed under its id; a dictation is finished (its words went to the cursor; a dictation picked up later would type
 * into whatever has focus by then), as is a session that was already stopping (the user asked for its notes).
 */
export function sessionAfterCrash(session: SessionStateParams | undefined): 'resume' | 'finalize' | 'none' {
  if (!session || session.state === 'done' || session.state === 'idle') return 'none';
  if (session.mode === 'dictation') return 'finalize';
  return session.state === 'streaming' ? 'resume' : 'finalize';
}

/** Interrupted sessions older than this are not offered for resuming (a meeting from hours ago is over): they are finished. */
export const OFFER_RESUME_MAX_AGE_MS = 6 * 3600_000;

/**
 * At activation, the interrupted sessions the daemon found: the newest recent meeting is offered ("Resume / Finish");
 * the others (dictations, older meetings) are finished at once, so their notes are complete.
 */
export function planInterrupted(found: readonly InterruptedSession[], now: number): { offer?: InterruptedSession; finish: InterruptedSession[] } {
  const newestFirst = [...found].sort((a, b) => b.lastWriteAt.localeCompare(a.lastWriteAt));
  const offer = newestFirst.find((s) => s.mode === 'meeting' && now - Date.parse(s.lastWriteAt) < OFFER_RESUME_MAX_AGE_MS);
  return { ...(offer ? { offer } : {}), finish: newestFirst.filter((s) => s !== offer) };
}
