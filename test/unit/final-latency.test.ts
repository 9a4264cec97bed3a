/**
 * Floors for issue 60's latency at the edges of speech, counted in frames (no clock): a session over a live-like source
 * (one frame per turn of the event loop), the energy detector and a decoder that answers at once. The final of a turn
 * is handed over within earlyEndMs of the speech dropping, not after the hangover, because its early final was done;
 * the marks figure 3 reads (daemon/asr/latencyMarks.ts) come in order. Timed figures: `npm run bench -- latency`.
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
import { FakeDecoder, FakeLiveSource } from './fakes';

const frames = (ms: number) => Math.ceil((ms / 1000) * SAMPLE_RATE / FRAME_SAMPLES);

/** One turn (1.5 s of tone, then silence) through a session; each mark with the frames the source had delivered then. */
async function oneTurn(segmenter: SegmenterOptions, dir: string) {
  const source = new FakeLiveSource('mic', 'You', [1.5, 1.5], 3);
  const marks: (LatencyMark & { frames: number })[] = [];
  const transcripts: TranscriptSegment[] = [];
  latencyMarks.listener = (m) => marks.push({ ...m, frames: source.framesDelivered });
  const config: SessionConfig = {
    sessionId: 'edge', title: 'Edge', language: 'en', startedAt: new Date(), sources: [source], segmenter,
    journalPath: path.join(dir, 'sessions', 'edge.jsonl'), notesPath: path.join(dir, 'notes', 'edge.md'),
    decoder: new FakeDecoder(() => 'hello'), createDetector: () => new EnergyDetector(),
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
  return { marks, of, finals: transcripts.filter((t) => t.final && t.text) };
}

describe('the final at the end of speech, in frames (issue 60)', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-final-latency-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it(`the final is handed over within earlyEndMs (${DEFAULT_SEGMENTER_OPTIONS.earlyEndMs} ms) of the drop, not after the hangover (${DEFAULT_SEGMENTER_OPTIONS.hangoverMs} ms)`, async () => {
    const { of, finals } = await oneTurn(DEFAULT_SEGMENTER_OPTIONS, dir);
    assert.deepEqual(finals.map((f) => [f.segmentId, f.text]), [['mic-1', 'hello']]);
    const drop = of('drop').pop()!;
    const ready = of('finalReady')[0];
    const waited = ready.frames - drop.frames;
    assert.ok(waited <= frames(DEFAULT_SEGMENTER_OPTIONS.earlyEndMs!) + 1, `${waited} frames from the drop to the final`);
    assert.ok(waited < frames(DEFAULT_SEGMENTER_OPTIONS.hangoverMs), `${waited} frames: the hangover's wait`);
  });

  it('with no pause asked for (earlyEndMs 0), the final goes out in the frame the speech drops: nothing waits behind the decode', async () => {
    const { of } = await oneTurn({ ...DEFAULT_SEGMENTER_OPTIONS, earlyEndMs: 0 }, dir);
    const drop = of('drop').pop()!;
    const ready = of('finalReady')[0];
    assert.equal(ready.frames, drop.frames, 'no frame between');
  });

  it('the marks come in order: drop, the final\'s decode, the end, handed over, journaled', async () => {
    const { marks } = await oneTurn(DEFAULT_SEGMENTER_OPTIONS, dir);
    const mine = marks.filter((m) => m.segmentId === 'mic-1');
    const last = (stage: LatencyMark['stage']) => mine.filter((m) => m.stage === stage).pop()!;
    const decode = last('finalDecode');
    assert.ok(decode.span && decode.span.start <= decode.span.end);
    assert.ok(last('drop').at <= decode.span.start, 'the early final starts after the drop');
    assert.ok(decode.span.end <= last('vadEnd').at && last('vadEnd').at <= last('finalReady').at && last('finalReady').at <= last('journaled').at);
    assert.equal(mine.filter((m) => m.stage === 'finalReady').length, 1, 'one final');
  });
});
