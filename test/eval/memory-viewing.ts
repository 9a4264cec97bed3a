/**
 * The meeting the user has open (MemorySearchParams.viewing): what leading with its passages gains when the question is
 * about it, and what it costs when it is not (issue 40).
 *
 * `@earshot` sends the session whose notes file is the active editor. Over all 38 QMSum meetings, two users are
 * simulated per question: one with the question's own meeting open, one with another meeting open (a seeded random
 * one). Leading with the open meeting is worth what the first gains and the second does not lose, so the pair is scored
 * together: the setting (how many of its passages may lead, and how close to the best passage's score they must come)
 * is chosen on train, by the sum of strict hit@1 and hit@5 over both users, from a grid fixed before running, and
 * reported on val against the pooled judgements (memory-adjudication.ts). A passage of another meeting that no judge
 * saw counts as not answering (the "another meeting open" rows are a floor).
 *
 *   node out/test/eval/memory-viewing.js              the train grid, then train and val at the chosen setting
 */
import { createHash } from 'node:crypto';
import { MemoryPassage } from '../../protocol/protocol';
import { DEFAULT_RANKING, RankingOptions } from '../../daemon/memory/memoryIndex';
import { judgedFigures, JudgedFigures, loadJudged } from './memory-adjudication';
import { loadQmsum, memoryIndexOf, QmsumMeeting, Searcher } from './memoryQuality';

/** The grid, fixed before the first run: 0 passages is the shipped ranking without a meeting open. */
const PASSAGES = [1, 2, 3, 5];
const SHARES = [0, 0.25, 0.5, 0.75, 0.9];

/** The other meeting a simulated user has open for a question: seeded, never the question's own. */
export function otherMeeting(all: readonly QmsumMeeting[], m: QmsumMeeting, n: number): string {
  const others = all.filter((x) => x.id !== m.id);
  return others[createHash('sha256').update(`${m.id}/${n}/viewing`).digest().readUInt32LE(0) % others.length].id;
}

export type Open = 'own' | 'other' | 'none';

function searchFor(index: Searcher, all: readonly QmsumMeeting[], open: Open) {
  return (m: QmsumMeeting, query: string): MemoryPassage[] => {
    const n = m.queries.findIndex((q) => q.query === query);
    const viewing = open === 'own' ? m.id : open === 'other' ? otherMeeting(all, m, n) : undefined;
    return index.search({ query, limit: 5, ...(viewing ? { viewing } : {}) });
  };
}

/** Strict hit@1 / hit@5 (QMSum's spans in the question's own meeting) over every question of `set`. */
function strict(set: readonly QmsumMeeting[], passagesOf: (m: QmsumMeeting, query: string) => MemoryPassage[]): [number, number] {
  let h1 = 0, h5 = 0, n = 0;
  for (const m of set) {
    for (const q of m.queries) {
      n++;
      const hit = (p?: MemoryPassage) => !!p && p.meeting.sessionId === m.id && p.lines.some((l) => q.spans.some(([a, b]) => Number(l.segmentId) >= a && Number(l.segmentId) <= b));
      const list = passagesOf(m, q.query);
      h1 += +hit(list[0]);
      h5 += +list.some(hit);
    }
  }
  return [h1 / n, h5 / n];
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** A ranking's judged figures on `set` for each user: nothing open, the question's meeting open, another one open. */
export function viewingFigures(all: readonly QmsumMeeting[], set: QmsumMeeting[], index: Searcher): Record<Open, JudgedFigures> {
  const judged = loadJudged(set);
  return {
    none: judgedFigures(set, judged, searchFor(index, all, 'none')),
    own: judgedFigures(set, judged, searchFor(index, all, 'own')),
    other: judgedFigures(set, judged, searchFor(index, all, 'other')),
  };
}

function main(): void {
  const all = loadQmsum();
  const train = all.filter((m) => m.split === 'train');
  const val = all.filter((m) => m.split === 'val');
  const indexOf = (ranking: RankingOptions) => memoryIndexOf(all, ranking);

  console.log('train (203 questions), strict hit@1 / hit@5; the chosen setting maximises the sum over both users\n');
  console.log('| passages that may lead | share of the best score | own meeting open | another meeting open | sum |');
  console.log('|---|---|---|---|---|');
  const none = strict(train, searchFor(indexOf(DEFAULT_RANKING), all, 'none'));
  const noneSum = 2 * (none[0] + none[1]);
  console.log(`| 0 (nothing open) | | ${pct(none[0])} / ${pct(none[1])} | ${pct(none[0])} / ${pct(none[1])} | ${noneSum.toFixed(3)} |`);
  let best = { passages: 0, share: 0, sum: noneSum };
  for (const passages of PASSAGES) {
    for (const share of SHARES) {
      const index = indexOf({ ...DEFAULT_RANKING, viewingPassages: passages, viewingShare: share });
      const own = strict(train, searchFor(index, all, 'own'));
      const other = strict(train, searchFor(index, all, 'other'));
      const sum = own[0] + own[1] + other[0] + other[1];
      console.log(`| ${passages} | ${share} | ${pct(own[0])} / ${pct(own[1])} | ${pct(other[0])} / ${pct(other[1])} | ${sum.toFixed(3)} |`);
      if (sum > best.sum + 1e-9) best = { passages, share, sum };
    }
  }
  const shipped = DEFAULT_RANKING.viewingPassages === best.passages && DEFAULT_RANKING.viewingShare === best.share;
  console.log(`\nChosen on train: ${best.passages} passages at ${best.share} of the best score${shipped ? ' (DEFAULT_RANKING)' : `; DEFAULT_RANKING has ${DEFAULT_RANKING.viewingPassages} at ${DEFAULT_RANKING.viewingShare}`}\n`);

  const chosen = indexOf({ ...DEFAULT_RANKING, viewingPassages: best.passages, viewingShare: best.share });
  for (const [name, set] of [['train', train], ['val', val]] as const) {
    const f = viewingFigures(all, set, chosen);
    console.log(`| ${name} (${f.none.questions}), chosen setting | strict hit@1 | hit@5 | own meeting, judged hit@1 | hit@5 | any meeting, judged hit@1 | hit@5 | unjudged passages |`);
    console.log('|---|---|---|---|---|---|---|---|');
    const row = (label: string, x: JudgedFigures) =>
      console.log(`| ${label} | ${pct(x.strict.hit1)} | ${pct(x.strict.hit5)} | ${pct(x.ownJudged.hit1)} | ${pct(x.ownJudged.hit5)} | ${pct(x.anyJudged.hit1)} | ${pct(x.anyJudged.hit5)} | ${x.unjudged} |`);
    row('nothing open', f.none);
    row('the question\'s meeting open', f.own);
    row('another meeting open (unjudged: not answering)', f.other);
    console.log('');
  }
}

if (require.main === module) main();
