/**
 * Weights — the engine's decode time with 8-bit weights (q8_0, as ggml-*-q8_0.bin stores them: what capability
 * detection picks on a CPU) against full-precision f16 (ggml-*.bin), same dimensions, audio, decoding parameters and
 * token count (both generated models say " hello" up to the cap). Both engines are loaded in this process and the arms
 * alternate, after waiting for a quiet machine; medians are compared. What the 8 bits cost in words needs trained
 * weights (`EARSHOT_MODEL=ggml-base.en-q8_0.bin npm run eval:asr` against the f16 file, where a model is given).
 */
import { WhisperEngine } from '../../daemon/asr/whisper';
import { SAMPLE_WAV } from '../setup';
import { readPcm } from './fixtures';
import { benchModel, BenchWeights, envNum, FigureReport, fmtMs, median, quiet, table, THREADS } from './util';

interface Case { label: string; audioSec: number; audioCtx: number; tokens: number }

/** A 30 s window, the final of the fixture's longest turn (7.2 s + the final's margin) and a partial-sized call. */
const CASES: Case[] = [
  { label: '30 s window', audioSec: 30, audioCtx: 0, tokens: 32 },
  { label: 'final of a 7.2 s turn', audioSec: 7.2, audioCtx: 442, tokens: 25 },
  { label: 'partial, 2 s', audioSec: 2, audioCtx: 132, tokens: 12 },
];

export async function weights(): Promise<FigureReport> {
  const reps = envNum('BENCH_WHISPER_REPS', 7);
  const presets = (process.env.BENCH_WHISPER_PRESETS ?? 'base.en,tiny.en').split(',') as ('tiny.en' | 'base.en')[];
  const pcm = await readPcm(SAMPLE_WAV, 30);
  const rows: (string | number)[][] = [];
  let quietMs = 0;
  for (const preset of presets) {
    const engines = new Map<BenchWeights, WhisperEngine>();
    for (const w of ['f16', 'q8_0'] as const) {
      const engine = new WhisperEngine({ modelPath: benchModel(preset, w), language: 'en', threads: THREADS, gpu: false });
      await engine.load();
      engines.set(w, engine);
    }
    try {
      for (const c of CASES) {
        const times: Record<BenchWeights, number[]> = { f16: [], q8_0: [] };
        quietMs += await quiet();
        for (let r = 0; r < reps; r++) {
          // Alternate which arm goes first, so neither always follows the other's cache state.
          for (const w of r % 2 ? (['q8_0', 'f16'] as const) : (['f16', 'q8_0'] as const)) {
            const result = await engines.get(w)!.decode({ pcm: pcm.subarray(0, Math.round(c.audioSec * 16_000)), final: true, maxTokens: c.tokens, audioCtx: c.audioCtx });
            times[w].push(result.ms);
          }
        }
        const f16 = median(times.f16), q8 = median(times.q8_0);
        rows.push([`${preset}, ${c.label}`, c.audioCtx || 1500, c.tokens, fmtMs(f16), fmtMs(q8), `**${(q8 / f16).toFixed(2)}**`]);
      }
    } finally {
      for (const engine of engines.values()) await engine.free();
    }
  }
  return {
    title: 'Weights: the engine with 8-bit (q8_0) against f16 weights, same dimensions and work',
    commands: ['npm run bench -- weights'],
    lines: table(['case', 'audio_ctx', 'tokens', 'f16 (median)', 'q8_0 (median)', 'q8_0 / f16'], rows),
    notes: [
      `${reps} decodes per arm and case, alternating, ${THREADS} threads, flash attention on; the engine's own time for the native call. ` +
        `Generated models (scripts/gen-whisper-model.js --ftype q8_0 writes the bytes whisper.cpp's quantize tool makes of the f16 file). ` +
        `Waited ${(quietMs / 1000).toFixed(0)} s for a quiet machine.`,
      'What 8 bits cost in words is not measured here (no trained weights on these machines).',
    ],
    targets: [],
  };
}
