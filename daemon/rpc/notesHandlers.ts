/**
 * Requests that change a session's notes after the fact: earshot/actionItem/setDone, earshot/item/restore (a dismissed
 * item back) and earshot/extraction/cancel (the opt-in language-model extraction). Each change tells the client that
 * meeting memory changed (earshot/memory/changed).
 */
import { ActionItemSetDone, ExtractionCancel, ItemRestore, MemoryChangedNotification } from '../../protocol/protocol';
import { validateActionItemSetDone, validateExtractionCancel, validateItemRestore } from '../../protocol/validate';
import { RpcContext } from './context';

export function registerNotesHandlers({ connection, log, answer, notify }: RpcContext): void {
  connection.onRequest(ItemRestore, (params) => answer(ItemRestore.method, async (svc) => {
    const item = await svc.restoreItem(validateItemRestore(params));
    notify(() => connection.sendNotification(MemoryChangedNotification, { sessionId: item.sessionId }));
    return item;
  }));
  connection.onRequest(ExtractionCancel, (params) => answer(ExtractionCancel.method, (svc) => {
    const valid = validateExtractionCancel(params);
    const result = svc.cancelExtraction(valid.sessionId);
    log.info('notes', 'model_extraction_cancel', { sessionId: valid.sessionId, cancelled: result.cancelled });
    return result;
  }));
  connection.onRequest(ActionItemSetDone, (params) => answer(ActionItemSetDone.method, async (svc) => {
    const item = await svc.setActionItemDone(validateActionItemSetDone(params));
    notify(() => connection.sendNotification(MemoryChangedNotification, { sessionId: item.sessionId }));
    return item;
  }));
}
