/**
 * A GPU is a device that is there: the real `earshot models --json` and `earshot transcribe`'s first download choice on
 * this machine (no GPU: the CPU recommendations, every model's sha256 listed), then with a CUDA toolkit laid out in a
 * temp folder (libcudart where CUDA_PATH, CUDA_HOME and LD_LIBRARY_PATH point) and an nvidia-smi that finds no driver:
 * still the CPU recommendations. An nvidia-smi that lists a GPU counts for the notes model, not for whisper, whose
 * GPU module finds no device for it here. The fake nvidia-smi prints what the real one prints (cited in unit/gpus.test.ts).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CATALOG, findCatalogModel } from '../../daemon/models/whisperCatalog';
import { NOTES_CATALOG } from '../../daemon/models/notesCatalog';
import { CatalogEntry, NotesModelList } from '../../protocol/protocol';
import { runEarshot } from './daemon-process';

interface ModelsJson { models: CatalogEntry[]; notes: NotesModelList; gpu: { name: string; via: string } | null }

/**
 * Whether this machine has a GPU, asked apart from the code under test: NVIDIA's or WSL's device nodes, or a discrete
 * non-software device in `earshot build-info` (which loads the GPU modules in its own process). Where there is one,
 * the CPU assertions do not apply.
 */
async function hasGpu(): Promise<boolean> {
  if (['/dev/nvidia0', '/dev/dxg'].some((f) => fs.existsSync(f))) return true;
  const info = await runEarshot(['build-info']);
  const devices = (JSON.parse(info.stdout) as { gpuDevices: { type: string; description: string }[] }).gpuDevices;
  return devices.some((d) => d.type === 'gpu' && !/^(llvmpipe|SwiftShader)/i.test(d.description));
}

/** A folder for one run: its own storage (so no GPU answer is kept from another run) and model cache. */
function runDir(dirs: string[]): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-gpu-rec-'));
  dirs.push(dir);
  return { dir, env: { EARSHOT_STORAGE: path.join(dir, 'storage'), EARSHOT_MODEL: '' } };
}

async function models(env: NodeJS.ProcessEnv): Promise<ModelsJson> {
  const run = await runEarshot(['models', '--json'], env);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as ModelsJson;
}

/** The CPU recommendations: an 8-bit whisper model (never the large one), a notes model chosen without a GPU. */
function assertCpu(list: ModelsJson): void {
  const whisper = list.models.filter((m) => m.recommended);
  assert.equal(whisper.length, 1);
  const model = findCatalogModel(whisper[0].id)!;
  assert.notEqual(model.tier, 'large', whisper[0].id);
  assert.equal(model.quantization, 'q8_0', `${whisper[0].id}: the CPU's 8-bit weights`);
  assert.doesNotMatch(list.notes.reason, /GPU \(/, list.notes.reason);
  assert.match(list.notes.reason, /no GPU|cores/, list.notes.reason);
  assert.equal(list.gpu, null, JSON.stringify(list.gpu));
}

/** A fake CUDA toolkit: the runtime library where the toolkit's variables say, and an nvidia-smi on PATH. */
function cudaToolkit(dir: string, nvidiaSmi: string): NodeJS.ProcessEnv {
  const root = path.join(dir, 'cuda');
  const lib = path.join(root, 'lib64');
  const bin = path.join(root, 'bin');
  fs.mkdirSync(lib, { recursive: true });
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(lib, 'libcudart.so.12'), '');
  fs.writeFileSync(path.join(bin, 'nvidia-smi'), `#!/bin/sh\n${nvidiaSmi}\n`, { mode: 0o755 });
  return { CUDA_PATH: root, CUDA_HOME: root, LD_LIBRARY_PATH: lib, PATH: `${bin}${path.delimiter}${process.env.PATH}` };
}

describe('recommendations count a GPU only where one is found (real CLI)', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  let gpuHere = false;

  before(async () => {
    gpuHere = await hasGpu();
  });
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('`earshot models --json` lists the sha256 of every whisper and notes model', async () => {
    const list = await models(runDir(dirs).env);
    for (const m of list.models) assert.equal(m.sha256, CATALOG.find((c) => c.id === m.id)!.sha256, m.id);
    for (const m of list.notes.models) assert.equal(m.sha256, NOTES_CATALOG.find((c) => c.id === m.id)!.sha256, m.id);
    assert.ok([...list.models, ...list.notes.models].every((m) => /^[0-9a-f]{64}$/.test(m.sha256)));
  });

  it('`earshot models --json` on this machine, which has no GPU: the CPU recommendations', async function () {
    if (gpuHere || (process.platform === 'darwin' && os.arch() === 'arm64')) this.skip(); // a GPU here: other recommendations
    assertCpu(await models(runDir(dirs).env));
  });

  it('a CUDA toolkit and an nvidia-smi without a driver (exit 9): still the CPU recommendations, for `models` and `transcribe`', async function () {
    if (process.platform === 'win32' || process.platform === 'darwin' || gpuHere) this.skip();
    const { dir, env } = runDir(dirs);
    Object.assign(env, cudaToolkit(dir, `echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running."\necho\nexit 9`));
    assertCpu(await models(env));
    const text = await runEarshot(['models'], env);
    assert.match(text.stdout, /^GPU: none found \(.*nvidia-smi: exit 9: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.*\): the recommendations are for the CPU\.$/m);
    // The first download of `earshot transcribe` is the recommended model: refused here, it names the one it would fetch.
    const transcribe = await runEarshot(['transcribe', '--no-download'], env);
    const wanted = /the (\S+) model is not downloaded yet/.exec(transcribe.stderr)?.[1];
    assert.ok(wanted, transcribe.stderr);
    assert.equal(findCatalogModel(wanted)!.quantization, 'q8_0', wanted);
    assert.notEqual(findCatalogModel(wanted)!.tier, 'large', wanted);
  });

  it('an NVIDIA GPU nvidia-smi lists: named for the notes model; whisper, whose module finds no device for it, stays on the CPU', async function () {
    if (process.platform === 'win32' || process.platform === 'darwin' || gpuHere) this.skip();
    const { dir, env } = runDir(dirs);
    Object.assign(env, cudaToolkit(dir, 'echo "GPU 0: NVIDIA GeForce RTX 4060 (UUID: GPU-e1924eea-b9bb-d537-39f2-b345087fa145)"'));
    const list = await models(env);
    const whisper = findCatalogModel(list.models.find((m) => m.recommended)!.id)!;
    assert.equal(whisper.quantization, 'q8_0', whisper.id);
    assert.match(list.notes.reason, /a GPU \(NVIDIA GeForce RTX 4060, listed by nvidia-smi\)/);
    assert.deepEqual(list.gpu, { name: 'NVIDIA GeForce RTX 4060', via: 'listed by nvidia-smi' });
  });
});
