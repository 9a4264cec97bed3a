/**
 * ROUGE-1, ROUGE-2 and ROUGE-L F1 (Lin, 2004) of a candidate against one reference, as the QMSum paper reports them:
 * lowercase word tokens (letters and digits), no stemming, no stop-word removal; ROUGE-L on the longest common
 * subsequence of the whole texts. A small implementation (the npm ROUGE packages are unmaintained), tested in
 * test/unit/memory-quality.test.ts against hand-computed values.
 */
export interface Rouge {
  rouge1: number;
  rouge2: number;
  rougeL: number;
}

export function tokens(text: string): string[] {
  return text.toLowerCase().normalize('NFKD').replace(/\p{M}/gu, '').match(/[\p{L}\p{N}]+/gu) ?? [];
}

function ngrams(words: string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= words.length; i++) {
    const key = words.slice(i, i + n).join(' ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function f1(overlap: number, candidate: number, reference: number): number {
  if (!overlap || !candidate || !reference) return 0;
  const p = overlap / candidate, r = overlap / reference;
  return (2 * p * r) / (p + r);
}

function rougeN(c: string[], r: string[], n: number): number {
  const cn = ngrams(c, n), rn = ngrams(r, n);
  let overlap = 0;
  for (const [k, v] of cn) overlap += Math.min(v, rn.get(k) ?? 0);
  return f1(overlap, Math.max(0, c.length - n + 1), Math.max(0, r.length - n + 1));
}

export function lcsLength(a: readonly string[], b: readonly string[]): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const row = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j++) row[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], row[j - 1]);
    prev = row;
  }
  return prev[b.length];
}

export function rouge(candidate: string, reference: string): Rouge {
  const c = tokens(candidate), r = tokens(reference);
  return { rouge1: rougeN(c, r, 1), rouge2: rougeN(c, r, 2), rougeL: f1(lcsLength(c, r), c.length, r.length) };
}
