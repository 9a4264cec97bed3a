/**
 * Where a final changes voice (issue 57): a transcript line should carry one voice, but voice detection joins two
 * people's turns into one utterance when they speak without a pause. The session's stage settles a turn about a window
 * after its audio, too late to cut a final before it is journaled; so at the final the segmentation model runs once
 * more over the final's own audio (one 10 s window, more for a longer final: a few tens of ms of CPU), and where one of
 * its local speakers speaking alone gives way to another speaking alone, the final is cut. Each piece then gets its
 * voice from the stage's turns like any final (labels.ts); pieces that turn out to be one voice are joined again by
 * whoever shows them (`TranscriptSegment.continues`). Pure but for the model run the caller passes in.
 */
import { AudioFrame, SAMPLE_RATE } from '../capture/source';
import { frameTime, POWERSET, WINDOW_FRAMES, WINDOW_SAMPLES } from './segmentation';

export interface CutOptions {
  /** A local speaker counts where it speaks alone at least this long (s) in a row (shorter: a cough, a back-channel). */
  minRunSec: number;
  /** Every piece at least this long (s): a shorter one holds a word or two and would be a line of its own. */
  minPieceSec: number;
}

/** Chosen on the committed recordings (npm run eval:diarize, "Lines cut at a change of voice"). */
export const DEFAULT_CUT_OPTIONS: CutOptions = { minRunSec: 0.5, minPieceSec: 1 };

/** Windows between two model runs over a final longer than a window (samples). */
const CUT_STEP_SAMPLES = 5 * SAMPLE_RATE;

/**
 * The window starts (capture samples) that cover [t0, t1) (samples): one window ending at t1 for a final up to a
 * window long (it starts at 0 at the latest: audio is never asked for before the capture began), else windows every
 * 5 s from t0, the last ending at t1. The audio after t1 is silence (a live final has nothing later yet).
 */
export function cutWindowStarts(t0: number, t1: number): number[] {
  if (t1 - t0 <= WINDOW_SAMPLES) return [Math.max(0, t1 - WINDOW_SAMPLES)];
  const starts: number[] = [];
  for (let s = t0; s + WINDOW_SAMPLES < t1; s += CUT_STEP_SAMPLES) starts.push(s);
  starts.push(t1 - WINDOW_SAMPLES);
  return starts;
}

/** The model's input for the window at `start`: the audio of [start, min(t1, start + window)), silence elsewhere. */
export function cutWindow(audio: (from: number, to: number) => Float32Array, start: number, t1: number): Float32Array {
  const window = new Float32Array(WINDOW_SAMPLES);
  const end = Math.min(t1, start + WINDOW_SAMPLES);
  if (end > start) window.set(audio(start, end).subarray(0, end - start));
  return window;
}

interface Run { speaker: number; start: number; end: number }

/**
 * Changes of voice (s) in one window's model output `y` (WINDOW_FRAMES × 7 log-probabilities, the window starting at
 * `windowStartSec`) inside [t0, t1] (s): the frames whose likeliest class is one local speaker alone, runs of at least
 * minRunSec, runs of the same speaker joined; a change is halfway between the end of one speaker's run and the start
 * of the next speaker's.
 */
export function changesInWindow(y: ArrayLike<number>, windowStartSec: number, t0: number, t1: number, options: CutOptions): number[] {
  const runs: Run[] = [];
  let open: Run | undefined;
  const close = () => {
    if (open && open.end - open.start >= options.minRunSec) runs.push(open);
    open = undefined;
  };
  for (let f = 0; f < WINDOW_FRAMES; f++) {
    const t = windowStartSec + frameTime(f);
    if (t < t0 || t > t1) { close(); continue; }
    let best = 0;
    for (let c = 1; c < POWERSET.length; c++) if (y[f * POWERSET.length + c] > y[f * POWERSET.length + best]) best = c;
    const alone = POWERSET[best].length === 1 ? POWERSET[best][0] : undefined;
    if (alone !== undefined && open?.speaker === alone) { open.end = t; continue; }
    close();
    if (alone !== undefined) open = { speaker: alone, start: t, end: t };
  }
  close();
  const changes: number[] = [];
  for (let i = 1; i < runs.length; i++) if (runs[i].speaker !== runs[i - 1].speaker) changes.push((runs[i - 1].end + runs[i].start) / 2);
  return changes;
}

/**
 * The pieces of [t0, t1] (s) cut at `changes` (from every window, any order): a change closer than minPieceSec to the
 * start, to the previous cut kept or to the end is dropped (the same change seen by two windows is one cut).
 */
export function piecesAt(t0: number, t1: number, changes: readonly number[], options: CutOptions): { start: number; end: number }[] {
  const cuts: number[] = [];
  for (const c of [...changes].sort((a, b) => a - b)) {
    if (c - (cuts.at(-1) ?? t0) >= options.minPieceSec && t1 - c >= options.minPieceSec) cuts.push(c);
  }
  const bounds = [t0, ...cuts, t1];
  return bounds.slice(1).map((end, i) => ({ start: bounds[i], end }));
}

/**
 * The pieces of the final [t0, t1] (s), one voice each as the model hears it; the whole final when it hears no change.
 * `run`: the segmentation model's output for a window; `audio(from, to)`: capture samples [from, to).
 */
export async function cutFinal(t0: number, t1: number, audio: (from: number, to: number) => Float32Array,
  run: (window: Float32Array) => Promise<ArrayLike<number>>, options: CutOptions = DEFAULT_CUT_OPTIONS): Promise<{ start: number; end: number }[]> {
  const s0 = Math.round(t0 * SAMPLE_RATE), s1 = Math.round(t1 * SAMPLE_RATE);
  if (t1 - t0 < 2 * options.minPieceSec) return [{ start: t0, end: t1 }];
  const changes: number[] = [];
  for (const start of cutWindowStarts(s0, s1)) {
    changes.push(...changesInWindow(await run(cutWindow(audio, start, s1)), start / SAMPLE_RATE, t0, t1, options));
  }
  return piecesAt(t0, t1, changes, options);
}

/**
 * A final's text shared out over its pieces in proportion to their time (whisper gives the final's text without word
 * times: decodeParams sets no_timestamps), cut between words: piece k takes the words whose middle character falls in
 * its share of the characters. Pieces left without a word are joined to the one before (the cut is dropped), so every
 * piece returned has text; the result has as many entries as pieces kept, each with its span.
 */
export function shareText(text: string, pieces: readonly { start: number; end: number }[]): { start: number; end: number; text: string }[] {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (pieces.length <= 1 || words.length < 2) return pieces.length ? [{ start: pieces[0].start, end: pieces.at(-1)!.end, text: text.trim() }] : [];
  const t0 = pieces[0].start, span = pieces.at(-1)!.end - t0;
  const chars = words.reduce((n, w) => n + w.length + 1, 0);
  const buckets: string[][] = pieces.map(() => []);
  let at = 0, k = 0;
  for (const w of words) {
    const middle = (at + (w.length + 1) / 2) / chars;
    while (k < pieces.length - 1 && (pieces[k].end - t0) / span <= middle) k++;
    buckets[k].push(w);
    at += w.length + 1;
  }
  const out: { start: number; end: number; text: string }[] = [];
  pieces.forEach((p, i) => {
    if (buckets[i].length) out.push({ start: out.length ? p.start : t0, end: p.end, text: buckets[i].join(' ') });
    else if (out.length) out[out.length - 1].end = p.end;
  });
  // Leading pieces without words: the first kept piece starts the final.
  out[0].start = t0;
  return out;
}

/**
 * The audio of consecutive frames (capture clock, in order) from sample `from` to `to`, as a reader of any span for
 * cutFinal (silence where a window reaches past the frames); undefined when the frames do not hold all of [from, to)
 * (dropped, or never heard). Reads in place: no copy of the frames is made.
 */
export function framesAudio(frames: readonly AudioFrame[], from: number, to: number): { read(a: number, b: number): Float32Array } | undefined {
  const first = frames[0]?.startSample ?? Infinity;
  const last = frames.at(-1), end = last ? last.startSample + last.samples.length : -Infinity;
  if (from < first || to > end) return undefined;
  return {
    read(a, b) {
      const out = new Float32Array(Math.max(0, b - a));
      // The first frame that reaches past `a` (frames are in order): a window reads a few hundred of an hour's frames.
      let lo = 0, hi = frames.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (frames[mid].startSample + frames[mid].samples.length <= a) lo = mid + 1; else hi = mid;
      }
      for (let i = lo; i < frames.length && frames[i].startSample < b; i++) {
        const f = frames[i];
        const x = Math.max(a, f.startSample), y = Math.min(b, f.startSample + f.samples.length);
        if (y > x) out.set(f.samples.subarray(x - f.startSample, y - f.startSample), x - a);
      }
      return out;
    },
  };
}
