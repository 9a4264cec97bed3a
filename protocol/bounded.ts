/**
 * A wait with a bound: nothing the daemon waits for at a stop, a recorder's end or a finalize may hang it (issue 54,
 * "Nothing sticks"), nor may the daemon's answer hang a chat agent's tool call in the extension (its agent tools). What
 * runs out is the caller's to tell the user as a fault.
 */

/** What within() answers when the bound ran out first. */
export const TIMED_OUT: unique symbol = Symbol('timed out');

/**
 * `work`'s value, or TIMED_OUT once `ms` have passed without it. The work itself goes on (nothing can cancel it from
 * here); a rejection after the bound is swallowed, one before it is passed on.
 */
export async function within<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<typeof TIMED_OUT>((resolve) => { timer = setTimeout(() => resolve(TIMED_OUT), ms); });
  work.catch(() => undefined);
  try {
    return await Promise.race([work, bound]);
  } finally {
    clearTimeout(timer);
  }
}
