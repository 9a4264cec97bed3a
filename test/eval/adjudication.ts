/**
 * Pooled, blind adjudication of the real set's decisions (issue 40; test/fixtures/real-meetings/adjudicated/README.md).
 *
 * The first labeller's decisions are not the whole truth: a second labeller finds 0.47 of them and the extractor's
 * "false finds" include plain decisions ("Rubber will be used only for the outer casing and the buttons"). So every
 * candidate of a meeting — each labelled decision, and each decision the recorded answer runs (A and B) found that
 * matches no label — is judged again from the transcript by someone who is not told where it came from, against
 * LABELLING.md. The pooled labels are what survives: a label judged no decision leaves, a find judged one joins, and a
 * candidate judged the same decision as another is one entry stated at both lines. Labels and finds are judged alike,
 * so the pool can lose labels as well as gain them; what it cannot do is add a decision no run and no labeller found
 * (pooling's known bias, toward the runs that fed the pool: BENCHMARKS.md says so beside the figures). A new prompt's
 * runs are compared fairly after a new round: the pool so far re-judged with their finds outside it (`rounds`). A
 * round made for part of a set (`--only`: the meetings a new prompt's runs answered) names its meetings; the others keep
 * the pool the rounds before it left.
 *
 *   node out/test/eval/adjudication.js [--set silver-held-out|committee|ami-natural|abstracts|icsi-unread|core-devs|core-devs-cl|core-devs-el2|core-devs-el3] …   the silver held-out part, the committee hearings, the AMI non-scenario meetings, the two meetings the corpora summarised, the ICSI meetings QMSum never took or Ethereum's All Core Devs calls (execution or consensus layer)
 *   node out/test/eval/adjudication.js --make DIR [--runs A=DIR,B=DIR] [--only a,b]
 *                                                     a new round on the pool the stored rounds leave: writes
 *                                                     DIR/<meeting>.ask.md (the transcript, numbered, and the candidates
 *                                                     in line order, no source) and DIR/keys/<meeting>.candidates.json
 *   node out/test/eval/adjudication.js --make-check DIR --decoys DECOYS
 *                                                     the same for the check: the adjudicated candidates with the decoys
 *                                                     written in DECOYS/<meeting>.decoys.txt among them, renumbered
 *   npm run eval:model-notes -- --answers … --labels pooled
 *                                                     scores against the pooled labels (model-notes-eval.ts)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { replayRecorded } from './model-notes-eval';
import { ABSTRACTS_DIR, AMI_NATURAL_DIR, COMMITTEE_DIR, CORE_DEVS_CL_DIR, CORE_DEVS_DIR, CORE_DEVS_EL2_DIR, CORE_DEVS_EL3_DIR, ICSI_UNREAD_DIR, flagValue, LabelledDecision, loadMeetings, loadSilver, match, Meeting, MeetingLabels, Prediction, readTurns, REAL_MEETINGS_DIR, SILVER_DIR, silverHeldOut, standingOf } from './notes-eval';

export const ADJUDICATED_DIR = path.join(REAL_MEETINGS_DIR, 'adjudicated');
/** The silver held-out part's adjudication (its 45 meetings; the development part is not adjudicated). */
export const SILVER_ADJUDICATED_DIR = path.join(SILVER_DIR, 'adjudicated');

/** What one candidate is; the adjudicator sees its id, turn and text only. */
export interface Candidate {
  id: string;
  turn: number;
  text: string;
  /** The first labeller's decision (its index in the labels file), if it is one. */
  label?: number;
  /** The answer runs that found it, each at its line and with its standing and kind. */
  finds: { run: string; turn: number; text: string; standing?: string; kind?: string }[];
  /** The check's decoys: written to be rejected (check/README in the fixture), never a label. */
  decoy?: true;
  /** In the check, the candidate's id in the first adjudication. */
  was?: string;
}

export type Verdict = { standing: 'decided' | 'open' | 'given' } | { standing: 'none' } | { sameAs: string };

/** A run's decisions for a meeting as the eval scores them (strict: at the line the notes show). */
export interface RunFinds { run: string; decisions: { turn: number; text: string; standing?: string; kind?: string }[] }

/**
 * A meeting's candidates: every labelled decision, then each run's finds that match no label (strict), a find matching
 * an earlier run's unmatched find (same rule: within a line and a shared word) folded into it. Ordered by line, ids C1…
 */
export function candidatesOf(labels: MeetingLabels, runs: RunFinds[]): Candidate[] {
  const pool: Omit<Candidate, 'id'>[] = labels.decisions.map((d, i) => ({ turn: d.turn, text: d.text, label: i, finds: [] }));
  const unmatchedFinds: Omit<Candidate, 'id'>[] = [];
  for (const r of runs) {
    const used = new Set(match(labels.decisions, r.decisions).values());
    const loose = r.decisions.filter((_d, i) => !used.has(i));
    const earlier = match(unmatchedFinds, loose);
    const taken = new Set<number>();
    for (const [ci, fi] of earlier) {
      unmatchedFinds[ci].finds.push({ run: r.run, ...loose[fi] });
      taken.add(fi);
    }
    loose.forEach((d, fi) => {
      if (!taken.has(fi)) unmatchedFinds.push({ turn: d.turn, text: d.text, finds: [{ run: r.run, ...d }] });
    });
  }
  return inLineOrder([...pool, ...unmatchedFinds]);
}

/** Candidates by line (ties in an order their source cannot show through), numbered C1… */
function inLineOrder(pool: Omit<Candidate, 'id'>[]): Candidate[] {
  const hash = (c: Omit<Candidate, 'id'>) => createHash('sha256').update(`${c.turn}\n${c.text}`).digest('hex');
  return pool.sort((a, b) => a.turn - b.turn || hash(a).localeCompare(hash(b))).map((c, i) => ({ id: `C${i + 1}`, ...c }));
}

/** Reads decoys written as `#<line>: <statement>`, one a line. */
export function parseDecoys(text: string): { turn: number; text: string }[] {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const m = /^#(\d+)\s*:\s*(.+)$/.exec(l);
    if (!m) throw new Error(`decoy line not understood: "${l}"`);
    return { turn: Number(m[1]), text: m[2] };
  });
}

/**
 * The check: the same candidates with decoys among them, renumbered, for a second adjudicator. What it measures is how
 * often a decoy is accepted (the adjudication's leniency) and how often the two adjudications agree.
 */
export function checkCandidatesOf(candidates: Candidate[], decoys: { turn: number; text: string }[]): Candidate[] {
  const pool: Omit<Candidate, 'id'>[] = [
    ...candidates.map(({ id, ...c }) => ({ ...c, was: id })),
    ...decoys.map((d) => ({ turn: d.turn, text: d.text, finds: [], decoy: true as const })),
  ];
  return inLineOrder(pool);
}

/** What the adjudicator reads: the numbered transcript, then the candidates with their lines. */
export function askText(meeting: Meeting, candidates: Candidate[]): string {
  const turns = readTurns(meeting.jsonlPath);
  return [
    `# ${meeting.name}: ${candidates.length} candidate decisions`,
    '',
    'Judge every candidate against ADJUDICATING.md. Answer one line per candidate, in this order:',
    '`C<n>: decided` | `C<n>: open` | `C<n>: given` | `C<n>: none` | `C<n>: same as C<k>` (k < n).',
    '',
    '## Candidates',
    '',
    ...candidates.map((c) => `- ${c.id} (line #${c.turn}): ${c.text}`),
    '',
    '## Transcript',
    '',
    ...turns.map((t, i) => `#${i} ${t.speaker ?? 'Speaker'}: ${t.text}`),
    '',
  ].join('\n');
}

/** Reads `C3: decided` … lines; every candidate exactly once, `same as` pointing at an earlier candidate. */
export function parseVerdicts(text: string, candidates: Candidate[]): Map<string, Verdict> {
  const ids = new Map(candidates.map((c, i) => [c.id, i]));
  const out = new Map<string, Verdict>();
  for (const raw of text.split('\n')) {
    const line = raw.trim().replace(/^[-*]\s*/, '').replace(/`/g, '');
    if (!line) continue;
    const m = /^(C\d+)\s*:\s*(decided|open|given|none|same as (C\d+))\s*(?:[—–-].*|\(.*\))?$/i.exec(line);
    if (!m) throw new Error(`verdict line not understood: "${raw}"`);
    const id = m[1].toUpperCase();
    if (!ids.has(id)) throw new Error(`verdict for ${id}, which is not a candidate`);
    if (out.has(id)) throw new Error(`two verdicts for ${id}`);
    if (m[3]) {
      const target = m[3].toUpperCase();
      if (!ids.has(target) || ids.get(target)! >= ids.get(id)!) throw new Error(`${id}: same as ${target}, which is not an earlier candidate`);
      out.set(id, { sameAs: target });
    } else {
      out.set(id, { standing: m[2].toLowerCase() as 'decided' | 'open' | 'given' | 'none' });
    }
  }
  const missing = candidates.filter((c) => !out.has(c.id)).map((c) => c.id);
  if (missing.length) throw new Error(`no verdict for ${missing.join(', ')}`);
  return out;
}

/**
 * The pooled decisions: candidates grouped by `same as`; a group whose first member was judged a decision is one
 * label (the labeller's text, kind and standing where the group holds a label, else the first find's text with the
 * adjudicator's standing), stated at every member's line; a group judged none is dropped, labels in it included.
 */
export function pooledDecisions(labels: MeetingLabels, candidates: Candidate[], verdicts: Map<string, Verdict>): LabelledDecision[] {
  const byId = new Map(candidates.map((c) => [c.id, c]));
  const root = (id: string): string => {
    const v = verdicts.get(id)!;
    return 'sameAs' in v ? root(v.sameAs) : id;
  };
  const groups = new Map<string, Candidate[]>();
  for (const c of candidates) {
    const r = root(c.id);
    groups.set(r, [...(groups.get(r) ?? []), c]);
  }
  const out: LabelledDecision[] = [];
  for (const [rootId, members] of groups) {
    const v = verdicts.get(rootId)!;
    if (!('standing' in v) || v.standing === 'none') continue;
    // A decoy never becomes a label, nor lends one its line; a group of decoys alone is dropped.
    const real = members.filter((c) => !c.decoy);
    if (!real.length) continue;
    const labelled = real.find((c) => c.label !== undefined);
    const turns = new Set(real.flatMap((c) => [c.turn, ...c.finds.map((f) => f.turn)]));
    if (labelled) {
      const l = labels.decisions[labelled.label!];
      turns.delete(l.turn);
      out.push({ ...l, mentions: [...new Set([...(l.mentions ?? []), ...turns])].sort((a, b) => a - b) });
      continue;
    }
    const head = byId.get(rootId)!;
    const first = head.decoy ? real[0] : head;
    turns.delete(first.turn);
    const kind = v.standing === 'open' ? 'deferral' : first.finds[0]?.kind === 'negative' && v.standing === 'decided' ? 'negative' : 'decision';
    out.push({ turn: first.turn, text: first.text, kind, standing: v.standing, mentions: [...turns].sort((a, b) => a - b) });
  }
  return out.sort((a, b) => a.turn - b.turn);
}

/**
 * How an adjudication went over a set of meetings: labels kept, finds accepted, and for the check, decoys accepted and
 * how its acceptances compare with the first adjudication's (both, first only, check only, neither).
 */
export interface AdjudicationTally {
  labels: number; labelsKept: number; finds: number; findsAccepted: number; findsSameAsLabel: number; pooled: number;
  decoys: number; decoysAccepted: number; agreement: { both: number; firstOnly: number; checkOnly: number; neither: number };
}

export const emptyTally = (): AdjudicationTally => ({
  labels: 0, labelsKept: 0, finds: 0, findsAccepted: 0, findsSameAsLabel: 0, pooled: 0, decoys: 0, decoysAccepted: 0,
  agreement: { both: 0, firstOnly: 0, checkOnly: 0, neither: 0 },
});

/** Cohen's kappa of the two adjudications' accept/reject over the real candidates. */
export function kappa(a: AdjudicationTally['agreement']): number {
  const n = a.both + a.firstOnly + a.checkOnly + a.neither;
  if (!n) return 0;
  const observed = (a.both + a.neither) / n;
  const first = (a.both + a.firstOnly) / n, check = (a.both + a.checkOnly) / n;
  const chance = first * check + (1 - first) * (1 - check);
  return chance === 1 ? 1 : (observed - chance) / (1 - chance);
}

interface Adjudication { candidates: Candidate[]; verdicts: Map<string, Verdict>; accepted: (c: Candidate) => boolean; inLabelGroup: (c: Candidate) => boolean }

/** One meeting's candidates and verdicts: the first adjudication (DIR) or the check (DIR/check). */
export function readAdjudication(name: string, dir: string): Adjudication {
  const keyFile = path.join(dir, `${name}.candidates.json`);
  const verdictFile = path.join(dir, `${name}.verdicts.txt`);
  if (!fs.existsSync(keyFile) || !fs.existsSync(verdictFile)) throw new Error(`${name}: not adjudicated (no ${path.basename(keyFile)} and ${path.basename(verdictFile)} in ${dir})`);
  const candidates = JSON.parse(fs.readFileSync(keyFile, 'utf8')) as Candidate[];
  const verdicts = parseVerdicts(fs.readFileSync(verdictFile, 'utf8'), candidates);
  const byId = new Map(candidates.map((c) => [c.id, c]));
  const accepted = (c: Candidate): boolean => {
    const v = verdicts.get(c.id)!;
    return 'sameAs' in v ? accepted(byId.get(v.sameAs)!) : v.standing !== 'none';
  };
  const inLabelGroup = (c: Candidate): boolean => {
    const v = verdicts.get(c.id)!;
    return c.label !== undefined || ('sameAs' in v && inLabelGroup(byId.get(v.sameAs)!));
  };
  return { candidates, verdicts, accepted, inLabelGroup };
}

/**
 * One meeting's labels with `steps` (adjudication folders, each with its round's index) applied in order, each judging
 * the pool the one before left; `onStep` hears each step's adjudication and the pool it leaves.
 */
function foldRounds(m: Meeting, steps: { round: number; dir: string }[], onStep?: (round: number, used: Adjudication, pooled: LabelledDecision[]) => void): MeetingLabels {
  let labels = m.labels;
  for (const step of steps) {
    const used = readAdjudication(m.name, step.dir);
    const decisions = pooledDecisions(labels, used.candidates, used.verdicts);
    onStep?.(step.round, used, decisions);
    labels = { ...labels, decisions };
  }
  return labels;
}

/** Whether a set's round judged a meeting (a round made with `--only` judged its meetings alone). */
const covers = (round: AdjudicationRound, meeting: string) => !round.meetings || round.meetings.includes(meeting);

/**
 * How many of a set's stored rounds a trial round was made over: its folder's `over.json` ({"storedRounds": n}, written
 * when rounds were stored after it), else all of them. A later round changes the pool under a trial; the trial still
 * reads the pool it judged.
 */
export function trialRoundOver(trialDir: string, set: AdjudicatedSet): number {
  const file = path.join(trialDir, 'over.json');
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { storedRounds: number }).storedRounds : ADJUDICATED_SETS[set].rounds.length;
}

/** The stored rounds (their indices and folders) that judged a meeting, of the first `upTo`. */
function roundsOf(m: Meeting, set: AdjudicatedSet, upTo = ADJUDICATED_SETS[set].rounds.length): { round: number; dir: string }[] {
  const { dir, rounds } = ADJUDICATED_SETS[set];
  return rounds.slice(0, upTo).flatMap((r, round) => (covers(r, m.name) ? [{ round, dir: path.join(dir, r.folder) }] : []));
}

/**
 * The pool a set's rounds leave for one meeting: round 1 judges the labels and the first prompt's finds; each later
 * round judges the pool so far with a newer prompt's finds (made by `--make` on the pool the stored rounds leave); a
 * round that did not judge the meeting leaves its pool as it was. `upTo`: the number of rounds applied (all by default).
 */
export function pooledThrough(m: Meeting, set: AdjudicatedSet, upTo = ADJUDICATED_SETS[set].rounds.length): MeetingLabels {
  return foldRounds(m, roundsOf(m, set, upTo));
}

/**
 * The last stored round that judged a meeting: its index, its adjudication, and the recorded answer runs whose finds
 * it pooled (what `test/unit/notes-quality.test.ts` checks its candidates against).
 */
export function lastRoundOf(m: Meeting, set: AdjudicatedSet): { round: number; adjudication: Adjudication; runs: [string, string][] } {
  const { dir, rounds, runs } = ADJUDICATED_SETS[set];
  const round = rounds.map((r, i) => (covers(r, m.name) ? i : -1)).reduce((a, b) => Math.max(a, b));
  return { round, adjudication: readAdjudication(m.name, path.join(dir, rounds[round].folder)), runs: rounds[round].runs ?? runs };
}

/**
 * The set's meetings with their decisions replaced by the pooled ones (every meeting must have been judged): after
 * every round, or (`check`) as the real set's check left its first round. `tallies` gathers how each round went (one
 * tally a round; the check's with its decoys and its agreement with the first round).
 */
export function withPooledLabels(meetings: Meeting[], set: AdjudicatedSet, by: 'rounds' | 'check' = 'rounds', tallies?: AdjudicationTally[], trialRound?: string): Meeting[] {
  const { dir, rounds } = ADJUDICATED_SETS[set];
  const over = trialRound ? trialRoundOver(trialRound, set) : rounds.length;
  return meetings.map((m) => {
    // A trial round (a new prompt's finds judged, not yet stored as a round): on top of the stored rounds it was made over.
    const steps = by === 'check' ? [{ round: 0, dir: path.join(dir, 'check') }]
      : [...roundsOf(m, set, over), ...(trialRound ? [{ round: over, dir: trialRound }] : [])];
    return {
      ...m,
      labels: foldRounds(m, steps, tallies && ((i, used, pooled) => {
        tallies[i] ??= emptyTally();
        tallyRound(tallies[i], used, pooled.length, by === 'check' ? readAdjudication(m.name, path.join(dir, rounds[0].folder)) : undefined, m.name);
      })),
    };
  });
}

function tallyRound(tally: AdjudicationTally, used: Adjudication, pooled: number, first: Adjudication | undefined, meeting: string): void {
  const firstById = new Map((first?.candidates ?? []).map((c) => [c.id, c]));
  for (const c of used.candidates) {
    const accepted = used.accepted(c);
    if (c.decoy) {
      tally.decoys++;
      if (accepted) tally.decoysAccepted++;
      continue;
    }
    if (c.label !== undefined) {
      tally.labels++;
      if (accepted) tally.labelsKept++;
    } else {
      tally.finds++;
      if (accepted) tally.findsAccepted++;
      if (accepted && used.inLabelGroup(c)) tally.findsSameAsLabel++;
    }
    if (first) {
      const before = firstById.get(c.was ?? '');
      if (!before) throw new Error(`${meeting}: check candidate ${c.id} has no first-adjudication candidate ${c.was}`);
      const key = first.accepted(before) ? (accepted ? 'both' : 'firstOnly') : accepted ? 'checkOnly' : 'neither';
      tally.agreement[key]++;
    }
  }
  tally.pooled += pooled;
}

/**
 * One round of a set's adjudication: its folder under the set's ('' is the first), the meetings it judged (all the
 * set's when absent) and the recorded answer runs whose finds it pooled (the set's `runs` when absent).
 */
export interface AdjudicationRound { folder: string; meetings?: readonly string[]; runs?: [string, string][] }

/** The real set's held-out twenty (the summary eval's DEVELOPMENT twelve are the rest): what prompt v8's runs answered. */
export const REAL_HELD_OUT = ['Bed004', 'Bed009', 'Bed011', 'Bmr013', 'Bmr018', 'Bro010', 'Bro016', 'Bro017', 'Bro022', 'Bro026',
  'ES2006c', 'ES2008c', 'ES2013a', 'IS1004b', 'IS1005b', 'IS1007c', 'IS1009b', 'TS3003c', 'TS3009c', 'TS3012b'] as const;

/** A set labelled twice (its `second-labeller/`), answered twice with v8 and adjudicated in one round (`adjudicated/`). */
function adjudicatedOnce(dir: string): { meetings: () => Meeting[]; dir: string; rounds: AdjudicationRound[]; runs: [string, string][]; secondLabeller: string } {
  return { meetings: () => loadSilver(dir), dir: path.join(dir, 'adjudicated'), runs: runsIn(dir, '-v8'), rounds: [{ folder: '' }], secondLabeller: path.join(dir, 'second-labeller') };
}

/**
 * What is adjudicated: each set's meetings, where its adjudication lives, its rounds in order, and the recorded answer
 * runs (A, B: prompt v7's, on every meeting) whose finds rounds 1–3 pooled. Round 4 pooled prompt v8's finds (its
 * runs answered the real set's held-out twenty and the silver held-out 45); a real meeting outside the twenty keeps
 * round 3's pool. The committee hearings were labelled twice from the start: the second labeller's decisions that match
 * none of the first's join the candidates as the runs' finds do (`secondLabeller`), so the pool is both labellers' and
 * both runs'.
 */
export const ADJUDICATED_SETS: Record<'real' | 'silver-held-out' | 'committee' | 'ami-natural' | 'abstracts' | 'icsi-unread' | 'core-devs' | 'core-devs-cl' | 'core-devs-el2' | 'core-devs-el3', { meetings: () => Meeting[]; dir: string; rounds: AdjudicationRound[]; runs: [string, string][]; secondLabeller?: string }> = {
  real: {
    meetings: () => loadMeetings(REAL_MEETINGS_DIR), dir: ADJUDICATED_DIR, runs: runsIn(REAL_MEETINGS_DIR),
    rounds: [{ folder: '' }, { folder: 'round-2' }, { folder: 'round-3' }, { folder: 'round-4', meetings: REAL_HELD_OUT, runs: runsIn(REAL_MEETINGS_DIR, '-v8') },
      // Round 5: the meetings whose lists changed when the merge stopped folding two entries of one answer into one
      // (chunkMerge.ts, 2026-11-29), their later parts answered again: v7's runs where round 3 was their last, v8's where round 4 was.
      { folder: 'round-5', meetings: ['ES2002a', 'TS3005a'] }, { folder: 'round-5-v8', meetings: ['ES2013a'], runs: runsIn(REAL_MEETINGS_DIR, '-v8') },
      // Round 6: the meetings whose notes outgrew the narrow bound, their later parts answered again with the wide one
      // (chunks.ts's NotedBound, 2026-11-30).
      { folder: 'round-6', meetings: ['Bed004', 'Bed011', 'Bmr018', 'Bro016', 'ES2006c', 'TS3009c', 'TS3012b'], runs: runsIn(REAL_MEETINGS_DIR, '-v8') }],
  },
  'silver-held-out': {
    meetings: () => silverHeldOut(loadSilver()), dir: SILVER_ADJUDICATED_DIR, runs: runsIn(SILVER_DIR),
    rounds: [{ folder: '' }, { folder: 'round-2' }, { folder: 'round-3' }, { folder: 'round-4', runs: runsIn(SILVER_DIR, '-v8') },
      // Round 5: as the real set's (the merge's fix, 2026-11-29).
      { folder: 'round-5', meetings: ['ES2013b', 'ES2014a', 'IS1000a', 'IS1006a', 'TS3003d', 'TS3008a'], runs: runsIn(SILVER_DIR, '-v8') },
      // Round 6: Bmr003, whose lists changed when a later part's new words or standing for a rewritten rule item stopped
      // undoing the rewrite (chunkMerge.ts, 2026-11-29).
      { folder: 'round-6', meetings: ['Bmr003'], runs: runsIn(SILVER_DIR, '-v8') },
      // Round 7: as the real set's round 6 (the wide bound of the notes, 2026-11-30).
      { folder: 'round-7', meetings: ['Bed006', 'Bmr003', 'Bmr012', 'Bmr019', 'Bmr026', 'ES2007c', 'IS1009d'], runs: runsIn(SILVER_DIR, '-v8') }],
  },
  committee: {
    meetings: () => loadSilver(COMMITTEE_DIR), dir: path.join(COMMITTEE_DIR, 'adjudicated'), runs: runsIn(COMMITTEE_DIR, '-v8'),
    // Round 2: education_6 again, after the merge learned to keep two votes that differ by an amendment's code apart
    // (carriedNotes.ts's sameIdentifiers), which changed its final lists from part 8 on and so its later prompts.
    // Round 3: education_6 again, its later parts answered with the wide bound of the notes (2026-11-30).
    rounds: [{ folder: '' }, { folder: 'round-2', meetings: ['education_6'] }, { folder: 'round-3', meetings: ['education_6'] }], secondLabeller: path.join(COMMITTEE_DIR, 'second-labeller'),
  },
  // The AMI corpus's non-scenario meetings (issue 56's held-out measurement of the defaults), labelled twice as the
  // committee hearings were.
  'ami-natural': {
    meetings: () => loadSilver(AMI_NATURAL_DIR), dir: path.join(AMI_NATURAL_DIR, 'adjudicated'), runs: runsIn(AMI_NATURAL_DIR, '-v8'),
    // Round 2: EN2009c again, its lists changed by the merge's fix (2026-11-29).
    // Round 3: IB4003, changed by the merge's fix for rewritten rule items (as the silver set's round 6).
    // Round 4: the meetings whose later parts were answered with the wide bound of the notes (2026-11-30).
    rounds: [{ folder: '' }, { folder: 'round-2', meetings: ['EN2009c'] }, { folder: 'round-3', meetings: ['IB4003'] },
      { folder: 'round-4', meetings: ['EN2001a', 'EN2001d', 'EN2001e', 'EN2002a', 'EN2002b', 'EN2002c', 'EN2002d', 'EN2003a', 'EN2004a', 'EN2005a', 'EN2006a', 'EN2006b', 'EN2009b', 'EN2009c', 'EN2009d', 'IB4003', 'IB4004', 'IN1014'] }],
    secondLabeller: path.join(AMI_NATURAL_DIR, 'second-labeller'),
  },
  // The two meetings QMSum never took that the corpora summarised (abstracts/README.md), labelled twice likewise.
  abstracts: {
    meetings: () => loadSilver(ABSTRACTS_DIR), dir: path.join(ABSTRACTS_DIR, 'adjudicated'), runs: runsIn(ABSTRACTS_DIR, '-v8'),
    // Round 2: TS3012c, its later parts answered with the wide bound of the notes (2026-11-30).
    rounds: [{ folder: '' }, { folder: 'round-2', meetings: ['TS3012c'] }], secondLabeller: path.join(ABSTRACTS_DIR, 'second-labeller'),
  },
  // Sets measured once with the defaults, labelled twice likewise and adjudicated in one round: the ICSI meetings QMSum
  // never took (icsi-unread/README.md), Ethereum's All Core Devs calls (core-devs/README.md), their consensus-layer calls
  // (core-devs-cl/) and sixteen more execution-layer calls (core-devs-el2/, core-devs-el3/).
  'icsi-unread': adjudicatedOnce(ICSI_UNREAD_DIR),
  'core-devs': adjudicatedOnce(CORE_DEVS_DIR),
  'core-devs-cl': adjudicatedOnce(CORE_DEVS_CL_DIR),
  'core-devs-el2': adjudicatedOnce(CORE_DEVS_EL2_DIR),
  'core-devs-el3': adjudicatedOnce(CORE_DEVS_EL3_DIR),
};
export type AdjudicatedSet = keyof typeof ADJUDICATED_SETS;

/** A set's two recorded answer runs (A, B) of a prompt: model-answers<suffix> and model-answers<suffix>-b. */
export function runsIn(dir: string, suffix = ''): [string, string][] {
  return [['A', path.join(dir, `model-answers${suffix}`)], ['B', path.join(dir, `model-answers${suffix}-b`)]];
}

/** A meeting's decisions as each recorded run finds them (strict), for {@link candidatesOf}. */
export async function recordedRunFinds(m: Meeting, set: AdjudicatedSet = 'real', runDirs: [string, string][] = ADJUDICATED_SETS[set].runs): Promise<RunFinds[]> {
  const runs: RunFinds[] = [];
  for (const [run, answers] of runDirs) {
    const r = await replayRecorded(m, answers);
    if (r.errors.length) throw new Error(`${m.name} run ${run}: ${r.errors[0]}`);
    runs.push({ run, decisions: r.predictions.decisions.map((d: Prediction) => ({ turn: d.turn, text: d.text, standing: d.standing ?? standingOf(d as LabelledDecision), kind: d.kind })) });
  }
  const second = ADJUDICATED_SETS[set].secondLabeller;
  if (second) {
    const labels = JSON.parse(fs.readFileSync(path.join(second, `${m.name}.labels.json`), 'utf8')) as MeetingLabels;
    runs.push({ run: 'L2', decisions: labels.decisions.map((d) => ({ turn: d.turn, text: d.text, standing: standingOf(d), kind: d.kind })) });
  }
  return runs;
}

/**
 * How many of a set's rounds are stored for a meeting: up to the first one that should judge it and has no verdicts
 * yet (a set whose first round is being made has none, and its pool is the labels).
 */
function storedRounds(m: Meeting, set: AdjudicatedSet): number {
  const { dir, rounds } = ADJUDICATED_SETS[set];
  const unstored = rounds.findIndex((r) => covers(r, m.name) && !fs.existsSync(path.join(dir, r.folder, `${m.name}.verdicts.txt`)));
  return unstored === -1 ? rounds.length : unstored;
}

/** A new round's ask files and candidates: the pool the stored rounds leave, with today's runs' unmatched finds. */
async function make(dir: string, set: AdjudicatedSet, runDirs?: [string, string][], only?: ReadonlySet<string>): Promise<void> {
  fs.mkdirSync(path.join(dir, 'keys'), { recursive: true });
  for (const m of ADJUDICATED_SETS[set].meetings().filter((x) => !only || only.has(x.name))) {
    const candidates = candidatesOf(pooledThrough(m, set, storedRounds(m, set)), await recordedRunFinds(m, set, runDirs));
    fs.writeFileSync(path.join(dir, `${m.name}.ask.md`), askText(m, candidates));
    fs.writeFileSync(path.join(dir, 'keys', `${m.name}.candidates.json`), `${JSON.stringify(candidates, null, 1)}\n`);
    process.stdout.write(`${m.name}: ${candidates.length} candidates (${m.labels.decisions.length} labels)\n`);
  }
}

/** The check's ask files: the first adjudication's candidates (ADJUDICATED_DIR) with the decoys of DECOYS/<meeting>.decoys.txt. */
function makeCheck(dir: string, decoysDir: string, set: AdjudicatedSet): void {
  fs.mkdirSync(path.join(dir, 'keys'), { recursive: true });
  for (const m of ADJUDICATED_SETS[set].meetings()) {
    const { candidates } = readAdjudication(m.name, ADJUDICATED_SETS[set].dir);
    const decoys = parseDecoys(fs.readFileSync(path.join(decoysDir, `${m.name}.decoys.txt`), 'utf8'));
    const check = checkCandidatesOf(candidates, decoys);
    fs.writeFileSync(path.join(dir, `${m.name}.ask.md`), askText(m, check));
    fs.writeFileSync(path.join(dir, 'keys', `${m.name}.candidates.json`), `${JSON.stringify(check, null, 1)}\n`);
    process.stdout.write(`${m.name}: ${check.length} candidates (${decoys.length} decoys)\n`);
  }
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const dir = flagValue(argv, '--make') || flagValue(argv, '--make-check');
  const decoys = flagValue(argv, '--decoys');
  const set = (flagValue(argv, '--set') ?? 'real') as AdjudicatedSet;
  if (!dir || (argv.includes('--make-check') && !decoys) || !(set in ADJUDICATED_SETS)) {
    process.stderr.write('usage: node out/test/eval/adjudication.js [--set real|silver-held-out|committee|ami-natural|abstracts|icsi-unread|core-devs|core-devs-cl|core-devs-el2|core-devs-el3] --make DIR [--runs A=DIR,B=DIR] [--only a,b] | --make-check DIR --decoys DECOYS_DIR\n');
    process.exit(2);
  }
  // --runs A=DIR,B=DIR: the answer runs whose finds the round pools, when they are not (yet) the set's recorded ones.
  const runDirs = flagValue(argv, '--runs')?.split(',').map((r) => r.split('=') as [string, string]);
  if (runDirs?.some((r) => r.length !== 2 || !fs.existsSync(r[1]))) throw new Error('--runs A=DIR,B=DIR: a name and an answers folder each');
  // --only a,b: the meetings a new prompt's runs answered (a held-out part), when they are not the whole set.
  const only = flagValue(argv, '--only') ? new Set(flagValue(argv, '--only')!.split(',')) : undefined;
  (flagValue(argv, '--make') ? make(dir, set, runDirs, only) : Promise.resolve(makeCheck(dir, decoys!, set))).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  });
}
