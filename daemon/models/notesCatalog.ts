/**
 * The language models Earshot offers to download for writing the notes on this machine: small instruct models in GGUF
 * (4-bit Q4_K_M), each pinned to one file of one Hugging Face revision with its exact size and SHA-256, and which of them
 * suits a machine (by its memory and GPU, as the whisper catalog chooses).
 *
 * Where every value comes from is in CATALOG-SOURCES.md beside this file. Never edit a size or hash from memory: a
 * wrong one makes the download fail for everyone. Owns the entries and the choice; downloading and the cache are
 * notesModels.ts's, loading a model is the runtime's.
 */
import { machineGpu, MachineFacts } from './capabilities';
import { readCatalogOverrides } from './whisperCatalog';

export type NotesModelId = 'qwen2.5-1.5b' | 'llama-3.2-3b' | 'qwen3-4b';

export interface NotesCatalogModel {
  /** Stable id used in settings (`earshot.enhancement.model` with the local provider) and messages. */
  id: NotesModelId;
  /** Display name. */
  name: string;
  /** File name in the cache folder (the published one). */
  file: string;
  /** https download URL at a pinned revision (Hugging Face answers with a redirect to its CDN). */
  url: string;
  /** Exact size of the file in bytes. */
  bytes: number;
  /** Lower-case hex SHA-256 of the file (the Git LFS object id): what a download is verified against. */
  sha256: string;
  /** The weights' licence, as its model card names it. */
  licence: string;
  /** Where the licence text is. */
  licenceUrl: string;
  /** Parameters, as the model card counts them (e.g. "1.5B"). */
  parameters: string;
  quantization: 'Q4_K_M';
  /** The context the model was trained for, in tokens (Earshot's chunks use far less). */
  contextTokens: number;
  /**
   * Memory the model takes loaded, MiB, approximately: the file (mapped) plus an 8,192-token f16 KV cache and compute
   * buffers. Used to explain a choice and to warn, not measured here.
   */
  ramMiB: number;
  /** The machine memory from which the recommendation picks this model (whisper, VS Code and the system need the rest). */
  minMachineGiB: number;
  /** One line for pickers and listings. */
  note: string;
}

const PUBLISHED: readonly NotesCatalogModel[] = Object.freeze([
  {
    id: 'qwen2.5-1.5b',
    name: 'Qwen2.5 1.5B Instruct',
    file: 'qwen2.5-1.5b-instruct-q4_k_m.gguf',
    url: 'https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct-GGUF/resolve/91cad51170dc346986eccefdc2dd33a9da36ead9/qwen2.5-1.5b-instruct-q4_k_m.gguf',
    bytes: 1_117_320_736,
    sha256: '6a1a2eb6d15622bf3c96857206351ba97e1af16c30d7a74ee38970e434e9407e',
    licence: 'Apache-2.0',
    licenceUrl: 'https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct/blob/main/LICENSE',
    parameters: '1.5B',
    quantization: 'Q4_K_M',
    contextTokens: 32_768,
    ramMiB: 1_700,
    minMachineGiB: 0,
    note: 'Small and quick (1.1 GB): for machines with under 8 GB of memory or a slow CPU; misses more than the larger ones.',
  },
  {
    id: 'llama-3.2-3b',
    name: 'Llama 3.2 3B Instruct',
    file: 'Llama-3.2-3B-Instruct-Q4_K_M.gguf',
    url: 'https://huggingface.co/bartowski/Llama-3.2-3B-Instruct-GGUF/resolve/5ab33fa94d1d04e903623ae72c95d1696f09f9e8/Llama-3.2-3B-Instruct-Q4_K_M.gguf',
    bytes: 2_019_377_696,
    sha256: '6c1a2b41161032677be168d354123594c0e6e67d2b9227c84f296ad037c728ff',
    licence: 'Llama 3.2 Community License',
    licenceUrl: 'https://huggingface.co/meta-llama/Llama-3.2-3B-Instruct/blob/main/LICENSE.txt',
    parameters: '3.2B',
    quantization: 'Q4_K_M',
    contextTokens: 131_072,
    ramMiB: 3_300,
    minMachineGiB: 8,
    note: 'Balanced (2.0 GB): for 8–16 GB of memory. Meta\'s community licence (acceptable-use policy) applies.',
  },
  {
    id: 'qwen3-4b',
    name: 'Qwen3 4B Instruct 2507',
    file: 'Qwen_Qwen3-4B-Instruct-2507-Q4_K_M.gguf',
    url: 'https://huggingface.co/bartowski/Qwen_Qwen3-4B-Instruct-2507-GGUF/resolve/ae44f08e1392f39c0e474af10c3ff8355c8b6688/Qwen_Qwen3-4B-Instruct-2507-Q4_K_M.gguf',
    bytes: 2_497_280_736,
    sha256: '2fde00ce69dd4899c70d020845e2638353015bba0fdf161b3eb965f2bca4464e',
    licence: 'Apache-2.0',
    licenceUrl: 'https://huggingface.co/Qwen/Qwen3-4B-Instruct-2507/blob/main/LICENSE',
    parameters: '4.0B',
    quantization: 'Q4_K_M',
    contextTokens: 262_144,
    ramMiB: 4_000,
    minMachineGiB: 16,
    note: 'Most capable (2.5 GB): for 16 GB of memory or more, best with a GPU (Metal, CUDA); slow on a small CPU.',
  },
] satisfies NotesCatalogModel[]);

/** The published entries (the overrides of EARSHOT_NOTES_CATALOG aside). */
export const NOTES_CATALOG: readonly NotesCatalogModel[] = PUBLISHED;

/**
 * The catalog in use: the published entries, with those named in the JSON file of EARSHOT_NOTES_CATALOG replaced (an
 * array of {id, file, bytes, sha256, url}): for an organisation that serves its own copies, and for the tests, which serve
 * generated files. Read at each call (tests set it in-process), checked as strictly as the published entries.
 */
export function notesCatalog(env: NodeJS.ProcessEnv = process.env): readonly NotesCatalogModel[] {
  const file = env.EARSHOT_NOTES_CATALOG;
  if (!file) return PUBLISHED;
  const models = [...PUBLISHED];
  for (const entry of readCatalogOverrides('EARSHOT_NOTES_CATALOG', file)) {
    const at = models.findIndex((m) => m.id === entry?.id);
    if (at < 0 || !isWellFormed(entry)) {
      throw new Error(`EARSHOT_NOTES_CATALOG: ${JSON.stringify(entry).slice(0, 200)} is not {id (one of ${PUBLISHED.map((m) => m.id).join(', ')}), file, bytes, sha256, url (https)}`);
    }
    models[at] = { ...models[at], file: entry.file as string, bytes: entry.bytes as number, sha256: entry.sha256 as string, url: entry.url as string };
  }
  return models;
}

/** A file name, a positive size, a 64-hex sha256 and an https URL: what every entry needs to be downloaded and checked. */
export function isWellFormed(entry: Record<string, unknown>): boolean {
  return typeof entry.file === 'string' && /^[\w.-]+\.gguf$/.test(entry.file) && Number.isSafeInteger(entry.bytes) && (entry.bytes as number) > 0
    && typeof entry.sha256 === 'string' && /^[0-9a-f]{64}$/.test(entry.sha256) && typeof entry.url === 'string' && entry.url.startsWith('https://');
}

export function findNotesModel(id: string, env: NodeJS.ProcessEnv = process.env): NotesCatalogModel | undefined {
  return notesCatalog(env).find((m) => m.id === id);
}

/** The catalog entry for `id`, or an error listing the ids there are. */
export function getNotesModel(id: string, env: NodeJS.ProcessEnv = process.env): NotesCatalogModel {
  const model = findNotesModel(id, env);
  if (!model) throw new Error(`Unknown notes model "${id}"; the catalog has ${notesCatalog(env).map((m) => m.id).join(', ')}`);
  return model;
}

export function isNotesModelId(id: string): id is NotesModelId {
  return PUBLISHED.some((m) => m.id === id);
}

export interface NotesModelChoice {
  model: NotesCatalogModel;
  /** 'setting': the user's choice; 'detected': chosen from the machine. */
  source: 'setting' | 'detected';
  /** One sentence saying why. */
  reason: string;
  /** What the user may want to know (an unknown id, too little memory for the chosen model). */
  warnings: string[];
}

const GiB = 1024 ** 3;

/**
 * The notes model for this machine: the user's catalog choice if there is one; else the largest whose memory floor the
 * machine reaches (under 8 GB: 1.5B; 8–16 GB: 3B; 16 GB and more: 4B), smaller where no GPU helps and the CPU would be
 * too slow for it (the 4B wants 8 cores, the 3B 4; an x86 CPU without AVX2, ~10x slower in ggml, gets the smallest).
 * A GPU is machineGpu()'s, as for whisper: one found, never a library on disk. Pure: same facts, same answer.
 */
export function recommendNotesModel(facts: Pick<MachineFacts, 'totalMemoryBytes' | 'cores' | 'avx2' | 'arch' | 'metal' | 'whisperGpuDevice' | 'nvidiaGpus'>,
  settings: { model?: string } = {}, catalog: readonly NotesCatalogModel[] = NOTES_CATALOG): NotesModelChoice {
  const warnings: string[] = [];
  const memoryGiB = facts.totalMemoryBytes / GiB;
  const shown = `${Math.round(memoryGiB)} GB of memory`;
  const wanted = settings.model?.trim();
  if (wanted) {
    const chosen = catalog.find((m) => m.id === wanted);
    if (chosen) {
      if (memoryGiB < chosen.minMachineGiB) warnings.push(`${chosen.name} is meant for ${chosen.minMachineGiB} GB of memory or more; this machine has ${shown}.`);
      return { model: chosen, source: 'setting', reason: `${chosen.id} is chosen in the settings`, warnings };
    }
    warnings.push(`There is no notes model "${wanted}" in the catalog (${catalog.map((m) => m.id).join(', ')}); choosing one for this machine instead.`);
  }
  const bySize = [...catalog].sort((a, b) => a.minMachineGiB - b.minMachineGiB);
  let at = bySize.reduce((best, m, i) => (memoryGiB >= m.minMachineGiB ? i : best), 0);
  const gpu = machineGpu(facts);
  const slowCpu = facts.arch === 'x64' && facts.avx2 === false;
  const coresFor = (m: NotesCatalogModel) => (m.minMachineGiB >= 16 ? 8 : m.minMachineGiB >= 8 ? 4 : 1);
  let why = gpu ? `${shown} and a GPU (${gpu.name}, ${gpu.via})` : `${shown}, ${facts.cores} cores`;
  if (!gpu) {
    while (at > 0 && (slowCpu || facts.cores < coresFor(bySize[at]))) {
      why = `${shown}, but ${slowCpu ? 'a CPU without AVX2' : `only ${facts.cores} cores`} and no GPU: a smaller model keeps up`;
      at--;
    }
  }
  const model = bySize[at];
  if (facts.totalMemoryBytes / 1024 ** 2 < model.ramMiB * 2) {
    warnings.push(`This machine has ${shown}; ${model.name} takes about ${(model.ramMiB / 1024).toFixed(1)} GB while it writes notes.`);
  }
  return { model, source: 'detected', reason: `${model.id}: ${why}`, warnings };
}
