/**
 * `earshot transcribe` (a WAV file) and `earshot listen` (the microphone and system audio): one session each, run in
 * this process or, with --connect, in a running `earshot daemon --listen`, printing each final segment as it lands and
 * where the notes went. Downloads the catalog model on first use (firstDownload.ts).
 *
 * Owns the session options, the segment and source-status printers and the session's start and end. Must not parse
 * other commands' arguments or print anything but segments, faults and the notes path.
 */
import * as path from 'node:path';
import { AutoStopStateParams, ErrorCodes, LiveSourceKind, SessionStartParams, SessionStartResult, SourceStatusParams, TranscriptSegment } from '../../protocol/protocol';
import { InvalidParamsError, validateSessionStart } from '../../protocol/validate';
import { CallDetector } from '../calls/detector';
import { ModelSelection, selectModel } from '../models/whisperModels';
import { defaultGpu, defaultNotesDir, defaultStorageDir, defaultTemplatesDir, defaultThreads } from '../config';
import { readJournal } from '../journal/journal';
import { startConnectedSession } from '../rpc/connect';
import { TOKEN_FILE } from '../rpc/listen';
import { Logger, logLevelFrom } from '../log';
import { setWhisperLog } from '../whisperAddon';
import { downloadAllowed, downloadIfMissing } from './firstDownload';
import { EarshotService, ServiceError, ServiceEvents } from '../service';
import { args, inert, Io, PACKAGE_ROOT, seconds, stamp, stdio, UsageError, vadProfile } from './common';

/** What `earshot transcribe` transcribes without a file: the bundled sample meeting. */
export const SAMPLE_RECORDING = path.join(PACKAGE_ROOT, 'media', 'sample', 'standup.wav');

/** The options every command that runs a session takes (usage.ts: SESSION_OPTIONS), as parsed. */
interface SessionValues {
  model?: string; language: string; json: boolean; 'notes-dir'?: string; threads?: string; connect: boolean; 'token-file'?: string; 'vad-profile': string; template?: string; 'templates-dir'?: string;
  'no-download': boolean;
}

/** --threads and --language, checked (threads: undefined when not given). */
function sessionSettings(values: SessionValues): { threads: number | undefined; language: string } {
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) throw new UsageError('--threads must be a positive integer');
  if (!/^[a-z]{2,3}$/.test(values.language)) throw new UsageError('--language must be a language code such as "en"');
  if (values['token-file'] !== undefined && !values.connect) throw new UsageError('--token-file goes with --connect');
  return { threads, language: values.language };
}

/**
 * Prints each final segment once, when its speaker is known: `[mm:ss.ss → mm:ss.ss] Speaker: text`, or with --json one
 * {"t0","t1","source","speaker","text"} line. A final sent before the speaker stage heard its audio (speakerPending)
 * waits for its relabel, and the lines after it wait with it, so lines stay in the order they came; `flush` prints
 * what still waits (the session ended). A later relabel of a printed line (a rename) is not printed again.
 */
function segmentPrinter(json: boolean, io: Io): { print: (s: TranscriptSegment) => void; flush: () => void } {
  const waiting: TranscriptSegment[] = [];
  const printed = new Set<string>();
  const out = (s: TranscriptSegment) => {
    printed.add(s.segmentId);
    io.out(json
      ? JSON.stringify({ t0: seconds(s.t0), t1: seconds(s.t1), source: s.source, speaker: s.speaker, text: s.text })
      : `[${stamp(s.t0)} → ${stamp(s.t1)}] ${s.speaker}: ${s.text}`);
  };
  const flush = (all: boolean) => {
    while (waiting.length && (all || !waiting[0].speakerPending)) out(waiting.shift()!);
  };
  return {
    print: (s) => {
      if (!s.final || !s.text || printed.has(s.segmentId)) return;
      const at = waiting.findIndex((w) => w.segmentId === s.segmentId);
      if (at >= 0) waiting[at] = s;
      else waiting.push(s);
      flush(false);
    },
    flush: () => flush(true),
  };
}

/** A live source's faults and recoveries, on stderr. */
function sourceStatusPrinter(io: Io): (st: SourceStatusParams) => void {
  return (st) => {
    if (st.state === 'failed' || st.state === 'stalled') io.err(`earshot: ${st.source}: ${st.message ?? st.state}${st.retryInMs !== undefined ? ` (retrying in ${(st.retryInMs / 1000).toFixed(1)} s)` : ''}`);
    else if (st.state === 'capturing') io.err(`earshot: ${st.source}: recording (${st.recorder}${st.device ? `, ${st.device}` : ''})`);
  };
}

/** Auto-stop's changes, on stderr: the state, when a countdown ends, and why (fixed words). */
function autoStopPrinter(io: Io): (s: AutoStopStateParams) => void {
  return (s) => {
    const at = s.stopsAt ? ` (stops at ${new Date(s.stopsAt).toLocaleTimeString()}; Ctrl+C stops now)` : '';
    io.err(`earshot: auto-stop: ${s.state}${at}: ${s.reason}`);
  };
}

/**
 * --stop-when-call-ends APP: the auto-stop of a call under way. APP must be using the microphone now (what
 * `earshot calls` lists): a name mistyped, or a call not started yet, would count as a call that already ended.
 */
async function callToWatch(app: string): Promise<SessionStartParams['autoStop']> {
  const now = await new CallDetector().detect();
  if (now.fault) throw new Error(`call detection (${now.backend}) could not look, so --stop-when-call-ends cannot watch the call: ${inert(now.fault)}`);
  if (!now.apps.some((a) => a.app === app)) {
    const listed = now.apps.map((a) => inert(a.app));
    throw new UsageError(`--stop-when-call-ends: ${inert(app)} is not using the microphone now (${listed.length ? `apps that are: ${[...new Set(listed)].join(', ')}` : 'no app is'}; \`earshot calls\` lists them)`);
  }
  return { app };
}

/**
 * A service for one CLI session, printing each final segment once its speaker is known (segmentPrinter; the same
 * output for `transcribe` and `listen`).
 */
async function cliService(values: SessionValues, io: Io, events: Partial<ServiceEvents> = {}): Promise<{ service: EarshotService; selection: ModelSelection; flush: () => void }> {
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
  const printer = segmentPrinter(values.json, io);
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
      transcript: printer.print, relabel: (p) => p.segments.forEach(printer.print), actionItem: () => undefined, decision: () => undefined, state: () => undefined,
      // Where whisper runs is worth a line when it is a GPU (the CPU is what anyone expects).
      modelState: (state) => {
        const gpu = state === 'ready' ? service.models.engine.gpuDevice : null;
        if (gpu) io.err(`earshot: whisper runs on the GPU: ${gpu}`);
      },
      ...events,
    },
  );
  // The CLI prints finals only: partials would be decoded for nobody.
  service.partials.set('cli', false);
  return { service, selection, flush: printer.flush };
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

/** Waits for the session to be done; prints the lines still waiting for a speaker; reports the notes and any error the session ended with. */
async function finishCliSession(service: EarshotService, sessionId: string, io: Io, flush: () => void): Promise<number> {
  const result = await service.sessionDone(sessionId);
  flush();
  const error = service.status(sessionId).state === 'done' ? await sessionError(result.journalPath) : undefined;
  io.err(`Notes: ${result.notesPath}`);
  if (error) {
    io.err(`earshot: ${error}`);
    return 1;
  }
  return 0;
}

export async function transcribe(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = args(argv, 'transcribe');
  if (positionals.length > 1) throw new UsageError('transcribe takes one audio file');
  const audioFile = path.resolve(positionals[0] ?? SAMPLE_RECORDING);
  if (values.connect) return connected(values, io, { sources: ['file'], audioFile, pace: values.realtime ? 'realtime' : 'fast', language: values.language, ...templateParams(values) });
  const { service, selection, flush } = await cliService(values, io);
  try {
    const { sessionId } = await startCliSession(service, selection, {
      sources: ['file'], audioFile, pace: values.realtime ? 'realtime' : 'fast', language: values.language, ...templateParams(values),
    });
    return await finishCliSession(service, sessionId, io, flush);
  } finally {
    await service.shutdown();
  }
}

/** A live session from the real devices until --seconds pass or Ctrl+C; source faults are reported on stderr. */
export async function listen(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = args(argv, 'listen');
  if (positionals.length > 0) throw new UsageError('listen takes no positional arguments');
  const sources = [...new Set(values.source.split(',').map((s) => s.trim()).filter(Boolean))];
  if (sources.length === 0 || sources.some((s) => s !== 'mic' && s !== 'system')) throw new UsageError('--source is a comma-separated list of mic and system');
  const limitSec = values.seconds === undefined ? undefined : Number(values.seconds);
  if (limitSec !== undefined && !(limitSec > 0)) throw new UsageError('--seconds must be a positive number');
  const callApp = values['stop-when-call-ends'];
  const params: SessionStartParams = {
    sources: sources as LiveSourceKind[], language: values.language,
    devices: { ...(values.mic ? { mic: values.mic } : {}), ...(values.system ? { system: values.system } : {}) },
    ...templateParams(values),
    ...(callApp !== undefined ? { autoStop: { app: callApp } } : {}),
  };
  try {
    validateSessionStart(params);
  } catch (e) {
    if (e instanceof InvalidParamsError) throw new UsageError(e.message.replace(/^session\/start params\.autoStop\.app/, '--stop-when-call-ends'));
    throw e;
  }
  if (callApp !== undefined) params.autoStop = await callToWatch(callApp);
  if (values.connect) return connected(values, io, params, limitSec);
  const { service, selection, flush } = await cliService(values, io, { sourceStatus: sourceStatusPrinter(io), autoStop: autoStopPrinter(io) });
  let stopTimer: NodeJS.Timeout | undefined;
  let sessionId: string | undefined;
  const stop = () => { if (sessionId) void service.stopSession(sessionId).catch(() => undefined); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const started = await startCliSession(service, selection, params);
    sessionId = started.sessionId;
    for (const u of started.unavailable ?? []) io.err(`earshot: ${u.source}: ${u.message}`);
    io.err(`earshot: listening${limitSec ? ` for ${limitSec} s` : ''}${callApp !== undefined ? ` until the call of ${inert(callApp)} ends` : ''}; Ctrl+C stops.`);
    if (limitSec) stopTimer = setTimeout(stop, limitSec * 1000);
    return await finishCliSession(service, sessionId, io, flush);
  } finally {
    clearTimeout(stopTimer);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await service.shutdown();
  }
}

/**
 * `--connect`: the session runs in the daemon named by the token file (daemon/rpc/connect.ts) and prints what a local run
 * prints. Ctrl+C or --seconds stops it there; the daemon keeps running.
 */
async function connected(values: SessionValues, io: Io, params: SessionStartParams, limitSec?: number): Promise<number> {
  const { threads, language } = sessionSettings(values);
  const tokenFile = path.resolve(values['token-file'] ?? path.join(defaultStorageDir(), TOKEN_FILE));
  const modelPath = values.model ?? process.env.EARSHOT_MODEL;
  const printer = segmentPrinter(values.json, io);
  const session = await startConnectedSession(tokenFile, {
    notesDir: path.resolve(values['notes-dir'] ?? defaultNotesDir()), language,
    ...(modelPath ? { modelPath: path.resolve(modelPath) } : {}), ...(threads ? { threads } : {}),
  }, params, { transcript: printer.print, relabel: (segments) => segments.forEach(printer.print), sourceStatus: sourceStatusPrinter(io), autoStop: autoStopPrinter(io) });
  const stop = () => void session.stop().catch(() => undefined);
  const stopTimer = limitSec ? setTimeout(stop, limitSec * 1000) : undefined;
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    for (const u of session.started.unavailable ?? []) io.err(`earshot: ${u.source}: ${u.message}`);
    if (params.sources.some((s) => s !== 'file')) {
      io.err(`earshot: listening in the daemon${limitSec ? ` for ${limitSec} s` : ''}${params.autoStop ? ` until the call of ${inert(params.autoStop.app)} ends` : ''}; Ctrl+C stops.`);
    }
    const end = await session.done;
    printer.flush();
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

/** --template and --templates-dir as a start's params (the folder resolved here: the daemon takes it absolute). */
function templateParams(values: { template?: string; 'templates-dir'?: string }): Pick<SessionStartParams, 'template' | 'templatesDir'> {
  if (values['templates-dir'] !== undefined && values.template === undefined) throw new UsageError('--templates-dir goes with --template');
  return values.template === undefined ? {} : { template: values.template, templatesDir: path.resolve(values['templates-dir'] ?? defaultTemplatesDir()) };
}
