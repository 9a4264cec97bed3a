/**
 * `npm run bench`: the figures that go into BENCHMARKS.md, each beside the anchor it is judged by, measured in the
 * same run (this machine is shared and noisy: compare ratios, not seconds). One module per figure:
 *
 *   wav      WAV decoding + resampling: Earshot's reader vs the wavefile package          (wav-decode.ts)
 *   whisper  1. whisper speed: Earshot's engine vs whisper.cpp built natively             (whisper-speed.ts)
 *   weights  the engine with 8-bit (q8_0) vs f16 weights, same work                        (weights.ts)
 *   stream   2. CPU-s per audio-s: Earshot's live pipeline vs whisper.cpp stream          (stream-cpu.ts)
 *   latency  3. end of speech → final, onset → first partial (realtime session)           (latency.ts)
 *   drops    3D. when the early final can start and how often it is for nothing (VAD only) (drops.ts)
 *   silence  4. decodes and CPU share over 60 s of silence and of pink noise              (silence.ts)
 *   spawn    5. daemon spawn → model ready                                                (spawn.ts)
 *   memory   6. RSS steady state and growth over a 2-hour meeting (pace fast)             (memory.ts, in a fresh
 *                                                                                          process: memory-child.ts)
 *   capture  7. capture latency per recorder: playback start → first frame at the consumer (capture.ts, PulseAudio)
 *   local-model L. the local notes model at each catalog model's dims: load, prompt/generation tokens/s, peak RSS,
 *               stop → final notes for a 60-minute meeting (local-model.ts; BENCH_LOCAL_MODELS, BENCH_LOCAL_MEETING)
 *   latency-model 3M. figure 3 with and without a local model extracting live chunks in the same run (latency-model.ts)
 *   local-batch LB. the local model's prompt speed by CPU batch size (local-batch.ts; BENCH_LOCAL_BATCHES)
 *   memory-search MS. a meeting-memory search by words and with the meaning model's vectors (a fake embedder: the
 *               index's cost), 38 and 190 meetings; the meaning model's first reading, ms per block with a generated
 *               GGUF at bge-small's dimensions on 1 and 2 threads (memory-search.ts; BENCH_MEANING_BLOCKS)
 *   mcp-tools MCP. each `earshot mcp` tool's latency over 100 stored meetings (SDK client, real process), the index's own
 *               search in process as the anchor (mcp-tools.ts)
 *   diarize  D. CPU per audio-s of the speaker stage beside whisper's live pipeline, real AMI audio (diarize.ts)
 *   calls    C. call detection's CPU while idle: polling a private PulseAudio with no call (calls.ts)
 *   win32    WIN. whisper speed of the win32-x64 build (MinGW-w64) under Wine vs the Linux build of the same sources
 *               (win32.ts, whisper-driver.ts; needs scripts/wine-setup.sh and scripts/build-win32.js; not in `all`)
 *   soak     9. a 2-hour meeting through a real daemon (mostly silence, a turn every 20 s): RSS growth, journal bytes
 *               per audio-minute (soak.ts, test/support/soak.ts; BENCH_SOAK_COMPARE=1 adds the daemon without node flags)
 *
 * Usage: npm run bench [-- NAME…]   or   BENCH_ONLY=whisper,latency npm run bench   (default: all).
 * Knobs (env): BENCH_REPS, BENCH_WHISPER_REPS, BENCH_WHISPER_TOKENS, BENCH_WHISPER_PRESETS, BENCH_SPAWN_REPS,
 * BENCH_SILENCE_SEC, BENCH_CAPTURE_REPS, BENCH_MEETING_COPIES, BENCH_MEETING_GAP_S, BENCH_RSS_MINUTES, BENCH_RSS_WARMUP_MIN,
 * BENCH_RSS_SAMPLE_MIN, BENCH_THREADS, BENCH_QUIET_MAX_S, BENCH_QUIET_CORES, BENCH_NOISE_GAIN; what-if experiments on the streaming
 * policy: BENCH_WHATIF_FIT_FINALS=1, BENCH_WHATIF_NO_FINAL_BACKOFF=1, BENCH_WHATIF_PARTIAL_DUTY=D, BENCH_WHATIF_DROP=P
 * (session-run.ts). BENCH_WEIGHTS=q8_0: the generated models store their weights in 8 bits (util.ts).
 * Generated models (real tiny.en / base.en dimensions) are cached in .test-models, fixtures and the native
 * whisper.cpp build (scripts/build-whisper-cpp.sh) in .bench. Children and temporary files are removed on any exit.
 */
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../setup';
import { callsIdle } from './calls';
import { captureLatency } from './capture';
import { diarizeCpu } from './diarize';
import { drops } from './drops';
import { latency } from './latency';
import { latencyWithModel } from './latency-model';
import { localBatch } from './local-batch';
import { localModel } from './local-model';
import { memory } from './memory';
import { mcpTools } from './mcp-tools';
import { memorySearch } from './memory-search';
import { silence } from './silence';
import { soak } from './soak';
import { spawnReady } from './spawn';
import { streamCpu } from './stream-cpu';
import { cleanupAll, FigureReport, table, Target } from './util';
import { wavDecode } from './wav-decode';
import { weights } from './weights';
import { whisperSpeed } from './whisper-speed';
import { win32Speed } from './win32';

/** onlyAsked: left out of `all` (it needs what scripts/wine-setup.sh and scripts/build-win32.js make). */
const FIGURES: { name: string; label: string; run: () => Promise<FigureReport>; onlyAsked?: boolean }[] = [
  { name: 'wav', label: 'WAV', run: wavDecode },
  { name: 'whisper', label: '1', run: whisperSpeed },
  { name: 'weights', label: 'W', run: weights },
  { name: 'stream', label: '2', run: streamCpu },
  { name: 'latency', label: '3', run: latency },
  { name: 'drops', label: '3D', run: drops },
  { name: 'silence', label: '4', run: silence },
  { name: 'spawn', label: '5', run: spawnReady },
  { name: 'memory', label: '6', run: memory },
  { name: 'capture', label: '7', run: captureLatency },
  { name: 'soak', label: '9', run: soak },
  { name: 'diarize', label: 'D', run: diarizeCpu },
  { name: 'local-model', label: 'L', run: localModel },
  { name: 'latency-model', label: '3M', run: latencyWithModel },
  { name: 'local-batch', label: 'LB', run: localBatch },
  { name: 'memory-search', label: 'MS', run: memorySearch },
  { name: 'mcp-tools', label: 'MCP', run: mcpTools },
  { name: 'calls', label: 'C', run: callsIdle },
  { name: 'win32', label: 'WIN', run: win32Speed, onlyAsked: true },
];

function selected(): typeof FIGURES {
  const asked = [...process.argv.slice(2), ...(process.env.BENCH_ONLY ?? '').split(',')].map((s) => s.trim()).filter(Boolean);
  if (asked.length === 0 || asked.includes('all')) return FIGURES.filter((f) => !f.onlyAsked);
  const unknown = asked.filter((a) => !FIGURES.some((f) => f.name === a || f.label === a));
  if (unknown.length) throw new Error(`unknown figure(s) ${unknown.join(', ')}; one of ${FIGURES.map((f) => f.name).join(', ')}`);
  return FIGURES.filter((f) => asked.includes(f.name) || asked.includes(f.label));
}

function print(lines: string[]): void {
  process.stdout.write(lines.join('\n') + '\n');
}

async function main(): Promise<number> {
  const figures = selected();
  const build = execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build-whisper.js'), '--check'], { encoding: 'utf8' });
  const { wanted, march, whisperCpp } = JSON.parse(build) as { wanted: string; march?: string[]; whisperCpp: string };
  const git = (args: string[]) => { try { return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim(); } catch { return ''; } };
  const dirty = git(['status', '--porcelain', '--untracked-files=no']).split('\n').filter(Boolean).length;
  print([`# npm run bench — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${os.cpus()[0].model}, ${os.availableParallelism()} cores, ` +
    `node ${process.version}, whisper.cpp ${whisperCpp}, build ${wanted}${march ? ` (-march=${march.join(',') || 'none'})` : ''}, commit ${git(['rev-parse', '--short', 'HEAD']) || '?'}` +
    `${dirty ? ` + ${dirty} modified files` : ''}; figures: ${figures.map((f) => f.name).join(', ')}`, '']);
  const targets: (Target & { figure: string })[] = [];
  let failed = 0;
  for (const figure of figures) {
    const started = performance.now();
    process.stderr.write(`bench: ${figure.name}…\n`);
    try {
      const report = await figure.run();
      const took = (performance.now() - started) / 1000;
      print([
        `## ${figure.label === 'WAV' ? '' : `${figure.label}. `}${report.title}`, '',
        ...report.commands.map((c) => `    ${c}`), '',
        ...report.lines, '',
        ...report.notes.map((n) => `- ${n}`),
        ...(report.notes.length ? [''] : []),
        `(${took.toFixed(0)} s)`, '',
      ]);
      targets.push(...report.targets.map((t) => ({ ...t, figure: figure.label })));
    } catch (e) {
      failed++;
      print([`## ${figure.label}. ${figure.name}: not measured`, '', '```', String((e as Error).stack ?? e), '```', '']);
    }
  }
  if (targets.length) {
    print(['## Targets', '', ...table(['figure', 'metric', 'measured', 'target', 'met'], targets.map((t) => [
      t.figure, t.metric, t.value, t.target, t.met === null ? 'not measured' : t.met ? 'yes' : '**no**',
    ]))]);
  }
  return failed ? 1 : 0;
}

process.on('exit', cleanupAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    process.stderr.write(`bench: ${signal}, cleaning up\n`);
    cleanupAll();
    process.exit(130);
  });
}

main().then(
  (code) => process.exit(code), // native handles (whisper, onnxruntime) must not keep the process alive
  (e) => { console.error(e); process.exit(1); },
);
