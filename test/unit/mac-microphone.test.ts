/**
 * The macOS microphone through Earshot's own app (daemon/capture/macMicrophone.ts; review 3, P2), run on Linux
 * against the fake `open` (test/support/fake-open.ts) and a fake app whose earshot-capture follows the recorder's
 * interface (test/support/fake-capture-app.ts): the microphone records with `microphone --device <the app's id>`, the
 * device list comes from `devices`, a missing app or an `open` that cannot launch it hands the microphone to audify
 * (said in the log and by `earshot devices`), and a silent microphone or tap that macOS asked about as Earshot says how
 * to reset a stale grant (`tccutil reset …`, offered to copy; review 3, P1). What macOS itself does can only be seen on
 * a Mac (docs/platforms.md, "Not verified without a Mac or a Windows PC").
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startAudiotee } from '../../daemon/capture/audiotee';
import { captureBackends, listDevices } from '../../daemon/capture/devices';
import { classifyEnd } from '../../daemon/capture/faults';
import { LiveSource } from '../../daemon/capture/live';
import { audioteeSpawner, CAPTURE_APP_BUNDLE_ID, resetCaptureAppState, tapRunsAsEarshot } from '../../daemon/capture/macCaptureApp';
import { captureAppDeviceFor, listCaptureAppDevices, macMicrophoneLauncher, MacMicrophoneOptions, microphoneAppUnusable } from '../../daemon/capture/macMicrophone';
import { recorderLauncher } from '../../daemon/capture/recorder';
import { spawnRecorder } from '../../daemon/capture/runningRecorder';
import { REPO_ROOT } from '../setup';
import { CaptureRun, startCapture } from '../support/capture';
import { CaptureAppPlan, FAKE_APP_DEVICES, fakeCaptureApp } from '../support/fake-capture-app';
import { AudioteePlan } from '../support/fake-audiotee';
import { alive, fakeLauncher } from '../support/fake-launcher';
import { fakeOpen } from '../support/fake-open';
import { readStarts } from '../support/starts';

/* eslint-disable-next-line @typescript-eslint/no-require-imports */
const check = require(path.join(REPO_ROOT, 'scripts', 'check-package.js')) as { devicesProblems(list: object, platform?: string): string[] };
/* eslint-disable-next-line @typescript-eslint/no-require-imports */
const captureAppScript = require(path.join(REPO_ROOT, 'scripts', 'mac-capture-app.js')) as { BUNDLE_ID: string };

describe('macOS microphone through Earshot Audio Capture.app (fake open, fake app)', function () {
  this.timeout(30_000);
  let dir: string;
  let planFile: string;
  let startsFile: string;
  let app: string;
  let open: string;
  let tmp: string;
  let said: string[];
  const runs: CaptureRun[] = [];

  const plan = (p: CaptureAppPlan & AudioteePlan) => fs.writeFileSync(planFile, JSON.stringify({ ...p, startsFile }));
  const starts = () => readStarts(startsFile);
  const folders = () => fs.readdirSync(tmp).filter((f) => f.startsWith('earshot-capture-'));
  /** How the daemon reaches the fake app: its bundle, the fake open, a private temporary folder, and the log. */
  const viaApp = (extra: MacMicrophoneOptions = {}): MacMicrophoneOptions => ({ app, open, tmpdir: tmp, findHelperPid: async () => undefined, log: (m) => said.push(m), ...extra });
  /** audify in the daemon's process, as the fallback: the fake recorder playing a tone. */
  const audify = () => Object.assign(fakeLauncher([{ amplitude: 0.3, then: 'forever' }]), { recorder: 'audify' });
  const run = (source: LiveSource) => {
    const r = startCapture(source);
    runs.push(r);
    return r;
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-macmic-'));
    planFile = path.join(dir, 'plan.json');
    startsFile = path.join(dir, 'starts.jsonl');
    app = fakeCaptureApp(path.join(dir, 'bundle'), planFile);
    open = fakeOpen(dir);
    tmp = path.join(dir, 'tmp');
    fs.mkdirSync(tmp);
    said = [];
    resetCaptureAppState();
  });
  afterEach(async () => {
    await Promise.all(runs.splice(0).map((r) => r.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
    resetCaptureAppState();
  });

  it("records a chosen microphone through the app with `microphone --device <the app's id>`, looked up by its name", async () => {
    plan({ amplitude: 0.5 });
    const mic = run(new LiveSource({ kind: 'mic', platform: 'darwin', device: 'Apple Inc.: MacBook Pro Microphone', captureApp: viaApp() }));
    await mic.waitFor(() => mic.frames.length > 20, 'frames');
    assert.ok(mic.frames.some((f) => f.samples.some((x) => Math.abs(x) > 0.4)), "the app's tone");
    assert.deepEqual(starts().map((s) => s.args), [['devices'], ['microphone', '--device', '129', '--sample-rate', '16000', '--chunk-duration', '0.02']]);
    assert.equal(mic.source.recorderName, 'earshot-capture');
    const capturing = mic.statuses.find((s) => s.state === 'capturing')!;
    assert.deepEqual([capturing.recorder, capturing.device], ['earshot-capture', 'Apple Inc.: MacBook Pro Microphone']);
    assert.deepEqual(said, [], 'nothing to say while the app records');
    const recorder = starts()[1].pid;
    await mic.stop();
    assert.ok(!alive(recorder), 'stopping the source ends the recorder in the app');
    assert.deepEqual(folders(), [], 'its private folder is gone');
  });

  it('the default microphone needs no device list; a name audify mangled (MacRoman) finds the app\'s device; an unknown one is "not found"', async () => {
    plan({ amplitude: 0.5 });
    const mic = run(new LiveSource({ kind: 'mic', platform: 'darwin', captureApp: viaApp() }));
    await mic.waitFor(() => mic.frames.length > 5, 'frames');
    assert.deepEqual(starts().map((s) => s.args), [['microphone', '--device', 'default', '--sample-rate', '16000', '--chunk-duration', '0.02']]);
    // audify builds RtAudio without UNICODE: "Jane’s AirPods" reaches JavaScript as "Jane\uFFFDs AirPods" (audifyHelper.ts, rtAudioCoreName).
    assert.equal(captureAppDeviceFor('Apple Inc.: Jane\uFFFDs AirPods', FAKE_APP_DEVICES)?.id, 131);
    assert.equal(captureAppDeviceFor('Apple Inc.: Jane’s AirPods', FAKE_APP_DEVICES)?.id, 131);
    assert.equal(captureAppDeviceFor('USB Mic', FAKE_APP_DEVICES), undefined);
    const unknown = run(new LiveSource({ kind: 'mic', platform: 'darwin', device: 'USB Mic', captureApp: viaApp() }));
    const failed = await unknown.waitForStatus('failed');
    assert.equal(failed.reason, 'device-not-found');
    assert.match(failed.message!, /Microphone device "USB Mic" was not found \(unplugged\?\)/);
    assert.match(failed.detail!, /not among "Apple Inc\.: MacBook Pro Microphone"/);
  });

  it('the app missing: audify records the microphone, said once in the log, by `earshot devices` and its backends', async () => {
    const fallback = audify();
    const launcher = macMicrophoneLauncher('default', fallback, viaApp({ app: undefined }));
    assert.equal(launcher.recorder, 'audify');
    const mic = run(new LiveSource({ kind: 'mic', platform: 'darwin', launcher }));
    await mic.waitFor(() => mic.frames.length > 5, 'frames');
    await (await launcher.launch()).stop();
    assert.equal(fallback.starts, 2);
    assert.equal(said.length, 1, 'said once');
    assert.match(said[0], /^recording the microphone with audify inside the editor's process, so macOS asks the editor for it \(and may refuse it without asking\): Earshot Audio Capture\.app is not in this installation/);
    assert.equal(mic.statuses.find((s) => s.state === 'capturing')?.recorder, 'audify');
    // The session's own wiring (recorder.ts): darwin's microphone goes to the app while it is there, else to the fallback.
    assert.equal(recorderLauncher({ kind: 'mic', platform: 'darwin', captureApp: viaApp() }).recorder, 'earshot-capture');
    assert.notEqual(recorderLauncher({ kind: 'mic', platform: 'darwin', captureApp: viaApp({ app: undefined }) }).recorder, 'earshot-capture');
    assert.match(captureBackends('darwin', process.env, app).microphone, /^earshot-capture \(Earshot Audio Capture\.app: macOS asks for Earshot\)/);
    assert.doesNotMatch(captureBackends('darwin', process.env, undefined).microphone, /earshot-capture/);
    // The app's LSMinimumSystemVersion is 14.2 (Darwin 23.2): before it, `open` would refuse it at every start.
    assert.match(microphoneAppUnusable(app, '23.1.0')!, /needs macOS 14\.2 or later/);
    assert.equal(microphoneAppUnusable(app, '23.2.0'), undefined);
    const list = await listDevices({ platform: 'darwin', env: { PATH: '/nonexistent' }, captureApp: viaApp({ app: undefined }) });
    assert.ok(list.notes.some((n) => /^microphone recorded inside the editor's process .*Earshot Audio Capture\.app is not in this installation/.test(n)), list.notes.join('\n'));
  });

  it('`open` cannot launch the app: that start ends, the next one (and the tap) do without it, said once', async () => {
    plan({ amplitude: 0.5 });
    fs.rmSync(path.join(app, 'Contents', 'MacOS', 'earshot-capture'));
    const fallback = audify();
    const launcher = macMicrophoneLauncher(undefined, fallback, viaApp());
    const mic = run(new LiveSource({ kind: 'mic', platform: 'darwin', launcher, backoff: { initialMs: 50 } }));
    await mic.waitFor(() => mic.frames.length > 5, 'frames from audify');
    const failed = mic.statuses.find((s) => s.state === 'failed')!;
    assert.match(failed.message!, /^macOS could not launch Earshot Audio Capture\.app, so Earshot records the microphone without it from the next attempt on/);
    assert.match(failed.detail!, /The application .* cannot be opened/);
    assert.equal(mic.statuses.filter((s) => s.state === 'capturing')[0].recorder, 'audify');
    assert.equal(fallback.starts, 1);
    assert.equal(said.length, 1);
    assert.match(said[0], /^recording the microphone with audify .*: open could not launch Earshot Audio Capture\.app: The application .* cannot be opened/);
    assert.equal(tapRunsAsEarshot(app), false, 'the tap does without the app too');
  });

  it('`open` cannot launch the app to list the devices: the same start records with audify, no fault shown', async () => {
    fs.rmSync(path.join(app, 'Contents', 'MacOS', 'earshot-capture'));
    const fallback = audify();
    const mic = run(new LiveSource({ kind: 'mic', platform: 'darwin', launcher: macMicrophoneLauncher('Apple Inc.: MacBook Pro Microphone', fallback, viaApp()) }));
    await mic.waitFor(() => mic.frames.length > 5, 'frames from audify');
    assert.ok(!mic.statuses.some((s) => s.state === 'failed'), mic.statuses.map((s) => s.state).join());
    assert.equal(fallback.starts, 1);
    assert.match(said[0], /open could not launch Earshot Audio Capture\.app/);
  });

  it("macOS's device list comes from `earshot-capture devices`: its names are the ids, BlackHole a system source", async () => {
    plan({});
    const list = await listDevices({ platform: 'darwin', env: { PATH: '/nonexistent' }, captureApp: viaApp() });
    assert.deepEqual(starts().map((s) => s.args), [['devices']]);
    assert.deepEqual(list.microphones.map((d) => [d.id, d.isDefault]), [['default', true], ['Apple Inc.: MacBook Pro Microphone', false], ['Apple Inc.: Jane’s AirPods', false]]);
    assert.equal(list.microphones[0].label, 'System default microphone (Apple Inc.: MacBook Pro Microphone)');
    assert.deepEqual(list.systemSources.map((d) => d.id), ['Existential Audio Inc.: BlackHole 2ch']);
    assert.ok(list.notes.includes('Core Audio devices (Earshot Audio Capture.app)'), list.notes.join('\n'));
    assert.deepEqual(folders(), []);
  });

  it('a stop while the app lists the devices ends the listing at once, and says nothing against the app', async () => {
    // An `open` that never launches anything (LaunchServices stuck behind a prompt, say).
    const stuckOpen = path.join(dir, 'stuck-open');
    fs.writeFileSync(stuckOpen, '#!/bin/sh\nexec sleep 60\n', { mode: 0o755 });
    const stop = new AbortController();
    const listing = listCaptureAppDevices({ app, open: stuckOpen, tmpdir: tmp, findHelperPid: async () => undefined }, 60_000, stop.signal);
    stop.abort();
    assert.deepEqual(await listing, { error: 'stopped before the app answered' });
    assert.equal(microphoneAppUnusable(app, '24.1.0'), undefined);
    for (let waited = 0; folders().length > 0; waited += 50) {
      assert.ok(waited < 10_000, 'its private folder to be removed');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  it("an app that answers `devices` with no list: audify's list is used, and a note says so (the release's package check fails on it)", async () => {
    plan({ devices: 'not a list' as never });
    const list = await listDevices({ platform: 'darwin', env: { PATH: '/nonexistent' }, captureApp: viaApp() });
    const note = list.notes.find((n) => n.startsWith('Earshot Audio Capture.app did not list the devices: '));
    assert.ok(note, list.notes.join('\n'));
    assert.deepEqual(check.devicesProblems({ ...list, backends: { microphone: 'earshot-capture (Earshot Audio Capture.app: macOS asks for Earshot)', systemAudio: 'audiotee (Core Audio tap)' } }, 'darwin'), [note]);
  });

  it("the app's error lines for a device it cannot open are classified: gone (unplugged) or none at all", () => {
    const ctx = { kind: 'mic' as const, recorder: 'earshot-capture', device: 'Apple Inc.: USB Mic', platform: 'darwin' as const };
    const line = (message: string) => `${JSON.stringify({ timestamp: 't', message_type: 'error', data: { message, context: { device: '140' } } })}\n`;
    assert.equal(classifyEnd(ctx, { code: 2, signal: null, stderr: line('No such input device') }).reason, 'device-not-found');
    assert.equal(classifyEnd(ctx, { code: 2, signal: null, stderr: line('Not an input device') }).reason, 'device-not-found');
    const none = classifyEnd({ ...ctx, device: 'default' }, { code: 2, signal: null, stderr: line('No input device') });
    assert.match(none.message, /macOS has no audio input device right now/);
  });

  it('a stream other than the metadata line promises (16 kHz mono s16le) ends with a fault, not noise', async () => {
    plan({ amplitude: 0.5, metadata: { sample_rate: 48000 } });
    const mic = run(new LiveSource({ kind: 'mic', platform: 'darwin', captureApp: viaApp() }));
    const failed = await mic.waitForStatus('failed');
    assert.match(failed.message!, /^The microphone from Earshot Audio Capture\.app comes as pcm_s16le at 48000 Hz, 1 channel\(s\), not the 16 kHz mono/);
  });

  it('a silent microphone the app records names Earshot and offers `tccutil reset Microphone dev.earshot.audio-capture`; audify\'s names VS Code', async () => {
    plan({ amplitude: 0 });
    const mic = run(new LiveSource({ kind: 'mic', platform: 'darwin', captureApp: viaApp(), silentMs: 500 }));
    const denied = await mic.waitForStatus('stalled');
    assert.equal(denied.reason, 'permission-denied');
    assert.match(denied.message!, /Privacy & Security → Microphone, turn on Earshot, then retry \(x-apple\.systempreferences:com\.apple\.preference\.security\?Privacy_Microphone\)\. If Earshot is already turned on there, macOS may be holding on to the permission of an earlier version of Earshot: run `tccutil reset Microphone dev\.earshot\.audio-capture` in Terminal, then stop and start the session again/);
    assert.equal(denied.copyCommand, 'tccutil reset Microphone dev.earshot.audio-capture');
    assert.equal(CAPTURE_APP_BUNDLE_ID, captureAppScript.BUNDLE_ID, "the daemon's bundle id is the one the app is built with");
    const inEditor = run(new LiveSource({ kind: 'mic', platform: 'darwin', launcher: { ...fakeLauncher([{ amplitude: 0, then: 'forever' }]), recorder: 'audify' }, silentMs: 500 }));
    const editorDenied = await inEditor.waitForStatus('stalled');
    assert.match(editorDenied.message!, /turn on Visual Studio Code \(or the terminal Earshot runs in\)/);
    assert.doesNotMatch(editorDenied.message!, /tccutil/);
    assert.equal(editorDenied.copyCommand, undefined);
  });

  it("the default input the app opened is a virtual device (its metadata's device_name): the hint naming it, not the permission", async () => {
    plan({ amplitude: 0, metadata: { device_name: 'Existential Audio Inc.: BlackHole 2ch' } });
    const mic = run(new LiveSource({ kind: 'mic', platform: 'darwin', captureApp: viaApp(), silentMs: 500 }));
    await mic.waitFor(() => mic.statuses.some((s) => s.hint), 'the hint');
    assert.ok(mic.statuses.find((s) => s.hint)!.hint!.startsWith('The microphone input "BlackHole 2ch" is a virtual device'));
    assert.ok(!mic.statuses.some((s) => s.state === 'stalled'));
  });

  it('a silent tap through the app offers `tccutil reset All dev.earshot.audio-capture` (14.4+); on 14.2–14.3 no reset', async () => {
    plan({ playing: false, amplitude: 0.5 });
    const tap = (release: string) => {
      const spawn = audioteeSpawner((c) => spawnRecorder(c, process.env), { app, open, tmpdir: tmp, findHelperPid: async () => undefined, log: () => undefined });
      const system = run(new LiveSource({
        kind: 'system', platform: 'darwin', silentMs: 400, findLoopback: async () => undefined, release,
        launcher: { recorder: 'audiotee', launch: (signal) => startAudiotee({ device: 'default', apps: false, env: process.env, signal }, spawn) },
      }));
      const mic = run(new LiveSource({ kind: 'mic', platform: 'darwin', launcher: fakeLauncher([{ amplitude: 0.5, then: 'forever' }]) }));
      system.source.pairWithMicrophone(mic.source);
      return system;
    };
    const current = tap('24.1.0');
    await current.waitFor(() => current.statuses.some((s) => s.hint), 'the hint');
    const hint = current.statuses.find((s) => s.hint)!;
    assert.match(hint.hint!, /turn on Earshot under "System Audio Recording Only", then restart the session \(x-apple[^)]*\)\. If Earshot is already turned on there, macOS may be holding on to the permission of an earlier version of Earshot: run `tccutil reset All dev\.earshot\.audio-capture` in Terminal/);
    assert.equal(hint.copyCommand, 'tccutil reset All dev.earshot.audio-capture');
    assert.ok(starts().every((s) => s.args[0] === '--sample-rate'), 'audiotee got its own arguments (the app was given `system` before them)');
    const old = tap('23.3.0');
    await old.waitFor(() => old.statuses.some((s) => s.hint), 'the hint');
    assert.equal(old.statuses.find((s) => s.hint)!.copyCommand, undefined);
  });
});
