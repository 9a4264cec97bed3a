import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspectModelFile, ModelFileError } from '../../daemon/models/modelFile';
import { miniModel } from '../setup';

async function rejectsNaming(file: string, reason: RegExp): Promise<void> {
  await assert.rejects(inspectModelFile(file), (e: unknown) => {
    assert.ok(e instanceof ModelFileError, `expected ModelFileError, got ${String(e)}`);
    assert.equal(e.path, file);
    assert.ok(e.message.includes(file), `the message names the path: ${e.message}`);
    assert.match(e.message, reason);
    return true;
  });
}

describe('Model file check (inspectModelFile)', () => {
  let dir: string;
  let model: Buffer;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'earshot-model-'));
    model = await fs.readFile(miniModel());
  });
  after(async () => { await fs.rm(dir, { recursive: true, force: true }); });

  it('accepts the mini model and reports its dimensions', async () => {
    const info = await inspectModelFile(miniModel());
    assert.equal(info.path, miniModel());
    assert.equal(info.bytes, model.length);
    assert.equal(info.nAudioState, 64);
    assert.equal(info.nTextState, 64);
    assert.equal(info.nAudioLayer, 1);
    assert.equal(info.nTextLayer, 1);
    assert.equal(info.nVocab, model.readInt32LE(4));
    assert.equal(info.multilingual, info.nVocab >= 51865);
    assert.equal(info.tensors, 11 + 15 * 1 + 24 * 1);
  });

  it('refuses a truncated copy (an incomplete download)', async () => {
    for (const keep of [model.length - 1, Math.floor(model.length / 2), 30, 4]) {
      const file = path.join(dir, `truncated-${keep}.bin`);
      await fs.writeFile(file, model.subarray(0, keep));
      await rejectsNaming(file, /truncated/);
    }
  });

  it('refuses a copy with trailing garbage', async () => {
    const file = path.join(dir, 'trailing.bin');
    await fs.writeFile(file, Buffer.concat([model, Buffer.alloc(100, 7)]));
    await rejectsNaming(file, /corrupt|truncated/);
  });

  it('refuses a copy with a flipped magic number', async () => {
    const file = path.join(dir, 'magic.bin');
    const copy = Buffer.from(model);
    copy[0] ^= 0xff;
    await fs.writeFile(file, copy);
    await rejectsNaming(file, /bad magic number/);
  });

  it('refuses a copy with impossible header dimensions', async () => {
    const file = path.join(dir, 'dims.bin');
    const copy = Buffer.from(model);
    copy.writeInt32LE(-5, 8); // n_audio_ctx
    await fs.writeFile(file, copy);
    await rejectsNaming(file, /impossible dimensions/);
  });

  it('refuses an empty file', async () => {
    const file = path.join(dir, 'empty.bin');
    await fs.writeFile(file, '');
    await rejectsNaming(file, /empty/);
  });

  it('refuses a missing file', async () => {
    await rejectsNaming(path.join(dir, 'nope', 'ggml-base.en.bin'), /not found/);
  });

  it('refuses a directory', async () => {
    await assert.rejects(inspectModelFile(dir), (e: unknown) => e instanceof ModelFileError && e.message.includes(dir));
  });
});
