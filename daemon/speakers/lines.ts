/**
 * The speaker of each transcribed line, as a session gives it: every stretch voice detection hands the recognizer (a
 * final's t0–t1) is labelled by the speaker book (labels.ts assignVoice) from the stage's turns, decided and weak.
 * `earshot diarize` prints these beside the turns, and `npm run eval:diarize` scores them, so the figure is what a
 * session shows.
 */
import { assignVoice, SpeakerBook } from './labels';
import { SpeakerTurn } from './stage';

/** One transcribed stretch and its voice; no voice (`speaker` undefined) only where the stage heard no one at all. */
export interface SpeakerLine { start: number; end: number; speaker?: string; confidence?: number }

/** The voice a session's book gives each stretch once the stage has heard all of `turns`. */
export function assignLines(turns: readonly SpeakerTurn[], stretches: readonly { start: number; end: number }[]): SpeakerLine[] {
  const book = new SpeakerBook([{ kind: 'file', label: '', split: true, mainKeepsLabel: false }]);
  book.heard('file', turns, Infinity);
  return stretches.map((s, i) => {
    const labelled = book.final({ segmentId: `line-${i}`, source: 'file', t0: s.start, t1: s.end });
    return { start: s.start, end: s.end, ...(labelled.voice !== undefined ? { speaker: labelled.voice, confidence: labelled.confidence } : {}) };
  });
}

/**
 * Whether the speech turns (`earshot diarize --json`'s "speech") take weak turns outside voice detection's stretches:
 * chosen on the committed recordings (`npm run eval:diarize`, "Overlapped speech, and speech voice detection did not hear").
 */
export const WEAK_OUTSIDE_VAD = false;

/** A span of speech and its voice: a decided turn as the stage gave it, or speech it missed (`filled`) with the voice inferred. */
export interface SpeechTurn { start: number; end: number; speaker: string; filled?: true; overlap?: true; confidence?: number }

/** `span` minus every one of `cover` (sorted pieces). */
export function subtract(span: { start: number; end: number }, cover: readonly { start: number; end: number }[]): { start: number; end: number }[] {
  let pieces = [span];
  for (const c of cover) {
    pieces = pieces.flatMap((p) => (c.end <= p.start || c.start >= p.end ? [p]
      : [{ start: p.start, end: c.start }, { start: c.end, end: p.end }].filter((q) => q.end - q.start > 1e-6)));
  }
  return pieces;
}

/**
 * Who speaks when over the speech a session transcribes: the stage's decided turns (second voices at once included),
 * and every part of a voice-detected stretch they miss given a voice: a weak turn's where one covers it, else the
 * nearest decided turn's (assignVoice). With `weakOutside`, weak turns outside every stretch count too (speech voice
 * detection did not hear, so no line carries it; only the diarization does).
 */
export function speechTurns(turns: readonly SpeakerTurn[], stretches: readonly { start: number; end: number }[], weakOutside = WEAK_OUTSIDE_VAD): SpeechTurn[] {
  const decided = turns.filter((t) => !t.weak), weak = turns.filter((t) => t.weak);
  const out: SpeechTurn[] = decided.map((t) => ({ start: t.start, end: t.end, speaker: t.speaker, ...(t.overlap ? { overlap: true as const } : {}) }));
  if (weakOutside) {
    for (const w of weak) for (const rest of subtract(w, [...stretches, ...decided])) out.push({ ...rest, speaker: w.speaker, filled: true, confidence: assignVoice([w], rest.start, rest.end)!.confidence });
  }
  for (const stretch of stretches) {
    for (const gap of subtract(stretch, decided)) {
      for (const w of weak) {
        const start = Math.max(gap.start, w.start), end = Math.min(gap.end, w.end);
        if (end > start) out.push({ start, end, speaker: w.speaker, filled: true, confidence: assignVoice([w], start, end)!.confidence });
      }
      for (const rest of subtract(gap, weak)) {
        const guess = assignVoice(decided, rest.start, rest.end);
        if (guess) out.push({ start: rest.start, end: rest.end, speaker: guess.voice, filled: true, confidence: guess.confidence });
      }
    }
  }
  return out.sort((a, b) => a.start - b.start || a.end - b.end);
}
