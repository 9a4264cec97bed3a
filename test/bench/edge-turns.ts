/**
 * Issue 60: does the early end (SegmenterOptions.earlyEndMs) split real turns? The segmenter over real meetings
 * (test/fixtures/real-audio, AMI with human speaker turns), with Silero's scores replayed (test/eval/vad/replay.ts) and
 * the recognizer's side counted in frames: an early final starts as the speech drops (the decoder taken as free) and
 * is done `decode` frames later; then, as streaming.ts does, it asks the segmenter to end the utterance there. No
 * clock: the same numbers on any machine. A generated model gives no words, so what is counted is what the cut moves:
 * - utterances (each one a final, a line in the notes and the panel), and the cuts that fall inside a reference turn
 *   (the same person speaking before and after the gap, by the human reference);
 * - finals with less than 1 s / 2 s of speech;
 * - the wait the early end takes out: from the early final's end to the utterance's end (the hangover still running).
 * Settings are chosen on the dev recordings (AMI trn*) and read on the held-out ones (the rest).
 *
 *   node out/test/bench/edge-turns.js [--early 200,300,off] [--decode 7,10,13,16,20]
 */
import { FRAME_SAMPLES, SAMPLE_RATE } from '../../daemon/capture/source';
import { vadConfig } from '../../daemon/vad/config';
import { SegmenterControl, segmentUtterances, SegmenterOptions } from '../../daemon/vad/segmenter';
import { vadRecordings, RealRecording } from '../eval/vad/corpus';
import { scoreFile, ScoredFrames } from '../eval/vad/replay';
import { Span } from '../eval/vad/score';
import { percentile } from './util';

const FRAME_MS = (FRAME_SAMPLES / SAMPLE_RATE) * 1000;

export interface TurnCut {
  /** Utterances (finals). */
  utterances: number;
  /** Gaps between consecutive utterances that lie inside one reference turn. */
  midTurn: number;
  /** Lines in the notes: utterances less those that continue the one before (Utterance.continues). */
  lines: number;
  /** Gaps inside one reference turn between two lines (the continued ones joined). */
  midTurnLines: number;
  /** Utterances with less than 1 s, 2 s of the detector's speech. */
  under1s: number;
  under2s: number;
  /** Utterances ended by their early final (not by the hangover). */
  endedEarly: number;
  /** Per utterance, frames from its early final's end to the utterance's end (0 when the end came first). */
  waits: number[];
  audioSec: number;
}

/** Stored frames in order, calling `before(i)` before frame i is handed over (the recognizer's turn between frames). */
async function* frameByFrame(scored: ScoredFrames, before: (index: number) => void) {
  for (let i = 0; i < scored.frames.length; i++) {
    before(i);
    yield scored.frames[i];
  }
}

/** The segmenter over one recording with early finals that take `decodeFrames`; earlyEndMs undefined: the hangover alone. */
export async function cutTurns(scored: ScoredFrames, turns: readonly Span[], options: SegmenterOptions, decodeFrames: number): Promise<TurnCut> {
  const control: SegmenterControl = {};
  let next = 0;
  /** The early final decoding: its utterance, the final's end it decodes, the frame it is done at. */
  let early: { id: string; end: number; doneAt: number } | undefined;
  /** Per utterance id: the frame its last early final was done at. */
  const doneAt = new Map<string, number>();
  const detector = { endLagFrames: scored.endLagFrames, score: () => scored.scores[next++] };
  const speech: (Span & { joined: boolean })[] = [];
  let lastId: string | undefined;
  const waits: number[] = [];
  let endedEarly = 0;
  const hangoverSamples = Math.round((options.hangoverMs / 1000) * SAMPLE_RATE / FRAME_SAMPLES) * FRAME_SAMPLES;
  const frames = frameByFrame(scored, (i) => {
    if (early && i >= early.doneAt) {
      doneAt.set(early.id, i);
      control.endEarly?.(early.id, early.end);
      early = undefined;
    }
  });
  let delivered = 0;
  for await (const e of segmentUtterances(frames, detector, options, { count: 0 }, control)) {
    delivered = next;
    const u = e.utterance;
    if (e.type === 'pause' && u.finalEndSample !== undefined) {
      early = { id: u.id, end: u.finalEndSample, doneAt: delivered + decodeFrames };
    } else if (e.type === 'audio' && u.finalEndSample === undefined) {
      // The speech came back: the recognizer stops the early final, and one done before is no longer the final.
      if (early?.id === u.id) early = undefined;
      doneAt.delete(u.id);
    } else if (e.type === 'end') {
      if (early?.id === u.id) early = undefined;
      // Ended before its hangover ran out, and not by the end of the recording: by its early final.
      const silence = u.startSample + u.samples.length - u.voicedEndSample;
      if (silence < hangoverSamples && delivered < scored.frames.length) endedEarly++;
      const done = doneAt.get(u.id);
      waits.push(done === undefined ? 0 : Math.max(0, delivered - done));
      speech.push({ start: u.speechStartSample / SAMPLE_RATE, end: u.speechEndSample / SAMPLE_RATE, joined: u.continues !== undefined && u.continues === lastId });
      lastId = u.id;
    }
  }
  let midTurn = 0, midTurnLines = 0;
  for (let i = 1; i < speech.length; i++) {
    const gap = { start: speech[i - 1].end, end: speech[i].start };
    if (!turns.some((t) => t.start <= gap.start && t.end >= gap.end)) continue;
    midTurn++;
    if (!speech[i].joined) midTurnLines++;
  }
  const lengths = speech.map((s) => s.end - s.start);
  return {
    utterances: speech.length, midTurn, endedEarly, waits, lines: speech.filter((s) => !s.joined).length, midTurnLines,
    under1s: lengths.filter((l) => l < 1).length, under2s: lengths.filter((l) => l < 2).length, audioSec: scored.durationSec,
  };
}

function pooled(cuts: TurnCut[]): TurnCut {
  const sum = (f: (c: TurnCut) => number) => cuts.reduce((n, c) => n + f(c), 0);
  return {
    utterances: sum((c) => c.utterances), midTurn: sum((c) => c.midTurn), lines: sum((c) => c.lines), midTurnLines: sum((c) => c.midTurnLines), under1s: sum((c) => c.under1s), under2s: sum((c) => c.under2s),
    endedEarly: sum((c) => c.endedEarly), waits: cuts.flatMap((c) => c.waits), audioSec: sum((c) => c.audioSec),
  };
}

/** Dev: the recordings settings are chosen on (AMI trn*); held out: every other meeting. */
export const isDev = (r: RealRecording): boolean => /^trn/.test(r.name);

async function main(): Promise<void> {
  const arg = (name: string, fallback: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : fallback;
  };
  const earlies = arg('--early', 'off,200,250,300,350').split(',').map((s) => (s === 'off' ? undefined : Number(s)));
  const decodes = arg('--decode', '7,10,13,16,20').split(',').map(Number);
  const config = vadConfig();
  const meetings = vadRecordings().filter((r) => r.kind === 'meeting');
  const scored = await Promise.all(meetings.map(async (r) => ({ r, scored: await scoreFile(r.file, config) })));
  for (const [label, set] of [['dev (AMI trn*)', scored.filter((s) => isDev(s.r))], ['held out', scored.filter((s) => !isDev(s.r))]] as const) {
    const turns = set.reduce((n, s) => n + s.r.turns.length, 0);
    const minutes = set.reduce((n, s) => n + s.scored.durationSec, 0) / 60;
    console.log(`\n${label}: ${set.length} recordings, ${minutes.toFixed(1)} min, ${turns} reference turns`);
    console.log('| decode | earlyEndMs | finals | cut inside a turn | < 1 s | < 2 s | ended early | hangover after the early final p50 / p95 | notes lines (continued joined) | lines cut inside a turn |');
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (const decode of decodes) {
      for (const earlyEndMs of earlies) {
        const options: SegmenterOptions = { ...config.segmenter, earlyEndMs };
        const cuts = pooled(await Promise.all(set.map((s) => cutTurns(s.scored, s.r.turns, options, decode))));
        const waits = cuts.waits.map((w) => w * FRAME_MS);
        console.log(`| ${Math.round(decode * FRAME_MS)} ms | ${earlyEndMs ?? 'off'} | ${cuts.utterances} | ${cuts.midTurn} | ${cuts.under1s} | ${cuts.under2s} | ${cuts.endedEarly} | ${Math.round(percentile(waits, 0.5))} / ${Math.round(percentile(waits, 0.95))} ms | ${cuts.lines} | ${cuts.midTurnLines} |`);
      }
    }
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
