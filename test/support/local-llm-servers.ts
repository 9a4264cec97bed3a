/**
 * Stand-ins for the language-model servers a user runs on their machine, each a real HTTP server on loopback that
 * answers the routes Earshot's discovery asks as the real server does (read from their sources, cited by route), plus
 * the things discovery must not list: another service on a probed port, a catch-all, one that hangs, one that answers
 * garbage. Every request is recorded (method, path, body bytes) so tests can check that only bodiless GETs were sent.
 * Test-only: owns no product behaviour.
 *
 * Sources read:
 *   Ollama     github.com/ollama/ollama @ fb30760996871fa9460115c753afd2c60d4ab0f7
 *              server/routes.go:1877-1880 (GET / "Ollama is running", GET /api/version {"version"}),
 *              :1886-1887 (GET /api/tags → ListHandler :1632-1645, api.ListResponse), :1919 (GET /v1/models);
 *              api/types.go:797-799 (ListResponse), :822-832 (ListModelResponse: name, model, remote_model,
 *              remote_host, modified_at, size, digest, details, capabilities), :933-942 (ModelDetails);
 *              openai/openai.go:195-211, :450-470 (the /v1/models list); types/model/capability.go (capability names);
 *              unknown routes: gin's default 404 "404 page not found" (text/plain).
 *   LM Studio  github.com/lmstudio-ai/docs @ c6854fb: 1_developer/2_rest/list.md (GET /api/v1/models, 0.4+: models[]
 *              with type, publisher, key, display_name, size_bytes, loaded_instances, ...), 1_developer/2_rest/
 *              endpoints.mdx (GET /api/v0/models, 0.3.6+: object "list", data[] with id, type, state,
 *              compatibility_type, ...), 1_developer/3_openai-compat/models.md (GET /v1/models); unknown routes answer
 *              200 {"error":"Unexpected endpoint or method. (GET /x)"} (lmstudio-ai/lmstudio-bug-tracker#618, #1323).
 *   llama.cpp  github.com/ggml-org/llama.cpp @ 00dd0816129a5210351c78bb90e0828f8eb69f99: tools/server/server.cpp
 *              (ctx_http.get("/health"), ("/v1/health"), ("/props"), ("/models"), ("/v1/models")),
 *              tools/server/server-http.cpp (set_default_headers {"Server","llama.cpp"}; the 404 handler's
 *              {"error":{"message":"File Not Found","type":"not_found_error","code":404}}; middleware_server_state:
 *              503 {"error":{"message":"Loading model","type":"unavailable_error","code":503}} on every route until
 *              the model is loaded), tools/server/server-context.cpp (get_health → {"status":"ok"}; the /v1/models
 *              entry {id, aliases, tags, object:"model", created, owned_by:"llamacpp", meta:{..., size}}; /props
 *              "build_info").
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  bodyBytes: number;
  /** Headers that announce a body (content-length > 0 or transfer-encoding). */
  announcedBody: boolean;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export class FakeServer {
  readonly requests: RecordedRequest[] = [];
  private readonly sockets = new Set<import('node:net').Socket>();
  private constructor(private readonly server: http.Server, readonly port: number) {
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(handler: Handler, host = '127.0.0.1', port = 0): Promise<FakeServer> {
    let fake: FakeServer | undefined;
    const server = http.createServer((req, res) => {
      let bodyBytes = 0;
      req.on('data', (c: Buffer) => { bodyBytes += c.length; });
      req.on('end', () => {
        fake!.requests.push({
          method: req.method ?? '', path: req.url ?? '', bodyBytes,
          announcedBody: Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined,
        });
        handler(req, res);
      });
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
    fake = new FakeServer(server, (server.address() as AddressInfo).port);
    return fake;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

const GIB = 1024 ** 3;

/** Ollama (see the header): two local chat models, an embedding model and a cloud model. */
export const OLLAMA_TAGS = {
  models: [
    {
      name: 'llama3.2:3b', model: 'llama3.2:3b', modified_at: '2025-06-01T10:00:00.000000000+02:00', size: 2019393189,
      digest: 'a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72',
      details: { parent_model: '', format: 'gguf', family: 'llama', families: ['llama'], parameter_size: '3.2B', quantization_level: 'Q4_K_M' },
      capabilities: ['completion', 'tools'],
    },
    {
      // An older Ollama leaves capabilities out (omitempty): a model is then taken as able to chat.
      name: 'qwen2.5:1.5b', model: 'qwen2.5:1.5b', modified_at: '2025-05-01T10:00:00Z', size: 986061892, digest: 'b'.repeat(64),
      details: { parent_model: '', format: 'gguf', family: 'qwen2', families: ['qwen2'], parameter_size: '1.5B', quantization_level: 'Q4_K_M' },
    },
    {
      name: 'nomic-embed-text:latest', model: 'nomic-embed-text:latest', modified_at: '2025-05-01T10:00:00Z', size: 274302450, digest: 'c'.repeat(64),
      details: { parent_model: '', format: 'gguf', family: 'nomic-bert', families: ['nomic-bert'], parameter_size: '137M', quantization_level: 'F16' },
      capabilities: ['embedding'],
    },
    {
      name: 'gpt-oss:120b-cloud', model: 'gpt-oss:120b-cloud', remote_model: 'gpt-oss:120b', remote_host: 'https://ollama.com:443',
      modified_at: '2025-09-01T10:00:00Z', size: 384, digest: 'd'.repeat(64),
      details: { parent_model: '', format: '', family: '', families: null, parameter_size: '', quantization_level: '' },
      capabilities: ['completion', 'tools', 'thinking'],
    },
  ],
};

export function ollamaHandler(version = '0.11.4'): Handler {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method not allowed' });
    switch (req.url) {
      case '/': res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }); return void res.end('Ollama is running');
      case '/api/version': return json(res, 200, { version });
      case '/api/tags': return json(res, 200, OLLAMA_TAGS);
      case '/v1/models': return json(res, 200, {
        object: 'list',
        data: OLLAMA_TAGS.models.map((m) => ({ id: m.model, object: 'model', created: 1748764800, owned_by: 'library' })),
      });
      default: res.writeHead(404, { 'content-type': 'text/plain' }); return void res.end('404 page not found');
    }
  };
}

/** LM Studio 0.4 (see the header): a loaded LLM, one on disk, an embedding model. `v0Only`: LM Studio 0.3.x. */
export const LMSTUDIO_V1_MODELS = {
  models: [
    {
      type: 'llm', publisher: 'qwen', key: 'qwen/qwen3-4b', display_name: 'Qwen3 4B', architecture: 'qwen3',
      quantization: { name: 'Q4_K_M', bits_per_weight: 4 }, size_bytes: 2497280256, params_string: '4B',
      loaded_instances: [{ id: 'qwen/qwen3-4b', config: { context_length: 4096, eval_batch_size: 512, parallel: 4, flash_attention: true, offload_kv_cache_to_gpu: true } }],
      max_context_length: 40960, format: 'gguf', capabilities: { vision: false, trained_for_tool_use: true }, description: null,
    },
    {
      type: 'llm', publisher: 'meta', key: 'meta-llama-3.1-8b-instruct', display_name: 'Llama 3.1 8B Instruct', architecture: 'llama',
      quantization: { name: 'Q4_K_M', bits_per_weight: 4 }, size_bytes: Math.round(4.9 * GIB), params_string: '8B', loaded_instances: [],
      max_context_length: 131072, format: 'gguf', capabilities: { vision: false, trained_for_tool_use: true }, description: null,
    },
    {
      type: 'embedding', publisher: 'gaianet', key: 'text-embedding-nomic-embed-text-v1.5', display_name: 'Nomic Embed Text v1.5',
      quantization: { name: 'F16', bits_per_weight: 16 }, size_bytes: 274290560, params_string: null, loaded_instances: [],
      max_context_length: 2048, format: 'gguf',
    },
  ],
};
export const LMSTUDIO_V0_MODELS = {
  object: 'list',
  data: [
    { id: 'qwen3-4b', object: 'model', type: 'llm', publisher: 'qwen', arch: 'qwen3', compatibility_type: 'gguf', quantization: 'Q4_K_M', state: 'loaded', max_context_length: 40960 },
    { id: 'meta-llama-3.1-8b-instruct', object: 'model', type: 'llm', publisher: 'lmstudio-community', arch: 'llama', compatibility_type: 'gguf', quantization: 'Q4_K_M', state: 'not-loaded', max_context_length: 131072 },
    { id: 'text-embedding-nomic-embed-text-v1.5', object: 'model', type: 'embeddings', publisher: 'nomic-ai', arch: 'nomic-bert', compatibility_type: 'gguf', quantization: 'Q4_0', state: 'not-loaded', max_context_length: 2048 },
  ],
};

export function lmStudioHandler(options: { v0Only?: boolean } = {}): Handler {
  return (req, res) => {
    const headers = { 'x-powered-by': 'Express' };
    if (req.url === '/api/v1/models' && !options.v0Only) return json(res, 200, LMSTUDIO_V1_MODELS, headers);
    if (req.url === '/api/v0/models') return json(res, 200, LMSTUDIO_V0_MODELS, headers);
    if (req.url === '/v1/models') {
      // Just-in-time loading on: every downloaded model is listed.
      const ids = options.v0Only ? LMSTUDIO_V0_MODELS.data.map((m) => m.id) : LMSTUDIO_V1_MODELS.models.map((m) => m.key);
      return json(res, 200, { data: ids.map((id) => ({ id, object: 'model', owned_by: 'organization_owner' })), object: 'list' }, headers);
    }
    // LM Studio answers an unknown route with 200 and an error naming it.
    return json(res, 200, { error: `Unexpected endpoint or method. (${req.method} ${req.url})` }, headers);
  };
}

/** llama.cpp's server with one model (see the header); `loading`: still loading it (503 on every route). */
export function llamaCppHandler(state: { loading: boolean } = { loading: false }, alias = 'Llama-3.2-3B-Instruct-Q4_K_M.gguf'): Handler {
  return (req, res) => {
    const headers = { server: 'llama.cpp' };
    if (state.loading) return json(res, 503, { error: { message: 'Loading model', type: 'unavailable_error', code: 503 } }, headers);
    switch (req.url) {
      case '/health': case '/v1/health': return json(res, 200, { status: 'ok' }, headers);
      case '/props': return json(res, 200, {
        default_generation_settings: { n_ctx: 4096 }, total_slots: 4, model_alias: alias, model_path: `/models/${alias}`,
        modalities: { vision: false, audio: false }, chat_template: '', bos_token: '<|begin_of_text|>', eos_token: '<|eot_id|>',
        build_info: 'b6310-8f3a1c2d', is_sleeping: false,
      }, headers);
      case '/models': case '/v1/models': return json(res, 200, {
        models: [{ name: alias, model: alias, modified_at: '', size: '', digest: '', type: 'model', description: '', tags: [''], capabilities: ['completion'], parameters: '' }],
        object: 'list',
        data: [{
          id: alias, aliases: [alias], tags: [], object: 'model', created: 1748764800, owned_by: 'llamacpp',
          meta: { vocab_type: 2, n_vocab: 128256, n_ctx: 4096, n_ctx_train: 131072, n_embd: 3072, n_params: 3212749824, size: 2019373056 },
        }],
      }, headers);
      default: return json(res, 404, { error: { message: 'File Not Found', type: 'not_found_error', code: 404 } }, headers);
    }
  };
}

/** Another OpenAI-compatible server (vLLM's answers: owned_by "vllm") on a probed port: not one of the three. */
export function otherOpenAiHandler(): Handler {
  return (req, res) => {
    if (req.url === '/health') { res.writeHead(200); return void res.end(); }
    if (req.url === '/v1/models') return json(res, 200, { object: 'list', data: [{ id: 'meta-llama/Llama-3.1-8B-Instruct', object: 'model', created: 1748764800, owned_by: 'vllm', root: 'meta-llama/Llama-3.1-8B-Instruct', max_model_len: 8192 }] });
    return json(res, 404, { detail: 'Not Found' });
  };
}

/** A web app answering every path alike with JSON that has every key discovery looks at. */
export function catchAllHandler(): Handler {
  return (_req, res) => json(res, 200, { status: 'ok', version: '1.0.0', models: [], data: [], object: 'list' });
}

/** Accepts the request and never answers. */
export function hangingHandler(): Handler {
  return () => undefined;
}

/** Answers garbage: broken JSON, HTML, wrong types, or a connection cut mid-answer. */
export function garbageHandler(): Handler {
  let n = 0;
  return (req, res) => {
    switch (n++ % 4) {
      case 0: res.writeHead(200, { 'content-type': 'application/json' }); return void res.end('{"models": [ {"name": "x"');
      case 1: res.writeHead(200, { 'content-type': 'text/html' }); return void res.end(`<html><body>${req.url}</body></html>`);
      case 2: return json(res, 200, { version: 12, models: 'many', data: { id: 3 }, status: ['ok'] });
      default: res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' }); res.write('{"version":"'); return void res.socket?.destroy();
    }
  };
}
