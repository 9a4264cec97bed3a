/**
 * The win32-x64 audify addon, cross-built on Linux with MinGW-w64 (a part of scripts/build-win32.js): RtAudio with the
 * WASAPI API only (what Earshot opens on Windows: daemon/capture/audifyHelper.ts preferredApi), audify's own
 * src/*.cpp and its vendored Opus (audify.cpp registers the Opus classes too), linked into one audify.node that needs
 * nothing but Windows' own DLLs. Why not audify's prebuilt (MSVC, with ASIO and DirectSound as well): what ships must be
 * what the Wine suite (test/wine/capture.test.ts) runs, and this build is the one that can be built and run here.
 *
 *   1. Opus: audify's vendored copy, a static library with its own CMake build and mingw.js's toolchain (no stack
 *      protector or fortify: with MinGW they need libssp-0.dll, Opus's CMakeLists.txt:164-167)
 *   2. RtAudio.cpp with RTAUDIO_PATCHES, -D__WINDOWS_WASAPI__, and audify's src/*.cpp against audify's own
 *      node-addon-api (7.x, what its CMakeLists asks node for) and node-api-headers
 *   3. linked with Node-API's table and trampoline (node-api.js linkage: loads in Code.exe too, keeps a double
 *      argument) and RtAudio's WASAPI libraries (its CMakeLists.txt:193-204: ksuser mfplat mfuuid wmcodecdspuuid,
 *      then winmm ole32); node-api.js checkAddons checks the trampoline before it ships, stripped only after
 *   4. shipped to .win32-x64/package/node_modules/audify/build/Release/audify.node, where audify's index.js finds it
 *      (`require("bindings")("audify")` tries <module_root>/build/Release: node_modules/bindings/bindings.js:43)
 * Scratch files are in .win32-x64/audify/; each step is skipped while its inputs are older than its output.
 *
 * One source change, RTAUDIO_PATCHES: RtAudio's WASAPI thread falls back to IAudioClient::Initialize where
 * IAudioClient3 cannot give its engine period (Wine 8.0).
 *
 * Under Wine the helper also needs GStreamer's base plugins (gstreamer1.0-plugins-base, scripts/wine-setup.sh): RtAudio
 * creates a Media Foundation resampler for every stream (RtAudio.cpp:5679), also at the device's own rate where it
 * is never used (:4689-4695), and dereferences it unchecked (:4632-4635); Wine's resampler is winegstreamer's, which
 * fails without "audioconvert", and the stream thread crashes ("Unhandled page fault on read access to 0000000000000000").
 * Windows has it built in (Media Foundation; the N editions without the Media Feature Pack lack MFPlat.DLL, so the
 * addon does not load there and capture falls back to the recorder programs, daemon/capture/audify.ts).
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const mingw = require('./mingw.js');
const nodeApi = require('./node-api.js');

const WORK = path.join(mingw.OUT, 'audify');
/** Where the Windows package has the addon. */
const RELEASE = 'node_modules/audify/build/Release';
/** Windows' own DLLs (Wine has builtins of each): any other import would have to ship beside the addon. */
const SYSTEM_DLLS = /^(kernel32|msvcrt|user32|advapi32|ole32|oleaut32|winmm|ksuser|mfplat|avrt|propsys|api-ms-win-[\w-]+)\.dll$/;

/**
 * RtAudio 6.0.1's WASAPI thread opens a capture (and a render) client through IAudioClient3 wherever the endpoint has
 * one, and gives up when IAudioClient3::GetSharedModeEnginePeriod fails (RtAudio.cpp:5684-5700 capture, :5796-5811
 * render: "Unable to initialize capture audio client."), though IAudioClient::Initialize right below (:5707-5715) opens
 * every endpoint. Wine 8.0's winepulse has IAudioClient3 with that method a stub returning E_NOTIMPL
 * ("fixme:pulse:AudioClient_GetSharedModeEnginePeriod"; later Wine implements it in mmdevapi), so no microphone could
 * be opened under Wine 8. The patch falls back to IAudioClient::Initialize with the same flags when the engine period
 * cannot be had; on Windows 10 and later, where the method works, nothing changes. It asks for a 500 ms buffer where
 * RtAudio asks for none: winepulse then keeps 3 periods, about 30 ms (pulse_create_stream: `if (duration < 3 * period)`),
 * and a reader thread starved longer than that on a loaded machine (Wine has no MMCSS: AvSetMmThreadCharacteristicsW
 * is a stub) loses audio: 8 % of a session's microphone here, r 0.55 against what was played, and r 0.999 with 500 ms.
 * Events still come every period, so this adds no latency. Each pattern must match once: an audify update that changes
 * these lines fails the build instead of shipping unpatched.
 */
const RTAUDIO_PATCHES = ['capture', 'render'].map((side) => ({
  side,
  // `if ( FAILED( hr ) ) { errorText = "…Unable to initialize <side> audio client."; goto Exit; }` then InitializeSharedAudioStream
  find: new RegExp(`if \\( FAILED\\( hr \\) \\) \\{\\s*errorText = "RtApiWasapi::wasapiThread: Unable to initialize ${side} audio client.";\\s*goto Exit;\\s*\\}\\s*hr = ${side}AudioClient3->InitializeSharedAudioStream\\(`),
  replace: `if ( FAILED( hr ) ) // Earshot (scripts/win32/audify.js): no engine period (Wine 8.0: E_NOTIMPL), so IAudioClient's way\n` +
    `          hr = ${side}AudioClient->Initialize( AUDCLNT_SHAREMODE_SHARED, AUDCLNT_STREAMFLAGS_EVENTCALLBACK, 5000000, 0, ${side}Format, NULL );\n` +
    `        else\n          hr = ${side}AudioClient3->InitializeSharedAudioStream(`,
}));

/** Whether `out` is missing or older than any of `inputs`. */
function stale(out, inputs) {
  if (!fs.existsSync(out)) return true;
  const t = fs.statSync(out).mtimeMs;
  return inputs.some((i) => fs.statSync(i).mtimeMs > t);
}

/** RtAudio.cpp with RTAUDIO_PATCHES applied, in the scratch folder (RtAudio.h is found through -I). */
function patchedRtAudio(rtaudio) {
  const src = path.join(rtaudio, 'RtAudio.cpp');
  const out = path.join(WORK, 'RtAudio.cpp');
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

function buildOpus(audify, { jobs }) {
  const build = path.join(WORK, 'opus');
  const lib = path.join(build, 'libopus.a');
  if (fs.existsSync(lib)) return lib;
  mingw.run('cmake', ['-S', path.join(audify, 'vendor', 'opus'), '-B', build, `-DCMAKE_TOOLCHAIN_FILE=${mingw.cmakeToolchain(path.join(WORK, 'toolchain'))}`,
    '-DCMAKE_BUILD_TYPE=Release', '-DBUILD_SHARED_LIBS=OFF', '-DBUILD_TESTING=OFF', '-DOPUS_BUILD_TESTING=OFF', '-DOPUS_BUILD_PROGRAMS=OFF',
    '-DOPUS_STACK_PROTECTOR=OFF', '-DOPUS_FORTIFY_SOURCE=OFF', '-DOPUS_INSTALL_PKG_CONFIG_MODULE=OFF', '-DOPUS_INSTALL_CMAKE_CONFIG_MODULE=OFF']);
  mingw.run('cmake', ['--build', build, '--target', 'opus', '-j', String(jobs)]);
  return lib;
}

/** Runs the compile commands (argument lists for mingw.CXX) with at most `jobs` at once. */
async function compileAll(commands, jobs) {
  const { spawn } = require('node:child_process');
  let next = 0;
  const worker = async () => {
    while (next < commands.length) {
      const args = commands[next++];
      await new Promise((resolve, reject) => {
        const child = spawn(mingw.CXX, args, { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr.on('data', (d) => { err += d; });
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${mingw.CXX} ${args.join(' ')} failed (exit ${code})\n${err.trim().split('\n').slice(-20).join('\n')}`))));
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, commands.length) }, worker));
}

/** Builds the win32 audify addon and ships it into the package overlay. */
async function build({ jobs = mingw.defaultJobs(), log = (m) => console.error(m) } = {}) {
  mingw.checkToolchain();
  const started = Date.now();
  fs.mkdirSync(WORK, { recursive: true });
  const audify = path.dirname(require.resolve('audify/package.json', { paths: [mingw.REPO] }));
  const addonApi = path.dirname(require.resolve('node-addon-api/package.json', { paths: [audify] }));
  const rtaudio = path.join(audify, 'vendor', 'rtaudio');
  const node = nodeApi.linkage(path.join(WORK, 'node-api'));
  const opus = buildOpus(audify, { jobs });

  // cmake-js's flags for the Linux build (node_modules/audify/build/build.ninja): -O3 there, C++20 for audify's own.
  const flags = ['-O2', '-DNDEBUG', '-DBUILDING_NODE_EXTENSION', ...nodeApi.ADDON_DEFINES, '-D__WINDOWS_WASAPI__', '-DWIN32_LEAN_AND_MEAN', '-DNOMINMAX',
    ...[path.join(audify, 'vendor', 'opus', 'include'), rtaudio, path.join(rtaudio, 'include'), node.include, addonApi].map((i) => `-I${i}`)];
  const sources = [
    { src: patchedRtAudio(rtaudio), std: '-std=gnu++17' },
    ...fs.readdirSync(path.join(audify, 'src')).filter((f) => f.endsWith('.cpp')).map((f) => ({ src: path.join(audify, 'src', f), std: '-std=gnu++20' })),
  ];
  const objects = sources.map(({ src }) => path.join(WORK, `${path.basename(src, '.cpp')}.o`));
  const commands = sources.filter(({ src }, i) => stale(objects[i], [src, __filename, path.join(__dirname, 'node-api.js')])).map(({ src, std }) => [...flags, std, '-c', src, '-o', path.join(WORK, `${path.basename(src, '.cpp')}.o`)]);
  if (commands.length) log(`earshot: compiling audify (RtAudio WASAPI) for win32-x64: ${commands.length} files with ${jobs} jobs…`);
  await compileAll(commands, jobs);

  // Linked with its symbols so that the trampoline can be found and checked, then stripped.
  const linked = path.join(WORK, 'audify-unstripped.node');
  mingw.run(mingw.CXX, ['-shared', '-o', linked, ...objects, opus, ...node.objects, '-Wl,--no-undefined', ...mingw.LINK_STATIC,
    '-lksuser', '-lmfplat', '-lmfuuid', '-lwmcodecdspuuid', '-lwinmm', '-lole32', '-luuid']);
  nodeApi.checkAddons([linked]);
  const addon = path.join(WORK, 'audify.node');
  mingw.run(`${mingw.TRIPLE}-strip`, ['-o', addon, linked]);
  const foreign = mingw.importsOf(addon).filter((d) => !SYSTEM_DLLS.test(d));
  if (foreign.length) throw new Error(`audify.node imports ${foreign.join(', ')}: not a Windows system DLL (a MinGW runtime DLL? link it statically)`);
  const dir = mingw.ship(RELEASE, [{ from: addon, name: 'audify.node' }]);
  log(`earshot: win32-x64 audify (RtAudio WASAPI) in ${path.relative(mingw.REPO, dir)} (${Math.round(fs.statSync(addon).size / 1024)} KB, imports ${mingw.importsOf(addon).join(' ')}; ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  return { addon: path.join(dir, 'audify.node') };
}

module.exports = { build, RTAUDIO_PATCHES };
