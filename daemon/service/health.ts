/**
 * The health report (earshot/health): the model's state and speed, the recording session's backlog and degrade rung,
 * its live sources, and what the recognizer gave up. Read-only: it changes nothing it reports on.
 */
import { HealthParams } from '../../protocol/protocol';
import { DEGRADE_LADDER } from '../asr/degrade';
import { ModelLifecycle } from '../asr/modelLifecycle';
import { FRAME_SAMPLES, SAMPLE_RATE } from '../capture/source';
import { LiveSources } from './liveSources';
import { ServiceConfig } from './serviceConfig';
import { SessionsInMemory } from './sessionsInMemory';

export function healthReport(config: Pick<ServiceConfig, 'modelPath' | 'uncaughtErrors'>, models: ModelLifecycle, sessions: SessionsInMemory, live: LiveSources): HealthParams {
  const { modelPath } = config;
  const e = models.engine;
  const session = sessions.active;
  const level = session?.degrade.level ?? 0;
  const fallbackName = models.fallbackName ? ` (${models.fallbackName})` : '';
  // The live sources of the current (or last) session: what their bounded queues dropped (see streaming.ts, backpressure).
  const droppedSamples = sessions.current ? live.droppedSamples : 0;
  return {
    model: { state: e.state, path: modelPath, error: e.error, loadMs: e.loadMs, gpuDevice: e.gpuDevice, ...e.stats() },
    backlogSec: session?.backlogSec ?? 0,
    dropped: Math.round(droppedSamples / FRAME_SAMPLES),
    degradeLevel: level,
    degradeName: DEGRADE_LADDER[level].name + fallbackName,
    rssBytes: process.memoryUsage.rss(),
    sources: session ? live.report() : [],
    ...(sessions.current ? { recognizer: { ...sessions.current.recognizer, droppedSec: droppedSamples / SAMPLE_RATE } } : {}),
    ...(config.uncaughtErrors ? { uncaughtErrors: config.uncaughtErrors() } : {}),
  };
}
