import * as assert from 'node:assert/strict';
import { DEGRADE_LADDER, DegradeLadder } from '../../daemon/asr/degrade';
import { DEFAULT_STREAMING_OPTIONS } from '../../daemon/asr/streaming';

describe('degrade ladder', () => {
  const run = (ladder: DegradeLadder, backlogSec: number, fromMs: number, seconds: number) => {
    for (let t = fromMs; t <= fromMs + seconds * 1000; t += 250) ladder.observe(backlogSec, t);
    return fromMs + seconds * 1000;
  };

  it('steps down one rung per sustained period behind, and never past finals only', () => {
    const changes: number[] = [];
    const ladder = new DegradeLadder((level) => changes.push(level));
    let t = run(ladder, 3, 0, 3.9);
    assert.equal(ladder.level, 0, 'not yet: 4 s behind are needed');
    t = run(ladder, 3, t, 0.5);
    assert.equal(ladder.level, 1);
    t = run(ladder, 3, t, 60);
    assert.equal(ladder.level, DEGRADE_LADDER.length - 1);
    assert.deepEqual(changes, [1, 2, 3, 4]);
    assert.ok(DEGRADE_LADDER[ladder.level].smallerModel, 'the last rung asks for a smaller model');
    assert.equal(ladder.options(DEFAULT_STREAMING_OPTIONS).partials, false, 'the last rung keeps finals only');
  });

  it('a single slow moment does not degrade', () => {
    const ladder = new DegradeLadder();
    let t = run(ladder, 3, 0, 3);
    t = run(ladder, 0.1, t, 1);
    run(ladder, 3, t, 3);
    assert.equal(ladder.level, 0);
  });

  it('climbs back up after keeping up for a sustained time', () => {
    const ladder = new DegradeLadder();
    let t = run(ladder, 3, 0, 9);
    assert.equal(ladder.level, 2);
    t = run(ladder, 0.1, t, 16);
    assert.equal(ladder.level, 1);
    run(ladder, 0.1, t, 16);
    assert.equal(ladder.level, 0);
  });

  it('each rung only makes partials rarer: finals and decoding caps are untouched', () => {
    for (const rung of DEGRADE_LADDER) {
      const o = rung.apply(DEFAULT_STREAMING_OPTIONS);
      assert.ok(o.partialIntervalSec >= DEFAULT_STREAMING_OPTIONS.partialIntervalSec);
      assert.equal(o.maxTokensPerSec, DEFAULT_STREAMING_OPTIONS.maxTokensPerSec);
    }
  });
});
