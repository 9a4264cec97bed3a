/**
 * The local notes model (issue 30) at each notes-catalog model's real dimensions, with generated weights (no trained
 * weights reach this machine): through the real runtime (LocalModelHost forking worker.js, node-llama-cpp under the
 * chunk's JSON-schema grammar, threads as the daemon sets them), one real chunk's prompt — part 1 of a real meeting
 * in test/fixtures/real-meetings, built by the same code the eval and the CLI run — gives the load time, prompt and
 * generation tokens per second and the model process's peak RSS (VmHWM of the child); from those, the time from
 * stop to final notes for a 60-minute meeting with live extraction (the last chunk left) against the at-stop path
 * (every chunk, one at a time, after loading). For the first model also the stop path as it runs now: part 2 on the same
 * process (the system prompt's tokens already in the extraction sequence: only the rest is read), then part 3 after
 * host.useAllCores(true) (every core, whisper being done), from which the stop → final estimate is made again.
 *
 * Owns only this figure's measurement; the models are written by scripts/gen-gguf-model.js into .bench/ (ignored).
 *   BENCH_LOCAL_MODELS=qwen2.5-1.5b,llama-3.2-3b,qwen3-4b   which catalog models (default all)
 *   BENCH_LOCAL_MEETING=Bro007                                the real meeting whose part 1 is the prompt
 *   BENCH_LOCAL_ANSWER_TOKENS=64                              answer tokens generated (random weights never stop early)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { extract } from '../../daemon/understanding/extract';
import { LocalChatRequest, LocalModelHost, localModelThreads } from '../../daemon/understanding/local/host';
import { chunkAnswerSchema, summaryAnswerSchema } from '../../daemon/understanding/local/schema';
import { ChunkLine, chunkMessages } from '../../daemon/understanding/modelExtract';
import { citableIds, SummaryPoint, summaryMessages } from '../../daemon/understanding/modelSummary';
import { getNotesModel, NotesModelId } from '../../daemon/models/notesCatalog';
import { ANSWER_RESERVE_TOKENS, CHARS_PER_TOKEN, Chat, ChunkConstraint, estimateTokens } from '../../daemon/understanding/providers';
import { extractTranscriptWithModel, withLineIds } from '../../daemon/understanding/modelTranscript';
import { MODEL_ANSWERS_DIR, withSpeakingTimes } from '../eval/model-notes-eval';
import { loadMeetings, readTurns, REAL_MEETINGS_DIR } from '../eval/notes-eval';
import { REPO_ROOT } from '../setup';
import { BENCH_DIR, fmtMB, fmtS, foreignLoad, FigureReport, LONGEST_TURN_SAY, median, percentile, processCpu, table } from './util';

/** The generator's options for each catalog model's architecture (its config.json), Q4_0 random weights. */
const CATALOG_DIMS: Record<NotesModelId, { options: object; caveat?: string }> = {
  'qwen2.5-1.5b': { options: { preset: '1.5b' } },
  'llama-3.2-3b': { options: { preset: '1.5b', embd: 3072, layers: 28, heads: 24, headsKv: 8, ff: 8192, vocab: 128256, tied: true } },
  'qwen3-4b': {
    options: { preset: '1.5b', embd: 2560, layers: 36, heads: 32, headsKv: 8, ff: 9728, vocab: 151936, tied: true },
    // The generator's heads are embd/heads wide; Qwen3-4B's are 128 (q/k/v projections 2560×4096) with QK-norm.
    caveat: 'head width 80 (the generator ties it to width/heads) where Qwen3-4B has 128: attention ~35 % smaller, ~3.6 B parameters of its 4.0 B',
  },
};

/**
 * A catalog model's generated GGUF in .bench/, written again when the generator is newer. `ranked`: the generator's
 * ranked weights (its answer the same short one whatever it reads: a model that ends its answers) instead of random.
 */
export function benchNotesModel(id: NotesModelId, mode: 'random' | 'ranked' = 'random'): { file: string; writeMs: number } {
  return benchGguf(`notes-${id}${mode === 'ranked' ? '-ranked-words' : ''}.gguf`, `${id}'s dimensions, ${mode} Q4_0 weights`,
    () => ({ ...CATALOG_DIMS[id].options, ...(mode === 'ranked' ? { mode, words: benchWords() } : {}) }));
}

/**
 * A generated GGUF (scripts/gen-gguf-model.js with `options()`) in .bench/ as `name`, written again when the generator
 * is newer; `writeMs` 0 when it was there.
 */
export function benchGguf(name: string, what: string, options: () => object): { file: string; writeMs: number } {
  const file = path.join(BENCH_DIR, name);
  const script = path.join(REPO_ROOT, 'scripts', 'gen-gguf-model.js');
  if (fs.existsSync(file) && fs.statSync(file).mtimeMs >= fs.statSync(script).mtimeMs) return { file, writeMs: 0 };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { generateGguf } = require(script);
  fs.mkdirSync(BENCH_DIR, { recursive: true });
  process.stderr.write(`bench: writing ${path.relative(REPO_ROOT, file)} (${what})…\n`);
  const started = performance.now();
  generateGguf({ ...options(), out: file });
  return { file, writeMs: performance.now() - started };
}

/**
 * Words for a generated vocabulary that tokenizes the prompts about as coarsely as a real one: the 6,000 commonest of
 * the real meetings' transcripts, every word of the extraction's and the summary's system prompts, and what the
 * benchmarks' saying whisper model says.
 */
export function benchWords(): string[] {
  const counts = new Map<string, number>();
  const count = (text: string, weight = 1) => {
    for (const w of text.match(/[A-Za-z']+|\d+/g) ?? []) counts.set(w, (counts.get(w) ?? 0) + weight);
  };
  for (const f of fs.readdirSync(REAL_MEETINGS_DIR).filter((n) => n.endsWith('.txt'))) count(fs.readFileSync(path.join(REAL_MEETINGS_DIR, f), 'utf8'));
  const chunk = { index: 0, lines: [{ segmentId: 'm-1', speaker: 'Ann', t0: 0, text: 'x' }], items: [] };
  const prompts = [chunkMessages({ title: 'meeting', date: '2030-01-01' }, chunk, 1), summaryMessages({ title: 'meeting', date: '2030-01-01' }, [], chunk.lines)];
  for (const p of prompts) count(`${p.system}\n${p.user}`, 1e6);
  count(LONGEST_TURN_SAY.join(' '), 1e6);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6000).map(([w]) => w);
}

export interface ChunkPrompt {
  meeting: string;
  system: string;
  user: string;
  constraint: ChunkConstraint;
  /** Parts 2 and 3 (the same system message): the chunks that follow, for the stop path's figures. */
  next: { user: string; constraint: ChunkConstraint }[];
  /**
   * The rolling summary's revision over part 2's lines as modelSummary.ts builds it, from a summary so far of
   * SUMMARY_STAND_IN points (no recorded summary answers exist: part 1's first lines stand in for their text).
   */
  summary: { system: string; user: string; citable: string[]; answerTokens: number };
  /** The meeting's chunks and spoken words (how many chunks a meeting's words make). */
  chunks: number;
  words: number;
}

/** Part 1 of a real meeting as the eval and `earshot notes` build it (the rules, the chunks, the prompt). */
export async function realChunkPrompt(name = process.env.BENCH_LOCAL_MEETING ?? 'Bro007'): Promise<ChunkPrompt> {
  const meeting = loadMeetings(REAL_MEETINGS_DIR).find((m) => m.name === name);
  if (!meeting) throw new Error(`BENCH_LOCAL_MEETING=${name}: no such meeting in ${REAL_MEETINGS_DIR}`);
  const lines = withLineIds(withSpeakingTimes(readTurns(meeting.jsonlPath)));
  const date = new Date(`${meeting.labels.meetingDate}T09:00:00Z`);
  const asked: { system: string; user: string; constraint?: ChunkConstraint }[] = [];
  const capture: Chat = async (system, user, _signal, constraint) => {
    if (!constraint || 'segmentIds' in constraint) asked.push({ system, user, constraint });
    return { text: '', model: 'capture' };
  };
  await extractTranscriptWithModel(lines, extract(lines, date), date, { provider: 'local', model: 'capture' }, () => undefined, undefined, capture);
  const first = asked.find((a) => /^Part 1 of /m.test(a.user));
  if (!first?.constraint) throw new Error(`${name}: no first chunk`);
  const words = lines.reduce((n, l) => n + l.text.split(/\s+/).filter(Boolean).length, 0);
  // Not asked.length: a chunk without a usable answer is asked again.
  const chunks = Number(/^Part 1 of (\d+)\./m.exec(first.user)![1]);
  const next = [2, 3].map((k) => asked.find((a) => new RegExp(`^Part ${k} of `, 'm').test(a.user))).filter((a) => a?.constraint && a.system === first.system)
    .map((a) => ({ user: a!.user, constraint: a!.constraint! }));
  return { meeting: name, system: first.system, user: first.user, constraint: first.constraint, next, chunks, words, summary: summaryPrompt(first.user, next[0]?.user ?? first.user, date) };
}

/** A summary so far of this many points, each of this many characters citing two lines: a typical revision's size. */
const SUMMARY_STAND_IN = { points: 4, chars: 160 };

/** The summary revision's prompt over the lines of `partUser`, from a stand-in summary of part 1 (`firstUser`). */
function summaryPrompt(firstUser: string, partUser: string, date: Date): ChunkPrompt['summary'] {
  const parse = (user: string): ChunkLine[] => [...user.matchAll(/^\[([^\]]+)\] (\d+):(\d+) ([^:]+): (.*)$/gm)]
    .map((m) => ({ segmentId: m[1], t0: Number(m[2]) * 60 + Number(m[3]), speaker: m[4], text: m[5] }));
  const before = parse(firstUser);
  const previous: SummaryPoint[] = Array.from({ length: SUMMARY_STAND_IN.points }, (_, k) => {
    const from = before.slice(k * 3, k * 3 + 2);
    return { text: from.map((l) => l.text).join(' ').padEnd(SUMMARY_STAND_IN.chars, ' and more').slice(0, SUMMARY_STAND_IN.chars), segmentIds: from.map((l) => l.segmentId) };
  });
  const lines = parse(partUser);
  const { system, user } = summaryMessages({ title: 'meeting', date: date.toISOString() }, previous, lines);
  // Its answer: the summary revised, as long as the one it revises (the same number of points, of the same length).
  const answerTokens = estimateTokens(JSON.stringify({ points: previous.map((p) => ({ text: p.text, cites: p.segmentIds })) }).length);
  return { system, user, citable: citableIds(previous, lines), answerTokens };
}

/** Answer lengths (tokens, estimated as the budget does) of the answers a real model wrote for the real set. */
function recordedAnswerTokens(): number[] {
  const tokens: number[] = [];
  for (const meeting of fs.readdirSync(MODEL_ANSWERS_DIR)) {
    const dir = path.join(MODEL_ANSWERS_DIR, meeting);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.answer.txt'))) tokens.push(estimateTokens(fs.readFileSync(path.join(dir, f), 'utf8').length));
  }
  return tokens;
}

/** One request's figures as the model process reports them. */
interface Call {
  promptTokens: number;
  /** Prompt tokens the model read (less what its sequence held already). */
  readTokens: number;
  promptMs: number;
  answerTokens: number;
  genMs: number;
  threads: number;
  threadsAllowed: number;
  /** Other processes' CPU meanwhile (cores). */
  foreignCores: number;
}

interface Measured {
  id: NotesModelId;
  /**
   * The stop path (first model only): part 2 with the system prompt kept (1 thread), part 3 on every core, then part 2
   * and its summary revision read ahead but for their last two lines, asked on every core.
   */
  stop?: { reused: Call; allCores: Call; extract: AheadCall; summary: AheadCall };
  bytes: number;
  writeMs: number;
  firstCallMs: number;
  loadMs: number;
  promptTokens: number;
  promptMs: number;
  answerTokens: number;
  genMs: number;
  peakRssBytes: number;
  modelCpuSec: number;
  foreignCores: number;
}

/** VmHWM (peak resident set) of a live process, bytes. */
function peakRss(pid: number): number {
  const kb = /^VmHWM:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb ? Number(kb) * 1024 : NaN;
}

/**
 * The generated vocabulary (common words, then single characters) makes about one token of each character; a real
 * tokenizer about one of CHARS_PER_TOKEN. Random weights read any text at the same speed, but a longer context is
 * slower per token: the prompt is cut to GENERATED_CHARS_PER_TOKEN × the real token count of the whole chunk's
 * prompt (the same share of its system message and of its transcript), so the context is as long as a real
 * model's would be.
 */
const GENERATED_CHARS_PER_TOKEN = 1.09;
function asLongAsReal(prompt: ChunkPrompt, user = prompt.user): { system: string; user: string } {
  const whole = prompt.system.length + prompt.user.length;
  const keep = (estimateTokens(whole) * GENERATED_CHARS_PER_TOKEN) / whole;
  // A later part is cut to part 1's length: the same context length, the same system message start.
  return { system: prompt.system.slice(0, Math.round(prompt.system.length * keep)), user: user.slice(0, Math.round(prompt.user.length * keep)) };
}

/** One request asked of the host, with its figures as the model process reports them. */
async function ask(host: LocalModelHost, request: LocalChatRequest): Promise<Call> {
  const load = foreignLoad(() => (host.pid ? processCpu(host.pid) : 0));
  const answer = await host.chat(request, new AbortController().signal);
  const promptMs = answer.promptMs ?? NaN;
  return {
    promptTokens: answer.promptTokens, readTokens: answer.readTokens ?? NaN, promptMs, answerTokens: answer.answerTokens, genMs: answer.ms - promptMs, threads: answer.threads ?? NaN,
    threadsAllowed: answer.threadsAllowed ?? NaN, foreignCores: load(),
  };
}

const call = (host: LocalModelHost, prompt: ChunkPrompt, part: { user: string; constraint: ChunkConstraint }, answerTokens: number): Promise<Call> =>
  ask(host, { kind: 'extract', ...asLongAsReal(prompt, part.user), schema: chunkAnswerSchema(part.constraint), maxTokens: answerTokens });

/** The last characters of `user`: its last `lines` transcript lines, in the proportion asLongAsReal cut it to. */
function tailOf(whole: string, cut: string, lines: number): number {
  const all = whole.split('\n');
  const tail = all.slice(-lines).join('\n').length + 1;
  return Math.max(1, Math.round(tail * (cut.length / whole.length)));
}

/**
 * The stop path with the last chunk read ahead (liveExtraction.ts → host.preload): part 2's extraction prompt and the
 * summary's revision over part 2's lines, each read ahead but for its last two lines (what a final or two said after
 * the model's last idle moment), then asked on every core: at stop only those lines and the answer are left.
 */
async function readAhead(host: LocalModelHost, prompt: ChunkPrompt, answerTokens: number): Promise<{ extract: AheadCall; summary: AheadCall }> {
  const part = prompt.next[0];
  const extractPrompt = asLongAsReal(prompt, part.user);
  const extract = await aheadCall(host, 'extract', extractPrompt, tailOf(part.user, extractPrompt.user, 2), chunkAnswerSchema(part.constraint), answerTokens);
  const summaryPrompt = prompt.summary;
  const kept = asLongAsReal({ ...prompt, system: summaryPrompt.system, user: summaryPrompt.user }, summaryPrompt.user);
  const summary = await aheadCall(host, 'summary', kept, tailOf(summaryPrompt.user, kept.user, 2), summaryAnswerSchema(summaryPrompt.citable), answerTokens);
  return { extract, summary };
}

/** A request read ahead but for its last `tailChars`, then asked: the read ahead's figures and the call's. */
interface AheadCall extends Call {
  /** The read ahead: prompt tokens it read and how long it took. */
  aheadTokens: number;
  aheadMs: number;
}

async function aheadCall(host: LocalModelHost, kind: 'extract' | 'summary', prompt: { system: string; user: string }, tailChars: number, schema: object, answerTokens: number): Promise<AheadCall> {
  const ahead = await host.preload({ kind, system: prompt.system, user: prompt.user.slice(0, prompt.user.length - tailChars), maxTokens: answerTokens });
  if (!ahead) throw new Error(`the ${kind} read ahead failed`);
  return { ...(await ask(host, { kind, ...prompt, schema, maxTokens: answerTokens })), aheadTokens: ahead.readTokens, aheadMs: ahead.ms };
}

async function measure(id: NotesModelId, prompt: ChunkPrompt, answerTokens: number, stopPath: boolean): Promise<Measured> {
  const { file, writeMs } = benchNotesModel(id);
  // As the daemon makes it (modelExtractions.ts): threads and GPU left to their defaults, here CPU only.
  const host = new LocalModelHost({ modelPath: file, gpu: false });
  const load = foreignLoad(() => (host.pid ? processCpu(host.pid) : 0));
  const started = performance.now();
  try {
    const answer = await host.chat({ ...asLongAsReal(prompt), schema: chunkAnswerSchema(prompt.constraint), maxTokens: answerTokens },
      new AbortController().signal);
    const pid = host.pid!;
    const promptMs = answer.promptMs ?? NaN;
    let stop: Measured['stop'];
    if (stopPath && prompt.next.length === 2) {
      const reused = await call(host, prompt, prompt.next[0], answerTokens);
      host.useAllCores(true); // as the session's stop path does once every final is in
      const allCores = await call(host, prompt, prompt.next[1], answerTokens);
      stop = { reused, allCores, ...(await readAhead(host, prompt, answerTokens)) };
    }
    return {
      ...(stop ? { stop } : {}),
      id, bytes: fs.statSync(file).size, writeMs, firstCallMs: performance.now() - started, loadMs: answer.loadMs ?? NaN,
      promptTokens: answer.promptTokens, promptMs, answerTokens: answer.answerTokens, genMs: answer.ms - promptMs,
      peakRssBytes: peakRss(pid), modelCpuSec: processCpu(pid), foreignCores: load(),
    };
  } finally {
    host.close();
  }
}

export async function localModel(): Promise<FigureReport> {
  const ids = (process.env.BENCH_LOCAL_MODELS ?? 'qwen2.5-1.5b,llama-3.2-3b,qwen3-4b').split(',').map((s) => s.trim()).filter(Boolean) as NotesModelId[];
  for (const id of ids) if (!CATALOG_DIMS[id]) throw new Error(`BENCH_LOCAL_MODELS: ${id} is not a notes-catalog model (${Object.keys(CATALOG_DIMS).join(', ')})`);
  const answerCap = Number(process.env.BENCH_LOCAL_ANSWER_TOKENS ?? 64);
  const prompt = await realChunkPrompt();
  const promptChars = prompt.system.length + prompt.user.length;
  const results: Measured[] = [];
  const skipped: string[] = [];
  for (const id of ids) {
    process.stderr.write(`bench: local model ${id}…\n`);
    try {
      results.push(await measure(id, prompt, answerCap, id === ids[0]));
    } catch (e) {
      skipped.push(`${id}: ${(e as Error).message}`);
    }
  }
  if (!results.length) throw new Error(`no model measured: ${skipped.join('; ')}`);
  const anchor = results[0];
  const promptRate = (m: Measured) => m.promptTokens / (m.promptMs / 1000);
  const genRate = (m: Measured) => (m.answerTokens - 1) / (m.genMs / 1000);
  const answers = recordedAnswerTokens();
  const typicalAnswer = percentile(answers, 0.9);
  // What a real tokenizer makes of the whole chunk's prompt (the budget's estimate).
  const realPromptTokens = estimateTokens(promptChars);
  const chunkMs = (m: Measured, answer: number) => (realPromptTokens / promptRate(m) + answer / genRate(m)) * 1000;
  // A 60-minute meeting at ~150 words a minute, chunked as this meeting is (its chunks per spoken word).
  const words60 = 60 * 150;
  const chunks60 = Math.ceil(words60 * (prompt.chunks / prompt.words));
  // The chunk's speaking time: at live pace, extraction keeps up while a chunk takes less than this.
  const chunkSpeechSec = (words60 / chunks60) / 150 * 60;
  const rows = results.map((m) => [
    m.id, fmtMB(m.bytes), fmtS(m.loadMs, 1), `${m.promptTokens} in ${fmtS(m.promptMs, 1)}`, promptRate(m).toFixed(1),
    (promptRate(m) / promptRate(anchor)).toFixed(2), `${m.answerTokens} in ${fmtS(m.genMs, 1)}`, genRate(m).toFixed(2),
    (genRate(m) / genRate(anchor)).toFixed(2), fmtMB(m.peakRssBytes), m.foreignCores.toFixed(2),
  ]);
  const stopRows = results.map((m) => {
    const live = chunkMs(m, typicalAnswer);
    const atStop = m.loadMs + chunks60 * live;
    return [m.id, fmtS(live, 0), `${(live / 1000 / chunkSpeechSec).toFixed(2)}`, fmtS(live, 0), fmtS(atStop, 0), (atStop / live).toFixed(1),
      fmtS(m.loadMs + chunks60 * chunkMs(m, ANSWER_RESERVE_TOKENS), 0)];
  });
  const threads = localModelThreads(undefined);
  // The stop path (anchor only): the prompt time of (a) part 1 on a fresh sequence, 1 thread, as before; (b) part 2, its
  // system prompt kept; (c) part 3 on every core. Rates are of the tokens read.
  const stop = anchor.stop;
  const first: Call = { promptTokens: anchor.promptTokens, readTokens: anchor.promptTokens, promptMs: anchor.promptMs, answerTokens: anchor.answerTokens, genMs: anchor.genMs, threads, threadsAllowed: threads, foreignCores: anchor.foreignCores };
  const readRate = (c: Call) => c.readTokens / (c.promptMs / 1000);
  const callGenRate = (c: Call) => (c.answerTokens - 1) / (c.genMs / 1000);
  // The last chunk at stop as it runs now: the share of the prompt (c) read, at (c)'s speeds.
  const stopNowMs = stop ? (realPromptTokens * (stop.allCores.readTokens / stop.allCores.promptTokens) / readRate(stop.allCores) + typicalAnswer / callGenRate(stop.allCores)) * 1000 : NaN;
  const stopBeforeMs = chunkMs(anchor, typicalAnswer);
  // The last chunk read ahead but for its last two lines: at stop, the extraction's tail and answer, then the summary's.
  const aheadMs = (c: Call, answer: number) => (c.promptMs + answer / callGenRate(c) * 1000);
  const stopItemsMs = stop ? aheadMs(stop.extract, typicalAnswer) : NaN;
  const stopFinalMs = stop ? stopItemsMs + aheadMs(stop.summary, prompt.summary.answerTokens) : NaN;
  const stopPathRows = stop ? ([['(a) part 1, fresh sequence, 1 thread (as before)', first], ['(b) part 2, system prompt kept, 1 thread', stop.reused], ['(c) part 3, system prompt kept, all cores', stop.allCores],
    ['(d) part 2 read ahead but for its last 2 lines, all cores', stop.extract], ['(e) its summary revision read ahead the same way, all cores', stop.summary]] as const)
    .map(([what, c]) => [what, `${c.threadsAllowed} / ${c.threads}`, `${c.readTokens} of ${c.promptTokens}`, fmtS(c.promptMs, 1), (c.promptMs / first.promptMs).toFixed(2), readRate(c).toFixed(1),
      callGenRate(c).toFixed(2), c.foreignCores.toFixed(2)]) : [];
  return {
    title: 'Local notes model: load, prompt and generation speed, peak RSS, stop → final notes (catalog dims, generated weights)',
    commands: [`${process.env.BENCH_LOCAL_MODELS ? `BENCH_LOCAL_MODELS=${process.env.BENCH_LOCAL_MODELS} ` : ''}npm run bench -- local-model`],
    lines: [
      ...table(['model (dims)', 'file', 'load', 'prompt tokens', 'prompt tok/s', 'vs 1st', 'answer tokens', 'gen tok/s', 'vs 1st', 'peak RSS (VmHWM)', 'other cores busy'], rows),
      '',
      ...table(['stop → final notes, 60-min meeting', 'one chunk', 'chunk time / its speech', 'live: last chunk left', 'at stop: load + all chunks', 'at stop / live', 'at stop, answers at the 1,000-token cap'], stopRows),
      ...(stop ? [
        '',
        ...table([`stop path, one chunk (${anchor.id})`, 'threads allowed / last batch ran with', 'prompt tokens read', 'prompt time', 'vs (a)', 'read tok/s', 'gen tok/s', 'other cores busy'], stopPathRows),
        '',
        ...table([`stop → final, live (last chunk), ${anchor.id}`, 'estimate', 'vs before'], [
          ['before: whole prompt, 1 thread (a)', fmtS(stopBeforeMs, 0), '1.00'],
          ['system prompt kept, all cores (c)', fmtS(stopNowMs, 0), (stopNowMs / stopBeforeMs).toFixed(2)],
          ['now: read ahead (d): the items in the notes', fmtS(stopItemsMs, 1), (stopItemsMs / stopBeforeMs).toFixed(2)],
          ['now: read ahead (d) + (e): the final notes, summary included', fmtS(stopFinalMs, 1), (stopFinalMs / stopBeforeMs).toFixed(2)],
        ]),
        '',
        ...table(['read ahead while the meeting ran (the preload before (d), (e))', 'prompt tokens read', 'time'], [
          ['(d) extraction', `${stop.extract.aheadTokens}`, fmtS(stop.extract.aheadMs, 1)],
          ['(e) summary revision', `${stop.summary.aheadTokens}`, fmtS(stop.summary.aheadMs, 1)],
        ]),
      ] : []),
    ],
    notes: [
      `Prompt: part 1 of ${prompt.meeting} (test/fixtures/real-meetings), ${promptChars} characters of system + user message as chunkMessages builds it, ` +
        `answered under the chunk's JSON-schema grammar (schema.ts), through LocalModelHost → worker.js (node-llama-cpp), ${threads} thread(s) as the daemon sets them ` +
        `(cores − 1), CPU only, the process at lower priority. One request per model: load, then the prompt (until the first answer token), then ${answerCap} answer tokens ` +
        '(random weights never end an answer by themselves).',
      'Speeds are from generated random Q4_0 weights at each model\'s real dimensions (the catalog ships Q4_K_M: similar size, its speed not measured here). ' +
        `The generated vocabulary makes about one token of each ${GENERATED_CHARS_PER_TOKEN} characters where a real tokenizer makes one of ${CHARS_PER_TOKEN}: ` +
        `the prompt sent is cut to ${asLongAsReal(prompt).system.length + asLongAsReal(prompt).user.length} characters (the start of the system message and of the transcript, in proportion), ` +
        `${anchor.promptTokens} generated tokens, as many as a real tokenizer makes of the whole ${promptChars}-character prompt (~${realPromptTokens}): the context is as long as a real model's.`,
      `Stop → final arithmetic: 60 min × 150 words/min = ${words60} words; ${prompt.meeting} makes ${prompt.chunks} chunks of its ${prompt.words} words, so ${chunks60} chunks ` +
        `(~${chunkSpeechSec.toFixed(0)} s of speech each). One chunk = ${realPromptTokens} prompt tokens / prompt tok/s + ${typicalAnswer} answer tokens / gen tok/s ` +
        `(${typicalAnswer}: the p90 answer of the ${answers.length} answers a real model wrote for the real set; median ${median(answers)}). ` +
        `Live extraction leaves the last chunk at stop (model loaded); the at-stop path loads the model then reads all ${chunks60} one at a time (maxConcurrency 1 for a local model).`,
      ...(stop ? [`Stop path: three requests on one model process (${anchor.id}): part 1 (a), then parts 2 (b) and 3 (c) of ${prompt.meeting}, each cut to part 1's length, ` +
        'the same system message: its tokens are already in the extraction sequence, only the rest is read ("prompt tokens read", as node-llama-cpp\'s token meter counts them). ' +
        `Before (c) the host was told useAllCores(true), as the session's stop path does once every final is in. "now" = ${realPromptTokens} × (c)'s share read / (c)'s read tok/s ` +
        `+ ${typicalAnswer} / (c)'s gen tok/s; "before" is the stop table's live figure; neither has the rolling-summary call after the last chunk. ` +
        `(d): part 2 again (the extraction sequence held part 3), read ahead (host.preload, as liveExtraction.ts does with the open chunk while whisper is idle) ` +
        'but for its last two lines, then asked: its prompt time is what is left to read at stop. (e): the summary revision over part 2\'s lines (summaryMessages, from a ' +
        `stand-in summary so far of ${SUMMARY_STAND_IN.points} points of ${SUMMARY_STAND_IN.chars} characters) the same way. "items" = (d)'s prompt time + ${typicalAnswer} answer tokens / (d)'s gen tok/s; ` +
        `"final" adds (e)'s prompt time + ${prompt.summary.answerTokens} answer tokens (the summary rewritten at the same length) / (e)'s gen tok/s.`] : []),
      `"vs 1st": each model's rate over ${anchor.id}'s in the same run (the anchor). "chunk time / its speech" < 1: live extraction keeps up with the meeting.`,
      '**Measured on a loaded 2-core machine** (other processes kept the cores busy as the last column says): compare ratios, not seconds.',
      ...results.filter((m) => m.writeMs > 0).map((m) => `${m.id}: its GGUF was written in this run (${fmtS(m.writeMs, 0)}).`),
      ...results.map((m) => CATALOG_DIMS[m.id].caveat && `${m.id} (${getNotesModel(m.id).parameters}): ${CATALOG_DIMS[m.id].caveat}.`).filter((s): s is string => Boolean(s)),
      ...skipped.map((s) => `NOT MEASURED ${s}`),
    ],
    targets: results.filter((m) => m.id === anchor.id).map((m) => {
      const live = chunkMs(m, typicalAnswer);
      const now = Number.isFinite(stopFinalMs) ? stopFinalMs : live;
      return { metric: `stop → final notes (summary included), 60-min meeting, live, the last chunk read ahead (${m.id})`, value: fmtS(now, 1), target: 'seconds, not minutes', met: now < 60_000 };
    }),
  };
}
