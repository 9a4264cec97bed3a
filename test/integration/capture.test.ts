/**
 * Live capture against a real sound server: a private headless PulseAudio (test/support/pulse.ts) with a virtual
 * microphone and a virtual speaker, real recorders (sox, rec, arecord, parec; ffmpeg when installed), espeak-ng
 * speech played with paplay. No fakes: what a user's machine does, minus the sound card.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemCaptureAvailability } from '../../daemon/capture/devices';
import { LiveSource, LiveSourceOptions } from '../../daemon/capture/live';
import { MicRecorderName, SystemRecorderName } from '../../daemon/capture/recorderCommand';
import { FRAME_SAMPLES } from '../../daemon/capture/source';
import { findExecutable } from '../../daemon/capture/tools';
import { audifyStatus } from '../../daemon/capture/audify';
import { pathWithoutRecorders, RECORDER_PROGRAMS } from '../support/no-recorders';
import { CaptureRun, startCapture } from '../support/capture';
import { blockMatches, describeBlocks, findIn, heldInOrder, Match, readWavMono16 } from '../support/correlate';
import { LoopLateness, lostNote, watchLateness } from '../support/loop-lateness';
import { PulseServer } from '../support/pulse';
import { callFixtures } from '../support/speech';
import { runEarshot } from './daemon-process';

const SR = 16000;
/** Captured audio must match what was played at least this well (the bar; a clean capture scores ≥ 0.98). */
const MIN_R = 0.95;
/** The other side of the call may not show up in a capture above this correlation. */
const MAX_CROSSTALK_R = 0.2;

/**
 * Asserts the capture holds what was played, whole and in order: one match at r ≥ MIN_R, or, where the sound server
 * inserted time into the stream on a loaded machine (a playback underrun, a rewind; never seen unloaded), every half
 * second of it at r ≥ MIN_R in order, each at most 0.1 s later than the one before and none earlier (audio lost would
 * bring what follows earlier). The failure message gives each half second's r.
 */
function assertHeard(ref: Float32Array, cap: Float32Array, what: string): Match {
  const match = findIn(ref, cap);
  const whole = `${what}: r = ${match.r.toFixed(4)}, overlap ${match.overlap} of ${ref.length}`;
  assert.equal(match.overlap, ref.length, whole);
  if (match.r >= MIN_R) return match;
  // Only a capture that differs is read half second by half second (a search per block).
  const blocks = blockMatches(ref, cap, match.lag);
  assert.ok(heldInOrder(blocks, MIN_R, 0.1 * SR), `${whole}; ${describeBlocks(blocks)}`);
  return match;
}

describe('live capture (real PulseAudio)', function () {
  this.timeout(60_000);
  let pulse: PulseServer;
  let dir: string;
  let fx: { mic: string; speaker: string };
  let micSpeech: Float32Array;
  let speakerSpeech: Float32Array;
  const runs: CaptureRun[] = [];
  /** How late this process ran meanwhile (loop-lateness.ts): the sources' events and watchdog ticks ran as late. */
  let loop: LoopLateness;

  const capture = (options: Omit<LiveSourceOptions, 'env'> & { env?: NodeJS.ProcessEnv }): CaptureRun => {
    const run = startCapture(new LiveSource({ env: pulse.env, ...options }));
    runs.push(run);
    return run;
  };
  /** Plays the call: speech into the microphone and other speech out of the speaker, at the same time. */
  const playCall = async () => {
    await Promise.all([pulse.play('mic_feed', fx.mic).done, pulse.play('speaker', fx.speaker).done]);
    await sleep(400); // the slowest recorder's latency (rec ≈ 500 ms is covered by the capture window's slack)
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-capture-it-'));
    fx = callFixtures(dir);
    micSpeech = readWavMono16(fx.mic);
    speakerSpeech = readWavMono16(fx.speaker);
    pulse = await PulseServer.start();
    // The in-process backend is part of what is tested: CI builds it at `npm ci` (scripts/build-audify.js).
    const audify = audifyStatus();
    assert.ok(audify.available, `audify must be built for these tests: ${audify.reason} (node scripts/build-audify.js)`);
  });
  after(async () => {
    await Promise.all(runs.splice(0).map((r) => r.stop()));
    await pulse?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => { loop = watchLateness(); });
  afterEach(async function () {
    loop.stop();
    await Promise.all(runs.splice(0).map((r) => r.stop()));
    pulse.thaw();
    if (!pulse.running) await pulse.restart(); // a test that failed half-way
    for (const r of runs) assert.deepEqual(r.errors, []);
  });

  it('captures the microphone and system audio at once: each matches what was played (r ≥ 0.95), crosstalk low, clocks aligned', async () => {
    const origin = performance.now();
    const mic = capture({ kind: 'mic', clockOrigin: origin });
    const system = capture({ kind: 'system', clockOrigin: origin });
    await Promise.all([mic.waitForStatus('capturing'), system.waitForStatus('capturing')]);
    await playCall();
    await Promise.all([mic.stop(), system.stop()]);
    assert.deepEqual([...mic.errors, ...system.errors], []);
    assert.equal(mic.source.recorderName, 'audify', 'the in-process backend is the default');
    assert.equal(system.source.recorderName, 'audify');
    assert.equal(system.statuses.find((s) => s.state === 'capturing')!.device, 'speaker.monitor', 'the default sink\'s monitor');

    const micAudio = mic.audio();
    const systemAudio = system.audio();
    const micMatch = assertHeard(micSpeech, micAudio, 'microphone');
    const systemMatch = assertHeard(speakerSpeech, systemAudio, 'system audio');
    const micCrosstalk = findIn(speakerSpeech, micAudio).r;
    const systemCrosstalk = findIn(micSpeech, systemAudio).r;
    assert.ok(Math.abs(micCrosstalk) < MAX_CROSSTALK_R, `speaker in the microphone: r = ${micCrosstalk.toFixed(4)}`);
    assert.ok(Math.abs(systemCrosstalk) < MAX_CROSSTALK_R, `microphone in system audio: r = ${systemCrosstalk.toFixed(4)}`);
    // Both were played at the same moment: on the shared clock, both utterances start at about the same index.
    const micAt = mic.frames[0].startSample + micMatch.lag;
    const systemAt = system.frames[0].startSample + systemMatch.lag;
    assert.ok(Math.abs(micAt - systemAt) < 0.3 * SR, `utterances ${((micAt - systemAt) / SR).toFixed(3)} s apart on the capture clock`);
    // Levels for a meter: speech is loud, and at most ~10 values a second.
    const loud = mic.levels.filter((l) => l.rmsDbfs > -40);
    assert.ok(loud.length >= 5, 'speech shows on the level meter');
    const span = (mic.levels[mic.levels.length - 1].at - mic.levels[0].at) / 1000;
    assert.ok(mic.levels.length / span <= 11, `${mic.levels.length} levels in ${span.toFixed(1)} s`);
  });

  it('with no recorder program on PATH (sox, rec, arecord, parec, ffmpeg hidden), the in-process backend captures both sources', async () => {
    const PATH = pathWithoutRecorders(path.join(dir, 'bin-without-recorders'));
    for (const program of RECORDER_PROGRAMS) assert.equal(findExecutable(program, { PATH }), undefined, `${program} is hidden`);
    for (const withPactl of [true, false]) {
      // Without pactl too: RtAudio finds the default source and the default sink's monitor on its own.
      const env = { ...pulse.env, PATH: withPactl ? PATH : path.join(dir, 'empty-bin') };
      fs.mkdirSync(env.PATH, { recursive: true });
      const origin = performance.now();
      const mic = capture({ kind: 'mic', clockOrigin: origin, env });
      const system = capture({ kind: 'system', clockOrigin: origin, env });
      assert.equal(mic.source.recorderName, 'audify');
      assert.equal(system.source.recorderName, 'audify');
      await Promise.all([mic.waitForStatus('capturing'), system.waitForStatus('capturing')]);
      await playCall();
      await Promise.all([mic.stop(), system.stop()]);
      assert.deepEqual([...mic.errors, ...system.errors], []);
      assert.ok(!mic.statuses.some((s) => s.state === 'failed') && !system.statuses.some((s) => s.state === 'failed'), 'no fault, stopping included');
      if (withPactl) assert.equal(system.statuses.find((s) => s.state === 'capturing')!.device, 'speaker.monitor');
      assertHeard(micSpeech, mic.audio(), `microphone (pactl ${withPactl})`);
      assertHeard(speakerSpeech, system.audio(), `system audio (pactl ${withPactl})`);
      assert.ok(Math.abs(findIn(speakerSpeech, mic.audio()).r) < MAX_CROSSTALK_R, 'the microphone is the virtual mic, not the speaker');
    }
  });

  it('the in-process backend opens a chosen PulseAudio source by its name', async () => {
    // virtmic is the default anyway; choosing the speaker's monitor as a "microphone" proves the choice is honoured.
    const run = capture({ kind: 'mic', device: 'speaker.monitor' });
    assert.equal(run.source.recorderName, 'audify');
    await run.waitForStatus('capturing');
    await pulse.playToSpeaker(fx.speaker);
    await sleep(400);
    await run.stop();
    assertHeard(speakerSpeech, run.audio(), 'the speaker\'s monitor chosen as a microphone');
  });

  for (const recorder of ['sox', 'rec', 'arecord'] as MicRecorderName[]) {
    it(`records the microphone with ${recorder} (through node-record-lpcm16)`, async function () {
      if (!findExecutable(recorder)) this.skip();
      const run = capture({ kind: 'mic', recorder });
      await run.waitForStatus('capturing');
      await pulse.playToMic(fx.mic);
      await sleep(recorder === 'rec' ? 800 : 400);
      await run.stop();
      assert.deepEqual(run.errors, []);
      assertHeard(micSpeech, run.audio(), recorder);
      assert.ok(!run.statuses.some((s) => s.state === 'failed'), 'stopping is no fault (arecord exits 1 on SIGTERM)');
    });
  }

  for (const recorder of ['sox', 'ffmpeg'] as SystemRecorderName[]) {
    it(`records system audio with ${recorder} when parec is not there`, async function () {
      if (!findExecutable(recorder)) this.skip();
      const run = capture({ kind: 'system', recorder });
      await run.waitForStatus('capturing');
      await pulse.playToSpeaker(fx.speaker);
      await sleep(400);
      await run.stop();
      assertHeard(speakerSpeech, run.audio(), recorder);
    });
  }

  it('survives the sound server being killed and restarted: a fault within 1 s, then capture resumes on a clock that kept running', async () => {
    const origin = performance.now();
    // sox exits 0 when the server dies, arecord exits 1, parec exits 1: all three must be noticed.
    const inProcess = (name: string) => name === 'audify';
    const sources = [
      capture({ kind: 'mic', recorder: 'audify', clockOrigin: origin }),
      capture({ kind: 'system', recorder: 'audify', clockOrigin: origin }),
      capture({ kind: 'mic', recorder: 'sox', clockOrigin: origin }),
      capture({ kind: 'mic', recorder: 'arecord', clockOrigin: origin }),
      capture({ kind: 'system', recorder: 'parec', clockOrigin: origin }),
    ].filter((r) => inProcess(r.source.recorderName) || findExecutable(r.source.recorderName));
    await Promise.all(sources.map((r) => r.waitForStatus('capturing')));
    await sleep(500);
    const lastBefore = sources.map((r) => r.frames[r.frames.length - 1]);
    const killedAt = performance.now();
    await pulse.kill();
    const failures = await Promise.all(sources.map((r) => r.waitForStatus('failed', killedAt)));
    for (const [i, f] of failures.entries()) {
      const name = `${sources[i].source.recorderName} ${sources[i].source.kind}`;
      // The recorder's end (or the in-process stream's error) is an event, noticed at once; 1 s is the product's goal.
      // On a loaded machine the event is handled late by what the event loop lost meanwhile.
      const lost = loop.lostMs(killedAt, f.at);
      assert.ok(f.at - killedAt < 1000 + lost, `${name}: fault ${(f.at - killedAt).toFixed(0)} ms after the kill ${lostNote(lost)}`);
      assert.equal(f.reason, 'server-lost', `${name}: ${f.reason} (${f.detail})`);
      assert.match(f.message!, /sound server/);
      assert.ok(f.retryInMs! > 0);
    }
    await sleep(1000); // down for a while: retries fail with "not running"
    for (const r of sources) {
      const whileDown = r.statuses.filter((s) => s.state === 'failed' && s.at > killedAt + 100);
      assert.ok(whileDown.every((s) => s.reason === 'server-not-running' || s.reason === 'server-lost'), whileDown.map((s) => s.reason).join());
    }
    const restartedAt = performance.now();
    await pulse.restart();
    await Promise.all(sources.map((r) => r.waitForStatus('capturing', restartedAt, 15_000)));
    await playCall();
    for (const [i, r] of sources.entries()) {
      const name = `${r.source.recorderName} ${r.source.kind}`;
      const after = r.frames.filter((f) => f.capturedAt! > restartedAt);
      assert.ok(after.length > 0, `${name}: frames after the restart`);
      // The clock kept running: the first frame after the restart sits at least the downtime after the last before.
      const downtime = ((after[0].capturedAt! - lastBefore[i].capturedAt!) / 1000) * SR;
      const advance = after[0].startSample - lastBefore[i].startSample;
      assert.ok(advance >= 0.8 * downtime, `${name}: clock advanced ${(advance / SR).toFixed(2)} s over ${(downtime / SR).toFixed(2)} s down`);
      const played = r.source.kind === 'mic' ? micSpeech : speakerSpeech;
      assertHeard(played, r.audio(after[0].startSample), `${name} after the restart`);
    }
    await Promise.all(sources.map((r) => r.stop()));
    for (const r of sources) {
      assert.deepEqual(r.errors, [], 'no exception escaped frames()');
      for (let i = 1; i < r.frames.length; i++) assert.ok(r.frames[i].startSample >= r.frames[i - 1].startSample + FRAME_SAMPLES, 'never backwards');
      assert.ok(r.statuses[r.statuses.length - 1].gapSamples > 0);
    }
  });

  it('reports a stall ~2 s into a frozen server, and takes the burst after it without a backlog', async () => {
    const origin = performance.now();
    const sources = [capture({ kind: 'mic', clockOrigin: origin }), capture({ kind: 'system', clockOrigin: origin })];
    assert.deepEqual(sources.map((r) => r.source.recorderName), ['audify', 'audify'], 'the default backend');
    await Promise.all(sources.map((r) => r.waitForStatus('capturing')));
    await sleep(500);
    const frozenAt = performance.now();
    pulse.freeze();
    const stalls = await Promise.all(sources.map((r) => r.waitForStatus('stalled', frozenAt, 6000)));
    const lastBefore = sources.map((r) => r.frames.filter((f) => f.capturedAt! <= frozenAt + 50).pop()!);
    for (const [i, s] of stalls.entries()) {
      const silentMs = s.at - lastBefore[i].capturedAt!;
      // Measured from the last data (what the watchdog sees); the watchdog checks every 250 ms for 2 s without data:
      // never sooner, within a tick and a margin of it, later by what the event loop lost meanwhile (a tick over 750 ms
      // late is not judged: the next one is).
      const lost = loop.lostMs(lastBefore[i].capturedAt!, s.at);
      assert.ok(silentMs >= 1950 && silentMs < 2800 + lost, `${sources[i].source.kind}: stall after ${silentMs.toFixed(0)} ms without data ${lostNote(lost)}`);
      // The message tells the silence the watchdog measured: at least 2 s, and no more than the test saw.
      const told = Number(/No (?:microphone|system) audio for (\d+\.\d) s/.exec(s.message!)?.[1]);
      assert.ok(told >= 2 && told * 1000 <= silentMs + 50, `"${s.message}" after ${silentMs.toFixed(0)} ms`);
    }
    await sleep(3000 - (performance.now() - frozenAt));
    const thawedAt = performance.now();
    pulse.thaw();
    const resumed = await Promise.all(sources.map((r) => r.waitForStatus('capturing', thawedAt, 5000)));
    // Capturing again with the first data after the thaw: within 1 s, later by what the event loop lost meanwhile.
    for (const s of resumed) {
      const lost = loop.lostMs(thawedAt, s.at);
      assert.ok(s.at - thawedAt < 1000 + lost, `resumed ${(s.at - thawedAt).toFixed(0)} ms after the thaw ${lostNote(lost)}`);
    }
    await sleep(1500);
    for (const r of sources) {
      // The frozen time came back as a burst: taken through the bounded buffer, drained at once, nothing dropped.
      assert.ok(r.source.bufferedSamples <= 4 * FRAME_SAMPLES, `${r.source.kind}: ${r.source.bufferedSamples} samples still queued`);
      assert.ok(r.maxBufferedSamples <= 5 * SR, `${r.source.kind}: backlog peaked at ${(r.maxBufferedSamples / SR).toFixed(2)} s`);
      assert.equal(r.source.status.droppedSamples, 0);
      // And the clock is still on the wall clock's time.
      const last = r.frames[r.frames.length - 1];
      const lag = ((last.capturedAt! - origin) / 1000) * SR - (last.startSample + FRAME_SAMPLES);
      assert.ok(Math.abs(lag) < 0.5 * SR, `${r.source.kind}: clock ${(lag / SR).toFixed(3)} s behind the wall clock`);
    }
    // Still capturing properly.
    const from = sources.map((r) => r.frames[r.frames.length - 1].startSample);
    await playCall();
    assertHeard(micSpeech, sources[0].audio(from[0]), 'microphone after the stall');
    assertHeard(speakerSpeech, sources[1].audio(from[1]), 'system audio after the stall');
  });

  it('says which package to install when the recorder is missing', async () => {
    const empty = path.join(dir, 'empty-bin');
    fs.mkdirSync(empty, { recursive: true });
    const mic = capture({ kind: 'mic', recorder: 'sox', env: { ...pulse.env, PATH: empty } });
    const system = capture({ kind: 'system', recorder: 'parec', env: { ...pulse.env, PATH: empty } });
    const [micFault, systemFault] = await Promise.all([mic.waitForStatus('failed'), system.waitForStatus('failed')]);
    assert.equal(micFault.reason, 'recorder-missing');
    assert.match(micFault.message!, /microphone: the recorder "sox" is not installed\. Install it \(sudo apt install sox libsox-fmt-pulse/);
    assert.equal(systemFault.reason, 'recorder-missing');
    assert.match(systemFault.message!, /system audio: the recorder "parec" is not installed\. Install it \(sudo apt install pulseaudio-utils/);
  });

  it('says which device was not found', async () => {
    const runs = [capture({ kind: 'mic', recorder: 'sox', device: 'no_such_mic' }), capture({ kind: 'mic', recorder: 'arecord', device: 'no_such_mic' }),
      capture({ kind: 'system', recorder: 'parec', device: 'no_such_sink.monitor' }),
      capture({ kind: 'mic', device: 'no_such_mic' }), capture({ kind: 'system', device: 'no_such_sink.monitor' })]
      .filter((r) => r.source.recorderName === 'audify' || findExecutable(r.source.recorderName));
    assert.equal(runs.filter((r) => r.source.recorderName === 'audify').length, 2);
    for (const run of runs) {
      const fault = await run.waitForStatus('failed');
      assert.equal(fault.reason, 'device-not-found', `${run.source.recorderName}: ${fault.detail}`);
      assert.match(fault.message!, /"no_such_(mic|sink\.monitor)" was not found \(unplugged\?\)/);
    }
  });

  it('tells whether system audio can be captured, and how to enable it when not', async () => {
    assert.deepEqual(await systemCaptureAvailability({ env: pulse.env }), { available: true, recorder: 'audify', device: 'speaker.monitor' });
    assert.deepEqual(await systemCaptureAvailability({ env: { ...pulse.env, EARSHOT_AUDIO_BACKEND: 'recorders' } }), { available: true, recorder: 'parec', device: 'speaker.monitor' });
    const noServer = await systemCaptureAvailability({ env: { ...pulse.env, PULSE_SERVER: `unix:${path.join(dir, 'no-server')}` } });
    assert.equal(noServer.available, false);
    assert.match(noServer.message!, /needs a running PulseAudio or PipeWire-Pulse server/);
  });

  it('`earshot devices` lists microphones and system-audio sources with the defaults marked', async () => {
    const cli = (args: string[]) => runEarshot(['devices', ...args], pulse.env);
    const json = await cli(['--json']);
    assert.equal(json.code, 0, json.stderr);
    const list = JSON.parse(json.stdout) as {
      microphones: { id: string; isDefault: boolean; kind: string }[]; systemSources: { id: string; isDefault: boolean }[]; systemAudio: { available: boolean; device: string };
      backends: { microphone: string; systemAudio: string };
    };
    assert.deepEqual(list.microphones.map((d) => [d.id, d.isDefault]), [['virtmic', true]]);
    assert.deepEqual(list.systemSources.map((d) => [d.id, d.isDefault]).sort(), [['mic_feed.monitor', false], ['speaker.monitor', true]]);
    assert.deepEqual(list.systemAudio, { available: true, recorder: 'audify', device: 'speaker.monitor' });
    assert.deepEqual(list.backends, { microphone: 'audify (in-process RtAudio)', systemAudio: 'audify (in-process RtAudio)' });

    const text = await cli([]);
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.split('\n');
    assert.equal(lines[0], 'Microphones (* default):');
    assert.match(lines[1], /^\* virtmic\s+Remapped Monitor of Null Output$/);
    assert.ok(lines.some((l) => /^\* speaker\.monitor\s+Monitor of Null Output$/.test(l)), text.stdout);
    assert.ok(lines.some((l) => /^ {2}mic_feed\.monitor\s+/.test(l)), text.stdout);
    assert.ok(text.stdout.includes('System audio: captured with audify from speaker.monitor.'));
    assert.ok(text.stdout.includes('Capture backends: microphone audify (in-process RtAudio); system audio audify (in-process RtAudio).'), text.stdout);
  });
});
