/**
 * Requests that change a session's notes after the fact: earshot/actionItem/setDone, earshot/item/restore (a dismissed
 * item back), earshot/notes/rewrite (render over the user's copy the client put in place) and earshot/extraction/cancel
 * (the opt-in language-model extraction), earshot/speakers/rename (a voice's name). Each change of items tells the client that meeting memory changed
 * (earshot/memory/changed).
 */
import { ActionItemSetDone, ExtractionCancel, ItemRestore, MemoryChangedNotification, NotesRewrite, SpeakerRename } from '../../protocol/protocol';
import { validateActionItemSetDone, validateExtractionCancel, validateItemRestore, validateNotesRewrite, validateSpeakerRename } from '../../protocol/validate';
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
  connection.onRequest(NotesRewrite, (params) => answer(NotesRewrite.method, async (svc) => {
    await svc.rewriteNotes(validateNotesRewrite(params).sessionId);
    return null;
  }));
  connection.onRequest(SpeakerRename, (params) => answer(SpeakerRename.method, async (svc) => {
    const valid = validateSpeakerRename(params);
    const result = await svc.renameSpeaker(valid);
    // Counts only: a name is what a person is called, kept out of the logs like transcript text.
    log.info('notes', 'speaker_renamed', { sessionId: valid.sessionId, source: valid.source, segments: result.segments, named: valid.name !== null });
    notify(() => connection.sendNotification(MemoryChangedNotification, { sessionId: valid.sessionId }));
    return result;
  }));
  connection.onRequest(ActionItemSetDone, (params) => answer(ActionItemSetDone.method, async (svc) => {
    const item = await svc.setActionItemDone(validateActionItemSetDone(params));
    notify(() => connection.sendNotification(MemoryChangedNotification, { sessionId: item.sessionId }));
    return item;
  }));
}
