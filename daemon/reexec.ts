/**
 * `earshot transcribe` and `listen` started from a shell get the memory settings the extension gives its daemon
 * (protocol/allocator.ts): MALLOC_MMAP_THRESHOLD_ is read by glibc before any JS runs and --max-semi-space-size is a
 * node flag, so bin/earshot.js starts the command again in a child node with both, and relays its exit. `earshot
 * daemon` is left alone: its spawner owns the process (the extension gives it the settings; clients and tests talk to
 * its pid).
 *
 * The child runs in its own process group, so a terminal's Ctrl+C reaches it once, through the parent (a listen's
 * first SIGINT finishes the session; a second one would kill it). Windows has neither glibc nor signal groups of this
 * kind: the command runs in-process there.
 */
import { spawn } from 'node:child_process';
import { DAEMON_ALLOCATOR_ENV, DAEMON_NODE_FLAGS } from '../protocol/allocator';

/** Set in the child: never start a third process, and watch for the parent's death. */
export const REEXEC_ENV = 'EARSHOT_REEXEC_PARENT';
const COMMANDS = new Set(['transcribe', 'listen']);
const RELAYED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Whether this process lacks the settings for the command in `argv` (the first word that is not --verbose). */
export function needsMemoryReexec(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): boolean {
  if (process.platform === 'win32' || env[REEXEC_ENV]) return false;
  const command = argv.find((a) => a !== '--verbose');
  if (!command || !COMMANDS.has(command)) return false;
  const nodeFlags = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)];
  const envSet = Object.entries(DAEMON_ALLOCATOR_ENV).every(([k, v]) => env[k] === v);
  return !envSet || !DAEMON_NODE_FLAGS.every((f) => nodeFlags.includes(f));
}

export function reexecWithMemorySettings(script: string, argv: readonly string[]): void {
  const child = spawn(process.execPath, [...process.execArgv, ...DAEMON_NODE_FLAGS, script, ...argv], {
    stdio: 'inherit',
    env: { ...process.env, ...DAEMON_ALLOCATOR_ENV, [REEXEC_ENV]: String(process.pid) },
    detached: true, // its own process group: signals come from us only
  });
  const relay = (signal: NodeJS.Signals) => { child.kill(signal); };
  for (const signal of RELAYED_SIGNALS) process.on(signal, relay);
  child.on('error', (e) => {
    process.stderr.write(`earshot: could not start node again with the memory settings: ${e.message}\n`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    for (const s of RELAYED_SIGNALS) process.off(s, relay);
    if (signal) process.kill(process.pid, signal); // the same end as the child's, for the shell
    else process.exitCode = code ?? 1;
  });
}

/** In the child: ends the command (as a SIGTERM would) if the parent is gone, e.g. killed with SIGKILL. */
export function watchReexecParent(env: NodeJS.ProcessEnv = process.env): void {
  const parent = Number(env[REEXEC_ENV]);
  if (!parent) return;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      process.kill(process.pid, 'SIGTERM');
    }
  }, 1000);
  timer.unref();
}
