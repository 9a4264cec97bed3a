/**
 * What voice detection runs with: the Silero version, the level handling in front of it and the segmenter's
 * thresholds and timings. One function turns a client's VAD settings into it, and one builds the detector from it, so
 * the live pipeline, `earshot transcribe` and `earshot vad` detect speech alike (and `npm run eval:vad` scores that).
 * The profiles' numbers were chosen on real meeting audio (docs/benchmarks/voice-detection.md, "Voice detection on
 * real meetings").
 */
import { SessionMode, VadSettings } from '../../protocol/protocol';
import { LevelNormalizedDetector } from './level';
import { DEFAULT_SEGMENTER_OPTIONS, DICTATION_HANGOVER_MS, SegmenterOptions, SpeechDetector } from './segmenter';
import { SILERO_VERSION, SileroDetector, SileroVersion } from './silero';

export interface VadConfig {
  model: SileroVersion;
  /** Automatic gain in front of the detector (level.ts). */
  levelHandling: boolean;
  /** Where the level handling brings speech to, dBFS (level.ts's default when absent). */
  levelTargetDb?: number;
  segmenter: SegmenterOptions;
}

/**
 * Profiles a user picks by name; explicit settings override the thresholds. Chosen by cross-validation on every real
 * recording with a human reference (`npm run eval:vad`; docs/benchmarks/voice-detection.md, "Voice detection chosen
 * by cross-validation"):
 * leaving out each group of recordings in turn, the rule (the most turns heard, then the fewest decodes, then the most
 * speech, within the false speech of what ran before) picked this default on every committed fold. Against 0.3/0.2 it
 * starts speech at a lower probability and with more audio before it (300 ms), so a quiet or far voice's turn is
 * heard, and ends speech where it did, so pauses fill no more than before. Speech must last 250 ms to start an
 * utterance: at 160 ms, breaths and clicks on sparse meetings each cost a decode (issue 41, BENCHMARKS.md). The 250 ms
 * are counted across gaps of up to 400 ms (startGapMs), so a turn's weak first syllable joins the words after it while a
 * lone breath still starts nothing, and speech starts at 0.4 (ends at 0.2). The 300 ms pre-roll is fixed, not fitted:
 * the first partial is decoded from the segmenter's onset and needs 0.4 s of audio. On 31 recordings (20 committed) the
 * rule picked this on 12 of 15 folds and on all; pooled over the held-out folds, coverage 0.980 and false speech 2.81 %
 * with no decode of non-speech (meetings 0.975 / 2.40 %: issue 41's ≤ 0.03 at ≥ 0.97; BENCHMARKS.md section 12c). The
 * sensitive profile is the same rule with twice the false-speech budget among settings no less sensitive than the
 * default, and no count of decodes: it hears more, and pays for it.
 */
export const VAD_PROFILES = {
  default: { onThreshold: 0.4, offThreshold: 0.2, minSpeechMs: 250, startGapMs: 400, preRollMs: 300 },
  /** Quiet headsets, soft or far voices: hears more of each turn, and some more noise. */
  sensitive: { onThreshold: 0.2, offThreshold: 0.15, minSpeechMs: 160, startGapMs: 0, preRollMs: 300 },
} as const;
export type VadProfile = keyof typeof VAD_PROFILES;

export function vadConfig(settings: VadSettings = {}, mode: SessionMode = 'meeting'): VadConfig {
  const profile = VAD_PROFILES[settings.profile ?? 'default'];
  const onThreshold = settings.onThreshold ?? profile.onThreshold;
  const hangoverMs = settings.hangoverMs ?? DEFAULT_SEGMENTER_OPTIONS.hangoverMs;
  return {
    model: SILERO_VERSION,
    levelHandling: false,
    segmenter: {
      ...DEFAULT_SEGMENTER_OPTIONS,
      minSpeechMs: profile.minSpeechMs,
      startGapMs: profile.startGapMs,
      preRollMs: profile.preRollMs,
      onThreshold,
      offThreshold: Math.min(onThreshold, settings.offThreshold ?? profile.offThreshold),
      // A user's shorter hangover stands in dictation too.
      hangoverMs: mode === 'dictation' ? Math.min(hangoverMs, DICTATION_HANGOVER_MS) : hangoverMs,
    },
  };
}

/** A fresh detector (its own recurrent state and level tracker) for one source. */
export async function createSpeechDetector(config: Pick<VadConfig, 'model' | 'levelHandling' | 'levelTargetDb'>): Promise<SpeechDetector> {
  const silero = await SileroDetector.create(config.model);
  return config.levelHandling ? new LevelNormalizedDetector(silero, config.levelTargetDb) : silero;
}
