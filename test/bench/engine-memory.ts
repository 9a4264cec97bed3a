/**
 * The whisper engine's memory alone (BENCHMARKS.md, issue 16, "Memory"): RSS of this process after the model is loaded
 * and warmed up, after a 3 s decode (audio_ctx 232, as for a final) and after a 28 s one (the full window), each with a
 * text prompt of N words as the pipeline sends the previous sentence. whisper.patch makes the second and third figures
 * independent of the prompt's length. Run it with the daemon's memory settings, as the benchmark table does:
 *
 *   MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=2 out/test/bench/engine-memory.js [--prompt-words N] [model.bin]
 *
 * The default model is the generated base.en-dims one the other figures use (.test-models, made on first use).
 */
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { WhisperEngine } from '../../daemon/asr/whisper';
import { SAMPLE_RATE } from '../../daemon/capture/source';
import { benchModel, THREADS } from './util';

/** RSS of this process in MB, from /proc (Linux). */
function rssMb(): number {
  return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
}

/** Audio of `seconds`: what it says does not matter here (a generated model emits the same tokens for any input). */
const silence = (seconds: number) => new Float32Array(seconds * SAMPLE_RATE);

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { 'prompt-words': { type: 'string', default: '40' } }, allowPositionals: true });
  const model = positionals[0] ?? benchModel('base.en');
  const prompt = 'word '.repeat(Number(values['prompt-words'])).trim();
  const rows: [string, number][] = [['node, nothing loaded', rssMb()]];
  const engine = new WhisperEngine({ modelPath: model, language: 'en', threads: THREADS, gpu: false });
  await engine.load();
  rows.push(['model loaded and warmed up', rssMb()]);
  // The window a final of 3 s asks for (streaming.ts: audio + 1 s margin, 50 frames a second, + 32).
  await engine.decode({ pcm: silence(3), maxTokens: 28, audioCtx: 232, prompt });
  rows.push([`after a 3 s decode (audio_ctx 232), prompt of ${values['prompt-words']} words`, rssMb()]);
  await engine.decode({ pcm: silence(28), maxTokens: 100, audioCtx: 1500, prompt });
  rows.push(['after a 28 s decode (full window), same prompt', rssMb()]);
  await engine.free();
  for (const [what, mb] of rows) process.stdout.write(`${mb.toFixed(1).padStart(7)} MB  ${what}\n`);
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
