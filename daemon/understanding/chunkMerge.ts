/**
 * The merge of a meeting's chunk answers (the reduce of modelExtract.ts's map-reduce): entries found twice kept once,
 * rule-based items confirmed, completed, rewritten or dismissed; and, for prompt v7 (issue 56: carriedNotes.ts), the
 * notes so far that the next part's prompt shows, each answer's cites, merges and standing changes of entries noted
 * before, and the near-duplicate net. Pure.
 */
import { ChunkExtraction, DecisionStanding, NotedUpdate } from '../../protocol/protocol';
import { boundNoted, NOTED_BOUNDS, NOTED_BOUNDS_WIDE, NotedEntry, nearDuplicate, sameIdentifiers } from './carriedNotes';
import { meetingLines, ModelChunk, NOTED_BOUND_DEFAULT, NotedBound, NOTES_PROMPT_DEFAULT, NotesPrompt, ShownItem } from './chunks';
import { NameTies } from '../speakers/nameTies';

const STOP = new Set('a an the to of and or for on in at by with we i you it is be will ll that this so do'.split(' '));
export const words = (text: string) => new Set(text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').split(' ').filter((w) => w && !STOP.has(w)));
/** Jaccard similarity of the content words. */
export function similarity(a: string, b: string): number {
  const x = words(a), y = words(b);
  if (!x.size || !y.size) return a.trim().toLowerCase() === b.trim().toLowerCase() ? 1 : 0;
  let both = 0;
  for (const w of x) if (y.has(w)) both++;
  return both / (x.size + y.size - both);
}

/**
 * The same entry: said on a shared line and alike, or nearly the same words anywhere; never two that name different
 * numbers or codes ("Amendment 2E is not agreed", "Amendment 2F is not agreed" are two votes).
 */
const sameEntry = (a: { text: string; segments: string[] }, b: { text: string; segments: string[] }) => {
  if (!sameIdentifiers(a.text, b.text)) return false;
  const s = similarity(a.text, b.text);
  return s >= 0.8 || (s >= 0.34 && a.segments.some((x) => b.segments.includes(x)));
};

/** A standing a decision took in the meeting (prompt v7), at the line that gave it it. */
export interface ReducedStep { standing: DecisionStanding | 'dropped'; segmentId: string }

export interface ReducedExtraction {
  actionItems: ChunkExtraction['actionItems'];
  /** `history`: where the decision stood through the meeting, when a later part changed it (v7; its first step is where it was added). */
  decisions: (ChunkExtraction['decisions'][number] & { history?: ReducedStep[] })[];
  /** Rule-based items to dismiss (no chunk's model found them itself), with the first reason given. */
  dismissals: { id: string; kind: 'actionItem' | 'decision'; reason: string }[];
  /** Rule-based items a model entry matched and completes: the owner or due it lacked. */
  completions: { id: string; owner: string | null; due: string | null }[];
  /** Rule-based action items and decisions a model rewrote: what it gave (a field left out stays as it is). */
  rewrites: ChunkExtraction['rewrite'];
  /** Rule-based decisions whose standing a later part changed (v7): each standing, the first the rules'. */
  standingChanges?: { id: string; history: ReducedStep[] }[];
  /** What v7's carried notes did: entries cited again, restatements folded (by the model, by the net), standings changed. */
  carried?: CarriedTally;
  /**
   * Each kept entry's place among every entry the model added to its list, those folded or dropped since included:
   * its journal id (`am<n>`, `dm<n>`), which so does not move when an earlier entry is folded or dropped.
   */
  places?: { actionItems: number[]; decisions: number[] };
  /**
   * The model's entries that no longer stand, each with its place (as `places`) and why: folded into another (a part's
   * merge, the restatement check: "the same as …") or dropped by the procedure check. Journaled as dismissed, so the
   * notes show them struck through and the user can restore one.
   */
  withdrawn?: WithdrawnEntry[];
}

/** A model entry that no longer stands (ReducedExtraction.withdrawn). */
export type WithdrawnEntry = { place: number; reason: string } & (
  { kind: 'actionItem'; entry: ChunkExtraction['actionItems'][number] } | { kind: 'decision'; entry: ReducedExtraction['decisions'][number] });

/**
 * The entries of `list` (the model's items or decisions, in the order added) that no longer stand, each as `shape`
 * gives it (kept entries' owners from names included), and why: the same as what it was folded into, or the drop's
 * reason when that (or it) was dropped at stop.
 */
function withdrawnOf<T extends AddedItem | AddedDecision>(state: MergeState, kind: WithdrawnEntry['kind'], list: readonly T[], shape: (e: T) => object): WithdrawnEntry[] {
  const out: WithdrawnEntry[] = [];
  list.forEach((e, place) => {
    if (stands(e)) return;
    let into: AddedItem | AddedDecision = e;
    while (into.mergedInto) into = into.mergedInto;
    const rule = into.foldedIntoRule;
    const as = rule ? state.rewrites.get(rule.id)?.text ?? rule.text : into.text;
    const reason = droppedAtStop(state, { model: e }) ? PROCEDURE_REASON : sameAs(as);
    out.push({ kind, place, reason, entry: shape(e) } as WithdrawnEntry);
  });
  return out;
}

/** Whether the procedure check dropped `target`, or what it was folded into, to the end of the chain. */
function droppedAtStop(state: MergeState, target: { model: AddedItem | AddedDecision } | { rule: ShownItem } | undefined): boolean {
  if (!target) return false;
  if ('rule' in target) return state.procedure.has(target.rule.id) || droppedAtStop(state, state.folded.get(target.rule.id)?.into);
  let e = target.model;
  while (e.mergedInto) e = e.mergedInto;
  return e.procedure === true || (e.foldedIntoRule !== undefined && droppedAtStop(state, { rule: e.foldedIntoRule }));
}

/**
 * One set of entries the restatement check at stop (restatements.ts) found saying the same thing: `keep` stands for
 * them, `fold` are folded into it; `text`: its new words.
 */
export interface RestatedGroup { keep: string; fold: string[]; text?: string }

/** The owner check at stop (ownerCheck.ts) found who an item noted without one belongs to: `id` as finalEntries names it. */
export interface OwnerFill { id: string; owner: string }

/**
 * What the checks at stop found, applied on the final lists in the order they are asked: the restatement check's folds
 * (restatements.ts), the decisions the procedure check drops (procedureCheck.ts, ids as finalEntries names them after
 * the folds), the owner check's owners (ownerCheck.ts).
 */
export interface AtStop { restated?: readonly RestatedGroup[]; procedure?: readonly string[]; owners?: readonly OwnerFill[] }

/**
 * `refined` (v8): noted entries whose words a later part replaced; `restated`: entries the restatement check at stop
 * folded; `procedure`: decisions the procedure check at stop dropped; `owned`: items the owner check at stop gave an owner.
 */
export interface CarriedTally {
  cited: number; mergedByModel: number; mergedByNet: number; standingChanges: number; refined?: number; restated?: number; procedure?: number; owned?: number;
}

/** `foldedIntoRule`: a v7 merge folded it into that rule item, which stands for it; `procedure`: the procedure check dropped it. */
type Added<T> = T & { mergedInto?: Added<T>; foldedIntoRule?: ShownItem; procedure?: boolean };
type AddedItem = Added<ChunkExtraction['actionItems'][number]>;
type AddedDecision = Added<ReducedExtraction['decisions'][number]>;

/** Whether a model entry still stands: not folded into another entry or a rule item, not dropped at stop. */
const stands = (e: AddedItem | AddedDecision): boolean => !e.mergedInto && !e.foldedIntoRule && !e.procedure;

/** A dismissal's reason for an entry folded into one that says it (its words, cut). */
const sameAs = (text: string): string => `the same as "${text.slice(0, 80)}"`;

/**
 * How a later part's `noted` owner is taken (prompt v7/v8's "owner: only when these lines name who does a noted action
 * item"): `replace` (the daemon's since 2026-11-30) gives the item that owner, as new words give it new words (a rule
 * item's owner is rewritten, kept for undo); `fill` (before) gave it only to an item without one, so a later part naming
 * someone else was passed over. Answers recorded before replay with `fill` (test/eval/model-notes-eval.ts's
 * NOTED_OWNER_MARK): their later prompts were made with it.
 */
export type NotedOwners = 'replace' | 'fill';
export interface MergeOptions { notedOwners?: NotedOwners }

/** The state of the merge after some answers: what v7's next prompt shows, and what the records are made from. */
interface MergeState {
  shown: Map<string, ShownItem>;
  actionItems: AddedItem[];
  decisions: AddedDecision[];
  confirmed: Set<string>;
  completions: Map<string, ReducedExtraction['completions'][number]>;
  rewrites: Map<string, ChunkExtraction['rewrite'][number]>;
  dismissals: ReducedExtraction['dismissals'];
  ruleHistory: Map<string, ReducedStep[]>;
  /**
   * Rule items folded into another entry (the same one said twice): dismissed, with that entry's words when folded;
   * `into`: that entry (a dropped one takes them along: PROCEDURE_REASON).
   */
  folded: Map<string, { text: string; into: { model: AddedItem | AddedDecision } | { rule: ShownItem } }>;
  /** Rule decisions the procedure check at stop found to be the meeting's running: dismissed. */
  procedure: Set<string>;
  tally: CarriedTally;
  notedOwners: NotedOwners;
}

/** The entry a v7 id names: `A<n>`/`D<n>` the model's n-th (followed to what it was merged into), else a rule item's id. */
function entryOf(state: MergeState, id: string): { model: AddedItem | AddedDecision } | { rule: ShownItem } | undefined {
  const m = /^([AD])(\d+)$/.exec(id);
  if (m) {
    let e: AddedItem | AddedDecision | undefined = (m[1] === 'A' ? state.actionItems : state.decisions)[Number(m[2]) - 1];
    while (e?.mergedInto) e = e.mergedInto;
    return e ? { model: e } : undefined;
  }
  const rule = state.shown.get(id);
  return rule && !state.folded.has(id) ? { rule } : undefined;
}

const lastStanding = (history: readonly ReducedStep[] | undefined, first: DecisionStanding) => history?.length ? history[history.length - 1].standing : first;

/**
 * A later part names who does a noted rule item. `replace` (the daemon's): the item takes that owner, whatever gave it
 * one before: a rewrite's owner (null included) is replaced, an owner the rules found is rewritten (theirs kept for
 * undo), an item with none is completed. `fill` (answers recorded before): only an item the rules left without one is
 * completed, and a rewrite's owner still wins over it, as it did when those answers were asked.
 */
function applyNotedOwner(state: MergeState, rule: ShownItem, owner: string): void {
  const rewrite = state.rewrites.get(rule.id);
  const replace = state.notedOwners === 'replace';
  // The owner the notes show now: a rewrite's (null included) over the rules'; `fill` completes only the rules' none.
  const now = replace && rewrite?.owner !== undefined ? rewrite.owner : rule.owner;
  if (!now) {
    const c = state.completions.get(rule.id) ?? { id: rule.id, owner: null, due: null };
    if (replace && rewrite?.owner === null) state.rewrites.set(rule.id, { ...rewrite, owner });
    else state.completions.set(rule.id, { ...c, owner: replace ? owner : c.owner ?? owner });
  } else if (replace && now !== owner) {
    state.rewrites.set(rule.id, { ...(rewrite ?? { id: rule.id }), owner });
  }
}

/** A v7 answer's `noted`: cites, standing changes, owners and merges on entries noted before. */
function applyNoted(state: MergeState, updates: readonly NotedUpdate[]): void {
  for (const u of updates) {
    const target = entryOf(state, u.id);
    if (!target) continue;
    state.tally.cited++;
    if ('rule' in target) {
      state.confirmed.add(target.rule.id);
      // v8: new words for a rule item are its rewrite (the rules' words kept for undo), replacing an earlier part's.
      if (u.text) {
        state.rewrites.set(target.rule.id, { ...(state.rewrites.get(target.rule.id) ?? { id: target.rule.id }), text: u.text });
        state.tally.refined = (state.tally.refined ?? 0) + 1;
      }
      if (u.owner && target.rule.kind === 'actionItem') applyNotedOwner(state, target.rule, u.owner);
      if (u.standing && target.rule.kind === 'decision') {
        // Where the item stood before this part: as an earlier part rewrote it, else as the rules gave it.
        const first = state.rewrites.get(target.rule.id)?.standing ?? target.rule.standing ?? 'decided';
        const history = state.ruleHistory.get(target.rule.id) ?? [{ standing: first, segmentId: target.rule.segmentId }];
        if (lastStanding(history, first) !== u.standing) {
          history.push({ standing: u.standing, segmentId: u.segments[0] });
          state.ruleHistory.set(target.rule.id, history);
          state.tally.standingChanges++;
        }
      }
    } else {
      const e = target.model;
      if (u.text) {
        // v8: the entry now reads as these lines state it: that line first (where a decision is shown), every cite kept.
        e.text = u.text;
        e.segments = [...new Set([u.segments[0], ...e.segments, ...u.segments])];
        state.tally.refined = (state.tally.refined ?? 0) + 1;
      }
      e.segments = [...new Set([...e.segments, ...u.segments])];
      if ('owner' in e && u.owner) e.owner = state.notedOwners === 'replace' ? u.owner : e.owner ?? u.owner;
      if ('standing' in e && u.standing && lastStanding(e.history, e.standing) !== u.standing) {
        e.history = [...(e.history ?? [{ standing: e.standing, segmentId: e.segments[0] }]), { standing: u.standing, segmentId: u.segments[0] }];
        state.tally.standingChanges++;
      }
    }
    state.tally.mergedByModel += mergeInto(state, target, u.merge ?? []);
  }
}

/**
 * Folds the entries `ids` name into `target` (each cited line kept on it, and a folded item's owner and due where the
 * target has none); answers how many were folded.
 */
function mergeInto(state: MergeState, target: { model: AddedItem | AddedDecision } | { rule: ShownItem }, ids: readonly string[]): number {
  let folded = 0;
  for (const other of ids) {
    const from = entryOf(state, other);
    if (!from || ('model' in from && 'model' in target && from.model === target.model)) continue;
    carryOwner(state, target, from);
    const into = 'model' in target ? target.model : undefined;
    if ('model' in from) {
      if ('rule' in target) {
        // Folded into a rule item: the rule item stands (the model's entry said the same; its lines were the rule item's topic).
        from.model.foldedIntoRule = target.rule;
      } else {
        target.model.segments = [...new Set([...target.model.segments, ...from.model.segments])];
        from.model.mergedInto = target.model;
      }
    } else if (from.rule.id !== ('rule' in target ? target.rule.id : '')) {
      state.folded.set(from.rule.id, { text: 'model' in target ? target.model.text : target.rule.text, into: target });
      if (into) into.segments = [...new Set([...into.segments, from.rule.segmentId])];
    }
    folded++;
  }
  return folded;
}

/**
 * The restatement check's sets (restatements.ts), on the final lists: each set's entries folded into the one kept,
 * whose words become the set's new words when it gave them (a rule item's are its rewrite, undoable).
 */
function applyRestated(state: MergeState, groups: readonly RestatedGroup[]): void {
  for (const g of groups) {
    const target = entryOf(state, g.keep);
    if (!target) continue;
    const folded = mergeInto(state, target, g.fold);
    state.tally.restated = (state.tally.restated ?? 0) + folded;
    if (!folded || !g.text) continue;
    if ('model' in target) target.model.text = g.text;
    else state.rewrites.set(target.rule.id, { ...(state.rewrites.get(target.rule.id) ?? { id: target.rule.id }), text: g.text });
  }
}

/** Why a rule-based decision the procedure check dropped was dismissed (fixed words, shown with the undo). */
export const PROCEDURE_REASON = 'not a decision the meeting reached';

/**
 * The procedure check's answer (procedureCheck.ts), on the final lists after the restatement check's folds: each
 * decision named is dropped (a rule item's dismissed, even when a part confirmed it: the check reads the final lists).
 */
function applyProcedure(state: MergeState, ids: readonly string[]): void {
  for (const id of ids) {
    const target = entryOf(state, id);
    if (!target) continue;
    if ('model' in target) {
      if (!('standing' in target.model) || target.model.procedure) continue;
      target.model.procedure = true;
    } else {
      if (target.rule.kind !== 'decision' || state.procedure.has(target.rule.id)) continue;
      state.procedure.add(target.rule.id);
    }
    state.tally.procedure = (state.tally.procedure ?? 0) + 1;
  }
}

/**
 * The owner check's answers (ownerCheck.ts), on the final lists after the restatement check's folds: an item still
 * without an owner gets the one named (a rule item's as a completion, or on the model's rewrite that left it none).
 */
function applyOwners(state: MergeState, fills: readonly OwnerFill[]): void {
  for (const f of fills) {
    const target = entryOf(state, f.id);
    if (!target) continue;
    if ('model' in target) {
      if (!('owner' in target.model) || target.model.owner) continue;
      target.model.owner = f.owner;
    } else {
      const rule = target.rule;
      const rewrite = state.rewrites.get(rule.id);
      if (rule.kind !== 'actionItem' || (rewrite?.owner !== undefined ? rewrite.owner : completedOwner(state, rule))) continue;
      if (rewrite?.owner === null) state.rewrites.set(rule.id, { ...rewrite, owner: f.owner });
      else state.completions.set(rule.id, { ...(state.completions.get(rule.id) ?? { id: rule.id, owner: null, due: null }), owner: f.owner });
    }
    state.tally.owned = (state.tally.owned ?? 0) + 1;
  }
}

/** An action item folded into another keeps its owner and due on the one that stands for it, where that one has none. */
function carryOwner(state: MergeState, target: { model: AddedItem | AddedDecision } | { rule: ShownItem }, from: { model: AddedItem | AddedDecision } | { rule: ShownItem }): void {
  const source = 'model' in from ? ('owner' in from.model ? { owner: from.model.owner, due: from.model.due } : undefined)
    : from.rule.kind === 'actionItem' ? { owner: completedOwner(state, from.rule), due: from.rule.due ?? state.completions.get(from.rule.id)?.due ?? null } : undefined;
  if (!source) return;
  if ('model' in target) {
    if (!('owner' in target.model)) return;
    target.model.owner ??= source.owner;
    target.model.due ??= source.due;
    return;
  }
  if (target.rule.kind !== 'actionItem' || state.rewrites.get(target.rule.id)?.owner !== undefined) return;
  const c = state.completions.get(target.rule.id) ?? { id: target.rule.id, owner: null, due: null };
  const owner = completedOwner(state, target.rule) ? null : source.owner;
  const due = target.rule.due ?? c.due ? null : source.due;
  if (owner || due) state.completions.set(target.rule.id, { ...c, owner: c.owner ?? owner, due: c.due ?? due });
}

function mergeState(chunks: readonly ModelChunk[], answers: readonly (ChunkExtraction | null)[], carried: boolean, atStop: AtStop = {}, options: MergeOptions = {}): MergeState {
  const state: MergeState = {
    shown: new Map(), actionItems: [], decisions: [], confirmed: new Set(), completions: new Map(), rewrites: new Map(), dismissals: [],
    ruleHistory: new Map(), folded: new Map(), procedure: new Set(), tally: { cited: 0, mergedByModel: 0, mergedByNet: 0, standingChanges: 0 },
    notedOwners: options.notedOwners ?? 'replace',
  };
  const { shown, confirmed, completions, actionItems, decisions } = state;
  for (const c of chunks) for (const i of c.items) shown.set(i.id, i);
  const live = <T extends AddedItem | AddedDecision>(list: T[]) => list.filter(stands);
  // v7's net: a new entry nearly the same as one already noted in the meeting is that one (carriedNotes.ts).
  const netMatch = <T extends { text: string }>(list: T[], entry: { text: string }, alike = (_: T) => true) =>
    carried ? list.find((x) => alike(x) && nearDuplicate(x.text, entry.text)) : undefined;
  const matchRule = (entry: { text: string; segments: string[] }, kind: ShownItem['kind']) =>
    [...shown.values()].find((i) => i.kind === kind && !state.folded.has(i.id) && sameEntry(entry, { text: i.text, segments: [i.segmentId] }))
    ?? netMatch([...shown.values()].filter((i) => i.kind === kind && !state.folded.has(i.id)), entry);
  answers.forEach((answer) => {
    if (!answer) return;
    if (carried) applyNoted(state, answer.noted ?? []);
    // Two entries of one answer are two: the model listed them apart ("must be original", "must be trendy" read out in
    // one line; two people's assignments said together). Only an earlier answer's entry can be the same one again.
    const earlierItems = live(actionItems), earlierDecisions = live(decisions);
    for (const item of answer.actionItems) {
      const rule = matchRule(item, 'actionItem');
      if (rule) {
        confirmed.add(rule.id);
        if (item.owner || item.due) {
          const c = completions.get(rule.id) ?? { id: rule.id, owner: null, due: null };
          completions.set(rule.id, { ...c, owner: c.owner ?? item.owner, due: c.due ?? item.due });
        }
        continue;
      }
      const same = earlierItems.find((x) => sameEntry(x, item)) ?? netMatch(earlierItems, item);
      if (same) {
        if (!sameEntry(same, item)) state.tally.mergedByNet++;
        same.owner ??= item.owner;
        same.due ??= item.due;
        same.segments = [...new Set([...same.segments, ...item.segments])];
      } else {
        actionItems.push({ ...item, segments: [...item.segments] });
      }
    }
    for (const decision of answer.decisions) {
      const rule = matchRule(decision, 'decision');
      if (rule) {
        confirmed.add(rule.id);
        continue;
      }
      // The net folds a restatement only into a decision of the same standing now: a changed standing is the model's to say.
      const same = earlierDecisions.find((x) => sameEntry(x, decision))
        ?? netMatch(earlierDecisions, decision, (x) => lastStanding(x.history, x.standing) === decision.standing);
      if (same) {
        if (!sameEntry(same, decision)) state.tally.mergedByNet++;
        same.segments = [...new Set([...same.segments, ...decision.segments])];
      } else decisions.push({ ...decision, segments: [...decision.segments] });
    }
    // In meeting order with the notes: a later part's new words or standing for a rule item (applyNoted) build on
    // what the part that rewrote it gave. An item is rewritten only in the parts that show it, all before any part
    // that notes it; the first rewrite wins.
    for (const rewrite of answer.rewrite) {
      if (!shown.has(rewrite.id)) continue;
      confirmed.add(rewrite.id);
      if (!state.rewrites.has(rewrite.id)) state.rewrites.set(rewrite.id, rewrite);
    }
  });
  // After every answer: the check read the lists they make (rewrites included), and its new words replace theirs.
  applyRestated(state, atStop.restated ?? []);
  applyProcedure(state, atStop.procedure ?? []);
  applyOwners(state, atStop.owners ?? []);
  answers.forEach((answer) => {
    for (const d of answer?.dismiss ?? []) {
      const item = shown.get(d.id);
      if (!item || confirmed.has(d.id) || state.dismissals.some((x) => x.id === d.id)) continue;
      state.dismissals.push({ id: d.id, kind: item.kind, reason: d.reason });
    }
  });
  // A rule item folded into an entry the procedure check dropped goes with it, for the same reason.
  for (const [id, { text, into }] of state.folded) {
    if (state.dismissals.some((x) => x.id === id)) continue;
    state.dismissals.push({ id, kind: shown.get(id)!.kind, reason: droppedAtStop(state, into) ? PROCEDURE_REASON : sameAs(text) });
  }
  for (const id of state.procedure) {
    if (!state.dismissals.some((x) => x.id === id)) state.dismissals.push({ id, kind: 'decision', reason: PROCEDURE_REASON });
  }
  return state;
}

/**
 * Merges the chunks' answers (null: a chunk with no valid answer). Entries found twice (the overlap shows lines twice)
 * are kept once, completing each other's owner and due (the first standing stands); two entries of one answer are never
 * one (the model listed them apart). An entry that matches a rule-based item is not added: it confirms the item (which
 * then is never dismissed) and may complete its owner or due. A rewrite confirms the item too and replaces what it
 * gives (the first chunk's rewrite of an item wins; a later part's noted words and standing build on it). A dismissal
 * stands when no chunk confirmed the item. `carried` (prompt v7): each answer's `noted` is applied first (cites, merges,
 * standing changes of entries noted before), and a new entry nearly the same as one already noted is folded into it.
 */
export function reduceChunks(chunks: readonly ModelChunk[], answers: readonly (ChunkExtraction | null)[], carried = false, atStop: AtStop = {}, options: MergeOptions = {}): ReducedExtraction {
  const state = mergeState(chunks, answers, carried, atStop, options);
  const bare = <T extends AddedItem | AddedDecision>({ mergedInto: _m, foldedIntoRule: _f, procedure: _p, ...rest }: T) => rest as Omit<T, 'mergedInto' | 'foldedIntoRule' | 'procedure'>;
  const kept = <T extends AddedItem | AddedDecision>(list: T[]) => list.filter(stands).map(bare);
  const placesOf = (list: readonly (AddedItem | AddedDecision)[]) => list.flatMap((x, k) => (stands(x) ? [k] : []));
  // Owners from names: an item for "David" goes to the voice the meeting ties that name to (speakers/nameTies.ts).
  // Only here, on what is kept: the notes a v7 prompt shows stay as the answers gave them.
  const lines = meetingLines(chunks);
  const lineOf = new Map(lines.map((l) => [l.segmentId, l] as const));
  const ties = NameTies.of([...lines].sort((a, b) => a.t0 - b.t0));
  const owned = <T extends { owner: string | null }>(e: T, from?: string) => {
    const owner = ties.owner(e.owner, from ? lineOf.get(from) : undefined);
    return owner === e.owner ? e : { ...e, owner };
  };
  return {
    actionItems: kept(state.actionItems).map((i) => owned(i, i.segments[0])), decisions: kept(state.decisions), dismissals: state.dismissals,
    places: { actionItems: placesOf(state.actionItems), decisions: placesOf(state.decisions) },
    withdrawn: [...withdrawnOf(state, 'actionItem', state.actionItems, (i) => owned(bare(i), i.segments[0])), ...withdrawnOf(state, 'decision', state.decisions, bare)],
    completions: [...state.completions.values()].map((c) => owned(c)), rewrites: [...state.rewrites.values()],
    ...(carried ? { standingChanges: [...state.ruleHistory].map(([id, history]) => ({ id, history })), carried: state.tally } : {}),
  };
}

/**
 * What v7's prompt for chunk `position` shows of the notes so far: the merge of the answers before it, each entry that
 * stands (the model's with ids `A<n>`/`D<n>`, the rule items of earlier parts with their own ids; not those dismissed,
 * folded or dropped) with its standing or owner now, bounded (carriedNotes.ts's boundNoted) by `bounds` when given,
 * else as `bound` says.
 */
export function notedBefore(chunks: readonly ModelChunk[], answers: readonly (ChunkExtraction | null)[], position: number,
  bounds?: { maxEntries: number; chars: number }, bound: NotedBound = NOTED_BOUND_DEFAULT, options: MergeOptions = {}): { shown: NotedEntry[]; left: number } {
  const entries = standingEntries(chunks, mergeState(chunks.slice(0, position), answers.slice(0, position), true, {}, options), position);
  return bound === 'wide' ? boundNoted(entries, bounds ?? NOTED_BOUNDS_WIDE, chunks[position]?.lines.map((l) => l.text).join('\n'))
    : boundNoted(entries, bounds ?? NOTED_BOUNDS);
}

/** Every entry that stands in `state` (not dismissed, folded or dropped), as the notes show it, with the lines it cites. */
function standingEntries(chunks: readonly ModelChunk[], state: MergeState, position: number): NotedEntry[] {
  const t0Of = new Map(chunks.flatMap((c) => c.lines.map((l) => [l.segmentId, l.t0] as const)));
  const times = (segments: string[]) => segments.map((id) => t0Of.get(id) ?? 0);
  const here = new Set(chunks[position]?.items.map((i) => i.id) ?? []);
  const entries: NotedEntry[] = [];
  state.actionItems.forEach((e, k) => {
    if (!stands(e)) return;
    entries.push({ id: `A${k + 1}`, kind: 'actionItem', text: e.text, owner: e.owner, firstT0: Math.min(...times(e.segments)), lastT0: Math.max(...times(e.segments)), segments: e.segments });
  });
  state.decisions.forEach((e, k) => {
    const standing = lastStanding(e.history, e.standing);
    if (!stands(e) || standing === 'dropped') return;
    entries.push({ id: `D${k + 1}`, kind: 'decision', text: e.text, standing, firstT0: Math.min(...times(e.segments)), lastT0: Math.max(...times(e.segments)), segments: e.segments });
  });
  const dismissed = new Set(state.dismissals.map((d) => d.id));
  for (const rule of state.shown.values()) {
    if (here.has(rule.id) || dismissed.has(rule.id) || state.folded.has(rule.id)) continue;
    const rewrite = state.rewrites.get(rule.id);
    const t0 = t0Of.get(rule.segmentId) ?? 0;
    if (rule.kind === 'actionItem') {
      entries.push({ id: rule.id, kind: 'actionItem', text: rewrite?.text ?? rule.text, owner: rewrite?.owner !== undefined ? rewrite.owner : completedOwner(state, rule), firstT0: t0, lastT0: t0, segments: [rule.segmentId] });
      continue;
    }
    const standing = lastStanding(state.ruleHistory.get(rule.id), rewrite?.standing ?? rule.standing ?? 'decided');
    if (standing === 'dropped') continue;
    entries.push({ id: rule.id, kind: 'decision', text: rewrite?.text ?? rule.text, standing, firstT0: t0, lastT0: t0, segments: [rule.segmentId] });
  }
  return entries;
}

/**
 * The final lists as the checks at stop read them (restatements.ts, procedureCheck.ts, ownerCheck.ts): every entry that
 * stands after all the answers (and what the checks asked before found, `atStop`), with the ids a merge names (as
 * notedBefore gives them, unbounded, in its order) and the lines each cites. Dismissals are made after the folds: the
 * lists are the final ones.
 */
export const finalEntries = (chunks: readonly ModelChunk[], answers: readonly (ChunkExtraction | null)[], atStop: AtStop = {}, options: MergeOptions = {}): NotedEntry[] =>
  boundNoted(standingEntries(chunks, mergeState(chunks, answers, true, atStop, options), chunks.length), { maxEntries: Infinity, chars: Infinity }).shown;

/** Chunks sent before, in meeting order, and their answers (null: none): what a v7 prompt's notes are made from. */
export interface EarlierParts { chunks: readonly ModelChunk[]; answers: readonly (ChunkExtraction | null)[] }

/**
 * `chunk` as prompt v7 or v8 sends it (`prompt`; absent: NOTES_PROMPT_DEFAULT): with what every chunk before it
 * (`earlier`: all of them, answered) noted, bounded as `bound` says. The one place a carried-notes prompt's notes are made, for a call and for
 * a local model's reading ahead of it alike: the same parts give the same prompt, whose start the read ahead then holds.
 */
export function withNotedBefore(chunk: ModelChunk, earlier: EarlierParts, prompt: NotesPrompt = NOTES_PROMPT_DEFAULT, bound: NotedBound = NOTED_BOUND_DEFAULT, options: MergeOptions = {}): ModelChunk {
  const noted = notedBefore([...earlier.chunks, chunk], earlier.answers, earlier.chunks.length, undefined, bound, options);
  return { ...chunk, noted: prompt >= 8 ? { ...noted, prompt } : noted };
}

const completedOwner = (state: MergeState, rule: ShownItem) => rule.owner ?? state.completions.get(rule.id)?.owner ?? null;

