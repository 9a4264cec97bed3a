#!/usr/bin/env node
/**
 * Builds "Earshot Audio Capture.app" into out/mac-capture/: Earshot's own recorder, earshot-capture
 * (scripts/mac-capture/earshot-capture.cpp compiled with RtAudio's sources from audify), as the bundle's executable,
 * and audiotee's binary (node_modules/audiotee/bin/audiotee) beside it, so that macOS asks about system audio and the
 * microphone for "Earshot" and lists it in Privacy & Security (daemon/capture/macCaptureApp.ts says why and how the
 * daemon launches it; earshot-capture.cpp's header says what each subcommand does and why the microphone is there).
 *
 * The Info.plist keys (Apple's Information Property List reference):
 *   CFBundleIdentifier, CFBundleName/CFBundleDisplayName ("Earshot": the name macOS shows in the prompt and the
 *   list), CFBundleExecutable, CFBundlePackageType APPL;
 *   LSUIElement: an agent app, no Dock icon or menu bar while it records;
 *   LSMinimumSystemVersion 14.2: Core Audio process taps (AudioHardwareCreateProcessTap) arrived in 14.2;
 *   NSAudioCaptureUsageDescription: the sentence of the system-audio prompt; without it tccd shows no prompt and the
 *   tap records zeros (insidegui/AudioCap's README; pasrom/meeting-transcriber#547);
 *   NSMicrophoneUsageDescription: the sentence of the microphone prompt (without it an app that opens an input device
 *   is refused; Apple's "Requesting authorization to capture and save media").
 * Versions: CFBundleShortVersionString/CFBundleVersion are the recorder's own version (RECORDER_VERSION in the .cpp),
 * EarshotRecorderVersion and EarshotAudioteeVersion say what is inside; nothing in the bundle carries Earshot's
 * version. An ad-hoc signature's designated requirement is its code directory hash, which covers the Info.plist, and
 * tccd keeps a grant for that hash (review 3, P1): a bundle that changes with every Earshot release would lose the
 * user's grant at every update. So the bundle is byte-identical across releases until audiotee or the recorder
 * changes, and the release workflow fails when the hash changes without one of those versions.
 *
 * Signing needs Apple's codesign, so it is not done here: the release workflow signs audiotee and then the bundle ad
 * hoc on its macOS runner (`codesign --force --sign - --identifier <id>`) before packaging, and package-vsix.js keeps a
 * bundle that is current (its Info.plist is the one this script writes) instead of building it again. On Linux the
 * unsigned bundle is built for the tests, its recorder with RtAudio's PulseAudio API.
 *
 * Beside the bundle, not in it: earshot-audio-processes (scripts/mac-capture/earshot-audio-processes.cpp), which lists
 * Core Audio's processes for call detection (daemon/calls/mac.ts). Inside the bundle it would change the bundle's code
 * directory hash (its sealed resources, or the recorder) and so lose the user's grant; its header says why and cites.
 * It needs no grant, so it is built whenever it is older than its source, for macOS 11 and later (it tells 14.2's
 * absence itself); the release signs it ad hoc on its own.
 *
 * Usage: node scripts/mac-capture-app.js [--check] [--bundle-id] [--recorder-version] [--native-only [--out FILE]]
 *                                        [--processes-only [--out FILE]]
 *   (none)            build it (again) from the installed audiotee and audify's RtAudio, and earshot-audio-processes
 *   --check           exit 1 unless the bundle is there and current
 *   --bundle-id       print the bundle identifier (for codesign --identifier)
 *   --recorder-version  print RECORDER_VERSION
 *   --native-only     compile only earshot-capture, to out/test/earshot-capture/earshot-capture or --out FILE
 *   --processes-only  compile only earshot-audio-processes, to out/mac-capture/earshot-audio-processes or --out FILE
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const REPO = path.join(__dirname, '..');
/** daemon/capture/macCaptureApp.ts's CAPTURE_APP and CAPTURE_APP_EXECUTABLE (test/unit/mac-capture-app.test.ts holds them together). */
const APP_NAME = 'Earshot Audio Capture.app';
const EXECUTABLE = 'earshot-capture';
/** audiotee, beside the recorder in Contents/MacOS (`earshot-capture system` runs it from there). */
const AUDIOTEE = 'audiotee';
const RECORDER_SOURCE = path.join(__dirname, 'mac-capture', 'earshot-capture.cpp');
/** Call detection's process list (daemon/calls/detector.ts runs it), beside the bundle in APP_DIR. */
const PROCESSES = 'earshot-audio-processes';
const PROCESSES_SOURCE = path.join(__dirname, 'mac-capture', `${PROCESSES}.cpp`);
/** Where --native-only puts the recorder by default: under out/test/, which no package carries (.vscodeignore). */
const NATIVE_OUT = 'out/test/earshot-capture/earshot-capture';
const APP_DIR = 'out/mac-capture';
const APP_PATH = `${APP_DIR}/${APP_NAME}`;
const PROCESSES_PATH = `${APP_DIR}/${PROCESSES}`;
const BUNDLE_ID = 'dev.earshot.audio-capture';
const USAGE = 'Earshot records what your Mac plays, such as the other people in a call, to transcribe your meeting on this Mac. Nothing is sent anywhere.';
const MICROPHONE_USAGE = 'Earshot records your microphone to transcribe your dictation and your side of a meeting on this Mac. Nothing is sent anywhere.';

const xmlEscape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Info.plist of the bundle, as XML (Apple's plist DTD). `recorder`, `audiotee`: the versions of the binaries inside. */
function infoPlist({ recorder, audiotee }) {
  const entries = [
    ['CFBundleIdentifier', BUNDLE_ID],
    ['CFBundleName', 'Earshot'],
    ['CFBundleDisplayName', 'Earshot'],
    ['CFBundleExecutable', EXECUTABLE],
    ['CFBundlePackageType', 'APPL'],
    ['CFBundleInfoDictionaryVersion', '6.0'],
    ['CFBundleShortVersionString', recorder],
    ['CFBundleVersion', recorder],
    ['LSUIElement', true],
    ['LSMinimumSystemVersion', '14.2'],
    ['NSAudioCaptureUsageDescription', USAGE],
    ['NSMicrophoneUsageDescription', MICROPHONE_USAGE],
    // What is inside, so that a bundle left from another audiotee or recorder is built again (package-vsix.js).
    ['EarshotRecorderVersion', recorder],
    ['EarshotAudioteeVersion', audiotee],
  ];
  const value = (v) => (v === true ? '<true/>' : `<string>${xmlEscape(v)}</string>`);
  return '<?xml version="1.0" encoding="UTF-8"?>\n'
    + '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
    + '<plist version="1.0">\n<dict>\n'
    + entries.map(([k, v]) => `\t<key>${k}</key>\n\t${value(v)}\n`).join('')
    + '</dict>\n</plist>\n';
}

/** RECORDER_VERSION of earshot-capture.cpp (bumped with every change to it). */
function recorderVersion(source = RECORDER_SOURCE) {
  const m = /^#define RECORDER_VERSION "([0-9]+\.[0-9]+\.[0-9]+)"$/m.exec(fs.readFileSync(source, 'utf8'));
  if (!m) throw new Error(`${source} has no #define RECORDER_VERSION "N.N.N"`);
  return m[1];
}

/** The versions the Info.plist carries: the recorder's and the installed audiotee's (never Earshot's own). */
function versions(root) {
  return { recorder: recorderVersion(), audiotee: JSON.parse(fs.readFileSync(path.join(root, 'node_modules/audiotee/package.json'), 'utf8')).version };
}

const audioteeBinary = (root) => path.join(root, 'node_modules', 'audiotee', 'bin', 'audiotee');

/**
 * The compiler command for earshot-capture on this machine: clang++ with CoreAudio on macOS (the Xcode command line
 * tools), g++ with PulseAudio elsewhere (RtAudio's API defines, RtAudio's README). -mmacosx-version-min keeps the
 * binary to the bundle's LSMinimumSystemVersion. No debug information, no dates: the same sources and compiler give
 * the same binary, so the signed bundle keeps its hash (P1).
 */
function compileCommand(root, out, platform = process.platform) {
  const rtaudio = path.join(root, 'node_modules', 'audify', 'vendor', 'rtaudio');
  const sources = [RECORDER_SOURCE, path.join(rtaudio, 'RtAudio.cpp')];
  const common = ['-std=c++17', '-O2', '-g0', `-I${rtaudio}`, ...sources, '-o', out];
  return platform === 'darwin'
    ? { command: 'clang++', args: ['-mmacosx-version-min=14.2', '-D__MACOSX_CORE__', ...common, '-framework', 'CoreAudio', '-framework', 'CoreFoundation', '-lpthread'] }
    : { command: 'g++', args: ['-D__LINUX_PULSE__', ...common, '-lpulse-simple', '-lpulse', '-lpthread'] };
}

/**
 * The compiler command for earshot-audio-processes: clang++ with CoreAudio and CoreFoundation on macOS, for macOS 11
 * and later (the first with Apple silicon), so that a Mac before 14.2 runs it and is told that Core Audio has no
 * process objects there instead of failing to load it; g++ with libpulse elsewhere (its Linux mode, for the tests).
 */
function processesCompileCommand(out, platform = process.platform) {
  const common = ['-std=c++17', '-O2', '-g0', PROCESSES_SOURCE, '-o', out];
  return platform === 'darwin'
    ? { command: 'clang++', args: ['-mmacosx-version-min=11.0', ...common, '-framework', 'CoreAudio', '-framework', 'CoreFoundation'] }
    : { command: 'g++', args: [...common, '-lpulse'] };
}

/** Runs a compiler command into `out` (executable); throws with the compiler's output when it fails. */
function compile({ command, args }, out) {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const run = spawnSync(command, args, { encoding: 'utf8', timeout: 300_000 });
  if (run.error) throw new Error(`${command} could not run (${run.error.message}): ${process.platform === 'darwin' ? 'xcode-select --install' : 'apt-get install g++ libpulse-dev'}`);
  if (run.status !== 0) throw new Error(`${command} failed (${run.status ?? run.signal}):\n${(run.stderr || run.stdout).slice(-4000)}`);
  fs.chmodSync(out, 0o755);
  return out;
}

/** Compiles earshot-capture into `out`; throws with the compiler's output when it fails. */
function compileRecorder(root = REPO, out = path.join(root, NATIVE_OUT)) {
  const rtaudio = path.join(root, 'node_modules', 'audify', 'vendor', 'rtaudio', 'RtAudio.cpp');
  if (!fs.existsSync(rtaudio)) throw new Error(`${path.relative(root, rtaudio)} is missing: audify (which carries RtAudio's sources) is not installed`);
  return compile(compileCommand(root, out), out);
}

/** Compiles earshot-audio-processes into `out` (default: beside the bundle under `root`). */
function compileProcesses(root = REPO, out = path.join(root, PROCESSES_PATH)) {
  return compile(processesCompileCommand(out), out);
}

/**
 * earshot-audio-processes under `root`, compiled when it is missing or older than its source (one the release signed
 * after building it is kept; no grant hangs on its hash, so a new build costs the user nothing).
 */
function ensureProcesses(root = REPO) {
  const out = path.join(root, PROCESSES_PATH);
  try {
    fs.accessSync(out, fs.constants.X_OK);
    if (fs.statSync(out).mtimeMs >= fs.statSync(PROCESSES_SOURCE).mtimeMs) return out;
  } catch {
    // missing: built below
  }
  return compileProcesses(root, out);
}

/** Whether the bundle under `root` is there, with both executables, and has the Info.plist this script writes now. */
function isCurrent(root = REPO) {
  const app = path.join(root, APP_PATH);
  try {
    for (const exe of [EXECUTABLE, AUDIOTEE]) fs.accessSync(path.join(app, 'Contents', 'MacOS', exe), fs.constants.X_OK);
    return fs.readFileSync(path.join(app, 'Contents', 'Info.plist'), 'utf8') === infoPlist(versions(root));
  } catch {
    return false;
  }
}

/**
 * Builds the bundle under `root` from its installed audiotee and earshot-capture compiled from audify's RtAudio (or
 * `recorder`, a binary already built: the unit tests give a stand-in); returns its path. Throws when audiotee is not
 * installed or the recorder does not compile.
 */
function build(root = REPO, { recorder } = {}) {
  const binary = audioteeBinary(root);
  if (!fs.existsSync(binary)) throw new Error(`${path.relative(root, binary)} is missing: audiotee (an optional dependency, macOS only) is not installed, so ${APP_NAME} cannot be built`);
  const app = path.join(root, APP_PATH);
  fs.rmSync(app, { recursive: true, force: true });
  fs.mkdirSync(path.join(app, 'Contents', 'MacOS'), { recursive: true });
  fs.writeFileSync(path.join(app, 'Contents', 'Info.plist'), infoPlist(versions(root)));
  fs.writeFileSync(path.join(app, 'Contents', 'PkgInfo'), 'APPL????'); // the type and creator LaunchServices reads
  const macos = path.join(app, 'Contents', 'MacOS');
  if (recorder) fs.copyFileSync(recorder, path.join(macos, EXECUTABLE));
  else compileRecorder(root, path.join(macos, EXECUTABLE));
  fs.copyFileSync(binary, path.join(macos, AUDIOTEE));
  // vsce keeps the mode, VS Code's installer restores it (vsix-contents.js checks it)
  for (const exe of [EXECUTABLE, AUDIOTEE]) fs.chmodSync(path.join(macos, exe), 0o755);
  return app;
}

/** The bundle under `root`, built when it is not current (a signed current bundle is kept as it is). */
function ensure(root = REPO) {
  return isCurrent(root) ? path.join(root, APP_PATH) : build(root);
}

module.exports = {
  APP_NAME, APP_DIR, APP_PATH, EXECUTABLE, AUDIOTEE, BUNDLE_ID, USAGE, MICROPHONE_USAGE, NATIVE_OUT, PROCESSES, PROCESSES_PATH,
  infoPlist, recorderVersion, compileCommand, compileRecorder, processesCompileCommand, compileProcesses, ensureProcesses, isCurrent, build, ensure,
};

if (require.main === module) {
  const argv = process.argv.slice(2);
  try {
    const at = (flag) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
    if (argv.includes('--bundle-id')) console.log(BUNDLE_ID);
    else if (argv.includes('--recorder-version')) console.log(recorderVersion());
    else if (argv.includes('--native-only')) console.log(path.relative(process.cwd(), compileRecorder(REPO, path.resolve(at('--out') ?? path.join(REPO, NATIVE_OUT)))));
    else if (argv.includes('--processes-only')) console.log(path.relative(process.cwd(), compileProcesses(REPO, path.resolve(at('--out') ?? path.join(REPO, PROCESSES_PATH)))));
    else if (argv.includes('--check')) {
      if (!isCurrent()) throw new Error(`${APP_PATH} is missing or out of date: run node scripts/mac-capture-app.js`);
      console.log(`${APP_PATH} is current`);
    } else {
      console.log(path.relative(process.cwd(), build()));
      console.log(path.relative(process.cwd(), compileProcesses()));
    }
  } catch (e) {
    console.error(`mac-capture-app: ${e.message}`);
    process.exitCode = 1;
  }
}
