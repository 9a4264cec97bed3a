/**
 * Requests about recording sessions and what they record: earshot/session/* (start, stop, pause, resume, status,
 * transcript, interrupted, export), earshot/source/retry, earshot/devices/* (list, test) and earshot/health/get.
 * Validates each request's params and logs ids, states and levels only, never transcript text.
 */
import {
  DeviceList, DeviceTest, HealthRequest, PlatformReportRequest, SessionExport, SessionInterrupted, SessionPause, SessionResume, SessionStart, SessionStatus, SessionStop, SessionTranscript, SourceRetry, TemplatesList,
} from '../../protocol/protocol';
import {
  validateDeviceTest, validatePlatformReport, validateSessionExport, validateSessionPause, validateSessionResume, validateSessionStart, validateSessionStatus, validateSessionStop,
  validateSessionTranscript, validateSourceRetry, validateTemplatesList,
} from '../../protocol/validate';
import { listTemplates } from '../templates/folder';
import { RpcContext } from './context';

export function registerSessionHandlers({ connection, log, answer, modelProgress }: RpcContext): void {
  connection.onRequest(SessionStart, (params) => answer(SessionStart.method, async (svc) => {
    const valid = validateSessionStart(params);
    const result = await svc.startSession(valid, modelProgress);
    log.info('session', 'started', { sessionId: result.sessionId, sources: valid.sources, mode: valid.mode ?? 'meeting' });
    return result;
  }));
  // The templates a meeting can use, with the faults of those that cannot be (counts logged, never names or paths).
  connection.onRequest(TemplatesList, (params) => answer(TemplatesList.method, async () => {
    const listed = await listTemplates(validateTemplatesList(params).templatesDir);
    log.info('templates', 'listed', { templates: listed.templates.length, faults: listed.faults.length });
    return listed;
  }));
  connection.onRequest(SessionStop, (params) => answer(SessionStop.method, (svc) => svc.stopSession(validateSessionStop(params).sessionId)));
  connection.onRequest(SessionExport, (params) => answer(SessionExport.method, (svc) => svc.exportSession(validateSessionExport(params))));
  connection.onRequest(SourceRetry, (params) => answer(SourceRetry.method, (svc) => {
    svc.retrySource(validateSourceRetry(params));
    return null;
  }));
  connection.onRequest(SessionResume, (params) => answer(SessionResume.method, async (svc) => {
    const valid = validateSessionResume(params);
    const result = await svc.resumeSession(valid, modelProgress);
    log.info('session', 'resumed_after_interruption', { sessionId: result.sessionId, segments: result.transcript.segments.length });
    return result;
  }));
  connection.onRequest(SessionTranscript, (params) => answer(SessionTranscript.method, (svc) => svc.sessionTranscript(validateSessionTranscript(params).sessionId)));
  connection.onRequest(SessionInterrupted, () => answer(SessionInterrupted.method, async (svc) => ({ sessions: await svc.interruptedSessions() })));
  connection.onRequest(SessionStatus, (params) => answer(SessionStatus.method, (svc) => svc.status(validateSessionStatus(params).sessionId)));
  connection.onRequest(SessionPause, (params) => answer(SessionPause.method, async (svc) => {
    const valid = validateSessionPause(params);
    const result = await svc.pauseSession(valid);
    log.info('session', valid.paused ? 'paused' : 'resumed', { sessionId: valid.sessionId, ...(valid.source ? { source: valid.source } : {}), paused: result.paused });
    return result;
  }));
  connection.onRequest(HealthRequest, () => answer(HealthRequest.method, (svc) => svc.health()));
  connection.onRequest(DeviceList, () => answer(DeviceList.method, (svc) => svc.listDevices()));
  connection.onRequest(DeviceTest, (params, token) => answer(DeviceTest.method, async (svc) => {
    const valid = validateDeviceTest(params);
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    const result = await svc.testDevice(valid, abort.signal);
    log.info('capture', 'device_test', { source: result.source, recorder: result.recorder, peakDbfs: result.peakDbfs, rmsDbfs: result.rmsDbfs, heard: result.heard });
    return result;
  }));
  connection.onRequest(PlatformReportRequest, (params, token) => answer(PlatformReportRequest.method, async (svc) => {
    const valid = validatePlatformReport(params);
    const abort = new AbortController();
    token?.onCancellationRequested(() => abort.abort()); // absent when the params came as an array
    const report = await svc.platformReport(valid, abort.signal);
    // Which sections it made, not what they say: the values name devices and folders.
    log.info('platform', 'report', { sections: report.sections.length, recordSeconds: valid.recordSeconds });
    return report;
  }));
}
