/**
 * Re-identification by voice: a speaker-embedding model (models/voiceModel.ts) on onnxruntime-node turns a turn's audio into
 * a vector (fbank features in, as sherpa-onnx's SpeakerEmbeddingExtractor feeds them: speaker-embedding-extractor-
 * general-impl.h at 634265c9), and a new label whose first long turn's vector is close enough (cosine) to an earlier
 * label's mean vector is that label's voice (stage.ts then announces a relabel).
 *
 * The threshold, cosine similarity 0.4, is sherpa-onnx's for speakers enrolled as a stream goes
 * (python-api-examples/speaker-identification-with-vad-dynamic.py:72); it was not chosen on Earshot's recordings: no
 * embedding model can be fetched on the machines this was built on, so `npm run eval:diarize -- --embed MODEL.onnx`
 * measures it where one is.
 */
import type { InferenceSession } from 'onnxruntime-node';
import { SAMPLE_RATE } from '../capture/source';
import { loadOnnxSession, onnxRuntime } from '../vad/silero';
import { FBANK_BINS, fbank, subtractMean } from './fbank';
import { MIN_IDENTIFY_SEC, SpeakerReidentifier } from './reidentify';
import { SpeakerModelError } from './segmentation';
import { SpeakerCatalogModel } from '../models/voiceModel';

/** Cosine similarity from which a voice is an earlier label's. */
export const SAME_VOICE_SIMILARITY = 0.4;

export class VoiceModel {
  private constructor(private readonly session: InferenceSession, private readonly input: SpeakerCatalogModel['input']) {}

  static async load(modelPath: string, input: SpeakerCatalogModel['input']): Promise<VoiceModel> {
    return new VoiceModel(await loadOnnxSession(modelPath, (e) => new SpeakerModelError(
      `speaker voice model ${modelPath} could not be loaded: ${e.message}. Download it again (earshot/model/download, kind 'speaker', repair).`)), input);
  }

  /** The unit-length embedding of 16 kHz samples in [-1, 1]. */
  async embed(samples: Float32Array): Promise<Float32Array> {
    const scaled = this.input.normalizeSamples ? samples : samples.map((s) => s * 32768);
    const features = fbank(scaled);
    if (this.input.featureNormalize === 'global-mean') subtractMean(features);
    const frames = features.length / FBANK_BINS;
    const ort = onnxRuntime();
    const out = await this.session.run({ [this.session.inputNames[0]]: new ort.Tensor('float32', features, [1, frames, FBANK_BINS]) });
    const y = out[this.session.outputNames[0]];
    if (y.dims.length !== 2 || y.dims[0] !== 1) throw new SpeakerModelError(`the voice model gave [${y.dims.join(',')}], not [1,dim]`);
    return unit(Float32Array.from(y.data as Float32Array));
  }
}

const unit = (v: Float32Array): Float32Array => {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  return v.map((x) => x / norm);
};

const cosine = (a: Float32Array, b: Float32Array): number => {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  return dot;
};

/**
 * One source's voices: each label's mean embedding (kept across the source's stages, so a voice heard before a long
 * pause is known after it). A new label is the closest earlier one when it is at least SAME_VOICE_SIMILARITY alike.
 */
export class EmbeddingReidentifier implements SpeakerReidentifier {
  private readonly voices = new Map<string, { sum: Float32Array; count: number }>();

  constructor(private readonly model: Pick<VoiceModel, 'embed'>, private readonly threshold = SAME_VOICE_SIMILARITY) {}

  async identify(label: string, audio: Float32Array): Promise<string | undefined> {
    if (audio.length < MIN_IDENTIFY_SEC * SAMPLE_RATE) return undefined;
    const e = await this.model.embed(audio);
    let best: { label: string; similarity: number } | undefined;
    for (const [known, v] of this.voices) {
      if (known === label) continue;
      const similarity = cosine(e, unit(v.sum));
      if (!best || similarity > best.similarity) best = { label: known, similarity };
    }
    const same = best && best.similarity >= this.threshold ? best.label : undefined;
    const into = this.voices.get(same ?? label) ?? { sum: new Float32Array(e.length), count: 0 };
    for (let i = 0; i < e.length; i++) into.sum[i] += e[i];
    into.count++;
    this.voices.set(same ?? label, into);
    return same;
  }
}

/** The downloaded voice model of a daemon: loaded at the first stage that needs it, one re-identifier per source. */
export class VoiceModelLoader {
  private model: Promise<VoiceModel> | undefined;

  constructor(readonly path: string, private readonly spec: SpeakerCatalogModel) {}

  async reidentifier(): Promise<SpeakerReidentifier> {
    this.model ??= VoiceModel.load(this.path, this.spec.input);
    return new EmbeddingReidentifier(await this.model);
  }
}
