/**
 * What the win32-x64 parts (scripts/win32/*.js, run by scripts/build-win32.js) cross-build with: MinGW-w64's GCC on
 * Linux, the toolchain the Wine suite (test/wine/) can run what it builds with, so what ships is what was tested.
 *
 * - The `-posix` compilers: GCC 12's win32 thread model has no std::thread/std::mutex; the posix one has them through
 *   winpthreads, linked statically like libgcc and libstdc++ (LINK_STATIC): the DLLs need nothing but Windows' own
 *   (KERNEL32, msvcrt, …), no MinGW runtime DLL to ship.
 * - Node-API addons reach Node-API through node-api.js's table and trampoline (not an import library): the functions
 *   are resolved from the process's own executable at first call, so the addon loads in a host not named node.exe
 *   (VS Code's Code.exe with ELECTRON_RUN_AS_NODE, Electron), with every argument register kept.
 * Not a part: it exports no build().
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
// A command's output, or an Error with its last lines (the whisper core's build runs its tools the same way).
const { run } = require('../whisper-core/build-core.js');

const REPO = path.join(__dirname, '..', '..');
/** Everything the win32 build writes (gitignored). */
const OUT = path.join(REPO, '.win32-x64');
/**
 * The files the win32-x64 VSIX takes from here instead of the checkout, in the extension's own layout
 * (node_modules/smart-whisper/build/Release/…), and the list of the folders they fill (overlay.json: each replaces the
 * same folder of the checkout whole): scripts/package-vsix.js --target win32-x64 reads both (OVERLAYS there).
 */
const PACKAGE_DIR = path.join(OUT, 'package');
const OVERLAY_MANIFEST = path.join(OUT, 'overlay.json');
const TRIPLE = 'x86_64-w64-mingw32';
const CC = `${TRIPLE}-gcc-posix`;
const CXX = `${TRIPLE}-g++-posix`;
/**
 * No MinGW runtime DLL (libgcc_s_seh-1, libstdc++-6, libwinpthread-1) in the imports: each DLL carries its own. And
 * none of those static libraries' symbols exported: ld exports every symbol of a DLL that marks none for export
 * (ggml's GGML_API has no dllexport under __MINGW32__, ggml.h), libgcc's _Unwind_Resume included, which the next DLL
 * linked against that one then gets twice ("multiple definition of `_Unwind_Resume'"). ld's own list of runtime
 * archives it never exports from (binutils ld/pe-dll.c autofilter_liblist) has libgcc but not libgcc_eh or
 * libwinpthread (Debian's libpthread.a is a copy of it); not `ALL`: CMake links a DLL's own objects as an archive too (objects.a), whose symbols must export.
 */
const LINK_STATIC = ['-static', '-static-libgcc', '-static-libstdc++', '-Wl,--exclude-libs,libgcc.a:libgcc_eh.a:libstdc++.a:libwinpthread.a:libpthread.a:libmingwex.a'];

/** Throws with what to install when the MinGW-w64 compilers are missing (scripts/wine-setup.sh installs them). */
function checkToolchain() {
  for (const tool of [CC, CXX, `${TRIPLE}-objdump`, 'cmake']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      throw new Error(`${tool} not found: apt-get install g++-mingw-w64-x86-64 cmake (scripts/wine-setup.sh does)`);
    }
  }
}

/** CMake options for a build with the toolchain: its file, and the static runtime for every DLL and module. */
function cmakeToolchainOptions(dir) {
  return [`-DCMAKE_TOOLCHAIN_FILE=${cmakeToolchain(dir)}`,
    ...['SHARED', 'MODULE'].map((kind) => `-DCMAKE_${kind}_LINKER_FLAGS=${LINK_STATIC.join(' ')}`)];
}

/**
 * A CMake toolchain file for MinGW-w64 (written into `dir`), and the rules override that names shared libraries and
 * modules as MSVC does (ggml.dll, not libggml.dll): ggml's backend loader looks for ggml-<name>[-variant].dll on
 * Windows (ggml/src/ggml-backend-reg.cpp backend_filename_prefix(): "ggml-" under _WIN32), whatever the compiler.
 * CMake's Windows-GNU platform file sets the "lib" prefix after the toolchain file is read: only a rules override,
 * read after it, can clear it.
 */
function cmakeToolchain(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const rules = path.join(dir, 'no-lib-prefix.cmake');
  fs.writeFileSync(rules, [
    'set(CMAKE_SHARED_LIBRARY_PREFIX "")', 'set(CMAKE_SHARED_MODULE_PREFIX "")', 'set(CMAKE_IMPORT_LIBRARY_PREFIX "")', '',
  ].join('\n'));
  const file = path.join(dir, 'mingw-w64.cmake');
  fs.writeFileSync(file, [
    'set(CMAKE_SYSTEM_NAME Windows)',
    'set(CMAKE_SYSTEM_PROCESSOR AMD64)',
    `set(CMAKE_C_COMPILER ${CC})`,
    `set(CMAKE_CXX_COMPILER ${CXX})`,
    `set(CMAKE_RC_COMPILER ${TRIPLE}-windres)`,
    `set(CMAKE_FIND_ROOT_PATH /usr/${TRIPLE})`,
    'set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)',
    'set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)',
    'set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)',
    `set(CMAKE_USER_MAKE_RULES_OVERRIDE ${rules})`,
    '',
  ].join('\n'));
  return file;
}

/**
 * Replaces the folder `rel` (the extension's layout, '/'-separated) of the package overlay with the files in `files`
 * ({ from, name }), and records it in overlay.json: the package takes that folder from here, none of the checkout's.
 */
function ship(rel, files) {
  const manifest = fs.existsSync(OVERLAY_MANIFEST) ? JSON.parse(fs.readFileSync(OVERLAY_MANIFEST, 'utf8')) : { folders: [] };
  if (!manifest.folders.includes(rel)) manifest.folders = [...manifest.folders, rel].sort();
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(OVERLAY_MANIFEST, JSON.stringify(manifest, null, 2) + '\n');
  const dir = path.join(PACKAGE_DIR, rel);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const { from, name } of files) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.copyFileSync(from, path.join(dir, name));
  }
  return dir;
}

/** The DLLs a PE file imports (objdump -p), lower-cased. */
function importsOf(file) {
  return [...run(`${TRIPLE}-objdump`, ['-p', file]).matchAll(/DLL Name: (\S+)/g)].map((m) => m[1].toLowerCase());
}

function defaultJobs() {
  return Math.max(1, Math.min(os.cpus().length, Number(process.env.EARSHOT_WIN32_JOBS) || 2));
}

module.exports = { REPO, OUT, PACKAGE_DIR, OVERLAY_MANIFEST, TRIPLE, CC, CXX, LINK_STATIC, run, checkToolchain, cmakeToolchain, cmakeToolchainOptions, ship, importsOf, defaultJobs };
