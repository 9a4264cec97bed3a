/**
 * `npm run eval:vad`: voice detection chosen by cross-validation on real recordings with human references.
 *
 * Every setting in the grid (candidates.ts) is scored on every committed real recording (test/fixtures/real-audio,
 * vad-sets.json) and gated on the synthetic fixtures. Recordings that share a speaker form a group; leaving one group
 * out at a time, the rule (crossval.ts) picks a setting on the rest and the held-out group scores it: those held-out
 * figures, per fold and pooled, are what the rule is worth on meetings it never saw. The shipped profiles
 * (daemon/vad/config.ts) are the rule applied to every group; the eval says so when they differ.
 *
 *   npm run eval:vad                          Markdown on stdout
 *   npm run eval:vad -- --extra DIR           also the independent check: recordings labelled in ten-vad's .scv format
 *   npm run eval:vad -- --dev DIR             also choose on recordings that are not committed: DIR holds a vad-sets.json
 *                                             and its sets' folders (test/fixtures/real-audio/README.md, "Not committed")
 *   npm run eval:vad -- --held-out DIR        then score the shipped profiles once on recordings that chose nothing
 *                                             (a folder like --dev's; test/fixtures/real-audio/README.md, .bench/diar-dev)
 *   npm run eval:vad -- --held-out DIR --decode-cost MODEL
 *                                             and what a decode of non-speech costs: the held-out stretches issue 28's
 *                                             default handed the recognizer, decoded as finals with MODEL
 *   npm run eval:vad -- --json FILE           the figures as JSON as well
 *   npm run eval:vad -- --held-out DIR --also 'v6 0.2/0.2 hang 400 pre 300 min 224 gap 400'
 *                                             and a grid setting by name beside the shipped ones (reporting only)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { VadConfig, vadConfig } from '../../daemon/vad/config';
import { BEFORE, Candidate, ISSUE28_DEFAULT, candidateName, gates, gridCandidates, rules, sameSetting, ScoreCache, ScoredCandidate, scoreCandidates, scoreOn } from './vad/candidates';
import { labelledFolder, realRecordings, realSets, RealRecording, vadRecordings, vadSets } from './vad/corpus';
import { choose, crossValidate, groupRecordings, Rule, spread } from './vad/crossval';
import { detect } from './vad/run';
import { decodeCost, nonSpeechUtterances } from './vad/decodeCost';
import { defaultThreads } from '../../daemon/config';
import { coverage, falseSpeech, frameRecall, MIN_TURN_SEC, nonSpeechDecodesPerHour, pool, RealScore, scoreAgainstTurns } from './vad/score';

export interface RealResult { name: string; score: RealScore; utterances: number }

/** Scores a configuration as a session runs it (detect: file → detector → segmenter) on a set of recordings. */
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

const f3 = (n: number) => n.toFixed(3);
const pct = (n: number) => `${(100 * n).toFixed(2)}%`;
const turnsOf = (r: RealRecording) => r.turns.filter((t) => t.end - t.start >= MIN_TURN_SEC).length;
const figures = (s: RealScore) => `${f3(coverage(s))} (${s.covered}/${s.turns}) | ${f3(frameRecall(s))} | ${pct(falseSpeech(s))} (${s.farHitSec.toFixed(1)} of ${s.farSec.toFixed(0)} s) | ${s.utterances} (${s.nonSpeechUtterances})`;
/** Columns `figures` fills. */
const FIGURE_COLUMNS = 'coverage | frame recall | false speech | decodes (of non-speech)';

/** CPU per audio second of a configuration run as a session runs it, over the given files. */
async function cpuPerAudioSec(files: string[], config: VadConfig): Promise<number> {
  const t0 = process.cpuUsage();
  let audioSec = 0;
  for (const f of files) audioSec += (await detect(f, config)).durationSec;
  const cpu = process.cpuUsage(t0);
  return (cpu.user + cpu.system) / 1e6 / audioSec;
}

function printCrossValidation(title: string, budgetText: string, rule: Rule, scored: ScoredCandidate[], recordings: RealRecording[], groups: number[][]): ReturnType<typeof crossValidate> {
  const cv = crossValidate(scored, groups, rule);
  console.log(`\n### ${title}: false speech ${budgetText} where chosen\n`);
  console.log(`| fold: held out | turns ≥ 1 s | chosen on the other folds | where chosen: coverage | held out: ${FIGURE_COLUMNS} |`);
  console.log('|---|---|---|---|---|---|---|---|');
  for (const f of cv.folds) {
    const names = f.heldOut.map((i) => recordings[i].name).join(', ');
    const turns = f.heldOut.reduce((n, i) => n + turnsOf(recordings[i]), 0);
    if (f.chosen === undefined) { console.log(`| ${names} | ${turns} | none qualifies | | | | | |`); continue; }
    console.log(`| ${names} | ${turns} | ${scored[f.chosen].name} | ${f3(coverage(f.train!))} | ${figures(f.test!)} |`);
  }
  if (cv.pooled) {
    const tested = cv.folds.map((f) => f.test!).filter((t) => t.turns > 0);
    const cov = spread(tested.map(coverage)), fs = spread(cv.folds.map((f) => falseSpeech(f.test!)));
    console.log(`| **pooled over the held-out folds** | ${cv.pooled.turns} | | | ${figures(cv.pooled)} |`);
    // A meeting's false speech and a dictation's are different risks: each kind pooled over its own held-out recordings.
    const byKind = new Map<string, RealScore[]>();
    for (const f of cv.folds) {
      if (f.chosen === undefined) continue;
      for (const i of f.heldOut) byKind.set(recordings[i].kind ?? '?', [...(byKind.get(recordings[i].kind ?? '?') ?? []), scored[f.chosen].perRecording[i]]);
    }
    for (const [kind, scores] of [...byKind].sort()) console.log(`| held out, ${kind} only (${scores.length} recordings) | ${pool(scores).turns} | | | ${figures(pool(scores))} |`);
    console.log(`\nSpread over the folds (held out): coverage min ${f3(cov.min)} / median ${f3(cov.median)} / max ${f3(cov.max)}; false speech min ${pct(fs.min)} / median ${pct(fs.median)} / max ${pct(fs.max)}. ` +
      `Where chosen the same settings showed false speech ${pct(spread(cv.folds.map((f) => falseSpeech(f.train!))).median)} (median).`);
  }
  return cv;
}

/**
 * The shipped profiles on recordings that chose nothing (neither the rule nor its grid saw them): read once, after
 * the choice. Per recording, pooled, pooled per kind, and the decodes of non-speech an hour of them would cause.
 */
async function printHeldOut(dir: string, recordings: RealRecording[], show: readonly (readonly [string, VadConfig])[], cache: ScoreCache): Promise<void> {
  const scores = await Promise.all(show.map(([, config]) => scoreOn(recordings, config, cache)));
  const audioMin = recordings.reduce((t, r) => t + fs.statSync(r.file).size / 32000, 0) / 60;
  console.log(`\n## Held out: ${dir} (${recordings.length} recordings, ${audioMin.toFixed(1)} min, ${recordings.reduce((n, r) => n + turnsOf(r), 0)} turns ≥ 1 s; they chose nothing)\n`);
  console.log(`| recording | kind | ${show.map(([n]) => `${n}: covered / recall / false / decodes (of non-speech)`).join(' | ')} |`);
  console.log(`|---|---|${show.map(() => '---|').join('')}`);
  recordings.forEach((r, i) => {
    console.log(`| ${r.name} | ${r.kind ?? '?'} | ${scores.map((p) => `${p[i].covered}/${p[i].turns} / ${f3(frameRecall(p[i]))} / ${pct(falseSpeech(p[i]))} / ${p[i].utterances} (${p[i].nonSpeechUtterances})`).join(' | ')} |`);
  });
  console.log(`\n| profile | recordings | ${FIGURE_COLUMNS} | decodes of non-speech per hour |`);
  console.log('|---|---|---|---|---|---|---|');
  const kinds = [...new Set(recordings.map((r) => r.kind ?? '?'))].sort();
  show.forEach(([name], j) => {
    const rows: [string, RealScore[]][] = [['all', scores[j]], ...(kinds.length > 1 ? kinds.map((k): [string, RealScore[]] => [`${k} only`, scores[j].filter((_, i) => (recordings[i].kind ?? '?') === k)]) : [])];
    for (const [label, list] of rows) console.log(`| ${name} | ${label} | ${figures(pool(list))} | ${nonSpeechDecodesPerHour(pool(list)).toFixed(0)} |`);
  });
}

/** CPU of each decode of non-speech issue 28's default caused on the held-out recordings, decoded as a final. */
async function printDecodeCost(model: string, recordings: RealRecording[], cache: ScoreCache): Promise<void> {
  const stretches = await nonSpeechUtterances(recordings, ISSUE28_DEFAULT, cache);
  const decodes = await decodeCost(model, stretches);
  console.log(`\n### What a decode of non-speech costs (${path.basename(model)}, ${defaultThreads()} thread(s) as the daemon takes here, the engine's tuning, median of 5)\n`);
  console.log('| recording | stretch | audio | CPU per decode | wall | words |');
  console.log('|---|---|---|---|---|---|');
  for (const d of decodes) {
    console.log(`| ${d.recording} | ${d.span.start.toFixed(2)}–${d.span.end.toFixed(2)} s | ${(d.span.end - d.span.start).toFixed(2)} s | ${d.cpuMs.toFixed(0)} ms | ${d.wallMs.toFixed(0)} ms | ${d.text.split(/\s+/).filter(Boolean).length} |`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { extra: { type: 'string' }, dev: { type: 'string', multiple: true }, 'held-out': { type: 'string' }, 'decode-cost': { type: 'string' }, json: { type: 'string' }, also: { type: 'string', multiple: true } } });
  const recordings = [...vadRecordings(), ...(values.dev ?? []).flatMap((d) => realRecordings(path.resolve(d)))];
  // A recording counted twice (a --dev folder holding what is now committed, as .bench/diar-dev does) would weigh double.
  const twice = recordings.filter((r, i) => recordings.findIndex((o) => o.name === r.name) !== i).map((r) => r.name);
  if (twice.length) throw new Error(`recordings given twice: ${[...new Set(twice)].join(', ')} (test/fixtures/real-audio/vad-more is committed; use --dev .bench/vad-call, not .bench/diar-dev or .bench/vad-dev3)`);
  const independent = values.extra ? labelledFolder(values.extra) : [];
  const cache = new ScoreCache();
  console.log(`# npm run eval:vad — ${new Date().toISOString().slice(0, 16)} UTC, node ${process.version}\n`);

  console.log('## The recordings\n');
  console.log('| set | kind | recordings | audio | reference turns ≥ 1 s | licence | reference |');
  console.log('|---|---|---|---|---|---|---|');
  const sets = [...vadSets(), ...(values.dev ?? []).flatMap((d) => realSets(path.resolve(d)))];
  for (const set of [...new Set(recordings.map((r) => r.set))]) {
    const rs = recordings.filter((r) => r.set === set);
    const meta = sets.find((s) => s.folder === set);
    const sec = rs.reduce((t, r) => t + fs.statSync(r.file).size / 32000, 0);
    console.log(`| ${set}${meta?.committed ? '' : ' (not committed)'} | ${meta?.kind ?? rs[0].kind ?? '?'} | ${rs.length} | ${sec.toFixed(0)} s | ${rs.reduce((n, r) => n + turnsOf(r), 0)} | ${meta?.licence ?? '(local)'} | ${meta?.reference ?? '(local)'} |`);
  }
  const groups = groupRecordings(recordings.map((r) => ({ name: r.name, speakers: r.speakers ?? [] })));
  console.log(`\n${recordings.length} recordings, ${recordings.reduce((n, r) => n + turnsOf(r), 0)} turns ≥ 1 s, in ${groups.length} groups (recordings that share a speaker are one group).` +
    `${independent.length ? ` Independent check (never chosen on): ${independent.length} recordings from ${values.extra}, ${independent.reduce((n, r) => n + turnsOf(r), 0)} turns ≥ 1 s.` : ''}`);

  const candidates: Candidate[] = gridCandidates();
  const started = Date.now();
  const scored = await scoreCandidates(candidates, recordings, cache, (n) => { if (n % 50 === 0) process.stderr.write(`eval:vad: ${n}/${candidates.length} settings scored\n`); });
  process.stderr.write(`eval:vad: ${candidates.length} settings in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);

  console.log('\n## Cross-validation (leave one group out)\n');
  console.log('The rule: among the settings that pass the gates (nothing in silence or noise, synthetic recall ≥ 0.98, the quiet standups heard) ' +
    'and stay within the false-speech budget on the folds it is chosen on, the one that covers the most reference turns ≥ 1 s, then the most reference speech, then the least latency (hangover + pre-roll), then the least false speech.');
  const anchorIndex = scored.findIndex((c) => sameSetting(c.candidate.config, BEFORE));
  const shipped = { default: vadConfig({}), sensitive: vadConfig({ profile: 'sensitive' }) };
  const rule = rules(anchorIndex, scored, shipped.default);
  const cvDefault = printCrossValidation('Default profile', 'at most 1.1 × the false speech of before', rule.default, scored, recordings, groups);
  const cvSensitive = printCrossValidation('Sensitive profile', 'at most 2 × the false speech of before, thresholds below the default\'s', rule.sensitive, scored, recordings, groups);

  const all = groups.flat();
  const chosenDefault = choose(scored, all, rule.default);
  const chosenSensitive = choose(scored, all, rule.sensitive);
  console.log('\n## The rule on every recording: what ships\n');
  for (const [profile, index] of [['default', chosenDefault], ['sensitive', chosenSensitive]] as const) {
    const chosen = index === undefined ? undefined : scored[index];
    const ok = chosen && sameSetting(chosen.candidate.config, shipped[profile]);
    console.log(`- ${profile}: the rule picks **${chosen?.name ?? 'nothing'}**; daemon/vad/config.ts ships ${candidateName(shipped[profile])}${ok ? ' (the same)' : ' — **they differ**'}.`);
  }

  // Every setting on all recordings, for reference (not how the default is chosen): the front of each front end.
  console.log('\n## Every setting on all recordings (for reference; the choice is the cross-validated rule above)\n');
  console.log(`| setting | ${FIGURE_COLUMNS} | gates (synthetic recall / false, noise utterances, quiet recall) |`);
  console.log('|---|---|---|---|---|---|');
  const before = scored[anchorIndex];
  const rows = [before, ...[chosenDefault, chosenSensitive].filter((i): i is number => i !== undefined).map((i) => scored[i])];
  // Per front end and on-threshold, the default timings: how coverage and false speech move with the threshold.
  for (const c of scored) {
    const s = c.candidate.config.segmenter;
    if (s.hangoverMs === 400 && s.preRollMs === 300 && s.minSpeechMs === 250 && (s.offThreshold === 0.2 || (s.onThreshold < 0.2 && s.offThreshold === 0.1)) && !rows.includes(c)) rows.push(c);
  }
  for (const c of rows) {
    const g = c.gates;
    console.log(`| ${c === before ? `${c.name} (before)` : c.name} | ${figures(pool(c.perRecording))} | ${f3(g.recall)} / ${pct(g.falseSpeechRate)}, ${g.noiseUtterances}, ${g.quietRecall.map(f3).join(' / ')}${g.passes ? '' : ' ✗'} |`);
  }

  const show = [['before', BEFORE], ['issue 28 default', ISSUE28_DEFAULT], ['default', shipped.default], ['sensitive', shipped.sensitive]] as const;
  console.log('\n## Per recording (as shipped)\n');
  console.log(`| recording | set | turns ≥ 1 s | ${show.map(([n]) => `${n}: covered / recall / false`).join(' | ')} | missed by the default |`);
  console.log(`|---|---|---|${show.map(() => '---|').join('')}---|`);
  const perShown = await Promise.all(show.map(([, config]) => scoreOn(recordings, config, cache)));
  recordings.forEach((r, i) => {
    console.log(`| ${r.name} | ${r.set} | ${turnsOf(r)} | ${perShown.map((p) => `${p[i].covered}/${p[i].turns} / ${f3(frameRecall(p[i]))} / ${pct(falseSpeech(p[i]))}`).join(' | ')} | ${perShown[show.findIndex(([n]) => n === 'default')][i].missed.map((m) => `${m.start.toFixed(1)}–${m.end.toFixed(1)} s`).join(', ')} |`);
  });

  // The rule's picks beside what ships, when they differ: the held-out read is what says whether the pick carries over.
  const picks: (readonly [string, VadConfig])[] = ([['default', chosenDefault], ['sensitive', chosenSensitive]] as const)
    .filter(([profile, index]) => index !== undefined && !sameSetting(scored[index].candidate.config, shipped[profile]))
    .map(([profile, index]) => [`the rule's ${profile} (${scored[index!].name})`, scored[index!].candidate.config] as const);
  // Settings named with --also (for reporting beside the choice, never chosen by it).
  for (const name of values.also ?? []) {
    const c = scored.find((x) => x.name === name);
    if (!c) throw new Error(`--also ${name}: no such setting in the grid`);
    picks.push([name, c.candidate.config]);
  }
  if (independent.length) {
    console.log(`\n## Independent check: ${values.extra} (never chosen on)\n`);
    console.log(`| profile | ${FIGURE_COLUMNS} |`);
    console.log('|---|---|---|---|---|');
    for (const [name, config] of [...show, ...picks]) console.log(`| ${name} | ${figures(pool(await scoreOn(independent, config, cache)))} |`);
  }

  const heldOut = values['held-out'] ? realRecordings(path.resolve(values['held-out'])) : [];
  if (heldOut.length) await printHeldOut(values['held-out']!, heldOut, [...show, ...picks], cache);
  if (heldOut.length && values['decode-cost']) await printDecodeCost(values['decode-cost'], heldOut, cache);

  // CPU as a session spends it (the real detector, not the replay), each shipped profile against the anchor.
  const files = recordings.map((r) => r.file);
  for (const [, config] of show) await detect(files[0], config); // warm-up: sessions loaded, JIT settled
  const cpu: Record<string, number> = {};
  for (const [name, config] of show) cpu[name] = await cpuPerAudioSec(files, config);
  console.log(`\nCPU per audio second (process CPU, real detector over the real recordings): ${show.map(([n]) => `${n} ${(1000 * cpu[n]).toFixed(2)} ms (${(cpu[n] / cpu.before).toFixed(2)}×)`).join(', ')}.`);
  const g = await Promise.all(show.map(([, c]) => gates(c, cache)));
  console.log(`Gates as shipped: ${show.map(([n], i) => `${n}: synthetic recall ${f3(g[i].recall)}, false ${pct(g[i].falseSpeechRate)}, noise/silence utterances ${g[i].noiseUtterances}, standup −30/−40 dB recall ${g[i].quietRecall.map(f3).join('/')}`).join('; ')}.`);

  if (values.json) {
    fs.writeFileSync(values.json, JSON.stringify({
      recordings: recordings.map((r) => ({ name: r.name, set: r.set, turns: turnsOf(r) })),
      groups: groups.map((g2) => g2.map((i) => recordings[i].name)),
      crossValidation: { default: cvDefault, sensitive: cvSensitive },
      chosen: { default: chosenDefault === undefined ? null : scored[chosenDefault].name, sensitive: chosenSensitive === undefined ? null : scored[chosenSensitive].name },
      settings: scored.map((c) => ({ name: c.name, gates: c.gates, pooled: pool(c.perRecording) })),
      cpu,
    }, null, 1));
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
