/**
 * `npm run eval:vad`: voice detection scored on real recordings with human references and on the synthetic fixtures,
 * for the shipped configuration and the alternatives it was chosen from (Silero v5 and v6, level handling, profiles),
 * with each variant's CPU cost per audio second against today's anchor in the same run.
 *
 *   npm run eval:vad                          all variants, Markdown tables on stdout
 *   npm run eval:vad -- --extra DIR           also score recordings labelled in ten-vad's .scv format (not committed)
 *   npm run eval:vad -- --json FILE           the figures as JSON as well
 */
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_SEGMENTER_OPTIONS } from '../../daemon/vad/segmenter';
import { VadConfig, vadConfig } from '../../daemon/vad/config';
import { amiMeetings, labelledFolder, quietFixtures, realClips, RealRecording, syntheticFixtures } from './vad/corpus';
import { detect } from './vad/run';
import { coverage, falseSpeech, frameRecall, overlapSec, pool, RealScore, scoreAgainstTurns, scoreFrames, union } from './vad/score';
import { FRAME_SAMPLES, SAMPLE_RATE } from '../../daemon/capture/source';

const FRAME_SEC = FRAME_SAMPLES / SAMPLE_RATE;

export interface Variant { name: string; config: VadConfig }

const thresholds = (model: 'v5' | 'v6', onThreshold: number, offThreshold: number, levelHandling = false): VadConfig =>
  ({ model, levelHandling, segmenter: { ...DEFAULT_SEGMENTER_OPTIONS, onThreshold, offThreshold } });

/** The first is the anchor (what Earshot ran before this evaluation); the shipped profiles are marked. */
export const VARIANTS: Variant[] = [
  { name: 'v5 0.5/0.35 (before: default)', config: thresholds('v5', 0.5, 0.35) },
  { name: 'v5 0.3/0.2 (before: sensitive)', config: thresholds('v5', 0.3, 0.2) },
  { name: 'v5 0.5/0.35 + level', config: thresholds('v5', 0.5, 0.35, true) },
  { name: 'v5 0.3/0.2 + level', config: thresholds('v5', 0.3, 0.2, true) },
  { name: 'v6 0.5/0.35', config: thresholds('v6', 0.5, 0.35) },
  { name: 'v6 0.5/0.35 + level', config: thresholds('v6', 0.5, 0.35, true) },
  { name: 'v6 0.3/0.2 + level', config: thresholds('v6', 0.3, 0.2, true) },
  { name: 'v6 0.2/0.1 + level', config: thresholds('v6', 0.2, 0.1, true) },
  { name: '**default** (shipped: v6 0.3/0.2)', config: vadConfig({}) },
  { name: '**sensitive** (shipped: v6 0.2/0.1)', config: vadConfig({ profile: 'sensitive' }) },
];

export interface RealResult { name: string; score: RealScore; utterances: number }

/** Scores the recognizer's spans (padding included) against a set of recordings' human turns. */
export async function scoreRecordings(recordings: RealRecording[], config: VadConfig): Promise<{ perFile: RealResult[]; pooled: RealScore; audioSec: number }> {
  const perFile: RealResult[] = [];
  let audioSec = 0;
  for (const r of recordings) {
    const d = await detect(r.file, config);
    audioSec += d.durationSec;
    perFile.push({ name: r.name, score: scoreAgainstTurns(r.turns, d.utterances, d.durationSec), utterances: d.utterances.length });
  }
  return { perFile, pooled: pool(perFile.map((f) => f.score)), audioSec };
}

export interface SyntheticResult { recall: number; falseSpeechRate: number; noiseUtterances: number; quietRecall: Record<string, number>; audioSec: number }

export async function scoreSynthetic(config: VadConfig): Promise<SyntheticResult> {
  let speech = 0, hit = 0, nonSpeech = 0, falseFrames = 0, noiseUtterances = 0, audioSec = 0;
  for (const f of syntheticFixtures()) {
    const d = await detect(f.file, config);
    audioSec += d.durationSec;
    const s = scoreFrames(f.truth, d.speech, d.durationSec, FRAME_SEC);
    speech += s.speechFrames; hit += s.recall * s.speechFrames; nonSpeech += s.nonSpeechFrames; falseFrames += s.falseSpeechRate * s.nonSpeechFrames;
    if (f.truth.length === 0) noiseUtterances += d.utterances.length;
  }
  const quietRecall: Record<string, number> = {};
  for (const f of quietFixtures()) {
    const d = await detect(f.file, config);
    audioSec += d.durationSec;
    quietRecall[f.name] = scoreFrames(f.truth, d.speech, d.durationSec, FRAME_SEC).recall;
  }
  return { recall: hit / speech, falseSpeechRate: falseFrames / nonSpeech, noiseUtterances, quietRecall, audioSec };
}

/** Of the words with timings, the share ≥ 50 % inside what reaches the recognizer; for the others, the clip's share passed on. */
async function scoreClips(config: VadConfig): Promise<{ name: string; words?: string; passed: number }[]> {
  const out = [];
  for (const c of realClips()) {
    const d = await detect(c.file, config);
    const found = union(d.utterances);
    const passed = found.reduce((t, s) => t + Math.min(s.end, d.durationSec) - Math.max(0, s.start), 0) / d.durationSec;
    const words = c.words ? `${c.words.filter((w) => overlapSec(w, found) >= 0.5 * (w.end - w.start)).length}/${c.words.length}` : undefined;
    out.push({ name: c.name, ...(words ? { words } : {}), passed });
  }
  return out;
}

const f3 = (n: number) => n.toFixed(3);
const pct = (n: number) => `${(100 * n).toFixed(2)}%`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { extra: { type: 'string' }, json: { type: 'string' }, only: { type: 'string' } } });
  const variants = values.only ? VARIANTS.filter((v, i) => i === 0 || v.name.includes(values.only!)) : VARIANTS;
  const ami = amiMeetings();
  const extra = values.extra ? labelledFolder(values.extra) : [];
  console.log(`# npm run eval:vad — ${new Date().toISOString().slice(0, 16)} UTC, node ${process.version}\n`);
  console.log(`Real: ${ami.length} AMI meeting excerpts (${ami.reduce((n, r) => n + r.turns.filter((t) => t.end - t.start >= 1).length, 0)} reference turns ≥ 1 s)` +
    `${extra.length ? `; independent check: ${extra.length} recordings from ${values.extra}` : ''}. Synthetic: the issue-3 fixtures and the standup at −30/−40 dB.\n`);
  // Warm-up: each model's session loaded and run once, so the first variant does not pay for loading and JIT.
  for (const model of new Set(variants.map((v) => v.config.model))) await detect(ami[0].file, { ...variants[0].config, model });
  const results = [];
  for (const v of variants) {
    const t0 = process.cpuUsage();
    const real = await scoreRecordings(ami, v.config);
    const synthetic = await scoreSynthetic(v.config);
    const cpu = process.cpuUsage(t0);
    const cpuPerAudioSec = (cpu.user + cpu.system) / 1e6 / (real.audioSec + synthetic.audioSec);
    const extraScore = extra.length ? await scoreRecordings(extra, v.config) : undefined;
    const clips = await scoreClips(v.config);
    results.push({ variant: v, real, synthetic, cpuPerAudioSec, extra: extraScore, clips });
    process.stderr.write(`eval:vad: ${v.name} done\n`);
  }
  const anchor = results[0].cpuPerAudioSec;
  console.log('| variant | AMI coverage | AMI frame recall | AMI false speech | synthetic recall | synthetic false | noise/silence utterances | standup −30 dB / −40 dB recall | CPU per audio s (× anchor) |' +
    (extra.length ? ' independent: coverage / recall / false speech |' : ''));
  console.log('|---|---|---|---|---|---|---|---|---|' + (extra.length ? '---|' : ''));
  for (const r of results) {
    const s = r.real.pooled, q = Object.values(r.synthetic.quietRecall);
    console.log(`| ${r.variant.name} | ${f3(coverage(s))} (${s.covered}/${s.turns}) | ${f3(frameRecall(s))} | ${pct(falseSpeech(s))} | ${f3(r.synthetic.recall)} | ${pct(r.synthetic.falseSpeechRate)} | ${r.synthetic.noiseUtterances} | ${q.map(f3).join(' / ')} | ${(1000 * r.cpuPerAudioSec).toFixed(2)} ms (${(r.cpuPerAudioSec / anchor).toFixed(2)}×) |` +
      (r.extra ? ` ${f3(coverage(r.extra.pooled))} / ${f3(frameRecall(r.extra.pooled))} / ${r.extra.pooled.farHitSec.toFixed(1)} of ${r.extra.pooled.farSec.toFixed(1)} s |` : ''));
  }
  for (const r of results.filter((x, i) => i === 0 || x.variant.name.includes('shipped'))) {
    console.log(`\n## ${r.variant.name}: per file\n`);
    console.log('| file | turns ≥ 1 s covered | frame recall | false speech | utterances | missed turns |');
    console.log('|---|---|---|---|---|---|');
    for (const f of [...r.real.perFile, ...(r.extra?.perFile ?? [])]) {
      console.log(`| ${f.name} | ${f.score.covered}/${f.score.turns} | ${f3(frameRecall(f.score))} | ${pct(falseSpeech(f.score))} | ${f.utterances} | ${f.score.missed.map((m) => `${m.start.toFixed(1)}–${m.end.toFixed(1)} s`).join(', ')} |`);
    }
    console.log(`\nClips (share of the clip passed to the recognizer; words covered where word timings exist): ${r.clips.map((c) => `${c.name} ${f3(c.passed)}${c.words ? ` (words ${c.words})` : ''}`).join('; ')}`);
  }
  if (values.json) fs.writeFileSync(values.json, JSON.stringify(results.map((r) => ({ ...r, variant: r.variant.name })), null, 1));
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
