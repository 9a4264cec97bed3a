/**
 * Opening a session's audio sources from a start (or a resume's stored) request: live ones on one shared clock, or
 * the audio file. Only opens: watching, pausing and retrying them is liveSources.ts's, the session owns them after.
 */
import * as path from 'node:path';
import { ErrorCodes, LiveSourceKind, SessionStartParams } from '../../protocol/protocol';
import { DEFAULT_DEVICE } from '../capture/devices';
import { LiveSource } from '../capture/live';
import { AudioSource, FileSource } from '../capture/source';
import { AudioFileError } from '../capture/wav';
import { ServiceError } from '../serviceError';
import { captureEnv, liveSourceMissing } from './devices';
import { ServiceConfig } from './serviceConfig';

export interface OpenedSources {
  sources: AudioSource[];
  unavailable: { source: LiveSourceKind; message: string }[];
}

/**
 * The session's sources. A live source that cannot capture on this machine at all (no recorder installed, no
 * way to record system audio) is reported in `unavailable` and left out while others remain; alone, it fails the
 * start with a message saying what to install or enable. Faults after the start (a sound server that dies) are
 * the source's own business: it reports them and retries.
 */
export async function openSources(config: ServiceConfig, params: SessionStartParams, startedAt?: Date): Promise<OpenedSources> {
  const sources: AudioSource[] = [];
  const unavailable: { source: LiveSourceKind; message: string }[] = [];
  // One clock origin: the sources' sample 0 is the same instant, so their segments interleave in true order.
  // A resumed session keeps its clock: sample 0 is still its start, the downtime a gap.
  const clockOrigin = performance.now() - (startedAt ? Date.now() - startedAt.getTime() : 0);
  const env = captureEnv(config);
  const platform = process.platform;
  for (const kind of params.sources) {
    if (kind !== 'file') {
      const helperPath = config.capture?.helperPath;
      const missing = await liveSourceMissing(config, kind);
      if (missing) {
        unavailable.push({ source: kind, message: missing });
        continue;
      }
      const device = params.devices?.[kind];
      sources.push(new LiveSource({
        kind, env, platform, clockOrigin,
        ...(device && device !== DEFAULT_DEVICE ? { device } : {}),
        ...(params.speakers?.[kind] ? { speaker: params.speakers[kind] } : {}),
        ...(kind === 'system' && helperPath ? { helperPath } : {}),
      }));
      continue;
    }
    try {
      const audioFile = path.resolve(params.audioFile!);
      sources.push(await FileSource.open(audioFile, { pace: params.pace, speaker: 'Speaker', periodMs: config.filePacePeriodMs }));
    } catch (e) {
      throw new ServiceError(ErrorCodes.AudioUnreadable, e instanceof AudioFileError ? e.message : `Cannot open audio file: ${(e as Error).message}`);
    }
  }
  if (sources.length === 0) {
    throw new ServiceError(ErrorCodes.SourceUnavailable, unavailable.map((u) => u.message).join(' '), { unavailable });
  }
  // A Core Audio tap's or a Windows loopback's digital silence means something only while the microphone hears a call (capture/silence.ts).
  const live = sources.filter((s): s is LiveSource => s instanceof LiveSource);
  const mic = live.find((s) => s.kind === 'mic');
  if (mic) for (const s of live) if (s.kind === 'system') s.pairWithMicrophone(mic);
  return { sources, unavailable };
}
