/**
 * Which file keeps a notes model's system prompt (understanding/local/systemPromptState.ts): a state loads only into
 * the model it came from, run by the same llama.cpp build on the same device (node-llama-cpp's loadStateFromFile:
 * "using this function may crash the process" otherwise), so each of those names another file. The saving, restoring
 * and the files a broken or half-loaded state leaves are tested on the real runtime (integration/local-model.test.ts).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stateFileFor, StateOwner } from '../../daemon/understanding/local/systemPromptState';

describe('the kept system prompt: one file per model, build, device, kind and system prompt', () => {
  const SYSTEM = 'You extract action items and decisions from one part of a meeting transcript.';
  let dir: string;
  let model: string;
  const llama = { llamaCppRelease: { repo: 'ggml-org/llama.cpp', release: 'b6000' }, buildType: 'prebuilt', gpu: false } as StateOwner['llama'];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-state-'));
    model = path.join(dir, 'model.gguf');
    fs.writeFileSync(model, Buffer.alloc(100));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('names the same file for the same model, whichever path leads to it', async () => {
    const owner: StateOwner = { llama, modelPath: model, device: 'cpu' };
    const file = await stateFileFor(path.join(dir, 'state'), owner, 'extract', SYSTEM);
    assert.match(path.basename(file), /^extract-[0-9a-f]{32}\.state$/);
    assert.equal(path.dirname(file), path.join(dir, 'state'));
    fs.symlinkSync(model, path.join(dir, 'link.gguf'));
    assert.equal(await stateFileFor(path.join(dir, 'state'), { ...owner, modelPath: path.join(dir, 'link.gguf') }, 'extract', SYSTEM), file);
  });

  it('names another file for another kind, system prompt, device, build or llama.cpp release, or a model file changed', async () => {
    const owner: StateOwner = { llama, modelPath: model, device: 'cpu' };
    const base = await stateFileFor(dir, owner, 'extract', SYSTEM);
    const others = [
      await stateFileFor(dir, owner, 'summary', SYSTEM),
      await stateFileFor(dir, { ...owner, device: 'metal (Apple M2)' }, 'extract', SYSTEM),
      await stateFileFor(dir, { ...owner, llama: { ...llama, gpu: 'vulkan' } as StateOwner['llama'] }, 'extract', SYSTEM),
      await stateFileFor(dir, { ...owner, llama: { ...llama, buildType: 'localBuild' } as StateOwner['llama'] }, 'extract', SYSTEM),
      await stateFileFor(dir, { ...owner, llama: { ...llama, llamaCppRelease: { repo: 'ggml-org/llama.cpp', release: 'b6001' } } as StateOwner['llama'] }, 'extract', SYSTEM),
    ];
    // Another system prompt (the extraction's v7 beside its v6): its own state, never the other's tokens.
    others.push(await stateFileFor(dir, owner, 'extract', `${SYSTEM} More rules.`));
    fs.writeFileSync(model, Buffer.alloc(101)); // another download in its place
    others.push(await stateFileFor(dir, owner, 'extract', SYSTEM));
    assert.equal(new Set([base, ...others]).size, others.length + 1, others.join('\n'));
  });

  it('a model file that is gone names no file (the request then reads its prompt, nothing kept)', async () => {
    await assert.rejects(stateFileFor(dir, { llama, modelPath: path.join(dir, 'gone.gguf'), device: 'cpu' }, 'extract', SYSTEM), /ENOENT/);
  });
});
