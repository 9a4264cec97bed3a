/**
 * Renders a session's Markdown notes from its journal, so the file can always be rebuilt and never holds anything the
 * journal does not: header, summary, decisions, action items, open questions, My notes, transcript.
 *
 * Owns the notes' layout. Must not read or write files (notesFile.ts) nor decide what the user's part of the previous
 * file is (previousNotes.ts); the small shared wordings are in notesText.ts and protocol/markdownText.ts.
 */
import * as path from 'node:path';
import { decisionStanding, EditorLocation, FinalSegment, SegmentMention, TemplateSection, TemplateSectionFill } from '../../protocol/protocol';
import { clock, inline, linkDestination } from '../../protocol/markdownText';
import { ActionItemRecord, currentItems, DecisionRecord, JournalContents, JournalRecord, latestById, segmentRoots, segmentsOf } from '../journal/journal';
import { sameLocation } from '../anchoring/editorTimeline';
import { linkify } from '../anchoring/mentions';
import { openQuestions } from '../understanding/questions';
import { commentId, continuesTurn, DECISION_GROUPS, displayModel, historySuffix, origin, transcriptLineStart } from './notesText';
import { citedLines, notesSummary, NotesSummary, summaryLines, transcriptAnchor } from './summarySection';
import { isTicked, MY_NOTES_END, MY_NOTES_START, parsePreviousNotes } from './previousNotes';
import { NameTies } from '../speakers/nameTies';
import { modelSectionCites, modelSectionLines } from './templateSections';

/** The standard notes' sections: what a meeting without a template gets. */
export const STANDARD_SECTIONS: readonly TemplateSection[] = [
  { heading: 'Summary', fill: 'summary', instructions: '' },
  { heading: 'Decisions', fill: 'decisions', instructions: '' },
  { heading: 'Action items', fill: 'actionItems', instructions: '' },
  { heading: 'Open questions', fill: 'openQuestions', instructions: '' },
  { heading: 'Transcript', fill: 'transcript', instructions: '' },
];


/** How a decision reads in the notes: things not to do are marked, agreements are plain (a deferral is under Left open). */
const DECISION_PREFIX: Record<string, string> = { negative: '**Not doing:** ' };

export interface RenderOptions {
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
  /** The language model's last summary (none without a model: the rules write no summary). */
  summary: NotesSummary;
  openQuestions: ReturnType<typeof openQuestions>;
}

export function notesDigest(journal: JournalContents): NotesDigest {
  const segments = segmentsOf(journal.records);
  const { actionItems, decisions } = currentItems(journal.records);
  const spoken = segments.map((s) => ({ speaker: s.speaker, text: s.text, t0: s.t0, segmentId: s.segmentId }));
  const questions = openQuestions(spoken);
  const ended = journal.records.some((r) => r.type === 'end');
  const summary = notesSummary(journal.records, new Map(segments.map((s) => [s.segmentId, s])), ended);
  return { segments, actionItems, decisions, summary, openQuestions: questions };
}

/**
 * The notes file for a journal. `previous` is the file as it is now (undefined: none): the user's My notes
 * section is carried over byte for byte and ticked action items stay ticked.
 */
export function renderNotes(journal: JournalContents, previous?: string, options: RenderOptions = {}): string {
  const { header, records } = journal;
  const { segments, actionItems: items, decisions, summary, openQuestions: questions } = options.digest ?? notesDigest(journal);
  const end = records.find((r) => r.type === 'end') as Extract<JournalRecord, { type: 'end' }> | undefined;
  const started = new Date(header.startedAt);
  const speakers = [...new Set(segments.map((s) => s.speaker))];
  const kept = parsePreviousNotes(previous);
  const links = workspaceLinks(journal);
  const segmentById = new Map(segments.map((s) => [s.segmentId, s]));

  const out: string[] = [`# ${inline(header.title)}`, ''];
  out.push(`- **Date:** ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC`);
  // A voice the meeting ties to a name ("I'm David") is shown with it (speakers/nameTies.ts), here and at its items.
  const ties = NameTies.of(segments);
  const withName = (speaker: string) => { const name = ties.nameOf(speaker); return name ? `${speaker} (${name})` : speaker; };
  if (speakers.length) out.push(`- **Participants:** ${speakers.map((s) => inline(withName(s))).join(', ')}`);
  if (header.audioFile) out.push(`- **Recording:** ${inline(path.basename(header.audioFile))}`);
  if (end) {
    out.push(`- **Duration:** ${clock(end.capturedSec)}`);
  } else {
    out.push('- **Status:** in progress');
  }
  if (end?.error) out.push(`- **Stopped by an error:** ${inline(end.error)}`);
  const cited = citedLines(summary);
  if (header.template) for (const id of modelSectionCites(records)) cited.add(id);
  const dismissed = dismissedItems(records);
  const parts: Record<Exclude<TemplateSectionFill, 'transcript' | 'model'>, () => string[]> = {
    summary: () => summaryLines(summary, segmentById, end !== undefined),
    decisions: () => [...(decisions.length ? decisionLines(decisions) : ['_None recorded._']), ...dismissedLines(dismissed.decisions)],
    actionItems: () => [...(items.length
      ? items.map((i) => {
        const ticked = isTicked(i, kept, options.marked);
        const spokenIn = i.segmentId ? segmentById.get(i.segmentId) : undefined;
        const prefix = spokenIn && links.prefixFor(spokenIn.segmentId);
        const place = spokenIn?.viewing ? `, while viewing ${placeMarkdown(spokenIn.viewing, prefix)}` : '';
        const line = `${itemText(i.text, spokenIn, prefix)}${i.owner ? ` — @${inline(withName(i.owner))}` : ''}${i.due ? `, due ${i.due}` : ''} _(${origin(i)}${place})_`;
        return `- [${ticked ? 'x' : ' '}] ${line} <!-- earshot:${commentId(i.id)}${ticked ? ' done' : ''} -->`;
      })
      : ['_None recorded._']), ...dismissedLines(dismissed.actionItems)],
    openQuestions: () => (questions.length
      ? questions.map((q) => `- ${inline(q.text)}${q.speaker ? ` — ${inline(q.speaker)}` : ''} _(${clock(q.t0 ?? 0)})_`)
      : ['_None recorded._']),
  };
  // The template's sections in its order (the standard notes are a template too); the transcript closes the notes.
  const sections = header.template?.sections ?? STANDARD_SECTIONS;
  for (const section of sections) {
    if (section.fill === 'transcript') continue;
    out.push('', `## ${inline(section.heading)}`, '');
    // A fill this version does not know (a journal from a later one): its heading, as a section for the model.
    const fill = Object.prototype.hasOwnProperty.call(parts, section.fill) ? parts[section.fill as keyof typeof parts] : undefined;
    out.push(...(fill ? fill() : modelSectionLines(section.heading, records, segmentById, end !== undefined)));
  }
  let mine = kept.myNotes ?? '\n';
  if (!mine.endsWith('\n')) mine += '\n';
  out.push('', '## My notes', '', MY_NOTES_START);
  const head = out.join('\n') + '\n' + mine + MY_NOTES_END + '\n';
  const transcriptHeading = sections.find((x) => x.fill === 'transcript')?.heading ?? 'Transcript';
  const tail: string[] = ['', `## ${inline(transcriptHeading)}`, ''];
  let viewing: EditorLocation | undefined;
  // Where the daemon died and a new one resumed the session: a live recording has a hole there (a file is read again,
  // so nothing of it is missing and nothing is said).
  const live = !header.sources.includes('file');
  const gaps = live ? records.flatMap((r) => (r.type === 'resume' && r.atSec > r.fromSec ? [r] : [])).sort((a, b) => a.atSec - b.atSec) : [];
  const gapLine = (g: (typeof gaps)[number]) => {
    if (tail[tail.length - 1] !== '') tail.push('');
    tail.push(`*Earshot stopped and resumed here: nothing was recorded from ${clock(g.fromSec)} to ${clock(g.atSec)}.*`, '');
  };
  let lineOf: FinalSegment | undefined;
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
    // A line the summary cites carries the anchor its cites link to (an HTML id: VS Code's preview and GitHub jump to it).
    const anchor = cited.has(s.segmentId) ? ` <a id="${transcriptAnchor(s.segmentId)}"></a>` : '';
    // The same turn split by the early end (issue 60): one line, as if it had not been.
    if (continuesTurn(s, lineOf) && tail[tail.length - 1].startsWith('- **')) {
      tail[tail.length - 1] += ` ${text}${anchor}`;
    } else {
      tail.push(`${transcriptLineStart(s.t0, s.speaker)} ${text}${anchor}`);
    }
    lineOf = s;
  }
  if (!segments.length) tail.push('_Nothing was transcribed._');
  for (const g of gaps) gapLine(g);
  tail.push('');
  return head + tail.join('\n');
}

/**
 * The decisions grouped by their standing, each group under its heading (decided, left open, given to the team; only
 * those that have any), in meeting order within a group.
 */
function decisionLines(decisions: readonly DecisionRecord[]): string[] {
  return DECISION_GROUPS.flatMap(({ standing, heading }) => {
    const group = decisions.filter((d) => decisionStanding(d) === standing);
    // A standing a later part of the meeting changed is shown with its history (issue 56).
    return group.length ? [`### ${heading}`, '', ...group.map((d) => `- ${DECISION_PREFIX[d.kind] ?? ''}${inline(d.text)}${historySuffix(d.standingHistory)} _(${origin(d)})_`), ''] : [];
  }).slice(0, -1);
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
  const rootBySegment = segmentRoots(journal.records);
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
