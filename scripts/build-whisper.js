#!/usr/bin/env node
/**
 * Makes sure smart-whisper's native addon is built for speed (runs as `postinstall`).
 *
 * First choice, "the new core": the addon rebuilt against current whisper.cpp sources (scripts/whisper-core/
 * build-core.js: whisper.cpp from the nodejs-whisper package, CMake, smart-whisper's binding patched), with ggml's CPU
 * backend in all its variants as modules chosen at run time (`cpu`; Apple Silicon: `metal`, the same plus Metal), so the
 * addon runs on every CPU of its platform. GPU backends are modules beside it: Vulkan whenever its SDK is here (or
 * EARSHOT_WHISPER_GPU=vulkan|cuda|none says which); EARSHOT_WHISPER_MARCH=native builds one CPU module for this very
 * CPU instead of the variants. If that build fails (no CMake, no compiler for it, …) or
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
 * Usage: node scripts/build-whisper.js [--check] [--force] [--cpu] [--stage]
 *   --check  print the build info as JSON; exit 1 if the installed build is not the wanted one
 *   --force  rebuild the bundled sources even if the flags already match
 *   --cpu    no GPU modules (without it, those already installed are kept)
 *   --stage  build the new core (with its GPU modules) without installing it: the installed addon stays as it is, in
 *            use or not, and the next run without --stage only installs (npm test builds the Vulkan module so, in the
 *            background while the suites that do not need it run: scripts/test-all.sh)
 * EARSHOT_WHISPER_NO_FALLBACK=1, or EARSHOT_WHISPER_MARCH=native: a failed new-core build exits 1 and leaves the installed
 * addon as it is.
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

/** Which new core this machine should get (null: the bundled sources were asked for). */
function wantedCoreKind(env = process.env) {
  if (env.EARSHOT_WHISPER_CORE === 'bundled') return null;
  if (env.EARSHOT_WHISPER_MARCH === 'native') return 'native';
  return process.platform === 'darwin' && os.arch() === 'arm64' ? 'metal' : 'cpu';
}

/** The kind the install built before the CPU modules (x86-64-v3 or portable): the benchmarks' native anchor. */
function staticKind() {
  return os.arch() === 'x64' && (cpuHasAvx2() || process.platform === 'win32') ? 'x86-64-v3' : 'portable';
}

/** scripts/vulkan-sdk.sh unpacks newer Vulkan headers here when the system's are too old. */
const LOCAL_VULKAN_SDK = path.join(__dirname, '..', '.vulkan-sdk', 'usr');

/**
 * The Vulkan SDK ggml's Vulkan backend compiles with, or why there is none: headers of 1.3.261 or later (ggml uses
 * VK_EXT_layer_settings; Debian 12's libvulkan-dev 1.3.239 is too old) under $VULKAN_SDK/include, scripts/vulkan-sdk.sh's
 * .vulkan-sdk/usr/include or /usr/include, and glslc. Returns { ok: true, dir, version } or { ok: false, reason }.
 */
function vulkanSdk(env = process.env, roots = [env.VULKAN_SDK, LOCAL_VULKAN_SDK, process.platform === 'win32' ? null : '/usr']) {
  const found = [];
  for (const dir of roots.filter(Boolean)) {
    let header;
    try {
      header = fs.readFileSync(path.join(dir, 'include', 'vulkan', 'vulkan_core.h'), 'utf8');
    } catch {
      continue;
    }
    const patch = Number(header.match(/#define VK_HEADER_VERSION (\d+)/)?.[1]);
    const [major, minor] = (header.match(/#define VK_HEADER_VERSION_COMPLETE VK_MAKE_API_VERSION\(0, (\d+), (\d+), VK_HEADER_VERSION\)/) ?? []).slice(1).map(Number);
    if (!Number.isFinite(patch) || !Number.isFinite(major)) continue;
    const version = `${major}.${minor}.${patch}`;
    if (major > 1 || minor > 3 || (minor === 3 && patch >= 261)) {
      const exe = process.platform === 'win32' ? 'glslc.exe' : 'glslc';
      const glslc = [path.join(dir, 'bin', exe), ...(env.PATH ?? '').split(path.delimiter).filter(Boolean).map((d) => path.join(d, exe))];
      if (!glslc.some((f) => fs.existsSync(f))) return { ok: false, reason: 'no glslc (the Vulkan SDK, or the glslc package)' };
      return { ok: true, dir, version };
    }
    found.push(version);
  }
  return { ok: false, reason: found.length ? `Vulkan headers ${found.join(', ')} are older than 1.3.261 (scripts/vulkan-sdk.sh fetches newer ones)` : 'no Vulkan headers (the Vulkan SDK, or scripts/vulkan-sdk.sh)' };
}

/**
 * The GPU modules to build beside the core: those EARSHOT_WHISPER_GPU names (`vulkan`, `cuda`, `vulkan,cuda`; empty or
 * `none`: none; EARSHOT_WHISPER_BACKEND=vulkan|cuda as before), else Vulkan where its SDK is here (the release builds
 * and CI; a failed attempt leaves the CPU core), plus those the installed core already has. { gpu, asked }.
 */
function wantedGpuModules(env = process.env, installed = core.installedCore()) {
  const named = env.EARSHOT_WHISPER_GPU ?? (['cuda', 'vulkan'].includes(env.EARSHOT_WHISPER_BACKEND) ? env.EARSHOT_WHISPER_BACKEND : undefined);
  if (named !== undefined) return { gpu: named.split(',').map((g) => g.trim()).filter((g) => g && g !== 'none'), asked: true };
  const kept = (installed?.gpuBackends ?? []).filter((g) => g !== 'metal');
  const auto = process.platform !== 'darwin' && vulkanSdk(env).ok ? ['vulkan'] : [];
  return { gpu: [...new Set([...kept, ...auto])], asked: false };
}

/**
 * The CPU variants EARSHOT_WHISPER_CPU_VARIANTS asks of a core of `installed`'s kind, as named (null: every one, or a
 * kind without variants): compared with the record's, so that a packaged core, without sources, is checked too.
 */
function askedCpuVariantsOf(installed) {
  return installed.cmakeOptions?.includes('-DGGML_CPU_ALL_VARIANTS=ON') ? core.askedCpuVariants('EARSHOT_WHISPER_CPU_VARIANTS') : null;
}

function inspectBuild() {
  const installed = core.installedCore();
  if (installed) {
    const wanted = wantedCoreKind();
    const { gpu, asked } = wantedGpuModules(process.env, installed);
    const gpuBackends = installed.gpuBackends ?? [];
    return {
      core: 'new', whisperCpp: installed.whisperCpp, source: installed.source, wanted: wanted ?? 'bundled', kind: installed.kind,
      cpuVariants: installed.cpuVariants ?? [], gpuBackends, cmakeOptions: installed.cmakeOptions,
      cpuVariantsAsked: installed.cpuVariantsAsked ?? null,
      // GPU modules found by themselves (an SDK that appeared since) are not owed; those asked for are. A core narrowed
      // to some CPU variants (EARSHOT_WHISPER_CPU_VARIANTS, CI's) is rebuilt once every variant is wanted again.
      matches: wanted === installed.kind && (!asked || gpu.every((g) => gpuBackends.includes(g)))
        && String(installed.cpuVariantsAsked ?? 'all') === String(askedCpuVariantsOf(installed) ?? 'all'),
      addon: path.join(packageDir(), 'build', 'Release', 'smart-whisper.node'), builtAt: installed.builtAt,
    };
  }
  const dir = packageDir();
  const wanted = wantedBuild();
  const command = recordedGgmlCommand(dir);
  const addon = path.join(dir, 'build', 'Release', 'smart-whisper.node');
  const march = command?.match(/-march=(\S+)/g)?.map((m) => m.slice(7)) ?? [];
  const matches = wanted.flags === null
    ? fs.existsSync(addon)
    : command !== null && wanted.flags.split(' ').every((f) => command.includes(f)) && fs.existsSync(addon);
  return {
    core: 'bundled', whisperCpp: `bundled with smart-whisper ${require(path.join(dir, 'package.json')).version}`,
    wanted: wanted.kind, wantedFlags: wanted.flags, march, optimized: /\s-O3\b/.test(command ?? ''), gpuBackends: [],
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
  if (coreKind !== null) {
    const { gpu, asked } = argv.includes('--cpu') ? { gpu: [], asked: true } : wantedGpuModules(process.env, installed);
    // CMake finds the Vulkan headers through VULKAN_SDK.
    const sdk = gpu.includes('vulkan') ? vulkanSdk() : null;
    if (sdk?.ok && !process.env.VULKAN_SDK && sdk.dir !== '/usr') process.env.VULKAN_SDK = sdk.dir;
    if (argv.includes('--stage')) {
      core.buildCore(coreKind, { gpu, install: false });
      return 0;
    }
    try {
      try {
        core.buildCore(coreKind, { gpu });
      } catch (e) {
        if (gpu.length === 0 || (asked && process.env.EARSHOT_WHISPER_NO_FALLBACK === '1')) throw e;
        // A GPU module that does not build costs the GPU, not the install: the CPU core goes in alone.
        console.error(`earshot: could not build the ${gpu.join(', ')} module (${e.message.split('\n')[0]}); installing the CPU core without it`);
        core.buildCore(coreKind, { gpu: [] });
      }
      return 0;
    } catch (e) {
      const refused = noFallback();
      if (refused) throw new Error(`${refused}: the whisper.cpp ${safeVersion()} core (${coreKind}) did not build: ${e.message}`);
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
    core.removeInstalledLibraries();
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

/**
 * Why a failed new-core build must fail the install rather than fall back to the bundled sources (Oct 2024), or null:
 * EARSHOT_WHISPER_NO_FALLBACK=1, or a core the user asked for by name (EARSHOT_WHISPER_MARCH=native): the bundled core
 * is not what they asked for, and npm hides a postinstall's output unless it fails.
 */
function noFallback(env = process.env) {
  if (env.EARSHOT_WHISPER_NO_FALLBACK === '1') return 'EARSHOT_WHISPER_NO_FALLBACK=1';
  if (env.EARSHOT_WHISPER_MARCH === 'native' && env.EARSHOT_WHISPER_CORE !== 'bundled') {
    return 'EARSHOT_WHISPER_MARCH=native was asked for (unset it for the core with every CPU variant, or set EARSHOT_WHISPER_CORE=bundled)';
  }
  return null;
}

function safeVersion() {
  try {
    return core.whisperVersion(core.whisperSourceDir());
  } catch {
    return '(newest)';
  }
}

module.exports = { inspectBuild, wantedBuild, wantedCoreKind, wantedGpuModules, staticKind, vulkanSdk, noFallback };

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.error(`earshot: ${e.message}`);
    process.exitCode = 1;
  }
}
