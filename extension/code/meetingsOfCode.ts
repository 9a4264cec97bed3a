// extension/code/: code that remembers its meetings: a CodeLens above the workspace files and symbols stored meetings
// spoke of, a hover listing those meetings, decisions and open items, and a quick pick of their lines (codeLens.ts
// wires them; this file is what they show, with no VS Code in it). Imports memory/ (dates, times) and protocol/.
/**
 * What the meetings' CodeLens, hover and quick pick say about one file or symbol, from the daemon's anchors
 * (earshot/memory/codeAnchors): the lens title, the hover's Markdown (meeting text escaped, each link a command URI of
 * {@link OPEN_LINE_COMMAND} alone), the quick pick's entries, and the line a symbol's lens goes above today.
 *
 * Pure: plain data in, strings and plain objects out (unit-tested without an editor).
 */
import type { CodeAnchorFile, CodeAnchorMeetingInfo } from '../../protocol/protocol';
import { dropControls, plainLine } from '../../protocol/plainText';
import { clock, escapeMarkdown, meetingDate } from '../memory/prompt';

/** Opens one line of a stored meeting: its notes at `notesLine`, else its transcript at segment `index`. */
export const OPEN_LINE_COMMAND = 'earshot.codeMeetings.openLine';
/** The lens's command: a quick pick of the meetings' lines for a file (and symbol). */
export const SHOW_COMMAND = 'earshot.codeMeetings.show';

/** What OPEN_LINE_COMMAND is given: the meeting, and where in it (the notes line, else the segment's index). */
export interface LineTarget {
  sessionId: string;
  notesLine?: number;
  index?: number;
}

/** Meetings, decisions and open items (each counted once across meetings). */
export function counts(meetings: readonly CodeAnchorMeetingInfo[]): { meetings: number; decisions: number; openItems: number } {
  const decisions = new Set<string>();
  const items = new Set<string>();
  for (const m of meetings) {
    for (const d of m.decisions) decisions.add(`${m.meeting.sessionId}\u0000${d.decision.id}`);
    for (const i of m.actionItems) items.add(`${m.meeting.sessionId}\u0000${i.item.id}`);
  }
  return { meetings: meetings.length, decisions: decisions.size, openItems: items.size };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "3 meetings · 1 decision · 2 open items" (the counts that are 0 left out, but the meetings). */
export function lensTitle(meetings: readonly CodeAnchorMeetingInfo[]): string {
  const c = counts(meetings);
  return [plural(c.meetings, 'meeting'), ...(c.decisions ? [plural(c.decisions, 'decision')] : []), ...(c.openItems ? [plural(c.openItems, 'open item')] : [])].join(' · ');
}

/** A command URI for a hover link: only this command, its one argument JSON-encoded. */
export function openLineUri(target: LineTarget): string {
  return `command:${OPEN_LINE_COMMAND}?${encodeURIComponent(JSON.stringify([target]))}`;
}

/** Meeting text as inert Markdown on one line: no control or bidi character, nothing that makes a link, HTML or a block. */
export function inertMarkdown(text: string): string {
  return escapeMarkdown(dropControls(text));
}

/** The first line of a meeting that leads somewhere: where its notes show it, else its transcript's line. */
const firstLine = (m: CodeAnchorMeetingInfo): LineTarget => {
  const l = m.lines.find((x) => x.notesLine) ?? m.lines[0];
  return { sessionId: m.meeting.sessionId, ...(l?.notesLine ? { notesLine: l.notesLine } : {}), ...(l ? { index: l.index } : {}) };
};

/** Lines quoted per meeting in the hover (the quick pick lists them all). */
const HOVER_LINES = 2;
const HOVER_MEETINGS = 5;

/**
 * The hover: `subject` (the file's name or the symbol's) and each meeting, newest first: its title and date linked to
 * its first line, a line or two that spoke of it, its decisions with their standing and its open items, each linked
 * to its notes line. Every piece of meeting text is escaped (inertMarkdown); the caller trusts OPEN_LINE_COMMAND alone.
 */
export function hoverMarkdown(subject: string, meetings: readonly CodeAnchorMeetingInfo[]): string {
  const link = (label: string, target: LineTarget) => `[${label}](${openLineUri(target)})`;
  const out = [`**Earshot:** ${inertMarkdown(subject)} came up in ${lensTitle(meetings)}`, ''];
  for (const m of meetings.slice(0, HOVER_MEETINGS)) {
    const id = m.meeting.sessionId;
    out.push(`**${link(inertMarkdown(m.meeting.title), firstLine(m))}** · ${meetingDate(m.meeting.startedAt)}`, '');
    for (const l of m.lines.slice(0, HOVER_LINES)) {
      const where = link(`${clock(l.t0)}`, { sessionId: id, ...(l.notesLine ? { notesLine: l.notesLine } : {}), index: l.index });
      out.push(`- ${where} ${l.speaker ? `${inertMarkdown(l.speaker)}: ` : ''}${inertMarkdown(l.text)}${l.how === 'viewing' ? ' *(while viewing)*' : ''}`);
    }
    if (m.lines.length > HOVER_LINES) out.push(`- …and ${plural(m.lines.length - HOVER_LINES, 'more line')}`);
    for (const d of m.decisions) {
      out.push(`- Decision (${d.standing}): ${d.notesLine ? link(inertMarkdown(d.decision.text), { sessionId: id, notesLine: d.notesLine }) : inertMarkdown(d.decision.text)}`);
    }
    for (const { item, notesLine } of m.actionItems) {
      const who = [item.owner ? `@${inertMarkdown(item.owner)}` : '', item.due ? `due ${inertMarkdown(item.due)}` : ''].filter(Boolean).join(', ');
      out.push(`- Open item: ${notesLine ? link(inertMarkdown(item.text), { sessionId: id, notesLine }) : inertMarkdown(item.text)}${who ? ` — ${who}` : ''}`);
    }
    out.push('');
  }
  if (meetings.length > HOVER_MEETINGS) out.push(`*…and ${plural(meetings.length - HOVER_MEETINGS, 'earlier meeting')}: click the lens for all.*`);
  return out.join('\n').trimEnd();
}

/** One entry of the lens's quick pick: a meeting's heading (a separator), or a line, decision or item to open. */
export type PickEntry =
  | { kind: 'meeting'; label: string }
  | { kind: 'open'; label: string; description: string; detail?: string; target: LineTarget };

/** The quick pick: per meeting (newest first), its lines, decisions and open items; plain text, one line each. */
export function pickEntries(meetings: readonly CodeAnchorMeetingInfo[]): PickEntry[] {
  const out: PickEntry[] = [];
  for (const m of meetings) {
    const id = m.meeting.sessionId;
    out.push({ kind: 'meeting', label: `${plainLine(m.meeting.title)} · ${meetingDate(m.meeting.startedAt)}` });
    for (const l of m.lines) {
      out.push({
        kind: 'open', label: `$(quote) ${plainLine(l.text)}`, description: `${clock(l.t0)}${l.speaker ? ` ${plainLine(l.speaker)}` : ''}${l.how === 'viewing' ? ' · while viewing' : ''}`,
        target: { sessionId: id, ...(l.notesLine ? { notesLine: l.notesLine } : {}), index: l.index },
      });
    }
    for (const d of m.decisions) {
      out.push({ kind: 'open', label: `$(law) ${plainLine(d.decision.text)}`, description: `decision · ${d.standing}`, target: { sessionId: id, ...(d.notesLine ? { notesLine: d.notesLine } : {}) } });
    }
    for (const { item, notesLine } of m.actionItems) {
      const who = [item.owner ? `@${plainLine(item.owner)}` : '', item.due ? `due ${plainLine(item.due)}` : ''].filter(Boolean).join(', ');
      out.push({ kind: 'open', label: `$(checklist) ${plainLine(item.text)}`, description: `open item${who ? ` · ${who}` : ''}`, target: { sessionId: id, ...(notesLine ? { notesLine } : {}) } });
    }
  }
  return out;
}

/** How far from the line a meeting pointed at a symbol's name is looked for (the file changed since). */
const SYMBOL_DRIFT = 200;

/**
 * The 0-based line a symbol's lens goes above today: the line of the file that holds its name as a word nearest the
 * 1-based line the meeting's mention pointed at (within SYMBOL_DRIFT lines); undefined when the name is gone.
 */
export function symbolLine(lines: readonly string[], name: string, mentionedLine: number): number | undefined {
  const word = new RegExp(`(^|[^\\p{L}\\p{N}_$])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}_$])`, 'u');
  const at = Math.min(Math.max(0, mentionedLine - 1), Math.max(0, lines.length - 1));
  for (let d = 0; d <= SYMBOL_DRIFT; d++) {
    if (at - d >= 0 && word.test(lines[at - d])) return at - d;
    if (d > 0 && at + d < lines.length && word.test(lines[at + d])) return at + d;
    if (at - d < 0 && at + d >= lines.length) return undefined;
  }
  return undefined;
}

/** The file's symbol whose name is `word`, if a meeting named one of that name. */
export function symbolNamed(file: CodeAnchorFile, word: string): CodeAnchorFile['symbols'][number] | undefined {
  return file.symbols.find((s) => s.name === word);
}
