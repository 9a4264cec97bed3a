/**
 * The realtime meeting runs shared by figures 2 (CPU) and 3 (latency): the meeting fixture through EarshotService
 * with pace 'realtime' (frames arrive at the speed of speech, as from a microphone), base.en dimensions, once with
 * someone watching the partials (the panel visible) and once with nobody (finals only: earshot/partials false). Each
 * runs once per benchmark invocation, whichever figures ask for it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MeetingFixture, meetingFixture } from './fixtures';
import { runSession, SessionRun } from './session-run';
import { BENCH_DIR, benchModel, benchSayingModel, benchWeights, LONGEST_TURN_SAY, quiet } from './util';

/** The whole timeline of the watched run (seconds from capture time 0), for whoever wants to see why a figure is what it is. */
export const LIVE_TIMELINE = path.join(BENCH_DIR, 'results', 'live-meeting-timeline.json');
/** The same for the run nobody watched. */
export const UNWATCHED_TIMELINE = path.join(BENCH_DIR, 'results', 'live-meeting-timeline-unwatched.json');

export interface LiveRun {
  fixture: MeetingFixture;
  run: SessionRun;
  model: string;
  /** Which model, in words, when it is not the " hello" one (BENCH_LIVE_MODEL=saying). */
  modelNote?: string;
  quietWaitMs: number;
  /** Partials were wanted (someone watched the transcript) in this run. */
  watched: boolean;
  timeline: string;
}

const live = new Map<boolean, Promise<LiveRun>>();

/** The run with someone watching (default) or nobody, measured once per invocation. */
export function liveMeetingRun(watched = true): Promise<LiveRun> {
  let run = live.get(watched);
  if (!run) {
    run = measure(watched);
    live.set(watched, run);
  }
  return run;
}

/** The run if a figure before asked for it (figure 3 reports the unwatched run's latency only when figure 2 made it). */
export function liveMeetingRunIfMeasured(watched: boolean): Promise<LiveRun> | undefined {
  return live.get(watched);
}

function measure(watched: boolean): Promise<LiveRun> {
  return (async () => {
    const fixture = meetingFixture();
    // BENCH_LIVE_MODEL=saying: a model whose decodes end as a real model's would on this fixture (util.ts), for the
    // latency a real base.en would give; no trained weights reach the machines these figures are taken on.
    const saying = process.env.BENCH_LIVE_MODEL === 'saying';
    const model = saying ? benchSayingModel('base.en') : benchModel('base.en');
    const weights = benchWeights();
    const notes = [
      ...(saying ? [`MODEL: BENCH_LIVE_MODEL=saying, a generated base.en-dims model that says ${LONGEST_TURN_SAY.length} tokens and ends every decode ` +
        '(as many as a real model takes for the fixture\'s longest turn; fewer where the token cap is lower), instead of running to the cap.'] : []),
      ...(weights !== 'f16' ? [`WEIGHTS: BENCH_WEIGHTS=${weights}, the weight matrices stored as ggml-base.en-${weights}.bin stores them.`] : []),
    ];
    const modelNote = notes.length ? notes.join(' ') : undefined;
    const quietWaitMs = await quiet();
    process.stderr.write(`bench: realtime session over ${fixture.durationSec.toFixed(0)} s of meeting audio, ${watched ? 'partials watched' : 'nobody watching'}…\n`);
    const run = await runSession(model, { audioFile: fixture.file, pace: 'realtime', partialsWanted: watched });
    const rel = (wall: number) => Math.round(wall - run.t0) / 1000;
    const timeline = watched ? LIVE_TIMELINE : UNWATCHED_TIMELINE;
    fs.mkdirSync(path.dirname(timeline), { recursive: true });
    fs.writeFileSync(timeline, JSON.stringify({
      fixture: fixture.recipe,
      turns: fixture.turns,
      decodes: run.decodes.map((d) => ({ start: rel(d.start), end: rel(d.end), audioSec: d.audioSec, audioCtx: d.audioCtx, maxTokens: d.maxTokens })),
      aborted: run.aborted.map((d) => ({ start: rel(d.start), end: rel(d.end), audioSec: d.audioSec, partial: d.partial })),
      transcripts: run.transcripts.map((t) => ({ at: rel(t.wall), final: t.segment.final, t0: t.segment.t0, t1: t.segment.t1, words: t.segment.text.split(/\s+/).filter(Boolean).length })),
      degrades: run.degrades.map((d) => ({ at: rel(d.wall), level: d.level, name: d.name })),
    }, null, 1));
    return { fixture, run, model, ...(modelNote ? { modelNote } : {}), quietWaitMs, watched, timeline };
  })();
}
