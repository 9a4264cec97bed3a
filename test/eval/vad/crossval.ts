/**
 * Choosing voice-detection settings by cross-validation (pure: scores in, choices and held-out figures out).
 *
 * Recordings that share a speaker, or come from one meeting, form one group, and a group is never split between the
 * part a setting is chosen on and the part it is scored on: otherwise the choice would be scored on a voice it was
 * fitted to. Each fold holds out one group; the rule picks a setting on the others; the held-out group scores it.
 * Pooled over the folds, that is what the rule is worth on audio it never saw. The shipped setting is then the rule
 * applied to every group.
 */
import { coverage, falseSpeech, frameRecall, pool, RealScore } from './score';

export interface Grouped { name: string; speakers: readonly string[]; group?: string }

/** Recordings linked by a shared speaker or an explicit group, as lists of indices (in order of first appearance). */
export function groupRecordings(recordings: readonly Grouped[]): number[][] {
  const parent = recordings.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  const owner = new Map<string, number>();
  recordings.forEach((r, i) => {
    for (const key of [...r.speakers.map((s) => `speaker:${s}`), ...(r.group ? [`group:${r.group}`] : [])]) {
      const j = owner.get(key);
      if (j === undefined) owner.set(key, i);
      else parent[find(i)] = find(j);
    }
  });
  const groups = new Map<number, number[]>();
  recordings.forEach((_, i) => {
    const root = find(i);
    groups.set(root, [...(groups.get(root) ?? []), i]);
  });
  return [...groups.values()];
}

/** What the rule needs to know of a candidate: its score per recording, and whether it passes the fixed gates. */
export interface CandidateScores {
  name: string;
  perRecording: readonly RealScore[];
  /** Silence and noise cost nothing, the synthetic recall holds, CPU within budget: not negotiable, not fitted. */
  passesGates: boolean;
  /** Ties are broken towards the lower cost (e.g. latency: a shorter hangover); lower first. */
  cost: number;
}

export interface Rule {
  /** The most false speech a setting may show on the recordings it is chosen on. */
  falseSpeechMax?: number;
  /**
   * Or, relative: at most this many times the anchor's false speech (what ran before) on the same recordings, so the
   * budget follows what those recordings hold (tails after speech in short pauses, coughs) rather than a number.
   */
  vsAnchor?: { index: number; factor: number };
  /** Only these settings may be chosen (e.g. the sensitive profile: none less sensitive than the default). */
  allow?: (index: number) => boolean;
  /**
   * Between settings that cover as many turns, the one that hands the recognizer fewer utterances wins before the one
   * that hears more speech: each utterance is a final decode, and a decode of a breath or a click is CPU spent on text
   * nobody said (issue 41). Without it, any frame of speech heard is worth any number of decodes.
   */
  fewestDecodes?: boolean;
}

/** A rule's false-speech budget on `indices`. */
export function budget(candidates: readonly CandidateScores[], indices: readonly number[], rule: Rule): number {
  const anchor = rule.vsAnchor ? falseSpeech(pool(indices.map((i) => candidates[rule.vsAnchor!.index].perRecording[i]))) * rule.vsAnchor.factor + 1e-9 : Infinity;
  return Math.min(rule.falseSpeechMax ?? Infinity, anchor);
}

/**
 * The rule: among settings that pass the gates and stay within the false-speech budget on `indices`, the one that
 * covers the most reference turns; then (with `fewestDecodes`) the fewest utterances handed to the recognizer; then
 * the most reference speech (a turn only half heard is the next one lost); then the lower cost; then the less false
 * speech. Undefined when none qualifies.
 */
export function choose(candidates: readonly CandidateScores[], indices: readonly number[], rule: Rule): number | undefined {
  type Ranked = { index: number; cov: number; decodes: number; recall: number; cost: number; fs: number };
  const max = budget(candidates, indices, rule);
  // Each criterion in order: positive when `a` is better; the first that is not a tie decides.
  const order: ((a: Ranked, b: Ranked) => number)[] = [
    (a, b) => tie(a.cov - b.cov),
    (a, b) => (rule.fewestDecodes ? b.decodes - a.decodes : 0),
    (a, b) => tie(a.recall - b.recall),
    (a, b) => b.cost - a.cost,
    (a, b) => b.fs - a.fs,
  ];
  let best: Ranked | undefined;
  candidates.forEach((c, index) => {
    if (!c.passesGates || (rule.allow && !rule.allow(index))) return;
    const s = pool(indices.map((i) => c.perRecording[i]));
    const fs = falseSpeech(s);
    if (fs > max) return;
    const cand = { index, cov: coverage(s), decodes: s.utterances, recall: frameRecall(s), cost: c.cost, fs };
    if (!best || (order.map((f) => f(cand, best!)).find((d) => d !== 0) ?? 0) > 0) best = cand;
  });
  return best?.index;
}

/** A difference of ratios, with rounding noise read as a tie. */
const tie = (d: number): number => (Math.abs(d) <= 1e-9 ? 0 : d);

export interface FoldResult {
  /** The held-out group's recordings. */
  heldOut: number[];
  chosen: number | undefined;
  /** The chosen setting on the recordings it was chosen on, and on the held-out ones. */
  train?: RealScore;
  test?: RealScore;
}

/** Leave-one-group-out: per fold, the rule's choice on the other groups, scored on the held-out one. */
export function crossValidate(candidates: readonly CandidateScores[], groups: readonly number[][], rule: Rule): { folds: FoldResult[]; pooled: RealScore | undefined } {
  const folds = groups.map((heldOut): FoldResult => {
    const train = groups.filter((g) => g !== heldOut).flat();
    const chosen = choose(candidates, train, rule);
    if (chosen === undefined) return { heldOut, chosen };
    const c = candidates[chosen];
    return { heldOut, chosen, train: pool(train.map((i) => c.perRecording[i])), test: pool(heldOut.map((i) => c.perRecording[i])) };
  });
  const tested = folds.filter((f) => f.test).map((f) => f.test!);
  return { folds, pooled: tested.length === folds.length ? pool(tested) : undefined };
}

/** min / median / max of a figure over folds. */
export function spread(values: readonly number[]): { min: number; median: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { min: sorted[0], median, max: sorted[sorted.length - 1] };
}
