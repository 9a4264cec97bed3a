#!/usr/bin/env node
/**
 * Builds smart-whisper's native addon against current whisper.cpp sources ("the new core"): smart-whisper stays the
 * JS API, its C++ binding (src/binding/*.cc) is patched for the newer whisper.cpp (binding.patch, next to this file)
 * and linked with the libraries CMake builds from the whisper.cpp tree the npm package nodejs-whisper ships
 * (cpp/whisper.cpp; a devDependency, so nothing is downloaded from anywhere but the npm registry).
 *
 *   1. the sources are copied to node_modules/.earshot-whisper-core/source and whisper.patch applied (flash
 *      attention's K/V padding masked; the decoder computes the prompt's logits for its last token only; the
 *      encoder's phases hand their compute buffers back to the OS once no later phase reads them, the K/V caches and
 *      the CPU work buffer at the end of each decode: less memory per decode); cmake configures and
 *      builds libwhisper, ggml, ggml-base (shared) and ggml's backend modules from there into
 *      node_modules/.earshot-whisper-core/<kind>;
 *   2. smart-whisper's binding sources are copied there, patched, and built with node-gyp (the node-gyp npm runs for
 *      smart-whisper's own install, so the same Node headers and offline setup apply);
 *   3. the addon replaces node_modules/smart-whisper/build/Release/smart-whisper.node, with the shared libraries beside
 *      it (under the names the loader looks for: libwhisper.so.1, …), the CPU modules beside them and GPU modules in
 *      gpu/; earshot-core.json records what was built (scripts/build-whisper.js reads it for `earshot build-info`).
 *
 * Kinds (which one: scripts/build-whisper.js). Every kind the install builds is shared libraries whose ggml backends are
 * modules loaded at run time (GGML_BACKEND_DL): the binding loads them from the addon's own folder (binding.patch,
 * backends.cc), so one package runs on every CPU of its platform and a GPU needs no build:
 *   cpu     ggml's CPU backend in all its variants (GGML_CPU_ALL_VARIANTS: x64, sse42, sandybridge, …, zen4 on x86-64;
 *           armv8.x on arm64): ggml scores each against this CPU and loads the best (x86-64 without AVX, with AVX and
 *           no AVX2, …: every one runs). The install's kind on x86-64 and arm64.
 *   metal   Apple Silicon: cpu's variants (apple_m1, m2_m3, m4) and the Metal backend module.
 *   native  one CPU module for this very CPU (-march=native, EARSHOT_WHISPER_MARCH=native).
 *   GPU modules (`gpu: ['vulkan']`, `['cuda']`): built in the same CMake tree (the same ggml-base), installed in
 *           build/Release/gpu/ and loaded only when whisper is asked for the GPU.
 *   x86-64-v3, portable, native-static: static libraries with everything linked in, for the benchmarks' native
 *           anchors only (scripts/build-whisper-cpp.sh --newest: the build the install made before the modules).
 * Steps 1 and 2 are skipped when their inputs have not changed. PATCHES.md, next to this file, lists each hunk of both
 * patches with its reason, the test or figure that needs it and upstream's status (test/unit/whisper-core-patches.test.ts).
 */
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const REPO = path.join(__dirname, '..', '..');
const PATCH = path.join(__dirname, 'binding.patch');
/** Earshot's changes to whisper.cpp and ggml: flash attention's padding masked, the prompt's logits for its last token only, buffers a decode no longer reads handed back (whisper.patch says why). */
const WHISPER_PATCH = path.join(__dirname, 'whisper.patch');

/** Where the whisper.cpp sources come from: the npm package that ships the newest release we use. */
const SOURCE_PACKAGE = 'nodejs-whisper';
const SOURCE_SUBDIR = path.join('cpp', 'whisper.cpp');

function resolvePackageDir(name) {
  return path.dirname(require.resolve(`${name}/package.json`, { paths: [REPO] }));
}

function whisperSourceDir() {
  const dir = path.join(resolvePackageDir(SOURCE_PACKAGE), SOURCE_SUBDIR);
  if (!fs.existsSync(path.join(dir, 'CMakeLists.txt'))) throw new Error(`${dir} holds no whisper.cpp sources`);
  return dir;
}

/** whisper.cpp's version as its CMakeLists.txt declares it. */
function whisperVersion(srcDir) {
  return fs.readFileSync(path.join(srcDir, 'CMakeLists.txt'), 'utf8').match(/project\("whisper\.cpp" VERSION ([\d.]+)\)/)?.[1] ?? 'unknown';
}

/** The kinds the install builds (shared libraries, backends loaded at run time); the others are static anchors. */
const MODULE_KINDS = ['cpu', 'metal', 'native'];
/** Static builds, everything linked in: the benchmarks' native anchors (scripts/build-whisper-cpp.sh --newest). */
const ANCHOR_KINDS = ['x86-64-v3', 'portable', 'native-static'];
/** GPU backends that can be built as modules beside a module kind. */
const GPU_BACKENDS = ['vulkan', 'cuda'];

/** The machine the build is for: this one unless a test says otherwise. */
const HOST = { platform: process.platform, arch: os.arch() };

/**
 * Shared libraries whose backends ggml loads at run time. The libraries find each other in their own folder ($ORIGIN,
 * @loader_path; Windows looks beside the DLL that asks), so the folder can move (into a VSIX, a user's extensions).
 */
function moduleOptions({ platform } = HOST) {
  const rpath = platform === 'darwin' ? '@loader_path' : platform === 'win32' ? null : '$ORIGIN';
  return ['-DBUILD_SHARED_LIBS=ON', '-DGGML_BACKEND_DL=ON',
    ...(rpath ? ['-DCMAKE_BUILD_WITH_INSTALL_RPATH=ON', `-DCMAKE_INSTALL_RPATH=${rpath}`] : [])];
}

/** ggml's CPU variants where it has a list for the platform (none for Windows on Arm: one portable module there). */
function cpuVariantOptions({ platform, arch } = HOST) {
  const variants = arch === 'x64' || (arch === 'arm64' && platform !== 'win32');
  return ['-DGGML_NATIVE=OFF', ...(variants ? ['-DGGML_CPU_ALL_VARIANTS=ON'] : [])];
}

/**
 * The CPU variants a build compiles: null for every one (GGML_CPU_ALL_VARIANTS: what a release builds and ships), or
 * those the environment variable `name` lists, comma-separated ("x64,haswell"). CI names the ones its tests load
 * (.ci/run: EARSHOT_WHISPER_CPU_VARIANTS; scripts/test-all.sh: EARSHOT_WIN32_CPU_VARIANTS): every variant is 13
 * modules to compile, most of the install's 458 s on 2 cores (2026-11-29). The name `host` stands for the variant
 * ggml loads on this machine's CPU (`host()`, by default hostCpuVariant on the patched sources: Linux x86-64 only), so
 * that a narrowed build still runs this CPU's best code (an AVX-512 CPU loaded haswell in a CI run, 2026-11-29).
 */
function wantedCpuVariants(name, env = process.env, host = () => hostCpuVariant(patchedSources().srcDir, linuxCpuFlags())) {
  return resolvedCpuVariants(askedCpuVariants(name, env), host);
}

/** `asked` (askedCpuVariants) with `host` resolved by `host()`, each once, sorted; null stays null. */
function resolvedCpuVariants(asked, host) {
  return asked && [...new Set(asked.map((n) => (n === 'host' ? host() : n)))].sort();
}

/**
 * The CPU variants `name` asks for as it names them (`host` unresolved), each once, sorted; null for every one. What an
 * installed core records and build-info compares with the environment: it needs no sources (a VSIX has none).
 */
function askedCpuVariants(name, env = process.env) {
  const value = (env[name] ?? '').trim();
  if (value === '' || value === 'all') return null;
  const listed = [...new Set(value.split(',').map((n) => n.trim()).filter(Boolean))].sort();
  const bad = listed.filter((n) => !/^[a-z][a-z0-9_.]*$/.test(n));
  if (bad.length || listed.length === 0) {
    throw new Error(`${name}=${JSON.stringify(value)}: CPU variant names, comma-separated (x64, sse42, haswell, zen4, host, …), or "all"`);
  }
  return listed;
}

/** This machine's CPU flags as Linux lists them (/proc/cpuinfo's first `flags` line). */
function linuxCpuFlags() {
  if (process.platform !== 'linux' || os.arch() !== 'x64') throw new Error('the CPU variant "host" is known on Linux x86-64 only: name the variants');
  return fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1].trim().split(/\s+/) ?? [];
}

/** /proc/cpuinfo's flag for each CPUID feature ggml's x86 score asks about (ggml-cpu/arch/x86/cpu-feats.cpp `is.X()`). */
const CPUINFO_FLAGS = {
  FMA: 'fma', F16C: 'f16c', SSE42: 'sse4_2', BMI2: 'bmi2', AVX: 'avx', AVX2: 'avx2', AVX_VNNI: 'avx_vnni', AVX512F: 'avx512f',
  AVX512CD: 'avx512cd', AVX512VL: 'avx512vl', AVX512DQ: 'avx512dq', AVX512BW: 'avx512bw', AVX512_VBMI: 'avx512vbmi',
  AVX512_BF16: 'avx512_bf16', AVX512_VNNI: 'avx512_vnni', AMX_INT8: 'amx_int8',
};

/**
 * The x86 CPU variant ggml loads on a CPU with `flags`, read from the sources in `srcDir` as ggml chooses: the variants
 * ggml/src/CMakeLists.txt declares (each with the features it is built with) and ggml_backend_cpu_x86_score
 * (ggml-cpu/arch/x86/cpu-feats.cpp: 0 when the CPU lacks a feature the variant was built with, else 1 plus each
 * feature's weight; the highest score loads). A feature or CPUID check this table does not know throws: a newer ggml
 * is read, not guessed.
 */
function hostCpuVariant(srcDir, flags) {
  const cmake = fs.readFileSync(path.join(srcDir, 'ggml', 'src', 'CMakeLists.txt'), 'utf8');
  const all = cmake.slice(cmake.indexOf('if (GGML_CPU_ALL_VARIANTS)'));
  const x86 = all.slice(all.indexOf('GGML_SYSTEM_ARCH STREQUAL "x86"'));
  const block = x86.slice(0, x86.search(/\n\s*elseif\s*\(/));
  const variants = [...block.matchAll(/ggml_add_cpu_backend_variant\((\w+)([^)]*)\)/g)].map((m) => ({ name: m[1], features: m[2].trim().split(/\s+/).filter(Boolean) }));
  const feats = fs.readFileSync(path.join(srcDir, 'ggml', 'src', 'ggml-cpu', 'arch', 'x86', 'cpu-feats.cpp'), 'utf8');
  const body = feats.slice(feats.indexOf('ggml_backend_cpu_x86_score()'), feats.indexOf('return score;'));
  const scored = new Map([...body.matchAll(/#ifdef GGML_(\w+)\n([\s\S]*?)#endif/g)].map(([, feature, text]) => {
    const weight = /score \+= 1<<(\d+);/.exec(text)?.[1];
    const checks = [...text.matchAll(/is\.(\w+)\(\)/g)].map((c) => {
      if (!CPUINFO_FLAGS[c[1]]) throw new Error(`ggml's x86 score checks ${c[1]}, which build-core.js's CPUINFO_FLAGS does not name`);
      return CPUINFO_FLAGS[c[1]];
    });
    return [feature, { weight: weight === undefined ? 1 : 2 ** Number(weight), checks }];
  }));
  if (variants.length === 0 || scored.size === 0) throw new Error(`no x86 CPU variants or score found in ${srcDir}'s ggml`);
  let best = null;
  for (const { name, features } of variants) {
    let score = 1;
    for (const f of features) {
      const feature = scored.get(f);
      if (!feature) throw new Error(`ggml's CPU variant ${name} is built with ${f}, which its x86 score does not check`);
      score = feature.checks.every((c) => flags.includes(c)) && score ? score + feature.weight : 0;
    }
    if (score > (best?.score ?? 0)) best = { name, score };
  }
  return best.name;
}

/**
 * Builds whisper with only `variants` of the CPU module (and the `extra` targets, GPU modules) in a CMake tree that
 * the Makefile generator configured with every variant. ggml's library depends on every variant's module
 * (ggml/src/CMakeLists.txt: add_dependencies(ggml <backend>)), though it loads them at run time only: the named modules
 * are built, then ggml and whisper through the generator's `<target>/fast` rules, which build a target without its
 * dependencies. `runner`: how commands run (the win32 cross-build runs them with its toolchain's environment).
 */
function buildSomeCpuVariants(libDir, variants, extra, jobs, runner = run) {
  runner('cmake', ['--build', libDir, '--config', 'Release', '-j', String(jobs), '--target', 'ggml-base', ...variants.map((v) => `ggml-cpu-${v}`), ...extra]);
  for (const target of ['ggml', 'whisper']) runner('make', ['-C', libDir, '-j', String(jobs), `${target}/fast`]);
}

/** Which GPU modules a build has: every one said ON or OFF, so a CMake cache reused by the next build forgets none. */
function gpuOptions(gpu = []) {
  for (const g of gpu) if (!GPU_BACKENDS.includes(g)) throw new Error(`unknown GPU backend ${g} (one of ${GPU_BACKENDS.join(', ')})`);
  const cuda = gpu.includes('cuda');
  const nvcc = path.join(process.env.CUDA_HOME || '/usr/local/cuda', 'bin', process.platform === 'win32' ? 'nvcc.exe' : 'nvcc');
  return [`-DGGML_VULKAN=${gpu.includes('vulkan') ? 'ON' : 'OFF'}`, `-DGGML_CUDA=${cuda ? 'ON' : 'OFF'}`,
    ...(cuda && fs.existsSync(nvcc) ? [`-DCMAKE_CUDA_COMPILER=${nvcc}`] : []),
    ...(cuda && process.env.EARSHOT_CUDA_ARCHITECTURES ? [`-DCMAKE_CUDA_ARCHITECTURES=${process.env.EARSHOT_CUDA_ARCHITECTURES}`] : [])];
}

/**
 * MSVC (Windows): the C runtime linked into each library (/MT), as node-gyp builds the binding (Node's common.gypi:
 * RuntimeLibrary MultiThreaded for Release): CMake's default /MD would make whisper.dll, ggml*.dll import
 * VCRUNTIME140(_1).dll and MSVCP140.dll, which a Windows without the VC++ 2015-2022 redistributable lacks.
 * CMAKE_MSVC_RUNTIME_LIBRARY is ignored unless policy CMP0091 is NEW when the first project() runs (CMake's CMP0091 page),
 * and whisper.cpp's top-level CMakeLists.txt asks for 3.5 (before 3.15, so the policy is unset): the default says NEW.
 * Other compilers ignore both.
 */
const MSVC_STATIC_RUNTIME = ['-DCMAKE_POLICY_DEFAULT_CMP0091=NEW', '-DCMAKE_MSVC_RUNTIME_LIBRARY=MultiThreaded'];

/**
 * The one CPU module of the native kind. ggml refuses GGML_NATIVE with GGML_BACKEND_DL on x86 ("GGML_NATIVE is not
 * compatible with GGML_BACKEND_DL", ggml/src/ggml-cpu/CMakeLists.txt:371-375: its module's score function needs the
 * feature list, ARCH_DEFINITIONS, which GGML_NATIVE leaves empty). So on x86-64 the compiler is told -march=native
 * itself, with GGML_NATIVE and ggml's own feature options off: the module is built for this CPU, declares no feature,
 * and scores 1 (cpu-feats.cpp: nothing to check), the only CPU module there is. MSVC has no -march=native: there the
 * variants are built and ggml's score picks this CPU's. Arm's GGML_NATIVE works with modules (-mcpu=native, :113-167).
 */
function nativeCpuOptions({ platform, arch } = HOST) {
  if (arch !== 'x64') return ['-DGGML_NATIVE=ON'];
  if (platform === 'win32') return cpuVariantOptions({ platform, arch });
  return ['-DGGML_NATIVE=OFF', ...X86_SIMD_OFF, ...['C', 'CXX'].map((lang) => `-DCMAKE_${lang}_FLAGS=-march=native ${AMX_OFF}`)];
}

/** ggml's x86 feature options that default to ON (ggml/CMakeLists.txt: INS_ENB), off. */
const X86_SIMD_OFF = ['SSE42', 'AVX', 'AVX2', 'BMI2', 'FMA', 'F16C'].map((f) => `-DGGML_${f}=OFF`);
/**
 * Without AMX: ggml's AMX kernels take the 8-bit weights where the CPU has it, and die of an illegal instruction where
 * the kernel does not let the process use the tiles (a Sapphire Rapids VM here).
 */
const AMX_OFF = '-mno-amx-tile -mno-amx-int8 -mno-amx-bf16';

/**
 * CMake options per kind (GPU modules: gpuOptions); ggml's own CPU-feature options do the x86 SIMD choice. `target`: the
 * platform and architecture built for (default: this machine).
 */
function cmakeOptions(kind, target = HOST) {
  const { platform, arch } = target;
  const common = [
    '-DCMAKE_BUILD_TYPE=Release', '-DCMAKE_POSITION_INDEPENDENT_CODE=ON',
    '-DWHISPER_BUILD_EXAMPLES=OFF', '-DWHISPER_BUILD_TESTS=OFF', '-DWHISPER_BUILD_SERVER=OFF',
    // ggml's own thread pool, as in the bundled build: OpenMP's workers spin after each graph, which a daemon
    // sharing the CPU with an editor cannot afford.
    '-DGGML_OPENMP=OFF', '-DGGML_CCACHE=OFF',
    // llamafile's tiled matrix kernels for the multiplications with many columns (the encoder, the prompt's tokens):
    // whisper.cpp leaves them off, llama.cpp on. Here they take a base.en final of a 7 s turn from 0.56 to 0.46 s
    // (BENCHMARKS.md, issue 16); EARSHOT_WHISPER_LLAMAFILE=0 builds without them.
    `-DGGML_LLAMAFILE=${process.env.EARSHOT_WHISPER_LLAMAFILE === '0' ? 'OFF' : 'ON'}`,
    // Offline: no option used here fetches anything, and CMake must not start to (KleidiAI, CCCL are opt-in downloads).
    '-DFETCHCONTENT_FULLY_DISCONNECTED=ON',
    ...(platform === 'win32' ? MSVC_STATIC_RUNTIME : []),
  ];
  const noAmx = ['C', 'CXX'].map((lang) => `-DCMAKE_${lang}_FLAGS=${AMX_OFF}`);
  const staticLibs = ['-DBUILD_SHARED_LIBS=OFF'];
  switch (kind) {
    case 'cpu': return [...common, ...moduleOptions(target), ...cpuVariantOptions(target)];
    // The Metal shaders are embedded in the module: nothing to find at run time.
    case 'metal': return [...common, ...moduleOptions(target), ...cpuVariantOptions(target), '-DGGML_METAL=ON', '-DGGML_METAL_EMBED_LIBRARY=ON'];
    // One CPU module for this very CPU, without AMX (AMX_OFF).
    case 'native': return [...common, ...moduleOptions(target), ...nativeCpuOptions(target)];
    // The benchmarks' anchors: what the install built before the modules. MSVC has no -march: ggml's GGML_AVX2 etc.
    // give it /arch:AVX2 instead.
    case 'x86-64-v3': return [...common, ...staticLibs, '-DGGML_NATIVE=OFF', ...(platform === 'win32' ? [] : ['-DCMAKE_C_FLAGS=-march=x86-64-v3', '-DCMAKE_CXX_FLAGS=-march=x86-64-v3'])];
    case 'portable': return [...common, ...staticLibs, '-DGGML_NATIVE=OFF', ...(arch === 'x64' ? X86_SIMD_OFF : [])];
    case 'native-static': return [...common, ...staticLibs, '-DGGML_NATIVE=ON', ...(arch === 'x64' && platform !== 'win32' ? noAmx : [])];
    default: throw new Error(`unknown whisper core kind ${kind} (one of ${[...MODULE_KINDS, ...ANCHOR_KINDS].join(', ')})`);
  }
}

/** Extra libraries a static build needs at link time (the anchors); the modules bring their own. */
function systemLibraries(kind) {
  const libs = [];
  if (process.platform === 'darwin') {
    libs.push('-framework Foundation', '-framework Accelerate');
    if (kind === 'metal') libs.push('-framework Metal', '-framework MetalKit');
  } else if (process.platform !== 'win32') {
    libs.push('-lpthread', '-ldl');
  }
  return libs;
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (result.error) throw new Error(`${command}: ${result.error.message}`);
  if (result.status !== 0) {
    const tail = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-25).join('\n');
    throw new Error(`${command} ${args.slice(0, 3).join(' ')} … failed (exit ${result.status}):\n${tail}`);
  }
  return result.stdout;
}

function hashOf(...parts) {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(typeof p === 'string' ? p : JSON.stringify(p)).update('\0');
  return h.digest('hex').slice(0, 16);
}

function hashFiles(files) {
  return hashOf(...files.map((f) => fs.readFileSync(f)).map((b) => crypto.createHash('sha256').update(b).digest('hex')));
}

/**
 * Applies a unified diff (as `diff -ruN a b` writes it) to the files under `dir`, strictly: every hunk's context must
 * match where the hunk says, or the build stops (no fuzz: a changed binding needs a reviewed patch).
 */
function applyPatch(patchText, dir, name = 'binding.patch') {
  const files = patchText.split(/^diff .*$/m).filter((s) => s.includes('\n+++ '));
  for (const chunk of files) {
    const target = chunk.match(/^\+\+\+ (\S+)/m)[1].replace(/^b\//, '');
    const file = path.join(dir, target);
    const original = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n') : [];
    const out = [];
    let cursor = 0;
    for (const hunk of chunk.split(/^(?=@@ )/m).slice(1)) {
      const oldStart = Number(hunk.match(/^@@ -(\d+)/)[1]);
      const from = Math.max(0, oldStart - 1);
      while (cursor < from) out.push(original[cursor++]);
      const lines = hunk.replace(/\n$/, '').split('\n').slice(1);
      for (const raw of lines) {
        if (raw.startsWith('\\')) continue; // "\ No newline at end of file"
        const line = raw === '' ? ' ' : raw; // a blank context line whose space an editor trimmed
        const body = line.slice(1);
        if (line[0] === '+') { out.push(body); continue; }
        if (original[cursor] !== body) throw new Error(`${name} does not apply to ${target} at line ${cursor + 1}`);
        if (line[0] === ' ') out.push(body);
        cursor++;
      }
    }
    while (cursor < original.length) out.push(original[cursor++]);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, out.join('\n'));
  }
}

/** npm's own node-gyp (the one that built smart-whisper at install): inside npm scripts, or found next to `npm`. */
function nodeGypScript() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  if (process.env.npm_execpath) candidates.push(path.join(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const npmOnPath = spawnSync(process.platform === 'win32' ? 'where' : 'which', ['npm'], { encoding: 'utf8' }).stdout?.split(/\r?\n/)[0];
  if (npmOnPath) {
    const real = fs.realpathSync(npmOnPath);
    candidates.push(path.join(path.dirname(real), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
    candidates.push(path.join(path.dirname(real), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  const found = candidates.find((c) => c.endsWith('.js') && fs.existsSync(c));
  if (!found) throw new Error(`node-gyp not found (looked at ${candidates.join(', ')})`);
  return found;
}

/**
 * Node's headers without the network: inside `npm ci` npm passes its nodedir setting on; run by hand, the headers
 * that come with this node (include/node next to bin/) do, as node-gyp would otherwise download them from nodejs.org.
 */
function nodeHeadersEnv() {
  if (process.env.npm_config_nodedir) return {};
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? { npm_config_nodedir: prefix } : {};
}

/** The static libraries CMake produced, in link order: whisper, ggml, its backends, ggml-base last. */
function staticLibraries(buildDir) {
  const found = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (/^(lib)?(whisper|ggml[\w-]*)\.(a|lib)$/.test(e.name)) found.push(full);
    }
  };
  walk(buildDir);
  const rank = (f) => {
    const name = path.basename(f).replace(/^lib/, '').replace(/\.(a|lib)$/, '');
    return name === 'whisper' ? 0 : name === 'ggml' ? 1 : name === 'ggml-base' ? 3 : 2;
  };
  return found.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Every file under a CMake build tree but its bookkeeping. */
function buildTreeFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) { if (e.name !== 'CMakeFiles') walk(full); } else out.push(full);
    }
  };
  walk(dir);
  return out;
}

/**
 * What a module build produced: `link`, what the addon is linked with (libwhisper, libggml, libggml-base: their
 * unversioned names, import libraries on Windows); `runtime`, those libraries under the names the loader looks for
 * ({ from, name }: libwhisper.so.1 and libggml.so.0 on Linux, libwhisper.1.dylib on macOS, the DLLs on Windows);
 * `cpu` and `gpu`, ggml's backend modules ([lib]ggml-<name>[-<variant>].so|dll, found by that pattern at run time).
 */
function moduleArtifacts(libDir, variants = null) {
  const files = buildTreeFiles(libDir);
  const windows = process.platform === 'win32';
  const find = (name) => {
    const found = files.find((f) => path.basename(f) === name);
    if (!found) throw new Error(`CMake built no ${name} in ${libDir}`);
    return found;
  };
  const core = ['whisper', 'ggml', 'ggml-base'];
  const ext = process.platform === 'darwin' ? '.dylib' : '.so';
  const link = core.map((n) => find(windows ? `${n}.lib` : `lib${n}${ext}`));
  const runtime = windows
    ? core.map((n) => ({ from: find(`${n}.dll`), name: `${n}.dll` }))
    // libwhisper.so -> libwhisper.so.1 -> libwhisper.so.1.9.1: the middle name is the one the linker records.
    : link.map((l) => ({ from: fs.realpathSync(l), name: fs.lstatSync(l).isSymbolicLink() ? path.basename(fs.readlinkSync(l)) : path.basename(l) }));
  const modules = files.filter((f) => (windows ? /^ggml-[\w.-]+\.dll$/ : /^libggml-[\w.-]+\.so$/).test(path.basename(f))
    && !/^(lib)?ggml-base\b/.test(path.basename(f)));
  const backendOf = (f) => path.basename(f).replace(/^(lib)?ggml-/, '').replace(/\.(so|dll)$/, '');
  return {
    link, runtime,
    // Only the wanted variants: a tree that built every one before keeps the others.
    cpu: modules.filter((f) => /^cpu(-|$)/.test(backendOf(f)) && (!variants || variants.includes(cpuVariantOf(f)))),
    gpu: modules.filter((f) => !/^cpu(-|$)/.test(backendOf(f))).map((f) => ({ file: f, backend: backendOf(f) })),
  };
}

function stageDir(kind) {
  return path.join(REPO, 'node_modules', '.earshot-whisper-core', kind);
}

/** What of the whisper.cpp tree a library build does not read (CMake configures bindings/ even without building them). */
const UNUSED_SOURCES = new Set(['examples', 'samples', 'media']);

/**
 * The sources the libraries are built from: nodejs-whisper's tree with whisper.patch applied, copied once per patch
 * and version (the package itself stays as npm installed it). Returns { srcDir, version, key }. `srcDir`: where
 * (scripts/win32/whisper.js keeps its own copy out of node_modules).
 */
function patchedSources(srcDir = stageDir('source')) {
  const pristine = whisperSourceDir();
  const version = whisperVersion(pristine);
  const patch = fs.readFileSync(WHISPER_PATCH, 'utf8');
  const key = hashOf(version, pristine, patch, [...UNUSED_SOURCES], fs.readFileSync(path.join(pristine, 'src', 'whisper.cpp')));
  const stamp = path.join(srcDir, '.earshot-stamp');
  if (!(fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === key)) {
    fs.rmSync(srcDir, { recursive: true, force: true });
    fs.cpSync(pristine, srcDir, { recursive: true, filter: (f) => !UNUSED_SOURCES.has(path.relative(pristine, f).split(path.sep)[0]) });
    applyPatch(patch, srcDir, 'whisper.patch');
    fs.writeFileSync(stamp, key);
  }
  return { srcDir, version, key };
}

/**
 * Step 1: whisper.cpp and ggml for `kind` (also what scripts/build-whisper-cpp.sh links its native benchmark driver
 * with), and the GPU modules in `gpu` beside a module kind. The CMake tree is kept between builds: a GPU module asked
 * for later is added to it without building the CPU's again. Returns { srcDir, version, options, libDir, libs, libKey,
 * artifacts } (libs: the static libraries of an anchor kind, or what the addon links; artifacts: moduleArtifacts()).
 */
function buildLibraries(kind, { gpu = [], jobs = Math.max(1, os.cpus().length), log = (m) => console.error(m) } = {}) {
  const { srcDir, version, key: sourceKey } = patchedSources();
  const modules = MODULE_KINDS.includes(kind);
  if (gpu.length && !modules) throw new Error(`GPU modules are built beside ${MODULE_KINDS.join(', ')}, not ${kind}`);
  const libDir = path.join(stageDir(kind), 'cmake');
  const options = cmakeOptions(kind);
  const asked = options.includes('-DGGML_CPU_ALL_VARIANTS=ON') ? askedCpuVariants('EARSHOT_WHISPER_CPU_VARIANTS') : null;
  // `host` is read from the sources prepared above, not prepared again.
  const variants = resolvedCpuVariants(asked, () => hostCpuVariant(srcDir, linuxCpuFlags()));
  // Visual Studio's generator has no `<target>/fast` rules: there every variant is built.
  if (variants && process.platform === 'win32') throw new Error('EARSHOT_WHISPER_CPU_VARIANTS needs the Makefile generator; unset it on Windows');
  const libKey = hashOf(version, sourceKey, options, fs.readFileSync(path.join(srcDir, 'CMakeLists.txt')), process.platform, os.arch(),
    ...(variants ? [`variants ${variants.join(',')}`] : []));
  const libStamp = path.join(libDir, '.earshot-stamp');
  let stamp = null;
  try {
    stamp = JSON.parse(fs.readFileSync(libStamp, 'utf8'));
  } catch { /* none yet, or the old plain-text stamp */ }
  const current = stamp?.libKey === libKey;
  const missingGpu = gpu.filter((g) => !(current && stamp.gpu.includes(g)));
  if (!current || missingGpu.length > 0) {
    const builtGpu = current ? [...new Set([...stamp.gpu, ...gpu])] : gpu;
    log(current
      // Only the new modules' targets are out of date: the CPU's objects in the kept tree are not compiled again.
      ? `earshot: adding the ${missingGpu.join(', ')} module to the whisper.cpp ${version} ${kind} build (its CMake tree is kept) with CMake, ${jobs} jobs (a few minutes)…`
      : `earshot: building whisper.cpp ${version} (${kind}${builtGpu.length ? ` + ${builtGpu.join(', ')}` : ''}) with CMake, ${jobs} jobs (a few minutes)…`);
    if (!current) {
      fs.rmSync(libDir, { recursive: true, force: true });
      fs.mkdirSync(libDir, { recursive: true });
    }
    run('cmake', ['-S', srcDir, '-B', libDir, ...options, ...(modules ? gpuOptions(builtGpu) : [])]);
    if (variants) buildSomeCpuVariants(libDir, variants, modules ? builtGpu.map((g) => `ggml-${g}`) : [], jobs);
    else run('cmake', ['--build', libDir, '--config', 'Release', '-j', String(jobs), '--target', 'whisper']);
    fs.writeFileSync(libStamp, JSON.stringify({ libKey, gpu: builtGpu }));
  }
  if (!modules) {
    const libs = staticLibraries(libDir);
    if (!libs.some((l) => /whisper\.(a|lib)$/.test(l))) throw new Error(`CMake built no libwhisper in ${libDir}`);
    return { srcDir, version, options, libDir, libs, libKey };
  }
  const artifacts = moduleArtifacts(libDir, variants);
  if (artifacts.cpu.length === 0) throw new Error(`CMake built no CPU backend module in ${libDir}`);
  for (const g of gpu) if (!artifacts.gpu.some((m) => m.backend === g)) throw new Error(`CMake built no ${g} module in ${libDir}`);
  return { srcDir, version, options: [...options, ...gpuOptions(gpu)], libDir, libs: artifacts.link, libKey, artifacts, asked };
}

/** Files of an earlier core in build/Release: whisper's and ggml's libraries and modules (a stale CPU module would be scored too). */
const CORE_FILE = /^(lib)?(whisper|ggml)[\w-]*(\.\d+)*\.(so|dylib|dll)(\.\d+)*$/;

/** Removes an installed core's libraries and modules from build/Release (the bundled build links everything in). */
function removeInstalledLibraries() {
  const release = path.join(resolvePackageDir('smart-whisper'), 'build', 'Release');
  if (!fs.existsSync(release)) return;
  for (const name of fs.readdirSync(release)) if (CORE_FILE.test(name)) fs.rmSync(path.join(release, name), { force: true });
  fs.rmSync(path.join(release, 'gpu'), { recursive: true, force: true });
}

/** Copies `from` to `to` through a temporary file: a library a running daemon has mapped is replaced, never rewritten. */
function replaceFile(from, to) {
  fs.copyFileSync(from, `${to}.tmp`);
  fs.renameSync(`${to}.tmp`, to);
}

/** `libggml-cpu-haswell.so` → `haswell`; a single CPU module (`libggml-cpu.so`, the native kind) → `cpu`. */
function cpuVariantOf(file) {
  const m = /^(?:lib)?ggml-cpu(?:-([\w.]+))?\.(?:so|dll)$/.exec(file.split(/[\\/]/).pop());
  return m ? m[1] ?? 'cpu' : null;
}

/**
 * Builds the new core for `kind` (with the GPU modules in `gpu`) and installs the addon. Returns the record written to
 * earshot-core.json. Throws (with the build's last lines) when anything fails; the caller falls back to the bundled
 * sources. `install: false` only builds, in the stage folder, and returns null: a later call with the same kind and
 * modules finds it built and only installs (seconds), so the build can run while the installed addon is in use.
 */
function buildCore(kind, { gpu = [], jobs = Math.max(1, os.cpus().length), log = (m) => console.error(m), install = true } = {}) {
  if (!MODULE_KINDS.includes(kind)) throw new Error(`the install builds ${MODULE_KINDS.join(', ')}; ${kind} is a benchmark anchor (--libraries-only)`);
  const started = Date.now();
  const { srcDir, version, options, libKey, artifacts, asked } = buildLibraries(kind, { gpu, jobs, log });
  const swDir = resolvePackageDir('smart-whisper');
  const addonDir = path.join(stageDir(kind), 'addon');

  // 2. smart-whisper's binding, patched, linked with those libraries.
  const bindingSources = path.join(swDir, 'src', 'binding');
  const addonKey = hashOf(libKey, hashFiles(artifacts.runtime.map((r) => r.from)), fs.readFileSync(PATCH), hashFiles(fs.readdirSync(bindingSources).sort().map((f) => path.join(bindingSources, f))));
  const addonStamp = path.join(addonDir, '.earshot-stamp');
  const builtAddon = path.join(addonDir, 'build', 'Release', 'smart-whisper.node');
  if (!(fs.existsSync(addonStamp) && fs.readFileSync(addonStamp, 'utf8') === addonKey && fs.existsSync(builtAddon))) {
    log('earshot: building the smart-whisper binding against it…');
    fs.rmSync(addonDir, { recursive: true, force: true });
    fs.mkdirSync(path.join(addonDir, 'src'), { recursive: true });
    fs.cpSync(bindingSources, path.join(addonDir, 'src', 'binding'), { recursive: true });
    applyPatch(fs.readFileSync(PATCH, 'utf8'), path.join(addonDir, 'src', 'binding'));
    const addonApi = path.dirname(require.resolve('node-addon-api/package.json', { paths: [swDir] }));
    const gyp = {
      targets: [{
        target_name: 'smart-whisper',
        sources: fs.readdirSync(path.join(addonDir, 'src', 'binding')).filter((f) => f.endsWith('.cc')).map((f) => `src/binding/${f}`),
        include_dirs: [require(addonApi).include.replace(/"/g, ''), path.join(srcDir, 'include'), path.join(srcDir, 'ggml', 'include')],
        // node-addon-api names its gyp file relative to the package that depends on it: absolute here.
        dependencies: [`${path.join(addonApi, 'node_api.gyp').replace(/\\/g, '/')}:nothing`],
        libraries: [...artifacts.link, ...(process.platform === 'linux' ? ['-ldl'] : [])],
        // The libraries are found beside the addon wherever it is unpacked ($$ is make's escape of $).
        ldflags: ["-Wl,-rpath,'$$ORIGIN'"],
        'cflags!': ['-fno-exceptions'],
        'cflags_cc!': ['-fno-exceptions'],
        cflags_cc: ['-std=c++17', '-O2'],
        xcode_settings: {
          GCC_ENABLE_CPP_EXCEPTIONS: 'YES', CLANG_CXX_LIBRARY: 'libc++', CLANG_CXX_LANGUAGE_STANDARD: 'c++17', GCC_SYMBOLS_PRIVATE_EXTERN: 'YES',
          OTHER_LDFLAGS: ['-Wl,-rpath,@loader_path'],
        },
        msvs_settings: { VCCLCompilerTool: { ExceptionHandling: 1, AdditionalOptions: ['/std:c++17'] } },
      }],
    };
    fs.writeFileSync(path.join(addonDir, 'binding.gyp'), JSON.stringify(gyp, null, 2));
    run(process.execPath, [nodeGypScript(), 'rebuild', `--jobs=${jobs}`], { cwd: addonDir, env: { ...process.env, ...nodeHeadersEnv(), CFLAGS: '', CXXFLAGS: '' } });
    fs.writeFileSync(addonStamp, addonKey);
  }
  if (!install) {
    log(`earshot: whisper.cpp ${version} (${kind}${gpu.length ? ` + ${gpu.join(', ')}` : ''}) built in ${((Date.now() - started) / 1000).toFixed(0)} s, not installed yet`);
    return null;
  }

  // 3. Installed where smart-whisper loads its addon from, the libraries and CPU modules beside it, GPU modules in gpu/.
  const release = path.join(swDir, 'build', 'Release');
  const gpuDir = path.join(release, 'gpu');
  fs.mkdirSync(release, { recursive: true });
  removeInstalledLibraries();
  const installed = path.join(release, 'smart-whisper.node');
  replaceFile(builtAddon, installed);
  const files = [];
  for (const { from, name } of artifacts.runtime) {
    replaceFile(from, path.join(release, name));
    files.push(name);
  }
  for (const file of artifacts.cpu) {
    replaceFile(file, path.join(release, path.basename(file)));
    files.push(path.basename(file));
  }
  const gpuModules = artifacts.gpu.filter((m) => gpu.includes(m.backend) || (kind === 'metal' && m.backend === 'metal'));
  if (gpuModules.length) fs.mkdirSync(gpuDir, { recursive: true });
  for (const { file } of gpuModules) {
    replaceFile(file, path.join(gpuDir, path.basename(file)));
    files.push(`gpu/${path.basename(file)}`);
  }
  const record = {
    kind, whisperCpp: version,
    source: `${SOURCE_PACKAGE}@${require(path.join(resolvePackageDir(SOURCE_PACKAGE), 'package.json')).version}/${SOURCE_SUBDIR.replace(/\\/g, '/')} + scripts/whisper-core/whisper.patch`,
    // cpuVariantsAsked: the variants EARSHOT_WHISPER_CPU_VARIANTS narrowed the build to, as it names them ("host"
    // unresolved: askedCpuVariants); null: every one. cpuVariants: what was built.
    cmakeOptions: options, cpuVariants: artifacts.cpu.map(cpuVariantOf).sort(), cpuVariantsAsked: asked, gpuBackends: gpuModules.map((m) => m.backend).sort(), files,
    fingerprint: addonKey, addonSha256: crypto.createHash('sha256').update(fs.readFileSync(installed)).digest('hex'),
    builtAt: new Date().toISOString(),
  };
  fs.writeFileSync(path.join(release, 'earshot-core.json'), JSON.stringify(record, null, 2) + '\n');
  log(`earshot: whisper.cpp ${version} (${kind}${record.gpuBackends.length ? ` + ${record.gpuBackends.join(', ')}` : ''}; CPU variants ${record.cpuVariants.join(' ')}) core installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return record;
}

/** The record of the installed new core, or null when the addon or a library it lists is not (or no longer) there. */
function installedCore() {
  try {
    const release = path.join(resolvePackageDir('smart-whisper'), 'build', 'Release');
    const record = JSON.parse(fs.readFileSync(path.join(release, 'earshot-core.json'), 'utf8'));
    const sha = crypto.createHash('sha256').update(fs.readFileSync(path.join(release, 'smart-whisper.node'))).digest('hex');
    if (sha !== record.addonSha256) return null;
    return (record.files ?? []).every((f) => fs.existsSync(path.join(release, f))) ? record : null;
  } catch {
    return null;
  }
}

module.exports = {
  buildCore, buildLibraries, installedCore, patchedSources, run, hashOf, hashFiles, resolvePackageDir, SOURCE_PACKAGE, SOURCE_SUBDIR, PATCH, removeInstalledLibraries, applyPatch, cmakeOptions, gpuOptions, systemLibraries, whisperSourceDir, whisperVersion, cpuVariantOf,
  wantedCpuVariants, askedCpuVariants, hostCpuVariant, buildSomeCpuVariants, MODULE_KINDS, GPU_BACKENDS,
};

// node scripts/whisper-core/build-core.js KIND [--gpu vulkan,cuda] [--libraries-only]   (prints JSON)
if (require.main === module) {
  const kind = process.argv[2] ?? 'cpu';
  const gpuAt = process.argv.indexOf('--gpu');
  const gpu = gpuAt > 0 ? (process.argv[gpuAt + 1] ?? '').split(',').filter(Boolean) : [];
  try {
    console.log(JSON.stringify(process.argv.includes('--libraries-only') ? buildLibraries(kind, { gpu }) : buildCore(kind, { gpu }), null, 2));
  } catch (e) {
    console.error(`earshot: ${e.message}`);
    process.exitCode = 1;
  }
}
