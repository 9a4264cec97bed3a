/**
 * Which CPU variants the whisper builds compile (scripts/whisper-core/build-core.js wantedCpuVariants): every one unless
 * EARSHOT_WIN32_CPU_VARIANTS names some for the win32 cross-build (`npm test` names the baseline and this machine's:
 * scripts/test-all.sh), or EARSHOT_WHISPER_CPU_VARIANTS for this machine's own (.ci/run); a name that cannot be a
 * variant is refused before anything is compiled. That a build of two variants loads under Wine is
 * test/wine/package.test.ts's; that the narrowed install loads and transcribes, the whole of CI's run.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { REPO_ROOT } from '../setup';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { wantedCpuVariants } = require(path.join(REPO_ROOT, 'scripts', 'win32', 'whisper.js')) as {
  wantedCpuVariants(env: Record<string, string | undefined>): string[] | null;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const core = require(path.join(REPO_ROOT, 'scripts', 'whisper-core', 'build-core.js')) as {
  wantedCpuVariants(name: string, env: Record<string, string | undefined>): string[] | null;
};

describe('win32 whisper build: the CPU variants it compiles (EARSHOT_WIN32_CPU_VARIANTS)', () => {
  it('every variant when unset, empty or "all" (what the release builds)', () => {
    assert.equal(wantedCpuVariants({}), null);
    assert.equal(wantedCpuVariants({ EARSHOT_WIN32_CPU_VARIANTS: '' }), null);
    assert.equal(wantedCpuVariants({ EARSHOT_WIN32_CPU_VARIANTS: ' all ' }), null);
  });

  it('the named ones, each once, sorted (the build key does not depend on their order)', () => {
    assert.deepEqual(wantedCpuVariants({ EARSHOT_WIN32_CPU_VARIANTS: 'x64,haswell' }), ['haswell', 'x64']);
    assert.deepEqual(wantedCpuVariants({ EARSHOT_WIN32_CPU_VARIANTS: ' zen4 , x64,zen4,' }), ['x64', 'zen4']);
  });

  it('refuses what cannot be a variant, naming the variable', () => {
    for (const bad of ['x64;haswell', 'X64', '../x64', ',', 'haswell avx2']) {
      assert.throws(() => wantedCpuVariants({ EARSHOT_WIN32_CPU_VARIANTS: bad }), /EARSHOT_WIN32_CPU_VARIANTS=.*CPU variant names/, bad);
    }
  });

  it('this machine\'s build reads its own variable the same way, and not the win32 one', () => {
    assert.deepEqual(core.wantedCpuVariants('EARSHOT_WHISPER_CPU_VARIANTS', { EARSHOT_WHISPER_CPU_VARIANTS: 'x64,sse42,sandybridge,haswell' }),
      ['haswell', 'sandybridge', 'sse42', 'x64']);
    assert.equal(core.wantedCpuVariants('EARSHOT_WHISPER_CPU_VARIANTS', { EARSHOT_WIN32_CPU_VARIANTS: 'x64' }), null);
    assert.throws(() => core.wantedCpuVariants('EARSHOT_WHISPER_CPU_VARIANTS', { EARSHOT_WHISPER_CPU_VARIANTS: 'x64;zen4' }), /EARSHOT_WHISPER_CPU_VARIANTS=/);
  });
});
