/**
 * The whisper models Earshot offers to download: whisper.cpp's published ggml files on Hugging Face.
 *
 * Every entry pins the exact size and SHA-256 of the file, so a download is accepted only when it is
 * byte for byte the published file. Where the values come from:
 *   - sha256: the Git LFS object ids of huggingface.co/ggerganov/whisper.cpp, as pinned by other
 *     projects that verify these files (LocalAI's gallery/index.yaml pins all seven; Buzz's
 *     model_loader.py pins tiny/base/small; several independent app catalogs agree on every value).
 *   - bytes: the LFS object sizes, as pinned by the same independent catalogs (all agree).
 *   - sha1: whisper.cpp's own models/README.md (the "SHA" column), kept as a second reference; that table lists no
 *     quantized file, so the q8_0 entries have none.
 *   - the q8_0 files (whisper.cpp's quantize tool run on the f16 ones): sizes and sha256 as Hugging Face's API lists
 *     them (the LFS "size" and "sha256" of ggml-base-q8_0.bin) and as several independent app catalogs pin all six
 *     (Rust, Swift, Go, Python and Dart model manifests, all agreeing).
 * Never edit a value by hand from memory: a wrong hash makes the download fail for everyone.
 *
 * Speed and memory figures are approximate and only used to rank models and to explain a choice.
 */

export type CatalogModelId =
  | 'tiny.en' | 'tiny' | 'base.en' | 'base' | 'small.en' | 'small' | 'large-v3-turbo'
  | 'tiny.en-q8_0' | 'tiny-q8_0' | 'base.en-q8_0' | 'base-q8_0' | 'small.en-q8_0' | 'small-q8_0';

export type Quantization = 'f16' | 'q8_0' | 'q5_0';

/** Model sizes from smallest to largest: capability detection picks one of these tiers. */
export type ModelTier = 'tiny' | 'base' | 'small' | 'large';

export interface CatalogModel {
  /** Stable id used in settings and messages. */
  id: CatalogModelId;
  /** File name as published by whisper.cpp, also the name in the model cache folder. */
  file: string;
  /** https download URL (Hugging Face answers with a redirect to its CDN). */
  url: string;
  /** Exact size of the file in bytes. */
  bytes: number;
  /** Lower-case hex SHA-256 of the file: what a download is verified against. */
  sha256: string;
  /** Lower-case hex SHA-1 from whisper.cpp's models/README.md (reference; sha256 is what is checked); '' where it lists none. */
  sha1: string;
  /** English-only model (the `.en` variants): better English, no other language. */
  englishOnly: boolean;
  tier: ModelTier;
  /**
   * Weight format of the file. q8_0 (8-bit blocks with a scale each) decodes in 0.73–0.85× the time of f16 on a 2-core x86
   * CPU and holds ~60 MiB less for base (BENCHMARKS.md, issue 16); CPU-only machines get it by default.
   */
  quantization: Quantization;
  /** Parameters in millions (OpenAI's model card). */
  paramsM: number;
  /** Rough CPU speed relative to tiny (1 = tiny; 0.5 = takes twice as long). */
  relativeSpeed: number;
  /** Rough memory whisper.cpp needs with this model loaded, MiB. */
  ramMiB: number;
  /** One line for pickers and messages. */
  description: string;
}

/** Where whisper.cpp publishes its ggml models. */
export const MODEL_HOST = 'https://huggingface.co/ggerganov/whisper.cpp/resolve/main/';

const url = (file: string): string => `${MODEL_HOST}${file}`;

const PUBLISHED: readonly CatalogModel[] = Object.freeze([
  {
    id: 'tiny.en',
    file: 'ggml-tiny.en.bin',
    url: url('ggml-tiny.en.bin'),
    bytes: 77_704_715,
    sha256: '921e4cf8686fdd993dcd081a5da5b6c365bfde1162e72b08d75ac75289920b1f',
    sha1: 'c78c86eb1a8faa21b369bcd33207cc90d64ae9df',
    englishOnly: true,
    tier: 'tiny',
    quantization: 'f16',
    paramsM: 39,
    relativeSpeed: 1,
    ramMiB: 300,
    description: 'Tiny, English only: fastest and smallest (75 MiB), for slow or low-memory machines; more mistakes.',
  },
  {
    id: 'tiny',
    file: 'ggml-tiny.bin',
    url: url('ggml-tiny.bin'),
    bytes: 77_691_713,
    sha256: 'be07e048e1e599ad46341c8d2a135645097a538221678b7acdd1b1919c6e1b21',
    sha1: 'bd577a113a864445d4c299885e0cb97d4ba92b5f',
    englishOnly: false,
    tier: 'tiny',
    quantization: 'f16',
    paramsM: 39,
    relativeSpeed: 1,
    ramMiB: 300,
    description: 'Tiny, multilingual: fastest and smallest (75 MiB), for slow or low-memory machines; more mistakes.',
  },
  {
    id: 'tiny.en-q8_0',
    file: 'ggml-tiny.en-q8_0.bin',
    url: url('ggml-tiny.en-q8_0.bin'),
    bytes: 43_550_795,
    sha256: '5bc2b3860aa151a4c6e7bb095e1fcce7cf12c7b020ca08dcec0c6d018bb7dd94',
    sha1: '',
    englishOnly: true,
    tier: 'tiny',
    quantization: 'q8_0',
    paramsM: 39,
    relativeSpeed: 1.4,
    ramMiB: 265,
    description: 'Tiny, English only, 8-bit: fastest and smallest (42 MiB), for slow or low-memory machines; more mistakes.',
  },
  {
    id: 'tiny-q8_0',
    file: 'ggml-tiny-q8_0.bin',
    url: url('ggml-tiny-q8_0.bin'),
    bytes: 43_537_433,
    sha256: 'c2085835d3f50733e2ff6e4b41ae8a2b8d8110461e18821b09a15c40c42d1cca',
    sha1: '',
    englishOnly: false,
    tier: 'tiny',
    quantization: 'q8_0',
    paramsM: 39,
    relativeSpeed: 1.4,
    ramMiB: 265,
    description: 'Tiny, multilingual, 8-bit: fastest and smallest (42 MiB), for slow or low-memory machines; more mistakes.',
  },
  {
    id: 'base.en',
    file: 'ggml-base.en.bin',
    url: url('ggml-base.en.bin'),
    bytes: 147_964_211,
    sha256: 'a03779c86df3323075f5e796cb2ce5029f00ec8869eee3fdfb897afe36c6d002',
    sha1: '137c40403d78fd54d454da0f9bd998f78703390c',
    englishOnly: true,
    tier: 'base',
    quantization: 'f16',
    paramsM: 74,
    relativeSpeed: 0.5,
    ramMiB: 400,
    description: 'Base, English only: quick and light (142 MiB), good live transcription on most laptops.',
  },
  {
    id: 'base',
    file: 'ggml-base.bin',
    url: url('ggml-base.bin'),
    bytes: 147_951_465,
    sha256: '60ed5bc3dd14eea856493d334349b405782ddcaf0028d4b5df4088345fba2efe',
    sha1: '465707469ff3a37a2b9b8d8f89f2f99de7299dac',
    englishOnly: false,
    tier: 'base',
    quantization: 'f16',
    paramsM: 74,
    relativeSpeed: 0.5,
    ramMiB: 400,
    description: 'Base, multilingual: quick and light (142 MiB), good live transcription on most laptops.',
  },
  {
    id: 'base.en-q8_0',
    file: 'ggml-base.en-q8_0.bin',
    url: url('ggml-base.en-q8_0.bin'),
    bytes: 81_781_811,
    sha256: 'a4d4a0768075e13cfd7e19df3ae2dbc4a68d37d36a7dad45e8410c9a34f8c87e',
    sha1: '',
    englishOnly: true,
    tier: 'base',
    quantization: 'q8_0',
    paramsM: 74,
    relativeSpeed: 0.7,
    ramMiB: 340,
    description: 'Base, English only, 8-bit: quick and light (78 MiB), faster on a CPU; good live transcription on most laptops.',
  },
  {
    id: 'base-q8_0',
    file: 'ggml-base-q8_0.bin',
    url: url('ggml-base-q8_0.bin'),
    bytes: 81_768_585,
    sha256: 'c577b9a86e7e048a0b7eada054f4dd79a56bbfa911fbdacf900ac5b567cbb7d9',
    sha1: '',
    englishOnly: false,
    tier: 'base',
    quantization: 'q8_0',
    paramsM: 74,
    relativeSpeed: 0.7,
    ramMiB: 340,
    description: 'Base, multilingual, 8-bit: quick and light (78 MiB), faster on a CPU; good live transcription on most laptops.',
  },
  {
    id: 'small.en',
    file: 'ggml-small.en.bin',
    url: url('ggml-small.en.bin'),
    bytes: 487_614_201,
    sha256: 'c6138d6d58ecc8322097e0f987c32f1be8bb0a18532a3f88f734d1bbf9c41e5d',
    sha1: 'db8a495a91d927739e50b3fc1cc4c6b8f6c2d022',
    englishOnly: true,
    tier: 'small',
    quantization: 'f16',
    paramsM: 244,
    relativeSpeed: 0.17,
    ramMiB: 900,
    description: 'Small, English only: clearly more accurate (466 MiB); wants a fast CPU with 8+ cores or Apple Silicon.',
  },
  {
    id: 'small',
    file: 'ggml-small.bin',
    url: url('ggml-small.bin'),
    bytes: 487_601_967,
    sha256: '1be3a9b2063867b937e64e2ec7483364a79917e157fa98c5d94b5c1fffea987b',
    sha1: '55356645c2b361a969dfd0ef2c5a50d530afd8d5',
    englishOnly: false,
    tier: 'small',
    quantization: 'f16',
    paramsM: 244,
    relativeSpeed: 0.17,
    ramMiB: 900,
    description: 'Small, multilingual: clearly more accurate (466 MiB); wants a fast CPU with 8+ cores or Apple Silicon.',
  },
  {
    id: 'small.en-q8_0',
    file: 'ggml-small.en-q8_0.bin',
    url: url('ggml-small.en-q8_0.bin'),
    bytes: 264_477_561,
    sha256: '67a179f608ea6114bd3fdb9060e762b588a3fb3bd00c4387971be4d177958067',
    sha1: '',
    englishOnly: true,
    tier: 'small',
    quantization: 'q8_0',
    paramsM: 244,
    relativeSpeed: 0.24,
    ramMiB: 700,
    description: 'Small, English only, 8-bit: clearly more accurate (252 MiB); wants a fast CPU with 8+ cores.',
  },
  {
    id: 'small-q8_0',
    file: 'ggml-small-q8_0.bin',
    url: url('ggml-small-q8_0.bin'),
    bytes: 264_464_607,
    sha256: '49c8fb02b65e6049d5fa6c04f81f53b867b5ec9540406812c643f177317f779f',
    sha1: '',
    englishOnly: false,
    tier: 'small',
    quantization: 'q8_0',
    paramsM: 244,
    relativeSpeed: 0.24,
    ramMiB: 700,
    description: 'Small, multilingual, 8-bit: clearly more accurate (252 MiB); wants a fast CPU with 8+ cores.',
  },
  {
    id: 'large-v3-turbo',
    file: 'ggml-large-v3-turbo-q5_0.bin',
    url: url('ggml-large-v3-turbo-q5_0.bin'),
    bytes: 574_041_195,
    sha256: '394221709cd5ad1f40c46e6031ca61bce88931e6e088c188294c6d5a55ffa7e2',
    sha1: 'e050f7970618a659205450ad97eb95a18d69c9ee',
    englishOnly: false,
    tier: 'large',
    quantization: 'q5_0',
    paramsM: 809,
    relativeSpeed: 0.06,
    ramMiB: 1500,
    description: 'Large v3 Turbo (5-bit), multilingual: most accurate (547 MiB); needs a GPU (Metal/CUDA) to keep up live.',
  },
] satisfies CatalogModel[]);

/**
 * The catalog in use: whisper.cpp's published files, with entries replaced by those of the JSON file named in
 * EARSHOT_CATALOG (an array of {id, file, bytes, sha256[, url, description]}), for an organisation that serves its own
 * builds of these models (and for the tests, which serve generated ones). Such entries are checked as strictly:
 * size and sha256 before a file is ever loaded.
 */
export const CATALOG: readonly CatalogModel[] = Object.freeze(withOverrides(PUBLISHED, process.env.EARSHOT_CATALOG));

/**
 * The entries of a catalog override file (EARSHOT_CATALOG, EARSHOT_NOTES_CATALOG): a JSON array, or an error naming the
 * variable and the file. Each catalog checks the entries itself.
 */
export function readCatalogOverrides(variable: string, file: string): Record<string, unknown>[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('node:fs') as typeof import('node:fs');
  let entries: unknown;
  try {
    entries = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${variable}: ${file} cannot be read as JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(entries)) throw new Error(`${variable}: ${file} must hold an array of catalog entries`);
  return entries as Record<string, unknown>[];
}

function withOverrides(published: readonly CatalogModel[], file: string | undefined): CatalogModel[] {
  if (!file) return [...published];
  const models = [...published];
  for (const entry of readCatalogOverrides('EARSHOT_CATALOG', file)) {
    const at = models.findIndex((m) => m.id === entry?.id);
    const valid = at >= 0 && typeof entry.file === 'string' && /^[\w.-]+$/.test(entry.file) && Number.isSafeInteger(entry.bytes)
      && typeof entry.sha256 === 'string' && /^[0-9a-f]{64}$/.test(entry.sha256) && (entry.url === undefined || (typeof entry.url === 'string' && entry.url.startsWith('https://')));
    if (!valid) throw new Error(`EARSHOT_CATALOG: ${JSON.stringify(entry).slice(0, 200)} is not {id (one of ${published.map((m) => m.id).join(', ')}), file, bytes, sha256, url (https)}`);
    const file = entry.file as string;
    models[at] = {
      ...models[at], file, bytes: entry.bytes as number, sha256: entry.sha256 as string, sha1: '', url: (entry.url as string | undefined) ?? url(file),
      ...(typeof entry.description === 'string' ? { description: entry.description } : {}),
    };
  }
  return models;
}

/** The model used when nothing is configured or detected; `defaultModelPath()` in config.ts names its file. */
export const DEFAULT_MODEL_ID: CatalogModelId = 'base.en';

export function isCatalogModelId(id: string): id is CatalogModelId {
  return CATALOG.some((m) => m.id === id);
}

export function findCatalogModel(id: string): CatalogModel | undefined {
  return CATALOG.find((m) => m.id === id);
}

/** The catalog entry for `id`, or an error listing the ids there are. */
export function getCatalogModel(id: string): CatalogModel {
  const model = findCatalogModel(id);
  if (!model) throw new Error(`Unknown whisper model "${id}"; the catalog has ${CATALOG.map((m) => m.id).join(', ')}`);
  return model;
}

/** The catalog entry whose published file name is `fileName` (a base name such as ggml-base.en.bin). */
export function catalogModelForFile(fileName: string): CatalogModel | undefined {
  return CATALOG.find((m) => m.file === fileName);
}

/**
 * The catalog model of `tier` for a language: English-only for English where the tier has one, in the weight format
 * asked for where the tier has it (large has one file: its 5-bit turbo).
 */
export function modelForTier(tier: ModelTier, english: boolean, quantization: Quantization = 'f16'): CatalogModel {
  const inTier = CATALOG.filter((m) => m.tier === tier);
  const candidates = inTier.some((m) => m.quantization === quantization) ? inTier.filter((m) => m.quantization === quantization) : inTier;
  return candidates.find((m) => m.englishOnly === english) ?? candidates.find((m) => !m.englishOnly) ?? candidates[0];
}

/**
 * What the degrade ladder's last rung may decode with instead of `current`, in the order to try: the same model in
 * 8 bits (0.73–0.85× the decode time of f16), then each smaller size, in `current`'s weight format first.
 */
export function fasterModels(current: CatalogModel): CatalogModel[] {
  const order: ModelTier[] = ['tiny', 'base', 'small', 'large'];
  const formats: Quantization[] = current.quantization === 'q8_0' ? ['q8_0', 'f16'] : ['f16', 'q8_0'];
  const candidates = [
    ...(current.quantization === 'f16' ? [sameModelAs(current, 'q8_0')] : []),
    ...order.slice(0, order.indexOf(current.tier)).reverse().flatMap((tier) => formats.map((q) => modelForTier(tier, current.englishOnly, q))),
  ];
  return candidates.filter((m, i): m is CatalogModel => m !== undefined && m.id !== current.id && candidates.indexOf(m) === i);
}

/** The same model in another weight format (base.en ↔ base.en-q8_0), if the catalog has it. */
export function sameModelAs(model: CatalogModel, quantization: Quantization): CatalogModel | undefined {
  return CATALOG.find((m) => m.tier === model.tier && m.englishOnly === model.englishOnly && m.quantization === quantization);
}
