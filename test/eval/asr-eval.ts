/**
 * `npm run eval:asr`: word error rates on the real recordings with human transcripts, through exactly what a user runs
 * (`earshot transcribe FILE --json`: file source, Silero VAD, the streaming recognizer, whisper.cpp).
 *
 *   EARSHOT_MODEL=ggml-base.en.bin npm run eval:asr      with a real model: real word error rates
 *   npm run eval:asr -- --model PATH [--vad-profile sensitive]
 *
 * Without a model it runs the same path with a generated model (random weights, it says "hello"): the words are then
 * meaningless, and the report says so — no trained whisper weights reach the machines this project is built on.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { miniModel, REPO_ROOT } from '../setup';
import { realClips, REAL_AUDIO_DIR } from './vad/corpus';
import { normalizeWords, sumErrors, wer, WordErrors, wordErrors } from './wer';

const CLI = path.join(REPO_ROOT, 'bin', 'earshot.js');

interface Item { name: string; file: string; reference: string }

/** Clips with a whole transcript, and the two AMI excerpts with their manual transcripts (boundary at 30 s approximate). */
function corpus(): Item[] {
  const clips = realClips()
    .filter((c) => c.name !== 'stereo-two-speakers') // one speaker a channel: the downmix holds both, the reference one
    .map((c) => ({ name: c.name, file: c.file, reference: c.transcript.replace(/\s\/\s/g, ' ') }));
  const ami = ['dev00', 'dev01'].map((name) => ({
    name: `ami-${name}`,
    file: path.join(REAL_AUDIO_DIR, 'ami', `${name}.wav`),
    reference: fs.readFileSync(path.join(REAL_AUDIO_DIR, 'ami', `${name}.ref_approx.txt`), 'utf8')
      .split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.replace(/^[A-Z]{2,3}:\s*/, '')).join(' '),
  }));
  return [...clips, ...ami];
}

function transcribe(file: string, model: string, vadProfile: string, notesDir: string): string {
  const out = execFileSync(process.execPath, [CLI, 'transcribe', file, '--model', model, '--json', '--notes-dir', notesDir, '--vad-profile', vadProfile],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, EARSHOT_STORAGE: path.join(notesDir, 'storage') } });
  return out.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { text: string }).text).join(' ');
}

function main(): void {
  const { values } = parseArgs({ options: { model: { type: 'string' }, 'vad-profile': { type: 'string', default: 'default' } } });
  const given = values.model ?? process.env.EARSHOT_MODEL;
  const model = given ?? miniModel();
  const scratch = fs.mkdtempSync(path.join(REPO_ROOT, '.bench', 'asr-eval-'));
  console.log(`# npm run eval:asr — ${new Date().toISOString().slice(0, 16)} UTC, model ${path.basename(model)}, VAD profile ${values['vad-profile']}\n`);
  if (!given) console.log('No model given (EARSHOT_MODEL or --model): a generated model ran the pipeline; its words are noise, so these error rates say nothing about recognition.\n');
  console.log('| recording | reference words | WER | substitutions | deletions | insertions |');
  console.log('|---|---|---|---|---|---|');
  const all: WordErrors[] = [];
  try {
    for (const item of corpus()) {
      const e = wordErrors(normalizeWords(item.reference), normalizeWords(transcribe(item.file, model, values['vad-profile']!, scratch)));
      all.push(e);
      console.log(`| ${item.name} | ${e.reference} | ${(100 * wer(e)).toFixed(1)}% | ${e.substitutions} | ${e.deletions} | ${e.insertions} |`);
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  const total = sumErrors(all);
  console.log(`| **all** | ${total.reference} | **${(100 * wer(total)).toFixed(1)}%** | ${total.substitutions} | ${total.deletions} | ${total.insertions} |`);
}

if (require.main === module) main();
