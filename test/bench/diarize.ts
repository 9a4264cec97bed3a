/**
 * Figure D — CPU per second of audio of the speaker stage (daemon/speakers/: the segmentation model's windows,
 * linking, turns) beside whisper's live pipeline on the same real meeting audio, measured in the same run. The stage
 * is fed the file's frames as fast as it takes them (its work per audio second does not depend on the pace); the
 * whisper side is a realtime session (EarshotService, as figure 2) with speakers off, with a generated base.en-dimension
 * model that says as many tokens as a real model's longest turn and then ends each decode (a " hello" model runs every
 * decode to its token cap and would make whisper look dearer and the ratio better than it is). Then the same session
 * with speakers on, as users run it (session/speakers.ts beside each source): its CPU against the first, and how long
 * after a final its speaker followed (TranscriptRelabel), in wall time.
 */
import { FileSource, SAMPLE_RATE } from '../../daemon/capture/source';
import { SpeakerStage } from '../../daemon/speakers/stage';
import { SpectralReidentifier } from '../../daemon/speakers/spectral';
import { DEFAULT_DIARIZE_OPTIONS } from '../../daemon/speakers/tracker';
import { realRecordings } from '../eval/vad/corpus';
import { runSession } from './session-run';
import { benchSayingModel, envNum, FigureReport, LONGEST_TURN_SAY, ownCpu, quiet, rel, table, THREADS } from './util';

const TARGET = 0.1;

/** CPU seconds the stage takes for `file`, and the audio's length. */
async function stageCpu(file: string): Promise<{ cpuSec: number; audioSec: number; windows: number }> {
  // As a session without the voice model runs it: weak turns and spectral re-identification included (issue 57).
  const stage = await SpeakerStage.create({}, new SpectralReidentifier());
  const source = await FileSource.open(file, { pace: 'fast' });
  const frames = [];
  for await (const f of source.frames(new AbortController().signal)) frames.push(f);
  const cpu0 = ownCpu();
  for (const f of frames) await stage.push(f);
  await stage.end();
  const audioSec = frames.reduce((n, f) => n + f.samples.length, 0) / SAMPLE_RATE;
  return { cpuSec: ownCpu() - cpu0, audioSec, windows: stage.stats.windows };
}

export async function diarizeCpu(): Promise<FigureReport> {
  const meetings = realRecordings().filter((r) => r.kind === 'meeting');
  const es2004a = meetings.find((r) => r.name.startsWith('ES2004a'))!;
  await SpeakerStage.create(); // the model's load is not the stage's per-second cost
  await quiet();
  const reps = envNum('BENCH_REPS', 3);
  let cpuSec = 0, audioSec = 0, windows = 0;
  for (let i = 0; i < reps; i++) {
    for (const m of meetings) {
      const r = await stageCpu(m.file);
      cpuSec += r.cpuSec; audioSec += r.audioSec; windows += r.windows;
    }
  }
  const stagePerSec = cpuSec / audioSec;
  const model = benchSayingModel('base.en');
  await quiet();
  const run = await runSession(model, { audioFile: es2004a.file, pace: 'realtime', serviceConfig: { identifySpeakers: false } });
  const whisperPerSec = run.cpuSec / run.audioSec;
  const ratio = stagePerSec / whisperPerSec;
  await quiet();
  const live = await runSession(model, { audioFile: es2004a.file, pace: 'realtime' });
  const livePerSec = live.cpuSec / live.audioSec;
  const finals = live.transcripts.filter((t) => t.segment.final && t.segment.text);
  const pending = finals.filter((t) => t.segment.speakerPending);
  const lags = pending.flatMap((t) => {
    const after = live.relabels.find((r) => r.wall >= t.wall && r.params.segments.some((s) => s.segmentId === t.segment.segmentId));
    return after ? [(after.wall - t.wall) / 1000] : [];
  }).sort((a, b) => a - b);
  const at = (q: number) => (lags.length ? lags[Math.min(lags.length - 1, Math.floor(q * lags.length))].toFixed(1) : '–');
  return {
    title: 'CPU per second of audio: the speaker stage beside whisper\'s live pipeline',
    commands: ['npm run bench -- diarize'],
    lines: table(['what', 'audio', 'CPU', 'CPU-s per audio-s'], [
      [`speaker stage (${DEFAULT_DIARIZE_OPTIONS.stepSec} s window step, ${(windows / reps)} windows per pass, ${reps} passes)`, `${(audioSec / reps).toFixed(0)} s × ${reps}`, `${cpuSec.toFixed(2)} s`, `**${stagePerSec.toFixed(4)}**`],
      [`whisper live pipeline (EarshotService, pace realtime, ${THREADS} threads, VAD included)`, `${run.audioSec.toFixed(0)} s`, `${run.cpuSec.toFixed(1)} s`, whisperPerSec.toFixed(3)],
      ['**ratio speaker stage / whisper**', '', '', `**${ratio.toFixed(3)}**`],
      [`the same session with speakers on (the stage beside the source, as users run it)`, `${live.audioSec.toFixed(0)} s`, `${live.cpuSec.toFixed(1)} s`, `${livePerSec.toFixed(3)} (${(livePerSec / whisperPerSec).toFixed(3)}× off)`],
    ]).concat(['', ...table(['finals', 'speaker known at once', 'speaker followed (relabel)', 'lag p50', 'lag p95', 'lag max'], [
      [String(finals.length), String(finals.length - pending.length), String(lags.length), `${at(0.5)} s`, `${at(0.95)} s`, lags.length ? `${lags[lags.length - 1].toFixed(1)} s` : '–'],
    ])]),
    notes: [
      `Audio: the ${meetings.length} committed AMI meeting recordings (test/fixtures/real-audio: ami/, ami-es2004a/) for the stage; ` +
        `${es2004a.name} (${run.audioSec.toFixed(0)} s, four people, speech throughout) for whisper.`,
      `Whisper model: ${rel(model)} (generated base.en dimensions, says ${LONGEST_TURN_SAY.length} tokens and ends each decode, as a real model would on its longest turn). ` +
        'Process CPU (user + system, every thread); the stage runs one onnxruntime thread.',
    ],
    targets: [{ metric: 'speaker stage CPU / whisper CPU, per audio-s', value: ratio.toFixed(3), target: `≤ ${TARGET}`, met: ratio <= TARGET }],
  };
}
