/**
 * The early final (issue 41): the final is decoded as soon as the speech drops, and stands when the utterance ends
 * without more voice. With the real Silero VAD and real whisper on the generated models:
 * - in process, the finals are the very texts the non-speculative path (decoding at the end) gives for the same audio,
 *   and every one of them came from the early final when the speech did not resume;
 * - through a real daemon over JSON-RPC, an utterance whose speech drops and resumes keeps all of its audio in one final
 *   (or, where an early final was done late in a pause, in pieces chained by `continues`: each said once).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HealthParams, SessionStart, TranscriptSegment } from '../../protocol/protocol';
import { BATCH_STREAMING_OPTIONS, DEFAULT_STREAMING_OPTIONS, recognize, RecognizedSegment, StreamingOptions } from '../../daemon/asr/streaming';
import { DecodeRequest, WhisperEngine } from '../../daemon/asr/whisper';
import { FileSource, FRAME_SAMPLES, SAMPLE_RATE } from '../../daemon/capture/source';
import { createSpeechDetector, vadConfig } from '../../daemon/vad/config';
import { segmentUtterances, UtteranceEvent } from '../../daemon/vad/segmenter';
import { FIXTURES_DIR, randomMiniModel, REPO_ROOT, SAMPLE_WAV, TEST_WORD } from '../setup';
import { firstTurnWav } from '../support/speech';
import { miniDaemon, RpcClient } from './daemon-process';

/** A real meeting (AMI ES2004a, one minute): turns with pauses, speech resuming after drops. */
const AMI_MINUTE = path.join(REPO_ROOT, 'test', 'fixtures', 'real-audio', 'ami-es2004a', 'ES2004a_750-810.wav');

interface Run {
  finals: RecognizedSegment[];
  /** Every decode, in order: final-grade or not, speculative or not, and its audio length. */
  decodes: { final: boolean; speculative: boolean; samples: number }[];
  /** The first final-grade request, as asked. */
  firstFinal?: DecodeRequest;
  /** Utterances whose end cut the final where their last drop had (the early final of that drop is the final). */
  endedAsDropped: number;
  drops: number;
}

/**
 * The file through the daemon's VAD (default profile, real Silero) and the recognizer with `options`. With the early
 * final on, the segmenter waits after each drop until the early final it starts has decoded or been stopped, so
 * every early final runs however slow this machine is (as on a machine fast enough to keep up).
 */
async function recognizeFile(engine: WhisperEngine, file: string, options: StreamingOptions): Promise<Run> {
  const vad = vadConfig();
  const source = await FileSource.open(file, { pace: 'fast' });
  const detector = await createSpeechDetector(vad);
  const run: Run = { finals: [], decodes: [], endedAsDropped: 0, drops: 0 };
  let settled: (() => void) | undefined;
  const decoder = {
    decode: async (r: DecodeRequest) => {
      try {
        const result = await engine.decode(r);
        run.decodes.push({ final: r.final === true, speculative: r.speculative === true, samples: r.pcm.length });
        if (r.final) run.firstFinal ??= { ...r, pcm: r.pcm.slice() };
        return result;
      } finally {
        if (r.speculative) settled?.();
      }
    },
    abortPartial: () => void engine.abortPartial(),
  };
  async function* events(): AsyncGenerator<UtteranceEvent> {
    const lastDrop = new Map<string, number | undefined>();
    for await (const e of segmentUtterances(source.frames(new AbortController().signal), detector, vad.segmenter)) {
      if (e.type === 'pause') lastDrop.set(e.utterance.id, e.utterance.finalEndSample);
      if (e.type === 'end' && lastDrop.get(e.utterance.id) === e.utterance.finalEndSample) run.endedAsDropped++;
      if (e.type === 'pause' && options.earlyFinal) {
        run.drops++;
        const done = new Promise<void>((resolve) => { settled = resolve; });
        yield e;
        await done;
      } else {
        yield e;
      }
    }
  }
  for await (const s of recognize(events(), decoder, options)) if (s.final) run.finals.push(s);
  return run;
}

describe('the early final is the final the end would decode (real whisper, real Silero VAD, in process)', () => {
  let engine: WhisperEngine;
  before(async () => {
    // Random weights: what greedy decoding says follows every sample of the audio and every token of the prompt.
    engine = new WhisperEngine({ modelPath: randomMiniModel(), language: 'en', threads: 1, gpu: false });
    await engine.load();
  });
  after(async () => engine?.free());

  // The sample's turns all end in silence; in the minute of AMI some utterance ends where its audio is cut (25 s, or the file's end).
  for (const [name, file, allDropped] of [['the sample meeting', SAMPLE_WAV, true], ['a minute of a real meeting (AMI)', AMI_MINUTE, false]] as const) {
    it(`${name}: the same finals with the early final as when decoding at the end, and the early final was the final`, async function () {
      this.timeout(240_000);
      const atEnd = await recognizeFile(engine, file, BATCH_STREAMING_OPTIONS);
      const early = await recognizeFile(engine, file, DEFAULT_STREAMING_OPTIONS);
      const view = (r: Run) => r.finals.map((s) => [s.segmentId, s.startSample, s.endSample, s.text]);
      assert.ok(atEnd.finals.length >= 5, `${atEnd.finals.length} finals`);
      assert.deepEqual(view(early), view(atEnd));
      // Every utterance that ended where its speech last dropped took the early final's text: no decode at its end.
      const decodedAtEnd = early.decodes.filter((d) => d.final && !d.speculative).length;
      assert.equal(decodedAtEnd, early.finals.length - early.endedAsDropped, JSON.stringify(early.decodes));
      if (allDropped) assert.equal(early.endedAsDropped, early.finals.length);
      else assert.ok(early.endedAsDropped >= 1);
      assert.ok(early.drops > early.finals.length, `${early.drops} drops for ${early.finals.length} utterances: speech resumed after some`);
    });
  }

  it('the comparison above can fail: the first final over 13 frames (a hangover) less audio reads differently', async () => {
    const run = await recognizeFile(engine, SAMPLE_WAV, BATCH_STREAMING_OPTIONS);
    const first = run.firstFinal!;
    assert.equal((await engine.decode(first)).text, run.finals[0].text, 'the same request, the same text');
    // As the recognizer asks for it: the token cap and the encoder window follow the audio's length.
    const shorter = first.pcm.subarray(0, first.pcm.length - 13 * FRAME_SAMPLES);
    const sec = shorter.length / SAMPLE_RATE;
    const asked = { ...first, pcm: shorter, maxTokens: Math.ceil(sec * 8) + 4, audioCtx: Math.ceil((sec + DEFAULT_STREAMING_OPTIONS.finalContextMarginSec) * 50) + 32 };
    assert.notEqual((await engine.decode(asked)).text, run.finals[0].text);
  });
});

describe('speech that drops and resumes keeps all of its audio in one final (real daemon over JSON-RPC)', () => {
  interface Turn { start: number; end: number }
  const TURNS: Turn[] = JSON.parse(fs.readFileSync(SAMPLE_WAV.replace(/\.wav$/, '.json'), 'utf8'));
  const HELLO_WORDS = new RegExp(`^${TEST_WORD}( ${TEST_WORD})*$`);
  let daemon: Awaited<ReturnType<typeof miniDaemon>>;
  let client: RpcClient;
  let finals: TranscriptSegment[];
  let health: HealthParams;

  before(async function () {
    this.timeout(90_000);
    const file = firstTurnWav(FIXTURES_DIR, SAMPLE_WAV, TURNS[0].end);
    daemon = await miniDaemon('earshot-early-final-');
    client = daemon.client;
    const { sessionId } = await client.connection.sendRequest(SessionStart, { sources: ['file'], audioFile: file, pace: 'realtime', title: 'Drops' });
    await client.sessionDone(sessionId);
    finals = client.transcripts.filter((t) => t.sessionId === sessionId && t.final);
    health = await client.waitFor('health after done', () => client.health.find((h) => h.recognizer && h.recognizer.finals >= 1 && h.backlogSec === 0));
  });
  after(async () => daemon?.close());

  /**
   * The turn's finals in order. One, where every early final was done before `earlyEndMs` of its pause was heard (a
   * quiet machine: the speech resumed and the utterance went on); or, where one was done later (a loaded machine: the
   * decode ran into the pause), the utterance ended there and the speech that resumed within the hangover started a
   * new one that `continues` it (SegmenterOptions.earlyEndMs, issue 60). Either way the turn's audio is all said, once.
   */
  it('the turn in one final, or in pieces each continuing the last: from its start to its end, no piece left out, none said twice', () => {
    assert.ok(finals.length >= 1, 'no final');
    const pieces = [...finals].sort((a, b) => a.t0 - b.t0);
    const described = JSON.stringify(pieces.map((f) => ({ id: f.segmentId, t0: f.t0, t1: f.t1, continues: f.continues, words: f.text.split(' ').length })));
    assert.ok(Math.abs(pieces[0].t0 - TURNS[0].start) <= 0.033, `starts at ${pieces[0].t0}, the turn at ${TURNS[0].start}: ${described}`);
    assert.ok(Math.abs(pieces[pieces.length - 1].t1 - TURNS[0].end) <= 0.033, `ends at ${pieces[pieces.length - 1].t1}, the turn at ${TURNS[0].end}: ${described}`);
    assert.equal(pieces[0].continues, undefined, described);
    const { hangoverMs, preRollMs } = vadConfig().segmenter;
    for (let i = 1; i < pieces.length; i++) {
      assert.equal(pieces[i].continues, pieces[i - 1].segmentId, `piece ${i + 1} continues the one before: ${described}`);
      // No audio said twice (a piece starts where the one before ended, or later), none left out but a pause that
      // ended the utterance early, shorter than the hangover (else the speech would have been a new turn anyway).
      assert.ok(pieces[i].t0 >= pieces[i - 1].t1 - 0.001, `piece ${i + 1} overlaps the one before: ${described}`);
      assert.ok(pieces[i].t0 - pieces[i - 1].t1 < (hangoverMs + preRollMs) / 1000, `a gap longer than a pause and a pre-roll: ${described}`);
    }
    // The mini model says a word per token up to the cap, 8 a second of the final's audio + 3: the words count the audio.
    const tokens = (sec: number) => Math.ceil(sec * 8) + 3;
    for (const f of pieces) {
      assert.match(f.text, HELLO_WORDS);
      const words = f.text.split(' ').length;
      assert.ok(words >= tokens(f.t1 - f.t0), `${f.segmentId}: ${words} words: the final heard less than its audio (${described})`);
      assert.ok(words <= tokens(f.t1 - f.t0 + 0.3 + 0.2), `${f.segmentId}: ${words} words: more than one decode of its audio gives (${described})`);
    }
  });

  it('the speech did drop and resume: early finals were decoded and set aside', () => {
    const r = health.recognizer!;
    assert.equal(r.finals, finals.length);
    // At least one early final was decoded and set aside (speech resumed within the hangover). How many depends on
    // when the decoder was free: on a loaded machine a drop may pass before its early final starts.
    assert.ok(r.finalDecodes > r.finals, `${r.finalDecodes} final-grade decodes for ${r.finals} finals: none set aside`);
  });
});
