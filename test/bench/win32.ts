/**
 * Figure WIN — the win32-x64 whisper build (MinGW-w64, scripts/build-win32.js) run by Windows node.exe under Wine,
 * against the Linux build of the same sources (the installed core: scripts/whisper-core/build-core.js), on this
 * machine, same model, same audio, same decode parameters, threads and token cap, in the same run: the two arms
 * alternate in rounds (one process per arm and round: test/bench/whisper-driver.ts, which times each decode
 * in-process, so Wine's start and the model load are not counted), after waiting for a quiet machine.
 * Wine runs the Windows code natively (no emulation of the CPU); what it adds is its own ntdll/kernel32 for threads,
 * events and memory. So the ratio says what the MinGW build costs against GCC on Linux plus what Wine's system calls
 * cost, not what a real Windows would give.
 * Knobs: BENCH_WIN32_ROUNDS (default 3), BENCH_WIN32_REPS per round (3), BENCH_THREADS.
 * Needs scripts/wine-setup.sh and scripts/build-win32.js (npm run test:wine runs both).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, SAMPLE_WAV } from '../setup';
import { NODE_EXE, runWindows, winPath } from '../wine/wine';
import { readPcm } from './fixtures';
import { benchModel, envNum, FigureReport, fmtMs, median, quiet, rel, removeTempDir, table, tempDir, THREADS } from './util';

const DRIVER = path.join(REPO_ROOT, 'out', 'test', 'bench', 'whisper-driver.js');
const LINUX_ADDON = path.join(REPO_ROOT, 'node_modules', 'smart-whisper', 'build', 'Release', 'smart-whisper.node');
const WIN32_ADDON = path.join(REPO_ROOT, '.win32-x64', 'package', 'node_modules', 'smart-whisper', 'build', 'Release', 'smart-whisper.node');

interface DriverOut { ms: number[]; tokens: number[]; text: string; cpuBackend: string | null; platform: string }

function linuxArm(args: string[]): Promise<DriverOut> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DRIVER, LINUX_ADDON, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d; });
    child.stderr.on('data', (d: Buffer) => { err += d; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`Linux driver exit ${code}: ${err.slice(-1500)}`))));
  });
}

async function windowsArm(args: string[]): Promise<DriverOut> {
  const [model, pcm, ...rest] = args;
  const run = await runWindows(NODE_EXE, [winPath(DRIVER), winPath(WIN32_ADDON), winPath(model), winPath(pcm), ...rest], { timeoutMs: 900_000 });
  if (run.code !== 0) throw new Error(`Windows driver under Wine exit ${run.code}${run.timedOut ? ' (timed out)' : ''}: ${run.stderr.slice(-1500)}`);
  return JSON.parse(run.stdout);
}

export async function win32Speed(): Promise<FigureReport> {
  for (const need of [NODE_EXE, WIN32_ADDON]) {
    if (!fs.existsSync(need)) throw new Error(`${rel(need)} missing: run bash scripts/wine-setup.sh && node scripts/build-win32.js`);
  }
  const rounds = envNum('BENCH_WIN32_ROUNDS', 3);
  const reps = envNum('BENCH_WIN32_REPS', 3);
  const cases = [
    { preset: 'base.en' as const, audioSec: 30, audioCtx: 0, tokens: 32 },
    // A partial as the live pipeline asks for one: ~2 s of speech, a fitted encoder window, its token cap.
    { preset: 'base.en' as const, audioSec: 2, audioCtx: 2 * 50 + 32, tokens: 2 * 8 + 4 },
  ];
  const dir = tempDir('win32');
  const all = await readPcm(SAMPLE_WAV, 30);
  const rows: (string | number)[][] = [];
  const notes: string[] = [];
  const commands: string[] = [];
  let notQuiet = 0;
  try {
    for (const c of cases) {
      const model = benchModel(c.preset);
      const pcm = c.audioSec === 30 ? all : all.slice(8000, 8000 + c.audioSec * 16000);
      const pcmFile = path.join(dir, `standup-${c.audioSec}s.f32`);
      fs.writeFileSync(pcmFile, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
      const args = [model, pcmFile, String(THREADS), String(c.tokens), String(c.audioCtx), String(reps)];
      const times: { linux: number[]; win32: number[] } = { linux: [], win32: [] };
      const seen: Record<string, DriverOut> = {};
      for (let round = 0; round < rounds; round++) {
        for (const arm of (round % 2 === 0 ? ['linux', 'win32'] : ['win32', 'linux']) as ('linux' | 'win32')[]) {
          if ((await quiet()) < 0) notQuiet++;
          const out = arm === 'linux' ? await linuxArm(args) : await windowsArm(args);
          if (out.tokens.some((t) => t !== c.tokens)) throw new Error(`${arm} emitted ${out.tokens.join(', ')} tokens, ${c.tokens} expected`);
          times[arm].push(...out.ms);
          seen[arm] = out;
        }
      }
      if (seen.linux.text !== seen.win32.text) throw new Error(`the two builds said different things: ${seen.linux.text} / ${seen.win32.text}`);
      const l = median(times.linux);
      const w = median(times.win32);
      // The fastest run of each arm: the one the machine's other work disturbed least (on a shared machine the medians
      // carry its load, which no alternation cancels when it changes within minutes).
      const lMin = Math.min(...times.linux);
      const wMin = Math.min(...times.win32);
      const variant = (f: string | null) => f?.match(/ggml-cpu-([\w.]+)\.(so|dll)$/)?.[1] ?? '?';
      rows.push([`${c.preset}, ${c.audioSec} s${c.audioCtx ? `, audio_ctx ${c.audioCtx}` : ''}`, c.tokens, `${variant(seen.linux.cpuBackend)} / ${variant(seen.win32.cpuBackend)}`,
        fmtMs(l), fmtMs(w), `**${(w / l).toFixed(2)}**`, fmtMs(lMin), fmtMs(wMin), `**${(wMin / lMin).toFixed(2)}**`]);
      notes.push(`${c.preset} ${c.audioSec} s runs (ms): linux ${times.linux.map((t) => t.toFixed(0)).join(', ')}; win32 under Wine ${times.win32.map((t) => t.toFixed(0)).join(', ')}.`);
      commands.push(`node ${rel(DRIVER)} ${rel(LINUX_ADDON)} ${rel(model)} <${c.audioSec} s of standup.wav as f32> ${THREADS} ${c.tokens} ${c.audioCtx} ${reps}`);
      commands.push(`WINEPREFIX=.wine/prefix wine .wine/node/node.exe ${rel(DRIVER)} ${rel(WIN32_ADDON)} … (the same arguments as Windows paths)`);
    }
  } finally {
    removeTempDir(dir);
  }
  if (notQuiet) notes.push(`${notQuiet} runs started on a machine that was not quiet.`);
  return {
    title: 'whisper speed: the win32-x64 build (MinGW-w64) under Wine vs the Linux build of the same sources',
    commands: ['npm run bench -- win32', ...commands],
    lines: table(['case', 'tokens', 'CPU variant (Linux / win32)', 'Linux median', 'win32 median', 'win32/Linux (> 1: win32 slower)', 'Linux fastest', 'win32 fastest', 'win32/Linux fastest'], rows),
    notes: [`${rounds} rounds × ${reps} decodes per arm and case, ${THREADS} threads, medians; flash attention as the engine's default.`, ...notes],
    targets: [],
  };
}
