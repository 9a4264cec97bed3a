import * as assert from 'node:assert/strict';
import { FRAME_SAMPLES } from '../../daemon/capture/source';
import { frameDb, LevelNormalizedDetector, LevelTracker } from '../../daemon/vad/level';
import { SpeechDetector } from '../../daemon/vad/segmenter';

/** A frame of a 200 Hz tone at `db` dBFS RMS. */
function tone(db: number): Float32Array {
  const amplitude = Math.SQRT2 * 10 ** (db / 20);
  return Float32Array.from({ length: FRAME_SAMPLES }, (_, i) => amplitude * Math.sin((2 * Math.PI * 200 * i) / 16000));
}
/** A frame of deterministic noise at about `db` dBFS RMS. */
function noise(db: number, seed = 1): Float32Array {
  let x = seed;
  const amplitude = Math.sqrt(3) * 10 ** (db / 20);
  return Float32Array.from({ length: FRAME_SAMPLES }, () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 30 - 1) * amplitude);
}

describe('level handling in front of the detector', () => {
  it('measures a frame in dBFS RMS', () => {
    assert.ok(Math.abs(frameDb(tone(-30)) - -30) < 0.1);
    assert.ok(frameDb(new Float32Array(FRAME_SAMPLES)) < -100);
  });

  it('brings quiet speech over a low floor up, by a bounded gain', () => {
    const tracker = new LevelTracker(-26);
    let gain = 0;
    // 2 s of a −70 dBFS floor, then speech-like bursts at −45 dBFS with floor between them.
    for (let i = 0; i < 60; i++) gain = tracker.observe(-70);
    assert.equal(gain, 0, 'no speech seen yet: no gain');
    for (let i = 0; i < 300; i++) gain = tracker.observe(i % 4 === 3 ? -70 : -45);
    const { speechDb, floorDb } = tracker.state();
    assert.ok(speechDb !== null && Math.abs(speechDb - -45) < 1, `speech level ${speechDb}`);
    assert.ok(floorDb < -60, `floor ${floorDb}`);
    // Wanted: −26 − (−45) = 19 dB, under both bounds (24 dB; floor −70 + 19 < −50).
    assert.ok(Math.abs(gain - 19) < 1.1, `gain ${gain}`);
  });

  it('never lifts the noise floor above −50 dBFS, and never gains more than 24 dB', () => {
    const noisy = new LevelTracker(-26);
    let gain = 0;
    for (let i = 0; i < 400; i++) gain = noisy.observe(i % 3 === 0 ? -56 : -42); // speech barely above a −56 floor
    assert.ok(gain <= -50 - noisy.state().floorDb + 1e-9, `gain ${gain} lifts the floor ${noisy.state().floorDb} above −50`);
    const faint = new LevelTracker(-10);
    for (let i = 0; i < 400; i++) gain = faint.observe(i % 4 === 3 ? -80 : -58);
    assert.ok(gain <= 24 + 1e-9, `gain ${gain}`);
  });

  it('changes the gain slowly (at most 1 dB a frame), so a word is not pumped', () => {
    const tracker = new LevelTracker(-26);
    let previous = 0;
    for (let i = 0; i < 200; i++) {
      const gain = tracker.observe(i < 100 ? (i % 4 === 3 ? -75 : -50) : -20);
      assert.ok(Math.abs(gain - previous) <= 1 + 1e-9, `frame ${i}: ${previous} → ${gain}`);
      previous = gain;
    }
  });

  it('the detector hears gained frames, loud frames as they are and digital silence untouched (the silence gate still works)', async () => {
    const heard: number[] = [];
    const inner: SpeechDetector = { score: (f) => (heard.push(frameDb(f)), 0.5), endLagFrames: 1, stats: { frames: 7, modelRuns: 3 } };
    const detector = new LevelNormalizedDetector(inner, -26);
    for (let i = 0; i < 300; i++) await detector.score(i % 4 === 3 ? noise(-72, i) : tone(-45));
    const gained = heard[heard.length - 2];
    assert.ok(gained > -45 + 15, `a −45 dBFS frame reached the detector at ${gained.toFixed(1)} dBFS`);
    heard.length = 0;
    await detector.score(tone(-15));
    assert.ok(Math.abs(heard[0] - -15) < 0.2, `a loud frame is not raised: ${heard[0]}`);
    heard.length = 0;
    await detector.score(new Float32Array(FRAME_SAMPLES));
    assert.ok(heard[0] < -100, 'digital silence passes untouched');
    assert.equal(detector.endLagFrames, 1);
    assert.deepEqual(detector.stats, { frames: 7, modelRuns: 3 });
  });
});
