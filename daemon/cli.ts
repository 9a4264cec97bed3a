/**
 * The `earshot` command line: the daemon's pipeline without an editor.
 *
 *   earshot transcribe [audio.wav] [--model PATH] [--language en] [--json] [--notes-dir DIR] [--threads N] [--realtime] [--vad-profile default|sensitive] [--no-download]
 *   earshot transcribe|listen … --connect [--token-file FILE]   the same session in a running `earshot daemon --listen`
 *   earshot notes <transcript> [--json | --md] [--date YYYY-MM-DD] [--llm-endpoint URL [--llm-model NAME] [--llm-allow-remote]]
 *   earshot export <journal.jsonl> [--format md|json|srt|vtt|txt] [--out FILE]
 *   earshot vad <audio.wav> [--json] [--profile default|sensitive]
 *   earshot models [list|download <id>] [--json] [--repair]
 *   earshot listen [--source mic,system] [--seconds N] [--json]   a live session from the real devices
 *   earshot devices [--json]  microphones and system-audio sources, defaults marked
 *   earshot daemon            JSON-RPC on stdio: exactly what the extension runs
 *   earshot daemon --listen [PORT] [--host 127.0.0.1|::1]   the same over TCP on loopback, for a client with the token
 *   earshot build-info        how the whisper addon was compiled (are the fast flags in?)
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseArgs, ParseArgsConfig } from 'node:util';
import { EnhancementSettings, ErrorCodes, FinalSegment, LiveSourceKind, SessionStartParams, SessionStartResult, SourceStatusParams, TranscriptSegment } from '../protocol/protocol';
import { CATALOG, findCatalogModel } from './asr/catalog';
import { downloadCatalogModel, listModels, ModelSelection, selectModel } from './asr/modelStore';
import { defaultGpu, defaultNotesDir, defaultStorageDir, defaultThreads } from './config';
import { AudioDevice, captureBackends, listDevices, systemCaptureAvailability } from './capture/devices';
import { FileSource, SAMPLE_RATE } from './capture/source';
import { readJournal } from './journal/journal';
import { EXPORT_FORMATS, exportSession, isExportFormat } from './documents/export';
import { extract, SpokenLine } from './understanding/extract';
import { extractTranscriptWithModel, TranscriptModelResult, withLineIds } from './understanding/modelTranscript';
import { validateEnhancement } from '../protocol/validate';
import { writeFileAtomic } from './documents/markdown';
import { startServer } from './server';
import { startConnectedSession } from './connect';
import { loopbackHost, runListenDaemon, TOKEN_FILE } from './listen';
import { Logger, logLevelFrom } from './log';
import { flashAttnFromEnv, setWhisperLog, whisperAddon } from './asr/whisper';
import { watchReexecParent } from './reexec';
import { createSpeechDetector, vadConfig, VadProfile } from './vad/config';
import { downloadAllowed, downloadIfMissing } from './firstDownload';
import { segmentUtterances } from './vad/segmenter';
import { EarshotService, ServiceError, ServiceEvents } from './service';

const PACKAGE_ROOT = path.join(__dirname, '..', '..');
export const SAMPLE_RECORDING = path.join(PACKAGE_ROOT, 'media', 'sample', 'standup.wav');

const USAGE = `Usage:
  earshot transcribe [audio.wav] [--model PATH] [--language en] [--json] [--notes-dir DIR] [--threads N] [--realtime] [--vad-profile default|sensitive] [--no-download]
      Transcribe a WAV file (default: the bundled sample meeting), print final segments, write notes.
  earshot notes <transcript> [--json | --md] [--date YYYY-MM-DD] [--llm-endpoint URL [--llm-model NAME] [--llm-allow-remote]]
      Action items and decisions from a transcript: JSON lines {"t0","t1","speaker","text"} or "Speaker: text" lines.
      With --llm-endpoint (an OpenAI-compatible server on this machine): the opt-in language-model extraction too.
  earshot export <journal.jsonl> [--format md|json|srt|vtt|txt] [--out FILE]
      Export a session from its journal (EARSHOT_STORAGE/sessions): notes, JSON, subtitles or plain text, to stdout or FILE.
  earshot vad <audio.wav> [--json] [--profile default|sensitive]
      What the voice activity detector passes to the recognizer, pre-roll and hangover included, with the detected
      speech inside (with --json: [{"start","end","speechStart","speechEnd"}] in seconds).
  earshot models [list] [--json] | earshot models download <id> [--repair]
      The whisper model catalog and its cache; download (resumable, sha256-checked) a model.
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

--verbose (any command): debug logging, including whisper.cpp's own log lines as Earshot log records on stderr.
Without a model file, transcribe and listen download the recommended catalog model on first use (sha256-checked;
--no-download or EARSHOT_OFFLINE=1: refuse instead).
Environment: EARSHOT_MODEL (model file), EARSHOT_STORAGE (journals folder), EARSHOT_MODEL_MIRROR (https mirror of the
model files), EARSHOT_OFFLINE=1, EARSHOT_GPU (1/0), EARSHOT_FLASH_ATTN (1/0), EARSHOT_LOG_LEVEL.`;

class UsageError extends Error {}

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

const stdio: Io = { out: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l + '\n') };

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
    switch (command) {
      case 'transcribe': return await transcribe(rest, io);
      case 'notes': return await notes(rest, io);
      case 'export': return await exportCommand(rest, io);
      case 'vad': return await vad(rest, io);
      case 'models': return await models(rest, io);
      case 'devices': return await devices(rest, io);
      case 'listen': return await listen(rest, io);
      case 'daemon': return await daemon(rest);
      case 'build-info': return buildInfo(rest, io);
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

function args<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
}

export function version(): string {
  return (require(path.join(PACKAGE_ROOT, 'package.json')) as { version: string }).version;
}

/** Seconds with millisecond precision, as in every JSON output. */
const seconds = (t: number) => Math.round(t * 1000) / 1000;

/** Options every command that runs a session takes. */
const SESSION_OPTIONS = {
  model: { type: 'string' },
  language: { type: 'string', default: 'en' },
  json: { type: 'boolean', default: false },
  'notes-dir': { type: 'string' },
  threads: { type: 'string' },
  connect: { type: 'boolean', default: false },
  'token-file': { type: 'string' },
  'vad-profile': { type: 'string', default: 'default' },
  'no-download': { type: 'boolean', default: false },
} as const;

interface SessionValues {
  model?: string; language: string; json: boolean; 'notes-dir'?: string; threads?: string; connect: boolean; 'token-file'?: string; 'vad-profile': string;
  'no-download': boolean;
}

function vadProfile(value: string): VadProfile {
  if (value !== 'default' && value !== 'sensitive') throw new UsageError('--vad-profile (--profile) must be default or sensitive');
  return value;
}

/** --threads and --language, checked (threads: undefined when not given). */
function sessionSettings(values: SessionValues): { threads: number | undefined; language: string } {
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) throw new UsageError('--threads must be a positive integer');
  if (!/^[a-z]{2,3}$/.test(values.language)) throw new UsageError('--language must be a language code such as "en"');
  if (values['token-file'] !== undefined && !values.connect) throw new UsageError('--token-file goes with --connect');
  return { threads, language: values.language };
}

/** Prints a final segment: `[mm:ss.ss → mm:ss.ss] Speaker: text`, or with --json one {"t0","t1","source","text"} line. */
function segmentPrinter(json: boolean, io: Io): (s: TranscriptSegment) => void {
  return (s) => {
    if (!s.final || !s.text) return;
    io.out(json
      ? JSON.stringify({ t0: seconds(s.t0), t1: seconds(s.t1), source: s.source, text: s.text })
      : `[${stamp(s.t0)} → ${stamp(s.t1)}] ${s.speaker}: ${s.text}`);
  };
}

/** A live source's faults and recoveries, on stderr. */
function sourceStatusPrinter(io: Io): (st: SourceStatusParams) => void {
  return (st) => {
    if (st.state === 'failed' || st.state === 'stalled') io.err(`earshot: ${st.source}: ${st.message ?? st.state}${st.retryInMs !== undefined ? ` (retrying in ${(st.retryInMs / 1000).toFixed(1)} s)` : ''}`);
    else if (st.state === 'capturing') io.err(`earshot: ${st.source}: recording (${st.recorder}${st.device ? `, ${st.device}` : ''})`);
  };
}

/**
 * A service for one CLI session, printing each final segment as it lands: `[mm:ss.ss → mm:ss.ss] Speaker: text`,
 * or with --json one {"t0","t1","source","text"} line (the same output for `transcribe` and `listen`).
 */
async function cliService(values: SessionValues, io: Io, events: Partial<ServiceEvents> = {}): Promise<{ service: EarshotService; selection: ModelSelection }> {
  const settings = sessionSettings(values);
  const { language } = settings;
  const threads = settings.threads ?? defaultThreads();
  const storageDir = defaultStorageDir();
  const mirror = process.env.EARSHOT_MODEL_MIRROR || undefined;
  if (mirror !== undefined && !mirror.startsWith('https://')) throw new UsageError('EARSHOT_MODEL_MIRROR must be an https:// URL');
  const selection = await selectModel({ modelPath: values.model ?? process.env.EARSHOT_MODEL, storageDir, language, ...(mirror ? { mirror } : {}) });
  if (downloadAllowed(values['no-download'])) {
    const terminal = io === stdio && process.stderr.isTTY;
    await downloadIfMissing(selection, {
      line: (text) => io.err(text),
      ...(terminal ? { redraw: (text: string) => process.stderr.write(`\r${text}`) } : {}),
    });
  }
  const print = segmentPrinter(values.json, io);
  // whisper.cpp's own lines: Earshot log records on stderr at debug (--verbose), nothing otherwise.
  const log = new Logger((_, line) => process.stderr.write(line + '\n'), logLevelFrom(process.env.EARSHOT_LOG_LEVEL));
  setWhisperLog(log);
  // What bin/earshot.js's re-exec gave this process (daemon/reexec.ts): the daemon's memory settings.
  log.debug('cli', 'memory_settings', { mallocMmapThreshold: process.env.MALLOC_MMAP_THRESHOLD_ ?? null, nodeFlags: process.execArgv });
  const service = new EarshotService(
    {
      storageDir, notesDir: path.resolve(values['notes-dir'] ?? defaultNotesDir()), modelPath: selection.path, selection, language: values.language, threads, gpu: defaultGpu(),
      vad: { profile: vadProfile(values['vad-profile']) },
    },
    {
      transcript: print, actionItem: () => undefined, decision: () => undefined, state: () => undefined,
      // Where whisper runs is worth a line when it is a GPU (the CPU is what anyone expects).
      modelState: (state) => {
        const gpu = state === 'ready' ? service.models.engine.gpuDevice : null;
        if (gpu) io.err(`earshot: whisper runs on the GPU: ${gpu}`);
      },
      ...events,
    },
  );
  return { service, selection };
}

/** Starts a session; a missing catalog model also gets the CLI's own way out. */
async function startCliSession(service: EarshotService, selection: ModelSelection, params: SessionStartParams): Promise<SessionStartResult> {
  return service.startSession(params).catch((e: Error) => {
    if (e instanceof ServiceError && e.code === ErrorCodes.ModelUnavailable && selection.source === 'catalog') {
      throw new Error(`${e.message}\nOr pass --model PATH to a ggml whisper model (or set EARSHOT_MODEL).`);
    }
    throw e;
  });
}

/** Waits for the session to be done; reports the notes and any error the session ended with. */
async function finishCliSession(service: EarshotService, sessionId: string, io: Io): Promise<number> {
  const result = await service.sessionDone(sessionId);
  const error = service.status(sessionId).state === 'done' ? await sessionError(result.journalPath) : undefined;
  io.err(`Notes: ${result.notesPath}`);
  if (error) {
    io.err(`earshot: ${error}`);
    return 1;
  }
  return 0;
}

async function transcribe(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = args(argv, { ...SESSION_OPTIONS, realtime: { type: 'boolean', default: false } });
  if (positionals.length > 1) throw new UsageError('transcribe takes one audio file');
  const audioFile = path.resolve(positionals[0] ?? SAMPLE_RECORDING);
  if (values.connect) return connected(values, io, { sources: ['file'], audioFile, pace: values.realtime ? 'realtime' : 'fast', language: values.language });
  const { service, selection } = await cliService(values, io);
  try {
    const { sessionId } = await startCliSession(service, selection, {
      sources: ['file'], audioFile, pace: values.realtime ? 'realtime' : 'fast', language: values.language,
    });
    return await finishCliSession(service, sessionId, io);
  } finally {
    await service.shutdown();
  }
}

/** A live session from the real devices until --seconds pass or Ctrl+C; source faults are reported on stderr. */
async function listen(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = args(argv, {
    ...SESSION_OPTIONS,
    source: { type: 'string', default: 'mic,system' },
    seconds: { type: 'string' },
    mic: { type: 'string' },
    system: { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError('listen takes no positional arguments');
  const sources = [...new Set(values.source.split(',').map((s) => s.trim()).filter(Boolean))];
  if (sources.length === 0 || sources.some((s) => s !== 'mic' && s !== 'system')) throw new UsageError('--source is a comma-separated list of mic and system');
  const limitSec = values.seconds === undefined ? undefined : Number(values.seconds);
  if (limitSec !== undefined && !(limitSec > 0)) throw new UsageError('--seconds must be a positive number');
  const params: SessionStartParams = {
    sources: sources as LiveSourceKind[], language: values.language,
    devices: { ...(values.mic ? { mic: values.mic } : {}), ...(values.system ? { system: values.system } : {}) },
  };
  if (values.connect) return connected(values, io, params, limitSec);
  const { service, selection } = await cliService(values, io, { sourceStatus: sourceStatusPrinter(io) });
  let stopTimer: NodeJS.Timeout | undefined;
  let sessionId: string | undefined;
  const stop = () => { if (sessionId) void service.stopSession(sessionId).catch(() => undefined); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const started = await startCliSession(service, selection, params);
    sessionId = started.sessionId;
    for (const u of started.unavailable ?? []) io.err(`earshot: ${u.source}: ${u.message}`);
    io.err(`earshot: listening${limitSec ? ` for ${limitSec} s` : ''}; Ctrl+C stops.`);
    if (limitSec) stopTimer = setTimeout(stop, limitSec * 1000);
    return await finishCliSession(service, sessionId, io);
  } finally {
    clearTimeout(stopTimer);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await service.shutdown();
  }
}

/**
 * `--connect`: the session runs in the daemon named by the token file (daemon/connect.ts) and prints what a local run
 * prints. Ctrl+C or --seconds stops it there; the daemon keeps running.
 */
async function connected(values: SessionValues, io: Io, params: SessionStartParams, limitSec?: number): Promise<number> {
  const { threads, language } = sessionSettings(values);
  const tokenFile = path.resolve(values['token-file'] ?? path.join(defaultStorageDir(), TOKEN_FILE));
  const modelPath = values.model ?? process.env.EARSHOT_MODEL;
  const session = await startConnectedSession(tokenFile, {
    notesDir: path.resolve(values['notes-dir'] ?? defaultNotesDir()), language,
    ...(modelPath ? { modelPath: path.resolve(modelPath) } : {}), ...(threads ? { threads } : {}),
  }, params, { transcript: segmentPrinter(values.json, io), sourceStatus: sourceStatusPrinter(io) });
  const stop = () => void session.stop().catch(() => undefined);
  const stopTimer = limitSec ? setTimeout(stop, limitSec * 1000) : undefined;
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    for (const u of session.started.unavailable ?? []) io.err(`earshot: ${u.source}: ${u.message}`);
    if (params.sources.some((s) => s !== 'file')) io.err(`earshot: listening in the daemon${limitSec ? ` for ${limitSec} s` : ''}; Ctrl+C stops.`);
    const end = await session.done;
    io.err(`Notes: ${end.notesPath}`);
    if (end.error) {
      io.err(`earshot: ${end.error}`);
      return 1;
    }
    return 0;
  } finally {
    clearTimeout(stopTimer);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await session.close();
  }
}

/** The error a session ended with, as its journal records it. */
async function sessionError(journalPath: string): Promise<string | undefined> {
  const end = (await readJournal(journalPath)).records.find((r) => r.type === 'end');
  return end && end.type === 'end' ? end.error : undefined;
}

function stamp(t: number): string {
  const m = Math.floor(t / 60);
  return `${String(m).padStart(2, '0')}:${(t - m * 60).toFixed(2).padStart(5, '0')}`;
}

async function notes(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = args(argv, {
    json: { type: 'boolean', default: false },
    md: { type: 'boolean', default: false },
    date: { type: 'string' },
    'llm-endpoint': { type: 'string' },
    'llm-model': { type: 'string' },
    'llm-allow-remote': { type: 'boolean', default: false },
  });
  if (positionals.length !== 1) throw new UsageError('notes takes one transcript file');
  if (values.json && values.md) throw new UsageError('choose one of --json and --md');
  const meetingDate = values.date ? new Date(`${values.date}T09:00:00`) : new Date();
  if (Number.isNaN(meetingDate.getTime())) throw new UsageError('--date must be YYYY-MM-DD');
  const text = await fs.readFile(positionals[0], 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new Error(`cannot read ${positionals[0]}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  });
  const llm = values['llm-endpoint'] ? llmSettings(values['llm-endpoint'], values['llm-model'], values['llm-allow-remote']) : undefined;
  const lines = llm ? withLineIds(parseTranscript(text, positionals[0])) : parseTranscript(text, positionals[0]);
  const found = extract(lines, meetingDate);
  let result: { actionItems: { text: string; owner: string | null; due: string | null; t0: number | null }[]; decisions: { text: string; t0: number | null }[]; dismissed?: TranscriptModelResult['dismissed'] } = {
    actionItems: found.actionItems.map((i) => ({ text: i.text, owner: i.owner, due: i.due, t0: i.t0 })),
    decisions: found.decisions.map((d) => ({ text: d.text, t0: d.t0 })),
  };
  if (llm) {
    // The same language-model extraction as at the end of a meeting; progress on stderr, never text.
    const withModel = await extractTranscriptWithModel(lines, found, meetingDate, llm, (p) => { if (p.state === 'running' && p.finished) io.err(`earshot: language model: ${p.message}`); });
    io.err(`earshot: language model: ${withModel.message}`);
    result = { actionItems: withModel.actionItems, decisions: withModel.decisions, dismissed: withModel.dismissed };
  }
  if (values.md) {
    io.out('## Decisions\n');
    result.decisions.forEach((d) => io.out(`- ${d.text}`));
    io.out('\n## Action items\n');
    result.actionItems.forEach((i) => io.out(`- [ ] ${i.text}${i.owner ? ` — @${i.owner}` : ''}${i.due ? `, due ${i.due}` : ''}`));
    if (result.dismissed?.length) {
      io.out('\n## Dismissed by the language model\n');
      result.dismissed.forEach((d) => io.out(`- ~~${d.text}~~ — ${d.reason}`));
    }
  } else {
    io.out(JSON.stringify(result));
  }
  return 0;
}

/** `--llm-endpoint`: an openai-compatible server, checked as the extension's settings are (loopback unless allowed). */
function llmSettings(endpoint: string, model: string | undefined, allowRemote: boolean): EnhancementSettings {
  try {
    return validateEnhancement({ provider: 'openai-compatible', endpoint, ...(model ? { model } : {}), ...(allowRemote ? { allowRemote } : {}) }, '--llm-endpoint');
  } catch (e) {
    throw new UsageError((e as Error).message.replace('earshot.enhancement.allowRemoteEndpoint', '--llm-allow-remote'));
  }
}

/**
 * A session's export from its journal. The format is --format, else --out's extension when it names one,
 * else md. A torn last line (the daemon died mid-write) is skipped with a warning: the rest exports.
 */
async function exportCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = args(argv, { format: { type: 'string' }, out: { type: 'string' } });
  if (positionals.length !== 1) throw new UsageError('export takes one journal file');
  const fromOut = values.out ? path.extname(values.out).slice(1).toLowerCase() : '';
  const format = values.format ?? (isExportFormat(fromOut) ? fromOut : 'md');
  if (!isExportFormat(format)) throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}`);
  const file = positionals[0];
  if (values.out && path.resolve(values.out) === path.resolve(file)) throw new UsageError('--out must not be the journal itself');
  const journal = await readJournal(file).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw new Error(`cannot read journal ${file}: no such file`);
    if (e.code === 'EISDIR') throw new Error(`cannot read journal ${file}: it is a folder`);
    throw new Error(e.message.includes(file) ? e.message : `cannot read journal ${file}: ${e.message}`);
  });
  if (journal.tornTail) io.err(`earshot: ${file}: the last line was cut off mid-write (ignored); exporting the rest`);
  const content = exportSession(journal, format);
  if (values.out) {
    await writeFileAtomic(path.resolve(values.out), content);
    io.err(`Exported: ${path.resolve(values.out)}`);
  } else if (content) {
    io.out(content.endsWith('\n') ? content.slice(0, -1) : content);
  }
  return 0;
}

/** JSON lines {"t0","t1","speaker","text"} or plain `Speaker: text` lines (the format is detected). */
export function parseTranscript(text: string, name: string): SpokenLine[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (lines.length > 0 && lines[0].startsWith('{')) {
    return lines.map((line, i) => {
      let o: Partial<FinalSegment> & { speaker?: unknown; text?: unknown; t0?: unknown };
      try {
        o = JSON.parse(line);
      } catch {
        throw new Error(`${name} line ${i + 1} is not valid JSON`);
      }
      if (typeof o.text !== 'string') throw new Error(`${name} line ${i + 1} has no "text" string`);
      return { speaker: typeof o.speaker === 'string' ? o.speaker : null, text: o.text, t0: typeof o.t0 === 'number' && Number.isFinite(o.t0) ? o.t0 : null };
    });
  }
  return lines.map((line) => {
    const m = /^([^:]{1,60}):\s*(.*)$/.exec(line);
    return m ? { speaker: m[1].trim(), text: m[2], t0: null } : { speaker: null, text: line, t0: null };
  });
}

async function vad(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = args(argv, {
    json: { type: 'boolean', default: false },
    profile: { type: 'string', default: 'default' },
  });
  if (positionals.length !== 1) throw new UsageError('vad takes one audio file');
  const source = await FileSource.open(path.resolve(positionals[0]), { pace: 'fast' });
  // The spans the recognizer is given (pre-roll and hangover included), with the detected speech inside them.
  const spans: { start: number; end: number; speechStart: number; speechEnd: number }[] = [];
  const config = vadConfig({ profile: vadProfile(values.profile) });
  const events = segmentUtterances(source.frames(new AbortController().signal), await createSpeechDetector(config), config.segmenter);
  for await (const event of events) {
    if (event.type !== 'end') continue;
    const u = event.utterance;
    spans.push({
      start: seconds(u.startSample / SAMPLE_RATE), end: seconds((u.startSample + u.samples.length) / SAMPLE_RATE),
      speechStart: seconds(u.speechStartSample / SAMPLE_RATE), speechEnd: seconds(u.speechEndSample / SAMPLE_RATE),
    });
  }
  if (values.json) io.out(JSON.stringify(spans));
  else spans.forEach((s) => io.out(`${stamp(s.start)} → ${stamp(s.end)}  (${(s.end - s.start).toFixed(2)} s; speech ${stamp(s.speechStart)} → ${stamp(s.speechEnd)})`));
  return 0;
}

async function models(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = args(argv, {
    json: { type: 'boolean', default: false },
    repair: { type: 'boolean', default: false },
    language: { type: 'string', default: 'en' },
    'cache-dir': { type: 'string' },
  });
  const [action = 'list', id, ...extra] = positionals;
  if (extra.length > 0 || (action === 'list' && id) || (action === 'download' && !id) || !['list', 'download'].includes(action)) {
    throw new UsageError('models takes "list", or "download <id>"');
  }
  const storageDir = defaultStorageDir();
  const selection = await selectModel({ modelId: action === 'download' ? id : undefined, cacheDir: values['cache-dir'], storageDir, language: values.language });
  if (action === 'download') {
    if (!findCatalogModel(id)) throw new UsageError(`unknown model ${JSON.stringify(id)} (known: ${CATALOG.map((m) => m.id).join(', ')})`);
    let lastPercent = -1;
    const result = await downloadCatalogModel(selection, id, {
      repair: values.repair,
      onProgress: (p) => {
        const percent = p.bytesTotal ? Math.floor((100 * p.bytesDone) / p.bytesTotal) : 0;
        if (percent !== lastPercent) io.err(`downloading ${id}: ${percent}%`);
        lastPercent = percent;
      },
    });
    io.out(values.json ? JSON.stringify(result) : `${result.downloaded ? 'Downloaded' : 'Already verified'}: ${result.path}`);
    return 0;
  }
  const list = await listModels(selection);
  if (values.json) {
    io.out(JSON.stringify(list));
    return 0;
  }
  for (const m of list.models) {
    io.out(`${m.recommended ? '*' : ' '} ${m.id.padEnd(15)} ${(m.bytes / 1e6).toFixed(0).padStart(5)} MB  ${m.state.padEnd(8)} ${m.description}`);
  }
  io.out(`\n* recommended for this machine. Cache: ${selection.cacheDir}`);
  return 0;
}

async function devices(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = args(argv, { json: { type: 'boolean', default: false } });
  if (positionals.length > 0) throw new UsageError('devices takes no arguments');
  const [list, systemAudio] = await Promise.all([listDevices(), systemCaptureAvailability()]);
  if (values.json) {
    io.out(JSON.stringify({ microphones: list.microphones, systemSources: list.systemSources, systemAudio, notes: list.notes, backends: captureBackends() }));
    return 0;
  }
  const show = (title: string, devices: AudioDevice[]) => {
    io.out(`${title} (* default):`);
    if (devices.length === 0) io.out('  (none found)');
    const width = Math.max(0, ...devices.map((d) => d.id.length));
    for (const d of devices) io.out(`${d.isDefault ? '*' : ' '} ${d.id.padEnd(width)}  ${d.label}`);
  };
  show('Microphones', list.microphones);
  show('System audio sources', list.systemSources);
  io.out('');
  io.out(systemAudio.available
    ? `System audio: captured with ${systemAudio.recorder} from ${systemAudio.device}.`
    : `System audio: unavailable. ${systemAudio.message}`);
  const backends = captureBackends();
  io.out(`Capture backends: microphone ${backends.microphone}; system audio ${backends.systemAudio}.`);
  for (const note of list.notes) io.err(`earshot: ${note}`);
  return 0;
}

async function daemon(argv: string[]): Promise<number> {
  // vscode-languageclient appends `--stdio` (and may append `--clientProcessId=N`) to the command it spawns.
  const { values, positionals } = args(argv, {
    listen: { type: 'boolean', default: false }, host: { type: 'string' }, stdio: { type: 'boolean', default: false }, clientProcessId: { type: 'string' },
  });
  if (values.listen && values.stdio) throw new UsageError('--listen and --stdio exclude each other');
  if (values.listen) return listenDaemon(positionals, values.host);
  if (positionals.length || values.host !== undefined) throw new UsageError('a port and --host go with --listen');
  // stdout carries the protocol: anything printed by a library would corrupt it.
  console.log = console.info = console.debug = (...a: unknown[]) => console.error(...a);
  const code = await new Promise<number>((resolve) => startServer(process.stdin, process.stdout, { version: version(), onExit: resolve }));
  // The client is gone and the session finalized: leave now, whatever timers vscode-languageserver left running.
  process.exit(code);
}

/** `earshot daemon --listen [PORT]`: JSON-RPC over TCP on loopback (daemon/listen.ts has the security model). */
async function listenDaemon(positionals: string[], host = '127.0.0.1'): Promise<number> {
  if (positionals.length > 1 || (positionals.length && !/^\d{1,5}$/.test(positionals[0]))) throw new UsageError('--listen takes one port number (0: a free port)');
  const log = new Logger((_, line) => process.stderr.write(line + '\n'), logLevelFrom(process.env.EARSHOT_LOG_LEVEL));
  let loopback: string;
  try {
    loopback = loopbackHost(host);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const code = await runListenDaemon({ host: loopback, port: Number(positionals[0] ?? 0), storageDir: defaultStorageDir(), version: version(), log }, (l) => process.stdout.write(l + '\n'));
  process.exit(code); // as on stdio: vscode-languageserver leaves timers behind
}

/**
 * How the addon was built (scripts/build-whisper.js) and what the loaded core reports about itself: whisper.cpp's
 * version, the CPU variant ggml chose for this CPU and the features it was compiled with (e.g. AVX2, FMA), the GPU
 * devices its GPU modules find, and whether models load with flash attention. JSON either way (--json is accepted for
 * scripts that say so); exit 1 when the build is not the one wanted here.
 */
function buildInfo(argv: string[], io: Io): number {
  args(argv, { json: { type: 'boolean', default: false } });
  const { inspectBuild } = require(path.join(PACKAGE_ROOT, 'scripts', 'build-whisper.js')) as { inspectBuild(): { matches: boolean; core: string } };
  const { cpuVariantOf } = require(path.join(PACKAGE_ROOT, 'scripts', 'whisper-core', 'build-core.js')) as { cpuVariantOf(file: string): string | null };
  const info = inspectBuild();
  // The GPU modules load first, as a model load for the GPU would: their devices are part of the answer.
  const loaded = whisperAddon().backends?.(true);
  const cpu = loaded?.backends.find((b) => b.name === 'CPU');
  const gpuDevices = loaded?.backends.filter((b) => b.name !== 'CPU').flatMap((b) => b.devices.map((d) => ({ backend: b.name, ...d }))) ?? [];
  const runtime = whisperAddon().systemInfo?.();
  const cpuFeatures = runtime ? Object.fromEntries([...(runtime.systemInfo.match(/CPU : ([^:]*?)(?:\s\w+ : |$)/)?.[1] ?? '').matchAll(/(\w+) = (\w+)/g)]
    .map(([, name, value]) => [name, value === '1' ? true : value === '0' ? false : value])) : null;
  io.out(JSON.stringify({
    ...info,
    // The bundled core reports neither; its binding left flash attention uninitialised (whatever was on the stack).
    whisperCppVersion: runtime?.whisperVersion ?? null,
    // The variant ggml scored best on this CPU (libggml-cpu-<variant>): what every decode runs.
    cpuVariant: cpu ? (cpu.file ? cpuVariantOf(cpu.file) : null) ?? 'built in' : null,
    cpuBackend: cpu?.file ?? null,
    gpuDevices,
    cpuFeatures,
    systemInfo: runtime?.systemInfo ?? null,
    flashAttention: runtime ? flashAttnFromEnv() : null,
  }, null, 2));
  return info.matches ? 0 : 1;
}
