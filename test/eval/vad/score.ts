/**
 * Scores a voice-activity detector against human references (pure: spans in, figures out).
 * - utterance coverage: of the reference turns ≥ 1 s, the share whose time is ≥ 50 % inside detected speech (what
 *   reaches the recognizer, padding included): a missed turn is words lost from the notes;
 * - frame recall: the share of reference speech time inside detected speech;
 * - false speech: the share of reference non-speech time more than 0.5 s away from any reference speech that lies
 *   inside detected speech (what costs decodes and risks hallucinated text; padding next to speech is not counted);
 * - decodes: the utterances handed to the recognizer (one final decode each), and of them the decodes of non-speech:
 *   utterances with no reference speech inside at all (a whole decode spent on a breath, a click, a laugh).
 */
export interface Span { start: number; end: number }

/** Minimum length of a reference turn that utterance coverage counts. */
export const MIN_TURN_SEC = 1;
/** Non-speech this close to reference speech is not counted by false speech (pre-roll and hangover live there). */
export const SPEECH_MARGIN_SEC = 0.5;
/** Time resolution of the frame figures. */
const STEP_SEC = 0.01;

/** `SPEAKER <file> 1 <start> <duration> … <speaker>` lines → turns per file. */
export function parseRttm(text: string): Map<string, (Span & { speaker?: string })[]> {
  const turns = new Map<string, (Span & { speaker?: string })[]>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] !== 'SPEAKER' || f.length < 5) continue;
    const start = Number(f[3]), duration = Number(f[4]);
    if (!Number.isFinite(start) || !Number.isFinite(duration)) throw new Error(`bad RTTM line: ${line}`);
    const list = turns.get(f[1]) ?? [];
    list.push({ start, end: start + duration, ...(f.length >= 8 ? { speaker: f[7] } : {}) });
    turns.set(f[1], list);
  }
  return turns;
}

/** The speaker labels (field 8) per file. */
export function rttmSpeakers(text: string): Map<string, string[]> {
  const speakers = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] !== 'SPEAKER' || f.length < 8) continue;
    const list = speakers.get(f[1]) ?? [];
    if (!list.includes(f[7])) list.push(f[7]);
    speakers.set(f[1], list);
  }
  return speakers;
}

/** Sorted, overlapping or touching spans merged. */
export function union(spans: readonly Span[]): Span[] {
  const out: Span[] = [];
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    const last = out[out.length - 1];
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}

export function overlapSec(span: Span, spans: readonly Span[]): number {
  let t = 0;
  for (const s of spans) t += Math.max(0, Math.min(span.end, s.end) - Math.max(span.start, s.start));
  return t;
}

export interface RealScore {
  turns: number;
  covered: number;
  missed: Span[];
  speechSec: number;
  speechHitSec: number;
  farSec: number;
  farHitSec: number;
  /** Utterances handed to the recognizer, and those with no reference speech in them. */
  utterances: number;
  nonSpeechUtterances: number;
  audioSec: number;
}

export function scoreAgainstTurns(reference: readonly Span[], detected: readonly Span[], durationSec: number): RealScore {
  const found = union(detected);
  const turns = reference.filter((t) => t.end - t.start >= MIN_TURN_SEC);
  const missed = turns.filter((t) => overlapSec(t, found) < 0.5 * (t.end - t.start));
  const speech = union(reference);
  const near = union(speech.map((s) => ({ start: s.start - SPEECH_MARGIN_SEC, end: s.end + SPEECH_MARGIN_SEC })));
  const inside = (spans: Span[], t: number) => spans.some((s) => t >= s.start && t < s.end);
  let speechSteps = 0, speechHit = 0, far = 0, farHit = 0;
  for (let t = STEP_SEC / 2; t < durationSec; t += STEP_SEC) {
    const said = inside(found, t);
    if (inside(speech, t)) { speechSteps++; if (said) speechHit++; }
    if (!inside(near, t)) { far++; if (said) farHit++; }
  }
  return {
    turns: turns.length, covered: turns.length - missed.length, missed,
    speechSec: speechSteps * STEP_SEC, speechHitSec: speechHit * STEP_SEC, farSec: far * STEP_SEC, farHitSec: farHit * STEP_SEC,
    utterances: detected.length, nonSpeechUtterances: detected.filter((u) => overlapSec(u, speech) === 0).length, audioSec: durationSec,
  };
}

export function pool(scores: readonly RealScore[]): RealScore {
  const sum = (k: keyof Omit<RealScore, 'missed'>) => scores.reduce((n, s) => n + s[k], 0);
  return {
    turns: sum('turns'), covered: sum('covered'), missed: scores.flatMap((s) => s.missed),
    speechSec: sum('speechSec'), speechHitSec: sum('speechHitSec'), farSec: sum('farSec'), farHitSec: sum('farHitSec'),
    utterances: sum('utterances'), nonSpeechUtterances: sum('nonSpeechUtterances'), audioSec: sum('audioSec'),
  };
}

export const coverage = (s: RealScore): number => (s.turns ? s.covered / s.turns : 1);
export const frameRecall = (s: RealScore): number => (s.speechSec ? s.speechHitSec / s.speechSec : 1);
export const falseSpeech = (s: RealScore): number => (s.farSec ? s.farHitSec / s.farSec : 0);
/** Decodes of non-speech an hour of this audio would cause. */
export const nonSpeechDecodesPerHour = (s: RealScore): number => (s.audioSec ? (3600 * s.nonSpeechUtterances) / s.audioSec : 0);

/**
 * The synthetic fixtures' score, as the VAD has always been scored on them: frame by frame (32 ms, a frame is speech
 * when its centre lies inside a span), the detector's speech spans (no pre-roll or hangover) against exact truth.
 */
export function scoreFrames(truth: readonly Span[], found: readonly Span[], durationSec: number, frameSec: number) {
  const inside = (spans: readonly Span[], t: number) => spans.some((s) => t >= s.start && t < s.end);
  let speech = 0, hit = 0, nonSpeech = 0, falseSpeechFrames = 0;
  for (let t = frameSec / 2; t < durationSec; t += frameSec) {
    const isSpeech = inside(truth, t), said = inside(found, t);
    if (isSpeech) { speech++; if (said) hit++; } else { nonSpeech++; if (said) falseSpeechFrames++; }
  }
  return { recall: speech ? hit / speech : 1, falseSpeechRate: nonSpeech ? falseSpeechFrames / nonSpeech : 0, speechFrames: speech, nonSpeechFrames: nonSpeech };
}
