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
 * Recorded: <set's summaries>/anchor/judge-1, judge-2 (fresh instances of Claude, each answering one prompt alone).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { kappa, REAL_HELD_OUT } from './adjudication';
import { flagValue, loadSilver, REAL_MEETINGS_DIR, SILVER_DIR, silverHeldOut } from './notes-eval';
import { judgePrompt, JudgeMaterial, parseJudgeAnswer, readJudgements, sha256, Verdict } from './summary-eval';

export interface AnchorSet { meetings: () => string[]; corpus: string; judgements: string; recorded: string }

export const ANCHOR_SETS: Record<'real' | 'silver-held-out', AnchorSet> = {
  real: {
    meetings: () => [...REAL_HELD_OUT],
    corpus: path.join(REAL_MEETINGS_DIR, 'summaries', 'corpus-abstracts.json'),
    judgements: path.join(REAL_MEETINGS_DIR, 'summaries', 'judgements'),
    recorded: path.join(REAL_MEETINGS_DIR, 'summaries', 'anchor'),
  },
  'silver-held-out': {
    meetings: () => silverHeldOut(loadSilver()).map((m) => m.name),
    corpus: path.join(SILVER_DIR, 'summaries', 'corpus-abstracts.json'),
    judgements: path.join(SILVER_DIR, 'summaries', 'judgements'),
    recorded: path.join(SILVER_DIR, 'summaries', 'anchor'),
  },
};

interface CorpusSummary { id: string; corpus: string; points: string[] }

/** Each meeting's judging prompt: QMSum's facts (as filed for Earshot's summaries) against the corpus's summary. */
export function anchorPrompts(set: AnchorSet): { meeting: string; prompt: string; facts: number; points: number }[] {
  const corpus = new Map((JSON.parse(fs.readFileSync(set.corpus, 'utf8')) as { meetings: CorpusSummary[] }).meetings.map((m) => [m.id, m]));
  return set.meetings().map((meeting) => {
    const summary = corpus.get(meeting);
    if (!summary) throw new Error(`${meeting}: no corpus summary in ${set.corpus}`);
    const judged = readJudgements(meeting, set.judgements);
    if (!judged) throw new Error(`${meeting}: QMSum's facts are not filed in ${set.judgements}`);
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

/** Cohen's kappa on "covered" between two judgings of the same facts (adjudication.ts's kappa over their tally). */
export function kappaCovered(a: AnchorJudging, b: AnchorJudging): number {
  const tally = { both: 0, firstOnly: 0, checkOnly: 0, neither: 0 };
  for (const [meeting, first] of a.perMeeting) {
    const check = b.perMeeting.get(meeting) ?? [];
    first.forEach((v, k) => {
      const x = v === 'covered', y = check[k] === 'covered';
      tally[x ? (y ? 'both' : 'firstOnly') : (y ? 'checkOnly' : 'neither')]++;
    });
  }
  return kappa(tally);
}

function main(argv: string[]): number {
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
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
