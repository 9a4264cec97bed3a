/**
 * The `earshot` command line's one table: every command, its synopses and what each does, and every option its parser
 * accepts with a one-line meaning. Each command parses its arguments with args(argv, 'name') (common.ts), which reads
 * the options from here, so the help (`earshot --help`, `earshot COMMAND --help`) and docs/reference/cli.md
 * (scripts/gen-docs.js) cannot name an option the parser refuses, nor miss one it accepts.
 *
 * Owns the help's words and layout. Must not import the command files, nor anything that loads a model or a device:
 * scripts/gen-docs.js requires the compiled file alone.
 */

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly default?: string | boolean;
  /** What the value is, as the synopsis names it (string options). */
  readonly value?: string;
  readonly meaning: string;
  /** Passed by the VS Code language client, not by a person: in the options list, not in the synopsis. */
  readonly editorOnly?: boolean;
}

/** One way to call a command: its synopsis line and what it does (lines as printed, without the indent). */
export interface Usage {
  readonly synopsis: string;
  readonly text: string;
}

export interface CommandSpec {
  readonly usages: readonly Usage[];
  readonly options: Readonly<Record<string, OptionSpec>>;
}

const CONNECT_TEXT = `Run the session in that listening daemon instead of in this process (same output; the token file defaults to
EARSHOT_STORAGE/daemon.token).`;

/** The options transcribe and listen share: both run a session. */
const SESSION_OPTIONS = {
  model: { type: 'string', value: 'PATH', meaning: 'the whisper model file (default: EARSHOT_MODEL, else the recommended catalog model, downloaded on first use)' },
  language: { type: 'string', default: 'en', value: 'CODE', meaning: 'the spoken language, a code such as en or de' },
  json: { type: 'boolean', default: false, meaning: 'print each final segment as a JSON line instead of "[mm:ss.ss → mm:ss.ss] Speaker: text"' },
  'notes-dir': { type: 'string', value: 'DIR', meaning: 'where the notes are written (default: .earshot/notes in the current folder)' },
  threads: { type: 'string', value: 'N', meaning: "whisper.cpp's threads (default: chosen for this machine)" },
  connect: { type: 'boolean', default: false, meaning: 'run the session in a running `earshot daemon --listen` instead of in this process' },
  'token-file': { type: 'string', value: 'FILE', meaning: "with --connect: the listening daemon's token file (default: EARSHOT_STORAGE/daemon.token)" },
  'vad-profile': { type: 'string', default: 'default', value: 'default|sensitive', meaning: "the voice detector's profile: sensitive passes quieter speech" },
  'no-download': { type: 'boolean', default: false, meaning: 'never download a model: fail instead (as EARSHOT_OFFLINE=1 does)' },
  template: { type: 'string', value: 'ID', meaning: 'write the notes by this notes template (earshot templates lists them; default: none, the standard notes)' },
  'templates-dir': { type: 'string', value: 'DIR', meaning: "the workspace's templates folder (default: .earshot/templates in the current folder)" },
} as const;

const LLM_OPTIONS = {
  'llm-endpoint': { type: 'string', value: 'URL', meaning: 'an OpenAI-compatible language-model server, on this machine unless --llm-allow-remote' },
  'llm-model': { type: 'string', value: 'NAME', meaning: 'with --llm-endpoint: the model to ask the server for' },
  'llm-allow-remote': { type: 'boolean', default: false, meaning: 'with --llm-endpoint: allow a server that is not on this machine (the transcript lines are sent there)' },
} as const;

const MEMORY_MODEL_OPTIONS = {
  'words-only': { type: 'boolean', default: false, meaning: 'find passages by their words alone, not by meaning with the meeting search model' },
  'cache-dir': { type: 'string', value: 'DIR', meaning: 'where the models are (default: the model cache in EARSHOT_STORAGE)' },
} as const;

const JSON_OPTION = { json: { type: 'boolean', default: false, meaning: 'print JSON instead of text' } } as const;

/** Every command, in the order the help lists them. */
export const COMMANDS = {
  transcribe: {
    usages: [
      {
        synopsis: 'earshot transcribe [audio.wav] [--model PATH] [--language en] [--json] [--notes-dir DIR] [--threads N] [--realtime] [--vad-profile default|sensitive] [--template ID [--templates-dir DIR]] [--no-download]',
        text: 'Transcribe a WAV file (default: the bundled sample meeting), print final segments, write notes.',
      },
      { synopsis: 'earshot transcribe … --connect [--token-file FILE]', text: CONNECT_TEXT },
    ],
    options: {
      ...SESSION_OPTIONS,
      realtime: { type: 'boolean', default: false, meaning: 'read the file at the pace it was recorded, as live audio arrives, instead of as fast as possible' },
    },
  },
  notes: {
    usages: [{
      synopsis: 'earshot notes <transcript> [--json | --md] [--date YYYY-MM-DD] [--llm-endpoint URL [--llm-model NAME] [--llm-allow-remote] | --local [--model ID|PATH] [--threads N]] [--chunk-chars N] [--carry-notes | --no-carry-notes] [--check-restatements | --no-check-restatements] [--check-procedure | --no-check-procedure] [--check-owners | --no-check-owners] [--check-standings | --no-check-standings] [--template ID [--templates-dir DIR]]',
      text: `Action items and decisions from a transcript: JSON lines {"t0","t1","speaker","text"} or "Speaker: text" lines.
With --llm-endpoint (an OpenAI-compatible server on this machine): the opt-in language-model extraction too;
with --local, the same extraction by a GGUF model run here in a process of its own (--model: its file).`,
    }],
    options: {
      json: { type: 'boolean', default: false, meaning: 'print the notes as JSON' },
      md: { type: 'boolean', default: false, meaning: 'print the notes as the Markdown a meeting writes' },
      date: { type: 'string', value: 'YYYY-MM-DD', meaning: "the meeting's day, from which relative due dates are read (default: the transcript's, else the file's last change)" },
      ...LLM_OPTIONS,
      local: { type: 'boolean', default: false, meaning: 'the language-model extraction by a GGUF notes model run on this machine' },
      model: { type: 'string', value: 'ID|PATH', meaning: 'with --local: the notes model, a catalog id or a GGUF file (default: the recommended one)' },
      threads: { type: 'string', value: 'N', meaning: "with --local: the model's threads" },
      'chunk-chars': { type: 'string', value: 'N', meaning: 'with a model: characters of transcript in each part it reads at once, 1000 to 100000 (default 6000; earshot.enhancement.chunkCharacters)' },
      'carry-notes': { type: 'boolean', default: false, meaning: 'each part of a long transcript is read with what the parts before it noted (the default)' },
      'no-carry-notes': { type: 'boolean', default: false, meaning: 'each part of a long transcript is read alone (the earlier prompt)' },
      'check-restatements': { type: 'boolean', default: false, meaning: 'with carried notes: one more call reads the final lists and folds each entry that only says again what another of its standing says (the default)' },
      'no-check-restatements': { type: 'boolean', default: false, meaning: 'keep every entry the parts noted, restatements too' },
      'check-procedure': { type: 'boolean', default: false, meaning: 'with carried notes: one more call reads each decision with its lines and drops those the group did not reach (the meeting\'s own running, a proposal nobody settled, one person\'s plan; the default)' },
      'no-check-procedure': { type: 'boolean', default: false, meaning: 'keep every decision the parts noted' },
      'check-owners': { type: 'boolean', default: false, meaning: 'with carried notes: one more call names who owns each action item left without an owner, from the lines it was noted from' },
      'no-check-owners': { type: 'boolean', default: false, meaning: 'leave the items without an owner as the parts left them' },
      'check-standings': { type: 'boolean', default: false, meaning: 'one more call writes again each point of the settled summary that states a decision\'s standing otherwise than the final decisions (the default)' },
      'no-check-standings': { type: 'boolean', default: false, meaning: 'keep the settled summary as the settle wrote it' },
      template: SESSION_OPTIONS.template,
      'templates-dir': SESSION_OPTIONS['templates-dir'],
    },
  },
  export: {
    usages: [{
      synopsis: 'earshot export <journal.jsonl> [--format md|json|srt|vtt|txt] [--out FILE]',
      text: 'Export a session from its journal (EARSHOT_STORAGE/sessions): notes, JSON, subtitles or plain text, to stdout or FILE.',
    }],
    options: {
      format: { type: 'string', value: 'md|json|srt|vtt|txt', meaning: "the output's format (default: from --out's extension, else md)" },
      out: { type: 'string', value: 'FILE', meaning: 'write to FILE instead of stdout' },
    },
  },
  ask: {
    usages: [{
      synopsis: 'earshot ask "QUESTION" [--over FILE]… [--meeting TITLE]… [--since DAY] [--until DAY] [--json] [--limit N] [--words-only] [--cache-dir DIR] [--llm-endpoint URL [--llm-model NAME] [--llm-allow-remote]]',
      text: `Find what past meetings said about QUESTION (the stored meetings, or the transcripts given with --over, one
--over per file, each a regular file of at most 64 MB in any format notes reads, or a journal): the best
passages, quoted with meeting, time and speaker (control characters in them shown escaped). With --llm-endpoint,
an OpenAI-compatible server answers from those lines, citing them as [n]. --json: {answer, cited:[{file, line,
t0, speaker, text}]} (line: the transcript's 1-based line, or the segment's index in a journal). --meeting:
only meetings whose title has all these words (or this session id); --since/--until: only those that started
on or after / on or before that day (YYYY-MM-DD, this machine's time zone). With the meeting search model
downloaded (earshot models download bge-small-en-v1.5; --cache-dir: where models are), passages are found by
meaning as well as words (it first reads the meetings it has not read); --words-only: by words alone.`,
    }],
    options: {
      over: { type: 'string', multiple: true, value: 'FILE', meaning: 'search this transcript or journal instead of the stored meetings' },
      meeting: { type: 'string', multiple: true, value: 'TITLE', meaning: 'only meetings whose title has all these words, or this session id' },
      since: { type: 'string', value: 'DAY', meaning: 'only meetings that started on or after DAY (YYYY-MM-DD, local time)' },
      until: { type: 'string', value: 'DAY', meaning: 'only meetings that started on or before DAY (YYYY-MM-DD, local time)' },
      json: { type: 'boolean', default: false, meaning: 'print {answer, cited:[{file, line, t0, speaker, text}]}' },
      limit: { type: 'string', value: 'N', meaning: 'how many passages, 1 to 50 (default 5)' },
      ...MEMORY_MODEL_OPTIONS,
      ...LLM_OPTIONS,
    },
  },
  todo: {
    usages: [{
      synopsis: 'earshot todo [--mine NAME…] [--json]',
      text: 'Open action items of every stored meeting, newest meeting first; --mine: only those owned by NAME (any case, accents).',
    }],
    options: {
      mine: { type: 'string', multiple: true, value: 'NAME', meaning: 'only the items owned by NAME' },
      ...JSON_OPTION,
    },
  },
  mcp: {
    usages: [{
      synopsis: 'earshot mcp [--over FILE]… [--me NAME]… [--storage DIR] [--words-only] [--cache-dir DIR] [--workspace DIR]',
      text: `A Model Context Protocol server on stdio for coding agents (Claude Code, Cursor, VS Code, any MCP client), read-
only: search the meetings (as ask ranks), open action items (--me: the user's names, for "mine"), decisions,
a meeting's notes, what meetings said about a file or symbol, the meeting list. Over the stored meetings
(--storage, default EARSHOT_STORAGE) or the transcripts given with --over; --workspace: what meetings said about
code counts only meetings recorded in that workspace folder (default: any). Nothing leaves this machine; the
agent's model gets what a tool returns.`,
    }],
    options: {
      over: { type: 'string', multiple: true, value: 'FILE', meaning: 'serve this transcript or journal instead of the stored meetings' },
      me: { type: 'string', multiple: true, value: 'NAME', meaning: 'one of the user\'s names, whose action items are "mine"' },
      storage: { type: 'string', value: 'DIR', meaning: 'the stored meetings\' folder (default: EARSHOT_STORAGE)' },
      ...MEMORY_MODEL_OPTIONS,
      workspace: { type: 'string', value: 'DIR', meaning: 'what meetings said about code: only meetings recorded in this workspace folder' },
    },
  },
  vad: {
    usages: [{
      synopsis: 'earshot vad <audio.wav> [--json] [--profile default|sensitive]',
      text: `What the voice activity detector passes to the recognizer, pre-roll and hangover included, with the detected
speech inside (with --json: [{"start","end","speechStart","speechEnd"}] in seconds).`,
    }],
    options: {
      ...JSON_OPTION,
      profile: { type: 'string', default: 'default', value: 'default|sensitive', meaning: "the voice detector's profile: sensitive passes quieter speech" },
    },
  },
  diarize: {
    usages: [{
      synopsis: 'earshot diarize <audio.wav> [--json]',
      text: `Who spoke when: speaker turns by the speaker segmentation model (pyannote segmentation-3.0), one line each, then
each stretch of speech a session would transcribe (a transcript line) with the voice and confidence a session gives
it. With --json: {"turns", "weak", "lines", "speech"}, times in seconds: the decided turns and the half-heard ones
[{"start","end","speaker"}], the lines [{"start","end","speaker","confidence"}], and who speaks when over the
detected speech (the turns, and the speech they miss with the voice it gets: "filled"). Voices are linked by
overlap, and one silent for more than 10 s is matched to an earlier one by spectral statistics, as in a session
without the voice model.`,
    }],
    options: { ...JSON_OPTION },
  },
  models: {
    usages: [
      {
        synopsis: 'earshot models [list] [--json] [--language CODE] [--cache-dir DIR]',
        text: `The whisper model catalog, the notes model catalog, the speaker voice model and the meeting search model (size,
licence, downloaded or not, the recommended one) with their cache.`,
      },
      {
        synopsis: 'earshot models download <id> [--repair] [--language CODE] [--cache-dir DIR]',
        text: 'Download (resumable, sha256-checked) any of them (notes models: gigabytes).',
      },
    ],
    options: {
      ...JSON_OPTION,
      repair: { type: 'boolean', default: false, meaning: 'download again a model file whose checksum does not match' },
      language: { type: 'string', default: 'en', value: 'CODE', meaning: 'the language the recommended whisper model is chosen for' },
      'cache-dir': { type: 'string', value: 'DIR', meaning: 'the model cache (default: the one in EARSHOT_STORAGE)' },
    },
  },
  servers: {
    usages: [{
      synopsis: 'earshot servers [--json] [--timeout MS]',
      text: `Language-model servers running on this machine (Ollama, LM Studio, llama.cpp's server on their default ports and
OLLAMA_HOST's, loopback only) and the chat models each offers, for notes --llm-endpoint/--llm-model.`,
    }],
    options: {
      ...JSON_OPTION,
      timeout: { type: 'string', value: 'MS', meaning: 'how long each server is given to answer, 50 to 5000 milliseconds' },
    },
  },
  listen: {
    usages: [
      {
        synopsis: 'earshot listen [--source mic,system] [--seconds N] [--stop-when-call-ends APP] [--mic DEVICE] [--system DEVICE] [--json] [--model PATH] [--language en] [--notes-dir DIR] [--threads N] [--vad-profile default|sensitive] [--template ID [--templates-dir DIR]] [--no-download]',
        text: 'Record the microphone ("You") and system audio ("Others") live, print final segments as transcribe does, write notes.',
      },
      {
        synopsis: 'earshot listen --stop-when-call-ends APP …',
        text: `Take notes of a call under way and stop when it ends (auto-stop): APP is an app using the microphone now, as
\`earshot calls\` names it. Once APP has released the microphone and no source has heard speech for 30 s, a 15 s
countdown runs, then the meeting stops as at Ctrl+C (speech, or APP using the microphone again, puts it off). Each
change is a line on stderr. A fault of call detection never stops the meeting.`,
      },
      { synopsis: 'earshot listen … --connect [--token-file FILE]', text: CONNECT_TEXT },
    ],
    options: {
      ...SESSION_OPTIONS,
      source: { type: 'string', default: 'mic,system', value: 'mic,system', meaning: 'what to record: the microphone, system audio or both' },
      seconds: { type: 'string', value: 'N', meaning: 'stop after N seconds (default: at Ctrl+C)' },
      'stop-when-call-ends': { type: 'string', value: 'APP', meaning: 'stop when the call of APP (a name `earshot calls` lists now) has ended and its audio is silent' },
      mic: { type: 'string', value: 'DEVICE', meaning: 'the microphone, an id from `earshot devices` (default: the default one)' },
      system: { type: 'string', value: 'DEVICE', meaning: 'the system-audio source, an id from `earshot devices` (default: the default one)' },
    },
  },
  devices: {
    usages: [{
      synopsis: 'earshot devices [--json]',
      text: 'Microphones and system-audio sources (* marks the default), and whether system audio can be captured.',
    }],
    options: { ...JSON_OPTION },
  },
  calls: {
    usages: [{
      synopsis: 'earshot calls [--json] [--watch [--interval MS]]',
      text: `Which apps use the microphone now, as call detection sees them: each app's name, its process id where the OS
gives one, and since when (the OS's time where it keeps one, else when detection first saw it). Earshot's own
recorders and system-audio captures are left out. --watch: then one line each time an app starts or stops using
the microphone, until Ctrl+C (with --json: the list, then each change, as JSON lines).`,
    }],
    options: {
      json: { type: 'boolean', default: false, meaning: 'print {apps:[{app, pid, since, sinceFrom}], backend, fault} as JSON (with --watch: JSON lines)' },
      watch: { type: 'boolean', default: false, meaning: 'keep watching and print each change, until Ctrl+C' },
      interval: { type: 'string', value: 'MS', meaning: 'with --watch: how often to look, 1000 to 60000 milliseconds (default 3000)' },
    },
  },
  templates: {
    usages: [{
      synopsis: 'earshot templates [--json] [--dir DIR]',
      text: `The notes templates a meeting can use: the workspace's (DIR, default .earshot/templates in the current folder)
and the shipped ones, each with its sections; then each workspace file that cannot be used, with why. The
docs' templates page describes the format.`,
    }],
    options: {
      json: { type: 'boolean', default: false, meaning: 'print {templates, faults} as JSON' },
      dir: { type: 'string', value: 'DIR', meaning: "the workspace's templates folder (default: .earshot/templates in the current folder)" },
    },
  },
  daemon: {
    usages: [
      { synopsis: 'earshot daemon', text: 'Run the daemon on stdio (JSON-RPC), as the VS Code extension does.' },
      {
        synopsis: 'earshot daemon --listen [PORT] [--host 127.0.0.1|::1]',
        text: `Serve the same JSON-RPC over TCP on loopback only (PORT 0 or none: a free port), until SIGINT/SIGTERM. Clients
prove the token written with the port to EARSHOT_STORAGE/daemon.token (mode 0600) as the first message: an
initialize with initializationOptions.authToken.`,
      },
    ],
    options: {
      listen: { type: 'boolean', default: false, meaning: 'serve over TCP on loopback instead of stdio' },
      host: { type: 'string', value: '127.0.0.1|::1', meaning: 'with --listen: the loopback address (default 127.0.0.1)' },
      stdio: { type: 'boolean', default: false, editorOnly: true, meaning: 'JSON-RPC on stdio, as without it' },
      clientProcessId: { type: 'string', value: 'PID', editorOnly: true, meaning: "the editor's process id, not used" },
    },
  },
  'build-info': {
    usages: [{
      synopsis: 'earshot build-info [--json] [--model FILE]…',
      text: `Show how the whisper addon was compiled (JSON): whisper.cpp's version, the CPU features it uses, flash attention,
and per model in the cache (or each --model) what decode tuning chose on this CPU.`,
    }],
    options: {
      json: { type: 'boolean', default: false, meaning: 'accepted for scripts that say so: the output is JSON either way' },
      model: { type: 'string', multiple: true, value: 'FILE', meaning: "a model file whose decode tuning to show (default: the cache's models)" },
    },
  },
  report: {
    usages: [{
      synopsis: 'earshot report [--record SECONDS] [--json]',
      text: `What Earshot finds on this machine, to paste into a problem report: the process, the native modules, the capture
backends and devices, macOS's capture app and privacy log, Windows' Smart App Control. --record: also record each
source for SECONDS (up to 10) and say what arrived. No transcript, no audio; the home folder is shown as ~.`,
    }],
    options: {
      record: { type: 'string', value: 'SECONDS', meaning: 'also record each source for SECONDS (0 to 10) and say what arrived' },
      json: { type: 'boolean', default: false, meaning: 'print the report as JSON instead of Markdown' },
    },
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

/** Options every command takes; main() reads them before the command's parser. */
export const GLOBAL_OPTIONS: readonly { readonly flag: string; readonly meaning: string }[] = [
  { flag: '--verbose', meaning: "debug logging (any command), including whisper.cpp's own log lines as Earshot log records on stderr" },
  { flag: '-h, --help', meaning: "this help; after a command, that command's help" },
  { flag: '-v, --version', meaning: "the package's version (alone, instead of a command)" },
];

/** The environment variables the CLI reads. */
export const ENVIRONMENT: readonly { readonly name: string; readonly meaning: string }[] = [
  { name: 'EARSHOT_MODEL', meaning: 'the whisper model file' },
  { name: 'EARSHOT_STORAGE', meaning: 'the journals folder (stored meetings, the model cache, daemon.token)' },
  { name: 'EARSHOT_MODEL_MIRROR', meaning: 'an https mirror of the whisper model files' },
  { name: 'EARSHOT_NOTES_MODEL_MIRROR', meaning: 'an https mirror of the notes model files' },
  { name: 'EARSHOT_OFFLINE', meaning: '1: never download a model (as --no-download)' },
  { name: 'EARSHOT_GPU', meaning: '1/0: decode on the GPU or not' },
  { name: 'EARSHOT_FLASH_ATTN', meaning: '1/0: flash attention on or off, instead of measured per model' },
  { name: 'EARSHOT_DECODE_BESIDE', meaning: "0: no second whisper context for a live session's first partials (they wait for the decode before)" },
  { name: 'EARSHOT_LOG_LEVEL', meaning: "the log level (debug: everything, as --verbose)" },
  { name: 'EARSHOT_LOCAL_SERVER_PORTS', meaning: 'the ports `earshot servers` asks instead of the defaults, comma-separated' },
];

/** Said once in the general help: how a session finds its model. */
export const MODEL_NOTE = `Without a model file, transcribe and listen download the recommended catalog model on first use (sha256-checked;
--no-download or EARSHOT_OFFLINE=1: refuse instead).`;

/** The options of `command` as node:util's parseArgs takes them (the help's fields stripped). */
export function parserOptions(command: CommandName): Record<string, { type: 'string' | 'boolean'; multiple?: boolean; default?: string | boolean }> {
  const options: CommandSpec['options'] = COMMANDS[command].options;
  return Object.fromEntries(Object.entries(options).map(([name, o]) => [name, {
    type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(o.default !== undefined ? { default: o.default } : {}),
  }]));
}

const indent = (text: string, by: string) => text.split('\n').map((l) => by + l).join('\n');

/** `--name VALUE` as the options list shows an option. */
export function optionLabel(name: string, o: OptionSpec): string {
  return `--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}${o.multiple ? '…' : ''}`;
}

/** A list of `label  meaning` lines, the meanings aligned. */
function table(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, m]) => `  ${l.padEnd(width)}  ${m}`).join('\n');
}

/** What the options list says after an option's meaning besides its default: repeatable, passed by the editor. */
export function optionNotes(o: OptionSpec): string {
  return (o.multiple ? ' (repeatable)' : '') + (o.editorOnly ? ' (the VS Code language client passes it)' : '');
}

function defaultNote(o: OptionSpec): string {
  return o.type === 'string' && typeof o.default === 'string' ? ` (default ${o.default})` : '';
}

/** `earshot COMMAND --help`: its synopses, what it does, and every option the parser accepts. */
export function commandHelp(command: CommandName): string {
  const spec: CommandSpec = COMMANDS[command];
  const usages = spec.usages.map((u) => `  ${u.synopsis}\n${indent(u.text, '      ')}`).join('\n');
  const options = table([
    ...Object.entries(spec.options).map(([name, o]) => [optionLabel(name, o), o.meaning + defaultNote(o) + optionNotes(o)] as const),
    ['--verbose', GLOBAL_OPTIONS[0].meaning], ['-h, --help', 'this help'],
  ]);
  return `Usage:\n${usages}\n\nOptions:\n${options}`;
}

/** `earshot --help`: every command's synopses and what each does, then what every command shares. */
export function generalHelp(): string {
  const usages = Object.values(COMMANDS as Record<string, CommandSpec>).flatMap((c) => c.usages)
    .map((u) => `  ${u.synopsis}\n${indent(u.text, '      ')}`).join('\n');
  return `Usage:\n${usages}\n\n`
    + `earshot COMMAND --help: that command's options, each with its meaning.\n`
    + `Every command:\n${table(GLOBAL_OPTIONS.map((g) => [g.flag, g.meaning]))}\n`
    + `${MODEL_NOTE}\n`
    + `Environment:\n${table(ENVIRONMENT.map((e) => [e.name, e.meaning]))}`;
}
