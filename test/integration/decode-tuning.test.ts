/**
 * The engine measures flash attention and a decode's threads once per model and machine, with real whisper inference,
 * and keeps the result beside the model (daemon/asr/decodeTuning.ts): the next load reads it instead of measuring, a
 * decode says the same words whichever setting won, and nothing is measured or kept when tuning is off.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tuningCachePath } from '../../daemon/asr/decodeTuning';
import { WhisperEngine } from '../../daemon/asr/whisper';
import { defaultThreads } from '../../daemon/config';
import { DAEMON_BIN, REPO_ROOT, samplePcm } from '../setup';

describe('decode tuning with real whisper inference', () => {
  let dir: string;
  let model: string;
  let speech: Float32Array;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-tuning-'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { generateModel } = require(path.join(REPO_ROOT, 'scripts', 'gen-whisper-model.js'));
    model = path.join(dir, 'tiny.en-random.bin');
    // Random weights: the words depend on the audio and on every number the decode computes.
    generateModel({ preset: 'tiny.en', seed: 11, out: model });
    speech = (await samplePcm()).slice(8000, 8000 + 3 * 16000);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const engine = (extra: Partial<ConstructorParameters<typeof WhisperEngine>[0]> = {}) =>
    new WhisperEngine({ modelPath: model, language: 'en', threads: 2, gpu: false, flashAttn: undefined, ...extra });
  const text = async (e: WhisperEngine) => (await e.decode({ pcm: speech, maxTokens: 12, audioCtx: 3 * 50 + 32 })).text;

  it('measures at the first load, keeps it beside the model, and the next load reads it', async () => {
    const cache = tuningCachePath(model);
    const first = engine();
    await first.load();
    assert.ok(first.tuning, 'measured');
    // Both flash-attention settings at one thread at least (thread counts are compared only when the machine is quiet).
    assert.ok(['fa on, 1 thread', 'fa off, 1 thread'].every((s) => Object.keys(first.tuning!.measured ?? {}).some((k) => k.endsWith(s))),
      `both flash-attention settings measured: ${JSON.stringify(first.tuning.measured)}`);
    assert.equal(first.flashAttn, first.tuning.flashAttn, 'the model kept is the one that won');
    const kept = JSON.parse(fs.readFileSync(cache, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.values(kept), [first.tuning]);
    const firstText = await text(first);
    await first.free();

    const writtenAt = fs.statSync(cache).mtimeMs;
    const second = engine();
    await second.load();
    assert.deepEqual(second.tuning, first.tuning, 'read, not measured again');
    assert.equal(fs.statSync(cache).mtimeMs, writtenAt);
    assert.equal(await text(second), firstText);
    await second.free();

    // Fixed flash attention is another key: measured for itself (only the threads), the words the same.
    const fixed = engine({ flashAttn: !first.tuning.flashAttn });
    await fixed.load();
    assert.equal(fixed.flashAttn, !first.tuning.flashAttn);
    assert.ok(fixed.tuning && Object.keys(fixed.tuning.measured ?? {}).every((k) => k.includes(`fa ${fixed.flashAttn ? 'on' : 'off'}`)), JSON.stringify(fixed.tuning));
    assert.equal(Object.keys(JSON.parse(fs.readFileSync(cache, 'utf8')) as object).length, 2);
    assert.equal(await text(fixed), firstText, 'flash attention and the thread count do not change the words');
    await fixed.free();
  });

  it('earshot build-info says what the tuning chose for a model on this CPU, with the daemon\'s threads', async () => {
    const info = () => {
      const run = spawnSync(process.execPath, [DAEMON_BIN, 'build-info', '--model', model], { encoding: 'utf8', env: { ...process.env, EARSHOT_FLASH_ATTN: '' } });
      assert.equal(run.status, 0, run.stderr);
      return JSON.parse(run.stdout) as { flashAttentionChosenBy: string; decodeTuning: { model: string; threads: number; measured: boolean; flashAttn?: boolean; smallThreads?: number; largeThreads?: number }[] };
    };
    fs.rmSync(tuningCachePath(model), { force: true });
    assert.deepEqual(info().decodeTuning, [{ model, threads: defaultThreads(), measured: false }], 'not measured before the first load');
    const e = engine({ threads: defaultThreads() });
    await e.load();
    const after = info();
    assert.match(after.flashAttentionChosenBy, /measured per model/);
    assert.equal(after.decodeTuning.length, 1);
    const { flashAttn, smallThreads, largeThreads, measured } = after.decodeTuning[0];
    assert.deepEqual({ measured, flashAttn, smallThreads, largeThreads }, { measured: true, flashAttn: e.flashAttn, smallThreads: e.tuning!.smallThreads, largeThreads: e.tuning!.largeThreads });
    await e.free();
  });

  it('with tuning off nothing is measured or kept', async () => {
    const other = path.join(dir, 'untuned.json');
    const e = engine({ tune: false, tuningCache: other });
    await e.load();
    assert.equal(e.tuning, undefined);
    assert.equal(fs.existsSync(other), false);
    assert.ok((await text(e)).length > 0);
    await e.free();
  });
});
