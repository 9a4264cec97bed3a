/**
 * The installed whisper addon must be the build this CPU should get: the new core (whisper.cpp from the nodejs-whisper
 * package, scripts/whisper-core/build-core.js) for this CPU's kind — on x86-64 with AVX2 that is x86-64-v3
 * (9–10x faster than a build without SIMD, DESIGN.md), from the sources with Earshot's whisper.patch applied — and the
 * binding patch applies exactly.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../setup';

interface BuildInfo {
  core: 'new' | 'bundled'; wanted: string; kind?: string; whisperCpp: string; source?: string; cmakeOptions?: string[];
  wantedFlags?: string | null; march?: string[]; optimized?: boolean; matches: boolean; ggmlCommand?: string | null;
}
/* eslint-disable @typescript-eslint/no-require-imports */
const { inspectBuild } = require(path.join(REPO_ROOT, 'scripts', 'build-whisper.js')) as { inspectBuild(): BuildInfo };
const { applyPatch, cmakeOptions, whisperSourceDir, whisperVersion } = require(path.join(REPO_ROOT, 'scripts', 'whisper-core', 'build-core.js')) as {
  applyPatch(patch: string, dir: string): void; cmakeOptions(kind: string): string[]; whisperSourceDir(): string; whisperVersion(dir: string): string;
};
/* eslint-enable @typescript-eslint/no-require-imports */

describe('whisper build', () => {
  it('the installed addon is the new core, built for this CPU', () => {
    const info = inspectBuild();
    assert.ok(info.matches, `installed build does not match: ${JSON.stringify(info)}`);
    assert.equal(info.core, 'new', 'the install fell back to the bundled whisper.cpp');
    assert.equal(info.whisperCpp, whisperVersion(whisperSourceDir()));
    assert.match(info.source ?? '', /\+ scripts\/whisper-core\/whisper\.patch$/, 'built from the patched sources');
    const avx2 = process.platform === 'linux' && process.arch === 'x64' && /\bavx2\b/.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (avx2) {
      assert.equal(info.kind, 'x86-64-v3');
      assert.ok(info.cmakeOptions?.includes('-DCMAKE_C_FLAGS=-march=x86-64-v3'), JSON.stringify(info.cmakeOptions));
      assert.ok(info.cmakeOptions?.includes('-DCMAKE_BUILD_TYPE=Release'));
    }
    // llamafile's matrix kernels: the encoder and the prompt's decode ~0.8x the time without (BENCHMARKS.md, issue 16).
    if (process.env.EARSHOT_WHISPER_LLAMAFILE !== '0') assert.ok(info.cmakeOptions?.includes('-DGGML_LLAMAFILE=ON'), JSON.stringify(info.cmakeOptions));
  });

  it('every kind builds with llamafile kernels; a native x86 build leaves AMX out', () => {
    const saved = process.env.EARSHOT_WHISPER_LLAMAFILE;
    try {
      delete process.env.EARSHOT_WHISPER_LLAMAFILE;
      for (const kind of ['x86-64-v3', 'native', 'portable', 'metal', 'vulkan']) assert.ok(cmakeOptions(kind).includes('-DGGML_LLAMAFILE=ON'), kind);
      process.env.EARSHOT_WHISPER_LLAMAFILE = '0';
      assert.ok(cmakeOptions('x86-64-v3').includes('-DGGML_LLAMAFILE=OFF'));
    } finally {
      if (saved === undefined) delete process.env.EARSHOT_WHISPER_LLAMAFILE;
      else process.env.EARSHOT_WHISPER_LLAMAFILE = saved;
    }
    const native = cmakeOptions('native');
    if (process.arch === 'x64' && process.platform !== 'win32') {
      for (const lang of ['C', 'CXX']) assert.ok(native.includes(`-DCMAKE_${lang}_FLAGS=-mno-amx-tile -mno-amx-int8 -mno-amx-bf16`), JSON.stringify(native));
    } else {
      assert.ok(!native.some((o) => o.includes('amx')), JSON.stringify(native));
    }
  });

  it("whisper.patch applies to the shipped whisper.cpp and leaves the package's own copy as npm installed it", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-whisper-patch-'));
    try {
      const patch = fs.readFileSync(path.join(REPO_ROOT, 'scripts', 'whisper-core', 'whisper.patch'), 'utf8');
      const targets = [...patch.matchAll(/^\+\+\+ b\/(\S+)/gm)].map((m) => m[1]);
      // whisper.cpp itself, and ggml's buffers, graph allocator, scheduler and CPU backend (pages handed back)
      assert.deepEqual(targets.sort(), [
        'ggml/include/ggml-alloc.h', 'ggml/include/ggml-backend.h', 'ggml/include/ggml-cpu.h', 'ggml/src/ggml-alloc.c', 'ggml/src/ggml-backend.cpp',
        'ggml/src/ggml-cpu/ggml-cpu.cpp', 'src/whisper.cpp',
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
