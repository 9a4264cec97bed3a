/**
 * The recognizer's backpressure counters (protocol RecognizerCounters, daemon/asr/streaming.ts): partial updates
 * decoded and skipped (against the normal policy, whatever rung the degrade ladder is on), finals, final-quality decodes,
 * and the pending gauges. Synthetic utterance events and a scripted decoder: exact numbers.
 */
import * as assert from 'node:assert/strict';
import { DEGRADE_LADDER } from '../../daemon/asr/degrade';
import { Decoder, DEFAULT_STREAMING_OPTIONS, newRecognizerStats, recognize, RecognizerContext, RecognizedSegment, RecognizerStats } from '../../daemon/asr/streaming';
import { DecodeRequest, DecodeResult } from '../../daemon/asr/whisper';
import { FRAME_SAMPLES, SAMPLE_RATE } from '../../daemon/capture/source';
import { UtteranceEvent } from '../../daemon/vad/segmenter';

class FakeDecoder implements Decoder {
  readonly requests: DecodeRequest[] = [];
  async decode(request: DecodeRequest): Promise<DecodeResult> {
    this.requests.push(request);
    return { text: 'hello', ms: 0 };
  }
}

/** One utterance growing a frame at a time to `frames` frames (all voiced), then ending. */
function utterance(id: string, frames: number, startSample = 0): UtteranceEvent[] {
  const all = new Float32Array(frames * FRAME_SAMPLES).fill(0.1);
  const u = (n: number) => ({
    id, source: 'mic' as const, startSample, samples: all.subarray(0, n * FRAME_SAMPLES), speechRatio: 1,
    speechStartSample: startSample, speechEndSample: startSample + n * FRAME_SAMPLES, voicedEndSample: startSample + n * FRAME_SAMPLES,
  });
  const events: UtteranceEvent[] = [];
  for (let n = 1; n <= frames; n++) events.push({ type: 'audio', utterance: u(n) });
  events.push({ type: 'end', utterance: u(frames) });
  return events;
}

async function* from(events: UtteranceEvent[]): AsyncGenerator<UtteranceEvent> {
  for (const e of events) {
    await new Promise((resolve) => setImmediate(resolve));
    yield e;
  }
}

async function run(events: UtteranceEvent[], context: Omit<RecognizerContext, 'stats'>): Promise<{ out: RecognizedSegment[]; stats: RecognizerStats; decoder: FakeDecoder }> {
  const stats = newRecognizerStats();
  const decoder = new FakeDecoder();
  const out: RecognizedSegment[] = [];
  for await (const s of recognize(from(events), decoder, { ...context, stats })) out.push(s);
  return { out, stats, decoder };
}

/** Updates the normal policy schedules for `voicedSec` of speech: one at minPartialSec, then one per partialIntervalSec. */
const due = (voicedSec: number) => 1 + Math.floor((voicedSec - DEFAULT_STREAMING_OPTIONS.minPartialSec) / DEFAULT_STREAMING_OPTIONS.partialIntervalSec);
const frames = (sec: number) => Math.round((sec * SAMPLE_RATE) / FRAME_SAMPLES);

describe('recognizer counters (backpressure)', () => {
  it('keeping up: partials decoded, none skipped, one final per utterance, nothing pending at the end', async () => {
    const normal = { options: () => DEFAULT_STREAMING_OPTIONS, normalOptions: () => DEFAULT_STREAMING_OPTIONS };
    const { out, stats, decoder } = await run([...utterance('u1', frames(3)), ...utterance('u2', frames(2), 5 * SAMPLE_RATE)], normal);
    assert.equal(stats.finals, 2);
    assert.equal(out.filter((s) => s.final).length, 2);
    assert.equal(stats.partialsSkipped, 0);
    assert.equal(stats.partialsDecoded, decoder.requests.filter((r) => !r.final).length);
    assert.ok(stats.partialsDecoded >= due(3) - 1, `${stats.partialsDecoded} partials decoded`);
    assert.equal(stats.finalDecodes, decoder.requests.filter((r) => r.final).length);
    assert.equal(stats.finalsPending, 0);
    assert.equal(stats.pendingSamples, 0);
  });

  it("on the 'finals only' rung: every update the normal policy schedules but the final is counted as skipped", async () => {
    const finalsOnly = DEGRADE_LADDER.findIndex((r) => r.name === 'finals only');
    const degraded = DEGRADE_LADDER[finalsOnly].apply(DEFAULT_STREAMING_OPTIONS);
    const { stats, decoder } = await run([...utterance('u1', frames(3)), ...utterance('u2', frames(5), 5 * SAMPLE_RATE)],
      { options: () => degraded, normalOptions: () => DEFAULT_STREAMING_OPTIONS });
    const voiced = (n: number) => (frames(n) * FRAME_SAMPLES) / SAMPLE_RATE;
    assert.equal(stats.partialsDecoded, 0);
    assert.equal(stats.partialsSkipped, due(voiced(3)) - 1 + due(voiced(5)) - 1);
    assert.equal(stats.finals, 2);
    assert.equal(stats.finalDecodes, 2);
    assert.equal(decoder.requests.length, 2, 'finals only: one decode per utterance');
  });

  it('a session that wants no partials (pace fast) counts none as skipped', async () => {
    const batch = { ...DEFAULT_STREAMING_OPTIONS, partials: false, earlyFinal: false };
    const { stats } = await run(utterance('u1', frames(4)), { options: () => batch, normalOptions: () => batch });
    assert.deepEqual({ ...stats }, { partialsDecoded: 0, partialsSkipped: 0, finals: 1, finalDecodes: 1, finalsPending: 0, pendingSamples: 0 });
  });

  it('finals pending while the decoder is busy: the gauge counts ended utterances waiting, and goes back to 0', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const seen: number[] = [];
    const stats = newRecognizerStats();
    const batch = { ...DEFAULT_STREAMING_OPTIONS, partials: false, earlyFinal: false };
    const decoder: Decoder = {
      async decode(request) {
        seen.push(stats.finalsPending);
        if (seen.length === 1) await gate; // the first final holds the decoder while the other two utterances end
        return { text: `hello ${request.pcm.length}`, ms: 0 };
      },
    };
    const events = [...utterance('a', frames(1)), ...utterance('b', frames(1), SAMPLE_RATE * 2), ...utterance('c', frames(1), SAMPLE_RATE * 4)];
    let consumed!: () => void;
    const allRead = new Promise<void>((resolve) => { consumed = resolve; });
    async function* thenSignal(): AsyncGenerator<UtteranceEvent> {
      yield* from(events);
      consumed();
    }
    const done = (async () => { for await (const _ of recognize(thenSignal(), decoder, { options: () => batch, stats })) void _; })();
    await allRead; // the recognizer read every event while the first decode was held
    release();
    await done;
    assert.deepEqual(seen, [1, 2, 1], 'waiting finals when each decode started: a; then b and c; then c');
    assert.equal(stats.finals, 3);
    assert.equal(stats.finalsPending, 0);
    assert.equal(stats.pendingSamples, 0);
  });
});
