/**
 * The whisper engine's memory alone (BENCHMARKS.md, issue 16, "Memory"): RSS of this process after the model is loaded
 * and warmed up, after a 3 s decode (audio_ctx 232, as for a final), after a 28 s one (the full window) and after the
 * 3 s one again, each with a text prompt of N words as the pipeline sends the previous sentence, and each decode's peak
 * (VmHWM, reset before it). whisper.patch makes these independent of the prompt's length and hands back what a decode
 * needs only while it runs (EARSHOT_WHISPER_KEEP_PAGES=1 keeps it: the A/B). Run it with the daemon's memory settings,
 * as the benchmark table does:
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

/** RSS of this process and its peak since the last {@link resetPeak}, in MiB, from /proc (Linux). */
function rssMb(field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
}
const resetPeak = () => fs.writeFileSync('/proc/self/clear_refs', '5');

/** Audio of `seconds`: what it says does not matter here (a generated model emits the same tokens for any input). */
const silence = (seconds: number) => new Float32Array(seconds * SAMPLE_RATE);

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { 'prompt-words': { type: 'string', default: '40' } }, allowPositionals: true });
  const model = positionals[0] ?? benchModel('base.en');
  const prompt = 'word '.repeat(Number(values['prompt-words'])).trim();
  const rows: [string, number, number?][] = [['node, nothing loaded', rssMb()]];
  const engine = new WhisperEngine({ modelPath: model, language: 'en', threads: THREADS, gpu: false });
  await engine.load();
  rows.push(['model loaded and warmed up', rssMb()]);
  const decode = async (what: string, seconds: number, audioCtx: number, maxTokens: number) => {
    resetPeak();
    await engine.decode({ pcm: silence(seconds), maxTokens, audioCtx, prompt });
    rows.push([what, rssMb(), rssMb('VmHWM')]);
  };
  // The window a final of 3 s asks for (streaming.ts: audio + 1 s margin, 50 frames a second, + 32).
  await decode(`after a 3 s decode (audio_ctx 232), prompt of ${values['prompt-words']} words`, 3, 232, 28);
  await decode('after a 28 s decode (full window), same prompt', 28, 1500, 100);
  await decode('after the 3 s decode again', 3, 232, 28);
  await engine.free();
  process.stdout.write('    RSS   peak in it (MiB)\n');
  for (const [what, mb, peak] of rows) process.stdout.write(`${mb.toFixed(1).padStart(7)}  ${peak === undefined ? '       ' : peak.toFixed(1).padStart(7)}  ${what}\n`);
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
