/**
 * Regression floors on the summary's quality (issue 40), the same measurement as `npm run eval:summary`: every real
 * meeting's summary replayed from the recorded answers (rolling revisions, then the settle at stop) and scored with
 * the recorded judgements. Measured 2026-11-26 with prompt v5 (docs/benchmarks/summary.md, "The summary against
 * QMSum's human summaries"): settled coverage 0.801 of 336 facts, 1 point contradicting a decision's standing (the
 * last rolling summary: 0.821, 11), no point cut (v4: 0.708, 1); with the extraction's prompt v5 (new final lists, settles answered
 * and judged again): settled 0.833, 1 (the same rolling summaries judged again: 0.866, 18). The settle growing to 14
 * points (all answers and judgements made again): settled 0.842, 1 (last rolling 0.839, 17). Prompt v6, the first point
 * an overview of the meeting (all answers and judgements made again): settled 0.860, 0 (last rolling 0.881, 24).
 * The extraction's prompt v7 (issue 56: each part read with what the parts before it noted; new final lists, the settles
 * answered and judged again, 2026-11-27): settled 0.851, 1 (second judging 0.842, 1; kappa 0.86; last rolling 0.842, 20).
 * A decision not to do something settled as "decided" (no more "decided against: Drop X"; settles answered and judged
 * again): settled 0.851, 1 (second 0.857, 1; kappa 0.88; last rolling 0.845, 28).
 * A change to the summary prompt or the extraction's answers changes the prompts: this then fails saying the answers
 * must be recorded again (summary-eval.ts --record), and the judgements made again.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MODEL_ANSWERS_DIR, recordedHow, replayingChat } from '../eval/model-notes-eval';
import { loadMeetings, Meeting, REAL_MEETINGS_DIR } from '../eval/notes-eval';
import { REAL_HELD_OUT } from '../eval/adjudication';
import { ANCHOR_SETS, kappaCovered, pointsWithin, readAnchorJudging, settlesAtCorpusLength } from '../eval/summary-anchor';
import { CHECK_JUDGEMENTS_DIR, checkFoldersBeside, checksFrom, extractionFolderOf, judgingAgreement, loadReferences, readReach, runSummary, scoreRuns, structureOf, SUMMARY_ANSWERS_DIR, SUMMARY_SETS, SummaryRun, Verdict } from '../eval/summary-eval';

describe('Summary quality floors: the real set, recorded summary answers and judgements', function () {
  this.timeout(300_000);
  it('covers the reference facts, keeps the standings of the decisions and never cuts a point', async () => {
    const runs: SummaryRun[] = [];
    for (const m of loadMeetings(REAL_MEETINGS_DIR)) {
      runs.push(await runSummary(m, replayingChat(path.join(MODEL_ANSWERS_DIR, m.name)), path.join(SUMMARY_ANSWERS_DIR, m.name), false, recordedHow(MODEL_ANSWERS_DIR)));
    }
    const structure = structureOf(runs);
    assert.equal(structure.cut, 0, 'no point is cut');
    const { settled, rolling, unjudged } = scoreRuns(runs);
    assert.deepEqual(unjudged, [], 'every summary replays to what was judged');
    assert.equal(settled.meetings, 32);
    assert.ok(settled.covered / settled.facts >= 0.82, `settled coverage ${(settled.covered / settled.facts).toFixed(3)} fell under 0.82`);
    assert.ok(settled.standing <= 1, `${settled.standing} settled points contradict a decision's standing (floor: at most 1)`);
    assert.ok(settled.standing < rolling.standing, 'the settle leaves fewer standing contradictions than the last rolling summary');
    // The second judging of the same outputs (2026-11-27): settled 0.869, 0 standing contradictions (held out 0.852);
    // the same verdict on 636 of 672 facts, kappa 0.80 on "covered".
    const second = scoreRuns(runs, CHECK_JUDGEMENTS_DIR);
    assert.deepEqual(second.unjudged, [], 'the second judging covers every summary');
    assert.ok(second.settled.covered / second.settled.facts >= 0.83, `second judging: settled coverage ${(second.settled.covered / second.settled.facts).toFixed(3)} fell under 0.83`);
    assert.ok(second.settled.standing <= 1, `second judging: ${second.settled.standing} standing contradictions`);
    const agreement = judgingAgreement(runs);
    assert.equal(agreement.outputs, 64);
    assert.ok(agreement.kappa >= 0.75, `the two judgings agree less (kappa ${agreement.kappa.toFixed(2)})`);
  });
});

/**
 * The same on the silver set's held-out part (issue 56): 45 meetings no prompt, rule or setting was chosen on, their
 * summaries recorded and the settled ones judged twice (test/fixtures/real-meetings/silver/summaries;
 * docs/benchmarks/notes-quality.md, issue 56). Only the settled summary is judged there. Measured 2026-11-27 (prompt v7's run A): settled coverage 0.812,
 * 1 standing contradiction (second judging 0.822, 3; kappa 0.89); run B 0.802 and 0.810; prompt v6's runs 0.826 and 0.806.
 * With a decision not to do something settled as "decided": run A 0.808, 1 (second 0.814, 1); run B 0.820, 3 (0.800, 2).
 */
describe("the silver set's parts for the summary", () => {
  it('the development part is the 90 meetings the held-out 45 leave: none in both, every one with a human summary', () => {
    const dev = SUMMARY_SETS['silver-development'].meetings().map((m) => m.name);
    const heldOut = new Set(SUMMARY_SETS['silver-held-out'].meetings().map((m) => m.name));
    assert.equal(dev.length, 90);
    assert.equal(heldOut.size, 45);
    assert.deepEqual(dev.filter((m) => heldOut.has(m)), []);
    const references = loadReferences(SUMMARY_SETS['silver-development'].references);
    assert.deepEqual(dev.filter((m) => !references.has(m)), []);
    assert.equal(SUMMARY_SETS['silver-development'].extraction, 'none', 'no extraction answers are recorded there: its settles read the rules\' lists');
  });
});

/** The silver development part's 30 meetings its summaries were recorded on: every third of its 90, in name order. */
const developmentThirty = () => SUMMARY_SETS['silver-development'].meetings().filter((_m, i) => i % 3 === 0);

/**
 * The silver set's development part (issue 56): v7's rolling summaries recorded on every third of its 90 meetings (30),
 * runs A and B, each last rolling summary judged twice (docs/benchmarks/notes-quality.md, "the rolling summary's prompt
 * v10"): 0.858 / 0.866 (run A), 0.861 / 0.861 (run B) of 352 facts. What a next rolling prompt is chosen against.
 */
describe("Summary quality floors: the silver set's development part, v7's recorded rolling summaries", function () {
  this.timeout(300_000);
  it('30 meetings, both runs replay to what was judged, and their last rolling summaries cover the facts, in both judgings', async () => {
    const set = SUMMARY_SETS['silver-development'];
    const meetings = developmentThirty();
    assert.equal(meetings.length, 30);
    for (const suffix of ['', '-b']) {
      const runs: SummaryRun[] = [];
      for (const m of meetings) runs.push(await runSummary(m, null, path.join(`${set.answers}${suffix}`, m.name), false, { settleVersion: 9 }));
      assert.equal(structureOf(runs).cut, 0, 'no point is cut');
      for (const dir of [set.judgements, set.check]) {
        const { rolling } = scoreRuns(runs, dir);
        assert.equal(rolling.meetings, 30, `run ${suffix || 'A'}: every last rolling summary replays to what was judged (${dir})`);
        assert.ok(rolling.covered / rolling.facts >= 0.84, `run ${suffix || 'A'}: rolling coverage ${(rolling.covered / rolling.facts).toFixed(3)} fell under 0.84 (${dir})`);
      }
    }
  });
});

/**
 * The same 30 meetings settled by v9's settle over no final lists (issue 56's rolling prompt experiments v11 and v12
 * measured against these, experiments/v11-dev/README.md): settled coverage 0.869–0.895 in four judgings (two
 * sessions). What the next rolling or settle prompt is compared with on what the summary alone keeps.
 */
describe("Summary quality floors: the silver development 30, v7's revisions settled over no final lists", function () {
  this.timeout(300_000);
  it('both runs replay to what was judged, and their settled summaries cover the facts, in all four judgings', async () => {
    const set = SUMMARY_SETS['silver-development'];
    const experiment = path.join(path.dirname(set.answers), 'experiments', 'v11-dev');
    const meetings = developmentThirty();
    for (const run of ['answers-base', 'answers-base-b']) {
      const runs: SummaryRun[] = [];
      for (const m of meetings) runs.push(await runSummary(m, null, path.join(experiment, run, m.name), false, { settleVersion: 9, noLists: true }));
      for (const judging of ['judgements', 'judgements-check', 'judgements-v12', 'judgements-v12-check']) {
        const { settled } = scoreRuns(runs, path.join(experiment, judging));
        assert.equal(settled.meetings, 30, `${run}: every settled summary replays to what was judged (${judging})`);
        assert.ok(settled.covered / settled.facts >= 0.85, `${run}: settled coverage ${(settled.covered / settled.facts).toFixed(3)} fell under 0.85 (${judging})`);
        assert.equal(settled.standing, 0, `${run}: no list, so no standing to contradict (${judging})`);
      }
    }
  });
});

/**
 * The same revisions settled where the settle ships, against prompt v8's final lists of the same 30 meetings (two
 * extraction runs recorded for it, experiments/settle-dev/README.md): 0.884 / 0.892 (run A) and 0.878 / 0.881 (run B).
 * ES2016a's parts 3 and 4 were answered again in both runs on 2026-11-29 (the merge had folded two givens with
 * different figures, carriedNotes.ts's sameIdentifiers, which changed the notes those parts' prompts carry), and its
 * settles asked and judged again: run B's new lists give a game-pad shape as decided, which its settled summary calls
 * set aside, so run B's second judging finds 2 standing contradictions (1 before). After the merge's second fix that
 * day (two entries of one answer are two; 11 and 10 meetings' later parts answered again, their settles asked and
 * judged again): run A 0.864 / 0.875, run B 0.884 / 0.869, no standing contradiction. After the third (a later part's
 * new words or standing for a rewritten rule item build on the rewrite; Bro025, ES2009a, Bed012 settled and judged
 * again): run A 0.858 / 0.872 (1 standing contradiction in the first judging), run B 0.869 / 0.864; the floor 0.85.
 */
describe("Summary quality floors: the silver development 30 settled over prompt v8's final lists", function () {
  this.timeout(300_000);
  it('both runs replay to what was judged, cover the facts in both judgings, and keep the standings', async () => {
    const set = SUMMARY_SETS['silver-development'];
    const silver = path.dirname(path.dirname(set.answers));
    const experiment = path.join(path.dirname(set.answers), 'experiments', 'settle-dev');
    const meetings = developmentThirty();
    for (const suffix of ['', '-b']) {
      const extraction = path.join(silver, `model-answers-development${suffix}`);
      const runs: SummaryRun[] = [];
      for (const m of meetings) {
        // Recorded before the owner check at stop: replayed without it, as they were measured.
        runs.push(await runSummary(m, replayingChat(path.join(extraction, m.name)), path.join(experiment, `answers-lists${suffix}`, m.name), false,
          { ...recordedHow(extraction), settleVersion: 9, checkOwners: false }));
      }
      for (const judging of ['judgements', 'judgements-check']) {
        const { settled } = scoreRuns(runs, path.join(experiment, judging));
        assert.equal(settled.meetings, 30, `run ${suffix || 'A'}: every settled summary replays to what was judged (${judging})`);
        assert.ok(settled.covered / settled.facts >= 0.85, `run ${suffix || 'A'}: settled coverage ${(settled.covered / settled.facts).toFixed(3)} fell under 0.85 (${judging})`);
        assert.ok(settled.standing <= 2, `run ${suffix || 'A'}: ${settled.standing} standing contradictions (${judging})`);
      }
    }
  });
});

const SILVER_FLOORS = { first: 0.79, second: 0.80, standing: 3 };
describe('Summary quality floors: the silver held-out part, recorded summary answers and judgements', function () {
  this.timeout(300_000);
  it('covers the reference facts and keeps the standings of the decisions, in both judgings', async () => {
    const set = SUMMARY_SETS['silver-held-out'];
    const runs: SummaryRun[] = [];
    for (const m of set.meetings()) {
      runs.push(await runSummary(m, replayingChat(path.join(set.extraction, m.name)), path.join(set.answers, m.name), false, recordedHow(set.extraction)));
    }
    assert.equal(structureOf(runs).cut, 0, 'no point is cut');
    for (const [judging, dir, floor] of [['first', set.judgements, SILVER_FLOORS.first], ['second', set.check, SILVER_FLOORS.second]] as const) {
      const { settled } = scoreRuns(runs, dir);
      assert.equal(settled.meetings, 45, `${judging} judging: every settled summary replays to what was judged`);
      assert.ok(settled.covered / settled.facts >= floor, `${judging} judging: settled coverage ${(settled.covered / settled.facts).toFixed(3)} fell under ${floor}`);
      assert.ok(settled.standing <= SILVER_FLOORS.standing, `${judging} judging: ${settled.standing} settled points contradict a decision's standing`);
    }
  });
});

/**
 * Settles recorded against prompt v8's final lists (runs A and B: model-answers-v8, -v8-b) on the held-out meetings,
 * judged twice, replayed and scored as `summary-eval.js` does: the settled coverage of each run in each judging stays
 * at or over its floor, with at most `standing` points contradicting a decision's standing. The rolling revisions are
 * v7's recorded ones in every folder; only the settle differs.
 */
type SettlePart = 'real held-out twenty' | 'silver held-out part' | 'committee hearings' | 'meetings the corpora summarised' | 'All Core Devs calls' | 'consensus-layer calls'
  | 'execution-layer calls el2';

/** Where a part's settles, their judgings and the extraction answers of each run (suffix '' or '-b') lie. */
function settleSource(part: SettlePart): { meetings: Meeting[]; root: string; judgings: readonly (readonly [string, string | undefined])[]; extractions: (suffix: string) => string[] } {
  if (part === 'real held-out twenty') {
    const root = path.dirname(MODEL_ANSWERS_DIR);
    return {
      meetings: loadMeetings(REAL_MEETINGS_DIR).filter((m) => (REAL_HELD_OUT as readonly string[]).includes(m.name)), root,
      judgings: [['first', undefined], ['second', CHECK_JUDGEMENTS_DIR]], extractions: (suffix) => [path.join(root, `model-answers-v8${suffix}`)],
    };
  }
  const set = SUMMARY_SETS[part === 'committee hearings' ? 'committee' : part === 'silver held-out part' ? 'silver-held-out' : part === 'All Core Devs calls' ? 'core-devs'
    : part === 'consensus-layer calls' ? 'core-devs-cl' : part === 'execution-layer calls el2' ? 'core-devs-el2' : 'abstracts'];
  const judgings = [['first', set.judgements], ['second', set.check]] as const;
  // The abstracts set's extraction answers lie in two sets' folders (summary-eval.ts's extractionFolderOf).
  if (part === 'meetings the corpora summarised') {
    return { meetings: set.meetings(), root: path.dirname(path.dirname(set.answers)), judgings, extractions: (suffix) => set.extraction.split(',').map((d) => `${d}${suffix}`) };
  }
  const root = path.dirname(set.extraction);
  return { meetings: set.meetings(), root, judgings, extractions: (suffix) => [path.join(root, `model-answers-v8${suffix}`)] };
}

/**
 * `answers-v11-checks`: v11's settles as the daemon ships them, over the final lists the three checks at stop leave
 * (the restatement, decision and owner checks' recorded answers beside each extraction folder: restatements/answers-v8,
 * procedure-v8, owners-v8); the settles those lists changed are answered in `answers-v11-checks`, laid over the
 * revisions, parts' notes and unchanged settles of `answers-v11`.
 * `answers-v11-standings`: those, and then the standing check of each settled summary (standingCheck.ts), its recorded
 * answers in `answers-v11-standings` laid over both.
 */
function settleFloors(part: SettlePart, folder: 'answers-v8' | 'answers-v9' | 'answers' | 'answers-v10' | 'answers-v11' | 'answers-v11-checks' | 'answers-v11-standings',
  floors: { A: number; B: number; standing: number; withParts?: { A: number; B: number } }, expectedMeetings?: number): void {
  describe(`Summary quality floors: ${folder}'s settles of the ${part}, recorded answers and judgements`, function () {
    this.timeout(300_000);
    it('covers the reference facts and keeps the standings of the decisions, both runs, in both judgings', async () => {
      const { meetings, root, judgings, extractions } = settleSource(part);
      if (expectedMeetings !== undefined) assert.equal(meetings.length, expectedMeetings, `the ${part}: ${meetings.map((m) => m.name).join(', ')}`);
      for (const [run, suffix] of [['A', ''], ['B', '-b']] as const) {
        const runs: SummaryRun[] = [];
        for (const m of meetings) {
          const extraction = extractionFolderOf(extractions(suffix), m.name);
          // v8's settles were recorded before the owner check at stop, and replay without it; v9's (the default) with it
          // where the extraction was answered with it (the meetings whose owners it changed settled and judged again).
          // v10's (summaryFromParts.ts) from the parts' notes, recorded without the rolling summary it does not read; v11's
          // from the rolling summary and the parts' notes alike.
          const standings = folder === 'answers-v11-standings';
          const shipped = folder === 'answers-v11-checks' || standings;
          const settleVersion = folder === 'answers-v10' ? 10 as const : folder === 'answers-v11' || shipped ? 11 as const : folder !== 'answers-v8' ? 9 as const : undefined;
          const how = { ...recordedHow(extraction), ...(settleVersion ? { settleVersion } : { checkOwners: false }), ...(standings ? { checkStandings: true } : {}) };
          const beneath = standings ? ['answers-v11-checks', 'answers-v11'] : shipped ? ['answers-v11'] : [];
          const answers = [folder, ...beneath].map((f) => path.join(root, 'summaries', `${f}${suffix}`, m.name));
          const checks = shipped ? checksFrom(m.name, checkFoldersBeside(extractions(suffix))) : {};
          runs.push(await runSummary(m, replayingChat(path.join(extraction, m.name)), answers, false, how, checks));
        }
        assert.equal(structureOf(runs).cut, 0, 'no point is cut');
        for (const [judging, dir] of judgings) {
          const { settled } = scoreRuns(runs, dir);
          assert.equal(settled.meetings, meetings.length, `run ${run}, ${judging} judging: every settled summary replays to what was judged`);
          const coverage = settled.covered / settled.facts;
          assert.ok(coverage >= floors[run], `run ${run}, ${judging} judging: settled coverage ${coverage.toFixed(3)} fell under ${floors[run]}`);
          assert.ok(settled.standing <= floors.standing, `run ${run}, ${judging} judging: ${settled.standing} settled points contradict a decision's standing`);
          // The summary with the notes on each part folded under it, as the notes file shows them (summary-eval.ts --with-parts).
          if (floors.withParts) {
            const { notes } = scoreRuns(runs, dir);
            assert.equal(notes.meetings, meetings.length, `run ${run}, ${judging} judging: every summary with its parts replays to what was judged`);
            assert.ok(notes.covered / notes.facts >= floors.withParts[run], `run ${run}, ${judging} judging: coverage with the parts ${(notes.covered / notes.facts).toFixed(3)} fell under ${floors.withParts[run]}`);
            assert.ok(notes.standing <= floors.standing, `run ${run}, ${judging} judging: ${notes.standing} summary points contradict a decision's standing`);
          }
        }
      }
    });
  });
}

/**
 * Prompt v8 (issue 56), the real held-out twenty. Measured 2026-11-28: run A 0.796 in both judgings, 0 and 0 standing
 * contradictions (kappa 0.89); run B 0.829 and 0.819, 0 and 1 (kappa 0.94); v7 on the same twenty 0.829 and 0.831.
 * The silver held-out 45 (four fresh judges): run A 0.828 and 0.838 (kappa 0.91), run B 0.816 and 0.796 (kappa 0.84),
 * no standing contradiction; v7 0.811 and 0.810 both judgings pooled. The floors sit a little under each run.
 */
settleFloors('real held-out twenty', 'answers-v8', { A: 0.77, B: 0.79, standing: 1 });
settleFloors('silver held-out part', 'answers-v8', { A: 0.81, B: 0.78, standing: 1 });

/**
 * Settle v9, the default (issue 56: the points the rolling summary dropped, and room by the meeting's length), answered
 * blind against the same lists by four fresh instances and judged twice by eight. Measured 2026-11-28: real held-out
 * run A 0.838 and 0.852 (kappa 0.89), run B 0.843 and 0.843, standing contradictions 0, 0, 0 and 2 (kappa 0.97);
 * silver run A 0.858 and 0.842 (kappa 0.90), run B 0.842 and 0.852 (kappa 0.91), none. The floors sit a little under.
 * Over the lists of the wide bound of the notes (2026-11-30; the changed meetings' settles asked and judged again): real
 * run A 0.833 and 0.856, run B 0.838 and 0.847 (both judgings pooled 0.845, 0.843); silver 0.860 and 0.846, 0.844 and
 * 0.850 (0.853, 0.847). With the owner check at stop (2026-11-30, the default: the five settles whose lists it changed,
 * real TS3012b and silver Bed013, Bmr009, Bro005 of run A and Bed013 of run B, asked again and judged twice by four fresh
 * instances): real run A 0.824 and 0.843 (0.833 pooled; TS3012b's new settle keeps 12 of 15 facts where the old one kept
 * 14), run B unchanged; silver 0.854 and 0.842, 0.840 and 0.846 (0.848, 0.843). A settle asked again is another sample.
 */
settleFloors('real held-out twenty', 'answers-v9', { A: 0.82, B: 0.82, standing: 2 });
settleFloors('silver held-out part', 'answers-v9', { A: 0.83, B: 0.83, standing: 1 });

/**
 * The committee hearings (issue 56; test/fixtures/real-meetings/committee): the rolling summary recorded twice, settled
 * by v9's settle against prompt v8's final lists of the same run, each settled summary judged twice. Measured
 * 2026-11-29 on all 30, run A 0.774 and 0.779 (kappa 0.92), run B 0.779 and 0.782 (kappa 0.82), no standing
 * contradiction; the covid sittings alone (held out) 0.782 and 0.792, the education sessions 0.775 and 0.776. Under the
 * issue's 0.85, as the independent check's 0.75 was: the floors keep what was reached.
 */
settleFloors('committee hearings', 'answers', { A: 0.76, B: 0.76, standing: 0 });

/**
 * The meetings the AMI and ICSI corpora summarised that nothing here had read (issue 56; test/fixtures/real-meetings/
 * abstracts/README.md): the reference is each corpus's own abstract and decisions, the defaults as they ship (the
 * rolling summary, v9's settle against prompt v8's lists of the same run), both runs judged twice. Measured 2026-11-30:
 * run A 0.797 in both judgings (kappa 0.91), run B 0.789 and 0.797 (kappa 0.84); the last rolling summaries 0.758 and
 * 0.711; no settled point contradicts the decisions list, but 4 and 8 / 7 of the corpora's facts are contradicted, most
 * of them standings the corpus and the adjudicated lists give otherwise (TS3012c's number of curves). With the wide
 * bound of the notes (TS3012c's later parts and IB4003's last part answered again, their settles asked and judged
 * again): run A 0.797 and 0.789 (kappa 0.95), run B 0.813 and 0.805 (kappa 0.91), no settled point contradicting the
 * lists. Under the issue's 0.85, as the independent check's 0.75 was: the floors keep what was reached.
 */
settleFloors('meetings the corpora summarised', 'answers', { A: 0.78, B: 0.79, standing: 0 }, 6);

/**
 * Eight of Ethereum's All Core Devs calls (issue 56; test/fixtures/real-meetings/core-devs/README.md): developer calls,
 * the reference each call's note-taker's summary table (395 facts, 32 to 66 a call), the defaults as they ship, both runs
 * judged twice. Measured once, 2026-11-30: run A 0.689 and 0.678 (kappa 0.91), run B 0.676 and 0.686 (kappa 0.95); the
 * last rolling summaries 0.592 and 0.610; no settled point contradicts the decisions list. Under the 0.85: the
 * references are write-ups of every topic, two to three times the facts of a QMSum summary, against a settled summary of
 * at most 20 points. The floors keep what was reached.
 */
settleFloors('All Core Devs calls', 'answers', { A: 0.67, B: 0.67, standing: 0 }, 8);

/**
 * Ethereum's consensus-layer calls (issue 56; test/fixtures/real-meetings/core-devs-cl/README.md), nothing had summarised
 * them: the rolling summary and v9's settle (the default) against prompt v8's lists of the same run, answered blind by
 * fresh instances, each settled summary judged twice. Measured once, 2026-11-30: run A 0.589 and 0.578 (kappa 0.91), run
 * B 0.578 and 0.592 (kappa 0.96); standing contradictions 1, 0, 0 and 0. The floors keep what was reached.
 */
settleFloors('consensus-layer calls', 'answers', { A: 0.56, B: 0.56, standing: 1 }, 8);

/**
 * The settle of v10 (issue 56; daemon/understanding/summaryFromParts.ts), a candidate measured and not adopted: the
 * summary at stop composed from notes on each part of the meeting and the final lists, instead of settled from the
 * rolling summary. The parts' notes and the settle answered blind by fresh instances, each settled summary judged
 * twice. Chosen on the All Core Devs calls (2026-11-30, the same final lists and budget as v9's): run A 0.722 and 0.724
 * (kappa 0.96; v9 0.689 and 0.678), run B 0.734 and 0.732 (kappa 0.94; v9 0.676 and 0.686), no standing contradiction.
 * Measured once on the consensus-layer calls, which nothing had summarised: run A 0.597 in both judgings (kappa 0.94),
 * run B 0.622 and 0.605 (kappa 0.93), no standing contradiction (their write-ups: 370 facts, 33 to 70 a call); v9 on the
 * same lists (above) 0.589 and 0.578, 0.578 and 0.592. On the real held-out twenty (QMSum's meetings; v10 chosen on
 * none of them): run A 0.815 and 0.819 (kappa 0.98; v9 0.824 and 0.843), run B 0.852 and 0.847 (kappa 0.91; v9 0.838 and
 * 0.847), standing contradictions 0, 0, 0 and 1. The floors sit a little under.
 */
settleFloors('All Core Devs calls', 'answers-v10', { A: 0.70, B: 0.71, standing: 0 }, 8);
settleFloors('consensus-layer calls', 'answers-v10', { A: 0.58, B: 0.59, standing: 0 }, 8);
settleFloors('real held-out twenty', 'answers-v10', { A: 0.80, B: 0.83, standing: 1 });

/**
 * Eight more execution-layer calls (issue 56; test/fixtures/real-meetings/core-devs-el2/README.md), nothing had read or
 * summarised them: v9's settle (the default) and v10's, each answered blind by fresh instances over prompt v8's lists of
 * the same run, each settled summary judged twice. Measured once, 2026-11-30 (312 facts): v9 run A 0.628 and 0.651
 * (kappa 0.92), run B 0.606 and 0.606 (kappa 0.92), no standing contradiction (last rolling 0.538 and 0.526); v10 run A
 * 0.606 and 0.622 (kappa 0.93), run B 0.596 and 0.651 (kappa 0.88), none. v10 gains nothing here (-2.5 and +1.7 points
 * pooled), as on the real held-out twenty. The floors keep what was reached.
 */
settleFloors('execution-layer calls el2', 'answers', { A: 0.62, B: 0.6, standing: 0 }, 8);
settleFloors('execution-layer calls el2', 'answers-v10', { A: 0.6, B: 0.59, standing: 0 }, 8);

/**
 * The settle of v11, the default since 2026-11-30 (issue 56; summaryFromParts.ts's settleMessagesV11): v9's settle of the
 * rolling summary with the notes taken on each part beside it. The same revisions, parts' notes (v10's, recorded) and
 * final lists as v9's and v10's settles; each settle answered blind by eight fresh instances, each settled summary judged
 * twice by eight fresh judges. Chosen on the All Core Devs calls, one wording, measured on the others at once: core-devs
 * run A 0.711 and 0.737 (kappa 0.90), run B 0.689 and 0.696 (0.92); consensus-layer calls 0.614 and 0.646 (0.91), 0.632
 * and 0.641 (0.94); el2 0.667 and 0.679 (0.92), 0.663 and 0.679 (0.91); the real held-out twenty 0.861 and 0.843, 0.875
 * and 0.875; standing contradictions 0 but for the real twenty's run A (1 and 1). Above v9's in all eight runs, both
 * judgings pooled. Then measured once on the silver held-out 45 (its parts' notes answered for it, 900 prompts, sixteen
 * fresh instances): run A 0.850 and 0.834 (kappa 0.84; v9 0.854 and 0.842), standing contradictions 2 and 1 (v9 none),
 * run B 0.848 and 0.836 (0.83; v9 0.840 and 0.846), none: no gain on the QMSum meetings the rolling summary already
 * covers. And on the six meetings the corpora summarised (their abstracts and decisions the reference; the parts' notes
 * answered for them, 108 prompts): run A 0.805 and 0.805 (kappa 0.94; v9 0.797 and 0.789), run B 0.805 and 0.789
 * (0.88; v9 0.813 and 0.805), no standing contradiction: level. And on QMSum's 30 committee hearings, long meetings of
 * another domain (their parts' notes answered for them, 1,296 prompts): run A 0.819 and 0.787 (v9 0.771 pooled), run B
 * 0.798 and 0.779 (v9 0.778), no standing contradiction. The floors sit a little under.
 */
settleFloors('All Core Devs calls', 'answers-v11', { A: 0.70, B: 0.68, standing: 0 }, 8);
settleFloors('consensus-layer calls', 'answers-v11', { A: 0.60, B: 0.62, standing: 0 }, 8);
settleFloors('execution-layer calls el2', 'answers-v11', { A: 0.65, B: 0.65, standing: 0 }, 8);
settleFloors('real held-out twenty', 'answers-v11', { A: 0.83, B: 0.86, standing: 1 });
settleFloors('silver held-out part', 'answers-v11', { A: 0.82, B: 0.82, standing: 2 });
settleFloors('meetings the corpora summarised', 'answers-v11', { A: 0.78, B: 0.77, standing: 0 }, 6);
settleFloors('committee hearings', 'answers-v11', { A: 0.77, B: 0.76, standing: 0 }, 30);

/**
 * The settle of v11 as it ships (2026-12-01): over the final lists the three checks at stop leave (the restatement check,
 * on by default since 2026-12-01, then the decision and owner checks), each check's recorded answers beside the run's
 * extraction folder. The 76 settles those lists changed (46 of run A's, 30 of run B's) answered blind by seven fresh
 * instances (runs A and B by different ones) and judged twice by eight more; every other settle is answers-v11's.
 * Measured, first and second judging: core-devs run A 0.699 and 0.681 (without the checks 0.711 and 0.737), run B 0.694
 * and 0.706; consensus-layer 0.611 and 0.632, 0.627 and 0.638, run A with 1 standing contradiction in both judgings (a
 * point calling a check decided "still to be sanity-checked"); el2 0.673 and 0.667 (1 and 0), 0.660 and 0.673; the real
 * held-out twenty 0.870 and 0.856 (1 and 1), 0.884 and 0.866; silver held-out 45 0.858 and 0.846 (2 and 1), 0.854 and
 * 0.838; the corpora's six 0.766 and 0.797, 0.805 and 0.789; committee 0.816 and 0.795, 0.803 and 0.790. The floors sit
 * a little under.
 */
settleFloors('All Core Devs calls', 'answers-v11-checks', { A: 0.67, B: 0.68, standing: 0 }, 8);
settleFloors('consensus-layer calls', 'answers-v11-checks', { A: 0.60, B: 0.62, standing: 1 }, 8);
settleFloors('execution-layer calls el2', 'answers-v11-checks', { A: 0.65, B: 0.65, standing: 1 }, 8);
settleFloors('real held-out twenty', 'answers-v11-checks', { A: 0.84, B: 0.86, standing: 1 });
settleFloors('silver held-out part', 'answers-v11-checks', { A: 0.83, B: 0.83, standing: 2 });
settleFloors('meetings the corpora summarised', 'answers-v11-checks', { A: 0.75, B: 0.78, standing: 0 }, 6);
settleFloors('committee hearings', 'answers-v11-checks', { A: 0.78, B: 0.78, standing: 0 }, 30);

/**
 * Those settles as the daemon ships them since 2026-12-01: each settled summary then read by the standing check
 * (standingCheck.ts), its 196 prompts (every settled summary with a final decision) answered blind by eight fresh
 * instances (runs A and B by different ones); the 15 summaries it changed judged twice by four more. Measured, first
 * and second judging: standing contradictions 0 where the checks' settles had silver run A's 2 and 1 and the
 * consensus-layer calls' run A 1 and 1; left: the real twenty's run A 1 and 1 (TS3009c, whose lists hold the logo's
 * corner both decided and left open) and el2's run A 1 and 0. Coverage: real 0.870 and 0.852, 0.884 and 0.866; silver
 * 0.864 and 0.850, 0.852 and 0.834; consensus-layer 0.608 and 0.622, 0.616 and 0.624; the rest as above (nothing changed).
 */
/*
 * `withParts`: the same settled summaries with the notes on each part folded under them, as the notes file shows them
 * since 2026-12-02 (summary-eval.ts --with-parts), judged twice by sixteen fresh instances (120 prompts each judging).
 * Coverage, first and second judging: committee A 0.886 and 0.891, B 0.920 and 0.902; the corpora's abstracts A 0.930
 * and 0.922, B 0.906 and 0.891; All Core Devs A 0.838 and 0.841, B 0.818 and 0.818; consensus-layer A 0.743 and 0.732,
 * B 0.754 and 0.746; el2 A 0.792 and 0.776, B 0.766 and 0.772. No summary point contradicts a decision's standing.
 */
settleFloors('All Core Devs calls', 'answers-v11-standings', { A: 0.67, B: 0.68, standing: 0, withParts: { A: 0.82, B: 0.80 } }, 8);
settleFloors('consensus-layer calls', 'answers-v11-standings', { A: 0.60, B: 0.60, standing: 0, withParts: { A: 0.72, B: 0.73 } }, 8);
settleFloors('execution-layer calls el2', 'answers-v11-standings', { A: 0.65, B: 0.65, standing: 1, withParts: { A: 0.76, B: 0.75 } }, 8);
settleFloors('real held-out twenty', 'answers-v11-standings', { A: 0.84, B: 0.86, standing: 1 });
settleFloors('silver held-out part', 'answers-v11-standings', { A: 0.84, B: 0.82, standing: 0 });
settleFloors('meetings the corpora summarised', 'answers-v11-standings', { A: 0.75, B: 0.78, standing: 0, withParts: { A: 0.90, B: 0.87 } }, 6);
settleFloors('committee hearings', 'answers-v11-standings', { A: 0.78, B: 0.78, standing: 0, withParts: { A: 0.87, B: 0.89 } }, 30);

/**
 * Which of those calls' reference facts the calls' own words state (summary-eval.ts's --reach; each call and its facts
 * read by a fresh instance, 2026-11-30): 249 of 312; the rest are the note-taker's (what an EIP does, links, the chat).
 * v9's settles cover, of the stated facts alone, run A 184 and 188 of 249 (first and second judging), run B 178 and 178.
 */
describe('Summary quality: the facts the execution-layer calls state, and the settles\' coverage of them', function () {
  this.timeout(120_000);
  it('every answer is to the prompt the transcript and the facts filed give; the counts are the measured ones', async () => {
    const set = SUMMARY_SETS['core-devs-el2'];
    const meetings = set.meetings();
    const stated = readReach(path.join(path.dirname(set.answers), 'reach'), meetings, set.judgements);
    assert.deepEqual([[...stated.values()].flat().filter(Boolean).length, [...stated.values()].flat().length], [249, 312]);
    const measured = { A: [184, 188], B: [178, 178] };
    for (const [run, suffix] of [['A', ''], ['B', '-b']] as const) {
      const extraction = `${set.extraction}${suffix}`;
      const runs: SummaryRun[] = [];
      for (const m of meetings) {
        runs.push(await runSummary(m, replayingChat(path.join(extraction, m.name)), path.join(`${set.answers}${suffix}`, m.name), false, { ...recordedHow(extraction), settleVersion: 9 }));
      }
      const covered = [set.judgements, set.check].map((dir) => scoreRuns(runs, dir, stated).settled);
      assert.deepEqual(covered.map((c) => [c.covered, c.facts]), measured[run].map((n) => [n, 249]), `run ${run}`);
    }
  });
});

/**
 * The human anchor (summary-anchor.ts): the AMI and ICSI corpora's own summaries of the held-out meetings, judged twice
 * against QMSum's facts with the prompt Earshot's settles get (2026-11-30): real held-out 20 117 and 125 of 216 facts
 * (0.560 pooled), silver held-out 45 315 and 312 of 494 (0.635), where Earshot's settles cover 0.833–0.848 in full and,
 * cut to the corpus summaries' length, 0.27–0.41 (a lower bound: they run in the meeting's order). Every answer
 * is to the prompt the fixtures give today (a changed prompt is refused), and the counts are the measured ones.
 */
describe('Summary quality: the human anchor, a second person\'s summary judged against QMSum\'s facts', function () {
  this.timeout(60_000);
  const measured: Record<keyof typeof ANCHOR_SETS, { facts: number; covered: [number, number] }> = {
    real: { facts: 216, covered: [117, 125] },
    'silver-held-out': { facts: 494, covered: [315, 312] },
  };
  for (const name of Object.keys(measured) as (keyof typeof ANCHOR_SETS)[]) {
    it(`${name}: both judgings replay to the measured counts`, () => {
      const set = ANCHOR_SETS[name];
      const judgings = ['judge-1', 'judge-2'].map((j) => readAnchorJudging(set, path.join(set.recorded, j)));
      assert.deepEqual(judgings.map((j) => [j.covered, j.facts]), measured[name].covered.map((c) => [c, measured[name].facts]));
    });
  }

  it('Earshot\'s settles of the real held-out 20, run A, in full and cut to the corpus summaries\' length, both judgings', async () => {
    const set = ANCHOR_SETS.real;
    const settles = path.join(REAL_MEETINGS_DIR, 'summaries', 'answers-v9'), extraction = path.join(REAL_MEETINGS_DIR, 'model-answers-v8');
    const measured = [];
    for (const judgements of [SUMMARY_SETS.real.judgements, SUMMARY_SETS.real.check]) measured.push(await settlesAtCorpusLength(set, settles, extraction, judgements));
    assert.deepEqual(measured, [
      { facts: 216, covered: 178, withinAll: 60, withinAny: 82, pointsKept: 108, points: 314 },
      { facts: 216, covered: 182, withinAll: 59, withinAny: 85, pointsKept: 108, points: 314 },
    ]);
  });

  it('cuts a summary at the first point past a length, keeping at least one', () => {
    assert.equal(pointsWithin(['abcd', 'efgh', 'ijkl'], 9), 2, 'two points and the space between them fit in 9');
    assert.equal(pointsWithin(['abcd', 'efgh', 'ijkl'], 8), 1);
    assert.equal(pointsWithin(['a long first point'], 3), 1, 'the first point is kept whatever its length');
    assert.equal(pointsWithin([], 100), 0);
  });

  it('refuses an answer to another prompt, and counts kappa as Cohen\'s', () => {
    const set = ANCHOR_SETS.real;
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-anchor-'));
    try {
      fs.cpSync(path.join(set.recorded, 'judge-1'), copy, { recursive: true });
      const first = set.meetings()[0];
      fs.writeFileSync(path.join(copy, `${first}.anchor.judge.prompt.sha256`), `${'0'.repeat(64)}\n`);
      assert.throws(() => readAnchorJudging(set, copy), new RegExp(`${first}: the answer in .* is to another prompt`));
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
    // 10 facts: both covered 4, only A 1, only B 1, neither 4: observed 0.8, chance 0.5, kappa 0.6.
    const judging = (verdicts: string) => ({ facts: 10, covered: 0, contradicted: 0, perMeeting: new Map([['m', [...verdicts].map((v) => (v === 'c' ? 'covered' : 'not covered') as Verdict)]]) });
    assert.equal(kappaCovered(judging('ccccc-----'), judging('cccc-c----')).toFixed(6), '0.600000');
  });
});
