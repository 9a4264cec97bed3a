/**
 * The prompt that asks a language model to answer a question from retrieved meeting lines, citing them as [n], and
 * reading the citations back. Shared by `earshot ask --llm-endpoint` and the eval's recorded answers (memory-eval.ts).
 *
 * Owns the wording only. Must not send anything anywhere (the caller does, to the endpoint the user chose).
 */
import { MEMORY_ASK_BOUND } from '../../protocol/protocol';
import { promptChars, startWithin } from '../../protocol/textSize';
import { clock } from '../../protocol/markdownText';

export const ASK_SYSTEM = 'You answer questions about meetings using only the numbered transcript lines given. Cite every line you use as [n] ' +
  '(its number). If the lines do not answer the question, say so briefly. Answer in a few sentences.';

export interface PromptLine {
  meeting: string;
  /** Null: the transcript has no times. */
  t0: number | null;
  speaker: string;
  text: string;
}

/**
 * The user message: the question, then the lines numbered from 1, as many as {@link promptLines} lets in (give it
 * those, so that the numbers an answer cites are theirs).
 */
export function askUserPrompt(question: string, lines: readonly PromptLine[]): string {
  return `Question: ${question}\n\nLines:\n` + promptLines(lines).map((c, i) => numbered(c, i + 1)).join('\n');
}

/**
 * The first lines (best ranked first) that a prompt holds: at most MEMORY_ASK_BOUND.lines, and MEMORY_ASK_BOUND.chars
 * as numbered and counted by promptChars (a CJK character as about a token); a first line longer than that is cut
 * (never inside a character), so a question with matches always sends some.
 */
export function promptLines<T extends PromptLine>(lines: readonly T[]): T[] {
  const out: T[] = [];
  let chars = 0;
  for (const line of lines.slice(0, MEMORY_ASK_BOUND.lines)) {
    const size = promptChars(numbered(line, out.length + 1)) + 1;
    if (chars + size > MEMORY_ASK_BOUND.chars) {
      if (!out.length) out.push({ ...line, text: startWithin(line.text, MEMORY_ASK_BOUND.chars - (size - promptChars(line.text))) });
      break;
    }
    out.push(line);
    chars += size;
  }
  return out;
}

function numbered(c: PromptLine, n: number): string {
  return `[${n}] (${c.meeting}${c.t0 === null ? '' : `, ${clock(c.t0)}`}) ${c.speaker}: ${c.text}`;
}

/** The line numbers an answer cites ([3], [1, 4] and [2][5] all count), those in range only. */
export function citedNumbers(answer: string, count: number): Set<number> {
  const cited = new Set<number>();
  for (const group of answer.matchAll(/\[([\d,\s]+)\]/g)) {
    for (const n of group[1].split(/[,\s]+/).filter(Boolean).map(Number)) if (n >= 1 && n <= count) cited.add(n);
  }
  return cited;
}
