/**
 * How decodes run on this CPU, measured once per model and machine and kept beside the model (issue 41):
 * - flash attention on or off. It is a context setting (whisper.cpp builds its graphs and sizes its state for one or
 *   the other), so it is chosen when the model loads. On one AMD EPYC it made tiny.en's 30 s decode slower (0.81) and
 *   base.en's 5 s partial slower (0.88) while making tiny.en's 2 s partial faster: no one setting is right everywhere.
 * - the threads a decode takes, for small decodes (partials, short finals) and larger ones apart. ggml's threads meet at
 *   a spinning barrier after every graph step; a small decode is thousands of tiny steps, so a second thread buys
 *   little and, when another process holds a core, the waiting thread spins through its time slice (86 % of the CPU
 *   samples of 2-thread tiny.en partials were in ggml_barrier on a busy 2-core machine; one thread was 10× faster
 *   there). Never more than configured.
 * The calibration decodes the shipped sample at a partial's and a final's size with each setting, interleaved, and
 * takes each setting's best time (robust to a passing load). One model context is loaded at a time (issue 60: a second
 * one beside it raised a first load's peak by the model's size, 448 against 322 MiB with base.en): each flash-attention
 * setting's decodes run together, the settings' order reversed from one round to the next. Pure parts here; the engine
 * runs it (whisper.ts).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';

export interface DecodeTuning {
  flashAttn: boolean;
  /** Threads for a decode whose encoder window is at most {@link SMALL_DECODE_AUDIO_CTX} frames. */
  smallThreads: number;
  /** Threads for a larger decode (measured on a final of a 6 s turn). */
  largeThreads: number;
  /** Best milliseconds per setting and case, as measured (absent when nothing was measured). */
  measured?: Record<string, number>;
}

/** Up to ~3.4 s of audio at the streaming policy's 50 frames per second + 32: partials and the shortest finals. */
export const SMALL_DECODE_AUDIO_CTX = 200;

export interface CalibrationCase {
  name: string;
  /** Seconds of the sample decoded, from 0.5 s on (the first word). */
  audioSec: number;
  audioCtx: number;
  maxTokens: number;
}

/** A partial and a final of a typical turn, sized as the streaming policy sizes them (streaming.ts). */
export const CALIBRATION_CASES: readonly CalibrationCase[] = [
  { name: 'partial 2 s', audioSec: 2, audioCtx: 2 * 50 + 32, maxTokens: 2 * 8 + 4 },
  { name: 'final 6 s', audioSec: 6, audioCtx: (6 + 1) * 50 + 32, maxTokens: 6 * 8 + 4 },
];

/** Runs of each setting per case; the best counts. */
export const CALIBRATION_REPS = 2;
/** Models larger than this are not calibrated (the defaults stand): it loads the model up to three more times. */
export const CALIBRATION_MAX_MODEL_BYTES = 600 * 1024 * 1024;
/**
 * After a complete round of every setting, the calibration stops once it has taken this long: a busy machine (where a
 * thread spinning at ggml's barrier makes a decode seconds long) loads no later than this for it.
 */
export const CALIBRATION_BUDGET_MS = 15_000;

/** Flash attention stays on (whisper.cpp's default, and the smaller state) unless off is this much faster: within it, this machine's noise decides. */
export const FLASH_ATTN_OFF_MARGIN = 0.1;
/** The fewest threads whose best time is within this share of the fastest take a small decode. */
export const THREADS_SLACK = 0.1;

export const settingName = (flashAttn: boolean, threads: number): string => `fa ${flashAttn ? 'on' : 'off'}, ${threads} thread${threads === 1 ? '' : 's'}`;

/** The best (smallest) of some timings. */
export const best = (times: readonly number[]): number => Math.min(...times);

/** Whether flash attention is on: off only when its best times, summed over the cases, are clearly lower. */
export function chooseFlashAttn(bestOn: readonly number[], bestOff: readonly number[], margin = FLASH_ATTN_OFF_MARGIN): boolean {
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  return !(sum(bestOff) < sum(bestOn) * (1 - margin));
}

/** The fewest threads whose best time is within `slack` of the fastest. */
export function chooseThreads(bestByThreads: ReadonlyMap<number, number>, slack = THREADS_SLACK): number {
  const fastest = Math.min(...bestByThreads.values());
  return Math.min(...[...bestByThreads].filter(([, ms]) => ms <= fastest * (1 + slack)).map(([threads]) => threads));
}

/** The threads a decode with encoder window `audioCtx` (0: the full 30 s) takes: never more than configured. */
export function threadsFor(tuning: Pick<DecodeTuning, 'smallThreads' | 'largeThreads'> | undefined, configured: number, audioCtx: number | undefined): number {
  if (!tuning) return configured;
  const small = audioCtx !== undefined && audioCtx > 0 && audioCtx <= SMALL_DECODE_AUDIO_CTX;
  return Math.max(1, Math.min(configured, small ? tuning.smallThreads : tuning.largeThreads));
}

export interface CalibrationRun {
  /**
   * Decodes `c` with this setting and returns its milliseconds; it may stop the decode at `limitMs` (then it returns
   * at least that): a setting already twice as slow as the best is not worth waiting for.
   */
  decode(flashAttn: boolean, threads: number, c: CalibrationCase, limitMs: number): Promise<number>;
  /** The flash-attention settings that can be tried (one when it is fixed), the loaded one first. */
  flashAttn: readonly boolean[];
  /**
   * Makes the context with this flash attention the loaded one (the other freed first, then this one loaded) before
   * its decodes; absent: both can decode at any time.
   */
  use?(flashAttn: boolean): Promise<void>;
  /** The configured threads (1 tries no other count). */
  threads: number;
  /**
   * Whether thread counts are compared: only on a quiet machine (another process's load would be measured, not the
   * threads). Otherwise everything is measured on one thread and decodes keep the configured threads, which the
   * engine lowers at each decode to the cores other processes leave (cpuLoad.ts).
   */
  measureThreads: boolean;
}

/** A calibration decode slower than this many times the case's best so far is stopped. */
export const CALIBRATION_STOP_FACTOR = 2;

/**
 * Measures every setting (flash attention × one thread or all configured) on every case, interleaved (rep by rep; in a
 * rep each flash-attention setting's decodes together, the first of them the one the previous rep ended with, so that
 * a context is loaded at most once a rep and a drift in the machine's speed falls on both alike; within one, each
 * case's thread counts in turn, the first rotating), and chooses: per case and flash attention, the fewest threads
 * within {@link THREADS_SLACK} of the fastest; flash attention by the cases' best times at those threads. Stops after
 * the round in which `budgetMs` has passed.
 */
export async function calibrate(run: CalibrationRun, cases: readonly CalibrationCase[] = CALIBRATION_CASES, reps = CALIBRATION_REPS, budgetMs = CALIBRATION_BUDGET_MS): Promise<DecodeTuning> {
  const started = performance.now();
  const threadCounts = run.threads > 1 && run.measureThreads ? [1, run.threads] : [1];
  const settings = run.flashAttn.flatMap((fa) => threadCounts.map((threads) => ({ fa, threads })));
  const times = new Map<string, number[]>();
  const keyOf = (c: CalibrationCase, fa: boolean, threads: number) => `${c.name}: ${settingName(fa, threads)}`;
  for (let rep = 0; rep < reps && (rep === 0 || performance.now() - started < budgetMs); rep++) {
    for (const fa of rep % 2 === 0 ? run.flashAttn : [...run.flashAttn].reverse()) {
      await run.use?.(fa);
      for (const c of cases) {
        for (let k = 0; k < threadCounts.length; k++) {
          const threads = threadCounts[(rep + k) % threadCounts.length];
          const sofar = settings.flatMap((o) => times.get(keyOf(c, o.fa, o.threads)) ?? []);
          const ms = await run.decode(fa, threads, c, sofar.length ? CALIBRATION_STOP_FACTOR * best(sofar) : Infinity);
          const key = keyOf(c, fa, threads);
          times.set(key, [...(times.get(key) ?? []), ms]);
        }
      }
    }
  }
  const bestOf = (c: CalibrationCase, fa: boolean, threads: number) => best(times.get(keyOf(c, fa, threads)) ?? [Infinity]);
  const threadsOf = (c: CalibrationCase, fa: boolean) => chooseThreads(new Map(threadCounts.map((t) => [t, bestOf(c, fa, t)])));
  const at = (fa: boolean) => cases.map((c) => bestOf(c, fa, threadsOf(c, fa)));
  const flashAttn = run.flashAttn.length > 1 ? chooseFlashAttn(at(true), at(false)) : run.flashAttn[0];
  const small = cases.find((c) => c.audioCtx <= SMALL_DECODE_AUDIO_CTX);
  const large = cases.find((c) => c.audioCtx > SMALL_DECODE_AUDIO_CTX);
  const measured = threadCounts.length > 1;
  return {
    flashAttn,
    smallThreads: small && measured ? threadsOf(small, flashAttn) : run.threads,
    largeThreads: large && measured ? threadsOf(large, flashAttn) : run.threads,
    measured: Object.fromEntries([...times].map(([k, v]) => [k, Math.round(best(v) * 10) / 10])),
  };
}

/** What decides the figures: this CPU, the whisper build, the threads asked for, and the model file itself. */
export interface TuningKeyParts {
  cpu: string;
  cores: number;
  /** The addon's whisper version and system info (the CPU module ggml picked, its SIMD). */
  core: string;
  threads: number;
  flashAttnForced: boolean | null;
  modelBytes: number;
  modelMtimeMs: number;
}

/** Changes when what the calibration measures or how it chooses changes: older entries are then measured again. */
export const TUNING_VERSION = 2;

export function tuningKey(parts: TuningKeyParts): string {
  return createHash('sha256').update(JSON.stringify({ version: TUNING_VERSION, ...parts })).digest('hex').slice(0, 16);
}

/** The cache: one JSON file beside the model, one entry per key. */
export const tuningCachePath = (modelPath: string): string => `${modelPath}.earshot-tuning.json`;

export function readTuning(file: string, key: string): DecodeTuning | undefined {
  try {
    const entry = (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>)[key] as DecodeTuning | undefined;
    const threads = (n: unknown) => Number.isInteger(n) && (n as number) >= 1;
    return entry && typeof entry.flashAttn === 'boolean' && threads(entry.smallThreads) && threads(entry.largeThreads) ? entry : undefined;
  } catch {
    return undefined; // none yet, or unreadable: measured again
  }
}

/** Adds an entry (others kept), through a temporary file: a reader never sees half of it. Throws on a write error. */
export function writeTuning(file: string, key: string, tuning: DecodeTuning): void {
  let entries: Record<string, unknown> = {};
  try {
    entries = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch { /* a new file */ }
  entries[key] = tuning;
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(entries, null, 1) + '\n');
  fs.renameSync(tmp, file);
}
