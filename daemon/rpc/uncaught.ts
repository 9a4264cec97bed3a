/**
 * What the daemon process does with an error nothing caught, and why (issue 54; security review 2, S4):
 *
 * - A synchronous exception that reached the event loop (a callback that threw) ends the process, once its log line
 *   is out: the callback stopped half-way, and whatever it was updating may now be half-done with nothing left to
 *   finish it (the review's capture app: marked finished, never closed, so every stop waited for ever). Node's own
 *   advice is the same ("It is not safe to resume normal operation after 'uncaughtException'", process docs). Going
 *   on was meant to save the recording (issue 43 M1), but the exit costs it nothing: the journal holds every whole
 *   record (appended record by record, a torn last line cut), the session's lock names a pid that is gone, so the
 *   extension restarts the daemon and resumes the meeting under its id (or finalizes a dictation, or a session that was
 *   stopping: extension/client/crashPolicy.ts), and any other daemon finalizes it after interruptedGraceSec.
 * - An unhandled rejection is counted and logged, and the daemon goes on: the promise's own chain was abandoned by
 *   whoever dropped it, while the rest of the process is between events and whole. What such a throw may leave
 *   stuck is bounded where it would hurt: a recorder's end, a session's stop and the connection's finalize each give
 *   up after their limit as a fault the user is told (runningRecorder.ts, session.ts, server.ts), so nothing is left
 *   "stopping" with its lock held. The count goes in every health report (HealthParams.uncaughtErrors), which the
 *   extension shows, so a rejection that repeats is seen even after the log stops naming each one.
 *
 * Owns the log lines, which carry the error's class name, its code and its first stack frame only: never its message
 * (a JSON.parse error quotes its input, a library's may quote a transcript), nor a thrown value that is not an Error.
 */
import { Logger } from '../log';

/** Lines logged at most: an error that comes back at once (a write to a closed stderr) must not spin on its own log line. */
const MAX_LOGGED = 50;
/** The exit status after an uncaught exception (EX_SOFTWARE, sysexits.h). */
export const EXIT_UNCAUGHT = 70;
/** How long the exit waits for the last log lines to be written (stdout and stderr are asynchronous pipes on macOS). */
const EXIT_FLUSH_MS = 1000;

/** The process's count and policy; the handlers installed by handleUncaught() drive one of these. */
export class UncaughtErrors {
  /** Errors nothing caught since the process started, rejections and the exception alike. */
  count = 0;
  private logged = 0;
  private exiting = false;

  constructor(private readonly log: Logger, private readonly exit: (code: number) => void) {}

  /** A promise rejected with no handler: counted, logged (up to MAX_LOGGED lines), and the daemon goes on. */
  rejection(e: unknown): void {
    this.count++;
    this.report('unhandled_rejection', e);
  }

  /** An exception thrown to the event loop: counted, logged, and the process exits (see the header). */
  exception(e: unknown): void {
    this.count++;
    if (this.exiting) return;
    this.exiting = true;
    this.logged = Math.min(this.logged, MAX_LOGGED - 1); // the reason for the exit is always said
    this.report('uncaught_exception', e);
    this.write('process', 'exiting', { code: EXIT_UNCAUGHT, reason: 'an uncaught exception: what it interrupted may be half-done; a recording session is resumed or finalized from its journal' });
    this.exit(EXIT_UNCAUGHT);
  }

  private report(event: string, e: unknown): void {
    if (this.logged > MAX_LOGGED) return;
    if (this.logged++ < MAX_LOGGED) this.write('process', event, { ...uncaughtFields(e), count: this.count });
    else this.write('process', 'uncaught_no_longer_logged', { after: MAX_LOGGED, counted: 'in every health report (uncaughtErrors)' });
  }

  private write(component: string, event: string, fields: Record<string, unknown>): void {
    try {
      this.log.error(component, event, fields);
    } catch {
      // nowhere left to log to
    }
  }
}

let installed: UncaughtErrors | undefined;

/** Installs the process's handlers (once per process: the daemon's entry calls it). */
export function handleUncaught(log: Logger, exit: (code: number) => void = exitAfterFlush): UncaughtErrors {
  if (installed) return installed;
  const errors = installed = new UncaughtErrors(log, exit);
  process.on('unhandledRejection', (e) => errors.rejection(e));
  process.on('uncaughtException', (e) => errors.exception(e));
  return errors;
}

/** Errors nothing caught in this process so far (0 where no handler is installed: the CLI, tests). */
export function uncaughtErrorCount(): number {
  return installed?.count ?? 0;
}

/**
 * Exits with `code` once stdout and stderr have taken what was written (at most EXIT_FLUSH_MS). A log line to the
 * client goes out through vscode-jsonrpc's writer a few promise jobs later: the flush waits for the next turn first.
 */
export function exitAfterFlush(code: number): void {
  // Should the event loop empty before either exit below, Node still ends with this code, not 0.
  process.exitCode = code;
  let pending = 2;
  const done = () => { if (--pending === 0) process.exit(code); };
  setTimeout(() => process.exit(code), EXIT_FLUSH_MS).unref();
  setImmediate(() => {
    for (const stream of [process.stdout, process.stderr]) {
      try {
        stream.write('', done);
      } catch {
        done();
      }
    }
  });
}

/** Name, code and first stack frame of an error, none of which can hold its message's text. */
export function uncaughtFields(e: unknown): { name: string; code?: string; at?: string } {
  if (!(e instanceof Error)) return { name: `thrown ${e === null ? 'null' : typeof e}` };
  const name = /^[\w$.]{1,60}$/.test(e.name) ? e.name : 'Error';
  const code = (e as NodeJS.ErrnoException).code;
  // The stack starts with "name: message" (which may span lines): frames are read after it, or not at all.
  const head = e.message ? `${e.name}: ${e.message}` : e.name;
  const stack = typeof e.stack === 'string' && e.stack.startsWith(head) ? e.stack.slice(head.length) : '';
  const at = /^\s+at (.{1,300})$/.exec(stack.split('\n')[1] ?? '')?.[1];
  return { name, ...(typeof code === 'string' && /^[A-Z0-9_]{1,60}$/.test(code) ? { code } : {}), ...(at ? { at } : {}) };
}
