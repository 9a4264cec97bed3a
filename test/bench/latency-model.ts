/**
 * Figure 3 with a local notes model extracting while the meeting runs (issue 30: within 10 % of figure 3 without it):
 * the realtime meeting fixture (live.ts's) twice in the same invocation, back to back, through EarshotService — first
 * without a model (the anchor), then with provider 'local' and a generated GGUF (the 1.5B's dimensions by default),
 * the service's live extraction sending each chunk as it closes, through the real model process. End of speech →
 * final text is measured as figure 3 measures it (latency.ts); the ratio of the p95s is the figure.
 *
 * With `qwen2.5-1.5b-ranked` (weights whose answers end: the same short answer whatever they read, ~300 generated
 * tokens a chunk) the extraction is not cancelled: the run then also measures, end to end, the time from the audio's
 * end to the model's last chunk answered (the items) and to the session done (the final notes, summary included),
 * against the same times without a model. It runs the meeting with the model twice: a user's first meeting (the model
 * reads its system prompts during it and keeps them: systemPromptState.ts), then a later one (a fresh model process
 * that starts with them kept).
 *
 *   BENCH_LOCAL_FIG3_MODEL=qwen2.5-1.5b | qwen2.5-1.5b-ranked | tiny   the model extracting (tiny: test/setup.ts's 600 KB model)
 *   BENCH_LOCAL_CHUNK_CHARS=1000 (2000 ranked)    chunk size, small so that chunks close during a 3-minute fixture
 *   BENCH_LOCAL_LATER=0                           ranked: the first meeting only (no later one)
 *   BENCH_MEETING_COPIES=18                       a longer meeting (fixtures.ts; with the default chunk size, 6000)
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { localModelThreads, sharesWhisperCores } from '../../daemon/understanding/local/host';
import { notesStateDir } from '../../daemon/models/notesModels';
import { ServiceConfig } from '../../daemon/service/serviceConfig';
import { notesModel, REPO_ROOT } from '../setup';
import { meetingFixture } from './fixtures';
import { endOfSpeechLatencies } from './latency';
import { benchNotesModel } from './local-model';
import { runSession, SessionRun } from './session-run';
import { benchModel, benchSayingModel, envNum, fmtMs, FigureReport, percentile, quiet, table, tempDir, THREADS } from './util';

export async function latencyWithModel(): Promise<FigureReport> {
  const which = process.env.BENCH_LOCAL_FIG3_MODEL ?? 'qwen2.5-1.5b';
  if (which !== 'tiny' && which !== 'qwen2.5-1.5b' && which !== 'qwen2.5-1.5b-ranked') throw new Error('BENCH_LOCAL_FIG3_MODEL: tiny, qwen2.5-1.5b or qwen2.5-1.5b-ranked');
  const ranked = which === 'qwen2.5-1.5b-ranked';
  const notes = which === 'tiny' ? notesModel('random') : benchNotesModel('qwen2.5-1.5b', ranked ? 'ranked' : 'random').file;
  const chunkChars = envNum('BENCH_LOCAL_CHUNK_CHARS', ranked ? 2000 : 1000);
  const fixture = meetingFixture();
  const modelThreads = localModelThreads(undefined, undefined, false, THREADS);
  // Ranked: a whisper that says a real turn's words (as long as the sample's longest turn), so the transcript the notes
  // model reads is as long as a real one's; the " hello" model runs every decode to its cap.
  const whisper = ranked ? benchSayingModel('base.en') : benchModel('base.en');
  await quiet();
  process.stderr.write(`bench: realtime session without a model (${fixture.durationSec.toFixed(0)} s)…\n`);
  const without = await runSession(whisper, { audioFile: fixture.file, pace: 'realtime' });
  // The model cache folder the service keeps the notes model's system prompts in (fresh: nothing kept yet).
  const cacheDir = tempDir('model-cache');
  const selection = { path: whisper, model: undefined, source: 'path', cacheDir, reason: 'bench', recommendedId: 'base.en' } as ServiceConfig['selection'];
  const withLocalModel = () => runSession(whisper, {
    audioFile: fixture.file, pace: 'realtime',
    serviceConfig: { enhancement: { provider: 'local', model: notes, chunkChars }, selection },
    // Random weights answer at the cap: what is measured is the meeting, the chunks left at stop are figure L's business.
    // Ranked weights end their answers: the stop is measured too.
    ...(ranked ? {} : { cancelExtractionAtSec: fixture.durationSec - 0.1 }),
  });
  process.stderr.write('bench: the same session with the local model extracting live (its system prompts not yet kept)…\n');
  const withModel = await withLocalModel();
  const stateDir = notesStateDir(cacheDir);
  const kept = fs.existsSync(stateDir) ? fs.readdirSync(stateDir).filter((name) => name.endsWith('.state')).length : 0;
  let later: SessionRun | undefined;
  if (ranked && process.env.BENCH_LOCAL_LATER !== '0') {
    process.stderr.write(`bench: again, a later meeting: a fresh model process, the ${kept} system prompt(s) kept…\n`);
    later = await withLocalModel();
  }
  const a = endOfSpeechLatencies(fixture.turns, without);
  const b = endOfSpeechLatencies(fixture.turns, withModel);
  const c = later ? endOfSpeechLatencies(fixture.turns, later) : undefined;
  const p95a = percentile(a.ms, 0.95);
  const p95b = percentile(b.ms, 0.95);
  const ratio = p95b / p95a;
  const p95c = c ? percentile(c.ms, 0.95) : undefined;
  const audioEnd = (run: SessionRun) => run.t0 + run.audioSec * 1000;
  // The chunks finished before the audio ended were extracted while the meeting ran; the rest after stop.
  const finished = (run: SessionRun, before: number) => Math.max(0, ...run.extractions.filter((e) => e.wall <= before).map((e) => e.progress.finished));
  const firstAnswer = withModel.extractions.find((e) => e.progress.finished + e.progress.failed > 0);
  const last = withModel.extractions[withModel.extractions.length - 1]?.progress;
  // From the audio's end: the model's last chunk answered (its items journaled next), and the session done (notes final).
  const doneAfterAudio = (run: SessionRun) => run.t0 + run.wallSec * 1000 - audioEnd(run);
  const lastAnswered = (run: SessionRun) => {
    const answered = run.extractions.filter((e) => e.progress.state === 'done').at(-1);
    return answered ? fmtMs(answered.wall - audioEnd(run)) : 'never';
  };
  const duringAndAfter = (run: SessionRun) => {
    const all = run.extractions.at(-1)?.progress;
    const during = finished(run, audioEnd(run));
    return `${during} while the audio ran, ${all ? all.finished - during : 0} after it ended (of ${all?.chunks ?? 0})`;
  };
  const runs = later ? [withModel, later] : [withModel];
  const stopLines = ranked ? [
    '',
    ...table(['after the audio ends', 'without a model', `${which}: a first meeting (system prompts read during it)`, ...(later ? ['a later meeting (system prompts kept)'] : [])], [
      ['the last chunk answered (its items journaled and in the notes next)', '—', ...runs.map(lastAnswered)],
      ['the session done: the final notes written (summary included)', fmtMs(doneAfterAudio(without)), ...runs.map((r) => fmtMs(doneAfterAudio(r)))],
    ]),
    '',
    `Chunks answered: the first meeting ${duringAndAfter(withModel)}${later ? `; the later one ${duringAndAfter(later)}` : ''}. System prompts kept after the first: ${kept}.`,
  ] : [];
  const row = (label: string, run: SessionRun, r: { ms: number[]; noFinal: number }) => [
    label, r.ms.length, fmtMs(percentile(r.ms, 0.5)), `**${fmtMs(percentile(r.ms, 0.95))}**`, fmtMs(percentile(r.ms, 1)),
    run.foreignCores.toFixed(2), `${(run.cpuSec / run.audioSec).toFixed(3)}`,
  ];
  return {
    title: 'Figure 3 with a local model extracting live chunks in the same session (end of speech → final text)',
    commands: [`${process.env.BENCH_THREADS ? `BENCH_THREADS=${process.env.BENCH_THREADS} ` : ''}${which !== 'qwen2.5-1.5b' ? `BENCH_LOCAL_FIG3_MODEL=${which} ` : ''}npm run bench -- latency-model`],
    lines: [
      ...table(['end of speech → final text', 'turns', 'p50', 'p95', 'max', 'other cores busy (the model\'s included)', 'daemon CPU-s / audio-s'], [
        row('without a model (anchor)', without, a),
        row(`with ${which === 'tiny' ? 'the tiny model' : 'qwen2.5-1.5b dims'} extracting${later ? ' (a first meeting)' : ''}`, withModel, b),
        ...(later && c ? [row('with it again (a later meeting: system prompts kept)', later, c)] : []),
      ]),
      '',
      `p95 with / without: **${ratio.toFixed(2)}**${p95c !== undefined ? `; a later meeting: **${(p95c / p95a).toFixed(2)}**` : ''} (target ≤ 1.10).`,
      ...stopLines,
    ],
    notes: [
      `Fixture: ${fixture.recipe} (${fixture.durationSec.toFixed(0)} s, ${fixture.turns.length} turns), realtime pace, base.en dims; the two sessions back to back, ` +
        `each on a fresh service. The model: ${which === 'tiny' ? 'test/setup.ts notesModel(\'random\') (64 wide, 2 layers)' : `generated Q4_0 ${ranked ? 'ranked' : 'random'} weights at Qwen2.5-1.5B's dimensions (${path.relative(REPO_ROOT, notes)})`}, ` +
        `provider 'local', chunks of ${chunkChars} characters (the fixture's transcript is short), whisper on ${THREADS} thread(s), the model on ${modelThreads} as the daemon sets them on ` +
        `${os.availableParallelism()} cores, CPU only, ten priority steps below the daemon, ${sharesWhisperCores(modelThreads, THREADS) ? 'sharing whisper\'s cores: holding its next batch while whisper has work (host.ts pause, worker.ts)' : 'on the core(s) whisper leaves: never held'}.`,
      `Model extraction: ${finished(withModel, audioEnd(withModel))} chunk(s) answered before the audio ended${firstAnswer ? ` (the first ${((firstAnswer.wall - withModel.t0) / 1000).toFixed(0)} s into the meeting)` : ''}, ${last ? `${last.finished} of ${last.chunks} answered (${last.failed} failed) in all, state ${last.state}` : 'no progress reported'}` +
        `${last?.message ? ` ("${last.message}")` : ''}.${ranked ? '' : ' Random weights write noise until the grammar\'s bounds or the answer cap end it: each chunk keeps the model busy longer than a real model\'s short answer would.'}`,
      ranked ? 'The ranked weights give the same short answer whatever they read (~300 generated tokens a chunk with the generated vocabulary, ~115 a summary: ' +
        'more than a real model\'s p90 of 134 for a chunk), so their chunks end as a real model\'s do; what they say is not the meeting\'s. The extraction runs to its end: ' +
        'the session is done once the last chunk and its summary revision are in and the notes are written.'
        : 'With the model, its extraction is cancelled as the audio ends (earshot/extraction/cancel): the chunks left at stop are not read here ' +
        '(random weights answer at the cap; stop → final notes is figure L\'s estimate).',
      `Turns without a final: ${a.noFinal} without the model, ${b.noFinal} with it${c ? `, ${c.noFinal} in the later meeting` : ''}.`,
      '**Measured on a loaded 2-core machine**: only the ratio, from two sessions of the same invocation, is the figure.',
    ],
    targets: [
      { metric: 'end of speech → final p95, with a local model / without', value: `${ratio.toFixed(2)} (${fmtMs(p95b)} / ${fmtMs(p95a)})`, target: '≤ 1.10', met: ratio <= 1.1 },
      ...(ranked ? [{ metric: 'audio end → final notes with the local model, a first meeting (summary included)', value: fmtMs(doneAfterAudio(withModel)), target: 'seconds, not minutes', met: doneAfterAudio(withModel) < 60_000 }] : []),
      ...(later && p95c !== undefined ? [
        { metric: 'end of speech → final p95, a later meeting (system prompts kept) / without', value: `${(p95c / p95a).toFixed(2)} (${fmtMs(p95c)} / ${fmtMs(p95a)})`, target: '≤ 1.10', met: p95c / p95a <= 1.1 },
        { metric: 'audio end → final notes with the local model, a later meeting', value: fmtMs(doneAfterAudio(later)), target: 'seconds, not minutes', met: doneAfterAudio(later) < 60_000 },
      ] : []),
    ],
  };
}
