/**
 * Test fixtures shared by the unit and integration suites, made once per checkout and cached:
 * generated whisper models (random weights, real format: tests never download a model) and WAV
 * variants of the committed sample. Loaded by mocha before any test file (.mocharc.json).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeToMono, readWavFormat } from '../daemon/capture/wav';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const MODELS_DIR = path.join(REPO_ROOT, '.test-models');
export const FIXTURES_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'generated');
export const SAMPLE_WAV = path.join(REPO_ROOT, 'media', 'sample', 'standup.wav');
export const DAEMON_BIN = path.join(REPO_ROOT, 'bin', 'earshot.js');

/** The committed sample as the pipeline sees it: 16 kHz mono floats (it is recorded so; anything else is an error). */
export async function samplePcm(): Promise<Float32Array> {
  const fmt = await readWavFormat(SAMPLE_WAV);
  if (fmt.sampleRate !== 16000 || fmt.channels !== 1) throw new Error(`${SAMPLE_WAV}: ${fmt.sampleRate} Hz, ${fmt.channels} channels; 16000 Hz mono expected`);
  return decodeToMono(fs.readFileSync(SAMPLE_WAV).subarray(fmt.dataOffset, fmt.dataOffset + fmt.dataBytes), fmt);
}

/** The word the mini test model emits at every decoding step: assertions on text are exact. */
export const TEST_WORD = 'hello';

interface FixtureEntry {
  file: string;
  rate: number | null;
  channels: number | null;
  bits: number | null;
  format: string | null;
  frames: number | null;
  expectedDuration: number | null;
  expectError: boolean;
  speech?: { start: number; end: number }[];
}

/** A mini whisper model (64 wide, 1 layer, ~8 MB) whose greedy decoding says `TEST_WORD`. */
export function miniModel(): string {
  const file = path.join(MODELS_DIR, `mini-${TEST_WORD}.bin`);
  if (!fs.existsSync(file)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { generateModel } = require(path.join(REPO_ROOT, 'scripts', 'gen-whisper-model.js'));
    fs.mkdirSync(MODELS_DIR, { recursive: true });
    generateModel({ preset: 'mini', emit: ` ${TEST_WORD}`, out: file });
  }
  return file;
}

/**
 * A mini whisper model with random weights and no forced token: what greedy decoding says follows every multiplication
 * of the encoder and decoder, so two builds (CPU variants, a GPU) that give the same text computed the same.
 */
export function randomMiniModel(): string {
  const file = path.join(MODELS_DIR, 'mini-random.bin');
  if (!fs.existsSync(file)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { generateModel } = require(path.join(REPO_ROOT, 'scripts', 'gen-whisper-model.js'));
    fs.mkdirSync(MODELS_DIR, { recursive: true });
    generateModel({ preset: 'mini', out: file });
  }
  return file;
}

/**
 * "Alice, can you fix auth.ts by Friday?" as whisper tokens: a request to a named person (an action item for Alice,
 * due Friday) that mentions a workspace file.
 */
export const MEETING_SENTENCE_TOKENS: readonly string[] = [' Alice', ',', ' can', ' you', ' fix', ' auth', '.ts', ' by', ' Friday', '?'];

/** The spoken dictation "hello comma world period camel case parse config", one distinct token per word. */
export const DICTATION_SENTENCE_TOKENS: readonly string[] = [' hello', ' comma', ' world', ' period', ' camel', ' case', ' parse', ' config'];

/**
 * The text a saying model's decode comes back with: whisper.cpp joins the tokens (" Alice will … Friday.") and the
 * daemon trims the result, so it is the joined tokens without the leading space.
 */
export function sentenceText(tokens: readonly string[]): string {
  return tokens.join('').trim();
}

/**
 * A mini whisper model (like {@link miniModel}) whose greedy decoding says exactly `tokens`, then ends, for any
 * audio and any prompt: every final of a real decode is {@link sentenceText}(tokens) (audio shorter than
 * (tokens.length - 5) / 8 s is cut short by the daemon's token cap). Cached as `.test-models/mini-say-<name>.bin`,
 * with the token list beside it (`.json`): a name given other tokens than last time regenerates the model.
 */
export function sayingModel(name: string, tokens: readonly string[]): string {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`sayingModel: bad name ${JSON.stringify(name)}`);
  const file = path.join(MODELS_DIR, `mini-say-${name}.bin`);
  const sidecar = path.join(MODELS_DIR, `mini-say-${name}.json`);
  const wanted = JSON.stringify(tokens);
  const cached = fs.existsSync(file) && fs.existsSync(sidecar) && fs.readFileSync(sidecar, 'utf8') === wanted;
  if (!cached) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { generateModel } = require(path.join(REPO_ROOT, 'scripts', 'gen-whisper-model.js'));
    fs.mkdirSync(MODELS_DIR, { recursive: true });
    generateModel({ preset: 'mini', say: [...tokens], out: file });
    fs.writeFileSync(sidecar, wanted);
  }
  return file;
}

/** The modules whose text makes the notes model's prompts: their words are the test model's vocabulary. */
const PROMPT_SOURCES = ['modelExtract', 'carriedNotes', 'modelSummary', 'modelTranscript', 'templateGuide', 'templateSections', 'chunks', 'chunkMerge']
  .map((name) => path.join(REPO_ROOT, 'daemon', 'understanding', `${name}.ts`));

/** Every word (two letters or more, as written) of the prompts' source modules, sorted: what {@link notesModel} can say whole. */
export function promptWords(): string[] {
  const words = new Set<string>();
  for (const file of PROMPT_SOURCES) for (const w of fs.readFileSync(file, 'utf8').match(/[A-Za-z]{2,}/g) ?? []) words.add(w);
  return [...words].sort();
}

/**
 * A tiny llama-architecture GGUF language model (scripts/gen-gguf-model.js: random weights, a real SentencePiece
 * tokenizer, ChatML) for the local notes model's runtime. 'ranked' (default): its greedy answer under a grammar is
 * fixed (the best-ranked allowed token each step), so it always ends; 'random': noise, ended only by the grammar's
 * bounds. Its vocabulary holds the words of the prompts ({@link promptWords}), so a prompt takes about as many tokens as
 * with a real model's (the chunk prompt's system message: 1,654 tokens, 3.7 characters each, against 5,427 letter by
 * letter): attention over the prompt is most of a run's time (perf: flash attention 56 %), and the suites run it often.
 * Cached as `.test-models/llm-tiny-<mode>.gguf`, written again when the generator is newer or the words changed (the
 * list is kept beside it, `.words.json`).
 */
export function notesModel(mode: 'ranked' | 'random' = 'ranked', trainedContext?: number): string {
  // The tiny preset's own context (8,192) unless another is asked for (a model trained on longer contexts, as the
  // catalog's are: 32,768).
  const name = `llm-tiny-${mode}${trainedContext ? `-ctx${trainedContext}` : ''}`;
  const file = path.join(MODELS_DIR, `${name}.gguf`);
  // Checked once a process: the check reads every prompt module, and a suite asks for the model in many tests.
  if (notesModelsChecked.has(name)) return file;
  const sidecar = path.join(MODELS_DIR, `${name}.words.json`);
  const script = path.join(REPO_ROOT, 'scripts', 'gen-gguf-model.js');
  const words = promptWords();
  const wanted = JSON.stringify(words);
  const cached = fs.existsSync(file) && fs.statSync(file).mtimeMs >= fs.statSync(script).mtimeMs
    && fs.existsSync(sidecar) && fs.readFileSync(sidecar, 'utf8') === wanted;
  if (!cached) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { generateGguf } = require(script);
    fs.mkdirSync(MODELS_DIR, { recursive: true });
    // Written aside and renamed into place: a suite's other workers never read half a file.
    const aside = `${file}.${process.pid}.tmp`;
    generateGguf({ preset: 'tiny', mode, out: aside, words, ...(trainedContext ? { ctx: trainedContext } : {}) });
    fs.renameSync(aside, file);
    fs.writeFileSync(sidecar, wanted);
  }
  notesModelsChecked.add(name);
  return file;
}
const notesModelsChecked = new Set<string>();

let manifest: FixtureEntry[] | undefined;

/** WAV variants (rates, depths, channels, broken files) with what each should decode to. */
export function audioFixtures(): FixtureEntry[] {
  const file = path.join(FIXTURES_DIR, 'manifest.json');
  if (!manifest) {
    if (!fs.existsSync(file)) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(path.join(REPO_ROOT, 'scripts', 'make-fixtures.js')).makeFixtures(FIXTURES_DIR);
    }
    manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as FixtureEntry[];
  }
  return manifest;
}

/**
 * Mocha's global setup (.mocharc.json requires this file): run once, in mocha's own process before any test file and,
 * in parallel mode (scripts/test-all.sh), before any worker starts, so the workers only ever read the fixtures it made.
 */
export function mochaGlobalSetup(): void {
  audioFixtures();
  notesModel('ranked');
  notesModel('random');
}

export function fixture(name: string): string {
  audioFixtures();
  return path.join(FIXTURES_DIR, name);
}
