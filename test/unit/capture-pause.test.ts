/**
 * LiveSource pause/resume and the device test against fake recorders (test/support/fake-recorder.ts): a paused source
 * stops its recorder, queues a pause marker after its last frame, reports 'paused' (no stall, fault, retry or gap),
 * and resumes on the running capture clock. The real sound server is in test/integration/pause-dictation.test.ts and
 * device-test.test.ts.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { testDevice } from '../../daemon/capture/deviceTest';
import { CaptureError } from '../../daemon/capture/faults';
import { LiveSource, LiveSourceOptions } from '../../daemon/capture/live';
import { InputLevel } from '../../daemon/capture/pcm';
import { FRAME_SAMPLES } from '../../daemon/capture/source';
import { CaptureRun, startCapture } from '../support/capture';
import { alive, fakeLauncher } from '../support/fake-launcher';
import { LoopLateness, lostNote, watchLateness } from '../support/loop-lateness';

const SR = 16000;


describe('LiveSource pause and resume (fake recorders)', function () {
  this.timeout(30_000);
  const runs: CaptureRun[] = [];
  const capture = (options: LiveSourceOptions) => {
    const run = startCapture(new LiveSource(options));
    runs.push(run);
    return run;
  };
  /** How late this process ran meanwhile (loop-lateness.ts): the source's own steps ran as late. */
  let loop: LoopLateness;
  beforeEach(() => { loop = watchLateness(); });
  afterEach(async () => {
    loop.stop();
    await Promise.all(runs.splice(0).map((r) => r.stop()));
  });

  it('pause stops the recorder, ends the frames with a marker, and stays quiet: no stall, no retry, no gap', async () => {
    const origin = performance.now();
    const launcher = fakeLauncher([{ then: 'forever' }]);
    // The stall watchdog is short, so that the quiet pause outlasts it and its restart; a new recorder may take its time to
    // start (on a loaded machine the resume's fake recorder once took over 300 ms to write, and the run saw 'stalled').
    const run = capture({ kind: 'mic', launcher, clockOrigin: origin, stallMs: 300, firstDataMs: 10_000, stallRestartMs: 600 });
    await run.waitFor(() => run.frames.length >= 20, '20 frames');
    assert.equal(run.source.pause(), true);
    assert.equal(run.source.pause(), false, 'pausing again does nothing');
    assert.equal(run.source.isPaused, true);
    const paused = await run.waitForStatus('paused');
    assert.equal(paused.message, undefined);
    await run.waitFor(() => !alive(launcher.pids[0]), 'the recorder gone');
    await run.waitFor(() => run.frames.some((f) => f.pause), 'the pause marker');
    const marker = run.frames.findIndex((f) => f.pause);
    assert.equal(marker, run.frames.length - 1, 'the marker is the last frame');
    const before = run.frames[marker - 1];
    assert.equal(run.frames[marker].samples.length, 0);
    assert.equal(run.frames[marker].startSample, before.startSample + FRAME_SAMPLES, 'the marker sits after the last whole frame');
    const count = run.frames.length;
    await sleep(1500); // longer than the stall watchdog and the restart of a stalled recorder
    assert.equal(run.frames.length, count, 'nothing while paused');
    assert.equal(launcher.starts, 1, 'no retry while paused');
    assert.deepEqual(run.statuses.map((s) => s.state), ['starting', 'capturing', 'paused']);

    const resumedAt = performance.now();
    assert.equal(run.source.resume(), true);
    assert.equal(run.source.resume(), false, 'resuming again does nothing');
    await run.waitForStatus('capturing', resumedAt);
    await run.waitFor(() => run.frames.length > count + 10, 'frames after the resume');
    const after = run.frames[count];
    const resumeSample = ((resumedAt - origin) / 1000) * SR;
    assert.ok(after.startSample >= resumeSample - 1, `the first frame after the resume (${after.startSample}) is not before it (${resumeSample.toFixed(0)})`);
    // About when it arrived (the recorder's start-up after the resume, which a loaded machine stretches, is no gap the
    // clock invents): the run's first chunk is placed to end at its arrival, never ahead of it (clock.ts).
    const arrived = ((after.capturedAt! - origin) / 1000) * SR;
    assert.ok(after.startSample <= arrived + 1, `the first frame after the resume (${after.startSample}) is not ahead of its arrival (${arrived.toFixed(0)})`);
    // (Its frame may be completed by a later chunk, which a loop that lost time reads late.)
    const lostSamples = (loop.lostMs(resumedAt, after.capturedAt!) / 1000) * SR;
    assert.ok(after.startSample > arrived - 0.5 * SR - lostSamples, `and about when it arrived (${after.startSample} vs ${arrived.toFixed(0)}) ${lostNote((lostSamples / SR) * 1000)}`);
    await run.stop();
    assert.deepEqual(run.statuses.map((s) => s.state), ['starting', 'capturing', 'paused', 'starting', 'capturing', 'stopped']);
    assert.equal(run.statuses[run.statuses.length - 1].gapSamples, 0, 'the pause is not a gap');
    assert.equal(launcher.starts, 2);
    assert.ok(!launcher.pids.some(alive));
    assert.deepEqual(run.errors, []);
  });

  it('a pause during the wait before a retry cancels it; after the resume a failing recorder is retried with backoff again', async () => {
    const launcher = fakeLauncher([{ writeMs: 300, then: 'exit', exitCode: 1 }]);
    const run = capture({ kind: 'mic', launcher, backoff: { initialMs: 400 } });
    const failed = await run.waitForStatus('failed');
    assert.equal(failed.retryInMs, 400);
    run.source.pause();
    await run.waitForStatus('paused', failed.at);
    await sleep(800);
    assert.equal(launcher.starts, 1, 'the retry did not happen while paused');
    const resumedAt = performance.now();
    run.source.resume();
    const starting = await run.waitForStatus('starting', resumedAt);
    // At once, not after the 400 ms backoff: a few promise steps, late only by what the event loop lost meanwhile.
    const lost = loop.lostMs(resumedAt, starting.at);
    assert.ok(starting.at - resumedAt < 300 + lost, `a resume starts at once: after ${(starting.at - resumedAt).toFixed(0)} ms ${lostNote(lost)}`);
    const again = await run.waitForStatus('failed', resumedAt);
    assert.equal(again.retryInMs, 400, 'the backoff starts afresh');
    await run.waitForStatus('retrying', again.at);
    assert.equal(launcher.starts, 3);
  });

  it('a recorder down after a resume is a gap again (only the paused time is not)', async () => {
    const launcher = fakeLauncher([{ then: 'forever' }, { writeMs: 0, then: 'exit', exitCode: 1 }, { then: 'forever' }]);
    const run = capture({ kind: 'mic', launcher, backoff: { initialMs: 600 } });
    await run.waitForStatus('capturing');
    run.source.pause();
    await run.waitForStatus('paused');
    await sleep(500);
    const resumedAt = performance.now();
    run.source.resume();
    await run.waitForStatus('failed', resumedAt);
    const back = await run.waitForStatus('capturing', resumedAt);
    await run.stop();
    const gap = run.statuses[run.statuses.length - 1].gapSamples / SR;
    const downMs = back.at - resumedAt;
    assert.ok(gap > 0.5 && gap < downMs / 1000 + 0.2, `a gap of ${gap.toFixed(2)} s for ${downMs.toFixed(0)} ms down after the resume`);
  });

  it('a resume right after the pause still ends the frames with a marker (the consumer flushes) and captures again', async () => {
    const launcher = fakeLauncher([{ then: 'forever' }]);
    const run = capture({ kind: 'mic', launcher });
    await run.waitFor(() => run.frames.length >= 10, '10 frames');
    run.source.pause();
    run.source.resume();
    await run.waitFor(() => run.frames.some((f) => f.pause), 'the marker');
    const marker = run.frames.findIndex((f) => f.pause);
    await run.waitFor(() => run.frames.length > marker + 10, 'frames after it');
    assert.deepEqual(run.statuses.map((s) => s.state), ['starting', 'capturing', 'paused', 'starting', 'capturing']);
    assert.equal(launcher.starts, 2);
  });

  it('stop while paused ends frames() at once with "stopped"', async () => {
    const launcher = fakeLauncher([{ then: 'forever' }]);
    const run = capture({ kind: 'system', launcher });
    await run.waitForStatus('capturing');
    run.source.pause();
    await run.waitForStatus('paused');
    const t = performance.now();
    await run.stop();
    // At once: no recorder runs to wait for. Later only by what the event loop lost meanwhile.
    const took = performance.now() - t;
    const lost = loop.lostMs(t, t + took);
    assert.ok(took < 500 + lost, `stopped in ${took.toFixed(0)} ms ${lostNote(lost)}`);
    assert.equal(run.statuses[run.statuses.length - 1].state, 'stopped');
    assert.equal(run.source.isPaused, false);
    assert.equal(run.source.pause(), false, 'nothing to pause once stopped');
  });
});

describe('device test (fake recorders)', function () {
  this.timeout(30_000);
  /** How late this process ran meanwhile (loop-lateness.ts): the device test's timer ran as late. */
  let loop: LoopLateness;
  beforeEach(() => { loop = watchLateness(); });
  afterEach(() => { loop.stop(); });

  it('measures about `seconds` from the first audio, sends levels about 10 a second, answers the loudest', async () => {
    const levels: InputLevel[] = [];
    const t = performance.now();
    const outcome = await testDevice({ kind: 'mic', launcher: fakeLauncher([{ then: 'forever', amplitude: 0.5 }]), seconds: 1.2, onLevel: (l) => levels.push(l) });
    const end = performance.now();
    // The 1.2 s are counted from the first audio, which came after the call: never less. The recorder's start-up is
    // not counted, so the upper bound is taken from the first level (100 ms of audio in): the rest of the 1.2 s, the
    // timer's tick (50 ms) and a margin, later by what the event loop lost meanwhile.
    assert.ok(end - t >= 1200, `took ${(end - t).toFixed(0)} ms`);
    assert.ok(levels.length > 0, 'levels were sent');
    const lost = loop.lostMs(levels[0].at, end);
    assert.ok(end - levels[0].at < 1600 + lost, `ended ${(end - levels[0].at).toFixed(0)} ms after the first level ${lostNote(lost)}`);
    assert.equal(outcome.recorder, 'fake');
    // A 0.5 sine: -9.03 dBFS RMS, -6.02 dBFS peak.
    assert.ok(Math.abs(outcome.rmsDbfs - -9) < 0.3, `rms ${outcome.rmsDbfs}`);
    assert.ok(Math.abs(outcome.peakDbfs - -6) < 0.3, `peak ${outcome.peakDbfs}`);
    assert.equal(outcome.heard, true);
    // A level per 100 ms window of arrivals, never more often; fewer when the audio came late in bursts (a window
    // ends at the first chunk after its 100 ms), so the count allows a window for every 100 ms the event loop lost.
    for (let i = 1; i < levels.length; i++) assert.ok(levels[i].at - levels[i - 1].at >= 100, `levels ${i - 1} and ${i} ${(levels[i].at - levels[i - 1].at).toFixed(0)} ms apart`);
    const lostAll = loop.lostMs(t, end);
    // At least 3 whatever the load: the audio of 1.2 s holds that many windows even when it all came in bursts.
    assert.ok(levels.length >= Math.max(3, 8 - Math.floor(lostAll / 100)) && levels.length <= 14, `${levels.length} levels in 1.2 s ${lostNote(lostAll)}`);
  });

  it('digital silence is not heard', async () => {
    const outcome = await testDevice({ kind: 'mic', launcher: fakeLauncher([{ then: 'forever', amplitude: 0 }]), seconds: 0.5 });
    assert.equal(outcome.heard, false);
    assert.equal(outcome.rmsDbfs, -100);
  });

  it('a quiet hiss below -50 dBFS is not heard; speech-loud audio is', async () => {
    const quiet = await testDevice({ kind: 'mic', launcher: fakeLauncher([{ then: 'forever', amplitude: 0.002 }]), seconds: 0.5 });
    assert.equal(quiet.heard, false, `rms ${quiet.rmsDbfs}`);
    const loud = await testDevice({ kind: 'mic', launcher: fakeLauncher([{ then: 'forever', amplitude: 0.01 }]), seconds: 0.5 });
    assert.equal(loud.heard, true, `rms ${loud.rmsDbfs}`);
  });

  it('a recorder that is not installed fails at once with the message a session gives, and is not retried', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-devtest-'));
    try {
      const t = performance.now();
      const e = await testDevice({ kind: 'mic', recorder: 'sox', env: { ...process.env, PATH: dir }, seconds: 5 }).then(() => undefined, (err: unknown) => err);
      const took = performance.now() - t;
      assert.ok(e instanceof CaptureError, String(e));
      assert.equal(e.fault.reason, 'recorder-missing');
      assert.match(e.message, /"sox" is not installed.*apt install sox/);
      // At the first failed start (a spawn error), not after retries or the 5 s: later by what the event loop lost.
      const lost = loop.lostMs(t, t + took);
      assert.ok(took < 2000 + lost, `failed after ${took.toFixed(0)} ms ${lostNote(lost)}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a recorder that dies with a sound-server error fails with the server message', async () => {
    const launcher = fakeLauncher([{ writeMs: 200, then: 'exit', exitCode: 1, stderr: 'Connection failure: Connection refused\npa_context_connect() failed: Connection refused' }]);
    const e = await testDevice({ kind: 'system', launcher, seconds: 3 }).then(() => undefined, (err: unknown) => err);
    assert.ok(e instanceof CaptureError, String(e));
    assert.equal(e.fault.reason, 'server-not-running');
    assert.match(e.message, /sound server/);
    assert.equal(launcher.starts, 1);
  });

  it('a recorder that never delivers audio fails (stalled) instead of answering silence', async () => {
    const e = await testDevice({ kind: 'mic', launcher: fakeLauncher([{ writeMs: 0, then: 'stall' }]), seconds: 1, firstDataMs: 500 })
      .then(() => undefined, (err: unknown) => err);
    assert.ok(e instanceof CaptureError, String(e));
    assert.equal(e.fault.reason, 'stalled');
    assert.match(e.message, /No microphone audio/);
  });

  it('an abort ends it early with the level so far', async () => {
    const ac = new AbortController();
    // Aborted once audio was measured (three levels: 0.3 s of it), not at a time: a recorder slow to start on a loaded
    // machine would have given no level yet.
    let levels = 0;
    let abortedAt = 0;
    const outcome = await testDevice({
      kind: 'mic', launcher: fakeLauncher([{ then: 'forever' }]), seconds: 10, signal: ac.signal,
      onLevel: () => { if (++levels === 3) { abortedAt = performance.now(); ac.abort(); } },
    });
    // Ends at the abort, not after the 10 s: later by what the event loop lost meanwhile.
    const took = performance.now() - abortedAt;
    const lost = loop.lostMs(abortedAt, abortedAt + took);
    assert.ok(abortedAt > 0 && took < 1000 + lost, `ended ${took.toFixed(0)} ms after the abort ${lostNote(lost)}`);
    assert.equal(outcome.heard, true);
  });
});
