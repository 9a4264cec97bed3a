/**
 * The GPUs this machine has, as the recommendations count them (capabilities.ts, notesCatalog.ts): a GPU is a device
 * that is there, found by
 * - whisper's GPU modules (gpuProbe.ts asks them in a child): a discrete GPU, not a software renderer posing as one;
 * - `nvidia-smi -L` listing an NVIDIA GPU.
 * Apple Silicon's GPU is part of the chip; capabilities.ts counts it (Metal) from the platform. A CUDA toolkit or runtime
 * library on disk is never enough: dev containers, WSL and CI machines install it where there is no GPU.
 *
 * Looking costs the probe's child (0.17 s of CPU and 107 MB at its peak here, where Mesa's drivers find nothing:
 * BENCHMARKS.md, issue 39) and nvidia-smi (it starts the driver: longer on a GPU machine). So the answer is kept in the storage folder for a day at most, keyed by
 * what would change it: the whisper build, the GPU device nodes and Vulkan drivers, the variables that choose devices,
 * the boot. Owns the looking and that cache; which model a GPU earns is capabilities.ts's.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { probeGpuOnce, ProbedDevice, GpuProbe } from './gpuProbe';

/** A GPU whisper's GPU module found: ggml's description of it and the module ('Vulkan', 'CUDA'). */
export interface WhisperGpu {
  name: string;
  backend: string;
}

export interface GpusFound {
  /** The discrete GPU whisper's GPU modules found, or null. */
  whisper: WhisperGpu | null;
  /** NVIDIA GPUs `nvidia-smi -L` lists, by name; empty where it is missing, fails or lists none. */
  nvidia: string[];
  /** What each look said where it found nothing (for `earshot models` and logs). */
  notes: string[];
}

/**
 * Mesa's CPU renderers and Google's SwiftShader: Vulkan devices of type CPU that ggml-vulkan lists as 'gpu' once
 * GGML_VK_VISIBLE_DEVICES names them (it reports only integrated or not: ggml-vulkan.cpp,
 * ggml_backend_vk_device_get_type). Mesa names lavapipe's device after llvmpipe's renderer string,
 * "llvmpipe (LLVM 15.0.6, 256 bits)" here (src/gallium/drivers/llvmpipe/lp_screen.c). A GPU for whisper's 'auto' when
 * the user asks for it, never one for the recommendations: it decodes 20x slower than the CPU (BENCHMARKS.md, issue 27).
 */
export function isSoftwareRenderer(device: Pick<ProbedDevice, 'description' | 'type'>): boolean {
  return device.type === 'cpu' || /^(llvmpipe|lavapipe|softpipe|SwiftShader)\b/i.test(device.description.trim());
}

/** The device the recommendations count from the probe's list: a discrete GPU, not a software renderer. */
export function countedGpu(devices: readonly ProbedDevice[]): ProbedDevice | undefined {
  return devices.find((d) => d.type === 'gpu' && !isSoftwareRenderer(d));
}

/**
 * The GPUs of `nvidia-smi -L` (exit 0 only): one line per GPU, `GPU 0: NVIDIA GeForce RTX 4060 (UUID: GPU-…)`, MIG
 * devices indented under theirs (as in influxdata/telegraf#5812). Where there is none it prints "No devices were found"
 * (NVIDIA/open-gpu-kernel-modules#862), or fails: "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA
 * driver" with exit code 9, "NVIDIA driver is not loaded" (nvidia-smi(1), RETURN VALUE); "Failed to initialize NVML: …"
 * with 18 or 255 (anderskm/gputil#55, kubernetes-sigs/dra-driver-nvidia-gpu#1008). Only a listed GPU counts.
 */
export function parseNvidiaSmiList(stdout: string, exitCode: number | null): string[] {
  if (exitCode !== 0) return [];
  return stdout.split(/\r?\n/).flatMap((line) => {
    const gpu = /^GPU \d+: (.+?) \(UUID: GPU-[0-9a-f-]+\)\s*$/i.exec(line);
    return gpu ? [gpu[1].trim()] : [];
  });
}

export interface CommandResult {
  /** The exit code; null when it did not run to an end (not found, killed). */
  code: number | null;
  stdout: string;
  /** Why it did not run (ENOENT, a timeout), or its stderr's last line when it failed. */
  error?: string;
}

/** Runs a command; a seam for tests. */
export type CommandRunner = (command: string, args: string[]) => Promise<CommandResult>;

/** nvidia-smi starts the driver when no persistence daemon keeps it: seconds at worst, never this long. */
const NVIDIA_SMI_TIMEOUT_MS = 10_000;

const runCommand: CommandRunner = (command, args) => new Promise((resolve) => {
  execFile(command, args, { timeout: NVIDIA_SMI_TIMEOUT_MS, windowsHide: true, encoding: 'utf8' }, (error, stdout, stderr) => {
    if (!error) return resolve({ code: 0, stdout });
    const code = typeof error.code === 'number' ? error.code : null;
    const why = error.killed ? `no answer in ${NVIDIA_SMI_TIMEOUT_MS / 1000} s` : code === null ? String(error.code ?? error.message)
      : `exit ${code}: ${`${stdout}\n${stderr}`.trim().split('\n')[0] ?? ''}`;
    resolve({ code, stdout, error: why });
  });
});

/**
 * In WSL 2 the driver's nvidia-smi is /usr/lib/wsl/lib/nvidia-smi, which a login's PATH may lack (NVIDIA's CUDA on
 * WSL guide, known limitations; NVIDIA/nvidia-container-toolkit#1782).
 */
const WSL_NVIDIA_SMI = '/usr/lib/wsl/lib/nvidia-smi';

/** The NVIDIA GPUs `nvidia-smi -L` lists, and what it said where it listed none. */
export async function listNvidiaGpus(run: CommandRunner = runCommand, platform: NodeJS.Platform = process.platform,
  wslNvidiaSmi: string = WSL_NVIDIA_SMI): Promise<{ gpus: string[]; note?: string }> {
  if (platform === 'darwin') return { gpus: [] };
  let result = await run('nvidia-smi', ['-L']);
  if (result.code === null && /ENOENT/.test(result.error ?? '') && platform === 'linux' && existsSync(wslNvidiaSmi)) {
    result = await run(wslNvidiaSmi, ['-L']);
  }
  const gpus = parseNvidiaSmiList(result.stdout, result.code);
  if (gpus.length > 0) return { gpus };
  const said = /ENOENT/.test(result.error ?? '') ? 'not installed' : result.error ?? (result.stdout.trim().split('\n')[0] || 'no GPU listed');
  return { gpus: [], note: `nvidia-smi: ${said}` };
}

/** The discrete GPU whisper's GPU modules find (not a software renderer), and what the probe said where none. */
export function whisperGpuOf(probe: GpuProbe): { device: WhisperGpu | null; note?: string } {
  const gpu = countedGpu(probe.devices);
  if (gpu) return { device: { name: gpu.description, backend: gpu.backend } };
  if (probe.error) return { device: null, note: `whisper's GPU module: ${probe.error}` };
  const others = probe.devices.map((d) => `${d.description}${isSoftwareRenderer(d) ? ', a software renderer' : `, ${d.type}`}`);
  return { device: null, note: `whisper's GPU module: ${others.length ? `no discrete GPU (${others.join('; ')})` : 'no device found'}` };
}

export interface FindGpusOptions {
  /** Whether whisper's addon has a GPU module to ask (build-whisper.js's gpuBackends): without one there is no probe. */
  whisperGpuModules: boolean;
  /** Where the answer is kept between commands (the storage folder); none: not kept. */
  cacheDir?: string;
  /** What the build looks like (build-whisper.js's inspectBuild()): a rebuilt addon may find other devices. */
  build?: unknown;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Seams for tests. */
  probe?: () => Promise<GpuProbe>;
  runCommand?: CommandRunner;
  now?: () => number;
  fingerprint?: () => Promise<unknown>;
}

/** How long a kept answer is trusted whatever its key says (a driver update on Windows, say, changes nothing we read). */
export const GPU_CACHE_MAX_AGE_MS = 24 * 3600_000;
export const CACHE_FILE = 'gpus.json';

/**
 * The GPUs found here (a kept answer while its key matches and it is less than a day old; else looked for, and kept).
 * Never throws: a failed look finds nothing.
 */
export async function findGpus(options: FindGpusOptions): Promise<GpusFound> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const now = options.now ?? Date.now;
  const key = createHash('sha256').update(JSON.stringify({
    v: 1, whisperGpuModules: options.whisperGpuModules, build: options.build ?? null,
    system: await (options.fingerprint ?? (() => systemFingerprint(env, platform)))(),
  })).digest('hex');
  const file = options.cacheDir ? path.join(options.cacheDir, CACHE_FILE) : undefined;
  if (file) {
    const kept = await fs.readFile(file, 'utf8').then((text) => JSON.parse(text) as { key?: string; at?: number; found?: GpusFound }, () => undefined);
    const age = now() - (kept?.at ?? -Infinity);
    if (kept?.key === key && age >= 0 && age < GPU_CACHE_MAX_AGE_MS && isGpusFound(kept.found)) return kept.found;
  }
  // Both at once: each may take a while where a driver starts.
  const [probe, nvidia] = await Promise.all([
    options.whisperGpuModules ? (options.probe ?? probeGpuOnce)() : Promise.resolve<GpuProbe | null>(null),
    listNvidiaGpus(options.runCommand ?? runCommand, platform),
  ]);
  const whisper = probe ? whisperGpuOf(probe) : { device: null, note: "whisper's build has no GPU module" };
  const found: GpusFound = {
    whisper: whisper.device, nvidia: nvidia.gpus, notes: [whisper.note, nvidia.note].filter((n): n is string => !!n),
  };
  // A probe that failed (a crash, a timeout) is not kept: the next command asks again.
  if (file && !probe?.error) {
    const temp = `${file}.${process.pid}.tmp`;
    await fs.mkdir(path.dirname(file), { recursive: true })
      .then(() => fs.writeFile(temp, JSON.stringify({ key, at: now(), found })))
      .then(() => fs.rename(temp, file))
      .catch(() => fs.rm(temp, { force: true }).catch(() => undefined)); // a read-only folder: looked for again next time
  }
  return found;
}

function isGpusFound(value: unknown): value is GpusFound {
  const v = value as GpusFound | undefined;
  return !!v && (v.whisper === null || (typeof v.whisper?.name === 'string' && typeof v.whisper.backend === 'string'))
    && Array.isArray(v.nvidia) && Array.isArray(v.notes);
}

/** The variables that choose GPU devices for ggml's Vulkan and CUDA modules, the Vulkan loader and NVIDIA's runtime. */
const DEVICE_VARIABLES = ['GGML_VK_VISIBLE_DEVICES', 'CUDA_VISIBLE_DEVICES', 'NVIDIA_VISIBLE_DEVICES', 'VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'VK_ADD_DRIVER_FILES'];

/**
 * What changes when a GPU or a driver comes or goes, read in a few milliseconds: on Linux the device nodes (/dev/nvidia*,
 * /dev/dri, WSL's /dev/dxg), the Vulkan drivers' manifests, the NVIDIA kernel driver's version and the boot; everywhere
 * the variables that choose devices. Elsewhere the day's limit does the rest.
 */
async function systemFingerprint(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): Promise<unknown> {
  const variables = Object.fromEntries(DEVICE_VARIABLES.map((v) => [v, env[v] ?? null]));
  if (platform !== 'linux') return { platform, variables };
  const names = (dir: string, filter: (n: string) => boolean = () => true) => fs.readdir(dir).then((n) => n.filter(filter).sort(), () => null);
  const manifests = (dir: string) => fs.readdir(dir).then((ns) => Promise.all(ns.sort().map((n) => fs.stat(path.join(dir, n)).then((s) => `${n}:${s.size}:${s.mtimeMs}`, () => n))), () => null);
  const text = (file: string) => fs.readFile(file, 'utf8').then((t) => t.trim(), () => null);
  const [dev, dri, icd, etcIcd, localIcd, nvidia, boot] = await Promise.all([
    names('/dev', (n) => n.startsWith('nvidia') || n === 'dxg' || n === 'kfd'), names('/dev/dri'),
    manifests('/usr/share/vulkan/icd.d'), manifests('/etc/vulkan/icd.d'), manifests('/usr/local/share/vulkan/icd.d'),
    text('/proc/driver/nvidia/version'), text('/proc/sys/kernel/random/boot_id'),
  ]);
  return { platform, variables, dev, dri, icd, etcIcd, localIcd, nvidia, boot };
}
