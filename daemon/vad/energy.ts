/**
 * A loudness-based speech detector: scores a frame by how far its level rises above the tracked
 * noise floor. Cheap and dependency-free; it cannot tell speech from loud noise, which is what the
 * Silero detector is for.
 */
import { SpeechDetector } from './segmenter';

/** Below this a frame is silence whatever the floor (digital silence, hiss). */
const ABSOLUTE_FLOOR_DB = -55;
/** A frame this far above the noise floor scores 0.5; each further `SLOPE_DB` adds ~0.25. */
const SPEECH_MARGIN_DB = 12;
const SLOPE_DB = 6;
/** How fast the floor follows quieter frames (fast) and louder ones (slow, so speech doesn't lift it). */
const FLOOR_FALL = 0.3;
const FLOOR_RISE = 0.002;

export class EnergyDetector implements SpeechDetector {
  private floorDb = ABSOLUTE_FLOOR_DB;

  score(frame: Float32Array): number {
    let sum = 0;
    for (let i = 0; i < frame.length; i++) sum += frame[i] * frame[i];
    const db = 10 * Math.log10(sum / Math.max(1, frame.length) + 1e-12);
    const rate = db < this.floorDb ? FLOOR_FALL : FLOOR_RISE;
    this.floorDb = Math.max(ABSOLUTE_FLOOR_DB, this.floorDb + rate * (db - this.floorDb));
    if (db < ABSOLUTE_FLOOR_DB) return 0;
    const above = db - this.floorDb - SPEECH_MARGIN_DB;
    return 1 / (1 + Math.exp(-above / (SLOPE_DB / 2.2)));
  }
}
