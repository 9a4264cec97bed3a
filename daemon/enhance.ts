/**
 * The opt-in refinement of the notes by a language model (InitializationOptions.enhancement), on the daemon's side:
 * asks the provider within a time limit and reports how it went. 'vscode-lm' asks the client (`earshot/refine`);
 * 'openai-compatible' POSTs to `${endpoint}/v1/chat/completions` with Node's fetch.
 *
 * Privacy: the transcript goes only to the configured provider. Reports never carry transcript or model text: a
 * failure's reason is one of a few fixed words and an HTTP status or error code.
 */
import {
  DEFAULT_ENHANCEMENT_TIMEOUT_SEC, EnhancementSettings, RefineParams, RefineResult,
} from '../protocol/protocol';
import { parseRefinementText, refineMessages } from '../protocol/refine';
import { validateRefineResult } from '../protocol/validate';
import { Refinement } from './notes/refine';

export type RefinementOutcome = 'applied' | 'declined' | 'failed' | 'timeout';

export interface RefinementReport {
  sessionId: string;
  provider: Refinement['provider'];
  outcome: RefinementOutcome;
  ms: number;
  /** The model that answered (applied). */
  model?: string;
  /** Why it failed or was declined: fixed words (timeout, http-503, unparseable, network ECONNREFUSED, ...), never text. */
  reason?: string;
}

/** Asks the client to refine (the server sends `earshot/refine`; the signal cancels it). */
export type AskClient = (params: RefineParams, signal: AbortSignal) => Promise<unknown>;

/** A failure whose message is safe to log (no transcript, no model output). */
export class RefineFailure extends Error {}

/** Largest chat-completion response read (a summary is a few KB). */
const MAX_RESPONSE_BYTES = 1 << 20;

/**
 * Runs the configured provider within settings.timeoutSec (default 20 s). Resolves with the refinement, or null when
 * it was declined, failed or took too long (then the request is aborted); never rejects. `report` hears the outcome.
 */
export async function requestRefinement(settings: EnhancementSettings, params: RefineParams, askClient: AskClient | undefined,
  report: (r: RefinementReport) => void): Promise<Refinement | null> {
  if (settings.provider === 'off') return null;
  const provider = settings.provider;
  const started = performance.now();
  const done = (outcome: RefinementOutcome, extra: { model?: string; reason?: string } = {}) =>
    report({ sessionId: params.sessionId, provider, outcome, ms: Math.round(performance.now() - started), ...extra });
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeoutMs = (settings.timeoutSec ?? DEFAULT_ENHANCEMENT_TIMEOUT_SEC) * 1000;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      abort.abort();
      resolve('timeout');
    }, timeoutMs);
  });
  try {
    const ask = async (): Promise<RefineResult | null> => {
      if (provider === 'openai-compatible') return refineWithOpenAiCompatible(settings, params, abort.signal);
      if (!askClient) throw new RefineFailure('no-client');
      return validateRefineResult(await askClient(params, abort.signal));
    };
    const result = await Promise.race([ask(), timedOut]);
    if (result === 'timeout') {
      done('timeout', { reason: `no answer within ${timeoutMs / 1000} s` });
      return null;
    }
    if (!result) {
      done(provider === 'vscode-lm' ? 'declined' : 'failed', { reason: provider === 'vscode-lm' ? 'the client declined' : 'unparseable' });
      return null;
    }
    done('applied', { model: result.model });
    return { ...result, provider };
  } catch (e) {
    done(abort.signal.aborted ? 'timeout' : 'failed', { reason: safeReason(e) });
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** A reason fit for the log: our own failures' messages, a JSON-RPC error code, a network error code. */
function safeReason(e: unknown): string {
  if (e instanceof RefineFailure) return e.message;
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'number') return `client error ${code}`;
  const cause = (e as { cause?: { code?: unknown } })?.cause?.code;
  if (typeof cause === 'string') return `network ${cause}`;
  if (e instanceof TypeError && e.message === 'fetch failed') return 'network failure';
  if ((e as Error)?.name === 'AbortError') return 'aborted';
  return 'error';
}

/** `${endpoint}/v1/chat/completions`, whether or not the endpoint already ends with /v1. */
export function chatCompletionsUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '').replace(/\/v1$/, '')}/v1/chat/completions`;
}

/**
 * One chat completion from an OpenAI-compatible server (Ollama, llama.cpp, LM Studio, vLLM) asking for JSON
 * (`response_format: json_object`; a server that refuses that option with 400/422 is asked once more without it).
 * Redirects are not followed: the transcript goes to the configured endpoint or nowhere.
 */
export async function refineWithOpenAiCompatible(settings: EnhancementSettings, params: RefineParams, signal: AbortSignal): Promise<RefineResult | null> {
  if (!settings.endpoint) throw new RefineFailure('no-endpoint');
  const { system, user } = refineMessages(params);
  const body = {
    ...(settings.model ? { model: settings.model } : {}),
    messages: [{ role: 'system', content: system }, { role: 'user', content: user }],
    temperature: 0.2,
    stream: false,
  };
  const post = (withFormat: boolean) => fetch(chatCompletionsUrl(settings.endpoint!), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(withFormat ? { ...body, response_format: { type: 'json_object' } } : body),
    redirect: 'error',
    signal,
  });
  let response = await post(true);
  if (response.status === 400 || response.status === 422) {
    await response.body?.cancel().catch(() => undefined);
    response = await post(false);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new RefineFailure(`http-${response.status}`);
  }
  const text = await response.text();
  if (text.length > MAX_RESPONSE_BYTES) throw new RefineFailure('response too large');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RefineFailure('not a chat completion (invalid JSON)');
  }
  const choice = (json as { choices?: { message?: { content?: unknown } }[] })?.choices?.[0];
  const content = choice?.message?.content;
  const answer = typeof content === 'string' ? content
    : Array.isArray(content) ? content.map((part) => (typeof part?.text === 'string' ? part.text : '')).join('') : undefined;
  if (answer === undefined) throw new RefineFailure('not a chat completion (no choices[0].message.content)');
  const reported = (json as { model?: unknown }).model;
  const model = typeof reported === 'string' && reported.trim() ? reported.trim() : settings.model ?? 'local model';
  const result = parseRefinementText(answer, model);
  if (!result) throw new RefineFailure('unparseable');
  return result;
}
