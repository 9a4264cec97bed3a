/**
 * The segmentation model's input level (issue 57: the missed speech of quiet headset mixes), for `npm run
 * eval:diarize`: how loud the windows the model sees are, how missed reference speech relates to its level, and per
 * window level (windowLevel.ts levelWindow: off, raised to a target RMS or peak with a gain cap, or per block) the
 * DER of the session's speech turns and of the stage's turns alone, with DER's parts and the lines right. The
 * committed recordings choose (the lowest pooled DER of the speech turns; ties to off, then grid order), by leave one group out and on all
 * of them; the held-out ones are scored beside.
 */
import { SAMPLE_RATE } from '../../../daemon/capture/source';
import { SegmentationModel, WINDOW_SAMPLES } from '../../../daemon/speakers/segmentation';
import { DEFAULT_DIARIZE_OPTIONS, windowStarts } from '../../../daemon/speakers/tracker';
import { DerScore, der, poolDer, scoreDiarization, SpeakerSpan } from './der';
import { poolLines, scoreLines } from './lines';
import { replay, segment } from './run';
import { rmsOf, WindowLevel } from './windowLevel';

/** What the stage feeds the model: windows as captured (no level; the committed recordings chose that). */
export const SHIPPED_LEVEL: WindowLevel | undefined = undefined;

/**
 * Levels tried: off; whole-window RMS targets (a floor for the quietest windows, −50, −46, −40 dBFS, then −32, −26,
 * −20 dBFS) and a peak target, each with gain caps of 4 and 16; per-block (local) RMS targets −32 and −26 dBFS with
 * caps of 4 and 16.
 */
export const LEVEL_GRID: (WindowLevel | undefined)[] = [undefined,
  ...[0.003, 0.005, 0.01, 0.025, 0.05, 0.1].flatMap((target) => [4, 16].map((maxGain) => ({ by: 'rms' as const, target, maxGain }))),
  ...[4, 16].map((maxGain) => ({ by: 'peak' as const, target: 0.5, maxGain })),
  ...[0.025, 0.05].flatMap((target) => [4, 16].map((maxGain) => ({ by: 'local' as const, target, maxGain })))];
export const levelName = (l: WindowLevel | undefined): string => (l ? `${l.by} → ${l.target}, gain ≤ ${l.maxGain}` : 'off (as captured)');
const sameLevel = (a: WindowLevel | undefined, b: WindowLevel | undefined) => levelName(a) === levelName(b);

interface Recording { reference: SpeakerSpan[]; durationSec: number; samples: Float32Array }

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const parts = (s: DerScore) => (s.scored > 0 ? `${pct(s.missed / s.scored)} | ${pct(s.falseAlarm / s.scored)} | ${pct(s.confusion / s.scored)}` : '– | – | –');
const ratio = (n: number, d: number) => (d ? (n / d).toFixed(3) : '–');
const dbfs = (rms: number) => (rms > 0 ? 20 * Math.log10(rms) : -Infinity);

/** Level bins (dBFS) of 100 ms frames of reference speech. */
const BINS = [-Infinity, -50, -40, -30, -20, Infinity];
const FRAME_SEC = 0.1;

/** Per level bin: reference-speech frames, and those no stage turn covers (missed). */
function missedByLevel(a: Recording, turns: readonly { start: number; end: number }[]): { frames: number[]; missed: number[] } {
  const frames = BINS.slice(1).map(() => 0), missed = BINS.slice(1).map(() => 0);
  const n = Math.floor(a.durationSec / FRAME_SEC);
  for (let f = 0; f < n; f++) {
    const t = (f + 0.5) * FRAME_SEC;
    if (!a.reference.some((r) => r.start <= t && t < r.end)) continue;
    const level = dbfs(rmsOf(a.samples, Math.round(f * FRAME_SEC * SAMPLE_RATE), Math.min(a.samples.length, Math.round((f + 1) * FRAME_SEC * SAMPLE_RATE))));
    const bin = BINS.findIndex((b, k) => level >= b && level < BINS[k + 1]);
    frames[bin]++;
    if (!turns.some((x) => x.start <= t && t < x.end)) missed[bin]++;
  }
  return { frames, missed };
}

export async function levelSection(model: SegmentationModel, audio: readonly Recording[], stretches: readonly { start: number; end: number }[][],
  choose: readonly number[], groups: readonly number[][], held: readonly number[], nameOf: (i: number) => string) {
  process.stderr.write(`eval:diarize: ${LEVEL_GRID.length} window levels over ${audio.length} recordings…\n`);
  const step = DEFAULT_DIARIZE_OPTIONS.stepSec;
  const turns: ReturnType<typeof replay>[][] = [];
  for (const level of LEVEL_GRID) {
    const row = [];
    for (const a of audio) row.push(replay(await segment(model, a.samples, step, level), DEFAULT_DIARIZE_OPTIONS));
    turns.push(row);
  }
  const scored = turns.map((row) => audio.map((a, i) => ({
    ...scoreLines(a.reference, row[i], stretches[i], a.durationSec),
    stage: scoreDiarization(a.reference, row[i].filter((t) => !t.weak), { durationSec: a.durationSec }),
  })));
  const pooled = (k: number, idx: readonly number[]) => {
    const s = idx.map((i) => scored[k][i]);
    return { speech: poolDer(s.map((x) => x.speech)), stage: poolDer(s.map((x) => x.stage)), ...poolLines(s) };
  };
  /** The lowest pooled DER of the speech turns among levels `from` on; ties to the earlier (off first). */
  const pick = (idx: readonly number[], from = 0) => LEVEL_GRID.reduce<number>((best, _, k) => (k > from && der(pooled(k, idx).speech) < der(pooled(best, idx).speech) - 1e-9 ? k : best), from);
  const chosen = pick(choose);
  const raised = pick(choose, 1);
  const shipped = LEVEL_GRID.findIndex((l) => sameLevel(l, SHIPPED_LEVEL));

  console.log(`\n### Window level before the segmentation model (issue 57: quiet talkers)\n`);
  console.log(`The level of each window the model sees (step ${step} s, as the stage cuts them), per recording: RMS in dBFS, median and lowest window.\n`);
  console.log('| recording | windows | median window RMS | quietest window |');
  console.log('|---|---|---|---|');
  audio.forEach((a, i) => {
    const levels = [...windowStarts(a.samples.length, Math.round(step * SAMPLE_RATE), WINDOW_SAMPLES)]
      .map((s) => dbfs(rmsOf(a.samples, s, Math.min(a.samples.length, s + WINDOW_SAMPLES)))).sort((x, y) => x - y);
    console.log(`| ${nameOf(i)}${held.includes(i) ? ' (held out)' : ''} | ${levels.length} | ${levels[Math.floor(levels.length / 2)].toFixed(1)} dB | ${levels[0].toFixed(1)} dB |`);
  });
  const byLevel = (k: number, idx: readonly number[]) => idx.map((i) => missedByLevel(audio[i], turns[k][i].filter((t) => !t.weak)))
    .reduce((s, m) => ({ frames: s.frames.map((v, b) => v + m.frames[b]), missed: s.missed.map((v, b) => v + m.missed[b]) }));
  const binName = (b: number) => (b === 0 ? `< ${BINS[1]} dB` : b === BINS.length - 2 ? `≥ ${BINS[b]} dB` : `${BINS[b]} to ${BINS[b + 1]} dB`);
  const sets: [string, readonly number[]][] = [['committed', choose], ...(held.length ? [['held out', held] as [string, readonly number[]]] : [])];
  console.log(`\nMissed reference speech by its level (100 ms frames of reference speech, RMS of the frame; missed: no decided stage turn over it), off and with the best raised level on the committed recordings (${levelName(LEVEL_GRID[raised])}):\n`);
  console.log(`| level | ${sets.map(([n]) => `${n}: frames | missed, off | missed, raised`).join(' | ')} |`);
  console.log(`|---|${sets.map(() => '---|---|---|').join('')}`);
  const tables = sets.map(([, idx]) => ({ off: byLevel(0, idx), on: byLevel(raised, idx) }));
  BINS.slice(1).forEach((_, b) => console.log(`| ${binName(b)} | ${tables.map((t) => `${t.off.frames[b]} | ${ratio(t.off.missed[b], t.off.frames[b])} | ${ratio(t.on.missed[b], t.on.frames[b])}`).join(' | ')} |`));

  console.log(`\nPer level (windowLevel.ts): DER of the session's speech turns and of the stage's turns alone. Chosen on the committed recordings: the lowest pooled DER of the speech turns.\n`);
  console.log('| level | committed: DER, speech turns | missed | false alarm | confusion | DER, stage | lines right | held out: DER, speech turns | missed | false alarm | confusion | DER, stage | lines right |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  LEVEL_GRID.forEach((l, k) => {
    const c = pooled(k, choose), h = pooled(k, held);
    console.log(`| ${levelName(l)}${k === chosen ? ' (chosen)' : ''}${k === shipped ? ' (shipped)' : ''} | ${pct(der(c.speech))} | ${parts(c.speech)} | ${pct(der(c.stage))} | ${ratio(c.linesRight, c.lines)} | ` +
      (held.length ? `**${pct(der(h.speech))}** | ${parts(h.speech)} | ${pct(der(h.stage))} | ${ratio(h.linesRight, h.lines)} |` : '– | – | – | – | – | – |'));
  });
  const folds = groups.map((g) => {
    const k = pick(choose.filter((i) => !g.includes(i)));
    return { heldOut: g.map(nameOf), level: levelName(LEVEL_GRID[k]), ...pooled(k, g), off: pooled(0, g) };
  });
  const cv = poolDer(folds.map((f) => f.speech)), cvOff = poolDer(folds.map((f) => f.off.speech));
  console.log(`\nLeave one group out: DER of the speech turns ${pct(der(cv))} (${parts(cv).replace(/ \| /g, ' / ')}), off on the same folds ${pct(der(cvOff))} (${parts(cvOff).replace(/ \| /g, ' / ')}); chosen per fold: ${folds.map((f) => f.level).join('; ')}.`);
  console.log(shipped === chosen ? `The stage feeds windows at the chosen level (as captured: it ships no level).\n` : `**The stage's level (${levelName(SHIPPED_LEVEL)}) differs from the chosen ${levelName(LEVEL_GRID[chosen])}.**\n`);
  if (held.length) {
    const use = shipped === -1 ? chosen : shipped;
    console.log(`Held out, per recording, ${levelName(LEVEL_GRID[use])} beside off: ${held.map((i) => `${nameOf(i)} ${pct(der(scored[use][i].speech))} (off ${pct(der(scored[0][i].speech))})`).join('; ')}.\n`);
  }
  return { chosen: levelName(LEVEL_GRID[chosen]), shipped: levelName(SHIPPED_LEVEL), crossValidation: { der: der(cv), offDer: der(cvOff), folds: folds.map((f) => ({ heldOut: f.heldOut, level: f.level })) },
    grid: LEVEL_GRID.map((l, k) => ({ level: levelName(l), committed: pooled(k, choose), heldOut: pooled(k, held) })) };
}
