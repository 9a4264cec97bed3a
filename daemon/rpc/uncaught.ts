/**
 * What the daemon process does with an error nothing caught (a library callback that throws, a promise nobody awaits):
 * it logs where it came from and goes on. Node's default, ending the process, cost a recording for one library bug
 * (issue 43 M1: MiniSearch's vacuum) and, with --listen, every connection. Going on is safe enough for what matters: a
 * session's journal is appended record by record, so what it holds stays whole, and the session keeps recording.
 *
 * Owns the log line, which carries the error's class name, its code and its first stack frame only: never its message
 * (a JSON.parse error quotes its input, a library's may quote a transcript), nor a thrown value that is not an Error.
 */
import { Logger } from '../log';

/** Lines logged at most: an error that comes back at once (a write to a closed stderr) must not spin on its own log line. */
const MAX_LOGGED = 50;

/** Installs the process's handlers (once per process: the daemon's entry calls it). */
export function keepRunningOnUncaught(log: Logger): void {
  let logged = 0;
  const report = (event: string) => (e: unknown) => {
    if (logged > MAX_LOGGED) return;
    try {
      if (logged++ < MAX_LOGGED) log.error('process', event, uncaughtFields(e));
      else log.error('process', 'uncaught_no_longer_logged', { after: MAX_LOGGED });
    } catch {
      // nowhere left to log to
    }
  };
  process.on('unhandledRejection', report('unhandled_rejection'));
  process.on('uncaughtException', report('uncaught_exception'));
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
