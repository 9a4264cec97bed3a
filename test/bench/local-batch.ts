/**
 * Figure LB: the local notes model's prompt speed by CPU batch size (worker.ts CPU_BATCH_TOKENS). A held model
 * (figure 3M) lets whisper have the cores within one batch, so a batch should be short; too short and the prompt
 * reads slower. 256 tokens of the 1.5B's generated GGUF evaluated at each size on one thread, in a child process
 * (this bench's process never loads a second ggml beside whisper's).
 *
 *   BENCH_LOCAL_BATCHES=256,64,32,16,8,4   the sizes
 */
import { execFileSync } from 'node:child_process';
import { CPU_BATCH_TOKENS } from '../../daemon/understanding/local/worker';
import { benchNotesModel } from './local-model';
import { FigureReport, quiet, table } from './util';

const TOKENS = 256;

export async function localBatch(): Promise<FigureReport> {
  const sizes = (process.env.BENCH_LOCAL_BATCHES ?? '256,64,32,16,8,4').split(',').map(Number);
  const { file } = benchNotesModel('qwen2.5-1.5b');
  await quiet();
  const out = execFileSync(process.execPath, [__filename, file, ...sizes.map(String)], { encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
  const rows = JSON.parse(out.trim().split('\n').pop()!) as { batch: number; ms: number }[];
  const base = rows[0];
  const speed = (r: { ms: number }) => (TOKENS / r.ms) * 1000;
  return {
    title: 'The local notes model\'s prompt speed by CPU batch size (1 thread, qwen2.5-1.5b dims)',
    commands: ['npm run bench -- local-batch'],
    lines: table(['CPU batch (tokens)', 'prompt tok/s', `vs ${base.batch}`, 'one batch'], rows.map((r) => [
      r.batch === CPU_BATCH_TOKENS ? `**${r.batch} (worker.ts)**` : r.batch, speed(r).toFixed(1), (speed(r) / speed(base)).toFixed(2), `${((r.ms * r.batch) / TOKENS / 1000).toFixed(2)} s`,
    ])),
    notes: [`${TOKENS} tokens evaluated (evaluateWithoutGeneratingNewTokens) at each size in one child process, a fresh context each; generated Q4_0 weights (.bench/notes-qwen2.5-1.5b.gguf).`],
    targets: [],
  };
}

/** The child: evaluates TOKENS tokens at each batch size and prints [{batch, ms}] as JSON. */
async function measure(file: string, sizes: number[]): Promise<void> {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, maxThreads: 1, logLevel: LlamaLogLevel.error, logger: () => undefined });
  const model = await llama.loadModel({ modelPath: file, useMmap: false, gpuLayers: 0 });
  const tokens = Array.from({ length: TOKENS }, (_, i) => 100 + ((i * 37) % 5000));
  const rows: { batch: number; ms: number }[] = [];
  for (const batchSize of sizes) {
    const context = await model.createContext({ contextSize: 1024, threads: 1, sequences: 1, batchSize });
    const started = performance.now();
    await context.getSequence().evaluateWithoutGeneratingNewTokens(tokens as never);
    rows.push({ batch: batchSize, ms: performance.now() - started });
    await context.dispose();
  }
  process.stdout.write(JSON.stringify(rows) + '\n');
}

if (require.main === module) void measure(process.argv[2], process.argv.slice(3).map(Number)).then(() => process.exit(0));
