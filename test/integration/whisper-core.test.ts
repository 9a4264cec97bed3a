/**
 * Earshot's changes to whisper.cpp itself (scripts/whisper-core/whisper.patch) under real inference. The compute
 * buffers of the encoder's phases (conv, encoder, cross attention) are handed back to the OS once no later phase reads
 * them: a decode must come out exactly as it does with every buffer kept (EARSHOT_WHISPER_KEEP_PAGES=1), token for token
 * and probability for probability, including decodes that run in buffers an earlier decode handed back.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT, samplePcm } from '../setup';

type Decodes = { id: number; p: number }[][];

function decodeTokens(model: string, clipsFile: string, env: NodeJS.ProcessEnv): Promise<Decodes> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'out', 'test', 'support', 'decode-tokens.js'), model, clipsFile], {
    env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s; });
  child.stderr.setEncoding('utf8').on('data', (s: string) => { err += s; });
  return new Promise((resolve, reject) => child.on('exit', (code) => {
    if (code !== 0) reject(new Error(`decode-tokens exited ${code}: ${err.slice(-1500)}`));
    else resolve(JSON.parse(out) as Decodes);
  }));
}

describe('whisper.patch under real inference', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-core-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('compute buffers handed back between phases and decodes change no token and no probability (tiny.en)', async function () {
    this.timeout(240_000);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { generateModel } = require(path.join(REPO_ROOT, 'scripts', 'gen-whisper-model.js'));
    const model = path.join(dir, 'tiny.en-random.bin');
    // Random weights: what it says depends on the audio (through the encoder and cross attention), so a phase that
    // read a buffer handed back too early would change the tokens or their probabilities.
    generateModel({ preset: 'tiny.en', seed: 7, out: model });

    const speech = await samplePcm();
    const writeClip = (name: string, pcm: Float32Array) => {
      const file = path.join(dir, `${name}.f32`);
      fs.writeFileSync(file, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
      return file;
    };
    const full = writeClip('full', speech.slice(0, 30 * 16000));
    const turn = writeClip('turn', speech.slice(8000, 8000 + 5 * 16000));
    const silence = writeClip('silence', new Float32Array(5 * 16000));
    // The full window first (every buffer touched to its end), a turn-sized window and silence in the same encoder
    // window (so only the audio differs), then the full window again, in buffers the earlier decodes handed back.
    const clips = [
      { f32: full, audioCtx: 0, maxTokens: 6 },
      { f32: turn, audioCtx: 282, maxTokens: 6 },
      { f32: silence, audioCtx: 282, maxTokens: 6 },
      { f32: full, audioCtx: 0, maxTokens: 6 },
    ];
    const clipsFile = path.join(dir, 'clips.json');
    fs.writeFileSync(clipsFile, JSON.stringify(clips));

    const released = await decodeTokens(model, clipsFile, { EARSHOT_WHISPER_KEEP_PAGES: '' });
    const kept = await decodeTokens(model, clipsFile, { EARSHOT_WHISPER_KEEP_PAGES: '1' });

    assert.equal(released.length, clips.length);
    for (const tokens of released) assert.ok(tokens.length >= 2, `a decode with tokens: ${JSON.stringify(released)}`);
    // The check can tell: speech and silence in the same window decode differently, and the same input the same way.
    assert.notDeepEqual(released[1], released[2], 'speech and silence decode differently');
    assert.deepEqual(released[3], released[0], 'the full window decodes the same the second time');
    assert.deepEqual(released, kept);
  });
});
