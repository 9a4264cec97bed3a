/**
 * Regression floors on the notes extraction's quality (issue 13: "CI keeps regression floors on the quality
 * figures"): the same measurement as `npm run eval:notes`, on the clean set (hand-written meetings), the real set
 * (32 AMI/ICSI meetings from QMSum train/val) and the silver set (135 more, labelled the same way, no rule written on them). A rule change that loses what was reached fails here. The floors sit a
 * little under the figures measured when they were set (docs/benchmarks/notes-quality.md, "Notes extraction on real
 * meetings"); raise them when the figures rise. They are not the targets: the real set is still below those.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { answersProcedurePrompt, answersRestatementPrompt, finalLists, MeetingRun, MODEL_ANSWERS_DIR, OWNER_V2_ANSWERS_DIRS, ownerAnswersUnder, replayRecorded, runMeeting, recordedHow, replayingChat, secondOwnerAnswers } from '../eval/model-notes-eval';
import { readRepeatPairs, readRepeats } from '../eval/duplicates';
import { FOLD_JUDGEMENTS_DIR, numberedFolds, tallyFolds } from '../eval/fold-judgements';
import { ADJUDICATED_SETS, AdjudicatedSet, candidatesOf, checkCandidatesOf, lastRoundOf, parseDecoys, pooledThrough, readAdjudication, REAL_HELD_OUT, recordedRunFinds, runsIn, trialRoundOver, withPooledLabels } from '../eval/adjudication';
import { evaluate, loadMeetings, loadSilver, Meeting, Predictions, SETS, SILVER_DIR, silverHeldOut } from '../eval/notes-eval';

const FLOORS = {
  // Measured 2026-11-22: items P 0.979 R 1.000 owner 1.000; decisions P 0.958 R 0.868 (= the targets, kept).
  clean: { actionPrecision: 0.9, actionRecall: 0.9, ownerAccuracy: 0.9, decisionPrecision: 0.85, decisionRecall: 0.85 },
  // Measured 2026-11-22 on all 32 (held-out D added, unread): items P 0.420 R 0.358 owner 0.862; decisions P 0.319
  // R 0.274 (on the first 24: 0.481, 0.400, 0.840; 0.398, 0.320; before issue 13: 0.174, 0.280, 0.914; 0.046, 0.117).
  // Session 15, with "you're going to …" assignments: items 0.421, 0.364, 0.847; decisions unchanged.
  // Issue 40: 57 requirements handed to the team labelled as decisions with standing given (192 labelled decisions, was
  // 135); the rules find few of them: decisions P 0.319 R 0.193, items unchanged.
  real: { actionPrecision: 0.38, actionRecall: 0.32, ownerAccuracy: 0.8, decisionPrecision: 0.28, decisionRecall: 0.17 },
  // Measured 2026-11-23 on the 135 silver meetings no rule was written on: items P 0.201 R 0.284 owner 0.831;
  // decisions P 0.089 R 0.098. With "you're going to …" assignments (session 15): items P 0.214 R 0.309 owner 0.810.
  silver: { actionPrecision: 0.19, actionRecall: 0.28, ownerAccuracy: 0.78, decisionPrecision: 0.07, decisionRecall: 0.08 },
} as const;

type Floors = { [K in keyof (typeof FLOORS)['real']]: number };

function assertFloors(name: string, overall: Awaited<ReturnType<typeof evaluate>>['overall'], floors: Floors): void {
  const got = {
        actionPrecision: overall.actionItems.precision ?? 0,
        actionRecall: overall.actionItems.recall ?? 0,
        ownerAccuracy: overall.actionItems.ownerAccuracy ?? 0,
        decisionPrecision: overall.decisions.precision ?? 0,
    decisionRecall: overall.decisions.recall ?? 0,
  };
  for (const [k, floor] of Object.entries(floors) as [keyof typeof got, number][]) {
    assert.ok(got[k] >= floor, `${name} ${k} ${got[k].toFixed(3)} fell under its floor ${floor}`);
  }
}

const MEETINGS = { clean: () => loadMeetings(SETS.clean.dir), real: () => loadMeetings(SETS.real.dir), silver: () => loadSilver() };

for (const name of ['clean', 'real', 'silver'] as const) {
  describe(`Notes quality floors: ${name} set`, function () {
    // A bound against a hang, not a speed goal: the silver set's 135 meetings took 46 s in one fresh clone's parallel
    // unit run and over 60 s in the next, on a busier machine.
    this.timeout(240_000);
    it('stays at or above its floors', async () => {
      const { overall } = await evaluate(MEETINGS[name](), SETS[name === 'clean' ? 'clean' : 'real'].targets);
      assertFloors(name, overall, FLOORS[name]);
    });
  });
}

/**
 * The language-model path with the answers a model gave to every prompt (recorded in
 * test/fixtures/real-meetings/model-answers and silver/model-answers): the merge, the checks of each answer, the
 * dismissals and where each added entry is shown, through the CLI's own code. Measured 2026-11-23, entries shown at
 * the cited line that says most of them: real set items P 0.727 R 0.870 owner 0.915, decisions P 0.535 R 0.563;
 * silver set items P 0.661 R 0.837 owner 0.915, decisions P 0.357 R 0.525. Session 15 (the rules' "you're going to …"
 * assignments, 21 changed prompts answered again): real 0.722, 0.864, 0.921; 0.535, 0.563; silver 0.661, 0.844, 0.914;
 * 0.361, 0.531.
 * Issue 40 (prompt v4: decisions with their standing, requirements given to the team no longer excluded, rule items
 * rewritten; 57 givens added to the real set's labels; all 276 real prompts answered again, 2026-11-25): real items
 * P 0.737 R 0.864 owner 0.907, decisions P 0.550 R 0.630 (with the labelled standing: 0.527, 0.604).
 * Silver: v4's prompts were answered again for the 45 held-out meetings only (450 prompts; the development part's
 * v3 answers were removed): items P 0.658 R 0.858 owner 0.969, decisions P 0.219 R 0.444 (its labels have no givens:
 * the model's 71 givens count as false finds; v3 on the same 45: 0.660, 0.919, 0.904; 0.285, 0.438).
 * Prompt v5 (decisions: the stating line cited first and shown there; deferrals "until something is known"; one entry
 * per requirement of a brief; decisions only recalled from an earlier meeting left out; chosen on the summary eval's
 * twelve development meetings; all 276 real and 450 silver held-out prompts answered again, 2026-11-26): real items
 * P 0.757 R 0.864 owner 0.907, decisions P 0.640 R 0.714 (held-out 20: 0.587, 0.693); silver items P 0.674 R 0.878
 * owner 0.954, decisions P 0.283 R 0.601. The silver held-out part's givens labelled (92 in 40 of its 45 meetings,
 * five labellers reading each meeting whole from LABELLING.md alone, 2026-11-26): its decisions P 0.452 R 0.602 (with
 * the labelled standing 0.446, 0.594), the same answers.
 * Prompt v6 (rule decisions rewritable: text, standing, kind), adopted 2026-11-26 when measured against the pooled,
 * adjudicated labels (below; BENCHMARKS.md): against the first labeller, real items P 0.723 R 0.840 owner 0.919,
 * decisions P 0.579 R 0.688; silver held-out items P 0.668 R 0.872 owner 0.930, decisions P 0.478 R 0.611.
 * When the rules or the prompt change, the prompts no longer match the recorded answers and this fails saying so:
 * record the prompts and have a model answer them again (test/eval/model-notes-eval.ts), then set the floors anew.
 * Prompt v7 (each part read with what the parts before it noted; issue 56), adopted 2026-11-27: the repeats in the final
 * lists fall from 21 and 19 (real, runs A and B) and 50 and 52 (silver held-out) to 2, 3, 2 and 1 (duplicates.test.ts);
 * run A against the first labeller: real items P 0.780 R 0.833 owner 0.933, decisions P 0.575 R 0.661; silver held-out
 * items P 0.795 R 0.865 owner 0.977, decisions P 0.532 R 0.545 (fewer decisions found: 250 against v6's 312).
 */
const MODEL_FLOORS: Record<'real' | 'silver', Floors> = {
  real: { actionPrecision: 0.75, actionRecall: 0.80, ownerAccuracy: 0.90, decisionPrecision: 0.54, decisionRecall: 0.63 },
  silver: { actionPrecision: 0.76, actionRecall: 0.83, ownerAccuracy: 0.94, decisionPrecision: 0.50, decisionRecall: 0.51 },
};
const ANSWERS = { real: MODEL_ANSWERS_DIR, silver: path.join(SILVER_DIR, 'model-answers') };

for (const name of ['real', 'silver'] as const) {
  describe(`Notes quality floors: ${name === 'silver' ? 'silver held-out' : name} set, rules and the recorded model answers`, function () {
    this.timeout(120_000);
    it('stays at or above its floors', async () => {
      const meetings = name === 'silver' ? silverHeldOut(MEETINGS.silver()) : MEETINGS[name]();
      const predictions = new Map<string, Predictions>();
      for (const m of meetings) {
        const run = await replayRecorded(m, ANSWERS[name]);
        assert.deepEqual(run.errors, [], `${m.name}: the recorded answers do not replay`);
        predictions.set(m.name, run.predictions);
      }
      const { overall } = await evaluate(meetings, SETS.real.targets, (m) => predictions.get(m.name)!);
      assertFloors(`${name} set with the model`, overall, MODEL_FLOORS[name]);
    });
  });
}

/**
 * Decisions against the pooled labels (test/eval/adjudication.ts; BENCHMARKS.md, issue 40): the last round's
 * candidates must be the ones the pool before it and the recorded runs give today (a changed label or answer makes the
 * adjudication stale: adjudicate a new round), and run A's decisions stay at or above floors a little under what was
 * measured after both rounds (prompt v6): real set P 0.899 R 0.807, silver held-out part P 0.840 R 0.789. After round 3
 * (prompt v7's finds pooled; 2026-11-27) v7 run A measures real P 0.891 R 0.749, silver held-out P 0.900 R 0.662 (v6's
 * run A against the same labels: 0.890 / 0.772 and 0.817 / 0.750). After round 4 (prompt v8's finds pooled, the real
 * set's held-out twenty and the silver held-out 45; 2026-11-28): v7 run A real P 0.882 R 0.717, silver held-out P 0.896
 * R 0.577 (the decisions v8 found and v7 did not are labels now: v8's own floors are below).
 */
const POOLED_FLOORS: Record<Exclude<AdjudicatedSet, 'committee' | 'ami-natural' | 'abstracts' | 'icsi-unread' | 'core-devs' | 'core-devs-cl' | 'core-devs-el2' | 'core-devs-el3'>, { precision: number; recall: number }> = {
  real: { precision: 0.86, recall: 0.69 },
  'silver-held-out': { precision: 0.87, recall: 0.55 },
};
/** Where an adjudicated set's recorded answer runs live (model-answers*, duplicates/, restatements/ beside them). */
const answersRoot = (set: AdjudicatedSet) => path.dirname(ADJUDICATED_SETS[set].runs[0][1]);

/**
 * The last stored round that judged `m` (the pool the rounds before it leave, with its runs' unmatched finds today)
 * judged the candidates its labels and the recorded runs give today.
 */
async function assertLastRoundCurrent(m: Meeting, set: AdjudicatedSet): Promise<void> {
  const last = lastRoundOf(m, set);
  assert.deepEqual(last.adjudication.candidates, candidatesOf(pooledThrough(m, set, last.round), await recordedRunFinds(m, set, last.runs)),
    `${m.name}: the candidates changed since round ${last.round + 1} adjudicated them`);
}

/** Repeats the judge found in a run's final lists (`root`/duplicates/`run`), each list required to be the one judged. */
async function judgedRepeats(name: string, meetings: Meeting[], root: string, run: string): Promise<number> {
  let repeats = 0;
  for (const m of meetings) {
    const judged = readRepeats(path.join(root, 'duplicates', run), m.name, finalLists(await replayRecorded(m, path.join(root, run))));
    assert.ok(typeof judged !== 'string', `${name} ${run} ${m.name}: ${judged}`);
    repeats += judged.decisions + judged.actionItems;
  }
  return repeats;
}

for (const set of ['real', 'silver-held-out'] as const) {
  describe(`Notes quality floors: ${set} set, recorded model answers, decisions against the pooled labels`, function () {
    this.timeout(240_000);
    const { meetings, dir, runs } = ADJUDICATED_SETS[set];
    it('has an adjudication of today\'s candidates', async () => {
      for (const m of meetings()) {
        // Round 4: prompt v8's recorded runs, for the meetings they answered; round 3: v7's, for the others.
        await assertLastRoundCurrent(m, set);
        if (set !== 'real') continue;
        // The real set's check: the first round's candidates with its decoys among them.
        const check = readAdjudication(m.name, path.join(dir, 'check'));
        const decoys = parseDecoys(fs.readFileSync(path.join(dir, 'check', `${m.name}.decoys.txt`), 'utf8'));
        assert.deepEqual(check.candidates, checkCandidatesOf(readAdjudication(m.name, dir).candidates, decoys), `${m.name}: the check's candidates are not the first round's with its decoys`);
      }
    });
    it('stays at or above its floors', async () => {
      const pooled = withPooledLabels(meetings(), set);
      const predictions = new Map<string, Predictions>();
      for (const m of pooled) predictions.set(m.name, (await replayRecorded(m, runs[0][1])).predictions);
      const { overall } = await evaluate(pooled, SETS.real.targets, (m) => predictions.get(m.name)!);
      const { precision, recall } = { precision: overall.decisions.precision ?? 0, recall: overall.decisions.recall ?? 0 };
      const floor = POOLED_FLOORS[set];
      assert.ok(precision >= floor.precision, `decisions precision ${precision.toFixed(3)} fell under its floor ${floor.precision}`);
      assert.ok(recall >= floor.recall, `decisions recall ${recall.toFixed(3)} fell under its floor ${floor.recall}`);
    });
  });
}

/**
 * Each thing once (issue 56): a judge counted the repeats in each meeting's final lists (test/eval/duplicates.ts;
 * test/fixtures/real-meetings/duplicates/README.md). Prompt v6: real 21 and 19 (runs A, B), silver held-out 50 and 52;
 * prompt v7: 2, 3, 2 and 1. Prompt v8 (the default since 2026-11-28; the real set's held-out twenty and the silver
 * held-out 45): 1, 0, 0 and 1 (v7 run A's lists of the same meetings, judged among them blind: 0 and 0). The lists must
 * be the ones judged (a changed list: judge it again), and the repeats stay at or under these floors.
 */
// The merge's fix of 2026-11-29 (two entries of one answer are two, chunkMerge.ts) kept apart joint tasks that v7's
// answers listed once for each owner ("Work with the User Interface designer on the prototype" for the Industrial
// Designer, the same for the User Interface designer), which the merge had folded, keeping one owner; the judges of
// the changed lists counted two such pairs as repeats in each real v7 run (4 and 5 now), none in v8's.
const REPEAT_FLOORS = { real: 5, silver: 3, 'real v8': 1, 'silver v8': 1 };
for (const name of ['real', 'silver', 'real v8', 'silver v8'] as const) {
  const silver = name.startsWith('silver'), v8 = name.endsWith('v8');
  describe(`Notes quality floors: ${silver ? 'silver held-out' : v8 ? 'real held-out' : 'real'} set, ${v8 ? 'prompt v8' : 'prompt v7'}, repeats in the final lists`, function () {
    this.timeout(240_000);
    it('every list is the one judged, and repeats stay at or under their floor in both answer runs', async () => {
      const meetings = silver ? silverHeldOut(MEETINGS.silver()) : MEETINGS.real().filter((m) => !v8 || (REAL_HELD_OUT as readonly string[]).includes(m.name));
      const root = silver ? SILVER_DIR : path.dirname(MODEL_ANSWERS_DIR);
      for (const run of runsIn('', v8 ? '-v8' : '').map(([, dir]) => dir)) {
        const repeats = await judgedRepeats(name, meetings, root, run);
        assert.ok(repeats <= REPEAT_FLOORS[name], `${name} ${run}: ${repeats} entries repeat an earlier one (floor ${REPEAT_FLOORS[name]})`);
      }
    });
  });
}

/**
 * The committee hearings (issue 56; test/fixtures/real-meetings/committee/README.md): QMSum's Committee train and val
 * meetings (21 Welsh education committee sessions, 9 Canadian covid committee sittings), labelled twice, prompt v8's two
 * runs recorded, the decisions adjudicated from both labellers' and both runs' candidates, each final list judged for
 * repeats. Measured 2026-11-29 on all 30 (runs A / B): items P 0.825 / 0.921, R 0.717 / 0.761, owners 0.970 / 0.971
 * (first labeller); decisions against the pooled labels P 0.685 / 0.712, R 0.881 / 0.881 (most false finds the
 * committee's own procedure: meeting in private, noting papers); no repeat in any list. The floors sit a little under.
 */
const COMMITTEE_FLOORS: { A: Floors; B: Floors } = {
  A: { actionPrecision: 0.8, actionRecall: 0.69, ownerAccuracy: 0.95, decisionPrecision: 0.66, decisionRecall: 0.85 },
  B: { actionPrecision: 0.9, actionRecall: 0.73, ownerAccuracy: 0.95, decisionPrecision: 0.69, decisionRecall: 0.85 },
};
/**
 * The AMI corpus's non-scenario meetings (issue 56; test/fixtures/real-meetings/ami-natural/README.md): 33 working
 * meetings of the AMI partners' groups that no setting was chosen on, labelled twice, prompt v8's two runs recorded
 * and measured once (2026-11-29), the decisions adjudicated from both labellers' and both runs' candidates, each final
 * list judged for repeats. Runs A / B: items P 0.742 / 0.732, R 0.877 / 0.877, owners 0.957 / 0.963 (first labeller);
 * decisions against the pooled labels P 0.824 / 0.866, R 0.811 / 0.880; 1 repeat in each run's 33 meetings. With the
 * merge's fixes of the same day (EN2009c's, IB4003's and IN1005's later parts answered again, adjudicated in rounds 2
 * and 3): 0.825 / 0.801 and 0.872 / 0.870. With the wide bound of the notes (2026-11-30; the later parts of the 18 and
 * 17 meetings whose notes outgrew the narrow one answered again, adjudicated in round 4): 0.871 / 0.844 and 0.897 /
 * 0.866, owners 0.927 and 0.963 (the narrow bound's lists against the same pool: 0.858 / 0.741, 0.894 / 0.792); repeats
 * 1 and 2 (EN2001a run B: "sit together tomorrow to extract the raw text" after "finish extracting the raw text"). With
 * the owner check at stop (the default since 2026-11-30): owners 0.939 and 0.963 (3 and 2 items given one). The floors
 * sit a little under.
 */
const AMI_NATURAL_FLOORS: { A: Floors; B: Floors } = {
  A: { actionPrecision: 0.7, actionRecall: 0.85, ownerAccuracy: 0.93, decisionPrecision: 0.8, decisionRecall: 0.79 },
  B: { actionPrecision: 0.71, actionRecall: 0.85, ownerAccuracy: 0.94, decisionPrecision: 0.84, decisionRecall: 0.85 },
};
/**
 * The two meetings QMSum never took that the corpora summarised (issue 56; test/fixtures/real-meetings/abstracts/
 * README.md), labelled twice and measured once with the defaults (2026-11-30): 7 labelled items, 24 pooled decisions.
 * Run A: items P 1.000 / R 0.857, owners 1.000, decisions 0.800 / 0.833; run B: items 0.857 / 0.857, owners 0.833,
 * decisions 0.774 / 1.000; repeats 0 and 2 (TS3012c run B: two decisions the bound of the notes had hidden from the
 * part that voted on them again). With the wide bound of the notes (TS3012c's later parts answered again, round 2): run
 * A items 0.857 / 0.857, decisions 0.833 / 0.833; run B decisions 0.828 / 1.000; no repeat in either run. Two meetings:
 * the floors keep what was measured.
 */
const ABSTRACTS_FLOORS: { A: Floors; B: Floors } = {
  A: { actionPrecision: 0.85, actionRecall: 0.85, ownerAccuracy: 0.95, decisionPrecision: 0.79, decisionRecall: 0.83 },
  B: { actionPrecision: 0.85, actionRecall: 0.85, ownerAccuracy: 0.83, decisionPrecision: 0.77, decisionRecall: 0.99 },
};
/**
 * The fifteen ICSI meetings QMSum never took (issue 56; test/fixtures/real-meetings/icsi-unread/README.md), labelled
 * twice and measured once with the defaults (prompt v8, the wide bound of the notes, the owner check; 2026-11-30): 97
 * labelled items, 110 pooled decisions. Run A: items P 0.683 / R 0.866, owners 0.917, decisions 0.773 / 0.927; run B:
 * items 0.706 / 0.866, owners 0.952, decisions 0.780 / 0.900; no repeat in either run, by either of two judgings. The
 * floors sit a little under.
 */
const ICSI_UNREAD_FLOORS: { A: Floors; B: Floors } = {
  A: { actionPrecision: 0.66, actionRecall: 0.84, ownerAccuracy: 0.9, decisionPrecision: 0.76, decisionRecall: 0.91 },
  B: { actionPrecision: 0.69, actionRecall: 0.84, ownerAccuracy: 0.93, decisionPrecision: 0.76, decisionRecall: 0.88 },
};
/**
 * Eight of Ethereum's All Core Devs calls (issue 56; test/fixtures/real-meetings/core-devs/README.md): developer calls,
 * labelled twice and measured once with the defaults (2026-11-30): 51 labelled items, 65 pooled decisions. Run A:
 * items P 0.636 / R 0.961, owners 0.837, decisions 0.763 / 0.938; run B: items 0.649 / 0.980, owners 0.880, decisions
 * 0.729 / 0.954; no repeat in either run, by either of two judgings. The floors sit a little under.
 */
const CORE_DEVS_FLOORS: { A: Floors; B: Floors } = {
  A: { actionPrecision: 0.61, actionRecall: 0.94, ownerAccuracy: 0.82, decisionPrecision: 0.74, decisionRecall: 0.92 },
  B: { actionPrecision: 0.63, actionRecall: 0.96, ownerAccuracy: 0.86, decisionPrecision: 0.71, decisionRecall: 0.94 },
};
/**
 * Eight of the All Core Devs consensus-layer calls (issue 56; test/fixtures/real-meetings/core-devs-cl/README.md),
 * labelled twice and measured once (2026-11-30), the decision check's wording fixed before: 58 labelled items, 67 pooled
 * decisions. The lists without the decision check (these floors): run A items P 0.696 / R 0.948, owners 0.982,
 * decisions 0.836 / 0.910; run B 0.771 / 0.931, 0.981, 0.788 / 0.940; no repeat in either run by either judging.
 */
const CORE_DEVS_CL_FLOORS: { A: Floors; B: Floors } = {
  A: { actionPrecision: 0.68, actionRecall: 0.93, ownerAccuracy: 0.97, decisionPrecision: 0.82, decisionRecall: 0.9 },
  B: { actionPrecision: 0.75, actionRecall: 0.92, ownerAccuracy: 0.97, decisionPrecision: 0.77, decisionRecall: 0.93 },
};
/**
 * Eight more execution-layer calls (issue 56; test/fixtures/real-meetings/core-devs-el2/README.md), labelled twice and
 * measured once (2026-11-30) with the defaults of that morning: 65 labelled items, 70 pooled decisions. The lists
 * without the decision check (these floors): run A items P 0.846 / R 0.846, owners 0.909, decisions 0.781 / 0.814; run
 * B 0.873 / 0.846, 0.927, 0.877 / 0.914; no repeat in either run by either judging.
 */
const CORE_DEVS_EL2_FLOORS: { A: Floors; B: Floors } = {
  A: { actionPrecision: 0.83, actionRecall: 0.83, ownerAccuracy: 0.89, decisionPrecision: 0.76, decisionRecall: 0.8 },
  B: { actionPrecision: 0.86, actionRecall: 0.83, ownerAccuracy: 0.91, decisionPrecision: 0.86, decisionRecall: 0.9 },
};
/**
 * Eight more execution-layer calls again (issue 56; test/fixtures/real-meetings/core-devs-el3/README.md), labelled twice
 * and measured once (2026-11-30) with the defaults as they ship after this day (the owner check's prompt v2 beside the
 * parts'): 73 labelled items, 76 pooled decisions. The lists without the decision check (these floors): run A items P
 * 0.765 / R 0.890, owners 0.954, decisions 0.802 / 0.961; run B 0.747 / 0.849, 0.919, 0.733 / 0.974. Repeats: the first
 * judge names 1 and 5, the second 1 and 2, both the same 1 and 1 (ACDE155's zero-blob transactions, banned twice).
 */
const CORE_DEVS_EL3_FLOORS: { A: Floors; B: Floors } = {
  A: { actionPrecision: 0.75, actionRecall: 0.87, ownerAccuracy: 0.94, decisionPrecision: 0.78, decisionRecall: 0.94 },
  B: { actionPrecision: 0.73, actionRecall: 0.83, ownerAccuracy: 0.9, decisionPrecision: 0.71, decisionRecall: 0.96 },
};
/** Repeats in each run's final lists, judged, at most (measured with the wide bound: committee none, ami-natural 1 and 2, abstracts, icsi-unread and the core-devs sets none but core-devs-el3, 1 and 5). */
const UNREAD_SET_REPEATS: Record<'committee' | 'ami-natural' | 'abstracts' | 'icsi-unread' | 'core-devs' | 'core-devs-cl' | 'core-devs-el2' | 'core-devs-el3', number> = {
  committee: 0, 'ami-natural': 2, abstracts: 0, 'icsi-unread': 0, 'core-devs': 0, 'core-devs-cl': 0, 'core-devs-el2': 0, 'core-devs-el3': 5,
};
for (const set of ['committee', 'ami-natural', 'abstracts', 'icsi-unread', 'core-devs', 'core-devs-cl', 'core-devs-el2', 'core-devs-el3'] as const) {
  describe(`Notes quality floors: ${set} set, prompt v8: the adjudication is of today's candidates, and repeats stay under their floor`, function () {
    this.timeout(240_000);
    const meetings = () => ADJUDICATED_SETS[set].meetings();
    it('each meeting\'s last round judged the candidates its labels and the recorded runs give today', async () => {
      for (const m of meetings()) await assertLastRoundCurrent(m, set);
    });
    it('every list is the one judged, and repeats stay at or under their floor in both runs', async () => {
      for (const run of runsIn('', '-v8').map(([, dir]) => dir)) {
        const repeats = await judgedRepeats(set, meetings(), answersRoot(set), run);
        assert.ok(repeats <= UNREAD_SET_REPEATS[set], `${set} ${run}: ${repeats} entries repeat an earlier one (floor ${UNREAD_SET_REPEATS[set]})`);
      }
    });
  });
}

/**
 * Prompt v8, the default (issue 56): its two recorded runs of the real set's held-out twenty and the silver held-out
 * 45, decisions against the pooled labels after round 4 (v8's finds pooled with the pool, 2026-11-28). Measured, P / R:
 * real held-out run A 0.845 / 0.840, run B 0.867 / 0.742; silver held-out 0.863 / 0.812, 0.852 / 0.799 (v7 on the same
 * labels: real 0.887 / 0.686, 0.878 / 0.706; silver 0.896 / 0.577, 0.893 / 0.665). Items and owners (first labeller):
 * real 0.756 / 0.776 owner 0.922, 0.731 / 0.750 owner 0.897; silver 0.747 / 0.818 owner 0.942, 0.763 / 0.804 owner
 * 0.941. The floors sit a little under each run's figures. After the merge's fix of 2026-11-29 (two entries of one answer
 * are two; the changed meetings' later parts answered again, their decisions adjudicated in round 5): real 0.846 /
 * 0.842, 0.875 / 0.750; silver 0.855 / 0.806, 0.845 / 0.811, items R 0.845 and 0.838. After the third (a rewrite's
 * standing, owner and due kept under a later part's new words; round 6): silver 0.858 / 0.806, 0.847 / 0.811. With the
 * wide bound of the notes (2026-11-30; the later parts of the meetings whose notes outgrew the narrow one answered
 * again, adjudicated in real round 6 and silver round 7): real 0.907 / 0.833, 0.924 / 0.748, owners 0.889 and 0.888
 * (the narrow bound's lists against the same pool: 0.897 / 0.833, 0.917 / 0.733, owners 0.922 and 0.897); silver
 * 0.869 / 0.806, 0.853 / 0.806, owners 0.944 and 0.952 (0.869 / 0.804, 0.855 / 0.806). With the owner check at
 * stop (2026-11-30, the default; its answers beside the parts', each folder marked owner-check.txt; measured once):
 * owners real 0.900 and 0.888 (1 and 0 items given one), silver 0.968 and 0.960 (4 and 1); nothing else moves (it
 * changes owners only). The floors follow.
 */
const V8_FLOORS: Record<AdjudicatedSet, { A: Floors; B: Floors }> = {
  real: {
    A: { actionPrecision: 0.73, actionRecall: 0.75, ownerAccuracy: 0.89, decisionPrecision: 0.82, decisionRecall: 0.81 },
    B: { actionPrecision: 0.71, actionRecall: 0.72, ownerAccuracy: 0.87, decisionPrecision: 0.84, decisionRecall: 0.71 },
  },
  'silver-held-out': {
    A: { actionPrecision: 0.72, actionRecall: 0.79, ownerAccuracy: 0.95, decisionPrecision: 0.84, decisionRecall: 0.79 },
    B: { actionPrecision: 0.74, actionRecall: 0.78, ownerAccuracy: 0.95, decisionPrecision: 0.83, decisionRecall: 0.77 },
  },
  // The committee hearings (test/fixtures/real-meetings/committee), measured 2026-11-29: above.
  committee: COMMITTEE_FLOORS,
  'ami-natural': AMI_NATURAL_FLOORS,
  abstracts: ABSTRACTS_FLOORS,
  'icsi-unread': ICSI_UNREAD_FLOORS,
  'core-devs': CORE_DEVS_FLOORS,
  'core-devs-cl': CORE_DEVS_CL_FLOORS,
  'core-devs-el2': CORE_DEVS_EL2_FLOORS,
  'core-devs-el3': CORE_DEVS_EL3_FLOORS,
};
for (const set of ['real', 'silver-held-out', 'committee', 'ami-natural', 'abstracts', 'icsi-unread', 'core-devs', 'core-devs-cl', 'core-devs-el2', 'core-devs-el3'] as const) {
  describe(`Notes quality floors: ${set === 'real' ? 'real held-out' : set} set, prompt v8's recorded answers`, function () {
    this.timeout(240_000);
    it('stays at or above its floors in both runs: decisions against the pooled labels, items and owners against the first labeller', async () => {
      const { meetings } = ADJUDICATED_SETS[set];
      const answered = meetings().filter((m) => set !== 'real' || (REAL_HELD_OUT as readonly string[]).includes(m.name));
      const pooled = withPooledLabels(answered, set);
      for (const [run, dir] of runsIn(answersRoot(set), '-v8') as ['A' | 'B', string][]) {
        const predictions = new Map<string, Predictions>();
        for (const m of answered) {
          const replay = await replayRecorded(m, dir);
          assert.deepEqual(replay.errors, [], `${m.name} run ${run}: the recorded answers do not replay`);
          predictions.set(m.name, replay.predictions);
        }
        const decisions = (await evaluate(pooled, SETS.real.targets, (m) => predictions.get(m.name)!)).overall.decisions;
        const items = (await evaluate(answered, SETS.real.targets, (m) => predictions.get(m.name)!)).overall.actionItems;
        assertFloors(`${set} v8 run ${run}`, { actionItems: items, decisions } as Parameters<typeof assertFloors>[1], V8_FLOORS[set][run]);
      }
    });
  });
}

/**
 * The defaults' final lists judged twice (issue 56: "no repeat", a judge who reads the final lists): every list of
 * prompt v8's two runs of the five held-out sets (260) judged a second time on 2026-11-30 by eight fresh instances,
 * shuffled under anonymous names (duplicates/key-second-2026-11-30.json), beside the first judging. Repeats, first /
 * second judge / both (the same entry repeating the same earlier one), runs A and B: real 1 / 1 / 1, 0 / 0 / 0; silver
 * 0 / 0 / 0, 1 / 1 / 0; ami-natural 1 / 2 / 1, 2 / 3 / 2; abstracts and committee none. Every list must be the one each
 * judge read, and the counts stay at or under these.
 */
const TWICE_JUDGED_REPEATS: Record<AdjudicatedSet, { second: number; both: number }> = {
  real: { second: 1, both: 1 }, 'silver-held-out': { second: 1, both: 0 }, 'ami-natural': { second: 3, both: 2 }, abstracts: { second: 0, both: 0 }, committee: { second: 0, both: 0 },
  // Judged twice from the start (2026-11-30): no repeat in 30 lists, by either judge.
  'icsi-unread': { second: 0, both: 0 }, 'core-devs': { second: 0, both: 0 }, 'core-devs-cl': { second: 0, both: 0 }, 'core-devs-el2': { second: 0, both: 0 },
  // Measured once, the lists as shipped after 2026-11-30 (core-devs-el3): the second judge names 1 and 2, both 1 and 1.
  'core-devs-el3': { second: 2, both: 1 },
};
for (const set of ['real', 'silver-held-out', 'ami-natural', 'abstracts', 'committee', 'icsi-unread', 'core-devs', 'core-devs-cl', 'core-devs-el2', 'core-devs-el3'] as const) {
  describe(`Notes quality floors: ${set === 'real' ? 'real held-out' : set} set, the defaults' final lists judged twice for repeats`, function () {
    this.timeout(240_000);
    it('every list is the one both judges read; the second judge\'s repeats, and those both name, stay at or under their floors', async () => {
      const answered = ADJUDICATED_SETS[set].meetings().filter((m) => set !== 'real' || (REAL_HELD_OUT as readonly string[]).includes(m.name));
      const root = answersRoot(set);
      for (const [run, dir] of runsIn(root, '-v8') as ['A' | 'B', string][]) {
        let second = 0, both = 0;
        for (const m of answered) {
          const lists = finalLists(await replayRecorded(m, dir));
          const [a, b] = ['', '-second'].map((judging) => readRepeatPairs(path.join(root, 'duplicates', `${path.basename(dir)}${judging}`), m.name, lists));
          assert.ok(typeof a !== 'string' && typeof b !== 'string', `${set} run ${run} ${m.name}: ${typeof a === 'string' ? a : b}`);
          second += b.length;
          both += b.filter((r) => a.some((x) => x.entry === r.entry && x.repeats === r.repeats)).length;
        }
        assert.ok(second <= TWICE_JUDGED_REPEATS[set].second, `${set} run ${run}: the second judge names ${second} repeats (floor ${TWICE_JUDGED_REPEATS[set].second})`);
        assert.ok(both <= TWICE_JUDGED_REPEATS[set].both, `${set} run ${run}: both judges name ${both} repeats (floor ${TWICE_JUDGED_REPEATS[set].both})`);
      }
    });
  });
}

/**
 * The owner check at stop (issue 56; `earshot.enhancement.checkOwners`, the default): its prompts were answered twice
 * by fresh instances, the first answers beside the parts' (replayed above), the second in owner-check-b/. Owners
 * against the first labeller, measured 2026-11-30, without the check / first answering / second: real held-out 0.889 /
 * 0.900 / 0.900 and 0.888 / 0.888 / 0.888; silver held-out 0.944 / 0.968 / 0.960 and 0.952 / 0.960 / 0.960;
 * ami-natural 0.927 / 0.939 / 0.927 and 0.963 / 0.963 / 0.963; the silver development 30 it was chosen on 0.841 /
 * 0.912 / 0.912 and 0.900 / 0.927 / 0.909. Each answering replays, gives owners in each set (items given one, both runs,
 * at least `owned`), and leaves no labelled item with a wrong owner it did not have without the check.
 */
const OWNER_CHECK_MEASURED: Record<'real' | 'silver-held-out' | 'ami-natural', { A: number; B: number; owned: { first: number; second: number } }> = {
  real: { A: 0.889, B: 0.888, owned: { first: 1, second: 1 } },
  'silver-held-out': { A: 0.944, B: 0.952, owned: { first: 5, second: 5 } },
  'ami-natural': { A: 0.927, B: 0.963, owned: { first: 5, second: 3 } },
};
for (const set of ['real', 'silver-held-out', 'ami-natural'] as const) {
  describe(`Notes quality floors: the owner check at stop, ${set === 'real' ? 'real held-out' : set} set, both answerings`, function () {
    this.timeout(240_000);
    it('each answering replays, gives owners, and makes no labelled item\'s owner wrong that was right without it', async () => {
      const answered = ADJUDICATED_SETS[set].meetings().filter((m) => set !== 'real' || (REAL_HELD_OUT as readonly string[]).includes(m.name));
      const measured = OWNER_CHECK_MEASURED[set];
      const given = { first: 0, second: 0 };
      for (const [run, dir] of runsIn(answersRoot(set), '-v8') as ['A' | 'B', string][]) {
        let wrongWithout: string[] = [];
        for (const [answering, owners] of [['without', undefined], ['first', undefined], ['second', secondOwnerAnswers(dir)]] as const) {
          const predictions = new Map<string, Predictions>();
          for (const m of answered) {
            const replay = answering === 'without'
              ? await runMeeting(m, replayingChat(path.join(dir, m.name)), undefined, { ...recordedHow(dir), checkOwners: false })
              : await replayRecorded(m, dir, { owners });
            assert.deepEqual(replay.errors, [], `${m.name} run ${run}, ${answering}: the recorded answers do not replay`);
            if (answering !== 'without') given[answering] += replay.result.carried?.owned ?? 0;
            predictions.set(m.name, replay.predictions);
          }
          const { overall, findings } = await evaluate(answered, SETS.real.targets, (m) => predictions.get(m.name)!);
          const wrong = findings.filter((f) => f.error === 'wrong owner').map((f) => `${f.meeting} #${f.turn} ${f.text}`);
          if (answering === 'without') {
            wrongWithout = wrong;
            const owned = overall.actionItems.ownerAccuracy ?? 0;
            assert.ok(Math.abs(owned - measured[run]) < 0.0005, `${set} run ${run}: owners without the check ${owned.toFixed(3)}, measured ${measured[run]}`);
          } else {
            const made = wrong.filter((w) => !wrongWithout.includes(w));
            assert.deepEqual(made, [], `${set} run ${run}, ${answering} answering: owners it made wrong`);
          }
        }
      }
      assert.ok(given.first >= measured.owned.first && given.second >= measured.owned.second, `${set}: items given an owner ${JSON.stringify(given)}, measured ${JSON.stringify(measured.owned)}`);
    });
  });
}

/**
 * The owner check's prompt v2 (issue 56; ownerCheck.ts's WE_RULE_V2, the default since 2026-11-30): "we" said for the
 * speaker's own team is the speaker's. Chosen on the execution-layer calls (core-devs), measured once on eight more
 * (core-devs-el2) and asked of every set's recorded lists, each prompt answered twice by fresh instances
 * (owner-check-v2/, owner-check-v2-b/). Owners against the first labeller, v1 (the answers beside the parts') → v2's
 * first / second answering, runs A and B: core-devs 0.837 → 0.898 / 0.857, 0.880 → 0.920 / 0.920; core-devs-el2 0.909
 * → 0.945 / 0.927, 0.927 → 0.927 / 0.927; core-devs-cl 0.982 → 1.000 / 1.000, 0.981 → 1.000 / 1.000; ami-natural 0.939
 * → 0.933 / 0.927 (one item each: EN2005a's reference list left with none, EN2009c's blink data), 0.963 unchanged; the
 * silver development 30 0.912 → 0.903 / 0.903 (Bmr020's item for the transcribers), 0.927 unchanged; real held-out, silver held-out, icsi-unread,
 * committee and abstracts unchanged. Measured once more on eight execution-layer calls nothing had read (core-devs-el3,
 * recorded with v2 the default; v1 asked of the same lists by another instance, owner-check-v1/): without the check 0.923
 * and 0.903, v1 0.923 and 0.903, v2 0.954 / 0.954 and 0.919 / 0.935. Each answering replays and stays at these figures.
 */
const OWNER_V1_ANSWERS_DIR = path.join(path.dirname(MODEL_ANSWERS_DIR), 'owner-check-v1');
const OWNER_V1_MEASURED: Partial<Record<OwnerSet, { A: number; B: number }>> = { 'core-devs-el3': { A: 0.923, B: 0.903 } };
type OwnerSet = AdjudicatedSet | 'silver-dev';
const OWNER_V2_MEASURED: Record<OwnerSet, { A: [number, number]; B: [number, number] }> = {
  // Recorded with v2 as the default: its first answering beside the parts' (the folder marked v2), v1's apart.
  'core-devs-el3': { A: [0.954, 0.954], B: [0.919, 0.935] },
  'core-devs': { A: [0.898, 0.857], B: [0.92, 0.92] },
  'core-devs-el2': { A: [0.945, 0.927], B: [0.927, 0.927] },
  'core-devs-cl': { A: [1, 1], B: [1, 1] },
  'ami-natural': { A: [0.933, 0.927], B: [0.963, 0.963] },
  'silver-dev': { A: [0.903, 0.903], B: [0.927, 0.927] },
  real: { A: [0.9, 0.9], B: [0.888, 0.888] },
  'silver-held-out': { A: [0.968, 0.968], B: [0.96, 0.96] },
  'icsi-unread': { A: [0.917, 0.917], B: [0.952, 0.952] },
  committee: { A: [0.97, 0.97], B: [0.971, 0.971] },
  abstracts: { A: [1, 1], B: [0.833, 0.833] },
};
const ownerSetMeetings = (set: OwnerSet): Meeting[] => set === 'silver-dev'
  ? loadSilver().filter((m) => fs.existsSync(path.join(SILVER_DIR, 'model-answers-development', m.name)))
  : ADJUDICATED_SETS[set].meetings().filter((m) => set !== 'real' || (REAL_HELD_OUT as readonly string[]).includes(m.name));
const ownerSetRuns = (set: OwnerSet): ['A' | 'B', string][] => set === 'silver-dev'
  ? [['A', path.join(SILVER_DIR, 'model-answers-development')], ['B', path.join(SILVER_DIR, 'model-answers-development-b')]]
  : runsIn(answersRoot(set), '-v8') as ['A' | 'B', string][];
for (const set of Object.keys(OWNER_V2_MEASURED) as OwnerSet[]) {
  describe(`Notes quality floors: the owner check's prompt v2 (the default), ${set === 'real' ? 'real held-out' : set} set, both answerings`, function () {
    this.timeout(240_000);
    it('each answering replays as v2 and gives owners at their measured figure', async () => {
      const meetings = ownerSetMeetings(set);
      for (const [run, dir] of ownerSetRuns(set)) {
        const v1 = OWNER_V1_MEASURED[set];
        // v2's two answerings (the first beside the parts' where the folder was recorded with v2), and v1's where kept.
        const answerings: { name: string; owners: string | undefined; measured: number }[] = OWNER_V2_ANSWERS_DIRS.map((root, k) => {
          const owners = ownerAnswersUnder(root, dir);
          return { name: `v2, answering ${k + 1}`, owners: fs.existsSync(owners) ? owners : undefined, measured: OWNER_V2_MEASURED[set][run][k] };
        });
        if (v1) answerings.push({ name: 'v1', owners: ownerAnswersUnder(OWNER_V1_ANSWERS_DIR, dir), measured: v1[run] });
        for (const { name, owners, measured } of answerings) {
          // A folder recorded with v2 the default holds its first answering beside the parts'.
          if (!owners) assert.equal(recordedHow(dir).ownerPrompt, 2, `${dir}: its owner answers beside the parts are v2's`);
          const predictions = new Map<string, Predictions>();
          for (const m of meetings) {
            const replay = await replayRecorded(m, dir, { owners });
            assert.deepEqual(replay.errors, [], `${m.name} run ${run}, ${name}: the recorded answers do not replay`);
            predictions.set(m.name, replay.predictions);
          }
          const { overall } = await evaluate(meetings, SETS.real.targets, (m) => predictions.get(m.name)!);
          const owned = overall.actionItems.ownerAccuracy ?? 0;
          assert.ok(Math.abs(owned - measured) < 0.0005, `${set} run ${run}, ${name}: owners ${owned.toFixed(3)}, measured ${measured}`);
        }
      }
    });
  });
}

/**
 * The three checks at stop as they ship (issue 56, 2026-12-01): the restatement check (prompt v1, a fold held to entries
 * of one standing), then the decision check and the owner check over the lists it leaves, replayed over prompt v8's
 * recorded runs of every adjudicated set (`restatements/answers-v8[-b]`, and the other two checks' answers over those
 * lists in `restatements/procedure-v8[-b]`, `restatements/owners-v8[-b]`; each asked anew only where a fold changed
 * what it reads). Every final list was judged for repeats twice by judges reading it alone under an anonymous name
 * (`duplicates/defaults-v8[-b]`, `-second`; a list judged before under the same lists' prompt keeps that judgement):
 * no repeat both judges name in any of the 354 lists. Measured (entries folded; decisions P / R against the pooled
 * labels; owners; repeats in judging 1 / 2), runs A, B: real held-out 5, 0.910 / 0.814, 0.900, 0 / 0; 1, 0.928 /
 * 0.738, 0.888, 1 / 0. silver held-out 4, 0.872 / 0.792, 0.968; 4, 0.855 / 0.792, 0.960. ami-natural 6, 0.887 / 0.833,
 * 0.933; 7, 0.905 / 0.858, 0.963. committee 0, 0.939 / 0.738, 0.970; 0, 0.850 / 0.810, 0.971. icsi-unread 1, 0.800 /
 * 0.909, 0.917; 2, 0.802 / 0.882, 0.952. abstracts 0, 0.870 / 0.833, 1.000; 0, 0.857 / 1.000, 0.833. core-devs 1, 0.808
 * / 0.908, 0.898, 0 / 1; 0, 0.759 / 0.923, 0.920. core-devs-cl 0, 0.833 / 0.896, 1.000, 0 / 2; 1, 0.785 / 0.925, 1.000.
 * core-devs-el2 2, 0.775 / 0.786, 0.945; 0, 0.875 / 0.900, 0.927. core-devs-el3 2, 0.816 / 0.934, 0.954; 7, 0.772 /
 * 0.934, 0.919, 1 / 1. Every answer must replay, each check change what it changed, every list be the one judged, and
 * the figures stay at these floors (a little under each).
 */
/**
 * Why a fold is held to one standing (restatements.ts): every fold of the check's prompt v1 on seven sets, judged twice
 * blind (test/eval/fold-judgements.ts): of 26 folded entries of another standing than the kept one (a step decided now
 * and the question after it left open, a choice and a requirement handed to it) both judges found 24 things that belong
 * apart and 1 a repeat, and 9 folds lost an entry or its standing; of 41 of the kept one's standing, 31 repeats, 4
 * apart, 5 lost. The judgements replay against the folds the recorded answers give (each prompt's sha256).
 */
describe('The restatement check\'s folds, judged (issue 56): why a fold is held to entries of one standing', function () {
  this.timeout(300_000);
  it('replays every fold the judges read and their verdicts', async () => {
    const folds = await numberedFolds();
    assert.equal(folds.size, 64);
    const { same, mixed, agreement } = tallyFolds(folds, path.join(FOLD_JUDGEMENTS_DIR, 'first'), path.join(FOLD_JUDGEMENTS_DIR, 'second'));
    assert.deepEqual(mixed, { folded: 26, lost: 9, repeat: 1, apart: 24, split: 1 });
    assert.deepEqual(same, { folded: 41, lost: 5, repeat: 31, apart: 4, split: 6 });
    assert.deepEqual(agreement, { entries: 131, agree: 129 });
  });
});

type DefaultsFloors = { folded: number; decisionPrecision: number; decisionRecall: number; owners: number; repeats?: [number, number] };
const AT_STOP_DEFAULTS: Record<AdjudicatedSet, { A: DefaultsFloors; B: DefaultsFloors }> = {
  real: { A: { folded: 5, decisionPrecision: 0.9, decisionRecall: 0.8, owners: 0.89 }, B: { folded: 1, decisionPrecision: 0.92, decisionRecall: 0.73, owners: 0.88, repeats: [1, 0] } },
  'silver-held-out': { A: { folded: 4, decisionPrecision: 0.86, decisionRecall: 0.78, owners: 0.96 }, B: { folded: 4, decisionPrecision: 0.84, decisionRecall: 0.78, owners: 0.95 } },
  'ami-natural': { A: { folded: 6, decisionPrecision: 0.88, decisionRecall: 0.82, owners: 0.92 }, B: { folded: 7, decisionPrecision: 0.9, decisionRecall: 0.85, owners: 0.96 } },
  committee: { A: { folded: 0, decisionPrecision: 0.93, decisionRecall: 0.73, owners: 0.96 }, B: { folded: 0, decisionPrecision: 0.84, decisionRecall: 0.8, owners: 0.97 } },
  'icsi-unread': { A: { folded: 1, decisionPrecision: 0.79, decisionRecall: 0.9, owners: 0.91 }, B: { folded: 2, decisionPrecision: 0.79, decisionRecall: 0.87, owners: 0.95 } },
  abstracts: { A: { folded: 0, decisionPrecision: 0.86, decisionRecall: 0.83, owners: 0.99 }, B: { folded: 0, decisionPrecision: 0.85, decisionRecall: 0.99, owners: 0.83 } },
  'core-devs': { A: { folded: 1, decisionPrecision: 0.8, decisionRecall: 0.9, owners: 0.89, repeats: [0, 1] }, B: { folded: 0, decisionPrecision: 0.75, decisionRecall: 0.92, owners: 0.91 } },
  'core-devs-cl': { A: { folded: 0, decisionPrecision: 0.83, decisionRecall: 0.89, owners: 0.99, repeats: [0, 2] }, B: { folded: 1, decisionPrecision: 0.78, decisionRecall: 0.92, owners: 0.99 } },
  'core-devs-el2': { A: { folded: 2, decisionPrecision: 0.77, decisionRecall: 0.78, owners: 0.94 }, B: { folded: 0, decisionPrecision: 0.87, decisionRecall: 0.89, owners: 0.92 } },
  'core-devs-el3': { A: { folded: 2, decisionPrecision: 0.81, decisionRecall: 0.93, owners: 0.95 }, B: { folded: 7, decisionPrecision: 0.77, decisionRecall: 0.93, owners: 0.91, repeats: [1, 1] } },
};
for (const set of Object.keys(AT_STOP_DEFAULTS) as AdjudicatedSet[]) {
  describe(`Notes quality floors: ${set === 'real' ? 'real held-out' : set} set, prompt v8 with the three checks at stop as they ship`, function () {
    this.timeout(240_000);
    it('replays every check, folds what it folded, no repeat both judges name, decisions and owners at their floors', async () => {
      const answered = ADJUDICATED_SETS[set].meetings().filter((m) => set !== 'real' || (REAL_HELD_OUT as readonly string[]).includes(m.name));
      const pooled = withPooledLabels(answered, set);
      const root = answersRoot(set);
      for (const [run, dir] of runsIn(root, '-v8') as ['A' | 'B', string][]) {
        const suffix = run === 'A' ? '' : '-b';
        const checks = { restatements: path.join(root, 'restatements', `answers-v8${suffix}`), procedure: path.join(root, 'restatements', `procedure-v8${suffix}`), owners: path.join(root, 'restatements', `owners-v8${suffix}`) };
        assert.equal(answersRestatementPrompt(checks.restatements), 1, `${checks.restatements} answers the daemon's prompt`);
        const predictions = new Map<string, Predictions>();
        let folded = 0;
        const judged = [0, 0];
        for (const m of answered) {
          const replay = await replayRecorded(m, dir, checks);
          assert.deepEqual(replay.errors, [], `${set} ${m.name} run ${run}: the recorded answers do not replay`);
          if (replay.result.restatementCheck && 'folded' in replay.result.restatementCheck) folded += replay.result.restatementCheck.folded;
          const [first, second] = ['', '-second'].map((j) => readRepeatPairs(path.join(root, 'duplicates', `defaults-v8${suffix}${j}`), m.name, finalLists(replay)));
          assert.ok(typeof first !== 'string' && typeof second !== 'string', `${set} run ${run} ${m.name}: ${first} / ${second}`);
          const both = first.filter((r) => second.some((s) => s.entry === r.entry));
          assert.deepEqual(both, [], `${set} run ${run} ${m.name}: a repeat both judges name`);
          judged[0] += first.length;
          judged[1] += second.length;
          predictions.set(m.name, replay.predictions);
        }
        const floors = AT_STOP_DEFAULTS[set][run];
        assert.equal(folded, floors.folded, `${set} run ${run}: entries folded`);
        assert.deepEqual(judged, floors.repeats ?? [0, 0], `${set} run ${run}: repeats each judging counted`);
        const { overall } = await evaluate(pooled, SETS.real.targets, (m) => predictions.get(m.name)!);
        assert.ok((overall.decisions.precision ?? 0) >= floors.decisionPrecision, `${set} run ${run}: decisions precision ${overall.decisions.precision}`);
        assert.ok((overall.decisions.recall ?? 0) >= floors.decisionRecall, `${set} run ${run}: decisions recall ${overall.decisions.recall}`);
        assert.ok((overall.actionItems.ownerAccuracy ?? 0) >= floors.owners, `${set} run ${run}: owners ${overall.actionItems.ownerAccuracy}`);
      }
    });
  });
}

/**
 * The restatement check's prompt v2, a candidate (restatements.ts; 2026-11-30): it folds only an entry the kept one
 * already says whole. Asked once over prompt v8's recorded lists of every adjudicated set (`restatements/
 * answers-v8-prompt2`, `-v8-b-prompt2` beside each set's answers; the lists as the check reads them, before the owner
 * check), every answer by fresh instances from its prompt alone. Folded, runs A / B: real held-out 3 / 2, silver
 * held-out 2 / 1, ami-natural 2 / 6, abstracts 1 / 0, committee 0 / 0, icsi-unread 0 / 0 (v1: 7 / 1, 6 / 6, 8 / 8); with
 * a fold held to one standing (2026-12-01) silver's run A folds 1 and ami-natural's run B 5.
 * Decisions against the pooled labels: real 0.905 / 0.819, 0.923 / 0.738; silver 0.871 / 0.804, 0.853 / 0.804;
 * ami-natural 0.870 / 0.840, 0.899 / 0.861; abstracts 0.826 / 0.792, 0.828 / 1.000; committee 0.661 / 0.881, 0.725 /
 * 0.881; icsi-unread 0.773 / 0.927, 0.780 / 0.900. Every answer replays, folds what it folded, and the decisions stay at
 * these floors.
 */
type RestatedFloors = { decisionPrecision: number; decisionRecall: number; folded: number };
const PROMPT2_RESTATED: Record<Exclude<AdjudicatedSet, 'core-devs' | 'core-devs-cl' | 'core-devs-el2' | 'core-devs-el3'>, { A: RestatedFloors; B: RestatedFloors }> = {
  real: { A: { decisionPrecision: 0.895, decisionRecall: 0.81, folded: 3 }, B: { decisionPrecision: 0.91, decisionRecall: 0.73, folded: 2 } },
  'silver-held-out': { A: { decisionPrecision: 0.86, decisionRecall: 0.79, folded: 1 }, B: { decisionPrecision: 0.84, decisionRecall: 0.79, folded: 1 } },
  'ami-natural': { A: { decisionPrecision: 0.86, decisionRecall: 0.83, folded: 2 }, B: { decisionPrecision: 0.89, decisionRecall: 0.85, folded: 5 } },
  abstracts: { A: { decisionPrecision: 0.82, decisionRecall: 0.79, folded: 1 }, B: { decisionPrecision: 0.82, decisionRecall: 0.99, folded: 0 } },
  committee: { A: { decisionPrecision: 0.65, decisionRecall: 0.87, folded: 0 }, B: { decisionPrecision: 0.72, decisionRecall: 0.87, folded: 0 } },
  'icsi-unread': { A: { decisionPrecision: 0.76, decisionRecall: 0.91, folded: 0 }, B: { decisionPrecision: 0.77, decisionRecall: 0.89, folded: 0 } },
};
/**
 * A check at stop's recorded answers (`<folder>/answers-v8[-b]-prompt2` beside a set's answers, marked as its prompt
 * v2's) replayed over both runs of a set: every answer replays, the check changes as many entries as it did
 * (`changed`: folded or dropped), and the decisions stay at their floors.
 */
function checkReplays(title: string, floors: Partial<Record<AdjudicatedSet, { A: RestatedFloors; B: RestatedFloors }>>, check: {
  folder: 'restatements' | 'procedure'; promptOf: (dir: string) => number; changed: (r: MeetingRun) => number; second?: boolean; prompt?: 2 | 3;
}): void {
  describe(title, function () {
    this.timeout(240_000);
    for (const set of Object.keys(floors) as AdjudicatedSet[]) {
      it(`${set === 'real' ? 'real held-out' : set}: both runs replay, change what they changed, decisions at their floors`, async () => {
        const answered = ADJUDICATED_SETS[set].meetings().filter((m) => set !== 'real' || (REAL_HELD_OUT as readonly string[]).includes(m.name));
        const pooled = withPooledLabels(answered, set);
        const root = answersRoot(set);
        for (const [run, dir] of runsIn(root, '-v8') as ['A' | 'B', string][]) {
          const prompt = check.prompt ?? 2;
          const answers = path.join(root, check.folder, `answers-v8${run === 'A' ? '' : '-b'}-prompt${prompt}${check.second ? '-second' : ''}`);
          assert.equal(check.promptOf(answers), prompt, `${answers} is marked as v${prompt}'s`);
          const predictions = new Map<string, Predictions>();
          let changed = 0;
          for (const m of answered) {
            const replay = await replayRecorded(m, dir, { [check.folder === 'restatements' ? 'restatements' : 'procedure']: answers });
            assert.deepEqual(replay.errors, [], `${set} ${m.name} run ${run}: the recorded answers do not replay`);
            changed += check.changed(replay);
            predictions.set(m.name, replay.predictions);
          }
          const floor = floors[set]![run];
          assert.equal(changed, floor.folded, `${set} run ${run}: entries folded or dropped`);
          const decisions = (await evaluate(pooled, SETS.real.targets, (m) => predictions.get(m.name)!)).overall.decisions;
          assert.ok((decisions.precision ?? 0) >= floor.decisionPrecision, `${set} run ${run}: decisions precision ${decisions.precision}`);
          assert.ok((decisions.recall ?? 0) >= floor.decisionRecall, `${set} run ${run}: decisions recall ${decisions.recall}`);
        }
      });
    }
  });
}
checkReplays('The restatement check\'s prompt v2 (a candidate): its recorded answers replay over every set\'s lists', PROMPT2_RESTATED, {
  folder: 'restatements', promptOf: answersRestatementPrompt,
  changed: (r) => (r.result.restatementCheck && 'folded' in r.result.restatementCheck ? r.result.restatementCheck.folded : 0),
});

/**
 * The decision check at stop (issue 56; the procedure check's prompt v2, on by default since 2026-11-30): every set's
 * recorded default lists replayed with the check's answers (`procedure/answers-v8[-b]-prompt2` beside each set's
 * answers). Its wording was chosen on the ICSI meetings and the All Core Devs execution-layer calls (first wording also
 * named facts and aims, which dropped givens and agreed schedules there), then asked once of every other set and, with
 * nothing changed after, of the consensus-layer calls. Dropped, runs A / B, and decisions against the pooled labels
 * (without → with): real 1 / 2, 0.907 / 0.833 → 0.911 / 0.833, 0.924 / 0.748 → 0.929 / 0.743; silver 5 / 4, 0.869 /
 * 0.806 → 0.870 / 0.797, 0.853 / 0.806 → 0.854 / 0.799; ami-natural 8 / 6, 0.871 / 0.844 → 0.883 / 0.840, 0.897 / 0.866
 * → 0.903 / 0.858; abstracts 1 / 1, 0.833 / 0.833 → 0.870 / 0.833, 0.828 / 1.000 → 0.857 / 1.000; committee 23 / 11,
 * 0.661 / 0.881 → 0.939 / 0.738, 0.725 / 0.881 → 0.850 / 0.810; icsi-unread 6 / 5, 0.773 / 0.927 → 0.802 / 0.918,
 * 0.780 / 0.900 → 0.803 / 0.891; core-devs 6 / 6, 0.763 / 0.938 → 0.797 / 0.908, 0.729 / 0.954 → 0.759 / 0.923;
 * core-devs-cl (measured once) 1 / 1, 0.836 / 0.910 → 0.833 / 0.896, 0.788 / 0.940 → 0.785 / 0.925; core-devs-el2
 * (measured once) 2 / 1, 0.781 / 0.814 → 0.775 / 0.786, 0.877 / 0.914 → 0.875 / 0.900; core-devs-el3 (measured once) 2 /
 * 1, 0.802 / 0.961 → 0.809 / 0.947, 0.733 / 0.974 → 0.740 / 0.974. Every answer must replay and
 * drop what it dropped, and the decisions stay at these floors.
 */
const DECISION_CHECK: Record<AdjudicatedSet, { A: RestatedFloors; B: RestatedFloors }> = {
  real: { A: { decisionPrecision: 0.9, decisionRecall: 0.82, folded: 1 }, B: { decisionPrecision: 0.92, decisionRecall: 0.73, folded: 2 } },
  'silver-held-out': { A: { decisionPrecision: 0.86, decisionRecall: 0.79, folded: 5 }, B: { decisionPrecision: 0.84, decisionRecall: 0.79, folded: 4 } },
  'ami-natural': { A: { decisionPrecision: 0.87, decisionRecall: 0.83, folded: 8 }, B: { decisionPrecision: 0.89, decisionRecall: 0.85, folded: 6 } },
  abstracts: { A: { decisionPrecision: 0.86, decisionRecall: 0.83, folded: 1 }, B: { decisionPrecision: 0.85, decisionRecall: 0.99, folded: 1 } },
  committee: { A: { decisionPrecision: 0.93, decisionRecall: 0.73, folded: 23 }, B: { decisionPrecision: 0.84, decisionRecall: 0.8, folded: 11 } },
  'icsi-unread': { A: { decisionPrecision: 0.79, decisionRecall: 0.91, folded: 6 }, B: { decisionPrecision: 0.79, decisionRecall: 0.88, folded: 5 } },
  'core-devs': { A: { decisionPrecision: 0.78, decisionRecall: 0.9, folded: 6 }, B: { decisionPrecision: 0.75, decisionRecall: 0.91, folded: 6 } },
  'core-devs-cl': { A: { decisionPrecision: 0.82, decisionRecall: 0.88, folded: 1 }, B: { decisionPrecision: 0.77, decisionRecall: 0.92, folded: 1 } },
  'core-devs-el2': { A: { decisionPrecision: 0.76, decisionRecall: 0.77, folded: 2 }, B: { decisionPrecision: 0.86, decisionRecall: 0.88, folded: 1 } },
  'core-devs-el3': { A: { decisionPrecision: 0.79, decisionRecall: 0.93, folded: 2 }, B: { decisionPrecision: 0.72, decisionRecall: 0.96, folded: 1 } },
};
checkReplays('The decision check at stop (the default): its recorded answers replay over every set\'s default lists', DECISION_CHECK, {
  folder: 'procedure', promptOf: answersProcedurePrompt, changed: (r) => r.result.carried?.procedure ?? 0,
});
// The consensus-layer calls' prompts answered a second time by two other instances (`-second`): run A drops nothing
// (0.836 / 0.910, the lists as without the check), run B the same decision as the first answering (0.785 / 0.925).
/**
 * The decision check's prompt v3 (issue 56; procedureCheck.ts's SYSTEM_V3, a candidate not adopted): v2's kinds and one
 * team's plan or announcement the group did not take up, and a forecast nobody chose. Chosen on the developer calls and
 * the ICSI meetings (2026-11-30), asked once of each run; measured once on eight execution-layer calls nothing had read
 * (core-devs-el3). Dropped and decisions against the pooled labels, v2 → v3: core-devs 6 → 6 and 6 → 6, unchanged;
 * core-devs-el2 2 → 3, 0.775 / 0.786 → 0.800 / 0.800, and 1 → 2, 0.875 / 0.900 → 0.887 / 0.900; core-devs-cl 1 → 3,
 * 0.833 / 0.896 → 0.843 / 0.881, and 1 → 3, 0.785 / 0.925 → 0.805 / 0.925; icsi-unread 6 → 7, 0.802 / 0.918 → 0.800 /
 * 0.909, and 5 → 9, 0.803 / 0.891 → 0.814 / 0.873; core-devs-el3 (read once) 2 → 9, 0.809 / 0.947 → 0.854 / 0.921, and
 * 1 → 9, 0.740 / 0.974 → 0.739 / 0.895: recall falls 8 points in one run for nothing, so v2 stays the default.
 */
checkReplays('The decision check\'s prompt v3 (a candidate): its recorded answers replay over the developer calls and the ICSI meetings', {
  'core-devs': { A: { decisionPrecision: 0.78, decisionRecall: 0.9, folded: 6 }, B: { decisionPrecision: 0.75, decisionRecall: 0.91, folded: 6 } },
  'core-devs-el2': { A: { decisionPrecision: 0.79, decisionRecall: 0.79, folded: 3 }, B: { decisionPrecision: 0.88, decisionRecall: 0.89, folded: 2 } },
  'core-devs-cl': { A: { decisionPrecision: 0.83, decisionRecall: 0.87, folded: 3 }, B: { decisionPrecision: 0.8, decisionRecall: 0.92, folded: 3 } },
  'icsi-unread': { A: { decisionPrecision: 0.79, decisionRecall: 0.9, folded: 7 }, B: { decisionPrecision: 0.8, decisionRecall: 0.87, folded: 9 } },
  'core-devs-el3': { A: { decisionPrecision: 0.85, decisionRecall: 0.92, folded: 9 }, B: { decisionPrecision: 0.73, decisionRecall: 0.89, folded: 9 } },
}, { folder: 'procedure', promptOf: answersProcedurePrompt, changed: (r) => r.result.carried?.procedure ?? 0, prompt: 3 });
checkReplays('The decision check at stop, answered a second time on the consensus-layer calls', {
  'core-devs-cl': { A: { decisionPrecision: 0.82, decisionRecall: 0.9, folded: 0 }, B: { decisionPrecision: 0.77, decisionRecall: 0.92, folded: 1 } },
}, { folder: 'procedure', promptOf: answersProcedurePrompt, changed: (r) => r.result.carried?.procedure ?? 0, second: true });

/**
 * The procedure check's prompt v1 (issue 56; the check was off by default when it was asked): every set's recorded
 * default lists (prompt v8, the wide bound, the owner check) replayed with the check's recorded answers (`procedure/`
 * beside each set's answers; asked once, 2026-11-30: the development parts chose its words, the held-out ones read
 * once). On the AMI and ICSI meetings it drops nothing (200 held-out lists, 190 with a decision; 60 development); on
 * the committee hearings it drops the committee's procedural motions (education, development: decisions 0.640 / 1.000 → 1.000 / 1.000) and the
 * covid chair's time rulings and the House's rules, which that part's adjudicators pooled as decisions (held out:
 * recall 0.500 → 0.000). All 30 hearings, pooled labels: 0.661 / 0.881 → 1.000 / 0.762 (run A), 0.725 / 0.881 →
 * 1.000 / 0.762 (run B). Answered a second time by other instances (`answers-v8-second`, `-v8-b-second`): the same
 * drops but one, IB4010's "each member nominates one or two movies, then the group votes" (run A; no pooled decision).
 * Every answer of both answerings must replay and drop what it dropped, and the committee's decisions stay at these figures.
 */
const PROCEDURE_DROPS: Record<Exclude<AdjudicatedSet, 'icsi-unread' | 'core-devs' | 'core-devs-cl' | 'core-devs-el2' | 'core-devs-el3'>, { A: number; B: number; secondA?: number }> = {
  real: { A: 0, B: 0 }, 'silver-held-out': { A: 0, B: 0 }, 'ami-natural': { A: 0, B: 0, secondA: 1 }, abstracts: { A: 0, B: 0 }, committee: { A: 24, B: 19 },
};
describe('The procedure check at stop (off by default): its recorded answers replay over every set\'s default lists', function () {
  this.timeout(240_000);
  for (const set of Object.keys(PROCEDURE_DROPS) as (keyof typeof PROCEDURE_DROPS)[]) {
    it(`${set === 'real' ? 'real held-out' : set}: both runs and both answerings replay, dropping what was measured${set === 'committee' ? ', decisions at their figures' : ' (nothing)'}`, async () => {
      const root = answersRoot(set);
      const answered = ADJUDICATED_SETS[set].meetings().filter((m) => set !== 'real' || (REAL_HELD_OUT as readonly string[]).includes(m.name));
      for (const [[run, dir], second] of (runsIn(root, '-v8') as ['A' | 'B', string][]).flatMap((r) => [[r, false], [r, true]] as const)) {
        const answers = `answers-v8${run === 'A' ? '' : '-b'}${second ? '-second' : ''}`;
        const predictions = new Map<string, Predictions>();
        let dropped = 0;
        for (const m of answered) {
          const replay = await replayRecorded(m, dir, { procedure: path.join(root, 'procedure', answers) });
          assert.deepEqual(replay.errors, [], `${m.name} ${answers}: the recorded answers do not replay`);
          const check = replay.result.procedureCheck;
          assert.ok(check, `${m.name} ${answers}: no procedure check`);
          if ('dropped' in check) dropped += check.dropped;
          else assert.equal(check.unchecked, 'no decision', `${m.name} ${answers}: a decision was left unchecked`);
          predictions.set(m.name, replay.predictions);
        }
        const expected = PROCEDURE_DROPS[set];
        assert.equal(dropped, second && run === 'A' ? expected.secondA ?? expected.A : expected[run], `${set} ${answers}: decisions dropped`);
        if (set !== 'committee') continue;
        const decisions = (await evaluate(withPooledLabels(answered, set), SETS.real.targets, (m) => predictions.get(m.name)!)).overall.decisions;
        assert.deepEqual([decisions.precision, Number(decisions.recall?.toFixed(3))], [1, 0.762], `committee ${answers}: decisions`);
      }
    });
  }

  it('the silver development 30, where it was chosen: both runs and both answerings replay, nothing dropped', async () => {
    const named = new Set(fs.readdirSync(path.join(SILVER_DIR, 'procedure', 'answers-development')));
    const ms = loadSilver().filter((m) => named.has(m.name));
    assert.equal(ms.length, 30);
    for (const suffix of ['', '-b']) {
      for (const second of ['', '-second']) {
        for (const m of ms) {
          const replay = await replayRecorded(m, path.join(SILVER_DIR, `model-answers-development${suffix}`), { procedure: path.join(SILVER_DIR, 'procedure', `answers-development${suffix}${second}`) });
          assert.deepEqual([replay.errors, replay.result.procedureCheck], [[], { dropped: 0 }], `${m.name}${suffix}${second}`);
        }
      }
    }
  });
});

/**
 * Prompt v9 (issue 56; a candidate, not the default: docs/benchmarks/notes-quality.md, "prompt v9"): its recorded runs
 * on the development meetings (the committee's education sessions, the silver development 30) and the held-out ones
 * (the real held-out twenty, the AMI non-scenario meetings) replay, each trial adjudication of their finds is of
 * today's candidates (on top of the set's stored rounds), and the held-out lists are the ones judged for repeats. No
 * floor: the measured figures are the docs'; this keeps them reproducible.
 */
describe('Prompt v9, a candidate: its recorded runs replay, and its trial adjudications and repeat judgings are current', function () {
  this.timeout(240_000);
  const sets: { set: AdjudicatedSet | 'silver-dev'; root: string; meetings: () => Meeting[] }[] = [
    { set: 'committee', root: answersRoot('committee'), meetings: () => ADJUDICATED_SETS.committee.meetings().filter((m) => m.name.startsWith('education_')) },
    { set: 'silver-dev', root: SILVER_DIR, meetings: () => loadSilver().filter((m) => fs.existsSync(path.join(SILVER_DIR, 'model-answers-development-v9', m.name))) },
    { set: 'real', root: answersRoot('real'), meetings: () => ADJUDICATED_SETS.real.meetings().filter((m) => (REAL_HELD_OUT as readonly string[]).includes(m.name)) },
    { set: 'ami-natural', root: answersRoot('ami-natural'), meetings: () => ADJUDICATED_SETS['ami-natural'].meetings() },
  ];
  for (const { set, root, meetings } of sets) {
    it(`${set}: both runs replay${set === 'silver-dev' ? '' : ', and the trial round judged today\'s candidates'}${set === 'real' || set === 'ami-natural' ? ', and each list is the one judged' : ''}`, async () => {
      const runs = runsIn(root, set === 'silver-dev' ? '-development-v9' : '-v9');
      const ms = meetings();
      assert.ok(ms.length >= 20, `${set}: ${ms.length} meetings`);
      for (const m of ms) {
        for (const [run, dir] of runs) {
          const replay = await replayRecorded(m, dir);
          assert.deepEqual(replay.errors, [], `${m.name} v9 run ${run}: the recorded answers do not replay`);
          if (set !== 'real' && set !== 'ami-natural') continue;
          const judged = readRepeats(path.join(root, 'duplicates', path.basename(dir)), m.name, finalLists(replay));
          assert.ok(typeof judged !== 'string', `${set} v9 ${run} ${m.name}: ${judged}`);
        }
        if (set === 'silver-dev') continue;
        const trialDir = path.join(ADJUDICATED_SETS[set].dir, 'trial-v9');
        const trial = readAdjudication(m.name, trialDir);
        assert.deepEqual(trial.candidates, candidatesOf(pooledThrough(m, set, trialRoundOver(trialDir, set)), await recordedRunFinds(m, set, runs)), `${m.name}: v9's trial candidates changed`);
      }
    });
  }
});
