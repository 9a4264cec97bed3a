/**
 * A GPU is a device that is there (daemon/models/gpus.ts): what `nvidia-smi -L` prints where there is a GPU, none, or no
 * driver; what whisper's GPU module finds (this machine's lavapipe, as its probe printed it, is not a GPU; a discrete
 * Vulkan GPU is); and the answer kept between commands while nothing that would change it has changed.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { detectMachine, machineGpu, recommendModel } from '../../daemon/models/capabilities';
import { GpuProbe, probeGpu, ProbedDevice } from '../../daemon/models/gpuProbe';
import {
  CommandResult, countedGpu, findGpus, GPU_CACHE_MAX_AGE_MS, isSoftwareRenderer, listNvidiaGpus, parseNvidiaSmiList, whisperGpuOf,
} from '../../daemon/models/gpus';
import { recommendNotesModel } from '../../daemon/models/notesCatalog';

// nvidia-smi's own words. `-L` with GPUs: akash-network/provider-configs#12 (two Quadro RTX 4000), influxdata/telegraf#5812
// (A100s with MIG devices under the first).
const SMI_TWO_GPUS = 'GPU 0: Quadro RTX 4000 (UUID: GPU-c7b57be0-94ff-d352-a59b-d0ee00aeed43)\nGPU 1: Quadro RTX 4000 (UUID: GPU-d6de6afc-bdfe-75c4-5273-0544439153fc)\n';
const SMI_MIG = [
  'GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-513536b6-7d19-9063-b049-1e69664bb298)',
  '  MIG 1g.20gb     Device  0: (UUID: MIG-ce861fb0-a248-58ce-a9a8-f9adbc22a66a)',
  '  MIG 1g.20gb     Device  1: (UUID: MIG-a45882f0-9215-5733-a0c1-49286ab31cb5)',
  'GPU 1: NVIDIA A100-SXM4-80GB (UUID: GPU-d8594bd4-0fc3-8595-e355-7c98138f3b95)',
  '',
].join('\n');
const SMI_RTX_4060 = 'GPU 0: NVIDIA GeForce RTX 4060 (UUID: GPU-e1924eea-b9bb-d537-39f2-b345087fa145)\n';
// No GPU bound to the driver (NVIDIA/open-gpu-kernel-modules#862); no driver: exit 9, "NVIDIA driver is not loaded"
// (nvidia-smi(1), RETURN VALUE; the message as in GoogleCloudPlatform/compute-gpu-installation#18); NVML failing
// (anderskm/gputil#55: exit 18; kubernetes-sigs/dra-driver-nvidia-gpu#1008: exit 255).
const SMI_NO_DEVICES = 'No devices were found\n';
const SMI_NO_DRIVER = "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n\n";
const SMI_MISMATCH = 'Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 535.161\n';
const SMI_NO_SUPPORTED = 'Failed to initialize NVML: No supported GPUs were found\nUnable to determine the number of GPUs\n';

// What gpuProbeChild.js printed on this machine (Mesa's drivers installed, no GPU): `[]`; with GGML_VK_VISIBLE_DEVICES=0,
// Mesa's lavapipe, which ggml-vulkan calls a 'gpu' though Vulkan calls it a CPU.
const PROBE_NOTHING = '[]\n';
const PROBE_LAVAPIPE = '[{"backend":"Vulkan","name":"Vulkan0","description":"llvmpipe (LLVM 15.0.6, 256 bits)","type":"gpu","memoryTotal":2147483648}]\n';
// A discrete GPU and an integrated one, in the same form (ggml's description is the Vulkan device name).
const PROBE_DISCRETE = '[{"backend":"Vulkan","name":"Vulkan0","description":"Intel(R) UHD Graphics 770 (ADL-S GT1)","type":"igpu","memoryTotal":16777216000},'
  + '{"backend":"Vulkan","name":"Vulkan1","description":"NVIDIA GeForce RTX 4060","type":"gpu","memoryTotal":8585740288}]\n';

const probed = (stdout: string) => (): Promise<GpuProbe> => probeGpu(async () => ({ stdout }));
const smi = (stdout: string, code: number | null, error?: string) => async (): Promise<CommandResult> => ({ code, stdout, ...(error ? { error } : {}) });
const NO_SMI = smi('', null, 'spawn nvidia-smi ENOENT');

describe('a GPU is a device that is there (gpus.ts)', () => {
  it('reads the GPUs `nvidia-smi -L` lists, one per GPU line (MIG devices under theirs are not more GPUs)', () => {
    assert.deepEqual(parseNvidiaSmiList(SMI_TWO_GPUS, 0), ['Quadro RTX 4000', 'Quadro RTX 4000']);
    assert.deepEqual(parseNvidiaSmiList(SMI_MIG, 0), ['NVIDIA A100-SXM4-80GB', 'NVIDIA A100-SXM4-80GB']);
    assert.deepEqual(parseNvidiaSmiList(SMI_RTX_4060.replace('\n', '\r\n'), 0), ['NVIDIA GeForce RTX 4060']);
  });

  it('finds no GPU where nvidia-smi finds none, has no driver, fails, or is not installed', async () => {
    for (const [out, code] of [[SMI_NO_DEVICES, 0], [SMI_NO_DEVICES, 6], [SMI_NO_DRIVER, 9], [SMI_MISMATCH, 18], [SMI_NO_SUPPORTED, 255]] as const) {
      assert.deepEqual(parseNvidiaSmiList(out, code), [], out);
    }
    assert.deepEqual(parseNvidiaSmiList(SMI_RTX_4060, 9), [], 'a failed run lists nothing, whatever it printed');
    assert.deepEqual(await listNvidiaGpus(smi(SMI_NO_DRIVER, 9, `exit 9: ${SMI_NO_DRIVER.trim()}`), 'linux', '/nonexistent'),
      { gpus: [], note: `nvidia-smi: exit 9: ${SMI_NO_DRIVER.trim()}` });
    assert.deepEqual(await listNvidiaGpus(smi(SMI_NO_DEVICES, 0), 'linux', '/nonexistent'), { gpus: [], note: 'nvidia-smi: No devices were found' });
    assert.deepEqual(await listNvidiaGpus(NO_SMI, 'linux', '/nonexistent'), { gpus: [], note: 'nvidia-smi: not installed' });
    assert.deepEqual(await listNvidiaGpus(smi(SMI_RTX_4060, 0), 'darwin'), { gpus: [] }, 'no NVIDIA driver on macOS: not asked');
  });

  it("asks WSL's own nvidia-smi where the one on PATH is missing", async () => {
    const ran: string[] = [];
    const wsl = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-wsl-')), 'nvidia-smi');
    fs.writeFileSync(wsl, '');
    try {
      const found = await listNvidiaGpus(async (command) => { ran.push(command); return command === wsl ? { code: 0, stdout: SMI_RTX_4060 } : { code: null, stdout: '', error: 'spawn nvidia-smi ENOENT' }; }, 'linux', wsl);
      assert.deepEqual(found, { gpus: ['NVIDIA GeForce RTX 4060'] });
      assert.deepEqual(ran, ['nvidia-smi', wsl]);
    } finally {
      fs.rmSync(path.dirname(wsl), { recursive: true, force: true });
    }
  });

  it("counts a discrete GPU whisper's module finds, not lavapipe (Vulkan's CPU type, though ggml says 'gpu') nor an integrated one", async () => {
    const lavapipe = await probed(PROBE_LAVAPIPE)();
    assert.equal(lavapipe.device, 'llvmpipe (LLVM 15.0.6, 256 bits)', "earshot.gpu auto still takes it where the user made it visible");
    assert.equal(isSoftwareRenderer(lavapipe.devices[0]), true);
    assert.equal(countedGpu(lavapipe.devices), undefined);
    assert.deepEqual(whisperGpuOf(lavapipe), { device: null, note: "whisper's GPU module: no discrete GPU (llvmpipe (LLVM 15.0.6, 256 bits), a software renderer)" });
    assert.equal(isSoftwareRenderer({ description: 'SwiftShader Device (Subzero)', type: 'gpu' }), true);
    assert.equal(isSoftwareRenderer({ description: 'Some device', type: 'cpu' }), true);
    const discrete = await probed(PROBE_DISCRETE)();
    assert.deepEqual(whisperGpuOf(discrete), { device: { name: 'NVIDIA GeForce RTX 4060', backend: 'Vulkan' } });
    const integrated = discrete.devices.filter((d) => d.type === 'igpu') as ProbedDevice[];
    assert.equal(countedGpu(integrated), undefined);
    assert.deepEqual(whisperGpuOf(await probed(PROBE_NOTHING)()), { device: null, note: "whisper's GPU module: no device found" });
    assert.deepEqual(whisperGpuOf({ device: null, devices: [], error: 'looking for a GPU failed: it ended SIGSEGV' }),
      { device: null, note: "whisper's GPU module: looking for a GPU failed: it ended SIGSEGV" });
  });

  describe('what each machine is recommended (detectMachine with these answers; the memory and cores are this machine\'s)', () => {
    // Whether whisper's build has a GPU module is one of "these answers" too, not the installed addon's (a fresh
    // checkout's npm test adds the Vulkan module only after the unit suite: scripts/test-all.sh).
    const detect = async (probe: string, nvidia: () => Promise<CommandResult>, whisperGpuModules = true) => ({
      ...await detectMachine({
        findGpus: (o) => findGpus({ ...o, whisperGpuModules, probe: probed(probe), runCommand: nvidia, platform: 'linux' }),
      }),
      whisperGpu: whisperGpuModules,
    });
    const recommended = async (probe: string, nvidia: () => Promise<CommandResult>) => {
      const facts = await detect(probe, nvidia);
      return { facts, gpu: machineGpu(facts), whisper: recommendModel(facts, { language: 'en' }), notes: recommendNotesModel(facts) };
    };
    before(function () {
      if (process.platform === 'darwin' && os.arch() === 'arm64') this.skip(); // Metal counts there whatever these say
    });

    it('lavapipe, and no nvidia-smi → the CPU recommendations', async () => {
      const r = await recommended(PROBE_LAVAPIPE, NO_SMI);
      assert.equal(r.gpu, null);
      assert.equal(r.whisper.model.quantization, 'q8_0', r.whisper.reason);
      assert.doesNotMatch(r.notes.reason, /GPU \(/);
      assert.deepEqual(r.facts.gpuNotes, ["whisper's GPU module: no discrete GPU (llvmpipe (LLVM 15.0.6, 256 bits), a software renderer)", 'nvidia-smi: not installed']);
    });

    it('no device found, nvidia-smi with no driver (exit 9) or no devices → the CPU recommendations', async () => {
      for (const nvidia of [smi(SMI_NO_DRIVER, 9, 'exit 9: NVIDIA-SMI has failed'), smi(SMI_NO_DEVICES, 6, 'exit 6: No devices were found')]) {
        const r = await recommended(PROBE_NOTHING, nvidia);
        assert.equal(r.gpu, null);
        assert.equal(r.whisper.model.quantization, 'q8_0', r.whisper.reason);
        assert.doesNotMatch(r.notes.reason, /GPU \(/);
      }
    });

    it('a discrete Vulkan GPU → the GPU recommendations (the large model where there are 8 GB), named in the reasons', async function () {
      const r = await recommended(PROBE_DISCRETE, NO_SMI);
      assert.deepEqual(r.gpu, { name: 'NVIDIA GeForce RTX 4060', via: "found by whisper's Vulkan module" });
      if (os.totalmem() >= 8 * 1024 ** 3) assert.equal(r.whisper.model.id, 'large-v3-turbo', r.whisper.reason);
      assert.match(r.whisper.reason + r.notes.reason, /NVIDIA GeForce RTX 4060/);
      assert.match(r.notes.reason, /a GPU \(NVIDIA GeForce RTX 4060, found by whisper's Vulkan module\)/);
    });

    it('an NVIDIA GPU nvidia-smi lists that whisper\'s module cannot see → the notes model counts it, whisper stays on the CPU', async () => {
      const r = await recommended(PROBE_NOTHING, smi(SMI_RTX_4060, 0));
      assert.deepEqual(r.gpu, { name: 'NVIDIA GeForce RTX 4060', via: 'listed by nvidia-smi' });
      assert.equal(r.whisper.model.quantization, 'q8_0');
      assert.match(r.whisper.reason, /an NVIDIA GPU, NVIDIA GeForce RTX 4060, but whisper's GPU module finds no device on it/);
      assert.match(r.notes.reason, /a GPU \(NVIDIA GeForce RTX 4060, listed by nvidia-smi\)/);
    });
  });

  describe('kept between commands', () => {
    let dir: string;
    let probes: number;
    let at: number;
    let system: unknown;
    const find = (probe = PROBE_DISCRETE, error?: string) => findGpus({
      whisperGpuModules: true, cacheDir: dir, platform: 'linux', now: () => at, fingerprint: async () => system, runCommand: NO_SMI,
      probe: async () => { probes++; return error ? { device: null, devices: [], error } : probeGpu(async () => ({ stdout: probe })); },
    });
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-gpus-'));
      probes = 0;
      at = 1_800_000_000_000;
      system = { dev: ['nvidia0', 'nvidiactl'] };
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('looks once, then answers from the storage folder while nothing changed', async () => {
      const first = await find();
      assert.deepEqual(first.whisper, { name: 'NVIDIA GeForce RTX 4060', backend: 'Vulkan' });
      at += 3600_000;
      assert.deepEqual(await find(PROBE_NOTHING), first, 'an hour later: the kept answer');
      assert.equal(probes, 1);
    });

    it('looks again when a device, a driver or the build changes, and after a day', async () => {
      await find();
      system = { dev: [] }; // the GPU's device nodes went away (a container started without it)
      assert.equal((await find(PROBE_NOTHING)).whisper, null);
      assert.equal(probes, 2);
      at += GPU_CACHE_MAX_AGE_MS;
      assert.equal((await find(PROBE_LAVAPIPE)).whisper, null);
      assert.equal(probes, 3, 'a day old: looked again');
      const other = await findGpus({ whisperGpuModules: true, cacheDir: dir, build: { builtAt: 'later' }, platform: 'linux', now: () => at, fingerprint: async () => system, runCommand: NO_SMI, probe: async () => { probes++; return { device: null, devices: [] }; } });
      assert.equal(other.whisper, null);
      assert.equal(probes, 4, 'a rebuilt addon: looked again');
    });

    it('keeps no answer from a probe that failed: the next command asks again', async () => {
      const crashed = await find(PROBE_DISCRETE, 'looking for a GPU failed: it ended SIGSEGV');
      assert.equal(crashed.whisper, null);
      assert.match(crashed.notes.join(' '), /it ended SIGSEGV/);
      assert.deepEqual((await find()).whisper, { name: 'NVIDIA GeForce RTX 4060', backend: 'Vulkan' });
      assert.equal(probes, 2);
    });

    it('still answers where the storage folder cannot be written', async () => {
      fs.writeFileSync(path.join(dir, 'file'), '');
      const found = await findGpus({ whisperGpuModules: true, cacheDir: path.join(dir, 'file', 'below'), platform: 'linux', fingerprint: async () => system, runCommand: NO_SMI, probe: probed(PROBE_DISCRETE) });
      assert.deepEqual(found.whisper, { name: 'NVIDIA GeForce RTX 4060', backend: 'Vulkan' });
    });
  });
});
