/**
 * The notes model's GPU options per platform (worker.ts llamaGpuOptions), checked against node-llama-cpp 3.21.1 as
 * installed: its own resolver (dist/bindings/utils/getGpuTypesToUseForOption.js, getBestComputeLayersAvailable.js)
 * turns the options into the builds it tries, and its prebuilt table (dist/bindings/utils/compileLLamaCpp.js:433-439)
 * says which of those builds exist for a Mac. No Mac is needed: both take the platform and arch as arguments.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { llamaGpuOptions } from '../../daemon/understanding/local/worker';
import { REPO_ROOT } from '../setup';

type GpuType = 'metal' | 'cuda' | 'vulkan' | false;
const DIST = path.join(REPO_ROOT, 'node_modules', 'node-llama-cpp', 'dist', 'bindings', 'utils');

/** node-llama-cpp's own modules (ESM, not exported by its package.json: loaded by path). */
async function nodeLlamaCpp() {
  const load = (file: string) => import(pathToFileURL(path.join(DIST, file)).href);
  const { resolveValidGpuOptionForPlatform } = (await load('getGpuTypesToUseForOption.js')) as { resolveValidGpuOptionForPlatform: (gpu: unknown, where: { platform: string; arch: string }) => GpuType | 'auto' };
  const { detectBestComputeLayersAvailable } = (await load('getBestComputeLayersAvailable.js')) as { detectBestComputeLayersAvailable: (where: { platform: string; arch: string }) => Promise<GpuType[]> };
  return { resolveValidGpuOptionForPlatform, detectBestComputeLayersAvailable };
}

/** The GPU types node-llama-cpp has a prebuilt build for on a Mac of `arch`, read from its mac branch (compileLLamaCpp.js:433-439). */
function macPrebuilt(arch: string): GpuType[] {
  const source = fs.readFileSync(path.join(DIST, 'compileLLamaCpp.js'), 'utf8');
  const mac = /if \(buildOptions\.platform === "mac"\) \{([\s\S]*?)\n {4}\}/.exec(source)?.[1];
  assert.ok(mac, 'compileLLamaCpp.js has its mac branch');
  return [...mac.matchAll(/buildOptions\.arch === "(\w+)" && buildOptions\.gpu === ("\w+"|false)/g)]
    .filter((m) => m[1] === arch).map((m) => JSON.parse(m[2]) as GpuType);
}

describe('the notes model on the GPU or not (node-llama-cpp options per platform)', () => {
  it('Apple Silicon with the GPU off asks for a build node-llama-cpp ships there (Metal) and keeps every layer on the CPU', async () => {
    const { resolveValidGpuOptionForPlatform, detectBestComputeLayersAvailable } = await nodeLlamaCpp();
    assert.deepEqual(macPrebuilt('arm64'), ['metal'], 'mac-arm64 has only a Metal build');
    const options = llamaGpuOptions(false, 'darwin', 'arm64');
    // getGpuTypesToUseForOption.js:15-24: 'auto' becomes the best layers available (["metal"] on mac-arm64,
    // getBestComputeLayersAvailable.js:16-17); anything else is tried as it is. getLlama tries each and, with
    // build 'never', throws NoBinaryFoundError when none has a prebuilt (getLlama.js:292-293).
    const resolved = resolveValidGpuOptionForPlatform(options.gpu, { platform: 'mac', arch: 'arm64' });
    const tried = resolved === 'auto' ? await detectBestComputeLayersAvailable({ platform: 'mac', arch: 'arm64' }) : [resolved];
    assert.ok(tried.some((gpu) => macPrebuilt('arm64').includes(gpu)), `node-llama-cpp tries ${JSON.stringify(tried)}: no prebuilt build for mac-arm64`);
    assert.equal(options.gpuLayers, 0, 'the Metal build, but not one layer on the GPU');
  });

  it('elsewhere the GPU off is the CPU build; the GPU on is auto everywhere', async () => {
    const { resolveValidGpuOptionForPlatform } = await nodeLlamaCpp();
    assert.deepEqual(macPrebuilt('x64'), [false], 'an Intel Mac has the CPU build');
    assert.equal(resolveValidGpuOptionForPlatform(llamaGpuOptions(false, 'darwin', 'x64').gpu, { platform: 'mac', arch: 'x64' }), false);
    for (const [platform, arch] of [['darwin', 'x64'], ['linux', 'x64'], ['linux', 'arm64'], ['win32', 'x64']] as const) {
      assert.deepEqual(llamaGpuOptions(false, platform, arch), { gpu: false, gpuLayers: 0 }, `${platform}-${arch}`);
    }
    for (const [platform, arch] of [['darwin', 'arm64'], ['darwin', 'x64'], ['linux', 'x64'], ['win32', 'x64']] as const) {
      assert.deepEqual(llamaGpuOptions(true, platform, arch), { gpu: 'auto' }, `${platform}-${arch}`);
    }
  });
});
