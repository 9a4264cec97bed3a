#!/usr/bin/env node
/**
 * A package tarball from the npm registry (`npm pack`), kept only when it matches an integrity pinned in this
 * repository (package-lock.json's, or a script's own pin), never the registry's word for it: a registry, mirror or
 * account that serves another file also serves metadata that matches it. Used for node-llama-cpp's win32 binaries
 * (scripts/win32/node-llama-cpp.js) and for the Windows node.exe the Wine suite runs (scripts/wine-setup.sh), which
 * runs with the VSIX that is uploaded within its reach (drive Z: is /).
 *
 * CLI: node scripts/npm-tarball.js <name@version> <sha512-…> <dir>   prints the checked tarball's path (exit 1: no match)
 */
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

/** The npm integrity string (sha512-<base64>) of a file. */
function integrityOf(file) {
  return `sha512-${crypto.createHash('sha512').update(fs.readFileSync(file)).digest('base64')}`;
}

/** `npm pack --silent spec` in `dir`: the tarball's file name. */
function npmPack(spec, dir) {
  const run = spawnSync('npm', ['pack', '--silent', spec], { cwd: dir, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' } });
  if (run.status !== 0) throw new Error(`npm pack ${spec} failed (exit ${run.status ?? run.signal}): ${run.stderr.trim()}`);
  return run.stdout.trim().split('\n').pop();
}

/**
 * `name@version`'s tarball in `dir` (kept there as <name>-<version>.tgz), fetched when missing or not matching
 * `integrity`; throws, leaving no tarball, when what the registry gives does not match.
 */
function fetchTarball(name, version, integrity, dir, pack = npmPack) {
  if (!/^sha512-[A-Za-z0-9+/]{86}==$/.test(integrity)) throw new Error(`${name}@${version}: not a sha512 integrity: ${integrity}`);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`);
  const matches = () => fs.existsSync(file) && integrityOf(file) === integrity;
  if (!matches()) {
    const packed = path.join(dir, pack(`${name}@${version}`, dir));
    if (packed !== file) fs.renameSync(packed, file);
    if (!matches()) {
      const got = integrityOf(file);
      fs.rmSync(file, { force: true });
      throw new Error(`${name}@${version} from the registry is ${got}, not the pinned ${integrity}: not used`);
    }
  }
  return file;
}

module.exports = { integrityOf, fetchTarball };

if (require.main === module) {
  try {
    const [spec, integrity, dir] = process.argv.slice(2);
    const at = spec?.lastIndexOf('@') ?? -1;
    if (!spec || at <= 0 || !integrity || !dir) throw new Error('usage: node scripts/npm-tarball.js <name@version> <sha512-…> <dir>');
    console.log(fetchTarball(spec.slice(0, at), spec.slice(at + 1), integrity, path.resolve(dir)));
  } catch (e) {
    console.error(`npm-tarball: ${e.message}`);
    process.exitCode = 1;
  }
}
