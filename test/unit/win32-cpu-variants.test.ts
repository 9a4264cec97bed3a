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
  wantedCpuVariants(name: string, env: Record<string, string | undefined>, host?: () => string): string[] | null;
  askedCpuVariants(name: string, env: Record<string, string | undefined>): string[] | null;
  hostCpuVariant(srcDir: string, flags: string[]): string;
  patchedSources(): { srcDir: string };
};

/**
 * CPU flags as Linux's /proc/cpuinfo lists them (arch/x86/include/asm/cpufeatures.h names), cumulative by generation:
 * only those ggml's x86 score asks about (ggml-cpu/arch/x86/cpu-feats.cpp).
 */
const NEHALEM = ['sse4_2'];
const SANDY_BRIDGE = [...NEHALEM, 'avx'];
const HASWELL = [...SANDY_BRIDGE, 'f16c', 'fma', 'avx2', 'bmi2'];
const ALDER_LAKE = [...HASWELL, 'avx_vnni'];
const AVX512 = ['avx512f', 'avx512cd', 'avx512vl', 'avx512dq', 'avx512bw'];
const SKYLAKE_X = [...HASWELL, ...AVX512];
const ICE_LAKE = [...SKYLAKE_X, 'avx512vbmi', 'avx512_vnni'];
const ZEN4 = [...ICE_LAKE, 'avx512_bf16'];
const SAPPHIRE_RAPIDS = [...ZEN4, 'avx_vnni', 'amx_int8'];

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

describe('the CPU variant "host": the one ggml loads on this CPU, so that a narrowed build still runs its best code', () => {
  it('is replaced by the variant the host function names, each variant once, sorted', () => {
    const env = { EARSHOT_WHISPER_CPU_VARIANTS: 'x64,sse42,sandybridge,haswell,host' };
    assert.deepEqual(core.wantedCpuVariants('EARSHOT_WHISPER_CPU_VARIANTS', env, () => 'zen4'), ['haswell', 'sandybridge', 'sse42', 'x64', 'zen4']);
    assert.deepEqual(core.wantedCpuVariants('EARSHOT_WHISPER_CPU_VARIANTS', env, () => 'haswell'), ['haswell', 'sandybridge', 'sse42', 'x64']);
    assert.equal(core.wantedCpuVariants('EARSHOT_WHISPER_CPU_VARIANTS', {}, () => assert.fail('not asked')), null);
  });

  it('is recorded and compared as named, unresolved: build-info checks a packaged core, which has no sources to read', () => {
    assert.deepEqual(core.askedCpuVariants('EARSHOT_WHISPER_CPU_VARIANTS', { EARSHOT_WHISPER_CPU_VARIANTS: 'x64,host,haswell,host' }), ['haswell', 'host', 'x64']);
    assert.equal(core.askedCpuVariants('EARSHOT_WHISPER_CPU_VARIANTS', { EARSHOT_WHISPER_CPU_VARIANTS: 'all' }), null);
    assert.throws(() => core.askedCpuVariants('EARSHOT_WHISPER_CPU_VARIANTS', { EARSHOT_WHISPER_CPU_VARIANTS: 'Host' }), /EARSHOT_WHISPER_CPU_VARIANTS=/);
  });

  it('is read from the patched ggml sources as ggml scores a CPU: the variant with every feature it has and the most weight', () => {
    const { srcDir } = core.patchedSources();
    const cases: [string[], string][] = [
      [[], 'x64'], [NEHALEM, 'sse42'], [SANDY_BRIDGE, 'sandybridge'], [HASWELL, 'haswell'], [ALDER_LAKE, 'alderlake'],
      [SKYLAKE_X, 'skylakex'], [ICE_LAKE, 'icelake'], [ZEN4, 'zen4'],
      // AVX-512 without BW (Knights Landing): ggml's AVX512 needs F, CD, VL, DQ and BW, so no AVX-512 variant scores.
      [[...HASWELL, 'avx512f', 'avx512cd'], 'haswell'],
      // whisper.patch leaves ggml's sapphirerapids (AMX) variant out: such a CPU takes the best AVX-512 one.
      [SAPPHIRE_RAPIDS, 'zen4'],
    ];
    for (const [flags, variant] of cases) assert.equal(core.hostCpuVariant(srcDir, flags), variant, flags.join(' '));
  });
});
