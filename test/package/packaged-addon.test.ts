/**
 * The whisper addon as users get it: `npm run test:vsix` packages this platform's VSIX, unpacks it into
 * EARSHOT_PACKAGE_DIR and runs this suite against the unpacked extension's own CLI (bin/earshot.js, its node_modules),
 * nothing of the development tree.
 *
 * - Every CPU: Debian's qemu-user emulates a CPU without AVX (`-cpu Nehalem`: SSE4.2) and one with AVX but no AVX2
 *   (`-cpu SandyBridge`). Each loads the CPU variant it can run (sse42, sandybridge) and transcribes the sample to the
 *   same text as this machine's own best variant, with a random-weights model (its tokens follow every multiplication).
 *   The x86-64-v3 addon the package carried before died there of SIGILL.
 * - The GPU without a build: the package's Vulkan module runs the same transcription on Mesa's software Vulkan device
 *   (lavapipe, which ggml skips unless GGML_VK_VISIBLE_DEVICES names it) and gives the CPU's text.
 *
 * The emulated and Vulkan runs transcribe the sample's last 11 s (three turns): under TCG the whole sample took 175 s of
 * one core here, its last 11 s 60 s; on lavapipe 32 and 12 s of both cores (2026-11-29); they run beside the Wine suite
 * in `npm test`.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DAEMON_ALLOCATOR_ENV, DAEMON_NODE_FLAGS } from '../../protocol/allocator';
import { findExecutable } from '../../daemon/capture/tools';
import { randomMiniModel } from '../setup';
import { wavHeader } from '../../daemon/capture/debugAudio';
import { SAMPLE_RATE } from '../../daemon/capture/source';

const PACKAGE = process.env.EARSHOT_PACKAGE_DIR ?? '';
/** Mesa's software Vulkan driver, as Debian and Ubuntu install it (mesa-vulkan-drivers). */
const LAVAPIPE_ICD = `/usr/share/vulkan/icd.d/lvp_icd.${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}.json`;

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Runs the package's CLI (under `qemu` when given) with the settings its own re-exec would give, so it stays in the emulator. */
function cli(args: string[], { qemuCpu, env = {}, timeoutMs = 600_000 }: { qemuCpu?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Run> {
  const node = [process.execPath, ...DAEMON_NODE_FLAGS, path.join(PACKAGE, 'bin', 'earshot.js'), ...args];
  const [command, ...argv] = qemuCpu ? ['qemu-x86_64', '-cpu', qemuCpu, ...node] : node;
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-package-'));
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, {
      cwd, env: { ...process.env, ...DAEMON_ALLOCATOR_ENV, EARSHOT_STORAGE: path.join(cwd, 'storage'), EARSHOT_OFFLINE: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      fs.rmSync(cwd, { recursive: true, force: true });
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** `wav` (16 kHz mono 16-bit behind a canonical 44-byte header, as the sample is) from `fromSec` on, in a folder of its own. */
function sampleFrom(wav: string, fromSec: number): string {
  const bytes = fs.readFileSync(wav);
  assert.equal(bytes.toString('latin1', 36, 40), 'data', `${wav}: not a canonical 44-byte WAV header`);
  const data = bytes.subarray(44 + fromSec * SAMPLE_RATE * 2);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-excerpt-')), `sample-from-${fromSec}s.wav`);
  fs.writeFileSync(file, Buffer.concat([wavHeader(data.length), data]));
  return file;
}

function buildInfo(run: Run): { cpuVariant: string | null; cpuBackend: string | null; gpuDevices: { backend: string; description: string; type: string }[] } {
  assert.equal(run.signal, null, `build-info was killed by ${run.signal}: ${run.stderr.slice(-500)}`);
  return JSON.parse(run.stdout);
}

function transcript(run: Run, what: string): string[] {
  assert.equal(run.signal, null, `${what}: killed by ${run.signal} (${run.stderr.slice(-500)})`);
  assert.equal(run.code, 0, `${what}: exit ${run.code}: ${run.stderr.slice(-800)}`);
  const lines = run.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { text: string }).text);
  assert.ok(lines.length >= 3 && lines.every((t) => t.trim().length > 0), `${what}: ${run.stdout}`);
  return lines;
}

describe('the packaged whisper addon', function () {
  this.timeout(30 * 60_000);
  const sample = () => path.join(PACKAGE, 'media', 'sample', 'standup.wav');
  const transcribe = (wav = sample()) => ['transcribe', wav, '--model', randomMiniModel(), '--json', '--no-download'];
  /** This machine's own run, made once for the tests that compare with it. */
  let hostRun: Promise<Run> | undefined;
  const host = () => (hostRun ??= cli(transcribe()));
  /** The sample from 19 s on (its last three turns), which the emulated CPUs and lavapipe transcribe, and this machine's run of it. */
  let excerptFile: string | undefined;
  const excerpt = () => (excerptFile ??= sampleFrom(sample(), 19));
  let hostExcerptRun: Promise<Run> | undefined;
  const hostExcerpt = () => (hostExcerptRun ??= cli(transcribe(excerpt())));
  const EMULATED = [['Nehalem', 'sse42'], ['SandyBridge', 'sandybridge']] as const;
  /**
   * Each emulated CPU's build-info and transcription, started together before the tests: each emulator runs one thread
   * (the CLI decodes with 1 thread on 2 cores), so the two share the cores instead of taking turns (about a minute less).
   */
  const emulated = new Map<string, Promise<{ info: Run; run: Run }>>();
  const emulate = (cpu: string) => {
    let runs = emulated.get(cpu);
    if (!runs) {
      runs = cli(['build-info'], { qemuCpu: cpu }).then(async (info) => ({ info, run: await cli(transcribe(excerpt()), { qemuCpu: cpu }) }));
      runs.catch(() => undefined); // awaited by its test, which reports the failure
      emulated.set(cpu, runs);
    }
    return runs;
  };

  after(() => {
    if (excerptFile) fs.rmSync(path.dirname(excerptFile), { recursive: true, force: true });
  });

  before(function () {
    if (!PACKAGE) throw new Error('EARSHOT_PACKAGE_DIR: the unpacked VSIX (npm run test:vsix sets it)');
    assert.ok(fs.existsSync(path.join(PACKAGE, 'bin', 'earshot.js')), `${PACKAGE} holds no extension`);
    if (process.arch === 'x64' && process.platform === 'linux' && findExecutable('qemu-x86_64')) for (const [cpu] of EMULATED) emulate(cpu);
  });

  it('loads the best CPU variant of the package for this machine and transcribes the sample', async () => {
    const info = buildInfo(await cli(['build-info']));
    const release = path.join(PACKAGE, 'node_modules', 'smart-whisper', 'build', 'Release');
    assert.equal(path.dirname(info.cpuBackend ?? ''), release, 'the CPU module comes from the package');
    const flags = process.platform === 'linux' ? fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1].split(/\s+/) ?? [] : [];
    if (flags.includes('avx2')) assert.ok(!['x64', 'sse42', 'sandybridge', 'ivybridge'].includes(info.cpuVariant ?? ''), `${info.cpuVariant}: a variant without AVX2 on a CPU with it`);
    const run = await host();
    transcript(run, 'this machine');
    // 'auto' takes a discrete GPU only: lavapipe, a CPU posing as a Vulkan device, is not one unless asked for.
    assert.doesNotMatch(run.stderr, /whisper runs on the GPU/);
  });

  for (const [cpu, variant] of EMULATED) {
    it(`runs on a CPU ${cpu === 'Nehalem' ? 'without AVX' : 'with AVX but no AVX2'} (qemu -cpu ${cpu}): the ${variant} variant, the same text`, async function () {
      if (process.arch !== 'x64' || process.platform !== 'linux') this.skip();
      assert.ok(findExecutable('qemu-x86_64'), 'qemu-x86_64 (Debian qemu-user) is installed by scripts/test-deps.sh');
      const { info, run } = await emulate(cpu);
      assert.equal(buildInfo(info).cpuVariant, variant);
      assert.deepEqual(transcript(run, `qemu -cpu ${cpu}`), transcript(await hostExcerpt(), 'this machine'));
    });
  }

  it("runs on a Vulkan device with the package's Vulkan module (Mesa's lavapipe): the CPU's text", async function () {
    if (process.platform !== 'linux') this.skip();
    assert.ok(fs.existsSync(LAVAPIPE_ICD), `${LAVAPIPE_ICD}: mesa-vulkan-drivers (scripts/vulkan-sdk.sh installs it)`);
    const vulkan = { GGML_VK_VISIBLE_DEVICES: '0', VK_ICD_FILENAMES: LAVAPIPE_ICD, EARSHOT_GPU: '1' };
    const info = buildInfo(await cli(['build-info'], { env: vulkan }));
    const device = info.gpuDevices.find((d) => d.backend === 'Vulkan');
    assert.ok(device, `no Vulkan device: ${JSON.stringify(info.gpuDevices)} (is the Vulkan module in the package?)`);
    assert.match(device.description, /llvmpipe/);
    const run = await cli(transcribe(excerpt()), { env: vulkan });
    assert.match(run.stderr, /whisper runs on the GPU: llvmpipe/, 'decoded on the Vulkan device, not the CPU');
    assert.deepEqual(transcript(run, 'Vulkan (lavapipe)'), transcript(await hostExcerpt(), 'this machine'));
  });
});
