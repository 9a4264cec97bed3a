/**
 * Shared plumbing for the benchmark figures: statistics, CPU accounting from /proc, waiting for a quiet machine,
 * generated models, children and temporary folders that are always cleaned up, Markdown tables.
 */
import { ChildProcess, spawn, spawnSync, SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MODELS_DIR, REPO_ROOT } from '../setup';

/** Everything the benchmarks build or cache (gitignored): whisper.cpp, fixtures. */
export const BENCH_DIR = path.join(REPO_ROOT, '.bench');
export const WHISPER_CPP_DIR = path.join(BENCH_DIR, 'whisper.cpp');
export const THREADS = Number(process.env.BENCH_THREADS ?? Math.min(2, os.availableParallelism()));

export function envNum(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number, not ${JSON.stringify(v)}`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Statistics and formatting

export const median = (xs: number[]): number => percentile(xs, 0.5);

/** Nearest-rank percentile (q in 0..1); NaN for no data. For the median of an even count: the mean of the middle two. */
export function percentile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  if (q === 0.5 && s.length % 2 === 0) return (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

export const fmtMs = (ms: number): string => (Number.isFinite(ms) ? `${ms.toFixed(0)} ms` : '–');
export const fmtS = (ms: number, digits = 2): string => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(digits)} s` : '–');
export const fmtMB = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

export function table(headers: string[], rows: (string | number)[][]): string[] {
  return [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

// ---------------------------------------------------------------------------------------------
// What each figure hands back to the main

export interface Target {
  metric: string;
  value: string;
  target: string;
  met: boolean | null; // null: not measured
}

export interface FigureReport {
  title: string;
  /** The command(s) that reproduce the figure. */
  commands: string[];
  lines: string[];
  notes: string[];
  targets: Target[];
}

// ---------------------------------------------------------------------------------------------
// CPU accounting

const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  return Number(r.stdout?.trim()) || 100;
})();

/** Machine-wide busy and total CPU seconds since boot (all cores), from /proc/stat. */
export function machineCpu(): { busy: number; total: number } {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: (total - f[3] - f[4]) / CLK_TCK, total: total / CLK_TCK };
}

/** CPU seconds (user + system, all threads) a process has used so far; NaN once it is gone. */
export function processCpu(pid: number): number {
  try {
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** This process's CPU seconds (user + system, all threads: whisper's and onnxruntime's included). */
export function ownCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Measures the cores other processes kept busy while `own()` ran (shared machines are noisy). */
export function foreignLoad(own: () => number): () => number {
  const m0 = machineCpu();
  const o0 = own();
  const t0 = performance.now();
  return () => {
    const wall = (performance.now() - t0) / 1000;
    const busy = machineCpu().busy - m0.busy;
    return Math.max(0, (busy - (own() - o0)) / Math.max(wall, 1e-3));
  };
}

/**
 * Waits until the machine is (almost) idle: under `maxCores` cores busy over one second. Returns the milliseconds
 * waited, or -1 if the machine never got quiet within `BENCH_QUIET_MAX_S` (the run goes on anyway).
 */
export async function quiet(maxCores = envNum('BENCH_QUIET_CORES', 0.15)): Promise<number> {
  const maxWaitMs = envNum('BENCH_QUIET_MAX_S', 180) * 1000;
  const started = Date.now();
  while (Date.now() - started < maxWaitMs) {
    const a = machineCpu();
    await sleep(1000);
    const b = machineCpu();
    const cores = (os.availableParallelism() * (b.busy - a.busy)) / Math.max(1e-6, b.total - a.total);
    if (cores < maxCores) return Date.now() - started;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Children and temporary folders: always cleaned up, whatever way the benchmark ends

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
const cleanups = new Set<() => void>();

/** Spawns a child in its own process group (so its own children die with it) and registers it for cleanup. */
export function spawnTracked(command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options, detached: true });
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.once('error', () => children.delete(child));
  return child;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try { child.kill(signal); } catch { /* already gone */ }
  }
}

/** Stops a child (and its process group): `signal`, then SIGKILL after `graceMs`. Resolves when it has exited. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  signalGroup(child, signal);
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export function waitExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `earshot-bench-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** Registers extra synchronous cleanup (e.g. a sound server's files); returns its remover. */
export function onCleanup(fn: () => void): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** Kills every child still running and removes every temporary folder. Synchronous: safe in 'exit' handlers. */
export function cleanupAll(): void {
  for (const child of children) signalGroup(child, 'SIGKILL');
  children.clear();
  for (const fn of cleanups) { try { fn(); } catch { /* best effort */ } }
  cleanups.clear();
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** Resolves with the first line of `child`'s stdout that `match` accepts; rejects on exit or after `timeoutMs`. */
export function waitForLine(child: ChildProcess, match: (line: string) => boolean, timeoutMs: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const lines = buffer.split(/[\r\n]/);
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (match(line)) { done(); resolve(line); return; }
      }
    };
    const onExit = (code: number | null) => { done(); reject(new Error(`${what}: exited (${code}) before it was ready`)); };
    const timer = setTimeout(() => { done(); reject(new Error(`${what}: not ready after ${timeoutMs / 1000} s`)); }, timeoutMs);
    const done = () => { clearTimeout(timer); child.stdout!.off('data', onData); child.off('exit', onExit); };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
}

// ---------------------------------------------------------------------------------------------
// Models and native whisper.cpp

/** A generated model (scripts/gen-whisper-model.js options), made once and kept in .test-models as `name`. */
function generatedModel(name: string, options: Record<string, unknown>): string {
  const file = path.join(MODELS_DIR, name);
  if (!fs.existsSync(file)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { generateModel } = require(path.join(REPO_ROOT, 'scripts', 'gen-whisper-model.js'));
    fs.mkdirSync(MODELS_DIR, { recursive: true });
    generateModel({ ...options, out: file });
  }
  return file;
}

export type BenchWeights = 'f16' | 'q8_0';

/**
 * How the generated models store their weight matrices: f16 as the published ggml-base.en.bin (default), or
 * BENCH_WEIGHTS=q8_0 as ggml-base.en-q8_0.bin (the bytes whisper.cpp's quantize tool makes of the f16 file).
 */
export function benchWeights(env: NodeJS.ProcessEnv = process.env): BenchWeights {
  const weights = env.BENCH_WEIGHTS ?? 'f16';
  if (weights !== 'f16' && weights !== 'q8_0') throw new Error(`BENCH_WEIGHTS must be f16 or q8_0, not ${weights}`);
  return weights;
}

const weightsSuffix = (weights: BenchWeights) => (weights === 'f16' ? '' : `-${weights}`);

/** A generated model with the real dimensions of `preset` whose greedy decoding says " hello" at every step. */
export function benchModel(preset: 'tiny.en' | 'base.en', weights = benchWeights()): string {
  return generatedModel(`${preset}-hello${weightsSuffix(weights)}.bin`, { preset, emit: ' hello', ftype: weights });
}

/**
 * A generated model with the real dimensions of `preset` and its untouched random decoder: text that moves with
 * whatever the encoder outputs (onset-window.ts compares encoder windows by it).
 */
export function benchRandomModel(preset: 'tiny.en' | 'base.en', weights = benchWeights()): string {
  return generatedModel(`${preset}-random${weightsSuffix(weights)}.bin`, { preset, ftype: weights });
}

/**
 * 25 distinct tokens from the sample's script: as many as a real model takes for its longest turn (Bob's "Um, so, yeah.
 * I found the problem with the session token. I'll fix the login timeout by Friday.", GPT-2 byte-pair tokens, ~24-25),
 * each once because a saying model cannot repeat one.
 */
export const LONGEST_TURN_SAY: readonly string[] = [' Morning', ' everyone', '.', ' Let', "'s", ' keep', ' this', ' quick', ' Bob', ',', ' how', ' is',
  ' the', ' login', ' work', ' going', '?', ' I', ' found', ' problem', ' with', ' session', ' token', ' fix', ' Friday'];

/**
 * A generated model with the real dimensions of `preset` that says {@link LONGEST_TURN_SAY} and then ends its text,
 * whatever the audio: decodes as long as a real model's on the sample (never longer than its longest turn), where the
 * " hello" model runs every decode to its token cap.
 */
export function benchSayingModel(preset: 'tiny.en' | 'base.en', weights = benchWeights()): string {
  return generatedModel(`${preset}-say${LONGEST_TURN_SAY.length}${weightsSuffix(weights)}.bin`, { preset, say: [...LONGEST_TURN_SAY], ftype: weights });
}

export interface WhisperCpp {
  bin: (name: 'main' | 'stream' | 'earshot-whisper-bench') => string | undefined;
  flags: string;
  info: Record<string, unknown>;
}

let whisperCpp: WhisperCpp | undefined;

/** Builds (once; the script is idempotent) whisper.cpp from smart-whisper's sources into .bench/whisper.cpp. */
export function buildWhisperCpp(): WhisperCpp {
  if (whisperCpp) return whisperCpp;
  const r = spawnSync('bash', [path.join(REPO_ROOT, 'scripts', 'build-whisper-cpp.sh')], { encoding: 'utf8', cwd: REPO_ROOT });
  if (r.status !== 0) throw new Error(`scripts/build-whisper-cpp.sh failed (${r.status}): ${(r.stderr || r.stdout || '').trim().slice(-800)}`);
  const info = JSON.parse(fs.readFileSync(path.join(WHISPER_CPP_DIR, 'build-info.json'), 'utf8')) as Record<string, unknown>;
  whisperCpp = {
    bin: (name) => {
      const file = path.join(WHISPER_CPP_DIR, 'bin', name);
      return fs.existsSync(file) ? file : undefined;
    },
    flags: String(info.flags),
    info,
  };
  return whisperCpp;
}

/** A path as written in the report: relative to the repository when inside it. */
export function rel(file: string): string {
  const r = path.relative(REPO_ROOT, file);
  return r.startsWith('..') ? file : r;
}

export function requireTool(tool: string, hint: string): void {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is not installed (${hint})`);
}
