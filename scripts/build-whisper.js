#!/usr/bin/env node
/**
 * Makes sure smart-whisper's native addon is built for speed (runs as `postinstall`).
 *
 * First choice, "the new core": the addon rebuilt against current whisper.cpp sources (scripts/whisper-core/
 * build-core.js: whisper.cpp from the nodejs-whisper package, CMake, smart-whisper's binding patched). Its kind follows
 * the CPU as below (x86-64-v3 / portable / metal); EARSHOT_WHISPER_BACKEND=cuda|vulkan builds a GPU core instead and
 * EARSHOT_WHISPER_MARCH=native a -march=native one. If that build fails (no CMake, no compiler for it, …) or
 * EARSHOT_WHISPER_CORE=bundled asks for it, the install says so and falls back to the whisper.cpp that smart-whisper
 * bundles (Oct 2024), built as follows:
 *
 * smart-whisper's own install compiles whisper.cpp with -O3 but no -march, so ggml has no AVX2/FMA/F16C
 * and runs 9–10x slower on x86-64 (DESIGN.md). node-gyp appends $CFLAGS/$CXXFLAGS, so we rebuild with:
 *   x86-64 with AVX2+FMA+F16C: -O3 -march=x86-64-v3 -DNDEBUG -D_GNU_SOURCE   (beat -march=native here)
 *   other x86-64 / other CPUs: -O3 -DNDEBUG -D_GNU_SOURCE                      (portable)
 *   Apple Silicon:             smart-whisper's own Metal build, untouched
 * The compile command recorded in build/Release/.deps/.../ggml.o.d tells what the addon was built with,
 * so the rebuild only happens when needed and `earshot build-info` can prove what is installed.
 *
 * Usage: node scripts/build-whisper.js [--check] [--force] [--cpu]
 *   --check  print the build info as JSON; exit 1 if the installed build is not the wanted one
 *   --force  rebuild the bundled sources even if the flags already match
 *   --cpu    replace a GPU core (scripts/build-whisper-cuda.sh) with this CPU's; without it a GPU core is kept
 * EARSHOT_WHISPER_NO_FALLBACK=1: a failed new-core build exits 1 and leaves the installed addon as it is.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const core = require('./whisper-core/build-core.js');

const FAST_FLAGS = '-O3 -march=x86-64-v3 -DNDEBUG -D_GNU_SOURCE';
const PORTABLE_FLAGS = '-O3 -DNDEBUG -D_GNU_SOURCE';

function packageDir() {
  return path.dirname(require.resolve('smart-whisper/package.json', { paths: [path.join(__dirname, '..')] }));
}

/** CPU features that x86-64-v3 needs, from the OS (Linux /proc/cpuinfo, macOS sysctl). */
function cpuHasAvx2() {
  if (os.arch() !== 'x64') return false;
  try {
    if (process.platform === 'linux') {
      const flags = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1].split(/\s+/) ?? [];
      return ['avx2', 'fma', 'f16c', 'bmi2'].every((f) => flags.includes(f));
    }
    if (process.platform === 'darwin') {
      const out = spawnSync('sysctl', ['-n', 'machdep.cpu.leaf7_features', 'machdep.cpu.features'], { encoding: 'utf8' }).stdout;
      return /AVX2/.test(out) && /FMA/.test(out) && /F16C/.test(out);
    }
  } catch {
    return false;
  }
  // Windows: node-gyp uses MSVC there and ignores CFLAGS; keep smart-whisper's own build.
  return false;
}

/** What this machine should get: { kind, flags } (flags null = leave smart-whisper's build alone). */
function wantedBuild() {
  if (process.platform === 'darwin' && os.arch() === 'arm64') return { kind: 'metal', flags: null };
  if (process.platform === 'win32') return { kind: 'default', flags: null };
  if (cpuHasAvx2()) return { kind: 'x86-64-v3', flags: FAST_FLAGS };
  return { kind: 'portable', flags: PORTABLE_FLAGS };
}

/** The compile command of ggml.c as recorded by the last build, or null if there is none. */
function recordedGgmlCommand(dir) {
  const depFile = path.join(dir, 'build', 'Release', '.deps', 'Release', 'obj.target', 'smart-whisper', 'whisper.cpp', 'ggml', 'src', 'ggml.o.d');
  try {
    return fs.readFileSync(depFile, 'utf8').split('\n')[0];
  } catch {
    return null;
  }
}

/** scripts/build-whisper-cuda.sh leaves this marker: a CUDA build is kept as it is. */
function cudaBuild(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'build', 'Release', 'earshot-cuda.json'), 'utf8'));
  } catch {
    return null;
  }
}

/** Which new core this machine should get (null: the bundled sources were asked for). */
function wantedCoreKind(env = process.env) {
  if (env.EARSHOT_WHISPER_CORE === 'bundled') return null;
  if (env.EARSHOT_WHISPER_BACKEND === 'cuda' || env.EARSHOT_WHISPER_BACKEND === 'vulkan') return env.EARSHOT_WHISPER_BACKEND;
  if (env.EARSHOT_WHISPER_MARCH === 'native') return 'native';
  const kind = wantedBuild().kind;
  return kind === 'default' ? (os.arch() === 'x64' ? 'x86-64-v3' : 'portable') : kind;
}

function inspectBuild() {
  const installed = core.installedCore();
  if (installed) {
    const wanted = wantedCoreKind();
    return {
      core: 'new', whisperCpp: installed.whisperCpp, source: installed.source, wanted: wanted ?? 'bundled', kind: installed.kind,
      cmakeOptions: installed.cmakeOptions, matches: wanted === installed.kind || (wanted !== null && ['cuda', 'vulkan'].includes(installed.kind)),
      addon: path.join(packageDir(), 'build', 'Release', 'smart-whisper.node'), builtAt: installed.builtAt,
    };
  }
  const dir = packageDir();
  const cuda = cudaBuild(dir);
  const wanted = cuda ? { kind: 'cuda', flags: null } : wantedBuild();
  const command = recordedGgmlCommand(dir);
  const addon = path.join(dir, 'build', 'Release', 'smart-whisper.node');
  const march = command?.match(/-march=(\S+)/g)?.map((m) => m.slice(7)) ?? [];
  const matches = wanted.flags === null
    ? fs.existsSync(addon)
    : command !== null && wanted.flags.split(' ').every((f) => command.includes(f)) && fs.existsSync(addon);
  return {
    core: 'bundled', whisperCpp: `bundled with smart-whisper ${require(path.join(dir, 'package.json')).version}`,
    wanted: wanted.kind, wantedFlags: wanted.flags, march, optimized: /\s-O3\b/.test(command ?? ''),
    // The new core was wanted: the bundled build is the fallback, not what this machine should run.
    flagsMatch: matches, matches: matches && wantedCoreKind() === null, addon, ggmlCommand: command,
  };
}

function rebuild(flags) {
  const env = { ...process.env, CFLAGS: flags, CXXFLAGS: flags };
  // OpenBLAS is linked when found but the bundled ggml never calls it: skip the detection.
  if (process.platform === 'linux') env.COMPUTE_BACKEND = 'cpu';
  const started = Date.now();
  console.error(`earshot: building whisper.cpp with ${flags} (about a minute)…`);
  // Inside `npm install` npm tells us where it is; run by hand, the npm on PATH does the same job.
  const npm = process.env.npm_execpath;
  const npmArgs = ['rebuild', '--foreground-scripts', 'smart-whisper'];
  const result = npm && npm.endsWith('.js')
    ? spawnSync(process.execPath, [npm, ...npmArgs], { cwd: path.join(__dirname, '..'), env, stdio: 'inherit' })
    : spawnSync('npm', npmArgs, { cwd: path.join(__dirname, '..'), env, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) throw new Error(`rebuilding smart-whisper failed (exit ${result.status})`);
  console.error(`earshot: whisper.cpp built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

function main(argv) {
  if (argv.includes('--check')) {
    const info = inspectBuild();
    console.log(JSON.stringify(info, null, 2));
    return info.matches ? 0 : 1;
  }
  const coreKind = wantedCoreKind();
  const installed = core.installedCore();
  if (installed && ['cuda', 'vulkan'].includes(installed.kind) && !process.env.EARSHOT_WHISPER_BACKEND && !argv.includes('--cpu')) {
    console.error(`earshot: keeping the ${installed.kind} build of whisper.cpp ${installed.whisperCpp} (--cpu replaces it)`);
    return 0;
  }
  if (coreKind !== null) {
    try {
      core.buildCore(coreKind);
      return 0;
    } catch (e) {
      if (process.env.EARSHOT_WHISPER_NO_FALLBACK === '1') throw e;
      // npm ci must not fail for this: the bundled sources still give a working (older) whisper.cpp.
      console.error(`earshot: could not build the whisper.cpp ${safeVersion()} core (${coreKind}): ${e.message}`);
      console.error(`earshot: falling back to the whisper.cpp bundled with smart-whisper (EARSHOT_WHISPER_CORE=bundled skips the attempt)`);
      fs.rmSync(path.join(packageDir(), 'build', 'Release', 'earshot-core.json'), { force: true });
    }
  }
  // The bundled sources (asked for, or the fallback) while a new core is installed: its addon sits where the bundled
  // build's would, and the bundled build's compile record still matches, so only a rebuild puts the bundled sources back.
  const replacingNewCore = installed !== null;
  if (replacingNewCore) {
    console.error(`earshot: replacing the whisper.cpp ${installed.whisperCpp} core with the sources bundled with smart-whisper`);
    fs.rmSync(path.join(packageDir(), 'build', 'Release', 'earshot-core.json'), { force: true });
  }
  const info = inspectBuild();
  if (info.wantedFlags && (!info.flagsMatch || replacingNewCore || argv.includes('--force'))) {
    rebuild(info.wantedFlags);
    const after = inspectBuild();
    if (!after.flagsMatch) throw new Error(`smart-whisper was rebuilt but its ggml compile command lacks ${info.wantedFlags}`);
  }
  console.error(`earshot: whisper build ${info.wanted}${info.wantedFlags ? ` (${info.wantedFlags})` : ''} ok`);
  return 0;
}

function safeVersion() {
  try {
    return core.whisperVersion(core.whisperSourceDir());
  } catch {
    return '(newest)';
  }
}

module.exports = { inspectBuild, wantedBuild, wantedCoreKind };

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.error(`earshot: ${e.message}`);
    process.exitCode = 1;
  }
}
