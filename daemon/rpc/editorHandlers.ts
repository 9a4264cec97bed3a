/**
 * Notifications in which the editor tells the daemon what it sees: earshot/vocabulary (words to prime the recognizer
 * with), earshot/workspaceIndex (the files a meeting may mention) and earshot/editorActivity (where the user looks while
 * a session streams). Nobody waits for an answer: bad params are logged (the reason only) and dropped.
 */
import { EditorActivityNotification, Vocabulary, WorkspaceIndexNotification } from '../../protocol/protocol';
import { validateEditorActivity, validateVocabulary, validateWorkspaceIndex } from '../../protocol/validate';
import { RpcContext } from './context';

export function registerEditorHandlers({ connection, log, state }: RpcContext): void {
  connection.onNotification(Vocabulary, (params) => {
    try {
      state.service?.setVocabulary(validateVocabulary(params).words);
    } catch (e) {
      log.warn('server', 'bad_vocabulary', { reason: (e as Error).message }); // a notification has no one to answer
    }
  });
  connection.onNotification(WorkspaceIndexNotification, (params) => {
    try {
      state.service?.setWorkspaceIndex(validateWorkspaceIndex(params));
    } catch (e) {
      log.warn('server', 'bad_workspace_index', { reason: (e as Error).message }); // a notification has no one to answer
    }
  });
  connection.onNotification(EditorActivityNotification, (params) => {
    try {
      state.service?.noteEditorActivity(validateEditorActivity(params));
    } catch (e) {
      log.warn('server', 'bad_editor_activity', { reason: (e as Error).message });
    }
  });
}
