/**
 * Renders a session's Markdown notes from its journal, so the file can always be rebuilt and never
 * holds anything the journal does not. Written atomically: readers see the old file or the new one.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EditorLocation, FinalSegment, SegmentMention } from '../../protocol/protocol';
import { ActionItemRecord, currentItems, DecisionRecord, JournalContents, JournalRecord, latestById, segmentsOf } from '../journal/journal';
import { sameLocation } from '../anchoring/editorTimeline';
import { escapeMarkdown, linkDestination, linkify } from '../anchoring/mentions';
import { openQuestions } from '../understanding/questions';
import { summarize } from '../understanding/summary';

/** mm:ss, or h:mm:ss past the hour. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return hh > 0 ? `${hh}:${two(mm)}:${two(ss)}` : `${two(mm)}:${two(ss)}`;
}

/** Where an item comes from: its time in the meeting, and whether the opt-in refinement rewrote or added it. */
function origin(r: { t0: number; segmentId: string; refinedBy?: string; revision: number; id: string }): string {
  if (!r.refinedBy) return clock(r.t0);
  // Found by the language-model extraction, anchored on the line it cites.
  if (/^[ad]m\d+$/.test(r.id) && r.segmentId) return `found by ${displayModel(r.refinedBy)}, ${clock(r.t0)}`;
  return r.segmentId ? `refined, ${clock(r.t0)}` : `added by refinement, ${clock(r.t0)}`;
}

/** How a decision reads in the notes: deferrals and things not to do are marked, agreements are plain. */
const DECISION_PREFIX: Record<string, string> = { decision: '', deferral: '**Deferred:** ', negative: '**Not doing:** ' };

/** Markdown text that cannot start a block or inject HTML, for transcript text inside list items. */
function inline(text: string): string {
  return escapeMarkdown(text).trim();
}

/** Where the user's own notes begin and end. Earshot never changes what lies between the two lines. */
export const MY_NOTES_START = '<!-- earshot:my-notes: write below this line; Earshot keeps everything up to the end marker as it is -->';
export const MY_NOTES_END = '<!-- earshot:my-notes-end -->';
const START_LINE = /^\s*<!--\s*earshot:my-notes(?!-end)\b.*-->\s*$/;
const END_LINE = /^\s*<!--\s*earshot:my-notes-end\b.*-->\s*$/;
const MY_HEADING = /^##\s+my notes\s*#*\s*$/i;
/** Headings of the sections Earshot writes (a user's own `## …` inside My notes is theirs). */
const OWNED_HEADING = /^##\s+(summary|decisions|action items|open questions|transcript)\s*#*\s*$/i;
/**
 * What may stand in the parentheses after an item (`_(00:20, while viewing [src/a.ts:4](../../src/a.ts#L4))_`): text
 * without parentheses, and links (their destinations are percent-encoded, so they hold none).
 */
const ORIGIN_BODY = String.raw`(?:\[(?:[^\]\\]|\\.)*\]\([^()\s]*\)|[^()])*`;
/** The id comment after an action item; ` done` records that Earshot wrote it ticked (a different box is the user's doing). */
const ITEM_COMMENT = String.raw`<!--\s*earshot:([\w-]+)(\s+done)?\s*-->`;
/** A line Earshot wrote: an owned heading, a placeholder, a "while viewing" line, a timed list item. */
const EARSHOT_LINE = new RegExp(String.raw`^(##\s+(summary|decisions|action items|open questions|transcript)\b|_(none recorded|nothing was transcribed|rolling summary|refined by|extractive summary|dismissed by)[^_]*_\s*$|\*while viewing .*\*\s*$|\s*- .*_\(${ORIGIN_BODY}\d\d:\d\d${ORIGIN_BODY}\)_(\s*${ITEM_COMMENT})?\s*$)`, 'i');
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
function isTicked(item: ActionItemRecord, kept: PreviousNotes, marked: ReadonlySet<string> | undefined): boolean {
  if (marked?.has(item.id)) return item.done ?? false;
  return tickedByHand(item, kept) ?? item.done ?? kept.boxes.get(commentId(item.id))?.ticked ?? false;
}

const commentId = (id: string) => id.replace(/[^\w-]/g, '');

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

export interface RenderOptions {
  /** Transcript sentences in the summary (default 5). */
  summarySentences?: number;
  /** The digest, when the caller already computed it (see notesDigest). */
  digest?: NotesDigest;
  /** Items just marked done or not done through the protocol: their box follows the journal, whatever the file says. */
  marked?: ReadonlySet<string>;
}

/** What the notes compute from the journal: the segments, the items as they stand, the summary and the open questions. */
export interface NotesDigest {
  segments: FinalSegment[];
  actionItems: ActionItemRecord[];
  decisions: DecisionRecord[];
  summary: ReturnType<typeof summarize>;
  openQuestions: ReturnType<typeof openQuestions>;
}

export function notesDigest(journal: JournalContents, options: RenderOptions = {}): NotesDigest {
  const segments = segmentsOf(journal.records);
  const { actionItems, decisions } = currentItems(journal.records);
  const spoken = segments.map((s) => ({ speaker: s.speaker, text: s.text, t0: s.t0, segmentId: s.segmentId }));
  const questions = openQuestions(spoken);
  const summary = summarize(spoken, { actionItems, decisions, openQuestions: questions }, { maxSentences: options.summarySentences });
  return { segments, actionItems, decisions, summary, openQuestions: questions };
}

/** The model's name as the notes print it: one line, no Markdown, no parentheses or underscores. */
export function displayModel(model: string): string {
  return model.replace(/[^\p{L}\p{N}.:/@+ -]+/gu, '-').replace(/\s+/g, ' ').trim().slice(0, 80) || 'a language model';
}

/**
 * The notes file for a journal. `previous` is the file as it is now (undefined: none): the user's My notes
 * section is carried over byte for byte and ticked action items stay ticked.
 */
export function renderNotes(journal: JournalContents, previous?: string, options: RenderOptions = {}): string {
  const { header, records } = journal;
  const { segments, actionItems: items, decisions, summary, openQuestions: questions } = options.digest ?? notesDigest(journal, options);
  const end = records.find((r) => r.type === 'end') as Extract<JournalRecord, { type: 'end' }> | undefined;
  const started = new Date(header.startedAt);
  const speakers = [...new Set(segments.map((s) => s.speaker))];
  const kept = parsePreviousNotes(previous);
  const links = workspaceLinks(journal);
  const segmentById = new Map(segments.map((s) => [s.segmentId, s]));

  const out: string[] = [`# ${inline(header.title)}`, ''];
  out.push(`- **Date:** ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC`);
  if (speakers.length) out.push(`- **Participants:** ${speakers.map(inline).join(', ')}`);
  if (header.audioFile) out.push(`- **Recording:** ${inline(path.basename(header.audioFile))}`);
  if (end) {
    out.push(`- **Duration:** ${clock(end.capturedSec)}`);
  } else {
    out.push('- **Status:** in progress');
  }
  if (end?.error) out.push(`- **Stopped by an error:** ${inline(end.error)}`);
  out.push('', '## Summary', '');
  if (!end) out.push('_Rolling summary, updated while the meeting runs._', '');
  // The opt-in refinement's summary comes first, labelled; the extractive summary stays below it, so every bullet
  // a model wrote can be checked against sentences that were actually said.
  const refinement = end ? records.filter((r): r is Extract<JournalRecord, { type: 'refinement' }> => r.type === 'refinement').pop() : undefined;
  const refined = Array.isArray(refinement?.summary) ? refinement.summary.filter((b): b is string => typeof b === 'string' && b.trim() !== '') : [];
  if (refinement && refined.length) {
    out.push(`_Refined by ${displayModel(String(refinement.model ?? ''))} (opt-in). Written by a language model from the transcript: check it against the transcript below._`, '');
    out.push(...refined.map((b) => `- ${inline(b)}`));
    out.push('', '_Extractive summary: sentences from the transcript._', '');
  }
  out.push(...summary.sentences.map((s) => `- ${inline(s.text)} _(${s.speaker ? `${inline(s.speaker)}, ` : ''}${clock(s.t0 ?? 0)})_`));
  out.push(`- ${summary.countsText}`);
  const dismissed = dismissedItems(records);
  out.push('', '## Decisions', '');
  out.push(...(decisions.length ? decisions.map((d) => `- ${DECISION_PREFIX[d.kind ?? 'decision'] ?? ''}${inline(d.text)} _(${origin(d)})_`) : ['_None recorded._']));
  out.push(...dismissedLines(dismissed.decisions));
  out.push('', '## Action items', '');
  out.push(...(items.length
    ? items.map((i) => {
      const ticked = isTicked(i, kept, options.marked);
      const spokenIn = i.segmentId ? segmentById.get(i.segmentId) : undefined;
      const prefix = spokenIn && links.prefixFor(spokenIn.segmentId);
      const place = spokenIn?.viewing ? `, while viewing ${placeMarkdown(spokenIn.viewing, prefix)}` : '';
      const line = `${itemText(i.text, spokenIn, prefix)}${i.owner ? ` — @${inline(i.owner)}` : ''}${i.due ? `, due ${i.due}` : ''} _(${origin(i)}${place})_`;
      return `- [${ticked ? 'x' : ' '}] ${line} <!-- earshot:${commentId(i.id)}${ticked ? ' done' : ''} -->`;
    })
    : ['_None recorded._']));
  out.push(...dismissedLines(dismissed.actionItems));
  out.push('', '## Open questions', '');
  out.push(...(questions.length
    ? questions.map((q) => `- ${inline(q.text)}${q.speaker ? ` — ${inline(q.speaker)}` : ''} _(${clock(q.t0 ?? 0)})_`)
    : ['_None recorded._']));
  let mine = kept.myNotes ?? '\n';
  if (!mine.endsWith('\n')) mine += '\n';
  out.push('', '## My notes', '', MY_NOTES_START);
  const head = out.join('\n') + '\n' + mine + MY_NOTES_END + '\n';
  const tail: string[] = ['', '## Transcript', ''];
  let viewing: EditorLocation | undefined;
  // Where the daemon died and a new one resumed the session: a live recording has a hole there (a file is read again,
  // so nothing of it is missing and nothing is said).
  const live = !header.sources.includes('file');
  const gaps = live ? records.flatMap((r) => (r.type === 'resume' && r.atSec > r.fromSec ? [r] : [])).sort((a, b) => a.atSec - b.atSec) : [];
  const gapLine = (g: (typeof gaps)[number]) => {
    if (tail[tail.length - 1] !== '') tail.push('');
    tail.push(`*Earshot stopped and resumed here: nothing was recorded from ${clock(g.fromSec)} to ${clock(g.atSec)}.*`, '');
  };
  for (const s of segments) {
    while (gaps.length && gaps[0].atSec <= s.t0) gapLine(gaps.shift()!);
    const prefix = links.prefixFor(s.segmentId);
    // Where the user was looking, each time it changes. Blank lines around it: right under a list item, a line
    // would continue that item's paragraph.
    if (s.viewing && !sameLocation(s.viewing, viewing)) {
      if (tail[tail.length - 1] !== '') tail.push('');
      tail.push(`*while viewing ${placeMarkdown(s.viewing, prefix)}*`, '');
    }
    viewing = s.viewing;
    const text = prefix === undefined || !s.mentions?.length ? inline(s.text) : linkify(s.text, s.mentions, 'markdown', { pathPrefix: prefix }).trim();
    tail.push(`- **[${clock(s.t0)}] ${inline(s.speaker)}:** ${text}`);
  }
  if (!segments.length) tail.push('_Nothing was transcribed._');
  for (const g of gaps) gapLine(g);
  tail.push('');
  return head + tail.join('\n');
}

/** Items and decisions the opt-in language model dismissed (their latest revision), in meeting order. */
function dismissedItems(records: readonly JournalRecord[]): { actionItems: ActionItemRecord[]; decisions: DecisionRecord[] } {
  const pick = <T extends { removed?: boolean; dismissed?: unknown; t0: number; id: string; revision: number }>(list: T[]) =>
    [...latestById(list).values()].filter((r) => r.removed && r.dismissed).sort((a, b) => a.t0 - b.t0);
  return {
    actionItems: pick(records.filter((r): r is ActionItemRecord => r.type === 'actionItem')),
    decisions: pick(records.filter((r): r is DecisionRecord => r.type === 'decision')),
  };
}

/**
 * Dismissed entries under their section, struck through with the model's reason: never silently gone, and restored
 * from the panel (its Restore button, earshot/item/restore).
 */
function dismissedLines(list: readonly (ActionItemRecord | DecisionRecord)[]): string[] {
  if (!list.length) return [];
  const by = [...new Set(list.map((r) => displayModel(String(r.dismissed?.by ?? ''))))].join(', ');
  return ['', `_Dismissed by ${by} (opt-in language model); restore from the Earshot panel:_`, '',
    ...list.map((r) => `- ~~${inline(r.text)}~~ — ${inline(String(r.dismissed?.reason ?? '')).replace(/[()]/g, '')} _(dismissed, ${clock(r.t0)})_`)];
}

/** An item's line without links or place: what ticks are matched on when the id comment is gone. */
function itemLine(i: ActionItemRecord): string {
  return `${inline(i.text)}${i.owner ? ` — @${inline(i.owner)}` : ''}${i.due ? `, due ${i.due}` : ''} _(${origin(i)})_`;
}

/** An item's text with the mentions of the segment it was said in as links, when the text is that segment's words. */
function itemText(text: string, spokenIn: FinalSegment | undefined, prefix: string | undefined): string {
  const at = spokenIn?.mentions?.length && prefix !== undefined ? spokenIn.text.indexOf(text) : -1;
  if (at < 0) return inline(text);
  const inside: SegmentMention[] = spokenIn!.mentions!
    .filter((m) => m.start >= at && m.end <= at + text.length)
    .map((m) => ({ ...m, start: m.start - at, end: m.end - at }));
  return linkify(text, inside, 'markdown', { pathPrefix: prefix }).trim();
}

/** `src/auth.ts:40–52` (`:40` for one line), linked to the lines when the workspace folder is known. */
function placeMarkdown(location: EditorLocation, prefix: string | undefined): string {
  const lines = location.endLine > location.startLine ? `${location.startLine}–${location.endLine}` : `${location.startLine}`;
  const label = inline(`${location.path}:${lines}`);
  return prefix === undefined ? label : `[${label}](${linkDestination(location.path, prefix, location.startLine, location.endLine)})`;
}

/**
 * How the notes file reaches workspace files: the path from the notes folder to the workspace folder that each
 * segment's paths are relative to (the last `workspace` record before it), with `/` and a trailing slash. Undefined
 * (no links, the paths as text) without a workspace folder, without a notes file, or when no relative path exists
 * (another drive).
 */
function workspaceLinks(journal: JournalContents): { prefixFor(segmentId: string): string | undefined } {
  const notesPath = journal.header.notesPath;
  const rootBySegment = new Map<string, string>();
  let root: string | undefined;
  for (const r of journal.records) {
    if (r.type === 'workspace' && typeof r.root === 'string') root = r.root;
    else if (r.type === 'segment' && root !== undefined) rootBySegment.set(r.segmentId, root);
  }
  const prefixes = new Map<string, string | undefined>();
  const prefixOf = (workspaceRoot: string): string | undefined => {
    if (!notesPath || !path.isAbsolute(notesPath) || !path.isAbsolute(workspaceRoot)) return undefined;
    const relative = path.relative(path.dirname(notesPath), workspaceRoot);
    if (path.isAbsolute(relative)) return undefined;
    const slashed = relative.split(path.sep).join('/');
    return slashed ? `${slashed}/` : '';
  };
  return {
    prefixFor(segmentId) {
      const workspaceRoot = rootBySegment.get(segmentId);
      if (workspaceRoot === undefined) return undefined;
      if (!prefixes.has(workspaceRoot)) prefixes.set(workspaceRoot, prefixOf(workspaceRoot));
      return prefixes.get(workspaceRoot);
    },
  };
}

export async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Writes via a temporary file and rename, so a crash or a full disk never leaves half a file. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  await replaceAtomic(file, content, async () => true);
}

/**
 * mkdir -p that fails with the real reason: Node's recursive mkdir says ENOENT where the folder cannot be created on a
 * read-only file system (EROFS) or without permission; a plain mkdir of the first missing folder says which.
 */
async function makeFolder(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    let missing = dir;
    for (let parent = path.dirname(missing); parent !== missing && !(await fs.stat(parent).then(() => true, () => false)); parent = path.dirname(parent)) missing = parent;
    await fs.mkdir(missing); // throws EROFS, EACCES, ENOTDIR…
    await fs.mkdir(dir, { recursive: true });
  }
}

/** Writes `content` to a temporary file, then renames it over `file` if `stillValid()` says so; true when it did. */
async function replaceAtomic(file: string, content: string, stillValid: () => Promise<boolean>): Promise<boolean> {
  await makeFolder(path.dirname(file));
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    // Flushed before the rename: after a power loss the file is the old one or the new one, never empty.
    const handle = await fs.open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (!(await stillValid())) {
      await fs.rm(temp, { force: true });
      return false;
    }
    await fs.rename(temp, file);
    return true;
  } catch (e) {
    // A full disk fails the write half-way: the partial temporary file goes, the error that says why is kept.
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw e;
  }
}

/**
 * Rewrites a notes file the user may be editing: reads it, renders from what it holds now, and replaces it
 * atomically, unless it changed meanwhile (the user saved while we rendered): then it starts over from the new
 * content, so a save is never overwritten with an older copy of the user's notes. Leaves an unchanged file alone.
 * A file the user deleted is written afresh.
 */
export async function writeNotesFile(file: string, render: (previous: string | undefined) => string, attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const previous = await readIfExists(file);
    const content = render(previous);
    if (content === previous) return;
    const written = await replaceAtomic(file, content, async () => attempt >= attempts || (await readIfExists(file)) === previous);
    if (written) return;
  }
}

/** `YYYY-MM-DD-HHMM-<title>.md` in local time, with the title reduced to a safe file name. */
export function notesFileName(startedAt: Date, title: string): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${startedAt.getFullYear()}-${pad(startedAt.getMonth() + 1)}-${pad(startedAt.getDate())}-${pad(startedAt.getHours())}${pad(startedAt.getMinutes())}`;
  const slug = title.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'meeting';
  return `${stamp}-${slug}.md`;
}
