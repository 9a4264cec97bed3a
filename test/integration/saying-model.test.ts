/**
 * Generated "saying" models (scripts/gen-whisper-model.js --say) under real whisper.cpp inference: the daemon's
 * own decode parameters, its CLI on the committed sample, with and without an initial prompt, mini and tiny.en; a
 * partial stopped by abortPartial (the recognizer's call when the speech stops) and the decodes after it.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DecodeAbortedError, WhisperEngine } from '../../daemon/asr/whisper';
import { DICTATION_SENTENCE_TOKENS, MEETING_SENTENCE_TOKENS, REPO_ROOT, SAMPLE_WAV, samplePcm, sayingModel, sentenceText } from '../setup';
import { runEarshot } from './daemon-process';

interface Turn { start: number; end: number }
const TURNS: Turn[] = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'media', 'sample', 'standup.json'), 'utf8'));
const SAMPLE_RATE = 16000;

const MEETING_TEXT = 'Alice, can you fix auth.ts by Friday?';
const DICTATION_TEXT = 'hello comma world period camel case parse config';


/** Decodes as the streaming recognizer does for a final (daemon/asr/streaming.ts: token cap and encoder window). */
function decodeLikeAFinal(engine: WhisperEngine, pcm: Float32Array, prompt: string): Promise<string> {
  const sec = pcm.length / SAMPLE_RATE;
  return engine.decode({ pcm, final: true, prompt, maxTokens: Math.ceil(sec * 8) + 4, audioCtx: Math.min(1500, Math.ceil((sec + 1) * 50) + 32) })
    .then((r) => r.text);
}

function noise(seconds: number, amplitude: number): Float32Array {
  let seed = 12345;
  return Float32Array.from({ length: seconds * SAMPLE_RATE }, () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed / 2 ** 32 * 2 - 1) * amplitude;
  });
}

describe('Saying models (gen-whisper-model --say) under whisper.cpp', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-saying-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the sentence texts are the tokens joined, leading space trimmed', () => {
    assert.equal(sentenceText(MEETING_SENTENCE_TOKENS), MEETING_TEXT);
    assert.equal(sentenceText(DICTATION_SENTENCE_TOKENS), DICTATION_TEXT);
  });

  for (const [name, tokens, text] of [
    ['meeting', MEETING_SENTENCE_TOKENS, MEETING_TEXT],
    ['dictation', DICTATION_SENTENCE_TOKENS, DICTATION_TEXT],
  ] as const) {
    it(`earshot transcribe of the sample: every final segment says "${text}" (${name})`, async () => {
      const run = await runEarshot(['transcribe', SAMPLE_WAV, '--model', sayingModel(name, tokens), '--json', '--notes-dir', path.join(dir, `notes-${name}`), '--threads', '1'],
        { EARSHOT_STORAGE: path.join(dir, `storage-${name}`) });
      assert.equal(run.code, 0, run.stderr.slice(-2000));
      const segments = run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { t0: number; t1: number; text: string });
      assert.equal(segments.length, TURNS.length, run.stdout);
      for (const [i, s] of segments.entries()) {
        assert.equal(s.text, text, `segment ${i + 1}`);
        assert.ok(s.t0 < TURNS[i].end && TURNS[i].start < s.t1, `segment ${i + 1} (${s.t0}–${s.t1}) lies on turn ${i + 1}`);
      }
    });
  }

  it('the daemon\'s decode parameters: the same sentence for speech, noise and silence, with or without a prompt (mini)', async () => {
    const engine = new WhisperEngine({ modelPath: sayingModel('meeting', MEETING_SENTENCE_TOKENS), language: 'en', threads: 1, gpu: false });
    try {
      const pcm = await samplePcm();
      const turn = (i: number) => pcm.subarray(Math.round(TURNS[i].start * SAMPLE_RATE), Math.round(TURNS[i].end * SAMPLE_RATE));
      const prompts = ['', 'authService parseConfig Alice Friday', `${MEETING_TEXT} ${MEETING_TEXT}`, 'hello ( ) -- [x] ♪ thank you.'];
      const inputs: [string, Float32Array][] = [['turn 1', turn(0)], ['turn 5', turn(4)], ['noise', noise(2, 0.3)], ['silence', new Float32Array(SAMPLE_RATE)], ['whole sample', pcm]];
      for (const [label, audio] of inputs) {
        for (const prompt of prompts) {
          assert.equal(await decodeLikeAFinal(engine, audio, prompt), MEETING_TEXT, `${label}, prompt ${JSON.stringify(prompt)}`);
        }
      }
      // The recognizer's token cap (8 per second + 4) cuts a sentence of n tokens on audio of (n - 5) / 8 s or less.
      assert.equal(await decodeLikeAFinal(engine, pcm.subarray(0, 0.3 * SAMPLE_RATE), ''), 'Alice, can you fix auth.ts');
      assert.equal(await decodeLikeAFinal(engine, pcm.subarray(0, 0.7 * SAMPLE_RATE), ''), MEETING_TEXT);
    } finally {
      await engine.free();
    }
  });

  it('the tiny.en preset says it too, with a prompt', async function () {
    this.timeout(60_000);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { generateModel } = require(path.join(REPO_ROOT, 'scripts', 'gen-whisper-model.js'));
    const model = path.join(dir, 'tiny.en-say.bin');
    generateModel({ preset: 'tiny.en', say: [...DICTATION_SENTENCE_TOKENS], out: model });
    const engine = new WhisperEngine({ modelPath: model, language: 'en', threads: 1, gpu: false });
    try {
      const pcm = await samplePcm();
      const turn = pcm.subarray(Math.round(TURNS[1].start * SAMPLE_RATE), Math.round(TURNS[1].end * SAMPLE_RATE));
      assert.equal(await decodeLikeAFinal(engine, turn, 'parseConfig camelCase'), DICTATION_TEXT);
      assert.equal(await decodeLikeAFinal(engine, noise(2, 0.3), ''), DICTATION_TEXT);
    } finally {
      await engine.free();
    }
  });

  it('abortPartial stops a partial or a speculative final in progress, never a final, and the next decode is whole (tiny.en)', async function () {
    this.timeout(60_000);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { generateModel } = require(path.join(REPO_ROOT, 'scripts', 'gen-whisper-model.js'));
    const model = path.join(dir, 'tiny.en-say-abort.bin');
    generateModel({ preset: 'tiny.en', say: [...MEETING_SENTENCE_TOKENS], out: model });
    const engine = new WhisperEngine({ modelPath: model, language: 'en', threads: 1, gpu: false });
    /** Asks for the abort until the engine runs the decode (it refuses before: nothing runs yet). */
    const abortOnceRunning = async (): Promise<boolean> => {
      for (let i = 0; i < 1000; i++) {
        if (engine.abortPartial()) return true;
        await new Promise((resolve) => setImmediate(resolve));
      }
      return false;
    };
    try {
      await engine.load();
      const pcm = await samplePcm();
      // A partial over the whole 30 s window: the encoder alone takes long enough to be stopped after.
      const partial = engine.decode({ pcm, final: false, maxTokens: 40, prompt: 'auth.ts' });
      assert.equal(await abortOnceRunning(), true, 'the running partial accepts the abort');
      const abortedAt = performance.now();
      await assert.rejects(partial, DecodeAbortedError);
      const stoppingMs = performance.now() - abortedAt;
      assert.equal(engine.abortPartial(), false, 'nothing runs after it');

      // A final is never stopped: the request is refused and the final says its sentence.
      const finalStart = performance.now();
      const final = engine.decode({ pcm, final: true, maxTokens: 40, prompt: 'auth.ts' });
      let refused = 0;
      for (let i = 0; i < 50; i++, await new Promise((resolve) => setImmediate(resolve))) if (!engine.abortPartial()) refused++;
      assert.equal(refused, 50);
      assert.equal((await final).text, MEETING_TEXT);
      // The abort reaches the encoder's graph (whisper.patch): the partial stopped within a node, not after the 30 s
      // encoder, which is most of the final's time (compared in this run, whatever the machine's speed).
      const finalMs = performance.now() - finalStart;
      assert.ok(stoppingMs < finalMs / 4, `stopping took ${stoppingMs.toFixed(0)} ms, a whole decode ${finalMs.toFixed(0)} ms`);

      // An early final is speculative until the end is confirmed: stopped like a partial when the speech resumes.
      const early = engine.decode({ pcm, final: true, speculative: true, maxTokens: 40, prompt: 'auth.ts' });
      assert.equal(await abortOnceRunning(), true, 'the running speculative final accepts the abort');
      await assert.rejects(early, DecodeAbortedError);

      // An abort asked for while nothing runs does not reach the next partial.
      assert.equal(engine.abortPartial(), false);
      assert.equal((await engine.decode({ pcm: pcm.subarray(0, 3 * SAMPLE_RATE), final: false, maxTokens: 40, audioCtx: 232 })).text, MEETING_TEXT);
    } finally {
      await engine.free();
    }
  });
});
