/**
 * audiotee through Earshot's own launcher (startAudiotee, spawnRecorder) and LiveSource, against a fake binary that
 * prints, exits with and delivers what audiotee 0.0.7 does (test/support/fake-audiotee.ts, each behaviour citing the
 * source line it copies), and a fake `ps` listing the meeting apps' processes. macOS itself cannot run here.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parsePs, processesOf, startAudiotee } from '../../daemon/capture/audiotee';
import { LiveSource } from '../../daemon/capture/live';
import { RecorderLauncher } from '../../daemon/capture/recorder';
import { spawnRecorder } from '../../daemon/capture/runningRecorder';
import { CaptureRun, startCapture } from '../support/capture';
import { AudioteePlan, fakeAudioteeDir } from '../support/fake-audiotee';
import { readStarts } from '../support/starts';
import { fakeLauncher } from '../support/fake-launcher';

describe('audiotee (fake binary): per-app taps, its stream format, a refused tap', function () {
  this.timeout(20_000);
  let dir: string;
  let planFile: string;
  let startsFile: string;
  let binary: string;
  let env: NodeJS.ProcessEnv;
  const runs: CaptureRun[] = [];

  /** What `ps -axo pid=,comm=` lists (resolveApps reads it at every start). */
  const processes = (lines: string[]) => fs.writeFileSync(path.join(dir, 'ps.txt'), lines.join('\n') + '\n');
  const plan = (p: AudioteePlan) => fs.writeFileSync(planFile, JSON.stringify({ ...p, startsFile }));
  const starts = () => readStarts(startsFile);
  /** The launcher recorderLauncher builds for audiotee, with the fake binary. */
  const launcher = (device: string, rescanMs?: number): RecorderLauncher => ({
    recorder: 'audiotee',
    launch: (signal) => startAudiotee({ device, apps: device !== 'default', env, signal, binary, ...(rescanMs ? { rescanMs } : {}) }, (command) => spawnRecorder(command, env)),
  });
  const capture = (device: string, silentMs?: number, rescanMs?: number) => {
    const run = startCapture(new LiveSource({ kind: 'system', platform: 'darwin', launcher: launcher(device, rescanMs), backoff: { initialMs: 100, maxMs: 300 }, ...(silentMs ? { silentMs } : {}) }));
    runs.push(run);
    return run;
  };
  /** The session's microphone, hearing a sine of `amplitude` (0.5: the user talking; 0.002: a quiet room at -57 dBFS). */
  const microphone = (amplitude: number) => {
    const run = startCapture(new LiveSource({ kind: 'mic', platform: 'darwin', launcher: fakeLauncher([{ amplitude, then: 'forever' }]) }));
    runs.push(run);
    return run;
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-audiotee-'));
    planFile = path.join(dir, 'plan.json');
    startsFile = path.join(dir, 'starts.jsonl');
    ({ binary } = fakeAudioteeDir(planFile));
    fs.writeFileSync(path.join(dir, 'ps'), `#!/bin/sh\ncat "${path.join(dir, 'ps.txt')}"\n`, { mode: 0o755 });
    env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
    processes([]);
  });
  afterEach(async () => {
    await Promise.all(runs.splice(0).map((r) => r.stop()));
    fs.rmSync(path.dirname(binary), { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('all system audio: 16 kHz s16 mono goes through, and SIGTERM ends it cleanly', async () => {
    plan({ playing: true });
    const recorder = await launcher('default').launch();
    const chunks: Buffer[] = [];
    recorder.onData((c) => chunks.push(c));
    await sleep(500);
    const end = await recorder.stop();
    assert.equal(end.code, 0, 'audiotee exits 0 on SIGTERM');
    assert.match(end.stderr, /"message_type":"stream_stop"/);
    const pcm = Buffer.concat(chunks);
    let peak = 0;
    for (let i = 0; i + 1 < pcm.length; i += 2) peak = Math.max(peak, Math.abs(pcm.readInt16LE(i)));
    assert.ok(pcm.length > 6000 && peak > 16000 && peak < 16500, `${pcm.length} bytes, peak ${peak}: the tone as s16`);
    assert.deepEqual(starts()[0].args, ['--sample-rate', '16000', '--chunk-duration', '0.02']);
  });

  it('app:Google Chrome: the helpers that play nothing are dropped at once, the one that plays is tapped', async () => {
    processes([
      '  612 /Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
      '  613 /Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Framework.framework/Versions/1/Helpers/Google Chrome Helper (Renderer).app/Contents/MacOS/Google Chrome Helper (Renderer)',
      '  614 /Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Framework.framework/Versions/1/Helpers/Google Chrome Helper (GPU).app/Contents/MacOS/Google Chrome Helper (GPU)',
      '  700 /usr/libexec/coreaudiod',
    ]);
    plan({ playing: true, silentPids: [612, 614] });
    const run = capture('app:Google Chrome');
    await run.waitFor(() => run.frames.length > 10, 'frames');
    assert.deepEqual(starts().map((s) => s.args.slice(5)), [['612', '613', '614'], ['613']], 'started again with the rest only');
    assert.deepEqual(run.statuses.map((s) => s.state).slice(0, 2), ['starting', 'capturing'], 'no fault: the relaunch is at once, inside the start');
  });

  it('app:zoom.us before its call: "not playing audio yet", retried with its processes found afresh', async () => {
    processes(['  501 /Applications/zoom.us.app/Contents/MacOS/zoom.us']);
    plan({ playing: true, silentPids: [501, 502] });
    const run = capture('app:zoom.us');
    const failed = await run.waitForStatus('failed');
    assert.equal(failed.reason, 'device-not-found');
    assert.match(failed.message!, /^zoom\.us is not playing audio yet: .*tries again on its own/);
    await run.waitFor(() => starts().length >= 3, 'retries');
    // The call starts in a new process: the next retry finds it.
    processes(['  501 /Applications/zoom.us.app/Contents/MacOS/zoom.us', '  502 /Applications/zoom.us.app/Contents/Frameworks/caphost.app/Contents/MacOS/caphost']);
    plan({ playing: true, silentPids: [501] });
    await run.waitForStatus('capturing', failed.at);
    assert.deepEqual(starts().slice(-2).map((s) => s.args.slice(5)), [['501', '502'], ['502']]);
  });

  // N3: the tap's process list is fixed when audiotee creates it (AudioTapManager.swift:50-56) and a process has a
  // Core Audio object only once it has played (Utils.swift:41-89): Chrome's audio service starts with the call.
  it('app:Google Chrome: a process that starts playing after the tap was made is tapped too, looked for while the tap is silent', async () => {
    const chrome = '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome';
    const renderer = '/Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Framework.framework/Versions/1/Helpers/Google Chrome Helper (Renderer).app/Contents/MacOS/Google Chrome Helper (Renderer)';
    const helper = '/Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Framework.framework/Versions/1/Helpers/Google Chrome Helper.app/Contents/MacOS/Google Chrome Helper';
    processes([`  612 ${chrome}`, `  613 ${renderer}`]);
    plan({ playing: false, silentPids: [613] }); // the main process has played (a notification), the call has not started
    const run = capture('app:Google Chrome', undefined, 300);
    await run.waitForStatus('capturing');
    assert.deepEqual(starts().map((s) => s.args.slice(5)), [['612', '613'], ['612']]);
    // The call starts: Chrome starts its audio service (a new helper), which plays.
    processes([`  612 ${chrome}`, `  613 ${renderer}`, `  615 ${helper}`]);
    plan({ playing: true, silentPids: [613] });
    await run.waitFor(() => run.frames.some((f) => f.samples.some((x) => x !== 0)), "the call's audio");
    assert.deepEqual(starts().map((s) => s.args.slice(5)).slice(2), [['613', '615'], ['615'], ['612', '613', '615'], ['612', '615']],
      'a probe of the processes not tapped finds 615, then the tap is made again with every process');
    const restart = run.statuses.find((s) => s.state === 'failed');
    assert.match(restart?.message ?? '', /^Google Chrome plays audio from a process the tap did not include: Earshot starts the tap again with it\.$/);
  });

  it('app:Google Chrome: a tap that hears the call looks for no other process', async () => {
    processes(['  612 /Applications/Google Chrome.app/Contents/MacOS/Google Chrome']);
    plan({ playing: true });
    const run = capture('app:Google Chrome', undefined, 200);
    await run.waitForStatus('capturing');
    processes(['  612 /Applications/Google Chrome.app/Contents/MacOS/Google Chrome', '  615 /Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Framework.framework/Versions/1/Helpers/Google Chrome Helper.app/Contents/MacOS/Google Chrome Helper']);
    const seen = run.frames.length;
    await run.waitFor(() => run.frames.length > seen + 60, 'two seconds of audio (ten rescan periods)'); // 60 frames of 512 samples
    assert.equal(starts().length, 1, 'no probe while the tap hears audio');
  });

  it("app:Safari: WebKit's GPU process, which plays Safari's audio outside Safari.app, is tapped with it", async () => {
    // Safari and WebKit live in cryptexes on macOS 13+; the GPU process is an XPC service of WebKit.framework.
    const safari = '/System/Volumes/Preboot/Cryptexes/App/System/Applications/Safari.app/Contents/MacOS/Safari';
    const gpu = '/System/Volumes/Preboot/Cryptexes/OS/System/Library/Frameworks/WebKit.framework/Versions/A/XPCServices/com.apple.WebKit.GPU.xpc/Contents/MacOS/com.apple.WebKit.GPU';
    processes([`  801 ${safari}`, `  802 ${gpu}`, '  900 /System/Applications/Mail.app/Contents/MacOS/Mail']);
    plan({ playing: true, silentPids: [801] }); // the call plays in the GPU process only
    const run = capture('app:Safari');
    await run.waitFor(() => run.frames.some((f) => f.samples.some((x) => x !== 0)), "the call's audio");
    assert.deepEqual(starts().map((s) => s.args.slice(5)), [['801', '802'], ['802']]);
    assert.deepEqual(processesOf('Safari', parsePs(`  802 ${gpu}\n  900 /System/Applications/Mail.app/Contents/MacOS/Mail\n`)), [], 'a GPU process alone (Mail\'s) is not Safari running');
  });

  it('a stream in another format than asked (no converter: float32 at 48 kHz) is a clear fault, and none of it is decoded', async () => {
    plan({ playing: true, converterFails: true });
    const run = capture('default');
    const failed = await run.waitForStatus('failed');
    assert.equal(failed.reason, 'recorder-exited');
    assert.match(failed.message!, /comes as pcm_f32le at 48000 Hz, 1 channel\(s\), not the 16 kHz mono 16-bit audio Earshot asked for.*Audio MIDI Setup/);
    assert.match(failed.detail!, /Failed to create audio converter, using original format/);
    await sleep(300);
    assert.equal(run.frames.length, 0, 'float32 decoded as s16 would be noise');
    assert.ok(!run.statuses.some((s) => s.state === 'capturing'));
  });

  // N13: audiotee logs an error per packet it cannot convert and writes that packet unconverted (AudioFormatConverter.swift:100-111).
  it('packets audiotee could not convert (written as float32 among the 16-bit audio) end the tap with a format fault, not noise', async () => {
    plan({ playing: true, conversionEmpty: true });
    const run = capture('default');
    const failed = await run.waitForStatus('failed');
    assert.equal(failed.reason, 'recorder-exited');
    assert.match(failed.message!, /comes as pcm_f32le at the output device's own rate, 1 channel\(s\), not the 16 kHz mono 16-bit audio Earshot asked for/);
    assert.match(failed.detail!, /^Audio conversion produced no output \{"status"/);
  });

  it('a refused tap (status 1852797029, kAudioHardwareNotPermittedError) is a permission fault with the pane\'s link', async () => {
    plan({ tapRefused: true });
    const run = capture('default');
    const failed = await run.waitForStatus('failed');
    assert.equal(failed.reason, 'permission-denied');
    assert.match(failed.message!, /Screen & System Audio Recording.*"System Audio Recording Only".*x-apple\.systempreferences:com\.apple\.preference\.security\?Privacy_ScreenCapture/);
  });

  it('a tap that hears nothing while nothing plays gets no hint: the call has not started', async () => {
    plan({ playing: false });
    const run = capture('default', 400);
    run.source.pairWithMicrophone(microphone(0.002).source);
    await run.waitFor(() => run.frames.length > 40, 'frames of zeros');
    await sleep(1000);
    assert.ok(run.frames.every((f) => f.samples.every((x) => x === 0)), 'packets of zeros, as audiotee writes them');
    assert.ok(!run.statuses.some((s) => s.hint), 'zeros alone are how a tap sounds before the call');
  });

  it('a tap that stays silent while the microphone hears the user gets the permission hint, once, with the link', async () => {
    plan({ playing: false });
    const run = capture('default', 400);
    run.source.pairWithMicrophone(microphone(0.5).source);
    await run.waitFor(() => run.statuses.some((s) => s.hint), 'the hint');
    await sleep(800);
    const hints = run.statuses.filter((s) => s.hint);
    assert.equal(hints.length, 1, 'said once');
    assert.equal(hints[0].state, 'capturing', 'a hint, not a fault');
    assert.match(hints[0].hint!, /while your microphone heard you\. If your call is playing on this Mac, macOS is probably withholding it from Visual Studio Code: .*Screen & System Audio Recording, add Visual Studio Code under "System Audio Recording Only".*x-apple\.systempreferences:com\.apple\.preference\.security\?Privacy_ScreenCapture.*If nothing is playing yet, ignore this/);
  });

  it('a tap that plays gets no hint', async () => {
    plan({ playing: true });
    const run = capture('default', 400);
    run.source.pairWithMicrophone(microphone(0.5).source);
    await sleep(1500);
    assert.ok(run.frames.length > 20 && !run.statuses.some((s) => s.hint));
  });
});
