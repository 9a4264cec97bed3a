/**
 * An agent tool's text, bounded as a chat prompt is ({@link MEMORY_ASK_BOUND}: lines, and characters as textSize.ts
 * promptChars counts them): entries go in whole while they fit; the first one may go in part (its lines while they fit,
 * the text of the one that does not cut), so an answer with anything in it always shows some. What did not fit is said
 * at the end (`truncated`), within the bound.
 *
 * Owns the counting. Must not make text inert: the caller gives plain lines.
 */
import { MEMORY_ASK_BOUND, PromptBound } from '../../protocol/protocol';
import { promptChars, startWithin } from '../../protocol/textSize';

/** A line of the text: `prefix` (where it is, who said it) then `text`, the part that may be cut. */
export interface TextLine {
  prefix: string;
  text?: string;
}

/** Kept free for the line that says the answer was cut. */
const NOTE_ROOM = { lines: 2, chars: 400 };

export class BoundedText {
  private readonly lines: string[] = [];
  private chars = 0;
  /** Lines of text so far (an entry's line may begin with a blank one). */
  private rowCount = 0;
  truncated = false;

  constructor(private readonly bound: PromptBound = MEMORY_ASK_BOUND) {}

  /**
   * Adds an entry's lines if they all fit, and answers the texts as they went in (one per line); an empty list when
   * none did (then `truncated`). `partial` (the first entry): as many lines as fit, the last one's text cut to fit.
   */
  add(entry: readonly TextLine[], partial = false): string[] {
    if (this.truncated) return [];
    const room = { lines: this.bound.lines - NOTE_ROOM.lines - this.rowCount, chars: this.bound.chars - NOTE_ROOM.chars - this.chars };
    const size = (l: TextLine) => promptChars(l.prefix + (l.text ?? '')) + 1;
    const total = entry.reduce((n, l) => n + size(l), 0);
    if (rows(entry) <= room.lines && total <= room.chars) {
      for (const l of entry) this.push(l.prefix + (l.text ?? ''));
      return entry.map((l) => l.text ?? '');
    }
    this.truncated = true;
    if (!partial) return [];
    const taken: string[] = [];
    for (const l of entry) {
      const left = this.bound.chars - NOTE_ROOM.chars - this.chars;
      if (this.rowCount + rows([l]) > this.bound.lines - NOTE_ROOM.lines) break;
      if (size(l) <= left) {
        this.push(l.prefix + (l.text ?? ''));
        taken.push(l.text ?? '');
        continue;
      }
      const prefixSize = promptChars(l.prefix) + 2; // the ellipsis and the line break
      if (l.text !== undefined && prefixSize < left) {
        const cut = `${startWithin(l.text, left - prefixSize)}…`;
        this.push(l.prefix + cut);
        taken.push(cut);
      }
      break;
    }
    return taken;
  }

  /** A line that is no entry (a heading): in when it fits, and never counted as cutting anything. */
  note(line: string): void {
    if (!this.truncated && this.rowCount + rows([{ prefix: line }]) <= this.bound.lines - NOTE_ROOM.lines && this.chars + promptChars(line) + 1 <= this.bound.chars - NOTE_ROOM.chars) this.push(line);
  }

  /** The text, with the line that says what was cut when something was (`more`: how to ask for less). */
  text(more: string): string {
    const cut = this.truncated ? [`(Cut here: the answer is longer than an agent's share of the meetings, ${this.bound.lines} lines or ${this.bound.chars.toLocaleString('en-US')} characters. ${more})`] : [];
    return [...this.lines, ...cut].join('\n');
  }

  private push(line: string): void {
    this.lines.push(line);
    this.rowCount += rows([{ prefix: line }]);
    this.chars += promptChars(line) + 1;
  }
}

/** Lines of text an entry makes (a prefix may start with a blank line that sets it apart). */
function rows(entry: readonly TextLine[]): number {
  return entry.reduce((n, l) => n + (l.prefix.match(/\n/g)?.length ?? 0) + 1, 0);
}
