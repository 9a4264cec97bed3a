/**
 * Notifications in which the editor tells the daemon what it sees: earshot/vocabulary (words to prime the recognizer
 * with), earshot/workspaceIndex (the files a meeting may mention), earshot/editorActivity (where the user looks while
 * a session streams) and earshot/partials (whether partial transcripts are shown). Nobody waits for an answer: bad
 * params are logged (the reason only) and dropped.
 */
import { EditorActivityNotification, PartialsWanted, Vocabulary, WorkspaceIndexNotification } from '../../protocol/protocol';
import { validateEditorActivity, validatePartialsWanted, validateVocabulary, validateWorkspaceIndex } from '../../protocol/validate';
import { RpcContext } from './context';

/** This connection as a reader of partials (each connection has its own service: one reader per service here). */
export const CONNECTION_READER = 'connection';

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
  connection.onNotification(PartialsWanted, (params) => {
    try {
      const { wanted } = validatePartialsWanted(params);
      state.service?.partials.set(CONNECTION_READER, wanted);
      log.debug('server', 'partials_wanted', { wanted });
    } catch (e) {
      log.warn('server', 'bad_partials', { reason: (e as Error).message });
    }
  });
}
