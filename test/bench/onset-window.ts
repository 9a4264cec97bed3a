/**
 * Issue 60: an utterance's first partial with a shorter encoder window (StreamingOptions.firstPartialCtxMargin) against
 * the same decode with the whole 30 s window (audio_ctx 0 → 1500) and with the later partials' margin (+32, the first
 * partial before). Onsets of real speech, cut as the recognizer cuts its first partial (0.3 s of pre-roll and the
 * onset's speech: 13 frames of 512, 0.42 s), decoded one thread, no prompt, the onset's token cap (5), variants
 * alternating. Reports, per margin: the words of its text against the full window's (WER) and against +32's, exact
 * agreement, and the decode's median time.
 *
 * No trained weights exist on these machines: the model is generated (base.en dims) with its untouched random decoder,
 * whose text is a function of everything the encoder outputs. Equal text then says the encoder's output for the audio
 * did not change enough to move the greedy argmax; different text says it moved, not that a real model's words would be
 * worse (speed.md 3G says what this shows). With EARSHOT_MODEL=<a real ggml model> the same harness reads real words.
 *
 *   node out/test/bench/onset-window.js --set dev|heldout [--margins 0,2,4,8,16] [--max 40]
 *   dev:     test/fixtures/real-audio/clips (the 16 kHz ones; onsets by energy: a voiced 32 ms frame after 0.32 s unvoiced)
 *   heldout: test/fixtures/real-audio/ami (nine AMI excerpts; onsets: reference.rttm turns with 0.3 s of nobody before)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WhisperEngine, DecodeRequest } from '../../daemon/asr/whisper';
import { SAMPLE_RATE } from '../../daemon/capture/source';
import { decodeToMono, readWavFormat } from '../../daemon/capture/wav';
import { REPO_ROOT } from '../setup';
import { normalizeWords, wordErrors } from '../eval/wer';
import { benchRandomModel, median } from './util';

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const FRAME = 512;
const ONSET_SAMPLES = 13 * FRAME;
const PRE_ROLL_SEC = 0.3;

async function readMono16k(file: string): Promise<Float32Array | undefined> {
  const fmt = await readWavFormat(file);
  if (fmt.sampleRate !== SAMPLE_RATE) return undefined;
  return decodeToMono(fs.readFileSync(file).subarray(fmt.dataOffset, fmt.dataOffset + fmt.dataBytes), fmt);
}

/** Onset times (s) by energy: a 32 ms frame above the clip's threshold after ten frames below it. */
function energyOnsets(pcm: Float32Array): number[] {
  const rms: number[] = [];
  for (let i = 0; i + FRAME <= pcm.length; i += FRAME) {
    let s = 0;
    for (let j = i; j < i + FRAME; j++) s += pcm[j] * pcm[j];
    rms.push(Math.sqrt(s / FRAME));
  }
  const sorted = [...rms].sort((a, b) => a - b);
  const threshold = Math.max(0.05 * sorted[sorted.length - 1], 4 * sorted[Math.floor(sorted.length * 0.2)]);
  const onsets: number[] = [];
  let quiet = 10; // the clip's start counts as quiet before it
  for (let f = 0; f < rms.length; f++) {
    if (rms[f] > threshold) {
      if (quiet >= 10) onsets.push((f * FRAME) / SAMPLE_RATE);
      quiet = 0;
    } else quiet++;
  }
  return onsets;
}

/** Onsets from an RTTM reference: turn starts with nobody speaking in the PRE_ROLL_SEC before. */
function rttmOnsets(rttm: string, file: string): number[] {
  const turns = rttm.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f[0] === 'SPEAKER' && f[1] === file)
    .map((f) => ({ start: Number(f[3]), end: Number(f[3]) + Number(f[4]) }));
  return turns.filter((t) => !turns.some((o) => o !== t && o.start < t.start && o.end > t.start - PRE_ROLL_SEC)).map((t) => t.start).sort((a, b) => a - b);
}

async function onsets(set: string): Promise<{ name: string; pcm: Float32Array }[]> {
  const out: { name: string; pcm: Float32Array }[] = [];
  const cut = (name: string, audio: Float32Array, at: number) => {
    const from = Math.max(0, Math.round((at - PRE_ROLL_SEC) * SAMPLE_RATE));
    if (from + ONSET_SAMPLES <= audio.length) out.push({ name: `${name}@${at.toFixed(2)}`, pcm: audio.slice(from, from + ONSET_SAMPLES) });
  };
  if (set === 'dev') {
    const dir = path.join(REPO_ROOT, 'test', 'fixtures', 'real-audio', 'clips');
    for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.wav')).sort()) {
      const audio = await readMono16k(path.join(dir, f));
      if (!audio) { console.log(`(${f}: not 16 kHz, left out)`); continue; }
      for (const at of energyOnsets(audio)) cut(f, audio, at);
    }
  } else if (set === 'heldout') {
    const dir = path.join(REPO_ROOT, 'test', 'fixtures', 'real-audio', 'ami');
    const rttm = fs.readFileSync(path.join(dir, 'reference.rttm'), 'utf8');
    for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.wav')).sort()) {
      const audio = (await readMono16k(path.join(dir, f)))!;
      for (const at of rttmOnsets(rttm, f.replace(/\.wav$/, ''))) cut(f, audio, at);
    }
  } else throw new Error(`--set dev|heldout, not ${set}`);
  return out;
}

async function main(): Promise<void> {
  const set = arg('set', 'dev');
  const margins = arg('margins', '0,2,4,8,16').split(',').map(Number);
  const all = await onsets(set);
  const max = Number(arg('max', '40'));
  // Evenly spread over the set when there are more than --max.
  const picked = all.length <= max ? all : Array.from({ length: max }, (_, i) => all[Math.floor((i * all.length) / max)]);
  const modelPath = process.env.EARSHOT_MODEL ?? benchRandomModel('base.en');
  const engine = new WhisperEngine({ modelPath, language: 'en', threads: 1, gpu: false, tune: false, tuningCache: null });
  await engine.load();
  const frames = Math.ceil(ONSET_SAMPLES / SAMPLE_RATE * 50);
  const variants: [string, number][] = [['full (0)', 0], [`+32 (${frames + 32})`, frames + 32], ...margins.map((m): [string, number] => [`+${m} (${frames + m})`, frames + m])];
  const text: Record<string, string[]> = Object.fromEntries(variants.map(([k]) => [k, []]));
  const ms: Record<string, number[]> = Object.fromEntries(variants.map(([k]) => [k, []]));
  for (const o of picked) {
    for (const [k, audioCtx] of variants) {
      const r: DecodeRequest = { pcm: o.pcm, final: false, maxTokens: 5, audioCtx };
      const d = await engine.decode(r);
      text[k].push(d.text);
      ms[k].push(d.ms);
    }
  }
  await engine.free();
  const against = (k: string, ref: string) => {
    let errors = 0, words = 0, same = 0;
    text[k].forEach((t, i) => {
      const e = wordErrors(normalizeWords(text[ref][i]), normalizeWords(t));
      errors += e.substitutions + e.deletions + e.insertions;
      words += e.reference;
      if (normalizeWords(t).join(' ') === normalizeWords(text[ref][i]).join(' ')) same++;
    });
    return `${words ? (errors / words).toFixed(3) : 'n/a'} (${same}/${text[k].length} the same)`;
  };
  console.log(`set ${set}: ${picked.length} onsets (of ${all.length}), model ${path.basename(modelPath)}, one thread, audio ${frames} positions`);
  console.log('| window | WER against the full window | WER against +32 | decode median | / +32 |\n|---|---|---|---|---|');
  const anchor = median(ms[variants[1][0]]);
  for (const [k] of variants) {
    console.log(`| ${k} | ${against(k, variants[0][0])} | ${against(k, variants[1][0])} | ${median(ms[k]).toFixed(0)} ms | ${(median(ms[k]) / anchor).toFixed(2)} |`);
  }
}

void main();
