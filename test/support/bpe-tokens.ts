/**
 * Counts the tokens a byte-level BPE tokenizer (GPT-2's scheme, as Qwen2's and Qwen2.5's tokenizers are) makes of a
 * text, from its merges alone: a count needs no token ids. Used to check that what Earshot asks a language model for
 * fits the caps it sets (test/unit/answer-caps.test.ts) with the tokenizer of the default local model
 * (test/fixtures/tokenizers/README.md), where the daemon itself only estimates (providers.ts' CHARS_PER_TOKEN).
 *
 * The steps are those of Hugging Face tokenizers' ByteLevel BPE: the text is split by the tokenizer's pre-tokenizer
 * pattern, each piece's UTF-8 bytes are mapped to GPT-2's printable alphabet, and the pair of adjacent symbols with
 * the lowest merge rank is merged until none is left. Special tokens are not handled (answers and prompts have none).
 */
import * as fs from 'node:fs';

/** Qwen2's pre-tokenizer: a digit is a piece of its own (so "1234" is 4 tokens). */
export const QWEN2_PATTERN = /(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu;

/** GPT-2's map of the 256 byte values to printable characters (bytes_to_unicode). */
function byteAlphabet(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const map: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) map[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + extra++);
  return map;
}

export interface BpeCounter {
  /** Tokens of `text`. */
  count(text: string): number;
  /** The longest start of `text` of at most `tokens` tokens: what a server that stops at `max_tokens` sends of it. */
  cut(text: string, tokens: number): string;
}

/** A counter from a merges.txt (one "a b" pair a line, by rank; a first "#version" line is skipped). */
export function bpeCounter(mergesFile: string, pattern: RegExp = QWEN2_PATTERN): BpeCounter {
  const ranks = new Map<string, number>();
  const lines = fs.readFileSync(mergesFile, 'utf8').split(/\r?\n/);
  for (const line of lines) {
    if (!line || line.startsWith('#version')) continue;
    ranks.set(line, ranks.size);
  }
  const alphabet = byteAlphabet();
  const encoder = new TextEncoder();
  const cache = new Map<string, number>();

  const piece = (text: string): number => {
    const cached = cache.get(text);
    if (cached !== undefined) return cached;
    let symbols = [...encoder.encode(text)].map((b) => alphabet[b]);
    while (symbols.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let k = 0; k < symbols.length - 1; k++) {
        const rank = ranks.get(`${symbols[k]} ${symbols[k + 1]}`);
        if (rank !== undefined && rank < bestRank) { bestRank = rank; best = k; }
      }
      if (best < 0) break;
      const [left, right] = [symbols[best], symbols[best + 1]];
      const next: string[] = [];
      // Every occurrence of the pair, left to right, as the reference implementation merges them.
      for (let k = 0; k < symbols.length; k++) {
        if (symbols[k] === left && symbols[k + 1] === right) {
          next.push(left + right);
          k++;
        } else {
          next.push(symbols[k]);
        }
      }
      symbols = next;
    }
    if (cache.size < 200_000) cache.set(text, symbols.length);
    return symbols.length;
  };

  const count = (text: string): number => {
    let n = 0;
    for (const m of text.normalize('NFC').matchAll(pattern)) n += piece(m[0]);
    return n;
  };
  return {
    count,
    cut(text: string, tokens: number): string {
      if (count(text) <= tokens) return text;
      let fits = 0, over = text.length;
      while (over - fits > 1) {
        const mid = (fits + over) >> 1;
        if (count(text.slice(0, mid)) <= tokens) fits = mid;
        else over = mid;
      }
      return text.slice(0, fits);
    },
  };
}
