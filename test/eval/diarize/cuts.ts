/**
 * Lines cut at a change of voice (issue 57, daemon/speakers/cuts.ts) for the eval: the model's output over each
 * voice-detected stretch's cut windows is computed once per recording, then every cut setting replays it.
 */
import { SAMPLE_RATE } from '../../../daemon/capture/source';
import { changesInWindow, CutOptions, cutWindow, cutWindowStarts, piecesAt } from '../../../daemon/speakers/cuts';
import { SegmentationModel } from '../../../daemon/speakers/segmentation';

export interface StretchWindows { start: number; end: number; windows: { startSec: number; y: Float32Array }[] }

/** The cut windows' model output for every stretch of `samples`, as cutFinal runs them at each final. */
export async function cutWindowsOf(model: SegmentationModel, samples: Float32Array, stretches: readonly { start: number; end: number }[]): Promise<StretchWindows[]> {
  const audio = (from: number, to: number) => samples.subarray(from, Math.min(to, samples.length));
  const out: StretchWindows[] = [];
  for (const s of stretches) {
    const s0 = Math.round(s.start * SAMPLE_RATE), s1 = Math.round(s.end * SAMPLE_RATE);
    const windows = [];
    for (const start of cutWindowStarts(s0, s1)) windows.push({ startSec: start / SAMPLE_RATE, y: (await model.run(cutWindow(audio, start, s1))).slice() });
    out.push({ start: s.start, end: s.end, windows });
  }
  return out;
}

/** The lines a session shows with `options` (undefined: no cut, one line a stretch), as cutFinal gives them. */
export function cutLines(stretches: readonly StretchWindows[], options: CutOptions | undefined): { start: number; end: number }[] {
  return stretches.flatMap((s) => {
    if (!options || s.end - s.start < 2 * options.minPieceSec) return [{ start: s.start, end: s.end }];
    return piecesAt(s.start, s.end, s.windows.flatMap((w) => changesInWindow(w.y, w.startSec, s.start, s.end, options)), options);
  });
}
