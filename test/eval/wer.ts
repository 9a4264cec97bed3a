/** Word error rate: (substitutions + deletions + insertions) / reference words, over normalized words. */

/** Lower case, no punctuation or AMI spelling marks (`N_E_Z_`), no hyphens, numbers left as written. */
export function normalizeWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[’']/g, "'")
    .replace(/_/g, ' ')
    .replace(/[^a-z0-9' ]+/g, ' ')
    .split(/\s+/)
    .map((w) => w.replace(/^'+|'+$/g, ''))
    .filter(Boolean);
}

export interface WordErrors { reference: number; substitutions: number; deletions: number; insertions: number }

/** Edit distance between word sequences, split by kind (one alignment of the minimum cost). */
export function wordErrors(reference: readonly string[], hypothesis: readonly string[]): WordErrors {
  const n = reference.length, m = hypothesis.length;
  // cost[i][j] with a back-pointer: 0 match/substitution, 1 deletion, 2 insertion.
  const cost = Array.from({ length: n + 1 }, (_, i) => Int32Array.from({ length: m + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const move = Array.from({ length: n + 1 }, (_, i) => Uint8Array.from({ length: m + 1 }, (_, j) => (i === 0 ? 2 : j === 0 ? 1 : 0)));
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      const diagonal = cost[i - 1][j - 1] + (reference[i - 1] === hypothesis[j - 1] ? 0 : 1);
      const deletion = cost[i - 1][j] + 1, insertion = cost[i][j - 1] + 1;
      const best = Math.min(diagonal, deletion, insertion);
      cost[i][j] = best;
      move[i][j] = best === diagonal ? 0 : best === deletion ? 1 : 2;
    }
  }
  const errors: WordErrors = { reference: n, substitutions: 0, deletions: 0, insertions: 0 };
  for (let i = n, j = m; i > 0 || j > 0;) {
    const step = move[i][j];
    if (i > 0 && j > 0 && step === 0) {
      if (reference[i - 1] !== hypothesis[j - 1]) errors.substitutions++;
      i--; j--;
    } else if (i > 0 && (j === 0 || step === 1)) {
      errors.deletions++; i--;
    } else {
      errors.insertions++; j--;
    }
  }
  return errors;
}

export const wer = (e: WordErrors): number => (e.reference ? (e.substitutions + e.deletions + e.insertions) / e.reference : 0);

export function sumErrors(all: readonly WordErrors[]): WordErrors {
  return all.reduce((a, e) => ({
    reference: a.reference + e.reference, substitutions: a.substitutions + e.substitutions,
    deletions: a.deletions + e.deletions, insertions: a.insertions + e.insertions,
  }), { reference: 0, substitutions: 0, deletions: 0, insertions: 0 });
}
