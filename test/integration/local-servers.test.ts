/**
 * `earshot/languageModel/discover` and `earshot servers` end to end: the real daemon process over real JSON-RPC (and
 * the real CLI) finding stand-ins for Ollama, LM Studio and llama.cpp's server (real HTTP servers on 127.0.0.1 that
 * answer as those servers do: test/support/local-llm-servers.ts), with another service and a server that never
 * answers on probed ports too. The daemon is pointed at the fakes' ports through EARSHOT_LOCAL_SERVER_PORTS.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorCodes, LanguageModelDiscover, LanguageModelDiscoverResult, PROTOCOL_VERSION } from '../../protocol/protocol';
import { miniModel } from '../setup';
import { FakeServer, hangingHandler, llamaCppHandler, lmStudioHandler, ollamaHandler, otherOpenAiHandler } from '../support/local-llm-servers';
import { lostNote, watchLateness } from '../support/loop-lateness';
import { connectDaemon, rejection, RpcClient, runEarshot } from './daemon-process';

describe('local language-model servers found by the daemon (real daemon, real HTTP servers)', function () {
  this.timeout(60_000);
  const fakes: FakeServer[] = [];
  let ports: string;
  let dir: string;
  let client: RpcClient | undefined;

  before(async () => {
    for (const handler of [ollamaHandler(), lmStudioHandler(), llamaCppHandler(), otherOpenAiHandler(), hangingHandler()]) fakes.push(await FakeServer.start(handler));
    ports = fakes.map((f) => f.port).join(',');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'earshot-discover-'));
  });
  afterEach(async () => {
    if (client) assert.equal(await client.dispose(), 0, client.daemon.stderr().slice(-2000));
    client = undefined;
  });
  after(async () => {
    await Promise.all(fakes.map((f) => f.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const [ollama, lmStudio, llama] = [0, 1, 2].map((i) => () => fakes[i]);

  it('answers each server with its chat models, lists no other service, and keeps to the time limit', async () => {
    client = connectDaemon({ EARSHOT_LOCAL_SERVER_PORTS: ports });
    await client.initialize({ protocolVersion: PROTOCOL_VERSION, storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath: miniModel(), threads: 1 });
    const loop = watchLateness();
    const started = performance.now();
    const result: LanguageModelDiscoverResult = await client.connection.sendRequest(LanguageModelDiscover, { timeoutMs: 400 });
    const ms = performance.now() - started;
    // The hanging server holds the answer until the limit, not longer: never before it; after it by the request's
    // round trip and a margin, later by what this process's event loop lost meanwhile (loop-lateness.ts; the daemon's
    // timer and this process's wait run late alike on a loaded machine).
    const lost = loop.lostMs(started, started + ms);
    loop.stop();
    assert.ok(ms >= 350 && ms < 2000 + lost, `answered in ${ms.toFixed(0)} ms with a 400 ms limit ${lostNote(lost)}`);
    assert.deepEqual(result.servers.map((s) => [s.kind, s.endpoint, s.state, s.models.map((m) => m.id)]), [
      ['ollama', `http://127.0.0.1:${ollama().port}`, 'ready', ['llama3.2:3b', 'qwen2.5:1.5b']],
      ['lmstudio', `http://127.0.0.1:${lmStudio().port}`, 'ready', ['qwen/qwen3-4b', 'meta-llama-3.1-8b-instruct']],
      ['llama.cpp', `http://127.0.0.1:${llama().port}`, 'ready', ['Llama-3.2-3B-Instruct-Q4_K_M.gguf']],
    ]);
    assert.equal(result.servers[0].version, '0.11.4');
    // Only bodiless GETs reached any of them.
    for (const fake of fakes) {
      assert.ok(fake.requests.length > 0);
      for (const r of fake.requests) assert.ok(r.method === 'GET' && r.bodyBytes === 0 && !r.announcedBody, `${r.method} ${r.path}`);
    }
    // The log says what was found by kind and count, not which models the user runs.
    const line = await client.waitFor('the discovery log line', () => client!.logs.find((l) => l.includes('local_servers_found')));
    assert.match(line, /ollama:ready:2/);
    assert.doesNotMatch(line, /llama3\.2|qwen/);

    const bad = await rejection(client.connection.sendRequest(LanguageModelDiscover, { timeoutMs: 'soon' } as never));
    assert.equal(bad.code, ErrorCodes.InvalidParams);
    assert.match(bad.message, /timeoutMs must be a number of milliseconds/);
  });

  it('earshot servers lists the same servers (and --json the same result)', async () => {
    const text = await runEarshot(['servers', '--timeout', '400'], { EARSHOT_LOCAL_SERVER_PORTS: ports });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^Ollama 0\\.11\\.4  http://127\\.0\\.0\\.1:${ollama().port}$`, 'm'));
    assert.match(text.stdout, /^ {2}qwen\/qwen3-4b +2\.5 GB {2}loaded {2}Qwen3 4B$/m);
    assert.match(text.stdout, new RegExp(`^llama\\.cpp b6310-8f3a1c2d  http://127\\.0\\.0\\.1:${llama().port}$`, 'm'));
    assert.doesNotMatch(text.stdout, /nomic|cloud|vllm|Llama-3\.1-8B-Instruct/);
    const json = await runEarshot(['servers', '--json', '--timeout', '400'], { EARSHOT_LOCAL_SERVER_PORTS: ports });
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as LanguageModelDiscoverResult;
    assert.deepEqual(parsed.servers.map((s) => s.kind), ['ollama', 'lmstudio', 'llama.cpp']);
    const none = await runEarshot(['servers'], { EARSHOT_LOCAL_SERVER_PORTS: String(fakes[3].port) });
    assert.equal(none.code, 0);
    assert.match(none.stdout, /No language-model server answers on this machine/);
  });

  it('earshot servers prints what a server names with its control sequences escaped (--json: exact)', async () => {
    // An Ollama stand-in whose version and model name would retitle the window, clear the screen and fake a line.
    const evil = 'evil\u001b]0;TITLE-HIJACK\u0007\u001b[2J\nfake line: Use one for notes \u009b31m\u202e';
    const json = (res: import('node:http').ServerResponse, body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const server = await FakeServer.start((req, res) => {
      if (req.url === '/api/version') return json(res, { version: '0.11.4\u001b[2J' });
      if (req.url === '/api/tags') return json(res, { models: [{ name: evil, model: evil, size: 5e9 }] });
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found');
    });
    try {
      const text = await runEarshot(['servers', '--timeout', '2000'], { EARSHOT_LOCAL_SERVER_PORTS: String(server.port) });
      assert.equal(text.code, 0, text.stderr);
      assert.doesNotMatch(text.stdout, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      assert.match(text.stdout, new RegExp(`^Ollama 0\\.11\\.4\\\\x1b\\[2J  http://127\\.0\\.0\\.1:${server.port}$`, 'm'));
      assert.ok(text.stdout.includes('  evil\\x1b]0;TITLE-HIJACK\\x07\\x1b[2J\\x0afake line: Use one for notes \\x9b31m\\u202e   5.0 GB\n'), text.stdout);
      assert.doesNotMatch(text.stdout, /^fake line/m);
      const listed = await runEarshot(['servers', '--json', '--timeout', '2000'], { EARSHOT_LOCAL_SERVER_PORTS: String(server.port) });
      assert.doesNotMatch(listed.stdout, /[\u0080-\u009f\u202a-\u202e]/, 'C1 and bidi characters are JSON escapes too');
      assert.equal((JSON.parse(listed.stdout) as LanguageModelDiscoverResult).servers[0].models[0].id, evil);
    } finally {
      await server.close();
    }
  });
});
