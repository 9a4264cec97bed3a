/**
 * Discovery of the language-model servers on this machine (daemon/understanding/localServers.ts) against real HTTP
 * servers on loopback that answer as Ollama, LM Studio and llama.cpp's server do (test/support/local-llm-servers.ts
 * cites the sources), and against what must not be listed: another service on a probed port, a catch-all, garbage,
 * one that never answers. The probe ports are injected; the defaults stay the real ones (checked here too).
 */
import * as assert from 'node:assert/strict';
import { discoverLocalServers, ollamaHostPort, probedPorts } from '../../daemon/understanding/localServers';
import { InvalidParamsError, validateLanguageModelDiscover } from '../../protocol/validate';
import {
  catchAllHandler, FakeServer, garbageHandler, hangingHandler, llamaCppHandler, lmStudioHandler, ollamaHandler, otherOpenAiHandler,
} from '../support/local-llm-servers';
import { watchLateness, lostNote } from '../support/loop-lateness';
import { fakeResolver } from '../support/resolver';

const PROBED_PATHS = new Set(['/api/version', '/api/tags', '/api/v1/models', '/api/v0/models', '/v1/models', '/health', '/props', '/earshot-probe-no-such-path']);

describe('local language-model servers: discovery', () => {
  const servers: FakeServer[] = [];
  const start = async (...args: Parameters<typeof FakeServer.start>) => {
    const s = await FakeServer.start(...args);
    servers.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  /** Every request any fake got was a GET without a body, to a path discovery is known to ask. */
  function assertOnlyBodilessGets(): void {
    const all = servers.flatMap((s) => s.requests);
    assert.ok(all.length > 0, 'the fakes were asked');
    for (const r of all) {
      assert.equal(r.method, 'GET', `${r.method} ${r.path}`);
      assert.equal(r.bodyBytes, 0, `${r.path} carried a body`);
      assert.equal(r.announcedBody, false, `${r.path} announced a body`);
      assert.ok(PROBED_PATHS.has(r.path), `unexpected path ${r.path}`);
    }
  }

  it('recognizes Ollama, LM Studio and llama.cpp by their APIs and lists their chat models', async () => {
    const ollama = await start(ollamaHandler());
    const lmStudio = await start(lmStudioHandler());
    const llama = await start(llamaCppHandler());
    // The ports are given out of kind order: the answer is still Ollama, LM Studio, llama.cpp.
    const found = await discoverLocalServers({ ports: [llama.port, lmStudio.port, ollama.port], timeoutMs: 2000 });
    assert.deepEqual(found, [
      {
        kind: 'ollama', endpoint: `http://127.0.0.1:${ollama.port}`, version: '0.11.4', state: 'ready',
        // The embedding model and the cloud model (it runs on ollama.com) are left out.
        models: [{ id: 'llama3.2:3b', sizeBytes: 2019393189 }, { id: 'qwen2.5:1.5b', sizeBytes: 986061892 }],
      },
      {
        kind: 'lmstudio', endpoint: `http://127.0.0.1:${lmStudio.port}`, state: 'ready',
        models: [
          { id: 'qwen/qwen3-4b', name: 'Qwen3 4B', sizeBytes: 2497280256, loaded: true },
          { id: 'meta-llama-3.1-8b-instruct', name: 'Llama 3.1 8B Instruct', sizeBytes: Math.round(4.9 * 1024 ** 3), loaded: false },
        ],
      },
      {
        kind: 'llama.cpp', endpoint: `http://127.0.0.1:${llama.port}`, version: 'b6310-8f3a1c2d', state: 'ready',
        models: [{ id: 'Llama-3.2-3B-Instruct-Q4_K_M.gguf', sizeBytes: 2019373056, loaded: true }],
      },
    ]);
    assertOnlyBodilessGets();
  });

  it('reads LM Studio 0.3 from its v0 API, and a llama.cpp server still loading its model', async () => {
    const lmStudio = await start(lmStudioHandler({ v0Only: true }));
    const state = { loading: true };
    const llama = await start(llamaCppHandler(state));
    const found = await discoverLocalServers({ ports: [lmStudio.port, llama.port], timeoutMs: 2000 });
    assert.deepEqual(found, [
      {
        kind: 'lmstudio', endpoint: `http://127.0.0.1:${lmStudio.port}`, state: 'ready',
        models: [{ id: 'qwen3-4b', loaded: true }, { id: 'meta-llama-3.1-8b-instruct', loaded: false }],
      },
      { kind: 'llama.cpp', endpoint: `http://127.0.0.1:${llama.port}`, state: 'loading', models: [] },
    ]);
    state.loading = false;
    const [, ready] = await discoverLocalServers({ ports: [lmStudio.port, llama.port], timeoutMs: 2000 });
    assert.equal(ready.state, 'ready');
    assert.equal(ready.models.length, 1);
  });

  it('lists no other service on a probed port: another OpenAI-compatible server, a catch-all, garbage', async () => {
    const other = await start(otherOpenAiHandler());
    const catchAll = await start(catchAllHandler());
    const garbage = await start(garbageHandler());
    const ollama = await start(ollamaHandler());
    const found = await discoverLocalServers({ ports: [other.port, catchAll.port, garbage.port, ollama.port], timeoutMs: 2000 });
    assert.deepEqual(found.map((s) => s.endpoint), [`http://127.0.0.1:${ollama.port}`]);
    for (const s of [other, catchAll, garbage]) assert.ok(s.requests.length >= 7, 'each was asked, and answered');
    assertOnlyBodilessGets();
  });

  it('keeps to its time limit when a server never answers, and still lists the others', async () => {
    const hanging = await start(hangingHandler());
    const ollama = await start(ollamaHandler());
    const loop = watchLateness();
    const started = performance.now();
    const found = await discoverLocalServers({ ports: [hanging.port, ollama.port], timeoutMs: 300 });
    const ms = performance.now() - started;
    // The limit's timer: never much before it; after it by a margin, later by what the event loop lost meanwhile
    // (loop-lateness.ts). A limit not kept is the hanging server's: the test's own timeout.
    const lost = loop.lostMs(started, started + ms);
    loop.stop();
    assert.ok(ms >= 250 && ms < 1000 + lost, `took ${ms.toFixed(0)} ms with a 300 ms limit ${lostNote(lost)}`);
    assert.deepEqual(found.map((s) => s.kind), ['ollama']);
    assert.ok(hanging.requests.length > 0, 'the hanging server was asked');
  });

  it('stops at once when cancelled, and answers nothing rather than failing when nothing listens', async () => {
    const hanging = await start(hangingHandler());
    const abort = new AbortController();
    let abortedAt = 0;
    setTimeout(() => { abortedAt = performance.now(); abort.abort(); }, 50);
    const loop = watchLateness();
    assert.deepEqual(await discoverLocalServers({ ports: [hanging.port], timeoutMs: 5000, signal: abort.signal }), []);
    // At the abort, not at the 5 s limit: measured from the abort, later by what the event loop lost meanwhile.
    const ms = performance.now() - abortedAt;
    const lost = loop.lostMs(abortedAt, abortedAt + ms);
    loop.stop();
    assert.ok(abortedAt > 0 && ms < 1000 + lost, `ended ${ms.toFixed(0)} ms after the abort ${lostNote(lost)}`);
    const closed = hanging.port; // once closed, nothing listens there
    await Promise.all(servers.splice(0).map((s) => s.close()));
    assert.deepEqual(await discoverLocalServers({ ports: [closed], timeoutMs: 300 }), []);
  });

  it('lists a server on both loopback addresses once, and finds one on ::1 alone', async () => {
    const v4 = await start(ollamaHandler(), '127.0.0.1');
    await start(ollamaHandler(), '::1', v4.port);
    const llama6 = await start(llamaCppHandler(), '::1');
    const found = await discoverLocalServers({ ports: [v4.port, llama6.port], timeoutMs: 2000 });
    assert.deepEqual(found.map((s) => s.endpoint), [`http://127.0.0.1:${v4.port}`, `http://[::1]:${llama6.port}`]);
  });

  it('probes only loopback, whatever hosts it is given', async () => {
    const ollama = await start(ollamaHandler());
    assert.deepEqual(await discoverLocalServers({ ports: [ollama.port], hosts: ['0.0.0.0', 'localhost', '192.168.1.2'], timeoutMs: 300 }), []);
    assert.equal(ollama.requests.length, 0);
  });

  it('takes only IP addresses on loopback as hosts: 127.x.x.999 or 127.1 is a name, never resolved', async () => {
    const ollama = await start(ollamaHandler());
    const resolver = fakeResolver('ENOTFOUND');
    try {
      assert.deepEqual(await discoverLocalServers({ ports: [ollama.port], hosts: ['127.0.0.999', '127.1', '127.0.0.1.nip.io'], timeoutMs: 300 }), []);
    } finally {
      resolver.restore();
    }
    assert.deepEqual(resolver.asked, []);
    assert.equal(ollama.requests.length, 0);
    // The same hosts as addresses are probed.
    assert.equal((await discoverLocalServers({ ports: [ollama.port], hosts: ['127.0.0.1', '0:0:0:0:0:0:0:1'], timeoutMs: 2000 })).length, 1);
  });

  it('probes the real default ports, and OLLAMA_HOST\'s when it is on this machine', () => {
    assert.deepEqual(probedPorts({}), [11434, 1234, 8080]);
    assert.deepEqual(probedPorts({ OLLAMA_HOST: '127.0.0.1:11500' }), [11434, 1234, 8080, 11500]);
    assert.deepEqual(probedPorts({ OLLAMA_HOST: 'gpu-box.lan:11500' }), [11434, 1234, 8080]);
    assert.deepEqual(probedPorts({ EARSHOT_LOCAL_SERVER_PORTS: '4000, 4001,x,4000' }), [4000, 4001]);
    // As Ollama's envconfig.Host() reads it.
    const cases: [string | undefined, number | undefined][] = [
      [undefined, undefined], ['', undefined], ['0.0.0.0', 11434], ['0.0.0.0:9000', 9000], ['localhost:9001', 9001], ['[::1]:9002', 9002],
      ['::', 11434], ['http://127.0.0.1', 80], ['http://127.0.0.1:9003/path', 9003], ['https://localhost:9004', undefined],
      ['ollama.com', undefined], ['10.0.0.5:11434', undefined], [':9005', 9005],
    ];
    for (const [value, port] of cases) assert.equal(ollamaHostPort(value), port, `OLLAMA_HOST=${value}`);
  });

  it('takes a time limit from 50 to 5000 ms, or none', () => {
    assert.deepEqual(validateLanguageModelDiscover(undefined), {});
    assert.deepEqual(validateLanguageModelDiscover({}), {});
    assert.deepEqual(validateLanguageModelDiscover({ timeoutMs: 250 }), { timeoutMs: 250 });
    for (const bad of [0, 49, 5001, Infinity, NaN, '300', true]) {
      assert.throws(() => validateLanguageModelDiscover({ timeoutMs: bad }), (e: unknown) => e instanceof InvalidParamsError && /timeoutMs must be a number of milliseconds from 50 to 5000/.test(e.message));
    }
    assert.throws(() => validateLanguageModelDiscover([]), InvalidParamsError);
  });
});
