/**
 * What a decode of non-speech costs: the audio of each utterance a setting hands the recognizer with no reference
 * speech in it, decoded as the recognizer decodes a final (streaming.ts: the token cap and encoder window for its
 * length, the minimum 1.1 s), by the engine as the pipeline runs it; process CPU per decode.
 */
import { defaultThreads } from '../../../daemon/config';
import { SAMPLE_RATE } from '../../../daemon/capture/source';
import { DEFAULT_STREAMING_OPTIONS } from '../../../daemon/asr/streaming';
import { WhisperEngine } from '../../../daemon/asr/whisper';
import { VadConfig } from '../../../daemon/vad/config';
import { readPcm } from '../../bench/fixtures';
import { RealRecording } from './corpus';
import { ScoreCache } from './candidates';
import { replay } from './replay';
import { overlapSec, Span, union } from './score';

export interface NonSpeechDecode { recording: string; span: Span; cpuMs: number; wallMs: number; text: string }

/** The utterances `config` hands the recognizer that hold no reference speech. */
export async function nonSpeechUtterances(recordings: readonly RealRecording[], config: VadConfig, cache: ScoreCache): Promise<{ recording: RealRecording; span: Span }[]> {
  const out: { recording: RealRecording; span: Span }[] = [];
  for (const r of recordings) {
    const d = await replay(await cache.get(r.file, config), config.segmenter);
    for (const u of d.utterances) if (overlapSec(u, union(r.turns)) === 0) out.push({ recording: r, span: u });
  }
  return out;
}

/** Decodes each stretch `reps` times as a final; the median CPU of each. */
export async function decodeCost(model: string, stretches: readonly { recording: RealRecording; span: Span }[], reps = 5, threads = defaultThreads()): Promise<NonSpeechDecode[]> {
  const engine = new WhisperEngine({ modelPath: model, language: 'en', threads, gpu: false });
  await engine.load();
  const out: NonSpeechDecode[] = [];
  try {
    for (const { recording, span } of stretches) {
      const all = await readPcm(recording.file, span.end);
      const pcm = all.subarray(Math.round(span.start * SAMPLE_RATE));
      const sec = pcm.length / SAMPLE_RATE;
      const o = DEFAULT_STREAMING_OPTIONS;
      const cpu: number[] = [], wall: number[] = [];
      let text = '';
      for (let i = 0; i < reps; i++) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        text = (await engine.decode({ pcm, final: true, maxTokens: Math.ceil(sec * o.maxTokensPerSec) + 4, audioCtx: Math.min(1500, Math.ceil((sec + o.finalContextMarginSec) * 50) + 32) })).text;
        wall.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpu.push((c.user + c.system) / 1000);
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      out.push({ recording: recording.name, span, cpuMs: median(cpu), wallMs: median(wall), text });
    }
  } finally {
    await engine.free();
  }
  return out;
}
