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
 *       removed), their tokens, and how many fit a local model's context of 8,192 tokens (the bound before) and
 *       the worker's bound now (contextSizeFor) with the settle's answer cap (N points, default 20) and the margin
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ANSWER_RESERVE_TOKENS, summaryAnswerTokens } from '../../daemon/understanding/providers';
import { contextSizeFor, TEMPLATE_MARGIN } from '../../daemon/understanding/local/worker';
import { capOf, qwenTokens, recordedAnswers } from '../support/recorded-answers';
import { flagValue } from './notes-eval';

/** The context Qwen2.5 was trained on: the worker's bound, not the model's, decides. */
const QWEN_TRAIN_CONTEXT = 32_768;

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];

function answersTable(): string[] {
  const answers = recordedAnswers();
  const out = ['| answers to | recorded | tokens: median | p90 | p99 | max | over their cap now | over 1,000 (the cap before) |', '|---|---|---|---|---|---|---|---|'];
  for (const kind of ['settle', 'rolling', 'part notes', 'chunk', 'check'] as const) {
    const list = answers.filter((a) => a.kind === kind);
    const sorted = list.map((a) => a.tokens).sort((a, b) => a - b);
    const overCap = list.filter((a) => a.tokens > capOf(a)).length;
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
  const needs = (t: number) => t + summaryAnswerTokens(points) + TEMPLATE_MARGIN;
  const fitsBefore = tokens.filter((t) => needs(t) <= 8192).length; // the worker's bound until 2026-12-01
  const fitsNow = tokens.filter((t) => contextSizeFor(needs(t), QWEN_TRAIN_CONTEXT) !== undefined).length;
  return [
    `${files.length} settle prompts under ${dir}: tokens median ${quantile(tokens, 0.5)}, p90 ${quantile(tokens, 0.9)}, max ${tokens[tokens.length - 1]}`,
    `with the answer's cap for ${points} points (${summaryAnswerTokens(points)}) and the template's ${TEMPLATE_MARGIN}: ${fitsBefore} fit a context of 8,192 (the bound before), ${fitsNow} the worker's now`,
  ];
}

function main(argv: string[]): void {
  const prompts = flagValue(argv, '--prompts');
  const lines = prompts ? promptsTable(prompts, Number(flagValue(argv, '--points') ?? 20)) : answersTable();
  console.log(lines.join('\n'));
}

if (require.main === module) main(process.argv.slice(2));
