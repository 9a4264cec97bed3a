/**
 * `earshot diarize`: who spoke when in an audio file, by the speaker stage a session runs (daemon/speakers/stage.ts),
 * with the shipped settings, and the voice each stretch of detected speech (a transcript line) gets, as a session
 * labels it (daemon/speakers/lines.ts, with the session's voice detection of a meeting, cut where the voice changes).
 *
 * Owns only that printout. Must not load a whisper model or write anything.
 */
import * as path from 'node:path';
import { AudioFrame, FileSource, SAMPLE_RATE } from '../capture/source';
import { cutFinal, framesAudio } from '../speakers/cuts';
import { SegmentationModel } from '../speakers/segmentation';
import { assignLines, speechTurns } from '../speakers/lines';
import { SpectralReidentifier } from '../speakers/spectral';
import { stageTurns } from '../speakers/stage';
import { createSpeechDetector, vadConfig } from '../vad/config';
import { segmentUtterances } from '../vad/segmenter';
import { args, Io, stamp, UsageError } from './common';

/**
 * The speech voice detection gives the recognizer (each final's t0–t1), as a meeting session detects it, each stretch
 * cut where the voice changes as a session cuts its finals (speakers/cuts.ts).
 */
async function speechStretches(file: string): Promise<{ start: number; end: number }[]> {
  const config = vadConfig({}, 'meeting');
  const source = await FileSource.open(file, { pace: 'fast' });
  const heard: AudioFrame[] = [];
  async function* keeping(frames: AsyncIterable<AudioFrame>) {
    for await (const f of frames) { heard.push(f); yield f; }
  }
  const stretches: { start: number; end: number }[] = [];
  for await (const e of segmentUtterances(keeping(source.frames(new AbortController().signal)), await createSpeechDetector(config), config.segmenter)) {
    if (e.type === 'end') stretches.push({ start: e.utterance.speechStartSample / SAMPLE_RATE, end: e.utterance.speechEndSample / SAMPLE_RATE });
  }
  const audio = framesAudio(heard, 0, heard.length ? heard.at(-1)!.startSample + heard.at(-1)!.samples.length : 0);
  const model = await SegmentationModel.load();
  const out: { start: number; end: number }[] = [];
  for (const s of stretches) out.push(...(audio ? await cutFinal(s.start, s.end, (from, to) => audio.read(from, to), (w) => model.run(w)) : [s]));
  return out;
}

export async function diarize(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = args(argv, 'diarize');
  if (positionals.length !== 1) throw new UsageError('diarize takes one audio file');
  const file = path.resolve(positionals[0]);
  // As a session without the voice model: spectral statistics re-identify a voice that comes back.
  const turns = await stageTurns(file, {}, new SpectralReidentifier());
  const stretches = await speechStretches(file);
  const lines = assignLines(turns, stretches);
  if (values.json) {
    io.out(JSON.stringify({ turns: turns.filter((t) => !t.weak), weak: turns.filter((t) => t.weak), lines, speech: speechTurns(turns, stretches) }));
    return 0;
  }
  turns.filter((t) => !t.weak).forEach((t) => io.out(`${stamp(t.start)} → ${stamp(t.end)}  ${t.speaker}  (${(t.end - t.start).toFixed(2)} s)${t.overlap ? '  at once with another' : ''}`));
  io.out('Lines (speech as a session transcribes it, with the voice it gets):');
  lines.forEach((l) => io.out(`${stamp(l.start)} → ${stamp(l.end)}  ${l.speaker ?? '(no voice)'}${l.confidence !== undefined ? `  confidence ${l.confidence.toFixed(2)}` : ''}`));
  return 0;
}
