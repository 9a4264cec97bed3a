/**
 * meetings_about_code: what meetings said about a workspace file or symbol, from memory's code anchors
 * (memory/codeAnchors.ts, once it is merged).
 */
import { AgentToolResult } from '../../protocol/agentTools';
import { MeetingFile } from '../memory/askSearch';
import { MemoryIndex } from '../memory/memoryIndex';

export function meetingsAboutCode(_index: MemoryIndex, _query: { path?: string; symbol?: string; since?: string }, _files: ReadonlyMap<string, MeetingFile>): AgentToolResult {
  throw new Error('meetings_about_code is not built yet');
}
