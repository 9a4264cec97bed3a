/**
 * The win32-x64 whisper addon, cross-built on Linux with MinGW-w64 (a part of scripts/build-win32.js): the same
 * sources and patches as the Linux install's new core (scripts/whisper-core/build-core.js: nodejs-whisper's
 * whisper.cpp tree + whisper.patch, smart-whisper's binding + binding.patch), the same CMake options for the `cpu`
 * kind (GGML_BACKEND_DL, every CPU variant as a module, llamafile kernels, no OpenMP), so the Windows package runs what
 * the Linux one runs, built by a compiler whose output the Wine suite can execute.
 *
 *   1. sources: .win32-x64/whisper/source (patched copy; node_modules is never written)
 *   2. CMake + the MinGW toolchain (mingw.js): whisper.dll, ggml.dll, ggml-base.dll, ggml-cpu-<variant>.dll
 *   3. the binding compiled with the MinGW g++ against node-addon-api and node-api-headers, linked with the libraries'
 *      import libraries and Node-API's table and trampoline (node-api.js linkage, checked by its checkAddons):
 *      smart-whisper.node
 *   4. shipped to .win32-x64/package/node_modules/smart-whisper/build/Release/ with an earshot-core.json record (what
 *      scripts/build-whisper.js inspectBuild() reads for `earshot build-info` on Windows).
 * Each step is skipped when its inputs have not changed (a stamp of their hash).
 */
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const core = require('../whisper-core/build-core.js');
const mingw = require('./mingw.js');
const nodeApi = require('./node-api.js');

const WORK = path.join(mingw.OUT, 'whisper');
/** Where the Windows package has the addon: where smart-whisper loads it from. */
const RELEASE = 'node_modules/smart-whisper/build/Release';

function stamp(file, key) {
  return { fresh: fs.existsSync(file) && fs.readFileSync(file, 'utf8') === key, write: () => fs.writeFileSync(file, key) };
}

/**
 * CMake's options: the Linux `cpu` kind's (build-core.js cmakeOptions), less what only ELF/Mach-O read (rpath), no
 * GPU, and mingw-compat.h forced in (what MinGW-w64 10's headers lack).
 */
function cmakeOptions() {
  const compat = `-include ${path.join(__dirname, 'mingw-compat.h')}`;
  return [...core.cmakeOptions('cpu').filter((o) => !/RPATH/.test(o)), ...core.gpuOptions([]), `-DCMAKE_C_FLAGS=${compat}`, `-DCMAKE_CXX_FLAGS=${compat}`];
}

/**
 * The CPU variants to build: every one (null), or those EARSHOT_WIN32_CPU_VARIANTS names. `npm test` names the baseline
 * and this machine's own (scripts/test-all.sh), the only ones the Wine suite can load here: 2 of 13 modules to
 * compile, where every variant took 900 s of its run on 2 cores.
 */
const wantedCpuVariants = (env = process.env) => core.wantedCpuVariants('EARSHOT_WIN32_CPU_VARIANTS', env);

function buildLibraries({ jobs, log }) {
  const { srcDir, version, key: sourceKey } = core.patchedSources(path.join(WORK, 'source'));
  const libDir = path.join(WORK, 'cmake');
  const toolchainDir = path.join(WORK, 'toolchain');
  const options = [...cmakeOptions(), ...mingw.cmakeToolchainOptions(toolchainDir)];
  const variants = wantedCpuVariants();
  const libKey = core.hashOf(version, sourceKey, options, ...['mingw-w64.cmake', 'no-lib-prefix.cmake'].map((f) => fs.readFileSync(path.join(toolchainDir, f))),
    fs.readFileSync(path.join(__dirname, 'mingw-compat.h')), mingw.run(mingw.CXX, ['--version']), ...(variants ? [`variants ${variants.join(',')}`] : []));
  const s = stamp(path.join(libDir, '.earshot-stamp'), libKey);
  if (!s.fresh) {
    const started = Date.now();
    log(`earshot: cross-building whisper.cpp ${version} for win32-x64 (MinGW-w64, ${variants ? `CPU variants ${variants.join(' ')} (EARSHOT_WIN32_CPU_VARIANTS)` : 'every CPU variant'}) with ${jobs} jobs…`);
    // Every option is given on each configure, so a changed one reconfigures the same tree and make rebuilds only
    // what its flags touch; new sources (another whisper.cpp) start from an empty tree.
    const sourceStamp = path.join(libDir, '.earshot-source');
    if (!fs.existsSync(sourceStamp) || fs.readFileSync(sourceStamp, 'utf8') !== sourceKey) fs.rmSync(libDir, { recursive: true, force: true });
    fs.mkdirSync(libDir, { recursive: true });
    fs.writeFileSync(sourceStamp, sourceKey);
    mingw.run('cmake', ['-S', srcDir, '-B', libDir, ...options]);
    if (!variants) mingw.run('cmake', ['--build', libDir, '--config', 'Release', '-j', String(jobs), '--target', 'whisper']);
    else core.buildSomeCpuVariants(libDir, variants, [], jobs, mingw.run);
    s.write();
    log(`earshot: whisper.cpp libraries for win32-x64 built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  const files = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) { if (e.name !== 'CMakeFiles') walk(path.join(d, e.name)); } else files.push(path.join(d, e.name));
    }
  };
  walk(libDir);
  const find = (name) => files.find((f) => path.basename(f) === name) ?? (() => { throw new Error(`CMake built no ${name} in ${libDir}`); })();
  const names = ['whisper', 'ggml', 'ggml-base'];
  return {
    srcDir, version, options, libKey,
    link: names.map((n) => find(`${n}.dll.a`)),
    runtime: names.map((n) => find(`${n}.dll`)),
    // Only the wanted variants: a tree that built every one before keeps the others.
    cpu: files.filter((f) => /^ggml-cpu(-[\w.]+)?\.dll$/.test(path.basename(f)) && (!variants || variants.includes(core.cpuVariantOf(f)))),
  };
}

function buildAddon(libs, { jobs, log }) {
  const swDir = core.resolvePackageDir('smart-whisper');
  const bindingSources = path.join(swDir, 'src', 'binding');
  const addonApi = path.dirname(require.resolve('node-addon-api/package.json', { paths: [swDir] }));
  const dir = path.join(WORK, 'addon');
  const node = nodeApi.linkage(path.join(WORK, 'node-api'));
  const key = core.hashOf(libs.libKey, core.hashFiles(libs.runtime), fs.readFileSync(core.PATCH), core.hashFiles(node.sources),
    core.hashFiles(fs.readdirSync(bindingSources).sort().map((f) => path.join(bindingSources, f))), fs.readFileSync(path.join(node.include, 'node_api.h')));
  const addon = path.join(dir, 'smart-whisper.node');
  const s = stamp(path.join(dir, '.earshot-stamp'), key);
  if (s.fresh && fs.existsSync(addon)) return addon;
  log('earshot: building the smart-whisper binding for win32-x64…');
  fs.rmSync(dir, { recursive: true, force: true });
  const src = path.join(dir, 'src');
  fs.cpSync(bindingSources, src, { recursive: true });
  core.applyPatch(fs.readFileSync(core.PATCH, 'utf8'), src);
  const includes = [require(addonApi).include.replace(/"/g, ''), node.include, path.join(libs.srcDir, 'include'), path.join(libs.srcDir, 'ggml', 'include')];
  // node-gyp's flags for the Linux build (scripts/whisper-core/build-core.js): C++17, -O2, exceptions on.
  const flags = ['-std=c++17', '-O2', '-DNDEBUG', '-DBUILDING_NODE_EXTENSION', ...nodeApi.ADDON_DEFINES, '-DNODE_GYP_MODULE_NAME=smart-whisper', ...includes.map((i) => `-I${i}`)];
  const sources = fs.readdirSync(src).filter((f) => f.endsWith('.cc'));
  // One compiler per source, `jobs` at a time: the binding is 6 files.
  const objects = [];
  const pending = [...sources];
  const { spawn } = require('node:child_process');
  const compileAll = () => new Promise((resolve, reject) => {
    let running = 0;
    let failed = false;
    const next = () => {
      if (failed) return;
      if (pending.length === 0 && running === 0) return resolve();
      while (running < jobs && pending.length) {
        const file = pending.shift();
        const obj = path.join(dir, file.replace(/\.cc$/, '.o'));
        objects.push(obj);
        running++;
        const child = spawn(mingw.CXX, [...flags, '-c', path.join(src, file), '-o', obj], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr.on('data', (d) => { err += d; });
        child.on('close', (code) => {
          running--;
          if (code !== 0) { failed = true; reject(new Error(`${mingw.CXX} ${file} failed:\n${err.split('\n').slice(-30).join('\n')}`)); } else next();
        });
      }
    };
    next();
  });
  return compileAll().then(() => {
    mingw.run(mingw.CXX, ['-shared', '-o', addon, ...objects, ...node.objects, ...libs.link, ...mingw.LINK_STATIC, '-Wl,--no-undefined']);
    s.write();
    return addon;
  });
}

/** Builds the win32 whisper addon and ships it into the package overlay. Returns the record (earshot-core.json). */
async function build({ jobs = mingw.defaultJobs(), log = (m) => console.error(m) } = {}) {
  mingw.checkToolchain();
  const started = Date.now();
  const libs = buildLibraries({ jobs, log });
  const addon = await buildAddon(libs, { jobs, log });
  const files = [
    { from: addon, name: 'smart-whisper.node' },
    ...libs.runtime.map((f) => ({ from: f, name: path.basename(f) })),
    ...libs.cpu.map((f) => ({ from: f, name: path.basename(f) })),
  ];
  // What the package runs must need nothing but Windows: every import is a system DLL or the core's own (Node-API is
  // resolved at run time, node-api.js), and every addon among them keeps a double argument of its first call.
  nodeApi.checkAddons(files.map((f) => f.from));
  const own = new Set(files.map((f) => f.name.toLowerCase()));
  for (const { from, name } of files) {
    const foreign = mingw.importsOf(from).filter((d) => !own.has(d) && !/^(kernel32|msvcrt|user32|advapi32|ws2_32|ole32|shell32|bcrypt|api-ms-win-[\w-]+)\.dll$/.test(d));
    if (foreign.length) throw new Error(`${name} imports ${foreign.join(', ')}: not a Windows system DLL (a MinGW runtime DLL? link it statically)`);
  }
  const dir = mingw.ship(RELEASE, files);
  const sha = (f) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
  const record = {
    kind: 'cpu', whisperCpp: libs.version,
    source: `${core.SOURCE_PACKAGE}@${require(path.join(core.resolvePackageDir(core.SOURCE_PACKAGE), 'package.json')).version}/${core.SOURCE_SUBDIR.replace(/\\/g, '/')} + scripts/whisper-core/whisper.patch`,
    compiler: mingw.run(mingw.CXX, ['--version']).split('\n')[0], target: 'win32-x64',
    cmakeOptions: libs.options.filter((o) => !o.startsWith('-DCMAKE_TOOLCHAIN_FILE')),
    cpuVariants: libs.cpu.map((f) => core.cpuVariantOf(f)).sort(), gpuBackends: [], files: files.map((f) => f.name).filter((n) => n !== 'smart-whisper.node'),
    fingerprint: core.hashOf(libs.libKey, sha(addon)), addonSha256: sha(addon), builtAt: new Date().toISOString(),
  };
  fs.writeFileSync(path.join(dir, 'earshot-core.json'), JSON.stringify(record, null, 2) + '\n');
  log(`earshot: win32-x64 whisper.cpp ${libs.version} (CPU variants ${record.cpuVariants.join(' ')}) in ${path.relative(mingw.REPO, dir)} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  return record;
}

module.exports = { build, cmakeOptions, wantedCpuVariants };
