#!/usr/bin/env node
/**
 * Checks an unpacked VSIX by running its own CLI, as the release workflow does on each platform's runner (and
 * `npm run test:vsix` on Linux): `earshot build-info` loads the packaged whisper addon, which names its CPU module,
 * and that module must be the package's own; the GPU module asked for must be there (Metal must find a device);
 * on macOS audiotee must be found inside the package and be executable; `earshot devices --json` must list without an
 * error (hosted runners have no audio devices) and, on Windows and macOS, name audify as the microphone's backend (it
 * says "recorder programs" when the addon did not load, and exits 0 all the same). On Windows each addon's first
 * Node-API call, a double (scripts/win32/node-api-resolver.c: `earshotFirstDouble`), must arrive whole, with the
 * resolver told to trash xmm0-xmm5 as some Windows DLLs do (EARSHOT_TEST_TRASH_XMM). Needs nothing but Node, or VS
 * Code's own Code.exe with ELECTRON_RUN_AS_NODE=1 (every check then runs in Code.exe: children are started with
 * process.execPath and inherit the variable): the Windows job runs it both ways, without `npm ci`.
 *
 * Paths are compared in one form (path.resolve of the platform's flavour; case-insensitively on Windows): the
 * addon reports its module from GetModuleFileNameW (D:\a\…\ggml-cpu-haswell.dll) while a path handed over by Git
 * Bash is /d/a/… or D:/a/…, which a plain startsWith never matches.
 *
 * Usage: node scripts/check-package.js <unpacked>/extension [--gpu vulkan|metal|none]   (exit 1 on a problem)
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

/** Whether `file` lies inside folder `dir`, both compared as `platform` resolves and compares them. */
function inside(dir, file, platform = process.platform) {
  if (!dir || !file) return false;
  const p = platform === 'win32' ? path.win32 : path.posix;
  const norm = (f) => (platform === 'win32' ? p.resolve(f).toLowerCase() : p.resolve(f));
  const root = norm(dir);
  return norm(file).startsWith(root.endsWith(p.sep) ? root : root + p.sep);
}

/** What is wrong with `earshot build-info`'s answer for the package at `pkg` (an empty list: nothing). */
function buildInfoProblems(info, pkg, { gpu = 'none', platform = process.platform } = {}) {
  const problems = [];
  if (!info.cpuVariant || info.cpuVariant === 'built in') problems.push('no CPU module loaded from the package');
  if (!inside(pkg, info.cpuBackend, platform)) problems.push(`the CPU module is not the package's: ${info.cpuBackend} (package ${pkg})`);
  if (gpu !== 'none' && !(info.gpuBackends ?? []).includes(gpu)) problems.push(`the ${gpu} module is missing: ${info.gpuBackends}`);
  // ggml-metal.cpp registers itself as "MTL" (GGML_METAL_NAME).
  if (gpu === 'metal' && !(info.gpuDevices ?? []).some((d) => d.backend === 'MTL')) problems.push(`Metal finds no device: ${JSON.stringify(info.gpuDevices)}`);
  return problems;
}

/** The packaged addons whose resolver leaves `earshotFirstDouble` on their exports (the win32 builds only). */
const WIN32_ADDONS = ['node_modules/audify/build/Release/audify.node', 'node_modules/smart-whisper/build/Release/smart-whisper.node'];
const FIRST_DOUBLE = 1.5;

/**
 * What is wrong with `earshot devices --json`'s answer. Windows: the microphone must be audify's. macOS: it must be the
 * capture app's recorder (daemon/capture/macMicrophone.ts; macOS asks for Earshot), with audify loaded as its fallback
 * and audiotee recording system audio.
 */
function devicesProblems(list, platform = process.platform) {
  if (platform !== 'win32' && platform !== 'darwin') return [];
  const microphone = list?.backends?.microphone ?? '';
  const why = (list?.notes ?? []).find((n) => /in-process capture unavailable/.test(n));
  const audifyFailed = `the in-process audio backend did not load (microphone backend: ${microphone || 'none'})${why ? `: ${why}` : ''}`;
  if (platform === 'win32') return /^audify\b/.test(microphone) ? [] : [audifyFailed];
  const problems = [];
  if (!/^earshot-capture\b/.test(microphone)) {
    const app = (list?.notes ?? []).find((n) => /inside the editor's process/.test(n));
    problems.push(`the capture app does not record the microphone (microphone backend: ${microphone || 'none'})${app ? `: ${app}` : ''}`);
  }
  // daemon/capture/devices.ts CAPTURE_APP_NOT_LISTING: the app did not answer `devices` through open and its FIFOs.
  const notListing = (list?.notes ?? []).find((n) => /^Earshot Audio Capture\.app did not list the devices/.test(n));
  if (notListing) problems.push(notListing);
  if (why) problems.push(audifyFailed);
  const system = list?.backends?.systemAudio ?? '';
  if (!/^audiotee\b/.test(system)) problems.push(`audiotee does not record system audio (system audio backend: ${system || 'none'})`);
  return problems;
}

/** What is wrong with each addon's first double ({ addon: value, or { error } }): it must be exactly FIRST_DOUBLE. */
function firstDoubleProblems(results) {
  return Object.entries(results).filter(([, v]) => v !== FIRST_DOUBLE)
    .map(([addon, v]) => `${addon}: its first Node-API call (napi_create_double(${FIRST_DOUBLE})) gave ${JSON.stringify(v)}`);
}

/** Loads each win32 addon in a fresh process of this executable (node.exe or Code.exe) and reads its first double. */
function firstDoubles(pkg) {
  const script = 'const r = {}; for (const a of process.argv.slice(1)) { try { r[a] = require(a).earshotFirstDouble ?? null; } catch (e) { r[a] = { error: e.message }; } } console.log(JSON.stringify(r));';
  const run = spawnSync(process.execPath, ['-e', script, ...WIN32_ADDONS.map((a) => path.join(pkg, a))],
    { encoding: 'utf8', env: { ...process.env, EARSHOT_TEST_TRASH_XMM: '1' } });
  if (run.status !== 0) throw new Error(`loading the addons failed (exit ${run.status ?? run.signal}): ${run.stderr}`);
  return JSON.parse(run.stdout);
}

function earshot(pkg, args) {
  return spawnSync(process.execPath, [path.join(pkg, 'bin', 'earshot.js'), ...args], { encoding: 'utf8', maxBuffer: 16 << 20 });
}

function main(argv) {
  const gpuAt = argv.indexOf('--gpu');
  const gpu = gpuAt >= 0 ? argv[gpuAt + 1] : 'none';
  const dir = argv.find((a, i) => !a.startsWith('--') && (gpuAt < 0 || i !== gpuAt + 1));
  if (!dir) {
    console.error('usage: node scripts/check-package.js <unpacked>/extension [--gpu vulkan|metal|none]');
    return 2;
  }
  const pkg = path.resolve(dir);
  console.log(`check-package: run by ${process.execPath}${process.versions.electron ? ` (Electron ${process.versions.electron}, as VS Code runs the daemon)` : ''}`);
  if (!fs.existsSync(path.join(pkg, 'bin', 'earshot.js'))) throw new Error(`${pkg} is not an unpacked package's extension folder`);
  const problems = [];
  const built = earshot(pkg, ['build-info']);
  if (built.status !== 0) throw new Error(`earshot build-info failed (exit ${built.status ?? built.signal}):\n${built.stderr}`);
  const info = JSON.parse(built.stdout);
  problems.push(...buildInfoProblems(info, pkg, { gpu }));
  console.log(`CPU variant ${info.cpuVariant}; GPU modules ${info.gpuBackends?.join(', ') || 'none'}; devices ${info.gpuDevices?.map((d) => d.description).join(', ') || 'none'}`);
  if (process.platform === 'darwin') {
    const { audioteeBinary, audioteeStatus } = require(path.join(pkg, 'out', 'daemon', 'capture', 'audiotee.js'));
    const bin = audioteeBinary();
    if (!inside(pkg, bin)) problems.push(`audiotee not found in the package: ${bin}`);
    else {
      try {
        fs.accessSync(bin, fs.constants.X_OK);
        console.log(`audiotee: ${bin} ${JSON.stringify(audioteeStatus())}`);
      } catch {
        problems.push(`audiotee is not executable: ${bin}`);
      }
    }
  }
  const devices = earshot(pkg, ['devices', '--json']);
  process.stdout.write(devices.stdout);
  if (devices.status !== 0) problems.push(`earshot devices failed (exit ${devices.status ?? devices.signal}): ${devices.stderr.trim()}`);
  else problems.push(...devicesProblems(JSON.parse(devices.stdout)));
  if (process.platform === 'win32') {
    const doubles = firstDoubles(pkg);
    console.log(`first doubles: ${JSON.stringify(doubles)}`);
    problems.push(...firstDoubleProblems(doubles));
  }
  for (const p of problems) console.error(`check-package: ${p}`);
  return problems.length ? 1 : 0;
}

module.exports = { inside, buildInfoProblems, devicesProblems, firstDoubleProblems };

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.error(`check-package: ${e.message}`);
    process.exitCode = 1;
  }
}
