/**
 * The speaker stage split for the eval: the segmentation model's output per window is computed once per recording and
 * window step (the expensive part, and its CPU measured), then every setting replays those windows through the same
 * SpeakerTracker the stage runs. `replay` gives what `diarizeFile` gives for the same settings (a test checks it).
 */
import { FileSource, SAMPLE_RATE } from '../../../daemon/capture/source';
import { SegmentationModel, WINDOW_SAMPLES } from '../../../daemon/speakers/segmentation';
import { flags, speakerLabel, SpeakerTurn } from '../../../daemon/speakers/stage';
import { DiarizeOptions, SpeakerTracker, windowStarts } from '../../../daemon/speakers/tracker';
import { FrameTurn } from '../../../daemon/speakers/turns';
import { levelWindow, WindowLevel } from './windowLevel';

export interface Segmented {
  totalSamples: number;
  stepSec: number;
  windows: { start: number; y: Float32Array }[];
  /** CPU seconds the model runs took (process CPU: onnxruntime's thread included). */
  cpuSec: number;
}

/** A WAV file as the capture reads it: 16 kHz mono. */
export async function readAudio(file: string): Promise<Float32Array> {
  const source = await FileSource.open(file, { pace: 'fast' });
  const parts: Float32Array[] = [];
  for await (const frame of source.frames(new AbortController().signal)) parts.push(frame.samples);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** The model's output for every window of `audio` at `stepSec`, each at `level` (windowLevel.ts; none: as the stage feeds it). */
export async function segment(model: SegmentationModel, audio: Float32Array, stepSec: number, level?: WindowLevel): Promise<Segmented> {
  const step = Math.round(stepSec * SAMPLE_RATE);
  const windows: Segmented['windows'] = [];
  const cpu0 = process.cpuUsage();
  for (const start of windowStarts(audio.length, step, WINDOW_SAMPLES)) {
    const window = new Float32Array(WINDOW_SAMPLES);
    window.set(audio.subarray(start, Math.min(audio.length, start + WINDOW_SAMPLES)));
    windows.push({ start, y: (await model.run(levelWindow(window, level))).slice() });
  }
  const cpu = process.cpuUsage(cpu0);
  return { totalSamples: audio.length, stepSec, windows, cpuSec: (cpu.user + cpu.system) / 1e6 };
}

/** The turns the stage would give with `options` (whose stepSec must be the segmentation's), weak ones included. */
export function replay(segmented: Segmented, options: DiarizeOptions): SpeakerTurn[] {
  if (options.stepSec !== segmented.stepSec) throw new Error(`windows cut every ${segmented.stepSec} s replayed with step ${options.stepSec} s`);
  const tracker = new SpeakerTracker(options);
  const turns: FrameTurn[] = [];
  // Labels in order of first final turn, as the stage gives them (it announces each batch by start).
  const batch = (b: FrameTurn[]) => turns.push(...b.sort((x, y) => x.start - y.start || x.speaker - y.speaker));
  for (const w of segmented.windows) batch(tracker.window(w.start, w.y).turns);
  batch(tracker.end(segmented.totalSamples));
  const labels = new Map<number, string>();
  return turns.map((t) => {
    if (!labels.has(t.speaker)) labels.set(t.speaker, speakerLabel(labels.size + 1));
    return { start: Math.round(t.start * 1000) / 1000, end: Math.round(t.end * 1000) / 1000, speaker: labels.get(t.speaker)!, ...flags(t) };
  }).sort((a, b) => a.start - b.start || a.end - b.end);
}
