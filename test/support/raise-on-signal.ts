/**
 * Preloaded into a daemon by a test (NODE_OPTIONS=--require): on SIGUSR2 it does what a library bug does, with words
 * in its message that must not reach the log (RAISED_WORDS), as RAISE_ON_SIGNAL says: 'rejections' rejects
 * RAISE_REJECTIONS promises (default 1) with nobody to catch them; 'exception' throws from a callback. Nothing in the
 * daemon knows of it.
 */
export const RAISED_WORDS = 'the password is swordfish';

process.on('SIGUSR2', () => {
  if (process.env.RAISE_ON_SIGNAL === 'exception') {
    setImmediate(() => {
      throw new RangeError(`thrown: ${RAISED_WORDS}`);
    });
    return;
  }
  for (let i = 0; i < Number(process.env.RAISE_REJECTIONS ?? 1); i++) void Promise.reject(new TypeError(`rejected: ${RAISED_WORDS}`));
});
