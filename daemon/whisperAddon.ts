/**
 * smart-whisper's native addon, loaded once per process: its calls (the new core's included), its ggml backends, and
 * whisper.cpp's own log lines routed to Earshot's logger. Below the engine (asr/whisper.ts) and the GPU probe's child
 * (models/gpuProbeChild.ts), which both load it; it knows neither.
 */
import * as path from 'node:path';
import type { Logger } from './log';
import { loadNative } from './windowsBlocked';

/** A ggml backend the addon has loaded (backends()): CPU, Vulkan, CUDA, Metal; `file` is its module (null: linked in). */
export interface BackendInfo {
  name: string;
  file: string | null;
  devices: { name: string; description: string; type: 'cpu' | 'gpu' | 'igpu' | 'accel' | 'other'; memoryTotal: number }[];
}

/** smart-whisper's native binding: the calls its JS makes, and what the new core adds (optional: the bundled core lacks them). */
export interface WhisperAddon {
  /**
   * The new core takes `gpu` as true, false or 'auto' and a third argument, flash attention on or off; the bundled one
   * takes a boolean and rejects a third. `gpuDevice`: the GPU the model runs on (new core), null on the CPU.
   */
  WhisperModel: { load(file: string, gpu: boolean | 'auto', flashAttn?: boolean): Promise<{ handle: unknown; free(): Promise<void>; gpuDevice?: string | null }> };
  transcribe(handle: unknown, pcm: Float32Array, params: object, done: (result: unknown) => void, progress: (result: unknown) => void): void;
  setLogger?(sink: ((level: number, text: string) => void) | null): void;
  systemInfo?(): { whisperVersion: string; systemInfo: string };
  /** Stops the model's decode in progress (it then fails); the bundled core has no such call. */
  abortDecode?(handle: unknown): void;
  /** The backends loaded (the GPU modules too when `withGpu`), and the addon's own file; the bundled core has none. */
  backends?(withGpu: boolean): { addon: string; backends: BackendInfo[] };
}


/** ggml_log_level's values, for the log records. */
const GGML_LOG_LEVELS = ['none', 'debug', 'info', 'warn', 'error', 'cont'];

let whisperLog: Logger | undefined;
let addonLoaded: WhisperAddon | undefined;

/**
 * Where whisper.cpp's own log lines go: Earshot's logger, at debug (component "whisper.cpp"), one record per line.
 * Below debug they are dropped in the addon, so nothing of whisper.cpp reaches stderr. Call before the first load.
 */
export function setWhisperLog(log: Logger | undefined): void {
  whisperLog = log;
  if (addonLoaded) applyWhisperLog(addonLoaded);
}

/** The logger {@link setWhisperLog} set, for the engine's own records about whisper. */
export function whisperLogger(): Logger | undefined {
  return whisperLog;
}

function applyWhisperLog(addon: WhisperAddon): void {
  if (!addon.setLogger) return; // the bundled core: silenced by NODE_ENV as it loads (smartWhisper)
  const log = whisperLog;
  if (log?.level !== 'debug') return addon.setLogger(null);
  let pending = '';
  let level = 'info';
  addon.setLogger((ggmlLevel, text) => {
    // whisper.cpp writes lines in pieces (a "cont" level carries on the previous one): records are whole lines.
    if (GGML_LOG_LEVELS[ggmlLevel] !== 'cont' && pending === '') level = GGML_LOG_LEVELS[ggmlLevel] ?? String(ggmlLevel);
    pending += text;
    for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
      const line = pending.slice(0, end).trimEnd();
      pending = pending.slice(end + 1);
      if (line) log.debug('whisper.cpp', 'log', { whisperLevel: level, line });
    }
  });
}

/** Whether the installed addon loads its backends as modules (the new core), so that GPU modules can be there at all. */
export function smartWhisperAddonHasModules(): boolean {
  return typeof whisperAddon().backends === 'function';
}

/** The addon itself, as smart-whisper loaded it (same file, so the same module instance). */
export function whisperAddon(): WhisperAddon {
  smartWhisper();
  return addonLoaded!;
}

/**
 * Loaded on first use: the CLI's other commands never pay for (or need) the native addon. whisper.cpp prints about 60
 * lines of its loading log for every model load. The new core sends them to {@link setWhisperLog}'s logger; the
 * bundled one (the install's fallback) prints them on stderr unless NODE_ENV is "production" as the addon loads, so
 * Earshot loads it that way unless its own log level is debug (`--verbose`, `earshot.logLevel`).
 */
export function smartWhisper(): typeof import('smart-whisper') {
  const previous = process.env.NODE_ENV;
  if (process.env.EARSHOT_LOG_LEVEL !== 'debug') process.env.NODE_ENV = 'production';
  try {
    // A Windows policy that refuses the unsigned addon is said as such (windowsBlocked.ts), not as a failed load.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module = loadNative((): typeof import('smart-whisper') => require('smart-whisper'), 'speech recognition (whisper\'s addon)');
    if (!addonLoaded) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      addonLoaded = loadNative(() => require(path.join(path.dirname(require.resolve('smart-whisper/package.json')), 'build', 'Release', 'smart-whisper.node')) as WhisperAddon,
        'speech recognition (whisper\'s addon)');
      applyWhisperLog(addonLoaded);
    }
    return module;
  } finally {
    if (previous === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = previous;
  }
}
