/**
 * The machine's capture devices: which microphones and system-audio sources exist, whether a live source can capture
 * here at all (a recorder installed, a way to record system audio), and the device test. It opens no session source
 * (sources.ts does, asking here what is missing) and never runs during a session.
 */
import {
  DEVICE_TEST_SESSION_ID, DeviceListResult, DeviceTestParams, DeviceTestResult, ErrorCodes, LiveSourceKind, PlatformReport, PlatformReportParams,
} from '../../protocol/protocol';
import { DEFAULT_DEVICE, deviceOverview, noSystemAudioMessage, systemCaptureAvailability } from '../capture/devices';
import { testDevice } from '../capture/deviceTest';
import { machineProbes } from '../platform/probes';
import { platformReport } from '../platform/report';
import { CaptureError, installHint } from '../capture/faults';
import { MIC_RECORDERS, recorderAvailable } from '../capture/recorder';
import { ServiceError } from '../serviceError';
import { ServiceConfig, ServiceEvents } from './serviceConfig';
import { SessionsInMemory } from './sessionsInMemory';

/** The environment recorders run in. */
export function captureEnv(config: ServiceConfig): NodeJS.ProcessEnv {
  return config.capture?.env ?? process.env;
}

/** Why a live source cannot capture on this machine at all (nothing to record it with), or undefined when it can. */
export async function liveSourceMissing(config: ServiceConfig, kind: LiveSourceKind): Promise<string | undefined> {
  const env = captureEnv(config);
  const platform = process.platform;
  if (kind === 'system') {
    const helperPath = config.capture?.helperPath;
    const availability = await systemCaptureAvailability({ env, ...(helperPath ? { helperPath } : {}) });
    return availability.available ? undefined : availability.message ?? noSystemAudioMessage(platform, 'no-recorder');
  }
  // The in-process backend (audify) needs nothing installed; the recorder programs are the fallback.
  return MIC_RECORDERS.some((r) => recorderAvailable(r, env, platform))
    ? undefined : `No microphone recorder is installed: ${installHint('sox', platform)} (or arecord from alsa-utils on Linux).`;
}

export class Devices {
  /** The device test running, if any (aborted at shutdown). */
  private deviceTest: AbortController | undefined;

  constructor(private readonly config: ServiceConfig, private readonly events: ServiceEvents, private readonly sessions: SessionsInMemory) {}

  /** Microphones and system-audio sources this machine can record, and whether system audio works at all. */
  async list(): Promise<DeviceListResult> {
    return deviceOverview({ env: captureEnv(this.config), ...(this.config.capture?.helperPath ? { helperPath: this.config.capture.helperPath } : {}) });
  }

  /** See EarshotService.testDevice. */
  async test(params: DeviceTestParams, signal?: AbortSignal): Promise<DeviceTestResult> {
    this.sessions.refuseWhileRecording('A session is recording', 'before testing a device');
    if (this.deviceTest) throw new ServiceError(ErrorCodes.RequestFailed, 'A device test is already running: wait for it to finish.');
    const abort = new AbortController();
    this.deviceTest = abort;
    const onAbort = () => abort.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const source = params.source;
    try {
      const missing = await liveSourceMissing(this.config, source);
      if (missing) throw new ServiceError(ErrorCodes.SourceUnavailable, missing, { source, reason: 'recorder-missing' });
      const helperPath = this.config.capture?.helperPath;
      const outcome = await testDevice({
        kind: source, env: captureEnv(this.config), seconds: params.seconds ?? 5, signal: abort.signal,
        ...(params.device && params.device !== DEFAULT_DEVICE ? { device: params.device } : {}),
        ...(source === 'system' && helperPath ? { helperPath } : {}),
        onLevel: (level) => this.events.inputLevel?.({ sessionId: DEVICE_TEST_SESSION_ID, source, rmsDbfs: level.rmsDbfs, peakDbfs: level.peakDbfs }),
      });
      return { source, ...outcome };
    } catch (e) {
      if (e instanceof CaptureError) throw new ServiceError(ErrorCodes.SourceUnavailable, e.message, { source, reason: e.fault.reason });
      throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.deviceTest = undefined;
    }
  }

  /**
   * See EarshotService.platformReport. Its recording test is this class's device test of each source in turn, so it
   * is refused as one is (a session recording, another test running) and stops as one does.
   */
  async report(params: Required<PlatformReportParams>, signal?: AbortSignal): Promise<PlatformReport> {
    if (params.recordSeconds > 0) this.sessions.refuseWhileRecording('A session is recording', 'before a platform report records');
    const helperPath = this.config.capture?.helperPath;
    const probes = machineProbes({
      env: captureEnv(this.config),
      ...(helperPath ? { helperPath } : {}),
      record: (source, seconds) => this.test({ source, seconds }, signal),
    });
    return platformReport(probes, { recordSeconds: params.recordSeconds });
  }

  /** Shutdown: a running test stops (it answers with what it heard so far, or fails). */
  abortTest(): void {
    this.deviceTest?.abort();
  }
}
