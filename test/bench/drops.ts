/**
 * Figure 3D — when the early final can start, and what it costs, from the voice detection alone (no whisper, so no
 * machine load in it: the same numbers on any machine). The segmenter as the daemon runs it (default profile, Silero
 * v6) over the meeting fixture, whose turn ends are known, and over the real meetings of test/fixtures/real-audio (AMI),
 * for the early final's cue before issue 41 (two unvoiced frames after the voice) and now (the score dropping below
 * dropThreshold; 0: the first unvoiced frame):
 * - speech end → cue: from a turn's last word to the frame at which the recognizer may start its final (its delivery
 *   and the decode come on top): the pipeline's own wait in figure 3;
 * - cues a minute, and how many of them the speech resumed after: each of those is an early final decoded (or stopped)
 *   for nothing while someone watches (nobody watching: no early final at all).
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import { FileSource, FRAME_SAMPLES, SAMPLE_RATE } from '../../daemon/capture/source';
import { createSpeechDetector, vadConfig } from '../../daemon/vad/config';
import { DEFAULT_SEGMENTER_OPTIONS, segmentUtterances } from '../../daemon/vad/segmenter';
import { REPO_ROOT } from '../setup';
import { meetingFixture } from './fixtures';
import { fmtMs, FigureReport, percentile, table } from './util';

interface Cue { id: string; at: number; resumed: boolean }

/**
 * The cues of both rules over one file: the sample each is given at, and whether the speech went on after it; and the
 * onsets told (each a first partial decoded early while someone watches) and those discarded (decoded for nothing).
 */
async function cues(file: string, dropThreshold: number): Promise<{ before: Cue[]; now: Cue[]; durationSec: number; onsets: number; discarded: number }> {
  const vad = vadConfig();
  const source = await FileSource.open(file, { pace: 'fast' });
  const before: Cue[] = [], now: Cue[] = [];
  let end = 0, utterance = '', voicedEnd = 0, onsets = 0, discarded = 0;
  let openBefore: Cue | undefined, openNow: Cue | undefined;
  for await (const e of segmentUtterances(source.frames(new AbortController().signal), await createSpeechDetector(vad), { ...vad.segmenter, dropThreshold })) {
    // Speech not yet started: no cue.
    if (e.type === 'onset') onsets++;
    if (e.type === 'discard') discarded++;
    if (e.type === 'onset' || e.type === 'discard') continue;
    const u = e.utterance;
    end = u.startSample + u.samples.length;
    if (u.id !== utterance) [utterance, voicedEnd, openBefore, openNow] = [u.id, u.voicedEndSample, undefined, undefined];
    // Before: the cue came with the second unvoiced frame after the voice; a voiced frame after it resumed the speech.
    if (u.voicedEndSample > voicedEnd) {
      if (openBefore) openBefore.resumed = true;
      [openBefore, voicedEnd] = [undefined, u.voicedEndSample];
    }
    if (!openBefore && e.type !== 'end' && end - u.voicedEndSample >= 2 * FRAME_SAMPLES) before.push(openBefore = { id: u.id, at: end, resumed: false });
    // Now: a pause is the cue; the final's cut moving on (or gone) resumed it.
    if (e.type === 'pause') {
      if (openNow) openNow.resumed = true;
      now.push(openNow = { id: u.id, at: end, resumed: false });
    } else if (e.type === 'audio' && u.finalEndSample === undefined && openNow) {
      [openNow.resumed, openNow] = [true, undefined];
    }
  }
  return { before, now, durationSec: end / SAMPLE_RATE, onsets, discarded };
}

export async function drops(): Promise<FigureReport> {
  const threshold = DEFAULT_SEGMENTER_OPTIONS.dropThreshold;
  const fixture = meetingFixture();
  const amiDir = path.join(REPO_ROOT, 'test', 'fixtures', 'real-audio');
  const ami = [
    ...fs.readdirSync(path.join(amiDir, 'ami')).filter((f) => f.endsWith('.wav')).map((f) => path.join(amiDir, 'ami', f)),
    path.join(amiDir, 'ami-es2004a', 'ES2004a_750-810.wav'),
  ];
  const rows: (string | number)[][] = [];
  const rules: [string, (c: Awaited<ReturnType<typeof cues>>) => Cue[], number][] = [
    ['before: two unvoiced frames', (c) => c.before, threshold],
    ['now: first unvoiced frame (dropThreshold 0)', (c) => c.now, 0],
    ['now: score below 0.5 (the default until issue 41\'s second pass)', (c) => c.now, 0.5],
    [`now: score below ${threshold} (dropThreshold, the default)`, (c) => c.now, threshold],
  ];
  let onsetMinutes = 0, onsets = 0, discarded = 0;
  for (const [label, pick, drop] of rules) {
    const meeting = await cues(fixture.file, drop);
    // The cue of each turn's end: the last one before its utterance ended (the one whose early final stands).
    const waits: number[] = [];
    for (const turn of fixture.turns) {
      const after = pick(meeting).filter((c) => !c.resumed && c.at / SAMPLE_RATE >= turn.end - 0.05);
      if (after.length) waits.push(after[0].at / SAMPLE_RATE * 1000 - turn.end * 1000);
    }
    let minutes = 0, count = 0, resumed = 0;
    for (const file of ami) {
      const c = await cues(file, drop);
      if (label === rules[rules.length - 1][0]) [onsetMinutes, onsets, discarded] = [onsetMinutes + c.durationSec / 60, onsets + c.onsets, discarded + c.discarded];
      minutes += c.durationSec / 60;
      count += pick(c).length;
      resumed += pick(c).filter((x) => x.resumed).length;
    }
    const m = pick(meeting);
    rows.push([
      label, waits.length, fmtMs(percentile(waits, 0.5)), `**${fmtMs(percentile(waits, 0.95))}**`,
      `${(m.length / (fixture.durationSec / 60)).toFixed(1)} (${(m.filter((c) => c.resumed).length / (fixture.durationSec / 60)).toFixed(1)} resumed)`,
      `${(count / minutes).toFixed(1)} (**${(resumed / minutes).toFixed(1)}** resumed)`,
    ]);
  }
  return {
    title: 'When the early final can start: speech end → cue, and cues resumed after (voice detection only)',
    commands: ['npm run bench -- drops'],
    lines: table(['cue', 'turns', 'speech end → cue, p50', 'p95', 'meeting fixture: cues a minute', `AMI (${ami.length} files): cues a minute`], rows),
    notes: [
      `Meeting fixture: ${fixture.recipe}, turn ends from media/sample/standup.json; cue at the end of the frame that gives it (capture clock). ` +
        'Figure 3\'s "speech end → final decode starts" adds the frame\'s delivery (up to 20 ms) and a stale partial stopping.',
      `Onsets (the first partial decoded while the start is confirmed, SegmenterOptions.onsetMs ${DEFAULT_SEGMENTER_OPTIONS.onsetMs} ms): on AMI ` +
        `${(onsets / onsetMinutes).toFixed(1)} a minute, of which **${(discarded / onsetMinutes).toFixed(1)}** discarded (speech that never started: ` +
        'one small partial decoded for nothing while someone watches).',
      'Resumed: the speech went on after the cue (a voiced frame before two more unvoiced frames for the old cue; a sure frame, or quieter voice past ' +
        'Silero\'s two frames of lag, for the new one): an early final started for nothing while someone watched.',
    ],
    targets: [],
  };
}
