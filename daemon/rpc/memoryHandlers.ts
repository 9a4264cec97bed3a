/**
<<<<<<< HEAD
 * Requests over every stored session: meeting memory (earshot/memory/search, todo, decisions, meetings, and the agents'
 * tools: earshot/memory/tool) and deleting it all (earshot/data/delete, which then says memory changed). The service checks the memory requests' params; the
=======
 * Requests over every stored session: meeting memory (earshot/memory/search, todo, decisions, meetings, codeAnchors) and deleting
 * it all (earshot/data/delete, which then says memory changed). The service checks the memory requests' params; the
>>>>>>> i55-code
 * log gets counts only, never a query, a line or a file name.
 */
import { DataDelete, MemoryChangedNotification, MemoryCodeAnchors, MemoryDecisions, MemoryMeetings, MemorySearch, MemoryTodo } from '../../protocol/protocol';
import { validateDataDelete } from '../../protocol/validate';
import { MemoryTool } from '../../protocol/agentTools';
import { RpcContext } from './context';

export function registerMemoryHandlers({ connection, log, answer, notify }: RpcContext): void {
  connection.onRequest(MemorySearch, (params) => answer(MemorySearch.method, async (svc) => {
    const result = await svc.searchMemory(params);
    log.debug('memory', 'search', { passages: result.passages.length, sessions: result.sessions });
    return result;
  }));
  connection.onRequest(MemoryTodo, (params) => answer(MemoryTodo.method, (svc) => svc.memoryTodo(params)));
  connection.onRequest(MemoryDecisions, (params) => answer(MemoryDecisions.method, (svc) => svc.memoryDecisions(params)));
  connection.onRequest(MemoryTool, (params) => answer(MemoryTool.method, async (svc) => {
    const result = await svc.memoryTool(params);
    log.debug('memory', 'tool', { tool: result.structured.tool, chars: result.text.length, truncated: result.structured.truncated });
    return result;
  }));
  connection.onRequest(MemoryMeetings, () => answer(MemoryMeetings.method, (svc) => svc.memoryMeetings()));
  connection.onRequest(MemoryCodeAnchors, (params) => answer(MemoryCodeAnchors.method, async (svc) => {
    const result = await svc.memoryCodeAnchors(params);
    log.debug('memory', 'code_anchors', { files: result.files.length, truncated: result.truncated });
    return result;
  }));
  connection.onRequest(DataDelete, (params) => answer(DataDelete.method, async (svc) => {
    const result = await svc.deleteData(validateDataDelete(params));
    // Counts only: no file names (they are session ids and dates, but the log is no place for an inventory).
    log.info('storage', 'data_deleted', {
      journals: result.journals.files, sessionCaches: result.sessionCaches.files, debugAudio: result.debugAudio.files, models: result.models.files,
      bytes: result.bytes, linksNotFollowed: result.linksNotFollowed.length, kept: result.kept.length,
    });
    notify(() => connection.sendNotification(MemoryChangedNotification, {}));
    return result;
  }));
}
