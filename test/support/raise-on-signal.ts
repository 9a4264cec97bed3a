/**
 * Preloaded into a daemon by a test (NODE_OPTIONS=--require): on SIGUSR2 it does what a library bug does, a promise
 * rejected with nobody to catch it and an exception thrown from a callback, each with words in its message that must
 * not reach the log (RAISED_WORDS). Nothing in the daemon knows of it.
 */
export const RAISED_WORDS = 'the password is swordfish';

process.on('SIGUSR2', () => {
  void Promise.reject(new TypeError(`rejected: ${RAISED_WORDS}`));
  setImmediate(() => {
    throw new RangeError(`thrown: ${RAISED_WORDS}`);
  });
});
