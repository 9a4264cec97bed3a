/**
 * Figure 1 — whisper speed: Earshot's engine (daemon/asr/whisper.ts over smart-whisper's addon, built with the new
 * whisper.cpp core) against whisper.cpp built natively from the same newest sources with the same CMake options and the
 * same flash-attention setting (test/bench/native/whisper-bench.cpp linked with the core's static libraries:
 * scripts/build-whisper-cpp.sh --newest), same model, same audio, same decoding parameters and token cap. Also in the
 * same alternating runs: the engine with flash attention off, and, side by side, the old core (smart-whisper's bundled
 * whisper.cpp of Oct 2024, its addon loaded from BENCH_OLD_ADDON) with its own native anchor (scripts/build-whisper-cpp.sh),
 * and the engine before ggml's CPU backend became run-time modules (BENCH_STATIC_ADDON: an addon of the same sources with
 * everything linked in for x86-64-v3, what the install built until issue 27).
 * The engine decodes as the pipeline does (issue 41): flash attention and each decode's threads as this CPU measured
 * them for the model (decodeTuning.ts; measured at its load, before any timing). "Engine before" is the engine with
 * the settings it had before (flash attention on, every thread), and "same objects" the native driver linked with the
 * addon's own libraries at the engine's settings: what the binding adds per call.
 * Runs alternate arms after waiting for a quiet machine; medians are compared.
 */
import { ChildProcess, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT, SAMPLE_WAV } from '../setup';
import { decodeParams, flashAttnFromEnv, WhisperEngine } from '../../daemon/asr/whisper';
import type { WhisperAddon } from '../../daemon/whisperAddon';
import { threadsFor } from '../../daemon/asr/decodeTuning';
import { readPcm } from './fixtures';
import {
  BENCH_DIR, benchModel, buildWhisperCpp, envNum, FigureReport, fmtMs, foreignLoad, median, ownCpu, processCpu, quiet, rel, spawnTracked,
  stopChild, table, tempDir, removeTempDir, THREADS, waitForLine,
} from './util';
const AUDIO_SEC = 30;

interface NativeDriver {
  child: ChildProcess;
  run(): Promise<{ ms: number; tokens: number; text: string }>;
  command: string;
}

async function startDriver(bin: string, args: string[]): Promise<NativeDriver> {
  const child = spawnTracked(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
  await waitForLine(child, (l) => l.startsWith('ready '), 120_000, 'earshot-whisper-bench').catch((e: Error) => {
    throw new Error(`${e.message}\n${stderr}`);
  });
  const lines = createInterface({ input: child.stdout! });
  const pending: ((line: string) => void)[] = [];
  lines.on('line', (line) => pending.shift()?.(line));
  return {
    child,
    command: [rel(bin), ...args.map((a) => (a.includes('/') ? rel(a) : a))].join(' '),
    run: () => new Promise((resolve, reject) => {
      const onExit = () => reject(new Error(`earshot-whisper-bench exited: ${stderr}`));
      child.once('exit', onExit);
      pending.push((line) => { child.off('exit', onExit); resolve(JSON.parse(line)); });
      child.stdin!.write('run\n');
    }),
  };
}

type Arm = 'engine' | 'native' | 'engineOne' | 'oldEngine' | 'oldNative' | 'marchNative' | 'staticEngine' | 'enginePrev' | 'sameObjects';

/**
 * The native driver linked with the addon's own shared libraries (libwhisper, libggml in smart-whisper's build/Release)
 * and loading ggml's CPU modules from there as the addon does: the very machine code the engine runs. Undefined where
 * the install kept no headers (the core's patched sources) or no C++ compiler is found.
 */
function sameObjectsDriver(): { bin: string; backends: string } | undefined {
  const release = path.join(path.dirname(require.resolve('smart-whisper/package.json', { paths: [REPO_ROOT] })), 'build', 'Release');
  const source = path.join(REPO_ROOT, 'node_modules', '.earshot-whisper-core', 'source');
  const libs = ['libwhisper.so.1', 'libggml.so.0', 'libggml-base.so.0'].map((l) => path.join(release, l));
  if (process.platform !== 'linux' || !fs.existsSync(path.join(source, 'include', 'whisper.h')) || !libs.every((l) => fs.existsSync(l))) return undefined;
  const cpp = path.join(REPO_ROOT, 'test', 'bench', 'native', 'whisper-bench.cpp');
  const bin = path.join(BENCH_DIR, 'whisper-same-objects', 'bin', 'earshot-whisper-bench');
  const stale = !fs.existsSync(bin) || [cpp, ...libs].some((f) => fs.statSync(f).mtimeMs > fs.statSync(bin).mtimeMs);
  if (stale) {
    fs.mkdirSync(path.dirname(bin), { recursive: true });
    const r = spawnSync('c++', ['-O3', '-DNDEBUG', '-std=c++17', '-DEARSHOT_WHISPER_SUPPRESS_NST', '-DEARSHOT_BACKEND_DL', `-I${source}/include`, `-I${source}/ggml/include`,
      cpp, ...libs, `-Wl,-rpath,${release}`, '-o', bin], { encoding: 'utf8' });
    if (r.status !== 0) return undefined;
  }
  return { bin, backends: release };
}

interface Case {
  preset: 'tiny.en' | 'base.en';
  audioSec: number;
  /** Encoder frames (0 = the full 30 s window). */
  audioCtx: number;
  tokens: number;
}

/**
 * Another addon file, driven through its raw binding (the same calls smart-whisper's JS makes): the bundled core's, or
 * (`flashAttn` given) a new core's built another way.
 */
async function oldEngine(addonFile: string, model: string, flashAttn?: boolean) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const addon = require(path.resolve(addonFile)) as WhisperAddon;
  const loaded = flashAttn === undefined ? await addon.WhisperModel.load(model, false) : await addon.WhisperModel.load(model, false, flashAttn);
  const decode = (pcm: Float32Array, tokens: number, audioCtx: number) => new Promise<string>((resolve, reject) => {
    addon.transcribe(loaded.handle, pcm, decodeParams({ language: 'en', threads: THREADS }, { pcm, maxTokens: tokens, audioCtx }), (r) => {
      if (r instanceof Error) reject(r);
      else resolve((r as { text: string }[]).map((x) => x.text).join('').trim());
    }, () => undefined);
  });
  await decode(new Float32Array(17600), 1, 64); // the engine's warm-up (1.1 s: whisper.cpp refuses under 1 s)
  return { decode, free: () => loaded.free() };
}

/** The newest-sources driver: scripts/build-whisper-cpp.sh --newest (the core's own static libraries; kind: the install's, or `kind`). */
function newestDriver(kind?: string): { bin: string; info: Record<string, unknown> } {
  const env = kind ? { ...process.env, WHISPER_CORE_KIND: kind } : process.env;
  const r = spawnSync('bash', [path.join(REPO_ROOT, 'scripts', 'build-whisper-cpp.sh'), '--newest'], { encoding: 'utf8', cwd: REPO_ROOT, env });
  if (r.status !== 0) throw new Error(`scripts/build-whisper-cpp.sh --newest failed (${r.status}): ${(r.stderr || r.stdout || '').trim().slice(-800)}`);
  const dir = r.stderr.match(/built (\S+)\/bin\/earshot-whisper-bench/)?.[1];
  if (!dir) throw new Error(`scripts/build-whisper-cpp.sh --newest said: ${r.stderr}`);
  return { bin: path.join(dir, 'bin', 'earshot-whisper-bench'), info: JSON.parse(fs.readFileSync(path.join(dir, 'build-info.json'), 'utf8')) as Record<string, unknown> };
}

export async function whisperSpeed(): Promise<FigureReport> {
  const reps = envNum('BENCH_WHISPER_REPS', 7);
  const tokens = envNum('BENCH_WHISPER_TOKENS', 100);
  const presets = (process.env.BENCH_WHISPER_PRESETS ?? 'tiny.en,base.en').split(',') as ('tiny.en' | 'base.en')[];
  const flashAttn = flashAttnFromEnv();
  // The figure's cases: 30 s with the full encoder window for each preset, then the calls the live pipeline makes
  // most: partials of ~2 s (both presets) and ~5 s (base.en) of speech with a fitted encoder window and their token
  // caps (streaming policy: audio_ctx = 50/s + 32, 8 tokens/s + 4). All are judged against the ≥ 0.97 target.
  const cases: Case[] = process.env.BENCH_WHISPER_FULL === '0' ? [] : presets.map((preset) => ({ preset, audioSec: AUDIO_SEC, audioCtx: 0, tokens }));
  if (process.env.BENCH_WHISPER_PARTIAL !== '0') {
    for (const preset of presets) cases.push({ preset, audioSec: 2, audioCtx: 2 * 50 + 32, tokens: 2 * 8 + 4 });
    if (presets.includes('base.en')) cases.push({ preset: 'base.en', audioSec: 5, audioCtx: 5 * 50 + 32, tokens: 5 * 8 + 4 });
  }
  const newest = newestDriver();
  const same = process.env.BENCH_WHISPER_SAME_OBJECTS === '0' ? undefined : sameObjectsDriver();
  // -march=native against the install's x86-64-v3 (BENCH_WHISPER_MARCH_NATIVE=1; a second CMake build of a few minutes).
  const marchNative = process.env.BENCH_WHISPER_MARCH_NATIVE === '1' ? newestDriver('native-static') : undefined;
  // The old core's side: its native anchor from the bundled sources, and its addon if one was kept (BENCHMARKS.md says how).
  const oldAddon = process.env.BENCH_OLD_ADDON ?? path.join(BENCH_DIR, 'old-core', 'smart-whisper.node');
  const withOld = fs.existsSync(oldAddon) && process.env.BENCH_WHISPER_OLD !== '0';
  const oldCpp = withOld ? buildWhisperCpp() : undefined;
  // The engine before the CPU modules (a copy of that install's smart-whisper.node: it links everything in).
  const staticAddon = process.env.BENCH_STATIC_ADDON ?? path.join(BENCH_DIR, 'static-core', 'smart-whisper.node');
  const withStatic = fs.existsSync(staticAddon);
  const oldDriverBin = oldCpp?.bin('earshot-whisper-bench');

  const dir = tempDir('whisper');
  const all = await readPcm(SAMPLE_WAV, AUDIO_SEC);

  const rows: (string | number)[][] = [];
  const commands: string[] = [];
  const notes: string[] = [];
  const targets: FigureReport['targets'] = [];
  try {
    for (const c of cases) {
      const model = benchModel(c.preset);
      // A partial-sized case takes the start of the first turn (0.5 s in), as the pipeline would hand it over.
      const pcm = c.audioSec === AUDIO_SEC ? all : all.slice(8000, 8000 + c.audioSec * 16000);
      const pcmFile = path.join(dir, `standup-${c.audioSec}s.f32`);
      fs.writeFileSync(pcmFile, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
      // The engine is asked for `tokens`; it passes whisper.cpp max_tokens = tokens - 1 (whisper emits max_tokens + 1).
      const args = ['--model', model, '--pcm', pcmFile, '--threads', String(THREADS), '--max-tokens', String(c.tokens - 1), '--language', 'en'];
      if (c.audioCtx) args.push('--audio-ctx', String(c.audioCtx));
      const native = await startDriver(newest.bin, [...args, ...(flashAttn ? ['--flash-attn'] : [])]);
      const oldNative = oldDriverBin ? await startDriver(oldDriverBin, args) : undefined;
      const nativeMarch = marchNative ? await startDriver(marchNative.bin, [...args, ...(flashAttn ? ['--flash-attn'] : [])]) : undefined;
      // The engine as the pipeline runs it: flash attention and threads as measured for this model here (its load measures
      // them the first time, and keeps them beside the model); before: fixed flash attention, every thread, no tuning.
      const engine = new WhisperEngine({ modelPath: model, language: 'en', threads: THREADS, gpu: false });
      const enginePrev = new WhisperEngine({ modelPath: model, language: 'en', threads: THREADS, gpu: false, flashAttn, tune: false });
      await engine.load();
      await enginePrev.load();
      // What the binding adds per call, without ggml's thread barriers in the way: the engine and the native driver on the
      // addon's own libraries, both on one thread with the flash attention the engine chose.
      const engineOne = new WhisperEngine({ modelPath: model, language: 'en', threads: 1, gpu: false, flashAttn: engine.flashAttn, tune: false });
      await engineOne.load();
      // The threads the engine's tuning gives this size on an idle machine (each decode takes fewer when cores are busy).
      const tunedThreads = threadsFor(engine.tuning, THREADS, c.audioCtx);
      const engineThreads: number[] = [];
      const sameArgs = args.map((a, i) => (args[i - 1] === '--threads' ? '1' : a));
      const sameObjects = same ? await startDriver(same.bin, [...sameArgs, '--backends', same.backends, ...(engine.flashAttn ? ['--flash-attn'] : [])]) : undefined;
      const tuningNote = `${c.preset}: the engine's measurement at load (best ms): ${Object.entries(engine.tuning?.measured ?? {}).map(([k, v]) => `${k} ${v}`).join('; ')}.`;
      if (engine.tuning && !notes.includes(tuningNote)) notes.push(tuningNote);
      const old = withOld ? await oldEngine(oldAddon, model) : undefined;
      const before = withStatic ? await oldEngine(staticAddon, model, flashAttn) : undefined;
      const pcmLabel = `--pcm <${c.audioSec} s of standup.wav as f32>`;
      commands.push(`printf 'run\\n%.0s' {1..${reps}} | ${native.command.replace(/--pcm \S+/, pcmLabel)}`);
      if (oldNative) commands.push(`printf 'run\\n%.0s' {1..${reps}} | ${oldNative.command.replace(/--pcm \S+/, pcmLabel)}    # the old core's anchor`);

      const times: Record<Arm, number[]> = { engine: [], native: [], engineOne: [], oldEngine: [], oldNative: [], marchNative: [], staticEngine: [], enginePrev: [], sameObjects: [] };
      const foreign: number[] = [];
      let notQuiet = 0;
      const arms: Arm[] = ['engine', 'native', 'enginePrev', ...(sameObjects ? ['sameObjects' as const] : []), 'engineOne', ...(before ? ['staticEngine' as const] : []), ...(old ? ['oldEngine' as const] : []),
        ...(oldNative ? ['oldNative' as const] : []), ...(nativeMarch ? ['marchNative' as const] : [])];
      const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
      /** Tokens emitted, and the driver's own time of whisper_full (the engines are timed around the whole call). */
      const decodeWith = async (arm: Arm): Promise<{ emitted: number; driverMs?: number }> => {
        if (arm === 'engine' || arm === 'engineOne' || arm === 'enginePrev') {
          const r = await (arm === 'engine' ? engine : arm === 'enginePrev' ? enginePrev : engineOne).decode({ pcm, maxTokens: c.tokens, ...(c.audioCtx ? { audioCtx: c.audioCtx } : {}) });
          if (arm === 'engine') engineThreads.push(engine.lastThreads);
          return { emitted: words(r.text) };
        }
        if (arm === 'oldEngine') return { emitted: words(await old!.decode(pcm, c.tokens, c.audioCtx)) };
        if (arm === 'staticEngine') return { emitted: words(await before!.decode(pcm, c.tokens, c.audioCtx)) };
        const r = await (arm === 'native' ? native : arm === 'marchNative' ? nativeMarch! : arm === 'sameObjects' ? sameObjects! : oldNative!).run();
        return { emitted: r.tokens, driverMs: r.ms };
      };
      for (let rep = 0; rep < reps; rep++) {
        // A/B/C/…, with the starting arm rotating so no arm always runs right after another.
        for (let k = 0; k < arms.length; k++) {
          const arm = arms[(rep + k) % arms.length];
          if ((await quiet()) < 0) notQuiet++;
          const driver = arm === 'native' ? native : arm === 'oldNative' ? oldNative : arm === 'marchNative' ? nativeMarch : arm === 'sameObjects' ? sameObjects : undefined;
          const load = foreignLoad(driver ? () => processCpu(driver.child.pid!) : ownCpu);
          const t = performance.now();
          const { emitted, driverMs } = await decodeWith(arm);
          times[arm].push(driverMs ?? performance.now() - t);
          foreign.push(load());
          if (emitted !== c.tokens) throw new Error(`${arm} emitted ${emitted} tokens, ${c.tokens} expected`);
        }
      }
      await engine.free();
      await enginePrev.free();
      await engineOne.free();
      if (sameObjects) await stopChild(sameObjects.child);
      await old?.free();
      await before?.free();
      await stopChild(native.child);
      if (oldNative) await stopChild(oldNative.child);
      if (nativeMarch) await stopChild(nativeMarch.child);

      const m = (arm: Arm) => (times[arm].length ? median(times[arm]) : NaN);
      const e = m('engine');
      const n = m('native');
      const paired = median(times.native.map((t, i) => t / times.engine[i]));
      const label = c.audioSec === AUDIO_SEC ? c.preset : `${c.preset}, partial-sized`;
      const threadCounts = [...new Set(engineThreads)].sort().map((t) => `${t}×${engineThreads.filter((x) => x === t).length}`).join(' ');
      const tunedLabel = `FA ${engine.flashAttn ? 'on' : 'off'}, ≤ ${tunedThreads} thr.; took ${threadCounts}`;
      const ratio = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '–');
      const ms = (x: number) => (Number.isFinite(x) ? fmtMs(x) : '–');
      rows.push([
        label, `${c.audioSec} s`, c.audioCtx || 1500, c.tokens, `${fmtMs(e)} (${tunedLabel})`, fmtMs(m('enginePrev')), ratio(m('enginePrev') / e),
        fmtMs(n), `**${(n / e).toFixed(3)}**`, paired.toFixed(3), fmtMs(m('engineOne')), ms(m('sameObjects')), ratio(m('sameObjects') / m('engineOne')),
        ms(m('staticEngine')), ratio(m('staticEngine') / e),
        ms(m('oldEngine')), ms(m('oldNative')), ratio(m('oldNative') / m('oldEngine')),
        ratio(m('oldEngine') / e), ratio(m('marchNative') / n), `${(e / 1000 / c.audioSec).toFixed(3)}`,
        median(foreign).toFixed(2) + (notQuiet ? ` (${notQuiet}/${reps * arms.length} runs not quiet)` : ''),
      ]);
      targets.push({ metric: `whisper speed newest native/engine, ${label} ${c.audioSec} s`, value: (n / e).toFixed(3), target: '≥ 0.97', met: n / e >= 0.97 });
      notes.push(`${label} ${c.audioSec} s runs (ms): ${arms.map((a) => `${a} ${times[a].map((t) => t.toFixed(0)).join(', ')}`).join('; ')}.`);
    }
  } finally {
    removeTempDir(dir);
  }
  notes.push(
    `Same model file, the same audio (media/sample/standup.wav: its first ${AUDIO_SEC} s; the partial-sized cases 2 s and 5 s from 0.5 s on with ` +
      'audio_ctx 132 / 282 and 20 / 44 tokens, as the streaming policy asks for that much speech), greedy, best_of 1, temperature 0 without fallback, ' +
      `language en, no timestamps, single segment, suppress blank and non-speech tokens, ${THREADS} threads, the same number of tokens on every ` +
      'side (the generated models never stop by themselves; the engine is asked for N tokens and passes max_tokens N−1, the driver gets --max-tokens N−1).',
    `Engine: WhisperEngine.decode() as the pipeline calls it, timed around the call (queue, whisper_full on the model's one state, result ` +
      'conversion), with flash attention and threads as the engine measured them for the model at its load (decodeTuning.ts; kept beside the model, ' +
      `so measured at the first run only); "engine before": flash attention ${flashAttn ? 'on' : 'off'} (EARSHOT_FLASH_ATTN) and ${THREADS} threads for every ` +
      'decode, as before issue 41; "engine, 1 thread" and "same objects, 1 thread": the engine and test/bench/native/whisper-bench.cpp linked with the ' +
      'addon\'s own libwhisper/libggml (loading its CPU modules), both on one thread with the engine\'s flash attention: what the binding adds per call. Native: ' +
      `test/bench/native/whisper-bench.cpp linked with the core's own static libraries (whisper.cpp ${String(newest.info.whisperCpp)}, ${String(newest.info.kind)}: ` +
      `${(newest.info.cmakeOptions as string[]).filter((o) => /GGML_|FLAGS/.test(o)).join(' ')}), flash attention ${flashAttn ? 'on' : 'off'}, timed around whisper_full.`,
    withStatic
      ? `Engine before: ${rel(staticAddon)}, the same whisper.cpp sources and patches with everything linked in for x86-64-v3 (the install's build until ` +
        'issue 27), called through its raw binding with the same parameters; "before/now" above 1: the run-time CPU modules are faster.'
      : `Engine before: not measured (no ${rel(staticAddon)}; BENCHMARKS.md says how to keep one).`,
    withOld
      ? `Old core: smart-whisper's bundled whisper.cpp (Oct 2024) built as the install's fallback builds it (${oldCpp!.flags}), its addon ` +
        `(${rel(oldAddon)}) called through the raw binding with the same parameters (a whisper_init_state and a copy of the samples per call, ` +
        'as smart-whisper 0.8.1 does); its anchor: the same driver built from those sources by scripts/build-whisper-cpp.sh (flash attention off).'
      : `Old core: not measured (no ${rel(oldAddon)}; BENCHMARKS.md says how to keep one).`,
    `Runs alternate the arms (the first arm rotates each rep), each after waiting for < 0.15 busy cores (at most BENCH_QUIET_MAX_S); medians of ${reps}. ` +
      '"paired" is the median of per-rep native/engine ratios. "other load" is the median number of cores other processes kept busy during a run.' +
      (marchNative ? ' "-march=native / x86-64-v3": the driver linked with a -march=native build of the same sources (GGML_NATIVE=ON) over the x86-64-v3 one; below 1 = native faster.' : ''),
  );
  return {
    title: 'Whisper speed: Earshot engine (new core) vs the newest whisper.cpp built natively, and the old core vs its anchor',
    commands: ['npm run bench -- whisper', ...commands],
    lines: table(
      ['model (generated, real dims)', 'audio', 'audio_ctx', 'tokens', 'engine (as measured here)', `engine before (FA ${flashAttn ? 'on' : 'off'}, ${THREADS} thr.)`, 'before/now',
        `newest native (FA ${flashAttn ? 'on' : 'off'}, ${THREADS} thr.)`, 'native/engine', 'paired', 'engine, 1 thread', 'same objects, 1 thread', 'same/engine (1 thread)',
        'engine before (static x86-64-v3)', 'static/now',
        'old core engine', 'old native', 'old native/old engine', 'old engine/new engine', '-march=native / x86-64-v3 (native)', 'engine RTF', 'other load (cores)'],
      rows,
    ),
    notes,
    targets,
  };
}
