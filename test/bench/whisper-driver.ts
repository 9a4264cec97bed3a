/**
 * One arm of the win32 figure (test/bench/win32.ts): loads a smart-whisper addon FILE (the Linux build, or the win32
 * build run by Windows node.exe under Wine), a model and raw 16 kHz f32 audio, makes one warm-up decode, then `reps`
 * decodes timed in-process around the addon's transcribe call (so Wine's process start and the model load are not in
 * the figure), and prints one JSON line: { ms: [...], tokens: [...], text, cpuBackend, platform }.
 *
 *   node out/test/bench/whisper-driver.js ADDON MODEL PCM_F32 THREADS MAX_TOKENS AUDIO_CTX REPS
 *
 * Plain Node and the daemon's own decodeParams (what the engine asks whisper.cpp for): no other module of the
 * checkout, so the Windows node.exe runs it from the checkout's out/ through Wine's Z: drive.
 */
import * as fs from 'node:fs';
import { decodeParams, flashAttnFromEnv } from '../../daemon/asr/whisper';
import type { WhisperAddon } from '../../daemon/whisperAddon';

async function main(argv: string[]): Promise<void> {
  const [addonFile, model, pcmFile, threads, maxTokens, audioCtx, reps] = argv;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const addon = require(addonFile) as WhisperAddon;
  const bytes = fs.readFileSync(pcmFile);
  const pcm = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const loaded = await addon.WhisperModel.load(model, false, flashAttnFromEnv());
  const decode = (samples: Float32Array, tokens: number, ctx: number) => new Promise<string>((resolve, reject) => {
    addon.transcribe(loaded.handle, samples, decodeParams({ language: 'en', threads: Number(threads) }, { pcm: samples, maxTokens: tokens, audioCtx: ctx }), (r) => {
      if (r instanceof Error) reject(r);
      else resolve((r as { text: string }[]).map((x) => x.text).join('').trim());
    }, () => undefined);
  });
  await decode(pcm, Number(maxTokens), Number(audioCtx)); // warm-up: the first decode allocates the compute buffers
  const ms: number[] = [];
  const tokens: number[] = [];
  let text = '';
  for (let i = 0; i < Number(reps); i++) {
    const t = performance.now();
    text = await decode(pcm, Number(maxTokens), Number(audioCtx));
    ms.push(performance.now() - t);
    tokens.push(text.split(/\s+/).filter(Boolean).length);
  }
  const cpu = addon.backends?.(false).backends.find((b) => b.name === 'CPU');
  await loaded.free();
  process.stdout.write(JSON.stringify({ ms, tokens, text, cpuBackend: cpu?.file ?? null, platform: process.platform }) + '\n');
}

main(process.argv.slice(2)).then(() => process.exit(0), (e) => {
  process.stderr.write(`whisper-driver: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
