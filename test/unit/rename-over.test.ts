import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { renameOver } from '../../protocol/renameOver';

/** A rename that fails with `code` the first `failures` times, then renames. */
function heldFor(failures: number, code: string) {
  const calls: number[] = [];
  const rename = async (from: string, to: string) => {
    calls.push(Date.now());
    if (calls.length <= failures) throw Object.assign(new Error(`${code}: operation not permitted, rename '${from}' -> '${to}'`), { code });
    await fs.promises.rename(from, to);
  };
  return { rename, calls };
}

describe('renameOver: replacing a file another program holds for a moment (Windows)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-rename-'));
    fs.writeFileSync(path.join(dir, 'notes.md'), 'old');
    fs.writeFileSync(path.join(dir, 'notes.md.tmp'), 'new');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const from = () => path.join(dir, 'notes.md.tmp');
  const to = () => path.join(dir, 'notes.md');

  for (const code of ['EPERM', 'EACCES', 'EBUSY']) {
    it(`on Windows waits out ${code} and replaces the file`, async () => {
      const held = heldFor(3, code);
      await renameOver(from(), to(), { platform: 'win32', rename: held.rename });
      assert.equal(held.calls.length, 4);
      assert.equal(fs.readFileSync(to(), 'utf8'), 'new');
    });
  }

  it('gives up after its wait with the last error, the old file untouched', async () => {
    const held = heldFor(Infinity, 'EBUSY');
    await assert.rejects(renameOver(from(), to(), { platform: 'win32', rename: held.rename, waitMs: 200 }), { code: 'EBUSY' });
    assert.ok(held.calls.length >= 2 && held.calls.at(-1)! - held.calls[0] >= 150, `${held.calls.length} tries`);
    assert.equal(fs.readFileSync(to(), 'utf8'), 'old');
  });

  it('fails at once elsewhere, and on Windows for any other error (a full disk, a missing folder)', async () => {
    const linux = heldFor(1, 'EBUSY');
    await assert.rejects(renameOver(from(), to(), { platform: 'linux', rename: linux.rename }), { code: 'EBUSY' });
    assert.equal(linux.calls.length, 1);
    const full = heldFor(1, 'ENOSPC');
    await assert.rejects(renameOver(from(), to(), { platform: 'win32', rename: full.rename }), { code: 'ENOSPC' });
    assert.equal(full.calls.length, 1);
  });

  it('renames with the real fs by default', async () => {
    await renameOver(from(), to());
    assert.equal(fs.readFileSync(to(), 'utf8'), 'new');
  });
});
