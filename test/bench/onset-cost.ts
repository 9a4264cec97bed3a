/**
 * Issue 60: what an onset's first partial costs whisper, by what goes into its request: 0.42 s of the sample (13 frames,
 * the onset's audio), a cap of 6 tokens, with and without a prompt of the previous sentence (200 characters, as the
 * recognizer gives later decodes), with the partial's encoder window (+32 frames) and a smaller one. The variants
 * alternate, so the machine's load falls on each alike; the generated model of the bench's figure 3 (base.en dims).
 *
 *   node out/test/bench/onset-cost.js [--preset base.en] [--threads 1] [--rounds 8]
 */
import { WhisperEngine, DecodeRequest } from '../../daemon/asr/whisper';
import { SAMPLE_RATE } from '../../daemon/capture/source';
import { samplePcm } from '../setup';
import { benchSayingModel, median } from './util';

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

async function main(): Promise<void> {
  const preset = arg('preset', 'base.en') as 'base.en' | 'tiny.en';
  const threads = Number(arg('threads', '1'));
  const rounds = Number(arg('rounds', '8'));
  const engine = new WhisperEngine({ modelPath: benchSayingModel(preset), language: 'en', threads, gpu: false, tune: false, tuningCache: null });
  await engine.load();
  const pcm = (await samplePcm()).slice(SAMPLE_RATE, SAMPLE_RATE + 13 * 512);
  const prompt = 'Um, so, yeah. I found the problem with the session token. I will fix the login timeout by Friday. Okay, thanks. ' +
    'Next is the deploy; we moved it to Thursday because the review took longer than planned.';
  const variants: Record<string, DecodeRequest> = {
    'audio_ctx 53, previous sentence': { pcm, final: false, maxTokens: 6, audioCtx: 53, prompt: prompt.slice(-200) },
    'audio_ctx 53, no prompt': { pcm, final: false, maxTokens: 6, audioCtx: 53 },
    'audio_ctx 32, previous sentence': { pcm, final: false, maxTokens: 6, audioCtx: 32, prompt: prompt.slice(-200) },
    'audio_ctx 32, no prompt': { pcm, final: false, maxTokens: 6, audioCtx: 32 },
  };
  const ms: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let i = 0; i < rounds; i++) for (const [k, r] of Object.entries(variants)) ms[k].push((await engine.decode(r)).ms);
  const anchor = median(ms['audio_ctx 53, previous sentence']);
  console.log(`| ${preset}, ${threads} thread(s), ${rounds} rounds | median | / the first |\n|---|---|---|`);
  for (const [k, xs] of Object.entries(ms)) console.log(`| ${k} | ${median(xs).toFixed(0)} ms | ${(median(xs) / anchor).toFixed(2)} |`);
  await engine.free();
}

void main();
