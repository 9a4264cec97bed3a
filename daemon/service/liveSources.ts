/**
 * The live sources (microphone, system audio) of the current session: their states and levels forwarded as
 * notifications, the user's Retry, pause and resume, and what health reports of them. The session itself is
 * liveSessions.ts's; sources are opened in sources.ts. Nothing here starts or stops a session.
 */
import { ErrorCodes, HealthParams, LiveSourceKind, SessionPauseParams, SessionPauseResult, SourceRetryParams } from '../../protocol/protocol';
import { LiveSource } from '../capture/live';
import { AudioSource, SAMPLE_RATE } from '../capture/source';
import { ServiceError } from '../serviceError';
import { ServiceEvents } from './serviceConfig';
import { SessionsInMemory } from './sessionsInMemory';

/** How long a pause waits for the final of the utterance in progress before answering anyway (the final still comes). */
const PAUSE_FLUSH_TIMEOUT_MS = 15_000;

export class LiveSources {
  /** The live sources of the current (or last) session, with their last level. */
  private live = new Map<LiveSourceKind, { source: LiveSource; rmsDbfs: number | null }>();
  /** Pause and resume requests, one at a time (each waits for a flush). */
  private pausing: Promise<unknown> = Promise.resolve();

  constructor(private readonly sessions: SessionsInMemory, private readonly events: ServiceEvents) {}

  /** Forwards a new current session's live sources' states and levels as its notifications; returns the unsubscriber. */
  watch(sessionId: string, sources: AudioSource[]): () => void {
    this.live = new Map();
    const stops: (() => void)[] = [];
    for (const source of sources) {
      if (!(source instanceof LiveSource)) continue;
      const kind = source.kind;
      const entry = { source, rmsDbfs: null as number | null };
      this.live.set(kind, entry);
      stops.push(source.onStatus((st) => this.events.sourceStatus?.({
        sessionId, source: kind, state: st.state, recorder: st.recorder,
        droppedSec: st.droppedSamples / SAMPLE_RATE, gapSec: st.gapSamples / SAMPLE_RATE,
        ...(st.message ? { message: st.message } : {}), ...(st.reason ? { reason: st.reason } : {}),
        ...(st.retryInMs !== undefined ? { retryInMs: st.retryInMs } : {}), ...(st.device ? { device: st.device } : {}),
        ...(st.hint ? { hint: st.hint } : {}), ...(st.loopbackDevice ? { loopbackDevice: st.loopbackDevice } : {}),
        ...(st.copyCommand ? { copyCommand: st.copyCommand } : {}),
      })));
      stops.push(source.onLevel((level) => {
        entry.rmsDbfs = level.rmsDbfs;
        this.events.inputLevel?.({ sessionId, source: kind, rmsDbfs: level.rmsDbfs, peakDbfs: level.peakDbfs });
      }));
    }
    return () => stops.forEach((stop) => stop());
  }

  /** The user's "Retry": restart a failed or stalled live source now. */
  retry(params: SourceRetryParams): void {
    const session = this.sessions.find(params.sessionId);
    const live = session === this.sessions.current ? this.live.get(params.source) : undefined;
    if (!live || session.state !== 'streaming') {
      throw new ServiceError(ErrorCodes.SourceUnavailable, `Session ${params.sessionId} is not capturing ${params.source === 'mic' ? 'the microphone' : 'system audio'}.`);
    }
    if (live.source.isPaused) throw new ServiceError(ErrorCodes.RequestFailed, `${params.source === 'mic' ? 'The microphone' : 'System audio'} is paused: resume it instead.`);
    live.source.retryNow();
  }

  /** Pauses or resumes (see EarshotService.pauseSession), after the requests before it. */
  pause(params: SessionPauseParams): Promise<SessionPauseResult> {
    const result = this.pausing.then(() => this.applyPause(params));
    this.pausing = result.catch(() => undefined);
    return result;
  }

  private async applyPause(params: SessionPauseParams): Promise<SessionPauseResult> {
    const session = this.sessions.find(params.sessionId);
    if (session !== this.sessions.current || session.state !== 'streaming') {
      throw new ServiceError(ErrorCodes.RequestFailed, `Session ${session.id} is ${session.state === 'done' ? 'over' : session.state}: only a session that is recording can be paused or resumed.`);
    }
    const kinds = [...this.live.keys()];
    if (params.source && !this.live.has(params.source)) {
      throw new ServiceError(ErrorCodes.InvalidParams,
        `Session ${session.id} does not record ${params.source === 'mic' ? 'the microphone' : 'system audio'}: its live sources are ${kinds.join(', ') || 'none (it transcribes a file)'}.`);
    }
    if (kinds.length === 0) throw new ServiceError(ErrorCodes.InvalidParams, `Session ${session.id} has no live source to pause: it transcribes a file.`);
    const targets = params.source ? [params.source] : kinds;
    if (params.paused) {
      const flushes: Promise<void>[] = [];
      for (const kind of targets) {
        const entry = this.live.get(kind)!;
        const flushed = session.whenFlushed(kind); // asked before the pause, so the flush cannot be missed
        if (!entry.source.pause()) continue;
        entry.rmsDbfs = null;
        flushes.push(flushed);
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(flushes), new Promise((resolve) => { timer = setTimeout(resolve, PAUSE_FLUSH_TIMEOUT_MS); })]);
      clearTimeout(timer);
    } else {
      for (const kind of targets) this.live.get(kind)!.source.resume();
    }
    const paused = [...this.live].filter(([, entry]) => entry.source.isPaused).map(([kind]) => kind);
    session.setPaused(paused);
    return { paused };
  }

  /** Samples the sources' bounded queues dropped (see streaming.ts, backpressure). */
  get droppedSamples(): number {
    return [...this.live.values()].reduce((n, { source }) => n + source.status.droppedSamples, 0);
  }

  /** Each source's state and last level, as health reports them. */
  report(): HealthParams['sources'] {
    return [...this.live].map(([kind, { source, rmsDbfs }]) => ({
      source: kind, state: source.status.state, rmsDbfs, droppedSec: source.status.droppedSamples / SAMPLE_RATE, recorder: source.recorderName,
    }));
  }
}
