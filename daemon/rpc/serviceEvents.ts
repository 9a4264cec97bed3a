/**
 * The service's events as the client sees them: each one becomes a notification (transcript, items, state, sources,
 * progress, health) and, where it is worth it, a log line without transcript text. Owns the health notifications sent
 * while a session streams; handles no request.
 */
import {
  ActionItemNotification, AutoStopNotification, DecisionNotification, ExtractionProgressNotification, Health, InputLevelNotification, MemoryChangedNotification, ModelProgressNotification,
  NotesWrittenNotification, SessionStateNotification, SourceStatusNotification, SummaryNotification, Transcript, TranscriptRelabel,
} from '../../protocol/protocol';
import { ServiceEvents } from '../service';
import { logRefinement } from '../understanding/providers';
import { RpcContext } from './context';

/** How often vital signs are sent while a session streams. */
const HEALTH_INTERVAL_MS = 2000;

export interface ServiceNotifications {
  events: ServiceEvents;
  /** Stops the health notifications (the connection is being finalized). */
  stopHealth(): void;
}

export function serviceNotifications(ctx: RpcContext): ServiceNotifications {
  const { connection, log, notify } = ctx;
  let healthTimer: NodeJS.Timeout | undefined;
  /** The session and paused sources of the last 'streaming' state sent (a change sends health at once). */
  let lastPaused: string | undefined;
  const sendHealth = () => { const service = ctx.state.service; if (service) notify(() => connection.sendNotification(Health, service.health())); };

  const events: ServiceEvents = {
    transcript: (s) => {
      // Transcript text is private: only at 'debug', which the user turns on (earshot.logLevel).
      if (s.final && s.text) log.debug('session', 'final', { sessionId: s.sessionId, segmentId: s.segmentId, source: s.source, t0: s.t0, t1: s.t1, text: s.text });
      notify(() => connection.sendNotification(Transcript, s));
    },
    relabel: (p) => notify(() => connection.sendNotification(TranscriptRelabel, p)),
    actionItem: (i) => notify(() => connection.sendNotification(ActionItemNotification, i)),
    decision: (d) => notify(() => connection.sendNotification(DecisionNotification, d)),
    notesWritten: (p) => notify(() => connection.sendNotification(NotesWrittenNotification, p)),
    state: (s) => {
      log.info('session', 'state', {
        sessionId: s.sessionId, state: s.state, mode: s.mode, ...(s.paused.length ? { paused: s.paused } : {}), ...(s.error ? { error: s.error } : {}),
        // How speakers are told apart ('overlap': no voice model, said plainly; 'off' after a failure says why).
        ...(s.speakers && s.state === 'streaming' ? { speakers: s.speakers.mode, ...(s.speakers.mode !== 'voices' ? { speakersNote: s.speakers.message } : {}) } : {}),
      });
      clearInterval(healthTimer);
      healthTimer = s.state === 'streaming' ? setInterval(sendHealth, HEALTH_INTERVAL_MS) : undefined;
      // The session's last health goes before its 'done', so a client that reads the counters on 'done' has them.
      if (s.state === 'done') {
        sendHealth();
        notify(() => connection.sendNotification(MemoryChangedNotification, { sessionId: s.sessionId }));
      }
      notify(() => connection.sendNotification(SessionStateNotification, s));
      // A pause or resume shows in the health's sources at once.
      const pausedKey = `${s.sessionId}:${s.paused.join()}`;
      if (s.state === 'streaming' && lastPaused !== undefined && lastPaused !== pausedKey && lastPaused.startsWith(`${s.sessionId}:`)) sendHealth();
      lastPaused = s.state === 'streaming' ? pausedKey : undefined;
    },
    sourceStatus: (st) => {
      // Faults are worth a warning in the log; the user sees them as notifications with a Retry action.
      const entry = { sessionId: st.sessionId, source: st.source, state: st.state, recorder: st.recorder, ...(st.reason ? { reason: st.reason } : {}) };
      if (st.state === 'failed' || st.state === 'stalled') log.warn('capture', 'source_status', entry);
      else log.info('capture', 'source_status', entry);
      notify(() => connection.sendNotification(SourceStatusNotification, st));
    },
    echoSuppressed: (sessionId, segmentId, score, final) => {
      if (final) log.info('session', 'echo_suppressed', { sessionId, segmentId, score: Number(score.toFixed(3)) });
    },
    autoStop: (s) => {
      // The state and its fixed reason; the app's name says what the user runs: not logged.
      log.info('session', 'auto_stop', { sessionId: s.sessionId, state: s.state, reason: s.reason });
      notify(() => connection.sendNotification(AutoStopNotification, s));
    },
    summary: (params) => notify(() => connection.sendNotification(SummaryNotification, params)),
    inputLevel: (level) => notify(() => connection.sendNotification(InputLevelNotification, level)),
    degrade: (level, name) => {
      const sessionId = ctx.state.service?.activeSession?.id;
      log.warn('asr', 'degrade', { ...(sessionId ? { sessionId } : {}), level, name });
      sendHealth();
    },
    refinement: (r) => logRefinement(log, r),
    extractionProgress: (p) => {
      if (p.state !== 'running') log.info('notes', 'model_extraction', { sessionId: p.sessionId, state: p.state, chunks: p.chunks, finished: p.finished, failed: p.failed, tokens: p.tokens });
      notify(() => connection.sendNotification(ExtractionProgressNotification, p));
    },
    modelState: (state) => {
      log.info('asr', 'model_state', { state, ...(state === 'error' ? { error: ctx.state.service?.engine.error } : {}) });
      sendHealth();
    },
    modelProgress: (p) => {
      if (p.phase !== 'download') log.info('asr', 'model_progress', { model: p.model, phase: p.phase, ...(p.message ? { message: p.message } : {}) });
      notify(() => connection.sendNotification(ModelProgressNotification, p));
    },
    recovery: (r) => {
      const entry = { ...(r.sessionId ? { sessionId: r.sessionId } : {}), ...(r.error ? { error: r.error } : {}) };
      if (r.action === 'failed') log.warn('session', 'recovery_failed', entry);
      else log.info('session', `recovery_${r.action}`, entry);
      if (r.action === 'finalized' && r.sessionId) notify(() => connection.sendNotification(MemoryChangedNotification, { sessionId: r.sessionId }));
    },
    memorySkipped: (sessionId, error) => log.warn('memory', 'journal_unreadable', { sessionId, error }),
    memoryMeaningFailed: (message) => log.warn('memory', 'meaning_model_failed', { error: message }),
    memoryVectorsNotKept: (message) => log.warn('memory', 'meaning_vectors_not_kept', { error: message }),
    debugAudioFailed: (sessionId, source, error) => log.warn('capture', 'debug_audio_failed', { sessionId, source, error }),
    retention: (r) => {
      // Session ids only: names of journals, never their contents.
      const entry = { deleted: r.deleted.length, ...(r.failed.length ? { failed: r.failed } : {}) };
      if (r.failed.length) log.warn('storage', 'retention', entry);
      else log.info('storage', 'retention', entry);
      if (r.deleted.length) notify(() => connection.sendNotification(MemoryChangedNotification, {}));
    },
  };
  return { events, stopHealth: () => clearInterval(healthTimer) };
}
