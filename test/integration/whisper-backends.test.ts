/**
 * The installed addon's ggml backends are modules it loads at run time (scripts/whisper-core/build-core.js, the
 * binding's backends.cc): the best CPU variant for this machine, from the addon's own folder and nowhere else. ggml's
 * own default would also search the process's current folder (ggml-backend-reg.cpp, ggml_backend_load_best: the
 * executable's folder and fs::current_path()), which for Earshot is a workspace: a library someone put there would
 * run inside the daemon. A module planted in the current folder must not even be opened (dlopen runs its
 * constructor, which here leaves a file behind).
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findExecutable } from '../../daemon/capture/tools';
import { DAEMON_BIN, randomMiniModel, REPO_ROOT } from '../setup';

/** A model load with earshot.gpu 'auto' in a child: where the model runs, and whether a GPU module is in the process. */
function autoLoad(env: NodeJS.ProcessEnv): { gpuDevice: string | null; gpuModuleMapped: boolean; probe: unknown } {
  const script = `
    const { WhisperEngine } = require(${JSON.stringify(path.join(REPO_ROOT, 'out', 'daemon', 'asr', 'whisper.js'))});
    const engine = new WhisperEngine({ modelPath: ${JSON.stringify(randomMiniModel())}, language: 'en', threads: 1, gpu: 'auto' });
    engine.load().then(async () => {
      const maps = require('fs').readFileSync('/proc/self/maps', 'utf8');
      console.log(JSON.stringify({ gpuDevice: engine.gpuDevice, gpuModuleMapped: /libggml-(vulkan|cuda)/.test(maps), probe: engine.gpuProbe }));
      await engine.free();
    });`;
  const run = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout.trim().split('\n').pop()!);
}

const PLANTED = `
#include <stdio.h>
static void mark(const char *what) { FILE *f = fopen("planted-was-loaded", "a"); if (f) { fputs(what, f); fclose(f); } }
__attribute__((constructor)) static void opened(void) { mark("opened\\n"); }
int ggml_backend_score(void) { mark("scored\\n"); return 1 << 30; }
void *ggml_backend_init(void) { mark("initialised\\n"); return 0; }
`;

describe('whisper backends loaded at run time', () => {
  it('take the CPU variant from the addon\'s folder that fits this CPU', () => {
    const run = spawnSync(process.execPath, [DAEMON_BIN, 'build-info'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const info = JSON.parse(run.stdout) as { addon: string; cpuVariant: string; cpuBackend: string; cpuVariants: string[]; cpuFeatures: Record<string, boolean> };
    assert.equal(path.dirname(info.cpuBackend), path.dirname(info.addon));
    assert.ok(info.cpuVariants.includes(info.cpuVariant), `${info.cpuVariant} is not one of ${info.cpuVariants}`);
    if (process.platform === 'linux' && process.arch === 'x64') {
      const flags = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1].split(/\s+/) ?? [];
      // ggml scores every variant by CPUID and loads the best: what this CPU has, the variant uses.
      assert.equal(info.cpuFeatures.AVX2 === true, flags.includes('avx2'), JSON.stringify(info.cpuFeatures));
      assert.equal(info.cpuFeatures.AVX512 === true, flags.includes('avx512f') && flags.includes('avx512bw'), JSON.stringify(info.cpuFeatures));
    }
  });

  it('never open a backend module that sits in the current folder', function () {
    if (process.platform === 'win32') this.skip();
    const cc: string | undefined = findExecutable('cc') ?? findExecutable('gcc');
    if (!cc) throw new Error('a C compiler (the build tools npm ci used) makes the planted module');
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-planted-'));
    try {
      fs.writeFileSync(path.join(cwd, 'planted.c'), PLANTED);
      // Named as ggml looks for modules: a CPU variant with the highest score, and a GPU backend.
      for (const name of ['libggml-cpu-planted.so', 'libggml-vulkan.so', 'libggml-cuda.so']) {
        const built: { status: number | null; stderr: string } = spawnSync(cc, ['-shared', '-fPIC', '-o', path.join(cwd, name), path.join(cwd, 'planted.c')], { encoding: 'utf8' });
        assert.equal(built.status, 0, built.stderr);
      }
      // build-info loads the GPU modules too, as a model load for the GPU does.
      const run = spawnSync(process.execPath, [DAEMON_BIN, 'build-info'], { cwd, encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      const info = JSON.parse(run.stdout) as { cpuBackend: string; gpuDevices: unknown[] };
      const marker = path.join(cwd, 'planted-was-loaded');
      if (fs.existsSync(marker)) assert.fail(`a module in the current folder was ${fs.readFileSync(marker, 'utf8').trim().split('\n').join(', ')}`);
      assert.notEqual(path.dirname(info.cpuBackend), cwd);
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  it("'auto' loads no GPU module where no discrete GPU is found, and takes one where it is (Mesa's lavapipe, named visible)", function () {
    if (process.platform !== 'linux') this.skip();
    // ggml's Vulkan backend hides Mesa's software device (a CPU posing as a GPU) unless GGML_VK_VISIBLE_DEVICES names it.
    const none = autoLoad({ GGML_VK_VISIBLE_DEVICES: '' });
    assert.deepEqual({ gpuDevice: none.gpuDevice, gpuModuleMapped: none.gpuModuleMapped }, { gpuDevice: null, gpuModuleMapped: false }, JSON.stringify(none));
    assert.deepEqual(none.probe, { device: null, devices: [] }, 'the child looked and found nothing');
    const icd = `/usr/share/vulkan/icd.d/lvp_icd.${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}.json`;
    const lavapipe = autoLoad({ GGML_VK_VISIBLE_DEVICES: '0', VK_ICD_FILENAMES: icd });
    assert.match(lavapipe.gpuDevice ?? '', /llvmpipe/, `${JSON.stringify(lavapipe)} (is the Vulkan module built? scripts/test-deps.sh builds it)`);
    assert.equal(lavapipe.gpuModuleMapped, true);
  });
});
