/**
 * The opt-in language-model extraction, on the journal's side (pure: no I/O): the whole meeting cut into overlapping
 * chunks of lines with their segment ids (map), each chunk's prompt and the check of its answer, and the merge of the
 * chunks' answers (reduce: chunkMerge.ts) into journal records. The model adds items and decisions (each with its standing: decided,
 * left open, given to the team) that cite the lines they come from, may fill an owner or due date a rule-based item
 * lacks, may rewrite a rule-based action item (text, owner, due) or decision (text, standing, kind: prompt v6), a
 * revision carrying the words before (`rewritten`), and may dismiss a rule-based item: a `removed` revision carrying
 * its reason (`dismissed`). Both are shown as such and
 * undoable (earshot/item/restore), never a deletion.
 * The chunks can also be taken as the meeting grows (closedChunks: the same chunks, each once it can no longer change),
 * so that a session extracts them while it runs (session/liveExtraction.ts).
 */
import { ChunkExtraction, DEFAULT_CHUNK_CHARS, DecisionKind, DecisionRewrite, DecisionStanding, decisionStanding, EnhancementProvider, ItemRewrite, StandingStep } from '../../protocol/protocol';
import { extractJsonObject } from '../../protocol/modelJson';
import { validateChunkExtraction } from '../../protocol/validate';
import { ActionItemRecord, DecisionRecord, JournalContents, JournalRecord, latestById, segmentsOf } from '../journal/journal';
import { clock, NOTED_RULES, NOTED_RULES_V8, NOTED_RULES_V9, NOTED_SHAPE, NOTED_SHAPE_V8, notedSection, validateNoted } from './carriedNotes';
import { ReducedExtraction, ReducedStep, words } from './chunkMerge';

export type { ChunkLine, ModelChunk, NotedBound, NotesPrompt, ShownItem } from './chunks';
export { NOTED_BOUND_DEFAULT, NOTES_PROMPT_DEFAULT } from './chunks';
import type { ChunkLine, ModelChunk, ShownItem } from './chunks';

export interface ChunkOptions {
  /** Characters of transcript per chunk (speaker, time and id included). */
  chunkChars: number;
  /** Lines at the end of a chunk that the next one starts with: an item said across the cut is seen whole once. */
  overlapLines: number;
}
export const DEFAULT_CHUNK_OPTIONS: ChunkOptions = { chunkChars: DEFAULT_CHUNK_CHARS, overlapLines: 4 };

/** What one line costs in a prompt: `[id] mm:ss Speaker: text` and a newline. */
export const lineChars = (l: ChunkLine) => l.segmentId.length + l.speaker.length + l.text.length + 12;

/**
 * Consecutive chunks covering every line in order; each after the first starts with the last `overlapLines` lines of
 * the one before (fewer when that chunk is shorter), and each holds at least one line it does not share.
 */
export function chunkLines(lines: readonly ChunkLine[], options: ChunkOptions = DEFAULT_CHUNK_OPTIONS): ChunkLine[][] {
  const chunks: ChunkLine[][] = [];
  let start = 0;
  while (start < lines.length) {
    let end = start;
    let used = 0;
    // At least one new line beyond the overlap, even if it alone is over the budget.
    const firstNew = chunks.length ? Math.min(start + Math.min(options.overlapLines, chunks[chunks.length - 1].length - 1), lines.length - 1) : start;
    while (end < lines.length && (end <= firstNew || used + lineChars(lines[end]) <= options.chunkChars)) used += lineChars(lines[end++]);
    chunks.push(lines.slice(start, end));
    if (end >= lines.length) break;
    start = Math.max(end - options.overlapLines, firstNew + 1);
  }
  return chunks;
}

/** The latest revision of every action item and decision (withdrawn ones included). */
function latestOf(records: readonly JournalRecord[]) {
  return {
    items: latestById(records.filter((r): r is ActionItemRecord => r.type === 'actionItem')),
    decisions: latestById(records.filter((r): r is DecisionRecord => r.type === 'decision')),
  };
}

/** The meeting's lines as the model reads them: every final with text, in time order (as segmentsOf gives them). */
export function chunkLinesOf(records: readonly JournalRecord[]): ChunkLine[] {
  return segmentsOf(records as JournalRecord[]).filter((s) => s.text.trim()).map(toChunkLine);
}

/** One final as a line of a chunk (its time rounded to a tenth of a second). */
export const toChunkLine = (s: { segmentId: string; speaker: string; t0: number; text: string }): ChunkLine =>
  ({ segmentId: s.segmentId, speaker: s.speaker, t0: Math.round(s.t0 * 10) / 10, text: s.text.trim() });

/** The rule-based items a model may be shown: not withdrawn, not restored by the user, not added by a model. */
export function shownItems(records: readonly JournalRecord[]): ShownItem[] {
  const { items, decisions } = latestOf(records);
  return [
    ...[...items.values()].filter((i) => !i.removed && !i.restored && i.segmentId && !isModelItem(i))
      .map((i): ShownItem => ({ id: i.id, kind: 'actionItem', text: i.text, owner: i.owner ?? null, due: i.due ?? null, segmentId: i.segmentId })),
    ...[...decisions.values()].filter((d) => !d.removed && !d.restored && d.segmentId && !isModelItem(d))
      .map((d): ShownItem => ({ id: d.id, kind: 'decision', text: d.text, segmentId: d.segmentId, standing: decisionStanding(d), decisionKind: d.kind === 'negative' ? 'negative' : 'decision' })),
  ];
}

/** A chunk of lines with the shown items anchored in them. */
export function withItems(lines: ChunkLine[], index: number, shown: readonly ShownItem[]): ModelChunk {
  const ids = new Set(lines.map((l) => l.segmentId));
  return { index, lines, items: shown.filter((i) => ids.has(i.segmentId)) };
}

/** The meeting's chunks, each with the rule-based items anchored in its lines (not those the user restored). */
export function modelChunks(journal: JournalContents, options: ChunkOptions = DEFAULT_CHUNK_OPTIONS): ModelChunk[] {
  const shown = shownItems(journal.records);
  return chunkLines(chunkLinesOf(journal.records), options).map((chunk, index) => withItems(chunk, index, shown));
}

/**
 * Incremental chunking, for extraction while the meeting runs: the chunks of `lines` that more lines can no longer
 * change. chunkLines is greedy and looks only forward, so the chunks of a prefix of the meeting's lines are the
 * meeting's own chunks, except the last one, which may still grow: every chunk but that one is closed (the line that
 * did not fit is there). Each closed chunk comes with `through`, the index of the line that closed it: lines arriving
 * out of time order (another source's late final) must not sort before it for the chunk to stand.
 */
export function closedChunks(lines: readonly ChunkLine[], options: ChunkOptions = DEFAULT_CHUNK_OPTIONS): { lines: ChunkLine[]; through: number }[] {
  const chunks = chunkLines(lines, options);
  let start = 0;
  return chunks.slice(0, -1).map((chunk) => {
    start = lines.indexOf(chunk[0], start);
    return { lines: chunk, through: start + chunk.length };
  });
}

/** An item the model itself added (its first revision carries the model's name). */
export function isModelItem(r: { revision: number; refinedBy?: string; id: string }): boolean {
  return r.refinedBy !== undefined && /^[ad]m\d+$/.test(r.id);
}

/**
 * The JSON the model is asked for, shown to it verbatim (prompt v4: decisions' standing; `rewrite` for `owners`.
 * v5: a decision's first cited line is the one that states it, where the notes show it. v6: a rule-based decision may
 * be rewritten too: its text, standing and kind).
 */
const SHAPE = `{
  "actionItems": [{"text": "what is to be done after the meeting", "owner": "who does it, or null", "due": "YYYY-MM-DD or null", "segments": ["the [id]s of the lines it comes from"]}],
  "decisions": [{"text": "what was decided, left open or given", "standing": "decided | open | given", "kind": "decision | negative", "segments": ["the [id] of the line that states it", "other [id]s"]}],
  "dismiss": [{"id": "the id of an extracted item below that is NOT a real action item or decision", "reason": "why, in a few words"}],
  "rewrite": [{"id": "the id of an extracted action item below that is real but wrongly written", "text": "the item as it should read", "owner": "the speaker label of who does it, or null", "due": "YYYY-MM-DD or null"},
              {"id": "the id of an extracted decision below that is real but wrongly written", "text": "the decision as it should read", "standing": "decided | open | given", "kind": "decision | negative"}]
}`;

/**
 * What a prompt knows of the meeting. `fileChangedOn` (YYYY-MM-DD): the meeting's date is not known, only the day its
 * transcript file was last changed (`earshot notes` on a file that says no date): said so, never as the meeting's date.
 */
export interface MeetingInfo { title: string; date: string; fileChangedOn?: string }

/** The prompt's date when the meeting's is not known: the day the rules read relative dates from too, said for what it is. */
export const unknownDate = (fileChangedOn: string) =>
  `not known; the transcript file was last changed on ${fileChangedOn} (read relative dates from that day)`;

/** v7's shape: v6's with the `noted` list (carriedNotes.ts) before its closing brace; v8's, that list with `text`. */
const SHAPE_V7 = `${SHAPE.slice(0, SHAPE.lastIndexOf('\n}'))},\n${NOTED_SHAPE}\n}`;
const SHAPE_V8 = `${SHAPE.slice(0, SHAPE.lastIndexOf('\n}'))},\n${NOTED_SHAPE_V8}\n}`;

/**
 * The system and user messages for one chunk: prompt v6, or v7 when the chunk carries what earlier parts noted
 * (`chunk.noted`): the answer's `noted` list, its rules, agreement without the word "decided", and the notes so far.
 */
export function chunkMessages(meeting: MeetingInfo, chunk: ModelChunk, chunks: number): { system: string; user: string } {
  const v7 = chunk.noted !== undefined;
  // v9 is v8 with two more rules (NOTED_RULES_V9): the same answer shape.
  const v8 = (chunk.noted?.prompt ?? 7) >= 8;
  const system = [
    'You extract action items and decisions from one part of a meeting transcript. Answer with one JSON object and nothing else, of this shape:',
    v8 ? SHAPE_V8 : v7 ? SHAPE_V7 : SHAPE,
    'Rules: use only what these lines say; never invent people, dates or commitments. Write what a careful note-taker',
    'would put in the notes sent round after the meeting, no more: when unsure, leave it out.',
    'An action item is concrete work someone commits to, is asked to do, or takes on, to be done after the meeting.',
    'Not action items: what is done in the room now (presenting, going first, next slide, plugging in a cable, drawing,',
    'taking the minutes, reading out an email); meeting procedure (opening, agenda, moving on, breaks, coming back to a',
    'point later in the meeting); work already done or under way (status reports); ideas, suggestions, hypotheticals and',
    'opinions nobody takes on; reported speech and work of people not in the meeting; vague intentions with nothing',
    'concrete to do. The owner is the speaker label of who does it, exactly as written before the colon, or null.',
    'A decision is a conclusion the group reaches in this meeting and states as settled (standing "decided"), a choice the',
    'group puts off until later ("open": to a later meeting, until something is known, or "later" with no time set; not',
    '"in a minute"), or a requirement or constraint the team was handed from outside, by management, a client or a brief',
    '("given": "we have to use the company colours", "it must run offline"), one entry for each separate requirement;',
    'not one person\'s opinion or proposal that nobody settles, not a question, not a fact or result, not a decision',
    'taken before this meeting and only recalled in it. Its kind is "negative" when it says something will not be done,',
    'else "decision".',
    'Each item or decision once, citing by [id] the lines that state it; for a decision, first the line that states it as',
    'settled, put off or handed to the team (not the "yeah" that agrees). Resolve relative dates from the meeting date.',
    'The lines already extracted by rules are listed: do not repeat them; list in "dismiss" those that are not real action',
    'items or decisions by these rules, with a short reason, and in "rewrite" real ones among them that are wrongly',
    'written, as they should read: an action item whose text, owner or due date is wrong or missing; a decision whose',
    'text is not a plain statement of what was decided, left open or given, or whose standing or kind is wrong. Empty lists',
    'are fine.',
    ...(chunk.noted?.prompt === 9 ? NOTED_RULES_V9 : v8 ? NOTED_RULES_V8 : v7 ? NOTED_RULES : []),
  ].join('\n');
  const user = [
    `Meeting: ${meeting.title}`,
    `Date: ${meeting.fileChangedOn ? unknownDate(meeting.fileChangedOn) : meeting.date}`,
    `Part ${chunk.index + 1} of ${chunks}.`,
    '',
    'Already extracted by rules (JSON):',
    // A decision is shown as the answer's decisions are written (v6: its kind, decision or negative, and its standing),
    // so that a rewrite can say what it should be.
    JSON.stringify(chunk.items.map((i) => (i.kind === 'actionItem'
      ? { id: i.id, kind: i.kind, text: i.text, owner: i.owner ?? null, due: i.due ?? null, segment: i.segmentId }
      : { id: i.id, kind: i.decisionKind ?? 'decision', standing: i.standing ?? 'decided', text: i.text, segment: i.segmentId }))),
    '',
    ...(chunk.noted ? [...notedSection(chunk.noted.shown, chunk.noted.left, chunk.noted.mentioned), ''] : []),
    'Transcript:',
    ...chunk.lines.map((l) => `[${l.segmentId}] ${clock(l.t0)} ${l.speaker}: ${l.text}`),
  ].join('\n');
  return { system, user };
}

/**
 * A chunk's messages while the meeting runs: it is the last part so far ("Part k of k"), as it was while its lines
 * came in and a local model read them ahead (so the call starts as what was read). At stop, chunkMessages with the total.
 */
export const liveChunkMessages = (meeting: MeetingInfo, chunk: ModelChunk) => chunkMessages(meeting, chunk, chunk.index + 1);

/**
 * A model's answer for a chunk, checked against it; null when it holds no valid answer (then it is asked once more).
 * Entries refused for what they say (a rewrite of an item not shown, an unknown standing) are said in `refused`.
 */
export function parseChunkAnswer(text: string, chunk: ModelChunk, refused: string[] = []): ChunkExtraction | null {
  const value = extractJsonObject(text);
  if (value === undefined) return null;
  const segmentIds = new Set(chunk.lines.map((l) => l.segmentId));
  const speakers = new Set(chunk.lines.map((l) => l.speaker));
  const parsed = validateChunkExtraction(value, segmentIds, new Set(chunk.items.map((i) => i.id)),
    new Set(chunk.items.filter((i) => i.kind === 'actionItem').map((i) => i.id)), speakers, refused,
    new Set(chunk.items.filter((i) => i.kind === 'decision').map((i) => i.id)));
  // v7: the entries noted before that this part cites (a v6 answer has none; an answer with only `noted` is valid).
  if (!chunk.noted) return parsed;
  const raw = (value as Record<string, unknown>)?.noted;
  if (!parsed && !Array.isArray(raw)) return null;
  const noted = validateNoted(raw, new Map(chunk.noted.shown.map((e) => [e.id, e.kind])), segmentIds, speakers, refused, { refine: (chunk.noted.prompt ?? 7) >= 8 });
  return { ...(parsed ?? { actionItems: [], decisions: [], dismiss: [], rewrite: [] }), noted };
}

/** What a model extraction run was: journaled once at its end, whatever came of it. */
export interface ModelRunSummary {
  provider: Exclude<EnhancementProvider, 'off'>;
  model: string;
  chunks: number;
  finished: number;
  failed: number;
  tokens: number;
  state: 'done' | 'cancelled' | 'budget';
}

/**
 * The journal records of a reduced extraction: items and decisions the model added (ids `am<n>`, `dm<n>`, anchored on
 * the cited line that shares most of their words, decisions on the line cited first, first revision marked refinedBy;
 * decisions with their standing),
 * revisions completing rule-based items (owner or due only where they had none) or rewriting them (what the rewrite
 * gives; `rewritten` keeps the item as it read before), dismissal revisions (`removed` with `dismissed`), then the
 * `refinement` record. Items withdrawn or restored meanwhile are left as they are.
 */
export function modelExtractionRecords(journal: JournalContents, reduced: ReducedExtraction, run: ModelRunSummary, at = new Date()): JournalRecord[] {
  const { records } = journal;
  const { items, decisions } = latestOf(records);
  const segments = segmentsOf(records);
  const t0Of = new Map(segments.map((s) => [s.segmentId, s.t0]));
  const textOf = new Map(segments.map((s) => [s.segmentId, s.text]));
  // An action item is shown at the cited line that says most of it (a note-taker's "the turn that states it"), the
  // later one on a tie: a conclusion follows its discussion. (Anchored at the earliest cited line instead, decisions on
  // the silver set's development part scored P 0.30 R 0.43 instead of 0.39 / 0.56: test/eval/model-notes-eval.ts.)
  // A decision is shown at the line the model cites first, which prompt v5 asks to be the one that states it: on the
  // real set's development meetings, for 5 of the model's 45 decisions the line with most of its words was the reason
  // or the discussion beside the cited line that states it (BENCHMARKS.md, v4.1). (v4's answers cite in line order:
  // anchored at the first, they would score 40 matches there instead of 44.)
  const decisionAnchorOf = (cited: string[]) => cited[0];
  const anchorOf = (text: string, cited: string[]) => {
    const said = words(text);
    let best = cited[0];
    let shared = -1;
    for (const id of [...cited].sort((a, b) => (t0Of.get(a) ?? 0) - (t0Of.get(b) ?? 0))) {
      const line = words(textOf.get(id) ?? '');
      const n = [...said].filter((w) => line.has(w)).length;
      if (n >= shared) [best, shared] = [id, n];
    }
    return best;
  };
  const next = (prefix: string, ids: Iterable<string>) => {
    let n = 0;
    for (const id of ids) {
      const m = new RegExp(`^${prefix}(\\d+)$`).exec(id);
      if (m) n = Math.max(n, Number(m[1]));
    }
    return () => `${prefix}${++n}`;
  };
  // A model entry's id is its place among the model's entries (ReducedExtraction.places): one folded or dropped at stop
  // does not move the ids after it, so a tick or an edit stays on the entry it was made on.
  const placed = (prefix: string, ids: Iterable<string>, places: readonly number[] | undefined) => {
    const after = next(prefix, ids);
    const base = Number(after().slice(prefix.length)) - 1;
    const at = (place: number) => `${prefix}${base + place + 1}`;
    let k = 0;
    return Object.assign(() => at(places ? places[k++] : k++), { at });
  };
  const nextItem = placed('am', items.keys(), reduced.places?.actionItems);
  const nextDecision = placed('dm', decisions.keys(), reduced.places?.decisions);
  const out: JournalRecord[] = [];
  const itemIds: string[] = [];
  const decisionIds: string[] = [];
  for (const i of reduced.actionItems) {
    const segmentId = anchorOf(i.text, i.segments);
    const id = nextItem();
    itemIds.push(id);
    out.push({ type: 'actionItem', id, revision: 1, text: i.text, owner: i.owner, due: i.due, duePhrase: null, segmentId, t0: t0Of.get(segmentId) ?? 0, refinedBy: run.model });
  }
  // v7: a standing a later part changed is kept with each step's time; one the meeting dropped is withdrawn (restorable).
  const historyOf = (steps: readonly ReducedStep[] | undefined): StandingStep[] | undefined =>
    steps && steps.length > 1 ? steps.map((h) => ({ standing: h.standing, segmentId: h.segmentId, t0: t0Of.get(h.segmentId) ?? 0 })) : undefined;
  const standingNow = (history: readonly StandingStep[], before: DecisionStanding) =>
    [...history].reverse().find((h): h is StandingStep & { standing: DecisionStanding } => h.standing !== 'dropped')?.standing ?? before;
  const droppedAt = (history: readonly StandingStep[] | undefined) => (history?.[history.length - 1].standing === 'dropped' ? history[history.length - 1] : undefined);
  const dropping: { id: string; at: StandingStep }[] = [];
  // A model decision's kind where it stands now: what is left open is a deferral, one settled no longer is.
  const kindNow = (standing: DecisionStanding, kind: DecisionKind): DecisionKind => (standing === 'open' ? 'deferral' : kind === 'deferral' ? 'decision' : kind);
  for (const d of reduced.decisions) {
    const segmentId = decisionAnchorOf(d.segments);
    const id = nextDecision();
    decisionIds.push(id);
    const standingHistory = historyOf(d.history);
    const standing = standingHistory ? standingNow(standingHistory, d.standing) : d.standing ?? decisionStanding(d);
    out.push({
      type: 'decision', id, revision: 1, text: d.text, kind: kindNow(standing, d.kind), standing, segmentId,
      t0: t0Of.get(segmentId) ?? 0, refinedBy: run.model, ...(standingHistory ? { standingHistory } : {}),
    });
    const dropped = droppedAt(standingHistory);
    if (dropped) dropping.push({ id, at: dropped });
  }
  // The model's entries that no longer stand (folded into another, or dropped at stop), under their own ids: dismissed,
  // so the notes show them struck through and the user can restore one.
  for (const w of reduced.withdrawn ?? []) {
    const segmentId = w.kind === 'actionItem' ? anchorOf(w.entry.text, w.entry.segments) : decisionAnchorOf(w.entry.segments);
    const common = { revision: 1, text: w.entry.text, segmentId, t0: t0Of.get(segmentId) ?? 0, refinedBy: run.model, removed: true, dismissed: { by: run.model, reason: w.reason } };
    if (w.kind === 'actionItem') {
      out.push({ type: 'actionItem', id: nextItem.at(w.place), owner: w.entry.owner, due: w.entry.due, duePhrase: null, ...common });
    } else {
      // As a kept decision: where it stood last, with how its standing changed (restored, it reads as it did).
      const standingHistory = historyOf(w.entry.history);
      const standing = standingHistory ? standingNow(standingHistory, w.entry.standing) : w.entry.standing ?? decisionStanding(w.entry);
      out.push({ type: 'decision', id: nextDecision.at(w.place), kind: kindNow(standing, w.entry.kind),
        standing, ...common, ...(standingHistory ? { standingHistory } : {}) });
    }
  }
  const completionOf = new Map(reduced.completions.map((c) => [c.id, c]));
  const rewriteOf = new Map((reduced.rewrites ?? []).map((r) => [r.id, r]));
  for (const id of new Set([...completionOf.keys(), ...rewriteOf.keys()])) {
    const latest = items.get(id);
    if (!latest || latest.removed || latest.restored) continue;
    const c = completionOf.get(id), r = rewriteOf.get(id);
    const text = r?.text ?? latest.text;
    const owner = r?.owner !== undefined ? r.owner : latest.owner ?? c?.owner ?? null;
    const due = r?.due !== undefined ? r.due : latest.due ?? c?.due ?? null;
    if (text === latest.text && owner === latest.owner && due === latest.due) continue;
    itemIds.push(id);
    // The model's rewrite changed the item (a completion only fills what the rules lacked): it keeps the words before, for undo.
    const rewrote = r !== undefined && (text !== latest.text || (r.owner !== undefined && owner !== latest.owner) || (r.due !== undefined && due !== latest.due));
    const was = latest.rewritten?.was ?? { text: latest.text, owner: latest.owner, due: latest.due };
    out.push({ ...latest, revision: latest.revision + 1, text, owner, due, refinedBy: run.model, ...(rewrote ? { rewritten: { by: run.model, was } } : {}) });
  }
  const changedOf = new Map((reduced.standingChanges ?? []).map((c) => [c.id, historyOf(c.history)]));
  const decisionRewrites = [...(reduced.rewrites ?? []), ...[...changedOf.keys()].filter((id) => !reduced.rewrites?.some((r) => r.id === id)).map((id) => ({ id }))];
  for (const r of decisionRewrites as ChunkExtraction['rewrite']) {
    const latest = decisions.get(r.id);
    if (!latest || latest.removed || latest.restored) continue;
    const was = latest.rewritten?.was ?? { text: latest.text, kind: latest.kind, standing: decisionStanding(latest) };
    const standingHistory = changedOf.get(r.id);
    const dropped = droppedAt(standingHistory);
    if (dropped) dropping.push({ id: r.id, at: dropped });
    const standing = standingHistory ? standingNow(standingHistory, r.standing ?? decisionStanding(latest)) : r.standing ?? decisionStanding(latest);
    const negative = (r.kind ?? (latest.kind === 'negative' ? 'negative' : 'decision')) === 'negative';
    // One vocabulary, as a chunk's own decisions (validateChunkExtraction): what is left open is a deferral.
    const kind: DecisionKind = standing === 'open' ? 'deferral' : negative ? 'negative' : 'decision';
    const text = r.text ?? latest.text;
    if (text === latest.text && kind === latest.kind && standing === decisionStanding(latest) && !standingHistory) continue;
    decisionIds.push(r.id);
    out.push({ ...latest, revision: latest.revision + 1, text, kind, standing, refinedBy: run.model, rewritten: { by: run.model, was }, ...(standingHistory ? { standingHistory } : {}) });
  }
  const dismissals = [...reduced.dismissals, ...dropping.filter((d) => !reduced.dismissals.some((x) => x.id === d.id))
    .map((d) => ({ id: d.id, kind: 'decision' as const, reason: `dropped later in the meeting, at ${clock(d.at.t0)}` }))];
  const dismissedIds: string[] = [];
  for (const d of dismissals) {
    const latest = d.kind === 'actionItem' ? items.get(d.id) : decisions.get(d.id) ?? out.find((r): r is DecisionRecord => r.type === 'decision' && r.id === d.id);
    if (!latest || latest.removed || latest.restored) continue;
    dismissedIds.push(d.id);
    const revision = out.find((r) => (r.type === 'actionItem' || r.type === 'decision') && r.id === d.id) as typeof latest | undefined;
    const base = revision ?? latest;
    // A rule item's revision of this run is replaced by its withdrawal; an entry this run added (dropped later in the
    // meeting) keeps its first revision, withdrawn by the next.
    if (revision && revision !== latest) out.splice(out.indexOf(revision as JournalRecord), 1);
    out.push({ ...base, revision: latest.revision + 1, removed: true, dismissed: { by: run.model, reason: d.reason } } as JournalRecord);
  }
  out.push({
    type: 'refinement', at: at.toISOString(), provider: run.provider, model: run.model, summary: [], actionItemIds: itemIds, decisionIds,
    dismissedIds, chunks: run.chunks, failedChunks: run.failed, tokens: run.tokens, state: run.state,
  });
  return out;
}

/**
 * The revision that restores a withdrawn item (dismissed by the model, or withdrawn otherwise), or undoes the model's
 * rewrite of one (an action item's words, owner and due before it, a decision's words, kind and standing; no longer
 * marked as the model's); undefined when it stands as the rules or the user left it.
 */
export function restoreRevision<T extends { revision: number; removed?: boolean; dismissed?: unknown; restored?: boolean; rewritten?: ItemRewrite | DecisionRewrite }>(latest: T): T | undefined {
  if (latest.removed) {
    const { dismissed: _d, removed: _r, ...rest } = latest;
    return { ...rest, revision: latest.revision + 1, restored: true } as T;
  }
  const { rewritten, refinedBy: _by, ...rest } = latest as T & { refinedBy?: string };
  if (!rewritten) return undefined;
  return { ...rest, ...rewritten.was, revision: latest.revision + 1, restored: true } as unknown as T;
}
