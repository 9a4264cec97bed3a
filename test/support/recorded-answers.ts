/**
 * The answers a model gave to the daemon's own prompts, recorded under test/fixtures (not the eval's judges, labellers
 * or fact splitters), with their tokens under the default local model's tokenizer (Qwen2.5's: test/fixtures/tokenizers):
 * what test/unit/answer-caps.test.ts checks against the caps the calls set, and test/eval/answer-tokens.ts reports.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ANSWER_RESERVE_TOKENS, summaryAnswerTokens } from '../../daemon/understanding/providers';
import { SUMMARY_BOUNDS } from '../../daemon/understanding/modelSummary';
import { PART_BOUNDS } from '../../daemon/understanding/summaryFromParts';
import { bpeCounter } from './bpe-tokens';

export const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures');
/** Qwen2's (and Qwen2.5's) tokenizer, counting. */
export const qwenTokens = bpeCounter(path.join(FIXTURES, 'tokenizers', 'qwen2-merges.txt'));

export type AnswerKind = 'settle' | 'rolling' | 'part notes' | 'chunk' | 'check';
export interface Answer { file: string; kind: AnswerKind; text: string; tokens: number; points?: number }

/** Every recorded answer to a prompt of the daemon's under `root`, with its kind, tokens and (a summary's) points. */
export function recordedAnswers(root: string = FIXTURES): Answer[] {
  const answers: Answer[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) { walk(file); continue; }
      const kind = kindOf(path.relative(root, file));
      if (!kind) continue;
      const text = fs.readFileSync(file, 'utf8');
      const points = kind === 'settle' || kind === 'rolling' || kind === 'part notes' ? pointsOf(text) : undefined;
      answers.push({ file: path.relative(root, file), kind, text, tokens: qwenTokens.count(text), ...(points !== undefined ? { points } : {}) });
    }
  };
  walk(root);
  return answers;
}

/** The call an answer file answered, by where summary-eval and model-notes-eval record them; undefined: not the daemon's. */
function kindOf(relative: string): AnswerKind | undefined {
  const name = path.basename(relative);
  const inSummaries = relative.split(path.sep).includes('summaries');
  if (inSummaries && name === 'settle.answer.txt') return 'settle';
  if (inSummaries && /^summary-\d+\.answer\.txt$/.test(name)) return 'rolling';
  if (inSummaries && /^part-\d+\.answer\.txt$/.test(name)) return 'part notes';
  if (!inSummaries && /^part-\d+\.answer\.txt$/.test(name)) return 'chunk';
  // The checks at stop and the standing check of the settled summary (a fix is a point's words: well within 1,000).
  if (/^(restatements|procedure|owners|standings)\.answer\.txt$/.test(name)) return 'check';
  return undefined;
}

function pointsOf(text: string): number {
  try {
    const points = (JSON.parse(text) as { points?: unknown }).points;
    return Array.isArray(points) ? points.length : 0;
  } catch {
    return 0;
  }
}

/**
 * The cap the call a recorded answer answered sets on it now (providers.ts answerTokensFor): a rolling revision's and
 * a part's by the points they are asked for; a settle's by its meeting's bound (15 to 20 points by the meeting's
 * length, not recorded beside the answer: at least 15, and at least the points it wrote); a chunk's and a check's 1,000.
 */
export function capOf(answer: Pick<Answer, 'kind' | 'points'>): number {
  if (answer.kind === 'settle') return summaryAnswerTokens(Math.max(answer.points ?? 0, SUMMARY_BOUNDS.settledPoints));
  if (answer.kind === 'rolling') return summaryAnswerTokens(SUMMARY_BOUNDS.points);
  if (answer.kind === 'part notes') return summaryAnswerTokens(PART_BOUNDS.points);
  return ANSWER_RESERVE_TOKENS;
}
