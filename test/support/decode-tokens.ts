/**
 * A child process for the whisper-core tests: loads a model with the installed addon (smart-whisper's raw binding, the
 * calls its JS makes), decodes the clips it is given with the daemon's decode parameters and prints every decode's
 * tokens (id and probability) as one JSON line. Run under different environments (EARSHOT_WHISPER_KEEP_PAGES), two such
 * processes must print the same thing. Flash attention and the GPU as the daemon has them (EARSHOT_FLASH_ATTN,
 * EARSHOT_GPU): BENCHMARKS.md compares a GPU build's tokens with the CPU's this way.
 *
 *   node out/test/support/decode-tokens.js MODEL CLIPS.json    # CLIPS: [{ "f32": file, "audioCtx": n, "maxTokens": n }, …]
 */
import * as fs from 'node:fs';
import { decodeParams, flashAttnFromEnv } from '../../daemon/asr/whisper';
import { whisperAddon } from '../../daemon/whisperAddon';
import { defaultGpu } from '../../daemon/config';

interface Clip { f32: string; audioCtx: number; maxTokens: number }
interface DetailResult { tokens: { id: number; p: number }[] }

async function main(): Promise<void> {
  const [model, clipsFile] = process.argv.slice(2);
  if (!model || !clipsFile) throw new Error('usage: decode-tokens MODEL CLIPS.json');
  const clips = JSON.parse(fs.readFileSync(clipsFile, 'utf8')) as Clip[];
  const addon = whisperAddon();
  const loaded = await addon.WhisperModel.load(model, defaultGpu(), flashAttnFromEnv());
  const decodes: { id: number; p: number }[][] = [];
  for (const clip of clips) {
    const buf = fs.readFileSync(clip.f32);
    const pcm = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    const params = { ...decodeParams({ language: 'en', threads: 2 }, { pcm, maxTokens: clip.maxTokens, audioCtx: clip.audioCtx }), format: 'detail' };
    const results = await new Promise<DetailResult[]>((resolve, reject) => addon.transcribe(loaded.handle, pcm, params,
      (r) => (r instanceof Error ? reject(r) : resolve(r as DetailResult[])), () => undefined));
    decodes.push(results.flatMap((r) => r.tokens.map((t) => ({ id: t.id, p: t.p }))));
  }
  await loaded.free();
  process.stdout.write(`${JSON.stringify(decodes)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`decode-tokens: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
