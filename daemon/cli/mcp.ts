/**
 * `earshot mcp`: a Model Context Protocol server on stdio for coding agents (Claude Code, Cursor, VS Code, any MCP
 * client): the agents' tools (protocol/agentTools.ts) over the stored meetings, or over `--over` transcripts as `ask`
 * reads them. The official SDK's low-level Server, so the tools' JSON schemas are AGENT_TOOLS' own.
 *
 * In front of the SDK's transport, each line from the client is checked first (mcpLines.ts): a line that is not JSON,
 * or not a JSON-RPC message, or a request before initialize, is answered with a JSON-RPC error and dropped, and the
 * server goes on (the SDK would drop it silently, and a line over its buffer closes the transport). Unknown tools and
 * arguments a tool's schema refuses are InvalidParams errors; a tool that cannot answer (a meeting that is not there)
 * is a result with isError. Read-only; stdout is the protocol's alone; stderr gets counts, never a query or a line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, CallToolResult, ErrorCode, ListToolsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import { AGENT_TOOLS } from '../../protocol/agentTools';
import { AgentToolError, AgentToolInputError, AgentToolSource, runAgentTool } from '../agentTools/runner';
import { defaultStorageDir } from '../config';
import { byMeaning, MeetingFile, storedFiles } from '../memory/askSearch';
import { idleReadingThreads, MeaningSearch } from '../memory/meaningSearch';
import { MemoryIndex } from '../memory/memoryIndex';
import { StoredMemory } from '../memory/storedMemory';
import { defaultCacheDir } from '../models/modelCache';
import { args, Io, packageInfo, UsageError } from './common';
import { McpLines } from './mcpLines';
import { transcriptMemory } from './memory';

export async function mcp(argv: string[], io: Io, input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values, positionals } = args(argv, 'mcp');
  if (positionals.length) throw new UsageError('mcp takes no arguments (transcripts go with --over FILE)');
  const owners = values.me ?? [];
  if (owners.some((n) => !n.trim())) throw new UsageError('--me needs a name');
  const workspace = values.workspace !== undefined ? workspaceRoot(values.workspace) : undefined;
  const say = (message: string) => io.err(`earshot mcp: ${message}`);
  const memory = await memorySource(values.over ?? [], values.storage ?? defaultStorageDir(), owners, values['words-only'], values['cache-dir'], say);
  const { close, described } = memory;
  const source: AgentToolSource = workspace !== undefined ? { ...memory.source, workspace } : memory.source;

  const server = new Server(packageInfo(), {
    capabilities: { tools: {} },
    instructions: 'Earshot\'s meeting memory on this machine: what past meetings said (transcripts, decisions, action items, notes), read-only. Cite the meeting and line you use.',
  });
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: AGENT_TOOLS.map((t) => ({ name: t.name, title: t.title, description: t.description, inputSchema: t.inputSchema, annotations: { title: t.title, readOnlyHint: true, openWorldHint: false } })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const started = Date.now();
    const name = request.params.name;
    try {
      const result = await runAgentTool(name, request.params.arguments ?? {}, source);
      say(`${name}: ${result.text.length} characters${result.structured.truncated ? ', cut' : ''} in ${Date.now() - started} ms`);
      return { content: [{ type: 'text', text: result.text }], structuredContent: result.structured as unknown as Record<string, unknown> };
    } catch (e) {
      if (e instanceof AgentToolInputError) throw new McpError(ErrorCode.InvalidParams, e.message);
      if (e instanceof AgentToolError) return { content: [{ type: 'text', text: e.message }], isError: true };
      say(`${typeof name === 'string' && AGENT_TOOLS.some((t) => t.name === name) ? name : 'a tool'} failed: ${(e as Error).message}`);
      return { content: [{ type: 'text', text: `Earshot could not answer: ${(e as Error).message}` }], isError: true };
    }
  });

  // The client's lines reach the SDK's transport through the check; what it answers and the checks' errors go out in turn.
  const checked = new PassThrough();
  const transport = new StdioServerTransport(checked, output as never);
  const lines = new McpLines((line) => checked.write(`${line}\n`), (reply) => output.write(`${reply}\n`), say);
  server.onerror = (e) => say(`protocol error: ${e.message}`);
  await server.connect(transport);
  say(`serving ${described} (read-only)${workspace !== undefined ? `; code questions about the workspace ${workspace}` : ''}`);
  await new Promise<void>((resolve) => {
    input.on('data', (chunk: Buffer | string) => lines.push(chunk));
    input.on('end', resolve);
    input.on('close', resolve);
    input.on('error', resolve);
  });
  lines.end();
  await server.close();
  await close();
  return 0;
}

/**
 * `--workspace DIR`: meetings_about_code counts only the meetings recorded in that workspace folder (the journal's
 * workspace root, as the editor's CodeLens does). No default, not even the current folder: a coding agent starts the
 * server in whatever folder it was opened in (a subfolder, a user-wide registration used in every project), and a
 * guessed root that no journal names would turn every answer into "no meeting" without saying why.
 */
function workspaceRoot(dir: string): string {
  if (!dir.trim()) throw new UsageError('--workspace needs a folder');
  const root = path.resolve(dir);
  let folder = false;
  try { folder = fs.statSync(root).isDirectory(); } catch { /* reported below */ }
  if (!folder) throw new UsageError(`--workspace ${dir}: no such folder`);
  return root;
}

/** The memory the tools run over: `--over` transcripts read once, or the storage folder's journals synced before each call. */
async function memorySource(over: string[], storageDir: string, owners: string[], wordsOnly: boolean, cacheDir: string | undefined, say: (message: string) => void):
  Promise<{ source: AgentToolSource; close: () => Promise<void>; described: string }> {
  let index: () => Promise<MemoryIndex>;
  let files: (index: MemoryIndex) => ReadonlyMap<string, MeetingFile>;
  let described: string;
  if (over.length) {
    const read = await transcriptMemory(over);
    index = async () => read.index;
    files = () => read.files;
    described = `${over.length} transcript file${over.length === 1 ? '' : 's'}`;
  } else {
    // Unreadable journals are left out (said by session id and error code, never their words) and tried again next call.
    const stored = new StoredMemory(storageDir, undefined, (sessionId, error) => say(`left out ${sessionId}: ${error}`));
    index = () => stored.sync();
    files = (i) => storedFiles(storageDir, i);
    described = `the stored meetings in ${storageDir}`;
  }
  // One meaning model for the server's life (loaded at the first search, if downloaded), as `ask` uses it.
  const meaning = wordsOnly ? undefined : new MeaningSearch(() => cacheDir ?? defaultCacheDir(storageDir), (message) => say(`${message}; searching by words alone`), {
    sessionsDir: over.length ? undefined : path.join(storageDir, 'sessions'),
    onNotKept: (message) => say(`${message}; they are read again at the next start`),
    threads: () => idleReadingThreads(),
  });
  return {
    source: { index, files, owners, ...(meaning ? { semantic: (i: MemoryIndex, question: string) => byMeaning(meaning, i, question, say) } : {}) },
    close: async () => { await meaning?.dispose(); },
    described,
  };
}
