/**
 * The speaker cut started beside a final's decode (issue 60): the recognizer tells when a final's decode starts and of
 * which speech (RecognizerContext.finalPending), or that an early final stopped (finalCancelled); the session's speakers
 * start the cut then and `pieces` takes it when the final has the same span. The pieces are the same either way.
 */
import * as assert from 'node:assert/strict';
import { Decoder, DEFAULT_STREAMING_OPTIONS, recognize, RecognizedSegment } from '../../daemon/asr/streaming';
import { DecodeAbortedError, DecodeRequest } from '../../daemon/asr/whisper';
import { FRAME_SAMPLES, SAMPLE_RATE } from '../../daemon/capture/source';
import { SessionSpeakers } from '../../daemon/session/speakers';
import { sourceVoices, SpeakerBook } from '../../daemon/speakers/labels';
import { frameTime, POWERSET, WINDOW_FRAMES, WINDOW_SAMPLES } from '../../daemon/speakers/segmentation';
import { UtteranceEvent } from '../../daemon/vad/segmenter';
import { pausedUtterance } from './utterance-events';

const SR = SAMPLE_RATE;

/**
 * A segmentation model that hears who speaks from the audio itself: a sample of 0.5 is local speaker 1 alone, 0.1
 * speaker 0 alone, 0 nobody; so its cut depends on the audio it is given, as the real model's does. `calls` counts runs.
 */
function audioModel() {
  const model = {
    calls: 0,
    run: async (window: Float32Array): Promise<Float32Array> => {
      model.calls++;
      const y = new Float32Array(WINDOW_FRAMES * POWERSET.length).fill(-10);
      for (let f = 0; f < WINDOW_FRAMES; f++) {
        const x = window[Math.min(WINDOW_SAMPLES - 1, Math.round(frameTime(f) * SR))];
        const cls = x === 0 ? 0 : POWERSET.findIndex((s) => s.length === 1 && s[0] === (x > 0.3 ? 1 : 0));
        y[f * POWERSET.length + cls] = 0;
      }
      return y;
    },
  };
  return model;
}

const wiring = { append: async () => undefined, owners: () => ({ items: [], decisions: [] }), announce: () => undefined, notesChanged: () => undefined, stateChanged: () => undefined, failed: () => undefined };

/** A file source's speakers that heard 30 s: voice A (0.1) until 14.3 s, voice B (0.5) after, silence from 26 s. */
function speakersHearing(model: ReturnType<typeof audioModel>): SessionSpeakers {
  const stages = { mode: 'overlap' as const, create: async () => ({ settledSec: 0, push: async () => [], end: async () => [] }) as never, segment: model.run };
  const speakers = new SessionSpeakers(new SpeakerBook(sourceVoices([{ kind: 'file', speaker: 'Speaker' }], true)), stages, wiring);
  for (let t = 0; t < 30; t += 0.5) {
    const samples = new Float32Array(SR / 2);
    for (let i = 0; i < samples.length; i++) {
      const at = t + i / SR;
      samples[i] = at >= 26 ? 0 : at >= 14.3 ? 0.5 : 0.1;
    }
    speakers.hear({ source: 'file', samples, startSample: Math.round(t * SR) });
  }
  return speakers;
}

const SPANS: [number, number][] = [[12, 20], [3, 9], [10, 25.5], [13.9, 16.2], [20, 27]];

describe('speakers: the cut started beside the final\'s decode (issue 60, finalPending)', () => {
  it('gives the same pieces as the cut made once the text is there, for every span', async () => {
    const now = speakersHearing(audioModel()), ahead = speakersHearing(audioModel());
    for (const [k, [t0, t1]] of SPANS.entries()) {
      ahead.finalPending('file', `f${k}`, t0, t1);
      const expected = await now.pieces({ source: 'file', segmentId: `f${k}`, t0, t1 });
      assert.deepEqual(await ahead.pieces({ source: 'file', segmentId: `f${k}`, t0, t1 }), expected, `${t0}..${t1}`);
    }
    // The voice changes at 14.3 s: the spans across it are cut, the others whole (the test sees a real cut).
    assert.equal((await now.pieces({ source: 'file', t0: 12, t1: 20 })).length, 2);
    await Promise.all([now.finish(), ahead.finish()]);
  });

  it('runs the model when the final\'s decode starts, not when its text arrives; the final takes that run', async () => {
    const model = audioModel();
    const speakers = speakersHearing(model);
    speakers.finalPending('file', 'f1', 12, 20);
    // The decode runs now: the cut has started beside it (one window: the final is under 10 s).
    assert.equal(model.calls, 1, 'the cut started with the decode');
    const pieces = await speakers.pieces({ source: 'file', segmentId: 'f1', t0: 12, t1: 20 });
    assert.equal(model.calls, 1, 'the final waited for that cut, and ran no other');
    assert.equal(pieces.length, 2);
    await speakers.finish();
  });

  it('cuts anew a final of another span (its speech went on) or whose early final was stopped; keeps a few cuts ahead at most', async () => {
    const model = audioModel();
    const speakers = speakersHearing(model);
    speakers.finalPending('file', 'f1', 12, 18);
    const fresh = speakersHearing(audioModel());
    assert.deepEqual(await speakers.pieces({ source: 'file', segmentId: 'f1', t0: 12, t1: 20 }), await fresh.pieces({ source: 'file', t0: 12, t1: 20 }));
    await fresh.finish();
    assert.equal(model.calls, 2, 'the span changed: cut again');
    speakers.finalPending('file', 'f2', 12, 20);
    speakers.finalCancelled('file', 'f2');
    await speakers.pieces({ source: 'file', segmentId: 'f2', t0: 12, t1: 20 });
    assert.equal(model.calls, 4, 'the stopped early final\'s cut is dropped: cut again');
    for (let k = 0; k < 10; k++) speakers.finalPending('file', `g${k}`, 12, 20);
    assert.equal(model.calls, 14);
    await speakers.pieces({ source: 'file', segmentId: 'g9', t0: 12, t1: 20 });
    assert.equal(model.calls, 14, 'the newest kept');
    await speakers.pieces({ source: 'file', segmentId: 'g0', t0: 12, t1: 20 });
    assert.equal(model.calls, 15, 'the oldest let go: bounded');
    await speakers.finish();
  });

  it('a cut ahead that does not come within the bound leaves the final whole', async () => {
    const stuck = { calls: 0, run: () => new Promise<Float32Array>(() => undefined) };
    const speakers = speakersHearing(stuck as never);
    speakers.finalPending('file', 'f1', 12, 20);
    assert.deepEqual(await speakers.pieces({ source: 'file', segmentId: 'f1', t0: 12, t1: 20 }), [{ start: 12, end: 20 }]);
    await speakers.finish();
  });
});

async function* paced(events: UtteranceEvent[], resumeAfter?: Promise<void>): AsyncGenerator<UtteranceEvent> {
  for (const e of events) {
    await new Promise((resolve) => setImmediate(resolve));
    yield e;
    if (e.type === 'pause' && resumeAfter) await resumeAfter;
  }
}

describe('recognizer: tells when a final\'s decode starts, of the speech its final carries (finalPending)', () => {
  const voiced = Math.ceil((1.2 * SAMPLE_RATE) / FRAME_SAMPLES);
  const options = { ...DEFAULT_STREAMING_OPTIONS, partialIntervalSec: 100 };

  it('the early final at the drop: told before its decode, of the span of the final it becomes', async () => {
    const told: string[] = [];
    const decoder: Decoder = {
      decode: async (r: DecodeRequest) => {
        told.push(`decode ${r.final ? 'final' : 'partial'}`);
        return { text: 'hello', ms: 0 };
      },
    };
    const out: RecognizedSegment[] = [];
    const context = { options: () => options, finalPending: (id: string, s0: number, s1: number) => told.push(`pending ${id} ${s0} ${s1}`) };
    for await (const s of recognize(paced(pausedUtterance('u1', voiced, 12)), decoder, context)) out.push(s);
    const final = out.filter((s) => s.final)[0];
    assert.deepEqual(told.slice(-2), [`pending u1 ${final.startSample} ${final.endSample}`, 'decode final'], told.join(', '));
  });

  it('an early final stopped by the voice coming back is cancelled; the final decoded at the end is told anew', async () => {
    const told: string[] = [];
    let started: () => void = () => undefined;
    const earlyStarted = new Promise<void>((resolve) => { started = resolve; });
    let stop: (() => void) | undefined;
    const decoder: Decoder = {
      decode(r) {
        if (!r.speculative) return Promise.resolve({ text: 'hello', ms: 0 });
        started();
        return new Promise((_resolve, reject) => { stop = () => reject(new DecodeAbortedError()); });
      },
      abortPartial() { stop?.(); },
    };
    const out: RecognizedSegment[] = [];
    const context = {
      options: () => options,
      finalPending: (id: string, s0: number, s1: number) => told.push(`pending ${id} ${s0} ${s1}`),
      finalCancelled: (id: string) => told.push(`cancelled ${id}`),
    };
    for await (const s of recognize(paced(pausedUtterance('u1', voiced, 3, 10), earlyStarted), decoder, context)) out.push(s);
    const final = out.filter((s) => s.final)[0];
    assert.deepEqual(told, [`pending u1 0 ${voiced * FRAME_SAMPLES}`, 'cancelled u1', `pending u1 0 ${final.endSample}`]);
    assert.equal(final.endSample, (voiced + 13) * FRAME_SAMPLES);
  });
});
