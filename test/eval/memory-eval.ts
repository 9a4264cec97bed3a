/**
 * `npm run eval:memory`: meeting memory's retrieval on QMSum's specific queries (test/fixtures/qmsum-memory: train and
 * val meetings only; see memoryQuality.ts for the figures). The ranking parameters are chosen on the train split (a
 * small grid: BM25+ k1 and b, prefix matching, the speaker field's weight), then val is read once with them fixed.
 *
 *   node out/test/eval/memory-eval.js                  the grid on train, then the chosen parameters on train and val
 *   node out/test/eval/memory-eval.js --prompts DIR    also writes, per val query, the prompt `earshot ask --llm-endpoint`
 *                                                      would send (DIR/<meeting>/<n>.prompt.txt) for a model to answer
 *   node out/test/eval/memory-eval.js --answers DIR    also scores answers written beside them (<n>.answer.txt, with the
 *                                                      prompt's sha256 in <n>.prompt.sha256: a changed prompt is reported,
 *                                                      not scored) against QMSum's reference answers: ROUGE-1/2/L F1, as
 *                                                      the QMSum paper, and the share of cited [n] lines inside a span.
 *                                                      The recorded ones: test/fixtures/qmsum-memory/model-answers
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_RANKING, RankingOptions } from '../../daemon/memory/memoryIndex';
import { answerPrompt, citedLines, evaluate, Figures, loadQmsum, QueryOutcome } from './memoryQuality';
import { rouge } from './rouge';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const row = (name: string, f: Figures) =>
  `| ${name} | ${f.questions} | ${pct(f.hit1)} | ${pct(f.hit5)} | ${pct(f.recall)} | ${f.lines.toFixed(1)} | ${f.msP50.toFixed(2)} | ${f.msP95.toFixed(2)} |`;
const HEADER = '| set | questions | hit@1 | hit@5 | span recall (top 5) | lines cited | ms p50 | ms p95 |\n|---|---|---|---|---|---|---|---|';

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  if (!argv[i + 1]) throw new Error(`${name} needs a folder`);
  return argv[i + 1];
}

function main(argv: string[]): void {
  const prompts = flag(argv, '--prompts');
  const answers = flag(argv, '--answers');
  const all = loadQmsum();
  const train = all.filter((m) => m.split === 'train');
  const val = all.filter((m) => m.split === 'val');

  // The grid, on train only: the objective is hit@5 over all meetings plus over its own meeting, then hit@1.
  const neighbours = 1;
  let best: { ranking: RankingOptions; objective: number } | undefined;
  for (const k of [0.9, 1.2, 1.6]) {
    for (const b of [0.5, 0.7, 0.9]) {
      for (const prefixMinLength of [0, 5]) {
        for (const speakerBoost of [0, 0.5]) {
          const ranking = { ...DEFAULT_RANKING, k, b, prefixMinLength, speakerBoost };
          const f = evaluate(train, all, ranking, neighbours);
          const objective = f.all.hit5 + f.own.hit5 + 0.5 * (f.all.hit1 + f.own.hit1);
          if (!best || objective > best.objective + 1e-9) best = { ranking, objective };
        }
      }
    }
  }
  const ranking = best!.ranking;
  console.log(`Chosen on train: k1=${ranking.k} b=${ranking.b} d=${ranking.d} prefix≥${ranking.prefixMinLength || 'off'} speaker boost=${ranking.speakerBoost}, neighbours=${neighbours}`);
  console.log(`Fixture: ${train.length} train meetings (${train.reduce((n, m) => n + m.queries.length, 0)} queries), ${val.length} val (${val.reduce((n, m) => n + m.queries.length, 0)}); "all" searches ${all.length} meetings\n`);

  console.log(HEADER);
  const t = evaluate(train, all, ranking, neighbours);
  console.log(row('train, own meeting', t.own));
  console.log(row('train, all meetings', t.all));
  const outcomes: QueryOutcome[] = [];
  const v = evaluate(val, all, ranking, neighbours, (o) => outcomes.push(o)); // val: once, parameters fixed
  console.log(row('val, own meeting', v.own));
  console.log(row('val, all meetings', v.all));

  console.log('\nNeighbours (train, all meetings, chosen ranking): recall against lines cited');
  console.log(HEADER);
  for (const n of [0, 1, 2, 3]) console.log(row(`neighbours ${n}`, evaluate(train, all, ranking, n).all));

  if (prompts || answers) answerScores(val, outcomes, prompts, answers);
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

main(process.argv.slice(2));
