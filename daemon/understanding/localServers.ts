/**
 * Finds the language-model servers running on this machine (Ollama, LM Studio, llama.cpp's server) so the user can
 * pick one for the notes: GET requests to loopback only (127.0.0.1 and ::1), on each server's default port (and
 * OLLAMA_HOST's when it is on this machine), all at once, each within a short time limit. A server is recognized by
 * its own API, never by its port alone. Owns the probing and the reading of the answers; it sends nothing of any
 * meeting (no body, no transcript) and must not configure anything: choosing a server is the user's.
 *
 * What each server answers (read from their sources; the unit test's fakes cite the lines):
 *   Ollama     GET /api/version {"version"}, GET /api/tags {"models":[{name, model, size, remote_host?, capabilities?}]}
 *   LM Studio  GET /api/v1/models {"models":[{key, display_name, type, size_bytes, loaded_instances}]} (0.4+),
 *              GET /api/v0/models {"object":"list","data":[{id, type, state, compatibility_type}]} (0.3.6+),
 *              GET /v1/models (OpenAI's list: {"object":"list","data":[{id}]})
 *   llama.cpp  GET /v1/models {"object":"list","data":[{id, owned_by:"llamacpp", meta?:{size}, status?:{value}}]},
 *              GET /health {"status":"ok"}, every route 503 {"error":{"type":"unavailable_error"}} while its model
 *              loads; header `Server: llama.cpp`; GET /props {"build_info"}
 */
import { setMaxListeners } from 'node:events';
import * as http from 'node:http';
import { DEFAULT_DISCOVER_TIMEOUT_MS, LocalServer, LocalServerKind, LocalServerModel } from '../../protocol/protocol';
import { isLoopbackAddress } from '../../protocol/validate';

/** Each server's default port: Ollama's envconfig.Host(), LM Studio's server settings, llama-server's --port. */
export const DEFAULT_PORTS: Readonly<Record<LocalServerKind, number>> = { ollama: 11434, lmstudio: 1234, 'llama.cpp': 8080 };
export const LOOPBACK_HOSTS: readonly string[] = ['127.0.0.1', '::1'];
/** Longest answer read from a probe: a model list of a few hundred entries is far shorter. */
const MAX_BODY_BYTES = 2 << 20;
/** Models listed per server at most (a picker of thousands helps nobody). */
const MAX_MODELS = 200;
const KIND_ORDER: readonly LocalServerKind[] = ['ollama', 'lmstudio', 'llama.cpp'];
/** A path none of these servers has, asked to learn what the service answers to anything. */
const NO_SUCH_PATH = '/earshot-probe-no-such-path';
/** Requests sent to each host and port (see identify). */
const PROBED_PATHS = 8;

export interface DiscoverOptions {
  /** Aborts every probe; the servers recognized so far are still answered. */
  signal?: AbortSignal;
  /** The time limit of one probe in ms (all run at once, so this bounds the whole). */
  timeoutMs?: number;
  /** Ports to probe instead of the defaults (tests; EARSHOT_LOCAL_SERVER_PORTS). Each port is asked as every kind. */
  ports?: readonly number[];
  /** Hosts to probe (default 127.0.0.1 and ::1); anything but loopback is refused. */
  hosts?: readonly string[];
  /** For OLLAMA_HOST and EARSHOT_LOCAL_SERVER_PORTS (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** The servers found, Ollama first, then LM Studio, then llama.cpp, each by port. Never rejects. */
export async function discoverLocalServers(options: DiscoverOptions = {}): Promise<LocalServer[]> {
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? DEFAULT_DISCOVER_TIMEOUT_MS;
  const hosts = (options.hosts ?? LOOPBACK_HOSTS).filter(isLoopbackAddress);
  const ports = options.ports ?? probedPorts(env);
  // One time limit for all the probes (they run at once), and the caller's cancel; both end every socket.
  const limit = new AbortController();
  setMaxListeners(hosts.length * ports.length * PROBED_PATHS + 1, limit.signal); // one listener per request in flight
  const timer = setTimeout(() => limit.abort(), timeoutMs);
  const stop = () => limit.abort();
  options.signal?.addEventListener('abort', stop, { once: true });
  if (options.signal?.aborted) limit.abort();
  let found: (LocalServer | undefined)[];
  try {
    found = await Promise.all(hosts.flatMap((host) => ports.map((port) => identify(host, port, limit.signal).catch(() => undefined))));
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', stop);
  }
  const servers: LocalServer[] = [];
  for (const server of found) {
    if (!server) continue;
    // A server listening on both loopback addresses is listed once (127.0.0.1 is probed first).
    const port = new URL(server.endpoint).port;
    if (servers.some((s) => s.kind === server.kind && new URL(s.endpoint).port === port)) continue;
    servers.push(server);
  }
  return servers.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || Number(new URL(a.endpoint).port) - Number(new URL(b.endpoint).port));
}

/** The default ports, OLLAMA_HOST's port when it is on this machine; or EARSHOT_LOCAL_SERVER_PORTS instead of all. */
export function probedPorts(env: NodeJS.ProcessEnv = process.env): number[] {
  const override = env.EARSHOT_LOCAL_SERVER_PORTS?.trim();
  if (override) {
    const ports = override.split(',').map((p) => Number(p.trim())).filter((p) => Number.isInteger(p) && p > 0 && p < 65536);
    return [...new Set(ports)].slice(0, 16);
  }
  const ports = Object.values(DEFAULT_PORTS);
  const ollama = ollamaHostPort(env.OLLAMA_HOST);
  return ollama !== undefined && !ports.includes(ollama) ? [...ports, ollama] : ports;
}

/**
 * OLLAMA_HOST's port when the server it names is reachable on loopback, read as Ollama reads it (envconfig/config.go,
 * Host() and ConnectableHost(): "host", "host:port", "scheme://host[:port]"; no port: 11434, or 80 after "http://";
 * 0.0.0.0 and :: are reached on loopback). undefined: unset, https, or another machine.
 */
export function ollamaHostPort(value: string | undefined): number | undefined {
  const s = value?.trim();
  if (!s) return undefined;
  const schemeAt = s.indexOf('://');
  const scheme = schemeAt >= 0 ? s.slice(0, schemeAt).toLowerCase() : 'http';
  if (scheme !== 'http') return undefined;
  const hostport = (schemeAt >= 0 ? s.slice(schemeAt + 3) : s).split('/')[0];
  const defaultPort = schemeAt >= 0 ? 80 : DEFAULT_PORTS.ollama;
  const bracketed = /^\[([^\]]*)\](?::(\d*))?$/.exec(hostport);
  const plain = /^([^:]*):(\d*)$/.exec(hostport);
  const host = bracketed ? bracketed[1] : plain ? plain[1] : hostport;
  const portText = bracketed ? bracketed[2] : plain ? plain[2] : undefined;
  const port = portText ? Number(portText) : defaultPort;
  const onThisMachine = host === '' || host === '0.0.0.0' || host === '::' || host.toLowerCase() === 'localhost' || isLoopbackAddress(host);
  return onThisMachine && Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
}

/** One GET's outcome: status, the Server header and the body as JSON (undefined: not JSON). */
interface Answer {
  status: number;
  server: string;
  json: unknown;
}

/** GET `path` on loopback without a body, no keep-alive, no redirects; undefined on any failure or the time limit. */
function get(host: string, port: number, path: string, signal: AbortSignal): Promise<Answer | undefined> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(undefined);
    let settled = false;
    const done = (answer?: Answer) => {
      if (settled) return;
      settled = true;
      resolve(answer);
    };
    const request = http.request({ host, port, path, method: 'GET', agent: false, signal, headers: { accept: 'application/json' } }, (response) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > MAX_BODY_BYTES) {
          request.destroy();
          return done(undefined);
        }
        chunks.push(chunk);
      });
      response.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          json = undefined;
        }
        done({ status: response.statusCode ?? 0, server: String(response.headers.server ?? ''), json });
      });
      response.on('error', () => done(undefined));
      response.on('aborted', () => done(undefined));
    });
    request.on('error', () => done(undefined));
    request.on('close', () => done(undefined));
    request.end();
  });
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim().slice(0, 200) : undefined);
const bytesOf = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.round(v) : undefined);
const endpointOf = (host: string, port: number) => `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
const objects = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);

/** Which server answers at host:port, asked as each kind at once; undefined: none of them. */
async function identify(host: string, port: number, signal: AbortSignal): Promise<LocalServer | undefined> {
  const ask = (path: string) => get(host, port, path, signal);
  const endpoint = endpointOf(host, port);
  const answers = await Promise.all([
    ask('/api/version'), ask('/api/tags'), ask('/api/v1/models'), ask('/api/v0/models'), ask('/v1/models'), ask('/health'), ask('/props'), ask(NO_SUCH_PATH),
  ]);
  // What a service answers to a path no server has is no evidence: a catch-all that answers every path alike is not
  // mistaken for a server. (LM Studio answers 200 to unknown paths too, but its message names the path.)
  const baseline = answers[7]?.status === 200 ? JSON.stringify(answers[7].json) : undefined;
  const [version, tags, lmsV1, lmsV0, openAiModels, health, props] = answers.slice(0, 7)
    .map((a) => (a && baseline !== undefined && a.status === 200 && JSON.stringify(a.json) === baseline ? undefined : a));
  return asOllama(endpoint, version, tags) ?? asLmStudio(endpoint, lmsV1, lmsV0, openAiModels) ?? asLlamaCpp(endpoint, openAiModels, health, props);
}

/** Ollama: /api/version names a version and /api/tags lists models (llama.cpp imitates /api/tags, not /api/version). */
function asOllama(endpoint: string, version: Answer | undefined, tags: Answer | undefined): LocalServer | undefined {
  const v = version?.status === 200 && isObject(version.json) ? text(version.json.version) : undefined;
  if (!v || tags?.status !== 200 || !isObject(tags.json) || !Array.isArray(tags.json.models)) return undefined;
  const models: LocalServerModel[] = [];
  for (const m of objects(tags.json.models)) {
    const id = text(m.model) ?? text(m.name);
    // A cloud model runs on ollama.com, not here; an embedding model cannot chat.
    if (!id || text(m.remote_host) || text(m.remote_model)) continue;
    if (Array.isArray(m.capabilities) && !m.capabilities.includes('completion')) continue;
    models.push({ id, ...optional('sizeBytes', bytesOf(m.size)) });
  }
  return { kind: 'ollama', endpoint, version: v, state: 'ready', models: models.slice(0, MAX_MODELS) };
}

/**
 * LM Studio: its own REST API lists the models (/api/v1/models with `key` and `loaded_instances`, or the older
 * /api/v0/models with `state` and `compatibility_type`), and /v1/models answers OpenAI's list.
 */
function asLmStudio(endpoint: string, v1: Answer | undefined, v0: Answer | undefined, openAi: Answer | undefined): LocalServer | undefined {
  if (openAi?.status !== 200 || !isObject(openAi.json) || !Array.isArray(openAi.json.data)) return undefined;
  if (v1?.status === 200 && isObject(v1.json) && Array.isArray(v1.json.models)
    && v1.json.models.every((m) => isObject(m) && typeof m.key === 'string' && Array.isArray(m.loaded_instances))) {
    const models = objects(v1.json.models).filter((m) => m.type !== 'embedding').map((m): LocalServerModel => ({
      id: String(m.key),
      ...optional('name', text(m.display_name)),
      ...optional('sizeBytes', bytesOf(m.size_bytes)),
      loaded: (m.loaded_instances as unknown[]).length > 0,
    }));
    return { kind: 'lmstudio', endpoint, state: 'ready', models: models.slice(0, MAX_MODELS) };
  }
  if (v0?.status === 200 && isObject(v0.json) && v0.json.object === 'list' && Array.isArray(v0.json.data)
    && v0.json.data.every((m) => isObject(m) && typeof m.id === 'string' && typeof m.state === 'string' && 'compatibility_type' in m)) {
    const models = objects(v0.json.data).filter((m) => m.type !== 'embeddings').map((m): LocalServerModel => ({
      id: String(m.id),
      loaded: m.state === 'loaded',
    }));
    return { kind: 'lmstudio', endpoint, state: 'ready', models: models.slice(0, MAX_MODELS) };
  }
  return undefined;
}

/**
 * llama.cpp's server: its /v1/models entries say `owned_by: "llamacpp"`; while the model loads every route answers
 * 503 `unavailable_error`, recognized then by the `Server: llama.cpp` header it sends on every answer.
 */
function asLlamaCpp(endpoint: string, models: Answer | undefined, health: Answer | undefined, props: Answer | undefined): LocalServer | undefined {
  const listed = models?.status === 200 && isObject(models.json) ? objects(models.json.data) : [];
  const ownListing = listed.length > 0 && listed.every((m) => m.owned_by === 'llamacpp');
  const unavailable = (a: Answer | undefined) => a?.status === 503 && isObject(a.json) && isObject(a.json.error) && a.json.error.type === 'unavailable_error';
  const saysLlamaCpp = [models, health].some((a) => a?.server === 'llama.cpp');
  const loading = unavailable(health) || unavailable(models);
  if (!ownListing && !(saysLlamaCpp && (loading || (health?.status === 200 && isObject(health.json) && health.json.status === 'ok')))) return undefined;
  const version = props?.status === 200 && isObject(props.json) ? text(props.json.build_info) : undefined;
  const list = ownListing ? listed.flatMap((m): LocalServerModel[] => {
    const id = text(m.id);
    if (!id) return [];
    // Router mode lists every model it can start, each with its status; a single model is always loaded.
    const status = isObject(m.status) ? m.status.value : undefined;
    return [{ id, ...optional('sizeBytes', bytesOf(isObject(m.meta) ? m.meta.size : undefined)), loaded: status === undefined || status === 'loaded' }];
  }) : [];
  return { kind: 'llama.cpp', endpoint, ...optional('version', version), state: loading ? 'loading' : 'ready', models: list.slice(0, MAX_MODELS) };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
