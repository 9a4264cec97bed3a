import * as assert from 'node:assert/strict';
import { Decoder, DEFAULT_STREAMING_OPTIONS, FIRST_PARTIAL_CTX_MARGIN, recognize, RecognizedSegment } from '../../daemon/asr/streaming';
import { DecodeAbortedError, DecodeRequest, DecodeResult } from '../../daemon/asr/whisper';
import { FRAME_SAMPLES } from '../../daemon/capture/source';
import { BESIDE_MAX_MODEL_BYTES, BESIDE_MIN_MEMORY_FACTOR, secondContextAffordable } from '../../daemon/asr/modelLifecycle';
import { Utterance, UtteranceEvent } from '../../daemon/vad/segmenter';

/**
 * Issue 60: a next turn's first partial decodes on a second context beside the previous turn's final
 * (Decoder.decodeBeside), instead of waiting for it: under load that final took 1.3–2.5 s, and the first words
 * 2.7–3.8 s. A fake decoder whose every decode waits until the test releases it: the order is the test's, no clock.
 */

/** `frames` frames of utterance `id` from sample `start` (speech throughout). */
function utteranceOf(id: string, frames: number, start: number): Utterance {
  const samples = new Float32Array(frames * FRAME_SAMPLES).fill(0.1);
  return {
    id, source: 'mic', startSample: start, samples, speechRatio: 1,
    speechStartSample: start, speechEndSample: start + samples.length, voicedEndSample: start + samples.length,
  };
}

/** A promise and the function that resolves it. */
function latch(): { open: () => void; opened: Promise<void> } {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => { open = resolve; });
  return { open, opened };
}

/** Lets the recognizer act on what it was told (its reactions run in promise jobs and immediates). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A decode the test answers (release) or that the recognizer stops (abort*: it rejects with DecodeAbortedError). */
interface Held { request: DecodeRequest; release(): void; stop(): void }

/** Main decodes: partials answer at once, finals wait for release. Beside decodes wait for release unless `besideAtOnce`. */
function twoContexts(besideAtOnce: boolean) {
  const main: DecodeRequest[] = [];
  const finals: Held[] = [];
  const beside: Held[] = [];
  let besideAborts = 0;
  const finalStarted = latch();
  const held = (request: DecodeRequest, text: string, into: Held[]): Promise<DecodeResult> => new Promise((resolve, reject) => {
    into.push({ request, release: () => resolve({ text, ms: 0 }), stop: () => reject(new DecodeAbortedError()) });
  });
  const decoder: Decoder = {
    decode(r) {
      main.push(r);
      if (!r.final) return Promise.resolve({ text: `main ${r.pcm.length}`, ms: 0 });
      finalStarted.open();
      return held(r, `final ${r.pcm.length}`, finals);
    },
    abortPartial: () => undefined,
    decodeBeside(r) {
      if (besideAtOnce) {
        beside.push({ request: r, release: () => undefined, stop: () => undefined });
        return Promise.resolve({ text: `beside ${r.pcm.length}`, ms: 0 });
      }
      return held(r, `beside ${r.pcm.length}`, beside);
    },
    abortBeside() {
      besideAborts++;
      beside.pop()?.stop();
    },
  };
  return { decoder, main, finals, beside, besideAborts: () => besideAborts, finalStarted: finalStarted.opened };
}

/** What recognize() yields, collected as it goes. */
function collecting(events: AsyncIterable<UtteranceEvent>, decoder: Decoder) {
  const out: RecognizedSegment[] = [];
  const done = (async () => { for await (const s of recognize(events, decoder, { ...DEFAULT_STREAMING_OPTIONS, partialIntervalSec: 100 })) out.push(s); })();
  return { out, done };
}

const U2_START = 100_000;
/** u2's onset: 13 frames (0.42 s), not yet confirmed. */
const onsetOfU2: UtteranceEvent = { type: 'onset', utterance: utteranceOf('u2', 13, U2_START) };

/**
 * u1 (20 frames) ends and its final decodes (held); then u2's onset, and (`confirm`) its start confirmed as it grows to
 * 20 frames; then, when `finish` opens, u2's end.
 */
async function* afterATurn(finalStarted: Promise<void>, confirm: Promise<void>, finish: Promise<void>, discard = false): AsyncGenerator<UtteranceEvent> {
  for (let n = 1; n <= 20; n++) yield { type: 'audio', utterance: utteranceOf('u1', n, 0) };
  yield { type: 'end', utterance: utteranceOf('u1', 20, 0) };
  await finalStarted;
  yield onsetOfU2;
  if (discard) {
    await confirm;
    yield { type: 'discard', utterance: onsetOfU2.utterance };
    await finish;
    return;
  }
  await confirm;
  for (let n = 14; n <= 20; n++) yield { type: 'audio', utterance: utteranceOf('u2', n, U2_START) };
  await finish;
  yield { type: 'end', utterance: utteranceOf('u2', 20, U2_START) };
}

/** What was shown after u1's own partial (at 13 frames, before its end), in order. */
const kinds = (out: RecognizedSegment[]) => out.filter((s) => s.segmentId !== 'u1' || s.final).map((s) => `${s.segmentId} ${s.final ? 'final' : 'partial'} ${s.text}`);

describe('The first partial beside the previous turn\'s final (issue 60)', () => {
  it('decodes the next turn\'s onset beside the final in progress and shows it, once its start is confirmed, before that final', async () => {
    const c = twoContexts(true);
    const confirm = latch();
    const finish = latch();
    const { out, done } = collecting(afterATurn(c.finalStarted, confirm.opened, finish.opened), c.decoder);
    await c.finalStarted;
    await settle();
    assert.equal(c.beside.length, 1, 'the onset decoded beside u1\'s final');
    assert.equal(c.beside[0].request.pcm.length, 13 * FRAME_SAMPLES);
    assert.equal(c.beside[0].request.final, false);
    assert.equal(c.beside[0].request.audioCtx, Math.ceil((13 * FRAME_SAMPLES / 16000) * 50) + FIRST_PARTIAL_CTX_MARGIN, 'the onset\'s short encoder window beside too');
    assert.ok(!out.some((s) => s.segmentId === 'u2'), 'held until the start is confirmed (a stop within the shortest speech would discard it)');
    confirm.open();
    await settle();
    // The old scheduling: nothing of u2 until u1's final is done.
    assert.deepEqual(kinds(out).filter((k) => k.startsWith('u2')), [`u2 partial beside ${13 * FRAME_SAMPLES}`], 'shown while u1\'s final decodes');
    assert.ok(!out.some((s) => s.final), 'u1\'s final is still decoding');
    c.finals[0].release();
    finish.open();
    await settle();
    c.finals[1]?.release();
    await done;
    assert.deepEqual(out.filter((s) => s.final).map((s) => [s.segmentId, s.text]), [['u1', `final ${20 * FRAME_SAMPLES}`], ['u2', `final ${20 * FRAME_SAMPLES}`]]);
    assert.ok(!c.main.some((r) => !r.final && r.pcm.length === 13 * FRAME_SAMPLES && r.pcm === onsetOfU2.utterance.samples), 'the onset was not decoded again on the main context');
  });

  it('hands the final over as its decode ends, with the decode beside still running; the first partial follows when it answers', async () => {
    const c = twoContexts(false);
    const confirm = latch();
    const finish = latch();
    const { out, done } = collecting(afterATurn(c.finalStarted, confirm.opened, finish.opened), c.decoder);
    await c.finalStarted;
    await settle();
    confirm.open();
    await settle();
    assert.equal(c.beside.length, 1, 'decoding beside');
    c.finals[0].release();
    await settle();
    assert.deepEqual(kinds(out), [`u1 final final ${20 * FRAME_SAMPLES}`], 'the final did not wait for the decode beside');
    const mainPartialsOfU2 = c.main.filter((r) => !r.final && r.pcm.length > 0 && c.main.indexOf(r) > 1).length;
    assert.equal(mainPartialsOfU2, 0, 'u2\'s first partial is not decoded twice: the main context waits for the one beside');
    c.beside[0].release();
    await settle();
    assert.equal(kinds(out)[1], `u2 partial beside ${13 * FRAME_SAMPLES}`);
    finish.open();
    await settle();
    c.finals[1]?.release();
    await done;
    assert.equal(out.filter((s) => s.final).length, 2);
  });

  it('stops the decode beside when its onset is discarded: nothing of it shows, and the final comes as before', async () => {
    const c = twoContexts(false);
    const confirm = latch();
    const finish = latch();
    const { out, done } = collecting(afterATurn(c.finalStarted, confirm.opened, finish.opened, true), c.decoder);
    await c.finalStarted;
    await settle();
    assert.equal(c.beside.length, 1, 'decoding beside');
    confirm.open(); // the discard
    await settle();
    assert.equal(c.besideAborts(), 1, 'stopped');
    c.finals[0].release();
    finish.open();
    await done;
    assert.deepEqual(kinds(out), [`u1 final final ${20 * FRAME_SAMPLES}`]);
  });

  it('decodes a first partial beside when another source\'s decode holds the main context (a meeting\'s microphone and speakers share it)', async () => {
    const main: DecodeRequest[] = [];
    const beside: DecodeRequest[] = [];
    const decoder: Decoder = {
      decode: (r) => { main.push(r); return Promise.resolve({ text: `main ${r.pcm.length}`, ms: 0 }); },
      decodeBeside: (r) => { beside.push(r); return Promise.resolve({ text: `beside ${r.pcm.length}`, ms: 0 }); },
      mainBusy: () => true,
    };
    async function* events(): AsyncGenerator<UtteranceEvent> {
      for (let n = 1; n <= 30; n++) {
        await new Promise((resolve) => setImmediate(resolve));
        yield { type: 'audio', utterance: utteranceOf('u1', n, 0) };
      }
      yield { type: 'end', utterance: utteranceOf('u1', 30, 0) };
    }
    const { out, done } = collecting(events(), decoder);
    await done;
    assert.equal(beside.length, 1, 'the first partial, beside');
    assert.equal(beside[0].final, false);
    assert.deepEqual(out.map((s) => [s.final, s.text]), [[false, `beside ${beside[0].pcm.length}`], [true, `main ${30 * FRAME_SAMPLES}`]]);
    assert.ok(!main.some((r) => !r.final && r.pcm.length === beside[0].pcm.length), 'not decoded again on the main context');
  });

  it('without a second context the first partial waits for the final, as before', async () => {
    const c = twoContexts(true);
    const decoder: Decoder = { decode: (r) => c.decoder.decode(r), abortPartial: () => undefined };
    const confirm = latch();
    const finish = latch();
    const { out, done } = collecting(afterATurn(c.finalStarted, confirm.opened, finish.opened), decoder);
    await c.finalStarted;
    confirm.open();
    await settle();
    assert.deepEqual(kinds(out), [], 'nothing until u1\'s final is done');
    c.finals[0].release();
    finish.open();
    await settle();
    c.finals[1]?.release();
    await done;
    assert.equal(kinds(out)[0], `u1 final final ${20 * FRAME_SAMPLES}`);
  });
});

describe('the second context is loaded only beside a model small enough to copy (ModelLifecycle.decodeBeside)', () => {
  const MiB = 1024 * 1024;
  it('base.en f16 (148 MB) on an 8 GB machine: yes; small.en f16 (466 MB) or medium: no; a missing file: no', () => {
    assert.equal(secondContextAffordable(148 * MiB, 8 * 1024 * MiB), true);
    assert.equal(secondContextAffordable(466 * MiB, 64 * 1024 * MiB), false, 'small.en f16: a second copy is half a gigabyte');
    assert.equal(secondContextAffordable(1500 * MiB, 64 * 1024 * MiB), false);
    assert.equal(secondContextAffordable(0, 8 * 1024 * MiB), false, 'the model file could not be read');
  });
  it('not on a machine with less than sixteen times the model in memory', () => {
    assert.equal(secondContextAffordable(148 * MiB, 2 * 1024 * MiB), false);
    assert.equal(secondContextAffordable(148 * MiB, BESIDE_MIN_MEMORY_FACTOR * 148 * MiB), true);
    assert.equal(secondContextAffordable(BESIDE_MAX_MODEL_BYTES + 1, 1024 * 1024 * MiB), false);
  });
});
