/**
 * In-process capture in the win32-x64 package, for real (issue 38): the package's audify addon (RtAudio with WASAPI,
 * cross-built by scripts/win32/audify.js) run by Windows node.exe 22 under Wine 8.0, whose winepulse driver talks to a
 * private PulseAudio server (test/support/pulse.ts) with a virtual microphone and a virtual speaker. The daemon is
 * driven over JSON-RPC as a client would (`earshot daemon --listen` on TCP loopback with its token file: Windows node
 * cannot use a Linux pipe for stdio, test/wine/wine.ts), with the capture dump (debugSaveAudio) compared with what was
 * played, as the Linux capture test compares (test/integration/capture.test.ts).
 *
 * What Wine 8.0 cannot show (../shared/windows-under-wine.md §4): a WASAPI loopback of a render endpoint. Its
 * IAudioClient accepts AUDCLNT_STREAMFLAGS_LOOPBACK and then refuses the capture client
 * (AUDCLNT_E_WRONG_ENDPOINT_TYPE, loopback came in Wine 9.12): RtAudio's stream thread stops with "Unable to retrieve
 * capture client handle." (RtAudio.cpp:5722-5727). So system audio is captured here from the default sink's "Monitor
 * of …" capture endpoint chosen as the session's system device, and the default path (the loopback) is checked to
 * fail with what to do instead, not to hang or record a silent track.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { miniModel, REPO_ROOT } from '../setup';
import { findIn, readWavMono16 } from '../support/correlate';
import { PulseServer } from '../support/pulse';
import { callFixtures } from '../support/speech';
import { START_MS, until, WineDaemon } from './daemon';
import { earshot, NODE_EXE, runWindows, win32Package, winPath } from './wine';

/** As the Linux capture test: a clean capture scores ≥ 0.98, the other side of the call < 0.2. */
const MIN_R = 0.95;
const MAX_CROSSTALK_R = 0.2;

interface DeviceEntry { id: string; label: string; kind: string; isDefault: boolean; backend: string }
interface DevicesJson { microphones: DeviceEntry[]; systemSources: DeviceEntry[]; notes: string[]; backends: { microphone: string; systemAudio: string } }

describe('the win32-x64 package\'s in-process capture under Wine (audify/RtAudio WASAPI, real PulseAudio)', function () {
  this.timeout(10 * 60_000);
  let pulse: PulseServer;
  let dir: string;
  let fx: { mic: string; speaker: string };
  let env: Record<string, string>;
  const daemons: WineDaemon[] = [];

  before(async function () {
    assert.ok(fs.existsSync(NODE_EXE), `${NODE_EXE} missing: npm run test:wine runs scripts/wine-setup.sh first`);
    assert.ok(fs.existsSync(path.join(REPO_ROOT, '.win32-x64', 'overlay.json')), 'no win32 build: npm run test:wine runs scripts/build-win32.js first');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-wine-capture-'));
    fx = callFixtures(dir);
    // The rate and layout of a Windows mix format (48 kHz stereo): the helper downmixes and resamples to 16 kHz mono.
    pulse = await PulseServer.start({ rate: 48000, channels: 2, descriptions: { speaker: 'Speaker', mic_feed: 'MicFeed', virtmic: 'VirtMic' } });
    env = { PULSE_SERVER: pulse.env.PULSE_SERVER! };
    // Wine's audio driver: winepulse, reaching the private server through PULSE_SERVER.
    const reg = await runWindows('reg', ['add', 'HKCU\\Software\\Wine\\Drivers', '/v', 'Audio', '/d', 'pulse', '/f'], { timeoutMs: 60_000 });
    assert.equal(reg.code, 0, `reg add: ${reg.stderr}`);
    await win32Package();
  });
  after(async () => {
    await Promise.all(daemons.splice(0).map((d) => d.stop()));
    await pulse?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('`earshot devices --json` lists the WASAPI endpoints: the sinks as loopbacks, their monitors as recording devices, defaults marked', async () => {
    const run = await earshot(['devices', '--json'], { env, timeoutMs: START_MS });
    assert.equal(run.code, 0, run.stderr);
    const list = JSON.parse(run.stdout) as DevicesJson;
    const ids = (l: DeviceEntry[]) => l.map((d) => d.id);
    // winepulse lists every PulseAudio source as a capture endpoint, "Monitor of <sink>" for a sink's monitor, and a
    // "PulseAudio" endpoint of each direction that follows the server's default (the Windows default device).
    for (const mic of ['VirtMic', 'Monitor of Speaker', 'Monitor of MicFeed']) assert.ok(ids(list.microphones).includes(mic), `${mic} in ${ids(list.microphones)}`);
    assert.deepEqual(list.microphones.filter((d) => d.isDefault).map((d) => d.id), ['default']);
    assert.match(list.microphones[0].label, /^System default microphone \(PulseAudio\)$/);
    assert.deepEqual(list.systemSources.filter((d) => d.isDefault).map((d) => [d.id, d.label]), [['default', 'Default output, as it changes (now PulseAudio) (WASAPI loopback)']]);
    for (const sink of ['Speaker', 'MicFeed']) assert.ok(list.systemSources.some((d) => d.id === sink && /WASAPI loopback/.test(d.label)), `${sink} as a loopback`);
    for (const monitor of ['Monitor of Speaker', 'Monitor of MicFeed']) {
      assert.ok(list.systemSources.some((d) => d.id === monitor && /recording device/.test(d.label)), `${monitor} as a system source`);
    }
    assert.ok(list.microphones.concat(list.systemSources).every((d) => d.backend === 'rtaudio'));
    assert.deepEqual(list.backends, { microphone: 'audify (in-process RtAudio)', systemAudio: 'audify (in-process RtAudio, WASAPI loopback)' });
    assert.ok(list.notes.includes('WASAPI devices (RtAudio)'), list.notes.join(' | '));
  });

  it('a live session over JSON-RPC captures the microphone and the default sink\'s monitor: each matches what was played', async () => {
    const daemon = await WineDaemon.start(env, path.join(dir, 'live'), { modelPath: winPath(miniModel()), debugSaveAudio: true });
    daemons.push(daemon);
    const start = await daemon.conn.client.request('earshot/session/start', { sources: ['mic', 'system'], devices: { system: 'Monitor of Speaker' }, title: 'wine capture' }, START_MS);
    assert.equal(start.error, undefined, JSON.stringify(start.error));
    const sessionId = (start.result as { sessionId: string }).sessionId;
    // 'capturing' is sent with the first audio (live.ts ingest): WASAPI has started.
    const [mic, system] = await Promise.all([daemon.status('mic', ['capturing', 'failed']), daemon.status('system', ['capturing', 'failed'])]);
    assert.deepEqual([mic.state, system.state], ['capturing', 'capturing'], JSON.stringify([mic, system]));
    assert.deepEqual([mic.recorder, system.recorder, system.device], ['audify', 'audify', 'Monitor of Speaker']);

    await Promise.all([pulse.play('mic_feed', fx.mic).done, pulse.play('speaker', fx.speaker).done]);
    const micSpeech = readWavMono16(fx.mic);
    const speakerSpeech = readWavMono16(fx.speaker);
    // The dump is written as audio arrives: wait until each holds its whole utterance, well matched.
    const whole = (source: 'mic' | 'system', speech: Float32Array) => () => {
      const m = findIn(speech, daemon.dump(sessionId, source));
      return m.overlap === speech.length && m.r >= MIN_R ? m : undefined;
    };
    const [micMatch, systemMatch] = await Promise.all([
      until('the microphone\'s utterance in its capture', whole('mic', micSpeech), 60_000).catch((e: Error) => {
        throw new Error(`${e.message}: r = ${findIn(micSpeech, daemon.dump(sessionId, 'mic')).r.toFixed(4)}`);
      }),
      until('the speaker\'s utterance in the system capture', whole('system', speakerSpeech), 60_000).catch((e: Error) => {
        throw new Error(`${e.message}: r = ${findIn(speakerSpeech, daemon.dump(sessionId, 'system')).r.toFixed(4)}`);
      }),
    ]);
    const stop = await daemon.conn.client.request('earshot/session/stop', { sessionId }, START_MS);
    assert.equal(stop.error, undefined, JSON.stringify(stop.error));
    const micAudio = daemon.dump(sessionId, 'mic');
    const systemAudio = daemon.dump(sessionId, 'system');
    console.log(`      r: microphone ${micMatch.r.toFixed(4)}, system audio ${systemMatch.r.toFixed(4)}`);
    const micCrosstalk = findIn(speakerSpeech, micAudio).r;
    const systemCrosstalk = findIn(micSpeech, systemAudio).r;
    assert.ok(Math.abs(micCrosstalk) < MAX_CROSSTALK_R, `speaker in the microphone: r = ${micCrosstalk.toFixed(4)}`);
    assert.ok(Math.abs(systemCrosstalk) < MAX_CROSSTALK_R, `microphone in system audio: r = ${systemCrosstalk.toFixed(4)}`);
    // Both were played at once: on the session's clock both utterances start at about the same time.
    assert.ok(Math.abs(micMatch.lag - systemMatch.lag) < 0.3 * 16000, `utterances ${((micMatch.lag - systemMatch.lag) / 16000).toFixed(3)} s apart`);
    for (const source of ['mic', 'system'] as const) {
      assert.deepEqual(daemon.statuses(source).filter((s) => s.state === 'failed' || s.state === 'stalled'), [], `${source}: no fault`);
    }
  });

  it('the default system source, a WASAPI loopback, fails on Wine 8.0 with what to do instead; the microphone keeps capturing', async () => {
    const daemon = await WineDaemon.start(env, path.join(dir, 'loopback'), { modelPath: winPath(miniModel()), debugSaveAudio: true });
    daemons.push(daemon);
    const started = Date.now();
    const start = await daemon.conn.client.request('earshot/session/start', { sources: ['mic', 'system'], title: 'wine loopback' }, START_MS);
    assert.equal(start.error, undefined, JSON.stringify(start.error));
    const sessionId = (start.result as { sessionId: string }).sessionId;
    const [mic, system] = await Promise.all([daemon.status('mic', ['capturing', 'failed']), daemon.status('system', ['capturing', 'failed'])]);
    assert.equal(mic.state, 'capturing', JSON.stringify(mic));
    assert.equal(system.state, 'failed', `the loopback must fail, not capture: ${JSON.stringify(system)}`);
    assert.equal(system.reason, 'no-system-audio');
    assert.match(system.message!, /^Windows would not capture what the default output plays \(WASAPI loopback refused; Wine before 9\.12 has no loopback\)\. Choose a recording device .*Monitor of ….*earshot devices/);
    assert.ok(system.retryInMs! > 0, 'it is retried, in case the output changes');
    console.log(`      loopback refused ${((Date.now() - started) / 1000).toFixed(1)} s after session/start`);
    // The session goes on with the microphone: what is played into it is captured.
    await pulse.play('mic_feed', fx.mic).done;
    const micSpeech = readWavMono16(fx.mic);
    await until('the microphone\'s utterance while system audio is down', () => {
      const m = findIn(micSpeech, daemon.dump(sessionId, 'mic'));
      return m.overlap === micSpeech.length && m.r >= MIN_R ? m : undefined;
    }, 60_000);
    assert.ok(!daemon.statuses('system').some((s) => s.state === 'capturing'), 'no silent system track: the loopback never captured');
    const stop = await daemon.conn.client.request('earshot/session/stop', { sessionId }, START_MS);
    assert.equal(stop.error, undefined, JSON.stringify(stop.error));
  });
});
