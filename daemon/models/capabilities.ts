/**
 * What this machine can run, and which catalog model to use by default.
 *
 * detectMachine() gathers the facts (memory, cores, the whisper build scripts/build-whisper.js wants for
 * this CPU, which tells AVX2 and Apple Silicon, and the GPUs found: gpus.ts); recommendModel() is a pure
 * function of those facts and the user's settings, so every rule is testable with made-up machines.
 * A model chosen in the settings always wins. machineGpu() is the one answer to "is there a GPU" that every
 * recommendation uses (the whisper catalog here, the notes catalog, and through them `earshot models`, the
 * first download, the pickers).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { CATALOG, CatalogModel, CatalogModelId, findCatalogModel, ModelTier, modelForTier } from './whisperCatalog';
import { findGpus, GpusFound, WhisperGpu } from './gpus';

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
  /**
   * whisper.cpp can use Metal: Apple Silicon, whose GPU is part of every such chip, with the Metal build (ggml-metal
   * takes the system's default Metal device).
   */
  metal: boolean;
  /** The installed whisper addon has a GPU module: Vulkan (the packages carry it) or CUDA (built by hand). */
  whisperGpu: boolean;
  /**
   * The discrete GPU whisper's GPU module found (gpus.ts: a device, not a software renderer), e.g. "NVIDIA GeForce RTX
   * 4060" through "Vulkan": what whisper runs on with earshot.gpu 'auto'. null: none found, or no GPU module.
   */
  whisperGpuDevice: WhisperGpu | null;
  /** NVIDIA GPUs `nvidia-smi -L` lists (gpus.ts); empty where it is missing, fails or lists none. */
  nvidiaGpus: string[];
  /** What the looks for a GPU said where they found none (for `earshot models` and logs). */
  gpuNotes?: string[];
}

/** A GPU the recommendations count, and what found it. */
export interface MachineGpu {
  name: string;
  /** How it was found: 'through Metal', "found by whisper's Vulkan module", 'listed by nvidia-smi'. */
  via: string;
}

/**
 * The GPU this machine has for the recommendations, or null: Apple Silicon's (Metal), the discrete GPU whisper's GPU
 * module found, or one `nvidia-smi -L` lists. Found devices only: a CUDA toolkit or library on disk is not a GPU.
 */
export function machineGpu(f: Pick<MachineFacts, 'metal' | 'whisperGpuDevice' | 'nvidiaGpus'>): MachineGpu | null {
  if (f.metal) return { name: "Apple Silicon's GPU", via: 'through Metal' };
  if (f.whisperGpuDevice) return { name: f.whisperGpuDevice.name, via: `found by whisper's ${f.whisperGpuDevice.backend} module` };
  if (f.nvidiaGpus.length > 0) return { name: f.nvidiaGpus[0], via: 'listed by nvidia-smi' };
  return null;
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
  // Whisper runs on a GPU only where its module finds one (asr/whisper.ts, 'auto'): an NVIDIA GPU it cannot see stays unused.
  if (f.whisperGpuDevice && ram >= 8 * GiB) {
    return { tier: 'large', gpu: true, reason: `${f.whisperGpuDevice.name} found by whisper's ${f.whisperGpuDevice.backend} module, and ${memory(ram)} of memory` };
  }
  const unusedGpu = f.nvidiaGpus.length > 0 && !f.whisperGpuDevice
    ? ` (an NVIDIA GPU, ${f.nvidiaGpus[0]}, but ${f.whisperGpu ? "whisper's GPU module finds no device on it" : 'this whisper build has no GPU module'}: whisper runs on the CPU)`
    : '';
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
  inspectBuild(): { ggmlCommand?: string | null; kind?: string; gpuBackends?: string[]; addon?: string; builtAt?: string };
}

function buildScript(packageRoot: string): BuildScript | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path.join(packageRoot, 'scripts', 'build-whisper.js')) as BuildScript;
  } catch {
    return null;
  }
}

export interface DetectOptions {
  env?: NodeJS.ProcessEnv;
  /** Where scripts/build-whisper.js is (the package root). */
  packageRoot?: string;
  /** Look for GPUs (gpus.ts); false: none looked for, none found (tests of the rest). */
  probeGpus?: boolean;
  /** Where the GPUs found are kept between commands (the storage folder); none: looked for in each process. */
  storageDir?: string;
  /** How GPUs are found; a seam for tests. */
  findGpus?: typeof findGpus;
}

/** The facts about this machine that recommendModel() needs. */
export async function detectMachine(options: DetectOptions = {}): Promise<MachineFacts> {
  const script = buildScript(options.packageRoot ?? PACKAGE_ROOT);
  let whisperBuild: WhisperBuildKind = 'unknown';
  let whisperGpu = false;
  /** What identifies the installed addon for the GPUs kept (gpus.ts): a rebuild may bring other GPU modules. */
  let buildIdentity: unknown = null;
  try {
    if (script) whisperBuild = script.wantedBuild().kind;
  } catch {
    // keep 'unknown'
  }
  try {
    // The new core records its GPU modules; the bundled build's ggml compile command defines GGML_USE_CUDA for CUDA.
    const build = script?.inspectBuild();
    whisperGpu = (build?.gpuBackends ?? []).some((g) => g === 'cuda' || g === 'vulkan') || /GGML_USE_CUDA|GGML_USE_CUBLAS/.test(build?.ggmlCommand ?? '');
    buildIdentity = build ? { addon: build.addon ?? null, builtAt: build.builtAt ?? null, gpuBackends: build.gpuBackends ?? null, ggml: build.ggmlCommand ?? null } : null;
  } catch {
    // smart-whisper not installed here: no CUDA build either
  }
  const platform = process.platform;
  const arch = os.arch();
  const appleSilicon = platform === 'darwin' && arch === 'arm64';
  // build-whisper.js picks x86-64-v3 exactly when the CPU has AVX2+FMA+F16C; on Windows it does not look.
  const avx2 = whisperBuild === 'x86-64-v3' ? true : arch === 'x64' && (platform === 'win32' || whisperBuild === 'unknown') ? null : false;
  const gpus: GpusFound = options.probeGpus === false ? { whisper: null, nvidia: [], notes: [] }
    : await (options.findGpus ?? findGpus)({
      whisperGpuModules: whisperGpu, env: options.env ?? process.env, platform,
      ...(options.storageDir ? { cacheDir: options.storageDir } : {}), build: buildIdentity,
    });
  return {
    platform,
    arch,
    totalMemoryBytes: os.totalmem(),
    cores: os.availableParallelism(),
    avx2,
    whisperBuild,
    appleSilicon,
    metal: appleSilicon && (whisperBuild === 'metal' || whisperBuild === 'unknown'),
    whisperGpu,
    whisperGpuDevice: gpus.whisper,
    nvidiaGpus: gpus.nvidia,
    gpuNotes: gpus.notes,
  };
}
