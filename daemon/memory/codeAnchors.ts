/**
 * Code that remembers its meetings: which meetings spoke of a workspace file or symbol, the lines that did, and the
 * decisions and open action items tied to those lines. A line is anchored to code two ways (daemon/anchoring/): its
 * text named the file or symbol (`named`: a SegmentMention), or the user had the file open as it was said (`viewing`:
 * an EditorLocation). Paths are workspace-relative with '/', relative to the segment's `root` (the journal's workspace
 * record before it).
 *
 * Tied: a decision or open action item is tied to a meeting's anchored lines when its source segment is one of them or
 * lies in the same topical block as one (memoryIndex.ts's topicBlocksOf, the blocks search ranks): "let's cache the
 * token in auth.ts … agreed, we cache it" ties the decision two lines on to the file. An item the language model added
 * (no source segment) is tied to nothing. Open items only: done and withdrawn ones are left out; decisions as they
 * stand (withdrawn ones are not in memory).
 *
 * The anchor map is built from the index once per index version (MemoryIndex.version: every put, remove and clear), at
 * the first query after a change, and kept beside the index; queries read it. Pure: reads no file, logs nothing.
 */
import {
  ActionItem, CODE_ANCHORS_BOUND, CodeAnchorFile, CodeAnchorMeetingInfo, Decision, decisionStanding, EditorLocation, MemoryCodeAnchorsResult, MemoryLine,
  MemoryMeeting, MentionTarget,
} from '../../protocol/protocol';
import { cutAround } from '../../protocol/textSize';
import { inRange, MeetingRecord, MemoryIndex, newestFirst, topicBlocksOf } from './memoryIndex';

export interface CodeAnchorQuery {
  /** Workspace-relative, with '/' (a leading './' or '/' and backslashes are forgiven). */
  path?: string;
  /** A symbol's name (any case). */
  symbol?: string;
  /** Only meetings recorded in this workspace folder; absent: any. */
  root?: string;
  /** Only meetings that started on or after this day (YYYY-MM-DD) or time. */
  since?: string;
}

export interface CodeAnchorLine {
  line: MemoryLine;
  how: 'named' | 'viewing';
  /** What the line named, or (viewing) the file, or the symbol whose line the viewed range held. */
  target: MentionTarget;
  /** `viewing` only: the lines the user had selected (or the cursor's line). */
  viewing?: EditorLocation;
}

export interface CodeAnchorMeeting {
  meeting: MemoryMeeting;
  /** In meeting order, one per segment (a segment that named it and was viewing it counts as `named`). */
  lines: CodeAnchorLine[];
  decisions: { decision: Decision; notesLine?: number }[];
  actionItems: { item: ActionItem; notesLine?: number }[];
}

/** One anchored segment: the meeting, the segment's index, how, and what. */
interface Anchor {
  sessionId: string;
  segment: number;
  how: 'named' | 'viewing';
  target: MentionTarget;
  viewing?: EditorLocation;
  root?: string;
}

/** The index's anchors by path (every anchor: file and symbol mentions, viewing places) and by symbol name (folded). */
interface AnchorMap {
  version: number;
  byPath: Map<string, Anchor[]>;
  bySymbol: Map<string, Anchor[]>;
  /** The topical block of each segment, for the meetings that have anchors. */
  blockOf: Map<string, Int32Array>;
}

const maps = new WeakMap<MemoryIndex, AnchorMap>();

/** The meetings that spoke of `query.path` and/or `query.symbol` (neither: none), newest first. */
export function codeAnchors(index: MemoryIndex, query: CodeAnchorQuery): CodeAnchorMeeting[] {
  const map = anchorMap(index);
  const path = query.path !== undefined ? normalizePath(query.path) : undefined;
  const symbol = query.symbol?.trim().toLowerCase();
  if (!path && !symbol) return [];
  const root = query.root !== undefined ? normalizeRoot(query.root) : undefined;
  const inRoot = (a: Anchor) => root === undefined || (a.root !== undefined && normalizeRoot(a.root) === root);

  let found: Anchor[];
  if (symbol) {
    const named = (map.bySymbol.get(symbol) ?? []).filter((a) => inRoot(a) && (!path || a.target.path === path));
    // The symbol's line is known from the mentions that named it: a range viewed in its file that holds it counts.
    const places = new Map(named.filter((a) => a.target.line !== undefined).map((a) => [`${a.root}\u0000${a.target.path}\u0000${a.target.line}`, a]));
    const viewed: Anchor[] = [];
    for (const place of places.values()) {
      for (const a of map.byPath.get(place.target.path) ?? []) {
        if (a.how === 'viewing' && a.root === place.root && a.viewing!.startLine <= place.target.line! && place.target.line! <= a.viewing!.endLine) {
          viewed.push({ ...a, target: place.target });
        }
      }
    }
    found = [...named, ...viewed];
  } else {
    found = (map.byPath.get(path!) ?? []).filter(inRoot);
  }

  const bySession = new Map<string, Anchor[]>();
  for (const a of found) bySession.set(a.sessionId, [...(bySession.get(a.sessionId) ?? []), a]);
  const out: CodeAnchorMeeting[] = [];
  for (const [sessionId, anchors] of bySession) {
    const record = index.record(sessionId);
    if (!record || !inRange(record.meeting.startedAt, query.since)) continue;
    out.push(meetingOf(record, anchors, map.blockOf.get(sessionId)!));
  }
  return out.sort((a, b) => newestFirst(a.meeting, b.meeting));
}

/** Every workspace-relative path the meetings of `root` (absent: any) anchored, with a symbol's names by path. */
export function anchoredPaths(index: MemoryIndex, root?: string): Map<string, Set<string>> {
  const map = anchorMap(index);
  const want = root !== undefined ? normalizeRoot(root) : undefined;
  const out = new Map<string, Set<string>>();
  for (const [path, anchors] of map.byPath) {
    const mine = anchors.filter((a) => want === undefined || (a.root !== undefined && normalizeRoot(a.root) === want));
    if (!mine.length) continue;
    const symbols = new Set<string>();
    for (const a of mine) if (a.how === 'named' && a.target.kind === 'symbol' && a.target.name) symbols.add(a.target.name);
    out.set(path, symbols);
  }
  return out;
}

/**
 * Every file the meetings of workspace folder `root` anchored, for earshot/memory/codeAnchors: each file's meetings, and
 * those of each of its symbols a line named; most recently discussed first, cut to CODE_ANCHORS_BOUND (the files
 * discussed last keep theirs when the budget runs out).
 */
export function workspaceCodeAnchors(index: MemoryIndex, root: string): MemoryCodeAnchorsResult {
  const found: { path: string; meetings: CodeAnchorMeeting[]; symbols: { name: string; line: number; meetings: CodeAnchorMeeting[] }[] }[] = [];
  for (const [path, symbols] of anchoredPaths(index, root)) {
    const meetings = codeAnchors(index, { path, root });
    if (!meetings.length) continue;
    const symbolList = [...symbols].sort().flatMap((name) => {
      const about = codeAnchors(index, { path, symbol: name, root });
      const line = about.flatMap((m) => m.lines).find((l) => l.how === 'named' && l.target.line !== undefined)?.target.line;
      return about.length && line !== undefined ? [{ name, line, meetings: about }] : [];
    });
    found.push({ path, meetings, symbols: symbolList });
  }
  found.sort((a, b) => newestFirst(a.meetings[0].meeting, b.meetings[0].meeting) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  let truncated = found.length > CODE_ANCHORS_BOUND.files;
  let left = CODE_ANCHORS_BOUND.entries;
  /** Meetings within the bounds, each costing its entries (itself, its lines, decisions and items) of what is left. */
  const info = (meetings: CodeAnchorMeeting[]): CodeAnchorMeetingInfo[] => {
    const out: CodeAnchorMeetingInfo[] = [];
    for (const m of meetings.slice(0, CODE_ANCHORS_BOUND.meetings)) {
      const lines = m.lines.slice(0, CODE_ANCHORS_BOUND.lines);
      const cost = 1 + lines.length + m.decisions.length + m.actionItems.length;
      if (cost > left) break;
      left -= cost;
      if (lines.length < m.lines.length) truncated = true;
      out.push({
        meeting: m.meeting,
        lines: lines.map(({ line, how, target }) => ({
          index: line.index, ...(line.notesLine ? { notesLine: line.notesLine } : {}), t0: line.t0, speaker: line.speaker,
          text: cutAround(line.text, 0, CODE_ANCHORS_BOUND.lineChars), how, ...(target.kind === 'symbol' && target.name ? { symbol: target.name } : {}),
        })),
        decisions: m.decisions.map(({ decision, notesLine }) => ({ decision, standing: decisionStanding(decision), ...(notesLine ? { notesLine } : {}) })),
        actionItems: m.actionItems,
      });
    }
    if (out.length < meetings.length) truncated = true;
    return out;
  };
  const files: CodeAnchorFile[] = [];
  for (const f of found.slice(0, CODE_ANCHORS_BOUND.files)) {
    const meetings = info(f.meetings);
    if (!meetings.length) break; // the budget ran out
    const symbols = f.symbols.slice(0, CODE_ANCHORS_BOUND.symbols).map((s) => ({ name: s.name, line: s.line, meetings: info(s.meetings) })).filter((s) => s.meetings.length);
    if (symbols.length < f.symbols.length) truncated = true;
    files.push({ path: f.path, meetings, symbols });
  }
  return { files, truncated };
}

/** A meeting's anchored lines (one per segment, `named` first) and what is tied to them. */
function meetingOf(record: MeetingRecord, anchors: Anchor[], blockOf: Int32Array): CodeAnchorMeeting {
  const bySegment = new Map<number, Anchor>();
  for (const a of anchors) {
    const had = bySegment.get(a.segment);
    if (!had || (had.how === 'viewing' && a.how === 'named')) bySegment.set(a.segment, a);
  }
  const segments = [...bySegment.keys()].sort((x, y) => x - y);
  const lines = segments.map((i): CodeAnchorLine => {
    const a = bySegment.get(i)!;
    const s = record.segments[i];
    const notesLine = record.segmentNotesLines?.[i];
    const line: MemoryLine = { segmentId: s.segmentId, index: i + 1, speaker: s.speaker, t0: s.t0, t1: s.t1, text: s.text, hit: true, ...(notesLine ? { notesLine } : {}) };
    return { line, how: a.how, target: a.target, ...(a.viewing ? { viewing: a.viewing } : {}) };
  });
  const anchored = new Set(segments);
  const blocks = new Set(segments.map((i) => blockOf[i]));
  const indexOf = new Map(record.segments.map((s, i) => [s.segmentId, i]));
  const tied = (segmentId: string) => {
    const i = indexOf.get(segmentId);
    return i !== undefined && (anchored.has(i) || blocks.has(blockOf[i]));
  };
  const notesLine = (id: string) => {
    const at = record.itemNotesLines?.get(id);
    return at ? { notesLine: at } : {};
  };
  return {
    meeting: record.meeting,
    lines,
    decisions: record.decisions.filter((d) => !d.removed && tied(d.segmentId)).sort((a, b) => a.t0 - b.t0)
      .map((decision) => ({ decision, ...notesLine(decision.id) })),
    actionItems: record.actionItems.filter((i) => !i.removed && !i.done && tied(i.segmentId)).sort((a, b) => a.t0 - b.t0)
      .map((item) => ({ item, ...notesLine(item.id) })),
  };
}

/** The index's anchor map: the one kept while the index is unchanged, else built anew. */
function anchorMap(index: MemoryIndex): AnchorMap {
  const kept = maps.get(index);
  if (kept && kept.version === index.version) return kept;
  const map: AnchorMap = { version: index.version, byPath: new Map(), bySymbol: new Map(), blockOf: new Map() };
  const add = (m: Map<string, Anchor[]>, key: string, a: Anchor) => {
    const list = m.get(key);
    if (list) list.push(a);
    else m.set(key, [a]);
  };
  for (const sessionId of index.sessionIds()) {
    const record = index.record(sessionId)!;
    // Dictations are text typed by voice, not what a meeting said (memory leaves them out of everything it answers).
    if (record.dictation) continue;
    let any = false;
    record.segments.forEach((s, segment) => {
      const root = s.root;
      for (const m of s.mentions ?? []) {
        const target = { ...m.target, path: normalizePath(m.target.path) };
        const a: Anchor = { sessionId, segment, how: 'named', target, ...(root !== undefined ? { root } : {}) };
        add(map.byPath, target.path, a);
        if (target.kind === 'symbol' && target.name) add(map.bySymbol, target.name.toLowerCase(), a);
        any = true;
      }
      if (s.viewing) {
        const path = normalizePath(s.viewing.path);
        add(map.byPath, path, { sessionId, segment, how: 'viewing', target: { kind: 'file', path }, viewing: { ...s.viewing, path }, ...(root !== undefined ? { root } : {}) });
        any = true;
      }
    });
    if (any) map.blockOf.set(sessionId, topicBlocksOf(record.segments).blockOf);
  }
  maps.set(index, map);
  return map;
}

const normalizePath = (p: string) => p.replace(/\\/g, '/').replace(/^(\.?\/)+/, '');
/**
 * A root as compared: without a trailing separator (`/work/app/` is `/work/app`), a Windows drive letter in lower case
 * (VS Code's fsPath writes `c:\app`, a shell's `C:\app`).
 */
const normalizeRoot = (r: string) => (r.length > 1 ? r.replace(/[\\/]+$/, '') : r).replace(/^[A-Z](?=:[\\/])/, (d) => d.toLowerCase());
