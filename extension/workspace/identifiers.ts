/** Picks the identifiers worth priming the recognizer with out of source text (no VS Code API: unit-testable). */

/** Words most worth priming with: they look like code (camelCase, PascalCase, snake_case, digits). */
const IDENTIFIER = /\b[A-Za-z_][A-Za-z0-9_]{3,47}\b/g;
const LOOKS_LIKE_CODE = /[a-z][A-Z]|_|[A-Za-z][0-9]|^[A-Z][a-z]+[A-Z]/;
export const MAX_WORDS = 64;
/** Text read per editor: the visible part matters most, and huge files must stay cheap. */
const MAX_CHARS_PER_EDITOR = 200_000;

export function identifiersIn(texts: string[], limit = MAX_WORDS): string[] {
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const [word] of text.slice(0, MAX_CHARS_PER_EDITOR).matchAll(IDENTIFIER)) {
      if (LOOKS_LIKE_CODE.test(word)) counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, limit).map(([w]) => w);
}
