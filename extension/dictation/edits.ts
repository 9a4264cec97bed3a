/**
 * The pure arithmetic of dictation edits (no VS Code API: test/unit/dictation-edits.test.ts): rendering an utterance
 * for several cursors at once, where the insertions land in the edited document, how those ranges move as the
 * document changes afterwards, and the plain (no grammar) rendering.
 */
import { DictationContext, DictationPlan } from './grammar';

/** A half-open range of document offsets. */
export interface Span {
  start: number;
  end: number;
}

/** One cursor: the selection it replaces (start = end for a bare cursor) and where its line starts, as document offsets. */
export interface Target extends Span {
  lineStart: number;
}

/** An edit at one target: what it replaces and what it writes. */
export interface Insertion extends Span {
  text: string;
}

/**
 * The text for each target (in the order given), each rendered by `render` from the text before it on its line.
 * Targets on the same line see the text that the targets before them on that line will have written, so two cursors
 * on one line get "Hello." and " Then…" rather than two sentence starts. `textOf(start, end)` reads the document.
 */
export function renderAtTargets(targets: readonly Target[], textOf: (start: number, end: number) => string, render: (before: string) => string): string[] {
  const order = targets.map((t, i) => ({ t, i })).sort((a, b) => a.t.start - b.t.start);
  const texts: string[] = new Array(targets.length);
  const done: Insertion[] = [];
  for (const { t, i } of order) {
    let before = '';
    let at = t.lineStart;
    for (const d of done) {
      if (d.start < t.lineStart || d.end > t.start) continue;
      before += textOf(at, d.start) + d.text;
      at = d.end;
    }
    before += textOf(at, t.start);
    const text = render(before);
    texts[i] = text;
    done.push({ start: t.start, end: t.end, text });
  }
  return texts;
}

/**
 * Where each insertion's text lies once all of them are applied in one edit (insertions must not overlap; each
 * replaces [start, end) of the document before the edit). Answers spans in the order given.
 */
export function insertedSpans(insertions: readonly Insertion[]): Span[] {
  const order = insertions.map((x, i) => ({ x, i })).sort((a, b) => a.x.start - b.x.start);
  const spans: Span[] = new Array(insertions.length);
  let delta = 0;
  for (const { x, i } of order) {
    const start = x.start + delta;
    spans[i] = { start, end: start + x.text.length };
    delta += x.text.length - (x.end - x.start);
  }
  return spans;
}

/** A change of the document: `length` characters at `offset` replaced by `textLength` characters. */
export interface Change {
  offset: number;
  length: number;
  textLength: number;
}

/**
 * Where `span` is after `change`; null when the change touched its inside (the user edited the dictated text, which is
 * then no longer ours to remove). Text typed right before or right after the span leaves it whole.
 */
export function shiftSpan(span: Span, change: Change): Span | null {
  const changeEnd = change.offset + change.length;
  if (changeEnd <= span.start && !(change.length === 0 && change.offset === span.start && span.start === span.end)) {
    const delta = change.textLength - change.length;
    return { start: span.start + delta, end: span.end + delta };
  }
  if (change.offset >= span.end) return span;
  return null;
}

/** Applies the changes of one document event (VS Code gives them against the document before the event, none overlapping). */
export function shiftSpanAll(span: Span, changes: readonly Change[]): Span | null {
  // Later offsets first: each change's offset is then still valid against the already shifted span.
  const sorted = [...changes].sort((a, b) => b.offset - a.offset);
  let current: Span | null = span;
  for (const change of sorted) {
    if (!current) return null;
    current = shiftSpan(current, change);
  }
  return current;
}

/**
 * A plan that writes whisper's text as it is (earshot.dictation.spokenPunctuation off): no commands, no capitals
 * changed, only a space before it when the text before the cursor does not end in whitespace or an opening bracket or
 * quote.
 */
export function plainPlan(utterance: string): DictationPlan {
  const text = utterance.trim().replace(/\s+/g, ' ');
  return {
    undo: 0,
    empty: text === '',
    render: (context: DictationContext = {}) => {
      if (!text) return '';
      const before = context.before ?? '';
      return (before === '' || /[\s([{"'`]$/.test(before) ? '' : ' ') + text;
    },
  };
}

/** Text for a terminal: line breaks become spaces, so nothing dictated runs a command without Enter being pressed. */
export function terminalText(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}

/** The ghost text for a partial: one line (line breaks shown as ⏎), at most `max` characters from its end. */
export function ghostText(text: string, max = 120): string {
  const line = text.replace(/\r?\n/g, ' ⏎ ');
  return line.length > max ? `…${line.slice(line.length - max + 1)}` : line;
}
