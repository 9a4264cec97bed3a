/**
 * `npm run eval:memory`: meeting memory's retrieval on QMSum's specific queries (test/fixtures/qmsum-memory: train and
 * val meetings only; see memoryQuality.ts for the figures), against plain BM25 over lines (issue 31's ranking) in the
 * same run. The fusion weights (line, meeting, speaker) were chosen on the train split; what choosing them by this
 * grid gives is cross-validated (5 folds by meeting: each fold scored with the weights the other four chose). Val is
 * read with DEFAULT_RANKING, the shipped weights (BENCHMARKS.md, issue 40, says how they were fixed).
 *
 *   node out/test/eval/memory-eval.js                  the above
 *   node out/test/eval/memory-eval.js --train-only     train rows only (the grid and its cross-validation), val unread
 *   node out/test/eval/memory-eval.js --embed M.gguf   also with an embedding model's ranking of the blocks fused in
 *                                                      (reciprocal-rank fusion, weight 1: nothing tuned), on train and val
 *   node out/test/eval/memory-eval.js --via-mcp        also asks val (and train) through `earshot mcp`'s search_meetings tool
 *                                                      (a real process over the meetings as journals): rows that must
 *                                                      equal the DEFAULT_RANKING rows (memoryViaMcp.ts)
 *   node out/test/eval/memory-eval.js --prompts DIR    also writes, per val query, the prompt `earshot ask --llm-endpoint`
 *                                                      would send (DIR/<meeting>/<n>.prompt.txt) for a model to answer
 *   node out/test/eval/memory-eval.js --answers DIR    also scores answers written beside them (<n>.answer.txt, with the
 *                                                      prompt's sha256 in <n>.prompt.sha256: a changed prompt is reported,
 *                                                      not scored) against QMSum's reference answers: ROUGE-1/2/L F1, as
 *                                                      the QMSum paper, and the share of cited [n] lines inside a span.
 *                                                      The recorded ones: test/fixtures/qmsum-memory/model-answers
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_RANKING, RankingOptions, SemanticQuery } from '../../daemon/memory/memoryIndex';
import { BlockVectors, llamaEmbedder } from '../../daemon/memory/embeddings';
import { memoryCatalog } from '../../daemon/models/memoryModel';
import { answerPrompt, citedLines, evaluate, Figures, linesBaseline, loadQmsum, memoryIndexOf, QmsumMeeting, QueryOutcome, QueryRow, summarize } from './memoryQuality';
import { evaluateViaMcp } from './memoryViaMcp';
import { rouge } from './rouge';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const row = (name: string, f: Figures) =>
  `| ${name} | ${f.questions} | ${pct(f.hit1)} | ${pct(f.hit5)} | ${pct(f.recall)} | ${f.lines.toFixed(1)} | ${f.msP50.toFixed(2)} | ${f.msP95.toFixed(2)} |`;
const HEADER = '| set | questions | hit@1 | hit@5 | span recall (top 5) | lines cited | ms p50 | ms p95 |\n|---|---|---|---|---|---|---|---|';

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  if (!argv[i + 1]) throw new Error(`${name} needs a value`);
  return argv[i + 1];
}

/**
 * The grid: what a block's best line, its meeting and a named speaker weigh; pseudo-relevance feedback off, or RM3 from
 * the 5 best blocks' 10 likeliest words found in at most 10% of blocks, weight 0.3; and meeting-first evidence (the sum
 * of a meeting's 3 best blocks) off or at weight 1. The feedback and evidence settings were set on a few train-only
 * trials (BENCHMARKS.md, issue 40's second pass).
 */
const GRID: RankingOptions[] = [];
const FEEDBACK = [{ feedbackBlocks: 0 }, { feedbackBlocks: 5, feedbackTerms: 10, feedbackWeight: 0.3, feedbackMaxDf: 0.1 }];
for (const lineWeight of [0.5, 1, 2]) {
  for (const meetingWeight of [0, 1, 2]) {
    for (const speakerBoost of [0, 0.5]) {
      for (const feedback of FEEDBACK) {
        for (const meetingEvidence of [0, 1]) GRID.push({ ...DEFAULT_RANKING, lineWeight, meetingWeight, speakerBoost, ...feedback, meetingEvidence, meetingEvidenceBlocks: 3 });
      }
    }
  }
}
const FOLDS = 5;
/** Hit@5 over all meetings and over the own one, then hit@1: what a user's question needs first. */
const objective = (rows: QueryRow[]) => rows.reduce((s, r) => s + r.all.hit5 + r.own.hit5 + 0.5 * (r.all.hit1 + r.own.hit1), 0);
const describe = (r: RankingOptions) => `line ${r.lineWeight}, meeting ${r.meetingWeight}, speaker ${r.speakerBoost}, evidence ${r.meetingEvidence ?? 0}, feedback ${r.feedbackBlocks ? `${r.feedbackBlocks} blocks ${r.feedbackTerms} words ${r.feedbackWeight}` : 'off'}`;

async function main(argv: string[]): Promise<void> {
  const prompts = flag(argv, '--prompts');
  const answers = flag(argv, '--answers');
  const embed = flag(argv, '--embed');
  const all = loadQmsum();
  const train = all.filter((m) => m.split === 'train');
  const val = all.filter((m) => m.split === 'val');
  console.log(`Fixture: ${train.length} train meetings (${train.reduce((n, m) => n + m.queries.length, 0)} queries), ${val.length} val (${val.reduce((n, m) => n + m.queries.length, 0)}); "all" searches ${all.length} meetings\n`);

  // Every grid point on train once; then 5 folds by meeting, each scored with the point the other four chose.
  const rowsOf = GRID.map((ranking) => evaluate(train, memoryIndexOf(all, ranking)).rows);
  const foldOf = new Map([...train].sort((a, b) => a.id.localeCompare(b.id)).map((m, i) => [m.id, i % FOLDS]));
  const cv: QueryRow[] = [];
  const picks: string[] = [];
  for (let f = 0; f < FOLDS; f++) {
    const fitted = rowsOf.map((rows) => objective(rows.filter((r) => foldOf.get(r.meeting) !== f)));
    const best = fitted.indexOf(Math.max(...fitted));
    picks.push(describe(GRID[best]));
    cv.push(...rowsOf[best].filter((r) => foldOf.get(r.meeting) === f));
  }
  const whole = rowsOf.map(objective);
  const chosen = GRID[whole.indexOf(Math.max(...whole))];
  console.log(`Weights chosen per fold: ${picks.join('; ')}`);
  console.log(`Chosen on all of train: ${describe(chosen)} (DEFAULT_RANKING: ${describe(DEFAULT_RANKING)})\n`);

  console.log(HEADER);
  const base = linesBaseline(all);
  const bt = evaluate(train, base, 1);
  console.log(row('train, own meeting — BM25 lines (issue 31)', bt.own));
  console.log(row('train, all meetings — BM25 lines (issue 31)', bt.all));
  console.log(row('train, own meeting — topical, cross-validated', summarize(cv.map((r) => r.own))));
  console.log(row('train, all meetings — topical, cross-validated', summarize(cv.map((r) => r.all))));
  // The shipped weights (DEFAULT_RANKING: fixed on train before this grid was run, and read on val with it) in-sample.
  const t = evaluate(train, memoryIndexOf(all, DEFAULT_RANKING));
  console.log(row('train, own meeting — topical (DEFAULT_RANKING, in-sample)', t.own));
  console.log(row('train, all meetings — topical (DEFAULT_RANKING, in-sample)', t.all));
  if (argv.includes('--train-only')) return;
  // Val: once, everything fixed.
  const bv = evaluate(val, base, 1);
  console.log(row('val, own meeting — BM25 lines (issue 31)', bv.own));
  console.log(row('val, all meetings — BM25 lines (issue 31)', bv.all));
  const outcomes: QueryOutcome[] = [];
  const v = evaluate(val, memoryIndexOf(all, DEFAULT_RANKING), undefined, (o) => outcomes.push(o));
  console.log(row('val, own meeting — topical (DEFAULT_RANKING)', v.own));
  console.log(row('val, all meetings — topical (DEFAULT_RANKING)', v.all));

  if (argv.includes('--via-mcp')) await viaMcp(all, train, val);
  if (embed) await withEmbeddings(embed, all, train, val);
  if (prompts || answers) answerScores(val, outcomes, prompts, answers);
}

/** The DEFAULT_RANKING rows again, every search asked through `earshot mcp` (the MCP tool's path, as an agent asks). */
async function viaMcp(all: QmsumMeeting[], train: QmsumMeeting[], val: QmsumMeeting[]): Promise<void> {
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-eval-mcp-'));
  try {
    const t = await evaluateViaMcp(train, all, path.join(storage, 'train'));
    const v = await evaluateViaMcp(val, all, path.join(storage, 'val'));
    console.log(`\nThrough earshot mcp's search_meetings (ms: one tool call, the MCP round trip included)\n\n${HEADER}`);
    console.log(row('train, own meeting — search_meetings over MCP', t.own));
    console.log(row('train, all meetings — search_meetings over MCP', t.all));
    console.log(row('val, own meeting — search_meetings over MCP', v.own));
    console.log(row('val, all meetings — search_meetings over MCP', v.all));
  } finally {
    fs.rmSync(storage, { recursive: true, force: true });
  }
}

/** The default ranking with an embedding model's ranking of the blocks fused in (train and val; nothing tuned). */
async function withEmbeddings(modelPath: string, all: QmsumMeeting[], train: QmsumMeeting[], val: QmsumMeeting[]): Promise<void> {
  const known = memoryCatalog().find((m) => path.basename(modelPath) === m.file);
  const embedder = await llamaEmbedder(modelPath, { queryPrefix: known?.queryPrefix ?? '', contextTokens: known?.contextTokens });
  try {
    const index = memoryIndexOf(all, DEFAULT_RANKING);
    const vectors = new BlockVectors(embedder);
    let started = performance.now();
    await vectors.update(index);
    const blocks = index.sessionIds().reduce((n, id) => n + index.topicBlocks(id).length, 0);
    console.log(`\nEmbedding model ${path.basename(modelPath)}${known ? '' : ' (not in the catalog: no query prefix)'}: ${blocks} blocks embedded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const queries = new Map<string, SemanticQuery>();
    started = performance.now();
    for (const m of [...train, ...val]) for (const q of m.queries) if (!queries.has(q.query)) queries.set(q.query, await vectors.query(q.query));
    console.log(`${queries.size} questions embedded in ${((performance.now() - started) / queries.size).toFixed(1)} ms each\n`);
    console.log(HEADER);
    for (const [name, set] of [['train', train], ['val', val]] as const) {
      const f = evaluate(set, index, undefined, undefined, (q) => queries.get(q));
      console.log(row(`${name}, own meeting — topical + embeddings (RRF)`, f.own));
      console.log(row(`${name}, all meetings — topical + embeddings (RRF)`, f.all));
    }
  } finally {
    await embedder.dispose();
  }
}

/**
 * Writes the val queries' prompts (all meetings' top 5), and scores recorded answers: ROUGE against QMSum's reference
 * answer, and the share of the lines an answer cites that lie inside one of the query's annotated spans (in its own
 * meeting). An answer is scored only if `<n>.prompt.sha256` beside it matches the prompt the eval builds now; one whose
 * prompt has changed (the ranking, the fixture or the prompt's wording) is reported as stale and not scored.
 */
function answerScores(val: ReturnType<typeof loadQmsum>, outcomes: QueryOutcome[], prompts?: string, answers?: string): void {
  const scores: { rouge1: number; rouge2: number; rougeL: number }[] = [];
  let missing = 0, cited = 0, citedInSpan = 0, uncited = 0;
  const stale: string[] = [];
  for (const o of outcomes) {
    const m = val.find((x) => x.id === o.meeting)!;
    const q = m.queries[o.query];
    const prompt = answerPrompt(m, o);
    if (prompts) {
      fs.mkdirSync(path.join(prompts, o.meeting), { recursive: true });
      fs.writeFileSync(path.join(prompts, o.meeting, `${o.query}.prompt.txt`), prompt.text);
      fs.writeFileSync(path.join(prompts, o.meeting, `${o.query}.prompt.sha256`), `${prompt.sha256}\n`);
    }
    if (answers) {
      const file = path.join(answers, o.meeting, `${o.query}.answer.txt`);
      if (!fs.existsSync(file)) { missing++; continue; }
      const hashFile = path.join(answers, o.meeting, `${o.query}.prompt.sha256`);
      if (!fs.existsSync(hashFile) || fs.readFileSync(hashFile, 'utf8').trim() !== prompt.sha256) { stale.push(`${o.meeting}/${o.query}`); continue; }
      const text = fs.readFileSync(file, 'utf8');
      scores.push(rouge(text.replace(/\[\d[\d,\s]*\]/g, ' '), q.answer));
      const lines = citedLines(text).filter((n) => n >= 1 && n <= prompt.lines.length).map((n) => prompt.lines[n - 1]);
      if (!lines.length) uncited++;
      cited += lines.length;
      citedInSpan += lines.filter((l) => l.sessionId === m.id && q.spans.some(([a, b]) => l.turn >= a && l.turn <= b)).length;
    }
  }
  if (prompts) console.log(`\nWrote ${outcomes.length} prompts (and their sha256) under ${prompts}`);
  if (answers) {
    const mean = (k: 'rouge1' | 'rouge2' | 'rougeL') => pct(scores.reduce((s, r) => s + r[k], 0) / (scores.length || 1));
    console.log(`\nAnswers (val, all meetings): ${scores.length} scored, ${missing} missing, ${stale.length} stale (prompt changed since recorded: not scored). ROUGE-1 ${mean('rouge1')}, ROUGE-2 ${mean('rouge2')}, ROUGE-L ${mean('rougeL')} (F1)`);
    console.log(`Cited lines: ${cited} in ${scores.length - uncited} answers (${uncited} cite none); inside an annotated span of the query's meeting: ${pct(citedInSpan / (cited || 1))}`);
    if (stale.length) console.log(`Stale: ${stale.join(', ')}`);
  }
}

main(process.argv.slice(2)).catch((e: Error) => {
  console.error(e.message);
  process.exitCode = 1;
});
