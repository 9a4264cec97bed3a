/**
 * The `earshot` command line: the daemon's pipeline without an editor.
 *
 * Its commands, their synopses and every option each accepts: cli/usage.ts, the one table the parsers read, printed by
 * `earshot --help` and `earshot COMMAND --help` and generated into docs/reference/cli.md (npm run docs).
 *
 * This file parses the command and dispatches: each group of commands lives in cli/ (transcribe.ts: transcribe and
 * listen; notes.ts: notes and export; memory.ts: ask and todo; mcp.ts: the MCP server; vad.ts; diarize.ts; models.ts; servers.ts; machine.ts: devices, build-info and report; calls.ts; templates.ts; daemon.ts; common.ts:
 * what they share). bin/earshot.js requires out/daemon/cli.js: keep this entry here. It must not hold a command itself.
 */
import { watchReexecParent } from './reexec';
import type * as CallsCli from './cli/calls';
import type * as TemplatesCli from './cli/templates';
import type * as DaemonCli from './cli/daemon';
import type * as MachineCli from './cli/machine';
import type * as MemoryCli from './cli/memory';
import type * as McpCli from './cli/mcp';
import type * as ModelsCli from './cli/models';
import type * as ServersCli from './cli/servers';
import type * as NotesCli from './cli/notes';
import type * as TranscribeCli from './cli/transcribe';
import type * as VadCli from './cli/vad';
import type * as DiarizeCli from './cli/diarize';
import { Io, stdio, UsageError, version } from './cli/common';
import { CommandName, commandHelp, COMMANDS, generalHelp } from './cli/usage';

export type { Io } from './cli/common';

const USAGE = generalHelp();

/**
 * What runs each command of the table (a command in usage.ts without one here does not compile). Each command's module
 * is loaded when it runs: what one command requires is otherwise resident in every other's process (the MCP server's
 * SDK, zod and ajv made `earshot transcribe`'s peak 9 MiB higher: issue 60). The requires are plain literals, so the
 * import-graph test still sees them.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const RUN: Record<CommandName, (argv: string[], io: Io) => number | Promise<number>> = {
  transcribe: (argv, io) => (require('./cli/transcribe') as typeof TranscribeCli).transcribe(argv, io),
  listen: (argv, io) => (require('./cli/transcribe') as typeof TranscribeCli).listen(argv, io),
  notes: (argv, io) => (require('./cli/notes') as typeof NotesCli).notes(argv, io),
  export: (argv, io) => (require('./cli/notes') as typeof NotesCli).exportCommand(argv, io),
  ask: (argv, io) => (require('./cli/memory') as typeof MemoryCli).ask(argv, io),
  todo: (argv, io) => (require('./cli/memory') as typeof MemoryCli).todo(argv, io),
  mcp: (argv, io) => (require('./cli/mcp') as typeof McpCli).mcp(argv, io),
  vad: (argv, io) => (require('./cli/vad') as typeof VadCli).vad(argv, io),
  diarize: (argv, io) => (require('./cli/diarize') as typeof DiarizeCli).diarize(argv, io),
  models: (argv, io) => (require('./cli/models') as typeof ModelsCli).models(argv, io),
  servers: (argv, io) => (require('./cli/servers') as typeof ServersCli).servers(argv, io),
  devices: (argv, io) => (require('./cli/machine') as typeof MachineCli).devices(argv, io),
  'build-info': (argv, io) => (require('./cli/machine') as typeof MachineCli).buildInfo(argv, io),
  report: (argv, io) => (require('./cli/machine') as typeof MachineCli).report(argv, io),
  calls: (argv, io) => (require('./cli/calls') as typeof CallsCli).calls(argv, io),
  templates: (argv, io) => (require('./cli/templates') as typeof TemplatesCli).templates(argv, io),
  daemon: (argv) => (require('./cli/daemon') as typeof DaemonCli).daemon(argv),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** Runs the CLI; resolves to the exit code (0 ok, 1 failure, 2 usage). */
export async function main(argv: string[], io: Io = stdio): Promise<number> {
  watchReexecParent();
  // --verbose, anywhere: Earshot's debug log, and whisper.cpp's own loading log on stderr (whisper.ts).
  if (argv.includes('--verbose')) {
    process.env.EARSHOT_LOG_LEVEL = 'debug';
    argv = argv.filter((a) => a !== '--verbose');
  }
  const [command, ...rest] = argv;
  // `earshot COMMAND --help` (anywhere before a `--`): that command's options, from the table its parser reads.
  const beforeDashes = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (command !== undefined && Object.hasOwn(COMMANDS, command) && (beforeDashes.includes('--help') || beforeDashes.includes('-h'))) {
    io.out(commandHelp(command as CommandName));
    return 0;
  }
  try {
    if (command !== undefined && Object.hasOwn(RUN, command)) return await RUN[command as CommandName](rest, io);
    switch (command) {
      case '--version': case '-v': io.out(version()); return 0;
      case undefined: case '--help': case '-h': case 'help': io.out(USAGE); return command === undefined ? 2 : 0;
      default: throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (e) {
    const code: unknown = (e as { code?: unknown }).code; // a ServiceError's code is a number
    if (e instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      io.err(`earshot: ${(e as Error).message}\n\n${USAGE}`);
      return 2;
    }
    io.err(`earshot: ${(e as Error).message}`);
    return 1;
  }
}
