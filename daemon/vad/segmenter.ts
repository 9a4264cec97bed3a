/**
 * Turns a stream of frames into utterances: speech starts after `minSpeechMs` above the on-threshold (counted across
 * gaps of up to `startGapMs`), continues while the score stays above the off-threshold (hysteresis), and ends after `hangoverMs`
 * below it. `preRollMs` of audio before the start is kept so first syllables survive. As soon as the score
 * drops below `dropThreshold` a `pause` event says where the final's audio would end if no voice followed
 * (Utterance.finalEndSample), so the recognizer decodes the final while the hangover runs and the final is ready
 * when whisper is done; when it is done after `earlyEndMs` of the pause, the recognizer may end the utterance there
 * (SegmenterControl) rather than wait for the hangover. Nothing that is not inside an utterance ever reaches the
 * recognizer: silence costs nothing and yields no text.
 */
import { SourceKind } from '../../protocol/protocol';
import { AudioFrame, FRAME_SAMPLES, SAMPLE_RATE } from '../capture/source';

/** Scores one frame: 0 = certainly not speech, 1 = certainly speech. */
export interface SpeechDetector {
  score(frame: Float32Array): number | Promise<number>;
  /** Frames the score stays up after the voice stops (a recurrent model lets go late); speech ends are moved back by it. */
  readonly endLagFrames?: number;
  /** Frames scored, and how many of them ran a model (a detector may skip silence). */
  readonly stats?: { frames: number; modelRuns: number };
}

export interface SegmenterOptions {
  onThreshold: number;
  offThreshold: number;
  minSpeechMs: number;
  /**
   * Before speech starts, frames below the off-threshold for up to this long do not reset the count towards
   * `minSpeechMs`: a turn's weak first syllable and the words after it start one utterance, from the syllable, while a
   * lone breath or click still starts nothing (0: the frames must be consecutive). Optional for settings made before it.
   */
  startGapMs?: number;
  /**
   * After this much speech towards a start (less than `minSpeechMs`), an `onset` event tells the recognizer of a likely
   * utterance, so its first partial decodes while the start is being confirmed; a `discard` follows when it is not (a
   * breath, a click). 0 or absent: none. Nothing of an onset is shown or kept before the start is confirmed (issue 41:
   * the wait for 250 ms of speech was most of the time to the first partial).
   */
  onsetMs?: number;
  /**
   * The speech may be ending once the score falls below this (the detector is sure of speech above it; Silero lets go
   * over two or three frames after the voice): the final's audio is cut a frame after the last frame at or above it,
   * and the recognizer starts decoding it then, stopping it if the score comes back (BENCHMARKS.md, issue 41). At or
   * below the off-threshold: at the first unvoiced frame.
   */
  dropThreshold: number;
  hangoverMs: number;
  /**
   * An utterance whose final is decoded when this much of its pause has passed (the recognizer asks,
   * SegmenterControl.endEarly) ends there instead of after `hangoverMs`: the final is sent as soon as whisper is done,
   * not when the hangover runs out (issue 60: that wait was most of the time beyond the decode). Voice that comes back
   * later starts a new utterance. A final decoded sooner waits for the hangover, as before: where whisper is fast the
   * hangover is short beside it, and the utterances stay as they were. Optional: absent, the hangover stands.
   */
  earlyEndMs?: number;
  preRollMs: number;
  /** Utterances are cut before this length (whisper's window is 30 s), at the quietest frame. */
  maxUtteranceSec: number;
}

/**
 * The least pause at which an utterance whose final is decoded ends (SegmenterOptions.earlyEndMs). On 2-core x86 a
 * base.en final takes longer than this, so it goes out when whisper is done; a pause within a turn that outlasts both
 * the decode and this is where a new utterance starts (on the sample, a turn's pauses heard 0–320 ms).
 */
export const EARLY_END_MS = 200;

/**
 * Thresholds, shortest speech (and its gaps) and pre-roll are the default profile's (config.ts: chosen by
 * cross-validation with the pre-roll held at 300 ms for the onset, BENCHMARKS.md section 12c); the rest as measured on
 * fixtures and real meetings. The onset at 96 ms (issue 60; 128 ms before) is the least speech at which no more onsets
 * are discarded than at 128 ms on the committed AMI meetings (16, 8.5 min: 0.82 a minute at 96 and 128 ms, 0.94 at
 * 64 ms); it tells the first partial a frame sooner (whisper pads any decode to 1 s, and an onset's partial is not held
 * to the recognizer's shortest partial). The drop at 0.6 rather than 0.5 cues the early final a frame sooner at p95 on the
 * meeting fixture (87 against 119 ms from the labelled end), the same as 0.7–0.9, for 1.9 more cues a minute on AMI
 * (21.8 → 23.7 resumed), and still cuts the final's audio at least 36 ms after each labelled end (BENCHMARKS.md, issue
 * 41).
 */
export const DEFAULT_SEGMENTER_OPTIONS: SegmenterOptions = {
  onThreshold: 0.4,
  offThreshold: 0.2,
  minSpeechMs: 250,
  startGapMs: 400,
  onsetMs: 96,
  dropThreshold: 0.6,
  hangoverMs: 400,
  earlyEndMs: EARLY_END_MS,
  preRollMs: 300,
  maxUtteranceSec: 25,
};

/**
 * End-of-utterance silence for dictation. The text is inserted only once final, so every millisecond of hangover is
 * felt as lag after the speaker stops; dictation is one person composing, not turns to tell apart. 300 ms is still
 * longer than the gaps between words (about 100–250 ms in fluent speech), so sentences are not cut mid-phrase, and
 * the early final (started as the voice drops under dropThreshold) is usually decoded by then.
 */
export const DICTATION_HANGOVER_MS = 300;

/** Where to look for the quietest frame when an utterance must be cut: its last seconds. */
const SPLIT_SEARCH_SEC = 5;

export interface Utterance {
  id: string;
  source: SourceKind;
  /** Capture-clock sample index of samples[0]. */
  startSample: number;
  /** All audio of the utterance so far (a view: copy it to keep it). */
  samples: Float32Array;
  /** Fraction of frames scored as speech (≥ off-threshold); low values mean noise or a lone click. */
  speechRatio: number;
  /** Capture-clock samples where the detector's speech starts and (so far) ends: no pre-roll, no hangover. */
  speechStartSample: number;
  speechEndSample: number;
  /** End of the last frame scored at or above the off-threshold: audio after it is silence (so far). */
  voicedEndSample: number;
  /** performance.now() when the newest sample was captured (live and paced sources only). */
  capturedAt?: number;
  /**
   * Where the final's audio ends if no voice follows (capture clock): a frame past the last frame scored at or above the
   * drop threshold when what follows it is no longer than the detector's lag (endLagFrames), else a frame past the last
   * voiced frame. Undefined while the speech goes on; always set on `end` (all of it when the audio stopped mid-speech).
   * The final decodes exactly this audio, whenever it is decoded: early, as the speech drops, or at the end.
   */
  finalEndSample?: number;
  /**
   * The utterance before it, when that one was ended early (SegmenterOptions.earlyEndMs) and this one's speech began
   * within the hangover after its final's end: without the early end they would have been one utterance, one turn.
   */
  continues?: string;
}

export type UtteranceEvent =
  /**
   * Speech may be starting (SegmenterOptions.onsetMs): the utterance as it would begin, under the id it would get. An
   * `audio` event with that id confirms it; a `discard` says it never started.
   */
  | { type: 'onset'; utterance: Utterance }
  /** The onset told before did not become speech: forget it. */
  | { type: 'discard'; utterance: Utterance }
  /** The utterance grew by at least one frame (the first one also confirms an onset with its id). */
  | { type: 'audio'; utterance: Utterance }
  /** The speech dropped: the utterance may be over (it ends after `hangoverMs`, unless speech resumes); finalEndSample is set. */
  | { type: 'pause'; utterance: Utterance }
  /** The utterance is complete; no more audio will be added. */
  | { type: 'end'; utterance: Utterance };

/** A growable sample buffer with per-frame scores, so a long utterance is not copied per frame. */
class UtteranceBuffer {
  private data = new Float32Array(SAMPLE_RATE * 4);
  length = 0;
  scores: number[] = [];

  append(samples: Float32Array, score: number): void {
    if (this.length + samples.length > this.data.length) {
      const grown = new Float32Array(Math.max(this.data.length * 2, this.length + samples.length));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(samples, this.length);
    this.length += samples.length;
    this.scores.push(score);
  }

  view(): Float32Array {
    return this.data.subarray(0, this.length);
  }

  /** Removes and returns everything after `frames` frames. */
  splitAfter(frames: number): { samples: Float32Array; scores: number[] } {
    const cut = frames * FRAME_SAMPLES;
    const rest = { samples: this.data.slice(cut, this.length), scores: this.scores.slice(frames) };
    this.length = Math.min(this.length, cut);
    this.scores.length = frames;
    return rest;
  }
}

/**
 * What the recognizer may ask of a running segmenter (segmentUtterances installs `endEarly`). `endEarly(id, end)`: the
 * final of utterance `id` up to `end` (its finalEndSample) is decoded; end the utterance there if its speech is still
 * down at that very place and the pause so far is at least earlyEndMs. True: it has ended now (its `end` event follows,
 * with that finalEndSample); the caller may send its final at once. False: nothing changes (the hangover ends it).
 */
export interface SegmenterControl {
  endEarly?(id: string, finalEndSample: number): boolean;
  /** Each frame as the detector scored it, in order (the speaker stage skips windows the detector heard no speech in). */
  scored?(frame: AudioFrame, score: number): void;
}

/** Numbers utterances; shared by successive segmenters of one source (runs between pauses) so ids stay unique. */
export interface UtteranceCounter {
  count: number;
}

/**
 * A file replayed after a crash (its resumed session journaled finals up to utterance `finalized`, which the caller
 * skips): the replay must cut those utterances where the first run did, or the numbers after them shift and speech is
 * skipped as already final. Where the first run ended an utterance early (earlyEndMs) depended on how fast whisper was
 * then; the replay decodes nothing it skips, so it ends utterance N where N's journaled final ended its speech, once
 * the pause is earlyEndMs long (as the first run could at the earliest). Speech that starts after the last journaled
 * final is numbered after `finalized` whatever the count, so a cut the replay cannot know of (an utterance that gave no
 * text is not journaled) costs no speech.
 */
export interface ReplayGuide {
  finalized: number;
  /** Per utterance number, where its journaled final's speech ended (capture-clock sample: Utterance.speechEndSample). */
  speechEnds: ReadonlyMap<number, number>;
  /** The latest of them. */
  lastSpeechEnd: number;
}

/**
 * A frame marked `pause` (the source paused) ends the utterance in progress as the end of the audio would, and drops
 * the pending pre-roll: audio after it comes after the resume.
 */
export async function* segmentUtterances(
  frames: AsyncIterable<AudioFrame>,
  detector: SpeechDetector,
  options: SegmenterOptions = DEFAULT_SEGMENTER_OPTIONS,
  counter: UtteranceCounter = { count: 0 },
  control: SegmenterControl = {},
  replay?: ReplayGuide,
): AsyncGenerator<UtteranceEvent> {
  const msToFrames = (ms: number) => Math.max(1, Math.round((ms / 1000) * SAMPLE_RATE / FRAME_SAMPLES));
  const minSpeechFrames = msToFrames(options.minSpeechMs);
  const startGapFrames = Math.round(((options.startGapMs ?? 0) / 1000) * SAMPLE_RATE / FRAME_SAMPLES);
  const hangoverFrames = msToFrames(options.hangoverMs);
  const earlyEndSamples = options.earlyEndMs === undefined ? undefined : Math.round((options.earlyEndMs / 1000) * SAMPLE_RATE);
  const dropLevel = Math.max(options.dropThreshold, options.offThreshold);
  const preRollFrames = Math.round((options.preRollMs / 1000) * SAMPLE_RATE / FRAME_SAMPLES);
  const maxFrames = Math.floor((options.maxUtteranceSec * SAMPLE_RATE) / FRAME_SAMPLES);

  /** Recent frames before speech: the pre-roll plus a possible start that has not lasted long enough. */
  let pending: { frame: AudioFrame; score: number }[] = [];
  /** Towards a start: frames at or above the thresholds, and the frames since the first of them (gaps included). */
  let pendingSpeech = 0;
  let pendingRun = 0;
  let pendingGap = 0;
  const onsetFrames = options.onsetMs ? msToFrames(options.onsetMs) : Infinity;
  /** The onset told for the pending speech, until it starts or is discarded. */
  let onset: Utterance | undefined;
  let current: {
    id: string; source: SourceKind; startSample: number; speechStartSample: number; speechEndSample: number; voicedEndSample: number;
    /** End of the last frame scored at or above the drop level. */
    confidentEndSample: number;
    capturedAt?: number; buffer: UtteranceBuffer; continues?: string;
  } | undefined;
  let silentFrames = 0;
  /** The final's end the last `pause` told, while the speech stays down. */
  let toldEnd: number | undefined;
  /** Ended by endEarly between two frames: its `end` event, yielded before the next frame is looked at. */
  let endedEarly: Utterance | undefined;
  /** The last utterance ended early and where its hangover would have run out: speech before that continues it. */
  let endedAt: { id: string; hangoverEnd: number } | undefined;

  const endLag = (detector.endLagFrames ?? 0) * FRAME_SAMPLES;
  /** Utterance.finalEndSample of the utterance as it is now. */
  const finalEnd = (): number | undefined => {
    const c = current!;
    const end = c.startSample + c.buffer.length;
    if (c.confidentEndSample >= end) return undefined; // the newest frame is sure speech
    if (c.voicedEndSample - c.confidentEndSample <= endLag) return c.confidentEndSample + FRAME_SAMPLES; // the detector letting go
    if (c.voicedEndSample < end) return c.voicedEndSample + FRAME_SAMPLES; // quieter voice went on, and has stopped
    return undefined; // quieter voice goes on
  };
  /** `whole`: an end where the audio stopped mid-speech or was cut (a final's audio is all of it). */
  const snapshot = (ending?: 'end' | 'whole'): Utterance => {
    const c = current!;
    const speech = c.buffer.scores.filter((s) => s >= options.offThreshold).length;
    const end = ending === 'whole' ? undefined : finalEnd();
    const finalEndSample = ending && end === undefined ? c.startSample + c.buffer.length : end;
    return {
      id: c.id, source: c.source, startSample: c.startSample, samples: c.buffer.view(), speechRatio: speech / Math.max(1, c.buffer.scores.length),
      speechStartSample: c.speechStartSample, speechEndSample: c.speechEndSample, voicedEndSample: c.voicedEndSample,
      ...(c.capturedAt !== undefined ? { capturedAt: c.capturedAt } : {}),
      ...(c.continues !== undefined ? { continues: c.continues } : {}),
      ...(finalEndSample !== undefined ? { finalEndSample } : {}),
    };
  };
  /** The number the next utterance gets if its speech starts at `speechStartSample` (ReplayGuide: after the journal's). */
  const nextNumber = (speechStartSample: number): number =>
    (replay && speechStartSample >= replay.lastSpeechEnd ? Math.max(counter.count, replay.finalized) : counter.count) + 1;
  const begin = (source: SourceKind, startSample: number, speechStartSample: number) => {
    counter.count = nextNumber(speechStartSample);
    current = {
      id: `${source}-${counter.count}`, source, startSample, speechStartSample, speechEndSample: speechStartSample, voicedEndSample: speechStartSample,
      confidentEndSample: startSample, buffer: new UtteranceBuffer(),
      ...(endedAt && speechStartSample < endedAt.hangoverEnd ? { continues: endedAt.id } : {}),
    };
    endedAt = undefined;
    silentFrames = 0;
    toldEnd = undefined;
  };

  /** The utterance the pending speech would start (its pre-roll and speech so far), as `begin` would make it. */
  const provisional = (source: SourceKind): Utterance => {
    const kept = pending.slice(-(pendingRun + preRollFrames));
    const samples = new Float32Array(kept.length * FRAME_SAMPLES);
    kept.forEach((p, i) => samples.set(p.frame.samples, i * FRAME_SAMPLES));
    const last = kept[kept.length - 1].frame;
    const end = last.startSample + last.samples.length;
    const speechStartSample = speechStart(kept.length);
    return {
      id: `${source}-${nextNumber(speechStartSample)}`, source, startSample: kept[0].frame.startSample, samples,
      speechRatio: kept.filter((p) => p.score >= options.offThreshold).length / kept.length,
      speechStartSample, speechEndSample: end - endLag, voicedEndSample: end,
      ...(last.capturedAt !== undefined ? { capturedAt: last.capturedAt } : {}),
    };
  };
  /** Speech starts where the score first rose above the off-threshold on its way up (within the `kept` last frames). */
  const speechStart = (kept: number): number => {
    let first = pending.length - pendingRun;
    while (first > 0 && pending[first - 1].score >= options.offThreshold) first--;
    return pending[Math.max(first, pending.length - kept)].frame.startSample;
  };

  /** How much of the pause after the final's end (toldEnd) has been heard. */
  const pauseHeard = (): number => current!.startSample + current!.buffer.length - toldEnd!;
  /**
   * Ends the current utterance where its final ends: the frames after that (the pause so far) become the pre-roll of
   * whatever speech comes next, as after a hangover. Returns the `end` event's utterance.
   */
  const endAtFinal = (): Utterance => {
    const c = current!;
    const ended = snapshot('end');
    endedAt = { id: c.id, hangoverEnd: toldEnd! + hangoverFrames * FRAME_SAMPLES };
    const keep = Math.floor((c.startSample + c.buffer.length - toldEnd!) / FRAME_SAMPLES);
    const scores = c.buffer.scores;
    const view = c.buffer.view();
    pending = [];
    for (let i = scores.length - keep; i < scores.length; i++) {
      const samples = view.slice(i * FRAME_SAMPLES, (i + 1) * FRAME_SAMPLES);
      pending.push({ frame: { source: c.source, startSample: c.startSample + i * FRAME_SAMPLES, samples, ...(c.capturedAt !== undefined ? { capturedAt: c.capturedAt } : {}) }, score: scores[i] });
    }
    pendingSpeech = pendingRun = pendingGap = 0;
    current = undefined;
    return ended;
  };
  /** ReplayGuide: the current utterance is one the first run journaled, and its speech ended where that final's did. */
  const endsAsJournaled = (): boolean => {
    if (!replay || earlyEndSamples === undefined || toldEnd === undefined) return false;
    const n = Number(current!.id.slice(current!.id.lastIndexOf('-') + 1));
    return n <= replay.finalized && replay.speechEnds.get(n) === current!.speechEndSample && pauseHeard() >= earlyEndSamples;
  };
  control.endEarly = (id, finalEndSample) => {
    if (earlyEndSamples === undefined || !current || current.id !== id || toldEnd !== finalEndSample || endedEarly) return false;
    if (pauseHeard() < earlyEndSamples) return false;
    endedEarly = endAtFinal();
    return true;
  };

  for await (const frame of frames) {
    if (endedEarly) {
      yield { type: 'end', utterance: endedEarly };
      endedEarly = undefined;
    }
    if (frame.pause) {
      if (onset) yield { type: 'discard', utterance: onset };
      onset = undefined;
      endedAt = undefined;
      if (current) yield { type: 'end', utterance: snapshot('end') };
      current = undefined;
      pending = [];
      pendingSpeech = pendingRun = pendingGap = 0;
      continue;
    }
    const score = await detector.score(frame.samples);
    control.scored?.(frame, score);
    if (endedEarly) {
      // Ended while this frame was being scored: the frame belongs to what comes after.
      yield { type: 'end', utterance: endedEarly };
      endedEarly = undefined;
    }
    if (!current) {
      pending.push({ frame, score });
      if (score >= options.onThreshold || (score >= options.offThreshold && pendingSpeech > 0)) {
        pendingSpeech++;
        pendingRun++;
        pendingGap = 0;
      } else if (pendingSpeech > 0 && pendingGap < startGapFrames) {
        pendingGap++;
        pendingRun++;
      } else {
        pendingSpeech = pendingRun = pendingGap = 0;
      }
      if (pendingSpeech >= minSpeechFrames) {
        const kept = pending.slice(-(pendingRun + preRollFrames));
        onset = undefined;
        begin(frame.source, kept[0].frame.startSample, speechStart(kept.length));
        for (const p of kept) {
          current!.buffer.append(p.frame.samples, p.score);
          // Until a frame is sure, no drop can be told (a soft start is no end): then the first unvoiced frame is.
          if (p.score >= dropLevel) current!.confidentEndSample = p.frame.startSample + p.frame.samples.length;
        }
        current!.speechEndSample = frame.startSample + frame.samples.length - endLag;
        current!.voicedEndSample = frame.startSample + frame.samples.length;
        current!.capturedAt = frame.capturedAt;
        pending = [];
        pendingSpeech = pendingRun = pendingGap = 0;
        yield { type: 'audio', utterance: snapshot() };
      } else {
        while (pending.length > preRollFrames + Math.max(minSpeechFrames, pendingRun)) pending.shift();
        if (onset && pendingSpeech === 0) {
          yield { type: 'discard', utterance: onset };
          onset = undefined;
        } else if (!onset && pendingSpeech >= onsetFrames && pendingGap === 0) {
          onset = provisional(frame.source);
          yield { type: 'onset', utterance: onset };
        }
      }
      continue;
    }

    current.buffer.append(frame.samples, score);
    current.capturedAt = frame.capturedAt;
    silentFrames = score < options.offThreshold ? silentFrames + 1 : 0;
    if (silentFrames === 0) current.voicedEndSample = frame.startSample + frame.samples.length;
    // The detector's probability trails off a frame or two after the voice stops: speech ends with the last confident frame.
    // Speech goes on while the score stays at or above the off-threshold (hysteresis): its end is the last such frame.
    if (score >= options.offThreshold) current.speechEndSample = frame.startSample + frame.samples.length - endLag;
    if (score >= dropLevel) current.confidentEndSample = frame.startSample + frame.samples.length;
    if (silentFrames >= hangoverFrames) {
      yield { type: 'end', utterance: snapshot('end') };
      current = undefined;
      continue;
    }
    const end = finalEnd();
    if (end !== toldEnd) {
      toldEnd = end;
      if (end !== undefined) {
        yield { type: 'pause', utterance: snapshot() };
        continue;
      }
    }
    if (endsAsJournaled()) {
      yield { type: 'end', utterance: endAtFinal() };
      continue;
    }
    if (current.buffer.scores.length >= maxFrames) {
      // Too long for one whisper window: end at the quietest recent frame, carry the rest over.
      const scores = current.buffer.scores;
      const from = Math.max(1, scores.length - Math.round((SPLIT_SEARCH_SEC * SAMPLE_RATE) / FRAME_SAMPLES));
      let cut = from;
      for (let i = from; i < scores.length; i++) if (scores[i] < scores[cut]) cut = i;
      const rest = current.buffer.splitAfter(cut + 1);
      const { source, startSample } = current;
      const cutSample = startSample + (cut + 1) * FRAME_SAMPLES;
      const { speechEndSample: speechEnd, voicedEndSample: voicedEnd, confidentEndSample: confidentEnd, capturedAt } = current;
      current.speechEndSample = Math.min(speechEnd, cutSample);
      current.voicedEndSample = Math.min(voicedEnd, cutSample);
      yield { type: 'end', utterance: snapshot('whole') };
      begin(source, cutSample, cutSample);
      current!.speechEndSample = Math.max(cutSample, speechEnd);
      current!.voicedEndSample = Math.max(cutSample, voicedEnd);
      current!.confidentEndSample = Math.max(cutSample, confidentEnd);
      current!.capturedAt = capturedAt;
      for (let i = 0; i < rest.scores.length; i++) {
        current!.buffer.append(rest.samples.subarray(i * FRAME_SAMPLES, (i + 1) * FRAME_SAMPLES), rest.scores[i]);
      }
      if (rest.scores.length === 0) continue;
    }
    yield { type: 'audio', utterance: snapshot() };
  }
  if (endedEarly) yield { type: 'end', utterance: endedEarly };
  if (onset) yield { type: 'discard', utterance: onset };
  if (current) yield { type: 'end', utterance: snapshot('end') };
}
