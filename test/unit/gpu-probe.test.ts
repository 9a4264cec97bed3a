/**
 * earshot.gpu 'auto' off Apple Silicon: a child process looks for a GPU (daemon/models/gpuProbe.ts), and only a discrete
 * GPU it finds makes the daemon load a GPU module itself. The child's answer, its crash or its silence each decide.
 */
import * as assert from 'node:assert/strict';
import { autoDevice, probeGpu, ProbedDevice } from '../../daemon/models/gpuProbe';

const device = (type: ProbedDevice['type'], description: string): ProbedDevice => ({ backend: 'Vulkan', name: `Vulkan${description.length}`, description, type, memoryTotal: 8 << 30 });

describe('looking for a GPU (earshot.gpu auto)', () => {
  it('takes the first discrete GPU, never an integrated one', () => {
    assert.equal(autoDevice([device('igpu', 'Intel(R) UHD Graphics 620'), device('gpu', 'NVIDIA GeForce RTX 4060')])?.description, 'NVIDIA GeForce RTX 4060');
    assert.equal(autoDevice([device('igpu', 'AMD Radeon 780M')]), undefined);
    assert.equal(autoDevice([]), undefined);
  });

  it("reads the child's one JSON line", async () => {
    const found = await probeGpu(async () => ({ stdout: `${JSON.stringify([device('igpu', 'Intel Arc Graphics'), device('gpu', 'AMD Radeon RX 7600')])}\n` }));
    assert.equal(found.device, 'AMD Radeon RX 7600');
    assert.equal(found.devices.length, 2);
    assert.deepEqual(await probeGpu(async () => ({ stdout: '[]\n' })), { device: null, devices: [] });
  });

  it('stays on the CPU and says why when the child crashes, hangs or answers nonsense', async () => {
    const crashed = await probeGpu(async () => ({ stdout: '', error: 'it ended SIGSEGV (vkCreateInstance)' }));
    assert.equal(crashed.device, null);
    assert.match(crashed.error ?? '', /looking for a GPU failed: it ended SIGSEGV/);
    const garbled = await probeGpu(async () => ({ stdout: 'ggml_vulkan: something\n' }));
    assert.equal(garbled.device, null);
    assert.match(garbled.error ?? '', /gave no answer/);
    assert.match((await probeGpu(async () => ({ stdout: '{"not":"a list"}' }))).error ?? '', /not a list/);
  });
});
