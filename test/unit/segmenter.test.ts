import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AudioFrame, FileSource, FRAME_SAMPLES, SAMPLE_RATE } from '../../daemon/capture/source';
import { EnergyDetector } from '../../daemon/vad/energy';
import { DEFAULT_SEGMENTER_OPTIONS, ReplayGuide, SegmenterControl, segmentUtterances, SpeechDetector, Utterance, UtteranceEvent } from '../../daemon/vad/segmenter';
import { REPO_ROOT, SAMPLE_WAV } from '../setup';

interface Turn { speaker: string; start: number; end: number }
const TURNS: Turn[] = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'media', 'sample', 'standup.json'), 'utf8'));

/** Seconds of silence the segmenter keeps at the end of an utterance before ending it. */
const HANGOVER_SEC = Math.round((DEFAULT_SEGMENTER_OPTIONS.hangoverMs / 1000) * SAMPLE_RATE / FRAME_SAMPLES) * FRAME_SAMPLES / SAMPLE_RATE;
const TOLERANCE_SEC = 0.4;

interface Span { id: string; start: number; end: number; samples: number; audioEvents: number; utterance: Utterance }

async function collect(events: AsyncIterable<UtteranceEvent>): Promise<Span[]> {
  const spans: Span[] = [];
  const audioEvents = new Map<string, number>();
  const lengths = new Map<string, number>();
  /** The onset told and not yet confirmed or discarded. */
  let onset: Utterance | undefined;
  for await (const e of events) {
    const u = e.utterance;
    if (e.type === 'onset') {
      assert.equal(onset, undefined, 'one onset at a time');
      assert.ok(!lengths.has(u.id), 'an onset comes before its utterance');
      onset = u;
      continue;
    }
    if (e.type === 'discard') {
      assert.equal(u, onset, 'a discard forgets the onset told');
      onset = undefined;
      continue;
    }
    if (onset) {
      assert.equal(u.id, onset.id, 'an onset is confirmed by its own utterance');
      assert.equal(u.startSample, onset.startSample, 'from the same sample');
      assert.deepEqual(u.samples.subarray(0, onset.samples.length), onset.samples, 'with the audio it was told with');
      onset = undefined;
    }
    const previous = lengths.get(u.id) ?? 0;
    lengths.set(u.id, u.samples.length);
    if (e.type === 'audio') {
      // (An 'end' may be shorter than the last 'audio': a too-long utterance hands its tail to the next one.)
      assert.ok(u.samples.length > previous, 'each audio event grows the utterance');
      assert.ok(!spans.some((s) => s.id === u.id), 'no audio after the end of an utterance');
      audioEvents.set(u.id, (audioEvents.get(u.id) ?? 0) + 1);
    } else if (e.type === 'pause') {
      assert.ok(!spans.some((s) => s.id === u.id), 'no pause after the end of an utterance');
      assert.ok(u.finalEndSample !== undefined && u.finalEndSample <= u.startSample + u.samples.length, 'a pause says where the final ends, in the audio so far');
      assert.ok(u.finalEndSample >= u.speechEndSample, 'the final hears all of the speech');
    } else {
      spans.push({
        id: u.id, start: u.startSample / SAMPLE_RATE, end: (u.startSample + u.samples.length) / SAMPLE_RATE,
        samples: u.samples.length, audioEvents: audioEvents.get(u.id) ?? 0,
        utterance: { ...u, samples: u.samples.slice() },
      });
    }
  }
  return spans;
}

async function* framesOf(signal: Float32Array): AsyncGenerator<AudioFrame> {
  for (let i = 0; i < signal.length; i += FRAME_SAMPLES) {
    yield { source: 'file', samples: signal.slice(i, i + FRAME_SAMPLES), startSample: i };
  }
}

const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }) => a.start < b.end && b.start < a.end;

describe('Segmenter with EnergyDetector', () => {
  describe('on the sample standup', () => {
    let spans: Span[];
    before(async () => {
      const source = await FileSource.open(SAMPLE_WAV, { pace: 'fast' });
      spans = await collect(segmentUtterances(source.frames(new AbortController().signal), new EnergyDetector()));
    });

    it('has the six turns the sample is described with', () => {
      assert.equal(TURNS.length, 6);
    });

    it('finds an utterance overlapping each of the six turns', () => {
      for (const turn of TURNS) {
        assert.ok(spans.some((s) => overlaps(s, turn)), `no utterance overlaps ${turn.speaker} at ${turn.start}–${turn.end}: ${JSON.stringify(spans.map((s) => [s.start, s.end]))}`);
      }
    });

    it('finds nothing in the silence: every utterance overlaps a turn, none lies in the leading or trailing silence', () => {
      assert.ok(spans.length >= 6 && spans.length <= 8, `${spans.length} utterances`);
      for (const s of spans) assert.ok(TURNS.some((t) => overlaps(s, t)), `utterance ${s.start}–${s.end} overlaps no turn`);
      assert.ok(spans[0].start > TURNS[0].start - TOLERANCE_SEC);
      assert.ok(spans[spans.length - 1].end - HANGOVER_SEC < TURNS[5].end + TOLERANCE_SEC);
    });

    it(`puts utterance boundaries within ${TOLERANCE_SEC} s of the turns (speech end = utterance end − hangover)`, () => {
      for (const turn of TURNS) {
        const mine = spans.filter((s) => overlaps(s, turn));
        const start = Math.min(...mine.map((s) => s.start));
        const end = Math.max(...mine.map((s) => s.end)) - HANGOVER_SEC;
        assert.ok(Math.abs(start - turn.start) <= TOLERANCE_SEC, `${turn.speaker}: starts at ${start}, turn at ${turn.start}`);
        assert.ok(Math.abs(end - turn.end) <= TOLERANCE_SEC, `${turn.speaker}: speech ends at ${end}, turn at ${turn.end}`);
      }
    });

    it('utterances are in order, do not overlap, start on frame boundaries and grew through audio events', () => {
      for (let i = 0; i < spans.length; i++) {
        const s = spans[i];
        assert.equal(s.utterance.startSample % FRAME_SAMPLES, 0);
        assert.ok(s.audioEvents > 0);
        assert.ok(s.utterance.speechRatio > 0.5, `speech ratio ${s.utterance.speechRatio}`);
        if (i > 0) assert.ok(spans[i - 1].end <= s.start, 'utterances do not overlap');
      }
      assert.equal(new Set(spans.map((s) => s.id)).size, spans.length, 'utterance ids are unique');
    });
  });

  it('yields no events for pure digital silence', async () => {
    const events: UtteranceEvent[] = [];
    for await (const e of segmentUtterances(framesOf(new Float32Array(SAMPLE_RATE * 10)), new EnergyDetector())) events.push(e);
    assert.equal(events.length, 0);
  });

  it('yields no events for quiet hiss below the absolute floor', async () => {
    const hiss = new Float32Array(SAMPLE_RATE * 5);
    let s = 1;
    for (let i = 0; i < hiss.length; i++) {
      s = (s * 16807) % 2147483647;
      hiss[i] = ((s / 2147483647) * 2 - 1) * 0.001; // about −63 dBFS
    }
    const events: UtteranceEvent[] = [];
    for await (const e of segmentUtterances(framesOf(hiss), new EnergyDetector())) events.push(e);
    assert.equal(events.length, 0);
  });

  it('ends an utterance when its audio ends mid-speech', async () => {
    const signal = new Float32Array(SAMPLE_RATE * 3);
    for (let i = SAMPLE_RATE; i < signal.length; i++) signal[i] = 0.3 * Math.sin((2 * Math.PI * 220 * i) / SAMPLE_RATE);
    const spans = await collect(segmentUtterances(framesOf(signal), new EnergyDetector()));
    assert.equal(spans.length, 1);
    assert.ok(Math.abs(spans[0].start - (1 - DEFAULT_SEGMENTER_OPTIONS.preRollMs / 1000)) < 0.05, `start ${spans[0].start}`);
    assert.equal(spans[0].end, 3);
  });

  it('splits a continuous 40 s tone-burst signal before 25 s, in a gap, losing no audio', async () => {
    // 12 frames of tone, 3 frames of digital silence: gaps far shorter than the hangover, so speech never pauses.
    const signal = new Float32Array(SAMPLE_RATE * 40);
    for (let frame = 0; frame * FRAME_SAMPLES < signal.length; frame++) {
      if (frame % 15 >= 12) continue;
      for (let i = frame * FRAME_SAMPLES; i < Math.min(signal.length, (frame + 1) * FRAME_SAMPLES); i++) {
        signal[i] = 0.3 * Math.sin((2 * Math.PI * 300 * i) / SAMPLE_RATE);
      }
    }
    const spans = await collect(segmentUtterances(framesOf(signal), new EnergyDetector()));
    assert.ok(spans.length >= 2, `${spans.length} utterance(s): the signal was not split`);
    const max = DEFAULT_SEGMENTER_OPTIONS.maxUtteranceSec;
    for (const s of spans) assert.ok(s.end - s.start <= max, `utterance of ${s.end - s.start} s`);
    assert.ok(spans[0].end - spans[0].start > max - 5 - 0.1, 'cut within the last seconds before the limit');
    assert.ok(spans[0].start < 0.5);
    for (let i = 1; i < spans.length; i++) {
      assert.equal(spans[i].utterance.startSample, spans[i - 1].utterance.startSample + spans[i - 1].samples, 'the next utterance carries on where the cut was');
      // The cut is at the quietest frame: the last frame of the earlier part is a gap.
      const tail = spans[i - 1].utterance.samples.subarray(-FRAME_SAMPLES);
      assert.ok(tail.every((v) => v === 0), 'the cut falls in a silent gap, not inside a burst');
    }
    assert.equal(spans[spans.length - 1].end, 40, 'the audio after the cut is kept to the end');
    // No sample was dropped or duplicated across the parts.
    const joined = new Float32Array(SAMPLE_RATE * 40);
    for (const s of spans) joined.set(s.utterance.samples, s.utterance.startSample);
    const from = spans[0].utterance.startSample;
    assert.deepEqual(joined.subarray(from), signal.subarray(from));
  });

  describe('the shortest speech counted across short gaps (startGapMs)', () => {
    const scripted = (scores: number[]): SpeechDetector => {
      let i = 0;
      return { score: () => scores[i++] ?? 0 };
    };
    /** The utterances (first and last frame) a script of scores makes, 250 ms shortest speech (8 frames), no pre-roll. */
    async function utterances(scores: number[], startGapMs: number): Promise<[number, number][]> {
      const out: [number, number][] = [];
      const signal = new Float32Array(scores.length * FRAME_SAMPLES).fill(0.1);
      const options = { ...DEFAULT_SEGMENTER_OPTIONS, onThreshold: 0.2, offThreshold: 0.2, minSpeechMs: 250, preRollMs: 0, startGapMs };
      for await (const e of segmentUtterances(framesOf(signal), scripted(scores), options)) {
        if (e.type === 'end') out.push([e.utterance.speechStartSample / FRAME_SAMPLES, (e.utterance.startSample / FRAME_SAMPLES)]);
      }
      return out;
    }
    const quiet = (n: number) => Array<number>(n).fill(0.05);
    const voiced = (n: number) => Array<number>(n).fill(0.6);

    it('a weak first syllable and the words after a short gap start one utterance, from the syllable', async () => {
      // A 5-frame syllable, 4 frames (128 ms) below the threshold, then 6 frames of voice: 11 voiced frames in all.
      const scores = [...quiet(20), ...voiced(5), ...quiet(4), ...voiced(6), ...quiet(40)];
      assert.deepEqual(await utterances(scores, 160), [[20, 20]], 'heard from frame 20');
      assert.deepEqual(await utterances(scores, 0), [], 'without the gap neither run is 250 ms');
    });

    it('a lone short burst still starts nothing, and a gap longer than startGapMs resets the count', async () => {
      assert.deepEqual(await utterances([...quiet(20), ...voiced(6), ...quiet(60)], 400), [], 'a 6-frame burst alone');
      // 5 + 5 voiced frames 8 frames (256 ms) apart: joined across 400 ms, not across 160 ms.
      const apart = [...quiet(20), ...voiced(5), ...quiet(8), ...voiced(5), ...quiet(60)];
      assert.deepEqual(await utterances(apart, 160), []);
      assert.deepEqual(await utterances(apart, 400), [[20, 20]]);
    });
  });

  describe('the onset: the recognizer told of speech before its start is confirmed (onsetMs)', () => {
    const scripted = (scores: number[]): SpeechDetector => {
      let i = 0;
      return { score: () => scores[i++] ?? 0 };
    };
    /** Event types and ids a script of scores makes: 250 ms shortest speech (8 frames), onset at 128 ms (4), 3 frames of pre-roll. */
    async function told(scores: number[], extra: Partial<typeof DEFAULT_SEGMENTER_OPTIONS> = {}, pauseAt?: number): Promise<UtteranceEvent[]> {
      const out: UtteranceEvent[] = [];
      const frames = async function* (): AsyncGenerator<AudioFrame> {
        for (let i = 0; i < scores.length; i++) {
          if (i === pauseAt) yield { source: 'mic', samples: new Float32Array(0), startSample: i * FRAME_SAMPLES, pause: true };
          yield { source: 'mic', samples: new Float32Array(FRAME_SAMPLES).fill(i), startSample: i * FRAME_SAMPLES };
        }
      };
      const options = { ...DEFAULT_SEGMENTER_OPTIONS, onThreshold: 0.4, offThreshold: 0.2, minSpeechMs: 250, startGapMs: 0, onsetMs: 128, preRollMs: 96, ...extra };
      for await (const e of segmentUtterances(frames(), scripted(scores), options)) out.push(e);
      return out;
    }
    const quiet = (n: number) => Array<number>(n).fill(0.05);
    const voiced = (n: number) => Array<number>(n).fill(0.9);
    const kinds = (events: UtteranceEvent[]) => events.filter((e) => e.type !== 'audio' && e.type !== 'pause').map((e) => `${e.type} ${e.utterance.id}`);

    it('speech that lasts: an onset at the fourth voiced frame, with its pre-roll, then the utterance under the same id from the same sample', async () => {
      const events = await told([...quiet(10), ...voiced(20), ...quiet(30)]);
      assert.deepEqual(kinds(events), ['onset mic-1', 'end mic-1']);
      const onset = events[0].utterance;
      assert.equal(onset.startSample, 7 * FRAME_SAMPLES, '3 frames of pre-roll before the first voiced frame (10)');
      assert.equal(onset.samples.length, 7 * FRAME_SAMPLES, 'pre-roll and the 4 voiced frames');
      assert.equal(onset.speechStartSample, 10 * FRAME_SAMPLES);
      assert.deepEqual([...onset.samples.filter((_, i) => i % FRAME_SAMPLES === 0)], [7, 8, 9, 10, 11, 12, 13], 'the frames themselves, in order');
      const first = events[1];
      assert.equal(first.type, 'audio');
      assert.equal(first.utterance.startSample, onset.startSample);
      assert.equal(first.utterance.speechStartSample, onset.speechStartSample);
      assert.equal(events.indexOf(first), 1, 'nothing between the onset and the start');
    });

    it('the default onset (96 ms, issue 60) is told at the third voiced frame, the first partial a frame sooner than at 128 ms', async () => {
      const events = await told([...quiet(10), ...voiced(20), ...quiet(30)], { onsetMs: DEFAULT_SEGMENTER_OPTIONS.onsetMs });
      assert.equal(DEFAULT_SEGMENTER_OPTIONS.onsetMs, 96);
      assert.equal(events[0].type, 'onset');
      assert.equal(events[0].utterance.samples.length, 6 * FRAME_SAMPLES, '3 frames of pre-roll and 3 voiced');
    });

    it('a burst too short to start speech: an onset, then a discard, and no utterance', async () => {
      const events = await told([...quiet(10), ...voiced(6), ...quiet(30), ...voiced(20), ...quiet(30)]);
      assert.deepEqual(kinds(events), ['onset mic-1', 'discard mic-1', 'onset mic-1', 'end mic-1'], 'the id is not used up by the discarded onset');
      assert.equal(events[1].utterance, events[0].utterance);
      assert.ok(events[1].type === 'discard');
    });

    it('fewer voiced frames than onsetMs tell nothing; onsetMs 0 tells no onset at all', async () => {
      assert.deepEqual(kinds(await told([...quiet(10), ...voiced(3), ...quiet(30)])), []);
      assert.deepEqual(kinds(await told([...quiet(10), ...voiced(20), ...quiet(30)], { onsetMs: 0 })), ['end mic-1']);
    });

    it('a pause of the source, or the end of the audio, discards an onset not yet confirmed', async () => {
      assert.deepEqual(kinds(await told([...quiet(10), ...voiced(6), ...quiet(10)], {}, 16)), ['onset mic-1', 'discard mic-1']);
      assert.deepEqual(kinds(await told([...quiet(10), ...voiced(6)])), ['onset mic-1', 'discard mic-1']);
    });
  });

  describe('where the final ends (finalEndSample), the early final\'s cue', () => {
    /** A detector that answers a script of scores, and lets go two frames late as Silero v6 does. */
    const scripted = (scores: number[]): SpeechDetector => {
      let i = 0;
      return { endLagFrames: 2, score: () => scores[i++] ?? 0 };
    };
    const frameEnd = (frame: number) => (frame + 1) * FRAME_SAMPLES;
    async function events(scores: number[]): Promise<UtteranceEvent[]> {
      const out: UtteranceEvent[] = [];
      const signal = new Float32Array(scores.length * FRAME_SAMPLES).fill(0.1);
      for await (const e of segmentUtterances(framesOf(signal), scripted(scores), { ...DEFAULT_SEGMENTER_OPTIONS, preRollMs: 0 })) out.push(e);
      return out;
    }
    const SPEECH = Array<number>(20).fill(0.99);
    const SILENCE = Array<number>(20).fill(0.01);

    it('the speech drops: a pause at the first frame below the drop threshold, the final cut a frame after the last sure one', async () => {
      // Frames 0–19 sure speech, 20 and 21 the detector letting go (still voiced), then silence.
      const all = await events([...SPEECH, 0.45, 0.25, ...SILENCE]);
      const pauses = all.filter((e) => e.type === 'pause');
      assert.equal(pauses.length, 1);
      assert.equal(pauses[0].utterance.startSample + pauses[0].utterance.samples.length, frameEnd(20), 'told as soon as the score drops');
      assert.equal(pauses[0].utterance.finalEndSample, frameEnd(20));
      const end = all[all.length - 1];
      assert.equal(end.type, 'end');
      assert.equal(end.utterance.finalEndSample, frameEnd(20), 'the end cuts the final where the pause did');
      assert.equal(end.utterance.voicedEndSample, frameEnd(21), 'frame 21 was voiced: the detector\'s lag, not speech');
      for (const e of all.slice(all.indexOf(pauses[0]) + 1, -1)) assert.equal(e.utterance.finalEndSample, frameEnd(20), 'the same cut while the speech stays down');
      for (const e of all.slice(0, all.indexOf(pauses[0]))) assert.equal(e.utterance.finalEndSample, undefined, 'no cut while the speech goes on');
    });

    it('speech that resumes moves the cut on: nothing it said is left out of the final', async () => {
      // A drop at frame 20, sure speech again at 22–31, then the end.
      const all = await events([...SPEECH, 0.3, 0.1, ...Array<number>(10).fill(0.99), ...SILENCE]);
      const pauses = all.filter((e) => e.type === 'pause').map((e) => e.utterance.finalEndSample);
      assert.deepEqual(pauses, [frameEnd(20), frameEnd(32)]);
      const resumed = all.find((e) => e.type === 'audio' && e.utterance.samples.length === frameEnd(22));
      assert.equal(resumed?.utterance.finalEndSample, undefined, 'the voice came back: no cut');
      assert.equal(all.filter((e) => e.type === 'end').length, 1, 'one utterance');
      assert.equal(all[all.length - 1].utterance.finalEndSample, frameEnd(32));
    });

    it('quieter voice that goes on longer than the detector\'s lag is speech: the final ends a frame after the last voiced frame', async () => {
      // Below the drop threshold but voiced (≥ the off-threshold) for 5 frames: more than the 2 frames of lag.
      const all = await events([...SPEECH, 0.3, 0.3, 0.3, 0.3, 0.3, ...SILENCE]);
      const cuts = all.filter((e) => e.type === 'pause').map((e) => e.utterance.finalEndSample);
      assert.deepEqual(cuts, [frameEnd(20), frameEnd(25)], 'a drop at frame 20, then, past the lag, the end of the voice');
      const end = all[all.length - 1];
      assert.equal(end.utterance.finalEndSample, frameEnd(25));
      assert.equal(end.utterance.voicedEndSample, frameEnd(24));
    });

    it('a soft start is no drop: nothing is told before the detector is sure of speech once', async () => {
      // Six quiet voiced frames open the utterance (a soft voice, or the detector warming to it), then sure speech.
      const all = await events([...Array<number>(6).fill(0.3), ...SPEECH, ...SILENCE]);
      const cuts = all.filter((e) => e.type === 'pause').map((e) => e.utterance.finalEndSample);
      assert.deepEqual(cuts, [frameEnd(26)], 'one drop, after the sure speech (frames 6–25)');
    });

    it('an utterance whose audio stops mid-speech is final over all of it', async () => {
      const all = await events([...SPEECH]);
      const end = all[all.length - 1];
      assert.deepEqual([end.type, end.utterance.finalEndSample], ['end', frameEnd(19)]);
    });
  });

  describe('ending early: the final is decoded and the speech still down (SegmenterControl.endEarly, earlyEndMs)', () => {
    const scripted = (scores: number[]): SpeechDetector => {
      let i = 0;
      return { endLagFrames: 2, score: () => scores[i++] ?? 0 };
    };
    const frameEnd = (frame: number) => (frame + 1) * FRAME_SAMPLES;
    const SPEECH = Array<number>(20).fill(0.99);
    /**
     * Runs the segmenter over `scores`, asking it to end the first utterance early `after` events past its first pause
     * (as the recognizer does when the early final is done: 0 at once); `answers` gets what endEarly said.
     */
    async function endingAtPause(scores: number[], options: Partial<typeof DEFAULT_SEGMENTER_OPTIONS>, after = 0) {
      const out: UtteranceEvent[] = [];
      const answers: boolean[] = [];
      const control: SegmenterControl = {};
      const signal = new Float32Array(scores.length * FRAME_SAMPLES).fill(0.1);
      let pause: Utterance | undefined;
      for await (const e of segmentUtterances(framesOf(signal), scripted(scores), { ...DEFAULT_SEGMENTER_OPTIONS, ...options }, { count: 0 }, control)) {
        out.push(e);
        if (e.type === 'pause') pause ??= e.utterance;
        if (pause && answers.length === 0 && out.length - 1 - out.findIndex((x) => x.utterance === pause) === after) {
          answers.push(control.endEarly!(pause.id, pause.finalEndSample!));
        }
      }
      return { out, answers };
    }
    const ends = (out: UtteranceEvent[]) => out.filter((e) => e.type === 'end').map((e) => e.utterance);

    it('ends the utterance at once when the pause is long enough: its end says the final\'s cut, before any later frame', async () => {
      // A drop at frame 20; voice again at frames 24–43 (a new turn 3 frames into the pause), then silence.
      const { out, answers } = await endingAtPause([...SPEECH, 0.3, 0.1, 0.1, 0.1, ...SPEECH, ...Array<number>(20).fill(0.01)], { earlyEndMs: 0 });
      assert.equal(answers[0], true, 'ended now');
      const pauseAt = out.findIndex((e) => e.type === 'pause');
      assert.equal(out[pauseAt + 1].type, 'end', 'the end is the next event: no frame after the pause joins the utterance');
      const [first, second] = ends(out);
      assert.equal(first.id, 'file-1');
      assert.equal(first.finalEndSample, frameEnd(20), 'the final decoded is the final');
      assert.equal(first.startSample + first.samples.length, frameEnd(20));
      assert.equal(second?.id, 'file-2', 'the voice that came back is a new utterance');
      assert.ok(second.speechStartSample >= frameEnd(20), 'that starts after the first ended');
      assert.ok(second.startSample < second.speechStartSample, 'with the pause before it as pre-roll');
    });

    it('the voice back within the hangover continues the utterance ended early (the same turn); after it, a turn of its own', async () => {
      // Voice again 3 frames into the pause (within the hangover's 13): `continues` names the first utterance.
      const soon = ends((await endingAtPause([...SPEECH, 0.3, 0.1, 0.1, 0.1, ...SPEECH, ...Array<number>(20).fill(0.01)], { earlyEndMs: 0 })).out);
      assert.deepEqual(soon.map((u) => [u.id, u.continues]), [['file-1', undefined], ['file-2', 'file-1']]);
      // Voice again 20 frames into the pause: what the hangover would have ended anyway, so not a continuation.
      const late = ends((await endingAtPause([...SPEECH, 0.3, ...Array<number>(20).fill(0.01), ...SPEECH, ...Array<number>(20).fill(0.01)], { earlyEndMs: 0 })).out);
      assert.deepEqual(late.map((u) => [u.id, u.continues]), [['file-1', undefined], ['file-2', undefined]]);
      // Nor is anything after an utterance the hangover ended.
      const signal = new Float32Array(90 * FRAME_SAMPLES).fill(0.1);
      const plain: UtteranceEvent[] = [];
      for await (const e of segmentUtterances(framesOf(signal), scripted([...SPEECH, ...Array<number>(14).fill(0.01), ...SPEECH]))) plain.push(e);
      assert.deepEqual(ends(plain).map((u) => u.continues), [undefined, undefined]);
    });

    it('asked once the pause is earlyEndMs long (the decode took that long): ends there, not after the hangover', async () => {
      // 200 ms is 6.25 frames of 32 ms: 7 frames after the cut (frame 20), where the hangover (400 ms) would take 13.
      const { out, answers } = await endingAtPause([...SPEECH, 0.3, ...Array<number>(40).fill(0.01)], { earlyEndMs: 200 }, 7);
      assert.equal(answers[0], true);
      const [end] = ends(out);
      assert.equal(end.startSample + end.samples.length, frameEnd(27));
      assert.equal(end.finalEndSample, frameEnd(20));
    });

    it('asked sooner (a fast decode): nothing changes, the hangover ends it and a pause that resumes keeps one utterance', async () => {
      const scores = [...SPEECH, 0.3, 0.1, 0.1, 0.1, 0.1, ...SPEECH, ...Array<number>(20).fill(0.01)];
      const { out, answers } = await endingAtPause(scores, { earlyEndMs: 200 }, 3);
      assert.deepEqual(answers, [false], 'a pause of 3 frames (96 ms)');
      assert.equal(ends(out).length, 1, 'one utterance');
      const signal = new Float32Array(scores.length * FRAME_SAMPLES).fill(0.1);
      const plain: UtteranceEvent[] = [];
      for await (const e of segmentUtterances(framesOf(signal), scripted(scores))) plain.push(e);
      assert.deepEqual(ends(out).map((u) => [u.startSample, u.samples.length, u.finalEndSample]), ends(plain).map((u) => [u.startSample, u.samples.length, u.finalEndSample]));
    });

    it('refuses a cut that is not the one told (the speech moved on), another utterance, and settings without earlyEndMs', async () => {
      const control: SegmenterControl = {};
      const scores = [...SPEECH, 0.3, ...Array<number>(20).fill(0.01)];
      const signal = new Float32Array(scores.length * FRAME_SAMPLES).fill(0.1);
      const said: boolean[] = [];
      const { earlyEndMs: _none, ...without } = DEFAULT_SEGMENTER_OPTIONS;
      for (const options of [{ ...DEFAULT_SEGMENTER_OPTIONS, earlyEndMs: 0 }, without]) {
        for await (const e of segmentUtterances(framesOf(signal), scripted(scores), options, { count: 0 }, control)) {
          if (e.type !== 'pause') continue;
          said.push(control.endEarly!(e.utterance.id, e.utterance.finalEndSample! - FRAME_SAMPLES), control.endEarly!('file-9', e.utterance.finalEndSample!));
          if (options === without) said.push(control.endEarly!(e.utterance.id, e.utterance.finalEndSample!));
        }
      }
      assert.deepEqual(said, [false, false, false, false, false]);
    });
  });

  describe('a replayed file is cut where its first run cut it (ReplayGuide: crash resume)', () => {
    const scripted = (scores: number[]): SpeechDetector => {
      let i = 0;
      return { endLagFrames: 2, score: () => scores[i++] ?? 0 };
    };
    const SPEECH = Array<number>(20).fill(0.99);
    const quiet = (frames: number) => Array<number>(frames).fill(0.01);
    // A turn with an 8-frame pause inside it (shorter than the 13-frame hangover), then another turn.
    const SCORES = [...SPEECH, 0.3, ...quiet(7), ...SPEECH, ...quiet(20), ...SPEECH, ...quiet(20)];
    /**
     * One pass of the segmenter over SCORES; `fastDecode`: the recognizer's early final is done 7 frames into the first
     * pause (the first run under a fast decoder), so that utterance ends there. Without it (a slow decoder, or a
     * replay, which decodes nothing it skips), only the guide can cut there.
     */
    async function pass(fastDecode: boolean, replay?: ReplayGuide): Promise<Utterance[]> {
      const control: SegmenterControl = {};
      const signal = new Float32Array(SCORES.length * FRAME_SAMPLES).fill(0.1);
      const ended: Utterance[] = [];
      let pause: Utterance | undefined;
      let waited = 0;
      const options = { ...DEFAULT_SEGMENTER_OPTIONS, earlyEndMs: 200 };
      for await (const e of segmentUtterances(framesOf(signal), scripted(SCORES), options, { count: 0 }, control, replay)) {
        if (e.type === 'end') ended.push({ ...e.utterance, samples: e.utterance.samples.slice() });
        if (e.type === 'pause' && !pause) pause = e.utterance;
        else if (fastDecode && pause && ++waited === 7) assert.equal(control.endEarly!(pause.id, pause.finalEndSample!), true);
      }
      return ended;
    }
    /**
     * What a final is journaled with: its id, its speech's start and end (TranscriptSegment t0/t1), whether it continues
     * a turn. (The silence kept around the speech may differ: the guide ends an utterance once the pause is earlyEndMs
     * long, where the first run may have waited for the hangover; nothing that was said is in it.)
     */
    const cuts = (list: Utterance[]) => list.map((u) => [u.id, u.speechStartSample, u.speechEndSample, u.continues]);
    /** What the journal holds after the first run's first `finalized` finals (their speech ends by number). */
    const journaled = (first: Utterance[], finalized: number): ReplayGuide => {
      const kept = first.filter((u) => Number(u.id.split('-')[1]) <= finalized);
      return {
        finalized,
        speechEnds: new Map(kept.map((u) => [Number(u.id.split('-')[1]), u.speechEndSample])),
        lastSpeechEnd: Math.max(...kept.map((u) => u.speechEndSample)),
      };
    };

    it('ends a journaled utterance where its final ended, so the utterances after it are the first run\'s', async () => {
      const first = await pass(true);
      assert.deepEqual(first.map((u) => [u.id, u.continues]), [['file-1', undefined], ['file-2', 'file-1'], ['file-3', undefined]], 'the first run split the turn');
      // Without the guide the replay joins the turn again (the skip of utterance 1 would skip the words after the pause).
      const unguided = await pass(false);
      assert.deepEqual(unguided.map((u) => u.id), ['file-1', 'file-2']);
      assert.ok(unguided[0].speechEndSample > first[0].speechEndSample, 'one utterance over the pause');
      assert.deepEqual(cuts(await pass(false, journaled(first, 1))), cuts(first), 'the replay cuts where the first run did');
      assert.deepEqual(cuts(await pass(false, journaled(first, 2))), cuts(first));
    });

    it('cuts only where the journaled speech ended: a first run that went on past the pause is replayed as one utterance', async () => {
      const slow = await pass(false);
      assert.deepEqual(cuts(await pass(false, journaled(slow, 1))), cuts(slow));
    });

    it('numbers speech after the last journaled final after it, when the replay could not cut where the first run did', async () => {
      const first = await pass(true);
      // Utterance 1 left no text (not journaled), 2 was journaled: the replay cannot cut 1 and joins 1 and 2 as "file-1",
      // which the caller skips; the turn after it must not become "file-2" (skipped too, as already final).
      const guide = journaled(first, 2);
      guide.speechEnds = new Map([...guide.speechEnds].filter(([n]) => n !== 1));
      const replayed = await pass(false, guide);
      assert.deepEqual(replayed.map((u) => u.id), ['file-1', 'file-3']);
      assert.deepEqual(cuts(replayed.slice(1)), cuts(first.slice(2)), 'the turn after the journaled ones as the first run had it');
    });
  });
});
