#!/usr/bin/env node
/**
 * Builds the win32-x64 package's native parts on Linux into .win32-x64/ (issue 38), for
 * `node scripts/package-vsix.js --target win32-x64`, which takes them from .win32-x64/package/ instead of the
 * checkout's Linux binaries, and for the Wine suite (`npm run test:wine`), which runs that package under Wine: the
 * Windows binaries are built the way they can be tested here (MinGW-w64), so what ships is what was tested.
 *
 * Parts: every scripts/win32/*.js that exports build() runs, in name order (one that is not there is not built):
 *   audify.js          audify / RtAudio with WASAPI (in-process capture)
 *   node-llama-cpp.js  node-llama-cpp's win-x64 binaries at the lockfile's version, from the npm registry
 *   whisper.js         whisper.cpp + the smart-whisper binding, cross-built with MinGW-w64
 * A part's build({ jobs, log }) puts what it ships under .win32-x64/package/ in the extension's own layout
 * (scripts/win32/mingw.js ship(): a folder there replaces the same folder of the checkout in the package) and keeps
 * its scratch files in .win32-x64/<part>/; mingw.js holds the toolchain they share (it has no build()).
 *
 * Usage: node scripts/build-win32.js [part …]   (default: every part; EARSHOT_WIN32_JOBS: compiler jobs, default 2)
 * Needs: g++-mingw-w64-x86-64 and cmake (scripts/wine-setup.sh installs them), the npm registry for node-llama-cpp.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const mingw = require('./win32/mingw.js');

const PARTS_DIR = path.join(__dirname, 'win32');

/** The parts: { name, build } of every scripts/win32/*.js with a build(). */
function parts() {
  return fs.readdirSync(PARTS_DIR).filter((f) => f.endsWith('.js')).sort()
    .map((f) => ({ name: f.replace(/\.js$/, ''), module: require(path.join(PARTS_DIR, f)) }))
    .filter((p) => typeof p.module.build === 'function')
    .map((p) => ({ name: p.name, build: p.module.build }));
}

async function main(argv) {
  const all = parts();
  const wanted = argv.filter((a) => !a.startsWith('-'));
  for (const w of wanted) if (!all.some((p) => p.name === w)) throw new Error(`no part ${w} (parts: ${all.map((p) => p.name).join(', ')})`);
  const jobs = mingw.defaultJobs();
  const log = (m) => console.error(m);
  const times = [];
  for (const part of all.filter((p) => wanted.length === 0 || wanted.includes(p.name))) {
    const started = Date.now();
    await part.build({ jobs, log });
    times.push(`${part.name} ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  log(`earshot: win32-x64 parts built into ${path.relative(process.cwd(), mingw.PACKAGE_DIR) || '.'} (${times.join(', ')})`);
  return 0;
}

module.exports = { parts };

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
    console.error(`earshot: ${e.message}`);
    process.exitCode = 1;
  });
}
