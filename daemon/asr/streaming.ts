/**
 * The streaming policy: while an utterance grows, re-decode it every `partialIntervalSec` and emit a
 * partial; when it ends, emit the final. Every knob is named in {@link StreamingOptions}.
 */
import { SourceKind } from '../../protocol/protocol';
import { SAMPLE_RATE } from '../capture/source';
import { UtteranceEvent } from '../vad/segmenter';
import { LocalAgreement } from './agreement';
import { DecodeRequest, DecodeResult } from './whisper';

export interface StreamingOptions {
  /** Decode partial results at all (a batch transcription only wants finals). */
  partials: boolean;
  /** Seconds of new audio between two partial decodes of the same utterance. */
  partialIntervalSec: number;
  /** No partial for an utterance shorter than this: too little audio to say anything useful. */
  minPartialSec: number;
  /** Decode budget: skip a partial unless the last decode's duration has passed since it ended. */
  partialDutyCycle: number;
  /** Token cap per second of audio (fast speech is ~4 tokens/s); stops repetition loops. */
  maxTokensPerSec: number;
  /** Characters of the previous final text given to whisper as context. */
  promptChars: number;
  /** Seconds of encoder window beyond the utterance for a final (a full 30 s window cost 2.2 s per base.en final here). */
  finalContextMarginSec: number;
}

export const DEFAULT_STREAMING_OPTIONS: StreamingOptions = {
  partials: true,
  partialIntervalSec: 0.5,
  minPartialSec: 0.5,
  partialDutyCycle: 0.5,
  maxTokensPerSec: 8,
  promptChars: 200,
  finalContextMarginSec: 1,
};

/** What whisper says over silence or noise; such text is dropped when the audio was mostly not speech. */
const SILENCE_ARTEFACTS = /^\s*(\[BLANK_AUDIO\]|\(silence\)|\[silence\]|thank you\.?|thanks for watching!?|you\.?|\.+)\s*$/i;
const ARTEFACT_SPEECH_RATIO = 0.5;

export interface RecognizedSegment {
  segmentId: string;
  source: SourceKind;
  /** Capture-clock sample indexes. */
  startSample: number;
  endSample: number;
  text: string;
  final: boolean;
}

export interface Decoder {
  decode(request: DecodeRequest): Promise<DecodeResult>;
}

/** What the recognizer asks of its surroundings while it runs. */
export interface RecognizerContext {
  /** The policy now in force (the degrade ladder may change it between decodes). */
  options(): StreamingOptions;
  /** Words worth priming whisper with: identifiers from the user's open editors (bounded by the caller). */
  vocabulary?(): string;
}

export async function* recognize(
  events: AsyncIterable<UtteranceEvent>,
  decoder: Decoder,
  context: RecognizerContext | StreamingOptions = DEFAULT_STREAMING_OPTIONS,
): AsyncGenerator<RecognizedSegment> {
  const ctx: RecognizerContext = 'options' in context && typeof context.options === 'function' ? context : { options: () => context as StreamingOptions };
  const agreement = new LocalAgreement();
  let previousText = '';
  let utteranceId = '';
  let decodedSamples = 0; // of the current utterance, at its last partial
  let partialText = '';
  let shownPartial = false; // a partial of the current utterance was yielded (and must be retracted if the final is empty)
  let nextPartialAt = 0; // performance.now() before which no partial is decoded
  const decode = async (pcm: Float32Array, partial: boolean) => {
    const options = ctx.options();
    const vocabulary = ctx.vocabulary?.() ?? '';
    const result = await decoder.decode({
      pcm,
      final: !partial,
      // Vocabulary first, then the previous sentence: whisper weighs the end of the prompt most.
      prompt: [vocabulary, previousText.slice(-options.promptChars)].filter(Boolean).join(' '),
      maxTokens: Math.ceil((pcm.length / SAMPLE_RATE) * options.maxTokensPerSec) + 4,
      // The encoder need not run over the whole 30 s window, only over the audio present (50 frames/s):
      // partials get a small margin; finals a full second more, since they are the text that stays.
      audioCtx: Math.min(1500, Math.ceil((pcm.length / SAMPLE_RATE + (partial ? 0 : options.finalContextMarginSec)) * 50) + 32),
    });
    nextPartialAt = performance.now() + result.ms * (1 / options.partialDutyCycle - 1);
    return result.text;
  };

  for await (const event of events) {
    const u = event.utterance;
    const options = ctx.options();
    const segment = (text: string, final: boolean): RecognizedSegment => ({
      // The words were spoken between the detector's boundaries; pre-roll and hangover are only context for whisper.
      segmentId: u.id, source: u.source, startSample: u.speechStartSample, endSample: u.speechEndSample, text, final,
    });
    if (u.id !== utteranceId) {
      utteranceId = u.id;
      decodedSamples = 0;
      partialText = '';
      shownPartial = false;
      agreement.reset();
    }
    if (event.type === 'audio') {
      const grown = u.samples.length - decodedSamples;
      if (!options.partials || u.samples.length < options.minPartialSec * SAMPLE_RATE || grown < options.partialIntervalSec * SAMPLE_RATE) continue;
      if (performance.now() < nextPartialAt) continue;
      partialText = await decode(u.samples, true);
      decodedSamples = u.samples.length;
      const shown = agreement.update(partialText);
      if (shown) {
        shownPartial = true;
        yield segment(shown, false);
      }
      continue;
    }
    // End of utterance: reuse the last partial if no audio arrived since, else decode everything.
    const hadPartial = decodedSamples > 0;
    let text = decodedSamples === u.samples.length && hadPartial ? partialText : await decode(u.samples, false);
    if (u.speechRatio < ARTEFACT_SPEECH_RATIO && SILENCE_ARTEFACTS.test(text)) text = '';
    if (text) previousText = text;
    // An empty final retracts the partials shown for this utterance; with none shown there is nothing to say.
    if (text || shownPartial) yield segment(text, true);
  }
}
