/**
 * scripts/vulkan-sdk.sh takes only its pinned .debs (issue 54 S8): when the mirror no longer has one it fails and says
 * to update the pin, instead of reading another file's checksum from Debian's unsigned Packages.xz over HTTP. Its
 * fetch_pinned_deb runs here (the script sourced) against a file:// mirror in a temporary folder: curl -f fails on a
 * missing file:// path as on an HTTP 404.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../setup';

const SCRIPT = path.join(REPO_ROOT, 'scripts', 'vulkan-sdk.sh');

describe('scripts/vulkan-sdk.sh: only the pinned .debs', () => {
  let mirror: string;
  beforeEach(() => { mirror = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-mirror-')); });
  afterEach(() => fs.rmSync(mirror, { recursive: true, force: true }));

  const body = 'a .deb as pinned';
  const sha = crypto.createHash('sha256').update(body).digest('hex');
  const entry = `libvulkan-dev 1.4.309.0-1 amd64 ${sha} v/vulkan-loader`;
  const pooled = () => path.join(mirror, 'pool', 'main', 'v', 'vulkan-loader', 'libvulkan-dev_1.4.309.0-1_amd64.deb');
  const fetch = (out: string) => spawnSync('bash', ['-c', 'source "$1"; fetch_pinned_deb "$2" "$3"', 'test', SCRIPT, entry, out],
    { encoding: 'utf8', env: { ...process.env, EARSHOT_DEBIAN_MIRROR: `file://${mirror}` }, timeout: 60_000 });

  it('fails when the pinned file is gone, saying to update the pin, even with an index that lists a newer one', () => {
    // What the old fallback read: a newer version and its checksum in dists/…/Packages.xz.
    fs.mkdirSync(path.join(mirror, 'dists', 'trixie', 'main', 'binary-amd64'), { recursive: true });
    fs.writeFileSync(path.join(mirror, 'dists', 'trixie', 'main', 'binary-amd64', 'Packages.xz'), 'an index anyone on the path could write');
    const out = path.join(mirror, 'out.deb');
    const run = fetch(out);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /vulkan-sdk: file:\/\/.*\/pool\/main\/v\/vulkan-loader\/libvulkan-dev_1\.4\.309\.0-1_amd64\.deb is gone .*: update DEBS in scripts\/vulkan-sdk\.sh/);
    assert.ok(!fs.existsSync(out), 'nothing left to unpack');
    assert.doesNotMatch(fs.readFileSync(SCRIPT, 'utf8'), /Packages\.xz|dists\//, 'the script no longer reads the index');
  });

  it('fails a file that does not match its pinned sha256, and takes one that does', () => {
    fs.mkdirSync(path.dirname(pooled()), { recursive: true });
    fs.writeFileSync(pooled(), 'another .deb');
    const out = path.join(mirror, 'out.deb');
    const bad = fetch(out);
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stderr, /does not match its pinned sha256/);
    fs.writeFileSync(pooled(), body);
    const good = fetch(out);
    assert.equal(good.status, 0, good.stderr);
    assert.equal(fs.readFileSync(out, 'utf8'), body);
  });
});
