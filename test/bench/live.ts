/**
 * The realtime meeting run shared by figures 2 (CPU) and 3 (latency): the meeting fixture through EarshotService
 * with pace 'realtime' (frames arrive at the speed of speech, as from a microphone), base.en dimensions. Run once
 * per benchmark invocation when both figures are asked for.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MeetingFixture, meetingFixture } from './fixtures';
import { runSession, SessionRun } from './session-run';
import { BENCH_DIR, benchModel, quiet } from './util';

/** The whole timeline of the run (seconds from capture time 0), for whoever wants to see why a figure is what it is. */
export const LIVE_TIMELINE = path.join(BENCH_DIR, 'results', 'live-meeting-timeline.json');

export interface LiveRun {
  fixture: MeetingFixture;
  run: SessionRun;
  model: string;
  quietWaitMs: number;
}

let live: Promise<LiveRun> | undefined;

export function liveMeetingRun(): Promise<LiveRun> {
  live ??= (async () => {
    const fixture = meetingFixture();
    const model = benchModel('base.en');
    const quietWaitMs = await quiet();
    process.stderr.write(`bench: realtime session over ${fixture.durationSec.toFixed(0)} s of meeting audio…\n`);
    const run = await runSession(model, { audioFile: fixture.file, pace: 'realtime' });
    const rel = (wall: number) => Math.round(wall - run.t0) / 1000;
    fs.mkdirSync(path.dirname(LIVE_TIMELINE), { recursive: true });
    fs.writeFileSync(LIVE_TIMELINE, JSON.stringify({
      fixture: fixture.recipe,
      turns: fixture.turns,
      decodes: run.decodes.map((d) => ({ start: rel(d.start), end: rel(d.end), audioSec: d.audioSec, audioCtx: d.audioCtx, maxTokens: d.maxTokens })),
      transcripts: run.transcripts.map((t) => ({ at: rel(t.wall), final: t.segment.final, t0: t.segment.t0, t1: t.segment.t1, words: t.segment.text.split(/\s+/).filter(Boolean).length })),
      degrades: run.degrades.map((d) => ({ at: rel(d.wall), level: d.level, name: d.name })),
    }, null, 1));
    return { fixture, run, model, quietWaitMs };
  })();
  return live;
}
