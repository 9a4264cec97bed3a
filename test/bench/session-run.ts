/**
 * Runs one file through Earshot's real pipeline in this process (EarshotService: file capture → VAD → streaming
 * whisper → journal → notes), and records what a client would see and when: every transcript segment with the wall
 * time it was announced, every whisper decode, the process's CPU time and, on request, memory samples.
 *
 * The capture clock's origin: a realtime-paced file source releases the frame that ends at capture time t at
 * (its start) + t. Its start is taken as the moment the session reports STREAMING; the pipeline starts pulling
 * frames in the same turn of the event loop (the VAD model is loaded before), so capture time t happens at
 * wall time t0 + t.
 */
import * as path from 'node:path';
import { ExtractionProgressParams, TranscriptRelabelParams, TranscriptSegment } from '../../protocol/protocol';
import { DecodeAbortedError, DecodeRequest, DecodeResult, WhisperEngine } from '../../daemon/asr/whisper';
import { EarshotService } from '../../daemon/service';
import { ServiceConfig } from '../../daemon/service/serviceConfig';
import { CAPTURE_PERIOD_MS, SAMPLE_RATE } from '../../daemon/capture/source';
import { DEFAULT_STREAMING_OPTIONS } from '../../daemon/asr/streaming';
import { LatencyMark, latencyMarks } from '../../daemon/asr/latencyMarks';
import { DEFAULT_SEGMENTER_OPTIONS } from '../../daemon/vad/segmenter';
import { machineCpu, ownCpu, tempDir, removeTempDir, THREADS } from './util';

export interface DecodeCall {
  /** performance.now() when the pipeline asked for the decode and when it got the text. */
  start: number;
  end: number;
  /** The engine's own measurement of the native call (queueing excluded). */
  engineMs: number;
  audioSec: number;
  /** Encoder frames computed; 0 = whisper's full 30 s window. */
  audioCtx: number;
  maxTokens: number;
  /** The streaming policy asked for a partial (a reduced encoder window) rather than a final. */
  partial: boolean;
  /** Decoded on the second context, beside the main one's decode (a first partial: ModelLifecycle.besideEngine). */
  beside?: boolean;
}

/**
 * What-if experiments (env), applied by rewriting the pipeline's decode requests, to measure a proposed change to the
 * streaming policy before anyone makes it. Off by default; the report says when one was on.
 *   BENCH_WHATIF_FIT_FINALS=1        finals asked with the full 30 s window get one fitted to the utterance, as partials do
 *   BENCH_WHATIF_NO_FINAL_BACKOFF=1  a final does not hold back the next partials (its time is not reported to the policy)
 *   BENCH_WHATIF_PARTIAL_DUTY=D      partials back off as if StreamingOptions.partialDutyCycle were D (the policy waits
 *                                    decode time × (1/duty − 1) after a decode: the reported time is scaled to match)
 *   BENCH_WHATIF_NO_ABORT=1          a partial decoding when the speech stops runs to its end (as before the recognizer
 *                                    stopped it: WhisperEngine.abortPartial refuses)
 *   BENCH_WHATIF_NO_PROMPT=1         no decode is conditioned on the previous text (what the prompt costs in time; what
 *                                    it is worth in words needs real weights)
 *   BENCH_WHATIF_DROP=P              the early final starts when the VAD's score drops below P instead of
 *                                    DEFAULT_SEGMENTER_OPTIONS.dropThreshold (0: at the first unvoiced frame)
 *   BENCH_WHATIF_ONSET_MS=M          the VAD tells an onset after M ms of speech instead of
 *                                    DEFAULT_SEGMENTER_OPTIONS.onsetMs (0: none; the first partial waits for the start)
 *   BENCH_WHATIF_FINAL_MARGIN_S=S    a final's encoder window reaches S s beyond its audio instead of
 *                                    StreamingOptions.finalContextMarginSec
 *   BENCH_WHATIF_EARLY_END_MS=M      a decoded final ends its utterance after M ms of pause instead of
 *                                    DEFAULT_SEGMENTER_OPTIONS.earlyEndMs (off: never, the hangover ends every utterance)
 *   BENCH_WHATIF_PARTIAL_CAP_ALL=1   a partial's token cap counts all its audio, pre-roll included (before issue 60:
 *                                    with BENCH_WHATIF_ONSET_MS=128, the first partial as it was)
 *   BENCH_WHATIF_FIRST_PROMPT=1      an utterance's first partial is conditioned on the previous sentence too
 *                                    (StreamingOptions.promptFirstPartial); with EARSHOT_DECODE_BESIDE=0 (no second
 *                                    context), the first partial as it was before the decode beside
 *   BENCH_WHATIF_FIRST_CTX_MARGIN=N  an utterance's first partial's encoder window reaches N positions (20 ms each)
 *                                    beyond its audio instead of StreamingOptions.firstPartialCtxMargin (32: as every
 *                                    later partial, the first partial before issue 60's shorter window)
 */
/**
 * How often the realtime file source hands over its frames: by default a microphone's period (live capture delivers
 * 20 ms periods), so that the figures see frames arrive as a user's do; BENCH_FILE_PERIOD_MS=100 is a file's own
 * default pacing, which every figure before session 11 ran with (0-100 ms later delivery of each frame).
 */
export const FILE_PERIOD_MS = process.env.BENCH_FILE_PERIOD_MS ? Number(process.env.BENCH_FILE_PERIOD_MS) : CAPTURE_PERIOD_MS;

export const WHATIF = {
  fitFinals: process.env.BENCH_WHATIF_FIT_FINALS === '1',
  noFinalBackoff: process.env.BENCH_WHATIF_NO_FINAL_BACKOFF === '1',
  partialDuty: process.env.BENCH_WHATIF_PARTIAL_DUTY ? Number(process.env.BENCH_WHATIF_PARTIAL_DUTY) : undefined,
  noAbort: process.env.BENCH_WHATIF_NO_ABORT === '1',
  noPrompt: process.env.BENCH_WHATIF_NO_PROMPT === '1',
  finalMarginSec: process.env.BENCH_WHATIF_FINAL_MARGIN_S ? Number(process.env.BENCH_WHATIF_FINAL_MARGIN_S) : undefined,
  dropThreshold: process.env.BENCH_WHATIF_DROP ? Number(process.env.BENCH_WHATIF_DROP) : undefined,
  onsetMs: process.env.BENCH_WHATIF_ONSET_MS ? Number(process.env.BENCH_WHATIF_ONSET_MS) : undefined,
  earlyEndMs: process.env.BENCH_WHATIF_EARLY_END_MS || undefined,
  partialCapAll: process.env.BENCH_WHATIF_PARTIAL_CAP_ALL === '1',
  firstPrompt: process.env.BENCH_WHATIF_FIRST_PROMPT === '1',
  firstCtxMargin: process.env.BENCH_WHATIF_FIRST_CTX_MARGIN ? Number(process.env.BENCH_WHATIF_FIRST_CTX_MARGIN) : undefined,
};
const partialMsScale = WHATIF.partialDuty
  ? (1 / WHATIF.partialDuty - 1) / (1 / DEFAULT_STREAMING_OPTIONS.partialDutyCycle - 1)
  : 1;
export const whatIfNote = (): string | undefined => {
  const on = [
    WHATIF.fitFinals && 'BENCH_WHATIF_FIT_FINALS=1', WHATIF.noFinalBackoff && 'BENCH_WHATIF_NO_FINAL_BACKOFF=1',
    WHATIF.partialDuty && `BENCH_WHATIF_PARTIAL_DUTY=${WHATIF.partialDuty}`, WHATIF.noAbort && 'BENCH_WHATIF_NO_ABORT=1',
    WHATIF.noPrompt && 'BENCH_WHATIF_NO_PROMPT=1', WHATIF.finalMarginSec !== undefined && `BENCH_WHATIF_FINAL_MARGIN_S=${WHATIF.finalMarginSec}`,
    WHATIF.dropThreshold !== undefined && `BENCH_WHATIF_DROP=${WHATIF.dropThreshold}`,
    WHATIF.onsetMs !== undefined && `BENCH_WHATIF_ONSET_MS=${WHATIF.onsetMs}`,
    WHATIF.earlyEndMs !== undefined && `BENCH_WHATIF_EARLY_END_MS=${WHATIF.earlyEndMs}`,
    WHATIF.partialCapAll && 'BENCH_WHATIF_PARTIAL_CAP_ALL=1', WHATIF.firstPrompt && 'BENCH_WHATIF_FIRST_PROMPT=1',
    WHATIF.firstCtxMargin !== undefined && `BENCH_WHATIF_FIRST_CTX_MARGIN=${WHATIF.firstCtxMargin}`,
    process.env.EARSHOT_DECODE_BESIDE === '0' && 'EARSHOT_DECODE_BESIDE=0 (no second context: the first partial waits its turn)',
  ].filter(Boolean);
  return on.length ? `WHAT-IF RUN (${on.join(', ')}): not Earshot's current policy.` : undefined;
};

export interface Announced {
  wall: number;
  segment: TranscriptSegment;
}

export interface SessionRun {
  /** performance.now() at capture time 0. */
  t0: number;
  wallSec: number;
  audioSec: number;
  /** Process CPU seconds (user + system, every thread) from the start of the session to its end. */
  cpuSec: number;
  transcripts: Announced[];
  /** Finals whose speaker followed them (TranscriptRelabel), with the wall time. */
  relabels: { wall: number; params: TranscriptRelabelParams }[];
  decodes: DecodeCall[];
  /** Decodes stopped before their end (a stale partial, an early final whose speech resumed; never part of `decodes`). */
  aborted: DecodeCall[];
  finalSegments: number;
  samples: MemorySample[];
  modelLoadMs: number | null;
  degrades: BenchService['degrades'];
  /** Average number of cores other processes kept busy during the session (shared machines are noisy). */
  foreignCores: number;
  /** The opt-in model extraction's progress reports, with the wall time (a run with `serviceConfig.enhancement`). */
  extractions: { wall: number; progress: ExtractionProgressParams }[];
  /** Each utterance's way to its final (daemon/asr/latencyMarks.ts): figure 3's breakdown beyond whisper. */
  marks: LatencyMark[];
}

/** Memory over one window of audio, from samples taken every 100 ms (RSS swings by a whisper state per decode). */
export interface MemorySample {
  /** Captured audio at the end of the window. */
  audioSec: number;
  wallSec: number;
  /** Lowest RSS in the window: between decodes (model, runtime, buffers that stay). */
  rssMin: number;
  /** Highest RSS in the window: during a decode (plus its whisper_state and compute buffers). */
  rssMax: number;
  heapUsed: number;
  external: number;
}

export interface RunOptions {
  audioFile: string;
  pace: 'realtime' | 'fast';
  /** Memory is sampled each time the captured audio crosses a multiple of this (seconds); 0 = never. */
  sampleEverySec?: number;
  /** Called with progress (seconds of audio captured) about once a second. */
  progress?(audioSec: number): void;
  /** Settings beyond the bench's own (e.g. `enhancement`: a model extracting while the meeting runs). */
  serviceConfig?: Partial<ServiceConfig>;
  /** Cancels the session's model extraction once this much audio is captured (the chunks left at stop are not read). */
  cancelExtractionAtSec?: number;
  /** Whether someone reads partials (earshot/partials, as the extension says when its panel shows); default: as a client that never says. */
  partialsWanted?: boolean;
}

/** A service whose engine records its decodes; the model is loaded (and warmed up) before any measurement. */
export interface BenchService {
  service: EarshotService;
  decodes: DecodeCall[];
  aborted: DecodeCall[];
  transcripts: Announced[];
  relabels: SessionRun['relabels'];
  /** performance.now() and process CPU seconds when the latest session reported STREAMING. */
  streaming: { wall: number; cpu: number };
  /** Steps of the degrade ladder (recognition falling behind real time), with the wall time. */
  degrades: { wall: number; level: number; name: string }[];
  extractions: SessionRun['extractions'];
  marks: LatencyMark[];
  dispose(): Promise<void>;
}

export async function benchService(modelPath: string, serviceConfig: Partial<ServiceConfig> = {}): Promise<BenchService> {
  const dir = tempDir('service');
  const decodes: DecodeCall[] = [];
  const aborted: DecodeCall[] = [];
  const transcripts: Announced[] = [];
  const relabels: SessionRun['relabels'] = [];
  const streaming = { wall: NaN, cpu: NaN };
  const degrades: BenchService['degrades'] = [];
  const extractions: BenchService['extractions'] = [];
  const marks: LatencyMark[] = [];
  const service = new EarshotService(
    {
      storageDir: path.join(dir, 'storage'), notesDir: path.join(dir, 'notes'), modelPath, language: 'en', threads: THREADS, gpu: false,
      modelIdleUnloadSec: 0, // the model stays loaded between a figure's sessions
      filePacePeriodMs: FILE_PERIOD_MS,
      ...serviceConfig,
    },
    {
      transcript: (segment) => transcripts.push({ wall: performance.now(), segment }),
      relabel: (params) => relabels.push({ wall: performance.now(), params }),
      actionItem: () => undefined,
      decision: () => undefined,
      state: (s) => {
        if (s.state !== 'streaming') return;
        streaming.wall = performance.now();
        streaming.cpu = ownCpu();
      },
      modelState: () => undefined,
      degrade: (level, name) => degrades.push({ wall: performance.now(), level, name }),
      extractionProgress: (progress) => extractions.push({ wall: performance.now(), progress }),
    },
  );
  // Count and time every decode the pipeline asks for (the session calls the engines through its Decoder interface):
  // the main context's, and a first partial's on the second context beside it (ModelLifecycle.besideEngine).
  const engine = service.engine;
  recordDecodes(engine, decodes, aborted, false);
  recordDecodes(service.models.besideEngine, decodes, aborted, true);
  if (WHATIF.noAbort) engine.abortPartial = () => false;
  // Every session's segmenter options start from these defaults (vad/config.ts reads them when the session starts).
  if (WHATIF.dropThreshold !== undefined) (DEFAULT_SEGMENTER_OPTIONS as { dropThreshold: number }).dropThreshold = WHATIF.dropThreshold;
  if (WHATIF.onsetMs !== undefined) (DEFAULT_SEGMENTER_OPTIONS as { onsetMs: number }).onsetMs = WHATIF.onsetMs;
  if (WHATIF.firstPrompt) (DEFAULT_STREAMING_OPTIONS as { promptFirstPartial: boolean }).promptFirstPartial = true;
  if (WHATIF.firstCtxMargin !== undefined) (DEFAULT_STREAMING_OPTIONS as { firstPartialCtxMargin?: number }).firstPartialCtxMargin = WHATIF.firstCtxMargin;
  if (WHATIF.earlyEndMs !== undefined) {
    (DEFAULT_SEGMENTER_OPTIONS as { earlyEndMs?: number }).earlyEndMs = WHATIF.earlyEndMs === 'off' ? undefined : Number(WHATIF.earlyEndMs);
  }
  await engine.load();
  return {
    service, decodes, aborted, transcripts, relabels, streaming, degrades, extractions, marks,
    dispose: async () => {
      latencyMarks.listener = undefined;
      await service.shutdown();
      removeTempDir(dir);
    },
  };
}

/** Wraps `engine`'s decode to record each into `decodes` (or `aborted`), with the what-if rewrites of the request. */
function recordDecodes(engine: WhisperEngine, decodes: DecodeCall[], aborted: DecodeCall[], beside: boolean): void {
  const decode = engine.decode.bind(engine);
  engine.decode = async (asked: DecodeRequest): Promise<DecodeResult> => {
    // Requests say whether they are final (since 71a6cc6); older ones told a partial by its reduced encoder window.
    const partial = asked.final !== undefined ? !asked.final : (asked.audioCtx ?? 0) > 0;
    let request = !partial && WHATIF.fitFinals && !asked.audioCtx
      ? { ...asked, audioCtx: Math.min(1500, Math.ceil((asked.pcm.length / SAMPLE_RATE) * 50) + 32) }
      : asked;
    if (!partial && WHATIF.finalMarginSec !== undefined && request.audioCtx) {
      request = { ...request, audioCtx: Math.min(1500, Math.ceil((request.pcm.length / SAMPLE_RATE + WHATIF.finalMarginSec) * 50) + 32) };
    }
    if (WHATIF.noPrompt) request = { ...request, prompt: undefined };
    if (partial && WHATIF.partialCapAll) {
      request = { ...request, maxTokens: Math.ceil((request.pcm.length / SAMPLE_RATE) * DEFAULT_STREAMING_OPTIONS.maxTokensPerSec) + 4 };
    }
    const start = performance.now();
    let result: DecodeResult;
    try {
      result = await decode(request);
    } catch (e) {
      if (e instanceof DecodeAbortedError) {
        aborted.push({
          start, end: performance.now(), engineMs: NaN, audioSec: request.pcm.length / SAMPLE_RATE, audioCtx: request.audioCtx ?? 0,
          maxTokens: request.maxTokens, partial, ...(beside ? { beside } : {}),
        });
      }
      throw e;
    }
    decodes.push({
      start, end: performance.now(), engineMs: result.ms, audioSec: request.pcm.length / SAMPLE_RATE,
      audioCtx: request.audioCtx ?? 0, maxTokens: request.maxTokens, partial, ...(beside ? { beside } : {}),
    });
    if (!partial && WHATIF.noFinalBackoff) return { ...result, ms: 0 };
    if (partial && partialMsScale !== 1) return { ...result, ms: result.ms * partialMsScale };
    return result;
  };
}

/** One session over `audioFile` on a fresh service; the service is shut down afterwards. */
export async function runSession(modelPath: string, options: RunOptions): Promise<SessionRun> {
  const bench = await benchService(modelPath, options.serviceConfig);
  try {
    return await runOn(bench, options);
  } finally {
    await bench.dispose();
  }
}

/** One session on an existing bench service (its decode and transcript logs are cleared first). */
export async function runOn(bench: BenchService, options: RunOptions): Promise<SessionRun> {
  const { service } = bench;
  bench.decodes.length = 0;
  bench.aborted.length = 0;
  bench.transcripts.length = 0;
  bench.relabels.length = 0;
  bench.degrades.length = 0;
  bench.extractions.length = 0;
  bench.marks.length = 0;
  latencyMarks.listener = (mark) => bench.marks.push(mark);
  if (options.partialsWanted !== undefined) service.partials.set('bench', options.partialsWanted);
  // Measured from STREAMING on: loading the VAD and whisper models is figure 5's business.
  const { sessionId } = await service.startSession({ sources: ['file'], audioFile: options.audioFile, pace: options.pace, title: 'bench' });
  const { wall: t0, cpu: cpu0 } = bench.streaming;
  const machine0 = machineCpu();
  const samples: MemorySample[] = [];
  const every = options.sampleEverySec ?? 0;
  let nextSample = every;
  let window = { min: Infinity, max: 0 };
  let lastProgress = 0;
  let cancelled = false;
  const closeWindow = (audioSec: number) => {
    const m = process.memoryUsage();
    samples.push({
      audioSec, wallSec: (performance.now() - t0) / 1000, rssMin: Math.min(window.min, m.rss), rssMax: Math.max(window.max, m.rss),
      heapUsed: m.heapUsed, external: m.external,
    });
    window = { min: Infinity, max: 0 };
  };
  const tick = setInterval(() => {
    const audioSec = service.status(sessionId).capturedSec;
    if (options.cancelExtractionAtSec !== undefined && audioSec >= options.cancelExtractionAtSec && !cancelled) cancelled = service.cancelExtraction(sessionId).cancelled || true;
    if (performance.now() - lastProgress >= 1000) {
      lastProgress = performance.now();
      options.progress?.(audioSec);
    }
    if (every <= 0) return;
    const rss = process.memoryUsage.rss();
    window.min = Math.min(window.min, rss);
    window.max = Math.max(window.max, rss);
    if (audioSec >= nextSample) {
      closeWindow(audioSec);
      while (nextSample <= audioSec) nextSample += every;
    }
  }, every > 0 || options.cancelExtractionAtSec !== undefined ? 100 : 1000);
  try {
    const result = await service.sessionDone(sessionId);
    const end = performance.now();
    const cpuSec = ownCpu() - cpu0;
    const foreignCores = Math.max(0, (machineCpu().busy - machine0.busy - cpuSec) / ((end - t0) / 1000));
    const status = service.status(sessionId);
    if (every > 0 && window.max > 0) closeWindow(status.capturedSec);
    return {
      t0, wallSec: (end - t0) / 1000, audioSec: status.capturedSec, cpuSec,
      transcripts: bench.transcripts.slice(), relabels: bench.relabels.slice(), decodes: bench.decodes.slice(), aborted: bench.aborted.slice(), finalSegments: result.segments.length,
      samples, modelLoadMs: service.engine.loadMs, degrades: bench.degrades.slice(), foreignCores,
      extractions: bench.extractions.slice(), marks: bench.marks.slice(),
    };
  } finally {
    clearInterval(tick);
  }
}

/** A decode's kind as the streaming policy asked for it (a partial asks for a reduced encoder window). */
export const isPartialDecode = (d: DecodeCall): boolean => d.partial;
