/**
 * What this machine can run, and which catalog model to use by default.
 *
 * detectMachine() gathers the facts (memory, cores, the whisper build scripts/build-whisper.js wants for
 * this CPU, which tells AVX2 and Apple Silicon, and whether CUDA is present); recommendModel() is a pure
 * function of those facts and the user's settings, so every rule is testable with made-up machines.
 * A model chosen in the settings always wins.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CATALOG, CatalogModel, CatalogModelId, findCatalogModel, ModelTier, modelForTier } from './catalog';

/** scripts/build-whisper.js's names for the whisper builds (plus 'unknown' when it cannot be read). */
export type WhisperBuildKind = 'metal' | 'x86-64-v3' | 'portable' | 'default' | 'unknown';

export interface MachineFacts {
  platform: NodeJS.Platform;
  arch: string;
  totalMemoryBytes: number;
  /** Cores the process may use (os.availableParallelism()). */
  cores: number;
  /** AVX2+FMA+F16C (x86-64-v3); null where it is not known (Windows, whose build ignores it). */
  avx2: boolean | null;
  /** The whisper build this machine gets (build-whisper.js's wantedBuild().kind). */
  whisperBuild: WhisperBuildKind;
  appleSilicon: boolean;
  /** whisper.cpp can use Metal (Apple Silicon: smart-whisper's own Metal build). */
  metal: boolean;
  /** An NVIDIA driver or CUDA runtime is installed. */
  cuda: boolean;
  /** What showed CUDA (for logs), or null. */
  cudaEvidence: string | null;
  /** The installed whisper addon has a GPU module an NVIDIA GPU runs: Vulkan (the packages carry it) or CUDA (built by hand). */
  whisperGpu: boolean;
}

export interface ModelChoiceSettings {
  /** Catalog id chosen by the user; empty or absent: choose from the machine. */
  model?: string;
  /** Spoken language code (`en`, `de`, …); English gets the English-only models. */
  language?: string;
}

export interface ModelChoice {
  model: CatalogModel;
  /** 'setting': the user's choice; 'detected': chosen from the machine. */
  source: 'setting' | 'detected';
  /** One sentence saying why. */
  reason: string;
  /** Things the user may want to know (an English-only model for another language, an unknown id). */
  warnings: string[];
}

const GiB = 1024 ** 3;
/** The package root from out/daemon/asr/ (compiled) — where scripts/build-whisper.js lives. */
const PACKAGE_ROOT = path.join(__dirname, '..', '..', '..');

export function isEnglish(language: string | undefined): boolean {
  return /^en(?:[-_]|$)/i.test(language?.trim() ?? '');
}

function memory(bytes: number): string {
  return `${Math.round(bytes / GiB)} GB`;
}

/** The model tier the facts support, with the reason, and whether whisper runs on a GPU there. */
function tierFor(f: MachineFacts): { tier: ModelTier; reason: string; gpu: boolean } {
  const ram = f.totalMemoryBytes;
  if (f.metal) {
    if (ram >= 16 * GiB) return { tier: 'large', gpu: true, reason: `Apple Silicon with Metal and ${memory(ram)} of memory runs the large turbo model live` };
    if (ram >= 8 * GiB) return { tier: 'small', gpu: true, reason: `Apple Silicon with Metal and ${memory(ram)} of memory` };
    return { tier: 'base', gpu: true, reason: `Apple Silicon with only ${memory(ram)} of memory` };
  }
  if (f.cuda && f.whisperGpu && ram >= 8 * GiB) {
    return { tier: 'large', gpu: true, reason: `NVIDIA GPU with whisper's GPU module and ${memory(ram)} of memory` };
  }
  const unusedGpu = f.cuda && !f.whisperGpu ? ' (an NVIDIA GPU, but this whisper build has no GPU module and runs on the CPU)' : '';
  // CPU: ggml is 9–10x faster with AVX2 (x86-64-v3); arm64 has NEON everywhere.
  const fastCpu = f.avx2 === true || f.arch === 'arm64';
  const cpu = `${f.cores} cores${f.avx2 === true ? ' with AVX2' : f.arch === 'arm64' ? ' (arm64)' : f.avx2 === false ? ' without AVX2' : ''}, ${memory(ram)} of memory`;
  if (fastCpu && f.cores >= 8 && ram >= 8 * GiB) return { tier: 'small', gpu: false, reason: `${cpu}${unusedGpu}` };
  if ((fastCpu && f.cores >= 4 && ram >= 4 * GiB) || (f.cores >= 8 && ram >= 8 * GiB)) return { tier: 'base', gpu: false, reason: `${cpu}${unusedGpu}` };
  return { tier: 'tiny', gpu: false, reason: `${cpu}: only the tiny model keeps up${unusedGpu}` };
}

/**
 * The model to use: the user's catalog choice if there is one, else the largest tier the machine runs
 * live, English-only for English; on the CPU in 8-bit weights (q8_0: 0.73–0.85× the decode time of f16 and ~60 MiB less
 * for base, measured here; BENCHMARKS.md, issue 16). Pure: same facts and settings, same answer.
 */
export function recommendModel(facts: MachineFacts, settings: ModelChoiceSettings = {}): ModelChoice {
  const english = isEnglish(settings.language ?? 'en');
  const warnings: string[] = [];
  const wanted = settings.model?.trim();
  if (wanted) {
    const chosen = findCatalogModel(wanted);
    if (chosen) {
      if (chosen.englishOnly && !english) {
        warnings.push(`${chosen.id} understands English only, but the language is set to "${settings.language}".`);
      }
      return { model: chosen, source: 'setting', reason: `${chosen.id} is chosen in the settings`, warnings };
    }
    warnings.push(`There is no whisper model "${wanted}" in the catalog (${CATALOG.map((m) => m.id).join(', ')}); choosing one for this machine instead.`);
  }
  const { tier, reason, gpu } = tierFor(facts);
  const model = modelForTier(tier, english, gpu ? 'f16' : 'q8_0');
  return { model, source: 'detected', reason: `${model.id}: ${reason}`, warnings };
}

/** The catalog id recommendModel() would choose (convenience for settings defaults). */
export function recommendedModelId(facts: MachineFacts, settings: ModelChoiceSettings = {}): CatalogModelId {
  return recommendModel(facts, settings).model.id;
}

interface BuildScript {
  wantedBuild(): { kind: WhisperBuildKind; flags: string | null };
  inspectBuild(): { ggmlCommand?: string | null; kind?: string; gpuBackends?: string[] };
}

function buildScript(packageRoot: string): BuildScript | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path.join(packageRoot, 'scripts', 'build-whisper.js')) as BuildScript;
  } catch {
    return null;
  }
}

function run(command: string, args: string[], timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, windowsHide: true }, (error, stdout) => resolve(error ? null : stdout));
  });
}

const CUDA_LIB_DIRS = [
  '/usr/local/cuda/lib64', '/usr/local/cuda/targets/x86_64-linux/lib', '/usr/local/cuda/targets/sbsa-linux/lib', '/opt/cuda/lib64',
  '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib/wsl/lib',
];

/** Evidence of CUDA: the CUDA runtime library, the toolkit's env variables, or nvidia-smi listing a GPU. */
export async function detectCuda(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): Promise<string | null> {
  if (platform === 'darwin') return null;
  const libPattern = platform === 'win32' ? /^cudart64_\d+\.dll$/i : /^libcudart\.so(\.\d+)*$/;
  const dirs = [...CUDA_LIB_DIRS];
  for (const root of [env.CUDA_PATH, env.CUDA_HOME]) {
    if (root) dirs.unshift(path.join(root, platform === 'win32' ? 'bin' : 'lib64'));
  }
  if (platform !== 'win32') dirs.push(...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean));
  for (const dir of platform === 'win32' ? dirs.filter((d) => !d.startsWith('/')) : dirs) {
    try {
      const hit = (await fs.readdir(dir)).find((name) => libPattern.test(name));
      if (hit) return path.join(dir, hit);
    } catch {
      // not there
    }
  }
  const gpus = await run('nvidia-smi', ['-L'], 3000);
  if (gpus && /GPU \d+:/.test(gpus)) return `nvidia-smi: ${gpus.trim().split('\n')[0]}`;
  return null;
}

export interface DetectOptions {
  env?: NodeJS.ProcessEnv;
  /** Where scripts/build-whisper.js is (the package root). */
  packageRoot?: string;
  /** Skip the CUDA probe (it may run nvidia-smi). */
  probeCuda?: boolean;
}

/** The facts about this machine that recommendModel() needs. */
export async function detectMachine(options: DetectOptions = {}): Promise<MachineFacts> {
  const script = buildScript(options.packageRoot ?? PACKAGE_ROOT);
  let whisperBuild: WhisperBuildKind = 'unknown';
  let whisperGpu = false;
  try {
    if (script) whisperBuild = script.wantedBuild().kind;
  } catch {
    // keep 'unknown'
  }
  try {
    // The new core records its GPU modules; the bundled build's ggml compile command defines GGML_USE_CUDA for CUDA.
    const build = script?.inspectBuild();
    whisperGpu = (build?.gpuBackends ?? []).some((g) => g === 'cuda' || g === 'vulkan') || /GGML_USE_CUDA|GGML_USE_CUBLAS/.test(build?.ggmlCommand ?? '');
  } catch {
    // smart-whisper not installed here: no CUDA build either
  }
  const platform = process.platform;
  const arch = os.arch();
  const appleSilicon = platform === 'darwin' && arch === 'arm64';
  // build-whisper.js picks x86-64-v3 exactly when the CPU has AVX2+FMA+F16C; on Windows it does not look.
  const avx2 = whisperBuild === 'x86-64-v3' ? true : arch === 'x64' && (platform === 'win32' || whisperBuild === 'unknown') ? null : false;
  const cudaEvidence = options.probeCuda === false ? null : await detectCuda(options.env ?? process.env, platform);
  return {
    platform,
    arch,
    totalMemoryBytes: os.totalmem(),
    cores: os.availableParallelism(),
    avx2,
    whisperBuild,
    appleSilicon,
    metal: appleSilicon && (whisperBuild === 'metal' || whisperBuild === 'unknown'),
    cuda: cudaEvidence !== null,
    cudaEvidence,
    whisperGpu,
  };
}
