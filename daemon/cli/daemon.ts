/**
 * `earshot daemon`: the JSON-RPC daemon the extension runs on stdio, or with --listen the same over TCP on loopback
 * for clients that prove the token (rpc/listen.ts has the security model).
 *
 * Owns the daemon command's flags and the process's exit once the server is done (an unhandled rejection does not
 * end it, an uncaught exception does: rpc/uncaught.ts). Must not print anything on stdout in stdio mode but the protocol.
 */
import { defaultStorageDir } from '../config';
import { startServer } from '../rpc/server';
import { loopbackHost, runListenDaemon } from '../rpc/listen';
import { Logger, logLevelFrom } from '../log';
import { handleUncaught } from '../rpc/uncaught';
import { args, UsageError, version } from './common';

export async function daemon(argv: string[]): Promise<number> {
  // vscode-languageclient appends `--stdio` (and may append `--clientProcessId=N`) to the command it spawns.
  const { values, positionals } = args(argv, 'daemon');
  if (values.listen && values.stdio) throw new UsageError('--listen and --stdio exclude each other');
  if (values.listen) return listenDaemon(positionals, values.host);
  if (positionals.length || values.host !== undefined) throw new UsageError('a port and --host go with --listen');
  // stdout carries the protocol: anything printed by a library would corrupt it.
  console.log = console.info = console.debug = (...a: unknown[]) => console.error(...a);
  const code = await new Promise<number>((resolve) => handleUncaught(startServer(process.stdin, process.stdout, { version: version(), onExit: resolve })));
  // The client is gone and the session finalized: leave now, whatever timers vscode-languageserver left running.
  process.exit(code);
}

/** `earshot daemon --listen [PORT]`: JSON-RPC over TCP on loopback (daemon/rpc/listen.ts has the security model). */
async function listenDaemon(positionals: string[], host = '127.0.0.1'): Promise<number> {
  if (positionals.length > 1 || (positionals.length && !/^\d{1,5}$/.test(positionals[0]))) throw new UsageError('--listen takes one port number (0: a free port)');
  const log = new Logger((_, line) => process.stderr.write(line + '\n'), logLevelFrom(process.env.EARSHOT_LOG_LEVEL));
  let loopback: string;
  try {
    loopback = loopbackHost(host);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  handleUncaught(log);
  const code = await runListenDaemon({ host: loopback, port: Number(positionals[0] ?? 0), storageDir: defaultStorageDir(), version: version(), log }, (l) => process.stdout.write(l + '\n'));
  process.exit(code); // as on stdio: vscode-languageserver leaves timers behind
}
