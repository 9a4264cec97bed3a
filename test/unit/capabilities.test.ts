import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { detectMachine, isEnglish, machineGpu, MachineFacts, recommendedModelId, recommendModel } from '../../daemon/models/capabilities';
import { findGpus } from '../../daemon/models/gpus';
import { recommendNotesModel } from '../../daemon/models/notesCatalog';
import { REPO_ROOT } from '../setup';

const GiB = 1024 ** 3;

/** A machine with nothing special; each case overrides what it is about. */
function machine(facts: Partial<MachineFacts>): MachineFacts {
  return {
    platform: 'linux', arch: 'x64', totalMemoryBytes: 8 * GiB, cores: 4, avx2: true, whisperBuild: 'x86-64-v3',
    appleSilicon: false, metal: false, whisperGpu: false, whisperGpuDevice: null, nvidiaGpus: [], ...facts,
  };
}

const RTX_4060 = { name: 'NVIDIA GeForce RTX 4060', backend: 'Vulkan' };
const appleM = (gib: number) => machine({ platform: 'darwin', arch: 'arm64', totalMemoryBytes: gib * GiB, cores: 8, avx2: false, whisperBuild: 'metal', appleSilicon: true, metal: true });

describe('Default model from capabilities (recommendModel)', () => {
  const cases: [string, MachineFacts, string, string][] = [
    ['Apple Silicon, 16 GB', appleM(16), 'en', 'large-v3-turbo'],
    ['Apple Silicon, 16 GB, German', appleM(16), 'de', 'large-v3-turbo'],
    ['Apple Silicon, 8 GB', appleM(8), 'en', 'small.en'],
    ['Apple Silicon, 8 GB, French', appleM(8), 'fr', 'small'],
    ['Apple Silicon, 4 GB', appleM(4), 'en', 'base.en'],
    ['x86-64 with AVX2, 16 cores, 32 GB', machine({ cores: 16, totalMemoryBytes: 32 * GiB }), 'en', 'small.en-q8_0'],
    ['x86-64 with AVX2, 8 cores, 16 GB, German', machine({ cores: 8, totalMemoryBytes: 16 * GiB }), 'de', 'small-q8_0'],
    ['x86-64 with AVX2, 4 cores, 8 GB', machine({}), 'en', 'base.en-q8_0'],
    ['x86-64 with AVX2, 8 cores, 6 GB', machine({ cores: 8, totalMemoryBytes: 6 * GiB }), 'en', 'base.en-q8_0'],
    ['x86-64 with AVX2, 2 cores, 4 GB', machine({ cores: 2, totalMemoryBytes: 4 * GiB }), 'en', 'tiny.en-q8_0'],
    ['x86-64 without AVX2, 4 cores, 8 GB', machine({ avx2: false, whisperBuild: 'portable' }), 'en', 'tiny.en-q8_0'],
    ['x86-64 without AVX2, 12 cores, 16 GB', machine({ avx2: false, whisperBuild: 'portable', cores: 12, totalMemoryBytes: 16 * GiB }), 'es', 'base-q8_0'],
    ['Windows x64 (AVX2 unknown), 8 cores, 16 GB', machine({ platform: 'win32', avx2: null, whisperBuild: 'default', cores: 8, totalMemoryBytes: 16 * GiB }), 'en', 'base.en-q8_0'],
    ['arm64 Linux board, 4 cores, 2 GB', machine({ arch: 'arm64', avx2: false, whisperBuild: 'portable', totalMemoryBytes: 2 * GiB }), 'en', 'tiny.en-q8_0'],
    ['arm64 Linux, 4 cores, 8 GB', machine({ arch: 'arm64', avx2: false, whisperBuild: 'portable' }), 'en', 'base.en-q8_0'],
    ['NVIDIA GPU found by the GPU module (Vulkan), 32 GB', machine({ cores: 8, totalMemoryBytes: 32 * GiB, whisperGpu: true, whisperGpuDevice: RTX_4060, nvidiaGpus: [RTX_4060.name] }), 'en', 'large-v3-turbo'],
    ['AMD GPU found by the GPU module (Vulkan), 16 GB', machine({ cores: 8, totalMemoryBytes: 16 * GiB, whisperGpu: true, whisperGpuDevice: { name: 'AMD Radeon RX 7600', backend: 'Vulkan' } }), 'en', 'large-v3-turbo'],
    ['NVIDIA GPU but no GPU module in the whisper build, 8 cores, 32 GB', machine({ cores: 8, totalMemoryBytes: 32 * GiB, nvidiaGpus: [RTX_4060.name] }), 'en', 'small.en-q8_0'],
    ['NVIDIA GPU listed, but the GPU module finds no device, 8 cores, 32 GB', machine({ cores: 8, totalMemoryBytes: 32 * GiB, whisperGpu: true, nvidiaGpus: [RTX_4060.name] }), 'en', 'small.en-q8_0'],
    ['a GPU module, no device found, 2 cores, 24 GB (this kind of machine)', machine({ cores: 2, totalMemoryBytes: 24 * GiB, whisperGpu: true }), 'en', 'tiny.en-q8_0'],
  ];
  for (const [name, facts, language, expected] of cases) {
    it(`${name}, language ${language} → ${expected}`, () => {
      const choice = recommendModel(facts, { language });
      assert.equal(choice.model.id, expected);
      assert.equal(choice.source, 'detected');
      assert.ok(choice.reason.startsWith(`${expected}: `), choice.reason);
      assert.deepEqual(choice.warnings, []);
    });
  }

  it('says when an NVIDIA GPU goes unused by whisper: a build without a GPU module, or a module that finds no device', () => {
    const noModule = recommendModel(machine({ nvidiaGpus: [RTX_4060.name] }), { language: 'en' });
    assert.match(noModule.reason, /an NVIDIA GPU, NVIDIA GeForce RTX 4060, but this whisper build has no GPU module: whisper runs on the CPU/);
    const unseen = recommendModel(machine({ whisperGpu: true, nvidiaGpus: [RTX_4060.name] }), { language: 'en' });
    assert.match(unseen.reason, /but whisper's GPU module finds no device on it: whisper runs on the CPU/);
  });

  it('counts a GPU only where one is found: Metal on Apple Silicon, a device of the GPU module, an NVIDIA GPU nvidia-smi lists', () => {
    assert.deepEqual(machineGpu(appleM(16)), { name: "Apple Silicon's GPU", via: 'through Metal' });
    assert.deepEqual(machineGpu(machine({ whisperGpu: true, whisperGpuDevice: RTX_4060 })), { name: RTX_4060.name, via: "found by whisper's Vulkan module" });
    assert.deepEqual(machineGpu(machine({ nvidiaGpus: ['NVIDIA A100-SXM4-80GB'] })), { name: 'NVIDIA A100-SXM4-80GB', via: 'listed by nvidia-smi' });
    assert.equal(machineGpu(machine({ whisperGpu: true })), null, 'a GPU module alone is a library, not a GPU');
    const metal = recommendNotesModel(appleM(16));
    assert.match(metal.reason, /a GPU \(Apple Silicon's GPU, through Metal\)/);
  });

  it('lets the user\'s setting win, whatever the machine', () => {
    const weak = machine({ avx2: false, whisperBuild: 'portable', cores: 2, totalMemoryBytes: 2 * GiB });
    const choice = recommendModel(weak, { model: 'large-v3-turbo', language: 'en' });
    assert.equal(choice.model.id, 'large-v3-turbo');
    assert.equal(choice.source, 'setting');
    assert.equal(recommendModel(appleM(64), { model: 'tiny', language: 'en' }).model.id, 'tiny');
    assert.equal(recommendedModelId(appleM(64), { model: ' base.en ' }), 'base.en');
  });

  it('warns about an English-only setting for another language, but keeps it', () => {
    const choice = recommendModel(machine({}), { model: 'small.en', language: 'de' });
    assert.equal(choice.model.id, 'small.en');
    assert.equal(choice.warnings.length, 1);
    assert.match(choice.warnings[0], /English only.*"de"/);
  });

  it('falls back to detection, with a warning, for a model id not in the catalog', () => {
    const choice = recommendModel(machine({}), { model: 'medium', language: 'en' });
    assert.equal(choice.source, 'detected');
    assert.equal(choice.model.id, 'base.en-q8_0');
    assert.match(choice.warnings[0], /no whisper model "medium"/);
  });

  it('treats a missing language as English and regional English as English', () => {
    assert.equal(recommendModel(machine({}), {}).model.id, 'base.en-q8_0');
    assert.equal(recommendModel(machine({}), { language: 'en-GB' }).model.id, 'base.en-q8_0');
    assert.equal(isEnglish('EN'), true);
    assert.equal(isEnglish('eng'), false);
    assert.equal(isEnglish('de'), false);
  });

  it('is a pure function of its inputs', () => {
    const facts = machine({ cores: 8, totalMemoryBytes: 16 * GiB });
    const frozen = Object.freeze({ ...facts });
    assert.deepEqual(recommendModel(frozen, { language: 'en' }), recommendModel(facts, { language: 'en' }));
  });
});

describe('Machine detection (detectMachine)', function () {
  this.timeout(10_000);

  it('reports this machine\'s facts, consistent with build-whisper.js', async () => {
    const facts = await detectMachine({ probeGpus: false });
    assert.equal(facts.platform, process.platform);
    assert.equal(facts.arch, os.arch());
    assert.equal(facts.totalMemoryBytes, os.totalmem());
    assert.equal(facts.cores, os.availableParallelism());
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { wantedBuild, inspectBuild } = require(path.join(REPO_ROOT, 'scripts', 'build-whisper.js')) as { wantedBuild(): { kind: string }; inspectBuild(): { gpuBackends: string[] } };
    assert.equal(facts.whisperBuild, wantedBuild().kind);
    assert.equal(facts.avx2, facts.whisperBuild === 'x86-64-v3' ? true : facts.avx2);
    if (facts.whisperBuild === 'portable' && facts.arch === 'x64') assert.equal(facts.avx2, false);
    assert.equal(facts.appleSilicon, process.platform === 'darwin' && os.arch() === 'arm64');
    assert.deepEqual([facts.whisperGpuDevice, facts.nvidiaGpus], [null, []], 'no GPU looked for');
    assert.equal(facts.whisperGpu, inspectBuild().gpuBackends.some((g) => g === 'vulkan' || g === 'cuda'), 'a GPU module is what the install built');
    assert.ok(recommendModel(facts, { language: 'en' }).model.englishOnly || facts.metal);
  });

  it('a CUDA toolkit with no GPU (libcudart where CUDA_PATH, CUDA_HOME and LD_LIBRARY_PATH say, no device) recommends the CPU models', async function () {
    if (process.platform === 'darwin') this.skip(); // Apple Silicon counts its Metal GPU; an Intel Mac has no CUDA
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'earshot-cuda-'));
    try {
      const lib = path.join(root, process.platform === 'win32' ? 'bin' : 'lib64');
      await fs.mkdir(lib);
      await fs.writeFile(path.join(lib, process.platform === 'win32' ? 'cudart64_12.dll' : 'libcudart.so.12'), '');
      const env = { ...process.env, CUDA_PATH: root, CUDA_HOME: root, LD_LIBRARY_PATH: lib };
      // What this kind of machine answers: whisper's module finds no device; nvidia-smi is not there (it comes with a driver).
      const facts = await detectMachine({
        env, findGpus: (o) => findGpus({ ...o, probe: async () => ({ device: null, devices: [] }), runCommand: async () => ({ code: null, stdout: '', error: 'spawn nvidia-smi ENOENT' }) }),
      });
      assert.equal(machineGpu(facts), null, JSON.stringify(facts));
      const whisper = recommendModel(facts, { language: 'en' });
      assert.notEqual(whisper.model.tier, 'large', whisper.reason);
      assert.equal(whisper.model.quantization, 'q8_0', `the CPU's 8-bit weights: ${whisper.reason}`);
      assert.doesNotMatch(recommendNotesModel(facts).reason, /GPU \(/);
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });

  it('looks for GPUs on this machine without failing, and says why where it finds none', async () => {
    const facts = await detectMachine();
    assert.ok(facts.whisperGpuDevice === null || (facts.whisperGpu && typeof facts.whisperGpuDevice.name === 'string'));
    assert.ok(Array.isArray(facts.nvidiaGpus));
    if (machineGpu(facts) === null) assert.ok((facts.gpuNotes ?? []).length > 0, 'says why none');
  });
});
