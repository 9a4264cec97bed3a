/**
 * An orphaned daemon: the process that started it (the extension host) died without closing the pipe (its stdin may
 * stay open when something else holds it), so nobody will ever stop the session. The daemon notices within about a
 * second and finalizes its session before leaving, as if the client had closed the connection.
 */

/** How often the parent is checked. */
export const PARENT_CHECK_MS = 1000;

/**
 * Calls `onOrphaned` once when this process's parent is gone: on Linux and macOS the process is re-parented (its
 * ppid changes); on Windows, where it is not, the original parent's pid no longer answers. Returns the unwatcher.
 */
export function watchParent(onOrphaned: () => void, intervalMs = PARENT_CHECK_MS): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent && alive(parent)) return;
    clearInterval(timer);
    onOrphaned();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

function alive(pid: number): boolean {
  if (pid <= 1) return true; // started by init (or a container's): it does not go away
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
