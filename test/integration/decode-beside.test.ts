/**
 * The second whisper context a live session's first partials decode on beside the main one (issue 60,
 * ModelLifecycle.decodeBeside), with real whisper on the mini model: loaded at the first chance and not waited for,
 * decoding while the main context decodes, one decode at a time, none with EARSHOT_DECODE_BESIDE=0, and freed with
 * the session. Stopping its decode is WhisperEngine.abortPartial's, as for the main context's partials.
 */
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import { ModelLifecycle } from '../../daemon/asr/modelLifecycle';
import { DecodeRequest } from '../../daemon/asr/whisper';
import { SAMPLE_RATE } from '../../daemon/capture/source';
import { miniModel, samplePcm, TEST_WORD } from '../setup';

describe('A second whisper context for first partials (issue 60)', function () {
  this.timeout(120_000);
  let models: ModelLifecycle | undefined;
  let pcm: Float32Array;
  before(async () => { pcm = await samplePcm(); });

  const lifecycle = (threads = 1) => new ModelLifecycle({ modelPath: miniModel(), language: 'en', threads, gpu: false }, { modelState: () => undefined }, () => true);
  const request = (sec: number, final: boolean): DecodeRequest => ({
    pcm: pcm.subarray(SAMPLE_RATE, SAMPLE_RATE + sec * SAMPLE_RATE), final, maxTokens: 8, audioCtx: Math.ceil(sec * 50) + 32,
  });

  afterEach(async () => {
    delete process.env.EARSHOT_DECODE_BESIDE;
    delete process.env.EARSHOT_DECODE_TUNING;
    await models?.free();
    models = undefined;
  });

  it('loads at the first chance without being waited for, then decodes beside the main context, one decode at a time', async () => {
    models = lifecycle();
    await models.load();
    assert.equal(models.decodeBeside(request(0.4, false)), undefined, 'not loaded yet: the first partial waits its turn this once');
    await models.besideEngine.load(); // the load the first chance started
    assert.equal(models.besideEngine.state, 'ready');
    assert.equal(models.besideEngine.config.threads, 1, 'one thread: its decodes are small');
    const final = models.decode(request(4, true));
    const beside = models.decodeBeside(request(0.4, false));
    assert.ok(beside, 'a decode beside the main one');
    assert.equal(models.decodeBeside(request(0.4, false)), undefined, 'one at a time');
    const [f, b] = await Promise.all([final, beside]);
    assert.match(f.text.toLowerCase(), new RegExp(TEST_WORD));
    assert.match(b.text.toLowerCase(), new RegExp(TEST_WORD));
    assert.equal(b.threads, 1);
    assert.ok(models.decodeBeside(request(0.4, false)), 'free again once it answered');
  });

  it('never takes more threads than cores between the two contexts', async () => {
    const cores = os.availableParallelism();
    process.env.EARSHOT_DECODE_TUNING = '0'; // every decode takes the configured threads, whatever the machine's load
    models = lifecycle(cores);
    await models.load();
    models.decodeBeside(request(0.4, false));
    await models.besideEngine.load();
    const onAllCores = models.decode(request(4, true));
    assert.equal(models.decodeBeside(request(0.4, false)), undefined, 'a main decode on every core leaves none beside');
    await onAllCores;
    const beside = models.decodeBeside(request(3, false));
    assert.ok(beside);
    await models.decode(request(1, true));
    assert.equal(models.engine.lastThreads, cores - 1, 'a main decode starting beside one leaves it its core');
    await beside;
    await models.decode(request(1, true));
    assert.equal(models.engine.lastThreads, cores, 'and takes them all again once it is done');
  });

  it('is freed when the session ends, and never loaded with EARSHOT_DECODE_BESIDE=0', async () => {
    models = lifecycle();
    await models.load();
    models.decodeBeside(request(0.4, false));
    await models.besideEngine.load();
    await models.free();
    assert.equal(models.besideEngine.state, 'uninitialized');
    models = lifecycle();
    await models.load();
    process.env.EARSHOT_DECODE_BESIDE = '0';
    assert.equal(models.decodeBeside(request(0.4, false)), undefined);
    assert.equal(models.besideEngine.state, 'uninitialized', 'not loaded');
  });
});
