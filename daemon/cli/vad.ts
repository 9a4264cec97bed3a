/**
 * `earshot vad`: what the voice activity detector passes to the recognizer for an audio file, pre-roll and hangover
 * included, with the detected speech inside.
 *
 * Owns only that printout. Must not load a whisper model or write anything.
 */
import * as path from 'node:path';
import { FileSource, SAMPLE_RATE } from '../capture/source';
import { createSpeechDetector, vadConfig } from '../vad/config';
import { segmentUtterances } from '../vad/segmenter';
import { args, Io, seconds, stamp, UsageError, vadProfile } from './common';

export async function vad(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = args(argv, 'vad');
  if (positionals.length !== 1) throw new UsageError('vad takes one audio file');
  const source = await FileSource.open(path.resolve(positionals[0]), { pace: 'fast' });
  // The spans the recognizer is given (pre-roll and hangover included), with the detected speech inside them.
  const spans: { start: number; end: number; speechStart: number; speechEnd: number }[] = [];
  const config = vadConfig({ profile: vadProfile(values.profile) });
  const events = segmentUtterances(source.frames(new AbortController().signal), await createSpeechDetector(config), config.segmenter);
  for await (const event of events) {
    if (event.type !== 'end') continue;
    const u = event.utterance;
    spans.push({
      start: seconds(u.startSample / SAMPLE_RATE), end: seconds((u.startSample + u.samples.length) / SAMPLE_RATE),
      speechStart: seconds(u.speechStartSample / SAMPLE_RATE), speechEnd: seconds(u.speechEndSample / SAMPLE_RATE),
    });
  }
  if (values.json) io.out(JSON.stringify(spans));
  else spans.forEach((s) => io.out(`${stamp(s.start)} → ${stamp(s.end)}  (${(s.end - s.start).toFixed(2)} s; speech ${stamp(s.speechStart)} → ${stamp(s.speechEnd)})`));
  return 0;
}
