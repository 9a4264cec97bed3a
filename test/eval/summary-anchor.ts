/**
 * The human anchor of the summary figures (issue 56): how much of QMSum's summary of a meeting another person's summary
 * of the same meeting states. The AMI and ICSI corpora each wrote their own summary of the meetings QMSum took (an
 * annotator's abstract and decisions, scripts/corpus-abstract-fixture.js --anchor); each is judged against the same
 * facts, with the same judging prompt (summary-eval.ts's judgePrompt, whose judge is told it reads an automatic
 * note-taker's summary, as for Earshot's), as Earshot's settled summary is. So Earshot's coverage reads beside what a
 * second person reaches on the same meetings, facts and judges.
 *
 *   node out/test/eval/summary-anchor.js [--set real | silver-held-out] --prompts DIR
 *       writes DIR/<meeting>.anchor.judge.prompt.txt and its sha256 for each meeting (real: the held-out 20).
 *   node out/test/eval/summary-anchor.js [--set …] --answers DIR[,DIR]
 *       reads each `<meeting>.anchor.judge.answer.txt` beside its prompt's sha256 (a prompt that changed is refused,
 *       never scored) and reports the coverage per judging and pooled, with Cohen's kappa between two.
 *   … --settles ANSWERS_DIR --extraction-answers DIR
 *       also Earshot's settles of the same meetings (settle v9, recorded answers and their filed judgements, both
 *       judgings) in full and cut to the corpus summary's length: their first points up to as many characters, a fact
 *       counted covered there when the points its judge relied on lie within them (all of them; any of them beside it).
 *       The settle does not order its points by weight, so the cut is a lower bound of what a summary written to that
 *       length would keep.
 * Recorded: <set's summaries>/anchor/judge-1, judge-2 (fresh instances of Claude, each answering one prompt alone).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REAL_HELD_OUT } from './adjudication';
import { recordedHow, replayingChat } from './model-notes-eval';
import { flagValue, loadSilver, REAL_MEETINGS_DIR, SILVER_DIR, silverHeldOut } from './notes-eval';
import { coveredKappa, judgePrompt, JudgeMaterial, materialKey, outputsOf, parseJudgeAnswer, readJudgements, runSummary, sha256, SUMMARY_SETS, Verdict } from './summary-eval';

/** A set's meetings, their corpus summaries, the recorded judgings, and the summary set whose filed facts they are judged against. */
export interface AnchorSet { meetings: () => string[]; corpus: string; recorded: string; summarySet: keyof typeof SUMMARY_SETS }

export const ANCHOR_SETS: Record<'real' | 'silver-held-out', AnchorSet> = {
  real: {
    meetings: () => [...REAL_HELD_OUT],
    corpus: path.join(REAL_MEETINGS_DIR, 'summaries', 'corpus-abstracts.json'),
    recorded: path.join(REAL_MEETINGS_DIR, 'summaries', 'anchor'),
    summarySet: 'real',
  },
  'silver-held-out': {
    meetings: () => silverHeldOut(loadSilver()).map((m) => m.name),
    corpus: path.join(SILVER_DIR, 'summaries', 'corpus-abstracts.json'),
    recorded: path.join(SILVER_DIR, 'summaries', 'anchor'),
    summarySet: 'silver-held-out',
  },
};

interface CorpusSummary { id: string; corpus: string; points: string[] }

function corpusSummaries(set: AnchorSet): Map<string, CorpusSummary> {
  return new Map((JSON.parse(fs.readFileSync(set.corpus, 'utf8')) as { meetings: CorpusSummary[] }).meetings.map((m) => [m.id, m]));
}

/** Each meeting's judging prompt: QMSum's facts (as filed for Earshot's summaries) against the corpus's summary. */
export function anchorPrompts(set: AnchorSet): { meeting: string; prompt: string; facts: number; points: number }[] {
  const corpus = corpusSummaries(set);
  return set.meetings().map((meeting) => {
    const summary = corpus.get(meeting);
    if (!summary) throw new Error(`${meeting}: no corpus summary in ${set.corpus}`);
    const filed = SUMMARY_SETS[set.summarySet].judgements;
    const judged = readJudgements(meeting, filed);
    if (!judged) throw new Error(`${meeting}: QMSum's facts are not filed in ${filed}`);
    // No decisions list: the corpus's own decisions are points of its summary; the prompt's second task finds nothing.
    const material: JudgeMaterial = { summary: summary.points, decisions: [] };
    return { meeting, prompt: judgePrompt(judged.facts, material), facts: judged.facts.length, points: summary.points.length };
  });
}

export interface AnchorJudging { facts: number; covered: number; contradicted: number; perMeeting: Map<string, Verdict[]> }

/** One judging's answers in `dir`, each checked against the prompt it answers. */
export function readAnchorJudging(set: AnchorSet, dir: string): AnchorJudging {
  const out: AnchorJudging = { facts: 0, covered: 0, contradicted: 0, perMeeting: new Map() };
  for (const p of anchorPrompts(set)) {
    const base = path.join(dir, `${p.meeting}.anchor.judge`);
    const recorded = fs.readFileSync(`${base}.prompt.sha256`, 'utf8').trim();
    if (recorded !== sha256(p.prompt)) throw new Error(`${p.meeting}: the answer in ${dir} is to another prompt (its sha256 differs): refused`);
    const { verdicts } = parseJudgeAnswer(fs.readFileSync(`${base}.answer.txt`, 'utf8'), p.facts, p.points);
    out.perMeeting.set(p.meeting, verdicts.map((v) => v.verdict));
    out.facts += verdicts.length;
    out.covered += verdicts.filter((v) => v.verdict === 'covered').length;
    out.contradicted += verdicts.filter((v) => v.verdict === 'contradicted').length;
  }
  return out;
}

/** Cohen's kappa on "covered" between two judgings of the same facts. */
export function kappaCovered(a: AnchorJudging, b: AnchorJudging): number {
  return coveredKappa([...a.perMeeting].flatMap(([meeting, first]) => first.map((v, k) => [v, b.perMeeting.get(meeting)?.[k]] as const)));
}

/** How many of `points`, from the first, fit in `chars` characters (at least one). */
export function pointsWithin(points: readonly string[], chars: number): number {
  let k = 0, used = 0;
  for (const p of points) {
    if (k > 0 && used + p.length > chars) break;
    used += p.length + 1;
    k++;
  }
  return k;
}

export interface SettleAtLength { facts: number; covered: number; withinAll: number; withinAny: number; pointsKept: number; points: number }

/**
 * Earshot's settles of the set's meetings (settle v9, replayed from `answers` over the lists of `extraction`) as one
 * judging (`judgements`: the set's first or second) judged them: in full, and cut to each corpus summary's length.
 */
export async function settlesAtCorpusLength(set: AnchorSet, answers: string, extraction: string, judgements: string): Promise<SettleAtLength> {
  const corpus = corpusSummaries(set);
  const wanted = new Set(set.meetings());
  const out: SettleAtLength = { facts: 0, covered: 0, withinAll: 0, withinAny: 0, pointsKept: 0, points: 0 };
  for (const meeting of SUMMARY_SETS[set.summarySet].meetings().filter((m) => wanted.has(m.name))) {
    const run = await runSummary(meeting, replayingChat(path.join(extraction, meeting.name)), path.join(answers, meeting.name), false, { ...recordedHow(extraction), settleVersion: 9 });
    const settled = outputsOf(run)[0].material;
    const judged = readJudgements(meeting.name, judgements)?.judgements[materialKey(settled)];
    if (!judged) throw new Error(`${meeting.name}: its settle is not judged in ${judgements}`);
    const kept = pointsWithin(settled.summary, corpus.get(meeting.name)!.points.join(' ').length);
    out.pointsKept += kept;
    out.points += settled.summary.length;
    for (const v of judged.verdicts) {
      out.facts++;
      if (v.verdict !== 'covered') continue;
      out.covered++;
      const relied = v.points ?? [];
      if (relied.length && relied.every((p) => p <= kept)) out.withinAll++;
      if (relied.some((p) => p <= kept)) out.withinAny++;
    }
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  const setName = (flagValue(argv, '--set') ?? 'real') as keyof typeof ANCHOR_SETS;
  const set = ANCHOR_SETS[setName];
  if (!set) throw new Error(`--set ${setName}: one of ${Object.keys(ANCHOR_SETS).join(', ')}`);
  const promptsDir = flagValue(argv, '--prompts');
  if (promptsDir) {
    fs.mkdirSync(promptsDir, { recursive: true });
    for (const p of anchorPrompts(set)) {
      fs.writeFileSync(path.join(promptsDir, `${p.meeting}.anchor.judge.prompt.txt`), `${p.prompt}\n`);
      fs.writeFileSync(path.join(promptsDir, `${p.meeting}.anchor.judge.prompt.sha256`), `${sha256(p.prompt)}\n`);
    }
    console.log(`${set.meetings().length} judging prompts written under ${promptsDir}: answer each in <same name without .prompt>.answer.txt`);
    return 0;
  }
  const dirs = (flagValue(argv, '--answers') ?? ['judge-1', 'judge-2'].map((j) => path.join(set.recorded, j)).join(',')).split(',');
  const judgings = dirs.map((d) => readAnchorJudging(set, d));
  console.log(`The human anchor on ${setName} (${set.meetings().length} meetings): the AMI and ICSI corpora's own summaries judged against QMSum's facts`);
  judgings.forEach((j, k) => console.log(`  judging ${k + 1}: coverage ${(j.covered / j.facts).toFixed(3)} (${j.covered}/${j.facts} facts), contradicted ${j.contradicted}`));
  if (judgings.length === 2) {
    const [a, b] = judgings;
    console.log(`  both judgings pooled: coverage ${((a.covered + b.covered) / (a.facts + b.facts)).toFixed(3)}; Cohen's kappa on "covered" ${kappaCovered(a, b).toFixed(2)}`);
  }
  const settles = flagValue(argv, '--settles');
  if (settles) {
    const extraction = flagValue(argv, '--extraction-answers');
    if (!extraction) throw new Error('--settles needs --extraction-answers DIR (the lists the settles read)');
    const summarySet = SUMMARY_SETS[set.summarySet];
    console.log(`Earshot's settles (${settles}) on the same meetings and facts, in full and cut to the corpus summary's length:`);
    for (const [k, judgements] of [summarySet.judgements, summarySet.check].entries()) {
      const r = await settlesAtCorpusLength(set, settles, extraction, judgements);
      const share = (n: number) => (n / r.facts).toFixed(3);
      console.log(`  judging ${k + 1}: in full ${share(r.covered)} (${r.points} points); cut to the corpus's length (${r.pointsKept} points) ${share(r.withinAll)}, ${share(r.withinAny)} counting a fact any of whose relied points is kept`);
    }
  }
  return 0;
}

if (require.main === module) main(process.argv.slice(2)).then((code) => (process.exitCode = code), (e: Error) => { console.error(e.message); process.exitCode = 1; });
