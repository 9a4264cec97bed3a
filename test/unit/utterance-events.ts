/** Utterance events as the segmenter hands them to the recognizer, for the recognizer's tests. */
import { FRAME_SAMPLES } from '../../daemon/capture/source';
import { UtteranceEvent } from '../../daemon/vad/segmenter';

/**
 * The utterance's events with a drop after `voicedFrames` frames: silent frames follow (voicedEndSample stays; the
 * final's audio would end a frame after the voice, as the segmenter says for a detector without lag), then, with
 * `resumeFrames`, voiced frames again, then the end.
 */
export function pausedUtterance(id: string, voicedFrames: number, silentFrames: number, resumeFrames = 0): UtteranceEvent[] {
  const total = voicedFrames + silentFrames + resumeFrames;
  const all = new Float32Array(total * FRAME_SAMPLES).fill(0.1);
  const u = (n: number, voicedEnd: number, finalEnd?: number) => ({
    id, source: 'mic' as const, startSample: 0, samples: all.subarray(0, n * FRAME_SAMPLES), speechRatio: 1,
    speechStartSample: 0, speechEndSample: voicedEnd * FRAME_SAMPLES, voicedEndSample: voicedEnd * FRAME_SAMPLES,
    ...(finalEnd !== undefined ? { finalEndSample: finalEnd * FRAME_SAMPLES } : {}),
  });
  const events: UtteranceEvent[] = [];
  for (let n = 1; n <= voicedFrames; n++) events.push({ type: 'audio', utterance: u(n, n) });
  for (let n = voicedFrames + 1; n <= voicedFrames + silentFrames; n++) {
    events.push({ type: n === voicedFrames + 1 ? 'pause' : 'audio', utterance: u(n, voicedFrames, voicedFrames + 1) });
  }
  for (let n = voicedFrames + silentFrames + 1; n <= total; n++) events.push({ type: 'audio', utterance: u(n, n) });
  events.push({ type: 'end', utterance: resumeFrames > 0 ? u(total, total, total) : u(total, voicedFrames, voicedFrames + 1) });
  return events;
}
