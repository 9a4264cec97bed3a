/**
 * Floors for issue 60's latency at the edges of speech, counted in frames (no clock): a session over a live-like source
 * (one frame per turn of the event loop), the energy detector and a decoder whose finals take a set number of frames.
 * A final whose decode outlasts earlyEndMs of the pause is handed over in the frame its decode ends, not after the
 * hangover; one decoded sooner waits for the hangover, as before; the marks figure 3 reads
 * (daemon/asr/latencyMarks.ts) come in order. Timed figures: `npm run bench -- latency`.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TranscriptSegment } from '../../protocol/protocol';
import { LatencyMark, latencyMarks } from '../../daemon/asr/latencyMarks';
import { FRAME_SAMPLES, SAMPLE_RATE } from '../../daemon/capture/source';
import { Session, SessionConfig } from '../../daemon/session/session';
import { EnergyDetector } from '../../daemon/vad/energy';
import { DEFAULT_SEGMENTER_OPTIONS, SegmenterOptions } from '../../daemon/vad/segmenter';
import { Decoder } from '../../daemon/asr/streaming';
import { FakeLiveSource } from './fakes';

const frames = (ms: number) => Math.ceil((ms / 1000) * SAMPLE_RATE / FRAME_SAMPLES);

/**
 * A decoder whose final-grade decodes answer `finalFrames` frames of the source later (partials at once); `finalsDone`
 * gets the frames delivered as each final-grade decode answered.
 */
function framesDecoder(source: FakeLiveSource, finalFrames: number, finalsDone: number[]): Decoder {
  return {
    async decode(request) {
      const until = source.framesDelivered + (request.final ? finalFrames : 0);
      while (source.framesDelivered < until && !source.closed) await new Promise((resolve) => setImmediate(resolve));
      if (request.final) finalsDone.push(source.framesDelivered);
      return { text: 'hello', ms: 0 };
    },
  };
}

/**
 * One turn (1.5 s of tone, then silence) through a session whose finals take `finalFrames` frames to decode; each mark
 * with the frames the source had delivered then.
 */
async function oneTurn(segmenter: SegmenterOptions, dir: string, finalFrames: number) {
  const source = new FakeLiveSource('mic', 'You', [1.5, 1.5], 3);
  const marks: (LatencyMark & { frames: number })[] = [];
  const transcripts: TranscriptSegment[] = [];
  const finalsDone: number[] = [];
  latencyMarks.listener = (m) => marks.push({ ...m, frames: source.framesDelivered });
  const config: SessionConfig = {
    sessionId: 'edge', title: 'Edge', language: 'en', startedAt: new Date(), sources: [source], segmenter,
    journalPath: path.join(dir, 'sessions', 'edge.jsonl'), notesPath: path.join(dir, 'notes', 'edge.md'),
    decoder: framesDecoder(source, finalFrames, finalsDone), createDetector: () => new EnergyDetector(),
  };
  try {
    const session = await Session.start(config, {
      transcript: (s) => transcripts.push(s), actionItem: () => undefined, decision: () => undefined, state: () => undefined,
    });
    // The turn's final, or the end of the audio (3 s) without one.
    while (!transcripts.some((t) => t.final) && !source.closed) await new Promise((resolve) => setTimeout(resolve, 5));
    await session.stop();
  } finally {
    latencyMarks.listener = undefined;
  }
  const of = (stage: LatencyMark['stage']) => marks.filter((m) => m.segmentId === 'mic-1' && m.stage === stage);
  return { marks, of, finals: transcripts.filter((t) => t.final && t.text), finalsDone };
}

describe('the final at the end of speech, in frames (issue 60)', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-final-latency-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const earlyEnd = frames(DEFAULT_SEGMENTER_OPTIONS.earlyEndMs!);
  const hangover = frames(DEFAULT_SEGMENTER_OPTIONS.hangoverMs);

  it(`a final decoded in more than earlyEndMs (${DEFAULT_SEGMENTER_OPTIONS.earlyEndMs} ms) is handed over as its decode ends, not after the hangover (${DEFAULT_SEGMENTER_OPTIONS.hangoverMs} ms)`, async () => {
    const { of, finals, finalsDone } = await oneTurn(DEFAULT_SEGMENTER_OPTIONS, dir, earlyEnd + 1);
    assert.deepEqual(finals.map((f) => [f.segmentId, f.text]), [['mic-1', 'hello']]);
    assert.equal(finalsDone.length, 1, 'one final-grade decode: the early final');
    const decodeEnd = finalsDone[0];
    const ready = of('finalReady')[0].frames;
    const drop = of('drop').pop()!.frames;
    assert.ok(ready - decodeEnd <= 1, `${ready - decodeEnd} frames from the decode's end to the final: nothing waits behind it`);
    assert.ok(ready - drop < hangover, `${ready - drop} frames from the drop: the hangover's wait`);
  });

  it('a final decoded sooner waits for the hangover, as before (where whisper is fast, utterances stay as they were)', async () => {
    const { of } = await oneTurn(DEFAULT_SEGMENTER_OPTIONS, dir, 0);
    const waited = of('finalReady')[0].frames - of('drop').pop()!.frames;
    assert.ok(waited >= hangover - 1 && waited <= hangover + 1, `${waited} frames from the drop to the final`);
  });

  it('with earlyEndMs 0, an instant final goes out in the frame the speech drops', async () => {
    const { of } = await oneTurn({ ...DEFAULT_SEGMENTER_OPTIONS, earlyEndMs: 0 }, dir, 0);
    assert.equal(of('finalReady')[0].frames, of('drop').pop()!.frames, 'no frame between');
  });

  it('the marks come in order: drop, the final\'s decode, the end, handed over, journaled', async () => {
    const { marks } = await oneTurn(DEFAULT_SEGMENTER_OPTIONS, dir, earlyEnd + 1);
    const mine = marks.filter((m) => m.segmentId === 'mic-1');
    const last = (stage: LatencyMark['stage']) => mine.filter((m) => m.stage === stage).pop()!;
    const decode = last('finalDecode');
    assert.ok(decode.span && decode.span.start <= decode.span.end);
    assert.ok(last('drop').at <= decode.span.start, 'the early final starts after the drop');
    assert.ok(decode.span.end <= last('vadEnd').at && last('vadEnd').at <= last('finalReady').at && last('finalReady').at <= last('journaled').at);
    assert.equal(mine.filter((m) => m.stage === 'finalReady').length, 1, 'one final');
  });
});
