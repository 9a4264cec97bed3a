/**
 * A session's counters: how much each source captured, how far recognition is behind real time, what the recognizers
 * gave up to keep up, whether whisper is busy (decodes in flight, finals waiting: the language model waits for it to be
 * idle), and how much is journaled (finals, and where the last one ends).
 *
 * Owns numbers only: it reads no audio, writes nothing and announces nothing. The pipelines and the session tell it
 * what happened; the session reads it for the health report and the end record.
 */
import { RecognizerCounters, SourceKind } from '../../protocol/protocol';
import { SAMPLE_RATE } from '../capture/source';
import { Decoder, newRecognizerStats, RecognizerStats } from '../asr/streaming';
import { DecodeRequest } from '../asr/whisper';
import { RestoredSession } from './restored';

export class SessionStats {
  private readonly capturedSamples = new Map<SourceKind, number>();
  /** Per source: how long the newest frame waited to be read (s). */
  private readonly readLag = new Map<SourceKind, number>();
  /** Per source: capture time of the oldest speech end still waiting for its final. */
  private readonly pendingSince = new Map<SourceKind, number>();
  /** Per source: what its recognizer gave up to keep up; and the lowest degrade rung reached. */
  private readonly recognizers = new Map<SourceKind, RecognizerStats>();
  private maxDegradeLevel = 0;
  /** Sources with an utterance open in the VAD gate (speech heard, its end not yet): whisper will have work. */
  private readonly speechOpen = new Set<SourceKind>();
  /** Decodes asked of whisper and not yet answered (queued or running), all sources together. */
  private decoding = 0;
  /** performance.now() when the last decode was answered. */
  private lastDecodeEnd = -Infinity;
  /** Per source: the start (s) of its last final journaled. */
  private readonly lastFinalStart = new Map<SourceKind, number>();
  /** Sources whose pipeline ended (a file read to its end, a failed device): no final is to come from them. */
  private readonly ended = new Set<SourceKind>();
  /** Final segments journaled. */
  finals = 0;
  /** Capture time (s) where the last journaled final ends: what a journal failure keeps. */
  lastJournaledEnd = 0;

  /** Where a resumed session had got to; `firstSource` takes the captured time no segment accounts for. */
  restore(restored: RestoredSession, firstSource: SourceKind): void {
    this.finals = restored.finals;
    for (const [kind, entry] of restored.sources) {
      this.lastJournaledEnd = Math.max(this.lastJournaledEnd, entry.endSec);
      this.capturedSamples.set(kind, Math.round(entry.endSec * SAMPLE_RATE));
    }
    if (this.capturedSamples.size === 0 && restored.capturedSec > 0) {
      this.capturedSamples.set(firstSource, Math.round(restored.capturedSec * SAMPLE_RATE));
    }
  }

  /** A frame of `source` ending at `endSample` was read, `lagSec` after it was captured (live sources only). */
  frameRead(source: SourceKind, endSample: number, lagSec?: number): void {
    this.capturedSamples.set(source, endSample);
    if (lagSec !== undefined) this.readLag.set(source, Math.max(0, lagSec));
  }

  /** The recognizer's report of the oldest speech end waiting for its final (undefined: none waits). */
  setPendingSince(source: SourceKind, at: number | undefined): void {
    if (at === undefined) this.pendingSince.delete(source);
    else this.pendingSince.set(source, at);
  }

  /** The counters a source's recognizer adds to (the same ones for the whole session). */
  recognizerOf(source: SourceKind): RecognizerStats {
    let stats = this.recognizers.get(source);
    if (!stats) this.recognizers.set(source, (stats = newRecognizerStats()));
    return stats;
  }

  /** `decoder`, its decodes counted (recognizerIdleMs); `asked` is called as each is asked, `answered` after each. */
  counting(decoder: Decoder, answered: () => void, asked: () => void = () => undefined): Decoder {
    return {
      decode: async (request) => {
        this.decoding++;
        asked();
        try {
          return await decoder.decode(request);
        } finally {
          this.decoding--;
          this.lastDecodeEnd = performance.now();
          answered();
        }
      },
      ...(decoder.abortPartial ? { abortPartial: () => decoder.abortPartial!() } : {}),
      // Beside the decode counted above: recognizerIdleMs does not change with it.
      ...(decoder.decodeBeside ? { decodeBeside: (request: DecodeRequest) => decoder.decodeBeside!(request), abortBeside: () => decoder.abortBeside?.() } : {}),
      ...(decoder.mainBusy ? { mainBusy: () => decoder.mainBusy!() } : {}),
    };
  }

  sourceEnded(source: SourceKind): void {
    this.ended.add(source);
    this.speechOpen.delete(source);
  }

  /** `source`'s VAD gate has an utterance open (speech heard, its end not yet), or none. */
  speaking(source: SourceKind, open: boolean): void {
    if (open) this.speechOpen.add(source);
    else this.speechOpen.delete(source);
  }

  /** Some source's VAD gate has speech open now (auto-stop waits for silence on every source). */
  get anySpeaking(): boolean {
    return this.speechOpen.size > 0;
  }

  /**
   * Whisper has work, now or about to: speech in a VAD gate, a decode queued or running, a final waiting for one. A
   * local language model yields the CPU meanwhile (liveExtraction.ts).
   */
  get whisperHasWork(): boolean {
    return this.speechOpen.size > 0 || this.recognizerIdleMs === undefined;
  }

  /**
   * Capture time (s) before which every final of `sources` is journaled: a final still to come starts after its
   * source's last one (a source's utterances come in order) and no earlier than `longestSec` (an utterance's longest)
   * before what the source has read. Sources that ended or are `paused` bring none (a paused one's next utterance
   * starts after the resume).
   */
  finalsHorizon(sources: readonly SourceKind[], paused: readonly SourceKind[], longestSec: number): number {
    let horizon = Infinity;
    for (const source of sources) {
      if (this.ended.has(source) || paused.includes(source)) continue;
      const last = this.lastFinalStart.get(source) ?? -Infinity;
      horizon = Math.min(horizon, Math.max(last + 1e-6, this.capturedSecOf(source) - longestSec));
    }
    return horizon;
  }

  /**
   * How long whisper has been idle (ms): no decode queued or running and no final waiting for one, for any source;
   * undefined while it is busy. Cheap: read whenever the language model would start a chunk.
   */
  get recognizerIdleMs(): number | undefined {
    if (this.decoding > 0) return undefined;
    for (const s of this.recognizers.values()) if (s.finalsPending > 0) return undefined;
    return performance.now() - this.lastDecodeEnd;
  }

  /** Seconds of `source` read so far (0 before its first frame). */
  capturedSecOf(source: SourceKind): number {
    return (this.capturedSamples.get(source) ?? 0) / SAMPLE_RATE;
  }

  degraded(level: number): void {
    this.maxDegradeLevel = Math.max(this.maxDegradeLevel, level);
  }

  /** A final of `source` from `startSec` to `endSec` was journaled. */
  journaled(source: SourceKind, startSec: number, endSec: number): void {
    this.lastFinalStart.set(source, Math.max(this.lastFinalStart.get(source) ?? -Infinity, startSec));
    this.lastJournaledEnd = Math.max(this.lastJournaledEnd, endSec);
    this.finals++;
  }

  /** Seconds captured by the longest-running source. */
  get capturedSec(): number {
    return Math.max(0, ...this.capturedSamples.values()) / SAMPLE_RATE;
  }

  /**
   * How far the pipeline is behind real time, in seconds: the longer of how long the newest audio waited to be
   * read and how long the oldest finished utterance has waited for its final (0 when audio is read faster than
   * real time).
   */
  get backlogSec(): number {
    // Read for every frame (the degrade ladder's input): plain loops, no arrays.
    const now = performance.now();
    let behind = 0;
    for (const waited of this.readLag.values()) behind = Math.max(behind, waited);
    for (const at of this.pendingSince.values()) behind = Math.max(behind, (now - at) / 1000);
    return behind;
  }

  /** What the recognizers gave up to keep up, all sources together. */
  get recognizer(): Omit<RecognizerCounters, 'droppedSec'> {
    const sum: Omit<RecognizerCounters, 'droppedSec'> = {
      partialsDecoded: 0, partialsSkipped: 0, finals: 0, finalDecodes: 0, finalsPending: 0, pendingSec: 0, maxDegradeLevel: this.maxDegradeLevel,
    };
    for (const s of this.recognizers.values()) {
      sum.partialsDecoded += s.partialsDecoded;
      sum.partialsSkipped += s.partialsSkipped;
      sum.finals += s.finals;
      sum.finalDecodes += s.finalDecodes;
      sum.finalsPending += s.finalsPending;
      sum.pendingSec += s.pendingSamples / SAMPLE_RATE;
    }
    return sum;
  }
}
