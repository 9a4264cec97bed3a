/**
 * Earshot's macOS capture app: the bundle scripts/mac-capture-app.js builds (its Info.plist read as plist XML, its
 * versions, the executables' modes, the compiler command for macOS), the packages that carry it, and the daemon's
 * launcher (daemon/capture/macCaptureApp.ts) run against a fake `open` (test/support/fake-open.ts, doing what open(1)'s
 * usage says), a stand-in for the app's recorder (below) and the fake audiotee (test/support/fake-audiotee.ts): the
 * audio comes through a FIFO in a private folder, ending the recorder ends the helper and removes the folder. The real
 * recorder is built and run in test/integration/mac-capture-recorder.test.ts. That macOS asks for "Earshot" can only
 * be seen on a Mac (docs/platforms.md).
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAudiotee } from '../../daemon/capture/audiotee';
import { LiveSource } from '../../daemon/capture/live';
import { appOfHolders, audioteeSpawner, CAPTURE_APP, captureAppUnusable, SILENT_LAUNCH_LIMIT, CaptureAppProcess, CAPTURE_APP_EXECUTABLE, launchCaptureApp, resetCaptureAppState } from '../../daemon/capture/macCaptureApp';
import { RecorderCommand } from '../../daemon/capture/recorderCommand';
import { RunningRecorder, spawnRecorder } from '../../daemon/capture/runningRecorder';
import { REPO_ROOT } from '../setup';
import { CaptureRun, startCapture } from '../support/capture';
import { AudioteePlan } from '../support/fake-audiotee';
import { fakeCaptureApp } from '../support/fake-capture-app';
import { readStarts } from '../support/starts';
import { alive, fakeLauncher } from '../support/fake-launcher';
import { fakeOpen } from '../support/fake-open';
import { microphoneAppUnusable } from '../../daemon/capture/macMicrophone';
import { MAC_PROCESSES } from '../../daemon/calls/mac';

/* eslint-disable @typescript-eslint/no-require-imports */
const captureApp = require(path.join(REPO_ROOT, 'scripts', 'mac-capture-app.js')) as {
  APP_NAME: string; APP_DIR: string; APP_PATH: string; EXECUTABLE: string; AUDIOTEE: string; BUNDLE_ID: string;
  build(root: string, options?: { recorder?: string }): string; ensure(root: string): string; isCurrent(root: string): boolean;
  recorderVersion(): string; compileCommand(root: string, out: string, platform: string): { command: string; args: string[] };
  PROCESSES: string; PROCESSES_PATH: string; processesCompileCommand(out: string, platform: string): { command: string; args: string[] };
  ensureProcesses(root: string): string;
};
const packager = require(path.join(REPO_ROOT, 'scripts', 'package-vsix.js')) as {
  plan(target: string): { macCaptureApp: string | null; macProcesses: string | null };
  ignoreFileText(plan: object): string;
};
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * A plist XML reader for the tests, apart from the script that writes it: <plist><dict> of <key> and <string>,
 * <true/>, <false/>, <integer>; anything else, or text outside the elements, throws.
 */
function readPlist(xml: string): Record<string, string | boolean | number> {
  const body = /^<\?xml version="1\.0" encoding="UTF-8"\?>\s*<!DOCTYPE plist PUBLIC "-\/\/Apple\/\/DTD PLIST 1\.0\/\/EN" "http:\/\/www\.apple\.com\/DTDs\/PropertyList-1\.0\.dtd">\s*<plist version="1\.0">\s*<dict>([\s\S]*)<\/dict>\s*<\/plist>\s*$/.exec(xml);
  if (!body) throw new Error('not a plist with one dict');
  const text = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  const out: Record<string, string | boolean | number> = {};
  const token = /\s*<key>([^<]*)<\/key>\s*(?:<string>([^<]*)<\/string>|<(true|false)\/>|<integer>(-?\d+)<\/integer>)/y;
  let m: RegExpExecArray | null;
  let at = 0;
  while ((m = token.exec(body[1]))) {
    const key = text(m[1]);
    if (key in out) throw new Error(`duplicate key ${key}`);
    out[key] = m[2] !== undefined ? text(m[2]) : m[3] !== undefined ? m[3] === 'true' : Number(m[4]);
    at = token.lastIndex;
  }
  if (body[1].slice(at).trim()) throw new Error(`unexpected plist content: ${body[1].slice(at, at + 40)}`);
  return out;
}

/**
 * A stand-in for earshot-capture's `system` subcommand (and its older form, audiotee's arguments alone): it becomes
 * the audiotee beside it with the rest of the arguments (exec: same PID, same stdio, signals reach audiotee). The
 * real binary does this with posix_spawn and is tested in test/integration/mac-capture-recorder.test.ts.
 */
function standInRecorder(): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-recorder-')), 'earshot-capture');
  fs.writeFileSync(file, '#!/bin/sh\n[ "$1" = system ] && shift\nexec "$(dirname "$0")/audiotee" "$@"\n', { mode: 0o755 });
  return file;
}

/** A checkout-like folder with package.json and an installed audiotee whose binary is `binary`. */
function checkout(binary: string, audioteeVersion = '0.0.7'): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-macapp-root-'));
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'earshot', version: '0.1.0' }));
  fs.mkdirSync(path.join(root, 'node_modules', 'audiotee', 'bin'), { recursive: true });
  fs.writeFileSync(path.join(root, 'node_modules', 'audiotee', 'package.json'), JSON.stringify({ name: 'audiotee', version: audioteeVersion }));
  fs.copyFileSync(binary, path.join(root, 'node_modules', 'audiotee', 'bin', 'audiotee'));
  return root;
}

describe('macOS capture app: the bundle and the packages that carry it', () => {
  const roots: string[] = [];
  afterEach(() => { for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true }); });

  it('builds Earshot Audio Capture.app: an Info.plist macOS asks "Earshot" from, the recorder and audiotee inside with their executable bits', () => {
    const binary = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-bin-')), 'audiotee');
    fs.writeFileSync(binary, Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2]), { mode: 0o644 });
    const recorder = path.join(path.dirname(binary), 'recorder');
    fs.writeFileSync(recorder, Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 0x0c, 0, 0, 1]), { mode: 0o644 });
    const root = checkout(binary);
    roots.push(root, path.dirname(binary));
    const app = captureApp.build(root, { recorder });
    assert.equal(path.relative(root, app), path.join('out', 'mac-capture', 'Earshot Audio Capture.app'));
    const plist = readPlist(fs.readFileSync(path.join(app, 'Contents', 'Info.plist'), 'utf8'));
    assert.equal(plist.CFBundleIdentifier, captureApp.BUNDLE_ID);
    assert.match(String(plist.CFBundleIdentifier), /^[A-Za-z0-9.-]+$/, 'a bundle identifier: letters, digits, dots and hyphens');
    assert.equal(plist.CFBundleName, 'Earshot');
    assert.equal(plist.CFBundleDisplayName, 'Earshot');
    assert.equal(plist.CFBundleExecutable, 'earshot-capture');
    assert.equal(plist.CFBundlePackageType, 'APPL');
    assert.equal(plist.LSUIElement, true, 'no Dock icon while it records');
    assert.equal(plist.LSMinimumSystemVersion, '14.2', 'Core Audio process taps arrived in macOS 14.2');
    assert.match(String(plist.NSAudioCaptureUsageDescription), /^Earshot records what your Mac plays.*call.*\.( |$)/);
    assert.match(String(plist.NSMicrophoneUsageDescription), /^Earshot records your microphone.*dictation.*meeting.*\.( |$)/);
    // The versions are what is inside, never Earshot's (package.json says 0.1.0): review 3, P1.
    assert.equal(plist.CFBundleShortVersionString, captureApp.recorderVersion());
    assert.equal(plist.CFBundleVersion, captureApp.recorderVersion());
    assert.equal(plist.EarshotRecorderVersion, captureApp.recorderVersion());
    assert.equal(plist.EarshotAudioteeVersion, '0.0.7');
    const macos = path.join(app, 'Contents', 'MacOS');
    assert.deepEqual(fs.readdirSync(macos).sort(), ['audiotee', 'earshot-capture']);
    assert.deepEqual(fs.readFileSync(path.join(macos, String(plist.CFBundleExecutable))), fs.readFileSync(recorder), 'the recorder, as built');
    assert.deepEqual(fs.readFileSync(path.join(macos, 'audiotee')), fs.readFileSync(binary), "audiotee's binary, as installed");
    for (const exe of fs.readdirSync(macos)) assert.equal(fs.statSync(path.join(macos, exe)).mode & 0o777, 0o755, exe);
    // The daemon looks for the bundle by this name, and for an executable of it by CAPTURE_APP_EXECUTABLE.
    assert.equal(CAPTURE_APP, captureApp.APP_NAME);
    assert.equal(CAPTURE_APP_EXECUTABLE, captureApp.EXECUTABLE, 'the daemon launches the main executable of the bundle');
  });

  it('is byte for byte the same bundle when Earshot\'s version changes, and is built again when audiotee\'s or the recorder\'s does (P1)', () => {
    const binary = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-bin-')), 'audiotee');
    fs.writeFileSync(binary, 'tee', { mode: 0o755 });
    const recorder = standInRecorder();
    const root = checkout(binary);
    roots.push(root, path.dirname(binary), path.dirname(recorder));
    const plistOf = (app: string) => fs.readFileSync(path.join(app, 'Contents', 'Info.plist'), 'utf8');
    const before = plistOf(captureApp.build(root, { recorder }));
    assert.doesNotMatch(before, /0\.1\.0/, "no trace of Earshot's version");
    fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'earshot', version: '0.2.0' }));
    assert.equal(captureApp.isCurrent(root), true, 'a new Earshot release keeps the (signed) bundle');
    assert.equal(plistOf(captureApp.build(root, { recorder })), before, 'and builds the same Info.plist');
    // A bundle left from another recorder version is not current.
    const plistFile = path.join(root, captureApp.APP_PATH, 'Contents', 'Info.plist');
    fs.writeFileSync(plistFile, before.replace(/(<key>EarshotRecorderVersion<\/key>\s*<string>)[^<]*/, '$10.9.9'));
    assert.equal(captureApp.isCurrent(root), false);
  });

  it('compiles the recorder for macOS with CoreAudio, for the bundle\'s minimum macOS, without debug information or dates', () => {
    const { command, args } = captureApp.compileCommand('/checkout', '/out/earshot-capture', 'darwin');
    assert.equal(command, 'clang++');
    for (const flag of ['-D__MACOSX_CORE__', '-mmacosx-version-min=14.2', '-g0', 'CoreAudio', 'CoreFoundation']) assert.ok(args.includes(flag), flag);
    assert.ok(args.includes('/checkout/node_modules/audify/vendor/rtaudio/RtAudio.cpp'), "RtAudio's sources from audify, not a copy");
    const linux = captureApp.compileCommand('/checkout', '/out/earshot-capture', 'linux');
    assert.deepEqual([linux.command, linux.args.includes('-D__LINUX_PULSE__'), linux.args.includes('-lpulse')], ['g++', true, true]);
    // __DATE__/__TIME__ would make every build a new binary, so a new code directory hash and a lost grant.
    const source = fs.readFileSync(path.join(REPO_ROOT, 'scripts', 'mac-capture', 'earshot-capture.cpp'), 'utf8');
    assert.doesNotMatch(source.replace(/^\/\/.*$/gm, ''), /__DATE__|__TIME__|__TIMESTAMP__/);
  });

  it('builds call detection\'s process list beside the bundle, outside its signature, with Core Audio for macOS 11 and later', () => {
    // Inside the bundle it would change the bundle's code directory hash, so every user's grant (earshot-audio-processes.cpp).
    assert.equal(captureApp.PROCESSES_PATH, `${captureApp.APP_DIR}/${captureApp.PROCESSES}`);
    assert.ok(!captureApp.PROCESSES_PATH.startsWith(`${captureApp.APP_PATH}/`));
    assert.equal(captureApp.PROCESSES, MAC_PROCESSES, 'the name the daemon runs (daemon/calls/mac.ts)');
    const recorder = fs.readFileSync(path.join(REPO_ROOT, 'scripts', 'mac-capture', 'earshot-capture.cpp'), 'utf8');
    assert.doesNotMatch(recorder, /prs#|ProcessObjectList/, 'the query is not in the recorder, whose hash is the grant');
    const { command, args } = captureApp.processesCompileCommand('/out/earshot-audio-processes', 'darwin');
    assert.equal(command, 'clang++');
    // 11.0, not the bundle's 14.2: an older macOS runs it and is told why there is no list (its exit 2), instead of dyld refusing it.
    for (const flag of ['-mmacosx-version-min=11.0', '-g0', 'CoreAudio', 'CoreFoundation']) assert.ok(args.includes(flag), flag);
    assert.equal(args[args.indexOf('-o') + 1], '/out/earshot-audio-processes');
    assert.ok(args.some((a) => a.endsWith('scripts/mac-capture/earshot-audio-processes.cpp')));
    assert.ok(!args.includes('-D__MACOSX_CORE__') && !args.some((a) => a.includes('RtAudio')), 'no RtAudio: Core Audio alone');
    const linux = captureApp.processesCompileCommand('/out/p', 'linux');
    assert.deepEqual([linux.command, linux.args.includes('-lpulse')], ['g++', true]);
    // The selectors of AudioHardware.h (macOS 14.2 SDK, "Process Properties" and the AudioSystemObject enum), as four-character codes.
    const source = fs.readFileSync(path.join(REPO_ROOT, 'scripts', 'mac-capture', 'earshot-audio-processes.cpp'), 'utf8');
    for (const [name, code] of [['ProcessObjectList', 'prs#'], ['ProcessPID', 'ppid'], ['ProcessBundleID', 'pbid'], ['ProcessIsRunningInput', 'piri']]) {
      assert.match(source, new RegExp(`constexpr AudioObjectPropertySelector kSelector${name} = '${code}';`), name);
    }
    assert.equal(packager.plan('darwin-arm64').macProcesses, 'out/mac-capture/earshot-audio-processes');
    assert.equal(packager.plan('linux-x64').macProcesses, null);
  });

  it('keeps a process list newer than its source (the release signs it before packaging) and builds an older one again', function () {
    this.timeout(120_000);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-processes-'));
    roots.push(root);
    const built = captureApp.ensureProcesses(root);
    assert.equal(built, path.join(root, captureApp.PROCESSES_PATH));
    const version = /^#define PROCESSES_VERSION "([^"]+)"$/m.exec(fs.readFileSync(path.join(REPO_ROOT, 'scripts', 'mac-capture', 'earshot-audio-processes.cpp'), 'utf8'))![1];
    assert.equal(spawnSync(built, ['--version'], { encoding: 'utf8' }).stdout, `${version}\n`);
    fs.writeFileSync(built, '#!/bin/sh\necho signed\n', { mode: 0o755 }); // what codesign leaves: a newer file
    captureApp.ensureProcesses(root);
    assert.equal(fs.readFileSync(built, 'utf8'), '#!/bin/sh\necho signed\n', 'a current one is kept');
    fs.utimesSync(built, new Date(0), new Date(0));
    captureApp.ensureProcesses(root);
    assert.notEqual(fs.readFileSync(built, 'utf8'), '#!/bin/sh\necho signed\n', 'one older than its source is built again');
  });

  it('keeps a current bundle as it is (the release signs it before packaging), and builds it again for another audiotee', () => {
    const binary = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-bin-')), 'audiotee');
    fs.writeFileSync(binary, 'x', { mode: 0o755 });
    const root = checkout(binary);
    const recorder = standInRecorder();
    roots.push(root, path.dirname(binary), path.dirname(recorder));
    assert.equal(captureApp.isCurrent(root), false);
    const app = captureApp.build(root, { recorder });
    fs.rmSync(path.join(app, 'Contents', 'MacOS', 'audiotee'));
    assert.equal(captureApp.isCurrent(root), false, 'both executables or it is not current');
    captureApp.build(root, { recorder });
    // What `codesign --sign -` adds: the signature beside the Info.plist, which it leaves as it is.
    fs.mkdirSync(path.join(app, 'Contents', '_CodeSignature'));
    fs.writeFileSync(path.join(app, 'Contents', '_CodeSignature', 'CodeResources'), 'signed');
    assert.equal(captureApp.isCurrent(root), true);
    captureApp.ensure(root);
    assert.ok(fs.existsSync(path.join(app, 'Contents', '_CodeSignature', 'CodeResources')), 'a signed, current bundle is not rebuilt');
    fs.writeFileSync(path.join(root, 'node_modules', 'audiotee', 'package.json'), JSON.stringify({ version: '0.0.8' }));
    assert.equal(captureApp.isCurrent(root), false);
    captureApp.build(root, { recorder });
    assert.ok(!fs.existsSync(path.join(app, 'Contents', '_CodeSignature')), 'built again from the new audiotee');
    assert.match(fs.readFileSync(path.join(app, 'Contents', 'Info.plist'), 'utf8'), /<key>EarshotAudioteeVersion<\/key>\s*<string>0\.0\.8<\/string>/);
  });

  it('goes into the darwin packages only: the plan names it, other targets leave its folder out', () => {
    assert.equal(packager.plan('darwin-arm64').macCaptureApp, 'out/mac-capture/Earshot Audio Capture.app');
    assert.doesNotMatch(packager.ignoreFileText(packager.plan('darwin-arm64')), /^out\/mac-capture/m);
    const linux = packager.plan('linux-x64');
    assert.equal(linux.macCaptureApp, null);
    assert.match(packager.ignoreFileText(linux), /^out\/mac-capture\/\*\*$/m);
  });
});

describe("macOS capture app: which holder of the FIFO is the app (lsof -F pR, lsof(8) \"OUTPUT FOR OTHER PROGRAMS\")", () => {
  // Fields as lsof prints them: a process set ("p" PID, "R" parent PID), then its files ("f" descriptor).
  const fields = (holders: [pid: number, ppid: number][]) => holders.map(([pid, ppid]) => `p${pid}\nR${ppid}\nf1\n`).join('');
  const daemon = 4100;

  it('the app that launchd started, not the audiotee it runs, not the daemon, not `open` if it keeps the path open', () => {
    assert.equal(appOfHolders(fields([[daemon, 900], [5200, 1], [5201, 5200]]), daemon), 5200, 'the tap: earshot-capture and its audiotee');
    assert.equal(appOfHolders(fields([[daemon, 900], [5199, daemon], [5200, 1], [5201, 5200]]), daemon), 5200, '`open` (the daemon\'s child) holding it too');
    assert.equal(appOfHolders(fields([[daemon, 900], [5300, 1]]), daemon), 5300, 'the microphone: earshot-capture alone');
  });

  it('nothing when it cannot tell: no holder but the daemon, or two apps', () => {
    assert.equal(appOfHolders(fields([[daemon, 900]]), daemon), undefined);
    assert.equal(appOfHolders('', daemon), undefined);
    assert.equal(appOfHolders(fields([[daemon, 900], [5200, 1], [5300, 1]]), daemon), undefined);
  });
});

describe('macOS capture app: launched through open, audio through a FIFO (fake open, fake audiotee)', function () {
  this.timeout(30_000);
  let dir: string;
  let planFile: string;
  let startsFile: string;
  let app: string;
  let open: string;
  let tmp: string;
  const recorders: RunningRecorder[] = [];
  const runs: CaptureRun[] = [];
  /** Helpers a test leaves behind on purpose (launchd's, as it were): killed after it. */
  const helpers: number[] = [];

  const plan = (p: AudioteePlan) => fs.writeFileSync(planFile, JSON.stringify({ ...p, startsFile }));
  const starts = () => readStarts(startsFile);
  const command: RecorderCommand = { recorder: 'audiotee', command: 'audiotee', args: ['--sample-rate', '16000', '--chunk-duration', '0.02'], envOverrides: {}, device: 'default' };
  /** audiotee's command as audioteeSpawner launches it through the app. */
  const tap: RecorderCommand = { ...command, args: ['system', ...command.args] };
  const folders = () => fs.readdirSync(tmp).filter((f) => f.startsWith('earshot-capture-'));
  const waitFor = async (condition: () => boolean, what: string, ms = 8000) => {
    const until = Date.now() + ms;
    while (!condition()) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await sleep(20);
    }
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-macapp-'));
    planFile = path.join(dir, 'plan.json');
    startsFile = path.join(dir, 'starts.jsonl');
    // The app as the package carries it: earshot-capture, which runs the (fake) audiotee beside it for `system`.
    app = fakeCaptureApp(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-macapp-root-')), 'out', 'mac-capture'), planFile);
    open = fakeOpen(dir);
    tmp = path.join(dir, 'tmp');
    fs.mkdirSync(tmp);
    resetCaptureAppState();
  });
  afterEach(async () => {
    await Promise.all(runs.splice(0).map((r) => r.stop()));
    await Promise.all(recorders.splice(0).map((r) => r.stop()));
    for (const pid of helpers.splice(0)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    fs.rmSync(path.dirname(path.dirname(path.dirname(app))), { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
    resetCaptureAppState();
  });

  it('the app\'s PCM comes through a FIFO in a folder only this user can open (0700, FIFOs 0600), its stderr lines too', async () => {
    plan({ playing: true });
    const recorder = launchCaptureApp(tap, { app, open, tmpdir: tmp, findHelperPid: async () => undefined });
    recorders.push(recorder);
    const lines: string[] = [];
    recorder.onStderrLine((l) => lines.push(l));
    let bytes = 0;
    const chunks: Buffer[] = [];
    recorder.onData((c) => { bytes += c.length; if (chunks.length < 20) chunks.push(c); });
    await waitFor(() => bytes >= 16000 * 2 * 0.2, '0.2 s of audio');
    const [folder] = folders();
    const stat = fs.statSync(path.join(tmp, folder));
    assert.equal(stat.mode & 0o777, 0o700);
    for (const fifo of ['stdout', 'stderr']) {
      const f = fs.statSync(path.join(tmp, folder, fifo));
      assert.ok(f.isFIFO(), `${fifo} is a FIFO`);
      assert.equal(f.mode & 0o777, 0o600);
    }
    assert.equal(fs.readdirSync(path.join(tmp, folder)).length, 2, 'nothing else in it');
    const pcm = Buffer.concat(chunks);
    assert.ok(pcm.readInt16LE(2 * 10) !== 0, 'the tone audiotee writes, not zeros');
    assert.ok(lines.some((l) => JSON.parse(l).message_type === 'metadata'), "audiotee's stderr lines, through the other FIFO");
    assert.deepEqual(starts()[0].args, command.args, 'open passed the arguments after --args');
    assert.ok(recorder.running);
  });

  it('ending the recorder ends the helper (closing the FIFO: SIGPIPE at its next write) and removes the folder', async () => {
    plan({ playing: false });
    const recorder = launchCaptureApp(tap, { app, open, tmpdir: tmp, findHelperPid: async () => undefined });
    let bytes = 0;
    recorder.onData((c) => { bytes += c.length; });
    await waitFor(() => bytes > 0 && starts().length === 1, 'audio');
    const helper = starts()[0].pid;
    assert.ok(alive(helper));
    const end = await recorder.stop();
    assert.equal(end.requested, true);
    await waitFor(() => !alive(helper), 'the helper to exit', 3000);
    assert.deepEqual(folders(), [], 'the private folder is gone');
  });

  it('with the helper\'s PID known, SIGTERM ends it cleanly (audiotee logs its shutdown), folder removed', async () => {
    plan({ playing: false });
    const recorder = launchCaptureApp(tap, { app, open, tmpdir: tmp, findHelperPid: async () => starts()[0]?.pid });
    recorders.push(recorder);
    const lines: string[] = [];
    recorder.onStderrLine((l) => lines.push(l));
    await waitFor(() => lines.some((l) => l.includes('stream_start')), 'the stream to start');
    let bytes = 0;
    recorder.onData((c) => { bytes += c.length; });
    // Delivering audio (before it, the app gets SIGKILL: it may be inside its tap setup), and its PID found.
    await waitFor(() => bytes > 0 && (recorder.child as CaptureAppProcess).recordingPid !== undefined, 'its first audio and the PID lookup');
    const helper = starts()[0].pid;
    await recorder.stop();
    assert.ok(!alive(helper));
    assert.ok(lines.some((l) => l.includes('Received SIGTERM, initiating graceful shutdown')), lines.join('\n'));
    assert.deepEqual(folders(), []);
  });

  it('startAudiotee through the app: its stream checked from the stderr FIFO, 16 kHz frames into LiveSource', async () => {
    plan({ playing: true });
    const spawn = audioteeSpawner((c) => spawnRecorder(c, process.env), { app, open, tmpdir: tmp, findHelperPid: async () => undefined, log: () => undefined });
    const run = startCapture(new LiveSource({
      kind: 'system', platform: 'darwin',
      launcher: { recorder: 'audiotee', launch: (signal) => startAudiotee({ device: 'default', apps: false, env: process.env, signal }, spawn) },
    }));
    runs.push(run);
    await run.waitFor(() => run.frames.length > 20, 'frames');
    assert.ok(run.frames.some((f) => f.samples.some((x) => Math.abs(x) > 0.4)), 'the tone');
    const helper = starts()[0].pid;
    await run.stop();
    await waitFor(() => !alive(helper), 'the helper to exit', 3000);
    assert.deepEqual(folders(), []);
  });

  it('a silent tap that ran as the app names Earshot in the hint, to turn on in Privacy & Security', async () => {
    plan({ playing: false });
    const spawn = audioteeSpawner((c) => spawnRecorder(c, process.env), { app, open, tmpdir: tmp, findHelperPid: async () => undefined, log: () => undefined });
    const run = startCapture(new LiveSource({
      kind: 'system', platform: 'darwin', silentMs: 400, findLoopback: async () => undefined, release: '24.1.0',
      launcher: { recorder: 'audiotee', launch: (signal) => startAudiotee({ device: 'default', apps: false, env: process.env, signal }, spawn) },
    }));
    const mic = startCapture(new LiveSource({ kind: 'mic', platform: 'darwin', launcher: fakeLauncher([{ amplitude: 0.5, then: 'forever' }]) }));
    runs.push(run, mic);
    run.source.pairWithMicrophone(mic.source);
    await run.waitFor(() => run.statuses.some((s) => s.hint), 'the hint');
    assert.match(run.statuses.find((s) => s.hint)!.hint!, /withholding it from Earshot: open System Settings → Privacy & Security → Screen & System Audio Recording, turn on Earshot under "System Audio Recording Only"/);
  });

  it('a tap macOS refused (status 1852797029) while it ran as the app names Earshot, not the editor, as the app to allow', async () => {
    plan({ tapRefused: true });
    const spawn = audioteeSpawner((c) => spawnRecorder(c, process.env), { app, open, tmpdir: tmp, findHelperPid: async () => undefined, log: () => undefined });
    const run = startCapture(new LiveSource({
      kind: 'system', platform: 'darwin', release: '24.1.0',
      launcher: { recorder: 'audiotee', launch: (signal) => startAudiotee({ device: 'default', apps: false, env: process.env, signal }, spawn) },
    }));
    runs.push(run);
    const failed = await run.waitForStatus('failed');
    assert.equal(failed.reason, 'permission-denied');
    assert.match(failed.message!, /Screen & System Audio Recording, allow Earshot under "System Audio Recording Only"/);
    assert.doesNotMatch(failed.message!, /Visual Studio Code/);
  });

  it('runs audiotee directly when the app is not there or open cannot launch it, and says so once', async () => {
    plan({ playing: false });
    const said: string[] = [];
    const direct: string[] = [];
    const spawnDirect = (c: RecorderCommand) => { direct.push(c.command); return launchCaptureApp({ ...c, args: ['system', ...c.args] }, { app, open, tmpdir: tmp, findHelperPid: async () => undefined }); };
    const missing = audioteeSpawner(spawnDirect, { app: undefined, open, tmpdir: tmp, log: (m) => said.push(m) });
    // `app: undefined` asks captureAppPath(): this checkout's out/ has no bundle unless it was packaged for macOS.
    if (!fs.existsSync(path.join(REPO_ROOT, 'out', 'mac-capture'))) {
      const both = [missing(command), missing(command)];
      recorders.push(...both);
      assert.equal(direct.length, 2);
      await waitFor(() => starts().length === 2 && folders().length === 2, 'both to run');
      assert.ok(both.every((r) => r.running));
      assert.equal(said.length, 1, 'said once');
      assert.match(said[0], /running audiotee directly, so macOS counts the tap as the editor's or terminal's: Earshot Audio Capture\.app is not in this installation/);
    }
    // open cannot launch it (here: its executable is gone): that recorder ends, the next ones run directly.
    said.length = 0; direct.length = 0;
    fs.rmSync(path.join(app, 'Contents', 'MacOS', 'earshot-capture'));
    const failed: string[] = [];
    const broken = audioteeSpawner(spawnDirect, { app, open, tmpdir: tmp, findHelperPid: async () => undefined, log: (m) => said.push(m), onLaunchFailed: (r) => failed.push(r) });
    const first = broken(command);
    const folder = (first.child as CaptureAppProcess).folder!;
    const end = await first.ended;
    assert.equal(end.code, 1);
    assert.match(end.stderr, /cannot be opened/);
    assert.match(failed[0], /cannot be opened/);
    assert.ok(!fs.existsSync(folder), 'its folder is gone');
    assert.equal(direct.length, 0);
    recorders.push(broken(command));
    assert.equal(direct.length, 1);
    assert.match(said[0], /running audiotee directly.*open could not launch Earshot Audio Capture\.app: The application .* cannot be opened/);
  });

  it('a private folder that cannot be removed still ends the recorder: stop() returns, the failure is in its stderr (S4, uncaught_capture.js)', async function () {
    // The review's stand-in `open` (fake-open.sh): 64 KB of PCM on the stdout FIFO, a line on the stderr FIFO, an entry
    // in the private folder that rmSync cannot remove (immutable as root, a read-only folder otherwise), then exit 0.
    const standIn = path.join(dir, 'open-and-lock');
    const lock = process.getuid?.() === 0 ? 'chattr +i "$d/held"' : 'chmod 555 "$d/held"';
    fs.writeFileSync(standIn, `#!/bin/bash
while [ $# -gt 0 ]; do case "$1" in --stdout) out="$2"; shift 2;; --stderr) err="$2"; shift 2;; --args) shift; break;; *) shift;; esac; done
exec 3>"$out" 4>"$err"
head -c 64000 /dev/zero >&3
echo "audiotee: started" >&4
d=$(dirname "$out"); mkdir "$d/held"; touch "$d/held/x"; ${lock} || exit 9
sleep 0.3
exec 3>&- 4>&-
exit 0
`, { mode: 0o755 });
    const recorder = launchCaptureApp(tap, { app, open: standIn, tmpdir: tmp, findHelperPid: async () => undefined });
    const folder = (recorder.child as CaptureAppProcess).folder!;
    const unlock = () => {
      if (!fs.existsSync(path.join(folder, 'held'))) return;
      if (process.getuid?.() === 0) { try { execFileSync('chattr', ['-i', path.join(folder, 'held')]); } catch { /* not set */ } } else fs.chmodSync(path.join(folder, 'held'), 0o755);
    };
    try {
      let bytes = 0;
      recorder.onData((c) => { bytes += c.length; });
      const end = await Promise.race([recorder.ended, sleep(8000).then(() => undefined)]);
      if (end?.code === 9) this.skip(); // this file system cannot hold such an entry (chattr unsupported)
      assert.ok(end, 'the recorder ended (it never did: finish() threw after marking itself finished)');
      assert.equal(bytes, 64000, 'every byte of PCM was read');
      assert.equal(end.code, 0);
      assert.match(end.stderr, /could not remove the capture folder .*earshot-capture-.* \((ENOTDIR|EPERM|EACCES|ENOTEMPTY)\)/);
      assert.equal(recorder.running, false);
      await recorder.stop(); // returns at once now
    } finally {
      unlock();
    }
  });

  it('stopping before its first audio SIGKILLs the app (launchd\'s, so ending open does not end it; SIGTERM is lost during tap setup)', async () => {
    plan({ tapSetupMs: -1 }); // never gets past tap creation (a prompt nobody answers)
    // The lookup at its first log line finds nothing (lsof listed open too); the one at the stop finds it.
    let lookups = 0;
    const recorder = launchCaptureApp(tap, { app, open, tmpdir: tmp, findHelperPid: async () => (++lookups > 1 ? starts()[0]?.pid : undefined) });
    const lines: string[] = [];
    recorder.onStderrLine((l) => lines.push(l));
    await waitFor(() => starts().length === 1 && lines.length > 0 && lookups === 1, 'the app to start and log');
    const helper = starts()[0].pid;
    helpers.push(helper);
    const end = await recorder.stop();
    assert.equal(end.unended, undefined, 'it ended within the bound');
    await waitFor(() => !alive(helper), 'the helper to be gone', 3000);
    assert.equal(lookups, 2);
  });

  it('a stop that comes while the first write\'s lookup runs, which then finds nothing, looks again and SIGKILLs the app', async () => {
    plan({ tapSetupMs: -1 });
    let answerFirst!: () => void;
    const firstAnswered = new Promise<void>((resolve) => { answerFirst = resolve; });
    let lookups = 0;
    const recorder = launchCaptureApp(tap, {
      app, open, tmpdir: tmp,
      findHelperPid: async () => {
        if (++lookups > 1) return starts()[0]?.pid;
        await firstAnswered;
        return undefined; // lsof listed `open` too, say
      },
    });
    await waitFor(() => starts().length === 1 && lookups === 1, 'the app to start and the first lookup to run');
    const helper = starts()[0].pid;
    helpers.push(helper);
    const stopping = recorder.stop();
    answerFirst();
    const end = await stopping;
    assert.equal(end.unended, undefined, 'it ended within the bound');
    assert.equal(lookups, 2, 'the stop looked again');
    await waitFor(() => !alive(helper), 'the helper to be gone', 3000);
  });

  it("microphone launches and device lists stopped before their audio are no tap's evidence: the tap still goes through the app", async () => {
    plan({ tapSetupMs: -1 });
    for (let i = 0; i < SILENT_LAUNCH_LIMIT + 1; i++) {
      const mic = launchCaptureApp({ ...command, recorder: 'earshot-capture', args: ['microphone', '--device', 'default'] }, { app, open, tmpdir: tmp, findHelperPid: async () => undefined });
      await mic.stop(); // before it wrote anything
    }
    const direct: string[] = [];
    const spawn = audioteeSpawner((c) => { direct.push(c.command); return spawnRecorder({ ...c, command: 'true', args: [] }, process.env); },
      { app, open, tmpdir: tmp, findHelperPid: async () => starts().at(-1)?.pid, log: () => undefined });
    const tap = spawn(command);
    recorders.push(tap);
    assert.equal(direct.length, 0, 'the tap went through the app');
    assert.equal(captureAppUnusable(), undefined);
  });

  it('a helper that may still run rules out a second instance; two launches in a row without audio fall back to the direct spawn', async () => {
    plan({ tapSetupMs: -1 });
    const said: string[] = [];
    const direct: string[] = [];
    const spawnDirect = (c: RecorderCommand) => { direct.push(c.command); return spawnRecorder({ ...c, command: 'true', args: [] }, process.env); };
    // Its PID cannot be found (lsof saw nothing): after a stop before any audio, it may still run.
    const unknown = audioteeSpawner(spawnDirect, { app, open, tmpdir: tmp, findHelperPid: async () => undefined, log: (m) => said.push(m) });
    const first = unknown(command);
    const firstLines: string[] = [];
    first.onStderrLine((l) => firstLines.push(l));
    await waitFor(() => starts().length === 1, 'the app to start');
    helpers.push(starts()[0].pid);
    // Stopped once it is stuck in tap creation, as the prompt nobody answers leaves it: had its start-up lines come
    // after the stop (a loaded machine), they would meet a FIFO nobody reads and end it, which launchd's never does.
    await waitFor(() => firstLines.some((l) => l.includes('Creating tap description')), 'the app to reach tap creation');
    await first.stop();
    assert.ok(alive(starts()[0].pid), 'the stand-in still runs (launchd owns it; nothing could signal it)');
    const second = unknown(command);
    recorders.push(second);
    assert.equal(direct.length, 1, 'no second app instance: audiotee ran directly');
    await second.ended;
    assert.equal(starts().length, 1);
    assert.match(said[0], /running audiotee directly.*an earlier Earshot Audio Capture\.app that Earshot stopped before it delivered any audio may still be running/);
    // Only the next tap waits for that instance: the app stays usable, so the microphone still records through it.
    assert.equal(captureAppUnusable(), undefined, 'a tap that may linger does not turn the app off');
    assert.equal(microphoneAppUnusable(app, '24.1.0'), undefined);

    // With its PID found, each silent instance is SIGKILLed; the second in a row makes the app unusable.
    resetCaptureAppState();
    said.length = 0; direct.length = 0;
    const known = audioteeSpawner(spawnDirect, { app, open, tmpdir: tmp, findHelperPid: async () => starts().at(-1)?.pid, log: (m) => said.push(m) });
    for (let launch = 1; launch <= 2; launch++) {
      const recorder = known(command);
      await waitFor(() => starts().length === 1 + launch, `app ${launch} to start`);
      helpers.push(starts().at(-1)!.pid);
      await recorder.stop();
      await waitFor(() => !alive(starts().at(-1)!.pid), `app ${launch} to be gone`, 3000);
      assert.equal(direct.length, 0, `launch ${launch} went through the app`);
    }
    const third = known(command);
    recorders.push(third);
    assert.equal(direct.length, 1, 'the third launch ran audiotee directly');
    await third.ended;
    assert.match(said[0], /running audiotee directly.*Earshot Audio Capture\.app delivered no audio in 2 launches in a row/);
  });
});

describe('a silent tap offers the loopback device that is there', function () {
  this.timeout(20_000);
  const runs: CaptureRun[] = [];
  afterEach(async () => { await Promise.all(runs.splice(0).map((r) => r.stop())); });

  /** A tap of zeros (the fake recorder at amplitude 0) and a microphone that hears the user; the hint after 400 ms. */
  const silentTap = (options: { findLoopback?: () => Promise<string | undefined>; release?: string }) => {
    const tap = startCapture(new LiveSource({ kind: 'system', platform: 'darwin', launcher: { ...fakeLauncher([{ amplitude: 0, then: 'forever' }]), recorder: 'audiotee' }, silentMs: 400, ...options }));
    const mic = startCapture(new LiveSource({ kind: 'mic', platform: 'darwin', launcher: fakeLauncher([{ amplitude: 0.5, then: 'forever' }]) }));
    tap.source.pairWithMicrophone(mic.source);
    runs.push(tap, mic);
    return tap;
  };

  it('names the loopback device in the hint and offers it (loopbackDevice), with the 14.4+ remedy', async () => {
    const run = silentTap({ findLoopback: async () => 'Existential Audio Inc.: BlackHole 2ch', release: '24.1.0' });
    await run.waitFor(() => run.statuses.some((s) => s.hint), 'the hint');
    const hint = run.statuses.find((s) => s.hint)!;
    assert.equal(hint.state, 'capturing');
    assert.equal(hint.loopbackDevice, 'Existential Audio Inc.: BlackHole 2ch');
    assert.match(hint.hint!, /"System Audio Recording Only".*Or record "Existential Audio Inc\.: BlackHole 2ch" instead/);
  });

  it('on macOS 14.2–14.3 says there is no list to allow it in; without a loopback device it offers none', async () => {
    const run = silentTap({ findLoopback: async () => undefined, release: '23.3.0' });
    await run.waitFor(() => run.statuses.some((s) => s.hint), 'the hint');
    const hint = run.statuses.find((s) => s.hint)!;
    assert.equal(hint.loopbackDevice, undefined);
    assert.match(hint.hint!, /no "System Audio Recording Only" list to allow it in \(it came with macOS 14\.4\): update macOS, or record a loopback device such as BlackHole instead/);
  });
});
