#!/usr/bin/env node
/**
 * Makes audify's native addon (RtAudio: the in-process microphone and system-audio backend) available; runs as
 * part of `postinstall`. It never fails the install: without the addon Earshot falls back to the recorder
 * programs (sox, arecord, parec, ffmpeg) and `earshot devices` says why.
 *
 * audify's own install script (`prebuild-install -r napi || cmake-js compile`) is denied in package.json's
 * allowScripts because it fails the whole `npm ci` where no prebuilt can be downloaded and nothing to build it
 * with is installed. This script does the same two things, in the order that suits each OS, and says what it did:
 *   Linux          build from audify's vendored sources (RtAudio with ALSA and PulseAudio: the prebuilt's APIs
 *                  are not ours to choose, and the PulseAudio API is what lists monitors and follows
 *                  PULSE_SERVER). Needs cmake, a C++ compiler, libasound2-dev and libpulse-dev: installed with
 *                  apt-get when running as root (CI); otherwise the command to run is printed. If that is not
 *                  possible, the prebuilt is tried.
 *   macOS/Windows  the prebuilt (CoreAudio / WASAPI), else a source build with the platform's compiler.
 * Headers: audify is a Node-API addon, so cmake-js takes node_api.h from the node-api-headers package (no
 * download of Node's headers). The result is checked by loading the addon in a separate Node process.
 *
 * Usage: node scripts/build-audify.js [--check] [--force]
 *   --check  print what is installed (JSON: loads, apis, how it was built); exit 1 when the addon does not load
 *   --force  rebuild from source even when the addon loads
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const REPO = path.join(__dirname, '..');
const DEBIAN_BUILD_PACKAGES = ['cmake', 'g++', 'make', 'libasound2-dev', 'libpulse-dev'];
const log = (line) => console.log(`earshot: ${line}`);

function audifyDir() {
  try {
    return path.dirname(require.resolve('audify/package.json', { paths: [REPO] }));
  } catch {
    return undefined;
  }
}

/** Loads the addon in a child Node (a broken .node must not take this script down): { loads, apis, error }. */
function probe(dir) {
  // RtAudio falls back to a compiled-in API when asked for one it lacks: the names it reports are the APIs built.
  const code = `const a = require(${JSON.stringify(dir)}); const apis = new Set();
    for (const api of [4, 2, 1, 7, 6, 8, 3]) { try { apis.add(new a.RtAudio(api).getApi()); } catch {} }
    apis.delete('Dummy'); console.log(JSON.stringify({ loads: true, apis: [...apis] }));`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 20000 });
  if (r.status === 0) {
    try {
      return JSON.parse(r.stdout.trim().split('\n').pop());
    } catch { /* fall through */ }
  }
  // The line that says why (bindings' "Could not locate the bindings file", a dlopen error), not the stack's first.
  const lines = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').map((l) => l.trim()).filter(Boolean);
  const why = lines.find((l) => /^(\w*Error|Could not|Error:)/.test(l)) ?? lines[0];
  return { loads: false, apis: [], error: why.slice(0, 300) };
}

function binaryPath(dir) {
  return path.join(dir, 'build', 'Release', 'audify.node');
}

/** Which Debian packages the source build lacks (empty off Debian or when dpkg is absent: the build will tell). */
function missingDebianPackages() {
  if (process.platform !== 'linux' || spawnSync('dpkg-query', ['--version']).status !== 0) return [];
  return DEBIAN_BUILD_PACKAGES.filter((p) => !/ok installed/.test(spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).stdout ?? ''));
}

/** Installs the build's Debian packages when we may (root, apt-get present); returns what is still missing. */
function ensureDebianPackages() {
  let missing = missingDebianPackages();
  if (missing.length === 0) return missing;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || spawnSync('apt-get', ['--version']).status !== 0) return missing;
  log(`audify: apt-get install ${missing.join(' ')} (to build the in-process audio backend)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const opts = { stdio: ['ignore', 'ignore', 'inherit'], env, timeout: 600000 };
  const install = () => spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=600', '-o', 'APT::Keep-Downloaded-Packages=false', ...missing], opts);
  if (install().status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], opts);
    install();
  }
  missing = missingDebianPackages();
  return missing;
}

function buildFromSource(dir) {
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [dir, REPO] });
  const started = Date.now();
  log('audify: building RtAudio from its sources (about a minute)…');
  const env = { ...process.env, CMAKE_BUILD_PARALLEL_LEVEL: process.env.CMAKE_BUILD_PARALLEL_LEVEL ?? String(Math.max(1, require('node:os').availableParallelism?.() ?? 2)) };
  const r = spawnSync(process.execPath, [cmakeJs, 'compile', '--directory', dir], { cwd: dir, env, encoding: 'utf8', timeout: 900000, maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n').filter((l) => /error|not found|could not/i.test(l)).slice(-4).join(' | ');
    log(`audify: the source build failed (${tail || r.error?.message || `exit ${r.status}`})`);
    return false;
  }
  fs.writeFileSync(path.join(dir, 'build', 'earshot-build.json'), JSON.stringify({ how: 'source', at: new Date().toISOString() }) + '\n');
  log(`audify: built in ${Math.round((Date.now() - started) / 1000)} s`);
  return true;
}

function tryPrebuilt(dir) {
  let bin;
  try {
    bin = require.resolve('prebuild-install/bin.js', { paths: [dir, REPO] });
  } catch {
    return false;
  }
  // A short timeout: behind a firewall (or offline) the download can only fail, and the install must not hang on it.
  const r = spawnSync(process.execPath, [bin, '-r', 'napi'], { cwd: dir, encoding: 'utf8', timeout: 90000 });
  if (r.status === 0 && fs.existsSync(binaryPath(dir))) {
    fs.mkdirSync(path.join(dir, 'build'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'build', 'earshot-build.json'), JSON.stringify({ how: 'prebuilt', at: new Date().toISOString() }) + '\n');
    log('audify: prebuilt binary installed');
    return true;
  }
  log(`audify: no prebuilt binary (${(r.stderr || r.error?.message || '').trim().split('\n').pop() || `exit ${r.status}`})`);
  return false;
}

function howBuilt(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'build', 'earshot-build.json'), 'utf8')).how;
  } catch {
    return fs.existsSync(binaryPath(dir)) ? 'audify' : 'none';
  }
}

function main() {
  const args = process.argv.slice(2);
  const dir = audifyDir();
  if (args.includes('--check')) {
    const info = dir ? { ...probe(dir), built: howBuilt(dir), dir } : { loads: false, apis: [], error: 'audify is not installed (an optional dependency)' };
    console.log(JSON.stringify(info));
    process.exit(info.loads ? 0 : 1);
  }
  if (!dir) {
    log('audify is not installed (optional dependency skipped): capture uses the recorder programs (sox, arecord, parec, ffmpeg)');
    return;
  }
  if (process.env.EARSHOT_SKIP_AUDIFY_BUILD === '1') {
    log('audify: build skipped (EARSHOT_SKIP_AUDIFY_BUILD=1)');
    return;
  }
  const force = args.includes('--force');
  const wantsPulse = process.platform === 'linux';
  const current = probe(dir);
  if (!force && current.loads && (!wantsPulse || current.apis.includes('Pulse'))) {
    log(`audify ready (${howBuilt(dir)}; ${current.apis.join(', ')})`);
    return;
  }
  let ok = false;
  if (process.platform === 'linux') {
    const missing = ensureDebianPackages();
    if (missing.length === 0) ok = buildFromSource(dir);
    else log(`audify: cannot build from source, missing ${missing.join(' ')} (sudo apt install ${missing.join(' ')}, then npm rebuild earshot or node scripts/build-audify.js)`);
    if (!ok && !force) ok = tryPrebuilt(dir);
  } else {
    ok = (!force && tryPrebuilt(dir)) || buildFromSource(dir);
  }
  const after = probe(dir);
  if (ok && after.loads) log(`audify ready (${howBuilt(dir)}; ${after.apis.join(', ')})`);
  else log(`audify is not usable${after.error ? ` (${after.error})` : ''}: capture falls back to the recorder programs (sox, arecord, parec, ffmpeg)`);
}

try {
  main();
} catch (e) {
  // Never fail the install: the recorder programs remain.
  log(`audify: ${e.message}; capture falls back to the recorder programs`);
}
