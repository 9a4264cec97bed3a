#!/usr/bin/env node
/**
 * Builds "Earshot Audio Capture.app" into out/mac-capture/: audiotee's binary (node_modules/audiotee/bin/audiotee)
 * inside an app bundle of its own, so that macOS asks about system audio for "Earshot" and lists it in Privacy &
 * Security (daemon/capture/macCaptureApp.ts says why and how the daemon launches it).
 *
 * The Info.plist keys (Apple's Information Property List reference):
 *   CFBundleIdentifier, CFBundleName/CFBundleDisplayName ("Earshot": the name macOS shows in the prompt and the
 *   list), CFBundleExecutable, CFBundlePackageType APPL;
 *   LSUIElement: an agent app, no Dock icon or menu bar while it records;
 *   LSMinimumSystemVersion 14.2: Core Audio process taps (AudioHardwareCreateProcessTap) arrived in 14.2;
 *   NSAudioCaptureUsageDescription: the sentence of the system-audio prompt; without it tccd shows no prompt and the
 *   tap records zeros (insidegui/AudioCap's README; pasrom/meeting-transcriber#547).
 *
 * Signing needs Apple's codesign, so it is not done here: the release workflow signs the bundle ad hoc on its macOS
 * runner (`codesign --force --sign - --identifier <CFBundleIdentifier>`) before packaging, and package-vsix.js keeps a
 * bundle that is current (its Info.plist is the one this script writes) instead of building it again. On Linux the
 * unsigned bundle is built for the tests.
 *
 * Usage: node scripts/mac-capture-app.js [--check] [--bundle-id]
 *   (none)       build it (again) from the installed audiotee
 *   --check      exit 1 unless the bundle is there and current
 *   --bundle-id  print the bundle identifier (for codesign --identifier)
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const REPO = path.join(__dirname, '..');
/** daemon/capture/macCaptureApp.ts's CAPTURE_APP and CAPTURE_APP_EXECUTABLE (test/unit/mac-capture-app.test.ts holds them together). */
const APP_NAME = 'Earshot Audio Capture.app';
const EXECUTABLE = 'audiotee';
const APP_DIR = 'out/mac-capture';
const APP_PATH = `${APP_DIR}/${APP_NAME}`;
const BUNDLE_ID = 'dev.earshot.audio-capture';
const USAGE = 'Earshot records what your Mac plays, such as the other people in a call, to transcribe your meeting on this Mac. Nothing is sent anywhere.';

const xmlEscape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Info.plist of the bundle, as XML (Apple's plist DTD). `audiotee`: the version of the binary inside. */
function infoPlist({ version, audiotee }) {
  const entries = [
    ['CFBundleIdentifier', BUNDLE_ID],
    ['CFBundleName', 'Earshot'],
    ['CFBundleDisplayName', 'Earshot'],
    ['CFBundleExecutable', EXECUTABLE],
    ['CFBundlePackageType', 'APPL'],
    ['CFBundleInfoDictionaryVersion', '6.0'],
    ['CFBundleShortVersionString', version],
    ['CFBundleVersion', version],
    ['LSUIElement', true],
    ['LSMinimumSystemVersion', '14.2'],
    ['NSAudioCaptureUsageDescription', USAGE],
    // Which audiotee is inside, so that a bundle left from another audiotee is built again (package-vsix.js).
    ['EarshotAudioteeVersion', audiotee],
  ];
  const value = (v) => (v === true ? '<true/>' : `<string>${xmlEscape(v)}</string>`);
  return '<?xml version="1.0" encoding="UTF-8"?>\n'
    + '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
    + '<plist version="1.0">\n<dict>\n'
    + entries.map(([k, v]) => `\t<key>${k}</key>\n\t${value(v)}\n`).join('')
    + '</dict>\n</plist>\n';
}

function versions(root) {
  const read = (file) => JSON.parse(fs.readFileSync(path.join(root, file), 'utf8')).version;
  return { version: read('package.json'), audiotee: read('node_modules/audiotee/package.json') };
}

const audioteeBinary = (root) => path.join(root, 'node_modules', 'audiotee', 'bin', 'audiotee');

/** Whether the bundle under `root` is there, executable, and has the Info.plist this script writes now. */
function isCurrent(root = REPO) {
  const app = path.join(root, APP_PATH);
  try {
    fs.accessSync(path.join(app, 'Contents', 'MacOS', EXECUTABLE), fs.constants.X_OK);
    return fs.readFileSync(path.join(app, 'Contents', 'Info.plist'), 'utf8') === infoPlist(versions(root));
  } catch {
    return false;
  }
}

/** Builds the bundle under `root` from its installed audiotee; returns its path. Throws when audiotee is not installed. */
function build(root = REPO) {
  const binary = audioteeBinary(root);
  if (!fs.existsSync(binary)) throw new Error(`${path.relative(root, binary)} is missing: audiotee (an optional dependency, macOS only) is not installed, so ${APP_NAME} cannot be built`);
  const app = path.join(root, APP_PATH);
  fs.rmSync(app, { recursive: true, force: true });
  fs.mkdirSync(path.join(app, 'Contents', 'MacOS'), { recursive: true });
  fs.writeFileSync(path.join(app, 'Contents', 'Info.plist'), infoPlist(versions(root)));
  fs.writeFileSync(path.join(app, 'Contents', 'PkgInfo'), 'APPL????'); // the type and creator LaunchServices reads
  const exe = path.join(app, 'Contents', 'MacOS', EXECUTABLE);
  fs.copyFileSync(binary, exe);
  fs.chmodSync(exe, 0o755); // vsce keeps the mode, VS Code's installer restores it (vsix-contents.js checks it)
  return app;
}

/** The bundle under `root`, built when it is not current (a signed current bundle is kept as it is). */
function ensure(root = REPO) {
  return isCurrent(root) ? path.join(root, APP_PATH) : build(root);
}

module.exports = { APP_NAME, APP_DIR, APP_PATH, EXECUTABLE, BUNDLE_ID, USAGE, infoPlist, isCurrent, build, ensure };

if (require.main === module) {
  const argv = process.argv.slice(2);
  try {
    if (argv.includes('--bundle-id')) console.log(BUNDLE_ID);
    else if (argv.includes('--check')) {
      if (!isCurrent()) throw new Error(`${APP_PATH} is missing or out of date: run node scripts/mac-capture-app.js`);
      console.log(`${APP_PATH} is current`);
    } else console.log(path.relative(process.cwd(), build()));
  } catch (e) {
    console.error(`mac-capture-app: ${e.message}`);
    process.exitCode = 1;
  }
}
