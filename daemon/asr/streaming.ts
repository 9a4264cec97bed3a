/**
 * The streaming policy: while an utterance grows, re-decode it every `partialIntervalSec` and emit a
 * partial; as soon as the speech drops, decode its final right away (the early final, speculative), so that
 * when the segmenter confirms the end (its hangover) the final is ready, or comes when whisper is done; when it
 * ends, emit the final. Every knob is named in {@link StreamingOptions}.
 *
 * A final is always the decode of the same request: the utterance's audio up to Utterance.finalEndSample, with the
 * prompt of the moment. The early final decodes that request when the speech drops, and stands as the final when the
 * utterance ends without more voice (the request is the same); otherwise the final decodes at the end. So a final's
 * text is what the non-speculative path (earlyFinal: false) gives for the same audio, and speech that resumes after a
 * drop is in the final (its finalEndSample moved on).
 *
 * An utterance's first partial is decoded from the segmenter's onset, before its start is confirmed, and shown once the
 * start is confirmed: shown at once it could vanish (a stop within the shortest speech discards the onset), and text on
 * screen must stay. If the onset is discarded (a breath, a click), nothing of it shows; a decode still running is stopped.
 *
 * An utterance's first partial does not wait for a decode of the one before (its final, under load 1–3 s): while the
 * main context decodes, the next utterance's first partial decodes on a second context beside it (Decoder.decodeBeside,
 * when the decoder has one free), and shows when it answers, held as above until the start is confirmed; the final is
 * handed over when its own decode ends, whatever the one beside does. A first partial also goes beside another source's
 * decode (Decoder.mainBusy). Everything else stays on the main context, in the order below (issue 60).
 *
 * An early final that is done while the speech is still down, once the pause is the segmenter's earlyEndMs long, ends
 * its utterance (RecognizerContext.endEarly) and is sent at once instead of after the hangover: voice that comes back
 * after that is a new utterance. One stopped by the voice coming back while it decodes costs what it did before; one
 * done sooner than earlyEndMs waits for the hangover, as before.
 *
 * The segmenter is read continuously, whisper or not: an utterance's end is seen while a partial decodes,
 * and the next decode is always the most urgent one (finals of ended utterances, then the early final of a
 * dropped one, then a partial of the newest audio; stale partials are never decoded). A partial still decoding when
 * the speech drops or ends is stopped (Decoder.abortPartial), so the final does not wait for text nobody will see; so
 * is an early final still decoding when the speech resumes, since its text can then no longer be the final.
 *
 * Backpressure: what is given up, in order, when recognition cannot keep up (the one statement of the policy;
 * docs/recognition.md says the same). Every step is counted in health (protocol HealthParams.recognizer).
 *   1. Partial updates. A final always goes before a partial, a partial waits for the duty cycle, a stale partial is
 *      never decoded: the updates not shown are counted (partialsSkipped).
 *   2. The degrade ladder (degrade.ts): when the backlog stays over 1.5 s for 4 s, one rung down — fewer partials, slow
 *      partials, finals only, then a smaller model if one is downloaded; one rung back up after 15 s of keeping up
 *      (degradeLevel, maxDegradeLevel).
 *   3. Finals are never skipped: every utterance the VAD found gets exactly one final, in order (finals, finalsPending).
 *   4. Audio, only when all that is not enough, and never silently. Ended utterances wait for their final up to
 *      maxPendingSec (120 s) of audio; past that the recognizer stops reading, so the VAD stops pulling frames, and a
 *      live source's bounded queue (30 s, capture/live.ts) fills and drops its oldest frames — before the VAD, so speech
 *      and silence alike — counted per source (sources[].droppedSec) and in total (dropped, recognizer.droppedSec). A
 *      file source never loses audio: it waits for the recognizer.
 */
import { SourceKind } from '../../protocol/protocol';
import { SAMPLE_RATE } from '../capture/source';
import { Utterance, UtteranceEvent } from '../vad/segmenter';
import { LocalAgreement } from './agreement';
import { latencyMark } from './latencyMarks';
import { DecodeAbortedError, DecodeRequest, DecodeResult } from './whisper';

export interface StreamingOptions {
  /** Decode partial results at all (a batch transcription only wants finals). */
  partials: boolean;
  /** Decode the final when the speech drops instead of when the end is confirmed (latency for a possibly wasted decode). */
  earlyFinal: boolean;
  /** Seconds of new audio between two partial decodes of the same utterance. */
  partialIntervalSec: number;
  /** No partial for an utterance shorter than this: too little audio to say anything useful. */
  minPartialSec: number;
  /**
   * Decode budget: the share of one core whisper may spend on partials (after a partial of d ms on t threads, the next
   * waits d × (t/duty − 1)); early finals, which show as partials while the speech is down, and decodes stopped before
   * their end count too. A quarter: at a half, partials were 173 of the 216 decodes of figure 2's meeting (issue 41).
   * Counted in CPU, not in whisper's wall time: with two threads a quarter of the wall time was half a core, and a
   * watched meeting cost 0.63–0.66 CPU-s per audio-second on a quiet machine (issue 41's budget: 0.6).
   */
  partialDutyCycle: number;
  /** Token cap per second of audio (fast speech is ~4 tokens/s); stops repetition loops. */
  maxTokensPerSec: number;
  /** Characters of the previous final text given to whisper as context. */
  promptChars: number;
  /**
   * An utterance's first partial has the previous final text in its prompt too; false: the vocabulary only (a word or
   * two that people wait for: the previous sentence's tokens cost its decode more than the words it says, issue 60).
   */
  promptFirstPartial?: boolean;
  /** Seconds of encoder window beyond the utterance for a final (a full 30 s window cost 2.2 s per base.en final here). */
  finalContextMarginSec: number;
  /**
   * Encoder positions (20 ms each) beyond an utterance's first partial's audio; every later partial has
   * PARTIAL_CTX_MARGIN. The onset's 0.42 s need 21: with the later partials' 32 more its encoder ran over 53 (issue 60).
   * Unset: FIRST_PARTIAL_CTX_MARGIN.
   */
  firstPartialCtxMargin?: number;
  /** Audio of ended utterances waiting for their final beyond which the recognizer stops reading (memory bound). */
  maxPendingSec: number;
}

export const DEFAULT_STREAMING_OPTIONS: StreamingOptions = {
  partials: true,
  earlyFinal: true,
  partialIntervalSec: 0.5,
  minPartialSec: 0.4,
  partialDutyCycle: 0.25,
  maxTokensPerSec: 8,
  promptChars: 200,
  promptFirstPartial: false,
  finalContextMarginSec: 1,
  maxPendingSec: 120,
};

/** Encoder positions (20 ms each) beyond a partial's audio (an utterance's first partial: firstPartialCtxMargin). */
export const PARTIAL_CTX_MARGIN = 32;
/** The default of StreamingOptions.firstPartialCtxMargin, chosen on development clips (speed.md, issue 60, 3G). */
export const FIRST_PARTIAL_CTX_MARGIN = 4;

/** A file read as fast as it goes: nobody watches it happen, only the finals count. */
export const BATCH_STREAMING_OPTIONS: StreamingOptions = { ...DEFAULT_STREAMING_OPTIONS, partials: false, earlyFinal: false };

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
  /** The segment this one continues (Utterance.continues: the same turn, split by the early end). */
  continues?: string;
}

export interface Decoder {
  decode(request: DecodeRequest): Promise<DecodeResult>;
  /** Stops a partial or speculative decode in progress, whose decode() then rejects with DecodeAbortedError; optional. */
  abortPartial?(): void;
  /**
   * Decodes a next utterance's first partial beside the decode in progress (a second, one-thread whisper context), or
   * undefined when there is none free: then it waits its turn. Optional: without it the first partial waits for the
   * decode before it (under load, the previous turn's final: issue 60's 2.7–3.8 s).
   */
  decodeBeside?(request: DecodeRequest): Promise<DecodeResult> | undefined;
  /** Stops the decode beside (decodeBeside), whose promise then rejects with DecodeAbortedError. */
  abortBeside?(): void;
  /** Whether the main context is decoding or has decodes waiting (another source's: a meeting's sources share it). */
  mainBusy?(): boolean;
}

/**
 * What a recognizer did to keep up (protocol RecognizerCounters, per source): the recognizer adds to it as it goes.
 * `finalsPending` and `pendingSamples` are gauges (now), the rest counts since it was made.
 */
export interface RecognizerStats {
  partialsDecoded: number;
  /** Partial updates the normal policy scheduled that were never decoded (see cover() in recognize). */
  partialsSkipped: number;
  finals: number;
  finalDecodes: number;
  finalsPending: number;
  pendingSamples: number;
}

export function newRecognizerStats(): RecognizerStats {
  return { partialsDecoded: 0, partialsSkipped: 0, finals: 0, finalDecodes: 0, finalsPending: 0, pendingSamples: 0 };
}

/** What the recognizer asks of its surroundings while it runs. */
export interface RecognizerContext {
  /** The policy now in force (the degrade ladder may change it between decodes). */
  options(): StreamingOptions;
  /** Words worth priming whisper with: identifiers from the user's open editors (bounded by the caller). */
  vocabulary?(): string;
  /**
   * Told the capture time (performance.now()) of the oldest speech end still waiting for its final, or
   * undefined when none waits: how far recognition is behind (the degrade ladder's input).
   */
  pendingSince?(capturedAt: number | undefined): void;
  /** The policy before the degrade ladder changed it: skipped partials are counted against it (default: options()). */
  normalOptions?(): StreamingOptions;
  /** Counters to add to. */
  stats?: RecognizerStats;
  /**
   * Asks the segmenter to end utterance `id` where its decoded final ends (SegmenterControl.endEarly): true when it
   * has, and the final may be sent now. Absent: finals wait for the segmenter's end.
   */
  endEarly?(id: string, finalEndSample: number): boolean;
  /**
   * The decode of utterance `id`'s final starts (early, or at the end), of the speech [startSample, endSample) its
   * final will carry if it stands: what depends only on that audio may start beside it (the speaker cut, issue 60).
   */
  finalPending?(id: string, startSample: number, endSample: number): void;
  /** The early final told by finalPending was stopped (the speech came back): the final will be of other audio. */
  finalCancelled?(id: string): void;
}

/** One utterance as the recognizer tracks it, from its first audio until its final is out. */
interface Tracked {
  latest: Utterance;
  ended: boolean;
  /** Samples covered by the last decode of any kind (the partial cadence counts from there). */
  decodedSamples: number;
  /** The text of that decode (shown as the partial). */
  decodedText: string;
  /** When that decode ran (performance.now()), for the first partial's latency mark. */
  decodedDuring?: { start: number; end: number };
  /** finalEndSample while the speech is down (a pause); undefined while it goes on. */
  droppedAt?: number;
  /** The drop an early final was started for (not again for the same one, whatever came of it). */
  speculatedAt?: number;
  /** The early final's request (requestKey) and text: the final when the final's request turns out the same. */
  speculation?: { key: string; text: string };
  agreement: LocalAgreement;
  /** A partial was yielded (and must be retracted if the final is empty). */
  shownPartial: boolean;
  /** Partial updates the normal policy had scheduled up to this utterance's last decode (see cover()). */
  coveredSlots: number;
  /** Told as an onset and not yet confirmed: its partial is held until it is (heldPartial). */
  provisional: boolean;
  /** A partial decoded while provisional, shown when the start is confirmed. */
  heldPartial?: boolean;
  /** When the decode whose text becomes the final ran (performance.now()): the early final's, or the final's own. */
  finalDecode?: { start: number; end: number };
}

/** A first partial decoding beside the main decode (Decoder.decodeBeside): of which utterance, how much audio, its answer once in. */
interface Beside {
  of: Tracked;
  samples: number;
  /** Its text, once it answered, and when it ran. */
  answer?: string;
  during?: { start: number; end: number };
}

/** Reads the segmenter in the background and keeps what the decoder needs next. */
class Inbox {
  /** Ended utterances waiting for their final, oldest first, then the live one (at most one: utterances of a source do not overlap). */
  readonly utterances: Tracked[] = [];
  /** Discarded onsets whose partial was shown: each is withdrawn (an empty final) before anything else is done. */
  readonly withdrawn: Tracked[] = [];
  /** Utterances ended early (their final is out): the segmenter's events of them still in flight are not new speech. */
  private readonly endedEarly = new Set<string>();
  done = false;
  error: unknown;
  private wake: (() => void) | undefined;
  private room: (() => void) | undefined;

  constructor(
    events: AsyncIterable<UtteranceEvent>,
    private readonly maxPendingSamples: () => number,
    /** The speech of `t` dropped (`ended`: the utterance is over). */
    private readonly speechStopped: (t: Tracked, ended: boolean) => void,
    private readonly speechResumed: (t: Tracked) => void,
    /** An onset that never started (`t` is no longer tracked). */
    private readonly discarded: (t: Tracked) => void,
  ) {
    void this.pump(events);
  }

  /** Resolves when something changed (an event, the end of the stream), or after `timeoutMs` when given. */
  changed(timeoutMs?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => this.notify(), timeoutMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** The recognizer finished an utterance: forget it and let the pump go on if it was waiting for room. */
  remove(tracked: Tracked): void {
    const at = this.utterances.indexOf(tracked);
    if (at >= 0) this.utterances.splice(at, 1);
    this.room?.();
    this.room = undefined;
  }

  /** `tracked` ended early (RecognizerContext.endEarly): its final goes next, and what the segmenter still says of it is old. */
  endEarly(tracked: Tracked): void {
    tracked.ended = true;
    this.endedEarly.add(tracked.latest.id);
  }

  private pendingSamples(): number {
    return this.utterances.reduce((n, t) => n + (t.ended ? t.latest.samples.length : 0), 0);
  }

  private async pump(events: AsyncIterable<UtteranceEvent>): Promise<void> {
    try {
      for await (const event of events) {
        const u = event.utterance;
        if (this.endedEarly.has(u.id)) {
          if (event.type === 'end') this.endedEarly.delete(u.id);
          continue;
        }
        let tracked = this.utterances.find((t) => t.latest.id === u.id);
        if (event.type === 'discard') {
          if (tracked) {
            this.remove(tracked);
            this.discarded(tracked);
            if (tracked.shownPartial) this.withdrawn.push(tracked);
          }
          this.notify();
          continue;
        }
        if (!tracked) {
          tracked = {
            latest: u, ended: false, decodedSamples: 0, decodedText: '', agreement: new LocalAgreement(), shownPartial: false, coveredSlots: 0,
            provisional: event.type === 'onset',
          };
          this.utterances.push(tracked);
          latencyMark(u.id, 'heard');
        }
        tracked.latest = u;
        // Any event of the utterance but its onset says its speech started.
        if (event.type !== 'onset') tracked.provisional = false;
        if (event.type === 'end') {
          tracked.ended = true;
          latencyMark(u.id, 'vadEnd');
          this.speechStopped(tracked, true);
        } else if (u.finalEndSample !== tracked.droppedAt) {
          // The speech dropped (a partial decoding is stale), or came back (an early final decoding is no longer the final).
          const was = tracked.droppedAt;
          tracked.droppedAt = u.finalEndSample;
          if (was !== undefined) this.speechResumed(tracked);
          if (u.finalEndSample !== undefined) {
            latencyMark(u.id, 'drop');
            this.speechStopped(tracked, false);
          }
        }
        this.notify();
        // Bounded memory: when finals fall this far behind, stop reading (a live source's own bounded buffer takes over).
        while (this.pendingSamples() > this.maxPendingSamples()) await new Promise<void>((resolve) => { this.room = resolve; });
      }
    } catch (e) {
      this.error = e;
    }
    this.done = true;
    this.notify();
  }

  /** Something outside the segmenter changed (a decode beside answered): the recognizer looks again. */
  notify(): void {
    this.wake?.();
    this.wake = undefined;
  }
}

/** What makes two decodes the same (the audio is a prefix of one utterance's: its length says which). */
function requestKey(r: DecodeRequest): string {
  return JSON.stringify([r.pcm.length, r.final, r.prompt, r.maxTokens, r.audioCtx]);
}

export async function* recognize(
  events: AsyncIterable<UtteranceEvent>,
  decoder: Decoder,
  context: RecognizerContext | StreamingOptions = DEFAULT_STREAMING_OPTIONS,
): AsyncGenerator<RecognizedSegment> {
  const ctx: RecognizerContext = 'options' in context && typeof context.options === 'function' ? context : { options: () => context as StreamingOptions };
  /**
   * What is decoding now, and of which utterance, when it may be stopped: a partial (when its speech stops), an early
   * final (when its speech resumes). Only its own utterance's speech stops it: an ended utterance's early final is its
   * final, whatever the next speaker's first syllable does (figure 3 had three finals decoded twice so). An utterance's
   * first partial is not stopped by a drop, only by the end: nothing is shown yet, and a first syllable's drop stopping
   * it (then the early final stopped by the voice coming back) made three first partials of figure 3 0.2 s later.
   */
  let inFlight: { kind: 'partial' | 'earlyFinal'; of: Tracked } | undefined;
  /**
   * A next utterance's first partial decoding beside the decode in flight (Decoder.decodeBeside), and its answer once
   * it has one: stopped, as the first partial on the main context is, only by its utterance's end or discard.
   */
  let beside: Beside | undefined;
  const inbox = new Inbox(
    events,
    () => ctx.options().maxPendingSec * SAMPLE_RATE,
    (t, ended) => {
      if (inFlight?.kind === 'partial' && inFlight.of === t && (ended || t.shownPartial)) decoder.abortPartial?.();
      if (ended && beside?.of === t && !beside.answer) decoder.abortBeside?.();
    },
    (t) => { if (inFlight?.kind === 'earlyFinal' && inFlight.of === t && !t.ended) decoder.abortPartial?.(); },
    (t) => {
      if (inFlight?.of === t) decoder.abortPartial?.();
      if (beside?.of === t && !beside.answer) decoder.abortBeside?.();
    },
  );
  const stats = ctx.stats ?? newRecognizerStats();
  let previousText = '';
  let nextPartialAt = 0; // performance.now() before which no further partial is decoded

  /**
   * `speechSec`: a partial's speech without its pre-roll, which is what its token cap counts (else all of `pcm`).
   * `first`: an utterance's first partial, without the previous sentence unless promptFirstPartial: its 40–50 tokens
   * cost the decoder more than the few it says (the onset's decode 0.64× without them, base.en dims, one thread:
   * speed.md, "The first partial beside the final"); every later decode has them.
   */
  const request = (pcm: Float32Array, partial: boolean, speechSec = pcm.length / SAMPLE_RATE, first = false): DecodeRequest => {
    const options = ctx.options();
    const vocabulary = ctx.vocabulary?.() ?? '';
    return {
      pcm,
      final: !partial,
      // Vocabulary first, then the previous sentence: whisper weighs the end of the prompt most.
      prompt: [vocabulary, first && !options.promptFirstPartial ? '' : previousText.slice(-options.promptChars)].filter(Boolean).join(' '),
      // A partial's cap counts its speech, not the pre-roll before it: an onset's first partial (0.1 s of speech after
      // 0.3 s of pre-roll) says a word at most, and a decode that runs to the cap costs a decoder step per token.
      maxTokens: Math.ceil(Math.min(pcm.length / SAMPLE_RATE, speechSec) * options.maxTokensPerSec) + 4,
      // The encoder need not run over the whole 30 s window, only over the audio present (50 frames/s):
      // partials get a small margin (the first, which people wait for, a smaller one); finals a full second more,
      // since they are the text that stays.
      audioCtx: Math.min(1500, Math.ceil((pcm.length / SAMPLE_RATE + (partial ? 0 : options.finalContextMarginSec)) * 50) +
        (partial && first ? options.firstPartialCtxMargin ?? FIRST_PARTIAL_CTX_MARGIN : PARTIAL_CTX_MARGIN)),
    };
  };
  /** Whisper's CPU on what shows (or may show) as a partial counts against the partials' share of a core (partialDutyCycle). */
  const spentOnPartials = (ms: number, threads: number) => {
    nextPartialAt = performance.now() + Math.max(0, ms * (threads / ctx.options().partialDutyCycle - 1));
  };
  /** The threads of the last decode that said (a stopped one does not): what a stopped decode is taken to have used. */
  let lastThreads = 1;
  /** When the last decode that answered ran. */
  let lastDecode = { start: 0, end: 0 };
  const decode = async (asked: DecodeRequest, speculative = false) => {
    const started = performance.now();
    let result: DecodeResult;
    try {
      result = await decoder.decode(speculative ? { ...asked, speculative } : asked);
    } catch (e) {
      // A partial or early final stopped: its time went to text nobody sees.
      if (e instanceof DecodeAbortedError) spentOnPartials(performance.now() - started, lastThreads);
      throw e;
    }
    lastThreads = result.threads ?? 1;
    lastDecode = { start: started, end: performance.now() };
    if (asked.final) stats.finalDecodes++;
    else stats.partialsDecoded++;
    // An early final shows as the partial while the speech is down (and is the final if it stays down).
    if (!asked.final || speculative) spentOnPartials(result.ms, lastThreads);
    return result.text;
  };
  /** The audio a final decodes: up to finalEndSample (see Utterance). */
  const finalAudio = (u: Utterance) => u.samples.subarray(0, (u.finalEndSample ?? u.startSample + u.samples.length) - u.startSample);
  const segment = (u: Utterance, text: string, final: boolean): RecognizedSegment => ({
    // The words were spoken between the detector's boundaries; pre-roll and hangover are only context for whisper.
    segmentId: u.id, source: u.source, startSample: u.speechStartSample, endSample: u.speechEndSample, text, final,
    ...(u.continues !== undefined ? { continues: u.continues } : {}),
  });
  /**
   * Shows the last decode as a partial, its stable prefix kept (LocalAgreement); not once the utterance has ended, nor
   * while nobody reads partials (an early final whose speech went on, or a partial that was decoding when they stopped).
   */
  function* showPartial(t: Tracked, u: Utterance): Generator<RecognizedSegment> {
    // An onset's partial waits for its start to be confirmed: text on screen is a promise that a stop keeps it (a stop
    // within the shortest speech discards the onset, and a shown partial would vanish).
    if (t.provisional) { t.heldPartial = true; return; }
    const shown = t.agreement.update(t.decodedText);
    if (shown && !t.ended && ctx.options().partials) {
      if (!t.shownPartial) latencyMark(u.id, 'firstPartial', t.decodedDuring);
      t.shownPartial = true;
      yield segment(u, shown, false);
    }
  }
  /**
   * Whether a partial of `t`'s newest audio may be decoded, its cadence aside: someone reads partials, the speech goes
   * on, and there is audio enough.
   */
  const partialMayDecode = (t: Tracked, options: StreamingOptions): boolean => {
    const u = t.latest;
    // The newest frame is unvoiced: the speech may be ending, and a partial now would hold up the early final.
    const trailingSilence = u.startSample + u.samples.length > u.voicedEndSample;
    // An onset's speech (onsetMs) is what makes it worth decoding: right after another utterance its pre-roll is short
    // and its audio under minPartialSec (figure 3: one turn in six waited for its start). A degrade rung that asks for
    // longer partials holds onsets back too.
    const enoughAudio = u.samples.length >= options.minPartialSec * SAMPLE_RATE ||
      (t.provisional && options.minPartialSec <= DEFAULT_STREAMING_OPTIONS.minPartialSec);
    return options.partials && t.droppedAt === undefined && !trailingSilence && enoughAudio;
  };
  /** A partial's request: all the utterance's audio, its token cap counted from its speech. */
  const partialRequest = (t: Tracked) => {
    const u = t.latest;
    return request(u.samples, true, (u.startSample + u.samples.length - u.speechStartSample) / SAMPLE_RATE, t.decodedSamples === 0);
  };
  /**
   * What is ready to show apart from the main context's decodes: the first partial decoded beside (shown, or held until
   * its start is confirmed), a held partial whose start is now confirmed. Then, while the main context decodes
   * `busyWith`'s audio, the next utterance's first partial starts beside it, if the decoder has a context free there:
   * the first words need not wait for the previous turn's final (issue 60). Returns whether it did anything.
   */
  function* besideStep(busyWith: Tracked | undefined): Generator<RecognizedSegment, boolean> {
    const done = beside;
    if (done?.answer !== undefined) {
      beside = undefined;
      const t = done.of;
      // Unless its utterance is gone (discarded, ended) or a decode since said more of it.
      if (inbox.utterances.includes(t) && !t.ended && t.decodedSamples < done.samples) {
        t.decodedText = done.answer;
        t.decodedDuring = done.during;
        t.decodedSamples = done.samples;
        cover(t, t.latest);
        yield* showPartial(t, t.latest);
      }
      return true;
    }
    const confirmed = inbox.utterances.find((t) => t.heldPartial && !t.provisional && !t.ended);
    if (confirmed) {
      // An onset's partial, decoded while its start was confirmed: shown now that it is.
      confirmed.heldPartial = false;
      yield* showPartial(confirmed, confirmed.latest);
      return true;
    }
    const next = inbox.utterances[inbox.utterances.length - 1];
    if (busyWith && next && next !== busyWith && !next.ended && next.decodedSamples === 0 && partialMayDecode(next, ctx.options())) startBeside(next);
    return false;
  }
  /** Starts `t`'s first partial on the second context, if there is one free; whether it did. */
  function startBeside(t: Tracked): boolean {
    const pending = beside ? undefined : decoder.decodeBeside?.(partialRequest(t));
    if (!pending) return false;
    const mine: Beside = { of: t, samples: t.latest.samples.length };
    beside = mine;
    const started = performance.now();
    pending.then((r) => {
      mine.during = { start: started, end: performance.now() };
      stats.partialsDecoded++;
      spentOnPartials(r.ms, r.threads ?? 1);
      mine.answer = r.text;
    }, () => {
      // Stopped (its utterance ended or was discarded), or failed: the main context decodes its first partial as before.
      if (beside === mine) beside = undefined;
    }).finally(() => inbox.notify());
    return true;
  }
  /** `main`'s answer (a decode of `busyWith`), showing meanwhile what besideStep has. */
  async function* whileDecoding<T>(main: Promise<T>, busyWith: Tracked): AsyncGenerator<RecognizedSegment, T> {
    if (!decoder.decodeBeside) return await main;
    let settled = false;
    const over = main.then(() => { settled = true; }, () => { settled = true; });
    for (;;) {
      if (settled) return await main;
      if (yield* besideStep(busyWith)) continue;
      if (settled) return await main;
      await Promise.race([over, inbox.changed()]);
    }
  }
  const reportPending = () => {
    const waiting = inbox.utterances.find((t) => t.ended);
    // Audio read faster than real time has no capture time: it is never behind.
    ctx.pendingSince?.(waiting?.latest.capturedAt);
    let pending = 0, pendingSamples = 0;
    for (const t of inbox.utterances) {
      if (!t.ended) continue;
      pending++;
      pendingSamples += t.latest.samples.length;
    }
    stats.finalsPending = pending;
    stats.pendingSamples = pendingSamples;
  };
  /**
   * Skipped partial updates, counted at each decode of an utterance (partial, early final) and at its final: the normal
   * policy schedules one update when it is minPartialSec long and one per partialIntervalSec of speech after that; this
   * decode stands for the newest, and those scheduled since the previous decode that never came were skipped to keep up
   * (the recognizer was busy with a final, the duty cycle or a degrade rung held them back).
   */
  const cover = (t: Tracked, u: Utterance) => {
    const normal = ctx.normalOptions?.() ?? ctx.options();
    if (!normal.partials) return;
    const voicedSec = (u.voicedEndSample - u.startSample) / SAMPLE_RATE;
    const due = voicedSec < normal.minPartialSec ? 0 : 1 + Math.floor((voicedSec - normal.minPartialSec) / normal.partialIntervalSec);
    stats.partialsSkipped += Math.max(0, due - t.coveredSlots - 1);
    t.coveredSlots = Math.max(t.coveredSlots, due);
  };

  for (;;) {
    reportPending();
    const options = ctx.options();
    const withdrawn = inbox.withdrawn.shift();
    if (withdrawn) {
      // 0. A discarded onset's partial was shown: an empty final withdraws it (it was never an utterance: no final counted).
      yield segment(withdrawn.latest, '', true);
      continue;
    }
    // 0b. A first partial decoded beside, or an onset's partial decoded while its start was confirmed: shown now.
    if (yield* besideStep(undefined)) continue;
    const ended = inbox.utterances.find((t) => t.ended);
    if (ended) {
      // 1. The final of the oldest ended utterance: the early final when it decoded this very request, else a decode now.
      const u = ended.latest;
      const asked = request(finalAudio(u), false);
      let text: string;
      if (ended.speculation?.key === requestKey(asked)) {
        text = ended.speculation.text;
      } else {
        ctx.finalPending?.(u.id, u.speechStartSample, u.speechEndSample);
        text = yield* whileDecoding(decode(asked), ended);
        ended.finalDecode = lastDecode;
      }
      if (u.speechRatio < ARTEFACT_SPEECH_RATIO && SILENCE_ARTEFACTS.test(text)) text = '';
      if (text) previousText = text;
      stats.finals++;
      cover(ended, u);
      inbox.remove(ended);
      if (ended.finalDecode) latencyMark(u.id, 'finalDecode', ended.finalDecode);
      latencyMark(u.id, 'finalReady');
      // An empty final retracts the partials shown for this utterance; with none shown there is nothing to say.
      if (text || ended.shownPartial) yield segment(u, text, true);
      continue;
    }
    const live = inbox.utterances[0];
    if (live && options.earlyFinal && live.droppedAt !== undefined && live.speculatedAt !== live.droppedAt) {
      // 2. The speech dropped: decode its final now; it stands if the drop turns into the end. If the speech resumes
      //    while it decodes it is stopped (it could no longer be the final); if after, it is the freshest partial.
      const u = live.latest;
      live.speculatedAt = live.droppedAt;
      const asked = request(finalAudio(u), false);
      inFlight = { kind: 'earlyFinal', of: live };
      ctx.finalPending?.(u.id, u.speechStartSample, u.speechEndSample);
      try {
        live.decodedText = yield* whileDecoding(decode(asked, true), live);
        live.decodedDuring = lastDecode;
      } catch (e) {
        if (!(e instanceof DecodeAbortedError)) throw e;
        ctx.finalCancelled?.(u.id);
        // The updates due before it were not shown: counted now, as its completion would have (health stays current).
        cover(live, u);
        continue;
      } finally {
        inFlight = undefined;
      }
      live.speculation = { key: requestKey(asked), text: live.decodedText };
      live.finalDecode = lastDecode;
      live.decodedSamples = asked.pcm.length;
      cover(live, u);
      // Still down where it was decoded: it is the final, and the utterance ends now if the pause is earlyEndMs long.
      if (!live.ended && live.droppedAt === live.speculatedAt && ctx.endEarly?.(u.id, live.droppedAt)) {
        latencyMark(u.id, 'vadEnd');
        inbox.endEarly(live);
        continue;
      }
      yield* showPartial(live, u);
      continue;
    }
    const u = live?.latest;
    const grown = u ? u.samples.length - live.decodedSamples : 0;
    const firstPartial = live !== undefined && live.decodedSamples === 0;
    if (
      // Not while its first partial decodes beside (it shows when that answers).
      u && beside?.of !== live && partialMayDecode(live, options) &&
      grown >= (firstPartial ? 0 : options.partialIntervalSec * SAMPLE_RATE) &&
      // The first words of an utterance are what people wait for: its first partial is not held back by the duty cycle.
      (firstPartial || performance.now() >= nextPartialAt)
    ) {
      // 3. A partial of the newest audio, unless the speech stops while it decodes: then it is stopped, shows nothing,
      //    and the early final (shown in its place) or the final comes next. An onset's first partial decodes while its
      //    start is confirmed, and shows once it is (never, if the onset is discarded). A first partial goes beside
      //    another source's decode holding the main context, as it does beside this source's own final.
      if (firstPartial && decoder.mainBusy?.() && startBeside(live)) continue;
      inFlight = { kind: 'partial', of: live };
      let text: string;
      try {
        text = yield* whileDecoding(decode(partialRequest(live)), live);
      } catch (e) {
        if (e instanceof DecodeAbortedError) continue;
        throw e;
      } finally {
        inFlight = undefined;
      }
      // A discarded onset whose decode answered before the recognizer looked again: nothing of it shows.
      if (!inbox.utterances.includes(live)) continue;
      live.decodedText = text;
      live.decodedDuring = lastDecode;
      live.decodedSamples = u.samples.length;
      cover(live, u);
      yield* showPartial(live, u);
      continue;
    }
    if (inbox.done) break;
    // Nothing to decode now: wait for the segmenter, or for the duty cycle to allow the next partial.
    const partialDue = u && beside?.of !== live && partialMayDecode(live, { ...options, minPartialSec: 0 }) && grown >= options.partialIntervalSec * SAMPLE_RATE;
    await inbox.changed(partialDue ? Math.max(0, nextPartialAt - performance.now()) : undefined);
  }
  reportPending();
  if (inbox.error !== undefined) throw inbox.error;
}
