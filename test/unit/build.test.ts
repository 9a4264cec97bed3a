/**
 * The installed whisper addon must be the build this CPU should get: on x86-64 with AVX2 that is
 * -march=x86-64-v3 (9–10x faster than smart-whisper's default build, DESIGN.md).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../setup';

interface BuildInfo { wanted: string; wantedFlags: string | null; march: string[]; optimized: boolean; matches: boolean; ggmlCommand: string | null }
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { inspectBuild } = require(path.join(REPO_ROOT, 'scripts', 'build-whisper.js')) as { inspectBuild(): BuildInfo };

describe('whisper build flags', () => {
  it('the installed addon was compiled with the flags this CPU should get', () => {
    const info = inspectBuild();
    assert.ok(info.matches, `installed build does not match: ${JSON.stringify(info)}`);
    const avx2 = process.platform === 'linux' && process.arch === 'x64' && /\bavx2\b/.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (avx2) {
      assert.equal(info.wanted, 'x86-64-v3');
      assert.deepEqual(info.march, ['x86-64-v3']);
      assert.ok(info.optimized, 'ggml.c compiled with -O3');
      assert.match(info.ggmlCommand ?? '', /-DNDEBUG/);
    }
  });
});
