/**
 * What the audify helper writes while its input is silent. A muted microphone, or a loopback between a call's turns,
 * delivers digital silence (or dither) every 20 ms period, and each write wakes the daemon to read, frame and pass it
 * on: on a silent microphone that per-wake-up work was most of a session's CPU (BENCHMARKS.md figure 4). Once the input
 * has been silent for `afterMs`, periods are held and written together every `holdMs`. A period that is not silent is
 * written at once, with what was held before it, so speech is never late; the first `afterMs` of a silence (the voice
 * detector's hangover, which ends an utterance) are not held either, so finals are not late.
 *
 * Silent means every sample within ±`peak`: −60 dBFS by default, the level under which the voice detector takes a frame
 * for silence without asking Silero (daemon/vad/silero.ts SILENCE_RMS). A peak under it keeps every frame's RMS under it.
 */
import { SAMPLE_RATE } from './source';

/** Mono s16le at the capture rate: what the helper writes. */
const BYTES_PER_MS = (SAMPLE_RATE * 2) / 1000;
/** −60 dBFS of a 16-bit sample's full scale. */
export const SILENT_PEAK = Math.round(32768 * 10 ** (-60 / 20));

export class SilentBatcher {
  private held: Buffer[] = [];
  private heldBytes = 0;
  private silentBytes = 0;
  private readonly afterBytes: number;
  private readonly holdBytes: number;

  constructor(afterMs = 2000, holdMs = 100, private readonly peak = SILENT_PEAK) {
    this.afterBytes = afterMs * BYTES_PER_MS;
    this.holdBytes = holdMs * BYTES_PER_MS;
  }

  /** Takes the next period (16 kHz mono s16le); returns what to write now, if anything. */
  push(pcm: Buffer): Buffer | undefined {
    const silent = isSilent(pcm, this.peak);
    this.silentBytes = silent ? this.silentBytes + pcm.length : 0;
    if (!silent || this.silentBytes <= this.afterBytes) return this.held.length ? this.take(pcm) : pcm;
    this.held.push(pcm);
    this.heldBytes += pcm.length;
    return this.heldBytes >= this.holdBytes ? this.take() : undefined;
  }

  private take(last?: Buffer): Buffer {
    const out = Buffer.concat(last ? [...this.held, last] : this.held);
    this.held = [];
    this.heldBytes = 0;
    return out;
  }
}

/** Whether every s16le sample of `pcm` is within ±peak. */
export function isSilent(pcm: Buffer, peak: number): boolean {
  for (let i = 0; i + 1 < pcm.length; i += 2) {
    const s = pcm.readInt16LE(i);
    if (s > peak || s < -peak) return false;
  }
  return true;
}
