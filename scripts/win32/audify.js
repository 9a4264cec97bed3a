#!/usr/bin/env node
/**
 * Cross-builds audify's Node-API addon for win32-x64 with MinGW-w64 on Linux: RtAudio with the WASAPI API only
 * (the API Earshot opens on Windows: daemon/capture/audifyHelper.ts preferredApi), audify's own src/*.cpp and its
 * vendored Opus (audify.cpp registers the Opus classes too), linked into one audify.node with no DLL beside it.
 *
 * Why not audify's prebuilt (MSVC, with ASIO and DirectSound as well): what ships must be what the Wine suite runs
 * (issue 38), and this build is the one that can be built and run here.
 *
 * One source change: RtAudio's WASAPI thread falls back to IAudioClient::Initialize where IAudioClient3 cannot give
 * its engine period (Wine 8.0), RTAUDIO_PATCHES below.
 *
 * Output: <outDir>/audify/build/Release/audify.node, where audify's index.js finds it (`require("bindings")("audify")`
 * tries <module_root>/build/Release/audify.node: node_modules/bindings/bindings.js:43). Intermediate files go to
 * <outDir>/.obj/audify and are reused while their sources are older.
 *
 * Link (RtAudio's CMakeLists.txt:193-204 for WASAPI: ksuser mfplat mfuuid wmcodecdspuuid, then winmm ole32):
 *   Node-API: an import library made by dlltool from node-api-headers' def/node_api.def, as a *delay-load* library
 *     (dlltool -y), and a notify hook (win32/delayLoadHook.c) that answers the load of "node.exe" with the running
 *     executable: the addon then loads in Code.exe and Electron, as node-gyp's win_delay_load_hook.cc does for MSVC
 *     builds.
 *   libgcc, libstdc++ and winpthread static: the addon needs nothing but Windows' own DLLs (checked after linking).
 *
 * Usage: node scripts/win32/audify.js [outDir]    (default .win32-x64 in the repository)
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const REPO = path.join(__dirname, '..', '..');
const CROSS = 'x86_64-w64-mingw32-';
/** Windows' own DLLs (and Wine's builtins of them): anything else imported would have to ship beside the addon. */
const SYSTEM_DLLS = /^(kernel32|user32|advapi32|ole32|oleaut32|msvcrt|winmm|ksuser|mfplat|avrt|propsys|shell32|ws2_32|bcrypt|api-ms-win-[a-z0-9-]+)\.dll$/i;

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})\n${out}`);
  }
  return r.stdout;
}

function moduleDir(name, from = REPO) {
  return path.dirname(require.resolve(`${name}/package.json`, { paths: [from] }));
}

/** Whether `out` is missing or older than any of `inputs`. */
function stale(out, inputs) {
  if (!fs.existsSync(out)) return true;
  const t = fs.statSync(out).mtimeMs;
  return inputs.some((i) => fs.statSync(i).mtimeMs > t);
}

/**
 * RtAudio 6.0.1's WASAPI thread opens a capture (and render) client through IAudioClient3 whenever the endpoint has
 * one, and gives up when IAudioClient3::GetSharedModeEnginePeriod fails (RtAudio.cpp:5684-5700 capture, :5797-5811
 * render: "Unable to initialize capture audio client."), though the IAudioClient::Initialize path right below
 * (:5702-5709) works on every endpoint. Wine 8.0's winepulse has IAudioClient3 with that method a stub returning
 * E_NOTIMPL ("fixme:pulse:AudioClient_GetSharedModeEnginePeriod"), so no microphone could be opened at all. The patch
 * falls back to IAudioClient::Initialize, with the same flags, when the engine period cannot be had; on Windows 10+,
 * where the method works, nothing changes. Each replacement must match once, so an audify update that changes these
 * lines fails the build instead of shipping unpatched.
 */
const RTAUDIO_PATCHES = ['capture', 'render'].map((side) => ({
  side,
  // `if ( FAILED( hr ) ) { errorText = "…Unable to initialize <side> audio client."; goto Exit; }` then InitializeSharedAudioStream
  find: new RegExp(`if \\( FAILED\\( hr \\) \\) \\{\\s*errorText = "RtApiWasapi::wasapiThread: Unable to initialize ${side} audio client.";\\s*goto Exit;\\s*\\}\\s*hr = ${side}AudioClient3->InitializeSharedAudioStream\\(`),
  replace: `if ( FAILED( hr ) ) // Earshot (scripts/win32/audify.js): no engine period (Wine 8.0: E_NOTIMPL), so IAudioClient's way\n` +
    `          hr = ${side}AudioClient->Initialize( AUDCLNT_SHAREMODE_SHARED, AUDCLNT_STREAMFLAGS_EVENTCALLBACK, 0, 0, ${side}Format, NULL );\n` +
    `        else\n          hr = ${side}AudioClient3->InitializeSharedAudioStream(`,
}));

/** RtAudio.cpp with RTAUDIO_PATCHES applied, written next to the objects (RtAudio.h is found through -I). */
function patchedRtAudio(rtaudio, objDir) {
  const src = path.join(rtaudio, 'RtAudio.cpp');
  const out = path.join(objDir, 'RtAudio.cpp');
  if (!stale(out, [src, __filename])) return out;
  let text = fs.readFileSync(src, 'utf8');
  for (const p of RTAUDIO_PATCHES) {
    const hits = text.match(new RegExp(p.find.source, 'g'))?.length ?? 0;
    if (hits !== 1) throw new Error(`RtAudio.cpp: the ${p.side} IAudioClient3 block matched ${hits} times, not once: check RTAUDIO_PATCHES against this RtAudio`);
    text = text.replace(p.find, p.replace);
  }
  fs.writeFileSync(out, text);
  return out;
}

/** Runs `jobs` (functions returning spawn args) with at most `parallel` compilers at once. */
async function parallelRun(jobs, parallel) {
  const { spawn } = require('node:child_process');
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const [cmd, args] = jobs[next++];
      await new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr.on('data', (d) => { err += d; });
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} failed (exit ${code})\n${err.trim().split('\n').slice(-20).join('\n')}`))));
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, jobs.length) }, worker));
}

/** Opus as a static library, with audify's vendored sources and its own CMake build (no ssp: it would need libssp-0.dll). */
function buildOpus(audify, objDir) {
  const lib = path.join(objDir, 'opus', 'libopus.a');
  const build = path.join(objDir, 'opus');
  if (fs.existsSync(lib)) return lib;
  run('cmake', ['-S', path.join(audify, 'vendor', 'opus'), '-B', build, '-G', 'Unix Makefiles',
    '-DCMAKE_SYSTEM_NAME=Windows', '-DCMAKE_SYSTEM_PROCESSOR=AMD64', `-DCMAKE_C_COMPILER=${CROSS}gcc`, `-DCMAKE_RC_COMPILER=${CROSS}windres`,
    '-DCMAKE_BUILD_TYPE=Release', '-DBUILD_SHARED_LIBS=OFF', '-DBUILD_TESTING=OFF', '-DOPUS_BUILD_TESTING=OFF', '-DOPUS_BUILD_PROGRAMS=OFF',
    '-DOPUS_STACK_PROTECTOR=OFF', '-DOPUS_FORTIFY_SOURCE=OFF', '-DOPUS_INSTALL_PKG_CONFIG_MODULE=OFF', '-DOPUS_INSTALL_CMAKE_CONFIG_MODULE=OFF']);
  run('cmake', ['--build', build, '--target', 'opus', '-j', String(jobsCount())]);
  return lib;
}

function jobsCount() {
  return Number(process.env.EARSHOT_BUILD_JOBS) || Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

/** The Node-API delay-load import library (dlltool -y) from node-api-headers' .def. */
function nodeApiLib(objDir) {
  const def = require(moduleDir('node-api-headers')).def_paths.node_api_def;
  const lib = path.join(objDir, 'libnode_api_delay.a');
  if (stale(lib, [def])) run(`${CROSS}dlltool`, ['-d', def, '-y', lib, '-m', 'i386:x86-64']);
  return lib;
}

/** The DLLs a PE file imports (objdump -p). */
function importedDlls(file) {
  return [...run(`${CROSS}objdump`, ['-p', file]).matchAll(/DLL Name: (\S+)/g)].map((m) => m[1]);
}

async function build(outDir = path.join(REPO, '.win32-x64')) {
  const started = Date.now();
  const audify = moduleDir('audify');
  const objDir = path.join(outDir, '.obj', 'audify');
  fs.mkdirSync(objDir, { recursive: true });
  const headers = require(moduleDir('node-api-headers')).include_dir;
  // audify's own node-addon-api (7.x, nested under it), the one its CMakeLists asks node for.
  const addonApi = moduleDir('node-addon-api', audify);
  const rtaudio = path.join(audify, 'vendor', 'rtaudio');
  const opus = buildOpus(audify, objDir);

  const cxx = `${CROSS}g++-posix`;
  const common = ['-O2', '-DNDEBUG', '-DBUILDING_NODE_EXTENSION', '-D__WINDOWS_WASAPI__', '-DWIN32_LEAN_AND_MEAN', '-DNOMINMAX',
    '-I', path.join(audify, 'vendor', 'opus', 'include'), '-I', rtaudio, '-I', path.join(rtaudio, 'include'), '-I', headers, '-I', addonApi];
  const sources = [
    [patchedRtAudio(rtaudio, objDir), ['-std=gnu++17']],
    ...fs.readdirSync(path.join(audify, 'src')).filter((f) => f.endsWith('.cpp')).map((f) => [path.join(audify, 'src', f), ['-std=gnu++20']]),
  ];
  const hook = path.join(__dirname, 'delayLoadHook.c');
  const objects = [];
  const jobs = [];
  for (const [src, std] of sources) {
    const obj = path.join(objDir, `${path.basename(src, '.cpp')}.o`);
    objects.push(obj);
    if (stale(obj, [src, __filename])) jobs.push([cxx, [...common, ...std, '-c', src, '-o', obj]]);
  }
  const hookObj = path.join(objDir, 'delayLoadHook.o');
  objects.push(hookObj);
  if (stale(hookObj, [hook])) jobs.push([`${CROSS}gcc-posix`, ['-O2', '-c', hook, '-o', hookObj]]);
  await parallelRun(jobs, jobsCount());

  const release = path.join(outDir, 'audify', 'build', 'Release');
  fs.mkdirSync(release, { recursive: true });
  const out = path.join(release, 'audify.node');
  run(cxx, ['-shared', '-o', out, ...objects, opus, nodeApiLib(objDir), '-Wl,--no-undefined', '-s',
    '-static', '-static-libgcc', '-static-libstdc++',
    '-lksuser', '-lmfplat', '-lmfuuid', '-lwmcodecdspuuid', '-lwinmm', '-lole32', '-luuid']);
  const dlls = importedDlls(out);
  const foreign = dlls.filter((d) => !SYSTEM_DLLS.test(d));
  if (foreign.length) throw new Error(`audify.node imports ${foreign.join(', ')}: only Windows' own DLLs may be imported (delay-loaded node.exe excepted)`);
  // audify's JavaScript (index.js, the bindings loader's module root) comes from node_modules/audify when packaged.
  fs.writeFileSync(path.join(outDir, 'audify', 'build', 'earshot-build.json'), JSON.stringify({ how: 'mingw-w64', apis: ['WASAPI'], at: new Date().toISOString() }) + '\n');
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`earshot: audify (RtAudio WASAPI, MinGW-w64) → ${path.relative(REPO, out)} (${Math.round(fs.statSync(out).size / 1024)} KB, imports ${dlls.join(' ')}; ${seconds} s)`);
  return { files: [out] };
}

module.exports = { build, importedDlls };

if (require.main === module) {
  build(process.argv[2] ? path.resolve(process.argv[2]) : undefined).catch((e) => {
    console.error(`earshot: audify win32 build failed: ${e.message}`);
    process.exit(1);
  });
}
