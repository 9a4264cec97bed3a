/**
 * What a session held in memory when its daemon died, rebuilt from its journal for a resume: counters, the items and
 * decisions by the keys extraction anchors them with, the extraction window, and where each source had got to. Reads
 * the journal; writes nothing.
 */
import { ActionItem, Decision, SourceKind } from '../../protocol/protocol';
import { ActionItemRecord, DecisionRecord, JournalContents, JournalRecord, latestById } from '../journal/journal';
import { capturedSecOf, utteranceNumber } from '../journal/recovery';
import { SpokenLine } from '../understanding/extract';
import { isModelItem } from '../understanding/modelExtract';

/** What a session held in memory when its daemon died, as the journal tells it. */
export interface RestoredSession {
  /** Final segments journaled. */
  finals: number;
  /** The highest number in an item or decision id ("a12", "d13": one counter): new ones number on from it. */
  itemCount: number;
  /** The latest revision of every extracted item and decision, by the key extraction anchors them with. */
  items: [string, ActionItem][];
  decisions: [string, Decision][];
  /** Items and decisions a language model added while the meeting ran (never re-extracted: no key). */
  modelEntries: (ActionItem | Decision)[];
  /** The last final lines, the extraction window. */
  spoken: SpokenLine[];
  /** Per source: where it had got to. */
  sources: Map<SourceKind, RestoredSource>;
  /** The workspace folder last journaled. */
  workspaceRoot?: string;
  /** Where the capture clock had got to, as far as the journal knows. */
  capturedSec: number;
}

/** Where a source had got to: utterances numbered so far (the N of the highest "<source>-N"), its last final's text and end. */
export interface RestoredSource {
  utterances: number;
  lastText: string;
  endSec: number;
  /** Per utterance number, where its final's speech ended (s; the last piece's end when the final was cut). */
  speechEnds: Map<number, number>;
}

type SegmentRecord = Extract<JournalRecord, { type: 'segment' }>;

/**
 * Rebuilds a session's working state from its journal. Extraction keys items by the segment they are anchored to and
 * their place among that segment's items ("<segmentId>#<n>"); a key gets its id when first found and new keys of a
 * segment come in order, so numbering a segment's ids in creation order gives each id its key back.
 */
export function restoreSession(contents: JournalContents, windowLines: number): RestoredSession {
  const { records } = contents;
  const segments = records.filter((r): r is SegmentRecord => r.type === 'segment');
  const sources = new Map<SourceKind, RestoredSource>();
  for (const s of segments) {
    const entry = sources.get(s.source) ?? { utterances: 0, lastText: '', endSec: 0, speechEnds: new Map() };
    const n = utteranceNumber(s.segmentId);
    entry.utterances = Math.max(entry.utterances, n);
    if (s.text) entry.lastText = s.text;
    entry.endSec = Math.max(entry.endSec, s.t1);
    entry.speechEnds.set(n, Math.max(entry.speechEnds.get(n) ?? 0, s.t1));
    sources.set(s.source, entry);
  }
  const isModelId = (id: string) => modelIds.has(id);
  const idNumber = (id: string) => Number(/^[ad](\d+)$/.exec(id)?.[1] ?? 0);
  const sessionId = contents.header.sessionId;
  const keyed = <R extends { id: string; revision: number; segmentId: string; type: string }, T>(list: R[], make: (r: R) => T): [string, T][] => {
    const bySegment = new Map<string, R[]>();
    for (const r of latestById(list).values()) {
      // Added by the refinement at stop (no anchor) or by the model while the meeting ran: never re-extracted.
      if (!r.segmentId || isModelId(r.id)) continue;
      bySegment.set(r.segmentId, [...(bySegment.get(r.segmentId) ?? []), r]);
    }
    const out: [string, T][] = [];
    for (const [segmentId, list2] of bySegment) {
      list2.sort((a, b) => idNumber(a.id) - idNumber(b.id)).forEach((r, n) => out.push([`${segmentId}#${n}`, make(r)]));
    }
    return out;
  };
  const itemRecords = records.filter((r): r is ActionItemRecord => r.type === 'actionItem');
  const decisionRecords = records.filter((r): r is DecisionRecord => r.type === 'decision');
  const modelIds = new Set([...itemRecords, ...decisionRecords].filter((r) => isModelItem(r)).map((r) => r.id));
  const workspace = records.filter((r): r is Extract<JournalRecord, { type: 'workspace' }> => r.type === 'workspace').pop();
  return {
    finals: segments.length,
    itemCount: Math.max(0, ...[...itemRecords, ...decisionRecords].map((r) => idNumber(r.id))),
    items: keyed(itemRecords, ({ type: _t, ...r }) => ({ sessionId, ...r })),
    decisions: keyed(decisionRecords, ({ type: _t, ...r }) => ({ sessionId, ...r })),
    modelEntries: [...latestById(itemRecords).values(), ...latestById(decisionRecords).values()]
      .filter((r) => modelIds.has(r.id)).map(({ type: _t, ...r }) => ({ sessionId, ...r }) as ActionItem | Decision),
    // Lines in the order they were finalized, as the live window had them.
    spoken: segments.slice(-windowLines).map((s) => ({ speaker: s.speaker, text: s.text, t0: s.t0, segmentId: s.segmentId })),
    sources,
    ...(workspace ? { workspaceRoot: workspace.root } : {}),
    capturedSec: capturedSecOf(records),
  };
}
