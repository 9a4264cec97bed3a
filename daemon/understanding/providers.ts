/**
 * The opt-in language-model extraction (InitializationOptions.enhancement), on the daemon's side: sends the meeting's
 * chunks (notes/modelExtract.ts) to the provider, at most `maxConcurrency` at once and within a token budget, each call
 * within a time limit, retried with exponential backoff on 429, 5xx, timeouts and network errors, and once more on an
 * answer that is not valid; a chunk that still has none is dropped with a warning. Cancellable: in-flight HTTP
 * requests (or client requests) are aborted. 'vscode-lm' asks the client (`earshot/languageModel/chat`);
 * 'openai-compatible' POSTs to `${endpoint}/v1/chat/completions` (node:http; `localhost` names connect to loopback
 * without a resolver, and an answer is read only up to MAX_RESPONSE_BYTES).
 *
 * Privacy: the transcript goes only to the configured provider. Reports never carry transcript or model text: a
 * failure's reason is one of a few fixed words and an HTTP status or error code.
 */
import * as dns from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';
import {
  ChunkExtraction, DEFAULT_ENHANCEMENT_CONCURRENCY, DEFAULT_ENHANCEMENT_TIMEOUT_SEC, DEFAULT_ENHANCEMENT_TOKEN_BUDGET, EnhancementSettings,
  ExtractionProgressParams, LanguageModelChatParams,
} from '../../protocol/protocol';
import { isLocalhostName, validateLanguageModelChatResult } from '../../protocol/validate';
import { chunkMessages, liveChunkMessages, MeetingInfo, ModelChunk, ModelRunSummary, NotedBound, NotesPrompt, parseChunkAnswer } from './modelExtract';
import { EarlierParts, NotedOwners, withNotedBefore } from './chunkMerge';
import type { Logger } from '../log';

/** `refused`: an answer taken, but some of its entries refused for what they say (the reason names them). */
export type RefinementOutcome = 'applied' | 'declined' | 'failed' | 'timeout' | 'cancelled' | 'budget' | 'refused';

/** One model call, or the run's end, for the log (never transcript or model text). */
export interface RefinementReport {
  sessionId: string;
  provider: Exclude<EnhancementSettings['provider'], 'off'>;
  outcome: RefinementOutcome;
  ms: number;
  /** The chunk (1-based), for a call. */
  chunk?: number;
  attempt?: number;
  /** The model that answered (applied). */
  model?: string;
  /** Why it failed, or which entries were refused: fixed words (timeout, http-503, invalid answer, rewrite a3: …) and ids, never text. */
  reason?: string;
  /**
   * 'summary': a rolling-summary call (modelSummary.ts), 'settle': its last at stop (and the template's sections),
   * 'restatements': the check of the final lists at stop (restatements.ts), 'procedure': the procedure check at stop
   * (procedureCheck.ts), 'owners': the owner check at stop (ownerCheck.ts), 'part': the notes on one part for the settle
   * of v10 (summaryFromParts.ts), 'standings': the standing check of the settled summary (standingCheck.ts); absent: a
   * chunk's extraction call.
   */
  call?: 'summary' | 'settle' | 'restatements' | 'procedure' | 'owners' | 'part' | 'standings';
}

/**
 * Logs a call's report at the default level (a failure at warn): its counts, outcome and reason only, which carry no
 * transcript or model text (RefinementReport's fields are fixed words and numbers).
 */
export function logRefinement(log: Logger, r: RefinementReport): void {
  const entry = {
    sessionId: r.sessionId, provider: r.provider, ...(r.call ? { call: r.call } : {}), outcome: r.outcome, ms: r.ms, ...(r.chunk ? { chunk: r.chunk } : {}),
    ...(r.attempt ? { attempt: r.attempt } : {}), ...(r.model ? { model: r.model } : {}), ...(r.reason ? { reason: r.reason } : {}),
  };
  if (r.outcome === 'applied' || r.outcome === 'declined') log.info('notes', 'refinement', entry);
  else log.warn('notes', 'refinement', entry);
}

/** Asks the client for one chat completion (`earshot/languageModel/chat`; the signal cancels it). */
export type AskClient = (params: LanguageModelChatParams, signal: AbortSignal) => Promise<unknown>;

/** A failure whose message is safe to log (no transcript, no model output). `retry`: worth another attempt. */
export class RefineFailure extends Error {
  constructor(message: string, readonly retry = false, readonly retryAfterMs?: number) {
    super(message);
  }
}

const DECLINED = 'the client declined';

/** Longest chat-completion response read. */
const MAX_RESPONSE_BYTES = 1 << 20;
/** Tokens estimated from characters (a common rule of thumb for English). */
export const CHARS_PER_TOKEN = 4;
export const estimateTokens = (chars: number) => Math.ceil(chars / CHARS_PER_TOKEN);
/**
 * Tokens reserved for a chunk's answer before it comes (then the real answer's length is counted); the request caps the
 * answer there (`max_tokens`, the local model's `maxTokens`), so the budget holds. A chunk's JSON is far shorter: of the
 * 9,142 recorded chunk answers the longest is 996 tokens of Qwen2's tokenizer, the 99th percentile 405 (BENCHMARKS.md).
 * The checks at stop answer in tens of tokens.
 */
export const ANSWER_RESERVE_TOKENS = 1000;
/**
 * Tokens one summary point may take: its text at the prompts' bound (240 characters, ~60 tokens of English) and its
 * cites (at most 8; ~8 tokens each: `"mic-1234", ` is 9 tokens of Qwen2's tokenizer, which gives each digit its own), with
 * its JSON. The recorded answers (rolling summaries, parts' notes and settles: 17,194) average at most 138 tokens a
 * point within one answer (BENCHMARKS.md, "answer caps").
 */
export const SUMMARY_POINT_TOKENS = 140;
/** The answer's `{"points": [...]}` around its points. */
const SUMMARY_ANSWER_OVERHEAD_TOKENS = 40;

/**
 * The cap on a call's answer (`max_tokens`; the local model's `maxTokens`, which also sizes its context): a summary's
 * from the points it may hold (a settle of 20 points: 2,840), anything else ANSWER_RESERVE_TOKENS. A cap under what the
 * prompt asks for cuts the answer's JSON short, and a cut answer is no answer: the recorded settles are 1,487 tokens at
 * the median, and a flat 1,000 cut 91 % of them (and half the rolling summaries).
 */
export function answerTokensFor(constraint?: AnswerConstraint): number {
  if (constraint && 'standings' in constraint) return summaryAnswerTokens(constraint.standings.points); // each fix a point's words
  return constraint && 'summary' in constraint ? summaryAnswerTokens(constraint.summary.maxPoints) : ANSWER_RESERVE_TOKENS;
}

/** The cap on a summary's answer of at most `maxPoints` points (answerTokensFor's for a summary's call). */
export const summaryAnswerTokens = (maxPoints: number) => SUMMARY_ANSWER_OVERHEAD_TOKENS + maxPoints * SUMMARY_POINT_TOKENS;
/**
 * The time limit of one call (ms): the provider's (`timeoutSec`: how long a chunk's call may take), grown in proportion
 * to the answer the call may write beyond a chunk's cap (a settle of 20 points: 2.84 times). A summary's answer is
 * what takes the time: ~1,500 tokens for a settle at the median against ~80 for a chunk, and a limit set for chunks cut
 * off the settle of any model that writes slower than ~75 tokens a second.
 */
export function timeLimitFor(timeoutMs: number, constraint?: AnswerConstraint): number {
  return Math.round(timeoutMs * Math.max(1, answerTokensFor(constraint) / ANSWER_RESERVE_TOKENS));
}
/** Attempts for a call that fails with 429, 5xx, a timeout or a network error; and for an invalid answer. */
export const MAX_ATTEMPTS = 3;
/** Refused entries of one answer named in its report (the rest counted). */
const MAX_REFUSALS_SAID = 5;
export const MAX_INVALID_ATTEMPTS = 2;

/**
 * What a chunk's answer may cite: its lines' segment ids, the rule-based items shown with it (all; the action items
 * and the decisions among them), its speakers. A provider that can constrain generation ('local': a JSON-schema grammar) uses it;
 * the others ignore it (their answers are checked against the same sets afterwards: parseChunkAnswer).
 */
export interface ChunkConstraint {
  segmentIds: string[];
  itemIds: string[];
  actionItemIds: string[];
  /** The decisions among them (prompt v6: rewritable too); absent in a constraint made before. */
  decisionIds?: string[];
  speakers: string[];
  /** Prompt v7: the entries noted in earlier parts that the prompt shows (their ids, by kind); absent: a v6 prompt. `refine`: v8 (new words). */
  noted?: { actionItemIds: string[]; decisionIds: string[]; refine?: true };
}

export const chunkConstraint = (chunk: ModelChunk): ChunkConstraint => ({
  segmentIds: chunk.lines.map((l) => l.segmentId),
  itemIds: chunk.items.map((i) => i.id),
  actionItemIds: chunk.items.filter((i) => i.kind === 'actionItem').map((i) => i.id),
  decisionIds: chunk.items.filter((i) => i.kind === 'decision').map((i) => i.id),
  speakers: [...new Set(chunk.lines.map((l) => l.speaker))],
  ...(chunk.noted ? { noted: {
    actionItemIds: chunk.noted.shown.filter((e) => e.kind === 'actionItem').map((e) => e.id),
    decisionIds: chunk.noted.shown.filter((e) => e.kind === 'decision').map((e) => e.id),
    ...((chunk.noted.prompt ?? 7) >= 8 ? { refine: true as const } : {}),
  } } : {}),
});

/**
 * What a rolling summary's answer may cite (modelSummary.ts): the new chunk's lines and the lines the previous points
 * cite (or, settling, the final lists').
 */
export interface SummaryConstraint { summary: { segmentIds: string[]; maxPoints: number } }

/** What the restatement check at stop may name (restatements.ts): the final lists' entries, by kind. */
export interface RestatementConstraint { restatements: { decisionIds: string[]; actionItemIds: string[] } }

/** What the procedure (decision) check at stop may name (procedureCheck.ts): the decisions asked about, under `key` (prompt v1's `procedure`, v2's `notDecisions`). */
export interface ProcedureConstraint { procedure: { decisionIds: string[]; key?: 'procedure' | 'notDecisions' } }

/** What the owner check at stop may name (ownerCheck.ts): the items asked about, and the meeting's speakers. */
export interface OwnersConstraint { owners: { itemIds: string[]; speakers: string[] } }

/** What the standing check of the settled summary may name (standingCheck.ts): its points and the decisions shown, by number. */
export interface StandingsConstraint { standings: { points: number; decisions: number } }

/** What an answer may cite: a chunk's (ChunkConstraint), a rolling summary's (SummaryConstraint) or a check's at stop. */
export type AnswerConstraint = ChunkConstraint | SummaryConstraint | RestatementConstraint | ProcedureConstraint | OwnersConstraint | StandingsConstraint;

/** One chat completion: the answer's text and the model's name. `constraint`: the chunk's or summary's, for providers that use it. */
export type Chat = (system: string, user: string, signal: AbortSignal, constraint?: AnswerConstraint) => Promise<{ text: string; model: string }>;

export interface ExtractionRunOptions {
  settings: EnhancementSettings;
  chat: Chat;
  signal: AbortSignal;
  progress(p: ExtractionProgressParams): void;
  report(r: RefinementReport): void;
  /** First backoff in ms (doubled each retry); default 500. */
  backoffMs?: number;
  /**
   * Incremental runs (a meeting extracted while it runs, chunk by chunk): the meeting's run so far, which this call
   * carries on: its tokens count against the budget, its chunks in the progress, its model stands until one answers.
   */
  continues?: ModelRunSummary;
  /** Chunks in the meeting (so far), for the prompt's "Part k of N" and the progress; default: `chunks.length`. */
  ofChunks?: number;
  /**
   * While the meeting runs: each chunk's prompt says it is the last part so far ("Part k of k"), as it was while its
   * lines came (a local model read them ahead then: the prompt must start as it did). The progress still counts `ofChunks`.
   */
  lastPartSoFar?: boolean;
  /** Time (ms, growing) the provider was paused for whisper ('local'): left out of a call's time limit. */
  pausedMs?(): number;
  /**
   * Prompt v7 (issue 56): each chunk's prompt carries what the chunks before it noted (chunkMerge.ts's notedBefore),
   * so the chunks are sent one at a time, in order, whatever `maxConcurrency` says.
   */
  carryNotes?: boolean;
  /** With `carryNotes`: the carried-notes prompt, v7 or v8 (a noted entry's words may be refined); absent: NOTES_PROMPT_DEFAULT (v8). */
  notesPrompt?: NotesPrompt;
  /** With `carryNotes`: which noted entries a prompt shows past the bound (chunks.ts's NotedBound); absent: NOTED_BOUND_DEFAULT. */
  notedBound?: NotedBound;
  /** With `carryNotes`: how a later part's noted owner is taken (chunkMerge.ts's NotedOwners); absent: `replace`, the daemon's. */
  notedOwners?: NotedOwners;
  /**
   * With `carryNotes`, a meeting sent over several runs (live: chunk by chunk): the chunks sent in earlier runs and
   * their answers, which the first chunk's notes come from. Absent: `chunks` starts the meeting.
   */
  earlier?: EarlierParts;
  /**
   * Steps follow the chunks (the checks at stop, the settle: stopProgress.ts): a run that ends done holds its end back,
   * said as still running; the caller says it once its steps are done (`endHeld` in the answer).
   */
  endFollows?: boolean;
}

export interface ExtractionRun {
  /** One per chunk given, in the same order. */
  answers: (ChunkExtraction | null)[];
  summary: ModelRunSummary;
  /** How it ended, for the user (counts only). */
  message: string;
  /** The client declined (no model, no consent): sending more chunks is pointless. */
  declined: boolean;
  /** With `endFollows`: the end was held back (the run ended done), for the caller to say (StopProgress.end). */
  endHeld?: true;
}

/**
 * A call's time limit in working time: while the model is paused for whisper (`pausedMs` grows), the limit is put off by
 * as long. Without `pausedMs`, a plain timeout. `clear()` once the call is over.
 */
export function workingTimeLimit(timeoutMs: number, pausedMs?: () => number): { signal: AbortSignal; clear(): void } {
  const started = performance.now();
  const pausedAtStart = pausedMs?.() ?? 0;
  const limit = new AbortController();
  const expire = (): void => {
    const worked = performance.now() - started - ((pausedMs?.() ?? 0) - pausedAtStart);
    if (worked >= timeoutMs) limit.abort();
    else timer = setTimeout(expire, timeoutMs - worked);
  };
  let timer = setTimeout(expire, timeoutMs);
  return { signal: limit.signal, clear: () => clearTimeout(timer) };
}

/**
 * Runs every chunk through the model. Resolves (never rejects) with one answer per chunk (null: none: given up, not
 * sent, cancelled) and how the run went.
 */
export async function runModelExtraction(sessionId: string, meeting: MeetingInfo, chunks: readonly ModelChunk[],
  options: ExtractionRunOptions): Promise<ExtractionRun> {
  const { settings, chat, signal } = options;
  const provider = settings.provider === 'off' ? 'openai-compatible' : settings.provider;
  const concurrency = options.carryNotes ? 1 : settings.maxConcurrency ?? DEFAULT_ENHANCEMENT_CONCURRENCY;
  const budget = settings.tokenBudget ?? DEFAULT_ENHANCEMENT_TOKEN_BUDGET;
  const timeoutMs = (settings.timeoutSec ?? DEFAULT_ENHANCEMENT_TIMEOUT_SEC) * 1000;
  const backoffMs = options.backoffMs ?? 500;
  const answers: (ChunkExtraction | null)[] = chunks.map(() => null);
  const total = options.ofChunks ?? chunks.length;
  const sofar = options.continues;
  let spent = sofar?.tokens ?? 0, reserved = 0, finished = sofar?.finished ?? 0, failed = sofar?.failed ?? 0, nextChunk = 0;
  let budgetSpent = false;
  /** The client declined (no model, no consent): no more chunks are sent. */
  let declined = false;
  let model = sofar?.model ?? settings.model ?? (provider === 'vscode-lm' ? 'VS Code language model' : 'local model');
  const progress = (message: string) => options.progress({ sessionId, state: 'running', chunks: total, finished, failed, tokens: spent, tokenBudget: budget, message });
  /** Takes tokens from the budget for a prompt (and the answer's reserve); false when they do not fit. */
  const take = (tokens: number) => {
    if (spent + reserved + tokens + ANSWER_RESERVE_TOKENS > budget) return false;
    reserved += tokens + ANSWER_RESERVE_TOKENS;
    return true;
  };

  const callOnce = async (chunk: ModelChunk, system: string, user: string, promptTokens: number, attempt: number): Promise<string> => {
    const started = performance.now();
    const timeout = workingTimeLimit(timeoutMs, options.pausedMs);
    const both = AbortSignal.any([signal, timeout.signal]);
    const base = { sessionId, provider, chunk: chunk.index + 1, attempt };
    try {
      const answer = await chat(system, user, both, chunkConstraint(chunk));
      model = answer.model;
      spent += promptTokens + estimateTokens(answer.text.length);
      options.report({ ...base, outcome: 'applied', ms: Math.round(performance.now() - started), model: answer.model });
      return answer.text;
    } catch (e) {
      spent += promptTokens; // a prompt sent counts, answered or not
      const timedOut = timeout.signal.aborted && !signal.aborted;
      const reason = signal.aborted ? 'cancelled' : timedOut ? `no answer within ${timeoutMs / 1000} s` : safeReason(e);
      options.report({ ...base, outcome: signal.aborted ? 'cancelled' : timedOut ? 'timeout' : 'failed', ms: Math.round(performance.now() - started), reason });
      if (signal.aborted) throw new RefineFailure('cancelled');
      if (timedOut) throw new RefineFailure('timeout', true);
      throw e;
    } finally {
      timeout.clear();
      reserved -= promptTokens + ANSWER_RESERVE_TOKENS;
    }
  };

  /** One chunk: retries on transient failures with backoff, once more on an invalid answer; null when given up. */
  const runChunk = async (chunk: ModelChunk): Promise<ChunkExtraction | null | 'budget'> => {
    const { system, user } = options.lastPartSoFar ? liveChunkMessages(meeting, chunk) : chunkMessages(meeting, chunk, total);
    const promptTokens = estimateTokens(system.length + user.length);
    let transient = 0, invalid = 0;
    for (;;) {
      if (signal.aborted) return null;
      if (!take(promptTokens)) return 'budget';
      let text: string;
      try {
        text = await callOnce(chunk, system, user, promptTokens, transient + invalid + 1);
      } catch (e) {
        const failure = e instanceof RefineFailure ? e : new RefineFailure(safeReason(e), isTransientNetwork(e));
        if (failure.message === DECLINED) declined = true;
        if (!failure.retry || ++transient >= MAX_ATTEMPTS || signal.aborted) return null;
        await sleep(failure.retryAfterMs ?? backoffMs * 2 ** (transient - 1), signal);
        continue;
      }
      const refused: string[] = [];
      const parsed = parseChunkAnswer(text, chunk, refused);
      if (parsed) {
        if (refused.length) {
          const more = refused.length > MAX_REFUSALS_SAID ? ` (and ${refused.length - MAX_REFUSALS_SAID} more)` : '';
          options.report({ sessionId, provider, outcome: 'refused', ms: 0, chunk: chunk.index + 1, reason: `${refused.slice(0, MAX_REFUSALS_SAID).join('; ')}${more}` });
        }
        return parsed;
      }
      options.report({ sessionId, provider, outcome: 'failed', ms: 0, chunk: chunk.index + 1, reason: 'invalid answer' });
      if (++invalid >= MAX_INVALID_ATTEMPTS) return null;
    }
  };

  progress(`${chunks.length} chunk${chunks.length === 1 ? '' : 's'} to send`);
  const worker = async () => {
    while (!signal.aborted && !budgetSpent && !declined && nextChunk < chunks.length) {
      const position = nextChunk++;
      // In order, one at a time: every chunk before this one is answered.
      const chunk = options.carryNotes ? withNotedBefore(chunks[position], {
        chunks: [...options.earlier?.chunks ?? [], ...chunks.slice(0, position)], answers: [...options.earlier?.answers ?? [], ...answers.slice(0, position)],
      }, options.notesPrompt, options.notedBound, options.notedOwners ? { notedOwners: options.notedOwners } : {}) : chunks[position];
      const result = await runChunk(chunk);
      if (result === 'budget') {
        budgetSpent = true;
        break;
      }
      answers[position] = result;
      if (signal.aborted) break;
      finished++;
      if (!result) failed++;
      progress(result ? `chunk ${chunk.index + 1} of ${total} done` : `chunk ${chunk.index + 1} of ${total} gave no valid answer: left out`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, chunks.length)) }, worker));
  const end = signal.aborted ? 'cancelled' : budgetSpent ? 'budget' : 'done';
  const message = end === 'cancelled' ? `cancelled after ${finished} of ${total} chunks`
    : end === 'budget' ? `token budget (${budget}) spent after ${finished} of ${total} chunks: the rest of the meeting was not sent`
      : declined ? 'the client declined (no language model available, or no consent): the notes stay as the rules wrote them'
        : `${total} chunk${total === 1 ? '' : 's'} done${failed ? `, ${failed} left out (no valid answer)` : ''}`;
  // Steps to follow (the checks at stop, the settle) only after a run that ended done: its end waits for them.
  const held = options.endFollows === true && end === 'done' && !declined;
  options.progress({ sessionId, state: held ? 'running' : end, chunks: total, finished, failed, tokens: spent, tokenBudget: budget, message });
  return { answers, summary: { provider, model, chunks: total, finished, failed, tokens: spent, state: end }, message, declined, ...(held ? { endHeld: true as const } : {}) };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

const isTransientNetwork = (e: unknown) => e instanceof TypeError || typeof (e as { cause?: { code?: unknown } })?.cause?.code === 'string';

/** A reason fit for the log: our own failures' messages, a JSON-RPC error code, a network error code. */
export function safeReason(e: unknown): string {
  if (e instanceof RefineFailure) return e.message;
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'number') return `client error ${code}`;
  const cause = (e as { cause?: { code?: unknown } })?.cause?.code;
  if (typeof cause === 'string') return `network ${cause}`;
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
 * Redirects are not followed: the transcript goes to the configured endpoint or nowhere. 429 and 5xx are retryable
 * (Retry-After honoured up to 30 s), as are network failures. `json: false` asks for prose instead (`earshot ask`'s answer).
 */
export function openAiCompatibleChat(settings: EnhancementSettings, options: { json?: boolean } = {}): Chat {
  const asJson = options.json !== false;
  return async (system, user, signal, constraint) => {
    if (!settings.endpoint) throw new RefineFailure('no-endpoint');
    const body = {
      ...(settings.model ? { model: settings.model } : {}),
      messages: [{ role: 'system', content: system }, { role: 'user', content: user }],
      temperature: 0.1,
      max_tokens: answerTokensFor(constraint),
      stream: false,
    };
    const url = chatCompletionsUrl(settings.endpoint);
    const post = (withFormat: boolean) => postJson(url, JSON.stringify(withFormat ? { ...body, response_format: { type: 'json_object' } } : body), signal);
    let response = await post(asJson);
    if (asJson && (response.status === 400 || response.status === 422)) response = await post(false);
    if (response.status < 200 || response.status >= 300) {
      const retryAfter = Number(response.headers['retry-after']);
      const transient = response.status === 429 || response.status >= 500;
      throw new RefineFailure(`http-${response.status}`, transient, Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 30) * 1000 : undefined);
    }
    let json: unknown;
    try {
      json = JSON.parse(response.text);
    } catch {
      return { text: '', model: settings.model ?? 'local model' }; // not a chat completion: an invalid answer
    }
    const content = (json as { choices?: { message?: { content?: unknown } }[] })?.choices?.[0]?.message?.content;
    const answer = typeof content === 'string' ? content
      : Array.isArray(content) ? content.map((part) => (typeof part?.text === 'string' ? part.text : '')).join('') : '';
    const reported = (json as { model?: unknown }).model;
    return { text: answer, model: typeof reported === 'string' && reported.trim() ? reported.trim().slice(0, 100) : settings.model ?? 'local model' };
  };
}

/**
 * Resolves the endpoint's host for its connection: `localhost` and `*.localhost` are this machine (RFC 6761), answered
 * here with the loopback addresses, so no resolver (glibc asks DNS for `foo.localhost`) can send a transcript
 * elsewhere; the Host header and TLS name stay the URL's. Any other name is the system's to resolve.
 */
export const localhostLookup: LookupFunction = (hostname, options, callback) => {
  if (!isLocalhostName(hostname)) return dns.lookup(hostname, options, callback);
  const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
  const addresses = [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }].filter((a) => !family || a.family === family);
  process.nextTick(() => (options.all ? callback(null, addresses) : callback(null, addresses[0].address, addresses[0].family)));
};

interface PostAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body of a 2xx answer ('' otherwise: only the status and headers are read). */
  text: string;
}

/**
 * POSTs a JSON body. The answer is read as it streams and the connection dropped once it passes MAX_RESPONSE_BYTES
 * (a server cannot make the daemon buffer until the time limit); abort rejects with the signal's reason, as fetch does.
 * A network failure is a retryable RefineFailure naming its error code.
 */
function postJson(url: string, body: string, signal: AbortSignal): Promise<PostAnswer> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const target = new URL(url);
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      outcome();
    };
    const fail = (e: unknown) => settle(() => {
      request.destroy();
      reject(e);
    });
    const network = (e: NodeJS.ErrnoException) => fail(new RefineFailure(`network ${typeof e.code === 'string' && /^[A-Z0-9_]+$/.test(e.code) ? e.code : 'failure'}`, true));
    const onAbort = () => fail(signal.reason);
    const request = (target.protocol === 'https:' ? https : http).request(target, {
      method: 'POST',
      agent: false, // one connection per call: nothing lingers, and dropping it ends the answer
      lookup: localhostLookup,
      headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (response) => {
      const status = response.statusCode ?? 0;
      if (status < 200 || status >= 300) return settle(() => {
        request.destroy();
        resolve({ status, headers: response.headers, text: '' });
      });
      if (Number(response.headers['content-length']) > MAX_RESPONSE_BYTES) return fail(new RefineFailure('response too large'));
      const chunks: Buffer[] = [];
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > MAX_RESPONSE_BYTES) return fail(new RefineFailure('response too large'));
        chunks.push(chunk);
      });
      response.on('end', () => settle(() => resolve({ status, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') })));
      response.on('error', network);
      // A connection that closes before the answer's end: cut off (no 'end' comes).
      response.on('close', () => { if (!response.complete) network(Object.assign(new Error('the answer was cut off'), { code: 'ECONNRESET' })); });
    });
    request.on('error', network);
    signal.addEventListener('abort', onAbort, { once: true });
    request.end(body);
  });
}

/** The 'vscode-lm' provider: each call is an `earshot/languageModel/chat` request to the client. */
export function clientChat(sessionId: string, askClient: AskClient): Chat {
  return async (system, user, signal) => {
    const answer = validateLanguageModelChatResult(await askClient({ sessionId, system, user }, signal));
    if (!answer) throw new RefineFailure(DECLINED);
    return answer;
  };
}
