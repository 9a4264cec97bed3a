#!/usr/bin/env node
/**
 * Builds smart-whisper's native addon against current whisper.cpp sources ("the new core"): smart-whisper stays the
 * JS API, its C++ binding (src/binding/*.cc) is patched for the newer whisper.cpp (binding.patch, next to this file)
 * and linked with static libraries that CMake builds from the whisper.cpp tree the npm package nodejs-whisper ships
 * (cpp/whisper.cpp; a devDependency, so nothing is downloaded from anywhere but the npm registry).
 *
 *   1. the sources are copied to node_modules/.earshot-whisper-core/source and whisper.patch applied (flash
 *      attention's K/V padding masked; the decoder computes the prompt's logits for its last token only; the
 *      encoder's phases hand their compute buffers back to the OS once no later phase reads them, the K/V caches and
 *      the CPU work buffer at the end of each decode: less memory per decode); cmake configures and
 *      builds libwhisper + ggml (static, PIC) from there into node_modules/.earshot-whisper-core/<kind>;
 *   2. smart-whisper's binding sources are copied there, patched, and built with node-gyp (the node-gyp npm runs for
 *      smart-whisper's own install, so the same Node headers and offline setup apply);
 *   3. the addon replaces node_modules/smart-whisper/build/Release/smart-whisper.node, and earshot-core.json next to
 *      it records what was built (scripts/build-whisper.js reads it for `earshot build-info`).
 *
 * Kinds (which one: scripts/build-whisper.js): x86-64-v3 (AVX2/FMA/F16C/BMI2, the default on such CPUs), native
 * (-march=native), portable (no x86 SIMD beyond the baseline), metal (Apple Silicon), cuda, vulkan.
 * Steps 1 and 2 are skipped when their inputs have not changed.
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

/** CMake options per kind; ggml's own CPU-feature options do the x86 SIMD choice (GGML_NATIVE off → AVX2 etc. on). */
function cmakeOptions(kind) {
  const common = [
    '-DCMAKE_BUILD_TYPE=Release', '-DBUILD_SHARED_LIBS=OFF', '-DCMAKE_POSITION_INDEPENDENT_CODE=ON',
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
  ];
  const noAmx = ['C', 'CXX'].map((lang) => `-DCMAKE_${lang}_FLAGS=-mno-amx-tile -mno-amx-int8 -mno-amx-bf16`);
  const noX86Simd = ['SSE42', 'AVX', 'AVX2', 'BMI2', 'FMA', 'F16C'].map((f) => `-DGGML_${f}=OFF`);
  switch (kind) {
    // MSVC has no -march: ggml's GGML_AVX2 etc. give it /arch:AVX2 instead.
    case 'x86-64-v3': return [...common, '-DGGML_NATIVE=OFF', ...(process.platform === 'win32' ? [] : ['-DCMAKE_C_FLAGS=-march=x86-64-v3', '-DCMAKE_CXX_FLAGS=-march=x86-64-v3'])];
    // Without AMX: ggml's AMX kernels take the 8-bit weights where the CPU has it, and die of an illegal instruction
    // where the kernel does not let the process use the tiles (a Sapphire Rapids VM here).
    case 'native': return [...common, '-DGGML_NATIVE=ON', ...(os.arch() === 'x64' && process.platform !== 'win32' ? noAmx : [])];
    case 'portable': return [...common, '-DGGML_NATIVE=OFF', ...(os.arch() === 'x64' ? noX86Simd : [])];
    // The Metal shaders are embedded in the library: nothing to find at run time.
    case 'metal': return [...common, '-DGGML_NATIVE=ON', '-DGGML_METAL=ON', '-DGGML_METAL_EMBED_LIBRARY=ON'];
    case 'cuda': {
      const nvcc = path.join(process.env.CUDA_HOME || '/usr/local/cuda', 'bin', process.platform === 'win32' ? 'nvcc.exe' : 'nvcc');
      return [...common, '-DGGML_NATIVE=OFF', '-DGGML_CUDA=ON', ...(fs.existsSync(nvcc) ? [`-DCMAKE_CUDA_COMPILER=${nvcc}`] : []),
        ...(process.env.EARSHOT_CUDA_ARCHITECTURES ? [`-DCMAKE_CUDA_ARCHITECTURES=${process.env.EARSHOT_CUDA_ARCHITECTURES}`] : [])];
    }
    case 'vulkan': return [...common, '-DGGML_NATIVE=OFF', '-DGGML_VULKAN=ON'];
    default: throw new Error(`unknown whisper core kind ${kind}`);
  }
}

/** Extra libraries the static ggml backends need at link time. */
function systemLibraries(kind) {
  const libs = [];
  if (process.platform === 'darwin') {
    libs.push('-framework Foundation', '-framework Accelerate');
    if (kind === 'metal') libs.push('-framework Metal', '-framework MetalKit');
  } else if (process.platform !== 'win32') {
    libs.push('-lpthread', '-ldl');
  }
  if (kind === 'cuda') {
    const cuda = process.env.CUDA_HOME || '/usr/local/cuda';
    libs.push(`-L${cuda}/lib64`, `-L${cuda}/targets/x86_64-linux/lib`, '-lcudart', '-lcublas', '-lcublasLt', '-lcuda');
  }
  if (kind === 'vulkan') {
    libs.push(process.platform === 'win32' ? path.join(process.env.VULKAN_SDK ?? '', 'Lib', 'vulkan-1.lib') : '-lvulkan');
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

function stageDir(kind) {
  return path.join(REPO, 'node_modules', '.earshot-whisper-core', kind);
}

/** What of the whisper.cpp tree a library build does not read (CMake configures bindings/ even without building them). */
const UNUSED_SOURCES = new Set(['examples', 'samples', 'media']);

/**
 * The sources the libraries are built from: nodejs-whisper's tree with whisper.patch applied, copied once per patch
 * and version (the package itself stays as npm installed it). Returns { srcDir, version, key }.
 */
function patchedSources() {
  const pristine = whisperSourceDir();
  const version = whisperVersion(pristine);
  const patch = fs.readFileSync(WHISPER_PATCH, 'utf8');
  const srcDir = stageDir('source');
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
 * Step 1: whisper.cpp and ggml as static libraries for `kind` (also what scripts/build-whisper-cpp.sh links its
 * native benchmark driver with). Returns { srcDir, version, options, libDir, libs, libKey }.
 */
function buildLibraries(kind, { jobs = Math.max(1, os.cpus().length), log = (m) => console.error(m) } = {}) {
  const { srcDir, version, key: sourceKey } = patchedSources();
  const libDir = path.join(stageDir(kind), 'cmake');
  const options = cmakeOptions(kind);
  const libKey = hashOf(version, sourceKey, options, fs.readFileSync(path.join(srcDir, 'CMakeLists.txt')), process.platform, os.arch());
  const libStamp = path.join(libDir, '.earshot-stamp');
  if (!(fs.existsSync(libStamp) && fs.readFileSync(libStamp, 'utf8') === libKey && staticLibraries(libDir).length >= 3)) {
    log(`earshot: building whisper.cpp ${version} (${kind}) with CMake, ${jobs} jobs (a few minutes)…`);
    fs.rmSync(libDir, { recursive: true, force: true });
    fs.mkdirSync(libDir, { recursive: true });
    run('cmake', ['-S', srcDir, '-B', libDir, ...options]);
    run('cmake', ['--build', libDir, '--config', 'Release', '-j', String(jobs), '--target', 'whisper']);
    fs.writeFileSync(libStamp, libKey);
  }
  const libs = staticLibraries(libDir);
  if (!libs.some((l) => /whisper\.(a|lib)$/.test(l))) throw new Error(`CMake built no libwhisper in ${libDir}`);
  return { srcDir, version, options, libDir, libs, libKey };
}

/**
 * Builds the new core for `kind` and installs the addon. Returns the record written to earshot-core.json.
 * Throws (with the build's last lines) when anything fails; the caller falls back to the bundled sources.
 */
function buildCore(kind, { jobs = Math.max(1, os.cpus().length), log = (m) => console.error(m) } = {}) {
  const started = Date.now();
  const { srcDir, version, options, libs, libKey } = buildLibraries(kind, { jobs, log });
  const swDir = resolvePackageDir('smart-whisper');
  const addonDir = path.join(stageDir(kind), 'addon');

  // 2. smart-whisper's binding, patched, linked with those libraries.
  const bindingSources = path.join(swDir, 'src', 'binding');
  const addonKey = hashOf(libKey, hashFiles(libs), fs.readFileSync(PATCH), hashFiles(fs.readdirSync(bindingSources).sort().map((f) => path.join(bindingSources, f))));
  const addonStamp = path.join(addonDir, '.earshot-stamp');
  const builtAddon = path.join(addonDir, 'build', 'Release', 'smart-whisper.node');
  if (!(fs.existsSync(addonStamp) && fs.readFileSync(addonStamp, 'utf8') === addonKey && fs.existsSync(builtAddon))) {
    log('earshot: building the smart-whisper binding against it…');
    fs.rmSync(addonDir, { recursive: true, force: true });
    fs.mkdirSync(path.join(addonDir, 'src'), { recursive: true });
    fs.cpSync(bindingSources, path.join(addonDir, 'src', 'binding'), { recursive: true });
    applyPatch(fs.readFileSync(PATCH, 'utf8'), path.join(addonDir, 'src', 'binding'));
    const addonApi = path.dirname(require.resolve('node-addon-api/package.json', { paths: [swDir] }));
    const linux = process.platform === 'linux';
    const gyp = {
      targets: [{
        target_name: 'smart-whisper',
        sources: fs.readdirSync(path.join(addonDir, 'src', 'binding')).filter((f) => f.endsWith('.cc')).map((f) => `src/binding/${f}`),
        include_dirs: [require(addonApi).include.replace(/"/g, ''), path.join(srcDir, 'include'), path.join(srcDir, 'ggml', 'include')],
        // node-addon-api names its gyp file relative to the package that depends on it: absolute here.
        dependencies: [`${path.join(addonApi, 'node_api.gyp').replace(/\\/g, '/')}:nothing`],
        // Static archives that reference each other: one group on GNU ld, any order elsewhere.
        libraries: [...(linux ? ['-Wl,--start-group'] : []), ...libs, ...(linux ? ['-Wl,--end-group'] : []), ...systemLibraries(kind)],
        'cflags!': ['-fno-exceptions'],
        'cflags_cc!': ['-fno-exceptions'],
        cflags_cc: ['-std=c++17', '-O2'],
        xcode_settings: { GCC_ENABLE_CPP_EXCEPTIONS: 'YES', CLANG_CXX_LIBRARY: 'libc++', CLANG_CXX_LANGUAGE_STANDARD: 'c++17', GCC_SYMBOLS_PRIVATE_EXTERN: 'YES' },
        msvs_settings: { VCCLCompilerTool: { ExceptionHandling: 1, AdditionalOptions: ['/std:c++17'] } },
      }],
    };
    fs.writeFileSync(path.join(addonDir, 'binding.gyp'), JSON.stringify(gyp, null, 2));
    run(process.execPath, [nodeGypScript(), 'rebuild', `--jobs=${jobs}`], { cwd: addonDir, env: { ...process.env, ...nodeHeadersEnv(), CFLAGS: '', CXXFLAGS: '' } });
    fs.writeFileSync(addonStamp, addonKey);
  }

  // 3. Installed where smart-whisper loads its addon from.
  const release = path.join(swDir, 'build', 'Release');
  fs.mkdirSync(release, { recursive: true });
  const installed = path.join(release, 'smart-whisper.node');
  // Replacing a loaded .node in place would crash a running daemon: write beside it and rename.
  fs.copyFileSync(builtAddon, installed + '.tmp');
  fs.renameSync(installed + '.tmp', installed);
  const record = {
    kind, whisperCpp: version,
    source: `${SOURCE_PACKAGE}@${require(path.join(resolvePackageDir(SOURCE_PACKAGE), 'package.json')).version}/${SOURCE_SUBDIR.replace(/\\/g, '/')} + scripts/whisper-core/whisper.patch`,
    cmakeOptions: options, fingerprint: addonKey, addonSha256: crypto.createHash('sha256').update(fs.readFileSync(installed)).digest('hex'),
    builtAt: new Date().toISOString(),
  };
  fs.writeFileSync(path.join(release, 'earshot-core.json'), JSON.stringify(record, null, 2) + '\n');
  log(`earshot: whisper.cpp ${version} (${kind}) core installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return record;
}

/** The record of the installed new core, or null when the addon is not (or no longer) the one it describes. */
function installedCore() {
  try {
    const release = path.join(resolvePackageDir('smart-whisper'), 'build', 'Release');
    const record = JSON.parse(fs.readFileSync(path.join(release, 'earshot-core.json'), 'utf8'));
    const sha = crypto.createHash('sha256').update(fs.readFileSync(path.join(release, 'smart-whisper.node'))).digest('hex');
    return sha === record.addonSha256 ? record : null;
  } catch {
    return null;
  }
}

module.exports = { buildCore, buildLibraries, installedCore, applyPatch, cmakeOptions, systemLibraries, whisperSourceDir, whisperVersion };

// node scripts/whisper-core/build-core.js KIND [--libraries-only]   (prints JSON)
if (require.main === module) {
  const kind = process.argv[2] ?? 'x86-64-v3';
  try {
    console.log(JSON.stringify(process.argv.includes('--libraries-only') ? buildLibraries(kind) : buildCore(kind), null, 2));
  } catch (e) {
    console.error(`earshot: ${e.message}`);
    process.exitCode = 1;
  }
}
