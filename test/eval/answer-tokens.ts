/**
 * The tokens of what Earshot sends a language model and what it answers, under the default local model's tokenizer
 * (Qwen2.5's: test/fixtures/tokenizers), against the caps the calls set (providers.ts' answerTokensFor) and the local
 * model's context (local/worker.ts): where the daemon only estimates tokens from characters.
 *
 *   npm run eval:answer-tokens
 *       every recorded answer under test/fixtures, by kind: how many, their tokens (median, p90, p99, max), how many
 *       are over the cap their call sets now and over the flat 1,000 every call had before
 *   node out/test/eval/answer-tokens.js --prompts DIR [--points N]
 *       every DIR/**\/settle.prompt.txt (summary-eval.js --record writes them: the settles of a set whose answers are
 *       removed), their tokens, and how many fit a local model's context of 8,192 and of 12,288 tokens with the
 *       settle's answer cap (N points, default 20) and the chat template's margin
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ANSWER_RESERVE_TOKENS, answerTokensFor } from '../../daemon/understanding/providers';
import { SUMMARY_BOUNDS } from '../../daemon/understanding/modelSummary';
import { PART_BOUNDS } from '../../daemon/understanding/summaryFromParts';
import { AnswerKind, qwenTokens, recordedAnswers } from '../support/recorded-answers';
import { flagValue } from './notes-eval';

/** The chat template's tokens around the messages, kept free in the local model's context (worker.ts). */
const TEMPLATE_MARGIN = 64;

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
const capOf = (maxPoints: number) => answerTokensFor({ summary: { segmentIds: [], maxPoints } });

/**
 * The cap a recorded answer's call sets now: a rolling revision's and a part's by the points they are asked for; a
 * settle's by the meeting's bound (15 to 20 points by its length), at least the points it wrote.
 */
function capFor(kind: AnswerKind, points = 0): number {
  if (kind === 'settle') return capOf(Math.max(points, SUMMARY_BOUNDS.settledPoints));
  if (kind === 'rolling') return capOf(SUMMARY_BOUNDS.points);
  if (kind === 'part notes') return capOf(PART_BOUNDS.points);
  return ANSWER_RESERVE_TOKENS;
}

function answersTable(): string[] {
  const answers = recordedAnswers();
  const out = ['| answers to | recorded | tokens: median | p90 | p99 | max | over their cap now | over 1,000 (the cap before) |', '|---|---|---|---|---|---|---|---|'];
  for (const kind of ['settle', 'rolling', 'part notes', 'chunk', 'check'] as const) {
    const list = answers.filter((a) => a.kind === kind);
    const sorted = list.map((a) => a.tokens).sort((a, b) => a - b);
    const overCap = list.filter((a) => a.tokens > capFor(kind, a.points)).length;
    const overFlat = list.filter((a) => a.tokens > ANSWER_RESERVE_TOKENS).length;
    out.push(`| ${kind} | ${list.length} | ${quantile(sorted, 0.5)} | ${quantile(sorted, 0.9)} | ${quantile(sorted, 0.99)} | ${sorted[sorted.length - 1]} | ${overCap} | ${overFlat} (${Math.round((100 * overFlat) / list.length)} %) |`);
  }
  return out;
}

function promptsTable(dir: string, points: number): string[] {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (e.name === 'settle.prompt.txt') files.push(path.join(d, e.name));
    }
  };
  walk(dir);
  if (!files.length) throw new Error(`no settle.prompt.txt under ${dir} (summary-eval.js --record writes them)`);
  const tokens = files.map((f) => qwenTokens.count(fs.readFileSync(f, 'utf8'))).sort((a, b) => a - b);
  const fit = (context: number) => tokens.filter((t) => t + capOf(points) + TEMPLATE_MARGIN <= context).length;
  return [
    `${files.length} settle prompts under ${dir}: tokens median ${quantile(tokens, 0.5)}, p90 ${quantile(tokens, 0.9)}, max ${tokens[tokens.length - 1]}`,
    `with the answer's cap for ${points} points (${capOf(points)}) and the template's ${TEMPLATE_MARGIN}: ${fit(8192)} fit a context of 8,192, ${fit(12_288)} one of 12,288`,
  ];
}

function main(argv: string[]): void {
  const prompts = flagValue(argv, '--prompts');
  const lines = prompts ? promptsTable(prompts, Number(flagValue(argv, '--points') ?? 20)) : answersTable();
  console.log(lines.join('\n'));
}

if (require.main === module) main(process.argv.slice(2));
