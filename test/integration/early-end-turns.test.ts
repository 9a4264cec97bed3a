/**
 * Issue 60: the early end (SegmenterOptions.earlyEndMs) on real meetings, with the real Silero model, counted in
 * frames (test/bench/edge-turns.ts; no clock). Where the early final decodes in 224–320 ms (a quiet or faster machine)
 * it splits turns at their pauses: more finals than the hangover alone gives, cut inside the human reference's turns.
 * Floor: with the continued segments joined (Utterance.continues, as the notes join them), no more lines than without
 * the early end, and no more lines cut inside a turn. Held-out AMI meetings (not the trn* excerpts the figures chose on).
 */
import * as assert from 'node:assert/strict';
import { vadConfig } from '../../daemon/vad/config';
import { vadRecordings } from '../eval/vad/corpus';
import { scoreFile } from '../eval/vad/replay';
import { cutTurns, isDev } from '../bench/edge-turns';

describe('the early end on real meetings: split turns are joined again (issue 60)', function () {
  this.timeout(180_000);

  it('held-out AMI meetings: as many lines as the hangover alone gives, at most, and no more cut inside a turn', async () => {
    const config = vadConfig();
    const meetings = vadRecordings().filter((r) => r.kind === 'meeting' && !isDev(r));
    assert.ok(meetings.length >= 3, `${meetings.length} held-out meetings`);
    const scored = await Promise.all(meetings.map(async (r) => ({ r, scored: await scoreFile(r.file, config) })));
    for (const decodeFrames of [7, 10]) {
      const total = async (earlyEndMs: number | undefined) => {
        const cuts = await Promise.all(scored.map((s) => cutTurns(s.scored, s.r.turns, { ...config.segmenter, earlyEndMs }, decodeFrames)));
        const sum = (f: (c: (typeof cuts)[number]) => number) => cuts.reduce((n, c) => n + f(c), 0);
        return { utterances: sum((c) => c.utterances), lines: sum((c) => c.lines), midTurn: sum((c) => c.midTurn), midTurnLines: sum((c) => c.midTurnLines) };
      };
      const [hangover, early] = [await total(undefined), await total(200)];
      const what = `decode ${decodeFrames} frames: hangover ${JSON.stringify(hangover)}, early end ${JSON.stringify(early)}`;
      assert.ok(early.utterances > hangover.utterances, `the early end splits turns (else this checks nothing): ${what}`);
      assert.ok(early.lines <= hangover.lines, `lines: ${what}`);
      assert.ok(early.midTurnLines <= hangover.midTurn, `lines cut inside a turn: ${what}`);
    }
  });
});
