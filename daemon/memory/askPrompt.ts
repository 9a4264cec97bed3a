/**
 * The prompt that asks a language model to answer a question from retrieved meeting lines, citing them as [n], and
 * reading the citations back. Shared by `earshot ask --llm-endpoint` and the eval's recorded answers (memory-eval.ts).
 *
 * Owns the wording only. Must not send anything anywhere (the caller does, to the endpoint the user chose).
 */
import { clock } from '../documents/notesText';

export const ASK_SYSTEM = 'You answer questions about meetings using only the numbered transcript lines given. Cite every line you use as [n] ' +
  '(its number). If the lines do not answer the question, say so briefly. Answer in a few sentences.';

export interface PromptLine {
  meeting: string;
  /** Null: the transcript has no times. */
  t0: number | null;
  speaker: string;
  text: string;
}

/** The user message: the question, then the lines numbered from 1. */
export function askUserPrompt(question: string, lines: readonly PromptLine[]): string {
  return `Question: ${question}\n\nLines:\n` + lines.map((c, i) => `[${i + 1}] (${c.meeting}${c.t0 === null ? '' : `, ${clock(c.t0)}`}) ${c.speaker}: ${c.text}`).join('\n');
}

/** The line numbers an answer cites ([3], [1, 4] and [2][5] all count), those in range only. */
export function citedNumbers(answer: string, count: number): Set<number> {
  const cited = new Set<number>();
  for (const group of answer.matchAll(/\[([\d,\s]+)\]/g)) {
    for (const n of group[1].split(/[,\s]+/).filter(Boolean).map(Number)) if (n >= 1 && n <= count) cited.add(n);
  }
  return cited;
}
