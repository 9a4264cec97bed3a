/**
 * `npm run eval:diarize`: speaker turns (daemon/speakers/, the real segmentation model) scored against human speaker
 * references by diarization error rate (test/eval/diarize/der.ts: md-eval's collar of 0.25 s each side of a reference
 * boundary, overlap scored), with the settings chosen by cross-validation.
 *
 * The committed real recordings (test/fixtures/real-audio, vad-sets.json: AMI meetings, dictation) choose: every
 * setting in the grid is scored on each; recordings that share a speaker form a group; leaving one group out at a
 * time, the rule (the lowest pooled DER, then the longer window step: less CPU) picks a setting on the others and the
 * held-out group scores it. The shipped defaults (DEFAULT_DIARIZE_OPTIONS) are the rule applied to every committed
 * group; they are then scored on recordings that chose nothing (--held-out DIR, default .bench/diar-dev when present:
 * test/fixtures/real-audio/README.md says how it is made). Beside them, in the same run, the trivial baseline: one
 * speaker for all the speech the stage found (and for all the reference's speech). Then the session's lines (weak
 * onset, cuts), overlapped speech (a second voice at once, weak turns outside voice detection: diarize/overlap.ts)
 * and the window level before the model (diarize/level.ts), each chosen on the committed recordings the same way.
 *
 *   npm run eval:diarize                       Markdown on stdout
 *   npm run eval:diarize -- --held-out DIR     another folder of held-out recordings (a vad-sets.json and its sets)
 *   npm run eval:diarize -- --json FILE        the figures as JSON as well
 *   npm run eval:diarize -- --lines-only       only the transcribed lines' sections (issue 57), shipped segmentation setting
 *   npm run eval:diarize -- --committed-only   without the held-out recordings (to look at the committed ones alone)
 *   npm run eval:diarize -- --level-only       only the window level's section (diarize/level.ts), shipped settings
 *   npm run eval:diarize -- --embed MODEL.onnx  also with a speaker-embedding model re-identifying voices (the catalog's
 *                                              3D-Speaker CAM++ file: models/voiceModel.ts): DER per similarity
 *                                              threshold, the threshold chosen on the committed recordings, reported
 *                                              on the held-out ones, beside overlap linking alone in the same run
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { SAMPLE_RATE } from '../../daemon/capture/source';
import { SegmentationModel } from '../../daemon/speakers/segmentation';
import { EmbeddingReidentifier, SAME_VOICE_SIMILARITY, VoiceModel } from '../../daemon/speakers/embedding';
import { diarizeFile, SpeakerTurn } from '../../daemon/speakers/stage';
import { speakerCatalog } from '../../daemon/models/voiceModel';
import { DEFAULT_DIARIZE_OPTIONS, DiarizeOptions } from '../../daemon/speakers/tracker';
import { DerScore, der, poolDer, scoreDiarization, SpeakerSpan, speakerSpans, STANDARD_COLLAR } from './diarize/der';
import { readAudio, replay, segment, Segmented } from './diarize/run';
import { realRecordings, RealRecording, REAL_AUDIO_DIR } from './vad/corpus';
import { groupRecordings, spread } from './vad/crossval';
import { union } from './vad/score';
import { detect } from './vad/run';
import { vadConfig } from '../../daemon/vad/config';
import { poolLines, scoreLines } from './diarize/lines';
import { SAME_VOICE_DISTANCE, SpectralReidentifier } from '../../daemon/speakers/spectral';
import { CutOptions, DEFAULT_CUT_OPTIONS } from '../../daemon/speakers/cuts';
import { cutLines, cutWindowsOf, StretchWindows } from './diarize/cuts';
import { OverlapOptions, overlapSection } from './diarize/overlap';
import { WEAK_OUTSIDE_VAD } from '../../daemon/speakers/lines';
import { levelSection } from './diarize/level';

/** The second-voice settings of `o` (tracker.ts overlapOnset). */
const overlapOf = (o: OverlapOptions): OverlapOptions => ({ overlapOnset: o.overlapOnset, minOverlapSec: o.minOverlapSec, overlapByPair: o.overlapByPair });

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const DEFAULT_HELD_OUT = path.join(REPO_ROOT, '.bench', 'diar-dev');

/** The settings tried. minLocalFrames stays sherpa-onnx's 10 frames. */
export const STEPS_SEC = [1, 2, 5];
export function gridCandidates(): DiarizeOptions[] {
  const out: DiarizeOptions[] = [];
  const activity = [{ hard: true, onset: 0.5 }, ...[0.5, 0.35, 0.2].map((onset) => ({ hard: false, onset }))];
  for (const stepSec of STEPS_SEC) for (const a of activity) for (const linkThreshold of [0, 0.05, 0.1, 0.2, 0.3, 0.5])
    for (const minDurationOn of [0, 0.25, 0.5, 1]) for (const minDurationOff of [0, 0.25, 0.5])
      out.push({ stepSec, ...a, linkThreshold, minLocalFrames: 10, minDurationOn, minDurationOff, weakOnset: Infinity, overlapOnset: Infinity, overlapByPair: false, minOverlapSec: 0 });
  return out;
}

export const optionsName = (o: DiarizeOptions): string =>
  `step ${o.stepSec} s, ${o.hard ? 'hard' : `soft ≥ ${o.onset}`}, link ≥ ${o.linkThreshold}, on ≥ ${o.minDurationOn} s, off < ${o.minDurationOff} s`;
const sameOptions = (a: DiarizeOptions, b: DiarizeOptions): boolean => optionsName(a) === optionsName(b) && a.minLocalFrames === b.minLocalFrames;

/** The rule: the lowest pooled DER over `indices`; ties to the longer step (fewer model runs), then grid order. */
export function chooseOptions(candidates: readonly DiarizeOptions[], scores: readonly (readonly DerScore[])[], indices: readonly number[]): number {
  let best = -1, bestDer = Infinity;
  candidates.forEach((c, i) => {
    const d = der(poolDer(indices.map((r) => scores[i][r])));
    if (d < bestDer - 1e-9 || (Math.abs(d - bestDer) <= 1e-9 && c.stepSec > candidates[best].stepSec)) { best = i; bestDer = d; }
  });
  return best;
}

interface Scored { recording: RealRecording; durationSec: number; reference: SpeakerSpan[]; samples: Float32Array }

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const parts = (s: DerScore) => s.scored > 0 ? `${pct(s.missed / s.scored)} | ${pct(s.falseAlarm / s.scored)} | ${pct(s.confusion / s.scored)}` : '– | – | –';
const speakersOf = (turns: readonly { speaker: string }[]) => new Set(turns.map((t) => t.speaker)).size;
const oneSpeaker = (turns: readonly { start: number; end: number }[]): SpeakerSpan[] => union(turns).map((t) => ({ ...t, speaker: 'one' }));

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'held-out': { type: 'string' }, json: { type: 'string' }, embed: { type: 'string' },
    'lines-only': { type: 'boolean' }, 'committed-only': { type: 'boolean' }, 'level-only': { type: 'boolean' } } });
  const heldOutDir = values['committed-only'] ? undefined : values['held-out'] ?? (fs.existsSync(path.join(DEFAULT_HELD_OUT, 'vad-sets.json')) ? DEFAULT_HELD_OUT : undefined);
  const choosing = realRecordings(REAL_AUDIO_DIR);
  const heldOut = heldOutDir ? realRecordings(heldOutDir) : [];
  const all = [...choosing, ...heldOut];
  const model = await SegmentationModel.load();
  const groupsOf = () => groupRecordings(choosing.map((r) => ({ name: r.name, speakers: r.speakers ?? [r.name] })));
  const heldIndices = heldOut.map((_, j) => choosing.length + j);
  if (values['level-only']) {
    const audio: Scored[] = [];
    for (const r of all) {
      const samples = await readAudio(r.file);
      audio.push({ recording: r, samples, durationSec: samples.length / SAMPLE_RATE, reference: speakerSpans(r.turns as { start: number; end: number; speaker?: string }[]) });
    }
    const level = await levelSection(model, audio, await vadStretches(audio), choosing.map((_, i) => i), groupsOf(), heldIndices, (i) => audio[i].recording.name);
    if (values.json) fs.writeFileSync(values.json, JSON.stringify({ collar: STANDARD_COLLAR, level }, null, 1));
    return;
  }

  // The model's windows, once per recording and step.
  process.stderr.write(`eval:diarize: segmenting ${all.length} recordings at steps ${STEPS_SEC.join(', ')} s…\n`);
  const audio: Scored[] = [];
  const segmented = new Map<number, Segmented[]>(STEPS_SEC.map((s) => [s, []]));
  for (const r of all) {
    const samples = await readAudio(r.file);
    audio.push({ recording: r, samples, durationSec: samples.length / SAMPLE_RATE, reference: speakerSpans(r.turns as { start: number; end: number; speaker?: string }[]) });
    for (const step of STEPS_SEC) if (!values['lines-only'] || step === DEFAULT_DIARIZE_OPTIONS.stepSec) segmented.get(step)!.push(await segment(model, samples, step));
  }
  if (values['lines-only']) {
    // The lines alone (issue 57's sections), with the shipped segmentation setting: no grid, no re-identification.
    const groups = groupsOf();
    const seg = segmented.get(DEFAULT_DIARIZE_OPTIONS.stepSec)!;
    const only = audio.map((a, i) => scoreDiarization(a.reference, replay(seg[i], DEFAULT_DIARIZE_OPTIONS).filter((t) => !t.weak), { durationSec: a.durationSec }));
    const lines = await sessionLines(audio, await vadStretches(audio), (i, weakOnset, o = DEFAULT_DIARIZE_OPTIONS) => replay(seg[i], { ...DEFAULT_DIARIZE_OPTIONS, weakOnset, ...overlapOf(o) }), choosing.map((_, i) => i), groups,
      heldIndices, (i) => audio[i].recording.name, (i) => only[i], model);
    if (values.json) fs.writeFileSync(values.json, JSON.stringify({ collar: STANDARD_COLLAR, lines }, null, 1));
    return;
  }
  const cpuPerSec = new Map(STEPS_SEC.map((s) => {
    const runs = segmented.get(s)!;
    return [s, runs.reduce((n, r) => n + r.cpuSec, 0) / audio.reduce((n, a) => n + a.durationSec, 0)];
  }));

  const score = (i: number, turns: readonly SpeakerSpan[], collar = STANDARD_COLLAR) =>
    scoreDiarization(audio[i].reference, turns, { collar, durationSec: audio[i].durationSec });
  const candidates = gridCandidates();
  process.stderr.write(`eval:diarize: scoring ${candidates.length} settings…\n`);
  const turnsOf = (c: DiarizeOptions, i: number): SpeakerTurn[] => replay(segmented.get(c.stepSec)![i], c).filter((t) => !t.weak);
  const scores = candidates.map((c) => audio.map((_, i) => score(i, turnsOf(c, i))));

  const choose = choosing.map((_, i) => i);
  const groups = groupsOf();
  const nameOf = (i: number) => audio[i].recording.name;

  console.log(`## Speaker turns chosen by cross-validation (\`npm run eval:diarize\`)\n`);
  console.log(`DER with a collar of ${STANDARD_COLLAR} s each side of every reference boundary (md-eval -c ${STANDARD_COLLAR}), overlapped speech scored. ` +
    `${choosing.length} committed recordings choose (${groups.length} groups: recordings sharing a speaker are one); ` +
    `${heldOut.length} held-out recordings${heldOutDir ? ` (${path.relative(REPO_ROOT, heldOutDir)})` : ''} choose nothing. Grid: ${candidates.length} settings.\n`);

  // Cross-validation: leave one group out.
  console.log('### Leave one group out\n');
  console.log('| held out | chosen on the others | DER where chosen | held out: DER | missed | false alarm | confusion | one speaker (same speech): DER |');
  console.log('|---|---|---|---|---|---|---|---|');
  const folds = groups.map((g) => {
    const train = choose.filter((i) => !g.includes(i));
    const c = chooseOptions(candidates, scores, train);
    const test = poolDer(g.map((i) => scores[c][i]));
    const base = poolDer(g.map((i) => score(i, oneSpeaker(turnsOf(candidates[c], i)))));
    console.log(`| ${g.map(nameOf).join(', ')} | ${optionsName(candidates[c])} | ${pct(der(poolDer(train.map((i) => scores[c][i]))))} | **${pct(der(test))}** | ${parts(test)} | ${pct(der(base))} |`);
    return { heldOut: g.map(nameOf), chosen: optionsName(candidates[c]), test, base };
  });
  const cvPooled = poolDer(folds.map((f) => f.test)), cvBase = poolDer(folds.map((f) => f.base));
  console.log(`| **pooled over the held-out groups** | | | **${pct(der(cvPooled))}** | ${parts(cvPooled)} | ${pct(der(cvBase))} |`);
  const spreadDer = spread(folds.map((f) => der(f.test)));
  console.log(`\nSpread over the folds: DER min ${pct(spreadDer.min)} / median ${pct(spreadDer.median)} / max ${pct(spreadDer.max)}.\n`);

  // The shipped defaults: the rule on every committed group.
  const ruled = chooseOptions(candidates, scores, choose);
  const shipped = candidates.findIndex((c) => sameOptions(c, DEFAULT_DIARIZE_OPTIONS));
  console.log(`The rule on every committed recording picks: **${optionsName(candidates[ruled])}**. ` +
    (shipped === ruled ? 'DEFAULT_DIARIZE_OPTIONS is that setting.' : `**DEFAULT_DIARIZE_OPTIONS differs: ${shipped === -1 ? 'not in the grid' : optionsName(candidates[shipped])}.**`) + '\n');
  const defaults = shipped === -1 ? ruled : shipped;

  const table = (title: string, indices: number[]) => {
    if (indices.length === 0) return undefined;
    console.log(`### ${title}\n`);
    console.log('| recording | reference speakers | found | DER | missed | false alarm | confusion | DER, no collar | one speaker, same speech | one speaker, reference speech |');
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    const rows = indices.map((i) => {
      const turns = turnsOf(candidates[defaults], i);
      const s = scores[defaults][i], noCollar = score(i, turns, 0);
      const base = score(i, oneSpeaker(turns)), oracle = score(i, oneSpeaker(audio[i].reference));
      console.log(`| ${nameOf(i)} | ${speakersOf(audio[i].reference)} | ${speakersOf(turns)} | ${pct(der(s))} | ${parts(s)} | ${pct(der(noCollar))} | ${pct(der(base))} | ${pct(der(oracle))} |`);
      return { s, noCollar, base, oracle };
    });
    const p = (k: 's' | 'noCollar' | 'base' | 'oracle') => poolDer(rows.map((r) => r[k]));
    const meetings = indices.filter((i) => audio[i].recording.kind === 'meeting');
    console.log(`| **pooled** | | | **${pct(der(p('s')))}** | ${parts(p('s'))} | ${pct(der(p('noCollar')))} | ${pct(der(p('base')))} | ${pct(der(p('oracle')))} |`);
    if (meetings.length && meetings.length < indices.length) {
      const m = poolDer(meetings.map((i) => scores[defaults][i]));
      const mb = poolDer(meetings.map((i) => score(i, oneSpeaker(turnsOf(candidates[defaults], i)))));
      console.log(`| meetings only (${meetings.length}) | | | ${pct(der(m))} | ${parts(m)} | | ${pct(der(mb))} | |`);
    }
    console.log('');
    return { pooled: p('s'), noCollar: p('noCollar'), base: p('base'), oracle: p('oracle') };
  };
  const inSample = table(`Shipped defaults on the recordings that chose them (${optionsName(candidates[defaults])})`, choose);
  const held = table('Shipped defaults on the held-out recordings (they chose nothing)', heldIndices);

  console.log('### CPU of the segmentation model, per second of audio (one thread, this machine)\n');
  console.log('| window step | model runs per 10 s of audio | CPU-s per audio-s |');
  console.log('|---|---|---|');
  for (const s of STEPS_SEC) console.log(`| ${s} s | ${(10 / s).toFixed(0)} | ${cpuPerSec.get(s)!.toFixed(4)} |`);
  console.log(`\nLinking is by overlap only (no embedding model): a speaker silent for longer than a window (10 s) comes back under a new label.`);
  const stretches = await vadStretches(audio);
  const lines = await sessionLines(audio, stretches, (i, weakOnset, o = DEFAULT_DIARIZE_OPTIONS) => replay(segmented.get(candidates[defaults].stepSec)![i], { ...candidates[defaults], weakOnset, ...overlapOf(o) }),
    choose, groups, heldIndices, nameOf, (i) => scores[defaults][i], model);
  const level = await levelSection(model, audio, stretches, choose, groups, heldIndices, nameOf);
  const spectral = await withSpectral(audio, choose, groups, heldIndices, nameOf);
  const embedded = values.embed ? await withEmbeddings(values.embed, audio, choose, heldIndices, nameOf) : undefined;

  if (values.json) {
    fs.writeFileSync(values.json, JSON.stringify({
      collar: STANDARD_COLLAR, shipped: optionsName(candidates[defaults]), ruled: optionsName(candidates[ruled]),
      crossValidation: { folds: folds.map((f) => ({ ...f, der: der(f.test), baseDer: der(f.base) })), pooled: cvPooled, der: der(cvPooled), baseDer: der(cvBase) },
      inSample, heldOut: held, lines, level, spectral, cpuPerAudioSec: Object.fromEntries(cpuPerSec), ...(embedded ? { embedded } : {}),
    }, null, 1));
  }
}

/** Weak-turn onsets tried (tracker.ts weakOnset; Infinity: decided turns only). */
export const WEAK_ONSETS = [Infinity, 0.3, 0.2, 0.1, 0.05];
const ratio = (n: number, d: number) => (d ? (n / d).toFixed(3) : '–');

/**
 * The session's lines (test/eval/diarize/lines.ts): voice detection as a session runs it (vadConfig's defaults) over
 * every recording, each stretch labelled from the shipped segmentation setting's turns with each weak onset. The onset
 * is chosen on the committed recordings (the lowest DER of the speech turns, then the most lines right), by leave one group
 * out and on all of them, and scored on the held-out ones beside the segmentation-only DER.
 */
/** Voice detection as a session runs it (vadConfig's defaults, a meeting) over every recording: its speech stretches. */
async function vadStretches(audio: readonly Scored[]): Promise<{ start: number; end: number }[][]> {
  process.stderr.write(`eval:diarize: voice detection over ${audio.length} recordings…\n`);
  const stretches: { start: number; end: number }[][] = [];
  for (const a of audio) stretches.push((await detect(a.recording.file, vadConfig({}, 'meeting'))).speech);
  return stretches;
}

async function sessionLines(audio: readonly Scored[], stretches: readonly { start: number; end: number }[][], turnsWith: (i: number, weakOnset: number, o?: OverlapOptions) => SpeakerTurn[], choose: readonly number[],
  groups: readonly number[][], held: readonly number[], nameOf: (i: number) => string, segmentationOnly: (i: number) => DerScore, model: SegmentationModel) {
  const scored = WEAK_ONSETS.map((w) => audio.map((a, i) => scoreLines(a.reference, turnsWith(i, w), stretches[i], a.durationSec)));
  const pooled = (w: number, idx: readonly number[]) => {
    const s = scored[w].filter((_, i) => idx.includes(i));
    return { der: poolDer(s.map((x) => x.der)), speech: poolDer(s.map((x) => x.speech)), ...poolLines(s) };
  };
  const pick = (idx: readonly number[]) => WEAK_ONSETS.reduce((best, _, w) => {
    const a = pooled(w, idx), b = pooled(best, idx);
    // The lowest DER of the speech turns, then the most lines right.
    const da = der(a.speech), db = der(b.speech);
    return da < db - 1e-9 || (Math.abs(da - db) <= 1e-9 && a.linesRight / Math.max(1, a.lines) > b.linesRight / Math.max(1, b.lines) + 1e-9) ? w : best;
  }, 0);
  console.log(`\n### Every transcribed line's speaker (issue 57): voice detection's stretches as the session labels them\n`);
  console.log(`Each stretch voice detection gives the recognizer (vadConfig defaults, a meeting) gets the voice the session's book gives it (daemon/speakers/lines.ts): decided turns, then weak turns (the segmentation's soft scores at \`weakOnset\` where it decided nobody), then the nearest turn. "Lines right": lines over reference speech whose voice maps to the reference speaker heard most in them; "turns right": reference turns whose speaker is the mapped voice of the lines covering most of them.\n`);
  console.log('| weak onset | committed: lines right | turns right | DER, speech turns | held out: lines right | turns right | DER, speech turns | missed | false alarm | confusion | DER of the lines |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  const chosen = pick(choose);
  WEAK_ONSETS.forEach((w, k) => {
    const c = pooled(k, choose), h = pooled(k, held);
    console.log(`| ${w}${k === chosen ? ' (chosen)' : ''}${w === DEFAULT_DIARIZE_OPTIONS.weakOnset ? ' (shipped)' : ''} | ${ratio(c.linesRight, c.lines)} | ${ratio(c.turnsRight, c.turns)} | ${pct(der(c.speech))} | ${held.length ? `**${ratio(h.linesRight, h.lines)}**` : '–'} | ${ratio(h.turnsRight, h.turns)} | ${held.length ? `**${pct(der(h.speech))}**` : '–'} | ${parts(h.speech)} | ${pct(der(h.der))} |`);
  });
  const folds = groups.map((g) => {
    const w = pick(choose.filter((i) => !g.includes(i)));
    return { heldOut: g.map(nameOf), weakOnset: WEAK_ONSETS[w], ...pooled(w, g) };
  });
  const cv = { der: poolDer(folds.map((f) => f.der)), speech: poolDer(folds.map((f) => f.speech)), ...poolLines(folds.map((f) => ({ ...f }))) };
  console.log(`\nLeave one group out (the onset chosen on the others): lines right ${ratio(cv.linesRight, cv.lines)}, turns right ${ratio(cv.turnsRight, cv.turns)}, DER of the speech turns ${pct(der(cv.speech))}, of the lines ${pct(der(cv.der))} (onsets chosen: ${folds.map((f) => f.weakOnset).join(', ')}).`);
  const shipped = WEAK_ONSETS.indexOf(DEFAULT_DIARIZE_OPTIONS.weakOnset);
  console.log(shipped === chosen ? `DEFAULT_DIARIZE_OPTIONS.weakOnset is the chosen ${WEAK_ONSETS[chosen]}.\n` : `**DEFAULT_DIARIZE_OPTIONS.weakOnset (${DEFAULT_DIARIZE_OPTIONS.weakOnset}) differs from the chosen ${WEAK_ONSETS[chosen]}.**\n`);
  const use = shipped === -1 ? chosen : shipped;
  if (held.length) {
    console.log(`Held out, per recording (weak onset ${WEAK_ONSETS[use]}):\n`);
    console.log('| recording | lines | lines right | turns right | DER, speech turns | DER of the lines | segmentation only: DER |');
    console.log('|---|---|---|---|---|---|---|');
    for (const i of held) {
      const s = scored[use][i];
      console.log(`| ${nameOf(i)} | ${s.lines} | ${ratio(s.linesRight, s.lines)} | ${ratio(s.turnsRight, s.turns)} | ${pct(der(s.speech))} | ${pct(der(s.der))} | ${pct(der(segmentationOnly(i)))} |`);
    }
    const h = pooled(use, held);
    console.log(`| **pooled** | ${h.lines} | **${ratio(h.linesRight, h.lines)}** | **${ratio(h.turnsRight, h.turns)}** | **${pct(der(h.speech))}** | ${pct(der(h.der))} | ${pct(der(poolDer(held.map(segmentationOnly))))} |\n`);
  }
  const cuts = await cutSection(audio, model, stretches, (i) => turnsWith(i, WEAK_ONSETS[use]), choose, groups, held, nameOf, segmentationOnly);
  const overlap = overlapSection(audio, stretches, (i, o) => turnsWith(i, WEAK_ONSETS[use], o), choose, groups, held, nameOf, WEAK_OUTSIDE_VAD);
  return {
    chosen: WEAK_ONSETS[chosen], shipped: DEFAULT_DIARIZE_OPTIONS.weakOnset, crossValidation: cv, cuts, overlap,
    onsets: WEAK_ONSETS.map((w, k) => ({ weakOnset: String(w), committed: pooled(k, choose), heldOut: pooled(k, held) })),
  };
}

/** Cut settings tried (cuts.ts; undefined: no cut, a line per voice-detected stretch). */
export const CUT_GRID: (CutOptions | undefined)[] = [undefined, ...[0.25, 0.5, 1].flatMap((minRunSec) => [0.5, 1, 1.5, 2, 3].map((minPieceSec) => ({ minRunSec, minPieceSec })))];
const cutName = (o: CutOptions | undefined) => (o ? `run ≥ ${o.minRunSec} s, piece ≥ ${o.minPieceSec} s` : 'no cut');

/**
 * Lines cut where the voice changes (cuts.ts), as a session cuts its finals: per setting, lines right and DER on the
 * committed recordings (they choose: the most lines right, then the lowest DER of the lines, then fewer lines, then
 * the longer runs) and on the held-out ones, with DER's parts for the speech turns (what the session assigns over the detected
 * speech) beside the segmentation-only turns.
 */
async function cutSection(audio: readonly Scored[], model: SegmentationModel, stretches: readonly { start: number; end: number }[][],
  turnsOf: (i: number) => SpeakerTurn[], choose: readonly number[], groups: readonly number[][], held: readonly number[],
  nameOf: (i: number) => string, segmentationOnly: (i: number) => DerScore) {
  process.stderr.write(`eval:diarize: cut windows over ${audio.length} recordings…\n`);
  const windows: StretchWindows[][] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < audio.length; i++) windows.push(await cutWindowsOf(model, audio[i].samples, stretches[i]));
  const cpu = process.cpuUsage(cpu0), audioSec = audio.reduce((n, a) => n + a.durationSec, 0);
  const scored = CUT_GRID.map((o) => audio.map((a, i) => scoreLines(a.reference, turnsOf(i), cutLines(windows[i], o), a.durationSec)));
  const pooled = (k: number, idx: readonly number[]) => {
    const s = idx.map((i) => scored[k][i]);
    return { der: poolDer(s.map((x) => x.der)), speech: poolDer(s.map((x) => x.speech)), ...poolLines(s) };
  };
  const share = (p: { linesRight: number; lines: number }) => p.linesRight / Math.max(1, p.lines);
  const pick = (idx: readonly number[]) => CUT_GRID.reduce<number>((best, _, k) => {
    const a = pooled(k, idx), b = pooled(best, idx);
    if (share(a) > share(b) + 1e-9) return k;
    if (share(a) < share(b) - 1e-9) return best;
    // Ties: the lower DER of the lines, then fewer lines (fewer cuts), then the later setting (longer runs).
    if (der(a.der) < der(b.der) - 1e-9) return k;
    return Math.abs(der(a.der) - der(b.der)) <= 1e-9 && a.lines <= b.lines && k > 0 ? k : best;
  }, 0);
  const chosen = pick(choose);
  const shipped = CUT_GRID.findIndex((o) => o && o.minRunSec === DEFAULT_CUT_OPTIONS.minRunSec && o.minPieceSec === DEFAULT_CUT_OPTIONS.minPieceSec);
  console.log(`\n### Lines cut at a change of voice (cuts.ts: the segmentation model over each final's own audio)\n`);
  console.log(`Each voice-detected stretch is cut where one local speaker speaking alone gives way to another (runs of at least "run", pieces of at least "piece"), each piece labelled by the session's book. CPU of the cut windows: ${(cpu.user + cpu.system) / 1e6 / audioSec > 0 ? ((cpu.user + cpu.system) / 1e6 / audioSec).toFixed(4) : '–'} CPU-s per audio-s.\n`);
  console.log('| cut | committed: lines | lines right | DER of the lines | held out: lines | lines right | DER of the lines | DER, speech turns | missed | false alarm | confusion |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  CUT_GRID.forEach((o, k) => {
    const c = pooled(k, choose), h = pooled(k, held);
    console.log(`| ${cutName(o)}${k === chosen ? ' (chosen)' : ''}${k === shipped ? ' (shipped)' : ''} | ${c.lines} | ${ratio(c.linesRight, c.lines)} | ${pct(der(c.der))} | ${h.lines} | ${held.length ? `**${ratio(h.linesRight, h.lines)}**` : '–'} | ${held.length ? pct(der(h.der)) : '–'} | ${held.length ? pct(der(h.speech)) : '–'} | ${held.length ? parts(h.speech) : '– | – | –'} |`);
  });
  const folds = groups.map((g) => { const k = pick(choose.filter((i) => !g.includes(i))); return { heldOut: g.map(nameOf), cut: cutName(CUT_GRID[k]), ...pooled(k, g) }; });
  const cv = { der: poolDer(folds.map((f) => f.der)), ...poolLines(folds.map((f) => ({ ...f }))) };
  console.log(`\nLeave one group out: lines right ${ratio(cv.linesRight, cv.lines)} of ${cv.lines}, DER of the lines ${pct(der(cv.der))} (chosen per fold: ${folds.map((f) => f.cut).join('; ')}).`);
  console.log(shipped === chosen ? `DEFAULT_CUT_OPTIONS is the chosen setting.\n` : `**DEFAULT_CUT_OPTIONS (${cutName(DEFAULT_CUT_OPTIONS)}) differs from the chosen ${cutName(CUT_GRID[chosen])}.**\n`);
  const use = shipped === -1 ? chosen : shipped;
  const breakdown = (title: string, idx: readonly number[]) => {
    if (!idx.length) return;
    console.log(`${title}, ${cutName(CUT_GRID[use])}: DER's parts for the session's speech turns and the segmentation only\n`);
    console.log('| recording | lines | lines right | speech turns: DER | missed | false alarm | confusion | segmentation only: DER | missed | false alarm | confusion |');
    console.log('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const i of idx) {
      const s = scored[use][i];
      console.log(`| ${nameOf(i)} | ${s.lines} | ${ratio(s.linesRight, s.lines)} | ${pct(der(s.speech))} | ${parts(s.speech)} | ${pct(der(segmentationOnly(i)))} | ${parts(segmentationOnly(i))} |`);
    }
    const p = pooled(use, idx), seg = poolDer(idx.map(segmentationOnly));
    console.log(`| **pooled** | ${p.lines} | **${ratio(p.linesRight, p.lines)}** | **${pct(der(p.speech))}** | ${parts(p.speech)} | ${pct(der(seg))} | ${parts(seg)} |\n`);
  };
  breakdown('Committed (they chose)', choose);
  breakdown('Held out (they chose nothing)', held);
  return { chosen: cutName(CUT_GRID[chosen]), shipped: cutName(DEFAULT_CUT_OPTIONS), cpuPerAudioSec: (cpu.user + cpu.system) / 1e6 / audioSec, crossValidation: cv,
    grid: CUT_GRID.map((o, k) => ({ cut: cutName(o), committed: pooled(k, choose), heldOut: pooled(k, held) })) };
}

/** Distances tried for spectral re-identification (spectral.ts; the shipped one among them). */
export const SPECTRAL_DISTANCES = [0.1, 0.15, 0.2, 0.25, 0.35, 0.5];

/**
 * The shipped stage with spectral statistics re-identifying voices (no voice model), over every recording: DER of the
 * decided turns per distance threshold; the threshold chosen on the committed recordings (the lowest pooled DER; ties
 * to overlap only, then the smaller distance: fewer merges), by leave one group out and on all of them, and scored on
 * the held-out ones beside overlap linking alone in the same run.
 */
async function withSpectral(audio: readonly Scored[], choose: readonly number[], groups: readonly number[][], held: readonly number[], nameOf: (i: number) => string) {
  process.stderr.write(`eval:diarize: spectral re-identification at ${SPECTRAL_DISTANCES.length} distances…\n`);
  const scoreAll = async (distance: number | undefined) => Promise.all(audio.map(async (a) => {
    const turns = await diarizeFile(a.recording.file, {}, distance === undefined ? undefined : new SpectralReidentifier(distance));
    return scoreDiarization(a.reference, turns, { durationSec: a.durationSec });
  }));
  const options: (number | undefined)[] = [undefined, ...SPECTRAL_DISTANCES];
  const scores: DerScore[][] = [];
  for (const d of options) scores.push(await scoreAll(d));
  const pooled = (k: number, idx: readonly number[]) => poolDer(idx.map((i) => scores[k][i]));
  const pick = (idx: readonly number[]) => options.reduce<number>((best, _, k) => (der(pooled(k, idx)) < der(pooled(best, idx)) - 1e-9 ? k : best), 0);
  const name = (k: number) => (options[k] === undefined ? 'overlap only' : `distance ≤ ${options[k]}`);
  const chosen = pick(choose);
  console.log(`\n### Voices that come back, without a voice model: spectral statistics (spectral.ts)\n`);
  console.log('| re-identification | committed: DER | held out: DER | missed | false alarm | confusion |');
  console.log('|---|---|---|---|---|---|');
  options.forEach((d, k) => console.log(`| ${name(k)}${k === chosen ? ' (chosen)' : ''}${d === SAME_VOICE_DISTANCE ? ' (shipped)' : ''} | ${pct(der(pooled(k, choose)))} | ${held.length ? `**${pct(der(pooled(k, held)))}**` : '–'} | ${held.length ? parts(pooled(k, held)) : '– | – | –'} |`));
  const folds = groups.map((g) => { const k = pick(choose.filter((i) => !g.includes(i))); return { heldOut: g.map(nameOf), chosen: name(k), test: pooled(k, g), overlap: pooled(0, g) }; });
  const cv = poolDer(folds.map((f) => f.test)), cvOverlap = poolDer(folds.map((f) => f.overlap));
  console.log(`\nLeave one group out: DER ${pct(der(cv))} (overlap only on the same folds ${pct(der(cvOverlap))}); chosen per fold: ${folds.map((f) => f.chosen).join('; ')}.`);
  console.log(`Per recording, held out, ${name(chosen)}: ${held.map((i) => `${nameOf(i)} ${pct(der(scores[chosen][i]))} (overlap only ${pct(der(scores[0][i]))})`).join('; ') || 'none'}.`);
  return { chosen: options[chosen] ?? null, shipped: SAME_VOICE_DISTANCE, crossValidation: { der: der(cv), overlapDer: der(cvOverlap), folds },
    options: options.map((d, k) => ({ distance: d ?? null, committed: pooled(k, choose), heldOut: pooled(k, held) })) };
}

/** Similarity thresholds tried for re-identification (the shipped one, sherpa-onnx's, among them). */
const EMBED_THRESHOLDS = [0.3, SAME_VOICE_SIMILARITY, 0.5, 0.6, 0.7];

/**
 * The shipped stage with a voice model re-identifying voices, over every recording: pooled DER per threshold on the
 * committed recordings (they choose: the lowest), and the chosen and shipped thresholds on the held-out ones, beside
 * overlap linking alone in the same run.
 */
async function withEmbeddings(modelPath: string, audio: readonly Scored[], choose: readonly number[], held: readonly number[], nameOf: (i: number) => string) {
  const model = await VoiceModel.load(path.resolve(modelPath), speakerCatalog()[0].input);
  const scoreAll = async (threshold: number | undefined) => Promise.all(audio.map(async (a) => {
    const turns = await diarizeFile(a.recording.file, {}, threshold === undefined ? undefined : new EmbeddingReidentifier(model, threshold));
    return scoreDiarization(a.reference, turns, { durationSec: a.durationSec });
  }));
  const overlap = await scoreAll(undefined);
  const byThreshold = new Map<number, DerScore[]>();
  for (const t of EMBED_THRESHOLDS) byThreshold.set(t, await scoreAll(t));
  const pooled = (scores: readonly DerScore[], idx: readonly number[]) => poolDer(idx.map((i) => scores[i]));
  const chosen = EMBED_THRESHOLDS.reduce((best, t) => (der(pooled(byThreshold.get(t)!, choose)) < der(pooled(byThreshold.get(best)!, choose)) - 1e-9 ? t : best));
  console.log(`\n### With the voice model (${path.basename(modelPath)}) re-identifying voices\n`);
  console.log('| similarity threshold | committed: DER | held out: DER | missed | false alarm | confusion |');
  console.log('|---|---|---|---|---|---|');
  console.log(`| overlap only | ${pct(der(pooled(overlap, choose)))} | ${held.length ? pct(der(pooled(overlap, held))) : '–'} | ${held.length ? parts(pooled(overlap, held)) : '– | – | –'} |`);
  for (const t of EMBED_THRESHOLDS) {
    const s = byThreshold.get(t)!;
    console.log(`| ${t}${t === chosen ? ' (chosen)' : ''}${t === SAME_VOICE_SIMILARITY ? ' (shipped)' : ''} | ${pct(der(pooled(s, choose)))} | ${held.length ? `**${pct(der(pooled(s, held)))}**` : '–'} | ${held.length ? parts(pooled(s, held)) : '– | – | –'} |`);
  }
  console.log(`\nPer recording, held out, threshold ${chosen}: ${held.map((i) => `${nameOf(i)} ${pct(der(byThreshold.get(chosen)![i]))} (overlap only ${pct(der(overlap[i]))})`).join('; ') || 'none'}.`);
  return { chosen, shipped: SAME_VOICE_SIMILARITY, overlap: { committed: pooled(overlap, choose), heldOut: pooled(overlap, held) },
    thresholds: EMBED_THRESHOLDS.map((t) => ({ threshold: t, committed: pooled(byThreshold.get(t)!, choose), heldOut: pooled(byThreshold.get(t)!, held) })) };
}

if (require.main === module) {
  main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
}
