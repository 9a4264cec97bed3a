/**
 * Small pieces of Markdown as the notes write them: a time in the meeting, transcript text escaped so it cannot start a
 * block, inject HTML or open a link, and a link to a workspace file at a line. Shared by the daemon's notes
 * (daemon/documents/, whose reading back of the user's file matches on these) and the extension's decision records
 * (extension/decisions/), which quote the notes: both must write the same. Pure; reads and writes nothing.
 */
import { dropControls } from './plainText';

/** mm:ss, or h:mm:ss past the hour. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return hh > 0 ? `${hh}:${two(mm)}:${two(ss)}` : `${two(mm)}:${two(ss)}`;
}

/** Markdown text that cannot start a block or inject HTML, for transcript text inside list items. */
export function inline(text: string): string {
  return escapeMarkdown(text).trim();
}

/**
 * Markdown text that cannot start a block, inject HTML or open a link (as the notes escape transcript text), and holds
 * no control or bidi character (a journal written before model text was made plain may hold them: review 2, S5).
 */
export function escapeMarkdown(text: string): string {
  return dropControls(text).replace(/[\\`*_[\]<>#|]/g, (c) => `\\${c}`).replace(/\s+/g, ' ');
}

/**
 * A link destination for a workspace file: `prefix` + the path, percent-encoded, and `#L<line>` (or `#L<line>-L<end>`)
 * when given: VS Code's Markdown preview and editor open the file at that line.
 */
export function linkDestination(path: string, prefix: string, line?: number, endLine?: number): string {
  const valid = (n: number | undefined): n is number => Number.isInteger(n) && n! > 0;
  const anchor = valid(line) ? `#L${line}${valid(endLine) && endLine > line ? `-L${endLine}` : ''}` : '';
  return encodeLinkPath(prefix + path) + anchor;
}

/** A path as a Markdown link destination: each segment percent-encoded, and parentheses too. */
function encodeLinkPath(path: string): string {
  return path.split('/').map((s) => encodeURIComponent(s).replace(/[()'*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join('/');
}
