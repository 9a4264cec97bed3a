/**
 * Figure 1 — whisper speed: Earshot's engine (daemon/asr/whisper.ts over smart-whisper's addon) against whisper.cpp
 * built natively from the same bundled sources with the same flags (scripts/build-whisper-cpp.sh), same model, same
 * 30 s of audio, same decoding parameters and token cap. Runs alternate engine / native (and a third arm: native
 * with a fresh whisper_state per decode, which is what smart-whisper does) after waiting for a quiet machine;
 * medians are compared.
 */
import { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { SAMPLE_WAV } from '../setup';
import { WhisperEngine } from '../../daemon/asr/whisper';
import { readPcm } from './fixtures';
import {
  benchModel, buildWhisperCpp, envNum, FigureReport, fmtMs, foreignLoad, median, ownCpu, processCpu, quiet, rel, spawnTracked,
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

type Arm = 'engine' | 'native' | 'fresh';

interface Case {
  preset: 'tiny.en' | 'base.en';
  audioSec: number;
  /** Encoder frames (0 = the full 30 s window). */
  audioCtx: number;
  tokens: number;
  /** Judged against the ≥ 0.97 target. */
  target: boolean;
}

export async function whisperSpeed(): Promise<FigureReport> {
  const reps = envNum('BENCH_WHISPER_REPS', 7);
  const tokens = envNum('BENCH_WHISPER_TOKENS', 100);
  const presets = (process.env.BENCH_WHISPER_PRESETS ?? 'tiny.en,base.en').split(',') as ('tiny.en' | 'base.en')[];
  // The figure's cases: 30 s with the full encoder window for each preset (the target), then the call the live
  // pipeline makes most: a partial of ~2 s of speech with a fitted encoder window and its token cap.
  const cases: Case[] = presets.map((preset) => ({ preset, audioSec: AUDIO_SEC, audioCtx: 0, tokens, target: true }));
  if (process.env.BENCH_WHISPER_PARTIAL !== '0') cases.push({ preset: 'base.en', audioSec: 2, audioCtx: 2 * 50 + 32, tokens: 2 * 8 + 4, target: false });
  const cpp = buildWhisperCpp();
  const driverBin = cpp.bin('earshot-whisper-bench');
  if (!driverBin) throw new Error('earshot-whisper-bench was not built');

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
      const native = await startDriver(driverBin, args);
      const fresh = await startDriver(driverBin, [...args, '--fresh-state']);
      const engine = new WhisperEngine({ modelPath: model, language: 'en', threads: THREADS, gpu: false });
      await engine.load();
      commands.push(`printf 'run\\n%.0s' {1..${reps}} | ${native.command.replace(/--pcm \S+/, `--pcm <${c.audioSec} s of standup.wav as f32>`)}    # + the same with --fresh-state`);

      const times: Record<Arm, number[]> = { engine: [], native: [], fresh: [] };
      const foreign: number[] = [];
      let notQuiet = 0;
      const arms: Arm[] = ['engine', 'native', 'fresh'];
      for (let rep = 0; rep < reps; rep++) {
        // A/B/A/B…, with the starting arm rotating so no arm always runs right after another.
        for (let k = 0; k < arms.length; k++) {
          const arm = arms[(rep + k) % arms.length];
          if ((await quiet()) < 0) notQuiet++;
          if (arm === 'engine') {
            const load = foreignLoad(ownCpu);
            const t = performance.now();
            const r = await engine.decode({ pcm, maxTokens: c.tokens, ...(c.audioCtx ? { audioCtx: c.audioCtx } : {}) });
            times.engine.push(performance.now() - t);
            foreign.push(load());
            const words = r.text.split(/\s+/).filter(Boolean).length;
            if (words !== c.tokens) throw new Error(`engine emitted ${words} tokens, ${c.tokens} expected`);
          } else {
            const driver = arm === 'native' ? native : fresh;
            const load = foreignLoad(() => processCpu(driver.child.pid!));
            const r = await driver.run();
            times[arm].push(r.ms);
            foreign.push(load());
            if (r.tokens !== c.tokens) throw new Error(`native (${arm}) emitted ${r.tokens} tokens, ${c.tokens} expected`);
          }
        }
      }
      await engine.free();
      await stopChild(native.child);
      await stopChild(fresh.child);

      const e = median(times.engine);
      const n = median(times.native);
      const f = median(times.fresh);
      const paired = median(times.native.map((t, i) => t / times.engine[i]));
      const best = Math.min(...times.native) / Math.min(...times.engine);
      const label = c.target ? c.preset : `${c.preset}, partial-sized`;
      rows.push([
        label, `${c.audioSec} s`, c.audioCtx || 1500, c.tokens, fmtMs(e), fmtMs(n), c.target ? `**${(n / e).toFixed(3)}**` : (n / e).toFixed(3),
        paired.toFixed(3), best.toFixed(3), fmtMs(f), (f / e).toFixed(3), `${(e / 1000 / c.audioSec).toFixed(3)}`,
        median(foreign).toFixed(2) + (notQuiet ? ` (${notQuiet}/${reps * 3} runs not quiet)` : ''),
      ]);
      if (c.target) targets.push({ metric: `whisper speed native/engine, ${c.preset} 30 s`, value: (n / e).toFixed(3), target: '≥ 0.97', met: n / e >= 0.97 });
      notes.push(`${label} runs (ms): engine ${times.engine.map((t) => t.toFixed(0)).join(', ')}; native ${times.native.map((t) => t.toFixed(0)).join(', ')}; ` +
        `fresh state ${times.fresh.map((t) => t.toFixed(0)).join(', ')}.`);
    }
  } finally {
    removeTempDir(dir);
  }
  notes.push(
    `Same model file, the same audio (media/sample/standup.wav: its first ${AUDIO_SEC} s; the partial-sized case 2 s from 0.5 s on with ` +
      'audio_ctx 132 and 20 tokens, as the streaming policy asks for 2 s of speech), greedy, best_of 1, temperature 0 without fallback, ' +
      `language en, no timestamps, single segment, suppress blank and non-speech tokens, ${THREADS} threads, the same number of tokens on both ` +
      'sides (the generated models never stop by themselves; the engine is asked for N tokens and passes max_tokens N−1, the driver gets ' +
      '--max-tokens N−1).',
    `Engine: WhisperEngine.decode() as the pipeline calls it, timed around the call (queue, smart-whisper's copy of the samples, its ` +
      `whisper_init_state per decode, whisper_full, result conversion). Native: test/bench/native/whisper-bench.cpp linked against the ` +
      `whisper.cpp objects built by scripts/build-whisper-cpp.sh (${cpp.flags}, no OpenMP, as the addon), timed around whisper_full; ` +
      `"fresh state" also allocates and frees a whisper_state per decode, as smart-whisper does.`,
    `Runs alternate engine → native → fresh state (the first arm rotates each rep), each after waiting for < 0.15 busy cores ` +
      `(at most BENCH_QUIET_MAX_S); medians of ${reps}. "paired" is the median of per-rep native/engine ratios, "best/best" the ratio of the fastest runs. "other load" is the ` +
      'median number of cores other processes kept busy during a run.',
  );
  return {
    title: 'Whisper speed: Earshot engine vs whisper.cpp built natively from the same sources',
    commands: ['npm run bench -- whisper', ...commands],
    lines: table(
      ['model (generated, real dims)', 'audio', 'audio_ctx', 'tokens', 'engine median', 'native median', 'native/engine', 'paired', 'best/best', 'native, fresh state', 'fresh/engine', 'engine RTF', 'other load (cores)'],
      rows,
    ),
    notes,
    targets,
  };
}
