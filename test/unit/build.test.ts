/**
 * The installed whisper addon must be the build this machine should get: the new core (whisper.cpp from the nodejs-whisper
 * package, scripts/whisper-core/build-core.js) from the sources with Earshot's whisper.patch applied, with ggml's CPU
 * backend in every variant as modules chosen at run time (one package for every CPU of the platform: x86-64 without
 * AVX, with AVX and no AVX2, …), and the binding patch applies exactly.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../setup';

interface BuildInfo {
  core: 'new' | 'bundled'; wanted: string; kind?: string; whisperCpp: string; source?: string; cmakeOptions?: string[];
  cpuVariants?: string[]; gpuBackends: string[];
  wantedFlags?: string | null; march?: string[]; optimized?: boolean; matches: boolean; ggmlCommand?: string | null; addon: string;
}
interface SdkCheck { ok: boolean; dir?: string; version?: string; reason?: string }
/* eslint-disable @typescript-eslint/no-require-imports */
const { inspectBuild, noFallback, vulkanSdk, wantedGpuModules } = require(path.join(REPO_ROOT, 'scripts', 'build-whisper.js')) as {
  inspectBuild(): BuildInfo; noFallback(env: NodeJS.ProcessEnv): string | null; vulkanSdk(env: NodeJS.ProcessEnv, roots?: string[]): SdkCheck;
  wantedGpuModules(env: NodeJS.ProcessEnv, installed: { gpuBackends?: string[] } | null): { gpu: string[]; asked: boolean };
};
const { applyPatch, buildCore, cmakeOptions, gpuOptions, cpuVariantOf, installedCore, wantedCpuVariants, whisperSourceDir, whisperVersion } = require(path.join(REPO_ROOT, 'scripts', 'whisper-core', 'build-core.js')) as {
  applyPatch(patch: string, dir: string): void; installedCore(): { kind: string; gpuBackends?: string[] } | null;
  buildCore(kind: string, options: { gpu: string[]; install: boolean; log(m: string): void }): unknown; cmakeOptions(kind: string, target?: { platform: NodeJS.Platform; arch: string }): string[]; gpuOptions(gpu: string[]): string[];
  cpuVariantOf(file: string): string | null; whisperSourceDir(): string; whisperVersion(dir: string): string;
  wantedCpuVariants(name: string, env: NodeJS.ProcessEnv): string[] | null;
};
/* eslint-enable @typescript-eslint/no-require-imports */

describe('whisper build', () => {
  it('the installed addon is the new core with every CPU variant as a module beside it (those CI names, in CI)', () => {
    const info = inspectBuild();
    assert.ok(info.matches, `installed build does not match: ${JSON.stringify(info)}`);
    assert.equal(info.core, 'new', 'the install fell back to the bundled whisper.cpp');
    assert.equal(info.whisperCpp, whisperVersion(whisperSourceDir()));
    assert.match(info.source ?? '', /\+ scripts\/whisper-core\/whisper\.patch$/, 'built from the patched sources');
    assert.ok(info.cmakeOptions?.includes('-DCMAKE_BUILD_TYPE=Release'));
    assert.ok(info.cmakeOptions?.includes('-DGGML_BACKEND_DL=ON'), JSON.stringify(info.cmakeOptions));
    if (process.arch === 'x64' && process.env.EARSHOT_WHISPER_MARCH !== 'native') {
      assert.equal(info.kind, 'cpu');
      assert.ok(info.cmakeOptions?.includes('-DGGML_CPU_ALL_VARIANTS=ON'), JSON.stringify(info.cmakeOptions));
      // The floor every x86-64 CPU has (x64: SSE2), then SSE4.2 (Nehalem), AVX without AVX2 (Sandy Bridge), AVX2; in CI,
      // exactly the variants .ci/run names (EARSHOT_WHISPER_CPU_VARIANTS: those its tests load).
      const asked = wantedCpuVariants('EARSHOT_WHISPER_CPU_VARIANTS', process.env);
      if (asked) assert.deepEqual(info.cpuVariants, asked, 'the variants EARSHOT_WHISPER_CPU_VARIANTS names, no more');
      for (const v of asked ?? ['x64', 'sse42', 'sandybridge', 'ivybridge', 'haswell', 'skylakex', 'icelake', 'zen4']) {
        assert.ok(info.cpuVariants?.includes(v), `${v} missing from ${info.cpuVariants}`);
        assert.ok(fs.existsSync(path.join(path.dirname(info.addon), `libggml-cpu-${v}.so`)), `libggml-cpu-${v}.so beside the addon`);
      }
      assert.ok(!info.cpuVariants?.includes('sapphirerapids'), 'the AMX variant is left out');
    }
    // llamafile's matrix kernels: the encoder and the prompt's decode ~0.8x the time without (BENCHMARKS.md, issue 16).
    if (process.env.EARSHOT_WHISPER_LLAMAFILE !== '0') assert.ok(info.cmakeOptions?.includes('-DGGML_LLAMAFILE=ON'), JSON.stringify(info.cmakeOptions));
  });

  it('every kind builds with llamafile kernels; the install\'s kinds load their backends at run time; a native x86 build leaves AMX out', () => {
    const saved = process.env.EARSHOT_WHISPER_LLAMAFILE;
    try {
      delete process.env.EARSHOT_WHISPER_LLAMAFILE;
      for (const kind of ['cpu', 'metal', 'native', 'x86-64-v3', 'portable']) assert.ok(cmakeOptions(kind).includes('-DGGML_LLAMAFILE=ON'), kind);
      process.env.EARSHOT_WHISPER_LLAMAFILE = '0';
      assert.ok(cmakeOptions('cpu').includes('-DGGML_LLAMAFILE=OFF'));
    } finally {
      if (saved === undefined) delete process.env.EARSHOT_WHISPER_LLAMAFILE;
      else process.env.EARSHOT_WHISPER_LLAMAFILE = saved;
    }
    for (const kind of ['cpu', 'metal', 'native']) {
      const options = cmakeOptions(kind);
      assert.ok(options.includes('-DGGML_BACKEND_DL=ON') && options.includes('-DBUILD_SHARED_LIBS=ON'), kind);
      if (process.platform === 'linux') assert.ok(options.includes('-DCMAKE_INSTALL_RPATH=$ORIGIN'), `${kind}: the libraries find each other beside the addon`);
    }
    assert.ok(cmakeOptions('metal').includes('-DGGML_METAL=ON'));
    // The benchmarks' anchor stays the static build the install made before.
    assert.ok(cmakeOptions('x86-64-v3').includes('-DBUILD_SHARED_LIBS=OFF'));
    assert.throws(() => cmakeOptions('vulkan'), /unknown whisper core kind vulkan/);
    assert.deepEqual(gpuOptions(['vulkan']).slice(0, 2), ['-DGGML_VULKAN=ON', '-DGGML_CUDA=OFF']);
    assert.deepEqual(gpuOptions([]).slice(0, 2), ['-DGGML_VULKAN=OFF', '-DGGML_CUDA=OFF'], 'said OFF, so a reused CMake cache forgets a module');
    assert.throws(() => gpuOptions(['opencl']), /unknown GPU backend opencl/);
    const native = cmakeOptions('native');
    if (process.arch === 'x64' && process.platform !== 'win32') {
      for (const lang of ['C', 'CXX']) assert.ok(native.includes(`-DCMAKE_${lang}_FLAGS=-march=native -mno-amx-tile -mno-amx-int8 -mno-amx-bf16`), JSON.stringify(native));
    } else {
      assert.ok(!native.some((o) => o.includes('amx')), JSON.stringify(native));
    }
  });

  it('EARSHOT_WHISPER_MARCH=native configures on x86-64: ggml refuses GGML_NATIVE with backend modules, so -march=native goes to the compiler', () => {
    // ggml/src/ggml-cpu/CMakeLists.txt:371-375 (the tree nodejs-whisper ships): FATAL_ERROR for GGML_NATIVE with
    // GGML_BACKEND_DL on x86. Checked against the file itself, so a newer ggml that lifts it is noticed.
    const cpuCmake = fs.readFileSync(path.join(whisperSourceDir(), 'ggml', 'src', 'ggml-cpu', 'CMakeLists.txt'), 'utf8');
    assert.match(cpuCmake, /if \(GGML_BACKEND_DL\)\s*\n\s*if \(GGML_NATIVE\)[\s\S]{0,200}message\(FATAL_ERROR "GGML_NATIVE is not compatible with GGML_BACKEND_DL/);
    for (const platform of ['linux', 'darwin'] as const) {
      const options = cmakeOptions('native', { platform, arch: 'x64' });
      assert.ok(options.includes('-DGGML_BACKEND_DL=ON') && options.includes('-DGGML_NATIVE=OFF'), `${platform}: ${JSON.stringify(options)}`);
      assert.ok(!options.includes('-DGGML_NATIVE=ON'), platform);
      assert.ok(!options.includes('-DGGML_CPU_ALL_VARIANTS=ON'), `${platform}: one CPU module`);
      for (const lang of ['C', 'CXX']) assert.ok(options.includes(`-DCMAKE_${lang}_FLAGS=-march=native -mno-amx-tile -mno-amx-int8 -mno-amx-bf16`), platform);
      // ggml's own x86 feature options default to ON (ggml/CMakeLists.txt INS_ENB): off, so the module needs no more
      // than this CPU has (an AVX2 module on a CPU without it would die), and its score has nothing to reject.
      for (const f of ['SSE42', 'AVX', 'AVX2', 'BMI2', 'FMA', 'F16C']) assert.ok(options.includes(`-DGGML_${f}=OFF`), `${platform}: GGML_${f}`);
    }
    // MSVC has no -march=native: the variants, scored against this CPU. Arm's native works with modules (:113-167).
    const msvc = cmakeOptions('native', { platform: 'win32', arch: 'x64' });
    assert.ok(msvc.includes('-DGGML_CPU_ALL_VARIANTS=ON') && msvc.includes('-DGGML_NATIVE=OFF') && !msvc.some((o) => o.includes('-march')), JSON.stringify(msvc));
    assert.ok(cmakeOptions('native', { platform: 'linux', arch: 'arm64' }).includes('-DGGML_NATIVE=ON'));
  });

  it('a native core that does not build fails the install, never silently the bundled core', () => {
    assert.match(noFallback({ EARSHOT_WHISPER_MARCH: 'native' }) ?? '', /^EARSHOT_WHISPER_MARCH=native was asked for \(unset it .*EARSHOT_WHISPER_CORE=bundled\)$/);
    assert.equal(noFallback({ EARSHOT_WHISPER_NO_FALLBACK: '1' }), 'EARSHOT_WHISPER_NO_FALLBACK=1');
    // The default core may fall back: npm ci must not fail for it (the bundled sources still work).
    assert.equal(noFallback({}), null);
    assert.equal(noFallback({ EARSHOT_WHISPER_MARCH: 'native', EARSHOT_WHISPER_CORE: 'bundled' }), null);
  });

  it('MSVC builds link the C runtime statically (/MT): no VC++ redistributable needed for whisper\'s DLLs', () => {
    // CMake's default is /MD (MultiThreadedDLL: VCRUNTIME140.dll, MSVCP140.dll). CMAKE_MSVC_RUNTIME_LIBRARY counts only
    // with policy CMP0091 NEW at the first project(), and whisper.cpp's top-level CMakeLists.txt asks for CMake 3.5,
    // which leaves the policy unset (CMake's CMP0091 page): its default must say NEW.
    const top = fs.readFileSync(path.join(whisperSourceDir(), 'CMakeLists.txt'), 'utf8');
    const minimum = /cmake_minimum_required\(VERSION ([\d.]+)/.exec(top)?.[1] ?? '';
    const [major, minor] = minimum.split('.').map(Number);
    assert.ok(major === 3 && minor < 15, `whisper.cpp asks for CMake ${minimum}: CMP0091 must be set by default`);
    for (const arch of ['x64', 'arm64']) {
      for (const kind of ['cpu', 'native', 'x86-64-v3', 'portable', 'native-static']) {
        const options = cmakeOptions(kind, { platform: 'win32', arch });
        assert.ok(options.includes('-DCMAKE_MSVC_RUNTIME_LIBRARY=MultiThreaded'), `${kind} ${arch}: ${JSON.stringify(options)}`);
        assert.ok(options.includes('-DCMAKE_POLICY_DEFAULT_CMP0091=NEW'), `${kind} ${arch}`);
      }
    }
    for (const platform of ['linux', 'darwin'] as const) assert.ok(!cmakeOptions('cpu', { platform, arch: 'x64' }).some((o) => /MSVC|CMP0091/.test(o)), platform);
  });

  it('names the CPU variant of a module file on every platform', () => {
    assert.equal(cpuVariantOf('/x/libggml-cpu-haswell.so'), 'haswell');
    assert.equal(cpuVariantOf('C:\\x\\ggml-cpu-sandybridge.dll'), 'sandybridge');
    assert.equal(cpuVariantOf('/x/libggml-cpu-armv8.2_1.so'), 'armv8.2_1');
    assert.equal(cpuVariantOf('libggml-cpu.so'), 'cpu');
    assert.equal(cpuVariantOf('libggml-vulkan.so'), null);
  });

  it('finds a Vulkan SDK new enough for ggml, and says why not', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-vk-'));
    const header = (minor: number, patch: number) => {
      fs.mkdirSync(path.join(dir, 'include', 'vulkan'), { recursive: true });
      fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
      // The two lines vulkan_core.h defines its version with (Vulkan-Headers, include/vulkan/vulkan_core.h).
      fs.writeFileSync(path.join(dir, 'include', 'vulkan', 'vulkan_core.h'),
        `// Version of this file\n#define VK_HEADER_VERSION ${patch}\n\n// Complete version of this file\n#define VK_HEADER_VERSION_COMPLETE VK_MAKE_API_VERSION(0, 1, ${minor}, VK_HEADER_VERSION)\n`);
    };
    try {
      header(3, 239); // Debian 12's libvulkan-dev
      const env = { VULKAN_SDK: dir, PATH: path.join(dir, 'bin') };
      const old = vulkanSdk(env, [dir]);
      assert.equal(old.ok, false);
      assert.match(old.reason ?? '', /1\.3\.239 .*older than 1\.3\.261/);
      header(4, 309); // Debian 13's
      assert.match(vulkanSdk(env, [dir]).reason ?? '', /no glslc/);
      fs.writeFileSync(path.join(dir, 'bin', process.platform === 'win32' ? 'glslc.exe' : 'glslc'), '');
      assert.deepEqual(vulkanSdk(env, [dir]), { ok: true, dir, version: '1.4.309' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--stage builds without installing: the installed addon and its record are left as they are', function () {
    // npm test builds the Vulkan module so while the installed addon is in use (scripts/test-all.sh). The modules the
    // stage already has (those installed, or fewer) make this a check of the stamps, not a build.
    const installed = installedCore();
    if (!installed) this.skip();
    const record = path.join(path.dirname(inspectBuild().addon), 'earshot-core.json');
    const before = fs.readFileSync(record, 'utf8');
    const addonBefore = fs.statSync(inspectBuild().addon).mtimeMs;
    assert.equal(buildCore(installed!.kind, { gpu: [], install: false, log: () => undefined }), null);
    assert.equal(fs.readFileSync(record, 'utf8'), before, 'earshot-core.json rewritten by a staged build');
    assert.equal(fs.statSync(inspectBuild().addon).mtimeMs, addonBefore, 'the installed addon replaced by a staged build');
  });

  it('builds the GPU modules asked for, or those already installed, or Vulkan where its SDK is here', () => {
    const noSdk = { VULKAN_SDK: path.join(os.tmpdir(), 'earshot-no-sdk'), PATH: '' };
    assert.deepEqual(wantedGpuModules({ ...noSdk, EARSHOT_WHISPER_GPU: 'vulkan,cuda' }, null), { gpu: ['vulkan', 'cuda'], asked: true });
    assert.deepEqual(wantedGpuModules({ ...noSdk, EARSHOT_WHISPER_GPU: 'none' }, { gpuBackends: ['vulkan'] }), { gpu: [], asked: true });
    assert.deepEqual(wantedGpuModules({ ...noSdk, EARSHOT_WHISPER_BACKEND: 'cuda' }, null), { gpu: ['cuda'], asked: true });
    // Kept across a rebuild, Metal aside (it comes with the metal kind).
    const kept = wantedGpuModules(noSdk, { gpuBackends: ['vulkan', 'metal'] });
    assert.ok(kept.gpu.includes('vulkan') && !kept.gpu.includes('metal') && !kept.asked, JSON.stringify(kept));
  });

  it("whisper.patch applies to the shipped whisper.cpp and leaves the package's own copy as npm installed it", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-whisper-patch-'));
    try {
      const patch = fs.readFileSync(path.join(REPO_ROOT, 'scripts', 'whisper-core', 'whisper.patch'), 'utf8');
      const targets = [...patch.matchAll(/^\+\+\+ b\/(\S+)/gm)].map((m) => m[1]);
      // whisper.cpp itself, and ggml's buffers, graph allocator, scheduler and CPU backend (pages handed back)
      assert.deepEqual(targets.sort(), [
        'ggml/include/ggml-alloc.h', 'ggml/include/ggml-backend.h', 'ggml/include/ggml-cpu.h', 'ggml/src/CMakeLists.txt', 'ggml/src/ggml-alloc.c',
        'ggml/src/ggml-backend.cpp', 'ggml/src/ggml-cpu/ggml-cpu.cpp', 'src/whisper.cpp',
      ]);
      for (const target of targets) {
        fs.mkdirSync(path.dirname(path.join(dir, target)), { recursive: true });
        fs.copyFileSync(path.join(whisperSourceDir(), target), path.join(dir, target));
      }
      applyPatch(patch, dir);
      const pristine = path.join(whisperSourceDir(), 'src', 'whisper.cpp');
      const patched = fs.readFileSync(path.join(dir, 'src', 'whisper.cpp'), 'utf8');
      assert.match(patched, /if \(wstate\.logits_last_only && n_tokens > 1\) \{\n\s+cur = ggml_view_2d/);
      assert.match(patched, /ggml_flash_attn_ext\(ctx0, Q, K, V, pad_mask, KQscale/);
      assert.match(patched, /ggml_flash_attn_ext\(ctx0, Q, Kcross, Vcross, pad_mask_cross, KQscale/);
      assert.match(patched, /ggml_backend_sched_release_pages_except\(allocr\.sched, output\)/);
      assert.match(patched, /whisper_buffer_release_pages\(state->kv_cross\.buffer\)/);
      assert.match(patched, /ggml_backend_reg_get_proc_address\(reg, "ggml_backend_release_work_pages"\)/);
      assert.match(fs.readFileSync(path.join(dir, 'ggml', 'src', 'ggml-backend.cpp'), 'utf8'), /madvise\(\(void \*\) start, end - start, MADV_DONTNEED\)/);
      assert.doesNotMatch(fs.readFileSync(pristine, 'utf8'), /logits_last_only|release_pages|pad_mask/);
      // ggml's CPU variants without the AMX one (its kernels died of an illegal instruction on a VM here).
      const variants = fs.readFileSync(path.join(dir, 'ggml', 'src', 'CMakeLists.txt'), 'utf8');
      assert.match(variants, /ggml_add_cpu_backend_variant\(alderlake/);
      assert.doesNotMatch(variants, /ggml_add_cpu_backend_variant\(sapphirerapids/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('applies a unified diff exactly, and refuses one whose context does not match', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-patch-'));
    try {
      fs.writeFileSync(path.join(dir, 'x.cc'), 'one\ntwo\n\nthree\nfour\n');
      const patch = ['diff -ruN a/x.cc b/x.cc', '--- a/x.cc', '+++ b/x.cc', '@@ -2,3 +2,3 @@', ' two', '', '-three', '+THREE', ''].join('\n');
      applyPatch(patch, dir);
      assert.equal(fs.readFileSync(path.join(dir, 'x.cc'), 'utf8'), 'one\ntwo\n\nTHREE\nfour\n');
      assert.throws(() => applyPatch(patch, dir), /does not apply to x\.cc at line 4/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
