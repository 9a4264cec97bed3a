/**
 * The `earshot` command line: the daemon's pipeline without an editor.
 *
 * Its commands, their synopses and every option each accepts: cli/usage.ts, the one table the parsers read, printed by
 * `earshot --help` and `earshot COMMAND --help` and generated into docs/reference/cli.md (npm run docs).
 *
 * This file parses the command and dispatches: each group of commands lives in cli/ (transcribe.ts: transcribe and
 * listen; notes.ts: notes and export; memory.ts: ask and todo; mcp.ts: the MCP server; vad.ts; diarize.ts; models.ts; servers.ts; machine.ts: devices, build-info and report; daemon.ts; common.ts:
 * what they share). bin/earshot.js requires out/daemon/cli.js: keep this entry here. It must not hold a command itself.
 */
import { watchReexecParent } from './reexec';
import { daemon } from './cli/daemon';
import { buildInfo, devices, report } from './cli/machine';
import { ask, todo } from './cli/memory';
import { mcp } from './cli/mcp';
import { models } from './cli/models';
import { servers } from './cli/servers';
import { exportCommand, notes } from './cli/notes';
import { listen, transcribe } from './cli/transcribe';
import { vad } from './cli/vad';
import { diarize } from './cli/diarize';
import { Io, stdio, UsageError, version } from './cli/common';
import { CommandName, commandHelp, COMMANDS, generalHelp } from './cli/usage';

export type { Io } from './cli/common';

const USAGE = generalHelp();

/** What runs each command of the table (a command in usage.ts without one here does not compile). */
const RUN: Record<CommandName, (argv: string[], io: Io) => number | Promise<number>> = {
  transcribe, notes, export: exportCommand, ask, todo, mcp, vad, diarize, models, servers, listen, devices,
  daemon: (argv) => daemon(argv), 'build-info': buildInfo, report,
};

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
