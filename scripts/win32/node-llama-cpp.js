/**
 * node-llama-cpp's win32-x64 binaries for the win32 package (a part of scripts/build-win32.js). They are optional
 * dependencies restricted to Windows (`os: ["win32"]` in package-lock.json), so `npm ci` on Linux never installs
 * them: the versions package-lock.json pins are fetched from the npm registry with `npm pack`, checked against the
 * lockfile's integrity (what ships is what the lockfile names), and unpacked into the package overlay, where the
 * Windows package has them (node_modules/@node-llama-cpp/<variant>). Which variants: scripts/package-vsix.js
 * RUNTIME_VARIANTS (the CPU build and Vulkan on x64 Windows). These are node-llama-cpp's own MSVC builds: nothing here
 * is compiled.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const mingw = require('./mingw.js');
const { RUNTIME_VARIANTS } = require('../vsix-targets.js');
const { fetchTarball } = require('../npm-tarball.js');

const CACHE = path.join(mingw.OUT, 'npm');

function lockedPackage(name) {
  const meta = JSON.parse(fs.readFileSync(path.join(mingw.REPO, 'package-lock.json'), 'utf8')).packages?.[`node_modules/${name}`];
  if (!meta?.version || !meta.integrity) throw new Error(`package-lock.json pins no ${name}`);
  return meta;
}

async function build({ log = (m) => console.error(m) } = {}) {
  const variants = RUNTIME_VARIANTS[0].keep['win32-x64'];
  const shipped = [];
  for (const variant of variants) {
    const name = `@node-llama-cpp/${variant}`;
    const { version, integrity } = lockedPackage(name);
    const tarball = fetchTarball(name, version, integrity, CACHE);
    const rel = `node_modules/${name}`;
    const dir = mingw.ship(rel, []);
    // npm's tarballs hold the package under package/.
    mingw.run('tar', ['xzf', tarball, '-C', dir, '--strip-components=1']);
    shipped.push(`${name}@${version}`);
  }
  log(`earshot: win32-x64 node-llama-cpp runtime: ${shipped.join(', ')} (from the npm registry, lockfile integrity checked)`);
  return { shipped };
}

module.exports = { build };
