/**
 * Reads back what the user owns in a notes file Earshot wrote before: the My notes section (kept byte for byte) and
 * the boxes ticked or unticked by hand in the task list (kept, and journaled as `done` revisions).
 *
 * Owns the My notes markers and the patterns that recognise Earshot's own lines. Must not render the notes (markdown.ts)
 * or touch the file (notesFile.ts): it reads the text it is given.
 */
import { ActionItemRecord } from '../journal/journal';
import { inline } from '../../protocol/markdownText';
import { commentId, origin } from './notesText';

/** Where the user's own notes begin and end. Earshot never changes what lies between the two lines. */
export const MY_NOTES_START = '<!-- earshot:my-notes: write below this line; Earshot keeps everything up to the end marker as it is -->';
export const MY_NOTES_END = '<!-- earshot:my-notes-end -->';
const START_LINE = /^\s*<!--\s*earshot:my-notes(?!-end)\b.*-->\s*$/;
const END_LINE = /^\s*<!--\s*earshot:my-notes-end\b.*-->\s*$/;
const MY_HEADING = /^##\s+my notes\s*#*\s*$/i;
/**
 * Headings of the sections Earshot writes (a user's own `## …` inside My notes is theirs); a template's transcript
 * heading ends in "transcript" (templates/parse.ts), so the one after My notes is always found.
 */
const OWNED_HEADING = /^##\s+(summary|decisions|action items|open questions|(?:[^#\n]* )?transcript)\s*#*\s*$/i;
/**
 * What may stand in the parentheses after an item (`_(00:20, while viewing [src/a.ts:4](../../src/a.ts#L4))_`): text
 * without parentheses, and links (their destinations are percent-encoded, so they hold none).
 */
const ORIGIN_BODY = String.raw`(?:\[(?:[^\]\\]|\\.)*\]\([^()\s]*\)|[^()])*`;
/** The id comment after an action item; ` done` records that Earshot wrote it ticked (a different box is the user's doing). */
const ITEM_COMMENT = String.raw`<!--\s*earshot:([\w-]+)(\s+done)?\s*-->`;
/** A summary point's cites: `_([00:12](#line-m-3), [01:40](#line-m-9), Ana)_` (summarySection.ts). */
const SUMMARY_CITES = String.raw`_\(\[(?:\d+:)?\d\d:\d\d\]\(#line-[\w-]+\)[^_]*\)_\s*$`;
/** The fold of the notes on each part under the summary: its opening and closing tags and each part's span (summarySection.ts partLines). */
const PARTS_FOLD = String.raw`<details><summary>part by part\b.*|<\/details>\s*|\*\*(?:\d+:)?\d\d:\d\d–(?:\d+:)?\d\d:\d\d\*\*\s*`;
/** A line Earshot wrote: an owned heading, a placeholder, a "while viewing" line, a timed list item, the parts' fold. */
const EARSHOT_LINE = new RegExp(String.raw`^((?:${PARTS_FOLD})$|##\s+(summary|decisions|action items|open questions|transcript)\b|_(none recorded|nothing was transcribed|rolling summary|refined by|extractive summary|dismissed by|no summary|written by|needs a language model)[^_]*_\s*$|\*while viewing .*\*\s*$|\s*- .*_\(${ORIGIN_BODY}\d\d:\d\d${ORIGIN_BODY}\)_(\s*${ITEM_COMMENT})?\s*$|\s*- .*${SUMMARY_CITES})`, 'i');
const ITEM_ID = new RegExp(ITEM_COMMENT);
const ORIGIN_AT_END = new RegExp(String.raw`\s*_\(${ORIGIN_BODY}\)_\s*$`);
const CHECKBOX = /^\s*[-*+]\s+\[([ xX])\]\s+(.*)$/;

interface Line { start: number; end: number; text: string }

function linesOf(text: string): Line[] {
  const out: Line[] = [];
  for (let pos = 0; pos < text.length;) {
    const nl = text.indexOf('\n', pos);
    const end = nl < 0 ? text.length : nl + 1;
    out.push({ start: pos, end, text: text.slice(pos, nl < 0 ? text.length : nl).replace(/\r$/, '') });
    pos = end;
  }
  return out;
}

/** The first owned heading at or after line `from`, outside fenced code (unless a fence is never closed). */
function nextOwnedHeading(lines: Line[], from: number): number {
  for (const fenced of [true, false]) {
    let fence: string | undefined;
    let found = -1;
    for (let k = from; k < lines.length; k++) {
      const m = /^\s{0,3}(`{3,}|~{3,})/.exec(lines[k].text);
      if (fenced && m) {
        if (!fence) fence = m[1];
        else if (m[1].startsWith(fence[0]) && m[1].length >= fence.length) fence = undefined;
        continue;
      }
      if (fence) continue;
      if (OWNED_HEADING.test(lines[k].text) || END_LINE.test(lines[k].text)) { found = k; break; }
    }
    if (found >= 0 || !fence) return found;
  }
  return -1;
}

export interface PreviousNotes {
  /** What the user wrote in My notes, exactly; undefined when the file has none. */
  myNotes: string | undefined;
  /** The task list's boxes by Earshot id: ticked now, and whether Earshot wrote it ticked (its comment says ` done`). */
  boxes: Map<string, { ticked: boolean; writtenTicked: boolean }>;
  /** Ticked items whose id comment is gone (the user's own lines), by text. */
  tickedTexts: Set<string>;
}

const MARKDOWN_LINK = /\[((?:[^\]\\]|\\.)*)\]\([^()\s]*\)/g;
/** An item line's text for matching ticks when its id comment is gone: links read as their labels. */
const itemKey = (text: string) => text.replace(ITEM_ID, '').replace(ORIGIN_AT_END, '').replace(/\s+—\s+@.*$/, '').replace(/,\s*due \d{4}-\d\d-\d\d\s*$/, '')
  .replace(MARKDOWN_LINK, '$1').replace(/\s+/g, ' ').trim().toLowerCase();

/**
 * Reads what the user owns in a notes file: the My notes section (between the markers; if the user removed a
 * marker, from the `## My notes` heading or the start marker to the end marker or the next heading Earshot owns;
 * a file with nothing of Earshot's left is all the user's) and the ticks in the task list.
 */
export function parsePreviousNotes(previous: string | undefined): PreviousNotes {
  const result: PreviousNotes = { myNotes: undefined, boxes: new Map(), tickedTexts: new Set() };
  if (previous === undefined) return result;
  const lines = linesOf(previous);
  const startLine = lines.findIndex((l) => START_LINE.test(l.text));
  const heading = lines.findIndex((l) => MY_HEADING.test(l.text));
  const endLine = lines.findIndex((l, k) => k > startLine && END_LINE.test(l.text));
  let from = -1, to = -1; // line indexes: the user's text is lines [from, to)
  if (startLine >= 0 && endLine >= 0) {
    [from, to] = [startLine + 1, endLine];
  } else if (startLine >= 0 || heading >= 0) {
    from = (startLine >= 0 ? startLine : heading) + 1;
    const stop = nextOwnedHeading(lines, from);
    to = stop >= 0 ? stop : lines.length;
  } else if (endLine >= 0) {
    // Start marker and heading gone: the user's text runs back to the last line Earshot wrote.
    let last = -1;
    let fence: string | undefined;
    for (let k = 0; k < endLine; k++) {
      const m = /^\s{0,3}(`{3,}|~{3,})/.exec(lines[k].text);
      if (m) fence = fence ? (m[1].startsWith(fence[0]) && m[1].length >= fence.length ? undefined : fence) : m[1];
      else if (!fence && EARSHOT_LINE.test(lines[k].text)) last = k;
    }
    [from, to] = [last + 1, endLine];
    while (from < to && !lines[from].text.trim()) from++; // the blank line after Earshot's list
  } else if (previous.trim() && !lines.some((l) => EARSHOT_LINE.test(l.text) || ITEM_ID.test(l.text))) {
    [from, to] = [0, lines.length]; // nothing of Earshot's left: all of it is the user's
  }
  if (from >= 0) {
    const begin = from < lines.length ? lines[from].start : previous.length;
    const end = to < lines.length ? lines[to].start : previous.length;
    result.myNotes = previous.slice(begin, Math.max(begin, end));
  }
  lines.forEach((l, k) => {
    if (from >= 0 && k >= from && k < to) return; // ticks inside the user's own notes are theirs
    const m = CHECKBOX.exec(l.text);
    if (!m) return;
    const ticked = m[1] !== ' ';
    const id = ITEM_ID.exec(m[2]);
    if (id) result.boxes.set(id[1], { ticked, writtenTicked: id[2] !== undefined });
    else if (ticked) result.tickedTexts.add(itemKey(m[2]));
  });
  return result;
}

/**
 * The state of an item's box that the user set by hand since Earshot last wrote the file: a box unlike Earshot's note
 * in its comment, or a ticked line whose id comment is gone. Undefined: the user did not touch it.
 */
function tickedByHand(item: ActionItemRecord, kept: PreviousNotes): boolean | undefined {
  const box = kept.boxes.get(commentId(item.id));
  if (box) return box.ticked !== box.writtenTicked ? box.ticked : undefined;
  return kept.tickedTexts.has(itemKey(itemLine(item))) ? true : undefined;
}

/**
 * Whether an item's box is ticked: the user's change in the file wins (they ticked or unticked it by hand), then the
 * journal's `done` (the panel's "Mark done"), then the file as it is (an item never marked).
 */
export function isTicked(item: ActionItemRecord, kept: PreviousNotes, marked: ReadonlySet<string> | undefined): boolean {
  if (marked?.has(item.id)) return item.done ?? false;
  return tickedByHand(item, kept) ?? item.done ?? kept.boxes.get(commentId(item.id))?.ticked ?? false;
}

/**
 * The boxes the user ticked or unticked by hand in the notes file that the journal does not say yet: the session
 * journals them as `done` revisions (so the panel and the exports agree with the file).
 */
export function handTicks(previous: string | undefined, items: readonly ActionItemRecord[]): { id: string; done: boolean }[] {
  if (previous === undefined) return [];
  const kept = parsePreviousNotes(previous);
  const edits: { id: string; done: boolean }[] = [];
  for (const item of items) {
    const ticked = item.removed ? undefined : tickedByHand(item, kept);
    if (ticked !== undefined && ticked !== (item.done ?? false)) edits.push({ id: item.id, done: ticked });
  }
  return edits;
}

/** An item's line without links or place: what ticks are matched on when the id comment is gone. */
function itemLine(i: ActionItemRecord): string {
  return `${inline(i.text)}${i.owner ? ` — @${inline(i.owner)}` : ''}${i.due ? `, due ${i.due}` : ''} _(${origin(i)})_`;
}
