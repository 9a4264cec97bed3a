/**
 * What the restatement check's folds keep (issue 56, 2026-12-01): every set of entries its prompt v1's recorded answers
 * fold, on the seven sets where it was asked first (the real set's held-out twenty, the silver held-out 45, the AMI
 * corpus's working meetings and the four sets of developer calls, both runs), shown to a judge who reads the entries
 * before the fold and the one entry the notes show after it, and nothing else: is each entry still told, with its
 * standing and details, and were they one thing said twice or things that belong apart? Each fold is judged twice, blind
 * to the set, the meeting and the other judge. The answer's sets are taken as the model gave them (restatements.ts now
 * refuses a set that joins decisions of different standings: these judgements are why).
 *   node out/test/eval/fold-judgements.js --prompts DIR             # writes DIR/Fnn.prompt.txt and .prompt.sha256
 *   node out/test/eval/fold-judgements.js                           # the recorded judgements (first/, second/)
 *   node out/test/eval/fold-judgements.js --answers DIR [--second DIR]
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { extractJsonObject } from '../../protocol/modelJson';
import { Chat } from '../../daemon/understanding/providers';
import { ADJUDICATED_SETS, AdjudicatedSet, REAL_HELD_OUT, runsIn } from './adjudication';
import { answersRestatementPrompt, recordedHow, replayingChat, runMeeting } from './model-notes-eval';
import { REAL_MEETINGS_DIR } from './notes-eval';

/** The recorded judgements: `first/` and `second/`, each `Fnn.answer.txt`, beside the prompts' `Fnn.prompt.sha256`. */
export const FOLD_JUDGEMENTS_DIR = path.join(REAL_MEETINGS_DIR, 'restatements', 'fold-judgements');

/** The sets whose folds were judged, in the order the prompts were numbered from, and the name each run went by. */
const FOLDED_SETS: [AdjudicatedSet, string][] = [['real', 'real'], ['silver-held-out', 'silver'], ['ami-natural', 'ami-natural'], ['core-devs', 'core-devs'],
  ['core-devs-cl', 'core-devs-cl'], ['core-devs-el2', 'core-devs-el2'], ['core-devs-el3', 'core-devs-el3']];

interface ShownEntry { id: string; standing?: string; text: string }
/** One set an answer folded: the entry kept, the new words it was given (or none), the entries folded into it. */
export interface Fold { set: string; meeting: string; keep: ShownEntry; newText: string | null; folded: ShownEntry[] }

/** The folds of a set's recorded run: each meeting's check replayed, its prompt's entries and its answer's sets as given. */
async function foldsOf(set: AdjudicatedSet, name: string, run: 'A' | 'B'): Promise<Fold[]> {
  const root = path.dirname(ADJUDICATED_SETS[set].runs[0][1]);
  const dir = runsIn(root, '-v8').find(([r]) => r === run)![1];
  const answers = path.join(root, 'restatements', `answers-v8${run === 'A' ? '' : '-b'}`);
  if (answersRestatementPrompt(answers) !== 1) throw new Error(`${answers}: not the answers to the check's prompt v1`);
  const meetings = ADJUDICATED_SETS[set].meetings().filter((m) => set !== 'real' || (REAL_HELD_OUT as readonly string[]).includes(m.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const folds: Fold[] = [];
  for (const m of meetings) {
    let asked: { user: string; answer: string } | undefined;
    const replay = replayingChat(path.join(answers, m.name));
    const restatements: Chat = async (system, user, signal, constraint) => {
      const answer = await replay(system, user, signal, constraint);
      asked = { user, answer: answer.text };
      return answer;
    };
    const run_ = await runMeeting(m, replayingChat(path.join(dir, m.name)), undefined, { ...recordedHow(dir), restatements, restatementPrompt: 1, checkOwners: false });
    if (run_.errors.length) throw new Error(`${set} ${m.name} run ${run}: ${run_.errors.join('; ')}`);
    if (!asked) continue;
    const entries = new Map<string, ShownEntry>();
    for (const line of asked.user.split('\n')) {
      if (!line.startsWith('{"id"')) continue;
      const e = JSON.parse(line) as ShownEntry;
      entries.set(e.id, { id: e.id, ...(e.standing ? { standing: e.standing } : {}), text: e.text });
    }
    const value = extractJsonObject(asked.answer) as { same?: { keep?: string; fold?: string[]; text?: string }[] } | undefined;
    for (const g of value?.same ?? []) {
      const keep = entries.get(String(g.keep));
      const folded = (g.fold ?? []).map((id) => entries.get(id)).filter((e): e is ShownEntry => !!e);
      if (keep && folded.length) folds.push({ set: run === 'A' ? name : `${name}-b`, meeting: m.name, keep, newText: g.text || null, folded });
    }
  }
  return folds;
}

/** Every fold, numbered F01… in a fixed shuffled order (so a judge's prompts do not run set by set). */
export async function numberedFolds(): Promise<Map<string, Fold>> {
  const all: Fold[] = [];
  for (const [set, name] of FOLDED_SETS) for (const run of ['A', 'B'] as const) all.push(...await foldsOf(set, name, run));
  let seed = 56;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const order = all.map((_, i) => [next(), i]).sort((a, b) => a[0] - b[0]).map(([, i]) => i);
  return new Map(order.map((i, n) => [`F${String(n + 1).padStart(2, '0')}`, all[i]]));
}

const standingWords = (s: string | undefined) => (s === 'open' ? 'left open' : s);

/** The judge's prompt for one fold. */
export function foldPrompt(g: Fold): string {
  const kind = /^[Aa]/.test(g.keep.id) ? 'action items' : 'decisions';
  const show = (e: ShownEntry) => `${e.id}${e.standing ? ` [${standingWords(e.standing)}]` : ''}: ${e.text}`;
  return [
    `A meeting note-taker merged entries of a meeting's ${kind} list that it took to say the same thing, keeping one entry`,
    'in their place. You do not see the meeting, only the entries. Judge what a reader of the notes loses.',
    '',
    'The entries before the merge:',
    ...[g.keep, ...g.folded].map(show),
    '',
    `The one entry the notes now show in their place (${g.keep.standing ? `standing: ${standingWords(g.keep.standing)}` : 'an action item'}):`,
    g.newText ?? g.keep.text,
    '',
    'For each entry before the merge, say whether the merged entry still tells a reader all that entry told: the same',
    'decision or piece of work, its standing (decided, left open, ...) and its details. An entry counts as kept when the',
    'merged entry says it, in any words; as not kept when a reader of the merged entry no longer learns some part of it,',
    'or learns it with another standing. Also say whether the entries before the merge were in fact the same decision or',
    'piece of work said twice (a repeat), or separate ones that belong apart.',
    '',
    'Answer with one JSON object and nothing else:',
    '{"kept": {"<id>": true or false, one for each entry before the merge}, "lost": {"<id>": "what a reader no longer learns"}, "repeat": true or false}',
    '("lost" names only the entries not kept, {} when none; "repeat": true when they said the same thing, false when they belong apart.)',
  ].join('\n') + '\n';
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

interface Judgement { kept: Record<string, boolean>; repeat: boolean }

/** A judge's answer to a fold's prompt, refused unless its prompt is the one recorded (sha256) and it reads as asked. */
export function readJudgement(dir: string, name: string, g: Fold): Judgement {
  const hash = fs.readFileSync(path.join(FOLD_JUDGEMENTS_DIR, `${name}.prompt.sha256`), 'utf8').trim();
  if (hash !== sha256(foldPrompt(g))) throw new Error(`${name}: the fold is not the one judged (its prompt changed)`);
  const value = extractJsonObject(fs.readFileSync(path.join(dir, `${name}.answer.txt`), 'utf8')) as Partial<Judgement> | undefined;
  const ids = [g.keep, ...g.folded].map((e) => e.id);
  if (!value || typeof value.repeat !== 'boolean' || !value.kept || ids.some((id) => typeof value.kept![id] !== 'boolean')) throw new Error(`${name}: not a judgement of every entry`);
  return { kept: value.kept, repeat: value.repeat };
}

/** Folds by whether they join entries of one standing (action items: one list, no standing), as both judges found them. */
export interface FoldTally { folded: number; lost: number; repeat: number; apart: number; split: number }
export function tallyFolds(folds: Map<string, Fold>, first: string, second: string): { same: FoldTally; mixed: FoldTally; agreement: { entries: number; agree: number } } {
  const tally = () => ({ folded: 0, lost: 0, repeat: 0, apart: 0, split: 0 });
  const out = { same: tally(), mixed: tally(), agreement: { entries: 0, agree: 0 } };
  for (const [name, g] of folds) {
    const a = readJudgement(first, name, g), b = readJudgement(second, name, g);
    for (const e of [g.keep, ...g.folded]) {
      out.agreement.entries++;
      if (a.kept[e.id] === b.kept[e.id]) out.agreement.agree++;
    }
    for (const f of g.folded) {
      const t = f.standing === g.keep.standing ? out.same : out.mixed;
      t.folded++;
      if ((!a.kept[f.id] && !b.kept[f.id]) || (!a.kept[g.keep.id] && !b.kept[g.keep.id])) t.lost++;
      if (a.repeat && b.repeat) t.repeat++;
      else if (!a.repeat && !b.repeat) t.apart++;
      else t.split++;
    }
  }
  return out;
}

async function main(argv: string[]): Promise<void> {
  const flag = (name: string) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
  const folds = await numberedFolds();
  const prompts = flag('--prompts');
  if (prompts) {
    fs.mkdirSync(prompts, { recursive: true });
    for (const [name, g] of folds) {
      fs.writeFileSync(path.join(prompts, `${name}.prompt.txt`), foldPrompt(g));
      fs.writeFileSync(path.join(prompts, `${name}.prompt.sha256`), `${sha256(foldPrompt(g))}\n`);
    }
    process.stdout.write(`${folds.size} fold prompts written under ${prompts}\n`);
    return;
  }
  const first = flag('--answers') ?? path.join(FOLD_JUDGEMENTS_DIR, 'first');
  const second = flag('--second') ?? path.join(FOLD_JUDGEMENTS_DIR, 'second');
  const { same, mixed, agreement } = tallyFolds(folds, first, second);
  const row = (what: string, t: FoldTally) => `${what.padEnd(34)} ${String(t.folded).padStart(6)} ${String(t.lost).padStart(6)} ${String(t.repeat).padStart(7)} ${String(t.apart).padStart(6)} ${String(t.split).padStart(6)}`;
  process.stdout.write([
    `Folds of the restatement check's prompt v1 (${folds.size} sets, both runs of seven sets), each judged twice blind; counted when both judges agree`,
    `${''.padEnd(34)} folded   lost  repeat  apart  split`,
    row('an entry of the kept one\'s standing', same),
    row('an entry of another standing', mixed),
    `The two judges: the same verdict on ${agreement.agree} of ${agreement.entries} entries (kept or not).`,
    '',
  ].join('\n'));
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`fold judgements failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
