/**
 * Meeting memory for the service (MemorySearch, MemoryTodo, MemoryDecisions, MemoryLines, MemoryMeetings): checks the params, brings
 * the index up to date with storage (memory/storedMemory.ts) and answers from it. Delete All Data drops the index.
 *
 * Owns the memory requests' params. Must not write journals or notes (ticking an item is storedSessions.ts's).
 */
import {
  ErrorCodes, MEMORY_LINES_AROUND, MEMORY_LINES_MAX_AROUND, MemoryCodeAnchorsParams, MemoryCodeAnchorsResult, MemoryDecisionsParams, MemoryDecisionsResult, MemoryLinesParams, MemoryLinesResult, MemoryMeetingsResult, MemorySearchParams, MemorySearchResult, MemoryTodoParams, MemoryTodoResult,
} from '../../protocol/protocol';
import { AgentToolResult } from '../../protocol/agentTools';
import { InvalidParamsError } from '../../protocol/validate';
import { AgentToolError, AgentToolInputError, runAgentTool } from '../agentTools/runner';
import { storedFiles } from '../memory/askSearch';
import { workspaceCodeAnchors } from '../memory/codeAnchors';
import { MAX_LIMIT, MAX_NEIGHBOURS } from '../memory/memoryIndex';
import { MeaningSearch } from '../memory/meaningSearch';
import { StoredMemory } from '../memory/storedMemory';
import { ServiceError } from '../serviceError';

/** Longest query or topic taken (a question, not a document). */
const MAX_QUERY = 2000;
const MAX_LIST = 200;
const MAX_ROOT = 4096;
/** A session or segment id at most (they are short names; this only bounds what a bad client sends). */
const MAX_ID = 200;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;

export class Memory {
  private readonly stored: StoredMemory;

  /** `meaning`: the meaning model's part in searches, once the user has downloaded it (none: words alone). */
  constructor(private readonly storageDir: string, skipped?: (sessionId: string, error: string) => void, private readonly meaning?: MeaningSearch) {
    this.stored = new StoredMemory(storageDir, undefined, skipped);
  }

  async search(params: unknown): Promise<MemorySearchResult> {
    const valid = validateMemorySearch(params);
    const index = await this.stored.sync();
    const { semantic, meaning } = this.meaning ? await this.meaning.query(index, valid.query) : {};
    return { passages: index.search(valid, semantic), sessions: index.sessionCount, segments: index.segmentCount, ...(meaning ? { meaning } : {}) };
  }

  /** Loads the meaning model, if downloaded, and starts its reading of the meetings (after its download). */
  async warmMeaning(): Promise<void> {
    if (this.meaning) await this.meaning.warm(await this.stored.sync());
  }

  /** Stops the meaning model's reading of the meetings and waits for it (before Delete All Data). */
  stopReading(): Promise<void> {
    return this.meaning?.stopReading() ?? Promise.resolve();
  }

  /** Closes the meaning model (before its file is deleted, at shutdown); the next search loads it again if it is there. */
  unloadModel(): Promise<void> {
    return this.meaning?.dispose() ?? Promise.resolve();
  }

  async todo(params: unknown): Promise<MemoryTodoResult> {
    const valid = validateMemoryTodo(params);
    const index = await this.stored.sync();
    return { items: index.todo(valid.owners, valid.includeDone) };
  }

  async decisions(params: unknown): Promise<MemoryDecisionsResult> {
    const valid = validateMemoryDecisions(params);
    return { decisions: (await this.stored.sync()).decisions(valid) };
  }

  async lines(params: unknown): Promise<MemoryLinesResult> {
    const { sessionId, segmentId, before, after } = validateMemoryLines(params);
    const found = (await this.stored.sync()).lines(sessionId, segmentId, before, after);
    if (!found) throw new ServiceError(ErrorCodes.SessionNotFound, `No segment ${JSON.stringify(segmentId)} in a stored meeting ${JSON.stringify(sessionId)}.`);
    return found;
  }

  /**
   * One of the agents' tools (earshot/memory/tool) over the stored meetings, the meaning model's part as in a search
   * (the blocks read so far). An unknown tool, arguments its schema refuses or a meeting named that is not there are
   * InvalidParams errors that say what is wrong.
   */
  async tool(params: unknown): Promise<AgentToolResult> {
    const o = object(params, 'memory/tool params');
    if (o.input !== undefined && (typeof o.input !== 'object' || o.input === null || Array.isArray(o.input))) fail('memory/tool params.input must be an object');
    const owners = strings(o, 'owners', 'memory/tool params') ?? [];
    const meaning = this.meaning;
    try {
      return await runAgentTool(o.name, o.input ?? {}, {
        index: () => this.stored.sync(),
        files: (index) => storedFiles(this.storageDir, index),
        ...(meaning ? { semantic: async (index, question) => (await meaning.query(index, question)).semantic } : {}),
        owners,
      });
    } catch (e) {
      throw e instanceof AgentToolInputError || e instanceof AgentToolError ? new InvalidParamsError(e.message) : e;
    }
  }

  async meetings(): Promise<MemoryMeetingsResult> {
    return { meetings: (await this.stored.sync()).meetingList() };
  }

  async codeAnchors(params: unknown): Promise<MemoryCodeAnchorsResult> {
    const { root } = validateMemoryCodeAnchors(params);
    return workspaceCodeAnchors(await this.stored.sync(), root);
  }

  /** After Delete All Data: nothing of the deleted journals stays in memory. */
  dropped(): void {
    this.stored.drop();
    this.meaning?.dropped();
  }
}

function fail(message: string): never {
  throw new InvalidParamsError(message);
}

function object(params: unknown, what: string): Record<string, unknown> {
  if (params === undefined || params === null) return {};
  if (typeof params !== 'object' || Array.isArray(params)) fail(`${what} must be an object`);
  return params as Record<string, unknown>;
}

function text(o: Record<string, unknown>, key: string, what: string, required: boolean, max = MAX_QUERY): string | undefined {
  const v = o[key];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || (required && !v.trim())) fail(`${what}.${key} must be a non-empty string`);
  if (v.length > max) fail(`${what}.${key} must be at most ${max} characters (it has ${v.length})`);
  return v;
}

function whole(o: Record<string, unknown>, key: string, what: string, min: number, max: number): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(`${what}.${key} must be a whole number from ${min} to ${max}`);
  return v;
}

function strings(o: Record<string, unknown>, key: string, what: string): string[] | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length > MAX_LIST || v.some((s) => typeof s !== 'string' || s.length > 200)) fail(`${what}.${key} must be a list of at most ${MAX_LIST} strings`);
  return v as string[];
}

function range(o: Record<string, unknown>, what: string): { since?: string; until?: string } {
  const out: { since?: string; until?: string } = {};
  for (const key of ['since', 'until'] as const) {
    const v = o[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || !ISO_DATE.test(v) || Number.isNaN(Date.parse(v.slice(0, 10)))) fail(`${what}.${key} must be an ISO date (YYYY-MM-DD)`);
    out[key] = v;
  }
  return out;
}

export function validateMemorySearch(params: unknown): MemorySearchParams {
  const what = 'memory/search params';
  const o = object(params, what);
  const limit = whole(o, 'limit', what, 1, MAX_LIMIT);
  const neighbours = whole(o, 'neighbours', what, 0, MAX_NEIGHBOURS);
  const sessionIds = strings(o, 'sessionIds', what);
  const viewing = text(o, 'viewing', what, false);
  return {
    query: text(o, 'query', what, true)!, ...range(o, what),
    ...(limit !== undefined ? { limit } : {}), ...(neighbours !== undefined ? { neighbours } : {}), ...(sessionIds ? { sessionIds } : {}),
    ...(viewing ? { viewing } : {}),
  };
}

export function validateMemoryTodo(params: unknown): Required<MemoryTodoParams> {
  const what = 'memory/todo params';
  const o = object(params, what);
  if (o.includeDone !== undefined && typeof o.includeDone !== 'boolean') fail(`${what}.includeDone must be a boolean`);
  return { owners: strings(o, 'owners', what) ?? [], includeDone: o.includeDone === true };
}

export function validateMemoryDecisions(params: unknown): MemoryDecisionsParams {
  const what = 'memory/decisions params';
  const o = object(params, what);
  const topic = text(o, 'topic', what, false);
  return { ...(topic?.trim() ? { topic } : {}), ...range(o, what) };
}

export function validateMemoryCodeAnchors(params: unknown): MemoryCodeAnchorsParams {
  const what = 'memory/codeAnchors params';
  // A folder's path (or a remote folder's URI): as long as a path gets, never empty.
  return { root: text(object(params, what), 'root', what, true, MAX_ROOT)! };
}

export function validateMemoryLines(params: unknown): Required<MemoryLinesParams> {
  const what = 'memory/lines params';
  const o = object(params, what);
  const id = (key: string) => text(o, key, what, true, MAX_ID)!;
  return {
    sessionId: id('sessionId'), segmentId: id('segmentId'),
    before: whole(o, 'before', what, 0, MEMORY_LINES_MAX_AROUND) ?? MEMORY_LINES_AROUND,
    after: whole(o, 'after', what, 0, MEMORY_LINES_MAX_AROUND) ?? MEMORY_LINES_AROUND,
  };
}
