/**
 * Overlapped speech and speech voice detection missed (issue 57), for `npm run eval:diarize`: per setting of the
 * second voice (tracker.ts overlapOnset, minOverlapSec) and of weak turns outside voice detection's stretches
 * (lines.ts speechTurns weakOutside), the DER of the session's speech turns and of the stage's turns alone (what
 * `earshot diarize` reports), with DER's parts, and the lines right. The committed recordings choose (the lowest
 * pooled DER of the speech turns; ties to no second voice, then the higher onset, then the longer minimum), by leave
 * one group out and on all of them; the held-out ones are scored beside.
 */
import { SpeakerTurn } from '../../../daemon/speakers/stage';
import { DEFAULT_DIARIZE_OPTIONS, DiarizeOptions } from '../../../daemon/speakers/tracker';
import { DerScore, der, poolDer, scoreDiarization, SpeakerSpan } from './der';
import { poolLines, scoreLines } from './lines';

export type OverlapOptions = Pick<DiarizeOptions, 'overlapOnset' | 'minOverlapSec' | 'overlapByPair'>;
export interface OverlapSetting extends OverlapOptions { weakOutside: boolean }

/** Settings tried: no second voice, then onsets × minimum lengths, each with and without weak turns outside VAD. */
export const OVERLAP_GRID: OverlapSetting[] = [false, true].flatMap((weakOutside) => [
  { overlapOnset: Infinity, minOverlapSec: 0, overlapByPair: false, weakOutside },
  ...[false, true].flatMap((overlapByPair) => [0.5, 0.4, 0.3, 0.2, 0.1].flatMap((overlapOnset) =>
    [0, 0.25, 0.5, 1].map((minOverlapSec) => ({ overlapOnset, minOverlapSec, overlapByPair, weakOutside })))),
]);

export const overlapName = (o: OverlapSetting): string =>
  `${Number.isFinite(o.overlapOnset) ? `second voice${o.overlapByPair ? ' (pairs)' : ''} ≥ ${o.overlapOnset}, ≥ ${o.minOverlapSec} s` : 'no second voice'}${o.weakOutside ? ', weak outside VAD' : ''}`;

export const isShipped = (o: OverlapSetting, weakOutside: boolean): boolean =>
  o.overlapOnset === DEFAULT_DIARIZE_OPTIONS.overlapOnset
  && (!Number.isFinite(o.overlapOnset) || (o.minOverlapSec === DEFAULT_DIARIZE_OPTIONS.minOverlapSec && o.overlapByPair === DEFAULT_DIARIZE_OPTIONS.overlapByPair))
  && o.weakOutside === weakOutside;

interface Recording { reference: SpeakerSpan[]; durationSec: number }

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const parts = (s: DerScore) => (s.scored > 0 ? `${pct(s.missed / s.scored)} | ${pct(s.falseAlarm / s.scored)} | ${pct(s.confusion / s.scored)}` : '– | – | –');
const ratio = (n: number, d: number) => (d ? (n / d).toFixed(3) : '–');

/**
 * `turnsWith(i, o)`: the stage's turns (weak ones included) for recording i with the second-voice setting `o`;
 * `stretches[i]`: voice detection's; `weakOutside`: what the session ships (for the "(shipped)" mark).
 */
export function overlapSection(audio: readonly Recording[], stretches: readonly { start: number; end: number }[][], turnsWith: (i: number, o: OverlapOptions) => SpeakerTurn[],
  choose: readonly number[], groups: readonly number[][], held: readonly number[], nameOf: (i: number) => string, weakOutside: boolean) {
  const scored = OVERLAP_GRID.map((o) => audio.map((a, i) => {
    const turns = turnsWith(i, o);
    const lines = scoreLines(a.reference, turns, stretches[i], a.durationSec, o.weakOutside);
    return { ...lines, stage: scoreDiarization(a.reference, turns.filter((t) => !t.weak), { durationSec: a.durationSec }) };
  }));
  const pooled = (k: number, idx: readonly number[]) => {
    const s = idx.map((i) => scored[k][i]);
    return { speech: poolDer(s.map((x) => x.speech)), stage: poolDer(s.map((x) => x.stage)), ...poolLines(s) };
  };
  const pick = (idx: readonly number[]) => OVERLAP_GRID.reduce<number>((best, _, k) => (der(pooled(k, idx).speech) < der(pooled(best, idx).speech) - 1e-9 ? k : best), 0);
  const chosen = pick(choose);
  const shipped = OVERLAP_GRID.findIndex((o) => isShipped(o, weakOutside));
  console.log(`\n### Overlapped speech, and speech voice detection did not hear (issue 57)\n`);
  console.log(`A second voice at once (tracker.ts \`overlapOnset\`: in frames where one speaker is decided, the other speaker whose soft activity is at least the onset; turns of at least the minimum), and weak turns outside voice detection's stretches in the speech turns (lines.ts \`weakOutside\`; no line carries that speech). "Stage": the stage's turns alone, what \`earshot diarize\` reports as turns; "speech turns": the session's, over the detected speech. Chosen on the committed recordings: the lowest pooled DER of the speech turns.\n`);
  console.log('| setting | committed: DER, speech turns | DER, stage | lines right | held out: DER, speech turns | missed | false alarm | confusion | DER, stage | missed | false alarm | confusion | lines right |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  OVERLAP_GRID.forEach((o, k) => {
    const c = pooled(k, choose), h = pooled(k, held);
    console.log(`| ${overlapName(o)}${k === chosen ? ' (chosen)' : ''}${k === shipped ? ' (shipped)' : ''} | ${pct(der(c.speech))} | ${pct(der(c.stage))} | ${ratio(c.linesRight, c.lines)} | ` +
      (held.length ? `**${pct(der(h.speech))}** | ${parts(h.speech)} | ${pct(der(h.stage))} | ${parts(h.stage)} | ${ratio(h.linesRight, h.lines)} |` : '– | – | – | – | – | – | – | – | – | – |'));
  });
  const folds = groups.map((g) => { const k = pick(choose.filter((i) => !g.includes(i))); return { heldOut: g.map(nameOf), setting: overlapName(OVERLAP_GRID[k]), ...pooled(k, g) }; });
  const cv = { speech: poolDer(folds.map((f) => f.speech)), stage: poolDer(folds.map((f) => f.stage)) };
  const none = poolDer(groups.map((g) => pooled(0, g).speech));
  console.log(`\nLeave one group out: DER of the speech turns ${pct(der(cv.speech))} (${parts(cv.speech)}), of the stage ${pct(der(cv.stage))}; no second voice on the same folds ${pct(der(none))}. Chosen per fold: ${folds.map((f) => f.setting).join('; ')}.`);
  console.log(shipped === chosen ? 'The shipped setting is the chosen one.\n' : `**The shipped setting (${shipped === -1 ? 'not in the grid' : overlapName(OVERLAP_GRID[shipped])}) differs from the chosen ${overlapName(OVERLAP_GRID[chosen])}.**\n`);
  const use = shipped === -1 ? chosen : shipped;
  if (held.length) {
    console.log(`Held out, per recording (${overlapName(OVERLAP_GRID[use])}; beside it, no second voice):\n`);
    console.log('| recording | speech turns: DER | missed | false alarm | confusion | stage: DER | no second voice: speech turns DER | missed |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const i of held) {
      const s = scored[use][i], n = scored[0][i];
      console.log(`| ${nameOf(i)} | ${pct(der(s.speech))} | ${parts(s.speech)} | ${pct(der(s.stage))} | ${pct(der(n.speech))} | ${pct(n.speech.scored ? n.speech.missed / n.speech.scored : 0)} |`);
    }
    const h = pooled(use, held), n = pooled(0, held);
    console.log(`| **pooled** | **${pct(der(h.speech))}** | ${parts(h.speech)} | ${pct(der(h.stage))} | ${pct(der(n.speech))} | ${pct(n.speech.missed / n.speech.scored)} |\n`);
  }
  return { chosen: overlapName(OVERLAP_GRID[chosen]), shipped: shipped === -1 ? null : overlapName(OVERLAP_GRID[shipped]), crossValidation: { ...cv, folds },
    grid: OVERLAP_GRID.map((o, k) => ({ setting: overlapName(o), committed: pooled(k, choose), heldOut: pooled(k, held) })) };
}
