/**
 * Figure 3 — latency in a realtime-paced session over the meeting fixture (live.ts), base.en dimensions:
 * - end of speech → final text: from the moment a turn's last word is captured (its end on the fixture's clock,
 *   known from media/sample/standup.json) to the moment the final segment covering it is announced; and what the
 *   pipeline adds to whisper: its p95 beyond the p95 of the final decodes (issue 41: within 100 ms), and per turn the
 *   time beyond the decode that gave the final (issue 60: ≤ 150 ms at the p95), and that time stage by stage from the
 *   pipeline's own marks (daemon/asr/latencyMarks.ts: the drop reaching the recognizer, the final's decode, the
 *   utterance's end, the hand-over, the journal, the announcement);
 * - speech onset → first partial: from the moment a turn's first word is captured to the first partial that
 *   overlaps the turn.
 * Capture time t happens at wall time t0 + t (session-run.ts); announcements are timed where the daemon would send
 * its notification (after the journal write).
 */
import { LIVE_TIMELINE, liveMeetingRun, liveMeetingRunIfMeasured } from './live';
import { Turn } from './fixtures';
import { Announced, DecodeCall, FILE_PERIOD_MS, isPartialDecode, SessionRun, whatIfNote } from './session-run';
import { LatencyMark } from '../../daemon/asr/latencyMarks';
import { CAPTURE_PERIOD_MS } from '../../daemon/capture/source';
import { benchWeights, FigureReport, fmtMs, median, percentile, rel, table } from './util';

/** Figure 3's breakdown of a turn's end → final, in order (ms each; they add up to end → final). */
export interface TurnStages {
  /** Labelled end → the recognizer learns the speech dropped (the detector letting go, the frame's delivery). */
  detector: number;
  /** → the decode whose text is the final starts (a partial in the way; for a final decoded after the end, the hangover). */
  toDecode: number;
  /** That decode: whisper's own time. */
  decode: number;
  /** Its end → the utterance's end, when the end came later (the hangover, or earlyEndMs, outlasting the decode). */
  hangover: number;
  /** → the recognizer hands the final over (queueing behind another decode). */
  recognizer: number;
  /** → the final's pieces where the voice changes (the speaker cut: a model run unless it ran beside the decode). */
  cut: number;
  /** → journaled (the segment, its mentions, the items and decisions it brings). */
  journal: number;
  /** → announced (the speaker's label, the notification). */
  announce: number;
}
export const STAGE_LABELS: Record<keyof TurnStages, string> = {
  detector: 'speech end → the drop reaches the recognizer (detector lag, frame delivery)',
  toDecode: '→ the final\'s decode starts (a partial stopping; after the end: the hangover)',
  decode: 'the final\'s own decode (whisper)',
  hangover: 'decode done → utterance ends (hangover or earlyEndMs outlasting the decode)',
  recognizer: '→ the recognizer hands the final over (queueing)',
  cut: '→ its pieces where the voice changes (speaker cut)',
  journal: '→ journaled (segment, mentions, items)',
  announce: '→ announced (speaker label, notification)',
};

/**
 * A turn's stages from the run's latency marks (daemon/asr/latencyMarks.ts), for the final announced as `last`;
 * undefined when its marks are incomplete (a final decoded with no drop before it: the audio stopped mid-speech).
 */
export function turnStages(marks: readonly LatencyMark[], last: Announced, endWall: number): TurnStages | undefined {
  const id = last.segment.segmentId;
  // An id of a discarded onset is used again by the next speech: only the marks of the utterance that gave this final,
  // the last ones before its announcement.
  const mine = marks.filter((m) => m.segmentId === id && m.at <= last.wall);
  const ready = mine.filter((m) => m.stage === 'finalReady').pop();
  const journaled = mine.filter((m) => m.stage === 'journaled').pop();
  const cut = mine.filter((m) => m.stage === 'cut').pop();
  const decode = mine.filter((m) => m.stage === 'finalDecode').pop()?.span;
  const end = mine.filter((m) => m.stage === 'vadEnd').pop();
  if (!ready || !cut || !journaled || !decode || !end) return undefined;
  const drop = mine.filter((m) => m.stage === 'drop' && m.at <= Math.min(decode.start, end.at)).pop();
  const dropAt = drop?.at ?? end.at;
  return {
    detector: dropAt - endWall,
    toDecode: decode.start - dropAt,
    decode: decode.end - decode.start,
    hangover: Math.max(0, end.at - decode.end),
    recognizer: ready.at - Math.max(decode.end, end.at),
    cut: cut.at - ready.at,
    journal: journaled.at - cut.at,
    announce: last.wall - journaled.at,
  };
}

/** Figure 3's breakdown of a turn's speech onset → first partial (ms each; they add up to onset → first partial). */
export interface OnsetStages {
  /** The turn's first word → the recognizer hears of its utterance (the onset's speech, the detector, the frame's delivery). */
  detector: number;
  /** → the decode of the first partial starts (waiting behind the main context's decode in progress, or a second context's load). */
  wait: number;
  /** That decode: whisper's own time. */
  decode: number;
  /** Its end → handed over (held until the start is confirmed; a final handed over before it). */
  held: number;
  /** → announced. */
  announce: number;
}
export const ONSET_STAGE_LABELS: Record<keyof OnsetStages, string> = {
  detector: 'first word → the recognizer hears of it (onset, detector, frame delivery)',
  wait: '→ the first partial\'s decode starts (waiting behind another decode)',
  decode: 'the first partial\'s own decode (whisper)',
  held: 'decode done → handed over (held for the start\'s confirmation)',
  announce: '→ announced',
};

/**
 * A turn's onset stages from the run's marks, for its first partial `first`, and the main context's decode in progress
 * when the recognizer heard of the utterance ('final' also for an early final); undefined when its marks are incomplete
 * or its utterance was heard before the turn began (one utterance over two turns).
 */
export function onsetStages(run: SessionRun, first: Announced, startWall: number): { stages: OnsetStages; behind: 'final' | 'partial' | 'nothing'; beside: boolean } | undefined {
  const id = first.segment.segmentId;
  const mine = (run.marks ?? []).filter((m) => m.segmentId === id && m.at <= first.wall);
  const shown = mine.filter((m) => m.stage === 'firstPartial').pop();
  const heard = mine.filter((m) => m.stage === 'heard' && m.at <= (shown?.at ?? -Infinity)).pop();
  if (!shown?.span || !heard || heard.at < startWall) return undefined;
  const running = [...run.decodes, ...run.aborted].find((d) => !d.beside && d.start <= heard.at && heard.at < d.end);
  const beside = run.decodes.some((d) => d.beside && Math.abs(d.start - shown.span!.start) < 5);
  return {
    stages: {
      detector: heard.at - startWall, wait: shown.span.start - heard.at, decode: shown.span.end - shown.span.start,
      held: shown.at - shown.span.end, announce: first.wall - shown.at,
    },
    behind: running ? (running.partial ? 'partial' : 'final') : 'nothing',
    beside,
  };
}

/** End of speech → final per turn, and the final decodes that gave them (figure 3's rows, for one run). */
function endOfSpeech(run: SessionRun, turns: readonly Turn[]) {
  const at = (captureSec: number) => run.t0 + captureSec * 1000;
  const endLatency: number[] = [];
  const finalDecodeMs: number[] = [];
  const waitBeforeDecode: number[] = [];
  /** Per turn whose final came from a final decode: end → final less that decode's time. */
  const beyondDecode: number[] = [];
  const stages: TurnStages[] = [];
  for (const turn of turns) {
    const { finals } = turnAnnouncements(run, turn);
    if (finals.length === 0) continue;
    const last = lastFinal(finals);
    endLatency.push(last.wall - at(turn.end));
    const marked = turnStages(run.marks ?? [], last, at(turn.end));
    if (marked) {
      // The decode that gave the final, as the recognizer saw it (the early final's, or one after the end).
      stages.push(marked);
      finalDecodeMs.push(marked.decode);
      waitBeforeDecode.push(marked.detector + marked.toDecode);
      beyondDecode.push(last.wall - at(turn.end) - marked.decode);
      continue;
    }
    const decode = decodeBefore(run.decodes, last.wall);
    if (decode && !isPartialDecode(decode)) {
      finalDecodeMs.push(decode.end - decode.start);
      waitBeforeDecode.push(decode.start - at(turn.end));
      beyondDecode.push(last.wall - at(turn.end) - (decode.end - decode.start));
    }
  }
  return { endLatency, finalDecodeMs, waitBeforeDecode, beyondDecode, stages, beyondP95: percentile(endLatency, 0.95) - percentile(finalDecodeMs, 0.95) };
}

export async function latency(): Promise<FigureReport> {
  const { fixture, run, modelNote } = await liveMeetingRun();
  const at = (captureSec: number) => run.t0 + captureSec * 1000;
  const { endLatency, finalDecodeMs, waitBeforeDecode, beyondDecode, stages, beyondP95 } = endOfSpeech(run, fixture.turns);
  const onsetLatency: number[] = [];
  let noPartial = 0;
  let partialFirst = 0;
  const noFinal = fixture.turns.length - endLatency.length;

  const onsets: NonNullable<ReturnType<typeof onsetStages>>[] = [];
  for (const turn of fixture.turns) {
    const { finals, partials } = turnAnnouncements(run, turn);
    if (partials.length === 0) {
      noPartial++;
    } else {
      const first = partials.reduce((a, b) => (b.wall < a.wall ? b : a));
      onsetLatency.push(first.wall - at(turn.start));
      const staged = onsetStages(run, first, at(turn.start));
      if (staged) onsets.push(staged);
      if (finals.length === 0 || first.wall < Math.min(...finals.map((f) => f.wall))) partialFirst++;
    }
  }

  const partialDecodes = run.decodes.filter(isPartialDecode);
  const fullDecodes = run.decodes.filter((d) => !isPartialDecode(d));
  const p = (xs: number[], q: number) => fmtMs(percentile(xs, q));
  const endP95 = percentile(endLatency, 0.95);
  const onsetP95 = percentile(onsetLatency, 0.95);
  const rows: (string | number)[][] = [
    ['end of speech → final text', endLatency.length, p(endLatency, 0.5), `**${p(endLatency, 0.95)}**`, p(endLatency, 1), '≤ 700 ms', noFinal ? `${noFinal} turns without a final` : ''],
    ['speech onset → first partial', onsetLatency.length, p(onsetLatency, 0.5), `**${p(onsetLatency, 0.95)}**`, p(onsetLatency, 1), '≤ 400 ms', noPartial ? `${noPartial} turns without a partial` : ''],
    ['  of which: speech end → final decode starts', waitBeforeDecode.length, p(waitBeforeDecode, 0.5), p(waitBeforeDecode, 0.95), p(waitBeforeDecode, 1), '', 'the VAD letting go (the early final starts as the speech drops), a stale partial stopping'],
    ['  of which: final decode', finalDecodeMs.length, p(finalDecodeMs, 0.5), p(finalDecodeMs, 0.95), p(finalDecodeMs, 1), '', ''],
    ['**the pipeline beyond whisper**: end → final p95 − final decode p95', '', '', `**${fmtMs(beyondP95)}**`, '', '≤ 100 ms', ''],
    ['**per turn: end → final − its own final decode**', beyondDecode.length, p(beyondDecode, 0.5), `**${p(beyondDecode, 0.95)}**`, p(beyondDecode, 1), '≤ 150 ms', 'issue 60; the stages below'],
  ];
  // Where the time beyond whisper goes, per turn and stage (the stages add up to end → final; the decode is whisper's).
  const stageRows: (string | number)[][] = (Object.keys(STAGE_LABELS) as (keyof TurnStages)[]).map((k) => {
    const xs = stages.map((t) => t[k]);
    return [STAGE_LABELS[k], xs.length, p(xs, 0.5), p(xs, 0.95), p(xs, 1), fmtMs(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length))];
  });
  // Where the first partial's time goes, per turn, and what its decode waited behind.
  const onsetRows: (string | number)[][] = (Object.keys(ONSET_STAGE_LABELS) as (keyof OnsetStages)[]).map((k) => {
    const xs = onsets.map((o) => o.stages[k]);
    return [ONSET_STAGE_LABELS[k], xs.length, p(xs, 0.5), p(xs, 0.95), p(xs, 1), fmtMs(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length))];
  });
  for (const behind of ['final', 'partial', 'nothing'] as const) {
    const of = onsets.filter((o) => o.behind === behind);
    const waits = of.map((o) => o.stages.wait);
    const totals = of.map((o) => Object.values(o.stages).reduce((a, b) => a + b, 0));
    onsetRows.push([`  heard while the main context decoded: ${behind === 'final' ? 'a final (or early final)' : behind === 'partial' ? 'a partial' : 'nothing'}; ` +
      `wait, then onset → first partial`, of.length, `${p(waits, 0.5)}; ${p(totals, 0.5)}`, `${p(waits, 0.95)}; ${p(totals, 0.95)}`, `${p(waits, 1)}; ${p(totals, 1)}`,
      `${of.filter((o) => o.beside).length} decoded beside`]);
  }
  // The run nobody watched (finals only), when figure 2 measured it in this invocation.
  const unwatchedRun = liveMeetingRunIfMeasured(false);
  if (unwatchedRun) {
    const other = endOfSpeech((await unwatchedRun).run, fixture.turns);
    rows.push(
      ['end of speech → final text, nobody watching (finals only)', other.endLatency.length, p(other.endLatency, 0.5), p(other.endLatency, 0.95), p(other.endLatency, 1), '', ''],
      ['  of which: final decode', other.finalDecodeMs.length, p(other.finalDecodeMs, 0.5), p(other.finalDecodeMs, 0.95), p(other.finalDecodeMs, 1), '', ''],
      ['  the pipeline beyond whisper (p95 − p95)', '', '', fmtMs(other.beyondP95), '', '≤ 100 ms', ''],
    );
  }
  const decodeRow = (label: string, decodes: DecodeCall[]): (string | number)[] => decodes.length === 0
    ? [label, 0, '–', '–', '–', '–']
    : [label, decodes.length, fmtMs(median(decodes.map(ms))), fmtMs(percentile(decodes.map(ms), 0.95)),
      `${median(decodes.map((d) => d.audioSec)).toFixed(2)} s`, median(decodes.map((d) => d.audioCtx || 1500)).toFixed(0)];
  const decodeRows: (string | number)[][] = [
    decodeRow('partial (reduced audio_ctx)', partialDecodes.filter((d) => !d.beside)),
    decodeRow('first partial on the second context, beside the main one', partialDecodes.filter((d) => d.beside)),
    decodeRow('final', fullDecodes),
    // From the request to the moment it gave up: how long whisper spent on text nobody saw.
    decodeRow('stopped: partials (speech paused)', run.aborted.filter((d) => d.partial)),
    decodeRow('stopped: early finals (speech resumed)', run.aborted.filter((d) => !d.partial)),
  ];
  const busy = run.decodes.reduce((s, d) => s + (d.end - d.start), 0) / 1000;
  return {
    title: 'Latency: end of speech → final text, speech onset → first partial (realtime session, base.en dims)',
    commands: [`${process.env.BENCH_FILE_PERIOD_MS ? `BENCH_FILE_PERIOD_MS=${FILE_PERIOD_MS} ` : ''}${process.env.BENCH_LIVE_MODEL === 'saying' ? 'BENCH_LIVE_MODEL=saying ' : ''}${benchWeights() !== 'f16' ? `BENCH_WEIGHTS=${benchWeights()} ` : ''}npm run bench -- latency`],
    lines: [
      ...table(['latency', 'turns', 'p50', 'p95', 'max', 'target (p95)', ''], rows),
      '',
      ...table(['end of speech → final, stage by stage (per turn)', 'turns', 'p50', 'p95', 'max', 'mean'], stageRows),
      '',
      ...table(['speech onset → first partial, stage by stage (per turn)', 'turns', 'p50', 'p95', 'max', 'mean'], onsetRows),
      '',
      ...table(['whisper decodes in the session', 'count', 'median', 'p95', 'median audio', 'median audio_ctx'], decodeRows),
    ],
    notes: [
      ...(whatIfNote() ? [`**${whatIfNote()}**`] : []),
      ...(modelNote ? [`**${modelNote}**`] : []),
      `Fixture: ${fixture.recipe}, ${fixture.turns.length} turns with known start/end; realtime pace, frames handed over every ${FILE_PERIOD_MS} ms` +
        `${FILE_PERIOD_MS === CAPTURE_PERIOD_MS ? ' as live capture delivers them' : ` (BENCH_FILE_PERIOD_MS; live capture: ${CAPTURE_PERIOD_MS} ms)`} (${run.wallSec.toFixed(0)} s wall for ` +
        `${run.audioSec.toFixed(0)} s of audio). Whisper was busy ${busy.toFixed(0)} s of the session (${(100 * busy / run.wallSec).toFixed(0)}%); ` +
        `other processes kept ${run.foreignCores.toFixed(2)} cores busy on average. Earshot used ${(run.cpuSec / run.audioSec).toFixed(3)} CPU-s per audio-s.`,
      `${run.transcripts.filter((t) => t.segment.final && t.segment.text).length} finals for ${fixture.turns.length} turns ` +
        `(a turn's pause that outlasts its early final's decode and earlyEndMs starts a new utterance). ` +
        `${partialFirst} of ${fixture.turns.length} turns showed a partial before their first final. Every decode and announcement of ` +
        `the run, on the capture clock: ${rel(LIVE_TIMELINE)}.`,
      run.degrades.length
        ? `Degrade ladder: ${run.degrades.map((d) => `${d.name} at ${((d.wall - run.t0) / 1000).toFixed(0)} s`).join(', ')} (recognition fell behind real time).`
        : 'The degrade ladder stayed at "normal" (recognition kept up).',
    ],
    targets: [
      { metric: 'end of speech → final, p95', value: fmtMs(endP95), target: '≤ 700 ms', met: endP95 <= 700 },
      { metric: 'end of speech → final p95 beyond the final decode\'s p95', value: fmtMs(beyondP95), target: '≤ 100 ms', met: beyondP95 <= 100 },
      { metric: 'end of speech → final less the turn\'s own final decode, p95 (per turn)', value: fmtMs(percentile(beyondDecode, 0.95)), target: '≤ 150 ms', met: percentile(beyondDecode, 0.95) <= 150 },
      { metric: 'speech onset → first partial, p95', value: fmtMs(onsetP95) + (noPartial ? ` (${noPartial} turns had none)` : ''), target: '≤ 400 ms', met: onsetP95 <= 400 && noPartial === 0 },
    ],
  };
}

const ms = (d: DecodeCall) => d.end - d.start;

/** The decode whose result an announcement carried: the last one that finished before it. */
function decodeBefore(decodes: DecodeCall[], wall: number): DecodeCall | undefined {
  let best: DecodeCall | undefined;
  for (const d of decodes) if (d.end <= wall && (!best || d.end > best.end)) best = d;
  return best;
}

/** The announcements (with text) overlapping a turn on the capture clock, finals and partials. */
function turnAnnouncements(run: SessionRun, turn: Turn): { finals: Announced[]; partials: Announced[] } {
  const overlapping = run.transcripts.filter((a) => a.segment.text && a.segment.t0 < turn.end && a.segment.t1 > turn.start);
  return { finals: overlapping.filter((a) => a.segment.final), partials: overlapping.filter((a) => !a.segment.final) };
}

/** The final of the turn's last utterance: the one reaching furthest on the capture clock. */
const lastFinal = (finals: Announced[]) => finals.reduce((a, b) => (b.segment.t1 > a.segment.t1 ? b : a));

/** End of speech → final text (ms) of each turn that got a final, and how many got none (figure 3's first row). */
export function endOfSpeechLatencies(turns: readonly Turn[], run: SessionRun): { ms: number[]; noFinal: number } {
  const ms: number[] = [];
  let noFinal = 0;
  for (const turn of turns) {
    const { finals } = turnAnnouncements(run, turn);
    if (finals.length) ms.push(lastFinal(finals).wall - (run.t0 + turn.end * 1000));
    else noFinal++;
  }
  return { ms, noFinal };
}
