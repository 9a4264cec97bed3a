/** Runs voice detection over a file exactly as a session does (FileSource → detector → segmenter). */
import { FileSource, SAMPLE_RATE } from '../../../daemon/capture/source';
import { createSpeechDetector, VadConfig } from '../../../daemon/vad/config';
import { segmentUtterances } from '../../../daemon/vad/segmenter';
import { Span } from './score';

export interface Detection {
  /** What the recognizer is given: each utterance's audio, pre-roll and hangover included. */
  utterances: Span[];
  /** The detector's speech inside them (no padding). */
  speech: Span[];
  durationSec: number;
  /** Frames scored, and how many ran the model (when the detector reports it). */
  frames: number;
  modelRuns: number;
}

export async function detect(file: string, config: VadConfig): Promise<Detection> {
  const source = await FileSource.open(file, { pace: 'fast' });
  const detector = await createSpeechDetector(config);
  const utterances: Span[] = [], speech: Span[] = [];
  for await (const e of segmentUtterances(source.frames(new AbortController().signal), detector, config.segmenter)) {
    if (e.type !== 'end') continue;
    const u = e.utterance;
    utterances.push({ start: u.startSample / SAMPLE_RATE, end: (u.startSample + u.samples.length) / SAMPLE_RATE });
    speech.push({ start: u.speechStartSample / SAMPLE_RATE, end: u.speechEndSample / SAMPLE_RATE });
  }
  const { frames = 0, modelRuns = 0 } = detector.stats ?? {};
  return { utterances, speech, durationSec: source.format.durationSec, frames, modelRuns };
}
