/**
 * The `earshot` command line: the daemon's pipeline without an editor.
 *
 *   earshot transcribe [audio.wav] [--model PATH] [--language en] [--json] [--notes-dir DIR] [--threads N] [--realtime] [--vad-profile default|sensitive] [--no-download]
 *   earshot transcribe|listen … --connect [--token-file FILE]   the same session in a running `earshot daemon --listen`
 *   earshot notes <transcript> [--json | --md] [--date YYYY-MM-DD] [--llm-endpoint URL [--llm-model NAME] [--llm-allow-remote] | --local [--model ID|PATH] [--threads N]] [--no-carry-notes]
 *   earshot export <journal.jsonl> [--format md|json|srt|vtt|txt] [--out FILE]
 *   earshot ask "QUESTION" [--over FILE]… [--meeting TITLE]… [--since DAY] [--until DAY] [--json] [--limit N] [--words-only] [--cache-dir DIR] [--llm-endpoint URL [--llm-model NAME] [--llm-allow-remote]]
 *   earshot todo [--mine NAME…] [--json]
 *   earshot mcp [--over FILE]… [--me NAME]… [--storage DIR] [--workspace DIR]   an MCP server on stdio for coding agents
 *   earshot vad <audio.wav> [--json] [--profile default|sensitive]
 *   earshot diarize <audio.wav> [--json]
 *   earshot models [list|download <id>] [--json] [--repair]
 *   earshot servers [--json] [--timeout MS]   Ollama, LM Studio, llama.cpp servers running here and their models
 *   earshot listen [--source mic,system] [--seconds N] [--json]   a live session from the real devices
 *   earshot devices [--json]  microphones and system-audio sources, defaults marked
 *   earshot daemon            JSON-RPC on stdio: exactly what the extension runs
 *   earshot daemon --listen [PORT] [--host 127.0.0.1|::1]   the same over TCP on loopback, for a client with the token
 *   earshot build-info        how the whisper addon was compiled (are the fast flags in?)
 *   earshot report [--record SECONDS] [--json]   what Earshot finds on this machine, for a problem report
 *
 * This file parses the command and dispatches: each group of commands lives in cli/ (transcribe.ts: transcribe and
 * listen; notes.ts: notes and export; memory.ts: ask and todo; mcp.ts: the MCP server; vad.ts; diarize.ts; models.ts; servers.ts; machine.ts: devices, build-info and report; daemon.ts; common.ts:
 * what they share). bin/earshot.js requires out/daemon/cli.js: keep this entry here. It must not hold a command itself.
 */
import { watchReexecParent } from './reexec';
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

export type { Io } from './cli/common';

const USAGE = `Usage:
  earshot transcribe [audio.wav] [--model PATH] [--language en] [--json] [--notes-dir DIR] [--threads N] [--realtime] [--vad-profile default|sensitive] [--no-download]
      Transcribe a WAV file (default: the bundled sample meeting), print final segments, write notes.
  earshot notes <transcript> [--json | --md] [--date YYYY-MM-DD] [--llm-endpoint URL [--llm-model NAME] [--llm-allow-remote] | --local [--model ID|PATH] [--threads N]] [--no-carry-notes]
      Action items and decisions from a transcript: JSON lines {"t0","t1","speaker","text"} or "Speaker: text" lines.
      With --llm-endpoint (an OpenAI-compatible server on this machine): the opt-in language-model extraction too;
      with --local, the same extraction by a GGUF model run here in a process of its own (--model: its file).
  earshot export <journal.jsonl> [--format md|json|srt|vtt|txt] [--out FILE]
      Export a session from its journal (EARSHOT_STORAGE/sessions): notes, JSON, subtitles or plain text, to stdout or FILE.
  earshot ask "QUESTION" [--over FILE]… [--meeting TITLE]… [--since DAY] [--until DAY] [--json] [--limit N] [--words-only] [--cache-dir DIR] [--llm-endpoint URL [--llm-model NAME] [--llm-allow-remote]]
      Find what past meetings said about QUESTION (the stored meetings, or the transcripts given with --over, one
      --over per file, each a regular file of at most 64 MB in any format notes reads, or a journal): the best
      passages, quoted with meeting, time and speaker (control characters in them shown escaped). With --llm-endpoint,
      an OpenAI-compatible server answers from those lines, citing them as [n]. --json: {answer, cited:[{file, line,
      t0, speaker, text}]} (line: the transcript's 1-based line, or the segment's index in a journal). --meeting:
      only meetings whose title has all these words (or this session id); --since/--until: only those that started
      on or after / on or before that day (YYYY-MM-DD, this machine's time zone). With the meeting search model
      downloaded (earshot models download bge-small-en-v1.5; --cache-dir: where models are), passages are found by
      meaning as well as words (it first reads the meetings it has not read); --words-only: by words alone.
  earshot todo [--mine NAME…] [--json]
      Open action items of every stored meeting, newest meeting first; --mine: only those owned by NAME (any case, accents).
  earshot mcp [--over FILE]… [--me NAME]… [--storage DIR] [--words-only] [--cache-dir DIR] [--workspace DIR]
      A Model Context Protocol server on stdio for coding agents (Claude Code, Cursor, VS Code, any MCP client), read-
      only: search the meetings (as ask ranks), open action items (--me: the user's names, for "mine"), decisions,
      a meeting's notes, what meetings said about a file or symbol, the meeting list. Over the stored meetings
      (--storage, default EARSHOT_STORAGE) or the transcripts given with --over; --workspace: what meetings said about
      code counts only meetings recorded in that workspace folder (default: any). Nothing leaves this machine; the
      agent's model gets what a tool returns.
  earshot vad <audio.wav> [--json] [--profile default|sensitive]
      What the voice activity detector passes to the recognizer, pre-roll and hangover included, with the detected
      speech inside (with --json: [{"start","end","speechStart","speechEnd"}] in seconds).
  earshot diarize <audio.wav> [--json]
      Who spoke when: speaker turns by the speaker segmentation model (pyannote segmentation-3.0), one line each (with
      --json: [{"start","end","speaker"}] in seconds). Voices are linked by overlap only: one silent for more than
      10 s comes back as a new speaker.
  earshot models [list] [--json] | earshot models download <id> [--repair]
      The whisper model catalog, the notes model catalog, the speaker voice model and the meeting search model (size,
      licence, downloaded or not, the recommended one) with their cache; download (resumable, sha256-checked) any of
      them (notes models: gigabytes).
  earshot servers [--json] [--timeout MS]
      Language-model servers running on this machine (Ollama, LM Studio, llama.cpp's server on their default ports and
      OLLAMA_HOST's, loopback only) and the chat models each offers, for notes --llm-endpoint/--llm-model.
  earshot listen [--source mic,system] [--seconds N] [--mic DEVICE] [--system DEVICE] [--json] [--model PATH] [--notes-dir DIR]
      Record the microphone ("You") and system audio ("Others") live, print final segments as transcribe does, write notes.
  earshot devices [--json]
      Microphones and system-audio sources (* marks the default), and whether system audio can be captured.
  earshot daemon
      Run the daemon on stdio (JSON-RPC), as the VS Code extension does.
  earshot daemon --listen [PORT] [--host 127.0.0.1|::1]
      Serve the same JSON-RPC over TCP on loopback only (PORT 0 or none: a free port), until SIGINT/SIGTERM. Clients
      prove the token written with the port to EARSHOT_STORAGE/daemon.token (mode 0600) as the first message: an
      initialize with initializationOptions.authToken.
  earshot transcribe … --connect [--token-file FILE] | earshot listen … --connect [--token-file FILE]
      Run the session in that listening daemon instead of in this process (same output; the token file defaults to
      EARSHOT_STORAGE/daemon.token).
  earshot build-info [--json]
      Show how the whisper addon was compiled (JSON): whisper.cpp's version, the CPU features it uses, flash attention.
  earshot report [--record SECONDS] [--json]
      What Earshot finds on this machine, to paste into a problem report: the process, the native modules, the capture
      backends and devices, macOS's capture app and privacy log, Windows' Smart App Control. --record: also record each
      source for SECONDS (up to 10) and say what arrived. No transcript, no audio; the home folder is shown as ~.

--verbose (any command): debug logging, including whisper.cpp's own log lines as Earshot log records on stderr.
Without a model file, transcribe and listen download the recommended catalog model on first use (sha256-checked;
--no-download or EARSHOT_OFFLINE=1: refuse instead).
Environment: EARSHOT_MODEL (model file), EARSHOT_STORAGE (journals folder), EARSHOT_MODEL_MIRROR (https mirror of the
model files), EARSHOT_NOTES_MODEL_MIRROR (https mirror of the notes model files), EARSHOT_OFFLINE=1, EARSHOT_GPU (1/0), EARSHOT_FLASH_ATTN (1/0), EARSHOT_LOG_LEVEL,
EARSHOT_LOCAL_SERVER_PORTS (ports "servers" asks instead of the defaults, comma-separated).`;

/** Runs the CLI; resolves to the exit code (0 ok, 1 failure, 2 usage). */
export async function main(argv: string[], io: Io = stdio): Promise<number> {
  watchReexecParent();
  // --verbose, anywhere: Earshot's debug log, and whisper.cpp's own loading log on stderr (whisper.ts).
  if (argv.includes('--verbose')) {
    process.env.EARSHOT_LOG_LEVEL = 'debug';
    argv = argv.filter((a) => a !== '--verbose');
  }
  const [command, ...rest] = argv;
  try {
    // Each command's module is loaded when it runs: what one command requires is otherwise resident in every other's
    // process (the MCP server's SDK, zod and ajv made `earshot transcribe`'s peak 9 MiB higher: issue 60).
    /* eslint-disable @typescript-eslint/no-require-imports */
    switch (command) {
      case 'transcribe': return await (require('./cli/transcribe') as typeof TranscribeCli).transcribe(rest, io);
      case 'notes': return await (require('./cli/notes') as typeof NotesCli).notes(rest, io);
      case 'export': return await (require('./cli/notes') as typeof NotesCli).exportCommand(rest, io);
      case 'ask': return await (require('./cli/memory') as typeof MemoryCli).ask(rest, io);
      case 'todo': return await (require('./cli/memory') as typeof MemoryCli).todo(rest, io);
      case 'mcp': return await (require('./cli/mcp') as typeof McpCli).mcp(rest, io);
      case 'vad': return await (require('./cli/vad') as typeof VadCli).vad(rest, io);
      case 'diarize': return await (require('./cli/diarize') as typeof DiarizeCli).diarize(rest, io);
      case 'models': return await (require('./cli/models') as typeof ModelsCli).models(rest, io);
      case 'servers': return await (require('./cli/servers') as typeof ServersCli).servers(rest, io);
      case 'devices': return await (require('./cli/machine') as typeof MachineCli).devices(rest, io);
      case 'listen': return await (require('./cli/transcribe') as typeof TranscribeCli).listen(rest, io);
      case 'daemon': return await (require('./cli/daemon') as typeof DaemonCli).daemon(rest);
      case 'build-info': return (require('./cli/machine') as typeof MachineCli).buildInfo(rest, io);
      case 'report': return await (require('./cli/machine') as typeof MachineCli).report(rest, io);
      case '--version': case '-v': io.out(version()); return 0;
      case undefined: case '--help': case '-h': case 'help': io.out(USAGE); return command === undefined ? 2 : 0;
      default: throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
    /* eslint-enable @typescript-eslint/no-require-imports */
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
