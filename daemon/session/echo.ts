/**
 * Echo suppression across sources: when the microphone also hears the speakers, the mic pipeline transcribes the
 * other people a second time. Both sources run on one capture clock, so the mic's speech can be compared with what
 * system audio played at the same moment: if the mic's loudness contour follows the system's (shifted by the
 * acoustic delay), the mic heard the speakers, not the user, and its segment is dropped.
 *
 * Contours, not waveforms: a room, a loudspeaker and a laptop microphone filter and reverberate the sound until
 * samples no longer line up, but the syllable rhythm survives. Measured on a simulated laptop echo in
 * test/integration/echo.test.ts (BENCHMARKS.md: echo suppression).
 *
 * EchoSuppressor is the session's use of it: it keeps the contours and decides which mic segments to drop or retract.
 * It never journals or announces: the session passes on what it lets through.
 */
import { SourceKind } from '../../protocol/protocol';
import { RecognizedSegment } from '../asr/streaming';
import { AudioFrame, FRAME_SAMPLES } from '../capture/source';

/** One contour value per 8 ms of audio (four per VAD frame). */
export const ENVELOPE_BIN = 128;
const BINS_PER_FRAME = FRAME_SAMPLES / ENVELOPE_BIN;

/** The recent loudness contour of one source, by capture-clock position. */
export class EnvelopeHistory {
  private readonly ring: Float32Array;
  /** Capture-clock bin index of the newest value + 1 (0 = nothing yet). */
  private end = 0;

  /** Keeps the last `seconds` (2 minutes: longer than any utterance waits for its final). */
  constructor(seconds = 120, sampleRate = 16000) {
    this.ring = new Float32Array(Math.ceil((seconds * sampleRate) / ENVELOPE_BIN));
  }

  push(startSample: number, samples: Float32Array): void {
    const first = Math.floor(startSample / ENVELOPE_BIN);
    // A gap (the recorder was down) leaves zeros: silence is what the contour had there.
    for (let b = this.end; b < first; b++) this.ring[b % this.ring.length] = 0;
    for (let i = 0; i < Math.min(BINS_PER_FRAME, Math.ceil(samples.length / ENVELOPE_BIN)); i++) {
      let energy = 0;
      const from = i * ENVELOPE_BIN, to = Math.min(samples.length, from + ENVELOPE_BIN);
      for (let k = from; k < to; k++) energy += samples[k] * samples[k];
      this.ring[(first + i) % this.ring.length] = Math.sqrt(energy / Math.max(1, to - from));
    }
    this.end = Math.max(this.end, first + BINS_PER_FRAME);
  }

  /** The contour between two capture-clock samples, or undefined where it is no longer (or not yet) kept. */
  range(startSample: number, endSample: number): Float32Array | undefined {
    const from = Math.floor(startSample / ENVELOPE_BIN), to = Math.ceil(endSample / ENVELOPE_BIN);
    if (to <= from || to > this.end || from < this.end - this.ring.length || from < 0) return undefined;
    const out = new Float32Array(to - from);
    for (let b = from; b < to; b++) out[b - from] = this.ring[b % this.ring.length];
    return out;
  }
}

export interface EchoOptions {
  /** How late the mic may hear the speakers: output buffering plus the acoustic path. */
  maxDelayMs: number;
  /** Correlation of the contours above which the mic heard the speakers. */
  threshold: number;
  /** System audio quieter than this (RMS, linear) played nothing worth echoing. */
  minSystemRms: number;
}

export const DEFAULT_ECHO_OPTIONS: EchoOptions = { maxDelayMs: 400, threshold: 0.7, minSystemRms: 10 ** (-50 / 20) };

/**
 * How well the system audio explains the mic between two capture-clock samples: the best Pearson correlation of
 * the mic's contour with the system's contour up to `maxDelayMs` earlier. 0 when system audio was quiet or is not
 * kept for that span.
 */
export function echoScore(mic: EnvelopeHistory, system: EnvelopeHistory, startSample: number, endSample: number, options: EchoOptions = DEFAULT_ECHO_OPTIONS, sampleRate = 16000): number {
  const maxLag = Math.round((options.maxDelayMs / 1000) * sampleRate / ENVELOPE_BIN);
  const startBin = Math.floor(startSample / ENVELOPE_BIN);
  const firstPlayedBin = Math.max(0, startBin - maxLag); // the clock starts at 0: near it, fewer lags are possible
  const heard = mic.range(startBin * ENVELOPE_BIN, endSample);
  const played = system.range(firstPlayedBin * ENVELOPE_BIN, endSample);
  if (!heard || !played || heard.length < 8) return 0;
  let loud = 0;
  for (const v of played) loud += v * v;
  if (Math.sqrt(loud / played.length) < options.minSystemRms) return 0;
  let best = 0;
  for (let lag = 0; lag <= maxLag; lag++) {
    // heard bin b is compared with played bin b − lag; bins before the first kept one are skipped.
    const skip = Math.max(0, firstPlayedBin + lag - startBin);
    if (heard.length - skip < 8) break;
    best = Math.max(best, pearson(heard.subarray(skip), played, startBin + skip - lag - firstPlayedBin));
  }
  return best;
}

function pearson(x: Float32Array, y: Float32Array, yOffset: number): number {
  const n = x.length;
  let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i], b = y[i + yOffset];
    sx += a; sy += b; sxx += a * a; syy += b * b; sxy += a * b;
  }
  const cov = sxy - (sx * sy) / n, vx = sxx - (sx * sx) / n, vy = syy - (sy * sy) / n;
  return vx > 0 && vy > 0 ? cov / Math.sqrt(vx * vy) : 0;
}

/** Drops the mic's segments that are echoes of system audio, in a session that records both. */
export class EchoSuppressor {
  /** Loudness contours of the mic and system audio, kept only when the session records both. */
  private readonly envelopes = new Map<SourceKind, EnvelopeHistory>();
  /** Mic segments with a partial on screen (an echo found later must retract them). */
  private readonly shownPartials = new Set<string>();
  /** Mic segments dropped as echoes of system audio. */
  suppressed = 0;

  /** `onSuppressed`: told of each dropped segment (never its text). */
  constructor(sources: readonly SourceKind[], private readonly onSuppressed?: (segmentId: string, score: number, final: boolean) => void) {
    if (sources.includes('mic') && sources.includes('system')) {
      this.envelopes.set('mic', new EnvelopeHistory());
      this.envelopes.set('system', new EnvelopeHistory());
    }
  }

  /** Every frame read, before its utterance can be recognized. */
  hear(frame: AudioFrame): void {
    this.envelopes.get(frame.source)?.push(frame.startSample, frame.samples);
  }

  /**
   * What to pass on of a recognized segment: itself; nothing for an echo; for the final of an echo whose partial is
   * on screen, an empty final that retracts it.
   */
  filter(recognized: RecognizedSegment): RecognizedSegment | undefined {
    if (this.isEcho(recognized)) {
      if (!recognized.final) return undefined;
      // Text already on screen as a partial is retracted by an empty final; otherwise nothing was ever said.
      if (!this.shownPartials.delete(recognized.segmentId)) return undefined;
      return { ...recognized, text: '' };
    }
    if (recognized.final) this.shownPartials.delete(recognized.segmentId);
    else if (recognized.text) this.shownPartials.add(recognized.segmentId);
    return recognized;
  }

  /** The mic heard the speakers: its contour follows what system audio played. */
  private isEcho(recognized: RecognizedSegment): boolean {
    const mic = this.envelopes.get('mic'), system = this.envelopes.get('system');
    if (recognized.source !== 'mic' || !mic || !system || !recognized.text) return false;
    const score = echoScore(mic, system, recognized.startSample, recognized.endSample);
    if (score < DEFAULT_ECHO_OPTIONS.threshold) return false;
    if (recognized.final) this.suppressed++;
    this.onSuppressed?.(recognized.segmentId, score, recognized.final);
    return true;
  }
}
