/**
 * The session's figure (issue 57): each stretch voice detection gives the recognizer (a transcript line) labelled as a
 * session labels it (daemon/speakers/lines.ts), scored three ways against the human reference:
 * - DER of the speech turns (lines.ts speechTurns: the decided turns, and voice-detected speech they miss given the
 *   voice a line would get), and of the lines themselves (each line's span as its voice's, one voice a line);
 * - lines right: of the lines over reference speech, the share whose voice maps (DER's one-to-one map) to the
 *   reference speaker heard most in the line;
 * - turns right: of the reference turns (a line each, were lines cut at every change of speaker), the share whose
 *   speaker is the mapped voice the speech turns give most of it (a turn they do not cover is wrong).
 */
import { SpeakerTurn } from '../../../daemon/speakers/stage';
import { assignLines, SpeakerLine, speechTurns, subtract, WEAK_OUTSIDE_VAD } from '../../../daemon/speakers/lines';
import { DerScore, scoreDiarization, SpeakerSpan } from './der';

/** The speaker a line gets where the stage heard no one (the source's label, "Others" in a call). */
const SOURCE_LABEL = 'the source';

export interface LineScore { der: DerScore; speech: DerScore; lines: number; linesRight: number; turns: number; turnsRight: number; unlabelled: number }

const overlap = (a: { start: number; end: number }, b: { start: number; end: number }) => Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));

/** The reference speaker heard most in [start, end], if any. */
function mostHeard(reference: readonly SpeakerSpan[], span: { start: number; end: number }): string | undefined {
  const by = new Map<string, number>();
  for (const r of reference) { const o = overlap(r, span); if (o > 0) by.set(r.speaker, (by.get(r.speaker) ?? 0) + o); }
  let best: string | undefined, most = 0;
  for (const [s, o] of by) if (o > most) [best, most] = [s, o];
  return best;
}

/** `weakOutside`: the speech turns take weak turns outside voice detection's stretches too (lines.ts speechTurns). */
export function scoreLines(reference: readonly SpeakerSpan[], turns: readonly SpeakerTurn[], stretches: readonly { start: number; end: number }[], durationSec: number,
  weakOutside = WEAK_OUTSIDE_VAD): LineScore & { assigned: SpeakerLine[] } {
  // Where the stage heard no one at all, a session shows the source's label (labels.ts): one speaker, scored as one.
  const assigned = assignLines(turns, stretches).map((l) => (l.speaker === undefined ? { ...l, speaker: SOURCE_LABEL } : l));
  const spans: SpeakerSpan[] = assigned.flatMap((l) => (l.speaker === undefined ? [] : [{ start: l.start, end: l.end, speaker: l.speaker }]));
  const der = scoreDiarization(reference, spans, { durationSec });
  // Voices are named by the speech turns' map (who speaks when); a line is right when its voice maps to its speaker.
  const mapping = new Map<string, string>();
  const speechSpans: SpeakerSpan[] = speechTurns(turns, stretches, weakOutside);
  // Speech no turn is near (the stage heard only weak turns, or none): the voice its line shows.
  for (const l of assigned) speechSpans.push(...subtract(l, speechSpans).map((u) => ({ ...u, speaker: l.speaker! })));
  const speech = scoreDiarization(reference, speechSpans, { durationSec, mapping });
  let lines = 0, linesRight = 0;
  for (const l of assigned) {
    const truth = mostHeard(reference, l);
    if (truth === undefined) continue;
    lines++;
    if (l.speaker !== undefined && mapping.get(l.speaker) === truth) linesRight++;
  }
  let turnsRight = 0;
  for (const r of reference) {
    const voice = mostHeard(speechSpans, r);
    if (voice !== undefined && mapping.get(voice) === r.speaker) turnsRight++;
  }
  return { der, speech, lines, linesRight, turns: reference.length, turnsRight, unlabelled: assigned.filter((l) => l.speaker === SOURCE_LABEL).length, assigned };
}

export function poolLines(scores: readonly LineScore[]): Omit<LineScore, 'der' | 'speech'> {
  const sum = (k: 'lines' | 'linesRight' | 'turns' | 'turnsRight' | 'unlabelled') => scores.reduce((n, s) => n + s[k], 0);
  return { lines: sum('lines'), linesRight: sum('linesRight'), turns: sum('turns'), turnsRight: sum('turnsRight'), unlabelled: sum('unlabelled') };
}
