/**
 * Scores a recording's frames once per detector front end, then replays the segmenter over the stored scores for
 * every setting tried. Exact, not an approximation: the detector's score for a frame depends on the audio and the
 * detector's own state, never on the segmenter's thresholds or timings, so replaying gives the utterances `detect`
 * (run.ts) gives for the same configuration (a unit test holds them equal).
 */
import { AudioFrame, FileSource, SAMPLE_RATE } from '../../../daemon/capture/source';
import { createSpeechDetector, VadConfig } from '../../../daemon/vad/config';
import { segmentUtterances, SegmenterOptions, SpeechDetector } from '../../../daemon/vad/segmenter';
import { Detection } from './run';
import { Span } from './score';

/** A recording's frames with one front end's scores. */
export interface ScoredFrames {
  frames: AudioFrame[];
  scores: Float32Array;
  endLagFrames: number;
  durationSec: number;
}

export type FrontEnd = Pick<VadConfig, 'model' | 'levelHandling' | 'levelTargetDb'>;

export async function scoreFile(file: string, frontEnd: FrontEnd): Promise<ScoredFrames> {
  const source = await FileSource.open(file, { pace: 'fast' });
  const detector = await createSpeechDetector(frontEnd);
  const frames: AudioFrame[] = [];
  const scores: number[] = [];
  for await (const frame of source.frames(new AbortController().signal)) {
    if (frame.pause) continue;
    frames.push(frame);
    scores.push(await detector.score(frame.samples));
  }
  return { frames, scores: Float32Array.from(scores), endLagFrames: detector.endLagFrames ?? 0, durationSec: source.format.durationSec };
}

/** Hands back stored scores in order: the segmenter cannot tell it from the detector that made them. */
class ReplayedDetector implements SpeechDetector {
  private next = 0;
  constructor(private readonly scores: Float32Array, readonly endLagFrames: number) {}
  score(): number {
    return this.scores[this.next++];
  }
}

async function* inOrder(frames: AudioFrame[]): AsyncGenerator<AudioFrame> {
  for (const f of frames) yield f;
}

export async function replay(scored: ScoredFrames, options: SegmenterOptions): Promise<Pick<Detection, 'utterances' | 'speech' | 'durationSec'>> {
  const utterances: Span[] = [], speech: Span[] = [];
  for await (const e of segmentUtterances(inOrder(scored.frames), new ReplayedDetector(scored.scores, scored.endLagFrames), options)) {
    if (e.type !== 'end') continue;
    const u = e.utterance;
    utterances.push({ start: u.startSample / SAMPLE_RATE, end: (u.startSample + u.samples.length) / SAMPLE_RATE });
    speech.push({ start: u.speechStartSample / SAMPLE_RATE, end: u.speechEndSample / SAMPLE_RATE });
  }
  return { utterances, speech, durationSec: scored.durationSec };
}
