import { minimatch } from 'minimatch';

/**
 * Whether vsce 3.9.1 leaves `file` out of the package for an ignore file's text, as its collectFiles does
 * (out/package.js:1262-1280): comments and blank lines dropped, `<line>/**` added for each line without a `*` in its
 * last segment, minimatch with { dot: true }, and a `!` line winning over every other (vsce's own defaultIgnore list left out).
 */
export function vsceIgnores(ignoreText: string, file: string): boolean {
  const lines = ignoreText.split(/[\n\r]/).map((s) => s.trim()).filter((s) => s && !s.startsWith('#'));
  const all = [...lines, ...lines.filter((i) => !/(^|\/)[^/]*\*[^/]*$/.test(i)).map((i) => (i.endsWith('/') ? `${i}**` : `${i}/**`))];
  const match = (pattern: string) => minimatch(file, pattern, { dot: true });
  return all.filter((i) => !i.startsWith('!')).some(match) && !all.filter((i) => i.startsWith('!')).some((i) => match(i.slice(1)));
}
