/**
 * A meeting's topical blocks: runs of consecutive lines about one thing, found from the words alone (TextTiling, Hearst
 * 1997: lexical cohesion across each gap between lines, boundaries where it dips deepest). Memory ranks these blocks
 * and hands back the best lines of one, so a passage follows the meeting's topics instead of a fixed few lines.
 *
 * Owns the segmentation. Pure: terms in, block starts out.
 */

/** How blocks are cut (chosen on QMSum's train split: BENCHMARKS.md, issue 40). */
export interface TilingOptions {
  /** Terms compared each side of a gap. */
  window: number;
  /** Terms a block has at least (a boundary that would leave less either side is not taken). */
  minTerms: number;
  /** A gap is a boundary when its depth exceeds mean + depthSd × standard deviation of the meeting's depths. */
  depthSd: number;
}

export const DEFAULT_TILING: TilingOptions = { window: 100, minTerms: 80, depthSd: 0 };

/**
 * The first line of each block (always 0 first, ascending) of a meeting whose lines have these terms. A meeting shorter
 * than two blocks' worth of terms is one block.
 */
export function topicBlockStarts(lineTerms: readonly (readonly string[])[], options: TilingOptions = DEFAULT_TILING): number[] {
  const n = lineTerms.length;
  if (n < 3) return [0];
  const cum = [0];
  for (const t of lineTerms) cum.push(cum[cum.length - 1] + t.length);
  if (cum[n] < 2 * options.minTerms) return [0];
  // Cosine of the term counts of `window` terms before and after the gap before line i (i = 1 … n-1).
  const similarity: number[] = [];
  for (let i = 1; i < n; i++) {
    const before = counts(lineTerms, i - 1, -1, options.window);
    const after = counts(lineTerms, i, 1, options.window);
    let dot = 0, a = 0, b = 0;
    for (const [t, v] of before) {
      a += v * v;
      dot += v * (after.get(t) ?? 0);
    }
    for (const v of after.values()) b += v * v;
    similarity.push(a && b ? dot / Math.sqrt(a * b) : 0);
  }
  // Smoothed once (a mean of three), as TextTiling does, so one short line does not make a valley on its own.
  const smooth = similarity.map((_, i) => {
    let sum = 0, k = 0;
    for (let j = Math.max(0, i - 1); j <= Math.min(similarity.length - 1, i + 1); j++) { sum += similarity[j]; k++; }
    return sum / k;
  });
  // Depth: how far the cohesion climbs back on both sides of the gap before it falls again.
  const depth = smooth.map((v, i) => {
    let left = v;
    for (let j = i - 1; j >= 0 && smooth[j] >= left; j--) left = smooth[j];
    let right = v;
    for (let j = i + 1; j < smooth.length && smooth[j] >= right; j++) right = smooth[j];
    return left - v + (right - v);
  });
  const mean = depth.reduce((s, x) => s + x, 0) / depth.length;
  const sd = Math.sqrt(depth.reduce((s, x) => s + (x - mean) ** 2, 0) / depth.length);
  const cut = mean + options.depthSd * sd;
  // Deepest gaps first, each taken if both blocks it makes keep minTerms terms.
  const candidates = depth.map((d, i) => ({ d, at: i + 1 })).filter((c) => c.d > cut).sort((x, y) => y.d - x.d || x.at - y.at);
  const starts = [0];
  for (const { at } of candidates) {
    let prev = 0, next = n;
    for (const s of starts) {
      if (s < at && s > prev) prev = s;
      if (s > at && s < next) next = s;
    }
    if (cum[at] - cum[prev] >= options.minTerms && cum[next] - cum[at] >= options.minTerms) starts.push(at);
  }
  return starts.sort((x, y) => x - y);
}

/** Counts of up to `limit` terms from line `from` walking in `step` direction. */
function counts(lineTerms: readonly (readonly string[])[], from: number, step: 1 | -1, limit: number): Map<string, number> {
  const out = new Map<string, number>();
  let taken = 0;
  for (let j = from; j >= 0 && j < lineTerms.length && taken < limit; j += step) {
    const terms = lineTerms[j];
    for (let k = 0; k < terms.length && taken < limit; k++) {
      const t = step === 1 ? terms[k] : terms[terms.length - 1 - k];
      out.set(t, (out.get(t) ?? 0) + 1);
      taken++;
    }
  }
  return out;
}
