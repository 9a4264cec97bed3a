/**
 * The last root hook of the unit and integration runs (.mocharc.json): names what the tests left running and ends it.
 *
 * A child process, server or socket that outlives its test keeps Node's event loop alive, and mocha then never exits
 * after "N passing": a CI run that hangs until its time limit with every test green. This hook prints each leftover
 * on stderr (so the run says which test leaked what), kills leftover child processes (SIGCONT first, in case a test
 * froze one) and closes leftover servers and sockets. `exit: true` in .mocharc.json is the backstop for what cannot be
 * listed here (a timer).
 */
import type { ChildProcess } from 'node:child_process';
import type * as net from 'node:net';

/**
 * What the event loop is held by, other than mocha's own: the standard streams and, in a parallel run's worker, the IPC
 * channel to mocha's main process (a Pipe on `process.channel.fd`, reported after every file before it was left out).
 */
export function leftovers(): object[] {
  const handles = (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles();
  return handles.filter((h) => !isMochas(h));
}

function isMochas(handle: object): boolean {
  const fd = (handle as { fd?: number; _handle?: { fd?: number } })._handle?.fd ?? (handle as { fd?: number }).fd;
  const channel = (process.channel as { fd?: number } | undefined)?.fd;
  return fd === 0 || fd === 1 || fd === 2 || (channel !== undefined && fd === channel);
}

export function describeHandle(handle: object): string {
  const kind = handle.constructor?.name ?? typeof handle;
  if (isChild(handle)) return `${kind} pid ${handle.pid}: ${handle.spawnargs.join(' ').slice(0, 300)}`;
  if (isServer(handle)) return `${kind} listening on ${JSON.stringify(handle.address())}`;
  const socket = handle as Partial<net.Socket>;
  if (socket.remotePort !== undefined) return `${kind} to ${socket.remoteAddress}:${socket.remotePort}`;
  return kind;
}

function isChild(handle: object): handle is ChildProcess {
  return typeof (handle as ChildProcess).spawnargs !== 'undefined' && typeof (handle as ChildProcess).kill === 'function';
}

function isServer(handle: object): handle is net.Server {
  return typeof (handle as net.Server).listen === 'function' && typeof (handle as net.Server).address === 'function';
}

/** Ends a leftover: children are killed, servers and sockets closed. */
function end(handle: object): void {
  try {
    if (isChild(handle)) {
      handle.kill('SIGCONT');
      handle.kill('SIGKILL');
    } else if (isServer(handle)) {
      handle.close();
    } else if (typeof (handle as net.Socket).destroy === 'function') {
      (handle as net.Socket).destroy();
    }
  } catch {
    // already gone
  }
}

export const mochaHooks = {
  async afterAll(this: { timeout(ms: number): void }): Promise<void> {
    this.timeout(10_000);
    // Give what the last after() hooks ended a moment to report its exit.
    for (let i = 0; i < 20 && leftovers().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const left = leftovers();
    if (left.length === 0) return;
    console.error(`\n  leaks: the tests left ${left.length} handle(s) open (ended now so that mocha can exit):`);
    for (const handle of left) console.error(`    - ${describeHandle(handle)}`);
    for (const handle of left) end(handle);
  },
};
