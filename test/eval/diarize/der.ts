/**
 * Diarization error rate, as NIST's md-eval scores it: time is cut into 10 ms frames; frames within the collar of a
 * reference turn's start or end are not scored (md-eval `-c 0.25`: 0.25 s each side, which pyannote.metrics calls
 * collar=0.5); overlapped speech is scored. In each scored frame with R reference and H hypothesis speakers: missed
 * speech max(0, R−H), false alarm max(0, H−R), confusion min(R, H) minus the pairs the speaker mapping gets right;
 * the mapping is the one-to-one map of hypothesis to reference speakers with the most time in common. DER is their
 * sum over the reference speaker time.
 */
import { bestAssignment } from '../../../daemon/speakers/linking';

export interface SpeakerSpan { start: number; end: number; speaker: string }

export interface DerScore {
  /** Reference speaker time scored (s): the denominator. */
  scored: number;
  missed: number;
  falseAlarm: number;
  confusion: number;
}

export const STANDARD_COLLAR = 0.25;
const STEP = 0.01;

export const der = (s: DerScore): number => (s.scored > 0 ? (s.missed + s.falseAlarm + s.confusion) / s.scored : 0);

export function poolDer(scores: readonly DerScore[]): DerScore {
  return scores.reduce((a, s) => ({ scored: a.scored + s.scored, missed: a.missed + s.missed, falseAlarm: a.falseAlarm + s.falseAlarm, confusion: a.confusion + s.confusion }),
    { scored: 0, missed: 0, falseAlarm: 0, confusion: 0 });
}

/** Scores `hypothesis` against `reference` over [0, durationSec) (default: to the last turn of either). */
/** `mapping`, when given, gets each mapped hypothesis speaker's reference speaker. */
export function scoreDiarization(reference: readonly SpeakerSpan[], hypothesis: readonly SpeakerSpan[],
  options: { collar?: number; durationSec?: number; mapping?: Map<string, string> } = {}): DerScore {
  const collar = options.collar ?? STANDARD_COLLAR;
  const duration = options.durationSec ?? Math.max(0, ...reference.map((t) => t.end), ...hypothesis.map((t) => t.end));
  const frames = Math.ceil(duration / STEP - 1e-9);
  const refNames = [...new Set(reference.map((t) => t.speaker))];
  const hypNames = [...new Set(hypothesis.map((t) => t.speaker))];
  const activity = (turns: readonly SpeakerSpan[], names: string[]) => {
    const a = names.map(() => new Uint8Array(frames));
    for (const t of turns) {
      const row = a[names.indexOf(t.speaker)];
      for (let f = Math.max(0, Math.round(t.start / STEP)); f < Math.min(frames, Math.round(t.end / STEP)); f++) row[f] = 1;
    }
    return a;
  };
  const ref = activity(reference, refNames), hyp = activity(hypothesis, hypNames);
  const scored = new Uint8Array(frames).fill(1);
  if (collar > 0) {
    for (const t of reference) {
      for (const edge of [t.start, t.end]) {
        for (let f = Math.max(0, Math.round((edge - collar) / STEP)); f < Math.min(frames, Math.round((edge + collar) / STEP)); f++) scored[f] = 0;
      }
    }
  }
  // Time in common of each reference and hypothesis speaker over the scored frames, then the best one-to-one map.
  const common = refNames.map((_, r) => hypNames.map((_, h) => {
    let n = 0;
    for (let f = 0; f < frames; f++) if (scored[f] && ref[r][f] && hyp[h][f]) n++;
    return n;
  }));
  const map = mapSpeakers(common);
  map.forEach((h, r) => { if (h !== -1) options.mapping?.set(hypNames[h], refNames[r]); });
  const s: DerScore = { scored: 0, missed: 0, falseAlarm: 0, confusion: 0 };
  for (let f = 0; f < frames; f++) {
    if (!scored[f]) continue;
    let r = 0, h = 0, right = 0;
    for (let i = 0; i < refNames.length; i++) {
      if (!ref[i][f]) continue;
      r++;
      if (map[i] !== -1 && hyp[map[i]][f]) right++;
    }
    for (let j = 0; j < hypNames.length; j++) h += hyp[j][f];
    s.scored += r;
    s.missed += Math.max(0, r - h);
    s.falseAlarm += Math.max(0, h - r);
    s.confusion += Math.min(r, h) - right;
  }
  return { scored: s.scored * STEP, missed: s.missed * STEP, falseAlarm: s.falseAlarm * STEP, confusion: s.confusion * STEP };
}

/** For each reference speaker, its hypothesis speaker (−1: none) in the one-to-one map with the most time in common. */
export function mapSpeakers(common: readonly (readonly number[])[]): number[] {
  const rows = common.length, cols = common[0]?.length ?? 0;
  // Every assignment of the smaller side is tried (bestAssignment): a handful of speakers on each side here. Past 7 on
  // both sides that is too many; the greedy map (the largest common time first) is then a lower bound of the best.
  if (Math.min(rows, cols) > 7) return greedyMap(common);
  if (rows <= cols) return bestAssignment(common, 1e-9);
  const transposed = Array.from({ length: cols }, (_, j) => common.map((row) => row[j]));
  const byHyp = bestAssignment(transposed, 1e-9);
  const map = new Array<number>(rows).fill(-1);
  byHyp.forEach((r, h) => { if (r !== -1) map[r] = h; });
  return map;
}

function greedyMap(common: readonly (readonly number[])[]): number[] {
  const pairs = common.flatMap((row, r) => row.map((n, h) => ({ r, h, n }))).filter((p) => p.n > 0).sort((a, b) => b.n - a.n);
  const map = new Array<number>(common.length).fill(-1);
  const taken = new Set<number>();
  for (const p of pairs) if (map[p.r] === -1 && !taken.has(p.h)) { map[p.r] = p.h; taken.add(p.h); }
  return map;
}

/** Spans of one file's RTTM turns with their speakers (turns without one are refused). */
export function speakerSpans(turns: readonly { start: number; end: number; speaker?: string }[]): SpeakerSpan[] {
  return turns.map((t) => {
    if (t.speaker === undefined) throw new Error('an RTTM turn without a speaker');
    return { start: t.start, end: t.end, speaker: t.speaker };
  });
}
